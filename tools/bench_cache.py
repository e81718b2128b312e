#!/usr/bin/env python3
"""Cache mode, ringdis beside a redis-server: maxmemory, eviction and a cache-aside workload.

For each server and policy (allkeys-lru, allkeys-lfu, and ringdis without maxmemory for the
throughput baseline) a fresh server (pinned to CPU 0, no persistence) gets `--fill` times
maxmemory of values written (SET key:N of --keys keys, in order), then ringdis-bench (pinned to
CPU 1) runs a cache-aside workload for --seconds: GET a zipf-distributed key, and SET it when the
GET finds nothing. Reported: hit rate, requests/s (GETs and the SETs after misses), error
replies, evicted keys, and the server's RSS growth against maxmemory.

usage: tools/bench_cache.py [--ringdis target/release/ringdis] [--redis redis-server]
                            [--maxmemory-mb 64] [--keys 1000000] [--value 256] [--seconds 10]
                            [--rounds 3]

Targets (the memory issue): no error replies, RSS growth at most 1.25x maxmemory, hit rate at
least Redis's under the same policy, throughput within 10% of ringdis without maxmemory.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import one_core_servers, rss, serving  # noqa: E402


def info(port, field):
    out = subprocess.run(["redis-cli", "-p", str(port), "INFO"], capture_output=True,
                         text=True).stdout
    for line in out.splitlines():
        if line.startswith(field + ":"):
            return int(line.split(":")[1])
    return 0


def bench(args, port, extra, out_json):
    cmd = ["taskset", "-c", "1", args.bench, "--port", str(port), "--threads", "1",
           "--connections", "50", "--data-size", str(args.value), "--key-space", str(args.keys),
           "--json", out_json] + extra
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    with open(out_json) as f:
        return json.load(f)


def run(args, name, argv, policy):
    if policy:
        argv = argv + ["--maxmemory", f"{args.maxmemory_mb}mb", "--maxmemory-policy", policy]
    with serving(argv, cpu=0) as (port, p, d):
        rss0 = rss(p.pid)
        j = os.path.join(d, "bench.json")
        # The fill: every key once, in order.
        fill = bench(args, port, ["--key-pattern", "sequential", "--ratio", "1:0",
                                  "--pipeline", "16", "--requests", str(args.keys)], j)
        run = bench(args, port, ["--cache-aside", "--key-pattern", "zipf", "--duration",
                                 str(args.seconds), "--warmup", "2"], j)
        return {
            "server": name,
            "policy": policy or "none",
            "hit_rate": run["hit_rate"],
            "rps": run["total_rps"],
            "errors": fill["errors"] + run["errors"],
            "evicted": info(port, "evicted_keys"),
            "resident": int(subprocess.run(["redis-cli", "-p", str(port), "DBSIZE"],
                                           capture_output=True, text=True).stdout),
            "rss_growth_mb": (rss(p.pid) - rss0) / 2**20,
        }


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ringdis", default="target/release/ringdis")
    ap.add_argument("--redis", default="redis-server")
    ap.add_argument("--bench", default="target/release/ringdis-bench")
    ap.add_argument("--maxmemory-mb", type=int, default=64)
    ap.add_argument("--keys", type=int, default=1_000_000)
    ap.add_argument("--value", type=int, default=256)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    servers = one_core_servers(args.redis, args.ringdis)
    plan = [(s, p) for p in ("allkeys-lru", "allkeys-lfu") for s in ("redis", "ringdis")]
    plan.append(("ringdis", None))
    results = {}
    # Rounds alternate the servers; each figure is the median of its rounds.
    for _ in range(args.rounds):
        for s, p in plan:
            r = run(args, s, servers[s], p)
            results.setdefault((s, p), []).append(r)
    base = statistics.median(r["rps"] for r in results[("ringdis", None)])
    print(f"maxmemory {args.maxmemory_mb} MB, {args.keys:,} keys of {args.value} B written "
          f"({args.keys * args.value / 2**20 / args.maxmemory_mb:.1f}x maxmemory), then "
          f"cache-aside zipf GET/SET for {args.seconds:g} s, 50 connections; medians of "
          f"{args.rounds} rounds\n")
    print("| server | policy | hit rate | requests/s | vs no maxmemory | errors | evicted | "
          "resident keys | RSS growth (MB) | RSS / maxmemory |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for (s, p), rs in results.items():
        med = {k: statistics.median(r[k] for r in rs)
               for k in ("hit_rate", "rps", "errors", "evicted", "resident", "rss_growth_mb")}
        vs = med["rps"] / base if s == "ringdis" else float("nan")
        ratio = med["rss_growth_mb"] / args.maxmemory_mb if p else float("nan")
        print(f"| {s} | {p or 'none'} | {med['hit_rate']:.4f} | {med['rps']:,.0f} | "
              f"{vs:.2f} | {med['errors']:.0f} | {med['evicted']:,.0f} | {med['resident']:,.0f} | "
              f"{med['rss_growth_mb']:.1f} | {ratio:.2f} |")


if __name__ == "__main__":
    main()
