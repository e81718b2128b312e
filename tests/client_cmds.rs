//! CLIENT PAUSE/UNPAUSE, REPLY, UNBLOCK and NO-TOUCH, with redis-server 7.0.15's replies. No
//! timing is asserted: a held command is checked to be still unanswered while the pause lasts,
//! and answered once it is lifted.

mod common;
use common::{check_replies, encode, q, Raw, TestServer};
use std::time::Duration;

fn send(r: &mut Raw, cmd: &str) {
    let args: Vec<&[u8]> = cmd.split(' ').map(str::as_bytes).collect();
    r.send(&encode(&args));
}

/// Whether a reply is waiting within a short look (nothing: the command is held).
fn answered(r: &mut Raw) -> bool {
    r.s.set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let mut b = [0u8; 1];
    let got = r.s.peek(&mut b).is_ok();
    r.s.set_read_timeout(None).unwrap();
    got
}

#[test]
fn pause_holds_writes_or_everything_until_unpause() {
    let srv = TestServer::start(2);
    let mut admin = srv.raw();
    check_replies(
        &mut admin,
        &[
            ("CLIENT PAUSE x", "-ERR timeout is not an integer or out of range\r\n"),
            ("CLIENT PAUSE -1", "-ERR timeout is negative\r\n"),
            ("CLIENT PAUSE 10 foo", "-ERR CLIENT PAUSE mode must be WRITE or ALL\r\n"),
            ("CLIENT PAUSE 10 write x", "-ERR unknown subcommand or wrong number of arguments for 'PAUSE'. Try CLIENT HELP.\r\n"),
            ("CLIENT UNPAUSE x", "-ERR wrong number of arguments for 'client|unpause' command\r\n"),
            ("CLIENT PAUSE 100000 WRITE", "+OK\r\n"),
        ],
    );
    // Several connections, so that some run on each executor.
    let mut clients: Vec<Raw> = (0..4).map(|_| srv.raw()).collect();
    for c in clients.iter_mut() {
        check_replies(c, &[("GET k", "$-1\r\n")]);
        send(c, "SET k v");
    }
    let mut multi = srv.raw();
    check_replies(
        &mut multi,
        &[("MULTI", "+OK\r\n"), ("GET k", "+QUEUED\r\n")],
    );
    send(&mut multi, "DEL k");
    let mut publisher = srv.raw();
    send(&mut publisher, "PUBLISH ch m");
    for c in clients.iter_mut().chain([&mut multi, &mut publisher]) {
        assert!(!answered(c), "a write ran during CLIENT PAUSE WRITE");
    }
    check_replies(&mut admin, &[("CLIENT UNPAUSE", "+OK\r\n")]);
    for c in clients.iter_mut() {
        assert_eq!(c.reply(), b"+OK\r\n");
    }
    assert_eq!(multi.reply(), b"+QUEUED\r\n");
    assert_eq!(publisher.reply(), b":0\r\n");
    // ALL holds reads too (and CLIENT UNPAUSE from another client, as in Redis: the pause
    // ends by its timeout here).
    check_replies(&mut admin, &[("CLIENT PAUSE 500 ALL", "+OK\r\n")]);
    let mut r = srv.raw();
    send(&mut r, "PING");
    assert_eq!(r.reply(), b"+PONG\r\n");
}

#[test]
fn reply_off_skip_on() {
    let srv = TestServer::start(2);
    let mut r = srv.raw();
    for c in ["CLIENT REPLY OFF", "SET x 1", "GET x", "NOSUCH"] {
        send(&mut r, c);
    }
    check_replies(
        &mut r,
        &[
            ("CLIENT REPLY ON", "+OK\r\n"),
            ("CLIENT REPLY maybe", "-ERR syntax error\r\n"),
        ],
    );
    send(&mut r, "CLIENT REPLY SKIP");
    send(&mut r, "GET x");
    check_replies(
        &mut r,
        &[("ECHO after", "$5\r\nafter\r\n"), ("GET x", "$1\r\n1\r\n")],
    );
}

#[test]
fn unblock_ends_blocking_commands() {
    let srv = TestServer::start(2);
    let mut a = srv.raw();
    let mut b = srv.raw();
    let id = String::from_utf8(b.cmd(&[b"CLIENT", b"ID"])).unwrap();
    let id = id.trim_start_matches(':').trim_end();
    send(&mut b, "BLPOP nolist 0");
    common::eventually(|| {
        let mut c = srv.client();
        common::info_u64(&mut c, "clients", "blocked_clients") == 1
    });
    check_replies(&mut a, &[(&format!("CLIENT UNBLOCK {id}"), ":1\r\n")]);
    assert_eq!(b.reply(), b"*-1\r\n");
    send(&mut b, "XREAD BLOCK 0 STREAMS s $");
    common::eventually(|| {
        let mut c = srv.client();
        common::info_u64(&mut c, "clients", "blocked_clients") == 1
    });
    check_replies(&mut a, &[(&format!("CLIENT UNBLOCK {id} ERROR"), ":1\r\n")]);
    assert_eq!(
        b.reply(),
        b"-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n"
    );
    check_replies(
        &mut a,
        &[
            (&format!("CLIENT UNBLOCK {id} ERROR"), ":0\r\n"),
            (
                &format!("CLIENT UNBLOCK {id} FOO"),
                "-ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR\r\n",
            ),
            (
                "CLIENT UNBLOCK abc",
                "-ERR value is not an integer or out of range\r\n",
            ),
            ("CLIENT NO-TOUCH on", "+OK\r\n"),
            ("CLIENT NO-TOUCH maybe", "-ERR syntax error\r\n"),
        ],
    );
    let mut c = srv.client();
    let info: String = q(&mut c, &["CLIENT", "LIST"]);
    assert!(info.contains("flags=T"), "{info}");
}

/// MONITOR: Redis's line format (time, database, address, quoted arguments), commands inside
/// EXEC before the EXEC, AUTH redacted, admin commands and refused ones left out; a monitor
/// may not touch the keyspace; RESET ends the feed.
#[test]
fn monitor_feed() {
    let srv = TestServer::start(2);
    let mut b = srv.raw();
    let info = String::from_utf8(b.cmd(&[b"CLIENT", b"INFO"])).unwrap();
    let addr = info
        .split(' ')
        .find_map(|f| f.strip_prefix("addr="))
        .unwrap()
        .to_string();
    let mut m = srv.raw();
    check_replies(&mut m, &[("MONITOR", "+OK\r\n")]);
    let cmds: &[&[&[u8]]] = &[
        &[b"SET", b"k", b"a\"b\n\x01 \xff\\"],
        &[b"SELECT", b"3"],
        &[b"MULTI"],
        &[b"INCR", b"n"],
        &[b"EXEC"],
        &[b"AUTH", b"x"],
        &[b"CONFIG", b"GET", b"hz"],
        &[b"NOSUCH"],
        &[b"PING"],
    ];
    for c in cmds {
        b.cmd(c);
    }
    let want = [
        "[0 ADDR] \"SET\" \"k\" \"a\\\"b\\n\\x01 \\xff\\\\\"",
        "[3 ADDR] \"SELECT\" \"3\"",
        "[3 ADDR] \"MULTI\"",
        "[3 ADDR] \"INCR\" \"n\"",
        "[3 ADDR] \"EXEC\"",
        "[3 ADDR] \"AUTH\" \"(redacted)\"",
        "[3 ADDR] \"PING\"",
    ];
    for w in want {
        let line = String::from_utf8(m.reply()).unwrap();
        let (time, rest) = line[1..].split_once(' ').unwrap();
        assert!(time
            .split_once('.')
            .is_some_and(|(s, us)| s.parse::<u64>().is_ok() && us.len() == 6));
        assert_eq!(rest.trim_end().replace(&addr, "ADDR"), w);
    }
    check_replies(
        &mut m,
        &[
            ("GET k", "-ERR Replica can't interact with the keyspace\r\n"),
            ("RESET", "+RESET\r\n"),
            ("GET nokey", "$-1\r\n"),
        ],
    );
    let mut c = srv.client();
    let list: String = q(&mut c, &["CLIENT", "LIST"]);
    assert!(!list.contains("flags=O"), "{list}");
}

/// CLIENT TRACKING: RESP3 invalidation pushes for keys read (once per read), a null for
/// FLUSHALL, BCAST with prefixes, OPTIN with CLIENT CACHING, NOLOOP, REDIRECT to a RESP2
/// client subscribed to `__redis__:invalidate`, TRACKINGINFO/GETREDIR and the errors (bytes
/// from redis-server 7.0.15).
#[test]
fn tracking_invalidates_what_clients_read() {
    let srv = TestServer::start(2);
    let mut a = srv.raw();
    let mut b = srv.raw();
    a.cmd(&[b"HELLO", b"3"]);
    let inv = |k: &str| format!(">2\r\n$10\r\ninvalidate\r\n*1\r\n${}\r\n{k}\r\n", k.len());
    check_replies(
        &mut a,
        &[
            ("CLIENT TRACKING ON", "+OK\r\n"),
            ("GET k", "_\r\n"),
            ("CLIENT TRACKINGINFO", "%3\r\n$5\r\nflags\r\n~1\r\n$2\r\non\r\n$8\r\nredirect\r\n:0\r\n$8\r\nprefixes\r\n*0\r\n"),
            ("CLIENT GETREDIR", ":0\r\n"),
        ],
    );
    check_replies(&mut b, &[("SET k v", "+OK\r\n"), ("SET k w", "+OK\r\n")]);
    assert_eq!(String::from_utf8(a.reply()).unwrap(), inv("k"));
    assert!(!answered(&mut a), "a key is invalidated once per read");
    check_replies(&mut b, &[("FLUSHALL", "+OK\r\n")]);
    assert_eq!(a.reply(), b">2\r\n$10\r\ninvalidate\r\n_\r\n");
    check_replies(
        &mut a,
        &[
            ("CLIENT TRACKING ON BCAST", "-ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.\r\n"),
            ("CLIENT TRACKING OFF", "+OK\r\n"),
            ("CLIENT TRACKING ON BCAST PREFIX u: PREFIX x", "+OK\r\n"),
        ],
    );
    check_replies(&mut b, &[("SET u:1 v", "+OK\r\n"), ("SET z v", "+OK\r\n")]);
    assert_eq!(String::from_utf8(a.reply()).unwrap(), inv("u:1"));
    assert!(!answered(&mut a));
    check_replies(
        &mut a,
        &[
            ("CLIENT TRACKING OFF", "+OK\r\n"),
            ("CLIENT TRACKING ON OPTIN", "+OK\r\n"),
            ("GET o1", "_\r\n"),
            ("CLIENT CACHING YES", "+OK\r\n"),
            ("GET o2", "_\r\n"),
        ],
    );
    check_replies(&mut b, &[("MSET o1 1 o2 2", "+OK\r\n")]);
    assert_eq!(String::from_utf8(a.reply()).unwrap(), inv("o2"));
    check_replies(
        &mut a,
        &[
            (
                "CLIENT CACHING NO",
                "-ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.\r\n",
            ),
            ("CLIENT TRACKING OFF", "+OK\r\n"),
            ("CLIENT TRACKING ON NOLOOP", "+OK\r\n"),
            ("GET n", "_\r\n"),
            ("SET n 1", "+OK\r\n"),
            ("CLIENT TRACKING OFF", "+OK\r\n"),
        ],
    );
    assert!(
        !answered(&mut a),
        "NOLOOP: no invalidation of one's own writes"
    );
    // RESP2 with REDIRECT to a client subscribed to __redis__:invalidate.
    let mut r = srv.raw();
    let id = String::from_utf8(r.cmd(&[b"CLIENT", b"ID"])).unwrap();
    let id = id.trim_start_matches(':').trim_end().to_string();
    r.cmd(&[b"SUBSCRIBE", b"__redis__:invalidate"]);
    let mut c = srv.raw();
    check_replies(
        &mut c,
        &[
            (&format!("CLIENT TRACKING ON REDIRECT {id}"), "+OK\r\n"),
            ("GET rk", "$-1\r\n"),
            ("CLIENT GETREDIR", &format!(":{id}\r\n")),
        ],
    );
    check_replies(&mut b, &[("SET rk 1", "+OK\r\n")]);
    assert_eq!(
        r.reply(),
        b"*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n*1\r\n$2\r\nrk\r\n"
    );
    check_replies(
        &mut c,
        &[
            ("CLIENT TRACKING ON REDIRECT 999999", "-ERR The client ID you want redirect to does not exist\r\n"),
            ("CLIENT TRACKING ON PREFIX a", "-ERR PREFIX option requires BCAST mode to be enabled\r\n"),
            ("CLIENT TRACKING ON OPTIN OPTOUT", "-ERR You can't specify both OPTIN mode and OPTOUT mode\r\n"),
            ("CLIENT TRACKING maybe", "-ERR syntax error\r\n"),
            ("CLIENT TRACKING OFF", "+OK\r\n"),
            ("CLIENT CACHING YES", "-ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled\r\n"),
            ("CLIENT GETREDIR", ":-1\r\n"),
        ],
    );
}

/// `timeout`: a client idle past it is closed; subscribed, blocked and MONITOR clients stay,
/// as in Redis; 0 turns it off.
#[test]
fn timeout_closes_idle_clients() {
    let srv = TestServer::start(2);
    let mut admin = srv.raw();
    let mut idle = srv.raw();
    check_replies(&mut idle, &[("PING", "+PONG\r\n")]);
    let mut sub = srv.raw();
    check_replies(
        &mut sub,
        &[(
            "SUBSCRIBE ch",
            "*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n",
        )],
    );
    let mut blocked = srv.raw();
    send(&mut blocked, "BLPOP l 0");
    let mut mon = srv.raw();
    check_replies(&mut mon, &[("MONITOR", "+OK\r\n")]);
    common::eventually(|| {
        let mut c = srv.client();
        common::info_u64(&mut c, "clients", "blocked_clients") == 1
    });
    check_replies(
        &mut admin,
        &[
            ("CONFIG SET timeout 1", "+OK\r\n"),
            ("CONFIG GET timeout", "*2\r\n$7\r\ntimeout\r\n$1\r\n1\r\n"),
        ],
    );
    // The admin connection keeps itself busy while the idle one times out.
    common::eventually(|| {
        check_replies(&mut admin, &[("ECHO x", "$1\r\nx\r\n")]);
        idle.s
            .set_read_timeout(Some(Duration::from_millis(10)))
            .unwrap();
        let mut b = [0u8; 1];
        matches!(idle.s.peek(&mut b), Ok(0))
    });
    check_replies(&mut admin, &[("CONFIG SET timeout 0", "+OK\r\n")]);
    // The others are still there: each answers.
    check_replies(&mut sub, &[("PING", "*2\r\n$4\r\npong\r\n$0\r\n\r\n")]);
    let mut c = srv.client();
    let _: i64 = q(&mut c, &["LPUSH", "l", "v"]);
    assert_eq!(blocked.reply(), b"*2\r\n$1\r\nl\r\n$1\r\nv\r\n");
    let line = String::from_utf8(mon.reply()).unwrap();
    assert!(line.starts_with('+') && line.contains("[0 "), "{line}");
}

/// CLIENT TRACKING as redis-server 7.0.15 answers it: BCAST keys gathered per command (an
/// EXEC is one) into one message per prefix, keys in order, NOLOOP leaving out the client's
/// own writes; REDIRECT to a RESP3 client that never subscribed (a push), to a RESP2 one that
/// did not subscribe (nothing), and to one that is gone (`tracking-redir-broken`, each time);
/// tracking-table-max-keys invalidating keys to stay within it.
#[test]
fn tracking_bcast_batches_redirects_and_limits() {
    let srv = TestServer::start(2);
    let mut t = srv.raw();
    let mut w = srv.raw();
    let inv = |keys: &[&str]| {
        let mut s = format!(">2\r\n$10\r\ninvalidate\r\n*{}\r\n", keys.len());
        for k in keys {
            s.push_str(&format!("${}\r\n{k}\r\n", k.len()));
        }
        s
    };
    t.cmd(&[b"HELLO", b"3"]);
    check_replies(
        &mut t,
        &[(
            "CLIENT TRACKING ON BCAST PREFIX b PREFIX a PREFIX c",
            "+OK\r\n",
        )],
    );
    check_replies(&mut w, &[("MSET b2 1 ab1 2 a1 3 c 4 b1 5", "+OK\r\n")]);
    let want = inv(&["a1", "ab1"]) + &inv(&["b1", "b2"]) + &inv(&["c"]);
    let mut got = String::new();
    while got.len() < want.len() {
        got.push_str(&String::from_utf8(t.reply()).unwrap());
    }
    assert_eq!(got, want);
    check_replies(
        &mut w,
        &[
            ("MULTI", "+OK\r\n"),
            ("SET a9 1", "+QUEUED\r\n"),
            ("SET a0 1", "+QUEUED\r\n"),
            ("EXEC", "*2\r\n+OK\r\n+OK\r\n"),
        ],
    );
    assert_eq!(String::from_utf8(t.reply()).unwrap(), inv(&["a0", "a9"]));
    check_replies(
        &mut t,
        &[
            ("CLIENT TRACKING OFF", "+OK\r\n"),
            ("CLIENT TRACKING ON BCAST NOLOOP", "+OK\r\n"),
            ("MSET x 1 y 2", "+OK\r\n"),
        ],
    );
    check_replies(&mut w, &[("SET x 1", "+OK\r\n")]);
    assert_eq!(String::from_utf8(t.reply()).unwrap(), inv(&["x"]));
    check_replies(&mut t, &[("CLIENT TRACKING OFF", "+OK\r\n")]);

    // REDIRECT to a RESP3 client that never subscribed: it gets the push.
    let mut target = srv.raw();
    target.cmd(&[b"HELLO", b"3"]);
    let id = |r: &mut Raw| {
        let b = r.cmd(&[b"CLIENT", b"ID"]);
        String::from_utf8(b).unwrap()[1..].trim().to_string()
    };
    let tid = id(&mut target);
    // A RESP2 client tracking `key`, its invalidations redirected to client `to`.
    let redirected = |to: &str, key: &str| {
        let mut c = srv.raw();
        check_replies(
            &mut c,
            &[
                (&format!("CLIENT TRACKING ON REDIRECT {to}"), "+OK\r\n"),
                (&format!("GET {key}"), "$-1\r\n"),
            ],
        );
        c
    };
    let _r = redirected(&tid, "r1");
    check_replies(&mut w, &[("SET r1 x", "+OK\r\n")]);
    assert_eq!(String::from_utf8(target.reply()).unwrap(), inv(&["r1"]));
    // To a RESP2 client that did not subscribe: nothing (it could not tell it from a reply).
    let mut target2 = srv.raw();
    let tid2 = id(&mut target2);
    let _r2 = redirected(&tid2, "r2");
    check_replies(&mut w, &[("SET r2 x", "+OK\r\n")]);
    check_replies(&mut target2, &[("PING", "+PONG\r\n")]);
    // To a client that has gone: the tracking client hears of it, at every invalidation.
    let mut r3 = srv.raw();
    r3.cmd(&[b"HELLO", b"3"]);
    let gone = srv.raw();
    let gid = {
        let mut g = gone;
        let gid = id(&mut g);
        check_replies(
            &mut r3,
            &[
                (&format!("CLIENT TRACKING ON REDIRECT {gid}"), "+OK\r\n"),
                ("GET r3", "_\r\n"),
                ("GET r4", "_\r\n"),
            ],
        );
        gid
    };
    common::eventually(|| {
        let mut c = srv.client();
        let list: String = q(&mut c, &["CLIENT", "LIST"]);
        !list.contains(&format!("id={gid} "))
    });
    let broken = format!(">2\r\n$21\r\ntracking-redir-broken\r\n:{gid}\r\n");
    check_replies(&mut w, &[("SET r3 x", "+OK\r\n")]);
    assert_eq!(String::from_utf8(r3.reply()).unwrap(), broken);
    check_replies(&mut w, &[("SET r4 x", "+OK\r\n")]);
    assert_eq!(String::from_utf8(r3.reply()).unwrap(), broken);

    // tracking-table-max-keys 1: reading a second key invalidates one of the two.
    check_replies(
        &mut w,
        &[("CONFIG SET tracking-table-max-keys 1", "+OK\r\n")],
    );
    let mut m = srv.raw();
    m.cmd(&[b"HELLO", b"3"]);
    check_replies(
        &mut m,
        &[
            ("CLIENT TRACKING ON", "+OK\r\n"),
            ("GET m1", "_\r\n"),
            ("GET m2", "_\r\n"),
        ],
    );
    let got = String::from_utf8(m.reply()).unwrap();
    assert!(got == inv(&["m1"]) || got == inv(&["m2"]), "{got}");
    let mut c = srv.client();
    assert_eq!(common::info_u64(&mut c, "stats", "tracking_total_keys"), 1);
}
