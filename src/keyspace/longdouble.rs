//! INCRBYFLOAT's arithmetic in C's long double (`longdouble.c`, built by `src/build.rs`), so
//! that its values, range and digits are Redis's.

use std::os::raw::{c_char, c_int};

extern "C" {
    fn ringdis_ld_check(s: *const c_char, len: usize) -> c_int;
    fn ringdis_ld_add(
        cur: *const c_char,
        cur_len: usize,
        has_cur: c_int,
        incr: *const c_char,
        incr_len: usize,
        out: *mut c_char,
        out_len: usize,
    ) -> c_int;
}

/// Redis's MAX_LONG_DOUBLE_CHARS: room for any finite long double printed in full.
const LD_CHARS: usize = 5 * 1024;

/// What a text is as a long double.
#[derive(Debug, PartialEq, Eq)]
pub enum Check {
    NotFloat,
    Finite,
    Infinite,
}

/// Reads `s` as Redis's `string2ld` does.
pub fn check(s: &[u8]) -> Check {
    // SAFETY: the C side reads exactly `s.len()` bytes from `s` and keeps no pointer.
    match unsafe { ringdis_ld_check(s.as_ptr().cast(), s.len()) } {
        0 => Check::NotFloat,
        1 => Check::Finite,
        _ => Check::Infinite,
    }
}

/// Why [`add`] failed.
#[derive(Debug, PartialEq, Eq)]
pub enum AddError {
    /// The current value is not a float.
    Current,
    /// The increment is not a float.
    Increment,
    /// The sum is NaN or infinite.
    NanOrInfinity,
}

/// `cur` (zero when absent) plus `incr`, as INCRBYFLOAT's reply text.
pub fn add(cur: Option<&[u8]>, incr: &[u8]) -> Result<Vec<u8>, AddError> {
    let mut out = [0u8; LD_CHARS];
    let (cp, cl) = cur.map_or((std::ptr::null(), 0), |c| (c.as_ptr(), c.len()));
    // SAFETY: the C side reads `cl` bytes from `cp` only when `has_cur` is 1, `incr.len()`
    // bytes from `incr`, and writes at most `out.len()` bytes (NUL included) into `out`.
    let n = unsafe {
        ringdis_ld_add(
            cp.cast(),
            cl,
            c_int::from(cur.is_some()),
            incr.as_ptr().cast(),
            incr.len(),
            out.as_mut_ptr().cast(),
            out.len(),
        )
    };
    match n {
        -1 => Err(AddError::Current),
        -2 => Err(AddError::Increment),
        n if n < 0 => Err(AddError::NanOrInfinity),
        n => Ok(out[..n as usize].to_vec()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sum(cur: Option<&str>, incr: &str) -> Result<String, AddError> {
        add(cur.map(str::as_bytes), incr.as_bytes()).map(|v| String::from_utf8(v).unwrap())
    }

    #[test]
    fn sums_print_as_redis_prints_them() {
        assert_eq!(sum(Some("10.5"), "0.1").unwrap(), "10.6");
        assert_eq!(sum(None, "5.0e3").unwrap(), "5000");
        assert_eq!(sum(Some("0.1"), "0.2").unwrap(), "0.3");
        assert_eq!(sum(Some("3.0e17"), "0").unwrap(), "300000000000000000");
        assert_eq!(
            sum(Some("9223372036854775807"), "0").unwrap(),
            "9223372036854775807"
        );
        assert_eq!(sum(Some("-1"), "1").unwrap(), "0");
        assert_eq!(sum(Some("-0.0"), "0").unwrap(), "0");
        assert_eq!(sum(Some("1e400"), "0").unwrap().len(), 401);
        assert_eq!(sum(Some("0x10"), "1").unwrap(), "17");
    }

    #[test]
    fn bad_texts_and_results_are_refused_in_redis_order() {
        assert_eq!(sum(Some("abc"), "x"), Err(AddError::Current));
        assert_eq!(sum(Some("1"), " 1"), Err(AddError::Increment));
        assert_eq!(sum(Some("1"), ""), Err(AddError::Increment));
        assert_eq!(sum(Some("1"), "nan"), Err(AddError::Increment));
        assert_eq!(sum(Some("1"), "1e99999"), Err(AddError::Increment));
        assert_eq!(sum(Some("inf"), "1"), Err(AddError::NanOrInfinity));
        assert_eq!(sum(Some("inf"), "-inf"), Err(AddError::NanOrInfinity));
        assert_eq!(check(b"1.5"), Check::Finite);
        assert_eq!(check(b"-inf"), Check::Infinite);
        assert_eq!(check(b"1.5x"), Check::NotFloat);
    }
}
