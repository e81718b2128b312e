//! Transactions: exact replies (as Redis 7.0.15 gives them for the same sequence), WATCH across
//! executors, isolation under concurrent clients, and one AOF batch per transaction.

mod common;
use common::{check_replies as check, q, TestServer};
use redis::Value;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

#[test]
fn multi_exec_discard_replies() {
    let srv = TestServer::start(2);
    let mut r = srv.raw();
    check(
        &mut r,
        &[
            ("MULTI", "+OK\r\n"),
            ("SET a 1", "+QUEUED\r\n"),
            ("INCR a", "+QUEUED\r\n"),
            ("GET a", "+QUEUED\r\n"),
            ("LPUSH a x", "+QUEUED\r\n"),
            ("EXEC", "*4\r\n+OK\r\n:2\r\n$1\r\n2\r\n-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
            ("EXEC", "-ERR EXEC without MULTI\r\n"),
            ("DISCARD", "-ERR DISCARD without MULTI\r\n"),
            ("MULTI", "+OK\r\n"),
            ("MULTI", "-ERR MULTI calls can not be nested\r\n"),
            ("SET b 1", "+QUEUED\r\n"),
            ("NOSUCHCMD x", "-ERR unknown command 'NOSUCHCMD', with args beginning with: 'x' \r\n"),
            ("GET", "-ERR wrong number of arguments for 'get' command\r\n"),
            ("EXEC", "-EXECABORT Transaction discarded because of previous errors.\r\n"),
            ("GET b", "$-1\r\n"),
            ("MULTI", "+OK\r\n"),
            ("WATCH a", "-ERR WATCH inside MULTI is not allowed\r\n"),
            ("SET c 1", "+QUEUED\r\n"),
            ("DISCARD", "+OK\r\n"),
            ("GET c", "$-1\r\n"),
            ("MULTI", "+OK\r\n"),
            ("SELECT 3", "+QUEUED\r\n"),
            ("SET indb3 1", "+QUEUED\r\n"),
            ("EXEC", "*2\r\n+OK\r\n+OK\r\n"),
            ("GET indb3", "$1\r\n1\r\n"),
            // Redis 7.0's no-multi commands are refused at queue time and abort the EXEC.
            ("MULTI", "+OK\r\n"),
            ("SHUTDOWN", "-ERR Command not allowed inside a transaction\r\n"),
            ("EXEC", "-EXECABORT Transaction discarded because of previous errors.\r\n"),
            ("PING", "+PONG\r\n"),
        ],
    );
}

/// A transaction whose commands reach beyond one database and beyond their keys (SELECT, MOVE,
/// SORT BY, KEYS, DBSIZE, COPY ... DB, SWAPDB): EXEC holds what each declares, in the database
/// it runs in. Replies as redis-server 7.0.15 gives them.
#[test]
fn transaction_across_databases_and_whole_database_commands() {
    let srv = TestServer::start(2);
    let mut r = srv.raw();
    check(
        &mut r,
        &[
            ("MULTI", "+OK\r\n"),
            ("SET a 1", "+QUEUED\r\n"),
            ("RPUSH l 3 1 2", "+QUEUED\r\n"),
            ("SET w_1 9", "+QUEUED\r\n"),
            ("SET w_2 8", "+QUEUED\r\n"),
            ("SET w_3 7", "+QUEUED\r\n"),
            ("SELECT 2", "+QUEUED\r\n"),
            ("SET a 2", "+QUEUED\r\n"),
            ("SELECT 0", "+QUEUED\r\n"),
            ("MOVE a 5", "+QUEUED\r\n"),
            ("SORT l BY w_*", "+QUEUED\r\n"),
            ("KEYS w_1", "+QUEUED\r\n"),
            ("DBSIZE", "+QUEUED\r\n"),
            ("COPY l l2 DB 2", "+QUEUED\r\n"),
            ("SWAPDB 0 2", "+QUEUED\r\n"),
            ("GET a", "+QUEUED\r\n"),
            ("EXEC", "*15\r\n+OK\r\n:3\r\n+OK\r\n+OK\r\n+OK\r\n+OK\r\n+OK\r\n+OK\r\n:1\r\n*3\r\n$1\r\n3\r\n$1\r\n2\r\n$1\r\n1\r\n*1\r\n$3\r\nw_1\r\n:4\r\n:1\r\n+OK\r\n$1\r\n2\r\n"),
            ("GET a", "$1\r\n2\r\n"),
            ("DBSIZE", ":2\r\n"),
            ("SELECT 5", "+OK\r\n"),
            ("GET a", "$1\r\n1\r\n"),
            ("SELECT 2", "+OK\r\n"),
            ("DBSIZE", ":4\r\n"),
        ],
    );
}

#[test]
fn watch_sees_writes_from_any_executor() {
    let srv = TestServer::start(2);
    let mut a = srv.client();
    // Several writers, so that some land on the other executor.
    let mut others: Vec<_> = (0..4).map(|_| srv.client()).collect();
    for (i, o) in others.iter_mut().enumerate() {
        let _: () = q(&mut a, &["WATCH", "k"]);
        let _: () = q(o, &["SET", "k", &i.to_string()]);
        let _: () = q(&mut a, &["MULTI"]);
        let _: String = q(&mut a, &["SET", "k", "mine"]);
        let r: Value = q(&mut a, &["EXEC"]);
        assert_eq!(r, Value::Nil, "EXEC must fail after another client's SET");
        // A write to another key does not abort it.
        let _: () = q(&mut a, &["WATCH", "k"]);
        let _: () = q(o, &["SET", &format!("other{i}"), "x"]);
        let _: () = q(&mut a, &["MULTI"]);
        let _: String = q(&mut a, &["SET", "k", "mine"]);
        let r: Vec<String> = q(&mut a, &["EXEC"]);
        assert_eq!(r, ["OK"]);
    }
    let _: () = q(&mut a, &["WATCH", "k"]);
    let _: i64 = q(&mut others[0], &["DEL", "k"]);
    let _: () = q(&mut a, &["MULTI"]);
    let _: String = q(&mut a, &["SET", "k", "x"]);
    assert_eq!(q::<Value>(&mut a, &["EXEC"]), Value::Nil);
    let _: () = q(&mut a, &["SET", "k", "v"]);
    let _: () = q(&mut a, &["WATCH", "k"]);
    let _: () = q(&mut others[1], &["FLUSHDB"]);
    let _: () = q(&mut a, &["MULTI"]);
    let _: String = q(&mut a, &["SET", "k", "x"]);
    assert_eq!(q::<Value>(&mut a, &["EXEC"]), Value::Nil);
    // UNWATCH forgets.
    let _: () = q(&mut a, &["WATCH", "k"]);
    let _: () = q(&mut others[2], &["SET", "k", "1"]);
    let _: () = q(&mut a, &["UNWATCH"]);
    let _: () = q(&mut a, &["MULTI"]);
    let _: String = q(&mut a, &["SET", "k", "x"]);
    assert_eq!(q::<Vec<String>>(&mut a, &["EXEC"]), ["OK"]);
}

#[test]
fn exec_is_isolated_from_concurrent_clients() {
    let srv = TestServer::start(2);
    let stop = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let (mut c, stop) = (srv.client(), stop.clone());
            std::thread::spawn(move || {
                let mut reads = 0;
                while !stop.load(Ordering::Relaxed) {
                    let (a, b): (Option<i64>, Option<i64>) =
                        redis::cmd("MGET").arg("a").arg("b").query(&mut c).unwrap();
                    assert_eq!(a, b, "a read saw half a transaction");
                    reads += 1;
                }
                reads
            })
        })
        .collect();
    let writers: Vec<_> = (0..8)
        .map(|_| {
            let mut c = srv.client();
            std::thread::spawn(move || {
                for _ in 0..100 {
                    let (a, b): (i64, i64) = redis::pipe()
                        .atomic()
                        .cmd("INCR")
                        .arg("a")
                        .cmd("INCR")
                        .arg("b")
                        .query(&mut c)
                        .unwrap();
                    assert_eq!(a, b);
                }
            })
        })
        .collect();
    for w in writers {
        w.join().unwrap();
    }
    stop.store(true, Ordering::Relaxed);
    for r in readers {
        assert!(r.join().unwrap() > 0);
    }
    let mut c = srv.client();
    assert_eq!(q::<(i64, i64)>(&mut c, &["MGET", "a", "b"]), (800, 800));
}

#[test]
fn a_transaction_is_one_aof_batch_and_survives_restart() {
    let mut srv = TestServer::start(2);
    let mut c = srv.client();
    let _: () = q(&mut c, &["SET", "before", "1"]);
    let (r1, r2, r3): (String, i64, i64) = redis::pipe()
        .atomic()
        .cmd("SET")
        .arg("t1")
        .arg("x")
        .cmd("INCR")
        .arg("t2")
        .cmd("RPUSH")
        .arg("t3")
        .arg("y")
        .query(&mut c)
        .unwrap();
    assert_eq!((r1.as_str(), r2, r3), ("OK", 1, 1));
    // Walk the file batch by batch (each batch header is a `#B ` line; filler lines sit between
    // them): the three records share one batch.
    let data = std::fs::read(srv.dir.path().join("appendonly.aof")).unwrap();
    let starts = (0..data.len())
        .filter(|&i| data[i..].starts_with(b"#B ") && (i == 0 || data[i - 1] == b'\n'));
    let mut found = false;
    for off in starts {
        let (_, len, _) = ringdis::aof::format::parse_header(&data[off..]).unwrap();
        let end = off + ringdis::aof::format::HEADER_LEN + len as usize;
        let mut names = Vec::new();
        ringdis::aof::format::scan(&data[off..end], |a| {
            names.push(String::from_utf8_lossy(a.get(1)).into_owned())
        });
        found |= ["t1", "t2", "t3"]
            .iter()
            .all(|k| names.iter().any(|n| n == k));
    }
    assert!(found, "the transaction's records are split across batches");
    drop(c);
    srv.restart();
    let mut c = srv.client();
    assert_eq!(q::<String>(&mut c, &["GET", "t1"]), "x");
    assert_eq!(q::<i64>(&mut c, &["GET", "t2"]), 1);
    assert_eq!(
        q::<Vec<String>>(&mut c, &["LRANGE", "t3", "0", "-1"]),
        ["y"]
    );
}

/// Whether a transaction that WATCHed `key` before `write` ran (on another connection, which may
/// be on the other executor) aborts.
fn aborts_after(srv: &TestServer, setup: &[&str], key: &str, write: &str) -> bool {
    let mut a = srv.raw();
    let mut b = srv.raw();
    let run = |r: &mut common::Raw, cmd: &str| {
        let args: Vec<&[u8]> = cmd.split(' ').map(str::as_bytes).collect();
        r.cmd(&args)
    };
    run(&mut a, "FLUSHALL");
    for s in setup {
        run(&mut a, s);
    }
    run(&mut a, &format!("WATCH {key}"));
    run(&mut b, write);
    run(&mut a, "MULTI");
    run(&mut a, "PING");
    run(&mut a, "EXEC") == b"*-1\r\n"
}

#[test]
fn watch_aborts_after_real_changes_only() {
    let srv = TestServer::start(2);
    // Writes that change nothing: Redis does not abort, neither does ringdis.
    for (setup, key, write) in [
        (&["SET k v"][..], "k", "SETNX k w"),
        (&["SET k v"], "k", "SET k w NX"),
        (&["HSET k f v"], "k", "HDEL k nofield"),
        (&["HSET k f v"], "k", "HSETNX k f w"),
        (&["SADD k a"], "k", "SADD k a"),
        (&["SADD k a"], "k", "SREM k b"),
        (&["ZADD k 1 a"], "k", "ZADD k 1 a"),
        (&["RPUSH k a"], "k", "LREM k 0 b"),
        (&["SET k v"], "k", "PERSIST k"),
        (&["SET k v"], "k", "EXPIRE k 100 XX"),
        (&[], "k", "DEL k"),
        (&["SET a v", "SET k w"], "k", "RENAMENX a k"),
        (&[], "k", "SINTERSTORE k nosuch"),
        (&["SET k v"], "k", "SETRANGE k 0 "),
        (&["SET k v"], "k", "GET k"),
    ] {
        assert!(
            !aborts_after(&srv, setup, key, write),
            "{write} after {setup:?}"
        );
    }
    // Every real change aborts it, whichever executor ran the write.
    for (setup, key, write) in [
        (&["SET k v"][..], "k", "SET k v"),
        (&[], "k", "INCRBY k 0"),
        (&["HSET k f v"], "k", "HDEL k f"),
        (&["SADD k a"], "k", "SREM k a"),
        (&["ZADD k 1 a"], "k", "ZADD k 2 a"),
        (&["RPUSH k a"], "k", "LPOP k"),
        (&["SET k v"], "k", "EXPIRE k 100"),
        (&["SET a v"], "k", "RENAME a k"),
        (&["SET k v"], "k", "RENAME k a"),
        (&["SADD s a"], "k", "SINTERSTORE k s"),
        (&["SET k v"], "k", "FLUSHALL"),
        (&["SET k v"], "k", "SWAPDB 0 1"),
        (&["XADD k 1-1 f v"], "k", "XDEL k 1-1"),
    ] {
        for _ in 0..3 {
            assert!(
                aborts_after(&srv, setup, key, write),
                "{write} after {setup:?}"
            );
        }
    }
    // A watched key whose TTL passed aborts too (Redis 7.0).
    let mut a = srv.raw();
    check(
        &mut a,
        &[
            ("FLUSHALL", "+OK\r\n"),
            ("SET k v PX 50", "+OK\r\n"),
            ("WATCH k", "+OK\r\n"),
        ],
    );
    std::thread::sleep(std::time::Duration::from_millis(100));
    check(
        &mut a,
        &[
            ("MULTI", "+OK\r\n"),
            ("PING", "+QUEUED\r\n"),
            ("EXEC", "*-1\r\n"),
        ],
    );
    // One whose TTL had passed already when it was WATCHed does not, nor does its deletion; a
    // new value does (bytes recorded from redis-server 7.0.15, active expiry paused there too).
    let mut b = srv.raw();
    for (touch, reply) in [
        (None, "*1\r\n+PONG\r\n"),
        (Some(("GET k", "$-1\r\n")), "*1\r\n+PONG\r\n"),
        (Some(("SET k new", "+OK\r\n")), "*-1\r\n"),
    ] {
        check(
            &mut a,
            &[
                ("DEBUG SET-ACTIVE-EXPIRE 0", "+OK\r\n"),
                ("DEL k", ":0\r\n"),
                ("SET k v PX 20", "+OK\r\n"),
            ],
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
        check(&mut a, &[("WATCH k", "+OK\r\n")]);
        if let Some(t) = touch {
            check(&mut b, &[t]);
        }
        check(
            &mut a,
            &[
                ("MULTI", "+OK\r\n"),
                ("PING", "+QUEUED\r\n"),
                ("EXEC", reply),
            ],
        );
    }
    check(&mut a, &[("DEBUG SET-ACTIVE-EXPIRE 1", "+OK\r\n")]);
}
