//! Streams: exact replies (as Redis 7.0.15 gives them for the same sequence), XREAD BLOCK woken
//! from another executor, and the AOF across a restart and a rewrite.

mod common;
use common::{check_replies as check, q, TestServer};

fn entry(id: &str, fv: &[&str]) -> String {
    let mut s = format!("*2\r\n${}\r\n{id}\r\n*{}\r\n", id.len(), fv.len());
    for x in fv {
        s.push_str(&format!("${}\r\n{x}\r\n", x.len()));
    }
    s
}

#[test]
fn stream_commands() {
    let srv = TestServer::start(2);
    let mut r = srv.raw();
    let two = format!(
        "*2\r\n{}{}",
        entry("6-0", &["e", "f"]),
        entry("7-0", &["g", "h"])
    );
    check(
        &mut r,
        &[
            ("XADD s 1-1 f v", "$3\r\n1-1\r\n"),
            ("XADD s 1-1 f v", "-ERR The ID specified in XADD is equal or smaller than the target stream top item\r\n"),
            ("XADD s 0-0 f v", "-ERR The ID specified in XADD must be greater than 0-0\r\n"),
            ("XADD s 1-* a b", "$3\r\n1-2\r\n"),
            ("XADD s 5 c d", "$3\r\n5-0\r\n"),
            ("XADD s MAXLEN 3 6-0 e f", "$3\r\n6-0\r\n"),
            ("XADD s MAXLEN = 2 7-0 g h", "$3\r\n7-0\r\n"),
            ("XLEN s", ":2\r\n"),
            ("XRANGE s - +", &two),
            ("XRANGE s - + COUNT 1", &format!("*1\r\n{}", entry("6-0", &["e", "f"]))),
            ("XRANGE s (6-0 +", &format!("*1\r\n{}", entry("7-0", &["g", "h"]))),
            ("XRANGE s x y", "-ERR Invalid stream ID specified as stream command argument\r\n"),
            ("XADD s 9-0 f", "-ERR wrong number of arguments for 'xadd' command\r\n"),
            ("XDEL s 6-0 99-0", ":1\r\n"),
            ("XTRIM s MAXLEN 0", ":1\r\n"),
            ("XLEN s", ":0\r\n"),
            ("XTRIM s FOO 1", "-ERR syntax error\r\n"),
            ("XADD s 10-5 k v", "$4\r\n10-5\r\n"),
            ("XADD s 10-* k v", "$4\r\n10-6\r\n"),
            ("XREAD COUNT 1 STREAMS s 0-0", &format!("*1\r\n*2\r\n$1\r\ns\r\n*1\r\n{}", entry("10-5", &["k", "v"]))),
            ("XREAD STREAMS s 10-6", "*-1\r\n"),
            ("XREAD STREAMS s", "-ERR wrong number of arguments for 'xread' command\r\n"),
            ("XREAD STREAMS s t 0", "-ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.\r\n"),
            ("SET str x", "+OK\r\n"),
            ("XLEN str", "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
            ("TYPE s", "+stream\r\n"),
        ],
    );
}

#[test]
fn xread_block_is_woken_by_xadd_from_any_executor() {
    let srv = TestServer::start(2);
    let mut p = srv.client();
    let _: String = q(&mut p, &["XADD", "events", "1-1", "old", "x"]);
    let readers: Vec<_> = (0..4)
        .map(|_| {
            let mut c = srv.client();
            std::thread::spawn(move || {
                let v: redis::Value = redis::cmd("XREAD")
                    .arg("BLOCK")
                    .arg(0)
                    .arg("STREAMS")
                    .arg("events")
                    .arg("$")
                    .query(&mut c)
                    .unwrap();
                format!("{v:?}")
            })
        })
        .collect();
    common::eventually(|| {
        q::<String>(&mut p, &["CLIENT", "LIST"])
            .matches("cmd=xread")
            .count()
            == 4
    });
    let _: String = q(&mut p, &["XADD", "events", "2-1", "new", "y"]);
    for r in readers {
        let got = r.join().unwrap();
        assert!(got.contains("2-1") && !got.contains("1-1"), "{got}");
    }
    let v: redis::Value = redis::cmd("XREAD")
        .arg("BLOCK")
        .arg(50)
        .arg("STREAMS")
        .arg("events")
        .arg("$")
        .query(&mut p)
        .unwrap();
    assert_eq!(v, redis::Value::Nil);
}

#[test]
fn streams_survive_restart_and_rewrite() {
    let mut srv = TestServer::start(2);
    let mut c = srv.client();
    for i in 0..10 {
        let _: String = q(&mut c, &["XADD", "log", "*", "n", &i.to_string()]);
    }
    let _: i64 = q(&mut c, &["XTRIM", "log", "MAXLEN", "=", "6"]);
    let ids: Vec<(String, Vec<String>)> = q(&mut c, &["XRANGE", "log", "-", "+"]);
    let _: i64 = q(&mut c, &["XDEL", "log", &ids[0].0]);
    let want: Vec<(String, Vec<String>)> = q(&mut c, &["XRANGE", "log", "-", "+"]);
    assert_eq!(want.len(), 5);
    drop(c);
    srv.restart();
    let mut c = srv.client();
    assert_eq!(
        q::<Vec<(String, Vec<String>)>>(&mut c, &["XRANGE", "log", "-", "+"]),
        want
    );
    common::rewrite_aof(&mut c);
    drop(c);
    srv.restart();
    let mut c = srv.client();
    assert_eq!(
        q::<Vec<(String, Vec<String>)>>(&mut c, &["XRANGE", "log", "-", "+"]),
        want
    );
}

/// Consumer groups: XGROUP, XREADGROUP (new entries, history, NOACK), XACK, XPENDING, XCLAIM,
/// XAUTOCLAIM, XINFO, XSETID, with redis-server 7.0.15's replies (time-dependent fields left
/// out).
#[test]
fn consumer_groups_reply_as_redis() {
    let srv = TestServer::start(2);
    let mut r = srv.raw();
    let g_info = |name: &str, consumers: i64, pending: i64, last: &str, read: &str, lag: &str| {
        format!("*12\r\n$4\r\nname\r\n${}\r\n{name}\r\n$9\r\nconsumers\r\n:{consumers}\r\n$7\r\npending\r\n:{pending}\r\n$17\r\nlast-delivered-id\r\n${}\r\n{last}\r\n$12\r\nentries-read\r\n{read}\r\n$3\r\nlag\r\n{lag}\r\n", name.len(), last.len())
    };
    common::check_replies(
        &mut r,
        &[
            ("XGROUP CREATE s g $", "-ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.\r\n"),
            ("XGROUP CREATE s g $ MKSTREAM", "+OK\r\n"),
            ("XGROUP CREATE s g $ MKSTREAM", "-BUSYGROUP Consumer Group name already exists\r\n"),
            ("XGROUP CREATE s g2 0 ENTRIESREAD 5", "+OK\r\n"),
            ("XADD s 1-1 a 1", "$3\r\n1-1\r\n"),
            ("XADD s 2-1 b 2", "$3\r\n2-1\r\n"),
            ("XADD s 3-1 c 3", "$3\r\n3-1\r\n"),
            ("XINFO GROUPS s", &format!("*2\r\n{}{}", g_info("g", 0, 0, "0-0", "$-1", ":3"), g_info("g2", 0, 0, "0-0", ":5", ":-2"))),
            ("XREADGROUP GROUP g alice COUNT 1 STREAMS s >", "*1\r\n*2\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n1-1\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n"),
            ("XREADGROUP GROUP g alice STREAMS s 0", "*1\r\n*2\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n1-1\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n"),
            ("XREADGROUP GROUP nog alice STREAMS s >", "-NOGROUP No such key 's' or consumer group 'nog' in XREADGROUP with GROUP option\r\n"),
            ("XREADGROUP GROUP g alice NOACK STREAMS s >", "*1\r\n*2\r\n$1\r\ns\r\n*2\r\n*2\r\n$3\r\n2-1\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n*2\r\n$3\r\n3-1\r\n*2\r\n$1\r\nc\r\n$1\r\n3\r\n"),
            ("XREADGROUP GROUP g alice STREAMS s >", "*-1\r\n"),
            ("XPENDING s g", "*4\r\n:1\r\n$3\r\n1-1\r\n$3\r\n1-1\r\n*1\r\n*2\r\n$5\r\nalice\r\n$1\r\n1\r\n"),
            ("XPENDING s nog", "-NOGROUP No such key 's' or consumer group 'nog'\r\n"),
            ("XCLAIM s g carol 0 1-1 JUSTID", "*1\r\n$3\r\n1-1\r\n"),
            ("XPENDING s g - + 10 alice", "*0\r\n"),
            ("XCLAIM s g carol x 1-1", "-ERR Invalid min-idle-time argument for XCLAIM\r\n"),
            ("XACK s g 1-1 9-9", ":1\r\n"),
            ("XACK nokey g 1-1", ":0\r\n"),
            ("XPENDING s g", "*4\r\n:0\r\n$-1\r\n$-1\r\n*-1\r\n"),
            ("XGROUP CREATECONSUMER s g dave", ":1\r\n"),
            ("XGROUP CREATECONSUMER s g dave", ":0\r\n"),
            ("XGROUP DELCONSUMER s g carol", ":0\r\n"),
            ("XGROUP SETID s nog 0", "-NOGROUP No such consumer group 'nog' for key name 's'\r\n"),
            ("XGROUP DESTROY s g2", ":1\r\n"),
            ("XDEL s 2-1", ":1\r\n"),
            ("XGROUP SETID s g 0", "+OK\r\n"),
            ("XREADGROUP GROUP g erin STREAMS s >", "*1\r\n*2\r\n$1\r\ns\r\n*2\r\n*2\r\n$3\r\n1-1\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n*2\r\n$3\r\n3-1\r\n*2\r\n$1\r\nc\r\n$1\r\n3\r\n"),
            ("XINFO GROUPS s", &format!("*1\r\n{}", g_info("g", 3, 2, "3-1", ":3", ":0"))),
            ("XAUTOCLAIM s g frank 0 0 COUNT 1 JUSTID", "*3\r\n$3\r\n3-1\r\n*1\r\n$3\r\n1-1\r\n*0\r\n"),
            ("XAUTOCLAIM s g frank 0 0 COUNT 0", "-ERR COUNT must be > 0\r\n"),
            ("XSETID s 1-1", "-ERR The ID specified in XSETID is smaller than the target stream top item\r\n"),
            ("XSETID s 10-1 ENTRIESADDED 1", "-ERR The entries_added specified in XSETID is smaller than the target stream length\r\n"),
            ("XSETID s 10-1 ENTRIESADDED 5 MAXDELETEDID 11-1", "-ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id\r\n"),
            ("XSETID s 10-1 ENTRIESADDED 5 MAXDELETEDID 2-1", "+OK\r\n"),
            ("XSETID nokey 1-1", "-ERR no such key\r\n"),
            ("XINFO CONSUMERS s nog", "-NOGROUP No such consumer group 'nog' for key name 's'\r\n"),
            ("XINFO STREAM nokey", "-ERR no such key\r\n"),
            ("XINFO STREAM nokey FULL COUNT x", "-ERR no such key\r\n"),
            ("XINFO STREAM s bla", "-ERR syntax error\r\n"),
            ("XINFO STREAM s FULL COUNT x", "-ERR value is not an integer or out of range\r\n"),
        ],
    );
}

/// XREADGROUP BLOCK wakes on an XADD from another client; groups, pending entries and
/// counters survive a restart (from the AOF, and from a rewritten one).
#[test]
fn consumer_groups_block_and_persist() {
    let mut srv = TestServer::start(2);
    let mut c = srv.client();
    let _: () = q(&mut c, &["XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"]);
    let mut w = srv.raw();
    w.send(&common::encode(&[
        b"XREADGROUP",
        b"GROUP",
        b"g",
        b"alice",
        b"BLOCK",
        b"0",
        b"STREAMS",
        b"s",
        b">",
    ]));
    common::eventually(|| common::info_u64(&mut c, "clients", "blocked_clients") == 1);
    let _: String = q(&mut c, &["XADD", "s", "5-1", "f", "v"]);
    assert_eq!(
        w.reply(),
        b"*1\r\n*2\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n5-1\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n"
    );
    let _: String = q(&mut c, &["XADD", "s", "6-1", "f", "w"]);
    let _: redis::Value = q(
        &mut c,
        &["XREADGROUP", "GROUP", "g", "bob", "STREAMS", "s", ">"],
    );
    let _: String = q(&mut c, &["XADD", "s", "7-1", "f", "x"]);
    let _: i64 = q(&mut c, &["XDEL", "s", "7-1"]);
    let _: () = q(&mut c, &["XGROUP", "CREATECONSUMER", "s", "g", "idle"]);
    let _: () = q(&mut c, &["XGROUP", "CREATE", "e", "g", "$", "MKSTREAM"]);
    let snapshot = |c: &mut redis::Connection| {
        let pending: redis::Value = q(c, &["XPENDING", "s", "g", "-", "+", "10"]);
        let groups: redis::Value = q(c, &["XINFO", "GROUPS", "s"]);
        let consumers: Vec<redis::Value> = q(c, &["XINFO", "CONSUMERS", "s", "g"]);
        let info: Vec<redis::Value> = q(c, &["XINFO", "STREAM", "s"]);
        let empty: redis::Value = q(c, &["XINFO", "GROUPS", "e"]);
        // Idle times move on; the rest must come back the same.
        let strip = |v: redis::Value| format!("{v:?}").split(", int(").next().unwrap().to_string();
        (
            strip(pending),
            groups,
            consumers.len(),
            info[..14].to_vec(),
            empty,
        )
    };
    let before = snapshot(&mut c);
    drop(c);
    srv.restart();
    let mut c = srv.client();
    assert_eq!(snapshot(&mut c), before);
    common::rewrite_aof(&mut c);
    drop(c);
    srv.restart();
    let mut c = srv.client();
    assert_eq!(snapshot(&mut c), before);
}

/// Entries grouped into nodes as Redis groups them: random XADD/XDEL/XTRIM (`~` and `=`,
/// MAXLEN and MINID, LIMIT) under several stream-node-max-entries/-bytes settings give
/// redis-server 7.0.15's replies and XINFO figures (length, radix-tree-keys,
/// radix-tree-nodes); the fixture and the script that made it are in
/// tests/fixtures/streams/. Then the AOF rebuilds the same streams, in the same nodes.
#[test]
fn nodes_and_approximate_trims_as_redis() {
    let mut srv = TestServer::start(2);
    let mut c = srv.client();
    let fixture = std::fs::read_to_string("tests/fixtures/streams/nodes.txt").unwrap();
    let info = |c: &mut redis::Connection, key: &str| -> String {
        let v: std::collections::HashMap<String, redis::Value> = q(c, &["XINFO", "STREAM", key]);
        let n = |k: &str| match &v[k] {
            redis::Value::Int(n) => *n,
            other => panic!("{k}: {other:?}"),
        };
        format!(
            "{} {} {}",
            n("length"),
            n("radix-tree-keys"),
            n("radix-tree-nodes")
        )
    };
    for (i, line) in fixture.lines().enumerate() {
        let (cmd, want) = line.split_once('\t').unwrap();
        let args: Vec<String> = cmd
            .split(' ')
            .map(
                |a| match a.strip_prefix("x{").and_then(|n| n.strip_suffix('}')) {
                    Some(n) => "x".repeat(n.parse().unwrap()),
                    None => a.to_string(),
                },
            )
            .collect();
        let got = if args[0] == "xinfo" {
            info(&mut c, &args[2])
        } else {
            match redis::cmd(&args[0])
                .arg(&args[1..])
                .query::<redis::Value>(&mut c)
            {
                Ok(redis::Value::Int(n)) => format!(":{n}"),
                Ok(redis::Value::BulkString(b)) => format!("${}", String::from_utf8(b).unwrap()),
                Ok(redis::Value::Okay) => "$OK".into(),
                Ok(other) => format!("{other:?}"),
                Err(e) => format!("-{}", e.detail().unwrap_or_default()),
            }
        };
        assert_eq!(got, want, "line {}: {cmd}", i + 1);
    }
    // The AOF states each trim exactly, so a restart rebuilds the same entries; those made
    // under the default node settings also land in the same nodes.
    let keys = ["s0", "s1", "s2", "s3", "s4", "s5", "q", "l"];
    let range = |c: &mut redis::Connection, k: &str| -> Vec<(String, Vec<String>)> {
        q(c, &["XRANGE", k, "-", "+"])
    };
    let before: Vec<_> = keys.iter().map(|k| range(&mut c, k)).collect();
    let nodes_before = [info(&mut c, "s0"), info(&mut c, "s5"), info(&mut c, "q")];
    drop(c);
    srv.restart();
    let mut c = srv.client();
    let after: Vec<_> = keys.iter().map(|k| range(&mut c, k)).collect();
    assert!(before == after, "a stream changed across the restart");
    assert_eq!(
        [info(&mut c, "s0"), info(&mut c, "s5"), info(&mut c, "q")],
        nodes_before
    );
}

/// XINFO looks its key up as Redis's reads do: a hit or a miss in INFO's keyspace counters.
#[test]
fn xinfo_counts_keyspace_hits_and_misses() {
    let srv = TestServer::start(1);
    let mut c = srv.client();
    let _: String = q(&mut c, &["XADD", "s", "1-1", "f", "v"]);
    let hits = common::info_u64(&mut c, "stats", "keyspace_hits");
    let misses = common::info_u64(&mut c, "stats", "keyspace_misses");
    let _: redis::Value = q(&mut c, &["XINFO", "STREAM", "s"]);
    let _: redis::Value = q(&mut c, &["XINFO", "GROUPS", "s"]);
    assert!(redis::cmd("XINFO")
        .arg(&["STREAM", "nokey"])
        .query::<redis::Value>(&mut c)
        .is_err());
    assert_eq!(common::info_u64(&mut c, "stats", "keyspace_hits"), hits + 2);
    assert_eq!(
        common::info_u64(&mut c, "stats", "keyspace_misses"),
        misses + 1
    );
}
