//! CLIENT and its subcommands: what a connection can learn of itself and of the others, and
//! CLIENT KILL.

use super::{help, int_arg, Action, Ctx, OK};
use crate::error::{CmdError, CmdResult};
use crate::resp::Args;
use crate::shared::clients::{ClientClass, ClientHandle};
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// Client names may not hold spaces or control characters.
pub fn valid_name(n: &[u8]) -> bool {
    n.iter().all(|&c| (b'!'..=b'~').contains(&c))
}

pub fn client_id(ctx: &mut Ctx, _args: Args) -> CmdResult<Action> {
    ctx.out.int(ctx.client.handle.id as i64);
    OK
}

pub fn client_getname(ctx: &mut Ctx, _args: Args) -> CmdResult<Action> {
    let n = ctx.client.handle.name.lock().clone();
    ctx.out.bulk_opt(if n.is_empty() { None } else { Some(&n) });
    OK
}

pub fn client_setname(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let n = args.get(2);
    if !valid_name(n) {
        return Err(CmdError::BadClientName);
    }
    *ctx.client.handle.name.lock() = n.to_vec();
    ctx.out.ok();
    OK
}

/// CLIENT SETINFO LIB-NAME|LIB-VER value (Redis 7.2).
pub fn client_setinfo(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
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
    OK
}

pub fn client_info(ctx: &mut Ctx, _args: Args) -> CmdResult<Action> {
    let line = ctx.client.handle.info_line(&last_cmd(&ctx.client.handle));
    ctx.out.verbatim(format!("{line}\n").as_bytes());
    OK
}

pub fn client_help(ctx: &mut Ctx, _args: Args) -> CmdResult<Action> {
    help(
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
            "NO-EVICT (ON|OFF)",
            "    Protect the current connection from client eviction, or stop protecting it.",
            "GETREDIR",
            "    The client ID tracking notifications go to (-1: tracking is off).",
            "TRACKINGINFO",
            "    Client-side caching state of the current connection (always off for now).",
            "LIST [options ...]",
            "    Return information about client connections. Options:",
            "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
            "      Return clients of specified type.",
            "    * ID <client-id> [<client-id> ...]",
            "      Return clients of specified IDs only.",
            "KILL <ip:port>",
            "    Kill connection made from <ip:port>.",
            "KILL <option> <value> [<option> <value> [...]]",
            "    Kill connections. Options are:",
            "    * ADDR (<ip:port>|<unixsocket>:0)",
            "      Kill connections made from the specified address",
            "    * LADDR (<ip:port>|<unixsocket>:0)",
            "      Kill connections made to specified local address",
            "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
            "      Kill connections by type.",
            "    * USER <username>",
            "      Kill connections authenticated by <username>.",
            "    * SKIPME (YES|NO)",
            "      Skip killing current connection (default: yes).",
            "    * ID <client-id>",
            "      Kill connections by client id.",
            "    * MAXAGE <maxage>",
            "      Kill connections older than the specified age.",
        ],
    );
    OK
}

/// A client type argument, or Redis's error naming it.
fn class_arg(name: &[u8]) -> CmdResult<ClientClass> {
    ClientClass::parse(name).ok_or_else(|| {
        CmdError::Other(format!(
            "Unknown client type '{}'",
            String::from_utf8_lossy(name)
        ))
    })
}

/// CLIENT KILL USER's name: an existing ACL user.
fn user_arg(ctx: &Ctx, name: &[u8]) -> CmdResult<Vec<u8>> {
    match ctx.shared.auth.user(name) {
        Some(_) => Ok(name.to_vec()),
        None => Err(CmdError::Other(format!(
            "No such user '{}'",
            String::from_utf8_lossy(name)
        ))),
    }
}

/// CLIENT LIST [TYPE type | ID id ...].
pub fn client_list(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let clients = &ctx.shared.clients;
    let picked: Vec<Arc<ClientHandle>> = match args.len() {
        2 => clients.all(),
        4 if args.is(2, "type") => {
            let class = class_arg(args.get(3))?;
            clients
                .all()
                .into_iter()
                .filter(|c| c.class() == class)
                .collect()
        }
        n if n > 3 && args.is(2, "id") => {
            let mut v = Vec::new();
            for id in args.from(3).iter() {
                let id = int_arg(id).map_err(|_| CmdError::Other("Invalid client ID".into()))?;
                v.extend(u64::try_from(id).ok().and_then(|id| clients.get(id)));
            }
            v
        }
        _ => return Err(CmdError::Syntax),
    };
    let mut text = String::new();
    for c in picked {
        text.push_str(&c.info_line(&last_cmd(&c)));
        text.push('\n');
    }
    ctx.out.verbatim(text.as_bytes());
    OK
}

/// CLIENT KILL's filters; a client is killed when it matches all that were given.
#[derive(Default)]
struct KillFilter {
    id: Option<u64>,
    addr: Option<Vec<u8>>,
    laddr: Option<Vec<u8>>,
    class: Option<ClientClass>,
    max_age: Option<u64>,
    user: Option<Vec<u8>>,
}

impl KillFilter {
    fn matches(&self, c: &ClientHandle) -> bool {
        self.id.is_none_or(|id| c.id == id)
            && self.addr.as_ref().is_none_or(|a| c.addr.as_bytes() == a)
            && self.laddr.as_ref().is_none_or(|a| c.laddr.as_bytes() == a)
            && self.class.is_none_or(|t| c.class() == t)
            && self.max_age.is_none_or(|m| c.age_secs() > m)
            && self
                .user
                .as_ref()
                .is_none_or(|u| c.user.lock().as_bytes() == u.as_slice())
    }
}

/// CLIENT KILL ip:port (the old form: answers OK or "No such client", may kill the caller) or
/// CLIENT KILL <filter> <value> ... (answers how many were killed; SKIPME yes by default). The
/// others are closed at once, wherever their connections wait (a client that does not read
/// included); the caller, if it matches, gets the reply first.
pub fn client_kill(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let old_form = args.len() == 3;
    let mut f = KillFilter::default();
    let mut skip_me = !old_form;
    if old_form {
        f.addr = Some(args.get(2).to_vec());
    } else {
        let mut i = 2;
        while i < args.len() {
            if i + 1 >= args.len() {
                return Err(CmdError::Syntax);
            }
            let v = args.get(i + 1);
            match args.get(i).to_ascii_lowercase().as_slice() {
                b"id" => {
                    let id = int_arg(v).ok().filter(|&id| id > 0).ok_or_else(|| {
                        CmdError::Other("client-id should be greater than 0".into())
                    })?;
                    f.id = Some(id as u64);
                }
                b"type" => f.class = Some(class_arg(v)?),
                b"addr" => f.addr = Some(v.to_vec()),
                b"laddr" => f.laddr = Some(v.to_vec()),
                b"user" => f.user = Some(user_arg(ctx, v)?),
                b"skipme" => skip_me = super::keyword_arg(v, &[("yes", true), ("no", false)])?,
                b"maxage" => {
                    // Redis 7.4's filter: clients connected for longer than this many seconds.
                    let age = int_arg(v)?;
                    f.max_age = (age > 0).then_some(age as u64);
                }
                _ => return Err(CmdError::Syntax),
            }
            i += 2;
        }
    }
    let me = ctx.client.handle.id;
    let close_me = !skip_me && f.matches(&ctx.client.handle);
    let others = ctx
        .shared
        .clients
        .kill(|c| c.id != me && f.matches(c))
        .len();
    let killed = others + close_me as usize;
    if old_form {
        if killed == 0 {
            return Err(CmdError::NoSuchClient);
        }
        ctx.out.ok();
    } else {
        ctx.out.int(killed as i64);
    }
    Ok(if close_me {
        Action::Close
    } else {
        Action::Continue
    })
}

/// CLIENT LIST's `cmd`: the last command's full name (`client|list`), as Redis 7 shows it.
pub fn last_cmd(h: &ClientHandle) -> String {
    super::all()
        .get(h.last_cmd.load(Ordering::Relaxed))
        .map_or("NULL", |c| c.name)
        .to_string()
}

/// CLIENT NO-EVICT ON|OFF.
/// An ON|OFF argument.
fn on_off(args: &Args, i: usize) -> CmdResult<bool> {
    if args.is(i, "on") {
        Ok(true)
    } else if args.is(i, "off") {
        Ok(false)
    } else {
        Err(CmdError::Syntax)
    }
}

pub fn client_no_evict(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let on = on_off(&args, 2)?;
    ctx.client.handle.no_evict.store(on, Ordering::Relaxed);
    ctx.out.ok();
    OK
}

/// CLIENT NO-TOUCH ON|OFF (Redis 7.2): shown as flag T; ringdis keeps no access times yet, so
/// there is nothing else for it to leave alone.
pub fn client_no_touch(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let on = on_off(&args, 2)?;
    ctx.client.handle.no_touch.store(on, Ordering::Relaxed);
    ctx.out.ok();
    OK
}

/// CLIENT PAUSE timeout [WRITE|ALL]: holds every command (ALL, the default) or those that
/// write or may replicate (WRITE) of every client until the timeout passes or CLIENT UNPAUSE.
pub fn client_pause(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    if args.len() > 4 {
        return Err(CmdError::subcommand_syntax(args.get(0), args.get(1)));
    }
    let ms = super::ms_timeout_arg(args.get(2))?;
    let all = if args.len() == 4 {
        if args.is(3, "write") {
            false
        } else if args.is(3, "all") {
            true
        } else {
            return Err(CmdError::Other(
                "CLIENT PAUSE mode must be WRITE or ALL".into(),
            ));
        }
    } else {
        true
    };
    ctx.shared.pause.start(ctx.now.saturating_add(ms), all);
    ctx.shared.set_special(crate::shared::special::PAUSE, true);
    ctx.out.ok();
    OK
}

pub fn client_unpause(ctx: &mut Ctx, _args: Args) -> CmdResult<Action> {
    ctx.shared.pause.end();
    ctx.shared.set_special(crate::shared::special::PAUSE, false);
    ctx.out.ok();
    OK
}

/// CLIENT REPLY ON|OFF|SKIP: OFF and SKIP are not answered; see [`super::reply_mode`].
pub fn client_reply(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    use crate::cmd::session::Reply;
    if args.is(2, "on") {
        ctx.client.reply = Reply::On;
        ctx.out.ok();
    } else if args.is(2, "off") {
        ctx.client.reply = Reply::Off;
    } else if args.is(2, "skip") {
        if ctx.client.reply != Reply::Off {
            ctx.client.reply = Reply::SkipNext;
        }
    } else {
        return Err(CmdError::Syntax);
    }
    OK
}

/// CLIENT UNBLOCK id [TIMEOUT|ERROR]: ends another client's blocking command, as if it timed
/// out or with an UNBLOCKED error. 1 if that client was blocked.
pub fn client_unblock(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let id = int_arg(args.get(2))?;
    let how = if args.len() == 4 {
        if args.is(3, "timeout") {
            1
        } else if args.is(3, "error") {
            2
        } else {
            return Err(CmdError::Other(
                "CLIENT UNBLOCK reason should be TIMEOUT or ERROR".into(),
            ));
        }
    } else {
        1
    };
    let target = u64::try_from(id)
        .ok()
        .and_then(|id| ctx.shared.clients.get(id));
    let waiter = target.as_ref().and_then(|t| {
        t.waiter
            .lock()
            .as_ref()
            .and_then(|w| w.upgrade())
            .filter(|_| t.blocked.load(Ordering::Relaxed))
    });
    match (target, waiter) {
        (Some(t), Some(w)) => {
            t.unblock.store(how, Ordering::Release);
            w.fire();
            ctx.out.int(1);
        }
        _ => ctx.out.int(0),
    }
    OK
}

/// CLIENT TRACKING ON|OFF [REDIRECT id] [PREFIX p ...] [BCAST] [OPTIN] [OPTOUT] [NOLOOP]
pub fn client_tracking(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    use crate::cmd::session::TrackMode;
    let mut m = TrackMode::default();
    let mut i = 3;
    while i < args.len() {
        let more = args.len() - 1 - i;
        if args.is(i, "redirect") && more >= 1 {
            if m.redirect != 0 {
                return Err(CmdError::Other(
                    "A client can only redirect to a single other client".into(),
                ));
            }
            let id = int_arg(args.get(i + 1))?;
            let known = u64::try_from(id)
                .ok()
                .is_some_and(|id| ctx.shared.clients.get(id).is_some());
            if !known {
                return Err(CmdError::Other(
                    "The client ID you want redirect to does not exist".into(),
                ));
            }
            m.redirect = id as u64;
            i += 1;
        } else if args.is(i, "bcast") {
            m.bcast = true;
        } else if args.is(i, "optin") {
            m.optin = true;
        } else if args.is(i, "optout") {
            m.optout = true;
        } else if args.is(i, "noloop") {
            m.noloop = true;
        } else if args.is(i, "prefix") && more >= 1 {
            m.prefixes.push(args.get(i + 1).into());
            i += 1;
        } else {
            return Err(CmdError::Syntax);
        }
        i += 1;
    }
    let err = |m: &str| Err(CmdError::Other(m.into()));
    if args.is(2, "on") {
        if !m.bcast && !m.prefixes.is_empty() {
            return err("PREFIX option requires BCAST mode to be enabled");
        }
        if let Some(cur) = &ctx.client.tracking {
            if cur.bcast != m.bcast {
                return err("You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.");
            }
        }
        if m.bcast && (m.optin || m.optout) {
            return err("OPTIN and OPTOUT are not compatible with BCAST");
        }
        if m.optin && m.optout {
            return err("You can't specify both OPTIN mode and OPTOUT mode");
        }
        if let Some(cur) = &ctx.client.tracking {
            if (m.optin && cur.optout) || (m.optout && cur.optin) {
                return err("You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.");
            }
        }
        for (a, p) in m.prefixes.iter().enumerate() {
            for q in m.prefixes.iter().skip(a + 1) {
                if p.starts_with(q) || q.starts_with(p) {
                    return Err(CmdError::Other(format!(
                        "Prefix '{}' overlaps with another provided prefix '{}'. Prefixes for a single client must not overlap.",
                        String::from_utf8_lossy(p),
                        String::from_utf8_lossy(q)
                    )));
                }
            }
        }
        let sub = super::pubsub::subscriber(ctx);
        let n = ctx.shared.tracking.enable(
            ctx.client.handle.id,
            crate::shared::tracking::Tracker {
                sub,
                redirect: m.redirect,
                bcast: m.bcast,
                prefixes: m.prefixes.clone(),
                optin: m.optin,
                optout: m.optout,
                noloop: m.noloop,
            },
        );
        tracking_clients(ctx, n);
        ctx.client
            .handle
            .redir
            .store(m.redirect as i64, Ordering::Relaxed);
        ctx.client.tracking = Some(m);
    } else if args.is(2, "off") {
        tracking_off(ctx);
    } else {
        return Err(CmdError::Syntax);
    }
    ctx.out.ok();
    OK
}

/// With `n` clients tracking, whether writes look for keys to invalidate.
fn tracking_clients(ctx: &Ctx, n: usize) {
    let sh = ctx.shared;
    sh.ks.events.tracking.store(n > 0, Ordering::Relaxed);
    sh.set_special(crate::shared::special::TRACKING, n > 0);
}

/// Turns tracking off (CLIENT TRACKING OFF, RESET, disconnection).
pub fn tracking_off(ctx: &mut Ctx) {
    if ctx.client.tracking.take().is_some() {
        let n = ctx.shared.tracking.disable(ctx.client.handle.id);
        tracking_clients(ctx, n);
        ctx.client.handle.redir.store(-1, Ordering::Relaxed);
    }
    ctx.client.caching = false;
}

/// CLIENT CACHING YES|NO: whether the next command's keys are tracked (OPTIN / OPTOUT).
pub fn client_caching(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let Some(m) = &ctx.client.tracking else {
        return Err(CmdError::Other("CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled".into()));
    };
    if args.is(2, "yes") {
        if !m.optin {
            return Err(CmdError::Other(
                "CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.".into(),
            ));
        }
    } else if args.is(2, "no") {
        if !m.optout {
            return Err(CmdError::Other(
                "CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.".into(),
            ));
        }
    } else {
        return Err(CmdError::Syntax);
    }
    ctx.client.caching = true;
    ctx.out.ok();
    OK
}

/// CLIENT GETREDIR: -1 with tracking off, 0 on without REDIRECT, else the redirect client.
pub fn client_getredir(ctx: &mut Ctx, _args: Args) -> CmdResult<Action> {
    let r = ctx
        .client
        .tracking
        .as_ref()
        .map_or(-1, |m| m.redirect as i64);
    ctx.out.int(r);
    OK
}

/// CLIENT TRACKINGINFO: flags, redirect and prefixes, as Redis 7.0 reports them.
pub fn client_trackinginfo(ctx: &mut Ctx, _args: Args) -> CmdResult<Action> {
    let mut flags: Vec<&str> = Vec::new();
    let (redirect, prefixes) = match &ctx.client.tracking {
        None => {
            flags.push("off");
            (-1, Vec::new())
        }
        Some(m) => {
            flags.push("on");
            if m.bcast {
                flags.push("bcast");
            }
            if m.optin {
                flags.push("optin");
                if ctx.client.caching {
                    flags.push("caching-yes");
                }
            }
            if m.optout {
                flags.push("optout");
                if ctx.client.caching {
                    flags.push("caching-no");
                }
            }
            if m.noloop {
                flags.push("noloop");
            }
            if m.redirect != 0 && ctx.shared.clients.get(m.redirect).is_none() {
                flags.push("broken_redirect");
            }
            (m.redirect as i64, m.prefixes.clone())
        }
    };
    ctx.out.map(3);
    ctx.out.bulk(b"flags");
    ctx.out.set(flags.len());
    for f in flags {
        ctx.out.bulk(f.as_bytes());
    }
    ctx.out.bulk(b"redirect");
    ctx.out.int(redirect);
    ctx.out.bulk(b"prefixes");
    ctx.out.array(prefixes.len());
    for p in &prefixes {
        ctx.out.bulk(p);
    }
    OK
}
