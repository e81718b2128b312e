//! Pub/sub: a registry of channel and pattern subscriptions shared by all executors, and each
//! subscribed connection's mailbox.
//!
//! PUBLISH encodes the message for each subscriber (RESP2 array or RESP3 push) into the
//! subscriber's mailbox under a short mutex and wakes its connection, which may live on another
//! executor; the connection writes its mailbox out. A publisher never waits for a subscriber: a
//! mailbox over [`MAILBOX_LIMIT`] disconnects its subscriber, as Redis's
//! `client-output-buffer-limit pubsub 32mb` does.

use super::clients::ClientHandle;
use crate::keyspace::glob;
use crate::resp::Out;
use parking_lot::{Mutex, RwLock};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Pending bytes beyond which a subscriber that does not read is disconnected.
pub const MAILBOX_LIMIT: usize = 32 << 20;

/// One subscribed connection, as publishers see it.
pub struct Subscriber {
    pub handle: Arc<ClientHandle>,
    /// Encoded messages not yet written to the socket.
    pub mailbox: Mutex<Vec<u8>>,
    /// Raised when the mailbox gets data; the connection waits on it with its read.
    pub wake: event_listener::Event,
    /// Set when the mailbox overflowed: the connection is being cut.
    pub overflowed: AtomicBool,
}

impl Subscriber {
    pub fn new(handle: Arc<ClientHandle>) -> Self {
        Subscriber {
            handle,
            mailbox: Mutex::new(Vec::new()),
            wake: event_listener::Event::new(),
            overflowed: AtomicBool::new(false),
        }
    }
}

type Subs = Vec<Arc<Subscriber>>;

#[derive(Default)]
pub struct PubSub {
    channels: RwLock<HashMap<Box<[u8]>, Subs, ahash::RandomState>>,
    patterns: RwLock<HashMap<Box<[u8]>, Subs, ahash::RandomState>>,
}

fn add(
    map: &RwLock<HashMap<Box<[u8]>, Subs, ahash::RandomState>>,
    name: &[u8],
    s: &Arc<Subscriber>,
) {
    map.write().entry(name.into()).or_default().push(s.clone());
}

fn del(map: &RwLock<HashMap<Box<[u8]>, Subs, ahash::RandomState>>, name: &[u8], id: u64) {
    let mut m = map.write();
    if let Some(v) = m.get_mut(name) {
        v.retain(|s| s.handle.id != id);
        if v.is_empty() {
            m.remove(name);
        }
    }
}

impl PubSub {
    pub fn subscribe(&self, ch: &[u8], s: &Arc<Subscriber>) {
        add(&self.channels, ch, s);
    }

    pub fn unsubscribe(&self, ch: &[u8], id: u64) {
        del(&self.channels, ch, id);
    }

    pub fn psubscribe(&self, pat: &[u8], s: &Arc<Subscriber>) {
        add(&self.patterns, pat, s);
    }

    pub fn punsubscribe(&self, pat: &[u8], id: u64) {
        del(&self.patterns, pat, id);
    }

    /// PUBLISH: delivers to channel and pattern subscribers; returns how many received it.
    /// `cut` disconnects a subscriber whose mailbox overflowed.
    pub fn publish(&self, ch: &[u8], msg: &[u8], cut: impl Fn(u64)) -> usize {
        let mut n = 0;
        if let Some(subs) = self.channels.read().get(ch) {
            for s in subs {
                deliver(
                    s,
                    |o| {
                        o.push(3);
                        o.bulk(b"message");
                        o.bulk(ch);
                        o.bulk(msg);
                    },
                    &cut,
                );
                n += 1;
            }
        }
        for (pat, subs) in self.patterns.read().iter() {
            if glob::matches(pat, ch, false) {
                for s in subs {
                    deliver(
                        s,
                        |o| {
                            o.push(4);
                            o.bulk(b"pmessage");
                            o.bulk(pat);
                            o.bulk(ch);
                            o.bulk(msg);
                        },
                        &cut,
                    );
                    n += 1;
                }
            }
        }
        n
    }

    /// PUBSUB CHANNELS [pattern].
    pub fn channel_names(&self, pattern: Option<&[u8]>) -> Vec<Box<[u8]>> {
        self.channels
            .read()
            .keys()
            .filter(|c| pattern.is_none_or(|p| glob::matches(p, c, false)))
            .cloned()
            .collect()
    }

    /// PUBSUB NUMSUB: subscribers of a channel.
    pub fn numsub(&self, ch: &[u8]) -> usize {
        self.channels.read().get(ch).map_or(0, |v| v.len())
    }

    /// PUBSUB NUMPAT: patterns subscribed to (by any client).
    pub fn numpat(&self) -> usize {
        self.patterns.read().len()
    }
}

/// Encodes one message for `s` (in its protocol) into its mailbox and wakes its connection.
fn deliver(s: &Arc<Subscriber>, encode: impl FnOnce(&mut Out), cut: &impl Fn(u64)) {
    if s.overflowed.load(Ordering::Relaxed) {
        return;
    }
    let resp3 = s.handle.resp.load(Ordering::Relaxed) == 3;
    let mut out = Out::new(resp3);
    encode(&mut out);
    let over = {
        let mut mb = s.mailbox.lock();
        mb.extend_from_slice(&out.buf);
        mb.len() > MAILBOX_LIMIT
    };
    if over {
        s.overflowed.store(true, Ordering::Relaxed);
        s.mailbox.lock().clear();
        cut(s.handle.id);
    }
    s.wake.notify(1);
}
