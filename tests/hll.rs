//! HyperLogLog: Redis's string layout byte for byte (fixtures made by redis-server 7.0.15 with
//! the same commands), its replies and errors, its estimate's error bound, and persistence.

mod common;
use common::{check_replies, q, TestServer};

fn elements(from: usize, to: usize) -> Vec<String> {
    (from..to).map(|j| format!("e{j}")).collect()
}

fn pfadd(c: &mut redis::Connection, key: &str, eles: &[String]) -> i64 {
    let mut cmd = redis::cmd("PFADD");
    cmd.arg(key);
    for e in eles {
        cmd.arg(e);
    }
    cmd.query(c).unwrap()
}

fn get(c: &mut redis::Connection, key: &str) -> Vec<u8> {
    redis::cmd("GET").arg(key).query(c).unwrap()
}

/// The same PFADDs, PFCOUNTs and PFMERGE as redis-server ran to make the fixtures give the same
/// bytes, sparse and dense, with the same cached cardinalities.
#[test]
fn same_bytes_as_redis() {
    let srv = TestServer::start(2);
    let mut c = srv.client();
    for i in (0..300).step_by(10) {
        pfadd(&mut c, "sparse", &elements(i, i + 10));
    }
    for i in (0..20000).step_by(100) {
        pfadd(&mut c, "dense", &elements(i, i + 100));
    }
    assert_eq!(q::<i64>(&mut c, &["PFCOUNT", "dense"]), 19901);
    assert_eq!(q::<i64>(&mut c, &["PFCOUNT", "sparse"]), 302);
    assert_eq!(
        q::<String>(&mut c, &["PFMERGE", "merged", "sparse", "dense"]),
        "OK"
    );
    assert_eq!(q::<i64>(&mut c, &["PFCOUNT", "merged"]), 19901);
    for k in ["sparse", "dense", "merged"] {
        let want = std::fs::read(format!("tests/fixtures/hll/{k}.bin")).unwrap();
        assert!(get(&mut c, k) == want, "{k} differs from redis-server's");
    }
    assert_eq!(
        q::<String>(&mut c, &["PFDEBUG", "ENCODING", "merged"]),
        "dense"
    );
}

/// An HLL made by redis-server, stored with SET, counts and grows in ringdis.
#[test]
fn hll_from_redis_is_usable() {
    let srv = TestServer::start(1);
    let mut c = srv.client();
    let bytes = std::fs::read("tests/fixtures/hll/sparse.bin").unwrap();
    let _: () = redis::cmd("SET")
        .arg("h")
        .arg(&bytes)
        .query(&mut c)
        .unwrap();
    assert_eq!(q::<i64>(&mut c, &["PFCOUNT", "h"]), 302);
    assert_eq!(pfadd(&mut c, "h", &elements(0, 300)), 0);
    assert_eq!(pfadd(&mut c, "h", &elements(300, 310)), 1);
    assert_eq!(q::<i64>(&mut c, &["PFCOUNT", "h"]), 312);
}

#[test]
fn error_within_two_percent_at_a_million() {
    let srv = TestServer::start(2);
    let mut c = srv.client();
    let n = 1_000_000;
    let mut pipe = redis::pipe();
    for i in (0..n).step_by(1000) {
        let mut cmd = redis::cmd("PFADD");
        cmd.arg("big");
        for j in i..i + 1000 {
            cmd.arg(j);
        }
        pipe.add_command(cmd).ignore();
    }
    let _: () = pipe.query(&mut c).unwrap();
    let est: i64 = q(&mut c, &["PFCOUNT", "big"]);
    let err = (est - n as i64).abs() as f64 / n as f64;
    assert!(err < 0.02, "estimate {est} for {n}");
    assert_eq!(
        q::<String>(&mut c, &["PFDEBUG", "ENCODING", "big"]),
        "dense"
    );
    let regs: Vec<i64> = q(&mut c, &["PFDEBUG", "GETREG", "big"]);
    assert_eq!(regs.len(), 16384);
    assert!(regs.iter().all(|&r| (1..=51).contains(&r)));
    assert_eq!(q::<String>(&mut c, &["PFSELFTEST"]), "OK");
}

/// Replies and errors, as redis-server 7.0.15 gives them.
#[test]
fn replies_and_errors() {
    let srv = TestServer::start(2);
    let mut r = srv.raw();
    check_replies(
        &mut r,
        &[
            ("SET s foo", "+OK\r\n"),
            (
                "PFADD s a",
                "-WRONGTYPE Key is not a valid HyperLogLog string value.\r\n",
            ),
            (
                "PFCOUNT s nokey",
                "-WRONGTYPE Key is not a valid HyperLogLog string value.\r\n",
            ),
            ("LPUSH l a", ":1\r\n"),
            (
                "PFADD l a",
                "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
            ),
            (
                "PFCOUNT l s",
                "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
            ),
            (
                "PFDEBUG foo nokey",
                "-ERR The specified key does not exist\r\n",
            ),
            (
                "PFDEBUG foo s",
                "-WRONGTYPE Key is not a valid HyperLogLog string value.\r\n",
            ),
            ("PFADD h a b c", ":1\r\n"),
            ("PFADD h a b c", ":0\r\n"),
            ("PFDEBUG foo h", "-ERR Unknown PFDEBUG subcommand 'foo'\r\n"),
            (
                "PFDEBUG decode h",
                "$44\r\nZ:8436 v:1,1 Z:4274 v:2,1 Z:3068 v:1,1 Z:603\r\n",
            ),
            ("PFDEBUG encoding h", "+sparse\r\n"),
            ("PFCOUNT h", ":3\r\n"),
            ("PFDEBUG todense h", ":1\r\n"),
            ("PFDEBUG todense h", ":0\r\n"),
            ("PFCOUNT h", ":3\r\n"),
            ("PFDEBUG decode h", "-ERR HLL encoding is not sparse\r\n"),
            (
                "PFDEBUG getreg",
                "-ERR wrong number of arguments for 'pfdebug' command\r\n",
            ),
            (
                "PFMERGE",
                "-ERR wrong number of arguments for 'pfmerge' command\r\n",
            ),
            ("PFMERGE nk1 nk2", "+OK\r\n"),
            ("STRLEN nk1", ":18\r\n"),
            ("PFADD new", ":1\r\n"),
            ("PFADD new", ":0\r\n"),
            ("PFCOUNT new", ":0\r\n"),
            ("PFCOUNT nokey", ":0\r\n"),
            (
                "PFMERGE h2 h s",
                "-WRONGTYPE Key is not a valid HyperLogLog string value.\r\n",
            ),
            ("SET d HYLLxxxxxxxxxxxxxxxxxxx", "+OK\r\n"),
            (
                "PFCOUNT d",
                "-WRONGTYPE Key is not a valid HyperLogLog string value.\r\n",
            ),
            ("PFSELFTEST", "+OK\r\n"),
        ],
    );
    // A valid header over broken opcodes: Redis's INVALIDOBJ, and the server carries on.
    let mut c = srv.client();
    pfadd(&mut c, "stale", &[]);
    let mut bytes = get(&mut c, "stale");
    bytes.extend_from_slice(b"AAAA");
    let _: () = redis::cmd("SET")
        .arg("bad")
        .arg(&bytes)
        .query(&mut c)
        .unwrap();
    check_replies(
        &mut r,
        &[
            (
                "PFCOUNT bad",
                "-INVALIDOBJ Corrupted HLL object detected\r\n",
            ),
            (
                "PFMERGE x bad",
                "-INVALIDOBJ Corrupted HLL object detected\r\n",
            ),
            ("PING", "+PONG\r\n"),
        ],
    );
}

/// PFCOUNT's cached cardinality, a WATCHed HLL, and the AOF bringing back the same bytes.
#[test]
fn cache_watch_and_restart() {
    let mut srv = TestServer::start(2);
    let mut c = srv.client();
    pfadd(&mut c, "h", &elements(0, 50));
    let stale = get(&mut c, "h");
    assert_eq!(stale[15] & 0x80, 0x80, "PFADD leaves the cache stale");
    // Storing the cache is a change for WATCH, as in Redis.
    let mut w = srv.client();
    let _: () = redis::cmd("WATCH").arg("h").query(&mut w).unwrap();
    assert_eq!(q::<i64>(&mut c, &["PFCOUNT", "h"]), 50);
    let _: () = redis::cmd("MULTI").query(&mut w).unwrap();
    let _: () = redis::cmd("PING").query(&mut w).unwrap();
    let r: Option<Vec<String>> = redis::cmd("EXEC").query(&mut w).unwrap();
    assert_eq!(r, None);
    let fresh = get(&mut c, "h");
    assert_eq!(&fresh[8..16], &50u64.to_le_bytes());
    pfadd(&mut c, "d", &elements(0, 5000));
    drop(c);
    srv.restart();
    let mut c = srv.client();
    assert_eq!(get(&mut c, "h"), fresh);
    assert_eq!(q::<String>(&mut c, &["PFDEBUG", "ENCODING", "d"]), "dense");
}

/// `PFMERGE dest` alone (no sources) creates an empty HLL, and the AOF keeps it.
#[test]
fn pfmerge_of_no_sources_survives_a_restart() {
    let mut srv = TestServer::start(1);
    let mut c = srv.client();
    assert_eq!(q::<String>(&mut c, &["PFMERGE", "only"]), "OK");
    drop(c);
    srv.restart();
    let mut c = srv.client();
    assert_eq!(q::<i64>(&mut c, &["PFCOUNT", "only"]), 0);
    assert_eq!(q::<i64>(&mut c, &["EXISTS", "only"]), 1);
}
