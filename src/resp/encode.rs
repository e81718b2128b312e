//! Reply encoding straight into the connection's output buffer: no intermediate reply values,
//! no allocation per reply once the buffer has grown to its working size.

use crate::error::CmdError;
use std::io::Write;

/// The output buffer of one connection plus the protocol version it speaks.
/// Shapes that differ between RESP2 and RESP3 (null, map, set, double, verbatim) are chosen here,
/// so handlers never branch on the protocol.
#[derive(Debug, Default)]
pub struct Out {
    pub buf: Vec<u8>,
    pub resp3: bool,
}

impl Out {
    pub fn new(resp3: bool) -> Self {
        Out {
            buf: Vec::with_capacity(1024),
            resp3,
        }
    }

    #[inline]
    fn header(&mut self, tag: u8, n: i64) {
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
        self.buf.push(b'-');
        let start = self.buf.len();
        self.buf.extend_from_slice(e.as_bytes());
        self.end_error(start);
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
        let tmp = crate::resp::format_score(v);
        if self.resp3 {
            self.buf.push(b',');
            self.buf.extend_from_slice(&tmp);
            self.buf.extend_from_slice(b"\r\n");
        } else {
            self.bulk(&tmp);
        }
    }

    /// A verbatim text (`=len\r\ntxt:...` in RESP3), as Redis 7 sends INFO and CLIENT LIST.
    pub fn verbatim(&mut self, text: &[u8]) {
        if self.resp3 {
            self.header(b'=', text.len() as i64 + 4);
            self.buf.extend_from_slice(b"txt:");
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
}
