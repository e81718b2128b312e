//! Set commands.

use super::list::count_arg;
use super::{random, Action, Ctx, OK};
use crate::error::{CmdError, CmdResult};
use crate::keyspace::events::class as ev;
use crate::keyspace::{Coll, Member, SetVal, ShardView};
use crate::resp::Args;
use rand::Rng;

pub fn sadd(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let key = args.get(1);
    let mut s = ctx.ks().write(ctx.db(), key);
    let n = s.sadd(key, args.from(2).iter(), ctx.now)?;
    if n > 0 {
        s.changed(key, ev::SET, "sadd");
    }
    drop(s);
    ctx.out.int(n as i64);
    OK
}

pub fn srem(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let key = args.get(1);
    let mut s = ctx.ks().write(ctx.db(), key);
    let n = s.srem(key, args.from(2).iter(), ctx.now)?;
    if n > 0 {
        s.changed(key, ev::SET, "srem");
    }
    drop(s);
    ctx.out.int(n as i64);
    OK
}

pub fn smembers(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let key = args.get(1);
    let s = ctx.ks().read(ctx.db(), key);
    match ctx.read(key, s.get_set(key, ctx.now))? {
        Some(set) => {
            ctx.out.set(set.len());
            set.iter().for_each(|m| ctx.out.bulk(&m));
        }
        None => ctx.out.set(0),
    }
    OK
}

pub fn sismember(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let key = args.get(1);
    let s = ctx.ks().read(ctx.db(), key);
    let found = ctx
        .read(key, s.get_set(key, ctx.now))?
        .is_some_and(|set| set.contains(args.get(2)));
    ctx.out.int(found as i64);
    OK
}

pub fn smismember(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let key = args.get(1);
    let s = ctx.ks().read(ctx.db(), key);
    let set = ctx.read(key, s.get_set(key, ctx.now))?;
    ctx.out.array(args.len() - 2);
    for m in args.from(2).iter() {
        ctx.out.int(set.is_some_and(|set| set.contains(m)) as i64);
    }
    OK
}

pub fn scard(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let key = args.get(1);
    let s = ctx.ks().read(ctx.db(), key);
    let n = ctx
        .read(key, s.get_set(key, ctx.now))?
        .map_or(0, |s| s.len());
    ctx.out.int(n as i64);
    OK
}

pub fn spop(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
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
    let popped = s.spop(key, count.unwrap_or(1), ctx.now)?;
    if let Some(p) = popped.as_ref().filter(|p| !p.is_empty()) {
        // The effect: which members went, not a random pick to redo.
        let mut rec: Vec<&[u8]> = vec![b"SREM", key];
        rec.extend(p.iter().map(|m| &**m));
        s.log(&rec);
        s.changed(key, ev::SET, "spop");
    }
    drop(s);
    match (count, popped) {
        (None, p) => ctx
            .out
            .bulk_opt(p.as_ref().and_then(|p| p.first()).map(|m| &**m)),
        (Some(_), p) => {
            let p = p.unwrap_or_default();
            ctx.out.set(p.len());
            p.iter().for_each(|m| ctx.out.bulk(m));
        }
    }
    OK
}

pub fn srandmember(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    if args.len() > 3 {
        return Err(CmdError::Syntax);
    }
    let key = args.get(1);
    let count = if args.len() == 3 {
        Some(random::symmetric_long_arg(args.get(2))?)
    } else {
        None
    };
    let s = ctx.ks().read(ctx.db(), key);
    let set = ctx
        .read(key, s.get_set(key, ctx.now))?
        .filter(|s| !s.is_empty());
    let member = |i: usize| set.and_then(|s| s.get_index(i)).expect("in range");
    let Some(c) = count else {
        let pick = set.map(|s| rand::rng().random_range(0..s.len()));
        ctx.out.bulk_opt(pick.map(member).as_deref());
        return OK;
    };
    let picks = random::picks(set.map_or(0, |s| s.len()), c, |i| {
        random::bulk_size(member(i).len())
    })?;
    random::reply_picks(ctx.out, picks, false, |out, i| out.bulk(&member(i)));
    OK
}

pub fn smove(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let (src, dst, m) = (args.get(1), args.get(2), args.get(3));
    let now = ctx.now;
    let mut locked = ctx.ks().lock_many(ctx.db(), [src, dst]);
    // As Redis: a missing source answers 0 before any type check; otherwise the destination's
    // type is checked even when nothing moves.
    let Some(set) = locked.shard(src).set_mut(src, now, false)? else {
        drop(locked);
        ctx.out.int(0);
        return OK;
    };
    let present = set.contains(m);
    locked.shard(dst).expire_if_needed(dst, now);
    locked.shard(dst).get_set(dst, now)?;
    if present && src != dst {
        let s = locked.shard(src);
        s.srem(src, std::iter::once(m), now)?;
        s.changed(src, ev::SET, "srem");
        let d = locked.shard(dst);
        d.sadd(dst, std::iter::once(m), now)?;
        d.changed(dst, ev::SET, "sadd");
    }
    drop(locked);
    ctx.out.int(present as i64);
    OK
}

/// Which set algebra.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    Inter,
    Union,
    Diff,
}

/// The result of `op` over `keys` (missing keys are empty sets), in the order Redis would list it.
/// `looked_up` hears of each key read, in order, up to one of another type.
fn combine<'a, V: ShardView>(
    locked: &'a V,
    keys: &[&[u8]],
    op: Op,
    now: u64,
    mut looked_up: impl FnMut(&[u8], bool),
) -> CmdResult<Vec<Member<'a>>> {
    let mut sets: Vec<Option<&SetVal>> = Vec::with_capacity(keys.len());
    for k in keys {
        let r = locked.view(k).get_set(k, now);
        looked_up(k, !matches!(r, Ok(None)));
        sets.push(r?);
    }
    let others = |skip: usize| sets.iter().enumerate().filter(move |(i, _)| *i != skip);
    Ok(match op {
        Op::Inter => {
            if sets.iter().any(Option::is_none) {
                return Ok(Vec::new());
            }
            // Walk the smallest set, probe the others.
            let small = (0..sets.len())
                .min_by_key(|&i| sets[i].map_or(0, |s| s.len()))
                .unwrap_or(0);
            sets[small]
                .into_iter()
                .flatten()
                .filter(|m| others(small).all(|(_, s)| s.is_some_and(|s| s.contains(m))))
                .collect()
        }
        Op::Union => {
            let mut seen: indexmap::IndexSet<Member, ahash::RandomState> = Default::default();
            for s in sets.iter().flatten() {
                seen.extend(s.iter());
            }
            seen.into_iter().collect()
        }
        Op::Diff => sets[0]
            .into_iter()
            .flatten()
            .filter(|m| others(0).all(|(_, s)| !s.is_some_and(|s| s.contains(m))))
            .collect(),
    })
}

fn algebra(ctx: &mut Ctx, args: Args, op: Op) -> CmdResult<Action> {
    let keys: Vec<&[u8]> = args.from(1).iter().collect();
    let locked = ctx.ks().read_many(ctx.db(), keys.iter().copied());
    let members = combine(&locked, &keys, op, ctx.now, |k, f| ctx.looked_up(k, f))?;
    ctx.out.set(members.len());
    members.iter().for_each(|m| ctx.out.bulk(m));
    OK
}

pub fn sinter(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    algebra(ctx, args, Op::Inter)
}

pub fn sunion(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    algebra(ctx, args, Op::Union)
}

pub fn sdiff(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    algebra(ctx, args, Op::Diff)
}

/// SINTERSTORE/SUNIONSTORE/SDIFFSTORE: the result replaces `dst` (deleted when empty).
fn algebra_store(ctx: &mut Ctx, args: Args, op: Op) -> CmdResult<Action> {
    let dst = args.get(1);
    let keys: Vec<&[u8]> = args.from(2).iter().collect();
    let now = ctx.now;
    let mut locked = ctx
        .ks()
        .lock_many(ctx.db(), keys.iter().copied().chain([dst]));
    for k in keys.iter().chain([&dst]) {
        locked.shard(k).expire_if_needed(k, now);
    }
    let members: Vec<Vec<u8>> = combine(&locked, &keys, op, now, |k, f| ctx.looked_up(k, f))?
        .into_iter()
        .map(|m| m.to_vec())
        .collect();
    let d = locked.shard(dst);
    if members.is_empty() {
        if d.remove_overwritten(dst) {
            d.changed(dst, ev::GENERIC, "del");
        }
    } else {
        d.store(
            dst,
            Coll::Set(SetVal::of(members.iter().map(|m| m.as_slice()))),
        );
        let event = match op {
            Op::Inter => "sinterstore",
            Op::Union => "sunionstore",
            Op::Diff => "sdiffstore",
        };
        d.changed(dst, ev::SET, event);
    }
    // Deterministic given the sources just before it in the file: recorded as sent (by default,
    // see `cmd::handle`), unless it changed nothing.
    drop(locked);
    ctx.out.int(members.len() as i64);
    OK
}

pub fn sinterstore(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    algebra_store(ctx, args, Op::Inter)
}

pub fn sunionstore(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    algebra_store(ctx, args, Op::Union)
}

pub fn sdiffstore(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    algebra_store(ctx, args, Op::Diff)
}

/// SINTERCARD numkeys key [key ...] [LIMIT limit].
pub fn sintercard(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let n = super::positive_arg(args.get(1), "numkeys should be greater than 0")?;
    if n > args.len() - 2 {
        return Err(CmdError::Other(
            "Number of keys can't be greater than number of args".into(),
        ));
    }
    let mut limit = 0usize;
    let mut i = 2 + n;
    while i < args.len() {
        if args.is(i, "limit") && i + 1 < args.len() {
            limit = super::non_negative_arg(args.get(i + 1), "LIMIT can't be negative")?;
            i += 2;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    let keys: Vec<&[u8]> = args.from(2).iter().take(n).collect();
    let locked = ctx.ks().read_many(ctx.db(), keys.iter().copied());
    let mut card = combine(&locked, &keys, Op::Inter, ctx.now, |k, f| {
        ctx.looked_up(k, f)
    })?
    .len();
    if limit > 0 {
        card = card.min(limit);
    }
    ctx.out.int(card as i64);
    OK
}

pub fn sscan(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let cursor = super::cursor_arg(args.get(2))?;
    let s = ctx.ks().read(ctx.db(), args.get(1));
    let set = ctx.read(args.get(1), s.get_set(args.get(1), ctx.now))?;
    // An intset is returned whole, as Redis does.
    let ints: Option<Vec<Member>> = set.filter(|s| s.is_intset()).map(|s| s.iter().collect());
    let len = set.map(|s| s.len());
    super::index_scan(
        ctx.out,
        &args,
        cursor,
        len,
        ints.is_some(),
        |i| match &ints {
            Some(v) => Some((&v.get(i)?[..], None)),
            None => match set?.get_index(i)? {
                Member::Bytes(m) => Some((m, None)),
                Member::Int(..) => None,
            },
        },
    )
}
