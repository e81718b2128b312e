//! Bitmaps: strings seen as bit arrays, bit 0 being the most significant bit of byte 0 (Redis's
//! order). SETBIT writes through the shard; counting, searching and BITOP are pure functions.

use super::strings::MAX_STRING;
use super::Shard;
use crate::error::CmdResult;

/// An inclusive range of bit positions.
pub type BitSpan = (u64, u64);

/// The bits a BITCOUNT/BITPOS range selects in a `len`-byte string: `start`/`end` count bytes,
/// or bits with `bits`, negative ones from the end; clamped to the string as Redis clamps them.
/// None for an empty range.
pub fn span(len: usize, start: i64, end: i64, bits: bool) -> Option<BitSpan> {
    let total = if bits { len as i64 * 8 } else { len as i64 };
    let from_end = |i: i64| if i < 0 { (total + i).max(0) } else { i };
    let (start, end) = (from_end(start), from_end(end).min(total - 1));
    if start > end {
        return None;
    }
    let (start, end) = (start as u64, end as u64);
    Some(if bits {
        (start, end)
    } else {
        (start * 8, end * 8 + 7)
    })
}

/// The mask of the bits of byte `i` inside `span` (bit 0 = 0x80).
fn byte_mask(i: u64, (first, last): BitSpan) -> u8 {
    let lo = if i == first / 8 { first % 8 } else { 0 };
    let hi = if i == last / 8 { last % 8 } else { 7 };
    (0xffu8 >> lo) & (0xffu8 << (7 - hi))
}

/// BITCOUNT: the set bits of `v` inside `span`.
pub fn count(v: &[u8], span: BitSpan) -> u64 {
    let (a, b) = (span.0 / 8, span.1 / 8);
    let edges = if a == b { vec![a] } else { vec![a, b] };
    let inner = if b > a + 1 {
        v[a as usize + 1..b as usize]
            .iter()
            .map(|x| x.count_ones() as u64)
            .sum()
    } else {
        0
    };
    inner
        + edges
            .iter()
            .map(|&i| (v[i as usize] & byte_mask(i, span)).count_ones() as u64)
            .sum::<u64>()
}

/// BITPOS: the position of the first bit equal to `bit` inside `span`, if any.
pub fn first(v: &[u8], bit: bool, span: BitSpan) -> Option<u64> {
    for i in span.0 / 8..=span.1 / 8 {
        let mask = byte_mask(i, span);
        // The bits sought show as ones in `hits`, outside the span as zeros.
        let byte = v[i as usize];
        let hits = if bit { byte & mask } else { !byte & mask };
        if hits != 0 {
            return Some(i * 8 + hits.leading_zeros() as u64);
        }
    }
    None
}

/// Which BITOP.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum BitOp {
    And,
    Or,
    Xor,
    Not,
}

/// BITOP over `srcs` (missing keys are empty strings): as long as the longest source, shorter
/// ones padded with zero bytes.
pub fn combine(op: BitOp, srcs: &[&[u8]]) -> Vec<u8> {
    let len = srcs.iter().map(|s| s.len()).max().unwrap_or(0);
    let byte = |s: &[u8], i: usize| s.get(i).copied().unwrap_or(0);
    (0..len)
        .map(|i| {
            let mut it = srcs.iter().map(|s| byte(s, i));
            let first = it.next().unwrap_or(0);
            match op {
                BitOp::Not => !first,
                BitOp::And => it.fold(first, |a, b| a & b),
                BitOp::Or => it.fold(first, |a, b| a | b),
                BitOp::Xor => it.fold(first, |a, b| a ^ b),
            }
        })
        .collect()
}

/// The largest bit offset SETBIT and GETBIT take: the last bit of the largest string.
pub const MAX_BIT_OFFSET: u64 = MAX_STRING as u64 * 8 - 1;

impl Shard {
    /// SETBIT: sets or clears bit `offset` (growing the string with zero bytes, creating it if
    /// missing; the TTL is kept) and returns the bit's old value. Logged as sent.
    pub fn setbit(&mut self, key: &[u8], offset: u64, on: bool, now: u64) -> CmdResult<bool> {
        let v = self.str_entry(key, now)?;
        let byte = (offset / 8) as usize;
        if v.len() <= byte {
            v.resize(byte + 1, 0);
        }
        let mask = 0x80u8 >> (offset % 8);
        let old = v[byte] & mask != 0;
        if on {
            v[byte] |= mask;
        } else {
            v[byte] &= !mask;
        }
        let (o, b) = (offset.to_string(), if on { "1" } else { "0" });
        self.log(&[b"SETBIT", key, o.as_bytes(), b.as_bytes()]);
        Ok(old)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bits of `v` as a vector of booleans, for checking against a plain model.
    fn bits(v: &[u8]) -> Vec<bool> {
        (0..v.len() * 8)
            .map(|i| v[i / 8] & (0x80 >> (i % 8)) != 0)
            .collect()
    }

    #[test]
    fn count_and_first_match_a_bit_by_bit_model() {
        let v = b"fo\x00\xffbar\x01";
        let model = bits(v);
        for a in 0..model.len() as u64 {
            for b in a..model.len() as u64 {
                let want = model[a as usize..=b as usize]
                    .iter()
                    .filter(|&&x| x)
                    .count();
                assert_eq!(count(v, (a, b)), want as u64, "{a}..{b}");
                for bit in [false, true] {
                    let want = (a..=b).find(|&i| model[i as usize] == bit);
                    assert_eq!(first(v, bit, (a, b)), want, "{bit} {a}..{b}");
                }
            }
        }
    }

    #[test]
    fn spans_clamp_like_redis() {
        assert_eq!(span(6, 0, -1, false), Some((0, 47)));
        assert_eq!(span(6, -2, -1, false), Some((32, 47)));
        assert_eq!(span(6, -100, 100, false), Some((0, 47)));
        assert_eq!(span(6, 5, 30, true), Some((5, 30)));
        assert_eq!(span(6, 2, 1, false), None);
        assert_eq!(span(6, 100, 200, false), None);
        assert_eq!(span(0, 0, -1, false), None);
    }

    #[test]
    fn bitop_pads_short_sources() {
        assert_eq!(combine(BitOp::And, &[b"abc", b"ab"]), b"ab\x00");
        assert_eq!(combine(BitOp::Or, &[b"abc", b"ab"]), b"abc");
        assert_eq!(combine(BitOp::Xor, &[b"", b"ab"]), b"ab");
        assert_eq!(combine(BitOp::Not, &[b"\x0f"]), b"\xf0");
        assert!(combine(BitOp::And, &[b"", b""]).is_empty());
    }
}
