//! HyperLogLog kept in Redis's own string layout, so that an HLL moves between ringdis and Redis
//! by GET/SET (or DUMP) and both servers build the same bytes from the same PFADDs.
//!
//! Layout: a 16-byte header (`HYLL`, encoding byte, 3 unused bytes, the cached cardinality as 8
//! little-endian bytes whose top bit set means "stale"), then 16384 six-bit registers, either
//! dense (packed little-endian bit order, 12288 bytes) or sparse (run-length opcodes: ZERO
//! `00llllll`, XZERO `01llllll llllllll`, VAL `1vvvvvll`). The sparse form is not canonical, so
//! an update edits it exactly as Redis does (split the covering opcode, then merge equal VAL
//! neighbours in a window of five opcodes) to give the same bytes.
//! Cardinality uses Ertl's estimator ("New cardinality estimation algorithms for HyperLogLog
//! sketches", 2017), as Redis 7 does, so the counts agree too.

use super::events::class;
use super::Shard;
use crate::error::{CmdError, CmdResult};

/// Register index bits.
const P: u32 = 14;
pub const REGISTERS: usize = 1 << P;
/// Bits of the hash left after the index.
const Q: u32 = 64 - P;
const BITS: usize = 6;
const REGISTER_MAX: u8 = (1 << BITS) - 1;
const HDR: usize = 16;
/// Length of a dense HLL string.
pub const DENSE_SIZE: usize = HDR + (REGISTERS * BITS).div_ceil(8);
const DENSE: u8 = 0;
const SPARSE: u8 = 1;
const SPARSE_VAL_MAX_VALUE: u8 = 32;
const SPARSE_VAL_MAX_LEN: usize = 4;
const SPARSE_ZERO_MAX_LEN: usize = 64;
const SPARSE_XZERO_MAX_LEN: usize = 16384;
const ALPHA_INF: f64 = 0.721_347_520_444_481_7;

/// The string holds something that is not an HLL, or an HLL whose registers do not add up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HllError {
    /// Not an HLL string at all (wrong magic, encoding or length).
    NotHll,
    /// The header is right, the opcodes are not.
    Corrupt,
}

/// MurmurHash64A (Austin Appleby), reading 8-byte words little-endian as Redis does on x86.
pub fn murmur64a(key: &[u8], seed: u64) -> u64 {
    const M: u64 = 0xc6a4_a793_5bd1_e995;
    const R: u32 = 47;
    let mut h = seed ^ (key.len() as u64).wrapping_mul(M);
    let mut chunks = key.chunks_exact(8);
    for c in &mut chunks {
        let mut k = u64::from_le_bytes(c.try_into().expect("8-byte chunk"));
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h ^= k;
        h = h.wrapping_mul(M);
    }
    let tail = chunks.remainder();
    if !tail.is_empty() {
        for (i, b) in tail.iter().enumerate() {
            h ^= (*b as u64) << (8 * i);
        }
        h = h.wrapping_mul(M);
    }
    h ^= h >> R;
    h = h.wrapping_mul(M);
    h ^= h >> R;
    h
}

/// The register an element lands in, and the length of its run of zero bits plus one (1..=51).
fn pattern(ele: &[u8]) -> (usize, u8) {
    let hash = murmur64a(ele, 0xadc8_3b19);
    let index = (hash as usize) & (REGISTERS - 1);
    // The sentinel bit bounds the count at Q + 1.
    let rest = (hash >> P) | (1u64 << Q);
    (index, rest.trailing_zeros() as u8 + 1)
}

/// A new, empty HLL: sparse, all registers in XZERO runs, cached cardinality 0.
pub fn new_sparse() -> Vec<u8> {
    let mut v = Vec::with_capacity(HDR + 2);
    v.extend_from_slice(b"HYLL");
    v.push(SPARSE);
    v.extend_from_slice(&[0; 11]);
    let mut left = REGISTERS;
    while left > 0 {
        let n = left.min(SPARSE_XZERO_MAX_LEN);
        push_xzero(&mut v, n);
        left -= n;
    }
    v
}

/// Whether `v` looks like an HLL (Redis's check before any HLL command uses a string).
pub fn validate(v: &[u8]) -> Result<(), HllError> {
    if v.len() < HDR || &v[..4] != b"HYLL" || v[4] > SPARSE {
        return Err(HllError::NotHll);
    }
    if v[4] == DENSE && v.len() != DENSE_SIZE {
        return Err(HllError::NotHll);
    }
    Ok(())
}

pub fn is_dense(v: &[u8]) -> bool {
    v[4] == DENSE
}

fn invalidate(v: &mut [u8]) {
    v[15] |= 0x80;
}

/// The cached cardinality, if it is current.
pub fn cached(v: &[u8]) -> Option<u64> {
    (v[15] & 0x80 == 0).then(|| u64::from_le_bytes(v[8..16].try_into().expect("8 bytes")))
}

pub fn store_cache(v: &mut [u8], card: u64) {
    v[8..16].copy_from_slice(&card.to_le_bytes());
}

fn dense_get(regs: &[u8], i: usize) -> u8 {
    let byte = i * BITS / 8;
    let fb = (i * BITS) & 7;
    let b0 = regs[byte] as u32;
    let b1 = regs.get(byte + 1).copied().unwrap_or(0) as u32;
    (((b0 >> fb) | (b1 << (8 - fb))) & REGISTER_MAX as u32) as u8
}

fn dense_put(regs: &mut [u8], i: usize, val: u8) {
    let byte = i * BITS / 8;
    let fb = (i * BITS) & 7;
    let v = val as u32;
    let max = REGISTER_MAX as u32;
    regs[byte] = ((regs[byte] as u32 & !(max << fb)) | (v << fb)) as u8;
    if fb > 8 - BITS {
        let fb8 = 8 - fb;
        regs[byte + 1] = ((regs[byte + 1] as u32 & !(max >> fb8)) | (v >> fb8)) as u8;
    }
}

/// Raises register `i` of a dense HLL to `count`; whether it changed.
fn dense_set(v: &mut [u8], i: usize, count: u8) -> bool {
    let regs = &mut v[HDR..];
    if count > dense_get(regs, i) {
        dense_put(regs, i, count);
        true
    } else {
        false
    }
}

fn is_zero(op: u8) -> bool {
    op & 0xc0 == 0
}

fn is_xzero(op: u8) -> bool {
    op & 0xc0 == 0x40
}

fn val_value(op: u8) -> u8 {
    ((op >> 2) & 0x1f) + 1
}

fn val_len(op: u8) -> usize {
    (op & 3) as usize + 1
}

fn val_op(value: u8, len: usize) -> u8 {
    0x80 | ((value - 1) << 2) | (len as u8 - 1)
}

fn push_xzero(v: &mut Vec<u8>, len: usize) {
    v.push(0x40 | ((len - 1) >> 8) as u8);
    v.push(((len - 1) & 0xff) as u8);
}

/// Pushes a run of `len` zero registers as ZERO or XZERO.
fn push_zeros(v: &mut Vec<u8>, len: usize) {
    if len > SPARSE_ZERO_MAX_LEN {
        push_xzero(v, len);
    } else {
        v.push((len - 1) as u8);
    }
}

/// One sparse opcode at `p`: (bytes, registers covered, value), or None if it is cut short.
fn sparse_op(ops: &[u8], p: usize) -> Option<(usize, usize, u8)> {
    let op = ops[p];
    if is_zero(op) {
        Some((1, (op & 0x3f) as usize + 1, 0))
    } else if is_xzero(op) {
        let lo = *ops.get(p + 1)?;
        Some((2, ((((op & 0x3f) as usize) << 8) | lo as usize) + 1, 0))
    } else {
        Some((1, val_len(op), val_value(op)))
    }
}

/// Calls `f(first, len, value)` for every run of a sparse HLL; fails unless the runs cover
/// exactly the registers (or a VAL run would pass the end).
fn sparse_runs(v: &[u8], mut f: impl FnMut(usize, usize, u8)) -> Result<(), HllError> {
    let ops = &v[HDR..];
    let (mut p, mut idx) = (0, 0);
    while p < ops.len() {
        let (n, len, val) = sparse_op(ops, p).ok_or(HllError::Corrupt)?;
        if val > 0 && idx + len > REGISTERS {
            return Err(HllError::Corrupt);
        }
        f(idx, len, val);
        idx += len;
        p += n;
    }
    if idx == REGISTERS {
        Ok(())
    } else {
        Err(HllError::Corrupt)
    }
}

/// Converts a sparse HLL to dense in place (header, cache included, kept); whether it did.
pub fn to_dense(v: &mut Vec<u8>) -> Result<bool, HllError> {
    if is_dense(v) {
        return Ok(false);
    }
    let mut dense = vec![0u8; DENSE_SIZE];
    dense[..HDR].copy_from_slice(&v[..HDR]);
    dense[4] = DENSE;
    let regs = &mut dense[HDR..];
    sparse_runs(v, |first, len, val| {
        if val > 0 {
            for i in first..first + len {
                dense_put(regs, i, val);
            }
        }
    })?;
    *v = dense;
    Ok(true)
}

/// Raises register `index` of a sparse HLL to `count`, editing the opcodes as Redis does, and
/// turning it dense when the value does not fit a VAL opcode or the string would pass
/// `sparse_max` bytes. Whether the register changed.
fn sparse_set(
    v: &mut Vec<u8>,
    index: usize,
    count: u8,
    sparse_max: usize,
) -> Result<bool, HllError> {
    if count > SPARSE_VAL_MAX_VALUE {
        return promote(v, index, count);
    }
    // Find the opcode covering `index`.
    let (mut p, mut first, mut prev) = (HDR, 0usize, None);
    let (mut oplen, mut span) = (0, 0);
    while p < v.len() {
        let (n, len, _) = sparse_op(v, p).ok_or(HllError::Corrupt)?;
        oplen = n;
        span = len;
        if index < first + span {
            break;
        }
        prev = Some(p);
        p += n;
        first += span;
    }
    if span == 0 || p >= v.len() {
        return Err(HllError::Corrupt);
    }
    let op = v[p];
    if !is_zero(op) && !is_xzero(op) {
        let old = val_value(op);
        if old >= count {
            return Ok(false);
        }
        if val_len(op) == 1 {
            v[p] = val_op(count, 1);
            merge_vals(v, prev.unwrap_or(HDR));
            return Ok(true);
        }
    } else if is_zero(op) && span == 1 {
        v[p] = val_op(count, 1);
        merge_vals(v, prev.unwrap_or(HDR));
        return Ok(true);
    }
    // Split the run into (before, our register, after).
    let last = first + span - 1;
    let mut seq = Vec::with_capacity(5);
    if is_zero(op) || is_xzero(op) {
        if index != first {
            push_zeros(&mut seq, index - first);
        }
        seq.push(val_op(count, 1));
        if index != last {
            push_zeros(&mut seq, last - index);
        }
    } else {
        let cur = val_value(op);
        if index != first {
            seq.push(val_op(cur, index - first));
        }
        seq.push(val_op(count, 1));
        if index != last {
            seq.push(val_op(cur, last - index));
        }
    }
    if seq.len() > oplen && v.len() + seq.len() - oplen > sparse_max {
        return promote(v, index, count);
    }
    v.splice(p..p + oplen, seq);
    merge_vals(v, prev.unwrap_or(HDR));
    Ok(true)
}

/// After an update: merges adjacent VAL opcodes of equal value, scanning five opcodes from
/// `p` (the one before the update), as Redis does.
fn merge_vals(v: &mut Vec<u8>, mut p: usize) {
    let mut scan = 5;
    while p < v.len() && scan > 0 {
        scan -= 1;
        let op = v[p];
        if is_xzero(op) {
            p += 2;
            continue;
        }
        if is_zero(op) {
            p += 1;
            continue;
        }
        if p + 1 < v.len() && v[p + 1] & 0x80 != 0 {
            let next = v[p + 1];
            let len = val_len(op) + val_len(next);
            if val_value(op) == val_value(next) && len <= SPARSE_VAL_MAX_LEN {
                v[p + 1] = val_op(val_value(op), len);
                v.remove(p);
                continue;
            }
        }
        p += 1;
    }
}

fn promote(v: &mut Vec<u8>, index: usize, count: u8) -> Result<bool, HllError> {
    to_dense(v)?;
    Ok(dense_set(v, index, count))
}

/// Adds one element; whether a register changed (the caller invalidates the cache).
pub fn add(v: &mut Vec<u8>, ele: &[u8], sparse_max: usize) -> Result<bool, HllError> {
    let (index, count) = pattern(ele);
    if is_dense(v) {
        Ok(dense_set(v, index, count))
    } else {
        sparse_set(v, index, count, sparse_max)
    }
}

/// PFADD's work on one HLL string: adds every element; whether any register changed (the
/// caller then marks the cached cardinality stale).
pub fn add_all(v: &mut Vec<u8>, eles: &[&[u8]], sparse_max: usize) -> Result<bool, HllError> {
    let mut changed = false;
    for e in eles {
        changed |= add(v, e, sparse_max)?;
    }
    Ok(changed)
}

/// Raises each of `max`'s registers to the HLL's (PFMERGE, multi-key PFCOUNT).
pub fn merge_into(max: &mut [u8], v: &[u8]) -> Result<(), HllError> {
    if is_dense(v) {
        let regs = &v[HDR..];
        for (i, m) in max.iter_mut().enumerate() {
            *m = (*m).max(dense_get(regs, i));
        }
        Ok(())
    } else {
        sparse_runs(v, |first, len, val| {
            if val > 0 {
                for m in &mut max[first..first + len] {
                    *m = (*m).max(val);
                }
            }
        })
    }
}

/// PFMERGE's write: the destination (turned dense first if `dense`) gets every register of `max`
/// that is not 0, in register order, and a stale cache.
pub fn store_merged(
    v: &mut Vec<u8>,
    max: &[u8],
    dense: bool,
    sparse_max: usize,
) -> Result<(), HllError> {
    if dense {
        to_dense(v)?;
    }
    for (i, &m) in max.iter().enumerate() {
        if m == 0 {
            continue;
        }
        if is_dense(v) {
            dense_set(v, i, m);
        } else {
            sparse_set(v, i, m, sparse_max)?;
        }
    }
    invalidate(v);
    Ok(())
}

/// The estimated cardinality of an HLL string (ignoring its cache).
pub fn count(v: &[u8]) -> Result<u64, HllError> {
    let mut histo = [0u32; 64];
    if is_dense(v) {
        let regs = &v[HDR..];
        for i in 0..REGISTERS {
            histo[dense_get(regs, i) as usize] += 1;
        }
    } else {
        sparse_runs(v, |_, len, val| histo[val as usize] += len as u32)?;
    }
    Ok(estimate(&histo))
}

/// The estimated cardinality of raw 8-bit registers (multi-key PFCOUNT's merge).
pub fn count_raw(regs: &[u8]) -> u64 {
    let mut histo = [0u32; 64];
    for &r in regs {
        histo[(r & 63) as usize] += 1;
    }
    estimate(&histo)
}

fn sigma(mut x: f64) -> f64 {
    if x == 1.0 {
        return f64::INFINITY;
    }
    let mut y = 1.0;
    let mut z = x;
    loop {
        x *= x;
        let prev = z;
        z += x * y;
        y += y;
        if prev == z {
            return z;
        }
    }
}

fn tau(mut x: f64) -> f64 {
    if x == 0.0 || x == 1.0 {
        return 0.0;
    }
    let mut y = 1.0;
    let mut z = 1.0 - x;
    loop {
        x = x.sqrt();
        let prev = z;
        y *= 0.5;
        z -= (1.0 - x).powi(2) * y;
        if prev == z {
            return z / 3.0;
        }
    }
}

fn estimate(histo: &[u32; 64]) -> u64 {
    let m = REGISTERS as f64;
    let q = Q as usize;
    let mut z = m * tau((m - histo[q + 1] as f64) / m);
    for j in (1..=q).rev() {
        z += histo[j] as f64;
        z *= 0.5;
    }
    z += m * sigma(histo[0] as f64 / m);
    (ALPHA_INF * m * m / z).round() as u64
}

/// PFDEBUG GETREG: every register (the caller turns the HLL dense first).
pub fn registers(v: &[u8]) -> Vec<u8> {
    let regs = &v[HDR..];
    (0..REGISTERS).map(|i| dense_get(regs, i)).collect()
}

/// PFDEBUG DECODE: the sparse opcodes as `z:<len>`, `Z:<len>`, `v:<value>,<len>`.
pub fn decode(v: &[u8]) -> String {
    let ops = &v[HDR..];
    let mut out = Vec::new();
    let mut p = 0;
    while p < ops.len() {
        let op = ops[p];
        match sparse_op(ops, p) {
            Some((1, len, 0)) => out.push(format!("z:{len}")),
            Some((_, len, 0)) => out.push(format!("Z:{len}")),
            Some((_, len, val)) => out.push(format!("v:{val},{len}")),
            None => out.push(format!("Z:{}", (((op & 0x3f) as usize) << 8) + 1)),
        }
        p += if is_xzero(op) { 2 } else { 1 };
    }
    out.join(" ")
}

/// PFSELFTEST: register packing round-trips and the estimate stays within its error bound.
pub fn self_test() -> Result<(), String> {
    let mut regs = vec![0u8; DENSE_SIZE - HDR];
    let mut rng = 0x9e37_79b9_7f4a_7c15u64;
    let mut want = vec![0u8; REGISTERS];
    for (i, w) in want.iter_mut().enumerate() {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        *w = (rng & REGISTER_MAX as u64) as u8;
        dense_put(&mut regs, i, *w);
    }
    if (0..REGISTERS).any(|i| dense_get(&regs, i) != want[i]) {
        return Err("TESTFAILED Register error".into());
    }
    let mut v = new_sparse();
    let bound = 1.04 / (REGISTERS as f64).sqrt() * 5.0;
    for n in 1..=100_000u64 {
        add_all(&mut v, &[&n.to_le_bytes()], 3000).map_err(|_| "TESTFAILED corrupt")?;
        if n % 1000 == 0 {
            let est = count(&v).map_err(|_| "TESTFAILED corrupt")? as f64;
            if (est - n as f64).abs() / n as f64 > bound {
                return Err(format!(
                    "TESTFAILED Too big error. card:{n} abserr:{}",
                    (est - n as f64).abs()
                ));
            }
        }
    }
    Ok(())
}

impl From<HllError> for CmdError {
    fn from(e: HllError) -> Self {
        match e {
            HllError::NotHll => CmdError::NotHll,
            HllError::Corrupt => CmdError::HllCorrupt,
        }
    }
}

impl Shard {
    /// The HLL string at `key` (None: missing), checked as Redis checks it before any use.
    fn hll_mut(&mut self, key: &[u8], now: u64) -> CmdResult<Option<&mut Vec<u8>>> {
        self.expire_if_needed(key, now);
        if self.non_string(key) {
            return Err(CmdError::WrongType);
        }
        match self.strings.get_mut(key) {
            None => Ok(None),
            Some(v) => {
                validate(v)?;
                Ok(Some(v))
            }
        }
    }

    /// The HLL string at `key` for reading (None: missing), checked.
    pub fn hll(&self, key: &[u8], now: u64) -> CmdResult<Option<&[u8]>> {
        let v = self.get_str(key, now)?;
        if let Some(v) = v {
            validate(v)?;
        }
        Ok(v)
    }

    /// PFADD: whether the HLL was created or a register changed.
    pub fn pfadd(
        &mut self,
        key: &[u8],
        eles: &[&[u8]],
        sparse_max: usize,
        now: u64,
    ) -> CmdResult<bool> {
        let created = self.hll_mut(key, now)?.is_none();
        if created {
            self.strings.insert(key, &new_sparse());
            self.created(key);
        }
        let v = self.strings.get_mut(key).expect("present");
        let changed = add_all(v, eles, sparse_max)? || created;
        if changed {
            invalidate(v);
            self.changed(key, class::STRING, "pfadd");
        }
        Ok(changed)
    }

    /// Single-key PFCOUNT: the cached cardinality, or a fresh estimate stored in the cache (None:
    /// no such key). As in Redis, storing it is a change its watchers see and the AOF records (as
    /// the PFCOUNT).
    pub fn pfcount(&mut self, key: &[u8], now: u64) -> CmdResult<Option<u64>> {
        let Some(v) = self.hll_mut(key, now)? else {
            return Ok(None);
        };
        if let Some(c) = cached(v) {
            return Ok(Some(c));
        }
        let c = count(v)?;
        store_cache(v, c);
        self.touch(key);
        self.log(&[b"PFCOUNT", key]);
        Ok(Some(c))
    }

    /// PFMERGE's write of the merged registers into `dst` (created if missing): dense if any
    /// source was.
    pub fn pfmerge_store(
        &mut self,
        dst: &[u8],
        max: &[u8],
        dense: bool,
        sparse_max: usize,
        now: u64,
    ) -> CmdResult<()> {
        if self.hll_mut(dst, now)?.is_none() {
            self.strings.insert(dst, &new_sparse());
            self.created(dst);
        }
        let v = self.strings.get_mut(dst).expect("present");
        store_merged(v, max, dense, sparse_max)?;
        self.changed(dst, class::STRING, "pfadd");
        Ok(())
    }

    /// PFDEBUG TODENSE / GETREG's conversion: whether the HLL at `key` was sparse.
    pub fn hll_to_dense(&mut self, key: &[u8], now: u64) -> CmdResult<bool> {
        let v = self
            .hll_mut(key, now)?
            .ok_or(CmdError::Other("The specified key does not exist".into()))?;
        let converted = to_dense(v)?;
        if converted {
            self.touch(key);
            self.log(&[b"PFDEBUG", b"TODENSE", key]);
        }
        Ok(converted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dense_registers_round_trip() {
        let mut regs = vec![0u8; DENSE_SIZE - HDR];
        for i in 0..REGISTERS {
            dense_put(&mut regs, i, (i % 64) as u8);
        }
        for i in 0..REGISTERS {
            assert_eq!(dense_get(&regs, i), (i % 64) as u8);
        }
    }

    #[test]
    fn sparse_and_dense_agree() {
        let mut s = new_sparse();
        for i in 0..2000u32 {
            add_all(&mut s, &[i.to_string().as_bytes()], 1 << 20).unwrap();
        }
        assert!(!is_dense(&s));
        let mut d = s.clone();
        to_dense(&mut d).unwrap();
        assert_eq!(count(&s).unwrap(), count(&d).unwrap());
        let mut a = vec![0u8; REGISTERS];
        let mut b = vec![0u8; REGISTERS];
        merge_into(&mut a, &s).unwrap();
        merge_into(&mut b, &d).unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn self_test_passes() {
        self_test().unwrap();
    }

    #[test]
    fn truncated_sparse_is_corrupt_not_a_panic() {
        let mut v = new_sparse();
        v.pop();
        assert_eq!(count(&v), Err(HllError::Corrupt));
        assert_eq!(add(&mut v, b"x", 3000), Err(HllError::Corrupt));
    }
}
