#!/usr/bin/env python3
"""ringdis next to redis-server on this machine, one core each, measured the same way.

Each server is pinned to --server-cpu, redis-benchmark to --client-cpu; the two servers take turns
for --rounds rounds so drift hits both, and medians are printed as a markdown table: throughput,
p99 and the server's CPU time per request (utime+stime of all its threads, from /proc), which is
the steady figure on a small shared machine. "round ratio" is the median of each round's own
ratio: servers measured back to back drift together, minutes apart they drift apart. The order
in which the servers take their turn alternates from round to round.

Besides redis-benchmark's own tests (-t set,get,incr,lpush...), `xadd` and `evalsha` run as
explicit commands: `evalsha` calls a small script (INCR and GET of one key), loaded with SCRIPT
LOAD into each server as it starts.

With --aof off,everysec,always each server also runs with its append-only file under each fsync
policy (in a fresh temporary directory), and the table adds each mode's CPU per request and
throughput relative to the same server with the AOF off.

With --baseline OTHER_RINGDIS a second ringdis build takes its turn in every round too (e.g. the
previous commit's binary), and a second table compares the two builds: what a change costs,
measured side by side in one run.

With --acl every test also runs as an ACL user with key patterns (`~key:* ~counter:* ...`,
+@all) besides the default user, on both servers, and a third table shows what the per-command
ACL check costs each of them: the restricted user's CPU per request against the default user's.

With --tls both servers serve a TLS port (certificates made with openssl in a temporary
directory, tls-auth-clients no) and redis-benchmark connects with --tls: the table is then TLS's
cost on each server.

With --threads N ringdis runs N executors (give --server-cpu a list, e.g. 0,1): CPU per request
at --threads 2 against --threads 1 shows what executors sharing state cost each other.

usage: tools/bench_vs_redis.py [--ringdis target/release/ringdis] [--redis-server redis-server]
                               [--tests set,get] [--pipeline 1,16] [--rounds 5] [-n 200000] [-c 50]
                               [--aof off|everysec|always,...] [--baseline OTHER_RINGDIS]
                               [--threads 1] [--server-cpu 0] [--client-cpu 1] [--client-threads 1]
                               [--acl] [--tls]
"""
import argparse
import os
import signal
import socket
import statistics
import subprocess
import tempfile
import time

from benchlib import SCRIPT_SHA, load_script, pick_port, server_cpu, wait_pong


def make_certs() -> str:
    """A CA and a server certificate for 127.0.0.1, made with openssl; returns the directory."""
    d = tempfile.mkdtemp(prefix="bench_tls_")
    run = lambda *args: subprocess.run(args, cwd=d, check=True, capture_output=True)
    run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt",
        "-days", "30", "-subj", "/CN=bench CA")
    run("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
        "-subj", "/CN=localhost")
    with open(os.path.join(d, "ext.cnf"), "w") as f:
        f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    run("openssl", "x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
        "-out", "server.crt", "-days", "30", "-extfile", "ext.cnf")
    return d


def launch(kind: str, aof: str, a) -> tuple:
    port = pick_port()
    workdir = tempfile.mkdtemp(prefix=f"bench_{kind}_")
    persist = ["--appendonly", "no"] if aof == "off" else ["--appendonly", "yes", "--appendfsync", aof]
    tls, serve = [], port
    if a.tls:
        serve = pick_port()
        tls = ["--tls-port", str(serve), "--tls-cert-file", os.path.join(a.certs, "server.crt"),
               "--tls-key-file", os.path.join(a.certs, "server.key"), "--tls-auth-clients", "no"]
    if kind in ("ringdis", "baseline"):
        binary = a.ringdis if kind == "ringdis" else a.baseline
        argv = [os.path.abspath(binary), "--port", str(port), "--threads", str(a.threads), "--dir", workdir] + persist
    else:
        argv = [a.redis_server, "--port", str(port), "--save", "", "--dir", workdir] + persist
    proc = subprocess.Popen(["taskset", "-c", str(a.server_cpu)] + argv + tls, cwd=workdir,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_pong(port)
    # Through the plain port, which also serves under --tls; the cache serves every client.
    if "evalsha" in a.tests.split(","):
        load_script(port)
    return proc, serve


# Tests redis-benchmark 7.0 has no -t name for, run as explicit commands.
CUSTOM = {
    "xadd": ["XADD", "mystream", "*", "field", "value"],
    "evalsha": ["EVALSHA", SCRIPT_SHA, "1", "counter:evalsha"],
}


# The restricted user of --acl: every command, only the keys redis-benchmark's tests use.
ACL_USER = ["ACL", "SETUSER", "bench", "on", ">benchpass", "~key:*", "~counter:*", "~mylist",
            "~myset", "~myhash", "~myzset", "~mystream", "+@all"]


def run_benchmark(port: int, test: str, pipeline: int, a, user=None) -> tuple:
    what = CUSTOM.get(test) or ["-t", test]
    auth = ["--user", user, "-a", "benchpass"] if user else []
    if a.tls:
        auth += ["--tls", "--cacert", os.path.join(a.certs, "ca.crt")]
    cmd = ["taskset", "-c", str(a.client_cpu), "redis-benchmark", "-p", str(port)] + auth + [
           "-n", str(a.n), "-c", str(a.c), "-P", str(pipeline), "--threads", str(a.client_threads), "--csv"] + what
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=True).stdout
    row = [l for l in out.splitlines() if l.startswith('"') and not l.startswith('"test"')][-1]
    fields = [f.strip('"') for f in row.split(",")]
    return float(fields[1]), float(fields[6])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ringdis", default="target/release/ringdis")
    ap.add_argument("--redis-server", default="redis-server")
    ap.add_argument("--tests", default="set,get")
    ap.add_argument("--pipeline", default="1,16")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("-n", type=int, default=200000)
    ap.add_argument("-c", type=int, default=50)
    ap.add_argument("--server-cpu", default="0", help="taskset CPU list for the servers")
    ap.add_argument("--client-cpu", default="1", help="taskset CPU list for redis-benchmark")
    ap.add_argument("--threads", type=int, default=1, help="ringdis executors (redis-server has one)")
    ap.add_argument("--client-threads", type=int, default=1, help="redis-benchmark --threads")
    ap.add_argument("--aof", default="off", help="comma-separated: off, everysec, always, no")
    ap.add_argument("--baseline", help="another ringdis binary to run in every round")
    ap.add_argument("--acl", action="store_true", help="also run every test as a user with key patterns")
    ap.add_argument("--tls", action="store_true", help="serve and benchmark over TLS")
    a = ap.parse_args()
    a.certs = make_certs() if a.tls else None
    kinds = ("ringdis", "baseline", "redis") if a.baseline else ("ringdis", "redis")
    tests = a.tests.split(",")
    pipelines = [int(p) for p in a.pipeline.split(",")]
    modes = a.aof.split(",")
    samples = {}
    for r in range(a.rounds):
        for aof in modes:
            # Alternated, so that no server always runs first.
            for kind in kinds if r % 2 == 0 else kinds[::-1]:
                proc, port = launch(kind, aof, a)
                try:
                    # The baseline build may predate ACL users: it runs as the default user only.
                    acl = a.acl and kind != "baseline"
                    if acl:
                        tls = ["--tls", "--cacert", os.path.join(a.certs, "ca.crt")] if a.tls else []
                        subprocess.run(["redis-cli", "-p", str(port)] + tls + ACL_USER, check=True,
                                       capture_output=True)
                    for test in tests:
                        for p in pipelines:
                            for user in ([None, "bench"] if acl else [None]):
                                before = server_cpu(proc.pid)
                                rps, p99 = run_benchmark(port, test, p, a, user)
                                us = (server_cpu(proc.pid) - before) * 1e6 / a.n
                                key = (kind + ("/acl" if user else ""), aof, test, p)
                                samples.setdefault(key, []).append((rps, p99, us))
                finally:
                    proc.send_signal(signal.SIGTERM)
                    proc.wait(30)
    med = lambda k, i: statistics.median(s[i] for s in samples[k])
    # The median of each round's own CPU-per-request ratio (samples are appended round by round).
    per_round = lambda k, base: statistics.median(x[2] / y[2] for x, y in zip(samples[k], samples[base]) if y[2])
    rel = lambda kind, aof, test, p, i: (med((kind, aof, test, p), i) / med((kind, "off", test, p), i)
                                         if "off" in modes else float("nan"))
    print(f"{'TLS, ' if a.tls else ''}-c {a.c}, -n {a.n}, ringdis --threads {a.threads}, servers on CPUs {a.server_cpu}, "
          f"redis-benchmark on {a.client_cpu} with {a.client_threads} thread(s), medians of {a.rounds} rounds")
    print()
    print("| test | -P | AOF | ringdis rps | redis rps | ringdis p99 ms | redis p99 ms | ringdis µs/req | redis µs/req "
          "| CPU/req ratio | round ratio | ringdis CPU vs off | redis CPU vs off | ringdis rps vs off | redis rps vs off |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for test in tests:
        for p in pipelines:
            for aof in modes:
                o, r = ("ringdis", aof, test, p), ("redis", aof, test, p)
                ratio = med(o, 2) / med(r, 2) if med(r, 2) else float("nan")
                print(f"| {test.upper()} | {p} | {aof} | {med(o, 0):.0f} | {med(r, 0):.0f} | {med(o, 1):.3f} | {med(r, 1):.3f} "
                      f"| {med(o, 2):.2f} | {med(r, 2):.2f} | {ratio:.2f} | {per_round(o, r):.2f} "
                      f"| {rel('ringdis', aof, test, p, 2):.2f} | {rel('redis', aof, test, p, 2):.2f} "
                      f"| {rel('ringdis', aof, test, p, 0):.2f} | {rel('redis', aof, test, p, 0):.2f} |")
    if a.baseline:
        print()
        print(f"ringdis ({a.ringdis}) against the baseline build ({a.baseline}), same rounds")
        print()
        print("| test | -P | AOF | ringdis rps | baseline rps | ringdis p99 ms | baseline p99 ms "
              "| ringdis µs/req | baseline µs/req | CPU/req ratio | round ratio |")
        print("|---|---|---|---|---|---|---|---|---|---|---|")
        for test in tests:
            for p in pipelines:
                for aof in modes:
                    o, b = ("ringdis", aof, test, p), ("baseline", aof, test, p)
                    print(f"| {test.upper()} | {p} | {aof} | {med(o, 0):.0f} | {med(b, 0):.0f} | {med(o, 1):.3f} "
                          f"| {med(b, 1):.3f} | {med(o, 2):.2f} | {med(b, 2):.2f} | {med(o, 2) / med(b, 2):.2f} "
                          f"| {per_round(o, b):.2f} |")
    if a.acl:
        print()
        print("The per-command ACL check: a user with key patterns against the default user, "
              "same server, same rounds")
        print()
        print("| test | -P | AOF | server | default µs/req | ACL user µs/req | CPU/req ratio "
              "| default rps | ACL user rps |")
        print("|---|---|---|---|---|---|---|---|---|")
        for test in tests:
            for p in pipelines:
                for aof in modes:
                    for kind in ("ringdis", "redis"):
                        d, u = (kind, aof, test, p), (kind + "/acl", aof, test, p)
                        print(f"| {test.upper()} | {p} | {aof} | {kind} | {med(d, 2):.2f} | {med(u, 2):.2f} "
                              f"| {med(u, 2) / med(d, 2):.2f} | {med(d, 0):.0f} | {med(u, 0):.0f} |")


if __name__ == "__main__":
    main()
