"""What the benchmark scripts in tools/ share: free ports, a server's CPU time and RSS, waiting
for PONG, a server run for a block, RESP encoding, the scripting benchmark's script."""
import contextlib
import hashlib
import os
import socket
import subprocess
import tempfile
import time

HZ = os.sysconf("SC_CLK_TCK")


def pick_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_cpu(pid: int) -> float:
    """utime + stime of all the process's threads, in seconds (from /proc)."""
    stat = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(stat[11]) + int(stat[12])) / HZ


def wait_pong(port: int, proc=None, timeout: float = 120) -> None:
    """Waits until the server on `port` answers PING (and fails if `proc` exits first)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc is not None and proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                if s.recv(16).startswith(b"+PONG"):
                    return
        except OSError:
            time.sleep(0.02)
    raise SystemExit(f"no PONG on port {port}")


# The scripting benchmark's script (EVALSHA with one key): a write and a read through redis.call.
SCRIPT = "redis.call('INCR', KEYS[1]) return redis.call('GET', KEYS[1])"
SCRIPT_SHA = hashlib.sha1(SCRIPT.encode()).hexdigest()


def load_script(port: int) -> None:
    """SCRIPT LOAD of SCRIPT into the server on `port` (plain TCP, default user)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(resp("SCRIPT", "LOAD", SCRIPT))
        reply = s.recv(64)
    if reply != b"$40\r\n%s\r\n" % SCRIPT_SHA.encode():
        raise SystemExit(f"SCRIPT LOAD on port {port} answered {reply!r}")


def rss(pid: int) -> int:
    """The process's resident set size in bytes (/proc/PID/status VmRSS)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def resp(*args) -> bytes:
    """One command as a RESP multibulk request."""
    parts = [b"*%d\r\n" % len(args)]
    for a in args:
        b = a if isinstance(a, bytes) else str(a).encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(b), b))
    return b"".join(parts)


@contextlib.contextmanager
def serving(argv, cpu=None):
    """Runs a server for the block: `argv` with {port} and {dir} filled in (a fresh temporary
    directory), pinned to `cpu` if given, output discarded; yields (port, process, dir) once it
    answers PING, and kills it afterwards."""
    port = pick_port()
    with tempfile.TemporaryDirectory() as d:
        full = [a.format(port=port, dir=d) for a in argv]
        if cpu is not None:
            full = ["taskset", "-c", str(cpu)] + full
        p = subprocess.Popen(full, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_pong(port, p)
            yield port, p, d
        finally:
            p.kill()
            p.wait()


def one_core_servers(redis: str, ringdis: str) -> dict:
    """Command lines (for `serving`) of redis-server and ringdis on one core each, without
    persistence: the pair most benchmarks here compare."""
    return {
        "redis": [redis, "--port", "{port}", "--save", "", "--appendonly", "no",
                  "--dir", "{dir}"],
        "ringdis": [ringdis, "--port", "{port}", "--threads", "1", "--appendonly", "no",
                    "--dir", "{dir}"],
    }


def pair_args(ap, rounds: int = 3):
    """The arguments every redis-server-beside-ringdis data benchmark takes."""
    ap.add_argument("--ringdis", default="target/release/ringdis")
    ap.add_argument("--redis", default="redis-server")
    ap.add_argument("--keys", type=int, default=1_000_000)
    ap.add_argument("--rounds", type=int, default=rounds)


def set_keys(n: int) -> bytes:
    """`SET key:<10 digits> <16 bytes>` for n keys, as RESP for `redis-cli --pipe`."""
    return b"".join(resp("SET", b"key:%010d" % i, b"v" * 16) for i in range(n))
