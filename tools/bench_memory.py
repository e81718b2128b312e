#!/usr/bin/env python3
"""Memory per element, ringdis beside a redis-server, the same data loaded into both.

For each row, each server starts fresh (no AOF, no snapshots), its RSS is read once it answers
PING, the row's data goes in through `redis-cli --pipe`, and the RSS growth (/proc/PID/status
VmRSS) divided by the number of elements is the figure; INFO's used_memory growth is shown too,
and the growth of RssAnon: RSS less the pages of files (the binary's code pages a load first
runs, which do not grow with the data).

usage: tools/bench_memory.py [--ringdis target/release/ringdis] [--redis redis-server]
                             [--elements 1000000] [--rows strings,hashes,...]

Rows (16-byte values, as the memory issue's table):
  strings      SET key:<10 digits> <value>                         (per key)
  strings-ttl  the same with EX 100000                              (per key)
  hashes       keys of 10 fields                                    (per field)
  lists        keys of 10 elements                                  (per element)
  sets         keys of 10 string members                            (per member)
  intsets      keys of 10 integer members                           (per member)
  zsets        keys of 10 members                                   (per member)
  big-hashes, big-lists, big-sets, big-zsets: keys of 1,000 of them (per element)
"""
import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import resp, rss  # noqa: E402

ALL_ROWS = [
    "strings", "strings-ttl", "hashes", "lists", "sets", "intsets", "zsets",
    "big-hashes", "big-lists", "big-sets", "big-zsets",
]
# The memory issue's targets: ringdis's RSS per element at most this times Redis's.
TARGET = {"strings": 0.8}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def generate(row, n, out):
    """Writes the row's commands to `out`; returns the number of elements."""
    value = b"v" * 16
    if row in ("strings", "strings-ttl"):
        ttl = ("EX", 100000) if row == "strings-ttl" else ()
        for i in range(n):
            out.write(resp("SET", f"key:{i:010d}", value, *ttl))
        return n
    per_key = 1000 if row.startswith("big-") else 10
    kind = row[4:] if row.startswith("big-") else row
    keys = max(1, n // per_key)
    for i in range(keys):
        k = f"{kind}:{i:010d}"
        if kind == "hashes":
            args = ["HSET", k]
            for j in range(per_key):
                args += [f"field:{j:04d}", value]
        elif kind == "lists":
            args = ["RPUSH", k] + [value] * per_key
        elif kind == "sets":
            args = ["SADD", k] + [f"member:{j:04d}" for j in range(per_key)]
        elif kind == "intsets":
            args = ["SADD", k] + [str(1000 + j) for j in range(per_key)]
        elif kind == "zsets":
            args = ["ZADD", k]
            for j in range(per_key):
                args += [str(j), f"member:{j:04d}"]
        else:
            raise SystemExit(f"unknown row {row}")
        out.write(resp(*args))
    return keys * per_key


def ping(port):
    try:
        r = subprocess.run(["redis-cli", "-p", str(port), "PING"], capture_output=True,
                           text=True, timeout=2)
        return r.stdout.strip() == "PONG"
    except subprocess.TimeoutExpired:
        return False


def used_memory(port):
    out = subprocess.run(["redis-cli", "-p", str(port), "INFO", "memory"], capture_output=True,
                         text=True).stdout
    for line in out.splitlines():
        if line.startswith("used_memory:"):
            return int(line.split(":")[1])
    return 0


def rss_anon(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) * 1024
    return 0


def measure(argv, data_path, elements):
    port = free_port()
    with tempfile.TemporaryDirectory() as d:
        p = subprocess.Popen([a.format(port=port, dir=d) for a in argv],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            end = time.time() + 30
            while not ping(port):
                if time.time() > end or p.poll() is not None:
                    raise SystemExit(f"server did not start: {argv}")
                time.sleep(0.05)
            rss0, used0, anon0 = rss(p.pid), used_memory(port), rss_anon(p.pid)
            with open(data_path, "rb") as f:
                subprocess.run(["redis-cli", "-p", str(port), "--pipe"], stdin=f,
                               stdout=subprocess.DEVNULL, check=True)
            time.sleep(0.5)
            rss1, used1, anon1 = rss(p.pid), used_memory(port), rss_anon(p.pid)
        finally:
            p.kill()
            p.wait()
    return (rss1 - rss0) / elements, (used1 - used0) / elements, (anon1 - anon0) / elements


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ringdis", default="target/release/ringdis")
    ap.add_argument("--redis", default="redis-server")
    ap.add_argument("--elements", type=int, default=1_000_000)
    ap.add_argument("--rows", default=",".join(ALL_ROWS))
    ap.add_argument("--threads", default="1")
    args = ap.parse_args()
    servers = {
        "redis": [args.redis, "--port", "{port}", "--save", "", "--appendonly", "no",
                  "--dir", "{dir}"],
        "ringdis": [args.ringdis, "--port", "{port}", "--threads", args.threads,
                    "--appendonly", "no", "--dir", "{dir}"],
    }
    print(f"{args.elements:,} elements per row, 16-byte values; RSS and used_memory growth "
          "per element (bytes)\n")
    print("| data | redis RSS | ringdis RSS | ratio | target | redis used_memory | "
          "ringdis used_memory | redis RssAnon | ringdis RssAnon | RssAnon ratio |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for row in args.rows.split(","):
        with tempfile.NamedTemporaryFile(suffix=".resp", delete=False) as f:
            elements = generate(row, args.elements, f)
            path = f.name
        try:
            got = {name: measure(argv, path, elements) for name, argv in servers.items()}
        finally:
            os.unlink(path)
        (r_rss, r_used, r_anon), (g_rss, g_used, g_anon) = got["redis"], got["ringdis"]
        ratio = g_rss / r_rss if r_rss > 0 else float("nan")
        target = TARGET.get(row, 1.0)
        mark = "" if ratio <= target else " ✗"
        print(f"| {row} | {r_rss:.1f} | {g_rss:.1f} | {ratio:.2f}{mark} | {target:.1f} | "
              f"{r_used:.1f} | {g_used:.1f} | {r_anon:.1f} | {g_anon:.1f} | "
              f"{g_anon / r_anon if r_anon > 0 else float('nan'):.2f} |")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
