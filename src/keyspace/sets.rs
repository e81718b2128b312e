//! Set operations on a shard. A set is an `IndexSet` of members: O(1) membership, O(1) random
//! picks, and an entry order that only appends or swap-removes (SSCAN's cursor relies on it, as
//! HSCAN's does). A set whose last member is removed is removed with its key.

use super::{Coll, SetVal, Shard};
use crate::error::CmdResult;
use rand::Rng;

impl Shard {
    /// The live set at `key`, or WRONGTYPE if it holds another type.
    pub fn get_set(&self, key: &[u8], now: u64) -> CmdResult<Option<&SetVal>> {
        self.get_coll(key, now, |c| match c {
            Coll::Set(s) => Some(s),
            _ => None,
        })
    }

    /// The set at `key` for writing (expired keys deleted first); created empty when `create`.
    pub fn set_mut(
        &mut self,
        key: &[u8],
        now: u64,
        create: bool,
    ) -> CmdResult<Option<&mut SetVal>> {
        let new: fn(&super::Hasher) -> Coll = |h| Coll::Set(SetVal::with_hasher(h.clone()));
        self.coll_mut(key, now, create.then_some(new), |c| match c {
            Coll::Set(s) => Some(s),
            _ => None,
        })
    }

    /// SADD: the number of members added.
    pub fn sadd<'a>(
        &mut self,
        key: &[u8],
        members: impl Iterator<Item = &'a [u8]>,
        now: u64,
    ) -> CmdResult<usize> {
        let s = self.set_mut(key, now, true)?.expect("created");
        Ok(members.filter(|m| s.insert((*m).into())).count())
    }

    /// SREM: the number of members removed.
    pub fn srem<'a>(
        &mut self,
        key: &[u8],
        members: impl Iterator<Item = &'a [u8]>,
        now: u64,
    ) -> CmdResult<usize> {
        let Some(s) = self.set_mut(key, now, false)? else {
            return Ok(0);
        };
        let n = members.filter(|m| s.swap_remove(*m)).count();
        self.drop_if_empty(key);
        Ok(n)
    }

    /// SPOP: up to `count` random members, removed.
    pub fn spop(
        &mut self,
        key: &[u8],
        count: usize,
        now: u64,
    ) -> CmdResult<Option<Vec<Box<[u8]>>>> {
        let Some(s) = self.set_mut(key, now, false)? else {
            return Ok(None);
        };
        let mut rng = rand::rng();
        let n = count.min(s.len());
        let out = (0..n)
            .map(|_| {
                let i = rng.random_range(0..s.len());
                s.swap_remove_index(i).expect("index in range")
            })
            .collect();
        self.drop_if_empty(key);
        Ok(Some(out))
    }
}
