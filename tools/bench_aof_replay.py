#!/usr/bin/env python3
"""AOF replay time: ringdis next to redis-server, loading the same number of SET records.

For each server: start it with the append-only file on (everysec) in a fresh directory, fill it
with redis-benchmark (-t set -n N -r N -P 64: N SET records over random keys), stop it with
SHUTDOWN, start it again on the same directory and read how long the load took from its log
(ringdis: "loaded ... in X s"; redis-server: "DB loaded from ...: X seconds"). Both servers are
pinned to --server-cpu. Medians of --rounds restarts.

usage: tools/bench_aof_replay.py [--ringdis target/release/ringdis] [--redis-server redis-server]
                                 [-n 1000000] [--rounds 3]
"""
import argparse
import os
import re
import socket
import statistics
import subprocess
import tempfile
import time

from benchlib import pick_port, server_cpu, wait_pong


def argv(kind: str, a, port: int, d: str) -> list:
    if kind == "ringdis":
        return [os.path.abspath(a.ringdis), "--port", str(port), "--threads", "1", "--dir", d,
                "--auto-aof-rewrite-percentage", "0"]
    return [a.redis_server, "--port", str(port), "--dir", d, "--save", "", "--appendonly", "yes",
            "--auto-aof-rewrite-percentage", "0"]


def start(kind: str, a, d: str, log: str):
    port = pick_port()
    proc = subprocess.Popen(["taskset", "-c", str(a.server_cpu)] + argv(kind, a, port, d), cwd=d,
                            stdout=open(log, "a"), stderr=subprocess.STDOUT)
    wait_pong(port, proc)
    return proc, port


def stop(proc, port: int) -> None:
    subprocess.run(["redis-cli", "-p", str(port), "shutdown"], capture_output=True)
    proc.wait(120)


def load_secs(kind: str, log: str) -> float:
    text = open(log).read()
    pat = r"loaded .* in ([0-9.]+) s" if kind == "ringdis" else r"DB loaded from .*: ([0-9.]+) seconds"
    found = re.findall(pat, text)
    if not found:
        raise SystemExit(f"no load time in {log}:\n{text[-2000:]}")
    return float(found[-1])


def aof_bytes(d: str) -> int:
    return sum(os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(d) for f in fs if ".aof" in f)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ringdis", default="target/release/ringdis")
    ap.add_argument("--redis-server", default="redis-server")
    ap.add_argument("-n", type=int, default=1_000_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--server-cpu", type=int, default=0)
    ap.add_argument("--client-cpu", type=int, default=1)
    a = ap.parse_args()
    results = {}
    for kind in ("ringdis", "redis"):
        d = tempfile.mkdtemp(prefix=f"replay_{kind}_")
        log = os.path.join(d, "server.log")
        proc, port = start(kind, a, d, log)
        subprocess.run(["taskset", "-c", str(a.client_cpu), "redis-benchmark", "-p", str(port), "-t", "set",
                        "-n", str(a.n), "-r", str(a.n), "-P", "64", "-q"], capture_output=True, check=True)
        stop(proc, port)
        times = []
        for _ in range(a.rounds):
            proc, port = start(kind, a, d, log)
            times.append(load_secs(kind, log))
            stop(proc, port)
        results[kind] = (statistics.median(times), aof_bytes(d))
    (o, ob), (r, rb) = results["ringdis"], results["redis"]
    print(f"{a.n} SET records, medians of {a.rounds} loads")
    print()
    print("| server | AOF bytes | load s | ratio to redis |")
    print("|---|---|---|---|")
    print(f"| ringdis | {ob} | {o:.3f} | {o / r:.2f} |")
    print(f"| redis-server | {rb} | {r:.3f} | 1.00 |")


if __name__ == "__main__":
    main()
