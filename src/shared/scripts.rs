//! The script cache and the function libraries every executor shares (SCRIPT LOAD or FUNCTION
//! LOAD on one connection, EVALSHA or FCALL on any other), the gates that make a script run
//! alone, and what others see of a script that runs long (BUSY, SCRIPT KILL, FUNCTION STATS).
//!
//! Each executor holds its own gate for reading while it runs a client's command; a script
//! takes every gate for writing, in executor order, before it touches the keyspace. So while a
//! script runs, no other client's command runs on any executor, as in Redis, and the script
//! may lock whatever shards its commands reach, in any order: nothing else that holds several
//! shards is running (what runs outside commands, the expiry cycle and the AOF rewrite, holds
//! one shard at a time).
//!
//! Consecutive scripts in one connection's batch of commands (a pipeline of EVALSHAs) run
//! under one taking of the gates ([`Exclusive`], kept by the connection until a command that is
//! not a script, the batch's end, or [`Exclusive::BATCH`] scripts): taking every gate costs
//! each other executor a wait, and with several executors busy with scripts, taking them once
//! per script made more executors slower than one.

use crate::keyspace::now_ms;
use parking_lot::{ArcRwLockWriteGuard, Mutex, RawRwLock, RwLock, RwLockReadGuard};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Script bodies by their SHA1 (lowercase hex).
#[derive(Default)]
pub struct Scripts {
    bodies: Mutex<ahash::AHashMap<String, Arc<[u8]>>>,
    /// Each executor's interpreter's memory after its last run (INFO used_memory_lua).
    vm_bytes: Vec<AtomicU64>,
    /// Bumped by SCRIPT FLUSH: executors drop the functions they compiled.
    pub generation: AtomicU64,
}

/// The SHA1 of a script body, as Redis names scripts.
pub fn sha1_hex(body: &[u8]) -> String {
    sha1_smol::Sha1::from(body).digest().to_string()
}

impl Scripts {
    pub fn new(executors: usize) -> Self {
        Scripts {
            vm_bytes: (0..executors.max(1)).map(|_| AtomicU64::new(0)).collect(),
            ..Default::default()
        }
    }

    /// Executor `exec`'s interpreter now takes `bytes`.
    pub fn set_vm_memory(&self, exec: usize, bytes: usize) {
        if let Some(slot) = self.vm_bytes.get(exec) {
            slot.store(bytes as u64, Ordering::Relaxed);
        }
    }

    pub fn vm_memory(&self) -> u64 {
        self.vm_bytes
            .iter()
            .map(|b| b.load(Ordering::Relaxed))
            .sum()
    }

    /// Adds `body` under its SHA1 `sha` (EVAL, SCRIPT LOAD), unless it is there already.
    pub fn insert(&self, sha: &str, body: &[u8]) {
        let mut bodies = self.bodies.lock();
        if !bodies.contains_key(sha) {
            bodies.insert(sha.to_string(), body.into());
        }
    }

    /// The script named `sha` (any case): its name in lowercase, and its body.
    pub fn get<'s>(&self, sha: &'s [u8]) -> Option<(Cow<'s, str>, Arc<[u8]>)> {
        let sha = std::str::from_utf8(sha).ok()?;
        // Clients send the lowercase names SCRIPT LOAD gave them: no copy then.
        let sha = if sha.bytes().any(|c| c.is_ascii_uppercase()) {
            Cow::Owned(sha.to_ascii_lowercase())
        } else {
            Cow::Borrowed(sha)
        };
        let body = self.bodies.lock().get(sha.as_ref()).cloned()?;
        Some((sha, body))
    }

    pub fn contains(&self, sha: &[u8]) -> bool {
        self.get(sha).is_some()
    }

    /// SCRIPT FLUSH.
    pub fn flush(&self) {
        self.bodies.lock().clear();
        self.generation.fetch_add(1, Ordering::Relaxed);
    }

    /// Scripts cached, and the bytes of their bodies (INFO memory).
    pub fn totals(&self) -> (usize, usize) {
        let b = self.bodies.lock();
        (b.len(), b.values().map(|v| v.len()).sum())
    }
}

/// One gate per executor (see the module's notes).
pub struct Gates(Vec<Arc<RwLock<()>>>);

/// How long a command waits on a gate between two looks at whether the script holding it has
/// run past busy-reply-threshold.
const GATE_WAIT: Duration = Duration::from_millis(5);

/// A client's command's hold on its executor's gate.
pub struct GateGuard<'a>(#[allow(dead_code)] RwLockReadGuard<'a, ()>);

/// Every executor's gate, held for writing: scripts run alone while it lives. Owned (not
/// borrowed from [`Gates`]), so that a connection can keep it across the consecutive scripts of
/// one batch.
pub struct Exclusive {
    _held: smallvec::SmallVec<[ArcRwLockWriteGuard<RawRwLock, ()>; 8]>,
    /// Scripts run under this hold so far (see [`Exclusive::BATCH`]).
    scripts: u32,
}

impl Exclusive {
    /// Scripts one hold serves at most before the gates are handed on.
    const BATCH: u32 = 32;
}

impl Gates {
    pub fn new(executors: usize) -> Self {
        Gates(
            (0..executors.max(1))
                .map(|_| Arc::new(RwLock::new(())))
                .collect(),
        )
    }

    /// A client's command on executor `exec`; None once a script that holds the gates has run
    /// past busy-reply-threshold (the command is then answered BUSY, or runs ungated if it may).
    #[inline]
    pub fn command(&self, exec: usize, busy: &Busy) -> Option<GateGuard<'_>> {
        let gate = &self.0[exec % self.0.len()];
        if let Some(g) = gate.try_read() {
            return Some(GateGuard(g));
        }
        loop {
            if busy.timed_out() {
                return None;
            }
            if let Some(g) = gate.try_read_for(GATE_WAIT) {
                return Some(GateGuard(g));
            }
        }
    }

    /// A script (or a transaction with one) of a connection whose batch may already hold every
    /// gate in `held`: serves under that hold while it has served fewer than
    /// [`Exclusive::BATCH`] scripts, else hands it on and takes the gates again. False as
    /// [`Gates::command`]'s None (and `held` is then empty).
    pub fn script(&self, held: &mut Option<Exclusive>, busy: &Busy) -> bool {
        if let Some(x) = held.as_mut().filter(|x| x.scripts < Exclusive::BATCH) {
            x.scripts += 1;
            return true;
        }
        *held = None;
        *held = self.exclusive(busy);
        held.is_some()
    }

    /// Waits for every executor's command to end; None as [`Gates::command`].
    fn exclusive(&self, busy: &Busy) -> Option<Exclusive> {
        let mut held = smallvec::SmallVec::new();
        for gate in &self.0 {
            loop {
                if let Some(g) = gate.try_write_arc_for(GATE_WAIT) {
                    held.push(g);
                    break;
                }
                if busy.timed_out() {
                    return None;
                }
            }
        }
        Some(Exclusive {
            _held: held,
            scripts: 0,
        })
    }
}

/// The script running now, as other executors see it.
#[derive(Default)]
pub struct Busy {
    /// When it started (ms since the epoch); 0 while none runs.
    started: AtomicU64,
    /// busy-reply-threshold (lua-time-limit), in ms.
    pub threshold_ms: AtomicU64,
    /// SCRIPT KILL / FUNCTION KILL (or SHUTDOWN NOSAVE) asked it to stop.
    pub kill: AtomicBool,
    /// The server is shutting down: every script stops, whatever it did.
    pub stopping: AtomicBool,
    /// It ran a write command: it can no longer be killed.
    pub wrote: AtomicBool,
    /// It is a function (FCALL), not an EVAL.
    pub function: AtomicBool,
    /// FUNCTION STATS: the function's name and the command that called it.
    info: Mutex<Option<(String, Vec<Vec<u8>>)>>,
}

impl Busy {
    pub fn new(threshold_ms: u64) -> Self {
        let b = Busy::default();
        b.threshold_ms.store(threshold_ms, Ordering::Relaxed);
        b
    }

    /// A script starts, at `now` (ms); `function`: the function's name and its FCALL.
    pub fn begin(&self, now: u64, function: Option<(String, Vec<Vec<u8>>)>) {
        self.kill.store(false, Ordering::Relaxed);
        self.wrote.store(false, Ordering::Relaxed);
        self.function.store(function.is_some(), Ordering::Relaxed);
        if function.is_some() {
            *self.info.lock() = function;
        }
        self.started.store(now.max(1), Ordering::Release);
    }

    pub fn end(&self) {
        self.started.store(0, Ordering::Release);
        if self.function.load(Ordering::Relaxed) {
            *self.info.lock() = None;
        }
    }

    /// Whether the running script must stop now (its interpreter's hook asks).
    pub fn must_stop(&self) -> bool {
        self.kill.load(Ordering::Relaxed) || self.stopping.load(Ordering::Relaxed)
    }

    pub fn running(&self) -> bool {
        self.started.load(Ordering::Acquire) != 0
    }

    /// A script runs and has run past busy-reply-threshold: others are answered BUSY.
    pub fn timed_out(&self) -> bool {
        let started = self.started.load(Ordering::Acquire);
        started != 0
            && now_ms().saturating_sub(started) >= self.threshold_ms.load(Ordering::Relaxed)
    }

    /// FUNCTION STATS: the running function's name, its command and how long it has run (ms).
    pub fn function_info(&self) -> Option<(String, Vec<Vec<u8>>, u64)> {
        let started = self.started.load(Ordering::Acquire);
        let info = self.info.lock().clone()?;
        Some((info.0, info.1, now_ms().saturating_sub(started)))
    }
}

/// One function of a library, as FUNCTION LIST shows it.
#[derive(Clone, Debug)]
pub struct FunctionMeta {
    pub name: String,
    pub description: Option<Vec<u8>>,
    pub flags: Vec<&'static str>,
}

/// A library loaded with FUNCTION LOAD: its code (run again by every executor's interpreter to
/// get the callbacks) and its functions.
#[derive(Debug)]
pub struct Library {
    pub name: String,
    pub code: Arc<[u8]>,
    pub functions: Vec<FunctionMeta>,
}

/// The function libraries, by name.
#[derive(Default)]
pub struct Functions {
    libs: Mutex<BTreeMap<String, Arc<Library>>>,
    /// Bumped by every change: executors load the libraries again.
    pub generation: AtomicU64,
}

impl Functions {
    pub fn libraries(&self) -> Vec<Arc<Library>> {
        self.libs.lock().values().cloned().collect()
    }

    /// Adds `libs` (FUNCTION LOAD, FUNCTION RESTORE), all or none: a library of the same name
    /// is replaced when `replace`, an error otherwise; a function name another library has
    /// already is an error. `flush` empties the registry first.
    pub fn add(&self, libs: Vec<Library>, replace: bool, flush: bool) -> Result<(), Clash> {
        let mut all = self.libs.lock();
        let mut next = if flush { BTreeMap::new() } else { all.clone() };
        for lib in libs {
            if next.contains_key(&lib.name) && !replace {
                return Err(Clash::Library(lib.name));
            }
            next.remove(&lib.name);
            for f in &lib.functions {
                // Function names are looked up without case, as Redis's dictionary does.
                let taken = |l: &Arc<Library>| {
                    l.functions
                        .iter()
                        .any(|g| g.name.eq_ignore_ascii_case(&f.name))
                };
                if next.values().any(taken) {
                    return Err(Clash::Function(f.name.clone()));
                }
            }
            next.insert(lib.name.clone(), Arc::new(lib));
        }
        *all = next;
        self.generation.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// FUNCTION DELETE: whether the library was there.
    pub fn delete(&self, name: &str) -> bool {
        let gone = self.libs.lock().remove(name).is_some();
        if gone {
            self.generation.fetch_add(1, Ordering::Relaxed);
        }
        gone
    }

    pub fn flush(&self) {
        self.libs.lock().clear();
        self.generation.fetch_add(1, Ordering::Relaxed);
    }

    /// (libraries, functions) for FUNCTION STATS.
    pub fn counts(&self) -> (usize, usize) {
        let libs = self.libs.lock();
        (libs.len(), libs.values().map(|l| l.functions.len()).sum())
    }

    /// The code of every library, for the AOF rewrite.
    pub fn codes(&self) -> Vec<Arc<[u8]>> {
        self.libs.lock().values().map(|l| l.code.clone()).collect()
    }

    pub fn exists(&self, lib: &str) -> bool {
        self.libs.lock().contains_key(lib)
    }
}

/// Why libraries could not be added: a name taken already.
pub enum Clash {
    Library(String),
    Function(String),
}
