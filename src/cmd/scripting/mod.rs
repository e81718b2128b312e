//! Scripting: EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT, with Lua 5.1 as Redis 7.0 runs it.
//!
//! A script runs alone: its command takes every executor's gate (see
//! [`crate::shared::scripts`]), so no other client's command runs until it ends, whatever keys
//! it touches, declared in KEYS or not, and in whichever database it SELECTs. Its commands go
//! through the usual dispatch on a transaction that takes the shards each of them declares as
//! it comes (write-locked, kept to the end), and their AOF records are appended as one group
//! when the script ends (effects, never the EVAL itself), as a transaction's are.

mod call;
pub mod functions;
mod libs;
pub mod lua;

use super::{dispatch, int_arg, locks, resolve, Action, Ctx, Resolved, OK};
use crate::error::{CmdError, CmdResult};
use crate::keyspace::{Locks, Targets, TO_ALL};
use crate::resp::{Args, Out};
use crate::shared::scripts::sha1_hex;
use mlua::{Lua, Table, Value};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::atomic::Ordering;

thread_local! {
    /// The run of the script running on this thread (a `RefCell<Run>`), null between runs:
    /// what redis.call, redis.pcall and redis.setresp act on. Set only by [`Current::set`].
    static CURRENT: Cell<*const ()> = const { Cell::new(std::ptr::null()) };
}

/// Whether a script runs on this thread now (MONITOR shows its commands as "lua"'s).
pub fn running() -> bool {
    CURRENT.with(|c| !c.get().is_null())
}

/// Makes a run the current one for as long as it lives.
struct Current;

impl Current {
    fn set(run: &RefCell<Run>) -> Current {
        CURRENT.with(|c| c.set(run as *const RefCell<Run> as *const ()));
        Current
    }
}

impl Drop for Current {
    fn drop(&mut self) {
        CURRENT.with(|c| c.set(std::ptr::null()));
    }
}

/// Runs `f` on the current run; an error if none (or if it is in use: a command cannot call
/// back into a script).
fn with_run<R>(f: impl FnOnce(&mut Run) -> mlua::Result<R>) -> mlua::Result<R> {
    let ptr = CURRENT.with(|c| c.get());
    if ptr.is_null() {
        return Err(lua::redis_error("ERR redis.call used outside a script run"));
    }
    // SAFETY: `ptr` was set by `Current::set` from a `RefCell<Run>` that outlives the guard,
    // and the guard clears it before that cell is dropped; the RefCell refuses a second borrow.
    let cell = unsafe { &*(ptr as *const RefCell<Run>) };
    let mut run = cell
        .try_borrow_mut()
        .map_err(|_| lua::redis_error("ERR redis.call from inside a command"))?;
    f(&mut run)
}

/// redis.call, redis.pcall and redis.setresp: made once per interpreter, acting on the current
/// run (so a call costs no closure of its own).
fn install_calls(lua: &Lua, redis: &Table) -> mlua::Result<()> {
    // SAFETY: these follow the Lua C function protocol and never jump over a Rust frame that
    // has something to drop (see the `call` module).
    unsafe {
        redis.raw_set("call", lua.create_c_function(call::redis_call)?)?;
        redis.raw_set("pcall", lua.create_c_function(call::redis_pcall)?)?;
        redis.raw_set(
            "acl_check_cmd",
            lua.create_c_function(call::redis_acl_check_cmd)?,
        )?;
    }
    redis.raw_set(
        "setresp",
        lua.create_function(|lua, args: mlua::Variadic<Value>| {
            if args.len() != 1 {
                return Err(lua::redis_error(
                    "ERR redis.setresp() requires one argument.",
                ));
            }
            // As Redis reads it: a number or a numeric string, truncated to an int.
            let n = lua.coerce_number(args[0].clone())?.unwrap_or(0.0) as i64;
            if n != 2 && n != 3 {
                return Err(lua::redis_error("ERR RESP version must be 2 or 3."));
            }
            with_run(|run| {
                run.resp = n as u8;
                Ok(())
            })
        })?,
    )?;
    redis.raw_set(
        "set_repl",
        lua.create_function(|lua, args: mlua::Variadic<Value>| {
            if args.len() != 1 {
                return Err(lua::redis_error(
                    "ERR redis.set_repl() requires two arguments.",
                ));
            }
            let flags = lua.coerce_number(args[0].clone())?.unwrap_or(0.0) as i64;
            if flags & !(TO_ALL as i64) != 0 {
                return Err(lua::redis_error(
                    "ERR Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.",
                ));
            }
            with_run(|run| {
                run.repl = flags as Targets;
                match &run.tx {
                    Some(tx) => tx.set_targets(run.repl),
                    None => run.ctx.tx.set_targets(run.repl),
                }
                Ok(())
            })
        })?,
    )?;
    Ok(())
}

/// EVAL script numkeys [key ...] [arg ...]
pub fn eval(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    eval_generic(ctx, args, false)
}

pub fn eval_ro(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    eval_generic(ctx, args, true)
}

fn eval_generic(ctx: &mut Ctx, args: Args, ro: bool) -> CmdResult<Action> {
    run_script(ctx, &args, Target::Eval(args.get(1)), ro)
}

/// EVALSHA sha1 numkeys [key ...] [arg ...]
pub fn evalsha(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    evalsha_generic(ctx, args, false)
}

pub fn evalsha_ro(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    evalsha_generic(ctx, args, true)
}

fn evalsha_generic(ctx: &mut Ctx, args: Args, ro: bool) -> CmdResult<Action> {
    // As Redis: a name that cannot be a SHA1 is refused before numkeys is looked at.
    if args.get(1).len() != 40 {
        return Err(CmdError::NoScript);
    }
    run_script(ctx, &args, Target::Sha(args.get(1)), ro)
}

/// SCRIPT LOAD script
pub fn script_load(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let body = args.get(2);
    let sha = sha1_hex(body);
    let generation = ctx.shared.scripts.generation.load(Ordering::Relaxed);
    let no_writes = lua::shebang_flags(body).map_err(CmdError::Other)?;
    lua::with_vm(&ctx.shared.busy, |vm| {
        vm.compile(&sha, body, generation, no_writes)
    })
    .map_err(|e| CmdError::Other(e.to_string()))?
    .map_err(compile_error)?;
    ctx.shared.scripts.insert(&sha, body);
    ctx.out.bulk(sha.as_bytes());
    OK
}

/// SCRIPT EXISTS sha1 [sha1 ...]
pub fn script_exists(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let shas = args.from(2);
    ctx.out.array(shas.len());
    for s in shas.iter() {
        ctx.out.int(i64::from(ctx.shared.scripts.contains(s)));
    }
    OK
}

/// SCRIPT FLUSH [ASYNC|SYNC]
pub fn script_flush(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    super::admin::flush_mode(&args, 2, || {
        CmdError::Other("SCRIPT FLUSH only support SYNC|ASYNC option".into())
    })?;
    ctx.shared.scripts.flush();
    ctx.out.ok();
    OK
}

/// SCRIPT KILL: stops a script that has not written. It reaches a script from another
/// executor once the script has run past busy-reply-threshold (before that it waits, as every
/// command does while a script runs).
pub fn script_kill(ctx: &mut Ctx, _args: Args) -> CmdResult<Action> {
    kill(ctx, false)
}

/// SCRIPT KILL (`function` false) or FUNCTION KILL, with Redis's checks in its order.
fn kill(ctx: &mut Ctx, function: bool) -> CmdResult<Action> {
    let busy = &ctx.shared.busy;
    if !busy.running() {
        return Err(CmdError::NotBusy);
    }
    if busy.wrote.load(Ordering::Relaxed) {
        return Err(CmdError::Unkillable);
    }
    match (function, busy.function.load(Ordering::Relaxed)) {
        (false, true) => return Err(CmdError::BusyFunction),
        (true, false) => return Err(CmdError::BusyEval),
        _ => {}
    }
    busy.kill.store(true, Ordering::Relaxed);
    ctx.out.ok();
    OK
}

/// The reply of a command refused while a script runs past busy-reply-threshold.
pub fn busy_error(shared: &crate::shared::Shared) -> CmdError {
    if shared.busy.function.load(Ordering::Relaxed) {
        CmdError::BusyFunction
    } else {
        CmdError::BusyEval
    }
}

/// Whether `cmd` runs while a script is past busy-reply-threshold (Redis's allow-busy
/// commands, less WATCH, which would wait on the script's shards; SHUTDOWN only with NOSAVE).
pub fn runs_while_busy(cmd: &super::Command, args: &Args) -> bool {
    if !cmd.flags.contains(super::Flags::ALLOW_BUSY) || cmd.name == "watch" {
        return false;
    }
    cmd.name != "shutdown"
        || args
            .iter()
            .skip(1)
            .any(|a| a.eq_ignore_ascii_case(b"nosave"))
}

/// SCRIPT DEBUG YES|SYNC|NO: NO is the only mode there is. Redis's Lua debugger (a session in
/// which redis-cli --ldb steps through the script) is not built, so YES and SYNC are refused
/// rather than accepted and ignored.
pub fn script_debug(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    if ctx.ks().in_exec() || !ctx.out.buf.is_empty() {
        return Err(CmdError::Other(
            "SCRIPT DEBUG must be called outside a pipeline".into(),
        ));
    }
    let mode = args.get(2);
    if mode.eq_ignore_ascii_case(b"no") {
        ctx.out.ok();
        return OK;
    }
    if mode.eq_ignore_ascii_case(b"yes") || mode.eq_ignore_ascii_case(b"sync") {
        return Err(CmdError::Other(
            "SCRIPT DEBUG YES and SYNC are not supported: ringdis has no Lua debugger".into(),
        ));
    }
    Err(CmdError::Other("Use SCRIPT DEBUG YES/SYNC/NO".into()))
}

pub fn script_help(ctx: &mut Ctx, _args: Args) -> CmdResult<Action> {
    super::help(
        ctx.out,
        "SCRIPT",
        &[
            "DEBUG (YES|SYNC|NO)",
            "    Set the debug mode for subsequent scripts executed.",
            "EXISTS <sha1> [<sha1> ...]",
            "    Return information about the existence of the scripts in the script cache.",
            "FLUSH [ASYNC|SYNC]",
            "    Flush the Lua scripts cache. Very dangerous on replicas.",
            "    When called without the optional mode argument, the behavior is determined by the",
            "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
            "    * ASYNC: Asynchronously flush the scripts cache.",
            "    * SYNC: Synchronously flush the scripts cache.",
            "KILL",
            "    Kill the currently executing Lua script.",
            "LOAD <script>",
            "    Load a script into the scripts cache without executing it.",
        ],
    );
    OK
}

/// What the commands of one run share with redis.call.
struct Run<'c, 'a, 't> {
    ctx: &'c mut Ctx<'a, 't>,
    tx: Option<crate::keyspace::tx::ExecTx<'t>>,
    /// redis.setresp: the protocol replies reach the script in.
    resp: u8,
    /// redis.set_repl: where the writes from now on are propagated.
    repl: Targets,
    read_only: bool,
    /// Where each command's reply is written before it becomes a Lua value, and where its
    /// arguments are gathered (reused from call to call, and from run to run).
    out: Out,
    data: Vec<u8>,
    ranges: Vec<std::ops::Range<usize>>,
}

/// What a run runs: EVAL's script (added to the script cache once its arguments, shebang and
/// code are found good, as Redis adds it), EVALSHA's (by its SHA1 as the client wrote it) or a
/// function.
#[derive(Clone, Copy)]
enum Target<'s> {
    Eval(&'s [u8]),
    Sha(&'s [u8]),
    Function(&'s [u8]),
}

fn compile_error(e: String) -> CmdError {
    CmdError::Other(format!("Error compiling script (new function): {e}"))
}

/// An EVAL or EVALSHA's script, compiled (from the interpreter's cache when it has it).
fn script(ctx: &Ctx, vm: &mut lua::Vm, target: Target) -> CmdResult<lua::Compiled> {
    let generation = ctx.shared.scripts.generation.load(Ordering::Relaxed);
    match target {
        Target::Sha(sha) => {
            if let Some(c) = vm.cached(sha, generation) {
                return Ok(c);
            }
            let (sha, body) = ctx.shared.scripts.get(sha).ok_or(CmdError::NoScript)?;
            let no_writes = lua::shebang_flags(&body).map_err(CmdError::Other)?;
            vm.compile(&sha, &body, generation, no_writes)
                .map_err(compile_error)
        }
        Target::Eval(body) => {
            let sha = sha1_hex(body);
            if let Some(c) = vm.cached(sha.as_bytes(), generation) {
                return Ok(c);
            }
            let no_writes = lua::shebang_flags(body).map_err(CmdError::Other)?;
            let c = vm
                .compile(&sha, body, generation, no_writes)
                .map_err(compile_error)?;
            ctx.shared.scripts.insert(&sha, body);
            Ok(c)
        }
        Target::Function(_) => unreachable!("functions are not scripts"),
    }
}

/// numkeys, checked against the arguments as Redis checks it (FCALL words a bad number its
/// own way).
fn numkeys(args: &Args, function: bool) -> CmdResult<usize> {
    let n = match int_arg(args.get(2)) {
        Err(_) if function => {
            return Err(CmdError::Other("Bad number of keys provided".into()));
        }
        n => n?,
    };
    if n < 0 {
        return Err(CmdError::Other("Number of keys can't be negative".into()));
    }
    if n as usize > args.len() - 3 {
        return Err(CmdError::Other(
            "Number of keys can't be greater than number of args".into(),
        ));
    }
    Ok(n as usize)
}

fn run_script(ctx: &mut Ctx, args: &Args, target: Target, ro: bool) -> CmdResult<Action> {
    let busy = ctx.shared.busy.clone();
    let outcome = lua::with_vm(&busy, |vm| -> CmdResult<()> {
        // The code to run, the name errors give, whether it may write, and FUNCTION STATS's
        // view of it.
        let (f, name, may_write, info, n) = match target {
            Target::Eval(_) | Target::Sha(_) => {
                // As Redis: numkeys is checked before the script is looked up.
                let n = numkeys(args, false)?;
                let c = script(ctx, vm, target)?;
                if ro && c.shebang && !c.no_writes {
                    return Err(CmdError::Other(RO_WRITER.into()));
                }
                (c.f, c.sha, !c.no_writes, None, n)
            }
            Target::Function(name) => {
                let name = String::from_utf8_lossy(name).into_owned();
                let Some((f, writes)) = vm.callback(&ctx.shared.functions, &name) else {
                    return Err(CmdError::FunctionNotFound);
                };
                let n = numkeys(args, true)?;
                if ro && writes {
                    return Err(CmdError::Other(RO_WRITER.into()));
                }
                let command = args.iter().map(<[u8]>::to_vec).collect();
                (f, Rc::from(name.as_str()), writes, Some((name, command)), n)
            }
        };
        let global = info.is_none();
        // Monitors see the script's command before the commands it runs.
        if ctx.shared.special.load(Ordering::Relaxed) & crate::shared::special::MONITOR != 0
            && !ctx.client.handle.monitor.load(Ordering::Relaxed)
        {
            super::monitor::feed(ctx, args);
        }
        let db = ctx.client.db;
        // Inside EXEC the transaction holds every database already (see locks::declare).
        let tx = (!ctx.tx.is_declared()).then(|| ctx.ks().exec(Locks::default()));
        let scratch = vm.take_scratch();
        let state = RefCell::new(Run {
            ctx: &mut *ctx,
            tx,
            resp: 2,
            repl: TO_ALL,
            read_only: ro || !may_write,
            out: scratch.out,
            data: scratch.data,
            ranges: scratch.ranges,
        });
        busy.begin(state.borrow().ctx.now, info);
        let result = {
            let _current = Current::set(&state);
            vm.run_raw(f, args, 3..3 + n, 3 + n..args.len(), global)
        };
        busy.end();
        let bytes = vm.relax_memory_limit();
        let run = state.into_inner();
        vm.put_scratch(lua::Scratch {
            out: run.out,
            data: run.data,
            ranges: run.ranges,
        });
        let ctx = run.ctx;
        ctx.shared.scripts.set_vm_memory(ctx.exec, bytes);
        match run.tx {
            Some(tx) => {
                let end = tx.finish();
                ctx.client.aof_need = ctx.client.aof_need.max(end);
            }
            // The transaction's later commands are propagated as usual.
            None if run.repl != TO_ALL => ctx.tx.set_targets(TO_ALL),
            None => {}
        }
        ctx.client.db = db;
        match result {
            Ok(true) => vm.write_result(ctx.out, run.resp == 3),
            Ok(false) => ctx.out.error_str(&vm.error_text(&name)),
            Err(e) => return Err(CmdError::Other(e)),
        }
        vm.pop_result();
        Ok(())
    });
    match outcome {
        Ok(Ok(())) => OK,
        Ok(Err(e)) => Err(e),
        Err(e) => Err(CmdError::Other(e.to_string())),
    }
}

const RO_WRITER: &str = "Can not execute a script with write flag using *_ro command.";
