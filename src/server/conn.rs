//! One client connection: read a batch, run every complete command in it, write all the replies
//! with one write, repeat. Buffers are reused across batches and never zeroed after the first fill.

use super::clients::{self, ClientHandle};
use super::ready::Readiness;
use super::Shared;
use crate::aof::LocalAof;
use crate::cmd::{self, Action, Ctx};
use crate::resp::{Args, Frame, Out, Parser};
use futures_lite::AsyncWriteExt;
use glommio::net::TcpStream;
use std::os::fd::AsRawFd;
use std::rc::Rc;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

/// Initial read buffer; it grows for large requests and shrinks back when idle.
const READ_INITIAL: usize = 16 * 1024;
/// Replies are flushed mid-batch once this much is buffered, bounding memory for huge pipelines.
const OUT_FLUSH: usize = 256 * 1024;
/// Buffers larger than this are given back when the connection goes idle.
const SHRINK_ABOVE: usize = 1024 * 1024;

/// Per-connection state that commands may change (the selected db, the protocol, its handle).
pub struct Client {
    pub db: usize,
    pub handle: Arc<ClientHandle>,
    /// AOF offset the replies computed so far must wait for (see [`crate::aof`]).
    pub aof_need: u64,
    /// Commands queued since MULTI.
    pub multi: Option<crate::cmd::tx::Multi>,
    /// WATCHed keys: (database, key, modification count at WATCH).
    pub watched: Vec<(usize, Box<[u8]>, u64)>,
    /// Pub/sub: this connection's mailbox once it subscribed, and what it is subscribed to.
    pub sub: Option<Arc<super::pubsub::Subscriber>>,
    pub channels: std::collections::HashSet<Box<[u8]>>,
    pub patterns: std::collections::HashSet<Box<[u8]>>,
    /// Set while a blocking command waits (see [`crate::cmd::blocking`]).
    pub blocked: Option<crate::cmd::blocking::Blocked>,
}

impl Client {
    /// Channel and pattern subscriptions, as the (un)subscribe replies count them.
    pub fn subscriptions(&self) -> usize {
        self.channels.len() + self.patterns.len()
    }
}

impl Client {
    /// A fresh connection's state: database 0, nothing queued, watched, subscribed or blocked.
    pub fn new(handle: Arc<ClientHandle>) -> Self {
        Client {
            db: 0,
            handle,
            aof_need: 0,
            multi: None,
            watched: Vec::new(),
            sub: None,
            channels: Default::default(),
            patterns: Default::default(),
            blocked: None,
        }
    }

    /// A client with no connection: AOF replay runs its records as this client.
    pub fn detached() -> Self {
        Client::new(Arc::new(ClientHandle::new(
            0,
            String::new(),
            String::new(),
            -1,
        )))
    }
}

/// Answers a connection over `maxclients` with Redis's error and closes it.
pub async fn reject(mut stream: TcpStream) {
    let _ = stream
        .write_all(b"-ERR max number of clients reached\r\n")
        .await;
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

/// Waits until a blocked client's waiter fires or its deadline passes (true: run the command
/// again), or the client is gone, killed or the server stops (false).
async fn wait_unblocked(client: &mut Client, stream: &TcpStream, shared: &Shared) -> bool {
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
                stream.as_raw_fd(),
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

pub async fn serve(
    mut stream: TcpStream,
    shared: Arc<Shared>,
    exec: usize,
    aof: Rc<LocalAof>,
    readiness: Rc<Readiness>,
) {
    let _ = stream.set_nodelay(true);
    // epoll_ctl fails only when the kernel is out of memory or watches: drop the connection.
    let Ok(socket) = readiness.register(stream.as_raw_fd()) else {
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
        stream.as_raw_fd(),
    ));
    shared.clients.add(handle.clone());
    let created_ms = crate::keyspace::now_ms();
    let mut client = Client::new(handle.clone());
    // Set after a blocked command woke up: run it again before reading more.
    let mut resume = false;
    let mut buf: Vec<u8> = vec![0; READ_INITIAL];
    let (mut start, mut end) = (0usize, 0usize);
    let mut parser = Parser::new();
    let mut out = Out::new(false);
    let stats = &shared.stats[exec];

    'conn: loop {
        if handle.killed.load(Ordering::Acquire) || shared.shutdown.is_set() {
            break;
        }
        // Make room: move a partial frame to the front, grow for a frame known to be large.
        if start > 0 && (start == end || buf.len() - end < 4096) {
            buf.copy_within(start..end, 0);
            end -= start;
            start = 0;
        }
        // Grow by doubling, never past what the frame needs: a client that announces a 512 MB
        // bulk and sends nothing costs no more than what it actually sent.
        let need = parser.need().max(end + 4096);
        if buf.len() < need {
            let target = need.min((buf.len() * 2).max(end + 4096));
            buf.resize(target, 0);
        } else if end == 0 && buf.len() > SHRINK_ABOVE {
            buf = vec![0; READ_INITIAL];
        }
        // CLIENT KILL and shutdown end this read with end-of-file (see `Clients::kill`).
        let read = if std::mem::take(&mut resume) {
            Ok(usize::MAX)
        } else {
            match client.sub.clone() {
                None => socket.read(&mut buf[end..]).await,
                // A subscriber also wakes for messages published to it, from any executor.
                Some(sub) => {
                    event_listener::listener!(sub.wake => published);
                    let pending = std::mem::take(&mut *sub.mailbox.lock());
                    if !pending.is_empty() {
                        if stream.write_all(&pending).await.is_err() {
                            break;
                        }
                        continue;
                    }
                    let read = futures_lite::future::or(
                        async { Some(socket.read(&mut buf[end..]).await) },
                        async {
                            published.await;
                            None
                        },
                    )
                    .await;
                    match read {
                        Some(r) => r,
                        None => continue,
                    }
                }
            }
        };
        match read {
            Ok(0) | Err(_) => break,
            Ok(usize::MAX) => {}
            Ok(n) => end += n,
        }
        parser.max_bulk_len = shared.proto_max_bulk_len.load(Ordering::Relaxed);
        let now = crate::keyspace::now_ms();
        // CLIENT LIST's idle time: once per batch, not per command.
        handle
            .last_active
            .store(now.saturating_sub(created_ms), Ordering::Relaxed);
        let mut action = Action::Continue;
        let mut commands = 0u64;
        loop {
            let data = &buf[start..end];
            match parser.parse(data) {
                Ok(Some(Frame::Command { consumed, inline })) => {
                    let args =
                        Args::new(if inline { &parser.inline_buf } else { data }, &parser.args);
                    let mut ctx = Ctx {
                        shared: &shared,
                        client: &mut client,
                        out: &mut out,
                        now,
                        exec,
                    };
                    action = cmd::dispatch(&mut ctx, args);
                    if action == Action::Block {
                        // Left in the buffer, to run again when woken.
                        break;
                    }
                    start += consumed;
                    commands += 1;
                    if action != Action::Continue {
                        break;
                    }
                    if out.buf.len() >= OUT_FLUSH {
                        if !durable(&mut client, &aof, &shared).await
                            || stream.write_all(&out.buf).await.is_err()
                        {
                            break 'conn;
                        }
                        out.buf.clear();
                    }
                }
                Ok(Some(Frame::Empty { consumed })) => start += consumed,
                Ok(None) => break,
                Err(e) => {
                    out.error_str(&e.to_string());
                    action = Action::Close;
                    break;
                }
            }
        }
        clients::bump(&stats.commands, commands);
        if start == end {
            start = 0;
            end = 0;
        }
        if !out.buf.is_empty() {
            if !durable(&mut client, &aof, &shared).await
                || stream.write_all(&out.buf).await.is_err()
            {
                break;
            }
            out.buf.clear();
            if out.buf.capacity() > SHRINK_ABOVE {
                out.buf = Vec::with_capacity(1024);
            }
        }
        match action {
            Action::Continue => {}
            Action::Close => break,
            Action::Shutdown => {
                shared.begin_shutdown();
                break;
            }
            Action::Block => {
                if !wait_unblocked(&mut client, &stream, &shared).await {
                    break;
                }
                resume = true;
            }
        }
    }
    // A closed connection's WATCHes go with it.
    {
        let mut out = Out::new(false);
        let mut ctx = Ctx {
            shared: &shared,
            client: &mut client,
            out: &mut out,
            now: 0,
            exec,
        };
        crate::cmd::tx::unwatch_all(&mut ctx);
        crate::cmd::pubsub::unsubscribe_all(&mut ctx);
        crate::cmd::blocking::unblock(&mut ctx);
    }
    // Leave the registry before the socket closes, so CLIENT KILL never reaches a reused fd.
    shared.clients.remove(handle.id);
    drop(socket);
    drop(stream);
}
