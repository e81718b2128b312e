//! Small collections packed into one allocation, as Redis keeps them (its listpack and intset):
//! a packed hash or sorted set is a run of byte strings in one buffer, a set of integers one
//! sorted array of the narrowest width that holds them. Lookups scan, which is fast while they
//! are short; past the limits below a collection turns into its table for good, at the points
//! where Redis 7.0 converts it.
//!
//! The limits are process-wide, as Redis's settings are: CONFIG SET stores them here and
//! collections read them where they grow.

use std::sync::atomic::{AtomicUsize, Ordering};

/// hash-max-listpack-entries and hash-max-listpack-value.
pub static HASH_ENTRIES: AtomicUsize = AtomicUsize::new(512);
pub static HASH_VALUE: AtomicUsize = AtomicUsize::new(64);
/// zset-max-listpack-entries and zset-max-listpack-value.
pub static ZSET_ENTRIES: AtomicUsize = AtomicUsize::new(128);
pub static ZSET_VALUE: AtomicUsize = AtomicUsize::new(64);
/// set-max-intset-entries.
pub static SET_INTSET_ENTRIES: AtomicUsize = AtomicUsize::new(512);
/// list-max-listpack-size: a list node's most bytes (negative: -1 for 4 KB to -5 for 64 KB) or
/// entries (positive, within 8 KB).
pub static LIST_SIZE: std::sync::atomic::AtomicIsize = std::sync::atomic::AtomicIsize::new(-2);
/// list-compress-depth: how many nodes at each end of a list stay uncompressed (0: none is
/// compressed).
pub static LIST_COMPRESS_DEPTH: AtomicUsize = AtomicUsize::new(0);

/// A limit's current value.
#[inline]
pub fn limit(l: &AtomicUsize) -> usize {
    l.load(Ordering::Relaxed)
}

/// Byte strings back to back in one buffer, each after its length (1 byte, or 255 and 4 bytes
/// little-endian) and, when `BACK`, before it as well (1 byte, or 4 bytes and 255), so that it
/// can be walked from the end too (a list's node). Positions are byte offsets, valid until the
/// next change.
#[derive(Clone, Default)]
pub struct Strings<const BACK: bool = false> {
    buf: Vec<u8>,
    len: u32,
}

/// Bytes a length takes before (and, when `back`, after) a string.
#[inline]
fn len_bytes(n: usize) -> usize {
    if n < 255 {
        1
    } else {
        5
    }
}

/// The string at `at` and the offset of the next one.
#[inline]
fn at(buf: &[u8], at: usize, back: bool) -> (&[u8], usize) {
    let (n, start) = match buf[at] {
        255 => (
            u32::from_le_bytes(buf[at + 1..at + 5].try_into().expect("4 bytes")) as usize,
            at + 5,
        ),
        n => (n as usize, at + 1),
    };
    let end = start + n;
    (
        &buf[start..end],
        if back { end + len_bytes(n) } else { end },
    )
}

/// The offset of the string that ends at `end` (a two-way buffer's).
#[inline]
fn before(buf: &[u8], end: usize) -> usize {
    let n = match buf[end - 1] {
        255 => u32::from_le_bytes(buf[end - 5..end - 1].try_into().expect("4 bytes")) as usize,
        n => n as usize,
    };
    end - 2 * len_bytes(n) - n
}

fn encode(out: &mut Vec<u8>, s: &[u8], back: bool) {
    let n = s.len() as u32;
    if s.len() < 255 {
        out.push(n as u8);
    } else {
        out.push(255);
        out.extend_from_slice(&n.to_le_bytes());
    }
    out.extend_from_slice(s);
    if back {
        if s.len() < 255 {
            out.push(n as u8);
        } else {
            out.extend_from_slice(&n.to_le_bytes());
            out.push(255);
        }
    }
}

/// Bytes `s` takes in a buffer.
pub fn encoded_len(s: &[u8], back: bool) -> usize {
    s.len() + len_bytes(s.len()) * (1 + back as usize)
}

/// The strings of a [`Strings`] in order, with their offsets.
#[derive(Clone)]
pub struct Iter<'a> {
    buf: &'a [u8],
    at: usize,
    back: bool,
}

impl<'a> Iterator for Iter<'a> {
    type Item = (usize, &'a [u8]);
    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if self.at >= self.buf.len() {
            return None;
        }
        let here = self.at;
        let (s, next) = at(self.buf, here, self.back);
        self.at = next;
        Some((here, s))
    }
}

impl Strings<true> {
    /// The strings from the last to the first, with their offsets.
    pub fn iter_rev(&self) -> impl Iterator<Item = (usize, &[u8])> + '_ {
        let mut end = self.buf.len();
        std::iter::from_fn(move || {
            if end == 0 {
                return None;
            }
            let off = before(&self.buf, end);
            end = off;
            Some((off, at(&self.buf, off, true).0))
        })
    }

    /// The offset of the last string (None: empty).
    pub fn last(&self) -> Option<usize> {
        (!self.buf.is_empty()).then(|| before(&self.buf, self.buf.len()))
    }

    /// Splits off the strings from offset `off` on into a new buffer.
    pub fn split_off(&mut self, off: usize) -> Self {
        let tail = self.buf.split_off(off);
        let n = self.iter_at(0).count() as u32;
        let moved = self.len - n;
        self.len = n;
        self.buf.shrink_to_fit();
        Strings {
            buf: tail,
            len: moved,
        }
    }
}

impl<const BACK: bool> Strings<BACK> {
    /// How many strings it holds.
    #[inline]
    pub fn len(&self) -> usize {
        self.len as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The bytes its buffer holds (MEMORY USAGE).
    pub fn bytes(&self) -> usize {
        self.buf.capacity()
    }

    /// The end offset (where [`Strings::insert`] appends).
    pub fn end(&self) -> usize {
        self.buf.len()
    }

    /// The buffer as it is (what a list node compresses).
    pub fn raw(&self) -> &[u8] {
        &self.buf
    }

    /// Strings from a buffer [`Strings::raw`] gave, holding `len` of them.
    pub fn from_raw(buf: Vec<u8>, len: usize) -> Self {
        Strings {
            buf,
            len: len as u32,
        }
    }

    #[inline]
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            buf: &self.buf,
            at: 0,
            back: BACK,
        }
    }

    /// The strings from offset `from` on.
    pub fn iter_at(&self, from: usize) -> Iter<'_> {
        Iter {
            buf: &self.buf,
            at: from,
            back: BACK,
        }
    }

    /// The string at offset `off` and the offset after it.
    #[inline]
    pub fn get(&self, off: usize) -> (&[u8], usize) {
        at(&self.buf, off, BACK)
    }

    /// Inserts `items` before offset `off` (the end: appends).
    pub fn insert(&mut self, off: usize, items: &[&[u8]]) {
        let n: usize = items.iter().map(|s| encoded_len(s, BACK)).sum();
        // Grown to the byte, not doubled: small collections are many, and their space is the
        // point of packing them.
        self.buf.reserve_exact(n);
        // Encoded in place at the end (no scratch buffer), then turned into position.
        for s in items {
            encode(&mut self.buf, s, BACK);
        }
        if off + n < self.buf.len() {
            self.buf[off..].rotate_right(n);
        }
        self.len += items.len() as u32;
    }

    pub fn push(&mut self, s: &[u8]) {
        self.insert(self.buf.len(), &[s]);
    }

    /// Removes `count` strings from offset `off`.
    pub fn remove(&mut self, off: usize, count: usize) {
        let mut end = off;
        for _ in 0..count {
            end = at(&self.buf, end, BACK).1;
        }
        self.buf.drain(off..end);
        self.len -= count as u32;
        if self.buf.capacity() > 2 * self.buf.len() + 64 {
            self.buf.shrink_to_fit();
        }
    }

    /// Replaces the string at offset `off` with `s`.
    pub fn replace(&mut self, off: usize, s: &[u8]) {
        let (old, end) = at(&self.buf, off, BACK);
        if old.len() == s.len() {
            let start = off + len_bytes(s.len());
            self.buf[start..start + s.len()].copy_from_slice(s);
            return;
        }
        let mut e = Vec::with_capacity(encoded_len(s, BACK));
        encode(&mut e, s, BACK);
        if e.len() > end - off {
            self.buf.reserve_exact(e.len() - (end - off));
        }
        self.buf.splice(off..end, e);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_insert_replace_remove() {
        let mut s = Strings::<false>::default();
        let long = vec![7u8; 300];
        s.push(b"a");
        s.push(&long);
        s.push(b"");
        let offs: Vec<usize> = s.iter().map(|(o, _)| o).collect();
        assert_eq!(s.len(), 3);
        assert_eq!(s.get(offs[1]).0, &long[..]);
        s.replace(offs[1], b"bb");
        let v: Vec<&[u8]> = s.iter().map(|(_, x)| x).collect();
        assert_eq!(v, [&b"a"[..], b"bb", b""]);
        s.replace(0, &long);
        s.insert(0, &[b"x", b"y"]);
        let v: Vec<Vec<u8>> = s.iter().map(|(_, x)| x.to_vec()).collect();
        assert_eq!(
            v,
            [
                b"x".to_vec(),
                b"y".to_vec(),
                long.clone(),
                b"bb".to_vec(),
                vec![]
            ]
        );
        let third = s.iter().nth(2).unwrap().0;
        s.remove(third, 2);
        let v: Vec<Vec<u8>> = s.iter().map(|(_, x)| x.to_vec()).collect();
        assert_eq!(v, [b"x".to_vec(), b"y".to_vec(), vec![]]);
        assert_eq!(s.len(), 3);
    }

    #[test]
    fn two_way_strings_walk_backwards() {
        let mut s = Strings::<true>::default();
        let long = vec![9u8; 1000];
        for x in [&b"a"[..], &long, b"", b"xyz"] {
            s.push(x);
        }
        let fwd: Vec<(usize, Vec<u8>)> = s.iter().map(|(o, x)| (o, x.to_vec())).collect();
        let mut back: Vec<(usize, Vec<u8>)> = s.iter_rev().map(|(o, x)| (o, x.to_vec())).collect();
        back.reverse();
        assert_eq!(fwd, back);
        assert_eq!(s.last(), Some(fwd[3].0));
        s.replace(fwd[1].0, b"bb");
        let tail = s.split_off(s.iter().nth(2).unwrap().0);
        let v: Vec<&[u8]> = s.iter_rev().map(|(_, x)| x).collect();
        assert_eq!(v, [&b"bb"[..], b"a"]);
        let v: Vec<&[u8]> = tail.iter().map(|(_, x)| x).collect();
        assert_eq!(v, [&b""[..], b"xyz"]);
        assert_eq!((s.len(), tail.len()), (2, 2));
    }
}
