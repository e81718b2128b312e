//! The command table: every command ringdis serves, defined in one place. A row is the name,
//! arity (N: exactly N arguments with the name; -N: at least N), flags, ACL categories beyond those
//! the flags imply, key specs (see [`super::spec`]), group, the version that introduced it, the
//! handler, subcommands (a container command's), and a summary. Flags, categories and key specs
//! are Redis 7.0's for the same command, so COMMAND answers as Redis does.

use super::spec::key::*;
use super::spec::{keynum, keyword, one, range, unknown, Acl, Flags};
use super::{
    acl, admin, bitmap, client, cluster, connection, dump, geo, hash, hll, introspection, keys,
    list, memory, monitor, pubsub, repl, scripting, set, settings, sort, stream, stream_group,
    string, tx, zset, Command,
};

/// Builds table rows: `name, arity, [flags], [categories], [key specs], group, since, handler,
/// subcommands, summary;`.
macro_rules! commands {
    ($( $name:literal, $arity:expr, [$($flag:ident)*], [$($acl:ident)*], [$($spec:expr),*], $group:literal, $since:literal, $handler:path, $subs:expr, $summary:literal; )*) => {
        [
            $( Command {
                name: $name,
                arity: $arity,
                flags: Flags::from_bits_truncate(0 $(| Flags::$flag.bits())*),
                acl: Acl::from_bits_truncate(0 $(| Acl::$acl.bits())*),
                keys: &[$($spec),*],
                key_at: super::spec::key_at($name, &[$($spec),*]),
                group: $group,
                since: $since,
                summary: $summary,
                handler: $handler,
                subcommands: $subs,
            }, )*
        ]
    };
}

/// Every command ringdis serves (subcommands are in their container's row).
pub static COMMANDS: &[Command] = &commands! {
    // connection and server
    "ping", -1, [FAST], [CONNECTION], [], "connection", "1.0.0", connection::ping, &[], "Returns the server's liveliness response.";
    "echo", 2, [LOADING STALE FAST], [CONNECTION], [], "connection", "1.0.0", connection::echo, &[], "Returns the given string.";
    "quit", -1, [NOSCRIPT LOADING STALE FAST NO_AUTH ALLOW_BUSY], [CONNECTION], [], "connection", "1.0.0", connection::quit, &[], "Closes the connection.";
    "auth", -2, [NOSCRIPT LOADING STALE FAST NO_AUTH ALLOW_BUSY], [CONNECTION], [], "connection", "1.0.0", connection::auth, &[], "Authenticates the connection.";
    "hello", -1, [NOSCRIPT LOADING STALE FAST NO_AUTH ALLOW_BUSY], [CONNECTION], [], "connection", "6.0.0", connection::hello, &[], "Handshakes with the Redis server.";
    "eval", -3, [NOSCRIPT SKIP_MONITOR MAY_REPLICATE NO_MANDATORY_KEYS STALE], [SCRIPTING], [keynum(2, 0, 1, 1, RW | ACCESS | UPDATE)], "scripting", "2.6.0", scripting::eval, &[], "Executes a server-side Lua script.";
    "evalsha", -3, [NOSCRIPT SKIP_MONITOR MAY_REPLICATE NO_MANDATORY_KEYS STALE], [SCRIPTING], [keynum(2, 0, 1, 1, RW | ACCESS | UPDATE)], "scripting", "2.6.0", scripting::evalsha, &[], "Executes a server-side Lua script by SHA1 digest.";
    "eval_ro", -3, [NOSCRIPT SKIP_MONITOR NO_MANDATORY_KEYS STALE READONLY], [SCRIPTING], [keynum(2, 0, 1, 1, RO | ACCESS)], "scripting", "7.0.0", scripting::eval_ro, &[], "Executes a read-only server-side Lua script.";
    "evalsha_ro", -3, [NOSCRIPT SKIP_MONITOR NO_MANDATORY_KEYS STALE READONLY], [SCRIPTING], [keynum(2, 0, 1, 1, RO | ACCESS)], "scripting", "7.0.0", scripting::evalsha_ro, &[], "Executes a read-only server-side Lua script by SHA1 digest.";
    "script", -2, [], [], [], "scripting", "2.6.0", super::container, SCRIPT_SUBS, "A container for Lua scripts management commands.";
    "fcall", -3, [NOSCRIPT SKIP_MONITOR NO_MANDATORY_KEYS STALE], [SCRIPTING], [keynum(2, 0, 1, 1, RW | ACCESS | UPDATE)], "scripting", "7.0.0", scripting::functions::fcall, &[], "Invokes a function.";
    "fcall_ro", -3, [NOSCRIPT SKIP_MONITOR NO_MANDATORY_KEYS STALE READONLY], [SCRIPTING], [keynum(2, 0, 1, 1, RO | ACCESS)], "scripting", "7.0.0", scripting::functions::fcall_ro, &[], "Invokes a read-only function.";
    "function", -2, [], [], [], "scripting", "7.0.0", super::container, FUNCTION_SUBS, "A container for function commands.";
    "select", 2, [LOADING STALE FAST], [CONNECTION], [], "connection", "1.0.0", connection::select, &[], "Changes the selected database.";
    "reset", 1, [NOSCRIPT LOADING STALE FAST NO_AUTH ALLOW_BUSY], [CONNECTION], [], "connection", "6.2.0", connection::reset, &[], "Resets the connection.";
    // Redis Cluster's commands, on a server that is not a cluster node
    "cluster", -2, [], [], [], "cluster", "3.0.0", super::container, CLUSTER_SUBS, "A container for Redis Cluster commands.";
    "asking", 1, [FAST], [CONNECTION], [], "cluster", "3.0.0", cluster::disabled, &[], "Signals that a cluster client is following an -ASK redirect.";
    "readonly", 1, [LOADING STALE FAST], [CONNECTION], [], "cluster", "3.0.0", cluster::disabled, &[], "Enables read-only queries for a connection to a Redis Cluster replica node.";
    "readwrite", 1, [LOADING STALE FAST], [CONNECTION], [], "cluster", "3.0.0", cluster::disabled, &[], "Enables read-write queries for a connection to a Redis Cluster replica node.";
    "wait", 3, [NOSCRIPT], [CONNECTION], [], "generic", "3.0.0", repl::wait, &[], "Blocks until the asynchronous replication of all preceding write commands sent by the connection is completed.";
    "replicaof", 3, [NO_ASYNC_LOADING ADMIN NOSCRIPT STALE], [DANGEROUS], [], "server", "5.0.0", repl::replicaof, &[], "Configures a server as replica of another, or promotes it to a master.";
    "slaveof", 3, [NO_ASYNC_LOADING ADMIN NOSCRIPT STALE], [DANGEROUS], [], "server", "1.0.0", repl::replicaof, &[], "Sets a Redis server as a replica of another, or promotes it to being a master.";
    "replconf", -1, [ADMIN NOSCRIPT LOADING STALE ALLOW_BUSY], [DANGEROUS], [], "server", "3.0.0", repl::replconf, &[], "An internal command for configuring the replication stream.";
    "psync", -3, [NO_ASYNC_LOADING ADMIN NOSCRIPT NO_MULTI], [DANGEROUS], [], "server", "2.8.0", repl::psync, &[], "An internal command used in replication.";
    "sync", 1, [NO_ASYNC_LOADING ADMIN NOSCRIPT NO_MULTI], [DANGEROUS], [], "server", "1.0.0", repl::sync, &[], "An internal command used in replication.";
    "monitor", 1, [ADMIN NOSCRIPT LOADING STALE], [], [], "server", "1.0.0", monitor::monitor, &[], "Listens for all requests received by the server in real-time.";
    "lolwut", -1, [READONLY FAST], [], [], "server", "5.0.0", admin::lolwut, &[], "Displays computer art and the Redis version.";
    "client", -2, [], [], [], "connection", "2.4.0", super::container, CLIENT_SUBS, "A container for client connection commands.";
    "acl", -2, [], [], [], "server", "6.0.0", super::container, ACL_SUBS, "A container for Access List Control commands.";
    "dbsize", 1, [READONLY FAST], [KEYSPACE], [], "server", "1.0.0", admin::dbsize, &[], "Returns the number of keys in the database.";
    "flushdb", -1, [WRITE], [KEYSPACE DANGEROUS], [], "server", "1.0.0", admin::flushdb, &[], "Removes all keys from the current database.";
    "flushall", -1, [WRITE], [KEYSPACE DANGEROUS], [], "server", "1.0.0", admin::flushall, &[], "Removes all keys from all databases.";
    "time", 1, [LOADING STALE FAST], [], [], "server", "2.6.0", admin::time, &[], "Returns the server time.";
    "shutdown", -1, [ADMIN NOSCRIPT LOADING STALE NO_MULTI ALLOW_BUSY], [], [], "server", "1.0.0", admin::shutdown, &[], "Synchronously saves the database(s) to disk and shuts down the Redis server.";
    "command", -1, [LOADING STALE], [CONNECTION], [], "server", "2.8.13", introspection::command, COMMAND_SUBS, "Returns detailed information about all commands.";
    "config", -2, [], [], [], "server", "2.0.0", super::container, CONFIG_SUBS, "A container for server configuration commands.";
    "info", -1, [LOADING STALE], [DANGEROUS], [], "server", "1.0.0", introspection::info, &[], "Returns information and statistics about the server.";
    "latency", -2, [], [], [], "server", "2.8.13", super::container, LATENCY_SUBS, "A container for latency diagnostics commands.";
    "module", -2, [], [], [], "server", "4.0.0", super::container, MODULE_SUBS, "A container for module commands.";
    "memory", -2, [], [], [], "server", "4.0.0", super::container, MEMORY_SUBS, "A container for memory diagnostics commands.";
    "lastsave", 1, [LOADING STALE FAST], [ADMIN DANGEROUS], [], "server", "1.0.0", memory::lastsave, &[], "Returns the Unix timestamp of the last successful save to disk.";
    "role", 1, [NOSCRIPT LOADING STALE FAST], [ADMIN DANGEROUS], [], "server", "2.8.12", repl::role, &[], "Returns the replication role.";
    "object", -2, [], [], [], "generic", "2.2.3", super::container, OBJECT_SUBS, "A container for object introspection commands.";
    "slowlog", -2, [], [], [], "server", "2.2.12", super::container, SLOWLOG_SUBS, "A container for slow log commands.";
    "save", 1, [ADMIN NOSCRIPT NO_ASYNC_LOADING NO_MULTI], [], [], "server", "1.0.0", admin::save, &[], "Synchronously saves the database(s) to disk.";
    "bgsave", -1, [ADMIN NOSCRIPT NO_ASYNC_LOADING], [], [], "server", "1.0.0", admin::bgsave, &[], "Asynchronously saves the database(s) to disk.";
    "bgrewriteaof", 1, [ADMIN NOSCRIPT NO_ASYNC_LOADING], [], [], "server", "1.0.0", admin::bgrewriteaof, &[], "Asynchronously rewrites the append-only file to disk.";
    "debug", -2, [ADMIN NOSCRIPT LOADING STALE], [], [], "server", "1.0.0", admin::debug, &[], "A container for debugging commands.";
    // streams
    "xadd", -5, [WRITE DENYOOM FAST], [STREAM], [one(1, RW | UPDATE)], "stream", "5.0.0", stream::xadd, &[], "Appends a new message to a stream. Creates the key if it doesn't exist.";
    "xlen", 2, [READONLY FAST], [STREAM], [one(1, RO)], "stream", "5.0.0", stream::xlen, &[], "Return the number of messages in a stream.";
    "xrange", -4, [READONLY], [STREAM], [one(1, RO | ACCESS)], "stream", "5.0.0", stream::xrange, &[], "Returns the messages from a stream within a range of IDs.";
    "xrevrange", -4, [READONLY], [STREAM], [one(1, RO | ACCESS)], "stream", "5.0.0", stream::xrevrange, &[], "Returns the messages from a stream within a range of IDs in reverse order.";
    "xdel", -3, [WRITE FAST], [STREAM], [one(1, RW | DELETE)], "stream", "5.0.0", stream::xdel, &[], "Returns the number of messages after removing them from a stream.";
    "xtrim", -4, [WRITE], [STREAM], [one(1, RW | DELETE)], "stream", "5.0.0", stream::xtrim, &[], "Deletes messages from the beginning of a stream.";
    "xgroup", -2, [], [], [], "stream", "5.0.0", super::container, XGROUP_SUBS, "A container for consumer groups commands.";
    "xreadgroup", -7, [WRITE BLOCKING], [STREAM], [keyword("STREAMS", 4, -1, 1, 2, RO | ACCESS)], "stream", "5.0.0", stream_group::xreadgroup, &[], "Returns new or historical messages from a stream for a consumer in a group. Blocks until a message is available otherwise.";
    "xack", -4, [WRITE FAST], [STREAM], [one(1, RW | UPDATE)], "stream", "5.0.0", stream_group::xack, &[], "Returns the number of messages that were successfully acknowledged by the consumer group member of a stream.";
    "xpending", -3, [READONLY], [STREAM], [one(1, RO | ACCESS)], "stream", "5.0.0", stream_group::xpending, &[], "Returns the information and entries from a stream consumer group's pending entries list.";
    "xclaim", -6, [WRITE FAST], [STREAM], [one(1, RW | UPDATE)], "stream", "5.0.0", stream_group::xclaim, &[], "Changes, or acquires, ownership of a message in a consumer group, as if the message was delivered a consumer group member.";
    "xautoclaim", -6, [WRITE FAST], [STREAM], [one(1, RW | DELETE)], "stream", "6.2.0", stream_group::xautoclaim, &[], "Changes, or acquires, ownership of messages in a consumer group, as if the messages were delivered to as consumer group member.";
    "xinfo", -2, [], [], [], "stream", "5.0.0", super::container, XINFO_SUBS, "A container for stream introspection commands.";
    "xsetid", -3, [WRITE DENYOOM FAST], [STREAM], [one(1, RW | UPDATE)], "stream", "5.0.0", stream_group::xsetid, &[], "An internal command for replicating stream values.";
    "xread", -4, [READONLY BLOCKING], [STREAM], [keyword("STREAMS", 1, -1, 1, 2, RO | ACCESS)], "stream", "5.0.0", stream::xread, &[], "Returns messages from multiple streams with IDs greater than the ones requested. Blocks until a message is available otherwise.";
    // geo
    "geoadd", -5, [WRITE DENYOOM], [GEO], [one(1, RW | UPDATE)], "geo", "3.2.0", geo::geoadd, &[], "Adds one or more members to a geospatial index. The key is created if it doesn't exist.";
    "geodist", -4, [READONLY], [GEO], [one(1, RO | ACCESS)], "geo", "3.2.0", geo::geodist, &[], "Returns the distance between two members of a geospatial index.";
    "geohash", -2, [READONLY], [GEO], [one(1, RO | ACCESS)], "geo", "3.2.0", geo::geohash, &[], "Returns members from a geospatial index as geohash strings.";
    "geopos", -2, [READONLY], [GEO], [one(1, RO | ACCESS)], "geo", "3.2.0", geo::geopos, &[], "Returns the longitude and latitude of members from a geospatial index.";
    "georadius", -6, [WRITE DENYOOM], [GEO], [one(1, RO | ACCESS), keyword("STORE", 6, 0, 1, 0, OW | UPDATE), keyword("STOREDIST", 6, 0, 1, 0, OW | UPDATE)], "geo", "3.2.0", geo::georadius, &[], "Queries a geospatial index for members within a distance from a coordinate, optionally stores the result.";
    "georadius_ro", -6, [READONLY], [GEO], [one(1, RO | ACCESS)], "geo", "3.2.10", geo::georadius_ro, &[], "Returns members from a geospatial index that are within a distance from a coordinate.";
    "georadiusbymember", -5, [WRITE DENYOOM], [GEO], [one(1, RO | ACCESS), keyword("STORE", 5, 0, 1, 0, OW | UPDATE), keyword("STOREDIST", 5, 0, 1, 0, OW | UPDATE)], "geo", "3.2.0", geo::georadiusbymember, &[], "Queries a geospatial index for members within a distance from a member, optionally stores the result.";
    "georadiusbymember_ro", -5, [READONLY], [GEO], [one(1, RO | ACCESS)], "geo", "3.2.10", geo::georadiusbymember_ro, &[], "Returns members from a geospatial index that are within a distance from a member.";
    "geosearch", -7, [READONLY], [GEO], [one(1, RO | ACCESS)], "geo", "6.2.0", geo::geosearch, &[], "Queries a geospatial index for members inside an area of a box or a circle.";
    "geosearchstore", -8, [WRITE DENYOOM], [GEO], [one(1, OW | UPDATE), one(2, RO | ACCESS)], "geo", "6.2.0", geo::geosearchstore, &[], "Queries a geospatial index for members inside an area of a box or a circle, optionally stores the result.";
    // HyperLogLog
    "pfadd", -2, [WRITE DENYOOM FAST], [HYPERLOGLOG], [one(1, RW | INSERT)], "hyperloglog", "2.8.9", hll::pfadd, &[], "Adds elements to a HyperLogLog key. Creates the key if it doesn't exist.";
    "pfcount", -2, [READONLY MAY_REPLICATE], [HYPERLOGLOG], [range(1, -1, 1, 0, RW | ACCESS)], "hyperloglog", "2.8.9", hll::pfcount, &[], "Returns the approximated cardinality of the set(s) observed by the HyperLogLog key(s).";
    "pfmerge", -2, [WRITE DENYOOM], [HYPERLOGLOG], [one(1, RW | ACCESS | INSERT), range(2, -1, 1, 0, RO | ACCESS)], "hyperloglog", "2.8.9", hll::pfmerge, &[], "Merges one or more HyperLogLog values into a single key.";
    "pfdebug", 3, [WRITE DENYOOM ADMIN], [HYPERLOGLOG], [one(2, RW | ACCESS)], "hyperloglog", "2.8.9", hll::pfdebug, &[], "Internal commands for debugging HyperLogLog values.";
    "pfselftest", 1, [ADMIN], [HYPERLOGLOG], [], "hyperloglog", "2.8.9", hll::pfselftest, &[], "An internal command for testing HyperLogLog values.";
    // pub/sub
    "subscribe", -2, [PUBSUB NOSCRIPT LOADING STALE], [], [], "pubsub", "2.0.0", pubsub::subscribe, &[], "Listens for messages published to channels.";
    "unsubscribe", -1, [PUBSUB NOSCRIPT LOADING STALE], [], [], "pubsub", "2.0.0", pubsub::unsubscribe, &[], "Stops listening to messages posted to channels.";
    "psubscribe", -2, [PUBSUB NOSCRIPT LOADING STALE], [], [], "pubsub", "2.0.0", pubsub::psubscribe, &[], "Listens for messages published to channels that match one or more patterns.";
    "punsubscribe", -1, [PUBSUB NOSCRIPT LOADING STALE], [], [], "pubsub", "2.0.0", pubsub::punsubscribe, &[], "Stops listening to messages published to channels that match one or more patterns.";
    "publish", 3, [PUBSUB LOADING STALE FAST MAY_REPLICATE], [], [], "pubsub", "2.0.0", pubsub::publish, &[], "Posts a message to a channel.";
    "ssubscribe", -2, [PUBSUB NOSCRIPT LOADING STALE], [], [range(1, -1, 1, 0, NOT_KEY)], "pubsub", "7.0.0", pubsub::ssubscribe, &[], "Listens for messages published to shard channels.";
    "sunsubscribe", -1, [PUBSUB NOSCRIPT LOADING STALE], [], [range(1, -1, 1, 0, NOT_KEY)], "pubsub", "7.0.0", pubsub::sunsubscribe, &[], "Stops listening to messages posted to shard channels.";
    "spublish", 3, [PUBSUB LOADING STALE FAST MAY_REPLICATE], [], [one(1, NOT_KEY)], "pubsub", "7.0.0", pubsub::spublish, &[], "Post a message to a shard channel";
    "pubsub", -2, [], [], [], "pubsub", "2.8.0", super::container, PUBSUB_SUBS, "A container for Pub/Sub commands.";
    // transactions
    "multi", 1, [NOSCRIPT LOADING STALE FAST ALLOW_BUSY], [TRANSACTION], [], "transactions", "1.2.0", tx::multi, &[], "Starts a transaction.";
    "exec", 1, [NOSCRIPT LOADING STALE SKIP_SLOWLOG], [TRANSACTION], [], "transactions", "1.2.0", tx::exec, &[], "Executes all commands in a transaction.";
    "discard", 1, [NOSCRIPT LOADING STALE FAST ALLOW_BUSY], [TRANSACTION], [], "transactions", "2.0.0", tx::discard, &[], "Discards a transaction.";
    "watch", -2, [NOSCRIPT LOADING STALE FAST ALLOW_BUSY], [TRANSACTION], [range(1, -1, 1, 0, RO)], "transactions", "2.2.0", tx::watch, &[], "Monitors changes to keys to determine the execution of a transaction.";
    "unwatch", 1, [NOSCRIPT LOADING STALE FAST ALLOW_BUSY], [TRANSACTION], [], "transactions", "2.2.0", tx::unwatch, &[], "Forgets about watched keys of a transaction.";
    // strings
    "get", 2, [READONLY FAST], [STRING], [one(1, RO | ACCESS)], "string", "1.0.0", string::get, &[], "Returns the string value of a key.";
    "set", -3, [WRITE DENYOOM], [STRING], [one(1, RW | ACCESS | UPDATE | VARIABLE_FLAGS)], "string", "1.0.0", string::set, &[], "Sets the string value of a key, ignoring its type. The key is created if it doesn't exist.";
    "setnx", 3, [WRITE DENYOOM FAST], [STRING], [one(1, OW | INSERT)], "string", "1.0.0", string::setnx, &[], "Set the string value of a key only when the key doesn't exist.";
    "setex", 4, [WRITE DENYOOM], [STRING], [one(1, OW | UPDATE)], "string", "2.0.0", string::setex, &[], "Sets the string value and expiration time of a key. Creates the key if it doesn't exist.";
    "psetex", 4, [WRITE DENYOOM], [STRING], [one(1, OW | UPDATE)], "string", "2.6.0", string::psetex, &[], "Sets both string value and expiration time in milliseconds of a key. The key is created if it doesn't exist.";
    "getset", 3, [WRITE DENYOOM FAST], [STRING], [one(1, RW | ACCESS | UPDATE)], "string", "1.0.0", string::getset, &[], "Returns the previous string value of a key after setting it to a new value.";
    "getex", -2, [WRITE FAST], [STRING], [one(1, RW | ACCESS | UPDATE)], "string", "6.2.0", string::getex, &[], "Returns the string value of a key after setting its expiration time.";
    "getdel", 2, [WRITE FAST], [STRING], [one(1, RW | ACCESS | DELETE)], "string", "6.2.0", string::getdel, &[], "Returns the string value of a key after deleting the key.";
    "mset", -3, [WRITE DENYOOM], [STRING], [range(1, -1, 2, 0, OW | UPDATE)], "string", "1.0.1", string::mset, &[], "Atomically creates or modifies the string values of one or more keys.";
    "msetnx", -3, [WRITE DENYOOM], [STRING], [range(1, -1, 2, 0, OW | INSERT)], "string", "1.0.1", string::msetnx, &[], "Atomically modifies the string values of one or more keys only when all keys don't exist.";
    "mget", -2, [READONLY FAST], [STRING], [range(1, -1, 1, 0, RO | ACCESS)], "string", "1.0.0", string::mget, &[], "Atomically returns the string values of one or more keys.";
    "append", 3, [WRITE DENYOOM FAST], [STRING], [one(1, RW | INSERT)], "string", "2.0.0", string::append, &[], "Appends a string to the value of a key. Creates the key if it doesn't exist.";
    "strlen", 2, [READONLY FAST], [STRING], [one(1, RO)], "string", "2.2.0", string::strlen, &[], "Returns the length of a string value.";
    "setbit", 4, [WRITE DENYOOM], [BITMAP], [one(1, RW | ACCESS | UPDATE)], "bitmap", "2.2.0", bitmap::setbit, &[], "Sets or clears one bit of a string (growing it with zero bytes) and returns the bit's old value.";
    "getbit", 3, [READONLY FAST], [BITMAP], [one(1, RO | ACCESS)], "bitmap", "2.2.0", bitmap::getbit, &[], "Returns one bit of a string (0 past its end).";
    "bitcount", -2, [READONLY], [BITMAP], [one(1, RO | ACCESS)], "bitmap", "2.6.0", bitmap::bitcount, &[], "Counts the set bits of a string, or of a range of its bytes or bits.";
    "bitpos", -3, [READONLY], [BITMAP], [one(1, RO | ACCESS)], "bitmap", "2.8.7", bitmap::bitpos, &[], "Finds the first set or clear bit of a string, or of a range of its bytes or bits.";
    "bitop", -4, [WRITE DENYOOM], [BITMAP], [one(2, OW | UPDATE), range(3, -1, 1, 0, RO | ACCESS)], "bitmap", "2.6.0", bitmap::bitop, &[], "Stores the bitwise AND, OR, XOR or NOT of strings in a key.";
    "bitfield", -2, [WRITE DENYOOM], [BITMAP], [one(1, RW | ACCESS | UPDATE | VARIABLE_FLAGS)], "bitmap", "3.2.0", bitmap::bitfield, &[], "Reads, sets and increments integer fields of any width (i1..i64, u1..u63) at any bit offset of a string.";
    "bitfield_ro", -2, [READONLY FAST], [BITMAP], [one(1, RO | ACCESS)], "bitmap", "6.0.0", bitmap::bitfield_ro, &[], "BITFIELD restricted to GET.";
    "lcs", -3, [READONLY], [STRING], [range(1, 1, 1, 0, RO | ACCESS)], "string", "7.0.0", string::lcs, &[], "Finds the longest common substring.";
    "getrange", 4, [READONLY], [STRING], [one(1, RO | ACCESS)], "string", "2.4.0", string::getrange, &[], "Returns a substring of the string stored at a key.";
    "substr", 4, [READONLY], [STRING], [one(1, RO | ACCESS)], "string", "1.0.0", string::getrange, &[], "Returns a substring from a string value (deprecated: GETRANGE).";
    "setrange", 4, [WRITE DENYOOM], [STRING], [one(1, RW | UPDATE)], "string", "2.2.0", string::setrange, &[], "Overwrites a part of a string value with another by an offset. Creates the key if it doesn't exist.";
    "incr", 2, [WRITE DENYOOM FAST], [STRING], [one(1, RW | ACCESS | UPDATE)], "string", "1.0.0", string::incr, &[], "Increments the integer value of a key by one. Uses 0 as initial value if the key doesn't exist.";
    "decr", 2, [WRITE DENYOOM FAST], [STRING], [one(1, RW | ACCESS | UPDATE)], "string", "1.0.0", string::decr, &[], "Decrements the integer value of a key by one. Uses 0 as initial value if the key doesn't exist.";
    "incrby", 3, [WRITE DENYOOM FAST], [STRING], [one(1, RW | ACCESS | UPDATE)], "string", "1.0.0", string::incrby, &[], "Increments the integer value of a key by a number. Uses 0 as initial value if the key doesn't exist.";
    "decrby", 3, [WRITE DENYOOM FAST], [STRING], [one(1, RW | ACCESS | UPDATE)], "string", "1.0.0", string::decrby, &[], "Decrements a number from the integer value of a key. Uses 0 as initial value if the key doesn't exist.";
    "incrbyfloat", 3, [WRITE DENYOOM FAST], [STRING], [one(1, RW | ACCESS | UPDATE)], "string", "2.6.0", string::incrbyfloat, &[], "Increment the floating point value of a key by a number. Uses 0 as initial value if the key doesn't exist.";
    // hashes
    "hset", -4, [WRITE DENYOOM FAST], [HASH], [one(1, RW | UPDATE)], "hash", "2.0.0", hash::hset, &[], "Creates or modifies the value of a field in a hash.";
    "hmset", -4, [WRITE DENYOOM FAST], [HASH], [one(1, RW | UPDATE)], "hash", "2.0.0", hash::hmset, &[], "Sets the values of multiple fields.";
    "hsetnx", 4, [WRITE DENYOOM FAST], [HASH], [one(1, RW | INSERT)], "hash", "2.0.0", hash::hsetnx, &[], "Sets the value of a field in a hash only when the field doesn't exist.";
    "hget", 3, [READONLY FAST], [HASH], [one(1, RO | ACCESS)], "hash", "2.0.0", hash::hget, &[], "Returns the value of a field in a hash.";
    "hmget", -3, [READONLY FAST], [HASH], [one(1, RO | ACCESS)], "hash", "2.0.0", hash::hmget, &[], "Returns the values of all fields in a hash.";
    "hgetall", 2, [READONLY], [HASH], [one(1, RO | ACCESS)], "hash", "2.0.0", hash::hgetall, &[], "Returns all fields and values in a hash.";
    "hdel", -3, [WRITE FAST], [HASH], [one(1, RW | DELETE)], "hash", "2.0.0", hash::hdel, &[], "Deletes one or more fields and their values from a hash. Deletes the hash if no fields remain.";
    "hlen", 2, [READONLY FAST], [HASH], [one(1, RO)], "hash", "2.0.0", hash::hlen, &[], "Returns the number of fields in a hash.";
    "hexists", 3, [READONLY FAST], [HASH], [one(1, RO)], "hash", "2.0.0", hash::hexists, &[], "Determines whether a field exists in a hash.";
    "hkeys", 2, [READONLY], [HASH], [one(1, RO | ACCESS)], "hash", "2.0.0", hash::hkeys, &[], "Returns all fields in a hash.";
    "hvals", 2, [READONLY], [HASH], [one(1, RO | ACCESS)], "hash", "2.0.0", hash::hvals, &[], "Returns all values in a hash.";
    "hincrby", 4, [WRITE DENYOOM FAST], [HASH], [one(1, RW | ACCESS | UPDATE)], "hash", "2.0.0", hash::hincrby, &[], "Increments the integer value of a field in a hash by a number. Uses 0 as initial value if the field doesn't exist.";
    "hincrbyfloat", 4, [WRITE DENYOOM FAST], [HASH], [one(1, RW | ACCESS | UPDATE)], "hash", "2.6.0", hash::hincrbyfloat, &[], "Increments the floating point value of a field by a number. Uses 0 as initial value if the field doesn't exist.";
    "hstrlen", 3, [READONLY FAST], [HASH], [one(1, RO)], "hash", "3.2.0", hash::hstrlen, &[], "Returns the length of the value of a field.";
    "hrandfield", -2, [READONLY], [HASH], [one(1, RO | ACCESS)], "hash", "6.2.0", hash::hrandfield, &[], "Returns one or more random fields from a hash.";
    "hscan", -3, [READONLY], [HASH], [one(1, RO | ACCESS)], "hash", "2.8.0", hash::hscan, &[], "Iterates over fields and values of a hash.";
    // lists
    "lpush", -3, [WRITE DENYOOM FAST], [LIST], [one(1, RW | INSERT)], "list", "1.0.0", list::lpush, &[], "Prepends one or more elements to a list. Creates the key if it doesn't exist.";
    "rpush", -3, [WRITE DENYOOM FAST], [LIST], [one(1, RW | INSERT)], "list", "1.0.0", list::rpush, &[], "Appends one or more elements to a list. Creates the key if it doesn't exist.";
    "lpushx", -3, [WRITE DENYOOM FAST], [LIST], [one(1, RW | INSERT)], "list", "2.2.0", list::lpushx, &[], "Prepends one or more elements to a list only when the list exists.";
    "rpushx", -3, [WRITE DENYOOM FAST], [LIST], [one(1, RW | INSERT)], "list", "2.2.0", list::rpushx, &[], "Appends an element to a list only when the list exists.";
    "lpop", -2, [WRITE FAST], [LIST], [one(1, RW | ACCESS | DELETE)], "list", "1.0.0", list::lpop, &[], "Returns the first elements in a list after removing it. Deletes the list if the last element was popped.";
    "rpop", -2, [WRITE FAST], [LIST], [one(1, RW | ACCESS | DELETE)], "list", "1.0.0", list::rpop, &[], "Returns and removes the last elements of a list. Deletes the list if the last element was popped.";
    "llen", 2, [READONLY FAST], [LIST], [one(1, RO)], "list", "1.0.0", list::llen, &[], "Returns the length of a list.";
    "lrange", 4, [READONLY], [LIST], [one(1, RO | ACCESS)], "list", "1.0.0", list::lrange, &[], "Returns a range of elements from a list.";
    "lindex", 3, [READONLY], [LIST], [one(1, RO | ACCESS)], "list", "1.0.0", list::lindex, &[], "Returns an element from a list by its index.";
    "lset", 4, [WRITE DENYOOM], [LIST], [one(1, RW | UPDATE)], "list", "1.0.0", list::lset, &[], "Sets the value of an element in a list by its index.";
    "linsert", 5, [WRITE DENYOOM], [LIST], [one(1, RW | INSERT)], "list", "2.2.0", list::linsert, &[], "Inserts an element before or after another element in a list.";
    "lrem", 4, [WRITE], [LIST], [one(1, RW | DELETE)], "list", "1.0.0", list::lrem, &[], "Removes elements from a list. Deletes the list if the last element was removed.";
    "ltrim", 4, [WRITE], [LIST], [one(1, RW | DELETE)], "list", "1.0.0", list::ltrim, &[], "Removes elements from both ends a list. Deletes the list if all elements were trimmed.";
    "lpos", -3, [READONLY], [LIST], [one(1, RO | ACCESS)], "list", "6.0.6", list::lpos, &[], "Returns the index of matching elements in a list.";
    "lmove", 5, [WRITE DENYOOM], [LIST], [one(1, RW | ACCESS | DELETE), one(2, RW | INSERT)], "list", "6.2.0", list::lmove, &[], "Returns an element after popping it from one list and pushing it to another. Deletes the list if the last element was moved.";
    "blpop", -3, [WRITE NOSCRIPT BLOCKING], [LIST], [range(1, -2, 1, 0, RW | ACCESS | DELETE)], "list", "2.0.0", list::blpop, &[], "Removes and returns the first element in a list. Blocks until an element is available otherwise. Deletes the list if the last element was popped.";
    "brpop", -3, [WRITE NOSCRIPT BLOCKING], [LIST], [range(1, -2, 1, 0, RW | ACCESS | DELETE)], "list", "2.0.0", list::brpop, &[], "Removes and returns the last element in a list. Blocks until an element is available otherwise. Deletes the list if the last element was popped.";
    "blmove", 6, [WRITE DENYOOM NOSCRIPT BLOCKING], [LIST], [one(1, RW | ACCESS | DELETE), one(2, RW | INSERT)], "list", "6.2.0", list::blmove, &[], "Pops an element from a list, pushes it to another list and returns it. Blocks until an element is available otherwise. Deletes the list if the last element was moved.";
    "lmpop", -4, [WRITE], [LIST], [keynum(1, 0, 1, 1, RW | ACCESS | DELETE)], "list", "7.0.0", list::lmpop, &[], "Pops up to COUNT elements (default 1) from one end of the first non-empty list of the keys given.";
    "blmpop", -5, [WRITE BLOCKING], [LIST], [keynum(2, 0, 1, 1, RW | ACCESS | DELETE)], "list", "7.0.0", list::blmpop, &[], "Pops elements as LMPOP does, waiting up to a timeout for one of the lists to have elements.";
    "brpoplpush", 4, [WRITE DENYOOM NOSCRIPT BLOCKING], [LIST], [one(1, RW | ACCESS | DELETE), one(2, RW | INSERT)], "list", "2.2.0", list::brpoplpush, &[], "Moves the last element of a list to the head of another, waiting up to a timeout for one (BLMOVE src dst RIGHT LEFT).";
    "rpoplpush", 3, [WRITE DENYOOM], [LIST], [one(1, RW | ACCESS | DELETE), one(2, RW | INSERT)], "list", "1.2.0", list::rpoplpush, &[], "Returns the last element of a list after removing and pushing it to another list. Deletes the list if the last element was popped.";
    // sets
    "sadd", -3, [WRITE DENYOOM FAST], [SET], [one(1, RW | INSERT)], "set", "1.0.0", set::sadd, &[], "Adds one or more members to a set. Creates the key if it doesn't exist.";
    "srem", -3, [WRITE FAST], [SET], [one(1, RW | DELETE)], "set", "1.0.0", set::srem, &[], "Removes one or more members from a set. Deletes the set if the last member was removed.";
    "smembers", 2, [READONLY], [SET], [one(1, RO | ACCESS)], "set", "1.0.0", set::smembers, &[], "Returns all members of a set.";
    "sismember", 3, [READONLY FAST], [SET], [one(1, RO)], "set", "1.0.0", set::sismember, &[], "Determines whether a member belongs to a set.";
    "smismember", -3, [READONLY FAST], [SET], [one(1, RO | ACCESS)], "set", "6.2.0", set::smismember, &[], "Determines whether multiple members belong to a set.";
    "scard", 2, [READONLY FAST], [SET], [one(1, RO)], "set", "1.0.0", set::scard, &[], "Returns the number of members in a set.";
    "spop", -2, [WRITE FAST], [SET], [one(1, RW | ACCESS | DELETE)], "set", "1.0.0", set::spop, &[], "Returns one or more random members from a set after removing them. Deletes the set if the last member was popped.";
    "srandmember", -2, [READONLY], [SET], [one(1, RO | ACCESS)], "set", "1.0.0", set::srandmember, &[], "Get one or multiple random members from a set";
    "smove", 4, [WRITE FAST], [SET], [one(1, RW | ACCESS | DELETE), one(2, RW | INSERT)], "set", "1.0.0", set::smove, &[], "Moves a member from one set to another.";
    "sinter", -2, [READONLY], [SET], [range(1, -1, 1, 0, RO | ACCESS)], "set", "1.0.0", set::sinter, &[], "Returns the intersect of multiple sets.";
    "sunion", -2, [READONLY], [SET], [range(1, -1, 1, 0, RO | ACCESS)], "set", "1.0.0", set::sunion, &[], "Returns the union of multiple sets.";
    "sdiff", -2, [READONLY], [SET], [range(1, -1, 1, 0, RO | ACCESS)], "set", "1.0.0", set::sdiff, &[], "Returns the difference of multiple sets.";
    "sinterstore", -3, [WRITE DENYOOM], [SET], [one(1, RW | UPDATE), range(2, -1, 1, 0, RO | ACCESS)], "set", "1.0.0", set::sinterstore, &[], "Stores the intersect of multiple sets in a key.";
    "sunionstore", -3, [WRITE DENYOOM], [SET], [one(1, OW | UPDATE), range(2, -1, 1, 0, RO | ACCESS)], "set", "1.0.0", set::sunionstore, &[], "Stores the union of multiple sets in a key.";
    "sdiffstore", -3, [WRITE DENYOOM], [SET], [one(1, OW | UPDATE), range(2, -1, 1, 0, RO | ACCESS)], "set", "1.0.0", set::sdiffstore, &[], "Stores the difference of multiple sets in a key.";
    "sintercard", -3, [READONLY], [SET], [keynum(1, 0, 1, 1, RO | ACCESS)], "set", "7.0.0", set::sintercard, &[], "Returns the number of members of the intersect of multiple sets.";
    "sscan", -3, [READONLY], [SET], [one(1, RO | ACCESS)], "set", "2.6.0", set::sscan, &[], "Iterates over members of a set.";
    // sorted sets
    "zadd", -4, [WRITE DENYOOM FAST], [SORTEDSET], [one(1, RW | UPDATE)], "sorted-set", "1.2.0", zset::zadd, &[], "Adds one or more members to a sorted set, or updates their scores. Creates the key if it doesn't exist.";
    "zincrby", 4, [WRITE DENYOOM FAST], [SORTEDSET], [one(1, RW | ACCESS | UPDATE)], "sorted-set", "1.2.0", zset::zincrby, &[], "Increments the score of a member in a sorted set.";
    "zrem", -3, [WRITE FAST], [SORTEDSET], [one(1, RW | DELETE)], "sorted-set", "1.2.0", zset::zrem, &[], "Removes one or more members from a sorted set. Deletes the sorted set if all members were removed.";
    "zscore", 3, [READONLY FAST], [SORTEDSET], [one(1, RO | ACCESS)], "sorted-set", "1.2.0", zset::zscore, &[], "Returns the score of a member in a sorted set.";
    "zmscore", -3, [READONLY FAST], [SORTEDSET], [one(1, RO | ACCESS)], "sorted-set", "6.2.0", zset::zmscore, &[], "Returns the score of one or more members in a sorted set.";
    "zcard", 2, [READONLY FAST], [SORTEDSET], [one(1, RO)], "sorted-set", "1.2.0", zset::zcard, &[], "Returns the number of members in a sorted set.";
    "zcount", 4, [READONLY FAST], [SORTEDSET], [one(1, RO | ACCESS)], "sorted-set", "2.0.0", zset::zcount, &[], "Returns the count of members in a sorted set that have scores within a range.";
    "zlexcount", 4, [READONLY FAST], [SORTEDSET], [one(1, RO | ACCESS)], "sorted-set", "2.8.9", zset::zlexcount, &[], "Returns the number of members in a sorted set within a lexicographical range.";
    "zrange", -4, [READONLY], [SORTEDSET], [one(1, RO | ACCESS)], "sorted-set", "1.2.0", zset::zrange, &[], "Returns members in a sorted set within a range of indexes.";
    "zrevrange", -4, [READONLY], [SORTEDSET], [one(1, RO | ACCESS)], "sorted-set", "1.2.0", zset::zrevrange, &[], "Returns members in a sorted set within a range of indexes in reverse order.";
    "zrangebyscore", -4, [READONLY], [SORTEDSET], [one(1, RO | ACCESS)], "sorted-set", "1.0.5", zset::zrangebyscore, &[], "Returns members in a sorted set within a range of scores.";
    "zrevrangebyscore", -4, [READONLY], [SORTEDSET], [one(1, RO | ACCESS)], "sorted-set", "2.2.0", zset::zrevrangebyscore, &[], "Returns members in a sorted set within a range of scores in reverse order.";
    "zrangebylex", -4, [READONLY], [SORTEDSET], [one(1, RO | ACCESS)], "sorted-set", "2.8.9", zset::zrangebylex, &[], "Returns members in a sorted set within a lexicographical range.";
    "zrevrangebylex", -4, [READONLY], [SORTEDSET], [one(1, RO | ACCESS)], "sorted-set", "2.8.9", zset::zrevrangebylex, &[], "Returns members in a sorted set within a lexicographical range in reverse order.";
    "zrangestore", -5, [WRITE DENYOOM], [SORTEDSET], [one(1, OW | UPDATE), one(2, RO | ACCESS)], "sorted-set", "6.2.0", zset::zrangestore, &[], "Stores a range of members from sorted set in a key.";
    "zrank", 3, [READONLY FAST], [SORTEDSET], [one(1, RO | ACCESS)], "sorted-set", "2.0.0", zset::zrank, &[], "Returns the index of a member in a sorted set ordered by ascending scores.";
    "zrevrank", 3, [READONLY FAST], [SORTEDSET], [one(1, RO | ACCESS)], "sorted-set", "2.0.0", zset::zrevrank, &[], "Returns the index of a member in a sorted set ordered by descending scores.";
    "zpopmin", -2, [WRITE FAST], [SORTEDSET], [one(1, RW | ACCESS | DELETE)], "sorted-set", "5.0.0", zset::zpopmin, &[], "Returns the lowest-scoring members from a sorted set after removing them. Deletes the sorted set if the last member was popped.";
    "zpopmax", -2, [WRITE FAST], [SORTEDSET], [one(1, RW | ACCESS | DELETE)], "sorted-set", "5.0.0", zset::zpopmax, &[], "Returns the highest-scoring members from a sorted set after removing them. Deletes the sorted set if the last member was popped.";
    "bzpopmin", -3, [WRITE NOSCRIPT BLOCKING FAST], [SORTEDSET], [range(1, -2, 1, 0, RW | ACCESS | DELETE)], "sorted-set", "5.0.0", zset::bzpopmin, &[], "Removes and returns the member with the lowest score from one or more sorted sets. Blocks until a member is available otherwise. Deletes the sorted set if the last element was popped.";
    "bzpopmax", -3, [WRITE NOSCRIPT BLOCKING FAST], [SORTEDSET], [range(1, -2, 1, 0, RW | ACCESS | DELETE)], "sorted-set", "5.0.0", zset::bzpopmax, &[], "Removes and returns the member with the highest score from one or more sorted sets. Blocks until a member is available otherwise. Deletes the sorted set if the last element was popped.";
    "zremrangebyrank", 4, [WRITE], [SORTEDSET], [one(1, RW | DELETE)], "sorted-set", "2.0.0", zset::zremrangebyrank, &[], "Removes members in a sorted set within a range of indexes. Deletes the sorted set if all members were removed.";
    "zremrangebyscore", 4, [WRITE], [SORTEDSET], [one(1, RW | DELETE)], "sorted-set", "1.2.0", zset::zremrangebyscore, &[], "Removes members in a sorted set within a range of scores. Deletes the sorted set if all members were removed.";
    "zremrangebylex", 4, [WRITE], [SORTEDSET], [one(1, RW | DELETE)], "sorted-set", "2.8.9", zset::zremrangebylex, &[], "Removes members in a sorted set within a lexicographical range. Deletes the sorted set if all members were removed.";
    "zunionstore", -4, [WRITE DENYOOM], [SORTEDSET], [one(1, OW | UPDATE), keynum(2, 0, 1, 1, RO | ACCESS)], "sorted-set", "2.0.0", zset::zunionstore, &[], "Stores the union of multiple sorted sets in a key.";
    "zinterstore", -4, [WRITE DENYOOM], [SORTEDSET], [one(1, OW | UPDATE), keynum(2, 0, 1, 1, RO | ACCESS)], "sorted-set", "2.0.0", zset::zinterstore, &[], "Stores the intersect of multiple sorted sets in a key.";
    "zdiffstore", -4, [WRITE DENYOOM], [SORTEDSET], [one(1, OW | UPDATE), keynum(2, 0, 1, 1, RO | ACCESS)], "sorted-set", "6.2.0", zset::zdiffstore, &[], "Stores the difference of multiple sorted sets in a key.";
    "zunion", -3, [READONLY], [SORTEDSET], [keynum(1, 0, 1, 1, RO | ACCESS)], "sorted-set", "6.2.0", zset::zunion, &[], "Replies with the union of sorted sets (sets count as scores of 1).";
    "zinter", -3, [READONLY], [SORTEDSET], [keynum(1, 0, 1, 1, RO | ACCESS)], "sorted-set", "6.2.0", zset::zinter, &[], "Replies with the intersection of sorted sets (sets count as scores of 1).";
    "zdiff", -3, [READONLY], [SORTEDSET], [keynum(1, 0, 1, 1, RO | ACCESS)], "sorted-set", "6.2.0", zset::zdiff, &[], "Replies with the members of the first sorted set that none of the others has.";
    "zintercard", -3, [READONLY], [SORTEDSET], [keynum(1, 0, 1, 1, RO | ACCESS)], "sorted-set", "7.0.0", zset::zintercard, &[], "Replies with the size of the intersection of sorted sets, optionally capped by LIMIT.";
    "zrandmember", -2, [READONLY], [SORTEDSET], [one(1, RO | ACCESS)], "sorted-set", "6.2.0", zset::zrandmember, &[], "Replies with one or more random members of a sorted set, optionally with scores.";
    "zmpop", -4, [WRITE], [SORTEDSET], [keynum(1, 0, 1, 1, RW | ACCESS | DELETE)], "sorted-set", "7.0.0", zset::zmpop, &[], "Pops up to COUNT members (default 1) with their scores from the first non-empty sorted set of the keys given.";
    "bzmpop", -5, [WRITE BLOCKING], [SORTEDSET], [keynum(2, 0, 1, 1, RW | ACCESS | DELETE)], "sorted-set", "7.0.0", zset::bzmpop, &[], "Pops members with their scores as ZMPOP does, waiting up to a timeout for one of the sorted sets to have members.";
    "zscan", -3, [READONLY], [SORTEDSET], [one(1, RO | ACCESS)], "sorted-set", "2.8.0", zset::zscan, &[], "Iterates over members and scores of a sorted set.";
    // keys
    "del", -2, [WRITE], [KEYSPACE], [range(1, -1, 1, 0, RM | DELETE)], "generic", "1.0.0", keys::del, &[], "Deletes one or more keys.";
    "unlink", -2, [WRITE FAST], [KEYSPACE], [range(1, -1, 1, 0, RM | DELETE)], "generic", "4.0.0", keys::del, &[], "Asynchronously deletes one or more keys.";
    "exists", -2, [READONLY FAST], [KEYSPACE], [range(1, -1, 1, 0, RO)], "generic", "1.0.0", keys::exists, &[], "Determines whether one or more keys exist.";
    "touch", -2, [READONLY FAST], [KEYSPACE], [range(1, -1, 1, 0, RO)], "generic", "3.2.1", keys::exists, &[], "Returns the number of existing keys out of those specified after updating the time they were last accessed.";
    "type", 2, [READONLY FAST], [KEYSPACE], [one(1, RO)], "generic", "1.0.0", keys::type_, &[], "Determines the type of value stored at a key.";
    "keys", 2, [READONLY], [KEYSPACE DANGEROUS], [], "generic", "1.0.0", keys::keys, &[], "Returns all key names that match a pattern.";
    "scan", -2, [READONLY], [KEYSPACE], [], "generic", "2.8.0", keys::scan, &[], "Iterates over the key names in the database.";
    "copy", -3, [WRITE DENYOOM], [KEYSPACE], [one(1, RO | ACCESS), one(2, OW | UPDATE)], "generic", "6.2.0", keys::copy, &[], "Copies a key's value and TTL to another key, in this database or the one given with DB.";
    "move", 3, [WRITE FAST], [KEYSPACE], [one(1, RW | ACCESS | UPDATE)], "generic", "1.0.0", keys::move_, &[], "Moves a key, with its TTL, to another database unless the key exists there.";
    "swapdb", 3, [WRITE FAST], [KEYSPACE DANGEROUS], [], "server", "4.0.0", keys::swapdb, &[], "Exchanges the data of two databases; connected clients keep their database numbers.";
    "sort", -2, [WRITE DENYOOM], [SET SORTEDSET LIST DANGEROUS], [one(1, RO | ACCESS), unknown(RO | ACCESS), unknown(OW | UPDATE)], "generic", "1.0.0", sort::sort, &[], "Sorts a list, set or sorted set (numerically, or as text with ALPHA), by its elements or by other keys (BY), replying with them or other keys' values (GET), or storing them (STORE).";
    "sort_ro", -2, [READONLY], [SET SORTEDSET LIST DANGEROUS], [one(1, RO | ACCESS), unknown(RO | ACCESS)], "generic", "7.0.0", sort::sort_ro, &[], "SORT without STORE.";
    "rename", 3, [WRITE], [KEYSPACE], [one(1, RW | ACCESS | DELETE), one(2, OW | UPDATE)], "generic", "1.0.0", keys::rename, &[], "Renames a key and overwrites the destination.";
    "renamenx", 3, [WRITE FAST], [KEYSPACE], [one(1, RW | ACCESS | DELETE), one(2, OW | INSERT)], "generic", "1.0.0", keys::renamenx, &[], "Renames a key only when the target key name doesn't exist.";
    "randomkey", 1, [READONLY], [KEYSPACE], [], "generic", "1.0.0", keys::randomkey, &[], "Returns a random key name from the database.";
    "expire", -3, [WRITE FAST], [KEYSPACE], [one(1, RW | UPDATE)], "generic", "1.0.0", keys::expire, &[], "Sets the expiration time of a key in seconds.";
    "pexpire", -3, [WRITE FAST], [KEYSPACE], [one(1, RW | UPDATE)], "generic", "2.6.0", keys::pexpire, &[], "Sets the expiration time of a key in milliseconds.";
    "expireat", -3, [WRITE FAST], [KEYSPACE], [one(1, RW | UPDATE)], "generic", "1.2.0", keys::expireat, &[], "Sets the expiration time of a key to a Unix timestamp.";
    "pexpireat", -3, [WRITE FAST], [KEYSPACE], [one(1, RW | UPDATE)], "generic", "2.6.0", keys::pexpireat, &[], "Sets the expiration time of a key to a Unix milliseconds timestamp.";
    "ttl", 2, [READONLY FAST], [KEYSPACE], [one(1, RO | ACCESS)], "generic", "1.0.0", keys::ttl, &[], "Returns the expiration time in seconds of a key.";
    "pttl", 2, [READONLY FAST], [KEYSPACE], [one(1, RO | ACCESS)], "generic", "2.6.0", keys::pttl, &[], "Returns the expiration time in milliseconds of a key.";
    "expiretime", 2, [READONLY FAST], [KEYSPACE], [one(1, RO | ACCESS)], "generic", "7.0.0", keys::expiretime, &[], "Returns the expiration time of a key as a Unix timestamp.";
    "pexpiretime", 2, [READONLY FAST], [KEYSPACE], [one(1, RO | ACCESS)], "generic", "7.0.0", keys::pexpiretime, &[], "Returns the expiration time of a key as a Unix milliseconds timestamp.";
    "persist", 2, [WRITE FAST], [KEYSPACE], [one(1, RW | UPDATE)], "generic", "2.2.0", keys::persist, &[], "Removes the expiration time of a key.";
    "dump", 2, [READONLY], [KEYSPACE], [one(1, RO | ACCESS)], "generic", "2.6.0", dump::dump, &[], "Returns a serialized representation of the value stored at a key.";
    "migrate", -6, [WRITE], [KEYSPACE DANGEROUS], [one(3, RW | ACCESS | DELETE), keyword("KEYS", -2, -1, 1, 0, RW | ACCESS | DELETE | INCOMPLETE)], "generic", "2.6.0", dump::migrate, &[], "Atomically transfers a key from one Redis instance to another.";
    "restore", -4, [WRITE DENYOOM], [KEYSPACE DANGEROUS], [one(1, OW | UPDATE)], "generic", "2.6.0", dump::restore, &[], "Creates a key from the serialized representation of a value.";
    "restore-asking", -4, [WRITE DENYOOM ASKING], [KEYSPACE DANGEROUS], [one(1, OW | UPDATE)], "server", "3.0.0", dump::restore, &[], "An internal command for migrating keys in a cluster.";
};

static ACL_SUBS: &[Command] = &commands! {
    "acl|cat", -2, [NOSCRIPT LOADING STALE], [], [], "server", "6.0.0", acl::acl_cat, &[], "Lists the ACL categories, or the commands inside a category.";
    "acl|deluser", -3, [ADMIN NOSCRIPT LOADING STALE], [], [], "server", "6.0.0", acl::acl_deluser, &[], "Deletes ACL users, and terminates their connections.";
    "acl|dryrun", -4, [ADMIN NOSCRIPT LOADING STALE], [], [], "server", "7.0.0", acl::acl_dryrun, &[], "Simulates the execution of a command by a user, without executing the command.";
    "acl|genpass", -2, [NOSCRIPT LOADING STALE], [], [], "server", "6.0.0", acl::acl_genpass, &[], "Generates a pseudorandom, secure password that can be used to identify ACL users.";
    "acl|getuser", 3, [ADMIN NOSCRIPT LOADING STALE], [], [], "server", "6.0.0", acl::acl_getuser, &[], "Lists the ACL rules of a user.";
    "acl|help", 2, [LOADING STALE], [], [], "server", "6.0.0", acl::acl_help, &[], "Returns helpful text about the different subcommands.";
    "acl|list", 2, [ADMIN NOSCRIPT LOADING STALE], [], [], "server", "6.0.0", acl::acl_list, &[], "Dumps the effective rules in ACL file format.";
    "acl|load", 2, [ADMIN NOSCRIPT LOADING STALE], [], [], "server", "6.0.0", acl::acl_load, &[], "Reloads the rules from the configured ACL file.";
    "acl|log", -2, [ADMIN NOSCRIPT LOADING STALE], [], [], "server", "6.0.0", acl::acl_log, &[], "Lists recent security events generated due to ACL rules.";
    "acl|save", 2, [ADMIN NOSCRIPT LOADING STALE], [], [], "server", "6.0.0", acl::acl_save, &[], "Saves the effective ACL rules in the configured ACL file.";
    "acl|setuser", -3, [ADMIN NOSCRIPT LOADING STALE], [], [], "server", "6.0.0", acl::acl_setuser, &[], "Creates and modifies an ACL user and its rules.";
    "acl|users", 2, [ADMIN NOSCRIPT LOADING STALE], [], [], "server", "6.0.0", acl::acl_users, &[], "Lists all ACL users.";
    "acl|whoami", 2, [NOSCRIPT LOADING STALE], [], [], "server", "6.0.0", acl::acl_whoami, &[], "Returns the authenticated username of the current connection.";
};

static CLIENT_SUBS: &[Command] = &commands! {
    "client|id", 2, [NOSCRIPT LOADING STALE], [CONNECTION], [], "connection", "5.0.0", client::client_id, &[], "Returns the unique ID of this connection.";
    "client|getname", 2, [NOSCRIPT LOADING STALE], [CONNECTION], [], "connection", "2.6.9", client::client_getname, &[], "Returns this connection's name, or null when it has none.";
    "client|setname", 3, [NOSCRIPT LOADING STALE], [CONNECTION], [], "connection", "2.6.9", client::client_setname, &[], "Names this connection (shown in CLIENT LIST).";
    "client|setinfo", 4, [NOSCRIPT LOADING STALE], [CONNECTION], [], "connection", "7.2.0", client::client_setinfo, &[], "Records the client library's name or version for this connection.";
    "client|info", 2, [NOSCRIPT LOADING STALE], [CONNECTION], [], "connection", "6.2.0", client::client_info, &[], "Describes this connection, as one line of CLIENT LIST.";
    "client|list", -2, [ADMIN NOSCRIPT LOADING STALE], [CONNECTION], [], "connection", "2.4.0", client::client_list, &[], "Describes every connection, or those of a type or with given IDs.";
    "client|kill", -3, [ADMIN NOSCRIPT LOADING STALE], [CONNECTION], [], "connection", "2.4.0", client::client_kill, &[], "Closes connections chosen by address, ID, type, user or age.";
    "client|pause", -3, [ADMIN NOSCRIPT LOADING STALE], [CONNECTION], [], "connection", "3.0.0", client::client_pause, &[], "Suspends commands processing.";
    "client|unpause", 2, [ADMIN NOSCRIPT LOADING STALE], [CONNECTION], [], "connection", "6.2.0", client::client_unpause, &[], "Resumes processing commands from paused clients.";
    "client|reply", 3, [NOSCRIPT LOADING STALE], [CONNECTION], [], "connection", "3.2.0", client::client_reply, &[], "Instructs the server whether to reply to commands.";
    "client|unblock", -3, [ADMIN NOSCRIPT LOADING STALE], [CONNECTION], [], "connection", "5.0.0", client::client_unblock, &[], "Unblocks a client blocked by a blocking command from a different connection.";
    "client|no-touch", 3, [NOSCRIPT LOADING STALE], [CONNECTION], [], "connection", "7.2.0", client::client_no_touch, &[], "Controls whether commands sent by the client affect the LRU/LFU of accessed keys.";
    "client|no-evict", 3, [ADMIN NOSCRIPT LOADING STALE], [CONNECTION], [], "connection", "7.0.0", client::client_no_evict, &[], "Sets the client eviction mode of this connection.";
    "client|tracking", -3, [NOSCRIPT LOADING STALE], [CONNECTION], [], "connection", "6.0.0", client::client_tracking, &[], "Controls server-assisted client-side caching for the connection.";
    "client|caching", 3, [NOSCRIPT LOADING STALE], [CONNECTION], [], "connection", "6.0.0", client::client_caching, &[], "Instructs the server whether to track the keys in the next request.";
    "client|getredir", 2, [NOSCRIPT LOADING STALE], [CONNECTION], [], "connection", "6.0.0", client::client_getredir, &[], "Returns the client ID to which this connection's tracking notifications are redirected (-1: tracking is off).";
    "client|trackinginfo", 2, [NOSCRIPT LOADING STALE], [CONNECTION], [], "connection", "6.2.0", client::client_trackinginfo, &[], "Returns information about server-assisted client-side caching for this connection (off).";
    "client|help", 2, [LOADING STALE], [CONNECTION], [], "connection", "5.0.0", client::client_help, &[], "Lists the CLIENT subcommands.";
};

static CONFIG_SUBS: &[Command] = &commands! {
    "config|get", -3, [ADMIN NOSCRIPT LOADING STALE], [], [], "server", "2.0.0", settings::config_get, &[], "Returns the settings whose names match the patterns, with their values.";
    "config|set", -4, [ADMIN NOSCRIPT LOADING STALE], [], [], "server", "2.0.0", settings::config_set, &[], "Changes settings at run time.";
    "config|resetstat", 2, [ADMIN NOSCRIPT LOADING STALE], [], [], "server", "2.0.0", settings::config_resetstat, &[], "Zeroes the statistics INFO reports.";
    "config|rewrite", 2, [ADMIN NOSCRIPT LOADING STALE], [], [], "server", "2.8.0", settings::config_rewrite, &[], "Rewrite the configuration file with the in memory configuration";
    "config|help", 2, [LOADING STALE], [], [], "server", "5.0.0", settings::config_help, &[], "Lists the CONFIG subcommands.";
};

static COMMAND_SUBS: &[Command] = &commands! {
    "command|count", 2, [LOADING STALE], [CONNECTION], [], "server", "2.8.13", introspection::command_count, &[], "Returns how many commands the server has.";
    "command|info", -2, [LOADING STALE], [CONNECTION], [], "server", "2.8.13", introspection::command_info, &[], "Describes the given commands (all when none is given): arity, flags, keys, categories.";
    "command|docs", -2, [LOADING STALE], [CONNECTION], [], "server", "7.0.0", introspection::command_docs, &[], "Returns the documentation of the given commands (all when none is given).";
    "command|list", -2, [LOADING STALE], [CONNECTION], [], "server", "7.0.0", introspection::command_list, &[], "Lists command names, optionally those of an ACL category or matching a pattern.";
    "command|getkeys", -4, [LOADING STALE], [CONNECTION], [], "server", "2.8.13", introspection::command_getkeys, &[], "Returns the keys a full command would use.";
    "command|getkeysandflags", -4, [LOADING STALE], [CONNECTION], [], "server", "7.0.0", introspection::command_getkeysandflags, &[], "Returns the keys a full command would use, each with what it does with it.";
    "command|help", 2, [LOADING STALE], [CONNECTION], [], "server", "5.0.0", introspection::command_help, &[], "Lists the COMMAND subcommands.";
};

static MODULE_SUBS: &[Command] = &commands! {
    "module|help", 2, [LOADING STALE], [], [], "server", "5.0.0", admin::module_help, &[], "Lists the MODULE subcommands.";
    "module|list", 2, [ADMIN NOSCRIPT], [], [], "server", "4.0.0", admin::module_list, &[], "Lists the loaded modules (there are none).";
    "module|load", -3, [ADMIN NOSCRIPT NO_ASYNC_LOADING], [], [], "server", "4.0.0", admin::module_refused, &[], "Loads a module (refused: ringdis runs no modules).";
    "module|loadex", -3, [ADMIN NOSCRIPT NO_ASYNC_LOADING], [], [], "server", "7.0.0", admin::module_refused, &[], "Loads a module with configuration (refused: ringdis runs no modules).";
    "module|unload", 3, [ADMIN NOSCRIPT NO_ASYNC_LOADING], [], [], "server", "4.0.0", admin::module_refused, &[], "Unloads a module (refused: ringdis runs no modules).";
};

static MEMORY_SUBS: &[Command] = &commands! {
    "memory|doctor", 2, [], [], [], "server", "4.0.0", memory::memory_doctor, &[], "Outputs a memory problems report.";
    "memory|help", 2, [LOADING STALE], [], [], "server", "4.0.0", memory::memory_help, &[], "Returns helpful text about the different subcommands.";
    "memory|malloc-stats", 2, [], [], [], "server", "4.0.0", memory::memory_malloc_stats, &[], "Returns the allocator statistics.";
    "memory|purge", 2, [], [], [], "server", "4.0.0", memory::memory_purge, &[], "Asks the allocator to release memory.";
    "memory|stats", 2, [], [], [], "server", "4.0.0", memory::memory_stats, &[], "Returns details about memory usage.";
    "memory|usage", -3, [READONLY], [], [one(2, RO)], "server", "4.0.0", memory::memory_usage, &[], "Estimates the memory usage of a key.";
};

static XGROUP_SUBS: &[Command] = &commands! {
    "xgroup|create", -5, [WRITE DENYOOM], [STREAM], [one(2, RW | INSERT)], "stream", "5.0.0", stream_group::xgroup_create, &[], "Creates a consumer group.";
    "xgroup|createconsumer", 5, [WRITE DENYOOM], [STREAM], [one(2, RW | INSERT)], "stream", "6.2.0", stream_group::xgroup_createconsumer, &[], "Creates a consumer in a consumer group.";
    "xgroup|delconsumer", 5, [WRITE], [STREAM], [one(2, RW | DELETE)], "stream", "5.0.0", stream_group::xgroup_delconsumer, &[], "Deletes a consumer from a consumer group.";
    "xgroup|destroy", 4, [WRITE], [STREAM], [one(2, RW | DELETE)], "stream", "5.0.0", stream_group::xgroup_destroy, &[], "Destroys a consumer group.";
    "xgroup|help", 2, [LOADING STALE], [STREAM], [], "stream", "5.0.0", stream_group::xgroup_help, &[], "Returns helpful text about the different subcommands.";
    "xgroup|setid", -5, [WRITE], [STREAM], [one(2, RW | UPDATE)], "stream", "5.0.0", stream_group::xgroup_setid, &[], "Sets the last-delivered ID of a consumer group.";
};

static CLUSTER_SUBS: &[Command] = &commands! {
    "cluster|addslots", -3, [ADMIN STALE NO_ASYNC_LOADING], [DANGEROUS], [], "cluster", "3.0.0", cluster::disabled, &[], "Assigns new hash slots to a node.";
    "cluster|addslotsrange", -4, [ADMIN STALE NO_ASYNC_LOADING], [DANGEROUS], [], "cluster", "7.0.0", cluster::disabled, &[], "Assigns new hash slot ranges to a node.";
    "cluster|bumpepoch", 2, [ADMIN STALE NO_ASYNC_LOADING], [DANGEROUS], [], "cluster", "3.0.0", cluster::disabled, &[], "Advances the cluster config epoch.";
    "cluster|count-failure-reports", 3, [ADMIN STALE], [DANGEROUS], [], "cluster", "3.0.0", cluster::disabled, &[], "Returns the number of active failure reports active for a node.";
    "cluster|countkeysinslot", 3, [STALE], [], [], "cluster", "3.0.0", cluster::disabled, &[], "Returns the number of keys in a hash slot.";
    "cluster|delslots", -3, [ADMIN STALE NO_ASYNC_LOADING], [DANGEROUS], [], "cluster", "3.0.0", cluster::disabled, &[], "Sets hash slots as unbound for a node.";
    "cluster|delslotsrange", -4, [ADMIN STALE NO_ASYNC_LOADING], [DANGEROUS], [], "cluster", "7.0.0", cluster::disabled, &[], "Sets hash slot ranges as unbound for a node.";
    "cluster|failover", -2, [ADMIN STALE NO_ASYNC_LOADING], [DANGEROUS], [], "cluster", "3.0.0", cluster::disabled, &[], "Forces a replica to perform a manual failover of its master.";
    "cluster|flushslots", 2, [ADMIN STALE NO_ASYNC_LOADING], [DANGEROUS], [], "cluster", "3.0.0", cluster::disabled, &[], "Deletes all slots information from a node.";
    "cluster|forget", 3, [ADMIN STALE NO_ASYNC_LOADING], [DANGEROUS], [], "cluster", "3.0.0", cluster::disabled, &[], "Removes a node from the nodes table.";
    "cluster|getkeysinslot", 4, [STALE], [], [], "cluster", "3.0.0", cluster::disabled, &[], "Returns the key names in a hash slot.";
    "cluster|help", 2, [LOADING STALE], [], [], "cluster", "3.0.0", cluster::disabled, &[], "Returns helpful text about the different subcommands.";
    "cluster|info", 2, [STALE], [], [], "cluster", "3.0.0", cluster::disabled, &[], "Returns information about the state of a node.";
    "cluster|keyslot", 3, [STALE], [], [], "cluster", "3.0.0", cluster::disabled, &[], "Returns the hash slot for a key.";
    "cluster|links", 2, [STALE], [], [], "cluster", "7.0.0", cluster::disabled, &[], "Returns a list of all TCP links to and from peer nodes.";
    "cluster|meet", -4, [ADMIN STALE NO_ASYNC_LOADING], [DANGEROUS], [], "cluster", "3.0.0", cluster::disabled, &[], "Forces a node to handshake with another node.";
    "cluster|myid", 2, [STALE], [], [], "cluster", "3.0.0", cluster::disabled, &[], "Returns the ID of a node.";
    "cluster|nodes", 2, [STALE], [], [], "cluster", "3.0.0", cluster::disabled, &[], "Returns the cluster configuration for a node.";
    "cluster|replicas", 3, [ADMIN STALE], [DANGEROUS], [], "cluster", "5.0.0", cluster::disabled, &[], "Lists the replica nodes of a master node.";
    "cluster|replicate", 3, [ADMIN STALE NO_ASYNC_LOADING], [DANGEROUS], [], "cluster", "3.0.0", cluster::disabled, &[], "Configure a node as replica of a master node.";
    "cluster|reset", -2, [ADMIN NOSCRIPT STALE], [DANGEROUS], [], "cluster", "3.0.0", cluster::disabled, &[], "Resets a node.";
    "cluster|saveconfig", 2, [ADMIN STALE NO_ASYNC_LOADING], [DANGEROUS], [], "cluster", "3.0.0", cluster::disabled, &[], "Forces a node to save the cluster configuration to disk.";
    "cluster|set-config-epoch", 3, [ADMIN STALE NO_ASYNC_LOADING], [DANGEROUS], [], "cluster", "3.0.0", cluster::disabled, &[], "Sets the configuration epoch for a new node.";
    "cluster|setslot", -4, [ADMIN STALE NO_ASYNC_LOADING], [DANGEROUS], [], "cluster", "3.0.0", cluster::disabled, &[], "Binds a hash slot to a node.";
    "cluster|shards", 2, [STALE], [], [], "cluster", "7.0.0", cluster::disabled, &[], "Returns the mapping of cluster slots to shards.";
    "cluster|slaves", 3, [ADMIN STALE], [DANGEROUS], [], "cluster", "3.0.0", cluster::disabled, &[], "Lists the replica nodes of a master node.";
    "cluster|slots", 2, [STALE], [], [], "cluster", "3.0.0", cluster::disabled, &[], "Returns the mapping of cluster slots to nodes.";
};

static FUNCTION_SUBS: &[Command] = &commands! {
    "function|delete", 3, [WRITE NOSCRIPT], [SCRIPTING], [], "scripting", "7.0.0", scripting::functions::function_delete, &[], "Deletes a library and its functions.";
    "function|dump", 2, [NOSCRIPT], [SCRIPTING], [], "scripting", "7.0.0", scripting::functions::function_dump, &[], "Dumps all libraries into a serialized binary payload.";
    "function|flush", -2, [WRITE NOSCRIPT], [SCRIPTING], [], "scripting", "7.0.0", scripting::functions::function_flush, &[], "Deletes all libraries and functions.";
    "function|help", 2, [LOADING STALE], [SCRIPTING], [], "scripting", "7.0.0", scripting::functions::function_help, &[], "Returns helpful text about the different subcommands.";
    "function|kill", 2, [NOSCRIPT ALLOW_BUSY], [SCRIPTING], [], "scripting", "7.0.0", scripting::functions::function_kill, &[], "Terminates a function during execution.";
    "function|list", -2, [NOSCRIPT], [SCRIPTING], [], "scripting", "7.0.0", scripting::functions::function_list, &[], "Returns information about all libraries.";
    "function|load", -3, [WRITE DENYOOM NOSCRIPT], [SCRIPTING], [], "scripting", "7.0.0", scripting::functions::function_load, &[], "Creates a library.";
    "function|restore", -3, [WRITE DENYOOM NOSCRIPT], [SCRIPTING], [], "scripting", "7.0.0", scripting::functions::function_restore, &[], "Restores all libraries from a payload.";
    "function|stats", 2, [NOSCRIPT ALLOW_BUSY], [SCRIPTING], [], "scripting", "7.0.0", scripting::functions::function_stats, &[], "Returns information about a function during execution.";
};

static SCRIPT_SUBS: &[Command] = &commands! {
    "script|debug", 3, [NOSCRIPT], [SCRIPTING], [], "scripting", "3.2.0", scripting::script_debug, &[], "Sets the debug mode of server-side Lua scripts.";
    "script|exists", -3, [NOSCRIPT], [SCRIPTING], [], "scripting", "2.6.0", scripting::script_exists, &[], "Determines whether server-side Lua scripts exist in the script cache.";
    "script|flush", -2, [NOSCRIPT], [SCRIPTING], [], "scripting", "2.6.0", scripting::script_flush, &[], "Removes all server-side Lua scripts from the script cache.";
    "script|help", 2, [LOADING STALE], [SCRIPTING], [], "scripting", "5.0.0", scripting::script_help, &[], "Returns helpful text about the different subcommands.";
    "script|kill", 2, [NOSCRIPT ALLOW_BUSY], [SCRIPTING], [], "scripting", "2.6.0", scripting::script_kill, &[], "Terminates a server-side Lua script during execution.";
    "script|load", 3, [NOSCRIPT STALE], [SCRIPTING], [], "scripting", "2.6.0", scripting::script_load, &[], "Loads a server-side Lua script to the script cache.";
};

static XINFO_SUBS: &[Command] = &commands! {
    "xinfo|consumers", 4, [READONLY], [STREAM], [one(2, RO | ACCESS)], "stream", "5.0.0", stream_group::xinfo_consumers, &[], "Returns a list of the consumers in a consumer group.";
    "xinfo|groups", 3, [READONLY], [STREAM], [one(2, RO | ACCESS)], "stream", "5.0.0", stream_group::xinfo_groups, &[], "Returns a list of the consumer groups of a stream.";
    "xinfo|help", 2, [LOADING STALE], [STREAM], [], "stream", "5.0.0", stream_group::xinfo_help, &[], "Returns helpful text about the different subcommands.";
    "xinfo|stream", -3, [READONLY], [STREAM], [one(2, RO | ACCESS)], "stream", "5.0.0", stream_group::xinfo_stream, &[], "Returns information about a stream.";
};

static OBJECT_SUBS: &[Command] = &commands! {
    "object|encoding", 3, [READONLY], [KEYSPACE], [one(2, RO)], "generic", "2.2.3", keys::object_encoding, &[], "Returns the internal encoding of a Redis object.";
    "object|freq", 3, [READONLY], [KEYSPACE], [one(2, RO)], "generic", "4.0.0", keys::object_freq, &[], "Returns the logarithmic access frequency counter of a Redis object.";
    "object|help", 2, [LOADING STALE], [KEYSPACE], [], "generic", "6.2.0", keys::object_help, &[], "Returns helpful text about the different subcommands.";
    "object|idletime", 3, [READONLY], [KEYSPACE], [one(2, RO)], "generic", "2.2.3", keys::object_idletime, &[], "Returns the time since the last access to a Redis object.";
    "object|refcount", 3, [READONLY], [KEYSPACE], [one(2, RO)], "generic", "2.2.3", keys::object_refcount, &[], "Returns the reference count of a value of a key.";
};

static LATENCY_SUBS: &[Command] = &commands! {
    "latency|histogram", -2, [ADMIN NOSCRIPT LOADING STALE], [], [], "server", "7.0.0", introspection::latency_histogram, &[], "Returns the latency histogram of the given commands (all when none is given).";
    "latency|help", 2, [LOADING STALE], [], [], "server", "2.8.13", introspection::latency_help, &[], "Lists the LATENCY subcommands.";
    "latency|latest", 2, [ADMIN NOSCRIPT LOADING STALE], [], [], "server", "2.8.13", introspection::latency_latest, &[], "Returns the latest latency samples for all events.";
    "latency|history", 3, [ADMIN NOSCRIPT LOADING STALE], [], [], "server", "2.8.13", introspection::latency_history, &[], "Returns timestamp-latency samples for an event.";
    "latency|reset", -2, [ADMIN NOSCRIPT LOADING STALE], [], [], "server", "2.8.13", introspection::latency_reset, &[], "Resets the latency data for one or more events.";
    "latency|graph", 3, [ADMIN NOSCRIPT LOADING STALE], [], [], "server", "2.8.13", introspection::latency_graph, &[], "Returns a latency graph for an event.";
    "latency|doctor", 2, [ADMIN NOSCRIPT LOADING STALE], [], [], "server", "2.8.13", introspection::latency_doctor, &[], "Returns a human-readable latency analysis report.";
};

static SLOWLOG_SUBS: &[Command] = &commands! {
    "slowlog|get", -2, [ADMIN LOADING STALE], [], [], "server", "2.2.12", introspection::slowlog_get, &[], "Returns the latest entries of the slow log.";
    "slowlog|len", 2, [ADMIN LOADING STALE], [], [], "server", "2.2.12", introspection::slowlog_len, &[], "Returns the number of entries in the slow log.";
    "slowlog|reset", 2, [ADMIN LOADING STALE], [], [], "server", "2.2.12", introspection::slowlog_reset, &[], "Empties the slow log.";
    "slowlog|help", 2, [LOADING STALE], [], [], "server", "6.2.0", introspection::slowlog_help, &[], "Lists the SLOWLOG subcommands.";
};

static PUBSUB_SUBS: &[Command] = &commands! {
    "pubsub|channels", -2, [PUBSUB LOADING STALE], [], [], "pubsub", "2.8.0", pubsub::pubsub_channels, &[], "Lists the channels with subscribers, optionally those matching a pattern.";
    "pubsub|numsub", -2, [PUBSUB LOADING STALE], [], [], "pubsub", "2.8.0", pubsub::pubsub_numsub, &[], "Returns how many clients subscribe to each given channel.";
    "pubsub|numpat", 2, [PUBSUB LOADING STALE], [], [], "pubsub", "2.8.0", pubsub::pubsub_numpat, &[], "Returns how many patterns clients subscribe to.";
    "pubsub|shardchannels", -2, [PUBSUB LOADING STALE], [], [], "pubsub", "7.0.0", pubsub::pubsub_shardchannels, &[], "Returns the active shard channels.";
    "pubsub|shardnumsub", -2, [PUBSUB LOADING STALE], [], [], "pubsub", "7.0.0", pubsub::pubsub_shardnumsub, &[], "Returns the count of subscribers of shard channels.";
    "pubsub|help", 2, [LOADING STALE], [], [], "pubsub", "6.2.0", pubsub::pubsub_help, &[], "Lists the PUBSUB subcommands.";
};
