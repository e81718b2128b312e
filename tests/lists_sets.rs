//! List and set commands through raw RESP (exact replies, taken from Redis 7.0.15 for the same
//! sequence) and redis-rs; their AOF records survive a restart and a rewrite.

mod common;
use common::{check_replies as check, q, TestServer};
use std::collections::HashSet;

const WRONGTYPE: &str = "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";

#[test]
fn list_commands() {
    let srv = TestServer::start(2);
    let mut r = srv.raw();
    check(
        &mut r,
        &[
            ("LPUSH l a b c", ":3\r\n"),
            ("RPUSH l d e", ":5\r\n"),
            ("LPUSHX nolist x", ":0\r\n"),
            ("RPUSHX l f", ":6\r\n"),
            ("LLEN l", ":6\r\n"),
            ("LRANGE l 0 -1", "*6\r\n$1\r\nc\r\n$1\r\nb\r\n$1\r\na\r\n$1\r\nd\r\n$1\r\ne\r\n$1\r\nf\r\n"),
            ("LRANGE l 5 2", "*0\r\n"),
            ("LRANGE l -2 -1", "*2\r\n$1\r\ne\r\n$1\r\nf\r\n"),
            ("LINDEX l -1", "$1\r\nf\r\n"),
            ("LINDEX l 99", "$-1\r\n"),
            ("LSET l 0 C", "+OK\r\n"),
            ("LSET l 99 x", "-ERR index out of range\r\n"),
            ("LSET nolist 0 x", "-ERR no such key\r\n"),
            ("LINSERT l BEFORE b B", ":7\r\n"),
            ("LINSERT l AFTER zz x", ":-1\r\n"),
            ("LINSERT nolist AFTER a x", ":0\r\n"),
            ("LINSERT l MIDDLE a x", "-ERR syntax error\r\n"),
            ("RPUSH r a b a c a d a", ":7\r\n"),
            ("LREM r 2 a", ":2\r\n"),
            ("LREM r -1 a", ":1\r\n"),
            ("LRANGE r 0 -1", "*4\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\na\r\n$1\r\nd\r\n"),
            ("RPUSH p a b c a b c a", ":7\r\n"),
            ("LPOS p a RANK 2", ":3\r\n"),
            ("LPOS p a RANK -1", ":6\r\n"),
            ("LPOS p a COUNT 0", "*3\r\n:0\r\n:3\r\n:6\r\n"),
            ("LPOS p a COUNT 2 RANK -1", "*2\r\n:6\r\n:3\r\n"),
            ("LPOS p a MAXLEN 3 COUNT 0", "*1\r\n:0\r\n"),
            ("LPOS p zz", "$-1\r\n"),
            ("LPOS p zz COUNT 1", "*0\r\n"),
            ("LPOS p a RANK 0", "-ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list\r\n"),
            ("LPOS p a COUNT -1", "-ERR COUNT can't be negative\r\n"),
            ("LPOS p a MAXLEN -1", "-ERR MAXLEN can't be negative\r\n"),
            ("LPOS p a FOO 1", "-ERR syntax error\r\n"),
            ("LPOP p", "$1\r\na\r\n"),
            ("RPOP p", "$1\r\na\r\n"),
            ("LPOP p 2", "*2\r\n$1\r\nb\r\n$1\r\nc\r\n"),
            ("RPOP p 0", "*0\r\n"),
            ("LPOP nolist", "$-1\r\n"),
            ("LPOP nolist 2", "*-1\r\n"),
            ("LPOP p -1", "-ERR value is out of range, must be positive\r\n"),
            ("LPOP p 1 2", "-ERR wrong number of arguments for 'lpop' command\r\n"),
            ("LTRIM p 1 -2", "+OK\r\n"),
            ("LRANGE p 0 -1", "*1\r\n$1\r\nb\r\n"),
            ("LTRIM p 5 1", "+OK\r\n"),
            ("EXISTS p", ":0\r\n"),
            ("LMOVE l l2 LEFT RIGHT", "$1\r\nC\r\n"),
            ("LMOVE l l2 RIGHT LEFT", "$1\r\nf\r\n"),
            ("LRANGE l2 0 -1", "*2\r\n$1\r\nf\r\n$1\r\nC\r\n"),
            ("LMOVE nolist l2 LEFT LEFT", "$-1\r\n"),
            ("LMOVE l l2 UP DOWN", "-ERR syntax error\r\n"),
            ("RPOPLPUSH l l", "$1\r\ne\r\n"),
            ("SET s str", "+OK\r\n"),
            ("LPUSH s x", WRONGTYPE),
            ("LMOVE l s LEFT LEFT", WRONGTYPE),
            ("LLEN s", WRONGTYPE),
            ("GET l", WRONGTYPE),
            ("HSET l f v", WRONGTYPE),
            ("TYPE l", "+list\r\n"),
        ],
    );
}

#[test]
fn set_commands() {
    let srv = TestServer::start(2);
    let mut r = srv.raw();
    check(
        &mut r,
        &[
            ("SADD set a b c", ":3\r\n"),
            ("SADD set a d", ":1\r\n"),
            ("SREM set a zz", ":1\r\n"),
            ("SCARD set", ":3\r\n"),
            ("SISMEMBER set b", ":1\r\n"),
            ("SISMEMBER set zz", ":0\r\n"),
            ("SMISMEMBER set b zz c", "*3\r\n:1\r\n:0\r\n:1\r\n"),
            ("SADD set2 c d e", ":3\r\n"),
            ("SUNION nokey", "*0\r\n"),
            ("SINTERCARD 2 set set2", ":2\r\n"),
            ("SINTERCARD 2 set set2 LIMIT 1", ":1\r\n"),
            (
                "SINTERCARD 0 set",
                "-ERR numkeys should be greater than 0\r\n",
            ),
            (
                "SINTERCARD 3 set set2",
                "-ERR Number of keys can't be greater than number of args\r\n",
            ),
            (
                "SINTERCARD 1 set LIMIT -1",
                "-ERR LIMIT can't be negative\r\n",
            ),
            ("SINTERSTORE dst set set2", ":2\r\n"),
            ("SUNIONSTORE dst nokey", ":0\r\n"),
            ("EXISTS dst", ":0\r\n"),
            ("SDIFFSTORE dst set nokey", ":3\r\n"),
            ("SMOVE set set2 b", ":1\r\n"),
            ("SMOVE set set2 zz", ":0\r\n"),
            ("SET s str", "+OK\r\n"),
            ("SMOVE set s c", WRONGTYPE),
            ("SPOP nokey", "$-1\r\n"),
            ("SPOP nokey 3", "*0\r\n"),
            (
                "SPOP set -1",
                "-ERR value is out of range, must be positive\r\n",
            ),
            ("SPOP set2 1 2", "-ERR syntax error\r\n"),
            ("SRANDMEMBER nokey", "$-1\r\n"),
            ("SRANDMEMBER nokey 3", "*0\r\n"),
            ("SRANDMEMBER set 0", "*0\r\n"),
            ("SADD s2 x", ":1\r\n"),
            ("SPOP s2 5", "*1\r\n$1\r\nx\r\n"),
            ("EXISTS s2", ":0\r\n"),
            ("SCARD s", WRONGTYPE),
            ("SADD s x", WRONGTYPE),
            ("SINTER set s", WRONGTYPE),
            ("TYPE set2", "+set\r\n"),
        ],
    );
    let mut c = srv.client();
    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };
    assert_eq!(sorted(q(&mut c, &["SMEMBERS", "set"])), ["c", "d"]);
    assert_eq!(sorted(q(&mut c, &["SINTER", "set", "set2"])), ["c", "d"]);
    assert_eq!(sorted(q(&mut c, &["SDIFF", "set2", "set"])), ["b", "e"]);
    assert_eq!(
        sorted(q(&mut c, &["SUNION", "set", "set2", "nokey"])),
        ["b", "c", "d", "e"]
    );
    // SRANDMEMBER: distinct picks for a positive count, repeats allowed for a negative one.
    for _ in 0..20 {
        let v: Vec<String> = q(&mut c, &["SRANDMEMBER", "set2", "3"]);
        assert_eq!(v.iter().collect::<HashSet<_>>().len(), 3);
        let v: Vec<String> = q(&mut c, &["SRANDMEMBER", "set2", "-10"]);
        assert_eq!(v.len(), 10);
    }
    let all: HashSet<String> = q(&mut c, &["SMEMBERS", "set2"]);
    let popped: HashSet<String> = q(&mut c, &["SPOP", "set2", "2"]);
    assert!(popped.is_subset(&all) && popped.len() == 2);
    assert_eq!(q::<i64>(&mut c, &["SCARD", "set2"]), 2);
    // SCAN TYPE and SSCAN over a large set: every member exactly as SCAN promises.
    let members: Vec<String> = (0..1000).map(|i| format!("m{i}")).collect();
    let mut cmd = redis::cmd("SADD");
    cmd.arg("big").arg(&members);
    let _: i64 = cmd.query(&mut c).unwrap();
    let mut seen = HashSet::new();
    let mut cursor = 0u64;
    loop {
        let (next, batch): (u64, Vec<String>) = redis::cmd("SSCAN")
            .arg("big")
            .arg(cursor)
            .arg("COUNT")
            .arg(100)
            .query(&mut c)
            .unwrap();
        seen.extend(batch);
        if next == 0 {
            break;
        }
        cursor = next;
    }
    assert_eq!(seen.len(), 1000);
    let (_, keys): (u64, Vec<String>) = redis::cmd("SCAN")
        .arg(0)
        .arg("TYPE")
        .arg("set")
        .arg("COUNT")
        .arg(1000)
        .query(&mut c)
        .unwrap();
    assert_eq!(sorted(keys), ["big", "dst", "set", "set2"]);
}

#[test]
fn resp3_set_replies() {
    let srv = TestServer::start(1);
    let mut r = srv.raw();
    check(
        &mut r,
        &[("SADD s a", ":1\r\n"), ("LPOP nolist 1", "*-1\r\n")],
    );
    let _ = r.cmd(&[b"HELLO", b"3"]);
    check(
        &mut r,
        &[
            ("SMEMBERS s", "~1\r\n$1\r\na\r\n"),
            ("SINTER s", "~1\r\n$1\r\na\r\n"),
            ("LPOP nolist 1", "_\r\n"),
        ],
    );
}

#[test]
fn lists_and_sets_survive_restart_and_rewrite() {
    let mut srv = TestServer::start(2);
    let mut c = srv.client();
    let _: i64 = q(&mut c, &["RPUSH", "q", "1", "2", "3", "4"]);
    let _: String = q(&mut c, &["LPOP", "q"]);
    let _: Vec<String> = q(&mut c, &["RPOP", "q", "2"]);
    let _: i64 = q(&mut c, &["LPUSH", "q", "0"]);
    let _: String = q(&mut c, &["LMOVE", "q", "q2", "LEFT", "RIGHT"]);
    let _: i64 = q(&mut c, &["SADD", "s", "a", "b", "c", "d"]);
    let _: Vec<String> = q(&mut c, &["SPOP", "s", "2"]);
    let _: i64 = q(&mut c, &["SADD", "t", "x"]);
    let _: i64 = q(&mut c, &["SUNIONSTORE", "u", "s", "t"]);
    let _: i64 = q(&mut c, &["EXPIRE", "u", "1000"]);
    let before = |c: &mut redis::Connection| {
        let q1: Vec<String> = q(c, &["LRANGE", "q", "0", "-1"]);
        let q2: Vec<String> = q(c, &["LRANGE", "q2", "0", "-1"]);
        let mut s: Vec<String> = q(c, &["SMEMBERS", "s"]);
        let mut u: Vec<String> = q(c, &["SMEMBERS", "u"]);
        s.sort();
        u.sort();
        let ttl: i64 = q(c, &["TTL", "u"]);
        (q1, q2, s, u, ttl > 0)
    };
    let want = before(&mut c);
    assert_eq!(want.0, ["2"]);
    drop(c);
    srv.restart();
    let mut c = srv.client();
    assert_eq!(before(&mut c), want);
    common::rewrite_aof(&mut c);
    drop(c);
    srv.restart();
    let mut c = srv.client();
    assert_eq!(before(&mut c), want);
}

/// One keyspace for every type: TYPE, EXISTS, RENAME, SCAN TYPE, DEL, WRONGTYPE and expiry.
#[test]
fn every_type_is_one_keyspace() {
    let srv = TestServer::start(2);
    let mut c = srv.client();
    let _: () = q(&mut c, &["SET", "t:string", "v"]);
    let _: i64 = q(&mut c, &["HSET", "t:hash", "f", "v"]);
    let _: i64 = q(&mut c, &["RPUSH", "t:list", "v"]);
    let _: i64 = q(&mut c, &["SADD", "t:set", "v"]);
    let _: i64 = q(&mut c, &["ZADD", "t:zset", "1", "v"]);
    let _: String = q(&mut c, &["XADD", "t:stream", "1-1", "f", "v"]);
    let kinds = ["string", "hash", "list", "set", "zset", "stream"];
    for kind in kinds {
        let (k, k2) = (format!("t:{kind}"), format!("r:{kind}"));
        assert_eq!(q::<String>(&mut c, &["TYPE", &k]), kind);
        let _: () = q(&mut c, &["RENAME", &k, &k2]);
        assert_eq!(q::<i64>(&mut c, &["EXISTS", &k, &k2]), 1);
        assert_eq!(q::<String>(&mut c, &["TYPE", &k2]), kind);
        let (_, found): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(0)
            .arg("TYPE")
            .arg(kind)
            .arg("COUNT")
            .arg(1000)
            .query(&mut c)
            .unwrap();
        assert_eq!(found, std::slice::from_ref(&k2));
        // Every other type's command on it: WRONGTYPE.
        for (cmd, args) in [
            ("GET", vec![]),
            ("HGET", vec!["f"]),
            ("LLEN", vec![]),
            ("SCARD", vec![]),
            ("ZCARD", vec![]),
            ("XLEN", vec![]),
        ] {
            let own = matches!(
                (kind, cmd),
                ("string", "GET")
                    | ("hash", "HGET")
                    | ("list", "LLEN")
                    | ("set", "SCARD")
                    | ("zset", "ZCARD")
                    | ("stream", "XLEN")
            );
            let r = redis::cmd(cmd)
                .arg(&k2)
                .arg(args)
                .query::<redis::Value>(&mut c);
            assert_eq!(r.is_err(), !own, "{cmd} on a {kind}");
        }
        // A TTL removes any type, without access (the active expiry cycle).
        let _: i64 = q(&mut c, &["PEXPIRE", &k2, "20"]);
    }
    common::eventually(|| q::<i64>(&mut c, &["DBSIZE"]) == 0);
    let _: i64 = q(&mut c, &["RPUSH", "gone", "x"]);
    assert_eq!(q::<i64>(&mut c, &["DEL", "gone"]), 1);
    assert_eq!(q::<i64>(&mut c, &["EXISTS", "gone"]), 0);
}
