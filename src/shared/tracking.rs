//! Server-assisted client-side caching (CLIENT TRACKING): which clients read which keys (or
//! watch which prefixes, BCAST), and the invalidation messages sent when those keys change:
//! a RESP3 `invalidate` push to the client itself, or, with REDIRECT, a message on
//! `__redis__:invalidate` to the redirect client (RESP2) or a push (RESP3).
//!
//! Keys are remembered per name, whatever the database, as Redis does. Invalidation runs where
//! the write runs, under its shard lock (the tracking mutex comes after any shard lock).

use super::clients::ClientHandle;
use super::pubsub::Subscriber;
use parking_lot::Mutex;
use std::cell::Cell;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// One tracking client: where its invalidations go and how it tracks.
pub struct Tracker {
    pub sub: Arc<Subscriber>,
    /// REDIRECT's client ID (0: none).
    pub redirect: u64,
    pub bcast: bool,
    pub prefixes: Vec<Box<[u8]>>,
    pub optin: bool,
    pub optout: bool,
    pub noloop: bool,
}

#[derive(Default)]
struct Inner {
    /// Key -> IDs of the clients that read it since its last invalidation.
    keys: HashMap<Box<[u8]>, HashSet<u64>>,
    clients: HashMap<u64, Tracker>,
    /// Invalidations for redirect clients: their mailboxes, found by ID.
    targets: HashMap<u64, Arc<Subscriber>>,
}

#[derive(Default)]
pub struct Tracking {
    inner: Mutex<Inner>,
}

thread_local! {
    /// The client running a command on this thread (for NOLOOP).
    static WRITER: Cell<u64> = const { Cell::new(0) };
}

/// The client whose command runs now on this thread (0: none).
pub fn set_writer(id: u64) {
    WRITER.with(|w| w.set(id));
}

fn push_invalidate(out: &mut crate::resp::Out, keys: Option<&[&[u8]]>, resp3: bool) {
    if resp3 {
        out.push(2);
        out.bulk(b"invalidate");
    } else {
        out.array(3);
        out.bulk(b"message");
        out.bulk(b"__redis__:invalidate");
    }
    match keys {
        Some(keys) => {
            out.array(keys.len());
            for k in keys {
                out.bulk(k);
            }
        }
        None => out.null_array(),
    }
}

impl Tracking {
    /// Turns tracking on for a client (replacing its previous options).
    pub fn enable(&self, id: u64, t: Tracker) -> usize {
        let mut inner = self.inner.lock();
        inner.clients.insert(id, t);
        inner.clients.len()
    }

    /// Turns it off; the number of tracking clients left.
    pub fn disable(&self, id: u64) -> usize {
        let mut inner = self.inner.lock();
        inner.clients.remove(&id);
        inner.clients.len()
    }

    /// A connection that may receive redirected invalidations (it subscribed to
    /// `__redis__:invalidate`, or simply exists: RESP3 redirect clients get pushes).
    pub fn register_target(&self, id: u64, sub: &Arc<Subscriber>) {
        self.inner.lock().targets.insert(id, sub.clone());
    }

    pub fn drop_target(&self, id: u64) {
        self.inner.lock().targets.remove(&id);
    }

    /// Remembers the keys a client just read (default mode).
    pub fn remember(&self, id: u64, keys: &[&[u8]]) {
        let mut inner = self.inner.lock();
        for k in keys {
            inner.keys.entry((*k).into()).or_default().insert(id);
        }
    }

    /// The number of keys remembered, the clients-per-key entries, and the prefixes (INFO).
    pub fn totals(&self) -> (usize, usize, usize, usize) {
        let inner = self.inner.lock();
        let items = inner.keys.values().map(|s| s.len()).sum();
        let prefixes = inner.clients.values().map(|c| c.prefixes.len()).sum();
        (inner.clients.len(), inner.keys.len(), items, prefixes)
    }

    /// `key` changed: every client that read it (and every BCAST client whose prefixes match)
    /// gets its invalidation, but the writer under NOLOOP. The key is forgotten.
    pub fn invalidate(&self, key: &[u8]) {
        let writer = WRITER.with(|w| w.get());
        let mut inner = self.inner.lock();
        let mut ids: Vec<u64> = inner
            .keys
            .remove(key)
            .map(|s| s.into_iter().collect())
            .unwrap_or_default();
        for (id, t) in &inner.clients {
            if t.bcast && (t.prefixes.is_empty() || t.prefixes.iter().any(|p| key.starts_with(p))) {
                ids.push(*id);
            }
        }
        for id in ids {
            deliver(&inner, id, writer, Some(&[key]));
        }
    }

    /// FLUSHDB/FLUSHALL: every tracking client gets an invalidation of everything (a null).
    pub fn invalidate_all(&self) {
        let writer = WRITER.with(|w| w.get());
        let mut inner = self.inner.lock();
        inner.keys.clear();
        let ids: Vec<u64> = inner.clients.keys().copied().collect();
        for id in ids {
            deliver(&inner, id, writer, None);
        }
    }

    /// A tracking client's options, for CLIENT TRACKINGINFO / GETREDIR / CLIENT LIST.
    pub fn with<R>(&self, id: u64, f: impl FnOnce(Option<&Tracker>) -> R) -> R {
        f(self.inner.lock().clients.get(&id))
    }
}

fn deliver(inner: &Inner, id: u64, writer: u64, keys: Option<&[&[u8]]>) {
    let Some(t) = inner.clients.get(&id) else {
        return;
    };
    if t.noloop && id == writer {
        return;
    }
    let sub = if t.redirect == 0 {
        Some(&t.sub)
    } else {
        inner.targets.get(&t.redirect)
    };
    let Some(sub) = sub else {
        return;
    };
    let h: &ClientHandle = &sub.handle;
    let resp3 = h.resp.load(Ordering::Relaxed) == 3;
    if !resp3 && t.redirect == 0 {
        // A RESP2 client without REDIRECT has nowhere to get them.
        return;
    }
    let mut out = crate::resp::Out::new(resp3);
    push_invalidate(&mut out, keys, resp3);
    sub.post(&out.buf);
}
