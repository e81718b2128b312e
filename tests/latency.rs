//! Latency tracking: LATENCY HISTOGRAM, INFO latencystats, CONFIG latency-tracking, RESETSTAT,
//! and the slow log (reply shapes as Redis 7.0.15 gives them).

mod common;
use common::{q, TestServer};
use redis::Value;

#[test]
fn latency_histograms_and_info() {
    let srv = TestServer::start(2);
    let mut c = srv.client();
    for i in 0..50 {
        let _: () = q(&mut c, &["SET", "k", &i.to_string()]);
    }
    // {"set": {"calls": 50, "histogram_usec": {bucket: cumulative, ...}}}
    let v: Value = q(&mut c, &["LATENCY", "HISTOGRAM", "set", "nosuchcmd"]);
    let Value::Array(top) = v else {
        panic!("{v:?}")
    };
    assert_eq!(top.len(), 2);
    assert_eq!(top[0], Value::BulkString(b"set".to_vec()));
    let Value::Array(inner) = &top[1] else {
        panic!()
    };
    assert_eq!(inner[0], Value::BulkString(b"calls".to_vec()));
    assert_eq!(inner[1], Value::Int(50));
    assert_eq!(inner[2], Value::BulkString(b"histogram_usec".to_vec()));
    let Value::Array(b) = &inner[3] else { panic!() };
    let last = match b.last() {
        Some(Value::Int(n)) => *n,
        other => panic!("{other:?}"),
    };
    assert_eq!(last, 50, "the last bucket's cumulative count is every call");
    let info: String = q(&mut c, &["INFO", "latencystats"]);
    let line = info
        .lines()
        .find(|l| l.starts_with("latency_percentiles_usec_set:"))
        .unwrap_or_else(|| panic!("{info}"));
    assert!(
        line.contains(":p50=") && line.contains(",p99=") && line.contains(",p99.9="),
        "{line}"
    );
    // Off: nothing more is recorded. RESETSTAT clears.
    let _: () = q(&mut c, &["CONFIG", "SET", "latency-tracking", "no"]);
    assert_eq!(
        q::<Vec<String>>(&mut c, &["CONFIG", "GET", "latency-tracking"]),
        ["latency-tracking", "no"]
    );
    let _: () = q(&mut c, &["SET", "k", "x"]);
    let v: Value = q(&mut c, &["LATENCY", "HISTOGRAM", "set"]);
    assert!(format!("{v:?}").contains("int(50)"), "{v:?}");
    let _: () = q(&mut c, &["CONFIG", "RESETSTAT"]);
    assert_eq!(
        q::<Value>(&mut c, &["LATENCY", "HISTOGRAM", "set"]),
        Value::Array(vec![])
    );
    let _: () = q(
        &mut c,
        &[
            "CONFIG",
            "SET",
            "latency-tracking-info-percentiles",
            "50 99.99",
        ],
    );
    let _: () = q(&mut c, &["CONFIG", "SET", "latency-tracking", "yes"]);
    let _: () = q(&mut c, &["SET", "k", "x"]);
    let info: String = q(&mut c, &["INFO", "latencystats"]);
    assert!(info.contains("latency_percentiles_usec_set:p50="), "{info}");
    assert!(info.contains(",p99.99="), "{info}");
}

#[test]
fn slowlog_records_slow_commands() {
    let srv = TestServer::start(1);
    let mut c = srv.client();
    let _: () = q(&mut c, &["CONFIG", "SET", "slowlog-log-slower-than", "0"]);
    let _: () = q(&mut c, &["SET", "k", &"v".repeat(200)]);
    let _: i64 = q(&mut c, &["SLOWLOG", "LEN"]);
    let v: Vec<Value> = q(&mut c, &["SLOWLOG", "GET", "2"]);
    assert_eq!(v.len(), 2);
    // The newest first: SLOWLOG LEN, then the SET with its value cut at 128 bytes.
    let Value::Array(e) = &v[1] else { panic!() };
    assert_eq!(e.len(), 6);
    let Value::Array(args) = &e[3] else { panic!() };
    let want = format!("{}... (72 more bytes)", "v".repeat(128));
    assert_eq!(args[2], Value::BulkString(want.into_bytes()));
    let _: () = q(&mut c, &["SLOWLOG", "RESET"]);
    let _: () = q(&mut c, &["CONFIG", "SET", "slowlog-log-slower-than", "-1"]);
    let _: () = q(&mut c, &["SET", "k", "v"]);
    assert_eq!(
        q::<i64>(&mut c, &["SLOWLOG", "LEN"]),
        1,
        "only the SLOWLOG RESET itself was logged"
    );
    let e = redis::cmd("SLOWLOG")
        .arg("GET")
        .arg(-2)
        .query::<Value>(&mut c)
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("count should be greater than or equal to -1"),
        "{e}"
    );
}

/// The latency monitor: off at threshold 0 (Redis's DOCTOR answers so), then a command slower
/// than latency-monitor-threshold is an event with LATEST, HISTORY, GRAPH, DOCTOR and RESET
/// in Redis's formats; DEBUG SLEEP makes the slow command, DEBUG OBJECT describes a key.
#[test]
fn latency_monitor() {
    let srv = TestServer::start_with(2, |c| c.enable_debug_command = true);
    let mut c = srv.client();
    let doctor: String = q(&mut c, &["LATENCY", "DOCTOR"]);
    assert!(
        doctor.starts_with("I'm sorry, Dave, I can't do that."),
        "{doctor}"
    );
    let _: () = q(&mut c, &["CONFIG", "SET", "latency-monitor-threshold", "1"]);
    let doctor: String = q(&mut c, &["LATENCY", "DOCTOR"]);
    assert!(
        doctor.starts_with("Dave, no latency spike was observed"),
        "{doctor}"
    );
    let _: () = q(&mut c, &["DEBUG", "SLEEP", "0.02"]);
    let latest: Vec<(String, i64, i64, i64)> = q(&mut c, &["LATENCY", "LATEST"]);
    assert_eq!(latest.len(), 1);
    let (event, _, ms, max) = &latest[0];
    assert_eq!(event, "command");
    assert!(*ms >= 1 && max >= ms);
    let history: Vec<(i64, i64)> = q(&mut c, &["LATENCY", "HISTORY", "command"]);
    assert_eq!(history.len(), 1);
    let graph: String = q(&mut c, &["LATENCY", "GRAPH", "command"]);
    assert!(
        graph.starts_with(&format!("command - high {ms} ms, low {ms} ms")),
        "{graph}"
    );
    // One sample: the lowest mark on the bottom row.
    assert!(
        graph.contains(&format!("{}\n \n \n \n_\n \n", "-".repeat(80))),
        "{graph}"
    );
    let doctor: String = q(&mut c, &["LATENCY", "DOCTOR"]);
    assert!(doctor.contains("1. command: 1 latency spikes"), "{doctor}");
    let mut r = srv.raw();
    common::check_replies(
        &mut r,
        &[
            (
                "LATENCY GRAPH nosuch",
                "-ERR No samples available for event 'nosuch'\r\n",
            ),
            ("LATENCY HISTORY nosuch", "*0\r\n"),
            ("LATENCY RESET command x", ":1\r\n"),
            ("LATENCY LATEST", "*0\r\n"),
            ("SET k hello", "+OK\r\n"),
            ("DEBUG OBJECT nokey", "-ERR no such key\r\n"),
        ],
    );
    let line: String = q(&mut c, &["DEBUG", "OBJECT", "k"]);
    assert!(
        line.contains("refcount:1 encoding:embstr serializedlength:6 lru:"),
        "{line}"
    );
}
