#!/usr/bin/env python3
"""RDB snapshots, ringdis beside a redis-server: BGSAVE time, the save child's peak RSS, the
file's size, and the time to load it at start-up, with the same data in both.

Each server starts on core 0 without persistence, gets N keys (`SET key:<10 digits> <16 B>`,
through `redis-cli --pipe`), then BGSAVE runs: the time is from the command until INFO says no
save runs, and the child's peak RSS is the largest VmRSS seen while polling it every 2 ms (pages
it shares with the parent count, for both servers alike). The server is then stopped and
started again on the file: the load time is from spawn until PING answers, less the same for an
empty directory. Medians of the rounds.

usage: tools/bench_rdb.py [--ringdis target/release/ringdis] [--redis redis-server]
                          [--keys 1000000] [--rounds 3]
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import pair_args, pick_port, rss, set_keys, wait_pong  # noqa: E402


def cli(port, *args):
    return subprocess.run(["redis-cli", "-p", str(port), *args], capture_output=True,
                          text=True, check=True).stdout


def info_field(port, section, name):
    for line in cli(port, "INFO", section).splitlines():
        if line.startswith(name + ":"):
            return line.split(":", 1)[1].strip()
    return None


def children(pid):
    """Child processes of any thread of `pid` (ringdis forks from an executor thread)."""
    out = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for t in tasks:
        try:
            with open(f"/proc/{pid}/task/{t}/children") as f:
                out += [int(x) for x in f.read().split()]
        except OSError:
            pass
    return out


def argv(kind, binary, port, d):
    if kind == "redis":
        return [binary, "--port", str(port), "--save", "", "--appendonly", "no", "--dir", d]
    return [binary, "--port", str(port), "--threads", "1", "--appendonly", "no", "--dir", d]


def start(kind, binary, d):
    port = pick_port()
    t0 = time.perf_counter()
    p = subprocess.Popen(["taskset", "-c", "0"] + argv(kind, binary, port, d),
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_pong(port, p, timeout=600)
    return p, port, time.perf_counter() - t0


def stop(p):
    p.kill()
    p.wait()


def one_round(kind, binary, data):
    d = tempfile.mkdtemp()
    try:
        p, port, empty_start = start(kind, binary, d)
        subprocess.run(["redis-cli", "-p", str(port), "--pipe"], input=data,
                       capture_output=True, check=True)
        t0 = time.perf_counter()
        cli(port, "BGSAVE")
        peak = 0
        while True:
            for c in children(p.pid):
                peak = max(peak, rss(c))
            if info_field(port, "persistence", "rdb_bgsave_in_progress") == "0":
                break
            time.sleep(0.002)
        took = time.perf_counter() - t0
        ok = info_field(port, "persistence", "rdb_last_bgsave_status")
        if ok != "ok":
            raise SystemExit(f"{kind}: BGSAVE failed")
        size = os.path.getsize(os.path.join(d, "dump.rdb"))
        stop(p)
        p, port, loaded_start = start(kind, binary, d)
        keys = int(cli(port, "DBSIZE").strip())
        stop(p)
        return {"bgsave_s": took, "child_peak_mb": peak / 2**20, "file_mb": size / 2**20,
                "load_s": max(loaded_start - empty_start, 0.0), "keys": keys}
    finally:
        shutil.rmtree(d, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    pair_args(ap)
    a = ap.parse_args()
    data = set_keys(a.keys)
    results = {"redis": [], "ringdis": []}
    for _ in range(a.rounds):
        for kind, binary in (("redis", a.redis), ("ringdis", a.ringdis)):
            results[kind].append(one_round(kind, binary, data))
    fields = ["bgsave_s", "child_peak_mb", "file_mb", "load_s"]
    print(f"{a.keys} keys, medians of {a.rounds} rounds")
    print("| server | BGSAVE s | save child peak RSS MB | file MB | load s | keys after load |")
    print("|---|---|---|---|---|---|")
    for kind in ("ringdis", "redis"):
        med = {f: statistics.median(r[f] for r in results[kind]) for f in fields}
        keys = results[kind][-1]["keys"]
        print(f"| {kind} | {med['bgsave_s']:.2f} | {med['child_peak_mb']:.0f} | "
              f"{med['file_mb']:.1f} | {med['load_s']:.2f} | {keys} |")


if __name__ == "__main__":
    main()
