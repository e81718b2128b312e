//! Stream consumer groups: XGROUP, XREADGROUP, XACK, XPENDING, XCLAIM, XAUTOCLAIM, and the
//! introspection of streams: XINFO, XSETID. Replies, errors and the group counters
//! (`entries-read`, `lag`) are Redis 7.0's.
//!
//! AOF: every change is recorded as the explicit command that redoes it (XCLAIM ... FORCE for
//! a delivery, XGROUP SETID for a group's position), as Redis propagates them, so a replay
//! needs no clock.

use super::stream::{entry, Delivered};
use super::{int_arg, Action, Ctx, OK};
use crate::error::{CmdError, CmdResult};
use crate::keyspace::events::class as ev;
use crate::keyspace::streams::{Fields, Group, Stream, StreamId};
use crate::resp::{Args, Out};
use std::time::Duration;

fn nogroup_for_key(group: &[u8], key: &[u8]) -> CmdError {
    CmdError::Verbatim(format!(
        "NOGROUP No such consumer group '{}' for key name '{}'",
        String::from_utf8_lossy(group),
        String::from_utf8_lossy(key)
    ))
}

fn nogroup_key_or_group(key: &[u8], group: &[u8]) -> CmdError {
    CmdError::Verbatim(format!(
        "NOGROUP No such key '{}' or consumer group '{}'",
        String::from_utf8_lossy(key),
        String::from_utf8_lossy(group)
    ))
}

fn entries_read_arg(b: &[u8]) -> CmdResult<Option<u64>> {
    let n = int_arg(b)?;
    if n < 0 && n != -1 {
        return Err(CmdError::Other(
            "value for ENTRIESREAD must be positive or -1".into(),
        ));
    }
    Ok(u64::try_from(n).ok())
}

fn text(n: Option<u64>) -> Vec<u8> {
    n.map_or(b"-1".to_vec(), |n| n.to_string().into_bytes())
}

/// XGROUP CREATE key group id|$ [MKSTREAM] [ENTRIESREAD n]
pub fn xgroup_create(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let (key, group) = (args.get(2), args.get(3));
    let (mut mkstream, mut entries_read) = (false, None);
    let mut i = 5;
    while i < args.len() {
        if args.is(i, "mkstream") {
            mkstream = true;
        } else if args.is(i, "entriesread") && i + 1 < args.len() {
            entries_read = entries_read_arg(args.get(i + 1))?;
            i += 1;
        } else {
            return Err(CmdError::subcommand_syntax(args.get(0), args.get(1)));
        }
        i += 1;
    }
    let mut s = ctx.ks().write(ctx.db(), key);
    let exists = s.get_stream(key, ctx.now)?.is_some();
    let id = if args.get(4) == b"$" {
        None
    } else {
        Some(StreamId::parse(args.get(4), 0)?)
    };
    if !exists && !mkstream {
        return Err(CmdError::Other("The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.".into()));
    }
    let st = s.stream_mut(key, ctx.now, true)?.expect("created");
    if st.groups.contains_key(group) {
        return Err(CmdError::Verbatim(
            "BUSYGROUP Consumer Group name already exists".into(),
        ));
    }
    let last_id = id.unwrap_or(st.last_id);
    st.groups.insert(
        group.to_vec(),
        Group {
            last_id,
            entries_read,
            ..Default::default()
        },
    );
    let idt = last_id.text();
    let er = text(entries_read);
    s.log(&[
        b"XGROUP",
        b"CREATE",
        key,
        group,
        &idt,
        b"MKSTREAM",
        b"ENTRIESREAD",
        &er,
    ]);
    s.changed(key, ev::STREAM, "xgroup-create");
    ctx.out.ok();
    OK
}

/// The stream at `key` and its group `group`, for a write, or XGROUP's errors.
fn group_mut<'a>(
    st: Option<&'a mut Stream>,
    key: &[u8],
    group: &[u8],
) -> CmdResult<&'a mut Stream> {
    let st = st.ok_or_else(|| CmdError::Other("The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.".into()))?;
    if !st.groups.contains_key(group) {
        return Err(nogroup_for_key(group, key));
    }
    Ok(st)
}

/// XGROUP SETID key group id|$ [ENTRIESREAD n]
pub fn xgroup_setid(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let (key, group) = (args.get(2), args.get(3));
    let mut entries_read = None;
    if args.len() == 7 && args.is(5, "entriesread") {
        entries_read = entries_read_arg(args.get(6))?;
    } else if args.len() != 5 {
        return Err(CmdError::subcommand_syntax(args.get(0), args.get(1)));
    }
    let mut s = ctx.ks().write(ctx.db(), key);
    let st = group_mut(s.stream_mut(key, ctx.now, false)?, key, group)?;
    let id = if args.get(4) == b"$" {
        st.last_id
    } else {
        StreamId::parse(args.get(4), 0)?
    };
    let g = st.groups.get_mut(group).expect("checked");
    g.last_id = id;
    g.entries_read = entries_read;
    let (idt, er) = (id.text(), text(entries_read));
    s.log(&[b"XGROUP", b"SETID", key, group, &idt, b"ENTRIESREAD", &er]);
    s.changed(key, ev::STREAM, "xgroup-setid");
    ctx.out.ok();
    OK
}

/// XGROUP DESTROY key group
pub fn xgroup_destroy(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let (key, group) = (args.get(2), args.get(3));
    let mut s = ctx.ks().write(ctx.db(), key);
    let Some(st) = s.stream_mut(key, ctx.now, false)? else {
        return Err(CmdError::Other("The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.".into()));
    };
    let gone = st.groups.remove(group).is_some();
    if gone {
        s.changed(key, ev::STREAM, "xgroup-destroy");
        // Clients blocked in XREADGROUP on it answer NOGROUP.
        s.signal_ready(key);
    }
    ctx.out.int(gone as i64);
    OK
}

/// XGROUP CREATECONSUMER key group consumer
pub fn xgroup_createconsumer(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let now = ctx.now;
    consumer_change(ctx, &args, "xgroup-createconsumer", |g, c| {
        let created = g.consumer(c, now).1;
        (created as i64, created)
    })
}

/// XGROUP CREATECONSUMER and DELCONSUMER: `change` on the group of `key` (args 2, 3) for the
/// consumer (arg 4) gives the reply and whether it changed the group (published as `event`).
fn consumer_change(
    ctx: &mut Ctx,
    args: &Args,
    event: &str,
    change: impl FnOnce(&mut Group, &[u8]) -> (i64, bool),
) -> CmdResult<Action> {
    let (key, group, consumer) = (args.get(2), args.get(3), args.get(4));
    let mut s = ctx.ks().write(ctx.db(), key);
    let st = group_mut(s.stream_mut(key, ctx.now, false)?, key, group)?;
    let (reply, changed) = change(st.groups.get_mut(group).expect("checked"), consumer);
    if changed {
        s.changed(key, ev::STREAM, event);
    }
    ctx.out.int(reply);
    OK
}

/// XGROUP DELCONSUMER key group consumer: the consumer's pending entries are dropped too;
/// answers how many it had.
pub fn xgroup_delconsumer(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    consumer_change(ctx, &args, "xgroup-delconsumer", |g, c| {
        match g.consumers.remove(c) {
            Some(gone) => {
                for id in &gone.pel {
                    g.pel.remove(id);
                }
                (gone.pel.len() as i64, true)
            }
            None => (0, false),
        }
    })
}

pub fn xgroup_help(ctx: &mut Ctx, _args: Args) -> CmdResult<Action> {
    super::help(
        ctx.out,
        "XGROUP",
        &[
            "CREATE <key> <groupname> <id|$> [option]",
            "    Create a new consumer group. Options are:",
            "    * MKSTREAM",
            "      Create the empty stream if it does not exist.",
            "    * ENTRIESREAD entries_read",
            "      Set the group's entries_read counter (internal use).",
            "CREATECONSUMER <key> <groupname> <consumer>",
            "    Create a new consumer in the specified group.",
            "DELCONSUMER <key> <groupname> <consumer>",
            "    Remove the specified consumer.",
            "DESTROY <key> <groupname>",
            "    Remove the specified group.",
            "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
            "    Set the current group ID and entries_read counter.",
        ],
    );
    OK
}

/// XREADGROUP GROUP group consumer [COUNT n] [BLOCK ms] [NOACK] STREAMS key... id...
pub fn xreadgroup(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let (mut count, mut block, mut noack) = (0usize, None, false);
    let mut grp: Option<(&[u8], &[u8])> = None;
    let mut i = 1;
    while i < args.len() && !args.is(i, "streams") {
        let more = args.len() - 1 - i;
        if args.is(i, "count") && more >= 1 {
            let c = int_arg(args.get(i + 1))?;
            count = if c <= 0 { 0 } else { c as usize };
            i += 2;
        } else if args.is(i, "block") && more >= 1 {
            super::stream::no_block_in_scripts(ctx, &args)?;
            block = Some(super::ms_timeout_arg(args.get(i + 1))?);
            i += 2;
        } else if args.is(i, "group") && more >= 2 {
            grp = Some((args.get(i + 1), args.get(i + 2)));
            i += 3;
        } else if args.is(i, "noack") {
            noack = true;
            i += 1;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    let n = super::stream::streams_count(&args, i)?;
    let Some((group, consumer)) = grp else {
        return Err(CmdError::Other(
            "Missing GROUP option for XREADGROUP".into(),
        ));
    };
    let keys: Vec<&[u8]> = args.iter().skip(i + 1).take(n).collect();
    // None: `>` (new entries); Some: the consumer's history after that ID.
    let mut ids: Vec<Option<StreamId>> = Vec::with_capacity(n);
    for j in 0..n {
        let a = args.get(i + 1 + n + j);
        ids.push(match a {
            b">" => None,
            b"$" => {
                return Err(CmdError::Other(
                    "The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.".into(),
                ))
            }
            _ => Some(StreamId::parse(a, 0)?),
        });
    }
    let now = ctx.now;
    let db = ctx.db();
    // Every key's group must exist first, as Redis checks them all before reading.
    for k in &keys {
        let s = ctx.ks().read(db, k);
        let st = ctx.read(k, s.get_stream(k, now))?;
        if !st.is_some_and(|st| st.groups.contains_key(group)) {
            return Err(CmdError::Verbatim(format!(
                "NOGROUP No such key '{}' or consumer group '{}' in XREADGROUP with GROUP option",
                String::from_utf8_lossy(k),
                String::from_utf8_lossy(group)
            )));
        }
    }
    let mut replies: Vec<(&[u8], Delivered)> = Vec::new();
    let mut history = false;
    for (k, id) in keys.iter().zip(&ids) {
        let mut s = ctx.ks().write(db, k);
        let st = s.stream_mut(k, now, false)?.expect("checked above");
        let mut got: Vec<(StreamId, Option<Fields>)> = Vec::new();
        let mut records: Vec<Vec<Vec<u8>>> = Vec::new();
        let mut g = st.groups.remove(group).expect("checked above");
        let seen_before = g.consumers.contains_key(consumer);
        g.consumer(consumer, now).0.seen_time = now;
        match id {
            None => {
                let from = g.last_id.next();
                let new: Vec<(StreamId, Fields)> = match from {
                    Some(from) => st
                        .entries
                        .range(from..)
                        .take(if count == 0 { usize::MAX } else { count })
                        .map(|(i, f)| (*i, f.clone()))
                        .collect(),
                    None => Vec::new(),
                };
                for (eid, f) in new {
                    st.group_read(&mut g, eid);
                    if !noack {
                        g.assign(eid, consumer, now, 1);
                        records.push(claim_record(k, group, consumer, eid, now, 1, g.last_id));
                    }
                    got.push((eid, Some(f)));
                }
                if !got.is_empty() {
                    let (idt, er) = (g.last_id.text(), text(g.entries_read));
                    records.push(vec![
                        b"XGROUP".to_vec(),
                        b"SETID".to_vec(),
                        k.to_vec(),
                        group.to_vec(),
                        idt,
                        b"ENTRIESREAD".to_vec(),
                        er,
                    ]);
                }
            }
            Some(start) => {
                history = true;
                let c = g.consumers.get(consumer).expect("created above");
                let mine: Vec<StreamId> = c
                    .pel
                    .range(*start..)
                    .filter(|i| *i > start)
                    .take(if count == 0 { usize::MAX } else { count })
                    .copied()
                    .collect();
                for eid in mine {
                    match st.entries.get(&eid) {
                        Some(f) => {
                            let n = g.pel.get_mut(&eid).expect("in the consumer's PEL");
                            n.delivery_time = now;
                            n.delivery_count += 1;
                            let cnt = n.delivery_count;
                            records
                                .push(claim_record(k, group, consumer, eid, now, cnt, g.last_id));
                            got.push((eid, Some(f.clone())));
                        }
                        None => got.push((eid, None)),
                    }
                }
            }
        }
        st.groups.insert(group.to_vec(), g);
        if !seen_before && records.is_empty() {
            records.push(vec![
                b"XGROUP".to_vec(),
                b"CREATECONSUMER".to_vec(),
                k.to_vec(),
                group.to_vec(),
                consumer.to_vec(),
            ]);
        }
        log_all(&s, &records);
        if !seen_before {
            s.changed(k, ev::STREAM, "xgroup-createconsumer");
        } else if !records.is_empty() {
            s.changed_quietly(k);
        }
        if !got.is_empty() || id.is_some() {
            replies.push((k, got));
        }
    }
    if !replies.is_empty() && (history || replies.iter().any(|r| !r.1.is_empty())) {
        super::blocking::unblock(ctx);
        super::stream::streams_reply(ctx.out, &replies);
        return OK;
    }
    match block {
        Some(ms) if !ctx.ks().in_exec() => {
            let timeout = (ms > 0).then(|| Duration::from_millis(ms));
            super::blocking::block(ctx, &keys, timeout, |o| o.null_array())
        }
        _ => {
            ctx.out.null_array();
            OK
        }
    }
}

/// Appends the records that redo a command's effect (see the module's comment).
fn log_all(s: &crate::keyspace::Shard, records: &[Vec<Vec<u8>>]) {
    for r in records {
        let r: Vec<&[u8]> = r.iter().map(|a| a.as_slice()).collect();
        s.log(&r);
    }
}

/// The record that redoes one delivery: Redis propagates each as this XCLAIM.
fn claim_record(
    key: &[u8],
    group: &[u8],
    consumer: &[u8],
    id: StreamId,
    time: u64,
    count: u64,
    last: StreamId,
) -> Vec<Vec<u8>> {
    vec![
        b"XCLAIM".to_vec(),
        key.to_vec(),
        group.to_vec(),
        consumer.to_vec(),
        b"0".to_vec(),
        id.text(),
        b"TIME".to_vec(),
        time.to_string().into_bytes(),
        b"RETRYCOUNT".to_vec(),
        count.to_string().into_bytes(),
        b"FORCE".to_vec(),
        b"JUSTID".to_vec(),
        b"LASTID".to_vec(),
        last.text(),
    ]
}

/// XACK key group id [id ...]: 0 without the key or group, before the IDs are read (as Redis).
pub fn xack(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let (key, group) = (args.get(1), args.get(2));
    let mut s = ctx.ks().write(ctx.db(), key);
    // A read lookup in Redis: a hit or a miss (with its keymiss event).
    ctx.looked_up(key, s.get_stream(key, ctx.now)?.is_some());
    let Some(g) = s
        .stream_mut(key, ctx.now, false)?
        .and_then(|st| st.groups.get_mut(group))
    else {
        ctx.out.int(0);
        return OK;
    };
    let ids = StreamId::parse_all(args.from(3).iter())?;
    let n = ids.iter().filter(|id| g.ack(**id)).count();
    if n > 0 {
        s.changed_quietly(key);
    }
    ctx.out.int(n as i64);
    OK
}

/// XPENDING key group [[IDLE min-idle] start end count [consumer]]
pub fn xpending(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let (key, group) = (args.get(1), args.get(2));
    let n = args.len();
    if n != 3 && !(6..=9).contains(&n) {
        return Err(CmdError::Syntax);
    }
    let extended = n >= 6;
    let mut i = 3;
    let mut min_idle = 0u64;
    if extended && args.is(3, "idle") {
        min_idle = int_arg(args.get(4))?.max(0) as u64;
        if n < 8 {
            return Err(CmdError::Syntax);
        }
        i = 5;
    }
    let (start, end, count, consumer) = if extended {
        let count = int_arg(args.get(i + 2))?.max(0) as usize;
        let start = super::stream::bound(args.get(i), true)?;
        let end = super::stream::bound(args.get(i + 1), false)?;
        (start, end, count, (n > i + 3).then(|| args.get(i + 3)))
    } else {
        (StreamId::MIN, StreamId::MAX, 0, None)
    };
    let s = ctx.ks().read(ctx.db(), key);
    let g = ctx
        .read(key, s.get_stream(key, ctx.now))?
        .and_then(|st| st.groups.get(group))
        .ok_or_else(|| nogroup_key_or_group(key, group))?;
    if !extended {
        ctx.out.array(4);
        ctx.out.int(g.pel.len() as i64);
        if g.pel.is_empty() {
            ctx.out.null();
            ctx.out.null();
            ctx.out.null_array();
            return OK;
        }
        ctx.out
            .bulk(&g.pel.keys().next().expect("not empty").text());
        ctx.out
            .bulk(&g.pel.keys().next_back().expect("not empty").text());
        let owners: Vec<(&Vec<u8>, usize)> = g
            .consumers
            .iter()
            .filter(|(_, c)| !c.pel.is_empty())
            .map(|(n, c)| (n, c.pel.len()))
            .collect();
        ctx.out.array(owners.len());
        for (n, c) in owners {
            ctx.out.array(2);
            ctx.out.bulk(n);
            ctx.out.bulk(c.to_string().as_bytes());
        }
        return OK;
    }
    let now = ctx.now;
    let rows: Vec<(StreamId, &crate::keyspace::streams::Nack)> = if start > end {
        Vec::new()
    } else {
        g.pel
            .range(start..=end)
            .filter(|(_, n)| consumer.is_none_or(|c| n.consumer == c))
            .filter(|(_, n)| now.saturating_sub(n.delivery_time) >= min_idle)
            .take(count)
            .map(|(i, n)| (*i, n))
            .collect()
    };
    ctx.out.array(rows.len());
    for (id, n) in rows {
        ctx.out.array(4);
        ctx.out.bulk(&id.text());
        ctx.out.bulk(&n.consumer);
        ctx.out.int(now.saturating_sub(n.delivery_time) as i64);
        ctx.out.int(n.delivery_count as i64);
    }
    OK
}

/// XCLAIM key group consumer min-idle-time id [id ...] [IDLE ms] [TIME ms] [RETRYCOUNT n]
/// [FORCE] [JUSTID] [LASTID id]
pub fn xclaim(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let (key, group, consumer) = (args.get(1), args.get(2), args.get(3));
    {
        let s = ctx.ks().read(ctx.db(), key);
        let st = ctx.read(key, s.get_stream(key, ctx.now))?;
        if !st.is_some_and(|st| st.groups.contains_key(group)) {
            return Err(nogroup_key_or_group(key, group));
        }
    }
    let min_idle = int_arg(args.get(4))
        .map_err(|_| CmdError::Other("Invalid min-idle-time argument for XCLAIM".into()))?
        .max(0) as u64;
    let mut ids = Vec::new();
    let mut i = 5;
    while i < args.len() {
        match StreamId::parse(args.get(i), 0) {
            Ok(id) => ids.push(id),
            Err(_) => break,
        }
        i += 1;
    }
    let now = ctx.now;
    let (mut time, mut retry, mut force, mut justid, mut lastid) = (None, None, false, false, None);
    while i < args.len() {
        let more = args.len() - 1 - i;
        if args.is(i, "force") {
            force = true;
        } else if args.is(i, "justid") {
            justid = true;
        } else if args.is(i, "idle") && more >= 1 {
            let ms = int_arg(args.get(i + 1))
                .map_err(|_| CmdError::Other("Invalid IDLE option argument for XCLAIM".into()))?;
            time = Some(now as i64 - ms);
            i += 1;
        } else if args.is(i, "time") && more >= 1 {
            time =
                Some(int_arg(args.get(i + 1)).map_err(|_| {
                    CmdError::Other("Invalid TIME option argument for XCLAIM".into())
                })?);
            i += 1;
        } else if args.is(i, "retrycount") && more >= 1 {
            retry = Some(
                int_arg(args.get(i + 1))
                    .map_err(|_| {
                        CmdError::Other("Invalid RETRYCOUNT option argument for XCLAIM".into())
                    })?
                    .max(0) as u64,
            );
            i += 1;
        } else if args.is(i, "lastid") && more >= 1 {
            lastid = Some(StreamId::parse(args.get(i + 1), 0)?);
            i += 1;
        } else {
            return Err(CmdError::Other(format!(
                "Unrecognized XCLAIM option '{}'",
                String::from_utf8_lossy(args.get(i))
            )));
        }
        i += 1;
    }
    // A bogus time (negative, or in the future) is taken as now, as Redis takes it.
    let time = time.map(|t| {
        if t < 0 || t as u64 > now {
            now
        } else {
            t as u64
        }
    });
    let mut s = ctx.ks().write(ctx.db(), key);
    let st = s
        .stream_mut(key, now, false)?
        .filter(|st| st.groups.contains_key(group))
        .ok_or_else(|| nogroup_key_or_group(key, group))?;
    let mut g = st.groups.remove(group).expect("checked");
    let had_consumer = g.consumers.contains_key(consumer);
    if let Some(l) = lastid {
        if l > g.last_id {
            g.last_id = l;
        }
    }
    let mut claimed: Vec<(StreamId, Option<Fields>)> = Vec::new();
    let mut changed = false;
    let mut records: Vec<Vec<Vec<u8>>> = Vec::new();
    for id in ids {
        let exists = st.entries.contains_key(&id);
        if !g.pel.contains_key(&id) {
            if !force || !exists {
                continue;
            }
            g.consumer(consumer, now);
            g.assign(id, consumer, now, 0);
            changed = true;
        }
        if !exists {
            // Deleted from the stream: dropped from the PEL, as Redis 7.0 does.
            g.ack(id);
            records.push(vec![
                b"XACK".to_vec(),
                key.to_vec(),
                group.to_vec(),
                id.text(),
            ]);
            changed = true;
            continue;
        }
        let n = g.pel.get(&id).expect("pending");
        if min_idle > 0 && now.saturating_sub(n.delivery_time) < min_idle {
            continue;
        }
        let count = match retry {
            Some(r) => r,
            None if justid => n.delivery_count,
            None => n.delivery_count + 1,
        };
        g.consumer(consumer, now).0.seen_time = now;
        let at = time.unwrap_or(now);
        g.assign(id, consumer, at, count);
        records.push(claim_record(key, group, consumer, id, at, count, g.last_id));
        changed = true;
        claimed.push((id, (!justid).then(|| st.entries[&id].clone())));
    }
    if changed {
        g.consumer(consumer, now).0.seen_time = now;
    }
    let last = g.last_id;
    st.groups.insert(group.to_vec(), g);
    if records.is_empty() && lastid.is_some() {
        let l = last.text();
        s.log(&[b"XGROUP", b"SETID", key, group, &l]);
    }
    log_all(&s, &records);
    let created = !had_consumer && st_has_consumer(&s, key, group, consumer, now);
    if created {
        s.changed(key, ev::STREAM, "xgroup-createconsumer");
    } else if changed || lastid.is_some() {
        s.changed_quietly(key);
    }
    drop(s);
    ctx.out.array(claimed.len());
    for (id, f) in &claimed {
        match f {
            Some(f) => entry(ctx.out, id, f),
            None => ctx.out.bulk(&id.text()),
        }
    }
    OK
}

/// Whether `consumer` now exists in the group (after a command that may have created it).
fn st_has_consumer(
    s: &crate::keyspace::ShardMut,
    key: &[u8],
    group: &[u8],
    consumer: &[u8],
    now: u64,
) -> bool {
    s.get_stream(key, now)
        .ok()
        .flatten()
        .and_then(|st| st.groups.get(group))
        .is_some_and(|g| g.consumers.contains_key(consumer))
}

/// XAUTOCLAIM key group consumer min-idle-time start [COUNT count] [JUSTID]: the next cursor,
/// the claimed entries, and the IDs found deleted (dropped from the PEL).
pub fn xautoclaim(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let (key, group, consumer) = (args.get(1), args.get(2), args.get(3));
    // Redis looks the key up first (a hit or a miss), and checks its type after the arguments.
    let found = ctx.ks().read(ctx.db(), key).contains(key);
    ctx.looked_up(key, found);
    let min_idle = int_arg(args.get(4))
        .map_err(|_| CmdError::Other("Invalid min-idle-time argument for XAUTOCLAIM".into()))?
        .max(0) as u64;
    let start = super::stream::bound(args.get(5), true)?;
    let (mut count, mut justid) = (100usize, false);
    let mut i = 6;
    while i < args.len() {
        if args.is(i, "count") && i + 1 < args.len() {
            let c = int_arg(args.get(i + 1)).unwrap_or(0);
            if !(1..=i64::MAX / 16).contains(&c) {
                return Err(CmdError::Other("COUNT must be > 0".into()));
            }
            count = c as usize;
            i += 2;
        } else if args.is(i, "justid") {
            justid = true;
            i += 1;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    // The arguments first, then the key's type and group, as Redis checks them.
    let exists = ctx
        .ks()
        .read(ctx.db(), key)
        .get_stream(key, ctx.now)?
        .is_some_and(|st| st.groups.contains_key(group));
    if !exists {
        return Err(nogroup_key_or_group(key, group));
    }
    let now = ctx.now;
    let mut s = ctx.ks().write(ctx.db(), key);
    let st = s.stream_mut(key, now, false)?.expect("checked");
    let mut g = st.groups.remove(group).expect("checked");
    let mut claimed: Vec<(StreamId, Option<Fields>)> = Vec::new();
    let mut deleted: Vec<StreamId> = Vec::new();
    let mut records: Vec<Vec<Vec<u8>>> = Vec::new();
    // Redis looks at up to COUNT * 10 PEL entries per call.
    let mut attempts = count.saturating_mul(10);
    let mut next = StreamId::MIN;
    let candidates: Vec<StreamId> = g.pel.range(start..).map(|(i, _)| *i).collect();
    let mut it = candidates.into_iter().peekable();
    while attempts > 0 && claimed.len() < count {
        let Some(id) = it.next() else { break };
        attempts -= 1;
        if !st.entries.contains_key(&id) {
            g.ack(id);
            records.push(vec![
                b"XACK".to_vec(),
                key.to_vec(),
                group.to_vec(),
                id.text(),
            ]);
            deleted.push(id);
            continue;
        }
        let n = &g.pel[&id];
        if min_idle > 0 && now.saturating_sub(n.delivery_time) < min_idle {
            continue;
        }
        let cnt = if justid {
            n.delivery_count
        } else {
            n.delivery_count + 1
        };
        g.consumer(consumer, now).0.seen_time = now;
        g.assign(id, consumer, now, cnt);
        records.push(claim_record(key, group, consumer, id, now, cnt, g.last_id));
        claimed.push((id, (!justid).then(|| st.entries[&id].clone())));
    }
    if let Some(id) = it.next() {
        next = id;
    }
    let created = g.consumer(consumer, now).1;
    g.consumer(consumer, now).0.seen_time = now;
    st.groups.insert(group.to_vec(), g);
    if created && records.is_empty() {
        records.push(vec![
            b"XGROUP".to_vec(),
            b"CREATECONSUMER".to_vec(),
            key.to_vec(),
            group.to_vec(),
            consumer.to_vec(),
        ]);
    }
    log_all(&s, &records);
    if created {
        s.changed(key, ev::STREAM, "xgroup-createconsumer");
    } else if !records.is_empty() {
        s.changed_quietly(key);
    }
    drop(s);
    ctx.out.array(3);
    ctx.out.bulk(&next.text());
    ctx.out.array(claimed.len());
    for (id, f) in &claimed {
        match f {
            Some(f) => entry(ctx.out, id, f),
            None => ctx.out.bulk(&id.text()),
        }
    }
    ctx.out.array(deleted.len());
    for id in &deleted {
        ctx.out.bulk(&id.text());
    }
    OK
}

/// XSETID key last-id [ENTRIESADDED n] [MAXDELETEDID id]
pub fn xsetid(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let key = args.get(1);
    let id = StreamId::parse(args.get(2), 0)?;
    let (mut added, mut maxdel) = (None, None);
    let mut i = 3;
    while i < args.len() {
        if args.is(i, "entriesadded") && i + 1 < args.len() {
            let n = int_arg(args.get(i + 1))?;
            if n < 0 {
                return Err(CmdError::Other("entries_added must be positive".into()));
            }
            added = Some(n as u64);
            i += 2;
        } else if args.is(i, "maxdeletedid") && i + 1 < args.len() {
            let m = StreamId::parse(args.get(i + 1), 0)?;
            if id < m {
                return Err(CmdError::Other(
                    "The ID specified in XSETID is smaller than the provided max_deleted_entry_id"
                        .into(),
                ));
            }
            maxdel = Some(m);
            i += 2;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    let mut s = ctx.ks().write(ctx.db(), key);
    let st = s
        .stream_mut(key, ctx.now, false)?
        .ok_or(CmdError::NoSuchKey)?;
    if let Some(a) = added {
        if (st.entries.len() as u64) > a {
            return Err(CmdError::Other(
                "The entries_added specified in XSETID is smaller than the target stream length"
                    .into(),
            ));
        }
    }
    if let Some(last) = st.entries.keys().next_back() {
        if id < *last {
            return Err(CmdError::Other(
                "The ID specified in XSETID is smaller than the target stream top item".into(),
            ));
        }
    }
    st.last_id = id;
    if let Some(a) = added {
        st.entries_added = a;
    }
    if let Some(m) = maxdel {
        st.max_deleted = m;
    }
    s.changed(key, ev::STREAM, "xsetid");
    ctx.out.ok();
    OK
}

/// The stream an XINFO subcommand reports on: looked up as a read (a hit or a miss), an
/// error when missing.
fn xinfo_target<'s>(
    ctx: &Ctx,
    key: &[u8],
    found: CmdResult<Option<&'s Stream>>,
) -> CmdResult<&'s Stream> {
    ctx.read(key, found)?.ok_or(CmdError::NoSuchKey)
}

/// A group's `entries-read` and `lag` fields (null where they cannot be told).
fn group_counters(out: &mut Out, st: &Stream, g: &Group) {
    out.bulk(b"entries-read");
    match g.entries_read {
        Some(n) => out.int(n as i64),
        None => out.null(),
    }
    out.bulk(b"lag");
    match st.lag(g) {
        Some(n) => out.int(n),
        None => out.null(),
    }
}

/// XINFO STREAM key [FULL [COUNT n]]
pub fn xinfo_stream(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let key = args.get(2);
    let now = ctx.now;
    // As Redis: the key first, then the options (a negative COUNT means the default).
    let s = ctx.ks().read(ctx.db(), key);
    let st = xinfo_target(ctx, key, s.get_stream(key, now))?;
    let mut full = false;
    let mut count = 10usize;
    if args.len() > 3 {
        if !args.is(3, "full") {
            return Err(CmdError::Syntax);
        }
        full = true;
        if args.len() == 6 && args.is(4, "count") {
            count = usize::try_from(int_arg(args.get(5))?).unwrap_or(10);
        } else if args.len() != 4 {
            return Err(CmdError::Syntax);
        }
    }
    let limit = if count == 0 { usize::MAX } else { count };
    let out = &mut *ctx.out;
    out.map(if full { 9 } else { 10 });
    out.bulk(b"length");
    out.int(st.entries.len() as i64);
    out.bulk(b"radix-tree-keys");
    out.int(st.node_count() as i64);
    out.bulk(b"radix-tree-nodes");
    out.int(st.rax_nodes() as i64);
    out.bulk(b"last-generated-id");
    out.bulk(&st.last_id.text());
    out.bulk(b"max-deleted-entry-id");
    out.bulk(&st.max_deleted.text());
    out.bulk(b"entries-added");
    out.int(st.entries_added as i64);
    out.bulk(b"recorded-first-entry-id");
    out.bulk(&st.first_id().text());
    if !full {
        out.bulk(b"groups");
        out.int(st.groups.len() as i64);
        for (name, e) in [
            ("first-entry", st.entries.iter().next()),
            ("last-entry", st.entries.iter().next_back()),
        ] {
            out.bulk(name.as_bytes());
            match e {
                Some((id, f)) => entry(out, id, f),
                None => out.null(),
            }
        }
        return OK;
    }
    out.bulk(b"entries");
    let shown: Vec<_> = st.entries.iter().take(limit).collect();
    out.array(shown.len());
    for (id, f) in shown {
        entry(out, id, f);
    }
    out.bulk(b"groups");
    out.array(st.groups.len());
    for (name, g) in &st.groups {
        out.map(7);
        out.bulk(b"name");
        out.bulk(name);
        out.bulk(b"last-delivered-id");
        out.bulk(&g.last_id.text());
        group_counters(out, st, g);
        out.bulk(b"pel-count");
        out.int(g.pel.len() as i64);
        out.bulk(b"pending");
        let pel: Vec<_> = g.pel.iter().take(limit).collect();
        out.array(pel.len());
        for (id, n) in pel {
            out.array(4);
            out.bulk(&id.text());
            out.bulk(&n.consumer);
            out.int(n.delivery_time as i64);
            out.int(n.delivery_count as i64);
        }
        out.bulk(b"consumers");
        out.array(g.consumers.len());
        for (cname, c) in &g.consumers {
            out.map(4);
            out.bulk(b"name");
            out.bulk(cname);
            out.bulk(b"seen-time");
            out.int(c.seen_time as i64);
            out.bulk(b"pel-count");
            out.int(c.pel.len() as i64);
            out.bulk(b"pending");
            let mine: Vec<_> = c.pel.iter().take(limit).collect();
            out.array(mine.len());
            for id in mine {
                let n = &g.pel[id];
                out.array(3);
                out.bulk(&id.text());
                out.int(n.delivery_time as i64);
                out.int(n.delivery_count as i64);
            }
        }
    }
    OK
}

/// XINFO GROUPS key
pub fn xinfo_groups(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let key = args.get(2);
    let s = ctx.ks().read(ctx.db(), key);
    let st = xinfo_target(ctx, key, s.get_stream(key, ctx.now))?;
    let out = &mut *ctx.out;
    out.array(st.groups.len());
    for (name, g) in &st.groups {
        out.map(6);
        out.bulk(b"name");
        out.bulk(name);
        out.bulk(b"consumers");
        out.int(g.consumers.len() as i64);
        out.bulk(b"pending");
        out.int(g.pel.len() as i64);
        out.bulk(b"last-delivered-id");
        out.bulk(&g.last_id.text());
        group_counters(out, st, g);
    }
    OK
}

/// XINFO CONSUMERS key group
pub fn xinfo_consumers(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let (key, group) = (args.get(2), args.get(3));
    let now = ctx.now;
    let s = ctx.ks().read(ctx.db(), key);
    let st = xinfo_target(ctx, key, s.get_stream(key, now))?;
    let g = st
        .groups
        .get(group)
        .ok_or_else(|| nogroup_for_key(group, key))?;
    let out = &mut *ctx.out;
    out.array(g.consumers.len());
    for (name, c) in &g.consumers {
        out.map(3);
        out.bulk(b"name");
        out.bulk(name);
        out.bulk(b"pending");
        out.int(c.pel.len() as i64);
        out.bulk(b"idle");
        out.int(now.saturating_sub(c.seen_time) as i64);
    }
    OK
}

pub fn xinfo_help(ctx: &mut Ctx, _args: Args) -> CmdResult<Action> {
    super::help(
        ctx.out,
        "XINFO",
        &[
            "CONSUMERS <key> <groupname>",
            "    Show consumers of <groupname>.",
            "GROUPS <key>",
            "    Show the stream consumer groups.",
            "STREAM <key> [FULL [COUNT <count>]",
            "    Show information about the stream.",
        ],
    );
    OK
}
