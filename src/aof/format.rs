//! The append-only file's format: RESP commands (as a client sends them) in checksummed batches.
//!
//! ```text
//! #B <crc32c: 8 hex> <payload length: 12 hex> <records: 8 hex>\r\n
//! *3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n ...            (payload: whole commands)
//! ```
//!
//! Each batch is what one write put in the file (a group commit), so a crash can only tear the
//! last one. The header is a `#` line, which Redis 7's AOF loader skips as an annotation, so the
//! file stays a plain list of Redis commands to other tools. The header has a fixed width so the
//! writer can reserve it before the payload is known.

use crate::resp::{Args, Frame, Parser};

/// `#B ` + 8 + ` ` + 12 + ` ` + 8 + `\r\n`.
pub const HEADER_LEN: usize = 35;

/// Writes a batch header for `payload` into `dst[..HEADER_LEN]`.
pub fn write_header(dst: &mut [u8], payload: &[u8], records: u32) {
    let crc = crc32c::crc32c(payload);
    let h = format!(
        "#B {crc:08x} {:012x} {records:08x}\r\n",
        payload.len() as u64
    );
    dst[..HEADER_LEN].copy_from_slice(h.as_bytes());
}

/// A parsed header: (crc, payload length, records).
pub fn parse_header(h: &[u8]) -> Option<(u32, u64, u32)> {
    if h.len() < HEADER_LEN
        || &h[..3] != b"#B "
        || h[11] != b' '
        || h[24] != b' '
        || &h[33..35] != b"\r\n"
    {
        return None;
    }
    let hex = |b: &[u8]| {
        std::str::from_utf8(b)
            .ok()
            .and_then(|s| u64::from_str_radix(s, 16).ok())
    };
    Some((
        hex(&h[3..11])? as u32,
        hex(&h[12..24])?,
        hex(&h[25..33])? as u32,
    ))
}

/// Appends one command in RESP (a multibulk of bulk strings) to `buf`.
pub fn encode_cmd(buf: &mut Vec<u8>, args: &[&[u8]]) {
    let mut n = itoa::Buffer::new();
    buf.push(b'*');
    buf.extend_from_slice(n.format(args.len()).as_bytes());
    buf.extend_from_slice(b"\r\n");
    for a in args {
        buf.push(b'$');
        buf.extend_from_slice(n.format(a.len()).as_bytes());
        buf.extend_from_slice(b"\r\n");
        buf.extend_from_slice(a);
        buf.extend_from_slice(b"\r\n");
    }
}

/// Builds framed batches: reserve a header, append records, seal.
#[derive(Default)]
pub struct BatchBuf {
    pub buf: Vec<u8>,
    /// (offset of the header, records) of every batch in `buf`, the open one last.
    batches: Vec<(usize, u32)>,
    /// Payload bytes appended (headers excluded).
    pub payload: u64,
    /// Set while a group of records (a transaction) is pushed: no batch boundary between them.
    pub hold_open: bool,
}

/// Payload size at which the open batch is sealed and a new one started, bounding what one
/// checksum covers and what a torn tail can drop.
const SEAL_AT: usize = 16 << 20;

impl BatchBuf {
    pub fn is_empty(&self) -> bool {
        self.payload == 0
    }

    /// Appends one command; returns the payload bytes it took.
    pub fn push(&mut self, args: &[&[u8]]) -> u64 {
        let open = matches!(self.batches.last(), Some(&(start, _)) if self.hold_open || self.buf.len() - start < SEAL_AT);
        if !open {
            self.batches.push((self.buf.len(), 0));
            self.buf.resize(self.buf.len() + HEADER_LEN, 0);
        }
        let before = self.buf.len();
        encode_cmd(&mut self.buf, args);
        if let Some(b) = self.batches.last_mut() {
            b.1 += 1;
        }
        let n = (self.buf.len() - before) as u64;
        self.payload += n;
        n
    }

    /// Takes everything out, leaving this empty (with `spare` as its next buffer); the batches
    /// are not sealed yet, so the caller can checksum them outside any lock with [`seal`].
    pub fn take(&mut self, spare: Vec<u8>) -> Unsealed {
        let mut spare = spare;
        spare.clear();
        let u = Unsealed {
            buf: std::mem::replace(&mut self.buf, spare),
            batches: std::mem::take(&mut self.batches),
        };
        self.payload = 0;
        u
    }
}

/// Batches taken out of a [`BatchBuf`], headers not yet filled in.
pub struct Unsealed {
    pub buf: Vec<u8>,
    batches: Vec<(usize, u32)>,
}

impl Unsealed {
    /// Fills in every header; returns the bytes ready for the file.
    pub fn seal(mut self) -> Vec<u8> {
        let ends: Vec<usize> = self
            .batches
            .iter()
            .skip(1)
            .map(|b| b.0)
            .chain([self.buf.len()])
            .collect();
        for (&(start, records), end) in self.batches.iter().zip(ends) {
            let (head, payload) = self.buf[start..end].split_at_mut(HEADER_LEN);
            write_header(head, payload, records);
        }
        self.buf
    }
}

/// What is wrong with a file, if anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The last batch is incomplete or fails its checksum: what a crash during a write leaves.
    /// Loading cuts the file at `offset`.
    TornTail { offset: u64, records_dropped: u64 },
    /// Damage before the last batch: loading refuses, the checker can cut the file at `offset`.
    Corrupt { offset: u64, reason: String },
}

/// The result of scanning a file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Scan {
    /// Bytes of whole, valid batches from the start.
    pub good_end: u64,
    pub batches: u64,
    pub records: u64,
    pub problem: Option<Problem>,
}

/// Scans `data` batch by batch, verifying each checksum and the commands inside, and hands each
/// valid command's arguments to `on_cmd` in file order. Stops at the first problem.
pub fn scan(data: &[u8], mut on_cmd: impl FnMut(Args)) -> Scan {
    let mut s = Scan::default();
    let mut parser = Parser::new();
    parser.max_bulk_len = i64::MAX;
    let mut off = 0usize;
    while off < data.len() {
        let rest = &data[off..];
        let torn = |records| Problem::TornTail {
            offset: off as u64,
            records_dropped: records,
        };
        let Some((crc, len, records)) = parse_header(rest) else {
            // A header cut short, or zeros where a crash left the file longer than its data,
            // can only be a torn tail; anything else is damage.
            let cut_header =
                rest.len() < HEADER_LEN && b"#B ".starts_with(&rest[..rest.len().min(3)]);
            s.problem = Some(if cut_header || rest.iter().all(|&b| b == 0) {
                torn(0)
            } else {
                Problem::Corrupt {
                    offset: off as u64,
                    reason: "not a batch header".into(),
                }
            });
            return s;
        };
        let body_start = off + HEADER_LEN;
        let Some(body_end) = (len as usize)
            .checked_add(body_start)
            .filter(|&e| e <= data.len())
        else {
            s.problem = Some(torn(records as u64));
            return s;
        };
        let payload = &data[body_start..body_end];
        if crc32c::crc32c(payload) != crc {
            let last = data[body_end..].iter().all(|&b| b == 0);
            s.problem = Some(if last {
                torn(records as u64)
            } else {
                Problem::Corrupt {
                    offset: off as u64,
                    reason: "checksum mismatch".into(),
                }
            });
            return s;
        }
        // The checksum matched, so the payload is what the writer wrote: it must be whole commands.
        let mut p = 0usize;
        let mut n = 0u32;
        while p < payload.len() {
            match parser.parse(&payload[p..]) {
                Ok(Some(Frame::Command {
                    consumed,
                    inline: false,
                })) => {
                    on_cmd(Args::new(&payload[p..], &parser.args));
                    p += consumed;
                    n += 1;
                }
                _ => {
                    s.problem = Some(Problem::Corrupt {
                        offset: off as u64,
                        reason: format!("malformed command at payload byte {p}"),
                    });
                    return s;
                }
            }
        }
        if n != records {
            s.problem = Some(Problem::Corrupt {
                offset: off as u64,
                reason: format!("header says {records} records, batch holds {n}"),
            });
            return s;
        }
        s.records += n as u64;
        s.batches += 1;
        off = body_end;
        s.good_end = off as u64;
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(cmds: &[&[&[u8]]], per_batch: usize) -> Vec<u8> {
        let mut out = Vec::new();
        for chunk in cmds.chunks(per_batch) {
            let mut b = BatchBuf::default();
            for c in chunk {
                b.push(c);
            }
            out.extend(b.take(Vec::new()).seal());
        }
        out
    }

    fn cmds(data: &[u8]) -> (Vec<Vec<Vec<u8>>>, Scan) {
        let mut v = Vec::new();
        let s = scan(data, |a| v.push(a.iter().map(|x| x.to_vec()).collect()));
        (v, s)
    }

    #[test]
    fn round_trip() {
        let f = file(
            &[
                &[b"SET", b"k", b"v"],
                &[b"DEL", b"k"],
                &[b"HSET", b"h", b"f", b""],
            ],
            2,
        );
        let (v, s) = cmds(&f);
        assert_eq!(s.problem, None);
        assert_eq!((s.batches, s.records, s.good_end), (2, 3, f.len() as u64));
        assert_eq!(
            v[2],
            vec![b"HSET".to_vec(), b"h".to_vec(), b"f".to_vec(), vec![]]
        );
    }

    #[test]
    fn every_truncation_of_the_last_batch_is_a_torn_tail() {
        let f = file(&[&[b"SET", b"a", b"1"], &[b"SET", b"b", b"2"]], 1);
        let first = f.len() / 2;
        for cut in first..f.len() {
            let (v, s) = cmds(&f[..cut]);
            assert_eq!(v.len(), 1, "cut {cut}");
            match s.problem {
                Some(Problem::TornTail { offset, .. }) if cut > first => {
                    assert_eq!(offset, first as u64)
                }
                None if cut == first => {}
                other => panic!("cut {cut}: {other:?}"),
            }
        }
    }

    #[test]
    fn damage_before_the_last_batch_is_corrupt() {
        let mut f = file(&[&[b"SET", b"a", b"1"], &[b"SET", b"b", b"2"]], 1);
        f[HEADER_LEN + 5] ^= 1;
        let (_, s) = cmds(&f);
        assert_eq!(
            s.problem,
            Some(Problem::Corrupt {
                offset: 0,
                reason: "checksum mismatch".into()
            })
        );
    }
}
