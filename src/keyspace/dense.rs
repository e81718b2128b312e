//! A set of entries found by their bytes, kept dense in one array: the large encoding of sets
//! and hashes. A position in the array is HSCAN's/SSCAN's cursor and HRANDFIELD's/SRANDMEMBER's
//! pick; entries are only appended or swap-removed (the last one moves into the hole), as Redis's
//! dict cursor tolerates. Beside the array, a hash index holds 4-byte positions (an `IndexSet`
//! keeps an 8-byte position in its index and a cached hash beside each entry: 12 bytes more per
//! entry); a hash is recomputed from the entry's bytes when the index grows.

use super::Hasher;
use hashbrown::HashTable;
use std::borrow::Borrow;

fn hash(b: &[u8]) -> u64 {
    Hasher::new().hash_one(b)
}

/// Positions in an array of entries, found by the entries' bytes: the index of a [`DenseSet`],
/// and of a large sorted set's skip-list nodes. Each method is given `bytes_at`, the bytes of
/// the entry at a position (the index keeps no hash or key of its own).
#[derive(Clone)]
pub struct PosIndex(HashTable<u32>);

impl PosIndex {
    pub fn with_capacity(n: usize) -> Self {
        PosIndex(HashTable::with_capacity(n))
    }

    /// The position of the entry whose bytes are `key`.
    #[inline]
    pub fn find<'a>(&self, key: &[u8], bytes_at: impl Fn(u32) -> &'a [u8]) -> Option<u32> {
        self.0.find(hash(key), |&i| bytes_at(i) == key).copied()
    }

    /// Records `at` for `key`, which is not indexed yet.
    pub fn insert<'a>(&mut self, key: &[u8], at: u32, bytes_at: impl Fn(u32) -> &'a [u8]) {
        let rehash = |&i: &u32| hash(bytes_at(i));
        super::keymap::room_for_one(&mut self.0, rehash);
        self.0.insert_unique(hash(key), at, rehash);
    }

    /// Forgets position `at`, which holds `key`.
    pub fn remove(&mut self, key: &[u8], at: u32) {
        if let Ok(e) = self.0.find_entry(hash(key), |&i| i == at) {
            e.remove();
        }
    }

    /// The entry holding `key` moves from position `from` to `to`.
    pub fn repoint(&mut self, key: &[u8], from: u32, to: u32) {
        if let Some(slot) = self.0.find_mut(hash(key), |&i| i == from) {
            *slot = to;
        }
    }
}

#[derive(Clone)]
pub struct DenseSet<T> {
    entries: Vec<T>,
    index: PosIndex,
}

impl<T: Borrow<[u8]>> DenseSet<T> {
    pub fn with_capacity(n: usize) -> Self {
        DenseSet {
            entries: Vec::with_capacity(n),
            index: PosIndex::with_capacity(n),
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        self.entries.iter()
    }

    pub fn get_index(&self, i: usize) -> Option<&T> {
        self.entries.get(i)
    }

    fn position(&self, key: &[u8]) -> Option<usize> {
        let entries = &self.entries;
        self.index
            .find(key, |i| entries[i as usize].borrow())
            .map(|i| i as usize)
    }

    pub fn get(&self, key: &[u8]) -> Option<&T> {
        self.position(key).map(|i| &self.entries[i])
    }

    pub fn contains(&self, key: &[u8]) -> bool {
        self.position(key).is_some()
    }

    /// Adds `entry` unless one with its bytes is there; true when added.
    pub fn insert(&mut self, entry: T) -> bool {
        self.replace_or_insert(entry, false).is_none()
    }

    /// Adds `entry`, or puts it in the place of the one with its bytes and returns that one.
    pub fn replace(&mut self, entry: T) -> Option<T> {
        self.replace_or_insert(entry, true)
    }

    fn replace_or_insert(&mut self, entry: T, replace: bool) -> Option<T> {
        match self.position(entry.borrow()) {
            Some(i) if replace => Some(std::mem::replace(&mut self.entries[i], entry)),
            Some(_) => Some(entry),
            None => {
                let at = u32::try_from(self.entries.len()).expect("fewer than 2^32 entries");
                self.entries.push(entry);
                let entries = &self.entries;
                self.index.insert(entries[at as usize].borrow(), at, |i| {
                    entries[i as usize].borrow()
                });
                None
            }
        }
    }

    /// Removes the entry with these bytes; true when it was there.
    pub fn swap_remove(&mut self, key: &[u8]) -> bool {
        self.position(key)
            .map(|i| self.swap_remove_index(i))
            .is_some()
    }

    /// Removes the entry at position `i`; the last entry takes its place.
    pub fn swap_remove_index(&mut self, i: usize) -> Option<T> {
        if i >= self.entries.len() {
            return None;
        }
        let last = self.entries.len() - 1;
        self.index.remove(self.entries[i].borrow(), i as u32);
        if i != last {
            self.index
                .repoint(self.entries[last].borrow(), last as u32, i as u32);
        }
        Some(self.entries.swap_remove(i))
    }
}

impl<T: Borrow<[u8]>> Extend<T> for DenseSet<T> {
    fn extend<I: IntoIterator<Item = T>>(&mut self, iter: I) {
        for e in iter {
            self.insert(e);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    proptest::proptest! {
        /// Random inserts and removals, checked against a HashSet, with the index always
        /// pointing every entry at its own position.
        #[test]
        fn behaves_like_a_set(ops in proptest::collection::vec((0u8..4, 0u16..200), 1..600)) {
            let mut d: DenseSet<Box<[u8]>> = DenseSet::with_capacity(0);
            let mut model: HashSet<Vec<u8>> = HashSet::new();
            for (op, k) in ops {
                let key = format!("k{k}").into_bytes();
                match op {
                    0 => proptest::prop_assert_eq!(d.swap_remove(&key), model.remove(&key)),
                    1 if !model.is_empty() => {
                        let i = k as usize % d.len();
                        let gone = d.swap_remove_index(i).unwrap();
                        proptest::prop_assert!(model.remove(&gone[..]));
                    }
                    2 => {
                        let old = d.replace(key.clone().into_boxed_slice());
                        proptest::prop_assert_eq!(old.is_some(), !model.insert(key));
                    }
                    _ => proptest::prop_assert_eq!(
                        d.insert(key.clone().into_boxed_slice()),
                        model.insert(key)
                    ),
                }
                proptest::prop_assert_eq!(d.len(), model.len());
            }
            for (i, e) in d.iter().enumerate() {
                proptest::prop_assert_eq!(d.position(e), Some(i));
                proptest::prop_assert!(model.contains(&e[..]));
            }
            proptest::prop_assert!(d.get_index(d.len()).is_none());
        }
    }
}
