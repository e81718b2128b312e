//! RDB files, Redis 7.0's snapshot format (version 10): what SAVE and BGSAVE write and what
//! start-up loads, so a dump.rdb moves between ringdis and redis-server both ways.
//!
//! Written: the header, `redis-ver`/`redis-bits`/`ctime`/`used-mem`/`aof-base` fields, each
//! function library, then per database its size hint and its keys (deadline, type, key, value
//! in the plain encodings every Redis loads, strings LZF-compressed under `rdbcompression`),
//! and the CRC-64 (0 under `rdbchecksum no`, as Redis). Read: every encoding Redis 6 and 7
//! write for strings, lists, sets, hashes and sorted sets (ziplists, quicklists, intsets,
//! listpacks, stream listpacks), as commands the caller runs; module values are refused with
//! their offset. See [`save`] for SAVE, BGSAVE and the save points.

pub mod save;

use crate::keyspace::rdb::{self, read_len, read_str, read_string, write_len, write_str};
use crate::keyspace::rdbvalue::{self, Value};
use crate::keyspace::ShardRef;
use std::io::{self, Write};
use std::sync::Arc;

/// The version this server writes.
pub const VERSION: u16 = rdb::RDB_VERSION;
/// The newest version read: Redis 7.2 (11) and 7.4 (12) files load when they hold no type
/// added since 7.0 beyond those read here.
const MAX_READ_VERSION: u16 = 12;

const OP_FUNCTION_PRE_GA: u8 = 246;
const OP_MODULE_AUX: u8 = 247;
const OP_IDLE: u8 = 248;
const OP_FREQ: u8 = 249;
const OP_AUX: u8 = 250;
const OP_RESIZEDB: u8 = 251;
const OP_EXPIRETIME_MS: u8 = 252;
const OP_EXPIRETIME: u8 = 253;
const OP_SELECTDB: u8 = 254;
const OP_EOF: u8 = 255;

/// Type bytes of encodings Redis 6 wrote (ziplists) or that hold what ringdis does not load.
const TYPE_MODULE: u8 = 6;
const TYPE_MODULE_2: u8 = 7;
const TYPE_HASH_ZIPMAP: u8 = 9;
const TYPE_LIST_ZIPLIST: u8 = 10;
const TYPE_ZSET_ZIPLIST: u8 = 12;
const TYPE_HASH_ZIPLIST: u8 = 13;
const TYPE_LIST_QUICKLIST: u8 = 14;

/// How a snapshot is written.
pub struct SaveOpts<'a> {
    /// rdbcompression: strings longer than 20 bytes LZF-compressed when that saves space.
    pub compress: bool,
    /// rdbchecksum: the CRC-64 at the end (0 when off, which readers take as "not checked").
    pub checksum: bool,
    /// The `redis-ver` field.
    pub version: &'a str,
    /// The `used-mem` field.
    pub used_mem: u64,
    /// A replica's position in its master's stream, matching the data (as Redis saves it).
    pub repl: Option<ReplPoint>,
}

/// Where a replica's data stands in its master's stream: the `repl-id`, `repl-offset` and
/// `repl-stream-db` fields, with which a restarted replica asks for a partial resync.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplPoint {
    pub replid: String,
    pub offset: u64,
    pub db: usize,
}

/// What a snapshot held.
#[derive(Debug, Default, Clone, Copy)]
pub struct Saved {
    pub keys: u64,
    pub bytes: u64,
}

/// Buffers output, feeding the CRC as it goes to `w`.
struct Out<W: Write> {
    w: W,
    buf: Vec<u8>,
    crc: crc::Digest<'static, u64>,
    written: u64,
}

impl<W: Write> Out<W> {
    fn flush_if_full(&mut self) -> io::Result<()> {
        if self.buf.len() >= 1 << 20 {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.crc.update(&self.buf);
        self.w.write_all(&self.buf)?;
        self.written += self.buf.len() as u64;
        self.buf.clear();
        Ok(())
    }
}

/// An auxiliary field: its name, then its value (an integer when it is one).
fn aux(out: &mut Vec<u8>, name: &[u8], value: &[u8]) {
    out.push(OP_AUX);
    write_str(out, name, false);
    write_str(out, value, false);
}

/// Writes the data held by `shards` (every shard of every database, grouped by database, as
/// [`crate::keyspace::Tx::read_at`] hands them) and the function `libraries` to `w`. Keys whose
/// deadline is past at `now` are left out.
pub fn write<W: Write>(
    w: W,
    shards: &[ShardRef<'_>],
    libraries: &[Arc<[u8]>],
    opts: &SaveOpts<'_>,
    now: u64,
) -> io::Result<(Saved, W)> {
    let mut o = Out {
        w,
        buf: Vec::with_capacity(1 << 20),
        crc: rdb::crc64_digest(),
        written: 0,
    };
    o.buf
        .extend_from_slice(format!("REDIS{VERSION:04}").as_bytes());
    let ctime = (now / 1000).to_string();
    let used = opts.used_mem.to_string();
    aux(&mut o.buf, b"redis-ver", opts.version.as_bytes());
    aux(&mut o.buf, b"redis-bits", b"64");
    aux(&mut o.buf, b"ctime", ctime.as_bytes());
    aux(&mut o.buf, b"used-mem", used.as_bytes());
    if let Some(r) = &opts.repl {
        aux(&mut o.buf, b"repl-stream-db", r.db.to_string().as_bytes());
        aux(&mut o.buf, b"repl-id", r.replid.as_bytes());
        aux(&mut o.buf, b"repl-offset", r.offset.to_string().as_bytes());
    }
    aux(&mut o.buf, b"aof-base", b"0");
    for code in libraries {
        o.buf.push(rdb::OPCODE_FUNCTION2);
        write_str(&mut o.buf, code, opts.compress);
    }
    let mut saved = Saved::default();
    let mut i = 0;
    while i < shards.len() {
        let db = shards[i].db();
        let end = i + shards[i..].iter().take_while(|s| s.db() == db).count();
        let group = &shards[i..end];
        i = end;
        let keys: usize = group.iter().map(|s| s.len()).sum();
        if keys == 0 {
            continue;
        }
        let expires: usize = group.iter().map(|s| s.expires.len()).sum();
        o.buf.push(OP_SELECTDB);
        write_len(&mut o.buf, db as u64);
        o.buf.push(OP_RESIZEDB);
        write_len(&mut o.buf, keys as u64);
        write_len(&mut o.buf, expires as u64);
        for s in group {
            let key_head = |buf: &mut Vec<u8>, k: &[u8]| -> bool {
                let ttl = s.ttl_of(k);
                if ttl.is_some_and(|at| at <= now) {
                    return false;
                }
                if let Some(at) = ttl {
                    buf.push(OP_EXPIRETIME_MS);
                    buf.extend_from_slice(&at.to_le_bytes());
                }
                true
            };
            for (k, v) in s.strings.iter() {
                if !key_head(&mut o.buf, k) {
                    continue;
                }
                o.buf.push(rdbvalue::TYPE_STRING);
                write_str(&mut o.buf, k, opts.compress);
                write_str(&mut o.buf, v, opts.compress);
                saved.keys += 1;
                o.flush_if_full()?;
            }
            let others = s.hashes.keys().chain(s.colls.keys());
            for k in others {
                let Some(v) = s.rdb_value(k, now) else {
                    continue;
                };
                if !key_head(&mut o.buf, k) {
                    continue;
                }
                o.buf.push(rdbvalue::type_of(&v));
                write_str(&mut o.buf, k, opts.compress);
                rdbvalue::write_body(&mut o.buf, &v, opts.compress);
                saved.keys += 1;
                o.flush_if_full()?;
            }
        }
    }
    o.buf.push(OP_EOF);
    o.crc.update(&o.buf);
    let crc = if opts.checksum {
        o.crc.clone().finalize()
    } else {
        0
    };
    o.w.write_all(&o.buf)?;
    o.w.write_all(&crc.to_le_bytes())?;
    saved.bytes = o.written + o.buf.len() as u64 + 8;
    Ok((saved, o.w))
}

/// Why a file could not be loaded, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    pub offset: usize,
    pub reason: String,
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (at byte {})", self.reason, self.offset)
    }
}

/// What a file held.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Loaded {
    pub version: u16,
    pub keys: u64,
    /// Keys left out because their deadline had passed (as a Redis master loads).
    pub expired: u64,
    pub functions: u64,
    /// The `redis-ver` field, when the file has one.
    pub redis_ver: Option<String>,
    /// The replication fields, when the file has all three.
    pub repl: Option<ReplPoint>,
}

/// Whether `data` starts as an RDB file does.
pub fn looks_like_rdb(data: &[u8]) -> bool {
    data.len() >= 9 && &data[..5] == b"REDIS" && data[5..9].iter().all(u8::is_ascii_digit)
}

/// Commands that build a loaded key run in parts of at most this many elements.
const CHUNK: usize = 512;

/// Where a load puts what it reads. Any `FnMut(&[&[u8]]) -> Result<(), String>` is one that
/// takes commands only.
pub trait Sink {
    /// Runs a command that rebuilds part of the data (SELECT, FUNCTION LOAD REPLACE,
    /// SET/RPUSH/SADD/HSET/ZADD, PEXPIREAT, XADD and its kin).
    fn command(&mut self, argv: &[&[u8]]) -> Result<(), String>;

    /// The database selected last will get about `keys` keys, `ttls` of them with a TTL
    /// (RESIZEDB): a sink may make room for them up front.
    fn expect(&mut self, _keys: usize, _ttls: usize) {}

    /// A string key with its deadline, if any: most keys of most files, so a sink may store it
    /// without building and dispatching commands. By default SET, then PEXPIREAT.
    fn string(&mut self, key: &[u8], value: &[u8], deadline: Option<u64>) -> Result<(), String> {
        self.command(&[b"SET", key, value])?;
        match deadline {
            Some(d) => self.command(&[b"PEXPIREAT", key, d.to_string().as_bytes()]),
            None => Ok(()),
        }
    }
}

impl<F: FnMut(&[&[u8]]) -> Result<(), String>> Sink for F {
    fn command(&mut self, argv: &[&[u8]]) -> Result<(), String> {
        self(argv)
    }
}

/// Reads the RDB file in `data` into `sink`; an error from the sink stops the load. Keys whose
/// deadline is not after `now` are skipped.
pub fn load<S: Sink + ?Sized>(data: &[u8], now: u64, sink: &mut S) -> Result<Loaded, LoadError> {
    let fail = |offset: usize, reason: &str| LoadError {
        offset,
        reason: reason.to_string(),
    };
    if !looks_like_rdb(data) {
        return Err(fail(0, "not an RDB file (no REDIS header)"));
    }
    let version: u16 = std::str::from_utf8(&data[5..9])
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(u16::MAX);
    if version == 0 || version > MAX_READ_VERSION {
        return Err(fail(
            5,
            &format!("can't handle RDB format version {version}"),
        ));
    }
    let mut loaded = Loaded {
        version,
        ..Default::default()
    };
    let mut at = 9;
    let mut deadline: Option<u64> = None;
    let (mut repl_id, mut repl_offset, mut repl_db) = (None::<String>, None::<u64>, None::<usize>);
    let truncated = |at: usize| fail(at, "unexpected end of file or malformed data");
    let ran = |at: usize, e: String| fail(at, &format!("loading a key failed: {e}"));
    loop {
        let start = at;
        let op = *data.get(at).ok_or_else(|| truncated(at))?;
        at += 1;
        match op {
            OP_EOF => {
                // A stream db of -1 (a master with no replica) does not parse: no point. The
                // ID is checked where the point is taken (server::replica::resume_at).
                if let (Some(replid), Some(offset), Some(db)) =
                    (repl_id.take(), repl_offset, repl_db)
                {
                    loaded.repl = Some(ReplPoint { replid, offset, db });
                }
                if version >= 5 {
                    let sum = data.get(at..at + 8).ok_or_else(|| truncated(at))?;
                    let sum = u64::from_le_bytes(sum.try_into().expect("8 bytes"));
                    if sum != 0 && sum != rdb::crc64(&data[..at]) {
                        return Err(fail(at, "wrong RDB checksum"));
                    }
                }
                return Ok(loaded);
            }
            OP_AUX => {
                let name = read_string(data, &mut at).ok_or_else(|| truncated(start))?;
                let value = read_string(data, &mut at).ok_or_else(|| truncated(start))?;
                let text = || String::from_utf8_lossy(&value).into_owned();
                match &name[..] {
                    b"redis-ver" => loaded.redis_ver = Some(text()),
                    b"repl-id" => repl_id = Some(text()),
                    b"repl-offset" => repl_offset = text().parse().ok(),
                    b"repl-stream-db" => repl_db = text().parse().ok(),
                    _ => {}
                }
            }
            OP_RESIZEDB => {
                let (keys, _) = read_len(data, &mut at).ok_or_else(|| truncated(start))?;
                let (ttls, _) = read_len(data, &mut at).ok_or_else(|| truncated(start))?;
                // A hint only: bounded by what the file could hold, so a bad one costs nothing.
                let most = (data.len() / 4) as u64;
                sink.expect(keys.min(most) as usize, ttls.min(most) as usize);
            }
            OP_SELECTDB => {
                let (db, _) = read_len(data, &mut at).ok_or_else(|| truncated(start))?;
                sink.command(&[b"SELECT", db.to_string().as_bytes()])
                    .map_err(|e| ran(start, e))?;
            }
            OP_EXPIRETIME_MS => {
                let b = data.get(at..at + 8).ok_or_else(|| truncated(start))?;
                at += 8;
                deadline = Some(i64::from_le_bytes(b.try_into().expect("8 bytes")).max(0) as u64);
            }
            OP_EXPIRETIME => {
                let b = data.get(at..at + 4).ok_or_else(|| truncated(start))?;
                at += 4;
                let secs = i32::from_le_bytes(b.try_into().expect("4 bytes")).max(0) as u64;
                deadline = Some(secs * 1000);
            }
            OP_FREQ => at += 1,
            OP_IDLE => {
                read_len(data, &mut at).ok_or_else(|| truncated(start))?;
            }
            rdb::OPCODE_FUNCTION2 => {
                let code = read_string(data, &mut at).ok_or_else(|| truncated(start))?;
                sink.command(&[b"FUNCTION", b"LOAD", b"REPLACE", &code])
                    .map_err(|e| ran(start, e))?;
                loaded.functions += 1;
            }
            OP_FUNCTION_PRE_GA => {
                return Err(fail(
                    start,
                    "functions in the format of Redis 7.0's release candidates",
                ));
            }
            OP_MODULE_AUX => return Err(fail(start, "module data (ringdis has no modules)")),
            rdbvalue::TYPE_STRING => {
                // Borrowed from the file where it is stored plain, as most strings are.
                let key = read_str(data, &mut at).ok_or_else(|| truncated(start))?;
                let value = read_str(data, &mut at).ok_or_else(|| truncated(start))?;
                let at_ms = deadline.take();
                if at_ms.is_some_and(|d| d <= now) {
                    loaded.expired += 1;
                    continue;
                }
                sink.string(&key, &value, at_ms)
                    .map_err(|e| ran(start, e))?;
                loaded.keys += 1;
            }
            ty => {
                let key = read_str(data, &mut at).ok_or_else(|| truncated(start))?;
                let value = read_value(ty, data, &mut at).map_err(|e| fail(start, &e))?;
                let at_ms = deadline.take();
                if at_ms.is_some_and(|d| d <= now) {
                    loaded.expired += 1;
                    continue;
                }
                if value.is_empty() {
                    continue;
                }
                value
                    .commands(&key, CHUNK, |argv| sink.command(argv))
                    .map_err(|e| ran(start, e))?;
                if let Some(d) = at_ms {
                    sink.command(&[b"PEXPIREAT", &key, d.to_string().as_bytes()])
                        .map_err(|e| ran(start, e))?;
                }
                loaded.keys += 1;
            }
        }
    }
}

/// A value of type `ty` at `at`: the encodings [`rdbvalue`] reads, and Redis 6's ziplists.
fn read_value(ty: u8, data: &[u8], at: &mut usize) -> Result<Value, String> {
    let bad = || format!("malformed value of type {ty}");
    let v = match ty {
        TYPE_LIST_ZIPLIST => {
            Value::List(ziplist(&read_string(data, at).ok_or_else(bad)?).ok_or_else(bad)?)
        }
        TYPE_LIST_QUICKLIST => {
            let (nodes, _) = read_len(data, at).ok_or_else(bad)?;
            let mut items = Vec::new();
            for _ in 0..nodes {
                items.extend(ziplist(&read_string(data, at).ok_or_else(bad)?).ok_or_else(bad)?);
            }
            Value::List(items)
        }
        TYPE_HASH_ZIPLIST | TYPE_ZSET_ZIPLIST => {
            let items = ziplist(&read_string(data, at).ok_or_else(bad)?).ok_or_else(bad)?;
            let pairs = rdbvalue::pairs(items).ok_or_else(bad)?;
            if ty == TYPE_HASH_ZIPLIST {
                Value::Hash(pairs)
            } else {
                let mut out = Vec::with_capacity(pairs.len());
                for (m, s) in pairs {
                    out.push((m, rdbvalue::score(&s).ok_or_else(bad)?));
                }
                Value::ZSet(out)
            }
        }
        TYPE_HASH_ZIPMAP => return Err("a hash in the zipmap encoding of Redis 2.x".into()),
        TYPE_MODULE | TYPE_MODULE_2 => return Err("a module value (ringdis has no modules)".into()),
        _ => rdbvalue::read_body(ty, data, at).ok_or_else(|| {
            if rdbvalue::known_type(ty) {
                bad()
            } else {
                format!("unknown value type {ty}")
            }
        })?,
    };
    Ok(v)
}

/// The entries of a ziplist (Redis 6's compact list, hash and sorted set encoding).
fn ziplist(zl: &[u8]) -> Option<Vec<Vec<u8>>> {
    let count = u16::from_le_bytes(zl.get(8..10)?.try_into().ok()?) as usize;
    let mut at = 10;
    let mut out = Vec::with_capacity(count.min(zl.len()));
    loop {
        let first = *zl.get(at)?;
        if first == 0xff {
            break;
        }
        // The previous entry's length: one byte, or 0xfe and four.
        at += if first == 0xfe { 5 } else { 1 };
        let enc = *zl.get(at)?;
        at += 1;
        let take = |at: &mut usize, n: usize| -> Option<&[u8]> {
            let s = zl.get(*at..at.checked_add(n)?)?;
            *at += n;
            Some(s)
        };
        let entry = match enc >> 6 {
            0 => take(&mut at, (enc & 0x3f) as usize)?.to_vec(),
            1 => {
                let n = (((enc & 0x3f) as usize) << 8) | *zl.get(at)? as usize;
                at += 1;
                take(&mut at, n)?.to_vec()
            }
            2 => {
                let n = u32::from_be_bytes(take(&mut at, 4)?.try_into().ok()?) as usize;
                take(&mut at, n)?.to_vec()
            }
            _ => {
                let n: i64 = match enc {
                    0xc0 => i16::from_le_bytes(take(&mut at, 2)?.try_into().ok()?) as i64,
                    0xd0 => i32::from_le_bytes(take(&mut at, 4)?.try_into().ok()?) as i64,
                    0xe0 => i64::from_le_bytes(take(&mut at, 8)?.try_into().ok()?),
                    0xf0 => {
                        let b = take(&mut at, 3)?;
                        (i32::from_le_bytes([0, b[0], b[1], b[2]]) >> 8) as i64
                    }
                    0xfe => take(&mut at, 1)?[0] as i8 as i64,
                    0xf1..=0xfd => (enc & 0x0f) as i64 - 1,
                    _ => return None,
                };
                n.to_string().into_bytes()
            }
        };
        out.push(entry);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ziplist_entries_of_every_encoding() {
        // A ziplist by hand: "ab", 7 (immediate), -2 (int8), 300 (int16), 70000 (int24),
        // 2^40 (int64), then the end byte. Header bytes are not read but must be there.
        let mut zl = vec![0u8; 8];
        zl.extend_from_slice(&6u16.to_le_bytes());
        zl.extend_from_slice(&[0, 2, b'a', b'b']);
        zl.extend_from_slice(&[4, 0xf8]);
        zl.extend_from_slice(&[2, 0xfe, 0xfe]);
        zl.extend_from_slice(&[3, 0xc0, 0x2c, 0x01]);
        zl.extend_from_slice(&[4, 0xf0, 0x70, 0x11, 0x01]);
        zl.push(5);
        zl.push(0xe0);
        zl.extend_from_slice(&(1i64 << 40).to_le_bytes());
        zl.push(0xff);
        let got = ziplist(&zl).unwrap();
        let want: Vec<Vec<u8>> = ["ab", "7", "-2", "300", "70000", "1099511627776"]
            .iter()
            .map(|s| s.as_bytes().to_vec())
            .collect();
        assert_eq!(got, want);
        assert!(ziplist(&zl[..zl.len() - 3]).is_none());
    }

    #[test]
    fn refuses_what_it_cannot_read() {
        let e = load(b"junk", 0, &mut |_: &[&[u8]]| Ok(())).unwrap_err();
        assert_eq!(e.offset, 0);
        let e = load(b"REDIS0099\xff", 0, &mut |_: &[&[u8]]| Ok(())).unwrap_err();
        assert!(e.reason.contains("version 99"), "{e}");
        let e = load(b"REDIS0010\x00\x01k", 0, &mut |_: &[&[u8]]| Ok(())).unwrap_err();
        assert_eq!(e.offset, 9);
        let mut f = b"REDIS0010\xff".to_vec();
        f.extend_from_slice(&1u64.to_le_bytes());
        assert!(load(&f, 0, &mut |_: &[&[u8]]| Ok(()))
            .unwrap_err()
            .reason
            .contains("checksum"));
    }
}
