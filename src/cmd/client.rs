//! CLIENT and its subcommands: what a connection can learn of itself and of the others, and
//! CLIENT KILL.

use super::{help, int_arg, Action, Ctx, COMMANDS, OK};
use crate::error::{CmdError, CmdResult};
use crate::resp::Args;
use std::sync::atomic::Ordering;

/// Client names may not hold spaces or control characters.
pub fn valid_name(n: &[u8]) -> bool {
    n.iter().all(|&c| (b'!'..=b'~').contains(&c))
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
