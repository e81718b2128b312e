//! SAVE, BGSAVE and the save points: writing `dir/dbfilename`.
//!
//! SAVE writes on the calling executor with every shard read-locked (writes everywhere wait, as
//! every client waits for Redis's SAVE). BGSAVE takes the same locks only to fork, as the AOF
//! rewrite does: the child writes `temp-<pid>.rdb` beside the target, fdatasyncs it, renames
//! it over the target and exits; the parent polls for it on a timer and records the outcome.
//! Either way a crash leaves the old file or the complete new one (a stale temporary file is
//! removed at the next start).

use super::{write, SaveOpts, Saved};
use crate::keyspace::{ShardRef, Tx};
use parking_lot::Mutex;
use std::io;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

/// Prefix of the temporary files a save writes.
pub const TEMP_PREFIX: &str = "temp-";
/// After a failed background save, the save points wait this long before trying again
/// (Redis's CONFIG_BGSAVE_RETRY_DELAY).
const RETRY_DELAY_SECS: u64 = 5;

/// Snapshot state for INFO persistence, LASTSAVE and the save points.
pub struct State {
    pub in_progress: AtomicBool,
    /// The child's pid while a BGSAVE runs (0: none).
    pub child: AtomicI32,
    pub started: Mutex<Option<Instant>>,
    pub last_ok: AtomicBool,
    /// Seconds the last background save took (-1: none yet).
    pub last_secs: AtomicI64,
    pub saves: AtomicU64,
    /// Unix seconds of the last successful save (start-up counts as one, as in Redis).
    pub lastsave: AtomicU64,
    /// Unix seconds of the last background save attempt.
    pub last_try: AtomicU64,
    /// The keyspace's change count that the last successful save covered.
    pub changes_saved: AtomicU64,
    /// Keys the last load put in and left out as expired.
    pub loaded_keys: AtomicU64,
    pub loaded_expired: AtomicU64,
}

impl State {
    pub fn new(started_unix: u64) -> Self {
        State {
            in_progress: AtomicBool::new(false),
            child: AtomicI32::new(0),
            started: Mutex::new(None),
            last_ok: AtomicBool::new(true),
            last_secs: AtomicI64::new(-1),
            saves: AtomicU64::new(0),
            lastsave: AtomicU64::new(started_unix),
            last_try: AtomicU64::new(0),
            changes_saved: AtomicU64::new(0),
            loaded_keys: AtomicU64::new(0),
            loaded_expired: AtomicU64::new(0),
        }
    }

    /// Records a successful save that covered `changes`.
    fn saved(&self, changes: u64) {
        self.lastsave.store(unix_secs(), Ordering::Relaxed);
        self.changes_saved.store(changes, Ordering::Relaxed);
        self.saves.fetch_add(1, Ordering::Relaxed);
        self.last_ok.store(true, Ordering::Relaxed);
    }
}

fn unix_secs() -> u64 {
    crate::keyspace::now_ms() / 1000
}

/// What a save needs of the server. Implemented by the shared state above this module.
pub trait Host: Send + Sync + 'static {
    fn rdb(&self) -> &State;
    fn stopping(&self) -> bool;
    /// The code of every function library.
    fn libraries(&self) -> Vec<Arc<[u8]>>;
    /// `dir/dbfilename`.
    fn rdb_path(&self) -> PathBuf;
    /// rdbcompression, rdbchecksum, the version written, the memory in use.
    fn save_opts(&self) -> (bool, bool, &'static str, u64);
    /// Holds a replica's stream still (no command of it between being applied and being
    /// counted) while the guard lives. Taken before any shard.
    fn hold_stream(&self) -> parking_lot::MutexGuard<'_, ()>;
    /// As a replica, the position its data stands at (read under [`Host::hold_stream`]).
    fn repl_point(&self) -> Option<super::ReplPoint>;
}

/// Every shard of every database, read-locked, the change count they cover, and where the data
/// stands in a master's stream.
fn hold_all<'t, H: Host>(
    host: &H,
    tx: &'t Tx<'_>,
) -> (Vec<ShardRef<'t>>, u64, Option<super::ReplPoint>) {
    let stream = host.hold_stream();
    let guards = tx.read_all();
    let repl = host.repl_point();
    drop(stream);
    let changes = guards.iter().map(|g| g.changes).sum();
    (guards, changes, repl)
}

/// Writes the snapshot to a temporary file beside `path`, syncs it and renames it over `path`,
/// then syncs the directory.
fn write_file<H: Host>(
    host: &H,
    shards: &[ShardRef<'_>],
    libraries: &[Arc<[u8]>],
    repl: Option<super::ReplPoint>,
    path: &Path,
) -> io::Result<Saved> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let tmp = dir.join(format!("{TEMP_PREFIX}{}.rdb", std::process::id()));
    let (compress, checksum, version, used_mem) = host.save_opts();
    let opts = SaveOpts {
        compress,
        checksum,
        version,
        used_mem,
        repl,
    };
    let res = (|| {
        let f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o644)
            .open(&tmp)?;
        let (saved, w) = write(
            io::BufWriter::with_capacity(1 << 20, f),
            shards,
            libraries,
            &opts,
            crate::keyspace::now_ms(),
        )?;
        let f = w.into_inner().map_err(|e| e.into_error())?;
        f.sync_data()?;
        std::fs::rename(&tmp, path)?;
        std::fs::File::open(dir)?.sync_all()?;
        Ok(saved)
    })();
    if res.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    res
}

/// SAVE: writes the file now, on this thread, with every shard held.
pub fn save<H: Host>(host: &H, tx: &Tx<'_>) -> io::Result<Saved> {
    let rdb = host.rdb();
    let (guards, changes, repl) = hold_all(host, tx);
    let libraries = host.libraries();
    let path = host.rdb_path();
    let res = write_file(host, &guards, &libraries, repl, &path);
    drop(guards);
    match &res {
        Ok(s) => {
            rdb.saved(changes);
            crate::notice!("DB saved on disk ({} keys, {} bytes)", s.keys, s.bytes);
        }
        Err(e) => {
            rdb.last_ok.store(false, Ordering::Relaxed);
            crate::warning!("Failed saving the DB: {e}");
        }
    }
    res
}

/// Why a background save did not start.
#[derive(Debug)]
pub enum BgError {
    InProgress,
    Fork(io::Error),
}

/// BGSAVE: forks a child that writes the file; the outcome is recorded by a task on this
/// executor. Must run on an executor thread.
pub fn bgsave<H: Host>(host: &Arc<H>, tx: &Tx<'_>) -> Result<(), BgError> {
    let rdb = host.rdb();
    if rdb.in_progress.swap(true, Ordering::AcqRel) {
        return Err(BgError::InProgress);
    }
    rdb.last_try.store(unix_secs(), Ordering::Relaxed);
    *rdb.started.lock() = Some(Instant::now());
    let (forked, changes, ()) =
        fork_writer(&**host, tx, &host.rdb_path(), "background save", || ());
    let pid = forked.map_err(|e| {
        rdb.in_progress.store(false, Ordering::Release);
        rdb.last_ok.store(false, Ordering::Relaxed);
        *rdb.started.lock() = None;
        BgError::Fork(e)
    })?;
    rdb.child.store(pid, Ordering::Relaxed);
    crate::notice!("Background saving started by pid {pid}");
    glommio::spawn_local(finish(host.clone(), pid, changes)).detach();
    Ok(())
}

/// Forks a child that writes the snapshot to `path` (a replica's full sync). `at_snapshot`
/// runs with every shard held, at the moment the child's copy is taken; its result comes back
/// with the child's pid. Must run on an executor thread.
pub fn fork_snapshot<H: Host, T>(
    host: &H,
    tx: &Tx<'_>,
    path: &Path,
    at_snapshot: impl FnOnce() -> T,
) -> io::Result<(i32, T)> {
    let (forked, _, t) = fork_writer(host, tx, path, "replication snapshot", at_snapshot);
    Ok((forked?, t))
}

/// Forks a child that writes every shard's data to `path` (BGSAVE's and a full sync's), with
/// the shards read-held only for the fork; `at_fork` runs while they are held. Returns the
/// fork's outcome, the change count the snapshot covers and what `at_fork` returned.
fn fork_writer<H: Host, T>(
    host: &H,
    tx: &Tx<'_>,
    path: &Path,
    what: &str,
    at_fork: impl FnOnce() -> T,
) -> (io::Result<i32>, u64, T) {
    let (guards, changes, repl) = hold_all(host, tx);
    let t = at_fork();
    let libraries = host.libraries();
    let forked = crate::aof::child::fork(what, || {
        write_file(host, &guards, &libraries, repl, path).map(|_| ())
    });
    drop(guards);
    (forked, changes, t)
}

/// Waits for the child and records what it did.
async fn finish<H: Host>(host: Arc<H>, pid: i32, changes: u64) {
    let rdb = host.rdb();
    let res = crate::aof::child::wait(pid, || host.stopping()).await;
    if res.is_err() && host.stopping() {
        let tmp = format!("{TEMP_PREFIX}{pid}.rdb");
        let _ = std::fs::remove_file(host.rdb_path().with_file_name(tmp));
    }
    let ok = res.is_ok();
    let took = rdb
        .started
        .lock()
        .take()
        .map_or(0, |t| t.elapsed().as_secs() as i64);
    rdb.last_secs.store(took, Ordering::Relaxed);
    if ok {
        rdb.saved(changes);
        crate::notice!("Background saving terminated with success");
    } else {
        rdb.last_ok.store(false, Ordering::Relaxed);
        crate::warning!("Background saving error");
    }
    rdb.child.store(0, Ordering::Relaxed);
    rdb.in_progress.store(false, Ordering::Release);
}

/// The save points of `save` ("3600 1 300 100": after 3600 s if 1 change, ...); None when the
/// text is not pairs of numbers.
pub fn parse_points(text: &str) -> Option<Vec<(u64, u64)>> {
    let words: Vec<u64> = text
        .split_whitespace()
        .map(|w| w.parse().ok())
        .collect::<Option<_>>()?;
    if !words.len().is_multiple_of(2) {
        return None;
    }
    Some(words.chunks(2).map(|p| (p[0], p[1])).collect())
}

/// Whether a save point is reached: `changes` since the last save and enough seconds since it
/// (and, after a failed attempt, since that attempt), as Redis's serverCron checks them.
pub fn point_reached(state: &State, points: &[(u64, u64)], changes: u64) -> bool {
    if state.in_progress.load(Ordering::Acquire) {
        return false;
    }
    let now = unix_secs();
    let dirty = changes.saturating_sub(state.changes_saved.load(Ordering::Relaxed));
    let since = now.saturating_sub(state.lastsave.load(Ordering::Relaxed));
    let retry_ok = state.last_ok.load(Ordering::Relaxed)
        || now.saturating_sub(state.last_try.load(Ordering::Relaxed)) > RETRY_DELAY_SECS;
    retry_ok && points.iter().any(|&(secs, n)| dirty >= n && since >= secs)
}

/// Removes temporary files a crashed save left in `dir`.
pub fn remove_stale_temps(dir: &Path) {
    crate::aof::child::remove_temps(dir, TEMP_PREFIX, ".rdb");
}

/// Loads the RDB file at `path` into `sink` (see [`super::load`]).
pub fn load_file<S: super::Sink + ?Sized>(
    state: &State,
    path: &Path,
    sink: &mut S,
) -> Result<super::Loaded, String> {
    let data = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let loaded = super::load(&data, crate::keyspace::now_ms(), sink)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    state.loaded_keys.store(loaded.keys, Ordering::Relaxed);
    state
        .loaded_expired
        .store(loaded.expired, Ordering::Relaxed);
    Ok(loaded)
}
