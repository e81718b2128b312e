//! A data set with every kind of value ringdis keeps, and a key-by-key picture of a server's
//! data to compare two servers with (RDB files, replication).

use super::connect;
use std::collections::BTreeMap;

/// Every kind of value ringdis keeps in RDB, in small and large encodings, with deadlines, in
/// two databases, and a function library.
pub fn fill(port: u16) {
    let mut c = connect(&format!("redis://127.0.0.1:{port}/"));
    let _: () = redis::cmd("FLUSHALL").query(&mut c).unwrap();
    let mut p = redis::pipe();
    for i in 0..300 {
        p.cmd("SET")
            .arg(format!("s{i}"))
            .arg(format!("v{i}").repeat(i % 9))
            .ignore();
    }
    p.cmd("SET").arg("int").arg("-123456789012").ignore();
    p.cmd("SET").arg("small").arg("7").ignore();
    p.cmd("SET").arg("lzf").arg("abc".repeat(500)).ignore();
    p.cmd("SET")
        .arg("bin")
        .arg(&[0u8, 255, 13, 10][..])
        .ignore();
    p.cmd("RPUSH").arg("l").arg(&["a", "1", "b"]).ignore();
    let long: Vec<String> = (0..3000).map(|i| format!("item{i}")).collect();
    p.cmd("RPUSH").arg("bl").arg(&long).ignore();
    p.cmd("SADD")
        .arg("si")
        .arg(&["1", "2", "-5", "70000"])
        .ignore();
    p.cmd("SADD").arg("ss").arg(&["a", "b", "c"]).ignore();
    p.cmd("SADD").arg("bs").arg(&long).ignore();
    p.cmd("HSET").arg("h").arg(&["f", "v", "n", "12"]).ignore();
    for i in 0..700 {
        p.cmd("HSET")
            .arg("bh")
            .arg(format!("f{i}"))
            .arg("x".repeat(i % 90))
            .ignore();
        p.cmd("ZADD")
            .arg("bz")
            .arg(i as f64 / 7.0)
            .arg(format!("m{i}"))
            .ignore();
    }
    p.cmd("ZADD")
        .arg("z")
        .arg(&["1.5", "a", "-2", "b", "inf", "c", "-inf", "d"])
        .ignore();
    for i in 0..250u32 {
        let id = format!("{}-{}", 1000 + i, i % 2);
        if i % 3 == 0 {
            p.cmd("XADD")
                .arg("st")
                .arg(&id)
                .arg(&["other", "v"])
                .ignore();
        } else {
            p.cmd("XADD")
                .arg("st")
                .arg(&id)
                .arg("a")
                .arg(i)
                .arg("b")
                .arg("x")
                .ignore();
        }
    }
    p.cmd("XDEL").arg("st").arg("1005-1").ignore();
    p.cmd("XGROUP")
        .arg(&["CREATE", "st", "g1", "1100-0"])
        .ignore();
    p.cmd("XREADGROUP")
        .arg(&["GROUP", "g1", "alice", "COUNT", "5", "STREAMS", "st", ">"])
        .ignore();
    p.cmd("XGROUP")
        .arg(&["CREATECONSUMER", "st", "g1", "bob"])
        .ignore();
    p.cmd("XGROUP").arg(&["CREATE", "st", "g2", "$"]).ignore();
    p.cmd("XADD").arg(&["empty", "1-1", "a", "1"]).ignore();
    p.cmd("XTRIM").arg(&["empty", "MAXLEN", "0"]).ignore();
    p.cmd("SET")
        .arg("ttl")
        .arg("v")
        .arg("PX")
        .arg(600_000)
        .ignore();
    p.cmd("HSET").arg("httl").arg("f").arg("v").ignore();
    p.cmd("PEXPIRE").arg("httl").arg(900_000).ignore();
    p.cmd("SELECT").arg(3).ignore();
    p.cmd("SET").arg("in3").arg("three").ignore();
    p.cmd("SELECT").arg(0).ignore();
    p.cmd("FUNCTION")
        .arg("LOAD")
        .arg("#!lua name=lib1\nredis.register_function('f1', function() return 1 end)")
        .ignore();
    p.query::<()>(&mut c).unwrap();
}

/// What each key holds in databases 0 and 3 (type, content, whether it has a deadline), and
/// the function libraries.
pub fn snapshot(port: u16) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for db in [0, 3] {
        let mut c = connect(&format!("redis://127.0.0.1:{port}/{db}"));
        let keys: Vec<String> = redis::cmd("KEYS").arg("*").query(&mut c).unwrap();
        for k in keys {
            let t: String = redis::cmd("TYPE").arg(&k).query(&mut c).unwrap();
            let v: String = match t.as_str() {
                "string" => {
                    let v: Vec<u8> = redis::cmd("GET").arg(&k).query(&mut c).unwrap();
                    format!("{v:?}")
                }
                "list" => {
                    let v: Vec<String> = redis::cmd("LRANGE")
                        .arg(&k)
                        .arg(0)
                        .arg(-1)
                        .query(&mut c)
                        .unwrap();
                    format!("{v:?}")
                }
                "set" => {
                    let mut v: Vec<String> = redis::cmd("SMEMBERS").arg(&k).query(&mut c).unwrap();
                    v.sort();
                    format!("{v:?}")
                }
                "hash" => {
                    let v: BTreeMap<String, String> =
                        redis::cmd("HGETALL").arg(&k).query(&mut c).unwrap();
                    format!("{v:?}")
                }
                "zset" => {
                    let v: Vec<(String, String)> = redis::cmd("ZRANGE")
                        .arg(&k)
                        .arg(0)
                        .arg(-1)
                        .arg("WITHSCORES")
                        .query(&mut c)
                        .unwrap();
                    format!("{v:?}")
                }
                "stream" => {
                    let v: redis::Value = redis::cmd("XRANGE")
                        .arg(&k)
                        .arg("-")
                        .arg("+")
                        .query(&mut c)
                        .unwrap();
                    let g: redis::Value = redis::cmd("XINFO")
                        .arg("GROUPS")
                        .arg(&k)
                        .query(&mut c)
                        .unwrap();
                    let p: redis::Value = redis::cmd("XPENDING")
                        .arg(&k)
                        .arg("g1")
                        .query(&mut c)
                        .unwrap_or(redis::Value::Nil);
                    let info: redis::Value = redis::cmd("XINFO")
                        .arg("STREAM")
                        .arg(&k)
                        .query(&mut c)
                        .unwrap();
                    format!("{v:?} {g:?} {p:?} {info:?}")
                }
                other => other.to_string(),
            };
            let ttl: i64 = redis::cmd("PTTL").arg(&k).query(&mut c).unwrap();
            out.insert(format!("{db}/{k}"), format!("{t} {v} {}", ttl > 0));
        }
    }
    let mut c = connect(&format!("redis://127.0.0.1:{port}/"));
    let libs: redis::Value = redis::cmd("FUNCTION").arg("LIST").query(&mut c).unwrap();
    out.insert("functions".into(), format!("{libs:?}"));
    out
}

/// Fails naming the first key whose content differs (the whole maps are too long to print).
#[track_caller]
pub fn same(got: BTreeMap<String, String>, want: &BTreeMap<String, String>) {
    for (k, v) in want {
        let g = got.get(k).map(String::as_str).unwrap_or("<missing>");
        let at = g.bytes().zip(v.bytes()).take_while(|(a, b)| a == b).count();
        let from = g.floor_char_boundary(at.saturating_sub(100));
        assert!(
            g == v,
            "{k} differs at {at}: got\n{:.400}\nwant\n{:.400}",
            &g[from..],
            &v[v.floor_char_boundary(from)..]
        );
    }
    assert_eq!(got.len(), want.len(), "extra keys");
}
