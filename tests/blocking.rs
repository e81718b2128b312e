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
            ("BLMOVE src dst LEFT RIGHT 0.1", "$-1\r\n"),
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
