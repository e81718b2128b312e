//! requirepass, AUTH, HELLO AUTH, RESET and protected mode, through the wire against the binary,
//! with Redis 7.0's replies.

mod common;
use common::{connect, ChildServer, Raw};

const NOAUTH: &[u8] = b"-NOAUTH Authentication required.\r\n";
const WRONGPASS: &[u8] = b"-WRONGPASS invalid username-password pair or user is disabled.\r\n";

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn requirepass_gates_every_command_but_auth() {
    let s = ChildServer::start(&["--requirepass", "s3cret"]);
    let mut r = Raw::connect(s.port);
    assert_eq!(r.cmd(&[b"PING"]), NOAUTH);
    assert_eq!(r.cmd(&[b"SET", b"k", b"v"]), NOAUTH);
    // The command and its arity are checked first, as in Redis.
    assert!(text(&r.cmd(&[b"NOSUCH"])).starts_with("-ERR unknown command"));
    assert!(text(&r.cmd(&[b"GET"])).starts_with("-ERR wrong number of arguments"));
    // A transaction that met NOAUTH is aborted.
    assert_eq!(r.cmd(&[b"MULTI"]), NOAUTH);
    assert_eq!(r.cmd(&[b"AUTH", b"wrong"]), WRONGPASS);
    assert_eq!(r.cmd(&[b"AUTH", b"bob", b"s3cret"]), WRONGPASS);
    assert_eq!(
        r.cmd(&[b"AUTH", b"a", b"b", b"c"]),
        b"-ERR syntax error\r\n"
    );
    assert_eq!(r.cmd(&[b"PING"]), NOAUTH);
    assert_eq!(r.cmd(&[b"AUTH", b"s3cret"]), b"+OK\r\n");
    assert_eq!(r.cmd(&[b"PING"]), b"+PONG\r\n");
    assert_eq!(r.cmd(&[b"SET", b"k", b"v"]), b"+OK\r\n");

    // AUTH with the user's name, and a failed AUTH later leaves the connection authenticated.
    let mut r2 = Raw::connect(s.port);
    assert_eq!(r2.cmd(&[b"AUTH", b"default", b"s3cret"]), b"+OK\r\n");
    assert_eq!(r2.cmd(&[b"AUTH", b"nope"]), WRONGPASS);
    assert_eq!(r2.cmd(&[b"GET", b"k"]), b"$1\r\nv\r\n");
    // RESET goes back to the default user, which needs its password again.
    assert_eq!(r2.cmd(&[b"RESET"]), b"+RESET\r\n");
    assert_eq!(r2.cmd(&[b"GET", b"k"]), NOAUTH);
    assert_eq!(r2.cmd(&[b"QUIT"]), b"+OK\r\n");

    // A client library with the password in its URL.
    let mut c = connect(&format!("redis://:s3cret@127.0.0.1:{}/", s.port));
    let v: String = redis::cmd("GET").arg("k").query(&mut c).unwrap();
    assert_eq!(v, "v");
    let bad = redis::Client::open(format!("redis://:bad@127.0.0.1:{}/", s.port)).unwrap();
    assert!(bad.get_connection().is_err());
}

#[test]
fn hello_authenticates_before_it_switches_protocol() {
    let s = ChildServer::start(&["--requirepass", "s3cret"]);
    let mut r = Raw::connect(s.port);
    assert_eq!(
        text(&r.cmd(&[b"HELLO", b"3"])),
        "-NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time\r\n"
    );
    assert_eq!(
        r.cmd(&[b"HELLO", b"3", b"AUTH", b"default", b"bad"]),
        WRONGPASS
    );
    // Still RESP2 and unauthenticated.
    assert_eq!(r.cmd(&[b"PING"]), NOAUTH);
    let hello = r.cmd(&[b"HELLO", b"3", b"AUTH", b"default", b"s3cret"]);
    assert!(hello.starts_with(b"%7\r\n"), "{}", text(&hello));
    assert_eq!(r.cmd(&[b"PING"]), b"+PONG\r\n");
    // Once authenticated, HELLO needs no AUTH.
    assert!(r.cmd(&[b"HELLO", b"2"]).starts_with(b"*14\r\n"));
}

#[test]
fn requirepass_changes_at_run_time() {
    let s = ChildServer::start(&[]);
    let mut admin = Raw::connect(s.port);
    let mut waiting = Raw::connect(s.port);
    assert_eq!(
        admin.cmd(&[b"CONFIG", b"SET", b"requirepass", b"pw"]),
        b"+OK\r\n"
    );
    assert_eq!(
        admin.cmd(&[b"CONFIG", b"GET", b"requirepass"]),
        b"*2\r\n$11\r\nrequirepass\r\n$2\r\npw\r\n"
    );
    // Connections open before keep their access, as in Redis; new ones must AUTH.
    assert_eq!(admin.cmd(&[b"PING"]), b"+PONG\r\n");
    let mut fresh = Raw::connect(s.port);
    assert_eq!(fresh.cmd(&[b"PING"]), NOAUTH);
    assert_eq!(waiting.cmd(&[b"RESET"]), b"+RESET\r\n");
    assert_eq!(waiting.cmd(&[b"PING"]), NOAUTH);
    // The password never shows in the slow log (nor in MONITOR), as in Redis.
    assert_eq!(
        admin.cmd(&[b"CONFIG", b"SET", b"slowlog-log-slower-than", b"0"]),
        b"+OK\r\n"
    );
    assert_eq!(fresh.cmd(&[b"AUTH", b"pw"]), b"+OK\r\n");
    assert_eq!(
        fresh
            .cmd(&[b"HELLO", b"2", b"AUTH", b"default", b"pw"])
            .first(),
        Some(&b'*')
    );
    let log = text(&admin.cmd(&[b"SLOWLOG", b"GET", b"3"]));
    assert!(!log.contains("pw\r\n"), "{log}");
    assert_eq!(log.matches("(redacted)").count(), 3, "{log}");
    // Removing the password lets everyone in at once.
    assert_eq!(
        admin.cmd(&[b"CONFIG", b"SET", b"requirepass", b""]),
        b"+OK\r\n"
    );
    assert_eq!(fresh.cmd(&[b"PING"]), b"+PONG\r\n");
    assert_eq!(waiting.cmd(&[b"PING"]), b"+PONG\r\n");
    assert_eq!(
        fresh.cmd(&[b"AUTH", b"x"]),
        b"-ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?\r\n"
    );
}

/// This machine's address on a non-loopback interface, if it has one (found by asking the
/// kernel which source address it would use; no packet is sent).
fn non_loopback_ip() -> Option<std::net::IpAddr> {
    let sock = std::net::UdpSocket::bind("0.0.0.0:0").ok()?;
    sock.connect("192.0.2.1:9").ok()?;
    let ip = sock.local_addr().ok()?.ip();
    (!ip.is_loopback() && !ip.is_unspecified()).then_some(ip)
}

#[test]
fn protected_mode_turns_away_remote_clients_without_a_password() {
    let Some(ip) = non_loopback_ip() else {
        eprintln!("no non-loopback address here: protected mode is covered by its unit test only");
        return;
    };
    let s = ChildServer::start(&["--bind", "0.0.0.0"]);
    let remote = || Raw::from_stream(std::net::TcpStream::connect((ip, s.port)).unwrap());
    let mut r = remote();
    let denied = text(&r.reply());
    assert!(
        denied.starts_with("-DENIED Redis is running in protected mode"),
        "{denied}"
    );
    assert!(r.is_closed());
    // Loopback clients are let in, and may lift it.
    let mut local = Raw::connect(s.port);
    assert_eq!(local.cmd(&[b"PING"]), b"+PONG\r\n");
    assert_eq!(
        local.cmd(&[b"CONFIG", b"GET", b"protected-mode"]),
        b"*2\r\n$14\r\nprotected-mode\r\n$3\r\nyes\r\n"
    );
    // A password opens the door too (to clients that know it).
    assert_eq!(
        local.cmd(&[b"CONFIG", b"SET", b"requirepass", b"pw"]),
        b"+OK\r\n"
    );
    let mut r = remote();
    assert_eq!(r.cmd(&[b"PING"]), NOAUTH);
    assert_eq!(r.cmd(&[b"AUTH", b"pw"]), b"+OK\r\n");
    assert_eq!(
        local.cmd(&[b"CONFIG", b"SET", b"requirepass", b""]),
        b"+OK\r\n"
    );
    assert_eq!(
        local.cmd(&[b"CONFIG", b"SET", b"protected-mode", b"no"]),
        b"+OK\r\n"
    );
    let mut r = remote();
    assert_eq!(r.cmd(&[b"PING"]), b"+PONG\r\n");
}

#[test]
fn the_append_only_file_is_created_0644_under_umask_000() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = std::process::Command::new("sh");
    cmd.arg("-c")
        .arg("umask 000; exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_ringdis"))
        .args(["--port", "0", "--no-pin", "--dir"])
        .arg(dir.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let s = ChildServer::from_command(cmd, None);
    let mut r = Raw::connect(s.port);
    assert_eq!(r.cmd(&[b"SET", b"k", b"v"]), b"+OK\r\n");
    let mode = std::fs::metadata(dir.path().join("appendonly.aof"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o644, "{mode:o}");
    // A rewrite's new file too.
    assert_eq!(
        r.cmd(&[b"BGREWRITEAOF"]),
        b"+Background append only file rewriting started\r\n"
    );
    let end = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let info = text(&r.cmd(&[b"INFO", b"persistence"]));
        if info.contains("aof_rewrite_in_progress:0") && info.contains("aof_rewrites:1") {
            break;
        }
        assert!(std::time::Instant::now() < end, "rewrite did not finish");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let mode = std::fs::metadata(dir.path().join("appendonly.aof"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o644, "{mode:o}");
}

/// Protected configs (dir, dbfilename): refused by CONFIG SET unless enable-protected-configs
/// says yes, or local for a loopback client.
#[test]
fn protected_configs_follow_enable_protected_configs() {
    let failed = |name: &str, why: &str| {
        format!("-ERR CONFIG SET failed (possibly related to argument '{name}') - {why}\r\n")
    };
    let s = ChildServer::start(&[]);
    let mut r = Raw::connect(s.port);
    assert_eq!(
        text(&r.cmd(&[b"CONFIG", b"SET", b"dbfilename", b"x.rdb"])),
        failed("dbfilename", "can't set protected config")
    );
    for mode in ["yes", "local"] {
        let s = ChildServer::start(&["--enable-protected-configs", mode]);
        let mut r = Raw::connect(s.port);
        assert_eq!(
            r.cmd(&[b"CONFIG", b"SET", b"dbfilename", b"x.rdb"]),
            b"+OK\r\n"
        );
        assert_eq!(
            text(&r.cmd(&[b"CONFIG", b"GET", b"dbfilename"])),
            "*2\r\n$10\r\ndbfilename\r\n$5\r\nx.rdb\r\n"
        );
        assert_eq!(
            text(&r.cmd(&[b"CONFIG", b"SET", b"dir", b"/nonexistent/dir"])),
            failed("dir", "No such file or directory")
        );
        // Still immutable, whatever the mode.
        assert_eq!(
            text(&r.cmd(&[b"CONFIG", b"SET", b"enable-protected-configs", b"no"])),
            failed("enable-protected-configs", "can't set immutable config")
        );
    }
}

/// tcp-keepalive: the server's end of a connection has the kernel's keep-alive timer armed (as
/// /proc/net/tcp shows it: timer 2), unless tcp-keepalive is 0.
#[test]
fn tcp_keepalive_arms_the_kernel_timer() {
    let timer = |port: u16| {
        let mut c = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        use std::io::{Read, Write};
        c.write_all(b"PING\r\n").unwrap();
        let mut buf = [0u8; 7];
        c.read_exact(&mut buf).unwrap();
        let mine = c.local_addr().unwrap().port();
        let table = std::fs::read_to_string("/proc/net/tcp").unwrap();
        let port_of = |a: &str| u16::from_str_radix(a.rsplit(':').next().unwrap(), 16).unwrap();
        table
            .lines()
            .skip(1)
            .map(|l| l.split_whitespace().collect::<Vec<_>>())
            .find(|f| port_of(f[1]) == port && port_of(f[2]) == mine)
            .map(|f| f[5][..2].to_string())
            .expect("the server's socket in /proc/net/tcp")
    };
    let on = ChildServer::start(&[]);
    assert_eq!(timer(on.port), "02");
    let off = ChildServer::start(&["--tcp-keepalive", "0"]);
    assert_eq!(timer(off.port), "00");
}
