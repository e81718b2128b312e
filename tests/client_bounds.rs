//! What one client can cost the server is bounded, as in Redis: the query buffer (by what
//! arrived, and by client-query-buffer-limit), unsent replies (client-output-buffer-limit, for
//! one command, a pipeline, an EXEC and pub/sub), argument vectors after a huge command, CLIENT
//! KILL of a client that does not read, descriptors and maxclients. Each against the binary;
//! memory is read from /proc, and nothing about timing is asserted.

mod common;

use common::{connect, encode, eventually, info_u64, q, rss_kb, ChildServer, Raw};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::Duration;

fn url(port: u16) -> String {
    format!("redis://127.0.0.1:{port}/")
}

/// A connection's id, asked over the connection itself.
fn client_id(r: &mut Raw) -> u64 {
    let reply = r.cmd(&[b"CLIENT", b"ID"]);
    String::from_utf8(reply).unwrap()[1..]
        .trim()
        .parse()
        .unwrap()
}

/// The CLIENT LIST line of client `id`, if it is listed.
fn listed(c: &mut redis::Connection, id: u64) -> Option<String> {
    let list: String = q(c, &["CLIENT", "LIST"]);
    list.lines()
        .find(|l| l.starts_with(&format!("id={id} ")))
        .map(str::to_string)
}

/// A numeric field of a CLIENT LIST line.
fn field(line: &str, name: &str) -> u64 {
    line.split(' ')
        .find_map(|f| f.strip_prefix(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no {name} in {line}"))
        .parse()
        .unwrap()
}

/// Reads until the server closes the connection (end of file or reset), at most `limit` bytes.
fn closed_within(s: &mut TcpStream, limit: usize) -> bool {
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut got = 0;
    let mut buf = vec![0u8; 1 << 16];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return true,
            Ok(n) => {
                got += n;
                if got > limit {
                    return false;
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return true,
            Err(_) => return false,
        }
    }
}

/// Stops the server and returns what it logged.
fn stop_and_log(mut s: ChildServer) -> String {
    // SAFETY: signalling our own child process.
    unsafe { libc::kill(s.child.id() as i32, libc::SIGTERM) };
    assert_eq!(s.wait_exit(), 0);
    s.stderr()
}

#[test]
fn an_announced_bulk_costs_what_arrived_not_what_was_announced() {
    let s = ChildServer::start(&["--threads", "2", "--appendonly", "no"]);
    let mut c = connect(&url(s.port));
    let before = rss_kb(s.child.id());
    // 20 clients announce a 500 MB value and trickle 64 KB of it, 1 KB at a time.
    let mut conns: Vec<TcpStream> = (0..20)
        .map(|_| TcpStream::connect(("127.0.0.1", s.port)).unwrap())
        .collect();
    for conn in &mut conns {
        conn.write_all(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$524288000\r\n")
            .unwrap();
    }
    for _ in 0..64 {
        for conn in &mut conns {
            conn.write_all(&[b'x'; 1024]).unwrap();
        }
        // A round trip between rounds, so the server reads them one at a time.
        assert_eq!(q::<String>(&mut c, &["PING"]), "PONG");
    }
    let list: String = q(&mut c, &["CLIENT", "LIST"]);
    let waiting: Vec<&str> = list.lines().filter(|l| field(l, "qbuf") > 0).collect();
    eventually(|| {
        let list: String = q(&mut c, &["CLIENT", "LIST"]);
        list.lines()
            .filter(|l| field(l, "qbuf") >= 64 * 1024)
            .count()
            == 20
    });
    let grown = rss_kb(s.child.id()).saturating_sub(before);
    eprintln!(
        "20 clients x 64 KB of a 500 MB bulk: RSS +{grown} kB ({} clients waiting)",
        waiting.len()
    );
    // 1.3 MB arrived; buffers double at most, and only what arrived is touched.
    assert!(grown < 16 * 1024, "RSS grew by {grown} kB");
    let list: String = q(&mut c, &["CLIENT", "LIST"]);
    for l in list.lines().filter(|l| field(l, "qbuf") > 0) {
        assert!(
            field(l, "qbuf") + field(l, "qbuf-free") <= 256 * 1024,
            "query buffer larger than twice what arrived: {l}"
        );
    }
    assert_eq!(q::<String>(&mut c, &["PING"]), "PONG");
}

#[test]
fn a_request_past_client_query_buffer_limit_closes_the_client() {
    let s = ChildServer::start(&["--appendonly", "no", "--client-query-buffer-limit", "1mb"]);
    let mut c = connect(&url(s.port));
    assert_eq!(
        q::<Vec<String>>(&mut c, &["CONFIG", "GET", "client-query-buffer-limit"]),
        ["client-query-buffer-limit", "1048576"]
    );
    // A value under the limit is served.
    let mut r = Raw::connect(s.port);
    let value = vec![b'v'; 900 * 1024];
    assert_eq!(r.cmd(&[b"SET", b"k", &value]), b"+OK\r\n");
    // One past it closes the client without a reply, however much more it would send.
    let mut r = TcpStream::connect(("127.0.0.1", s.port)).unwrap();
    let _ = r.write_all(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2097152\r\n");
    let _ = r.write_all(&vec![b'x'; 1536 * 1024]);
    assert!(closed_within(&mut r, 0));
    // So does a MULTI queue that grows past it.
    let mut r = Raw::connect(s.port);
    assert_eq!(r.cmd(&[b"MULTI"]), b"+OK\r\n");
    let chunk = vec![b'q'; 100 * 1024];
    let mut closed = false;
    for _ in 0..20 {
        if r.s.write_all(&encode(&[b"SET", b"k", &chunk])).is_err() {
            closed = true;
            break;
        }
    }
    assert!(closed || closed_within(&mut r.s, 20 * 16));
    assert_eq!(
        info_u64(&mut c, "stats", "client_query_buffer_limit_disconnections"),
        2
    );
    // Raised at run time, the larger request passes.
    let _: () = q(
        &mut c,
        &["CONFIG", "SET", "client-query-buffer-limit", "4mb"],
    );
    let mut r = Raw::connect(s.port);
    let value = vec![b'v'; 2 << 20];
    assert_eq!(r.cmd(&[b"SET", b"k", &value]), b"+OK\r\n");
    assert_eq!(q::<usize>(&mut c, &["STRLEN", "k"]), 2 << 20);
    let mut raw = Raw::connect(s.port);
    assert_eq!(
        String::from_utf8(raw.cmd(&[b"CONFIG", b"SET", b"client-query-buffer-limit", b"1000"])).unwrap(),
        "-ERR CONFIG SET failed (possibly related to argument 'client-query-buffer-limit') - argument must be between 1048576 and 9223372036854775807 inclusive\r\n"
    );
    let log = stop_and_log(s);
    assert_eq!(
        log.matches("Closing client that reached max query buffer length: id=")
            .count(),
        2,
        "{log}"
    );
    assert!(
        log.contains(r#"(qbuf initial bytes: "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2097152\r\nxxxx"#),
        "{log}"
    );
}

/// Pipelines `n` GETs of a 100 KB value on a fresh connection that never reads its replies.
fn non_reader(port: u16, n: usize) -> (TcpStream, u64) {
    let mut r = Raw::connect(port);
    let id = client_id(&mut r);
    let reqs = encode(&[b"GET", b"big"]).repeat(n);
    // A writer thread: without an output limit the server stops reading, so this blocks.
    let mut w = r.s.try_clone().unwrap();
    std::thread::spawn(move || {
        let _ = w.write_all(&reqs);
    });
    (r.s, id)
}

#[test]
fn a_client_that_does_not_read_is_dropped_at_its_output_limit() {
    let s = ChildServer::start(&["--threads", "2", "--appendonly", "no"]);
    let mut c = connect(&url(s.port));
    let big = "v".repeat(100 * 1024);
    let _: () = q(&mut c, &["SET", "big", &big]);
    assert_eq!(
        q::<Vec<String>>(&mut c, &["CONFIG", "GET", "client-output-buffer-limit"]),
        [
            "client-output-buffer-limit",
            "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"
        ]
    );
    let _: () = q(
        &mut c,
        &[
            "CONFIG",
            "SET",
            "client-output-buffer-limit",
            "normal 4mb 0 0",
        ],
    );
    assert_eq!(
        q::<Vec<String>>(&mut c, &["CONFIG", "GET", "client-output-buffer-limit"])[1],
        "normal 4194304 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"
    );
    let before = rss_kb(s.child.id());
    // A pipeline of 2,000 GETs: 200 MB of replies it never reads.
    let (mut sock, id) = non_reader(s.port, 2000);
    eventually(|| listed(&mut c, id).is_none());
    assert!(closed_within(&mut sock, 64 << 20));
    assert_eq!(
        info_u64(&mut c, "stats", "client_output_buffer_limit_disconnections"),
        1
    );
    // One EXEC whose reply alone passes the limit: dropped too, after every command ran.
    let mut r = Raw::connect(s.port);
    let id = client_id(&mut r);
    let mut tx = encode(&[b"MULTI"]);
    for _ in 0..500 {
        tx.extend(encode(&[b"GET", b"big"]));
    }
    tx.extend(encode(&[b"INCR", b"counter"]));
    tx.extend(encode(&[b"EXEC"]));
    r.send(&tx);
    eventually(|| listed(&mut c, id).is_none());
    assert!(closed_within(&mut r.s, 64 << 20));
    assert_eq!(q::<i64>(&mut c, &["GET", "counter"]), 1);
    assert_eq!(
        info_u64(&mut c, "stats", "client_output_buffer_limit_disconnections"),
        2
    );
    let grown = rss_kb(s.child.id()).saturating_sub(before);
    eprintln!("after 250 MB of replies nobody read: RSS +{grown} kB");
    assert!(grown < 64 * 1024, "RSS grew by {grown} kB");
    // A client that reads its replies as it goes gets all of them under the same limit.
    let mut r = Raw::connect(s.port);
    for _ in 0..20 {
        r.send(&encode(&[b"GET", b"big"]).repeat(10));
        for _ in 0..10 {
            assert_eq!(r.reply().len(), 100 * 1024 + 11);
        }
    }
    let log = stop_and_log(s);
    assert_eq!(
        log.matches("scheduled to be closed ASAP for overcoming of output buffer limits")
            .count(),
        2,
        "{log}"
    );
}

#[test]
fn the_soft_output_limit_drops_a_client_that_stays_over_it() {
    let s = ChildServer::start(&["--appendonly", "no"]);
    let mut c = connect(&url(s.port));
    let _: () = q(&mut c, &["SET", "big", &"v".repeat(100 * 1024)]);
    let _: () = q(
        &mut c,
        &[
            "CONFIG",
            "SET",
            "client-output-buffer-limit",
            "normal 0 1mb 1",
        ],
    );
    // 20 MB of replies: far more than the socket takes, so it stays over 1 MB.
    let mut r = Raw::connect(s.port);
    let id = client_id(&mut r);
    r.send(&encode(&[b"GET", b"big"]).repeat(200));
    eventually(|| listed(&mut c, id).is_some_and(|l| field(&l, "omem") > 1 << 20));
    // Over the soft limit for less than its seconds: still connected.
    assert!(listed(&mut c, id).is_some());
    // The soft limit is checked when replies are added, as in Redis: once it has been over it
    // for more than a second, the next reply drops it.
    std::thread::sleep(Duration::from_millis(2100));
    r.send(&encode(&[b"GET", b"big"]));
    eventually(|| listed(&mut c, id).is_none());
    assert_eq!(
        info_u64(&mut c, "stats", "client_output_buffer_limit_disconnections"),
        1
    );
}

#[test]
fn without_a_limit_a_client_that_does_not_read_holds_little_and_client_kill_closes_it() {
    let s = ChildServer::start(&["--threads", "2", "--appendonly", "no"]);
    let mut c = connect(&url(s.port));
    let _: () = q(&mut c, &["SET", "big", &"v".repeat(100 * 1024)]);
    let before = rss_kb(s.child.id());
    // Normal clients have no output limit by default: the server stops reading this one while
    // its replies wait, instead of building 200 MB of them.
    let (mut sock, id) = non_reader(s.port, 2000);
    eventually(|| listed(&mut c, id).is_some_and(|l| field(&l, "omem") > 0));
    let line = listed(&mut c, id).unwrap();
    assert!(line.contains(" events=rw "), "{line}");
    let grown = rss_kb(s.child.id()).saturating_sub(before);
    eprintln!("a client that does not read, 200 MB asked for: RSS +{grown} kB; {line}");
    assert!(grown < 32 * 1024, "RSS grew by {grown} kB");
    assert_eq!(q::<String>(&mut c, &["PING"]), "PONG");
    // CLIENT KILL closes it although its connection waits to send.
    assert_eq!(
        q::<i64>(&mut c, &["CLIENT", "KILL", "ID", &id.to_string()]),
        1
    );
    assert!(listed(&mut c, id).is_none());
    assert!(closed_within(&mut sock, 256 << 20));
    eventually(|| info_u64(&mut c, "clients", "connected_clients") == 1);
    // The old form, by address.
    let mut r = Raw::connect(s.port);
    // Answered: the server has accepted and registered it (a bare connect may still wait in
    // the backlog).
    assert_eq!(r.cmd(&[b"PING"]), b"+PONG\r\n");
    let addr = r.s.local_addr().unwrap().to_string();
    let mut k = Raw::connect(s.port);
    assert_eq!(k.cmd(&[b"CLIENT", b"KILL", addr.as_bytes()]), b"+OK\r\n");
    assert!(r.is_closed());
    assert_eq!(
        k.cmd(&[b"CLIENT", b"KILL", addr.as_bytes()]),
        b"-ERR No such client\r\n"
    );
}

#[test]
fn client_kill_filters_answer_as_redis() {
    let s = ChildServer::start(&["--threads", "2", "--appendonly", "no"]);
    let mut c = connect(&url(s.port));
    let mut sub = Raw::connect(s.port);
    let sub_id = client_id(&mut sub);
    sub.cmd(&[b"SUBSCRIBE", b"ch"]);
    let mut a = Raw::connect(s.port);
    let a_id = client_id(&mut a);
    let mut me = Raw::connect(s.port);
    common::check_replies(
        &mut me,
        &[
            (
                "CLIENT KILL",
                "-ERR wrong number of arguments for 'client|kill' command\r\n",
            ),
            (
                "CLIENT KILL ID 0",
                "-ERR client-id should be greater than 0\r\n",
            ),
            (
                "CLIENT KILL ID abc",
                "-ERR client-id should be greater than 0\r\n",
            ),
            ("CLIENT KILL TYPE foo", "-ERR Unknown client type 'foo'\r\n"),
            ("CLIENT KILL USER nobody", "-ERR No such user 'nobody'\r\n"),
            ("CLIENT KILL SKIPME maybe", "-ERR syntax error\r\n"),
            ("CLIENT KILL a b c", "-ERR syntax error\r\n"),
            ("CLIENT KILL ID 1 TYPE", "-ERR syntax error\r\n"),
            ("CLIENT KILL ADDR 1.2.3.4:5", ":0\r\n"),
            ("CLIENT KILL TYPE master", ":0\r\n"),
            ("CLIENT KILL TYPE replica", ":0\r\n"),
            ("CLIENT KILL MAXAGE 1000000", ":0\r\n"),
            ("CLIENT LIST TYPE foo", "-ERR Unknown client type 'foo'\r\n"),
            ("CLIENT LIST TYPE", "-ERR syntax error\r\n"),
            ("CLIENT LIST ID", "-ERR syntax error\r\n"),
            ("CLIENT LIST ID 1 abc", "-ERR Invalid client ID\r\n"),
        ],
    );
    // TYPE: the subscriber alone is of the pubsub class.
    let pubsub: String = q(&mut c, &["CLIENT", "LIST", "TYPE", "pubsub"]);
    assert_eq!(pubsub.lines().count(), 1, "{pubsub}");
    assert!(pubsub.contains(&format!("id={sub_id} ")) && pubsub.contains(" flags=P "));
    assert!(pubsub.contains(" sub=1 psub=0 "));
    assert_eq!(me.cmd(&[b"CLIENT", b"KILL", b"TYPE", b"pubsub"]), b":1\r\n");
    assert!(sub.is_closed());
    // Filters combine: this local address and this id.
    let laddr = a.s.peer_addr().unwrap().to_string();
    assert_eq!(
        me.cmd(&[
            b"CLIENT",
            b"KILL",
            b"LADDR",
            laddr.as_bytes(),
            b"ID",
            a_id.to_string().as_bytes()
        ]),
        b":1\r\n"
    );
    assert!(a.is_closed());
    // SKIPME no: the caller is killed too, after its reply.
    let my_id = client_id(&mut me).to_string();
    assert_eq!(
        me.cmd(&[
            b"CLIENT",
            b"KILL",
            b"ID",
            my_id.as_bytes(),
            b"SKIPME",
            b"no"
        ]),
        b":1\r\n"
    );
    assert!(me.is_closed());
    let _: String = q(&mut c, &["PING"]);
}

#[test]
fn a_subscriber_that_does_not_read_is_dropped_at_the_pubsub_limit() {
    let s = ChildServer::start(&["--threads", "2", "--appendonly", "no"]);
    let mut c = connect(&url(s.port));
    let _: () = q(
        &mut c,
        &[
            "CONFIG",
            "SET",
            "client-output-buffer-limit",
            "pubsub 1mb 0 0",
        ],
    );
    let mut sub = Raw::connect(s.port);
    let id = client_id(&mut sub);
    sub.cmd(&[b"SUBSCRIBE", b"news"]);
    let msg = "m".repeat(100 * 1024);
    let before = rss_kb(s.child.id());
    for _ in 0..200 {
        let _: i64 = q(&mut c, &["PUBLISH", "news", &msg]);
    }
    eventually(|| listed(&mut c, id).is_none());
    assert!(closed_within(&mut sub.s, 64 << 20));
    eventually(|| q::<(String, i64)>(&mut c, &["PUBSUB", "NUMSUB", "news"]).1 == 0);
    assert_eq!(q::<i64>(&mut c, &["PUBLISH", "news", "x"]), 0);
    assert_eq!(
        info_u64(&mut c, "stats", "client_output_buffer_limit_disconnections"),
        1
    );
    let grown = rss_kb(s.child.id()).saturating_sub(before);
    assert!(grown < 32 * 1024, "RSS grew by {grown} kB");
}

#[test]
fn a_huge_argument_vector_is_given_back() {
    let s = ChildServer::start(&["--threads", "2", "--appendonly", "no"]);
    let mut c = connect(&url(s.port));
    let before = rss_kb(s.child.id());
    // 20 clients each send one command of a million arguments (an arity error: PING takes one).
    let mut req = b"*1000000\r\n$4\r\nPING\r\n".to_vec();
    req.extend(b"$1\r\na\r\n".repeat(999_999));
    let mut conns: Vec<Raw> = (0..20).map(|_| Raw::connect(s.port)).collect();
    for r in &mut conns {
        r.send(&req);
        assert_eq!(
            r.reply(),
            b"-ERR wrong number of arguments for 'ping' command\r\n"
        );
    }
    let replied = rss_kb(s.child.id());
    // The connections stay open and idle: what the command made them allocate is back.
    // (Each connection publishes its figures once it has sent its reply.)
    eventually(|| {
        let list: String = q(&mut c, &["CLIENT", "LIST"]);
        list.lines()
            .all(|l| field(l, "argv-mem") < 64 * 1024 && field(l, "tot-mem") < 256 * 1024)
    });
    let after = rss_kb(s.child.id());
    eprintln!("1M-argument commands on 20 connections: RSS {before} kB -> {replied} kB (replied) -> {after} kB (idle)");
    assert!(
        after < before + 48 * 1024,
        "RSS {before} kB -> {after} kB with the connections idle"
    );
    assert!(info_u64(&mut c, "memory", "mem_clients_normal") < 21 * 256 * 1024);
}

#[test]
fn client_list_reports_buffers_as_redis_does() {
    let s = ChildServer::start(&["--appendonly", "no"]);
    let mut c = connect(&url(s.port));
    let mut r = Raw::connect(s.port);
    let id = client_id(&mut r);
    // Half of a 200 KB request: it waits in the query buffer.
    r.send(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$204800\r\n");
    r.send(&[b'x'; 100 * 1024]);
    eventually(|| listed(&mut c, id).is_some_and(|l| field(&l, "qbuf") >= 100 * 1024));
    let line = listed(&mut c, id).unwrap();
    for f in [
        "qbuf-free",
        "argv-mem",
        "multi-mem",
        "rbs",
        "rbp",
        "obl",
        "oll",
        "omem",
        "tot-mem",
    ] {
        field(&line, f);
    }
    assert!(field(&line, "tot-mem") >= field(&line, "qbuf"), "{line}");
    assert!(
        line.contains(" multi=-1 ") && line.contains(" flags=N "),
        "{line}"
    );
    r.send(&[b'x'; 100 * 1024]);
    r.send(b"\r\n");
    assert_eq!(r.reply(), b"+OK\r\n");
    // MULTI shows in flags, multi and multi-mem; a blocked client in flags and INFO.
    assert_eq!(r.cmd(&[b"MULTI"]), b"+OK\r\n");
    r.cmd(&[b"SET", b"a", b"1"]);
    r.cmd(&[b"SET", b"b", b"2"]);
    eventually(|| listed(&mut c, id).is_some_and(|l| l.contains(" multi=2 ")));
    let line = listed(&mut c, id).unwrap();
    assert!(
        line.contains(" flags=x ") && field(&line, "multi-mem") > 0,
        "{line}"
    );
    r.cmd(&[b"DISCARD"]);
    let mut b = Raw::connect(s.port);
    let bid = client_id(&mut b);
    b.send(&encode(&[b"BLPOP", b"nothing", b"0"]));
    eventually(|| info_u64(&mut c, "clients", "blocked_clients") == 1);
    assert!(listed(&mut c, bid).unwrap().contains(" flags=b "));
    let info: String = q(&mut c, &["INFO", "clients"]);
    for f in [
        "connected_clients:",
        "cluster_connections:0",
        "maxclients:",
        "client_recent_max_input_buffer:",
        "client_recent_max_output_buffer:",
        "blocked_clients:1",
        "tracking_clients:0",
        "clients_in_timeout_table:0",
    ] {
        assert!(info.contains(f), "{f} missing: {info}");
    }
    assert!(info_u64(&mut c, "memory", "mem_clients_normal") > 0);
    assert_eq!(info_u64(&mut c, "memory", "mem_clients_slaves"), 0);
}

/// PING on a new connection: the reply, or Redis's refusal (which a refused connection gets
/// whether or not its PING arrived before the server closed it).
fn ping(s: &mut TcpStream) -> std::io::Result<&'static [u8]> {
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let _ = s.write_all(b"PING\r\n");
    let mut got = Vec::new();
    let mut buf = [0u8; 64];
    while !got.ends_with(b"\r\n") {
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    match got.as_slice() {
        b"+PONG\r\n" => Ok(b"+PONG\r\n"),
        b"-ERR max number of clients reached\r\n" => Ok(b"-ERR max number of clients reached\r\n"),
        other => Err(std::io::Error::other(
            String::from_utf8_lossy(other).into_owned(),
        )),
    }
}

/// Starts the binary with RLIMIT_NOFILE at `nofile` (soft and hard), as `ulimit -n` would.
fn start_with_nofile(nofile: u64, args: &[&str]) -> ChildServer {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ringdis"));
    cmd.args(["--port", "0", "--no-pin", "--appendonly", "no"])
        .arg("--dir")
        .arg(dir.path())
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // SAFETY: setrlimit only, between fork and exec.
    unsafe {
        cmd.pre_exec(move || {
            let lim = libc::rlimit {
                rlim_cur: nofile,
                rlim_max: nofile,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &lim) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    ChildServer::from_command(cmd, Some(dir))
}

#[test]
fn maxclients_is_lowered_to_what_ulimit_allows_and_the_rest_are_refused() {
    // 256 descriptors: 32 reserved plus 8 per executor leave room for 208 clients.
    let s = start_with_nofile(256, &["--threads", "2"]);
    let mut c = connect(&url(s.port));
    assert_eq!(
        q::<Vec<String>>(&mut c, &["CONFIG", "GET", "maxclients"]),
        ["maxclients", "208"]
    );
    let mut raw = Raw::connect(s.port);
    assert_eq!(
        String::from_utf8(raw.cmd(&[b"CONFIG", b"SET", b"maxclients", b"1000"])).unwrap(),
        "-ERR CONFIG SET failed (possibly related to argument 'maxclients') - The operating system is not able to handle the specified number of clients, try with 208\r\n"
    );
    drop(raw);
    eventually(|| info_u64(&mut c, "clients", "connected_clients") == 1);
    // 400 more clients: 207 are served, the others are told so, and nobody hangs.
    let mut conns = Vec::new();
    let (mut served, mut refused) = (0, 0);
    for _ in 0..400 {
        let mut s2 = TcpStream::connect(("127.0.0.1", s.port)).unwrap();
        s2.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        s2.write_all(b"PING\r\n").unwrap();
        let mut buf = [0u8; 64];
        let n = s2.read(&mut buf).unwrap();
        match &buf[..n] {
            b"+PONG\r\n" => served += 1,
            b"-ERR max number of clients reached\r\n" => refused += 1,
            other => panic!("unexpected {:?}", String::from_utf8_lossy(other)),
        }
        conns.push(s2);
    }
    assert_eq!((served, refused), (207, 193));
    assert_eq!(info_u64(&mut c, "stats", "rejected_connections"), 193);
    drop(conns);
    let log = stop_and_log(s);
    assert!(
        log.contains(
            "You requested maxclients of 10000 requiring at least 10048 max file descriptors."
        ) && log.contains("maxclients has been reduced to 208 to compensate for low ulimit."),
        "{log}"
    );
    assert!(log.lines().count() < 10, "{log}");
}

#[test]
fn running_out_of_descriptors_refuses_connections_with_bounded_logging() {
    // One executor: with several, another's accept may take the descriptor the refusing one
    // just freed, and a client then waits until one frees up (README, limits).
    let s = ChildServer::start(&["--threads", "1", "--appendonly", "no"]);
    let mut c = connect(&url(s.port));
    // Take the server's descriptors away while it runs: maxclients (10000) no longer fits.
    let lim = libc::rlimit {
        rlim_cur: 64,
        rlim_max: 64,
    };
    // SAFETY: prlimit on our own child with a valid struct and no old-value pointer.
    let r = unsafe {
        libc::prlimit(
            s.child.id() as i32,
            libc::RLIMIT_NOFILE,
            &lim,
            std::ptr::null_mut(),
        )
    };
    assert_eq!(r, 0, "prlimit: {}", std::io::Error::last_os_error());
    let mut conns = Vec::new();
    let (mut served, mut refused) = (0, 0);
    for _ in 0..300 {
        let mut s2 = TcpStream::connect(("127.0.0.1", s.port)).unwrap();
        match ping(&mut s2) {
            Ok(b"+PONG\r\n") => served += 1,
            Ok(b"-ERR max number of clients reached\r\n") => refused += 1,
            other => panic!("unexpected {other:?}"),
        }
        conns.push(s2);
    }
    eprintln!("with 64 descriptors: {served} served, {refused} refused");
    assert!(served > 0 && refused > 0 && served + refused == 300);
    drop(conns);
    eventually(|| {
        redis::cmd("PING")
            .query::<String>(&mut c)
            .is_ok_and(|p| p == "PONG")
    });
    let log = stop_and_log(s);
    let lines = log.matches("accept failed").count();
    assert!(
        (1..=10).contains(&lines),
        "{lines} accept failure lines: {log}"
    );
}

#[test]
fn a_burst_of_connections_gets_exactly_maxclients() {
    let s = ChildServer::start(&[
        "--threads",
        "2",
        "--appendonly",
        "no",
        "--maxclients",
        "100",
    ]);
    let mut c = connect(&url(s.port));
    eventually(|| info_u64(&mut c, "clients", "connected_clients") == 1);
    let port = s.port;
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(30));
    let threads: Vec<_> = (0..30)
        .map(|_| {
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                barrier.wait();
                let mut conns: Vec<TcpStream> = (0..10)
                    .map(|_| TcpStream::connect(("127.0.0.1", port)).unwrap())
                    .collect();
                let mut served = 0;
                for s2 in &mut conns {
                    s2.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
                    s2.write_all(b"PING\r\n").unwrap();
                    let mut buf = [0u8; 64];
                    let n = s2.read(&mut buf).unwrap_or(0);
                    if &buf[..n] == b"+PONG\r\n" {
                        served += 1;
                    }
                }
                // Held open until every thread counted.
                barrier.wait();
                served
            })
        })
        .collect();
    let served: usize = threads.into_iter().map(|t| t.join().unwrap()).sum();
    // The control connection holds one of the 100 places.
    assert_eq!(served, 99);
}
