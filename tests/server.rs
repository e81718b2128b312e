//! Connection and admin commands, concurrency across executors, and the binary's life cycle:
//! flags, ready line, SHUTDOWN, signals, start-up failures, many connections.

mod common;
use common::{eventually, q, rss_kb, ChildServer, TestServer};
use std::process::Command;

#[test]
fn connection_commands() {
    let srv = TestServer::start(2);
    let mut c = srv.client();
    let mut r = srv.raw();
    assert_eq!(q::<String>(&mut c, &["PING"]), "PONG");
    assert_eq!(q::<String>(&mut c, &["PING", "hi"]), "hi");
    assert_eq!(q::<String>(&mut c, &["ECHO", "hello"]), "hello");
    assert_eq!(
        r.cmd(&[b"PING", b"a", b"b"]),
        b"-ERR wrong number of arguments for 'ping' command\r\n"
    );
    // SELECT isolates databases.
    q::<()>(&mut c, &["SET", "k", "db0"]);
    q::<()>(&mut c, &["SELECT", "5"]);
    assert_eq!(q::<Option<String>>(&mut c, &["GET", "k"]), None);
    q::<()>(&mut c, &["SET", "k", "db5"]);
    assert_eq!(q::<i64>(&mut c, &["DBSIZE"]), 1);
    q::<()>(&mut c, &["SELECT", "0"]);
    assert_eq!(q::<String>(&mut c, &["GET", "k"]), "db0");
    assert_eq!(
        r.cmd(&[b"SELECT", b"16"]),
        b"-ERR DB index is out of range\r\n"
    );
    assert_eq!(
        r.cmd(&[b"SELECT", b"x"]),
        b"-ERR value is not an integer or out of range\r\n"
    );
    assert_eq!(
        r.cmd(&[b"SELECT", b"2147483648"]),
        b"-ERR value is out of range, value must between -2147483648 and 2147483647\r\n"
    );
    // FLUSHDB only the current db, FLUSHALL all.
    q::<()>(&mut c, &["SELECT", "5"]);
    q::<()>(&mut c, &["FLUSHDB"]);
    assert_eq!(q::<i64>(&mut c, &["DBSIZE"]), 0);
    q::<()>(&mut c, &["SELECT", "0"]);
    assert_eq!(q::<i64>(&mut c, &["DBSIZE"]), 1);
    q::<()>(&mut c, &["FLUSHALL", "ASYNC"]);
    assert_eq!(q::<i64>(&mut c, &["DBSIZE"]), 0);
    assert_eq!(r.cmd(&[b"FLUSHALL", b"bogus"]), b"-ERR syntax error\r\n");
    let t: Vec<String> = q(&mut c, &["TIME"]);
    assert!(
        t[0].parse::<u64>().unwrap() > 1_600_000_000 && t[1].parse::<u64>().unwrap() < 1_000_000
    );
}

#[test]
fn client_commands() {
    let srv = TestServer::start(2);
    let mut c = srv.client();
    let mut other = srv.raw();
    let id: i64 = q(&mut c, &["CLIENT", "ID"]);
    assert!(id > 0);
    assert_eq!(q::<Option<String>>(&mut c, &["CLIENT", "GETNAME"]), None);
    q::<()>(&mut c, &["CLIENT", "SETNAME", "worker-1"]);
    assert_eq!(q::<String>(&mut c, &["CLIENT", "GETNAME"]), "worker-1");
    q::<()>(&mut c, &["CLIENT", "SETINFO", "LIB-NAME", "redis-rs"]);
    let info: String = q(&mut c, &["CLIENT", "INFO"]);
    assert!(
        info.contains(&format!("id={id} "))
            && info.contains("name=worker-1")
            && info.contains("lib-name=redis-rs")
    );
    assert!(info.contains("cmd=client"));
    let other_id: i64 = String::from_utf8(other.cmd(&[b"CLIENT", b"ID"]))
        .unwrap()
        .trim_start_matches(':')
        .trim()
        .parse()
        .unwrap();
    let list: String = q(&mut c, &["CLIENT", "LIST"]);
    assert!(list.lines().count() >= 2);
    assert!(list.contains(&format!("id={other_id} ")));
    let mut r = srv.raw();
    assert_eq!(
        r.cmd(&[b"CLIENT", b"SETNAME", b"has space"]),
        b"-ERR Client names cannot contain spaces, newlines or special characters.\r\n"
    );
    // The filter form answers how many it killed; only the old `ip:port` form errors.
    assert_eq!(r.cmd(&[b"CLIENT", b"KILL", b"ID", b"999999"]), b":0\r\n");
    assert_eq!(
        r.cmd(&[b"CLIENT", b"KILL", b"1.2.3.4:5"]),
        b"-ERR No such client\r\n"
    );
    assert_eq!(
        r.cmd(&[b"CLIENT", b"SETINFO", b"LIB-NAME", b"a b"]),
        b"-ERR LIB-NAME cannot contain spaces, newlines or special characters.\r\n"
    );
    assert_eq!(
        r.cmd(&[b"CLIENT", b"SETINFO", b"foo", b"bar"]),
        b"-ERR Unrecognized option 'foo'\r\n"
    );
    assert_eq!(
        r.cmd(&[b"CLIENT", b"NOPE"]),
        b"-ERR unknown subcommand 'NOPE'. Try CLIENT HELP.\r\n"
    );
    assert_eq!(
        r.cmd(&[b"CLIENT", b"ID", b"x"]),
        b"-ERR wrong number of arguments for 'client|id' command\r\n"
    );
    // KILL closes the other, idle connection.
    assert_eq!(
        q::<i64>(&mut c, &["CLIENT", "KILL", "ID", &other_id.to_string()]),
        1
    );
    assert!(other.is_closed());
    assert!(!q::<String>(&mut c, &["CLIENT", "LIST"]).contains(&format!("id={other_id} ")));
}

#[test]
fn config_info_command() {
    let srv = TestServer::start(1);
    let mut c = srv.client();
    let mut r = srv.raw();
    let v: Vec<String> = q(&mut c, &["CONFIG", "GET", "save"]);
    assert_eq!(v, vec!["save".to_string(), String::new()]);
    let v: Vec<String> = q(&mut c, &["CONFIG", "GET", "appendonly"]);
    assert_eq!(v, vec!["appendonly", "yes"]);
    let v: Vec<String> = q(&mut c, &["CONFIG", "GET", "max*", "port"]);
    assert!(
        v.contains(&"maxclients".to_string())
            && v.contains(&"maxmemory".to_string())
            && v.contains(&"port".to_string())
    );
    assert_eq!(
        q::<String>(&mut c, &["CONFIG", "SET", "maxclients", "500", "hz", "20"]),
        "OK"
    );
    assert_eq!(
        q::<Vec<String>>(&mut c, &["CONFIG", "GET", "maxclients"])[1],
        "500"
    );
    common::expect_replies(
        &mut r,
        &[
            (
                &[b"CONFIG", b"SET", b"nosuch", b"1"],
                b"-ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'\r\n",
            ),
            (
                &[b"CONFIG", b"SET", b"port", b"1"],
                b"-ERR CONFIG SET failed (possibly related to argument 'port') - can't set immutable config\r\n",
            ),
            (
                &[b"CONFIG", b"SET", b"hz", b"abc"],
                b"-ERR CONFIG SET failed (possibly related to argument 'hz') - argument couldn't be parsed into an integer\r\n",
            ),
            (
                &[b"CONFIG", b"SET", b"appendfsync", b"bogus"],
                b"-ERR CONFIG SET failed (possibly related to argument 'appendfsync') - argument(s) must be one of the following: everysec, always, no\r\n",
            ),
            (
                &[b"CONFIG", b"SET", b"auto-aof-rewrite-min-size", b"12q"],
                b"-ERR CONFIG SET failed (possibly related to argument 'auto-aof-rewrite-min-size') - argument must be a memory value\r\n",
            ),
            (
                &[b"CONFIG", b"SET", b"appendonly", b"maybe"],
                b"-ERR CONFIG SET failed (possibly related to argument 'appendonly') - argument must be 'yes' or 'no'\r\n",
            ),
        ],
    );
    // A smaller proto-max-bulk-len applies to new requests.
    assert_eq!(
        q::<String>(&mut c, &["CONFIG", "SET", "proto-max-bulk-len", "1mb"]),
        "OK"
    );
    let mut small = srv.raw();
    small.send(b"*2\r\n$4\r\nECHO\r\n$2000000\r\n");
    assert_eq!(
        small.reply(),
        b"-ERR Protocol error: invalid bulk length\r\n"
    );
    q::<()>(&mut c, &["SET", "a", "1"]);
    q::<Option<String>>(&mut c, &["GET", "a"]);
    q::<Option<String>>(&mut c, &["GET", "nokey"]);
    let info: String = q(&mut c, &["INFO"]);
    for field in [
        "redis_version:",
        "connected_clients:",
        "used_memory:",
        "aof_enabled:1",
        "total_commands_processed:",
        "db0:keys=1,expires=0",
        "used_cpu_sys:",
        // Sections clients read at start-up (redis-py's test suite reads cluster_enabled).
        "# Replication\r\nrole:master\r\nconnected_slaves:0\r\n",
        "master_repl_offset:0\r\n",
        "# Modules\r\n",
        "# Cluster\r\ncluster_enabled:0\r\n",
    ] {
        assert!(info.contains(field), "INFO lacks {field}");
    }
    // Redis 7.0.15's exact bytes.
    common::expect_replies(
        &mut r,
        &[(
            &[b"INFO", b"cluster"],
            b"$30\r\n# Cluster\r\ncluster_enabled:0\r\n\r\n",
        )],
    );
    assert!(
        info.contains("keyspace_hits:1\r\n") && info.contains("keyspace_misses:1\r\n"),
        "{info}"
    );
    assert_eq!(q::<String>(&mut c, &["CONFIG", "RESETSTAT"]), "OK");
    let stats: String = q(&mut c, &["INFO", "stats"]);
    assert!(
        stats.starts_with("# Stats")
            && stats.contains("keyspace_hits:0\r\n")
            && !stats.contains("# Server")
    );
    let n: i64 = q(&mut c, &["COMMAND", "COUNT"]);
    assert!(n > 60);
    let all: Vec<redis::Value> = q(&mut c, &["COMMAND"]);
    assert_eq!(all.len() as i64, n);
    let get = r.cmd(&[b"COMMAND", b"INFO", b"get", b"nosuch"]);
    let text = String::from_utf8_lossy(&get);
    assert!(
        // An unknown name is a null bulk, as redis-server 7.0 answers it.
        text.starts_with("*2\r\n*10\r\n$3\r\nget\r\n:2\r\n") && text.ends_with("$-1\r\n"),
        "{text}"
    );
    // ACL categories in Redis's table order, with Redis's category names.
    let mut cats = |name: &[u8]| {
        let text = String::from_utf8_lossy(&r.cmd(&[b"COMMAND", b"INFO", name])).into_owned();
        text.split("\r\n")
            .filter(|l| l.starts_with("+@"))
            .map(|l| l[1..].to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(cats(b"get"), ["@read", "@string", "@fast"]);
    assert_eq!(cats(b"zadd"), ["@write", "@sortedset", "@fast"]);
    assert_eq!(cats(b"blpop"), ["@write", "@list", "@slow", "@blocking"]);
    assert_eq!(cats(b"multi"), ["@fast", "@transaction"]);
    let docs = String::from_utf8_lossy(&r.cmd(&[b"COMMAND", b"DOCS", b"set"])).into_owned();
    assert!(
        docs.contains("summary") && docs.contains("string"),
        "{docs}"
    );
}

#[test]
fn concurrent_incr_across_executors() {
    let srv = TestServer::start(4);
    let url = srv.url();
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let url = url.clone();
            std::thread::spawn(move || {
                let mut c = common::connect(&url);
                for _ in 0..10_000 {
                    let _: i64 = redis::cmd("INCR").arg("shared").query(&mut c).unwrap();
                    let _: i64 = redis::cmd("HINCRBY")
                        .arg("hshared")
                        .arg("f")
                        .arg(1)
                        .query(&mut c)
                        .unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let mut c = srv.client();
    assert_eq!(q::<i64>(&mut c, &["GET", "shared"]), 80_000);
    assert_eq!(q::<i64>(&mut c, &["HGET", "hshared", "f"]), 80_000);
    // Connections really were spread over executors (SO_REUSEPORT listeners).
    let info: String = q(&mut c, &["INFO", "server"]);
    assert!(info.contains("executors:4"));
}

#[test]
fn mset_is_atomic_against_concurrent_readers() {
    let srv = TestServer::start(2);
    let url = srv.url();
    let keys: Vec<String> = (0..16).map(|i| format!("atom:{i}")).collect();
    let writer = {
        let (url, keys) = (url.clone(), keys.clone());
        std::thread::spawn(move || {
            let mut c = common::connect(&url);
            for round in 0..2000 {
                let mut cmd = redis::cmd("MSET");
                for k in &keys {
                    cmd.arg(k).arg(round);
                }
                let _: () = cmd.query(&mut c).unwrap();
            }
        })
    };
    let mut c = common::connect(&url);
    for _ in 0..2000 {
        let vals: Vec<Option<i64>> = redis::cmd("MGET").arg(&keys).query(&mut c).unwrap();
        let first = vals[0];
        assert!(
            vals.iter().all(|v| *v == first),
            "MGET saw a half-applied MSET: {vals:?}"
        );
    }
    writer.join().unwrap();
}

#[test]
fn binary_runs_and_shuts_down_cleanly() {
    // SHUTDOWN command: exit 0.
    let mut s = ChildServer::start(&["--threads", "2"]);
    let mut c = common::connect(&format!("redis://127.0.0.1:{}/", s.port));
    let _: () = redis::cmd("SET").arg("k").arg("v").query(&mut c).unwrap();
    // Refused option combinations leave the server running, as in Redis.
    for (args, err) in [
        (&["NOSAVE", "SAVE"][..], "syntax error"),
        (&["NOW", "ABORT"][..], "syntax error"),
        (&["BOGUS"][..], "syntax error"),
        (&["ABORT"][..], "No shutdown in progress."),
    ] {
        let e = redis::cmd("SHUTDOWN")
            .arg(args)
            .query::<()>(&mut c)
            .unwrap_err();
        assert!(e.to_string().contains(err), "{args:?}: {e}");
    }
    let v: String = redis::cmd("GET").arg("k").query(&mut c).unwrap();
    assert_eq!(v, "v");
    let _ = redis::cmd("SHUTDOWN").query::<()>(&mut c);
    assert_eq!(s.wait_exit(), 0);
    // SIGTERM and SIGINT: exit 0, idle clients do not hold it up.
    for sig in [libc::SIGTERM, libc::SIGINT] {
        let mut s = ChildServer::start(&["--threads", "3"]);
        let _idle = std::net::TcpStream::connect(("127.0.0.1", s.port)).unwrap();
        // SAFETY: plain kill(2) on our own child's pid.
        unsafe { libc::kill(s.child.id() as i32, sig) };
        assert_eq!(s.wait_exit(), 0);
    }
}

#[test]
fn binary_rejects_bad_flags_and_busy_ports() {
    for args in [
        &["--port", "notaport"][..],
        &["--bogus"],
        &["--threads", "0"],
        &["--bind", "nowhere"],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_ringdis"))
            .args(args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            err.trim().lines().count(),
            1,
            "one line for {args:?}: {err}"
        );
    }
    // A port held by a socket without SO_REUSEPORT is refused with a clear message.
    let blocker = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = blocker.local_addr().unwrap().port();
    let out = Command::new(env!("CARGO_BIN_EXE_ringdis"))
        .args([
            "--port",
            &port.to_string(),
            "--no-pin",
            "--appendonly",
            "no",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("address already in use"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn ten_thousand_idle_connections() {
    // Raise our descriptor limit; the child inherits it.
    let want = 25_000;
    // SAFETY: getrlimit/setrlimit on our own process with a valid struct.
    unsafe {
        let mut lim = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim);
        if lim.rlim_max < want {
            eprintln!(
                "skipping: RLIMIT_NOFILE hard limit {} is below {want}",
                lim.rlim_max
            );
            return;
        }
        lim.rlim_cur = lim.rlim_cur.max(want);
        libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
    }
    let s = ChildServer::start(&["--threads", "2", "--maxclients", "20000"]);
    let mut c = common::connect(&format!("redis://127.0.0.1:{}/", s.port));
    let baseline = common::info_u64(&mut c, "memory", "used_memory");
    let conns: Vec<std::net::TcpStream> = (0..10_000)
        .map(|_| std::net::TcpStream::connect(("127.0.0.1", s.port)).unwrap())
        .collect();
    let mut c = common::connect(&format!("redis://127.0.0.1:{}/", s.port));
    // Every connection is accepted and registered.
    let clients = |c: &mut redis::Connection| -> String {
        redis::cmd("INFO").arg("clients").query(c).unwrap()
    };
    eventually(|| clients(&mut c).contains("connected_clients:10001\r\n"));
    let rss_with = rss_kb(s.child.id());
    let with = common::info_u64(&mut c, "memory", "used_memory");
    drop(conns);
    eventually(|| clients(&mut c).contains("connected_clients:1\r\n"));
    let _: String = redis::cmd("PING").query(&mut c).unwrap();
    let after = common::info_u64(&mut c, "memory", "used_memory");
    eprintln!(
        "RSS with 10k idle connections: {rss_with} kB, after close: {} kB; allocated: {baseline} -> {with} -> {after} bytes",
        rss_kb(s.child.id())
    );
    // Closed connections give their buffers back to the allocator.
    assert!(
        with > baseline + 10_000 * 8 * 1024,
        "connections hold their buffers: {baseline} -> {with}"
    );
    assert!(
        after < baseline + (with - baseline) / 10,
        "memory not freed: {baseline} -> {with} -> {after}"
    );
}

#[test]
fn binary_explains_missing_io_uring() {
    use std::os::unix::process::CommandExt;
    // A seccomp filter makes io_uring_setup fail with ENOSYS, as a locked-down container does.
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ringdis"));
    cmd.args([
        "--port",
        "0",
        "--threads",
        "1",
        "--no-pin",
        "--appendonly",
        "no",
    ]);
    // SAFETY: the closure runs in the forked child before exec and only calls async-signal-safe
    // prctl(2) with a filter program that lives on the child's stack for the duration of the call.
    unsafe {
        cmd.pre_exec(|| {
            const IO_URING_SETUP: u32 = 425;
            let ret_errno = libc::SECCOMP_RET_ERRNO | libc::ENOSYS as u32;
            let mut filter = [
                libc::sock_filter {
                    code: (libc::BPF_LD | libc::BPF_W | libc::BPF_ABS) as u16,
                    jt: 0,
                    jf: 0,
                    k: 0,
                },
                libc::sock_filter {
                    code: (libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K) as u16,
                    jt: 0,
                    jf: 1,
                    k: IO_URING_SETUP,
                },
                libc::sock_filter {
                    code: (libc::BPF_RET | libc::BPF_K) as u16,
                    jt: 0,
                    jf: 0,
                    k: ret_errno,
                },
                libc::sock_filter {
                    code: (libc::BPF_RET | libc::BPF_K) as u16,
                    jt: 0,
                    jf: 0,
                    k: libc::SECCOMP_RET_ALLOW,
                },
            ];
            let prog = libc::sock_fprog {
                len: filter.len() as u16,
                filter: filter.as_mut_ptr(),
            };
            if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0
                || libc::prctl(
                    libc::PR_SET_SECCOMP,
                    libc::SECCOMP_MODE_FILTER,
                    &prog as *const _ as usize,
                    0,
                    0,
                ) != 0
            {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let out = cmd.output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("io_uring is not available") && err.contains("io_uring_disabled"),
        "{err}"
    );
}

#[test]
fn more_threads_than_cores_share_pinned_cores() {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads = (cores * 2 + 1).to_string();
    let s = ChildServer::start_pinned(&["--threads", &threads]);
    let url = format!("redis://127.0.0.1:{}/", s.port);
    // Enough connections that several executors serve some of them.
    let mut conns: Vec<redis::Connection> =
        (0..16).map(|_| common::connect(url.as_str())).collect();
    for c in conns.iter_mut() {
        let _: i64 = redis::cmd("INCR").arg("n").query(c).unwrap();
    }
    let n: i64 = redis::cmd("GET").arg("n").query(&mut conns[0]).unwrap();
    assert_eq!(n, 16);
    let info: String = redis::cmd("INFO")
        .arg("server")
        .query(&mut conns[0])
        .unwrap();
    assert!(info.contains(&format!("executors:{threads}\r\n")), "{info}");
}

#[test]
fn shutdown_ends_even_when_a_client_does_not_read() {
    let mut s = ChildServer::start(&["--threads", "2"]);
    let mut c = common::connect(&format!("redis://127.0.0.1:{}/", s.port));
    let _: () = redis::cmd("SET")
        .arg("big")
        .arg(vec![b'x'; 1 << 20])
        .query(&mut c)
        .unwrap();
    // 200 MB of replies that this client never reads: the server's write blocks.
    let mut stuck = common::Raw::connect(s.port);
    let get = common::encode(&[b"GET", b"big"]);
    stuck.send(&get.repeat(200));
    // SAFETY: plain kill(2) on our own child's pid.
    unsafe { libc::kill(s.child.id() as i32, libc::SIGTERM) };
    assert_eq!(s.wait_exit(), 0);
}

#[test]
fn many_connections_take_turns() {
    // 300 connections over 2 executors, served in rounds from one thread: each round every
    // connection sends a request, then every reply is read. A connection whose request arrives
    // while its executor serves the others must still be seen (readiness is edge-triggered).
    let srv = TestServer::start(2);
    let mut conns: Vec<common::Raw> = (0..300).map(|_| srv.raw()).collect();
    for round in 0..20 {
        for (i, c) in conns.iter_mut().enumerate() {
            c.send(&common::encode(&[
                b"INCRBY",
                format!("k{i}").as_bytes(),
                b"2",
            ]));
            if round % 5 == 0 {
                // Now and then a second request right behind the first.
                c.send(&common::encode(&[b"ECHO", b"x"]));
            }
        }
        for (i, c) in conns.iter_mut().enumerate() {
            assert_eq!(
                c.reply(),
                format!(":{}\r\n", 2 * (round + 1)).into_bytes(),
                "conn {i}"
            );
            if round % 5 == 0 {
                assert_eq!(c.reply(), b"$1\r\nx\r\n");
            }
        }
    }
}

/// INFO commandstats as Redis 7.0 counts: calls and time of every command that ran (errors
/// included, as failed_calls), rejected_calls for those refused before running (wrong arity);
/// subcommands as `container|sub`; not in the default INFO; CONFIG RESETSTAT clears it.
#[test]
fn info_commandstats() {
    let srv = TestServer::start(2);
    let mut r = srv.raw();
    for cmd in [
        &[&b"CONFIG"[..], b"RESETSTAT"][..],
        &[b"SET", b"a", b"x"],
        &[b"GET", b"a"],
        &[b"GET", b"a", b"b"],
        &[b"INCR", b"a"],
        &[b"CLIENT", b"LIST"],
    ] {
        r.cmd(cmd);
    }
    let text = String::from_utf8(r.cmd(&[b"INFO", b"commandstats"])).unwrap();
    let line = |name: &str| {
        text.lines()
            .find(|l| l.starts_with(&format!("cmdstat_{name}:")))
            .unwrap_or_else(|| panic!("no {name} in {text}"))
            .to_string()
    };
    let fields = |l: String| -> Vec<(String, String)> {
        l.split_once(':')
            .unwrap()
            .1
            .split(',')
            .map(|kv| {
                let (k, v) = kv.split_once('=').unwrap();
                (k.to_string(), v.to_string())
            })
            .collect()
    };
    let counts = |name: &str| -> (u64, u64, u64) {
        let f = fields(line(name));
        let get = |k: &str| f.iter().find(|(x, _)| x == k).unwrap().1.parse().unwrap();
        assert_eq!(
            f.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(),
            [
                "calls",
                "usec",
                "usec_per_call",
                "rejected_calls",
                "failed_calls"
            ]
        );
        (get("calls"), get("rejected_calls"), get("failed_calls"))
    };
    assert_eq!(counts("set"), (1, 0, 0));
    assert_eq!(counts("get"), (1, 1, 0));
    assert_eq!(counts("incr"), (1, 0, 1));
    assert_eq!(counts("client|list"), (1, 0, 0));
    let default = String::from_utf8(r.cmd(&[b"INFO"])).unwrap();
    assert!(!default.contains("cmdstat_"));
    r.cmd(&[b"CONFIG", b"RESETSTAT"]);
    let text = String::from_utf8(r.cmd(&[b"INFO", b"commandstats"])).unwrap();
    assert!(!text.contains("cmdstat_set"), "{text}");
}
