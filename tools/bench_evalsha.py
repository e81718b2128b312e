#!/usr/bin/env python3
"""EVALSHA of a small script (INCR and GET of one key), ringdis beside a redis-server.

Each round starts a fresh server (pinned to --server-cpu, no persistence), loads the script,
runs redis-benchmark (pinned to --client-cpu, 50 clients) calling it with EVALSHA, and reads
the server's CPU time (utime+stime from /proc/PID/stat) per call; the servers alternate for
--rounds rounds and the medians are printed as a markdown table. "round ratio" is the median of
each round's own ratio (the two servers measured minutes apart on a shared VM drift apart;
measured back to back they drift together).

With --baseline OTHER_RINGDIS a second ringdis build takes its turn in every round too, and its
row shows the same figures for it: a change's effect, measured side by side in one run.

usage: tools/bench_evalsha.py [--ringdis target/release/ringdis] [--redis redis-server]
                              [--baseline OTHER] [--pipeline 1,16] [--rounds 5] [-n 200000]
"""
import argparse
import os
import socket
import statistics
import subprocess
import time

SCRIPT = "redis.call('INCR', KEYS[1]) return redis.call('GET', KEYS[1])"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_secs(pid):
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")


def cli(port, *args):
    return subprocess.run(["redis-cli", "-p", str(port), *args], capture_output=True,
                          text=True).stdout.strip()


def one_round(argv, pipeline, n, o):
    port = free_port()
    p = subprocess.Popen(["taskset", "-c", o.server_cpu] + argv +
                         ["--port", str(port), "--save", "", "--appendonly", "no"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        end = time.time() + 30
        while cli(port, "PING") != "PONG":
            if time.time() > end or p.poll() is not None:
                raise SystemExit(f"server did not start: {argv}")
            time.sleep(0.05)
        sha = cli(port, "SCRIPT", "LOAD", SCRIPT)
        before = cpu_secs(p.pid)
        out = subprocess.run(["taskset", "-c", o.client_cpu, "redis-benchmark", "-p", str(port),
                              "-n", str(n), "-c", "50", "-P", str(pipeline), "-q", "--csv",
                              "EVALSHA", sha, "1", "counter"], capture_output=True,
                             text=True).stdout
        used = cpu_secs(p.pid) - before
        rps = float([l for l in out.splitlines() if l.startswith('"')][-1].split(",")[1]
                    .strip('"'))
        if cli(port, "GET", "counter") != str(n):
            raise SystemExit(f"counter is not {n} after the run: {argv}")
        return rps, used / n * 1e6
    finally:
        p.kill()
        p.wait()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ringdis", default="target/release/ringdis")
    ap.add_argument("--redis", default="redis-server")
    ap.add_argument("--baseline", help="another ringdis build, measured in the same rounds")
    ap.add_argument("--pipeline", default="1,16")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("-n", type=int, default=200000)
    ap.add_argument("--server-cpu", default="0")
    ap.add_argument("--client-cpu", default="1")
    o = ap.parse_args()
    servers = {"ringdis": [o.ringdis, "--threads", "1"]}
    if o.baseline:
        servers["baseline"] = [o.baseline, "--threads", "1"]
    servers["redis"] = [o.redis]
    print(f"EVALSHA ({SCRIPT}), 50 clients, -n {o.n}, medians of {o.rounds} alternated rounds\n")
    print("| -P | server | calls/s | CPU µs/call | redis CPU µs/call | ratio | round ratio |")
    print("|---|---|---|---|---|---|---|")
    for pipeline in [int(x) for x in o.pipeline.split(",")]:
        got = {name: [] for name in servers}
        names = list(servers)
        for r in range(o.rounds):
            # Alternate the order, so that neither server always runs first.
            for name in names if r % 2 == 0 else names[::-1]:
                got[name].append(one_round(servers[name], pipeline, o.n, o))
        redis_cpu = statistics.median(c for _, c in got["redis"])
        for name in names[:-1]:
            rps = statistics.median(r for r, _ in got[name])
            cpu = statistics.median(c for _, c in got[name])
            per_round = statistics.median(a[1] / b[1] for a, b in zip(got[name], got["redis"]))
            print(f"| {pipeline} | {name} | {rps:,.0f} | {cpu:.2f} | {redis_cpu:.2f} | "
                  f"{cpu / redis_cpu:.2f} | {per_round:.2f} |")
        rps = statistics.median(r for r, _ in got["redis"])
        print(f"| {pipeline} | redis | {rps:,.0f} | {redis_cpu:.2f} | {redis_cpu:.2f} | 1.00 | 1.00 |")


if __name__ == "__main__":
    main()
