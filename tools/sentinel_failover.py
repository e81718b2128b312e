#!/usr/bin/env python3
"""Failover of ringdis by Redis Sentinel (Debian's redis-sentinel), loopback only, bounded in time.

A ringdis master with two ringdis replicas (each started from a config file, so Sentinel's CONFIG
REWRITE has somewhere to write), one Sentinel monitoring them (quorum 1). redis-py's Sentinel
client writes through the master; the master is killed with SIGKILL; Sentinel must promote a
replica, point the other one at it, and redis-py must follow: the data written before the kill
is on the new master, new writes succeed there and reach the remaining replica.

Usage: tools/sentinel_failover.py [--ringdis target/release/ringdis] [--timeout 120]
Exits 0 when the failover happened as described, 1 otherwise (with what was seen).
"""

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

import redis
from redis.sentinel import Sentinel


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ping(port, deadline):
    while time.time() < deadline:
        try:
            if redis.Redis(port=port, socket_timeout=1).ping():
                return
        except redis.exceptions.RedisError:
            time.sleep(0.05)
    raise SystemExit(f"nothing answered PING on port {port}")


def until(what, cond, deadline):
    while time.time() < deadline:
        try:
            if cond():
                return
        except redis.exceptions.RedisError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"timed out waiting for: {what}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ringdis", default="target/release/ringdis")
    ap.add_argument("--sentinel", default="redis-sentinel")
    ap.add_argument("--timeout", type=float, default=120)
    a = ap.parse_args()
    deadline = time.time() + a.timeout
    tmp = tempfile.mkdtemp(prefix="ringdis-sentinel-")
    procs = {}

    def start_ringdis(name, port, extra=""):
        d = os.path.join(tmp, name)
        os.makedirs(d, exist_ok=True)
        conf = os.path.join(d, "ringdis.conf")
        with open(conf, "w") as f:
            f.write(f"port {port}\ndir {d}\nappendonly yes\n{extra}")
        log = open(os.path.join(d, "log"), "w")
        procs[name] = subprocess.Popen(
            [os.path.abspath(a.ringdis), conf, "--threads", "2", "--no-pin"],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        wait_ping(port, deadline)

    ports = {n: free_port() for n in ("master", "r1", "r2", "sentinel")}
    ok = False
    try:
        start_ringdis("master", ports["master"])
        for r in ("r1", "r2"):
            start_ringdis(r, ports[r], f"replicaof 127.0.0.1 {ports['master']}\n")
        sconf = os.path.join(tmp, "sentinel.conf")
        with open(sconf, "w") as f:
            f.write(
                f"port {ports['sentinel']}\nbind 127.0.0.1\ndir {tmp}\n"
                f"sentinel monitor mymaster 127.0.0.1 {ports['master']} 1\n"
                "sentinel down-after-milliseconds mymaster 1000\n"
                "sentinel failover-timeout mymaster 10000\n"
                "sentinel parallel-syncs mymaster 1\n"
            )
        slog = open(os.path.join(tmp, "sentinel.log"), "w")
        procs["sentinel"] = subprocess.Popen(
            [a.sentinel, sconf], stdout=slog, stderr=subprocess.STDOUT
        )
        wait_ping(ports["sentinel"], deadline)
        sentinel = Sentinel([("127.0.0.1", ports["sentinel"])], socket_timeout=2)
        sc = redis.Redis(port=ports["sentinel"], decode_responses=True)
        until(
            "Sentinel sees both replicas",
            lambda: len(
                [r for r in sc.sentinel_slaves("mymaster") if "s_down" not in r["flags"]]
            )
            == 2,
            deadline,
        )
        master = sentinel.master_for("mymaster", socket_timeout=2)
        for i in range(100):
            master.set(f"before:{i}", i)
        # The writes are on both replicas before the kill (Sentinel promotes the freshest).
        assert master.wait(2, 10000) == 2, "replicas did not acknowledge the writes"
        print(f"master on {ports['master']} with replicas {ports['r1']}, {ports['r2']}; killing it")
        procs["master"].send_signal(signal.SIGKILL)
        procs["master"].wait()
        old = ("127.0.0.1", ports["master"])
        until(
            "Sentinel promotes a replica",
            lambda: sentinel.discover_master("mymaster") != old,
            deadline,
        )
        new = sentinel.discover_master("mymaster")
        print(f"Sentinel promoted {new[0]}:{new[1]}")
        until(
            "redis-py writes through the new master",
            lambda: master.set("after", "failover"),
            deadline,
        )
        got = [master.get(f"before:{i}") for i in range(100)]
        assert all(g == str(i).encode() for i, g in enumerate(got)), "data lost in failover"
        other = ports["r2"] if new[1] == ports["r1"] else ports["r1"]
        oc = redis.Redis(port=other, decode_responses=True)
        until(
            "the other replica follows the new master",
            lambda: oc.info("replication").get("master_port") == new[1]
            and oc.info("replication").get("master_link_status") == "up",
            deadline,
        )
        until("the write reaches it", lambda: oc.get("after") == "failover", deadline)
        # Sentinel's CONFIG REWRITE kept the roles in the files: a restart keeps them.
        promoted = "r1" if new[1] == ports["r1"] else "r2"
        other_name = "r2" if promoted == "r1" else "r1"
        conf = lambda n: open(os.path.join(tmp, n, "ringdis.conf")).read()  # noqa: E731
        until("the promoted replica's file says master", lambda: "replicaof" not in conf(promoted),
              deadline)
        until("the other replica's file names the new master",
              lambda: f"replicaof 127.0.0.1 {new[1]}" in conf(other_name), deadline)
        role = redis.Redis(port=new[1]).role()
        print(f"new master ROLE: {role}")
        ok = True
        print("sentinel failover: OK")
    finally:
        for p in procs.values():
            if p.poll() is None:
                p.kill()
                p.wait()
        if not ok:
            for name in ("sentinel.log", "master/log", "r1/log", "r2/log"):
                path = os.path.join(tmp, name)
                if os.path.exists(path):
                    print(f"--- {name}")
                    print(open(path).read()[-3000:])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
