//! A replica's link to its master (REPLICAOF host port), as Redis 7.0's replica runs it:
//! handshake (PING, AUTH with masterauth/masteruser, REPLCONF listening-port and capa eof
//! psync2), PSYNC with the replication ID and offset it has, then either +CONTINUE or
//! +FULLRESYNC and a snapshot (`$<len>` or the diskless `$EOF:<mark>` form), loaded after the
//! keyspace is emptied; then the stream, applied command by command as a client without a
//! connection, with REPLCONF ACK every second and on GETACK. A lost link is retried every
//! second with the ID and offset reached, so a master that still holds the stream continues it.
//!
//! It runs as one task on executor 0, started by its ticker when REPLICAOF changes the master.

use crate::resp::parse::{Frame, Parser};
use crate::resp::Args;
use crate::shared::clients::ClientHandle;
use crate::shared::repl::Link;
use crate::shared::Shared;
use futures_lite::{AsyncReadExt, AsyncWriteExt};
use glommio::net::TcpStream;
use std::os::fd::AsRawFd;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What a replica stopped cleanly leaves in `dir` for its restart.
const STATE_FILE: &str = "ringdis-replica.state";

/// At a clean stop, once every executor wrote and synced its AOF records: a replica whose AOF
/// holds everything it applied leaves its master's replication ID, the offset reached and the
/// stream's database, so that after a restart it continues the stream (a partial resync)
/// instead of copying the master's data again. Nothing is left after a crash: then the AOF may
/// miss the last second, and a full resync follows, as for Redis.
pub fn save_state(shared: &Shared) {
    if !shared.repl.is_replica() || !shared.aof.enabled() || shared.aof.failing().is_some() {
        return;
    }
    let (replid, offset, db) = {
        let g = shared.repl.lock();
        (g.replid.clone(), g.offset, g.stream_db)
    };
    if offset == 0 {
        return;
    }
    // Beside the append-only file, whose contents it describes.
    let path = shared.aof.dir().join(STATE_FILE);
    let res = std::fs::File::create(&path).and_then(|mut f| {
        std::io::Write::write_all(&mut f, format!("{replid} {offset} {db}\n").as_bytes())?;
        f.sync_all()
    });
    match res {
        Ok(()) => crate::notice!("Replication state saved for a partial resync: {replid}:{offset}"),
        Err(e) => crate::warning!(
            "could not save the replication state {}: {e}",
            path.display()
        ),
    }
}

/// At start-up, after the AOF loaded: takes what [`save_state`] left (and removes the file at
/// once, so that a later crash cannot reuse it).
pub fn load_state(shared: &Shared) {
    let path = shared.aof.dir().join(STATE_FILE);
    let Ok(text) = std::fs::read_to_string(&path) else {
        return;
    };
    let _ = std::fs::remove_file(&path);
    if !shared.repl.is_replica() || !shared.config.appendonly {
        return;
    }
    let mut words = text.split_whitespace();
    let (Some(replid), Some(Ok(offset)), Some(Ok(db))) = (
        words.next(),
        words.next().map(str::parse::<u64>),
        words.next().map(str::parse::<usize>),
    ) else {
        return;
    };
    resume_at(
        shared,
        &crate::rdb::ReplPoint {
            replid: replid.to_string(),
            offset,
            db,
        },
    );
}

/// Takes a position in a master's stream that the loaded data stands at (the state file, or
/// the replication fields of the RDB file loaded), so the link asks for a partial resync.
pub fn resume_at(shared: &Shared, p: &crate::rdb::ReplPoint) {
    if !shared.repl.is_replica() || p.replid.len() != 40 || p.db >= shared.ks.databases() {
        return;
    }
    let mut g = shared.repl.lock();
    g.replid = p.replid.clone();
    g.offset = p.offset;
    g.stream_db = p.db;
    crate::notice!(
        "Replication state loaded: will try a partial resync from {}:{}",
        p.replid,
        p.offset
    );
}

/// The link's entry in the client registry, removed when dropped.
struct MasterClient<'a>(Arc<ClientHandle>, &'a Shared);

impl<'a> MasterClient<'a> {
    fn register(shared: &'a Shared, s: &TcpStream) -> Self {
        let addr = |a: Option<std::net::SocketAddr>| a.map_or(String::new(), |a| a.to_string());
        let h = Arc::new(ClientHandle::new(
            shared.clients.next_id(),
            addr(s.peer_addr().ok()),
            addr(s.local_addr().ok()),
            s.as_raw_fd(),
        ));
        h.master.store(true, Ordering::Relaxed);
        shared.clients.add(h.clone());
        MasterClient(h, shared)
    }
}

impl Drop for MasterClient<'_> {
    fn drop(&mut self) {
        self.1.clients.remove(self.0.id);
    }
}

/// Follows the master of generation `gen` until REPLICAOF changes it or the server stops.
pub async fn follow(shared: Arc<Shared>, gen: u64) {
    // The stream's database, kept across reconnections (a continued stream does not repeat
    // its SELECT).
    let mut db = shared.repl.lock().stream_db;
    let mut logged = String::new();
    loop {
        if shared.repl.generation() != gen || shared.shutdown.is_set() {
            return;
        }
        let Some((host, port)) = shared
            .repl
            .lock()
            .master
            .as_ref()
            .map(|m| (m.host.clone(), m.port))
        else {
            return;
        };
        shared.repl.set_link(gen, |m| m.link = Link::Connecting);
        crate::notice!("Connecting to MASTER {host}:{port}");
        // Boxed: the link's state is large, and a debug build copies futures on the stack.
        let res = Box::pin(link(&shared, gen, &host, port, &mut db)).await;
        shared.repl.set_link(gen, |m| {
            m.link = Link::Connect;
            m.down_since.get_or_insert_with(Instant::now);
        });
        if let Err(e) = res {
            // The same failure every second is logged once.
            if e != logged {
                crate::warning!("Replication link with MASTER {host}:{port}: {e}");
                logged = e;
            }
        }
        for _ in 0..10 {
            if shared.repl.generation() != gen || shared.shutdown.is_set() {
                return;
            }
            glommio::timer::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// The socket to the master, with what was read from it and not consumed yet.
struct Wire {
    s: TcpStream,
    buf: Vec<u8>,
    pos: usize,
    timeout: Duration,
}

impl Wire {
    /// Reads more, waiting at most `wait`. Ok(false): nothing came in that time.
    async fn fill(&mut self, wait: Duration) -> Result<bool, String> {
        if self.pos > 0 && self.pos == self.buf.len() {
            self.buf.clear();
            self.pos = 0;
        } else if self.pos > 1 << 20 {
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
        let len = self.buf.len();
        self.buf.resize(len + 64 * 1024, 0);
        let (s, buf) = (&mut self.s, &mut self.buf);
        let read = async { Some(s.read(&mut buf[len..]).await) };
        let timer = async {
            glommio::timer::sleep(wait).await;
            None
        };
        let got = futures_lite::future::or(read, timer).await;
        self.buf.truncate(
            len + got
                .as_ref()
                .and_then(|r| r.as_ref().ok())
                .copied()
                .unwrap_or(0),
        );
        match got {
            None => Ok(false),
            Some(Ok(0)) => Err("the master closed the connection".into()),
            Some(Ok(_)) => Ok(true),
            Some(Err(e)) => Err(format!("reading from the master: {e}")),
        }
    }

    /// Reads more within repl-timeout, or fails.
    async fn more(&mut self) -> Result<(), String> {
        if self.fill(self.timeout).await? {
            Ok(())
        } else {
            Err("timeout talking to the master".into())
        }
    }

    /// The next line without its end; an empty line is a keepalive newline.
    async fn line(&mut self) -> Result<String, String> {
        loop {
            if let Some(i) = memchr::memchr(b'\n', &self.buf[self.pos..]) {
                let l = &self.buf[self.pos..self.pos + i];
                let l = l.strip_suffix(b"\r").unwrap_or(l);
                let l = String::from_utf8_lossy(l).into_owned();
                self.pos += i + 1;
                return Ok(l);
            }
            self.more().await?;
        }
    }

    /// The next line that is not a keepalive.
    async fn reply(&mut self) -> Result<String, String> {
        loop {
            let l = self.line().await?;
            if !l.is_empty() {
                return Ok(l);
            }
        }
    }

    async fn send(&mut self, args: &[&[u8]]) -> Result<(), String> {
        let mut v = Vec::new();
        crate::resp::encode::encode_cmd(&mut v, args);
        self.s
            .write_all(&v)
            .await
            .map_err(|e| format!("writing to the master: {e}"))
    }

    /// Sends a command and reads its one-line reply.
    async fn call(&mut self, args: &[&[u8]]) -> Result<String, String> {
        self.send(args).await?;
        self.reply().await
    }
}

/// One connection to the master: handshake, sync, then the stream until it fails.
async fn link(
    shared: &Arc<Shared>,
    gen: u64,
    host: &str,
    port: u16,
    db: &mut usize,
) -> Result<(), String> {
    let timeout = Duration::from_secs(shared.params.int("repl-timeout").max(1) as u64);
    let connect = TcpStream::connect(format!("{host}:{port}"));
    let s = futures_lite::future::or(async { Some(connect.await) }, async {
        glommio::timer::sleep(timeout).await;
        None
    })
    .await
    .ok_or("timeout connecting to the master")?
    .map_err(|e| format!("can't connect: {e}"))?;
    let _ = s.set_nodelay(true);
    let mut w = Wire {
        s,
        buf: Vec::new(),
        pos: 0,
        timeout,
    };
    let pong = w.call(&[b"PING"]).await?;
    // A master with a password answers -NOAUTH before AUTH: the link goes on to AUTH.
    if pong.starts_with('-') && !pong.starts_with("-NOAUTH") && !pong.starts_with("-NOPERM") {
        return Err(format!("error reply to PING: {pong}"));
    }
    let pass = shared.params.value("masterauth");
    if !pass.is_empty() {
        let user = shared.params.value("masteruser");
        let r = if user.is_empty() {
            w.call(&[b"AUTH", pass.as_bytes()]).await?
        } else {
            w.call(&[b"AUTH", user.as_bytes(), pass.as_bytes()]).await?
        };
        if r.starts_with('-') {
            return Err(format!("unable to AUTH to MASTER: {r}"));
        }
    }
    let announce_port = match shared.params.int("replica-announce-port") {
        0 => shared.port.load(std::sync::atomic::Ordering::Relaxed) as i64,
        p => p,
    };
    w.call(&[
        b"REPLCONF",
        b"listening-port",
        announce_port.to_string().as_bytes(),
    ])
    .await?;
    let ip = shared.params.value("replica-announce-ip");
    if !ip.is_empty() {
        w.call(&[b"REPLCONF", b"ip-address", ip.as_bytes()]).await?;
    }
    w.call(&[b"REPLCONF", b"capa", b"eof", b"capa", b"psync2"])
        .await?;
    let (replid, offset) = {
        let g = shared.repl.lock();
        (g.replid.clone(), g.offset)
    };
    let r = if offset == 0 {
        w.call(&[b"PSYNC", b"?", b"-1"]).await?
    } else {
        let next = (offset + 1).to_string();
        w.call(&[b"PSYNC", replid.as_bytes(), next.as_bytes()])
            .await?
    };
    let mut words = r.split_whitespace();
    // From here the link is the master client of CLIENT LIST (flags=M); CLIENT KILL TYPE
    // master closes it, and the link connects again, as Redis's does. Declared after the
    // socket, so it leaves the registry before the socket closes.
    let client = MasterClient::register(shared, &w.s);
    let mut offset = match words.next() {
        Some("+FULLRESYNC") => {
            let id = words.next().unwrap_or_default().to_string();
            let off: u64 = words
                .next()
                .and_then(|o| o.parse().ok())
                .ok_or_else(|| format!("bad reply to PSYNC: {r}"))?;
            crate::notice!("Full resync from master: {id}:{off}");
            full_sync(shared, gen, &mut w).await?;
            {
                let mut g = shared.repl.lock();
                g.replid = id;
                g.offset = off;
                g.stream_db = 0;
            }
            *db = 0;
            off
        }
        Some("+CONTINUE") => {
            let mut g = shared.repl.lock();
            if let Some(id) = words.next().filter(|id| *id != g.replid) {
                // The master changed its ID (a failover): the old history stays valid here.
                g.replid2 = std::mem::replace(&mut g.replid, id.to_string());
                g.second_offset = g.offset as i64 + 1;
            }
            crate::notice!("Successful partial resynchronization with master.");
            g.offset
        }
        _ => return Err(format!("unexpected reply to PSYNC: {r}")),
    };
    shared.repl.set_link(gen, |m| {
        m.link = Link::Connected;
        m.down_since = None;
        m.last_io = Instant::now();
    });
    crate::notice!("MASTER <-> REPLICA sync: Finished with success");
    stream(shared, gen, &mut w, db, &mut offset, &client.0).await
}

/// Receives the snapshot and loads it in place of the keyspace.
async fn full_sync(shared: &Arc<Shared>, gen: u64, w: &mut Wire) -> Result<(), String> {
    shared.repl.set_link(gen, |m| {
        m.link = Link::Sync;
        m.sync_size = 0;
        m.sync_read = 0;
    });
    let head = w.reply().await?;
    let head = head
        .strip_prefix('$')
        .ok_or_else(|| format!("bad snapshot header from the master: {head}"))?;
    let data = if let Some(mark) = head.strip_prefix("EOF:") {
        // Diskless: the payload ends with the 40-byte mark.
        let mark = mark.as_bytes().to_vec();
        if mark.len() != 40 {
            return Err("bad EOF mark from the master".into());
        }
        loop {
            let have = &w.buf[w.pos..];
            if have.len() >= 40 && have.ends_with(&mark) {
                let data = have[..have.len() - 40].to_vec();
                w.pos = w.buf.len();
                break data;
            }
            let got = (w.buf.len() - w.pos) as u64;
            shared.repl.set_link(gen, |m| {
                m.sync_read = got;
                m.last_io = Instant::now();
            });
            w.more().await?;
        }
    } else {
        let len: usize = head
            .parse()
            .map_err(|_| format!("bad snapshot length from the master: {head}"))?;
        shared.repl.set_link(gen, |m| m.sync_size = len as u64);
        while w.buf.len() - w.pos < len {
            let got = (w.buf.len() - w.pos) as u64;
            shared.repl.set_link(gen, |m| {
                m.sync_read = got;
                m.last_io = Instant::now();
            });
            w.buf.reserve(len - (w.buf.len() - w.pos));
            w.more().await?;
        }
        let data = w.buf[w.pos..w.pos + len].to_vec();
        w.pos += len;
        data
    };
    if shared.repl.generation() != gen {
        return Err("REPLICAOF changed the master".into());
    }
    crate::notice!(
        "MASTER <-> REPLICA sync: Loading DB in memory ({} bytes)",
        data.len()
    );
    // Until the snapshot is in, the data matches no offset of any stream.
    shared.repl.lock().offset = 0;
    let mut r = crate::cmd::Replayer::new(shared);
    r.run_argv(&[b"FLUSHALL", b"SYNC"]);
    r.run_argv(&[b"FUNCTION", b"FLUSH", b"SYNC"]);
    let loaded = crate::rdb::load(&data, crate::keyspace::now_ms(), &mut r)
        .map_err(|e| format!("failed loading the master's snapshot: {e}"))?;
    crate::notice!(
        "MASTER <-> REPLICA sync: loaded {} keys ({} expired left out)",
        loaded.keys,
        loaded.expired
    );
    Ok(())
}

/// Applies the stream from `offset` on until the link fails or the master changes.
async fn stream(
    shared: &Arc<Shared>,
    gen: u64,
    w: &mut Wire,
    db: &mut usize,
    offset: &mut u64,
    client: &ClientHandle,
) -> Result<(), String> {
    let mut r = crate::cmd::Replayer::live(shared, *db);
    let mut parser = Parser::new();
    parser.max_bulk_len = i64::MAX;
    let mut last_ack: Option<Instant> = None;
    let mut last_io = Instant::now();
    loop {
        if shared.repl.generation() != gen || shared.shutdown.is_set() {
            return Ok(());
        }
        let mut getack = None;
        loop {
            // A stopping server leaves between commands, outside MULTI.
            if !r.in_multi() && shared.shutdown.is_set() {
                break;
            }
            let data = &w.buf[w.pos..];
            // Each frame is applied and counted under the gate, so a snapshot taken meanwhile
            // (BGSAVE, a save point) has both or neither.
            let gate = shared.repl.stream_gate.lock();
            let consumed = match parser.parse(data) {
                Ok(Some(Frame::Command { consumed, inline })) => {
                    let args =
                        Args::new(if inline { &parser.inline_buf } else { data }, &parser.args);
                    if args.len() >= 2 && args.is(0, "replconf") && args.is(1, "getack") {
                        // Answered with the offset before it, as Redis does.
                        getack = Some(if r.in_multi() {
                            shared.repl.lock().offset
                        } else {
                            *offset
                        });
                    } else if let Some(e) = r.run(args) {
                        crate::warning!("A command from the master failed: {e}");
                    }
                    consumed
                }
                Ok(Some(Frame::Empty { consumed })) => consumed,
                Ok(None) => break,
                Err(e) => return Err(format!("protocol error from the master: {e}")),
            };
            w.pos += consumed;
            *offset += consumed as u64;
            // The stream's position counts only outside MULTI (as Redis's reploff): a link lost
            // or a server stopped inside a transaction resumes at its MULTI, whose queued
            // commands were never run.
            if !r.in_multi() {
                let mut g = shared.repl.lock();
                g.offset = *offset;
                g.stream_db = r.db();
                drop(g);
                *db = r.db();
            }
            drop(gate);
        }
        let committed = shared.repl.lock().offset;
        let due = last_ack.is_none_or(|t| t.elapsed() >= Duration::from_secs(1));
        if let Some(at) = getack.or(due.then_some(committed)) {
            w.send(&[b"REPLCONF", b"ACK", at.to_string().as_bytes()])
                .await?;
            last_ack = Some(Instant::now());
        }
        client.db.store(r.db(), Ordering::Relaxed);
        if client.killed.load(Ordering::Acquire) {
            return Err("the master client was killed".into());
        }
        if w.fill(Duration::from_millis(100)).await? {
            last_io = Instant::now();
            let age = client.created.elapsed().as_millis() as u64;
            client.last_active.store(age, Ordering::Relaxed);
            shared.repl.set_link(gen, |m| m.last_io = last_io);
        } else if last_io.elapsed() >= w.timeout {
            return Err("timeout: no data from the master".into());
        }
    }
}
