//! Rewriting the append-only file (BGREWRITEAOF and the automatic trigger) while the server
//! keeps serving.
//!
//! 1. With every shard read-locked (no write half-applied, none starting), the diff starts
//!    collecting every later record, and the process forks. The child sees exactly the data set
//!    as of the last record before the diff: it writes it as commands to a temporary file in the
//!    same directory, fdatasyncs it and exits. The locks are released right after the fork.
//! 2. Meanwhile the server appends to the old file as usual, and copies each record to the diff.
//! 3. When the child is done, the diff is appended to the temporary file in the background.
//!    Then, as the group-commit leader (so nothing is written to the old file meanwhile), the last
//!    of the diff is appended, the file is fdatasync'ed and renamed over the old one, and the
//!    directory is synced. Replies waiting for records in the diff are released: they are in the
//!    new file.
//!
//! A crash at any moment leaves either the old file (the rename has not happened; a leftover
//! temporary file is removed at the next start) or the complete new one.

use super::format::BatchBuf;
use super::{io_err, Aof, Diff};
use crate::error::{CmdError, CmdResult};
use crate::keyspace::{Coll, ShardRef, Tx};
use glommio::io::{BufferedFile, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

/// Fields per HSET record in a rewritten file (Redis: 64 items per command).
const ITEMS_PER_CMD: usize = 64;
/// The child writes the snapshot in batches of about this size.
const SNAPSHOT_BATCH: usize = 1 << 20;
/// Diff chunks below this size are left for the final, leader-held step.
const CATCH_UP_DONE: usize = 64 * 1024;

/// Prefix of the temporary files a rewrite writes (removed at start-up if a crash left one).
pub const TEMP_PREFIX: &str = "temp-rewriteaof-";

impl Aof {
    /// Called under every shard lock, with the snapshot: records numbered from now on are the
    /// writes the snapshot misses.
    fn begin_diff(&self, enable_after: bool) {
        let mut st = self.st.lock();
        if st.enabled || enable_after {
            st.diff = Some(Diff {
                buf: BatchBuf::default(),
                db: usize::MAX,
            });
            st.diff_from = self.lanes.appended();
            self.active.store(true, Ordering::Release);
        }
    }

    /// Takes the diff collected so far, sealed.
    fn take_diff(&self) -> Vec<u8> {
        let mut st = self.st.lock();
        self.collect(&mut st);
        match &mut st.diff {
            Some(d) => d.buf.take(Vec::new()).seal(),
            None => Vec::new(),
        }
    }

    fn abort_diff(&self) {
        let mut st = self.st.lock();
        st.diff = None;
        self.update_active(&st);
    }

    /// Waits to become the group-commit leader.
    async fn acquire_leader(&self) {
        loop {
            let l = self.progress.listen();
            {
                let mut st = self.st.lock();
                if !st.leader {
                    st.leader = true;
                    return;
                }
            }
            l.await;
        }
    }

    /// As the leader: ends the diff. Returns its last part, the bytes not yet in the old file
    /// (kept in case the switch fails) and the records the new file covers. Records from here
    /// on are pending for the new file (with `enable`, appending starts now).
    fn end_diff(&self, enable: bool) -> (Vec<u8>, Vec<u8>, u64) {
        let mut st = self.st.lock();
        let covered = self.collect(&mut st);
        let last = match st.diff.take() {
            Some(mut d) => d.buf.take(Vec::new()).seal(),
            None => Vec::new(),
        };
        let mut old = std::mem::take(&mut st.retry);
        old.extend_from_slice(&st.pending.take(Vec::new()).seal());
        // A SELECT is needed before the next record: the new file ends in any database.
        st.db = usize::MAX;
        let on = st.enabled || enable;
        self.set_enabled(&mut st, on);
        (last, old, covered)
    }

    /// The new file is in place: everything up to `covered` is durable in it.
    fn switched(&self, size: u64, covered: u64) {
        let mut st = self.st.lock();
        st.file_len = size;
        // The new file has no reserve: the next write lays one down.
        st.reserve_end = size;
        st.gen += 1;
        st.leader = false;
        self.written.fetch_max(covered, Ordering::AcqRel);
        self.synced.fetch_max(covered, Ordering::AcqRel);
        self.cur_size.store(size, Ordering::Relaxed);
        self.base_size.store(size, Ordering::Relaxed);
        drop(st);
        self.progress.notify(usize::MAX);
    }

    /// The switch failed: the old file stays, and what was not written to it yet goes first.
    /// With `enable` there is no old file: appending stops again, and what was pending for the
    /// new file is dropped (its writers are released; CONFIG SET appendonly yes reported the
    /// failure).
    fn switch_failed(&self, old: Vec<u8>, enable: bool) {
        let mut st = self.st.lock();
        st.leader = false;
        if enable {
            self.collect(&mut st);
            st.pending.take(Vec::new());
            self.set_enabled(&mut st, false);
            let all = self.lanes.appended();
            self.written.fetch_max(all, Ordering::AcqRel);
            self.synced.fetch_max(all, Ordering::AcqRel);
        }
        if !old.is_empty() {
            let newer = std::mem::take(&mut st.retry);
            st.retry = old;
            st.retry.extend_from_slice(&newer);
        }
        drop(st);
        self.progress.notify(usize::MAX);
    }

    /// Whether the automatic rewrite is due (Redis's auto-aof-rewrite-percentage/min-size rule).
    pub fn rewrite_due(&self) -> bool {
        if self.rewrite.in_progress.load(Ordering::Relaxed) || !self.enabled() {
            return false;
        }
        // CONFIG SET dir: the file moves with the next rewrite, so one is due at once.
        if self.moving() {
            return true;
        }
        let pct = self.rewrite_pct.load(Ordering::Relaxed);
        if pct == 0 {
            return false;
        }
        let cur = self.cur_size.load(Ordering::Relaxed);
        let base = self.base_size.load(Ordering::Relaxed).max(1);
        cur >= self.rewrite_min.load(Ordering::Relaxed) && (cur - base.min(cur)) * 100 / base >= pct
    }
}

/// What a rewrite needs of the server: its data, its file, and whether it is stopping.
/// Implemented by the shared state above this module, so the file does not depend on it.
pub trait Host: Send + Sync + 'static {
    fn aof(&self) -> &Arc<Aof>;
    fn stopping(&self) -> bool;
    /// The code of every function library (FUNCTION LOAD), written first in the new file.
    fn libraries(&self) -> Vec<Arc<[u8]>>;
}

/// Starts a rewrite (on an executor thread: the finishing step runs as a task there).
/// `enable_after`: turn appending on when it is done (CONFIG SET appendonly yes). The snapshot
/// holds every shard through `tx` (inside EXEC, the transaction's own holds).
pub fn start<H: Host>(host: &Arc<H>, tx: &Tx, enable_after: bool) -> CmdResult<()> {
    let aof = host.aof();
    if aof.rewrite.in_progress.swap(true, Ordering::AcqRel) {
        return Err(CmdError::RewriteInProgress);
    }
    *aof.rewrite.started.lock() = Some(Instant::now());
    let (dir, path) = aof.target();
    let tmp = dir.join(format!("{TEMP_PREFIX}{}.aof", std::process::id()));
    let guards = tx.read_all();
    // Read with every shard held: FUNCTION LOAD and its kin hold them all too, so each is
    // either in this list or in the diff, never both or neither.
    let libraries = host.libraries();
    aof.begin_diff(enable_after);
    let forked = super::child::fork("AOF rewrite", || write_snapshot(&libraries, &guards, &tmp));
    drop(guards);
    let pid = forked.map_err(|e| {
        aof.abort_diff();
        aof.rewrite.in_progress.store(false, Ordering::Release);
        aof.rewrite.last_ok.store(false, Ordering::Relaxed);
        CmdError::Other(format!(
            "Can't rewrite append only file in background: fork: {e}"
        ))
    })?;
    crate::notice!("background AOF rewrite started by pid {pid}");
    glommio::spawn_local(finish(host.clone(), pid, tmp, (dir, path), enable_after)).detach();
    Ok(())
}

/// The child's work: the data set as commands, in checksummed batches, fdatasync'ed (also how
/// start-up writes the first file of data imported from Redis's files).
pub fn write_snapshot(
    libraries: &[Arc<[u8]>],
    shards: &[ShardRef<'_>],
    tmp: &Path,
) -> io::Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(super::FILE_MODE)
        .open(tmp)?;
    let now = crate::keyspace::now_ms();
    let mut b = BatchBuf::default();
    for code in libraries {
        b.push(&[b"FUNCTION", b"LOAD", b"REPLACE", code]);
    }
    let mut cur_db = usize::MAX;
    let mut num = itoa::Buffer::new();
    for s in shards {
        let db = s.db();
        let live = |k: &[u8]| s.ttl_of(k).filter(|&at| at > now);
        let mut select = |b: &mut BatchBuf| {
            if cur_db != db {
                b.push(&[b"SELECT", itoa::Buffer::new().format(db).as_bytes()]);
                cur_db = db;
            }
        };
        for (k, v) in s.strings.iter() {
            if s.is_expired(k, now) {
                continue;
            }
            select(&mut b);
            match live(k) {
                Some(at) => b.push(&[b"SET", k, v, b"PXAT", num.format(at).as_bytes()]),
                None => b.push(&[b"SET", k, v]),
            };
        }
        for (k, h) in &s.hashes {
            if s.is_expired(k, now) {
                continue;
            }
            select(&mut b);
            let fields: Vec<(&[u8], &[u8])> = h.iter().collect();
            for chunk in fields.chunks(ITEMS_PER_CMD) {
                let mut rec: Vec<&[u8]> = Vec::with_capacity(2 + 2 * chunk.len());
                rec.push(b"HSET");
                rec.push(k);
                for (f, v) in chunk {
                    rec.push(f);
                    rec.push(v);
                }
                b.push(&rec);
            }
            if let Some(at) = live(k) {
                b.push(&[b"PEXPIREAT", k, num.format(at).as_bytes()]);
            }
        }
        for (k, c) in &s.colls {
            if s.is_expired(k, now) {
                continue;
            }
            select(&mut b);
            // Sorted sets as ZADD score member pairs, scores printed exactly (%.17g).
            let scores: Vec<Vec<u8>>;
            let members: Vec<crate::keyspace::Member>;
            let (name, items, step): (&[u8], Vec<&[u8]>, usize) = match c {
                Coll::List(l) => (b"RPUSH", l.iter().collect(), 1),
                Coll::Set(set) => {
                    members = set.iter().collect();
                    (b"SADD", members.iter().map(|m| &**m).collect(), 1)
                }
                Coll::ZSet(z) => {
                    scores = z
                        .iter_from(0, false)
                        .map(|(_, sc)| crate::resp::format_score(sc))
                        .collect();
                    let items = z
                        .iter_from(0, false)
                        .zip(&scores)
                        .flat_map(|((m, _), sc)| [sc.as_slice(), m])
                        .collect();
                    (b"ZADD", items, 2)
                }
                Coll::Stream(st) => {
                    let _ = st.rdb_value().commands(k, |argv| {
                        b.push(argv);
                        Ok::<(), ()>(())
                    });
                    (b"", Vec::new(), 1)
                }
            };
            for chunk in items.chunks(ITEMS_PER_CMD * step) {
                let mut rec: Vec<&[u8]> = Vec::with_capacity(2 + chunk.len());
                rec.push(name);
                rec.push(k);
                rec.extend_from_slice(chunk);
                b.push(&rec);
            }
            if let Some(at) = live(k) {
                b.push(&[b"PEXPIREAT", k, num.format(at).as_bytes()]);
            }
        }
        if b.buf.len() >= SNAPSHOT_BATCH {
            f.write_all(&b.take(Vec::new()).seal())?;
        }
    }
    f.write_all(&b.take(Vec::new()).seal())?;
    f.sync_data()
}

/// Writes all of `bytes` at `pos`.
async fn write_all_at(f: &BufferedFile, bytes: &[u8], mut pos: u64) -> io::Result<()> {
    let mut done = 0;
    while done < bytes.len() {
        let n = f
            .write_at(bytes[done..].to_vec(), pos)
            .await
            .map_err(io_err)?;
        if n == 0 {
            return Err(io::Error::from_raw_os_error(libc::ENOSPC));
        }
        done += n;
        pos += n as u64;
    }
    Ok(())
}

/// Waits for the child, then appends the diff and switches files (see the module comment).
/// `to`: the directory and path the new file goes to.
async fn finish<H: Host>(
    host: Arc<H>,
    pid: i32,
    tmp: PathBuf,
    to: (PathBuf, PathBuf),
    enable_after: bool,
) {
    let aof = host.aof();
    let res = finish_inner(&*host, pid, &tmp, to, enable_after).await;
    let took = aof
        .rewrite
        .started
        .lock()
        .take()
        .map_or(0, |t| t.elapsed().as_secs() as i64);
    aof.rewrite.last_secs.store(took, Ordering::Relaxed);
    match res {
        Ok(size) => {
            aof.rewrite.last_ok.store(true, Ordering::Relaxed);
            aof.rewrite.count.fetch_add(1, Ordering::Relaxed);
            crate::notice!("background AOF rewrite finished: {size} bytes");
        }
        Err(e) => {
            aof.abort_diff();
            let _ = std::fs::remove_file(&tmp);
            aof.rewrite.last_ok.store(false, Ordering::Relaxed);
            crate::warning!("background AOF rewrite failed: {e}");
        }
    }
    aof.rewrite.in_progress.store(false, Ordering::Release);
}

async fn finish_inner<H: Host>(
    host: &H,
    pid: i32,
    tmp: &Path,
    (dir, path): (PathBuf, PathBuf),
    enable_after: bool,
) -> io::Result<u64> {
    let aof = host.aof();
    super::child::wait(pid, || host.stopping()).await?;
    let mut f = OpenOptions::new()
        .write(true)
        .buffered_open(tmp)
        .await
        .map_err(io_err)?;
    let mut size = f.file_size().await.map_err(io_err)?;
    // Catch up with the diff while the server keeps writing the old file.
    loop {
        let chunk = aof.take_diff();
        write_all_at(&f, &chunk, size).await?;
        size += chunk.len() as u64;
        if chunk.len() < CATCH_UP_DONE {
            break;
        }
    }
    aof.acquire_leader().await;
    let (last, old, covered) = aof.end_diff(enable_after);
    let switch = async {
        write_all_at(&f, &last, size).await?;
        size += last.len() as u64;
        f.fdatasync().await.map_err(io_err)?;
        f.rename(&path).await.map_err(io_err)?;
        io::Result::Ok(())
    }
    .await;
    let _ = f.close().await;
    match switch {
        Ok(()) => {
            aof.moved(dir.clone());
            aof.switched(size, covered);
            // The rename is what makes the new file the AOF after a power loss: sync the
            // directory. A failure here is only logged: the new file is already the one in use.
            let sync_dir = async {
                glommio::io::Directory::open(&dir)
                    .await
                    .map_err(io_err)?
                    .sync()
                    .await
                    .map_err(io_err)
            };
            if let Err(e) = sync_dir.await {
                crate::warning!("syncing {} after the AOF rewrite: {e}", dir.display());
            }
            Ok(size)
        }
        Err(e) => {
            aof.switch_failed(old, enable_after);
            Err(e)
        }
    }
}

/// Removes temporary files a crashed rewrite left in `dir`.
pub fn remove_stale_temps(dir: &Path) {
    super::child::remove_temps(dir, TEMP_PREFIX, ".aof");
}
