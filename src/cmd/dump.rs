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
    let mut buf = crate::resp::ArgvBuf::default();
    let args = buf.set(argv);
    let mut scratch = Out::new(false);
    let mut inner = Ctx {
        shared: ctx.shared,
        client: &mut *ctx.client,
        out: &mut scratch,
        now: ctx.now,
        exec: ctx.exec,
        tx: ctx.tx,
    };
    super::replay(&mut inner, args);
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
    // As Redis: the options, then whether the key exists, then the TTL.
    let db = ctx.db();
    if !replace && ctx.ks().read(db, key).kind(key, ctx.now).is_some() {
        return Err(CmdError::BusyKey);
    }
    let ttl = int_arg(args.get(2))?;
    if ttl < 0 {
        return Err(CmdError::Other("Invalid TTL value, must be >= 0".into()));
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

/// MIGRATE host port key|"" destination-db timeout [COPY] [REPLACE] [AUTH password]
/// [AUTH2 username password] [KEYS key [key ...]]: DUMP here, RESTORE there, then DEL here
/// unless COPY. As in Redis the call is synchronous: the keys' shards stay held while the
/// target answers (Redis blocks the whole server), bounded by `timeout` ms.
pub fn migrate(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let host = String::from_utf8_lossy(args.get(1)).into_owned();
    let (mut copy, mut replace) = (false, false);
    let mut auth: Option<Vec<&[u8]>> = None;
    let mut keys: Vec<&[u8]> = Vec::new();
    let mut i = 6;
    while i < args.len() {
        let more = args.len() - i - 1;
        if args.is(i, "copy") {
            copy = true;
        } else if args.is(i, "replace") {
            replace = true;
        } else if args.is(i, "auth") && more >= 1 {
            auth = Some(vec![args.get(i + 1)]);
            i += 1;
        } else if args.is(i, "auth2") && more >= 2 {
            auth = Some(vec![args.get(i + 1), args.get(i + 2)]);
            i += 2;
        } else if args.is(i, "keys") {
            if !args.get(3).is_empty() {
                return Err(CmdError::Other(
                    "When using MIGRATE KEYS option, the key argument must be set to the empty string".into(),
                ));
            }
            keys.extend(args.from(i + 1).iter());
            break;
        } else {
            return Err(CmdError::Syntax);
        }
        i += 1;
    }
    if keys.is_empty() {
        keys.push(args.get(3));
    }
    // As Redis: options first, then the timeout and the database; the port only when
    // connecting (a bad one cannot be connected to).
    let timeout = int_arg(args.get(5))?;
    let dest_db = int_arg(args.get(4))?;
    let timeout =
        std::time::Duration::from_millis(if timeout <= 0 { 1000 } else { timeout as u64 });
    // What to send: each key that exists, with its time to live.
    let db = ctx.db();
    let compress = ctx.shared.params.value("rdbcompression") == "yes";
    let mut sends: Vec<(&[u8], Vec<u8>, u64)> = Vec::new();
    for k in &keys {
        let shard = ctx.ks().read(db, k);
        let Some(v) = shard.rdb_value(k, ctx.now) else {
            continue;
        };
        let ttl = shard
            .ttl_of(k)
            .map_or(0, |at| at.saturating_sub(ctx.now).max(1));
        let mut payload = Vec::new();
        rdbvalue::write(&mut payload, &v, compress);
        rdb::write_footer(&mut payload);
        sends.push((k, payload, ttl));
    }
    if sends.is_empty() {
        ctx.out.simple("NOKEY");
        return OK;
    }
    let mut req = Vec::new();
    let mut push = |argv: &[&[u8]]| crate::resp::encode::encode_cmd(&mut req, argv);
    if let Some(a) = &auth {
        let mut argv: Vec<&[u8]> = vec![b"AUTH"];
        argv.extend(a.iter().copied());
        push(&argv);
    }
    let db_text = dest_db.to_string();
    push(&[b"SELECT", db_text.as_bytes()]);
    for (k, payload, ttl) in &sends {
        let ttl = ttl.to_string();
        let mut argv: Vec<&[u8]> = vec![b"RESTORE", k, ttl.as_bytes(), payload];
        if replace {
            argv.push(b"REPLACE");
        }
        push(&argv);
    }
    let port = std::str::from_utf8(args.get(2))
        .ok()
        .and_then(|p| p.parse::<u16>().ok());
    let replies = talk(
        &host,
        port,
        timeout,
        &req,
        sends.len() + 1 + auth.is_some() as usize,
    )?;
    // Replies in order: AUTH, SELECT, then one per key.
    let skip = 1 + auth.is_some() as usize;
    for r in &replies[..skip] {
        if let Some(e) = r.strip_prefix('-') {
            return Err(CmdError::Verbatim(format!(
                "ERR Target instance replied with error: {e}"
            )));
        }
    }
    let mut first_err = None;
    for ((k, _, _), r) in sends.iter().zip(&replies[skip..]) {
        match r.strip_prefix('-') {
            Some(e) => {
                first_err.get_or_insert_with(|| e.to_string());
            }
            None if !copy => run(ctx, &[b"DEL", k])?,
            None => {}
        }
    }
    if let Some(e) = first_err {
        return Err(CmdError::Verbatim(format!(
            "ERR Target instance replied with error: {e}"
        )));
    }
    ctx.out.ok();
    OK
}

/// Sends `req` to host:port and reads `n` one-line replies, within `timeout` for each step.
fn talk(
    host: &str,
    port: Option<u16>,
    timeout: std::time::Duration,
    req: &[u8],
    n: usize,
) -> CmdResult<Vec<String>> {
    use std::io::{BufRead, Write};
    use std::net::ToSocketAddrs;
    let connect_err =
        || CmdError::Verbatim("IOERR error or timeout connecting to the client".into());
    let port = port.ok_or_else(connect_err)?;
    let addr = (host, port)
        .to_socket_addrs()
        .ok()
        .and_then(|mut a| a.next())
        .ok_or_else(connect_err)?;
    let s = std::net::TcpStream::connect_timeout(&addr, timeout).map_err(|_| connect_err())?;
    let io_err =
        |what: &str| CmdError::Verbatim(format!("IOERR error or timeout {what} target instance"));
    s.set_write_timeout(Some(timeout))
        .map_err(|_| io_err("writing to"))?;
    s.set_read_timeout(Some(timeout))
        .map_err(|_| io_err("reading to"))?;
    (&s).write_all(req).map_err(|_| io_err("writing to"))?;
    let mut r = std::io::BufReader::new(&s);
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let mut line = String::new();
        match r.read_line(&mut line) {
            Ok(0) | Err(_) => return Err(io_err("reading to")),
            Ok(_) => out.push(line.trim_end().to_string()),
        }
    }
    Ok(out)
}
