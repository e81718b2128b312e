//! RESP: the request parser (multibulk and inline, resumable) and the reply encoder (RESP2/RESP3).

pub mod encode;
pub mod parse;

pub use encode::Out;
pub use parse::{Args, Frame, Parser};

/// Parses a Redis integer exactly as `string2ll` does: optional `-`, digits, no leading zeros,
/// no spaces or `+`, must fit in i64.
pub fn parse_i64(b: &[u8]) -> Option<i64> {
    let (neg, digits) = match b.first()? {
        b'-' => (true, &b[1..]),
        _ => (false, b),
    };
    if digits.is_empty() || digits.len() > 20 {
        return None;
    }
    if digits[0] == b'0' {
        // "0" alone is the only number that may start with a zero; "-0" is rejected too.
        return if digits.len() == 1 && !neg {
            Some(0)
        } else {
            None
        };
    }
    let mut v: i64 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return None;
        }
        let d = (c - b'0') as i64;
        v = if neg {
            v.checked_mul(10)?.checked_sub(d)?
        } else {
            v.checked_mul(10)?.checked_add(d)?
        };
    }
    Some(v)
}

/// Parses a float argument like Redis's `string2ld`: no leading space, no trailing garbage, no NaN.
pub fn parse_f64(b: &[u8]) -> Option<f64> {
    if b.is_empty() || b[0].is_ascii_whitespace() || b.len() > 5000 {
        return None;
    }
    let s = std::str::from_utf8(b).ok()?;
    let v: f64 = s.parse().ok()?;
    if v.is_nan() {
        None
    } else {
        Some(v)
    }
}

/// Formats a score as Redis 7.0 replies with it (C's `%.17g`: exact, `1e+20` style exponents,
/// `inf`/`-inf`), so that a score read back parses to the same double.
pub fn format_score(v: f64) -> Vec<u8> {
    if v.is_infinite() {
        return if v > 0.0 {
            b"inf".to_vec()
        } else {
            b"-inf".to_vec()
        };
    }
    let mut buf = [0u8; 40];
    // SAFETY: snprintf writes at most buf.len() bytes, NUL included, into our buffer, and the
    // format takes exactly one double.
    let n = unsafe { libc::snprintf(buf.as_mut_ptr().cast(), buf.len(), c"%.17g".as_ptr(), v) };
    buf[..(n.max(0) as usize).min(buf.len() - 1)].to_vec()
}

/// Formats a float for INCRBYFLOAT-style replies: plain decimal, no exponent, and rounded to
/// 15 significant digits first so that binary noise (0.1+0.2) reads as Redis's long-double output does.
pub fn format_human_f64(v: f64, out: &mut Vec<u8>) {
    use std::io::Write;
    let rounded: f64 = format!("{v:.14e}").parse().unwrap_or(v);
    let _ = write!(out, "{rounded}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ints_follow_string2ll() {
        assert_eq!(parse_i64(b"0"), Some(0));
        assert_eq!(parse_i64(b"-12"), Some(-12));
        assert_eq!(parse_i64(b"9223372036854775807"), Some(i64::MAX));
        assert_eq!(parse_i64(b"-9223372036854775808"), Some(i64::MIN));
        for bad in [
            &b""[..],
            b"-",
            b"-0",
            b"01",
            b"+1",
            b" 1",
            b"1 ",
            b"9223372036854775808",
            b"1a",
        ] {
            assert_eq!(parse_i64(bad), None, "{:?}", bad);
        }
    }

    #[test]
    fn floats_read_and_print_like_redis() {
        assert_eq!(parse_f64(b"10.5"), Some(10.5));
        assert_eq!(parse_f64(b"5.0e3"), Some(5000.0));
        assert_eq!(parse_f64(b" 1"), None);
        assert_eq!(parse_f64(b"nan"), None);
        let mut o = Vec::new();
        format_human_f64(0.1 + 0.2, &mut o);
        assert_eq!(o, b"0.3");
        o.clear();
        format_human_f64(5010.6, &mut o);
        assert_eq!(o, b"5010.6");
        o.clear();
        format_human_f64(3.0e17, &mut o);
        assert_eq!(o, b"300000000000000000");
    }
}
