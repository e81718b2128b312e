#!/usr/bin/env python3
"""Lazy freeing: how long other clients wait while a server frees 1M keys or one 1M-field hash.

For each server (ringdis --threads 1 and redis-server, each pinned to CPU 0, no persistence) and
each case, a fresh server is loaded (1,000,000 string keys, or one hash of 1,000,000 fields, through
`redis-cli --pipe`); then a second client times PING after PING (round trips, back to back) while a
third sends the freeing command. Reported: the freeing command's own time, and the slowest PING
round trip from just before it was sent until 0.5 s after it answered.

usage: tools/bench_lazyfree.py [--ringdis target/release/ringdis] [--redis redis-server]
                               [--keys 1000000]
"""

import argparse
import os
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import one_core_servers, resp, serving  # noqa: E402


def load(port, case, n):
    if case == "keys":
        data = b"".join(resp("SET", f"key:{i}", "v" * 16) for i in range(n))
    else:
        chunk = 1000
        data = b"".join(
            resp("HSET", "big", *[x for j in range(i, min(i + chunk, n)) for x in (f"f{j}", "v")])
            for i in range(0, n, chunk))
    subprocess.run(["redis-cli", "-p", str(port), "--pipe"], input=data, check=True,
                   stdout=subprocess.DEVNULL)


def command(sock, *args):
    sock.sendall(resp(*args))
    buf = b""
    while not buf.endswith(b"\r\n"):
        buf += sock.recv(65536)
    return buf


def measure(port, free_args):
    stop = threading.Event()
    worst = [0.0]
    armed = threading.Event()

    def pinger():
        s = socket.create_connection(("127.0.0.1", port))
        while not stop.is_set():
            t = time.perf_counter()
            command(s, "PING")
            dt = time.perf_counter() - t
            if armed.is_set():
                worst[0] = max(worst[0], dt)
        s.close()

    th = threading.Thread(target=pinger)
    th.start()
    time.sleep(0.3)
    c = socket.create_connection(("127.0.0.1", port))
    armed.set()
    t = time.perf_counter()
    reply = command(c, *free_args)
    took = time.perf_counter() - t
    time.sleep(0.5)
    stop.set()
    th.join()
    c.close()
    return took, worst[0], reply.strip().decode()


def run(argv, case, free_args, n):
    with serving(argv, cpu=0) as (port, _, _):
        load(port, case, n)
        return measure(port, free_args)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ringdis", default="target/release/ringdis")
    ap.add_argument("--redis", default="redis-server")
    ap.add_argument("--keys", type=int, default=1_000_000)
    args = ap.parse_args()
    servers = one_core_servers(args.redis, args.ringdis)
    cases = [
        ("keys", ["FLUSHALL", "SYNC"]),
        ("keys", ["FLUSHALL", "ASYNC"]),
        ("hash", ["DEL", "big"]),
        ("hash", ["UNLINK", "big"]),
    ]
    print(f"{args.keys:,} string keys (FLUSHALL) or hash fields (DEL/UNLINK); server on CPU 0, "
          "PING client and freeing client on the others\n")
    print("| command | server | command's time (ms) | slowest PING round trip (ms) | reply |")
    print("|---|---|---|---|---|")
    for case, free_args in cases:
        for name in ("redis", "ringdis"):
            took, worst, reply = run(servers[name], case, free_args, args.keys)
            print(f"| {' '.join(free_args)} | {name} | {took * 1000:.1f} | {worst * 1000:.1f} | "
                  f"{reply} |")


if __name__ == "__main__":
    main()
