//! What a command is, as the command table declares it and COMMAND reports it: typed flags, ACL
//! categories, and Redis 7 key specs (where its keys are among its arguments, and what it does
//! with them).

use bitflags::bitflags;

bitflags! {
    /// Command flags, in the order COMMAND INFO lists them.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct Flags: u32 {
        const WRITE = 1 << 0;
        const READONLY = 1 << 1;
        const DENYOOM = 1 << 2;
        const ADMIN = 1 << 3;
        const PUBSUB = 1 << 4;
        const NOSCRIPT = 1 << 5;
        const BLOCKING = 1 << 6;
        const LOADING = 1 << 7;
        const STALE = 1 << 8;
        const SKIP_MONITOR = 1 << 9;
        const SKIP_SLOWLOG = 1 << 10;
        const ASKING = 1 << 11;
        const FAST = 1 << 12;
        const NO_AUTH = 1 << 13;
        const NO_MANDATORY_KEYS = 1 << 14;
        const NO_ASYNC_LOADING = 1 << 15;
        const NO_MULTI = 1 << 16;
        /// Not declared: derived from the key specs (see [`Command::flags_all`]).
        const MOVABLE_KEYS = 1 << 17;
        const ALLOW_BUSY = 1 << 18;
        /// Hidden from COMMAND INFO, as in Redis.
        const MAY_REPLICATE = 1 << 19;
    }
}

/// Flag names as COMMAND INFO prints them, in its order (MAY_REPLICATE is hidden).
const FLAG_NAMES: &[(Flags, &str)] = &[
    (Flags::WRITE, "write"),
    (Flags::READONLY, "readonly"),
    (Flags::DENYOOM, "denyoom"),
    (Flags::ADMIN, "admin"),
    (Flags::PUBSUB, "pubsub"),
    (Flags::NOSCRIPT, "noscript"),
    (Flags::BLOCKING, "blocking"),
    (Flags::LOADING, "loading"),
    (Flags::STALE, "stale"),
    (Flags::SKIP_MONITOR, "skip_monitor"),
    (Flags::SKIP_SLOWLOG, "skip_slowlog"),
    (Flags::ASKING, "asking"),
    (Flags::FAST, "fast"),
    (Flags::NO_AUTH, "no_auth"),
    (Flags::NO_MANDATORY_KEYS, "no_mandatory_keys"),
    (Flags::NO_ASYNC_LOADING, "no_async_loading"),
    (Flags::NO_MULTI, "no_multi"),
    (Flags::MOVABLE_KEYS, "movablekeys"),
    (Flags::ALLOW_BUSY, "allow_busy"),
];

impl Flags {
    /// The names COMMAND INFO prints.
    pub fn names(self) -> Vec<&'static str> {
        FLAG_NAMES
            .iter()
            .filter(|(f, _)| self.contains(*f))
            .map(|&(_, n)| n)
            .collect()
    }
}

bitflags! {
    /// ACL categories, in the order Redis lists them.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct Acl: u32 {
        const KEYSPACE = 1 << 0;
        const READ = 1 << 1;
        const WRITE = 1 << 2;
        const SET = 1 << 3;
        const SORTEDSET = 1 << 4;
        const LIST = 1 << 5;
        const HASH = 1 << 6;
        const STRING = 1 << 7;
        const BITMAP = 1 << 8;
        const HYPERLOGLOG = 1 << 9;
        const GEO = 1 << 10;
        const STREAM = 1 << 11;
        const PUBSUB = 1 << 12;
        const ADMIN = 1 << 13;
        const FAST = 1 << 14;
        const SLOW = 1 << 15;
        const BLOCKING = 1 << 16;
        const DANGEROUS = 1 << 17;
        const CONNECTION = 1 << 18;
        const TRANSACTION = 1 << 19;
        const SCRIPTING = 1 << 20;
    }
}

/// Category names (without the `@`), in their order.
pub const ACL_NAMES: &[(Acl, &str)] = &[
    (Acl::KEYSPACE, "keyspace"),
    (Acl::READ, "read"),
    (Acl::WRITE, "write"),
    (Acl::SET, "set"),
    (Acl::SORTEDSET, "sortedset"),
    (Acl::LIST, "list"),
    (Acl::HASH, "hash"),
    (Acl::STRING, "string"),
    (Acl::BITMAP, "bitmap"),
    (Acl::HYPERLOGLOG, "hyperloglog"),
    (Acl::GEO, "geo"),
    (Acl::STREAM, "stream"),
    (Acl::PUBSUB, "pubsub"),
    (Acl::ADMIN, "admin"),
    (Acl::FAST, "fast"),
    (Acl::SLOW, "slow"),
    (Acl::BLOCKING, "blocking"),
    (Acl::DANGEROUS, "dangerous"),
    (Acl::CONNECTION, "connection"),
    (Acl::TRANSACTION, "transaction"),
    (Acl::SCRIPTING, "scripting"),
];

impl Acl {
    /// `@name` for each category, in order.
    pub fn names(self) -> Vec<String> {
        ACL_NAMES
            .iter()
            .filter(|(a, _)| self.contains(*a))
            .map(|(_, n)| format!("@{n}"))
            .collect()
    }

    /// A category by name (without `@`, any case).
    pub fn by_name(name: &[u8]) -> Option<Acl> {
        ACL_NAMES
            .iter()
            .find(|(_, n)| name.eq_ignore_ascii_case(n.as_bytes()))
            .map(|&(a, _)| a)
    }

    /// The categories a command's flags imply, as Redis adds them to its own: write, read,
    /// admin (and dangerous), pubsub, fast, blocking, and slow for whatever is not fast.
    pub fn implied_by(f: Flags) -> Acl {
        let mut a = Acl::empty();
        for (flag, cat) in [
            (Flags::WRITE, Acl::WRITE),
            (Flags::READONLY, Acl::READ),
            (Flags::ADMIN, Acl::ADMIN | Acl::DANGEROUS),
            (Flags::PUBSUB, Acl::PUBSUB),
            (Flags::FAST, Acl::FAST),
            (Flags::BLOCKING, Acl::BLOCKING),
        ] {
            if f.contains(flag) {
                a |= cat;
            }
        }
        if !a.contains(Acl::FAST) {
            a |= Acl::SLOW;
        }
        a
    }
}

bitflags! {
    /// What a command does with the keys one key spec finds, in the order COMMAND INFO lists them.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct KeyFlags: u16 {
        const RO = 1 << 0;
        const RW = 1 << 1;
        const OW = 1 << 2;
        const RM = 1 << 3;
        const ACCESS = 1 << 4;
        const UPDATE = 1 << 5;
        const INSERT = 1 << 6;
        const DELETE = 1 << 7;
        const NOT_KEY = 1 << 8;
        const INCOMPLETE = 1 << 9;
        const VARIABLE_FLAGS = 1 << 10;
    }
}

const KEY_FLAG_NAMES: &[(KeyFlags, &str)] = &[
    (KeyFlags::RO, "RO"),
    (KeyFlags::RW, "RW"),
    (KeyFlags::OW, "OW"),
    (KeyFlags::RM, "RM"),
    (KeyFlags::ACCESS, "access"),
    (KeyFlags::UPDATE, "update"),
    (KeyFlags::INSERT, "insert"),
    (KeyFlags::DELETE, "delete"),
    (KeyFlags::NOT_KEY, "not_key"),
    (KeyFlags::INCOMPLETE, "incomplete"),
    (KeyFlags::VARIABLE_FLAGS, "variable_flags"),
];

impl KeyFlags {
    pub fn names(self) -> Vec<&'static str> {
        KEY_FLAG_NAMES
            .iter()
            .filter(|(f, _)| self.contains(*f))
            .map(|&(_, n)| n)
            .collect()
    }
}

/// Where the search for a spec's keys begins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BeginSearch {
    /// At this argument.
    Index(i32),
    /// After the first argument equal to `keyword` (any case), looking from `startfrom` (from
    /// the end when negative).
    Keyword {
        keyword: &'static str,
        startfrom: i32,
    },
    /// Only the command knows (SORT's BY/GET patterns and STORE).
    Unknown,
}

/// How a spec's keys are found from where the search began.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FindKeys {
    /// Keys up to `lastkey` (relative to the start; negative: from the end), every `step`
    /// arguments; with `limit` > 1 and `lastkey` -1, only the first 1/limit of what is left.
    Range {
        lastkey: i32,
        step: i32,
        limit: i32,
    },
    /// The argument at `keynumidx` (relative to the start) holds the number of keys, the first
    /// of which is at `firstkey` (relative to the start), every `step` arguments.
    Keynum {
        keynumidx: i32,
        firstkey: i32,
        step: i32,
    },
    Unknown,
}

/// One Redis 7 key spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeySpec {
    pub flags: KeyFlags,
    pub begin: BeginSearch,
    pub find: FindKeys,
}

/// The key spec of a command whose key is at argument `i` alone.
pub const fn one(i: i32, flags: u16) -> KeySpec {
    range(i, 0, 1, 0, flags)
}

/// Keys from argument `i` up to `lastkey` (negative: from the end), every `step`.
pub const fn range(i: i32, lastkey: i32, step: i32, limit: i32, flags: u16) -> KeySpec {
    KeySpec {
        flags: KeyFlags::from_bits_truncate(flags),
        begin: BeginSearch::Index(i),
        find: FindKeys::Range {
            lastkey,
            step,
            limit,
        },
    }
}

/// A key count at argument `i` + `keynumidx`, keys from `i` + `firstkey`, every `step`.
pub const fn keynum(i: i32, keynumidx: i32, firstkey: i32, step: i32, flags: u16) -> KeySpec {
    KeySpec {
        flags: KeyFlags::from_bits_truncate(flags),
        begin: BeginSearch::Index(i),
        find: FindKeys::Keynum {
            keynumidx,
            firstkey,
            step,
        },
    }
}

/// Keys after `keyword`.
pub const fn keyword(
    keyword: &'static str,
    startfrom: i32,
    lastkey: i32,
    step: i32,
    limit: i32,
    flags: u16,
) -> KeySpec {
    KeySpec {
        flags: KeyFlags::from_bits_truncate(flags),
        begin: BeginSearch::Keyword { keyword, startfrom },
        find: FindKeys::Range {
            lastkey,
            step,
            limit,
        },
    }
}

/// Keys only the command can find.
pub const fn unknown(flags: u16) -> KeySpec {
    KeySpec {
        flags: KeyFlags::from_bits_truncate(flags),
        begin: BeginSearch::Unknown,
        find: FindKeys::Unknown,
    }
}

/// Key flag shorthands for the table: plain bits, so `RW | ACCESS` is a constant expression.
pub mod key {
    use super::KeyFlags;
    pub const RO: u16 = KeyFlags::RO.bits();
    pub const RW: u16 = KeyFlags::RW.bits();
    pub const OW: u16 = KeyFlags::OW.bits();
    pub const RM: u16 = KeyFlags::RM.bits();
    pub const ACCESS: u16 = KeyFlags::ACCESS.bits();
    pub const UPDATE: u16 = KeyFlags::UPDATE.bits();
    pub const INSERT: u16 = KeyFlags::INSERT.bits();
    pub const DELETE: u16 = KeyFlags::DELETE.bits();
    pub const NOT_KEY: u16 = KeyFlags::NOT_KEY.bits();
    pub const INCOMPLETE: u16 = KeyFlags::INCOMPLETE.bits();
    pub const VARIABLE_FLAGS: u16 = KeyFlags::VARIABLE_FLAGS.bits();
    pub const NO_KEY_FLAGS: u16 = 0;
}

/// The argument position of a command's only key, when its key specs are one plain key at a
/// fixed position and nothing else decides what it locks (see [`super::locks::declare`]): the
/// transaction layer's fast path. Evaluated when the table is built.
pub const fn key_at(name: &str, keys: &[KeySpec]) -> Option<usize> {
    const fn is(a: &str, b: &str) -> bool {
        let (a, b) = (a.as_bytes(), b.as_bytes());
        if a.len() != b.len() {
            return false;
        }
        let mut i = 0;
        while i < a.len() {
            if a[i] != b[i] {
                return false;
            }
            i += 1;
        }
        true
    }
    if keys.len() != 1 || is(name, "move") || is(name, "sort") || is(name, "sort_ro") {
        return None;
    }
    match keys[0] {
        KeySpec {
            begin: BeginSearch::Index(i),
            find: FindKeys::Range { lastkey: 0, .. },
            flags,
        } if i > 0 && flags.bits() & KeyFlags::NOT_KEY.bits() == 0 => Some(i as usize),
        _ => None,
    }
}

/// Arguments that do not fit a key spec (Redis: "Invalid arguments specified for command"), or
/// a spec only the command can read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoFit;

impl KeySpec {
    /// The argument positions of this spec's keys in `argv` (the command name at 0), found as
    /// Redis 7.0 finds them: Err when the arguments do not fit the spec (a count that is not a
    /// number, keys past the end, no key at all where the range needs one) or when only the
    /// command knows; a keyword that is not there finds nothing.
    pub fn find(&self, argv: &[&[u8]]) -> Result<Vec<usize>, NoFit> {
        Ok(match self.span(argv.len(), |i| argv[i])? {
            Some((first, last, step)) => (first..=last).step_by(step).collect(),
            None => Vec::new(),
        })
    }

    /// [`KeySpec::find`] without a vector: the keys are at `first..=last` every `step`
    /// (None: a keyword that is not there). `arg(i)` is argument `i` of `argc`.
    pub fn span<'x>(
        &self,
        argc: usize,
        arg: impl Fn(usize) -> &'x [u8],
    ) -> Result<Option<(usize, usize, usize)>, NoFit> {
        let argc = argc as i64;
        let mut first = match self.begin {
            BeginSearch::Index(i) => i as i64,
            BeginSearch::Keyword { keyword, startfrom } => {
                let (from, to) = if startfrom > 0 {
                    (startfrom as i64, argc - 1)
                } else {
                    (argc + startfrom as i64, 0)
                };
                let mut i = from;
                let mut found = None;
                while i != to && (0..argc).contains(&i) {
                    if arg(i as usize).eq_ignore_ascii_case(keyword.as_bytes()) {
                        found = Some(i + 1);
                        break;
                    }
                    i += if from <= to { 1 } else { -1 };
                }
                match found {
                    Some(f) => f,
                    None => return Ok(None),
                }
            }
            BeginSearch::Unknown => return Err(NoFit),
        };
        let (last, step) = match self.find {
            FindKeys::Range {
                lastkey,
                step,
                limit,
            } => {
                let last = if lastkey >= 0 {
                    first + lastkey as i64
                } else if limit == 0 {
                    argc + lastkey as i64
                } else {
                    // Only the first 1/limit of what follows (XREAD: keys, then as many IDs).
                    first + ((argc - first) / limit as i64 + lastkey as i64)
                };
                (last, step)
            }
            FindKeys::Keynum {
                keynumidx,
                firstkey,
                step,
            } => {
                if keynumidx as i64 >= argc - first {
                    return Err(NoFit);
                }
                let n = crate::resp::parse_i64(arg((first + keynumidx as i64) as usize))
                    .filter(|&n| n >= 0)
                    .ok_or(NoFit)?;
                first += firstkey as i64;
                (first.saturating_add(n) - 1, step)
            }
            FindKeys::Unknown => return Err(NoFit),
        };
        if last >= argc || last < first || first >= argc {
            return Err(NoFit);
        }
        Ok(Some((first as usize, last as usize, step.max(1) as usize)))
    }
}
