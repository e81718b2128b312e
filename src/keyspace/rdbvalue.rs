//! One key's value in Redis's RDB object format, as DUMP writes and RESTORE reads it: the type
//! byte and its body. Written in the plain encodings every Redis since 2.x loads (a string, or
//! a list, set, hash or sorted set as a counted run of strings); read in those and in the
//! compact ones Redis 7.0 writes (intset, listpack hashes and sorted sets, quicklist lists of
//! listpacks; 7.2's listpack sets too). Streams are in [`super::rdbstream`].

use super::rdb::{read_string, write_len, write_str};
use super::rdbstream::{self, StreamValue};

pub const TYPE_STRING: u8 = 0;
pub const TYPE_LIST: u8 = 1;
pub const TYPE_SET: u8 = 2;
pub const TYPE_ZSET: u8 = 3;
pub const TYPE_HASH: u8 = 4;
pub const TYPE_ZSET_2: u8 = 5;
pub const TYPE_SET_INTSET: u8 = 11;
pub const TYPE_HASH_LISTPACK: u8 = 16;
pub const TYPE_ZSET_LISTPACK: u8 = 17;
pub const TYPE_LIST_QUICKLIST_2: u8 = 18;
pub const TYPE_SET_LISTPACK: u8 = 20;

/// A value as the RDB format carries it, apart from any encoding.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Str(Vec<u8>),
    List(Vec<Vec<u8>>),
    Set(Vec<Vec<u8>>),
    Hash(Vec<(Vec<u8>, Vec<u8>)>),
    ZSet(Vec<(Vec<u8>, f64)>),
    Stream(Box<StreamValue>),
}

/// The type byte [`write_body`] goes with.
pub fn type_of(v: &Value) -> u8 {
    match v {
        Value::Str(_) => TYPE_STRING,
        Value::List(_) => TYPE_LIST,
        Value::Set(_) => TYPE_SET,
        Value::Hash(_) => TYPE_HASH,
        Value::ZSet(_) => TYPE_ZSET_2,
        Value::Stream(_) => rdbstream::TYPE_STREAM_LISTPACKS_2,
    }
}

/// Whether [`read_body`] knows the type byte `ty`.
pub fn known_type(ty: u8) -> bool {
    matches!(
        ty,
        TYPE_STRING
            | TYPE_LIST
            | TYPE_SET
            | TYPE_ZSET
            | TYPE_HASH
            | TYPE_ZSET_2
            | TYPE_SET_INTSET
            | TYPE_HASH_LISTPACK
            | TYPE_ZSET_LISTPACK
            | TYPE_LIST_QUICKLIST_2
            | TYPE_SET_LISTPACK
            | rdbstream::TYPE_STREAM_LISTPACKS
            | rdbstream::TYPE_STREAM_LISTPACKS_2
            | rdbstream::TYPE_STREAM_LISTPACKS_3
    )
}

/// Appends the value's type byte and body (strings LZF-compressed when `compress` and worth it).
pub fn write(out: &mut Vec<u8>, v: &Value, compress: bool) {
    out.push(type_of(v));
    write_body(out, v, compress);
}

/// Appends the value's body, in the encoding [`type_of`] names.
pub fn write_body(out: &mut Vec<u8>, v: &Value, compress: bool) {
    let write_str = |out: &mut Vec<u8>, s: &[u8]| write_str(out, s, compress);
    match v {
        Value::Str(s) => write_str(out, s),
        Value::List(items) | Value::Set(items) => {
            write_len(out, items.len() as u64);
            for i in items {
                write_str(out, i);
            }
        }
        Value::Hash(pairs) => {
            write_len(out, pairs.len() as u64);
            for (f, val) in pairs {
                write_str(out, f);
                write_str(out, val);
            }
        }
        Value::ZSet(pairs) => {
            write_len(out, pairs.len() as u64);
            // Highest score first, as Redis writes them (loading then appends at the head).
            for (m, score) in pairs.iter().rev() {
                write_str(out, m);
                out.extend_from_slice(&score.to_le_bytes());
            }
        }
        Value::Stream(st) => rdbstream::write(out, st, compress),
    }
}

impl Value {
    /// Whether it holds no element (a collection Redis never stores, so never loads).
    pub fn is_empty(&self) -> bool {
        match self {
            Value::Str(_) => false,
            Value::List(v) | Value::Set(v) => v.is_empty(),
            Value::Hash(v) => v.is_empty(),
            Value::ZSet(v) => v.is_empty(),
            // Redis keeps a stream without entries.
            Value::Stream(_) => false,
        }
    }

    /// Calls `f` with each write command that builds this value at `key` (RESTORE and the RDB
    /// loader run them): SET, or RPUSH, SADD, HSET or ZADD with at most `chunk` elements each.
    pub fn commands<E>(
        &self,
        key: &[u8],
        chunk: usize,
        mut f: impl FnMut(&[&[u8]]) -> Result<(), E>,
    ) -> Result<(), E> {
        match self {
            Value::Str(s) => f(&[b"SET", key, s]),
            Value::Stream(s) => s.commands(key, f),
            Value::List(items) | Value::Set(items) => {
                let name: &[u8] = if matches!(self, Value::List(_)) {
                    b"RPUSH"
                } else {
                    b"SADD"
                };
                for part in items.chunks(chunk) {
                    let mut argv: Vec<&[u8]> = vec![name, key];
                    argv.extend(part.iter().map(|i| i.as_slice()));
                    f(&argv)?;
                }
                Ok(())
            }
            Value::Hash(pairs) => {
                for part in pairs.chunks(chunk) {
                    let mut argv: Vec<&[u8]> = vec![b"HSET", key];
                    for (k, v) in part {
                        argv.push(k);
                        argv.push(v);
                    }
                    f(&argv)?;
                }
                Ok(())
            }
            Value::ZSet(pairs) => {
                for part in pairs.chunks(chunk) {
                    let scores: Vec<Vec<u8>> = part
                        .iter()
                        .map(|(_, s)| crate::resp::format_score(*s))
                        .collect();
                    let mut argv: Vec<&[u8]> = vec![b"ZADD", key];
                    for ((m, _), s) in part.iter().zip(&scores) {
                        argv.push(s);
                        argv.push(m);
                    }
                    f(&argv)?;
                }
                Ok(())
            }
        }
    }
}

/// At most this many elements are allocated ahead of reading them (a count is untrusted).
const PREALLOC: usize = 1 << 16;

/// An RDB length at `at` (not a special string encoding).
fn read_count(data: &[u8], at: &mut usize) -> Option<usize> {
    let (n, special) = super::rdb::read_len(data, at)?;
    // A count can never exceed the bytes left (each element takes at least one).
    (!special && n <= data.len() as u64).then_some(n as usize)
}

/// The entries of a listpack (each as its bytes; integers as decimal text).
pub fn listpack_entries(lp: &[u8]) -> Option<Vec<Vec<u8>>> {
    let total = u32::from_le_bytes(lp.get(0..4)?.try_into().ok()?) as usize;
    if total != lp.len() || total < 7 {
        return None;
    }
    let mut at = 6;
    let mut out = Vec::new();
    loop {
        let b = *lp.get(at)?;
        if b == 0xff {
            return (at + 1 == total).then_some(out);
        }
        let start = at;
        let int = |bytes: &[u8]| -> i64 {
            let mut v = 0i64;
            for (i, &x) in bytes.iter().enumerate() {
                v |= (x as i64) << (8 * i);
            }
            let bits = 8 * bytes.len();
            if bits < 64 {
                (v << (64 - bits)) >> (64 - bits)
            } else {
                v
            }
        };
        let (entry, len): (Vec<u8>, usize) = if b & 0x80 == 0 {
            ((b as i64).to_string().into_bytes(), 1)
        } else if b & 0xc0 == 0x80 {
            let n = (b & 0x3f) as usize;
            (lp.get(at + 1..at + 1 + n)?.to_vec(), 1 + n)
        } else if b & 0xe0 == 0xc0 {
            let v = (((b & 0x1f) as i64) << 8) | *lp.get(at + 1)? as i64;
            let v = (v << 51) >> 51;
            (v.to_string().into_bytes(), 2)
        } else if b & 0xf0 == 0xe0 {
            let n = (((b & 0x0f) as usize) << 8) | *lp.get(at + 1)? as usize;
            (lp.get(at + 2..at + 2 + n)?.to_vec(), 2 + n)
        } else {
            match b {
                0xf0 => {
                    let n = u32::from_le_bytes(lp.get(at + 1..at + 5)?.try_into().ok()?) as usize;
                    (lp.get(at + 5..at.checked_add(5 + n)?)?.to_vec(), 5 + n)
                }
                0xf1 => (int(lp.get(at + 1..at + 3)?).to_string().into_bytes(), 3),
                0xf2 => (int(lp.get(at + 1..at + 4)?).to_string().into_bytes(), 4),
                0xf3 => (int(lp.get(at + 1..at + 5)?).to_string().into_bytes(), 5),
                0xf4 => (int(lp.get(at + 1..at + 9)?).to_string().into_bytes(), 9),
                _ => return None,
            }
        };
        at = start + len;
        // The back-length: 1 to 5 bytes, 7 bits each.
        at += match len {
            0..=127 => 1,
            128..=16382 => 2,
            16383..=2097150 => 3,
            2097151..=268435454 => 4,
            _ => 5,
        };
        out.push(entry);
        if at > total {
            return None;
        }
    }
}

/// The members of an intset.
fn intset_members(is: &[u8]) -> Option<Vec<Vec<u8>>> {
    let width = u32::from_le_bytes(is.get(0..4)?.try_into().ok()?) as usize;
    let n = u32::from_le_bytes(is.get(4..8)?.try_into().ok()?) as usize;
    if !matches!(width, 2 | 4 | 8) || is.len() != 8 + width.checked_mul(n)? {
        return None;
    }
    Some(
        is[8..]
            .chunks(width)
            .map(|c| {
                let v = match width {
                    2 => i16::from_le_bytes([c[0], c[1]]) as i64,
                    4 => i32::from_le_bytes(c.try_into().unwrap_or([0; 4])) as i64,
                    _ => i64::from_le_bytes(c.try_into().unwrap_or([0; 8])),
                };
                v.to_string().into_bytes()
            })
            .collect(),
    )
}

pub(crate) fn pairs(items: Vec<Vec<u8>>) -> Option<Vec<(Vec<u8>, Vec<u8>)>> {
    if !items.len().is_multiple_of(2) {
        return None;
    }
    let mut it = items.into_iter();
    let mut out = Vec::new();
    while let (Some(a), Some(b)) = (it.next(), it.next()) {
        out.push((a, b));
    }
    Some(out)
}

pub(crate) fn score(text: &[u8]) -> Option<f64> {
    crate::resp::parse_f64(text).filter(|s| !s.is_nan())
}

/// Reads a value (type byte and body) from the start of `data`; None if it is malformed or of
/// a type this reader does not know. The whole of `data` must be used.
pub fn read(data: &[u8]) -> Option<Value> {
    let mut at = 0;
    let v = read_at(data, &mut at)?;
    (at == data.len()).then_some(v)
}

/// Reads a value (type byte and body) at `at`, moving `at` past it.
pub fn read_at(data: &[u8], at: &mut usize) -> Option<Value> {
    let ty = *data.get(*at)?;
    *at += 1;
    read_body(ty, data, at)
}

/// Reads the body of a value of type `ty` at `at`, moving `at` past it.
pub fn read_body(ty: u8, data: &[u8], at: &mut usize) -> Option<Value> {
    let v = match ty {
        TYPE_STRING => Value::Str(read_string(data, at)?),
        TYPE_LIST | TYPE_SET => {
            let n = read_count(data, at)?;
            let mut items = Vec::with_capacity(n.min(PREALLOC));
            for _ in 0..n {
                items.push(read_string(data, at)?);
            }
            if ty == TYPE_LIST {
                Value::List(items)
            } else {
                Value::Set(items)
            }
        }
        TYPE_HASH => {
            let n = read_count(data, at)?;
            let mut out = Vec::with_capacity(n.min(PREALLOC));
            for _ in 0..n {
                out.push((read_string(data, at)?, read_string(data, at)?));
            }
            Value::Hash(out)
        }
        TYPE_ZSET | TYPE_ZSET_2 => {
            let n = read_count(data, at)?;
            let mut out = Vec::with_capacity(n.min(PREALLOC));
            for _ in 0..n {
                let m = read_string(data, at)?;
                let s = if ty == TYPE_ZSET_2 {
                    let b = data.get(*at..*at + 8)?;
                    *at += 8;
                    f64::from_le_bytes(b.try_into().ok()?)
                } else {
                    // The old text form: a length byte (253 NaN, 254 +inf, 255 -inf), then text.
                    let l = *data.get(*at)?;
                    *at += 1;
                    match l {
                        253 => return None,
                        254 => f64::INFINITY,
                        255 => f64::NEG_INFINITY,
                        _ => {
                            let t = data.get(*at..*at + l as usize)?;
                            *at += l as usize;
                            score(t)?
                        }
                    }
                };
                if s.is_nan() {
                    return None;
                }
                out.push((m, s));
            }
            out.reverse();
            Value::ZSet(out)
        }
        rdbstream::TYPE_STREAM_LISTPACKS
        | rdbstream::TYPE_STREAM_LISTPACKS_2
        | rdbstream::TYPE_STREAM_LISTPACKS_3 => {
            Value::Stream(Box::new(rdbstream::read(ty, data, at)?))
        }
        TYPE_SET_INTSET => Value::Set(intset_members(&read_string(data, at)?)?),
        TYPE_SET_LISTPACK => Value::Set(listpack_entries(&read_string(data, at)?)?),
        TYPE_HASH_LISTPACK => Value::Hash(pairs(listpack_entries(&read_string(data, at)?)?)?),
        TYPE_ZSET_LISTPACK => {
            let mut out = Vec::new();
            for (m, s) in pairs(listpack_entries(&read_string(data, at)?)?)? {
                out.push((m, score(&s)?));
            }
            Value::ZSet(out)
        }
        TYPE_LIST_QUICKLIST_2 => {
            let nodes = read_count(data, at)?;
            let mut items = Vec::new();
            for _ in 0..nodes {
                let container = read_count(data, at)?;
                let node = read_string(data, at)?;
                match container {
                    // A plain node: one large element.
                    1 => items.push(node),
                    2 => items.extend(listpack_entries(&node)?),
                    _ => return None,
                }
            }
            Value::List(items)
        }
        _ => return None,
    };
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round(v: Value) {
        let mut out = Vec::new();
        write(&mut out, &v, false);
        assert_eq!(read(&out), Some(v.clone()));
        let mut out = Vec::new();
        write(&mut out, &v, true);
        assert_eq!(read(&out), Some(v));
    }

    #[test]
    fn values_round_trip() {
        round(Value::Str(b"hello".to_vec()));
        round(Value::Str(b"12345".to_vec()));
        round(Value::Str(b"-7".to_vec()));
        round(Value::Str(b"007".to_vec()));
        round(Value::Str(vec![b'x'; 70_000]));
        round(Value::List(vec![b"a".to_vec(), b"100000".to_vec()]));
        round(Value::Set(vec![b"a".to_vec(), b"1".to_vec()]));
        round(Value::Hash(vec![(b"f".to_vec(), b"v".to_vec())]));
        round(Value::ZSet(vec![
            (b"a".to_vec(), 1.5),
            (b"b".to_vec(), f64::INFINITY),
        ]));
    }

    #[test]
    fn reads_what_redis_7_dumps() {
        // DUMP bodies from redis-server 7.0.15 (footer cut off).
        let list = b"\x12\x01\x02\r\r\x00\x00\x00\x02\x00\x81a\x02\x81b\x02\xff";
        assert_eq!(
            read(list),
            Some(Value::List(vec![b"a".to_vec(), b"b".to_vec()]))
        );
        let intset = b"\x0b\x0e\x02\x00\x00\x00\x03\x00\x00\x00\x01\x00\x02\x00\x03\x00";
        assert_eq!(
            read(intset),
            Some(Value::Set(vec![
                b"1".to_vec(),
                b"2".to_vec(),
                b"3".to_vec()
            ]))
        );
        let hash = b"\x10\r\r\x00\x00\x00\x02\x00\x81f\x02\x81v\x02\xff";
        assert_eq!(
            read(hash),
            Some(Value::Hash(vec![(b"f".to_vec(), b"v".to_vec())]))
        );
        let zset = b"\x11\x0f\x0f\x00\x00\x00\x02\x00\x81a\x02\x831.5\x04\xff";
        assert_eq!(read(zset), Some(Value::ZSet(vec![(b"a".to_vec(), 1.5)])));
        let int = b"\x00\xc190";
        assert_eq!(read(int), Some(Value::Str(b"12345".to_vec())));
        let set = b"\x02\x03\xc0\x01\x01b\x01a";
        assert_eq!(
            read(set),
            Some(Value::Set(vec![
                b"1".to_vec(),
                b"b".to_vec(),
                b"a".to_vec()
            ]))
        );
        assert_eq!(read(b"\x07junk"), None);
        assert_eq!(read(b"\x00\x05ab"), None);
    }
}
