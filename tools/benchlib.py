"""What the benchmark scripts in tools/ share: free ports, a server's CPU time, waiting for PONG."""
import os
import socket
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
