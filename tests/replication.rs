//! Replication (Redis 7.0's PSYNC protocol) in its three pairings: a ringdis replica of a
//! ringdis master, a ringdis replica of redis-server 7.0, and a redis-server 7.0 replica of
//! ringdis (the redis-server halves skipped, saying so, when it is not installed). Random writes
//! of every type (expiries, MULTI, scripts, several databases) run while the replica follows;
//! afterwards the replica equals the master key by key. A killed replica link resumes with a
//! partial resync (asserted from the master's INFO); a master killed with SIGKILL and
//! restarted from its AOF is followed again after a full resync.

mod common;
use common::dataset::{fill, same, snapshot};
use common::{
    connect, eventually, free_port, info_u64, q, redis_server, redis_server_at, ChildServer,
};
use std::process::{Command, Stdio};

type Con = redis::Connection;

fn con(port: u16) -> Con {
    connect(&format!("redis://127.0.0.1:{port}/"))
}

/// INFO replication's text field `field`.
fn info_str(c: &mut Con, field: &str) -> String {
    let info: String = redis::cmd("INFO").arg("replication").query(c).unwrap();
    let prefix = format!("{field}:");
    info.lines()
        .find_map(|l| l.strip_prefix(prefix.as_str()))
        .unwrap_or_default()
        .trim()
        .to_string()
}

fn replicaof(replica: u16, master: u16) {
    let mut c = con(replica);
    let r: String = q(&mut c, &["REPLICAOF", "127.0.0.1", &master.to_string()]);
    assert!(r.starts_with("OK"), "{r}");
    eventually(|| info_str(&mut c, "master_link_status") == "up");
}

/// Random writes of every kind on `port`: strings with and without deadlines, counters, lists,
/// sets, hashes, sorted sets, streams, deletions, expiries, MULTI/EXEC, a script, and database 3.
fn churn(port: u16, seed: u64, n: usize) {
    let mut c = con(port);
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut next = |m: u64| {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (x >> 33) % m
    };
    for i in 0..n {
        let k = format!("k{}", next(40));
        let v = format!("v{i}");
        let mut p = redis::pipe();
        match next(16) {
            0 => p.cmd("SET").arg(&k).arg(&v),
            1 => p.cmd("SET").arg(&k).arg(&v).arg("EX").arg(1000),
            2 => p.cmd("INCRBY").arg(format!("n{}", next(5))).arg(next(100)),
            3 => p.cmd("RPUSH").arg(format!("l{}", next(5))).arg(&v),
            4 => p.cmd("LPOP").arg(format!("l{}", next(5))),
            5 => p.cmd("SADD").arg(format!("s{}", next(5))).arg(next(50)),
            6 => p.cmd("SREM").arg(format!("s{}", next(5))).arg(next(50)),
            7 => p
                .cmd("HSET")
                .arg(format!("h{}", next(5)))
                .arg(format!("f{}", next(20)))
                .arg(&v),
            8 => p
                .cmd("ZADD")
                .arg(format!("z{}", next(5)))
                .arg(next(1000) as f64 / 8.0)
                .arg(format!("m{}", next(30))),
            9 => p
                .cmd("XADD")
                .arg(format!("x{}", next(3)))
                .arg("*")
                .arg("f")
                .arg(&v),
            10 => p.cmd("DEL").arg(&k),
            11 => p.cmd("PEXPIRE").arg(&k).arg(500_000),
            12 => p
                .atomic()
                .cmd("SET")
                .arg(&k)
                .arg(&v)
                .cmd("INCR")
                .arg("txcount")
                .cmd("LPUSH")
                .arg("txlist")
                .arg(&v),
            13 => p
                .cmd("EVAL")
                .arg("redis.call('SET', KEYS[1], ARGV[1]) return redis.call('INCR', 'scripted')")
                .arg(1)
                .arg(&k)
                .arg(&v),
            14 => p
                .cmd("SELECT")
                .arg(3)
                .cmd("SET")
                .arg(&k)
                .arg(&v)
                .cmd("SELECT")
                .arg(0),
            _ => p
                .cmd("SET")
                .arg(format!("gone{i}"))
                .arg(&v)
                .arg("PX")
                .arg(1),
        };
        // Errors (a type clash) are part of the workload: the replica sees the same outcome.
        let _: Result<redis::Value, _> = p.query(&mut c);
    }
}

/// Waits until the replica applied the master's stream up to its offset now (WAIT would cover
/// only the asking connection's writes on redis-server), then compares the data.
fn converge(master: u16, replica: u16) {
    let mut m = con(master);
    let mut r = con(replica);
    let end = info_u64(&mut m, "replication", "master_repl_offset");
    eventually(|| info_u64(&mut r, "replication", "slave_repl_offset") >= end);
    let clean = |mut s: std::collections::BTreeMap<String, String>| {
        s.retain(|k, _| !k.contains("/gone"));
        s
    };
    same(clean(snapshot(replica)), &clean(snapshot(master)));
}

/// ringdis on a fixed port with its files in `dir` (restartable there).
fn ringdis_at(port: u16, dir: &std::path::Path) -> ChildServer {
    ringdis_in(dir, None, port)
}

/// ringdis with its files in `dir`, reading `conf` first if given, on `port` (0: a free one).
fn ringdis_in(dir: &std::path::Path, conf: Option<&std::path::Path>, port: u16) -> ChildServer {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ringdis"));
    if let Some(c) = conf {
        cmd.arg(c);
    }
    cmd.args(["--port", &port.to_string(), "--no-pin", "--threads", "2"])
        .arg("--dir")
        .arg(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    ChildServer::from_command(cmd, None)
}

/// redis-server on a fixed port with its files in `dir`, AOF everysec (restartable there).
fn redis_at(port: u16, dir: &std::path::Path, extra: &[&str]) -> Option<std::process::Child> {
    redis_server_at(port, dir, &[extra, &["--appendonly", "yes"]].concat())
}

#[test]
fn ringdis_replica_of_ringdis() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut master = ringdis_at(port, dir.path());
    let replica = ChildServer::start(&["--threads", "2"]);
    fill(port);
    replicaof(replica.port, port);
    let mut r = con(replica.port);
    let role: redis::Value = q(&mut r, &["ROLE"]);
    assert!(format!("{role:?}").contains("slave"), "{role:?}");
    // Writes while the replica follows, from two clients at once.
    let t = std::thread::spawn(move || churn(port, 1, 1500));
    churn(port, 2, 1500);
    t.join().unwrap();
    converge(port, replica.port);
    // A read-only replica refuses clients' writes.
    let e = redis::cmd("SET")
        .arg("a")
        .arg("b")
        .query::<()>(&mut r)
        .unwrap_err();
    assert!(e.to_string().contains("read only replica"), "{e}");

    // The link dies: the replica comes back with a partial resync from the backlog.
    let mut m = con(port);
    let before = info_u64(&mut m, "stats", "sync_partial_ok");
    let full = info_u64(&mut m, "stats", "sync_full");
    let _: i64 = q(&mut m, &["CLIENT", "KILL", "TYPE", "replica"]);
    churn(port, 3, 300);
    eventually(|| info_u64(&mut m, "stats", "sync_partial_ok") > before);
    assert_eq!(info_u64(&mut m, "stats", "sync_full"), full);
    converge(port, replica.port);

    // The master is killed (AOF everysec: it may lose its last second, which the replica then
    // drops too) and restarted on its port: the replica follows it again, through a full resync
    // (the restarted master has a new replication ID).
    master.child.kill().unwrap();
    master.child.wait().unwrap();
    eventually(|| info_str(&mut r, "master_link_status") == "down");
    let _master = ringdis_at(port, dir.path());
    let mut m = con(port);
    eventually(|| info_str(&mut r, "master_link_status") == "up");
    assert_eq!(info_u64(&mut m, "stats", "sync_full"), 1);
    churn(port, 4, 300);
    converge(port, replica.port);
}

#[test]
fn commands_and_failover() {
    let master = ChildServer::start(&["--threads", "2"]);
    let a = ChildServer::start(&["--threads", "2"]);
    let b = ChildServer::start(&["--threads", "2"]);
    let mut m = con(master.port);
    // No replica: WAIT times out with 0; ROLE and INFO say master.
    let n: i64 = q(&mut m, &["WAIT", "1", "50"]);
    assert_eq!(n, 0);
    assert_eq!(info_str(&mut m, "role"), "master");
    let e = redis::cmd("REPLCONF")
        .arg("nonsense")
        .arg("1")
        .query::<()>(&mut m)
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("Unrecognized REPLCONF option: nonsense"),
        "{e}"
    );
    let ok: String = q(&mut m, &["REPLCONF", "listening-port", "1234"]);
    assert_eq!(ok, "OK");
    replicaof(a.port, master.port);
    replicaof(b.port, master.port);
    let mut ca = con(a.port);
    let again: String = q(
        &mut ca,
        &["REPLICAOF", "127.0.0.1", &master.port.to_string()],
    );
    assert_eq!(again, "OK Already connected to specified master");
    let _: String = q(&mut m, &["SET", "x", "1"]);
    let n: i64 = q(&mut m, &["WAIT", "2", "10000"]);
    assert_eq!(n, 2);
    eventually(|| info_u64(&mut m, "replication", "connected_slaves") == 2);
    let info: String = redis::cmd("INFO").arg("replication").query(&mut m).unwrap();
    assert!(
        info.contains(&format!("port={},state=online", a.port)),
        "{info}"
    );
    let role: Vec<redis::Value> = q(&mut m, &["ROLE"]);
    assert_eq!(role.len(), 3);
    let e = redis::cmd("WAIT")
        .arg(1)
        .arg(0)
        .query::<()>(&mut ca)
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("WAIT cannot be used with replica instances"),
        "{e}"
    );
    // min-replicas-to-write: more good replicas than there are refuses writes.
    let _: () = redis::cmd("CONFIG")
        .arg(&["SET", "min-replicas-to-write", "3"])
        .query(&mut m)
        .unwrap();
    let e = redis::cmd("SET")
        .arg("y")
        .arg("1")
        .query::<()>(&mut m)
        .unwrap_err();
    assert!(e.to_string().contains("NOREPLICAS"), "{e}");
    // INFO counts the good replicas, as Redis's min_slaves_good_slaves does.
    assert_eq!(info_u64(&mut m, "replication", "min_slaves_good_slaves"), 2);
    let _: () = redis::cmd("CONFIG")
        .arg(&["SET", "min-replicas-to-write", "0"])
        .query(&mut m)
        .unwrap();

    // Failover: A becomes the master; B follows it with a partial resync (A keeps the old
    // replication ID as its second one), and sees A's new writes.
    let old_id = info_str(&mut m, "master_replid");
    let _: String = q(&mut ca, &["REPLICAOF", "NO", "ONE"]);
    assert_eq!(info_str(&mut ca, "role"), "master");
    assert_eq!(info_str(&mut ca, "master_replid2"), old_id);
    replicaof(b.port, a.port);
    assert_eq!(info_u64(&mut ca, "stats", "sync_partial_ok"), 1);
    assert_eq!(info_u64(&mut ca, "stats", "sync_full"), 0);
    let _: String = q(&mut ca, &["SET", "after-failover", "yes"]);
    let n: i64 = q(&mut ca, &["WAIT", "1", "10000"]);
    assert_eq!(n, 1);
    let mut cb = con(b.port);
    let v: String = q(&mut cb, &["GET", "after-failover"]);
    assert_eq!(v, "yes");
    let v: String = q(&mut cb, &["GET", "x"]);
    assert_eq!(v, "1");
}

#[test]
fn ringdis_replica_of_redis_server() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let extra = ["--repl-diskless-sync-delay", "0"];
    let Some(mut child) = redis_at(port, dir.path(), &extra) else {
        return;
    };
    let replica = ChildServer::start(&["--threads", "2"]);
    fill(port);
    replicaof(replica.port, port);
    churn(port, 5, 1500);
    converge(port, replica.port);
    // Redis's replica link dies: partial resync.
    let mut m = con(port);
    let before = info_u64(&mut m, "stats", "sync_partial_ok");
    let _: i64 = q(&mut m, &["CLIENT", "KILL", "TYPE", "replica"]);
    churn(port, 6, 200);
    eventually(|| info_u64(&mut m, "stats", "sync_partial_ok") > before);
    converge(port, replica.port);
    // redis-server is killed (AOF everysec) and restarted: the replica follows it again.
    child.kill().unwrap();
    child.wait().unwrap();
    let mut r = con(replica.port);
    eventually(|| info_str(&mut r, "master_link_status") == "down");
    let mut child = redis_at(port, dir.path(), &extra).unwrap();
    eventually(|| info_str(&mut r, "master_link_status") == "up");
    churn(port, 9, 300);
    converge(port, replica.port);
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn redis_server_replica_of_ringdis() {
    let dir = tempfile::tempdir().unwrap();
    let mport = free_port();
    let mut master = ringdis_at(mport, dir.path());
    let rdir = tempfile::tempdir().unwrap();
    let Some((mut child, port)) = redis_server(rdir.path(), &[]) else {
        return;
    };
    fill(mport);
    replicaof(port, mport);
    churn(mport, 7, 1500);
    converge(mport, port);
    let mut m = con(mport);
    let before = info_u64(&mut m, "stats", "sync_partial_ok");
    let _: i64 = q(&mut m, &["CLIENT", "KILL", "TYPE", "replica"]);
    churn(mport, 8, 200);
    eventually(|| info_u64(&mut m, "stats", "sync_partial_ok") > before);
    converge(mport, port);
    // ringdis is killed (AOF everysec) and restarted: redis-server follows it again.
    master.child.kill().unwrap();
    master.child.wait().unwrap();
    let mut r = con(port);
    eventually(|| info_str(&mut r, "master_link_status") == "down");
    let _master = ringdis_at(mport, dir.path());
    eventually(|| info_str(&mut r, "master_link_status") == "up");
    churn(mport, 10, 300);
    converge(mport, port);
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn masterauth_and_replica_of_a_protected_master() {
    let master = ChildServer::start(&["--threads", "2", "--requirepass", "s3cret"]);
    let replica = ChildServer::start(&["--threads", "2"]);
    let mut m = connect(&format!("redis://:s3cret@127.0.0.1:{}/", master.port));
    let _: String = q(&mut m, &["SET", "guarded", "v"]);
    let mut r = con(replica.port);
    // Without masterauth the link cannot come up.
    let _: String = q(
        &mut r,
        &["REPLICAOF", "127.0.0.1", &master.port.to_string()],
    );
    assert_eq!(info_str(&mut r, "master_link_status"), "down");
    let _: () = redis::cmd("CONFIG")
        .arg(&["SET", "masterauth", "s3cret"])
        .query(&mut r)
        .unwrap();
    eventually(|| info_str(&mut r, "master_link_status") == "up");
    let v: String = q(&mut r, &["GET", "guarded"]);
    assert_eq!(v, "v");
}

#[test]
fn a_replica_without_its_master() {
    let replica = ChildServer::start(&["--threads", "2"]);
    let mut r = con(replica.port);
    let _: String = q(&mut r, &["SET", "k", "v"]);
    // Nothing listens there: the link stays down.
    let _: String = q(
        &mut r,
        &["REPLICAOF", "127.0.0.1", &free_port().to_string()],
    );
    assert_eq!(info_str(&mut r, "master_link_status"), "down");
    let role: Vec<redis::Value> = q(&mut r, &["ROLE"]);
    assert_eq!(role.len(), 5);
    // PSYNC to a replica whose link is down is refused as Redis refuses it.
    let mut raw = common::Raw::connect(replica.port);
    assert_eq!(
        raw.cmd(&[b"PSYNC", b"?", b"-1"]),
        b"-NOMASTERLINK Can't SYNC while not connected with my master\r\n"
    );
    // Stale data is served by default; with replica-serve-stale-data no only STALE commands.
    let v: String = q(&mut r, &["GET", "k"]);
    assert_eq!(v, "v");
    let _: () = redis::cmd("CONFIG")
        .arg(&["SET", "replica-serve-stale-data", "no"])
        .query(&mut r)
        .unwrap();
    let e = redis::cmd("GET")
        .arg("k")
        .query::<String>(&mut r)
        .unwrap_err();
    assert!(e.to_string().contains("Link with MASTER is down"), "{e}");
    assert_eq!(info_str(&mut r, "role"), "slave");
    // Back to a master: writes and reads again.
    let _: String = q(&mut r, &["REPLICAOF", "NO", "ONE"]);
    let _: String = q(&mut r, &["SET", "k", "w"]);
    let v: String = q(&mut r, &["GET", "k"]);
    assert_eq!(v, "w");
}

#[test]
fn config_rewrite_keeps_the_role() {
    let master = ChildServer::start(&["--threads", "2"]);
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("ringdis.conf");
    std::fs::write(&conf, "appendonly no\n").unwrap();
    let replica = ringdis_in(dir.path(), Some(&conf), 0);
    replicaof(replica.port, master.port);
    let mut r = con(replica.port);
    let got: Vec<String> = q(&mut r, &["CONFIG", "GET", "replicaof"]);
    assert_eq!(got[1], format!("127.0.0.1 {}", master.port));
    let _: String = q(&mut r, &["CONFIG", "REWRITE"]);
    let text = std::fs::read_to_string(&conf).unwrap();
    assert!(
        text.contains(&format!("\nreplicaof 127.0.0.1 {}\n", master.port)),
        "{text}"
    );
    // Promoted (as Sentinel does it): the rewritten file makes it a master after a restart.
    let _: String = q(&mut r, &["REPLICAOF", "NO", "ONE"]);
    let _: String = q(&mut r, &["CONFIG", "REWRITE"]);
    let text = std::fs::read_to_string(&conf).unwrap();
    assert!(!text.contains("replicaof"), "{text}");
}

/// A replica of `master` started from `dir/ringdis.conf` (`replicaof`, then `extra`): its
/// starter (it restarts on the same files), and its first run with the link up.
fn replica_in<'a>(
    dir: &'a std::path::Path,
    master: u16,
    extra: &str,
) -> (impl Fn() -> ChildServer + 'a, ChildServer) {
    let conf = dir.join("ringdis.conf");
    std::fs::write(&conf, format!("replicaof 127.0.0.1 {master}\n{extra}")).unwrap();
    let start = move || ringdis_in(dir, Some(&conf), 0);
    let replica = start();
    let mut r = con(replica.port);
    eventually(|| info_str(&mut r, "master_link_status") == "up");
    (start, replica)
}

/// Stops the replica with `stop` while the master writes on, starts it again, and checks that
/// it continued with a partial resync (the master's INFO) and ends equal to the master.
fn resumes_with_a_partial_resync(
    master: u16,
    stop: impl FnOnce(),
    start: impl Fn() -> ChildServer,
    seed: u64,
) {
    let mut m = con(master);
    let full = info_u64(&mut m, "stats", "sync_full");
    let partial = info_u64(&mut m, "stats", "sync_partial_ok");
    churn(master, seed, 300);
    stop();
    churn(master, seed + 1, 300);
    let replica = start();
    converge(master, replica.port);
    assert_eq!(info_u64(&mut m, "stats", "sync_full"), full);
    assert_eq!(info_u64(&mut m, "stats", "sync_partial_ok"), partial + 1);
}

#[test]
fn a_replica_stopped_cleanly_resumes_with_a_partial_resync() {
    let master = ChildServer::start(&["--threads", "2"]);
    let dir = tempfile::tempdir().unwrap();
    let (start, mut replica) = replica_in(dir.path(), master.port, "");
    fill(master.port);
    churn(master.port, 11, 800);
    converge(master.port, replica.port);
    // A clean stop (SHUTDOWN), then a restart from its AOF.
    let stop = || {
        let _: Result<(), _> = redis::cmd("SHUTDOWN")
            .arg("NOSAVE")
            .query(&mut con(replica.port));
        replica.wait_exit();
    };
    resumes_with_a_partial_resync(master.port, stop, start, 12);
}

/// A replica that keeps RDB files, as Redis's does: the file holds where its data stands in the
/// master's stream (repl-id, repl-offset, repl-stream-db), taken with the data while the stream
/// is being applied, so a replica killed with SIGKILL and restarted from its last snapshot
/// continues with a partial resync and ends equal to the master.
#[test]
fn a_replica_killed_after_a_snapshot_resumes_from_it_with_a_partial_resync() {
    let master = ChildServer::start(&["--threads", "2"]);
    let dir = tempfile::tempdir().unwrap();
    let (start, replica) = replica_in(dir.path(), master.port, "appendonly no\nsave \"\"\n");
    let mut r = con(replica.port);
    fill(master.port);
    // Snapshots taken while the stream is applied: each must pair its data with its offset.
    let port = master.port;
    let writer = std::thread::spawn(move || churn(port, 21, 1500));
    for _ in 0..5 {
        let _: Result<(), _> = redis::cmd("BGSAVE").query(&mut r);
        eventually(|| info_u64(&mut r, "persistence", "rdb_bgsave_in_progress") == 0);
    }
    writer.join().unwrap();
    let _: () = redis::cmd("SAVE").query(&mut r).unwrap();
    // Killed with SIGKILL after more writes, then a restart from the snapshot.
    resumes_with_a_partial_resync(master.port, || drop(replica), start, 22);
}

/// The link to the master is the replica's `master` client, as in Redis: CLIENT LIST shows it
/// (`flags=M`, the master's address), and CLIENT KILL TYPE master closes it; the replica then
/// connects again and continues with a partial resync.
#[test]
fn the_master_link_is_the_master_client() {
    let master = ChildServer::start(&["--threads", "2"]);
    let replica = ChildServer::start(&["--threads", "2"]);
    replicaof(replica.port, master.port);
    let mut r = con(replica.port);
    eventually(|| info_str(&mut r, "master_link_status") == "up");
    let listed: String = redis::cmd("CLIENT")
        .arg(&["LIST", "TYPE", "master"])
        .query(&mut r)
        .unwrap();
    assert_eq!(listed.lines().count(), 1, "{listed}");
    assert!(listed.contains(" flags=M "), "{listed}");
    assert!(
        listed.contains(&format!("addr=127.0.0.1:{} ", master.port)),
        "{listed}"
    );
    let normal: String = redis::cmd("CLIENT")
        .arg(&["LIST", "TYPE", "normal"])
        .query(&mut r)
        .unwrap();
    assert!(!normal.contains("flags=M"), "{normal}");
    let mut m = con(master.port);
    let _: () = redis::cmd("SET")
        .arg(&["before", "1"])
        .query(&mut m)
        .unwrap();
    converge(master.port, replica.port);
    let partial = info_u64(&mut m, "stats", "sync_partial_ok");
    let killed: i64 = redis::cmd("CLIENT")
        .arg(&["KILL", "TYPE", "master"])
        .query(&mut r)
        .unwrap();
    assert_eq!(killed, 1);
    eventually(|| info_u64(&mut m, "stats", "sync_partial_ok") == partial + 1);
    eventually(|| info_str(&mut r, "master_link_status") == "up");
    let _: () = redis::cmd("SET")
        .arg(&["after", "1"])
        .query(&mut m)
        .unwrap();
    converge(master.port, replica.port);
    // INFO clients counts as Redis does: a master leaves its replicas' links out, a replica
    // counts its link to the master.
    eventually(|| info_u64(&mut m, "clients", "connected_clients") == 1);
    eventually(|| info_u64(&mut r, "clients", "connected_clients") == 2);
}

/// A replication stream from `port`, read as a replica would: PSYNC, the snapshot skipped.
fn open_stream(port: u16) -> common::Raw {
    let mut r = common::Raw::connect(port);
    r.send(&common::encode(&[b"PSYNC", b"?", b"-1"]));
    let crlf = |b: &[u8]| b.windows(2).position(|w| w == b"\r\n");
    let b = r.read_until(|b| b.starts_with(b"+FULLRESYNC") && crlf(b).is_some());
    let line_end = crlf(b).unwrap() + 2;
    b.drain(..line_end);
    // Newlines keep the link alive while the snapshot is made; then `$<len>\r\n<bytes>`.
    let b = r.read_until(|b| {
        let t = b.iter().position(|&c| c != b'\n').unwrap_or(b.len());
        b[t..].starts_with(b"$") && crlf(&b[t..]).is_some()
    });
    let start = b.iter().position(|&c| c == b'$').unwrap();
    let end = start + crlf(&b[start..]).unwrap();
    let len: usize = std::str::from_utf8(&b[start + 1..end])
        .unwrap()
        .parse()
        .unwrap();
    let b = r.read_until(|b| b.len() >= end + 2 + len);
    b.drain(..end + 2 + len);
    r
}

/// The stream up to and including the record that mentions `marker`, as text with spaces for
/// line ends.
fn stream_until(r: &mut common::Raw, marker: &str) -> String {
    let text = |b: &[u8]| String::from_utf8_lossy(b).replace("\r\n", " ");
    text(r.read_until(|b| text(b).contains(marker)))
}

/// `redis.set_repl` narrows where a script's later writes go, as in Redis: REPL_NONE to
/// neither the AOF nor the replicas, REPL_AOF and REPL_REPLICA to one of them. MULTI/EXEC wrap
/// a script's writes only when more than one is propagated.
#[test]
fn a_script_s_set_repl_narrows_where_its_writes_go() {
    let mut srv = common::TestServer::start(2);
    let mut stream = open_stream(srv.port);
    let mut c = srv.client();
    let scripts = [
        "redis.call('set', 'solo', '1')",
        "redis.set_repl(redis.REPL_NONE) redis.call('set', 'none', '1') \
         redis.set_repl(redis.REPL_ALL) redis.call('set', 'all', '1')",
        "redis.set_repl(redis.REPL_AOF) redis.call('set', 'aof', '1') \
         redis.set_repl(redis.REPL_REPLICA) redis.call('set', 'replica', '1') \
         redis.call('set', 'replica2', '1')",
        "redis.set_repl(redis.REPL_SLAVE) redis.call('set', 'slave', '1')",
    ];
    for s in scripts {
        let _: () = redis::cmd("EVAL").arg(s).arg(0).query(&mut c).unwrap();
    }
    // Inside a transaction the narrowing ends with the script.
    let _: () = redis::pipe()
        .atomic()
        .cmd("SET")
        .arg("tx1")
        .arg("1")
        .cmd("EVAL")
        .arg("redis.set_repl(redis.REPL_NONE) redis.call('set', 'txnone', '1')")
        .arg(0)
        .cmd("SET")
        .arg("tx2")
        .arg("1")
        .query(&mut c)
        .unwrap();
    let _: () = q(&mut c, &["SET", "end", "1"]);
    let text = stream_until(&mut stream, "$3 end");
    let set = |k: &str| format!("*3 $3 SET ${} {k} $1 1 ", k.len());
    let wanted = [
        set("solo"),
        set("all"),
        format!(
            "*1 $5 MULTI {}{}*1 $4 EXEC ",
            set("replica"),
            set("replica2")
        ),
        set("slave"),
        format!("*1 $5 MULTI {}{}*1 $4 EXEC ", set("tx1"), set("tx2")),
    ]
    .concat();
    assert!(text.contains(&wanted), "{text}");
    for k in ["none", "aof", "txnone"] {
        assert!(!text.contains(&format!(" {k} ")), "{k}: {text}");
    }
    // The AOF: what went to it, replayed after a restart.
    drop(c);
    srv.restart();
    let mut c = srv.client();
    for (k, kept) in [
        ("solo", true),
        ("none", false),
        ("all", true),
        ("aof", true),
        ("replica", false),
        ("replica2", false),
        ("slave", false),
        ("tx1", true),
        ("txnone", false),
        ("tx2", true),
    ] {
        assert_eq!(q::<i64>(&mut c, &["EXISTS", k]), kept as i64, "{k}");
    }
}
