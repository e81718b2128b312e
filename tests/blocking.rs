//! Blocking pops: exact replies (as Redis 7.0.15 gives them), wake-ups by pushes from other
//! executors, each element to exactly one waiter, and no element lost to a client that left.

mod common;
use common::{check_replies as check, q, TestServer};
use std::collections::HashSet;

#[test]
fn blocking_replies_and_timeouts() {
    let srv = TestServer::start(2);
    let mut a = srv.raw();
    check(
        &mut a,
        &[
            ("BLPOP q 0.1", "*-1\r\n"),
            (
                "BLPOP q x",
                "-ERR timeout is not a float or out of range\r\n",
            ),
            ("BLPOP q -1", "-ERR timeout is negative\r\n"),
            ("SET str v", "+OK\r\n"),
            (
                "BLPOP str 0",
                "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
            ),
            ("BZPOPMIN z 0.1", "*-1\r\n"),
            ("BLMOVE src dst LEFT RIGHT 0.1", "*-1\r\n"),
            ("RPUSH q2 v1 v2", ":2\r\n"),
            ("BLPOP q1 q2 0", "*2\r\n$2\r\nq2\r\n$2\r\nv1\r\n"),
            ("ZADD z 1 m1 2 m2", ":2\r\n"),
            ("BZPOPMAX z 0", "*3\r\n$1\r\nz\r\n$2\r\nm2\r\n$1\r\n2\r\n"),
            // Inside MULTI a blocking command does not block.
            ("MULTI", "+OK\r\n"),
            ("BLPOP empty 0", "+QUEUED\r\n"),
            ("EXEC", "*1\r\n*-1\r\n"),
        ],
    );
}

#[test]
fn pushes_from_any_executor_wake_blocked_clients() {
    let srv = TestServer::start(2);
    let n = 8;
    let waiters: Vec<_> = (0..n)
        .map(|_| {
            let mut c = srv.client();
            std::thread::spawn(move || {
                let (k, v): (String, String) = q(&mut c, &["BLPOP", "jobs", "0"]);
                assert_eq!(k, "jobs");
                v
            })
        })
        .collect();
    let mut p = srv.client();
    // Wait until all are blocked (CLIENT LIST shows them on BLPOP), so the pushes wake them.
    common::eventually(|| {
        let l: String = q(&mut p, &["CLIENT", "LIST"]);
        l.matches("cmd=blpop").count() == n
    });
    for i in 0..n {
        let _: i64 = q(&mut p, &["RPUSH", "jobs", &format!("job{i}")]);
    }
    let got: HashSet<String> = waiters.into_iter().map(|w| w.join().unwrap()).collect();
    assert_eq!(got.len(), n, "every job went to exactly one worker");
    assert_eq!(q::<i64>(&mut p, &["LLEN", "jobs"]), 0);
    // BZPOPMIN and BLMOVE wake too.
    let mut c = srv.client();
    let h =
        std::thread::spawn(move || q::<(String, String, f64)>(&mut c, &["BZPOPMIN", "board", "0"]));
    common::eventually(|| q::<String>(&mut p, &["CLIENT", "LIST"]).contains("cmd=bzpopmin"));
    let _: i64 = q(&mut p, &["ZADD", "board", "5", "alice"]);
    assert_eq!(h.join().unwrap(), ("board".into(), "alice".into(), 5.0));
    let mut c = srv.client();
    let h = std::thread::spawn(move || {
        q::<String>(&mut c, &["BLMOVE", "in", "out", "LEFT", "RIGHT", "0"])
    });
    common::eventually(|| q::<String>(&mut p, &["CLIENT", "LIST"]).contains("cmd=blmove"));
    let _: i64 = q(&mut p, &["LPUSH", "in", "x"]);
    assert_eq!(h.join().unwrap(), "x");
    assert_eq!(
        q::<Vec<String>>(&mut p, &["LRANGE", "out", "0", "-1"]),
        ["x"]
    );
}

/// LMPOP/ZMPOP and their blocking forms, BRPOPLPUSH: Redis 7.0.15's replies and order of checks
/// (numkeys, the end, COUNT, then the timeout, then the keys' types up to the first non-empty).
#[test]
fn multi_key_pops() {
    let srv = TestServer::start(2);
    let mut a = srv.raw();
    check(
        &mut a,
        &[
            ("RPUSH l1 a b c", ":3\r\n"),
            ("RPUSH l2 x", ":1\r\n"),
            ("SET str v", "+OK\r\n"),
            ("ZADD z1 1 a 2 b 3 c", ":3\r\n"),
            (
                "LMPOP 2 nokey l1 LEFT",
                "*2\r\n$2\r\nl1\r\n*1\r\n$1\r\na\r\n",
            ),
            (
                "LMPOP 2 nokey l1 RIGHT COUNT 5",
                "*2\r\n$2\r\nl1\r\n*2\r\n$1\r\nc\r\n$1\r\nb\r\n",
            ),
            ("LMPOP 1 nokey LEFT", "*-1\r\n"),
            (
                "LMPOP 2 l1 l2 left count 1",
                "*2\r\n$2\r\nl2\r\n*1\r\n$1\r\nx\r\n",
            ),
            (
                "LMPOP 0 l1 LEFT",
                "-ERR numkeys should be greater than 0\r\n",
            ),
            (
                "LMPOP -1 l1 LEFT",
                "-ERR numkeys should be greater than 0\r\n",
            ),
            (
                "LMPOP x l1 LEFT",
                "-ERR numkeys should be greater than 0\r\n",
            ),
            ("LMPOP 3 l1 LEFT", "-ERR syntax error\r\n"),
            ("LMPOP 1 l1 MIDDLE", "-ERR syntax error\r\n"),
            (
                "LMPOP 1 l1 LEFT COUNT 0",
                "-ERR count should be greater than 0\r\n",
            ),
            (
                "LMPOP 1 l1 LEFT COUNT -1",
                "-ERR count should be greater than 0\r\n",
            ),
            (
                "LMPOP 1 l1 LEFT COUNT x",
                "-ERR count should be greater than 0\r\n",
            ),
            ("LMPOP 1 l1 LEFT COUNT 1 COUNT 2", "-ERR syntax error\r\n"),
            ("LMPOP 1 l1 LEFT FOO", "-ERR syntax error\r\n"),
            (
                "LMPOP 1 str LEFT",
                "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
            ),
            (
                "LMPOP 2 nokey str LEFT",
                "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
            ),
            (
                "LMPOP 2 l2 str LEFT",
                "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
            ),
            ("LMPOP 1 l1 LEFT COUNT", "-ERR syntax error\r\n"),
            ("LMPOP 2147483648 l1 LEFT", "-ERR syntax error\r\n"),
            ("LMPOP 9223372036854775807 l1 LEFT", "-ERR syntax error\r\n"),
            (
                "ZMPOP 1 z1 MIN",
                "*2\r\n$2\r\nz1\r\n*1\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n",
            ),
            (
                "ZMPOP 1 z1 MAX COUNT 10",
                "*2\r\n$2\r\nz1\r\n*2\r\n*2\r\n$1\r\nc\r\n$1\r\n3\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n",
            ),
            ("ZMPOP 1 z1 MIN", "*-1\r\n"),
            (
                "ZMPOP 1 str MIN",
                "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
            ),
            ("ZMPOP 1 z1 LEFT", "-ERR syntax error\r\n"),
            (
                "ZMPOP 0 z1 MIN",
                "-ERR numkeys should be greater than 0\r\n",
            ),
            (
                "ZMPOP 1 z1 MIN COUNT 0",
                "-ERR count should be greater than 0\r\n",
            ),
            (
                "ZMPOP 1 z1 MIN COUNT -3",
                "-ERR count should be greater than 0\r\n",
            ),
            ("BLMPOP 0.01 1 nokey LEFT", "*-1\r\n"),
            (
                "BLMPOP x 1 nokey LEFT",
                "-ERR timeout is not a float or out of range\r\n",
            ),
            ("BLMPOP -1 1 nokey LEFT", "-ERR timeout is negative\r\n"),
            (
                "BLMPOP 0 0 nokey LEFT",
                "-ERR numkeys should be greater than 0\r\n",
            ),
            ("BZMPOP 0.01 1 nokey MIN", "*-1\r\n"),
            (
                "BZMPOP 0.01 1 str MIN",
                "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
            ),
            ("RPUSH l3 q", ":1\r\n"),
            (
                "BLMPOP 0 1 l3 RIGHT COUNT 3",
                "*2\r\n$2\r\nl3\r\n*1\r\n$1\r\nq\r\n",
            ),
            ("BRPOPLPUSH nokey dst 0.01", "*-1\r\n"),
            ("RPUSH l4 1 2", ":2\r\n"),
            ("BRPOPLPUSH l4 dst 0", "$1\r\n2\r\n"),
            ("LRANGE dst 0 -1", "*1\r\n$1\r\n2\r\n"),
            (
                "BRPOPLPUSH l4 str 0",
                "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
            ),
            (
                "BRPOPLPUSH l4 dst x",
                "-ERR timeout is not a float or out of range\r\n",
            ),
            ("MULTI", "+OK\r\n"),
            ("BLMPOP 0 1 nokey LEFT", "+QUEUED\r\n"),
            ("BZMPOP 0 1 nokey MIN", "+QUEUED\r\n"),
            ("BRPOPLPUSH nokey dst 0", "+QUEUED\r\n"),
            ("EXEC", "*3\r\n*-1\r\n*-1\r\n$-1\r\n"),
        ],
    );
    let _ = a.cmd(&[b"HELLO", b"3"]);
    check(
        &mut a,
        &[
            ("LMPOP 1 nokey LEFT", "_\r\n"),
            ("BLMPOP 0.01 1 nokey LEFT", "_\r\n"),
            ("BRPOPLPUSH nokey dst 0.01", "_\r\n"),
            ("ZADD z5 1 a", ":1\r\n"),
            (
                "ZMPOP 1 z5 MIN",
                "*2\r\n$2\r\nz5\r\n*1\r\n*2\r\n$1\r\na\r\n,1\r\n",
            ),
        ],
    );
}

/// BLMPOP, BZMPOP and BRPOPLPUSH are woken by writes from another executor, take what the write
/// added, and their pops replay from the AOF.
#[test]
fn multi_key_pops_wake_and_replay() {
    let mut srv = TestServer::start(2);
    let mut p = srv.client();
    type Popped = (String, Vec<String>);
    let mut c = srv.client();
    let h = std::thread::spawn(move || {
        q::<Popped>(
            &mut c,
            &["BLMPOP", "0", "2", "l1", "l2", "RIGHT", "COUNT", "2"],
        )
    });
    common::eventually(|| q::<String>(&mut p, &["CLIENT", "LIST"]).contains("cmd=blmpop"));
    let _: i64 = q(&mut p, &["RPUSH", "l2", "a", "b", "c"]);
    assert_eq!(
        h.join().unwrap(),
        ("l2".into(), vec!["c".into(), "b".into()])
    );
    let mut c = srv.client();
    let h = std::thread::spawn(move || {
        q::<(String, Vec<(String, f64)>)>(&mut c, &["BZMPOP", "0", "1", "z", "MAX", "COUNT", "5"])
    });
    common::eventually(|| q::<String>(&mut p, &["CLIENT", "LIST"]).contains("cmd=bzmpop"));
    let _: i64 = q(&mut p, &["ZADD", "z", "1", "x", "2", "y"]);
    let want = vec![("y".to_string(), 2.0), ("x".to_string(), 1.0)];
    assert_eq!(h.join().unwrap(), ("z".into(), want));
    let mut c = srv.client();
    let h = std::thread::spawn(move || q::<String>(&mut c, &["BRPOPLPUSH", "src", "dst", "0"]));
    common::eventually(|| q::<String>(&mut p, &["CLIENT", "LIST"]).contains("cmd=brpoplpush"));
    let _: i64 = q(&mut p, &["RPUSH", "src", "s1", "s2"]);
    assert_eq!(h.join().unwrap(), "s2");
    let _: Popped = q(&mut p, &["LMPOP", "1", "src", "LEFT"]);
    let _: i64 = q(&mut p, &["ZADD", "z2", "1", "a", "2", "b"]);
    let _: (String, Vec<(String, f64)>) = q(&mut p, &["ZMPOP", "1", "z2", "MIN"]);
    srv.restart();
    let mut p = srv.client();
    assert_eq!(
        q::<Vec<String>>(&mut p, &["LRANGE", "l2", "0", "-1"]),
        ["a"]
    );
    assert_eq!(q::<i64>(&mut p, &["EXISTS", "z", "src"]), 0);
    assert_eq!(
        q::<Vec<String>>(&mut p, &["LRANGE", "dst", "0", "-1"]),
        ["s2"]
    );
    assert_eq!(
        q::<Vec<String>>(&mut p, &["ZRANGE", "z2", "0", "-1"]),
        ["b"]
    );
}

#[test]
fn a_client_that_left_takes_nothing() {
    let srv = TestServer::start(2);
    let mut gone = srv.raw();
    gone.send(b"*3\r\n$5\r\nBLPOP\r\n$1\r\nq\r\n$1\r\n0\r\n");
    let mut p = srv.client();
    common::eventually(|| q::<String>(&mut p, &["CLIENT", "LIST"]).contains("cmd=blpop"));
    drop(gone);
    common::eventually(|| !q::<String>(&mut p, &["CLIENT", "LIST"]).contains("cmd=blpop"));
    let _: i64 = q(&mut p, &["RPUSH", "q", "kept"]);
    assert_eq!(
        q::<Vec<String>>(&mut p, &["LRANGE", "q", "0", "-1"]),
        ["kept"]
    );
}

#[test]
fn a_transaction_wakes_blocked_clients_with_the_state_it_left() {
    let srv = TestServer::start(2);
    let mut w = srv.raw();
    // A push undone in the same transaction serves nobody; the next push does.
    let mut b = srv.raw();
    b.send(&common::encode(&[b"BLPOP", b"l", b"0"]));
    eventually_blocked(&srv, 1);
    common::check_replies(
        &mut w,
        &[
            ("MULTI", "+OK\r\n"),
            ("LPUSH l x", "+QUEUED\r\n"),
            ("DEL l", "+QUEUED\r\n"),
            ("EXEC", "*2\r\n:1\r\n:1\r\n"),
            ("LPUSH l y", ":1\r\n"),
        ],
    );
    assert_eq!(b.reply(), b"*2\r\n$1\r\nl\r\n$1\r\ny\r\n");
    // Woken by an EXEC, a client sees the list as the whole transaction left it.
    b.send(&common::encode(&[b"BLPOP", b"l", b"0"]));
    eventually_blocked(&srv, 1);
    common::check_replies(
        &mut w,
        &[
            ("MULTI", "+OK\r\n"),
            ("RPUSH l a b", "+QUEUED\r\n"),
            ("LPOP l", "+QUEUED\r\n"),
            ("EXEC", "*2\r\n:2\r\n$1\r\na\r\n"),
        ],
    );
    assert_eq!(b.reply(), b"*2\r\n$1\r\nl\r\n$1\r\nb\r\n");
}

/// Waits until `n` clients are blocked (INFO clients).
fn eventually_blocked(srv: &TestServer, n: u64) {
    let mut c = srv.client();
    common::eventually(|| common::info_u64(&mut c, "clients", "blocked_clients") == n);
}
