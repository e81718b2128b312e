//! Type-independent key operations: existence, deletion, TTLs, renames, listing and sampling.

use super::events::class;
use super::tx::Tx;
use super::{glob, scan, Kind, Shard, SHARDS, SHARD_BITS};
use crate::error::{CmdError, CmdResult};
use rand::Rng;
use std::sync::atomic::Ordering;

/// Condition flags of EXPIRE and friends (Redis 7); XX may come with GT or LT.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExpireCond {
    pub nx: bool,
    pub xx: bool,
    pub gt: bool,
    pub lt: bool,
}

impl ExpireCond {
    /// Whether the TTL `at` may replace `cur` (None: no TTL, which counts as an infinite one).
    fn allows(&self, cur: Option<u64>, at: u64) -> bool {
        let refused = (self.nx && cur.is_some())
            || (self.xx && cur.is_none())
            || (self.gt && cur.is_none_or(|c| at <= c))
            || (self.lt && cur.is_some_and(|c| at >= c));
        !refused
    }
}

/// A value moved out of the keyspace whole (RENAME, MOVE), or copied (COPY).
enum Taken {
    Str(Vec<u8>),
    Hash(super::HashVal),
    Coll(super::Coll),
}

impl Shard {
    /// EXPIRE/PEXPIRE/EXPIREAT/PEXPIREAT at an absolute deadline. Returns whether the TTL was set.
    /// A deadline already passed deletes the key, as Redis does (except during a replay, where
    /// the record was written while the deadline was ahead).
    pub fn expire_at(&mut self, key: &[u8], at: u64, cond: ExpireCond, now: u64) -> bool {
        if self.expire_if_needed(key, now) || self.kind(key, now).is_none() {
            return false;
        }
        let cur = self.ttl_of(key);
        let ok = cond.allows(cur, at);
        if !ok {
            return false;
        }
        if at <= now && !self.loading() {
            self.remove(key);
            self.log(&[b"DEL", key]);
            self.changed(key, class::GENERIC, "del");
        } else {
            self.set_expire(key, Some(at));
            self.log(&[b"PEXPIREAT", key, itoa::Buffer::new().format(at).as_bytes()]);
            self.changed(key, class::GENERIC, "expire");
        }
        true
    }

    /// PTTL's answer in ms: -2 missing, -1 no TTL.
    pub fn pttl(&self, key: &[u8], now: u64) -> i64 {
        if self.kind(key, now).is_none() {
            return -2;
        }
        match self.ttl_of(key) {
            Some(at) => at.saturating_sub(now) as i64,
            None => -1,
        }
    }

    fn take(&mut self, key: &[u8]) -> Option<(Taken, Option<u64>)> {
        let ttl = self.ttl_of(key);
        let v = if let Some(v) = self.strings.remove(key) {
            Taken::Str(v)
        } else if let Some(h) = self.hashes.remove(key) {
            Taken::Hash(h)
        } else {
            Taken::Coll(self.colls.remove(key)?)
        };
        self.set_expire(key, None);
        Some((v, ttl))
    }

    /// A deep copy of the value at `key` and its deadline (COPY).
    fn copy_of(&self, key: &[u8]) -> Option<(Taken, Option<u64>)> {
        let v = if let Some(v) = self.strings.get(key) {
            Taken::Str(v.to_vec())
        } else if let Some(h) = self.hashes.get(key) {
            Taken::Hash(h.clone())
        } else {
            Taken::Coll(self.colls.get(key)?.duplicate())
        };
        Some((v, self.ttl_of(key)))
    }

    fn put(&mut self, key: &[u8], v: Taken, ttl: Option<u64>) {
        self.remove_overwritten(key);
        match v {
            Taken::Str(s) => {
                self.strings.insert(key, &s);
            }
            Taken::Hash(h) => {
                self.hashes.insert(key, h);
            }
            Taken::Coll(c) => {
                self.colls.insert(key, c);
            }
        }
        // Redis deletes an overwritten destination and adds the key anew.
        self.created(key);
        self.set_expire(key, ttl);
    }

    /// A random live key of this shard (RANDOMKEY, eviction); None if it has none.
    pub(super) fn random_live_key(&self, now: u64, rng: &mut impl rand::Rng) -> Option<&[u8]> {
        let n = self.len();
        if n == 0 {
            return None;
        }
        let pick = rng.random_range(0..n);
        self.live_keys(now)
            .nth(pick)
            .or_else(|| self.live_keys(now).next())
            .map(|(k, _)| k)
    }

    /// Up to `n` live keys of this shard from a random place in its tables (neighbours in a
    /// hash table are unrelated keys, so this is a random sample as eviction needs one).
    pub(super) fn sample_live_keys<'a>(
        &'a self,
        n: usize,
        now: u64,
        rng: &mut impl rand::Rng,
    ) -> impl Iterator<Item = &'a [u8]> + 'a {
        let len = self.len();
        let start = if len == 0 {
            0
        } else {
            rng.random_range(0..len)
        };
        let from_start = self.live_keys(now).skip(start).take(n);
        let missing = n.saturating_sub(len - start);
        from_start
            .chain(self.live_keys(now).take(missing))
            .map(|(k, _)| k)
    }

    /// Live keys of this shard (expired ones skipped), with their type.
    fn live_keys(&self, now: u64) -> impl Iterator<Item = (&[u8], Kind)> + '_ {
        let s = self.strings.keys().map(|k| (k, Kind::String));
        let h = self.hashes.keys().map(|k| (k, Kind::Hash));
        let c = self.colls.iter().map(|(k, v)| (k, v.kind()));
        s.chain(h)
            .chain(c)
            .filter(move |(k, _)| !self.is_expired(k, now))
    }
}

/// Two locked shards (or one serving both keys), see [`Tx::with_two`].
struct Two<'a> {
    a: &'a mut Shard,
    b: Option<&'a mut Shard>,
}

impl Two<'_> {
    fn a(&mut self) -> &mut Shard {
        self.a
    }

    fn b(&mut self) -> &mut Shard {
        match self.b {
            Some(ref mut b) => b,
            None => self.a,
        }
    }
}

impl Tx<'_> {
    /// DEL/UNLINK: removes the keys atomically; returns how many existed.
    /// DEL, or with `lazy` UNLINK (large values freed by the lazy-free thread).
    pub fn del(&self, db: usize, keys: &[&[u8]], now: u64, lazy: bool) -> usize {
        let mut locked = self.lock_many(db, keys.iter().copied());
        let mut rec: Vec<&[u8]> = vec![b"DEL"];
        rec.extend(keys.iter().copied().filter(|k| {
            let s = locked.shard(k);
            let gone =
                !s.expire_if_needed(k, now) && if lazy { s.remove_lazy(k) } else { s.remove(k) };
            if gone {
                s.changed(k, class::GENERIC, "del");
            }
            gone
        }));
        if rec.len() > 1 {
            // One record for the whole command, written while every key's shard is still locked.
            self.log(db, &rec);
        }
        rec.len() - 1
    }

    /// EXISTS/TOUCH: counts live keys, a key named twice counted twice.
    pub fn exists(&self, db: usize, keys: &[&[u8]], now: u64) -> usize {
        keys.iter()
            .filter(|k| self.read(db, k).kind(k, now).is_some())
            .count()
    }

    pub fn kind(&self, db: usize, key: &[u8], now: u64) -> Option<Kind> {
        self.read(db, key).kind(key, now)
    }

    /// RENAME/RENAMENX: moves the value and its TTL. Returns false when `nx` and `dst` exists.
    pub fn rename(&self, db: usize, src: &[u8], dst: &[u8], nx: bool, now: u64) -> CmdResult<bool> {
        let mut locked = self.lock_many(db, [src, dst]);
        let s = locked.shard(src);
        s.expire_if_needed(src, now);
        if s.kind(src, now).is_none() {
            return Err(CmdError::NoSuchKey);
        }
        if src == dst {
            return Ok(!nx);
        }
        let d = locked.shard(dst);
        d.expire_if_needed(dst, now);
        if nx && d.kind(dst, now).is_some() {
            return Ok(false);
        }
        let (v, ttl) = locked.shard(src).take(src).expect("checked above");
        locked.shard(dst).put(dst, v, ttl);
        locked.shard(dst).signal_ready(dst);
        self.log(db, &[b"RENAME", src, dst]);
        locked
            .shard(src)
            .changed(src, class::GENERIC, "rename_from");
        locked.shard(dst).changed(dst, class::GENERIC, "rename_to");
        Ok(true)
    }

    /// Runs `f` with the shards of `a` and `b` (each a database and a key) write-locked, in
    /// (database, shard) order, the order EXEC and the AOF rewrite lock whole databases in; one
    /// shard serves both keys when they share it.
    fn with_two<R>(&self, a: (usize, &[u8]), b: (usize, &[u8]), f: impl FnOnce(Two) -> R) -> R {
        let ia = (a.0, self.shard_index(a.1));
        let ib = (b.0, self.shard_index(b.1));
        if ia == ib {
            let mut g = self.write(a.0, a.1);
            return f(Two { a: &mut g, b: None });
        }
        let (mut ga, mut gb);
        if ia < ib {
            ga = self.write(a.0, a.1);
            gb = self.write(b.0, b.1);
        } else {
            gb = self.write(b.0, b.1);
            ga = self.write(a.0, a.1);
        }
        f(Two {
            a: &mut ga,
            b: Some(&mut gb),
        })
    }

    /// COPY (`keep`) or MOVE: puts a copy of `src` of `db`, with its deadline, at `dst` of
    /// `to_db`, replacing it when `replace`, and for MOVE deletes `src`. Returns whether it did
    /// (false: no `src`, or `dst` exists and not `replace`). The caller refuses `src` = `dst`.
    /// Logged as the command (given the keys it found, its effect is determined).
    #[allow(clippy::too_many_arguments)]
    pub fn copy(
        &self,
        db: usize,
        src: &[u8],
        to_db: usize,
        dst: &[u8],
        replace: bool,
        keep: bool,
        now: u64,
    ) -> bool {
        self.with_two((db, src), (to_db, dst), |mut two| {
            two.a().expire_if_needed(src, now);
            if two.a().kind(src, now).is_none() {
                return false;
            }
            two.b().expire_if_needed(dst, now);
            if two.b().kind(dst, now).is_some() && !replace {
                return false;
            }
            let (v, ttl) = if keep {
                two.a().copy_of(src)
            } else {
                two.a().take(src)
            }
            .expect("checked above");
            two.b().put(dst, v, ttl);
            if ttl.is_some() {
                self.mark_expires(to_db);
            }
            two.b().signal_ready(dst);
            if keep {
                two.b().changed(dst, class::GENERIC, "copy_to");
            } else {
                two.a().changed(src, class::GENERIC, "move_from");
                two.b().changed(dst, class::GENERIC, "move_to");
            }
            let to = to_db.to_string();
            let to = to.as_bytes();
            if keep {
                let mut rec: Vec<&[u8]> = vec![b"COPY", src, dst, b"DB", to];
                if replace {
                    rec.push(b"REPLACE");
                }
                self.log(db, &rec);
            } else {
                self.log(db, &[b"MOVE", src, to]);
            }
            true
        })
    }

    /// SWAPDB: exchanges the data of two databases at once, holding every shard lock of both
    /// (in ascending order, as EXEC does). Clients keep their database number and see the other
    /// data; WATCHed keys of both count as modified and blocked clients of both retry.
    pub fn swapdb(&self, a: usize, b: usize) {
        if a == b {
            return;
        }
        let (lo, hi) = (a.min(b), a.max(b));
        let mut low: Vec<_> = (0..SHARDS).map(|i| self.write_at(lo, i)).collect();
        let mut high: Vec<_> = (0..SHARDS).map(|i| self.write_at(hi, i)).collect();
        for (x, y) in low.iter_mut().zip(high.iter_mut()) {
            x.swap_data(y);
        }
        self.ks.mark_populated(lo);
        self.ks.mark_populated(hi);
        let expires = self.ks.db(lo).has_expires.load(Ordering::Relaxed)
            || self.ks.db(hi).has_expires.load(Ordering::Relaxed);
        if expires {
            self.mark_expires(lo);
            self.mark_expires(hi);
        }
        let (sa, sb) = (a.to_string(), b.to_string());
        self.log(a, &[b"SWAPDB", sa.as_bytes(), sb.as_bytes()]);
        drop((low, high));
        self.blocking().signal_db(lo);
        self.blocking().signal_db(hi);
    }

    /// KEYS: every live key matching `pattern`.
    pub fn keys(&self, db: usize, pattern: &[u8], now: u64) -> Vec<Vec<u8>> {
        let all = pattern == b"*";
        let mut out = Vec::new();
        for i in 0..SHARDS {
            let s = self.read_at(db, i);
            out.extend(
                s.live_keys(now)
                    .filter(|(k, _)| all || glob::matches(pattern, k, false))
                    .map(|(k, _)| k.to_vec()),
            );
        }
        out
    }

    /// SCAN: the next cursor and a batch of live keys matching the filters.
    pub fn scan(
        &self,
        db: usize,
        cursor: u64,
        pattern: Option<&[u8]>,
        count: usize,
        kind: Option<&[u8]>,
        now: u64,
    ) -> (u64, Vec<Vec<u8>>) {
        // Estimate the total from a few shards; exactness does not matter to the cursor.
        let sample: usize = (0..8).map(|i| self.read_at(db, i * SHARDS / 8).len()).sum();
        let bits = scan::bits_for(sample * SHARDS / 8, count, SHARD_BITS);
        let mut out = Vec::new();
        // At the minimum size a bucket is one whole, small shard: visiting all of them in one call
        // costs no more than the keys they hold, and spares clients a call per empty shard.
        let max_visits = if bits == SHARD_BITS {
            SHARDS
        } else {
            count.saturating_mul(10)
        };
        let next = scan::walk(cursor, bits, count, max_visits, |bucket, mask| {
            let s = self.read_at(db, (bucket as usize) & (SHARDS - 1));
            let before = out.len();
            for (k, t) in s.live_keys(now) {
                if self.ks.hash(k) & mask != bucket {
                    continue;
                }
                if pattern.is_some_and(|p| !glob::matches(p, k, false)) {
                    continue;
                }
                if kind.is_some_and(|want| !want.eq_ignore_ascii_case(t.name().as_bytes())) {
                    continue;
                }
                out.push(k.to_vec());
            }
            out.len() - before
        });
        (next, out)
    }

    /// RANDOMKEY: a random live key, or None if the database is empty.
    pub fn random_key(&self, db: usize, now: u64) -> Option<Vec<u8>> {
        let mut rng = rand::rng();
        let start = rng.random_range(0..SHARDS);
        for probe in 0..SHARDS + 64 {
            let i = super::probe_shard(probe, 64, start, &mut rng);
            let s = self.read_at(db, i);
            if let Some(k) = s.random_live_key(now, &mut rng) {
                return Some(k.to_vec());
            }
        }
        None
    }
}

/// Whether Redis would keep `v` as an integer object (at most 20 bytes, a canonical i64).
fn int_encodable(v: &[u8]) -> Option<i64> {
    if v.len() > 20 {
        return None;
    }
    crate::resp::parse_i64(v)
}

impl Shard {
    /// The encoding Redis 7.0 would report for the value at `key` (None: missing). ringdis keeps
    /// one representation per type, so this is Redis's choice for the same content: a string
    /// APPENDed to (Redis's `raw`) is named by its content, and a collection that shrank back
    /// under the limits by the compact name Redis would not return to.
    pub fn encoding(&self, key: &[u8], now: u64) -> Option<&'static str> {
        if self.is_expired(key, now) {
            return None;
        }
        if let Some(v) = self.strings.get(key) {
            // PFADD and PFMERGE build their strings raw.
            let hll = super::hll::validate(v).is_ok();
            return Some(if int_encodable(v).is_some() {
                "int"
            } else if v.len() <= 44 && !hll {
                "embstr"
            } else {
                "raw"
            });
        }
        if let Some(h) = self.hashes.get(key) {
            return Some(if h.is_packed() {
                "listpack"
            } else {
                "hashtable"
            });
        }
        Some(match self.colls.get(key)? {
            super::Coll::List(_) => "quicklist",
            super::Coll::Set(s) => {
                if s.is_intset() {
                    "intset"
                } else {
                    "hashtable"
                }
            }
            // The encoding the set really has (packed while small, as Redis's listpack).
            super::Coll::ZSet(z) => {
                if z.is_packed() {
                    "listpack"
                } else {
                    "skiplist"
                }
            }
            super::Coll::Stream(_) => "stream",
        })
    }

    /// OBJECT REFCOUNT: Redis shares the objects of the integers 0..9999 (reported as
    /// INT_MAX); every other value has one reference.
    pub fn refcount(&self, key: &[u8], now: u64) -> Option<i64> {
        if self.is_expired(key, now) || !self.contains(key) {
            return None;
        }
        let shared = self
            .strings
            .get(key)
            .and_then(int_encodable)
            .is_some_and(|n| (0..10000).contains(&n));
        Some(if shared { i32::MAX as i64 } else { 1 })
    }
}

/// Bytes a string takes in an RDB file (Redis's rdbSavedObjectLen for a string): small
/// integers in 2, 3 or 5 bytes, others their length prefix and bytes.
fn rdb_string_len(v: &[u8]) -> usize {
    if let Some(n) = int_encodable(v).filter(|_| v.len() <= 11) {
        if (-128..=127).contains(&n) {
            return 2;
        } else if (-32768..=32767).contains(&n) {
            return 3;
        } else if (i32::MIN as i64..=i32::MAX as i64).contains(&n) {
            return 5;
        }
    }
    let prefix = match v.len() {
        0..=63 => 1,
        64..=16383 => 2,
        _ => 5,
    };
    prefix + v.len()
}

impl Shard {
    /// DEBUG OBJECT's line: Redis's fields, the encoding as OBJECT ENCODING reports it and
    /// an estimate of the RDB length (ringdis writes no RDB); None: no such key.
    pub fn debug_object(&self, key: &[u8], now: u64) -> Option<String> {
        let enc = self.encoding(key, now)?;
        let refcount = self.refcount(key, now)?;
        let len = if let Some(v) = self.strings.get(key) {
            rdb_string_len(v)
        } else if let Some(h) = self.hashes.get(key) {
            h.iter()
                .map(|(f, v)| rdb_string_len(f) + rdb_string_len(v))
                .sum()
        } else {
            match self.colls.get(key)? {
                super::Coll::List(l) => l.iter().map(rdb_string_len).sum(),
                super::Coll::Set(s) => s.iter().map(|m| rdb_string_len(&m)).sum(),
                super::Coll::ZSet(z) => z.iter().map(|(m, _)| rdb_string_len(m) + 8).sum(),
                super::Coll::Stream(_) => 0,
            }
        };
        let ptr = self.strings.get(key).map_or(0, |v| v.as_ptr() as usize);
        Some(format!(
            "Value at:{ptr:#x} refcount:{refcount} encoding:{enc} serializedlength:{len} lru:0 lru_seconds_idle:0"
        ))
    }
}

/// What one entry of a shard's maps costs beyond its bytes (the boxed key and the value's
/// header, and the hash table's slot), for MEMORY USAGE.
const ENTRY_OVERHEAD: usize = 56;
/// What one element of a collection costs beyond its bytes.
const ELEMENT_OVERHEAD: usize = 32;

impl Shard {
    /// MEMORY USAGE: the bytes `key` and its value take (None: missing). Collections are
    /// measured on their first `samples` elements (0: all) and scaled to their length, as
    /// Redis samples them.
    pub fn memory_usage(&self, key: &[u8], samples: usize, now: u64) -> Option<usize> {
        if self.is_expired(key, now) || !self.contains(key) {
            return None;
        }
        fn sampled<'a>(n: usize, samples: usize, sizes: impl Iterator<Item = usize> + 'a) -> usize {
            let take = if samples == 0 { n } else { samples.min(n) };
            if take == 0 {
                return 0;
            }
            let sum: usize = sizes.take(take).map(|s| s + ELEMENT_OVERHEAD).sum();
            sum * n / take
        }
        let base = ENTRY_OVERHEAD + key.len();
        let body = if let Some(n) = self.strings.entry_bytes(key) {
            n
        } else if let Some(h) = self.hashes.get(key) {
            match h.packed_bytes() {
                Some(n) => n,
                None => sampled(h.len(), samples, h.iter().map(|(f, v)| f.len() + v.len())),
            }
        } else {
            match self.colls.get(key)? {
                super::Coll::List(l) => l.bytes(),
                super::Coll::Set(s) => match s.intset_bytes() {
                    Some(n) => n,
                    None => sampled(s.len(), samples, s.iter().map(|m| m.len())),
                },
                super::Coll::ZSet(z) => sampled(
                    z.len(),
                    samples,
                    // The member (once, in its skip-list node), the node's score and links,
                    // and its index slot.
                    z.iter().map(|(m, _)| m.len() + 24),
                ),
                super::Coll::Stream(x) => x.memory(),
            }
        };
        Some(base + body)
    }
}
