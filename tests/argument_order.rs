//! Replies where Redis's order of checks decides which error a client sees, or whether it sees
//! one at all: found by sending the same random commands to ringdis and to redis-server 7.0.15
//! and comparing replies and data, and checked here against the replies Redis gave.

mod common;
use common::{check_replies, expect_replies, TestServer};

const WRONGTYPE: &str = "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";
const NOT_INT: &str = "-ERR value is not an integer or out of range\r\n";
const BAD_ID: &str = "-ERR Invalid stream ID specified as stream command argument\r\n";

#[test]
fn lists_look_at_the_key_before_the_index_and_name_each_options_error() {
    let srv = TestServer::start(1);
    let mut r = srv.raw();
    let wt = WRONGTYPE;
    check_replies(
        &mut r,
        &[
            ("RPUSH l a b", ":2\r\n"),
            ("SET s x", "+OK\r\n"),
            ("LINDEX missing notanumber", "$-1\r\n"),
            ("LINDEX s notanumber", wt),
            ("LINDEX l notanumber", NOT_INT),
            ("LSET missing notanumber x", "-ERR no such key\r\n"),
            ("LSET s notanumber x", wt),
            ("LSET l notanumber x", NOT_INT),
            ("LPOS l a COUNT abc", "-ERR COUNT can't be negative\r\n"),
            ("LPOS l a MAXLEN abc", "-ERR MAXLEN can't be negative\r\n"),
            ("LPOS l a RANK abc", NOT_INT),
            ("LPOS l a FOO abc", "-ERR syntax error\r\n"),
            ("LPOS l a COUNT 0 MAXLEN 1", "*1\r\n:0\r\n"),
        ],
    );
}

#[test]
fn sets_answer_a_missing_source_first_and_name_numkeys_errors() {
    let srv = TestServer::start(1);
    let mut r = srv.raw();
    check_replies(
        &mut r,
        &[
            ("SET str x", "+OK\r\n"),
            ("SADD s a", ":1\r\n"),
            ("SMOVE missing str a", ":0\r\n"),
            ("SMOVE s str a", WRONGTYPE),
            ("SMOVE s s a", ":1\r\n"),
            ("SMOVE s d a", ":1\r\n"),
            (
                "SINTERCARD abc s",
                "-ERR numkeys should be greater than 0\r\n",
            ),
            (
                "SINTERCARD 0 s",
                "-ERR numkeys should be greater than 0\r\n",
            ),
            (
                "SINTERCARD 1 d LIMIT abc",
                "-ERR LIMIT can't be negative\r\n",
            ),
            ("SINTERCARD 1 d LIMIT 0", ":1\r\n"),
        ],
    );
}

#[test]
fn floats_are_read_as_strtod_and_incrbyfloat_computes_in_long_double() {
    let srv = TestServer::start(1);
    let mut r = srv.raw();
    let not_float = "-ERR value is not a valid float\r\n";
    check_replies(
        &mut r,
        &[
            ("ZADD z 1e400 a", not_float),
            ("ZADD z 1e-400 a", not_float),
            ("ZADD z 0x10 a", ":1\r\n"),
            ("ZSCORE z a", "$2\r\n16\r\n"),
            ("ZADD z -Infinity b", ":1\r\n"),
            ("ZRANGEBYSCORE z 1e500 -1e500", "*0\r\n"),
            (
                "ZRANGEBYSCORE z -1e500 ( WITHSCORES",
                "*2\r\n$1\r\nb\r\n$4\r\n-inf\r\n",
            ),
            ("ZINCRBY z NX a", "-ERR syntax error\r\n"),
            ("ZINCRBY z -0 new", "$2\r\n-0\r\n"),
            ("ZSCORE z new", "$1\r\n0\r\n"),
            ("ZADD z -0 new2", ":1\r\n"),
            ("ZSCORE z new2", "$1\r\n0\r\n"),
            ("SET n 9223372036854775807", "+OK\r\n"),
            ("INCRBYFLOAT n 0", "$19\r\n9223372036854775807\r\n"),
            ("INCRBYFLOAT n 0.5", "$21\r\n9223372036854775807.5\r\n"),
            ("SET f 0.1", "+OK\r\n"),
            ("INCRBYFLOAT f 0.2", "$3\r\n0.3\r\n"),
            (
                "INCRBYFLOAT f inf",
                "-ERR increment would produce NaN or Infinity\r\n",
            ),
            ("INCRBYFLOAT z abc", WRONGTYPE),
            ("SET t abc", "+OK\r\n"),
            ("INCRBYFLOAT t abc", not_float),
            ("HSET h f 1.5", ":1\r\n"),
            ("HINCRBYFLOAT h f inf", "-ERR value is NaN or Infinity\r\n"),
            ("HINCRBYFLOAT h f 0x10", "$4\r\n17.5\r\n"),
            ("HINCRBYFLOAT z f 1", WRONGTYPE),
        ],
    );
    // 1e400 is a long double: its full decimal expansion is the value, as in Redis.
    let got = r.cmd(&[b"INCRBYFLOAT", b"big", b"1e400"]);
    assert!(got.starts_with(b"$401\r\n1000000000000000000"), "{got:?}");
}

#[test]
fn expire_set_and_getex_read_every_option_before_any_value() {
    let srv = TestServer::start(1);
    let mut r = srv.raw();
    // A client's newlines in an error's text are spaces, a trailing one dropped.
    expect_replies(
        &mut r,
        &[
            (
                &[b"EXPIRE", b"k", b"1", b"a\r\nb"],
                b"-ERR Unsupported option a  b\r\n",
            ),
            (
                &[b"EXPIRE", b"k", b"1", b"ab\n"],
                b"-ERR Unsupported option ab\r\n",
            ),
        ],
    );
    check_replies(
        &mut r,
        &[
            ("SET k v", "+OK\r\n"),
            ("EXPIRE k 100 LT NX z", "-ERR Unsupported option z\r\n"),
            (
                "EXPIRE k 100 NX LT",
                "-ERR NX and XX, GT or LT options at the same time are not compatible\r\n",
            ),
            ("EXPIRE k 100 XX GT", ":0\r\n"),
            ("EXPIRE k 100", ":1\r\n"),
            ("EXPIRE k 200 XX GT", ":1\r\n"),
            ("EXPIRE k 50 XX LT", ":1\r\n"),
            ("TTL k", ":50\r\n"),
            ("SET k v EX abc GET NOPE", "-ERR syntax error\r\n"),
            ("SET k v EX abc EX 100", "+OK\r\n"),
            ("TTL k", ":100\r\n"),
            ("GETEX k PX abc EX 1", "-ERR syntax error\r\n"),
            ("GETEX missing EX abc", "$-1\r\n"),
            ("GETEX k EX abc", NOT_INT),
            ("GETEX k EX abc EX 20", "$1\r\nv\r\n"),
            ("TTL k", ":20\r\n"),
        ],
    );
}

#[test]
fn sorted_set_stores_check_sources_before_options_and_options_before_ranges() {
    let srv = TestServer::start(1);
    let mut r = srv.raw();
    check_replies(
        &mut r,
        &[
            ("RPUSH l a", ":1\r\n"),
            ("ZADD z 1 a", ":1\r\n"),
            ("ZINTERSTORE d 2 l z +inf", WRONGTYPE),
            ("ZUNIONSTORE d 2 z missing +inf", "-ERR syntax error\r\n"),
            (
                "ZUNIONSTORE d 2 z missing WEIGHTS 1 x",
                "-ERR weight value is not a float\r\n",
            ),
            ("ZRANGESTORE d z x y WITHSCORES", "-ERR syntax error\r\n"),
            ("ZRANGE z 0 1 BYSCORE BYLEX", "-ERR syntax error\r\n"),
            ("ZRANGE z 0 1 REV REV", "-ERR syntax error\r\n"),
        ],
    );
    // An empty cursor is 0, for every SCAN.
    expect_replies(
        &mut r,
        &[
            (
                &[b"ZSCAN", b"z", b""],
                b"*2\r\n$1\r\n0\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n",
            ),
            (&[b"HSCAN", b"missing", b""], b"*2\r\n$1\r\n0\r\n*0\r\n"),
            (&[b"SSCAN", b"missing", b""], b"*2\r\n$1\r\n0\r\n*0\r\n"),
        ],
    );
}

#[test]
fn streams_parse_options_and_ids_before_touching_the_key() {
    let srv = TestServer::start(1);
    let mut r = srv.raw();
    let limit_tilde = "-ERR syntax error, LIMIT cannot be used without the special ~ option\r\n";
    check_replies(
        &mut r,
        &[
            ("SET str x", "+OK\r\n"),
            // A refused XADD leaves no empty stream behind.
            ("XADD new k f v", BAD_ID),
            ("XADD new 0-0 f v", "-ERR The ID specified in XADD must be greater than 0-0\r\n"),
            ("EXISTS new", ":0\r\n"),
            ("XADD str x f v", BAD_ID),
            ("XADD s 5 f", "-ERR wrong number of arguments for 'xadd' command\r\n"),
            ("XADD nos NOMKSTREAM 5 f v", "$-1\r\n"),
            ("XADD s MAXLEN 5 LIMIT 10 5-1 f v", limit_tilde),
            ("XADD s LIMIT 0 5-1 f v", limit_tilde),
            ("XADD s MAXLEN 1 MINID 2 5-1 f v", "-ERR syntax error, MAXLEN and MINID options at the same time are not compatible\r\n"),
            ("XADD s LIMIT 10 MAXLEN ~ 5 +5 f v", "$3\r\n5-0\r\n"),
            ("XADD s - f v", BAD_ID),
            ("XADD s 0-* f v", "-ERR The ID specified in XADD is equal or smaller than the target stream top item\r\n"),
            ("XADD s 6-* f v", "$3\r\n6-0\r\n"),
            ("XTRIM s LIMIT 5", "-ERR syntax error, LIMIT cannot be used without specifying a trimming strategy\r\n"),
            ("XTRIM s MAXLEN 1 LIMIT x", NOT_INT),
            ("XTRIM s NOMKSTREAM MAXLEN 1", "-ERR syntax error\r\n"),
            ("XDEL missing notanid", ":0\r\n"),
            ("XDEL str notanid", WRONGTYPE),
            ("XDEL s notanid 5-0", BAD_ID),
            ("XLEN s", ":2\r\n"),
            ("XRANGE s - + COUNT 1 COUNT 5", "*2\r\n*2\r\n$3\r\n5-0\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n*2\r\n$3\r\n6-0\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n"),
            ("XRANGE s - + COUNT 0", "*-1\r\n"),
            ("XRANGE missing - + COUNT 0", "*0\r\n"),
            ("XRANGE s (18446744073709551615-18446744073709551615 +", "-ERR invalid start ID for the interval\r\n"),
            ("XRANGE s - (0-0", "-ERR invalid end ID for the interval\r\n"),
            ("XRANGE s (- +", BAD_ID),
        ],
    );
}

#[test]
fn blocking_timeouts_are_read_as_redis_reads_them() {
    let srv = TestServer::start(1);
    let mut r = srv.raw();
    let negative = "-ERR timeout is negative\r\n";
    check_replies(
        &mut r,
        &[
            ("RPUSH l a b c d", ":4\r\n"),
            ("XADD s 1-1 f v", "$3\r\n1-1\r\n"),
            // A long double in seconds, then whole milliseconds in a C long long.
            ("BLPOP l 1e400", negative),
            ("BLPOP l inf", negative),
            ("BLPOP l 1e18", negative),
            (
                "BLPOP l nan",
                "-ERR timeout is not a float or out of range\r\n",
            ),
            ("BLPOP l 1e-400", "*2\r\n$1\r\nl\r\n$1\r\na\r\n"),
            ("BLPOP l -0.0001", "*2\r\n$1\r\nl\r\n$1\r\nb\r\n"),
            ("BLPOP l 0x1", "*2\r\n$1\r\nl\r\n$1\r\nc\r\n"),
            (
                "XREAD BLOCK 1.5 STREAMS s 0",
                "-ERR timeout is not an integer or out of range\r\n",
            ),
            ("XREAD BLOCK -1 STREAMS s 0", negative),
        ],
    );
}

/// A number with a NUL byte inside is not a number (INCRBYFLOAT, HINCRBYFLOAT, ZADD, INCR), but
/// a score range bound ends at it (Redis reads bounds as C strings). Replies from redis-server
/// 7.0.15.
#[test]
fn a_nul_byte_ends_no_number_but_a_score_bound() {
    let srv = TestServer::start(1);
    let mut r = srv.raw();
    let not_float = b"-ERR value is not a valid float\r\n".as_slice();
    let cases: &[(&[&[u8]], &[u8])] = &[
        (&[b"SET", b"foo", b"1\x002"], b"+OK\r\n"),
        (&[b"INCRBYFLOAT", b"foo", b"1"], not_float),
        (&[b"INCRBYFLOAT", b"x", b"1\x002"], not_float),
        (&[b"HSET", b"h", b"f", b"1\x002"], b":1\r\n"),
        (
            &[b"HINCRBYFLOAT", b"h", b"f", b"1"],
            b"-ERR hash value is not a float\r\n",
        ),
        (&[b"HINCRBYFLOAT", b"h", b"g", b"1\x00"], not_float),
        (&[b"INCRBY", b"foo", b"1"], NOT_INT.as_bytes()),
        (&[b"ZADD", b"z", b"1\x00", b"m"], not_float),
        (&[b"ZADD", b"z", b"1", b"m"], b":1\r\n"),
        (
            &[b"ZRANGEBYSCORE", b"z", b"1\x00x", b"2"],
            b"*1\r\n$1\r\nm\r\n",
        ),
        (&[b"ZCOUNT", b"z", b"(0\x00", b"+inf"], b":1\r\n"),
    ];
    for (args, want) in cases {
        assert_eq!(
            String::from_utf8_lossy(&r.cmd(args)),
            String::from_utf8_lossy(want),
            "{args:?}"
        );
    }
}
