//! The replication backlog: the stream a master sends its replicas, as Redis's replication
//! protocol counts it (offsets are bytes of the stream since the replication ID began).
//!
//! It is the journal's second subscriber: the collector that puts the lanes' records in number
//! order for the file appends the same records here (see [`super::Aof::collect`]), with the
//! SELECTs a replica needs and MULTI/EXEC around a transaction's records. Replicas read from it
//! at their own offsets; it keeps `repl-backlog-size` bytes for partial resyncs, and more while
//! an attached replica has not read them (up to [`HARD_LIMIT`], past which that replica is
//! dropped, as Redis's `client-output-buffer-limit replica` hard limit drops it).

use super::format::encode_cmd;
use std::collections::VecDeque;

/// The most a lagging replica may hold back (Redis's default replica output hard limit).
pub const HARD_LIMIT: u64 = 256 << 20;

pub struct Backlog {
    buf: VecDeque<u8>,
    /// Offset of `buf[0]`.
    start: u64,
    /// The database the stream's last command ran in (usize::MAX: a SELECT comes first).
    db: usize,
    /// repl-backlog-size.
    size: u64,
    /// Attached replicas (id, next offset to send): not trimmed past, up to the hard limit.
    readers: Vec<(u64, u64)>,
    /// The number of the transaction whose MULTI is open.
    group: Option<u64>,
}

/// Why a replica cannot read on.
#[derive(Debug, PartialEq, Eq)]
pub struct Gone;

impl Backlog {
    pub fn new(offset: u64, size: u64) -> Self {
        Backlog {
            buf: VecDeque::new(),
            start: offset,
            db: usize::MAX,
            size: size.max(16 * 1024),
            readers: Vec::new(),
            group: None,
        }
    }

    /// The stream's offset: every byte appended so far.
    pub fn end(&self) -> u64 {
        self.start + self.buf.len() as u64
    }

    /// The first offset still held.
    pub fn start(&self) -> u64 {
        self.start
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    pub fn set_size(&mut self, size: u64) {
        self.size = size.max(16 * 1024);
        self.trim();
    }

    fn push<A: AsRef<[u8]>>(&mut self, args: &[A]) {
        let mut v = Vec::new();
        encode_cmd(&mut v, args);
        self.buf.extend(v);
    }

    /// Appends one journal record (`cmd`, encoded) of database `db`; `group`: part of
    /// transaction number `seq`, which MULTI/EXEC wrap.
    pub fn record(&mut self, seq: u64, db: usize, cmd: &[u8], group: bool) {
        if self.group.is_some_and(|g| !group || g != seq) {
            self.close_group();
        }
        if self.db != db {
            self.push(&[b"SELECT", itoa::Buffer::new().format(db).as_bytes()]);
            self.db = db;
        }
        if group && self.group.is_none() {
            self.push(&[b"MULTI"]);
            self.group = Some(seq);
        }
        self.buf.extend(cmd);
    }

    /// Ends a collection: closes an open transaction and drops what nobody needs.
    pub fn collected(&mut self) {
        self.close_group();
        self.trim();
    }

    fn close_group(&mut self) {
        if self.group.take().is_some() {
            self.push(&[b"EXEC"]);
        }
    }

    /// A command of the stream itself (PING, REPLCONF GETACK), in no database.
    pub fn command(&mut self, args: &[&[u8]]) {
        self.close_group();
        self.push(args);
        self.trim();
    }

    /// A full sync's snapshot was taken here: the next record selects its database again,
    /// since the replica loading the snapshot is in none.
    pub fn snapshot_point(&mut self) -> u64 {
        self.db = usize::MAX;
        self.end()
    }

    fn trim(&mut self) {
        let end = self.end();
        let mut keep = end.saturating_sub(self.size);
        if let Some(min) = self.readers.iter().map(|r| r.1).min() {
            keep = keep.min(min.max(end.saturating_sub(HARD_LIMIT)));
        }
        if keep > self.start {
            let n = (keep - self.start).min(self.buf.len() as u64) as usize;
            self.buf.drain(..n);
            self.start += n as u64;
        }
    }

    /// Registers replica `id` reading from `offset` (or moves it there).
    pub fn hold(&mut self, id: u64, offset: u64) {
        match self.readers.iter_mut().find(|r| r.0 == id) {
            Some(r) => r.1 = offset,
            None => self.readers.push((id, offset)),
        }
    }

    pub fn release(&mut self, id: u64) {
        self.readers.retain(|r| r.0 != id);
        self.trim();
    }

    /// Whether the stream from `offset` on is still here (a partial resync may start there).
    pub fn has(&self, offset: u64) -> bool {
        offset >= self.start && offset <= self.end()
    }

    /// Copies up to `max` bytes from `offset` on behind `out`; returns the offset after them.
    pub fn read(
        &mut self,
        id: u64,
        offset: u64,
        max: usize,
        out: &mut Vec<u8>,
    ) -> Result<u64, Gone> {
        if !self.has(offset) {
            return Err(Gone);
        }
        let from = (offset - self.start) as usize;
        let n = (self.buf.len() - from).min(max);
        let (a, b) = self.buf.as_slices();
        if from < a.len() {
            let m = n.min(a.len() - from);
            out.extend_from_slice(&a[from..from + m]);
            out.extend_from_slice(&b[..n - m]);
        } else {
            let f = from - a.len();
            out.extend_from_slice(&b[f..f + n]);
        }
        let next = offset + n as u64;
        self.hold(id, next);
        Ok(next)
    }

    /// Bytes held (INFO repl_backlog_histlen).
    pub fn histlen(&self) -> u64 {
        self.buf.len() as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(args: &[&[u8]]) -> Vec<u8> {
        let mut v = Vec::new();
        encode_cmd(&mut v, args);
        v
    }

    /// 2000 SETs in database 2, numbered from `seq`, collected.
    fn sets(b: &mut Backlog, seq: u64) {
        for i in 0..2000u32 {
            b.record(
                seq + i as u64,
                2,
                &rec(&[b"SET", b"k", &i.to_be_bytes()]),
                false,
            );
        }
        b.collected();
    }

    #[test]
    fn selects_wraps_groups_and_trims_behind_readers() {
        let mut b = Backlog::new(100, 16 * 1024);
        b.record(0, 0, &rec(&[b"SET", b"a", b"1"]), false);
        b.record(1, 2, &rec(&[b"SET", b"b", b"1"]), true);
        b.record(1, 2, &rec(&[b"DEL", b"a"]), true);
        b.collected();
        let mut out = Vec::new();
        let end = b.read(7, 100, usize::MAX, &mut out).unwrap();
        assert_eq!(end, b.end());
        let text = String::from_utf8(out).unwrap();
        let words: Vec<&str> = text
            .split("\r\n")
            .filter(|w| !w.starts_with(['*', '$']))
            .collect();
        assert_eq!(
            words,
            [
                "SELECT", "0", "SET", "a", "1", "SELECT", "2", "MULTI", "SET", "b", "1", "DEL",
                "a", "EXEC", ""
            ]
        );
        // A reader holds what it has not read; once it is gone, only the size does.
        let held = b.end();
        sets(&mut b, 3);
        assert!(b.has(held));
        b.release(7);
        sets(&mut b, 10);
        assert!(b.histlen() <= 16 * 1024 + 64);
        assert!(b.read(7, 100, 10, &mut Vec::new()).is_err());
        // A reader behind holds the stream.
        let at = b.end();
        b.hold(8, at);
        sets(&mut b, 5000);
        assert!(b.has(at));
        b.release(8);
        assert!(!b.has(at));
    }
}
