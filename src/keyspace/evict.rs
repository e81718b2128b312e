//! Cache mode: maxmemory and its policies. Past the limit, keys are evicted before a command
//! runs, chosen by sampling one shard at a time (no lock shared by every executor), as Redis
//! approximates its policies by sampling.

use super::{events, Key, Keyspace, Shard, SHARDS};
use rand::Rng;
use std::sync::atomic::{AtomicU32, AtomicU64, AtomicU8, Ordering};
use std::time::{Duration, Instant};

/// maxmemory-policy's values, as Redis names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Policy {
    NoEviction,
    AllkeysLru,
    AllkeysLfu,
    AllkeysRandom,
    VolatileLru,
    VolatileLfu,
    VolatileRandom,
    VolatileTtl,
}

const POLICIES: [(Policy, &str); 8] = [
    (Policy::NoEviction, "noeviction"),
    (Policy::AllkeysLru, "allkeys-lru"),
    (Policy::AllkeysLfu, "allkeys-lfu"),
    (Policy::AllkeysRandom, "allkeys-random"),
    (Policy::VolatileLru, "volatile-lru"),
    (Policy::VolatileLfu, "volatile-lfu"),
    (Policy::VolatileRandom, "volatile-random"),
    (Policy::VolatileTtl, "volatile-ttl"),
];

impl Policy {
    pub fn parse(name: &str) -> Option<Policy> {
        POLICIES
            .iter()
            .find(|(_, n)| n.eq_ignore_ascii_case(name))
            .map(|(p, _)| *p)
    }

    pub fn name(self) -> &'static str {
        POLICIES[self as usize].1
    }

    /// The access clocks the policy ranks keys by.
    pub fn tracking(self) -> super::access::Mode {
        use super::access::Mode;
        match self {
            Policy::AllkeysLru | Policy::VolatileLru => Mode::Lru,
            Policy::AllkeysLfu | Policy::VolatileLfu => Mode::Lfu,
            _ => Mode::Off,
        }
    }

    /// Whether the policy ranks keys (by their clocks or deadlines) rather than picking at random.
    fn ranked(self) -> bool {
        self.tracking() != super::access::Mode::Off || self == Policy::VolatileTtl
    }

    /// Whether only keys with a TTL may go.
    fn volatile(self) -> bool {
        matches!(
            self,
            Policy::VolatileLru
                | Policy::VolatileLfu
                | Policy::VolatileRandom
                | Policy::VolatileTtl
        )
    }
}

/// The memory budget and how it is kept (maxmemory, maxmemory-policy, maxmemory-samples,
/// maxmemory-eviction-tenacity), read before every command.
pub struct Budget {
    /// Bytes (0: no limit).
    pub maxmemory: AtomicU64,
    policy: AtomicU8,
    pub samples: AtomicU32,
    pub tenacity: AtomicU32,
    /// Where the next eviction looks first (spreads evictions over the databases).
    next_db: AtomicU32,
}

impl Default for Budget {
    fn default() -> Self {
        Budget {
            maxmemory: AtomicU64::new(0),
            policy: AtomicU8::new(Policy::NoEviction as u8),
            samples: AtomicU32::new(5),
            tenacity: AtomicU32::new(10),
            next_db: AtomicU32::new(0),
        }
    }
}

impl Budget {
    pub fn policy(&self) -> Policy {
        POLICIES[self.policy.load(Ordering::Relaxed) as usize % POLICIES.len()].0
    }

    pub fn set_policy(&self, p: Policy) {
        self.policy.store(p as u8, Ordering::Relaxed);
    }

    /// How long one command may spend evicting, from maxmemory-eviction-tenacity as Redis
    /// reads it (10: 500 µs; each step up 15% more; 100: no bound).
    fn time_limit(&self) -> Option<Duration> {
        let t = self.tenacity.load(Ordering::Relaxed).min(100);
        if t >= 100 {
            return None;
        }
        let us = if t <= 10 {
            50.0 * f64::from(t)
        } else {
            500.0 * 1.15f64.powi(t as i32 - 10)
        };
        Some(Duration::from_micros(us.max(1.0) as u64))
    }
}

/// How an attempt to get under maxmemory ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Under the limit (or no limit).
    Fits,
    /// Still over: nothing (left) that the policy may evict.
    Over,
    /// Still over when the time for this command ran out; the next one goes on.
    Running,
}

impl Keyspace {
    /// Sets maxmemory-policy, and with it which access clocks keys keep.
    pub fn set_policy(&self, p: Policy) {
        self.budget.set_policy(p);
        self.env.tracking.set_mode(p.tracking());
    }

    /// Marks `db` as holding keys (SWAPDB moves keys without writing them).
    pub fn mark_populated(&self, db: usize) {
        self.env.populated[db].store(true, Ordering::Relaxed);
    }

    /// lazyfree-lazy-*.
    pub fn lazy(&self) -> &super::lazyfree::Settings {
        &self.env.lazy
    }

    /// lfu-log-factor and lfu-decay-time.
    pub fn lfu_settings(&self) -> &super::access::Tracking {
        &self.env.tracking
    }

    /// Evicts keys, as the budget's policy chooses them, until `used()` is at most maxmemory.
    pub fn make_room(&self, used: impl Fn() -> u64, now: u64) -> Outcome {
        let budget = &self.budget;
        let limit = budget.maxmemory.load(Ordering::Relaxed);
        if limit == 0 || used() <= limit || self.env.loading.load(Ordering::Relaxed) {
            return Outcome::Fits;
        }
        let policy = budget.policy();
        if policy == Policy::NoEviction {
            return Outcome::Over;
        }
        let samples = budget.samples.load(Ordering::Relaxed).max(1) as usize;
        let deadline = budget.time_limit().map(|d| Instant::now() + d);
        let mut rng = rand::rng();
        let dbs = self.databases();
        let mut db = budget.next_db.load(Ordering::Relaxed) as usize % dbs;
        let mut empty_dbs = 0;
        let mut freed = 0u64;
        while used() > limit {
            if empty_dbs >= dbs {
                return Outcome::Over;
            }
            if !self.evict_one(db, policy, samples, now, &mut rng) {
                empty_dbs += 1;
                db = (db + 1) % dbs;
                continue;
            }
            empty_dbs = 0;
            freed += 1;
            // The next eviction tries the next database, as Redis's pool spans them all.
            db = (db + 1) % dbs;
            budget.next_db.store(db as u32, Ordering::Relaxed);
            // As Redis: the clock is read every 16 keys.
            if freed.is_multiple_of(16) && deadline.is_some_and(|d| Instant::now() >= d) {
                return if used() <= limit {
                    Outcome::Fits
                } else {
                    Outcome::Running
                };
            }
        }
        Outcome::Fits
    }

    /// Evicts one key of `db` (false: the policy found none there). Looks at random shards
    /// first, then at every shard in turn, so a sparse database is not skipped.
    fn evict_one(
        &self,
        db: usize,
        policy: Policy,
        samples: usize,
        now: u64,
        rng: &mut impl Rng,
    ) -> bool {
        let d = self.db(db);
        if policy.volatile() && !d.has_expires.load(Ordering::Relaxed) {
            return false;
        }
        let populated = &self.env.populated[db];
        if !populated.load(Ordering::Relaxed) {
            return false;
        }
        if policy.ranked() {
            return POOL.with(|pool| self.evict_ranked(db, policy, samples, now, rng, pool));
        }
        match self.sample_shard(db, policy, rng) {
            Some(i) => {
                let mut s = d.shards()[i].write();
                match s.random_victim(policy, now, rng) {
                    Some(key) => {
                        s.delete_evicted(&key);
                        true
                    }
                    None => false,
                }
            }
            None => {
                self.nothing_in(db, policy);
                false
            }
        }
    }

    /// A shard of `db` holding keys the policy may evict: random shards first, then every shard
    /// in turn, so a sparse database is not skipped.
    fn sample_shard(&self, db: usize, policy: Policy, rng: &mut impl Rng) -> Option<usize> {
        let d = self.db(db);
        let start = rng.random_range(0..SHARDS);
        (0..SHARDS + 16)
            .map(|probe| super::probe_shard(probe, 16, start, rng))
            .find(|&i| {
                let s = d.shards()[i].read();
                if policy.volatile() {
                    !s.expires.is_empty()
                } else {
                    !s.is_empty()
                }
            })
    }

    /// No shard of `db` held a key: it is skipped until a write marks it again. (A write racing
    /// this pass marks it again with its next write.)
    fn nothing_in(&self, db: usize, policy: Policy) {
        if !policy.volatile() {
            self.env.populated[db].store(false, Ordering::Relaxed);
        }
    }

    /// Evicts the best candidate of the policy, as Redis does: each eviction samples one shard of
    /// `db` into this executor's pool of the best candidates seen so far (from every database),
    /// then evicts the pool's best that is still there and has not been used since it was
    /// sampled.
    fn evict_ranked(
        &self,
        db: usize,
        policy: Policy,
        samples: usize,
        now: u64,
        rng: &mut impl Rng,
        pool: &std::cell::RefCell<Vec<Candidate>>,
    ) -> bool {
        let mut pool = pool.borrow_mut();
        for _ in 0..4 {
            let sampled = self.sample_shard(db, policy, rng);
            match sampled {
                Some(i) => {
                    let s = self.db(db).shards()[i].read();
                    s.candidates(policy, samples, now, rng, |key, score| {
                        pool_insert(&mut pool, db, key, score)
                    });
                }
                None => self.nothing_in(db, policy),
            }
            while let Some(c) = pool.pop() {
                if c.db >= self.databases() || !self.db(c.db).allocated() {
                    continue;
                }
                let i = self.shard_index(&c.key);
                let mut s = self.db(c.db).shards()[i].write();
                if s.candidate_score(policy, &c.key, now)
                    .is_some_and(|score| score >= c.score)
                {
                    s.delete_evicted(&c.key);
                    return true;
                }
            }
            // Every shard was looked at and none had a key: another pass would only do it again.
            if sampled.is_none() {
                break;
            }
        }
        false
    }
}

/// Candidates kept between evictions, as Redis's eviction pool (EVPOOL_SIZE).
const POOL_SIZE: usize = 16;

/// A key sampled for eviction, and how strongly the policy wants it gone when sampled.
pub(super) struct Candidate {
    score: u64,
    db: usize,
    key: Key,
}

thread_local! {
    /// Each executor's pool: ascending by score, the best candidate last.
    static POOL: std::cell::RefCell<Vec<Candidate>> =
        std::cell::RefCell::new(Vec::with_capacity(POOL_SIZE + 1));
}

/// Keeps `key` in the pool when it is among the best [`POOL_SIZE`] seen (a key already there
/// is not added twice).
fn pool_insert(pool: &mut Vec<Candidate>, db: usize, key: &[u8], score: u64) {
    if pool.len() >= POOL_SIZE && pool[0].score >= score {
        return;
    }
    if pool.iter().any(|c| c.db == db && *c.key == *key) {
        return;
    }
    let at = pool.partition_point(|c| c.score < score);
    pool.insert(
        at,
        Candidate {
            score,
            db,
            key: key.into(),
        },
    );
    if pool.len() > POOL_SIZE {
        pool.remove(0);
    }
}

impl Shard {
    /// A random key of this shard the (random) policy may evict.
    fn random_victim(&self, policy: Policy, now: u64, rng: &mut impl Rng) -> Option<Key> {
        if policy.volatile() {
            let (k, _) = self.expires.sample(rng)?;
            return Some(k.into());
        }
        self.random_live_key(now, rng).map(Key::from)
    }

    /// Hands `f` up to `samples` keys of this shard the (ranked) policy may evict, with their
    /// scores: the higher, the sooner to go.
    fn candidates(
        &self,
        policy: Policy,
        samples: usize,
        now: u64,
        rng: &mut impl Rng,
        mut f: impl FnMut(&[u8], u64),
    ) {
        if policy.volatile() {
            let n = self.expires.len();
            if n == 0 {
                return;
            }
            for _ in 0..samples.min(n) {
                if let Some((k, _)) = self.expires.sample(rng) {
                    if let Some(score) = self.candidate_score(policy, k, now) {
                        f(k, score);
                    }
                }
            }
            return;
        }
        for k in self.sample_live_keys(samples, now, rng) {
            f(k, self.eviction_score(k, now));
        }
    }

    /// `key`'s score as an eviction candidate now (None: the policy may not evict it, or it is
    /// gone): how long idle (LRU), how rarely used (LFU), how near its deadline (volatile-ttl).
    fn candidate_score(&self, policy: Policy, key: &[u8], now: u64) -> Option<u64> {
        if policy.volatile() {
            let at = *self.expires.get(key)?;
            if policy == Policy::VolatileTtl {
                return Some(u64::MAX - at);
            }
        } else if !self.contains(key) {
            return None;
        }
        Some(self.eviction_score(key, now))
    }

    /// Deletes a key maxmemory's policy chose (see [`Shard::delete_expired`]).
    pub fn delete_evicted(&mut self, key: &[u8]) {
        let lazy = self.env.lazy.eviction.load(Ordering::Relaxed);
        if self.server_delete(key, lazy) {
            self.evicted += 1;
            self.notify(events::class::EVICTED, "evicted", key);
        }
    }
}
