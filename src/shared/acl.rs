//! ACL users as data: what a user may run (commands, keys, channels, in one or more selectors),
//! its passwords (SHA-256 digests, never the text), and the ACL log. The rules that change a
//! user, and the checks a command goes through, need the command table and live in
//! `cmd::acl`; commands are named here only by their index in that table.

use crate::keyspace::glob;
use sha2::{Digest, Sha256};
use std::collections::VecDeque;
use std::time::Instant;

/// Words of a selector's command bitmap: room for this many 64-bit words of command indices
/// (the command table checks that it fits).
pub const WORDS: usize = 8;

/// A key pattern with the access it grants (`~p` both, `%R~p` reads, `%W~p` writes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyPattern {
    pub pattern: Vec<u8>,
    pub read: bool,
    pub write: bool,
}

/// One set of permissions: a user's root selector, or one of its `(...)` selectors.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selector {
    /// Every command, with nothing taken away since (`+@all`, `allcommands`): the fast path.
    pub allcommands: bool,
    /// Set by `+@all` and cleared only by `-@all`: whether the rules start from `+@all`
    /// (commands added to the server later would be allowed too).
    pub future: bool,
    /// Allowed commands, by command index.
    pub bits: [u64; WORDS],
    /// `+cmd|arg`: a command not allowed as a whole, allowed with these first arguments.
    pub firstargs: Vec<(usize, Vec<Vec<u8>>)>,
    pub allkeys: bool,
    pub keys: Vec<KeyPattern>,
    pub allchannels: bool,
    pub channels: Vec<Vec<u8>>,
}

impl Selector {
    #[inline]
    pub fn allows(&self, id: usize) -> bool {
        self.allcommands || self.bits[id / 64] & (1 << (id % 64)) != 0
    }

    pub fn set(&mut self, id: usize, on: bool) {
        if on {
            self.bits[id / 64] |= 1 << (id % 64);
        } else {
            self.bits[id / 64] &= !(1 << (id % 64));
            self.allcommands = false;
        }
        self.firstargs.retain(|(c, _)| *c != id);
    }

    /// Whether the first argument `arg` is allowed for command `id` (not allowed as a whole).
    pub fn allows_firstarg(&self, id: usize, arg: &[u8]) -> bool {
        self.firstargs
            .iter()
            .any(|(c, args)| *c == id && args.iter().any(|a| a.eq_ignore_ascii_case(arg)))
    }

    /// Whether `key`, used as `read`/`write` says, matches one of the key patterns.
    pub fn key_ok(&self, key: &[u8], read: bool, write: bool) -> bool {
        self.allkeys
            || self.keys.iter().any(|p| {
                (p.read || !read) && (p.write || !write) && glob::matches(&p.pattern, key, false)
            })
    }

    /// Whether a channel (or, `pattern` true, a PSUBSCRIBE pattern: only the same text) is
    /// allowed.
    pub fn channel_ok(&self, channel: &[u8], pattern: bool) -> bool {
        self.allchannels
            || self.channels.iter().any(|p| {
                if pattern {
                    p == channel
                } else {
                    glob::matches(p, channel, false)
                }
            })
    }
}

/// A user. Changing one makes a new value that replaces the old in the registry
/// ([`super::auth::Auth`]); connections pick it up before their next command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    /// Unique for the server's life: a deleted and re-created user is another user.
    pub id: u64,
    pub name: String,
    pub enabled: bool,
    pub nopass: bool,
    /// `sanitize-payload` (Some(true)) or `skip-sanitize-payload` (Some(false)), once set.
    pub sanitize: Option<bool>,
    pub passwords: Vec<[u8; 32]>,
    /// The root selector first, then the `(...)` ones.
    pub selectors: Vec<Selector>,
}

impl User {
    /// A new user as ACL SETUSER creates it: off, no password, no commands, keys or channels
    /// (channels as acl-pubsub-default says).
    pub fn new(id: u64, name: &str, allchannels: bool) -> User {
        User {
            id,
            name: name.to_string(),
            enabled: false,
            nopass: false,
            sanitize: None,
            passwords: Vec::new(),
            selectors: vec![Selector {
                allchannels,
                ..Selector::default()
            }],
        }
    }

    /// The default user at start: on, nopass, every command, key and channel.
    pub fn default_user(id: u64) -> User {
        User {
            enabled: true,
            nopass: true,
            selectors: vec![Selector {
                allcommands: true,
                future: true,
                bits: [u64::MAX; WORDS],
                allkeys: true,
                allchannels: true,
                ..Selector::default()
            }],
            ..User::new(id, "default", true)
        }
    }

    /// May run anything on any key and channel: the checks are skipped.
    pub fn unrestricted(&self) -> bool {
        let r = &self.selectors[0];
        r.allcommands && r.allkeys && r.allchannels
    }

    pub fn password_ok(&self, pass: &[u8]) -> bool {
        let d = digest(pass);
        self.passwords.contains(&d)
    }
}

pub fn digest(pass: &[u8]) -> [u8; 32] {
    Sha256::digest(pass).into()
}

pub fn hex(d: &[u8; 32]) -> String {
    use std::fmt::Write;
    d.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// A `#hash` rule's digest: exactly 64 lowercase hex digits.
pub fn parse_hex(h: &[u8]) -> Option<[u8; 32]> {
    if h.len() != 64 || !h.iter().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f')) {
        return None;
    }
    let v = |c: u8| if c <= b'9' { c - b'0' } else { c - b'a' + 10 };
    let mut d = [0u8; 32];
    for (i, b) in d.iter_mut().enumerate() {
        *b = v(h[2 * i]) << 4 | v(h[2 * i + 1]);
    }
    Some(d)
}

/// Why a command was refused (Redis's ACL_DENIED_* reasons, in its order of relevance).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Reason {
    Command,
    Key,
    Auth,
    Channel,
}

impl Reason {
    pub fn name(self) -> &'static str {
        match self {
            Reason::Command => "command",
            Reason::Key => "key",
            Reason::Auth => "auth",
            Reason::Channel => "channel",
        }
    }
}

/// One ACL LOG entry; entries alike within a minute are counted in one.
pub struct LogEntry {
    pub count: u64,
    pub reason: Reason,
    pub context: &'static str,
    pub object: Vec<u8>,
    pub username: Vec<u8>,
    pub at: Instant,
    pub client_info: String,
}

/// ACL LOG: newest first, at most acllog-max-len entries.
#[derive(Default)]
pub struct Log {
    pub entries: VecDeque<LogEntry>,
}

/// How long an entry takes later alike ones into its count.
const GROUP_MS: u128 = 60_000;

impl Log {
    pub fn add(&mut self, e: LogEntry, max_len: usize) {
        let alike = self.entries.iter().position(|o| {
            o.reason == e.reason
                && o.context == e.context
                && o.object == e.object
                && o.username == e.username
                && e.at.duration_since(o.at).as_millis() < GROUP_MS
        });
        // An entry counted again moves to the front, as the newest.
        let e = match alike.and_then(|i| self.entries.remove(i)) {
            Some(old) => LogEntry {
                count: old.count + 1,
                ..e
            },
            None => e,
        };
        self.entries.push_front(e);
        self.entries.truncate(max_len);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_round_trip_through_hex() {
        let d = digest(b"p1");
        let h = hex(&d);
        assert_eq!(
            h,
            "f64551fcd6f07823cb87971cfb91446425da18286b3ab1ef935e0cbd7a69f68a"
        );
        assert_eq!(parse_hex(h.as_bytes()), Some(d));
        assert_eq!(parse_hex(h.to_uppercase().as_bytes()), None);
        assert_eq!(parse_hex(b"abc"), None);
    }

    #[test]
    fn key_and_channel_patterns() {
        let s = Selector {
            keys: vec![
                KeyPattern {
                    pattern: b"r*".to_vec(),
                    read: true,
                    write: false,
                },
                KeyPattern {
                    pattern: b"k*".to_vec(),
                    read: true,
                    write: true,
                },
            ],
            channels: vec![b"ch*".to_vec()],
            ..Selector::default()
        };
        assert!(s.key_ok(b"r1", true, false));
        assert!(!s.key_ok(b"r1", false, true));
        assert!(s.key_ok(b"k1", true, true));
        assert!(!s.key_ok(b"x", false, false));
        assert!(s.channel_ok(b"ch1", false));
        assert!(!s.channel_ok(b"ch1", true));
        assert!(s.channel_ok(b"ch*", true));
    }
}
