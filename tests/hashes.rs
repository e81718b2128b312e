//! Hash commands through redis-rs and raw RESP.

mod common;
use common::{expect_replies, q, TestServer};
use std::collections::{HashMap, HashSet};

#[test]
fn hash_basics() {
    let srv = TestServer::start(2);
    let mut c = srv.client();
    assert_eq!(
        q::<i64>(
            &mut c,
            &[
                "HSET",
                "user:1",
                "name",
                "Alice",
                "email",
                "alice@example.com"
            ]
        ),
        2
    );
    assert_eq!(
        q::<i64>(&mut c, &["HSET", "user:1", "name", "Alicia", "age", "30"]),
        1
    );
    assert_eq!(q::<String>(&mut c, &["HGET", "user:1", "name"]), "Alicia");
    assert_eq!(
        q::<Option<String>>(&mut c, &["HGET", "user:1", "nope"]),
        None
    );
    assert_eq!(q::<Option<String>>(&mut c, &["HGET", "nokey", "f"]), None);
    let all: HashMap<String, String> = q(&mut c, &["HGETALL", "user:1"]);
    assert_eq!(all.len(), 3);
    assert_eq!(all["email"], "alice@example.com");
    assert_eq!(
        q::<HashMap<String, String>>(&mut c, &["HGETALL", "nokey"]).len(),
        0
    );
    assert_eq!(
        q::<String>(&mut c, &["HMSET", "user:1", "city", "Paris"]),
        "OK"
    );
    assert_eq!(
        q::<Vec<Option<String>>>(&mut c, &["HMGET", "user:1", "city", "nope", "age"]),
        vec![Some("Paris".into()), None, Some("30".into())]
    );
    assert_eq!(q::<i64>(&mut c, &["HLEN", "user:1"]), 4);
    assert_eq!(q::<i64>(&mut c, &["HEXISTS", "user:1", "city"]), 1);
    assert_eq!(q::<i64>(&mut c, &["HEXISTS", "user:1", "zip"]), 0);
    assert_eq!(q::<i64>(&mut c, &["HSTRLEN", "user:1", "city"]), 5);
    assert_eq!(q::<i64>(&mut c, &["HSETNX", "user:1", "city", "Rome"]), 0);
    assert_eq!(q::<i64>(&mut c, &["HSETNX", "user:1", "zip", "75001"]), 1);
    let keys: HashSet<String> = q(&mut c, &["HKEYS", "user:1"]);
    assert_eq!(
        keys,
        ["name", "email", "age", "city", "zip"]
            .iter()
            .map(|s| s.to_string())
            .collect()
    );
    assert_eq!(q::<Vec<String>>(&mut c, &["HVALS", "user:1"]).len(), 5);
    assert_eq!(
        q::<i64>(&mut c, &["HDEL", "user:1", "zip", "city", "nope"]),
        2
    );
    assert_eq!(q::<i64>(&mut c, &["HINCRBY", "user:1", "age", "5"]), 35);
    assert_eq!(q::<i64>(&mut c, &["HINCRBY", "user:1", "visits", "-1"]), -1);
    assert_eq!(
        q::<String>(&mut c, &["HINCRBYFLOAT", "user:1", "score", "10.5"]),
        "10.5"
    );
    assert_eq!(
        q::<String>(&mut c, &["HINCRBYFLOAT", "user:1", "score", "0.1"]),
        "10.6"
    );
    // Deleting the last field deletes the key.
    q::<i64>(&mut c, &["HSET", "tiny", "f", "v"]);
    assert_eq!(q::<i64>(&mut c, &["HDEL", "tiny", "f"]), 1);
    assert_eq!(q::<i64>(&mut c, &["EXISTS", "tiny"]), 0);
    assert_eq!(q::<String>(&mut c, &["TYPE", "user:1"]), "hash");
}

#[test]
fn hash_errors() {
    let srv = TestServer::start(1);
    let mut c = srv.client();
    q::<()>(&mut c, &["SET", "s", "v"]);
    q::<i64>(&mut c, &["HSET", "h", "f", "v", "n", "9223372036854775807"]);
    let mut r = srv.raw();
    let wrongtype: &[u8] =
        b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";
    let cases: &[(&[&[u8]], &[u8])] = &[
        (&[b"HSET", b"s", b"f", b"v"], wrongtype),
        (&[b"HGET", b"s", b"f"], wrongtype),
        (&[b"HGETALL", b"s"], wrongtype),
        (&[b"HDEL", b"s", b"f"], wrongtype),
        (&[b"HLEN", b"s"], wrongtype),
        (
            &[b"HSET", b"h", b"f"],
            b"-ERR wrong number of arguments for 'hset' command\r\n",
        ),
        (
            &[b"HMSET", b"h", b"f", b"v", b"g"],
            b"-ERR wrong number of arguments for 'hmset' command\r\n",
        ),
        (
            &[b"HINCRBY", b"h", b"f", b"1"],
            b"-ERR hash value is not an integer\r\n",
        ),
        (
            &[b"HINCRBY", b"h", b"n", b"1"],
            b"-ERR increment or decrement would overflow\r\n",
        ),
        (
            &[b"HINCRBY", b"h", b"n", b"x"],
            b"-ERR value is not an integer or out of range\r\n",
        ),
        (
            &[b"HINCRBYFLOAT", b"h", b"f", b"1"],
            b"-ERR hash value is not a float\r\n",
        ),
        (
            &[b"HINCRBYFLOAT", b"h", b"n", b"x"],
            b"-ERR value is not a valid float\r\n",
        ),
        (
            &[b"HRANDFIELD", b"h", b"1", b"nope"],
            b"-ERR syntax error\r\n",
        ),
        (&[b"HSCAN", b"h", b"x"], b"-ERR invalid cursor\r\n"),
        (
            &[b"HSCAN", b"h", b"0", b"COUNT", b"0"],
            b"-ERR syntax error\r\n",
        ),
        // As Redis: the cursor is checked before the key's type, and a missing key is an
        // empty scan whatever its options.
        (&[b"HSCAN", b"s", b"x"], b"-ERR invalid cursor\r\n"),
        (&[b"HSCAN", b"s", b"0"], wrongtype),
        (
            &[b"HSCAN", b"nokey", b"0", b"COUNT", b"0"],
            b"*2\r\n$1\r\n0\r\n*0\r\n",
        ),
        (
            &[b"SSCAN", b"nokey", b"0", b"MATCH"],
            b"*2\r\n$1\r\n0\r\n*0\r\n",
        ),
        (&[b"ZSCAN", b"s", b"x"], b"-ERR invalid cursor\r\n"),
    ];
    expect_replies(&mut r, cases);
    // HSET on a hash key replaced by SET, then back: one keyspace.
    assert_eq!(r.cmd(&[b"SET", b"h", b"x"]), b"+OK\r\n");
    assert_eq!(r.cmd(&[b"HGET", b"h", b"f"]), wrongtype);
    assert_eq!(r.cmd(&[b"DEL", b"h"]), b":1\r\n");
    assert_eq!(r.cmd(&[b"HSET", b"h", b"f", b"v"]), b":1\r\n");
}

#[test]
fn hrandfield_counts() {
    let srv = TestServer::start(1);
    let mut c = srv.client();
    q::<i64>(&mut c, &["HSET", "h", "a", "1", "b", "2", "c", "3"]);
    let one: String = q(&mut c, &["HRANDFIELD", "h"]);
    assert!(["a", "b", "c"].contains(&one.as_str()));
    let two: Vec<String> = q(&mut c, &["HRANDFIELD", "h", "2"]);
    assert_eq!(two.len(), 2);
    assert_ne!(two[0], two[1]);
    assert_eq!(
        q::<Vec<String>>(&mut c, &["HRANDFIELD", "h", "10"]).len(),
        3
    );
    assert_eq!(
        q::<Vec<String>>(&mut c, &["HRANDFIELD", "h", "-10"]).len(),
        10
    );
    assert_eq!(q::<Vec<String>>(&mut c, &["HRANDFIELD", "h", "0"]).len(), 0);
    let wv: Vec<String> = q(&mut c, &["HRANDFIELD", "h", "-4", "WITHVALUES"]);
    assert_eq!(wv.len(), 8);
    for p in wv.chunks(2) {
        let want = match p[0].as_str() {
            "a" => "1",
            "b" => "2",
            _ => "3",
        };
        assert_eq!(p[1], want);
    }
    assert_eq!(q::<Option<String>>(&mut c, &["HRANDFIELD", "nokey"]), None);
    assert_eq!(
        q::<Vec<String>>(&mut c, &["HRANDFIELD", "nokey", "3"]).len(),
        0
    );
    // RESP3 answers WITHVALUES as pairs.
    let mut r = srv.raw();
    r.cmd(&[b"HELLO", b"3"]);
    let reply = r.cmd(&[b"HRANDFIELD", b"h", b"1", b"WITHVALUES"]);
    assert!(
        reply.starts_with(b"*1\r\n*2\r\n"),
        "{}",
        String::from_utf8_lossy(&reply)
    );
}

#[test]
fn hscan_returns_every_field_once_complete() {
    let srv = TestServer::start(1);
    let mut c = srv.client();
    for n in [50usize, 1000] {
        let key = format!("big{n}");
        for i in 0..n {
            q::<i64>(&mut c, &["HSET", &key, &format!("f{i}"), &format!("v{i}")]);
        }
        let mut seen = HashMap::new();
        let mut cursor = "0".to_string();
        loop {
            let (next, items): (String, Vec<String>) =
                q(&mut c, &["HSCAN", &key, &cursor, "COUNT", "20"]);
            for p in items.chunks(2) {
                seen.insert(p[0].clone(), p[1].clone());
            }
            cursor = next;
            if cursor == "0" {
                break;
            }
        }
        assert_eq!(seen.len(), n);
        assert_eq!(seen["f7"], "v7");
    }
    let (_, items): (String, Vec<String>) = q(
        &mut c,
        &["HSCAN", "big1000", "0", "MATCH", "f99*", "COUNT", "100000"],
    );
    assert_eq!(items.len(), 2 * 11);
}

#[test]
fn hscan_keeps_its_guarantee_while_the_hash_changes() {
    let srv = TestServer::start(1);
    let mut c = srv.client();
    for i in 0..1000 {
        q::<i64>(&mut c, &["HSET", "big", &format!("stable{i}"), "v"]);
        q::<i64>(&mut c, &["HSET", "big", &format!("gone{i}"), "v"]);
    }
    let mut seen = HashSet::new();
    let mut cursor = "0".to_string();
    let mut round = 0;
    loop {
        let (next, items): (String, Vec<String>) =
            q(&mut c, &["HSCAN", "big", &cursor, "COUNT", "37"]);
        seen.extend(items.chunks(2).map(|p| p[0].clone()));
        // Between calls: delete fields (swap-removal moves others) and add new ones.
        for j in 0..20 {
            q::<i64>(&mut c, &["HDEL", "big", &format!("gone{}", round * 20 + j)]);
            q::<i64>(&mut c, &["HSET", "big", &format!("new{round}-{j}"), "v"]);
        }
        round += 1;
        cursor = next;
        if cursor == "0" {
            break;
        }
    }
    let stable = seen.iter().filter(|f| f.starts_with("stable")).count();
    assert_eq!(
        stable, 1000,
        "every field present for the whole scan is returned"
    );
    assert!(round < 200, "COUNT is honoured: {round} calls");
}
