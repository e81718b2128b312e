#!/usr/bin/env python3
"""redis-py against a running ringdis, with default settings (RESP3 in redis-py 8) and protocol=2:
set/get, hashes, expire, scan, pipeline, and what apps build on the other types: a queue (lists,
BLPOP), sets, a leaderboard (sorted sets), an event log (streams, XREAD), transactions with WATCH,
and pub/sub; client-side caching invalidations (CLIENT TRACKING) as redis-py receives them.
Exits non-zero on the first mismatch.

usage: redis_py_smoke.py PORT
"""
import sys

import redis


def workload(r: redis.Redis, tag: str) -> None:
    r.flushdb()
    assert r.set("mykey", "Hello, Redis!") is True
    assert r.get("mykey") == b"Hello, Redis!"
    assert r.get("missing") is None
    assert r.hset("user:1", mapping={"name": "Alice", "email": "alice@example.com"}) == 2
    assert r.hget("user:1", "name") == b"Alice"
    assert r.hgetall("user:1") == {b"name": b"Alice", b"email": b"alice@example.com"}
    assert r.hincrby("user:1", "visits", 3) == 3
    assert r.hincrbyfloat("user:1", "score", 1.5) == 1.5
    assert r.incr("counter") == 1 and r.incrby("counter", 9) == 10
    assert r.incrbyfloat("f", 0.5) == 0.5
    assert r.expire("mykey", 100) is True
    assert 0 < r.ttl("mykey") <= 100
    assert r.persist("mykey") is True and r.ttl("mykey") == -1
    r.set("tmp", "x", px=100000)
    assert r.pttl("tmp") > 0
    for i in range(300):
        r.set(f"scan:{i}", i)
    keys = set(r.scan_iter(match="scan:*", count=25))
    assert len(keys) == 300, len(keys)
    assert r.type("user:1") == b"hash" and r.exists("user:1", "nope") == 1
    p = r.pipeline(transaction=False)
    for i in range(100):
        p.set(f"p:{i}", i)
        p.get(f"p:{i}")
    out = p.execute()
    assert out[1::2] == [str(i).encode() for i in range(100)]
    assert r.mget("p:1", "nope", "p:2") == [b"1", None, b"2"]
    assert r.delete("p:1", "p:2", "nope") == 2
    try:
        r.hget("mykey", "f")
        raise AssertionError("no WRONGTYPE")
    except redis.ResponseError as e:
        assert str(e).startswith("WRONGTYPE"), e
    info = r.info()
    assert info["redis_version"] and "connected_clients" in info
    assert r.config_get("maxclients")["maxclients"]
    assert r.client_id() > 0
    apps(r)
    resp = r.client_info().get("resp")
    print(f"redis-py {redis.__version__} {tag} (RESP{resp}): ok")


def apps(r: redis.Redis) -> None:
    # A work queue.
    assert r.rpush("jobs", "a", "b") == 2
    # redis-py gives tuples over RESP2 and lists over RESP3: compare as tuples.
    assert tuple(r.blpop(["jobs"], timeout=1)) == (b"jobs", b"a")
    assert r.lpop("jobs") == b"b" and r.blpop(["jobs"], timeout=0.05) is None
    # Sets.
    r.sadd("tags:1", "x", "y", "z")
    r.sadd("tags:2", "y", "z")
    assert r.sinter("tags:1", "tags:2") == {b"y", b"z"} and r.scard("tags:1") == 3
    # A leaderboard.
    r.zadd("board", {"alice": 10, "bob": 7, "carol": 12})
    r.zincrby("board", 5, "bob")
    top = [tuple(x) for x in r.zrevrange("board", 0, 1, withscores=True)]
    assert top == [(b"carol", 12.0), (b"bob", 12.0)], top
    assert r.zrank("board", "alice") == 0 and r.zscore("board", "bob") == 12.0
    # An event log.
    first = r.xadd("events", {"type": "login"})
    r.xadd("events", {"type": "logout"})
    assert [e[1] for e in r.xrange("events")] == [{b"type": b"login"}, {b"type": b"logout"}]
    got = r.xread({"events": first})
    entries = got[b"events"][0] if isinstance(got, dict) else got[0][1]
    assert [e[1] for e in entries] == [{b"type": b"logout"}], got
    # A transaction guarded by WATCH.
    with r.pipeline() as p:
        p.watch("balance")
        p.multi()
        p.incrby("balance", 5)
        p.incrby("balance", 5)
        assert p.execute() == [5, 10]
    # Pub/sub.
    ps = r.pubsub()
    ps.subscribe("news")
    assert ps.get_message(timeout=1)["type"] == "subscribe"
    assert r.publish("news", "hello") == 1
    msg = ps.get_message(timeout=1)
    assert msg and msg["type"] == "message" and msg["data"] == b"hello", msg
    ps.close()


def tracking(port: int) -> None:
    """Client-side caching as redis-py does it against Redis 7.0 (its own cache wants 7.4):
    invalidations pushed in-band over RESP3, and over RESP2 redirected to a subscribed
    connection on __redis__:invalidate."""
    w = redis.Redis(port=port)
    w.delete("cached:1", "cached:2")
    c3 = redis.Redis(port=port, protocol=3, single_connection_client=True)
    got = []
    c3.connection._parser.set_invalidation_push_handler(got.append)
    assert c3.client_tracking_on() in (True, b"OK")
    assert c3.get("cached:1") is None
    w.set("cached:1", "v")
    assert c3.ping() is True
    assert got == [[b"invalidate", [b"cached:1"]]], got
    inv = redis.Redis(port=port, protocol=2).pubsub()
    inv.subscribe("__redis__:invalidate")
    assert inv.get_message(timeout=1)["type"] == "subscribe"
    cid = next(int(c["id"]) for c in w.client_list() if c["cmd"] == "subscribe")
    c2 = redis.Redis(port=port, protocol=2, single_connection_client=True)
    assert c2.client_tracking_on(clientid=cid) in (True, b"OK")
    assert c2.get("cached:2") is None
    w.set("cached:2", "v")
    msg = inv.get_message(timeout=1)
    assert msg["channel"] == b"__redis__:invalidate" and msg["data"] == [b"cached:2"], msg
    inv.close()
    print(f"redis-py {redis.__version__} client tracking (RESP3 push, RESP2 redirect): ok")


def main() -> None:
    port = int(sys.argv[1])
    tracking(port)
    workload(redis.Redis(port=port), "default settings")
    workload(redis.Redis(port=port, protocol=2), "protocol=2")
    workload(redis.Redis(port=port, protocol=3), "protocol=3")


if __name__ == "__main__":
    main()
