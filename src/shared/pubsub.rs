//! Pub/sub: a registry of channel and pattern subscriptions shared by all executors, and each
//! subscribed connection's mailbox.
//!
//! PUBLISH encodes the message for each subscriber (RESP2 array or RESP3 push) into the
//! subscriber's mailbox under a short mutex and wakes its connection, which may live on another
//! executor; the connection writes its mailbox out. A publisher never waits for a subscriber: one
//! whose mailbox and unsent replies pass `client-output-buffer-limit pubsub` (hard, or soft for
//! longer than its seconds) is disconnected, as Redis does.

use super::clients::ClientHandle;
use crate::keyspace::glob;
use crate::resp::encode::OutputLimit;
use crate::resp::Out;
use parking_lot::{Mutex, RwLock};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// One subscribed connection, as publishers see it.
pub struct Subscriber {
    pub handle: Arc<ClientHandle>,
    /// Encoded messages not yet written to the socket.
    pub mailbox: Mutex<Vec<u8>>,
    /// Raised when the mailbox gets data; the connection waits on it with its read.
    pub wake: event_listener::Event,
    /// When its unsent bytes first stayed above the soft limit (ms since the epoch; 0: not).
    soft_since: AtomicU64,
}

impl Subscriber {
    pub fn new(handle: Arc<ClientHandle>) -> Self {
        Subscriber {
            handle,
            mailbox: Mutex::new(Vec::new()),
            wake: event_listener::Event::new(),
            soft_since: AtomicU64::new(0),
        }
    }

    /// Appends an already encoded message (a tracking invalidation) and wakes the connection.
    pub fn post(&self, bytes: &[u8]) {
        if self.handle.killed.load(Ordering::Relaxed) {
            return;
        }
        {
            let mut mb = self.mailbox.lock();
            mb.extend_from_slice(bytes);
            self.handle.mem.mailbox.store(mb.len(), Ordering::Relaxed);
        }
        self.wake.notify(1);
    }

    /// Takes the messages waiting in the mailbox.
    pub fn take_mail(&self) -> Vec<u8> {
        let mut mb = self.mailbox.lock();
        self.handle.mem.mailbox.store(0, Ordering::Relaxed);
        std::mem::take(&mut *mb)
    }
}

/// How a publish reaches subscribers: the pub/sub class's output limit, the time it is checked
/// at, and what to do with a subscriber that passed it.
pub struct Delivery<'a> {
    pub limit: OutputLimit,
    pub now_ms: u64,
    pub cut: &'a dyn Fn(&ClientHandle),
}

type Subs = Vec<Arc<Subscriber>>;

#[derive(Default)]
pub struct PubSub {
    channels: RwLock<HashMap<Box<[u8]>, Subs, ahash::RandomState>>,
    patterns: RwLock<HashMap<Box<[u8]>, Subs, ahash::RandomState>>,
    /// Sharded pub/sub's channels (SSUBSCRIBE/SPUBLISH): one shard here, as in Redis outside
    /// cluster mode, apart from the others.
    shard_channels: RwLock<HashMap<Box<[u8]>, Subs, ahash::RandomState>>,
    /// MONITOR clients, and how many (read by every command: a plain load while there are none).
    monitors: RwLock<Subs>,
    monitor_count: std::sync::atomic::AtomicUsize,
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

    /// Adds a monitor; how many there are.
    pub fn add_monitor(&self, s: &Arc<Subscriber>) -> usize {
        let mut m = self.monitors.write();
        m.push(s.clone());
        self.monitor_count.store(m.len(), Ordering::Relaxed);
        m.len()
    }

    /// Removes a monitor; how many are left.
    pub fn remove_monitor(&self, id: u64) -> usize {
        let mut m = self.monitors.write();
        m.retain(|s| s.handle.id != id);
        self.monitor_count.store(m.len(), Ordering::Relaxed);
        m.len()
    }

    #[inline]
    pub fn has_monitors(&self) -> bool {
        self.monitor_count.load(Ordering::Relaxed) > 0
    }

    /// Sends one MONITOR line (a status reply) to every monitor.
    pub fn feed_monitors(&self, line: &str, d: &Delivery) {
        for s in self.monitors.read().iter() {
            deliver(s, |o| o.simple(line), d);
        }
    }

    pub fn ssubscribe(&self, ch: &[u8], s: &Arc<Subscriber>) {
        add(&self.shard_channels, ch, s);
    }

    pub fn sunsubscribe(&self, ch: &[u8], id: u64) {
        del(&self.shard_channels, ch, id);
    }

    /// SPUBLISH: delivers to the shard channel's subscribers; returns how many received it.
    pub fn spublish(&self, ch: &[u8], msg: &[u8], d: &Delivery) -> usize {
        let Some(subs) = self.shard_channels.read().get(ch).cloned() else {
            return 0;
        };
        for s in &subs {
            deliver(
                s,
                |o| {
                    o.push(3);
                    o.bulk(b"smessage");
                    o.bulk(ch);
                    o.bulk(msg);
                },
                d,
            );
        }
        subs.len()
    }

    /// PUBSUB SHARDCHANNELS [pattern].
    pub fn shard_channel_names(&self, pattern: Option<&[u8]>) -> Vec<Box<[u8]>> {
        self.shard_channels
            .read()
            .keys()
            .filter(|c| pattern.is_none_or(|p| glob::matches(p, c, false)))
            .cloned()
            .collect()
    }

    /// PUBSUB SHARDNUMSUB: subscribers of a shard channel.
    pub fn shard_numsub(&self, ch: &[u8]) -> usize {
        self.shard_channels.read().get(ch).map_or(0, |v| v.len())
    }

    /// Shard channels with at least one subscriber (INFO pubsubshard_channels).
    pub fn num_shard_channels(&self) -> usize {
        self.shard_channels.read().len()
    }

    pub fn psubscribe(&self, pat: &[u8], s: &Arc<Subscriber>) {
        add(&self.patterns, pat, s);
    }

    pub fn punsubscribe(&self, pat: &[u8], id: u64) {
        del(&self.patterns, pat, id);
    }

    /// PUBLISH: delivers to channel and pattern subscribers; returns how many received it.
    pub fn publish(&self, ch: &[u8], msg: &[u8], d: &Delivery) -> usize {
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
                    d,
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
                        d,
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

    /// Channels with at least one subscriber (INFO pubsub_channels).
    pub fn numchannels(&self) -> usize {
        self.channels.read().len()
    }

    /// PUBSUB NUMPAT: patterns subscribed to (by any client).
    pub fn numpat(&self) -> usize {
        self.patterns.read().len()
    }
}

/// Encodes one message for `s` (in its protocol) into its mailbox and wakes its connection.
fn deliver(s: &Arc<Subscriber>, encode: impl FnOnce(&mut Out), d: &Delivery) {
    let h = &s.handle;
    if h.killed.load(Ordering::Relaxed) {
        return;
    }
    let resp3 = h.resp.load(Ordering::Relaxed) == 3;
    let mut out = Out::new(resp3);
    encode(&mut out);
    let over = {
        let mut mb = s.mailbox.lock();
        mb.extend_from_slice(&out.buf);
        h.mem.mailbox.store(mb.len(), Ordering::Relaxed);
        let pending = mb.len() + h.mem.out.load(Ordering::Relaxed);
        let l = d.limit;
        let over = if l.hard > 0 && pending >= l.hard {
            true
        } else if l.soft > 0 && pending >= l.soft {
            let since = s.soft_since.load(Ordering::Relaxed);
            if since == 0 {
                s.soft_since.store(d.now_ms.max(1), Ordering::Relaxed);
                false
            } else {
                d.now_ms.saturating_sub(since) / 1000 > l.soft_secs
            }
        } else {
            s.soft_since.store(0, Ordering::Relaxed);
            false
        };
        if over {
            mb.clear();
            mb.shrink_to_fit();
            h.mem.mailbox.store(0, Ordering::Relaxed);
        }
        over
    };
    if over {
        (d.cut)(h);
    }
    s.wake.notify(1);
}
