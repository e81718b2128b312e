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
        "subscribe"
            | "unsubscribe"
            | "psubscribe"
            | "punsubscribe"
            | "ssubscribe"
            | "sunsubscribe"
            | "ping"
            | "quit"
            | "reset"
    )
}

/// What a subscription names.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Channel,
    Pattern,
    /// A shard channel (SSUBSCRIBE): counted apart from the other two.
    Shard,
}

impl Kind {
    fn set<'c>(self, ctx: &'c mut Ctx) -> &'c mut std::collections::HashSet<Box<[u8]>> {
        match self {
            Kind::Channel => &mut ctx.client.channels,
            Kind::Pattern => &mut ctx.client.patterns,
            Kind::Shard => &mut ctx.client.shard_channels,
        }
    }

    fn names(self) -> (&'static [u8], &'static [u8]) {
        match self {
            Kind::Channel => (b"subscribe", b"unsubscribe"),
            Kind::Pattern => (b"psubscribe", b"punsubscribe"),
            Kind::Shard => (b"ssubscribe", b"sunsubscribe"),
        }
    }

    fn count(self, ctx: &Ctx) -> usize {
        match self {
            Kind::Shard => ctx.client.shard_channels.len(),
            _ => ctx.client.subscriptions(),
        }
    }
}

/// The subscribe/unsubscribe confirmation for one channel or pattern.
fn confirm(ctx: &mut Ctx, kind: Kind, sub: bool, name: Option<&[u8]>) {
    let n = kind.count(ctx);
    let (on, off) = kind.names();
    ctx.out.push(3);
    ctx.out.bulk(if sub { on } else { off });
    ctx.out.bulk_opt(name);
    ctx.out.int(n as i64);
}

/// The connection's mailbox, made on first use (and known to CLIENT TRACKING as a place
/// redirected invalidations may go).
pub fn subscriber(ctx: &mut Ctx) -> Arc<Subscriber> {
    if let Some(s) = &ctx.client.sub {
        return s.clone();
    }
    let s = Arc::new(Subscriber::new(ctx.client.handle.clone()));
    ctx.shared
        .tracking
        .register_target(ctx.client.handle.id, &s);
    ctx.client.sub = Some(s.clone());
    s
}

/// CLIENT LIST's sub, psub and ssub, and the connection's class, follow its subscriptions.
fn publish_counts(ctx: &Ctx) {
    let h = &ctx.client.handle;
    h.subs.store(ctx.client.channels.len(), Ordering::Relaxed);
    h.psubs.store(ctx.client.patterns.len(), Ordering::Relaxed);
    h.ssubs
        .store(ctx.client.shard_channels.len(), Ordering::Relaxed);
}

fn registry_add(ctx: &Ctx, kind: Kind, name: &[u8], sub: &Arc<Subscriber>) {
    let ps = &ctx.shared.pubsub;
    match kind {
        Kind::Channel => ps.subscribe(name, sub),
        Kind::Pattern => ps.psubscribe(name, sub),
        Kind::Shard => ps.ssubscribe(name, sub),
    }
}

fn registry_del(ctx: &Ctx, kind: Kind, name: &[u8]) {
    let (ps, id) = (&ctx.shared.pubsub, ctx.client.handle.id);
    match kind {
        Kind::Channel => ps.unsubscribe(name, id),
        Kind::Pattern => ps.punsubscribe(name, id),
        Kind::Shard => ps.sunsubscribe(name, id),
    }
}

fn subscribe_generic(ctx: &mut Ctx, args: Args, kind: Kind) -> CmdResult<Action> {
    let sub = subscriber(ctx);
    for name in args.from(1).iter() {
        if kind.set(ctx).insert(name.into()) {
            registry_add(ctx, kind, name, &sub);
            publish_counts(ctx);
        }
        confirm(ctx, kind, true, Some(name));
    }
    OK
}

fn unsubscribe_generic(ctx: &mut Ctx, args: Args, kind: Kind) -> CmdResult<Action> {
    let names: Vec<Box<[u8]>> = if args.len() > 1 {
        args.from(1).iter().map(Into::into).collect()
    } else {
        kind.set(ctx).iter().cloned().collect()
    };
    if names.is_empty() {
        confirm(ctx, kind, false, None);
        return OK;
    }
    for name in names {
        if kind.set(ctx).remove(&name) {
            registry_del(ctx, kind, &name);
            publish_counts(ctx);
        }
        confirm(ctx, kind, false, Some(&name));
    }
    OK
}

pub fn subscribe(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    subscribe_generic(ctx, args, Kind::Channel)
}

pub fn psubscribe(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    subscribe_generic(ctx, args, Kind::Pattern)
}

pub fn ssubscribe(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    subscribe_generic(ctx, args, Kind::Shard)
}

pub fn unsubscribe(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    unsubscribe_generic(ctx, args, Kind::Channel)
}

pub fn punsubscribe(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    unsubscribe_generic(ctx, args, Kind::Pattern)
}

pub fn sunsubscribe(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    unsubscribe_generic(ctx, args, Kind::Shard)
}

/// Leaves every channel, pattern and shard channel (the connection closed, or RESET).
pub fn unsubscribe_all(ctx: &mut Ctx) {
    for kind in [Kind::Channel, Kind::Pattern, Kind::Shard] {
        let names: Vec<Box<[u8]>> = kind.set(ctx).drain().collect();
        for n in names {
            registry_del(ctx, kind, &n);
        }
    }
    publish_counts(ctx);
}

/// The delivery context of a PUBLISH or SPUBLISH from this connection.
fn delivery<'a>(ctx: &Ctx, cut: &'a dyn Fn(&ClientHandle)) -> Delivery<'a> {
    Delivery {
        limit: ctx.shared.output_limits.get(ClientClass::Pubsub),
        now_ms: ctx.now,
        cut,
    }
}

pub fn spublish(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let sh = ctx.shared;
    let exec = ctx.exec;
    let cut = |h: &ClientHandle| crate::shared::limits::drop_over_output_limit(sh, Some(exec), h);
    let n = sh
        .pubsub
        .spublish(args.get(1), args.get(2), &delivery(ctx, &cut));
    ctx.out.int(n as i64);
    OK
}

/// PUBSUB SHARDCHANNELS [pattern].
pub fn pubsub_shardchannels(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    if args.len() > 3 {
        return Err(CmdError::subcommand_syntax(args.get(0), args.get(1)));
    }
    let names = ctx
        .shared
        .pubsub
        .shard_channel_names((args.len() == 3).then(|| args.get(2)));
    ctx.out.array(names.len());
    names.iter().for_each(|n| ctx.out.bulk(n));
    OK
}

/// PUBSUB SHARDNUMSUB [channel ...].
pub fn pubsub_shardnumsub(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let ps = &ctx.shared.pubsub;
    ctx.out.array(2 * (args.len() - 2));
    for ch in args.from(2).iter() {
        ctx.out.bulk(ch);
        ctx.out.int(ps.shard_numsub(ch) as i64);
    }
    OK
}

pub fn publish(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let sh = ctx.shared;
    let exec = ctx.exec;
    let cut = |h: &ClientHandle| crate::shared::limits::drop_over_output_limit(sh, Some(exec), h);
    let n = sh
        .pubsub
        .publish(args.get(1), args.get(2), &delivery(ctx, &cut));
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
            "SHARDCHANNELS [<pattern>]",
            "    Return the currently active shard level channels matching a <pattern> (default: '*').",
            "SHARDNUMSUB [<shardchannel> ...]",
            "    Return the number of subscribers for the specified shard level channel(s)",
        ],
    );
    OK
}
