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
    (span.0 / 8..=span.1 / 8)
        .map(|i| (v[i as usize] & byte_mask(i, span)).count_ones() as u64)
        .sum()
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

/// BITFIELD: the `bits` bits of `v` from bit `offset`, most significant first, as an unsigned
/// number (bits past the end of the string read as 0).
pub fn get_field(v: &[u8], offset: u64, bits: u32) -> u64 {
    (offset..offset + bits as u64).fold(0u64, |acc, i| {
        let byte = v.get((i / 8) as usize).copied().unwrap_or(0);
        (acc << 1) | ((byte >> (7 - i % 8)) & 1) as u64
    })
}

/// BITFIELD: writes the low `bits` bits of `value` at bit `offset`; `v` must reach that far.
pub fn set_field(v: &mut [u8], offset: u64, bits: u32, value: u64) {
    for (n, i) in (offset..offset + bits as u64).enumerate() {
        let bit = (value >> (bits as usize - 1 - n)) & 1;
        let mask = 0x80u8 >> (i % 8);
        let byte = &mut v[(i / 8) as usize];
        if bit == 1 {
            *byte |= mask;
        } else {
            *byte &= !mask;
        }
    }
}

/// How BITFIELD's SET and INCRBY treat a result outside the field's range.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Overflow {
    Wrap,
    Sat,
    Fail,
}

/// A BITFIELD field type: signed (i1..i64) or unsigned (u1..u63), `bits` wide.
#[derive(Clone, Copy)]
pub struct FieldType {
    pub signed: bool,
    pub bits: u32,
}

impl FieldType {
    /// The field's value, read from its raw bits (sign-extended when signed).
    pub fn value(self, raw: u64) -> i64 {
        if self.signed && self.bits < 64 && raw >> (self.bits - 1) & 1 == 1 {
            (raw | (u64::MAX << self.bits)) as i64
        } else {
            raw as i64
        }
    }

    /// `value + incr` fitted to the field under `ow`: None when it does not fit and `ow` is
    /// FAIL. An unsigned field takes `value` as the 64-bit pattern it is (so SET u8 -1 is far
    /// above the range: 255 with SAT and with WRAP), as Redis does.
    pub fn fit(self, value: i64, incr: i64, ow: Overflow) -> Option<i64> {
        let (min, max): (i128, i128) = if self.signed {
            (-(1i128 << (self.bits - 1)), (1i128 << (self.bits - 1)) - 1)
        } else {
            (0, (1i128 << self.bits) - 1)
        };
        let base = if self.signed {
            value as i128
        } else {
            value as u64 as i128
        };
        let sum = base + incr as i128;
        if (min..=max).contains(&sum) {
            return Some(sum as i64);
        }
        // Redis decides the direction with `max - value` in 64 bits; for a signed value so
        // negative that this overflows (only SET can pass one, e.g. SET i8 -9223372036854775808)
        // it reports an overflow upwards, so SAT gives the maximum. Kept for identical data.
        let up = sum > max
            || (self.signed && self.bits < 64 && (max as i64).checked_sub(value).is_none());
        match ow {
            Ow::Fail => None,
            Ow::Sat => Some(if up { max } else { min } as i64),
            Ow::Wrap => {
                let span = 1i128 << self.bits;
                Some(((sum - min).rem_euclid(span) + min) as i64)
            }
        }
    }
}

use Overflow as Ow;

/// The largest bit offset SETBIT and GETBIT take: the last bit of the largest string.
pub const MAX_BIT_OFFSET: u64 = MAX_STRING as u64 * 8 - 1;

impl Shard {
    /// The string at `key` for BITFIELD's writes: created if missing and grown with zero bytes
    /// to at least `len` (the TTL is kept). The caller logs the command.
    pub fn bitfield_target(&mut self, key: &[u8], len: usize, now: u64) -> CmdResult<&mut Vec<u8>> {
        let v = self.str_entry(key, now)?;
        if v.len() < len {
            v.resize(len, 0);
        }
        Ok(v)
    }

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
        self.changed(key, super::events::class::STRING, "setbit");
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
    fn fields_read_back_what_was_written() {
        let mut v = vec![0u8; 16];
        for (off, bits, val) in [
            (0u64, 8u32, 0xabu64),
            (3, 13, 0x1abc),
            (64, 64, u64::MAX - 5),
        ] {
            set_field(&mut v, off, bits, val);
            assert_eq!(get_field(&v, off, bits), val);
        }
        assert_eq!(get_field(b"\xff", 4, 8), 0xf0, "past the end reads zeros");
        let i4 = FieldType {
            signed: true,
            bits: 4,
        };
        assert_eq!(i4.value(0b1111), -1);
        assert_eq!(i4.fit(7, 1, Ow::Wrap), Some(-8));
        assert_eq!(i4.fit(7, 1, Ow::Sat), Some(7));
        assert_eq!(i4.fit(-8, -1, Ow::Fail), None);
        let u63 = FieldType {
            signed: false,
            bits: 63,
        };
        assert_eq!(u63.fit(-5, 0, Ow::Sat), Some(i64::MAX));
        assert_eq!(u63.fit(-5, 0, Ow::Wrap), Some(i64::MAX - 4));
        let i8f = FieldType {
            signed: true,
            bits: 8,
        };
        assert_eq!(i8f.fit(-1000, 0, Ow::Sat), Some(-128));
        assert_eq!(
            i8f.fit(i64::MIN, 0, Ow::Sat),
            Some(127),
            "Redis's direction"
        );
        let i64f = FieldType {
            signed: true,
            bits: 64,
        };
        assert_eq!(i64f.fit(i64::MIN, -1, Ow::Wrap), Some(i64::MAX));
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
