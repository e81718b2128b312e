//! List operations on a shard. A list is a `VecDeque` of values: O(1) pushes and pops at both
//! ends, O(1) indexing. A list whose last element is removed is removed with its key.

use super::{Coll, Shard};
use crate::error::{CmdError, CmdResult};
use std::collections::VecDeque;

pub type ListVal = VecDeque<Vec<u8>>;

/// Which end of a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    Left,
    Right,
}

impl End {
    pub fn name(self) -> &'static [u8] {
        match self {
            End::Left => b"LEFT",
            End::Right => b"RIGHT",
        }
    }
}

/// Redis's LRANGE/LTRIM index arithmetic: the inclusive range `start..=stop` of a `len`-long list
/// (negative indexes count from the end), or None when it selects nothing.
pub fn index_range(len: usize, start: i64, stop: i64) -> Option<(usize, usize)> {
    let n = len as i64;
    let start = if start < 0 { (n + start).max(0) } else { start };
    let stop = if stop < 0 { n + stop } else { stop.min(n - 1) };
    if start > stop || start >= n {
        None
    } else {
        Some((start as usize, stop as usize))
    }
}

/// A single index (negative from the end), if it is inside the list.
pub fn index(len: usize, i: i64) -> Option<usize> {
    let i = if i < 0 { len as i64 + i } else { i };
    (i >= 0 && (i as usize) < len).then_some(i as usize)
}

impl Shard {
    /// The live list at `key`, or WRONGTYPE if it holds another type.
    pub fn get_list(&self, key: &[u8], now: u64) -> CmdResult<Option<&ListVal>> {
        self.get_coll(key, now, |c| match c {
            Coll::List(l) => Some(l),
            _ => None,
        })
    }

    /// The list at `key` for writing (expired keys deleted first); created empty when `create`.
    pub fn list_mut(
        &mut self,
        key: &[u8],
        now: u64,
        create: bool,
    ) -> CmdResult<Option<&mut ListVal>> {
        let new: fn(&super::Hasher) -> Coll = |_| Coll::List(VecDeque::new());
        self.coll_mut(key, now, create.then_some(new), |c| match c {
            Coll::List(l) => Some(l),
            _ => None,
        })
    }

    /// Removes the list at `key` if it became empty.
    pub fn drop_if_empty(&mut self, key: &[u8]) {
        if self.colls.get(key).is_some_and(Coll::is_empty) {
            self.remove(key);
        }
    }

    /// LPUSH/RPUSH (and the X forms with `only_existing`): the new length, 0 when nothing happened.
    pub fn push<'a>(
        &mut self,
        key: &[u8],
        vals: impl Iterator<Item = &'a [u8]>,
        end: End,
        only_existing: bool,
        now: u64,
    ) -> CmdResult<usize> {
        let Some(l) = self.list_mut(key, now, !only_existing)? else {
            return Ok(0);
        };
        for v in vals {
            match end {
                End::Left => l.push_front(v.to_vec()),
                End::Right => l.push_back(v.to_vec()),
            }
        }
        let n = l.len();
        self.signal_ready(key);
        Ok(n)
    }

    /// LPOP/RPOP: up to `count` values from one end (None when the key is missing).
    pub fn pop(
        &mut self,
        key: &[u8],
        count: usize,
        end: End,
        now: u64,
    ) -> CmdResult<Option<Vec<Vec<u8>>>> {
        let Some(l) = self.list_mut(key, now, false)? else {
            return Ok(None);
        };
        let n = count.min(l.len());
        let out: Vec<Vec<u8>> = match end {
            End::Left => l.drain(..n).collect(),
            End::Right => {
                let mut v: Vec<Vec<u8>> = l.drain(l.len() - n..).collect();
                v.reverse();
                v
            }
        };
        self.drop_if_empty(key);
        Ok(Some(out))
    }

    /// LSET.
    pub fn lset(&mut self, key: &[u8], i: i64, val: &[u8], now: u64) -> CmdResult<()> {
        let l = self.list_mut(key, now, false)?.ok_or(CmdError::NoSuchKey)?;
        let i = index(l.len(), i).ok_or_else(|| CmdError::Other("index out of range".into()))?;
        l[i] = val.to_vec();
        Ok(())
    }

    /// LINSERT: the new length, -1 when the pivot is missing, 0 when the key is.
    pub fn linsert(
        &mut self,
        key: &[u8],
        after: bool,
        pivot: &[u8],
        val: &[u8],
        now: u64,
    ) -> CmdResult<i64> {
        let Some(l) = self.list_mut(key, now, false)? else {
            return Ok(0);
        };
        match l.iter().position(|v| v.as_slice() == pivot) {
            Some(p) => {
                l.insert(p + after as usize, val.to_vec());
                let n = l.len() as i64;
                self.signal_ready(key);
                Ok(n)
            }
            None => Ok(-1),
        }
    }

    /// LREM: removes up to |count| elements equal to `val` (all when 0; from the tail when
    /// negative). Returns how many.
    pub fn lrem(&mut self, key: &[u8], count: i64, val: &[u8], now: u64) -> CmdResult<usize> {
        let Some(l) = self.list_mut(key, now, false)? else {
            return Ok(0);
        };
        let limit = if count == 0 {
            usize::MAX
        } else {
            count.unsigned_abs() as usize
        };
        let mut removed = 0;
        if count >= 0 {
            let mut i = 0;
            while i < l.len() && removed < limit {
                if l[i] == val {
                    l.remove(i);
                    removed += 1;
                } else {
                    i += 1;
                }
            }
        } else {
            let mut i = l.len();
            while i > 0 && removed < limit {
                i -= 1;
                if l[i] == val {
                    l.remove(i);
                    removed += 1;
                }
            }
        }
        self.drop_if_empty(key);
        Ok(removed)
    }

    /// LTRIM.
    pub fn ltrim(&mut self, key: &[u8], start: i64, stop: i64, now: u64) -> CmdResult<()> {
        let Some(l) = self.list_mut(key, now, false)? else {
            return Ok(());
        };
        match index_range(l.len(), start, stop) {
            Some((a, b)) => {
                l.truncate(b + 1);
                l.drain(..a);
            }
            None => l.clear(),
        }
        self.drop_if_empty(key);
        Ok(())
    }
}
