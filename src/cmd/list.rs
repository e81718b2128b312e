//! List commands.

use super::{int_arg, Action, Ctx, OK};
use crate::error::{CmdError, CmdResult};
use crate::keyspace::events::class as ev;
use crate::keyspace::lists::{index, index_range, End};
use crate::keyspace::Shard;
use crate::resp::{Args, Out};

fn push_generic(ctx: &mut Ctx, args: Args, end: End, only_existing: bool) -> CmdResult<Action> {
    let key = args.get(1);
    let mut s = ctx.ks().write(ctx.db(), key);
    let n = s.push(key, args.from(2).iter(), end, only_existing, ctx.now)?;
    if n > 0 {
        s.changed(key, ev::LIST, push_event(end));
    }
    drop(s);
    ctx.out.int(n as i64);
    OK
}

/// The notification a push to this end of a list sends.
fn push_event(end: End) -> &'static str {
    match end {
        End::Left => "lpush",
        End::Right => "rpush",
    }
}

/// The notification a pop from this end of a list sends.
fn pop_event(end: End) -> &'static str {
    match end {
        End::Left => "lpop",
        End::Right => "rpop",
    }
}

pub fn lpush(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    push_generic(ctx, args, End::Left, false)
}

pub fn rpush(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    push_generic(ctx, args, End::Right, false)
}

pub fn lpushx(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    push_generic(ctx, args, End::Left, true)
}

pub fn rpushx(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    push_generic(ctx, args, End::Right, true)
}

/// A count argument that must not be negative (LPOP, SPOP).
pub fn count_arg(b: &[u8]) -> CmdResult<usize> {
    let n = int_arg(b).map_err(|_| CmdError::NotPositive)?;
    usize::try_from(n).map_err(|_| CmdError::NotPositive)
}

/// Up to `n` elements from one end of the list at `key` (None when missing), logged as the
/// LPOP/RPOP of as many: what every list pop records.
fn pop_logged(
    s: &mut Shard,
    key: &[u8],
    n: usize,
    end: End,
    now: u64,
) -> CmdResult<Option<Vec<Vec<u8>>>> {
    let popped = s.pop(key, n, end, now)?;
    if let Some(p) = popped.as_ref().filter(|p| !p.is_empty()) {
        let name: &[u8] = if end == End::Left { b"LPOP" } else { b"RPOP" };
        s.log(&[name, key, itoa::Buffer::new().format(p.len()).as_bytes()]);
        s.changed(key, ev::LIST, pop_event(end));
    }
    Ok(popped)
}

fn pop_generic(ctx: &mut Ctx, args: Args, end: End) -> CmdResult<Action> {
    if args.len() > 3 {
        return Err(CmdError::arity(args.get(0)));
    }
    let key = args.get(1);
    let count = if args.len() == 3 {
        Some(count_arg(args.get(2))?)
    } else {
        None
    };
    let mut s = ctx.ks().write(ctx.db(), key);
    let popped = pop_logged(&mut s, key, count.unwrap_or(1), end, ctx.now)?;
    drop(s);
    match (count, popped) {
        (None, p) => ctx
            .out
            .bulk_opt(p.as_ref().and_then(|p| p.first()).map(|v| v.as_slice())),
        (Some(_), None) => ctx.out.null_array(),
        (Some(_), Some(p)) => {
            ctx.out.array(p.len());
            p.iter().for_each(|v| ctx.out.bulk(v));
        }
    }
    OK
}

pub fn lpop(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    pop_generic(ctx, args, End::Left)
}

pub fn rpop(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    pop_generic(ctx, args, End::Right)
}

pub fn llen(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let key = args.get(1);
    let s = ctx.ks().read(ctx.db(), key);
    let n = ctx
        .read(key, s.get_list(key, ctx.now))?
        .map_or(0, |l| l.len());
    ctx.out.int(n as i64);
    OK
}

pub fn lrange(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let key = args.get(1);
    let (start, stop) = (int_arg(args.get(2))?, int_arg(args.get(3))?);
    let s = ctx.ks().read(ctx.db(), key);
    let l = ctx.read(key, s.get_list(key, ctx.now))?;
    match l.and_then(|l| index_range(l.len(), start, stop).map(|r| (l, r))) {
        Some((l, (a, b))) => {
            ctx.out.array(b - a + 1);
            l.range(a, b).for_each(|v| ctx.out.bulk(v));
        }
        None => ctx.out.array(0),
    }
    OK
}

pub fn lindex(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let key = args.get(1);
    let s = ctx.ks().read(ctx.db(), key);
    // As in Redis, the key (missing: nil; another type: WRONGTYPE) before the index.
    let Some(l) = ctx.read(key, s.get_list(key, ctx.now))? else {
        ctx.out.bulk_opt(None);
        return OK;
    };
    let i = int_arg(args.get(2))?;
    ctx.out.bulk_opt(index(l.len(), i).and_then(|i| l.get(i)));
    OK
}

pub fn lset(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let key = args.get(1);
    let mut s = ctx.ks().write(ctx.db(), key);
    // As in Redis, the key (missing, another type) before the index.
    if s.get_list(key, ctx.now)?.is_none() {
        return Err(CmdError::NoSuchKey);
    }
    let i = int_arg(args.get(2))?;
    s.lset(key, i, args.get(3), ctx.now)?;
    s.changed(key, ev::LIST, "lset");
    drop(s);
    ctx.out.ok();
    OK
}

pub fn linsert(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let key = args.get(1);
    let after = if args.is(2, "after") {
        true
    } else if args.is(2, "before") {
        false
    } else {
        return Err(CmdError::Syntax);
    };
    let mut s = ctx.ks().write(ctx.db(), key);
    let n = s.linsert(key, after, args.get(3), args.get(4), ctx.now)?;
    if n > 0 {
        s.changed(key, ev::LIST, "linsert");
    }
    drop(s);
    ctx.out.int(n);
    OK
}

pub fn lrem(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let key = args.get(1);
    let count = int_arg(args.get(2))?;
    let mut s = ctx.ks().write(ctx.db(), key);
    let n = s.lrem(key, count, args.get(3), ctx.now)?;
    if n > 0 {
        s.changed(key, ev::LIST, "lrem");
    }
    drop(s);
    ctx.out.int(n as i64);
    OK
}

pub fn ltrim(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let key = args.get(1);
    let (start, stop) = (int_arg(args.get(2))?, int_arg(args.get(3))?);
    let mut s = ctx.ks().write(ctx.db(), key);
    if s.get_list(key, ctx.now)?.is_some() {
        s.ltrim(key, start, stop, ctx.now)?;
        s.changed(key, ev::LIST, "ltrim");
    }
    drop(s);
    ctx.out.ok();
    OK
}

/// LPOS key element [RANK rank] [COUNT num] [MAXLEN len].
pub fn lpos(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let (key, elem) = (args.get(1), args.get(2));
    let (mut rank, mut count, mut maxlen) = (1i64, None::<usize>, 0usize);
    let mut i = 3;
    while i < args.len() {
        if i + 1 >= args.len() {
            return Err(CmdError::Syntax);
        }
        // The option's name first, then its value, each with Redis's message for it.
        let v = args.get(i + 1);
        if args.is(i, "rank") {
            let v = super::random::symmetric_long_arg(v)?;
            if v == 0 {
                return Err(CmdError::Other("RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list".into()));
            }
            rank = v;
        } else if args.is(i, "count") {
            count = Some(super::non_negative_arg(v, "COUNT can't be negative")?);
        } else if args.is(i, "maxlen") {
            maxlen = super::non_negative_arg(v, "MAXLEN can't be negative")?;
        } else {
            return Err(CmdError::Syntax);
        }
        i += 2;
    }
    let s = ctx.ks().read(ctx.db(), key);
    let mut found = Vec::new();
    if let Some(l) = ctx.read(key, s.get_list(key, ctx.now))? {
        let want = count.map_or(1, |c| if c == 0 { usize::MAX } else { c });
        let limit = if maxlen == 0 {
            l.len()
        } else {
            maxlen.min(l.len())
        };
        let mut skip = rank.unsigned_abs() - 1;
        let n = l.len();
        let positions: Box<dyn Iterator<Item = (usize, &[u8])>> = if rank > 0 {
            Box::new(l.iter().enumerate().take(limit))
        } else {
            Box::new(
                l.iter_rev()
                    .enumerate()
                    .map(|(i, v)| (n - 1 - i, v))
                    .take(limit),
            )
        };
        for (p, v) in positions {
            if v == elem {
                if skip > 0 {
                    skip -= 1;
                    continue;
                }
                found.push(p);
                if found.len() >= want {
                    break;
                }
            }
        }
    }
    drop(s);
    match count {
        None => match found.first() {
            Some(&p) => ctx.out.int(p as i64),
            None => ctx.out.null(),
        },
        Some(_) => {
            ctx.out.array(found.len());
            found.iter().for_each(|&p| ctx.out.int(p as i64));
        }
    }
    OK
}

fn end_arg(b: &[u8]) -> CmdResult<End> {
    super::keyword_arg(b, &[("left", End::Left), ("right", End::Right)])
}

/// LMOVE and RPOPLPUSH (and BLMOVE): pops from one end of `src`, pushes to one end of `dst`,
/// atomically. Returns the moved value, None when `src` is empty.
fn lmove_generic(
    ctx: &mut Ctx,
    src: &[u8],
    dst: &[u8],
    from: End,
    to: End,
) -> CmdResult<Option<Vec<u8>>> {
    let now = ctx.now;
    let mut locked = ctx.ks().lock_many(ctx.db(), [src, dst]);
    if locked.shard(src).list_mut(src, now, false)?.is_none() {
        return Ok(None);
    }
    // As Redis: the destination's type is checked before anything moves.
    locked.shard(dst).expire_if_needed(dst, now);
    locked.shard(dst).get_list(dst, now)?;
    let v = locked
        .shard(src)
        .pop(src, 1, from, now)?
        .and_then(|mut p| p.pop())
        .expect("source list is not empty");
    locked
        .shard(dst)
        .push(dst, std::iter::once(v.as_slice()), to, false, now)?;
    ctx.ks()
        .log(ctx.db(), &[b"LMOVE", src, dst, from.name(), to.name()]);
    // Redis's order: the push, then the pop, then the source's deletion.
    locked.shard(dst).changed(dst, ev::LIST, push_event(to));
    locked.shard(src).changed(src, ev::LIST, pop_event(from));
    Ok(Some(v))
}

pub fn lmove(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let (from, to) = (end_arg(args.get(3))?, end_arg(args.get(4))?);
    let v = lmove_generic(ctx, args.get(1), args.get(2), from, to)?;
    ctx.out.bulk_opt(v.as_deref());
    OK
}

pub fn rpoplpush(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let v = lmove_generic(ctx, args.get(1), args.get(2), End::Right, End::Left)?;
    ctx.out.bulk_opt(v.as_deref());
    OK
}

/// BLPOP/BRPOP key [key ...] timeout: pops from the first non-empty list, or blocks.
fn blocking_pop(ctx: &mut Ctx, args: Args, end: End) -> CmdResult<Action> {
    let timeout = super::blocking::timeout_arg(args.get(args.len() - 1))?;
    let keys: Vec<&[u8]> = args.iter().skip(1).take(args.len() - 2).collect();
    for &key in &keys {
        let mut s = ctx.ks().write(ctx.db(), key);
        let popped = pop_logged(&mut s, key, 1, end, ctx.now)?.and_then(|mut p| p.pop());
        if let Some(v) = popped {
            drop(s);
            super::blocking::unblock(ctx);
            ctx.out.array(2);
            ctx.out.bulk(key);
            ctx.out.bulk(&v);
            return OK;
        }
    }
    super::blocking::block(ctx, &keys, timeout, |o| o.null_array())
}

pub fn blpop(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    blocking_pop(ctx, args, End::Left)
}

pub fn brpop(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    blocking_pop(ctx, args, End::Right)
}

/// BLMOVE src dst LEFT|RIGHT LEFT|RIGHT timeout (and BRPOPLPUSH src dst timeout).
fn blmove_generic(
    ctx: &mut Ctx,
    args: &Args,
    from: End,
    to: End,
    timeout: &[u8],
) -> CmdResult<Action> {
    let timeout = super::blocking::timeout_arg(timeout)?;
    let (src, dst) = (args.get(1), args.get(2));
    if let Some(v) = lmove_generic(ctx, src, dst, from, to)? {
        super::blocking::unblock(ctx);
        ctx.out.bulk(&v);
        return OK;
    }
    // Redis answers a timeout with a null array, but a null bulk inside EXEC.
    let in_exec = ctx.ks().in_exec();
    super::blocking::block(ctx, &[src], timeout, |o| {
        if in_exec {
            o.null()
        } else {
            o.null_array()
        }
    })
}

pub fn blmove(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let (from, to) = (end_arg(args.get(3))?, end_arg(args.get(4))?);
    blmove_generic(ctx, &args, from, to, args.get(5))
}

pub fn brpoplpush(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    blmove_generic(ctx, &args, End::Right, End::Left, args.get(3))
}

/// The arguments of LMPOP/ZMPOP (and their blocking forms) from numkeys at `args[at]` on:
/// `numkeys key [key ...] where [COUNT count]`, checked in Redis's order (numkeys, where, COUNT;
/// the keys' types only when popping). `where_arg` reads LEFT|RIGHT or MIN|MAX.
fn mpop_args<'a, W>(
    args: &Args<'a>,
    at: usize,
    where_arg: impl Fn(&[u8]) -> CmdResult<W>,
) -> CmdResult<(Vec<&'a [u8]>, W, usize)> {
    let n = super::positive_arg(args.get(at), "numkeys should be greater than 0")?;
    let where_at = (at as u64).saturating_add(n as u64).saturating_add(1);
    if where_at >= args.len() as u64 {
        return Err(CmdError::Syntax);
    }
    let where_at = where_at as usize;
    let end = where_arg(args.get(where_at))?;
    let mut count = None;
    let mut i = where_at + 1;
    while i < args.len() {
        if count.is_none() && args.is(i, "count") && i + 1 < args.len() {
            count = Some(super::positive_arg(
                args.get(i + 1),
                "count should be greater than 0",
            )?);
            i += 2;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    let keys = args.from(at + 1).iter().take(n).collect();
    Ok((keys, end, count.unwrap_or(1)))
}

/// LMPOP/ZMPOP numkeys key [key ...] where [COUNT count], and BLMPOP/BZMPOP with `timeout`
/// before numkeys (at `args[at]`): `pop` takes up to count items from one key (None or empty:
/// nothing there; it logs what it took), and the reply is `[key, [items]]`, each item written
/// by `emit`; with nothing anywhere, a null array or a block.
pub fn mpop_generic<W: Copy, T>(
    ctx: &mut Ctx,
    args: &Args,
    at: usize,
    timeout: Option<&[u8]>,
    where_arg: impl Fn(&[u8]) -> CmdResult<W>,
    pop: impl Fn(&mut Shard, &[u8], usize, W, u64) -> CmdResult<Option<Vec<T>>>,
    emit: impl Fn(&mut Out, &T),
) -> CmdResult<Action> {
    let (keys, end, count) = mpop_args(args, at, where_arg)?;
    let timeout = timeout.map(super::blocking::timeout_arg).transpose()?;
    for &key in &keys {
        let mut s = ctx.ks().write(ctx.db(), key);
        let Some(popped) = pop(&mut s, key, count, end, ctx.now)?.filter(|p| !p.is_empty()) else {
            continue;
        };
        drop(s);
        super::blocking::unblock(ctx);
        ctx.out.array(2);
        ctx.out.bulk(key);
        ctx.out.array(popped.len());
        popped.iter().for_each(|v| emit(ctx.out, v));
        return OK;
    }
    match timeout {
        Some(t) => super::blocking::block(ctx, &keys, t, |o| o.null_array()),
        None => {
            ctx.out.null_array();
            OK
        }
    }
}

fn mpop(ctx: &mut Ctx, args: &Args, at: usize, timeout: Option<&[u8]>) -> CmdResult<Action> {
    mpop_generic(ctx, args, at, timeout, end_arg, pop_logged, |o, v| {
        o.bulk(v)
    })
}

/// LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count].
pub fn lmpop(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    mpop(ctx, &args, 1, None)
}

/// BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count].
pub fn blmpop(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    mpop(ctx, &args, 2, Some(args.get(1)))
}
