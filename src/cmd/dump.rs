//! DUMP and RESTORE with Redis's payload: the value in RDB object format, the RDB version and a
//! CRC-64 (src/keyspace/rdbvalue.rs), so keys move between ringdis and redis-server both ways.
//! RESTORE builds the key with the plain write commands (DEL, SET, RPUSH, SADD, HSET, ZADD,
//! PEXPIREAT) run inside its own command: the same encodings, keyspace effects and AOF records
//! as if a client had sent them.

use super::{int_arg, Action, Ctx, OK};
use crate::error::{CmdError, CmdResult};
use crate::keyspace::rdb;
use crate::keyspace::rdbvalue;
use crate::resp::{Args, Out};

/// DUMP key: the payload, or nil for a missing key.
pub fn dump(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let key = args.get(1);
    let value = ctx.ks().read(ctx.db(), key).rdb_value(key, ctx.now);
    match value {
        Some(v) => {
            let mut out = Vec::new();
            let compress = ctx.shared.params.value("rdbcompression") == "yes";
            rdbvalue::write(&mut out, &v, compress);
            rdb::write_footer(&mut out);
            ctx.out.bulk(&out);
        }
        None => ctx.out.null(),
    }
    OK
}

/// Runs one write command inside RESTORE (its reply discarded); Err with the reply's error.
fn run(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult<()> {
    let mut data = Vec::new();
    let mut ranges = Vec::with_capacity(argv.len());
    for a in argv {
        ranges.push(data.len()..data.len() + a.len());
        data.extend_from_slice(a);
    }
    let mut scratch = Out::new(false);
    let mut inner = Ctx {
        shared: ctx.shared,
        client: &mut *ctx.client,
        out: &mut scratch,
        now: ctx.now,
        exec: ctx.exec,
        tx: ctx.tx,
    };
    super::replay(&mut inner, Args::new(&data, &ranges));
    if scratch.buf.first() == Some(&b'-') {
        let text = String::from_utf8_lossy(&scratch.buf[1..])
            .trim_end()
            .to_string();
        return Err(CmdError::Other(text.trim_start_matches("ERR ").to_string()));
    }
    Ok(())
}

/// Commands of at most this many elements build a large collection.
const CHUNK: usize = 512;

/// RESTORE key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency].
pub fn restore(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let key = args.get(1);
    let ttl = int_arg(args.get(2))?;
    let (mut replace, mut absttl) = (false, false);
    let (mut idle, mut freq) = (None, None);
    let mut i = 4;
    while i < args.len() {
        let more = i + 1 < args.len();
        if args.is(i, "replace") {
            replace = true;
        } else if args.is(i, "absttl") {
            absttl = true;
        } else if args.is(i, "idletime") && more && freq.is_none() {
            let v = int_arg(args.get(i + 1))?;
            if v < 0 {
                return Err(CmdError::Other(
                    "Invalid IDLETIME value, must be >= 0".into(),
                ));
            }
            idle = Some(v);
            i += 1;
        } else if args.is(i, "freq") && more && idle.is_none() {
            let v = int_arg(args.get(i + 1))?;
            if !(0..=255).contains(&v) {
                return Err(CmdError::Other(
                    "Invalid FREQ value, must be >= 0 and <= 255".into(),
                ));
            }
            freq = Some(v);
            i += 1;
        } else {
            return Err(CmdError::Syntax);
        }
        i += 1;
    }
    if ttl < 0 {
        return Err(CmdError::Other("Invalid TTL value, must be >= 0".into()));
    }
    let db = ctx.db();
    if !replace && ctx.ks().read(db, key).kind(key, ctx.now).is_some() {
        return Err(CmdError::BusyKey);
    }
    let body = rdb::check_footer(args.get(3)).ok_or(CmdError::BadDumpPayload)?;
    let value = rdbvalue::read(body).ok_or(CmdError::BadDataFormat)?;
    if value.is_empty() {
        return Err(CmdError::BadDataFormat);
    }
    let deadline = match (ttl, absttl) {
        (0, _) => None,
        (t, true) => Some(t as u64),
        (t, false) => Some(ctx.now.saturating_add(t as u64)),
    };
    if replace {
        run(ctx, &[b"DEL", key])?;
    }
    // A deadline already past: nothing is created (the old key is gone all the same).
    if deadline.is_some_and(|d| d <= ctx.now) {
        ctx.out.ok();
        return OK;
    }
    value.commands(key, CHUNK, |argv| run(ctx, argv))?;
    if let Some(d) = deadline {
        run(
            ctx,
            &[b"PEXPIREAT", key, itoa::Buffer::new().format(d).as_bytes()],
        )?;
    }
    // IDLETIME under an LRU policy, FREQ under an LFU one, as Redis (ringdis keeps access
    // clocks only under those policies).
    if idle.is_some() || freq.is_some() {
        ctx.ks().read(db, key).set_access(
            key,
            ctx.now,
            idle.map(|i| i as u64),
            freq.map(|f| f as u8),
        );
    }
    ctx.out.ok();
    OK
}
