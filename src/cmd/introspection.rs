//! Introspection: INFO, COMMAND, LATENCY and SLOWLOG.

use super::spec::{BeginSearch, FindKeys};
use super::{
    help, int_arg, Acl, Action, Command, Ctx, Flags, KeyFlags, KeySpec, COMMANDS, OK, REDIS_VERSION,
};
use crate::error::{CmdError, CmdResult};
use crate::keyspace::{glob, Tx};
use crate::resp::{Args, Out};
use crate::shared::clients::ClientHandle;
use crate::shared::Shared;
use std::fmt::Write as _;
use std::sync::atomic::Ordering;

/// One COMMAND INFO entry, in Redis 7.0's shape: name, arity, flags, first key, last key, step,
/// ACL categories, tips, key specs, subcommands.
fn command_info_entry(out: &mut Out, c: &Command) {
    out.array(10);
    out.bulk(c.name.as_bytes());
    out.int(c.arity as i64);
    let flags = c.flags_all().names();
    out.set(flags.len());
    flags.iter().for_each(|f| out.simple(f));
    let ((first, last, step), _) = c.legacy_keys();
    out.int(first as i64);
    out.int(last as i64);
    out.int(step as i64);
    let cats = c.categories().names();
    out.set(cats.len());
    cats.iter().for_each(|f| out.simple(f));
    out.set(0);
    out.set(c.keys.len());
    for k in c.keys {
        key_spec(out, k);
    }
    if c.subcommands.is_empty() {
        out.set(0);
    } else {
        out.array(c.subcommands.len());
        c.subcommands
            .iter()
            .for_each(|s| command_info_entry(out, s));
    }
}

/// One key spec as COMMAND INFO shows it.
fn key_spec(out: &mut Out, k: &KeySpec) {
    out.map(3);
    out.bulk(b"flags");
    let names = k.flags.names();
    out.set(names.len());
    names.iter().for_each(|f| out.simple(f));
    out.bulk(b"begin_search");
    out.map(2);
    out.bulk(b"type");
    match k.begin {
        BeginSearch::Index(i) => {
            out.bulk(b"index");
            out.bulk(b"spec");
            out.map(1);
            out.bulk(b"index");
            out.int(i as i64);
        }
        BeginSearch::Keyword { keyword, startfrom } => {
            out.bulk(b"keyword");
            out.bulk(b"spec");
            out.map(2);
            out.bulk(b"keyword");
            out.bulk(keyword.as_bytes());
            out.bulk(b"startfrom");
            out.int(startfrom as i64);
        }
        BeginSearch::Unknown => {
            out.bulk(b"unknown");
            out.bulk(b"spec");
            out.map(0);
        }
    }
    out.bulk(b"find_keys");
    out.map(2);
    out.bulk(b"type");
    match k.find {
        FindKeys::Range {
            lastkey,
            step,
            limit,
        } => {
            out.bulk(b"range");
            out.bulk(b"spec");
            out.map(3);
            for (n, v) in [("lastkey", lastkey), ("keystep", step), ("limit", limit)] {
                out.bulk(n.as_bytes());
                out.int(v as i64);
            }
        }
        FindKeys::Keynum {
            keynumidx,
            firstkey,
            step,
        } => {
            out.bulk(b"keynum");
            out.bulk(b"spec");
            out.map(3);
            for (n, v) in [
                ("keynumidx", keynumidx),
                ("firstkey", firstkey),
                ("keystep", step),
            ] {
                out.bulk(n.as_bytes());
                out.int(v as i64);
            }
        }
        FindKeys::Unknown => {
            out.bulk(b"unknown");
            out.bulk(b"spec");
            out.map(0);
        }
    }
}

/// One COMMAND DOCS entry: summary, since, group, and a container's subcommands.
fn command_docs_entry(out: &mut Out, c: &Command) {
    out.bulk(c.name.as_bytes());
    let subs = !c.subcommands.is_empty();
    out.map(3 + subs as usize);
    out.bulk(b"summary");
    out.bulk(c.summary.as_bytes());
    out.bulk(b"since");
    out.bulk(c.since.as_bytes());
    out.bulk(b"group");
    out.bulk(c.group.as_bytes());
    if subs {
        out.bulk(b"subcommands");
        out.map(c.subcommands.len());
        c.subcommands
            .iter()
            .for_each(|s| command_docs_entry(out, s));
    }
}

/// COMMAND with no subcommand (with one, dispatch runs the subcommand's handler).
pub fn command(ctx: &mut Ctx, _args: Args) -> CmdResult<Action> {
    command_all(ctx)
}

/// Every command's COMMAND INFO entry.
fn command_all(ctx: &mut Ctx) -> CmdResult<Action> {
    ctx.out.array(COMMANDS.len());
    COMMANDS.iter().for_each(|c| command_info_entry(ctx.out, c));
    OK
}

pub fn command_count(ctx: &mut Ctx, _args: Args) -> CmdResult<Action> {
    ctx.out.int(COMMANDS.len() as i64);
    OK
}

/// COMMAND INFO [name ...]: names may be `container|sub`; an unknown one answers null.
pub fn command_info(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    if args.len() == 2 {
        return command_all(ctx);
    }
    ctx.out.array(args.len() - 2);
    for n in args.from(2).iter() {
        match super::lookup(n) {
            Some((_, c)) => command_info_entry(ctx.out, c),
            None => ctx.out.null(),
        }
    }
    OK
}

/// COMMAND DOCS [name ...]: unknown names are left out.
pub fn command_docs(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let found: Vec<&Command> = if args.len() == 2 {
        COMMANDS.iter().collect()
    } else {
        args.from(2)
            .iter()
            .filter_map(|n| super::lookup(n).map(|(_, c)| c))
            .collect()
    };
    ctx.out.map(found.len());
    found
        .into_iter()
        .for_each(|c| command_docs_entry(ctx.out, c));
    OK
}

/// COMMAND LIST [FILTERBY MODULE name | ACLCAT category | PATTERN pattern]: every command and
/// subcommand name (ringdis has no modules; an unknown category matches nothing).
pub fn command_list(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let keep: Box<dyn Fn(&Command) -> bool> = match args.len() {
        2 => Box::new(|_| true),
        5 if args.is(2, "filterby") => {
            let v = args.get(4).to_vec();
            match args.get(3).to_ascii_lowercase().as_slice() {
                b"module" => Box::new(|_| false),
                b"aclcat" => {
                    let cat = Acl::by_name(&v);
                    Box::new(move |c| cat.is_some_and(|a| c.categories().intersects(a)))
                }
                b"pattern" => Box::new(move |c| glob::matches(&v, c.name.as_bytes(), true)),
                _ => return Err(CmdError::Syntax),
            }
        }
        _ => return Err(CmdError::Syntax),
    };
    let names: Vec<&str> = super::all()
        .iter()
        .filter(|c| keep(c))
        .map(|c| c.name)
        .collect();
    ctx.out.array(names.len());
    names.iter().for_each(|n| ctx.out.bulk(n.as_bytes()));
    OK
}

pub fn command_getkeys(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    getkeys(ctx, args, false)
}

pub fn command_getkeysandflags(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    getkeys(ctx, args, true)
}

/// COMMAND GETKEYS / GETKEYSANDFLAGS command [arg ...]: the keys the command would use, found
/// from its key specs (see [`super::keys_of`]), with Redis's errors.
fn getkeys(ctx: &mut Ctx, args: Args, with_flags: bool) -> CmdResult<Action> {
    let argv: Vec<&[u8]> = args.from(2).iter().collect();
    let super::Resolved::Found(_, cmd) = super::resolve(&args.from(2)) else {
        return Err(CmdError::Other("Invalid command specified".into()));
    };
    if cmd.keys.iter().all(|k| k.flags.contains(KeyFlags::NOT_KEY)) {
        return Err(CmdError::Other("The command has no key arguments".into()));
    }
    if !super::arity_ok(cmd.arity, argv.len()) {
        return Err(CmdError::Other(
            "Invalid number of arguments specified for command".into(),
        ));
    }
    let keys = super::keys_of(cmd, &argv);
    if keys.is_empty() && !cmd.flags.contains(Flags::NO_MANDATORY_KEYS) {
        return Err(CmdError::Other(
            "Invalid arguments specified for command".into(),
        ));
    }
    ctx.out.array(keys.len());
    for (pos, flags) in keys {
        if with_flags {
            ctx.out.array(2);
            ctx.out.bulk(argv[pos]);
            let names = flags.names();
            ctx.out.set(names.len());
            names.iter().for_each(|f| ctx.out.simple(f));
        } else {
            ctx.out.bulk(argv[pos]);
        }
    }
    OK
}

pub fn command_help(ctx: &mut Ctx, _args: Args) -> CmdResult<Action> {
    help(
        ctx.out,
        "COMMAND",
        &[
            "(no subcommand)",
            "    Return details about all Redis commands.",
            "COUNT",
            "    Return the total number of commands in this Redis server.",
            "LIST",
            "    Return a list of all commands in this Redis server.",
            "INFO [<command-name> ...]",
            "    Return details about multiple Redis commands.",
            "    If no command names are given, documentation details for all",
            "    commands are returned.",
            "DOCS [<command-name> ...]",
            "    Return documentation details about multiple Redis commands.",
            "    If no command names are given, documentation details for all",
            "    commands are returned.",
            "GETKEYS <full-command>",
            "    Return the keys from a full Redis command.",
            "GETKEYSANDFLAGS <full-command>",
            "    Return the keys and the access flags from a full Redis command.",
        ],
    );
    OK
}

/// The INFO text for the requested sections (default: all that exist).
pub fn info_text(sh: &Shared, tx: &Tx, sections: &[String]) -> String {
    let want = |s: &str| {
        sections.is_empty()
            || sections
                .iter()
                .any(|x| x == s || x == "all" || x == "default" || x == "everything")
    };
    let mut t = String::new();
    if want("server") {
        let up = sh.started.elapsed().as_secs();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        let _ = write!(
            t,
            "# Server\r\nredis_version:{REDIS_VERSION}\r\nredis_git_sha1:00000000\r\nredis_git_dirty:0\r\nredis_build_id:0\r\nredis_mode:standalone\r\nringdis_version:{}\r\nos:{}\r\narch_bits:64\r\nmonotonic_clock:POSIX clock_gettime\r\nmultiplexing_api:io_uring\r\natomicvar_api:c11-builtin\r\ngcc_version:0.0.0\r\nprocess_id:{}\r\nprocess_supervised:no\r\nrun_id:{}\r\ntcp_port:{}\r\nserver_time_usec:{}\r\nuptime_in_seconds:{up}\r\nuptime_in_days:{}\r\nhz:{hz}\r\nconfigured_hz:{hz}\r\nlru_clock:{}\r\nexecutors:{}\r\nexecutable:{}\r\nconfig_file:{}\r\nio_threads_active:0\r\n\r\n",
            env!("CARGO_PKG_VERSION"),
            uname(),
            std::process::id(),
            sh.run_id,
            sh.port.load(Ordering::Relaxed),
            now.as_micros(),
            up / 86400,
            now.as_secs() & ((1 << 24) - 1),
            sh.threads,
            std::env::current_exe().map(|p| p.display().to_string()).unwrap_or_default(),
            sh.config
                .config_file
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
            hz = sh.hz.load(Ordering::Relaxed),
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
            "# Clients\r\nconnected_clients:{}\r\ncluster_connections:0\r\nmaxclients:{}\r\nclient_recent_max_input_buffer:{}\r\nclient_recent_max_output_buffer:{}\r\nblocked_clients:{}\r\ntracking_clients:{}\r\nclients_in_timeout_table:0\r\n\r\n",
            // As Redis counts them: the master's link in, replicas' links out.
            clients
                .iter()
                .filter(|c| c.class() != crate::config::ClientClass::Replica)
                .count(),
            sh.maxclients.load(Ordering::Relaxed),
            m(&|c| c.mem.qbuf.load(Ordering::Relaxed) + c.mem.qbuf_free.load(Ordering::Relaxed)),
            m(&|c| c.mem.omem()),
            clients
                .iter()
                .filter(|c| c.blocked.load(Ordering::Relaxed))
                .count(),
            sh.tracking.totals().0,
        );
    }
    if want("memory") {
        memory_info(sh, &clients, &mut t);
    }
    if want("persistence") {
        persistence_info(sh, tx.changes(), &mut t);
    }
    if want("stats") {
        let tracked = sh.tracking.totals();
        let st =
            |f: fn(&crate::shared::clients::ExecStats) -> &std::sync::atomic::AtomicU64| sh.stat(f);
        let _ = write!(
            t,
            "# Stats\r\ntotal_connections_received:{}\r\ntotal_commands_processed:{}\r\ninstantaneous_ops_per_sec:{}\r\ntotal_net_input_bytes:{}\r\ntotal_net_output_bytes:{}\r\ntotal_net_repl_input_bytes:0\r\ntotal_net_repl_output_bytes:0\r\ninstantaneous_input_kbps:{:.2}\r\ninstantaneous_output_kbps:{:.2}\r\ninstantaneous_input_repl_kbps:0.00\r\ninstantaneous_output_repl_kbps:0.00\r\nrejected_connections:{}\r\nsync_full:{}\r\nsync_partial_ok:{}\r\nsync_partial_err:{}\r\nexpired_keys:{}\r\nexpired_stale_perc:0.00\r\nexpired_time_cap_reached_count:0\r\nexpire_cycle_cpu_milliseconds:0\r\nevicted_keys:{}\r\nevicted_clients:0\r\ntotal_eviction_exceeded_time:0\r\ncurrent_eviction_exceeded_time:0\r\nkeyspace_hits:{}\r\nkeyspace_misses:{}\r\npubsub_channels:{}\r\npubsub_patterns:{}\r\npubsubshard_channels:{}\r\nlatest_fork_usec:0\r\ntotal_forks:0\r\nmigrate_cached_sockets:0\r\nslave_expires_tracked_keys:0\r\nactive_defrag_hits:0\r\nactive_defrag_misses:0\r\nactive_defrag_key_hits:0\r\nactive_defrag_key_misses:0\r\ntotal_active_defrag_time:0\r\ncurrent_active_defrag_time:0\r\ntracking_total_keys:{}\r\ntracking_total_items:{}\r\ntracking_total_prefixes:{}\r\nunexpected_error_replies:0\r\ntotal_error_replies:{}\r\ndump_payload_sanitizations:0\r\ntotal_reads_processed:{}\r\ntotal_writes_processed:{}\r\nio_threaded_reads_processed:0\r\nio_threaded_writes_processed:0\r\nreply_buffer_shrinks:0\r\nreply_buffer_expands:0\r\nclient_query_buffer_limit_disconnections:{}\r\nclient_output_buffer_limit_disconnections:{}\r\n\r\n",
            st(|s| &s.connections),
            st(|s| &s.commands),
            sh.rates.mean(0).round() as u64,
            st(|s| &s.net_input),
            st(|s| &s.net_output),
            sh.rates.mean(1) / 1024.0,
            sh.rates.mean(2) / 1024.0,
            st(|s| &s.rejected),
            sh.repl.sync_full.load(Ordering::Relaxed),
            sh.repl.sync_partial_ok.load(Ordering::Relaxed),
            sh.repl.sync_partial_err.load(Ordering::Relaxed),
            tx.expired_keys(),
            tx.evicted_keys(),
            st(|s| &s.hits),
            st(|s| &s.misses),
            sh.pubsub.numchannels(),
            sh.pubsub.numpat(),
            sh.pubsub.num_shard_channels(),
            tracked.1,
            tracked.2,
            tracked.3,
            st(|s| &s.error_replies),
            st(|s| &s.reads),
            st(|s| &s.writes),
            st(|s| &s.query_limit_disconnections),
            st(|s| &s.output_limit_disconnections) + sh.notify_disconnections.load(Ordering::Relaxed),
        );
    }
    if want("replication") {
        super::repl::info(sh, &mut t);
    }
    if want("cpu") {
        // SAFETY: getrusage fills the zeroed struct we pass; RUSAGE_SELF covers all threads.
        let ru = unsafe {
            let mut ru: libc::rusage = std::mem::zeroed();
            libc::getrusage(libc::RUSAGE_SELF, &mut ru);
            ru
        };
        // SAFETY: as above; RUSAGE_THREAD covers the executor answering.
        let me = unsafe {
            let mut ru: libc::rusage = std::mem::zeroed();
            libc::getrusage(libc::RUSAGE_THREAD, &mut ru);
            ru
        };
        let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
        let _ = write!(
            t,
            "# CPU\r\nused_cpu_sys:{:.6}\r\nused_cpu_user:{:.6}\r\nused_cpu_sys_children:0.000000\r\nused_cpu_user_children:0.000000\r\nused_cpu_sys_main_thread:{:.6}\r\nused_cpu_user_main_thread:{:.6}\r\n\r\n",
            secs(ru.ru_stime),
            secs(ru.ru_utime),
            secs(me.ru_stime),
            secs(me.ru_utime)
        );
    }
    if want("modules") {
        t.push_str("# Modules\r\n\r\n");
    }
    // Not in the default sections, as in Redis.
    if sections
        .iter()
        .any(|x| x == "commandstats" || x == "all" || x == "everything")
    {
        t.push_str("# Commandstats\r\n");
        for (idx, c) in crate::cmd::all().iter().enumerate() {
            let s = sh.latency.command_stats(idx);
            if s.calls + s.rejected + s.failed == 0 {
                continue;
            }
            let usec = s.ns / 1000;
            // Redis divides the whole microseconds.
            let per_call = if s.calls == 0 {
                0.0
            } else {
                usec as f64 / s.calls as f64
            };
            let _ = write!(
                t,
                "cmdstat_{}:calls={},usec={usec},usec_per_call={per_call:.2},rejected_calls={},failed_calls={}\r\n",
                c.name, s.calls, s.rejected, s.failed
            );
        }
        t.push_str("\r\n");
    }
    if want("errorstats") {
        t.push_str("# Errorstats\r\n");
        for (code, n) in sh.errorstats.lock().iter() {
            let _ = write!(t, "errorstat_{code}:count={n}\r\n");
        }
        t.push_str("\r\n");
    }
    if sections
        .iter()
        .any(|x| x == "latencystats" || x == "all" || x == "everything")
    {
        latency_info(sh, &mut t);
    }
    if want("cluster") {
        t.push_str("# Cluster\r\ncluster_enabled:0\r\n\r\n");
    }
    if want("keyspace") {
        t.push_str("# Keyspace\r\n");
        for db in 0..tx.databases() {
            let (keys, expires) = tx.db_counts(db);
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

/// `uname -srm`, as Redis's `os` field.
fn uname() -> String {
    // SAFETY: uname fills the zeroed struct we pass; its fields are NUL-terminated.
    let u = unsafe {
        let mut u: libc::utsname = std::mem::zeroed();
        libc::uname(&mut u);
        u
    };
    let f = |b: &[libc::c_char]| {
        let bytes: Vec<u8> = b
            .iter()
            .take_while(|&&c| c != 0)
            .map(|&c| c as u8)
            .collect();
        String::from_utf8_lossy(&bytes).into_owned()
    };
    format!("{} {} {}", f(&u.sysname), f(&u.release), f(&u.machine))
}

/// Bytes with Redis's human suffix (`1.50M`, `0B`).
fn human(n: u64) -> String {
    let f = n as f64;
    if n < 1024 {
        format!("{n}B")
    } else if n < 1 << 20 {
        format!("{:.2}K", f / 1024.0)
    } else if n < 1 << 30 {
        format!("{:.2}M", f / 1048576.0)
    } else if n < 1 << 40 {
        format!("{:.2}G", f / 1073741824.0)
    } else {
        format!("{:.2}T", f / 1099511627776.0)
    }
}

fn total_system_memory() -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}

/// INFO memory, with Redis 7.0's fields: those ringdis measures (the allocator's bytes, RSS,
/// the clients' buffers, the peak seen) and the rest of Redis's (scripting, replication,
/// defragmentation) at what they are here, 0.
fn memory_info(sh: &Shared, clients: &[std::sync::Arc<ClientHandle>], t: &mut String) {
    let (lazy_pending, lazy_freed) = crate::keyspace::lazyfree::counts();
    let used = crate::shared::limits::allocated_bytes();
    let rss = crate::shared::limits::rss_bytes();
    let peak = sh.memory_peak.fetch_max(used, Ordering::Relaxed).max(used);
    let startup = sh.memory_startup;
    // Every client is of the normal or pub/sub class, which Redis reports together.
    let clients_mem: u64 = clients
        .iter()
        .map(|c| c.mem.total.load(Ordering::Relaxed) as u64)
        .sum();
    let overhead = startup + clients_mem;
    let dataset = used.saturating_sub(overhead);
    let pct = |a: u64, b: u64| {
        if b == 0 {
            0.0
        } else {
            a as f64 * 100.0 / b as f64
        }
    };
    let maxmemory = sh.ks.budget.maxmemory.load(Ordering::Relaxed);
    let policy = sh.ks.budget.policy().name();
    let system = total_system_memory();
    let ratio = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    let (scripts, script_bytes) = sh.scripts.totals();
    let (libraries, functions) = sh.functions.counts();
    let function_bytes: usize = sh.functions.codes().iter().map(|c| c.len()).sum();
    let all_scripts = script_bytes + function_bytes;
    // One interpreter per executor runs both EVAL scripts and functions.
    let vm = sh.scripts.vm_memory();
    let _ = write!(
        t,
        "# Memory\r\nused_memory:{used}\r\nused_memory_human:{}\r\nused_memory_rss:{rss}\r\nused_memory_rss_human:{}\r\nused_memory_peak:{peak}\r\nused_memory_peak_human:{}\r\nused_memory_peak_perc:{:.2}%\r\nused_memory_overhead:{overhead}\r\nused_memory_startup:{startup}\r\nused_memory_dataset:{dataset}\r\nused_memory_dataset_perc:{:.2}%\r\nallocator_allocated:{used}\r\nallocator_active:{used}\r\nallocator_resident:{rss}\r\ntotal_system_memory:{system}\r\ntotal_system_memory_human:{}\r\nused_memory_lua:{vm}\r\nused_memory_vm_eval:{vm}\r\nused_memory_lua_human:{}\r\nused_memory_scripts_eval:{script_bytes}\r\nnumber_of_cached_scripts:{scripts}\r\nnumber_of_functions:{functions}\r\nnumber_of_libraries:{libraries}\r\nused_memory_vm_functions:0\r\nused_memory_vm_total:{vm}\r\nused_memory_vm_total_human:{}\r\nused_memory_functions:{function_bytes}\r\nused_memory_scripts:{all_scripts}\r\nused_memory_scripts_human:{}\r\nmaxmemory:{maxmemory}\r\nmaxmemory_human:{}\r\nmaxmemory_policy:{policy}\r\nallocator_frag_ratio:1.00\r\nallocator_frag_bytes:0\r\nallocator_rss_ratio:{:.2}\r\nallocator_rss_bytes:{}\r\nrss_overhead_ratio:1.00\r\nrss_overhead_bytes:0\r\nmem_fragmentation_ratio:{:.2}\r\nmem_fragmentation_bytes:{}\r\nmem_not_counted_for_evict:0\r\nmem_replication_backlog:0\r\nmem_total_replication_buffers:0\r\nmem_clients_slaves:0\r\nmem_clients_normal:{clients_mem}\r\nmem_cluster_links:0\r\nmem_aof_buffer:{}\r\nmem_allocator:{}\r\nactive_defrag_running:0\r\nlazyfree_pending_objects:{lazy_pending}\r\nlazyfreed_objects:{lazy_freed}\r\n\r\n",
        human(used),
        human(rss),
        human(peak),
        pct(used, peak),
        pct(dataset, used.saturating_sub(startup)),
        human(system),
        human(vm),
        human(vm),
        human(all_scripts as u64),
        human(maxmemory),
        ratio(rss, used),
        rss as i64 - used as i64,
        ratio(rss, used),
        rss as i64 - used as i64,
        sh.aof.pending_len(),
        crate::alloc::name(),
    );
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
    for (idx, c) in super::all().iter().enumerate() {
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

/// LATENCY HISTOGRAM [command ...]: Redis 7's reply shape; names may be `container|sub`.
pub fn latency_histogram(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let wanted: Vec<usize> = if args.len() > 2 {
        args.from(2)
            .iter()
            .filter_map(|n| super::lookup(n).map(|(i, _)| i))
            .collect()
    } else {
        (0..super::all().len()).collect()
    };
    let hists: Vec<(usize, hdrhistogram::Histogram<u64>)> = wanted
        .into_iter()
        .filter_map(|i| ctx.shared.latency.merged(i).map(|h| (i, h)))
        .collect();
    ctx.out.map(hists.len());
    for (i, h) in hists {
        ctx.out.bulk(super::all()[i].name.as_bytes());
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
    OK
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// LATENCY LATEST: per event, the latest spike's time and milliseconds, and the worst ever.
pub fn latency_latest(ctx: &mut Ctx, _args: Args) -> CmdResult<Action> {
    let evs = ctx.shared.latency.events.lock().clone();
    ctx.out.array(evs.len());
    for (name, ts) in &evs {
        let (t, ms) = ts.latest();
        ctx.out.array(4);
        ctx.out.bulk(name.as_bytes());
        ctx.out.int(t as i64);
        ctx.out.int(ms as i64);
        ctx.out.int(ts.max as i64);
    }
    OK
}

/// LATENCY HISTORY event: its spikes, oldest first, as (time, milliseconds).
pub fn latency_history(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let name = String::from_utf8_lossy(args.get(2)).into_owned();
    let samples = ctx
        .shared
        .latency
        .events
        .lock()
        .get(name.as_str())
        .map(|ts| ts.in_order())
        .unwrap_or_default();
    ctx.out.array(samples.len());
    for (t, ms) in samples {
        ctx.out.array(2);
        ctx.out.int(t as i64);
        ctx.out.int(ms as i64);
    }
    OK
}

/// LATENCY RESET [event ...]: how many events were cleared (all when none is named).
pub fn latency_reset(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let mut evs = ctx.shared.latency.events.lock();
    let n = if args.len() == 2 {
        let n = evs.len();
        evs.clear();
        n
    } else {
        args.from(2)
            .iter()
            .filter(|e| {
                let key = evs.keys().find(|k| k.as_bytes() == *e).copied();
                key.is_some_and(|k| evs.remove(k).is_some())
            })
            .count()
    };
    drop(evs);
    ctx.out.int(n as i64);
    OK
}

/// LATENCY GRAPH event: Redis's ASCII sparkline of the event's spikes (4 rows, 80 columns,
/// each column labelled with how long ago it was).
pub fn latency_graph(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let name = String::from_utf8_lossy(args.get(2)).into_owned();
    let Some(ts) = ctx.shared.latency.events.lock().get(name.as_str()).cloned() else {
        return Err(CmdError::Other(format!(
            "No samples available for event '{name}'"
        )));
    };
    let now = unix_now();
    let samples: Vec<(u64, String)> = ts
        .in_order()
        .into_iter()
        .map(|(t, ms)| {
            let ago = now.saturating_sub(t);
            let label = match ago {
                0..=59 => format!("{ago}s"),
                60..=3599 => format!("{}m", ago / 60),
                3600..=86399 => format!("{}h", ago / 3600),
                _ => format!("{}d", ago / 86400),
            };
            (ms, label)
        })
        .collect();
    let (min, max) = samples
        .iter()
        .fold((u64::MAX, 0), |(lo, hi), (v, _)| (lo.min(*v), hi.max(*v)));
    let mut g = format!(
        "{name} - high {max} ms, low {} ms (all time high {} ms)\n{}\n",
        if samples.is_empty() { 0 } else { min },
        ts.max,
        "-".repeat(80)
    );
    for (i, chunk) in samples.chunks(80).enumerate() {
        if i > 0 {
            g.push('\n');
        }
        sparkline(&mut g, chunk, min as f64, max as f64);
    }
    ctx.out.verbatim(g.as_bytes());
    OK
}

/// Redis's sparkline rendering (filled, linear scale): 4 rows of `_o#` and `|`, then the
/// labels written downwards after a blank row.
fn sparkline(out: &mut String, samples: &[(u64, String)], min: f64, max: f64) {
    const FILL: &[u8] = b"_o#";
    const ROWS: i64 = 4;
    let steps = FILL.len() as i64 * ROWS;
    let relmax = if max - min == 0.0 { 1.0 } else { max - min };
    let step_of = |v: u64| {
        let rel = v as f64 - min;
        let step = ((rel * steps as f64) as i64 as f64 / relmax) as i64;
        step.clamp(0, steps - 1)
    };
    let mut row = 0i64;
    loop {
        let mut more = false;
        let mut line = vec![b' '; samples.len()];
        for (j, (v, label)) in samples.iter().enumerate() {
            if row < ROWS {
                let idx = step_of(*v) - (ROWS - row - 1) * FILL.len() as i64;
                more = true;
                if (0..FILL.len() as i64).contains(&idx) {
                    line[j] = FILL[idx as usize];
                } else if idx >= FILL.len() as i64 {
                    line[j] = b'|';
                }
            } else {
                if row - ROWS < 1 {
                    more = true;
                    break;
                }
                let at = (row - ROWS - 1) as usize;
                if let Some(&c) = label.as_bytes().get(at) {
                    more = true;
                    line[j] = c;
                }
            }
        }
        if !more {
            break;
        }
        row += 1;
        out.push_str(&String::from_utf8_lossy(&line));
        out.push('\n');
    }
}

/// LATENCY DOCTOR: Redis's report on the spikes seen, with its advice.
pub fn latency_doctor(ctx: &mut Ctx, _args: Args) -> CmdResult<Action> {
    let lat = &ctx.shared.latency;
    let threshold = lat.monitor_threshold_ms.load(Ordering::Relaxed);
    let evs = lat.events.lock().clone();
    let text = if evs.is_empty() && threshold == 0 {
        "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. If we weren't in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n".to_string()
    } else if evs.is_empty() {
        "Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. I honestly think you ought to sit down calmly, take a stress pill, and think things over.\n".to_string()
    } else {
        let mut t = "Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n".to_string();
        let (mut slowlog_enable, mut slowlog_tune, mut inspect, mut scheduler) =
            (false, false, false, false);
        let slower_than = lat.slower_than_us.load(Ordering::Relaxed);
        let slowlog_max = lat.slowlog_max.load(Ordering::Relaxed);
        let now = unix_now();
        for (i, (name, ts)) in evs.iter().enumerate() {
            let s = ts.in_order();
            let n = s.len().max(1) as u64;
            let avg = s.iter().map(|x| x.1).sum::<u64>() / n;
            let mad = s.iter().map(|x| x.1.abs_diff(avg)).sum::<u64>() / n;
            let oldest = s.iter().map(|x| x.0).min().unwrap_or(now);
            let period = now.saturating_sub(oldest).max(1);
            let _ = writeln!(
                t,
                "{}. {name}: {} latency spikes (average {avg}ms, mean deviation {mad}ms, period {:.2} sec). Worst all time event {}ms.",
                i + 1,
                s.len(),
                period as f64 / n as f64,
                ts.max
            );
            match *name {
                "command" => {
                    if slower_than < 0 || slowlog_max == 0 {
                        slowlog_enable = true;
                    } else if slower_than as u64 / 1000 > threshold {
                        slowlog_tune = true;
                    }
                    inspect = true;
                }
                "fast-command" => scheduler = true,
                _ => {}
            }
        }
        t.push_str("\nI have a few advices for you:\n\n");
        if slowlog_enable {
            let _ = writeln!(t, "- There are latency issues with potentially slow commands you are using. Try to enable the Slow Log Redis feature using the command 'CONFIG SET slowlog-log-slower-than {}'. If the Slow Log is disabled Redis is not able to log slow commands execution for you.", threshold * 1000);
        }
        if slowlog_tune {
            let _ = writeln!(t, "- Your current Slow Log configuration only logs events that are slower than your configured latency monitor threshold. Please use 'CONFIG SET slowlog-log-slower-than {}'.", threshold * 1000);
        }
        if inspect {
            t.push_str("- Check your Slow Log to understand what are the commands you are running which are too slow to execute. Please check https://redis.io/commands/slowlog for more information.\n");
            t.push_str("- Deleting, expiring or evicting (because of maxmemory policy) large objects is a blocking operation. If you have very large objects that are often deleted, expired, or evicted, try to fragment those objects into multiple smaller objects.\n");
        }
        if scheduler {
            t.push_str("- The system is slow to execute Redis code paths not containing system calls. This usually means the system does not provide Redis CPU time to run for long periods. You should try to:\n  1) Lower the system load.\n  2) Use a computer / VM just for Redis if you are running other software in the same system.\n  3) Check if you have a \"noisy neighbour\" problem.\n  4) Check with 'redis-cli --intrinsic-latency 100' what is the intrinsic latency in your system.\n  5) Check if the problem is allocator-related by recompiling Redis with MALLOC=libc, if you are using Jemalloc. However this may create fragmentation problems.\n");
        }
        t
    };
    ctx.out.verbatim(text.as_bytes());
    OK
}

pub fn latency_help(ctx: &mut Ctx, _args: Args) -> CmdResult<Action> {
    help(
        ctx.out,
        "LATENCY",
        &[
            "DOCTOR",
            "    Return a human readable latency analysis report.",
            "GRAPH <event>",
            "    Return an ASCII latency graph for the <event> class.",
            "HISTORY <event>",
            "    Return time-latency samples for the <event> class.",
            "LATEST",
            "    Return the latest latency samples for all events.",
            "RESET [<event> ...]",
            "    Reset latency data of one or more <event> classes.",
            "    (default: reset all data for all event classes)",
            "HISTOGRAM [COMMAND ...]",
            "    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
            "    If no commands are specified then all histograms are replied.",
        ],
    );
    OK
}

/// SLOWLOG GET [count].
pub fn slowlog_get(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    if args.len() > 3 {
        return Err(CmdError::subcommand_syntax(args.get(0), args.get(1)));
    }
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
    let log = ctx.shared.latency.slowlog.lock();
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
    OK
}

pub fn slowlog_len(ctx: &mut Ctx, _args: Args) -> CmdResult<Action> {
    ctx.out.int(ctx.shared.latency.slowlog.lock().len() as i64);
    OK
}

pub fn slowlog_reset(ctx: &mut Ctx, _args: Args) -> CmdResult<Action> {
    ctx.shared.latency.slowlog.lock().clear();
    ctx.out.ok();
    OK
}

pub fn slowlog_help(ctx: &mut Ctx, _args: Args) -> CmdResult<Action> {
    help(
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
    );
    OK
}

/// INFO persistence: the RDB and AOF fields of Redis 7.
fn persistence_info(sh: &Shared, changes: u64, t: &mut String) {
    let a = &sh.aof;
    let rdb = &sh.rdb;
    let r = &a.rewrite;
    let ok = |b: bool| if b { "ok" } else { "err" };
    let current = r
        .started
        .lock()
        .map_or(-1, |s| s.elapsed().as_secs() as i64);
    let _ = write!(
        t,
        "# Persistence\r\nloading:0\r\nasync_loading:0\r\ncurrent_cow_peak:0\r\ncurrent_cow_size:0\r\ncurrent_cow_size_age:0\r\ncurrent_fork_perc:0.00\r\ncurrent_save_keys_processed:0\r\ncurrent_save_keys_total:0\r\nrdb_changes_since_last_save:{}\r\nrdb_bgsave_in_progress:{}\r\nrdb_last_save_time:{}\r\nrdb_last_bgsave_status:{}\r\nrdb_last_bgsave_time_sec:{}\r\nrdb_current_bgsave_time_sec:{}\r\nrdb_saves:{}\r\nrdb_last_cow_size:0\r\nrdb_last_load_keys_expired:{}\r\nrdb_last_load_keys_loaded:{}\r\naof_enabled:{}\r\naof_rewrite_in_progress:{}\r\naof_rewrite_scheduled:0\r\naof_last_rewrite_time_sec:{}\r\naof_current_rewrite_time_sec:{}\r\naof_last_bgrewrite_status:{}\r\naof_rewrites:{}\r\naof_rewrites_consecutive_failures:0\r\naof_last_write_status:{}\r\naof_last_cow_size:0\r\nmodule_fork_in_progress:0\r\nmodule_fork_last_cow_size:0\r\n",
        changes.saturating_sub(rdb.changes_saved.load(Ordering::Relaxed)),
        rdb.in_progress.load(Ordering::Relaxed) as u8,
        rdb.lastsave.load(Ordering::Relaxed),
        ok(rdb.last_ok.load(Ordering::Relaxed)),
        rdb.last_secs.load(Ordering::Relaxed),
        rdb.started
            .lock()
            .map_or(-1, |s| s.elapsed().as_secs() as i64),
        rdb.saves.load(Ordering::Relaxed),
        rdb.loaded_expired.load(Ordering::Relaxed),
        rdb.loaded_keys.load(Ordering::Relaxed),
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
    let text = info_text(ctx.shared, ctx.ks(), &sections);
    ctx.out.verbatim(text.as_bytes());
    OK
}
