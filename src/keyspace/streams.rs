//! Streams: entries ordered by ID in a `BTreeMap` (O(log n) appends, range reads and deletes).

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

#[derive(Default)]
pub struct Stream {
    pub entries: BTreeMap<StreamId, Fields>,
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
#[derive(Clone, Debug, Default)]
pub struct Group {
    pub last_id: StreamId,
    /// Entries the group has read (None: unknown, Redis's SCG_INVALID_ENTRIES_READ).
    pub entries_read: Option<u64>,
    pub pel: BTreeMap<StreamId, Nack>,
    pub consumers: BTreeMap<Vec<u8>, Consumer>,
}

/// A delivered, unacknowledged entry: its owner, when it was last delivered (ms) and how
/// many times.
#[derive(Clone, Debug)]
pub struct Nack {
    pub consumer: Vec<u8>,
    pub delivery_time: u64,
    pub delivery_count: u64,
}

#[derive(Clone, Debug, Default)]
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
            last_id: self.last_id,
            entries_added: self.entries_added,
            max_deleted: self.max_deleted,
            groups: self.groups.clone(),
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

    /// Removes the oldest entries so at most `maxlen` remain, or those below `minid`; at most
    /// `limit` of them (0: no limit). Returns how many went.
    pub fn trim(&mut self, maxlen: Option<usize>, minid: Option<StreamId>, limit: usize) -> usize {
        let mut n = 0;
        while limit == 0 || n < limit {
            let Some((&first, _)) = self.entries.first_key_value() else {
                break;
            };
            let over =
                maxlen.is_some_and(|m| self.entries.len() > m) || minid.is_some_and(|m| first < m);
            if !over {
                break;
            }
            self.entries.remove(&first);
            n += 1;
        }
        n
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
