//! DUMP and RESTORE: every type round trips through ringdis, with TTLs, REPLACE
//! and ABSTTL, and Redis's errors; and payloads move between ringdis and redis-server 7.0 both
//! ways with the same data (skipped, saying so, when redis-server is not installed).

mod common;
use common::{q, ChildServer};
use redis::Value;

type Con = redis::Connection;

fn fill(c: &mut Con) {
    let _: () = redis::cmd("FLUSHALL").query(c).unwrap();
    let mut p = redis::pipe();
    p.cmd("SET").arg("s").arg("hello").ignore();
    p.cmd("SET").arg("n").arg("12345").ignore();
    p.cmd("SET").arg("neg").arg("-70000").ignore();
    p.cmd("SET").arg("big").arg("x".repeat(100_000)).ignore();
    p.cmd("SET")
        .arg("bin")
        .arg(&[0u8, 255, 10, 13][..])
        .ignore();
    p.cmd("RPUSH").arg("l").arg(&["a", "b", "1"]).ignore();
    let long: Vec<String> = (0..2000).map(|i| format!("{i:020}")).collect();
    p.cmd("RPUSH").arg("bl").arg(&long).ignore();
    p.cmd("SADD").arg("st").arg(&["a", "b", "1"]).ignore();
    p.cmd("SADD")
        .arg("si")
        .arg(&["1", "2", "-5", "100000"])
        .ignore();
    p.cmd("HSET").arg("h").arg(&["f", "v", "g", "1"]).ignore();
    for i in 0..1000 {
        p.cmd("HSET")
            .arg("bh")
            .arg(format!("f{i}"))
            .arg("v".repeat(100))
            .ignore();
        p.cmd("ZADD")
            .arg("bz")
            .arg(i as f64 / 3.0)
            .arg(format!("m{i}"))
            .ignore();
    }
    p.cmd("ZADD")
        .arg("z")
        .arg(&["1.5", "a", "-2", "b", "inf", "c"])
        .ignore();
    p.cmd("SET")
        .arg("t")
        .arg("v")
        .arg("PX")
        .arg(100_000)
        .ignore();
    // A stream with entries in two nodes, a deleted one, a group with pending entries.
    for i in 0..150u32 {
        p.cmd("XADD")
            .arg("xs")
            .arg(format!("{}-1", 5 + i))
            .arg("f")
            .arg(i)
            .ignore();
    }
    p.cmd("XDEL").arg("xs").arg("7-1").ignore();
    p.cmd("XGROUP").arg(&["CREATE", "xs", "g", "0"]).ignore();
    p.cmd("XREADGROUP")
        .arg(&["GROUP", "g", "c1", "COUNT", "3", "STREAMS", "xs", ">"])
        .ignore();
    let _: () = p.query(c).unwrap();
}

const KEYS: &[&str] = &[
    "s", "n", "neg", "big", "bin", "l", "bl", "st", "si", "h", "bh", "z", "bz", "t", "xs",
];

/// A key's content, the same whatever the encoding (sets and hashes sorted).
fn content(c: &mut Con, k: &str) -> Value {
    let ty: String = q(c, &["TYPE", k]);
    let mut v: Vec<Value> = match ty.as_str() {
        "string" => return redis::cmd("GET").arg(k).query(c).unwrap(),
        "list" => redis::cmd("LRANGE").arg(k).arg(0).arg(-1).query(c).unwrap(),
        "set" => redis::cmd("SMEMBERS").arg(k).query(c).unwrap(),
        "hash" => redis::cmd("HGETALL").arg(k).query(c).unwrap(),
        "zset" => {
            return redis::cmd("ZRANGE")
                .arg(k)
                .arg(0)
                .arg(-1)
                .arg("WITHSCORES")
                .query(c)
                .unwrap()
        }
        "stream" => {
            let entries: Value = redis::cmd("XRANGE")
                .arg(k)
                .arg("-")
                .arg("+")
                .query(c)
                .unwrap();
            let groups: Value = redis::cmd("XINFO").arg("GROUPS").arg(k).query(c).unwrap();
            let pending: Value = redis::cmd("XPENDING").arg(k).arg("g").query(c).unwrap();
            return Value::Array(vec![entries, groups, pending]);
        }
        other => panic!("{k}: {other}"),
    };
    if ty == "hash" {
        let mut pairs: Vec<(Value, Value)> = Vec::new();
        let mut it = v.into_iter();
        while let (Some(a), Some(b)) = (it.next(), it.next()) {
            pairs.push((a, b));
        }
        pairs.sort_by_key(|p| format!("{:?}", p.0));
        return Value::Array(pairs.into_iter().flat_map(|(a, b)| [a, b]).collect());
    }
    if ty == "set" {
        v.sort_by_key(|x| format!("{x:?}"));
    }
    Value::Array(v)
}

/// Every key of `from` restored into `to` as `<key>_r` (with its TTL), then compared.
fn copy_all(from: &mut Con, to: &mut Con) {
    for k in KEYS {
        let payload: Vec<u8> = redis::cmd("DUMP").arg(*k).query(from).unwrap();
        let ttl: i64 = q(from, &["PTTL", k]);
        let _: () = redis::cmd("RESTORE")
            .arg(format!("{k}_r"))
            .arg(ttl.max(0))
            .arg(payload)
            .query(to)
            .unwrap_or_else(|e| panic!("RESTORE {k}: {e}"));
        assert_eq!(
            content(from, k),
            content(to, &format!("{k}_r")),
            "{k} differs"
        );
    }
    let ttl: i64 = q(to, &["PTTL", "t_r"]);
    assert!(ttl > 90_000 && ttl <= 100_000, "{ttl}");
    let ttl: i64 = q(to, &["PTTL", "s_r"]);
    assert_eq!(ttl, -1);
}

#[test]
fn every_type_round_trips_with_its_options() {
    let s = ChildServer::start(&[]);
    let mut c = common::connect(&format!("redis://127.0.0.1:{}/", s.port));
    fill(&mut c);
    let mut c2 = common::connect(&format!("redis://127.0.0.1:{}/1", s.port));
    copy_all(&mut c, &mut c2);
    let mut r = common::Raw::connect(s.port);
    let dump = r.cmd(&[b"DUMP", b"s"]);
    let payload = &dump[dump.iter().position(|&b| b == b'\n').unwrap() + 1..dump.len() - 2];
    // A payload Redis 7.0 would write for the same string, byte for byte.
    assert_eq!(payload, b"\x00\x05hello\x0a\x00cr\xdfve4 \n".as_slice());
    for (args, reply) in [
        (&[&b"DUMP"[..], b"nokey"][..], &b"$-1\r\n"[..]),
        (
            &[b"RESTORE", b"s", b"0", payload],
            b"-BUSYKEY Target key name already exists.\r\n",
        ),
        (
            &[b"RESTORE", b"x", b"0", b"junk"],
            b"-ERR DUMP payload version or checksum are wrong\r\n",
        ),
        (
            &[b"RESTORE", b"x", b"-1", payload],
            b"-ERR Invalid TTL value, must be >= 0\r\n",
        ),
        (
            &[b"RESTORE", b"x", b"0", payload, b"FREQ", b"256"],
            b"-ERR Invalid FREQ value, must be >= 0 and <= 255\r\n",
        ),
        (
            &[b"RESTORE", b"x", b"0", payload, b"IDLETIME", b"-1"],
            b"-ERR Invalid IDLETIME value, must be >= 0\r\n",
        ),
        (
            &[b"RESTORE", b"x", b"0", payload, b"BOGUS"],
            b"-ERR syntax error\r\n",
        ),
        // REPLACE over another type; ABSTTL in the past leaves no key.
        (&[b"RESTORE", b"l", b"0", payload, b"REPLACE"], b"+OK\r\n"),
        (&[b"GET", b"l"], b"$5\r\nhello\r\n"),
        (
            &[b"RESTORE", b"h", b"1000", payload, b"REPLACE", b"ABSTTL"],
            b"+OK\r\n",
        ),
        (&[b"EXISTS", b"h"], b":0\r\n"),
        (
            &[
                b"RESTORE",
                b"y",
                b"0",
                payload,
                b"IDLETIME",
                b"5",
                b"FREQ",
                b"1",
            ],
            b"-ERR syntax error\r\n",
        ),
    ] {
        assert_eq!(
            String::from_utf8_lossy(&r.cmd(args)),
            String::from_utf8_lossy(reply),
            "{:?}",
            args.iter()
                .map(|a| String::from_utf8_lossy(a))
                .collect::<Vec<_>>()
        );
    }
    // A corrupted body with a right checksum is refused as bad data.
    let mut bad = b"\x07junk".to_vec();
    bad.extend_from_slice(&10u16.to_le_bytes());
    let crc = ringdis::keyspace::rdb::crc64(&bad);
    bad.extend_from_slice(&crc.to_le_bytes());
    assert_eq!(
        r.cmd(&[b"RESTORE", b"x", b"0", &bad]),
        b"-ERR Bad data format\r\n"
    );
}

#[test]
fn payloads_move_between_ringdis_and_redis_server() {
    let d = tempfile::tempdir().unwrap();
    let Some((mut redis_proc, rport)) = common::redis_server(d.path(), &[]) else {
        return;
    };
    let s = ChildServer::start(&[]);
    let mut ours = common::connect(&format!("redis://127.0.0.1:{}/", s.port));
    let mut theirs = common::connect(&format!("redis://127.0.0.1:{rport}/"));
    fill(&mut ours);
    fill(&mut theirs);
    copy_all(&mut theirs, &mut ours);
    copy_all(&mut ours, &mut theirs);
    let _ = redis_proc.kill();
    let _ = redis_proc.wait();
}

/// RESTORE key 0 payload IDLETIME idle.
fn restore_idle(c: &mut redis::Connection, payload: &[u8], key: &str, idle: u64) {
    let _: () = redis::cmd("RESTORE")
        .arg(key)
        .arg(0)
        .arg(payload)
        .arg("IDLETIME")
        .arg(idle)
        .query(c)
        .unwrap();
}

/// RESTORE's IDLETIME under an LRU policy and FREQ under an LFU one set the key's access
/// clock, as OBJECT IDLETIME and OBJECT FREQ then say.
#[test]
fn restore_sets_idle_time_and_frequency() {
    let s = ChildServer::start(&["--maxmemory-policy", "allkeys-lru"]);
    let mut c = common::connect(&format!("redis://127.0.0.1:{}/", s.port));
    let _: () = q(&mut c, &["SET", "k", "v"]);
    let payload: Vec<u8> = redis::cmd("DUMP").arg("k").query(&mut c).unwrap();
    restore_idle(&mut c, &payload, "a", 1000);
    let idle: i64 = q(&mut c, &["OBJECT", "IDLETIME", "a"]);
    assert!((1000..1010).contains(&idle), "{idle}");
    let _: () = q(
        &mut c,
        &["CONFIG", "SET", "maxmemory-policy", "allkeys-lfu"],
    );
    let _: () = redis::cmd("RESTORE")
        .arg("b")
        .arg(0)
        .arg(&payload)
        .arg("FREQ")
        .arg(100)
        .query(&mut c)
        .unwrap();
    let freq: i64 = q(&mut c, &["OBJECT", "FREQ", "b"]);
    assert_eq!(freq, 100);
}

/// Without a maxmemory policy idle time is still kept, as Redis keeps it: RESTORE's IDLETIME
/// sets it, EXISTS, TYPE, TTL and OBJECT leave it, TOUCH and reads reset it.
#[test]
fn idle_time_is_kept_without_a_policy() {
    let s = ChildServer::start(&[]);
    let mut c = common::connect(&format!("redis://127.0.0.1:{}/", s.port));
    let _: () = q(&mut c, &["SET", "k", "v"]);
    let payload: Vec<u8> = redis::cmd("DUMP").arg("k").query(&mut c).unwrap();
    for key in ["a", "b"] {
        restore_idle(&mut c, &payload, key, 1000);
    }
    let _: i64 = q(&mut c, &["EXISTS", "a"]);
    let _: String = q(&mut c, &["TYPE", "a"]);
    let _: i64 = q(&mut c, &["TTL", "a"]);
    let _: i64 = q(&mut c, &["PTTL", "a"]);
    let idle: i64 = q(&mut c, &["OBJECT", "IDLETIME", "a"]);
    assert!((1000..1010).contains(&idle), "{idle}");
    let _: i64 = q(&mut c, &["TOUCH", "a"]);
    assert!(q::<i64>(&mut c, &["OBJECT", "IDLETIME", "a"]) <= 1);
    let _: String = q(&mut c, &["GET", "b"]);
    assert!(q::<i64>(&mut c, &["OBJECT", "IDLETIME", "b"]) <= 1);
    assert!(redis::cmd("OBJECT")
        .arg("FREQ")
        .arg("a")
        .query::<i64>(&mut c)
        .unwrap_err()
        .to_string()
        .contains("An LFU maxmemory policy is not selected"));
}

/// MIGRATE to another ringdis and to redis-server: moved (or copied) with their TTLs, KEYS,
/// REPLACE, AUTH/AUTH2, and Redis's replies for a missing key, a busy one and an unreachable
/// target.
#[test]
fn migrate_moves_keys_to_ringdis_and_redis_server() {
    let src = ChildServer::start(&[]);
    let dst = ChildServer::start(&["--requirepass", "pw"]);
    let mut r = common::Raw::connect(src.port);
    let mut c = common::connect(&format!("redis://127.0.0.1:{}/", src.port));
    fill(&mut c);
    let want: Vec<Value> = KEYS.iter().map(|k| content(&mut c, k)).collect();
    let port = dst.port.to_string();
    let cmd = |r: &mut common::Raw, args: &[&str]| {
        let argv: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
        String::from_utf8_lossy(&r.cmd(&argv)).into_owned()
    };
    let m = |extra: &[&str]| -> Vec<String> {
        let mut v: Vec<String> = ["MIGRATE", "127.0.0.1", port.as_str()]
            .iter()
            .map(|s| s.to_string())
            .collect();
        v.extend(extra.iter().map(|s| s.to_string()));
        v
    };
    let run = |r: &mut common::Raw, args: Vec<String>| {
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        cmd(r, &a)
    };
    assert_eq!(
        run(&mut r, m(&["s", "0", "1000"])),
        "-ERR Target instance replied with error: NOAUTH Authentication required.\r\n"
    );
    assert_eq!(
        run(&mut r, m(&["nosuch", "0", "1000", "AUTH", "pw"])),
        "+NOKEY\r\n"
    );
    // Everything to database 2 of the target: copies first, then moved.
    let mut all = m(&["", "2", "1000", "COPY", "AUTH2", "default", "pw", "KEYS"]);
    all.extend(KEYS.iter().map(|k| k.to_string()));
    assert_eq!(run(&mut r, all.clone()), "+OK\r\n");
    assert_eq!(cmd(&mut r, &["EXISTS", "s"]), ":1\r\n");
    let busy = run(&mut r, all.clone());
    assert!(
        busy.starts_with("-ERR Target instance replied with error: BUSYKEY"),
        "{busy}"
    );
    let mut moved = m(&["", "2", "1000", "REPLACE", "AUTH", "pw", "KEYS"]);
    moved.extend(KEYS.iter().map(|k| k.to_string()));
    assert_eq!(run(&mut r, moved), "+OK\r\n");
    assert_eq!(cmd(&mut r, &["DBSIZE"]), ":0\r\n");
    let mut d = common::connect(&format!("redis://:pw@127.0.0.1:{}/2", dst.port));
    let got: Vec<Value> = KEYS.iter().map(|k| content(&mut d, k)).collect();
    assert_eq!(got, want);
    let ttl: i64 = q(&mut d, &["PTTL", "t"]);
    assert!(ttl > 90_000 && ttl <= 100_000, "{ttl}");
    // An unreachable target.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed_port = closed.local_addr().unwrap().port().to_string();
    drop(closed);
    let _: () = q(&mut c, &["SET", "k", "v"]);
    assert_eq!(
        cmd(
            &mut r,
            &["MIGRATE", "127.0.0.1", &closed_port, "k", "0", "500"]
        ),
        "-IOERR error or timeout connecting to the client\r\n"
    );
    assert_eq!(
        cmd(
            &mut r,
            &["MIGRATE", "127.0.0.1", &port, "k", "0", "500", "KEYS", "k"]
        ),
        "-ERR When using MIGRATE KEYS option, the key argument must be set to the empty string\r\n"
    );
    // To redis-server.
    let dir = tempfile::tempdir().unwrap();
    let Some((mut redis_proc, rport)) = common::redis_server(dir.path(), &[]) else {
        return;
    };
    let rp = rport.to_string();
    fill(&mut c);
    let mut all = vec!["MIGRATE", "127.0.0.1", rp.as_str(), "", "0", "1000", "KEYS"];
    all.extend(KEYS.iter().copied());
    assert_eq!(cmd(&mut r, &all), "+OK\r\n");
    let mut theirs = common::connect(&format!("redis://127.0.0.1:{rport}/"));
    let got: Vec<Value> = KEYS.iter().map(|k| content(&mut theirs, k)).collect();
    assert_eq!(got, want);
    let _ = redis_proc.kill();
    let _ = redis_proc.wait();
}
