//! String commands through redis-rs and raw RESP, with Redis's replies and errors.

mod common;
use common::{expect_replies, q, TestServer};
use redis::{Commands, Value};

#[test]
fn set_get_and_options() {
    let srv = TestServer::start(2);
    let mut c = srv.client();
    assert_eq!(
        q::<String>(&mut c, &["SET", "mykey", "Hello, Redis!"]),
        "OK"
    );
    assert_eq!(q::<String>(&mut c, &["GET", "mykey"]), "Hello, Redis!");
    assert_eq!(q::<Option<String>>(&mut c, &["GET", "nokey"]), None);
    // NX / XX
    assert_eq!(
        q::<Option<String>>(&mut c, &["SET", "mykey", "x", "NX"]),
        None
    );
    assert_eq!(
        q::<Option<String>>(&mut c, &["SET", "other", "x", "XX"]),
        None
    );
    assert_eq!(
        q::<Option<String>>(&mut c, &["SET", "other", "1", "NX"]).as_deref(),
        Some("OK")
    );
    // GET option returns the old value
    assert_eq!(
        q::<Option<String>>(&mut c, &["SET", "other", "2", "GET"]).as_deref(),
        Some("1")
    );
    assert_eq!(
        q::<Option<String>>(&mut c, &["SET", "fresh", "2", "GET"]),
        None
    );
    // EX / PX / EXAT / PXAT / KEEPTTL
    q::<()>(&mut c, &["SET", "t", "v", "EX", "100"]);
    let ttl: i64 = q(&mut c, &["TTL", "t"]);
    assert!((99..=100).contains(&ttl));
    q::<()>(&mut c, &["SET", "t", "v2", "KEEPTTL"]);
    assert!(q::<i64>(&mut c, &["PTTL", "t"]) > 90_000);
    q::<()>(&mut c, &["SET", "t", "v3"]);
    assert_eq!(q::<i64>(&mut c, &["TTL", "t"]), -1);
    q::<()>(&mut c, &["SET", "t", "v", "PX", "100000"]);
    assert!(q::<i64>(&mut c, &["PTTL", "t"]) > 90_000);
    let now: i64 = q::<Vec<String>>(&mut c, &["TIME"])[0].parse().unwrap();
    q::<()>(
        &mut c,
        &["SET", "t", "v", "EXAT", &(now + 1000).to_string()],
    );
    assert_eq!(q::<i64>(&mut c, &["EXPIRETIME", "t"]), now + 1000);
    q::<()>(
        &mut c,
        &["SET", "t", "v", "PXAT", &((now + 1000) * 1000).to_string()],
    );
    assert_eq!(q::<i64>(&mut c, &["PEXPIRETIME", "t"]), (now + 1000) * 1000);
    // A deadline in the past leaves no key behind.
    q::<()>(&mut c, &["SET", "t", "v", "PXAT", "1"]);
    assert_eq!(q::<Option<String>>(&mut c, &["GET", "t"]), None);
    // Binary-safe values.
    let bin = vec![0u8, 255, 13, 10, 0];
    let _: () = c.set(b"bin\x00key", &bin).unwrap();
    assert_eq!(c.get::<_, Vec<u8>>(b"bin\x00key").unwrap(), bin);
}

#[test]
fn set_errors_keep_connection_open() {
    let srv = TestServer::start(1);
    let mut r = srv.raw();
    let cases: &[(&[&[u8]], &[u8])] = &[
        (
            &[b"SET", b"k", b"v", b"EX", b"0"],
            b"-ERR invalid expire time in 'set' command\r\n",
        ),
        (
            &[b"SET", b"k", b"v", b"EX", b"-5"],
            b"-ERR invalid expire time in 'set' command\r\n",
        ),
        (
            &[b"SET", b"k", b"v", b"EX", b"abc"],
            b"-ERR value is not an integer or out of range\r\n",
        ),
        (
            &[b"SET", b"k", b"v", b"EX", b"9223372036854775807"],
            b"-ERR invalid expire time in 'set' command\r\n",
        ),
        (
            &[b"SET", b"k", b"v", b"NX", b"XX"],
            b"-ERR syntax error\r\n",
        ),
        (
            &[b"SET", b"k", b"v", b"EX", b"10", b"PX", b"10"],
            b"-ERR syntax error\r\n",
        ),
        (
            &[b"SET", b"k", b"v", b"KEEPTTL", b"EX", b"10"],
            b"-ERR syntax error\r\n",
        ),
        (&[b"SET", b"k", b"v", b"EX"], b"-ERR syntax error\r\n"),
        (
            &[b"SET", b"k", b"v", b"NX", b"NX", b"GET", b"GET"],
            b"$-1\r\n",
        ),
        (
            &[b"SET", b"k", b"v", b"EX", b"10", b"EX", b"20"],
            b"+OK\r\n",
        ),
        (
            &[b"SET", b"k", b"v", b"EX", b"10", b"KEEPTTL"],
            b"-ERR syntax error\r\n",
        ),
        (
            &[b"SET", b"k", b"v", b"XX", b"NX"],
            b"-ERR syntax error\r\n",
        ),
        (&[b"GETEX", b"k", b"PERSIST", b"PERSIST"], b"$1\r\nv\r\n"),
        (
            &[b"GETEX", b"k", b"EX", b"10", b"PERSIST"],
            b"-ERR syntax error\r\n",
        ),
        (
            &[b"SET", b"k"],
            b"-ERR wrong number of arguments for 'set' command\r\n",
        ),
        (
            &[b"SETEX", b"k", b"0", b"v"],
            b"-ERR invalid expire time in 'setex' command\r\n",
        ),
        (
            &[b"PSETEX", b"k", b"-1", b"v"],
            b"-ERR invalid expire time in 'psetex' command\r\n",
        ),
        (
            &[b"GETEX", b"k", b"EX", b"0"],
            b"-ERR invalid expire time in 'getex' command\r\n",
        ),
        (
            &[b"GETEX", b"k", b"PERSIST", b"EX", b"1"],
            b"-ERR syntax error\r\n",
        ),
        (
            &[b"MSET", b"a", b"1", b"b"],
            b"-ERR wrong number of arguments for 'mset' command\r\n",
        ),
        (
            &[b"SETRANGE", b"k", b"-1", b"x"],
            b"-ERR offset is out of range\r\n",
        ),
        (
            &[b"SETRANGE", b"k", b"536870912", b"x"],
            b"-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n",
        ),
    ];
    expect_replies(&mut r, cases);
    assert_eq!(r.cmd(&[b"PING"]), b"+PONG\r\n");
}

#[test]
fn counters() {
    let srv = TestServer::start(1);
    let mut c = srv.client();
    let mut r = srv.raw();
    assert_eq!(q::<i64>(&mut c, &["INCR", "n"]), 1);
    assert_eq!(q::<i64>(&mut c, &["INCRBY", "n", "41"]), 42);
    assert_eq!(q::<i64>(&mut c, &["DECR", "n"]), 41);
    assert_eq!(q::<i64>(&mut c, &["DECRBY", "n", "-9"]), 50);
    assert_eq!(q::<String>(&mut c, &["GET", "n"]), "50");
    q::<()>(&mut c, &["SET", "f", "10.50"]);
    assert_eq!(q::<String>(&mut c, &["INCRBYFLOAT", "f", "0.1"]), "10.6");
    assert_eq!(q::<String>(&mut c, &["INCRBYFLOAT", "f", "-5"]), "5.6");
    q::<()>(&mut c, &["SET", "f", "5.0e3"]);
    assert_eq!(q::<String>(&mut c, &["INCRBYFLOAT", "f", "2.0e2"]), "5200");
    // TTL survives INCR.
    q::<()>(&mut c, &["SET", "ttl", "1", "EX", "100"]);
    q::<i64>(&mut c, &["INCR", "ttl"]);
    assert!(q::<i64>(&mut c, &["TTL", "ttl"]) > 0);
    q::<()>(&mut c, &["SET", "s", "abc"]);
    q::<()>(&mut c, &["SET", "max", "9223372036854775807"]);
    q::<()>(&mut c, &["SET", "sp", " 1"]);
    let cases: &[(&[&[u8]], &[u8])] = &[
        (
            &[b"INCR", b"s"],
            b"-ERR value is not an integer or out of range\r\n",
        ),
        (
            &[b"INCR", b"sp"],
            b"-ERR value is not an integer or out of range\r\n",
        ),
        (
            &[b"INCR", b"max"],
            b"-ERR increment or decrement would overflow\r\n",
        ),
        (
            &[b"INCRBY", b"n", b"x"],
            b"-ERR value is not an integer or out of range\r\n",
        ),
        (
            &[b"DECRBY", b"n", b"-9223372036854775808"],
            b"-ERR decrement would overflow\r\n",
        ),
        (
            &[b"INCRBYFLOAT", b"s", b"1"],
            b"-ERR value is not a valid float\r\n",
        ),
        (
            &[b"INCRBYFLOAT", b"n", b"x"],
            b"-ERR value is not a valid float\r\n",
        ),
        (
            &[b"INCRBYFLOAT", b"n", b"inf"],
            b"-ERR increment would produce NaN or Infinity\r\n",
        ),
    ];
    expect_replies(&mut r, cases);
}

#[test]
fn multi_key_and_ranges() {
    let srv = TestServer::start(2);
    let mut c = srv.client();
    assert_eq!(
        q::<String>(&mut c, &["MSET", "a", "1", "b", "2", "c", "3"]),
        "OK"
    );
    assert_eq!(
        q::<Vec<Option<String>>>(&mut c, &["MGET", "a", "nokey", "c"]),
        vec![Some("1".into()), None, Some("3".into())]
    );
    assert_eq!(q::<i64>(&mut c, &["MSETNX", "a", "9", "z", "9"]), 0);
    assert_eq!(q::<Option<String>>(&mut c, &["GET", "z"]), None);
    assert_eq!(q::<i64>(&mut c, &["MSETNX", "y", "9", "z", "9"]), 1);
    q::<()>(&mut c, &["HSET", "h", "f", "v"]);
    // MGET answers nil for keys of another type.
    assert_eq!(
        q::<Vec<Option<String>>>(&mut c, &["MGET", "h", "a"]),
        vec![None, Some("1".into())]
    );
    assert_eq!(q::<i64>(&mut c, &["APPEND", "s", "Hello"]), 5);
    assert_eq!(q::<i64>(&mut c, &["APPEND", "s", " World"]), 11);
    assert_eq!(q::<i64>(&mut c, &["STRLEN", "s"]), 11);
    assert_eq!(q::<i64>(&mut c, &["STRLEN", "nokey"]), 0);
    assert_eq!(q::<String>(&mut c, &["GETRANGE", "s", "0", "4"]), "Hello");
    assert_eq!(q::<String>(&mut c, &["GETRANGE", "s", "-5", "-1"]), "World");
    // Redis 7.0 clamps a too-negative end to 0 (7.2 changed this to "").
    assert_eq!(q::<String>(&mut c, &["GETRANGE", "s", "0", "-100"]), "H");
    assert_eq!(q::<String>(&mut c, &["GETRANGE", "s", "5", "1"]), "");
    assert_eq!(
        q::<String>(&mut c, &["GETRANGE", "s", "0", "1000"]),
        "Hello World"
    );
    assert_eq!(q::<String>(&mut c, &["GETRANGE", "nokey", "0", "10"]), "");
    assert_eq!(q::<i64>(&mut c, &["SETRANGE", "s", "6", "Redis"]), 11);
    assert_eq!(q::<String>(&mut c, &["GET", "s"]), "Hello Redis");
    assert_eq!(q::<i64>(&mut c, &["SETRANGE", "pad", "3", "x"]), 4);
    assert_eq!(c.get::<_, Vec<u8>>("pad").unwrap(), b"\0\0\0x");
    assert_eq!(q::<i64>(&mut c, &["SETRANGE", "empty", "3", ""]), 0);
    assert_eq!(q::<i64>(&mut c, &["EXISTS", "empty"]), 0);
    // GETSET / GETDEL / GETEX / SETNX / SETEX / PSETEX
    assert_eq!(q::<Option<String>>(&mut c, &["GETSET", "gs", "1"]), None);
    assert_eq!(
        q::<Option<String>>(&mut c, &["GETSET", "gs", "2"]).as_deref(),
        Some("1")
    );
    assert_eq!(
        q::<Option<String>>(&mut c, &["GETDEL", "gs"]).as_deref(),
        Some("2")
    );
    assert_eq!(q::<i64>(&mut c, &["EXISTS", "gs"]), 0);
    assert_eq!(q::<i64>(&mut c, &["SETNX", "nx", "1"]), 1);
    assert_eq!(q::<i64>(&mut c, &["SETNX", "nx", "2"]), 0);
    assert_eq!(q::<String>(&mut c, &["SETEX", "se", "100", "v"]), "OK");
    assert!(q::<i64>(&mut c, &["TTL", "se"]) > 0);
    assert_eq!(q::<String>(&mut c, &["PSETEX", "pse", "100000", "v"]), "OK");
    assert!(q::<i64>(&mut c, &["PTTL", "pse"]) > 0);
    assert_eq!(q::<String>(&mut c, &["GETEX", "pse", "PERSIST"]), "v");
    assert_eq!(q::<i64>(&mut c, &["TTL", "pse"]), -1);
    assert_eq!(q::<String>(&mut c, &["GETEX", "pse", "EX", "50"]), "v");
    assert!(q::<i64>(&mut c, &["TTL", "pse"]) > 0);
    assert_eq!(
        q::<Option<String>>(&mut c, &["GETEX", "nokey", "EX", "50"]),
        None
    );
    // Wrong types.
    let mut r = srv.raw();
    for req in [
        &[&b"GET"[..], b"h"][..],
        &[b"APPEND", b"h", b"x"],
        &[b"INCR", b"h"],
        &[b"SET", b"h", b"v", b"GET"],
        &[b"GETDEL", b"h"],
    ] {
        assert_eq!(
            r.cmd(req),
            b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
        );
    }
    // Plain SET replaces a hash.
    assert_eq!(q::<String>(&mut c, &["SET", "h", "now a string"]), "OK");
    assert_eq!(q::<String>(&mut c, &["TYPE", "h"]), "string");
    let v: Value = redis::cmd("GET").arg("h").query(&mut c).unwrap();
    assert!(matches!(v, Value::BulkString(_)));
}

/// SETBIT, GETBIT, BITCOUNT, BITPOS and BITOP: Redis 7.0.15's replies, including its order of
/// checks (a missing key answers before the range is read) and the BIT/BYTE units; then the
/// bitmaps and BITOP results come back after a restart.
#[test]
fn bitmaps() {
    let mut srv = TestServer::start(2);
    let mut r = srv.raw();
    common::check_replies(
        &mut r,
        &[
            ("SETBIT b 7 1", ":0\r\n"),
            ("GETBIT b 7", ":1\r\n"),
            ("GETBIT b 0", ":0\r\n"),
            ("GETBIT b 100", ":0\r\n"),
            ("GETBIT nokey 3", ":0\r\n"),
            ("SETBIT b 7 0", ":1\r\n"),
            ("SETBIT b 100 1", ":0\r\n"),
            ("STRLEN b", ":13\r\n"),
            (
                "GET b",
                "$13\r\n\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x08\r\n",
            ),
            (
                "SETBIT b 1 2",
                "-ERR bit is not an integer or out of range\r\n",
            ),
            (
                "SETBIT b 1 x",
                "-ERR bit is not an integer or out of range\r\n",
            ),
            (
                "SETBIT b -1 1",
                "-ERR bit offset is not an integer or out of range\r\n",
            ),
            (
                "SETBIT b x 1",
                "-ERR bit offset is not an integer or out of range\r\n",
            ),
            ("GETBIT b 4294967295", ":0\r\n"),
            (
                "SETBIT b 4294967296 0",
                "-ERR bit offset is not an integer or out of range\r\n",
            ),
            (
                "GETBIT b 4294967296",
                "-ERR bit offset is not an integer or out of range\r\n",
            ),
            (
                "GETBIT b -1",
                "-ERR bit offset is not an integer or out of range\r\n",
            ),
            ("HSET h f v", ":1\r\n"),
            (
                "SETBIT h 1 1",
                "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
            ),
            (
                "GETBIT h 1",
                "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
            ),
            ("SET s foobar", "+OK\r\n"),
            ("BITCOUNT s", ":26\r\n"),
            ("BITCOUNT s 0 0", ":4\r\n"),
            ("BITCOUNT s 1 1", ":6\r\n"),
            ("BITCOUNT s 1 -1", ":22\r\n"),
            ("BITCOUNT s -2 -1", ":7\r\n"),
            ("BITCOUNT s 5 30 BIT", ":17\r\n"),
            ("BITCOUNT s 0 -1 BYTE", ":26\r\n"),
            ("BITCOUNT s 0 -1 BIT", ":26\r\n"),
            ("BITCOUNT s -5 -1 BIT", ":2\r\n"),
            ("BITCOUNT s 0", "-ERR syntax error\r\n"),
            ("BITCOUNT s 0 1 FOO", "-ERR syntax error\r\n"),
            (
                "BITCOUNT s x 1",
                "-ERR value is not an integer or out of range\r\n",
            ),
            ("BITCOUNT s 2 1", ":0\r\n"),
            ("BITCOUNT nokey", ":0\r\n"),
            ("BITCOUNT nokey 0 1", ":0\r\n"),
            (
                "BITCOUNT h",
                "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
            ),
            ("BITCOUNT s 0 1 BIT x", "-ERR syntax error\r\n"),
            ("BITCOUNT s -100 100", ":26\r\n"),
            ("BITPOS s 1", ":1\r\n"),
            ("BITPOS s 0", ":0\r\n"),
            ("BITPOS s 1 2", ":17\r\n"),
            ("BITPOS s 1 2 -1", ":17\r\n"),
            ("BITPOS s 0 2 -1", ":16\r\n"),
            ("BITPOS s 1 7 15 BIT", ":9\r\n"),
            ("BITPOS s 0 0 -1 BIT", ":0\r\n"),
            ("BITPOS s 2", "-ERR The bit argument must be 1 or 0.\r\n"),
            (
                "BITPOS s x",
                "-ERR value is not an integer or out of range\r\n",
            ),
            ("BITPOS nokey 0", ":0\r\n"),
            ("BITPOS nokey 1", ":-1\r\n"),
            (
                "BITPOS h 1",
                "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
            ),
            ("BITPOS s 1 0 -1 FOO", "-ERR syntax error\r\n"),
            ("BITPOS s 0 100", ":-1\r\n"),
            ("BITPOS s 1 100", ":-1\r\n"),
            ("BITPOS s 0 1 1 BIT", ":-1\r\n"),
            ("SET ones abc", "+OK\r\n"),
            ("SETBIT allone 0 1", ":0\r\n"),
            ("SETBIT allone 1 1", ":0\r\n"),
            ("SETBIT allone 2 1", ":0\r\n"),
            ("SETBIT allone 3 1", ":0\r\n"),
            ("SETBIT allone 4 1", ":0\r\n"),
            ("SETBIT allone 5 1", ":0\r\n"),
            ("SETBIT allone 6 1", ":0\r\n"),
            ("SETBIT allone 7 1", ":0\r\n"),
            ("BITPOS allone 0", ":8\r\n"),
            ("BITPOS allone 0 0", ":8\r\n"),
            ("BITPOS allone 0 0 -1", ":-1\r\n"),
            ("BITPOS allone 0 0 -1 BIT", ":-1\r\n"),
            ("BITPOS allone 1 0 -1 BIT", ":0\r\n"),
            ("SET a1 abc", "+OK\r\n"),
            ("SET a2 ab", "+OK\r\n"),
            ("BITOP AND d a1 a2", ":3\r\n"),
            ("GET d", "$3\r\nab\x00\r\n"),
            ("BITOP OR d a1 a2", ":3\r\n"),
            ("GET d", "$3\r\nabc\r\n"),
            ("BITOP XOR d a1 a2", ":3\r\n"),
            ("GET d", "$3\r\n\x00\x00c\r\n"),
            ("BITOP NOT d a1", ":3\r\n"),
            ("STRLEN d", ":3\r\n"),
            (
                "BITOP NOT d a1 a2",
                "-ERR BITOP NOT must be called with a single source key.\r\n",
            ),
            ("BITOP FOO d a1", "-ERR syntax error\r\n"),
            ("BITOP AND d nokey nokey2", ":0\r\n"),
            ("EXISTS d", ":0\r\n"),
            (
                "BITOP AND d",
                "-ERR wrong number of arguments for 'bitop' command\r\n",
            ),
            (
                "BITOP OR d h",
                "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
            ),
            ("BITOP AND d a1 nokey", ":3\r\n"),
            ("GET d", "$3\r\n\x00\x00\x00\r\n"),
            ("BITOP and d a1", ":3\r\n"),
            ("GET d", "$3\r\nabc\r\n"),
            ("BITCOUNT s -1 -2 FOO", ":0\r\n"),
            ("BITCOUNT nokey 0", ":0\r\n"),
            ("BITCOUNT nokey x y z w", ":0\r\n"),
            ("BITCOUNT s 0 1 2 3", "-ERR syntax error\r\n"),
            ("BITPOS s 1 0 x FOO", "-ERR syntax error\r\n"),
            (
                "BITPOS s 1 x 0 FOO",
                "-ERR value is not an integer or out of range\r\n",
            ),
            ("BITPOS s 1 0 1 BIT x", "-ERR syntax error\r\n"),
            ("BITPOS nokey 1 0 1 FOO", ":-1\r\n"),
            (
                "BITPOS nokey x",
                "-ERR value is not an integer or out of range\r\n",
            ),
            ("BITPOS s 0 -1 -2", ":-1\r\n"),
            ("BITPOS s 0 0 -1 BIT", ":0\r\n"),
            ("BITPOS s 0 3 3 BIT", ":3\r\n"),
            ("BITPOS s 1 3 3 BIT", ":-1\r\n"),
            (
                "SETBIT s 5 x",
                "-ERR bit is not an integer or out of range\r\n",
            ),
            (
                "SETBIT h x x",
                "-ERR bit offset is not an integer or out of range\r\n",
            ),
            ("HSET h f v", ":0\r\n"),
            (
                "SETBIT h 1 x",
                "-ERR bit is not an integer or out of range\r\n",
            ),
            (
                "SETBIT h x 1",
                "-ERR bit offset is not an integer or out of range\r\n",
            ),
            (
                "GETBIT h x",
                "-ERR bit offset is not an integer or out of range\r\n",
            ),
            (
                "BITOP NOT d h h",
                "-ERR BITOP NOT must be called with a single source key.\r\n",
            ),
            (
                "BITOP NOT d",
                "-ERR wrong number of arguments for 'bitop' command\r\n",
            ),
            ("BITOP XOR d nokey s", ":6\r\n"),
            ("GET d", "$6\r\nfoobar\r\n"),
            ("BITOP AND d s e", ":6\r\n"),
            ("EXISTS d", ":1\r\n"),
            ("BITOP NOT d e", ":0\r\n"),
            ("EXISTS d", ":0\r\n"),
            ("SET d x EX 100", "+OK\r\n"),
            ("BITOP OR d s", ":6\r\n"),
            ("TTL d", ":-1\r\n"),
            ("SETBIT s 0 1", ":0\r\n"),
            ("PEXPIRE s 100000", ":1\r\n"),
            ("SETBIT s 1 1", ":1\r\n"),
            ("TTL s", ":100\r\n"),
            ("BITCOUNT s 0 -1 bit", ":27\r\n"),
            ("BITPOS s 1 -3 -1 bit", ":46\r\n"),
        ],
    );
    let mut c = srv.client();
    let before: Vec<Option<Vec<u8>>> = ["b", "s", "allone", "d"]
        .iter()
        .map(|k| q(&mut c, &["GET", k]))
        .collect();
    srv.restart();
    let mut c = srv.client();
    let after: Vec<Option<Vec<u8>>> = ["b", "s", "allone", "d"]
        .iter()
        .map(|k| q(&mut c, &["GET", k]))
        .collect();
    assert_eq!(after, before);
    assert!(q::<i64>(&mut c, &["TTL", "s"]) > 0, "SETBIT keeps the TTL");
}

/// BITFIELD and BITFIELD_RO: Redis 7.0.15's replies (types, `#` offsets, WRAP/SAT/FAIL, a write
/// that fails still creates and grows the string, errors found before anything runs), then the
/// same strings after a restart.
#[test]
fn bitfields() {
    let mut srv = TestServer::start(2);
    let mut r = srv.raw();
    common::check_replies(
        &mut r,
        &[
            ("BITFIELD nk OVERFLOW FAIL INCRBY u2 0 5", "*1\r\n$-1\r\n"),
            ("EXISTS nk", ":1\r\n"),
            ("GET nk", "$1\r\n\x00\r\n"),
            ("BITFIELD nk2 OVERFLOW FAIL SET u2 100 5", "*1\r\n$-1\r\n"),
            ("EXISTS nk2", ":1\r\n"),
            ("STRLEN nk2", ":13\r\n"),
            ("BITFIELD nk3 GET u8 100", "*1\r\n:0\r\n"),
            ("EXISTS nk3", ":0\r\n"),
            ("BITFIELD x", "*0\r\n"),
            ("BITFIELD x GET", "-ERR syntax error\r\n"),
            ("BITFIELD x GET u8", "-ERR syntax error\r\n"),
            ("BITFIELD x GET u64 0", "-ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.\r\n"),
            ("BITFIELD x GET i64 0", "*1\r\n:0\r\n"),
            ("BITFIELD x GET i65 0", "-ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.\r\n"),
            ("BITFIELD x GET u0 0", "-ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.\r\n"),
            ("BITFIELD x GET U8 0", "-ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.\r\n"),
            ("BITFIELD x GET u8 -1", "-ERR bit offset is not an integer or out of range\r\n"),
            ("BITFIELD x GET u8 #1", "*1\r\n:0\r\n"),
            ("BITFIELD x GET u8 #-1", "-ERR bit offset is not an integer or out of range\r\n"),
            ("BITFIELD x GET u8 x", "-ERR bit offset is not an integer or out of range\r\n"),
            ("BITFIELD x SET u8 0 x", "-ERR value is not an integer or out of range\r\n"),
            ("BITFIELD x SET u8 0 256", "*1\r\n:0\r\n"),
            ("BITFIELD x GET u8 0", "*1\r\n:0\r\n"),
            ("BITFIELD x OVERFLOW SAT SET u8 0 300 GET u8 0", "*2\r\n:0\r\n:255\r\n"),
            ("BITFIELD x OVERFLOW foo", "-ERR Invalid OVERFLOW type specified\r\n"),
            ("BITFIELD x FOO", "-ERR syntax error\r\n"),
            ("BITFIELD x OVERFLOW", "-ERR syntax error\r\n"),
            ("BITFIELD x INCRBY i8 0 200", "*1\r\n:-57\r\n"),
            ("BITFIELD x INCRBY i8 0 -1000 OVERFLOW SAT INCRBY i8 0 -1000", "*2\r\n:-33\r\n:-128\r\n"),
            ("BITFIELD_RO x GET u8 0", "*1\r\n:128\r\n"),
            ("BITFIELD_RO x SET u8 0 1", "-ERR BITFIELD_RO only supports the GET subcommand\r\n"),
            ("BITFIELD_RO x INCRBY u8 0 1", "-ERR BITFIELD_RO only supports the GET subcommand\r\n"),
            ("BITFIELD_RO x", "*0\r\n"),
            ("HSET h f v", ":1\r\n"),
            ("BITFIELD h GET u8 0", "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
            ("BITFIELD h SET u8 0 1", "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
            ("BITFIELD x GET u8 4294967288", "*1\r\n:0\r\n"),
            ("BITFIELD x GET u8 4294967289", "*1\r\n:0\r\n"),
            ("BITFIELD x GET i64 4294967232", "*1\r\n:0\r\n"),
            ("BITFIELD x GET i64 4294967233", "*1\r\n:0\r\n"),
            ("BITFIELD x SET i64 0 -9223372036854775808 GET i64 0 INCRBY i64 0 -1", "*3\r\n:-9223372036854775808\r\n:-9223372036854775808\r\n:9223372036854775807\r\n"),
            ("BITFIELD x SET u63 0 9223372036854775807 INCRBY u63 0 1 GET u63 0", "*3\r\n:4611686018427387903\r\n:0\r\n:0\r\n"),
            ("BITFIELD x OVERFLOW SAT SET u63 0 -5 GET u63 0", "*2\r\n:0\r\n:9223372036854775807\r\n"),
            ("BITFIELD x OVERFLOW FAIL SET u63 0 -5 GET u63 0", "*2\r\n$-1\r\n:9223372036854775807\r\n"),
            ("BITFIELD x SET i8 0 -129", "*1\r\n:-1\r\n"),
            ("BITFIELD x GET i8 0", "*1\r\n:127\r\n"),
            ("BITFIELD_RO nk4 GET u8 0", "*1\r\n:0\r\n"),
            ("BITFIELD x GET u8 0 GET", "-ERR syntax error\r\n"),
            ("BITFIELD_RO x OVERFLOW SAT GET u8 0", "*1\r\n:127\r\n"),
            ("BITFIELD x SET u8 0 x GET u64 0", "-ERR value is not an integer or out of range\r\n"),
            ("BITFIELD x GET u64 0 SET u8 0 x", "-ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.\r\n"),
            ("BITFIELD_RO x SET u8 x 1", "-ERR bit offset is not an integer or out of range\r\n"),
            ("BITFIELD_RO x SET u64 0 1", "-ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.\r\n"),
            ("BITFIELD_RO x SET u8 0 x", "-ERR value is not an integer or out of range\r\n"),
            ("BITFIELD x GET u8 #536870911", "*1\r\n:0\r\n"),
            ("BITFIELD x GET u8 #536870912", "-ERR bit offset is not an integer or out of range\r\n"),
            ("BITFIELD x GET u8 #", "-ERR bit offset is not an integer or out of range\r\n"),
            ("BITFIELD x GET u8 #+1", "-ERR bit offset is not an integer or out of range\r\n"),
            ("BITFIELD x GET i08 0", "-ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.\r\n"),
            ("BITFIELD x GET i 0", "-ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.\r\n"),
            ("BITFIELD x GET u63 9223372036854775807", "-ERR bit offset is not an integer or out of range\r\n"),
            ("BITFIELD x GET u8 #9223372036854775807", "-ERR bit offset is not an integer or out of range\r\n"),
            ("BITFIELD x INCRBY u8 0 x", "-ERR value is not an integer or out of range\r\n"),
            ("BITFIELD x INCRBY u8 0", "-ERR syntax error\r\n"),
            ("BITFIELD x SET u8 0", "-ERR syntax error\r\n"),
            ("BITFIELD x overflow wrap get u8 0 set i4 2 3 incrby u4 5 -1", "*3\r\n:127\r\n:-1\r\n:14\r\n"),
            ("BITFIELD x GET u8 4294967295", "*1\r\n:0\r\n"),
            ("BITFIELD x GET u8 4294967296", "-ERR bit offset is not an integer or out of range\r\n"),
            ("BITFIELD x SET i4 #2 -1", "*1\r\n:7\r\n"),
        ],
    );
    let mut c = srv.client();
    let keys = ["nk", "nk2", "x"];
    let before: Vec<Option<Vec<u8>>> = keys.iter().map(|k| q(&mut c, &["GET", k])).collect();
    srv.restart();
    let mut c = srv.client();
    let after: Vec<Option<Vec<u8>>> = keys.iter().map(|k| q(&mut c, &["GET", k])).collect();
    assert_eq!(after, before);
}

/// LCS with every option, as redis-server 7.0.15 answers.
#[test]
fn lcs_replies() {
    let srv = TestServer::start(2);
    let mut r = srv.raw();
    common::check_replies(
        &mut r,
        &[
            ("MSET key1 ohmytext key2 mynewtext", "+OK\r\n"),
            ("LCS key1 key2", "$6\r\nmytext\r\n"),
            ("LCS key1 key2 LEN", ":6\r\n"),
            ("LCS key1 key2 IDX", "*4\r\n$7\r\nmatches\r\n*2\r\n*2\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n*2\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n$3\r\nlen\r\n:6\r\n"),
            ("LCS key1 key2 IDX MINMATCHLEN 4 WITHMATCHLEN", "*4\r\n$7\r\nmatches\r\n*1\r\n*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n$3\r\nlen\r\n:6\r\n"),
            ("LCS key1 key2 IDX LEN", "-ERR If you want both the length and indexes, please just use IDX.\r\n"),
            ("LCS key1 nokey", "$0\r\n\r\n"),
            ("LCS nokey nokey2 IDX", "*4\r\n$7\r\nmatches\r\n*0\r\n$3\r\nlen\r\n:0\r\n"),
            ("LCS key1 key2 foo", "-ERR syntax error\r\n"),
            ("LCS key1 key2 MINMATCHLEN x", "-ERR value is not an integer or out of range\r\n"),
            ("LCS key1 key2 MINMATCHLEN", "-ERR syntax error\r\n"),
            ("LPUSH l a", ":1\r\n"),
            ("LCS key1 l", "-ERR The specified keys must contain string values\r\n"),
            ("MSET a ABCBDAB b BDCABA", "+OK\r\n"),
            ("LCS a b IDX WITHMATCHLEN", "*4\r\n$7\r\nmatches\r\n*2\r\n*3\r\n*2\r\n:5\r\n:6\r\n*2\r\n:3\r\n:4\r\n:2\r\n*3\r\n*2\r\n:3\r\n:4\r\n*2\r\n:0\r\n:1\r\n:2\r\n$3\r\nlen\r\n:4\r\n"),
            ("LCS a b", "$4\r\nBDAB\r\n"),
        ],
    );
}
