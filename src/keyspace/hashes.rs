//! Hash operations on a shard. A hash is an `IndexMap` of field to value: O(1) lookups, O(1)
//! random picks for HRANDFIELD, and an entry order that HSCAN's cursor relies on (fields are only
//! appended, or swap-removed: never use `shift_remove` or re-sort a hash). A hash whose last field
//! is deleted is removed with its key.

use super::events::class;
use super::{HashVal, Shard};
use crate::error::{CmdError, CmdResult};
use crate::resp::parse_i64;

impl Shard {
    /// The hash for writing, created empty when missing; WRONGTYPE for a string key.
    pub fn hash_entry(&mut self, key: &[u8], now: u64) -> CmdResult<&mut HashVal> {
        self.expire_if_needed(key, now);
        if self.non_hash(key) {
            return Err(CmdError::WrongType);
        }
        if !self.hashes.contains_key(key) {
            let h = HashVal::with_hasher(self.expires.hasher().clone());
            self.hashes.insert(key.into(), h);
            self.created(key);
        }
        Ok(self.hashes.get_mut(key).expect("inserted above"))
    }

    /// HSET/HMSET (and HSETNX with `only_new`): returns the number of fields added.
    pub fn hset<'a>(
        &mut self,
        key: &[u8],
        pairs: impl Iterator<Item = (&'a [u8], &'a [u8])>,
        only_new: bool,
        now: u64,
    ) -> CmdResult<usize> {
        let h = self.hash_entry(key, now)?;
        let mut added = 0;
        for (f, v) in pairs {
            match h.get_mut(f) {
                Some(_) if only_new => {}
                Some(old) => {
                    old.clear();
                    old.extend_from_slice(v);
                }
                None => {
                    h.insert(f.into(), v.to_vec());
                    added += 1;
                }
            }
        }
        if h.is_empty() {
            // HSETNX on a new key that added nothing cannot happen (it always adds), but keep
            // the invariant that no empty hash is ever stored.
            self.hashes.remove(key);
        }
        Ok(added)
    }

    /// HDEL: returns the number of fields removed; the key goes when the hash empties.
    pub fn hdel<'a>(
        &mut self,
        key: &[u8],
        fields: impl Iterator<Item = &'a [u8]>,
        now: u64,
    ) -> CmdResult<usize> {
        self.expire_if_needed(key, now);
        if self.non_hash(key) {
            return Err(CmdError::WrongType);
        }
        let Some(h) = self.hashes.get_mut(key) else {
            return Ok(0);
        };
        let removed = fields.filter(|f| h.swap_remove(*f).is_some()).count();
        if h.is_empty() {
            self.remove(key);
        }
        Ok(removed)
    }

    /// HINCRBY: returns the new value.
    pub fn hincr_by(&mut self, key: &[u8], field: &[u8], delta: i64, now: u64) -> CmdResult<i64> {
        let h = self.hash_entry(key, now)?;
        let cur = match h.get(field) {
            Some(v) => parse_i64(v).ok_or(CmdError::HashNotInteger)?,
            None => 0,
        };
        let n = cur.checked_add(delta).ok_or(CmdError::Overflow)?;
        let mut text = itoa::Buffer::new();
        let text = text.format(n).as_bytes();
        h.insert(field.into(), text.to_vec());
        self.log(&[b"HSET", key, field, text]);
        self.changed(key, class::HASH, "hincrby");
        Ok(n)
    }

    /// HINCRBYFLOAT: returns the new value's text. The increment (`incr`, unparsed) has been
    /// checked by the handler; the field's value is read as a long double, as in Redis.
    pub fn hincr_by_float(
        &mut self,
        key: &[u8],
        field: &[u8],
        incr: &[u8],
        now: u64,
    ) -> CmdResult<Vec<u8>> {
        use super::longdouble::{add, AddError};
        let h = self.hash_entry(key, now)?;
        let res = add(h.get(field).map(|v| v.as_slice()), incr);
        let text = match res {
            Ok(t) => t,
            Err(e) => {
                if h.is_empty() {
                    self.hashes.remove(key);
                }
                return Err(match e {
                    AddError::Current => CmdError::HashNotFloat,
                    AddError::Increment => CmdError::NotFloat,
                    AddError::NanOrInfinity => CmdError::NanOrInfinity,
                });
            }
        };
        h.insert(field.into(), text.clone());
        self.log(&[b"HSET", key, field, &text]);
        self.changed(key, class::HASH, "hincrbyfloat");
        Ok(text)
    }
}
