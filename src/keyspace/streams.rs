//! Streams: entries ordered by ID in a `BTreeMap` (O(log n) appends, range reads and deletes),
//! grouped as Redis groups them into listpack nodes (see [`Node`]), so that approximate
//! trimming and XINFO's node figures answer as Redis's.

use super::{Coll, Shard};
use crate::error::{CmdError, CmdResult};
use std::collections::BTreeMap;

/// A stream entry ID: milliseconds and sequence number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct StreamId {
    pub ms: u64,
    pub seq: u64,
}

impl StreamId {
    pub const MIN: StreamId = StreamId { ms: 0, seq: 0 };
    pub const MAX: StreamId = StreamId {
        ms: u64::MAX,
        seq: u64::MAX,
    };

    pub fn text(&self) -> Vec<u8> {
        format!("{}-{}", self.ms, self.seq).into_bytes()
    }

    /// The next ID after this one (saturating at MAX).
    pub fn next(self) -> Option<StreamId> {
        if self.seq < u64::MAX {
            Some(StreamId {
                ms: self.ms,
                seq: self.seq + 1,
            })
        } else if self.ms < u64::MAX {
            Some(StreamId {
                ms: self.ms + 1,
                seq: 0,
            })
        } else {
            None
        }
    }

    pub fn prev(self) -> Option<StreamId> {
        if self.seq > 0 {
            Some(StreamId {
                ms: self.ms,
                seq: self.seq - 1,
            })
        } else if self.ms > 0 {
            Some(StreamId {
                ms: self.ms - 1,
                seq: u64::MAX,
            })
        } else {
            None
        }
    }

    /// Parses an ID argument as Redis's strict parser does: `ms-seq`, or `ms` (sequence
    /// `missing_seq`); `-` and `+` alone are refused.
    pub fn parse(b: &[u8], missing_seq: u64) -> CmdResult<StreamId> {
        Self::parse_generic(b, missing_seq, true, false).map(|(id, _)| id)
    }

    /// Every argument of a list of IDs (XDEL, XACK), or the first error.
    pub fn parse_all<'a>(args: impl Iterator<Item = &'a [u8]>) -> CmdResult<Vec<StreamId>> {
        args.map(|b| StreamId::parse(b, 0)).collect()
    }

    /// Like [`StreamId::parse`], but `-` and `+` alone mean the smallest and the largest ID
    /// (XRANGE's inclusive bounds).
    pub fn parse_bound(b: &[u8], missing_seq: u64) -> CmdResult<StreamId> {
        Self::parse_generic(b, missing_seq, false, false).map(|(id, _)| id)
    }

    /// XADD's ID: also `ms-*`; the flag says whether the sequence was given.
    pub fn parse_for_add(b: &[u8]) -> CmdResult<(StreamId, bool)> {
        Self::parse_generic(b, 0, true, true)
    }

    /// Redis's streamGenericParseIDOrReply: the text as a C string (it ends at a NUL), at most
    /// 127 bytes, split at its first `-`, each side read by [`string2ull`].
    fn parse_generic(
        b: &[u8],
        missing_seq: u64,
        strict: bool,
        auto_seq: bool,
    ) -> CmdResult<(StreamId, bool)> {
        let bad =
            || CmdError::Other("Invalid stream ID specified as stream command argument".into());
        if b.len() > 127 {
            return Err(bad());
        }
        let b = b.split(|&c| c == 0).next().unwrap_or(b);
        match b {
            b"-" | b"+" if strict => return Err(bad()),
            b"-" => return Ok((StreamId::MIN, true)),
            b"+" => return Ok((StreamId::MAX, true)),
            _ => {}
        }
        let (ms, seq) = match b.iter().position(|&c| c == b'-') {
            Some(d) => (&b[..d], Some(&b[d + 1..])),
            None => (b, None),
        };
        let ms = string2ull(ms).ok_or_else(bad)?;
        match seq {
            Some(b"*") if auto_seq => Ok((StreamId { ms, seq: 0 }, false)),
            Some(seq) => Ok((
                StreamId {
                    ms,
                    seq: string2ull(seq).ok_or_else(bad)?,
                },
                true,
            )),
            None => Ok((
                StreamId {
                    ms,
                    seq: missing_seq,
                },
                true,
            )),
        }
    }
}

/// Redis's string2ull: a plain integer (not negative), or else what strtoull reads from all of
/// the text (leading spaces and a sign allowed, a `-` wrapping around).
fn string2ull(s: &[u8]) -> Option<u64> {
    if let Some(v) = crate::resp::parse_i64(s) {
        return u64::try_from(v).ok();
    }
    let mut i = 0;
    while i < s.len() && matches!(s[i], b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r') {
        i += 1;
    }
    let neg = match s.get(i) {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let digits = &s[i..];
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut v: u64 = 0;
    for &c in digits {
        v = v.checked_mul(10)?.checked_add(u64::from(c - b'0'))?;
    }
    Some(if neg { v.wrapping_neg() } else { v })
}

pub type Fields = Vec<(Vec<u8>, Vec<u8>)>;

/// One of Redis's stream nodes (a listpack under a radix-tree key, the node's first ID):
/// which entries it holds and how many bytes its listpack takes, without the listpack
/// itself. Redis decides where a node ends by these figures (`stream-node-max-entries`,
/// `stream-node-max-bytes`), and approximate trims remove whole nodes only.
#[derive(Clone, Debug, Default)]
pub struct Node {
    /// The first entry's field names: entries with the same ones are stored without them.
    master_fields: Vec<Vec<u8>>,
    live: u64,
    /// Entries deleted but still taking room (flagged, as Redis leaves them).
    deleted: u64,
    /// Listpack bytes except the two counters (live, deleted), whose size varies.
    bytes: usize,
    /// The last entry appended (deleted or not).
    last: StreamId,
}

/// The node size limits (`stream-node-max-entries`, `stream-node-max-bytes`; 0: no limit).
#[derive(Clone, Copy, Debug)]
pub struct NodeLimits {
    pub max_entries: u64,
    pub max_bytes: u64,
}

impl Default for NodeLimits {
    fn default() -> Self {
        NodeLimits {
            max_entries: 100,
            max_bytes: 4096,
        }
    }
}

/// Bytes a listpack element takes for its encoding and data: the back-length that follows it
/// included.
fn lp_sized(len: usize) -> usize {
    len + match len {
        0..=127 => 1,
        128..=16382 => 2,
        16383..=2097150 => 3,
        2097151..=268435454 => 4,
        _ => 5,
    }
}

fn lp_int(v: i64) -> usize {
    lp_sized(match v {
        0..=127 => 1,
        -4096..=4095 => 2,
        -32768..=32767 => 3,
        -8388608..=8388607 => 4,
        -2147483648..=2147483647 => 5,
        _ => 9,
    })
}

/// A string element: stored as an integer when it reads as one, as listpack does.
fn lp_str(s: &[u8]) -> usize {
    if let Some(v) = crate::resp::parse_i64(s) {
        return lp_int(v);
    }
    lp_sized(
        s.len()
            + match s.len() {
                0..=63 => 1,
                64..=4095 => 2,
                _ => 5,
            },
    )
}

/// A listpack's header (total bytes, element count) and end byte.
const LP_OVERHEAD: usize = 7;
/// Redis's largest stream listpack.
const LP_MAX: u64 = 1 << 30;

impl Node {
    fn new(fields: &Fields) -> Node {
        let master_fields: Vec<Vec<u8>> = fields.iter().map(|(f, _)| f.clone()).collect();
        let bytes = LP_OVERHEAD
            + lp_int(master_fields.len() as i64)
            + master_fields.iter().map(|f| lp_str(f)).sum::<usize>()
            + lp_int(0);
        Node {
            master_fields,
            bytes,
            ..Node::default()
        }
    }

    /// The listpack's size in bytes (Redis's lpBytes).
    fn lp_bytes(&self) -> usize {
        self.bytes + lp_int(self.live as i64) + lp_int(self.deleted as i64)
    }

    /// Appends entry `id` (this node's master ID is `master`).
    fn push(&mut self, master: StreamId, id: StreamId, fields: &Fields) {
        let same = fields.len() == self.master_fields.len()
            && fields
                .iter()
                .zip(&self.master_fields)
                .all(|((f, _), m)| f == m);
        let n = fields.len();
        let mut b = lp_int(if same { 2 } else { 0 })
            + lp_int(id.ms.wrapping_sub(master.ms) as i64)
            + lp_int(id.seq.wrapping_sub(master.seq) as i64);
        let lp_count = if same {
            b += fields.iter().map(|(_, v)| lp_str(v)).sum::<usize>();
            n + 3
        } else {
            b += lp_int(n as i64);
            b += fields
                .iter()
                .map(|(f, v)| lp_str(f) + lp_str(v))
                .sum::<usize>();
            2 * n + 4
        };
        b += lp_int(lp_count as i64);
        self.bytes += b;
        self.live += 1;
        self.last = id;
    }
}

#[derive(Default)]
pub struct Stream {
    /// The live entries. Changed only through [`Stream::append`], [`Stream::delete`] and
    /// [`Stream::trim`], which keep the nodes in step.
    pub entries: BTreeMap<StreamId, Fields>,
    /// Redis's nodes, by their master (first) ID.
    nodes: BTreeMap<StreamId, Node>,
    /// The greatest ID ever added (entries may have been deleted since).
    pub last_id: StreamId,
    /// Entries ever added, and the greatest ID XDEL removed (Redis 7.0's counters behind a
    /// group's `entries-read` and `lag`).
    pub entries_added: u64,
    pub max_deleted: StreamId,
    /// Consumer groups, by name (XINFO GROUPS lists them in this order, as Redis does).
    pub groups: BTreeMap<Vec<u8>, Group>,
}

/// A consumer group: where it has read to, what it delivered and not yet acknowledged, and
/// its consumers.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Group {
    pub last_id: StreamId,
    /// Entries the group has read (None: unknown, Redis's SCG_INVALID_ENTRIES_READ).
    pub entries_read: Option<u64>,
    pub pel: BTreeMap<StreamId, Nack>,
    pub consumers: BTreeMap<Vec<u8>, Consumer>,
}

/// A delivered, unacknowledged entry: its owner, when it was last delivered (ms) and how
/// many times.
#[derive(Clone, Debug, PartialEq)]
pub struct Nack {
    pub consumer: Vec<u8>,
    pub delivery_time: u64,
    pub delivery_count: u64,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Consumer {
    /// When it last read or claimed (ms).
    pub seen_time: u64,
    pub pel: std::collections::BTreeSet<StreamId>,
}

impl Group {
    /// The consumer `name`, created (seen now) if new; whether it was created.
    pub fn consumer(&mut self, name: &[u8], now: u64) -> (&mut Consumer, bool) {
        let created = !self.consumers.contains_key(name);
        let c = self.consumers.entry(name.to_vec()).or_insert(Consumer {
            seen_time: now,
            pel: Default::default(),
        });
        (c, created)
    }

    /// Removes `id` from the group's PEL and its owner's.
    pub fn ack(&mut self, id: StreamId) -> bool {
        match self.pel.remove(&id) {
            Some(n) => {
                if let Some(c) = self.consumers.get_mut(&n.consumer) {
                    c.pel.remove(&id);
                }
                true
            }
            None => false,
        }
    }

    /// Gives `id` to `consumer` (moving it from its previous owner) with this delivery time
    /// and count.
    pub fn assign(&mut self, id: StreamId, consumer: &[u8], time: u64, count: u64) {
        if let Some(old) = self.pel.get(&id) {
            if old.consumer != consumer {
                let prev = old.consumer.clone();
                if let Some(c) = self.consumers.get_mut(&prev) {
                    c.pel.remove(&id);
                }
            }
        }
        self.pel.insert(
            id,
            Nack {
                consumer: consumer.to_vec(),
                delivery_time: time,
                delivery_count: count,
            },
        );
        if let Some(c) = self.consumers.get_mut(consumer) {
            c.pel.insert(id);
        }
    }
}

impl Stream {
    /// A deep copy (COPY).
    pub fn duplicate(&self) -> Stream {
        Stream {
            entries: self.entries.clone(),
            nodes: self.nodes.clone(),
            last_id: self.last_id,
            entries_added: self.entries_added,
            max_deleted: self.max_deleted,
            groups: self.groups.clone(),
        }
    }

    /// A copy apart from the in-memory form (DUMP, RDB files, the AOF rewrite).
    pub fn rdb_value(&self) -> super::rdbstream::StreamValue {
        super::rdbstream::StreamValue {
            entries: self
                .entries
                .iter()
                .map(|(id, f)| (*id, f.clone()))
                .collect(),
            last_id: self.last_id,
            entries_added: self.entries_added,
            max_deleted: self.max_deleted,
            groups: self
                .groups
                .iter()
                .map(|(n, g)| (n.clone(), g.clone()))
                .collect(),
        }
    }

    /// The first entry's ID (0-0 when empty).
    pub fn first_id(&self) -> StreamId {
        self.entries.keys().next().copied().unwrap_or(StreamId::MIN)
    }

    /// Whether an XDEL may have left a gap between `start` and the end (Redis's
    /// streamRangeHasTombstones).
    pub fn has_tombstones_after(&self, start: StreamId) -> bool {
        if self.entries.is_empty() || self.max_deleted == StreamId::MIN {
            return false;
        }
        if self.first_id() > self.max_deleted {
            return false;
        }
        start <= self.max_deleted
    }

    /// How many entries were added up to `id`, when it can be told (Redis's
    /// streamEstimateDistanceFromFirstEverEntry).
    pub fn entries_up_to(&self, id: StreamId) -> Option<u64> {
        if self.entries_added == 0 {
            return Some(0);
        }
        if self.entries.is_empty() && id <= self.last_id {
            return Some(self.entries_added);
        }
        match id.cmp(&self.last_id) {
            std::cmp::Ordering::Equal => return Some(self.entries_added),
            std::cmp::Ordering::Greater => return None,
            _ => {}
        }
        let first = self.first_id();
        if self.max_deleted == StreamId::MIN || self.max_deleted < first {
            let len = self.entries.len() as u64;
            if id < first {
                return Some(self.entries_added - len);
            } else if id == first {
                return Some(self.entries_added - len + 1);
            }
        }
        None
    }

    /// A group's lag (XINFO GROUPS), when it can be told; negative when ENTRIESREAD claimed
    /// more than were added, as in Redis.
    pub fn lag(&self, g: &Group) -> Option<i64> {
        if self.entries_added == 0 {
            return Some(0);
        }
        let lag = |read: u64| self.entries_added as i64 - read as i64;
        if let Some(read) = g.entries_read {
            if !self.has_tombstones_after(g.last_id) {
                return Some(lag(read));
            }
        }
        self.entries_up_to(g.last_id).map(lag)
    }

    /// The group reads `id` (XREADGROUP >): its last ID and read counter follow.
    pub fn group_read(&self, g: &mut Group, id: StreamId) {
        if id <= g.last_id {
            return;
        }
        if g.entries_read.is_some() && !self.has_tombstones_after(id) {
            g.entries_read = g.entries_read.map(|n| n + 1);
        } else if self.entries_added > 0 {
            g.entries_read = self.entries_up_to(id);
        }
        g.last_id = id;
    }

    /// Bytes the entries take (MEMORY USAGE): IDs, field names and values, plus per-entry and
    /// per-field bookkeeping.
    pub fn memory(&self) -> usize {
        self.entries
            .values()
            .map(|f| 48 + f.iter().map(|(k, v)| k.len() + v.len() + 32).sum::<usize>())
            .sum()
    }

    /// Appends entry `id` (greater than every ID so far) to the last node, or to a new one when
    /// that node is full (Redis's streamAppendItem).
    pub fn append(&mut self, id: StreamId, fields: Fields, limits: NodeLimits) {
        let elements: u64 = fields.iter().map(|(f, v)| (f.len() + v.len()) as u64).sum();
        let max_bytes = match limits.max_bytes {
            0 => LP_MAX,
            n => n.min(LP_MAX),
        };
        let tail = self.nodes.iter_mut().next_back().filter(|(_, n)| {
            n.lp_bytes() as u64 + elements < max_bytes
                && (limits.max_entries == 0 || n.live + n.deleted < limits.max_entries)
        });
        match tail {
            Some((&master, node)) => node.push(master, id, &fields),
            None => {
                let mut node = Node::new(&fields);
                node.push(id, id, &fields);
                self.nodes.insert(id, node);
            }
        }
        self.entries.insert(id, fields);
    }

    /// The node holding `id`: its master ID.
    fn node_of(&self, id: StreamId) -> Option<StreamId> {
        self.nodes.range(..=id).next_back().map(|(&m, _)| m)
    }

    /// Deletes entry `id` (XDEL): flagged in its node, the node gone with its last live entry.
    pub fn delete(&mut self, id: StreamId) -> bool {
        if self.entries.remove(&id).is_none() {
            return false;
        }
        if let Some(m) = self.node_of(id) {
            let node = self.nodes.get_mut(&m).expect("node_of found it");
            if node.live <= 1 {
                self.nodes.remove(&m);
            } else {
                node.live -= 1;
                node.deleted += 1;
            }
        }
        true
    }

    /// Removes the oldest entries so at most `maxlen` remain, or those below `minid`, as
    /// Redis's streamTrim does: whole nodes first; then, unless `approx`, entries inside the
    /// first node left. Stops before going past `limit` entries (0: no limit). Returns how
    /// many went.
    pub fn trim(
        &mut self,
        maxlen: Option<usize>,
        minid: Option<StreamId>,
        limit: usize,
        approx: bool,
    ) -> usize {
        let mut deleted = 0usize;
        while let Some((&master, node)) = self.nodes.first_key_value() {
            let len = self.entries.len();
            if maxlen.is_some_and(|m| len <= m) {
                break;
            }
            let live = node.live as usize;
            if limit > 0 && deleted + live > limit {
                break;
            }
            let whole = match (maxlen, minid) {
                (Some(m), _) => len - live >= m,
                (_, Some(id)) => node.last < id,
                _ => return deleted,
            };
            if whole {
                let last = node.last;
                self.nodes.remove(&master);
                let gone: Vec<StreamId> =
                    self.entries.range(master..=last).map(|(&k, _)| k).collect();
                for k in gone {
                    self.entries.remove(&k);
                }
                deleted += live;
                continue;
            }
            if approx {
                break;
            }
            let mut n = 0u64;
            while let Some((&first, _)) = self.entries.first_key_value() {
                let stop = match (maxlen, minid) {
                    (Some(m), _) => self.entries.len() <= m,
                    (_, Some(id)) => first >= id,
                    _ => true,
                };
                if stop {
                    break;
                }
                self.entries.remove(&first);
                n += 1;
            }
            let node = self.nodes.get_mut(&master).expect("first node");
            node.live -= n;
            node.deleted += n;
            deleted += n as usize;
            break;
        }
        deleted
    }

    /// XINFO's `radix-tree-keys`: the nodes.
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// XINFO's `radix-tree-nodes`: the nodes of the radix tree over the nodes' 16-byte
    /// big-endian keys, as rax builds it: the root, each leaf, each branching prefix and
    /// each child of one (a run of single-child bytes is one compressed node).
    pub fn rax_nodes(&self) -> usize {
        let keys: Vec<[u8; 16]> = self
            .nodes
            .keys()
            .map(|id| {
                let mut k = [0u8; 16];
                k[..8].copy_from_slice(&id.ms.to_be_bytes());
                k[8..].copy_from_slice(&id.seq.to_be_bytes());
                k
            })
            .collect();
        if keys.is_empty() {
            return 1;
        }
        // lcp[i]: the common prefix of keys i and i+1.
        let lcp: Vec<usize> = keys
            .windows(2)
            .map(|w| w[0].iter().zip(&w[1]).take_while(|(a, b)| a == b).count())
            .collect();
        // At depth d, the keys sharing their first d bytes form a group (a run of lcp >= d);
        // it branches when some lcp inside it is exactly d. Each key's group, and each
        // group's branching:
        let groups = |d: usize| {
            let mut gid = Vec::with_capacity(keys.len());
            let mut branches = vec![false];
            gid.push(0);
            for &l in &lcp {
                if l < d {
                    branches.push(false);
                } else if l == d {
                    *branches.last_mut().expect("one group at least") = true;
                }
                gid.push(branches.len() - 1);
            }
            (gid, branches)
        };
        // The root and the leaves are nodes; in between, a group is one when it branches or
        // its parent does.
        let mut total = 1 + keys.len();
        let (mut pgid, mut pbr) = groups(0);
        for d in 1..16 {
            let (gid, br) = groups(d);
            for i in 0..keys.len() {
                if (i == 0 || gid[i] != gid[i - 1]) && (br[gid[i]] || pbr[pgid[i]]) {
                    total += 1;
                }
            }
            (pgid, pbr) = (gid, br);
        }
        total
    }
}

impl Shard {
    /// The live stream at `key`, or WRONGTYPE if it holds another type.
    pub fn get_stream(&self, key: &[u8], now: u64) -> CmdResult<Option<&Stream>> {
        self.get_coll(key, now, |c| match c {
            Coll::Stream(s) => Some(&**s),
            _ => None,
        })
    }

    /// The stream at `key` for writing; created when `create`.
    pub fn stream_mut(
        &mut self,
        key: &[u8],
        now: u64,
        create: bool,
    ) -> CmdResult<Option<&mut Stream>> {
        let new: fn(&super::Hasher) -> Coll = |_| Coll::Stream(Box::default());
        self.coll_mut(key, now, create.then_some(new), |c| match c {
            Coll::Stream(s) => Some(&mut **s),
            _ => None,
        })
    }
}
