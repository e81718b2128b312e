//! Keyspace notifications: what a write tells subscribers of `__keyspace@<db>__:<key>` and
//! `__keyevent@<db>__:<event>` (Redis's `notify-keyspace-events`). The keyspace decides which
//! event a change is; publishing is behind the [`Notify`] trait, implemented above this module
//! (where the pub/sub registry is), as the AOF is behind [`super::Journal`].

use std::sync::atomic::{AtomicU32, Ordering};

/// Event classes, as `notify-keyspace-events` letters name them.
pub mod class {
    /// K: publish on `__keyspace@<db>__:<key>`.
    pub const KEYSPACE: u32 = 1 << 0;
    /// E: publish on `__keyevent@<db>__:<event>`.
    pub const KEYEVENT: u32 = 1 << 1;
    /// g: DEL, EXPIRE, RENAME and the other type-independent commands.
    pub const GENERIC: u32 = 1 << 2;
    /// $: string commands.
    pub const STRING: u32 = 1 << 3;
    /// l: list commands.
    pub const LIST: u32 = 1 << 4;
    /// s: set commands.
    pub const SET: u32 = 1 << 5;
    /// h: hash commands.
    pub const HASH: u32 = 1 << 6;
    /// z: sorted set commands.
    pub const ZSET: u32 = 1 << 7;
    /// x: keys deleted because their TTL passed.
    pub const EXPIRED: u32 = 1 << 8;
    /// e: keys evicted under maxmemory.
    pub const EVICTED: u32 = 1 << 9;
    /// t: stream commands.
    pub const STREAM: u32 = 1 << 10;
    /// m: reads of keys that do not exist.
    pub const KEY_MISS: u32 = 1 << 11;
    /// d: module events (none here).
    pub const MODULE: u32 = 1 << 12;
    /// n: keys created.
    pub const NEW: u32 = 1 << 13;
    /// A: every class but m and n.
    pub const ALL: u32 =
        GENERIC | STRING | LIST | SET | HASH | ZSET | EXPIRED | EVICTED | STREAM | MODULE;
}

/// Letters and their classes, in the order Redis prints them.
const LETTERS: &[(char, u32)] = &[
    ('g', class::GENERIC),
    ('$', class::STRING),
    ('l', class::LIST),
    ('s', class::SET),
    ('h', class::HASH),
    ('z', class::ZSET),
    ('x', class::EXPIRED),
    ('e', class::EVICTED),
    ('t', class::STREAM),
    ('d', class::MODULE),
    ('n', class::NEW),
];

/// Parses a `notify-keyspace-events` value; None for a letter that is not a class.
pub fn parse_flags(s: &[u8]) -> Option<u32> {
    let mut f = 0;
    for &c in s {
        f |= match c {
            b'A' => class::ALL,
            b'K' => class::KEYSPACE,
            b'E' => class::KEYEVENT,
            b'm' => class::KEY_MISS,
            _ => LETTERS.iter().find(|(l, _)| *l as u8 == c)?.1,
        };
    }
    Some(f)
}

/// The value CONFIG GET shows, as Redis writes it (`A` for all classes, which then hides `n`).
pub fn flags_text(f: u32) -> String {
    let mut s = String::new();
    if f & class::ALL == class::ALL {
        s.push('A');
    } else {
        s.extend(LETTERS.iter().filter(|(_, c)| f & c != 0).map(|(l, _)| *l));
    }
    for (l, c) in [
        ('K', class::KEYSPACE),
        ('E', class::KEYEVENT),
        ('m', class::KEY_MISS),
    ] {
        if f & c != 0 {
            s.push(l);
        }
    }
    s
}

/// Where notifications go: implemented over the pub/sub registry.
pub trait Notify: Send + Sync {
    /// Publishes `event` about `key` of database `db`, of class `class` (which is enabled).
    fn publish(&self, db: usize, class: u32, event: &str, key: &[u8]);
    /// `key` changed while some client tracks keys (CLIENT TRACKING): its invalidation.
    fn invalidate(&self, _key: &[u8]) {}
}

/// The enabled classes and where they go, shared by every shard.
pub struct Events {
    /// `notify-keyspace-events` as class bits (0: off, Redis's default).
    pub flags: AtomicU32,
    /// Some client has CLIENT TRACKING on: changed keys are invalidated.
    pub tracking: std::sync::atomic::AtomicBool,
    sink: Box<dyn Notify>,
}

impl Events {
    pub fn new(sink: Box<dyn Notify>) -> Self {
        Events {
            flags: AtomicU32::new(0),
            tracking: std::sync::atomic::AtomicBool::new(false),
            sink,
        }
    }

    /// A key changed: clients tracking it get its invalidation.
    #[inline]
    pub fn touched(&self, key: &[u8]) {
        if self.tracking.load(Ordering::Relaxed) {
            self.sink.invalidate(key);
        }
    }

    /// Publishes `event` about `key` if its class is enabled (and K or E is).
    #[inline]
    pub fn notify(&self, db: usize, class: u32, event: &str, key: &[u8]) {
        let f = self.flags.load(Ordering::Relaxed);
        if f & class != 0 && f & (class::KEYSPACE | class::KEYEVENT) != 0 {
            self.sink.publish(db, class, event, key);
        }
    }

    /// Whether `class` is published (a caller can skip work that only feeds notifications).
    #[inline]
    pub fn wants(&self, class: u32) -> bool {
        let f = self.flags.load(Ordering::Relaxed);
        f & class != 0 && f & (class::KEYSPACE | class::KEYEVENT) != 0
    }
}

/// Notifications go nowhere (tools that load a file without a server).
pub struct Nowhere;

impl Notify for Nowhere {
    fn publish(&self, _db: usize, _class: u32, _event: &str, _key: &[u8]) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_read_and_print_as_redis() {
        for (given, shown) in [
            ("KEA", "AKE"),
            ("", ""),
            ("Kg", "gK"),
            ("Ex", "xE"),
            ("Kx$", "$xK"),
            ("Km", "Km"),
            ("Kn", "nK"),
            ("KEAmn", "AKEm"),
            ("KEg$lshzxetd", "AKE"),
            ("KEg$lshzxet", "g$lshzxetKE"),
        ] {
            assert_eq!(
                flags_text(parse_flags(given.as_bytes()).unwrap()),
                shown,
                "{given}"
            );
        }
        assert_eq!(parse_flags(b"KEq"), None);
    }
}
