//! RDB snapshots: SAVE, BGSAVE, save points, SHUTDOWN and SIGTERM saves, loading at start-up
//! with the AOF off, and dump.rdb files moving between ringdis and redis-server 7.0 both ways
//! (that half skipped, saying so, when redis-server is not installed).

mod common;
use common::dataset::{fill, same, snapshot};
use common::{connect, info_u64, ChildServer};
use std::path::Path;

type Con = redis::Connection;

/// SHUTDOWN with `how` (NOSAVE, SAVE, or nothing), then the exit code.
fn shutdown(c: &mut Con, s: &mut ChildServer, how: &[&str]) -> i32 {
    let _: () = redis::cmd("SHUTDOWN").arg(how).query(c).unwrap_or(());
    s.wait_exit()
}

fn start(dir: &Path, extra: &[&str]) -> ChildServer {
    let d = dir.to_string_lossy().into_owned();
    ChildServer::start(&[&["--appendonly", "no", "--dir", &d], extra].concat())
}

fn q<T: redis::FromRedisValue>(c: &mut Con, args: &[&str]) -> T {
    let mut cmd = redis::cmd(args[0]);
    for a in &args[1..] {
        cmd.arg(*a);
    }
    cmd.query(c).unwrap()
}

fn wait_bgsave(c: &mut Con) {
    common::eventually(|| info_u64(c, "persistence", "rdb_bgsave_in_progress") == 0);
}

#[test]
fn save_and_bgsave_load_back_at_start() {
    let d = tempfile::tempdir().unwrap();
    let mut s = start(d.path(), &[]);
    let mut c = connect(&format!("redis://127.0.0.1:{}/", s.port));
    fill(s.port);
    assert!(info_u64(&mut c, "persistence", "rdb_changes_since_last_save") > 0);
    let want = snapshot(s.port);
    let _: () = q(&mut c, &["SAVE"]);
    assert_eq!(info_u64(&mut c, "persistence", "rdb_saves"), 1);
    assert_eq!(
        info_u64(&mut c, "persistence", "rdb_changes_since_last_save"),
        0
    );
    let last: u64 = q(&mut c, &["LASTSAVE"]);
    assert_eq!(info_u64(&mut c, "persistence", "rdb_last_save_time"), last);
    shutdown(&mut c, &mut s, &["NOSAVE"]);
    let mut s = start(d.path(), &[]);
    same(snapshot(s.port), &want);
    let mut c = connect(&format!("redis://127.0.0.1:{}/", s.port));
    assert_eq!(
        info_u64(&mut c, "persistence", "rdb_last_load_keys_loaded"),
        want.len() as u64 - 1
    );

    // BGSAVE: a change after it is not in the file; one before it is.
    let _: () = q(&mut c, &["SET", "added", "before"]);
    let started: String = q(&mut c, &["BGSAVE"]);
    assert_eq!(started, "Background saving started");
    wait_bgsave(&mut c);
    let mut r = common::Raw::connect(s.port);
    let info = String::from_utf8_lossy(&r.cmd(&[b"INFO", b"persistence"])).into_owned();
    assert!(info.contains("rdb_last_bgsave_status:ok"), "{info}");
    let want = snapshot(s.port);
    let _: () = q(&mut c, &["SET", "after", "x"]);
    assert_eq!(r.cmd(&[b"BGSAVE", b"NOW"]), b"-ERR syntax error\r\n");
    assert_eq!(
        r.cmd(&[b"BGSAVE", b"SCHEDULE"]),
        b"+Background saving started\r\n"
    );
    wait_bgsave(&mut c);
    let _: () = q(&mut c, &["DEL", "after"]);
    shutdown(&mut c, &mut s, &["NOSAVE"]);
    let s = start(d.path(), &[]);
    let mut got = snapshot(s.port);
    assert_eq!(got.remove("0/after").as_deref(), Some("string [120] false"));
    same(got, &want);
}

#[test]
fn save_points_shutdown_and_sigterm_save() {
    let d = tempfile::tempdir().unwrap();
    // A save point of one change after one second.
    let mut s = start(d.path(), &["--save", "1 1"]);
    let mut c = connect(&format!("redis://127.0.0.1:{}/", s.port));
    let got: Vec<String> = q(&mut c, &["CONFIG", "GET", "save"]);
    assert_eq!(got, ["save", "1 1"]);
    let _: () = q(&mut c, &["SET", "a", "1"]);
    common::eventually(|| info_u64(&mut c, "persistence", "rdb_saves") >= 1);
    wait_bgsave(&mut c);
    assert_eq!(
        info_u64(&mut c, "persistence", "rdb_changes_since_last_save"),
        0
    );
    // SHUTDOWN with save points set saves first.
    let _: () = q(&mut c, &["SET", "b", "2"]);
    assert_eq!(shutdown(&mut c, &mut s, &[]), 0);
    // SIGTERM likewise.
    let mut s = start(d.path(), &["--save", "3600 1"]);
    let mut c = connect(&format!("redis://127.0.0.1:{}/", s.port));
    let got: Vec<Option<String>> = q(&mut c, &["MGET", "a", "b"]);
    assert_eq!(got, [Some("1".into()), Some("2".into())]);
    let _: () = q(&mut c, &["SET", "c", "3"]);
    // SAFETY: signals the child server we started.
    unsafe { libc::kill(s.child.id() as i32, libc::SIGTERM) };
    assert_eq!(s.wait_exit(), 0);
    // Without save points (ringdis's default), SHUTDOWN writes nothing; SHUTDOWN SAVE does.
    let mut s = start(d.path(), &[]);
    let mut c = connect(&format!("redis://127.0.0.1:{}/", s.port));
    let got: Option<String> = q(&mut c, &["GET", "c"]);
    assert_eq!(got.as_deref(), Some("3"));
    let _: () = q(&mut c, &["SET", "d", "4"]);
    shutdown(&mut c, &mut s, &[]);
    let mut s = start(d.path(), &[]);
    let mut c = connect(&format!("redis://127.0.0.1:{}/", s.port));
    let got: Option<String> = q(&mut c, &["GET", "d"]);
    assert_eq!(got, None);
    let _: () = q(&mut c, &["SET", "e", "5"]);
    shutdown(&mut c, &mut s, &["SAVE"]);
    let s = start(d.path(), &[]);
    let mut c = connect(&format!("redis://127.0.0.1:{}/", s.port));
    let got: Option<String> = q(&mut c, &["GET", "e"]);
    assert_eq!(got.as_deref(), Some("5"));
}

#[test]
fn expired_keys_are_left_out_and_a_bad_file_stops_start_up() {
    let d = tempfile::tempdir().unwrap();
    let mut s = start(d.path(), &[]);
    let mut c = connect(&format!("redis://127.0.0.1:{}/", s.port));
    let _: () = q(&mut c, &["SET", "soon", "v", "PX", "300"]);
    let _: () = q(&mut c, &["SET", "kept", "v"]);
    let _: () = q(&mut c, &["SAVE"]);
    shutdown(&mut c, &mut s, &["NOSAVE"]);
    // Past the deadline (a wall-clock one, as in the file).
    let at = std::time::Instant::now() + std::time::Duration::from_millis(400);
    while std::time::Instant::now() < at {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let s = start(d.path(), &[]);
    let mut c = connect(&format!("redis://127.0.0.1:{}/", s.port));
    assert_eq!(
        info_u64(&mut c, "persistence", "rdb_last_load_keys_expired"),
        1
    );
    assert_eq!(
        info_u64(&mut c, "persistence", "rdb_last_load_keys_loaded"),
        1
    );
    drop(s);

    // A damaged file: start-up stops and says where.
    let path = d.path().join("dump.rdb");
    let mut data = std::fs::read(&path).unwrap();
    let n = data.len();
    data[n - 3] ^= 0xff;
    std::fs::write(&path, &data).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ringdis"))
        .args(["--port", "0", "--no-pin", "--appendonly", "no", "--dir"])
        .arg(d.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("Fatal error loading the DB"), "{err}");
    assert!(err.contains("wrong RDB checksum"), "{err}");
    // The checker says the same.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ringdis-rdb-check"))
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("checksum"));
}

#[test]
fn dump_files_move_between_ringdis_and_redis_server() {
    // ringdis writes, redis-server loads.
    let d = tempfile::tempdir().unwrap();
    let mut s = start(d.path(), &[]);
    fill(s.port);
    let want = snapshot(s.port);
    let mut c = connect(&format!("redis://127.0.0.1:{}/", s.port));
    let _: () = q(&mut c, &["SAVE"]);
    shutdown(&mut c, &mut s, &["NOSAVE"]);
    let Some((mut redis_proc, rport)) = common::redis_server(d.path(), &[]) else {
        return;
    };
    same(snapshot(rport), &want);
    // redis-server writes (its own encodings: listpacks, intsets, quicklists), ringdis loads.
    let _ = redis_proc.kill();
    let _ = redis_proc.wait();
    let e = tempfile::tempdir().unwrap();
    let (mut redis_proc, rport) = common::redis_server(e.path(), &[]).unwrap();
    let mut rc = connect(&format!("redis://127.0.0.1:{rport}/"));
    fill(rport);
    let want = snapshot(rport);
    let _: () = q(&mut rc, &["SAVE"]);
    let _ = redis_proc.kill();
    let _ = redis_proc.wait();
    let s = start(e.path(), &[]);
    same(snapshot(s.port), &want);
    // And the checker reads Redis's file.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ringdis-rdb-check"))
        .arg(e.path().join("dump.rdb"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
}

/// Redis 7's appendonlydir, handed over as it is: written by hand (a base file of commands and
/// two incremental files, the last cut short), and by redis-server (an RDB base file).
#[test]
fn a_redis_7_appendonlydir_is_imported() {
    let d = tempfile::tempdir().unwrap();
    let ad = d.path().join("appendonlydir");
    std::fs::create_dir(&ad).unwrap();
    let cmd = |args: &[&str]| {
        let mut s = format!("*{}\r\n", args.len());
        for a in args {
            s += &format!("${}\r\n{a}\r\n", a.len());
        }
        s
    };
    std::fs::write(
        ad.join("appendonly.aof.manifest"),
        "file appendonly.aof.1.base.aof seq 1 type b\n\
         file appendonly.aof.2.incr.aof seq 2 type i\n\
         file appendonly.aof.1.incr.aof seq 1 type i\n",
    )
    .unwrap();
    std::fs::write(
        ad.join("appendonly.aof.1.base.aof"),
        cmd(&["SET", "a", "base"]) + &cmd(&["RPUSH", "l", "x"]),
    )
    .unwrap();
    std::fs::write(
        ad.join("appendonly.aof.1.incr.aof"),
        cmd(&["SELECT", "0"])
            + &cmd(&["MULTI"])
            + &cmd(&["SET", "a", "incr1"])
            + &cmd(&["RPUSH", "l", "y"])
            + &cmd(&["EXEC"]),
    )
    .unwrap();
    let torn = cmd(&["SET", "b", "incr2"]) + "*3\r\n$3\r\nSET\r\n$1\r\nc";
    std::fs::write(ad.join("appendonly.aof.2.incr.aof"), torn).unwrap();
    let dir = d.path().to_string_lossy().into_owned();
    let s = ChildServer::start(&["--dir", &dir]);
    let mut c = connect(&format!("redis://127.0.0.1:{}/", s.port));
    let got: Vec<Option<String>> = q(&mut c, &["MGET", "a", "b", "c"]);
    assert_eq!(got, [Some("incr1".into()), Some("incr2".into()), None]);
    let l: Vec<String> = q(&mut c, &["LRANGE", "l", "0", "-1"]);
    assert_eq!(l, ["x", "y"]);
    // The data now lives in ringdis's own file: a restart loads it (once, not twice).
    drop(s);
    let s = ChildServer::start(&["--dir", &dir]);
    let mut c = connect(&format!("redis://127.0.0.1:{}/", s.port));
    let l: Vec<String> = q(&mut c, &["LRANGE", "l", "0", "-1"]);
    assert_eq!(l, ["x", "y"]);
    drop(s);

    // redis-server's own directory: an RDB base file after a rewrite, then commands.
    let e = tempfile::tempdir().unwrap();
    let Some((mut redis_proc, rport)) = common::redis_server(e.path(), &["--appendonly", "yes"])
    else {
        return;
    };
    fill(rport);
    let mut rc = connect(&format!("redis://127.0.0.1:{rport}/"));
    let _: String = q(&mut rc, &["BGREWRITEAOF"]);
    common::eventually(|| {
        info_u64(&mut rc, "persistence", "aof_rewrite_in_progress") == 0
            && info_u64(&mut rc, "persistence", "aof_rewrite_scheduled") == 0
            && info_u64(&mut rc, "persistence", "aof_rewrites") >= 1
    });
    let _: () = q(&mut rc, &["SET", "after", "rewrite"]);
    let _: () = q(&mut rc, &["SADD", "ss", "new"]);
    let want = snapshot(rport);
    let _ = redis_proc.kill();
    let _ = redis_proc.wait();
    let dir = e.path().to_string_lossy().into_owned();
    let s = ChildServer::start(&["--dir", &dir]);
    same(snapshot(s.port), &want);
}
