//! Scripting: EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT, with Lua 5.1 as Redis 7.0 runs it.
//!
//! A script runs alone: its command takes every executor's gate (see
//! [`crate::shared::scripts`]), so no other client's command runs until it ends, whatever keys
//! it touches, declared in KEYS or not, and in whichever database it SELECTs. Its commands go
//! through the usual dispatch on a transaction that takes the shards each of them declares as
//! it comes (write-locked, kept to the end), and their AOF records are appended as one group
//! when the script ends (effects, never the EVAL itself), as a transaction's are.

pub mod functions;
mod libs;
pub mod lua;

use super::{dispatch, int_arg, locks, resolve, Action, Ctx, Resolved, OK};
use crate::error::{CmdError, CmdResult};
use crate::keyspace::Locks;
use crate::resp::{Args, Out};
use crate::shared::scripts::sha1_hex;
use lua::lua_text;
use mlua::{Lua, MultiValue, Table, Value};
use std::cell::{Cell, RefCell};
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
    redis.raw_set(
        "call",
        lua.create_function(|lua, args: MultiValue| {
            match with_run(|run| call_command(lua, run, args))? {
                Ok(v) => Ok(v),
                Err(msg) => Err(lua::redis_error(&msg)),
            }
        })?,
    )?;
    redis.raw_set(
        "pcall",
        lua.create_function(|lua, args: MultiValue| {
            match with_run(|run| call_command(lua, run, args))? {
                Ok(v) => Ok(v),
                Err(msg) => err_table(lua, &msg),
            }
        })?,
    )?;
    redis.raw_set(
        "setresp",
        lua.create_function(|_, v: Value| {
            let n = match v {
                Value::Integer(n) => n,
                Value::Number(n) => n as i64,
                _ => 0,
            };
            if n != 2 && n != 3 {
                return Err(lua::redis_error("ERR RESP version must be 2 or 3."));
            }
            with_run(|run| {
                run.resp = n as u8;
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
    let body = args.get(1);
    let sha = sha1_hex(body);
    let target = Target::Script {
        sha: &sha,
        body,
        cache: true,
    };
    run_script(ctx, &args, target, ro)
}

/// EVALSHA sha1 numkeys [key ...] [arg ...]
pub fn evalsha(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    evalsha_generic(ctx, args, false)
}

pub fn evalsha_ro(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    evalsha_generic(ctx, args, true)
}

fn evalsha_generic(ctx: &mut Ctx, args: Args, ro: bool) -> CmdResult<Action> {
    let Some((sha, body)) = ctx.shared.scripts.get(args.get(1)) else {
        return Err(CmdError::NoScript);
    };
    let target = Target::Script {
        sha: &sha,
        body: &body,
        cache: false,
    };
    run_script(ctx, &args, target, ro)
}

/// SCRIPT LOAD script
pub fn script_load(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let body = args.get(2);
    lua::shebang_flags(body).map_err(CmdError::Other)?;
    let sha = sha1_hex(body);
    let generation = ctx.shared.scripts.generation.load(Ordering::Relaxed);
    lua::with_vm(&ctx.shared.busy, |vm| vm.function(&sha, body, generation))
        .map_err(|e| CmdError::Other(e.to_string()))?
        .map_err(|e| CmdError::Other(format!("Error compiling script (new function): {e}")))?;
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

pub fn script_help(ctx: &mut Ctx, _args: Args) -> CmdResult<Action> {
    super::help(
        ctx.out,
        "SCRIPT",
        &[
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
    read_only: bool,
    /// Where each command's reply is written before it becomes a Lua value, and where its
    /// arguments are gathered (reused from call to call).
    out: Out,
    data: Vec<u8>,
    ranges: Vec<std::ops::Range<usize>>,
}

/// What a run runs: an EVAL script (`cache`: EVAL's, added to the script cache once its
/// arguments, shebang and code are found good, as Redis adds it) or a function.
enum Target<'s> {
    Script {
        sha: &'s str,
        body: &'s [u8],
        cache: bool,
    },
    Function(&'s [u8]),
}

/// numkeys, checked against the arguments as Redis checks it.
fn numkeys(args: &Args) -> CmdResult<usize> {
    let n = int_arg(args.get(2))?;
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
            Target::Script { sha, body, cache } => {
                let n = numkeys(args)?;
                let no_writes = lua::shebang_flags(body).map_err(CmdError::Other)?;
                if ro && body.starts_with(b"#!") && !no_writes {
                    return Err(CmdError::Other(RO_WRITER.into()));
                }
                let generation = ctx.shared.scripts.generation.load(Ordering::Relaxed);
                let f = vm.function(sha, body, generation).map_err(|e| {
                    CmdError::Other(format!("Error compiling script (new function): {e}"))
                })?;
                if cache {
                    ctx.shared.scripts.insert(sha, body);
                }
                (f, sha.to_string(), !no_writes, None, n)
            }
            Target::Function(name) => {
                let name = String::from_utf8_lossy(name).into_owned();
                let Some((f, writes)) = vm.callback(&ctx.shared.functions, &name) else {
                    return Err(CmdError::FunctionNotFound);
                };
                let n = numkeys(args)?;
                if ro && writes {
                    return Err(CmdError::Other(RO_WRITER.into()));
                }
                let command = args.iter().map(<[u8]>::to_vec).collect();
                (f, name.clone(), writes, Some((name, command)), n)
            }
        };
        let keys: Vec<&[u8]> = (3..3 + n).map(|i| args.get(i)).collect();
        let argv: Vec<&[u8]> = (3 + n..args.len()).map(|i| args.get(i)).collect();
        let is_function = info.is_some();
        let fn_args = vm
            .set_args(&keys, &argv, !is_function)
            .map_err(|e| CmdError::Other(e.to_string()))?;
        // Monitors see the script's command before the commands it runs.
        if ctx.shared.special.load(Ordering::Relaxed) & crate::shared::special::MONITOR != 0
            && !ctx.client.handle.monitor.load(Ordering::Relaxed)
        {
            super::monitor::feed(ctx, args);
        }
        let db = ctx.client.db;
        // Inside EXEC the transaction holds every database already (see locks::declare).
        let tx = (!ctx.tx.is_declared()).then(|| ctx.ks().exec(Locks::default()));
        let state = RefCell::new(Run {
            ctx: &mut *ctx,
            tx,
            resp: 2,
            read_only: ro || !may_write,
            out: Out::new(false),
            data: Vec::new(),
            ranges: Vec::new(),
        });
        busy.begin(state.borrow().ctx.now, info);
        let result = {
            let _current = Current::set(&state);
            vm.run(&f, fn_args)
        };
        busy.end();
        let bytes = vm.relax_memory_limit();
        let run = state.into_inner();
        let ctx = run.ctx;
        ctx.shared.scripts.set_vm_memory(ctx.exec, bytes);
        if let Some(tx) = run.tx {
            let end = tx.finish();
            ctx.client.aof_need = ctx.client.aof_need.max(end);
        }
        ctx.client.db = db;
        match result.map_err(|e| CmdError::Other(e.to_string()))? {
            Ok(v) => write_reply(ctx.out, &v, run.resp == 3, 0),
            Err(t) => ctx.out.error_str(&script_error(&t, &name)),
        }
        Ok(())
    });
    match outcome {
        Ok(Ok(())) => OK,
        Ok(Err(e)) => Err(e),
        Err(e) => Err(CmdError::Other(e.to_string())),
    }
}

const RO_WRITER: &str = "Can not execute a script with write flag using *_ro command.";

/// The error reply of a script that raised `t`: `<err> script: <sha>, on <source>:<line>.`
fn script_error(t: &Table, sha: &str) -> String {
    let msg = t
        .raw_get::<Value>("err")
        .map(|v| lua_text(&v))
        .unwrap_or_default();
    let source = t.raw_get::<Value>("source").ok().filter(|v| !v.is_nil());
    let line = t.raw_get::<Value>("line").ok().filter(|v| !v.is_nil());
    match (source, line) {
        (Some(s), Some(l)) => format!("{msg} script: {sha}, on {}:{}.", lua_text(&s), lua_text(&l)),
        _ => format!("{msg} script: {sha}"),
    }
}

/// An error reply for a script's table.
fn err_table(lua: &Lua, msg: &str) -> mlua::Result<Value> {
    let t = lua.create_table()?;
    t.raw_set("err", msg)?;
    Ok(Value::Table(t))
}

/// redis.call / redis.pcall: runs one command as the script's client: its reply, or the
/// text of its error reply.
fn call_command(lua: &Lua, run: &mut Run, args: MultiValue) -> mlua::Result<Result<Value, String>> {
    let values = args.into_iter();
    let mut data = std::mem::take(&mut run.data);
    let mut ranges = std::mem::take(&mut run.ranges);
    data.clear();
    ranges.clear();
    let r = call_with(lua, run, values, &mut data, &mut ranges);
    run.data = data;
    run.ranges = ranges;
    r
}

fn call_with(
    lua: &Lua,
    run: &mut Run,
    values: impl Iterator<Item = Value>,
    data: &mut Vec<u8>,
    ranges: &mut Vec<std::ops::Range<usize>>,
) -> mlua::Result<Result<Value, String>> {
    let fail = |msg: &str| Ok(Err(msg.to_string()));
    for v in values {
        let start = data.len();
        match &v {
            Value::String(s) => data.extend_from_slice(&s.as_bytes()),
            // As Redis 7.0 writes a number argument: "%.17g" (0.1 is 0.10000000000000001).
            Value::Integer(n) if n.unsigned_abs() < 100_000_000_000_000_000 => {
                data.extend_from_slice(itoa::Buffer::new().format(*n).as_bytes())
            }
            Value::Integer(n) => {
                data.extend_from_slice(&crate::resp::format_g(c"%.17g", *n as f64))
            }
            Value::Number(n) => data.extend_from_slice(&crate::resp::format_g(c"%.17g", *n)),
            _ => return fail("ERR Lua redis lib command arguments must be strings or integers"),
        }
        ranges.push(start..data.len());
    }
    if ranges.is_empty() {
        return fail("ERR Please specify at least one argument for this redis lib call");
    }
    let args = Args::new(data, ranges);
    let cmd = match resolve(&args) {
        Resolved::Found(_, cmd) => cmd,
        _ => return fail("ERR Unknown Redis command called from script"),
    };
    // As Redis: the arity, then whether scripts may run it.
    if !super::arity_ok(cmd.arity, args.len()) {
        return fail("ERR Wrong number of args calling Redis command from script");
    }
    if cmd.flags.contains(super::Flags::NOSCRIPT) {
        return fail("ERR This Redis command is not allowed from script");
    }
    if run.read_only && (cmd.is_write() || cmd.flags.contains(super::Flags::MAY_REPLICATE)) {
        return fail("ERR Write commands are not allowed from read-only scripts.");
    }
    if cmd.is_write() {
        // From now on SCRIPT KILL cannot stop it.
        run.ctx.shared.busy.wrote.store(true, Ordering::Relaxed);
    }
    let out = &mut run.out;
    out.buf.clear();
    out.error_codes.clear();
    out.resp3 = run.resp == 3;
    {
        let ctx = &mut *run.ctx;
        if let Some(tx) = run.tx.as_mut() {
            let mut locks = Locks::default();
            locks::declare(cmd, &args, ctx.client.db, &ctx.shared.ks, &mut locks, true);
            tx.hold(locks);
        }
        let tx: &crate::keyspace::Tx = match &run.tx {
            Some(t) => t,
            None => ctx.tx,
        };
        let mut inner = Ctx {
            shared: ctx.shared,
            client: &mut *ctx.client,
            out,
            now: ctx.now,
            exec: ctx.exec,
            tx,
        };
        dispatch(&mut inner, args);
    }
    let mut at = 0;
    let v = resp_to_lua(lua, &run.out.buf, &mut at)?;
    match v {
        Parsed::Error(msg) => Ok(Err(msg)),
        Parsed::Value(v) => Ok(Ok(v)),
    }
}

enum Parsed {
    Value(Value),
    Error(String),
}

fn line<'b>(buf: &'b [u8], at: &mut usize) -> mlua::Result<&'b [u8]> {
    let end = memchr::memchr(b'\r', &buf[*at..])
        .ok_or_else(|| mlua::Error::runtime("truncated reply"))?;
    let s = &buf[*at..*at + end];
    *at += end + 2;
    Ok(s)
}

/// One reply of `buf` at `at` as the Lua value Redis gives a script (RESP2 and RESP3 types).
fn resp_to_lua(lua: &Lua, buf: &[u8], at: &mut usize) -> mlua::Result<Parsed> {
    let kind = *buf
        .get(*at)
        .ok_or_else(|| mlua::Error::runtime("empty reply"))?;
    *at += 1;
    let head = line(buf, at)?;
    let num = || crate::resp::parse_i64(head).unwrap_or(-1);
    let table_with = |field: &str, v: Value| -> mlua::Result<Value> {
        let t = lua.create_table()?;
        t.raw_set(field, v)?;
        Ok(Value::Table(t))
    };
    let v = match kind {
        b'+' => table_with("ok", Value::String(lua.create_string(head)?))?,
        b'-' => return Ok(Parsed::Error(String::from_utf8_lossy(head).into_owned())),
        b':' => Value::Integer(num()),
        b'$' | b'=' | b'!' => {
            let n = num();
            if n < 0 {
                Value::Boolean(false)
            } else {
                let n = n as usize;
                let bytes = &buf[*at..*at + n];
                *at += n + 2;
                if kind == b'=' {
                    let t = lua.create_table()?;
                    t.raw_set("format", lua.create_string(&bytes[..3.min(n)])?)?;
                    t.raw_set("string", lua.create_string(&bytes[4.min(n)..])?)?;
                    table_with("verbatim_string", Value::Table(t))?
                } else if kind == b'!' {
                    return Ok(Parsed::Error(String::from_utf8_lossy(bytes).into_owned()));
                } else {
                    Value::String(lua.create_string(bytes)?)
                }
            }
        }
        b'*' | b'~' | b'>' => {
            let n = num();
            if n < 0 {
                Value::Boolean(false)
            } else {
                let t = lua.create_table()?;
                for i in 0..n as usize {
                    let item = match resp_to_lua(lua, buf, at)? {
                        Parsed::Value(v) => v,
                        Parsed::Error(e) => err_table(lua, &e)?,
                    };
                    if kind == b'~' {
                        t.raw_set(item, true)?;
                    } else {
                        t.raw_set(i + 1, item)?;
                    }
                }
                if kind == b'~' {
                    table_with("set", Value::Table(t))?
                } else {
                    Value::Table(t)
                }
            }
        }
        b'%' => {
            let t = lua.create_table()?;
            for _ in 0..num().max(0) {
                let k = match resp_to_lua(lua, buf, at)? {
                    Parsed::Value(v) => v,
                    Parsed::Error(_) => Value::Nil,
                };
                let v = match resp_to_lua(lua, buf, at)? {
                    Parsed::Value(v) => v,
                    Parsed::Error(e) => err_table(lua, &e)?,
                };
                if !k.is_nil() {
                    t.raw_set(k, v)?;
                }
            }
            table_with("map", Value::Table(t))?
        }
        b'_' => Value::Nil,
        b'#' => Value::Boolean(head == b"t"),
        b',' => {
            let d = crate::resp::parse_f64(head).unwrap_or(0.0);
            table_with("double", Value::Number(d))?
        }
        b'(' => table_with("big_number", Value::String(lua.create_string(head)?))?,
        _ => Value::Nil,
    };
    Ok(Parsed::Value(v))
}

/// Writes a script's result as Redis converts Lua values to replies.
/// Booleans follow the protocol the script chose (redis.setresp), as in Redis: with 2, true is
/// 1 and false a null.
fn write_reply(out: &mut Out, v: &Value, resp3: bool, depth: usize) {
    match v {
        Value::Nil => out.null(),
        Value::Boolean(b) if resp3 => out.boolean(*b),
        Value::Boolean(true) => out.int(1),
        Value::Boolean(false) => out.null(),
        Value::Integer(n) => out.int(*n),
        Value::Number(n) => out.int(*n as i64),
        Value::String(s) => out.bulk(&s.as_bytes()),
        Value::Table(t) if depth < 1000 => write_table(out, t, resp3, depth),
        _ => out.null(),
    }
}

fn write_table(out: &mut Out, t: &Table, resp3: bool, depth: usize) {
    let field = |name: &str| t.raw_get::<Value>(name).unwrap_or(Value::Nil);
    if let Value::String(e) = field("err") {
        out.error_str(&String::from_utf8_lossy(&e.as_bytes()));
        return;
    }
    if let Value::String(s) = field("ok") {
        out.simple(&String::from_utf8_lossy(&s.as_bytes()));
        return;
    }
    match field("double") {
        Value::Number(d) => return out.double(d),
        Value::Integer(n) => return out.double(n as f64),
        _ => {}
    }
    if let Value::String(s) = field("big_number") {
        return out.big_number(&s.as_bytes());
    }
    if let Value::Table(m) = field("map") {
        let pairs: Vec<(Value, Value)> = m.pairs::<Value, Value>().filter_map(Result::ok).collect();
        out.map(pairs.len());
        for (k, v) in &pairs {
            write_reply(out, k, resp3, depth + 1);
            write_reply(out, v, resp3, depth + 1);
        }
        return;
    }
    if let Value::Table(s) = field("set") {
        let items: Vec<Value> = s
            .pairs::<Value, Value>()
            .filter_map(Result::ok)
            .map(|(k, _)| k)
            .collect();
        out.set(items.len());
        for k in &items {
            write_reply(out, k, resp3, depth + 1);
        }
        return;
    }
    let mut items = Vec::new();
    for i in 1.. {
        match t.raw_get::<Value>(i) {
            Ok(Value::Nil) | Err(_) => break,
            Ok(v) => items.push(v),
        }
    }
    out.array(items.len());
    for v in &items {
        write_reply(out, v, resp3, depth + 1);
    }
}
