//! The command table and dispatch. Each family lives in its own file; a handler parses its
//! arguments, calls an operation on the keyspace (which never sees a socket), and encodes the reply.

pub mod acl;
pub mod admin;
pub mod bitmap;
pub mod blocking;
pub mod client;
pub mod cluster;
pub mod connection;
pub mod dump;
pub mod geo;
pub mod hash;
pub mod hll;
pub mod introspection;
pub mod keys;
pub mod list;
pub mod locks;
pub mod memory;
pub mod monitor;
pub mod pubsub;
pub mod random;
pub mod repl;
pub mod scripting;
pub mod session;
pub mod set;
pub mod settings;
pub mod sort;
pub mod spec;
pub mod stream;
pub mod stream_group;
pub mod string;
pub mod table;
pub mod tx;
pub mod zset;

use crate::error::{CmdError, CmdResult};
use crate::keyspace::{Locks, Tx};
use crate::resp::{parse_i64, Args, Out};
use crate::shared::clients;
use crate::shared::Shared;
pub use session::Client;
pub use spec::{Acl, Flags, KeyFlags, KeySpec};
use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, OnceLock};
pub use table::COMMANDS;

/// What the connection does after a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Continue,
    /// Send what is buffered, then close (QUIT, protocol errors, CLIENT KILL of oneself).
    Close,
    /// Stop the whole server (SHUTDOWN).
    Shutdown,
    /// A blocking command found nothing: leave it unconsumed, wait for the client's waiter (or
    /// its deadline), then run it again.
    Block,
    /// PSYNC/SYNC: the connection becomes a replica's feed (see `Client::psync`).
    Replicate,
    /// WAIT: reply with the count of replicas that acknowledged `offset`, once `replicas` did
    /// or at `deadline` (Unix ms; 0: none).
    WaitReplicas {
        offset: u64,
        replicas: u64,
        deadline: u64,
    },
}

/// Everything a handler may use: the server, its connection's state and output, the batch's clock.
pub struct Ctx<'a, 't> {
    pub shared: &'a Arc<Shared>,
    pub client: &'a mut Client,
    pub out: &'a mut Out,
    /// Milliseconds since the epoch, read once per batch of commands.
    pub now: u64,
    /// Index of the executor running the connection.
    pub exec: usize,
    /// The command's view of the keyspace: the shards it declared, or (at the connection's level)
    /// an open one that dispatch declares each command's shards from.
    pub tx: &'a Tx<'t>,
}

impl<'a, 't> Ctx<'a, 't> {
    /// The keyspace through the transaction layer, borrowed from the context's `Tx` rather than
    /// from the context, so a shard can be held while the reply is written.
    pub fn ks(&self) -> &'a Tx<'t> {
        self.tx
    }

    /// This context with another view of the keyspace (a command's declared shards, EXEC's).
    pub fn with_tx<'b, 'u>(&'b mut self, tx: &'b Tx<'u>) -> Ctx<'b, 'u> {
        Ctx {
            shared: self.shared,
            client: &mut *self.client,
            out: &mut *self.out,
            now: self.now,
            exec: self.exec,
            tx,
        }
    }

    pub fn db(&self) -> usize {
        self.client.db
    }

    /// A read command looked `key` up: counts a keyspace hit or miss (INFO stats) and, for a
    /// miss, publishes `keymiss` (notify-keyspace-events m), as Redis's read lookups do. A key of
    /// another type was found (its WRONGTYPE comes after).
    #[inline]
    pub fn looked_up(&self, key: &[u8], found: bool) {
        let s = &self.shared.stats[self.exec];
        clients::bump(if found { &s.hits } else { &s.misses }, 1);
        if !found {
            self.ks().events().notify(
                self.db(),
                crate::keyspace::events::class::KEY_MISS,
                "keymiss",
                key,
            );
        }
    }

    /// [`Ctx::looked_up`] for the result of a typed read (`Ok(None)`: missing), passed through.
    #[inline]
    pub fn read<T>(&self, key: &[u8], r: CmdResult<Option<T>>) -> CmdResult<Option<T>> {
        self.looked_up(key, !matches!(r, Ok(None)));
        r
    }
}

pub type Handler = fn(&mut Ctx, Args) -> CmdResult<Action>;

/// One row of the command table (see [`table`]), with what COMMAND INFO and COMMAND DOCS report.
pub struct Command {
    /// The full name: `get`, or `client|list` for a subcommand.
    pub name: &'static str,
    /// Redis convention: N means exactly N arguments (name included), -N at least N.
    pub arity: i32,
    pub flags: Flags,
    /// ACL categories beyond those the flags imply (see [`Command::categories`]).
    pub acl: Acl,
    /// Where its keys are (Redis 7 key specs).
    pub keys: &'static [KeySpec],
    /// Where its only key is, for the many that have one key at a fixed position
    /// ([`spec::key_at`]).
    pub key_at: Option<usize>,
    pub group: &'static str,
    pub since: &'static str,
    pub summary: &'static str,
    pub handler: Handler,
    /// A container's subcommands (CLIENT, CONFIG...), each a full row; empty for the others.
    pub subcommands: &'static [Command],
}

impl Command {
    /// Has the `write` flag: refused while the AOF cannot be written, and its reply waits for
    /// its AOF record.
    #[inline]
    pub fn is_write(&self) -> bool {
        self.flags.contains(Flags::WRITE)
    }

    /// The flags COMMAND INFO reports: the declared ones, plus `movablekeys` when the key
    /// positions cannot be told from first/last/step alone (derived from the key specs as Redis
    /// does).
    pub fn flags_all(&self) -> Flags {
        if self.legacy_keys().1 {
            self.flags | Flags::MOVABLE_KEYS
        } else {
            self.flags
        }
    }

    /// ACL categories: the declared ones and those its flags imply.
    pub fn categories(&self) -> Acl {
        let mut implied = Acl::implied_by(self.flags);
        // As Redis: a read-only script command (EVAL_RO) is not @read.
        if self.acl.contains(Acl::SCRIPTING) {
            implied.remove(Acl::READ);
        }
        self.acl | implied
    }

    /// The (first, last, step) COMMAND INFO reports, and whether the keys move (movablekeys),
    /// both derived from the key specs: consecutive plain ranges merge into one; anything else
    /// (a key count, a keyword, an incomplete or gapped spec) makes the keys movable.
    pub fn legacy_keys(&self) -> ((i32, i32, i32), bool) {
        use spec::{BeginSearch, FindKeys};
        let (mut first, mut last, mut movable) = (0, 0, false);
        let plain = |k: &KeySpec| match (k.begin, k.find) {
            (BeginSearch::Index(i), FindKeys::Range { lastkey, step, .. }) => {
                Some((i, lastkey, step))
            }
            _ => None,
        };
        if let [k] = self.keys {
            if let Some((i, lastkey, step)) = plain(k) {
                let last = if lastkey < 0 { lastkey } else { i + lastkey };
                movable = k.flags.contains(KeyFlags::INCOMPLETE);
                return ((i, last, step), movable);
            }
        }
        let mut prev_last = 0;
        for k in self.keys {
            match plain(k) {
                Some((i, lastkey, 1)) if prev_last == 0 || prev_last == i - 1 => {
                    if k.flags.contains(KeyFlags::INCOMPLETE) {
                        movable = true;
                    }
                    let l = if lastkey < 0 { lastkey } else { i + lastkey };
                    if first == 0 {
                        first = i;
                    }
                    last = if l < 0 || last < 0 {
                        l.min(last)
                    } else {
                        l.max(last)
                    };
                    prev_last = l;
                }
                _ => movable = true,
            }
        }
        ((first, last, if first == 0 { 0 } else { 1 }), movable)
    }

    /// The subcommand named `name` (any case) of this container.
    pub fn subcommand(&self, name: &[u8]) -> Option<&'static Command> {
        let (_, c) = lookup_sub(self, name)?;
        Some(c)
    }
}

/// The keys a whole command (`argv`, its name first) uses, with what it does with each, as
/// COMMAND GETKEYS reports them: found from its key specs as Redis 7.0 finds them, except where
/// only the command can tell, as Redis's own key functions do there: SORT's STORE target (its
/// spec is unknown), and the flags of SET (GET reads the old value) and BITFIELD (only GETs
/// read-only). Empty when the arguments do not fit the specs.
pub fn keys_of(cmd: &Command, argv: &[&[u8]]) -> Vec<(usize, KeyFlags)> {
    let is = |i: usize, w: &str| {
        argv.get(i)
            .is_some_and(|a| a.eq_ignore_ascii_case(w.as_bytes()))
    };
    match cmd.name {
        "sort" | "sort_ro" if argv.len() > 1 => {
            let mut keys = vec![(1, KeyFlags::RO | KeyFlags::ACCESS)];
            let mut store = None;
            let mut i = 2;
            while i < argv.len() {
                if is(i, "limit") {
                    i += 2;
                } else if is(i, "get") || is(i, "by") {
                    i += 1;
                } else if is(i, "store") && i + 1 < argv.len() {
                    // The last STORE counts, as in SORT itself.
                    store = Some(i + 1);
                }
                i += 1;
            }
            keys.extend(store.map(|p| (p, KeyFlags::OW | KeyFlags::UPDATE)));
            return keys;
        }
        "set" if argv.len() > 1 => {
            let get = (3..argv.len()).any(|i| is(i, "get"));
            let flags = if get {
                KeyFlags::RW | KeyFlags::ACCESS | KeyFlags::UPDATE
            } else {
                KeyFlags::OW | KeyFlags::UPDATE
            };
            return vec![(1, flags)];
        }
        "bitfield" if argv.len() > 1 => {
            let writes = (2..argv.len()).any(|i| is(i, "set") || is(i, "incrby"));
            let flags = if writes {
                KeyFlags::RW | KeyFlags::ACCESS | KeyFlags::UPDATE
            } else {
                KeyFlags::RO | KeyFlags::ACCESS
            };
            return vec![(1, flags)];
        }
        _ => {}
    }
    let mut keys = Vec::new();
    for k in cmd.keys {
        match k.find(argv) {
            Ok(found) => keys.extend(found.into_iter().map(|p| (p, k.flags))),
            Err(spec::NoFit) => return Vec::new(),
        }
    }
    keys
}

/// A container command's own handler, never reached: dispatch runs its subcommands.
pub fn container(_ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    Err(CmdError::unknown_subcommand(
        args.get(1),
        &String::from_utf8_lossy(args.get(0)).to_ascii_uppercase(),
    ))
}

/// Full name (`get`, `client|list`) to index in [`all`]. ahash rather than the default SipHash:
/// this lookup runs for every command.
type Index = HashMap<&'static [u8], usize, ahash::RandomState>;

/// Every command and subcommand, top-level ones first (in table order, so a top-level command's
/// index is its row in [`COMMANDS`]): the index the latency histograms and CLIENT LIST use.
pub fn all() -> &'static [&'static Command] {
    static ALL: OnceLock<Vec<&'static Command>> = OnceLock::new();
    ALL.get_or_init(|| {
        let subs = COMMANDS.iter().flat_map(|c| c.subcommands.iter());
        COMMANDS.iter().chain(subs).collect()
    })
}

fn index() -> &'static Index {
    static INDEX: OnceLock<Index> = OnceLock::new();
    INDEX.get_or_init(|| {
        all()
            .iter()
            .enumerate()
            .map(|(i, c)| (c.name.as_bytes(), i))
            .collect()
    })
}

/// Longest full name looked up: a container, `|` and a subcommand.
const NAME_MAX: usize = 48;
/// Longest top-level command name (GEORADIUSBYMEMBER_RO has 20 letters).
const TOP_NAME_MAX: usize = 24;

/// The index of a name of at most `N` bytes, lower-cased on the stack (no allocation).
#[inline]
fn find<const N: usize>(name: &[u8]) -> Option<usize> {
    let mut lower = [0u8; N];
    if name.len() > N {
        return None;
    }
    for (d, s) in lower.iter_mut().zip(name) {
        *d = s.to_ascii_lowercase();
    }
    index().get(&lower[..name.len()]).copied()
}

/// Finds a command or subcommand by full name (`client|list`), ignoring case, without allocating.
pub fn lookup(name: &[u8]) -> Option<(usize, &'static Command)> {
    let i = find::<NAME_MAX>(name)?;
    Some((i, all()[i]))
}

/// A name [`lookup_top`] found, as the client spelt it (zero-padded), and its row.
#[derive(Clone, Copy)]
struct Recent {
    words: [u64; TOP_NAME_MAX / 8],
    len: u8,
    idx: u16,
}

thread_local! {
    /// The last names looked up, one per slot (chosen by their first eight bytes): a client
    /// sends few distinct names, and comparing three words costs less than lower-casing,
    /// hashing and probing the index (a script's commands are looked up twice each).
    static RECENT: [std::cell::Cell<Recent>; 8] = const {
        [const { std::cell::Cell::new(Recent { words: [0; TOP_NAME_MAX / 8], len: 0, idx: 0 }) }; 8]
    };
}

/// Finds a top-level command by name, ignoring case: the hot path of dispatch.
#[inline]
fn lookup_top(name: &[u8]) -> Option<(usize, &'static Command)> {
    if name.is_empty() || name.len() > TOP_NAME_MAX {
        return None;
    }
    let mut raw = [0u8; TOP_NAME_MAX];
    raw[..name.len()].copy_from_slice(name);
    let mut words = [0u64; TOP_NAME_MAX / 8];
    for (w, b) in words.iter_mut().zip(raw.chunks_exact(8)) {
        *w = u64::from_ne_bytes(b.try_into().expect("8 bytes"));
    }
    let slot = (words[0].wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 61) as usize;
    let hit = RECENT.with(|r| {
        let e = r[slot].get();
        (e.len as usize == name.len() && e.words == words).then_some(e.idx as usize)
    });
    let i = match hit {
        Some(i) => i,
        None => {
            let i = find::<TOP_NAME_MAX>(name).filter(|&i| i < COMMANDS.len())?;
            let e = Recent {
                words,
                len: name.len() as u8,
                idx: i as u16,
            };
            RECENT.with(|r| r[slot].set(e));
            i
        }
    };
    Some((i, &COMMANDS[i]))
}

/// The subcommand `sub` of `container`, with its index in [`all`].
fn lookup_sub(container: &Command, sub: &[u8]) -> Option<(usize, &'static Command)> {
    let mut full = [0u8; NAME_MAX];
    let (c, n) = (container.name.as_bytes(), container.name.len());
    if n + 1 + sub.len() > full.len() {
        return None;
    }
    full[..n].copy_from_slice(c);
    full[n] = b'|';
    full[n + 1..n + 1 + sub.len()].copy_from_slice(sub);
    lookup(&full[..n + 1 + sub.len()])
}

/// What the name in `args` is.
pub enum Resolved {
    /// A command, or a container's subcommand, with its index in [`all`].
    Found(usize, &'static Command),
    /// A container that has no such subcommand.
    UnknownSubcommand,
    Unknown,
}

/// The command `args` names: a subcommand for a container given one, else the command itself.
#[inline]
pub fn resolve(args: &Args) -> Resolved {
    // A subcommand's full name (`client|list`) is not a command of its own.
    let Some((idx, cmd)) = lookup_top(args.get(0)) else {
        return Resolved::Unknown;
    };
    if cmd.subcommands.is_empty() || args.len() < 2 {
        return Resolved::Found(idx, cmd);
    }
    match lookup_sub(cmd, args.get(1)) {
        Some((i, c)) => Resolved::Found(i, c),
        None => Resolved::UnknownSubcommand,
    }
}

pub fn arity_ok(arity: i32, argc: usize) -> bool {
    if arity >= 0 {
        argc == arity as usize
    } else {
        argc >= arity.unsigned_abs() as usize
    }
}

/// Runs one command and appends its reply to `ctx.out`.
pub fn dispatch(ctx: &mut Ctx, args: Args) -> Action {
    let before = ctx.client.reply;
    let mark = ctx.out.buf.len();
    let action = dispatch_as(ctx, args, true);
    if before != session::Reply::On || ctx.client.reply != session::Reply::On {
        reply_mode(ctx, before, mark, action);
    }
    action
}

/// CLIENT REPLY: drops the replies of a command run with replies OFF (or that turned them
/// off), of the command after SKIP, and of SKIP itself.
fn reply_mode(ctx: &mut Ctx, before: session::Reply, mark: usize, action: Action) {
    use session::Reply;
    if action == Action::Block {
        return;
    }
    let after = ctx.client.reply;
    let drop = after == Reply::Off || before == Reply::SkipNext || after == Reply::SkipNext;
    if drop && ctx.out.buf.len() > mark {
        ctx.out.buf.truncate(mark);
    }
    if before == Reply::SkipNext && after == Reply::SkipNext {
        ctx.client.reply = Reply::On;
    }
}

/// Runs one record of the append-only file at load time: as [`dispatch`], but without the
/// bookkeeping of a client's command (latency histogram, slow log, CLIENT LIST's last command,
/// the AOF wait), which Redis also leaves out while loading; it was about 6% of the load time.
pub fn replay(ctx: &mut Ctx, args: Args) -> Action {
    dispatch_as(ctx, args, false)
}

/// Runs the records of the append-only file at load time, as a client without a connection;
/// given to [`crate::aof::replay`], which reads the file.
pub struct Replayer<'a> {
    shared: &'a Arc<Shared>,
    tx: Tx<'a>,
    /// Keys do not expire while a file loads (None: a replica's live stream, where they do).
    loading: Option<crate::keyspace::tx::Loading<'a>>,
    client: Client,
    out: Out,
    now: u64,
    /// [`Replayer::run_argv`]'s argument buffers, kept between commands (a load runs millions).
    argv: crate::resp::ArgvBuf,
}

impl<'a> Replayer<'a> {
    pub fn new(shared: &'a Arc<Shared>) -> Self {
        let (tx, loading) = Tx::loading(&shared.ks);
        Replayer {
            shared,
            tx,
            loading: Some(loading),
            client: Client::detached(),
            out: Out::new(false),
            now: crate::keyspace::now_ms(),
            argv: Default::default(),
        }
    }

    /// Runs a master's replication stream on a replica: clients are served meanwhile, and
    /// each command sees the clock when it runs.
    pub fn live(shared: &'a Arc<Shared>, db: usize) -> Self {
        let mut client = Client::detached();
        client.db = db;
        client.master = true;
        Replayer {
            shared,
            tx: Tx::open(&shared.ks),
            loading: None,
            client,
            out: Out::new(false),
            now: crate::keyspace::now_ms(),
            argv: Default::default(),
        }
    }

    /// The database the records run in now (SELECT changes it).
    pub fn db(&self) -> usize {
        self.client.db
    }

    /// Inside a MULTI whose EXEC has not come yet.
    pub fn in_multi(&self) -> bool {
        self.client.multi.is_some()
    }

    /// Runs one command given as its arguments: None, or the error it answered with.
    pub fn run_argv(&mut self, argv: &[&[u8]]) -> Option<String> {
        let mut buf = std::mem::take(&mut self.argv);
        let r = self.run(buf.set(argv));
        self.argv = buf;
        r
    }

    /// Runs one record: None, or the error it answered with.
    pub fn run(&mut self, args: Args) -> Option<String> {
        if self.loading.is_none() {
            self.now = crate::keyspace::now_ms();
        }
        let mut ctx = Ctx {
            shared: self.shared,
            client: &mut self.client,
            out: &mut self.out,
            now: self.now,
            exec: 0,
            tx: &self.tx,
        };
        replay(&mut ctx, args);
        let err = (self.out.buf.first() == Some(&b'-')).then(|| {
            String::from_utf8_lossy(&self.out.buf)
                .trim_end()
                .to_string()
        });
        self.out.buf.clear();
        err
    }
}

/// An RDB load (a file, a master's snapshot) through the commands that rebuild it; a string
/// key goes straight to the keyspace with what SET does to it, without a command to build and
/// dispatch (most keys of most files are strings).
impl crate::rdb::Sink for Replayer<'_> {
    fn command(&mut self, argv: &[&[u8]]) -> Result<(), String> {
        self.run_argv(argv).map_or(Ok(()), Err)
    }

    fn expect(&mut self, keys: usize, ttls: usize) {
        self.shared.ks.reserve(self.client.db, keys, ttls);
    }

    fn string(&mut self, key: &[u8], value: &[u8], deadline: Option<u64>) -> Result<(), String> {
        use crate::keyspace::strings::{ExpireSpec, SetOpts};
        let expire = deadline.map_or(ExpireSpec::Clear, ExpireSpec::At);
        let opts = SetOpts {
            expire,
            ..SetOpts::PLAIN
        };
        let db = self.client.db;
        let mut s = self.tx.write(db, key);
        s.set_generic(key, value, opts, self.now)
            .map_err(|e| e.to_string())?;
        s.log_set(key, value, expire);
        s.changed(key, crate::keyspace::events::class::STRING, "set");
        drop(s);
        if deadline.is_some() {
            self.tx.mark_expires(db);
        }
        Ok(())
    }
}

fn dispatch_as(ctx: &mut Ctx, args: Args, client_command: bool) -> Action {
    let name = args.get(0);
    let (idx, cmd) = match resolve(&args) {
        Resolved::Found(idx, cmd) => (idx, cmd),
        Resolved::UnknownSubcommand => {
            ctx.out.error(&CmdError::unknown_subcommand(
                args.get(1),
                &String::from_utf8_lossy(name).to_ascii_uppercase(),
            ));
            fail_multi(ctx);
            return Action::Continue;
        }
        Resolved::Unknown => {
            let rest: Vec<&[u8]> = args.iter().skip(1).collect();
            ctx.out.error(&CmdError::unknown_command(name, &rest));
            fail_multi(ctx);
            return Action::Continue;
        }
    };
    // Refused before running: counted as INFO commandstats' rejected_calls.
    let reject = |ctx: &mut Ctx, e: &CmdError| {
        ctx.out.error(e);
        if client_command {
            ctx.shared.latency.reject(ctx.exec, idx);
        }
    };
    if !arity_ok(cmd.arity, args.len()) {
        reject(ctx, &CmdError::arity(cmd.name.as_bytes()));
        fail_multi(ctx);
        return Action::Continue;
    }
    // As Redis: checked once the command and its arity are known. The password is looked at
    // again, so that removing it lets waiting clients in.
    if !ctx.client.authenticated
        && !cmd.flags.contains(Flags::NO_AUTH)
        && ctx.shared.auth.required()
    {
        reject(ctx, &CmdError::NoAuth);
        fail_multi(ctx);
        return Action::Continue;
    }
    // ACL: a connection picks up its user's new rules before its next command; a user that may
    // run anything (the default one, unless changed) costs this load and a flag.
    if client_command {
        if ctx.client.acl_epoch != ctx.shared.auth.epoch() {
            acl::refresh(ctx);
        }
        if !ctx.client.acl_all {
            if let Err(e) = acl::enforce(ctx, cmd, idx, &args) {
                reject(ctx, &e);
                fail_multi(ctx);
                return Action::Continue;
            }
        }
    }
    if ctx.client.subscribed() && !ctx.out.resp3 && !pubsub::allowed_when_subscribed(cmd.name) {
        let e = CmdError::Other(format!(
            "Can't execute '{}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context",
            cmd.name
        ));
        reject(ctx, &e);
        return Action::Continue;
    }
    if ctx.client.multi.is_some() && cmd.flags.contains(Flags::NO_MULTI) {
        reject(ctx, &CmdError::NotInMulti);
        fail_multi(ctx);
        return Action::Continue;
    }
    // MONITOR, CLIENT PAUSE, CLIENT TRACKING and the latency monitor cost one load here while
    // none of them is in use.
    let special = ctx.shared.special.load(Ordering::Relaxed);
    if client_command && (special != 0 || ctx.client.blocked.is_some()) {
        if let Some(action) = special_before(ctx, cmd, idx, special) {
            return action;
        }
    }
    // Past maxmemory: keys are evicted first, or the command is refused if it may grow memory.
    if client_command && !ctx.tx.is_declared() && !over_memory_ok(ctx, cmd) {
        reject(ctx, &CmdError::Oom);
        fail_multi(ctx);
        return Action::Continue;
    }
    // A replica whose link is down serves only STALE commands under
    // replica-serve-stale-data no.
    if client_command
        && ctx.shared.repl.is_replica()
        && !cmd.flags.contains(Flags::STALE)
        && !ctx.client.master
        && ctx.shared.repl.link_down()
        && ctx.shared.params.value("replica-serve-stale-data") == "no"
    {
        reject(ctx, &CmdError::MasterDown);
        fail_multi(ctx);
        return Action::Continue;
    }
    // A read-only replica takes writes from its master's stream only; min-replicas-to-write
    // refuses writes while too few replicas keep up.
    if client_command && cmd.is_write() && !ctx.client.master {
        let repl = &ctx.shared.repl;
        let refused = if repl.is_replica() {
            (ctx.shared.params.value("replica-read-only") == "yes")
                .then_some(CmdError::ReadOnlyReplica)
        } else {
            (!repl.enough_good_replicas()).then_some(CmdError::NoReplicas)
        };
        if let Some(e) = refused {
            reject(ctx, &e);
            fail_multi(ctx);
            return Action::Continue;
        }
    }
    if let Some(m) = ctx.client.multi.as_mut() {
        if !tx::runs_inside_multi(cmd.name) {
            m.queue(&args);
            m.writes |= cmd.is_write() || cmd.flags.contains(Flags::MAY_REPLICATE);
            m.denyoom |= cmd.flags.contains(Flags::DENYOOM);
            m.scripts |= is_script(cmd);
            ctx.client
                .handle
                .multi
                .store(m.cmds.len() as isize, Ordering::Relaxed);
            ctx.out.simple("QUEUED");
            return Action::Continue;
        }
    }
    if !client_command {
        let r = run(cmd, ctx, args);
        return finish(r, ctx);
    }
    // CLIENT LIST's cmd; its idle time is stamped once per batch by the connection, since a
    // clock read per command costs more than the rest of a GET.
    ctx.client.handle.last_cmd.store(idx, Ordering::Relaxed);
    let aof = &ctx.shared.aof;
    if let Some(errno) = aof.failing() {
        // As Redis: while the AOF cannot be written, writes (and PING) are refused.
        if cmd.is_write() || cmd.name == "ping" {
            reject(ctx, &CmdError::MisconfAof(crate::aof::strerror(errno)));
            return Action::Continue;
        }
    }
    // A client's command holds its executor's gate; a script (or a transaction with one)
    // holds them all, so it runs alone (see `shared::scripts`), and keeps them for the scripts
    // that follow it in the batch (`Gates::script`).
    let mut _gate = None;
    if !ctx.tx.is_declared() {
        let scripts = is_script(cmd)
            || (cmd.name == "exec" && ctx.client.multi.as_ref().is_some_and(|m| m.scripts));
        let gates = &ctx.shared.gates;
        let got = if scripts {
            gates.script(&mut ctx.client.gates, &ctx.shared.busy)
        } else {
            // Any other command hands on the gates a script before it kept.
            ctx.client.gates = None;
            _gate = gates.command(ctx.exec, &ctx.shared.busy);
            _gate.is_some()
        };
        // Past busy-reply-threshold a script's wait ends: the few commands Redis serves
        // meanwhile run without the gate (none of them takes a shard), the rest are refused.
        if !got && !scripting::runs_while_busy(cmd, &args) {
            reject(ctx, &scripting::busy_error(ctx.shared));
            fail_multi(ctx);
            return Action::Continue;
        }
    }
    // quanta reads the TSC (calibrated once): a vDSO clock_gettime pair per command cost 8% of
    // the server's CPU with -P 16 on this VM.
    let clock = crate::shared::latency::clock();
    let started = clock.raw();
    let r = run(cmd, ctx, args);
    let ns = clock.delta_as_nanos(started, clock.raw());
    let client = &ctx.client;
    ctx.shared
        .latency
        .record(ctx.exec, idx, ns, r.is_err(), || {
            crate::shared::latency::Latency::slow_entry(
                ns / 1000,
                slowlog_args(&args),
                client.handle.addr.clone(),
                client.handle.name.lock().clone(),
            )
        });
    if cmd.is_write() {
        // The reply may go out only once everything this write appended is in the file.
        ctx.client.aof_need = ctx.client.aof_need.max(aof.appended());
    }
    let action = finish(r, ctx);
    if special != 0 {
        special_after(ctx, cmd, &args, special, ns, action);
    }
    // client-output-buffer-limit, after every command (each of an EXEC's too): the soft limit
    // needs the clock, which this batch's `now` gives.
    if ctx.out.pending_len() > ctx.out.watch_above() {
        ctx.out.check_limit(ctx.now);
    }
    action
}

/// maxmemory, before a client's command: evicts keys as the policy says until memory fits.
/// False if it does not and the command may grow memory (as Redis: a DENYOOM command, an EXEC
/// that queued one, and anything but EXEC, DISCARD, QUIT and RESET inside MULTI).
fn over_memory_ok(ctx: &mut Ctx, cmd: &Command) -> bool {
    let outcome = ctx
        .shared
        .ks
        .make_room(crate::shared::limits::allocated_bytes, ctx.now);
    if outcome != crate::keyspace::evict::Outcome::Over {
        return true;
    }
    let denyoom = match (&ctx.client.multi, cmd.name) {
        (Some(m), "exec") => m.denyoom,
        (Some(_), "discard" | "quit" | "reset") => false,
        (Some(_), _) => true,
        (None, _) => cmd.flags.contains(Flags::DENYOOM),
    };
    !denyoom
}

/// EVAL, FCALL and their kin: they run alone.
pub(super) fn is_script(cmd: &Command) -> bool {
    matches!(
        cmd.name,
        "eval" | "evalsha" | "eval_ro" | "evalsha_ro" | "fcall" | "fcall_ro"
    )
}

/// Runs `cmd`'s handler through the transaction layer: the shards it declares (see
/// [`locks::declare`]) are held while it runs. Inside a transaction, which declared them all
/// before it began, the handler runs on the transaction's view.
#[inline]
fn run(cmd: &Command, ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    if ctx.tx.is_declared() {
        return handle(cmd, ctx, args);
    }
    if let Some(i) = cmd.key_at {
        if i < args.len() {
            let tx = ctx.tx.lock_key(ctx.client.db, args.get(i), cmd.is_write());
            return handle(cmd, &mut ctx.with_tx(&tx), args);
        }
    }
    let mut locks = Locks::default();
    locks::declare(cmd, &args, ctx.client.db, &ctx.shared.ks, &mut locks, false);
    if locks.is_empty() {
        return (cmd.handler)(ctx, args);
    }
    let tx = ctx.tx.lock(locks);
    handle(cmd, &mut ctx.with_tx(&tx), args)
}

/// Runs the handler with its shards held. A write that changed something (it reported a change
/// with `Shard::changed`) and logged no record of its own gets its own arguments as its AOF
/// record, appended here, still under its locks: handlers log only where the effect differs
/// from the request (absolute TTLs, the value INCR produced, SPOP's SREM...).
#[inline(always)]
fn handle(cmd: &Command, ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    if !cmd.is_write() || !ctx.tx.journaling() {
        return (cmd.handler)(ctx, args);
    }
    let before = ctx.tx.effects();
    let r = (cmd.handler)(ctx, args);
    let (changes, logged) = ctx.tx.effects();
    if changes != before.0 && logged == before.1 {
        log_request(ctx, &args);
    }
    r
}

/// Logs the command as it came as its AOF record (under its locks).
pub(crate) fn log_request(ctx: &Ctx, args: &Args) {
    let rec: smallvec::SmallVec<[&[u8]; 8]> = args.iter().collect();
    ctx.tx.log(ctx.client.db, &rec);
}

/// Before a client's command, while MONITOR, CLIENT PAUSE, CLIENT TRACKING or a postponed
/// command is about: a monitor may not touch keys; a paused command waits (writes, commands
/// that may replicate and EXECs that write, queued into MULTI or not; everything under ALL);
/// the writer is noted for NOLOOP. Some(action): the command does not run now.
#[cold]
#[inline(never)]
fn special_before(ctx: &mut Ctx, cmd: &Command, idx: usize, special: u32) -> Option<Action> {
    use crate::shared::special;
    if special & special::MONITOR != 0
        && ctx.client.monitor
        && cmd
            .flags
            .intersects(Flags::READONLY | Flags::WRITE | Flags::MAY_REPLICATE)
    {
        // Refused before running: a rejected call in INFO commandstats, as the others.
        ctx.out.error(&CmdError::Other(
            "Replica can't interact with the keyspace".into(),
        ));
        ctx.shared.latency.reject(ctx.exec, idx);
        return Some(Action::Continue);
    }
    if special & special::TRACKING != 0 {
        crate::shared::tracking::set_writer(ctx.client.handle.id);
    }
    if ctx.ks().in_exec() {
        return None;
    }
    let postponed = ctx.client.blocked.as_ref().map(|b| b.postponed);
    if postponed == Some(false) {
        return None;
    }
    if special & special::PAUSE != 0 {
        let writes = cmd.is_write()
            || cmd.flags.contains(Flags::MAY_REPLICATE)
            || (cmd.name == "exec" && ctx.client.multi.as_ref().is_some_and(|m| m.writes));
        if let Some(until) = ctx.shared.pause.holds(ctx.now, writes) {
            return Some(blocking::postpone(ctx, until));
        }
        if ctx.shared.pause.over(ctx.now) {
            ctx.shared.set_special(special::PAUSE, false);
        }
    }
    if postponed == Some(true) {
        blocking::unblock(ctx);
    }
    None
}

/// After a client's command, while the latency monitor, CLIENT TRACKING or MONITOR is on:
/// a slow command is a latency event, a tracking client's read keys are remembered, the
/// monitors get the command.
#[cold]
#[inline(never)]
fn special_after(ctx: &mut Ctx, cmd: &Command, args: &Args, special: u32, ns: u64, action: Action) {
    use crate::shared::special;
    if special & special::LATENCY_MONITOR != 0 {
        let event = if cmd.flags.contains(Flags::FAST) {
            "fast-command"
        } else {
            "command"
        };
        ctx.shared.latency.observe(event, ns / 1_000_000);
    }
    if special & special::TRACKING != 0 {
        if ctx.client.tracking.is_some() {
            remember_keys(ctx, cmd, args);
        }
        // After the whole EXEC, not each command in it.
        if !ctx.ks().in_exec() {
            ctx.shared.tracking.flush_bcast();
        }
    }
    if special & special::MONITOR != 0
        && action != Action::Block
        && !cmd.flags.intersects(Flags::ADMIN | Flags::SKIP_MONITOR)
    {
        monitor::feed(ctx, args);
    }
}

/// CLIENT TRACKING (default mode): a read command's keys are remembered for the client, unless
/// OPTIN without CLIENT CACHING yes, or OPTOUT with CLIENT CACHING no, before it. The CACHING
/// choice lasts one command.
fn remember_keys(ctx: &mut Ctx, cmd: &Command, args: &Args) {
    let caching = std::mem::take(&mut ctx.client.caching) || cmd.name == "client|caching";
    if cmd.name == "client|caching" {
        ctx.client.caching = true;
    }
    let Some(m) = &ctx.client.tracking else {
        return;
    };
    if m.bcast || !cmd.flags.contains(Flags::READONLY) {
        return;
    }
    if (m.optin && !caching) || (m.optout && caching) {
        return;
    }
    let argv: Vec<&[u8]> = args.iter().collect();
    let keys: Vec<&[u8]> = keys_of(cmd, &argv)
        .into_iter()
        .map(|(i, _)| argv[i])
        .collect();
    if !keys.is_empty() {
        ctx.shared.tracking.remember(ctx.client.handle.id, &keys);
    }
}

/// A handler's result as the action to take, its error written as the reply.
fn finish(r: CmdResult<Action>, ctx: &mut Ctx) -> Action {
    match r {
        Ok(action) => action,
        Err(e) => {
            ctx.out.error(&e);
            Action::Continue
        }
    }
}

/// The arguments a slow log entry keeps: at most 32 (the last one saying how many more there
/// were), each cut at 128 bytes with a note of how many more it had, as Redis does.
fn slowlog_args(args: &Args) -> impl Iterator<Item = Vec<u8>> {
    let n = args.len();
    let shown = if n > 32 { 31 } else { n };
    let secret = redacted(args);
    let mut v: Vec<Vec<u8>> = args
        .iter()
        .take(shown)
        .enumerate()
        .map(|(i, a)| {
            if secret(i) {
                b"(redacted)".to_vec()
            } else if a.len() > 128 {
                let mut s = a[..128].to_vec();
                s.extend_from_slice(format!("... ({} more bytes)", a.len() - 128).as_bytes());
                s
            } else {
                a.to_vec()
            }
        })
        .collect();
    if n > 32 {
        v.push(format!("... ({} more arguments)", n - 31).into_bytes());
    }
    v.into_iter()
}

/// Which arguments MONITOR and the slow log show as `(redacted)`, as Redis does: AUTH's, and the
/// user and password after HELLO's AUTH.
pub(crate) fn redacted(args: &Args) -> impl Fn(usize) -> bool {
    let name = args.get(0);
    let auth = name.eq_ignore_ascii_case(b"auth");
    let hello_auth = if name.eq_ignore_ascii_case(b"hello") {
        (2..args.len()).find(|&i| args.get(i).eq_ignore_ascii_case(b"auth"))
    } else {
        None
    };
    move |i| (auth && i > 0) || hello_auth.is_some_and(|a| i == a + 1 || i == a + 2)
}

/// A command that could not be queued makes the transaction fail at EXEC (EXECABORT).
fn fail_multi(ctx: &mut Ctx) {
    if let Some(m) = ctx.client.multi.as_mut() {
        m.failed = true;
    }
}

pub use crate::config::REDIS_VERSION;

/// The HELP reply of a container command (also used by other families).
pub fn help(out: &mut Out, cmd: &str, lines: &[&str]) {
    out.array(lines.len() + 3);
    out.simple(&format!(
        "{cmd} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    ));
    for l in lines {
        out.simple(l);
    }
    out.simple("HELP");
    out.simple("    Prints this help.");
}

/// Shorthand for handlers that just continue.
pub const OK: CmdResult<Action> = Ok(Action::Continue);

/// An integer argument, or Redis's "not an integer" error.
pub fn int_arg(b: &[u8]) -> CmdResult<i64> {
    parse_i64(b).ok_or(CmdError::NotInteger)
}

/// A timeout in milliseconds (WAIT, XREAD BLOCK): Redis's integer timeout checks and errors.
pub fn ms_timeout_arg(b: &[u8]) -> CmdResult<u64> {
    let ms = parse_i64(b).ok_or(CmdError::TimeoutNotInt)?;
    u64::try_from(ms).map_err(|_| CmdError::TimeoutNegative)
}

/// Redis's getIntFromObjectOrReply: an integer that fits in a C int.
pub fn c_int_arg(b: &[u8]) -> CmdResult<i32> {
    i32::try_from(int_arg(b)?).map_err(|_| range_error(i32::MIN.into(), i32::MAX.into()))
}

/// The error of Redis's getRangeLongFromObjectOrReply for an integer outside `min..=max`.
pub fn range_error(min: i64, max: i64) -> CmdError {
    CmdError::Other(format!(
        "value is out of range, value must between {min} and {max}"
    ))
}

/// Redis's getPositiveLongFromObjectOrReply: a non-negative integer, or `msg` for anything else
/// (a non-integer included).
pub fn non_negative_arg(b: &[u8], msg: &str) -> CmdResult<usize> {
    parse_i64(b)
        .and_then(|v| usize::try_from(v).ok())
        .ok_or_else(|| CmdError::Other(msg.into()))
}

/// Redis's getRangeLongFromObjectOrReply from 1 with a message: a positive integer, or `msg` for
/// anything else (a non-integer included).
pub fn positive_arg(b: &[u8], msg: &str) -> CmdResult<usize> {
    non_negative_arg(b, msg).and_then(|v| {
        if v == 0 {
            Err(CmdError::Other(msg.into()))
        } else {
            Ok(v)
        }
    })
}

/// A keyword argument among `choices` (any case): its value, or a syntax error.
pub fn keyword_arg<T: Copy>(b: &[u8], choices: &[(&str, T)]) -> CmdResult<T> {
    choices
        .iter()
        .find(|(name, _)| b.eq_ignore_ascii_case(name.as_bytes()))
        .map(|&(_, v)| v)
        .ok_or(CmdError::Syntax)
}

/// A float argument, or Redis's "not a valid float" error.
pub fn float_arg(b: &[u8]) -> CmdResult<f64> {
    crate::resp::parse_f64(b).ok_or(CmdError::NotFloat)
}

/// Parses the options of SCAN/HSCAN after the cursor: MATCH, COUNT and (for SCAN) TYPE.
pub struct ScanOpts<'a> {
    pub pattern: Option<&'a [u8]>,
    pub count: usize,
    pub kind: Option<&'a [u8]>,
}

pub fn scan_opts<'a>(args: Args<'a>, allow_type: bool) -> CmdResult<ScanOpts<'a>> {
    let mut o = ScanOpts {
        pattern: None,
        count: 10,
        kind: None,
    };
    let mut i = 0;
    while i < args.len() {
        if i + 1 >= args.len() {
            return Err(CmdError::Syntax);
        }
        let v = args.get(i + 1);
        if args.is(i, "match") {
            o.pattern = if v == b"*" { None } else { Some(v) };
        } else if args.is(i, "count") {
            let n = int_arg(v)?;
            if n < 1 {
                return Err(CmdError::Syntax);
            }
            o.count = n as usize;
        } else if allow_type && args.is(i, "type") {
            o.kind = Some(v);
        } else {
            return Err(CmdError::Syntax);
        }
        i += 2;
    }
    Ok(o)
}

/// Parses a SCAN cursor as Redis does with strtoul: an unsigned 64-bit decimal, where a leading
/// `-` wraps around (so "-1" is the largest cursor), and an empty text is 0 (strtoul reads no
/// digits and stops at the end, which Redis takes as the whole text read).
pub fn cursor_arg(b: &[u8]) -> CmdResult<u64> {
    if b.is_empty() {
        return Ok(0);
    }
    let (neg, digits) = match b.first() {
        Some(b'-') => (true, &b[1..]),
        Some(b'+') => (false, &b[1..]),
        _ => (false, b),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return Err(CmdError::InvalidCursor);
    }
    let v: u64 = std::str::from_utf8(digits)
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or(CmdError::InvalidCursor)?;
    Ok(if neg { v.wrapping_neg() } else { v })
}

/// HSCAN/SSCAN over a collection kept in entry order (an `IndexMap`/`IndexSet`): the indexes to
/// visit and the next cursor. Small collections are visited whole. Otherwise the cursor is an
/// index walked downwards: entries are only appended at the end or moved from the end into a
/// removed entry's slot (swap removal), so every entry present for the whole scan stays below the
/// cursor until it is returned; one moved down from the end may be returned twice, which SCAN
/// allows.
pub fn index_walk(
    len: usize,
    whole: bool,
    cursor: u64,
    count: usize,
) -> (std::ops::Range<usize>, u64) {
    if whole {
        return (0..len, 0);
    }
    let len = len as u64;
    let top = if cursor == 0 || cursor > len {
        len
    } else {
        cursor
    };
    let bottom = top.saturating_sub(count as u64);
    (bottom as usize..top as usize, bottom)
}

/// One entry of an HSCAN/SSCAN/ZSCAN reply: the name the MATCH pattern applies to, and its value
/// (hash value, score) if the reply carries one.
pub type ScanEntry<'a> = (&'a [u8], Option<std::borrow::Cow<'a, [u8]>>);

/// HSCAN, SSCAN and ZSCAN: parses `cursor [MATCH p] [COUNT n]` at `args[2..]`, walks the
/// collection's `len` entries by index ([`index_walk`]), and replies with the kept entries; all
/// of them at once when `whole` (a packed collection, as Redis answers for its compact
/// encodings).
pub fn index_scan<'a>(
    out: &mut Out,
    args: &Args,
    cursor: u64,
    len: Option<usize>,
    whole: bool,
    entry: impl Fn(usize) -> Option<ScanEntry<'a>>,
) -> CmdResult<Action> {
    // As Redis: a missing key is an empty scan, whatever the options say.
    let Some(len) = len else {
        out_cursor(out, 0);
        out.array(0);
        return OK;
    };
    let o = scan_opts(args.from(3), false)?;
    let (range, next) = index_walk(len, whole, cursor, o.count);
    let items: Vec<ScanEntry> = range
        .filter_map(entry)
        .filter(|(name, _)| {
            o.pattern
                .is_none_or(|p| crate::keyspace::glob::matches(p, name, false))
        })
        .collect();
    out_cursor(out, next);
    out.array(items.iter().map(|(_, v)| 1 + v.is_some() as usize).sum());
    for (name, v) in &items {
        out.bulk(name);
        if let Some(v) = v {
            out.bulk(v);
        }
    }
    OK
}

pub fn out_cursor(out: &mut Out, c: u64) {
    out.array(2);
    out.bulk(itoa::Buffer::new().format(c).as_bytes());
}
