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
        let start = rng.random_range(0..SHARDS);
        for probe in 0..SHARDS + 16 {
            let i = super::probe_shard(probe, 16, start, rng);
            {
                let s = d.shards[i].read();
                let candidates = if policy.volatile() {
                    s.expires.len()
                } else {
                    s.len()
                };
                if candidates == 0 {
                    continue;
                }
            }
            let mut s = d.shards[i].write();
            if let Some(key) = s.victim(policy, samples, now, rng) {
                s.delete_evicted(&key);
                return true;
            }
        }
        false
    }
}

impl Shard {
    /// The key the policy evicts from this shard, out of `samples` sampled.
    fn victim(
        &self,
        policy: Policy,
        samples: usize,
        now: u64,
        rng: &mut impl Rng,
    ) -> Option<super::Key> {
        if policy.volatile() {
            let n = self.expires.len();
            if n == 0 {
                return None;
            }
            if policy != Policy::VolatileTtl {
                let (k, _) = self.expires.get_index(rng.random_range(0..n))?;
                return Some(k.clone());
            }
            // volatile-ttl: the sampled key nearest its deadline.
            return (0..samples.min(n))
                .filter_map(|_| self.expires.get_index(rng.random_range(0..n)))
                .min_by_key(|(_, &at)| at)
                .map(|(k, _)| k.clone());
        }
        self.random_live_key(now, rng).map(Key::from)
    }

    /// Deletes a key maxmemory's policy chose (see [`Shard::delete_expired`]).
    pub fn delete_evicted(&mut self, key: &[u8]) {
        if self.server_delete(key) {
            self.evicted += 1;
            self.notify(events::class::EVICTED, "evicted", key);
        }
    }
}
