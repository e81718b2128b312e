//! String operations on a shard. Values are binary-safe bytes; integers are kept as their decimal
//! text and parsed on INCR, so GET never has to render them. Overwrites reuse the old value's
//! buffer when it fits, so a steady SET workload does not allocate.

use super::events::class;
use super::Shard;
use crate::error::{CmdError, CmdResult};
use crate::resp::parse_i64;
use std::sync::atomic::Ordering;

/// Largest string value (Redis's default proto-max-bulk-len).
pub const MAX_STRING: usize = 512 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetCond {
    Always,
    /// Only if the key does not exist.
    Nx,
    /// Only if the key exists.
    Xx,
}

/// What a write does to the key's TTL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpireSpec {
    Clear,
    Keep,
    At(u64),
}

#[derive(Debug, Clone, Copy)]
pub struct SetOpts {
    pub cond: SetCond,
    pub expire: ExpireSpec,
    /// Return the old value (SET ... GET, GETSET); WRONGTYPE if the key holds another type.
    pub get: bool,
}

impl SetOpts {
    pub const PLAIN: SetOpts = SetOpts {
        cond: SetCond::Always,
        expire: ExpireSpec::Clear,
        get: false,
    };
}

#[derive(Debug, Default)]
pub struct SetOutcome {
    pub applied: bool,
    pub old: Option<Vec<u8>>,
}

impl Shard {
    /// The one write path behind SET (all options), SETNX, SETEX, PSETEX, GETSET, MSET and MSETNX.
    pub fn set_generic(
        &mut self,
        key: &[u8],
        val: &[u8],
        opts: SetOpts,
        now: u64,
    ) -> CmdResult<SetOutcome> {
        self.expire_if_needed(key, now);
        let is_hash = self.non_string(key);
        if opts.get && is_hash {
            return Err(CmdError::WrongType);
        }
        if !opts.get && opts.cond == SetCond::Always {
            // A plain SET (and every SET a load runs): one probe of the strings map, where
            // looking the key up first would take two.
            if is_hash {
                let lazy = self.env.lazy.server_del.load(Ordering::Relaxed);
                self.remove_non_string(key, lazy);
            }
            let replaced = self.strings.insert(key, val);
            if !is_hash && !replaced {
                self.created(key);
            }
            self.apply_expire(key, opts.expire);
            return Ok(SetOutcome {
                applied: true,
                old: None,
            });
        }
        let cur = self.strings.get(key);
        let exists = is_hash || cur.is_some();
        let had_string = cur.is_some();
        let old = if opts.get {
            cur.map(|v| v.to_vec())
        } else {
            None
        };
        match opts.cond {
            SetCond::Nx if exists => {
                return Ok(SetOutcome {
                    applied: false,
                    old,
                })
            }
            SetCond::Xx if !exists => {
                return Ok(SetOutcome {
                    applied: false,
                    old,
                })
            }
            _ => {}
        }
        if !had_string && is_hash {
            let lazy = self.env.lazy.server_del.load(Ordering::Relaxed);
            self.remove_non_string(key, lazy);
        }
        // A new value is packed with its key, whatever the old one was.
        self.strings.insert(key, val);
        if !exists {
            self.created(key);
        }
        self.apply_expire(key, opts.expire);
        Ok(SetOutcome { applied: true, old })
    }

    fn apply_expire(&mut self, key: &[u8], e: ExpireSpec) {
        match e {
            ExpireSpec::Keep => {}
            ExpireSpec::Clear => self.set_expire(key, None),
            ExpireSpec::At(at) => self.set_expire(key, Some(at)),
        }
    }

    /// Sets the string at `key` to `val` (its type checked by the caller), created when missing.
    fn str_put(&mut self, key: &[u8], val: &[u8]) {
        if !self.strings.contains_key(key) {
            self.created(key);
        }
        self.strings.insert(key, val);
    }

    /// The string value for in-place modification, created empty when missing.
    pub(super) fn str_entry(&mut self, key: &[u8], now: u64) -> CmdResult<&mut Vec<u8>> {
        self.expire_if_needed(key, now);
        if self.non_string(key) {
            return Err(CmdError::WrongType);
        }
        if !self.strings.contains_key(key) {
            self.strings.insert(key, b"");
            self.created(key);
        }
        Ok(self.strings.get_mut(key).expect("inserted above"))
    }

    /// INCR, DECR, INCRBY, DECRBY. The TTL is kept.
    pub fn incr_by(&mut self, key: &[u8], delta: i64, now: u64) -> CmdResult<i64> {
        self.expire_if_needed(key, now);
        let cur = match self.get_str(key, now)? {
            Some(v) => parse_i64(v).ok_or(CmdError::NotInteger)?,
            None => 0,
        };
        let n = cur.checked_add(delta).ok_or(CmdError::Overflow)?;
        let mut text = itoa::Buffer::new();
        let text = text.format(n).as_bytes();
        self.str_put(key, text);
        // The effect, not the request: the new value (the TTL stays as it was).
        self.log(&[b"SET", key, text, b"KEEPTTL"]);
        self.changed(key, class::STRING, "incrby");
        Ok(n)
    }

    /// INCRBYFLOAT; returns the new value's text. As in Redis, the key's type is checked first,
    /// then its value, then the increment (`incr`, unparsed), all in long double.
    pub fn incr_by_float(&mut self, key: &[u8], incr: &[u8], now: u64) -> CmdResult<Vec<u8>> {
        use super::longdouble::{add, AddError};
        self.expire_if_needed(key, now);
        let text = add(self.get_str(key, now)?, incr).map_err(|e| match e {
            AddError::NanOrInfinity => CmdError::NanOrInfinity,
            AddError::Current | AddError::Increment => CmdError::NotFloat,
        })?;
        self.str_put(key, &text);
        self.log(&[b"SET", key, &text, b"KEEPTTL"]);
        self.changed(key, class::STRING, "incrbyfloat");
        Ok(text)
    }

    /// APPEND; returns the new length.
    pub fn append(&mut self, key: &[u8], val: &[u8], now: u64) -> CmdResult<usize> {
        if let Some(v) = self.get_str(key, now)? {
            if v.len() + val.len() > MAX_STRING {
                return Err(CmdError::StringTooLong);
            }
        }
        let v = self.str_entry(key, now)?;
        v.extend_from_slice(val);
        let len = v.len();
        self.changed(key, class::STRING, "append");
        Ok(len)
    }

    /// SETRANGE; returns the new length. An empty value changes nothing and creates no key.
    pub fn setrange(&mut self, key: &[u8], offset: i64, val: &[u8], now: u64) -> CmdResult<usize> {
        if offset < 0 {
            return Err(CmdError::OffsetOutOfRange);
        }
        let offset = offset as usize;
        let cur_len = self.get_str(key, now)?.map_or(0, |v| v.len());
        if val.is_empty() {
            return Ok(cur_len);
        }
        if offset + val.len() > MAX_STRING {
            return Err(CmdError::StringTooLong);
        }
        let v = self.str_entry(key, now)?;
        if v.len() < offset + val.len() {
            v.resize(offset + val.len(), 0);
        }
        v[offset..offset + val.len()].copy_from_slice(val);
        let len = v.len();
        self.log(&[
            b"SETRANGE",
            key,
            itoa::Buffer::new().format(offset).as_bytes(),
            val,
        ]);
        self.changed(key, class::STRING, "setrange");
        Ok(len)
    }

    /// GETDEL: the value, and the key removed.
    pub fn getdel(&mut self, key: &[u8], now: u64) -> CmdResult<Option<Vec<u8>>> {
        self.expire_if_needed(key, now);
        if self.non_string(key) {
            return Err(CmdError::WrongType);
        }
        let v = self.strings.remove(key);
        if v.is_some() {
            self.set_expire(key, None);
            self.log(&[b"DEL", key]);
            self.changed(key, class::GENERIC, "del");
        }
        Ok(v)
    }
}

/// GETRANGE's index arithmetic (Redis 7.0): the byte range of a `len`-byte value, or None for "".
pub fn byte_range(len: usize, mut start: i64, mut end: i64) -> Option<std::ops::Range<usize>> {
    let n = len as i64;
    if start < 0 && end < 0 && start > end {
        return None;
    }
    if start < 0 {
        start += n;
    }
    if end < 0 {
        end += n;
    }
    start = start.max(0);
    end = end.max(0);
    if end >= n {
        end = n - 1;
    }
    if start > end || n == 0 {
        return None;
    }
    Some(start as usize..end as usize + 1)
}

/// One common run of LCS IDX: its ranges in `a` and in `b` (inclusive), and its length.
#[derive(Debug, PartialEq, Eq)]
pub struct LcsMatch {
    pub a: (usize, usize),
    pub b: (usize, usize),
    pub len: usize,
}

/// The longest common subsequence of `a` and `b` (Redis's LCS): the subsequence, and the runs
/// it is made of from the end backwards, walked as Redis walks its table so that ties resolve
/// the same way. `table_limit` bounds the table's bytes (proto-max-bulk-len in Redis).
pub fn lcs(a: &[u8], b: &[u8], table_limit: u64) -> CmdResult<(Vec<u8>, Vec<LcsMatch>)> {
    let (alen, blen) = (a.len(), b.len());
    if alen >= u32::MAX as usize - 1 || blen >= u32::MAX as usize - 1 {
        return Err(CmdError::Other("String too long for LCS".into()));
    }
    let cells = (alen as u64 + 1) * (blen as u64 + 1);
    if cells.saturating_mul(4) > table_limit {
        return Err(CmdError::Other(
            "Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len".into(),
        ));
    }
    let w = blen + 1;
    let mut t = vec![0u32; cells as usize];
    for i in 1..=alen {
        for j in 1..=blen {
            t[i * w + j] = if a[i - 1] == b[j - 1] {
                t[(i - 1) * w + j - 1] + 1
            } else {
                t[(i - 1) * w + j].max(t[i * w + j - 1])
            };
        }
    }
    let mut idx = t[alen * w + blen] as usize;
    let mut out = vec![0u8; idx];
    let mut runs = Vec::new();
    // `None`: no run open.
    let mut run: Option<((usize, usize), (usize, usize))> = None;
    let (mut i, mut j) = (alen, blen);
    while i > 0 && j > 0 {
        let mut emit = false;
        if a[i - 1] == b[j - 1] {
            out[idx - 1] = a[i - 1];
            match &mut run {
                None => run = Some(((i - 1, i - 1), (j - 1, j - 1))),
                Some((ra, rb)) if ra.0 == i && rb.0 == j => {
                    ra.0 -= 1;
                    rb.0 -= 1;
                }
                Some(_) => emit = true,
            }
            if let Some((ra, rb)) = &run {
                if ra.0 == 0 || rb.0 == 0 {
                    emit = true;
                }
            }
            idx -= 1;
            i -= 1;
            j -= 1;
        } else {
            if t[(i - 1) * w + j] > t[i * w + j - 1] {
                i -= 1;
            } else {
                j -= 1;
            }
            if run.is_some() {
                emit = true;
            }
        }
        if emit {
            if let Some((ra, rb)) = run.take() {
                runs.push(LcsMatch {
                    a: ra,
                    b: rb,
                    len: ra.1 - ra.0 + 1,
                });
            }
        }
    }
    Ok((out, runs))
}
