//! Connected clients: what CLIENT LIST/INFO/KILL and INFO clients see of each connection, and the
//! per-executor counters behind INFO stats.

use parking_lot::Mutex;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

/// The part of a connection other connections may read (CLIENT LIST) or act on (CLIENT KILL).
/// Fields the connection updates per command are plain relaxed stores by their single writer.
pub struct ClientHandle {
    pub id: u64,
    pub addr: String,
    pub laddr: String,
    pub fd: i32,
    pub created: Instant,
    pub name: Mutex<Vec<u8>>,
    pub lib_name: Mutex<Vec<u8>>,
    pub lib_ver: Mutex<Vec<u8>>,
    pub db: AtomicUsize,
    /// Index of the last command in the command table, `usize::MAX` before the first.
    pub last_cmd: AtomicUsize,
    /// Milliseconds since `created` of the last command.
    pub last_active: AtomicU64,
    pub resp: AtomicU8,
    /// Set by CLIENT KILL and shutdown; the connection checks it between batches.
    pub killed: AtomicBool,
}

impl ClientHandle {
    pub fn new(id: u64, addr: String, laddr: String, fd: i32) -> Self {
        ClientHandle {
            id,
            addr,
            laddr,
            fd,
            created: Instant::now(),
            name: Default::default(),
            lib_name: Default::default(),
            lib_ver: Default::default(),
            db: Default::default(),
            last_cmd: usize::MAX.into(),
            last_active: Default::default(),
            resp: 2.into(),
            killed: Default::default(),
        }
    }

    /// One line of CLIENT LIST / CLIENT INFO, in Redis 7's field order. Buffer and memory fields
    /// (qbuf, omem, tot-mem...) are left out rather than reported as made-up zeros.
    pub fn info_line(&self, cmd_name: &str) -> String {
        let age = self.created.elapsed();
        let idle = age.as_millis() as u64
            - self
                .last_active
                .load(Ordering::Relaxed)
                .min(age.as_millis() as u64);
        format!(
            "id={} addr={} laddr={} fd={} name={} age={} idle={} flags=N db={} sub=0 psub=0 ssub=0 multi=-1 cmd={} user=default redir=-1 resp={} lib-name={} lib-ver={}",
            self.id,
            self.addr,
            self.laddr,
            self.fd,
            String::from_utf8_lossy(&self.name.lock()),
            age.as_secs(),
            idle / 1000,
            self.db.load(Ordering::Relaxed),
            cmd_name,
            self.resp.load(Ordering::Relaxed),
            String::from_utf8_lossy(&self.lib_name.lock()),
            String::from_utf8_lossy(&self.lib_ver.lock()),
        )
    }
}

/// Counters one executor writes alone: increments are a load and a store, not a locked
/// read-modify-write, because no other thread writes them; readers sum all executors.
#[derive(Default)]
pub struct ExecStats {
    pub commands: AtomicU64,
    pub hits: AtomicU64,
    pub misses: AtomicU64,
    pub connections: AtomicU64,
    pub rejected: AtomicU64,
}

/// Adds `n` to a counter that only the calling executor writes.
#[inline]
pub fn bump(c: &AtomicU64, n: u64) {
    c.store(c.load(Ordering::Relaxed) + n, Ordering::Relaxed);
}

#[derive(Default)]
pub struct Clients {
    pub map: Mutex<BTreeMap<u64, Arc<ClientHandle>>>,
    next_id: AtomicU64,
}

impl Clients {
    pub fn next_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed) + 1
    }

    pub fn add(&self, c: Arc<ClientHandle>) {
        self.map.lock().insert(c.id, c);
    }

    pub fn remove(&self, id: u64) {
        self.map.lock().remove(&id);
    }

    pub fn count(&self) -> usize {
        self.map.lock().len()
    }

    pub fn get(&self, id: u64) -> Option<Arc<ClientHandle>> {
        self.map.lock().get(&id).cloned()
    }

    pub fn all(&self) -> Vec<Arc<ClientHandle>> {
        self.map.lock().values().cloned().collect()
    }

    /// Marks the matching clients killed and shuts the read side of their sockets, which wakes a
    /// connection waiting in a read with end-of-file: no connection has to poll a shared signal on
    /// its hot path. Done under the registry lock, and a connection leaves the registry before its
    /// socket closes, so a descriptor reused by a newer connection is never hit. Returns the ids.
    pub fn kill(&self, pred: impl Fn(&ClientHandle) -> bool) -> Vec<u64> {
        self.shut(pred, libc::SHUT_RD)
    }

    /// Shuts both directions of one client's socket: a subscriber whose mailbox overflowed.
    pub fn cut(&self, id: u64) {
        self.shut(|c| c.id == id, libc::SHUT_RDWR);
    }

    /// Shuts both directions of every client's socket: a write blocked on a client that does not
    /// read fails too. The end of a shutdown's grace period.
    pub fn cut_all(&self) {
        self.shut(|_| true, libc::SHUT_RDWR);
    }

    fn shut(&self, pred: impl Fn(&ClientHandle) -> bool, how: libc::c_int) -> Vec<u64> {
        let map = self.map.lock();
        let mut ids = Vec::new();
        for c in map.values().filter(|c| pred(c)) {
            c.killed.store(true, Ordering::Release);
            // SAFETY: `c.fd` is the open socket of a registered connection (see above).
            unsafe { libc::shutdown(c.fd, how) };
            ids.push(c.id);
        }
        ids
    }
}
