//! `ringdis-rdb-check FILE`: reads an RDB file (ringdis's or redis-server's dump.rdb) as
//! start-up would load it, checking every value and the checksum, and says what it holds or
//! where and why it cannot be read.
//!
//! Exit status: 0 when the file loads, 1 when it does not, 2 on usage errors.

use std::collections::BTreeMap;
use std::process::exit;

fn main() {
    // Like other command-line tools: a closed pipe (`| head`) ends the program quietly.
    // SAFETY: restores the default disposition of SIGPIPE before any other thread exists.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let path = match args.as_slice() {
        [h] if h == "-h" || h == "--help" => {
            println!("usage: ringdis-rdb-check FILE");
            exit(0);
        }
        [p] if !p.starts_with("--") => p.clone(),
        _ => {
            eprintln!("usage: ringdis-rdb-check FILE");
            exit(2);
        }
    };
    let data = match std::fs::read(&path) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("ringdis-rdb-check: {path}: {e}");
            exit(1);
        }
    };
    // Keys per database, from the commands a load would run.
    let mut db = 0u64;
    let mut per_db: BTreeMap<u64, u64> = BTreeMap::new();
    let mut deadlines = 0u64;
    let mut last_key: Vec<u8> = Vec::new();
    let res = ringdis::rdb::load(
        &data,
        ringdis::keyspace::now_ms(),
        &mut |argv: &[&[u8]]| {
            match argv[0] {
                b"SELECT" => {
                    db = std::str::from_utf8(argv[1])
                        .ok()
                        .and_then(|d| d.parse().ok())
                        .unwrap_or(0)
                }
                b"PEXPIREAT" => deadlines += 1,
                b"FUNCTION" => {}
                _ => {
                    // A key's first command (large values take several).
                    if argv[1] != last_key.as_slice() {
                        last_key = argv[1].to_vec();
                        *per_db.entry(db).or_default() += 1;
                    }
                }
            }
            Ok(())
        },
    );
    match res {
        Ok(l) => {
            println!(
                "{path}: RDB version {}{}",
                l.version,
                l.redis_ver
                    .map_or(String::new(), |v| format!(", written by {v}"))
            );
            for (db, n) in &per_db {
                println!("db{db}: {n} keys");
            }
            println!(
                "{} keys ({} with a deadline), {} already expired, {} function libraries",
                l.keys, deadlines, l.expired, l.functions
            );
            println!("[offset {}] the file loads", data.len());
        }
        Err(e) => {
            println!("{path}: cannot be loaded: {e}");
            if !ringdis::rdb::looks_like_rdb(&data) {
                println!("(it does not start as an RDB file does; an append-only file is checked with ringdis-aof-check)");
            }
            exit(1);
        }
    }
}
