//! A shard's string keys: one table slot and, for most keys, one allocation per key. A key and
//! its value live back to back in one buffer (as Redis embeds a short string in its object); a
//! value changed in place (APPEND, SETRANGE, SETBIT, the HyperLogLog commands) moves to a
//! buffer of its own that can grow, as Redis turns an embedded string raw.

use super::Hasher;
use hashbrown::HashTable;

/// Two byte strings in one buffer: the first's length (1 byte, or 255 and 4 bytes
/// little-endian), the first, the second (a string key and its value; a hash field and its).
pub fn pack_two(first: &[u8], second: &[u8]) -> Box<[u8]> {
    let mut b = Vec::with_capacity(first.len() + second.len() + 5);
    if first.len() < 255 {
        b.push(first.len() as u8);
    } else {
        b.push(255);
        b.extend_from_slice(&(first.len() as u32).to_le_bytes());
    }
    b.extend_from_slice(first);
    b.extend_from_slice(second);
    b.into_boxed_slice()
}

/// The two strings of a [`pack_two`] buffer.
#[inline]
pub fn split_two(b: &[u8]) -> (&[u8], &[u8]) {
    let (start, end) = match b[0] {
        255 => {
            let n = u32::from_le_bytes(b[1..5].try_into().expect("4 bytes")) as usize;
            (5, 5 + n)
        }
        n => (1, 1 + n as usize),
    };
    (&b[start..end], &b[end..])
}

/// One key and its value.
enum Entry {
    /// The key's length (1 byte, or 255 and 4 bytes little-endian), the key, the value.
    Packed(Box<[u8]>),
    /// A value that grows in place, with its key.
    Raw(Box<RawEntry>),
}

struct RawEntry {
    key: Box<[u8]>,
    val: Vec<u8>,
}

impl Entry {
    fn new(key: &[u8], val: &[u8]) -> Entry {
        Entry::Packed(pack_two(key, val))
    }

    #[inline]
    fn key(&self) -> &[u8] {
        match self {
            Entry::Packed(b) => split_two(b).0,
            Entry::Raw(r) => &r.key,
        }
    }

    #[inline]
    fn val(&self) -> &[u8] {
        match self {
            Entry::Packed(b) => split_two(b).1,
            Entry::Raw(r) => &r.val,
        }
    }

    /// The value, growable (a packed entry turns raw).
    fn val_mut(&mut self) -> &mut Vec<u8> {
        if let Entry::Packed(_) = self {
            let raw = RawEntry {
                key: self.key().into(),
                val: self.val().to_vec(),
            };
            *self = Entry::Raw(Box::new(raw));
        }
        match self {
            Entry::Raw(r) => &mut r.val,
            Entry::Packed(_) => unreachable!("made raw above"),
        }
    }

    fn into_val(self) -> Vec<u8> {
        match self {
            Entry::Packed(_) => self.val().to_vec(),
            Entry::Raw(r) => r.val,
        }
    }

    /// The bytes it holds beyond its table slot (MEMORY USAGE).
    fn bytes(&self) -> usize {
        match self {
            Entry::Packed(b) => b.len(),
            Entry::Raw(r) => std::mem::size_of::<RawEntry>() + r.key.len() + r.val.capacity(),
        }
    }
}

/// String keys and their values.
pub struct StrMap {
    table: HashTable<Entry>,
    hasher: Hasher,
}

impl StrMap {
    pub fn with_hasher(hasher: Hasher) -> StrMap {
        StrMap {
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

    /// Room for `more` keys without growing (a load that knows its size).
    pub fn reserve(&mut self, more: usize) {
        let hasher = &self.hasher;
        self.table.reserve(more, |e| hasher.hash_one(e.key()));
    }

    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }

    #[inline]
    pub fn get(&self, key: &[u8]) -> Option<&[u8]> {
        self.table
            .find(self.hash(key), |e| e.key() == key)
            .map(Entry::val)
    }

    #[inline]
    pub fn contains_key(&self, key: &[u8]) -> bool {
        self.get(key).is_some()
    }

    /// The value for changing in place (it moves to a growable buffer of its own, for good).
    pub fn get_mut(&mut self, key: &[u8]) -> Option<&mut Vec<u8>> {
        let h = self.hash(key);
        self.table
            .find_mut(h, |e| e.key() == key)
            .map(Entry::val_mut)
    }

    /// Sets `key` to `val` (packed with its key), replacing any value it had; true when it had
    /// one.
    pub fn insert(&mut self, key: &[u8], val: &[u8]) -> bool {
        let h = self.hash(key);
        let hasher = &self.hasher;
        super::keymap::room_for_one(&mut self.table, |e| hasher.hash_one(e.key()));
        match self
            .table
            .entry(h, |e| e.key() == key, |e| hasher.hash_one(e.key()))
        {
            hashbrown::hash_table::Entry::Occupied(mut o) => {
                *o.get_mut() = Entry::new(key, val);
                true
            }
            hashbrown::hash_table::Entry::Vacant(v) => {
                v.insert(Entry::new(key, val));
                false
            }
        }
    }

    pub fn remove(&mut self, key: &[u8]) -> Option<Vec<u8>> {
        let h = self.hash(key);
        match self.table.find_entry(h, |e| e.key() == key) {
            Ok(o) => Some(o.remove().0.into_val()),
            Err(_) => None,
        }
    }

    pub fn keys(&self) -> impl Iterator<Item = &[u8]> + '_ {
        self.table.iter().map(Entry::key)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&[u8], &[u8])> + '_ {
        self.table.iter().map(|e| (e.key(), e.val()))
    }

    /// The bytes `key`'s entry holds (None: missing).
    pub fn entry_bytes(&self, key: &[u8]) -> Option<usize> {
        self.table
            .find(self.hash(key), |e| e.key() == key)
            .map(Entry::bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_one_slot_wide() {
        assert_eq!(std::mem::size_of::<Entry>(), 16);
    }

    #[test]
    fn insert_get_mut_remove() {
        let mut m = StrMap::with_hasher(Hasher::new());
        let long_key = vec![b'k'; 300];
        m.insert(b"a", b"1");
        m.insert(&long_key, b"");
        m.insert(b"", b"empty key");
        assert_eq!(m.get(b"a"), Some(&b"1"[..]));
        assert_eq!(m.get(&long_key), Some(&b""[..]));
        assert_eq!(m.get(b""), Some(&b"empty key"[..]));
        m.get_mut(b"a").unwrap().extend_from_slice(b"23");
        assert_eq!(m.get(b"a"), Some(&b"123"[..]));
        m.insert(b"a", b"x");
        assert_eq!(m.get(b"a"), Some(&b"x"[..]));
        assert_eq!(m.len(), 3);
        assert_eq!(m.remove(&long_key), Some(vec![]));
        assert_eq!(m.remove(b"zz"), None);
        let mut keys: Vec<&[u8]> = m.keys().collect();
        keys.sort();
        assert_eq!(keys, [&b""[..], b"a"]);
    }
}
