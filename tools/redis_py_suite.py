#!/usr/bin/env python3
"""Runs redis-py 8.1.0's own test suite (from its source distribution) against ringdis and,
when redis-server is installed, against redis-server 7.0 as well, and prints both summaries
and the tests that fail only on ringdis.

    tools/redis_py_suite.py [--ringdis target/release/ringdis] [--redis redis-server]
                            [--work target/redis-py-suite] [-k EXPR]

The suite runs as redis-py's CI runs it against one server: markers
`not onlycluster and not redismod and not ssl and not replica`, the files below, each server
started fresh on a free port (both with --enable-debug-command yes). A virtual
environment with the suite's requirements is made once under --work (it needs the package
index the first time). CI does not run this (it takes minutes); the README has its result.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import pick_port, wait_pong  # noqa: E402

VERSION = "8.1.0"
FILES = [
    "tests/test_commands.py",
    "tests/test_pipeline.py",
    "tests/test_pubsub.py",
    "tests/test_connection.py",
    "tests/test_connection_pool.py",
    "tests/test_lock.py",
    "tests/test_scripting.py",
    "tests/test_encoding.py",
    "tests/test_multiprocessing.py",
    "tests/test_monitor.py",
    "tests/test_retry.py",
    "tests/test_function.py",
    "tests/test_asyncio/test_commands.py",
    "tests/test_asyncio/test_pipeline.py",
    "tests/test_asyncio/test_pubsub.py",
    "tests/test_asyncio/test_lock.py",
]
MARKERS = "not onlycluster and not redismod and not ssl and not replica"
REQUIREMENTS = [
    "pytest",
    "pytest-asyncio>=0.24.0",
    "pytest-timeout",
    "numpy",
    "ujson",
    "packaging",
    "pybreaker",
    "aiohttp",
    "xxhash",
    "redis-entraid==1.2.1",
    "opentelemetry-api",
    "opentelemetry-sdk",
    "opentelemetry-exporter-otlp-proto-http",
]


def sh(*args, **kw):
    print("+", " ".join(args), flush=True)
    subprocess.run(args, check=True, **kw)


def prepare(work):
    """The unpacked suite and a virtual environment's python that can run it."""
    src = os.path.join(work, f"redis-{VERSION}")
    venv = os.path.join(work, "venv")
    py = os.path.join(venv, "bin", "python")
    if not os.path.isdir(src):
        os.makedirs(work, exist_ok=True)
        sh(sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
           f"redis=={VERSION}", "-d", work)
        sh("tar", "xzf", os.path.join(work, f"redis-{VERSION}.tar.gz"), "-C", work)
    if not os.path.exists(py):
        sh(sys.executable, "-m", "venv", venv)
        sh(py, "-m", "pip", "install", "-q", *REQUIREMENTS)
        # The client under test is the one the suite ships with.
        sh(py, "-m", "pip", "install", "-q", src)
    return src, py


def run_suite(src, py, argv, name, extra):
    port = pick_port()
    d = tempfile.mkdtemp(prefix=f"redis-py-{name}-")
    proc = subprocess.Popen(
        [a.format(port=port, dir=d) for a in argv],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_pong(port, proc)
        cmd = [py, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", MARKERS,
               f"--redis-url=redis://localhost:{port}/0", "-rf", "--timeout=60", *extra, *FILES]
        print("+", " ".join(cmd), flush=True)
        out = subprocess.run(cmd, cwd=src, capture_output=True, text=True)
        text = out.stdout + out.stderr
        with open(os.path.join(d, "pytest.log"), "w") as f:
            f.write(text)
        summary = [l for l in text.splitlines() if re.search(r"\d+ (passed|failed)", l)]
        failed = sorted(set(re.findall(r"^FAILED (\S+)", text, re.M)))
        return (summary[-1] if summary else "no summary (see " + d + "/pytest.log)"), failed
    finally:
        proc.kill()
        proc.wait()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ringdis", default="target/release/ringdis")
    ap.add_argument("--redis", default="redis-server")
    ap.add_argument("--work", default="target/redis-py-suite")
    ap.add_argument("-k", help="pytest -k expression (a subset of the tests)")
    o = ap.parse_args()
    src, py = prepare(os.path.abspath(o.work))
    extra = ["-k", o.k] if o.k else []
    ours = run_suite(
        src, py,
        [os.path.abspath(o.ringdis), "--port", "{port}", "--dir", "{dir}", "--threads", "2",
         "--enable-debug-command", "yes"],
        "ringdis", extra,
    )
    theirs = None
    if subprocess.run(["which", o.redis], capture_output=True).returncode == 0:
        theirs = run_suite(
            src, py,
            [o.redis, "--port", "{port}", "--dir", "{dir}", "--save", "",
             "--enable-debug-command", "yes"],
            "redis", extra,
        )
    print(f"ringdis:      {ours[0]}")
    if theirs:
        print(f"redis-server: {theirs[0]}")
        only = [t for t in ours[1] if t not in theirs[1]]
        print(f"\nfailing on ringdis only ({len(only)}):")
    else:
        only = ours[1]
        print(f"\nfailing on ringdis ({len(only)}):")
    for t in only:
        print("  " + t)


if __name__ == "__main__":
    main()
