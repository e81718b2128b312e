//! Sets and their operations on a shard. A set of integers is an intset while it has at most
//! set-max-intset-entries members (a sorted array of the narrowest of 2, 4 or 8-byte integers
//! that holds them all, as Redis's); a set with another member, or more members, is a
//! [`super::dense::DenseSet`] for good: O(1) membership, O(1) random picks, and an entry order
//! that only appends or swap-removes (SSCAN's cursor relies on it, as HSCAN's does). A set whose
//! last member is removed is removed with its key.

use super::keymap::SmallBytes;
use super::packed::{self, limit};
use super::{Coll, Shard};
use crate::error::CmdResult;
use crate::resp::parse_i64;
use rand::Rng;

/// Members up to 22 bytes sit in the entry itself (no allocation of their own).
type Table = super::dense::DenseSet<SmallBytes>;

/// A set value.
#[derive(Clone)]
pub struct SetVal(Repr);

#[derive(Clone)]
enum Repr {
    Ints(IntSet),
    Table(Box<Table>),
}

impl Default for SetVal {
    fn default() -> Self {
        SetVal(Repr::Ints(IntSet::default()))
    }
}

/// A member as a set hands it out: its bytes, or the text of an intset's integer. It compares
/// and hashes as its text, whichever it is.
#[derive(Clone, Copy)]
pub enum Member<'a> {
    Bytes(&'a [u8]),
    Int([u8; 20], u8),
}

impl Member<'_> {
    fn int(n: i64) -> Self {
        let mut b = [0u8; 20];
        let mut f = itoa::Buffer::new();
        let t = f.format(n).as_bytes();
        b[..t.len()].copy_from_slice(t);
        Member::Int(b, t.len() as u8)
    }
}

impl std::ops::Deref for Member<'_> {
    type Target = [u8];
    #[inline]
    fn deref(&self) -> &[u8] {
        match self {
            Member::Bytes(b) => b,
            Member::Int(b, n) => &b[..*n as usize],
        }
    }
}

impl PartialEq for Member<'_> {
    fn eq(&self, o: &Self) -> bool {
        **self == **o
    }
}

impl Eq for Member<'_> {}

impl std::hash::Hash for Member<'_> {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        (**self).hash(h)
    }
}

/// Integers in ascending order, each `width` bytes little-endian.
#[derive(Clone)]
struct IntSet {
    buf: Vec<u8>,
    width: u8,
}

impl Default for IntSet {
    fn default() -> Self {
        IntSet {
            buf: Vec::new(),
            width: 2,
        }
    }
}

fn width_of(n: i64) -> u8 {
    if i16::try_from(n).is_ok() {
        2
    } else if i32::try_from(n).is_ok() {
        4
    } else {
        8
    }
}

impl IntSet {
    fn len(&self) -> usize {
        self.buf.len() / self.width as usize
    }

    #[inline]
    fn get(&self, i: usize) -> i64 {
        let w = self.width as usize;
        let b = &self.buf[i * w..i * w + w];
        match w {
            2 => i16::from_le_bytes(b.try_into().expect("2 bytes")) as i64,
            4 => i32::from_le_bytes(b.try_into().expect("4 bytes")) as i64,
            _ => i64::from_le_bytes(b.try_into().expect("8 bytes")),
        }
    }

    fn search(&self, n: i64) -> Result<usize, usize> {
        let (mut lo, mut hi) = (0, self.len());
        while lo < hi {
            let mid = (lo + hi) / 2;
            match self.get(mid).cmp(&n) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Ok(mid),
            }
        }
        Err(lo)
    }

    fn iter(&self) -> impl Iterator<Item = i64> + '_ {
        (0..self.len()).map(|i| self.get(i))
    }

    /// Adds `n`; false when it was there.
    fn insert(&mut self, n: i64) -> bool {
        let w = width_of(n);
        if w > self.width {
            // Widened: every member is re-encoded (the new one goes at either end).
            let mut buf = Vec::with_capacity((self.len() + 1) * w as usize);
            let put =
                |buf: &mut Vec<u8>, v: i64| buf.extend_from_slice(&v.to_le_bytes()[..w as usize]);
            if n < 0 {
                put(&mut buf, n);
            }
            self.iter().for_each(|v| put(&mut buf, v));
            if n >= 0 {
                put(&mut buf, n);
            }
            *self = IntSet { buf, width: w };
            return true;
        }
        let Err(i) = self.search(n) else {
            return false;
        };
        let w = self.width as usize;
        // Grown to the byte, as packed collections are (see `packed`).
        self.buf.reserve_exact(w);
        self.buf
            .splice(i * w..i * w, n.to_le_bytes()[..w].iter().copied());
        true
    }

    fn remove_index(&mut self, i: usize) -> i64 {
        let n = self.get(i);
        let w = self.width as usize;
        self.buf.drain(i * w..i * w + w);
        n
    }
}

/// Members of a set, in SSCAN's order.
pub struct Iter<'a>(IterRepr<'a>);

enum IterRepr<'a> {
    Ints(&'a IntSet, usize),
    Table(std::slice::Iter<'a, SmallBytes>),
}

impl<'a> Iterator for Iter<'a> {
    type Item = Member<'a>;
    #[inline]
    fn next(&mut self) -> Option<Member<'a>> {
        match &mut self.0 {
            IterRepr::Ints(s, i) => {
                if *i >= s.len() {
                    return None;
                }
                *i += 1;
                Some(Member::int(s.get(*i - 1)))
            }
            IterRepr::Table(t) => t.next().map(|m| Member::Bytes(m)),
        }
    }
}

impl<'a> IntoIterator for &'a SetVal {
    type Item = Member<'a>;
    type IntoIter = Iter<'a>;
    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

impl SetVal {
    /// A set of `members` (each added as SADD adds it).
    pub fn of<'m>(members: impl IntoIterator<Item = &'m [u8]>) -> SetVal {
        let mut s = SetVal::default();
        for m in members {
            s.insert(m);
        }
        s
    }

    pub fn len(&self) -> usize {
        match &self.0 {
            Repr::Ints(s) => s.len(),
            Repr::Table(t) => t.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether it is an intset (OBJECT ENCODING's `intset`; else `hashtable`).
    pub fn is_intset(&self) -> bool {
        matches!(self.0, Repr::Ints(_))
    }

    /// The bytes an intset's array holds (None: a table).
    pub fn intset_bytes(&self) -> Option<usize> {
        match &self.0 {
            Repr::Ints(s) => Some(s.buf.capacity()),
            Repr::Table(_) => None,
        }
    }

    pub fn iter(&self) -> Iter<'_> {
        match &self.0 {
            Repr::Ints(s) => Iter(IterRepr::Ints(s, 0)),
            Repr::Table(t) => Iter(IterRepr::Table(t.iter())),
        }
    }

    pub fn contains(&self, m: &[u8]) -> bool {
        match &self.0 {
            Repr::Ints(s) => parse_i64(m).is_some_and(|n| s.search(n).is_ok()),
            Repr::Table(t) => t.contains(m),
        }
    }

    /// The member at position `i` of SSCAN's and SRANDMEMBER's order.
    pub fn get_index(&self, i: usize) -> Option<Member<'_>> {
        match &self.0 {
            Repr::Ints(s) => (i < s.len()).then(|| Member::int(s.get(i))),
            Repr::Table(t) => t.get_index(i).map(|m| Member::Bytes(m)),
        }
    }

    /// Turns an intset into a table, for good, with room for `more` members besides (sized
    /// once for the command's members, rather than doubled member by member).
    fn unpack(&mut self, more: usize) -> &mut Table {
        if let Repr::Ints(s) = &self.0 {
            let mut t = Table::with_capacity(s.len() + more);
            t.extend(s.iter().map(|n| SmallBytes::new(&Member::int(n))));
            self.0 = Repr::Table(Box::new(t));
        }
        match &mut self.0 {
            Repr::Table(t) => t,
            Repr::Ints(_) => unreachable!("unpacked above"),
        }
    }

    /// Adds `m`; false when it was there. An intset turns into a table for a member that is not
    /// an integer, or past set-max-intset-entries members, as Redis 7.0's setTypeAdd converts it.
    pub fn insert(&mut self, m: &[u8]) -> bool {
        self.insert_of(m, 1)
    }

    /// Adds the `members` (SADD's); how many were new.
    pub fn insert_all<'a>(&mut self, members: impl Iterator<Item = &'a [u8]>) -> usize {
        let mut left = members.size_hint().0;
        members
            .filter(|m| {
                let added = self.insert_of(m, left);
                left = left.saturating_sub(1);
                added
            })
            .count()
    }

    /// [`SetVal::insert`], `coming` members being added now, this one included.
    fn insert_of(&mut self, m: &[u8], coming: usize) -> bool {
        if let Repr::Ints(s) = &mut self.0 {
            if let Some(n) = parse_i64(m) {
                if !s.insert(n) {
                    return false;
                }
                if s.len() > limit(&packed::SET_INTSET_ENTRIES) {
                    self.unpack(coming.saturating_sub(1));
                }
                return true;
            }
        }
        self.unpack(coming.max(1)).insert(SmallBytes::new(m))
    }

    /// Removes `m`; false when it was not there.
    pub fn remove(&mut self, m: &[u8]) -> bool {
        match &mut self.0 {
            Repr::Ints(s) => match parse_i64(m).map(|n| s.search(n)) {
                Some(Ok(i)) => {
                    s.remove_index(i);
                    true
                }
                _ => false,
            },
            Repr::Table(t) => t.swap_remove(m),
        }
    }

    /// Removes the member at position `i` (SPOP).
    pub fn remove_index(&mut self, i: usize) -> Option<Box<[u8]>> {
        match &mut self.0 {
            Repr::Ints(s) => (i < s.len()).then(|| Box::from(&*Member::int(s.remove_index(i)))),
            Repr::Table(t) => t.swap_remove_index(i).map(|m| Box::from(m.get())),
        }
    }
}

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
        let new: fn(&super::Hasher) -> Coll = |_| Coll::Set(SetVal::default());
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
        Ok(s.insert_all(members))
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
        let n = members.filter(|m| s.remove(m)).count();
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
                s.remove_index(i).expect("index in range")
            })
            .collect();
        self.drop_if_empty(key);
        Ok(Some(out))
    }
}

#[cfg(test)]
mod tests {
    use super::SetVal;
    use std::collections::HashSet;

    proptest::proptest! {
        /// An intset answers as the table it turns into: across every width (2, 4, 8 bytes),
        /// a member that is not an integer (or not canonical: "07", "-0") and the 512-member
        /// limit; an intset lists its members in ascending order.
        #[test]
        fn intsets_and_tables_answer_alike(
            ops in proptest::collection::vec((0u8..4, 0usize..700, 0u8..6), 1..1500)
        ) {
            let mut s = SetVal::default();
            let mut model: HashSet<Vec<u8>> = HashSet::new();
            let mut ever_table = false;
            for (op, n, kind) in ops {
                let m = match kind {
                    0 => format!("{}", n as i64 - 300),
                    1 => format!("{}", (n as i64 - 300) * 100_003),
                    2 => format!("{}", (n as i64 - 300) * 10_000_000_019),
                    3 if n % 50 == 0 => format!("m{n}"),
                    4 if n % 50 == 0 => format!("0{n}"),
                    _ => format!("{}", n),
                }.into_bytes();
                if op == 0 {
                    proptest::prop_assert_eq!(s.remove(&m), model.remove(&m));
                } else {
                    proptest::prop_assert_eq!(s.insert(&m), model.insert(m.clone()));
                    ever_table |= crate::resp::parse_i64(&m).is_none() || model.len() > 512;
                }
                proptest::prop_assert_eq!(s.is_intset(), !ever_table);
            }
            proptest::prop_assert_eq!(s.len(), model.len());
            let listed: Vec<Vec<u8>> = s.iter().map(|m| m.to_vec()).collect();
            if s.is_intset() {
                let nums: Vec<i64> = listed.iter().map(|m| crate::resp::parse_i64(m).unwrap()).collect();
                proptest::prop_assert!(nums.windows(2).all(|w| w[0] < w[1]));
            }
            for (i, m) in listed.iter().enumerate() {
                proptest::prop_assert_eq!(&s.get_index(i).unwrap()[..], &m[..]);
                proptest::prop_assert!(s.contains(m));
            }
            proptest::prop_assert_eq!(listed.into_iter().collect::<HashSet<_>>(), model.clone());
            let mut c = s.clone();
            while !c.is_empty() {
                let m = c.remove_index(c.len() / 2).unwrap();
                proptest::prop_assert!(model.contains(&m[..]));
            }
        }
    }
}
