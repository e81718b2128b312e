//! Clients blocked on keys (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP, BZPOPMIN, BZPOPMAX, BZMPOP,
//! XREAD BLOCK), and the wake-up a write to one of those keys gives them, from whichever executor
//! the write runs on.
//!
//! A blocked connection registers a [`Waiter`] under each of its keys, then retries its command
//! each time the waiter fires. Writers signal at the moment they write-lock a key (in
//! [`super::tx::Tx::write`] and `lock_many`), so the woken client's retry, which needs the same
//! shard lock, runs after the write is complete. A retry that finds nothing blocks again.

use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

/// One blocked connection.
#[derive(Default)]
pub struct Waiter {
    /// Set by a signal; the connection clears it before retrying.
    pub fired: AtomicBool,
    pub event: event_listener::Event,
}

impl Waiter {
    pub fn fire(&self) {
        self.fired.store(true, Ordering::Release);
        self.event.notify(1);
    }
}

type Waiters = HashMap<Box<[u8]>, Vec<Arc<Waiter>>, ahash::RandomState>;

#[derive(Default)]
pub struct Blocking {
    /// Per database: key -> waiters.
    map: Mutex<HashMap<usize, Waiters>>,
    /// Registrations, so writers skip the mutex while nobody is blocked.
    count: AtomicUsize,
}

impl Blocking {
    pub fn register(&self, db: usize, keys: &[Box<[u8]>], w: &Arc<Waiter>) {
        let mut m = self.map.lock();
        let per_db = m.entry(db).or_default();
        for k in keys {
            per_db.entry(k.clone()).or_default().push(w.clone());
            self.count.fetch_add(1, Ordering::Relaxed);
        }
    }

    pub fn unregister(&self, db: usize, keys: &[Box<[u8]>], w: &Arc<Waiter>) {
        let mut m = self.map.lock();
        let Some(per_db) = m.get_mut(&db) else {
            return;
        };
        for k in keys {
            if let Some(v) = per_db.get_mut(k) {
                let before = v.len();
                v.retain(|x| !Arc::ptr_eq(x, w));
                self.count.fetch_sub(before - v.len(), Ordering::Relaxed);
                if v.is_empty() {
                    per_db.remove(k);
                }
            }
        }
    }

    /// Every key of `db` may have changed (SWAPDB): wakes every client blocked in it.
    pub fn signal_db(&self, db: usize) {
        if self.count.load(Ordering::Relaxed) == 0 {
            return;
        }
        if let Some(m) = self.map.lock().get(&db) {
            m.values().flatten().for_each(|w| w.fire());
        }
    }

    /// A write is about to change `key`: wakes the clients blocked on it.
    #[inline]
    pub fn signal(&self, db: usize, key: &[u8]) {
        if self.count.load(Ordering::Relaxed) == 0 {
            return;
        }
        if let Some(v) = self.map.lock().get(&db).and_then(|m| m.get(key)) {
            v.iter().for_each(|w| w.fire());
        }
    }
}
