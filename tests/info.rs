//! INFO: every field redis-server 7.0.15 prints (list in tests/fixtures), the sections of the
//! default, `all` and `everything` forms, and the counters ringdis keeps.

mod common;
use common::{eventually, info_u64, q, TestServer};
use std::collections::BTreeSet;

fn fields(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter(|l| !l.starts_with('#') && l.contains(':'))
        .map(|l| l.split(':').next().unwrap().to_string())
        .filter(|f| {
            !["cmdstat_", "errorstat_", "latency_percentiles_usec_", "db"]
                .iter()
                .any(|p| f.starts_with(p))
        })
        .collect()
}

fn sections(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| l.starts_with("# "))
        .map(|l| l[2..].trim().to_string())
        .collect()
}

#[test]
fn every_redis_field_and_section() {
    let srv = TestServer::start(2);
    let mut c = srv.client();
    q::<()>(&mut c, &["SET", "k", "v"]);
    let all: String = q(&mut c, &["INFO", "everything"]);
    let ours = fields(&all);
    let want = std::fs::read_to_string("tests/fixtures/redis70_info_fields.txt").unwrap();
    let missing: Vec<&str> = want.lines().filter(|f| !ours.contains(*f)).collect();
    assert!(missing.is_empty(), "missing INFO fields: {missing:?}");
    let default: String = q(&mut c, &["INFO"]);
    assert_eq!(
        sections(&default),
        [
            "Server",
            "Clients",
            "Memory",
            "Persistence",
            "Stats",
            "Replication",
            "CPU",
            "Modules",
            "Errorstats",
            "Cluster",
            "Keyspace"
        ]
    );
    let all: String = q(&mut c, &["INFO", "all"]);
    assert_eq!(
        sections(&all),
        [
            "Server",
            "Clients",
            "Memory",
            "Persistence",
            "Stats",
            "Replication",
            "CPU",
            "Modules",
            "Commandstats",
            "Errorstats",
            "Latencystats",
            "Cluster",
            "Keyspace"
        ]
    );
}

#[test]
fn counters() {
    let srv = TestServer::start(2);
    let mut c = srv.client();
    let mut r = srv.raw();
    r.cmd(&[b"LPUSH", b"l", b"a"]);
    r.cmd(&[b"GET", b"l"]);
    r.cmd(&[b"NOSUCH"]);
    r.cmd(&[b"GET"]);
    let text: String = q(&mut c, &["INFO", "errorstats"]);
    assert!(text.contains("errorstat_WRONGTYPE:count=1"), "{text}");
    assert!(text.contains("errorstat_ERR:count=2"), "{text}");
    assert_eq!(info_u64(&mut c, "stats", "total_error_replies"), 3);
    assert!(info_u64(&mut c, "stats", "total_net_input_bytes") > 0);
    assert!(info_u64(&mut c, "stats", "total_net_output_bytes") > 0);
    assert!(info_u64(&mut c, "stats", "total_reads_processed") >= 4);
    assert!(info_u64(&mut c, "persistence", "rdb_changes_since_last_save") >= 1);
    q::<()>(&mut c, &["CONFIG", "RESETSTAT"]);
    let text: String = q(&mut c, &["INFO", "errorstats"]);
    assert!(!text.contains("errorstat_"), "{text}");
    assert_eq!(info_u64(&mut c, "stats", "total_error_replies"), 0);
    // Channels and patterns with subscribers.
    let mut sub = srv.raw();
    sub.cmd(&[b"SUBSCRIBE", b"a", b"b"]);
    sub.cmd(&[b"PSUBSCRIBE", b"p*"]);
    // SUBSCRIBE answers once per channel, so the raw reads above may run
    // ahead of PSUBSCRIBE: wait for both counts.
    eventually(|| {
        info_u64(&mut c, "stats", "pubsub_channels") == 2
            && info_u64(&mut c, "stats", "pubsub_patterns") == 1
    });
    // A client sending commands without pause shows in instantaneous_ops_per_sec.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let busy = {
        let stop = stop.clone();
        let mut b = srv.client();
        std::thread::spawn(move || {
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let _: () = redis::cmd("PING").query(&mut b).unwrap();
            }
        })
    };
    eventually(|| info_u64(&mut c, "stats", "instantaneous_ops_per_sec") > 0);
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    busy.join().unwrap();
}

/// MEMORY (what redis-cli --memkeys and monitoring tools read), LASTSAVE and ROLE.
#[test]
fn memory_lastsave_role() {
    let srv = TestServer::start(2);
    let mut r = srv.raw();
    common::check_replies(
        &mut r,
        &[
            ("SET k hello", "+OK\r\n"),
            ("MEMORY USAGE nokey", "$-1\r\n"),
            (
                "MEMORY USAGE k samples x",
                "-ERR value is not an integer or out of range\r\n",
            ),
            ("MEMORY USAGE k foo", "-ERR syntax error\r\n"),
            ("MEMORY PURGE", "+OK\r\n"),
            ("ROLE", "*3\r\n$6\r\nmaster\r\n:0\r\n*0\r\n"),
            (
                "MEMORY foo",
                "-ERR unknown subcommand 'foo'. Try MEMORY HELP.\r\n",
            ),
        ],
    );
    let mut c = srv.client();
    let small: i64 = q(&mut c, &["MEMORY", "USAGE", "k"]);
    let _: () = q(&mut c, &["SET", "big", &"x".repeat(10_000)]);
    let big: i64 = q(&mut c, &["MEMORY", "USAGE", "big"]);
    assert!(small > 5 && big > 10_000 && big > small);
    for i in 0..100 {
        let _: () = q(&mut c, &["RPUSH", "l", &format!("element-{i}")]);
    }
    let all: i64 = q(&mut c, &["MEMORY", "USAGE", "l", "SAMPLES", "0"]);
    assert!(all > 100 * 10, "{all}");
    let stats: std::collections::HashMap<String, redis::Value> = q(&mut c, &["MEMORY", "STATS"]);
    for f in [
        "peak.allocated",
        "total.allocated",
        "keys.count",
        "dataset.bytes",
        "db.0",
    ] {
        assert!(stats.contains_key(f), "{f} missing");
    }
    let started: i64 = q(&mut c, &["LASTSAVE"]);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!(started <= now && started > now - 3600);
}
