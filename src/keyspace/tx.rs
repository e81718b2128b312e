//! The transaction layer: the one way commands reach shards.
//!
//! Before a command's handler runs, the command layer declares the shards its keys live in (from
//! the command's key specs) as [`Locks`], and [`Tx::lock`] takes them in the documented order
//! (ascending (database, shard)); the handler then gets a [`Tx`] that serves exactly those
//! shards. EXEC declares the union of its queued commands' shards ([`Tx::exec`]) and runs them
//! all on that one `Tx`, which also keeps their AOF records aside until the transaction ends.
//! A command that needs more than its keys (SORT with BY/GET patterns, FLUSHDB, SWAPDB) declares
//! whole databases. Commands that declare nothing (KEYS, SCAN, DBSIZE, INFO...) get an open
//! `Tx`, which locks one shard at a time as they ask (and inside EXEC, the whole databases
//! they may visit are declared for them).
//!
//! Held shards sit in `RefCell`s: a handler borrows a held shard like a guard, and a second
//! mutable borrow of one shard is caught instead of aliased. Asking a declared `Tx` for a shard
//! it does not hold is a bug in the declaration: debug builds panic, release builds lock the
//! shard on the spot (which may break the lock order, but serves the command).
//!
//! AOF replay runs through the same layer: [`Tx::loading`] says so, and while its guard lives no
//! key counts as expired (see [`super::Shard::is_expired`]).

use super::{blocking::Blocking, events::Events, Keyspace, Records, Shard, Targets, SHARDS};
use parking_lot::{Mutex, RwLockReadGuard, RwLockWriteGuard};
use smallvec::SmallVec;
use std::cell::{Ref, RefCell, RefMut};
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// The shards a command or transaction declares before it runs.
#[derive(Default)]
pub struct Locks {
    /// (database, shard, write)
    shards: SmallVec<[(usize, usize, bool); 4]>,
    /// Whole databases: (database, write).
    dbs: SmallVec<[(usize, bool); 2]>,
}

impl Locks {
    /// The shard of `key` in `db`.
    #[inline]
    pub fn key(&mut self, ks: &Keyspace, db: usize, key: &[u8], write: bool) {
        self.shards.push((db, ks.shard_index(key), write));
    }

    /// One shard, by index.
    pub fn shard(&mut self, db: usize, idx: usize, write: bool) {
        self.shards.push((db, idx, write));
    }

    /// Every shard of `db`.
    pub fn db(&mut self, db: usize, write: bool) {
        self.dbs.push((db, write));
    }

    pub fn is_empty(&self) -> bool {
        self.shards.is_empty() && self.dbs.is_empty()
    }

    /// Every declared shard once, in lock order, write wherever any declaration writes.
    fn ordered(mut self) -> SmallVec<[(usize, usize, bool); 4]> {
        if !self.dbs.is_empty() {
            let mut dbs: SmallVec<[(usize, bool); 2]> = SmallVec::new();
            for &(db, w) in &self.dbs {
                match dbs.iter_mut().find(|d| d.0 == db) {
                    Some(d) => d.1 |= w,
                    None => dbs.push((db, w)),
                }
            }
            // A shard of a whole database joins it, with its write flag.
            for d in dbs.iter_mut() {
                d.1 |= self.shards.iter().any(|s| s.0 == d.0 && s.2);
            }
            self.shards.retain(|s| !dbs.iter().any(|d| d.0 == s.0));
            for (db, w) in dbs {
                self.shards.extend((0..SHARDS).map(|i| (db, i, w)));
            }
        }
        let s = &mut self.shards;
        if s.len() > 1 {
            s.sort_unstable_by_key(|&(d, i, _)| (d, i));
            s.dedup_by(|b, a| {
                if (a.0, a.1) == (b.0, b.1) {
                    a.2 |= b.2;
                    true
                } else {
                    false
                }
            });
        }
        self.shards
    }
}

enum Guard<'k> {
    Read(RwLockReadGuard<'k, Shard>),
    Write(RwLockWriteGuard<'k, Shard>),
}

impl Guard<'_> {
    fn shard(&self) -> &Shard {
        match self {
            Guard::Read(g) => g,
            Guard::Write(g) => g,
        }
    }

    fn shard_mut(&mut self) -> &mut Shard {
        match self {
            Guard::Write(g) => g,
            Guard::Read(_) => panic!("a shard declared for reading was asked for writing"),
        }
    }
}

/// What a `Tx` holds: most commands hold one shard, kept inline.
enum Holds<'k> {
    None,
    /// One shard, and where the key it was taken for lies (address and length, compared only).
    One(Held<'k>, (usize, usize)),
    /// Several, in lock order.
    Many(Vec<Held<'k>>),
}

struct Held<'k> {
    db: usize,
    idx: usize,
    guard: RefCell<Guard<'k>>,
}

/// A view of the keyspace for one command, one transaction, or the AOF replay.
pub struct Tx<'k> {
    pub(super) ks: &'k Keyspace,
    /// The declared shards, locked.
    held: Holds<'k>,
    /// Serves only `held` (see the module's notes); an open `Tx` locks as asked.
    declared: bool,
    /// Replaying the AOF.
    loading: bool,
    /// Running a transaction's queued commands: blocking commands do not block.
    exec: bool,
    /// A transaction's records, appended together when it ends (see [`ExecTx`]).
    capture: Option<Arc<Mutex<Records>>>,
    /// Records logged through [`Tx::log`] (see [`Tx::effects`]).
    logged: std::cell::Cell<u64>,
}

impl<'k> Tx<'k> {
    /// A `Tx` that holds nothing and locks shards as they are asked for.
    pub fn open(ks: &'k Keyspace) -> Self {
        Tx {
            ks,
            held: Holds::None,
            declared: false,
            loading: false,
            exec: false,
            capture: None,
            logged: Default::default(),
        }
    }

    /// The open `Tx` of the AOF replay, and the guard that keeps keys from expiring until it is
    /// dropped.
    pub fn loading(ks: &'k Keyspace) -> (Self, Loading<'k>) {
        ks.env.loading.store(true, Ordering::Relaxed);
        let tx = Tx {
            loading: true,
            ..Tx::open(ks)
        };
        (tx, Loading(ks))
    }

    /// A `Tx` holding the shards of `locks`, taken in lock order, for one command.
    pub fn lock(&self, locks: Locks) -> Tx<'k> {
        let mut shards = locks.ordered();
        match shards.len() {
            0 => return self.child(Holds::None),
            1 => {
                let (db, idx, write) = shards[0];
                return self.lock_one(db, idx, write);
            }
            _ => {}
        }
        let many = shards
            .drain(..)
            .map(|(db, idx, write)| self.take(db, idx, write))
            .collect();
        self.child(Holds::Many(many))
    }

    /// A `Tx` holding shard `idx` of `db`, for a command with one key.
    #[inline]
    pub fn lock_one(&self, db: usize, idx: usize, write: bool) -> Tx<'k> {
        self.child(Holds::One(self.take(db, idx, write), (0, 0)))
    }

    /// A `Tx` holding the shard of `key` in `db`, for a command whose only key it is: the
    /// handler's lookups of the very same slice skip hashing it again.
    #[inline]
    pub fn lock_key(&self, db: usize, key: &[u8], write: bool) -> Tx<'k> {
        let held = self.take(db, self.ks.shard_index(key), write);
        self.child(Holds::One(held, (key.as_ptr() as usize, key.len())))
    }

    #[inline]
    fn take(&self, db: usize, idx: usize, write: bool) -> Held<'k> {
        let lock = &self.ks.dbs[db].shards()[idx];
        let guard = if write {
            Guard::Write(lock.write())
        } else {
            Guard::Read(lock.read())
        };
        Held {
            db,
            idx,
            guard: RefCell::new(guard),
        }
    }

    #[inline]
    fn child(&self, held: Holds<'k>) -> Tx<'k> {
        Tx {
            ks: self.ks,
            held,
            declared: true,
            loading: self.loading,
            exec: false,
            capture: None,
            logged: Default::default(),
        }
    }

    /// Whether writes are recorded (the AOF is on, or a rewrite collects them).
    #[inline]
    pub fn journaling(&self) -> bool {
        self.ks.env.log.active()
    }

    /// (Real changes, records logged) so far in the shards this `Tx` holds: compared before and
    /// after a write command, they say whether it changed something without logging a record.
    #[inline]
    pub fn effects(&self) -> (u64, u64) {
        let of = |h: &Held| {
            let g = h.guard.borrow();
            let s = g.shard();
            (s.changes, s.logged.load(Ordering::Relaxed))
        };
        let (c, l) = match &self.held {
            Holds::None => (0, 0),
            Holds::One(h, _) => of(h),
            Holds::Many(v) => v.iter().map(of).fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1)),
        };
        (c, l + self.logged.get())
    }

    fn held(&self) -> impl Iterator<Item = &Held<'k>> {
        let (one, many) = match &self.held {
            Holds::None => (None, &[][..]),
            Holds::One(h, _) => (Some(h), &[][..]),
            Holds::Many(v) => (None, &v[..]),
        };
        one.into_iter().chain(many)
    }

    /// A transaction's `Tx`: the shards of `locks`, all write-locked, and the records of the
    /// commands run on it kept aside until [`ExecTx::finish`].
    pub fn exec(&self, mut locks: Locks) -> ExecTx<'k> {
        locks.shards.iter_mut().for_each(|s| s.2 = true);
        locks.dbs.iter_mut().for_each(|d| d.1 = true);
        let mut tx = self.lock(locks);
        tx.exec = true;
        // Without an active log there is nothing to gather (the log is switched on only by a
        // rewrite, which first waits for every shard: for this transaction to end).
        if !tx.loading && tx.journaling() {
            let capture = Arc::new(Mutex::new(Records::default()));
            for h in tx.held() {
                h.guard.borrow_mut().shard_mut().capture = Some(capture.clone());
            }
            tx.capture = Some(capture);
        }
        ExecTx(tx)
    }

    fn release_capture(&self) {
        for h in self.held() {
            if let Guard::Write(g) = &mut *h.guard.borrow_mut() {
                g.capture = None;
            }
        }
    }

    pub fn databases(&self) -> usize {
        self.ks.databases()
    }

    /// Whether `db` has ever been used: one that has not holds nothing, and its shards are not
    /// allocated (and so not locked) just to count them.
    #[inline]
    fn allocated(&self, db: usize) -> bool {
        self.ks.dbs[db].allocated()
    }

    /// Whether this runs a transaction's commands (blocking commands then do not block).
    pub fn in_exec(&self) -> bool {
        self.exec
    }

    /// Whether this replays the AOF.
    pub fn is_loading(&self) -> bool {
        self.loading
    }

    /// How many shards this holds.
    pub fn held_shards(&self) -> usize {
        self.held().count()
    }

    /// Whether this holds declared shards (dispatch then declares nothing more).
    pub fn is_declared(&self) -> bool {
        self.declared
    }

    #[inline]
    pub fn shard_index(&self, key: &[u8]) -> usize {
        self.ks.shard_index(key)
    }

    pub fn blocking(&self) -> &'k Blocking {
        &self.ks.env.blocking
    }

    pub fn events(&self) -> &'k Events {
        &self.ks.env.events
    }

    /// Notes that a TTL was set in `db`, for the expiry cycle.
    #[inline]
    pub fn mark_expires(&self, db: usize) {
        self.ks.mark_expires(db)
    }

    /// Where the records this transaction keeps aside go from now on (`redis.set_repl`). Without
    /// a journal none are kept, and there is nothing to narrow.
    pub fn set_targets(&self, to: Targets) {
        if let Some(c) = &self.capture {
            c.lock().to = to;
        }
    }

    /// Appends a record of `db` that no single shard's write makes (MSET, DEL, FLUSHDB...); in a
    /// transaction it is kept with the transaction's others. Call it under the write's locks.
    pub fn log(&self, db: usize, args: &[&[u8]]) {
        self.logged.set(self.logged.get() + 1);
        match &self.capture {
            Some(c) => c.lock().push(db, args),
            None => {
                self.ks.env.log.append(db, args);
            }
        }
    }

    #[inline]
    fn find(&self, db: usize, idx: usize) -> Option<&Held<'k>> {
        match &self.held {
            Holds::None => None,
            Holds::One(h, _) => (h.db == db && h.idx == idx).then_some(h),
            Holds::Many(v) if v.len() <= 4 => v.iter().find(|h| h.db == db && h.idx == idx),
            Holds::Many(v) => v
                .binary_search_by(|h| (h.db, h.idx).cmp(&(db, idx)))
                .ok()
                .map(|p| &v[p]),
        }
    }

    #[cold]
    fn undeclared(&self, db: usize, idx: usize) {
        debug_assert!(
            !self.declared,
            "shard {idx} of database {db} was not declared by the command"
        );
    }

    /// Shard `i` of `db`, for reading.
    pub fn read_at(&self, db: usize, i: usize) -> ShardRef<'_> {
        match self.find(db, i) {
            Some(h) => ShardRef::Held(Ref::map(h.guard.borrow(), |g| g.shard())),
            None => {
                if self.declared {
                    self.undeclared(db, i);
                }
                ShardRef::Locked(self.ks.dbs[db].shards()[i].read())
            }
        }
    }

    /// Shard `i` of `db`, for writing.
    pub fn write_at(&self, db: usize, i: usize) -> ShardMut<'_> {
        match self.find(db, i) {
            Some(h) => ShardMut::Held(RefMut::map(h.guard.borrow_mut(), |g| g.shard_mut())),
            None => {
                if self.declared {
                    self.undeclared(db, i);
                }
                ShardMut::Locked(self.ks.dbs[db].shards()[i].write())
            }
        }
    }

    /// The shard of `key`, for reading.
    #[inline]
    pub fn read(&self, db: usize, key: &[u8]) -> ShardRef<'_> {
        if let Some(h) = self.same_key(db, key) {
            return ShardRef::Held(Ref::map(h.guard.borrow(), |g| g.shard()));
        }
        self.read_at(db, self.shard_index(key))
    }

    /// The held shard of the command's only key when `key` is that very slice.
    #[inline]
    fn same_key(&self, db: usize, key: &[u8]) -> Option<&Held<'k>> {
        match &self.held {
            Holds::One(h, at) if *at == (key.as_ptr() as usize, key.len()) && h.db == db => Some(h),
            _ => None,
        }
    }

    /// The shard of `key`, for writing. Taking it marks nothing: a write that changes a key says
    /// so with [`Shard::changed`], so WATCH aborts only after real changes, as in Redis.
    #[inline]
    pub fn write(&self, db: usize, key: &[u8]) -> ShardMut<'_> {
        if let Some(h) = self.same_key(db, key) {
            return ShardMut::Held(RefMut::map(h.guard.borrow_mut(), |g| g.shard_mut()));
        }
        self.write_at(db, self.shard_index(key))
    }

    /// The shards of `keys` once each, in ascending shard index, taken with `lock`.
    fn lock_sorted<'a, G>(
        &'a self,
        keys: impl IntoIterator<Item = &'a [u8]>,
        lock: impl Fn(usize) -> G,
    ) -> Guards<'a, G> {
        let mut idx: Vec<usize> = keys.into_iter().map(|k| self.shard_index(k)).collect();
        idx.sort_unstable();
        idx.dedup();
        Guards {
            guards: idx.into_iter().map(|i| (i, lock(i))).collect(),
            ks: self.ks,
        }
    }

    /// The shards of all `keys`, for an atomic multi-key write.
    pub fn lock_many<'a>(
        &'a self,
        db: usize,
        keys: impl IntoIterator<Item = &'a [u8]>,
    ) -> MultiLock<'a> {
        self.lock_sorted(keys, |i| self.write_at(db, i))
    }

    /// The shards of all `keys`, for an atomic multi-key read.
    pub fn read_many<'a>(
        &'a self,
        db: usize,
        keys: impl IntoIterator<Item = &'a [u8]>,
    ) -> MultiRead<'a> {
        self.lock_sorted(keys, |i| self.read_at(db, i))
    }

    /// Number of keys in `db` (keys logically expired but not yet reclaimed included, as in Redis).
    pub fn dbsize(&self, db: usize) -> usize {
        if !self.allocated(db) {
            return 0;
        }
        (0..SHARDS).map(|i| self.read_at(db, i).len()).sum()
    }

    /// (keys, keys with a TTL) of `db`, for INFO keyspace.
    pub fn db_counts(&self, db: usize) -> (usize, usize) {
        if !self.allocated(db) {
            return (0, 0);
        }
        (0..SHARDS).fold((0, 0), |(k, e), i| {
            let s = self.read_at(db, i);
            (k + s.len(), e + s.expires.len())
        })
    }

    /// Keys deleted because their TTL passed, over all databases (INFO expired_keys).
    pub fn expired_keys(&self) -> u64 {
        self.shard_sum(|s| s.expired)
    }

    /// Keys evicted under maxmemory, over all databases (INFO evicted_keys).
    pub fn evicted_keys(&self) -> u64 {
        self.shard_sum(|s| s.evicted)
    }

    /// Every shard of every database, read-held, in (database, shard) order: the lock order a
    /// snapshot takes them in (the AOF rewrite's and BGSAVE's fork, SAVE).
    pub fn read_all(&self) -> Vec<ShardRef<'_>> {
        (0..self.databases())
            .flat_map(|db| (0..SHARDS).map(move |i| self.read_at(db, i)))
            .collect()
    }

    /// Changes made since the server started (INFO rdb_changes_since_last_save: ringdis takes
    /// no snapshots).
    pub fn changes(&self) -> u64 {
        self.shard_sum(|s| s.changes)
    }

    fn shard_sum(&self, f: impl Fn(&Shard) -> u64) -> u64 {
        (0..self.databases())
            .filter(|&db| self.allocated(db))
            .flat_map(|db| (0..SHARDS).map(move |i| (db, i)))
            .map(|(db, i)| f(&self.read_at(db, i)))
            .sum()
    }

    /// CONFIG RESETSTAT.
    pub fn reset_stats(&self) {
        for db in (0..self.databases()).filter(|&db| self.allocated(db)) {
            for i in 0..SHARDS {
                self.write_at(db, i).expired = 0;
            }
        }
    }

    /// FLUSHDB: every shard of `db` is held before any is cleared, so the one FLUSHDB record
    /// sits in the AOF exactly between the writes before and after it.
    /// `lazy` (ASYNC): the values are freed by the lazy-free thread, not under the locks.
    pub fn flushdb(&self, db: usize, lazy: bool) {
        let mut all: Vec<_> = (0..SHARDS).map(|i| self.write_at(db, i)).collect();
        let mut garbage = Vec::new();
        let mut keys = 0;
        for s in all.iter_mut() {
            if let Some((maps, n)) = s.clear() {
                if lazy {
                    garbage.push(maps);
                    keys += n;
                }
            }
        }
        if !garbage.is_empty() {
            super::lazyfree::defer(garbage, keys as u64);
        }
        self.log(db, &[b"FLUSHDB"]);
    }

    pub fn flushall(&self, lazy: bool) {
        for db in 0..self.databases() {
            self.flushdb(db, lazy);
        }
    }
}

/// A transaction's [`Tx`]: until it ends, the shards it holds keep their records with it.
pub struct ExecTx<'k>(Tx<'k>);

impl<'k> ExecTx<'k> {
    /// Adds the shards of `locks` this transaction does not hold yet, write-locked, their
    /// records kept with the transaction's. A script's transaction grows so, one command at a
    /// time: the lock order may not hold, which is safe only because a script runs while no
    /// other client's command does (see `cmd::scripting`).
    pub fn hold(&mut self, locks: Locks) {
        let new: SmallVec<[(usize, usize, bool); 4]> = locks
            .ordered()
            .into_iter()
            .filter(|&(db, idx, _)| self.0.find(db, idx).is_none())
            .collect();
        let new_len = new.len();
        if new_len == 0 {
            return;
        }
        let take = |tx: &Tx<'k>, (db, idx, _): (usize, usize, bool)| {
            let h = tx.take(db, idx, true);
            if let Some(c) = &tx.capture {
                h.guard.borrow_mut().shard_mut().capture = Some(c.clone());
            }
            h
        };
        // A script's commands mostly touch one shard: kept inline, as a command's, with no
        // key position (a key is then looked up by shard).
        let mut all = match std::mem::replace(&mut self.0.held, Holds::None) {
            Holds::None if new_len == 1 => {
                self.0.held = Holds::One(take(&self.0, new[0]), (0, 0));
                return;
            }
            Holds::None => Vec::with_capacity(new_len),
            Holds::One(h, _) => {
                let mut v = Vec::with_capacity(new_len + 1);
                v.push(h);
                v
            }
            Holds::Many(v) => v,
        };
        all.extend(new.into_iter().map(|s| take(&self.0, s)));
        all.sort_unstable_by_key(|h| (h.db, h.idx));
        self.0.held = Holds::Many(all);
    }

    /// Ends the transaction: appends its records as one group (so a crash keeps all or none)
    /// while its locks are still held, then releases them. Returns the offset to wait for.
    pub fn finish(mut self) -> u64 {
        match self.0.capture.take() {
            Some(c) => {
                self.0.release_capture();
                let records = std::mem::take(&mut *c.lock());
                self.0.ks.env.log.append_group(&records)
            }
            None => 0,
        }
    }
}

impl<'k> std::ops::Deref for ExecTx<'k> {
    type Target = Tx<'k>;
    fn deref(&self) -> &Tx<'k> {
        &self.0
    }
}

impl Drop for ExecTx<'_> {
    fn drop(&mut self) {
        // Ended without finish (a WATCH abort): the shards must stop keeping records here.
        if self.0.capture.is_some() {
            self.0.release_capture();
        }
    }
}

/// Keeps keys from expiring while the AOF is replayed (see [`Tx::loading`]).
pub struct Loading<'k>(&'k Keyspace);

impl Drop for Loading<'_> {
    fn drop(&mut self) {
        self.0.env.loading.store(false, Ordering::Relaxed);
    }
}

/// A shard for reading: its read guard, or a shard the `Tx` holds.
pub enum ShardRef<'a> {
    Locked(RwLockReadGuard<'a, Shard>),
    Held(Ref<'a, Shard>),
}

/// A shard for writing: its write guard, or a shard the `Tx` holds.
pub enum ShardMut<'a> {
    Locked(RwLockWriteGuard<'a, Shard>),
    Held(RefMut<'a, Shard>),
}

impl std::ops::Deref for ShardRef<'_> {
    type Target = Shard;
    fn deref(&self) -> &Shard {
        match self {
            ShardRef::Locked(g) => g,
            ShardRef::Held(s) => s,
        }
    }
}

impl std::ops::Deref for ShardMut<'_> {
    type Target = Shard;
    fn deref(&self) -> &Shard {
        match self {
            ShardMut::Locked(g) => g,
            ShardMut::Held(s) => s,
        }
    }
}

impl std::ops::DerefMut for ShardMut<'_> {
    fn deref_mut(&mut self) -> &mut Shard {
        match self {
            ShardMut::Locked(g) => g,
            ShardMut::Held(s) => s,
        }
    }
}

/// The shards of several keys of one database, in ascending shard order.
pub struct Guards<'a, G> {
    guards: Vec<(usize, G)>,
    ks: &'a Keyspace,
}

pub type MultiLock<'a> = Guards<'a, ShardMut<'a>>;
pub type MultiRead<'a> = Guards<'a, ShardRef<'a>>;

impl<G> Guards<'_, G> {
    /// Position of `key`'s shard among the guards. Panics if it was not locked.
    fn pos(&self, key: &[u8]) -> usize {
        let idx = self.ks.shard_index(key);
        self.guards
            .binary_search_by_key(&idx, |(i, _)| *i)
            .expect("key not locked")
    }
}

impl MultiLock<'_> {
    /// The locked shard that holds `key`.
    pub fn shard(&mut self, key: &[u8]) -> &mut Shard {
        let pos = self.pos(key);
        &mut self.guards[pos].1
    }
}

impl MultiRead<'_> {
    /// The locked shard that holds `key`.
    pub fn shard(&self, key: &[u8]) -> &Shard {
        &self.guards[self.pos(key)].1
    }
}

/// Read access to the shards of several locked keys, whichever kind of lock holds them.
pub trait ShardView {
    fn view(&self, key: &[u8]) -> &Shard;
}

impl ShardView for MultiRead<'_> {
    fn view(&self, key: &[u8]) -> &Shard {
        self.shard(key)
    }
}

impl ShardView for MultiLock<'_> {
    fn view(&self, key: &[u8]) -> &Shard {
        &self.guards[self.pos(key)].1
    }
}
