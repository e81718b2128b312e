//! Sorted sets: a member -> score map for O(1) ZSCORE, plus a skip list ordered by (score, member)
//! whose links carry spans, so ranks, rank ranges and score/lex ranges are O(log n) (Redis's
//! design). The skip list keeps its nodes in a `Vec` and links them by index: no unsafe, no
//! reference counting, and freed slots are reused.

use super::{Coll, Hasher, Shard};
use crate::error::{CmdError, CmdResult};
use indexmap::IndexMap;
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

struct Node {
    member: Box<[u8]>,
    score: f64,
    prev: u32,
    links: Vec<Link>,
}

/// Order of (score, member) pairs: by score, then by member bytes.
fn cmp(a: (f64, &[u8]), b: (f64, &[u8])) -> Ordering {
    a.0.partial_cmp(&b.0)
        .unwrap_or(Ordering::Equal)
        .then_with(|| a.1.cmp(b.1))
}

pub struct SkipList {
    nodes: Vec<Node>,
    free: Vec<u32>,
    level: usize,
    len: usize,
    tail: u32,
}

impl Default for SkipList {
    fn default() -> Self {
        SkipList {
            nodes: vec![Node {
                member: Box::default(),
                score: 0.0,
                prev: NIL,
                links: vec![Link { next: NIL, span: 0 }; MAX_LEVEL],
            }],
            free: Vec::new(),
            level: 1,
            len: 0,
            tail: NIL,
        }
    }
}

impl SkipList {
    fn next(&self, x: u32, i: usize) -> u32 {
        self.nodes[x as usize].links[i].next
    }

    fn key(&self, x: u32) -> (f64, &[u8]) {
        let n = &self.nodes[x as usize];
        (n.score, &n.member)
    }

    /// For each level, the last node before (score, member).
    fn path(&self, score: f64, member: &[u8]) -> ([u32; MAX_LEVEL], [u32; MAX_LEVEL]) {
        let mut update = [HEAD; MAX_LEVEL];
        let mut rank = [0u32; MAX_LEVEL];
        let mut x = HEAD;
        for i in (0..self.level).rev() {
            rank[i] = if i == self.level - 1 { 0 } else { rank[i + 1] };
            loop {
                let n = self.next(x, i);
                if n == NIL || cmp(self.key(n), (score, member)) != Ordering::Less {
                    break;
                }
                rank[i] += self.nodes[x as usize].links[i].span;
                x = n;
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

    /// Inserts an element that is not present.
    pub fn insert(&mut self, score: f64, member: &[u8]) {
        let (mut update, mut rank) = self.path(score, member);
        let lvl = Self::random_level();
        if lvl > self.level {
            for i in self.level..lvl {
                rank[i] = 0;
                update[i] = HEAD;
                self.nodes[HEAD as usize].links[i].span = self.len as u32;
            }
            self.level = lvl;
        }
        let node = Node {
            member: member.into(),
            score,
            prev: if update[0] == HEAD { NIL } else { update[0] },
            links: vec![Link { next: NIL, span: 0 }; lvl],
        };
        let x = match self.free.pop() {
            Some(slot) => {
                self.nodes[slot as usize] = node;
                slot
            }
            None => {
                self.nodes.push(node);
                (self.nodes.len() - 1) as u32
            }
        };
        for i in 0..lvl {
            let u = update[i] as usize;
            let ul = self.nodes[u].links[i];
            self.nodes[x as usize].links[i] = Link {
                next: ul.next,
                span: ul.span - (rank[0] - rank[i]),
            };
            self.nodes[u].links[i] = Link {
                next: x,
                span: rank[0] - rank[i] + 1,
            };
        }
        for (i, &u) in update.iter().enumerate().take(self.level).skip(lvl) {
            self.nodes[u as usize].links[i].span += 1;
        }
        match self.next(x, 0) {
            NIL => self.tail = x,
            n => self.nodes[n as usize].prev = x,
        }
        self.len += 1;
    }

    /// Removes an element; returns whether it was there.
    pub fn remove(&mut self, score: f64, member: &[u8]) -> bool {
        let (update, _) = self.path(score, member);
        let x = self.next(update[0], 0);
        if x == NIL || cmp(self.key(x), (score, member)) != Ordering::Equal {
            return false;
        }
        for (i, &u) in update.iter().enumerate().take(self.level) {
            let xl = self.nodes[x as usize].links.get(i).copied();
            let ul = &mut self.nodes[u as usize].links[i];
            match xl {
                Some(xl) if ul.next == x => {
                    ul.span += xl.span;
                    ul.span -= 1;
                    ul.next = xl.next;
                }
                _ => ul.span -= 1,
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
        self.nodes[x as usize].member = Box::default();
        self.nodes[x as usize].links = Vec::new();
        self.free.push(x);
        self.len -= 1;
        true
    }

    /// 0-based rank of a present element.
    pub fn rank(&self, score: f64, member: &[u8]) -> Option<usize> {
        let mut x = HEAD;
        let mut r = 0u32;
        for i in (0..self.level).rev() {
            loop {
                let n = self.next(x, i);
                if n == NIL || cmp(self.key(n), (score, member)) == Ordering::Greater {
                    break;
                }
                r += self.nodes[x as usize].links[i].span;
                x = n;
            }
            if x != HEAD && &*self.nodes[x as usize].member == member {
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
                let n = self.next(x, i);
                let span = self.nodes[x as usize].links[i].span;
                if n == NIL || t + span > want {
                    break;
                }
                t += span;
                x = n;
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
                let n = self.next(x, i);
                if n == NIL || !below(self.nodes[n as usize].score, &self.nodes[n as usize].member)
                {
                    break;
                }
                r += self.nodes[x as usize].links[i].span;
                x = n;
            }
        }
        (self.next(x, 0), r as usize)
    }

    /// Elements from 0-based rank `from`, forwards or backwards, as (member, score).
    pub fn iter_from(&self, from: usize, rev: bool) -> impl Iterator<Item = (&[u8], f64)> + '_ {
        let mut x = if from < self.len {
            self.at_rank(from)
        } else {
            NIL
        };
        std::iter::from_fn(move || {
            if x == NIL {
                return None;
            }
            let n = &self.nodes[x as usize];
            x = if rev { n.prev } else { n.links[0].next };
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

/// `scores` is an `IndexMap` (swap-removed only) so ZSCAN walks it like HSCAN walks a hash.
#[derive(Default)]
pub struct ZSet {
    pub scores: IndexMap<Box<[u8]>, f64, Hasher>,
    pub list: SkipList,
}

impl ZSet {
    /// An empty sorted set whose map uses `h`.
    pub fn new(h: &Hasher) -> ZSet {
        ZSet {
            scores: IndexMap::with_hasher(h.clone()),
            list: SkipList::default(),
        }
    }

    pub fn len(&self) -> usize {
        self.scores.len()
    }

    pub fn is_empty(&self) -> bool {
        self.scores.is_empty()
    }

    /// A deep copy (COPY): the skip list is rebuilt from the scores.
    pub fn duplicate(&self) -> ZSet {
        let mut z = ZSet {
            scores: IndexMap::with_hasher(self.scores.hasher().clone()),
            list: SkipList::default(),
        };
        for (m, s) in &self.scores {
            z.set(m, *s);
        }
        z
    }

    /// Sets a member's score (adding it if new).
    pub fn set(&mut self, member: &[u8], score: f64) {
        // Redis stores a score of -0 as 0 (the reply to the command that computed it may still
        // say -0); adding +0 turns -0 into +0 and leaves every other score as it is.
        let score = score + 0.0;
        match self.scores.get_mut(member) {
            Some(old) if *old == score => {}
            Some(old) => {
                self.list.remove(*old, member);
                self.list.insert(score, member);
                *old = score;
            }
            None => {
                self.list.insert(score, member);
                self.scores.insert(member.into(), score);
            }
        }
    }

    pub fn remove(&mut self, member: &[u8]) -> bool {
        match self.scores.swap_remove(member) {
            Some(s) => {
                self.list.remove(s, member);
                true
            }
            None => false,
        }
    }

    /// The 0-based ranks [first, last] a range selects, in ascending order (None: empty).
    pub fn span(&self, r: &Range) -> Option<(usize, usize)> {
        let len = self.len();
        if len == 0 {
            return None;
        }
        match r {
            Range::Rank(a, b) => super::lists::index_range(len, *a, *b),
            Range::Score(min, max) => {
                let (_, first) = self.list.first_not(|s, _| !min.min_ok(s));
                let (_, end) = self.list.first_not(|s, _| max.max_ok(s));
                (first < end).then(|| (first, end - 1))
            }
            Range::Lex(min, max) => {
                let (_, first) = self.list.first_not(|_, m| !min.min_ok(m));
                let (_, end) = self.list.first_not(|_, m| max.max_ok(m));
                (first < end).then(|| (first, end - 1))
            }
        }
    }

    /// 0-based rank of `member`, from the top when `rev`.
    pub fn rank(&self, member: &[u8], rev: bool) -> Option<usize> {
        let s = *self.scores.get(member)?;
        let r = self.list.rank(s, member)?;
        Some(if rev { self.len() - 1 - r } else { r })
    }
}

impl Shard {
    /// The live sorted set at `key`, or WRONGTYPE if it holds another type.
    pub fn get_zset(&self, key: &[u8], now: u64) -> CmdResult<Option<&ZSet>> {
        self.get_coll(key, now, |c| match c {
            Coll::ZSet(z) => Some(&**z),
            _ => None,
        })
    }

    /// The sorted set at `key` for writing (expired keys deleted first); created when `create`.
    pub fn zset_mut(&mut self, key: &[u8], now: u64, create: bool) -> CmdResult<Option<&mut ZSet>> {
        let new: fn(&Hasher) -> Coll = |h| Coll::ZSet(Box::new(ZSet::new(h)));
        self.coll_mut(key, now, create.then_some(new), |c| match c {
            Coll::ZSet(z) => Some(&mut **z),
            _ => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skiplist_ranks_match_a_sorted_vec() {
        let mut z = ZSet::default();
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
                    assert_eq!(z.list.iter_from(i, false).next(), Some((&m[..], *s as f64)));
                }
                let all: Vec<(Vec<u8>, f64)> = z
                    .list
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
}
