//! Introspection: INFO, COMMAND, LATENCY and SLOWLOG.

use super::{help, int_arg, Action, Command, Ctx, COMMANDS, OK, REDIS_VERSION};
use crate::error::{CmdError, CmdResult};
use crate::resp::{Args, Out};
use crate::shared::clients::ClientHandle;
use crate::shared::Shared;
use std::fmt::Write as _;
use std::sync::atomic::Ordering;

/// Flags of a command as COMMAND reports them; `fast`/`readonly`/`write` imply ACL categories.
fn acl_categories(c: &Command) -> Vec<String> {
    let mut v = vec![];
    for f in c.flags {
        match *f {
            "write" => v.push("@write".to_string()),
            "readonly" => v.push("@read".to_string()),
            "fast" => v.push("@fast".to_string()),
            "blocking" => v.push("@blocking".to_string()),
            "admin" => v.extend(["@admin".to_string(), "@dangerous".to_string()]),
            _ => {}
        }
    }
    if !c.flags.contains(&"fast") {
        v.push("@slow".to_string());
    }
    // Command groups (COMMAND DOCS) and ACL categories mostly share names.
    let g = match c.group {
        "generic" => "@keyspace".to_string(),
        "server" => "@admin".to_string(),
        "sorted-set" => "@sortedset".to_string(),
        "transactions" => "@transaction".to_string(),
        other => format!("@{other}"),
    };
    if !v.contains(&g) {
        v.push(g);
    }
    sort_categories(v)
}

/// Redis lists a command's ACL categories in the order of its category table.
fn sort_categories(mut v: Vec<String>) -> Vec<String> {
    const ORDER: &[&str] = &[
        "@keyspace",
        "@read",
        "@write",
        "@set",
        "@sortedset",
        "@list",
        "@hash",
        "@string",
        "@bitmap",
        "@hyperloglog",
        "@geo",
        "@stream",
        "@pubsub",
        "@admin",
        "@fast",
        "@slow",
        "@blocking",
        "@dangerous",
        "@connection",
        "@transaction",
        "@scripting",
    ];
    v.sort_by_key(|c| ORDER.iter().position(|o| o == c).unwrap_or(ORDER.len()));
    v
}

/// One COMMAND INFO entry (Redis 7 shape: name, arity, flags, first, last, step, categories,
/// tips, key specs, subcommands).
fn command_info(out: &mut Out, c: &Command) {
    out.array(10);
    out.bulk(c.name.as_bytes());
    out.int(c.arity as i64);
    out.set(c.flags.len());
    c.flags.iter().for_each(|f| out.simple(f));
    out.int(c.keys.0 as i64);
    out.int(c.keys.1 as i64);
    out.int(c.keys.2 as i64);
    let cats = acl_categories(c);
    out.set(cats.len());
    cats.iter().for_each(|f| out.simple(f));
    out.array(0);
    out.array(0);
    out.array(0);
}

fn command_docs(out: &mut Out, c: &Command) {
    out.bulk(c.name.as_bytes());
    out.map(3);
    out.bulk(b"summary");
    out.bulk(c.summary.as_bytes());
    out.bulk(b"since");
    out.bulk(c.since.as_bytes());
    out.bulk(b"group");
    out.bulk(c.group.as_bytes());
}

pub fn command(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let out = &mut *ctx.out;
    if args.len() == 1 {
        out.array(COMMANDS.len());
        COMMANDS.iter().for_each(|c| command_info(out, c));
        return OK;
    }
    let names = args.from(2);
    match args.get(1).to_ascii_lowercase().as_slice() {
        b"count" if args.len() == 2 => out.int(COMMANDS.len() as i64),
        b"info" => {
            if names.is_empty() {
                out.array(COMMANDS.len());
                COMMANDS.iter().for_each(|c| command_info(out, c));
            } else {
                out.array(names.len());
                for n in names.iter() {
                    match super::lookup(n) {
                        Some((_, c)) => command_info(out, c),
                        None => out.null_array(),
                    }
                }
            }
        }
        b"docs" => {
            let found: Vec<&Command> = if names.is_empty() {
                COMMANDS.iter().collect()
            } else {
                names
                    .iter()
                    .filter_map(|n| super::lookup(n).map(|(_, c)| c))
                    .collect()
            };
            out.map(found.len());
            found.into_iter().for_each(|c| command_docs(out, c));
        }
        b"list" if args.len() == 2 => {
            out.array(COMMANDS.len());
            COMMANDS.iter().for_each(|c| out.bulk(c.name.as_bytes()));
        }
        b"help" if args.len() == 2 => help(
            out,
            "COMMAND",
            &[
                "(no subcommand)",
                "    Return details about all commands.",
                "COUNT",
                "    Return the total number of commands.",
                "INFO [<command-name> ...]",
                "    Return details about the given commands, or all of them.",
                "DOCS [<command-name> ...]",
                "    Return documentation details about the given commands, or all of them.",
                "LIST",
                "    Return a list of all commands.",
            ],
        ),
        b"count" | b"list" | b"help" => return Err(CmdError::sub_arity("command", args.get(1))),
        _ => return Err(CmdError::unknown_subcommand(args.get(1), "COMMAND")),
    }
    OK
}

/// Bytes the allocator has handed out (glibc's mallinfo2), for INFO memory.
fn used_memory() -> u64 {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: mallinfo2 only reads the allocator's statistics; it has no preconditions.
        let m = unsafe { libc::mallinfo2() };
        (m.uordblks + m.hblkhd) as u64
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        0
    }
}

fn rss_bytes() -> u64 {
    let pages = std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| {
            s.split_whitespace()
                .nth(1)
                .and_then(|p| p.parse::<u64>().ok())
        })
        .unwrap_or(0);
    pages * 4096
}

/// The INFO text for the requested sections (default: all that exist).
pub fn info_text(sh: &Shared, sections: &[String]) -> String {
    let want = |s: &str| {
        sections.is_empty()
            || sections
                .iter()
                .any(|x| x == s || x == "all" || x == "default" || x == "everything")
    };
    let mut t = String::new();
    if want("server") {
        let up = sh.started.elapsed().as_secs();
        let _ = write!(
            t,
            "# Server\r\nredis_version:{REDIS_VERSION}\r\nringdis_version:{}\r\nredis_mode:standalone\r\nos:{} {}\r\narch_bits:64\r\nmultiplexing_api:io_uring\r\nprocess_id:{}\r\nrun_id:{}\r\ntcp_port:{}\r\nuptime_in_seconds:{up}\r\nuptime_in_days:{}\r\nhz:{}\r\nexecutors:{}\r\nexecutable:{}\r\n\r\n",
            env!("CARGO_PKG_VERSION"),
            std::env::consts::OS,
            std::env::consts::ARCH,
            std::process::id(),
            sh.run_id,
            sh.port.load(Ordering::Relaxed),
            up / 86400,
            sh.hz.load(Ordering::Relaxed),
            sh.threads,
            std::env::current_exe().map(|p| p.display().to_string()).unwrap_or_default(),
        );
    }
    let clients = if want("clients") || want("memory") {
        sh.clients.all()
    } else {
        Vec::new()
    };
    if want("clients") {
        let m =
            |f: &dyn Fn(&ClientHandle) -> usize| clients.iter().map(|c| f(c)).max().unwrap_or(0);
        let _ = write!(
            t,
            "# Clients\r\nconnected_clients:{}\r\ncluster_connections:0\r\nmaxclients:{}\r\nclient_recent_max_input_buffer:{}\r\nclient_recent_max_output_buffer:{}\r\nblocked_clients:{}\r\ntracking_clients:0\r\nclients_in_timeout_table:0\r\n\r\n",
            clients.len(),
            sh.maxclients.load(Ordering::Relaxed),
            m(&|c| c.mem.qbuf.load(Ordering::Relaxed) + c.mem.qbuf_free.load(Ordering::Relaxed)),
            m(&|c| c.mem.omem()),
            clients
                .iter()
                .filter(|c| c.blocked.load(Ordering::Relaxed))
                .count(),
        );
    }
    if want("memory") {
        let used = used_memory();
        let rss = rss_bytes();
        // Every client is of the normal or pub/sub class, which Redis reports together.
        let clients_mem: usize = clients
            .iter()
            .map(|c| c.mem.total.load(Ordering::Relaxed))
            .sum();
        let _ = write!(
            t,
            "# Memory\r\nused_memory:{used}\r\nused_memory_human:{:.2}M\r\nused_memory_rss:{rss}\r\nused_memory_rss_human:{:.2}M\r\nmaxmemory:0\r\nmaxmemory_policy:noeviction\r\nmem_clients_slaves:0\r\nmem_clients_normal:{clients_mem}\r\nmem_allocator:libc\r\n\r\n",
            used as f64 / 1048576.0,
            rss as f64 / 1048576.0
        );
    }
    if want("persistence") {
        persistence_info(sh, &mut t);
    }
    if want("stats") {
        let _ = write!(
            t,
            "# Stats\r\ntotal_connections_received:{}\r\ntotal_commands_processed:{}\r\nrejected_connections:{}\r\nexpired_keys:{}\r\nkeyspace_hits:{}\r\nkeyspace_misses:{}\r\nclient_query_buffer_limit_disconnections:{}\r\nclient_output_buffer_limit_disconnections:{}\r\n\r\n",
            sh.stat(|s| &s.connections),
            sh.stat(|s| &s.commands),
            sh.stat(|s| &s.rejected),
            sh.ks.expired_keys(),
            sh.stat(|s| &s.hits),
            sh.stat(|s| &s.misses),
            sh.stat(|s| &s.query_limit_disconnections),
            sh.stat(|s| &s.output_limit_disconnections),
        );
    }
    if want("cpu") {
        // SAFETY: getrusage fills the zeroed struct we pass; RUSAGE_SELF covers all threads.
        let ru = unsafe {
            let mut ru: libc::rusage = std::mem::zeroed();
            libc::getrusage(libc::RUSAGE_SELF, &mut ru);
            ru
        };
        let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
        let _ = write!(
            t,
            "# CPU\r\nused_cpu_sys:{:.6}\r\nused_cpu_user:{:.6}\r\n\r\n",
            secs(ru.ru_stime),
            secs(ru.ru_utime)
        );
    }
    if want("latencystats") {
        latency_info(sh, &mut t);
    }
    if want("keyspace") {
        t.push_str("# Keyspace\r\n");
        for db in 0..sh.ks.databases() {
            let (keys, expires) = sh.ks.db_counts(db);
            if keys > 0 {
                let _ = write!(t, "db{db}:keys={keys},expires={expires},avg_ttl=0\r\n");
            }
        }
        t.push_str("\r\n");
    }
    // No trailing blank line after the last section, as in Redis.
    while t.ends_with("\r\n\r\n") {
        t.truncate(t.len() - 2);
    }
    t
}

/// A percentile as Redis writes it in INFO latencystats field names and the config: `50`, `99.9`.
pub fn fmt_percentile(p: f64) -> String {
    let s = format!("{p}");
    s.trim_end_matches(".0").to_string()
}

/// INFO latencystats: p50/p99/p99.9 (or the configured percentiles) per command, in usec.
fn latency_info(sh: &Shared, t: &mut String) {
    t.push_str("# Latencystats\r\n");
    let ps = sh.latency.percentiles.lock().clone();
    for (idx, c) in COMMANDS.iter().enumerate() {
        let Some(h) = sh.latency.merged(idx) else {
            continue;
        };
        let fields: Vec<String> = ps
            .iter()
            .map(|p| {
                format!(
                    "p{}={:.3}",
                    fmt_percentile(*p),
                    h.value_at_quantile(p / 100.0) as f64 / 1000.0
                )
            })
            .collect();
        let _ = write!(
            t,
            "latency_percentiles_usec_{}:{}\r\n",
            c.name,
            fields.join(",")
        );
    }
    t.push_str("\r\n");
}

/// LATENCY HISTOGRAM [command ...] (and HELP): Redis 7's reply shape.
pub fn latency(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    match args.get(1).to_ascii_lowercase().as_slice() {
        b"histogram" => {
            let wanted: Vec<usize> = if args.len() > 2 {
                args.from(2)
                    .iter()
                    .filter_map(|n| super::lookup(n).map(|(i, _)| i))
                    .collect()
            } else {
                (0..COMMANDS.len()).collect()
            };
            let hists: Vec<(usize, hdrhistogram::Histogram<u64>)> = wanted
                .into_iter()
                .filter_map(|i| ctx.shared.latency.merged(i).map(|h| (i, h)))
                .collect();
            ctx.out.map(hists.len());
            for (i, h) in hists {
                ctx.out.bulk(COMMANDS[i].name.as_bytes());
                ctx.out.map(2);
                ctx.out.bulk(b"calls");
                ctx.out.int(h.len() as i64);
                ctx.out.bulk(b"histogram_usec");
                let b = crate::shared::latency::buckets(&h);
                ctx.out.map(b.len());
                for (us, n) in b {
                    ctx.out.int(us as i64);
                    ctx.out.int(n as i64);
                }
            }
        }
        b"help" if args.len() == 2 => help(
            ctx.out,
            "LATENCY",
            &[
                "HISTOGRAM [COMMAND ...]",
                "    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
                "    If no commands are specified then all histograms are replied.",
            ],
        ),
        _ => return Err(CmdError::unknown_subcommand(args.get(1), "LATENCY")),
    }
    OK
}

/// SLOWLOG GET [count] | LEN | RESET | HELP.
pub fn slowlog(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let lat = &ctx.shared.latency;
    match args.get(1).to_ascii_lowercase().as_slice() {
        b"get" if args.len() <= 3 => {
            let count = if args.len() == 3 {
                let n = int_arg(args.get(2))?;
                if n < -1 {
                    return Err(CmdError::Other(
                        "count should be greater than or equal to -1".into(),
                    ));
                }
                if n == -1 {
                    usize::MAX
                } else {
                    n as usize
                }
            } else {
                10
            };
            let log = lat.slowlog.lock();
            let n = count.min(log.len());
            ctx.out.array(n);
            for e in log.iter().take(n) {
                ctx.out.array(6);
                ctx.out.int(e.id as i64);
                ctx.out.int(e.unix_secs as i64);
                ctx.out.int(e.micros as i64);
                ctx.out.array(e.args.len());
                e.args.iter().for_each(|a| ctx.out.bulk(a));
                ctx.out.bulk(e.addr.as_bytes());
                ctx.out.bulk(&e.name);
            }
        }
        b"len" if args.len() == 2 => ctx.out.int(lat.slowlog.lock().len() as i64),
        b"reset" if args.len() == 2 => {
            lat.slowlog.lock().clear();
            ctx.out.ok();
        }
        b"help" if args.len() == 2 => help(
            ctx.out,
            "SLOWLOG",
            &[
                "GET [<count>]",
                "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
                "    Entries are made of:",
                "    id, timestamp, time in microseconds, arguments array, client IP and port,",
                "    client name",
                "LEN",
                "    Return the length of the slowlog.",
                "RESET",
                "    Reset the slowlog.",
            ],
        ),
        b"get" | b"len" | b"reset" | b"help" => {
            return Err(CmdError::sub_arity("slowlog", args.get(1)))
        }
        _ => return Err(CmdError::unknown_subcommand(args.get(1), "SLOWLOG")),
    }
    OK
}

/// INFO persistence: the AOF fields of Redis 7 (no RDB: its fields say nothing is running).
fn persistence_info(sh: &Shared, t: &mut String) {
    let a = &sh.aof;
    let r = &a.rewrite;
    let ok = |b: bool| if b { "ok" } else { "err" };
    let current = r
        .started
        .lock()
        .map_or(-1, |s| s.elapsed().as_secs() as i64);
    let _ = write!(
        t,
        "# Persistence\r\nloading:0\r\nasync_loading:0\r\nrdb_bgsave_in_progress:0\r\nrdb_last_bgsave_status:ok\r\naof_enabled:{}\r\naof_rewrite_in_progress:{}\r\naof_rewrite_scheduled:0\r\naof_last_rewrite_time_sec:{}\r\naof_current_rewrite_time_sec:{}\r\naof_last_bgrewrite_status:{}\r\naof_rewrites:{}\r\naof_last_write_status:{}\r\n",
        a.enabled() as u8,
        r.in_progress.load(Ordering::Relaxed) as u8,
        r.last_secs.load(Ordering::Relaxed),
        current,
        ok(r.last_ok.load(Ordering::Relaxed)),
        r.count.load(Ordering::Relaxed),
        ok(a.failing().is_none()),
    );
    if a.enabled() {
        let _ = write!(
            t,
            "aof_current_size:{}\r\naof_base_size:{}\r\naof_pending_rewrite:0\r\naof_buffer_length:{}\r\naof_pending_bio_fsync:0\r\naof_delayed_fsync:0\r\n",
            a.cur_size.load(Ordering::Relaxed),
            a.base_size.load(Ordering::Relaxed),
            a.pending_len(),
        );
    }
    t.push_str("\r\n");
}

pub fn info(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let sections: Vec<String> = args
        .from(1)
        .iter()
        .map(|s| String::from_utf8_lossy(s).to_ascii_lowercase())
        .collect();
    let text = info_text(ctx.shared, &sections);
    ctx.out.verbatim(text.as_bytes());
    OK
}
