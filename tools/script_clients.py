#!/usr/bin/env python3
"""Real client code that runs on scripts, against a server (CI runs it on ringdis):

- redis-py's Lock (its acquire/release/extend are Lua scripts) across threads keeps a shared
  counter exact: each thread reads, waits, and writes it back under the lock.
- A sliding-window rate limiter (a sorted set of request times, one script per request) lets
  exactly its limit through per window.
- A script that builds the keys it writes from ARGV (not declared in KEYS, as job-queue
  libraries do) writes them all, and they read back from every connection.

Usage: script_clients.py PORT. Exits 0 when every check holds.
"""
import sys
import threading
import time

import redis

RATE_LIMIT = """
local key, now, window, limit = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
if redis.call('ZCARD', key) < limit then
    redis.call('ZADD', key, now, ARGV[4])
    redis.call('PEXPIRE', key, window)
    return 1
end
return 0
"""

ARGV_KEYS = """
local prefix, n = ARGV[1], tonumber(ARGV[2])
for i = 1, n do
    redis.call('HSET', prefix .. ':' .. i, 'n', i, 'sq', i * i)
    redis.call('RPUSH', prefix .. ':index', prefix .. ':' .. i)
end
return redis.call('LLEN', prefix .. ':index')
"""


def check(cond, what):
    if not cond:
        print("FAILED: " + what)
        sys.exit(1)
    print("ok: " + what)


def lock_counter(port):
    r = redis.Redis(port=port)
    r.delete("sc:counter", "sc:lock")
    r.set("sc:counter", 0)
    threads, rounds = 8, 25
    errors = []

    def work():
        c = redis.Redis(port=port)
        try:
            for _ in range(rounds):
                with c.lock("sc:lock", timeout=5, blocking_timeout=30):
                    v = int(c.get("sc:counter"))
                    time.sleep(0.0005)
                    c.set("sc:counter", v + 1)
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    ts = [threading.Thread(target=work) for _ in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    check(not errors, "Lock raised nothing: %r" % errors[:1])
    check(int(r.get("sc:counter")) == threads * rounds, "Lock kept the counter exact")
    lock = r.lock("sc:lock2", timeout=10)
    check(lock.acquire(blocking=False), "Lock acquires")
    check(not r.lock("sc:lock2").acquire(blocking=False), "a second Lock is refused")
    check(lock.extend(5), "Lock extends (a script)")
    lock.release()
    check(r.lock("sc:lock2").acquire(blocking=False), "released, it acquires again")


def rate_limiter(port):
    r = redis.Redis(port=port)
    r.delete("sc:rate")
    limiter = r.register_script(RATE_LIMIT)
    now = int(time.time() * 1000)
    allowed = sum(limiter(keys=["sc:rate"], args=[now + i, 10000, 5, "req%d" % i]) for i in range(12))
    check(allowed == 5, "the rate limiter let 5 of 12 through in one window")
    later = now + 20000
    check(limiter(keys=["sc:rate"], args=[later, 10000, 5, "late"]) == 1, "a new window lets one more")
    check(r.zcard("sc:rate") == 1, "the old window's requests were dropped")


def argv_keys(port):
    r = redis.Redis(port=port)
    r.delete("sc:items:index", *["sc:items:%d" % i for i in range(1, 51)])
    script = r.register_script(ARGV_KEYS)
    check(script(keys=[], args=["sc:items", 50]) == 50, "a script wrote 50 keys named from ARGV")
    for _ in range(4):
        c = redis.Redis(port=port)
        check(c.hget("sc:items:37", "sq") == b"1369", "another connection reads them")


def main():
    port = int(sys.argv[1])
    lock_counter(port)
    rate_limiter(port)
    argv_keys(port)
    print("script clients passed")


if __name__ == "__main__":
    main()
