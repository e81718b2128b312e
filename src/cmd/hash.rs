//! Hash commands.

use super::{int_arg, random, Action, Ctx, OK};
use crate::error::{CmdError, CmdResult};
use crate::keyspace::events::class as ev;
use crate::keyspace::HashVal;
use crate::resp::{Args, Out};
use rand::Rng;

/// Runs `f` on the hash at `key` under a read lock (None when missing), WRONGTYPE for a string.
fn with_hash<R>(
    ctx: &mut Ctx,
    key: &[u8],
    f: impl FnOnce(Option<&HashVal>, &mut Out) -> R,
) -> CmdResult<R> {
    let s = ctx.ks().read(ctx.db(), key);
    let h = ctx.read(key, s.get_hash(key, ctx.now))?;
    Ok(f(h, ctx.out))
}

fn hset_generic(ctx: &mut Ctx, args: Args, name: &str) -> CmdResult<usize> {
    if !args.len().is_multiple_of(2) {
        return Err(CmdError::arity(name.as_bytes()));
    }
    let key = args.get(1);
    let pairs = (2..args.len())
        .step_by(2)
        .map(|i| (args.get(i), args.get(i + 1)));
    let mut s = ctx.ks().write(ctx.db(), key);
    let n = s.hset(key, pairs, false, ctx.now)?;
    s.changed(key, ev::HASH, "hset");
    Ok(n)
}

pub fn hset(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let n = hset_generic(ctx, args, "hset")?;
    ctx.out.int(n as i64);
    OK
}

pub fn hmset(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    hset_generic(ctx, args, "hmset")?;
    ctx.out.ok();
    OK
}

pub fn hsetnx(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let key = args.get(1);
    let pair = std::iter::once((args.get(2), args.get(3)));
    let mut s = ctx.ks().write(ctx.db(), key);
    let n = s.hset(key, pair, true, ctx.now)?;
    if n > 0 {
        s.changed(key, ev::HASH, "hset");
    }
    drop(s);
    ctx.out.int(n as i64);
    OK
}

pub fn hget(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let field = args.get(2);
    with_hash(ctx, args.get(1), |h, out| {
        let v = h.and_then(|h| h.get(field));
        out.bulk_opt(v);
    })?;
    OK
}

pub fn hmget(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let fields = args.from(2);
    with_hash(ctx, args.get(1), |h, out| {
        out.array(fields.len());
        for f in fields.iter() {
            out.bulk_opt(h.and_then(|h| h.get(f)));
        }
    })?;
    OK
}

pub fn hgetall(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    with_hash(ctx, args.get(1), |h, out| {
        out.map(h.map_or(0, |h| h.len()));
        for (f, v) in h.into_iter().flatten() {
            out.bulk(f);
            out.bulk(v);
        }
    })?;
    OK
}

pub fn hkeys(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    with_hash(ctx, args.get(1), |h, out| {
        out.array(h.map_or(0, |h| h.len()));
        h.into_iter().flatten().for_each(|(f, _)| out.bulk(f));
    })?;
    OK
}

pub fn hvals(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    with_hash(ctx, args.get(1), |h, out| {
        out.array(h.map_or(0, |h| h.len()));
        h.into_iter().flatten().for_each(|(_, v)| out.bulk(v));
    })?;
    OK
}

pub fn hdel(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let key = args.get(1);
    let mut s = ctx.ks().write(ctx.db(), key);
    let n = s.hdel(key, args.from(2).iter(), ctx.now)?;
    if n > 0 {
        s.changed(key, ev::HASH, "hdel");
    }
    drop(s);
    ctx.out.int(n as i64);
    OK
}

pub fn hlen(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let n = with_hash(ctx, args.get(1), |h, _| h.map_or(0, |h| h.len()))?;
    ctx.out.int(n as i64);
    OK
}

pub fn hexists(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let field = args.get(2);
    let n = with_hash(ctx, args.get(1), |h, _| {
        h.is_some_and(|h| h.contains_key(field))
    })?;
    ctx.out.int(n as i64);
    OK
}

pub fn hstrlen(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let field = args.get(2);
    let n = with_hash(ctx, args.get(1), |h, _| {
        h.and_then(|h| h.get(field)).map_or(0, |v| v.len())
    })?;
    ctx.out.int(n as i64);
    OK
}

pub fn hincrby(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let key = args.get(1);
    let delta = int_arg(args.get(3))?;
    let n = ctx
        .ks()
        .write(ctx.db(), key)
        .hincr_by(key, args.get(2), delta, ctx.now)?;
    ctx.out.int(n);
    OK
}

pub fn hincrbyfloat(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    use crate::keyspace::longdouble::{check, Check};
    let key = args.get(1);
    let incr = args.get(3);
    match check(incr) {
        Check::NotFloat => return Err(CmdError::NotFloat),
        Check::Infinite => return Err(CmdError::ValueNanOrInfinity),
        Check::Finite => {}
    }
    let v = ctx
        .ks()
        .write(ctx.db(), key)
        .hincr_by_float(key, args.get(2), incr, ctx.now)?;
    ctx.out.bulk(&v);
    OK
}

/// HRANDFIELD key [count [WITHVALUES]]: distinct fields for a positive count, with repetitions for
/// a negative one; RESP3 answers WITHVALUES as pairs.
pub fn hrandfield(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let (count, withvalues) = random::pair_args(&args, "withvalues")?;
    let s = ctx.ks().read(ctx.db(), args.get(1));
    let h = ctx.read(args.get(1), s.get_hash(args.get(1), ctx.now))?;
    let Some(c) = count else {
        ctx.out.bulk_opt(h.map(|h| {
            let i = rand::rng().random_range(0..h.len());
            h.get_index(i).expect("in range").0
        }));
        return OK;
    };
    let h = h.filter(|h| !h.is_empty());
    let picks = random::picks(h.map_or(0, |h| h.len()), c, |i| {
        let (f, v) = h.and_then(|h| h.get_index(i)).expect("in range");
        random::bulk_size(f.len())
            + if withvalues {
                random::bulk_size(v.len())
            } else {
                0
            }
    })?;
    random::reply_picks(ctx.out, picks, withvalues, |out, i| {
        let (f, v) = h.and_then(|h| h.get_index(i)).expect("in range");
        out.bulk(f);
        if withvalues {
            out.bulk(v);
        }
    });
    OK
}

pub fn hscan(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let cursor = super::cursor_arg(args.get(2))?;
    let s = ctx.ks().read(ctx.db(), args.get(1));
    let h = ctx.read(args.get(1), s.get_hash(args.get(1), ctx.now))?;
    // A packed hash is walked once (its entries have no index), and returned whole.
    let packed: Option<Vec<(&[u8], &[u8])>> =
        h.filter(|h| h.is_packed()).map(|h| h.iter().collect());
    let len = h.map(|h| h.len());
    super::index_scan(ctx.out, &args, cursor, len, packed.is_some(), |i| {
        let (f, v) = match &packed {
            Some(p) => *p.get(i)?,
            None => h?.get_index(i)?,
        };
        Some((f, Some(v.into())))
    })
}
