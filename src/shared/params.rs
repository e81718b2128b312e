//! Every parameter of Redis 7.0's configuration table, as CONFIG GET and SET know it: name,
//! alias, type with its range or choices, default and whether it can change at run time. The
//! facts are redis-server 7.0.15's (its CONFIG GET * and the errors its CONFIG SET gives).
//!
//! Parameters ringdis acts on are read and written where they take effect (see
//! `cmd::settings`); the others are checked as Redis checks them and kept here, so a client's
//! setup that sets them works, and a feature built later reads them from here.

use parking_lot::Mutex;
use std::collections::HashMap;

/// A parameter's type, with what Redis accepts for it.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    Bool,
    /// An integer within [min, max].
    Int(i64, i64),
    /// A memory size (`1kb`, `5mb`...), at least the given number of bytes.
    Mem(i64),
    /// A memory size or a percentage (`10%`).
    MemPct,
    Enum(&'static [&'static str]),
    Str,
    /// Checked by its own parser.
    Special,
}

use Kind::*;

/// Cannot change while the server runs.
pub const IMMUTABLE: u8 = 1;
/// Changed only where `enable-protected-configs` allows (`yes`; `local`: from loopback).
pub const PROTECTED: u8 = 2;

pub struct Param {
    pub name: &'static str,
    pub alias: Option<&'static str>,
    pub kind: Kind,
    pub default: &'static str,
    pub flags: u8,
}

const fn p(
    name: &'static str,
    alias: Option<&'static str>,
    kind: Kind,
    default: &'static str,
    flags: u8,
) -> Param {
    Param {
        name,
        alias,
        kind,
        default,
        flags,
    }
}

/// Redis 7.0's parameters, by name.
pub static PARAMS: &[Param] = &[
    p(
        "acl-pubsub-default",
        None,
        Enum(&["allchannels", "resetchannels"]),
        "resetchannels",
        0,
    ),
    p("aclfile", None, Str, "", IMMUTABLE),
    p("acllog-max-len", None, Int(0, i64::MAX), "128", 0),
    p("active-defrag-cycle-max", None, Int(1, 99), "25", 0),
    p("active-defrag-cycle-min", None, Int(1, 99), "1", 0),
    p("active-defrag-ignore-bytes", None, Mem(0), "104857600", 0),
    p(
        "active-defrag-max-scan-fields",
        None,
        Int(1, i64::MAX),
        "1000",
        0,
    ),
    p("active-defrag-threshold-lower", None, Int(0, 1000), "10", 0),
    p(
        "active-defrag-threshold-upper",
        None,
        Int(0, 1000),
        "100",
        0,
    ),
    p("active-expire-effort", None, Int(1, 10), "1", 0),
    p("activedefrag", None, Bool, "no", 0),
    p("activerehashing", None, Bool, "yes", 0),
    p("always-show-logo", None, Bool, "no", IMMUTABLE),
    p("aof-disable-auto-gc", None, Bool, "no", 0),
    p("aof-load-truncated", None, Bool, "yes", 0),
    p("aof-rewrite-incremental-fsync", None, Bool, "yes", 0),
    p("aof-timestamp-enabled", None, Bool, "no", 0),
    p("aof-use-rdb-preamble", None, Bool, "yes", 0),
    p("aof_rewrite_cpulist", None, Str, "", IMMUTABLE),
    p("appenddirname", None, Str, "", IMMUTABLE),
    p("appendfilename", None, Str, "appendonly.aof", IMMUTABLE),
    p(
        "appendfsync",
        None,
        Enum(&["everysec", "always", "no"]),
        "everysec",
        0,
    ),
    p("appendonly", None, Bool, "yes", 0),
    p("auto-aof-rewrite-min-size", None, Mem(0), "67108864", 0),
    p(
        "auto-aof-rewrite-percentage",
        None,
        Int(0, i32::MAX as i64),
        "100",
        0,
    ),
    p("bgsave_cpulist", None, Str, "", IMMUTABLE),
    p("bind", None, Str, "* -::*", IMMUTABLE),
    p("bind-source-addr", None, Str, "", 0),
    p("bio_cpulist", None, Str, "", IMMUTABLE),
    p(
        "busy-reply-threshold",
        Some("lua-time-limit"),
        Int(0, i64::MAX),
        "5000",
        0,
    ),
    p(
        "client-output-buffer-limit",
        None,
        Special,
        "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60",
        0,
    ),
    p(
        "client-query-buffer-limit",
        None,
        Mem(1048576),
        "1073741824",
        0,
    ),
    p("cluster-allow-pubsubshard-when-down", None, Bool, "yes", 0),
    p("cluster-allow-reads-when-down", None, Bool, "no", 0),
    p("cluster-allow-replica-migration", None, Bool, "yes", 0),
    p("cluster-announce-bus-port", None, Int(0, 65535), "0", 0),
    p("cluster-announce-hostname", None, Special, "", 0),
    p("cluster-announce-ip", None, Str, "", 0),
    p("cluster-announce-port", None, Int(0, 65535), "0", 0),
    p("cluster-announce-tls-port", None, Int(0, 65535), "0", 0),
    p("cluster-config-file", None, Str, "nodes.conf", IMMUTABLE),
    p("cluster-enabled", None, Bool, "no", IMMUTABLE),
    p("cluster-link-sendbuf-limit", None, Mem(0), "0", 0),
    p(
        "cluster-migration-barrier",
        None,
        Int(0, i32::MAX as i64),
        "1",
        0,
    ),
    p("cluster-node-timeout", None, Int(0, i64::MAX), "15000", 0),
    p("cluster-port", None, Int(0, 65535), "0", IMMUTABLE),
    p(
        "cluster-preferred-endpoint-type",
        None,
        Enum(&["ip", "hostname", "unknown-endpoint"]),
        "ip",
        0,
    ),
    p(
        "cluster-replica-no-failover",
        Some("cluster-slave-no-failover"),
        Bool,
        "no",
        0,
    ),
    p(
        "cluster-replica-validity-factor",
        Some("cluster-slave-validity-factor"),
        Int(0, i32::MAX as i64),
        "10",
        0,
    ),
    p("cluster-require-full-coverage", None, Bool, "yes", 0),
    p("crash-log-enabled", None, Bool, "yes", 0),
    p("crash-memcheck-enabled", None, Bool, "yes", 0),
    p("daemonize", None, Bool, "no", IMMUTABLE),
    p("databases", None, Int(1, i32::MAX as i64), "16", IMMUTABLE),
    p("dbfilename", None, Str, "dump.rdb", PROTECTED),
    p("dir", None, Str, "", PROTECTED),
    p("disable-thp", None, Bool, "yes", IMMUTABLE),
    p("dynamic-hz", None, Bool, "yes", 0),
    p("enable-debug-command", None, Bool, "no", IMMUTABLE),
    p("enable-module-command", None, Bool, "no", IMMUTABLE),
    p(
        "enable-protected-configs",
        None,
        Enum(&["no", "yes", "local"]),
        "no",
        IMMUTABLE,
    ),
    p(
        "hash-max-listpack-entries",
        Some("hash-max-ziplist-entries"),
        Int(0, i64::MAX),
        "512",
        0,
    ),
    p(
        "hash-max-listpack-value",
        Some("hash-max-ziplist-value"),
        Mem(0),
        "64",
        0,
    ),
    p("hll-sparse-max-bytes", None, Mem(0), "3000", 0),
    p("hz", None, Int(0, i32::MAX as i64), "10", 0),
    p("ignore-warnings", None, Str, "", 0),
    p("io-threads", None, Int(1, 128), "1", IMMUTABLE),
    p("io-threads-do-reads", None, Bool, "no", IMMUTABLE),
    p("jemalloc-bg-thread", None, Bool, "yes", 0),
    p("latency-monitor-threshold", None, Int(0, i64::MAX), "0", 0),
    p("latency-tracking", None, Bool, "yes", 0),
    p(
        "latency-tracking-info-percentiles",
        None,
        Special,
        "50 99 99.9",
        0,
    ),
    p("lazyfree-lazy-eviction", None, Bool, "no", 0),
    p("lazyfree-lazy-expire", None, Bool, "no", 0),
    p("lazyfree-lazy-server-del", None, Bool, "no", 0),
    p("lazyfree-lazy-user-del", None, Bool, "no", 0),
    p("lazyfree-lazy-user-flush", None, Bool, "no", 0),
    p("lfu-decay-time", None, Int(0, i32::MAX as i64), "1", 0),
    p("lfu-log-factor", None, Int(0, i32::MAX as i64), "10", 0),
    p("list-compress-depth", None, Int(0, i32::MAX as i64), "0", 0),
    p(
        "list-max-listpack-size",
        Some("list-max-ziplist-size"),
        Int(i32::MIN as i64, i32::MAX as i64),
        "-2",
        0,
    ),
    p("logfile", None, Str, "", IMMUTABLE),
    p(
        "loglevel",
        None,
        Enum(&["debug", "verbose", "notice", "warning"]),
        "notice",
        0,
    ),
    p("masterauth", None, Str, "", 0),
    p("masteruser", None, Str, "", 0),
    p("maxclients", None, Int(1, u32::MAX as i64), "10000", 0),
    p("maxmemory", None, Mem(0), "0", 0),
    p("maxmemory-clients", None, MemPct, "0", 0),
    p("maxmemory-eviction-tenacity", None, Int(0, 100), "10", 0),
    p(
        "maxmemory-policy",
        None,
        Enum(&[
            "volatile-lru",
            "volatile-lfu",
            "volatile-random",
            "volatile-ttl",
            "allkeys-lru",
            "allkeys-lfu",
            "allkeys-random",
            "noeviction",
        ]),
        "noeviction",
        0,
    ),
    p("maxmemory-samples", None, Int(1, i32::MAX as i64), "5", 0),
    p(
        "min-replicas-max-lag",
        Some("min-slaves-max-lag"),
        Int(0, i32::MAX as i64),
        "10",
        0,
    ),
    p(
        "min-replicas-to-write",
        Some("min-slaves-to-write"),
        Int(0, i32::MAX as i64),
        "0",
        0,
    ),
    p("no-appendfsync-on-rewrite", None, Bool, "no", 0),
    p("notify-keyspace-events", None, Special, "", 0),
    p(
        "oom-score-adj",
        None,
        Enum(&["no", "yes", "relative", "absolute"]),
        "no",
        0,
    ),
    p("oom-score-adj-values", None, Special, "0 200 800", 0),
    p("pidfile", None, Str, "", IMMUTABLE),
    p("port", None, Int(0, 65535), "6969", IMMUTABLE),
    p(
        "proc-title-template",
        None,
        Str,
        "{title} {listen-addr} {server-mode}",
        0,
    ),
    p(
        "propagation-error-behavior",
        None,
        Enum(&["ignore", "panic", "panic-on-replicas"]),
        "ignore",
        0,
    ),
    p("protected-mode", None, Bool, "yes", 0),
    p("proto-max-bulk-len", None, Mem(1048576), "536870912", 0),
    p("rdb-del-sync-files", None, Bool, "no", 0),
    p("rdb-save-incremental-fsync", None, Bool, "yes", 0),
    p("rdbchecksum", None, Bool, "yes", IMMUTABLE),
    p("rdbcompression", None, Bool, "yes", 0),
    p("repl-backlog-size", None, Mem(0), "1048576", 0),
    p("repl-backlog-ttl", None, Int(0, i64::MAX), "3600", 0),
    p("repl-disable-tcp-nodelay", None, Bool, "no", 0),
    p(
        "repl-diskless-load",
        None,
        Enum(&["disabled", "on-empty-db", "swapdb"]),
        "disabled",
        0,
    ),
    p("repl-diskless-sync", None, Bool, "yes", 0),
    p(
        "repl-diskless-sync-delay",
        None,
        Int(0, i32::MAX as i64),
        "5",
        0,
    ),
    p(
        "repl-diskless-sync-max-replicas",
        None,
        Int(0, i32::MAX as i64),
        "0",
        0,
    ),
    p(
        "repl-ping-replica-period",
        Some("repl-ping-slave-period"),
        Int(1, i32::MAX as i64),
        "10",
        0,
    ),
    p("repl-timeout", None, Int(1, i32::MAX as i64), "60", 0),
    p("replica-announce-ip", Some("slave-announce-ip"), Str, "", 0),
    p(
        "replica-announce-port",
        Some("slave-announce-port"),
        Int(0, 65535),
        "0",
        0,
    ),
    p("replica-announced", None, Bool, "yes", 0),
    p("replica-ignore-disk-write-errors", None, Bool, "no", 0),
    p(
        "replica-ignore-maxmemory",
        Some("slave-ignore-maxmemory"),
        Bool,
        "yes",
        0,
    ),
    p(
        "replica-lazy-flush",
        Some("slave-lazy-flush"),
        Bool,
        "no",
        0,
    ),
    p(
        "replica-priority",
        Some("slave-priority"),
        Int(0, i32::MAX as i64),
        "100",
        0,
    ),
    p("replica-read-only", Some("slave-read-only"), Bool, "yes", 0),
    p(
        "replica-serve-stale-data",
        Some("slave-serve-stale-data"),
        Bool,
        "yes",
        0,
    ),
    p("replicaof", Some("slaveof"), Str, "", IMMUTABLE),
    p("requirepass", None, Special, "", 0),
    p(
        "sanitize-dump-payload",
        None,
        Enum(&["no", "yes", "clients"]),
        "no",
        0,
    ),
    p("save", None, Special, "", 0),
    p("server_cpulist", None, Str, "", IMMUTABLE),
    p("set-max-intset-entries", None, Int(0, i64::MAX), "512", 0),
    p("set-proc-title", None, Bool, "yes", IMMUTABLE),
    p(
        "shutdown-on-sigint",
        None,
        Enum(&["default", "save", "nosave", "now", "force"]),
        "default",
        0,
    ),
    p(
        "shutdown-on-sigterm",
        None,
        Enum(&["default", "save", "nosave", "now", "force"]),
        "default",
        0,
    ),
    p("shutdown-timeout", None, Int(0, i32::MAX as i64), "10", 0),
    p(
        "slowlog-log-slower-than",
        None,
        Int(-1, i64::MAX),
        "10000",
        0,
    ),
    p("slowlog-max-len", None, Int(0, i64::MAX), "128", 0),
    p(
        "socket-mark-id",
        None,
        Int(i64::MIN, i64::MAX),
        "0",
        IMMUTABLE,
    ),
    p("stop-writes-on-bgsave-error", None, Bool, "yes", 0),
    p("stream-node-max-bytes", None, Mem(0), "4096", 0),
    p("stream-node-max-entries", None, Int(0, i64::MAX), "100", 0),
    p(
        "supervised",
        None,
        Enum(&["upstart", "systemd", "auto", "no"]),
        "no",
        IMMUTABLE,
    ),
    p("syslog-enabled", None, Bool, "no", IMMUTABLE),
    p("syslog-facility", None, Str, "local0", IMMUTABLE),
    p("syslog-ident", None, Str, "redis", IMMUTABLE),
    p(
        "tcp-backlog",
        None,
        Int(i64::MIN, i64::MAX),
        "511",
        IMMUTABLE,
    ),
    p("tcp-keepalive", None, Int(0, i32::MAX as i64), "300", 0),
    p("timeout", None, Int(0, i32::MAX as i64), "0", 0),
    p(
        "tls-auth-clients",
        None,
        Enum(&["no", "yes", "optional"]),
        "yes",
        0,
    ),
    p("tls-ca-cert-dir", None, Str, "", 0),
    p("tls-ca-cert-file", None, Str, "", 0),
    p("tls-cert-file", None, Str, "", 0),
    p("tls-ciphers", None, Str, "", 0),
    p("tls-ciphersuites", None, Str, "", 0),
    p("tls-client-cert-file", None, Str, "", 0),
    p("tls-client-key-file", None, Str, "", 0),
    p("tls-client-key-file-pass", None, Str, "", 0),
    p("tls-cluster", None, Bool, "no", 0),
    p("tls-dh-params-file", None, Str, "", 0),
    p("tls-key-file", None, Str, "", 0),
    p("tls-key-file-pass", None, Str, "", 0),
    p("tls-port", None, Int(0, 65535), "0", IMMUTABLE),
    p("tls-prefer-server-ciphers", None, Bool, "no", 0),
    p("tls-protocols", None, Str, "", 0),
    p("tls-replication", None, Bool, "no", 0),
    p(
        "tls-session-cache-size",
        None,
        Int(0, i32::MAX as i64),
        "20480",
        0,
    ),
    p(
        "tls-session-cache-timeout",
        None,
        Int(0, i32::MAX as i64),
        "300",
        0,
    ),
    p("tls-session-caching", None, Bool, "yes", 0),
    p(
        "tracking-table-max-keys",
        None,
        Int(0, i64::MAX),
        "1000000",
        0,
    ),
    p("unixsocket", None, Str, "", IMMUTABLE),
    p(
        "unixsocketperm",
        None,
        Int(i64::MIN, i64::MAX),
        "0",
        IMMUTABLE,
    ),
    p(
        "zset-max-listpack-entries",
        Some("zset-max-ziplist-entries"),
        Int(0, i64::MAX),
        "128",
        0,
    ),
    p(
        "zset-max-listpack-value",
        Some("zset-max-ziplist-value"),
        Mem(0),
        "64",
        0,
    ),
];

/// The parameter called `name` (or aliased so), lower-case.
pub fn find(name: &str) -> Option<&'static Param> {
    PARAMS
        .iter()
        .find(|p| p.name == name || p.alias == Some(name))
}

/// Checks `val` as Redis does for a parameter of `kind`, and gives the text CONFIG GET shows
/// for it afterwards; the error is Redis's reason.
pub fn normalize(kind: Kind, val: &str) -> Result<String, String> {
    match kind {
        Bool => crate::config::yes_no(val).map(|b| if b { "yes" } else { "no" }.to_string()),
        Int(lo, hi) => {
            let n = crate::resp::parse_i64(val.as_bytes())
                .ok_or("argument couldn't be parsed into an integer")?;
            if n < lo || n > hi {
                return Err(format!("argument must be between {lo} and {hi} inclusive"));
            }
            Ok(n.to_string())
        }
        Mem(lo) => {
            let n = crate::config::mem_size(val)?;
            if n > i64::MAX as u64 || (n as i64) < lo {
                return Err(format!(
                    "argument must be between {lo} and {} inclusive",
                    i64::MAX
                ));
            }
            Ok(n.to_string())
        }
        MemPct => {
            if let Some(pct) = val.strip_suffix('%') {
                match pct.parse::<u64>() {
                    Ok(n) if n <= i64::MAX as u64 => Ok(format!("{n}%")),
                    _ => Err("argument must be a memory or percent value".into()),
                }
            } else {
                crate::config::mem_size(val)
                    .map(|n| n.to_string())
                    .map_err(|_| "argument must be a memory or percent value".into())
            }
        }
        Enum(choices) => {
            let l = val.to_ascii_lowercase();
            choices
                .iter()
                .find(|c| **c == l)
                .map(|c| c.to_string())
                .ok_or_else(|| {
                    format!(
                        "argument(s) must be one of the following: {}",
                        choices.join(", ")
                    )
                })
        }
        Str | Special => Ok(val.to_string()),
    }
}

/// The values of the parameters ringdis keeps without acting on them (canonical names).
#[derive(Default)]
pub struct Params {
    set: Mutex<HashMap<&'static str, String>>,
}

impl Params {
    /// The current value: what was set, or the default.
    pub fn get(&self, p: &'static Param) -> String {
        self.set
            .lock()
            .get(p.name)
            .cloned()
            .unwrap_or_else(|| p.default.to_string())
    }

    pub fn put(&self, p: &'static Param, val: String) {
        self.set.lock().insert(p.name, val);
    }

    /// The current value of the parameter called `name` (empty for a name not in the table).
    pub fn value(&self, name: &str) -> String {
        find(name).map_or_else(String::new, |p| self.get(p))
    }

    /// An integer parameter's current value (0 if it does not parse).
    pub fn int(&self, name: &str) -> i64 {
        crate::resp::parse_i64(self.value(name).as_bytes()).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_names_unique() {
        let mut seen = std::collections::HashSet::new();
        for p in PARAMS {
            assert!(seen.insert(p.name), "{}", p.name);
            if let Some(a) = p.alias {
                assert!(seen.insert(a), "{a}");
            }
            if p.default.is_empty() || matches!(p.kind, Special | Str) {
                continue;
            }
            assert_eq!(
                normalize(p.kind, p.default).as_deref(),
                Ok(p.default),
                "{}",
                p.name
            );
        }
    }
}
