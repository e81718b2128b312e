//! What HRANDFIELD, SRANDMEMBER and ZRANDMEMBER share: reading the count (in Redis 7.0's order
//! and with its messages) and choosing which elements a count picks.

use super::int_arg;
use crate::error::{CmdError, CmdResult};
use crate::resp::{Args, Out};
use rand::Rng;

/// The largest reply a negative count (elements may repeat, so the reply's size is the count's,
/// not the collection's) may build: the default proto-max-bulk-len. Redis 7.0 builds any such
/// reply in memory before sending a byte of it, so `HRANDFIELD h -9223372036854775807` runs it
/// out of memory; ringdis refuses it with "value is out of range" instead.
pub const MAX_REPEAT_REPLY: u64 = 512 * 1024 * 1024;

/// Redis's getRangeLongFromObjectOrReply(-LONG_MAX, LONG_MAX): any i64 but i64::MIN.
pub fn symmetric_long_arg(b: &[u8]) -> CmdResult<i64> {
    let v = int_arg(b)?;
    if v == i64::MIN {
        return Err(super::range_error(-i64::MAX, i64::MAX));
    }
    Ok(v)
}

/// `key [count [WITH...]]` of HRANDFIELD (`with` = "withvalues") and ZRANDMEMBER
/// ("withscores"): the count, if given, and whether pairs were asked for. Redis reads the count
/// before it looks at what follows, and refuses a count whose pair reply would overflow.
pub fn pair_args(args: &Args, with: &str) -> CmdResult<(Option<i64>, bool)> {
    if args.len() < 3 {
        return Ok((None, false));
    }
    let count = symmetric_long_arg(args.get(2))?;
    if args.len() > 4 || (args.len() == 4 && !args.is(3, with)) {
        return Err(CmdError::Syntax);
    }
    let pairs = args.len() == 4;
    if pairs && count.unsigned_abs() > i64::MAX as u64 / 2 {
        return Err(out_of_range());
    }
    Ok((Some(count), pairs))
}

fn out_of_range() -> CmdError {
    CmdError::Other("value is out of range".into())
}

/// Which of `len` elements a count picks: distinct ones (all of them, in order, when the count
/// reaches `len`) for `count >= 0`, `-count` independent ones for a negative count. Returns how
/// many and the indexes. `reply_size(i)` is about how many bytes element `i` adds to the reply:
/// a repeating pick whose reply would pass [`MAX_REPEAT_REPLY`] (estimated from a sample) is
/// refused.
pub fn picks(
    len: usize,
    count: i64,
    reply_size: impl Fn(usize) -> usize,
) -> CmdResult<(usize, Box<dyn Iterator<Item = usize>>)> {
    let mut rng = rand::rng();
    if len == 0 || count == 0 {
        return Ok((0, Box::new(std::iter::empty())));
    }
    if count > 0 {
        let n = (count as u64).min(len as u64) as usize;
        if n == len {
            return Ok((n, Box::new(0..len)));
        }
        let chosen = rand::seq::index::sample(&mut rng, len, n).into_vec();
        return Ok((n, Box::new(chosen.into_iter())));
    }
    let n = count.unsigned_abs();
    const SAMPLE: u64 = 16;
    let sampled: u64 = (0..SAMPLE)
        .map(|_| reply_size(rng.random_range(0..len)) as u64)
        .sum();
    if (n as u128) * (sampled as u128) > (MAX_REPEAT_REPLY as u128) * (SAMPLE as u128) {
        return Err(out_of_range());
    }
    let n = n as usize;
    Ok((n, Box::new((0..n).map(move |_| rng.random_range(0..len)))))
}

/// Writes `n` picks: single elements, or with `pairs` each element with its value or score
/// (flat in RESP2, a two-element array each in RESP3, as Redis replies). `emit` writes element
/// `i` (both halves of it when `pairs`).
pub fn reply_picks(
    out: &mut Out,
    (n, picks): (usize, Box<dyn Iterator<Item = usize>>),
    pairs: bool,
    mut emit: impl FnMut(&mut Out, usize),
) {
    let resp3 = out.resp3;
    out.array(if pairs && !resp3 { n * 2 } else { n });
    for i in picks {
        if pairs && resp3 {
            out.array(2);
        }
        emit(out, i);
    }
}

/// How many bytes a bulk string of `len` bytes takes in a RESP reply (`$len\r\n...\r\n`).
pub fn bulk_size(len: usize) -> usize {
    len + 5 + itoa::Buffer::new().format(len).len()
}
