//! Connection, server and admin commands.

use super::{int_arg, Action, Command, Ctx, COMMANDS, OK};
use crate::config::{mem_size, Fsync};
use crate::error::{CmdError, CmdResult};
use crate::keyspace::glob;
use crate::resp::{Args, Out};
use crate::server::Shared;
use std::fmt::Write as _;
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// The Redis version ringdis answers as (HELLO, INFO): the behaviour it implements.
pub const REDIS_VERSION: &str = "7.0.0";

pub fn ping(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    if ctx.client.subscriptions() > 0 && !ctx.out.resp3 {
        // A subscribed RESP2 connection gets PING's answer as a message-shaped array.
        if args.len() > 2 {
            return Err(CmdError::arity(b"ping"));
        }
        ctx.out.array(2);
        ctx.out.bulk(b"pong");
        ctx.out
            .bulk(if args.len() == 2 { args.get(1) } else { b"" });
        return OK;
    }
    match args.len() {
        1 => ctx.out.simple("PONG"),
        2 => ctx.out.bulk(args.get(1)),
        _ => return Err(CmdError::arity(b"ping")),
    }
    OK
}

pub fn echo(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    ctx.out.bulk(args.get(1));
    OK
}

pub fn quit(ctx: &mut Ctx, _args: Args) -> CmdResult<Action> {
    ctx.out.ok();
    Ok(Action::Close)
}

pub fn select(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    // Redis 7.0 reads the index as a C int (earlier versions said "invalid DB index").
    let db = super::c_int_arg(args.get(1))?;
    if db < 0 || db as usize >= ctx.ks().databases() {
        return Err(CmdError::DbIndexOutOfRange);
    }
    ctx.client.db = db as usize;
    ctx.client.handle.db.store(db as usize, Ordering::Relaxed);
    ctx.out.ok();
    OK
}

/// Client names may not hold spaces or control characters.
fn valid_name(n: &[u8]) -> bool {
    n.iter().all(|&c| (b'!'..=b'~').contains(&c))
}

/// No users are configured: like Redis without requirepass, only the default user exists, and
/// it takes any password.
fn check_user(user: &[u8]) -> CmdResult<()> {
    if user.eq_ignore_ascii_case(b"default") {
        Ok(())
    } else {
        Err(CmdError::WrongPass)
    }
}

/// AUTH [username] password, answered as Redis does without requirepass or ACL users.
pub fn auth(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    match args.len() {
        2 => Err(CmdError::AuthWithoutPassword),
        3 => {
            check_user(args.get(1))?;
            ctx.out.ok();
            OK
        }
        _ => Err(CmdError::Syntax),
    }
}

/// HELLO [protover [AUTH user pass] [SETNAME name]]: switches RESP2/RESP3 and describes the server.
pub fn hello(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let mut proto = None;
    let mut i = 1;
    if args.len() > 1 {
        let v = int_arg(args.get(1)).map_err(|_| {
            CmdError::Other("Protocol version is not an integer or out of range".into())
        })?;
        if !(2..=3).contains(&v) {
            return Err(CmdError::NoProto);
        }
        proto = Some(v);
        i = 2;
    }
    let mut name = None;
    while i < args.len() {
        if args.is(i, "auth") && i + 2 < args.len() {
            check_user(args.get(i + 1))?;
            i += 3;
        } else if args.is(i, "setname") && i + 1 < args.len() {
            let n = args.get(i + 1);
            if !valid_name(n) {
                return Err(CmdError::BadClientName);
            }
            name = Some(n);
            i += 2;
        } else {
            return Err(CmdError::Other(format!(
                "Syntax error in HELLO option '{}'",
                String::from_utf8_lossy(args.get(i))
            )));
        }
    }
    if let Some(p) = proto {
        ctx.out.resp3 = p == 3;
        ctx.client.handle.resp.store(p as u8, Ordering::Relaxed);
    }
    if let Some(n) = name {
        *ctx.client.handle.name.lock() = n.to_vec();
    }
    let o = &mut *ctx.out;
    o.map(7);
    o.bulk(b"server");
    o.bulk(b"redis");
    o.bulk(b"version");
    o.bulk(REDIS_VERSION.as_bytes());
    o.bulk(b"proto");
    o.int(if o.resp3 { 3 } else { 2 });
    o.bulk(b"id");
    o.int(ctx.client.handle.id as i64);
    o.bulk(b"mode");
    o.bulk(b"standalone");
    o.bulk(b"role");
    o.bulk(b"master");
    o.bulk(b"modules");
    o.array(0);
    OK
}

pub fn client(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let sub = args.get(1).to_ascii_lowercase();
    let argc = args.len();
    let arity_err = || CmdError::sub_arity("client", &sub);
    let shared = ctx.shared;
    match sub.as_slice() {
        b"id" if argc == 2 => ctx.out.int(ctx.client.handle.id as i64),
        b"getname" if argc == 2 => {
            let n = ctx.client.handle.name.lock().clone();
            ctx.out.bulk_opt(if n.is_empty() { None } else { Some(&n) });
        }
        b"setname" if argc == 3 => {
            let n = args.get(2);
            if !valid_name(n) {
                return Err(CmdError::BadClientName);
            }
            *ctx.client.handle.name.lock() = n.to_vec();
            ctx.out.ok();
        }
        b"setinfo" if argc == 4 => {
            let v = args.get(3);
            // Redis 7.2 checks the option name first, then the value, naming the option it got.
            let known = args.is(2, "lib-name") || args.is(2, "lib-ver");
            if known && !valid_name(v) && !v.is_empty() {
                let attr = String::from_utf8_lossy(args.get(2)).into_owned();
                return Err(CmdError::Other(format!(
                    "{attr} cannot contain spaces, newlines or special characters."
                )));
            }
            if args.is(2, "lib-name") {
                *ctx.client.handle.lib_name.lock() = v.to_vec();
            } else if args.is(2, "lib-ver") {
                *ctx.client.handle.lib_ver.lock() = v.to_vec();
            } else {
                return Err(CmdError::Other(format!(
                    "Unrecognized option '{}'",
                    String::from_utf8_lossy(args.get(2))
                )));
            }
            ctx.out.ok();
        }
        b"info" if argc == 2 => {
            let line = ctx.client.handle.info_line(&last_cmd(&ctx.client.handle));
            ctx.out.verbatim(format!("{line}\n").as_bytes());
        }
        b"list" if argc == 2 || (argc == 4 && args.is(2, "type") && args.is(3, "normal")) => {
            let mut text = String::new();
            for c in shared.clients.all() {
                text.push_str(&c.info_line(&last_cmd(&c)));
                text.push('\n');
            }
            ctx.out.verbatim(text.as_bytes());
        }
        b"list" if argc >= 4 && args.is(2, "id") => {
            let mut text = String::new();
            for id in args.from(3).iter() {
                let id = int_arg(id).map_err(|_| CmdError::Other("Invalid client ID".into()))?;
                if let Some(c) = shared.clients.get(id as u64) {
                    text.push_str(&c.info_line(&last_cmd(&c)));
                    text.push('\n');
                }
            }
            ctx.out.verbatim(text.as_bytes());
        }
        b"kill" if argc == 4 && args.is(2, "id") => {
            let id = int_arg(args.get(3))
                .map_err(|_| CmdError::Other("client-id should be greater than 0".into()))?;
            let killed = shared.clients.kill(|c| c.id == id as u64);
            if killed.is_empty() {
                return Err(CmdError::NoSuchClient);
            }
            // CLIENT KILL with filters answers the number of clients killed.
            ctx.out.int(killed.len() as i64);
            if killed.contains(&ctx.client.handle.id) {
                return Ok(Action::Close);
            }
        }
        b"kill" if argc == 3 => {
            let addr = String::from_utf8_lossy(args.get(2)).into_owned();
            let killed = shared.clients.kill(|c| c.addr == addr);
            if killed.is_empty() {
                return Err(CmdError::NoSuchClient);
            }
            ctx.out.ok();
            if killed.contains(&ctx.client.handle.id) {
                return Ok(Action::Close);
            }
        }
        b"help" if argc == 2 => help(
            ctx.out,
            "CLIENT",
            &[
                "ID",
                "    Return the ID of the current connection.",
                "GETNAME",
                "    Return the name of the current connection.",
                "SETNAME <name>",
                "    Assign the name <name> to the current connection.",
                "SETINFO <LIB-NAME|LIB-VER> <value>",
                "    Set client meta attr.",
                "INFO",
                "    Return information about the current client connection.",
                "LIST [TYPE NORMAL] [ID id ...]",
                "    Return information about client connections.",
                "KILL <ip:port> | KILL ID <client-id>",
                "    Kill connections.",
            ],
        ),
        b"id" | b"getname" | b"setname" | b"setinfo" | b"info" | b"help" => return Err(arity_err()),
        b"list" | b"kill" => return Err(CmdError::Syntax),
        _ => return Err(CmdError::unknown_subcommand(args.get(1), "CLIENT")),
    }
    OK
}

fn last_cmd(h: &crate::server::clients::ClientHandle) -> String {
    COMMANDS
        .get(h.last_cmd.load(Ordering::Relaxed))
        .map_or("NULL", |c| c.name)
        .to_string()
}

/// The HELP reply of a container command (also used by other families).
pub fn help(out: &mut Out, cmd: &str, lines: &[&str]) {
    out.array(lines.len() + 3);
    out.simple(&format!(
        "{cmd} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    ));
    for l in lines {
        out.simple(l);
    }
    out.simple("HELP");
    out.simple("    Print this help.");
}

pub fn dbsize(ctx: &mut Ctx, _args: Args) -> CmdResult<Action> {
    ctx.out.int(ctx.ks().dbsize(ctx.db()) as i64);
    OK
}

/// FLUSHDB/FLUSHALL take an optional ASYNC or SYNC; both run synchronously here.
fn flush_mode(args: &Args) -> CmdResult<()> {
    match args.len() {
        1 => Ok(()),
        2 if args.is(1, "async") || args.is(1, "sync") => Ok(()),
        _ => Err(CmdError::Syntax),
    }
}

pub fn flushdb(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    flush_mode(&args)?;
    ctx.ks().flushdb(ctx.db());
    ctx.out.ok();
    OK
}

pub fn flushall(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    flush_mode(&args)?;
    ctx.ks().flushall();
    ctx.out.ok();
    OK
}

pub fn time(ctx: &mut Ctx, _args: Args) -> CmdResult<Action> {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    ctx.out.array(2);
    ctx.out.bulk_int(d.as_secs() as i64);
    ctx.out.bulk_int(d.subsec_micros() as i64);
    OK
}

/// SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]: stops the server; no reply on success.
pub fn shutdown(_ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    // As Redis: every option is checked first; ABORT goes alone, NOSAVE and SAVE exclude
    // each other.
    let (mut nosave, mut save, mut other, mut abort) = (false, false, false, false);
    for a in args.from(1).iter() {
        match a.to_ascii_lowercase().as_slice() {
            b"nosave" => nosave = true,
            b"save" => save = true,
            b"now" | b"force" => other = true,
            b"abort" => abort = true,
            _ => return Err(CmdError::Syntax),
        }
    }
    if (abort && (nosave || save || other)) || (nosave && save) {
        return Err(CmdError::Syntax);
    }
    if abort {
        // ringdis shuts down at once, so there is never a shutdown to abort.
        return Err(CmdError::Other("No shutdown in progress.".into()));
    }
    Ok(Action::Shutdown)
}

/// BGREWRITEAOF: compacts the AOF in the background (see [`crate::aof::rewrite`]).
pub fn bgrewriteaof(ctx: &mut Ctx, _args: Args) -> CmdResult<Action> {
    crate::aof::rewrite::start(ctx.shared, false)?;
    ctx.out
        .simple("Background append only file rewriting started");
    OK
}

/// An errno by name (ENOSPC, EIO, ...) or number, for DEBUG AOF-FAULT.
fn errno_arg(a: &[u8]) -> Option<i32> {
    let named = [
        ("enospc", libc::ENOSPC),
        ("eio", libc::EIO),
        ("edquot", libc::EDQUOT),
        ("erofs", libc::EROFS),
        ("off", 0),
    ];
    named
        .iter()
        .find(|(n, _)| a.eq_ignore_ascii_case(n.as_bytes()))
        .map(|&(_, e)| e)
        .or_else(|| crate::resp::parse_i64(a).and_then(|n| i32::try_from(n).ok()))
        .filter(|&e| e >= 0)
}

/// DEBUG (only with --enable-debug-command yes). AOF-FAULT makes every AOF write fail with the
/// given errno until `DEBUG AOF-FAULT OFF`: how tests exercise disk-full and I/O errors.
pub fn debug(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    if !ctx.shared.config.enable_debug_command {
        return Err(CmdError::DebugNotAllowed);
    }
    match args.get(1).to_ascii_lowercase().as_slice() {
        b"aof-fault" if args.len() == 3 => {
            let e = errno_arg(args.get(2)).ok_or(CmdError::Syntax)?;
            ctx.shared.aof.inject_fault(e);
            ctx.out.ok();
        }
        b"help" => help(
            ctx.out,
            "DEBUG",
            &[
                "AOF-FAULT <ENOSPC|EIO|EDQUOT|EROFS|errno|OFF>",
                "    Fail every append-only file write with that error, until OFF.",
            ],
        ),
        _ => return Err(CmdError::unknown_subcommand(args.get(1), "DEBUG")),
    }
    OK
}

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

/// Settings CONFIG GET reports, with their current values.
fn config_values(sh: &Shared) -> Vec<(&'static str, String)> {
    let c = &sh.config;
    let dir = std::fs::canonicalize(&c.dir)
        .unwrap_or_else(|_| c.dir.clone())
        .display()
        .to_string();
    vec![
        ("port", sh.port.load(Ordering::Relaxed).to_string()),
        ("bind", c.bind.to_string()),
        ("databases", c.databases.to_string()),
        ("io-threads", sh.threads.to_string()),
        (
            "maxclients",
            sh.maxclients.load(Ordering::Relaxed).to_string(),
        ),
        (
            "proto-max-bulk-len",
            sh.proto_max_bulk_len.load(Ordering::Relaxed).to_string(),
        ),
        ("hz", sh.hz.load(Ordering::Relaxed).to_string()),
        // No RDB snapshots: reported as Redis does with them off.
        ("save", String::new()),
        ("appendonly", yes_no(sh.aof.enabled()).into()),
        ("appendfsync", sh.aof.policy().name().into()),
        ("appendfilename", c.appendfilename.clone()),
        (
            "auto-aof-rewrite-percentage",
            sh.aof.rewrite_pct.load(Ordering::Relaxed).to_string(),
        ),
        (
            "auto-aof-rewrite-min-size",
            sh.aof.rewrite_min.load(Ordering::Relaxed).to_string(),
        ),
        (
            "enable-debug-command",
            yes_no(c.enable_debug_command).into(),
        ),
        (
            "latency-tracking",
            yes_no(sh.latency.tracking.load(Ordering::Relaxed)).into(),
        ),
        (
            "latency-tracking-info-percentiles",
            sh.latency
                .percentiles
                .lock()
                .iter()
                .map(|p| fmt_percentile(*p))
                .collect::<Vec<_>>()
                .join(" "),
        ),
        (
            "slowlog-log-slower-than",
            sh.latency
                .slower_than_us
                .load(Ordering::Relaxed)
                .to_string(),
        ),
        (
            "slowlog-max-len",
            sh.latency.slowlog_max.load(Ordering::Relaxed).to_string(),
        ),
        ("dir", dir),
        ("maxmemory", "0".to_string()),
        ("maxmemory-policy", "noeviction".to_string()),
        ("timeout", "0".to_string()),
    ]
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

/// Applies one CONFIG SET pair; only settings the server really honours at run time are mutable.
fn config_set_one(sh: &Arc<Shared>, name: &str, val: &[u8]) -> CmdResult<()> {
    let invalid = |why: &str| CmdError::ConfigSetFailed(name.to_string(), why.to_string());
    let num = || -> CmdResult<i64> {
        crate::resp::parse_i64(val).ok_or_else(|| {
            CmdError::ConfigSetFailed(
                name.to_string(),
                "argument couldn't be parsed into an integer".into(),
            )
        })
    };
    let range = |lo: i64, hi: i64, v: i64| -> CmdResult<i64> {
        if v < lo || v > hi {
            Err(CmdError::ConfigSetFailed(
                name.to_string(),
                format!("argument must be between {lo} and {hi} inclusive"),
            ))
        } else {
            Ok(v)
        }
    };
    match name {
        "maxclients" => sh
            .maxclients
            .store(range(1, i64::MAX, num()?)? as u64, Ordering::Relaxed),
        "proto-max-bulk-len" => sh
            .proto_max_bulk_len
            .store(range(1024, 512 << 20, num()?)?, Ordering::Relaxed),
        "hz" => sh
            .hz
            .store(range(1, 500, num()?)? as u32, Ordering::Relaxed),
        "appendonly" => {
            let on =
                crate::config::yes_no(&String::from_utf8_lossy(val)).map_err(|e| invalid(&e))?;
            match (on, sh.aof.enabled()) {
                (true, false) => crate::aof::rewrite::start(sh, true).map_err(|e| {
                    invalid(&format!("Unable to turn on AOF. Check server logs. ({e})"))
                })?,
                (false, true) => sh.aof.disable(),
                _ => {}
            }
        }
        "latency-tracking" => sh.latency.tracking.store(
            crate::config::yes_no(&String::from_utf8_lossy(val)).map_err(|e| invalid(&e))?,
            Ordering::Relaxed,
        ),
        "latency-tracking-info-percentiles" => {
            let text = String::from_utf8_lossy(val);
            let ps: Option<Vec<f64>> = text
                .split_whitespace()
                .map(|t| t.parse::<f64>().ok().filter(|p| (0.0..=100.0).contains(p)))
                .collect();
            *sh.latency.percentiles.lock() = ps.ok_or_else(|| {
                invalid("argument(s) must be a list of percentiles between 0 and 100")
            })?;
        }
        "slowlog-log-slower-than" => sh
            .latency
            .slower_than_us
            .store(range(-1, i64::MAX, num()?)?, Ordering::Relaxed),
        "slowlog-max-len" => sh
            .latency
            .slowlog_max
            .store(range(0, i64::MAX, num()?)? as usize, Ordering::Relaxed),
        "appendfsync" => sh.aof.set_policy(Fsync::parse(val).ok_or_else(|| {
            // Redis lists an enum's names in its table's order, which starts with everysec.
            invalid("argument(s) must be one of the following: everysec, always, no")
        })?),
        "auto-aof-rewrite-percentage" => sh
            .aof
            .rewrite_pct
            .store(range(0, i32::MAX as i64, num()?)? as u64, Ordering::Relaxed),
        "auto-aof-rewrite-min-size" => sh.aof.rewrite_min.store(
            mem_size(&String::from_utf8_lossy(val)).map_err(|e| invalid(&e))?,
            Ordering::Relaxed,
        ),
        other if config_values(sh).iter().any(|(n, _)| *n == other) => {
            return Err(CmdError::ConfigSetFailed(
                other.to_string(),
                "can't set immutable config".into(),
            ))
        }
        other => return Err(CmdError::ConfigSetUnknown(other.to_string())),
    }
    Ok(())
}

pub fn config(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let sh = ctx.shared;
    match args.get(1).to_ascii_lowercase().as_slice() {
        b"get" if args.len() >= 3 => {
            let vals = config_values(sh);
            let hits: Vec<&(&str, String)> = vals
                .iter()
                .filter(|(n, _)| {
                    args.from(2)
                        .iter()
                        .any(|p| glob::matches(p, n.as_bytes(), true))
                })
                .collect();
            ctx.out.map(hits.len());
            for (n, v) in hits {
                ctx.out.bulk(n.as_bytes());
                ctx.out.bulk(v.as_bytes());
            }
        }
        b"set" if args.len() >= 4 && args.len().is_multiple_of(2) => {
            for i in (2..args.len()).step_by(2) {
                let name = String::from_utf8_lossy(args.get(i)).to_ascii_lowercase();
                config_set_one(sh, &name, args.get(i + 1))?;
            }
            ctx.out.ok();
        }
        b"resetstat" if args.len() == 2 => {
            for s in sh.stats.iter() {
                for c in [&s.commands, &s.hits, &s.misses, &s.connections, &s.rejected] {
                    c.store(0, Ordering::Relaxed);
                }
            }
            sh.ks.reset_stats();
            sh.latency.reset();
            ctx.out.ok();
        }
        b"help" if args.len() == 2 => help(
            ctx.out,
            "CONFIG",
            &[
                "GET <pattern>",
                "    Return parameters matching the glob-like <pattern> and their values.",
                "SET <directive> <value>",
                "    Set the configuration <directive> to <value>.",
                "RESETSTAT",
                "    Reset statistics reported by the INFO command.",
            ],
        ),
        b"get" | b"set" | b"resetstat" | b"help" => {
            return Err(CmdError::sub_arity("config", args.get(1)))
        }
        _ => return Err(CmdError::unknown_subcommand(args.get(1), "CONFIG")),
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
    if want("clients") {
        let _ = write!(
            t,
            "# Clients\r\nconnected_clients:{}\r\nblocked_clients:0\r\nmaxclients:{}\r\n\r\n",
            sh.clients.count(),
            sh.maxclients.load(Ordering::Relaxed)
        );
    }
    if want("memory") {
        let used = used_memory();
        let rss = rss_bytes();
        let _ = write!(
            t,
            "# Memory\r\nused_memory:{used}\r\nused_memory_human:{:.2}M\r\nused_memory_rss:{rss}\r\nused_memory_rss_human:{:.2}M\r\nmaxmemory:0\r\nmaxmemory_policy:noeviction\r\nmem_allocator:libc\r\n\r\n",
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
            "# Stats\r\ntotal_connections_received:{}\r\ntotal_commands_processed:{}\r\nrejected_connections:{}\r\nexpired_keys:{}\r\nkeyspace_hits:{}\r\nkeyspace_misses:{}\r\n\r\n",
            sh.stat(|s| &s.connections),
            sh.stat(|s| &s.commands),
            sh.stat(|s| &s.rejected),
            sh.ks.expired_keys(),
            sh.stat(|s| &s.hits),
            sh.stat(|s| &s.misses),
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
fn fmt_percentile(p: f64) -> String {
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
                let b = crate::server::latency::buckets(&h);
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
