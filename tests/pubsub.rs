//! Pub/sub: exact replies (as Redis 7.0.15 gives them), delivery across executors, RESP3 pushes,
//! and a subscriber that does not read being cut off instead of stalling publishers.

mod common;
use common::{check_replies as check, q, Raw, TestServer};

#[test]
fn subscribe_publish_unsubscribe_replies() {
    let srv = TestServer::start(2);
    let mut sub = srv.raw();
    let mut pubc = srv.raw();
    check(
        &mut sub,
        &[(
            "SUBSCRIBE ch1 ch2",
            "*3\r\n$9\r\nsubscribe\r\n$3\r\nch1\r\n:1\r\n",
        )],
    );
    assert_eq!(sub.reply(), b"*3\r\n$9\r\nsubscribe\r\n$3\r\nch2\r\n:2\r\n");
    check(
        &mut sub,
        &[
            ("PSUBSCRIBE c*", "*3\r\n$10\r\npsubscribe\r\n$2\r\nc*\r\n:3\r\n"),
            ("GET x", "-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n"),
            ("PING", "*2\r\n$4\r\npong\r\n$0\r\n\r\n"),
            ("PING hi", "*2\r\n$4\r\npong\r\n$2\r\nhi\r\n"),
        ],
    );
    check(&mut pubc, &[("PUBLISH ch1 hello", ":2\r\n")]);
    assert_eq!(
        sub.reply(),
        b"*3\r\n$7\r\nmessage\r\n$3\r\nch1\r\n$5\r\nhello\r\n"
    );
    assert_eq!(
        sub.reply(),
        b"*4\r\n$8\r\npmessage\r\n$2\r\nc*\r\n$3\r\nch1\r\n$5\r\nhello\r\n"
    );
    check(
        &mut pubc,
        &[
            ("PUBSUB CHANNELS ch1", "*1\r\n$3\r\nch1\r\n"),
            (
                "PUBSUB NUMSUB ch1 nochan",
                "*4\r\n$3\r\nch1\r\n:1\r\n$6\r\nnochan\r\n:0\r\n",
            ),
            ("PUBSUB NUMPAT", ":1\r\n"),
            (
                "PUBSUB FOO",
                "-ERR unknown subcommand 'FOO'. Try PUBSUB HELP.\r\n",
            ),
        ],
    );
    check(
        &mut sub,
        &[
            (
                "UNSUBSCRIBE ch1",
                "*3\r\n$11\r\nunsubscribe\r\n$3\r\nch1\r\n:2\r\n",
            ),
            (
                "UNSUBSCRIBE",
                "*3\r\n$11\r\nunsubscribe\r\n$3\r\nch2\r\n:1\r\n",
            ),
            (
                "PUNSUBSCRIBE",
                "*3\r\n$12\r\npunsubscribe\r\n$2\r\nc*\r\n:0\r\n",
            ),
            ("UNSUBSCRIBE", "*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:0\r\n"),
            ("PING", "+PONG\r\n"),
        ],
    );
    check(&mut pubc, &[("PUBLISH ch1 gone", ":0\r\n")]);
    // RESP3: pushes, and other commands stay allowed.
    let mut s3 = srv.raw();
    let _ = s3.cmd(&[b"HELLO", b"3"]);
    check(
        &mut s3,
        &[
            (
                "SUBSCRIBE ch9",
                ">3\r\n$9\r\nsubscribe\r\n$3\r\nch9\r\n:1\r\n",
            ),
            ("GET x", "_\r\n"),
        ],
    );
    check(&mut pubc, &[("PUBLISH ch9 m", ":1\r\n")]);
    assert_eq!(
        s3.reply(),
        b">3\r\n$7\r\nmessage\r\n$3\r\nch9\r\n$1\r\nm\r\n"
    );
}

#[test]
fn messages_reach_subscribers_on_every_executor_in_order() {
    let srv = TestServer::start(2);
    let mut subs: Vec<Raw> = (0..6).map(|_| srv.raw()).collect();
    for s in subs.iter_mut() {
        assert_eq!(
            s.cmd(&[b"SUBSCRIBE", b"news"]),
            b"*3\r\n$9\r\nsubscribe\r\n$4\r\nnews\r\n:1\r\n"
        );
    }
    let mut p = srv.client();
    for i in 0..200 {
        assert_eq!(q::<i64>(&mut p, &["PUBLISH", "news", &i.to_string()]), 6);
    }
    for s in subs.iter_mut() {
        for i in 0..200 {
            let m = i.to_string();
            let want = format!(
                "*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n${}\r\n{m}\r\n",
                m.len()
            );
            assert_eq!(String::from_utf8_lossy(&s.reply()), want);
        }
    }
}

#[test]
fn a_subscriber_that_does_not_read_is_cut_off() {
    let srv = TestServer::start(2);
    let mut slow = srv.raw();
    assert_eq!(
        slow.cmd(&[b"SUBSCRIBE", b"firehose"]),
        b"*3\r\n$9\r\nsubscribe\r\n$8\r\nfirehose\r\n:1\r\n"
    );
    let mut c = srv.client();
    // The start-up PING connection may not have been reaped yet: wait until only these two are
    // left (the subscriber and this client).
    common::eventually(|| q::<String>(&mut c, &["CLIENT", "LIST"]).lines().count() == 2);
    // MBs to a client that reads nothing: the publisher is never held up, the subscriber goes
    // once what the kernel's socket buffers did not take passes the hard limit (32 MB), whether
    // the publisher counts it first or the subscriber's connection, taking its mailbox (that
    // one was once left open with its messages dropped).
    let chunk = "x".repeat(1 << 20);
    let mut published = 0;
    while q::<String>(&mut c, &["CLIENT", "LIST"]).lines().count() == 2 {
        assert!(
            published < 512,
            "a subscriber that reads nothing was not cut off"
        );
        for _ in 0..8 {
            let _: i64 = q(&mut c, &["PUBLISH", "firehose", &chunk]);
        }
        published += 8;
    }
    assert_eq!(q::<i64>(&mut c, &["PUBLISH", "firehose", "after"]), 0);
}

/// Sharded pub/sub outside cluster mode: SSUBSCRIBE/SUNSUBSCRIBE/SPUBLISH with their own count
/// and namespace, pub/sub mode, PUBSUB SHARDCHANNELS/SHARDNUMSUB (bytes from redis-server
/// 7.0.15).
#[test]
fn sharded_pubsub() {
    let srv = TestServer::start(2);
    let mut s = srv.raw();
    let mut p = srv.raw();
    let sub = |name: &str, n: i64| format!("*3\r\n$10\r\nssubscribe\r\n$1\r\n{name}\r\n:{n}\r\n");
    let unsub =
        |name: &str, n: i64| format!("*3\r\n$12\r\nsunsubscribe\r\n$1\r\n{name}\r\n:{n}\r\n");
    // Each command, and every reply it gets (one per channel).
    let cases: Vec<(&str, Vec<String>)> = vec![
        ("SSUBSCRIBE a b", vec![sub("a", 1), sub("b", 2)]),
        ("SUBSCRIBE x", vec!["*3\r\n$9\r\nsubscribe\r\n$1\r\nx\r\n:1\r\n".into()]),
        ("SSUBSCRIBE c", vec![sub("c", 3)]),
        ("GET k", vec!["-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n".into()]),
        ("SUNSUBSCRIBE a", vec![unsub("a", 2)]),
        ("SUNSUBSCRIBE b c", vec![unsub("b", 1), unsub("c", 0)]),
        ("SUNSUBSCRIBE", vec!["*3\r\n$12\r\nsunsubscribe\r\n$-1\r\n:0\r\n".into()]),
        ("UNSUBSCRIBE", vec!["*3\r\n$11\r\nunsubscribe\r\n$1\r\nx\r\n:0\r\n".into()]),
        ("GET k", vec!["$-1\r\n".into()]),
        ("SSUBSCRIBE a", vec![sub("a", 1)]),
    ];
    for (cmd, replies) in cases {
        let args: Vec<&[u8]> = cmd.split(' ').map(str::as_bytes).collect();
        s.send(&common::encode(&args));
        for want in replies {
            assert_eq!(String::from_utf8_lossy(&s.reply()), want, "for {cmd}");
        }
    }
    check(
        &mut p,
        &[
            ("SPUBLISH a hi", ":1\r\n"),
            ("PUBLISH a hi", ":0\r\n"),
            ("PUBSUB SHARDCHANNELS", "*1\r\n$1\r\na\r\n"),
            ("PUBSUB SHARDCHANNELS z*", "*0\r\n"),
            ("PUBSUB SHARDNUMSUB a b", "*4\r\n$1\r\na\r\n:1\r\n$1\r\nb\r\n:0\r\n"),
            ("PUBSUB CHANNELS", "*0\r\n"),
            ("PUBSUB SHARDCHANNELS a b", "-ERR unknown subcommand or wrong number of arguments for 'SHARDCHANNELS'. Try PUBSUB HELP.\r\n"),
        ],
    );
    assert_eq!(
        s.reply(),
        b"*3\r\n$8\r\nsmessage\r\n$1\r\na\r\n$2\r\nhi\r\n"
    );
    let mut c = srv.client();
    let line: String = q(&mut c, &["CLIENT", "LIST"]);
    assert!(line.contains("flags=P db=0 sub=0 psub=0 ssub=1"), "{line}");
}
