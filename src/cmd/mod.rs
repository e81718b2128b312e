//! The command table and dispatch. Each family lives in its own file; a handler parses its
//! arguments, calls an operation on the keyspace (which never sees a socket), and encodes the reply.

pub mod admin;
pub mod bitmap;
pub mod blocking;
pub mod client;
pub mod connection;
pub mod hash;
pub mod introspection;
pub mod keys;
pub mod list;
pub mod pubsub;
pub mod random;
pub mod session;
pub mod set;
pub mod settings;
pub mod sort;
pub mod stream;
pub mod string;
pub mod tx;
pub mod zset;

use crate::error::{CmdError, CmdResult};
use crate::resp::{parse_i64, Args, Out};
use crate::shared::clients;
use crate::shared::Shared;
pub use session::Client;
use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, OnceLock};

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
}

/// Everything a handler may use: the server, its connection's state and output, the batch's clock.
pub struct Ctx<'a> {
    pub shared: &'a Arc<Shared>,
    pub client: &'a mut Client,
    pub out: &'a mut Out,
    /// Milliseconds since the epoch, read once per batch of commands.
    pub now: u64,
    /// Index of the executor running the connection.
    pub exec: usize,
}

impl<'a> Ctx<'a> {
    /// The keyspace, borrowed from the server rather than from the context, so a shard guard can
    /// be held while the reply is written.
    pub fn ks(&self) -> &'a crate::keyspace::Keyspace {
        &self.shared.ks
    }

    pub fn db(&self) -> usize {
        self.client.db
    }

    /// Counts a keyspace hit or miss for INFO stats.
    pub fn hit(&self, hit: bool) {
        let s = &self.shared.stats[self.exec];
        clients::bump(if hit { &s.hits } else { &s.misses }, 1);
    }
}

pub type Handler = fn(&mut Ctx, Args) -> CmdResult<Action>;

/// One row of the command table, with what COMMAND INFO and COMMAND DOCS report.
pub struct Command {
    pub name: &'static str,
    /// Redis convention: N means exactly N arguments (name included), -N at least N.
    pub arity: i32,
    pub flags: &'static [&'static str],
    /// First key, last key (negative: from the end), step; 0,0,0 when the command takes no key.
    pub keys: (i32, i32, i32),
    pub group: &'static str,
    pub since: &'static str,
    pub summary: &'static str,
    pub handler: Handler,
    /// Has the "write" flag: refused while the AOF cannot be written, and its reply waits for
    /// its AOF record.
    pub write: bool,
}

/// Whether `flags` holds `flag` (usable in the static table).
const fn has_flag(flags: &[&str], flag: &str) -> bool {
    let mut i = 0;
    while i < flags.len() {
        let (a, b) = (flags[i].as_bytes(), flag.as_bytes());
        if a.len() == b.len() {
            let mut j = 0;
            while j < a.len() && a[j] == b[j] {
                j += 1;
            }
            if j == a.len() {
                return true;
            }
        }
        i += 1;
    }
    false
}

macro_rules! table {
    ($( $name:literal, $arity:expr, [$($flag:literal),*], ($f:expr, $l:expr, $s:expr), $group:literal, $since:literal, $handler:path, $summary:literal; )*) => {
        /// Every command ringdis serves.
        pub static COMMANDS: &[Command] = &[
            $( Command { name: $name, arity: $arity, flags: &[$($flag),*], keys: ($f, $l, $s), group: $group,
                         since: $since, summary: $summary, handler: $handler,
                         write: has_flag(&[$($flag),*], "write") }, )*
        ];
    };
}

table! {
    // connection and server
    "ping", -1, ["fast"], (0, 0, 0), "connection", "1.0.0", connection::ping, "Returns the server's liveliness response.";
    "echo", 2, ["fast"], (0, 0, 0), "connection", "1.0.0", connection::echo, "Returns the given string.";
    "quit", -1, ["fast", "no_auth"], (0, 0, 0), "connection", "1.0.0", connection::quit, "Closes the connection.";
    "auth", -2, ["noscript", "loading", "stale", "fast", "no_auth", "allow_busy"], (0, 0, 0), "connection", "1.0.0", connection::auth, "Authenticates the connection.";
    "hello", -1, ["fast", "no_auth"], (0, 0, 0), "connection", "6.0.0", connection::hello, "Handshakes with the Redis server.";
    "select", 2, ["fast", "loading"], (0, 0, 0), "connection", "1.0.0", connection::select, "Changes the selected database.";
    "client", -2, [], (0, 0, 0), "connection", "2.4.0", client::client, "A container for client connection commands.";
    "dbsize", 1, ["readonly", "fast"], (0, 0, 0), "server", "1.0.0", admin::dbsize, "Returns the number of keys in the database.";
    "flushdb", -1, ["write"], (0, 0, 0), "server", "1.0.0", admin::flushdb, "Removes all keys from the current database.";
    "flushall", -1, ["write"], (0, 0, 0), "server", "1.0.0", admin::flushall, "Removes all keys from all databases.";
    "time", 1, ["fast", "loading"], (0, 0, 0), "server", "2.6.0", admin::time, "Returns the server time.";
    "shutdown", -1, ["admin", "noscript", "loading"], (0, 0, 0), "server", "1.0.0", admin::shutdown, "Synchronously saves the database(s) to disk and shuts down the Redis server.";
    "command", -1, ["loading"], (0, 0, 0), "server", "2.8.13", introspection::command, "Returns detailed information about all commands.";
    "config", -2, [], (0, 0, 0), "server", "2.0.0", settings::config, "A container for server configuration commands.";
    "info", -1, ["loading"], (0, 0, 0), "server", "1.0.0", introspection::info, "Returns information and statistics about the server.";
    "latency", -2, [], (0, 0, 0), "server", "2.8.13", introspection::latency, "A container for latency diagnostics commands.";
    "slowlog", -2, [], (0, 0, 0), "server", "2.2.12", introspection::slowlog, "A container for slow log commands.";
    "bgrewriteaof", 1, ["admin", "noscript", "no_async_loading"], (0, 0, 0), "server", "1.0.0", admin::bgrewriteaof, "Asynchronously rewrites the append-only file to disk.";
    "debug", -2, ["admin", "noscript", "loading", "stale"], (0, 0, 0), "server", "1.0.0", admin::debug, "A container for debugging commands.";
    // streams
    "xadd", -5, ["write", "denyoom", "fast"], (1, 1, 1), "stream", "5.0.0", stream::xadd, "Appends a new message to a stream. Creates the key if it doesn't exist.";
    "xlen", 2, ["readonly", "fast"], (1, 1, 1), "stream", "5.0.0", stream::xlen, "Return the number of messages in a stream.";
    "xrange", -4, ["readonly"], (1, 1, 1), "stream", "5.0.0", stream::xrange, "Returns the messages from a stream within a range of IDs.";
    "xrevrange", -4, ["readonly"], (1, 1, 1), "stream", "5.0.0", stream::xrevrange, "Returns the messages from a stream within a range of IDs in reverse order.";
    "xdel", -3, ["write", "fast"], (1, 1, 1), "stream", "5.0.0", stream::xdel, "Returns the number of messages after removing them from a stream.";
    "xtrim", -4, ["write"], (1, 1, 1), "stream", "5.0.0", stream::xtrim, "Deletes messages from the beginning of a stream.";
    "xread", -4, ["readonly", "blocking"], (0, 0, 0), "stream", "5.0.0", stream::xread, "Returns messages from multiple streams with IDs greater than the ones requested. Blocks until a message is available otherwise.";
    // pub/sub
    "subscribe", -2, ["pubsub", "noscript", "loading", "stale"], (0, 0, 0), "pubsub", "2.0.0", pubsub::subscribe, "Listens for messages published to channels.";
    "unsubscribe", -1, ["pubsub", "noscript", "loading", "stale"], (0, 0, 0), "pubsub", "2.0.0", pubsub::unsubscribe, "Stops listening to messages posted to channels.";
    "psubscribe", -2, ["pubsub", "noscript", "loading", "stale"], (0, 0, 0), "pubsub", "2.0.0", pubsub::psubscribe, "Listens for messages published to channels that match one or more patterns.";
    "punsubscribe", -1, ["pubsub", "noscript", "loading", "stale"], (0, 0, 0), "pubsub", "2.0.0", pubsub::punsubscribe, "Stops listening to messages published to channels that match one or more patterns.";
    "publish", 3, ["pubsub", "loading", "stale", "fast"], (0, 0, 0), "pubsub", "2.0.0", pubsub::publish, "Posts a message to a channel.";
    "pubsub", -2, [], (0, 0, 0), "pubsub", "2.8.0", pubsub::pubsub, "A container for Pub/Sub commands.";
    // transactions
    "multi", 1, ["noscript", "loading", "stale", "fast", "allow_busy"], (0, 0, 0), "transactions", "1.2.0", tx::multi, "Starts a transaction.";
    "exec", 1, ["noscript", "loading", "stale", "skip_slowlog"], (0, 0, 0), "transactions", "1.2.0", tx::exec, "Executes all commands in a transaction.";
    "discard", 1, ["noscript", "loading", "stale", "fast", "allow_busy"], (0, 0, 0), "transactions", "2.0.0", tx::discard, "Discards a transaction.";
    "watch", -2, ["noscript", "loading", "stale", "fast", "allow_busy"], (1, -1, 1), "transactions", "2.2.0", tx::watch, "Monitors changes to keys to determine the execution of a transaction.";
    "unwatch", 1, ["noscript", "loading", "stale", "fast", "allow_busy"], (0, 0, 0), "transactions", "2.2.0", tx::unwatch, "Forgets about watched keys of a transaction.";
    // strings
    "get", 2, ["readonly", "fast"], (1, 1, 1), "string", "1.0.0", string::get, "Returns the string value of a key.";
    "set", -3, ["write", "denyoom"], (1, 1, 1), "string", "1.0.0", string::set, "Sets the string value of a key, ignoring its type. The key is created if it doesn't exist.";
    "setnx", 3, ["write", "denyoom", "fast"], (1, 1, 1), "string", "1.0.0", string::setnx, "Set the string value of a key only when the key doesn't exist.";
    "setex", 4, ["write", "denyoom"], (1, 1, 1), "string", "2.0.0", string::setex, "Sets the string value and expiration time of a key. Creates the key if it doesn't exist.";
    "psetex", 4, ["write", "denyoom"], (1, 1, 1), "string", "2.6.0", string::psetex, "Sets both string value and expiration time in milliseconds of a key. The key is created if it doesn't exist.";
    "getset", 3, ["write", "denyoom", "fast"], (1, 1, 1), "string", "1.0.0", string::getset, "Returns the previous string value of a key after setting it to a new value.";
    "getex", -2, ["write", "fast"], (1, 1, 1), "string", "6.2.0", string::getex, "Returns the string value of a key after setting its expiration time.";
    "getdel", 2, ["write", "fast"], (1, 1, 1), "string", "6.2.0", string::getdel, "Returns the string value of a key after deleting the key.";
    "mset", -3, ["write", "denyoom"], (1, -1, 2), "string", "1.0.1", string::mset, "Atomically creates or modifies the string values of one or more keys.";
    "msetnx", -3, ["write", "denyoom"], (1, -1, 2), "string", "1.0.1", string::msetnx, "Atomically modifies the string values of one or more keys only when all keys don't exist.";
    "mget", -2, ["readonly", "fast"], (1, -1, 1), "string", "1.0.0", string::mget, "Atomically returns the string values of one or more keys.";
    "append", 3, ["write", "denyoom", "fast"], (1, 1, 1), "string", "2.0.0", string::append, "Appends a string to the value of a key. Creates the key if it doesn't exist.";
    "strlen", 2, ["readonly", "fast"], (1, 1, 1), "string", "2.2.0", string::strlen, "Returns the length of a string value.";
    "setbit", 4, ["write", "denyoom"], (1, 1, 1), "bitmap", "2.2.0", bitmap::setbit, "Sets or clears one bit of a string (growing it with zero bytes) and returns the bit's old value.";
    "getbit", 3, ["readonly", "fast"], (1, 1, 1), "bitmap", "2.2.0", bitmap::getbit, "Returns one bit of a string (0 past its end).";
    "bitcount", -2, ["readonly"], (1, 1, 1), "bitmap", "2.6.0", bitmap::bitcount, "Counts the set bits of a string, or of a range of its bytes or bits.";
    "bitpos", -3, ["readonly"], (1, 1, 1), "bitmap", "2.8.7", bitmap::bitpos, "Finds the first set or clear bit of a string, or of a range of its bytes or bits.";
    "bitop", -4, ["write", "denyoom"], (2, -1, 1), "bitmap", "2.6.0", bitmap::bitop, "Stores the bitwise AND, OR, XOR or NOT of strings in a key.";
    "bitfield", -2, ["write", "denyoom"], (1, 1, 1), "bitmap", "3.2.0", bitmap::bitfield, "Reads, sets and increments integer fields of any width (i1..i64, u1..u63) at any bit offset of a string.";
    "bitfield_ro", -2, ["readonly", "fast"], (1, 1, 1), "bitmap", "6.0.0", bitmap::bitfield_ro, "BITFIELD restricted to GET.";
    "getrange", 4, ["readonly"], (1, 1, 1), "string", "2.4.0", string::getrange, "Returns a substring of the string stored at a key.";
    "setrange", 4, ["write", "denyoom"], (1, 1, 1), "string", "2.2.0", string::setrange, "Overwrites a part of a string value with another by an offset. Creates the key if it doesn't exist.";
    "incr", 2, ["write", "denyoom", "fast"], (1, 1, 1), "string", "1.0.0", string::incr, "Increments the integer value of a key by one. Uses 0 as initial value if the key doesn't exist.";
    "decr", 2, ["write", "denyoom", "fast"], (1, 1, 1), "string", "1.0.0", string::decr, "Decrements the integer value of a key by one. Uses 0 as initial value if the key doesn't exist.";
    "incrby", 3, ["write", "denyoom", "fast"], (1, 1, 1), "string", "1.0.0", string::incrby, "Increments the integer value of a key by a number. Uses 0 as initial value if the key doesn't exist.";
    "decrby", 3, ["write", "denyoom", "fast"], (1, 1, 1), "string", "1.0.0", string::decrby, "Decrements a number from the integer value of a key. Uses 0 as initial value if the key doesn't exist.";
    "incrbyfloat", 3, ["write", "denyoom", "fast"], (1, 1, 1), "string", "2.6.0", string::incrbyfloat, "Increment the floating point value of a key by a number. Uses 0 as initial value if the key doesn't exist.";
    // hashes
    "hset", -4, ["write", "denyoom", "fast"], (1, 1, 1), "hash", "2.0.0", hash::hset, "Creates or modifies the value of a field in a hash.";
    "hmset", -4, ["write", "denyoom", "fast"], (1, 1, 1), "hash", "2.0.0", hash::hmset, "Sets the values of multiple fields.";
    "hsetnx", 4, ["write", "denyoom", "fast"], (1, 1, 1), "hash", "2.0.0", hash::hsetnx, "Sets the value of a field in a hash only when the field doesn't exist.";
    "hget", 3, ["readonly", "fast"], (1, 1, 1), "hash", "2.0.0", hash::hget, "Returns the value of a field in a hash.";
    "hmget", -3, ["readonly", "fast"], (1, 1, 1), "hash", "2.0.0", hash::hmget, "Returns the values of all fields in a hash.";
    "hgetall", 2, ["readonly"], (1, 1, 1), "hash", "2.0.0", hash::hgetall, "Returns all fields and values in a hash.";
    "hdel", -3, ["write", "fast"], (1, 1, 1), "hash", "2.0.0", hash::hdel, "Deletes one or more fields and their values from a hash. Deletes the hash if no fields remain.";
    "hlen", 2, ["readonly", "fast"], (1, 1, 1), "hash", "2.0.0", hash::hlen, "Returns the number of fields in a hash.";
    "hexists", 3, ["readonly", "fast"], (1, 1, 1), "hash", "2.0.0", hash::hexists, "Determines whether a field exists in a hash.";
    "hkeys", 2, ["readonly"], (1, 1, 1), "hash", "2.0.0", hash::hkeys, "Returns all fields in a hash.";
    "hvals", 2, ["readonly"], (1, 1, 1), "hash", "2.0.0", hash::hvals, "Returns all values in a hash.";
    "hincrby", 4, ["write", "denyoom", "fast"], (1, 1, 1), "hash", "2.0.0", hash::hincrby, "Increments the integer value of a field in a hash by a number. Uses 0 as initial value if the field doesn't exist.";
    "hincrbyfloat", 4, ["write", "denyoom", "fast"], (1, 1, 1), "hash", "2.6.0", hash::hincrbyfloat, "Increments the floating point value of a field by a number. Uses 0 as initial value if the field doesn't exist.";
    "hstrlen", 3, ["readonly", "fast"], (1, 1, 1), "hash", "3.2.0", hash::hstrlen, "Returns the length of the value of a field.";
    "hrandfield", -2, ["readonly"], (1, 1, 1), "hash", "6.2.0", hash::hrandfield, "Returns one or more random fields from a hash.";
    "hscan", -3, ["readonly"], (1, 1, 1), "hash", "2.8.0", hash::hscan, "Iterates over fields and values of a hash.";
    // lists
    "lpush", -3, ["write", "denyoom", "fast"], (1, 1, 1), "list", "1.0.0", list::lpush, "Prepends one or more elements to a list. Creates the key if it doesn't exist.";
    "rpush", -3, ["write", "denyoom", "fast"], (1, 1, 1), "list", "1.0.0", list::rpush, "Appends one or more elements to a list. Creates the key if it doesn't exist.";
    "lpushx", -3, ["write", "denyoom", "fast"], (1, 1, 1), "list", "2.2.0", list::lpushx, "Prepends one or more elements to a list only when the list exists.";
    "rpushx", -3, ["write", "denyoom", "fast"], (1, 1, 1), "list", "2.2.0", list::rpushx, "Appends an element to a list only when the list exists.";
    "lpop", -2, ["write", "fast"], (1, 1, 1), "list", "1.0.0", list::lpop, "Returns the first elements in a list after removing it. Deletes the list if the last element was popped.";
    "rpop", -2, ["write", "fast"], (1, 1, 1), "list", "1.0.0", list::rpop, "Returns and removes the last elements of a list. Deletes the list if the last element was popped.";
    "llen", 2, ["readonly", "fast"], (1, 1, 1), "list", "1.0.0", list::llen, "Returns the length of a list.";
    "lrange", 4, ["readonly"], (1, 1, 1), "list", "1.0.0", list::lrange, "Returns a range of elements from a list.";
    "lindex", 3, ["readonly"], (1, 1, 1), "list", "1.0.0", list::lindex, "Returns an element from a list by its index.";
    "lset", 4, ["write", "denyoom"], (1, 1, 1), "list", "1.0.0", list::lset, "Sets the value of an element in a list by its index.";
    "linsert", 5, ["write", "denyoom"], (1, 1, 1), "list", "2.2.0", list::linsert, "Inserts an element before or after another element in a list.";
    "lrem", 4, ["write"], (1, 1, 1), "list", "1.0.0", list::lrem, "Removes elements from a list. Deletes the list if the last element was removed.";
    "ltrim", 4, ["write"], (1, 1, 1), "list", "1.0.0", list::ltrim, "Removes elements from both ends a list. Deletes the list if all elements were trimmed.";
    "lpos", -3, ["readonly"], (1, 1, 1), "list", "6.0.6", list::lpos, "Returns the index of matching elements in a list.";
    "lmove", 5, ["write", "denyoom"], (1, 2, 1), "list", "6.2.0", list::lmove, "Returns an element after popping it from one list and pushing it to another. Deletes the list if the last element was moved.";
    "blpop", -3, ["write", "noscript", "blocking"], (1, -2, 1), "list", "2.0.0", list::blpop, "Removes and returns the first element in a list. Blocks until an element is available otherwise. Deletes the list if the last element was popped.";
    "brpop", -3, ["write", "noscript", "blocking"], (1, -2, 1), "list", "2.0.0", list::brpop, "Removes and returns the last element in a list. Blocks until an element is available otherwise. Deletes the list if the last element was popped.";
    "blmove", 6, ["write", "denyoom", "noscript", "blocking"], (1, 2, 1), "list", "6.2.0", list::blmove, "Pops an element from a list, pushes it to another list and returns it. Blocks until an element is available otherwise. Deletes the list if the last element was moved.";
    "lmpop", -4, ["write"], (0, 0, 0), "list", "7.0.0", list::lmpop, "Pops up to COUNT elements (default 1) from one end of the first non-empty list of the keys given.";
    "blmpop", -5, ["write", "blocking"], (0, 0, 0), "list", "7.0.0", list::blmpop, "Pops elements as LMPOP does, waiting up to a timeout for one of the lists to have elements.";
    "brpoplpush", 4, ["write", "denyoom", "noscript", "blocking"], (1, 2, 1), "list", "2.2.0", list::brpoplpush, "Moves the last element of a list to the head of another, waiting up to a timeout for one (BLMOVE src dst RIGHT LEFT).";
    "rpoplpush", 3, ["write", "denyoom"], (1, 2, 1), "list", "1.2.0", list::rpoplpush, "Returns the last element of a list after removing and pushing it to another list. Deletes the list if the last element was popped.";
    // sets
    "sadd", -3, ["write", "denyoom", "fast"], (1, 1, 1), "set", "1.0.0", set::sadd, "Adds one or more members to a set. Creates the key if it doesn't exist.";
    "srem", -3, ["write", "fast"], (1, 1, 1), "set", "1.0.0", set::srem, "Removes one or more members from a set. Deletes the set if the last member was removed.";
    "smembers", 2, ["readonly"], (1, 1, 1), "set", "1.0.0", set::smembers, "Returns all members of a set.";
    "sismember", 3, ["readonly", "fast"], (1, 1, 1), "set", "1.0.0", set::sismember, "Determines whether a member belongs to a set.";
    "smismember", -3, ["readonly", "fast"], (1, 1, 1), "set", "6.2.0", set::smismember, "Determines whether multiple members belong to a set.";
    "scard", 2, ["readonly", "fast"], (1, 1, 1), "set", "1.0.0", set::scard, "Returns the number of members in a set.";
    "spop", -2, ["write", "fast"], (1, 1, 1), "set", "1.0.0", set::spop, "Returns one or more random members from a set after removing them. Deletes the set if the last member was popped.";
    "srandmember", -2, ["readonly"], (1, 1, 1), "set", "1.0.0", set::srandmember, "Get one or multiple random members from a set";
    "smove", 4, ["write", "fast"], (1, 2, 1), "set", "1.0.0", set::smove, "Moves a member from one set to another.";
    "sinter", -2, ["readonly"], (1, -1, 1), "set", "1.0.0", set::sinter, "Returns the intersect of multiple sets.";
    "sunion", -2, ["readonly"], (1, -1, 1), "set", "1.0.0", set::sunion, "Returns the union of multiple sets.";
    "sdiff", -2, ["readonly"], (1, -1, 1), "set", "1.0.0", set::sdiff, "Returns the difference of multiple sets.";
    "sinterstore", -3, ["write", "denyoom"], (1, -1, 1), "set", "1.0.0", set::sinterstore, "Stores the intersect of multiple sets in a key.";
    "sunionstore", -3, ["write", "denyoom"], (1, -1, 1), "set", "1.0.0", set::sunionstore, "Stores the union of multiple sets in a key.";
    "sdiffstore", -3, ["write", "denyoom"], (1, -1, 1), "set", "1.0.0", set::sdiffstore, "Stores the difference of multiple sets in a key.";
    "sintercard", -3, ["readonly"], (0, 0, 0), "set", "7.0.0", set::sintercard, "Returns the number of members of the intersect of multiple sets.";
    "sscan", -3, ["readonly"], (1, 1, 1), "set", "2.6.0", set::sscan, "Iterates over members of a set.";
    // sorted sets
    "zadd", -4, ["write", "denyoom", "fast"], (1, 1, 1), "sorted-set", "1.2.0", zset::zadd, "Adds one or more members to a sorted set, or updates their scores. Creates the key if it doesn't exist.";
    "zincrby", 4, ["write", "denyoom", "fast"], (1, 1, 1), "sorted-set", "1.2.0", zset::zincrby, "Increments the score of a member in a sorted set.";
    "zrem", -3, ["write", "fast"], (1, 1, 1), "sorted-set", "1.2.0", zset::zrem, "Removes one or more members from a sorted set. Deletes the sorted set if all members were removed.";
    "zscore", 3, ["readonly", "fast"], (1, 1, 1), "sorted-set", "1.2.0", zset::zscore, "Returns the score of a member in a sorted set.";
    "zmscore", -3, ["readonly", "fast"], (1, 1, 1), "sorted-set", "6.2.0", zset::zmscore, "Returns the score of one or more members in a sorted set.";
    "zcard", 2, ["readonly", "fast"], (1, 1, 1), "sorted-set", "1.2.0", zset::zcard, "Returns the number of members in a sorted set.";
    "zcount", 4, ["readonly", "fast"], (1, 1, 1), "sorted-set", "2.0.0", zset::zcount, "Returns the count of members in a sorted set that have scores within a range.";
    "zlexcount", 4, ["readonly", "fast"], (1, 1, 1), "sorted-set", "2.8.9", zset::zlexcount, "Returns the number of members in a sorted set within a lexicographical range.";
    "zrange", -4, ["readonly"], (1, 1, 1), "sorted-set", "1.2.0", zset::zrange, "Returns members in a sorted set within a range of indexes.";
    "zrevrange", -4, ["readonly"], (1, 1, 1), "sorted-set", "1.2.0", zset::zrevrange, "Returns members in a sorted set within a range of indexes in reverse order.";
    "zrangebyscore", -4, ["readonly"], (1, 1, 1), "sorted-set", "1.0.5", zset::zrangebyscore, "Returns members in a sorted set within a range of scores.";
    "zrevrangebyscore", -4, ["readonly"], (1, 1, 1), "sorted-set", "2.2.0", zset::zrevrangebyscore, "Returns members in a sorted set within a range of scores in reverse order.";
    "zrangebylex", -4, ["readonly"], (1, 1, 1), "sorted-set", "2.8.9", zset::zrangebylex, "Returns members in a sorted set within a lexicographical range.";
    "zrevrangebylex", -4, ["readonly"], (1, 1, 1), "sorted-set", "2.8.9", zset::zrevrangebylex, "Returns members in a sorted set within a lexicographical range in reverse order.";
    "zrangestore", -5, ["write", "denyoom"], (1, 2, 1), "sorted-set", "6.2.0", zset::zrangestore, "Stores a range of members from sorted set in a key.";
    "zrank", 3, ["readonly", "fast"], (1, 1, 1), "sorted-set", "2.0.0", zset::zrank, "Returns the index of a member in a sorted set ordered by ascending scores.";
    "zrevrank", 3, ["readonly", "fast"], (1, 1, 1), "sorted-set", "2.0.0", zset::zrevrank, "Returns the index of a member in a sorted set ordered by descending scores.";
    "zpopmin", -2, ["write", "fast"], (1, 1, 1), "sorted-set", "5.0.0", zset::zpopmin, "Returns the lowest-scoring members from a sorted set after removing them. Deletes the sorted set if the last member was popped.";
    "zpopmax", -2, ["write", "fast"], (1, 1, 1), "sorted-set", "5.0.0", zset::zpopmax, "Returns the highest-scoring members from a sorted set after removing them. Deletes the sorted set if the last member was popped.";
    "bzpopmin", -3, ["write", "noscript", "blocking", "fast"], (1, -2, 1), "sorted-set", "5.0.0", zset::bzpopmin, "Removes and returns the member with the lowest score from one or more sorted sets. Blocks until a member is available otherwise. Deletes the sorted set if the last element was popped.";
    "bzpopmax", -3, ["write", "noscript", "blocking", "fast"], (1, -2, 1), "sorted-set", "5.0.0", zset::bzpopmax, "Removes and returns the member with the highest score from one or more sorted sets. Blocks until a member is available otherwise. Deletes the sorted set if the last element was popped.";
    "zremrangebyrank", 4, ["write"], (1, 1, 1), "sorted-set", "2.0.0", zset::zremrangebyrank, "Removes members in a sorted set within a range of indexes. Deletes the sorted set if all members were removed.";
    "zremrangebyscore", 4, ["write"], (1, 1, 1), "sorted-set", "1.2.0", zset::zremrangebyscore, "Removes members in a sorted set within a range of scores. Deletes the sorted set if all members were removed.";
    "zremrangebylex", 4, ["write"], (1, 1, 1), "sorted-set", "2.8.9", zset::zremrangebylex, "Removes members in a sorted set within a lexicographical range. Deletes the sorted set if all members were removed.";
    "zunionstore", -4, ["write", "denyoom"], (1, 1, 1), "sorted-set", "2.0.0", zset::zunionstore, "Stores the union of multiple sorted sets in a key.";
    "zinterstore", -4, ["write", "denyoom"], (1, 1, 1), "sorted-set", "2.0.0", zset::zinterstore, "Stores the intersect of multiple sorted sets in a key.";
    "zdiffstore", -4, ["write", "denyoom"], (1, 1, 1), "sorted-set", "6.2.0", zset::zdiffstore, "Stores the difference of multiple sorted sets in a key.";
    "zunion", -3, ["readonly"], (0, 0, 0), "sorted-set", "6.2.0", zset::zunion, "Replies with the union of sorted sets (sets count as scores of 1).";
    "zinter", -3, ["readonly"], (0, 0, 0), "sorted-set", "6.2.0", zset::zinter, "Replies with the intersection of sorted sets (sets count as scores of 1).";
    "zdiff", -3, ["readonly"], (0, 0, 0), "sorted-set", "6.2.0", zset::zdiff, "Replies with the members of the first sorted set that none of the others has.";
    "zintercard", -3, ["readonly"], (0, 0, 0), "sorted-set", "7.0.0", zset::zintercard, "Replies with the size of the intersection of sorted sets, optionally capped by LIMIT.";
    "zrandmember", -2, ["readonly"], (1, 1, 1), "sorted-set", "6.2.0", zset::zrandmember, "Replies with one or more random members of a sorted set, optionally with scores.";
    "zmpop", -4, ["write"], (0, 0, 0), "sorted-set", "7.0.0", zset::zmpop, "Pops up to COUNT members (default 1) with their scores from the first non-empty sorted set of the keys given.";
    "bzmpop", -5, ["write", "blocking"], (0, 0, 0), "sorted-set", "7.0.0", zset::bzmpop, "Pops members with their scores as ZMPOP does, waiting up to a timeout for one of the sorted sets to have members.";
    "zscan", -3, ["readonly"], (1, 1, 1), "sorted-set", "2.8.0", zset::zscan, "Iterates over members and scores of a sorted set.";
    // keys
    "del", -2, ["write"], (1, -1, 1), "generic", "1.0.0", keys::del, "Deletes one or more keys.";
    "unlink", -2, ["write", "fast"], (1, -1, 1), "generic", "4.0.0", keys::del, "Asynchronously deletes one or more keys.";
    "exists", -2, ["readonly", "fast"], (1, -1, 1), "generic", "1.0.0", keys::exists, "Determines whether one or more keys exist.";
    "touch", -2, ["readonly", "fast"], (1, -1, 1), "generic", "3.2.1", keys::exists, "Returns the number of existing keys out of those specified after updating the time they were last accessed.";
    "type", 2, ["readonly", "fast"], (1, 1, 1), "generic", "1.0.0", keys::type_, "Determines the type of value stored at a key.";
    "keys", 2, ["readonly"], (0, 0, 0), "generic", "1.0.0", keys::keys, "Returns all key names that match a pattern.";
    "scan", -2, ["readonly"], (0, 0, 0), "generic", "2.8.0", keys::scan, "Iterates over the key names in the database.";
    "copy", -3, ["write", "denyoom"], (1, 2, 1), "generic", "6.2.0", keys::copy, "Copies a key's value and TTL to another key, in this database or the one given with DB.";
    "move", 3, ["write", "fast"], (1, 1, 1), "generic", "1.0.0", keys::move_, "Moves a key, with its TTL, to another database unless the key exists there.";
    "swapdb", 3, ["write", "fast"], (0, 0, 0), "server", "4.0.0", keys::swapdb, "Exchanges the data of two databases; connected clients keep their database numbers.";
    "sort", -2, ["write", "denyoom"], (1, 1, 1), "generic", "1.0.0", sort::sort, "Sorts a list, set or sorted set (numerically, or as text with ALPHA), by its elements or by other keys (BY), replying with them or other keys' values (GET), or storing them (STORE).";
    "sort_ro", -2, ["readonly"], (1, 1, 1), "generic", "7.0.0", sort::sort_ro, "SORT without STORE.";
    "rename", 3, ["write"], (1, 2, 1), "generic", "1.0.0", keys::rename, "Renames a key and overwrites the destination.";
    "renamenx", 3, ["write", "fast"], (1, 2, 1), "generic", "1.0.0", keys::renamenx, "Renames a key only when the target key name doesn't exist.";
    "randomkey", 1, ["readonly"], (0, 0, 0), "generic", "1.0.0", keys::randomkey, "Returns a random key name from the database.";
    "expire", -3, ["write", "fast"], (1, 1, 1), "generic", "1.0.0", keys::expire, "Sets the expiration time of a key in seconds.";
    "pexpire", -3, ["write", "fast"], (1, 1, 1), "generic", "2.6.0", keys::pexpire, "Sets the expiration time of a key in milliseconds.";
    "expireat", -3, ["write", "fast"], (1, 1, 1), "generic", "1.2.0", keys::expireat, "Sets the expiration time of a key to a Unix timestamp.";
    "pexpireat", -3, ["write", "fast"], (1, 1, 1), "generic", "2.6.0", keys::pexpireat, "Sets the expiration time of a key to a Unix milliseconds timestamp.";
    "ttl", 2, ["readonly", "fast"], (1, 1, 1), "generic", "1.0.0", keys::ttl, "Returns the expiration time in seconds of a key.";
    "pttl", 2, ["readonly", "fast"], (1, 1, 1), "generic", "2.6.0", keys::pttl, "Returns the expiration time in milliseconds of a key.";
    "expiretime", 2, ["readonly", "fast"], (1, 1, 1), "generic", "7.0.0", keys::expiretime, "Returns the expiration time of a key as a Unix timestamp.";
    "pexpiretime", 2, ["readonly", "fast"], (1, 1, 1), "generic", "7.0.0", keys::pexpiretime, "Returns the expiration time of a key as a Unix milliseconds timestamp.";
    "persist", 2, ["write", "fast"], (1, 1, 1), "generic", "2.2.0", keys::persist, "Removes the expiration time of a key.";
}

/// Name to table row. ahash rather than the default SipHash: this lookup runs for every command.
type Index = HashMap<&'static [u8], usize, ahash::RandomState>;

fn index() -> &'static Index {
    static INDEX: OnceLock<Index> = OnceLock::new();
    INDEX.get_or_init(|| {
        COMMANDS
            .iter()
            .enumerate()
            .map(|(i, c)| (c.name.as_bytes(), i))
            .collect()
    })
}

/// Finds a command by name, ignoring case, without allocating.
pub fn lookup(name: &[u8]) -> Option<(usize, &'static Command)> {
    let mut lower = [0u8; 24];
    if name.len() > lower.len() {
        return None;
    }
    for (d, s) in lower.iter_mut().zip(name) {
        *d = s.to_ascii_lowercase();
    }
    let i = *index().get(&lower[..name.len()])?;
    Some((i, &COMMANDS[i]))
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
    dispatch_as(ctx, args, true)
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
    client: Client,
    out: Out,
    now: u64,
}

impl<'a> Replayer<'a> {
    pub fn new(shared: &'a Arc<Shared>) -> Self {
        Replayer {
            shared,
            client: Client::detached(),
            out: Out::new(false),
            now: crate::keyspace::now_ms(),
        }
    }

    /// Runs one record: None, or the error it answered with.
    pub fn run(&mut self, args: Args) -> Option<String> {
        let mut ctx = Ctx {
            shared: self.shared,
            client: &mut self.client,
            out: &mut self.out,
            now: self.now,
            exec: 0,
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

fn dispatch_as(ctx: &mut Ctx, args: Args, client_command: bool) -> Action {
    let name = args.get(0);
    let Some((idx, cmd)) = lookup(name) else {
        let rest: Vec<&[u8]> = args.iter().skip(1).collect();
        ctx.out.error(&CmdError::unknown_command(name, &rest));
        fail_multi(ctx);
        return Action::Continue;
    };
    if !arity_ok(cmd.arity, args.len()) {
        ctx.out.error(&CmdError::arity(cmd.name.as_bytes()));
        fail_multi(ctx);
        return Action::Continue;
    }
    if ctx.client.subscriptions() > 0
        && !ctx.out.resp3
        && !pubsub::allowed_when_subscribed(cmd.name)
    {
        ctx.out.error(&CmdError::Other(format!(
            "Can't execute '{}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context",
            cmd.name
        )));
        return Action::Continue;
    }
    if let Some(m) = ctx.client.multi.as_mut() {
        if !tx::runs_inside_multi(cmd.name) {
            m.queue(&args);
            ctx.client
                .handle
                .multi
                .store(m.cmds.len() as isize, Ordering::Relaxed);
            ctx.out.simple("QUEUED");
            return Action::Continue;
        }
    }
    if !client_command {
        return finish((cmd.handler)(ctx, args), ctx);
    }
    // CLIENT LIST's cmd; its idle time is stamped once per batch by the connection, since a
    // clock read per command costs more than the rest of a GET.
    ctx.client.handle.last_cmd.store(idx, Ordering::Relaxed);
    let aof = &ctx.shared.aof;
    if let Some(errno) = aof.failing() {
        // As Redis: while the AOF cannot be written, writes (and PING) are refused.
        if cmd.write || cmd.name == "ping" {
            ctx.out
                .error(&CmdError::MisconfAof(crate::aof::strerror(errno)));
            return Action::Continue;
        }
    }
    // quanta reads the TSC (calibrated once): a vDSO clock_gettime pair per command cost 8% of
    // the server's CPU with -P 16 on this VM.
    let clock = crate::shared::latency::clock();
    let started = clock.raw();
    let r = (cmd.handler)(ctx, args);
    let ns = clock.delta_as_nanos(started, clock.raw());
    let client = &ctx.client;
    ctx.shared.latency.record(ctx.exec, idx, ns, || {
        crate::shared::latency::Latency::slow_entry(
            ns / 1000,
            slowlog_args(&args),
            client.handle.addr.clone(),
            client.handle.name.lock().clone(),
        )
    });
    if cmd.write {
        // The reply may go out only once everything this write appended is in the file.
        ctx.client.aof_need = ctx.client.aof_need.max(aof.appended());
    }
    let action = finish(r, ctx);
    // client-output-buffer-limit, after every command (each of an EXEC's too): the soft limit
    // needs the clock, which this batch's `now` gives.
    if ctx.out.pending_len() > ctx.out.watch_above() {
        ctx.out.check_limit(ctx.now);
    }
    action
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

/// An AOF record: the command's arguments under the canonical name `name` (HMSET is logged as
/// HSET, MSETNX as MSET).
pub fn record<'a>(name: &'a [u8], args: &Args<'a>) -> Vec<&'a [u8]> {
    std::iter::once(name).chain(args.iter().skip(1)).collect()
}

/// The arguments a slow log entry keeps: at most 32 (the last one saying how many more there
/// were), each cut at 128 bytes with a note of how many more it had, as Redis does.
fn slowlog_args(args: &Args) -> impl Iterator<Item = Vec<u8>> {
    let n = args.len();
    let shown = if n > 32 { 31 } else { n };
    let mut v: Vec<Vec<u8>> = args
        .iter()
        .take(shown)
        .map(|a| {
            if a.len() > 128 {
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

/// A command that could not be queued makes the transaction fail at EXEC (EXECABORT).
fn fail_multi(ctx: &mut Ctx) {
    if let Some(m) = ctx.client.multi.as_mut() {
        m.failed = true;
    }
}

/// The Redis version ringdis answers as (HELLO, INFO): the behaviour it implements.
pub const REDIS_VERSION: &str = "7.0.0";

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
    out.simple("    Print this help.");
}

/// Shorthand for handlers that just continue.
pub const OK: CmdResult<Action> = Ok(Action::Continue);

/// An integer argument, or Redis's "not an integer" error.
pub fn int_arg(b: &[u8]) -> CmdResult<i64> {
    parse_i64(b).ok_or(CmdError::NotInteger)
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

/// Collections up to this many entries are returned whole by one HSCAN/SSCAN call, as Redis does
/// for its compact encodings.
pub const SCAN_WHOLE: usize = 128;

/// HSCAN/SSCAN over a collection kept in entry order (an `IndexMap`/`IndexSet`): the indexes to
/// visit and the next cursor. Small collections are visited whole. Otherwise the cursor is an
/// index walked downwards: entries are only appended at the end or moved from the end into a
/// removed entry's slot (swap removal), so every entry present for the whole scan stays below the
/// cursor until it is returned; one moved down from the end may be returned twice, which SCAN
/// allows.
pub fn index_walk(len: usize, cursor: u64, count: usize) -> (std::ops::Range<usize>, u64) {
    if len <= SCAN_WHOLE {
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
/// collection's `len` entries by index ([`index_walk`]), and replies with the kept entries.
pub fn index_scan<'a>(
    out: &mut Out,
    args: &Args,
    cursor: u64,
    len: Option<usize>,
    entry: impl Fn(usize) -> Option<ScanEntry<'a>>,
) -> CmdResult<Action> {
    // As Redis: a missing key is an empty scan, whatever the options say.
    let Some(len) = len else {
        out_cursor(out, 0);
        out.array(0);
        return OK;
    };
    let o = scan_opts(args.from(3), false)?;
    let (range, next) = index_walk(len, cursor, o.count);
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
