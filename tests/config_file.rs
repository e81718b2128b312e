//! A configuration file in redis.conf's syntax as the first argument: its directives apply,
//! flags after it override them, INFO names it, and a bad line stops start-up with its number.

mod common;
use common::{ChildServer, Raw};
use std::process::{Command, Stdio};

fn start_with(file: &std::path::Path, flags: &[&str]) -> (ChildServer, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ringdis"));
    cmd.arg(file)
        .args(["--port", "0", "--no-pin", "--dir"])
        .arg(dir.path())
        .args(flags)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    (ChildServer::from_command(cmd, None), dir)
}

fn get(r: &mut Raw, name: &str) -> String {
    let reply = r.cmd(&[b"CONFIG", b"GET", name.as_bytes()]);
    let text = String::from_utf8_lossy(&reply).into_owned();
    text.split("\r\n").nth(4).unwrap_or("").to_string()
}

#[test]
fn directives_apply_and_flags_override_them() {
    let d = tempfile::tempdir().unwrap();
    let conf = d.path().join("ringdis.conf");
    std::fs::write(d.path().join("extra.conf"), "slowlog-max-len 77\n").unwrap();
    std::fs::write(
        &conf,
        "# a comment\n\
         port 6390\n\
         maxmemory 100mb\n\
         maxmemory-policy allkeys-lru\n\
         requirepass \"s3 cret\"\n\
         hash-max-listpack-entries 16\n\
         notify-keyspace-events \"Ex\"\n\
         appendonly no\n\
         include extra.conf\n",
    )
    .unwrap();
    let (s, _dir) = start_with(&conf, &["--maxmemory-policy", "allkeys-lfu"]);
    let mut r = Raw::connect(s.port);
    assert_eq!(r.cmd(&[b"PING"]), b"-NOAUTH Authentication required.\r\n");
    assert_eq!(r.cmd(&[b"AUTH", b"s3 cret"]), b"+OK\r\n");
    assert_eq!(get(&mut r, "maxmemory"), "104857600");
    assert_eq!(get(&mut r, "maxmemory-policy"), "allkeys-lfu");
    assert_eq!(get(&mut r, "hash-max-listpack-entries"), "16");
    assert_eq!(get(&mut r, "notify-keyspace-events"), "xE");
    assert_eq!(get(&mut r, "slowlog-max-len"), "77");
    assert_eq!(get(&mut r, "appendonly"), "no");
    // The threshold from the file takes effect.
    let mut hset: Vec<Vec<u8>> = vec![b"HSET".to_vec(), b"h".to_vec()];
    for i in 0..17 {
        hset.push(format!("f{i}").into_bytes());
        hset.push(b"v".to_vec());
    }
    let args: Vec<&[u8]> = hset.iter().map(|a| a.as_slice()).collect();
    assert_eq!(r.cmd(&args), b":17\r\n");
    assert_eq!(
        r.cmd(&[b"OBJECT", b"ENCODING", b"h"]),
        b"$9\r\nhashtable\r\n"
    );
    let info = String::from_utf8_lossy(&r.cmd(&[b"INFO", b"server"])).into_owned();
    let want = format!("config_file:{}", conf.canonicalize().unwrap().display());
    assert!(info.contains(&want), "{info}");
}

#[test]
fn a_bad_line_stops_start_up_with_its_number() {
    let d = tempfile::tempdir().unwrap();
    let conf = d.path().join("bad.conf");
    for (text, line, reason) in [
        (
            "port 6390\n\nnosuch directive\n",
            3,
            "Bad directive or wrong number of arguments",
        ),
        ("maxmemory lots\n", 1, "memory"),
        (
            "appendonly\n",
            1,
            "Bad directive or wrong number of arguments",
        ),
        ("port 1\nsave \"3600 1\n", 2, "Unbalanced quotes"),
    ] {
        std::fs::write(&conf, text).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_ringdis"))
            .arg(&conf)
            .args(["--port", "0"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{text}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("*** FATAL CONFIG FILE ERROR ***"), "{err}");
        assert!(err.contains(&format!("at line {line}")), "{err}");
        assert!(err.contains(reason), "{err}");
    }
    let out = Command::new(env!("CARGO_BIN_EXE_ringdis"))
        .arg(d.path().join("missing.conf"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("can't open config file"));
}

#[test]
fn pidfile_and_logfile() {
    let d = tempfile::tempdir().unwrap();
    let conf = d.path().join("r.conf");
    let pid = d.path().join("ringdis.pid");
    let log = d.path().join("ringdis.log");
    std::fs::write(
        &conf,
        format!(
            "pidfile {}\nlogfile \"{}\"\nappendonly no\n",
            pid.display(),
            log.display()
        ),
    )
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_ringdis"))
        .arg(&conf)
        .args(["--port", "0", "--no-pin"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // The ready line goes to the log file: read the port there.
    let end = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let port: u16 = loop {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        if let Some(line) = text
            .lines()
            .find(|l| l.contains("ready to accept connections"))
        {
            let addr = line
                .split("on ")
                .nth(1)
                .unwrap()
                .split_whitespace()
                .next()
                .unwrap();
            break addr.rsplit(':').next().unwrap().parse().unwrap();
        }
        assert!(std::time::Instant::now() < end, "no ready line in the log");
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    common::wait_ping(port);
    assert_eq!(
        std::fs::read_to_string(&pid).unwrap().trim(),
        child.id().to_string()
    );
    let mut r = Raw::connect(port);
    assert_eq!(get(&mut r, "pidfile"), pid.display().to_string());
    r.send(&common::encode(&[b"SHUTDOWN", b"NOSAVE"]));
    assert_eq!(child.wait().unwrap().code(), Some(0));
    assert!(!pid.exists(), "the pidfile is removed at exit");
    assert!(std::fs::read_to_string(&log)
        .unwrap()
        .contains("ready to exit, bye bye"));
}

#[test]
fn config_rewrite_writes_the_running_values_back() {
    let d = tempfile::tempdir().unwrap();
    let conf = d.path().join("r.conf");
    std::fs::write(d.path().join("inc.conf"), "slowlog-max-len 50\n").unwrap();
    std::fs::write(
        &conf,
        "# my settings\nmaxmemory 100mb\nsave 3600 1\nsave 300 100\ninclude inc.conf\n\n# the end\n",
    )
    .unwrap();
    let (s, _dir) = start_with(&conf, &[]);
    let mut r = Raw::connect(s.port);
    assert_eq!(get(&mut r, "save"), "3600 1 300 100");
    for (name, v) in [
        ("maxmemory", "200mb"),
        ("hz", "20"),
        ("requirepass", "p \"w"),
    ] {
        assert_eq!(
            r.cmd(&[b"CONFIG", b"SET", name.as_bytes(), v.as_bytes()]),
            b"+OK\r\n"
        );
    }
    assert_eq!(r.cmd(&[b"AUTH", b"p \"w"]), b"+OK\r\n");
    assert_eq!(r.cmd(&[b"CONFIG", b"REWRITE"]), b"+OK\r\n");
    let text = std::fs::read_to_string(&conf).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    // Comments, blank lines and include stay where they were; the values are replaced in place
    // (a repeated directive once); what the file did not name is added at its end.
    assert_eq!(
        &lines[..6],
        [
            "# my settings",
            "maxmemory 209715200",
            "save \"3600 1 300 100\"",
            "include inc.conf",
            "",
            "# the end"
        ]
    );
    assert_eq!(lines[6], "# Generated by CONFIG REWRITE");
    assert!(lines.contains(&"hz 20"), "{text}");
    assert!(lines.contains(&"requirepass \"p \\\"w\""), "{text}");
    drop(r);
    drop(s);
    // The file it wrote starts a server with the same values.
    let (s, _dir2) = start_with(&conf, &[]);
    let mut r = Raw::connect(s.port);
    assert_eq!(r.cmd(&[b"AUTH", b"p \"w"]), b"+OK\r\n");
    assert_eq!(get(&mut r, "maxmemory"), "209715200");
    assert_eq!(get(&mut r, "hz"), "20");
    assert_eq!(get(&mut r, "slowlog-max-len"), "50");
    assert_eq!(get(&mut r, "save"), "3600 1 300 100");

    // Without a configuration file, Redis's error.
    let plain = ChildServer::start(&[]);
    let mut r = Raw::connect(plain.port);
    assert_eq!(
        r.cmd(&[b"CONFIG", b"REWRITE"]),
        b"-ERR The server is running without a config file\r\n"
    );
}

/// Log lines in Redis's format (`pid:M dd Mon yyyy hh:mm:ss.mmm * text`), `loglevel` filtering
/// them (CONFIG SET too), and `supervised systemd` telling $NOTIFY_SOCKET when it is ready and
/// when it stops.
#[test]
fn log_lines_loglevel_and_systemd_readiness() {
    use std::os::unix::net::UnixDatagram;
    let d = tempfile::tempdir().unwrap();
    let sock_path = d.path().join("notify.sock");
    let sock = UnixDatagram::bind(&sock_path).unwrap();
    sock.set_read_timeout(Some(std::time::Duration::from_secs(20)))
        .unwrap();
    let conf = d.path().join("ringdis.conf");
    std::fs::write(&conf, "supervised systemd\nloglevel verbose\n").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ringdis"));
    cmd.arg(&conf)
        .args(["--port", "0", "--no-pin", "--dir"])
        .arg(dir.path())
        .env("NOTIFY_SOCKET", &sock_path)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut s = ChildServer::from_command(cmd, None);
    let mut buf = [0u8; 256];
    let n = sock.recv(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"STATUS=Ready to accept connections\nREADY=1\n");
    let mut r = Raw::connect(s.port);
    assert_eq!(get(&mut r, "loglevel"), "verbose");
    assert_eq!(get(&mut r, "supervised"), "systemd");
    assert_eq!(
        r.cmd(&[b"CONFIG", b"SET", b"loglevel", b"warning"]),
        b"+OK\r\n"
    );
    assert!(
        String::from_utf8_lossy(&r.cmd(&[b"CONFIG", b"SET", b"loglevel", b"loud"]))
            .starts_with("-ERR CONFIG SET failed")
    );
    // At warning, the script's notice is dropped and its warning kept.
    r.cmd(&[
        b"EVAL",
        b"redis.log(redis.LOG_NOTICE, 'quiet one') redis.log(redis.LOG_WARNING, 'loud one')",
        b"0",
    ]);
    r.send(b"SHUTDOWN NOSAVE\r\n");
    assert_eq!(s.wait_exit(), 0);
    let n = sock.recv(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"STOPPING=1\n");
    let err = s.stderr();
    assert!(
        err.contains("loud one") && !err.contains("quiet one"),
        "{err}"
    );
    let pid = s.child.id();
    for line in err.lines() {
        // `12345:M 03 Dec 2026 17:34:25.123 * text`
        let (head, rest) = line.split_once(' ').unwrap();
        assert_eq!(head, format!("{pid}:M"), "{line}");
        let b = rest.as_bytes();
        assert!(b.len() > 27, "{line}");
        assert!(b[2] == b' ' && b[6] == b' ' && b[11] == b' ', "{line}");
        assert!(b[14] == b':' && b[17] == b':' && b[20] == b'.', "{line}");
        assert!(
            matches!(b[25], b'.' | b'-' | b'*' | b'#') && b[24] == b' ',
            "{line}"
        );
    }
    assert!(err.contains("* Ready to accept connections tcp"), "{err}");
}
