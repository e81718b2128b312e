//! Test harness: real servers (in-process or the binary) on free ports, waited on by PING, and a
//! raw RESP client that reads exactly one reply.
#![allow(dead_code)]

pub mod dataset;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// An in-process server on a free port; shut down and joined on drop.
/// The AOF is on (the default) and lives in a directory of its own, removed on drop.
pub struct TestServer {
    pub port: u16,
    server: Option<ringdis::Server>,
    pub dir: tempfile::TempDir,
}

impl TestServer {
    pub fn start(threads: u16) -> Self {
        Self::start_with(threads, |_| {})
    }

    /// Starts with the test defaults, then `tweak` applied to the config.
    pub fn start_with(threads: u16, tweak: impl FnOnce(&mut ringdis::Config)) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut config = ringdis::Config {
            port: 0,
            threads: Some(threads),
            no_pin: true,
            dir: dir.path().to_path_buf(),
            enable_debug_command: true,
            ..Default::default()
        };
        tweak(&mut config);
        let server = ringdis::start(config).expect("server starts");
        let port = server.addr.port();
        wait_ping(port);
        TestServer {
            port,
            server: Some(server),
            dir,
        }
    }

    /// Stops the server (as SHUTDOWN does) and starts a new one on the same AOF directory, which
    /// replays the file. The port changes.
    pub fn restart(&mut self) {
        let old = self.server.take().expect("running");
        let config = old.shared.config.clone();
        old.shutdown();
        old.join();
        let server = ringdis::start(config).expect("server restarts");
        self.port = server.addr.port();
        wait_ping(self.port);
        self.server = Some(server);
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    pub fn client(&self) -> redis::Connection {
        connect(&self.url())
    }

    pub fn client3(&self) -> redis::Connection {
        connect(&format!("{}?protocol=resp3", self.url()))
    }

    pub fn raw(&self) -> Raw {
        Raw::connect(self.port)
    }

    pub fn shared(&self) -> &ringdis::shared::Shared {
        &self.server.as_ref().unwrap().shared
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(s) = self.server.take() {
            s.shutdown();
            s.join();
        }
    }
}

/// A redis-rs connection whose reads time out, so a missing reply fails the test instead of
/// hanging it.
pub fn connect(url: &str) -> redis::Connection {
    let c = redis::Client::open(url).unwrap().get_connection().unwrap();
    c.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    c.set_write_timeout(Some(Duration::from_secs(20))).unwrap();
    c
}

/// Waits until a server answers PING on `port` (bounded: panics after 20 s).
pub fn wait_ping(port: u16) {
    let end = Instant::now() + Duration::from_secs(20);
    while Instant::now() < end {
        if let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) {
            s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
            if s.write_all(b"*1\r\n$4\r\nPING\r\n").is_ok() {
                // A server with a password answers NOAUTH: it is up all the same.
                let mut b = [0u8; 7];
                if s.read_exact(&mut b).is_ok() && (&b == b"+PONG\r\n" || &b == b"-NOAUTH") {
                    return;
                }
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("server on port {port} did not answer PING");
}

/// The server binary as a child process.
pub struct ChildServer {
    pub child: Child,
    pub port: u16,
    /// The AOF directory made for it when `args` named none.
    pub dir: Option<tempfile::TempDir>,
    /// Its standard error, once read by [`ChildServer::stderr`] after exit.
    stderr: Option<std::process::ChildStderr>,
}

impl ChildServer {
    /// Starts `ringdis --port 0 <args>` and reads the port from its ready line.
    pub fn start(args: &[&str]) -> Self {
        Self::start_pinned(&[&["--no-pin"], args].concat())
    }

    /// Like [`ChildServer::start`], with executors pinned to cores unless `args` says `--no-pin`.
    /// Without `--dir` in `args`, the AOF goes to a fresh temporary directory.
    pub fn start_pinned(args: &[&str]) -> Self {
        let dir = if args.contains(&"--dir") {
            None
        } else {
            Some(tempfile::tempdir().unwrap())
        };
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_ringdis"));
        cmd.args(["--port", "0"]);
        if let Some(d) = &dir {
            cmd.arg("--dir").arg(d.path());
        }
        cmd.args(args).stdout(Stdio::piped()).stderr(Stdio::piped());
        Self::from_command(cmd, dir)
    }

    /// Spawns `cmd` (the binary with `--port 0` and piped output) and reads the port from its
    /// ready line; `dir` is kept with it.
    pub fn from_command(mut cmd: Command, dir: Option<tempfile::TempDir>) -> Self {
        let mut child = cmd.spawn().expect("spawn ringdis");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert!(
            line.contains("ready to accept connections on"),
            "unexpected first line: {line:?}"
        );
        let port: u16 = line
            .split("on ")
            .nth(1)
            .unwrap()
            .split_whitespace()
            .next()
            .unwrap()
            .rsplit(':')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        wait_ping(port);
        let stderr = child.stderr.take();
        ChildServer {
            child,
            port,
            dir,
            stderr,
        }
    }

    /// Everything the server wrote to stderr (call after it exited).
    pub fn stderr(&mut self) -> String {
        let mut s = String::new();
        if let Some(mut e) = self.stderr.take() {
            let _ = e.read_to_string(&mut s);
        }
        s
    }

    /// Waits for exit (bounded) and returns the exit code.
    pub fn wait_exit(&mut self) -> i32 {
        let end = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(st) = self.child.try_wait().unwrap() {
                return st.code().unwrap_or(-1);
            }
            assert!(Instant::now() < end, "server did not exit");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for ChildServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A raw RESP connection.
pub struct Raw {
    pub s: TcpStream,
    buf: Vec<u8>,
}

impl Raw {
    pub fn connect(port: u16) -> Self {
        Self::from_stream(TcpStream::connect(("127.0.0.1", port)).unwrap())
    }

    /// Over a connection made elsewhere (another address of this machine).
    pub fn from_stream(s: TcpStream) -> Self {
        s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
        Raw { s, buf: Vec::new() }
    }

    pub fn send(&mut self, b: &[u8]) {
        self.s.write_all(b).unwrap();
    }

    /// Sends a command as a multibulk request.
    pub fn cmd(&mut self, args: &[&[u8]]) -> Vec<u8> {
        self.send(&encode(args));
        self.reply()
    }

    /// Reads one complete reply, raw bytes included.
    pub fn reply(&mut self) -> Vec<u8> {
        loop {
            if let Some(n) = reply_len(&self.buf, 0) {
                return self.buf.drain(..n).collect();
            }
            self.read_more();
        }
    }

    /// Reads until `done` holds for the bytes received and not yet taken as replies; gives
    /// them (for what is not a reply, or too deep for `reply`'s parser, which recurses).
    pub fn read_until(&mut self, done: impl Fn(&[u8]) -> bool) -> &mut Vec<u8> {
        while !done(&self.buf) {
            self.read_more();
        }
        &mut self.buf
    }

    fn read_more(&mut self) {
        let mut tmp = [0u8; 65536];
        // In-process executors may interrupt our syscalls (glommio's membarrier); retry.
        let n = loop {
            match self.s.read(&mut tmp) {
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                r => break r.expect("read reply"),
            }
        };
        assert!(
            n > 0,
            "connection closed while waiting for a reply; have {:?}",
            String::from_utf8_lossy(&self.buf)
        );
        self.buf.extend_from_slice(&tmp[..n]);
    }

    /// True once the server has closed the connection (after any buffered replies).
    pub fn is_closed(&mut self) -> bool {
        let mut tmp = [0u8; 1024];
        loop {
            match self.s.read(&mut tmp) {
                Ok(0) => return true,
                Ok(_) => continue,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return true,
                Err(_) => return false,
            }
        }
    }
}

pub fn encode(args: &[&[u8]]) -> Vec<u8> {
    let mut v = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        v.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        v.extend_from_slice(a);
        v.extend_from_slice(b"\r\n");
    }
    v
}

/// Length of the complete RESP2/RESP3 value starting at `at`, if it is all there.
pub fn reply_len(b: &[u8], at: usize) -> Option<usize> {
    let line_end = at + b.get(at..)?.windows(2).position(|w| w == b"\r\n")?;
    let head = std::str::from_utf8(&b[at + 1..line_end]).ok()?;
    let after = line_end + 2;
    match b[at] {
        b'+' | b'-' | b':' | b'_' | b',' | b'#' | b'(' => Some(after - at),
        b'$' | b'=' | b'!' => {
            let n: i64 = head.parse().ok()?;
            if n < 0 {
                return Some(after - at);
            }
            let end = after + n as usize + 2;
            (b.len() >= end).then_some(end - at)
        }
        b'*' | b'~' | b'>' | b'%' | b'|' => {
            let mut n: i64 = head.parse().ok()?;
            if n < 0 {
                return Some(after - at);
            }
            if b[at] == b'%' || b[at] == b'|' {
                n *= 2;
            }
            let mut pos = after;
            for _ in 0..n {
                pos += reply_len(b, pos)?;
            }
            Some(pos - at)
        }
        _ => panic!("not RESP: {:?}", String::from_utf8_lossy(&b[at..])),
    }
}

/// Runs a command given as strings through redis-rs, panicking with the command on error.
pub fn q<T: redis::FromRedisValue>(con: &mut redis::Connection, args: &[&str]) -> T {
    let mut c = redis::cmd(args[0]);
    for a in &args[1..] {
        c.arg(*a);
    }
    c.query(con).unwrap_or_else(|e| panic!("{args:?}: {e}"))
}

/// Sends each request as raw RESP and checks the exact reply bytes.
pub fn expect_replies(r: &mut Raw, cases: &[(&[&[u8]], &[u8])]) {
    for (req, want) in cases {
        let got = r.cmd(req);
        assert_eq!(
            String::from_utf8_lossy(&got),
            String::from_utf8_lossy(want),
            "for {:?}",
            req.iter()
                .map(|a| String::from_utf8_lossy(a))
                .collect::<Vec<_>>()
        );
    }
}

/// BGREWRITEAOF, then waits until that rewrite finished (`aof_rewrites` went up).
pub fn rewrite_aof(c: &mut redis::Connection) {
    let done = |c: &mut redis::Connection| info_u64(c, "persistence", "aof_rewrites");
    let before = done(c);
    let _: String = q(c, &["BGREWRITEAOF"]);
    eventually(|| done(c) > before);
}

/// Runs space-separated commands over raw RESP and checks each exact reply.
pub fn check_replies(r: &mut Raw, cases: &[(&str, &str)]) {
    for (cmd, want) in cases {
        let args: Vec<&[u8]> = cmd.split(' ').map(str::as_bytes).collect();
        let got = r.cmd(&args);
        assert_eq!(String::from_utf8_lossy(&got), *want, "for {cmd}");
    }
}

/// Waits (bounded, 30 s) until `cond` holds: for effects of background work such as the expiry
/// cycle or connections being closed. Nothing is asserted about how long it took.
pub fn eventually(mut cond: impl FnMut() -> bool) {
    let end = Instant::now() + Duration::from_secs(30);
    while !cond() {
        assert!(Instant::now() < end, "condition not reached");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A numeric field of `INFO <section>`.
pub fn info_u64(con: &mut redis::Connection, section: &str, field: &str) -> u64 {
    let info: String = redis::cmd("INFO").arg(section).query(con).unwrap();
    let prefix = format!("{field}:");
    info.lines()
        .find_map(|l| l.strip_prefix(prefix.as_str()))
        .unwrap_or_else(|| panic!("INFO {section} has no {field}: {info}"))
        .trim()
        .parse()
        .unwrap()
}

/// Resident memory of a process, in kB (/proc/PID/status).
pub fn rss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .map(|v| v.trim().trim_end_matches(" kB").parse().unwrap())
        .unwrap_or(0)
}

/// A port nothing listens on now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// redis-server on a free port with its files in `dir` (no save points, no AOF, then `extra`),
/// or None (with a message) when it is not installed.
pub fn redis_server(dir: &std::path::Path, extra: &[&str]) -> Option<(Child, u16)> {
    let port = free_port();
    redis_server_at(port, dir, extra).map(|c| (c, port))
}

/// redis-server on `port` (restartable there), as [`redis_server`] starts it.
pub fn redis_server_at(port: u16, dir: &std::path::Path, extra: &[&str]) -> Option<Child> {
    let child = Command::new("redis-server")
        .args([
            "--port",
            &port.to_string(),
            "--save",
            "",
            "--appendonly",
            "no",
        ])
        .arg("--dir")
        .arg(dir)
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    match child {
        Ok(c) => {
            wait_ping(port);
            Some(c)
        }
        Err(e) => {
            eprintln!("skipping the redis-server half: redis-server not runnable ({e})");
            None
        }
    }
}
