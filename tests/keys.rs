//! Key commands: DEL/EXISTS/TYPE, KEYS/SCAN, RENAME, TTLs and expiry (lazy and active).

mod common;
use common::{check_replies as check, eventually, expect_replies, q, TestServer};
use std::collections::HashSet;

#[test]
fn del_exists_type_rename() {
    let srv = TestServer::start(2);
    let mut c = srv.client();
    q::<()>(&mut c, &["MSET", "a", "1", "b", "2"]);
    q::<i64>(&mut c, &["HSET", "h", "f", "v"]);
    assert_eq!(
        q::<i64>(&mut c, &["EXISTS", "a", "b", "h", "nokey", "a"]),
        4
    );
    assert_eq!(q::<i64>(&mut c, &["TOUCH", "a", "nokey"]), 1);
    assert_eq!(q::<String>(&mut c, &["TYPE", "a"]), "string");
    assert_eq!(q::<String>(&mut c, &["TYPE", "h"]), "hash");
    assert_eq!(q::<String>(&mut c, &["TYPE", "nokey"]), "none");
    assert_eq!(q::<i64>(&mut c, &["DEL", "a", "h", "nokey"]), 2);
    assert_eq!(q::<i64>(&mut c, &["UNLINK", "b"]), 1);
    assert_eq!(q::<i64>(&mut c, &["DBSIZE"]), 0);
    // RENAME moves value and TTL, across types.
    q::<()>(&mut c, &["SET", "src", "v", "EX", "100"]);
    q::<i64>(&mut c, &["HSET", "dst", "f", "v"]);
    assert_eq!(q::<String>(&mut c, &["RENAME", "src", "dst"]), "OK");
    assert_eq!(q::<String>(&mut c, &["TYPE", "dst"]), "string");
    assert!(q::<i64>(&mut c, &["TTL", "dst"]) > 0);
    assert_eq!(q::<i64>(&mut c, &["EXISTS", "src"]), 0);
    q::<i64>(&mut c, &["HSET", "h2", "f", "v"]);
    assert_eq!(q::<i64>(&mut c, &["RENAMENX", "h2", "dst"]), 0);
    assert_eq!(q::<i64>(&mut c, &["RENAMENX", "h2", "h3"]), 1);
    assert_eq!(q::<String>(&mut c, &["HGET", "h3", "f"]), "v");
    assert_eq!(q::<String>(&mut c, &["RENAME", "h3", "h3"]), "OK");
    let mut r = srv.raw();
    assert_eq!(r.cmd(&[b"RENAME", b"nokey", b"x"]), b"-ERR no such key\r\n");
    assert_eq!(
        r.cmd(&[b"RENAMENX", b"nokey", b"x"]),
        b"-ERR no such key\r\n"
    );
    assert_eq!(
        r.cmd(&[b"DEL"]),
        b"-ERR wrong number of arguments for 'del' command\r\n"
    );
}

#[test]
fn keys_scan_randomkey() {
    let srv = TestServer::start(2);
    let mut c = srv.client();
    assert_eq!(q::<Option<String>>(&mut c, &["RANDOMKEY"]), None);
    for i in 0..500 {
        q::<()>(&mut c, &["SET", &format!("user:{i}"), "x"]);
    }
    for i in 0..100 {
        q::<i64>(&mut c, &["HSET", &format!("hash:{i}"), "f", "v"]);
    }
    assert_eq!(q::<Vec<String>>(&mut c, &["KEYS", "*"]).len(), 600);
    assert_eq!(q::<Vec<String>>(&mut c, &["KEYS", "user:1?"]).len(), 10);
    assert_eq!(q::<Vec<String>>(&mut c, &["KEYS", "hash:[0-4]"]).len(), 5);
    let rk: String = q(&mut c, &["RANDOMKEY"]);
    assert!(rk.starts_with("user:") || rk.starts_with("hash:"));
    let scan_all = |c: &mut redis::Connection, extra: &[&str]| -> Vec<String> {
        let mut out = Vec::new();
        let mut cursor = "0".to_string();
        loop {
            let mut args = vec!["SCAN", cursor.as_str()];
            args.extend_from_slice(extra);
            let (next, keys): (String, Vec<String>) = q(c, &args);
            out.extend(keys);
            cursor = next;
            if cursor == "0" {
                return out;
            }
        }
    };
    let all: HashSet<String> = scan_all(&mut c, &[]).into_iter().collect();
    assert_eq!(all.len(), 600);
    let users = scan_all(&mut c, &["MATCH", "user:*", "COUNT", "7"]);
    assert_eq!(users.iter().collect::<HashSet<_>>().len(), 500);
    let hashes = scan_all(&mut c, &["TYPE", "hash", "COUNT", "1000"]);
    assert_eq!(hashes.iter().collect::<HashSet<_>>().len(), 100);
    assert!(hashes.iter().all(|k| k.starts_with("hash:")));
    let mut r = srv.raw();
    assert_eq!(r.cmd(&[b"SCAN", b"abc"]), b"-ERR invalid cursor\r\n");
    // Like strtoul, a negative cursor wraps around: "-1" is the last cursor, and the scan ends.
    assert!(r.cmd(&[b"SCAN", b"-1"]).starts_with(b"*2\r\n$1\r\n0\r\n"));
    assert_eq!(r.cmd(&[b"SCAN", b"0", b"COUNT"]), b"-ERR syntax error\r\n");
    assert_eq!(
        r.cmd(&[b"SCAN", b"0", b"BOGUS", b"1"]),
        b"-ERR syntax error\r\n"
    );
}

#[test]
fn scan_survives_writes_during_the_scan() {
    let srv = TestServer::start(1);
    let mut c = srv.client();
    for i in 0..2000 {
        q::<()>(&mut c, &["SET", &format!("stable:{i}"), "x"]);
    }
    let mut seen = HashSet::new();
    let mut cursor = "0".to_string();
    let mut round = 0;
    loop {
        let (next, keys): (String, Vec<String>) = q(&mut c, &["SCAN", &cursor, "COUNT", "50"]);
        seen.extend(keys);
        // Grow the keyspace a lot mid-scan: the virtual table size changes between calls. One
        // pipeline per round keeps the test's run short (the scan takes hundreds of rounds).
        let mut grow = redis::pipe();
        for j in 0..200 {
            grow.cmd("SET")
                .arg(format!("churn:{round}:{j}"))
                .arg("x")
                .ignore();
        }
        grow.query::<()>(&mut c).unwrap();
        round += 1;
        cursor = next;
        if cursor == "0" {
            break;
        }
    }
    let stable = seen.iter().filter(|k| k.starts_with("stable:")).count();
    assert_eq!(
        stable, 2000,
        "every key present for the whole scan is returned"
    );
}

#[test]
fn expire_family() {
    let srv = TestServer::start(1);
    let mut c = srv.client();
    let mut r = srv.raw();
    q::<()>(&mut c, &["SET", "k", "v"]);
    assert_eq!(q::<i64>(&mut c, &["TTL", "k"]), -1);
    assert_eq!(q::<i64>(&mut c, &["TTL", "nokey"]), -2);
    assert_eq!(q::<i64>(&mut c, &["PTTL", "nokey"]), -2);
    assert_eq!(q::<i64>(&mut c, &["EXPIRETIME", "k"]), -1);
    assert_eq!(q::<i64>(&mut c, &["EXPIRE", "nokey", "10"]), 0);
    assert_eq!(q::<i64>(&mut c, &["EXPIRE", "k", "100", "XX"]), 0);
    assert_eq!(q::<i64>(&mut c, &["EXPIRE", "k", "100", "NX"]), 1);
    assert_eq!(q::<i64>(&mut c, &["EXPIRE", "k", "200", "NX"]), 0);
    assert_eq!(q::<i64>(&mut c, &["EXPIRE", "k", "50", "GT"]), 0);
    assert_eq!(q::<i64>(&mut c, &["EXPIRE", "k", "200", "GT"]), 1);
    assert_eq!(q::<i64>(&mut c, &["EXPIRE", "k", "300", "LT"]), 0);
    assert_eq!(q::<i64>(&mut c, &["EXPIRE", "k", "150", "LT"]), 1);
    assert_eq!(q::<i64>(&mut c, &["TTL", "k"]), 150);
    assert_eq!(q::<i64>(&mut c, &["PEXPIRE", "k", "100000"]), 1);
    assert!((99_000..=100_000).contains(&q::<i64>(&mut c, &["PTTL", "k"])));
    let now: i64 = q::<Vec<String>>(&mut c, &["TIME"])[0].parse().unwrap();
    assert_eq!(
        q::<i64>(&mut c, &["EXPIREAT", "k", &(now + 500).to_string()]),
        1
    );
    assert_eq!(q::<i64>(&mut c, &["EXPIRETIME", "k"]), now + 500);
    assert_eq!(
        q::<i64>(
            &mut c,
            &["PEXPIREAT", "k", &((now + 600) * 1000).to_string()]
        ),
        1
    );
    assert_eq!(q::<i64>(&mut c, &["PEXPIRETIME", "k"]), (now + 600) * 1000);
    assert_eq!(q::<i64>(&mut c, &["PERSIST", "k"]), 1);
    assert_eq!(q::<i64>(&mut c, &["PERSIST", "k"]), 0);
    assert_eq!(q::<i64>(&mut c, &["TTL", "k"]), -1);
    // LT on a key without TTL sets it (no TTL counts as infinite); GT does not.
    assert_eq!(q::<i64>(&mut c, &["EXPIRE", "k", "100", "GT"]), 0);
    assert_eq!(q::<i64>(&mut c, &["EXPIRE", "k", "100", "LT"]), 1);
    // A past deadline deletes the key.
    assert_eq!(q::<i64>(&mut c, &["EXPIRE", "k", "-1"]), 1);
    assert_eq!(q::<i64>(&mut c, &["EXISTS", "k"]), 0);
    q::<()>(&mut c, &["SET", "k", "v"]);
    assert_eq!(q::<i64>(&mut c, &["PEXPIREAT", "k", "1"]), 1);
    assert_eq!(q::<Option<String>>(&mut c, &["GET", "k"]), None);
    q::<()>(&mut c, &["SET", "k", "v"]);
    let cases: &[(&[&[u8]], &[u8])] = &[
        (
            &[b"EXPIRE", b"k", b"x"],
            b"-ERR value is not an integer or out of range\r\n",
        ),
        (
            &[b"EXPIRE", b"k", b"10", b"NX", b"XX"],
            b"-ERR NX and XX, GT or LT options at the same time are not compatible\r\n",
        ),
        (
            &[b"EXPIRE", b"k", b"10", b"GT", b"LT"],
            b"-ERR GT and LT options at the same time are not compatible\r\n",
        ),
        (
            &[b"EXPIRE", b"k", b"10", b"FOO"],
            b"-ERR Unsupported option FOO\r\n",
        ),
        (
            &[b"EXPIRE", b"k", b"9223372036854775807"],
            b"-ERR invalid expire time in 'expire' command\r\n",
        ),
    ];
    expect_replies(&mut r, cases);
}

#[test]
fn lazy_and_active_expiry() {
    let srv = TestServer::start(2);
    let mut c = srv.client();
    q::<()>(&mut c, &["SET", "short", "v", "PX", "30"]);
    q::<()>(&mut c, &["SET", "long", "v", "EX", "1000"]);
    // Lazy: once the deadline passes the key reads as absent.
    eventually(|| q::<Option<String>>(&mut c, &["GET", "short"]).is_none());
    assert_eq!(q::<i64>(&mut c, &["TTL", "short"]), -2);
    // Active: keys nobody reads again are reclaimed by the cycle, in every database.
    for db in ["0", "3"] {
        q::<()>(&mut c, &["SELECT", db]);
        for i in 0..3000 {
            q::<()>(&mut c, &["SET", &format!("tmp:{i}"), "v", "PX", "50"]);
        }
        for i in 0..3 {
            q::<i64>(&mut c, &["HSET", &format!("htmp:{i}"), "f", "v"]);
            q::<i64>(&mut c, &["PEXPIRE", &format!("htmp:{i}"), "50"]);
        }
    }
    q::<()>(&mut c, &["SELECT", "0"]);
    eventually(|| q::<i64>(&mut c, &["DBSIZE"]) == 1);
    q::<()>(&mut c, &["SELECT", "3"]);
    eventually(|| q::<i64>(&mut c, &["DBSIZE"]) == 0);
    let expired = common::info_u64(&mut c, "stats", "expired_keys");
    assert!(expired >= 5000, "expired_keys: {expired}");
}

/// COPY, MOVE and SWAPDB: Redis 7.0.15's replies and checks (copies of every type, TTLs kept,
/// inside MULTI across databases), then the same state after a restart replays them.
#[test]
fn copy_move_swapdb() {
    let mut srv = TestServer::start(2);
    let mut r = srv.raw();
    check(
        &mut r,
        &[
            ("SET a 1", "+OK\r\n"),
            ("HSET h f v", ":1\r\n"),
            ("RPUSH l x y", ":2\r\n"),
            ("SADD s m", ":1\r\n"),
            ("ZADD z 1 m", ":1\r\n"),
            ("XADD x 1-1 f v", "$3\r\n1-1\r\n"),
            ("SET t v PX 100000", "+OK\r\n"),
            ("COPY a b", ":1\r\n"),
            ("GET b", "$1\r\n1\r\n"),
            ("COPY a b", ":0\r\n"),
            ("COPY a b REPLACE", ":1\r\n"),
            (
                "COPY a a",
                "-ERR source and destination objects are the same\r\n",
            ),
            (
                "COPY a a REPLACE",
                "-ERR source and destination objects are the same\r\n",
            ),
            ("COPY nokey b", ":0\r\n"),
            ("COPY a b DB 1", ":1\r\n"),
            ("COPY a b DB 1 REPLACE", ":1\r\n"),
            ("COPY a b DB 16", "-ERR DB index is out of range\r\n"),
            ("COPY a b DB -1", "-ERR DB index is out of range\r\n"),
            (
                "COPY a b DB x",
                "-ERR value is not an integer or out of range\r\n",
            ),
            ("COPY a b FOO", "-ERR syntax error\r\n"),
            ("COPY a b DB", "-ERR syntax error\r\n"),
            ("COPY a b REPLACE REPLACE", ":1\r\n"),
            ("COPY h h2", ":1\r\n"),
            ("HGETALL h2", "*2\r\n$1\r\nf\r\n$1\r\nv\r\n"),
            ("COPY l l2", ":1\r\n"),
            ("LRANGE l2 0 -1", "*2\r\n$1\r\nx\r\n$1\r\ny\r\n"),
            ("COPY s s2", ":1\r\n"),
            ("COPY z z2", ":1\r\n"),
            ("ZRANGE z2 0 -1 WITHSCORES", "*2\r\n$1\r\nm\r\n$1\r\n1\r\n"),
            ("COPY x x2", ":1\r\n"),
            (
                "XRANGE x2 - +",
                "*1\r\n*2\r\n$3\r\n1-1\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n",
            ),
            ("COPY t t2", ":1\r\n"),
            ("TYPE t2", "+string\r\n"),
            ("COPY a b DB 0", ":0\r\n"),
            (
                "MOVE a 0",
                "-ERR source and destination objects are the same\r\n",
            ),
            ("MOVE a 1", ":1\r\n"),
            ("MOVE a 1", ":0\r\n"),
            ("MOVE nokey 1", ":0\r\n"),
            ("MOVE a 16", "-ERR DB index is out of range\r\n"),
            (
                "MOVE a x",
                "-ERR value is not an integer or out of range\r\n",
            ),
            ("MOVE a -1", "-ERR DB index is out of range\r\n"),
            ("MOVE t 2", ":1\r\n"),
            ("SELECT 2", "+OK\r\n"),
            ("EXISTS t", ":1\r\n"),
            ("SELECT 1", "+OK\r\n"),
            ("GET b", "$1\r\n1\r\n"),
            ("GET a", "$1\r\n1\r\n"),
            ("SELECT 0", "+OK\r\n"),
            ("SWAPDB 0 1", "+OK\r\n"),
            ("DBSIZE", ":2\r\n"),
            ("GET a", "$1\r\n1\r\n"),
            ("SWAPDB 0 0", "+OK\r\n"),
            ("SWAPDB 0 16", "-ERR DB index is out of range\r\n"),
            ("SWAPDB x 0", "-ERR invalid first DB index\r\n"),
            ("SWAPDB 0 -1", "-ERR DB index is out of range\r\n"),
            ("SWAPDB -1 str", "-ERR invalid second DB index\r\n"),
            ("SWAPDB 1 0", "+OK\r\n"),
            ("SET str v", "+OK\r\n"),
            ("COPY str str2 DB 0", ":1\r\n"),
            ("SET a 1", "+OK\r\n"),
            (
                "MOVE a 99999999999",
                "-ERR value is out of range, value must between -2147483648 and 2147483647\r\n",
            ),
            (
                "COPY a b DB 99999999999",
                "-ERR value is out of range, value must between -2147483648 and 2147483647\r\n",
            ),
            ("SWAPDB 99999999999 0", "-ERR invalid first DB index\r\n"),
            ("SWAPDB 0 x", "-ERR invalid second DB index\r\n"),
            ("SWAPDB 0 99999999999", "-ERR invalid second DB index\r\n"),
            (
                "MOVE a",
                "-ERR wrong number of arguments for 'move' command\r\n",
            ),
            (
                "COPY a",
                "-ERR wrong number of arguments for 'copy' command\r\n",
            ),
            ("COPY a b DB 1 DB 2", ":1\r\n"),
            ("COPY a b REPLACE DB 0", ":1\r\n"),
            ("SELECT 3", "+OK\r\n"),
            ("SET q 1", "+OK\r\n"),
            (
                "MOVE q 3",
                "-ERR source and destination objects are the same\r\n",
            ),
            (
                "COPY q q DB 3",
                "-ERR source and destination objects are the same\r\n",
            ),
            ("COPY q q DB 4", ":1\r\n"),
            ("SELECT 4", "+OK\r\n"),
            ("GET q", "$1\r\n1\r\n"),
            ("MULTI", "+OK\r\n"),
            ("COPY q z DB 1", "+QUEUED\r\n"),
            ("MOVE q 2", "+QUEUED\r\n"),
            ("SWAPDB 2 1", "+QUEUED\r\n"),
            ("EXEC", "*3\r\n:1\r\n:1\r\n+OK\r\n"),
            ("SELECT 2", "+OK\r\n"),
            ("SELECT 1", "+OK\r\n"),
        ],
    );
    let mut c = srv.client();
    let dump = |c: &mut redis::Connection| -> Vec<(i64, Vec<String>)> {
        (0..5)
            .map(|db| {
                q::<()>(c, &["SELECT", &db.to_string()]);
                let mut keys: Vec<String> = q(c, &["KEYS", "*"]);
                keys.sort();
                (db, keys)
            })
            .collect()
    };
    let before = dump(&mut c);
    // The transaction's SWAPDB 2 1 took MOVE's `t` (and `b`, `q`) to database 1.
    q::<()>(&mut c, &["SELECT", "1"]);
    let ttl: i64 = q(&mut c, &["PTTL", "t"]);
    assert!(ttl > 0 && ttl <= 100_000, "{ttl}");
    assert_eq!(before[1].1, ["b", "q", "t"]);
    assert_eq!(before[2].1, ["a", "b", "z"]);
    srv.restart();
    let mut c = srv.client();
    assert_eq!(dump(&mut c), before);
    q::<()>(&mut c, &["SELECT", "1"]);
    assert!(q::<i64>(&mut c, &["PTTL", "t"]) > 0);
}

/// SORT and SORT_RO: Redis 7.0.15's replies (numeric and ALPHA, BY and GET patterns with hash
/// fields, nosort on lists and sorted sets, LIMIT clamping, STORE), then the stored lists after a
/// restart.
#[test]
fn sort() {
    let mut srv = TestServer::start(2);
    let mut r = srv.raw();
    check(
        &mut r,
        &[
            ("RPUSH l 3 1 2 10 -1 1.5", ":6\r\n"),
            ("SORT l", "*6\r\n$2\r\n-1\r\n$1\r\n1\r\n$3\r\n1.5\r\n$1\r\n2\r\n$1\r\n3\r\n$2\r\n10\r\n"),
            ("SORT l DESC", "*6\r\n$2\r\n10\r\n$1\r\n3\r\n$1\r\n2\r\n$3\r\n1.5\r\n$1\r\n1\r\n$2\r\n-1\r\n"),
            ("SORT l ALPHA", "*6\r\n$2\r\n-1\r\n$1\r\n1\r\n$3\r\n1.5\r\n$2\r\n10\r\n$1\r\n2\r\n$1\r\n3\r\n"),
            ("SORT l ALPHA DESC", "*6\r\n$1\r\n3\r\n$1\r\n2\r\n$2\r\n10\r\n$3\r\n1.5\r\n$1\r\n1\r\n$2\r\n-1\r\n"),
            ("SORT l LIMIT 1 2", "*2\r\n$1\r\n1\r\n$3\r\n1.5\r\n"),
            ("SORT l LIMIT 0 -1", "*6\r\n$2\r\n-1\r\n$1\r\n1\r\n$3\r\n1.5\r\n$1\r\n2\r\n$1\r\n3\r\n$2\r\n10\r\n"),
            ("SORT l LIMIT -5 2", "*2\r\n$2\r\n-1\r\n$1\r\n1\r\n"),
            ("SORT l LIMIT 10 2", "*0\r\n"),
            ("SORT l LIMIT 5 100", "*1\r\n$2\r\n10\r\n"),
            ("SORT l LIMIT x 1", "-ERR value is not an integer or out of range\r\n"),
            ("SORT l LIMIT 1", "-ERR syntax error\r\n"),
            ("SORT l FOO", "-ERR syntax error\r\n"),
            ("RPUSH w a b 1", ":3\r\n"),
            ("SORT w", "-ERR One or more scores can't be converted into double\r\n"),
            ("SORT w ALPHA", "*3\r\n$1\r\n1\r\n$1\r\na\r\n$1\r\nb\r\n"),
            ("SET weight_3 30", "+OK\r\n"),
            ("SET weight_1 10", "+OK\r\n"),
            ("SET weight_2 -5", "+OK\r\n"),
            ("SORT l BY weight_*", "*6\r\n$1\r\n2\r\n$2\r\n-1\r\n$3\r\n1.5\r\n$2\r\n10\r\n$1\r\n1\r\n$1\r\n3\r\n"),
            ("SORT l BY weight_* DESC", "*6\r\n$1\r\n3\r\n$1\r\n1\r\n$2\r\n10\r\n$3\r\n1.5\r\n$2\r\n-1\r\n$1\r\n2\r\n"),
            ("SORT l BY nosort", "*6\r\n$1\r\n3\r\n$1\r\n1\r\n$1\r\n2\r\n$2\r\n10\r\n$2\r\n-1\r\n$3\r\n1.5\r\n"),
            ("SORT l BY nosort DESC", "*6\r\n$3\r\n1.5\r\n$2\r\n-1\r\n$2\r\n10\r\n$1\r\n2\r\n$1\r\n1\r\n$1\r\n3\r\n"),
            ("SORT l BY constant", "*6\r\n$1\r\n3\r\n$1\r\n1\r\n$1\r\n2\r\n$2\r\n10\r\n$2\r\n-1\r\n$3\r\n1.5\r\n"),
            ("SORT l BY weight_* ALPHA", "*6\r\n$2\r\n10\r\n$2\r\n-1\r\n$3\r\n1.5\r\n$1\r\n2\r\n$1\r\n1\r\n$1\r\n3\r\n"),
            ("SET obj_1 one", "+OK\r\n"),
            ("SET obj_3 three", "+OK\r\n"),
            ("HSET h_1 name uno w 9", ":2\r\n"),
            ("HSET h_2 name dos w 1", ":2\r\n"),
            ("SORT l GET obj_*", "*6\r\n$-1\r\n$3\r\none\r\n$-1\r\n$-1\r\n$5\r\nthree\r\n$-1\r\n"),
            ("SORT l GET # GET obj_*", "*12\r\n$2\r\n-1\r\n$-1\r\n$1\r\n1\r\n$3\r\none\r\n$3\r\n1.5\r\n$-1\r\n$1\r\n2\r\n$-1\r\n$1\r\n3\r\n$5\r\nthree\r\n$2\r\n10\r\n$-1\r\n"),
            ("SORT l BY h_*->w GET h_*->name GET #", "*12\r\n$-1\r\n$2\r\n-1\r\n$-1\r\n$3\r\n1.5\r\n$-1\r\n$2\r\n10\r\n$-1\r\n$1\r\n3\r\n$3\r\ndos\r\n$1\r\n2\r\n$3\r\nuno\r\n$1\r\n1\r\n"),
            ("SORT l BY nosort GET obj_* LIMIT 0 2", "*2\r\n$5\r\nthree\r\n$3\r\none\r\n"),
            ("SORT l STORE dst", ":6\r\n"),
            ("LRANGE dst 0 -1", "*6\r\n$2\r\n-1\r\n$1\r\n1\r\n$3\r\n1.5\r\n$1\r\n2\r\n$1\r\n3\r\n$2\r\n10\r\n"),
            ("TYPE dst", "+list\r\n"),
            ("SORT l GET obj_* STORE dst2", ":6\r\n"),
            ("LRANGE dst2 0 -1", "*6\r\n$0\r\n\r\n$3\r\none\r\n$0\r\n\r\n$0\r\n\r\n$5\r\nthree\r\n$0\r\n\r\n"),
            ("SORT nokey", "*0\r\n"),
            ("SORT nokey STORE dst", ":0\r\n"),
            ("EXISTS dst", ":0\r\n"),
            ("SET str v", "+OK\r\n"),
            ("SORT str", "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
            ("SADD s 5 2 9", ":3\r\n"),
            ("SORT s", "*3\r\n$1\r\n2\r\n$1\r\n5\r\n$1\r\n9\r\n"),
            ("SORT s DESC LIMIT 0 1", "*1\r\n$1\r\n9\r\n"),
            ("ZADD z 3 a 1 b 2 c", ":3\r\n"),
            ("SORT z ALPHA", "*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n"),
            ("SORT z BY nosort", "*3\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\na\r\n"),
            ("SORT z BY nosort DESC", "*3\r\n$1\r\na\r\n$1\r\nc\r\n$1\r\nb\r\n"),
            ("SORT z BY nosort LIMIT 1 1", "*1\r\n$1\r\nc\r\n"),
            ("SORT z BY nosort DESC LIMIT 0 2", "*2\r\n$1\r\na\r\n$1\r\nc\r\n"),
            ("SORT_RO l", "*6\r\n$2\r\n-1\r\n$1\r\n1\r\n$3\r\n1.5\r\n$1\r\n2\r\n$1\r\n3\r\n$2\r\n10\r\n"),
            ("SORT_RO l STORE x", "-ERR syntax error\r\n"),
            ("SORT_RO l DESC GET #", "*6\r\n$2\r\n10\r\n$1\r\n3\r\n$1\r\n2\r\n$3\r\n1.5\r\n$1\r\n1\r\n$2\r\n-1\r\n"),
            ("HSET hh f v", ":1\r\n"),
            ("SORT hh", "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
            ("SORT l BY weight_* GET weight_*", "*6\r\n$2\r\n-5\r\n$-1\r\n$-1\r\n$-1\r\n$2\r\n10\r\n$2\r\n30\r\n"),
            ("SET weight_10 abc", "+OK\r\n"),
            ("SORT l BY weight_*", "-ERR One or more scores can't be converted into double\r\n"),
            ("SORT l BY weight_* ALPHA", "*6\r\n$2\r\n-1\r\n$3\r\n1.5\r\n$1\r\n2\r\n$1\r\n1\r\n$1\r\n3\r\n$2\r\n10\r\n"),
            ("RPUSH bad a 1", ":2\r\n"),
            ("SORT bad BY nosort", "*2\r\n$1\r\na\r\n$1\r\n1\r\n"),
            ("SORT bad STORE dd", "-ERR One or more scores can't be converted into double\r\n"),
            ("SORT l GET", "-ERR syntax error\r\n"),
            ("SORT l BY", "-ERR syntax error\r\n"),
            ("SORT l BY weight_* STORE", "-ERR syntax error\r\n"),
            ("SORT s BY nosort STORE ds", ":3\r\n"),
            ("LRANGE ds 0 -1", "*3\r\n$1\r\n2\r\n$1\r\n5\r\n$1\r\n9\r\n"),
            ("SORT l ASC DESC", "*6\r\n$2\r\n10\r\n$1\r\n3\r\n$1\r\n2\r\n$3\r\n1.5\r\n$1\r\n1\r\n$2\r\n-1\r\n"),
            ("SORT l DESC ASC", "*6\r\n$2\r\n-1\r\n$1\r\n1\r\n$3\r\n1.5\r\n$1\r\n2\r\n$1\r\n3\r\n$2\r\n10\r\n"),
            ("SORT l GET str", "*6\r\n$-1\r\n$-1\r\n$-1\r\n$-1\r\n$-1\r\n$-1\r\n"),
            ("SORT l GET hh->f", "*6\r\n$-1\r\n$-1\r\n$-1\r\n$-1\r\n$-1\r\n$-1\r\n"),
            ("SORT l GET h_*->", "*6\r\n$-1\r\n$-1\r\n$-1\r\n$-1\r\n$-1\r\n$-1\r\n"),
            ("SORT l GET *", "*6\r\n$-1\r\n$-1\r\n$-1\r\n$-1\r\n$-1\r\n$-1\r\n"),
            ("SORT l BY *", "*6\r\n$2\r\n-1\r\n$1\r\n1\r\n$3\r\n1.5\r\n$2\r\n10\r\n$1\r\n2\r\n$1\r\n3\r\n"),
            ("SORT l BY nosort DESC LIMIT 0 2", "*2\r\n$3\r\n1.5\r\n$2\r\n-1\r\n"),
            ("SORT l BY nosort LIMIT 1 2", "*2\r\n$1\r\n1\r\n$1\r\n2\r\n"),
            ("RPUSH sp 0x10 2 inf -inf", ":4\r\n"),
            ("SORT sp", "*4\r\n$4\r\n-inf\r\n$1\r\n2\r\n$4\r\n0x10\r\n$3\r\ninf\r\n"),
            ("RPUSH nn 1 nan", ":2\r\n"),
            ("SORT nn", "-ERR One or more scores can't be converted into double\r\n"),
            ("SORT l BY weight_*->x", "*6\r\n$2\r\n-1\r\n$1\r\n1\r\n$3\r\n1.5\r\n$2\r\n10\r\n$1\r\n2\r\n$1\r\n3\r\n"),
            ("SORT l LIMIT 0 0", "*0\r\n"),
            ("SORT l LIMIT 1 -5", "*5\r\n$1\r\n1\r\n$3\r\n1.5\r\n$1\r\n2\r\n$1\r\n3\r\n$2\r\n10\r\n"),
            ("SORT l BY nosort ALPHA DESC", "*6\r\n$3\r\n1.5\r\n$2\r\n-1\r\n$2\r\n10\r\n$1\r\n2\r\n$1\r\n1\r\n$1\r\n3\r\n"),
            ("SORT z BY nosort ALPHA", "*3\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\na\r\n"),
            ("SORT z DESC BY nosort LIMIT 1 5", "*2\r\n$1\r\nc\r\n$1\r\nb\r\n"),
            ("SORT l GET # GET # BY nosort LIMIT 0 1", "*2\r\n$1\r\n3\r\n$1\r\n3\r\n"),
            ("SORT str FOO", "-ERR syntax error\r\n"),
            ("SORT str LIMIT x 1", "-ERR value is not an integer or out of range\r\n"),
            ("SORT_RO str STORE x", "-ERR syntax error\r\n"),
        ],
    );
    let mut c = srv.client();
    let stored = |c: &mut redis::Connection| -> Vec<Vec<String>> {
        ["dst", "dst2", "ds"]
            .iter()
            .map(|k| q(c, &["LRANGE", k, "0", "-1"]))
            .collect()
    };
    let before = stored(&mut c);
    assert_eq!(before[2], ["2", "5", "9"]);
    srv.restart();
    let mut c = srv.client();
    assert_eq!(stored(&mut c), before);
}

/// OBJECT: the encodings Redis 7.0 reports for the same content (its default limits), shared
/// integers' reference count, FREQ refused without an LFU policy, and the errors.
#[test]
fn object_subcommands() {
    let srv = TestServer::start(2);
    let mut r = srv.raw();
    let long = "a".repeat(45);
    let set_long = format!("SET r {long}");
    common::check_replies(
        &mut r,
        &[
            ("SET i 123", "+OK\r\n"),
            ("SET e abc", "+OK\r\n"),
            (&set_long, "+OK\r\n"),
            ("SET big 12345678901234567890", "+OK\r\n"),
            ("SET lz 007", "+OK\r\n"),
            ("RPUSH l a b", ":2\r\n"),
            ("SADD si 1 2", ":2\r\n"),
            ("SADD ss a b", ":2\r\n"),
            ("HSET h a b", ":1\r\n"),
            ("ZADD z 1 a", ":1\r\n"),
            ("XADD x 1-1 a b", "$3\r\n1-1\r\n"),
            ("PFADD p a", ":1\r\n"),
            ("OBJECT ENCODING i", "$3\r\nint\r\n"),
            ("OBJECT ENCODING e", "$6\r\nembstr\r\n"),
            ("OBJECT ENCODING r", "$3\r\nraw\r\n"),
            ("OBJECT ENCODING big", "$6\r\nembstr\r\n"),
            ("OBJECT ENCODING lz", "$6\r\nembstr\r\n"),
            ("OBJECT ENCODING l", "$9\r\nquicklist\r\n"),
            ("OBJECT ENCODING si", "$6\r\nintset\r\n"),
            ("OBJECT ENCODING ss", "$9\r\nhashtable\r\n"),
            ("OBJECT ENCODING h", "$8\r\nlistpack\r\n"),
            ("OBJECT ENCODING z", "$8\r\nlistpack\r\n"),
            ("OBJECT ENCODING x", "$6\r\nstream\r\n"),
            ("OBJECT ENCODING p", "$3\r\nraw\r\n"),
            ("OBJECT ENCODING nokey", "$-1\r\n"),
            // As Redis: a set converts when it next grows past the limit, not at CONFIG SET.
            ("CONFIG SET zset-max-listpack-entries 0", "+OK\r\n"),
            ("OBJECT ENCODING z", "$8\r\nlistpack\r\n"),
            ("ZADD z 2 b", ":1\r\n"),
            ("OBJECT ENCODING z", "$8\r\nskiplist\r\n"),
            ("CONFIG SET zset-max-listpack-entries 128", "+OK\r\n"),
            // Hashes convert past hash-max-listpack-entries fields or -value bytes, sets of
            // integers past set-max-intset-entries members or at their first other member.
            ("CONFIG SET hash-max-ziplist-entries 2", "+OK\r\n"),
            ("HSET h c d", ":1\r\n"),
            ("OBJECT ENCODING h", "$8\r\nlistpack\r\n"),
            ("HSET h e f", ":1\r\n"),
            ("OBJECT ENCODING h", "$9\r\nhashtable\r\n"),
            ("CONFIG SET hash-max-ziplist-entries 512", "+OK\r\n"),
            ("CONFIG SET hash-max-listpack-value 3", "+OK\r\n"),
            ("HSET h2 abc 123", ":1\r\n"),
            ("OBJECT ENCODING h2", "$8\r\nlistpack\r\n"),
            ("HSET h2 abc 1234", ":0\r\n"),
            ("OBJECT ENCODING h2", "$9\r\nhashtable\r\n"),
            ("HSET h3 abcd 1", ":1\r\n"),
            ("OBJECT ENCODING h3", "$9\r\nhashtable\r\n"),
            ("CONFIG SET hash-max-listpack-value 64", "+OK\r\n"),
            ("CONFIG SET set-max-intset-entries 4", "+OK\r\n"),
            ("SADD si 3 -70000", ":2\r\n"),
            ("OBJECT ENCODING si", "$6\r\nintset\r\n"),
            ("SMEMBERS si", "*4\r\n$6\r\n-70000\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n"),
            ("SADD si 4", ":1\r\n"),
            ("OBJECT ENCODING si", "$9\r\nhashtable\r\n"),
            ("CONFIG SET set-max-intset-entries 512", "+OK\r\n"),
            ("SADD s2 1 01", ":2\r\n"),
            ("OBJECT ENCODING s2", "$9\r\nhashtable\r\n"),
            ("SISMEMBER s2 01", ":1\r\n"),
            ("OBJECT REFCOUNT i", ":2147483647\r\n"),
            ("OBJECT REFCOUNT e", ":1\r\n"),
            ("OBJECT REFCOUNT nokey", "$-1\r\n"),
            ("OBJECT FREQ i", "-ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.\r\n"),
            ("OBJECT IDLETIME nokey", "$-1\r\n"),
            ("OBJECT ENCODING", "-ERR wrong number of arguments for 'object|encoding' command\r\n"),
            ("OBJECT foo x", "-ERR unknown subcommand 'foo'. Try OBJECT HELP.\r\n"),
        ],
    );
    // Whole seconds since `i` was written: 0, or more if a second boundary (or a busy machine)
    // came between; the exact figure is not the point.
    let idle = String::from_utf8_lossy(&r.cmd(&[b"OBJECT", b"IDLETIME", b"i"])).into_owned();
    let secs: u64 = idle
        .strip_prefix(':')
        .and_then(|v| v.strip_suffix("\r\n"))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("OBJECT IDLETIME i: {idle:?}"));
    assert!(secs < 60, "OBJECT IDLETIME i: {secs}");
    common::check_replies(
        &mut r,
        &[
            ("CONFIG SET maxmemory-policy allkeys-lfu", "+OK\r\n"),
            ("OBJECT FREQ i", ":0\r\n"),
        ],
    );
}
