//! The active expiry cycle: each executor periodically samples keys with TTLs in its share of the
//! shards and deletes the expired ones, repeating on a shard while many of the sample had expired,
//! so the memory of keys nobody reads again is reclaimed.

use super::{now_ms, Keyspace, SHARDS};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// Keys sampled per round on one shard (Redis: 20).
const SAMPLE: usize = 20;
/// Repeat on a shard while more than this many of the sample had expired (Redis: 25%).
const REPEAT_ABOVE: usize = SAMPLE / 4;

/// Where one executor's cycle left off. Databases that never had a TTL (`has_expires` unset) are
/// skipped without touching their locks; the flag is sticky, since clearing it safely would need
/// every executor to agree, and a sweep of empty TTL maps costs only a read lock per shard.
#[derive(Default)]
pub struct ExpiryCursor {
    db: usize,
    shard: usize,
}

impl Keyspace {
    /// Runs one cycle for `worker` of `workers` (each owns the shards `i % workers == worker`) for
    /// at most `budget`. Returns the number of keys deleted.
    pub fn active_expire(
        &self,
        worker: usize,
        workers: usize,
        cur: &mut ExpiryCursor,
        budget: Duration,
    ) -> usize {
        let started = Instant::now();
        let mut deleted = 0;
        let mut rng = rand::rng();
        for _ in 0..self.databases() {
            let db = cur.db % self.databases();
            let d = self.db(db);
            if d.has_expires.load(Ordering::Relaxed) {
                while cur.shard < SHARDS {
                    let i = cur.shard;
                    cur.shard += 1;
                    if i % workers != worker || d.shards()[i].read().expires.is_empty() {
                        continue;
                    }
                    let mut s = d.shards()[i].write();
                    let now = now_ms();
                    loop {
                        let n = s.expires.len();
                        if n == 0 {
                            break;
                        }
                        let mut expired = 0;
                        for _ in 0..SAMPLE.min(n) {
                            let n = s.expires.len();
                            if n == 0 {
                                break;
                            }
                            let Some((k, &at)) = s.expires.sample(&mut rng) else {
                                break;
                            };
                            if at <= now {
                                let k = k.to_vec();
                                s.delete_expired(&k);
                                expired += 1;
                            }
                        }
                        deleted += expired;
                        if expired <= REPEAT_ABOVE {
                            break;
                        }
                    }
                    drop(s);
                    if started.elapsed() >= budget {
                        return deleted;
                    }
                }
            }
            cur.shard = 0;
            cur.db = (db + 1) % self.databases();
        }
        deleted
    }
}
