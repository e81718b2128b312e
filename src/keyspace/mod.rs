//! The keyspace: 16 (configurable) databases, each split into ahash-selected shards behind
//! per-shard `RwLock`s. Every executor reaches every shard directly under its lock; there is no
//! message passing between executors for data access.
//!
//! Inside a shard, strings and hashes live in separate maps (so a string lookup never touches hash
//! values and vice versa), and the other types (lists, sets, sorted sets, streams) share a third map of [`Coll`] values,
//! yet they form one keyspace: every write first removes the key from the other maps, and every
//! typed access checks the other maps to answer WRONGTYPE. TTLs live in a fourth map
//! ([`keymap::KeyMap`]), whose buckets the active expiry cycle samples for random keys with TTLs.
//!
//! Commands reach shards only through the transaction layer ([`tx`]): the shards a command
//! declares (its keys' shards, from its key specs) are locked before it runs, and it sees those.
//!
//! Lock order: whoever holds more than one shard lock takes them in ascending (database, shard)
//! order: a command's declared shards ([`tx::Tx::lock`]), EXEC's union of its commands' shards
//! ([`tx::Tx::exec`]), FLUSHDB and SWAPDB whole databases, the AOF rewrite every shard. The
//! AOF state mutex comes after any shard lock (a write appends its record while holding its
//! shard locks). No lock is held across an `.await`.
//!
//! Persistence: single-key writes append their AOF record from the shard operation itself, or
//! from the handler while it holds the shard; multi-key writes (DEL, RENAME, MSET, FLUSHDB)
//! append one record for the whole command under all its locks ([`tx::Tx::log`]), so a crash
//! never keeps half of one; a transaction's records go out together when it ends. Keys deleted
//! because their TTL passed are logged as DEL by the shard.

pub mod access;
pub mod bits;
pub mod blocking;
pub mod dense;
pub mod events;
pub mod evict;
pub mod expiry;
pub mod geo;
pub mod glob;
pub mod hashes;
pub mod hll;
pub mod keymap;
pub mod keys;
pub mod lazyfree;
pub mod lists;
pub mod longdouble;
pub mod packed;
pub mod rdb;
pub mod rdbstream;
pub mod rdbvalue;
pub mod scan;
pub mod sets;
pub mod streams;
pub mod strings;
pub mod strmap;
pub mod tx;
pub mod zsets;

pub use tx::{Locks, MultiLock, MultiRead, ShardMut, ShardRef, ShardView, Tx};

use parking_lot::{Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

/// Shards per database: a power of two. Enough that 16 executors rarely meet on one lock, few enough
/// that DBSIZE and FLUSHDB (which visit all of them) stay cheap.
pub const SHARD_BITS: u32 = 10;
pub const SHARDS: usize = 1 << SHARD_BITS;
/// Where, in the map hash, the shard index is taken from (see [`Keyspace::hash`]).
const SHARD_HASH_SHIFT: u32 = 40;

/// Where writes are recorded (the append-only file). The keyspace knows only this trait, so it
/// does not depend on the file's module (which depends on the keyspace to replay and rewrite).
pub trait Journal: Send + Sync {
    /// Records one write of database `db`; returns the offset its reply must wait for (0:
    /// nothing to wait for). Called under the write's shard locks.
    fn append(&self, db: usize, args: &[&[u8]]) -> u64;
    /// Records a transaction's writes together, so that a crash keeps all or none of them.
    fn append_group(&self, records: &Records) -> u64;
    /// Whether records are kept at all (when not, nobody needs to build them). It turns on only
    /// before serving or while every shard is locked, so a write that finds it off while holding
    /// its shards may skip its record.
    fn active(&self) -> bool;
}

/// Where a record goes, as bits (a script narrows it with `redis.set_repl`).
pub type Targets = u8;
/// The append-only file, and a rewrite's diff.
pub const TO_AOF: Targets = 1;
/// The replication stream.
pub const TO_REPLICAS: Targets = 2;
pub const TO_ALL: Targets = TO_AOF | TO_REPLICAS;

/// Records kept aside (a transaction's), appended together when it ends.
pub struct Records {
    /// (database, arguments, where it goes) each.
    pub list: Vec<(usize, Vec<Vec<u8>>, Targets)>,
    /// Where the records pushed from now on go: none are kept while it is empty.
    pub to: Targets,
}

impl Default for Records {
    fn default() -> Self {
        Records {
            list: Vec::new(),
            to: TO_ALL,
        }
    }
}

impl Records {
    pub fn push(&mut self, db: usize, args: &[&[u8]]) {
        if self.to != 0 {
            let args = args.iter().map(|a| a.to_vec()).collect();
            self.list.push((db, args, self.to));
        }
    }
}

/// What every shard of a keyspace shares: where writes are logged, who hears about them, and
/// whether the AOF is being replayed.
pub struct Env {
    pub log: Arc<dyn Journal>,
    pub events: Arc<events::Events>,
    pub blocking: Arc<blocking::Blocking>,
    /// Set while the AOF is replayed (see [`Shard::is_expired`]); raised by [`tx::Tx::loading`].
    loading: AtomicBool,
    /// Which access clocks keys keep (LRU, LFU) and LFU's settings.
    pub tracking: access::Tracking,
    /// Per database: set by any write, cleared by an eviction pass that found the database
    /// empty, so eviction skips empty databases without visiting their shards.
    populated: Box<[AtomicBool]>,
    /// lazyfree-lazy-*.
    pub lazy: lazyfree::Settings,
}

/// A cleared shard's maps (see [`Shard::clear`]).
type Cleared = (
    strmap::StrMap,
    keymap::KeyMap<HashVal>,
    keymap::KeyMap<Coll>,
    keymap::KeyMap<u64>,
);

/// Hasher shared by every map: one seed per process, so a key's hash picks its shard and its
/// SCAN bucket the same way for the process lifetime, while staying unpredictable to clients.
/// Zero-sized (the seed is process-wide), so the many per-shard and per-collection maps carry
/// no copy of it.
#[derive(Clone, Default, Debug)]
pub struct Hasher;

impl Hasher {
    pub fn new() -> Hasher {
        Hasher
    }

    /// `x`'s hash (ahash's own one-shot path).
    #[inline]
    pub fn hash_one<T: std::hash::Hash>(&self, x: T) -> u64 {
        Hasher::seed().hash_one(x)
    }

    #[inline]
    fn seed() -> &'static ahash::RandomState {
        static SEED: std::sync::OnceLock<ahash::RandomState> = std::sync::OnceLock::new();
        SEED.get_or_init(ahash::RandomState::new)
    }
}

impl std::hash::BuildHasher for Hasher {
    type Hasher = ahash::AHasher;

    #[inline]
    fn build_hasher(&self) -> ahash::AHasher {
        Hasher::seed().build_hasher()
    }
}
pub type Key = Box<[u8]>;
pub use hashes::HashVal;
pub use sets::{Member, SetVal};

/// Values of the types that live in a shard's third map.
pub enum Coll {
    List(lists::ListVal),
    Set(SetVal),
    ZSet(zsets::ZSet),
    Stream(Box<streams::Stream>),
}

impl Coll {
    pub fn kind(&self) -> Kind {
        match self {
            Coll::List(_) => Kind::List,
            Coll::Set(_) => Kind::Set,
            Coll::ZSet(_) => Kind::ZSet,
            Coll::Stream(_) => Kind::Stream,
        }
    }

    /// A deep copy (COPY).
    pub fn duplicate(&self) -> Coll {
        match self {
            Coll::List(l) => Coll::List(l.clone()),
            Coll::Set(s) => Coll::Set(s.clone()),
            Coll::ZSet(z) => Coll::ZSet(z.duplicate()),
            Coll::Stream(x) => Coll::Stream(Box::new(x.duplicate())),
        }
    }

    /// About how many allocations freeing it takes (1 for a packed encoding), as Redis's
    /// `lazyfreeGetFreeEffort`: what decides whether it is freed lazily.
    pub fn free_effort(&self) -> usize {
        match self {
            Coll::List(l) => l.node_count(),
            Coll::Set(s) if s.is_intset() => 1,
            Coll::Set(s) => s.len(),
            Coll::ZSet(z) if z.is_packed() => 1,
            Coll::ZSet(z) => z.len(),
            Coll::Stream(x) => x.entries.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        match self {
            Coll::List(l) => l.is_empty(),
            Coll::Set(s) => s.is_empty(),
            Coll::ZSet(z) => z.is_empty(),
            // An empty stream stays (it keeps its last ID), as in Redis.
            Coll::Stream(_) => false,
        }
    }
}

/// Milliseconds since the Unix epoch: the unit of all expiry deadlines.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// The type of a key, as `TYPE` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    String,
    Hash,
    List,
    Set,
    ZSet,
    Stream,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::String => "string",
            Kind::Hash => "hash",
            Kind::List => "list",
            Kind::Set => "set",
            Kind::ZSet => "zset",
            Kind::Stream => "stream",
        }
    }
}

/// One shard of one database.
pub struct Shard {
    pub strings: strmap::StrMap,
    pub hashes: keymap::KeyMap<HashVal>,
    pub colls: keymap::KeyMap<Coll>,
    /// Absolute deadline in ms for every key that has a TTL.
    pub expires: keymap::KeyMap<u64>,
    /// Keys this shard deleted because their TTL passed (lazily or by the cycle), for INFO.
    /// Kept under the shard lock, so counting costs no shared atomic.
    pub expired: u64,
    /// Keys this shard deleted under maxmemory's policy, for INFO (as `expired`).
    pub evicted: u64,
    /// Its keys' access clocks, while an LRU or LFU policy is set.
    clocks: access::Clocks,
    /// Where this shard's writes are logged and heard, and the database it belongs to.
    env: Arc<Env>,
    db: usize,
    /// Set while a transaction holds this shard: its records are kept there until it ends.
    capture: Option<Arc<Mutex<Records>>>,
    /// Real changes ([`Shard::changed`]) and records a command logged itself ([`Shard::log`]):
    /// a write command that changed something and logged nothing gets its own arguments as its
    /// record (see `cmd::handle`).
    /// (An atomic only so that `log` can take `&self`: it is written under the write lock, with
    /// plain loads and stores.)
    pub(crate) changes: u64,
    pub(crate) logged: AtomicU64,
    /// Keys some client WATCHes: (modification count, watchers). Every write path bumps the count
    /// of the keys it changes (see [`Shard::changed`]); EXEC compares counts.
    watched: HashMap<Key, (u64, u32), Hasher>,
}

impl Shard {
    fn new(h: &Hasher, env: Arc<Env>, db: usize) -> Self {
        Shard {
            env,
            capture: None,
            changes: 0,
            logged: AtomicU64::new(0),
            strings: strmap::StrMap::with_hasher(h.clone()),
            hashes: keymap::KeyMap::with_hasher(h.clone()),
            colls: keymap::KeyMap::with_hasher(h.clone()),
            expires: keymap::KeyMap::with_hasher(h.clone()),
            expired: 0,
            evicted: 0,
            clocks: access::Clocks::default(),
            db,
            watched: HashMap::with_hasher(h.clone()),
        }
    }

    /// Elements were added to `key` (a list or sorted set): wakes clients blocked on it. Called
    /// under this shard's write lock, so their retry runs after the write.
    #[inline]
    pub fn signal_ready(&self, key: &[u8]) {
        self.env.blocking.signal(self.db, key);
    }

    /// A write changed `key`: its watchers see it (WATCH), and `event` of `class` is published
    /// (keyspace notifications), under this shard's lock, so in the order of the writes.
    #[inline]
    pub fn changed(&mut self, key: &[u8], class: u32, event: &str) {
        self.changes += 1;
        self.populated();
        self.touch(key);
        self.accessed_mut(key);
        self.env.events.notify(self.db, class, event, key);
        use events::class::{HASH, LIST, SET, ZSET};
        if class & (LIST | SET | ZSET | HASH) != 0 {
            self.drop_emptied(key);
        }
    }

    /// A change Redis publishes no event for (XACK, a stream group's delivery): counted for
    /// WATCH and the AOF as [`Shard::changed`] counts it.
    #[inline]
    pub fn changed_quietly(&mut self, key: &[u8]) {
        self.changes += 1;
        self.populated();
        self.touch(key);
        self.accessed_mut(key);
    }

    /// Marks this shard's database as holding keys (see [`Env::populated`]): a load, and a
    /// store only when it was clear.
    #[inline]
    fn populated(&self) {
        let f = &self.env.populated[self.db];
        if !f.load(Ordering::Relaxed) {
            f.store(true, Ordering::Relaxed);
        }
    }

    /// The hash that picks `key`'s access clock.
    #[inline]
    fn clock_hash(&self, key: &[u8]) -> u64 {
        self.expires.hasher().hash_one(key)
    }

    /// A read found `key`: its access clock moves (idle time; LRU, LFU).
    #[inline]
    pub fn accessed(&self, key: &[u8], now: u64) {
        self.clocks
            .touch(self.clock_hash(key), &self.env.tracking, now);
    }

    /// A write changed `key`: its clock moves, and under a policy the clock table follows the
    /// key count here too (a policy set at run time wants two words per key; without one, the
    /// table grows as keys are created).
    fn accessed_mut(&mut self, key: &[u8]) {
        let mode = self.env.tracking.mode();
        let now = access::clock_ms();
        if mode != access::Mode::Off {
            self.clocks.fit(self.len(), mode, now);
        }
        self.accessed(key, now);
    }

    /// RESTORE ... IDLETIME/FREQ: sets `key`'s access clock (see [`access::Clocks::set`]).
    pub fn set_access(&self, key: &[u8], now: u64, idle: Option<u64>, freq: Option<u8>) {
        self.clocks
            .set(self.clock_hash(key), &self.env.tracking, now, idle, freq);
    }

    /// OBJECT IDLETIME and FREQ: seconds since `key` was used, and its LFU counter.
    pub fn access_info(&self, key: &[u8], now: u64) -> (u64, u32) {
        let h = self.clock_hash(key);
        (
            self.clocks.idle_secs(h, now),
            self.clocks.freq(h, &self.env.tracking, now),
        )
    }

    /// How much the eviction policy wants `key` gone (see [`access::Clocks::eviction_score`]).
    pub(crate) fn eviction_score(&self, key: &[u8], now: u64) -> u64 {
        self.clocks
            .eviction_score(self.clock_hash(key), &self.env.tracking, now)
    }

    /// After a change to a collection: a collection the write emptied is removed (if its
    /// operation did not already), with its `del` event after the change's own, as in Redis.
    fn drop_emptied(&mut self, key: &[u8]) {
        if self.colls.get(key).is_some_and(Coll::is_empty) {
            self.remove(key);
        }
        if self.env.events.wants(events::class::GENERIC) && !self.contains(key) {
            self.notify(events::class::GENERIC, "del", key);
        }
    }

    /// Publishes one more event about a change already counted (RENAME's rename_to, the `del`
    /// of an emptied collection...).
    #[inline]
    pub fn notify(&self, class: u32, event: &str, key: &[u8]) {
        self.env.events.notify(self.db, class, event, key);
    }

    /// Whether `key` is present (of any type, expired or not).
    #[inline]
    pub fn contains(&self, key: &[u8]) -> bool {
        self.strings.contains_key(key)
            || self.hashes.contains_key(key)
            || self.colls.contains_key(key)
    }

    /// A key was created: its `new` event.
    #[inline]
    pub fn created(&mut self, key: &[u8]) {
        self.populated();
        let mode = self.env.tracking.mode();
        let now = access::clock_ms();
        self.clocks.fit(self.len(), mode, now);
        let h = self.clock_hash(key);
        self.clocks.created(h, &self.env.tracking, now);
        self.env
            .events
            .notify(self.db, events::class::NEW, "new", key);
    }

    /// Marks `key` modified for its watchers (and clients tracking it).
    #[inline]
    pub fn touch(&mut self, key: &[u8]) {
        self.env.events.touched(key);
        if !self.watched.is_empty() {
            if let Some(w) = self.watched.get_mut(key) {
                w.0 += 1;
            }
        }
    }

    /// WATCH: registers a watcher of `key`; returns its modification count.
    pub fn watch(&mut self, key: &[u8]) -> u64 {
        let w = self.watched.entry(key.into()).or_insert((0, 0));
        w.1 += 1;
        w.0
    }

    /// Drops one watcher of `key`.
    pub fn unwatch(&mut self, key: &[u8]) {
        if let Some(w) = self.watched.get_mut(key) {
            w.1 -= 1;
            if w.1 == 0 {
                self.watched.remove(key);
            }
        }
    }

    /// The modification count of a watched `key`.
    pub fn watch_count(&self, key: &[u8]) -> u64 {
        self.watched.get(key).map_or(0, |w| w.0)
    }

    /// Appends a record of this shard's database to the AOF (a no-op when it is off), or to the
    /// records of the transaction that holds this shard. Called under this shard's write lock,
    /// right after the write it records, by a command whose effect is not its own arguments
    /// (those are recorded by default).
    #[inline]
    pub fn log(&self, args: &[&[u8]]) {
        let n = self.logged.load(Ordering::Relaxed);
        self.logged.store(n + 1, Ordering::Relaxed);
        self.journal(args);
    }

    /// [`Shard::log`] for a record that is not the running command's (a key found expired).
    fn journal(&self, args: &[&[u8]]) {
        match &self.capture {
            None => {
                self.env.log.append(self.db, args);
            }
            Some(c) => c.lock().push(self.db, args),
        }
    }

    /// The database this shard belongs to.
    pub fn db(&self) -> usize {
        self.db
    }

    /// Logs a SET of `key` with what the write did to its TTL.
    pub fn log_set(&self, key: &[u8], val: &[u8], expire: strings::ExpireSpec) {
        match expire {
            strings::ExpireSpec::Clear => self.log(&[b"SET", key, val]),
            strings::ExpireSpec::Keep => self.log(&[b"SET", key, val, b"KEEPTTL"]),
            strings::ExpireSpec::At(at) => self.log(&[
                b"SET",
                key,
                val,
                b"PXAT",
                itoa::Buffer::new().format(at).as_bytes(),
            ]),
        }
    }

    /// Deletes a key whose TTL has passed: counted for INFO, logged as DEL, announced.
    pub fn delete_expired(&mut self, key: &[u8]) {
        let lazy = self.env.lazy.expire.load(Ordering::Relaxed);
        if self.server_delete(key, lazy) {
            self.expired += 1;
            self.notify(events::class::EXPIRED, "expired", key);
        }
    }

    /// Deletes a key the server itself chose (expiry, eviction): WATCHers see it, the AOF gets
    /// a DEL. Returns whether the key was there.
    fn server_delete(&mut self, key: &[u8], lazy: bool) -> bool {
        let removed = if lazy {
            self.remove_lazy(key)
        } else {
            self.remove(key)
        };
        if removed {
            self.touch(key);
            self.journal(&[b"DEL", key]);
        }
        removed
    }

    /// Whether `key` has a TTL that has passed. Read-only: callers under a read lock treat such a
    /// key as absent; the next writer or the active cycle deletes it. Never while the AOF is
    /// replayed: every record ran while its keys were alive, so a record must find them alive
    /// again, as while Redis loads. Otherwise a replay after a TTL passed would run `RENAME a b`
    /// or `SUNIONSTORE d a` without `a`, leaving `b`'s old value, or losing `d`, which has no
    /// TTL of its own. Keys whose time has passed are removed after the replay.
    #[inline]
    pub fn is_expired(&self, key: &[u8], now: u64) -> bool {
        !self.expires.is_empty()
            && self.expires.get(key).is_some_and(|&at| at <= now)
            && !self.loading()
    }

    /// Whether the AOF is being replayed (see [`Shard::is_expired`]).
    #[inline]
    pub fn loading(&self) -> bool {
        self.env.loading.load(Ordering::Relaxed)
    }

    /// Lazy expiry under a write lock: deletes `key` if its TTL has passed. Returns whether it did.
    #[inline]
    pub fn expire_if_needed(&mut self, key: &[u8], now: u64) -> bool {
        if self.is_expired(key, now) {
            self.delete_expired(key);
            true
        } else {
            false
        }
    }

    /// The live key's type.
    pub fn kind(&self, key: &[u8], now: u64) -> Option<Kind> {
        if self.is_expired(key, now) {
            None
        } else if self.strings.contains_key(key) {
            Some(Kind::String)
        } else if self.hashes.contains_key(key) {
            Some(Kind::Hash)
        } else {
            self.colls.get(key).map(Coll::kind)
        }
    }

    /// The live value of a collection type at `key` (`pick` selects the variant), or WRONGTYPE if
    /// the key holds another type. The one lookup behind get_list, get_set, get_zset, get_stream.
    pub fn get_coll<'a, T>(
        &'a self,
        key: &[u8],
        now: u64,
        pick: impl Fn(&'a Coll) -> Option<&'a T>,
    ) -> crate::error::CmdResult<Option<&'a T>> {
        if self.is_expired(key, now) {
            return Ok(None);
        }
        match self.colls.get(key) {
            Some(c) => {
                self.accessed(key, now);
                pick(c).map(Some).ok_or(crate::error::CmdError::WrongType)
            }
            None if self.strings.contains_key(key) || self.hashes.contains_key(key) => {
                Err(crate::error::CmdError::WrongType)
            }
            None => Ok(None),
        }
    }

    /// The collection at `key` for writing (expired keys deleted first), created with `new` when
    /// missing and `new` is given; WRONGTYPE if the key holds another type.
    pub fn coll_mut<T>(
        &mut self,
        key: &[u8],
        now: u64,
        new: Option<fn(&Hasher) -> Coll>,
        pick: impl Fn(&mut Coll) -> Option<&mut T>,
    ) -> crate::error::CmdResult<Option<&mut T>> {
        self.expire_if_needed(key, now);
        if self.strings.contains_key(key) || self.hashes.contains_key(key) {
            return Err(crate::error::CmdError::WrongType);
        }
        if let (Some(new), false) = (new, self.colls.contains_key(key)) {
            let c = new(self.expires.hasher());
            self.colls.insert(key, c);
            self.created(key);
        }
        match self.colls.get_mut(key) {
            Some(c) => pick(c).map(Some).ok_or(crate::error::CmdError::WrongType),
            None => Ok(None),
        }
    }

    /// Whether `key` exists as anything but a string (WRONGTYPE for string commands).
    #[inline]
    pub fn non_string(&self, key: &[u8]) -> bool {
        self.hashes.contains_key(key) || self.colls.contains_key(key)
    }

    /// Whether `key` exists as anything but a hash.
    #[inline]
    pub fn non_hash(&self, key: &[u8]) -> bool {
        self.strings.contains_key(key) || self.colls.contains_key(key)
    }

    /// Stores `value` at `key` in place of whatever was there (its TTL dropped), as a STORE
    /// command's destination: `new` is sent only if the key did not exist (Redis overwrites).
    pub fn store(&mut self, key: &[u8], value: Coll) {
        let existed = self.remove_overwritten(key);
        self.colls.insert(key, value);
        if !existed {
            self.created(key);
        }
    }

    /// Removes the key of whatever type, with its TTL. Returns whether it existed.
    pub fn remove(&mut self, key: &[u8]) -> bool {
        let found = self.strings.remove(key).is_some()
            || self.hashes.remove(key).is_some()
            || self.colls.remove(key).is_some();
        if found && !self.expires.is_empty() {
            self.expires.remove(key);
        }
        found
    }

    /// Removes the hash or collection at `key` (its TTL stays), handing one costly to free to
    /// the lazy-free thread when `lazy`. Returns whether there was one.
    pub(super) fn remove_non_string(&mut self, key: &[u8], lazy: bool) -> bool {
        if let Some(c) = self.colls.remove(key) {
            if lazy && c.free_effort() > lazyfree::THRESHOLD {
                lazyfree::defer(c, 1);
            }
        } else if let Some(h) = self.hashes.remove(key) {
            if lazy && !h.is_packed() && h.len() > lazyfree::THRESHOLD {
                lazyfree::defer(h, 1);
            }
        } else {
            return false;
        }
        true
    }

    /// Removes a key a write replaces or deletes as a side effect (SET over another type,
    /// RENAME's and COPY's destination, a STORE destination), lazily when
    /// `lazyfree-lazy-server-del` says so, as Redis's `dbDelete`.
    pub fn remove_overwritten(&mut self, key: &[u8]) -> bool {
        if self.env.lazy.server_del.load(Ordering::Relaxed) {
            self.remove_lazy(key)
        } else {
            self.remove(key)
        }
    }

    /// As [`Shard::remove`], handing a value costly to free to the lazy-free thread (UNLINK).
    pub fn remove_lazy(&mut self, key: &[u8]) -> bool {
        if !self.remove_non_string(key, true) && self.strings.remove(key).is_none() {
            return false;
        }
        if !self.expires.is_empty() {
            self.expires.remove(key);
        }
        true
    }

    /// Sets or clears the TTL of an existing key.
    pub fn set_expire(&mut self, key: &[u8], at: Option<u64>) {
        match at {
            Some(at) => match self.expires.get_mut(key) {
                Some(slot) => *slot = at,
                None => {
                    self.expires.insert(key, at);
                }
            },
            None => {
                if !self.expires.is_empty() {
                    self.expires.remove(key);
                }
            }
        }
    }

    /// A live key's value as DUMP and RDB files serialize it (None: missing or expired).
    pub fn rdb_value(&self, key: &[u8], now: u64) -> Option<rdbvalue::Value> {
        use rdbvalue::Value;
        if self.is_expired(key, now) {
            return None;
        }
        if let Some(v) = self.strings.get(key) {
            return Some(Value::Str(v.to_vec()));
        }
        if let Some(h) = self.hashes.get(key) {
            return Some(Value::Hash(
                h.iter().map(|(f, v)| (f.to_vec(), v.to_vec())).collect(),
            ));
        }
        match self.colls.get(key) {
            None => None,
            Some(Coll::List(l)) => Some(Value::List(l.iter().map(|i| i.to_vec()).collect())),
            Some(Coll::Set(set)) => Some(Value::Set(set.iter().map(|m| m.to_vec()).collect())),
            Some(Coll::ZSet(z)) => Some(Value::ZSet(
                z.iter_from(0, false)
                    .map(|(m, sc)| (m.to_vec(), sc))
                    .collect(),
            )),
            Some(Coll::Stream(st)) => Some(Value::Stream(Box::new(st.rdb_value()))),
        }
    }

    pub fn ttl_of(&self, key: &[u8]) -> Option<u64> {
        if self.expires.is_empty() {
            None
        } else {
            self.expires.get(key).copied()
        }
    }

    pub fn len(&self) -> usize {
        self.strings.len() + self.hashes.len() + self.colls.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// SWAPDB: exchanges this shard's data (keys, values, deadlines) with `other`'s; each keeps
    /// its database number, AOF handle and watchers, and every watched key counts as modified.
    fn swap_data(&mut self, other: &mut Shard) {
        std::mem::swap(&mut self.strings, &mut other.strings);
        std::mem::swap(&mut self.hashes, &mut other.hashes);
        std::mem::swap(&mut self.colls, &mut other.colls);
        std::mem::swap(&mut self.expires, &mut other.expires);
        for s in [self, other] {
            s.watched.values_mut().for_each(|w| w.0 += 1);
        }
    }

    /// Empties the shard (FLUSHDB), handing back what it held when it held anything, for the
    /// caller to drop now or give to the lazy-free thread.
    fn clear(&mut self) -> Option<(Cleared, usize)> {
        // Replace rather than clear() so that the memory of a large shard is returned.
        let expired = self.expired;
        let mut watched = std::mem::take(&mut self.watched);
        for (k, w) in watched.iter_mut() {
            if self.kind(k, 0).is_some() || self.expires.contains_key(k) {
                w.0 += 1;
            }
        }
        let old = std::mem::replace(self, Shard::new(&Hasher, self.env.clone(), self.db));
        self.expired = expired;
        self.watched = watched;
        let keys = old.len();
        (keys > 0).then_some(((old.strings, old.hashes, old.colls, old.expires), keys))
    }

    /// The string value of a live key, or WRONGTYPE if it is another type.
    #[inline]
    pub fn get_str(&self, key: &[u8], now: u64) -> crate::error::CmdResult<Option<&[u8]>> {
        if self.is_expired(key, now) {
            return Ok(None);
        }
        match self.strings.get(key) {
            Some(v) => {
                self.accessed(key, now);
                Ok(Some(v))
            }
            None if self.non_string(key) => Err(crate::error::CmdError::WrongType),
            None => Ok(None),
        }
    }

    /// The hash value of a live key, or WRONGTYPE if it is another type.
    #[inline]
    pub fn get_hash(&self, key: &[u8], now: u64) -> crate::error::CmdResult<Option<&HashVal>> {
        if self.is_expired(key, now) {
            return Ok(None);
        }
        match self.hashes.get(key) {
            Some(v) => {
                self.accessed(key, now);
                Ok(Some(v))
            }
            None if self.non_hash(key) => Err(crate::error::CmdError::WrongType),
            None => Ok(None),
        }
    }
}

/// One database: its shards and a hint for the active expiry cycle.
pub struct Db {
    /// Allocated on first use: an untouched database costs no memory (maxmemory counts it).
    shards: std::sync::OnceLock<Box<[RwLock<Shard>]>>,
    env: Arc<Env>,
    index: usize,
    /// Set once any TTL is added to this database; lets the expiry cycle skip databases without TTLs.
    pub has_expires: AtomicBool,
}

impl Db {
    fn new(env: Arc<Env>, index: usize) -> Db {
        Db {
            shards: std::sync::OnceLock::new(),
            env,
            index,
            has_expires: AtomicBool::new(false),
        }
    }

    /// The database's shards, allocated on first use.
    #[inline]
    pub fn shards(&self) -> &[RwLock<Shard>] {
        self.shards.get_or_init(|| {
            (0..SHARDS)
                .map(|_| RwLock::new(Shard::new(&Hasher, self.env.clone(), self.index)))
                .collect()
        })
    }

    /// Whether the shards exist yet (a database never used holds no keys).
    #[inline]
    pub fn allocated(&self) -> bool {
        self.shards.get().is_some()
    }
}

/// The shard to look at on probe `probe` of a random pick (RANDOMKEY, eviction): `random`
/// random shards first, then every shard once from `start`, so a sparse database still answers.
fn probe_shard(probe: usize, random: usize, start: usize, rng: &mut impl rand::Rng) -> usize {
    if probe < random {
        rng.random_range(0..SHARDS)
    } else {
        (start + probe) % SHARDS
    }
}

pub struct Keyspace {
    dbs: Box<[Db]>,
    hasher: Hasher,
    env: Arc<Env>,
    pub blocking: Arc<blocking::Blocking>,
    pub events: Arc<events::Events>,
    /// maxmemory and its policy.
    pub budget: evict::Budget,
}

impl Keyspace {
    pub fn new(databases: usize, log: Arc<dyn Journal>, events: Arc<events::Events>) -> Self {
        let hasher = Hasher::new();
        let blocking = Arc::new(blocking::Blocking::default());
        let env = Arc::new(Env {
            log,
            events: events.clone(),
            blocking: blocking.clone(),
            loading: AtomicBool::new(false),
            tracking: access::Tracking::default(),
            populated: (0..databases.max(1))
                .map(|_| AtomicBool::new(false))
                .collect(),
            lazy: lazyfree::Settings::default(),
        });
        let dbs: Box<[Db]> = (0..databases.max(1))
            .map(|db| Db::new(env.clone(), db))
            .collect();
        // The default database is used at once by nearly every client.
        dbs[0].shards();
        Keyspace {
            dbs,
            hasher,
            env,
            blocking,
            events,
            budget: evict::Budget::default(),
        }
    }

    pub fn databases(&self) -> usize {
        self.dbs.len()
    }

    pub fn db(&self, db: usize) -> &Db {
        &self.dbs[db]
    }

    /// The key's hash as SCAN and shard selection see it: the hash the shard maps use, rotated so
    /// that its low bits (which pick the shard, and SCAN's virtual bucket) are bits 40.. of the
    /// map hash. The maps index buckets with the low bits and tag entries with the top 7 bits, so
    /// both must vary within a shard: selecting shards by the map hash's low bits put every key
    /// of a shard on the same probe sequence.
    #[inline]
    pub fn hash(&self, b: &[u8]) -> u64 {
        self.hasher.hash_one(b).rotate_right(SHARD_HASH_SHIFT)
    }

    #[inline]
    pub fn shard_index(&self, key: &[u8]) -> usize {
        (self.hash(key) as usize) & (SHARDS - 1)
    }

    /// Shard `i` of `db`, read-locked, for work outside commands (the AOF rewrite's snapshot);
    /// commands reach shards through a [`tx::Tx`].
    pub fn read_at(&self, db: usize, i: usize) -> RwLockReadGuard<'_, Shard> {
        self.dbs[db].shards()[i].read()
    }

    /// Shard `i` of `db`, write-locked, for work outside commands (see [`Keyspace::read_at`]).
    pub fn write_at(&self, db: usize, i: usize) -> RwLockWriteGuard<'_, Shard> {
        self.dbs[db].shards()[i].write()
    }

    /// Sizes `db`'s maps for a load that says how many keys (and TTLs) follow (an RDB file's
    /// RESIZEDB): each shard gets its share and some slack, so no map grows while it loads.
    pub fn reserve(&self, db: usize, keys: usize, ttls: usize) {
        let Some(d) = self.dbs.get(db) else { return };
        let share = |n: usize| {
            if n == 0 {
                0
            } else {
                n / SHARDS + n / SHARDS / 8 + 8
            }
        };
        for shard in d.shards() {
            let mut s = shard.write();
            s.strings.reserve(share(keys));
            s.expires.reserve(share(ttls));
        }
    }

    /// Notes that a TTL was set in `db`, for the expiry cycle.
    #[inline]
    pub fn mark_expires(&self, db: usize) {
        let flag = &self.dbs[db].has_expires;
        if !flag.load(Ordering::Relaxed) {
            flag.store(true, Ordering::Relaxed);
        }
    }

    /// Number of keys in `db`, locking one shard at a time.
    pub fn dbsize(&self, db: usize) -> usize {
        tx::Tx::open(self).dbsize(db)
    }
}
