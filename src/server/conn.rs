//! One client connection: read what the client sent, run every complete command in it, send the
//! replies, repeat.
//!
//! What one client can make the server hold is bounded, as in Redis:
//! - The query buffer holds only bytes that arrived: it grows by doubling from what was read,
//!   never from a length the client announced (a client that announces a 500 MB argument and
//!   sends 1 KB costs about 1 KB), and a client whose unprocessed request (plus what it queued
//!   in MULTI) passes `client-query-buffer-limit` is closed.
//! - Replies go out with non-blocking sends; what the socket does not take waits in the output
//!   buffer ([`Out`]). Without an output limit for the connection's class (normal clients, by
//!   default) the connection reads nothing more until the client has taken its replies, so a
//!   client that sends and never reads costs one batch of replies at most. Under a limit
//!   (`client-output-buffer-limit`; pub/sub clients by default) it keeps reading and running
//!   commands, as Redis does, and is closed once its unsent replies pass the limit.
//! - Buffers and the argument vector a large request or reply grew are given back once it is
//!   done.

use super::ready::{Readiness, Registration};
use crate::aof::LocalAof;
use crate::cmd::{self, Action, Client, Ctx};
use crate::keyspace::Tx;
use crate::resp::{Args, Frame, Out, Parser};
use crate::shared::clients::{self, ClientHandle, CLIENT_BASE_MEM};
use crate::shared::{limits, Shared};
use glommio::net::TcpStream;
use std::os::fd::AsRawFd;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Initial query buffer (address space only: pages are touched as data arrives).
const READ_INITIAL: usize = 16 * 1024;
/// Room each read is offered at least.
const READ_CHUNK: usize = 16 * 1024;
/// Replies are sent mid-batch once this much is buffered, bounding memory for huge pipelines.
const OUT_FLUSH: usize = 256 * 1024;
/// Buffers larger than this are given back when the connection goes idle.
const SHRINK_ABOVE: usize = 1024 * 1024;

/// A connection's place under maxclients (see [`crate::shared::clients::Clients::admit`]), given back
/// when the connection ends, or if it never starts.
pub struct Seat(Arc<Shared>);

impl Seat {
    /// Takes a place, or None when maxclients connections are open.
    pub fn take(shared: &Arc<Shared>) -> Option<Seat> {
        let max = shared.maxclients.load(Ordering::Relaxed);
        shared.clients.admit(max).then(|| Seat(shared.clone()))
    }
}

impl Drop for Seat {
    fn drop(&mut self) {
        self.0.clients.leave();
    }
}

/// Answers a connection over `maxclients` with Redis's error (best effort, without waiting: the
/// socket is new, so the line fits) before it is closed.
pub fn reject(stream: &TcpStream) {
    let msg = b"-ERR max number of clients reached\r\n";
    // SAFETY: a non-blocking send of our own bytes on the connection's open socket.
    unsafe {
        libc::send(
            stream.as_raw_fd(),
            msg.as_ptr().cast(),
            msg.len(),
            libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL,
        )
    };
}

/// Holds back replies until the writes they acknowledge are in the AOF. False: the server is
/// stopping and the file cannot be written, so the replies must not be sent.
async fn durable(client: &mut Client, aof: &LocalAof, shared: &Shared) -> bool {
    if client.aof_need == 0 {
        return true;
    }
    let need = std::mem::take(&mut client.aof_need);
    aof.wait(need, || shared.shutdown.is_set()).await
}

/// `tcp-keepalive N` (300 by default, 0: off): the kernel probes an idle peer after N seconds,
/// every N/3 seconds, and drops it after 3 probes unanswered, as Redis sets it.
fn keepalive(fd: i32, shared: &Shared) {
    let secs = shared
        .tcp_keepalive
        .load(std::sync::atomic::Ordering::Relaxed)
        .min(i32::MAX as u64) as i32;
    if secs <= 0 {
        return;
    }
    let set = |level: i32, opt: i32, v: i32| {
        // SAFETY: setsockopt reads an int we own for the call; the fd is this connection's.
        unsafe {
            libc::setsockopt(
                fd,
                level,
                opt,
                (&v as *const i32).cast(),
                std::mem::size_of::<i32>() as libc::socklen_t,
            )
        };
    };
    set(libc::SOL_SOCKET, libc::SO_KEEPALIVE, 1);
    set(libc::IPPROTO_TCP, libc::TCP_KEEPIDLE, secs);
    set(libc::IPPROTO_TCP, libc::TCP_KEEPINTVL, (secs / 3).max(1));
    set(libc::IPPROTO_TCP, libc::TCP_KEEPCNT, 3);
}

/// Waits until a blocked client's waiter fires or its deadline passes (true: run the command
/// again), or the client is gone, killed or the server stops (false).
async fn wait_unblocked(client: &mut Client, fd: i32, shared: &Shared) -> bool {
    let Some(b) = client.blocked.as_mut() else {
        return true;
    };
    let waiter = b.waiter.clone();
    loop {
        event_listener::listener!(waiter.event => fired);
        if client.handle.killed.load(Ordering::Acquire) || shared.shutdown.is_set() {
            return false;
        }
        // A client that closed its connection must not take an element it can never receive:
        // looked at before every retry.
        let mut probe = 0u8;
        // SAFETY: a non-blocking peek of one byte into our own buffer on the connection's socket.
        let r = unsafe {
            libc::recv(
                fd,
                (&mut probe as *mut u8).cast(),
                1,
                libc::MSG_PEEK | libc::MSG_DONTWAIT,
            )
        };
        if r == 0 {
            return false;
        }
        if waiter.fired.swap(false, Ordering::AcqRel) {
            return true;
        }
        let now = std::time::Instant::now();
        if b.deadline.is_some_and(|d| d <= now) {
            b.timed_out = true;
            return true;
        }
        // Wake at least every 100 ms to notice kills, shutdown and a closed peer.
        let slice = b.deadline.map_or(Duration::from_millis(100), |d| {
            (d - now).min(Duration::from_millis(100))
        });
        futures_lite::future::or(fired, glommio::timer::sleep(slice)).await;
    }
}

/// What a waiting connection woke up for.
enum Woke {
    /// The socket may have data.
    Readable,
    /// The socket may take more of the replies waiting, or pub/sub messages arrived.
    Send,
}

/// The result of one read.
enum Read {
    Data,
    /// Nothing there after all (a stale edge).
    Nothing,
    /// End of file or an error.
    Closed,
}

struct Conn {
    shared: Arc<Shared>,
    exec: usize,
    aof: Rc<LocalAof>,
    socket: Registration,
    fd: i32,
    client: Client,
    /// The query buffer: what arrived, from `start` on not run yet.
    buf: Vec<u8>,
    start: usize,
    parser: Parser,
    out: Out,
    created_ms: u64,
    /// The connection's class has an output buffer limit: it goes on reading while replies wait.
    limited: bool,
    /// The largest amount of unsent replies since the reply buffer was last given back (`rbp`).
    reply_peak: usize,
    /// A connection to the TLS port: its session, between the socket and the buffers above.
    tls: Option<Box<TlsWire>>,
}

/// A TLS connection's state: replies are encrypted as they are sent (a chunk at a time, so at
/// most one chunk's ciphertext waits besides the replies), requests decrypted as they arrive.
struct TlsWire {
    session: rustls::ServerConnection,
    /// Ciphertext not sent yet, from `sent` on.
    out: Vec<u8>,
    sent: usize,
    /// Ciphertext received and not yet given to the session.
    inbuf: Vec<u8>,
}

/// Plaintext handed to the TLS session at a time when sending.
const TLS_CHUNK: usize = 64 * 1024;

impl TlsWire {
    fn unsent(&self) -> usize {
        self.out.len() - self.sent
    }

    /// Moves what the session has to send (handshake, alerts, records) behind `out`.
    fn take_records(&mut self) -> bool {
        while self.session.wants_write() {
            if self.session.write_tls(&mut self.out).is_err() {
                return false;
            }
        }
        true
    }

    /// Sends the ciphertext waiting, as much as the socket takes now. False: it failed.
    fn send(&mut self, socket: &Registration, st: &clients::ExecStats) -> bool {
        while self.sent < self.out.len() {
            match socket.send(&self.out[self.sent..]) {
                Ok(0) => return true,
                Ok(n) => {
                    clients::bump(&st.net_output, n as u64);
                    clients::bump(&st.writes, 1);
                    self.sent += n;
                }
                Err(_) => return false,
            }
        }
        self.out.clear();
        self.sent = 0;
        true
    }

    /// Reads ciphertext from the socket and appends the requests it carries to `buf`.
    fn read(&mut self, socket: &Registration, buf: &mut Vec<u8>, st: &clients::ExecStats) -> Read {
        self.inbuf.reserve(READ_CHUNK);
        match socket.recv_into(&mut self.inbuf, usize::MAX) {
            Ok(Some(0)) | Err(_) => return Read::Closed,
            Ok(Some(n)) => {
                clients::bump(&st.net_input, n as u64);
                clients::bump(&st.reads, 1);
            }
            Ok(None) => return Read::Nothing,
        }
        let before = buf.len();
        let mut closed = false;
        let mut rd: &[u8] = &self.inbuf;
        while !rd.is_empty() && !closed {
            if self.session.read_tls(&mut rd).is_err() {
                return Read::Closed;
            }
            if self.session.process_new_packets().is_err() {
                // The alert that says why goes out before the connection closes.
                self.take_records();
                self.send(socket, st);
                return Read::Closed;
            }
            let mut chunk = [0u8; 16 * 1024];
            loop {
                match std::io::Read::read(&mut self.session.reader(), &mut chunk) {
                    Ok(0) => {
                        closed = true;
                        break;
                    }
                    Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                    Err(_) => {
                        closed = true;
                        break;
                    }
                }
            }
        }
        self.inbuf.clear();
        if self.inbuf.capacity() > SHRINK_ABOVE {
            self.inbuf = Vec::new();
        }
        // Handshake messages go out at once.
        if !self.take_records() || !self.send(socket, st) {
            return Read::Closed;
        }
        if buf.len() > before {
            Read::Data
        } else if closed {
            Read::Closed
        } else {
            Read::Nothing
        }
    }
}

pub async fn serve(
    stream: TcpStream,
    shared: Arc<Shared>,
    exec: usize,
    aof: Rc<LocalAof>,
    readiness: Rc<Readiness>,
    seat: Seat,
    tls: Option<Arc<rustls::ServerConfig>>,
) {
    let _ = stream.set_nodelay(true);
    let tls = match tls.map(rustls::ServerConnection::new) {
        None => None,
        Some(Ok(session)) => Some(Box::new(TlsWire {
            session,
            out: Vec::new(),
            sent: 0,
            inbuf: Vec::new(),
        })),
        Some(Err(_)) => return,
    };
    let fd = stream.as_raw_fd();
    keepalive(fd, &shared);
    // epoll_ctl fails only when the kernel is out of memory or watches: drop the connection.
    let Ok(socket) = readiness.register(fd) else {
        return;
    };
    let handle = Arc::new(ClientHandle::new(
        shared.clients.next_id(),
        stream
            .peer_addr()
            .map(|a| a.to_string())
            .unwrap_or_default(),
        stream
            .local_addr()
            .map(|a| a.to_string())
            .unwrap_or_default(),
        fd,
    ));
    shared.clients.add(handle.clone());
    let authenticated = !shared.auth.required();
    let denied = shared.auth.denies(stream.peer_addr().ok().map(|a| a.ip()));
    let mut c = Conn {
        shared,
        exec,
        aof,
        socket,
        fd,
        client: Client {
            authenticated,
            ..Client::new(handle.clone())
        },
        buf: Vec::with_capacity(READ_INITIAL),
        start: 0,
        parser: Parser::new(),
        out: Out::new(false),
        created_ms: crate::keyspace::now_ms(),
        limited: false,
        reply_peak: 0,
        tls,
    };
    c.publish_mem();
    if denied {
        // Protected mode: the explanation, then the connection closes (as Redis).
        c.out
            .buf
            .extend_from_slice(crate::shared::auth::DENIED.as_bytes());
        c.flush(true).await;
    } else if c.run().await && !c.killed() {
        // Replies computed before QUIT, a protocol error or a shutdown still go out.
        c.flush(true).await;
    }
    c.close();
    // Leave the registry before the socket closes, so CLIENT KILL never reaches a reused fd.
    c.shared.clients.remove(handle.id);
    drop(c);
    drop(stream);
    drop(seat);
}

impl Conn {
    fn killed(&self) -> bool {
        self.client.handle.killed.load(Ordering::Acquire)
    }

    /// Serves the connection until it ends. True: what it has not sent yet should still be sent
    /// (QUIT, a protocol error, the server stopping, the peer closing its side); false: it is
    /// gone or must not get it (killed, over a limit, a failed send).
    async fn run(&mut self) -> bool {
        // Set after a blocked command woke up: run it again before reading more.
        let mut resume = false;
        loop {
            if self.killed() {
                return false;
            }
            if self.shared.shutdown.is_set() {
                return true;
            }
            self.apply_output_limit();
            if !std::mem::take(&mut resume) {
                let woke = self.wait().await;
                // Pub/sub messages taken from the mailbox may have passed the hard limit here,
                // before any publisher saw them counted: the buffer was dropped, so must be
                // the connection.
                if self.out.over {
                    limits::drop_over_output_limit(
                        &self.shared,
                        Some(self.exec),
                        &self.client.handle,
                    );
                    return false;
                }
                match woke {
                    Woke::Send => {
                        if !self.send_now() {
                            return false;
                        }
                        self.publish_mem();
                        continue;
                    }
                    Woke::Readable => match self.read() {
                        Read::Data => {}
                        Read::Nothing => continue,
                        Read::Closed => return true,
                    },
                }
                if self.over_query_limit() {
                    return false;
                }
            }
            let Some(action) = self.run_commands().await else {
                return false;
            };
            if self.out.over {
                limits::drop_over_output_limit(&self.shared, Some(self.exec), &self.client.handle);
                return false;
            }
            // What a large request needed is given back before waiting on the client.
            self.shrink_input();
            match action {
                Action::Continue => {
                    // The other connections this round woke run their commands first, so the
                    // replies go out back to back, as Redis writes them before it sleeps: a
                    // client woken by the first reply finds the rest waiting, where replies
                    // spread out cost it (and the kernel) a wake-up each.
                    if self.socket.others_waiting() {
                        futures_lite::future::yield_now().await;
                    }
                    if !self.flush(!self.limited).await {
                        return false;
                    }
                }
                Action::Close => return true,
                Action::Shutdown => {
                    self.shared.begin_shutdown();
                    return true;
                }
                Action::Replicate => {
                    if self.tls.is_some() || !self.flush(true).await {
                        return false;
                    }
                    let input = self.buf.split_off(self.start);
                    // Boxed: a replica's feed is rare, and its state should not grow every
                    // connection's task.
                    Box::pin(super::feed::serve(
                        &self.shared,
                        &self.socket,
                        &mut self.client,
                        input,
                    ))
                    .await;
                    return false;
                }
                Action::WaitReplicas {
                    offset,
                    replicas,
                    deadline,
                } => {
                    if !self.flush(true).await {
                        return false;
                    }
                    let handle = self.client.handle.clone();
                    let n =
                        super::feed::wait_acks(&self.shared, offset, replicas, deadline, || {
                            handle.killed.load(Ordering::Acquire)
                        })
                        .await;
                    self.out.int(n as i64);
                    // The rest of the pipeline runs now.
                    resume = true;
                }
                Action::Block => {
                    if !self.flush(true).await {
                        return false;
                    }
                    self.publish_mem();
                    if !wait_unblocked(&mut self.client, self.fd, &self.shared).await {
                        return false;
                    }
                    resume = true;
                }
            }
            self.shrink_output();
            self.publish_mem();
        }
    }

    /// Takes the limit of the connection's class (it changes with SUBSCRIBE and CONFIG SET).
    fn apply_output_limit(&mut self) {
        let class = self.client.handle.class();
        let limit = self.shared.output_limits.get(class);
        self.limited = !limit.is_off();
        self.out.set_limit(limit);
    }

    /// Waits for something to do: data to read (unless replies wait and the connection has no
    /// output limit), room for the replies waiting, or pub/sub messages.
    async fn wait(&mut self) -> Woke {
        let (read, write) = self.wants();
        if let Some(sub) = self.client.sub.clone() {
            event_listener::listener!(sub.wake => published);
            if self.take_mail(&sub) {
                return Woke::Send;
            }
            futures_lite::future::or(self.socket.ready(read, write), published).await;
            // Messages published before a command arrived go out before its reply, as in Redis:
            // whatever woke the connection, the mailbox is emptied first.
            self.take_mail(&sub);
        } else {
            self.socket.ready(read, write).await;
        }
        let (read, _) = self.wants();
        match self.socket.readiness() {
            (true, _) if read => Woke::Readable,
            _ => Woke::Send,
        }
    }

    /// Whether to wait for data to read, and for room to send.
    fn wants(&self) -> (bool, bool) {
        let pending = self.unsent() > 0;
        (!pending || self.limited, pending)
    }

    /// Moves the pub/sub messages waiting for this connection behind its replies.
    fn take_mail(&mut self, sub: &crate::shared::pubsub::Subscriber) -> bool {
        let mail = sub.take_mail();
        if mail.is_empty() {
            return false;
        }
        self.out.append_raw(mail);
        true
    }

    /// Reads what the socket has behind what is buffered.
    fn read(&mut self) -> Read {
        if self.start > 0
            && (self.start == self.buf.len() || self.buf.capacity() - self.buf.len() < READ_CHUNK)
        {
            // A partial request moves to the front; the parser's positions are relative to it.
            self.buf.drain(..self.start);
            self.start = 0;
        }
        // Doubles when full: never more than twice what arrived.
        self.buf.reserve(READ_CHUNK);
        if let Some(t) = self.tls.as_mut() {
            return t.read(&self.socket, &mut self.buf, &self.shared.stats[self.exec]);
        }
        match self.socket.recv_into(&mut self.buf, usize::MAX) {
            Ok(Some(0)) | Err(_) => Read::Closed,
            Ok(Some(n)) => {
                let st = &self.shared.stats[self.exec];
                clients::bump(&st.net_input, n as u64);
                clients::bump(&st.reads, 1);
                Read::Data
            }
            Ok(None) => Read::Nothing,
        }
    }

    /// Redis's client-query-buffer-limit: the request bytes not run yet, and the commands
    /// queued in MULTI, may not pass it. Over it, the client is closed without a reply.
    fn over_query_limit(&self) -> bool {
        let held = self.buf.len() - self.start + self.client.multi.as_ref().map_or(0, |m| m.mem());
        if held as u64 <= self.shared.query_buf_limit.load(Ordering::Relaxed) {
            return false;
        }
        limits::log_query_limit(
            &self.shared,
            self.exec,
            &self.client.handle,
            &self.buf[self.start..],
        );
        true
    }

    /// Runs every complete command buffered, appending the replies to the output buffer (and
    /// sending them on the way once they pass [`OUT_FLUSH`]). None: the connection failed.
    async fn run_commands(&mut self) -> Option<Action> {
        self.parser.max_bulk_len = self.shared.proto_max_bulk_len.load(Ordering::Relaxed);
        let now = crate::keyspace::now_ms();
        // CLIENT LIST's idle time: once per batch, not per command.
        self.client
            .handle
            .last_active
            .store(now.saturating_sub(self.created_ms), Ordering::Relaxed);
        let mut action = Action::Continue;
        let mut commands = 0u64;
        // The batch's open view of the keyspace, from which dispatch declares each command's.
        let shared = self.shared.clone();
        let open = Tx::open(&shared.ks);
        loop {
            let data = &self.buf[self.start..];
            match self.parser.parse(data) {
                Ok(Some(Frame::Command { consumed, inline })) => {
                    let args = Args::new(
                        if inline {
                            &self.parser.inline_buf
                        } else {
                            data
                        },
                        &self.parser.args,
                    );
                    let mut ctx = Ctx {
                        shared: &self.shared,
                        client: &mut self.client,
                        out: &mut self.out,
                        now,
                        exec: self.exec,
                        tx: &open,
                    };
                    action = cmd::dispatch(&mut ctx, args);
                    if action == Action::Block {
                        // Left in the buffer, to run again when woken.
                        break;
                    }
                    self.start += consumed;
                    commands += 1;
                    if action != Action::Continue || self.out.over {
                        break;
                    }
                    if self.out.pending_len() >= OUT_FLUSH {
                        // Scripts' gates are never held across a wait.
                        self.client.gates = None;
                        if !self.flush(!self.limited).await {
                            return None;
                        }
                    }
                }
                Ok(Some(Frame::Empty { consumed })) => self.start += consumed,
                Ok(None) => break,
                Err(e) => {
                    self.out.error_str(&e.to_string());
                    action = Action::Close;
                    break;
                }
            }
        }
        // The batch's last scripts hand the gates on (see `shared::scripts`).
        self.client.gates = None;
        clients::bump(&self.shared.stats[self.exec].commands, commands);
        if !self.out.error_codes.is_empty() {
            self.shared
                .record_errors(self.exec, &mut self.out.error_codes);
        }
        Some(action)
    }

    /// Sends the replies waiting, once the writes they acknowledge are in the AOF: all of them
    /// (waiting for room) when `all`, else what the socket takes now. False: the connection
    /// failed or the replies may not be sent.
    async fn flush(&mut self, all: bool) -> bool {
        if self.unsent() == 0 {
            return true;
        }
        self.reply_peak = self.reply_peak.max(self.out.pending_len());
        if !durable(&mut self.client, &self.aof, &self.shared).await {
            return false;
        }
        loop {
            if !self.send_now() {
                return false;
            }
            if !all || self.unsent() == 0 {
                return true;
            }
            // A kill shuts the socket, which ends this wait.
            self.publish_mem();
            self.socket.ready(false, true).await;
            if self.killed() {
                return false;
            }
        }
    }

    /// Sends what the socket takes of the replies waiting, without waiting. False: it failed.
    fn send_now(&mut self) -> bool {
        if let Some(t) = self.tls.as_mut() {
            let st = &self.shared.stats[self.exec];
            loop {
                if !t.send(&self.socket, st) {
                    return false;
                }
                if t.unsent() > 0 || self.out.pending_len() == 0 {
                    return true;
                }
                let pending = self.out.pending();
                let chunk = &pending[..pending.len().min(TLS_CHUNK)];
                match std::io::Write::write(&mut t.session.writer(), chunk) {
                    Ok(0) => return true,
                    Ok(n) => self.out.consume(n),
                    Err(_) => return false,
                }
                if !t.take_records() {
                    return false;
                }
            }
        }
        while self.out.pending_len() > 0 {
            match self.socket.send(self.out.pending()) {
                Ok(0) => break,
                Ok(n) => {
                    let st = &self.shared.stats[self.exec];
                    clients::bump(&st.net_output, n as u64);
                    clients::bump(&st.writes, 1);
                    self.out.consume(n)
                }
                Err(_) => return false,
            }
        }
        true
    }

    /// Replies not sent yet, with a TLS connection's ciphertext waiting.
    fn unsent(&self) -> usize {
        self.out.pending_len() + self.tls.as_ref().map_or(0, |t| t.unsent())
    }

    /// Gives back what a large request made the connection allocate, once it ran.
    fn shrink_input(&mut self) {
        if self.start == self.buf.len() {
            self.start = 0;
            self.buf.clear();
            if self.buf.capacity() > SHRINK_ABOVE {
                self.buf = Vec::with_capacity(READ_INITIAL);
            }
        }
        self.parser.shrink_idle();
    }

    /// Gives back a reply buffer a large reply grew, once it was sent.
    fn shrink_output(&mut self) {
        if self.out.pending_len() == 0 && self.out.buf.capacity() > SHRINK_ABOVE {
            self.out.shrink_idle(SHRINK_ABOVE);
            self.reply_peak = 0;
        }
    }

    /// Stores the buffer figures CLIENT LIST and INFO report.
    fn publish_mem(&self) {
        let m = &self.client.handle.mem;
        let set = |a: &AtomicUsize, v: usize| a.store(v, Ordering::Relaxed);
        let argv = self.parser.mem();
        let multi = self.client.multi.as_ref().map_or(0, |m| m.mem());
        let watched: usize = self.client.watched.iter().map(|w| w.1.len() + 32).sum();
        set(&m.qbuf, self.buf.len() - self.start);
        set(&m.qbuf_free, self.buf.capacity() - self.buf.len());
        set(&m.argv, argv);
        set(&m.multi, multi);
        set(&m.reply_buf, self.out.buf.capacity());
        set(&m.reply_peak, self.reply_peak);
        set(&m.out, self.out.pending_len());
        set(
            &m.total,
            CLIENT_BASE_MEM
                + self.buf.capacity()
                + argv
                + multi
                + self.out.buf.capacity()
                + m.mailbox.load(Ordering::Relaxed)
                + watched,
        );
    }

    /// Drops what the connection holds in the server: WATCHes, subscriptions, a block.
    fn close(&mut self) {
        if let Some(t) = self.tls.as_mut() {
            // A clean end for the peer, if the socket takes it now.
            t.session.send_close_notify();
            if t.take_records() {
                t.send(&self.socket, &self.shared.stats[self.exec]);
            }
        }
        let mut out = Out::new(false);
        let tx = Tx::open(&self.shared.ks);
        let mut ctx = Ctx {
            shared: &self.shared,
            client: &mut self.client,
            out: &mut out,
            now: 0,
            exec: self.exec,
            tx: &tx,
        };
        crate::cmd::tx::unwatch_all(&mut ctx);
        crate::cmd::pubsub::unsubscribe_all(&mut ctx);
        crate::cmd::monitor::stop(&mut ctx);
        crate::cmd::client::tracking_off(&mut ctx);
        ctx.shared.tracking.drop_target(ctx.client.handle.id);
        crate::cmd::blocking::unblock(&mut ctx);
    }
}
