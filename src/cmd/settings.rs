//! CONFIG GET, SET, RESETSTAT and HELP: the settings a running server exposes.

use super::introspection::fmt_percentile;
use super::{help, Action, Ctx, OK};
use crate::config::{mem_size, Fsync};
use crate::error::{CmdError, CmdResult};
use crate::keyspace::{glob, Tx};
use crate::resp::Args;
use crate::shared::Shared;
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// Settings CONFIG GET reports, with their current values.
fn config_values(sh: &Shared) -> Vec<(&'static str, String)> {
    let c = &sh.config;
    let dir = std::fs::canonicalize(&c.dir)
        .unwrap_or_else(|_| c.dir.clone())
        .display()
        .to_string();
    vec![
        ("port", sh.port.load(Ordering::Relaxed).to_string()),
        ("bind", c.bind.to_string()),
        ("databases", c.databases.to_string()),
        ("io-threads", sh.threads.to_string()),
        (
            "maxclients",
            sh.maxclients.load(Ordering::Relaxed).to_string(),
        ),
        ("client-output-buffer-limit", sh.output_limits.render()),
        (
            "notify-keyspace-events",
            crate::keyspace::events::flags_text(sh.ks.events.flags.load(Ordering::Relaxed)),
        ),
        (
            "client-query-buffer-limit",
            sh.query_buf_limit.load(Ordering::Relaxed).to_string(),
        ),
        (
            "proto-max-bulk-len",
            sh.proto_max_bulk_len.load(Ordering::Relaxed).to_string(),
        ),
        ("hz", sh.hz.load(Ordering::Relaxed).to_string()),
        // No RDB snapshots: reported as Redis does with them off.
        ("save", String::new()),
        ("appendonly", yes_no(sh.aof.enabled()).into()),
        ("appendfsync", sh.aof.policy().name().into()),
        ("appendfilename", c.appendfilename.clone()),
        (
            "auto-aof-rewrite-percentage",
            sh.aof.rewrite_pct.load(Ordering::Relaxed).to_string(),
        ),
        (
            "auto-aof-rewrite-min-size",
            sh.aof.rewrite_min.load(Ordering::Relaxed).to_string(),
        ),
        (
            "enable-debug-command",
            yes_no(c.enable_debug_command).into(),
        ),
        (
            "latency-tracking",
            yes_no(sh.latency.tracking.load(Ordering::Relaxed)).into(),
        ),
        (
            "latency-tracking-info-percentiles",
            sh.latency
                .percentiles
                .lock()
                .iter()
                .map(|p| fmt_percentile(*p))
                .collect::<Vec<_>>()
                .join(" "),
        ),
        (
            "slowlog-log-slower-than",
            sh.latency
                .slower_than_us
                .load(Ordering::Relaxed)
                .to_string(),
        ),
        (
            "slowlog-max-len",
            sh.latency.slowlog_max.load(Ordering::Relaxed).to_string(),
        ),
        ("dir", dir),
        ("maxmemory", "0".to_string()),
        ("maxmemory-policy", "noeviction".to_string()),
        ("timeout", "0".to_string()),
    ]
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

/// Applies one CONFIG SET pair; only settings the server really honours at run time are mutable.
fn config_set_one(sh: &Arc<Shared>, tx: &Tx, name: &str, val: &[u8]) -> CmdResult<()> {
    let invalid = |why: &str| CmdError::ConfigSetFailed(name.to_string(), why.to_string());
    let num = || -> CmdResult<i64> {
        crate::resp::parse_i64(val).ok_or_else(|| {
            CmdError::ConfigSetFailed(
                name.to_string(),
                "argument couldn't be parsed into an integer".into(),
            )
        })
    };
    let range = |lo: i64, hi: i64, v: i64| -> CmdResult<i64> {
        if v < lo || v > hi {
            Err(CmdError::ConfigSetFailed(
                name.to_string(),
                format!("argument must be between {lo} and {hi} inclusive"),
            ))
        } else {
            Ok(v)
        }
    };
    match name {
        "maxclients" => {
            let want = range(1, u32::MAX as i64, num()?)? as u64;
            // More clients need more descriptors: raise the limit, or refuse as Redis does.
            let fit =
                crate::shared::limits::fit_open_files(want, sh.threads).map_err(|e| invalid(&e))?;
            for note in &fit.notes {
                eprintln!("ringdis: {note}");
            }
            if fit.maxclients < want {
                return Err(invalid(&format!(
                    "The operating system is not able to handle the specified number of clients, try with {}",
                    fit.maxclients
                )));
            }
            sh.maxclients.store(want, Ordering::Relaxed);
        }
        "client-output-buffer-limit" => {
            let groups = crate::config::output_limits(&String::from_utf8_lossy(val))
                .map_err(|e| invalid(&e))?;
            for (class, limit) in groups {
                sh.output_limits.set(class, limit);
            }
        }
        "notify-keyspace-events" => sh.ks.events.flags.store(
            crate::keyspace::events::parse_flags(val)
                .ok_or_else(|| invalid(crate::config::NOTIFY_LETTERS))?,
            Ordering::Relaxed,
        ),
        "client-query-buffer-limit" => sh.query_buf_limit.store(
            crate::config::query_buffer_limit(&String::from_utf8_lossy(val))
                .map_err(|e| invalid(&e))?,
            Ordering::Relaxed,
        ),
        "proto-max-bulk-len" => sh
            .proto_max_bulk_len
            .store(range(1024, 512 << 20, num()?)?, Ordering::Relaxed),
        "hz" => sh
            .hz
            .store(range(1, 500, num()?)? as u32, Ordering::Relaxed),
        "appendonly" => {
            let on =
                crate::config::yes_no(&String::from_utf8_lossy(val)).map_err(|e| invalid(&e))?;
            match (on, sh.aof.enabled()) {
                (true, false) => crate::aof::rewrite::start(sh, tx, true).map_err(|e| {
                    invalid(&format!("Unable to turn on AOF. Check server logs. ({e})"))
                })?,
                (false, true) => sh.aof.disable(),
                _ => {}
            }
        }
        "latency-tracking" => sh.latency.tracking.store(
            crate::config::yes_no(&String::from_utf8_lossy(val)).map_err(|e| invalid(&e))?,
            Ordering::Relaxed,
        ),
        "latency-tracking-info-percentiles" => {
            let text = String::from_utf8_lossy(val);
            let ps: Option<Vec<f64>> = text
                .split_whitespace()
                .map(|t| t.parse::<f64>().ok().filter(|p| (0.0..=100.0).contains(p)))
                .collect();
            *sh.latency.percentiles.lock() = ps.ok_or_else(|| {
                invalid("argument(s) must be a list of percentiles between 0 and 100")
            })?;
        }
        "slowlog-log-slower-than" => sh
            .latency
            .slower_than_us
            .store(range(-1, i64::MAX, num()?)?, Ordering::Relaxed),
        "slowlog-max-len" => sh
            .latency
            .slowlog_max
            .store(range(0, i64::MAX, num()?)? as usize, Ordering::Relaxed),
        "appendfsync" => sh.aof.set_policy(Fsync::parse(val).ok_or_else(|| {
            // Redis lists an enum's names in its table's order, which starts with everysec.
            invalid("argument(s) must be one of the following: everysec, always, no")
        })?),
        "auto-aof-rewrite-percentage" => sh
            .aof
            .rewrite_pct
            .store(range(0, i32::MAX as i64, num()?)? as u64, Ordering::Relaxed),
        "auto-aof-rewrite-min-size" => sh.aof.rewrite_min.store(
            mem_size(&String::from_utf8_lossy(val)).map_err(|e| invalid(&e))?,
            Ordering::Relaxed,
        ),
        other if config_values(sh).iter().any(|(n, _)| *n == other) => {
            return Err(CmdError::ConfigSetFailed(
                other.to_string(),
                "can't set immutable config".into(),
            ))
        }
        other => return Err(CmdError::ConfigSetUnknown(other.to_string())),
    }
    Ok(())
}

/// CONFIG GET pattern [pattern ...].
pub fn config_get(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let vals = config_values(ctx.shared);
    let hits: Vec<&(&str, String)> = vals
        .iter()
        .filter(|(n, _)| {
            args.from(2)
                .iter()
                .any(|p| glob::matches(p, n.as_bytes(), true))
        })
        .collect();
    ctx.out.map(hits.len());
    for (n, v) in hits {
        ctx.out.bulk(n.as_bytes());
        ctx.out.bulk(v.as_bytes());
    }
    OK
}

/// CONFIG SET name value [name value ...].
pub fn config_set(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    if !args.len().is_multiple_of(2) {
        return Err(CmdError::Syntax);
    }
    for i in (2..args.len()).step_by(2) {
        let name = String::from_utf8_lossy(args.get(i)).to_ascii_lowercase();
        config_set_one(ctx.shared, ctx.ks(), &name, args.get(i + 1))?;
    }
    ctx.out.ok();
    OK
}

pub fn config_resetstat(ctx: &mut Ctx, _args: Args) -> CmdResult<Action> {
    let sh = ctx.shared;
    for s in sh.stats.iter() {
        for c in s.all() {
            c.store(0, Ordering::Relaxed);
        }
    }
    ctx.ks().reset_stats();
    sh.latency.reset();
    ctx.out.ok();
    OK
}

pub fn config_help(ctx: &mut Ctx, _args: Args) -> CmdResult<Action> {
    help(
        ctx.out,
        "CONFIG",
        &[
            "GET <pattern>",
            "    Return parameters matching the glob-like <pattern> and their values.",
            "SET <directive> <value>",
            "    Set the configuration <directive> to <value>.",
            "RESETSTAT",
            "    Reset statistics reported by the INFO command.",
        ],
    );
    OK
}
