//! Replication state every executor shares: the role, the replication IDs, the replicas
//! attached to this master, and the link to this replica's master.
//!
//! The stream itself is the journal's backlog ([`crate::aof::backlog`]); the tasks that move
//! it are in the server: `server::feed` sends it to a replica, `server::replica` follows a
//! master. Offsets are Redis's: bytes of the stream since the replication ID began.

use parking_lot::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Instant;

/// The state of a replica's link to its master, as INFO and ROLE name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Link {
    /// Not connected; the next attempt is due.
    Connect,
    Connecting,
    /// Receiving the snapshot.
    Sync,
    Connected,
}

impl Link {
    /// ROLE's word for it.
    pub fn role_word(self) -> &'static str {
        match self {
            Link::Connect => "connect",
            Link::Connecting => "connecting",
            Link::Sync => "sync",
            Link::Connected => "connected",
        }
    }
}

/// This server's master, while it is a replica.
#[derive(Clone, Debug)]
pub struct Master {
    pub host: String,
    pub port: u16,
    pub link: Link,
    /// Last time anything arrived from the master.
    pub last_io: Instant,
    /// When the link went down (None while it is up).
    pub down_since: Option<Instant>,
    /// Bytes of the snapshot being received, and received so far.
    pub sync_size: u64,
    pub sync_read: u64,
}

/// A replica attached to this master.
#[derive(Clone, Debug)]
pub struct Replica {
    /// Its connection's client id.
    pub id: u64,
    pub ip: String,
    /// REPLCONF listening-port.
    pub port: u16,
    /// wait_bgsave, send_bulk or online.
    pub state: &'static str,
    /// The offset it acknowledged last, and when.
    pub ack: u64,
    pub ack_at: Instant,
}

pub struct Inner {
    pub replid: String,
    pub replid2: String,
    /// The first offset not from `replid2`'s history (-1: none).
    pub second_offset: i64,
    /// While a replica: the master, and the offset of its stream applied here.
    pub master: Option<Master>,
    /// The stream's offset (as a replica: what was applied; as a master without a backlog: where
    /// the backlog will start).
    pub offset: u64,
    /// As a replica: the database its master's stream is in at `offset`.
    pub stream_db: usize,
    pub replicas: Vec<Replica>,
}

pub struct Repl {
    inner: Mutex<Inner>,
    /// Mirrors `inner.master.is_some()` for the write path.
    replica: AtomicBool,
    /// Bumped at every REPLICAOF: a link task of an older generation stops.
    generation: AtomicU64,
    /// Held by a replica's link from applying a command of the stream until its offset counts
    /// it, and by a snapshot while it takes its shards: a snapshot's data and offset agree.
    /// Taken before any shard lock and before `inner`.
    pub stream_gate: Mutex<()>,
    /// min-replicas-to-write and min-replicas-max-lag (seconds).
    pub min_replicas: AtomicU64,
    pub min_replicas_lag: AtomicU64,
    /// INFO stats.
    pub sync_full: AtomicU64,
    pub sync_partial_ok: AtomicU64,
    pub sync_partial_err: AtomicU64,
}

/// A new random replication ID (40 hex digits, as Redis makes them).
pub fn new_replid() -> String {
    (0..40)
        .map(|_| char::from_digit(rand::random_range(0..16), 16).unwrap_or('0'))
        .collect()
}

impl Default for Repl {
    fn default() -> Self {
        Repl {
            inner: Mutex::new(Inner {
                replid: new_replid(),
                replid2: "0".repeat(40),
                second_offset: -1,
                master: None,
                offset: 0,
                stream_db: 0,
                replicas: Vec::new(),
            }),
            replica: AtomicBool::new(false),
            generation: AtomicU64::new(0),
            stream_gate: Mutex::new(()),
            min_replicas: AtomicU64::new(0),
            min_replicas_lag: AtomicU64::new(10),
            sync_full: AtomicU64::new(0),
            sync_partial_ok: AtomicU64::new(0),
            sync_partial_err: AtomicU64::new(0),
        }
    }
}

impl Repl {
    pub fn lock(&self) -> parking_lot::MutexGuard<'_, Inner> {
        self.inner.lock()
    }

    #[inline]
    pub fn is_replica(&self) -> bool {
        self.replica.load(Ordering::Acquire)
    }

    /// A replica whose link to its master is not up.
    pub fn link_down(&self) -> bool {
        self.inner
            .lock()
            .master
            .as_ref()
            .is_some_and(|m| m.link != Link::Connected)
    }

    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// REPLICAOF host port: follows that master from now on. `offset` is this server's stream
    /// offset, offered to the new master for a partial resync under the current ID (as Redis
    /// caches itself as the master it was). False when it already follows it.
    pub fn follow(&self, host: &str, port: u16, offset: u64) -> bool {
        let mut g = self.inner.lock();
        if let Some(m) = &g.master {
            if m.host == host && m.port == port {
                return false;
            }
        } else {
            g.offset = offset;
        }
        g.master = Some(Master {
            host: host.to_string(),
            port,
            link: Link::Connect,
            last_io: Instant::now(),
            down_since: Some(Instant::now()),
            sync_size: 0,
            sync_read: 0,
        });
        self.replica.store(true, Ordering::Release);
        crate::log::set_replica(true);
        self.generation.fetch_add(1, Ordering::AcqRel);
        true
    }

    /// REPLICAOF NO ONE: a master from now on, under a new ID; the old one stays valid for
    /// partial resyncs up to the offset reached (replicas of the same master can follow this
    /// one without a full sync). Returns the offset the new stream starts at, or None when
    /// already a master.
    pub fn promote(&self) -> Option<u64> {
        let mut g = self.inner.lock();
        g.master.take()?;
        g.replid2 = std::mem::replace(&mut g.replid, new_replid());
        g.second_offset = g.offset as i64 + 1;
        self.replica.store(false, Ordering::Release);
        crate::log::set_replica(false);
        self.generation.fetch_add(1, Ordering::AcqRel);
        Some(g.offset)
    }

    /// Updates the link of the master of generation `gen` (no-op once REPLICAOF changed it).
    pub fn set_link(&self, gen: u64, f: impl FnOnce(&mut Master)) {
        if self.generation() != gen {
            return;
        }
        if let Some(m) = self.inner.lock().master.as_mut() {
            f(m);
        }
    }

    pub fn add_replica(&self, r: Replica) {
        let mut g = self.inner.lock();
        g.replicas.retain(|x| x.id != r.id);
        g.replicas.push(r);
    }

    pub fn update_replica(&self, id: u64, f: impl FnOnce(&mut Replica)) {
        if let Some(r) = self.inner.lock().replicas.iter_mut().find(|r| r.id == id) {
            f(r);
        }
    }

    pub fn remove_replica(&self, id: u64) {
        self.inner.lock().replicas.retain(|r| r.id != id);
    }

    /// Online replicas that acknowledged `offset`.
    pub fn acked(&self, offset: u64) -> u64 {
        self.inner
            .lock()
            .replicas
            .iter()
            .filter(|r| r.state == "online" && r.ack >= offset)
            .count() as u64
    }

    /// min-replicas-to-write: whether enough online replicas acknowledged within the lag.
    #[inline]
    pub fn enough_good_replicas(&self) -> bool {
        let need = self.min_replicas.load(Ordering::Relaxed);
        if need == 0 || self.min_replicas_lag.load(Ordering::Relaxed) == 0 {
            return true;
        }
        self.good_replicas() >= need
    }

    /// Online replicas that acknowledged within min-replicas-max-lag seconds (INFO
    /// min_slaves_good_slaves).
    pub fn good_replicas(&self) -> u64 {
        let lag = self.min_replicas_lag.load(Ordering::Relaxed);
        self.inner
            .lock()
            .replicas
            .iter()
            .filter(|r| r.state == "online" && r.ack_at.elapsed().as_secs() <= lag)
            .count() as u64
    }
}
