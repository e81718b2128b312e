//! Sorted set commands.

use super::list::count_arg;
use super::{float_arg, int_arg, random, Action, Ctx, OK};
use crate::error::{CmdError, CmdResult};
use crate::keyspace::events::class as ev;
use crate::keyspace::zsets::{LexBound, Range, ScoreBound, ZSet};
use crate::keyspace::{Coll, Member, MultiLock, Shard, ShardView};
use crate::resp::{format_score, parse_f64, Args, Out};
use rand::Rng;

fn nan_error() -> CmdError {
    CmdError::Other("resulting score is not a number (NaN)".into())
}

/// ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...]
pub fn zadd(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let key = args.get(1);
    let (mut nx, mut xx, mut gt, mut lt, mut ch, mut incr) =
        (false, false, false, false, false, false);
    let mut i = 2;
    while i < args.len() {
        let flag = [
            ("nx", &mut nx),
            ("xx", &mut xx),
            ("gt", &mut gt),
            ("lt", &mut lt),
            ("ch", &mut ch),
            ("incr", &mut incr),
        ]
        .into_iter()
        .find(|(n, _)| args.is(i, n));
        match flag {
            Some((_, f)) => *f = true,
            None => break,
        }
        i += 1;
    }
    let rest = args.len() - i;
    if rest == 0 || rest % 2 == 1 {
        return Err(CmdError::Syntax);
    }
    if nx && xx {
        return Err(CmdError::Other(
            "XX and NX options at the same time are not compatible".into(),
        ));
    }
    if (nx && (gt || lt)) || (gt && lt) {
        return Err(CmdError::Other(
            "GT, LT, and/or NX options at the same time are not compatible".into(),
        ));
    }
    if incr && rest > 2 {
        return Err(CmdError::Other(
            "INCR option supports a single increment-element pair".into(),
        ));
    }
    let mut pairs = Vec::with_capacity(rest / 2);
    for j in (i..args.len()).step_by(2) {
        pairs.push((float_arg(args.get(j))?, args.get(j + 1)));
    }
    let mut s = ctx.ks().write(ctx.db(), key);
    let Some(z) = s.zset_mut(key, ctx.now, !xx)? else {
        drop(s);
        if incr {
            ctx.out.null();
        } else {
            ctx.out.int(0);
        }
        return OK;
    };
    let (mut added, mut changed) = (0, 0);
    let mut result = None;
    let mut effects: Vec<(Vec<u8>, &[u8])> = Vec::new();
    let total = pairs.len();
    for (i, (score, m)) in pairs.into_iter().enumerate() {
        // Members still to come, so a set that turns into a table is sized for them all.
        let coming = total - i;
        let cur = z.score(m);
        let new = match (cur, incr) {
            (Some(c), true) => c + score,
            _ => score,
        };
        if new.is_nan() {
            s.drop_if_empty(key);
            return Err(nan_error());
        }
        match cur {
            Some(_) if nx => continue,
            None if xx => continue,
            Some(c) if (gt && new <= c) || (lt && new >= c) => continue,
            Some(c) => {
                if c != new {
                    z.set_of(m, new, coming);
                    changed += 1;
                    effects.push((format_score(new), m));
                }
            }
            None => {
                z.set_of(m, new, coming);
                added += 1;
                effects.push((format_score(new), m));
            }
        }
        result = Some(new);
    }
    if added > 0 {
        s.signal_ready(key);
    }
    if !effects.is_empty() {
        let mut rec: Vec<&[u8]> = vec![b"ZADD", key];
        for (sc, m) in &effects {
            rec.push(sc);
            rec.push(m);
        }
        s.log(&rec);
        s.changed(key, ev::ZSET, if incr { "zincr" } else { "zadd" });
    }
    s.drop_if_empty(key);
    drop(s);
    if incr {
        match result {
            Some(v) => ctx.out.double(v),
            None => ctx.out.null(),
        }
    } else {
        ctx.out.int(if ch { added + changed } else { added });
    }
    OK
}

pub fn zincrby(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let (key, m) = (args.get(1), args.get(3));
    // Redis runs ZINCRBY through ZADD's parser, which takes a ZADD flag in the increment's place
    // and then finds one argument left: a syntax error.
    if ["nx", "xx", "gt", "lt", "ch", "incr"]
        .iter()
        .any(|f| args.is(2, f))
    {
        return Err(CmdError::Syntax);
    }
    let by = float_arg(args.get(2))?;
    let mut s = ctx.ks().write(ctx.db(), key);
    let z = s.zset_mut(key, ctx.now, true)?.expect("created");
    // A new member's score is the increment itself (so -0 stays -0, as in Redis).
    let cur = z.score(m);
    let new = cur.map_or(by, |cur| cur + by);
    if new.is_nan() {
        s.drop_if_empty(key);
        return Err(nan_error());
    }
    z.set(m, new);
    s.signal_ready(key);
    s.log(&[b"ZADD", key, &format_score(new), m]);
    if cur != Some(new) {
        s.changed(key, ev::ZSET, "zincr");
    }
    drop(s);
    ctx.out.double(new);
    OK
}

pub fn zrem(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let key = args.get(1);
    let mut s = ctx.ks().write(ctx.db(), key);
    let n = match s.zset_mut(key, ctx.now, false)? {
        Some(z) => args.from(2).iter().filter(|m| z.remove(m)).count(),
        None => 0,
    };
    if n > 0 {
        s.changed(key, ev::ZSET, "zrem");
    }
    drop(s);
    ctx.out.int(n as i64);
    OK
}

pub fn zscore(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let key = args.get(1);
    let s = ctx.ks().read(ctx.db(), key);
    match ctx
        .read(key, s.get_zset(key, ctx.now))?
        .and_then(|z| z.score(args.get(2)))
    {
        Some(v) => ctx.out.double(v),
        None => ctx.out.null(),
    }
    OK
}

pub fn zmscore(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    member_scores(ctx, &args, |out, v| out.double(v), Out::null)
}

/// ZMSCORE, GEOHASH and GEOPOS: one reply per member named from `args[2]` on, `found` writing
/// it from the member's score, `missing` for a member (or key) that is not there.
pub(super) fn member_scores(
    ctx: &mut Ctx,
    args: &Args,
    found: impl Fn(&mut Out, f64),
    missing: fn(&mut Out),
) -> CmdResult<Action> {
    let key = args.get(1);
    let s = ctx.ks().read(ctx.db(), key);
    let z = ctx.read(key, s.get_zset(key, ctx.now))?;
    ctx.out.array(args.len() - 2);
    for m in args.from(2).iter() {
        match z.and_then(|z| z.score(m)) {
            Some(v) => found(ctx.out, v),
            None => missing(ctx.out),
        }
    }
    OK
}

pub fn zcard(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let key = args.get(1);
    let s = ctx.ks().read(ctx.db(), key);
    let n = ctx
        .read(key, s.get_zset(key, ctx.now))?
        .map_or(0, |z| z.len());
    ctx.out.int(n as i64);
    OK
}

fn count_in(ctx: &mut Ctx, key: &[u8], r: Range) -> CmdResult<Action> {
    let s = ctx.ks().read(ctx.db(), key);
    let n = ctx
        .read(key, s.get_zset(key, ctx.now))?
        .and_then(|z| z.span(&r))
        .map_or(0, |(a, b)| b - a + 1);
    ctx.out.int(n as i64);
    OK
}

pub fn zcount(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let r = Range::Score(
        ScoreBound::parse(args.get(2))?,
        ScoreBound::parse(args.get(3))?,
    );
    count_in(ctx, args.get(1), r)
}

pub fn zlexcount(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let r = Range::Lex(LexBound::parse(args.get(2))?, LexBound::parse(args.get(3))?);
    count_in(ctx, args.get(1), r)
}

/// A parsed range request: which elements, in which direction, how many, with scores or not.
struct RangeReq {
    range: Range,
    rev: bool,
    /// (offset, count); count < 0 means all.
    limit: Option<(i64, i64)>,
    withscores: bool,
}

#[derive(Clone, Copy, PartialEq)]
enum By {
    Rank,
    Score,
    Lex,
}

/// Parses `min max` (given as `start stop` in the request's direction) and the options from
/// `opts_at`. `by`/`rev` are fixed by the legacy commands and found among the options for ZRANGE.
fn parse_range(
    args: &Args,
    at: usize,
    mut by: By,
    mut rev: bool,
    zrange: bool,
    store: bool,
) -> CmdResult<RangeReq> {
    let (mut limit, mut withscores) = (None, false);
    // As in Redis: every option before the range itself; BYSCORE/BYLEX and REV once each.
    let mut i = at + 2;
    while i < args.len() {
        if !store && args.is(i, "withscores") {
            withscores = true;
        } else if args.is(i, "limit") && i + 2 < args.len() {
            limit = Some((int_arg(args.get(i + 1))?, int_arg(args.get(i + 2))?));
            i += 2;
        } else if zrange && by == By::Rank && args.is(i, "byscore") {
            by = By::Score;
        } else if zrange && by == By::Rank && args.is(i, "bylex") {
            by = By::Lex;
        } else if zrange && !rev && args.is(i, "rev") {
            rev = true;
        } else {
            return Err(CmdError::Syntax);
        }
        i += 1;
    }
    if limit.is_some() && by == By::Rank {
        return Err(CmdError::Other(
            "syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"
                .into(),
        ));
    }
    if withscores && by == By::Lex {
        return Err(CmdError::Other(
            "syntax error, WITHSCORES not supported in combination with BYLEX".into(),
        ));
    }
    // In reverse, score and lex ranges are given max first.
    let (lo, hi) = if rev && by != By::Rank {
        (at + 1, at)
    } else {
        (at, at + 1)
    };
    let range = match by {
        By::Rank => Range::Rank(int_arg(args.get(at))?, int_arg(args.get(at + 1))?),
        By::Score => Range::Score(
            ScoreBound::parse(args.get(lo))?,
            ScoreBound::parse(args.get(hi))?,
        ),
        By::Lex => Range::Lex(
            LexBound::parse(args.get(lo))?,
            LexBound::parse(args.get(hi))?,
        ),
    };
    Ok(RangeReq {
        range,
        rev,
        limit,
        withscores,
    })
}

/// The elements a range request selects, in reply order.
fn select<'z>(z: &'z ZSet, req: &RangeReq) -> Vec<(&'z [u8], f64)> {
    let len = z.len();
    let span = match (&req.range, req.rev) {
        // ZREVRANGE's ranks count from the top.
        (Range::Rank(a, b), true) => crate::keyspace::lists::index_range(len, *a, *b)
            .map(|(a, b)| (len - 1 - b, len - 1 - a)),
        _ => z.span(&req.range),
    };
    let Some((first, last)) = span else {
        return Vec::new();
    };
    let (offset, count) = match req.limit {
        Some((o, _)) if o < 0 => return Vec::new(),
        Some((o, c)) => (o as usize, if c < 0 { usize::MAX } else { c as usize }),
        None => (0, usize::MAX),
    };
    let n = (last - first + 1).saturating_sub(offset).min(count);
    let start = if req.rev {
        last.saturating_sub(offset)
    } else {
        first + offset
    };
    if n == 0 {
        return Vec::new();
    }
    z.iter_from(start, req.rev).take(n).collect()
}

/// Members (and scores) as ZRANGE replies them: flat in RESP2, pairs in RESP3.
fn reply_members<M: std::ops::Deref<Target = [u8]>>(
    out: &mut Out,
    items: &[(M, f64)],
    withscores: bool,
) {
    if !withscores {
        out.array(items.len());
        items.iter().for_each(|(m, _)| out.bulk(m));
    } else if out.resp3 {
        out.array(items.len());
        for (m, s) in items {
            out.array(2);
            out.bulk(m);
            out.double(*s);
        }
    } else {
        out.array(items.len() * 2);
        for (m, s) in items {
            out.bulk(m);
            out.double(*s);
        }
    }
}

fn range_reply(ctx: &mut Ctx, args: Args, by: By, rev: bool, zrange: bool) -> CmdResult<Action> {
    let req = parse_range(&args, 2, by, rev, zrange, false)?;
    let key = args.get(1);
    let s = ctx.ks().read(ctx.db(), key);
    let items = ctx
        .read(key, s.get_zset(key, ctx.now))?
        .map(|z| select(z, &req))
        .unwrap_or_default();
    reply_members(ctx.out, &items, req.withscores);
    OK
}

pub fn zrange(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    range_reply(ctx, args, By::Rank, false, true)
}
pub fn zrevrange(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    range_reply(ctx, args, By::Rank, true, false)
}
pub fn zrangebyscore(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    range_reply(ctx, args, By::Score, false, false)
}
pub fn zrevrangebyscore(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    range_reply(ctx, args, By::Score, true, false)
}
pub fn zrangebylex(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    range_reply(ctx, args, By::Lex, false, false)
}
pub fn zrevrangebylex(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    range_reply(ctx, args, By::Lex, true, false)
}

/// ZRANGESTORE dst src min max [BYSCORE|BYLEX] [REV] [LIMIT offset count]
pub fn zrangestore(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let req = parse_range(&args, 3, By::Rank, false, true, true)?;
    let (dst, src) = (args.get(1), args.get(2));
    store_result(ctx, dst, &[src], "zrangestore", |v, now, looked_up| {
        let r = v.view(src).get_zset(src, now);
        looked_up(src, !matches!(r, Ok(None)));
        Ok(r?
            .map(|z| {
                select(z, &req)
                    .into_iter()
                    .map(|(m, s)| (m.to_vec(), s))
                    .collect()
            })
            .unwrap_or_default())
    })
}

/// The STORE commands: computes a result from `srcs` under the write locks of all keys, replaces
/// `dst` with it (deleting `dst` when empty), logs the command as sent (it is deterministic given
/// the sources, which precede it in the file), and replies with the result's size.
pub(super) fn store_result(
    ctx: &mut Ctx,
    dst: &[u8],
    srcs: &[&[u8]],
    event: &str,
    compute: impl FnOnce(&MultiLock, u64, &dyn Fn(&[u8], bool)) -> CmdResult<Vec<(Vec<u8>, f64)>>,
) -> CmdResult<Action> {
    let now = ctx.now;
    let mut locked = ctx
        .ks()
        .lock_many(ctx.db(), srcs.iter().copied().chain([dst]));
    for k in srcs.iter().chain([&dst]) {
        locked.shard(k).expire_if_needed(k, now);
    }
    let result = compute(&locked, now, &|k, f| ctx.looked_up(k, f))?;
    let d = locked.shard(dst);
    if result.is_empty() {
        if d.remove_overwritten(dst) {
            d.changed(dst, ev::GENERIC, "del");
        }
    } else {
        let mut z = ZSet::new(d.expires.hasher());
        for (m, s) in &result {
            z.set(m, *s);
        }
        d.store(dst, Coll::ZSet(z));
        d.signal_ready(dst);
        d.changed(dst, ev::ZSET, event);
    }
    // Recorded as sent (by default): what changed nothing (an empty result, no destination) is
    // not, as in Redis.
    drop(locked);
    ctx.out.int(result.len() as i64);
    OK
}

fn rank_generic(ctx: &mut Ctx, args: Args, rev: bool) -> CmdResult<Action> {
    let key = args.get(1);
    let s = ctx.ks().read(ctx.db(), key);
    match ctx
        .read(key, s.get_zset(key, ctx.now))?
        .and_then(|z| z.rank(args.get(2), rev))
    {
        Some(r) => ctx.out.int(r as i64),
        None => ctx.out.null(),
    }
    OK
}

pub fn zrank(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    rank_generic(ctx, args, false)
}

pub fn zrevrank(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    rank_generic(ctx, args, true)
}

/// Members taken out of a sorted set, with their scores.
type Popped = Vec<(Vec<u8>, f64)>;

/// Pops up to `count` members from the low end of the sorted set at `key` (the high end with
/// `max`), logged as a ZREM of them; deletes the key once empty. None when there is no sorted
/// set at `key`.
fn zpop(s: &mut Shard, key: &[u8], count: usize, max: bool, now: u64) -> CmdResult<Option<Popped>> {
    let Some(z) = s.zset_mut(key, now, false)? else {
        return Ok(None);
    };
    let n = count.min(z.len());
    let start = if max { z.len().saturating_sub(1) } else { 0 };
    let popped: Popped = z
        .iter_from(start, max)
        .take(n)
        .map(|(m, s)| (m.to_vec(), s))
        .collect();
    for (m, _) in &popped {
        z.remove(m);
    }
    if !popped.is_empty() {
        let mut rec: Vec<&[u8]> = vec![b"ZREM", key];
        rec.extend(popped.iter().map(|(m, _)| m.as_slice()));
        s.log(&rec);
        s.changed(key, ev::ZSET, if max { "zpopmax" } else { "zpopmin" });
    }
    Ok(Some(popped))
}

fn pop_generic(ctx: &mut Ctx, args: Args, max: bool) -> CmdResult<Action> {
    if args.len() > 3 {
        return Err(CmdError::Syntax);
    }
    let key = args.get(1);
    let count = if args.len() == 3 {
        Some(count_arg(args.get(2))?)
    } else {
        None
    };
    let mut s = ctx.ks().write(ctx.db(), key);
    let popped = zpop(&mut s, key, count.unwrap_or(1), max, ctx.now)?.unwrap_or_default();
    drop(s);
    let items: Vec<(&[u8], f64)> = popped.iter().map(|(m, s)| (m.as_slice(), *s)).collect();
    if count.is_some() && ctx.out.resp3 {
        reply_members(ctx.out, &items, true);
    } else {
        ctx.out.array(items.len() * 2);
        for (m, s) in items {
            ctx.out.bulk(m);
            ctx.out.double(s);
        }
    }
    OK
}

pub fn zpopmin(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    pop_generic(ctx, args, false)
}

pub fn zpopmax(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    pop_generic(ctx, args, true)
}

/// ZREMRANGEBYRANK/BYSCORE/BYLEX: removes a range; logged as sent (deterministic).
fn remrange(ctx: &mut Ctx, args: Args, r: Range) -> CmdResult<Action> {
    let key = args.get(1);
    let mut s = ctx.ks().write(ctx.db(), key);
    let mut n = 0;
    if let Some(z) = s.zset_mut(key, ctx.now, false)? {
        if let Some((a, b)) = z.span(&r) {
            let gone: Vec<Vec<u8>> = z
                .iter_from(a, false)
                .take(b - a + 1)
                .map(|(m, _)| m.to_vec())
                .collect();
            for m in &gone {
                z.remove(m);
            }
            n = gone.len();
        }
    }
    if n > 0 {
        let event = match r {
            Range::Rank(..) => "zremrangebyrank",
            Range::Score(..) => "zremrangebyscore",
            Range::Lex(..) => "zremrangebylex",
        };
        s.changed(key, ev::ZSET, event);
    }
    drop(s);
    ctx.out.int(n as i64);
    OK
}

pub fn zremrangebyrank(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let r = Range::Rank(int_arg(args.get(2))?, int_arg(args.get(3))?);
    remrange(ctx, args, r)
}

pub fn zremrangebyscore(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let r = Range::Score(
        ScoreBound::parse(args.get(2))?,
        ScoreBound::parse(args.get(3))?,
    );
    remrange(ctx, args, r)
}

pub fn zremrangebylex(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let r = Range::Lex(LexBound::parse(args.get(2))?, LexBound::parse(args.get(3))?);
    remrange(ctx, args, r)
}

/// Which sorted-set algebra.
#[derive(Clone, Copy, PartialEq)]
enum Algebra {
    Union,
    Inter,
    Diff,
}

/// What a command does with the algebra's result, which decides the options it takes.
#[derive(Clone, Copy, PartialEq)]
enum Output {
    /// ZUNION/ZINTER/ZDIFF: reply with it (WITHSCORES allowed).
    Reply,
    /// ZUNIONSTORE/ZINTERSTORE/ZDIFFSTORE.
    Store,
    /// ZINTERCARD: only its size (LIMIT allowed, WEIGHTS and AGGREGATE not).
    Card,
}

/// How ZUNION(STORE) and ZINTER(STORE) combine the scores of one member.
#[derive(Clone, Copy)]
enum Aggregate {
    Sum,
    Min,
    Max,
}

/// The options after the source keys.
struct AlgebraOpts {
    weights: Vec<f64>,
    agg: Aggregate,
    withscores: bool,
    /// ZINTERCARD's LIMIT (0: none).
    limit: usize,
}

/// The source keys of `numkeys key [key ...]` with numkeys at `args[at]`, checked as Redis
/// checks them.
fn algebra_keys<'a>(args: &Args<'a>, at: usize) -> CmdResult<Vec<&'a [u8]>> {
    let n = int_arg(args.get(at))?;
    if n < 1 {
        return Err(CmdError::Other(format!(
            "at least 1 input key is needed for '{}' command",
            String::from_utf8_lossy(&args.get(0).to_ascii_lowercase())
        )));
    }
    if n as u64 > (args.len() - at - 1) as u64 {
        return Err(CmdError::Syntax);
    }
    Ok(args.from(at + 1).iter().take(n as usize).collect())
}

/// The options from `args[i]` on, for `n` sources: WEIGHTS and AGGREGATE (union and
/// intersection, not ZINTERCARD), WITHSCORES (replies), LIMIT (ZINTERCARD).
fn algebra_opts(
    args: &Args,
    mut i: usize,
    n: usize,
    op: Algebra,
    output: Output,
) -> CmdResult<AlgebraOpts> {
    let mut o = AlgebraOpts {
        weights: vec![1.0f64; n],
        agg: Aggregate::Sum,
        withscores: false,
        limit: 0,
    };
    let combining = op != Algebra::Diff && output != Output::Card;
    while i < args.len() {
        if combining && args.is(i, "weights") && i + n < args.len() {
            for (j, w) in o.weights.iter_mut().enumerate() {
                *w = parse_f64(args.get(i + 1 + j))
                    .ok_or_else(|| CmdError::Other("weight value is not a float".into()))?;
            }
            i += n + 1;
        } else if combining && args.is(i, "aggregate") && i + 1 < args.len() {
            o.agg = if args.is(i + 1, "sum") {
                Aggregate::Sum
            } else if args.is(i + 1, "min") {
                Aggregate::Min
            } else if args.is(i + 1, "max") {
                Aggregate::Max
            } else {
                return Err(CmdError::Syntax);
            };
            i += 2;
        } else if output == Output::Reply && args.is(i, "withscores") {
            o.withscores = true;
            i += 1;
        } else if output == Output::Card && args.is(i, "limit") && i + 1 < args.len() {
            o.limit = super::non_negative_arg(args.get(i + 1), "LIMIT can't be negative")?;
            i += 2;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    Ok(o)
}

/// Members with their scores, borrowed from a locked shard.
type Scored<'v> = Vec<(Member<'v>, f64)>;

/// Each source as (member, score) pairs: a set's members score 1, a missing key is empty, any
/// other type is WRONGTYPE.
fn algebra_sources<'v, V: ShardView>(
    v: &'v V,
    now: u64,
    srcs: &[&[u8]],
    looked_up: &dyn Fn(&[u8], bool),
) -> CmdResult<Vec<Scored<'v>>> {
    let mut inputs = Vec::with_capacity(srcs.len());
    for k in srcs {
        let sh = v.view(k);
        looked_up(k, sh.kind(k, now).is_some());
        let items = match (sh.get_zset(k, now), sh.get_set(k, now)) {
            (Ok(Some(z)), _) => z.iter().map(|(m, s)| (Member::Bytes(m), s)).collect(),
            (_, Ok(Some(s))) => s.iter().map(|m| (m, 1.0)).collect(),
            (Ok(None), _) | (_, Ok(None)) => Vec::new(),
            _ => return Err(CmdError::WrongType),
        };
        inputs.push(items);
    }
    Ok(inputs)
}

/// The algebra over the sources' pairs (in no particular order). A NaN from weighting or
/// combining scores (inf * 0, inf - inf) counts as 0, as in Redis. Union and intersection
/// combine the sources from the smallest to the largest, as Redis does: with infinities the
/// order decides the result (inf + -inf + 1 is 1 one way, 0 the other).
fn algebra<'v>(inputs: &[Scored<'v>], op: Algebra, o: &AlgebraOpts) -> Scored<'v> {
    let not_nan = |v: f64| if v.is_nan() { 0.0 } else { v };
    // Redis's zunionInterAggregate: only a sum turns NaN into 0; MIN and MAX keep the
    // accumulated score when the comparison with a NaN fails (and between 0 and -0).
    let combine = |a: f64, b: f64| match o.agg {
        Aggregate::Min => {
            if b < a {
                b
            } else {
                a
            }
        }
        Aggregate::Max => {
            if b > a {
                b
            } else {
                a
            }
        }
        Aggregate::Sum => not_nan(a + b),
    };
    let mut order: Vec<usize> = (0..inputs.len()).collect();
    order.sort_by_key(|&i| inputs[i].len());
    let weighted = |i: usize| {
        inputs[i]
            .iter()
            .map(move |&(m, s)| (m, not_nan(s * o.weights[i])))
    };
    match op {
        Algebra::Union => {
            let mut acc: indexmap::IndexMap<Member, f64, ahash::RandomState> = Default::default();
            for &i in &order {
                for (m, v) in weighted(i) {
                    acc.entry(m)
                        .and_modify(|a| *a = combine(*a, v))
                        .or_insert(v);
                }
            }
            acc.into_iter().collect()
        }
        Algebra::Inter => {
            let lookup: Vec<(std::collections::HashMap<Member, f64>, f64)> = order[1..]
                .iter()
                .map(|&i| (inputs[i].iter().copied().collect(), o.weights[i]))
                .collect();
            weighted(order[0])
                .filter_map(|(m, mut v)| {
                    // Only the first source's weighted score is cleared of NaN, as in Redis.
                    for (other, w) in &lookup {
                        v = combine(v, other.get(&m)? * w);
                    }
                    Some((m, v))
                })
                .collect()
        }
        Algebra::Diff => {
            let others: Vec<std::collections::HashSet<Member>> = inputs[1..]
                .iter()
                .map(|items| items.iter().map(|(m, _)| *m).collect())
                .collect();
            inputs[0]
                .iter()
                .filter(|(m, _)| !others.iter().any(|o| o.contains(m)))
                .copied()
                .collect()
        }
    }
}

/// ZUNIONSTORE/ZINTERSTORE/ZDIFFSTORE dst numkeys key [key ...] [WEIGHTS w ...] [AGGREGATE SUM|MIN|MAX].
/// Sources may be sets (every member scores 1), as in Redis.
fn algebra_store(ctx: &mut Ctx, args: Args, op: Algebra) -> CmdResult<Action> {
    let srcs = algebra_keys(&args, 2)?;
    // Read now, reported after the sources' types (Redis checks those first).
    let opts = algebra_opts(&args, 3 + srcs.len(), srcs.len(), op, Output::Store);
    let event = match op {
        Algebra::Union => "zunionstore",
        Algebra::Inter => "zinterstore",
        Algebra::Diff => "zdiffstore",
    };
    store_result(ctx, args.get(1), &srcs, event, |v, now, looked_up| {
        let inputs = algebra_sources(v, now, &srcs, looked_up)?;
        let result = algebra(&inputs, op, &opts?);
        Ok(result.into_iter().map(|(m, s)| (m.to_vec(), s)).collect())
    })
}

pub fn zunionstore(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    algebra_store(ctx, args, Algebra::Union)
}

pub fn zinterstore(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    algebra_store(ctx, args, Algebra::Inter)
}

pub fn zdiffstore(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    algebra_store(ctx, args, Algebra::Diff)
}

/// ZUNION/ZINTER/ZDIFF numkeys key [key ...] [WEIGHTS w ...] [AGGREGATE SUM|MIN|MAX]
/// [WITHSCORES] (ZDIFF: WITHSCORES only), and ZINTERCARD numkeys key [key ...] [LIMIT limit]:
/// the result in sorted-set order (score, then member), or its size.
fn algebra_reply(ctx: &mut Ctx, args: Args, op: Algebra, output: Output) -> CmdResult<Action> {
    let srcs = algebra_keys(&args, 1)?;
    let opts = algebra_opts(&args, 2 + srcs.len(), srcs.len(), op, output);
    let locked = ctx.ks().read_many(ctx.db(), srcs.iter().copied());
    let inputs = algebra_sources(&locked, ctx.now, &srcs, &|k, f| ctx.looked_up(k, f))?;
    let opts = opts?;
    let mut result = algebra(&inputs, op, &opts);
    if output == Output::Card {
        let n = result.len();
        ctx.out
            .int(if opts.limit > 0 { n.min(opts.limit) } else { n } as i64);
        return OK;
    }
    // Sorted-set order: 0 and -0 are the same score, so their members go by name.
    result.sort_by(|a, b| {
        a.1.partial_cmp(&b.1)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then_with(|| (*a.0).cmp(&*b.0))
    });
    reply_members(ctx.out, &result, opts.withscores);
    OK
}

pub fn zunion(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    algebra_reply(ctx, args, Algebra::Union, Output::Reply)
}

pub fn zinter(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    algebra_reply(ctx, args, Algebra::Inter, Output::Reply)
}

pub fn zdiff(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    algebra_reply(ctx, args, Algebra::Diff, Output::Reply)
}

pub fn zintercard(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    algebra_reply(ctx, args, Algebra::Inter, Output::Card)
}

/// ZRANDMEMBER key [count [WITHSCORES]].
pub fn zrandmember(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let (count, withscores) = random::pair_args(&args, "withscores")?;
    let key = args.get(1);
    let s = ctx.ks().read(ctx.db(), key);
    let z = ctx
        .read(key, s.get_zset(key, ctx.now))?
        .filter(|z| !z.is_empty());
    let item = |i: usize| z.and_then(|z| z.get_index(i)).expect("in range");
    let Some(c) = count else {
        let pick = z.map(|z| rand::rng().random_range(0..z.len()));
        ctx.out.bulk_opt(pick.map(|i| item(i).0));
        return OK;
    };
    let picks = random::picks(z.map_or(0, |z| z.len()), c, |i| {
        random::bulk_size(item(i).0.len()) + if withscores { 32 } else { 0 }
    })?;
    random::reply_picks(ctx.out, picks, withscores, |out, i| {
        let (m, score) = item(i);
        out.bulk(m);
        if withscores {
            out.double(score);
        }
    });
    OK
}

pub fn zscan(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let key = args.get(1);
    let cursor = super::cursor_arg(args.get(2))?;
    let s = ctx.ks().read(ctx.db(), key);
    let z = ctx.read(key, s.get_zset(key, ctx.now))?;
    let whole = z.is_some_and(|z| z.is_packed());
    super::index_scan(ctx.out, &args, cursor, z.map(|z| z.len()), whole, |i| {
        let (m, score) = z?.get_index(i)?;
        Some((m, Some(format_score(score).into())))
    })
}

/// BZPOPMIN/BZPOPMAX key [key ...] timeout: pops from the first non-empty sorted set, or blocks.
fn blocking_pop(ctx: &mut Ctx, args: Args, max: bool) -> CmdResult<Action> {
    let timeout = super::blocking::timeout_arg(args.get(args.len() - 1))?;
    let keys: Vec<&[u8]> = args.iter().skip(1).take(args.len() - 2).collect();
    for &key in &keys {
        let mut s = ctx.ks().write(ctx.db(), key);
        let Some((m, score)) = zpop(&mut s, key, 1, max, ctx.now)?.and_then(|mut p| p.pop()) else {
            continue;
        };
        drop(s);
        super::blocking::unblock(ctx);
        ctx.out.array(3);
        ctx.out.bulk(key);
        ctx.out.bulk(&m);
        ctx.out.double(score);
        return OK;
    }
    super::blocking::block(ctx, &keys, timeout, |o| o.null_array())
}

pub fn bzpopmin(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    blocking_pop(ctx, args, false)
}

pub fn bzpopmax(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    blocking_pop(ctx, args, true)
}

/// MIN or MAX: whether ZMPOP pops from the high end.
fn min_max_arg(b: &[u8]) -> CmdResult<bool> {
    super::keyword_arg(b, &[("min", false), ("max", true)])
}

/// ZMPOP/BZMPOP: the members with their scores, `[key, [[member, score], ...]]`.
fn mpop(ctx: &mut Ctx, args: &Args, at: usize, timeout: Option<&[u8]>) -> CmdResult<Action> {
    super::list::mpop_generic(
        ctx,
        args,
        at,
        timeout,
        min_max_arg,
        zpop,
        |o, (m, score)| {
            o.array(2);
            o.bulk(m);
            o.double(*score);
        },
    )
}

/// ZMPOP numkeys key [key ...] MIN|MAX [COUNT count].
pub fn zmpop(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    mpop(ctx, &args, 1, None)
}

/// BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count].
pub fn bzmpop(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    mpop(ctx, &args, 2, Some(args.get(1)))
}
