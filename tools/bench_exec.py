#!/usr/bin/env python3
"""What a small transaction costs: MULTI, INCR k, EXEC, pipelined 100 at a time from one client,
against ringdis (one executor) and redis-server, side by side.

    tools/bench_exec.py [--ringdis target/release/ringdis] [--redis-server redis-server]
                        [--baseline OTHER_RINGDIS] [-n 200000] [--rounds 3]

Each server is pinned to core 0 (--server-cpu), this script to core 1; the servers take turns for
--rounds rounds and the medians are printed: transactions per second and the server's CPU time
per transaction (utime+stime from /proc). EXEC used to write-lock all 1,024 shards of its
database; it now locks the shards its commands declare (one here).
"""
import argparse
import os
import socket
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import pick_port, server_cpu, wait_pong  # noqa: E402

TX = b"*1\r\n$5\r\nMULTI\r\n*2\r\n$4\r\nINCR\r\n$1\r\nk\r\n*1\r\n$4\r\nEXEC\r\n"


def one_round(argv, cpu, n, batch=100):
    port = pick_port()
    argv = ["taskset", "-c", str(cpu)] + [a.format(port=port) for a in argv]
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_pong(port, proc)
        s = socket.create_connection(("127.0.0.1", port))
        f = s.makefile("rb")
        c0, t0 = server_cpu(proc.pid), time.perf_counter()
        for _ in range(n // batch):
            s.sendall(TX * batch)
            for _ in range(batch * 4):  # +OK, +QUEUED, *1, :n
                f.readline()
        secs = time.perf_counter() - t0
        return n / secs, (server_cpu(proc.pid) - c0) / n * 1e6
    finally:
        proc.kill()
        proc.wait()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ringdis", default="target/release/ringdis")
    ap.add_argument("--redis-server", default="redis-server")
    ap.add_argument("--baseline", help="another ringdis build, measured in the same rounds")
    ap.add_argument("-n", type=int, default=200000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--server-cpu", type=int, default=0)
    ap.add_argument("--client-cpu", type=int, default=1)
    o = ap.parse_args()
    os.sched_setaffinity(0, {o.client_cpu})
    ours = ["--port", "{port}", "--threads", "1", "--appendonly", "no"]
    servers = [("ringdis", [o.ringdis] + ours)]
    if o.baseline:
        servers.append(("baseline", [o.baseline] + ours))
    servers.append(("redis", [o.redis_server, "--port", "{port}", "--save", ""]))
    got = {name: [] for name, _ in servers}
    for _ in range(o.rounds):
        for name, argv in servers:
            got[name].append(one_round(argv, o.server_cpu, o.n))
    print(f"MULTI / INCR k / EXEC, pipelined 100 deep, {o.n} transactions, medians of {o.rounds}\n")
    print("| server | transactions/s | server CPU µs per transaction |")
    print("|---|---|---|")
    for name, _ in servers:
        rate = statistics.median(r for r, _ in got[name])
        cpu = statistics.median(c for _, c in got[name])
        print(f"| {name} | {rate:,.0f} | {cpu:.2f} |")


if __name__ == "__main__":
    main()
