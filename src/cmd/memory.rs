//! MEMORY USAGE/STATS/DOCTOR/MALLOC-STATS/PURGE/HELP, LASTSAVE and ROLE: what tools read about
//! a server's memory, saves and role.

use super::{help, int_arg, Action, Ctx, OK};
use crate::error::{CmdError, CmdResult};
use crate::resp::Args;
use std::sync::atomic::Ordering;

/// MEMORY USAGE key [SAMPLES count]
pub fn memory_usage(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let key = args.get(2);
    let mut samples = 5usize;
    let mut i = 3;
    while i < args.len() {
        if args.is(i, "samples") && i + 1 < args.len() {
            let n = int_arg(args.get(i + 1))?;
            if n < 0 {
                return Err(CmdError::Syntax);
            }
            samples = n as usize;
            i += 2;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    match ctx
        .ks()
        .read(ctx.db(), key)
        .memory_usage(key, samples, ctx.now)
    {
        Some(n) => ctx.out.int(n as i64),
        None => ctx.out.null(),
    }
    OK
}

/// MEMORY STATS: Redis's fields, with ringdis's own figures (the allocator's, the clients'
/// buffers and the AOF's pending records) and 0 for what it does not have.
pub fn memory_stats(ctx: &mut Ctx, _args: Args) -> CmdResult<Action> {
    let sh = ctx.shared;
    let used = crate::shared::limits::allocated_bytes();
    let peak = sh.memory_peak.fetch_max(used, Ordering::Relaxed).max(used);
    let startup = sh.memory_startup;
    let clients: u64 = sh
        .clients
        .all()
        .iter()
        .map(|c| c.mem.total.load(Ordering::Relaxed) as u64)
        .sum();
    let aof = sh.aof.pending_len();
    let overhead = startup + clients + aof;
    let tx = ctx.ks();
    let dbs: Vec<(usize, usize, usize)> = (0..tx.databases())
        .map(|d| {
            let (k, e) = tx.db_counts(d);
            (d, k, e)
        })
        .filter(|(_, k, _)| *k > 0)
        .collect();
    let keys: usize = dbs.iter().map(|d| d.1).sum();
    let dataset = used.saturating_sub(overhead);
    let rss = crate::shared::limits::rss_bytes();
    let ratio = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    let out = &mut *ctx.out;
    out.map(27 + dbs.len());
    let int = |out: &mut crate::resp::Out, k: &str, v: u64| {
        out.bulk(k.as_bytes());
        out.int(v as i64);
    };
    let dbl = |out: &mut crate::resp::Out, k: &str, v: f64| {
        out.bulk(k.as_bytes());
        out.double(v);
    };
    int(out, "peak.allocated", peak);
    int(out, "total.allocated", used);
    int(out, "startup.allocated", startup);
    int(out, "replication.backlog", 0);
    int(out, "clients.slaves", 0);
    int(out, "clients.normal", clients);
    int(out, "cluster.links", 0);
    int(out, "aof.buffer", aof);
    int(out, "lua.caches", 0);
    int(out, "functions.caches", 0);
    for (d, _, expires) in &dbs {
        out.bulk(format!("db.{d}").as_bytes());
        out.map(3);
        int(out, "overhead.hashtable.main", 0);
        int(out, "overhead.hashtable.expires", *expires as u64 * 24);
        int(out, "overhead.hashtable.slot-to-keys", 0);
    }
    int(out, "overhead.total", overhead);
    int(out, "keys.count", keys as u64);
    int(
        out,
        "keys.bytes-per-key",
        if keys == 0 { 0 } else { dataset / keys as u64 },
    );
    int(out, "dataset.bytes", dataset);
    dbl(
        out,
        "dataset.percentage",
        100.0 * ratio(dataset, used.saturating_sub(startup)),
    );
    dbl(out, "peak.percentage", 100.0 * ratio(used, peak));
    int(out, "allocator.allocated", used);
    int(out, "allocator.active", used);
    int(out, "allocator.resident", rss);
    dbl(out, "allocator-fragmentation.ratio", 1.0);
    int(out, "allocator-fragmentation.bytes", 0);
    dbl(out, "allocator-rss.ratio", ratio(rss, used));
    int(out, "allocator-rss.bytes", rss.saturating_sub(used));
    dbl(out, "rss-overhead.ratio", 1.0);
    int(out, "rss-overhead.bytes", 0);
    dbl(out, "fragmentation", ratio(rss, used));
    int(out, "fragmentation.bytes", rss.saturating_sub(used));
    OK
}

/// MEMORY DOCTOR: Redis's answer for an instance using little memory (under 5 MB of data),
/// else a short report of the figures it would look at.
pub fn memory_doctor(ctx: &mut Ctx, _args: Args) -> CmdResult<Action> {
    let used = crate::shared::limits::allocated_bytes();
    let dataset = used.saturating_sub(ctx.shared.memory_startup);
    let text = if dataset < 5 << 20 {
        "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in these conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be back to our programming as soon as I finished rebooting.\n".to_string()
    } else {
        "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.\n".to_string()
    };
    ctx.out.verbatim(text.as_bytes());
    OK
}

/// MEMORY MALLOC-STATS: jemalloc's report, as Redis built with jemalloc gives it (Redis's
/// text where the allocator keeps none: the library used without its allocator, as by tests).
pub fn memory_malloc_stats(ctx: &mut Ctx, _args: Args) -> CmdResult<Action> {
    match crate::alloc::stats_report() {
        Some(text) => ctx.out.verbatim(text.as_bytes()),
        None => ctx
            .out
            .verbatim(b"Stats not supported for the current allocator"),
    }
    OK
}

/// MEMORY PURGE: hands the allocator's free pages back to the system.
pub fn memory_purge(ctx: &mut Ctx, _args: Args) -> CmdResult<Action> {
    crate::alloc::purge();
    ctx.out.ok();
    OK
}

pub fn memory_help(ctx: &mut Ctx, _args: Args) -> CmdResult<Action> {
    help(
        ctx.out,
        "MEMORY",
        &[
            "DOCTOR",
            "    Return memory problems reports.",
            "MALLOC-STATS",
            "    Return internal statistics report from the memory allocator.",
            "PURGE",
            "    Attempt to purge dirty pages for reclamation by the allocator.",
            "STATS",
            "    Return information about the memory usage of the server.",
            "USAGE <key> [SAMPLES <count>]",
            "    Return memory in bytes used by <key> and its value. Nested values are",
            "    sampled up to <count> times (default: 5, 0 means sample all).",
        ],
    );
    OK
}

/// LASTSAVE: when the last SAVE or BGSAVE succeeded (start-up counts as one, as in Redis).
pub fn lastsave(ctx: &mut Ctx, _args: Args) -> CmdResult<Action> {
    let at = ctx
        .shared
        .rdb
        .lastsave
        .load(std::sync::atomic::Ordering::Relaxed);
    ctx.out.int(at as i64);
    OK
}
