//! Lazy freeing, as Redis's lazyfree: a value whose freeing would hold its shard lock for long
//! (a large collection, or a whole database for FLUSHALL ASYNC) is taken out under the lock and
//! dropped by one background thread, so no executor stalls while memory is returned.

use parking_lot::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{channel, Sender};
use std::sync::OnceLock;

/// Values this costly to free (elements, roughly, as Redis's `lazyfreeGetFreeEffort`) go to the
/// background thread; smaller ones are freed at once (sending costs more). Redis's
/// LAZYFREE_THRESHOLD.
pub const THRESHOLD: usize = 64;

/// Something to drop on the background thread, and how many objects (keys or values) it holds.
type Garbage = (Box<dyn Send>, u64);

struct Freer {
    tx: Mutex<Sender<Garbage>>,
}

static FREER: OnceLock<Freer> = OnceLock::new();
/// INFO memory's lazyfree_pending_objects and lazyfreed_objects.
static PENDING: AtomicU64 = AtomicU64::new(0);
static FREED: AtomicU64 = AtomicU64::new(0);

fn freer() -> &'static Freer {
    FREER.get_or_init(|| {
        let (tx, rx) = channel::<Garbage>();
        std::thread::Builder::new()
            .name("ringdis-lazyfree".into())
            .spawn(move || {
                for (g, objects) in rx {
                    drop(g);
                    PENDING.fetch_sub(objects, Ordering::Relaxed);
                    FREED.fetch_add(objects, Ordering::Relaxed);
                }
            })
            .expect("spawn the lazy-free thread");
        Freer { tx: Mutex::new(tx) }
    })
}

/// Hands `value`, holding `objects` objects, to the background thread to drop.
pub fn defer<T: Send + 'static>(value: T, objects: u64) {
    PENDING.fetch_add(objects, Ordering::Relaxed);
    if let Err(e) = freer().tx.lock().send((Box::new(value), objects)) {
        // The thread is gone (only at exit): free here.
        PENDING.fetch_sub(objects, Ordering::Relaxed);
        drop(e.0);
    }
}

/// (pending, freed) objects, for INFO.
pub fn counts() -> (u64, u64) {
    (
        PENDING.load(Ordering::Relaxed),
        FREED.load(Ordering::Relaxed),
    )
}

/// Which deletions free lazily: Redis's `lazyfree-lazy-*` settings (all `no` by default, as in
/// Redis 7.0; UNLINK and FLUSHALL/FLUSHDB ASYNC always do).
#[derive(Default)]
pub struct Settings {
    pub eviction: AtomicBool,
    pub expire: AtomicBool,
    pub server_del: AtomicBool,
    pub user_del: AtomicBool,
    pub user_flush: AtomicBool,
}

impl Settings {
    /// The setting named `name` (`lazyfree-lazy-` and what follows).
    pub fn get(&self, name: &str) -> Option<&AtomicBool> {
        Some(match name.strip_prefix("lazyfree-lazy-")? {
            "eviction" => &self.eviction,
            "expire" => &self.expire,
            "server-del" => &self.server_del,
            "user-del" => &self.user_del,
            "user-flush" => &self.user_flush,
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deferred_values_are_dropped_on_the_thread() {
        struct Probe(std::sync::mpsc::Sender<String>);
        impl Drop for Probe {
            fn drop(&mut self) {
                let name = std::thread::current().name().unwrap_or("").to_string();
                let _ = self.0.send(name);
            }
        }
        let (tx, rx) = channel();
        defer(Probe(tx), 1);
        assert_eq!(rx.recv().unwrap(), "ringdis-lazyfree");
        let s = Settings::default();
        assert!(s.get("lazyfree-lazy-user-flush").is_some());
        assert!(s.get("lazyfree-lazy-nope").is_none());
    }
}
