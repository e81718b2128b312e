//! The wire protocol with raw bytes: split frames, pipelines, inline commands, protocol errors,
//! RESP3 shapes.

mod common;
use common::{encode, TestServer};

#[test]
fn frames_split_at_every_byte() {
    let srv = TestServer::start(1);
    let mut r = srv.raw();
    let req = [
        encode(&[b"SET", b"split", b"value with spaces"]),
        encode(&[b"GET", b"split"]),
    ]
    .concat();
    for cut in 1..req.len() {
        r.send(&req[..cut]);
        r.s.flush().ok();
        std::thread::sleep(std::time::Duration::from_millis(1));
        r.send(&req[cut..]);
        assert_eq!(r.reply(), b"+OK\r\n");
        assert_eq!(r.reply(), b"$17\r\nvalue with spaces\r\n");
    }
}

use std::io::Write;

#[test]
fn large_values_and_long_pipelines() {
    let srv = TestServer::start(2);
    let mut r = srv.raw();
    let big = vec![b'x'; 1 << 20];
    assert_eq!(r.cmd(&[b"SET", b"big", &big]), b"+OK\r\n");
    let reply = r.cmd(&[b"GET", b"big"]);
    assert_eq!(&reply[..11], b"$1048576\r\nx");
    assert_eq!(reply.len(), (1 << 20) + 12);
    // 5000 pipelined commands are answered in order.
    let mut req = Vec::new();
    for i in 0..5000 {
        req.extend(encode(&[b"INCR", b"counter"]));
        if i % 1000 == 0 {
            req.extend(encode(&[b"ECHO", format!("mark{i}").as_bytes()]));
        }
    }
    r.send(&req);
    let mut n = 0;
    for i in 0..5000 {
        assert_eq!(r.reply(), format!(":{}\r\n", i + 1).into_bytes());
        if i % 1000 == 0 {
            assert_eq!(
                r.reply(),
                format!("${}\r\nmark{i}\r\n", format!("mark{i}").len()).into_bytes()
            );
        }
        n += 1;
    }
    assert_eq!(n, 5000);
}

#[test]
fn inline_commands() {
    let srv = TestServer::start(1);
    let mut r = srv.raw();
    r.send(b"PING\r\n");
    assert_eq!(r.reply(), b"+PONG\r\n");
    r.send(b"set greeting \"hello world\\n\"\r\nget greeting\n\r\n  \r\nECHO 'it''s'\r\n");
    assert_eq!(r.reply(), b"+OK\r\n");
    assert_eq!(r.reply(), b"$12\r\nhello world\n\r\n");
    assert_eq!(
        r.reply(),
        b"-ERR Protocol error: unbalanced quotes in request\r\n"
    );
    assert!(r.is_closed());
    // A NUL byte ends an inline line, as in Redis (it splits a C string).
    let mut r = srv.raw();
    r.send(b"SET nul v\0 ignored\r\nGET nul\r\n");
    assert_eq!(r.reply(), b"+OK\r\n");
    assert_eq!(r.reply(), b"$1\r\nv\r\n");
    let mut r = srv.raw();
    r.send(b"set \"open quote\r\n");
    assert_eq!(
        r.reply(),
        b"-ERR Protocol error: unbalanced quotes in request\r\n"
    );
    assert!(r.is_closed());
}

fn closes_with(srv: &TestServer, req: &[u8], want: &[u8]) {
    let mut r = srv.raw();
    // A valid command first: replies computed before the bad frame still arrive.
    r.send(&[&encode(&[b"PING"])[..], req].concat());
    assert_eq!(r.reply(), b"+PONG\r\n");
    assert_eq!(r.reply(), want, "for {:?}", String::from_utf8_lossy(req));
    assert!(
        r.is_closed(),
        "connection stays open after {:?}",
        String::from_utf8_lossy(req)
    );
}

#[test]
fn protocol_errors_close_the_connection() {
    let srv = TestServer::start(1);
    closes_with(
        &srv,
        b"*abc\r\n",
        b"-ERR Protocol error: invalid multibulk length\r\n",
    );
    closes_with(
        &srv,
        b"*1073741825\r\n",
        b"-ERR Protocol error: invalid multibulk length\r\n",
    );
    closes_with(
        &srv,
        b"*1\r\n$abc\r\n",
        b"-ERR Protocol error: invalid bulk length\r\n",
    );
    closes_with(
        &srv,
        b"*1\r\n$536870913\r\n",
        b"-ERR Protocol error: invalid bulk length\r\n",
    );
    closes_with(
        &srv,
        b"*1\r\n$-1\r\n",
        b"-ERR Protocol error: invalid bulk length\r\n",
    );
    closes_with(
        &srv,
        b"*2\r\n$3\r\nGET\r\n:1\r\n",
        b"-ERR Protocol error: expected '$', got ':'\r\n",
    );
    // A newline inside an error's text becomes a space, as in Redis: the reply stays one line.
    closes_with(
        &srv,
        b"*1\r\n\r\n",
        b"-ERR Protocol error: expected '$', got ' '\r\n",
    );
    closes_with(
        &srv,
        &vec![b'a'; 70 * 1024],
        b"-ERR Protocol error: too big inline request\r\n",
    );
    let mut long_count = b"*".to_vec();
    long_count.extend(vec![b'1'; 70 * 1024]);
    closes_with(
        &srv,
        &long_count,
        b"-ERR Protocol error: too big mbulk count string\r\n",
    );
    // The server survives all of that.
    assert_eq!(srv.raw().cmd(&[b"PING"]), b"+PONG\r\n");
}

#[test]
fn command_errors_keep_the_connection() {
    let srv = TestServer::start(1);
    let mut r = srv.raw();
    assert_eq!(
        r.cmd(&[b"NOSUCH", b"a", b"b"]),
        b"-ERR unknown command 'NOSUCH', with args beginning with: 'a' 'b' \r\n"
    );
    assert_eq!(
        r.cmd(&[b"get"]),
        b"-ERR wrong number of arguments for 'get' command\r\n"
    );
    assert_eq!(
        r.cmd(&[b"GET", b"a", b"b"]),
        b"-ERR wrong number of arguments for 'get' command\r\n"
    );
    let long = vec![b'z'; 300];
    let reply = r.cmd(&[b"NOSUCH", &long]);
    assert!(reply.len() < 260, "argument list is cut: {}", reply.len());
    // Empty multibulk and blank lines are ignored.
    r.send(b"*0\r\n\r\n");
    assert_eq!(r.cmd(&[b"PING"]), b"+PONG\r\n");
    assert_eq!(r.cmd(&[b"QUIT"]), b"+OK\r\n");
    assert!(r.is_closed());
}

#[test]
fn resp3_shapes() {
    let srv = TestServer::start(1);
    let mut r = srv.raw();
    let hello = r.cmd(&[b"HELLO", b"3"]);
    assert!(
        hello.starts_with(b"%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n"),
        "{}",
        String::from_utf8_lossy(&hello)
    );
    assert!(String::from_utf8_lossy(&hello).contains("$5\r\nproto\r\n:3\r\n"));
    assert_eq!(r.cmd(&[b"GET", b"missing"]), b"_\r\n");
    r.cmd(&[b"HSET", b"h", b"f", b"v"]);
    assert_eq!(r.cmd(&[b"HGETALL", b"h"]), b"%1\r\n$1\r\nf\r\n$1\r\nv\r\n");
    assert_eq!(r.cmd(&[b"HMGET", b"h", b"x"]), b"*1\r\n_\r\n");
    assert_eq!(
        r.cmd(&[b"CONFIG", b"GET", b"databases"]),
        b"%1\r\n$9\r\ndatabases\r\n$2\r\n16\r\n"
    );
    assert!(r.cmd(&[b"INFO", b"server"]).starts_with(b"=")); // verbatim string
    assert_eq!(r.cmd(&[b"SET", b"k", b"v", b"NX"]), b"+OK\r\n");
    assert_eq!(r.cmd(&[b"SET", b"k", b"v", b"NX"]), b"_\r\n");
    // Back to RESP2.
    assert!(r.cmd(&[b"HELLO", b"2"]).starts_with(b"*14\r\n"));
    assert_eq!(r.cmd(&[b"GET", b"missing"]), b"$-1\r\n");
    assert_eq!(
        r.cmd(&[b"HELLO", b"4"]),
        b"-NOPROTO unsupported protocol version\r\n"
    );
    assert_eq!(
        r.cmd(&[b"HELLO", b"3", b"AUTH", b"default"]),
        b"-ERR Syntax error in HELLO option 'AUTH'\r\n"
    );
    // Without requirepass or ACL users, as Redis: only the default user, with any password.
    common::expect_replies(
        &mut r,
        &[
            (&[b"HELLO", b"2", b"AUTH", b"other", b"x"], b"-WRONGPASS invalid username-password pair or user is disabled.\r\n"),
            (&[b"AUTH", b"default", b"x"], b"+OK\r\n"),
            (&[b"AUTH", b"other", b"x"], b"-WRONGPASS invalid username-password pair or user is disabled.\r\n"),
            (&[b"AUTH", b"x"], b"-ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?\r\n"),
            (&[b"AUTH", b"a", b"b", b"c"], b"-ERR syntax error\r\n"),
        ],
    );
    assert!(
        String::from_utf8_lossy(&r.cmd(&[b"HELLO", b"3", b"SETNAME", b"myconn"])).contains("proto")
    );
    assert_eq!(r.cmd(&[b"CLIENT", b"GETNAME"]), b"$6\r\nmyconn\r\n");
}

#[test]
fn redis_rs_over_resp3() {
    let srv = TestServer::start(2);
    let mut c = srv.client3();
    let _: () = redis::cmd("SET").arg("k").arg("v").query(&mut c).unwrap();
    let v: String = redis::cmd("GET").arg("k").query(&mut c).unwrap();
    assert_eq!(v, "v");
    let _: () = redis::cmd("HSET")
        .arg("h")
        .arg("a")
        .arg("1")
        .query(&mut c)
        .unwrap();
    let m: std::collections::HashMap<String, String> =
        redis::cmd("HGETALL").arg("h").query(&mut c).unwrap();
    assert_eq!(m["a"], "1");
    let none: Option<String> = redis::cmd("GET").arg("nokey").query(&mut c).unwrap();
    assert_eq!(none, None);
}

#[test]
fn announced_bulk_does_not_reserve_memory_up_front() {
    let srv = TestServer::start(1);
    let mut c = srv.client();
    let before = common::info_u64(&mut c, "memory", "used_memory");
    // Ten clients each announce a 500 MB value and send only its first bytes.
    let mut raws: Vec<_> = (0..10).map(|_| srv.raw()).collect();
    for r in &mut raws {
        r.send(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$500000000\r\nabc");
        r.send(&[b'x'; 100_000]);
    }
    // The server has read what was sent (PING on each connection would queue behind the value,
    // so ask a fresh connection once every byte is in: CLIENT LIST shows all of them).
    common::eventually(|| {
        let list: String = redis::cmd("CLIENT").arg("LIST").query(&mut c).unwrap();
        list.lines().count() == 11
    });
    let grown = common::info_u64(&mut c, "memory", "used_memory").saturating_sub(before);
    assert!(
        grown < 200 << 20,
        "announced sizes were reserved: +{grown} bytes"
    );
}
