#!/usr/bin/env python3
"""ringdis and a redis-server binary side by side, driven by ringdis-bench, with plots.

Each server runs pinned to --server-cpus, ringdis-bench to --client-cpus; the servers alternate
for --rounds rounds and medians are reported: throughput, p50/p99/p99.9 (from ringdis-bench's HDR
histograms) and the server's CPU time per request (utime+stime of all its threads, from /proc),
for each test, pipeline depth and ringdis thread count (--threads 1,2,4 for a scaling curve on a
bigger machine; redis-server is single-threaded and runs once per round). Writes a markdown table
(--out) and one SVG latency-by-percentile plot per test and depth (--plot-dir), ringdis next to
redis-server, from the last round's .hgrm files.

usage: tools/bench_side_by_side.py [--ringdis target/release/ringdis]
           [--bench target/release/ringdis-bench] [--redis-server redis-server]
           [--tests set,get,hset,lpush,zadd,evalsha] [--pipeline 1,16] [--threads 1]
           [--rounds 3] [-n 200000] [-c 50] [--server-cpus 0] [--client-cpus 1] [--client-threads N]
           [--out bench.md] [--plot-dir bench-plots]
"""
import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import tempfile
import time

from benchlib import SCRIPT_SHA, load_script, pick_port, server_cpu, wait_pong

# Each test on keys of its own (GET reads what SET wrote).
TEMPLATES = {
    "set": "SET __key__ __data__",
    "get": "GET __key__",
    "hset": "HSET h:__key__ field __data__",
    "lpush": "LPUSH list __data__",
    "zadd": "ZADD zset 1 __key__",
    # The scripting benchmark's script (INCR and GET), on keys spread like GET's and SET's.
    "evalsha": f"EVALSHA {SCRIPT_SHA} 1 counter:__key__",
}


def cpu_list(spec: str) -> list:
    """taskset's CPU list ("0-3,8") as CPU numbers."""
    cpus = []
    for part in spec.split(","):
        lo, _, hi = part.partition("-")
        cpus += range(int(lo), int(hi or lo) + 1)
    return cpus


def launch(kind: str, threads: int, a) -> tuple:
    port = pick_port()
    workdir = tempfile.mkdtemp(prefix=f"sbs_{kind}_")
    if kind == "ringdis":
        argv = [os.path.abspath(a.ringdis), "--port", str(port), "--threads", str(threads),
                "--appendonly", "no", "--dir", workdir]
    else:
        argv = [a.redis_server, "--port", str(port), "--save", "", "--appendonly", "no", "--dir", workdir]
    proc = subprocess.Popen(["taskset", "-c", a.server_cpus] + argv, cwd=workdir,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_pong(port)
    if "evalsha" in a.tests.split(","):
        load_script(port)
    return proc, port


def run_load(port: int, test: str, p: int, a, hgrm_dir: str) -> dict:
    out = os.path.join(hgrm_dir, "summary.json")
    cmd = ["taskset", "-c", a.client_cpus, os.path.abspath(a.bench), "--port", str(port),
           "--threads", str(a.client_threads), "--connections", str(a.c), "--pipeline", str(p),
           "--requests", str(a.n),
           "--key-space", "100000", "--command", TEMPLATES[test],
           "--hgrm-dir", hgrm_dir, "--json", out]
    subprocess.run(cmd, capture_output=True, check=True, timeout=600)
    return json.load(open(out))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ringdis", default="target/release/ringdis")
    ap.add_argument("--bench", default="target/release/ringdis-bench")
    ap.add_argument("--redis-server", default="redis-server")
    ap.add_argument("--tests", default="set,get,hset,lpush,zadd")
    ap.add_argument("--pipeline", default="1,16")
    ap.add_argument("--threads", default="1", help="ringdis thread counts, e.g. 1,2,4,8")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("-n", type=int, default=200000)
    ap.add_argument("-c", type=int, default=50)
    ap.add_argument("--server-cpus", default="0")
    ap.add_argument("--client-cpus", default="1")
    ap.add_argument("--client-threads", type=int, default=0,
                    help="ringdis-bench threads (-c connections each); default: one per client CPU")
    ap.add_argument("--out", default="bench.md")
    ap.add_argument("--plot-dir", default="bench-plots")
    a = ap.parse_args()
    if a.client_threads <= 0:
        a.client_threads = len(cpu_list(a.client_cpus))
    tests = a.tests.split(",")
    depths = [int(p) for p in a.pipeline.split(",")]
    thread_counts = [int(t) for t in a.threads.split(",")]
    os.makedirs(a.plot_dir, exist_ok=True)
    hgrm_root = tempfile.mkdtemp(prefix="sbs_hgrm_")
    samples = {}
    servers = [("ringdis", t) for t in thread_counts] + [("redis", 1)]
    for _ in range(a.rounds):
        for kind, threads in servers:
            proc, port = launch(kind, threads, a)
            try:
                for test in tests:
                    for p in depths:
                        d = os.path.join(hgrm_root, f"{kind}-{threads}-{test}-{p}")
                        os.makedirs(d, exist_ok=True)
                        before = server_cpu(proc.pid)
                        s = run_load(port, test, p, a, d)
                        us = (server_cpu(proc.pid) - before) * 1e6 / a.n
                        c = next(iter(s["commands"].values()))
                        samples.setdefault((kind, threads, test, p), []).append(
                            (s["total_rps"], c["p50_us"], c["p99_us"], c["p999_us"], us))
            finally:
                proc.send_signal(signal.SIGTERM)
                proc.wait(30)
    med = lambda k, i: statistics.median(x[i] for x in samples[k])
    lines = [f"-c {a.c} per load thread, -n {a.n}, medians of {a.rounds} rounds; server CPUs {a.server_cpus}, "
             f"load generator CPUs {a.client_cpus} ({a.client_threads} threads)", "",
             "| ringdis threads | test | -P | ringdis rps | redis rps | ringdis p50/p99/p99.9 µs "
             "| redis p50/p99/p99.9 µs | ringdis µs/req | redis µs/req | CPU/req ratio |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for t in thread_counts:
        for test in tests:
            for p in depths:
                o, r = ("ringdis", t, test, p), ("redis", 1, test, p)
                lines.append(
                    f"| {t} | {test.upper()} | {p} | {med(o, 0):.0f} | {med(r, 0):.0f} "
                    f"| {med(o, 1):.0f}/{med(o, 2):.0f}/{med(o, 3):.0f} | {med(r, 1):.0f}/{med(r, 2):.0f}/{med(r, 3):.0f} "
                    f"| {med(o, 4):.2f} | {med(r, 4):.2f} | {med(o, 4) / max(med(r, 4), 1e-9):.2f} |")
                # One plot per test and depth: the last round's histograms.
                name = TEMPLATES[test].split()[0]
                series = [f"ringdis-{t}t={os.path.join(hgrm_root, f'ringdis-{t}-{test}-{p}', name + '.hgrm')}",
                          f"redis={os.path.join(hgrm_root, f'redis-1-{test}-{p}', name + '.hgrm')}"]
                args = [os.path.abspath(a.bench), "--plot-only", "--plot",
                        os.path.join(a.plot_dir, f"{test}-P{p}-t{t}.svg")]
                for sr in series:
                    args += ["--plot-from", sr]
                subprocess.run(args, check=True)
    text = "\n".join(lines) + "\n"
    open(a.out, "w").write(text)
    print(text)


if __name__ == "__main__":
    main()
