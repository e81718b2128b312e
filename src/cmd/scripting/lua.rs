//! The Lua 5.1 interpreter scripts run in, one per executor thread, with Redis's environment:
//! its globals (read-only, as Redis 7.0 makes them), the `redis` library, KEYS and ARGV, and
//! the conversions between Lua values and RESP replies.

use super::call::ARMED;
use crate::resp::{Args, Out};
use crate::shared::scripts::{Busy, FunctionMeta, Functions};
use ahash::AHashMap as HashMap;
use mlua::{
    ffi, Function, HookTriggers, Lua, LuaOptions, MultiValue, StdLib, Table, Value, Variadic,
    VmState,
};
use std::cell::{Cell, RefCell};
use std::ffi::{c_char, c_int, c_void};
use std::ops::Range;
use std::rc::Rc;
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// What the environment is built from: Redis's globals, read-only, with unknown names an
/// error.
const SETUP: &str = r#"
local base, redis_raw, getinfo, MARK, LIB_MARK, extra, readonly = ...
local string = string
local setfenv, setmetatable, getmetatable, error, type, tostring, loadstring, load, next =
    setfenv, setmetatable, getmetatable, error, type, tostring, loadstring, load, next
local function nonexistent(_, k)
    error("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 2)
end
-- The globals scripts see: Redis's names, the libraries themselves (read-only once sealed),
-- and unknown names an error.
local G = {}
for _, name in ipairs({'assert', 'collectgarbage', 'coroutine', 'error', 'gcinfo',
    'getmetatable', 'ipairs', 'next', 'pairs', 'rawequal', 'rawget', 'rawset', 'select',
    'setmetatable', 'tonumber', 'tostring', 'type', 'unpack', 'xpcall', '_VERSION',
    'string', 'table', 'math'}) do
    G[name] = base[name]
end
G.redis = redis_raw
for name, lib in pairs(extra) do
    G[name] = lib
end
setmetatable(G, {__index = nonexistent})
G._G = G
-- An error raised by ringdis's Rust functions (a userdata, from the binding) as Redis's C
-- functions raise it: the redis library's as error tables, a library's (cjson...) as the
-- text lib_error made, any other as its first line.
local function native(e)
    if type(e) ~= 'userdata' then return e end
    local text = tostring(e)
    local m = string.find(text, MARK, 1, true)
    if m then return {err = string.match(string.sub(text, m + #MARK), '^[^\n]*')} end
    local lib = string.find(text, LIB_MARK, 1, true)
    if lib then return (string.match(string.sub(text, lib + #LIB_MARK), '^[^\n]*')) end
    return (string.match(text, '^[^\n]*'))
end
-- As Redis's pcall: an error table ({err=}, what redis.call raises) is caught as its text.
local pcall, rawget, select, xpcall = pcall, rawget, select, xpcall
local function caught(ok, ...)
    if not ok then
        local e = native((...))
        if type(e) == 'table' then
            local text = rawget(e, 'err')
            if type(text) == 'string' or type(text) == 'number' then return false, text end
        end
        return false, e
    end
    return ok, ...
end
G.pcall = function(...)
    if select('#', ...) == 0 then return false, 'attempt to call a boolean value' end
    return caught(pcall(...))
end
G.xpcall = function(f, h)
    return xpcall(f, function(e) return h(native(e)) end)
end
G.loadstring = function(s, name)
    local f, e = loadstring(s, name)
    if f then setfenv(f, G) end
    return f, e
end
G.load = function(fn, name)
    local f, e = load(fn, name)
    if f then setfenv(f, G) end
    return f, e
end
-- Errors become tables {err=, source=, line=}: the line is the script's, past the C and
-- internal frames (redis.call's included).
local function handler(err)
    local i
    for level = 2, 20 do
        local f = getinfo(level, 'Sl')
        if not f then break end
        if f.what ~= 'C' and f.source ~= '=ringdis' then i = f break end
    end
    err = native(err)
    if type(err) ~= 'table' then
        err = {err = 'ERR ' .. tostring(err)}
    end
    if i then
        err['source'] = i.source
        err['line'] = i.currentline
    end
    return err
end
G.__redis__err__handler = handler
-- A library's code runs so (scripts and callbacks run under the handler from Rust).
local function run(f)
    return xpcall(f, handler)
end
-- The globals of the libraries' code (FUNCTION LOAD): while a library loads, only the
-- library API (`redis` with register_function, log and the constants); when its functions
-- run, all of G, as in Redis.
local load_redis = setmetatable({}, {__index = nonexistent})
local load_api = setmetatable({redis = load_redis}, {__index = nonexistent})
local lib_meta = {__index = G}
local lib_env = setmetatable({}, lib_meta)
-- Makes `t`, the tables it holds and their metatables read-only, as Redis does to its
-- globals.
local function seal(t)
    if type(t) ~= 'table' or readonly(t) then return end
    readonly(t, true)
    for _, v in next, t do seal(v) end
    seal(getmetatable(t))
end
local function seal_all()
    seal(G)
    seal(load_api)
    seal(lib_env)
    seal(getmetatable(''))
end
-- Before a library loads (register_function given) and after (nil).
local function loading(register)
    readonly(lib_meta, false)
    lib_meta.__index = register and load_api or G
    readonly(lib_meta, true)
    readonly(load_redis, false)
    load_redis.register_function = register
    readonly(load_redis, true)
end
return G, lib_env, run, load_redis, seal_all, loading
"#;

/// Marks the text of an error reply raised from Rust (see the handler in [`SETUP`]).
const MARK: &str = "\u{1}redis-error:";
/// Marks an error of the bit, cjson, cmsgpack and struct libraries, whose text is then the
/// Lua error Redis's C libraries raise (see [`lib_error`]).
const LIB_MARK: &str = "\u{1}lib-error:";

/// A library function's error `msg`, as `luaL_error` and `luaL_argerror` raise it from the
/// running C function: after its caller's position when the caller is the script's code, and
/// a bad argument's message with the name the function was called by ('?' when called from C,
/// as by pcall).
pub fn lib_error(lua: &Lua, msg: &str) -> mlua::Error {
    let caller = lua
        .inspect_stack(1)
        .filter(|d| d.curr_line() > 0 && d.source().source.as_deref() != Some("=ringdis"));
    let mut text = String::new();
    if let Some(c) = &caller {
        let src = c.source();
        let short = src.short_src.as_deref().unwrap_or("?");
        text = format!("{short}:{}: ", c.curr_line());
    }
    match msg.strip_prefix("bad argument #") {
        Some(rest) => {
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            let n: i64 = rest[..digits].parse().unwrap_or(1);
            let mut extra = &rest[digits..];
            if let Some(named) = extra.strip_prefix(" to '") {
                extra = named.find('\'').map_or(named, |end| &named[end + 1..]);
            }
            let extra = extra.trim_start();
            let (name, what) = caller
                .as_ref()
                .and(lua.inspect_stack(0))
                .map(|d| {
                    let names = d.names();
                    (names.name.map(|n| n.into_owned()), names.name_what)
                })
                .unwrap_or((None, None));
            let name = name.unwrap_or_else(|| "?".into());
            // Called as a method (`lib:f(x)`), the object is not counted.
            let method = what == Some("method");
            let n = if method { n - 1 } else { n };
            if method && n == 0 {
                text.push_str(&format!("calling '{name}' on bad self {extra}"));
            } else {
                text.push_str(&format!("bad argument #{n} to '{name}' {extra}"));
            }
        }
        None => text.push_str(msg),
    }
    mlua::Error::runtime(format!("{LIB_MARK}{text}"))
}

/// An error that reaches the script as the error reply `msg` (with its code: `ERR ...`).
pub fn redis_error(msg: &str) -> mlua::Error {
    mlua::Error::runtime(format!("{MARK}{msg}"))
}

pub struct Vm {
    pub lua: Lua,
    /// The globals scripts run with, read-only (written only from here: KEYS, ARGV).
    globals: Table,
    /// The globals of the libraries' code (see `lib_env` in [`SETUP`]).
    lib_env: Table,
    /// The `redis` table.
    pub redis: Table,
    /// Runs a library's code under the error handler: (ok, result or error table).
    runner: Function,
    /// Compiled scripts, by SHA1 (lower case), and the cache generation they belong to.
    funcs: HashMap<[u8; 40], Compiled>,
    generation: u64,
    /// Switches the libraries' globals to the library API and back (`loading` in [`SETUP`]).
    loading: Function,
    /// The callbacks of the loaded libraries' functions, with whether they may write, and the
    /// registry generation they were loaded at.
    fcalls: HashMap<String, (c_int, bool)>,
    fn_generation: u64,
    scratch: Option<Scratch>,
    /// The main Lua state, which the run path works on directly (see [`Vm::run_raw`]).
    state: *mut ffi::lua_State,
    refs: Refs,
}

/// Registry references of what a run pushes, so that pushing them costs no allocation.
struct Refs {
    trampoline: c_int,
    /// The error handler (`__redis__err__handler` in [`SETUP`]).
    handler: c_int,
    globals: c_int,
    keys: c_int,
    argv: c_int,
    err: c_int,
    ok: c_int,
    double: c_int,
    big_number: c_int,
    verbatim: c_int,
    format: c_int,
    string: c_int,
    map: c_int,
    set: c_int,
    source: c_int,
    line: c_int,
}

/// A compiled script, as a run needs it.
#[derive(Clone)]
pub struct Compiled {
    /// The function, as a registry reference (see [`Vm::run_raw`]).
    pub f: c_int,
    /// Its shebang's no-writes flag, and whether it has a shebang.
    pub no_writes: bool,
    pub shebang: bool,
    pub sha: Rc<str>,
}

/// Where a run's commands write their replies and gather their arguments, kept from run to
/// run.
pub struct Scratch {
    pub out: crate::resp::Out,
    pub data: Vec<u8>,
    pub ranges: Vec<std::ops::Range<usize>>,
}

impl Scratch {
    fn new() -> Scratch {
        Scratch {
            out: crate::resp::Out::new(false),
            data: Vec::new(),
            ranges: Vec::new(),
        }
    }
}

/// A function a library's code registered.
pub struct Registered {
    pub meta: FunctionMeta,
    pub callback: Function,
}

/// The flags a function (register_function) or a script (its shebang) may declare.
const SCRIPT_FLAGS: [&str; 5] = [
    "no-writes",
    "allow-oom",
    "allow-stale",
    "no-cluster",
    "allow-cross-slot-keys",
];

/// The most memory one interpreter's objects may take: past it the script fails with
/// "not enough memory". mlua enforces a limit by running every value it makes in a protected
/// call (a closure and a pcall each), which more than doubled an EVALSHA's cost; so the limit is
/// armed only once the interpreter has grown past half of it (the hook looks), and disarmed
/// when it has shrunk back (`relax_memory_limit`). Below that, only a C function's single
/// allocation could jump past it: string.rep, the one that takes a size, is checked itself.
pub const LUA_MEMORY_LIMIT: usize = 512 << 20;

/// How often (in Lua instructions) a running script looks at whether it was killed.
const KILL_CHECK_EVERY: u32 = 100_000;

/// How long FUNCTION LOAD lets a library's code run (Redis's LOAD_TIMEOUT_MS): it cannot be
/// killed, so an endless loop in it would otherwise hold the server for good.
const LOAD_TIMEOUT: std::time::Duration = std::time::Duration::from_millis(500);

thread_local! {
    static VM: RefCell<Option<Vm>> = const { RefCell::new(None) };
    /// While a library's code runs: when its load times out.
    static LOAD_DEADLINE: Cell<Option<std::time::Instant>> = const { Cell::new(None) };
    /// The hook runs on every instruction (a stopped script is on its way out).
    static EVERY_INSTRUCTION: Cell<bool> = const { Cell::new(false) };
}

/// Sets how many instructions pass between two runs of the hook of interpreter `l` (the main
/// state of this thread's VM), keeping the hook itself (mlua's).
fn hook_every(l: *mut ffi::lua_State, n: c_int) {
    // SAFETY: `l` is the main state of this thread's VM, alive as long as the VM (the hook
    // that calls this is the VM's own); lua_sethook only stores the hook, its mask and the
    // count.
    unsafe { ffi::lua_sethook(l, ffi::lua_gethook(l), ffi::lua_gethookmask(l), n) };
}

/// Runs `f` with this thread's interpreter, made on first use; `busy` is what its hook reads
/// (SCRIPT KILL).
pub fn with_vm<R>(busy: &Arc<Busy>, f: impl FnOnce(&mut Vm) -> R) -> mlua::Result<R> {
    VM.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.is_none() {
            *slot = Some(Vm::new(busy.clone())?);
        }
        let vm = slot.as_mut().expect("made above");
        let r = f(vm);
        if EVERY_INSTRUCTION.with(|e| e.replace(false)) {
            hook_every(vm.state, KILL_CHECK_EVERY as c_int);
        }
        Ok(r)
    })
}

impl Vm {
    fn new(busy: Arc<Busy>) -> mlua::Result<Vm> {
        // SAFETY: the debug library is what mlua calls unsafe; only the error handler keeps a
        // reference to debug.getinfo, and the library leaves the globals before any script
        // runs (below), as Redis's does.
        let lua = unsafe {
            Lua::unsafe_new_with(
                StdLib::TABLE | StdLib::STRING | StdLib::MATH | StdLib::DEBUG,
                LuaOptions::default(),
            )
        };
        let redis = lua.create_table()?;
        let base = lua.globals();
        let debug: Table = base.get("debug")?;
        let getinfo: Function = debug.get("getinfo")?;
        // SAFETY: `readonly` follows the Lua C function protocol (see its comment).
        let readonly = unsafe { lua.create_c_function(readonly)? };
        let math: Table = base.get("math")?;
        // SAFETY: both follow the Lua C function protocol (see their comments).
        unsafe {
            math.raw_set("random", lua.create_c_function(super::libs::math_random)?)?;
            math.raw_set(
                "randomseed",
                lua.create_c_function(super::libs::math_randomseed)?,
            )?;
        }
        let string: Table = base.get("string")?;
        let rep: Function = string.get("rep")?;
        // SAFETY: the closure is made on the state exec_raw prepared, with the original rep on
        // top as its upvalue; `guarded_rep` follows the Lua C function protocol.
        let rep: Function =
            unsafe { lua.exec_raw(rep, |l| ffi::lua_pushcclosure(l, guarded_rep, 1))? };
        string.raw_set("rep", rep)?;
        #[allow(clippy::type_complexity)]
        let (globals, lib_env, runner, load_redis, seal, loading): (
            Table,
            Table,
            Function,
            Table,
            Function,
            Function,
        ) = lua.load(SETUP).set_name("=ringdis").call((
            base.clone(),
            redis.clone(),
            getinfo,
            MARK,
            LIB_MARK,
            extra_libs(&lua)?,
            readonly,
        ))?;
        // What scripts cannot reach (the real globals keep them for the setup alone).
        for name in ["debug", "dofile", "loadfile", "print", "require", "module"] {
            base.raw_set(name, Value::Nil)?;
        }
        let mut state = std::ptr::null_mut();
        // SAFETY: the closure only reads the state exec_raw runs it on: the main one, since no
        // Lua code runs now.
        unsafe { lua.exec_raw::<()>((), |l| state = l)? };
        // SCRIPT KILL, FUNCTION KILL and SHUTDOWN NOSAVE stop a script here.
        lua.set_hook(
            HookTriggers::new().every_nth_instruction(KILL_CHECK_EVERY),
            move |lua, _| {
                if busy.must_stop() {
                    // From now on on every instruction, as Redis then checks on every line:
                    // a pcall in a loop would otherwise catch nearly every stop, for good.
                    if !EVERY_INSTRUCTION.with(|e| e.replace(true)) {
                        hook_every(state, 1);
                    }
                    return Err(redis_error("ERR Script killed by user with SCRIPT KILL..."));
                }
                if LOAD_DEADLINE
                    .with(Cell::get)
                    .is_some_and(|d| std::time::Instant::now() > d)
                {
                    return Err(redis_error("ERR FUNCTION LOAD timeout"));
                }
                if lua.used_memory() > LUA_MEMORY_LIMIT / 2 && !ARMED.with(Cell::get) {
                    lua.set_memory_limit(LUA_MEMORY_LIMIT)?;
                    ARMED.with(|a| a.set(true));
                }
                Ok(VmState::Continue)
            },
        );
        let name = |s: &str| pin(&lua, lua.create_string(s)?);
        let refs = Refs {
            // SAFETY: `trampoline` follows the Lua C function protocol (see its comment).
            trampoline: pin(&lua, unsafe { lua.create_c_function(trampoline)? })?,
            handler: pin(&lua, globals.raw_get::<Function>("__redis__err__handler")?)?,
            globals: pin(&lua, globals.clone())?,
            keys: name("KEYS")?,
            argv: name("ARGV")?,
            err: name("err")?,
            ok: name("ok")?,
            double: name("double")?,
            big_number: name("big_number")?,
            verbatim: name("verbatim_string")?,
            format: name("format")?,
            string: name("string")?,
            map: name("map")?,
            set: name("set")?,
            source: name("source")?,
            line: name("line")?,
        };
        let vm = Vm {
            lua,
            globals,
            lib_env,
            redis,
            runner,
            funcs: HashMap::new(),
            generation: 0,
            loading,
            fcalls: HashMap::new(),
            fn_generation: u64::MAX,
            scratch: None,
            state,
            refs,
        };
        vm.init_redis()?;
        super::install_calls(&vm.lua, &vm.redis)?;
        for name in [
            "log",
            "LOG_DEBUG",
            "LOG_VERBOSE",
            "LOG_NOTICE",
            "LOG_WARNING",
            "REDIS_VERSION",
            "REDIS_VERSION_NUM",
        ] {
            load_redis.raw_set(name, vm.redis.raw_get::<Value>(name)?)?;
        }
        seal.call::<()>(())?;
        Ok(vm)
    }

    /// The constants and helpers of the `redis` library that need no command.
    fn init_redis(&self) -> mlua::Result<()> {
        let lua = &self.lua;
        let r = &self.redis;
        r.raw_set("REDIS_VERSION", crate::cmd::REDIS_VERSION)?;
        r.raw_set("REDIS_VERSION_NUM", version_num(crate::cmd::REDIS_VERSION))?;
        for (name, v) in [
            ("LOG_DEBUG", 0),
            ("LOG_VERBOSE", 1),
            ("LOG_NOTICE", 2),
            ("LOG_WARNING", 3),
            ("REPL_NONE", 0),
            ("REPL_AOF", 1),
            ("REPL_SLAVE", 2),
            ("REPL_REPLICA", 2),
            ("REPL_ALL", 3),
        ] {
            r.raw_set(name, v)?;
        }
        r.raw_set(
            "sha1hex",
            lua.create_function(|lua, args: Variadic<Value>| {
                let [v] = &args[..] else {
                    return Err(redis_error("ERR wrong number of arguments"));
                };
                // lua_tolstring: a number reads as its text, anything else as no text.
                let text = lua.coerce_string(v.clone()).ok().flatten();
                let bytes = text
                    .as_ref()
                    .map(|s| s.as_bytes().to_vec())
                    .unwrap_or_default();
                Ok(crate::shared::scripts::sha1_hex(&bytes))
            })?,
        )?;
        // One string becomes {err=} or {ok=}; anything else is not raised but returned as an
        // error table, as Redis does. An error's text gets a code as Redis gives it one: a
        // leading '-' is dropped, and a text of one word is prefixed with ERR.
        let reply_table = |field: &'static str| {
            lua.create_function(move |lua, args: Variadic<Value>| {
                let t = lua.create_table()?;
                match &args[..] {
                    [Value::String(s)] if field == "err" => {
                        let text = s.as_bytes();
                        let text = text.strip_prefix(b"-").unwrap_or(&text[..]);
                        // As Redis splits it: the code up to the first space (ERR when there
                        // is none), and the rest with CR and LF trimmed from both ends.
                        let (code, rest): (&[u8], &[u8]) =
                            match text.iter().position(|&c| c == b' ') {
                                Some(i) => (&text[..i], &text[i + 1..]),
                                None => (b"ERR", text),
                            };
                        let nl = |c: &u8| matches!(c, b'\r' | b'\n');
                        let from = rest.iter().position(|c| !nl(c)).unwrap_or(rest.len());
                        let to = rest.iter().rposition(|c| !nl(c)).map_or(from, |i| i + 1);
                        let mut msg = Vec::with_capacity(code.len() + 1 + to - from);
                        msg.extend_from_slice(code);
                        msg.push(b' ');
                        msg.extend_from_slice(&rest[from..to]);
                        t.raw_set(field, lua.create_string(&msg)?)?
                    }
                    [v @ Value::String(_)] => t.raw_set(field, v)?,
                    _ => t.raw_set("err", "ERR wrong number or type of arguments")?,
                }
                Ok(t)
            })
        };
        r.raw_set("error_reply", reply_table("err")?)?;
        r.raw_set("status_reply", reply_table("ok")?)?;
        r.raw_set(
            "log",
            lua.create_function(|_, args: mlua::Variadic<Value>| {
                if args.len() < 2 {
                    return Err(redis_error(
                        "ERR redis.log() requires two arguments or more.",
                    ));
                }
                let level = match &args[0] {
                    Value::Integer(n) => *n,
                    Value::Number(n) => *n as i64,
                    _ => {
                        return Err(redis_error(
                            "ERR First argument must be a number (log level).",
                        ))
                    }
                };
                if !(0..=3).contains(&level) {
                    return Err(redis_error("ERR Invalid debug level."));
                }
                // redis.LOG_DEBUG .. LOG_WARNING are 0..3, as the log's levels.
                let level = match level {
                    0 => crate::log::Level::Debug,
                    1 => crate::log::Level::Verbose,
                    2 => crate::log::Level::Notice,
                    _ => crate::log::Level::Warning,
                };
                if crate::log::enabled(level) {
                    let text: Vec<String> = args[1..].iter().map(lua_text).collect();
                    crate::log::write(level, format_args!("{}", text.join(" ")));
                }
                Ok(())
            })?,
        )?;
        // Effects replication is the only kind since Redis 7.0: these are kept for old scripts.
        r.raw_set("replicate_commands", lua.create_function(|_, ()| Ok(true))?)?;
        r.raw_set("breakpoint", lua.create_function(|_, ()| Ok(false))?)?;
        r.raw_set(
            "debug",
            lua.create_function(|_, _: mlua::Variadic<Value>| Ok(()))?,
        )?;
        Ok(())
    }

    /// Script `sha` if this interpreter compiled it in the cache's current generation (SCRIPT
    /// FLUSH starts a new one): EVALSHA's common path, with no lock shared with other executors.
    pub fn cached(&mut self, sha: &[u8], generation: u64) -> Option<Compiled> {
        if generation != self.generation {
            for (_, c) in self.funcs.drain() {
                unpin(self.state, c.f);
            }
            self.generation = generation;
        }
        self.funcs.get(&sha_key(sha)?).cloned()
    }

    /// Compiles script `sha` (its shebang already checked: `no_writes` is its flag) and keeps
    /// it. The error is Lua's compile message.
    pub fn compile(
        &mut self,
        sha: &str,
        body: &[u8],
        generation: u64,
        no_writes: bool,
    ) -> Result<Compiled, String> {
        if let Some(c) = self.cached(sha.as_bytes(), generation) {
            return Ok(c);
        }
        let f = self
            .lua
            .load(strip_shebang(body))
            .set_name("@user_script")
            .set_environment(self.globals.clone())
            .into_function()
            .map_err(|e| match e {
                mlua::Error::SyntaxError { message, .. } => message,
                other => other.to_string(),
            })?;
        let key = sha_key(sha.as_bytes()).ok_or("not a SHA1")?;
        let compiled = Compiled {
            f: pin(&self.lua, f).map_err(|e| e.to_string())?,
            no_writes,
            shebang: body.starts_with(b"#!"),
            sha: Rc::from(sha),
        };
        self.funcs.insert(key, compiled.clone());
        Ok(compiled)
    }

    /// The buffers a run reuses (see [`Scratch`]), taken until [`Vm::put_scratch`].
    pub fn take_scratch(&mut self) -> Scratch {
        self.scratch.take().unwrap_or_else(Scratch::new)
    }

    pub fn put_scratch(&mut self, mut s: Scratch) {
        // A large reply's buffer is not kept.
        if s.out.buf.capacity() > 1 << 20 {
            s.out.buf = Vec::with_capacity(1024);
        }
        if s.data.capacity() > 1 << 20 {
            s.data = Vec::new();
        }
        self.scratch = Some(s);
    }

    /// After a run: collects a large interpreter, and disarms the memory limit (see
    /// [`LUA_MEMORY_LIMIT`]) once it is small again.
    /// Returns the interpreter's memory.
    pub fn relax_memory_limit(&self) -> usize {
        let mut used = self.lua.used_memory();
        if used > 64 << 20 {
            let _ = self.lua.gc_collect();
            used = self.lua.used_memory();
        }
        if ARMED.with(Cell::get) && used < LUA_MEMORY_LIMIT / 4 {
            let _ = self.lua.set_memory_limit(0);
            ARMED.with(|a| a.set(false));
        }
        used
    }

    /// Runs a script (`global`: KEYS and ARGV are globals) or a function's callback (they are
    /// its arguments, and it has no such globals, as in Redis), `f` a registry reference, under
    /// the error handler, with `args` at `keys` and `argv` as KEYS and ARGV. The run's
    /// (ok, value) stay on the stack for [`Vm::write_result`] or [`Vm::error_text`], then
    /// [`Vm::pop_result`]; Ok(ok). Err: the run could not start (memory), nothing is left.
    ///
    /// This works on Lua's stack directly: through the binding, each run paid for two new C
    /// closures (its protected call), and each value returned for a slot of its reference
    /// stack, more than the script's own two commands cost.
    pub fn run_raw(
        &self,
        f: c_int,
        args: &Args,
        keys: Range<usize>,
        argv: Range<usize>,
        global: bool,
    ) -> Result<bool, String> {
        let params = RunParams {
            refs: &self.refs,
            f,
            args,
            keys,
            argv,
            global,
        };
        let l = self.state;
        // SAFETY: `l` is the main state, idle between runs, its stack as mlua left it (with
        // room for the two values pushed: Lua keeps LUA_MINSTACK free); the trampoline gets
        // `params`, alive until lua_pcall returns, and leaves two results.
        unsafe {
            ffi::lua_checkstack(l, 4);
            ffi::lua_rawgeti(l, ffi::LUA_REGISTRYINDEX, self.refs.trampoline.into());
            ffi::lua_pushlightuserdata(l, &params as *const RunParams as *mut c_void);
            if ffi::lua_pcall(l, 1, 2, 0) != 0 {
                let msg = raw_text(l, -1);
                ffi::lua_settop(l, -2);
                return Err(msg);
            }
            Ok(ffi::lua_toboolean(l, -2) != 0)
        }
    }

    /// Writes the result [`Vm::run_raw`] left as Redis converts a script's value to a reply
    /// (booleans as the script's protocol says: with 2, true is 1 and false a null).
    pub fn write_result(&self, out: &mut Out, resp3: bool) {
        // Reading a table needs stack room; with the memory limit armed, growing the stack
        // could fail outside any protected call, so the limit waits.
        let armed = ARMED.with(Cell::get);
        if armed {
            let _ = self.lua.set_memory_limit(0);
        }
        // SAFETY: the value is on top of the main state's stack; writing only reads it.
        unsafe { write_value(self.state, &self.refs, out, resp3, 0) };
        if armed {
            let _ = self.lua.set_memory_limit(LUA_MEMORY_LIMIT);
        }
    }

    /// The error reply of the failed run [`Vm::run_raw`] left: `<err> script: <sha>, on
    /// <source>:<line>.`
    pub fn error_text(&self, sha: &str) -> String {
        let (l, r) = (self.state, &self.refs);
        // SAFETY: the error value is on top of the main state's stack, with room for the
        // fields pushed one at a time (strings from the registry: no allocation).
        unsafe {
            if ffi::lua_type(l, -1) != ffi::LUA_TTABLE {
                return format!("ERR {} script: {sha}", raw_text(l, -1));
            }
            let field = |key: c_int| {
                push_field(l, key);
                let v = (ffi::lua_type(l, -1) != ffi::LUA_TNIL).then(|| raw_text(l, -1));
                ffi::lua_settop(l, -2);
                v
            };
            let msg = field(r.err).unwrap_or_default();
            match (field(r.source), field(r.line)) {
                (Some(s), Some(n)) => format!("{msg} script: {sha}, on {s}:{n}."),
                _ => format!("{msg} script: {sha}"),
            }
        }
    }

    /// Takes [`Vm::run_raw`]'s results off the stack.
    pub fn pop_result(&self) {
        // SAFETY: the two results are on top of the main state's stack.
        unsafe { ffi::lua_settop(self.state, -3) };
    }

    /// Runs a library's code (after its shebang line) as FUNCTION LOAD does: the functions it
    /// registers, or the error Redis gives.
    pub fn load_library(&mut self, code: &[u8]) -> Result<Vec<Registered>, String> {
        let chunk = self
            .lua
            .load(strip_shebang(code))
            .set_name("@user_function")
            .set_environment(self.lib_env.clone())
            .into_function()
            .map_err(|e| match e {
                mlua::Error::SyntaxError { message, .. } => {
                    format!("Error compiling function: {message}")
                }
                other => format!("Error compiling function: {other}"),
            })?;
        let found = RefCell::new(Vec::new());
        let outcome = self.lua.scope(|scope| {
            let register = scope.create_function_mut(|_, args: MultiValue| {
                let r = register_args(args)?;
                let mut found = found.borrow_mut();
                if found
                    .iter()
                    .any(|f: &Registered| f.meta.name == r.meta.name)
                {
                    return Err(redis_error("ERR Function already exists in the library"));
                }
                found.push(r);
                Ok(())
            })?;
            self.loading.call::<()>(register)?;
            LOAD_DEADLINE.with(|d| d.set(Some(std::time::Instant::now() + LOAD_TIMEOUT)));
            let r = self.run(&chunk);
            LOAD_DEADLINE.with(|d| d.set(None));
            self.loading.call::<()>(Value::Nil)?;
            r
        });
        match outcome {
            Ok(Ok(_)) => Ok(found.into_inner()),
            Ok(Err(t)) => {
                let msg = t
                    .raw_get::<Value>("err")
                    .map(|v| lua_text(&v))
                    .unwrap_or_default();
                Err(format!("Error registering functions: {msg}"))
            }
            Err(e) => Err(format!("Error registering functions: {e}")),
        }
    }

    /// Function `name`'s callback and whether it may write, after loading the libraries again
    /// if they changed since this interpreter last did.
    pub fn callback(&mut self, functions: &Functions, name: &str) -> Option<(c_int, bool)> {
        let generation = functions.generation.load(Ordering::Relaxed);
        if generation != self.fn_generation {
            for (_, (f, _)) in self.fcalls.drain() {
                unpin(self.state, f);
            }
            for lib in functions.libraries() {
                // The code loaded once already; it registers the same functions again.
                if let Ok(found) = self.load_library(&lib.code) {
                    for f in found {
                        let writes = !f.meta.flags.contains(&"no-writes");
                        let key = f.meta.name.to_ascii_lowercase();
                        if let Ok(f) = pin(&self.lua, f.callback) {
                            self.fcalls.insert(key, (f, writes));
                        }
                    }
                }
            }
            self.fn_generation = generation;
        }
        self.fcalls.get(&name.to_ascii_lowercase()).cloned()
    }

    /// Runs `f` (a library's code) under the error handler: Ok(value) or Err(error table).
    fn run(&self, f: &Function) -> mlua::Result<Result<Value, Table>> {
        let (ok, v): (bool, Value) = self.runner.call(f)?;
        self.outcome(ok, v)
    }

    /// The runner's (ok, value) as Ok(value) or Err(error table).
    fn outcome(&self, ok: bool, v: Value) -> mlua::Result<Result<Value, Table>> {
        if ok {
            return Ok(Ok(v));
        }
        match v {
            Value::Table(t) => Ok(Err(t)),
            other => {
                let t = self.lua.create_table()?;
                t.raw_set("err", format!("ERR {}", lua_text(&other)))?;
                Ok(Err(t))
            }
        }
    }
}

/// redis.register_function(name, callback) or redis.register_function{function_name=,
/// callback=, flags=, description=}, checked as Redis checks them.
fn register_args(args: MultiValue) -> mlua::Result<Registered> {
    let args: Vec<Value> = args.into_iter().collect();
    let fail = |msg: &str| Err(redis_error(&format!("ERR {msg}")));
    // Lua's string coercion: numbers are names too.
    let text = |v: &Value| match v {
        Value::String(s) => Some(s.as_bytes().to_vec()),
        Value::Integer(n) => Some(n.to_string().into_bytes()),
        Value::Number(n) => Some(number_text(*n).into_bytes()),
        _ => None,
    };
    let (mut name, mut callback, mut flags, mut description) = (None, None, Vec::new(), None);
    match args.len() {
        1 => {
            let Value::Table(t) = &args[0] else {
                return fail("calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).");
            };
            for pair in t.pairs::<Value, Value>() {
                let (k, v) = pair?;
                let key =
                    match &k {
                        Value::String(s) => s.as_bytes().to_vec(),
                        _ => return fail(
                            "named argument key given to redis.register_function is not a string",
                        ),
                    };
                match key.as_slice() {
                    b"function_name" => match text(&v) {
                        Some(n) => name = Some(n),
                        None => return fail("function_name argument given to redis.register_function must be a string"),
                    },
                    b"description" => match text(&v) {
                        Some(d) => description = Some(d),
                        None => return fail("description argument given to redis.register_function must be a string"),
                    },
                    b"callback" => match v {
                        Value::Function(f) => callback = Some(f),
                        _ => return fail("callback argument given to redis.register_function must be a function"),
                    },
                    b"flags" => match v {
                        Value::Table(ft) => flags = function_flags(&ft)?,
                        _ => return fail("flags argument to redis.register_function must be a table representing function flags"),
                    },
                    _ => return fail("unknown argument given to redis.register_function"),
                }
            }
            if name.is_none() {
                return fail("redis.register_function must get a function name argument");
            }
            if callback.is_none() {
                return fail("redis.register_function must get a callback argument");
            }
        }
        2 => {
            match text(&args[0]) {
                Some(n) => name = Some(n),
                None => return fail("first argument to redis.register_function must be a string"),
            }
            match &args[1] {
                Value::Function(f) => callback = Some(f.clone()),
                _ => return fail("second argument to redis.register_function must be a function"),
            }
        }
        _ => return fail("wrong number of arguments to redis.register_function"),
    }
    let name = name.unwrap_or_default();
    if !valid_name(&name) {
        return fail("Library names can only contain letters, numbers, or underscores(_) and must be at least one character long");
    }
    Ok(Registered {
        meta: FunctionMeta {
            name: String::from_utf8_lossy(&name).into_owned(),
            description,
            flags,
        },
        callback: callback.expect("checked above"),
    })
}

fn function_flags(t: &Table) -> mlua::Result<Vec<&'static str>> {
    let mut flags = Vec::new();
    for v in t.sequence_values::<Value>() {
        let known = match v? {
            Value::String(s) => SCRIPT_FLAGS
                .iter()
                .find(|f| f.as_bytes() == s.as_bytes().as_ref()),
            _ => None,
        };
        match known {
            Some(f) if !flags.contains(f) => flags.push(*f),
            Some(_) => {}
            None => return Err(redis_error("ERR unknown flag given")),
        }
    }
    Ok(flags)
}

/// Library and function names: letters, digits and underscores, at least one.
pub fn valid_name(name: &[u8]) -> bool {
    !name.is_empty() && name.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'_')
}

/// The libraries Redis adds: `bit` (LuaBitOp's functions on 32-bit integers, here), and cjson,
/// cmsgpack and struct (see [`super::libs`]).
fn extra_libs(lua: &Lua) -> mlua::Result<Table> {
    let libs = lua.create_table()?;
    let bit = lua.create_table()?;
    // LuaBitOp's conversion: the number rounded to an integer, its low 32 bits, signed.
    fn tobit(v: f64) -> i32 {
        (v + 6755399441055744.0).to_bits() as u32 as i32
    }
    /// Argument `i` (from 0) as LuaBitOp reads it: a number, or a string that reads as one.
    fn arg(lua: &Lua, args: &[Value], i: usize) -> mlua::Result<i32> {
        let v = args.get(i).cloned().unwrap_or(Value::Nil);
        if let Some(n) = lua.coerce_number(v.clone())? {
            return Ok(tobit(n));
        }
        let got = if i < args.len() {
            v.type_name()
        } else {
            "no value"
        };
        Err(lib_error(
            lua,
            &format!("bad argument #{} (number expected, got {got})", i + 1),
        ))
    }
    type BitFn = Box<dyn Fn(&Lua, Variadic<Value>) -> mlua::Result<f64>>;
    fn fold(f: fn(i32, i32) -> i32) -> BitFn {
        Box::new(move |lua, args| {
            let mut acc = arg(lua, &args, 0)?;
            for i in 1..args.len() {
                acc = f(acc, arg(lua, &args, i)?);
            }
            Ok(acc as f64)
        })
    }
    fn shift(f: fn(i32, u32) -> i32) -> BitFn {
        Box::new(move |lua, args| {
            let (x, n) = (arg(lua, &args, 0)?, arg(lua, &args, 1)?);
            Ok(f(x, (n & 31) as u32) as f64)
        })
    }
    fn unary(f: fn(i32) -> i32) -> BitFn {
        Box::new(move |lua, args| Ok(f(arg(lua, &args, 0)?) as f64))
    }
    let fns: [(&str, BitFn); 11] = [
        ("tobit", unary(|x| x)),
        ("bnot", unary(|x| !x)),
        ("bswap", unary(|x| (x as u32).swap_bytes() as i32)),
        ("band", fold(|a, b| a & b)),
        ("bor", fold(|a, b| a | b)),
        ("bxor", fold(|a, b| a ^ b)),
        ("lshift", shift(|x, n| ((x as u32) << n) as i32)),
        ("rshift", shift(|x, n| ((x as u32) >> n) as i32)),
        ("arshift", shift(|x, n| x >> n)),
        ("rol", shift(|x, n| (x as u32).rotate_left(n) as i32)),
        ("ror", shift(|x, n| (x as u32).rotate_right(n) as i32)),
    ];
    for (name, f) in fns {
        bit.raw_set(name, lua.create_function(f)?)?;
    }
    bit.raw_set(
        "tohex",
        lua.create_function(|lua, args: Variadic<Value>| {
            let x = arg(lua, &args, 0)?;
            let n = match args.get(1) {
                None | Some(Value::Nil) => 8,
                Some(_) => arg(lua, &args, 1)?,
            };
            let (upper, n) = (n < 0, n.unsigned_abs().min(8) as usize);
            let v = x as u32 as u64;
            let text = if upper {
                format!("{v:08X}")
            } else {
                format!("{v:08x}")
            };
            Ok(text[8 - n..].to_string())
        })?,
    )?;
    libs.raw_set("bit", bit)?;
    libs.raw_set("cjson", super::libs::cjson(lua)?)?;
    libs.raw_set("cmsgpack", super::libs::cmsgpack(lua)?)?;
    libs.raw_set("struct", super::libs::structlib(lua)?)?;
    Ok(libs)
}

/// A script's shebang line (`#!lua flags=...`) is not Lua: it is left out (as a blank line,
/// so line numbers stay).
fn strip_shebang(body: &[u8]) -> Vec<u8> {
    if body.starts_with(b"#!") {
        let end = memchr::memchr(b'\n', body).unwrap_or(body.len());
        return body[end..].to_vec();
    }
    body.to_vec()
}

/// The shebang's flags: Ok(no-writes) or the error Redis gives.
pub fn shebang_flags(body: &[u8]) -> Result<bool, String> {
    if !body.starts_with(b"#!") {
        return Ok(false);
    }
    let end = memchr::memchr(b'\n', body).unwrap_or(body.len());
    let line = String::from_utf8_lossy(&body[2..end]).into_owned();
    let mut parts = line.split(' ').filter(|p| !p.is_empty());
    let engine = parts.next().unwrap_or("");
    if engine != "lua" {
        return Err(format!("Unexpected engine in script shebang: #!{line}"));
    }
    let mut no_writes = false;
    for p in parts {
        let Some(flags) = p.strip_prefix("flags=") else {
            return Err(format!("Unknown lua shebang option: {p}"));
        };
        for f in flags.split(',').filter(|f| !f.is_empty()) {
            match f {
                "no-writes" => no_writes = true,
                other if SCRIPT_FLAGS.contains(&other) => {}
                other => return Err(format!("Unexpected flag in script shebang: {other}")),
            }
        }
    }
    Ok(no_writes)
}

/// "7.0.15" as Redis's number: 0x00MMmmpp.
fn version_num(v: &str) -> i64 {
    let mut n = 0;
    for part in v.split('.').take(3) {
        n = n * 256 + part.parse::<i64>().unwrap_or(0);
    }
    n
}

/// A Lua value as text (redis.log, error messages).
pub fn lua_text(v: &Value) -> String {
    match v {
        Value::String(s) => String::from_utf8_lossy(&s.as_bytes()).into_owned(),
        Value::Integer(n) => n.to_string(),
        Value::Number(n) => number_text(*n),
        Value::Boolean(b) => b.to_string(),
        Value::Nil => "nil".into(),
        _ => String::new(),
    }
}

/// A Lua number as Lua 5.1 prints it (`%.14g`).
pub fn number_text(n: f64) -> String {
    String::from_utf8_lossy(&crate::resp::format_g(c"%.14g", n)).into_owned()
}

/// The script cache's key for `sha`: its 40 characters in lower case (EVALSHA's name is
/// matched ignoring case, as Redis matches it); None if it is not 40 long.
fn sha_key(sha: &[u8]) -> Option<[u8; 40]> {
    let mut key = [0u8; 40];
    if sha.len() != key.len() {
        return None;
    }
    for (k, c) in key.iter_mut().zip(sha) {
        *k = c.to_ascii_lowercase();
    }
    Some(key)
}

/// Keeps `v` in the registry: its reference, to push it without allocating.
fn pin(lua: &Lua, v: impl mlua::IntoLua) -> mlua::Result<c_int> {
    let mut r = 0;
    // SAFETY: exec_raw pushes `v` as the closure's only argument; luaL_ref pops it into the
    // registry.
    unsafe { lua.exec_raw::<()>(v, |l| r = ffi::luaL_ref(l, ffi::LUA_REGISTRYINDEX))? };
    Ok(r)
}

/// Lets go of a reference [`pin`] made.
fn unpin(l: *mut ffi::lua_State, r: c_int) {
    // SAFETY: `l` is the main state, idle; luaL_unref only stores into the registry's slot.
    unsafe { ffi::luaL_unref(l, ffi::LUA_REGISTRYINDEX, r) };
}

/// What [`trampoline`] runs.
struct RunParams<'a, 'b> {
    refs: &'a Refs,
    f: c_int,
    args: &'a Args<'b>,
    keys: Range<usize>,
    argv: Range<usize>,
    global: bool,
}

/// Builds KEYS and ARGV and calls the function under the error handler, inside
/// [`Vm::run_raw`]'s protected call, so a memory error while building them is caught there.
/// Its frame holds only references (nothing to drop), which Lua's error jump may cross.
/// Returns (ok, the function's first result or the handler's error table), as `xpcall` would,
/// without the Lua frame and closure that calling `xpcall` from Lua costs.
unsafe extern "C-unwind" fn trampoline(l: *mut ffi::lua_State) -> c_int {
    // SAFETY: run_raw passes a pointer to its `RunParams`, alive for the call.
    let p = &*(ffi::lua_touserdata(l, 1) as *const RunParams);
    let reg = ffi::LUA_REGISTRYINDEX;
    ffi::lua_settop(l, 0);
    ffi::lua_checkstack(l, 8);
    ffi::lua_rawgeti(l, reg, p.refs.handler.into());
    ffi::lua_rawgeti(l, reg, p.f.into());
    for range in [p.keys.clone(), p.argv.clone()] {
        ffi::lua_createtable(l, range.len().min(1 << 16) as c_int, 0);
        for (i, at) in range.enumerate() {
            let a = p.args.get(at);
            ffi::lua_pushlstring(l, a.as_ptr() as *const c_char, a.len());
            ffi::lua_rawseti(l, -2, i as ffi::lua_Integer + 1);
        }
    }
    // stack: handler f KEYS ARGV globals
    ffi::lua_rawgeti(l, reg, p.refs.globals.into());
    // The globals are writable only for these two stores. Both names have a slot in the table
    // after the first run, so nothing allocates (and nothing can raise) in between.
    lua_enablereadonlytable(l, 5, 0);
    for (name, at) in [(p.refs.keys, 3), (p.refs.argv, 4)] {
        ffi::lua_rawgeti(l, reg, name.into());
        if p.global {
            ffi::lua_pushvalue(l, at);
        } else {
            ffi::lua_pushnil(l);
        }
        ffi::lua_rawset(l, 5);
    }
    lua_enablereadonlytable(l, 5, 1);
    // A script reads KEYS and ARGV as globals; a function's callback gets them as arguments.
    let nargs = if p.global {
        ffi::lua_settop(l, 2);
        0
    } else {
        ffi::lua_settop(l, 4);
        2
    };
    let ok = ffi::lua_pcall(l, nargs, 1, 1) == 0;
    ffi::lua_pushboolean(l, c_int::from(ok));
    ffi::lua_insert(l, -2);
    2
}

// Redis's read-only tables, which ringdis's copy of Lua 5.1 has as Redis's does
// (tools/vendor/lua-src/RINGDIS-PATCH.md): every write to such a table raises "Attempt to
// modify a readonly table".
extern "C-unwind" {
    fn lua_enablereadonlytable(l: *mut ffi::lua_State, idx: c_int, enabled: c_int);
    fn lua_isreadonlytable(l: *mut ffi::lua_State, idx: c_int) -> c_int;
}

/// `readonly(t)`: whether table `t` is read-only; `readonly(t, on)`: makes it so or not. Only
/// [`SETUP`] holds it.
unsafe extern "C-unwind" fn readonly(l: *mut ffi::lua_State) -> c_int {
    if ffi::lua_type(l, 1) != ffi::LUA_TTABLE {
        return 0;
    }
    if ffi::lua_gettop(l) >= 2 {
        lua_enablereadonlytable(l, 1, ffi::lua_toboolean(l, 2));
        return 0;
    }
    ffi::lua_pushboolean(l, lua_isreadonlytable(l, 1));
    1
}

/// string.rep, the one library function whose size a script chooses outright (see
/// [`LUA_MEMORY_LIMIT`]): a result over half the limit fails before it is built. Its
/// arguments are checked here, so that their errors name the function as the script called it
/// (luaL_argerror); then Lua's own rep, its upvalue, runs.
unsafe extern "C-unwind" fn guarded_rep(l: *mut ffi::lua_State) -> c_int {
    let mut len = 0;
    ffi::luaL_checklstring(l, 1, &mut len);
    let n = ffi::luaL_checkinteger(l, 2);
    if n > 0 && len.saturating_mul(n as usize) > LUA_MEMORY_LIMIT / 2 {
        ffi::lua_pushstring(l, c"not enough memory".as_ptr());
        ffi::lua_error(l);
    }
    ffi::lua_settop(l, 2);
    ffi::lua_pushvalue(l, ffi::lua_upvalueindex(1));
    ffi::lua_insert(l, 1);
    ffi::lua_call(l, 2, 1);
    1
}

/// Pushes field `key` (a registry reference to its name) of the table on top, raw.
unsafe fn push_field(l: *mut ffi::lua_State, key: c_int) {
    ffi::lua_rawgeti(l, ffi::LUA_REGISTRYINDEX, key.into());
    ffi::lua_rawget(l, -2);
}

/// The bytes of the string at `idx` (which must be one: a number would be converted in place).
unsafe fn str_at<'l>(l: *mut ffi::lua_State, idx: c_int) -> &'l [u8] {
    let mut len = 0;
    let p = ffi::lua_tolstring(l, idx, &mut len);
    std::slice::from_raw_parts(p as *const u8, len)
}

/// The value at `idx` as text, as [`lua_text`] gives it.
unsafe fn raw_text(l: *mut ffi::lua_State, idx: c_int) -> String {
    match ffi::lua_type(l, idx) {
        ffi::LUA_TSTRING => String::from_utf8_lossy(str_at(l, idx)).into_owned(),
        ffi::LUA_TNUMBER => {
            let n = ffi::lua_tonumber(l, idx);
            if n.fract() == 0.0 && n.abs() < 9.2e18 {
                (n as i64).to_string()
            } else {
                number_text(n)
            }
        }
        ffi::LUA_TBOOLEAN => (ffi::lua_toboolean(l, idx) != 0).to_string(),
        ffi::LUA_TNIL => "nil".into(),
        _ => String::new(),
    }
}

/// `n` as Redis casts a Lua number to `long long` on x86-64: cut towards zero, and the
/// minimum for what is out of range or NaN (the processor's "integer indefinite"), where
/// Rust's cast would saturate.
fn c_long_long(n: f64) -> i64 {
    // 2^63 is exact in a double.
    let limit = 9_223_372_036_854_775_808f64;
    if (-limit..limit).contains(&n) {
        n as i64
    } else {
        i64::MIN
    }
}

/// How deep a reply's tables are converted, past the depth Lua's stack allows (about 8000).
const MAX_REPLY_DEPTH: usize = 10_000;

/// Writes the value on top of the stack as a reply (see [`Vm::write_result`]).
unsafe fn write_value(l: *mut ffi::lua_State, r: &Refs, out: &mut Out, resp3: bool, depth: usize) {
    // As Redis: each value first makes sure of room on Lua's stack, so an endless nesting ends
    // with this error where that stack runs out (the depth cap only guards the executor
    // thread's own stack, which holds the nesting).
    if depth >= MAX_REPLY_DEPTH || ffi::lua_checkstack(l, 4) == 0 {
        return out.error(&crate::error::CmdError::LuaStackLimit);
    }
    match ffi::lua_type(l, -1) {
        ffi::LUA_TBOOLEAN => match ffi::lua_toboolean(l, -1) != 0 {
            b if resp3 => out.boolean(b),
            true => out.int(1),
            false => out.null(),
        },
        // Floats are cut to integers, as Redis does.
        ffi::LUA_TNUMBER => out.int(c_long_long(ffi::lua_tonumber(l, -1))),
        ffi::LUA_TSTRING => out.bulk(str_at(l, -1)),
        ffi::LUA_TTABLE => write_table(l, r, out, resp3, depth),
        _ => out.null(),
    }
}

/// The table on top: `{err=}`, `{ok=}`, RESP3's `{double=}`, `{big_number=}`, `{verbatim_string=}`, `{map=}` and
/// `{set=}`, or an array up to its first nil.
unsafe fn write_table(l: *mut ffi::lua_State, r: &Refs, out: &mut Out, resp3: bool, depth: usize) {
    let pop = |n: c_int| ffi::lua_settop(l, -1 - n);
    // Pushes field `key` and keeps it if it is of type `t` (true), else pops it.
    let field = |key: c_int, t: c_int| {
        push_field(l, key);
        let kept = ffi::lua_type(l, -1) == t;
        if !kept {
            pop(1);
        }
        kept
    };
    if field(r.err, ffi::LUA_TSTRING) {
        out.error_bytes(str_at(l, -1));
        return pop(1);
    }
    if field(r.ok, ffi::LUA_TSTRING) {
        out.simple_bytes(str_at(l, -1));
        return pop(1);
    }
    if field(r.double, ffi::LUA_TNUMBER) {
        out.double(ffi::lua_tonumber(l, -1));
        return pop(1);
    }
    if field(r.big_number, ffi::LUA_TSTRING) {
        out.big_number(str_at(l, -1));
        return pop(1);
    }
    // `{verbatim_string={format=, string=}}`: both strings, or the table is looked at further.
    if field(r.verbatim, ffi::LUA_TTABLE) {
        push_field(l, r.format);
        if ffi::lua_type(l, -1) == ffi::LUA_TSTRING {
            ffi::lua_rawgeti(l, ffi::LUA_REGISTRYINDEX, r.string.into());
            ffi::lua_rawget(l, -3);
            if ffi::lua_type(l, -1) == ffi::LUA_TSTRING {
                out.verbatim_as(str_at(l, -2), str_at(l, -1));
                return pop(3);
            }
            pop(1);
        }
        pop(2);
    }
    for (key, map) in [(r.map, true), (r.set, false)] {
        if field(key, ffi::LUA_TTABLE) {
            let mut n = 0;
            ffi::lua_pushnil(l);
            while ffi::lua_next(l, -2) != 0 {
                n += 1;
                pop(1);
            }
            if map {
                out.map(n);
            } else {
                out.set(n);
            }
            ffi::lua_pushnil(l);
            while ffi::lua_next(l, -2) != 0 {
                // stack: t k v. A set's value is dropped first, as Redis drops it (its stack
                // use, and so where a nesting ends, is then Redis's). The key is written from
                // a copy: lua_next needs it unchanged.
                if !map {
                    pop(1);
                }
                ffi::lua_pushvalue(l, if map { -2 } else { -1 });
                write_value(l, r, out, resp3, depth + 1);
                pop(1);
                if map {
                    write_value(l, r, out, resp3, depth + 1);
                    pop(1);
                }
            }
            return pop(1);
        }
    }
    let mut n = 0;
    loop {
        ffi::lua_rawgeti(l, -1, n + 1);
        let end = ffi::lua_type(l, -1) == ffi::LUA_TNIL;
        pop(1);
        if end {
            break;
        }
        n += 1;
    }
    out.array(n as usize);
    for i in 1..=n {
        ffi::lua_rawgeti(l, -1, i);
        write_value(l, r, out, resp3, depth + 1);
        pop(1);
    }
}
