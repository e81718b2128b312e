//! ringdis-bench against a real server: every request answered, errors counted, the .hgrm files
//! parse back, the JSON summary and the plot are written.

mod common;
use common::{q, TestServer};
use std::process::Command;

fn bench(port: u16, extra: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_ringdis-bench"))
        .args([
            "--port",
            &port.to_string(),
            "--connections",
            "4",
            "--threads",
            "2",
        ])
        .args(extra)
        .output()
        .unwrap()
}

#[test]
fn counts_files_and_plot() {
    let srv = TestServer::start(2);
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = bench(
        srv.port,
        &[
            "--requests",
            "4000",
            "--pipeline",
            "4",
            "--ratio",
            "1:3",
            "--key-space",
            "100",
            "--key-pattern",
            "zipf",
            "--hgrm-dir",
            d.to_str().unwrap(),
            "--json",
            d.join("s.json").to_str().unwrap(),
            "--plot",
            d.join("p.svg").to_str().unwrap(),
        ],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.starts_with("4000 sent, 4000 answered, 0 errors"),
        "{text}"
    );
    let json = std::fs::read_to_string(d.join("s.json")).unwrap();
    assert!(
        json.contains("\"total_rps\"")
            && json.contains("\"SET\": {\"rps\"")
            && json.contains("\"p999_us\""),
        "{json}"
    );
    for cmd in ["SET", "GET"] {
        let h = std::fs::read_to_string(d.join(format!("{cmd}.hgrm"))).unwrap();
        let rows: Vec<(f64, f64)> = h
            .lines()
            .filter_map(|l| {
                let f: Vec<&str> = l.split_whitespace().collect();
                // Data rows: value, percentile, count, 1/(1-percentile); the header is skipped.
                Some((f.first()?.parse().ok()?, f.get(1)?.parse().ok()?)).filter(|_| f.len() == 4)
            })
            .collect();
        assert!(rows.len() > 3, "{h}");
        assert_eq!(
            rows.last().unwrap().1,
            1.0,
            "the distribution ends at the 100th percentile"
        );
        assert!(rows
            .windows(2)
            .all(|w| w[0].0 <= w[1].0 && w[0].1 <= w[1].1));
        assert!(h.contains("#[Max"));
    }
    let svg = std::fs::read_to_string(d.join("p.svg")).unwrap();
    assert!(svg.starts_with("<svg") && svg.matches("<polyline").count() == 2);
    // A previous run's file drawn next to a new one.
    let out = bench(
        srv.port,
        &[
            "--duration",
            "0.3",
            "--rate",
            "2000",
            "--command",
            "SET __key__ __data__",
            "--plot",
            d.join("q.svg").to_str().unwrap(),
            "--plot-from",
            &format!("before={}", d.join("SET.hgrm").display()),
        ],
    );
    assert_eq!(out.status.code(), Some(0));
    let svg = std::fs::read_to_string(d.join("q.svg")).unwrap();
    assert_eq!(svg.matches("<polyline").count(), 2);
}

#[test]
fn error_replies_are_counted() {
    let srv = TestServer::start(1);
    let mut c = srv.client();
    for i in 0..10 {
        let _: () = q(&mut c, &["SET", &format!("key:{i}"), "x"]);
    }
    let out = bench(
        srv.port,
        &[
            "--requests",
            "200",
            "--key-space",
            "10",
            "--command",
            "LPUSH __key__ v",
        ],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(
        text.starts_with("200 sent, 200 answered, 200 errors"),
        "{text}"
    );
}
