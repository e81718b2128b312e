//! FUNCTION and FCALL: libraries of Lua functions, loaded once and callable from every
//! connection, kept in the AOF (FUNCTION LOAD/DELETE/FLUSH/RESTORE log themselves as they
//! came, since they change no shard for `cmd::handle` to see, under the locks of every database
//! that `locks::declare` gives them, so an AOF rewrite cannot start in between; a rewrite writes
//! one FUNCTION LOAD per library).

use super::lua::{self, valid_name};
use super::{run_script, Target};
use crate::cmd::{log_request, Action, Ctx, OK};
use crate::error::{CmdError, CmdResult};
use crate::keyspace::rdb;
use crate::resp::Args;
use crate::shared::scripts::{Clash, Library};

/// FCALL function numkeys [key ...] [arg ...]
pub fn fcall(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    run_script(ctx, &args, Target::Function(args.get(1)), false)
}

pub fn fcall_ro(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    run_script(ctx, &args, Target::Function(args.get(1)), true)
}

fn err(msg: impl Into<String>) -> CmdError {
    CmdError::Other(msg.into())
}

/// The library name a library's first line (`#!lua name=<name>`) gives, checked as Redis
/// checks it.
fn library_name(code: &[u8]) -> CmdResult<String> {
    if !code.starts_with(b"#!") {
        return Err(err("Missing library metadata"));
    }
    let Some(end) = memchr::memchr(b'\n', code) else {
        return Err(err("Invalid library metadata"));
    };
    let line = String::from_utf8_lossy(&code[2..end]).into_owned();
    let mut parts = line.split_ascii_whitespace();
    let Some(engine) = parts.next() else {
        return Err(err("Invalid library metadata"));
    };
    let mut name = None;
    for part in parts {
        match part.get(..5) {
            Some(p) if p.eq_ignore_ascii_case("name=") => {
                if name.is_some() {
                    return Err(err(
                        "Invalid metadata value, name argument was given multiple times",
                    ));
                }
                name = Some(part[5..].to_string());
            }
            _ => return Err(err(format!("Invalid metadata value given: {part}"))),
        }
    }
    let Some(name) = name else {
        return Err(err("Library name was not given"));
    };
    if !engine.eq_ignore_ascii_case("lua") {
        return Err(err(format!("Engine '{engine}' not found")));
    }
    if !valid_name(name.as_bytes()) {
        return Err(err("Library names can only contain letters, numbers, or underscores(_) and must be at least one character long"));
    }
    Ok(name)
}

/// Runs a library's code in this executor's interpreter: the library, or Redis's error.
fn compile(ctx: &Ctx, name: String, code: &[u8]) -> CmdResult<Library> {
    let found = lua::with_vm(&ctx.shared.busy, |vm| vm.load_library(code))
        .map_err(|e| err(e.to_string()))?
        .map_err(err)?;
    if found.is_empty() {
        return Err(err("No functions registered"));
    }
    Ok(Library {
        name,
        code: code.into(),
        functions: found.into_iter().map(|f| f.meta).collect(),
    })
}

/// FUNCTION LOAD [REPLACE] code
pub fn function_load(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let mut replace = false;
    for i in 2..args.len() - 1 {
        if args.is(i, "replace") {
            replace = true;
        } else {
            let opt = String::from_utf8_lossy(args.get(i));
            return Err(err(format!("Unknown option given: {opt}")));
        }
    }
    let code = args.get(args.len() - 1);
    let name = library_name(code)?;
    if !replace && ctx.shared.functions.exists(&name) {
        return Err(err(format!("Library '{name}' already exists")));
    }
    let lib = compile(ctx, name.clone(), code)?;
    ctx.shared
        .functions
        .add(vec![lib], replace, false)
        .map_err(|c| match c {
            Clash::Library(l) => err(format!("Library '{l}' already exists")),
            Clash::Function(f) => err(format!("Function {f} already exists")),
        })?;
    log_request(ctx, &args);
    ctx.out.bulk(name.as_bytes());
    OK
}

/// FUNCTION DELETE library
pub fn function_delete(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let name = String::from_utf8_lossy(args.get(2));
    if !ctx.shared.functions.delete(&name) {
        return Err(err("Library not found"));
    }
    log_request(ctx, &args);
    ctx.out.ok();
    OK
}

/// FUNCTION FLUSH [ASYNC|SYNC]
pub fn function_flush(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    if args.len() > 3 {
        return Err(CmdError::subcommand_syntax(args.get(0), args.get(1)));
    }
    crate::cmd::admin::flush_mode(&args, 2, || {
        err("FUNCTION FLUSH only supports SYNC|ASYNC option")
    })?;
    ctx.shared.functions.flush();
    log_request(ctx, &args);
    ctx.out.ok();
    OK
}

/// FUNCTION LIST [LIBRARYNAME pattern] [WITHCODE]
pub fn function_list(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let (mut pattern, mut code) = (None, false);
    let mut i = 2;
    while i < args.len() {
        if args.is(i, "withcode") && !code {
            code = true;
        } else if args.is(i, "libraryname") && pattern.is_none() {
            if i + 1 >= args.len() {
                return Err(err("library name argument was not given"));
            }
            pattern = Some(args.get(i + 1));
            i += 1;
        } else {
            let a = String::from_utf8_lossy(args.get(i));
            return Err(err(format!("Unknown argument {a}")));
        }
        i += 1;
    }
    let libs: Vec<_> = ctx
        .shared
        .functions
        .libraries()
        .into_iter()
        .filter(|l| {
            pattern.is_none_or(|p| crate::keyspace::glob::matches(p, l.name.as_bytes(), true))
        })
        .collect();
    let out = &mut *ctx.out;
    out.array(libs.len());
    for lib in &libs {
        out.map(if code { 4 } else { 3 });
        out.bulk(b"library_name");
        out.bulk(lib.name.as_bytes());
        out.bulk(b"engine");
        out.bulk(b"LUA");
        out.bulk(b"functions");
        out.array(lib.functions.len());
        for f in &lib.functions {
            out.map(3);
            out.bulk(b"name");
            out.bulk(f.name.as_bytes());
            out.bulk(b"description");
            match &f.description {
                Some(d) => out.bulk(d),
                None => out.null(),
            }
            out.bulk(b"flags");
            out.set(f.flags.len());
            for flag in &f.flags {
                out.simple(flag);
            }
        }
        if code {
            out.bulk(b"library_code");
            out.bulk(&lib.code);
        }
    }
    OK
}

/// FUNCTION STATS: the function running now (another executor's, past busy-reply-threshold)
/// and the libraries' counts.
pub fn function_stats(ctx: &mut Ctx, _args: Args) -> CmdResult<Action> {
    let busy = &ctx.shared.busy;
    let running = busy.function_info();
    if running.is_none() && busy.running() && busy.timed_out() {
        return Err(CmdError::BusyEval);
    }
    let (libraries, functions) = ctx.shared.functions.counts();
    let out = &mut *ctx.out;
    out.map(2);
    out.bulk(b"running_script");
    match running {
        None => out.null(),
        Some((name, command, ms)) => {
            out.map(3);
            out.bulk(b"name");
            out.bulk(name.as_bytes());
            out.bulk(b"command");
            out.array(command.len());
            for a in &command {
                out.bulk(a);
            }
            out.bulk(b"duration_ms");
            out.int(ms as i64);
        }
    }
    out.bulk(b"engines");
    out.map(1);
    out.bulk(b"LUA");
    out.map(2);
    out.bulk(b"libraries_count");
    out.int(libraries as i64);
    out.bulk(b"functions_count");
    out.int(functions as i64);
    OK
}

/// FUNCTION KILL: stops a function that has not written (see `super::script_kill`).
pub fn function_kill(ctx: &mut Ctx, _args: Args) -> CmdResult<Action> {
    super::kill(ctx, true)
}

/// FUNCTION DUMP: the libraries as Redis serializes them (an RDB function record each, the
/// RDB version and a CRC-64).
pub fn function_dump(ctx: &mut Ctx, _args: Args) -> CmdResult<Action> {
    let mut payload = Vec::new();
    for code in ctx.shared.functions.codes() {
        payload.push(rdb::OPCODE_FUNCTION2);
        rdb::write_string(&mut payload, &code);
    }
    rdb::write_footer(&mut payload);
    ctx.out.bulk(&payload);
    OK
}

/// FUNCTION RESTORE payload [FLUSH|APPEND|REPLACE]
pub fn function_restore(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let (mut flush, mut replace) = (false, false);
    if args.len() > 4 {
        return Err(CmdError::Syntax);
    }
    if args.len() == 4 {
        if args.is(3, "flush") {
            flush = true;
        } else if args.is(3, "replace") {
            replace = true;
        } else if !args.is(3, "append") {
            return Err(err(
                "Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.",
            ));
        }
    }
    let Some(body) = rdb::check_footer(args.get(2)) else {
        return Err(err("DUMP payload version or checksum are wrong"));
    };
    let mut libs = Vec::new();
    let mut at = 0;
    while at < body.len() {
        if body[at] != rdb::OPCODE_FUNCTION2 {
            return Err(err("given type is not a function"));
        }
        at += 1;
        let Some(code) = rdb::read_string(body, &mut at) else {
            return Err(err("payload is not valid"));
        };
        let name = library_name(&code)?;
        libs.push(compile(ctx, name, &code)?);
    }
    ctx.shared
        .functions
        .add(libs, replace, flush)
        .map_err(|c| match c {
            Clash::Library(l) => err(format!("Library {l} already exists")),
            Clash::Function(f) => err(format!("Function {f} already exists")),
        })?;
    log_request(ctx, &args);
    ctx.out.ok();
    OK
}

pub fn function_help(ctx: &mut Ctx, _args: Args) -> CmdResult<Action> {
    crate::cmd::help(
        ctx.out,
        "FUNCTION",
        &[
            "LOAD [REPLACE] <FUNCTION CODE>",
            "    Create a new library with the given library name and code.",
            "DELETE <LIBRARY NAME>",
            "    Delete the given library.",
            "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
            "    Return general information on all the libraries:",
            "    * Library name",
            "    * The engine used to run the Library",
            "    * Library description",
            "    * Functions list",
            "    * Library code (if WITHCODE is given)",
            "    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
            "STATS",
            "    Return information about the current function running:",
            "    * Function name",
            "    * Command used to run the function",
            "    * Duration in MS that the function is running",
            "    If no function is running, return nil",
            "    In addition, returns a list of available engines.",
            "KILL",
            "    Kill the current running function.",
            "FLUSH [ASYNC|SYNC]",
            "    Delete all the libraries.",
            "    When called without the optional mode argument, the behavior is determined by the",
            "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
            "    * ASYNC: Asynchronously flush the libraries.",
            "    * SYNC: Synchronously flush the libraries.",
            "DUMP",
            "    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
            "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
            "    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
            "    control how to handle existing libraries (default APPEND):",
            "    * FLUSH: delete all existing libraries.",
            "    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
            "    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
            "      libraries with the new libraries (notice that even on this option there is a chance of failure",
            "      in case of functions name collision with another library).",
        ],
    );
    OK
}
