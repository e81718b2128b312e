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
//!
//! Filler: every write ends on a multiple of [`LINE`] bytes, padded with one filler line (`#`,
//! spaces, `\n`), and while the server runs the file continues past its data with a *reserve*
//! of filler lines of exactly [`LINE`] bytes, each starting at a multiple of [`LINE`]. A write
//! overwrites reserve lines in place, so under `appendfsync always` the file's size and block
//! map do not change and the O_DSYNC write needs no filesystem journal commit, only the data
//! and a cache flush. Whatever a write leaves of the reserve
//! starts on a line boundary, so the file is always batches, filler lines and reserve lines:
//! annotations to Redis (lines shorter than its 1024-byte limit), skipped by [`scan`]. A clean
//! shutdown cuts the reserve off.

use crate::resp::{Args, Frame, Parser};

/// `#B ` + 8 + ` ` + 12 + ` ` + 8 + `\r\n`.
pub const HEADER_LEN: usize = 35;

/// Writes a batch header for `payload` into `dst[..HEADER_LEN]`. Every group commit writes one,
/// so it is formatted in place rather than through `format!` and a temporary string.
pub fn write_header(dst: &mut [u8], payload: &[u8], records: u32) {
    let crc = crc32c::crc32c(payload);
    let dst = &mut dst[..HEADER_LEN];
    dst[..3].copy_from_slice(b"#B ");
    put_hex(&mut dst[3..11], u64::from(crc));
    dst[11] = b' ';
    put_hex(&mut dst[12..24], payload.len() as u64);
    dst[24] = b' ';
    put_hex(&mut dst[25..33], u64::from(records));
    dst[33..].copy_from_slice(b"\r\n");
}

/// Fills `dst` with `v` in lowercase hex, zero-padded to `dst.len()` digits.
fn put_hex(dst: &mut [u8], mut v: u64) {
    for d in dst.iter_mut().rev() {
        *d = b"0123456789abcdef"[(v & 0xf) as usize];
        v >>= 4;
    }
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

/// Length of a reserve line; writes end on multiples of it.
pub const LINE: u64 = 64;

/// Appends a filler line to `buf` (written at file offset `pos`) so that it ends on a multiple
/// of [`LINE`]. A filler line is at least 2 bytes (`#\n`), so a 1-byte gap takes a whole line
/// more.
pub fn pad_to_line(buf: &mut Vec<u8>, pos: u64) {
    let end = pos + buf.len() as u64;
    let mut gap = (LINE - end % LINE) % LINE;
    if gap == 0 {
        return;
    }
    if gap == 1 {
        gap += LINE;
    }
    push_filler(buf, gap as usize);
}

/// Appends `lines` reserve lines to `buf`, which must end on a multiple of [`LINE`] in the file.
pub fn push_reserve(buf: &mut Vec<u8>, lines: usize) {
    buf.reserve(lines * LINE as usize);
    for _ in 0..lines {
        push_filler(buf, LINE as usize);
    }
}

/// Appends one filler line of `len` (at least 2) bytes: `#`, spaces, `\n`.
fn push_filler(buf: &mut Vec<u8>, len: usize) {
    buf.push(b'#');
    buf.resize(buf.len() + len - 2, b' ');
    buf.push(b'\n');
}

/// Whether `line` (a whole line, `\n` included) is filler: `#`, spaces, `\n`.
fn is_filler(line: &[u8]) -> bool {
    line.len() >= 2
        && line[0] == b'#'
        && line[line.len() - 1] == b'\n'
        && line[1..line.len() - 1].iter().all(|&b| b == b' ')
}

/// Where the next write goes in a file whose valid data ends at `data_end` (a [`Scan`]'s
/// `good_end`), and whether the rest of the file is a reserve it may overwrite in place:
/// `Some(next)` when `data[data_end..]` is one filler line ending on a multiple of [`LINE`]
/// (`next`) followed by whole reserve lines to the end of the file, `None` otherwise (the
/// writer then appends after everything there is).
pub fn reserve_after(data: &[u8], data_end: usize) -> Option<u64> {
    let line = LINE as usize;
    let next = if data_end.is_multiple_of(line) {
        data_end
    } else {
        let nl = memchr::memchr(b'\n', &data[data_end..])? + data_end + 1;
        if !nl.is_multiple_of(line) || !is_filler(&data[data_end..nl]) {
            return None;
        }
        nl
    };
    if !(data.len() - next).is_multiple_of(line) {
        return None;
    }
    data[next..]
        .chunks(line)
        .all(is_filler)
        .then_some(next as u64)
}

pub use crate::resp::encode::encode_cmd;

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
        self.push_with(|buf| encode_cmd(buf, args))
    }

    /// Appends one command already encoded by [`encode_cmd`].
    pub fn push_encoded(&mut self, cmd: &[u8]) -> u64 {
        self.push_with(|buf| buf.extend_from_slice(cmd))
    }

    fn push_with(&mut self, encode: impl FnOnce(&mut Vec<u8>)) -> u64 {
        let open = matches!(self.batches.last(), Some(&(start, _)) if self.hold_open || self.buf.len() - start < SEAL_AT);
        if !open {
            self.batches.push((self.buf.len(), 0));
            self.buf.resize(self.buf.len() + HEADER_LEN, 0);
        }
        let before = self.buf.len();
        encode(&mut self.buf);
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
        for i in 0..self.batches.len() {
            let (start, records) = self.batches[i];
            let end = self.batches.get(i + 1).map_or(self.buf.len(), |b| b.0);
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

/// Skips the whole annotation lines (`#` lines other than batch headers: filler, comments) at
/// `off`.
fn skip_annotations(data: &[u8], mut off: usize) -> usize {
    while off < data.len() && data[off] == b'#' && !data[off..].starts_with(b"#B ") {
        match memchr::memchr(b'\n', &data[off..]) {
            Some(i) => off += i + 1,
            // A line the end of the file cuts short (a torn header or filler line) is left to
            // the caller, which cuts it off: the next write must start on a line of its own.
            None => break,
        }
    }
    off
}

/// The batch at `off`: (payload range, records), or why there is none.
fn batch_at(data: &[u8], off: usize) -> Result<(std::ops::Range<usize>, u32), (&'static str, u32)> {
    let Some((crc, len, records)) = parse_header(&data[off..]) else {
        return Err(("not a batch header", 0));
    };
    let body_start = off + HEADER_LEN;
    let Some(body_end) = (len as usize)
        .checked_add(body_start)
        .filter(|&e| e <= data.len())
    else {
        return Err(("batch runs past the end of the file", records));
    };
    if crc32c::crc32c(&data[body_start..body_end]) != crc {
        return Err(("checksum mismatch", records));
    }
    Ok((body_start..body_end, records))
}

/// Whether a whole batch with a matching checksum starts at a line start after `from`.
fn valid_batch_after(data: &[u8], from: usize) -> bool {
    memchr::memmem::find_iter(&data[from..], b"#B ")
        .map(|i| from + i)
        .any(|p| (p == 0 || data[p - 1] == b'\n') && batch_at(data, p).is_ok())
}

/// Scans `data` batch by batch, verifying each checksum and the commands inside, and hands each
/// valid command's arguments to `on_cmd` in file order. Annotation lines between batches (filler,
/// the reserve, comments) are skipped, as Redis does. Stops at the first problem.
///
/// A problem is a torn tail (cut off at load) when no whole batch follows it and it starts the
/// way an interrupted write of ours does (a `#` line, or zeros where the file grew before its
/// data landed, unwritten blocks read as zeros); anything else, plain commands after the batches
/// included, is damage that refuses the load.
pub fn scan(data: &[u8], mut on_cmd: impl FnMut(Args)) -> Scan {
    let mut s = Scan::default();
    let mut parser = Parser::new();
    parser.max_bulk_len = i64::MAX;
    let mut off = 0usize;
    loop {
        off = skip_annotations(data, off);
        if off >= data.len() {
            return s;
        }
        let (body, records) = match batch_at(data, off) {
            Ok(b) => b,
            Err((reason, records)) => {
                let ours = data[off] == b'#' || data[off] == 0;
                s.problem = Some(if ours && !valid_batch_after(data, off + 1) {
                    Problem::TornTail {
                        offset: off as u64,
                        records_dropped: records as u64,
                    }
                } else {
                    Problem::Corrupt {
                        offset: off as u64,
                        reason: reason.into(),
                    }
                });
                return s;
            }
        };
        let payload = &data[body.clone()];
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
        off = body.end;
        s.good_end = off as u64;
    }
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
    fn header_is_the_documented_fixed_width_hex_line() {
        let payload = b"*1\r\n$4\r\nPING\r\n";
        for records in [0u32, 1, 0xabc, u32::MAX] {
            let mut h = [0u8; HEADER_LEN];
            write_header(&mut h, payload, records);
            let want = format!(
                "#B {:08x} {:012x} {records:08x}\r\n",
                crc32c::crc32c(payload),
                payload.len()
            );
            assert_eq!(std::str::from_utf8(&h).unwrap(), want);
            assert_eq!(
                parse_header(&h),
                Some((crc32c::crc32c(payload), payload.len() as u64, records))
            );
        }
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
    /// What the writer puts in the file for `cmds` at `pos`: one batch, padded, and a reserve of
    /// `reserve` lines after it.
    fn write(cmds: &[&[&[u8]]], pos: u64, reserve: usize) -> Vec<u8> {
        let mut b = BatchBuf::default();
        for c in cmds {
            b.push(c);
        }
        let mut out = b.take(Vec::new()).seal();
        pad_to_line(&mut out, pos);
        push_reserve(&mut out, reserve);
        out
    }

    #[test]
    fn writes_end_on_line_boundaries_with_one_filler_line() {
        for pos in 0..2 * LINE {
            for len in 0..2 * LINE as usize {
                let mut buf = vec![b'x'; len];
                pad_to_line(&mut buf, pos);
                assert_eq!((pos + buf.len() as u64) % LINE, 0, "pos {pos} len {len}");
                if buf.len() > len {
                    assert!(is_filler(&buf[len..]), "pos {pos} len {len}");
                }
            }
        }
    }

    #[test]
    fn a_reserve_is_skipped_and_overwritten_in_place() {
        let first = write(&[&[b"SET", b"a", b"1"]], 0, 4);
        let (v, s) = cmds(&first);
        assert_eq!((v.len(), s.problem.clone()), (1, None));
        let next = reserve_after(&first, s.good_end as usize).unwrap();
        assert_eq!(next % LINE, 0);
        assert_eq!(first.len() as u64 - next, 4 * LINE);
        // The next write lands on the reserve; what it leaves of it is still whole lines.
        let second = write(&[&[b"SET", b"b", b"2"]], next, 0);
        let mut f = first.clone();
        f[next as usize..next as usize + second.len()].copy_from_slice(&second);
        let (v, s) = cmds(&f);
        assert_eq!((v.len(), s.problem), (2, None));
        let after = reserve_after(&f, s.good_end as usize).unwrap();
        assert_eq!(after, next + second.len() as u64);
        // A reserve cut short mid-line (a short write): the cut line goes, the rest stays usable.
        let short = &f[..f.len() - 10];
        let (v, s) = cmds(short);
        let line_start = (short.len() as u64 / LINE) * LINE;
        assert_eq!(
            (v.len(), s.problem),
            (
                2,
                Some(Problem::TornTail {
                    offset: line_start,
                    records_dropped: 0
                })
            )
        );
        assert_eq!(
            reserve_after(&short[..line_start as usize], s.good_end as usize),
            Some(after)
        );
        // A comment that is not filler is kept: the writer appends after it.
        let mut g = first[..next as usize].to_vec();
        g.extend_from_slice(b"# a note\n");
        assert_eq!(cmds(&g).1.problem, None);
        assert_eq!(reserve_after(&g, cmds(&g).1.good_end as usize), None);
    }

    #[test]
    fn a_write_torn_over_the_reserve_is_a_torn_tail() {
        let first = write(&[&[b"SET", b"a", b"1"]], 0, 8);
        let next = reserve_after(&first, cmds(&first).1.good_end as usize).unwrap() as usize;
        let second = write(
            &[&[b"SET", b"b", b"2"], &[b"SET", b"c", b"3"]],
            next as u64,
            0,
        );
        let payload_end = second.iter().rposition(|&b| b == b'\r').unwrap();
        for landed in 1..payload_end {
            let mut f = first.clone();
            f[next..next + landed].copy_from_slice(&second[..landed]);
            let (v, s) = cmds(&f);
            assert_eq!(v.len(), 1, "landed {landed}");
            match s.problem {
                Some(Problem::TornTail { offset, .. }) => {
                    assert_eq!(offset, next as u64, "landed {landed}")
                }
                // Only the `#` landed: the reserve line is unchanged.
                None => assert_eq!(landed, 1),
                other => panic!("landed {landed}: {other:?}"),
            }
        }
    }

    #[test]
    fn commands_after_the_batches_are_refused_not_cut() {
        let mut f = write(&[&[b"SET", b"a", b"1"]], 0, 0);
        let at = f.len() as u64;
        f.extend_from_slice(b"*1\r\n$4\r\nPING\r\n");
        assert_eq!(
            cmds(&f).1.problem,
            Some(Problem::Corrupt {
                offset: at,
                reason: "not a batch header".into()
            })
        );
    }
}
