//! `ringdis-aof-check [--fix] FILE`: checks a ringdis append-only file batch by batch (checksums
//! and commands), replays it into memory to count keys, and with `--fix` cuts the file at the
//! first bad byte so the server loads it (everything from there on is lost).
//!
//! Exit status: 0 when the file is sound (or was fixed), 1 when it is not, 2 on usage errors.

use ringdis::aof::format::Problem;
use ringdis::aof::replay;
use ringdis::shared::Shared;
use std::process::exit;

fn main() {
    // Like other command-line tools: a closed pipe (`| head`) ends the program quietly.
    // SAFETY: restores the default disposition of SIGPIPE before any other thread exists.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
    let mut fix = false;
    let mut path = None;
    for a in std::env::args().skip(1) {
        match a.as_str() {
            "--fix" => fix = true,
            "-h" | "--help" => {
                println!("usage: ringdis-aof-check [--fix] FILE");
                exit(0);
            }
            _ if path.is_none() && !a.starts_with("--") => path = Some(a),
            _ => {
                eprintln!("usage: ringdis-aof-check [--fix] FILE");
                exit(2);
            }
        }
    }
    let Some(path) = path else {
        eprintln!("usage: ringdis-aof-check [--fix] FILE");
        exit(2);
    };
    let data = match std::fs::read(&path) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("ringdis-aof-check: {path}: {e}");
            exit(1);
        }
    };
    let config = ringdis::Config {
        appendonly: false,
        ..Default::default()
    };
    let shared = Shared::new(config);
    let mut replayer = ringdis::cmd::Replayer::new(&shared);
    let (scan, errors, bad_db) = replay::apply(&data, |args| replayer.run(args));
    if let Some(db) = bad_db {
        println!("the file selects database {db}, beyond the 16 the checker counts keys in");
    }
    println!(
        "{path}: {} bytes, {} batches, {} records, {} keys",
        data.len(),
        scan.batches,
        scan.records,
        replay::total_keys(&shared.ks)
    );
    if errors > 0 {
        println!("{errors} records answered with an error when replayed");
    }
    let bad = match &scan.problem {
        None => {
            println!("OK");
            exit(0);
        }
        Some(Problem::TornTail {
            offset,
            records_dropped,
        }) => {
            println!(
                "incomplete last batch at byte offset {offset} ({} bytes, {records_dropped} records); the server cuts it off when it loads the file",
                data.len() as u64 - offset
            );
            *offset
        }
        Some(Problem::Corrupt { offset, reason }) => {
            println!(
                "first bad byte offset: {offset} ({reason}); {} bytes from there on",
                data.len() as u64 - offset
            );
            *offset
        }
    };
    if !fix {
        println!("run with --fix to cut the file at byte {bad}");
        exit(1);
    }
    let cut = std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .and_then(|f| {
            f.set_len(bad)?;
            f.sync_all()
        });
    match cut {
        Ok(()) => println!(
            "fixed: cut at byte {bad}, {} bytes removed",
            data.len() as u64 - bad
        ),
        Err(e) => {
            eprintln!("ringdis-aof-check: cutting {path}: {e}");
            exit(1);
        }
    }
}
