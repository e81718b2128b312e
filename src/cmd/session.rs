//! A connection's session as commands see it: the selected database, what it queued in MULTI,
//! watches, subscribes to or blocks on, and its handle in the client registry.

use crate::shared::clients::ClientHandle;
use std::sync::Arc;

/// Per-connection state that commands may change (the selected db, the protocol, its handle).
pub struct Client {
    pub db: usize,
    pub handle: Arc<ClientHandle>,
    /// AOF offset the replies computed so far must wait for (see [`crate::aof`]).
    pub aof_need: u64,
    /// Commands queued since MULTI.
    pub multi: Option<super::tx::Multi>,
    /// WATCHed keys: database, key, modification count, and whether the key's TTL had already
    /// passed at WATCH time (Redis 7.0: that key's deletion is no change).
    pub watched: Vec<(usize, Box<[u8]>, u64, bool)>,
    /// Pub/sub: this connection's mailbox once it subscribed, and what it is subscribed to.
    pub sub: Option<Arc<crate::shared::pubsub::Subscriber>>,
    pub channels: std::collections::HashSet<Box<[u8]>>,
    pub patterns: std::collections::HashSet<Box<[u8]>>,
    /// Shard channels (SSUBSCRIBE), counted apart from the others as Redis counts them.
    pub shard_channels: std::collections::HashSet<Box<[u8]>>,
    /// Set while a blocking command waits (see [`super::blocking`]).
    pub blocked: Option<super::blocking::Blocked>,
    /// CLIENT REPLY.
    pub reply: Reply,
    /// Receives the MONITOR feed.
    pub monitor: bool,
    /// CLIENT TRACKING's mode while on.
    pub tracking: Option<TrackMode>,
    /// CLIENT CACHING yes|no, for the next command only.
    pub caching: bool,
    /// Whether AUTH (or HELLO ... AUTH) let it in; false only while a password is set.
    pub authenticated: bool,
    /// The ACL user it runs as, as of `acl_epoch` (None until its first command looks it up:
    /// the default user).
    pub user: Option<Arc<crate::shared::acl::User>>,
    pub acl_epoch: u64,
    /// The user may run anything: no check per command.
    pub acl_all: bool,
    /// Where its commands come from now (EXEC, a script), for the ACL's errors and log.
    pub acl_context: super::acl::Context,
    /// A replica's REPLCONF listening-port and ip-address.
    pub repl_port: u16,
    pub repl_ip: Option<String>,
    /// PSYNC/SYNC asked for the replication stream: the connection turns into its feed.
    pub psync: Option<Psync>,
    /// The master's stream on a replica: its writes are not refused as read-only.
    pub master: bool,
    /// Every executor's gate, taken by a script of the batch running now and kept for the
    /// scripts right after it; dispatch drops it before any other command and the connection
    /// at the batch's end, before it waits for anything.
    pub gates: Option<crate::shared::scripts::Exclusive>,
}

/// What a replica asked for.
#[derive(Clone, Debug)]
pub struct Psync {
    /// The replication ID and next offset it has ("?" and -1: none).
    pub replid: String,
    pub offset: i64,
    /// Old SYNC: the snapshot alone, with no +FULLRESYNC line before it.
    pub plain: bool,
}

/// How a client tracks keys (CLIENT TRACKING ON options).
#[derive(Clone, Debug, Default)]
pub struct TrackMode {
    pub redirect: u64,
    pub bcast: bool,
    pub optin: bool,
    pub optout: bool,
    pub noloop: bool,
    pub prefixes: Vec<Box<[u8]>>,
}

/// CLIENT REPLY's modes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Reply {
    #[default]
    On,
    Off,
    /// The next command's reply is dropped.
    SkipNext,
}

impl Client {
    /// Channel and pattern subscriptions, as the (un)subscribe replies count them.
    pub fn subscriptions(&self) -> usize {
        self.channels.len() + self.patterns.len()
    }

    /// Whether any subscription (shard channels too) holds a RESP2 connection in pub/sub mode.
    pub fn subscribed(&self) -> bool {
        self.subscriptions() + self.shard_channels.len() > 0
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
            shard_channels: Default::default(),
            blocked: None,
            reply: Reply::On,
            monitor: false,
            tracking: None,
            caching: false,
            authenticated: true,
            user: None,
            acl_epoch: 0,
            acl_all: false,
            acl_context: Default::default(),
            repl_port: 0,
            repl_ip: None,
            psync: None,
            master: false,
            gates: None,
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
