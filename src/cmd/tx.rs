//! Transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH.
//!
//! EXEC write-locks the shards its queued commands declare (their keys' shards, whole databases
//! for the commands that reach further; see [`super::locks::declare`]) in the documented lock
//! order, and runs the commands on that view, so no other client's command touches those keys in
//! between, whichever executors serve them. Its AOF records are kept aside and appended as one
//! group in one batch, so a crash replays all of the transaction or none of it.

use super::locks::declare;
use super::{dispatch, resolve, Action, Ctx, Resolved, OK};
use crate::error::{CmdError, CmdResult};
use crate::keyspace::Locks;
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
    /// A queued command writes or may replicate (CLIENT PAUSE WRITE holds the EXEC).
    pub writes: bool,
    /// A script is queued: the EXEC runs alone, as a script does.
    pub scripts: bool,
    /// A queued command may grow memory: past maxmemory the EXEC is refused (-OOM).
    pub denyoom: bool,
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
    matches!(
        name,
        "exec" | "discard" | "multi" | "watch" | "quit" | "reset"
    )
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
        let mut s = ks.write_at(db, ks.shard_index(key));
        let count = s.watch(key);
        let expired = s.is_expired(key, ctx.now);
        drop(s);
        ctx.client.watched.push((db, key.into(), count, expired));
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
    for (db, key, ..) in ctx.client.watched.drain(..) {
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
    // What the transaction holds: the union of what its commands declare (each in the database
    // it runs in, after the SELECTs before it), and the watched keys, checked under the same
    // locks. Nothing else is locked until the transaction ends.
    let ks = &ctx.shared.ks;
    let mut locks = Locks::default();
    let mut db = ctx.db();
    for c in &m.cmds {
        let args = Args::new(&m.data, c);
        if let Resolved::Found(_, cmd) = resolve(&args) {
            if cmd.name == "select" {
                if let Some(d) = crate::resp::parse_i64(args.get(1))
                    .and_then(|d| usize::try_from(d).ok())
                    .filter(|&d| d < ks.databases())
                {
                    db = d;
                }
            }
            declare(cmd, &args, db, ks, &mut locks, true);
        }
    }
    for (db, key, ..) in &ctx.client.watched {
        locks.key(ks, *db, key, true);
    }
    let tx = ctx.ks().exec(locks);
    // A watched key modified since WATCH aborts the transaction. A watched key whose TTL has
    // passed since counts as changed too, even before anything deletes it (Redis 7.0's
    // isWatchedKeyExpired); one whose TTL had passed already at WATCH time does not, nor does
    // its deletion (Redis 7.0's expired watched keys).
    let now = ctx.now;
    let touched = ctx.client.watched.iter().any(|(db, key, count, expired)| {
        let s = tx.read(*db, key);
        if *expired {
            s.watch_count(key) != *count && s.contains(key) && !s.is_expired(key, now)
        } else {
            s.watch_count(key) != *count || s.is_expired(key, now)
        }
    });
    if touched {
        drop(tx);
        unwatch_all(ctx);
        ctx.out.null_array();
        return OK;
    }
    ctx.out.array(m.cmds.len());
    let mut action = Action::Continue;
    {
        let mut inner = ctx.with_tx(&tx);
        let context = std::mem::replace(&mut inner.client.acl_context, super::acl::Context::Exec);
        for c in &m.cmds {
            let args = Args::new(&m.data, c);
            match dispatch(&mut inner, args) {
                Action::Continue => {}
                a => action = a,
            }
        }
        inner.client.acl_context = context;
    }
    let end = tx.finish();
    ctx.client.aof_need = ctx.client.aof_need.max(end);
    unwatch_all(ctx);
    Ok(action)
}
