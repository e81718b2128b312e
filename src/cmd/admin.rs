//! Server administration: DBSIZE, FLUSHDB, FLUSHALL, TIME, SHUTDOWN, BGREWRITEAOF and DEBUG.

use super::{help, Action, Ctx, OK};
use crate::error::{CmdError, CmdResult};
use crate::resp::Args;

pub fn dbsize(ctx: &mut Ctx, _args: Args) -> CmdResult<Action> {
    ctx.out.int(ctx.ks().dbsize(ctx.db()) as i64);
    OK
}

/// The optional ASYNC|SYNC after a flush command's name (its arguments start at `at`: 1 for
/// FLUSHALL, 2 for SCRIPT FLUSH): Some(true) for ASYNC, Some(false) for SYNC; anything else is
/// `err`, each command's own.
pub(super) fn flush_mode(
    args: &Args,
    at: usize,
    err: impl FnOnce() -> CmdError,
) -> CmdResult<Option<bool>> {
    match args.len() - at {
        0 => Ok(None),
        1 if args.is(at, "async") => Ok(Some(true)),
        1 if args.is(at, "sync") => Ok(Some(false)),
        _ => Err(err()),
    }
}

/// Whether a FLUSHDB/FLUSHALL frees lazily: ASYNC, or neither ASYNC nor SYNC with
/// lazyfree-lazy-user-flush set.
fn lazy_flush(ctx: &Ctx, args: &Args) -> CmdResult<bool> {
    Ok(
        flush_mode(args, 1, || CmdError::Syntax)?.unwrap_or_else(|| {
            ctx.shared
                .ks
                .lazy()
                .user_flush
                .load(std::sync::atomic::Ordering::Relaxed)
        }),
    )
}

pub fn flushdb(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let lazy = lazy_flush(ctx, &args)?;
    ctx.ks().flushdb(ctx.db(), lazy);
    ctx.shared.tracking.invalidate_all();
    ctx.out.ok();
    OK
}

pub fn flushall(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let lazy = lazy_flush(ctx, &args)?;
    ctx.ks().flushall(lazy);
    ctx.shared.tracking.invalidate_all();
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
pub fn shutdown(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
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
    // As Redis: SAVE, or save points set and no NOSAVE, write the RDB file first; if that
    // fails the server keeps running (unless FORCE).
    let force = args
        .from(1)
        .iter()
        .any(|a| a.eq_ignore_ascii_case(b"force"));
    if (save || (!nosave && !crate::shared::save_points(ctx.shared).is_empty()))
        && crate::rdb::save::save(&**ctx.shared, ctx.ks()).is_err()
        && !force
    {
        return Err(CmdError::ShutdownSaveFailed);
    }
    // A script past busy-reply-threshold (see `scripting::runs_while_busy`) stops at its next
    // check, writes or not, as the shutdown begins.
    Ok(Action::Shutdown)
}

/// SAVE: writes the RDB file now (every other client waits, as with Redis's SAVE).
pub fn save(ctx: &mut Ctx, _args: Args) -> CmdResult<Action> {
    if ctx
        .shared
        .rdb
        .in_progress
        .load(std::sync::atomic::Ordering::Acquire)
    {
        return Err(CmdError::SaveInProgress);
    }
    crate::rdb::save::save(&**ctx.shared, ctx.ks()).map_err(|_| CmdError::SaveFailed)?;
    ctx.out.ok();
    OK
}

/// BGSAVE [SCHEDULE]: writes the RDB file from a forked child (see [`crate::rdb::save`]).
/// ringdis runs it beside an AOF rewrite, so SCHEDULE never has to wait.
pub fn bgsave(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    if args.len() > 2 || (args.len() == 2 && !args.is(1, "schedule")) {
        return Err(CmdError::Syntax);
    }
    match crate::rdb::save::bgsave(ctx.shared, ctx.ks()) {
        Ok(()) => {
            ctx.out.simple("Background saving started");
            OK
        }
        Err(crate::rdb::save::BgError::InProgress) => Err(CmdError::SaveInProgress),
        Err(crate::rdb::save::BgError::Fork(e)) => {
            crate::warning!("Can't save in background: fork: {e}");
            Err(CmdError::SaveFailed)
        }
    }
}

/// BGREWRITEAOF: compacts the AOF in the background (see [`crate::aof::rewrite`]).
pub fn bgrewriteaof(ctx: &mut Ctx, _args: Args) -> CmdResult<Action> {
    crate::aof::rewrite::start(ctx.shared, ctx.ks(), false)?;
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
        b"set-active-expire" if args.len() == 3 => {
            let on = super::int_arg(args.get(2))?;
            ctx.shared
                .active_expire
                .store(on != 0, std::sync::atomic::Ordering::Relaxed);
            ctx.out.ok();
        }
        b"error" if args.len() == 3 => {
            return Err(CmdError::Verbatim(
                String::from_utf8_lossy(args.get(2)).into_owned(),
            ));
        }
        // Blocks this executor, as it blocks Redis (tests use it to make a slow command).
        b"sleep" if args.len() == 3 => {
            let secs = crate::resp::parse_f64(args.get(2)).unwrap_or(0.0);
            if secs > 0.0 && secs.is_finite() {
                std::thread::sleep(std::time::Duration::from_secs_f64(secs));
            }
            ctx.out.ok();
        }
        b"object" if args.len() == 3 => {
            let key = args.get(2);
            let line = ctx.ks().read(ctx.db(), key).debug_object(key, ctx.now);
            ctx.out.simple(&line.ok_or(CmdError::NoSuchKey)?);
        }
        // Redis saves and loads its RDB file; ringdis has none, and its data set is already
        // what a reload would give back.
        b"reload" => ctx.out.ok(),
        b"jmap" => ctx.out.ok(),
        b"help" => help(
            ctx.out,
            "DEBUG",
            &[
                "AOF-FAULT <ENOSPC|EIO|EDQUOT|EROFS|errno|OFF>",
                "    Fail every append-only file write with that error, until OFF.",
                "ERROR <string>",
                "    Reply with <string> as an error.",
                "JMAP",
                "    A no-op (Redis prints its allocator's statistics to its log).",
                "OBJECT <key>",
                "    Show low level info about the key and associated value.",
                "RELOAD",
                "    Answers OK: ringdis has no RDB file to save and load again.",
                "SET-ACTIVE-EXPIRE <0|1>",
                "    0 pauses the background expiry cycle (keys then expire only when accessed);",
                "    1 resumes it.",
                "SLEEP <seconds>",
                "    Stop the server for <seconds>. Decimals allowed.",
            ],
        ),
        _ => return Err(CmdError::subcommand_syntax(b"DEBUG", args.get(1))),
    }
    OK
}

pub fn module_help(ctx: &mut Ctx, _args: Args) -> CmdResult<Action> {
    help(
        ctx.out,
        "MODULE",
        &[
            "LIST",
            "    The loaded modules: none (ringdis runs no modules).",
            "LOAD <path> [<arg> ...]",
            "LOADEX <path> [[CONFIG NAME VALUE] [CONFIG NAME VALUE]] [ARGS ...]",
            "UNLOAD <name>",
            "    Refused, as Redis refuses them with enable-module-command no.",
        ],
    );
    OK
}

/// MODULE LIST: ringdis loads no modules.
pub fn module_list(ctx: &mut Ctx, _args: Args) -> CmdResult<Action> {
    ctx.out.array(0);
    OK
}

/// MODULE LOAD/LOADEX/UNLOAD: answered as Redis 7.0 does with its default
/// `enable-module-command no`.
pub fn module_refused(_ctx: &mut Ctx, _args: Args) -> CmdResult<Action> {
    Err(CmdError::ModuleCommandNotAllowed)
}

/// LOLWUT [VERSION v]: the version line (Redis draws art above it for versions 5 and 6; ringdis
/// draws none).
pub fn lolwut(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    if args.len() >= 3 && args.is(1, "version") {
        super::int_arg(args.get(2))?;
    }
    ctx.out
        .bulk(format!("Redis ver. {}\n", super::REDIS_VERSION).as_bytes());
    OK
}
