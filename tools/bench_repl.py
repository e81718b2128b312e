#!/usr/bin/env python3
"""Replication, ringdis beside redis-server (each a replica of its own kind): full sync time for
N keys, and the master's CPU per SET with one replica attached against none.

Full sync: the master (core 0, no persistence) gets N keys (`SET key:<10 digits> <16 B>` through
`redis-cli --pipe`); a fresh replica (core 1) is told REPLICAOF; the time runs until the replica
says master_link_status:up and holds N keys. redis-server runs with its default diskless sync
(the 5 s repl-diskless-sync-delay set to 0, or it would dominate) and, as a second row, with a
disk snapshot (repl-diskless-sync no), which is how ringdis sends it.

CPU per SET: redis-benchmark (core 1, `-t set -r 1000000`, -P 1 and -P 16) against the master
(core 0), with no replica and then with one (also on core 1): the master's utime+stime over the
run, per request (/proc/PID/stat). Servers alternate; medians of the rounds.

usage: tools/bench_repl.py [--ringdis target/release/ringdis] [--redis redis-server]
                           [--keys 1000000] [--rounds 3] [--n 300000]
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
from benchlib import pair_args, pick_port, server_cpu, set_keys, wait_pong  # noqa: E402


def cli(port, *args):
    return subprocess.run(["redis-cli", "-p", str(port), *args], capture_output=True,
                          text=True, check=True).stdout.strip()


def info(port, section):
    out = {}
    for line in cli(port, "INFO", section).splitlines():
        if ":" in line:
            k, v = line.split(":", 1)
            out[k] = v.strip()
    return out


def start(kind, binary, cpu, extra=()):
    port = pick_port()
    d = tempfile.mkdtemp()
    if kind == "redis":
        argv = [binary, "--port", str(port), "--save", "", "--appendonly", "no", "--dir", d]
    else:
        argv = [binary, "--port", str(port), "--threads", "1", "--appendonly", "no", "--dir", d]
    p = subprocess.Popen(["taskset", "-c", str(cpu)] + argv + list(extra),
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_pong(port, p, timeout=600)
    return p, port, d


def stop(*servers):
    for p, _, d in servers:
        p.kill()
        p.wait()
        shutil.rmtree(d, ignore_errors=True)


def full_sync(kind, binary, data, keys, extra):
    m = start(kind, binary, 0, extra)
    r = start(kind, binary, 1)
    try:
        subprocess.run(["redis-cli", "-p", str(m[1]), "--pipe"], input=data,
                       capture_output=True, check=True)
        t0 = time.perf_counter()
        cli(r[1], "REPLICAOF", "127.0.0.1", str(m[1]))
        while True:
            i = info(r[1], "replication")
            if i.get("master_link_status") == "up" and int(cli(r[1], "DBSIZE")) == keys:
                break
            time.sleep(0.005)
        return time.perf_counter() - t0
    finally:
        stop(m, r)


def bench_cpu(port, pid, pipeline, n):
    before = server_cpu(pid)
    subprocess.run(["taskset", "-c", "1", "redis-benchmark", "-p", str(port), "-t", "set",
                    "-r", "1000000", "-n", str(n), "-c", "50", "-P", str(pipeline), "-q"],
                   capture_output=True, check=True, timeout=600)
    return (server_cpu(pid) - before) / n * 1e6


def cpu_per_set(kind, binary, n):
    """µs of master CPU per SET: {(pipeline, replicas): value}."""
    out = {}
    m = start(kind, binary, 0)
    r = None
    try:
        for pipeline in (1, 16):
            out[(pipeline, 0)] = bench_cpu(m[1], m[0].pid, pipeline, n)
        r = start(kind, binary, 1)
        cli(r[1], "REPLICAOF", "127.0.0.1", str(m[1]))
        while info(r[1], "replication").get("master_link_status") != "up":
            time.sleep(0.01)
        for pipeline in (1, 16):
            out[(pipeline, 1)] = bench_cpu(m[1], m[0].pid, pipeline, n)
        # The replica kept up: it ends with the master's data.
        end = int(info(m[1], "replication")["master_repl_offset"])
        deadline = time.time() + 60
        while int(info(r[1], "replication").get("slave_repl_offset", "0")) < end:
            if time.time() > deadline:
                raise SystemExit(f"{kind}: the replica did not catch up")
            time.sleep(0.01)
        if cli(r[1], "DBSIZE") != cli(m[1], "DBSIZE"):
            raise SystemExit(f"{kind}: the replica's key count differs")
    finally:
        stop(m, *([r] if r else []))
    return out


def main():
    ap = argparse.ArgumentParser()
    pair_args(ap)
    ap.add_argument("--n", type=int, default=300_000)
    a = ap.parse_args()
    data = set_keys(a.keys)
    kinds = [("ringdis", a.ringdis, ()),
             ("redis diskless", a.redis, ("--repl-diskless-sync-delay", "0")),
             ("redis disk", a.redis, ("--repl-diskless-sync", "no"))]
    sync = {k: [] for k, _, _ in kinds}
    cpu = {"ringdis": [], "redis": []}
    for _ in range(a.rounds):
        for name, binary, extra in kinds:
            kind = "ringdis" if name == "ringdis" else "redis"
            sync[name].append(full_sync(kind, binary, data, a.keys, extra))
        for kind, binary in (("redis", a.redis), ("ringdis", a.ringdis)):
            cpu[kind].append(cpu_per_set(kind, binary, a.n))
    print(f"full sync of {a.keys} keys, medians of {a.rounds} rounds")
    print("| master -> replica | full sync s |")
    print("|---|---|")
    for name, _, _ in kinds:
        print(f"| {name} | {statistics.median(sync[name]):.2f} |")
    print()
    print(f"master CPU per SET (µs), redis-benchmark -n {a.n} -c 50, medians of {a.rounds} rounds")
    print("| server | -P 1, no replica | -P 1, one replica | -P 16, no replica | -P 16, one replica |")
    print("|---|---|---|---|---|")
    for kind in ("ringdis", "redis"):
        med = {k: statistics.median(r[k] for r in cpu[kind]) for k in cpu[kind][0]}
        print(f"| {kind} | {med[(1, 0)]:.2f} | {med[(1, 1)]:.2f} | {med[(16, 0)]:.2f} | "
              f"{med[(16, 1)]:.2f} |")


if __name__ == "__main__":
    main()
