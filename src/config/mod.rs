//! Command-line flags (Redis-style `--name value`), the configuration file's syntax
//! ([`file`]), and the settings CONFIG GET/SET expose.

pub mod file;

use clap::{Parser, ValueEnum};
use std::net::IpAddr;
use std::path::PathBuf;

/// When the append-only file is fdatasync'ed (Redis's `appendfsync`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Fsync {
    /// After every write batch, before its replies are sent.
    Always,
    /// Once a second, on a timer.
    Everysec,
    /// Never explicitly: the kernel flushes when it likes.
    No,
}

impl Fsync {
    pub fn name(self) -> &'static str {
        match self {
            Fsync::Always => "always",
            Fsync::Everysec => "everysec",
            Fsync::No => "no",
        }
    }

    pub fn parse(s: &[u8]) -> Option<Fsync> {
        [Fsync::Always, Fsync::Everysec, Fsync::No]
            .into_iter()
            .find(|f| s.eq_ignore_ascii_case(f.name().as_bytes()))
    }
}

/// A Redis-style yes/no flag value.
pub fn yes_no(s: &str) -> Result<bool, String> {
    match s.to_ascii_lowercase().as_str() {
        "yes" => Ok(true),
        "no" => Ok(false),
        _ => Err("argument must be 'yes' or 'no'".into()),
    }
}

/// A Redis-style memory size: a number with an optional unit (b, k, kb, m, mb, g, gb; k = 1000,
/// kb = 1024, as in redis.conf). Any malformed value gets Redis's one error text.
pub fn mem_size(s: &str) -> Result<u64, String> {
    let l = s.to_ascii_lowercase();
    let split = l.find(|c: char| !c.is_ascii_digit()).unwrap_or(l.len());
    let (num, unit) = l.split_at(split);
    let mul: u64 = match unit {
        "" | "b" => 1,
        "k" => 1000,
        "kb" => 1024,
        "m" => 1000 * 1000,
        "mb" => 1024 * 1024,
        "g" => 1000 * 1000 * 1000,
        "gb" => 1024 * 1024 * 1024,
        _ => return Err(NOT_A_MEMORY_VALUE.into()),
    };
    num.parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(mul))
        .ok_or_else(|| NOT_A_MEMORY_VALUE.into())
}

const NOT_A_MEMORY_VALUE: &str = "argument must be a memory value";

pub use crate::resp::encode::OutputLimit;

/// Redis's client types, as CLIENT LIST TYPE, CLIENT KILL TYPE and client-output-buffer-limit
/// name them (a replica's link to its master is the one `master` client).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientClass {
    Normal,
    Replica,
    Pubsub,
    Master,
}

impl ClientClass {
    /// Redis's getClientTypeByName: `slave` and `replica` are one class.
    pub fn parse(name: &[u8]) -> Option<Self> {
        match name.to_ascii_lowercase().as_slice() {
            b"normal" => Some(ClientClass::Normal),
            b"slave" | b"replica" => Some(ClientClass::Replica),
            b"pubsub" => Some(ClientClass::Pubsub),
            b"master" => Some(ClientClass::Master),
            _ => None,
        }
    }

    /// Name in `client-output-buffer-limit` (CONFIG GET answers `slave`, as Redis 7.0 does).
    pub fn config_name(self) -> &'static str {
        match self {
            ClientClass::Normal => "normal",
            ClientClass::Replica => "slave",
            ClientClass::Pubsub => "pubsub",
            ClientClass::Master => "master",
        }
    }
}

/// Parses `client-output-buffer-limit`: groups of `<class> <hard> <soft> <soft seconds>`
/// (memory units allowed), every group checked before any applies, with Redis's error texts.
pub fn output_limits(text: &str) -> Result<Vec<(ClientClass, OutputLimit)>, String> {
    let words: Vec<&str> = text.split_whitespace().collect();
    if !words.len().is_multiple_of(4) {
        return Err("Wrong number of arguments in buffer limit configuration.".into());
    }
    words
        .chunks(4)
        .map(|w| {
            let class = ClientClass::parse(w[0].as_bytes())
                .filter(|c| *c != ClientClass::Master)
                .ok_or("Invalid client class specified in buffer limit configuration.")?;
            let bad = "Error in hard, soft or soft_seconds setting in buffer limit configuration.";
            let size = |s: &str| mem_size(s).map_err(|_| bad.to_string());
            let secs: u64 = w[3].parse().map_err(|_| bad.to_string())?;
            Ok((
                class,
                OutputLimit {
                    hard: size(w[1])? as usize,
                    soft: size(w[2])? as usize,
                    soft_secs: secs,
                },
            ))
        })
        .collect()
}

/// A `--client-output-buffer-limit` flag's value, checked.
fn output_limits_flag(s: &str) -> Result<String, String> {
    output_limits(s).map(|_| s.to_string())
}

/// A `notify-keyspace-events` value, checked.
fn notify_flags(s: &str) -> Result<String, String> {
    crate::keyspace::events::parse_flags(s.as_bytes())
        .map(|_| s.to_string())
        .ok_or_else(|| NOTIFY_LETTERS.to_string())
}

/// A `--maxmemory` value (`64mb`, as redis.conf writes it).
fn maxmemory_flag(s: &str) -> Result<u64, String> {
    mem_size(s)
}

/// A `--maxmemory-policy` value.
fn policy_flag(s: &str) -> Result<crate::keyspace::evict::Policy, String> {
    crate::keyspace::evict::Policy::parse(s).ok_or_else(|| {
        "must be noeviction, allkeys-lru, allkeys-lfu, allkeys-random, volatile-lru, volatile-lfu, volatile-random or volatile-ttl".to_string()
    })
}

/// Redis's error for a letter that is no notification class.
/// The Redis version ringdis answers as (HELLO, INFO, the RDB files it writes): the behaviour
/// it implements.
pub const REDIS_VERSION: &str = "7.0.0";

pub const NOTIFY_LETTERS: &str = "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.";

/// `client-query-buffer-limit`: a memory size of at least 1 MB, as Redis allows.
pub fn query_buffer_limit(s: &str) -> Result<u64, String> {
    let v = mem_size(s)?;
    if v < 1 << 20 {
        return Err(format!(
            "argument must be between {} and {} inclusive",
            1u64 << 20,
            i64::MAX
        ));
    }
    Ok(v)
}

#[derive(Debug, Clone, Parser)]
#[command(
    name = "ringdis",
    // A flag given twice (in the configuration file, then on the command line) takes its
    // last value.
    args_override_self = true,
    version,
    about = "A Redis-compatible in-memory server, thread-per-core on io_uring"
)]
pub struct Config {
    /// TCP port to listen on (0 picks a free port).
    #[arg(long, default_value_t = 6969)]
    pub port: u16,

    /// Address to bind.
    #[arg(long, default_value = "127.0.0.1")]
    pub bind: IpAddr,

    /// Executor threads, each pinned to a core with its own listener (default: cores available).
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub threads: Option<u16>,

    /// Number of databases (SELECT 0..N-1).
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub databases: u32,

    /// Maximum number of connected clients (lowered at start-up to what `ulimit -n` allows).
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..=u32::MAX as u64))]
    pub maxclients: u64,

    /// Limits on the replies a client leaves unsent, as `<class> <hard> <soft> <seconds>`
    /// (class normal, replica or pubsub; repeat the flag for several classes).
    #[arg(long = "client-output-buffer-limit", value_parser = output_limits_flag)]
    pub client_output_buffer_limit: Vec<String>,

    /// Keyspace notifications to publish (letters as in Redis: K E g $ l s h z x e t m d n A).
    #[arg(long = "notify-keyspace-events", default_value = "", value_parser = notify_flags)]
    pub notify_keyspace_events: String,

    /// Largest request (plus commands queued in MULTI) a client may have pending (e.g. 1gb).
    #[arg(long = "client-query-buffer-limit", default_value = "1gb", value_parser = query_buffer_limit)]
    pub client_query_buffer_limit: u64,

    /// Largest bulk string a request may carry, in bytes.
    #[arg(long = "proto-max-bulk-len", default_value_t = 512 * 1024 * 1024, value_parser = clap::value_parser!(i64).range(1024 * 1024..))]
    pub proto_max_bulk_len: i64,

    /// Close a client idle for more than this many seconds (0: never); subscribed, blocked and
    /// MONITOR clients are kept, as in Redis.
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=i32::MAX as u64))]
    pub timeout: u64,

    /// Memory the server may use for data (e.g. 64mb; 0: no limit); past it maxmemory-policy
    /// applies.
    #[arg(long, default_value = "0", value_parser = maxmemory_flag)]
    pub maxmemory: u64,

    /// What happens past maxmemory: noeviction refuses commands that may grow memory (-OOM);
    /// the others evict keys first.
    #[arg(long = "maxmemory-policy", default_value = "noeviction", value_parser = policy_flag)]
    pub maxmemory_policy: crate::keyspace::evict::Policy,

    /// Active expiry cycles per second.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=500))]
    pub hz: u32,

    /// Do not pin executors to cores (for shared machines and containers that refuse pinning).
    #[arg(long)]
    pub no_pin: bool,

    /// Log every write to the append-only file and replay it at start-up (yes|no).
    #[arg(long, default_value = "yes", value_parser = yes_no, action = clap::ArgAction::Set)]
    pub appendonly: bool,

    /// When the append-only file is fdatasync'ed.
    #[arg(long, value_enum, default_value_t = Fsync::Everysec)]
    pub appendfsync: Fsync,

    /// Directory of the append-only file.
    #[arg(long, default_value = ".")]
    pub dir: PathBuf,

    /// File name of the append-only file, inside --dir.
    #[arg(long, default_value = "appendonly.aof")]
    pub appendfilename: String,

    /// Rewrite the append-only file when it has grown by this percentage since the last rewrite
    /// (0 disables automatic rewrites).
    #[arg(long = "auto-aof-rewrite-percentage", default_value_t = 100)]
    pub auto_aof_rewrite_percentage: u32,

    /// ... but not before it reaches this size (e.g. 64mb).
    #[arg(long = "auto-aof-rewrite-min-size", default_value = "64mb", value_parser = mem_size)]
    pub auto_aof_rewrite_min_size: u64,

    /// The default user's password: clients must AUTH with it before other commands run
    /// (empty: none, as Redis's requirepass).
    #[arg(long, default_value = "")]
    pub requirepass: String,

    /// With no password set, refuse clients that do not connect over loopback (yes|no), as
    /// Redis's protected-mode.
    #[arg(long = "protected-mode", default_value = "yes", value_parser = yes_no, action = clap::ArgAction::Set)]
    pub protected_mode: bool,

    /// Allow the DEBUG command (yes|no), as Redis's enable-debug-command. Tests use it to inject
    /// disk faults into the append-only file writer.
    #[arg(long = "enable-debug-command", default_value = "no", value_parser = yes_no, action = clap::ArgAction::Set)]
    pub enable_debug_command: bool,

    /// Write the process id to this file at start-up, and remove it at exit ("": none).
    #[arg(long, default_value = "")]
    pub pidfile: String,

    /// Send standard output and error (the ready line and the log) to this file, appended
    /// ("": leave them where they are).
    #[arg(long, default_value = "")]
    pub logfile: String,

    /// The configuration file read at start-up (INFO config_file), if any.
    #[arg(skip)]
    pub config_file: Option<PathBuf>,

    /// Parameters set in the configuration file that are not flags, applied at start-up as
    /// CONFIG SET would apply them.
    #[arg(skip)]
    pub file_params: Vec<FileParam>,
    /// `user` lines of the configuration file: the name and rules of each, and where.
    #[arg(skip)]
    pub file_users: Vec<(Vec<String>, String)>,
}

/// A parameter set by the configuration file (its checked value, and where it was set).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileParam {
    pub name: String,
    pub value: String,
    /// `file:line`, for errors.
    pub place: String,
}

impl Default for Config {
    fn default() -> Self {
        Config::parse_from(["ringdis"])
    }
}

impl Config {
    /// The `--client-output-buffer-limit` flags, in order (checked when parsed).
    pub fn output_limits(&self) -> Result<Vec<(ClientClass, OutputLimit)>, String> {
        let mut all = Vec::new();
        for f in &self.client_output_buffer_limit {
            all.extend(output_limits(f)?);
        }
        Ok(all)
    }

    /// Path of the append-only file.
    pub fn aof_path(&self) -> PathBuf {
        self.dir.join(&self.appendfilename)
    }

    /// Executors to start: the flag, or the cores this process may run on.
    pub fn thread_count(&self) -> usize {
        match self.threads {
            Some(n) => n as usize,
            None => core_affinity::get_core_ids().map_or(1, |c| c.len().max(1)),
        }
    }
}
