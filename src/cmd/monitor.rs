//! MONITOR: every command any client runs, after it ran, as one status line per command to
//! each monitoring connection, in Redis's format:
//! `+<unix secs>.<usecs> [<db> <addr>] "arg" "arg"...`.

use super::{Action, Ctx, OK};
use crate::error::CmdResult;
use crate::resp::Args;
use crate::shared::clients::{ClientClass, ClientHandle};
use crate::shared::pubsub::Delivery;
use std::fmt::Write;
use std::sync::atomic::Ordering;

/// MONITOR: this connection receives the feed from now on (a second MONITOR is not answered,
/// as in Redis).
pub fn monitor(ctx: &mut Ctx, _args: Args) -> CmdResult<Action> {
    if ctx.client.monitor {
        return OK;
    }
    let sub = super::pubsub::subscriber(ctx);
    ctx.client.monitor = true;
    ctx.client.handle.monitor.store(true, Ordering::Relaxed);
    ctx.shared.pubsub.add_monitor(&sub);
    ctx.shared
        .set_special(crate::shared::special::MONITOR, true);
    ctx.out.ok();
    OK
}

/// Stops the feed (RESET, or the connection closed).
pub fn stop(ctx: &mut Ctx) {
    if ctx.client.monitor {
        ctx.client.monitor = false;
        ctx.client.handle.monitor.store(false, Ordering::Relaxed);
        let left = ctx.shared.pubsub.remove_monitor(ctx.client.handle.id);
        ctx.shared
            .set_special(crate::shared::special::MONITOR, left > 0);
    }
}

/// One argument as Redis's sdscatrepr quotes it.
fn quote(out: &mut String, a: &[u8]) {
    out.push('"');
    for &b in a {
        match b {
            b'\\' => out.push_str("\\\\"),
            b'"' => out.push_str("\\\""),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            7 => out.push_str("\\a"),
            8 => out.push_str("\\b"),
            0x20..=0x7e => out.push(b as char),
            _ => {
                let _ = write!(out, "\\x{b:02x}");
            }
        }
    }
    out.push('"');
}

/// Feeds the command just run to the monitors. AUTH's arguments, and HELLO's after AUTH,
/// are shown as `(redacted)`, as in Redis.
pub fn feed(ctx: &Ctx, args: &Args) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    // A script's commands show as the "lua" client's, as in Redis.
    let addr: &str = if super::scripting::running() {
        "lua"
    } else {
        &ctx.client.handle.addr
    };
    let mut line = format!(
        "{}.{:06} [{} {}]",
        now.as_secs(),
        now.subsec_micros(),
        ctx.client.db,
        addr
    );
    let secret = super::redacted(args);
    for (i, a) in args.iter().enumerate() {
        line.push(' ');
        if secret(i) {
            line.push_str("\"(redacted)\"");
        } else {
            quote(&mut line, a);
        }
    }
    let sh = ctx.shared;
    let exec = ctx.exec;
    let cut = |h: &ClientHandle| crate::shared::limits::drop_over_output_limit(sh, Some(exec), h);
    let d = Delivery {
        limit: sh.output_limits.get(ClientClass::Normal),
        now_ms: ctx.now,
        cut: &cut,
    };
    sh.pubsub.feed_monitors(&line, &d);
}
