//! CONFIG GET and SET over Redis 7.0's whole parameter table: names and aliases (the list is
//! redis-server 7.0.15's CONFIG GET *), types, ranges, enums, immutable and protected
//! parameters, Redis's error texts, and CONFIG SET's all-or-nothing rule.

mod common;
use common::{check_replies, q, TestServer};
use std::collections::BTreeSet;

#[test]
fn every_redis_parameter_is_known() {
    let srv = TestServer::start(1);
    let mut c = srv.client();
    let all: Vec<String> = q(&mut c, &["CONFIG", "GET", "*"]);
    let ours: BTreeSet<&str> = all.chunks(2).map(|kv| kv[0].as_str()).collect();
    let fixture = std::fs::read_to_string("tests/fixtures/redis70_config_names.txt").unwrap();
    let theirs: BTreeSet<&str> = fixture.lines().collect();
    assert_eq!(ours, theirs);
    // Aliases read and write the same value.
    q::<()>(
        &mut c,
        &["CONFIG", "SET", "hash-max-ziplist-entries", "100"],
    );
    let v: Vec<String> = q(&mut c, &["CONFIG", "GET", "hash-max-listpack-entries"]);
    assert_eq!(v, ["hash-max-listpack-entries", "100"]);
    q::<()>(&mut c, &["CONFIG", "SET", "busy-reply-threshold", "1234"]);
    let v: Vec<String> = q(&mut c, &["CONFIG", "GET", "lua-time-limit"]);
    assert_eq!(v, ["lua-time-limit", "1234"]);
    q::<()>(&mut c, &["CONFIG", "SET", "save", "10 20 30 40"]);
    let v: Vec<String> = q(&mut c, &["CONFIG", "GET", "save"]);
    assert_eq!(v, ["save", "10 20 30 40"]);
}

#[test]
fn checks_and_errors_as_redis() {
    let srv = TestServer::start(1);
    let mut r = srv.raw();
    let failed = |name: &str, why: &str| {
        format!("-ERR CONFIG SET failed (possibly related to argument '{name}') - {why}\r\n")
    };
    check_replies(
        &mut r,
        &[
            ("CONFIG SET hz 10 hz 11", &failed("hz", "duplicate parameter")),
            ("CONFIG SET hz 10 HZ 11", &failed("HZ", "duplicate parameter")),
            ("CONFIG SET hz 10 lua-time-limit", "-ERR syntax error\r\n"),
            ("CONFIG SET nosuch 1", "-ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'\r\n"),
            ("CONFIG SET dir /tmp", &failed("dir", "can't set protected config")),
            ("CONFIG SET daemonize no", &failed("daemonize", "can't set immutable config")),
            ("CONFIG SET hz +5", &failed("hz", "argument couldn't be parsed into an integer")),
            ("CONFIG SET timeout -1", &failed("timeout", "argument must be between 0 and 2147483647 inclusive")),
            ("CONFIG SET proto-max-bulk-len 1000", &failed("proto-max-bulk-len", "argument must be between 1048576 and 9223372036854775807 inclusive")),
            ("CONFIG SET stream-node-max-bytes 1x", &failed("stream-node-max-bytes", "argument must be a memory value")),
            ("CONFIG SET maxmemory-clients x", &failed("maxmemory-clients", "argument must be a memory or percent value")),
            ("CONFIG SET lazyfree-lazy-expire maybe", &failed("lazyfree-lazy-expire", "argument must be 'yes' or 'no'")),
            ("CONFIG SET maxmemory-policy bad", &failed("maxmemory-policy", "argument(s) must be one of the following: volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction")),
            ("CONFIG SET save 10", &failed("save", "Invalid save parameters")),
            ("CONFIG SET oom-score-adj-values 1", &failed("oom-score-adj-values", "wrong number of arguments")),
            ("CONFIG SET latency-tracking-info-percentiles 101", &failed("latency-tracking-info-percentiles", "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]")),
            ("CONFIG SET maxmemory-policy ALLKEYS-LRU", "+OK\r\n"),
            ("CONFIG GET maxmemory-policy", "*2\r\n$16\r\nmaxmemory-policy\r\n$11\r\nallkeys-lru\r\n"),
            ("CONFIG SET maxmemory 1kb maxmemory-clients 10%", "+OK\r\n"),
            ("CONFIG GET maxmemory", "*2\r\n$9\r\nmaxmemory\r\n$4\r\n1024\r\n"),
            ("CONFIG GET maxmemory-clients", "*2\r\n$17\r\nmaxmemory-clients\r\n$3\r\n10%\r\n"),
            // 1 kB would now evict everything and refuse writes, as Redis would.
            ("CONFIG SET maxmemory 0", "+OK\r\n"),
            ("CONFIG SET hz 1000", "+OK\r\n"),
            ("CONFIG GET hz", "*2\r\n$2\r\nhz\r\n$3\r\n500\r\n"),

            // All or nothing: a bad value leaves the good ones before it unset.
            ("CONFIG SET hz 20 maxmemory-policy bad", &failed("maxmemory-policy", "argument(s) must be one of the following: volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction")),
            ("CONFIG GET hz", "*2\r\n$2\r\nhz\r\n$3\r\n500\r\n"),
            ("CONFIG SET hll-sparse-max-bytes 0", "+OK\r\n"),
            // A sparse HLL past hll-sparse-max-bytes turns dense at once.
            ("PFADD h a", ":1\r\n"),
            ("PFDEBUG ENCODING h", "+dense\r\n"),
        ],
    );
}
