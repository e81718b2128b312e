//! Loading the append-only file at start-up: every record runs through the command table, as if
//! a client had sent it, before any listener accepts a connection. This module reads and checks
//! the file; running a record is the caller's (the command layer is above this one).

use super::format::{self, Problem};
use crate::error::ServerError;
use crate::keyspace::Keyspace;
use crate::resp::Args;
use std::path::Path;
use std::time::Instant;

/// Runs one record: None, or the error it answered with.
pub trait Apply: FnMut(Args<'_>) -> Option<String> {}
impl<F: FnMut(Args<'_>) -> Option<String>> Apply for F {}

/// What a load found and did.
#[derive(Debug, Default, Clone)]
pub struct LoadReport {
    pub records: u64,
    pub keys: u64,
    pub secs: f64,
    /// Size of the file after any cut.
    pub size: u64,
    /// Where appending continues: the end of the data and its filler, before any reserve of
    /// filler lines the file ends with (see [`format`]).
    pub next: u64,
    /// (offset, records dropped) when a torn tail was cut off.
    pub cut: Option<(u64, u64)>,
    /// Records that answered with an error (each logged; none expected).
    pub errors: u64,
}

/// Replays `path` with `run` into `ks`. A torn tail is cut off the file (when `cut_tail`) and
/// reported; damage before the last batch is an error naming the offset.
pub fn load(
    ks: &Keyspace,
    path: &Path,
    cut_tail: bool,
    run: impl Apply,
) -> Result<LoadReport, ServerError> {
    let started = Instant::now();
    let io = |source| ServerError::AofIo {
        path: path.display().to_string(),
        source,
    };
    let data = match std::fs::read(path) {
        Ok(d) => d,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(LoadReport::default()),
        Err(e) => return Err(io(e)),
    };
    let mut run = run;
    // A file of plain commands (Redis 6's AOF, one written by hand, or one ringdis appended to
    // since): they come first, then ringdis's own batches, if any.
    let plain = plain_prefix(&data, &mut run);
    if plain.end == 0 {
        if let Some((kind, advice)) = foreign(&data) {
            return Err(ServerError::AofForeign {
                path: path.display().to_string(),
                kind,
                advice,
            });
        }
    }
    let (mut scan, errors, bad_db) = if plain.torn.is_some() {
        (format::Scan::default(), 0, None)
    } else {
        apply(&data[plain.end..], &mut run)
    };
    let bad_db = plain.bad_db.or(bad_db);
    let errors = errors + plain.errors;
    scan.records += plain.records;
    scan.good_end += plain.end as u64;
    scan.problem = match (plain.torn, scan.problem) {
        (Some(offset), _) => Some(Problem::TornTail {
            offset: offset as u64,
            records_dropped: 1,
        }),
        (None, Some(Problem::Corrupt { offset, reason })) => Some(Problem::Corrupt {
            offset: offset + plain.end as u64,
            reason,
        }),
        (
            None,
            Some(Problem::TornTail {
                offset,
                records_dropped,
            }),
        ) => Some(Problem::TornTail {
            offset: offset + plain.end as u64,
            records_dropped,
        }),
        (None, None) => None,
    };
    if let Some(db) = bad_db {
        return Err(ServerError::AofDatabases {
            path: path.display().to_string(),
            db,
            databases: ks.databases(),
        });
    }
    let mut report = LoadReport {
        records: scan.records,
        size: data.len() as u64,
        errors,
        ..Default::default()
    };
    match scan.problem {
        None => {
            report.next =
                format::reserve_after(&data, scan.good_end as usize).unwrap_or(data.len() as u64);
        }
        Some(Problem::Corrupt { offset, reason }) => {
            return Err(ServerError::AofCorrupt {
                path: path.display().to_string(),
                offset,
                reason,
            })
        }
        Some(Problem::TornTail {
            offset,
            records_dropped,
        }) => {
            crate::warning!(
                "the append-only file {} ends with an incomplete batch at byte offset {offset} ({} bytes, {records_dropped} records): {}",
                path.display(),
                data.len() as u64 - offset,
                if cut_tail { "cut off" } else { "ignored" }
            );
            if cut_tail {
                let f = std::fs::OpenOptions::new()
                    .write(true)
                    .open(path)
                    .map_err(io)?;
                f.set_len(offset).map_err(io)?;
                f.sync_all().map_err(io)?;
            }
            report.size = offset;
            report.next = offset;
            report.cut = Some((offset, records_dropped));
        }
    }
    report.keys = total_keys(ks);
    report.secs = started.elapsed().as_secs_f64();
    Ok(report)
}

/// What the plain commands at the start of a file did.
#[derive(Default)]
struct Plain {
    /// Where they end (0: the file does not start with one).
    end: usize,
    records: u64,
    errors: u64,
    bad_db: Option<String>,
    /// Where an incomplete last command starts (the file ends inside it).
    torn: Option<usize>,
}

/// Runs the plain RESP commands (`*2\r\n$6\r\nSELECT...`) the file starts with, up to the first
/// byte that does not start one (a batch of ringdis's, or damage the batch scan reports).
fn plain_prefix(data: &[u8], run: &mut impl Apply) -> Plain {
    use crate::resp::{Frame, Parser};
    let mut p = Plain::default();
    let mut parser = Parser::new();
    parser.max_bulk_len = i64::MAX;
    while p.end < data.len() && data[p.end] == b'*' {
        let rest = &data[p.end..];
        match parser.parse(rest) {
            Ok(Some(Frame::Command {
                consumed,
                inline: false,
            })) => {
                let args = Args::new(rest, &parser.args);
                if let Some(err) = run(args) {
                    if args.get(0).eq_ignore_ascii_case(b"select") && p.bad_db.is_none() {
                        p.bad_db = Some(String::from_utf8_lossy(args.get(1)).into_owned());
                    }
                    p.errors += 1;
                    if p.errors <= 10 {
                        crate::warning!(
                            "AOF record {:?} failed: {err}",
                            String::from_utf8_lossy(args.get(0))
                        );
                    }
                }
                p.records += 1;
                p.end += consumed;
            }
            // The file ends inside a command: what a crash leaves (Redis's aof-load-truncated).
            Ok(None) => {
                p.torn = Some(p.end);
                break;
            }
            _ => break,
        }
    }
    p
}

/// What a file that is not an append-only file looks like, and what to do with it.
fn foreign(data: &[u8]) -> Option<(&'static str, &'static str)> {
    if data.starts_with(b"REDIS") {
        return Some((
            "an RDB file (Redis's snapshot format, or an AOF with an RDB preamble)",
            "ringdis loads an RDB file as its snapshot: start it with `--appendonly no --dbfilename <that file>` (in --dir), then run `CONFIG SET appendonly yes` to write an append-only file of that data (an RDB preamble followed by commands loses the commands: give ringdis Redis's AOF made with `aof-use-rdb-preamble no` instead)",
        ));
    }
    if data.starts_with(b"file ") {
        return Some((
            "a Redis 7 manifest (appendonlydir/*.manifest)",
            "give ringdis the base file (a file of commands) instead, followed by the incremental files' contents",
        ));
    }
    let first = *data.first()?;
    if first != b'#' && first != b'*' && first != 0 {
        return Some((
            "of an unknown format (neither ringdis's batches nor Redis commands)",
            "check --dir and --appendfilename; `ringdis-aof-check` describes the file",
        ));
    }
    None
}

/// Keys in all databases.
pub fn total_keys(ks: &Keyspace) -> u64 {
    (0..ks.databases()).map(|db| ks.dbsize(db) as u64).sum()
}

/// Runs every valid record of `data` (up to the first problem) with `run`; returns the scan, the
/// number of records that answered with an error, and the first database a SELECT could not
/// switch to (the records after it would land in the wrong database). `run` applies them through
/// a loading transaction layer ([`crate::keyspace::Tx::loading`]), so no key expires meanwhile.
pub fn apply(data: &[u8], mut run: impl Apply) -> (format::Scan, u64, Option<String>) {
    let mut errors = 0u64;
    let mut bad_db = None;
    let scan = format::scan(data, |args| {
        if let Some(err) = run(args) {
            if args.get(0).eq_ignore_ascii_case(b"select") && bad_db.is_none() {
                bad_db = Some(String::from_utf8_lossy(args.get(1)).into_owned());
            }
            errors += 1;
            if errors <= 10 {
                crate::warning!(
                    "AOF record {:?} failed: {}",
                    String::from_utf8_lossy(args.get(0)),
                    err
                );
            }
        }
    });
    (scan, errors, bad_db)
}
