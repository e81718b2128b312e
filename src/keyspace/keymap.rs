//! A shard's hashes, collections and deadlines by key: one allocation per key holding the key
//! (inline when short, as most keys are) beside its value, behind an 8-byte table slot. A map of
//! `Box<[u8]>` to the value put the value in the table itself (a 48 to 56-byte slot, for every
//! bucket, used or not) and the key in an allocation of its own; here an empty bucket costs 8
//! bytes and a lookup still reads one allocation (the node, where it read the key's). The
//! deadlines had an `IndexMap` for random picks, whose entry array grows to the index's
//! capacity (up to twice the keys); [`KeyMap::sample`] picks from the table's buckets instead.

use super::Hasher;
use hashbrown::HashTable;

/// Makes `$t` hash and compare as the bytes `$t::$bytes` gives, and be found in a map or set by
/// them (`Borrow<[u8]>`: their hash and equality are the bytes', as it requires).
macro_rules! bytes_key {
    ($t:ty, $bytes:ident) => {
        impl PartialEq for $t {
            fn eq(&self, other: &$t) -> bool {
                self.$bytes() == other.$bytes()
            }
        }

        impl Eq for $t {}

        impl std::hash::Hash for $t {
            fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
                self.$bytes().hash(state)
            }
        }

        impl std::borrow::Borrow<[u8]> for $t {
            fn borrow(&self) -> &[u8] {
                self.$bytes()
            }
        }
    };
}
pub(crate) use bytes_key;

/// Called before an insert into `t`: when the table has no room left, it is rebuilt for its
/// entries plus one rather than left to hashbrown, which doubles a table that is more than half
/// full even when what fills it is the tombstones of removed entries: a table with steady
/// inserts and removals at one size (a cache evicting, a queue of keys) would keep twice the
/// slots its entries need. A full table of live entries grows to the next size, as hashbrown
/// grows it.
#[inline]
pub(crate) fn room_for_one<T>(t: &mut HashTable<T>, hash: impl Fn(&T) -> u64) {
    if t.capacity() == t.len() {
        rebuild(t, hash);
    }
}

#[cold]
fn rebuild<T>(t: &mut HashTable<T>, hash: impl Fn(&T) -> u64) {
    let mut fresh = HashTable::with_capacity(t.len() + 1);
    for e in t.drain() {
        fresh.insert_unique(hash(&e), e, &hash);
    }
    *t = fresh;
}

/// Bytes kept inline: with a 40-byte value, a node is 64 bytes.
const INLINE: usize = 22;

/// A short byte string kept inline (up to 22 bytes, in 24), a longer one boxed. Hashes and
/// compares as its bytes, so a map of them finds an entry by a `&[u8]`.
#[derive(Clone)]
pub enum SmallBytes {
    Short { len: u8, bytes: [u8; INLINE] },
    Long(Box<[u8]>),
}

impl SmallBytes {
    pub fn new(b: &[u8]) -> SmallBytes {
        if b.len() <= INLINE {
            let mut bytes = [0u8; INLINE];
            bytes[..b.len()].copy_from_slice(b);
            SmallBytes::Short {
                len: b.len() as u8,
                bytes,
            }
        } else {
            SmallBytes::Long(b.into())
        }
    }

    #[inline]
    pub fn get(&self) -> &[u8] {
        match self {
            SmallBytes::Short { len, bytes } => &bytes[..*len as usize],
            SmallBytes::Long(b) => b,
        }
    }
}

impl std::ops::Deref for SmallBytes {
    type Target = [u8];
    #[inline]
    fn deref(&self) -> &[u8] {
        self.get()
    }
}

bytes_key!(SmallBytes, get);

struct Node<V> {
    key: SmallBytes,
    val: V,
}

/// Keys and their values (a HashMap's API, as far as the shard uses it).
pub struct KeyMap<V> {
    table: HashTable<Box<Node<V>>>,
    hasher: Hasher,
}

impl<V> KeyMap<V> {
    pub fn with_hasher(hasher: Hasher) -> KeyMap<V> {
        KeyMap {
            table: HashTable::new(),
            hasher,
        }
    }

    #[inline]
    fn hash(&self, key: &[u8]) -> u64 {
        self.hasher.hash_one(key)
    }

    pub fn len(&self) -> usize {
        self.table.len()
    }

    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }

    #[inline]
    pub fn get(&self, key: &[u8]) -> Option<&V> {
        self.table
            .find(self.hash(key), |n| n.key.get() == key)
            .map(|n| &n.val)
    }

    #[inline]
    pub fn get_mut(&mut self, key: &[u8]) -> Option<&mut V> {
        let h = self.hash(key);
        self.table
            .find_mut(h, |n| n.key.get() == key)
            .map(|n| &mut n.val)
    }

    #[inline]
    pub fn contains_key(&self, key: &[u8]) -> bool {
        self.get(key).is_some()
    }

    /// Sets `key` to `val`; the value it had, if any.
    pub fn insert(&mut self, key: &[u8], val: V) -> Option<V> {
        let h = self.hash(key);
        let hasher = &self.hasher;
        room_for_one(&mut self.table, |n| hasher.hash_one(n.key.get()));
        match self
            .table
            .entry(h, |n| n.key.get() == key, |n| hasher.hash_one(n.key.get()))
        {
            hashbrown::hash_table::Entry::Occupied(mut o) => {
                Some(std::mem::replace(&mut o.get_mut().val, val))
            }
            hashbrown::hash_table::Entry::Vacant(v) => {
                v.insert(Box::new(Node {
                    key: SmallBytes::new(key),
                    val,
                }));
                None
            }
        }
    }

    pub fn remove(&mut self, key: &[u8]) -> Option<V> {
        let h = self.hash(key);
        match self.table.find_entry(h, |n| n.key.get() == key) {
            Ok(o) => Some(o.remove().0.val),
            Err(_) => None,
        }
    }

    pub fn keys(&self) -> impl Iterator<Item = &[u8]> + '_ {
        self.table.iter().map(|n| n.key.get())
    }

    pub fn iter(&self) -> impl Iterator<Item = (&[u8], &V)> + '_ {
        self.table.iter().map(|n| (n.key.get(), &n.val))
    }

    /// Room for `more` keys without growing (a load that knows its size).
    pub fn reserve(&mut self, more: usize) {
        let hasher = &self.hasher;
        self.table.reserve(more, |n| hasher.hash_one(n.key.get()));
    }

    pub fn hasher(&self) -> &Hasher {
        &self.hasher
    }

    /// A key and its value at random: a random bucket, then the first full one from there, as
    /// Redis samples its dictionaries (a key after a run of empty buckets comes up more often).
    pub fn sample(&self, rng: &mut impl rand::Rng) -> Option<(&[u8], &V)> {
        if self.table.is_empty() {
            return None;
        }
        let n = self.table.num_buckets();
        let start = rng.random_range(0..n);
        (0..n)
            .find_map(|i| self.table.get_bucket((start + i) % n))
            .map(|node| (node.key.get(), &node.val))
    }
}

impl<'a, V> IntoIterator for &'a KeyMap<V> {
    type Item = (&'a [u8], &'a V);
    type IntoIter = Box<dyn Iterator<Item = (&'a [u8], &'a V)> + 'a>;

    fn into_iter(self) -> Self::IntoIter {
        Box::new(self.iter())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// A table whose keys come and go at one count keeps the size that count needs: removed
    /// entries' tombstones do not make it double.
    #[test]
    fn churn_at_one_size_does_not_grow_the_table() {
        let mut m: KeyMap<u32> = KeyMap::with_hasher(Hasher::new());
        for i in 0..160u32 {
            m.insert(format!("k{i}").as_bytes(), i);
        }
        let fitted = m.table.capacity();
        for i in 160..20_000u32 {
            m.remove(format!("k{}", i - 160).as_bytes());
            m.insert(format!("k{i}").as_bytes(), i);
            assert!(
                m.table.capacity() <= fitted,
                "{} > {fitted}",
                m.table.capacity()
            );
        }
        assert_eq!(m.len(), 160);
        assert_eq!(m.get(b"k19999"), Some(&19_999));
    }

    #[test]
    fn sampling_reaches_every_key() {
        let mut m: KeyMap<u32> = KeyMap::with_hasher(Hasher::new());
        for i in 0..50u32 {
            m.insert(format!("k{i}").as_bytes(), i);
        }
        let mut seen = std::collections::HashSet::new();
        let mut rng = rand::rng();
        for _ in 0..20_000 {
            seen.insert(*m.sample(&mut rng).unwrap().1);
        }
        assert_eq!(seen.len(), 50);
    }

    #[test]
    fn a_node_of_the_largest_value_fits_64_bytes() {
        assert_eq!(std::mem::size_of::<Node<u64>>(), 32);
        assert_eq!(std::mem::size_of::<SmallBytes>(), 24);
        assert!(std::mem::size_of::<Node<super::super::Coll>>() <= 64);
        assert!(std::mem::size_of::<Node<super::super::HashVal>>() <= 64);
        assert_eq!(std::mem::size_of::<Box<Node<u64>>>(), 8);
    }

    proptest::proptest! {
        /// Behaves as a HashMap under random inserts, removals and lookups, with keys on both
        /// sides of the inline length.
        #[test]
        fn behaves_as_a_hash_map(ops in proptest::collection::vec(
            (0u8..3, 0usize..40, 0u8..8, proptest::num::u32::ANY), 0..400)
        ) {
            let mut m: KeyMap<u32> = KeyMap::with_hasher(Hasher::new());
            let mut model: HashMap<Vec<u8>, u32> = HashMap::new();
            for (op, len, fill, v) in ops {
                let key = vec![b'a' + fill; len];
                match op {
                    0 => proptest::prop_assert_eq!(m.insert(&key, v), model.insert(key, v)),
                    1 => proptest::prop_assert_eq!(m.remove(&key), model.remove(&key)),
                    _ => {
                        if let Some(x) = m.get_mut(&key) {
                            *x = x.wrapping_add(1);
                        }
                        if let Some(x) = model.get_mut(&key) {
                            *x = x.wrapping_add(1);
                        }
                    }
                }
                proptest::prop_assert_eq!(m.len(), model.len());
            }
            for (k, v) in &model {
                proptest::prop_assert_eq!(m.get(k), Some(v));
            }
            let mut keys: Vec<Vec<u8>> = m.keys().map(<[u8]>::to_vec).collect();
            keys.sort();
            let mut want: Vec<Vec<u8>> = model.keys().cloned().collect();
            want.sort();
            proptest::prop_assert_eq!(keys, want);
            proptest::prop_assert_eq!(m.iter().count(), model.len());
            let mut rng = rand::rng();
            for _ in 0..8 {
                match m.sample(&mut rng) {
                    Some((k, v)) => proptest::prop_assert_eq!(model.get(k), Some(v)),
                    None => proptest::prop_assert!(model.is_empty()),
                }
            }
        }
    }
}
