//! Server-assisted client-side caching (CLIENT TRACKING): which clients read which keys (or
//! watch which prefixes, BCAST), and the invalidation messages sent when those keys change:
//! a RESP3 `invalidate` push to the client itself, or, with REDIRECT, a message on
//! `__redis__:invalidate` to the redirect client (RESP2) or a push (RESP3).
//!
//! Keys are remembered per name, whatever the database, as Redis does, at most
//! `tracking-table-max-keys` of them (past it, remembered keys are invalidated to make room).
//! Default-mode invalidation runs where the write runs, under its shard lock (the tracking mutex
//! comes after any shard lock); BCAST keys are gathered and sent after the command, one message
//! per prefix with its keys in order, as Redis sends them once per event-loop turn.

use super::clients::ClientHandle;
use super::pubsub::Subscriber;
use parking_lot::Mutex;
use std::cell::Cell;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
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
    /// Keys changed for BCAST clients, not yet sent, with the client that last changed each.
    bcast_pending: BTreeMap<Box<[u8]>, u64>,
}

pub struct Tracking {
    inner: Mutex<Inner>,
    /// `bcast_pending` is not empty (checked without the lock after every command).
    pending: AtomicBool,
    /// tracking-table-max-keys (0: no limit).
    pub max_keys: AtomicU64,
}

impl Default for Tracking {
    fn default() -> Self {
        Tracking {
            inner: Default::default(),
            pending: AtomicBool::new(false),
            max_keys: AtomicU64::new(1_000_000),
        }
    }
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

    /// Remembers the keys a client just read (default mode). Past tracking-table-max-keys,
    /// keys are dropped, each invalidated for the clients that read it, as Redis does (it
    /// picks them at random; here they go in the table's order).
    pub fn remember(&self, id: u64, keys: &[&[u8]]) {
        let mut inner = self.inner.lock();
        for k in keys {
            inner.keys.entry((*k).into()).or_default().insert(id);
        }
        let max = self.max_keys.load(Ordering::Relaxed) as usize;
        while max > 0 && inner.keys.len() > max {
            let Some(k) = inner.keys.keys().next().cloned() else {
                break;
            };
            let ids = inner.keys.remove(&k).unwrap_or_default();
            for id in ids {
                deliver(&inner, id, 0, Some(&[&k]));
            }
        }
    }

    /// The number of keys remembered, the clients-per-key entries, and the prefixes (INFO).
    pub fn totals(&self) -> (usize, usize, usize, usize) {
        let inner = self.inner.lock();
        let items = inner.keys.values().map(|s| s.len()).sum();
        let prefixes = inner.clients.values().map(|c| c.prefixes.len()).sum();
        (inner.clients.len(), inner.keys.len(), items, prefixes)
    }

    /// `key` changed: every client that read it gets its invalidation, but the writer under
    /// NOLOOP, and the key is forgotten; for BCAST clients whose prefixes match, it waits for
    /// [`Tracking::flush_bcast`].
    pub fn invalidate(&self, key: &[u8]) {
        let writer = WRITER.with(|w| w.get());
        let mut inner = self.inner.lock();
        let ids: Vec<u64> = inner
            .keys
            .remove(key)
            .map(|s| s.into_iter().collect())
            .unwrap_or_default();
        for id in ids {
            deliver(&inner, id, writer, Some(&[key]));
        }
        let bcast = inner.clients.values().any(|t| {
            t.bcast && (t.prefixes.is_empty() || t.prefixes.iter().any(|p| key.starts_with(p)))
        });
        if bcast {
            inner.bcast_pending.insert(key.into(), writer);
            self.pending.store(true, Ordering::Release);
        }
    }

    /// Sends the BCAST invalidations gathered since the last call, as Redis does after each
    /// turn of its event loop: for each prefix in order (a client without prefixes has the
    /// empty one), each of its clients in ID order gets one message with the prefix's keys in
    /// order, under NOLOOP without the keys it changed last itself.
    pub fn flush_bcast(&self) {
        if !self.pending.load(Ordering::Acquire) {
            return;
        }
        let mut inner = self.inner.lock();
        self.pending.store(false, Ordering::Release);
        let pending = std::mem::take(&mut inner.bcast_pending);
        let mut subs: Vec<(&[u8], u64)> = Vec::new();
        for (id, t) in &inner.clients {
            if !t.bcast {
                continue;
            }
            if t.prefixes.is_empty() {
                subs.push((b"", *id));
            }
            subs.extend(t.prefixes.iter().map(|p| (&**p, *id)));
        }
        subs.sort();
        let sends: Vec<(u64, Vec<Box<[u8]>>)> = subs
            .into_iter()
            .filter_map(|(prefix, id)| {
                let noloop = inner.clients[&id].noloop;
                let keys: Vec<Box<[u8]>> = pending
                    .iter()
                    .filter(|(k, w)| k.starts_with(prefix) && !(noloop && **w == id))
                    .map(|(k, _)| k.clone())
                    .collect();
                (!keys.is_empty()).then_some((id, keys))
            })
            .collect();
        for (id, keys) in sends {
            let keys: Vec<&[u8]> = keys.iter().map(|k| &**k).collect();
            deliver(&inner, id, 0, Some(&keys));
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

/// Sends one invalidation message to tracking client `id` (or its redirect client), unless it
/// is the `writer` under NOLOOP. A RESP2 redirect client gets it only while subscribed, as in
/// Redis; a client whose redirect client is gone is told so instead (RESP3).
fn deliver(inner: &Inner, id: u64, writer: u64, keys: Option<&[&[u8]]>) {
    let Some(t) = inner.clients.get(&id) else {
        return;
    };
    if t.noloop && id == writer {
        return;
    }
    let sub = if t.redirect == 0 {
        &t.sub
    } else if let Some(target) = inner.targets.get(&t.redirect) {
        target
    } else {
        if t.sub.handle.resp.load(Ordering::Relaxed) == 3 {
            let mut out = crate::resp::Out::new(true);
            out.push(2);
            out.bulk(b"tracking-redir-broken");
            out.int(t.redirect as i64);
            t.sub.post(&out.buf);
        }
        return;
    };
    let h: &ClientHandle = &sub.handle;
    let resp3 = h.resp.load(Ordering::Relaxed) == 3;
    if !resp3 && (t.redirect == 0 || h.class() != super::clients::ClientClass::Pubsub) {
        // RESP2 has no pushes: only a subscribed redirect client can get them.
        return;
    }
    let mut out = crate::resp::Out::new(resp3);
    push_invalidate(&mut out, keys, resp3);
    sub.post(&out.buf);
}
