//! The append-only file: restarts and crashes keep every acknowledged write, damaged files are
//! cut or refused as they should be, rewrites lose nothing, disk faults refuse writes and recover.

mod common;
use common::{eventually, ChildServer, TestServer};
use rand::Rng;
use redis::Value;
use ringdis::aof::format;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

fn url(port: u16, db: u8) -> String {
    format!("redis://127.0.0.1:{port}/{db}")
}

fn conn(port: u16) -> redis::Connection {
    common::connect(&url(port, 0))
}

fn q<T: redis::FromRedisValue>(c: &mut redis::Connection, args: &[&str]) -> T {
    let mut cmd = redis::cmd(args[0]);
    for a in &args[1..] {
        cmd.arg(*a);
    }
    cmd.query(c)
        .unwrap_or_else(|e| panic!("{args:?} failed: {e}"))
}

/// Everything observable in databases 0..3: type, value, and whether a TTL is set.
fn dump(port: u16) -> BTreeMap<(u8, Vec<u8>), (String, String, bool)> {
    let mut out = BTreeMap::new();
    for db in 0..3u8 {
        let mut c = common::connect(&url(port, db));
        let keys: Vec<Vec<u8>> = redis::cmd("KEYS").arg("*").query(&mut c).unwrap();
        for k in keys {
            let t: String = redis::cmd("TYPE").arg(&k).query(&mut c).unwrap();
            let v = match t.as_str() {
                "string" => {
                    let v: Vec<u8> = redis::cmd("GET").arg(&k).query(&mut c).unwrap();
                    format!("{v:?}")
                }
                _ => {
                    let h: BTreeMap<Vec<u8>, Vec<u8>> =
                        redis::cmd("HGETALL").arg(&k).query(&mut c).unwrap();
                    format!("{h:?}")
                }
            };
            let ttl: i64 = redis::cmd("PTTL").arg(&k).query(&mut c).unwrap();
            out.insert((db, k), (t, v, ttl > 0));
        }
    }
    out
}

/// One of every kind of write, across databases.
fn write_everything(port: u16) {
    let mut c = conn(port);
    for args in [
        &["SET", "s", "1"][..],
        &["INCR", "s"],
        &["INCRBY", "s", "10"],
        &["INCRBYFLOAT", "f", "1.5"],
        &["APPEND", "ap", "abc"],
        &["APPEND", "ap", "def"],
        &["SETRANGE", "sr", "3", "xy"],
        &["SET", "ttl", "v", "EX", "1000"],
        &["SET", "keep", "v", "PX", "900000"],
        &["SET", "keep", "w", "KEEPTTL"],
        &["SET", "nx", "a", "NX"],
        &["SET", "nx", "b", "NX"],
        &["SETEX", "sx", "1000", "v"],
        &["GETSET", "gs", "new"],
        &["MSET", "m1", "1", "m2", "2", "m3", "3"],
        &["MSETNX", "n1", "1", "n2", "2"],
        &["DEL", "m3", "missing"],
        &["RENAME", "m2", "renamed"],
        &["HSET", "h", "a", "1", "b", "2", "c", "3"],
        &["HMSET", "h2", "x", "y"],
        &["HSETNX", "h", "d", "4"],
        &["HDEL", "h", "c"],
        &["HINCRBY", "h", "a", "5"],
        &["HINCRBYFLOAT", "h", "f", "0.25"],
        &["EXPIRE", "h", "1000"],
        &["SET", "p", "v", "EX", "1000"],
        &["PERSIST", "p"],
        &["SET", "gx", "v"],
        &["GETEX", "gx", "PX", "500000"],
        &["SET", "gd", "v"],
        &["GETDEL", "gd"],
        &["SET", "past", "v"],
        &["EXPIREAT", "past", "1"],
        &["SET", "h2", "now a string"],
    ] {
        let _: Value = q(&mut c, args);
    }
    let mut c1 = common::connect(&url(port, 1));
    let _: Value = q(&mut c1, &["SET", "one", "1"]);
    let _: Value = q(&mut c1, &["HSET", "hh", "f", "v"]);
    let mut c2 = common::connect(&url(port, 2));
    let _: Value = q(&mut c2, &["SET", "gone", "1"]);
    let _: Value = q(&mut c2, &["FLUSHDB"]);
    let _: Value = q(&mut c2, &["SET", "after", "flush"]);
}

#[test]
fn every_write_survives_shutdown_sigterm_and_sigkill() {
    for (how, policy) in [
        ("SHUTDOWN", "everysec"),
        ("SIGTERM", "no"),
        ("SIGKILL", "always"),
    ] {
        let mut srv = ChildServer::start(&["--threads", "2", "--appendfsync", policy]);
        write_everything(srv.port);
        let before = dump(srv.port);
        assert_eq!(before.len(), 20, "{before:?}");
        let dir = srv.dir.take().unwrap();
        match how {
            "SIGKILL" => {
                srv.child.kill().unwrap();
                srv.child.wait().unwrap();
            }
            "SIGTERM" => {
                // SAFETY: signals our own child process.
                unsafe { libc::kill(srv.child.id() as i32, libc::SIGTERM) };
                assert_eq!(srv.wait_exit(), 0);
            }
            _ => {
                let _: redis::RedisResult<()> = redis::cmd("SHUTDOWN").query(&mut conn(srv.port));
                assert_eq!(srv.wait_exit(), 0);
            }
        }
        let srv = ChildServer::start(&["--dir", dir.path().to_str().unwrap()]);
        assert_eq!(dump(srv.port), before, "after {how} ({policy})");
    }
}

#[test]
fn writes_overwrite_the_reserve_in_place_and_a_clean_stop_cuts_it() {
    let size = |dir: &Path| std::fs::metadata(dir.join("appendonly.aof")).unwrap().len();
    let mut srv = ChildServer::start(&["--appendfsync", "always"]);
    let dir = srv.dir.take().unwrap();
    let mut c = conn(srv.port);
    let _: () = q(&mut c, &["SET", "k0", "v"]);
    // The first write laid down the reserve; later ones land inside it.
    let reserved = size(dir.path());
    assert!(reserved >= 1 << 20, "{reserved}");
    for i in 1..200 {
        let _: () = q(&mut c, &["SET", &format!("k{i}"), "v"]);
    }
    assert_eq!(size(dir.path()), reserved);
    let logical: u64 = info_field(&mut c, "aof_current_size").parse().unwrap();
    assert!(
        logical < reserved && logical.is_multiple_of(format::LINE),
        "{logical}"
    );
    srv.child.kill().unwrap();
    srv.child.wait().unwrap();
    // After a crash the reserve is found again and writing goes on inside it.
    let mut srv = ChildServer::start(&["--dir", dir.path().to_str().unwrap()]);
    let mut c = conn(srv.port);
    // As in Redis, the records replayed at start-up are not client commands in the stats.
    assert_eq!(
        q::<Value>(&mut c, &["LATENCY", "HISTOGRAM", "SET"]),
        Value::Array(vec![])
    );
    assert_eq!(q::<i64>(&mut c, &["DBSIZE"]), 200);
    assert_eq!(
        info_field(&mut c, "aof_current_size")
            .parse::<u64>()
            .unwrap(),
        logical
    );
    for i in 200..300 {
        let _: () = q(&mut c, &["SET", &format!("k{i}"), "v"]);
    }
    assert_eq!(size(dir.path()), reserved);
    // A clean stop leaves the data and its filler only.
    let _: redis::RedisResult<()> = redis::cmd("SHUTDOWN").query(&mut c);
    assert_eq!(srv.wait_exit(), 0);
    let stopped = size(dir.path());
    assert!(
        stopped < reserved && stopped.is_multiple_of(format::LINE),
        "{stopped}"
    );
    let data = std::fs::read(dir.path().join("appendonly.aof")).unwrap();
    let scan = format::scan(&data, |_| {});
    assert!(scan.problem.is_none() && stopped - scan.good_end <= format::LINE + 1);
    let srv = ChildServer::start(&["--dir", dir.path().to_str().unwrap()]);
    assert_eq!(q::<i64>(&mut conn(srv.port), &["DBSIZE"]), 300);
}

/// What one writer got acknowledged.
#[derive(Default)]
struct Acked {
    sets: Vec<u64>,
    counter: i64,
    fields: Vec<u64>,
    ttls: Vec<u64>,
}

fn writer(port: u16, t: usize, stop: Arc<AtomicBool>) -> Acked {
    let mut a = Acked::default();
    let Ok(client) = redis::Client::open(url(port, 0)) else {
        return a;
    };
    let Ok(mut c) = client.get_connection() else {
        return a;
    };
    let _ = c.set_read_timeout(Some(Duration::from_secs(20)));
    let mut i = 0u64;
    while !stop.load(Ordering::Relaxed) {
        i += 1;
        let r: redis::RedisResult<()> = redis::cmd("SET")
            .arg(format!("w{t}:s{i}"))
            .arg(format!("v{i}"))
            .query(&mut c);
        if r.is_err() {
            break;
        }
        a.sets.push(i);
        let r: redis::RedisResult<i64> = redis::cmd("INCR").arg(format!("w{t}:ctr")).query(&mut c);
        match r {
            Ok(n) => a.counter = n,
            Err(_) => break,
        }
        let r: redis::RedisResult<i64> = redis::cmd("HSET")
            .arg(format!("w{t}:h"))
            .arg(format!("f{i}"))
            .arg(i)
            .query(&mut c);
        if r.is_err() {
            break;
        }
        a.fields.push(i);
        let r: redis::RedisResult<()> = redis::cmd("SET")
            .arg(format!("w{t}:ttl{i}"))
            .arg("x")
            .arg("EX")
            .arg(100_000)
            .query(&mut c);
        if r.is_err() {
            break;
        }
        a.ttls.push(i);
    }
    a
}

fn verify(port: u16, t: usize, a: &Acked) {
    let mut c = conn(port);
    for i in &a.sets {
        let v: Option<String> = q(&mut c, &["GET", &format!("w{t}:s{i}")]);
        assert_eq!(v, Some(format!("v{i}")), "acknowledged SET w{t}:s{i} lost");
    }
    let n: Option<i64> = q(&mut c, &["GET", &format!("w{t}:ctr")]);
    assert!(
        n.unwrap_or(0) >= a.counter,
        "counter w{t}:ctr is {n:?}, {} increments were acknowledged",
        a.counter
    );
    let h: BTreeMap<String, String> = q(&mut c, &["HGETALL", &format!("w{t}:h")]);
    for i in &a.fields {
        assert_eq!(
            h.get(&format!("f{i}")),
            Some(&i.to_string()),
            "field f{i} of w{t}:h lost"
        );
    }
    for i in &a.ttls {
        let ttl: i64 = q(&mut c, &["TTL", &format!("w{t}:ttl{i}")]);
        assert!(ttl > 0, "w{t}:ttl{i} has TTL {ttl}");
    }
}

/// Several writers, SIGKILL at a random moment, restart: every acknowledged write is there.
fn crash_rounds(policy: &str, rounds: usize) {
    let mut rng = rand::rng();
    for round in 0..rounds {
        let mut srv = ChildServer::start(&["--threads", "2", "--appendfsync", policy]);
        let dir = srv.dir.take().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let writers: Vec<_> = (0..4)
            .map(|t| {
                let (port, stop) = (srv.port, stop.clone());
                std::thread::spawn(move || writer(port, t, stop))
            })
            .collect();
        std::thread::sleep(Duration::from_millis(rng.random_range(50..400)));
        srv.child.kill().unwrap();
        srv.child.wait().unwrap();
        let acked: Vec<Acked> = writers.into_iter().map(|w| w.join().unwrap()).collect();
        let total: usize = acked.iter().map(|a| a.sets.len()).sum();
        let srv = ChildServer::start(&[
            "--dir",
            dir.path().to_str().unwrap(),
            "--appendfsync",
            policy,
        ]);
        for (t, a) in acked.iter().enumerate() {
            verify(srv.port, t, a);
        }
        eprintln!("{policy} round {round}: {total} acknowledged SETs all present");
    }
}

#[test]
fn crash_keeps_acknowledged_writes_everysec() {
    crash_rounds("everysec", 4);
}

#[test]
fn crash_keeps_acknowledged_writes_always() {
    crash_rounds("always", 3);
}

/// A file made by a real server: (bytes, offset of each batch).
fn made_file(cmds: &[&[&str]]) -> (Vec<u8>, Vec<usize>) {
    let mut srv = ChildServer::start(&[]);
    let mut c = conn(srv.port);
    for args in cmds {
        let _: Value = q(&mut c, args);
    }
    let _: redis::RedisResult<()> = redis::cmd("SHUTDOWN").query(&mut c);
    assert_eq!(srv.wait_exit(), 0);
    let data = std::fs::read(srv.dir.as_ref().unwrap().path().join("appendonly.aof")).unwrap();
    let starts = data
        .windows(3)
        .enumerate()
        .filter(|(i, w)| *w == b"#B " && (*i == 0 || data[i - 1] == b'\n'))
        .map(|(i, _)| i)
        .collect();
    (data, starts)
}

fn start_on(dir: &Path) -> ChildServer {
    ChildServer::start(&["--dir", dir.to_str().unwrap()])
}

#[test]
fn a_torn_last_batch_is_cut_at_every_offset() {
    let (data, starts) = made_file(&[&["SET", "a", "1"], &["SET", "b", "2"]]);
    let last = *starts.last().unwrap();
    assert_eq!(starts.len(), 2);
    // Each write ends with a filler line up to a multiple of 64 bytes, and a clean shutdown
    // leaves no reserve after it.
    assert!(data.len().is_multiple_of(format::LINE as usize));
    let (_, payload, _) = format::parse_header(&data[last..]).unwrap();
    let batch_end = last + format::HEADER_LEN + payload as usize;
    assert!(data[batch_end] == b'#' && data.ends_with(b"\n"));
    // The first `cut` bytes of the file, through the loader the server uses: its report and the
    // file's size after it.
    let load_cut = |cut: usize| {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("appendonly.aof");
        std::fs::write(&path, &data[..cut]).unwrap();
        let shared = ringdis::shared::Shared::new(ringdis::Config {
            appendonly: false,
            ..Default::default()
        });
        let mut replayer = ringdis::cmd::Replayer::new(&shared);
        let r = ringdis::aof::replay::load(&shared.ks, &path, true, |args| replayer.run(args))
            .expect("loads");
        (r, std::fs::metadata(&path).unwrap().len())
    };
    // A cut in the filler after the last batch loses nothing (the cut-short line goes).
    for cut in batch_end..data.len() {
        let (r, _) = load_cut(cut);
        let cut_off = (cut > batch_end).then_some((batch_end as u64, 0));
        assert_eq!((r.cut, r.records, r.keys), (cut_off, 3, 2), "cut at {cut}");
    }
    // Every cut inside the last batch.
    for cut in last + 1..batch_end {
        let (r, len) = load_cut(cut);
        // The records dropped are known once the batch header is whole.
        let dropped = if cut >= last + format::HEADER_LEN {
            1
        } else {
            0
        };
        assert_eq!(r.cut, Some((last as u64, dropped)), "cut at {cut}");
        assert_eq!((r.records, r.keys), (2, 1), "cut at {cut}");
        assert_eq!(len, last as u64);
    }
    // And through the binary, which says where it cut.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("appendonly.aof"), &data[..batch_end - 3]).unwrap();
    let mut srv = start_on(dir.path());
    let mut c = conn(srv.port);
    assert_eq!(q::<Option<String>>(&mut c, &["GET", "a"]), Some("1".into()));
    assert_eq!(q::<Option<String>>(&mut c, &["GET", "b"]), None);
    let _: redis::RedisResult<()> = redis::cmd("SHUTDOWN").query(&mut c);
    assert_eq!(srv.wait_exit(), 0);
    let err = srv.stderr();
    assert!(err.contains(&format!("byte offset {last}")), "{err}");
}

#[test]
fn damage_before_the_last_batch_is_refused_and_the_checker_fixes_it() {
    let (mut data, starts) =
        made_file(&[&["SET", "a", "1"], &["SET", "b", "2"], &["SET", "c", "3"]]);
    assert_eq!(starts.len(), 3);
    // Flip one byte in the middle batch's payload.
    data[starts[1] + format::HEADER_LEN + 2] ^= 0x20;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("appendonly.aof");
    std::fs::write(&path, &data).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_ringdis"))
        .args([
            "--port",
            "0",
            "--no-pin",
            "--dir",
            dir.path().to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("byte offset {}", starts[1])) && err.contains("ringdis-aof-check"),
        "{err}"
    );
    let check = |fix: bool| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_ringdis-aof-check"));
        if fix {
            cmd.arg("--fix");
        }
        cmd.arg(&path).output().unwrap()
    };
    let out = check(false);
    assert_eq!(out.status.code(), Some(1));
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        report.contains(&format!("first bad byte offset: {}", starts[1]))
            && report.contains("2 records, 1 keys"),
        "{report}"
    );
    assert_eq!(check(true).status.code(), Some(0));
    assert_eq!(check(false).status.code(), Some(0));
    let srv = start_on(dir.path());
    let mut c = conn(srv.port);
    assert_eq!(q::<Option<String>>(&mut c, &["GET", "a"]), Some("1".into()));
    assert_eq!(q::<i64>(&mut c, &["DBSIZE"]), 1);
}

/// The records in a file, as strings.
fn records(path: &Path) -> Vec<Vec<String>> {
    let data = std::fs::read(path).unwrap();
    let mut v = Vec::new();
    let s = format::scan(&data, |a| {
        v.push(
            a.iter()
                .map(|x| String::from_utf8_lossy(x).into_owned())
                .collect(),
        )
    });
    assert_eq!(s.problem, None);
    v
}

#[test]
fn records_are_effects() {
    let srv = TestServer::start(1);
    let mut c = srv.client();
    let _: Value = q(&mut c, &["SET", "k", "v", "EX", "100"]);
    let _: Value = q(&mut c, &["SET", "k", "other", "NX"]);
    let _: Value = q(&mut c, &["SET", "missing", "v", "XX"]);
    let _: Value = q(&mut c, &["INCRBYFLOAT", "f", "2.5"]);
    let _: Value = q(&mut c, &["INCR", "n"]);
    let _: Value = q(&mut c, &["SET", "short", "v", "PX", "30"]);
    // The active expiry cycle deletes it without any access, and logs the deletion.
    eventually(|| q::<i64>(&mut c, &["DBSIZE"]) == 3);
    let _: Value = q(&mut c, &["SET", "sync", "point"]);
    let recs = records(&srv.dir.path().join("appendonly.aof"));
    let names: Vec<String> = recs.iter().map(|r| r.join(" ")).collect();
    let now_ms = ringdis::keyspace::now_ms();
    assert_eq!(recs[0], ["SELECT", "0"]);
    assert_eq!(recs[1][..4], ["SET", "k", "v", "PXAT"]);
    let at: u64 = recs[1][4].parse().unwrap();
    assert!(at > now_ms && at <= now_ms + 100_000, "{at}");
    assert_eq!(names[2], "SET f 2.5 KEEPTTL");
    assert_eq!(names[3], "SET n 1 KEEPTTL");
    assert!(names.contains(&"DEL short".to_string()), "{names:?}");
    assert_eq!(names.last().unwrap(), "SET sync point");
    assert!(
        !names
            .iter()
            .any(|n| n.contains("other") || n.contains("missing")),
        "{names:?}"
    );
}

/// A write that changed something is recorded as its own arguments unless its handler logged
/// the effect; one that changed nothing is not recorded; an emptied collection is removed.
#[test]
fn writes_are_recorded_as_sent_unless_their_effect_differs() {
    let srv = TestServer::start(1);
    let mut c = srv.client();
    let sent: &[&[&str]] = &[
        &["SADD", "s", "a", "b"],
        &["SADD", "s", "a"],
        &["HSET", "h", "f", "v"],
        &["HDEL", "h", "nope"],
        &["RPUSH", "l", "x", "y"],
        &["LREM", "l", "0", "x"],
        &["MSET", "m1", "1", "m2", "2"],
        &["SUNIONSTORE", "u", "s", "missing"],
        &["SREM", "s", "a", "b"],
        &["ZADD", "z", "1", "m"],
        &["ZINCRBY", "z", "2", "m"],
        &["SPOP", "u", "2"],
        &["SET", "sync", "point"],
    ];
    for args in sent {
        let _: Value = q(&mut c, args);
    }
    assert_eq!(q::<i64>(&mut c, &["EXISTS", "s", "u"]), 0);
    let recs = records(&srv.dir.path().join("appendonly.aof"));
    let got: Vec<String> = recs.iter().skip(1).map(|r| r.join(" ")).collect();
    let spop = got
        .iter()
        .find(|r| r.starts_with("SREM u "))
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        got,
        [
            "SADD s a b",
            "HSET h f v",
            "RPUSH l x y",
            "LREM l 0 x",
            "MSET m1 1 m2 2",
            "SUNIONSTORE u s missing",
            "SREM s a b",
            "ZADD z 1 m",
            "ZADD z 3 m",
            &spop,
            "SET sync point",
        ]
    );
    assert!(spop == "SREM u a b" || spop == "SREM u b a", "{spop}");
}

/// A replay that runs after some keys' TTLs passed (the server was stopped before it deleted
/// them) must still find them alive while it runs the records that used them, as Redis's
/// loading does: `RENAME a b` left `b`'s older value, and `SUNIONSTORE d s` lost `d` (which has
/// no TTL of its own), when the replay treated `a` and `s` as already gone.
#[test]
fn keys_past_their_ttl_replay_as_they_were_served() {
    let dir = tempfile::tempdir().unwrap();
    let at = (ringdis::keyspace::now_ms() + 1000).to_string();
    let mut srv = start_on(dir.path());
    let mut c = conn(srv.port);
    for args in [
        &["SET", "a", "v", "PXAT", &at][..],
        &["SET", "b", "old"],
        &["RENAME", "a", "b"],
        &["SADD", "s", "m"],
        &["PEXPIREAT", "s", &at],
        &["SUNIONSTORE", "d", "s"],
        &["SET", "f", "x", "PXAT", &at],
        &["COPY", "f", "g"],
        &["PERSIST", "g"],
    ] {
        let _: Value = q(&mut c, args);
    }
    assert_eq!(q::<Option<String>>(&mut c, &["GET", "b"]), Some("v".into()));
    srv.child.kill().unwrap();
    srv.child.wait().unwrap();
    // Wait for the TTLs to pass before the replay (wall-clock time, not the server's).
    while ringdis::keyspace::now_ms() <= at.parse::<u64>().unwrap() {
        std::thread::sleep(Duration::from_millis(20));
    }
    let srv = start_on(dir.path());
    let mut c = conn(srv.port);
    assert_eq!(q::<Option<String>>(&mut c, &["GET", "b"]), None);
    assert_eq!(q::<Vec<String>>(&mut c, &["SMEMBERS", "d"]), ["m"]);
    assert_eq!(q::<Option<String>>(&mut c, &["GET", "g"]), Some("x".into()));
    assert_eq!(q::<i64>(&mut c, &["EXISTS", "a", "s", "f"]), 0);
}

fn info_field(c: &mut redis::Connection, field: &str) -> String {
    let info: String = q(c, &["INFO", "persistence"]);
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")))
        .unwrap_or_else(|| panic!("no {field} in {info}"))
        .to_string()
}

fn wait_rewrite_done(c: &mut redis::Connection) {
    eventually(|| info_field(c, "aof_rewrite_in_progress") == "0");
}

#[test]
fn rewrite_under_concurrent_writes_loses_nothing_and_shrinks_the_file() {
    let mut srv = ChildServer::start(&["--threads", "2", "--auto-aof-rewrite-percentage", "0"]);
    let dir = srv.dir.take().unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..4)
        .map(|t| {
            let (port, stop) = (srv.port, stop.clone());
            std::thread::spawn(move || {
                let mut c = conn(port);
                let mut last = BTreeMap::new();
                let mut ctr = 0i64;
                let mut i = 0u64;
                while !stop.load(Ordering::Relaxed) || i < 2000 {
                    i += 1;
                    let k = format!("w{t}:k{}", i % 10);
                    let _: () = q(&mut c, &["SET", &k, &i.to_string()]);
                    last.insert(k, i.to_string());
                    ctr = q(&mut c, &["INCR", &format!("w{t}:ctr")]);
                    let _: i64 = q(
                        &mut c,
                        &[
                            "HSET",
                            &format!("w{t}:h"),
                            &format!("f{}", i % 7),
                            &i.to_string(),
                        ],
                    );
                }
                (last, ctr)
            })
        })
        .collect();
    let mut c = conn(srv.port);
    for _ in 0..3 {
        let r: String = q(&mut c, &["BGREWRITEAOF"]);
        assert_eq!(r, "Background append only file rewriting started");
        wait_rewrite_done(&mut c);
        assert_eq!(info_field(&mut c, "aof_last_bgrewrite_status"), "ok");
    }
    stop.store(true, Ordering::Relaxed);
    let results: Vec<_> = writers.into_iter().map(|w| w.join().unwrap()).collect();
    let before: u64 = info_field(&mut c, "aof_current_size").parse().unwrap();
    let _: String = q(&mut c, &["BGREWRITEAOF"]);
    wait_rewrite_done(&mut c);
    let after: u64 = info_field(&mut c, "aof_current_size").parse().unwrap();
    assert!(
        after * 4 < before,
        "rewrite did not shrink the file: {before} -> {after}"
    );
    assert_eq!(info_field(&mut c, "aof_rewrites"), "4");
    srv.child.kill().unwrap();
    srv.child.wait().unwrap();
    assert_eq!(
        std::fs::metadata(dir.path().join("appendonly.aof"))
            .unwrap()
            .len(),
        after
    );
    let srv = ChildServer::start(&["--dir", dir.path().to_str().unwrap()]);
    let mut c = conn(srv.port);
    for (t, (last, ctr)) in results.iter().enumerate() {
        for (k, v) in last {
            assert_eq!(
                q::<Option<String>>(&mut c, &["GET", k]).as_ref(),
                Some(v),
                "{k}"
            );
        }
        assert_eq!(q::<i64>(&mut c, &["GET", &format!("w{t}:ctr")]), *ctr);
        assert_eq!(q::<i64>(&mut c, &["HLEN", &format!("w{t}:h")]), 7);
    }
}

/// CONFIG SET appendonly yes while writers run in two databases: the rewrite that turns the file
/// on, its switch to the new file, and the writes after it lose nothing (SIGKILL, restart).
#[test]
fn turning_the_file_on_under_concurrent_writes_loses_nothing() {
    let mut srv = ChildServer::start(&["--threads", "2", "--appendonly", "no"]);
    let dir = srv.dir.take().unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..4u8)
        .map(|t| {
            let (port, stop) = (srv.port, stop.clone());
            std::thread::spawn(move || {
                let db = if t % 2 == 0 { 0 } else { 3 };
                let mut c = common::connect(&url(port, db));
                let mut n = 0u64;
                while !stop.load(Ordering::Relaxed) || n < 500 {
                    n += 1;
                    let _: () = q(&mut c, &["SET", &format!("w{t}:{n}"), &n.to_string()]);
                }
                (db, n)
            })
        })
        .collect();
    let mut c = conn(srv.port);
    for _ in 0..8 {
        let _: () = q(&mut c, &["CONFIG", "SET", "appendonly", "yes"]);
        eventually(|| info_field(&mut c, "aof_enabled") == "1");
        wait_rewrite_done(&mut c);
        assert_eq!(info_field(&mut c, "aof_last_bgrewrite_status"), "ok");
        let _: () = q(&mut c, &["CONFIG", "SET", "appendonly", "no"]);
    }
    let _: () = q(&mut c, &["CONFIG", "SET", "appendonly", "yes"]);
    eventually(|| info_field(&mut c, "aof_enabled") == "1");
    wait_rewrite_done(&mut c);
    stop.store(true, Ordering::Relaxed);
    let done: Vec<(u8, u64)> = writers.into_iter().map(|w| w.join().unwrap()).collect();
    srv.child.kill().unwrap();
    srv.child.wait().unwrap();
    let srv = ChildServer::start(&["--dir", dir.path().to_str().unwrap()]);
    for (t, (db, n)) in done.iter().enumerate() {
        let mut c = common::connect(&url(srv.port, *db));
        for i in 1..=*n {
            let v: Option<String> = q(&mut c, &["GET", &format!("w{t}:{i}")]);
            assert_eq!(v, Some(i.to_string()), "w{t}:{i} in db {db}");
        }
    }
}

#[test]
fn a_crash_during_a_rewrite_leaves_a_loadable_file() {
    let mut rng = rand::rng();
    for round in 0..4 {
        let mut srv = ChildServer::start(&["--threads", "2"]);
        let dir = srv.dir.take().unwrap();
        let mut c = conn(srv.port);
        // Enough data that the rewrite's child takes a while to write it.
        for chunk in 0..40 {
            let mut p = redis::pipe();
            for i in 0..5000 {
                p.cmd("SET")
                    .arg(format!("k{chunk}:{i}"))
                    .arg("v".repeat(20))
                    .ignore();
            }
            let _: () = p.query(&mut c).unwrap();
        }
        let _: () = q(&mut c, &["SET", "last", "before"]);
        let _: String = q(&mut c, &["BGREWRITEAOF"]);
        // Writes during the rewrite, then a kill at a random moment of it (or just after).
        for i in 0..rng.random_range(0..200) {
            let _: () = q(&mut c, &["SET", "last", &i.to_string()]);
        }
        let last: String = q(&mut c, &["GET", "last"]);
        srv.child.kill().unwrap();
        srv.child.wait().unwrap();
        let srv = ChildServer::start(&["--dir", dir.path().to_str().unwrap()]);
        let mut c = conn(srv.port);
        assert_eq!(q::<i64>(&mut c, &["DBSIZE"]), 200_001, "round {round}");
        assert_eq!(q::<String>(&mut c, &["GET", "last"]), last, "round {round}");
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with("temp-rewriteaof-"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }
}

#[test]
fn automatic_rewrite_triggers_on_growth() {
    let srv = TestServer::start_with(1, |c| c.auto_aof_rewrite_min_size = 4096);
    let mut c = srv.client();
    let mut i = 0;
    eventually(|| {
        for _ in 0..200 {
            i += 1;
            let _: () = q(&mut c, &["SET", "same", &i.to_string()]);
        }
        info_field(&mut c, "aof_rewrites") != "0"
    });
    wait_rewrite_done(&mut c);
    let _: () = q(&mut c, &["SET", "last", "1"]);
    let mut srv = srv;
    srv.restart();
    let mut c = srv.client();
    assert_eq!(q::<String>(&mut c, &["GET", "same"]), i.to_string());
    assert_eq!(q::<String>(&mut c, &["GET", "last"]), "1");
}

#[test]
fn disk_faults_refuse_writes_until_the_disk_recovers() {
    let mut srv = TestServer::start(2);
    let mut admin = srv.client();
    let mut c = srv.client();
    let _: () = q(&mut c, &["SET", "before", "1"]);
    let _: () = q(&mut admin, &["DEBUG", "AOF-FAULT", "ENOSPC"]);
    // This write is applied in memory, but its record cannot be written: no reply yet.
    let mut held = srv.raw();
    held.send(b"*3\r\n$3\r\nSET\r\n$4\r\nheld\r\n$1\r\nv\r\n");
    eventually(|| info_field(&mut admin, "aof_last_write_status") == "err");
    let e = redis::cmd("SET")
        .arg("x")
        .arg("1")
        .query::<()>(&mut c)
        .unwrap_err();
    assert_eq!(e.code(), Some("MISCONF"));
    assert!(
        e.to_string()
            .contains("Errors writing to the AOF file: No space left on device"),
        "{e}"
    );
    let e = redis::cmd("PING").query::<String>(&mut c).unwrap_err();
    assert_eq!(e.code(), Some("MISCONF"));
    // Reads keep working.
    assert_eq!(q::<String>(&mut c, &["GET", "before"]), "1");
    // The held reply was not sent: the write failed, and replies wait for a successful one.
    held.s.set_nonblocking(true).unwrap();
    let mut b = [0u8; 16];
    let r = std::io::Read::read(&mut held.s, &mut b);
    assert_eq!(r.unwrap_err().kind(), std::io::ErrorKind::WouldBlock);
    held.s.set_nonblocking(false).unwrap();
    // The disk recovers: the retry succeeds by itself, the held reply goes out, writes work.
    let _: () = q(&mut admin, &["DEBUG", "AOF-FAULT", "OFF"]);
    assert_eq!(held.reply(), b"+OK\r\n");
    eventually(|| info_field(&mut admin, "aof_last_write_status") == "ok");
    let _: () = q(&mut c, &["SET", "after", "1"]);
    drop((c, admin, held));
    srv.restart();
    let mut c = srv.client();
    assert_eq!(
        q::<Option<String>>(&mut c, &["GET", "held"]),
        Some("v".into())
    );
    assert_eq!(q::<Option<String>>(&mut c, &["GET", "x"]), None);
    assert_eq!(
        q::<Option<String>>(&mut c, &["GET", "after"]),
        Some("1".into())
    );
}

#[test]
fn aof_settings_in_config() {
    let mut srv = TestServer::start(2);
    let mut c = srv.client();
    let v: std::collections::HashMap<String, String> = q(&mut c, &["CONFIG", "GET", "append*"]);
    let want = [
        ("appendonly", "yes"),
        ("appendfsync", "everysec"),
        ("appendfilename", "appendonly.aof"),
        // The file is in `dir` itself (Redis 7 keeps its files in this directory under it).
        ("appenddirname", ""),
    ];
    assert_eq!(
        v,
        want.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    );
    let v: std::collections::HashMap<String, String> = q(&mut c, &["CONFIG", "GET", "auto-aof-*"]);
    assert_eq!(v["auto-aof-rewrite-percentage"], "100");
    assert_eq!(v["auto-aof-rewrite-min-size"], "67108864");
    let _: () = q(&mut c, &["CONFIG", "SET", "appendfsync", "always"]);
    let _: () = q(&mut c, &["SET", "a", "1"]);
    let e = redis::cmd("CONFIG")
        .arg("SET")
        .arg("appendfsync")
        .arg("sometimes")
        .query::<()>(&mut c);
    assert!(e.is_err());
    // Off: writes are not logged. On again: a rewrite captures the data set, then appends resume.
    let _: () = q(&mut c, &["CONFIG", "SET", "appendonly", "no"]);
    assert_eq!(info_field(&mut c, "aof_enabled"), "0");
    let _: () = q(&mut c, &["SET", "while-off", "1"]);
    let _: () = q(&mut c, &["CONFIG", "SET", "appendonly", "yes"]);
    eventually(|| info_field(&mut c, "aof_enabled") == "1");
    wait_rewrite_done(&mut c);
    let _: () = q(&mut c, &["SET", "after-on", "1"]);
    drop(c);
    srv.restart();
    let mut c = srv.client();
    for k in ["a", "while-off", "after-on"] {
        assert_eq!(
            q::<Option<String>>(&mut c, &["GET", k]),
            Some("1".into()),
            "{k}"
        );
    }
    let e = redis::cmd("DEBUG")
        .arg("HELP")
        .query::<Value>(&mut common::connect(&srv.url()));
    assert!(e.is_ok());
}

#[test]
fn a_file_for_more_databases_is_refused() {
    let mut srv = ChildServer::start(&[]);
    let mut c = common::connect(&url(srv.port, 9));
    let _: () = q(&mut c, &["SET", "in9", "1"]);
    let _: redis::RedisResult<()> = redis::cmd("SHUTDOWN").query(&mut c);
    assert_eq!(srv.wait_exit(), 0);
    let dir = srv.dir.take().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_ringdis"))
        .args(["--port", "0", "--no-pin", "--databases", "4", "--dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("selects database 9, but there are only 4"),
        "{err}"
    );
}

#[test]
fn debug_is_off_by_default() {
    let srv = TestServer::start_with(1, |c| c.enable_debug_command = false);
    let e = redis::cmd("DEBUG")
        .arg("AOF-FAULT")
        .arg("EIO")
        .query::<()>(&mut srv.client())
        .unwrap_err();
    assert!(e.to_string().contains("DEBUG command not allowed"), "{e}");
}

/// A file of plain commands, as Redis 6 writes its AOF (or Redis 7 its base and incremental
/// files without the RDB preamble, or a person by hand), loads; ringdis appends its batches
/// after them, and the mixed file loads again. A command cut short at the end is cut off, as
/// Redis's aof-load-truncated does; an RDB file is named as one, with what to do.
#[test]
fn a_file_of_plain_redis_commands_loads() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("appendonly.aof");
    let mut plain = Vec::new();
    for cmd in [
        &["SELECT", "0"][..],
        &["SET", "a", "1"],
        &["RPUSH", "l", "x", "y"],
        &["SELECT", "2"],
        &["HSET", "h", "f", "v"],
        &["SELECT", "0"],
        &["INCR", "a"],
    ] {
        plain.extend_from_slice(&common::encode(
            &cmd.iter().map(|s| s.as_bytes()).collect::<Vec<_>>(),
        ));
    }
    std::fs::write(&path, &plain).unwrap();
    let mut srv = start_on(dir.path());
    let mut c = conn(srv.port);
    assert_eq!(q::<String>(&mut c, &["GET", "a"]), "2");
    assert_eq!(
        q::<Vec<String>>(&mut c, &["LRANGE", "l", "0", "-1"]),
        ["x", "y"]
    );
    let _: () = q(&mut c, &["SET", "b", "after"]);
    let _: redis::RedisResult<()> = redis::cmd("SHUTDOWN").query(&mut c);
    srv.wait_exit();
    // Plain commands, then ringdis's batches.
    assert!(std::fs::read(&path).unwrap().starts_with(&plain));
    let mut srv = start_on(dir.path());
    let mut c = conn(srv.port);
    assert_eq!(q::<String>(&mut c, &["GET", "b"]), "after");
    assert_eq!(q::<String>(&mut c, &["GET", "a"]), "2");
    let mut c2 = common::connect(&url(srv.port, 2));
    assert_eq!(q::<String>(&mut c2, &["HGET", "h", "f"]), "v");
    let _: redis::RedisResult<()> = redis::cmd("SHUTDOWN").query(&mut c);
    srv.wait_exit();

    // Cut inside the last command: the rest loads, the torn command goes.
    let mut torn = plain.clone();
    torn.extend_from_slice(b"*3\r\n$3\r\nSET\r\n$1\r\nz");
    std::fs::write(&path, &torn).unwrap();
    let srv = start_on(dir.path());
    let mut c = conn(srv.port);
    assert_eq!(q::<String>(&mut c, &["GET", "a"]), "2");
    assert_eq!(q::<Option<String>>(&mut c, &["GET", "z"]), None);
    drop(srv);

    // An RDB file: refused, saying what it is.
    std::fs::write(&path, b"REDIS0010\xfa\x09redis-ver\x067.0.15").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ringdis"))
        .args(["--port", "0", "--no-pin", "--dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("is an RDB file"), "{err}");
    assert!(!err.contains("--fix"), "{err}");
}

/// CONFIG SET dir, as Redis: the server moves there, SAVE writes there, and the append-only file
/// follows with a rewrite started at once, so a restart on the new directory finds every write
/// (the old directory keeps the old file). A directory that does not exist is refused with the
/// system's reason and nothing moves.
#[test]
fn config_set_dir_moves_snapshots_and_the_aof() {
    let old = tempfile::tempdir().unwrap();
    let new = tempfile::tempdir().unwrap();
    let srv = ChildServer::start(&[
        "--dir",
        old.path().to_str().unwrap(),
        "--enable-protected-configs",
        "yes",
    ]);
    let mut c = conn(srv.port);
    let _: () = q(&mut c, &["SET", "before", "1"]);
    let err = redis::cmd("CONFIG")
        .arg(&["SET", "dir", "/nonexistent/ringdis"])
        .query::<()>(&mut c)
        .unwrap_err();
    assert!(
        err.to_string().contains("No such file or directory"),
        "{err}"
    );
    let canonical = std::fs::canonicalize(old.path()).unwrap();
    let got: Vec<String> = q(&mut c, &["CONFIG", "GET", "dir"]);
    assert_eq!(got[1], canonical.to_str().unwrap());
    let _: () = q(
        &mut c,
        &["CONFIG", "SET", "dir", new.path().to_str().unwrap()],
    );
    let canonical = std::fs::canonicalize(new.path()).unwrap();
    let got: Vec<String> = q(&mut c, &["CONFIG", "GET", "dir"]);
    assert_eq!(got[1], canonical.to_str().unwrap());
    let _: () = q(&mut c, &["SET", "during", "2"]);
    eventually(|| {
        new.path().join("appendonly.aof").exists()
            && info_field(&mut c, "aof_rewrite_in_progress") == "0"
            && info_field(&mut c, "aof_rewrites") != "0"
    });
    let _: () = q(&mut c, &["SET", "after", "3"]);
    let _: () = q(&mut c, &["SAVE"]);
    assert!(new.path().join("dump.rdb").exists());
    assert!(!old.path().join("dump.rdb").exists());
    let _: redis::RedisResult<()> = redis::cmd("SHUTDOWN").query(&mut c);
    let mut srv = srv;
    assert_eq!(srv.wait_exit(), 0);
    let srv = ChildServer::start(&["--dir", new.path().to_str().unwrap()]);
    let mut c = conn(srv.port);
    for k in ["before", "during", "after"] {
        assert_eq!(q::<i64>(&mut c, &["EXISTS", k]), 1, "{k}");
    }
}
