//! Lists and their operations on a shard. A list is Redis's quicklist: a deque of packed
//! nodes, each values back to back in one buffer of at most list-max-listpack-size (8 KB by
//! default), walkable from either end: pushes and pops at both ends touch one node, an index
//! walks nodes from the nearer end and then one node. A list whose last element is removed is
//! removed with its key.
//!
//! With list-compress-depth N > 0, every node but the N at each end is LZF-compressed, as Redis
//! compresses its quicklist's inner nodes (a node under 48 bytes, or one that would shrink by
//! less than 8, stays plain). Pushes and pops work at the ends, on plain nodes; a write to an
//! inner node expands it and compresses it again after. A read of an inner node (LINDEX,
//! LRANGE) expands it into a copy beside the compressed bytes (readers hold only the shard's
//! read lock); the list's next write drops those copies.

use super::packed::{self, encoded_len, Strings};
use super::rdb;
use super::{Coll, Shard};
use crate::error::{CmdError, CmdResult};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

type Plain = Strings<true>;

#[cfg(test)]
thread_local! {
    /// A test's own list-compress-depth (tests run side by side on threads of one process).
    static TEST_DEPTH: std::cell::Cell<Option<usize>> = const { std::cell::Cell::new(None) };
}

fn compress_depth() -> usize {
    #[cfg(test)]
    if let Some(d) = TEST_DEPTH.get() {
        return d;
    }
    packed::limit(&packed::LIST_COMPRESS_DEPTH)
}

/// Redis's MIN_COMPRESS_BYTES and MIN_COMPRESS_IMPROVE.
const MIN_COMPRESS_BYTES: usize = 48;
const MIN_COMPRESS_IMPROVE: usize = 8;

/// A node: its strings, or while compressed, their LZF form (32 bytes either way).
#[derive(Clone)]
enum Node {
    Plain(Plain),
    Lzf(Box<Lzf>),
}

#[derive(Clone)]
struct Lzf {
    data: Box<[u8]>,
    raw_len: u32,
    count: u32,
    /// The strings expanded for readers, until the list's next write.
    view: OnceLock<Plain>,
}

impl Lzf {
    fn expand(&self) -> Plain {
        let raw = rdb::lzf_decompress(&self.data, self.raw_len as usize)
            .expect("a list node's own LZF bytes expand");
        Plain::from_raw(raw, self.count as usize)
    }
}

impl Node {
    /// Its strings, to read.
    #[inline]
    fn view(&self) -> &Plain {
        match self {
            Node::Plain(p) => p,
            Node::Lzf(z) => z.view.get_or_init(|| z.expand()),
        }
    }

    /// Its strings, to change (expanded for good; [`ListVal::settle`] compresses it again).
    #[inline]
    fn edit(&mut self) -> &mut Plain {
        if let Node::Lzf(z) = self {
            let plain = z.view.take().unwrap_or_else(|| z.expand());
            *self = Node::Plain(plain);
        }
        match self {
            Node::Plain(p) => p,
            Node::Lzf(_) => unreachable!("expanded above"),
        }
    }

    fn len(&self) -> usize {
        match self {
            Node::Plain(p) => p.len(),
            Node::Lzf(z) => z.count as usize,
        }
    }

    fn is_compressed(&self) -> bool {
        matches!(self, Node::Lzf(_))
    }

    /// The bytes it holds (MEMORY USAGE).
    fn bytes(&self) -> usize {
        match self {
            Node::Plain(p) => p.bytes(),
            Node::Lzf(z) => z.data.len() + z.view.get().map_or(0, Plain::bytes),
        }
    }

    /// Compresses it when that is worth it, as Redis's __quicklistCompressNode decides; drops a
    /// reader's expanded copy.
    fn compress(&mut self) {
        let raw = match self {
            Node::Lzf(z) => {
                z.view = OnceLock::new();
                return;
            }
            Node::Plain(p) => p.raw(),
        };
        if raw.len() < MIN_COMPRESS_BYTES {
            return;
        }
        if let Some(data) = rdb::lzf_compress(raw, raw.len() - MIN_COMPRESS_IMPROVE) {
            *self = Node::Lzf(Box::new(Lzf {
                data: data.into_boxed_slice(),
                raw_len: raw.len() as u32,
                count: self.len() as u32,
                view: OnceLock::new(),
            }));
        }
    }
}

#[derive(Default)]
pub struct ListVal {
    nodes: VecDeque<Node>,
    /// The length, and in the top bit ([`EXPANDED`]) whether a reader expanded a compressed
    /// node, whose copy the list's next write drops (readers hold only the shard's read lock).
    len: AtomicUsize,
}

const EXPANDED: usize = 1 << (usize::BITS - 1);

impl Clone for ListVal {
    fn clone(&self) -> Self {
        ListVal {
            nodes: self.nodes.clone(),
            len: AtomicUsize::new(self.len.load(Ordering::Relaxed)),
        }
    }
}

/// Whether `node` may take `count` more strings of `add` bytes in all, as Redis 7.0's quicklist
/// decides by list-max-listpack-size (one string always fits an empty node, however long).
fn fits(node: &Plain, add: usize, count: usize) -> bool {
    if node.is_empty() && count == 1 {
        return true;
    }
    let size = node.end() + add;
    match packed::LIST_SIZE.load(Ordering::Relaxed) {
        fill if fill < 0 => size <= 4096 << ((-fill).min(5) - 1),
        fill => size <= 8192 && node.len() + count <= fill as usize,
    }
}

impl<'a> FromIterator<&'a [u8]> for ListVal {
    fn from_iter<I: IntoIterator<Item = &'a [u8]>>(it: I) -> Self {
        let mut l = ListVal::default();
        l.push_all(it.into_iter(), End::Right);
        l
    }
}

impl ListVal {
    pub fn len(&self) -> usize {
        self.len.load(Ordering::Relaxed) & !EXPANDED
    }

    /// The length, to change (the flag bit stays as it is).
    fn len_mut(&mut self) -> &mut usize {
        self.len.get_mut()
    }

    /// Its nodes (what freeing it takes).
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The bytes its nodes hold (MEMORY USAGE).
    pub fn bytes(&self) -> usize {
        self.nodes.iter().map(Node::bytes).sum::<usize>()
            + self.nodes.capacity() * std::mem::size_of::<Node>()
    }

    /// A node's strings for a reader.
    #[inline]
    fn view(&self, ni: usize) -> &Plain {
        let n = &self.nodes[ni];
        if n.is_compressed() && self.len.load(Ordering::Relaxed) & EXPANDED == 0 {
            self.len.fetch_or(EXPANDED, Ordering::Relaxed);
        }
        n.view()
    }

    /// Values from the head.
    pub fn iter(&self) -> impl Iterator<Item = &[u8]> + '_ {
        (0..self.nodes.len()).flat_map(move |ni| self.view(ni).iter().map(|(_, v)| v))
    }

    /// Values from the tail.
    pub fn iter_rev(&self) -> impl Iterator<Item = &[u8]> + '_ {
        (0..self.nodes.len())
            .rev()
            .flat_map(move |ni| self.view(ni).iter_rev().map(|(_, v)| v))
    }

    /// The node and offset of the value at `i` (< len), walking from the nearer end.
    fn locate(&self, mut i: usize) -> (usize, usize) {
        if i < self.len() / 2 {
            for (ni, n) in self.nodes.iter().enumerate() {
                if i < n.len() {
                    return (ni, self.view(ni).iter().nth(i).expect("in node").0);
                }
                i -= n.len();
            }
        } else {
            let mut back = self.len() - 1 - i;
            for (ni, n) in self.nodes.iter().enumerate().rev() {
                if back < n.len() {
                    return (ni, self.view(ni).iter_rev().nth(back).expect("in node").0);
                }
                back -= n.len();
            }
        }
        unreachable!("index {i} within the list's length")
    }

    /// The value at `i`.
    pub fn get(&self, i: usize) -> Option<&[u8]> {
        (i < self.len()).then(|| {
            let (ni, off) = self.locate(i);
            self.view(ni).get(off).0
        })
    }

    /// Values `a..=b` (both < len).
    pub fn range(&self, a: usize, b: usize) -> impl Iterator<Item = &[u8]> + '_ {
        let (ni, off) = self.locate(a);
        let first = self.view(ni).iter_at(off);
        let rest = (ni + 1..self.nodes.len()).flat_map(move |n| self.view(n).iter());
        first.chain(rest).map(|(_, v)| v).take(b + 1 - a)
    }

    /// After a write that found `before` nodes: the nodes within list-compress-depth of either
    /// end plain, the first ones past it and the inner nodes in `touched` compressed, and
    /// readers' expanded copies gone.
    fn settle(&mut self, touched: std::ops::Range<usize>, before: usize) {
        let word = self.len_mut();
        if *word & EXPANDED != 0 {
            *word &= !EXPANDED;
            for node in self.nodes.iter_mut() {
                if let Node::Lzf(z) = node {
                    z.view = OnceLock::new();
                }
            }
        }
        let depth = compress_depth();
        let n = self.nodes.len();
        if depth == 0 {
            return;
        }
        for i in 0..depth.min(n) {
            self.nodes[i].edit();
            self.nodes[n - 1 - i].edit();
        }
        if n <= 2 * depth {
            return;
        }
        let inner = depth..n - depth;
        // The first nodes past the ends change only when nodes come or go: a node that did not
        // compress (random bytes) is not tried again on every push.
        let ends = if n != before {
            [depth, n - 1 - depth]
        } else {
            [usize::MAX; 2]
        };
        for i in ends.into_iter().chain(touched) {
            if inner.contains(&i) {
                self.nodes[i].compress();
            }
        }
    }

    pub fn push_back(&mut self, v: &[u8]) {
        self.push_all(std::iter::once(v), End::Right);
    }

    pub fn push_front(&mut self, v: &[u8]) {
        self.push_all(std::iter::once(v), End::Left);
    }

    /// The node at `end`, to change.
    fn end_node(&mut self, end: End) -> Option<&mut Plain> {
        match end {
            End::Left => self.nodes.front_mut(),
            End::Right => self.nodes.back_mut(),
        }
        .map(Node::edit)
    }

    /// Pushes `vals` at one end in turn (at the left each goes in front of the one before, as
    /// LPUSH does), into the same nodes as one push each would, but growing a node once for
    /// the values it takes rather than once per value.
    pub fn push_all<'a>(&mut self, vals: impl Iterator<Item = &'a [u8]>, end: End) {
        let before = self.nodes.len();
        let mut batch: smallvec::SmallVec<[&[u8]; 16]> = smallvec::SmallVec::new();
        let mut bytes = 0;
        let mut pushed = 0;
        for v in vals {
            pushed += 1;
            let add = encoded_len(v, true);
            if let Some(n) = self.end_node(end) {
                if fits(n, bytes + add, batch.len() + 1) {
                    batch.push(v);
                    bytes += add;
                    continue;
                }
                Self::put(n, &mut batch, end);
            }
            bytes = 0;
            self.push_node(v, end);
        }
        if let Some(n) = self.end_node(end) {
            Self::put(n, &mut batch, end);
        }
        *self.len_mut() += pushed;
        // Nodes that were at this end or came during the batch may be inner now.
        let (n, added, depth) = (
            self.nodes.len(),
            self.nodes.len() - before,
            compress_depth(),
        );
        let touched = match (added, end) {
            (0, _) => 0..0,
            (_, End::Right) => before.saturating_sub(depth)..n,
            (_, End::Left) => 0..(added + depth).min(n),
        };
        self.settle(touched, before);
    }

    /// Adds `batch` (in push order) at `end` of node `n`, and empties it.
    fn put(n: &mut Plain, batch: &mut smallvec::SmallVec<[&[u8]; 16]>, end: End) {
        if batch.is_empty() {
            return;
        }
        match end {
            End::Right => n.insert(n.end(), batch),
            End::Left => {
                batch.reverse();
                n.insert(0, batch);
            }
        }
        batch.clear();
    }

    /// A new node holding `v`, at one end.
    fn push_node(&mut self, v: &[u8], end: End) {
        let mut plain = Plain::default();
        plain.push(v);
        let n = Node::Plain(plain);
        // Room for one more node at a time while the list is short (most lists are small; a
        // list of 1,000 values has three nodes), doubled past that.
        if self.nodes.len() == self.nodes.capacity() && self.nodes.len() < 8 {
            self.nodes.reserve_exact(1);
        }
        match end {
            End::Left => self.nodes.push_front(n),
            End::Right => self.nodes.push_back(n),
        }
    }

    pub fn pop_front(&mut self) -> Option<Vec<u8>> {
        let before = self.nodes.len();
        let n = self.nodes.front_mut()?.edit();
        let v = n.get(0).0.to_vec();
        n.remove(0, 1);
        if n.is_empty() {
            self.nodes.pop_front();
        }
        *self.len_mut() -= 1;
        self.settle(0..0, before);
        Some(v)
    }

    pub fn pop_back(&mut self) -> Option<Vec<u8>> {
        let before = self.nodes.len();
        let n = self.nodes.back_mut()?.edit();
        let off = n.last().expect("nodes are never empty");
        let v = n.get(off).0.to_vec();
        n.remove(off, 1);
        if n.is_empty() {
            self.nodes.pop_back();
        }
        *self.len_mut() -= 1;
        self.settle(0..0, before);
        Some(v)
    }

    /// Replaces the value at `i` (< len).
    pub fn set(&mut self, i: usize, v: &[u8]) {
        let before = self.nodes.len();
        let (ni, off) = self.locate(i);
        self.nodes[ni].edit().replace(off, v);
        self.split_if_big(ni);
        self.settle(ni..ni + 2, before);
    }

    /// Inserts `v` before position `i` (len: at the tail).
    pub fn insert(&mut self, i: usize, v: &[u8]) {
        if i == 0 {
            return self.push_front(v);
        }
        if i >= self.len() {
            return self.push_back(v);
        }
        let before = self.nodes.len();
        let (ni, off) = self.locate(i);
        self.nodes[ni].edit().insert(off, &[v]);
        *self.len_mut() += 1;
        self.split_if_big(ni);
        self.settle(ni..ni + 2, before);
    }

    /// A node grown past its limit by an insert or a replacement is split in two.
    fn split_if_big(&mut self, ni: usize) {
        let n = self.nodes[ni].edit();
        if n.len() < 2 || fits(n, 0, 1) {
            return;
        }
        let mid = n.iter().nth(n.len() / 2).expect("in node").0;
        let tail = n.split_off(mid);
        self.nodes.insert(ni + 1, Node::Plain(tail));
    }

    /// Removes the first `k` values.
    pub fn drop_front(&mut self, mut k: usize) {
        let before = self.nodes.len();
        k = k.min(self.len());
        *self.len_mut() -= k;
        while k > 0 {
            let n = self.nodes.front_mut().expect("k within len");
            if n.len() <= k {
                k -= n.len();
                self.nodes.pop_front();
            } else {
                n.edit().remove(0, k);
                k = 0;
            }
        }
        self.settle(0..0, before);
    }

    /// Removes the last `k` values.
    pub fn drop_back(&mut self, mut k: usize) {
        let before = self.nodes.len();
        k = k.min(self.len());
        *self.len_mut() -= k;
        while k > 0 {
            let n = self.nodes.back_mut().expect("k within len");
            if n.len() <= k {
                k -= n.len();
                self.nodes.pop_back();
            } else {
                let n = n.edit();
                let off = n.iter_rev().nth(k - 1).expect("in node").0;
                n.remove(off, k);
                k = 0;
            }
        }
        self.settle(0..0, before);
    }
}

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
        let new: fn(&super::Hasher) -> Coll = |_| Coll::List(ListVal::default());
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
        l.push_all(vals, end);
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
            End::Left => (0..n).filter_map(|_| l.pop_front()).collect(),
            End::Right => (0..n).filter_map(|_| l.pop_back()).collect(),
        };
        self.drop_if_empty(key);
        Ok(Some(out))
    }

    /// LSET.
    pub fn lset(&mut self, key: &[u8], i: i64, val: &[u8], now: u64) -> CmdResult<()> {
        let l = self.list_mut(key, now, false)?.ok_or(CmdError::NoSuchKey)?;
        let i = index(l.len(), i).ok_or_else(|| CmdError::Other("index out of range".into()))?;
        l.set(i, val);
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
        let at = l.iter().position(|v| v == pivot);
        match at {
            Some(p) => {
                l.insert(p + after as usize, val);
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
        // The positions to remove (from the head, or from the tail when negative); the list is
        // rebuilt without them when there are any.
        let hits = |it: &mut dyn Iterator<Item = (usize, &[u8])>| -> Vec<usize> {
            it.filter(|(_, v)| *v == val)
                .map(|(i, _)| i)
                .take(limit)
                .collect()
        };
        let mut gone = if count >= 0 {
            hits(&mut l.iter().enumerate())
        } else {
            let n = l.len();
            hits(&mut l.iter_rev().enumerate().map(|(i, v)| (n - 1 - i, v)))
        };
        let removed = gone.len();
        if removed > 0 {
            gone.sort_unstable();
            let mut next = gone.iter().peekable();
            let kept: ListVal = l
                .iter()
                .enumerate()
                .filter(|(i, _)| {
                    let hit = next.peek() == Some(&i);
                    if hit {
                        next.next();
                    }
                    !hit
                })
                .map(|(_, v)| v)
                .collect();
            *l = kept;
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
                l.drop_back(l.len() - 1 - b);
                l.drop_front(a);
            }
            None => *l = ListVal::default(),
        }
        self.drop_if_empty(key);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::ListVal;
    use std::collections::VecDeque;

    /// With list-compress-depth 1 the inner nodes are compressed, the end ones not; the list
    /// answers as before, takes less memory, and a read's expanded copies go at the next write.
    #[test]
    fn inner_nodes_are_compressed() {
        super::TEST_DEPTH.set(Some(1));
        let mut l = ListVal::default();
        let want: Vec<Vec<u8>> = (0..5000)
            .map(|i| format!("value-{i:06}-{}", "x".repeat(40)).into_bytes())
            .collect();
        want.iter().for_each(|v| l.push_back(v));
        let n = l.node_count();
        assert!(n > 4, "{n}");
        assert!(!l.nodes[0].is_compressed() && !l.nodes[n - 1].is_compressed());
        assert!(l.nodes.range(1..n - 1).all(|n| n.is_compressed()));
        let raw: usize = want.iter().map(|v| v.len() + 2).sum();
        assert!(l.bytes() < raw / 2, "{} of {raw}", l.bytes());
        let got: Vec<&[u8]> = l.iter().collect();
        assert_eq!(got.len(), want.len());
        assert!(got.iter().zip(&want).all(|(a, b)| *a == b.as_slice()));
        assert_eq!(l.get(2500), Some(want[2500].as_slice()));
        assert!(l.bytes() > raw, "expanded for the reads");
        l.push_front(b"head");
        assert!(l.bytes() < raw / 2, "{} of {raw}", l.bytes());
        l.set(2501, b"changed");
        l.insert(1000, b"inserted");
        assert_eq!(l.get(2502), Some(&b"changed"[..]));
        assert_eq!(l.get(1000), Some(&b"inserted"[..]));
        let n = l.node_count();
        assert!(l.nodes.range(1..n - 1).all(|n| n.is_compressed()));
        // Depth 0 afterwards: compressed nodes still read and change.
        super::TEST_DEPTH.set(Some(0));
        while l.pop_front().is_some() {}
        assert_eq!(l.len(), 0);
    }

    proptest::proptest! {
        /// Pushing several values at once fills the nodes, and compresses them, exactly as
        /// pushing them one at a time does.
        #[test]
        fn push_all_fills_nodes_as_single_pushes(
            batches in proptest::collection::vec((proptest::bool::ANY, proptest::collection::vec(0usize..700, 0..60)), 1..40),
            depth in 0usize..3,
        ) {
            super::TEST_DEPTH.set(Some(depth));
            let (mut all, mut one) = (ListVal::default(), ListVal::default());
            for (right, sizes) in batches {
                let vals: Vec<Vec<u8>> = sizes.iter().map(|&n| vec![b'x' + (n % 3) as u8; n]).collect();
                let end = if right { super::End::Right } else { super::End::Left };
                all.push_all(vals.iter().map(|v| &v[..]), end);
                for v in &vals {
                    if right { one.push_back(v) } else { one.push_front(v) }
                }
                let shape = |l: &ListVal| l.nodes.iter().map(|n| (n.len(), n.is_compressed())).collect::<Vec<_>>();
                proptest::prop_assert_eq!(shape(&all), shape(&one));
                proptest::prop_assert_eq!(all.len(), one.len());
            }
            proptest::prop_assert!(all.iter().eq(one.iter()));
        }

        /// A list of packed nodes answers as a plain deque, across node boundaries (values up to
        /// 600 bytes fill 8 KB nodes quickly; some pass the 255-byte length form).
        #[test]
        fn packed_list_matches_a_deque(
            ops in proptest::collection::vec((0u8..12, 0usize..2000, 0usize..600), 1..1200),
            depth in 0usize..4,
        ) {
            // Any list-compress-depth answers alike.
            super::TEST_DEPTH.set(Some(depth));
            let mut l = ListVal::default();
            let mut m: VecDeque<Vec<u8>> = VecDeque::new();
            for (op, x, size) in ops {
                let v = vec![b'a' + (x % 26) as u8; size % 7 * (size / 7) % 600];
                let at = |n: usize| if n == 0 { 0 } else { x % n };
                match op {
                    0 | 1 => { l.push_back(&v); m.push_back(v); }
                    2 | 3 => { l.push_front(&v); m.push_front(v); }
                    4 => proptest::prop_assert_eq!(l.pop_front(), m.pop_front()),
                    5 => proptest::prop_assert_eq!(l.pop_back(), m.pop_back()),
                    6 if !m.is_empty() => { let i = at(m.len()); l.set(i, &v); m[i] = v; }
                    7 => { let i = at(m.len() + 1); l.insert(i, &v); m.insert(i, v); }
                    8 => { let k = x % 5; l.drop_front(k); m.drain(..k.min(m.len())); }
                    9 => { let k = x % 5; l.drop_back(k); let n = m.len(); m.truncate(n - k.min(n)); }
                    10 | 11 => {
                        // One command pushing several values (RPUSH/LPUSH k v1 v2 ...).
                        let vals: Vec<Vec<u8>> = (0..x % 20).map(|i| vec![b'a' + (i % 26) as u8; (size + i * 37) % 600]).collect();
                        let end = if op == 10 { super::End::Right } else { super::End::Left };
                        l.push_all(vals.iter().map(|v| &v[..]), end);
                        for v in vals {
                            if op == 10 { m.push_back(v) } else { m.push_front(v) }
                        }
                    }
                    _ => {}
                }
                proptest::prop_assert_eq!(l.len(), m.len());
                if depth > 0 && op == 6 {
                    // A read in between: inner nodes expand for it, the next write drops that.
                    proptest::prop_assert_eq!(l.get(m.len() / 2), m.get(m.len() / 2).map(|v| v.as_slice()));
                }
            }

            let fwd: Vec<&[u8]> = l.iter().collect();
            let want: Vec<&[u8]> = m.iter().map(|v| v.as_slice()).collect();
            proptest::prop_assert_eq!(&fwd, &want);
            let mut back: Vec<&[u8]> = l.iter_rev().collect();
            back.reverse();
            proptest::prop_assert_eq!(&back, &want);
            for (i, v) in m.iter().enumerate() {
                proptest::prop_assert_eq!(l.get(i), Some(v.as_slice()));
            }
            if !m.is_empty() {
                let (a, b) = (m.len() / 3, m.len() - 1 - m.len() / 4);
                let r: Vec<&[u8]> = l.range(a, b.max(a)).collect();
                proptest::prop_assert_eq!(r, want[a..=b.max(a)].to_vec());
            }
        }
    }
}
