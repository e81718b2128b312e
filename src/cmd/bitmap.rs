//! Bitmap commands: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP (strings as bit arrays).

use super::{int_arg, Action, Ctx, OK};
use crate::error::{CmdError, CmdResult};
use crate::keyspace::bits::{self, BitOp, FieldType, Overflow, MAX_BIT_OFFSET};
use crate::keyspace::events::class as ev;
use crate::keyspace::strings::SetOpts;
use crate::resp::Args;

fn offset_error() -> CmdError {
    CmdError::Other("bit offset is not an integer or out of range".into())
}

/// A bit offset: 0 up to the last bit of the largest string.
fn offset_value(o: i64) -> CmdResult<u64> {
    u64::try_from(o)
        .ok()
        .filter(|&o| o <= MAX_BIT_OFFSET)
        .ok_or_else(offset_error)
}

fn offset_arg(b: &[u8]) -> CmdResult<u64> {
    crate::resp::parse_i64(b)
        .ok_or_else(offset_error)
        .and_then(offset_value)
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
    let v = ctx.read(key, s.get_str(key, ctx.now))?.unwrap_or_default();
    let byte = v.get((offset / 8) as usize).copied().unwrap_or(0);
    ctx.out.int((byte & (0x80 >> (offset % 8)) != 0) as i64);
    OK
}

/// BYTE or BIT: whether a range counts bits.
fn unit_arg(b: &[u8]) -> CmdResult<bool> {
    super::keyword_arg(b, &[("bit", true), ("byte", false)])
}

/// BITCOUNT key [start end [BYTE|BIT]]. As in Redis, a missing key answers 0 whatever follows,
/// and an empty range of negative indexes answers 0 before the unit is read.
pub fn bitcount(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let key = args.get(1);
    let s = ctx.ks().read(ctx.db(), key);
    let Some(v) = ctx.read(key, s.get_str(key, ctx.now))? else {
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
    let Some(v) = ctx.read(key, s.get_str(key, ctx.now))? else {
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
    let op = super::keyword_arg(
        args.get(1),
        &[
            ("and", BitOp::And),
            ("or", BitOp::Or),
            ("xor", BitOp::Xor),
            ("not", BitOp::Not),
        ],
    )?;
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
        let v = ctx.read(k, locked.shard(k).get_str(k, now))?;
        values.push(v.map(|v| v.to_vec()).unwrap_or_default());
    }
    let refs: Vec<&[u8]> = values.iter().map(|v| v.as_slice()).collect();
    let result = bits::combine(op, &refs);
    let d = locked.shard(dst);
    if result.is_empty() {
        if d.remove_overwritten(dst) {
            d.changed(dst, ev::GENERIC, "del");
        }
    } else {
        d.set_generic(dst, &result, SetOpts::PLAIN, now)?;
        d.changed(dst, ev::STRING, "set");
    }
    drop(locked);
    ctx.out.int(result.len() as i64);
    OK
}

/// One BITFIELD operation.
enum FieldOp {
    Get,
    Set(i64),
    IncrBy(i64),
}

struct Field {
    op: FieldOp,
    ty: FieldType,
    offset: u64,
    overflow: Overflow,
}

/// `i1`..`i64` or `u1`..`u63`.
fn field_type_arg(b: &[u8]) -> CmdResult<FieldType> {
    let signed = match b.first() {
        Some(b'i') => true,
        Some(b'u') => false,
        _ => None.ok_or_else(field_type_error)?,
    };
    let bits = crate::resp::parse_i64(&b[1..])
        .filter(|&n| n >= 1 && n <= if signed { 64 } else { 63 })
        .ok_or_else(field_type_error)?;
    Ok(FieldType {
        signed,
        bits: bits as u32,
    })
}

fn field_type_error() -> CmdError {
    CmdError::Other(
        "Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is."
            .into(),
    )
}

/// A field offset: bits, or `#n` for the n-th field of this type's width.
fn field_offset_arg(b: &[u8], ty: FieldType) -> CmdResult<u64> {
    match b.strip_prefix(b"#") {
        Some(n) => crate::resp::parse_i64(n)
            .and_then(|n| n.checked_mul(ty.bits as i64))
            .ok_or_else(offset_error)
            .and_then(offset_value),
        None => offset_arg(b),
    }
}

/// Parses every operation first, as Redis does, so a bad one fails the command before any runs.
fn parse_fields(args: &Args) -> CmdResult<Vec<Field>> {
    let mut fields = Vec::new();
    let mut overflow = Overflow::Wrap;
    let mut i = 2;
    while i < args.len() {
        let left = args.len() - i - 1;
        if args.is(i, "overflow") && left >= 1 {
            overflow = match args.get(i + 1).to_ascii_lowercase().as_slice() {
                b"wrap" => Overflow::Wrap,
                b"sat" => Overflow::Sat,
                b"fail" => Overflow::Fail,
                _ => return Err(CmdError::Other("Invalid OVERFLOW type specified".into())),
            };
            i += 2;
            continue;
        }
        let (is_get, needs) = if args.is(i, "get") {
            (true, 2)
        } else if args.is(i, "set") || args.is(i, "incrby") {
            (false, 3)
        } else {
            return Err(CmdError::Syntax);
        };
        if left < needs {
            return Err(CmdError::Syntax);
        }
        let ty = field_type_arg(args.get(i + 1))?;
        let offset = field_offset_arg(args.get(i + 2), ty)?;
        let op = if is_get {
            FieldOp::Get
        } else {
            let v = int_arg(args.get(i + 3))?;
            if args.is(i, "set") {
                FieldOp::Set(v)
            } else {
                FieldOp::IncrBy(v)
            }
        };
        fields.push(Field {
            op,
            ty,
            offset,
            overflow,
        });
        i += 1 + needs;
    }
    Ok(fields)
}

/// BITFIELD key [GET type offset] [SET type offset value] [INCRBY type offset increment]
/// [OVERFLOW WRAP|SAT|FAIL] ...: one reply per GET/SET/INCRBY (SET answers the old value, a
/// failed SET or INCRBY nil). With writes the string is created and grown to the last field
/// written before any runs (even one that then fails), and the command is logged as sent: given
/// the string before it, its effect is determined.
fn bitfield_generic(ctx: &mut Ctx, args: Args, read_only: bool) -> CmdResult<Action> {
    let fields = parse_fields(&args)?;
    let writes = fields.iter().any(|f| !matches!(f.op, FieldOp::Get));
    if read_only && writes {
        return Err(CmdError::Other(
            "BITFIELD_RO only supports the GET subcommand".into(),
        ));
    }
    let key = args.get(1);
    if !writes {
        let s = ctx.ks().read(ctx.db(), key);
        let v = ctx.read(key, s.get_str(key, ctx.now))?.unwrap_or_default();
        ctx.out.array(fields.len());
        for f in &fields {
            let raw = bits::get_field(v, f.offset, f.ty.bits);
            ctx.out.int(f.ty.value(raw));
        }
        return OK;
    }
    let len = fields
        .iter()
        .filter(|f| !matches!(f.op, FieldOp::Get))
        .map(|f| ((f.offset + f.ty.bits as u64 - 1) / 8 + 1) as usize)
        .max()
        .unwrap_or(0);
    let mut s = ctx.ks().write(ctx.db(), key);
    let v = s.bitfield_target(key, len, ctx.now)?;
    let mut changes = 0;
    ctx.out.array(fields.len());
    for f in &fields {
        let old = f.ty.value(bits::get_field(v, f.offset, f.ty.bits));
        let (new, reply) = match f.op {
            FieldOp::Get => (None, Some(old)),
            FieldOp::Set(x) => {
                let new = f.ty.fit(x, 0, f.overflow);
                (new, new.map(|_| old))
            }
            FieldOp::IncrBy(x) => {
                let new = f.ty.fit(old, x, f.overflow);
                (new, new)
            }
        };
        if let Some(n) = new {
            bits::set_field(v, f.offset, f.ty.bits, n as u64);
            changes += 1;
        }
        match reply {
            Some(r) => ctx.out.int(r),
            None => ctx.out.null(),
        }
    }
    // Logged even when no field changed: finding its target created or zero-extended the
    // string, which no event reports (as in Redis) but a restart must keep.
    let rec: Vec<&[u8]> = args.iter().collect();
    s.log(&rec);
    if changes > 0 {
        s.changed(key, ev::STRING, "setbit");
    }
    OK
}

pub fn bitfield(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    bitfield_generic(ctx, args, false)
}

pub fn bitfield_ro(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    bitfield_generic(ctx, args, true)
}
