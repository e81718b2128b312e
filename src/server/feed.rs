//! A master's feed to one replica, on the connection that sent PSYNC (or SYNC): the answer
//! (+CONTINUE from the backlog, or +FULLRESYNC and a snapshot), then the replication stream
//! for as long as the connection lasts, reading the replica's REPLCONF ACKs beside it.
//!
//! The snapshot of a full sync is written by a forked child (as BGSAVE's) to a temporary file
//! in `dir`, then sent as one bulk. The stream is read from the journal's backlog (see
//! [`crate::aof::backlog`]): the feed collects the lanes itself, so no write waits for a
//! replica, and polls every millisecond while there is nothing to send.

use super::ready::Registration;
use crate::cmd::session::Client;
use crate::resp::parse::{Frame, Parser};
use crate::resp::Args;
use crate::shared::repl::Replica;
use crate::shared::Shared;
use std::io::Read;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long the feed sleeps when the stream has nothing new.
const POLL: Duration = Duration::from_millis(1);
/// Stream bytes sent at a time.
const CHUNK: usize = 1 << 20;

/// Sends all of `data`, waiting for room. False: the connection failed.
async fn send_all(socket: &Registration, mut data: &[u8], killed: &dyn Fn() -> bool) -> bool {
    while !data.is_empty() {
        match socket.send(data) {
            Ok(0) => {
                socket.ready(false, true).await;
                if killed() {
                    return false;
                }
            }
            Ok(n) => data = &data[n..],
            Err(_) => return false,
        }
    }
    true
}

/// Serves the replica that sent PSYNC/SYNC on this connection until the link ends. `input`
/// holds what it sent after that command.
pub async fn serve(
    shared: &Arc<Shared>,
    socket: &Registration,
    client: &mut Client,
    mut input: Vec<u8>,
) {
    let Some(p) = client.psync.take() else {
        return;
    };
    let handle = client.handle.clone();
    let id = handle.id;
    let killed = || handle.killed.load(Ordering::Acquire) || shared.shutdown.is_set();
    handle.replica.store(true, Ordering::Relaxed);
    let ip = client
        .repl_ip
        .clone()
        .or_else(|| handle.ip().map(|ip| ip.to_string()))
        .unwrap_or_default();
    let size = crate::cmd::repl::backlog_size(shared);
    let (replid, replid2, second, base) = {
        let g = shared.repl.lock();
        (
            g.replid.clone(),
            g.replid2.clone(),
            g.second_offset,
            g.offset,
        )
    };
    shared.aof.repl_start(base, size, false);
    shared.repl.add_replica(Replica {
        id,
        ip,
        port: client.repl_port,
        state: "wait_bgsave",
        ack: 0,
        ack_at: Instant::now(),
    });
    let want = (p.offset - 1).max(0) as u64;
    let known_id = p.replid == replid || (p.replid == replid2 && p.offset <= second);
    let partial = !p.plain
        && p.offset > 0
        && known_id
        && shared.aof.with_backlog(|b| {
            let ok = b.has(want);
            if ok {
                b.hold(id, want);
            }
            ok
        }) == Some(true);
    let started = if partial {
        let line = format!("+CONTINUE {replid}\r\n");
        if !send_all(socket, line.as_bytes(), &killed).await {
            return finish(shared, id);
        }
        shared.repl.sync_partial_ok.fetch_add(1, Ordering::Relaxed);
        crate::notice!(
            "Partial resynchronization request from {} accepted, from offset {}.",
            handle.addr,
            p.offset
        );
        Some(want)
    } else {
        if p.replid != "?" {
            shared.repl.sync_partial_err.fetch_add(1, Ordering::Relaxed);
        }
        shared.repl.sync_full.fetch_add(1, Ordering::Relaxed);
        crate::notice!(
            "Replica {} asks for synchronization; starting a full resync",
            handle.addr
        );
        full_sync(shared, socket, id, &replid, p.plain, &killed).await
    };
    let Some(mut off) = started else {
        return finish(shared, id);
    };
    shared.repl.update_replica(id, |r| {
        r.state = "online";
        r.ack_at = Instant::now();
    });
    crate::notice!("Synchronization with replica {} succeeded", handle.addr);
    let mut parser = Parser::new();
    let mut out = Vec::with_capacity(CHUNK);
    loop {
        if killed() || shared.repl.is_replica() {
            break;
        }
        out.clear();
        match shared
            .aof
            .with_backlog(|b| b.read(id, off, CHUNK, &mut out))
        {
            Some(Ok(next)) => off = next,
            _ => {
                crate::warning!(
                    "Replica {} fell behind the replication stream; closing its link",
                    handle.addr
                );
                break;
            }
        }
        if !out.is_empty() && !send_all(socket, &out, &killed).await {
            break;
        }
        if !read_acks(shared, socket, id, &mut parser, &mut input) {
            break;
        }
        if out.is_empty() {
            futures_lite::future::or(socket.ready(true, false), glommio::timer::sleep(POLL)).await;
        }
    }
    finish(shared, id);
}

/// Reads what the replica sent: REPLCONF ACK updates its offset; anything else is ignored.
/// False: the connection ended, or sent what is not RESP (a protocol error closes it, as it
/// closes any connection).
fn read_acks(
    shared: &Shared,
    socket: &Registration,
    id: u64,
    parser: &mut Parser,
    input: &mut Vec<u8>,
) -> bool {
    loop {
        input.reserve(4096);
        match socket.recv_into(input, usize::MAX) {
            Ok(Some(0)) | Err(_) => return false,
            Ok(Some(_)) => continue,
            Ok(None) => break,
        }
    }
    let mut start = 0;
    let ok = loop {
        let data = &input[start..];
        let consumed = match parser.parse(data) {
            Ok(Some(Frame::Command { consumed, inline })) => {
                let args = Args::new(if inline { &parser.inline_buf } else { data }, &parser.args);
                if args.len() >= 3 && args.is(0, "replconf") && args.is(1, "ack") {
                    if let Some(n) = crate::resp::parse_i64(args.get(2)) {
                        shared.repl.update_replica(id, |r| {
                            r.ack = r.ack.max(n.max(0) as u64);
                            r.ack_at = Instant::now();
                        });
                    }
                }
                consumed
            }
            Ok(Some(Frame::Empty { consumed })) => consumed,
            Ok(None) => break true,
            Err(_) => break false,
        };
        start += consumed;
    };
    input.drain(..start);
    ok
}

/// A full sync: snapshot in a child, +FULLRESYNC, then the file as one bulk. Returns the offset
/// the stream continues from.
async fn full_sync(
    shared: &Arc<Shared>,
    socket: &Registration,
    id: u64,
    replid: &str,
    plain: bool,
    killed: &dyn Fn() -> bool,
) -> Option<u64> {
    let path = shared
        .dir()
        .join(format!("temp-repl-{}-{id}.rdb", std::process::id()));
    let tx = crate::keyspace::Tx::open(&shared.ks);
    let forked = crate::rdb::save::fork_snapshot(&**shared, &tx, &path, || {
        shared.aof.with_backlog(|b| {
            let at = b.snapshot_point();
            b.hold(id, at);
            at
        })
    });
    drop(tx);
    let (pid, offset) = match forked {
        Ok((pid, Some(offset))) => (pid, offset),
        Ok((pid, None)) => {
            let _ = crate::aof::child::wait(pid, || true).await;
            return None;
        }
        Err(e) => {
            crate::warning!("Can't fork for the replication snapshot: {e}");
            return None;
        }
    };
    if !plain {
        let line = format!("+FULLRESYNC {replid} {offset}\r\n");
        if !send_all(socket, line.as_bytes(), killed).await {
            let _ = crate::aof::child::wait(pid, || true).await;
            let _ = std::fs::remove_file(&path);
            return None;
        }
    }
    let done = crate::aof::child::wait(pid, || shared.shutdown.is_set()).await;
    let sent = match done {
        Ok(()) => send_file(shared, socket, id, &path, killed).await,
        Err(e) => {
            crate::warning!("The replication snapshot failed: {e}");
            false
        }
    };
    let _ = std::fs::remove_file(&path);
    sent.then_some(offset)
}

/// Sends the snapshot file as `$<len>\r\n<bytes>`.
async fn send_file(
    shared: &Shared,
    socket: &Registration,
    id: u64,
    path: &std::path::Path,
    killed: &dyn Fn() -> bool,
) -> bool {
    let Ok(mut f) = std::fs::File::open(path) else {
        return false;
    };
    let len = f.metadata().map_or(0, |m| m.len());
    shared.repl.update_replica(id, |r| r.state = "send_bulk");
    if !send_all(socket, format!("${len}\r\n").as_bytes(), killed).await {
        return false;
    }
    let mut buf = vec![0u8; CHUNK];
    loop {
        // The file was just written: reading it comes from the page cache.
        match f.read(&mut buf) {
            Ok(0) => return true,
            Ok(n) => {
                if !send_all(socket, &buf[..n], killed).await {
                    return false;
                }
            }
            Err(_) => return false,
        }
    }
}

/// The link ended: the backlog no longer waits for this replica.
fn finish(shared: &Shared, id: u64) {
    shared.aof.with_backlog(|b| b.release(id));
    shared.repl.remove_replica(id);
}

/// WAIT: waits until `replicas` replicas acknowledged `offset`, or `deadline` (Unix ms; 0:
/// none) passes, or the client goes. Returns how many did.
pub async fn wait_acks(
    shared: &Shared,
    offset: u64,
    replicas: u64,
    deadline: u64,
    gone: impl Fn() -> bool,
) -> u64 {
    // The replicas are asked for their offsets now, rather than at their next second's ACK.
    shared
        .aof
        .with_backlog(|b| b.command(&[b"REPLCONF", b"GETACK", b"*"]));
    loop {
        let n = shared.repl.acked(offset);
        if n >= replicas
            || gone()
            || shared.shutdown.is_set()
            || (deadline != 0 && crate::keyspace::now_ms() >= deadline)
        {
            return n;
        }
        glommio::timer::sleep(Duration::from_millis(1)).await;
    }
}
