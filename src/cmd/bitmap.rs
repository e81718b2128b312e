//! Bitmap commands: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP (strings as bit arrays).

use super::{int_arg, Action, Ctx, OK};
use crate::error::{CmdError, CmdResult};
use crate::keyspace::bits::{self, BitOp, MAX_BIT_OFFSET};
use crate::keyspace::strings::SetOpts;
use crate::resp::Args;

/// A bit offset: 0 up to the last bit of the largest string.
fn offset_arg(b: &[u8]) -> CmdResult<u64> {
    crate::resp::parse_i64(b)
        .and_then(|o| u64::try_from(o).ok())
        .filter(|&o| o <= MAX_BIT_OFFSET)
        .ok_or_else(|| CmdError::Other("bit offset is not an integer or out of range".into()))
}

/// SETBIT key offset 0|1: the bit's old value.
pub fn setbit(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let key = args.get(1);
    let offset = offset_arg(args.get(2))?;
    let on = match crate::resp::parse_i64(args.get(3)) {
        Some(0) => false,
        Some(1) => true,
        _ => {
            return Err(CmdError::Other(
                "bit is not an integer or out of range".into(),
            ))
        }
    };
    let old = ctx
        .ks()
        .write(ctx.db(), key)
        .setbit(key, offset, on, ctx.now)?;
    ctx.out.int(old as i64);
    OK
}

/// GETBIT key offset: 0 past the end of the string or for a missing key.
pub fn getbit(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let key = args.get(1);
    let offset = offset_arg(args.get(2))?;
    let s = ctx.ks().read(ctx.db(), key);
    let v = s.get_str(key, ctx.now)?.map_or(&[][..], |v| v.as_slice());
    let byte = v.get((offset / 8) as usize).copied().unwrap_or(0);
    ctx.out.int((byte & (0x80 >> (offset % 8)) != 0) as i64);
    OK
}

/// BYTE or BIT: whether a range counts bits.
fn unit_arg(b: &[u8]) -> CmdResult<bool> {
    if b.eq_ignore_ascii_case(b"bit") {
        Ok(true)
    } else if b.eq_ignore_ascii_case(b"byte") {
        Ok(false)
    } else {
        Err(CmdError::Syntax)
    }
}

/// BITCOUNT key [start end [BYTE|BIT]]. As in Redis, a missing key answers 0 whatever follows,
/// and an empty range of negative indexes answers 0 before the unit is read.
pub fn bitcount(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let key = args.get(1);
    let s = ctx.ks().read(ctx.db(), key);
    let Some(v) = s.get_str(key, ctx.now)? else {
        ctx.out.int(0);
        return OK;
    };
    let span = match args.len() {
        2 => bits::span(v.len(), 0, -1, false),
        4 | 5 => {
            let (start, end) = (int_arg(args.get(2))?, int_arg(args.get(3))?);
            if start < 0 && end < 0 && start > end {
                ctx.out.int(0);
                return OK;
            }
            let in_bits = args.len() == 5 && unit_arg(args.get(4))?;
            bits::span(v.len(), start, end, in_bits)
        }
        _ => return Err(CmdError::Syntax),
    };
    ctx.out.int(span.map_or(0, |sp| bits::count(v, sp)) as i64);
    OK
}

/// BITPOS key 0|1 [start [end [BYTE|BIT]]]: the first such bit, -1 if none. A missing key is all
/// zeros; when no end is given a search for 0 that finds none answers the bit just past the
/// string (the zeros that follow it), as Redis does.
pub fn bitpos(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let key = args.get(1);
    let bit = match int_arg(args.get(2))? {
        0 => false,
        1 => true,
        _ => return Err(CmdError::Other("The bit argument must be 1 or 0.".into())),
    };
    let s = ctx.ks().read(ctx.db(), key);
    let Some(v) = s.get_str(key, ctx.now)? else {
        ctx.out.int(if bit { -1 } else { 0 });
        return OK;
    };
    if args.len() > 6 {
        return Err(CmdError::Syntax);
    }
    // Redis reads the start, then the unit, then the end.
    let start = if args.len() > 3 {
        int_arg(args.get(3))?
    } else {
        0
    };
    let in_bits = args.len() == 6 && unit_arg(args.get(5))?;
    let end_given = args.len() > 4;
    let end = if end_given { int_arg(args.get(4))? } else { -1 };
    let pos = match bits::span(v.len(), start, end, in_bits) {
        None => -1,
        Some(sp) => match bits::first(v, bit, sp) {
            Some(p) => p as i64,
            None if !bit && !end_given => v.len() as i64 * 8,
            None => -1,
        },
    };
    ctx.out.int(pos);
    OK
}

/// BITOP AND|OR|XOR|NOT destkey key [key ...]: the result replaces `destkey` as a string with no
/// TTL (an empty result deletes it); replies with its length. Logged as sent: it is determined
/// by the sources, which precede it in the file.
pub fn bitop(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let op = match args.get(1).to_ascii_lowercase().as_slice() {
        b"and" => BitOp::And,
        b"or" => BitOp::Or,
        b"xor" => BitOp::Xor,
        b"not" => BitOp::Not,
        _ => return Err(CmdError::Syntax),
    };
    let (dst, srcs) = (args.get(2), args.from(3));
    if op == BitOp::Not && srcs.len() != 1 {
        return Err(CmdError::Other(
            "BITOP NOT must be called with a single source key.".into(),
        ));
    }
    let now = ctx.now;
    let mut locked = ctx.ks().lock_many(ctx.db(), srcs.iter().chain([dst]));
    for k in srcs.iter().chain([dst]) {
        locked.shard(k).expire_if_needed(k, now);
    }
    let mut values: Vec<Vec<u8>> = Vec::with_capacity(srcs.len());
    for k in srcs.iter() {
        let v = locked.shard(k).get_str(k, now)?;
        values.push(v.cloned().unwrap_or_default());
    }
    let refs: Vec<&[u8]> = values.iter().map(|v| v.as_slice()).collect();
    let result = bits::combine(op, &refs);
    let d = locked.shard(dst);
    if result.is_empty() {
        d.remove(dst);
    } else {
        d.set_generic(dst, &result, SetOpts::PLAIN, now)?;
    }
    ctx.ks()
        .log
        .append(ctx.db(), &super::record(b"BITOP", &args));
    drop(locked);
    ctx.out.int(result.len() as i64);
    OK
}
