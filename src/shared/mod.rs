//! The state every executor shares: the keyspace, the append-only file, the registries of
//! clients and pub/sub subscriptions, latency statistics, the settings CONFIG changes at run
//! time, and the shutdown flag. Commands (src/cmd/) see it through their context; the server
//! (src/server/) owns the executors and connections that use it.

pub mod acl;
pub mod auth;
pub mod clients;
pub mod conffile;
pub mod latency;
pub mod limits;
pub mod notify;
pub mod params;
pub mod pubsub;
pub mod repl;
pub mod scripts;
pub mod tls;
pub mod tracking;

use crate::aof::Aof;
use crate::config::Config;
use crate::keyspace::events::{self, Events};
use crate::keyspace::Keyspace;
use clients::{Clients, ExecStats, OutputLimits};
use parking_lot::Mutex;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A one-way "stop now" flag any thread may raise. Executors notice it on their own timer tick
/// rather than through a cross-thread wake-up, so no executor can sleep through it.
#[derive(Default)]
pub struct Shutdown {
    flag: AtomicBool,
}

impl Shutdown {
    /// Raises the flag; true for the call that raised it first.
    pub fn trigger(&self) -> bool {
        !self.flag.swap(true, Ordering::AcqRel)
    }

    pub fn is_set(&self) -> bool {
        self.flag.load(Ordering::Acquire)
    }
}

/// State shared by all executors.
pub struct Shared {
    pub ks: Keyspace,
    /// requirepass and protected mode.
    pub auth: auth::Auth,
    /// The TLS port's settings (`tls-*`), once set.
    pub tls: tls::Tls,
    pub aof: Arc<Aof>,
    /// SAVE/BGSAVE state and the last load's counts.
    pub rdb: crate::rdb::save::State,
    /// Role, replication IDs, replicas and master link.
    pub repl: repl::Repl,
    pub pubsub: pubsub::PubSub,
    pub latency: latency::Latency,
    pub config: Config,
    /// The working directory (`dir`): where snapshots and state files go. CONFIG SET changes
    /// it; `config.dir` keeps the start-up one.
    dir: Mutex<std::path::PathBuf>,
    pub clients: Clients,
    pub shutdown: Shutdown,
    pub stats: Box<[ExecStats]>,
    pub started: Instant,
    /// Unix seconds at start (INFO rdb_last_save_time: Redis counts its start as a save).
    pub started_unix: u64,
    /// The allocator's bytes at start, and the most seen since (INFO memory).
    pub memory_startup: u64,
    pub memory_peak: AtomicU64,
    pub run_id: String,
    /// The port actually bound (differs from the flag when it was 0).
    pub port: AtomicU32,
    pub threads: usize,
    /// Runtime-settable values (CONFIG SET).
    pub proto_max_bulk_len: AtomicI64,
    pub maxclients: AtomicU64,
    pub hz: AtomicU32,
    /// hll-sparse-max-bytes: past it a sparse HyperLogLog turns dense.
    pub hll_sparse_max: AtomicU64,
    /// `timeout`: idle clients are closed after this many seconds (0: never).
    pub timeout: AtomicU64,
    /// `tcp-keepalive`: read at every accept, so kept here rather than in `params`.
    pub tcp_keepalive: AtomicU64,
    /// stream-node-max-entries and stream-node-max-bytes: where a stream node ends.
    pub stream_node_max_entries: AtomicU64,
    pub stream_node_max_bytes: AtomicU64,
    /// Which rarely used features are on (bits below): while none is, a command pays one load
    /// for all of them.
    pub special: AtomicU32,
    /// CLIENT PAUSE.
    pub pause: Pause,
    /// CLIENT TRACKING.
    pub tracking: tracking::Tracking,
    /// EVAL's script cache, and the gates that let a script run alone.
    pub scripts: scripts::Scripts,
    pub gates: scripts::Gates,
    /// FUNCTION LOAD's libraries.
    pub functions: scripts::Functions,
    /// The script running now (BUSY replies, SCRIPT KILL); its interpreter's hook reads it.
    pub busy: Arc<scripts::Busy>,
    /// INFO errorstats: error replies by code (at most 128 codes, as Redis keeps).
    pub errorstats: Mutex<std::collections::BTreeMap<String, u64>>,
    /// INFO's instantaneous_* rates, sampled by executor 0's clock.
    pub rates: Rates,
    /// The configuration parameters kept without a live setting of their own.
    pub params: params::Params,
    /// The active expiry cycle runs (DEBUG SET-ACTIVE-EXPIRE 0 pauses it, as in Redis).
    pub active_expire: std::sync::atomic::AtomicBool,
    /// client-output-buffer-limit, per class.
    pub output_limits: OutputLimits,
    /// client-query-buffer-limit, in bytes.
    pub query_buf_limit: AtomicU64,
    /// When an accept failure was last logged (ms since the epoch).
    pub accept_error_logged: AtomicU64,
    /// Subscribers dropped over their output limit by a keyspace notification (counted apart
    /// from the executors' own counters: a notification does not know its executor).
    pub notify_disconnections: AtomicU64,
}

impl Shared {
    /// The server's shared state for `config`, whose settings were checked when it was parsed
    /// (see [`Config::output_limits`]).
    pub fn new(config: Config) -> Arc<Self> {
        Arc::new_cyclic(|me| Self::build(config, me.clone()))
    }

    fn build(config: Config, me: std::sync::Weak<Shared>) -> Self {
        let threads = config.thread_count();
        let output_limits = OutputLimits::default();
        for (class, limit) in config.output_limits().unwrap_or_default() {
            output_limits.set(class, limit);
        }
        let started_unix = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let run_id: String = (0..40)
            .map(|_| char::from_digit(rand::random_range(0..16), 16).unwrap_or('0'))
            .collect();
        let aof = Arc::new(Aof::new(&config));
        let ks = Keyspace::new(config.databases as usize, aof.clone(), {
            let events = Events::new(Box::new(notify::ToSubscribers(me)));
            let flags = events::parse_flags(config.notify_keyspace_events.as_bytes());
            events.flags.store(flags.unwrap_or(0), Ordering::Relaxed);
            Arc::new(events)
        });
        ks.budget
            .maxmemory
            .store(config.maxmemory, Ordering::Relaxed);
        ks.set_policy(config.maxmemory_policy);
        Shared {
            ks,
            auth: auth::Auth::new(&config.requirepass, config.protected_mode),
            tls: Default::default(),
            aof,
            pubsub: Default::default(),
            latency: latency::Latency::new(threads),
            clients: Clients::default(),
            shutdown: Shutdown::default(),
            stats: (0..threads).map(|_| ExecStats::default()).collect(),
            started: Instant::now(),
            started_unix,
            rdb: crate::rdb::save::State::new(started_unix),
            repl: Default::default(),
            memory_startup: crate::shared::limits::allocated_bytes(),
            memory_peak: AtomicU64::new(0),
            run_id,
            port: AtomicU32::new(config.port as u32),
            threads,
            proto_max_bulk_len: AtomicI64::new(config.proto_max_bulk_len),
            maxclients: AtomicU64::new(config.maxclients),
            hz: AtomicU32::new(config.hz),
            hll_sparse_max: AtomicU64::new(3000),
            timeout: AtomicU64::new(config.timeout),
            tcp_keepalive: AtomicU64::new(300),
            stream_node_max_entries: AtomicU64::new(100),
            stream_node_max_bytes: AtomicU64::new(4096),
            params: Default::default(),
            errorstats: Default::default(),
            special: AtomicU32::new(0),
            pause: Default::default(),
            tracking: Default::default(),
            scripts: scripts::Scripts::new(threads),
            gates: scripts::Gates::new(threads),
            functions: Default::default(),
            busy: Arc::new(scripts::Busy::new(5000)),
            rates: Default::default(),
            active_expire: std::sync::atomic::AtomicBool::new(true),
            output_limits,
            query_buf_limit: AtomicU64::new(config.client_query_buffer_limit),
            accept_error_logged: AtomicU64::new(0),
            notify_disconnections: AtomicU64::new(0),
            dir: Mutex::new(
                std::fs::canonicalize(&config.dir)
                    .or_else(|_| std::path::absolute(&config.dir))
                    .unwrap_or_else(|_| config.dir.clone()),
            ),
            config,
        }
    }

    /// The working directory now.
    pub fn dir(&self) -> std::path::PathBuf {
        self.dir.lock().clone()
    }

    /// CONFIG SET dir: moves the process there, as Redis does (relative paths given later
    /// follow), and the append-only file with its next rewrite.
    pub fn set_dir(&self, dir: &std::path::Path) -> std::io::Result<()> {
        std::env::set_current_dir(dir)?;
        let abs = std::env::current_dir()?;
        self.aof.move_to(abs.clone());
        *self.dir.lock() = abs;
        Ok(())
    }

    /// The replication stream's offset: as a replica, what it applied of its master's; as a
    /// master, the stream's end (where it would start, before any replica attached).
    pub fn repl_offset(&self) -> u64 {
        if !self.repl.is_replica() {
            if let Some(end) = self.aof.with_backlog(|b| b.end()) {
                return end;
            }
        }
        self.repl.lock().offset
    }

    /// Stops the server: no more accepts, and every connection ends after the replies it has
    /// computed (its pending read is ended by shutting the socket's read side).
    /// The first call also starts the watchdog that bounds the shutdown.
    pub fn begin_shutdown(self: &Arc<Self>) {
        let first = self.shutdown.trigger();
        self.busy.stopping.store(true, Ordering::Relaxed);
        self.clients.stop_reading_all();
        if first {
            let sh = self.clone();
            let spawned = std::thread::Builder::new()
                .name("ringdis-shutdown".into())
                .spawn(move || shutdown_watchdog(&sh));
            if let Err(e) = spawned {
                crate::warning!(
                    "no shutdown watchdog ({e}); clients that do not read may delay exit"
                );
            }
        }
    }

    /// Sum of one counter over all executors.
    /// Turns a [`special`] bit on or off.
    pub fn set_special(&self, bit: u32, on: bool) {
        if on {
            self.special.fetch_or(bit, Ordering::Relaxed);
        } else {
            self.special.fetch_and(!bit, Ordering::Relaxed);
        }
    }

    /// Counts the error replies a connection of executor `exec` wrote (their codes drained).
    pub fn record_errors(&self, exec: usize, codes: &mut Vec<String>) {
        clients::bump(&self.stats[exec].error_replies, codes.len() as u64);
        let mut m = self.errorstats.lock();
        for c in codes.drain(..) {
            if let Some(n) = m.get_mut(&c) {
                *n += 1;
            } else if m.len() < 128 {
                m.insert(c, 1);
            }
        }
    }

    /// Takes a sample for the instantaneous rates (every 100 ms, from executor 0's clock).
    pub fn sample_rates(&self) {
        let now = Instant::now();
        let cur = [
            self.stat(|s| &s.commands),
            self.stat(|s| &s.net_input),
            self.stat(|s| &s.net_output),
        ];
        let mut r = self.rates.inner.lock();
        let Some((at, prev)) = r.last else {
            r.last = Some((now, cur));
            return;
        };
        let ms = now.duration_since(at).as_millis() as u64;
        if ms < 100 {
            return;
        }
        let slot = r.next % RATE_SAMPLES;
        for k in 0..3 {
            r.samples[k][slot] = cur[k].saturating_sub(prev[k]) * 1000 / ms.max(1);
        }
        r.next += 1;
        r.last = Some((now, cur));
    }

    pub fn stat(&self, f: impl Fn(&ExecStats) -> &AtomicU64) -> u64 {
        self.stats
            .iter()
            .map(|s| f(s).load(Ordering::Relaxed))
            .sum()
    }
}

/// CLIENT PAUSE's state: until when, and whether every command or only writes wait.
#[derive(Default)]
pub struct Pause {
    /// Unix ms the pause lasts until (0: none).
    until: AtomicU64,
    all: AtomicBool,
    /// The clients held, woken by CLIENT UNPAUSE.
    waiters: Mutex<Vec<std::sync::Weak<crate::keyspace::blocking::Waiter>>>,
}

impl Pause {
    /// As Redis: the new mode replaces the old one, the later end wins.
    pub fn start(&self, until_ms: u64, all: bool) {
        self.all.store(all, Ordering::Relaxed);
        self.until.fetch_max(until_ms, Ordering::Relaxed);
    }

    pub fn end(&self) {
        self.until.store(0, Ordering::Relaxed);
        for w in self.waiters.lock().drain(..) {
            if let Some(w) = w.upgrade() {
                w.fire();
            }
        }
    }

    /// Until when a command must wait (`write`: it writes or may replicate), if it must.
    #[inline]
    pub fn holds(&self, now_ms: u64, write: bool) -> Option<u64> {
        let until = self.until.load(Ordering::Relaxed);
        (until > now_ms && (write || self.all.load(Ordering::Relaxed))).then_some(until)
    }

    /// Whether the pause (if any) has ended by `now_ms`.
    pub fn over(&self, now_ms: u64) -> bool {
        self.until.load(Ordering::Relaxed) <= now_ms
    }

    pub fn register(&self, w: &Arc<crate::keyspace::blocking::Waiter>) {
        let mut ws = self.waiters.lock();
        ws.retain(|w| w.strong_count() > 0);
        ws.push(Arc::downgrade(w));
    }
}

/// [`Shared::special`] bits.
pub mod special {
    /// A CLIENT PAUSE may be in force.
    pub const PAUSE: u32 = 1;
    /// Some connection is a MONITOR.
    pub const MONITOR: u32 = 2;
    /// Some client has CLIENT TRACKING on.
    pub const TRACKING: u32 = 4;
    /// latency-monitor-threshold is set.
    pub const LATENCY_MONITOR: u32 = 8;
}

const RATE_SAMPLES: usize = 16;

/// The last 16 per-second rates of commands, input bytes and output bytes (Redis's
/// instantaneous_ops_per_sec, instantaneous_input_kbps, instantaneous_output_kbps).
#[derive(Default)]
pub struct Rates {
    inner: Mutex<RatesInner>,
}

#[derive(Default)]
struct RatesInner {
    last: Option<(Instant, [u64; 3])>,
    samples: [[u64; RATE_SAMPLES]; 3],
    next: usize,
}

impl Rates {
    /// The mean of the samples of rate `k` (0: ops, 1: input bytes, 2: output bytes) per second.
    pub fn mean(&self, k: usize) -> f64 {
        let r = self.inner.lock();
        r.samples[k].iter().sum::<u64>() as f64 / RATE_SAMPLES as f64
    }
}

/// How long connections get, once shutdown starts, to send the replies they have computed.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Bounds a shutdown (started by [`Shared::begin_shutdown`]): after the grace period, connections still open (a client that does not read
/// its replies keeps a write pending forever) are cut in both directions, so the server exits.
fn shutdown_watchdog(shared: &Shared) {
    let deadline = Instant::now() + SHUTDOWN_GRACE;
    while shared.clients.count() > 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    shared.clients.cut_all();
}

/// The save points `save` sets (empty: no automatic snapshots).
pub fn save_points(sh: &Shared) -> Vec<(u64, u64)> {
    crate::rdb::save::parse_points(&sh.params.value("save")).unwrap_or_default()
}

impl crate::rdb::save::Host for Shared {
    fn rdb(&self) -> &crate::rdb::save::State {
        &self.rdb
    }

    fn stopping(&self) -> bool {
        self.shutdown.is_set()
    }

    fn libraries(&self) -> Vec<Arc<[u8]>> {
        self.functions.codes()
    }

    fn rdb_path(&self) -> std::path::PathBuf {
        self.dir().join(self.params.value("dbfilename"))
    }

    fn save_opts(&self) -> (bool, bool, &'static str, u64) {
        (
            self.params.value("rdbcompression") == "yes",
            self.params.value("rdbchecksum") == "yes",
            crate::config::REDIS_VERSION,
            limits::allocated_bytes(),
        )
    }
    fn hold_stream(&self) -> parking_lot::MutexGuard<'_, ()> {
        self.repl.stream_gate.lock()
    }

    fn repl_point(&self) -> Option<crate::rdb::ReplPoint> {
        if !self.repl.is_replica() {
            return None;
        }
        let g = self.repl.lock();
        (g.offset > 0).then(|| crate::rdb::ReplPoint {
            replid: g.replid.clone(),
            offset: g.offset,
            db: g.stream_db,
        })
    }
}

impl crate::aof::rewrite::Host for Shared {
    fn aof(&self) -> &Arc<Aof> {
        &self.aof
    }

    fn stopping(&self) -> bool {
        self.shutdown.is_set()
    }

    fn libraries(&self) -> Vec<Arc<[u8]>> {
        self.functions.codes()
    }
}
