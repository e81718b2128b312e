//! RESP: the request parser (multibulk and inline, resumable) and the reply encoder (RESP2/RESP3).

pub mod encode;
pub mod parse;

pub use encode::Out;
pub use parse::{Args, ArgvBuf, Frame, Parser};

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

/// `strtod` over all of `b`: the value, and whether it overflowed or underflowed (ERANGE). None
/// when some of `b` is not part of the number (an embedded NUL included). Leading spaces are
/// skipped, as strtod does.
fn strtod_all(b: &[u8]) -> Option<(f64, bool)> {
    // strtod needs a NUL-terminated copy: on the stack for the usual short numbers.
    let mut stack = [0u8; 64];
    let mut heap;
    let buf: &mut [u8] = if b.len() < stack.len() {
        &mut stack
    } else {
        heap = vec![0u8; b.len() + 1];
        &mut heap
    };
    buf[..b.len()].copy_from_slice(b);
    buf[b.len()] = 0;
    let mut end: *mut libc::c_char = std::ptr::null_mut();
    // SAFETY: `buf` is NUL-terminated (at b.len()); strtod reads up to
    // that NUL and stores in `end` a pointer into `buf`. errno is this thread's.
    let (v, erange, used) = unsafe {
        *libc::__errno_location() = 0;
        let v = libc::strtod(buf.as_ptr().cast(), &mut end);
        let erange = *libc::__errno_location() == libc::ERANGE;
        (v, erange, end.offset_from(buf.as_ptr().cast()) as usize)
    };
    (used == b.len()).then_some((v, erange))
}

/// Parses a float argument as Redis's `getDoubleFromObject` does (strtod): no leading space,
/// nothing after the number, no NaN, no overflow to infinity or underflow to zero. Hex floats
/// and `inf`/`infinity` in any case are numbers, as there.
pub fn parse_f64(b: &[u8]) -> Option<f64> {
    if b.is_empty() || b[0].is_ascii_whitespace() {
        return None;
    }
    let (v, erange) = strtod_all(b)?;
    let out_of_range = erange && (v.is_infinite() || v == 0.0);
    (!v.is_nan() && !out_of_range).then_some(v)
}

/// Parses a score range bound's number as Redis's `zslParseRange` does: plain strtod, so leading
/// spaces, an empty text (zero) and overflow to infinity are accepted; only NaN and trailing
/// characters are refused.
pub fn parse_score_bound(b: &[u8]) -> Option<f64> {
    strtod_all(b).map(|(v, _)| v).filter(|v| !v.is_nan())
}

/// Parses a SORT weight as Redis's SORT does: plain strtod up to the text's end (or its first
/// NUL byte), refused when something follows the number, on NaN and on ERANGE (overflow or
/// underflow). An empty text is 0.
pub fn parse_sort_weight(b: &[u8]) -> Option<f64> {
    let b = b.split(|&c| c == 0).next().unwrap_or(b);
    strtod_all(b)
        .filter(|&(v, erange)| !erange && !v.is_nan())
        .map(|(v, _)| v)
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
    format_g(c"%.17g", v)
}

/// A double as C's printf prints it with `fmt`, a `%.<N>g` format (Lua's numbers: `%.14g`).
pub fn format_g(fmt: &std::ffi::CStr, v: f64) -> Vec<u8> {
    let mut buf = [0u8; 40];
    // SAFETY: snprintf writes at most buf.len() bytes, NUL included, into our buffer, and the
    // callers' formats (`%.<N>g`, N <= 17) take exactly one double.
    let n = unsafe { libc::snprintf(buf.as_mut_ptr().cast(), buf.len(), fmt.as_ptr(), v) };
    buf[..(n.max(0) as usize).min(buf.len() - 1)].to_vec()
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
        assert_eq!(parse_f64(b"0x10"), Some(16.0));
        assert_eq!(parse_f64(b"-Infinity"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_f64(b"1e400"), None);
        assert_eq!(parse_f64(b"1e-400"), None);
        assert_eq!(parse_f64(b"1 "), None);
        assert_eq!(parse_f64(b"1\x002"), None);
        assert_eq!(parse_score_bound(b""), Some(0.0));
        assert_eq!(parse_score_bound(b" 1"), Some(1.0));
        assert_eq!(parse_score_bound(b"1e400"), Some(f64::INFINITY));
        assert_eq!(parse_score_bound(b"nan"), None);
    }
}
