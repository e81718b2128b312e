//! CONFIG GET, SET, RESETSTAT and HELP: the settings a running server exposes.

use super::introspection::fmt_percentile;
use super::{help, Action, Ctx, OK};
use crate::config::Fsync;
use crate::error::{CmdError, CmdResult};
use crate::keyspace::packed::{self, limit};
use crate::keyspace::{glob, Tx};
use crate::resp::Args;
use crate::shared::params::{find, normalize, Param, IMMUTABLE, PARAMS, PROTECTED};
use crate::shared::Shared;
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// The value of a parameter ringdis acts on, read where it takes effect (None: a parameter
/// kept in [`crate::shared::params::Params`]).
fn live_value(sh: &Shared, name: &str) -> Option<String> {
    let c = &sh.config;
    let relaxed = Ordering::Relaxed;
    Some(match name {
        "port" => sh.port.load(relaxed).to_string(),
        "bind" => c.bind.to_string(),
        "databases" => c.databases.to_string(),
        "io-threads" => sh.threads.to_string(),
        "maxclients" => sh.maxclients.load(relaxed).to_string(),
        "client-output-buffer-limit" => sh.output_limits.render(),
        "notify-keyspace-events" => {
            crate::keyspace::events::flags_text(sh.ks.events.flags.load(relaxed))
        }
        "client-query-buffer-limit" => sh.query_buf_limit.load(relaxed).to_string(),
        "proto-max-bulk-len" => sh.proto_max_bulk_len.load(relaxed).to_string(),
        "hz" => sh.hz.load(relaxed).to_string(),
        "requirepass" => sh.auth.password(),
        "pidfile" => c.pidfile.clone(),
        "logfile" => c.logfile.clone(),
        n if n.starts_with("lazyfree-lazy-") => {
            yes_no(sh.ks.lazy().get(n)?.load(relaxed)).to_string()
        }
        "protected-mode" => yes_no(sh.auth.protected_mode.load(relaxed)).to_string(),
        "acllog-max-len" => sh.auth.log_max.load(relaxed).to_string(),
        "loglevel" => crate::log::level().name().to_string(),
        "acl-pubsub-default" => if sh.auth.allchannels_default.load(relaxed) {
            "allchannels"
        } else {
            "resetchannels"
        }
        .to_string(),
        "hll-sparse-max-bytes" => sh.hll_sparse_max.load(relaxed).to_string(),
        "timeout" => sh.timeout.load(relaxed).to_string(),
        "tcp-keepalive" => sh.tcp_keepalive.load(relaxed).to_string(),
        "busy-reply-threshold" => sh.busy.threshold_ms.load(relaxed).to_string(),
        "maxmemory" => sh.ks.budget.maxmemory.load(relaxed).to_string(),
        "zset-max-listpack-entries" => limit(&packed::ZSET_ENTRIES).to_string(),
        "zset-max-listpack-value" => limit(&packed::ZSET_VALUE).to_string(),
        "hash-max-listpack-entries" => limit(&packed::HASH_ENTRIES).to_string(),
        "hash-max-listpack-value" => limit(&packed::HASH_VALUE).to_string(),
        "set-max-intset-entries" => limit(&packed::SET_INTSET_ENTRIES).to_string(),
        "list-max-listpack-size" => packed::LIST_SIZE.load(relaxed).to_string(),
        "list-compress-depth" => limit(&packed::LIST_COMPRESS_DEPTH).to_string(),
        "maxmemory-policy" => sh.ks.budget.policy().name().into(),
        "maxmemory-samples" => sh.ks.budget.samples.load(relaxed).to_string(),
        "lfu-log-factor" => sh.ks.lfu_settings().log_factor.load(relaxed).to_string(),
        "lfu-decay-time" => sh.ks.lfu_settings().decay_minutes.load(relaxed).to_string(),
        "maxmemory-eviction-tenacity" => sh.ks.budget.tenacity.load(relaxed).to_string(),
        "tracking-table-max-keys" => sh.tracking.max_keys.load(relaxed).to_string(),
        "stream-node-max-entries" => sh.stream_node_max_entries.load(relaxed).to_string(),
        "stream-node-max-bytes" => sh.stream_node_max_bytes.load(relaxed).to_string(),
        "appendonly" => yes_no(sh.aof.enabled()).into(),
        "appendfsync" => sh.aof.policy().name().into(),
        "appendfilename" => c.appendfilename.clone(),
        "auto-aof-rewrite-percentage" => sh.aof.rewrite_pct.load(relaxed).to_string(),
        "auto-aof-rewrite-min-size" => sh.aof.rewrite_min.load(relaxed).to_string(),
        "enable-debug-command" => yes_no(c.enable_debug_command).into(),
        "latency-tracking" => yes_no(sh.latency.tracking.load(relaxed)).into(),
        "latency-tracking-info-percentiles" => sh
            .latency
            .percentiles
            .lock()
            .iter()
            .map(|p| fmt_percentile(*p))
            .collect::<Vec<_>>()
            .join(" "),
        "slowlog-log-slower-than" => sh.latency.slower_than_us.load(relaxed).to_string(),
        "slowlog-max-len" => sh.latency.slowlog_max.load(relaxed).to_string(),
        "latency-monitor-threshold" => sh.latency.monitor_threshold_ms.load(relaxed).to_string(),
        "dir" => sh.dir().display().to_string(),
        _ => return None,
    })
}

/// A parameter's current value.
fn value(sh: &Shared, p: &'static Param) -> String {
    live_value(sh, p.name).unwrap_or_else(|| sh.params.get(p))
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

/// A checked CONFIG SET value, applied once every pair of the command checked out.
type Apply = Box<dyn FnOnce(&Arc<Shared>, &Tx) -> Result<(), String>>;

/// An [`Apply`] that cannot fail.
fn ok(f: impl FnOnce(&Arc<Shared>) + 'static) -> Apply {
    Box::new(move |sh, _| {
        f(sh);
        Ok(())
    })
}

/// A setting that lives in one atomic of [`Shared`].
fn store_u64(n: u64, field: fn(&Shared) -> &std::sync::atomic::AtomicU64) -> Apply {
    ok(move |sh| field(sh).store(n, Ordering::Relaxed))
}

/// A limit of packed collections (see [`packed`]).
fn store_limit(n: i64, l: &'static std::sync::atomic::AtomicUsize) -> Apply {
    let n = n.max(0) as usize;
    ok(move |_| l.store(n, Ordering::Relaxed))
}

/// Checks one CONFIG SET pair as Redis does, without changing anything yet.
fn prepare(sh: &Arc<Shared>, p: &'static Param, raw: &[u8]) -> Result<Apply, String> {
    let text = String::from_utf8_lossy(raw).into_owned();
    let norm = normalize(p.kind, &text)?;
    let num = || norm.parse::<i64>().unwrap_or(0);
    let relaxed = Ordering::Relaxed;
    Ok(match p.name {
        "maxclients" => {
            let want = num() as u64;
            // More clients need more descriptors: raise the limit, or refuse as Redis does.
            let fit = crate::shared::limits::fit_open_files(want, sh.threads)?;
            for note in &fit.notes {
                crate::notice!("{note}");
            }
            if fit.maxclients < want {
                return Err(format!(
                    "The operating system is not able to handle the specified number of clients, try with {}",
                    fit.maxclients
                ));
            }
            ok(move |sh| {
                sh.maxclients.store(want, relaxed);
            })
        }
        "client-output-buffer-limit" => {
            let groups = crate::config::output_limits(&text)?;
            Box::new(move |sh, _| {
                for (class, limit) in groups {
                    sh.output_limits.set(class, limit);
                }
                Ok(())
            })
        }
        "notify-keyspace-events" => {
            let flags =
                crate::keyspace::events::parse_flags(raw).ok_or(crate::config::NOTIFY_LETTERS)?;
            ok(move |sh| {
                sh.ks.events.flags.store(flags, relaxed);
            })
        }
        "client-query-buffer-limit" => {
            let n = num() as u64;
            ok(move |sh| {
                sh.query_buf_limit.store(n, relaxed);
            })
        }
        "proto-max-bulk-len" => {
            let n = num();
            ok(move |sh| {
                sh.proto_max_bulk_len.store(n, relaxed);
            })
        }
        // Redis keeps hz within 1..500 whatever was set.
        "hz" => {
            let n = num().clamp(1, 500) as u32;
            ok(move |sh| {
                sh.hz.store(n, relaxed);
            })
        }
        "hll-sparse-max-bytes" => store_u64(num() as u64, |sh| &sh.hll_sparse_max),
        "min-replicas-to-write" => store_u64(num().max(0) as u64, |sh| &sh.repl.min_replicas),
        "min-replicas-max-lag" => store_u64(num().max(0) as u64, |sh| &sh.repl.min_replicas_lag),
        "repl-backlog-size" => {
            let n = num().max(0) as u64;
            ok(move |sh| {
                sh.aof.with_backlog(|b| b.set_size(n));
            })
        }
        "requirepass" => ok(move |sh| sh.auth.set_password(&text)),
        n if n.starts_with("lazyfree-lazy-") => {
            let on = norm == "yes";
            ok(move |sh| {
                if let Some(flag) = sh.ks.lazy().get(p.name) {
                    flag.store(on, relaxed)
                }
            })
        }
        "protected-mode" => {
            let on = norm == "yes";
            ok(move |sh| sh.auth.protected_mode.store(on, relaxed))
        }
        // As Redis: the process moves there. The append-only file follows with a rewrite
        // that starts at once (or when the running one ends), so a restart finds it there.
        "dir" => {
            let dir = std::path::PathBuf::from(&text);
            let errno_text =
                |e: &std::io::Error| crate::aof::strerror(e.raw_os_error().unwrap_or(libc::ENOENT));
            match std::fs::metadata(&dir) {
                Err(e) => return Err(errno_text(&e)),
                Ok(m) if !m.is_dir() => return Err(crate::aof::strerror(libc::ENOTDIR)),
                Ok(_) => {}
            }
            Box::new(move |sh, _| sh.set_dir(&dir).map_err(|e| errno_text(&e)))
        }
        "loglevel" => {
            let l = crate::log::Level::parse(&norm).unwrap_or(crate::log::Level::Notice);
            ok(move |_| crate::log::set_level(l))
        }
        "acllog-max-len" => {
            let n = num() as u64;
            ok(move |sh| {
                sh.auth.log_max.store(n, relaxed);
                let mut log = sh.auth.log.lock();
                log.entries.truncate(n as usize);
            })
        }
        "acl-pubsub-default" => {
            let all = norm == "allchannels";
            ok(move |sh| sh.auth.allchannels_default.store(all, relaxed))
        }
        "tracking-table-max-keys" => store_u64(num() as u64, |sh| &sh.tracking.max_keys),
        "timeout" => store_u64(num() as u64, |sh| &sh.timeout),
        "tcp-keepalive" => store_u64(num() as u64, |sh| &sh.tcp_keepalive),
        "busy-reply-threshold" => store_u64(num() as u64, |sh| &sh.busy.threshold_ms),
        "maxmemory" => {
            let n = num() as u64;
            ok(move |sh| {
                sh.ks.budget.maxmemory.store(n, relaxed);
                let used = crate::shared::limits::allocated_bytes();
                if n != 0 && n < used {
                    crate::warning!(
                        "the new maxmemory value set via CONFIG SET ({n}) is smaller than the current memory usage ({used}). This will result in key eviction and/or the inability to accept new write commands depending on the maxmemory-policy."
                    );
                }
            })
        }
        "maxmemory-policy" => {
            let policy = crate::keyspace::evict::Policy::parse(&norm)
                .ok_or("argument(s) must be one of the following")?;
            ok(move |sh| sh.ks.set_policy(policy))
        }
        // Collections read these where they grow (process-wide, as Redis's are).
        "zset-max-listpack-entries" => store_limit(num(), &packed::ZSET_ENTRIES),
        "zset-max-listpack-value" => store_limit(num(), &packed::ZSET_VALUE),
        "hash-max-listpack-entries" => store_limit(num(), &packed::HASH_ENTRIES),
        "hash-max-listpack-value" => store_limit(num(), &packed::HASH_VALUE),
        "set-max-intset-entries" => store_limit(num(), &packed::SET_INTSET_ENTRIES),
        "list-compress-depth" => store_limit(num(), &packed::LIST_COMPRESS_DEPTH),
        "list-max-listpack-size" => {
            let n = num() as isize;
            ok(move |_| packed::LIST_SIZE.store(n, relaxed))
        }
        "lfu-log-factor" => {
            let n = num() as u32;
            ok(move |sh| sh.ks.lfu_settings().log_factor.store(n, relaxed))
        }
        "lfu-decay-time" => {
            let n = num() as u32;
            ok(move |sh| sh.ks.lfu_settings().decay_minutes.store(n, relaxed))
        }
        "maxmemory-samples" => {
            let n = num() as u32;
            ok(move |sh| sh.ks.budget.samples.store(n, relaxed))
        }
        "maxmemory-eviction-tenacity" => {
            let n = num() as u32;
            ok(move |sh| sh.ks.budget.tenacity.store(n, relaxed))
        }
        "stream-node-max-entries" => store_u64(num() as u64, |sh| &sh.stream_node_max_entries),
        "stream-node-max-bytes" => store_u64(num() as u64, |sh| &sh.stream_node_max_bytes),
        "appendonly" => {
            let on = norm == "yes";
            Box::new(move |sh, tx| {
                match (on, sh.aof.enabled()) {
                    (true, false) => crate::aof::rewrite::start(sh, tx, true)
                        .map_err(|e| format!("Unable to turn on AOF. Check server logs. ({e})"))?,
                    (false, true) => sh.aof.disable(),
                    _ => {}
                }
                Ok(())
            })
        }
        "appendfsync" => {
            let f = Fsync::parse(norm.as_bytes()).unwrap_or(Fsync::Everysec);
            ok(move |sh| {
                sh.aof.set_policy(f);
            })
        }
        "auto-aof-rewrite-percentage" => {
            let n = num() as u64;
            ok(move |sh| {
                sh.aof.rewrite_pct.store(n, relaxed);
            })
        }
        "auto-aof-rewrite-min-size" => {
            let n = num() as u64;
            ok(move |sh| {
                sh.aof.rewrite_min.store(n, relaxed);
            })
        }
        "latency-tracking" => {
            let on = norm == "yes";
            ok(move |sh| {
                sh.latency.tracking.store(on, relaxed);
            })
        }
        "latency-tracking-info-percentiles" => {
            let mut ps = Vec::new();
            for t in text.split_whitespace() {
                let v: f64 = t
                    .parse()
                    .map_err(|_| "Invalid latency-tracking-info-percentiles parameters")?;
                if !(0.0..=100.0).contains(&v) {
                    return Err(
                        "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]"
                            .into(),
                    );
                }
                ps.push(v);
            }
            ok(move |sh| {
                *sh.latency.percentiles.lock() = ps;
            })
        }
        "slowlog-log-slower-than" => {
            let n = num();
            ok(move |sh| {
                sh.latency.slower_than_us.store(n, relaxed);
            })
        }
        "latency-monitor-threshold" => {
            let n = num() as u64;
            ok(move |sh| {
                sh.latency.monitor_threshold_ms.store(n, relaxed);
                sh.set_special(crate::shared::special::LATENCY_MONITOR, n > 0);
            })
        }
        "slowlog-max-len" => {
            let n = num() as usize;
            ok(move |sh| {
                sh.latency.slowlog_max.store(n, relaxed);
            })
        }
        other => {
            check_special(other, &text)?;
            ok(move |sh| {
                sh.params.put(p, norm);
            })
        }
    })
}

/// Redis's own checks of the parameters with a parser of their own (kept in `params`, read
/// where they act).
fn check_special(name: &str, text: &str) -> Result<(), String> {
    match name {
        "save" if crate::rdb::save::parse_points(text).is_none() => {
            return Err("Invalid save parameters".into());
        }
        "oom-score-adj-values" => {
            let words: Vec<&str> = text.split_whitespace().collect();
            if words.len() != 3 {
                return Err("wrong number of arguments".into());
            }
            if words
                .iter()
                .any(|w| !w.parse::<i64>().is_ok_and(|v| (-2000..=2000).contains(&v)))
            {
                return Err(
                    "Invalid oom-score-adj-values, elements must be between -2000 and 2000."
                        .into(),
                );
            }
        }
        "cluster-announce-hostname"
            if !text
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.') =>
        {
            return Err(
                "Hostnames may only contain alphanumeric characters, hyphens or dots".into(),
            );
        }
        // Redis answers so when built without its jemalloc, as ringdis is.
        "activedefrag" if text.eq_ignore_ascii_case("yes") => {
            return Err("Active defragmentation cannot be enabled: it requires a Redis server compiled with a modified Jemalloc like the one shipped by default with the Redis source distribution".into())
        }
        _ => {}
    }
    Ok(())
}

/// CONFIG GET pattern [pattern ...]: every parameter (aliases too) a pattern matches.
pub fn config_get(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let mut hits: Vec<(&str, String)> = Vec::new();
    for p in PARAMS {
        for name in std::iter::once(p.name).chain(p.alias) {
            if args
                .from(2)
                .iter()
                .any(|pat| glob::matches(pat, name.as_bytes(), true))
            {
                hits.push((name, value(ctx.shared, p)));
            }
        }
    }
    ctx.out.map(hits.len());
    for (n, v) in hits {
        ctx.out.bulk(n.as_bytes());
        ctx.out.bulk(v.as_bytes());
    }
    OK
}

/// CONFIG REWRITE: the configuration file the server started with gets the running values,
/// as Redis rewrites it: each parameter's line (the first, when it is there several times)
/// takes the value CONFIG GET shows, in place, comments and other lines kept; the parameters
/// whose value is not Redis's default and that the file does not name are added at its end.
/// The new file replaces the old one whole (written aside, synced, renamed).
pub fn config_rewrite(ctx: &mut Ctx, _args: Args) -> CmdResult<Action> {
    let sh = ctx.shared;
    let Some(path) = sh.config.config_file.clone() else {
        return Err(CmdError::Other(
            "The server is running without a config file".into(),
        ));
    };
    rewrite_file(sh, &path).map_err(|e| CmdError::Other(format!("Rewriting config file: {e}")))?;
    ctx.out.ok();
    OK
}

fn rewrite_file(sh: &Shared, path: &std::path::Path) -> std::io::Result<()> {
    use crate::config::file::split_args;
    use std::io::Write;
    let text = std::fs::read_to_string(path)?;
    let mut out: Vec<String> = Vec::new();
    let mut written = std::collections::HashSet::new();
    // Users go where the first `user` line was (or at the end); with an ACL file, which holds
    // them, the file's `user` lines are dropped, as Redis rewrites them.
    let aclfile = !sh.params.value("aclfile").is_empty();
    let users: Vec<String> = if aclfile {
        Vec::new()
    } else {
        sh.auth
            .users()
            .iter()
            .map(|u| String::from_utf8_lossy(&super::acl::user_line(u)).into_owned())
            .collect()
    };
    let mut users_written = false;
    for line in text.lines() {
        let t = line.trim();
        let first = (!t.is_empty() && !t.starts_with('#'))
            .then(|| split_args(t))
            .flatten()
            .and_then(|a| a.into_iter().next());
        if first.as_deref() == Some("user") {
            if !users_written {
                out.extend(users.iter().cloned());
                users_written = true;
            }
            continue;
        }
        let named = first.and_then(|name| find(&name.to_ascii_lowercase()));
        match named {
            Some(p) => {
                if written.insert(p.name) {
                    out.extend(directive_of(sh, p));
                }
            }
            None => out.push(line.to_string()),
        }
    }
    let mut header = false;
    for p in PARAMS {
        let v = value(sh, p);
        if written.contains(p.name) || v == p.default {
            continue;
        }
        if !header {
            out.push("# Generated by CONFIG REWRITE".into());
            header = true;
        }
        out.extend(directive_of(sh, p));
    }
    // Users differing from the one default user at start.
    let only_default = users.len() == 1 && users[0] == "user default on nopass ~* &* +@all";
    if !users_written && !users.is_empty() && !only_default {
        if !header {
            out.push("# Generated by CONFIG REWRITE".into());
        }
        out.extend(users);
    }
    let mut body = out.join("\n");
    body.push('\n');
    let tmp = path.with_extension("rewrite.tmp");
    {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(body.as_bytes())?;
        f.sync_all()?;
    }
    if let Ok(meta) = std::fs::metadata(path) {
        std::fs::set_permissions(&tmp, meta.permissions())?;
    }
    std::fs::rename(&tmp, path)
}

/// The line CONFIG REWRITE writes for `p`: `replicaof host port` as Redis writes it (none on a
/// master, so a promoted replica stays a master after a restart), others through [`directive`].
fn directive_of(sh: &Shared, p: &'static Param) -> Option<String> {
    let v = value(sh, p);
    if p.name == "replicaof" {
        return (!v.is_empty()).then(|| format!("replicaof {v}"));
    }
    Some(directive(p.name, &v))
}

/// A configuration line: `name value`, the value quoted (with escapes the file reader undoes)
/// when it is empty or holds spaces, quotes or control characters.
fn directive(name: &str, v: &str) -> String {
    let plain = !v.is_empty()
        && v.bytes()
            .all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\\' && b != b'\'');
    if plain {
        return format!("{name} {v}");
    }
    let mut q = String::with_capacity(v.len() + 2);
    q.push('"');
    for b in v.bytes() {
        match b {
            b'"' => q.push_str("\\\""),
            b'\\' => q.push_str("\\\\"),
            b'\n' => q.push_str("\\n"),
            b'\r' => q.push_str("\\r"),
            b'\t' => q.push_str("\\t"),
            b' ' => q.push(' '),
            _ if b.is_ascii_graphic() => q.push(b as char),
            _ => q.push_str(&format!("\\x{b:02x}")),
        }
    }
    q.push('"');
    format!("{name} {q}")
}

/// Applies the configuration file's parameters that are not flags (see
/// [`crate::shared::conffile`]) as CONFIG SET applies them; an error names where it was set.
pub fn apply_file_params(sh: &Arc<Shared>) -> Result<(), String> {
    let tx = Tx::open(&sh.ks);
    for fp in &sh.config.file_params {
        let p = find(&fp.name).ok_or_else(|| format!("{}: unknown {}", fp.place, fp.name))?;
        let apply = prepare(sh, p, fp.value.as_bytes())
            .map_err(|e| format!("{}: {} {}: {e}", fp.place, fp.name, fp.value))?;
        apply(sh, &tx).map_err(|e| format!("{}: {} {}: {e}", fp.place, fp.name, fp.value))?;
    }
    Ok(())
}

/// Whether `enable-protected-configs` lets this client change protected parameters: `yes`, or
/// `local` for a loopback connection.
fn protected_allowed(ctx: &Ctx) -> bool {
    let mode = ctx.shared.params.value("enable-protected-configs");
    match mode.as_str() {
        "yes" => true,
        "local" => ctx.client.handle.ip().is_some_and(|ip| ip.is_loopback()),
        _ => false,
    }
}

/// CONFIG SET name value [name value ...]: all or nothing, as in Redis 7. Every name is
/// looked up first (unknown, immutable, protected, repeated), then every value checked, then
/// all applied; if applying one fails, those applied before it get their old values back.
pub fn config_set(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    if !args.len().is_multiple_of(2) {
        return Err(CmdError::Syntax);
    }
    let failed = |name: &[u8], why: String| {
        CmdError::ConfigSetFailed(String::from_utf8_lossy(name).into_owned(), why)
    };
    let mut chosen: Vec<(&'static Param, &[u8], &[u8])> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for i in (2..args.len()).step_by(2) {
        let typed = args.get(i);
        let lower = String::from_utf8_lossy(typed).to_ascii_lowercase();
        let p = find(&lower).ok_or_else(|| CmdError::ConfigSetUnknown(lower.clone()))?;
        if p.flags & IMMUTABLE != 0 {
            return Err(failed(typed, "can't set immutable config".into()));
        }
        if p.flags & PROTECTED != 0 && !protected_allowed(ctx) {
            return Err(failed(typed, "can't set protected config".into()));
        }
        if !seen.insert(lower) {
            return Err(failed(typed, "duplicate parameter".into()));
        }
        chosen.push((p, typed, args.get(i + 1)));
    }
    let mut ready = Vec::with_capacity(chosen.len());
    for (p, typed, val) in &chosen {
        ready.push((
            *p,
            prepare(ctx.shared, p, val).map_err(|e| failed(typed, e))?,
        ));
    }
    let sh = ctx.shared;
    let mut done: Vec<(&'static Param, String)> = Vec::new();
    for (i, (p, apply)) in ready.into_iter().enumerate() {
        let before = value(sh, p);
        if let Err(e) = apply(sh, ctx.ks()) {
            for (p, old) in done.into_iter().rev() {
                if let Ok(undo) = prepare(sh, p, old.as_bytes()) {
                    let _ = undo(sh, ctx.ks());
                }
            }
            return Err(failed(chosen[i].1, e));
        }
        done.push((p, before));
    }
    // TLS settings take effect together, once all are set (a new certificate comes with its
    // key): a setup that cannot be built puts every value back.
    let tls_changed = chosen.iter().position(|(p, ..)| p.name.starts_with("tls-"));
    if let Some(i) = tls_changed {
        if crate::shared::tls::port(&sh.params) != 0 {
            let params = crate::shared::tls::TlsParams::from(&sh.params);
            match crate::shared::tls::build(&params) {
                Ok(config) => sh.tls.set(Some(config)),
                Err(e) => {
                    crate::warning!("Failed to update TLS configuration: {e}");
                    for (p, old) in done.into_iter().rev() {
                        if let Ok(undo) = prepare(sh, p, old.as_bytes()) {
                            let _ = undo(sh, ctx.ks());
                        }
                    }
                    return Err(failed(
                        chosen[i].1,
                        "Unable to update TLS configuration. Check server logs.".into(),
                    ));
                }
            }
        }
    }
    ctx.out.ok();
    OK
}

pub fn config_resetstat(ctx: &mut Ctx, _args: Args) -> CmdResult<Action> {
    let sh = ctx.shared;
    for s in sh.stats.iter() {
        for c in s.all() {
            c.store(0, Ordering::Relaxed);
        }
    }
    ctx.ks().reset_stats();
    sh.latency.reset();
    sh.errorstats.lock().clear();
    ctx.out.ok();
    OK
}

pub fn config_help(ctx: &mut Ctx, _args: Args) -> CmdResult<Action> {
    help(
        ctx.out,
        "CONFIG",
        &[
            "GET <pattern>",
            "    Return parameters matching the glob-like <pattern> and their values.",
            "SET <directive> <value>",
            "    Set the configuration <directive> to <value>.",
            "RESETSTAT",
            "    Reset statistics reported by the INFO command.",
            "REWRITE",
            "    Rewrite the configuration file.",
        ],
    );
    OK
}
