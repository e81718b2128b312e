//! Sorted sets: small ones packed (Redis's listpack); larger ones a skip list ordered by
//! (score, member) whose links carry spans, so ranks, rank ranges and score/lex ranges are
//! O(log n) (Redis's design), plus a hash index from member to node for O(1) ZSCORE. The nodes
//! live in one dense `Vec` and link by index (no unsafe, no reference counting); the index holds
//! node positions, so each member is stored once, in its node.

use super::dense::PosIndex;
use super::keymap::SmallBytes;
use super::packed::{self, limit, Strings};
use super::{Coll, Hasher, Shard};
use crate::error::{CmdError, CmdResult};
use rand::Rng;
use std::cmp::Ordering;

const MAX_LEVEL: usize = 32;
const NIL: u32 = u32::MAX;
/// The header node: not an element.
const HEAD: u32 = 0;

#[derive(Clone, Copy)]
struct Link {
    next: u32,
    /// Elements this link skips over (rank distance to `next`).
    span: u32,
}

/// An element. Its level-0 link is inline; the links above it (a quarter of the nodes have
/// any) are `SkipList::uppers[up]`, so a node takes 48 bytes whatever its level.
#[derive(Clone)]
struct Node {
    member: SmallBytes,
    score: f64,
    prev: u32,
    l0: Link,
    up: u32,
}

/// Order of (score, member) pairs: by score, then by member bytes.
fn cmp(a: (f64, &[u8]), b: (f64, &[u8])) -> Ordering {
    a.0.partial_cmp(&b.0)
        .unwrap_or(Ordering::Equal)
        .then_with(|| a.1.cmp(b.1))
}

#[derive(Clone)]
struct SkipList {
    /// `nodes[0]` is the header; the elements are `nodes[1..]`, dense: a removal moves the last
    /// node into the hole, so a position is ZSCAN's cursor and ZRANDMEMBER's pick, as an index
    /// into Redis's dict is.
    nodes: Vec<Node>,
    /// Links of levels 1 and up, per node that has them; freed ones are reused.
    uppers: Vec<Box<[Link]>>,
    free_uppers: Vec<u32>,
    /// Member -> node position.
    index: PosIndex,
    level: usize,
    tail: u32,
}

impl SkipList {
    /// An empty list with room for `n` elements.
    pub fn with_capacity(n: usize) -> SkipList {
        let mut nodes = Vec::with_capacity(n + 1);
        nodes.push(Node {
            member: SmallBytes::new(b""),
            score: 0.0,
            prev: NIL,
            l0: Link { next: NIL, span: 0 },
            up: 0,
        });
        SkipList {
            nodes,
            uppers: vec![vec![Link { next: NIL, span: 0 }; MAX_LEVEL - 1].into_boxed_slice()],
            free_uppers: Vec::new(),
            index: PosIndex::with_capacity(n),
            level: 1,
            tail: NIL,
        }
    }

    pub fn len(&self) -> usize {
        self.nodes.len() - 1
    }

    #[inline]
    fn link(&self, x: u32, i: usize) -> Link {
        let n = &self.nodes[x as usize];
        if i == 0 {
            n.l0
        } else {
            self.uppers[n.up as usize][i - 1]
        }
    }

    #[inline]
    fn link_mut(&mut self, x: u32, i: usize) -> &mut Link {
        let n = &mut self.nodes[x as usize];
        if i == 0 {
            &mut n.l0
        } else {
            &mut self.uppers[n.up as usize][i - 1]
        }
    }

    fn next(&self, x: u32, i: usize) -> u32 {
        self.link(x, i).next
    }

    fn node_level(&self, x: u32) -> usize {
        match self.nodes[x as usize].up {
            NIL => 1,
            up => self.uppers[up as usize].len() + 1,
        }
    }

    fn key(&self, x: u32) -> (f64, &[u8]) {
        let n = &self.nodes[x as usize];
        (n.score, &n.member)
    }

    /// The node holding `member`.
    fn find(&self, member: &[u8]) -> Option<u32> {
        self.index.find(member, |i| &self.nodes[i as usize].member)
    }

    pub fn score(&self, member: &[u8]) -> Option<f64> {
        self.find(member).map(|x| self.nodes[x as usize].score)
    }

    /// The element at position `i` of the dense node order (not rank order).
    pub fn get_index(&self, i: usize) -> Option<(&[u8], f64)> {
        self.nodes.get(i + 1).map(|n| (&*n.member, n.score))
    }

    /// Elements in node order.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], f64)> + '_ {
        self.nodes[1..].iter().map(|n| (&*n.member, n.score))
    }

    /// For each level, the last node before (score, member).
    fn path(&self, score: f64, member: &[u8]) -> ([u32; MAX_LEVEL], [u32; MAX_LEVEL]) {
        let mut update = [HEAD; MAX_LEVEL];
        let mut rank = [0u32; MAX_LEVEL];
        let mut x = HEAD;
        for i in (0..self.level).rev() {
            rank[i] = if i == self.level - 1 { 0 } else { rank[i + 1] };
            loop {
                let l = self.link(x, i);
                if l.next == NIL || cmp(self.key(l.next), (score, member)) != Ordering::Less {
                    break;
                }
                rank[i] += l.span;
                x = l.next;
            }
            update[i] = x;
        }
        (update, rank)
    }

    fn random_level() -> usize {
        let mut rng = rand::rng();
        let mut l = 1;
        while l < MAX_LEVEL && rng.random_range(0..4) == 0 {
            l += 1;
        }
        l
    }

    /// Links node `x` (in `nodes`, not in the list) in at its (score, member).
    fn splice(&mut self, x: u32) {
        let (mut update, mut rank) = {
            let n = &self.nodes[x as usize];
            self.path(n.score, &n.member)
        };
        let lvl = self.node_level(x);
        if lvl > self.level {
            // Every element but `x` is linked.
            let linked = (self.nodes.len() - 2) as u32;
            for i in self.level..lvl {
                rank[i] = 0;
                update[i] = HEAD;
                self.link_mut(HEAD, i).span = linked;
            }
            self.level = lvl;
        }
        for i in 0..lvl {
            let ul = self.link(update[i], i);
            *self.link_mut(x, i) = Link {
                next: ul.next,
                span: ul.span - (rank[0] - rank[i]),
            };
            *self.link_mut(update[i], i) = Link {
                next: x,
                span: rank[0] - rank[i] + 1,
            };
        }
        for (i, &u) in update.iter().enumerate().take(self.level).skip(lvl) {
            self.link_mut(u, i).span += 1;
        }
        self.nodes[x as usize].prev = if update[0] == HEAD { NIL } else { update[0] };
        match self.next(x, 0) {
            NIL => self.tail = x,
            n => self.nodes[n as usize].prev = x,
        }
    }

    /// Unlinks node `x` from the list; it stays in `nodes`.
    fn unsplice(&mut self, x: u32) {
        let (update, _) = {
            let n = &self.nodes[x as usize];
            self.path(n.score, &n.member)
        };
        let lvl = self.node_level(x);
        for (i, &u) in update.iter().enumerate().take(self.level) {
            let ul = self.link(u, i);
            if i < lvl && ul.next == x {
                let xl = self.link(x, i);
                *self.link_mut(u, i) = Link {
                    next: xl.next,
                    span: ul.span + xl.span - 1,
                };
            } else {
                self.link_mut(u, i).span -= 1;
            }
        }
        let (next, prev) = (self.next(x, 0), self.nodes[x as usize].prev);
        match next {
            NIL => self.tail = prev,
            n => self.nodes[n as usize].prev = prev,
        }
        while self.level > 1 && self.next(HEAD, self.level - 1) == NIL {
            self.level -= 1;
        }
    }

    /// Inserts an element that is not present.
    pub fn insert(&mut self, score: f64, member: &[u8]) {
        let lvl = Self::random_level();
        let up = if lvl == 1 {
            NIL
        } else {
            let links = vec![Link { next: NIL, span: 0 }; lvl - 1].into_boxed_slice();
            match self.free_uppers.pop() {
                Some(u) => {
                    self.uppers[u as usize] = links;
                    u
                }
                None => {
                    self.uppers.push(links);
                    (self.uppers.len() - 1) as u32
                }
            }
        };
        let x = self.nodes.len() as u32;
        self.nodes.push(Node {
            member: SmallBytes::new(member),
            score,
            prev: NIL,
            l0: Link { next: NIL, span: 0 },
            up,
        });
        self.splice(x);
        let nodes = &self.nodes;
        self.index.insert(member, x, |i| &nodes[i as usize].member);
    }

    /// Sets a present member's score; returns the old one, or None when it is not present.
    pub fn rescore(&mut self, member: &[u8], score: f64) -> Option<f64> {
        let x = self.find(member)?;
        let old = self.nodes[x as usize].score;
        if old != score {
            // The node keeps its slot and level; only its place in the order changes.
            self.unsplice(x);
            self.nodes[x as usize].score = score;
            self.splice(x);
        }
        Some(old)
    }

    /// Removes an element; returns its score if it was there.
    pub fn remove(&mut self, member: &[u8]) -> Option<f64> {
        let x = self.find(member)?;
        self.index.remove(member, x);
        let score = self.nodes[x as usize].score;
        self.unsplice(x);
        let up = self.nodes[x as usize].up;
        if up != NIL {
            self.uppers[up as usize] = Box::default();
            self.free_uppers.push(up);
        }
        let last = (self.nodes.len() - 1) as u32;
        if x != last {
            self.relocate(last, x);
        }
        self.nodes.swap_remove(x as usize);
        Some(score)
    }

    /// Points everything that refers to node `from` at `to`, before `from` moves there.
    fn relocate(&mut self, from: u32, to: u32) {
        let (update, _) = {
            let n = &self.nodes[from as usize];
            self.path(n.score, &n.member)
        };
        for (i, &u) in update.iter().enumerate().take(self.node_level(from)) {
            self.link_mut(u, i).next = to;
        }
        match self.next(from, 0) {
            NIL => self.tail = to,
            n => self.nodes[n as usize].prev = to,
        }
        self.index
            .repoint(&self.nodes[from as usize].member, from, to);
    }

    /// 0-based rank of a present member.
    pub fn rank(&self, member: &[u8]) -> Option<usize> {
        let (score, member) = self.key(self.find(member)?);
        let mut x = HEAD;
        let mut r = 0u32;
        for i in (0..self.level).rev() {
            loop {
                let l = self.link(x, i);
                if l.next == NIL || cmp(self.key(l.next), (score, member)) == Ordering::Greater {
                    break;
                }
                r += l.span;
                x = l.next;
            }
            if x != HEAD && *self.nodes[x as usize].member == *member {
                return Some(r as usize - 1);
            }
        }
        None
    }

    /// The node at 0-based rank `r`.
    fn at_rank(&self, r: usize) -> u32 {
        let want = r as u32 + 1;
        let mut x = HEAD;
        let mut t = 0u32;
        for i in (0..self.level).rev() {
            loop {
                let l = self.link(x, i);
                if l.next == NIL || t + l.span > want {
                    break;
                }
                t += l.span;
                x = l.next;
            }
            if t == want {
                return x;
            }
        }
        NIL
    }

    /// The first node for which `below` is false (the list is sorted so `below` holds for a
    /// prefix), and its 0-based rank.
    fn first_not(&self, below: impl Fn(f64, &[u8]) -> bool) -> (u32, usize) {
        let mut x = HEAD;
        let mut r = 0u32;
        for i in (0..self.level).rev() {
            loop {
                let l = self.link(x, i);
                if l.next == NIL || {
                    let n = &self.nodes[l.next as usize];
                    !below(n.score, &n.member)
                } {
                    break;
                }
                r += l.span;
                x = l.next;
            }
        }
        (self.next(x, 0), r as usize)
    }

    /// Elements from 0-based rank `from`, forwards or backwards, as (member, score).
    pub fn iter_from(&self, from: usize, rev: bool) -> impl Iterator<Item = (&[u8], f64)> + '_ {
        let mut x = if from < self.len() {
            self.at_rank(from)
        } else {
            NIL
        };
        std::iter::from_fn(move || {
            if x == NIL {
                return None;
            }
            let n = &self.nodes[x as usize];
            x = if rev { n.prev } else { n.l0.next };
            Some((&*n.member, n.score))
        })
    }
}

/// A score bound of ZRANGEBYSCORE and friends: `1.5`, `(1.5`, `-inf`, `+inf`.
#[derive(Clone, Copy, Debug)]
pub struct ScoreBound {
    pub v: f64,
    pub excl: bool,
}

impl ScoreBound {
    pub fn parse(b: &[u8]) -> CmdResult<Self> {
        let err = || CmdError::Other("min or max is not a float".into());
        // Redis reads the bound as a C string: an embedded NUL ends it.
        let b = memchr::memchr(0, b).map_or(b, |i| &b[..i]);
        let (excl, num) = match b.first() {
            Some(b'(') => (true, &b[1..]),
            _ => (false, b),
        };
        let v = crate::resp::parse_score_bound(num).ok_or_else(err)?;
        Ok(ScoreBound { v, excl })
    }
    /// Whether `s` is above this bound taken as a minimum.
    pub fn min_ok(&self, s: f64) -> bool {
        if self.excl {
            s > self.v
        } else {
            s >= self.v
        }
    }
    pub fn max_ok(&self, s: f64) -> bool {
        if self.excl {
            s < self.v
        } else {
            s <= self.v
        }
    }
}

/// A lex bound: `[a`, `(a`, `-`, `+`.
#[derive(Clone, Debug)]
pub enum LexBound {
    NegInf,
    PosInf,
    Incl(Vec<u8>),
    Excl(Vec<u8>),
}

impl LexBound {
    pub fn parse(b: &[u8]) -> CmdResult<Self> {
        match b.first() {
            Some(b'-') if b.len() == 1 => Ok(LexBound::NegInf),
            Some(b'+') if b.len() == 1 => Ok(LexBound::PosInf),
            Some(b'[') => Ok(LexBound::Incl(b[1..].to_vec())),
            Some(b'(') => Ok(LexBound::Excl(b[1..].to_vec())),
            _ => Err(CmdError::Other(
                "min or max not valid string range item".into(),
            )),
        }
    }
    pub fn min_ok(&self, m: &[u8]) -> bool {
        match self {
            LexBound::NegInf => true,
            LexBound::PosInf => false,
            LexBound::Incl(v) => m >= v.as_slice(),
            LexBound::Excl(v) => m > v.as_slice(),
        }
    }
    pub fn max_ok(&self, m: &[u8]) -> bool {
        match self {
            LexBound::NegInf => false,
            LexBound::PosInf => true,
            LexBound::Incl(v) => m <= v.as_slice(),
            LexBound::Excl(v) => m < v.as_slice(),
        }
    }
}

/// A range of a sorted set, as ZRANGE and the ZREMRANGEBY commands take it.
#[derive(Clone, Debug)]
pub enum Range {
    /// 0-based ranks, negative from the end, inclusive.
    Rank(i64, i64),
    Score(ScoreBound, ScoreBound),
    Lex(LexBound, LexBound),
}

/// A sorted set: small ones packed (Redis's listpack), the rest a table.
pub struct ZSet {
    repr: Repr,
}

enum Repr {
    Packed(Packed),
    Table(Box<SkipList>),
}

/// Entries in (score, member) order as pairs of packed strings: the score, then the member.
/// Lookups scan it, as Redis scans a listpack: it is short.
#[derive(Clone, Default)]
struct Packed(Strings);

/// A packed score: an integer below 2^55 in as few little-endian two's-complement bytes as hold
/// it (0 in none), as Redis's listpack keeps integer scores; any other score as its 8 bytes.
fn encode_score(s: f64) -> ([u8; 8], usize) {
    const INT_LIMIT: f64 = (1u64 << 55) as f64;
    if s.fract() == 0.0 && s.abs() < INT_LIMIT {
        let n = s as i64;
        let fits = |l: u32| (n << (64 - 8 * l)) >> (64 - 8 * l) == n;
        let len = if n == 0 {
            0
        } else {
            (1..8).find(|&l| fits(l)).expect("below 2^55 fits 7 bytes")
        };
        return (n.to_le_bytes(), len as usize);
    }
    (s.to_le_bytes(), 8)
}

fn decode_score(b: &[u8]) -> f64 {
    match b.len() {
        8 => f64::from_le_bytes(b.try_into().expect("8 bytes")),
        0 => 0.0,
        n => {
            let mut w = [0u8; 8];
            w[..n].copy_from_slice(b);
            // Sign-extended from the top byte given.
            let shift = 64 - 8 * n as u32;
            ((i64::from_le_bytes(w) << shift) >> shift) as f64
        }
    }
}

impl Packed {
    fn len(&self) -> usize {
        self.0.len() / 2
    }

    /// Entries in order, with their offsets.
    fn iter(&self) -> impl Iterator<Item = (usize, f64, &[u8])> + '_ {
        let mut it = self.0.iter();
        std::iter::from_fn(move || {
            let (at, score) = it.next()?;
            let (_, member) = it.next()?;
            let score = decode_score(score);
            Some((at, score, member))
        })
    }

    /// (offset, rank, score) of `member`.
    fn find(&self, member: &[u8]) -> Option<(usize, usize, f64)> {
        self.iter()
            .enumerate()
            .find(|(_, (_, _, m))| *m == member)
            .map(|(rank, (at, score, _))| (at, rank, score))
    }

    fn remove_at(&mut self, at: usize) {
        self.0.remove(at, 2);
    }

    /// Inserts an entry that is not present, in order.
    fn insert(&mut self, score: f64, member: &[u8]) {
        let at = self
            .iter()
            .find(|(_, s, m)| cmp((*s, m), (score, member)) == Ordering::Greater)
            .map_or(self.0.end(), |(at, _, _)| at);
        let (b, n) = encode_score(score);
        self.0.insert(at, &[&b[..n], member]);
    }

    /// The rank of the first entry for which `below` is false.
    fn first_not(&self, below: impl Fn(f64, &[u8]) -> bool) -> usize {
        self.iter()
            .position(|(_, s, m)| !below(s, m))
            .unwrap_or(self.len())
    }
}

/// Elements in rank order from a rank, forwards or backwards.
pub enum RankIter<'a> {
    /// A packed set's, backwards (its entries only run forwards).
    Collected(std::vec::IntoIter<(&'a [u8], f64)>),
    Lazy(Box<dyn Iterator<Item = (&'a [u8], f64)> + 'a>),
}

impl<'a> Iterator for RankIter<'a> {
    type Item = (&'a [u8], f64);
    fn next(&mut self) -> Option<Self::Item> {
        match self {
            RankIter::Collected(i) => i.next(),
            RankIter::Lazy(i) => i.next(),
        }
    }
}

impl ZSet {
    /// An empty sorted set (packed; `_h` is kept for the callers' symmetry with the other
    /// types).
    pub fn new(_h: &Hasher) -> ZSet {
        ZSet {
            repr: Repr::Packed(Packed::default()),
        }
    }

    pub fn len(&self) -> usize {
        match &self.repr {
            Repr::Packed(p) => p.len(),
            Repr::Table(t) => t.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether it is packed (OBJECT ENCODING's `listpack`; else `skiplist`).
    pub fn is_packed(&self) -> bool {
        matches!(self.repr, Repr::Packed(_))
    }

    /// A deep copy (COPY).
    pub fn duplicate(&self) -> ZSet {
        match &self.repr {
            Repr::Packed(p) => ZSet {
                repr: Repr::Packed(p.clone()),
            },
            Repr::Table(t) => ZSet {
                repr: Repr::Table(t.clone()),
            },
        }
    }

    /// A member's score.
    pub fn score(&self, member: &[u8]) -> Option<f64> {
        match &self.repr {
            Repr::Packed(p) => p.find(member).map(|(_, _, s)| s),
            Repr::Table(t) => t.score(member),
        }
    }

    /// Members and scores, in no particular order.
    pub fn iter(&self) -> Box<dyn Iterator<Item = (&[u8], f64)> + '_> {
        match &self.repr {
            Repr::Packed(p) => Box::new(p.iter().map(|(_, s, m)| (m, s))),
            Repr::Table(t) => Box::new(t.iter()),
        }
    }

    /// The element at position `i` of ZSCAN's and ZRANDMEMBER's order.
    pub fn get_index(&self, i: usize) -> Option<(&[u8], f64)> {
        match &self.repr {
            Repr::Packed(p) => p.iter().nth(i).map(|(_, s, m)| (m, s)),
            Repr::Table(t) => t.get_index(i),
        }
    }

    /// Elements from 0-based rank `from`, forwards or backwards, as (member, score).
    pub fn iter_from(&self, from: usize, rev: bool) -> RankIter<'_> {
        match &self.repr {
            // As the skip list's: from the element at ascending rank `from`, towards rank 0
            // when `rev`.
            Repr::Packed(p) if rev => {
                let mut picked: Vec<(&[u8], f64)> = if from < p.len() {
                    p.iter().take(from + 1).map(|(_, s, m)| (m, s)).collect()
                } else {
                    Vec::new()
                };
                picked.reverse();
                RankIter::Collected(picked.into_iter())
            }
            Repr::Packed(p) => {
                RankIter::Lazy(Box::new(p.iter().skip(from).map(|(_, s, m)| (m, s))))
            }
            Repr::Table(t) => RankIter::Lazy(Box::new(t.iter_from(from, rev))),
        }
    }

    /// Turns a packed set into a table, for good, with room for `more` members besides (the
    /// node array sized once, rather than doubled member by member).
    fn unpack(&mut self, more: usize) {
        let Repr::Packed(p) = &self.repr else {
            return;
        };
        let mut t = SkipList::with_capacity(p.len() + more);
        for (_, s, m) in p.iter() {
            t.insert(s, m);
        }
        self.repr = Repr::Table(Box::new(t));
    }

    /// Sets a member's score (adding it if new).
    pub fn set(&mut self, member: &[u8], score: f64) {
        self.set_of(member, score, 1)
    }

    /// [`ZSet::set`], `coming` members being set now, this one included (ZADD's).
    pub fn set_of(&mut self, member: &[u8], score: f64, coming: usize) {
        // Redis stores a score of -0 as 0 (the reply to the command that computed it may still
        // say -0); adding +0 turns -0 into +0 and leaves every other score as it is.
        let score = score + 0.0;
        if let Repr::Packed(p) = &mut self.repr {
            let found = p.find(member);
            if let Some((_, _, old)) = found {
                if old == score {
                    return;
                }
            }
            let grows = found.is_none();
            if grows
                && (p.len() >= limit(&packed::ZSET_ENTRIES)
                    || member.len() > limit(&packed::ZSET_VALUE))
            {
                self.unpack(coming.max(1));
            } else {
                if let Some((at, _, _)) = found {
                    p.remove_at(at);
                }
                p.insert(score, member);
                return;
            }
        }
        let Repr::Table(t) = &mut self.repr else {
            unreachable!("unpacked above");
        };
        if t.rescore(member, score).is_none() {
            t.insert(score, member);
        }
    }

    pub fn remove(&mut self, member: &[u8]) -> bool {
        match &mut self.repr {
            Repr::Packed(p) => match p.find(member) {
                Some((at, _, _)) => {
                    p.remove_at(at);
                    true
                }
                None => false,
            },
            Repr::Table(t) => t.remove(member).is_some(),
        }
    }

    /// The 0-based ranks [first, last] a range selects, in ascending order (None: empty).
    pub fn span(&self, r: &Range) -> Option<(usize, usize)> {
        let len = self.len();
        if len == 0 {
            return None;
        }
        let first_not = |below: &dyn Fn(f64, &[u8]) -> bool| match &self.repr {
            Repr::Packed(p) => p.first_not(below),
            Repr::Table(t) => t.first_not(below).1,
        };
        match r {
            Range::Rank(a, b) => super::lists::index_range(len, *a, *b),
            Range::Score(min, max) => {
                let first = first_not(&|s, _| !min.min_ok(s));
                let end = first_not(&|s, _| max.max_ok(s));
                (first < end).then(|| (first, end - 1))
            }
            Range::Lex(min, max) => {
                let first = first_not(&|_, m| !min.min_ok(m));
                let end = first_not(&|_, m| max.max_ok(m));
                (first < end).then(|| (first, end - 1))
            }
        }
    }

    /// 0-based rank of `member`, from the top when `rev`.
    pub fn rank(&self, member: &[u8], rev: bool) -> Option<usize> {
        let r = match &self.repr {
            Repr::Packed(p) => p.find(member)?.1,
            Repr::Table(t) => t.rank(member)?,
        };
        Some(if rev { self.len() - 1 - r } else { r })
    }
}

impl Shard {
    /// The live sorted set at `key`, or WRONGTYPE if it holds another type.
    pub fn get_zset(&self, key: &[u8], now: u64) -> CmdResult<Option<&ZSet>> {
        self.get_coll(key, now, |c| match c {
            Coll::ZSet(z) => Some(z),
            _ => None,
        })
    }

    /// The sorted set at `key` for writing (expired keys deleted first); created when `create`.
    pub fn zset_mut(&mut self, key: &[u8], now: u64, create: bool) -> CmdResult<Option<&mut ZSet>> {
        let new: fn(&Hasher) -> Coll = |h| Coll::ZSet(ZSet::new(h));
        self.coll_mut(key, now, create.then_some(new), |c| match c {
            Coll::ZSet(z) => Some(z),
            _ => None,
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn packed_scores_round_trip() {
        let big = (1u64 << 55) as f64;
        for s in [
            0.0,
            1.0,
            -1.0,
            127.0,
            128.0,
            -128.0,
            -129.0,
            1.5,
            -0.25,
            1e15,
            -1e15,
            big - 1.0,
            big,
            -big,
            1e300,
            f64::INFINITY,
            f64::NEG_INFINITY,
            1_700_000_000_000.0,
        ] {
            let (b, n) = super::encode_score(s);
            assert_eq!(super::decode_score(&b[..n]), s, "{s}");
        }
        assert_eq!(super::encode_score(5.0).1, 1);
        assert_eq!(super::encode_score(-300.0).1, 2);
        assert_eq!(super::encode_score(0.5).1, 8);
    }

    use super::*;

    #[test]
    fn skiplist_ranks_match_a_sorted_vec() {
        let mut z = ZSet::new(&Hasher::new());
        let mut model: Vec<(i64, Vec<u8>)> = Vec::new();
        let mut rng = rand::rng();
        for step in 0..5000 {
            let m = format!("m{}", rng.random_range(0..300)).into_bytes();
            let s = rng.random_range(-50..50);
            if step % 3 == 0 {
                z.remove(&m);
                model.retain(|(_, x)| *x != m);
            } else {
                z.set(&m, s as f64);
                model.retain(|(_, x)| *x != m);
                model.push((s, m));
            }
            if step % 97 == 0 {
                model.sort();
                assert_eq!(z.len(), model.len());
                for (i, (s, m)) in model.iter().enumerate() {
                    assert_eq!(z.rank(m, false), Some(i));
                    assert_eq!(z.iter_from(i, false).next(), Some((&m[..], *s as f64)));
                }
                let all: Vec<(Vec<u8>, f64)> = z
                    .iter_from(0, false)
                    .map(|(m, s)| (m.to_vec(), s))
                    .collect();
                let want: Vec<(Vec<u8>, f64)> =
                    model.iter().map(|(s, m)| (m.clone(), *s as f64)).collect();
                assert_eq!(all, want);
                let range = Range::Score(
                    ScoreBound {
                        v: -10.0,
                        excl: true,
                    },
                    ScoreBound {
                        v: 10.0,
                        excl: false,
                    },
                );
                let n = model.iter().filter(|(s, _)| *s > -10 && *s <= 10).count();
                assert_eq!(z.span(&range).map_or(0, |(a, b)| b - a + 1), n);
            }
        }
    }

    /// What a sorted set answers, whatever its encoding: every order and range the commands
    /// read, against a sorted vector.
    fn check(z: &ZSet, model: &[(f64, Vec<u8>)]) {
        assert_eq!(z.len(), model.len());
        let fwd: Vec<(Vec<u8>, f64)> = z
            .iter_from(0, false)
            .map(|(m, s)| (m.to_vec(), s))
            .collect();
        let want: Vec<(Vec<u8>, f64)> = model.iter().map(|(s, m)| (m.clone(), *s)).collect();
        assert_eq!(fwd, want);
        for from in [
            0,
            1,
            model.len() / 2,
            model.len().saturating_sub(1),
            model.len(),
        ] {
            let rev: Vec<Vec<u8>> = z.iter_from(from, true).map(|(m, _)| m.to_vec()).collect();
            let want: Vec<Vec<u8>> = if from < model.len() {
                model[..=from]
                    .iter()
                    .rev()
                    .map(|(_, m)| m.clone())
                    .collect()
            } else {
                Vec::new()
            };
            assert_eq!(rev, want, "rev from {from}");
        }
        for (i, (s, m)) in model.iter().enumerate() {
            assert_eq!(z.rank(m, false), Some(i));
            assert_eq!(z.rank(m, true), Some(model.len() - 1 - i));
            assert_eq!(z.score(m), Some(*s));
        }
        let mut unordered: Vec<Vec<u8>> = (0..z.len())
            .map(|i| z.get_index(i).unwrap().0.to_vec())
            .collect();
        unordered.sort();
        let mut members: Vec<Vec<u8>> = model.iter().map(|(_, m)| m.clone()).collect();
        members.sort();
        assert_eq!(unordered, members);
        let lex = Range::Lex(
            LexBound::Incl(b"m1".to_vec()),
            LexBound::Excl(b"m5".to_vec()),
        );
        if let Some((a, b)) = z.span(&lex) {
            assert!(a <= b && b < model.len());
        }
        let score = Range::Score(
            ScoreBound {
                v: -3.0,
                excl: false,
            },
            ScoreBound { v: 7.0, excl: true },
        );
        let n = model.iter().filter(|(s, _)| *s >= -3.0 && *s < 7.0).count();
        assert_eq!(z.span(&score).map_or(0, |(a, b)| b - a + 1), n);
    }

    proptest::proptest! {
        #[test]
        fn packed_and_table_sets_answer_alike(
            ops in proptest::collection::vec((0u8..3, 0usize..160, -20i32..20, 0usize..3), 1..400)
        ) {
            let mut z = ZSet::new(&Hasher::new());
            let mut model: Vec<(f64, Vec<u8>)> = Vec::new();
            for (op, member, score, len) in ops {
                // Now and then a member past zset-max-listpack-value (64 bytes).
                let m = match len {
                    0 => format!("m{member}").into_bytes(),
                    1 => format!("m{member}:{}", "x".repeat(member % 8)).into_bytes(),
                    _ if member % 37 == 0 => vec![b'l'; 70],
                    _ => format!("{member}").into_bytes(),
                };
                let s = f64::from(score) / 2.0;
                model.retain(|(_, x)| *x != m);
                if op == 0 {
                    z.remove(&m);
                } else {
                    z.set(&m, s);
                    model.push((s, m));
                }
                model.sort_by(|a, b| cmp((a.0, &a.1), (b.0, &b.1)));
            }
            check(&z, &model);
            // Never packed past the limits (a table stays a table once made).
            proptest::prop_assert!(
                !z.is_packed() || (model.len() <= 128 && model.iter().all(|(_, m)| m.len() <= 64))
            );
            let copy = z.duplicate();
            check(&copy, &model);
        }
    }
}
