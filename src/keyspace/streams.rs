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

    /// Parses `ms-seq` or `ms` (sequence `missing_seq`).
    pub fn parse(b: &[u8], missing_seq: u64) -> CmdResult<StreamId> {
        let bad =
            || CmdError::Other("Invalid stream ID specified as stream command argument".into());
        let s = std::str::from_utf8(b).map_err(|_| bad())?;
        let num = |t: &str| {
            if t.is_empty() || !t.bytes().all(|c| c.is_ascii_digit()) {
                None
            } else {
                t.parse::<u64>().ok()
            }
        };
        match s.split_once('-') {
            Some((ms, seq)) => Ok(StreamId {
                ms: num(ms).ok_or_else(bad)?,
                seq: num(seq).ok_or_else(bad)?,
            }),
            None => Ok(StreamId {
                ms: num(s).ok_or_else(bad)?,
                seq: missing_seq,
            }),
        }
    }
}

pub type Fields = Vec<(Vec<u8>, Vec<u8>)>;

#[derive(Default)]
pub struct Stream {
    pub entries: BTreeMap<StreamId, Fields>,
    /// The greatest ID ever added (entries may have been deleted since).
    pub last_id: StreamId,
}

impl Stream {
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
