//! Replication commands: REPLICAOF/SLAVEOF, REPLCONF, PSYNC/SYNC, ROLE, WAIT, and INFO's
//! replication section. The streams run in the server: `server::feed` sends a master's stream
//! to a replica, `server::replica` follows a master.

use super::session::Psync;
use super::{Action, CmdResult, Ctx, OK};
use crate::error::CmdError;
use crate::resp::Args;
use crate::shared::repl::Link;
use crate::shared::Shared;
use std::fmt::Write;

/// REPLICAOF host port | NO ONE (and SLAVEOF).
pub fn replicaof(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let (host, port) = (args.get(1), args.get(2));
    let sh = ctx.shared;
    if args.is(1, "no") && args.is(2, "one") {
        set_replicaof_param(sh, String::new());
        if let Some(offset) = sh.repl.promote() {
            sh.aof.repl_start(offset, backlog_size(sh), true);
            crate::notice!(
                "MASTER MODE enabled (user request from '{}')",
                ctx.client.handle.addr
            );
        }
        ctx.out.ok();
        return OK;
    }
    let port = super::int_arg(port)?;
    let port = u16::try_from(port).map_err(|_| CmdError::NotInteger)?;
    let host = String::from_utf8_lossy(host).into_owned();
    let offset = sh.repl_offset();
    if !sh.repl.follow(&host, port, offset) {
        ctx.out.simple("OK Already connected to specified master");
        return OK;
    }
    set_replicaof_param(sh, format!("{host} {port}"));
    // A replica relays nothing of its own: its feeds end, and it keeps no stream.
    sh.aof.repl_stop();
    crate::notice!(
        "REPLICAOF {host}:{port} enabled (user request from '{}')",
        ctx.client.handle.addr
    );
    ctx.out.ok();
    OK
}

/// CONFIG GET replicaof (and CONFIG REWRITE) follow REPLICAOF, as in Redis.
fn set_replicaof_param(sh: &Shared, v: String) {
    if let Some(p) = crate::shared::params::find("replicaof") {
        sh.params.put(p, v);
    }
}

/// repl-backlog-size.
pub fn backlog_size(sh: &Shared) -> u64 {
    sh.params.int("repl-backlog-size").max(0) as u64
}

/// REPLCONF option value ...: what a replica tells its master before PSYNC.
pub fn replconf(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    if args.len().is_multiple_of(2) {
        return Err(CmdError::Syntax);
    }
    let mut i = 1;
    while i < args.len() {
        let (opt, val) = (args.get(i), args.get(i + 1));
        match opt.to_ascii_lowercase().as_slice() {
            b"listening-port" => {
                let p = super::int_arg(val)?;
                ctx.client.repl_port = u16::try_from(p).map_err(|_| CmdError::NotInteger)?;
            }
            b"ip-address" => ctx.client.repl_ip = Some(String::from_utf8_lossy(val).into_owned()),
            b"capa" | b"rdb-only" | b"rdb-filter-only" => {}
            // Acknowledgements reach the feed, which reads them; elsewhere they get no reply.
            b"ack" | b"getack" => return OK,
            _ => {
                return Err(CmdError::ReplconfOption(
                    String::from_utf8_lossy(opt).into_owned(),
                ))
            }
        }
        i += 2;
    }
    ctx.out.ok();
    OK
}

/// PSYNC replid offset.
pub fn psync(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let offset = super::int_arg(args.get(2))?;
    start_feed(
        ctx,
        Psync {
            replid: String::from_utf8_lossy(args.get(1)).into_owned(),
            offset,
            plain: false,
        },
    )
}

/// SYNC: the pre-PSYNC full synchronisation.
pub fn sync(ctx: &mut Ctx, _args: Args) -> CmdResult<Action> {
    start_feed(
        ctx,
        Psync {
            replid: "?".into(),
            offset: -1,
            plain: true,
        },
    )
}

fn start_feed(ctx: &mut Ctx, p: Psync) -> CmdResult<Action> {
    if ctx.shared.repl.is_replica() {
        // Chained replication is not built: a replica applies its master's stream and keeps
        // none of its own to relay.
        let connected = ctx
            .shared
            .repl
            .lock()
            .master
            .as_ref()
            .is_some_and(|m| m.link == Link::Connected);
        if !connected {
            return Err(CmdError::NoMasterLink);
        }
        return Err(CmdError::Other(
            "ERR ringdis replicas do not serve replicas (chained replication is not supported)"
                .into(),
        ));
    }
    ctx.client.psync = Some(p);
    Ok(Action::Replicate)
}

/// ROLE.
pub fn role(ctx: &mut Ctx, _args: Args) -> CmdResult<Action> {
    let sh = ctx.shared;
    let offset = sh.repl_offset();
    let g = sh.repl.lock();
    match &g.master {
        Some(m) => {
            ctx.out.array(5);
            ctx.out.bulk(b"slave");
            ctx.out.bulk(m.host.as_bytes());
            ctx.out.int(m.port as i64);
            ctx.out.bulk(m.link.role_word().as_bytes());
            ctx.out.int(if m.link == Link::Connected {
                offset as i64
            } else {
                -1
            });
        }
        None => {
            let online: Vec<_> = g.replicas.iter().filter(|r| r.state == "online").collect();
            ctx.out.array(3);
            ctx.out.bulk(b"master");
            ctx.out.int(offset as i64);
            ctx.out.array(online.len());
            for r in online {
                ctx.out.array(3);
                ctx.out.bulk(r.ip.as_bytes());
                ctx.out.bulk(r.port.to_string().as_bytes());
                ctx.out.bulk(r.ack.to_string().as_bytes());
            }
        }
    }
    OK
}

/// WAIT numreplicas timeout.
pub fn wait(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let want = super::int_arg(args.get(1))?;
    let ms = super::ms_timeout_arg(args.get(2))?;
    let sh = ctx.shared;
    if sh.repl.is_replica() {
        return Err(CmdError::WaitOnReplica);
    }
    let offset = sh.repl_offset();
    let acked = sh.repl.acked(offset);
    // Inside MULTI or a script it cannot block: the count now.
    if want <= 0 || acked >= want as u64 || ctx.tx.is_declared() {
        ctx.out.int(acked as i64);
        return OK;
    }
    Ok(Action::WaitReplicas {
        offset,
        replicas: want as u64,
        deadline: if ms == 0 { 0 } else { ctx.now + ms },
    })
}

/// INFO's replication section.
pub fn info(sh: &Shared, t: &mut String) {
    let offset = sh.repl_offset();
    let backlog = sh.aof.with_backlog(|b| (b.start(), b.histlen(), b.size()));
    let min_good = (sh
        .repl
        .min_replicas
        .load(std::sync::atomic::Ordering::Relaxed)
        > 0)
    .then(|| sh.repl.good_replicas());
    // Read before the replication state is locked: nothing else is taken while it is held.
    let size = backlog_size(sh);
    let replica_fields = format!(
        "slave_priority:{}\r\nslave_read_only:{}\r\nreplica_announced:{}\r\n",
        sh.params.int("replica-priority"),
        (sh.params.value("replica-read-only") == "yes") as u8,
        (sh.params.value("replica-announced") == "yes") as u8,
    );
    let g = sh.repl.lock();
    t.push_str("# Replication\r\n");
    match &g.master {
        Some(m) => {
            let up = m.link == Link::Connected;
            let _ = write!(
                t,
                "role:slave\r\nmaster_host:{}\r\nmaster_port:{}\r\nmaster_link_status:{}\r\nmaster_last_io_seconds_ago:{}\r\nmaster_sync_in_progress:{}\r\nslave_read_repl_offset:{offset}\r\nslave_repl_offset:{offset}\r\n",
                m.host,
                m.port,
                if up { "up" } else { "down" },
                if up { m.last_io.elapsed().as_secs() as i64 } else { -1 },
                (m.link == Link::Sync) as u8,
            );
            if m.link == Link::Sync {
                let left = m.sync_size.saturating_sub(m.sync_read);
                let perc = if m.sync_size > 0 {
                    m.sync_read as f64 * 100.0 / m.sync_size as f64
                } else {
                    0.0
                };
                let _ = write!(
                    t,
                    "master_sync_total_bytes:{}\r\nmaster_sync_read_bytes:{}\r\nmaster_sync_left_bytes:{left}\r\nmaster_sync_perc:{perc:.2}\r\nmaster_sync_last_io_seconds_ago:{}\r\n",
                    m.sync_size,
                    m.sync_read,
                    m.last_io.elapsed().as_secs()
                );
            }
            if let Some(d) = m.down_since {
                let _ = write!(
                    t,
                    "master_link_down_since_seconds:{}\r\n",
                    d.elapsed().as_secs()
                );
            }
            t.push_str(&replica_fields);
        }
        None => t.push_str("role:master\r\n"),
    }
    let _ = write!(t, "connected_slaves:{}\r\n", g.replicas.len());
    for (i, r) in g.replicas.iter().enumerate() {
        let _ = write!(
            t,
            "slave{i}:ip={},port={},state={},offset={},lag={}\r\n",
            r.ip,
            r.port,
            r.state,
            r.ack,
            r.ack_at.elapsed().as_secs()
        );
    }
    if let Some(good) = min_good.filter(|_| g.master.is_none()) {
        let _ = write!(t, "min_slaves_good_slaves:{good}\r\n");
    }
    let (active, size, first, histlen) = match backlog {
        Some((start, hist, size)) => (1, size, start + 1, hist),
        None => (0, size, 0, 0),
    };
    let _ = write!(
        t,
        "master_failover_state:no-failover\r\nmaster_replid:{}\r\nmaster_replid2:{}\r\nmaster_repl_offset:{offset}\r\nsecond_repl_offset:{}\r\nrepl_backlog_active:{active}\r\nrepl_backlog_size:{size}\r\nrepl_backlog_first_byte_offset:{first}\r\nrepl_backlog_histlen:{histlen}\r\n\r\n",
        g.replid, g.replid2, g.second_offset
    );
}
