//! Connected clients: what CLIENT LIST/INFO/KILL and INFO clients see of each connection, the
//! per-executor counters behind INFO stats, and the client classes the output buffer limits
//! apply to.

pub use crate::config::ClientClass;
use crate::config::OutputLimit;
use parking_lot::Mutex;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicIsize, AtomicU64, AtomicU8, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

/// `client-output-buffer-limit`: one limit per class that has one (master connections have
/// none, as in Redis). Atomics, not a lock: every connection reads its class's limit per batch.
pub struct OutputLimits {
    classes: [[AtomicU64; 3]; 3],
}

/// Classes in the order CONFIG GET lists them.
pub const LIMITED_CLASSES: [ClientClass; 3] = [
    ClientClass::Normal,
    ClientClass::Replica,
    ClientClass::Pubsub,
];

impl Default for OutputLimits {
    /// Redis's defaults: `normal 0 0 0 replica 256mb 64mb 60 pubsub 32mb 8mb 60`.
    fn default() -> Self {
        let l = OutputLimits {
            classes: Default::default(),
        };
        let mb = 1 << 20;
        l.set(
            ClientClass::Replica,
            OutputLimit {
                hard: 256 * mb,
                soft: 64 * mb,
                soft_secs: 60,
            },
        );
        l.set(
            ClientClass::Pubsub,
            OutputLimit {
                hard: 32 * mb,
                soft: 8 * mb,
                soft_secs: 60,
            },
        );
        l
    }
}

impl OutputLimits {
    fn slot(&self, class: ClientClass) -> Option<&[AtomicU64; 3]> {
        match class {
            ClientClass::Normal => Some(&self.classes[0]),
            ClientClass::Replica => Some(&self.classes[1]),
            ClientClass::Pubsub => Some(&self.classes[2]),
            ClientClass::Master => None,
        }
    }

    pub fn get(&self, class: ClientClass) -> OutputLimit {
        self.slot(class)
            .map_or_else(OutputLimit::default, |s| OutputLimit {
                hard: s[0].load(Ordering::Relaxed) as usize,
                soft: s[1].load(Ordering::Relaxed) as usize,
                soft_secs: s[2].load(Ordering::Relaxed),
            })
    }

    pub fn set(&self, class: ClientClass, limit: OutputLimit) {
        if let Some(s) = self.slot(class) {
            s[0].store(limit.hard as u64, Ordering::Relaxed);
            s[1].store(limit.soft as u64, Ordering::Relaxed);
            s[2].store(limit.soft_secs, Ordering::Relaxed);
        }
    }

    /// The setting as CONFIG GET shows it.
    pub fn render(&self) -> String {
        LIMITED_CLASSES
            .iter()
            .map(|&c| {
                let l = self.get(c);
                format!("{} {} {} {}", c.config_name(), l.hard, l.soft, l.soft_secs)
            })
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// A connection's buffers as CLIENT LIST, INFO clients and INFO memory report them, stored by the
/// connection after each batch of commands and each send (plain relaxed stores by their single
/// writer), and by publishers for the pub/sub mailbox.
#[derive(Default)]
pub struct ClientMem {
    /// Bytes received and not yet run (`qbuf`), and the room left after them (`qbuf-free`).
    pub qbuf: AtomicUsize,
    pub qbuf_free: AtomicUsize,
    /// Arguments of the command being read (`argv-mem`).
    pub argv: AtomicUsize,
    /// Commands queued since MULTI (`multi-mem`).
    pub multi: AtomicUsize,
    /// The reply buffer's size and its peak use (`rbs`, `rbp`).
    pub reply_buf: AtomicUsize,
    pub reply_peak: AtomicUsize,
    /// Replies computed and not yet sent (`obl`), and pub/sub messages waiting (part of `omem`).
    pub out: AtomicUsize,
    pub mailbox: AtomicUsize,
    /// Everything the connection holds (`tot-mem`).
    pub total: AtomicUsize,
}

impl ClientMem {
    /// The reply bytes client-output-buffer-limit counts (`omem`).
    pub fn omem(&self) -> usize {
        self.out.load(Ordering::Relaxed) + self.mailbox.load(Ordering::Relaxed)
    }
}

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
    /// Set by CLIENT KILL, an output buffer limit, and the end of a shutdown's grace period: the
    /// connection closes without sending what it has not sent yet.
    pub killed: AtomicBool,
    /// Channels, patterns and shard channels subscribed to (`sub`, `psub`, `ssub`).
    pub subs: AtomicUsize,
    pub psubs: AtomicUsize,
    pub ssubs: AtomicUsize,
    /// Commands queued since MULTI, -1 outside one (`multi`).
    pub multi: AtomicIsize,
    /// Waiting in a blocking command (`flags=b`, INFO's blocked_clients).
    pub blocked: AtomicBool,
    /// CLIENT NO-EVICT on (`flags=e`): kept for the client eviction of maxmemory-clients.
    pub no_evict: AtomicBool,
    /// CLIENT TRACKING's redirect (`redir`: -1 off, 0 on without one) and `flags=t`.
    pub redir: std::sync::atomic::AtomicI64,
    /// A MONITOR connection (`flags=O`).
    pub monitor: AtomicBool,
    /// CLIENT NO-TOUCH on (`flags=T`).
    pub no_touch: AtomicBool,
    /// A replica's link, after PSYNC (`flags=S`).
    pub replica: AtomicBool,
    /// This replica's link to its master (`flags=M`).
    pub master: AtomicBool,
    /// CLIENT UNBLOCK asked this client's blocking command to end: 1 as if timed out, 2 with
    /// an error; with the waiter to wake for it while blocked.
    pub unblock: std::sync::atomic::AtomicU8,
    pub waiter: Mutex<Option<std::sync::Weak<crate::keyspace::blocking::Waiter>>>,
    pub mem: ClientMem,
    /// The ACL user it is authenticated as (`user`).
    pub user: Mutex<Arc<str>>,
}

/// What a connection costs before it holds any data: its state, handle and registrations.
pub const CLIENT_BASE_MEM: usize = 1024;

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
            user: Mutex::new(Arc::from("default")),
            subs: Default::default(),
            psubs: Default::default(),
            ssubs: Default::default(),
            multi: (-1).into(),
            blocked: Default::default(),
            no_evict: Default::default(),
            no_touch: Default::default(),
            replica: Default::default(),
            master: Default::default(),
            monitor: Default::default(),
            redir: (-1).into(),
            unblock: Default::default(),
            waiter: Default::default(),
            mem: ClientMem::default(),
        }
    }

    /// The class its output buffer limit and CLIENT LIST/KILL TYPE go by.
    pub fn class(&self) -> ClientClass {
        let r = Ordering::Relaxed;
        if self.replica.load(r) {
            ClientClass::Replica
        } else if self.master.load(r) {
            ClientClass::Master
        } else if self.subs.load(r) + self.psubs.load(r) + self.ssubs.load(r) > 0 {
            ClientClass::Pubsub
        } else {
            ClientClass::Normal
        }
    }

    /// The peer's address without its port (None for a client without a connection).
    pub fn ip(&self) -> Option<std::net::IpAddr> {
        let (ip, _) = self.addr.rsplit_once(':')?;
        ip.trim_matches(['[', ']']).parse().ok()
    }

    /// Seconds since the connection was accepted.
    pub fn age_secs(&self) -> u64 {
        self.created.elapsed().as_secs()
    }

    /// Milliseconds since its last command (since it connected, before one).
    pub fn idle_ms(&self) -> u64 {
        let age = self.created.elapsed().as_millis() as u64;
        age - self.last_active.load(Ordering::Relaxed).min(age)
    }

    /// One line of CLIENT LIST / CLIENT INFO, with Redis 7.0's fields in its order (and 7.2's
    /// lib-name and lib-ver). ringdis keeps a connection's replies in one buffer: `obl` is what
    /// it holds unsent, `oll` is always 0, and `omem` adds the pub/sub messages waiting, the
    /// figure client-output-buffer-limit counts.
    pub fn info_line(&self, cmd_name: &str) -> String {
        let idle = self.idle_ms();
        let m = &self.mem;
        let ld = |a: &AtomicUsize| a.load(Ordering::Relaxed);
        let multi = self.multi.load(Ordering::Relaxed);
        let mut flags = String::new();
        if self.monitor.load(Ordering::Relaxed) {
            flags.push('O');
        }
        match self.class() {
            ClientClass::Pubsub => flags.push('P'),
            ClientClass::Replica => flags.push('S'),
            ClientClass::Master => flags.push('M'),
            _ => {}
        }
        if multi >= 0 {
            flags.push('x');
        }
        if self.blocked.load(Ordering::Relaxed) {
            flags.push('b');
        }
        if self.no_evict.load(Ordering::Relaxed) {
            flags.push('e');
        }
        if self.no_touch.load(Ordering::Relaxed) {
            flags.push('T');
        }
        if self.redir.load(Ordering::Relaxed) >= 0 {
            flags.push('t');
        }
        if flags.is_empty() {
            flags.push('N');
        }
        let omem = m.omem();
        format!(
            "id={} addr={} laddr={} fd={} name={} age={} idle={} flags={flags} db={} sub={} psub={} ssub={} multi={multi} qbuf={} qbuf-free={} argv-mem={} multi-mem={} rbs={} rbp={} obl={} oll=0 omem={omem} tot-mem={} events={} cmd={} user={} redir={} resp={} lib-name={} lib-ver={}",
            self.id,
            self.addr,
            self.laddr,
            self.fd,
            String::from_utf8_lossy(&self.name.lock()),
            self.created.elapsed().as_secs(),
            idle / 1000,
            self.db.load(Ordering::Relaxed),
            ld(&self.subs),
            ld(&self.psubs),
            ld(&self.ssubs),
            ld(&m.qbuf),
            ld(&m.qbuf_free),
            ld(&m.argv),
            ld(&m.multi),
            ld(&m.reply_buf),
            ld(&m.reply_peak),
            ld(&m.out),
            ld(&m.total),
            if omem > 0 { "rw" } else { "r" },
            cmd_name,
            self.user.lock(),
            self.redir.load(Ordering::Relaxed),
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
    pub output_limit_disconnections: AtomicU64,
    pub query_limit_disconnections: AtomicU64,
    /// Bytes read from and sent to clients, successful reads and sends, error replies.
    pub net_input: AtomicU64,
    pub net_output: AtomicU64,
    pub reads: AtomicU64,
    pub writes: AtomicU64,
    pub error_replies: AtomicU64,
}

impl ExecStats {
    /// Every counter, for CONFIG RESETSTAT.
    pub fn all(&self) -> [&AtomicU64; 12] {
        [
            &self.net_input,
            &self.net_output,
            &self.reads,
            &self.writes,
            &self.error_replies,
            &self.commands,
            &self.hits,
            &self.misses,
            &self.connections,
            &self.rejected,
            &self.output_limit_disconnections,
            &self.query_limit_disconnections,
        ]
    }
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
    /// Connections admitted and not yet closed, counted at accept time (see [`Clients::admit`]).
    connected: AtomicUsize,
}

impl Clients {
    pub fn next_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// Takes one of `max` places for a connection just accepted; false when all are taken.
    /// Counted here, at accept time on any executor, not when the connection registers later,
    /// so a burst of connections cannot overshoot maxclients. [`Clients::leave`] gives it back.
    pub fn admit(&self, max: u64) -> bool {
        let max = usize::try_from(max).unwrap_or(usize::MAX);
        self.connected
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < max).then_some(n + 1)
            })
            .is_ok()
    }

    pub fn leave(&self) {
        self.connected.fetch_sub(1, Ordering::AcqRel);
    }

    pub fn add(&self, c: Arc<ClientHandle>) {
        self.map.lock().insert(c.id, c);
    }

    pub fn remove(&self, id: u64) {
        self.map.lock().remove(&id);
    }

    /// Connections open (admitted and not closed yet).
    pub fn count(&self) -> usize {
        self.connected.load(Ordering::Acquire)
    }

    /// Registered connections, killed ones included (a shutdown waits for them to end).
    pub fn registered(&self) -> usize {
        self.map.lock().len()
    }

    /// A live (not killed) client by id.
    pub fn get(&self, id: u64) -> Option<Arc<ClientHandle>> {
        self.map
            .lock()
            .get(&id)
            .filter(|c| !c.killed.load(Ordering::Acquire))
            .cloned()
    }

    /// Every live client, in id order. A killed client is gone from here at once, as Redis
    /// frees it at once, even while its connection is still closing.
    pub fn all(&self) -> Vec<Arc<ClientHandle>> {
        self.map
            .lock()
            .values()
            .filter(|c| !c.killed.load(Ordering::Acquire))
            .cloned()
            .collect()
    }

    /// CLIENT KILL and the output buffer limits: marks the matching clients killed and shuts
    /// both directions of their sockets, which ends a pending read with end-of-file and a
    /// pending send (a client that does not read) with an error, so the connection closes
    /// wherever it waits. Done under the registry lock, and a connection leaves the registry
    /// before its socket closes, so a descriptor reused by a newer connection is never hit.
    /// Returns the ids.
    pub fn kill(&self, pred: impl Fn(&ClientHandle) -> bool) -> Vec<u64> {
        self.shut(pred, libc::SHUT_RDWR, true)
    }

    /// The `timeout` setting: closes the clients idle more than `secs` seconds, except those
    /// Redis exempts (blocked in a command, subscribed, MONITOR). Returns how many.
    pub fn close_idle(&self, secs: u64) -> usize {
        let r = Ordering::Relaxed;
        self.kill(|c| {
            c.idle_ms() / 1000 > secs
                && c.class() == ClientClass::Normal
                && !c.blocked.load(r)
                && !c.monitor.load(r)
        })
        .len()
    }

    /// A shutdown: every connection's pending read ends with end-of-file; connections then send
    /// the replies they have computed and close.
    pub fn stop_reading_all(&self) {
        self.shut(|_| true, libc::SHUT_RD, false);
    }

    /// The end of a shutdown's grace period: every connection still open is cut.
    pub fn cut_all(&self) {
        self.shut(|_| true, libc::SHUT_RDWR, true);
    }

    fn shut(&self, pred: impl Fn(&ClientHandle) -> bool, how: libc::c_int, kill: bool) -> Vec<u64> {
        let map = self.map.lock();
        let mut ids = Vec::new();
        for c in map.values().filter(|c| pred(c)) {
            if kill && c.killed.swap(true, Ordering::AcqRel) {
                continue;
            }
            // SAFETY: `c.fd` is the open socket of a registered connection (see above).
            unsafe { libc::shutdown(c.fd, how) };
            ids.push(c.id);
        }
        ids
    }
}
