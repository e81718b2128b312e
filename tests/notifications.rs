//! Every write command's effects, run once after a setup: the keyspace notifications it
//! publishes (notify-keyspace-events KEA), in order, and whether it appends to the AOF; read
//! commands and writes that change nothing publish and append nothing. The expected events were
//! recorded from redis-server 7.0.15 running the same setup and command
//! (tools/compat_fuzz.py --notify compares random commands the same way).

mod common;

use common::{encode, reply_len, Raw, TestServer};
use std::time::Duration;

type Case = (
    &'static [&'static [&'static str]],
    &'static [&'static str],
    &'static [(&'static str, &'static str)],
);

const CASES: &[Case] = &[
    (
        &[],
        &["SET", "k", "v"],
        &[("__keyspace@0__:k", "set"), ("__keyevent@0__:set", "k")],
    ),
    (
        &[],
        &["SET", "k", "v", "EX", "100"],
        &[
            ("__keyspace@0__:k", "set"),
            ("__keyevent@0__:set", "k"),
            ("__keyspace@0__:k", "expire"),
            ("__keyevent@0__:expire", "k"),
        ],
    ),
    (
        &[&["SET", "k", "old"]],
        &["SET", "k", "v", "GET"],
        &[("__keyspace@0__:k", "set"), ("__keyevent@0__:set", "k")],
    ),
    (
        &[],
        &["SET", "k", "v", "NX"],
        &[("__keyspace@0__:k", "set"), ("__keyevent@0__:set", "k")],
    ),
    (&[&["SET", "k", "v"]], &["SET", "k", "w", "NX"], &[]),
    (
        &[],
        &["SETNX", "k", "v"],
        &[("__keyspace@0__:k", "set"), ("__keyevent@0__:set", "k")],
    ),
    (
        &[],
        &["SETEX", "k", "100", "v"],
        &[
            ("__keyspace@0__:k", "set"),
            ("__keyevent@0__:set", "k"),
            ("__keyspace@0__:k", "expire"),
            ("__keyevent@0__:expire", "k"),
        ],
    ),
    (
        &[],
        &["PSETEX", "k", "100000", "v"],
        &[
            ("__keyspace@0__:k", "set"),
            ("__keyevent@0__:set", "k"),
            ("__keyspace@0__:k", "expire"),
            ("__keyevent@0__:expire", "k"),
        ],
    ),
    (
        &[&["SET", "k", "v"]],
        &["GETSET", "k", "w"],
        &[("__keyspace@0__:k", "set"), ("__keyevent@0__:set", "k")],
    ),
    (
        &[&["SET", "k", "v"]],
        &["GETEX", "k", "EX", "100"],
        &[
            ("__keyspace@0__:k", "expire"),
            ("__keyevent@0__:expire", "k"),
        ],
    ),
    (
        &[&["SET", "k", "v", "EX", "100"]],
        &["GETEX", "k", "PERSIST"],
        &[
            ("__keyspace@0__:k", "persist"),
            ("__keyevent@0__:persist", "k"),
        ],
    ),
    (
        &[&["SET", "k", "v"]],
        &["GETDEL", "k"],
        &[("__keyspace@0__:k", "del"), ("__keyevent@0__:del", "k")],
    ),
    (
        &[],
        &["MSET", "a", "1", "b", "2"],
        &[
            ("__keyspace@0__:a", "set"),
            ("__keyevent@0__:set", "a"),
            ("__keyspace@0__:b", "set"),
            ("__keyevent@0__:set", "b"),
        ],
    ),
    (
        &[],
        &["MSETNX", "a", "1", "b", "2"],
        &[
            ("__keyspace@0__:a", "set"),
            ("__keyevent@0__:set", "a"),
            ("__keyspace@0__:b", "set"),
            ("__keyevent@0__:set", "b"),
        ],
    ),
    (
        &[&["SET", "k", "v"]],
        &["APPEND", "k", "w"],
        &[
            ("__keyspace@0__:k", "append"),
            ("__keyevent@0__:append", "k"),
        ],
    ),
    (
        &[],
        &["GEOADD", "g", "1", "1", "a"],
        &[("__keyspace@0__:g", "zadd"), ("__keyevent@0__:zadd", "g")],
    ),
    (
        &[&["GEOADD", "g", "1", "1", "a"]],
        &["GEORADIUS", "g", "1", "1", "10", "km", "STORE", "d"],
        &[
            ("__keyspace@0__:d", "georadiusstore"),
            ("__keyevent@0__:georadiusstore", "d"),
        ],
    ),
    (
        &[&["GEOADD", "g", "1", "1", "a"]],
        &[
            "GEOSEARCHSTORE",
            "e",
            "g",
            "FROMLONLAT",
            "1",
            "1",
            "BYRADIUS",
            "10",
            "km",
        ],
        &[
            ("__keyspace@0__:e", "geosearchstore"),
            ("__keyevent@0__:geosearchstore", "e"),
        ],
    ),
    (
        &[&["GEOADD", "g", "1", "1", "a"], &["SET", "e", "x"]],
        &[
            "GEOSEARCHSTORE",
            "e",
            "g",
            "FROMLONLAT",
            "50",
            "1",
            "BYRADIUS",
            "10",
            "km",
        ],
        &[("__keyspace@0__:e", "del"), ("__keyevent@0__:del", "e")],
    ),
    (
        &[],
        &["PFADD", "p", "a"],
        &[("__keyspace@0__:p", "pfadd"), ("__keyevent@0__:pfadd", "p")],
    ),
    (&[&["PFADD", "p", "a"]], &["PFADD", "p", "a"], &[]),
    (
        &[&["PFADD", "p", "a"]],
        &["PFMERGE", "m", "p"],
        &[("__keyspace@0__:m", "pfadd"), ("__keyevent@0__:pfadd", "m")],
    ),
    (
        &[&["SET", "k", "hello"]],
        &["SETRANGE", "k", "1", "a"],
        &[
            ("__keyspace@0__:k", "setrange"),
            ("__keyevent@0__:setrange", "k"),
        ],
    ),
    (
        &[],
        &["INCR", "n"],
        &[
            ("__keyspace@0__:n", "incrby"),
            ("__keyevent@0__:incrby", "n"),
        ],
    ),
    (
        &[],
        &["DECR", "n"],
        &[
            ("__keyspace@0__:n", "incrby"),
            ("__keyevent@0__:incrby", "n"),
        ],
    ),
    (
        &[],
        &["INCRBY", "n", "5"],
        &[
            ("__keyspace@0__:n", "incrby"),
            ("__keyevent@0__:incrby", "n"),
        ],
    ),
    (
        &[],
        &["DECRBY", "n", "5"],
        &[
            ("__keyspace@0__:n", "incrby"),
            ("__keyevent@0__:incrby", "n"),
        ],
    ),
    (
        &[],
        &["INCRBYFLOAT", "n", "1.5"],
        &[
            ("__keyspace@0__:n", "incrbyfloat"),
            ("__keyevent@0__:incrbyfloat", "n"),
        ],
    ),
    (
        &[],
        &["SETBIT", "b", "7", "1"],
        &[
            ("__keyspace@0__:b", "setbit"),
            ("__keyevent@0__:setbit", "b"),
        ],
    ),
    (
        &[&["SET", "a", "x"], &["SET", "b", "y"]],
        &["BITOP", "AND", "d", "a", "b"],
        &[("__keyspace@0__:d", "set"), ("__keyevent@0__:set", "d")],
    ),
    (
        &[],
        &[
            "BITFIELD", "b", "SET", "u8", "0", "200", "INCRBY", "u8", "0", "1",
        ],
        &[
            ("__keyspace@0__:b", "setbit"),
            ("__keyevent@0__:setbit", "b"),
        ],
    ),
    (
        &[],
        &["HSET", "h", "f", "v", "g", "w"],
        &[("__keyspace@0__:h", "hset"), ("__keyevent@0__:hset", "h")],
    ),
    (
        &[],
        &["HMSET", "h", "f", "v"],
        &[("__keyspace@0__:h", "hset"), ("__keyevent@0__:hset", "h")],
    ),
    (
        &[],
        &["HSETNX", "h", "f", "v"],
        &[("__keyspace@0__:h", "hset"), ("__keyevent@0__:hset", "h")],
    ),
    (
        &[&["HSET", "h", "f", "v", "g", "w"]],
        &["HDEL", "h", "f"],
        &[("__keyspace@0__:h", "hdel"), ("__keyevent@0__:hdel", "h")],
    ),
    (
        &[&["HSET", "h", "f", "v"]],
        &["HDEL", "h", "f"],
        &[
            ("__keyspace@0__:h", "hdel"),
            ("__keyevent@0__:hdel", "h"),
            ("__keyspace@0__:h", "del"),
            ("__keyevent@0__:del", "h"),
        ],
    ),
    (
        &[],
        &["HINCRBY", "h", "f", "2"],
        &[
            ("__keyspace@0__:h", "hincrby"),
            ("__keyevent@0__:hincrby", "h"),
        ],
    ),
    (
        &[],
        &["HINCRBYFLOAT", "h", "f", "2.5"],
        &[
            ("__keyspace@0__:h", "hincrbyfloat"),
            ("__keyevent@0__:hincrbyfloat", "h"),
        ],
    ),
    (
        &[],
        &["LPUSH", "l", "a", "b"],
        &[("__keyspace@0__:l", "lpush"), ("__keyevent@0__:lpush", "l")],
    ),
    (
        &[],
        &["RPUSH", "l", "a", "b"],
        &[("__keyspace@0__:l", "rpush"), ("__keyevent@0__:rpush", "l")],
    ),
    (
        &[&["RPUSH", "l", "a"]],
        &["LPUSHX", "l", "b"],
        &[("__keyspace@0__:l", "lpush"), ("__keyevent@0__:lpush", "l")],
    ),
    (
        &[&["RPUSH", "l", "a"]],
        &["RPUSHX", "l", "b"],
        &[("__keyspace@0__:l", "rpush"), ("__keyevent@0__:rpush", "l")],
    ),
    (
        &[&["RPUSH", "l", "a", "b"]],
        &["LPOP", "l"],
        &[("__keyspace@0__:l", "lpop"), ("__keyevent@0__:lpop", "l")],
    ),
    (
        &[&["RPUSH", "l", "a"]],
        &["RPOP", "l"],
        &[
            ("__keyspace@0__:l", "rpop"),
            ("__keyevent@0__:rpop", "l"),
            ("__keyspace@0__:l", "del"),
            ("__keyevent@0__:del", "l"),
        ],
    ),
    (
        &[&["RPUSH", "l", "a", "b", "c"]],
        &["LSET", "l", "1", "x"],
        &[("__keyspace@0__:l", "lset"), ("__keyevent@0__:lset", "l")],
    ),
    (
        &[&["RPUSH", "l", "a", "c"]],
        &["LINSERT", "l", "BEFORE", "c", "b"],
        &[
            ("__keyspace@0__:l", "linsert"),
            ("__keyevent@0__:linsert", "l"),
        ],
    ),
    (
        &[&["RPUSH", "l", "a", "b", "a"]],
        &["LREM", "l", "0", "a"],
        &[("__keyspace@0__:l", "lrem"), ("__keyevent@0__:lrem", "l")],
    ),
    (
        &[&["RPUSH", "l", "a", "b", "c"]],
        &["LTRIM", "l", "1", "-1"],
        &[("__keyspace@0__:l", "ltrim"), ("__keyevent@0__:ltrim", "l")],
    ),
    (
        &[&["RPUSH", "l", "a", "b"]],
        &["LMOVE", "l", "m", "LEFT", "RIGHT"],
        &[
            ("__keyspace@0__:m", "rpush"),
            ("__keyevent@0__:rpush", "m"),
            ("__keyspace@0__:l", "lpop"),
            ("__keyevent@0__:lpop", "l"),
        ],
    ),
    (
        &[&["RPUSH", "l", "a"]],
        &["RPOPLPUSH", "l", "m"],
        &[
            ("__keyspace@0__:m", "lpush"),
            ("__keyevent@0__:lpush", "m"),
            ("__keyspace@0__:l", "rpop"),
            ("__keyevent@0__:rpop", "l"),
            ("__keyspace@0__:l", "del"),
            ("__keyevent@0__:del", "l"),
        ],
    ),
    (
        &[&["RPUSH", "l", "a", "b"]],
        &["LMPOP", "1", "l", "LEFT", "COUNT", "2"],
        &[
            ("__keyspace@0__:l", "lpop"),
            ("__keyevent@0__:lpop", "l"),
            ("__keyspace@0__:l", "del"),
            ("__keyevent@0__:del", "l"),
        ],
    ),
    (
        &[&["RPUSH", "l", "a"]],
        &["BLPOP", "l", "0"],
        &[
            ("__keyspace@0__:l", "lpop"),
            ("__keyevent@0__:lpop", "l"),
            ("__keyspace@0__:l", "del"),
            ("__keyevent@0__:del", "l"),
        ],
    ),
    (
        &[&["RPUSH", "l", "a"]],
        &["BRPOP", "l", "0"],
        &[
            ("__keyspace@0__:l", "rpop"),
            ("__keyevent@0__:rpop", "l"),
            ("__keyspace@0__:l", "del"),
            ("__keyevent@0__:del", "l"),
        ],
    ),
    (
        &[&["RPUSH", "l", "a"]],
        &["BLMOVE", "l", "m", "RIGHT", "LEFT", "0"],
        &[
            ("__keyspace@0__:m", "lpush"),
            ("__keyevent@0__:lpush", "m"),
            ("__keyspace@0__:l", "rpop"),
            ("__keyevent@0__:rpop", "l"),
            ("__keyspace@0__:l", "del"),
            ("__keyevent@0__:del", "l"),
        ],
    ),
    (
        &[&["RPUSH", "l", "a"]],
        &["BRPOPLPUSH", "l", "m", "0"],
        &[
            ("__keyspace@0__:m", "lpush"),
            ("__keyevent@0__:lpush", "m"),
            ("__keyspace@0__:l", "rpop"),
            ("__keyevent@0__:rpop", "l"),
            ("__keyspace@0__:l", "del"),
            ("__keyevent@0__:del", "l"),
        ],
    ),
    (
        &[&["RPUSH", "l", "a"]],
        &["BLMPOP", "0", "1", "l", "RIGHT"],
        &[
            ("__keyspace@0__:l", "rpop"),
            ("__keyevent@0__:rpop", "l"),
            ("__keyspace@0__:l", "del"),
            ("__keyevent@0__:del", "l"),
        ],
    ),
    (
        &[],
        &["SADD", "s", "a", "b"],
        &[("__keyspace@0__:s", "sadd"), ("__keyevent@0__:sadd", "s")],
    ),
    (
        &[&["SADD", "s", "a", "b"]],
        &["SREM", "s", "a"],
        &[("__keyspace@0__:s", "srem"), ("__keyevent@0__:srem", "s")],
    ),
    (
        &[&["SADD", "s", "a"]],
        &["SPOP", "s"],
        &[
            ("__keyspace@0__:s", "spop"),
            ("__keyevent@0__:spop", "s"),
            ("__keyspace@0__:s", "del"),
            ("__keyevent@0__:del", "s"),
        ],
    ),
    (
        &[&["SADD", "s", "a", "b"]],
        &["SMOVE", "s", "t", "a"],
        &[
            ("__keyspace@0__:s", "srem"),
            ("__keyevent@0__:srem", "s"),
            ("__keyspace@0__:t", "sadd"),
            ("__keyevent@0__:sadd", "t"),
        ],
    ),
    (
        &[&["SADD", "s", "a", "b"], &["SADD", "t", "b"]],
        &["SINTERSTORE", "d", "s", "t"],
        &[
            ("__keyspace@0__:d", "sinterstore"),
            ("__keyevent@0__:sinterstore", "d"),
        ],
    ),
    (
        &[&["SADD", "s", "a"], &["SADD", "t", "b"]],
        &["SUNIONSTORE", "d", "s", "t"],
        &[
            ("__keyspace@0__:d", "sunionstore"),
            ("__keyevent@0__:sunionstore", "d"),
        ],
    ),
    (
        &[&["SADD", "s", "a"], &["SADD", "t", "a"], &["SET", "d", "x"]],
        &["SDIFFSTORE", "d", "s", "t"],
        &[("__keyspace@0__:d", "del"), ("__keyevent@0__:del", "d")],
    ),
    (
        &[],
        &["ZADD", "z", "1", "a", "2", "b"],
        &[("__keyspace@0__:z", "zadd"), ("__keyevent@0__:zadd", "z")],
    ),
    (
        &[&["ZADD", "z", "1", "a"]],
        &["ZADD", "z", "INCR", "5", "a"],
        &[("__keyspace@0__:z", "zincr"), ("__keyevent@0__:zincr", "z")],
    ),
    (
        &[],
        &["ZINCRBY", "z", "2", "a"],
        &[("__keyspace@0__:z", "zincr"), ("__keyevent@0__:zincr", "z")],
    ),
    (
        &[&["ZADD", "z", "1", "a", "2", "b"]],
        &["ZREM", "z", "a"],
        &[("__keyspace@0__:z", "zrem"), ("__keyevent@0__:zrem", "z")],
    ),
    (
        &[&["ZADD", "z", "1", "a", "2", "b"]],
        &["ZPOPMIN", "z"],
        &[
            ("__keyspace@0__:z", "zpopmin"),
            ("__keyevent@0__:zpopmin", "z"),
        ],
    ),
    (
        &[&["ZADD", "z", "1", "a"]],
        &["ZPOPMAX", "z"],
        &[
            ("__keyspace@0__:z", "zpopmax"),
            ("__keyevent@0__:zpopmax", "z"),
            ("__keyspace@0__:z", "del"),
            ("__keyevent@0__:del", "z"),
        ],
    ),
    (
        &[&["ZADD", "z", "1", "a"]],
        &["BZPOPMIN", "z", "0"],
        &[
            ("__keyspace@0__:z", "zpopmin"),
            ("__keyevent@0__:zpopmin", "z"),
            ("__keyspace@0__:z", "del"),
            ("__keyevent@0__:del", "z"),
        ],
    ),
    (
        &[&["ZADD", "z", "1", "a"]],
        &["BZPOPMAX", "z", "0"],
        &[
            ("__keyspace@0__:z", "zpopmax"),
            ("__keyevent@0__:zpopmax", "z"),
            ("__keyspace@0__:z", "del"),
            ("__keyevent@0__:del", "z"),
        ],
    ),
    (
        &[&["ZADD", "z", "1", "a", "2", "b"]],
        &["ZMPOP", "1", "z", "MIN"],
        &[
            ("__keyspace@0__:z", "zpopmin"),
            ("__keyevent@0__:zpopmin", "z"),
        ],
    ),
    (
        &[&["ZADD", "z", "1", "a"]],
        &["BZMPOP", "0", "1", "z", "MAX"],
        &[
            ("__keyspace@0__:z", "zpopmax"),
            ("__keyevent@0__:zpopmax", "z"),
            ("__keyspace@0__:z", "del"),
            ("__keyevent@0__:del", "z"),
        ],
    ),
    (
        &[&["ZADD", "z", "1", "a", "2", "b", "3", "c"]],
        &["ZREMRANGEBYRANK", "z", "0", "0"],
        &[
            ("__keyspace@0__:z", "zremrangebyrank"),
            ("__keyevent@0__:zremrangebyrank", "z"),
        ],
    ),
    (
        &[&["ZADD", "z", "1", "a", "2", "b"]],
        &["ZREMRANGEBYSCORE", "z", "0", "5"],
        &[
            ("__keyspace@0__:z", "zremrangebyscore"),
            ("__keyevent@0__:zremrangebyscore", "z"),
            ("__keyspace@0__:z", "del"),
            ("__keyevent@0__:del", "z"),
        ],
    ),
    (
        &[&["ZADD", "z", "0", "a", "0", "b"]],
        &["ZREMRANGEBYLEX", "z", "[a", "[a"],
        &[
            ("__keyspace@0__:z", "zremrangebylex"),
            ("__keyevent@0__:zremrangebylex", "z"),
        ],
    ),
    (
        &[&["ZADD", "z", "1", "a"], &["ZADD", "y", "2", "b"]],
        &["ZUNIONSTORE", "d", "2", "z", "y"],
        &[
            ("__keyspace@0__:d", "zunionstore"),
            ("__keyevent@0__:zunionstore", "d"),
        ],
    ),
    (
        &[&["ZADD", "z", "1", "a"], &["ZADD", "y", "2", "a"]],
        &["ZINTERSTORE", "d", "2", "z", "y"],
        &[
            ("__keyspace@0__:d", "zinterstore"),
            ("__keyevent@0__:zinterstore", "d"),
        ],
    ),
    (
        &[&["ZADD", "z", "1", "a"], &["ZADD", "y", "2", "a"]],
        &["ZDIFFSTORE", "d", "2", "z", "y"],
        &[],
    ),
    (
        &[&["ZADD", "z", "1", "a", "2", "b"]],
        &["ZRANGESTORE", "d", "z", "0", "0"],
        &[
            ("__keyspace@0__:d", "zrangestore"),
            ("__keyevent@0__:zrangestore", "d"),
        ],
    ),
    (
        &[],
        &["XADD", "x", "1-1", "f", "v"],
        &[("__keyspace@0__:x", "xadd"), ("__keyevent@0__:xadd", "x")],
    ),
    (
        &[
            &["XADD", "x", "1-1", "f", "v"],
            &["XADD", "x", "2-1", "f", "v"],
        ],
        &["XADD", "x", "MAXLEN", "1", "3-1", "f", "v"],
        &[
            ("__keyspace@0__:x", "xadd"),
            ("__keyevent@0__:xadd", "x"),
            ("__keyspace@0__:x", "xtrim"),
            ("__keyevent@0__:xtrim", "x"),
        ],
    ),
    (
        &[&["XADD", "x", "1-1", "f", "v"]],
        &["XDEL", "x", "1-1"],
        &[("__keyspace@0__:x", "xdel"), ("__keyevent@0__:xdel", "x")],
    ),
    (
        &[
            &["XADD", "x", "1-1", "f", "v"],
            &["XADD", "x", "2-1", "f", "v"],
        ],
        &["XTRIM", "x", "MAXLEN", "1"],
        &[("__keyspace@0__:x", "xtrim"), ("__keyevent@0__:xtrim", "x")],
    ),
    (
        &[&["SET", "a", "1"], &["SET", "b", "2"]],
        &["DEL", "a", "b", "c"],
        &[
            ("__keyspace@0__:a", "del"),
            ("__keyevent@0__:del", "a"),
            ("__keyspace@0__:b", "del"),
            ("__keyevent@0__:del", "b"),
        ],
    ),
    (
        &[&["SET", "a", "1"]],
        &["UNLINK", "a"],
        &[("__keyspace@0__:a", "del"), ("__keyevent@0__:del", "a")],
    ),
    (
        &[&["SET", "k", "v"]],
        &["EXPIRE", "k", "100"],
        &[
            ("__keyspace@0__:k", "expire"),
            ("__keyevent@0__:expire", "k"),
        ],
    ),
    (
        &[&["SET", "k", "v"]],
        &["PEXPIRE", "k", "100000"],
        &[
            ("__keyspace@0__:k", "expire"),
            ("__keyevent@0__:expire", "k"),
        ],
    ),
    (
        &[&["SET", "k", "v"]],
        &["EXPIREAT", "k", "99999999999"],
        &[
            ("__keyspace@0__:k", "expire"),
            ("__keyevent@0__:expire", "k"),
        ],
    ),
    (
        &[&["SET", "k", "v"]],
        &["PEXPIREAT", "k", "99999999999999"],
        &[
            ("__keyspace@0__:k", "expire"),
            ("__keyevent@0__:expire", "k"),
        ],
    ),
    (
        &[&["SET", "k", "v"]],
        &["EXPIRE", "k", "-1"],
        &[("__keyspace@0__:k", "del"), ("__keyevent@0__:del", "k")],
    ),
    (
        &[&["SET", "k", "v", "EX", "100"]],
        &["PERSIST", "k"],
        &[
            ("__keyspace@0__:k", "persist"),
            ("__keyevent@0__:persist", "k"),
        ],
    ),
    (
        &[&["SET", "a", "v"], &["SET", "b", "w"]],
        &["RENAME", "a", "b"],
        &[
            ("__keyspace@0__:a", "rename_from"),
            ("__keyevent@0__:rename_from", "a"),
            ("__keyspace@0__:b", "rename_to"),
            ("__keyevent@0__:rename_to", "b"),
        ],
    ),
    (
        &[&["SET", "a", "v"]],
        &["RENAMENX", "a", "b"],
        &[
            ("__keyspace@0__:a", "rename_from"),
            ("__keyevent@0__:rename_from", "a"),
            ("__keyspace@0__:b", "rename_to"),
            ("__keyevent@0__:rename_to", "b"),
        ],
    ),
    (
        &[&["SET", "a", "v"]],
        &["COPY", "a", "b"],
        &[
            ("__keyspace@0__:b", "copy_to"),
            ("__keyevent@0__:copy_to", "b"),
        ],
    ),
    (
        &[&["SET", "a", "v"]],
        &["MOVE", "a", "1"],
        &[
            ("__keyspace@0__:a", "move_from"),
            ("__keyevent@0__:move_from", "a"),
            ("__keyspace@1__:a", "move_to"),
            ("__keyevent@1__:move_to", "a"),
        ],
    ),
    (
        &[&["RPUSH", "l", "3", "1", "2"]],
        &["SORT", "l", "STORE", "d"],
        &[
            ("__keyspace@0__:d", "sortstore"),
            ("__keyevent@0__:sortstore", "d"),
        ],
    ),
    (
        &[&["SET", "d", "x"]],
        &["SORT", "nolist", "STORE", "d"],
        &[("__keyspace@0__:d", "del"), ("__keyevent@0__:del", "d")],
    ),
    (&[&["SET", "k", "v"]], &["SWAPDB", "0", "1"], &[]),
    (&[&["SET", "k", "v"]], &["FLUSHDB"], &[]),
    (&[&["SET", "k", "v"]], &["FLUSHALL"], &[]),
    (&[&["SET", "k", "v"]], &["GET", "k"], &[]),
    (&[&["SET", "k", "v"]], &["MGET", "k", "nokey"], &[]),
    (&[&["SET", "k", "v"]], &["STRLEN", "k"], &[]),
    (&[&["HSET", "h", "f", "v"]], &["HGETALL", "h"], &[]),
    (&[&["RPUSH", "l", "a"]], &["LRANGE", "l", "0", "-1"], &[]),
    (&[&["SADD", "s", "a"]], &["SMEMBERS", "s"], &[]),
    (
        &[&["ZADD", "z", "1", "a"]],
        &["ZRANGE", "z", "0", "-1"],
        &[],
    ),
    (
        &[&["XADD", "x", "1-1", "f", "v"]],
        &["XRANGE", "x", "-", "+"],
        &[],
    ),
    (&[&["SET", "k", "v"]], &["EXISTS", "k"], &[]),
    (&[&["SET", "k", "v"]], &["TTL", "k"], &[]),
    (&[&["SET", "k", "v"]], &["TYPE", "k"], &[]),
    (&[&["SET", "k", "v"]], &["DBSIZE"], &[]),
    (&[&["SET", "k", "v"]], &["SCAN", "0"], &[]),
    (&[&["SET", "k", "v"]], &["SETNX", "k", "w"], &[]),
    (&[&["HSET", "h", "f", "v"]], &["HSETNX", "h", "f", "w"], &[]),
    (&[&["HSET", "h", "f", "v"]], &["HDEL", "h", "nofield"], &[]),
    (&[&["SADD", "s", "a"]], &["SADD", "s", "a"], &[]),
    (&[&["SADD", "s", "a"]], &["SREM", "s", "b"], &[]),
    (&[&["ZADD", "z", "1", "a"]], &["ZADD", "z", "1", "a"], &[]),
    (&[&["SET", "k", "v"]], &["PERSIST", "k"], &[]),
    (&[&["SET", "k", "v"]], &["EXPIRE", "k", "100", "XX"], &[]),
    (&[], &["DEL", "nokey"], &[]),
    (
        &[&["SET", "a", "v"], &["SET", "b", "w"]],
        &["RENAMENX", "a", "b"],
        &[],
    ),
];

/// Commands that change the data without a keyspace event (Redis sends none for them).
const SILENT_WRITES: &[&str] = &["FLUSHDB", "FLUSHALL", "SWAPDB"];

/// The values of a RESP array of bulk strings.
fn bulks(reply: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(reply);
    let mut lines = text.split("\r\n");
    let mut out = Vec::new();
    let _ = lines.next();
    while let Some(l) = lines.next() {
        if l.starts_with('$') {
            out.push(lines.next().unwrap_or_default().to_string());
        }
    }
    out
}

/// The (channel, message) of every notification the subscriber got since the last call: a
/// PING's answer follows every message published before it.
fn events(sub: &mut Raw) -> Vec<(String, String)> {
    sub.send(&encode(&[b"PING"]));
    let mut out = Vec::new();
    loop {
        let r = sub.reply();
        let v = bulks(&r);
        if v.first().map(String::as_str) == Some("pong") {
            return out;
        }
        assert_eq!(v[0], "pmessage", "{v:?}");
        out.push((v[2].clone(), v[3].clone()));
    }
}

fn run(r: &mut Raw, args: &[&str]) -> Vec<u8> {
    let a: Vec<&[u8]> = args.iter().map(|s| s.as_bytes()).collect();
    r.cmd(&a)
}

#[test]
fn every_write_publishes_its_events_and_appends_its_record() {
    let srv = TestServer::start(2);
    let mut c = srv.raw();
    assert_eq!(
        run(&mut c, &["CONFIG", "SET", "notify-keyspace-events", "KEA"]),
        b"+OK\r\n"
    );
    let mut sub = srv.raw();
    sub.s
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    sub.cmd(&[b"PSUBSCRIBE", b"__key*__:*"]);
    let aof = &srv.shared().aof;
    for (setup, cmd, want) in CASES {
        run(&mut c, &["FLUSHALL"]);
        for s in setup.iter() {
            let r = run(&mut c, s);
            assert!(
                !r.starts_with(b"-"),
                "{s:?}: {}",
                String::from_utf8_lossy(&r)
            );
        }
        events(&mut sub);
        let before = aof.appended();
        let reply = run(&mut c, cmd);
        assert!(reply_len(&reply, 0).is_some());
        let got = events(&mut sub);
        let want: Vec<(String, String)> = want
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        assert_eq!(got, want, "events of {cmd:?} after {setup:?}");
        let logged = aof.appended() > before;
        let changes = !want.is_empty() || SILENT_WRITES.contains(&cmd[0]);
        assert_eq!(logged, changes, "AOF record of {cmd:?} after {setup:?}");
    }
}

#[test]
fn reads_of_missing_keys_publish_keymiss_and_flags_read_back_as_redis() {
    let srv = TestServer::start(1);
    let mut c = srv.raw();
    common::check_replies(
        &mut c,
        &[
            ("CONFIG SET notify-keyspace-events KEAmn", "+OK\r\n"),
            ("CONFIG GET notify-keyspace-events", "*2\r\n$22\r\nnotify-keyspace-events\r\n$4\r\nAKEm\r\n"),
            (
                "CONFIG SET notify-keyspace-events KEq",
                "-ERR CONFIG SET failed (possibly related to argument 'notify-keyspace-events') - Invalid event class character. Use 'Ag$lshzxeKEtmdn'.\r\n",
            ),
        ],
    );
    let mut sub = srv.raw();
    sub.cmd(&[
        b"SUBSCRIBE",
        b"__keyevent@0__:keymiss",
        b"__keyevent@0__:new",
    ]);
    sub.reply();
    run(&mut c, &["GET", "nokey"]);
    run(&mut c, &["SET", "k", "v"]);
    run(&mut c, &["MGET", "k", "other"]);
    let mut got = Vec::new();
    for _ in 0..3 {
        let v = bulks(&sub.reply());
        got.push((v[1].clone(), v[2].clone()));
    }
    assert_eq!(
        got,
        [
            ("__keyevent@0__:keymiss".to_string(), "nokey".to_string()),
            ("__keyevent@0__:new".to_string(), "k".to_string()),
            ("__keyevent@0__:keymiss".to_string(), "other".to_string()),
        ]
    );
}
