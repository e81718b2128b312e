//! Stream commands: XADD XLEN XRANGE XREVRANGE XDEL XTRIM XREAD (COUNT, BLOCK, `$`).

use super::{int_arg, record, Action, Ctx, OK};
use crate::error::{CmdError, CmdResult};
use crate::keyspace::streams::{Fields, StreamId};
use crate::resp::{Args, Out};
use std::time::Duration;

/// Entries read out of a stream.
type Entries = Vec<(StreamId, Fields)>;

/// A trimming clause: MAXLEN|MINID [=|~] threshold [LIMIT count], starting at `args[i]`.
/// Returns (maxlen, minid, limit, args consumed).
type Trim = (Option<usize>, Option<StreamId>, usize);

fn parse_trim(args: &Args, i: usize) -> CmdResult<Option<(Trim, usize)>> {
    let maxlen = args.is(i, "maxlen");
    if !maxlen && !args.is(i, "minid") {
        return Ok(None);
    }
    let mut j = i + 1;
    if args.len() > j && (args.get(j) == b"=" || args.get(j) == b"~") {
        j += 1;
    }
    if j >= args.len() {
        return Err(CmdError::Syntax);
    }
    let (mut ml, mut mid) = (None, None);
    if maxlen {
        let n = int_arg(args.get(j))?;
        ml = Some(
            usize::try_from(n)
                .map_err(|_| CmdError::Other("The MAXLEN argument must be >= 0.".into()))?,
        );
    } else {
        mid = Some(StreamId::parse(args.get(j), 0)?);
    }
    j += 1;
    let mut limit = 0;
    if j + 1 < args.len() && args.is(j, "limit") {
        limit = usize::try_from(int_arg(args.get(j + 1))?)
            .map_err(|_| CmdError::Other("The LIMIT argument must be >= 0.".into()))?;
        j += 2;
    }
    Ok(Some(((ml, mid, limit), j - i)))
}

/// XADD key [NOMKSTREAM] [MAXLEN|MINID [=|~] threshold [LIMIT count]] *|id field value [...]
pub fn xadd(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let key = args.get(1);
    let mut i = 2;
    let mut nomkstream = false;
    let mut trim = None;
    loop {
        if args.is(i, "nomkstream") {
            nomkstream = true;
            i += 1;
        } else if let Some((t, used)) = parse_trim(&args, i)? {
            trim = Some(t);
            i += used;
        } else {
            break;
        }
    }
    let rest = args.len().saturating_sub(i + 1);
    if rest == 0 || rest % 2 == 1 {
        return Err(CmdError::arity(b"xadd"));
    }
    let id_arg = args.get(i);
    let mut s = ctx.ks().write(ctx.db(), key);
    let Some(st) = s.stream_mut(key, ctx.now, !nomkstream)? else {
        drop(s);
        ctx.out.null();
        return OK;
    };
    let last = st.last_id;
    let id = if id_arg == b"*" {
        let ms = ctx.now.max(last.ms);
        if ms == last.ms && st.last_id != StreamId::MIN {
            last.next()
        } else {
            Some(StreamId { ms, seq: 0 })
        }
    } else if let Some(ms) = id_arg.strip_suffix(b"-*") {
        let ms = StreamId::parse(ms, 0)?.ms;
        if ms == last.ms && last != StreamId::MIN {
            last.next().filter(|n| n.ms == ms)
        } else if ms > last.ms || last == StreamId::MIN {
            Some(StreamId {
                ms,
                seq: u64::from(ms == 0),
            })
        } else {
            None
        }
    } else {
        Some(StreamId::parse(id_arg, 0)?)
    };
    let Some(id) = id else {
        s.drop_if_empty(key);
        return Err(CmdError::Other(
            "The ID specified in XADD is equal or smaller than the target stream top item".into(),
        ));
    };
    if id == StreamId::MIN {
        return Err(CmdError::Other(
            "The ID specified in XADD must be greater than 0-0".into(),
        ));
    }
    if id <= last {
        return Err(CmdError::Other(
            "The ID specified in XADD is equal or smaller than the target stream top item".into(),
        ));
    }
    let fields: Fields = (i + 1..args.len())
        .step_by(2)
        .map(|j| (args.get(j).to_vec(), args.get(j + 1).to_vec()))
        .collect();
    st.entries.insert(id, fields);
    st.last_id = id;
    if let Some((ml, mid, limit)) = trim {
        st.trim(ml, mid, limit);
    }
    // The effect: the entry under its final ID, then the exact trim that followed.
    let idt = id.text();
    let mut rec: Vec<&[u8]> = vec![b"XADD", key, &idt];
    rec.extend(args.iter().skip(i + 1));
    s.log(&rec);
    if let Some((ml, mid, _)) = trim {
        let t = match (ml, mid) {
            (Some(n), _) => (b"MAXLEN".as_slice(), n.to_string().into_bytes()),
            (_, Some(m)) => (b"MINID".as_slice(), m.text()),
            _ => unreachable!("a trim has a threshold"),
        };
        s.log(&[b"XTRIM", key, t.0, b"=", &t.1]);
    }
    s.signal_ready(key);
    drop(s);
    ctx.out.bulk(&idt);
    OK
}

pub fn xlen(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let key = args.get(1);
    let n = ctx
        .ks()
        .read(ctx.db(), key)
        .get_stream(key, ctx.now)?
        .map_or(0, |s| s.entries.len());
    ctx.out.int(n as i64);
    OK
}

/// A range bound: `-`, `+`, an ID (sequence defaulting to 0 for a start, MAX for an end), or an
/// exclusive `(id`.
fn bound(b: &[u8], is_start: bool) -> CmdResult<Option<StreamId>> {
    match b {
        b"-" => Ok(Some(StreamId::MIN)),
        b"+" => Ok(Some(StreamId::MAX)),
        _ => {
            let (excl, b) = match b.strip_prefix(b"(") {
                Some(r) => (true, r),
                None => (false, b),
            };
            let id = StreamId::parse(b, if is_start { 0 } else { u64::MAX })?;
            Ok(match (excl, is_start) {
                (false, _) => Some(id),
                (true, true) => id.next(),
                (true, false) => id.prev(),
            })
        }
    }
}

fn entry(out: &mut Out, id: &StreamId, fields: &Fields) {
    out.array(2);
    out.bulk(&id.text());
    out.array(fields.len() * 2);
    for (f, v) in fields {
        out.bulk(f);
        out.bulk(v);
    }
}

fn range_generic(ctx: &mut Ctx, args: Args, rev: bool) -> CmdResult<Action> {
    let key = args.get(1);
    let (a, b) = if rev {
        (args.get(3), args.get(2))
    } else {
        (args.get(2), args.get(3))
    };
    let (start, end) = (bound(a, true)?, bound(b, false)?);
    let mut count = usize::MAX;
    if args.len() == 6 && args.is(4, "count") {
        let c = int_arg(args.get(5))?;
        count = if c < 0 { 0 } else { c as usize };
    } else if args.len() != 4 {
        return Err(CmdError::Syntax);
    }
    let s = ctx.ks().read(ctx.db(), key);
    let st = s.get_stream(key, ctx.now)?;
    let items: Vec<(&StreamId, &Fields)> = match (st, start, end) {
        (Some(st), Some(a), Some(b)) if a <= b => {
            let r = st.entries.range(a..=b);
            if rev {
                r.rev().take(count).collect()
            } else {
                r.take(count).collect()
            }
        }
        _ => Vec::new(),
    };
    ctx.out.array(items.len());
    for (id, f) in items {
        entry(ctx.out, id, f);
    }
    OK
}

pub fn xrange(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    range_generic(ctx, args, false)
}

pub fn xrevrange(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    range_generic(ctx, args, true)
}

pub fn xdel(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let key = args.get(1);
    let ids: Vec<StreamId> = args
        .from(2)
        .iter()
        .map(|b| StreamId::parse(b, 0))
        .collect::<CmdResult<_>>()?;
    let mut s = ctx.ks().write(ctx.db(), key);
    let n = match s.stream_mut(key, ctx.now, false)? {
        Some(st) => ids
            .iter()
            .filter(|id| st.entries.remove(id).is_some())
            .count(),
        None => 0,
    };
    if n > 0 {
        s.log(&record(b"XDEL", &args));
    }
    drop(s);
    ctx.out.int(n as i64);
    OK
}

pub fn xtrim(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let key = args.get(1);
    let Some(((ml, mid, limit), used)) = parse_trim(&args, 2)? else {
        return Err(CmdError::Syntax);
    };
    if 2 + used != args.len() {
        return Err(CmdError::Syntax);
    }
    let mut s = ctx.ks().write(ctx.db(), key);
    let n = match s.stream_mut(key, ctx.now, false)? {
        Some(st) => st.trim(ml, mid, limit),
        None => 0,
    };
    if n > 0 {
        let t = match (ml, mid) {
            (Some(n), _) => (b"MAXLEN".as_slice(), n.to_string().into_bytes()),
            (_, Some(m)) => (b"MINID".as_slice(), m.text()),
            _ => unreachable!("a trim has a threshold"),
        };
        // Exact, whatever LIMIT and `~` did: the file states what remained.
        let first = s
            .get_stream(key, ctx.now)?
            .and_then(|st| st.entries.keys().next().copied());
        match first {
            Some(f) => s.log(&[b"XTRIM", key, b"MINID", b"=", &f.text()]),
            None => s.log(&[b"XTRIM", key, t.0, b"=", &t.1]),
        }
    }
    drop(s);
    ctx.out.int(n as i64);
    OK
}

/// XREAD [COUNT count] [BLOCK ms] STREAMS key [key ...] id [id ...]
pub fn xread(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let (mut count, mut block) = (usize::MAX, None);
    let mut i = 1;
    while i < args.len() && !args.is(i, "streams") {
        if args.is(i, "count") && i + 1 < args.len() {
            let c = int_arg(args.get(i + 1))?;
            count = if c <= 0 { usize::MAX } else { c as usize };
        } else if args.is(i, "block") && i + 1 < args.len() {
            let ms = int_arg(args.get(i + 1))?;
            if ms < 0 {
                return Err(CmdError::Other("timeout is negative".into()));
            }
            block = Some(ms as u64);
        } else {
            return Err(CmdError::Syntax);
        }
        i += 2;
    }
    let rest = args.len().saturating_sub(i + 1);
    if i >= args.len() || rest == 0 || rest % 2 == 1 {
        return Err(CmdError::Other(
            "Unbalanced 'xread' list of streams: for each stream key an ID or '$' must be specified."
                .into(),
        ));
    }
    let n = rest / 2;
    let keys: Vec<&[u8]> = args.iter().skip(i + 1).take(n).collect();
    // IDs, with `$` resolved once: a retry after blocking keeps the first resolution.
    let ids: Vec<StreamId> = match ctx
        .client
        .blocked
        .as_ref()
        .and_then(|b| b.stream_ids.clone())
    {
        Some(ids) => ids,
        None => {
            let mut ids = Vec::with_capacity(n);
            for (j, k) in keys.iter().enumerate() {
                let a = args.get(i + 1 + n + j);
                ids.push(if a == b"$" {
                    ctx.ks()
                        .read(ctx.db(), k)
                        .get_stream(k, ctx.now)?
                        .map_or(StreamId::MIN, |s| s.last_id)
                } else {
                    StreamId::parse(a, 0)?
                });
            }
            ids
        }
    };
    let mut found: Vec<(&[u8], Entries)> = Vec::new();
    for (k, id) in keys.iter().zip(&ids) {
        let s = ctx.ks().read(ctx.db(), k);
        if let Some(st) = s.get_stream(k, ctx.now)? {
            let after: Entries = match id.next() {
                Some(from) => st
                    .entries
                    .range(from..)
                    .take(count)
                    .map(|(i, f)| (*i, f.clone()))
                    .collect(),
                None => Vec::new(),
            };
            if !after.is_empty() {
                found.push((k, after));
            }
        }
    }
    if !found.is_empty() {
        super::blocking::unblock(ctx);
        // RESP3: a map of key -> entries; RESP2: an array of [key, entries] pairs.
        if ctx.out.resp3 {
            ctx.out.map(found.len());
        } else {
            ctx.out.array(found.len());
        }
        for (k, entries) in &found {
            if !ctx.out.resp3 {
                ctx.out.array(2);
            }
            ctx.out.bulk(k);
            ctx.out.array(entries.len());
            for (id, f) in entries {
                entry(ctx.out, id, f);
            }
        }
        return OK;
    }
    match block {
        None => {
            ctx.out.null_array();
            OK
        }
        Some(ms) => {
            let timeout = (ms > 0).then(|| Duration::from_millis(ms));
            let action = super::blocking::block(ctx, &keys, timeout, |o| o.null_array())?;
            if let Some(b) = ctx.client.blocked.as_mut() {
                b.stream_ids.get_or_insert(ids);
            }
            Ok(action)
        }
    }
}
