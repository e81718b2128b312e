#!/usr/bin/env python3
"""What a careless or hostile client costs ringdis and redis-server, side by side.

Each server is started fresh for each case (one executor for ringdis, AOF off); RSS is read from
/proc/PID/status before and after, and a PING from another connection shows the server still
answers. Cases:

- trickle: 20 clients announce a 500 MB bulk (SET) and send 64 KB of it, 1 KB at a time.
- argv: 20 clients each send one command of a million arguments, then stay idle.
- pipeline: with client-output-buffer-limit normal 64mb, a client pipelines 2,000 GETs of a
  100 KB value and never reads (dropped? at what RSS?).
- exec: the same limit, one MULTI of 1,000 such GETs and EXEC, never read.
- noread: no output limit (the default): the 2,000 GETs, never read.

usage: tools/client_bounds_vs_redis.py [--ringdis target/release/ringdis] [--redis redis-server]
"""
import argparse
import os
import socket
import subprocess
import tempfile
import threading
import time

from benchlib import pick_port, wait_pong


def rss_mb(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def enc(*args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out


def cmd(s, *args):
    s.sendall(enc(*args))
    data = b""
    while not data.endswith(b"\r\n"):
        data += s.recv(1 << 16)
    return data


def start(kind, a):
    port = pick_port()
    d = tempfile.mkdtemp(prefix="bounds-")
    if kind == "ringdis":
        argv = [a.ringdis, "--port", str(port), "--threads", "1", "--appendonly", "no", "--dir", d]
    else:
        argv = [a.redis, "--port", str(port), "--save", "", "--appendonly", "no", "--dir", d]
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_pong(port, p)
    return p, port


def conn(port):
    s = socket.create_connection(("127.0.0.1", port))
    s.settimeout(30)
    return s


def connected(port, s):
    """Whether the server still lists the client behind socket `s`."""
    addr = "%s:%d" % s.getsockname()
    with conn(port) as c:
        c.sendall(enc("CLIENT", "LIST"))
        time.sleep(0.05)
        return addr.encode() in c.recv(1 << 20)


def case_trickle(port, pid):
    socks = [conn(port) for _ in range(20)]
    for s in socks:
        s.sendall(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$524288000\r\n")
    ping = conn(port)
    for _ in range(64):
        for s in socks:
            s.sendall(b"x" * 1024)
        cmd(ping, "PING")
    time.sleep(0.5)
    return "", socks


def case_argv(port, pid):
    req = b"*1000000\r\n$4\r\nPING\r\n" + b"$1\r\na\r\n" * 999999
    socks = [conn(port) for _ in range(20)]
    for s in socks:
        s.sendall(req)
        s.recv(1 << 16)
    time.sleep(0.5)
    return "", socks


def pipeline_of_gets(port, n, limit):
    with conn(port) as c:
        cmd(c, "SET", "big", b"v" * 100 * 1024)
        if limit:
            cmd(c, "CONFIG", "SET", "client-output-buffer-limit", "normal %s 0 0" % limit)
    s = conn(port)
    payload = enc("GET", "big") * n
    threading.Thread(target=lambda: s.sendall(payload), daemon=True).start()
    return s


def case_pipeline(port, pid):
    s = pipeline_of_gets(port, 2000, "64mb")
    time.sleep(3)
    return "client still connected: %s" % connected(port, s), [s]


def case_exec(port, pid):
    with conn(port) as c:
        cmd(c, "SET", "big", b"v" * 100 * 1024)
        cmd(c, "CONFIG", "SET", "client-output-buffer-limit", "normal 64mb 0 0")
    s = conn(port)
    s.sendall(enc("MULTI") + enc("GET", "big") * 1000 + enc("EXEC"))
    time.sleep(3)
    return "client still connected: %s" % connected(port, s), [s]


def case_noread(port, pid):
    s = pipeline_of_gets(port, 2000, None)
    time.sleep(3)
    return "client still connected: %s" % connected(port, s), [s]


CASES = [
    ("trickle", case_trickle),
    ("argv", case_argv),
    ("pipeline", case_pipeline),
    ("exec", case_exec),
    ("noread", case_noread),
]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ringdis", default="target/release/ringdis")
    ap.add_argument("--redis", default="redis-server")
    a = ap.parse_args()
    a.ringdis = os.path.abspath(a.ringdis)
    print("| case | server | RSS before MB | RSS after MB | PING ms | note |")
    print("|---|---|---|---|---|---|")
    for name, fn in CASES:
        for kind in ("ringdis", "redis"):
            p, port = start(kind, a)
            try:
                before = rss_mb(p.pid)
                note, socks = fn(port, p.pid)
                with conn(port) as c:
                    t = time.time()
                    cmd(c, "PING")
                    ping_ms = (time.time() - t) * 1000
                after = rss_mb(p.pid)
                print(f"| {name} | {kind} | {before:.1f} | {after:.1f} | {ping_ms:.1f} | {note} |")
                for s in socks:
                    s.close()
            finally:
                p.kill()
                p.wait()


if __name__ == "__main__":
    main()
