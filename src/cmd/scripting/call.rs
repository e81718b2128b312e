//! redis.call and redis.pcall: Lua C functions written against Lua's own API, because they are
//! what a script spends its time in (a binding's generic conversions cost more than the
//! command they carry).
//!
//! A call has two halves. The Rust half reads the arguments off the Lua stack, runs the command
//! through the usual dispatch and leaves its RESP reply in the run's buffer. The Lua half turns
//! that reply into Lua values. Lua reports errors (a script's memory limit) by `longjmp`, which
//! may only cross Rust frames that have nothing left to drop: so the Rust half finishes (its
//! borrows ended) before the Lua half starts, and the Lua half holds nothing but pointers and
//! slices. While the memory limit is armed the Lua half runs under `lua_cpcall`, which catches
//! the jump itself; the error raised to the script (`lua_error`) is the last thing a call does.

use super::{dispatch, locks, resolve, Ctx, Resolved, Run, CURRENT};
use crate::keyspace::Locks;
use crate::resp::Args;
use mlua::ffi;
use std::cell::{Cell, RefCell};
use std::ffi::{c_char, c_int, c_void};
use std::ops::Range;
use std::sync::atomic::Ordering;

thread_local! {
    /// Whether this thread's interpreter has its memory limit set (see
    /// [`super::lua::LUA_MEMORY_LIMIT`]): a push may then fail.
    pub static ARMED: Cell<bool> = const { Cell::new(false) };
}

/// What the Rust half leaves for the Lua half: plain pointers into buffers the run owns (or
/// static text), valid until the next call.
#[derive(Clone, Copy)]
enum Step {
    /// A command's reply (an error reply too).
    Reply(*const u8, usize),
    /// The call failed before its command ran: redis.call raises this error, redis.pcall
    /// returns it.
    Fail(&'static str),
    /// No run to act on: raised by both.
    Raise(&'static str),
}

/// redis.call: the command's reply as a Lua value; an error reply is raised.
pub unsafe extern "C-unwind" fn redis_call(l: *mut ffi::lua_State) -> c_int {
    call(l, false)
}

/// redis.pcall: the command's reply as a Lua value; an error reply is returned as `{err=}`.
pub unsafe extern "C-unwind" fn redis_pcall(l: *mut ffi::lua_State) -> c_int {
    call(l, true)
}

unsafe fn call(l: *mut ffi::lua_State, pcall: bool) -> c_int {
    let step = rust_half(l);
    // From here on nothing owned is alive in this frame.
    let raise = if ARMED.with(Cell::get) {
        let mut job = Job {
            step,
            pcall,
            raise: false,
        };
        let job_ptr = &mut job as *mut Job as *mut c_void;
        if ffi::lua_cpcall(l, lua_half_protected, job_ptr) != 0 {
            // The error object (a memory error) is on top.
            ffi::lua_error(l);
        }
        ffi::lua_pushlightuserdata(l, registry_key());
        ffi::lua_rawget(l, ffi::LUA_REGISTRYINDEX);
        ffi::lua_pushlightuserdata(l, registry_key());
        ffi::lua_pushnil(l);
        ffi::lua_rawset(l, ffi::LUA_REGISTRYINDEX);
        job.raise
    } else {
        lua_half(l, step, pcall)
    };
    if raise {
        ffi::lua_error(l);
    }
    1
}

/// redis.acl_check_cmd(command, arg...): whether the script's user may run the command with
/// these arguments; an unknown command is an error.
pub unsafe extern "C-unwind" fn redis_acl_check_cmd(l: *mut ffi::lua_State) -> c_int {
    match acl_check(l) {
        Ok(allowed) => {
            ffi::lua_pushboolean(l, c_int::from(allowed));
            1
        }
        Err(msg) => {
            // Nothing owned is alive in this frame: the error may jump out of it.
            push_err_table(l, msg.as_bytes());
            ffi::lua_error(l)
        }
    }
}

/// Reads the arguments and checks them against the user's rules; every borrow ends before it
/// returns.
unsafe fn acl_check(l: *mut ffi::lua_State) -> Result<bool, &'static str> {
    let mut run = match current_run() {
        Some(Ok(run)) => run,
        Some(Err(())) => return Err("ERR redis.acl_check_cmd from inside a command"),
        None => {
            return Err("ERR redis.acl_check_cmd can only be called inside a script invocation")
        }
    };
    with_args(l, &mut run, |run, args| {
        if args.is_empty() {
            return Err("ERR Please specify at least one argument for this redis lib call");
        }
        let Resolved::Found(id, cmd) = resolve(&args) else {
            return Err("ERR Invalid command passed to redis.acl_check_cmd()");
        };
        let Some(user) = run.ctx.client.user.clone() else {
            return Ok(true);
        };
        let get = |i: usize| args.get(i);
        let argv = crate::cmd::acl::Argv {
            len: args.len(),
            get: &get,
        };
        Ok(crate::cmd::acl::check(&user, cmd, id, &argv).is_ok())
    })
}

/// The Lua half under `lua_cpcall`: its value goes through the registry (a protected call
/// returns none).
struct Job {
    step: Step,
    pcall: bool,
    raise: bool,
}

fn registry_key() -> *mut c_void {
    static KEY: u8 = 0;
    &KEY as *const u8 as *mut c_void
}

unsafe extern "C-unwind" fn lua_half_protected(l: *mut ffi::lua_State) -> c_int {
    // SAFETY: `call` passed a pointer to its `Job`, alive until lua_cpcall returns.
    let job = &mut *(ffi::lua_touserdata(l, 1) as *mut Job);
    job.raise = lua_half(l, job.step, job.pcall);
    ffi::lua_pushlightuserdata(l, registry_key());
    ffi::lua_insert(l, -2);
    ffi::lua_rawset(l, ffi::LUA_REGISTRYINDEX);
    0
}

/// Reads the arguments and runs the command; every borrow ends before it returns.
unsafe fn rust_half(l: *mut ffi::lua_State) -> Step {
    let mut run = match current_run() {
        Some(Ok(run)) => run,
        Some(Err(())) => return Step::Raise("ERR redis.call from inside a command"),
        None => return Step::Raise("ERR redis.call used outside a script run"),
    };
    match with_args(l, &mut run, run_command) {
        Ok(()) => Step::Reply(run.out.buf.as_ptr(), run.out.buf.len()),
        Err(msg) => Step::Fail(msg),
    }
}

/// The run of the script running on this thread: None between runs, Err while it is in use
/// (a command cannot call back into a script).
///
/// # Safety
/// Only from a Lua C function the run's script called, the borrow ended before it returns.
unsafe fn current_run<'r>() -> Option<Result<std::cell::RefMut<'r, Run<'r, 'r, 'r>>, ()>> {
    let ptr = CURRENT.with(Cell::get);
    if ptr.is_null() {
        return None;
    }
    // SAFETY: `ptr` was set by `Current::set` from a `RefCell<Run>` that outlives the guard,
    // and the guard clears it before that cell is dropped, so it lives while its script runs;
    // the RefCell refuses a second borrow.
    let cell = &*(ptr as *const RefCell<Run<'r, 'r, 'r>>);
    Some(cell.try_borrow_mut().map_err(|_| ()))
}

/// Reads the call's arguments (see [`gather`]) into the run's buffers and gives them to `f`.
unsafe fn with_args<T>(
    l: *mut ffi::lua_State,
    run: &mut Run,
    f: impl FnOnce(&mut Run, Args) -> Result<T, &'static str>,
) -> Result<T, &'static str> {
    let mut data = std::mem::take(&mut run.data);
    let mut ranges = std::mem::take(&mut run.ranges);
    data.clear();
    ranges.clear();
    let outcome = match gather(l, &mut data, &mut ranges) {
        Ok(()) => f(run, Args::new(&data, &ranges)),
        Err(msg) => Err(msg),
    };
    run.data = data;
    run.ranges = ranges;
    outcome
}

/// The call's arguments, as the command's: strings as they are, numbers as Redis 7.0 writes
/// them ("%.17g": 0.1 is 0.10000000000000001).
unsafe fn gather(
    l: *mut ffi::lua_State,
    data: &mut Vec<u8>,
    ranges: &mut Vec<Range<usize>>,
) -> Result<(), &'static str> {
    for i in 1..=ffi::lua_gettop(l) {
        let start = data.len();
        match ffi::lua_type(l, i) {
            ffi::LUA_TSTRING => {
                let mut len = 0;
                // A string stays as it is (no conversion, no allocation).
                let p = ffi::lua_tolstring(l, i, &mut len);
                data.extend_from_slice(std::slice::from_raw_parts(p as *const u8, len));
            }
            ffi::LUA_TNUMBER => {
                let n = ffi::lua_tonumber(l, i);
                if n.fract() == 0.0 && n.abs() < 1e17 && !(n == 0.0 && n.is_sign_negative()) {
                    data.extend_from_slice(itoa::Buffer::new().format(n as i64).as_bytes());
                } else {
                    data.extend_from_slice(&crate::resp::format_g(c"%.17g", n));
                }
            }
            _ => return Err("ERR Lua redis lib command arguments must be strings or integers"),
        }
        ranges.push(start..data.len());
    }
    Ok(())
}

/// Runs one command as the script's client, its reply left in `run.out`; or why it may not
/// run, as Redis checks it.
fn run_command(run: &mut Run, args: Args) -> Result<(), &'static str> {
    if args.is_empty() {
        return Err("ERR Please specify at least one argument for this redis lib call");
    }
    let cmd = match resolve(&args) {
        Resolved::Found(_, cmd) => cmd,
        _ => return Err("ERR Unknown Redis command called from script"),
    };
    // As Redis: the arity, then whether scripts may run it.
    if !crate::cmd::arity_ok(cmd.arity, args.len()) {
        return Err("ERR Wrong number of args calling Redis command from script");
    }
    if cmd.flags.contains(crate::cmd::Flags::NOSCRIPT) {
        return Err("ERR This Redis command is not allowed from script");
    }
    if run.read_only && (cmd.is_write() || cmd.flags.contains(crate::cmd::Flags::MAY_REPLICATE)) {
        return Err("ERR Write commands are not allowed from read-only scripts.");
    }
    if cmd.is_write() {
        // From now on SCRIPT KILL cannot stop it.
        run.ctx.shared.busy.wrote.store(true, Ordering::Relaxed);
    }
    let out = &mut run.out;
    out.buf.clear();
    out.error_codes.clear();
    out.resp3 = run.resp == 3;
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
    let context = std::mem::replace(&mut inner.client.acl_context, crate::cmd::acl::Context::Lua);
    dispatch(&mut inner, args);
    inner.client.acl_context = context;
    Ok(())
}

/// Pushes the call's result; true if it is to be raised.
unsafe fn lua_half(l: *mut ffi::lua_State, step: Step, pcall: bool) -> bool {
    let (text, raise) = match step {
        Step::Reply(p, len) => {
            let buf = std::slice::from_raw_parts(p, len);
            let top = ffi::lua_gettop(l);
            let mut at = 0;
            match push_reply(l, buf, &mut at, 0) {
                Pushed::Value => return false,
                Pushed::Error(text) => (text, !pcall),
                Pushed::Bad => {
                    ffi::lua_settop(l, top);
                    (&b"ERR reply too deep or malformed"[..], !pcall)
                }
            }
        }
        Step::Fail(msg) => (msg.as_bytes(), !pcall),
        Step::Raise(msg) => (msg.as_bytes(), true),
    };
    push_err_table(l, text);
    raise
}

/// What [`push_reply`] did.
enum Pushed<'b> {
    /// Pushed one value.
    Value,
    /// Pushed nothing: the reply is this error.
    Error(&'b [u8]),
    /// Pushed part of a value (the caller resets the stack).
    Bad,
}

unsafe fn push_str(l: *mut ffi::lua_State, s: &[u8]) {
    ffi::lua_pushlstring(l, s.as_ptr() as *const c_char, s.len());
}

/// `{err = text}`, the error Redis gives a script.
unsafe fn push_err_table(l: *mut ffi::lua_State, text: &[u8]) {
    ffi::lua_createtable(l, 0, 1);
    push_str(l, b"err");
    push_str(l, text);
    ffi::lua_rawset(l, -3);
}

/// A table `{field = <value on top>}` in place of the value on top.
unsafe fn wrap(l: *mut ffi::lua_State, field: &[u8]) {
    ffi::lua_createtable(l, 0, 1);
    push_str(l, field);
    ffi::lua_pushvalue(l, -3);
    ffi::lua_rawset(l, -3);
    ffi::lua_remove(l, -2);
}

fn line<'b>(buf: &'b [u8], at: &mut usize) -> Option<&'b [u8]> {
    let end = memchr::memchr(b'\r', buf.get(*at..)?)?;
    let s = &buf[*at..*at + end];
    *at += end + 2;
    Some(s)
}

/// One reply of `buf` at `at` as the Lua value Redis gives a script (RESP2 and RESP3 types).
unsafe fn push_reply<'b>(
    l: *mut ffi::lua_State,
    buf: &'b [u8],
    at: &mut usize,
    depth: usize,
) -> Pushed<'b> {
    if depth > 1000 || ffi::lua_checkstack(l, 4) == 0 {
        return Pushed::Bad;
    }
    let Some(&kind) = buf.get(*at) else {
        return Pushed::Bad;
    };
    *at += 1;
    let Some(head) = line(buf, at) else {
        return Pushed::Bad;
    };
    let num = || crate::resp::parse_i64(head).unwrap_or(-1);
    match kind {
        b'+' => {
            push_str(l, head);
            wrap(l, b"ok");
        }
        b'-' => return Pushed::Error(head),
        b':' => ffi::lua_pushinteger(l, num()),
        b'$' | b'=' | b'!' => {
            let n = num();
            if n < 0 {
                ffi::lua_pushboolean(l, 0);
                return Pushed::Value;
            }
            let n = n as usize;
            let Some(bytes) = buf.get(*at..*at + n) else {
                return Pushed::Bad;
            };
            *at += n + 2;
            match kind {
                b'!' => return Pushed::Error(bytes),
                b'=' => {
                    ffi::lua_createtable(l, 0, 2);
                    push_str(l, b"format");
                    push_str(l, &bytes[..3.min(n)]);
                    ffi::lua_rawset(l, -3);
                    push_str(l, b"string");
                    push_str(l, &bytes[4.min(n)..]);
                    ffi::lua_rawset(l, -3);
                    wrap(l, b"verbatim_string");
                }
                _ => push_str(l, bytes),
            }
        }
        b'*' | b'~' | b'>' => {
            let n = num();
            if n < 0 {
                ffi::lua_pushboolean(l, 0);
                return Pushed::Value;
            }
            let set = kind == b'~';
            if set {
                ffi::lua_createtable(l, 0, n.min(1 << 16) as c_int);
            } else {
                ffi::lua_createtable(l, n.min(1 << 16) as c_int, 0);
            }
            for i in 0..n {
                if !push_item(l, buf, at, depth) {
                    return Pushed::Bad;
                }
                if set {
                    if ffi::lua_isnil(l, -1) != 0 {
                        ffi::lua_settop(l, -2);
                    } else {
                        ffi::lua_pushboolean(l, 1);
                        ffi::lua_rawset(l, -3);
                    }
                } else {
                    ffi::lua_rawseti(l, -2, i + 1);
                }
            }
            if set {
                wrap(l, b"set");
            }
        }
        b'%' => {
            ffi::lua_createtable(l, 0, num().clamp(0, 1 << 16) as c_int);
            for _ in 0..num().max(0) {
                let key_is_error = match push_reply(l, buf, at, depth + 1) {
                    Pushed::Value => false,
                    Pushed::Error(_) => {
                        ffi::lua_pushnil(l);
                        true
                    }
                    Pushed::Bad => return Pushed::Bad,
                };
                if !push_item(l, buf, at, depth) {
                    return Pushed::Bad;
                }
                if key_is_error || ffi::lua_isnil(l, -2) != 0 {
                    ffi::lua_settop(l, -3);
                } else {
                    ffi::lua_rawset(l, -3);
                }
            }
            wrap(l, b"map");
        }
        b'_' => ffi::lua_pushnil(l),
        b'#' => ffi::lua_pushboolean(l, c_int::from(head == b"t")),
        b',' => {
            ffi::lua_pushnumber(l, crate::resp::parse_f64(head).unwrap_or(0.0));
            wrap(l, b"double");
        }
        b'(' => {
            push_str(l, head);
            wrap(l, b"big_number");
        }
        _ => ffi::lua_pushnil(l),
    }
    Pushed::Value
}

/// An element of an aggregate: an error reply inside one is an `{err=}` table.
unsafe fn push_item(l: *mut ffi::lua_State, buf: &[u8], at: &mut usize, depth: usize) -> bool {
    match push_reply(l, buf, at, depth + 1) {
        Pushed::Value => true,
        Pushed::Error(text) => {
            push_err_table(l, text);
            true
        }
        Pushed::Bad => false,
    }
}
