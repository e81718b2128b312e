//! Pieces of Redis's RDB format shared by the payloads ringdis reads and writes (FUNCTION DUMP
//! and RESTORE so far): length-prefixed strings (plain, integer-encoded, LZF-compressed), and
//! the payload footer (RDB version, CRC-64).

use std::borrow::Cow;

/// The RDB version of Redis 7.0, written in payload footers; payloads of later versions are
/// refused, as Redis refuses them.
pub const RDB_VERSION: u16 = 10;

/// A library in a FUNCTION DUMP payload (RDB_OPCODE_FUNCTION2).
pub const OPCODE_FUNCTION2: u8 = 245;

static CRC64: crc::Crc<u64> = crc::Crc::<u64>::new(&crc::CRC_64_REDIS);

pub fn crc64(data: &[u8]) -> u64 {
    CRC64.checksum(data)
}

/// A CRC-64 fed in parts (a whole RDB file).
pub fn crc64_digest() -> crc::Digest<'static, u64> {
    CRC64.digest()
}

/// Appends `n` as an RDB length.
pub fn write_len(out: &mut Vec<u8>, n: u64) {
    if n < 1 << 6 {
        out.push(n as u8);
    } else if n < 1 << 14 {
        out.extend_from_slice(&[0x40 | (n >> 8) as u8, n as u8]);
    } else if n <= u32::MAX as u64 {
        out.push(0x80);
        out.extend_from_slice(&(n as u32).to_be_bytes());
    } else {
        out.push(0x81);
        out.extend_from_slice(&n.to_be_bytes());
    }
}

/// Appends `s` as an RDB string (uncompressed: every reader takes it).
pub fn write_string(out: &mut Vec<u8>, s: &[u8]) {
    write_len(out, s.len() as u64);
    out.extend_from_slice(s);
}

/// Appends `s` as Redis's rdbSaveRawString does: as an integer when it is one that reads back
/// the same (at most 32 bits), LZF-compressed when `compress`, it is longer than 20 bytes and
/// that saves more than 4, else plain.
pub fn write_str(out: &mut Vec<u8>, s: &[u8], compress: bool) {
    if s.len() <= 11 {
        if let Some(n) = crate::resp::parse_i64(s) {
            if n.to_string().as_bytes() == s {
                if let Ok(v) = i8::try_from(n) {
                    out.extend_from_slice(&[0xc0, v as u8]);
                    return;
                }
                if let Ok(v) = i16::try_from(n) {
                    out.push(0xc1);
                    out.extend_from_slice(&v.to_le_bytes());
                    return;
                }
                if let Ok(v) = i32::try_from(n) {
                    out.push(0xc2);
                    out.extend_from_slice(&v.to_le_bytes());
                    return;
                }
            }
        }
    }
    if compress && s.len() > 20 {
        if let Some(packed) = lzf_compress(s, s.len() - 4) {
            out.push(0xc3);
            write_len(out, packed.len() as u64);
            write_len(out, s.len() as u64);
            out.extend_from_slice(&packed);
            return;
        }
    }
    write_string(out, s);
}

/// LZF-compresses `input` in liblzf's format (what [`lzf_decompress`] and Redis read), or None
/// when the result would be longer than `limit` bytes.
pub fn lzf_compress(input: &[u8], limit: usize) -> Option<Vec<u8>> {
    thread_local! {
        /// The hash table and the stamp of this call's positions, kept from call to call so
        /// that a call does not clear 64 KB (a list node of a few KB is compressed often).
        static TABLE: std::cell::RefCell<(Vec<u32>, u32)> =
            std::cell::RefCell::new((vec![0; 1 << HASH_BITS], 0));
    }
    TABLE.with_borrow_mut(|(table, base)| {
        // Entries of earlier calls are at or below `base`: they read as never seen.
        let n = input.len();
        if u64::from(*base) + n as u64 + 2 >= u64::from(u32::MAX) {
            table.fill(0);
            *base = 0;
        }
        let out = lzf_compress_with(input, limit, table, *base);
        *base += n as u32 + 1;
        out
    })
}

const HASH_BITS: u32 = 14;

fn lzf_compress_with(input: &[u8], limit: usize, table: &mut [u32], base: u32) -> Option<Vec<u8>> {
    const MAX_OFF: usize = 1 << 13;
    const MAX_REF: usize = (1 << 8) + (1 << 3) + 1;
    let n = input.len();
    let mut out = Vec::with_capacity(limit.min(n + n / 32 + 1));
    // Per 3-byte hash, `base` plus the position after the last place it was seen (at or below
    // `base`: never).
    let hash = |i: usize| {
        let v = u32::from_le_bytes([input[i], input[i + 1], input[i + 2], 0]);
        (v.wrapping_mul(2_654_435_761) >> (32 - HASH_BITS)) as usize
    };
    let literals = |out: &mut Vec<u8>, run: &[u8]| {
        for chunk in run.chunks(32) {
            out.push((chunk.len() - 1) as u8);
            out.extend_from_slice(chunk);
        }
    };
    let (mut i, mut lit_from) = (0, 0);
    while i + 2 < n {
        let h = hash(i);
        let seen = table[h].saturating_sub(base) as usize;
        table[h] = base + (i + 1) as u32;
        if seen > 0 {
            let r = seen - 1;
            let off = i - r - 1;
            if off < MAX_OFF && input[r..r + 3] == input[i..i + 3] {
                let max = (MAX_REF - 1).min(n - i);
                let mut len = 3;
                while len < max && input[r + len] == input[i + len] {
                    len += 1;
                }
                literals(&mut out, &input[lit_from..i]);
                let l = len - 2;
                if l < 7 {
                    out.push(((l << 5) | (off >> 8)) as u8);
                } else {
                    out.push(((7 << 5) | (off >> 8)) as u8);
                    out.push((l - 7) as u8);
                }
                out.push(off as u8);
                if out.len() > limit {
                    return None;
                }
                // As liblzf's VERY_FAST mode: only the match's last two positions are hashed.
                for j in (i + len).saturating_sub(2).max(i + 1)..(i + len).min(n - 2) {
                    table[hash(j)] = base + (j + 1) as u32;
                }
                i += len;
                lit_from = i;
                continue;
            }
        }
        i += 1;
    }
    literals(&mut out, &input[lit_from..]);
    (out.len() <= limit).then_some(out)
}

/// An RDB length at `at`: (length, or the encoding of a special string, and whether it is one).
pub fn read_len(data: &[u8], at: &mut usize) -> Option<(u64, bool)> {
    let first = *data.get(*at)?;
    *at += 1;
    Some(match first >> 6 {
        0 => ((first & 0x3f) as u64, false),
        1 => {
            let second = *data.get(*at)?;
            *at += 1;
            ((((first & 0x3f) as u64) << 8) | second as u64, false)
        }
        2 => {
            let width = match first {
                0x80 => 4,
                0x81 => 8,
                _ => return None,
            };
            let bytes = data.get(*at..*at + width)?;
            *at += width;
            (bytes.iter().fold(0u64, |n, &b| (n << 8) | b as u64), false)
        }
        _ => ((first & 0x3f) as u64, true),
    })
}

/// An RDB string at `at`, decoded (integer encodings as their decimal text, LZF expanded);
/// None if the data is malformed.
pub fn read_string(data: &[u8], at: &mut usize) -> Option<Vec<u8>> {
    read_str(data, at).map(Cow::into_owned)
}

/// [`read_string`], borrowing from `data` when the string is stored as it is.
pub fn read_str<'a>(data: &'a [u8], at: &mut usize) -> Option<Cow<'a, [u8]>> {
    let (n, special) = read_len(data, at)?;
    if !special {
        let s = data.get(*at..at.checked_add(n as usize)?)?;
        *at += n as usize;
        return Some(Cow::Borrowed(s));
    }
    let int = |width: usize, at: &mut usize| -> Option<Cow<'a, [u8]>> {
        let b = data.get(*at..*at + width)?;
        *at += width;
        let v = match width {
            1 => b[0] as i8 as i64,
            2 => i16::from_le_bytes([b[0], b[1]]) as i64,
            _ => i32::from_le_bytes([b[0], b[1], b[2], b[3]]) as i64,
        };
        Some(Cow::Owned(v.to_string().into_bytes()))
    };
    match n {
        0 => int(1, at),
        1 => int(2, at),
        2 => int(4, at),
        3 => {
            let (clen, _) = read_len(data, at)?;
            let (ulen, _) = read_len(data, at)?;
            let packed = data.get(*at..at.checked_add(clen as usize)?)?;
            *at += clen as usize;
            lzf_decompress(packed, ulen as usize).map(Cow::Owned)
        }
        _ => None,
    }
}

/// LZF (liblzf's format, as Redis compresses RDB strings): exactly `len` bytes, or None.
pub fn lzf_decompress(input: &[u8], len: usize) -> Option<Vec<u8>> {
    // A back-reference of 2 bytes expands to at most 264: a longer claimed length is damage,
    // and must not be allocated up front (a crafted RESTORE payload).
    if len > input.len().saturating_mul(132) {
        return None;
    }
    let mut out = Vec::with_capacity(len);
    let mut ip = 0;
    while ip < input.len() {
        let ctrl = input[ip] as usize;
        ip += 1;
        if ctrl < 32 {
            let run = input.get(ip..ip + ctrl + 1)?;
            out.extend_from_slice(run);
            ip += ctrl + 1;
        } else {
            let mut n = ctrl >> 5;
            if n == 7 {
                n += *input.get(ip)? as usize;
                ip += 1;
            }
            let back = ((ctrl & 0x1f) << 8) + *input.get(ip)? as usize + 1;
            ip += 1;
            let from = out.len().checked_sub(back)?;
            // Byte by byte: the copy may overlap what it writes.
            for i in 0..n + 2 {
                let b = out[from + i];
                out.push(b);
            }
        }
        if out.len() > len {
            return None;
        }
    }
    (out.len() == len).then_some(out)
}

/// Appends a payload's footer: the RDB version and the CRC-64 of everything before it.
pub fn write_footer(out: &mut Vec<u8>) {
    out.extend_from_slice(&RDB_VERSION.to_le_bytes());
    let crc = crc64(out);
    out.extend_from_slice(&crc.to_le_bytes());
}

/// The body of a payload whose footer checks out (a version this reader knows, the CRC).
pub fn check_footer(payload: &[u8]) -> Option<&[u8]> {
    if payload.len() < 10 {
        return None;
    }
    let (body, footer) = payload.split_at(payload.len() - 10);
    let version = u16::from_le_bytes([footer[0], footer[1]]);
    if version > RDB_VERSION {
        return None;
    }
    let crc = u64::from_le_bytes(footer[2..].try_into().ok()?);
    (crc64(&payload[..payload.len() - 8]) == crc).then_some(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_round_trip_at_every_length_width() {
        for n in [0usize, 1, 63, 64, 16383, 16384, 70000] {
            let s = vec![b'x'; n];
            let mut out = Vec::new();
            write_string(&mut out, &s);
            let mut at = 0;
            assert_eq!(read_string(&out, &mut at).unwrap(), s);
            assert_eq!(at, out.len());
        }
    }

    #[test]
    fn lzf_expands_literals_and_back_references() {
        // "abcabcabc": a literal run of 3, then a back reference of 6 bytes, 3 back.
        let packed = [2, b'a', b'b', b'c', (4 << 5), 2];
        assert_eq!(lzf_decompress(&packed, 9).unwrap(), b"abcabcabc");
        assert!(lzf_decompress(&packed, 8).is_none());
        assert!(lzf_decompress(&[0x20, 5], 3).is_none());
    }

    #[test]
    fn lzf_round_trips() {
        let mut cases: Vec<Vec<u8>> = vec![
            b"abcabcabcabcabcabcabcabcabcabc".to_vec(),
            vec![b'x'; 100_000],
            (0..70_000u32).map(|i| (i % 251) as u8).collect(),
            b"no repeats here at all: 0123456789".to_vec(),
        ];
        let mut x = 1u64;
        cases.push(
            (0..5000)
                .map(|_| {
                    x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
                    b"abcd"[(x >> 62) as usize]
                })
                .collect(),
        );
        // Twice over, and the last ones again and again: each call reuses the thread's table.
        for c in cases
            .iter()
            .chain(&cases)
            .chain(std::iter::repeat_n(&cases[3..], 300).flatten())
        {
            if let Some(p) = lzf_compress(c, c.len() + c.len() / 16 + 64) {
                assert_eq!(&lzf_decompress(&p, c.len()).unwrap(), c);
            }
        }
        assert!(lzf_compress(&vec![b'x'; 1000], 990).unwrap().len() < 40);
        assert!(lzf_compress(b"0123456789abcdefghijklmnop", 22).is_none());
        let mut out = Vec::new();
        write_str(&mut out, &[b'y'; 50], true);
        assert_eq!(out[0], 0xc3);
        let mut at = 0;
        assert_eq!(read_string(&out, &mut at).unwrap(), vec![b'y'; 50]);
    }

    #[test]
    fn footer_checks_version_and_crc() {
        let mut p = vec![OPCODE_FUNCTION2];
        write_string(&mut p, b"code");
        write_footer(&mut p);
        assert_eq!(check_footer(&p).unwrap(), &p[..p.len() - 10]);
        let last = p.len() - 1;
        p[last] ^= 1;
        assert!(check_footer(&p).is_none());
    }
}
