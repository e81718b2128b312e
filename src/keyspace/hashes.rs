//! Hashes and their operations on a shard. A small hash is packed (field, value, field, value...
//! in one buffer, Redis's listpack) until it has more than hash-max-listpack-entries fields or
//! a field or value longer than hash-max-listpack-value; then it is a
//! [`super::dense::DenseSet`] for good: O(1) lookups, O(1) random picks for HRANDFIELD, and an
//! entry order that HSCAN's cursor relies on (fields are only appended, or swap-removed). A hash
//! whose last field is deleted is removed with its key. In the table a field and its value share
//! one allocation ([`Pair`]), so an entry is one pointer.

use super::events::class;
use super::packed::{self, limit, Strings};
use super::Shard;
use crate::error::{CmdError, CmdResult};
use crate::resp::parse_i64;
type Table = super::dense::DenseSet<Pair>;

/// A field and its value in one buffer ([`super::strmap::pack_two`]). It hashes and compares
/// as its field, so the table finds it by the field's bytes.
#[derive(Clone)]
pub struct Pair(Box<[u8]>);

impl Pair {
    fn new(field: &[u8], value: &[u8]) -> Pair {
        Pair(super::strmap::pack_two(field, value))
    }

    #[inline]
    fn field(&self) -> &[u8] {
        self.both().0
    }

    #[inline]
    fn value(&self) -> &[u8] {
        self.both().1
    }

    #[inline]
    fn both(&self) -> (&[u8], &[u8]) {
        super::strmap::split_two(&self.0)
    }
}

// Found by the field's bytes.
super::keymap::bytes_key!(Pair, field);

/// A hash value.
#[derive(Clone)]
pub struct HashVal(Repr);

#[derive(Clone)]
enum Repr {
    Packed(Strings),
    Table(Box<Table>),
}

/// Fields and values of a hash, in HSCAN's order.
pub enum Iter<'a> {
    Packed(packed::Iter<'a>),
    Table(std::slice::Iter<'a, Pair>),
}

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a [u8], &'a [u8]);
    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Iter::Packed(i) => {
                let (_, f) = i.next()?;
                let (_, v) = i.next()?;
                Some((f, v))
            }
            Iter::Table(i) => i.next().map(Pair::both),
        }
    }
}

impl Default for HashVal {
    fn default() -> Self {
        HashVal(Repr::Packed(Strings::default()))
    }
}

impl<'a> IntoIterator for &'a HashVal {
    type Item = (&'a [u8], &'a [u8]);
    type IntoIter = Iter<'a>;
    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

impl HashVal {
    pub fn len(&self) -> usize {
        match &self.0 {
            Repr::Packed(p) => p.len() / 2,
            Repr::Table(t) => t.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether it is packed (OBJECT ENCODING's `listpack`; else `hashtable`).
    pub fn is_packed(&self) -> bool {
        matches!(self.0, Repr::Packed(_))
    }

    /// The bytes its packed buffer holds (None: a table).
    pub fn packed_bytes(&self) -> Option<usize> {
        match &self.0 {
            Repr::Packed(p) => Some(p.bytes()),
            Repr::Table(_) => None,
        }
    }

    pub fn iter(&self) -> Iter<'_> {
        match &self.0 {
            Repr::Packed(p) => Iter::Packed(p.iter()),
            Repr::Table(t) => Iter::Table(t.iter()),
        }
    }

    /// Offsets of a packed field and its value.
    fn find(p: &Strings, field: &[u8]) -> Option<(usize, usize)> {
        let mut it = p.iter();
        while let Some((fo, f)) = it.next() {
            let (vo, _) = it.next()?;
            if f == field {
                return Some((fo, vo));
            }
        }
        None
    }

    pub fn get(&self, field: &[u8]) -> Option<&[u8]> {
        match &self.0 {
            Repr::Packed(p) => Self::find(p, field).map(|(_, vo)| p.get(vo).0),
            Repr::Table(t) => t.get(field).map(Pair::value),
        }
    }

    pub fn contains_key(&self, field: &[u8]) -> bool {
        self.get(field).is_some()
    }

    /// The field and value at position `i` of HSCAN's and HRANDFIELD's order.
    pub fn get_index(&self, i: usize) -> Option<(&[u8], &[u8])> {
        match &self.0 {
            Repr::Packed(_) => self.iter().nth(i),
            Repr::Table(t) => t.get_index(i).map(Pair::both),
        }
    }

    /// Turns a packed hash into a table, for good, with room for `more` fields besides (sized
    /// once for the command's fields, rather than doubled field by field).
    fn unpack(&mut self, more: usize) -> &mut Table {
        if let Repr::Packed(p) = &self.0 {
            let mut t = Table::with_capacity(p.len() / 2 + more);
            t.extend(self.iter().map(|(f, v)| Pair::new(f, v)));
            self.0 = Repr::Table(Box::new(t));
        }
        match &mut self.0 {
            Repr::Table(t) => t,
            Repr::Packed(_) => unreachable!("unpacked above"),
        }
    }

    /// Sets `field` to `value`; true when the field is new. A packed hash turns into a table
    /// when the field or value is longer than hash-max-listpack-value, or past
    /// hash-max-listpack-entries fields, as Redis 7.0's hashTypeSet converts it.
    pub fn set(&mut self, field: &[u8], value: &[u8]) -> bool {
        self.set_of(field, value, 1)
    }

    /// [`HashVal::set`], `coming` fields being set now, this one included (HSET's).
    pub fn set_of(&mut self, field: &[u8], value: &[u8], coming: usize) -> bool {
        if let Repr::Packed(p) = &mut self.0 {
            let max = limit(&packed::HASH_VALUE);
            if field.len() <= max && value.len() <= max {
                if let Some((_, vo)) = Self::find(p, field) {
                    p.replace(vo, value);
                    return false;
                }
                p.insert(p.end(), &[field, value]);
                if p.len() / 2 > limit(&packed::HASH_ENTRIES) {
                    self.unpack(coming.saturating_sub(1));
                }
                return true;
            }
        }
        // A changed value takes the old pair's place in HSCAN's order.
        self.unpack(coming.max(1))
            .replace(Pair::new(field, value))
            .is_none()
    }

    /// Removes `field`; true when it was there.
    pub fn remove(&mut self, field: &[u8]) -> bool {
        match &mut self.0 {
            Repr::Packed(p) => match Self::find(p, field) {
                Some((fo, _)) => {
                    p.remove(fo, 2);
                    true
                }
                None => false,
            },
            Repr::Table(t) => t.swap_remove(field),
        }
    }
}

impl Shard {
    /// The hash for writing, created empty when missing; WRONGTYPE for a string key.
    pub fn hash_entry(&mut self, key: &[u8], now: u64) -> CmdResult<&mut HashVal> {
        self.expire_if_needed(key, now);
        if self.non_hash(key) {
            return Err(CmdError::WrongType);
        }
        if !self.hashes.contains_key(key) {
            self.hashes.insert(key, HashVal::default());
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
        let mut left = pairs.size_hint().0;
        for (f, v) in pairs {
            if !(only_new && h.contains_key(f)) && h.set_of(f, v, left.max(1)) {
                added += 1;
            }
            left = left.saturating_sub(1);
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
        let removed = fields.filter(|f| h.remove(f)).count();
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
        h.set(field, text);
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
        let res = add(h.get(field), incr);
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
        h.set(field, &text);
        self.log(&[b"HSET", key, field, &text]);
        self.changed(key, class::HASH, "hincrbyfloat");
        Ok(text)
    }
}

#[cfg(test)]
mod tests {
    use super::HashVal;
    use std::collections::HashMap;

    proptest::proptest! {
        /// A packed hash answers as the table it turns into, across both limits (512 fields,
        /// 64-byte fields and values).
        #[test]
        fn packed_and_table_hashes_answer_alike(
            ops in proptest::collection::vec((0u8..4, 0usize..700, 0usize..80), 1..1500)
        ) {
            let mut h = HashVal::default();
            let mut model: HashMap<Vec<u8>, Vec<u8>> = HashMap::new();
            let mut ever_big = false;
            for (op, field, vlen) in ops {
                let f = if field % 97 == 0 {
                    format!("{field}:{}", "f".repeat(64)).into_bytes()
                } else {
                    format!("f{field}").into_bytes()
                };
                let v = vec![b'0' + (field % 10) as u8; vlen];
                if op == 0 {
                    proptest::prop_assert_eq!(h.remove(&f), model.remove(&f).is_some());
                } else {
                    proptest::prop_assert_eq!(h.set(&f, &v), model.insert(f.clone(), v.clone()).is_none());
                }
                ever_big |= model.len() > 512 || model.iter().any(|(f, v)| f.len() > 64 || v.len() > 64);
                proptest::prop_assert_eq!(h.is_packed(), !ever_big);
            }
            proptest::prop_assert_eq!(h.len(), model.len());
            let mut seen = HashMap::new();
            for i in 0..h.len() {
                let (f, v) = h.get_index(i).expect("in range");
                seen.insert(f.to_vec(), v.to_vec());
                proptest::prop_assert_eq!(h.get(f), Some(v));
            }
            proptest::prop_assert_eq!(&seen, &model);
            let all: HashMap<Vec<u8>, Vec<u8>> =
                h.clone().iter().map(|(f, v)| (f.to_vec(), v.to_vec())).collect();
            proptest::prop_assert_eq!(all, model);
        }
    }
}
