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
