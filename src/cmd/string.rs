//! String commands.

use super::{int_arg, Action, Ctx, OK};
use crate::error::{CmdError, CmdResult};
use crate::keyspace::events::class as ev;
use crate::keyspace::strings::{byte_range, ExpireSpec, SetCond, SetOpts};
use crate::resp::Args;

/// Unit of an expire argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpireUnit {
    /// EX: seconds from now.
    Sec,
    /// PX: milliseconds from now.
    Ms,
    /// EXAT: Unix seconds.
    AtSec,
    /// PXAT: Unix milliseconds.
    AtMs,
}

/// Turns an expire argument into an absolute deadline (ms). Non-positive or overflowing values
/// get "invalid expire time in '<cmd>' command", as in Redis.
pub fn expire_deadline(v: &[u8], unit: ExpireUnit, now: u64, cmd: &'static str) -> CmdResult<u64> {
    let n = int_arg(v)?;
    if n <= 0 {
        return Err(CmdError::InvalidExpire(cmd));
    }
    let ms = match unit {
        ExpireUnit::Sec | ExpireUnit::AtSec => n.checked_mul(1000),
        ExpireUnit::Ms | ExpireUnit::AtMs => Some(n),
    }
    .ok_or(CmdError::InvalidExpire(cmd))?;
    let at = match unit {
        ExpireUnit::Sec | ExpireUnit::Ms => ms.checked_add(now as i64),
        _ => Some(ms),
    }
    .ok_or(CmdError::InvalidExpire(cmd))?;
    Ok(at as u64)
}

/// The expire option at `args[i]` (EX/PX/EXAT/PXAT), if it is one.
fn expire_unit(args: &Args, i: usize) -> Option<ExpireUnit> {
    let a = args.get(i);
    [
        ("ex", ExpireUnit::Sec),
        ("px", ExpireUnit::Ms),
        ("exat", ExpireUnit::AtSec),
        ("pxat", ExpireUnit::AtMs),
    ]
    .into_iter()
    .find(|(n, _)| a.eq_ignore_ascii_case(n.as_bytes()))
    .map(|(_, u)| u)
}

/// Applies one SET-family write and replies; every SET variant funnels through here.
fn set_and_reply(ctx: &mut Ctx, key: &[u8], val: &[u8], opts: SetOpts) -> CmdResult<Action> {
    let db = ctx.db();
    let mut s = ctx.ks().write(db, key);
    if opts.get {
        // GET reads the old value first, as a read command would.
        ctx.looked_up(key, s.kind(key, ctx.now).is_some());
    }
    let r = s.set_generic(key, val, opts, ctx.now)?;
    if r.applied {
        s.log_set(key, val, opts.expire);
        s.changed(key, ev::STRING, "set");
        if let ExpireSpec::At(_) = opts.expire {
            s.notify(ev::GENERIC, "expire", key);
        }
    }
    drop(s);
    if r.applied && matches!(opts.expire, ExpireSpec::At(_)) {
        ctx.ks().mark_expires(db);
    }
    if opts.get {
        ctx.out.bulk_opt(r.old.as_deref());
    } else if r.applied {
        ctx.out.ok();
    } else {
        ctx.out.null();
    }
    OK
}

pub fn get(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let key = args.get(1);
    let s = ctx.ks().read(ctx.db(), key);
    let v = ctx.read(key, s.get_str(key, ctx.now))?;
    ctx.out.bulk_opt(v);
    OK
}

pub fn set(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    // As in Redis, an option may repeat (the last value wins) but may not meet its opposite;
    // the time is read once all options are (only the last one counts).
    let mut opts = SetOpts::PLAIN;
    let mut time: Option<(ExpireUnit, &[u8])> = None;
    let mut i = 3;
    while i < args.len() {
        let keepttl = opts.expire == ExpireSpec::Keep;
        if args.is(i, "nx") && opts.cond != SetCond::Xx {
            opts.cond = SetCond::Nx;
        } else if args.is(i, "xx") && opts.cond != SetCond::Nx {
            opts.cond = SetCond::Xx;
        } else if args.is(i, "get") {
            opts.get = true;
        } else if args.is(i, "keepttl") && time.is_none() {
            opts.expire = ExpireSpec::Keep;
        } else if let Some(unit) = expire_unit(&args, i)
            .filter(|u| !keepttl && time.is_none_or(|(s, _)| s == *u) && i + 1 < args.len())
        {
            time = Some((unit, args.get(i + 1)));
            i += 1;
        } else {
            return Err(CmdError::Syntax);
        }
        i += 1;
    }
    if let Some((unit, t)) = time {
        opts.expire = ExpireSpec::At(expire_deadline(t, unit, ctx.now, "set")?);
    }
    set_and_reply(ctx, args.get(1), args.get(2), opts)
}

pub fn setnx(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let (key, db) = (args.get(1), ctx.db());
    let opts = SetOpts {
        cond: SetCond::Nx,
        ..SetOpts::PLAIN
    };
    let mut s = ctx.ks().write(db, key);
    let r = s.set_generic(key, args.get(2), opts, ctx.now)?;
    if r.applied {
        s.log_set(key, args.get(2), opts.expire);
        s.changed(key, ev::STRING, "set");
    }
    drop(s);
    ctx.out.int(r.applied as i64);
    OK
}

fn setex_generic(
    ctx: &mut Ctx,
    args: Args,
    unit: ExpireUnit,
    cmd: &'static str,
) -> CmdResult<Action> {
    let at = expire_deadline(args.get(2), unit, ctx.now, cmd)?;
    set_and_reply(
        ctx,
        args.get(1),
        args.get(3),
        SetOpts {
            expire: ExpireSpec::At(at),
            ..SetOpts::PLAIN
        },
    )
}

pub fn setex(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    setex_generic(ctx, args, ExpireUnit::Sec, "setex")
}

pub fn psetex(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    setex_generic(ctx, args, ExpireUnit::Ms, "psetex")
}

pub fn getset(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    set_and_reply(
        ctx,
        args.get(1),
        args.get(2),
        SetOpts {
            get: true,
            ..SetOpts::PLAIN
        },
    )
}

pub fn getex(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let (key, db) = (args.get(1), ctx.db());
    let mut persist = false;
    let mut time: Option<(ExpireUnit, &[u8])> = None;
    let mut i = 2;
    while i < args.len() {
        if args.is(i, "persist") && time.is_none() {
            persist = true;
        } else if let Some(unit) = expire_unit(&args, i)
            .filter(|u| !persist && time.is_none_or(|(s, _)| s == *u) && i + 1 < args.len())
        {
            time = Some((unit, args.get(i + 1)));
            i += 1;
        } else {
            return Err(CmdError::Syntax);
        }
        i += 1;
    }
    let mut s = ctx.ks().write(db, key);
    s.expire_if_needed(key, ctx.now);
    let v = ctx.read(key, s.get_str(key, ctx.now))?.map(|v| v.to_vec());
    // As in Redis: options, then the key (missing: nil, another type: WRONGTYPE), then the time.
    let spec = match time {
        _ if v.is_none() => ExpireSpec::Keep,
        Some((unit, t)) => ExpireSpec::At(expire_deadline(t, unit, ctx.now, "getex")?),
        None if persist => ExpireSpec::Clear,
        None => ExpireSpec::Keep,
    };
    if v.is_some() {
        match spec {
            ExpireSpec::Keep => {}
            ExpireSpec::Clear => {
                if s.ttl_of(key).is_some() {
                    s.set_expire(key, None);
                    s.log(&[b"PERSIST", key]);
                    s.changed(key, ev::GENERIC, "persist");
                }
            }
            ExpireSpec::At(at) if at <= ctx.now => {
                s.remove(key);
                s.log(&[b"DEL", key]);
                s.changed(key, ev::GENERIC, "del");
            }
            ExpireSpec::At(at) => {
                s.set_expire(key, Some(at));
                s.log(&[b"PEXPIREAT", key, itoa::Buffer::new().format(at).as_bytes()]);
                s.changed(key, ev::GENERIC, "expire");
                ctx.ks().mark_expires(db);
            }
        }
    }
    drop(s);
    ctx.out.bulk_opt(v.as_deref());
    OK
}

pub fn getdel(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let key = args.get(1);
    let mut s = ctx.ks().write(ctx.db(), key);
    ctx.looked_up(key, s.kind(key, ctx.now).is_some());
    let v = s.getdel(key, ctx.now)?;
    drop(s);
    ctx.out.bulk_opt(v.as_deref());
    OK
}

/// Key/value pairs of MSET/MSETNX, or the arity error when they do not pair up.
fn pairs<'a>(args: &Args<'a>, name: &str) -> CmdResult<Vec<(&'a [u8], &'a [u8])>> {
    if args.len().is_multiple_of(2) {
        return Err(CmdError::arity(name.as_bytes()));
    }
    Ok((1..args.len())
        .step_by(2)
        .map(|i| (args.get(i), args.get(i + 1)))
        .collect())
}

pub fn mset(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let kv = pairs(&args, "mset")?;
    let mut locked = ctx.ks().lock_many(ctx.db(), kv.iter().map(|(k, _)| *k));
    for (k, v) in &kv {
        let s = locked.shard(k);
        s.set_generic(k, v, SetOpts::PLAIN, ctx.now)?;
        s.changed(k, ev::STRING, "set");
    }
    drop(locked);
    ctx.out.ok();
    OK
}

pub fn msetnx(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let kv = pairs(&args, "msetnx")?;
    let mut locked = ctx.ks().lock_many(ctx.db(), kv.iter().map(|(k, _)| *k));
    let now = ctx.now;
    let any = kv
        .iter()
        .any(|(k, _)| locked.shard(k).kind(k, now).is_some());
    if !any {
        for (k, v) in &kv {
            let s = locked.shard(k);
            s.set_generic(k, v, SetOpts::PLAIN, now)?;
            s.changed(k, ev::STRING, "set");
        }
    }
    drop(locked);
    ctx.out.int(!any as i64);
    OK
}

pub fn mget(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let keys = args.from(1);
    let locked = ctx.ks().read_many(ctx.db(), keys.iter());
    ctx.out.array(keys.len());
    for k in keys.iter() {
        // MGET answers nil, not WRONGTYPE, for keys of another type.
        let r = locked.shard(k).get_str(k, ctx.now);
        ctx.looked_up(k, !matches!(r, Ok(None)));
        let v = r.ok().flatten();
        ctx.out.bulk_opt(v);
    }
    OK
}

pub fn append(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let key = args.get(1);
    let n = ctx
        .ks()
        .write(ctx.db(), key)
        .append(key, args.get(2), ctx.now)?;
    ctx.out.int(n as i64);
    OK
}

pub fn strlen(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let key = args.get(1);
    let s = ctx.ks().read(ctx.db(), key);
    let n = ctx
        .read(key, s.get_str(key, ctx.now))?
        .map_or(0, |v| v.len());
    ctx.out.int(n as i64);
    OK
}

pub fn getrange(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let key = args.get(1);
    let (start, end) = (int_arg(args.get(2))?, int_arg(args.get(3))?);
    let s = ctx.ks().read(ctx.db(), key);
    let v = ctx.read(key, s.get_str(key, ctx.now))?.unwrap_or_default();
    ctx.out
        .bulk(byte_range(v.len(), start, end).map_or(&[][..], |r| &v[r]));
    OK
}

pub fn setrange(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let key = args.get(1);
    let offset = int_arg(args.get(2))?;
    let n = ctx
        .ks()
        .write(ctx.db(), key)
        .setrange(key, offset, args.get(3), ctx.now)?;
    ctx.out.int(n as i64);
    OK
}

fn incr_generic(ctx: &mut Ctx, key: &[u8], delta: i64) -> CmdResult<Action> {
    let n = ctx.ks().write(ctx.db(), key).incr_by(key, delta, ctx.now)?;
    ctx.out.int(n);
    OK
}

pub fn incr(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    incr_generic(ctx, args.get(1), 1)
}

pub fn decr(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    incr_generic(ctx, args.get(1), -1)
}

pub fn incrby(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    incr_generic(ctx, args.get(1), int_arg(args.get(2))?)
}

pub fn decrby(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let d = int_arg(args.get(2))?;
    incr_generic(
        ctx,
        args.get(1),
        d.checked_neg()
            .ok_or_else(|| CmdError::Other("decrement would overflow".into()))?,
    )
}

pub fn incrbyfloat(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let key = args.get(1);
    let v = ctx
        .ks()
        .write(ctx.db(), key)
        .incr_by_float(key, args.get(2), ctx.now)?;
    ctx.out.bulk(&v);
    OK
}

/// LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN]
pub fn lcs(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let (ka, kb) = (args.get(1), args.get(2));
    let locked = ctx.ks().read_many(ctx.db(), [ka, kb]);
    let not_string = || CmdError::Other("The specified keys must contain string values".into());
    let a = ctx
        .read(ka, locked.shard(ka).get_str(ka, ctx.now))
        .map_err(|_| not_string())?
        .map(|v| v.to_vec())
        .unwrap_or_default();
    let b = ctx
        .read(kb, locked.shard(kb).get_str(kb, ctx.now))
        .map_err(|_| not_string())?
        .map(|v| v.to_vec())
        .unwrap_or_default();
    drop(locked);
    let (mut idx, mut len, mut with_len, mut min_len) = (false, false, false, 0i64);
    let mut i = 3;
    while i < args.len() {
        if args.is(i, "idx") {
            idx = true;
        } else if args.is(i, "len") {
            len = true;
        } else if args.is(i, "withmatchlen") {
            with_len = true;
        } else if args.is(i, "minmatchlen") && i + 1 < args.len() {
            min_len = int_arg(args.get(i + 1))?.max(0);
            i += 1;
        } else {
            return Err(CmdError::Syntax);
        }
        i += 1;
    }
    if idx && len {
        return Err(CmdError::Other(
            "If you want both the length and indexes, please just use IDX.".into(),
        ));
    }
    let limit = ctx
        .shared
        .proto_max_bulk_len
        .load(std::sync::atomic::Ordering::Relaxed) as u64;
    let (common, runs) = crate::keyspace::strings::lcs(&a, &b, limit)?;
    if idx {
        let shown: Vec<_> = runs
            .iter()
            .filter(|m| min_len == 0 || m.len as i64 >= min_len)
            .collect();
        ctx.out.map(2);
        ctx.out.bulk(b"matches");
        ctx.out.array(shown.len());
        for m in shown {
            ctx.out.array(2 + with_len as usize);
            for (s, e) in [m.a, m.b] {
                ctx.out.array(2);
                ctx.out.int(s as i64);
                ctx.out.int(e as i64);
            }
            if with_len {
                ctx.out.int(m.len as i64);
            }
        }
        ctx.out.bulk(b"len");
        ctx.out.int(common.len() as i64);
    } else if len {
        ctx.out.int(common.len() as i64);
    } else {
        ctx.out.bulk(&common);
    }
    OK
}
