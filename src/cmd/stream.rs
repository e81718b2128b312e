//! Stream commands: XADD XLEN XRANGE XREVRANGE XDEL XTRIM XREAD (COUNT, BLOCK, `$`).

use super::{int_arg, Action, Ctx, OK};
use crate::error::{CmdError, CmdResult};
use crate::keyspace::events::class as ev;
use crate::keyspace::streams::{Fields, NodeLimits, Stream, StreamId};
use crate::resp::{Args, Out};
use std::sync::atomic::Ordering;
use std::time::Duration;

/// Entries read out of a stream.
type Entries = Vec<(StreamId, Fields)>;

/// What XADD's and XTRIM's options say, read as Redis reads them (streamParseAddOrTrimArgs):
/// options in any order, each value checked where it appears, then the combinations.
struct AddTrim {
    maxlen: Option<usize>,
    minid: Option<StreamId>,
    /// Most entries one trim removes (0: no limit).
    limit: usize,
    /// `~`: whole nodes only.
    approx: bool,
    nomkstream: bool,
    /// XADD: the ID argument's index and what it says (None: `*`); past the end when missing.
    id_at: usize,
    id: Option<(StreamId, bool)>,
}

/// The node limits now in force.
pub(super) fn node_limits(ctx: &Ctx) -> NodeLimits {
    NodeLimits {
        max_entries: ctx.shared.stream_node_max_entries.load(Ordering::Relaxed),
        max_bytes: ctx.shared.stream_node_max_bytes.load(Ordering::Relaxed),
    }
}

fn parse_add_trim(args: &Args, xadd: bool, nodes: NodeLimits) -> CmdResult<AddTrim> {
    let mut t = AddTrim {
        maxlen: None,
        minid: None,
        limit: 0,
        approx: false,
        nomkstream: false,
        id_at: args.len(),
        id: None,
    };
    let (mut approx, mut limit_given) = (false, false);
    let mut i = 2;
    while i < args.len() {
        let more = args.len() - 1 - i;
        let trim = args.is(i, "maxlen") || args.is(i, "minid");
        if xadd && args.get(i) == b"*" {
            t.id_at = i;
            break;
        } else if trim && more > 0 {
            if t.maxlen.is_some() || t.minid.is_some() {
                return Err(CmdError::Other(
                    "syntax error, MAXLEN and MINID options at the same time are not compatible"
                        .into(),
                ));
            }
            let maxlen = args.is(i, "maxlen");
            approx = false;
            let next = args.get(i + 1);
            if more >= 2 && (next == b"~" || next == b"=") {
                approx = next == b"~";
                i += 1;
            }
            let v = args.get(i + 1);
            if maxlen {
                let n = usize::try_from(int_arg(v)?)
                    .map_err(|_| CmdError::Other("The MAXLEN argument must be >= 0.".into()))?;
                t.maxlen = Some(n);
            } else {
                t.minid = Some(StreamId::parse(v, 0)?);
            }
            i += 1;
        } else if args.is(i, "limit") && more > 0 {
            t.limit = usize::try_from(int_arg(args.get(i + 1))?)
                .map_err(|_| CmdError::Other("The LIMIT argument must be >= 0.".into()))?;
            limit_given = true;
            i += 1;
        } else if xadd && args.is(i, "nomkstream") {
            t.nomkstream = true;
        } else if xadd {
            t.id = Some(StreamId::parse_for_add(args.get(i))?);
            t.id_at = i;
            break;
        } else {
            return Err(CmdError::Syntax);
        }
        i += 1;
    }
    let strategy = t.maxlen.is_some() || t.minid.is_some();
    if t.limit > 0 && !strategy {
        return Err(CmdError::Other(
            "syntax error, LIMIT cannot be used without specifying a trimming strategy".into(),
        ));
    }
    if !xadd && !strategy {
        return Err(CmdError::Other(
            "syntax error, XTRIM must be called with a trimming strategy".into(),
        ));
    }
    if limit_given && !approx {
        return Err(CmdError::Other(
            "syntax error, LIMIT cannot be used without the special ~ option".into(),
        ));
    }
    // Redis bounds the work of a `~` trim without LIMIT: 100 nodes' worth of entries,
    // within 10,000..1,000,000.
    if !limit_given && approx {
        t.limit = match nodes.max_entries.saturating_mul(100) {
            0 => 10_000,
            n => n.min(1_000_000) as usize,
        };
    }
    t.approx = approx;
    Ok(t)
}

/// XADD key [NOMKSTREAM] [MAXLEN|MINID [=|~] threshold [LIMIT count]] *|id field value [...]
pub fn xadd(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let key = args.get(1);
    // As in Redis: options and ID, then arity, then 0-0, and only then the key, so that a
    // refused XADD never leaves an empty stream behind.
    let limits = node_limits(ctx);
    let opts = parse_add_trim(&args, true, limits)?;
    let i = opts.id_at;
    let rest = args.len().saturating_sub(i + 1);
    if rest < 2 || rest % 2 == 1 {
        return Err(CmdError::arity(b"xadd"));
    }
    if opts.id == Some((StreamId::MIN, true)) {
        return Err(CmdError::Other(
            "The ID specified in XADD must be greater than 0-0".into(),
        ));
    }
    let mut s = ctx.ks().write(ctx.db(), key);
    let Some(st) = s.stream_mut(key, ctx.now, !opts.nomkstream)? else {
        drop(s);
        ctx.out.null();
        return OK;
    };
    let last = st.last_id;
    if last == StreamId::MAX {
        s.drop_if_empty(key);
        return Err(CmdError::Other(
            "The stream has exhausted the last possible ID, unable to add more items".into(),
        ));
    }
    let id = match opts.id {
        None => {
            let ms = ctx.now.max(last.ms);
            if ms == last.ms && last != StreamId::MIN {
                last.next()
            } else {
                Some(StreamId { ms, seq: 0 })
            }
        }
        Some((StreamId { ms, .. }, false)) => {
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
        }
        Some((id, true)) => Some(id),
    };
    let Some(id) = id.filter(|&id| id > last) else {
        s.drop_if_empty(key);
        return Err(CmdError::Other(
            "The ID specified in XADD is equal or smaller than the target stream top item".into(),
        ));
    };
    let fields: Fields = (i + 1..args.len())
        .step_by(2)
        .map(|j| (args.get(j).to_vec(), args.get(j + 1).to_vec()))
        .collect();
    st.append(id, fields, limits);
    st.last_id = id;
    st.entries_added += 1;
    let trimmed = st.trim(opts.maxlen, opts.minid, opts.limit, opts.approx);
    let trim_rec = (trimmed > 0).then(|| trim_record(st));
    // The effect: the entry under its final ID, then the exact trim that followed.
    let idt = id.text();
    let mut rec: Vec<&[u8]> = vec![b"XADD", key, &idt];
    rec.extend(args.iter().skip(i + 1));
    s.log(&rec);
    if let Some((how, arg)) = &trim_rec {
        s.log(&[b"XTRIM", key, how, b"=", arg]);
    }
    s.changed(key, ev::STREAM, "xadd");
    if trim_rec.is_some() {
        s.notify(ev::STREAM, "xtrim", key);
    }
    s.signal_ready(key);
    drop(s);
    ctx.out.bulk(&idt);
    OK
}

pub fn xlen(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let key = args.get(1);
    let s = ctx.ks().read(ctx.db(), key);
    let n = ctx
        .read(key, s.get_stream(key, ctx.now))?
        .map_or(0, |s| s.entries.len());
    ctx.out.int(n as i64);
    OK
}

/// A range bound as Redis reads it: `-`, `+`, an ID (sequence defaulting to 0 for a start, MAX
/// for an end), or an exclusive `(id`, moved one ID inwards (an error when there is none).
pub(super) fn bound(b: &[u8], is_start: bool) -> CmdResult<StreamId> {
    let missing = if is_start { 0 } else { u64::MAX };
    if b.len() > 1 && b[0] == b'(' {
        let id = StreamId::parse(&b[1..], missing)?;
        let moved = if is_start { id.next() } else { id.prev() };
        moved.ok_or_else(|| {
            CmdError::Other(if is_start {
                "invalid start ID for the interval".into()
            } else {
                "invalid end ID for the interval".into()
            })
        })
    } else {
        StreamId::parse_bound(b, missing)
    }
}

pub(super) fn entry(out: &mut Out, id: &StreamId, fields: &Fields) {
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
    let mut j = 4;
    while j < args.len() {
        if args.is(j, "count") && j + 1 < args.len() {
            count = usize::try_from(int_arg(args.get(j + 1))?).unwrap_or(0);
            j += 2;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    let s = ctx.ks().read(ctx.db(), key);
    let Some(st) = ctx.read(key, s.get_stream(key, ctx.now))? else {
        ctx.out.array(0);
        return OK;
    };
    // Redis answers a null array for COUNT 0 (or negative) on an existing stream.
    if count == 0 {
        ctx.out.null_array();
        return OK;
    }
    let items: Vec<(&StreamId, &Fields)> = if start <= end {
        let r = st.entries.range(start..=end);
        if rev {
            r.rev().take(count).collect()
        } else {
            r.take(count).collect()
        }
    } else {
        Vec::new()
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
    let mut s = ctx.ks().write(ctx.db(), key);
    // As in Redis 7.0: the key (missing: 0, another type: WRONGTYPE), then every ID, before
    // anything is deleted.
    let Some(st) = s.stream_mut(key, ctx.now, false)? else {
        drop(s);
        ctx.out.int(0);
        return OK;
    };
    let ids = StreamId::parse_all(args.from(2).iter())?;
    let mut n = 0;
    for id in &ids {
        if st.delete(*id) {
            n += 1;
            st.max_deleted = st.max_deleted.max(*id);
        }
    }
    if n > 0 {
        s.changed(key, ev::STREAM, "xdel");
    }
    drop(s);
    ctx.out.int(n as i64);
    OK
}

/// The exact XTRIM that leaves what a trim left (whatever `~` and LIMIT did): MINID of the
/// first entry kept, which also removes the same whole nodes on replay; MAXLEN 0 when none is.
fn trim_record(st: &Stream) -> (&'static [u8], Vec<u8>) {
    match st.entries.keys().next() {
        Some(f) => (b"MINID", f.text()),
        None => (b"MAXLEN", b"0".to_vec()),
    }
}

pub fn xtrim(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let key = args.get(1);
    let opts = parse_add_trim(&args, false, node_limits(ctx))?;
    let mut s = ctx.ks().write(ctx.db(), key);
    let (n, rec) = match s.stream_mut(key, ctx.now, false)? {
        Some(st) => {
            let n = st.trim(opts.maxlen, opts.minid, opts.limit, opts.approx);
            (n, (n > 0).then(|| trim_record(st)))
        }
        None => (0, None),
    };
    if let Some((how, arg)) = &rec {
        s.log(&[b"XTRIM", key, how, b"=", arg]);
        s.changed(key, ev::STREAM, "xtrim");
    }
    drop(s);
    ctx.out.int(n as i64);
    OK
}

/// XREAD [COUNT count] [BLOCK ms] STREAMS key [key ...] id [id ...]
/// How many streams follow XREAD's or XREADGROUP's STREAMS at `args[at]`, checked as Redis
/// checks them: STREAMS must have arguments after it, keys and IDs in equal numbers.
pub(super) fn streams_count(args: &Args, at: usize) -> CmdResult<usize> {
    if at + 1 >= args.len() {
        return Err(CmdError::Syntax);
    }
    let rest = args.len() - at - 1;
    if rest % 2 == 1 {
        return Err(CmdError::Other(
            "Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified."
                .into(),
        ));
    }
    Ok(rest / 2)
}

/// Entries handed out: None for one deleted since it was delivered (XREADGROUP's history).
pub(super) type Delivered = Vec<(StreamId, Option<Fields>)>;

/// XREAD's and XREADGROUP's reply: per stream its key and entries (None: an entry deleted
/// since it was delivered, sent as its ID and a null), as a map in RESP3 and an array of
/// [key, entries] pairs in RESP2.
pub(super) fn streams_reply(out: &mut Out, streams: &[(&[u8], Delivered)]) {
    if out.resp3 {
        out.map(streams.len());
    } else {
        out.array(streams.len());
    }
    for (k, entries) in streams {
        if !out.resp3 {
            out.array(2);
        }
        out.bulk(k);
        out.array(entries.len());
        for (id, f) in entries {
            match f {
                Some(f) => entry(out, id, f),
                None => {
                    out.array(2);
                    out.bulk(&id.text());
                    out.null_array();
                }
            }
        }
    }
}

/// XREAD and XREADGROUP refuse BLOCK from a script as Redis does (checked as the option is
/// read), with the command's name as the script spelled it.
pub(super) fn no_block_in_scripts(ctx: &Ctx, args: &Args) -> CmdResult<()> {
    if ctx.client.acl_context == super::acl::Context::Lua {
        return Err(CmdError::Other(format!(
            "{} command is not allowed with BLOCK option from scripts",
            String::from_utf8_lossy(args.get(0))
        )));
    }
    Ok(())
}

pub fn xread(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let (mut count, mut block) = (usize::MAX, None);
    let mut i = 1;
    while i < args.len() && !args.is(i, "streams") {
        if args.is(i, "count") && i + 1 < args.len() {
            let c = int_arg(args.get(i + 1))?;
            count = if c <= 0 { usize::MAX } else { c as usize };
        } else if args.is(i, "block") && i + 1 < args.len() {
            no_block_in_scripts(ctx, &args)?;
            block = Some(super::ms_timeout_arg(args.get(i + 1))?);
        } else if args.is(i, "group") || args.is(i, "noack") {
            return Err(CmdError::Other(format!(
                "The {} option is only supported by XREADGROUP. You called XREAD instead.",
                if args.is(i, "group") {
                    "GROUP"
                } else {
                    "NOACK"
                }
            )));
        } else {
            return Err(CmdError::Syntax);
        }
        i += 2;
    }
    let n = streams_count(&args, i)?;
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
                    let s = ctx.ks().read(ctx.db(), k);
                    ctx.read(k, s.get_stream(k, ctx.now))?
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
        if let Some(st) = ctx.read(k, s.get_stream(k, ctx.now))? {
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
        let found: Vec<(&[u8], Delivered)> = found
            .into_iter()
            .map(|(k, es)| (k, es.into_iter().map(|(i, f)| (i, Some(f))).collect()))
            .collect();
        streams_reply(ctx.out, &found);
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
