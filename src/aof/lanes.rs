//! The journal's intake: writers append to lanes (one per thread, up to [`LANES`]) under a mutex
//! no other writer takes, and a global sequence number puts their records back in one order
//! when the group-commit leader collects them. No lock is shared by every executor.
//!
//! Why the order is right: a record's number is taken while its writer holds the shard locks of
//! the write, so any two writes that touch a common key get numbers in the order they were
//! applied, and the file replays them in that order.
//!
//! Why nothing is skipped: under its lane's mutex, a writer marks the lane non-empty (first
//! record since the last drain), then takes its number, then stores the record. A collector
//! reads the counter (`upto`), then takes the marks, then drains the marked lanes. A record
//! numbered below `upto` had its lane marked before that read, and its writer released the
//! lane's mutex only after storing it, so the drain finds it. Records numbered `upto` or above
//! may still miss a predecessor being appended elsewhere: they wait in the collector's carry
//! for the next collection.

use super::format::encode_cmd;
use crate::keyspace::{Records, Targets, TO_ALL};
use parking_lot::Mutex;
use std::cell::Cell;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

/// Lanes: one bit each in the marks word. Threads beyond this share lanes (still correct).
pub const LANES: usize = 64;

/// Buffers bigger than this are dropped after a drain rather than kept for reuse.
const KEEP_CAPACITY: usize = 1 << 20;

struct Rec {
    seq: u64,
    len: usize,
    db: u32,
    /// Part of a transaction: its records share one number and stay in one batch of the file.
    group: bool,
    to: Targets,
}

/// Encoded records back to back, and their numbers and sizes.
#[derive(Default)]
struct Buf {
    bytes: Vec<u8>,
    recs: Vec<Rec>,
}

impl Buf {
    fn push<A: AsRef<[u8]>>(&mut self, seq: u64, db: usize, args: &[A], group: bool, to: Targets) {
        let start = self.bytes.len();
        encode_cmd(&mut self.bytes, args);
        self.recs.push(Rec {
            seq,
            len: self.bytes.len() - start,
            db: db as u32,
            group,
            to,
        });
    }

    fn clear(&mut self) {
        self.bytes.clear();
        self.recs.clear();
        if self.bytes.capacity() > KEEP_CAPACITY {
            self.bytes = Vec::new();
            self.recs = Vec::new();
        }
    }
}

/// A lane on its own cache lines, so writers on different cores do not share one.
#[repr(align(128))]
struct Lane(Mutex<Buf>);

pub struct Lanes {
    lanes: Box<[Lane]>,
    /// Bit i: lane i may hold records.
    marks: AtomicU64,
    /// The next record's number.
    next: AtomicU64,
}

/// What the collector keeps between collections (under the journal's state mutex).
#[derive(Default)]
pub struct Collector {
    /// Records numbered at or past the last collection's `upto`, each buffer in order.
    carry: Vec<Buf>,
    sources: Vec<Buf>,
    spare: Vec<Buf>,
}

static NEXT_LANE: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    /// This thread's lane: an affinity hint only (any lane is correct).
    static LANE: Cell<usize> = const { Cell::new(usize::MAX) };
}

#[inline]
fn my_lane() -> usize {
    LANE.with(|l| {
        let v = l.get();
        if v != usize::MAX {
            return v;
        }
        let v = NEXT_LANE.fetch_add(1, Ordering::Relaxed) % LANES;
        l.set(v);
        v
    })
}

impl Default for Lanes {
    fn default() -> Self {
        Lanes {
            lanes: (0..LANES).map(|_| Lane(Mutex::default())).collect(),
            marks: AtomicU64::new(0),
            next: AtomicU64::new(0),
        }
    }
}

impl Lanes {
    /// Appends one record; returns the count a reply must wait for (its number + 1).
    #[inline]
    pub fn append(&self, db: usize, args: &[&[u8]]) -> u64 {
        let i = my_lane();
        let mut b = self.lanes[i].0.lock();
        let seq = self.number(i, &b);
        b.push(seq, db, args, false, TO_ALL);
        seq + 1
    }

    /// Appends a transaction's records under one number. A lone record is no group: as in
    /// Redis, the replicas get it without MULTI/EXEC around it.
    pub fn append_group(&self, records: &Records) -> u64 {
        let i = my_lane();
        let mut b = self.lanes[i].0.lock();
        let seq = self.number(i, &b);
        let group = records.list.len() > 1;
        for (db, args, to) in &records.list {
            b.push(seq, *db, args, group, *to);
        }
        seq + 1
    }

    /// Marks lane `i` (when it is empty) and takes the next number; under the lane's mutex.
    #[inline]
    fn number(&self, i: usize, b: &Buf) -> u64 {
        if b.recs.is_empty() {
            self.marks.fetch_or(1 << i, Ordering::SeqCst);
        }
        self.next.fetch_add(1, Ordering::SeqCst)
    }

    /// Numbers handed out so far.
    #[inline]
    pub fn appended(&self) -> u64 {
        self.next.load(Ordering::Acquire)
    }

    /// Whether a collection could find records.
    pub fn has_records(&self, c: &Collector) -> bool {
        self.marks.load(Ordering::Acquire) != 0 || !c.carry.is_empty()
    }

    /// Takes every record numbered below the counter's value at the call, calling
    /// `emit(number, db, encoded command, in a group, where it goes)` for each in number order;
    /// returns that value. Callers serialize collections (the state mutex holds `c`).
    pub fn collect(
        &self,
        c: &mut Collector,
        mut emit: impl FnMut(u64, usize, &[u8], bool, Targets),
    ) -> u64 {
        let upto = self.next.load(Ordering::SeqCst);
        let mut marks = self.marks.swap(0, Ordering::SeqCst);
        while marks != 0 {
            let i = marks.trailing_zeros() as usize;
            marks &= marks - 1;
            let fresh = c.spare.pop().unwrap_or_default();
            let taken = std::mem::replace(&mut *self.lanes[i].0.lock(), fresh);
            c.sources.push(taken);
        }
        c.sources.append(&mut c.carry);
        if c.sources.is_empty() {
            return upto;
        }
        // Each source is in number order: merge them, a run at a time.
        let mut pos: smallvec::SmallVec<[(usize, usize); 4]> =
            c.sources.iter().map(|_| (0, 0)).collect();
        loop {
            let mut best: Option<(usize, u64)> = None;
            let mut second = upto;
            for (k, s) in c.sources.iter().enumerate() {
                let Some(r) = s.recs.get(pos[k].0) else {
                    continue;
                };
                match best {
                    Some((_, b)) if r.seq >= b => second = second.min(r.seq),
                    _ => {
                        if let Some((_, b)) = best {
                            second = second.min(b);
                        }
                        best = Some((k, r.seq));
                    }
                }
            }
            let Some((k, seq)) = best else { break };
            if seq >= upto {
                break;
            }
            let s = &c.sources[k];
            let (ri, bi) = &mut pos[k];
            while let Some(r) = s.recs.get(*ri) {
                if r.seq >= second {
                    break;
                }
                emit(
                    r.seq,
                    r.db as usize,
                    &s.bytes[*bi..*bi + r.len],
                    r.group,
                    r.to,
                );
                *bi += r.len;
                *ri += 1;
            }
        }
        for (mut s, (ri, bi)) in c.sources.drain(..).zip(pos) {
            if ri < s.recs.len() {
                if ri == 0 {
                    c.carry.push(s);
                    continue;
                }
                let mut tail = c.spare.pop().unwrap_or_default();
                tail.bytes.extend_from_slice(&s.bytes[bi..]);
                tail.recs.extend(s.recs.drain(ri..));
                c.carry.push(tail);
            }
            s.clear();
            if c.spare.len() < LANES {
                c.spare.push(s);
            }
        }
        upto
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn drain(l: &Lanes, c: &mut Collector, out: &mut Vec<(u64, Vec<u8>)>) -> u64 {
        l.collect(c, |seq, _, cmd, _, _| out.push((seq, cmd.to_vec())))
    }

    #[test]
    fn collects_in_number_order_without_gaps_while_threads_append() {
        let lanes = Arc::new(Lanes::default());
        let writers: Vec<_> = (0..4)
            .map(|t| {
                let lanes = lanes.clone();
                std::thread::spawn(move || {
                    for i in 0..20_000u32 {
                        let v = format!("{t}:{i}");
                        if i % 100 == 0 {
                            let mut group = Records::default();
                            group.push(0, &[b"A", v.as_bytes()]);
                            group.push(1, &[b"B", v.as_bytes()]);
                            lanes.append_group(&group);
                        } else {
                            lanes.append(t, &[b"SET", v.as_bytes()]);
                        }
                    }
                })
            })
            .collect();
        let mut c = Collector::default();
        let mut out = Vec::new();
        while writers.iter().any(|w| !w.is_finished()) {
            drain(&lanes, &mut c, &mut out);
        }
        for w in writers {
            w.join().unwrap();
        }
        let upto = drain(&lanes, &mut c, &mut out);
        assert_eq!(upto, 80_000);
        assert!(!lanes.has_records(&c));
        // Every number once, in order; a group's two records together.
        let mut expect = 0;
        let mut i = 0;
        while i < out.len() {
            assert_eq!(out[i].0, expect);
            if out[i].1.starts_with(b"*2\r\n$1\r\nA") {
                assert_eq!(out[i + 1].0, expect);
                assert!(out[i + 1].1.starts_with(b"*2\r\n$1\r\nB"));
                i += 1;
            }
            i += 1;
            expect += 1;
        }
        assert_eq!(expect, 80_000);
        // Each thread's records in the order it appended them.
        let mut last = [None::<u32>; 4];
        for (_, cmd) in &out {
            let s = String::from_utf8_lossy(cmd);
            let v = s.rsplit("\r\n").nth(1).unwrap();
            let (t, n) = v.split_once(':').unwrap();
            let (t, n): (usize, u32) = (t.parse().unwrap(), n.parse().unwrap());
            if cmd.starts_with(b"*2\r\n$1\r\nB") {
                continue;
            }
            assert!(last[t].is_none_or(|p| p < n));
            last[t] = Some(n);
        }
    }
}
