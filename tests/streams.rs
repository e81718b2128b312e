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
            ("XREAD STREAMS s t 0", "-ERR Unbalanced 'xread' list of streams: for each stream key an ID or '$' must be specified.\r\n"),
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
    let _: i64 = q(&mut c, &["XTRIM", "log", "MAXLEN", "~", "6"]);
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
