//! The append-only file: every write's effect is appended as a Redis command, and replayed at
//! start-up.
//!
//! How a write becomes durable:
//! - The handler applies the write under its shard lock(s) and, still holding them, appends the
//!   record to its thread's lane with a global sequence number ([`Aof::append`], [`lanes`]): no
//!   lock shared by every executor. Numbers of one key's records are in the order the writes were
//!   applied, whichever executors ran them, and the file follows the numbers; a transaction's
//!   records share one number and land in one checksummed batch.
//! - The connection remembers the count of records appended after its last write and, before
//!   sending the replies of its batch, waits until that many are written (`everysec`, `no`) or
//!   written and fdatasync'ed (`always`) ([`LocalAof::wait`]).
//! - Group commit: a waiting connection wakes its executor's writer task
//!   ([`LocalAof::writer`]); one writer at a time is the leader: it collects the lanes in number
//!   order and writes everything with one io_uring write on its executor's own handle of the file
//!   (O_DSYNC under `always`). Everything appended meanwhile goes out in its next write, started
//!   as soon as the previous one completes. Each write ends on a line boundary and, while the
//!   server runs, lands on a reserve of filler lines after the data (see [`format`]), so it
//!   overwrites blocks in place instead of growing the file.
//! - Under `everysec`, executor 0's timer fdatasyncs once a second, through io_uring, so no
//!   executor ever blocks on the disk.
//! - A failed write or fdatasync keeps its bytes for a retry at the same file offset (executor 0
//!   retries every tick); meanwhile write commands are refused with `-MISCONF`, nothing waiting is
//!   acknowledged, and the first successful retry clears the error.
//!
//! Lock order: shard locks (see [`crate::keyspace`]), then the AOF state mutex (held by the
//! collector and the leader, never by a write, never across an `.await`), then a lane's mutex.

pub mod backlog;
pub mod child;
pub mod format;
pub mod lanes;
pub mod manifest;
pub mod replay;
pub mod rewrite;

use crate::config::{Config, Fsync};
use format::BatchBuf;
use glommio::io::{BufferedFile, OpenOptions};
use parking_lot::Mutex;
use std::cell::RefCell;
use std::io;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicI64, AtomicU64, AtomicU8, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub use crate::keyspace::Records;
use crate::keyspace::{TO_AOF, TO_REPLICAS};

impl crate::keyspace::Journal for Aof {
    fn append(&self, db: usize, args: &[&[u8]]) -> u64 {
        Aof::append(self, db, args)
    }

    fn append_group(&self, records: &Records) -> u64 {
        Aof::append_group(self, records)
    }

    #[inline]
    fn active(&self) -> bool {
        self.active.load(Ordering::Acquire)
    }
}

/// Mutable state, under [`Aof::st`].
struct State {
    /// Appending to the file (appendonly yes, and not loading).
    enabled: bool,
    /// Records collected from the lanes, for the file.
    pending: BatchBuf,
    collector: lanes::Collector,
    /// The database the file's last record ran in (usize::MAX: none yet), to insert SELECTs.
    db: usize,
    /// Records numbered below this are in `pending`, written, or were not for the file (it was
    /// off): what the next write covers.
    file_end: u64,
    /// Records numbered from this on go to the rewrite's diff (the snapshot has the others).
    diff_from: u64,
    /// A leader is writing (or a rewrite is switching files).
    leader: bool,
    /// Where the next batch goes in the file.
    file_len: u64,
    /// End of the reserve of filler lines after `file_len` that writes overwrite in place
    /// (`file_len` when there is none): the file's size.
    reserve_end: u64,
    /// Bumped when a rewrite replaces the file; executors reopen their handle.
    gen: u64,
    /// Sealed bytes whose write failed: the next leader writes them first, at `file_len`.
    retry: Vec<u8>,
    /// Buffer recycled from the last successful write.
    spare: Vec<u8>,
    /// Records since a rewrite's snapshot, for the rewritten file.
    diff: Option<Diff>,
    /// The replication stream, once a replica attached (see [`backlog`]).
    repl: Option<backlog::Backlog>,
}

/// What a rewrite in progress collects after its snapshot.
pub(crate) struct Diff {
    buf: BatchBuf,
    db: usize,
}

/// Appends an encoded command (of database `db`) to `buf`, preceded by a SELECT when the
/// database changes.
fn push_in_db(buf: &mut BatchBuf, cur: &mut usize, db: usize, cmd: &[u8], group: bool) {
    if *cur != db {
        buf.push(&[b"SELECT", itoa::Buffer::new().format(db).as_bytes()]);
        *cur = db;
    }
    buf.hold_open = group;
    buf.push_encoded(cmd);
}

/// Rewrite bookkeeping for INFO persistence.
#[derive(Default)]
pub struct RewriteStats {
    pub in_progress: AtomicBool,
    pub last_ok: AtomicBool,
    /// Seconds the last rewrite took, -1 before the first.
    pub last_secs: AtomicI64,
    pub started: Mutex<Option<Instant>>,
    pub count: AtomicU64,
}

/// The append-only file of one server.
pub struct Aof {
    loc: Mutex<Loc>,
    st: Mutex<State>,
    lanes: lanes::Lanes,
    /// Fast check for the hot path: records are wanted (enabled, or a rewrite collects a diff).
    active: AtomicBool,
    /// Mirror of the state's `enabled`: replies wait for records only when they go to the file.
    on: AtomicBool,
    /// Records (counted as [`lanes`] numbers them) written, and written and fdatasync'ed.
    written: AtomicU64,
    synced: AtomicU64,
    progress: event_listener::Event,
    policy: AtomicU8,
    /// errno of the last failed write or fdatasync; 0 once one succeeds.
    err: AtomicI32,
    /// Test hook (DEBUG AOF-FAULT): fail every write with this errno.
    fault: AtomicI32,
    pub rewrite: RewriteStats,
    /// File size after the last rewrite or load, for the automatic rewrite.
    pub base_size: AtomicU64,
    pub cur_size: AtomicU64,
    pub rewrite_pct: AtomicU64,
    pub rewrite_min: AtomicU64,
    /// Connections whose wait ended since the last leader started (for the commit delay).
    released: std::sync::atomic::AtomicU32,
    /// Connections waiting for their records right now.
    waiting: std::sync::atomic::AtomicU32,
    /// A leader is holding its write back for more records; arrivals wake it.
    delaying: AtomicBool,
    arrivals: event_listener::Event,
}

/// The longest an `always` leader waits for the clients the last write released to send their
/// next write (a few loopback round trips plus their replies' sends).
/// The permissions the append-only file is created with (less the umask), as Redis creates it.
pub const FILE_MODE: u32 = 0o644;

const MAX_COMMIT_DELAY: Duration = Duration::from_micros(500);

/// Reserve lines a write lays down when it goes past the reserve (1 MiB): about one write in
/// 20,000 non-pipelined SETs appends (and under `always` pays a journal commit).
const RESERVE_LINES: usize = (1 << 20) / format::LINE as usize;

fn policy_code(p: Fsync) -> u8 {
    match p {
        Fsync::Always => 0,
        Fsync::Everysec => 1,
        Fsync::No => 2,
    }
}

/// The errno inside a glommio error (its enhanced errors wrap the OS error).
pub fn io_err(e: glommio::GlommioError<()>) -> io::Error {
    match e {
        glommio::GlommioError::EnhancedIoError { source, .. } => source,
        other => other.into(),
    }
}

fn errno(e: &io::Error) -> i32 {
    e.raw_os_error().unwrap_or(libc::EIO)
}

/// The C library's text for an errno, as Redis prints it in MISCONF.
pub fn strerror(errno: i32) -> String {
    // SAFETY: strerror returns a pointer to a NUL-terminated static or thread-local string.
    unsafe { std::ffi::CStr::from_ptr(libc::strerror(errno)) }
        .to_string_lossy()
        .into_owned()
}

/// Where the file is. `want` is the directory CONFIG SET dir chose: the next rewrite writes the
/// new file there and appending follows it (the old file stays where it was, as Redis's does).
struct Loc {
    dir: PathBuf,
    name: PathBuf,
    want: PathBuf,
}

impl Loc {
    fn new(dir: &Path, name: &str) -> Loc {
        // Absolute, so a later change of the working directory cannot move it.
        let dir = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
        Loc {
            want: dir.clone(),
            dir,
            name: name.into(),
        }
    }
}

impl Aof {
    /// The file's path.
    pub fn path(&self) -> PathBuf {
        let l = self.loc.lock();
        l.dir.join(&l.name)
    }

    /// The directory the file is in.
    pub fn dir(&self) -> PathBuf {
        self.loc.lock().dir.clone()
    }

    /// Makes the next rewrite put the file in `dir` (CONFIG SET dir).
    pub fn move_to(&self, dir: PathBuf) {
        self.loc.lock().want = dir;
    }

    /// The file is still in a directory other than the one CONFIG SET dir chose.
    pub fn moving(&self) -> bool {
        let l = self.loc.lock();
        l.dir != l.want
    }

    /// Where the next rewrite writes: (directory, file path).
    fn target(&self) -> (PathBuf, PathBuf) {
        let l = self.loc.lock();
        (l.want.clone(), l.want.join(&l.name))
    }

    /// A rewrite put the file at `dir` (called before its generation changes, so appending
    /// reopens it there).
    fn moved(&self, dir: PathBuf) {
        self.loc.lock().dir = dir;
    }

    pub fn new(config: &Config) -> Self {
        Aof {
            loc: Mutex::new(Loc::new(&config.dir, &config.appendfilename)),
            st: Mutex::new(State {
                enabled: false,
                pending: BatchBuf::default(),
                collector: Default::default(),
                db: usize::MAX,
                file_end: 0,
                diff_from: 0,
                leader: false,
                file_len: 0,
                reserve_end: 0,
                gen: 0,
                retry: Vec::new(),
                spare: Vec::new(),
                diff: None,
                repl: None,
            }),
            lanes: Default::default(),
            active: AtomicBool::new(false),
            on: AtomicBool::new(false),
            written: AtomicU64::new(0),
            synced: AtomicU64::new(0),
            progress: event_listener::Event::new(),
            policy: AtomicU8::new(policy_code(config.appendfsync)),
            err: AtomicI32::new(0),
            fault: AtomicI32::new(0),
            rewrite: RewriteStats {
                last_ok: AtomicBool::new(true),
                last_secs: AtomicI64::new(-1),
                ..Default::default()
            },
            base_size: AtomicU64::new(0),
            cur_size: AtomicU64::new(0),
            rewrite_pct: AtomicU64::new(config.auto_aof_rewrite_percentage as u64),
            rewrite_min: AtomicU64::new(config.auto_aof_rewrite_min_size),
            released: Default::default(),
            waiting: Default::default(),
            delaying: AtomicBool::new(false),
            arrivals: event_listener::Event::new(),
        }
    }

    /// Starts appending at `next`, the file being `size` bytes long (after loading it); what
    /// lies between is a reserve of filler lines (see [`format`]).
    pub fn enable(&self, next: u64, size: u64) {
        let mut st = self.st.lock();
        self.set_enabled(&mut st, true);
        st.file_len = next;
        st.reserve_end = size.max(next);
        self.cur_size.store(next, Ordering::Relaxed);
    }

    /// Stops appending (CONFIG SET appendonly no); what is pending still gets written.
    pub fn disable(&self) {
        let mut st = self.st.lock();
        self.collect(&mut st);
        self.set_enabled(&mut st, false);
    }

    fn set_enabled(&self, st: &mut State, on: bool) {
        if on && !st.enabled {
            // The file may end in any database.
            st.db = usize::MAX;
        }
        st.enabled = on;
        self.on.store(on, Ordering::Release);
        self.update_active(st);
    }

    /// Records are wanted while the file, a rewrite's diff or the replication stream takes them.
    fn update_active(&self, st: &State) {
        self.active.store(
            st.enabled || st.diff.is_some() || st.repl.is_some(),
            Ordering::Release,
        );
    }

    /// Moves the records the lanes hold, in number order, into the pending batches (when the file
    /// is on) and the rewrite's diff (from its snapshot on). Returns the numbers it covered.
    fn collect(&self, st: &mut State) -> u64 {
        let State {
            enabled,
            pending,
            collector,
            db,
            diff,
            diff_from,
            repl,
            ..
        } = st;
        let upto = self.lanes.collect(collector, |seq, rdb, cmd, group, to| {
            if to & TO_REPLICAS != 0 {
                if let Some(b) = repl.as_mut() {
                    b.record(seq, rdb, cmd, group);
                }
            }
            if to & TO_AOF == 0 {
                return;
            }
            if let Some(d) = diff.as_mut().filter(|_| seq >= *diff_from) {
                push_in_db(&mut d.buf, &mut d.db, rdb, cmd, group);
            }
            if *enabled {
                push_in_db(pending, db, rdb, cmd, group);
            }
        });
        st.pending.hold_open = false;
        if let Some(b) = &mut st.repl {
            b.collected();
        }
        if let Some(d) = &mut st.diff {
            d.buf.hold_open = false;
        }
        // With the file off, what was collected needs no file (a write that saw it still on,
        // just before CONFIG SET appendonly no, waits for this).
        st.file_end = upto;
        upto
    }

    pub fn enabled(&self) -> bool {
        self.st.lock().enabled
    }

    pub fn policy(&self) -> Fsync {
        match self.policy.load(Ordering::Relaxed) {
            0 => Fsync::Always,
            1 => Fsync::Everysec,
            _ => Fsync::No,
        }
    }

    pub fn set_policy(&self, p: Fsync) {
        self.policy.store(policy_code(p), Ordering::Relaxed);
        self.progress.notify(usize::MAX);
    }

    /// The errno of the failing write, if the last write or fdatasync failed.
    pub fn failing(&self) -> Option<i32> {
        match self.err.load(Ordering::Relaxed) {
            0 => None,
            e => Some(e),
        }
    }

    /// DEBUG AOF-FAULT: make every following write fail with `errno` (0: stop).
    pub fn inject_fault(&self, errno: i32) {
        self.fault.store(errno, Ordering::Relaxed);
    }

    /// Appends one record of database `db`; returns the count a reply must wait for (0 when
    /// nothing needs to wait). Call it while holding the shard locks of the write. A
    /// transaction's records come together through [`Aof::append_group`] instead.
    #[inline]
    pub fn append(&self, db: usize, args: &[&[u8]]) -> u64 {
        if !self.active.load(Ordering::Acquire) {
            return 0;
        }
        self.to_wait_for(self.lanes.append(db, args))
    }

    /// Appends the records of a transaction together, in one batch of the file, so that a crash
    /// keeps all of them or none. Returns the count to wait for.
    pub fn append_group(&self, records: &Records) -> u64 {
        if records.list.is_empty() || !self.active.load(Ordering::Acquire) {
            return 0;
        }
        self.to_wait_for(self.lanes.append_group(records))
    }

    /// Records appended so far, when they go to the file (0 otherwise): what a reply after a
    /// write waits for.
    #[inline]
    pub fn appended(&self) -> u64 {
        self.to_wait_for(self.lanes.appended())
    }

    /// `n` records counted, as what a reply waits for: nothing while they go to no file.
    #[inline]
    fn to_wait_for(&self, n: u64) -> u64 {
        if self.on.load(Ordering::Acquire) {
            n
        } else {
            0
        }
    }

    /// Collects and drops everything appended so far; returns how many records were numbered.
    /// For benchmarks of the append path, where no file is written.
    #[doc(hidden)]
    pub fn discard_pending(&self) -> u64 {
        let mut st = self.st.lock();
        let n = self.collect(&mut st);
        let spare = std::mem::take(&mut st.spare);
        let mut taken = st.pending.take(spare).buf;
        taken.clear();
        st.spare = taken;
        n
    }

    /// Offset up to which replies may be sent under the current policy.
    fn done(&self) -> u64 {
        if self.policy() == Fsync::Always {
            self.synced.load(Ordering::Acquire)
        } else {
            self.written.load(Ordering::Acquire)
        }
    }

    /// Records appended but not yet written (INFO aof_buffer_length).
    pub fn pending_len(&self) -> u64 {
        let mut st = self.st.lock();
        self.collect(&mut st);
        st.pending.buf.len() as u64 + st.retry.len() as u64
    }

    fn set_err(&self, e: &io::Error, what: &str) {
        let code = errno(e);
        if self.err.swap(code, Ordering::Relaxed) != code {
            crate::warning!(
                "{what} of the append-only file {} failed: {e}; refusing writes until it succeeds",
                self.path().display()
            );
        }
    }

    fn clear_err(&self) {
        if self.err.swap(0, Ordering::Relaxed) != 0 {
            crate::notice!("the append-only file is writable again; accepting writes");
        }
    }

    /// Writes `bytes` at `pos` on this executor's handle of file generation `gen`; under
    /// `always` the handle is O_DSYNC, so they are durable when this returns.
    async fn write_out(
        &self,
        local: &LocalAof,
        gen: u64,
        bytes: &[u8],
        pos: u64,
    ) -> io::Result<()> {
        let always = self.policy() == Fsync::Always;
        let f = local.file(gen, always).await?;
        let fault = self.fault.load(Ordering::Relaxed);
        if fault != 0 {
            return Err(io::Error::from_raw_os_error(fault));
        }
        let mut done = 0usize;
        while done < bytes.len() {
            // write_at takes ownership of its buffer; ours stays here for a retry.
            let n = f
                .write_at(bytes[done..].to_vec(), pos + done as u64)
                .await
                .map_err(io_err)?;
            if n == 0 {
                return Err(io::Error::from_raw_os_error(libc::ENOSPC));
            }
            done += n;
        }
        if always && bytes.is_empty() {
            // Nothing to write, only earlier writes to make durable (the policy just changed).
            f.fdatasync().await.map_err(io_err)?;
        }
        Ok(())
    }

    /// Becomes the leader if nobody is and there is something to do: writes everything pending
    /// (and fdatasyncs under `always`). Returns whether it led.
    async fn lead(&self, local: &LocalAof) -> bool {
        let always = self.policy() == Fsync::Always;
        {
            let mut st = self.st.lock();
            if st.leader {
                return false;
            }
            self.collect(&mut st);
            let sync_only =
                always && st.enabled && self.synced.load(Ordering::Acquire) < st.file_end;
            if st.pending.is_empty() && st.retry.is_empty() && !sync_only {
                // Everything collected for the file is in it, or (the file off) needs none.
                let end = st.file_end;
                let mut moved = self.written.fetch_max(end, Ordering::AcqRel) < end;
                if !st.enabled {
                    moved |= self.synced.fetch_max(end, Ordering::AcqRel) < end;
                }
                if moved {
                    self.progress.notify(usize::MAX);
                }
                return false;
            }
            st.leader = true;
        }
        let mut leading = Leading {
            aof: self,
            unwritten: None,
            done: false,
        };
        // Commit delay (always only): when the last write released several connections, their
        // next requests are a network round trip away. Waiting for them makes one write (and one
        // disk flush) carry all of them, instead of the clients splitting into groups that take
        // turns, each paying a flush.
        let expect = self.released.swap(0, Ordering::Relaxed);
        if always && expect >= 2 {
            let until = Instant::now() + MAX_COMMIT_DELAY;
            self.delaying.store(true, Ordering::Release);
            loop {
                event_listener::listener!(self.arrivals => arrived);
                let now = Instant::now();
                if self.waiting.load(Ordering::Acquire) >= expect || now >= until {
                    break;
                }
                futures_lite::future::or(arrived, glommio::timer::sleep(until - now)).await;
            }
            self.delaying.store(false, Ordering::Release);
        }
        let (bytes, pos, end, gen, reserve_end) = {
            let mut st = self.st.lock();
            self.collect(&mut st);
            let spare = std::mem::take(&mut st.spare);
            let taken = st.pending.take(spare);
            let retry = std::mem::take(&mut st.retry);
            (
                (retry, taken),
                st.file_len,
                st.file_end,
                st.gen,
                st.reserve_end,
            )
        };
        // Checksums are computed here, outside the lock.
        let (mut bytes, taken) = bytes;
        if bytes.is_empty() {
            bytes = taken.seal();
        } else {
            bytes.extend_from_slice(&taken.seal());
        }
        // The batches alone: what a failed write keeps for its retry.
        let data_len = bytes.len();
        let mut padded_end = pos;
        if data_len > 0 {
            format::pad_to_line(&mut bytes, pos);
            padded_end = pos + bytes.len() as u64;
            if padded_end > reserve_end {
                // Past the reserve: this write appends and lays down the next reserve.
                format::push_reserve(&mut bytes, RESERVE_LINES);
            }
        }
        let data = leading.unwritten.insert((bytes, data_len));
        let res = self.write_out(local, gen, &data.0, pos).await;
        let (mut bytes, data_len) = leading.unwritten.take().expect("kept while writing");
        let mut st = self.st.lock();
        st.leader = false;
        leading.released();
        match res {
            Ok(()) => {
                st.file_len = padded_end;
                st.reserve_end = st.reserve_end.max(pos + bytes.len() as u64);
                self.cur_size.store(st.file_len, Ordering::Relaxed);
                self.written.fetch_max(end, Ordering::AcqRel);
                if always {
                    self.synced.fetch_max(end, Ordering::AcqRel);
                }
                bytes.clear();
                st.spare = bytes;
                drop(st);
                self.clear_err();
            }
            Err(e) => {
                bytes.truncate(data_len);
                st.retry = bytes;
                drop(st);
                self.set_err(&e, "write");
            }
        }
        self.progress.notify(usize::MAX);
        true
    }
}

/// The file's write leadership, held by one task at a time (see [`Aof::lead`]). A leader's
/// task may be dropped mid-write (an executor that exits drops its detached writer): then
/// the leadership is given back here, and the bytes it had taken are kept for a retry at the
/// same offset, so another executor writes them and its connections do not wait for ever.
struct Leading<'a> {
    aof: &'a Aof,
    /// While the write is in flight: the bytes and how many of them are data (not padding).
    unwritten: Option<(Vec<u8>, usize)>,
    /// The leader gave it back itself.
    done: bool,
}

impl Leading<'_> {
    /// The leader gave the leadership back itself.
    fn released(&mut self) {
        self.done = true;
    }
}

impl Drop for Leading<'_> {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        let mut st = self.aof.st.lock();
        st.leader = false;
        if let Some((mut bytes, data_len)) = self.unwritten.take() {
            bytes.truncate(data_len);
            st.retry = bytes;
        }
        drop(st);
        self.aof.progress.notify(usize::MAX);
    }
}

impl Aof {
    /// Cuts the reserve off the end of the file (at shutdown, when everything is written), so a
    /// stopped server's file holds its data only. Skipped while a write is in flight.
    fn trim_reserve(&self) {
        let mut st = self.st.lock();
        if st.leader || st.reserve_end <= st.file_len || !st.retry.is_empty() {
            return;
        }
        let res = std::fs::OpenOptions::new()
            .write(true)
            .open(self.path())
            .and_then(|f| {
                f.set_len(st.file_len)?;
                f.sync_data()
            });
        match res {
            Ok(()) => st.reserve_end = st.file_len,
            // The file is still whole with its reserve; Redis and ringdis both load it.
            Err(e) => crate::warning!(
                "could not cut the reserve off the append-only file {}: {e}",
                self.path().display()
            ),
        }
    }

    /// fdatasyncs what is written (the everysec timer, shutdown).
    async fn sync(&self, local: &LocalAof) {
        let w = self.written.load(Ordering::Acquire);
        if self.synced.load(Ordering::Acquire) >= w && self.failing().is_none() {
            return;
        }
        let gen = self.st.lock().gen;
        let res = match local.file(gen, self.policy() == Fsync::Always).await {
            Ok(f) => f.fdatasync().await.map_err(io_err),
            Err(e) => Err(e),
        };
        match res {
            Ok(()) => {
                self.synced.fetch_max(w, Ordering::AcqRel);
                if self.st.lock().retry.is_empty() {
                    self.clear_err();
                }
            }
            Err(e) => self.set_err(&e, "fdatasync"),
        }
        self.progress.notify(usize::MAX);
    }

    /// Starts the replication stream at `offset` if there is none (a replica attaches), or
    /// (`restart`) starts it afresh there (a new replication ID).
    pub fn repl_start(&self, offset: u64, size: u64, restart: bool) {
        let mut st = self.st.lock();
        if restart || st.repl.is_none() {
            self.collect(&mut st);
            st.repl = Some(backlog::Backlog::new(offset, size));
            self.update_active(&st);
        }
    }

    /// Ends the replication stream (this server became a replica, which relays nothing).
    pub fn repl_stop(&self) {
        let mut st = self.st.lock();
        self.collect(&mut st);
        st.repl = None;
        self.update_active(&st);
    }

    /// Runs `f` on the replication stream, with everything appended so far in it.
    pub fn with_backlog<T>(&self, f: impl FnOnce(&mut backlog::Backlog) -> T) -> Option<T> {
        let mut st = self.st.lock();
        self.collect(&mut st);
        st.repl.as_mut().map(f)
    }

    /// Wakes every waiter so it re-checks (shutdown, policy change).
    pub fn wake_all(&self) {
        self.progress.notify(usize::MAX);
    }

    fn idle(&self) -> bool {
        let mut st = self.st.lock();
        self.collect(&mut st);
        !st.leader && st.pending.is_empty() && st.retry.is_empty()
    }
}

/// One executor's view of the AOF: its own handle of the file (glommio files are per executor).
pub struct LocalAof {
    pub aof: Arc<Aof>,
    file: RefCell<Option<(u64, bool, Rc<BufferedFile>)>>,
    last_sync: std::cell::Cell<Option<Instant>>,
    /// A connection asked the writer to run ([`LocalAof::kick`]).
    kicked: std::cell::Cell<bool>,
    writer_waker: std::cell::Cell<Option<std::task::Waker>>,
}

impl LocalAof {
    pub fn new(aof: Arc<Aof>) -> Self {
        LocalAof {
            aof,
            file: RefCell::new(None),
            last_sync: Default::default(),
            kicked: Default::default(),
            writer_waker: Default::default(),
        }
    }

    /// This executor's handle of file generation `gen`, (re)opened when a rewrite replaced it.
    /// With `dsync` the handle is opened O_DSYNC: under `always`, each write is durable when it
    /// completes, one io_uring operation instead of a write and then an fdatasync.
    async fn file(&self, gen: u64, dsync: bool) -> io::Result<Rc<BufferedFile>> {
        if let Some((g, d, f)) = &*self.file.borrow() {
            if *g == gen && *d == dsync {
                return Ok(f.clone());
            }
        }
        let f = Rc::new(
            OpenOptions::new()
                .write(true)
                .create(true)
                .mode(FILE_MODE)
                .custom_flags(if dsync { libc::O_DSYNC } else { 0 })
                .buffered_open(self.aof.path())
                .await
                .map_err(io_err)?,
        );
        self.file.replace(Some((gen, dsync, f.clone())));
        Ok(f)
    }

    /// Waits until the records up to `need` may be acknowledged. Returns false if the server is
    /// shutting down while the file cannot be written (the replies must then not be sent).
    pub async fn wait(&self, need: u64, shutting_down: impl Fn() -> bool) -> bool {
        let a = &*self.aof;
        if a.done() >= need {
            return true;
        }
        a.waiting.fetch_add(1, Ordering::AcqRel);
        if a.delaying.load(Ordering::Acquire) {
            a.arrivals.notify(1);
        }
        let r = self.wait_slow(need, shutting_down).await;
        a.waiting.fetch_sub(1, Ordering::Relaxed);
        a.released.fetch_add(1, Ordering::Relaxed);
        r
    }

    async fn wait_slow(&self, need: u64, shutting_down: impl Fn() -> bool) -> bool {
        let a = &*self.aof;
        loop {
            if a.done() >= need {
                return true;
            }
            // On the stack: no allocation per wait.
            event_listener::listener!(a.progress => l);
            if a.done() >= need {
                return true;
            }
            if a.failing().is_none() || a.st.lock().retry.is_empty() {
                self.kick();
            } else if shutting_down() {
                return false;
            }
            l.await;
        }
    }

    /// Wakes this executor's writer task.
    fn kick(&self) {
        self.kicked.set(true);
        if let Some(w) = self.writer_waker.take() {
            w.wake();
        }
    }

    /// This executor's writer task: woken by connections waiting for their records, it leads
    /// group commits for as long as there is something pending. Chaining the writes here (not
    /// in a connection's task) queues the next write the moment the previous one completes,
    /// ahead of the connections it released, so it reaches the kernel at the end of the pass in
    /// which they reply instead of after one of them has replied and led it.
    pub async fn writer(self: Rc<Self>) {
        let a = &*self.aof;
        loop {
            std::future::poll_fn(|cx| {
                if self.kicked.replace(false) {
                    return std::task::Poll::Ready(());
                }
                self.writer_waker.set(Some(cx.waker().clone()));
                std::task::Poll::Pending
            })
            .await;
            loop {
                if a.policy() != Fsync::Always {
                    // Let every connection that is ready append first, so one write (one io-wq
                    // hand-off on ext4) carries them all; under always the commit delay in
                    // `lead` does the gathering.
                    glommio::until_idle().await;
                }
                // A failed write is retried by executor 0's tick, not in a loop here.
                if !a.lead(&self).await || a.failing().is_some() {
                    break;
                }
            }
        }
    }

    /// Executor 0's timer, every tick: writes records nobody waits for (expiry deletions),
    /// retries a failed write, and fdatasyncs once a second under `everysec`.
    pub async fn tick(&self) {
        let a = &*self.aof;
        a.lead(self).await;
        let due = self
            .last_sync
            .get()
            .is_none_or(|t| t.elapsed() >= Duration::from_secs(1));
        if due && a.policy() == Fsync::Everysec {
            self.last_sync.set(Some(Instant::now()));
            a.sync(self).await;
        }
    }

    /// At shutdown: writes everything pending and fdatasyncs it. Gives up after a few failed
    /// attempts (the error is logged).
    pub async fn flush_and_sync(&self) {
        let a = &*self.aof;
        for _ in 0..100 {
            let l = a.progress.listen();
            if a.idle() {
                break;
            }
            if !a.lead(self).await {
                let _ = futures_lite::future::or(l, async {
                    glommio::timer::sleep(Duration::from_millis(10)).await;
                })
                .await;
            } else if a.failing().is_some() {
                glommio::timer::sleep(Duration::from_millis(10)).await;
            }
        }
        if a.enabled() || a.written.load(Ordering::Acquire) > 0 {
            a.sync(self).await;
            a.trim_reserve();
        }
    }
}
