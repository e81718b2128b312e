//! The script cache every executor shares (SCRIPT LOAD on one connection, EVALSHA on any
//! other), and the gates that make a script run alone.
//!
//! Each executor holds its own gate for reading while it runs a client's command; a script
//! takes every gate for writing, in executor order, before it touches the keyspace. So while a
//! script runs, no other client's command runs on any executor, as in Redis, and the script
//! may lock whatever shards its commands reach, in any order: nothing else that holds several
//! shards is running (what runs outside commands, the expiry cycle and the AOF rewrite, holds
//! one shard at a time).

use parking_lot::{Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Script bodies by their SHA1 (lowercase hex).
#[derive(Default)]
pub struct Scripts {
    bodies: Mutex<HashMap<String, Arc<[u8]>>>,
    /// Bumped by SCRIPT FLUSH: executors drop the functions they compiled.
    pub generation: AtomicU64,
}

/// The SHA1 of a script body, as Redis names scripts.
pub fn sha1_hex(body: &[u8]) -> String {
    sha1_smol::Sha1::from(body).digest().to_string()
}

impl Scripts {
    /// Adds `body` under its SHA1 `sha` (EVAL, SCRIPT LOAD), unless it is there already.
    pub fn insert(&self, sha: &str, body: &[u8]) {
        let mut bodies = self.bodies.lock();
        if !bodies.contains_key(sha) {
            bodies.insert(sha.to_string(), body.into());
        }
    }

    /// The script named `sha` (any case): its name in lowercase, and its body.
    pub fn get(&self, sha: &[u8]) -> Option<(String, Arc<[u8]>)> {
        let sha = std::str::from_utf8(sha).ok()?.to_ascii_lowercase();
        let body = self.bodies.lock().get(&sha).cloned()?;
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
pub struct Gates(Vec<RwLock<()>>);

pub enum GateGuard<'a> {
    One(#[allow(dead_code)] RwLockReadGuard<'a, ()>),
    All(#[allow(dead_code)] Vec<RwLockWriteGuard<'a, ()>>),
}

impl Gates {
    pub fn new(executors: usize) -> Self {
        Gates((0..executors.max(1)).map(|_| RwLock::new(())).collect())
    }

    /// A client's command on executor `exec`.
    #[inline]
    pub fn command(&self, exec: usize) -> GateGuard<'_> {
        GateGuard::One(self.0[exec % self.0.len()].read())
    }

    /// A script (or a transaction with one): waits for every executor's command to end.
    pub fn exclusive(&self) -> GateGuard<'_> {
        GateGuard::All(self.0.iter().map(|g| g.write()).collect())
    }
}
