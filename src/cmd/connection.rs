//! Connection commands: PING, ECHO, QUIT, SELECT, AUTH and HELLO.

use super::client::valid_name;
use super::{int_arg, Action, Ctx, OK, REDIS_VERSION};
use crate::error::{CmdError, CmdResult};
use crate::resp::Args;
use std::sync::atomic::Ordering;

pub fn ping(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    if ctx.client.subscribed() && !ctx.out.resp3 {
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

/// Checks AUTH's or HELLO's credentials; the connection runs as that user when they pass. A
/// refusal is logged (ACL LOG) under the name tried.
fn authenticate(ctx: &mut Ctx, user: Option<&[u8]>, pass: &[u8], via: &str) -> CmdResult<()> {
    use crate::shared::auth::Refused;
    match ctx.shared.auth.check(user, pass) {
        Ok(u) => {
            ctx.client.authenticated = true;
            super::acl::become_user(ctx, u);
            Ok(())
        }
        Err(Refused::NoPasswordSet) => Err(CmdError::AuthWithoutPassword),
        Err(Refused::WrongPass) => {
            let name = user.unwrap_or(b"default");
            let reason = crate::shared::acl::Reason::Auth;
            super::acl::log(ctx, reason, "toplevel", via.as_bytes(), name);
            Err(CmdError::WrongPass)
        }
    }
}

/// AUTH [username] password: a user's password (the default user's with one argument).
pub fn auth(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    match args.len() {
        2 => authenticate(ctx, None, args.get(1), "AUTH")?,
        3 => authenticate(ctx, Some(args.get(1)), args.get(2), "AUTH")?,
        _ => return Err(CmdError::Syntax),
    }
    ctx.out.ok();
    OK
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
    let mut credentials = None;
    while i < args.len() {
        if args.is(i, "auth") && i + 2 < args.len() {
            credentials = Some((args.get(i + 1), args.get(i + 2)));
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
    // As Redis: the options are all read first, then AUTH is checked before anything changes.
    match credentials {
        Some((user, pass)) => authenticate(ctx, Some(user), pass, "HELLO")?,
        None if !ctx.client.authenticated && ctx.shared.auth.required() => {
            return Err(CmdError::HelloNoAuth)
        }
        None => {}
    }
    if let Some(p) = proto {
        ctx.out.resp3 = p == 3;
        ctx.client.handle.resp.store(p as u8, Ordering::Relaxed);
        if p == 3 {
            // A RESP3 client can get pushes on its own: CLIENT TRACKING ... REDIRECT to it.
            super::pubsub::subscriber(ctx);
        }
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

/// RESET: the connection back to a new one's state: no transaction or WATCH, no subscriptions,
/// RESP2, database 0, no name, not authenticated when a password is set.
pub fn reset(ctx: &mut Ctx, _args: Args) -> CmdResult<Action> {
    if ctx.client.multi.take().is_some() {
        ctx.client.handle.multi.store(-1, Ordering::Relaxed);
    }
    super::tx::unwatch_all(ctx);
    if ctx.client.subscribed() {
        super::pubsub::unsubscribe_all(ctx);
    }
    super::monitor::stop(ctx);
    super::client::tracking_off(ctx);
    ctx.out.resp3 = false;
    ctx.client.handle.resp.store(2, Ordering::Relaxed);
    ctx.client.db = 0;
    ctx.client.handle.db.store(0, Ordering::Relaxed);
    ctx.client.handle.name.lock().clear();
    ctx.client.handle.no_evict.store(false, Ordering::Relaxed);
    // Back to the default user: authenticated only if it has no password.
    ctx.client.authenticated = !ctx.shared.auth.required();
    let default = ctx.shared.auth.default_user();
    super::acl::become_user(ctx, default);
    ctx.out.simple("RESET");
    OK
}
