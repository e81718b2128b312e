//! Reply encoding straight into the connection's output buffer: no intermediate reply values,
//! no allocation per reply once the buffer has grown to its working size.

use crate::error::CmdError;
use std::io::Write;

/// Redis's `client-output-buffer-limit` for one class of clients: the replies a connection has
/// not sent yet may not pass `hard` bytes, nor stay above `soft` bytes for more than
/// `soft_secs` seconds. 0 turns either limit off.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutputLimit {
    pub hard: usize,
    pub soft: usize,
    pub soft_secs: u64,
}

impl OutputLimit {
    pub fn is_off(&self) -> bool {
        self.hard == 0 && self.soft == 0
    }
}

/// The output buffer of one connection plus the protocol version it speaks.
/// Shapes that differ between RESP2 and RESP3 (null, map, set, double, verbatim) are chosen here,
/// so handlers never branch on the protocol.
///
/// It holds every reply not sent yet: `buf[sent..]`. Under an [`OutputLimit`], a buffer that
/// passes it is emptied and stays empty (`over`): the connection is closed without sending,
/// as Redis closes such a client, and no further reply (an EXEC's, a long pipeline's) can grow
/// it again.
#[derive(Debug, Default)]
pub struct Out {
    pub buf: Vec<u8>,
    pub resp3: bool,
    /// Bytes at the front of `buf` that the socket already took.
    sent: usize,
    limit: OutputLimit,
    /// `buf.len()` past which the next reply finds the hard limit passed.
    hard_at: usize,
    /// Unsent bytes past which [`Out::check_limit`] must look (the smaller limit).
    watch_at: usize,
    /// When the unsent replies first stayed above the soft limit (ms since the epoch; 0: not).
    soft_since: u64,
    /// The limit was passed; see above.
    pub over: bool,
    /// The codes of the error replies written since the connection last collected them.
    pub error_codes: Vec<String>,
}

impl Out {
    pub fn new(resp3: bool) -> Self {
        Out {
            buf: Vec::with_capacity(1024),
            resp3,
            hard_at: usize::MAX,
            watch_at: usize::MAX,
            ..Default::default()
        }
    }

    /// The replies not sent yet.
    #[inline]
    pub fn pending(&self) -> &[u8] {
        &self.buf[self.sent..]
    }

    #[inline]
    pub fn pending_len(&self) -> usize {
        self.buf.len() - self.sent
    }

    /// The socket took `n` more bytes of [`Out::pending`].
    pub fn consume(&mut self, n: usize) {
        self.sent += n;
        if self.sent == self.buf.len() {
            self.buf.clear();
            self.sent = 0;
        } else if self.sent > self.buf.len() / 2 {
            // Move the rest to the front once that copies less than was sent.
            self.buf.drain(..self.sent);
            self.sent = 0;
        }
        if self.pending_len() <= self.limit.soft {
            self.soft_since = 0;
        }
        self.set_hard_at();
    }

    /// Applies `limit` from now on (the connection's class or the setting changed).
    pub fn set_limit(&mut self, limit: OutputLimit) {
        if self.limit != limit {
            self.limit = limit;
            self.watch_at = match (limit.hard, limit.soft) {
                (0, 0) => usize::MAX,
                (0, s) => s,
                (h, 0) => h,
                (h, s) => h.min(s),
            };
            self.set_hard_at();
        }
    }

    fn set_hard_at(&mut self) {
        if !self.over {
            self.hard_at = match self.limit.hard {
                0 => usize::MAX,
                h => self.sent + h,
            };
        }
    }

    /// Unsent bytes past which [`Out::check_limit`] has something to check.
    #[inline]
    pub fn watch_above(&self) -> usize {
        self.watch_at
    }

    /// Checks the unsent replies against both limits at `now_ms` (called when they are above
    /// [`Out::watch_above`]). Redis counts the soft limit's time in whole seconds: a client is
    /// dropped once it has been above it for more than `soft_secs`.
    pub fn check_limit(&mut self, now_ms: u64) {
        let n = self.pending_len();
        let l = self.limit;
        if l.hard > 0 && n >= l.hard {
            self.overflow();
        } else if l.soft > 0 && n >= l.soft {
            if self.soft_since == 0 {
                self.soft_since = now_ms.max(1);
            } else if now_ms.saturating_sub(self.soft_since) / 1000 > l.soft_secs {
                self.overflow();
            }
        } else {
            self.soft_since = 0;
        }
    }

    #[cold]
    fn overflow(&mut self) {
        self.over = true;
        self.hard_at = 0;
        self.buf.clear();
        self.sent = 0;
    }

    /// Appends bytes encoded elsewhere (pub/sub messages), taking the vector as the buffer when
    /// nothing is waiting.
    pub fn append_raw(&mut self, bytes: Vec<u8>) {
        if self.over {
            return;
        }
        if self.buf.is_empty() {
            self.buf = bytes;
        } else {
            self.buf.extend_from_slice(&bytes);
        }
        if self.buf.len() > self.hard_at {
            self.overflow();
        }
    }

    /// Gives back a large buffer once everything in it was sent.
    pub fn shrink_idle(&mut self, above: usize) {
        if self.buf.is_empty() && self.buf.capacity() > above {
            self.buf = Vec::with_capacity(1024);
        }
    }

    #[inline]
    fn header(&mut self, tag: u8, n: i64) {
        if self.buf.len() > self.hard_at {
            self.overflow();
        }
        self.buf.push(tag);
        let mut b = itoa::Buffer::new();
        self.buf.extend_from_slice(b.format(n).as_bytes());
        self.buf.extend_from_slice(b"\r\n");
    }

    #[inline]
    pub fn ok(&mut self) {
        self.buf.extend_from_slice(b"+OK\r\n");
    }

    #[inline]
    pub fn simple(&mut self, s: &str) {
        self.buf.push(b'+');
        self.buf.extend_from_slice(s.as_bytes());
        self.buf.extend_from_slice(b"\r\n");
    }

    pub fn error(&mut self, e: &CmdError) {
        self.buf.push(b'-');
        let start = self.buf.len();
        let _ = write!(self.buf, "{e}");
        self.end_error(start);
    }

    /// A preformatted error line without the leading `-`.
    pub fn error_str(&mut self, e: &str) {
        self.error_bytes(e.as_bytes());
    }

    /// [`Out::error_str`] of any bytes (a script's error text is not always UTF-8).
    pub fn error_bytes(&mut self, e: &[u8]) {
        self.buf.push(b'-');
        let start = self.buf.len();
        self.buf.extend_from_slice(e);
        self.end_error(start);
    }

    /// A status line of any bytes (a script's `{ok=...}`), its CR and LF turned into spaces as
    /// Redis turns them, so the reply stays one line.
    pub fn simple_bytes(&mut self, s: &[u8]) {
        self.buf.push(b'+');
        self.buf.extend(
            s.iter()
                .map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b }),
        );
        self.buf.extend_from_slice(b"\r\n");
    }

    /// Ends the error text that starts at `start` as Redis does for messages with a client's
    /// bytes in them: newlines at the end dropped, others turned into spaces, so the reply stays
    /// one line.
    fn end_error(&mut self, start: usize) {
        while self.buf.len() > start && matches!(self.buf.last(), Some(b'\r' | b'\n')) {
            self.buf.pop();
        }
        for b in &mut self.buf[start..] {
            if matches!(*b, b'\r' | b'\n') {
                *b = b' ';
            }
        }
        // Its code (the first word) for INFO errorstats; the connection collects them.
        let code_end = self.buf[start..]
            .iter()
            .position(|&b| b == b' ')
            .map_or(self.buf.len(), |i| start + i);
        self.error_codes
            .push(String::from_utf8_lossy(&self.buf[start..code_end]).into_owned());
        self.buf.extend_from_slice(b"\r\n");
    }

    #[inline]
    pub fn int(&mut self, n: i64) {
        self.header(b':', n);
    }

    #[inline]
    pub fn bulk(&mut self, b: &[u8]) {
        self.header(b'$', b.len() as i64);
        self.buf.extend_from_slice(b);
        self.buf.extend_from_slice(b"\r\n");
    }

    /// A bulk whose content is an integer rendered in decimal.
    pub fn bulk_int(&mut self, n: i64) {
        let mut b = itoa::Buffer::new();
        self.bulk(b.format(n).as_bytes());
    }

    pub fn bulk_opt(&mut self, b: Option<&[u8]>) {
        match b {
            Some(b) => self.bulk(b),
            None => self.null(),
        }
    }

    /// The null bulk string (`$-1` / `_`).
    #[inline]
    pub fn null(&mut self) {
        if self.resp3 {
            self.buf.extend_from_slice(b"_\r\n");
        } else {
            self.buf.extend_from_slice(b"$-1\r\n");
        }
    }

    /// The null array (`*-1` / `_`).
    pub fn null_array(&mut self) {
        if self.resp3 {
            self.buf.extend_from_slice(b"_\r\n");
        } else {
            self.buf.extend_from_slice(b"*-1\r\n");
        }
    }

    #[inline]
    /// An out-of-band push of `n` elements (pub/sub messages): `>n` in RESP3, an array in RESP2.
    pub fn push(&mut self, n: usize) {
        self.header(if self.resp3 { b'>' } else { b'*' }, n as i64);
    }

    pub fn array(&mut self, n: usize) {
        self.header(b'*', n as i64);
    }

    /// A map of `n` pairs: `%n` in RESP3, a flat array of 2n elements in RESP2.
    pub fn map(&mut self, n: usize) {
        if self.resp3 {
            self.header(b'%', n as i64);
        } else {
            self.header(b'*', 2 * n as i64);
        }
    }

    /// A set reply: `~n` in RESP3, an array in RESP2.
    pub fn set(&mut self, n: usize) {
        self.header(if self.resp3 { b'~' } else { b'*' }, n as i64);
    }

    /// A double: `,x` in RESP3, a bulk string in RESP2.
    pub fn double(&mut self, v: f64) {
        self.typed_or_bulk(b',', &crate::resp::format_score(v));
    }

    /// A big number: `(digits` in RESP3, a bulk string in RESP2.
    pub fn big_number(&mut self, digits: &[u8]) {
        self.typed_or_bulk(b'(', digits);
    }

    /// `text` as a RESP3 simple type of its own (`prefix`), or a bulk string in RESP2.
    fn typed_or_bulk(&mut self, prefix: u8, text: &[u8]) {
        if self.resp3 {
            self.buf.push(prefix);
            self.buf.extend_from_slice(text);
            self.buf.extend_from_slice(b"\r\n");
        } else {
            self.bulk(text);
        }
    }

    /// A double already rendered (Redis's "human" long double digits): `,x` in RESP3, a bulk
    /// string in RESP2.
    pub fn double_text(&mut self, text: &[u8]) {
        if self.resp3 {
            self.buf.push(b',');
            self.buf.extend_from_slice(text);
            self.buf.extend_from_slice(b"\r\n");
        } else {
            self.bulk(text);
        }
    }

    /// A verbatim text (`=len\r\ntxt:...` in RESP3), as Redis 7 sends INFO and CLIENT LIST.
    pub fn verbatim(&mut self, text: &[u8]) {
        self.verbatim_as(b"txt", text);
    }

    /// A verbatim string of format `format` (its first three bytes, padded with spaces, as
    /// Redis writes it), or a bulk string in RESP2.
    pub fn verbatim_as(&mut self, format: &[u8], text: &[u8]) {
        if self.resp3 {
            self.header(b'=', text.len() as i64 + 4);
            let mut f = [b' '; 3];
            for (d, s) in f.iter_mut().zip(format) {
                *d = *s;
            }
            self.buf.extend_from_slice(&f);
            self.buf.push(b':');
            self.buf.extend_from_slice(text);
            self.buf.extend_from_slice(b"\r\n");
        } else {
            self.bulk(text);
        }
    }

    pub fn boolean(&mut self, v: bool) {
        if self.resp3 {
            self.buf
                .extend_from_slice(if v { b"#t\r\n" } else { b"#f\r\n" });
        } else {
            self.int(v as i64);
        }
    }
}

/// Appends one command in RESP (a multibulk of bulk strings) to `buf`.
pub fn encode_cmd<A: AsRef<[u8]>>(buf: &mut Vec<u8>, args: &[A]) {
    let mut n = itoa::Buffer::new();
    buf.push(b'*');
    buf.extend_from_slice(n.format(args.len()).as_bytes());
    buf.extend_from_slice(b"\r\n");
    for a in args {
        let a = a.as_ref();
        buf.push(b'$');
        buf.extend_from_slice(n.format(a.len()).as_bytes());
        buf.extend_from_slice(b"\r\n");
        buf.extend_from_slice(a);
        buf.extend_from_slice(b"\r\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_per_protocol() {
        let mut o = Out::new(false);
        o.null();
        o.map(1);
        o.double(1.5);
        o.int(-3);
        o.error(&CmdError::WrongType);
        assert_eq!(
            o.buf,
            b"$-1\r\n*2\r\n$3\r\n1.5\r\n:-3\r\n-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
        );
        let mut o = Out::new(true);
        o.null();
        o.map(1);
        o.double(1.5);
        o.verbatim(b"hi");
        assert_eq!(o.buf, b"_\r\n%1\r\n,1.5\r\n=6\r\ntxt:hi\r\n");
    }

    fn limited(hard: usize, soft: usize, soft_secs: u64) -> Out {
        let mut o = Out::new(false);
        o.set_limit(OutputLimit {
            hard,
            soft,
            soft_secs,
        });
        o
    }

    #[test]
    fn the_hard_limit_drops_what_is_buffered_and_all_that_follows() {
        let mut o = limited(100, 0, 0);
        assert_eq!(o.watch_above(), 100);
        o.bulk(&[b'x'; 60]);
        assert!(!o.over);
        o.bulk(&[b'x'; 60]);
        // Passed by the second reply: the next one finds it (or the command's check does).
        o.check_limit(0);
        assert!(o.over && o.buf.is_empty());
        o.bulk(&[b'y'; 1000]);
        o.int(1);
        assert!(o.buf.len() < 1100);
        o.append_raw(vec![b'z'; 10]);
        o.bulk(b"a");
        assert!(o.buf.len() < 16, "{}", o.buf.len());
    }

    #[test]
    fn sent_bytes_do_not_count() {
        let mut o = limited(100, 0, 0);
        o.bulk(&[b'x'; 80]);
        let n = o.pending_len();
        o.consume(n - 10);
        assert_eq!(o.pending_len(), 10);
        o.bulk(&[b'x'; 80]);
        o.bulk(b"");
        assert!(!o.over, "only the unsent bytes count");
        o.consume(o.pending_len());
        assert!(o.buf.is_empty());
    }

    #[test]
    fn the_soft_limit_counts_whole_seconds_above_it() {
        let mut o = limited(0, 50, 2);
        o.bulk(&[b'x'; 60]);
        o.check_limit(10_000);
        o.check_limit(12_999);
        assert!(!o.over, "2.999 s above the limit is 2 whole seconds");
        // Sending brings it under the limit: the time starts again.
        let n = o.pending_len();
        o.consume(n - 5);
        o.bulk(&[b'x'; 60]);
        o.check_limit(13_000);
        o.check_limit(15_500);
        assert!(!o.over);
        o.check_limit(16_001);
        assert!(o.over);
    }

    #[test]
    fn no_limit_never_trips() {
        let mut o = Out::new(false);
        assert_eq!(o.watch_above(), usize::MAX);
        o.bulk(&vec![b'x'; 1 << 20]);
        o.check_limit(1);
        assert!(!o.over);
    }
}
