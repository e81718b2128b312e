//! The SCAN cursor over the keyspace.
//!
//! Items are placed in a virtual table of 2^bits buckets by the low bits of their hash, and the
//! cursor walks the buckets in reverse-binary order, as Redis walks its dict. That order keeps
//! Redis's guarantee (every item present for the whole scan is returned at least once) even when
//! the table size chosen for a call differs from the previous call's, which is what lets us pick the
//! size per call from the current item count instead of owning the real hash table's layout.

/// Walks buckets from `cursor`, calling `visit(bucket, mask)` for each, until `visit` has reported
/// `count` items in total, `max_visits` buckets were visited (so a sparse table or a MATCH that
/// filters everything cannot make one call walk a huge table), or the walk wraps. Returns the next
/// cursor (0 when the scan is complete).
pub fn walk(
    cursor: u64,
    bits: u32,
    count: usize,
    max_visits: usize,
    mut visit: impl FnMut(u64, u64) -> usize,
) -> u64 {
    let mask: u64 = if bits >= 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    };
    let mut v = cursor;
    let mut found = 0;
    let mut visits = 0usize;
    loop {
        found += visit(v & mask, mask);
        visits += 1;
        v |= !mask;
        v = v.reverse_bits().wrapping_add(1).reverse_bits();
        if v == 0 || found >= count || visits >= max_visits {
            return v;
        }
    }
}

/// Table size for `items` items when about `count` are wanted per call, never below `min_bits`.
pub fn bits_for(items: usize, count: usize, min_bits: u32) -> u32 {
    let per_bucket = count.max(1);
    let buckets = (items / per_bucket).max(1).next_power_of_two();
    buckets.trailing_zeros().max(min_bits).min(63)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn walk_covers_every_bucket_even_when_the_size_changes() {
        let hashes: Vec<u64> = (0..5000u64)
            .map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15))
            .collect();
        let mut seen = HashSet::new();
        let mut cursor = 0;
        let mut call = 0;
        loop {
            let bits = [4, 9, 6, 12, 3][call % 5];
            call += 1;
            cursor = walk(cursor, bits, 10, 100, |b, m| {
                let hits: Vec<u64> = hashes.iter().copied().filter(|h| h & m == b).collect();
                seen.extend(hits.iter().copied());
                hits.len()
            });
            if cursor == 0 {
                break;
            }
        }
        assert_eq!(seen.len(), hashes.len());
    }
}
