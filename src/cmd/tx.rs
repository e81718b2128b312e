//! Transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH.
//!
//! EXEC write-locks every shard of the databases the transaction uses (ascending, the documented
//! lock order) and runs the queued commands under those locks, so no other client's command runs
//! in between, whichever executors serve them. Its AOF records are kept aside and appended as one
//! group in one batch, so a crash replays all of the transaction or none of it.

use super::{dispatch, Action, Ctx, OK};
use crate::error::{CmdError, CmdResult};
use crate::resp::Args;
use std::ops::Range;
use std::sync::atomic::Ordering;

/// Commands queued by MULTI, owned (the request buffer is reused between batches).
#[derive(Default)]
pub struct Multi {
    /// Each command's arguments, concatenated, with their ranges.
    pub data: Vec<u8>,
    pub cmds: Vec<Vec<Range<usize>>>,
    /// A command failed to queue (unknown, wrong arity): EXEC answers EXECABORT.
    pub failed: bool,
    /// What the commands' argument ranges hold.
    ranges_mem: usize,
}

impl Multi {
    /// Memory the queue holds (CLIENT LIST's `multi-mem`; counted in client-query-buffer-limit).
    pub fn mem(&self) -> usize {
        self.data.capacity()
            + self.cmds.capacity() * std::mem::size_of::<Vec<Range<usize>>>()
            + self.ranges_mem
    }

    pub fn queue(&mut self, args: &Args) {
        let ranges = args
            .iter()
            .map(|a| {
                let start = self.data.len();
                self.data.extend_from_slice(a);
                start..self.data.len()
            })
            .collect::<Vec<_>>();
        self.ranges_mem += ranges.capacity() * std::mem::size_of::<Range<usize>>();
        self.cmds.push(ranges);
    }
}

/// Commands that run at once inside MULTI instead of being queued.
pub fn runs_inside_multi(name: &str) -> bool {
    matches!(name, "exec" | "discard" | "multi" | "watch" | "quit")
}

pub fn multi(ctx: &mut Ctx, _args: Args) -> CmdResult<Action> {
    if ctx.client.multi.is_some() {
        return Err(CmdError::Other("MULTI calls can not be nested".into()));
    }
    ctx.client.multi = Some(Multi::default());
    ctx.client.handle.multi.store(0, Ordering::Relaxed);
    ctx.out.ok();
    OK
}

pub fn discard(ctx: &mut Ctx, _args: Args) -> CmdResult<Action> {
    if ctx.client.multi.take().is_none() {
        return Err(CmdError::Other("DISCARD without MULTI".into()));
    }
    ctx.client.handle.multi.store(-1, Ordering::Relaxed);
    unwatch_all(ctx);
    ctx.out.ok();
    OK
}

pub fn watch(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    if ctx.client.multi.is_some() {
        return Err(CmdError::Other("WATCH inside MULTI is not allowed".into()));
    }
    let db = ctx.db();
    for key in args.from(1).iter() {
        let ks = ctx.ks();
        // write_at, not write: registering a watch must not count as a modification.
        let count = ks.write_at(db, ks.shard_index(key)).watch(key);
        ctx.client.watched.push((db, key.into(), count));
    }
    ctx.out.ok();
    OK
}

pub fn unwatch(ctx: &mut Ctx, _args: Args) -> CmdResult<Action> {
    unwatch_all(ctx);
    ctx.out.ok();
    OK
}

/// Drops every WATCH of the client (EXEC, DISCARD, UNWATCH, disconnection).
pub fn unwatch_all(ctx: &mut Ctx) {
    let ks = ctx.ks();
    for (db, key, _) in ctx.client.watched.drain(..) {
        ks.write_at(db, ks.shard_index(&key)).unwatch(&key);
    }
}

pub fn exec(ctx: &mut Ctx, _args: Args) -> CmdResult<Action> {
    let Some(m) = ctx.client.multi.take() else {
        return Err(CmdError::Other("EXEC without MULTI".into()));
    };
    ctx.client.handle.multi.store(-1, Ordering::Relaxed);
    if m.failed {
        unwatch_all(ctx);
        return Err(CmdError::ExecAbort);
    }
    let ks = ctx.ks();
    // The databases the transaction may touch: the current one, every SELECT target and the
    // other database of COPY ... DB, MOVE and SWAPDB; all of them for commands that reach every
    // database. A command inside must never lock a database EXEC does not hold (it would take
    // that lock out of the (database, shard) order while holding these).
    let mut dbs = vec![ctx.db()];
    for c in &m.cmds {
        let arg = |i: usize| c.get(i).map(|r| &m.data[r.clone()]);
        let name = arg(0).map(|n| n.to_ascii_lowercase()).unwrap_or_default();
        let targets: Vec<&[u8]> = match name.as_slice() {
            b"select" => arg(1).into_iter().collect(),
            b"move" => arg(2).into_iter().collect(),
            b"swapdb" => arg(1).into_iter().chain(arg(2)).collect(),
            b"copy" => (3..c.len())
                .filter(|&i| arg(i).is_some_and(|a| a.eq_ignore_ascii_case(b"db")))
                .filter_map(|i| arg(i + 1))
                .collect(),
            b"flushall" | b"bgrewriteaof" => {
                dbs = (0..ks.databases()).collect();
                Vec::new()
            }
            _ => Vec::new(),
        };
        dbs.extend(targets.into_iter().filter_map(|t| {
            crate::resp::parse_i64(t)
                .and_then(|d| usize::try_from(d).ok())
                .filter(|&d| d < ks.databases())
        }));
    }
    let locks = ks.lock_dbs(&dbs);
    // Under the locks: a watched key modified since WATCH aborts the transaction.
    // A watched key whose TTL has passed counts as changed too, even before anything deletes
    // it (Redis 7.0's isWatchedKeyExpired).
    let now = ctx.now;
    let touched = ctx.client.watched.iter().any(|(db, key, count)| {
        let s = ks.read_at(*db, ks.shard_index(key));
        s.watch_count(key) != *count || s.is_expired(key, now)
    });
    if touched {
        drop(locks);
        unwatch_all(ctx);
        ctx.out.null_array();
        return OK;
    }
    crate::aof::begin_capture();
    ctx.out.array(m.cmds.len());
    let mut action = Action::Continue;
    for c in &m.cmds {
        let args = Args::new(&m.data, c);
        match dispatch(ctx, args) {
            Action::Continue => {}
            a => action = a,
        }
    }
    let records = crate::aof::end_capture();
    let end = ks.log.append_group(&records);
    ctx.client.aof_need = ctx.client.aof_need.max(end);
    drop(locks);
    unwatch_all(ctx);
    Ok(action)
}
