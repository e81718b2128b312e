//! The request parser.
//!
//! It is resumable: when a frame is cut by the end of the buffer it keeps how far it got (arguments
//! found, the bulk length it is waiting for) and continues from there on the next call, so a 1 MB
//! value arriving in 64 KB reads is scanned once, not once per read. Arguments are byte ranges
//! into the caller's buffer: nothing is copied for multibulk requests. Line ends are found with
//! memchr (SIMD where the CPU has it).

use crate::error::ProtocolError;
use crate::resp::parse_i64;
use std::ops::Range;

/// Longest inline request, and longest `*`/`$` header line, before it is a protocol error (Redis: 64 KB).
pub const INLINE_MAX: usize = 64 * 1024;
/// Largest multibulk count accepted.
pub const MAX_MULTIBULK: i64 = 1024 * 1024 * 1024;
/// Argument vectors up to this many entries are kept between commands.
const ARGS_KEEP: usize = 1024;
/// Default `proto-max-bulk-len`.
pub const DEFAULT_MAX_BULK: i64 = 512 * 1024 * 1024;

/// What a call to [`Parser::parse`] found at the start of the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frame {
    /// A whole command of `consumed` bytes; its arguments are in [`Parser::args`].
    /// `inline` says that they index [`Parser::inline_buf`] rather than the data.
    Command { consumed: usize, inline: bool },
    /// An empty line or `*0`/`*-1`: skip `consumed` bytes, run nothing.
    Empty { consumed: usize },
}

#[derive(Debug)]
pub struct Parser {
    /// Arguments of the frame being parsed, as ranges of the data (or of `inline_buf`).
    pub args: Vec<Range<usize>>,
    /// Unescaped arguments of an inline command (quotes and escapes make them unlike the input).
    pub inline_buf: Vec<u8>,
    /// Scan position inside the current frame.
    pos: usize,
    /// Arguments still to read; 0 when no multibulk frame is in progress.
    remaining: usize,
    /// Length of the bulk whose `$` header was read but whose data has not all arrived.
    bulk_len: Option<usize>,
    /// Total bytes the frame needs at least, known once a bulk header is read (a hint for buffer growth).
    need: usize,
    pub max_bulk_len: i64,
}

impl Default for Parser {
    fn default() -> Self {
        Self::new()
    }
}

impl Parser {
    pub fn new() -> Self {
        Parser {
            args: Vec::with_capacity(8),
            inline_buf: Vec::new(),
            pos: 0,
            remaining: 0,
            bulk_len: None,
            need: 0,
            max_bulk_len: DEFAULT_MAX_BULK,
        }
    }

    /// Bytes the current frame is known to need in total; 0 when unknown.
    pub fn need(&self) -> usize {
        self.need
    }

    /// Memory the argument vector and the inline buffer hold (CLIENT LIST's `argv-mem`).
    pub fn mem(&self) -> usize {
        self.args.capacity() * std::mem::size_of::<Range<usize>>() + self.inline_buf.capacity()
    }

    /// Between frames, gives back an argument vector or inline buffer that a large command grew
    /// (as Redis frees argv after each command), so an idle connection holds little.
    pub fn shrink_idle(&mut self) {
        if self.remaining != 0 {
            return;
        }
        if self.args.capacity() > ARGS_KEEP {
            self.args = Vec::with_capacity(8);
        }
        if self.inline_buf.capacity() > INLINE_MAX {
            self.inline_buf = Vec::new();
        }
    }

    /// Parses one frame from `data`, which must start where the previous frame ended and hold the
    /// same bytes as in earlier calls for an unfinished frame (more may have been appended).
    /// `Ok(None)`: not complete yet, call again with more data.
    pub fn parse(&mut self, data: &[u8]) -> Result<Option<Frame>, ProtocolError> {
        if self.remaining == 0 {
            let Some(&first) = data.first() else {
                return Ok(None);
            };
            if first != b'*' {
                return self.parse_inline(data);
            }
            let Some(cr) = memchr::memchr(b'\r', &data[1..]).map(|i| i + 1) else {
                if data.len() > INLINE_MAX {
                    return Err(ProtocolError::TooBigMbulkCount);
                }
                return Ok(None);
            };
            if cr + 1 >= data.len() {
                return Ok(None);
            }
            let n = match parse_i64(&data[1..cr]) {
                Some(n) if n <= MAX_MULTIBULK => n,
                _ => return Err(ProtocolError::InvalidMultibulkLength),
            };
            if n <= 0 {
                return Ok(Some(Frame::Empty { consumed: cr + 2 }));
            }
            self.args.clear();
            self.pos = cr + 2;
            self.remaining = n as usize;
            self.bulk_len = None;
            self.need = 0;
        }
        while self.remaining > 0 {
            let len = match self.bulk_len {
                Some(len) => len,
                None => {
                    let pos = self.pos;
                    let Some(&tag) = data.get(pos) else {
                        return Ok(None);
                    };
                    if tag != b'$' {
                        self.reset();
                        return Err(ProtocolError::ExpectedDollar(tag));
                    }
                    let Some(cr) = memchr::memchr(b'\r', &data[pos + 1..]).map(|i| i + pos + 1)
                    else {
                        if data.len() - pos > INLINE_MAX {
                            self.reset();
                            return Err(ProtocolError::TooBigBulkCount);
                        }
                        return Ok(None);
                    };
                    if cr + 1 >= data.len() {
                        return Ok(None);
                    }
                    let len = match parse_i64(&data[pos + 1..cr]) {
                        Some(n) if n >= 0 && n <= self.max_bulk_len => n as usize,
                        _ => {
                            self.reset();
                            return Err(ProtocolError::InvalidBulkLength);
                        }
                    };
                    self.pos = cr + 2;
                    self.bulk_len = Some(len);
                    len
                }
            };
            let end = self.pos + len;
            // Like Redis, the two bytes after the data are skipped, not checked.
            if data.len() < end + 2 {
                self.need = end + 2;
                return Ok(None);
            }
            self.args.push(self.pos..end);
            self.pos = end + 2;
            self.bulk_len = None;
            self.remaining -= 1;
        }
        let consumed = self.pos;
        self.reset();
        Ok(Some(Frame::Command {
            consumed,
            inline: false,
        }))
    }

    fn reset(&mut self) {
        self.pos = 0;
        self.remaining = 0;
        self.bulk_len = None;
        self.need = 0;
    }

    /// Telnet-style request: one line, arguments split on blanks, with redis-cli's quoting rules.
    fn parse_inline(&mut self, data: &[u8]) -> Result<Option<Frame>, ProtocolError> {
        let Some(nl) = memchr::memchr(b'\n', data) else {
            if data.len() > INLINE_MAX {
                return Err(ProtocolError::TooBigInline);
            }
            return Ok(None);
        };
        let mut line = &data[..nl];
        if line.last() == Some(&b'\r') {
            line = &line[..line.len() - 1];
        }
        self.args.clear();
        self.inline_buf.clear();
        split_args(line, &mut self.inline_buf, &mut self.args)?;
        if self.args.is_empty() {
            return Ok(Some(Frame::Empty { consumed: nl + 1 }));
        }
        Ok(Some(Frame::Command {
            consumed: nl + 1,
            inline: true,
        }))
    }
}

/// C's `isspace`: blank, \t, \n, \v, \f, \r.
fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

fn hex(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

/// Splits a line the way Redis's `sdssplitargs` does: blanks separate arguments, "double quotes"
/// take \n \r \t \b \a \\ \" and \xHH escapes, 'single quotes' take \'; a closing quote must be
/// followed by a blank or the end of the line.
fn split_args(
    line: &[u8],
    out: &mut Vec<u8>,
    ranges: &mut Vec<Range<usize>>,
) -> Result<(), ProtocolError> {
    // Redis splits a C string: a NUL byte ends the line.
    let line = &line[..memchr::memchr(0, line).unwrap_or(line.len())];
    let mut i = 0;
    let n = line.len();
    loop {
        while i < n && is_space(line[i]) {
            i += 1;
        }
        if i >= n {
            return Ok(());
        }
        let start = out.len();
        let mut in_dq = false;
        let mut in_sq = false;
        loop {
            if in_dq {
                if i >= n {
                    return Err(ProtocolError::UnbalancedQuotes);
                }
                let c = line[i];
                if c == b'\\' && i + 3 < n && line[i + 1] == b'x' {
                    if let (Some(h), Some(l)) = (hex(line[i + 2]), hex(line[i + 3])) {
                        out.push(h * 16 + l);
                        i += 4;
                        continue;
                    }
                }
                if c == b'\\' && i + 1 < n {
                    out.push(match line[i + 1] {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'b' => 8,
                        b'a' => 7,
                        other => other,
                    });
                    i += 2;
                } else if c == b'"' {
                    if i + 1 < n && !is_space(line[i + 1]) {
                        return Err(ProtocolError::UnbalancedQuotes);
                    }
                    i += 1;
                    break;
                } else {
                    out.push(c);
                    i += 1;
                }
            } else if in_sq {
                if i >= n {
                    return Err(ProtocolError::UnbalancedQuotes);
                }
                let c = line[i];
                if c == b'\\' && i + 1 < n && line[i + 1] == b'\'' {
                    out.push(b'\'');
                    i += 2;
                } else if c == b'\'' {
                    if i + 1 < n && !is_space(line[i + 1]) {
                        return Err(ProtocolError::UnbalancedQuotes);
                    }
                    i += 1;
                    break;
                } else {
                    out.push(c);
                    i += 1;
                }
            } else {
                if i >= n {
                    break;
                }
                match line[i] {
                    b' ' | b'\n' | b'\r' | b'\t' => break,
                    b'"' => in_dq = true,
                    b'\'' => in_sq = true,
                    c => out.push(c),
                }
                i += 1;
            }
        }
        ranges.push(start..out.len());
    }
}

/// The arguments of one command: the name is `get(0)`. Borrowed from the read buffer.
#[derive(Clone, Copy)]
pub struct Args<'a> {
    data: &'a [u8],
    ranges: &'a [Range<usize>],
}

impl<'a> Args<'a> {
    pub fn new(data: &'a [u8], ranges: &'a [Range<usize>]) -> Self {
        Args { data, ranges }
    }

    #[inline]
    pub fn len(&self) -> usize {
        self.ranges.len()
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// Argument `i`; panics when out of range, so handlers index only below the checked arity.
    #[inline]
    pub fn get(&self, i: usize) -> &'a [u8] {
        &self.data[self.ranges[i].clone()]
    }

    pub fn iter(&self) -> impl Iterator<Item = &'a [u8]> + '_ {
        self.ranges.iter().map(move |r| &self.data[r.clone()])
    }

    /// Arguments from `i` on.
    pub fn from(&self, i: usize) -> Args<'a> {
        Args {
            data: self.data,
            ranges: &self.ranges[i.min(self.ranges.len())..],
        }
    }

    /// Whether argument `i` equals `s`, ignoring ASCII case.
    #[inline]
    pub fn is(&self, i: usize, s: &str) -> bool {
        self.get(i).eq_ignore_ascii_case(s.as_bytes())
    }
}

/// Owned arguments, for a command built in code (RESTORE's, GEOADD's ZADD, the loaders'): kept
/// and refilled, its buffers are reused.
#[derive(Default)]
pub struct ArgvBuf {
    data: Vec<u8>,
    ranges: Vec<Range<usize>>,
}

impl ArgvBuf {
    /// Holds `argv` (replacing what it held) and returns it as [`Args`].
    pub fn set<A: AsRef<[u8]>>(&mut self, argv: &[A]) -> Args<'_> {
        self.data.clear();
        self.ranges.clear();
        for a in argv {
            let a = a.as_ref();
            self.ranges.push(self.data.len()..self.data.len() + a.len());
            self.data.extend_from_slice(a);
        }
        Args::new(&self.data, &self.ranges)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args_of(p: &Parser, data: &[u8], inline: bool) -> Vec<Vec<u8>> {
        let src: &[u8] = if inline { &p.inline_buf } else { data };
        p.args.iter().map(|r| src[r.clone()].to_vec()).collect()
    }

    #[test]
    fn multibulk_at_every_split_point() {
        let frame = b"*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n";
        for cut in 0..frame.len() {
            let mut p = Parser::new();
            assert_eq!(p.parse(&frame[..cut]).unwrap(), None, "cut {cut}");
            let f = p.parse(frame).unwrap().unwrap();
            assert_eq!(
                f,
                Frame::Command {
                    consumed: frame.len(),
                    inline: false
                }
            );
            assert_eq!(
                args_of(&p, frame, false),
                vec![b"SET".to_vec(), b"key".to_vec(), b"value".to_vec()]
            );
        }
    }

    #[test]
    fn inline_with_quotes() {
        let mut p = Parser::new();
        let data = b"set k \"a b\\x41\\n\" 'it\\'s'\r\n";
        let f = p.parse(data).unwrap().unwrap();
        assert_eq!(
            f,
            Frame::Command {
                consumed: data.len(),
                inline: true
            }
        );
        assert_eq!(
            args_of(&p, data, true),
            vec![
                b"set".to_vec(),
                b"k".to_vec(),
                b"a bA\n".to_vec(),
                b"it's".to_vec()
            ]
        );
        assert_eq!(
            p.parse(b"\r\n").unwrap(),
            Some(Frame::Empty { consumed: 2 })
        );
        assert_eq!(
            p.parse(b"set \"abc\r\n"),
            Err(ProtocolError::UnbalancedQuotes)
        );
        assert_eq!(
            p.parse(b"get \"a\"b\r\n"),
            Err(ProtocolError::UnbalancedQuotes)
        );
    }

    #[test]
    fn protocol_errors() {
        assert_eq!(
            Parser::new().parse(b"*x\r\n"),
            Err(ProtocolError::InvalidMultibulkLength)
        );
        assert_eq!(
            Parser::new().parse(b"*1073741825\r\n"),
            Err(ProtocolError::InvalidMultibulkLength)
        );
        assert_eq!(
            Parser::new().parse(b"*1\r\n$-1\r\n"),
            Err(ProtocolError::InvalidBulkLength)
        );
        assert_eq!(
            Parser::new().parse(b"*1\r\n$536870913\r\n"),
            Err(ProtocolError::InvalidBulkLength)
        );
        assert_eq!(
            Parser::new().parse(b"*1\r\n+x\r\n"),
            Err(ProtocolError::ExpectedDollar(b'+'))
        );
        assert_eq!(
            Parser::new().parse(&vec![b'a'; INLINE_MAX + 1]),
            Err(ProtocolError::TooBigInline)
        );
        assert_eq!(
            Parser::new().parse(b"*0\r\n").unwrap(),
            Some(Frame::Empty { consumed: 4 })
        );
    }
}

#[cfg(test)]
mod props {
    use super::*;
    use proptest::prelude::*;

    fn encode(args: &[Vec<u8>]) -> Vec<u8> {
        let mut v = format!("*{}\r\n", args.len()).into_bytes();
        for a in args {
            v.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
            v.extend_from_slice(a);
            v.extend_from_slice(b"\r\n");
        }
        v
    }

    /// Feeds `data` to a parser in the given chunk sizes, as reads would deliver it; returns the
    /// commands parsed.
    fn feed(data: &[u8], chunks: &[usize]) -> Result<Vec<Vec<Vec<u8>>>, ProtocolError> {
        let mut p = Parser::new();
        let (mut start, mut avail, mut out) = (0usize, 0usize, Vec::new());
        let mut sizes = chunks.iter().cycle();
        while avail < data.len() {
            avail = (avail + sizes.next().copied().unwrap_or(1).max(1)).min(data.len());
            while let Some(f) = p.parse(&data[start..avail])? {
                match f {
                    Frame::Command { consumed, inline } => {
                        let src: &[u8] = if inline {
                            &p.inline_buf
                        } else {
                            &data[start..avail]
                        };
                        out.push(p.args.iter().map(|r| src[r.clone()].to_vec()).collect());
                        start += consumed;
                    }
                    Frame::Empty { consumed } => start += consumed,
                }
            }
        }
        Ok(out)
    }

    proptest! {
        #[test]
        fn any_split_gives_the_same_commands(
            cmds in proptest::collection::vec(proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..40), 1..5), 1..8),
            chunks in proptest::collection::vec(1usize..64, 1..10),
        ) {
            let data: Vec<u8> = cmds.iter().flat_map(|c| encode(c)).collect();
            prop_assert_eq!(feed(&data, &chunks).unwrap(), cmds);
        }

        #[test]
        fn garbage_never_panics(data in proptest::collection::vec(any::<u8>(), 0..300), chunks in proptest::collection::vec(1usize..32, 1..5)) {
            let _ = feed(&data, &chunks);
        }

        #[test]
        fn resp_like_garbage_never_panics(parts in proptest::collection::vec(prop_oneof![
            Just(b"*".to_vec()), Just(b"$".to_vec()), Just(b"\r\n".to_vec()), Just(b"-1".to_vec()),
            Just(b"3".to_vec()), Just(b"\"".to_vec()), Just(b"'".to_vec()), Just(b"\\x".to_vec()),
            Just(b" ".to_vec()), Just(b"99999999999999999999".to_vec()), proptest::collection::vec(any::<u8>(), 0..4),
        ], 0..60)) {
            let data: Vec<u8> = parts.concat();
            let _ = feed(&data, &[7]);
        }
    }
}
