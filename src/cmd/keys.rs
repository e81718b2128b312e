//! Generic key commands: existence, deletion, type, listing, renames and TTLs.

use super::string::{expire_deadline, ExpireUnit};
use super::{cursor_arg, out_cursor, scan_opts, Action, Ctx, OK};
use crate::error::{CmdError, CmdResult};
use crate::keyspace::keys::ExpireCond;
use crate::resp::Args;

/// DEL and UNLINK (which frees large values on the lazy-free thread; DEL too with
/// lazyfree-lazy-user-del).
pub fn del(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let keys: Vec<&[u8]> = args.from(1).iter().collect();
    let lazy = args.get(0).eq_ignore_ascii_case(b"unlink")
        || ctx
            .shared
            .ks
            .lazy()
            .user_del
            .load(std::sync::atomic::Ordering::Relaxed);
    let n = ctx.ks().del(ctx.db(), &keys, ctx.now, lazy);
    ctx.out.int(n as i64);
    OK
}

/// EXISTS and TOUCH: live keys, a key named twice counted twice; TOUCH also marks each as used
/// now (its LRU/LFU clock), which EXISTS does not, as in Redis.
pub fn exists(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let touch = args.get(0).eq_ignore_ascii_case(b"touch");
    let mut n = 0;
    for k in args.from(1).iter() {
        let found = {
            let s = ctx.ks().read(ctx.db(), k);
            let found = s.kind(k, ctx.now).is_some();
            if found && touch {
                s.accessed(k, ctx.now);
            }
            found
        };
        ctx.looked_up(k, found);
        n += found as i64;
    }
    ctx.out.int(n);
    OK
}

pub fn type_(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let kind = ctx.ks().kind(ctx.db(), args.get(1), ctx.now);
    ctx.looked_up(args.get(1), kind.is_some());
    ctx.out.simple(kind.map_or("none", |k| k.name()));
    OK
}

pub fn keys(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let keys = ctx.ks().keys(ctx.db(), args.get(1), ctx.now);
    ctx.out.array(keys.len());
    keys.iter().for_each(|k| ctx.out.bulk(k));
    OK
}

pub fn scan(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let cursor = cursor_arg(args.get(1))?;
    let o = scan_opts(args.from(2), true)?;
    let (next, keys) = ctx
        .ks()
        .scan(ctx.db(), cursor, o.pattern, o.count, o.kind, ctx.now);
    out_cursor(ctx.out, next);
    ctx.out.array(keys.len());
    keys.iter().for_each(|k| ctx.out.bulk(k));
    OK
}

pub fn rename(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    ctx.ks()
        .rename(ctx.db(), args.get(1), args.get(2), false, ctx.now)?;
    ctx.out.ok();
    OK
}

pub fn renamenx(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let done = ctx
        .ks()
        .rename(ctx.db(), args.get(1), args.get(2), true, ctx.now)?;
    ctx.out.int(done as i64);
    OK
}

/// A database index argument of COPY and MOVE: a C int (`msg` names a non-number, as SWAPDB
/// does), then "DB index is out of range".
fn db_arg(ctx: &Ctx, b: &[u8], msg: Option<&str>) -> CmdResult<usize> {
    let d = match msg {
        Some(m) => super::c_int_arg(b).map_err(|_| CmdError::Other(m.into()))?,
        None => super::c_int_arg(b)?,
    };
    usize::try_from(d)
        .ok()
        .filter(|&d| d < ctx.ks().databases())
        .ok_or_else(|| CmdError::Other("DB index is out of range".into()))
}

fn same_object() -> CmdError {
    CmdError::Other("source and destination objects are the same".into())
}

/// COPY source destination [DB db] [REPLACE].
pub fn copy(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let (src, dst) = (args.get(1), args.get(2));
    let (mut to_db, mut replace) = (ctx.db(), false);
    let mut i = 3;
    while i < args.len() {
        if args.is(i, "replace") {
            replace = true;
        } else if args.is(i, "db") && i + 1 < args.len() {
            to_db = db_arg(ctx, args.get(i + 1), None)?;
            i += 1;
        } else {
            return Err(CmdError::Syntax);
        }
        i += 1;
    }
    if to_db == ctx.db() && src == dst {
        return Err(same_object());
    }
    // COPY reads its source as a read command does.
    let found = ctx.ks().kind(ctx.db(), src, ctx.now).is_some();
    ctx.looked_up(src, found);
    let done = ctx
        .ks()
        .copy(ctx.db(), src, to_db, dst, replace, true, ctx.now);
    ctx.out.int(done as i64);
    OK
}

/// MOVE key db.
pub fn move_(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let to_db = db_arg(ctx, args.get(2), None)?;
    if to_db == ctx.db() {
        return Err(same_object());
    }
    let key = args.get(1);
    let done = ctx
        .ks()
        .copy(ctx.db(), key, to_db, key, false, false, ctx.now);
    ctx.out.int(done as i64);
    OK
}

/// SWAPDB index1 index2.
pub fn swapdb(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    // As Redis: both indexes read as integers, then both checked against the range.
    let bad = |m: &str| CmdError::Other(m.into());
    super::c_int_arg(args.get(1)).map_err(|_| bad("invalid first DB index"))?;
    super::c_int_arg(args.get(2)).map_err(|_| bad("invalid second DB index"))?;
    let a = db_arg(ctx, args.get(1), None)?;
    let b = db_arg(ctx, args.get(2), None)?;
    ctx.ks().swapdb(a, b);
    ctx.out.ok();
    OK
}

pub fn randomkey(ctx: &mut Ctx, _args: Args) -> CmdResult<Action> {
    let k = ctx.ks().random_key(ctx.db(), ctx.now);
    ctx.out.bulk_opt(k.as_deref());
    OK
}

/// The one path behind EXPIRE, PEXPIRE, EXPIREAT and PEXPIREAT with NX/XX/GT/LT.
fn expire_generic(
    ctx: &mut Ctx,
    args: Args,
    unit: ExpireUnit,
    name: &'static str,
) -> CmdResult<Action> {
    let key = args.get(1);
    // As Redis: every option is read (an unknown one is an error) before the combinations.
    let mut cond = ExpireCond::default();
    for opt in args.from(3).iter() {
        match opt.to_ascii_lowercase().as_slice() {
            b"nx" => cond.nx = true,
            b"xx" => cond.xx = true,
            b"gt" => cond.gt = true,
            b"lt" => cond.lt = true,
            _ => {
                // Redis prints the option as a C string: up to a NUL.
                let shown = opt.split(|&c| c == 0).next().unwrap_or(opt);
                return Err(CmdError::Other(format!(
                    "Unsupported option {}",
                    String::from_utf8_lossy(shown)
                )));
            }
        }
    }
    if cond.nx && (cond.xx || cond.gt || cond.lt) {
        return Err(CmdError::NxXxGtLt);
    }
    if cond.gt && cond.lt {
        return Err(CmdError::GtLt);
    }
    // Unlike SET, EXPIRE accepts zero and negative times: the key is deleted.
    let n = super::int_arg(args.get(2))?;
    let at = if n > 0 {
        expire_deadline(args.get(2), unit, ctx.now, name)?
    } else {
        let ms = match unit {
            ExpireUnit::Sec | ExpireUnit::AtSec => {
                n.checked_mul(1000).ok_or(CmdError::InvalidExpire(name))?
            }
            _ => n,
        };
        match unit {
            ExpireUnit::Sec | ExpireUnit::Ms => (ctx.now as i64).saturating_add(ms).max(0) as u64,
            _ => ms.max(0) as u64,
        }
    };
    let db = ctx.db();
    let done = ctx.ks().write(db, key).expire_at(key, at, cond, ctx.now);
    if done {
        ctx.ks().mark_expires(db);
    }
    ctx.out.int(done as i64);
    OK
}

pub fn expire(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    expire_generic(ctx, args, ExpireUnit::Sec, "expire")
}

pub fn pexpire(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    expire_generic(ctx, args, ExpireUnit::Ms, "pexpire")
}

pub fn expireat(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    expire_generic(ctx, args, ExpireUnit::AtSec, "expireat")
}

pub fn pexpireat(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    expire_generic(ctx, args, ExpireUnit::AtMs, "pexpireat")
}

/// TTL-family replies: -2 missing, -1 no TTL, else `f(remaining or deadline in ms)`.
fn ttl_generic(ctx: &mut Ctx, args: Args, absolute: bool, ms: bool) -> CmdResult<Action> {
    let key = args.get(1);
    let s = ctx.ks().read(ctx.db(), key);
    let pttl = s.pttl(key, ctx.now);
    ctx.looked_up(key, pttl != -2);
    let v = if pttl < 0 {
        pttl
    } else {
        let v = if absolute {
            s.ttl_of(key).unwrap_or(0) as i64
        } else {
            pttl
        };
        // TTL rounds to the nearest second, as Redis does ((ttl+500)/1000).
        if ms {
            v
        } else if absolute {
            v / 1000
        } else {
            (v + 500) / 1000
        }
    };
    ctx.out.int(v);
    OK
}

pub fn ttl(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    ttl_generic(ctx, args, false, false)
}

pub fn pttl(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    ttl_generic(ctx, args, false, true)
}

pub fn expiretime(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    ttl_generic(ctx, args, true, false)
}

pub fn pexpiretime(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    ttl_generic(ctx, args, true, true)
}

pub fn persist(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let key = args.get(1);
    let mut s = ctx.ks().write(ctx.db(), key);
    s.expire_if_needed(key, ctx.now);
    let had = s.kind(key, ctx.now).is_some() && s.ttl_of(key).is_some();
    if had {
        s.set_expire(key, None);
        s.log(&[b"PERSIST", key]);
        s.changed(key, crate::keyspace::events::class::GENERIC, "persist");
    }
    drop(s);
    ctx.out.int(had as i64);
    OK
}

/// OBJECT ENCODING key
pub fn object_encoding(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let key = args.get(2);
    let enc = ctx.ks().read(ctx.db(), key).encoding(key, ctx.now);
    match enc {
        Some(e) => ctx.out.bulk(e.as_bytes()),
        None => ctx.out.null(),
    }
    OK
}

/// OBJECT REFCOUNT key
pub fn object_refcount(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let key = args.get(2);
    match ctx.ks().read(ctx.db(), key).refcount(key, ctx.now) {
        Some(n) => ctx.out.int(n),
        None => ctx.out.null(),
    }
    OK
}

/// OBJECT IDLETIME and FREQ: the key's access clock (idle time under every policy but an LFU
/// one, the counter under LFU); each refuses under the other kind of policy with Redis's error.
fn object_access(ctx: &mut Ctx, args: Args, lfu_wanted: bool) -> CmdResult<Action> {
    let key = args.get(2);
    let info = {
        let s = ctx.ks().read(ctx.db(), key);
        s.refcount(key, ctx.now)
            .map(|_| s.access_info(key, ctx.now))
    };
    let Some((idle, freq)) = info else {
        ctx.out.null();
        return OK;
    };
    let lfu = ctx.shared.ks.budget.policy().name().contains("lfu");
    if lfu && !lfu_wanted {
        return Err(CmdError::Other("An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.".into()));
    }
    if !lfu && lfu_wanted {
        return Err(CmdError::Other("An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.".into()));
    }
    ctx.out.int(if lfu_wanted {
        i64::from(freq)
    } else {
        idle as i64
    });
    OK
}

pub fn object_idletime(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    object_access(ctx, args, false)
}

pub fn object_freq(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    object_access(ctx, args, true)
}

pub fn object_help(ctx: &mut Ctx, _args: Args) -> CmdResult<Action> {
    super::help(
        ctx.out,
        "OBJECT",
        &[
            "ENCODING <key>",
            "    Return the kind of internal representation used in order to store the value",
            "    associated with a <key>.",
            "FREQ <key>",
            "    Return the access frequency index of the <key>. The returned integer is",
            "    proportional to the logarithm of the recent access frequency of the key.",
            "IDLETIME <key>",
            "    Return the idle time of the <key>, that is the approximated number of",
            "    seconds elapsed since the last access to the key.",
            "REFCOUNT <key>",
            "    Return the number of references of the value associated with the specified",
            "    <key>.",
        ],
    );
    OK
}
