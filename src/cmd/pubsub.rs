//! Pub/sub commands (the registry and delivery are in `server::pubsub`).

use super::{Action, Ctx, OK};
use crate::error::{CmdError, CmdResult};
use crate::resp::Args;
use crate::shared::clients::{ClientClass, ClientHandle};
use crate::shared::pubsub::{Delivery, Subscriber};
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// Commands a RESP2 connection may send while subscribed.
pub fn allowed_when_subscribed(name: &str) -> bool {
    matches!(
        name,
        "subscribe" | "unsubscribe" | "psubscribe" | "punsubscribe" | "ping" | "quit" | "reset"
    )
}

/// The subscribe/unsubscribe confirmation for one channel or pattern.
fn confirm(ctx: &mut Ctx, kind: &[u8], name: Option<&[u8]>) {
    let n = ctx.client.subscriptions();
    ctx.out.push(3);
    ctx.out.bulk(kind);
    ctx.out.bulk_opt(name);
    ctx.out.int(n as i64);
}

fn subscriber(ctx: &mut Ctx) -> Arc<Subscriber> {
    let h = ctx.client.handle.clone();
    ctx.client
        .sub
        .get_or_insert_with(|| Arc::new(Subscriber::new(h)))
        .clone()
}

/// CLIENT LIST's sub and psub, and the connection's class, follow its subscriptions.
fn publish_counts(ctx: &Ctx) {
    let h = &ctx.client.handle;
    h.subs.store(ctx.client.channels.len(), Ordering::Relaxed);
    h.psubs.store(ctx.client.patterns.len(), Ordering::Relaxed);
}

fn subscribe_generic(ctx: &mut Ctx, args: Args, pattern: bool) -> CmdResult<Action> {
    let sub = subscriber(ctx);
    for name in args.from(1).iter() {
        let set = if pattern {
            &mut ctx.client.patterns
        } else {
            &mut ctx.client.channels
        };
        if set.insert(name.into()) {
            if pattern {
                ctx.shared.pubsub.psubscribe(name, &sub);
            } else {
                ctx.shared.pubsub.subscribe(name, &sub);
            }
            publish_counts(ctx);
        }
        confirm(
            ctx,
            if pattern { b"psubscribe" } else { b"subscribe" },
            Some(name),
        );
    }
    OK
}

fn unsubscribe_generic(ctx: &mut Ctx, args: Args, pattern: bool) -> CmdResult<Action> {
    let kind: &[u8] = if pattern {
        b"punsubscribe"
    } else {
        b"unsubscribe"
    };
    let names: Vec<Box<[u8]>> = if args.len() > 1 {
        args.from(1).iter().map(Into::into).collect()
    } else if pattern {
        ctx.client.patterns.iter().cloned().collect()
    } else {
        ctx.client.channels.iter().cloned().collect()
    };
    if names.is_empty() {
        confirm(ctx, kind, None);
        return OK;
    }
    let id = ctx.client.handle.id;
    for name in names {
        let set = if pattern {
            &mut ctx.client.patterns
        } else {
            &mut ctx.client.channels
        };
        if set.remove(&name) {
            if pattern {
                ctx.shared.pubsub.punsubscribe(&name, id);
            } else {
                ctx.shared.pubsub.unsubscribe(&name, id);
            }
            publish_counts(ctx);
        }
        confirm(ctx, kind, Some(&name));
    }
    OK
}

pub fn subscribe(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    subscribe_generic(ctx, args, false)
}

pub fn psubscribe(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    subscribe_generic(ctx, args, true)
}

pub fn unsubscribe(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    unsubscribe_generic(ctx, args, false)
}

pub fn punsubscribe(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    unsubscribe_generic(ctx, args, true)
}

/// Leaves every channel and pattern (the connection closed).
pub fn unsubscribe_all(ctx: &mut Ctx) {
    let id = ctx.client.handle.id;
    for c in ctx.client.channels.drain() {
        ctx.shared.pubsub.unsubscribe(&c, id);
    }
    for p in ctx.client.patterns.drain() {
        ctx.shared.pubsub.punsubscribe(&p, id);
    }
    publish_counts(ctx);
}

pub fn publish(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let sh = ctx.shared;
    let exec = ctx.exec;
    let cut = |h: &ClientHandle| crate::shared::limits::drop_over_output_limit(sh, Some(exec), h);
    let d = Delivery {
        limit: sh.output_limits.get(ClientClass::Pubsub),
        now_ms: ctx.now,
        cut: &cut,
    };
    let n = sh.pubsub.publish(args.get(1), args.get(2), &d);
    ctx.out.int(n as i64);
    OK
}

/// PUBSUB CHANNELS [pattern].
pub fn pubsub_channels(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    if args.len() > 3 {
        return Err(CmdError::subcommand_syntax(args.get(0), args.get(1)));
    }
    let names = ctx
        .shared
        .pubsub
        .channel_names((args.len() == 3).then(|| args.get(2)));
    ctx.out.array(names.len());
    names.iter().for_each(|n| ctx.out.bulk(n));
    OK
}

/// PUBSUB NUMSUB [channel ...].
pub fn pubsub_numsub(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let ps = &ctx.shared.pubsub;
    // A flat array in RESP3 too (Redis 7.0).
    ctx.out.array(2 * (args.len() - 2));
    for ch in args.from(2).iter() {
        ctx.out.bulk(ch);
        ctx.out.int(ps.numsub(ch) as i64);
    }
    OK
}

pub fn pubsub_numpat(ctx: &mut Ctx, _args: Args) -> CmdResult<Action> {
    ctx.out.int(ctx.shared.pubsub.numpat() as i64);
    OK
}

pub fn pubsub_help(ctx: &mut Ctx, _args: Args) -> CmdResult<Action> {
    super::help(
        ctx.out,
        "PUBSUB",
        &[
            "CHANNELS [<pattern>]",
            "    Return the currently active channels matching a <pattern> (default: '*').",
            "NUMPAT",
            "    Return number of subscriptions to patterns.",
            "NUMSUB [<channel> ...]",
            "    Return the number of subscribers for the specified channels, excluding",
            "    pattern subscriptions(default: no channels).",
        ],
    );
    OK
}
