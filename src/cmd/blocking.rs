//! What the blocking commands share: timeout parsing, and blocking (registering the client under
//! its keys and telling the connection to wait, see [`crate::keyspace::blocking`]).

use super::{Action, Ctx, OK};
use crate::error::{CmdError, CmdResult};
use crate::keyspace::blocking::Waiter;
use crate::resp::Out;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A client's block: its waiter, where, and until when.
pub struct Blocked {
    pub waiter: Arc<Waiter>,
    pub db: usize,
    pub keys: Vec<Box<[u8]>>,
    pub deadline: Option<Instant>,
    /// The deadline passed: the retry must answer the timeout reply instead of blocking.
    pub timed_out: bool,
    /// XREAD: the IDs its `$` arguments meant when it first ran.
    pub stream_ids: Option<Vec<crate::keyspace::streams::StreamId>>,
    /// Held by CLIENT PAUSE (no keys): runs once the pause ends or is lifted.
    pub postponed: bool,
}

/// A timeout argument in seconds (fractions allowed); 0 blocks forever. Read as Redis 7.0 does:
/// a long double (so `1e400` and `1e-400` are numbers), then whole milliseconds as a C `long
/// long`, where a product out of that range comes out as its most negative value on x86-64
/// ("timeout is negative" for `inf` or `1e18`).
pub fn timeout_arg(b: &[u8]) -> CmdResult<Option<Duration>> {
    use crate::keyspace::longdouble::{check, Check};
    if check(b) == Check::NotFloat {
        return Err(CmdError::Other(
            "timeout is not a float or out of range".into(),
        ));
    }
    let ms = crate::resp::parse_score_bound(b).unwrap_or(0.0) * 1000.0;
    // 2^63: the first product a long long cannot hold (NaN cannot occur: not a float above).
    let too_big = ms >= 2f64.powi(63);
    if too_big || (ms < 0.0 && ms.trunc() < 0.0) {
        return Err(CmdError::TimeoutNegative);
    }
    let ms = ms.trunc();
    Ok((ms > 0.0).then(|| Duration::from_millis(ms as u64)))
}

/// Ends the client's block, if any (it got its data, timed out, or the connection closes).
pub fn unblock(ctx: &mut Ctx) {
    if let Some(b) = ctx.client.blocked.take() {
        ctx.ks().blocking().unregister(b.db, &b.keys, &b.waiter);
        ctx.client.handle.blocked.store(false, Ordering::Relaxed);
        *ctx.client.handle.waiter.lock() = None;
    }
}

/// CLIENT PAUSE holds this command until `until_ms` (Unix ms), or until CLIENT UNPAUSE.
pub fn postpone(ctx: &mut Ctx, until_ms: u64) -> Action {
    let left = Duration::from_millis(until_ms.saturating_sub(ctx.now));
    if let Some(b) = ctx.client.blocked.as_mut().filter(|b| b.postponed) {
        b.deadline = Some(Instant::now() + left);
        b.timed_out = false;
        return Action::Block;
    }
    let waiter = Arc::new(Waiter::default());
    ctx.shared.pause.register(&waiter);
    ctx.client.handle.blocked.store(true, Ordering::Relaxed);
    ctx.client.blocked = Some(Blocked {
        waiter,
        db: ctx.db(),
        keys: Vec::new(),
        deadline: Some(Instant::now() + left),
        timed_out: false,
        stream_ids: None,
        postponed: true,
    });
    Action::Block
}

/// Nothing to pop: block on `keys` (or answer `on_timeout` once the deadline passed, or inside
/// EXEC, where blocking commands do not block, as in Redis).
pub fn block(
    ctx: &mut Ctx,
    keys: &[&[u8]],
    timeout: Option<Duration>,
    on_timeout: impl FnOnce(&mut Out),
) -> CmdResult<Action> {
    match ctx.client.handle.unblock.swap(0, Ordering::AcqRel) {
        2 => {
            unblock(ctx);
            return Err(CmdError::Verbatim(
                "UNBLOCKED client unblocked via CLIENT UNBLOCK".into(),
            ));
        }
        1 => {
            unblock(ctx);
            on_timeout(ctx.out);
            return OK;
        }
        _ => {}
    }
    if ctx.ks().in_exec() || ctx.client.blocked.as_ref().is_some_and(|b| b.timed_out) {
        unblock(ctx);
        on_timeout(ctx.out);
        return OK;
    }
    if ctx.client.blocked.is_none() {
        let waiter = Arc::new(Waiter::default());
        let keys: Vec<Box<[u8]>> = keys.iter().map(|k| (*k).into()).collect();
        ctx.ks().blocking().register(ctx.db(), &keys, &waiter);
        // A write may have landed between the failed attempt and the registration: retry once
        // at once, now that every later write signals us.
        waiter.fire();
        *ctx.client.handle.waiter.lock() = Some(Arc::downgrade(&waiter));
        ctx.client.handle.blocked.store(true, Ordering::Relaxed);
        ctx.client.blocked = Some(Blocked {
            waiter,
            db: ctx.db(),
            keys,
            deadline: timeout.map(|t| Instant::now() + t),
            timed_out: false,
            stream_ids: None,
            postponed: false,
        });
    }
    Ok(Action::Block)
}
