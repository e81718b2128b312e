//! Sorted set commands through raw RESP (exact replies, taken from Redis 7.0.15 for the same
//! sequence); their AOF records survive a restart and a rewrite.

mod common;
use common::{check_replies as check, q, TestServer};

const WRONGTYPE: &str = "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";

fn bulks(items: &[&str]) -> String {
    let mut s = format!("*{}\r\n", items.len());
    for i in items {
        s.push_str(&format!("${}\r\n{i}\r\n", i.len()));
    }
    s
}

#[test]
fn sorted_set_commands() {
    let srv = TestServer::start(2);
    let mut r = srv.raw();
    check(
        &mut r,
        &[
            ("ZADD z 0.1 a 1.5 b 3 c inf d -inf e", ":5\r\n"),
            ("ZSCORE z a", "$19\r\n0.10000000000000001\r\n"),
            ("ZSCORE z d", "$3\r\ninf\r\n"),
            ("ZINCRBY z 1e20 c", "$5\r\n1e+20\r\n"),
            ("ZADD z nan x", "-ERR value is not a valid float\r\n"),
            ("ZINCRBY z -inf d", "-ERR resulting score is not a number (NaN)\r\n"),
            ("ZADD z XX NX 1 a", "-ERR XX and NX options at the same time are not compatible\r\n"),
            ("ZADD z GT LT 1 a", "-ERR GT, LT, and/or NX options at the same time are not compatible\r\n"),
            ("ZADD z INCR 1 a 2 b", "-ERR INCR option supports a single increment-element pair\r\n"),
            ("ZADD z 1 a 2", "-ERR syntax error\r\n"),
            ("ZRANGE z (1 +inf BYSCORE LIMIT 0 2", &bulks(&["b", "c"])),
            ("ZRANGE z 0 1 LIMIT 0 1", "-ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX\r\n"),
            ("ZRANGE z a b BYLEX", "-ERR min or max not valid string range item\r\n"),
            ("ZRANGE z - + BYLEX WITHSCORES", "-ERR syntax error, WITHSCORES not supported in combination with BYLEX\r\n"),
            ("ZRANGEBYSCORE z x y", "-ERR min or max is not a float\r\n"),
            ("ZMSCORE z a zz", "*2\r\n$19\r\n0.10000000000000001\r\n$-1\r\n"),
            ("ZRANK z b", ":2\r\n"),
            ("ZRANK z zz", "$-1\r\n"),
            ("ZREVRANK z b", ":2\r\n"),
            ("ZCOUNT z (0.1 3", ":1\r\n"),
            ("ZRANGEBYSCORE z -inf +inf WITHSCORES LIMIT 1 2", &bulks(&["a", "0.10000000000000001", "b", "1.5"])),
            ("ZREVRANGEBYSCORE z +inf -inf WITHSCORES LIMIT 1 2", &bulks(&["c", "1e+20", "b", "1.5"])),
            ("ZREVRANGE z 0 1 WITHSCORES", &bulks(&["d", "inf", "c", "1e+20"])),
            ("ZRANGE z +inf -inf BYSCORE REV LIMIT 0 3", &bulks(&["d", "c", "b"])),
            ("ZRANGE z 0 -1 REV", &bulks(&["d", "c", "b", "a", "e"])),
            ("ZPOPMIN z", &bulks(&["e", "-inf"])),
            ("ZPOPMIN nokey", "*0\r\n"),
            ("ZPOPMAX z 2", &bulks(&["d", "inf", "c", "1e+20"])),
            ("ZPOPMIN z -1", "-ERR value is out of range, must be positive\r\n"),
            ("ZADD z 1 a", ":0\r\n"),
            ("ZADD z GT CH 0 a", ":0\r\n"),
            ("ZADD z GT CH 5 a", ":1\r\n"),
            ("ZADD z LT 0 a 7 newm", ":1\r\n"),
            ("ZADD z INCR 5 nokeymem", "$1\r\n5\r\n"),
            ("ZADD z XX INCR 5 zzz", "$-1\r\n"),
            ("ZADD z NX INCR 5 a", "$-1\r\n"),
            ("ZADD nokey XX 1 a", ":0\r\n"),
            ("EXISTS nokey", ":0\r\n"),
            ("ZRANGESTORE dst z 0 -1", ":4\r\n"),
            ("ZRANGESTORE dst2 z 0 -1 WITHSCORES", "-ERR syntax error\r\n"),
            ("ZUNIONSTORE out 2 z dst WEIGHTS 1 2 AGGREGATE MAX", ":4\r\n"),
            ("ZRANGE out 0 -1 WITHSCORES", &bulks(&["a", "0", "b", "3", "nokeymem", "10", "newm", "14"])),
            ("ZUNIONSTORE out 0 z", "-ERR at least 1 input key is needed for 'zunionstore' command\r\n"),
            ("ZUNIONSTORE out 3 z", "-ERR syntax error\r\n"),
            ("ZUNIONSTORE out 1 z WEIGHTS x", "-ERR weight value is not a float\r\n"),
            ("SADD aset a q", ":2\r\n"),
            ("ZUNIONSTORE out4 2 z aset", ":5\r\n"),
            ("ZRANGE out4 0 -1 WITHSCORES", &bulks(&["a", "1", "q", "1", "b", "1.5", "nokeymem", "5", "newm", "7"])),
            ("ZADD lex 0 a 0 b 0 c 0 d 0 e", ":5\r\n"),
            ("ZRANGEBYLEX lex [b (d", &bulks(&["b", "c"])),
            ("ZREVRANGEBYLEX lex + - LIMIT 1 2", &bulks(&["d", "c"])),
            ("ZLEXCOUNT lex - +", ":5\r\n"),
            ("ZREMRANGEBYLEX lex [a [b", ":2\r\n"),
            ("ZREMRANGEBYRANK lex 0 0", ":1\r\n"),
            ("ZRANGE lex 0 -1", &bulks(&["d", "e"])),
            ("ZREMRANGEBYSCORE z -inf (5", ":2\r\n"),
            ("ZREM z newm nothing", ":1\r\n"),
            ("SET str x", "+OK\r\n"),
            ("ZADD str 1 a", WRONGTYPE),
            ("ZSCORE str a", WRONGTYPE),
            ("TYPE z", "+zset\r\n"),
        ],
    );
    let _ = r.cmd(&[b"HELLO", b"3"]);
    check(
        &mut r,
        &[
            ("ZADD r3 1.5 x 2 y", ":2\r\n"),
            ("ZSCORE r3 x", ",1.5\r\n"),
            (
                "ZRANGE r3 0 -1 WITHSCORES",
                "*2\r\n*2\r\n$1\r\nx\r\n,1.5\r\n*2\r\n$1\r\ny\r\n,2\r\n",
            ),
            ("ZPOPMIN r3", "*2\r\n$1\r\nx\r\n,1.5\r\n"),
            ("ZPOPMIN r3 1", "*1\r\n*2\r\n$1\r\ny\r\n,2\r\n"),
        ],
    );
}

/// ZUNION/ZINTER/ZDIFF/ZINTERCARD and the STORE forms: replies as Redis 7.0.15 gives them,
/// including its order of checks, how infinities combine (sources from the smallest up; NaN
/// is 0 in a sum, ignored by MIN/MAX) and -0 in replies.
#[test]
fn sorted_set_algebra() {
    let srv = TestServer::start(2);
    let mut r = srv.raw();
    check(
        &mut r,
        &[
            ("ZADD a 1 x 2 y 3 z", ":3\r\n"),
            ("ZADD b 5 y 1 w", ":2\r\n"),
            ("SADD s y q", ":2\r\n"),
            ("SET str v", "+OK\r\n"),
            ("ZUNION 2 a b", "*4\r\n$1\r\nw\r\n$1\r\nx\r\n$1\r\nz\r\n$1\r\ny\r\n"),
            ("ZUNION 2 a b WITHSCORES", "*8\r\n$1\r\nw\r\n$1\r\n1\r\n$1\r\nx\r\n$1\r\n1\r\n$1\r\nz\r\n$1\r\n3\r\n$1\r\ny\r\n$1\r\n7\r\n"),
            ("ZUNION 2 a b WEIGHTS 1 2 AGGREGATE MAX WITHSCORES", "*8\r\n$1\r\nx\r\n$1\r\n1\r\n$1\r\nw\r\n$1\r\n2\r\n$1\r\nz\r\n$1\r\n3\r\n$1\r\ny\r\n$2\r\n10\r\n"),
            ("ZUNION 2 a s WITHSCORES", "*8\r\n$1\r\nq\r\n$1\r\n1\r\n$1\r\nx\r\n$1\r\n1\r\n$1\r\ny\r\n$1\r\n3\r\n$1\r\nz\r\n$1\r\n3\r\n"),
            ("ZUNION 2 a b WITHSCORES WITHSCORES", "*8\r\n$1\r\nw\r\n$1\r\n1\r\n$1\r\nx\r\n$1\r\n1\r\n$1\r\nz\r\n$1\r\n3\r\n$1\r\ny\r\n$1\r\n7\r\n"),
            ("ZINTER 2 a b WITHSCORES", "*2\r\n$1\r\ny\r\n$1\r\n7\r\n"),
            ("ZINTER 2 a nokey", "*0\r\n"),
            ("ZINTER 3 a b s AGGREGATE MIN WITHSCORES", "*2\r\n$1\r\ny\r\n$1\r\n1\r\n"),
            ("ZDIFF 2 a b WITHSCORES", "*4\r\n$1\r\nx\r\n$1\r\n1\r\n$1\r\nz\r\n$1\r\n3\r\n"),
            ("ZDIFF 2 a b WEIGHTS 1 1", "-ERR syntax error\r\n"),
            ("ZDIFF 1 a AGGREGATE MAX", "-ERR syntax error\r\n"),
            ("ZUNION 0 a", "-ERR at least 1 input key is needed for 'zunion' command\r\n"),
            ("ZUNION -1 a", "-ERR at least 1 input key is needed for 'zunion' command\r\n"),
            ("ZUNION x a", "-ERR value is not an integer or out of range\r\n"),
            ("ZUNION 3 a b", "-ERR syntax error\r\n"),
            ("ZUNION 1 str", "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
            ("ZUNION 2 a str WEIGHTS x", "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
            ("ZUNION 1 a WEIGHTS nan", "-ERR weight value is not a float\r\n"),
            ("ZUNION 2 a b WEIGHTS 1", "-ERR syntax error\r\n"),
            ("ZUNION 2 a b AGGREGATE foo", "-ERR syntax error\r\n"),
            ("ZINTER 2 a b LIMIT 1", "-ERR syntax error\r\n"),
            ("ZINTERCARD 2 a b", ":1\r\n"),
            ("ZINTERCARD 3 a b s", ":1\r\n"),
            ("ZINTERCARD 1 a LIMIT 2", ":2\r\n"),
            ("ZINTERCARD 1 a LIMIT 0", ":3\r\n"),
            ("ZINTERCARD 2 a nokey", ":0\r\n"),
            ("ZINTERCARD 0 a", "-ERR at least 1 input key is needed for 'zintercard' command\r\n"),
            ("ZINTERCARD 3 a b", "-ERR syntax error\r\n"),
            ("ZINTERCARD x a b", "-ERR value is not an integer or out of range\r\n"),
            ("ZINTERCARD 2 a b LIMIT -1", "-ERR LIMIT can't be negative\r\n"),
            ("ZINTERCARD 2 a b LIMIT x", "-ERR LIMIT can't be negative\r\n"),
            ("ZINTERCARD 2 a str LIMIT -1", "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
            ("ZINTERCARD 2 a b WEIGHTS 1 1", "-ERR syntax error\r\n"),
            ("ZINTERCARD 2 a b WITHSCORES", "-ERR syntax error\r\n"),
            ("ZUNIONSTORE d 2 a b WITHSCORES", "-ERR syntax error\r\n"),
            ("ZADD p 1 m 2 n 3 o", ":3\r\n"),
            ("ZADD q -1 m", ":1\r\n"),
            ("ZADD t 5 m 7 n", ":2\r\n"),
            ("ZUNION 3 p q t WEIGHTS inf inf -inf WITHSCORES", "*6\r\n$1\r\nm\r\n$1\r\n0\r\n$1\r\nn\r\n$1\r\n0\r\n$1\r\no\r\n$3\r\ninf\r\n"),
            ("ZINTER 3 p q t WEIGHTS inf inf -inf WITHSCORES", "*2\r\n$1\r\nm\r\n$1\r\n0\r\n"),
            ("ZINTER 3 p q t WEIGHTS -inf inf inf WITHSCORES", "*2\r\n$1\r\nm\r\n$4\r\n-inf\r\n"),
            ("ZINTERSTORE d 3 p q t WEIGHTS -inf inf inf", ":1\r\n"),
            ("ZRANGE d 0 -1 WITHSCORES", "*2\r\n$1\r\nm\r\n$4\r\n-inf\r\n"),
            ("ZADD ninf -inf h 1 c", ":2\r\n"),
            ("ZINTER 2 ninf ninf WEIGHTS 1 0 AGGREGATE MAX WITHSCORES", "*4\r\n$1\r\nh\r\n$4\r\n-inf\r\n$1\r\nc\r\n$1\r\n1\r\n"),
            ("ZINTER 2 ninf ninf WEIGHTS 1 0 AGGREGATE MIN WITHSCORES", "*4\r\n$1\r\nh\r\n$4\r\n-inf\r\n$1\r\nc\r\n$1\r\n0\r\n"),
            ("ZINTER 2 ninf ninf WEIGHTS 1 0 WITHSCORES", "*4\r\n$1\r\nh\r\n$1\r\n0\r\n$1\r\nc\r\n$1\r\n1\r\n"),
            ("ZADD zero 0 m 0 a", ":2\r\n"),
            ("ZUNION 1 zero WEIGHTS -1 WITHSCORES", "*4\r\n$1\r\na\r\n$2\r\n-0\r\n$1\r\nm\r\n$2\r\n-0\r\n"),
            ("ZUNIONSTORE zz 1 zero WEIGHTS -1", ":2\r\n"),
            ("ZSCORE zz m", "$1\r\n0\r\n"),
        ],
    );
}

/// ZRANDMEMBER, HRANDFIELD and SRANDMEMBER: the count's checks (Redis 7.0.15's replies), then
/// RESP3 shapes.
#[test]
fn random_member_replies() {
    let srv = TestServer::start(1);
    let mut r = srv.raw();
    check(
        &mut r,
        &[
            ("ZADD a 1 x 2 y 3 z", ":3\r\n"),
            ("HSET h f v", ":1\r\n"),
            ("SADD s m", ":1\r\n"),
            ("SET str v", "+OK\r\n"),
            ("ZRANDMEMBER a 4611686018427387904 WITHSCORES", "-ERR value is out of range\r\n"),
            ("ZRANDMEMBER a -4611686018427387904 WITHSCORES", "-ERR value is out of range\r\n"),
            ("ZRANDMEMBER a -9223372036854775808", "-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807\r\n"),
            ("ZRANDMEMBER a 0", "*0\r\n"),
            ("ZRANDMEMBER a 0 WITHSCORES", "*0\r\n"),
            ("ZRANDMEMBER nokey", "$-1\r\n"),
            ("ZRANDMEMBER nokey 3", "*0\r\n"),
            ("ZRANDMEMBER nokey -3", "*0\r\n"),
            ("ZRANDMEMBER nokey x", "-ERR value is not an integer or out of range\r\n"),
            ("ZRANDMEMBER a 2 foo", "-ERR syntax error\r\n"),
            ("ZRANDMEMBER a x foo", "-ERR value is not an integer or out of range\r\n"),
            ("ZRANDMEMBER a 1 WITHSCORES x", "-ERR syntax error\r\n"),
            ("ZRANDMEMBER str", "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
            ("ZRANDMEMBER str 1", "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
            ("ZRANDMEMBER str x", "-ERR value is not an integer or out of range\r\n"),
            ("HRANDFIELD h 4611686018427387904", "*1\r\n$1\r\nf\r\n"),
            ("HRANDFIELD h 4611686018427387904 WITHVALUES", "-ERR value is out of range\r\n"),
            ("HRANDFIELD h -4611686018427387904 WITHVALUES", "-ERR value is out of range\r\n"),
            ("HRANDFIELD h -9223372036854775808", "-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807\r\n"),
            ("HRANDFIELD h x foo", "-ERR value is not an integer or out of range\r\n"),
            ("HRANDFIELD h 1 foo", "-ERR syntax error\r\n"),
            ("SRANDMEMBER s -9223372036854775808", "-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807\r\n"),
            ("SRANDMEMBER s 9223372036854775807", "*1\r\n$1\r\nm\r\n"),
            ("SRANDMEMBER s -3", "*3\r\n$1\r\nm\r\n$1\r\nm\r\n$1\r\nm\r\n"),
            ("SRANDMEMBER s x 2", "-ERR syntax error\r\n"),
            ("SRANDMEMBER str 1", "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
            ("HRANDFIELD h -2 WITHVALUES", "*4\r\n$1\r\nf\r\n$1\r\nv\r\n$1\r\nf\r\n$1\r\nv\r\n"),
        ],
    );
    let _ = r.cmd(&[b"HELLO", b"3"]);
    check(
        &mut r,
        &[
            (
                "ZUNION 2 a h WITHSCORES",
                "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
            ),
            ("ZADD one 1.5 x", ":1\r\n"),
            ("ZUNION 1 one WITHSCORES", "*1\r\n*2\r\n$1\r\nx\r\n,1.5\r\n"),
            ("ZINTER 1 one", "*1\r\n$1\r\nx\r\n"),
            (
                "ZRANDMEMBER one 1 WITHSCORES",
                "*1\r\n*2\r\n$1\r\nx\r\n,1.5\r\n",
            ),
            (
                "ZRANDMEMBER one -2 WITHSCORES",
                "*2\r\n*2\r\n$1\r\nx\r\n,1.5\r\n*2\r\n$1\r\nx\r\n,1.5\r\n",
            ),
            ("ZRANDMEMBER one -2", "*2\r\n$1\r\nx\r\n$1\r\nx\r\n"),
            ("SRANDMEMBER s 1", "*1\r\n$1\r\nm\r\n"),
            ("SRANDMEMBER s -2", "*2\r\n$1\r\nm\r\n$1\r\nm\r\n"),
            ("SRANDMEMBER nokey 2", "*0\r\n"),
            ("ZRANDMEMBER nokey", "_\r\n"),
            ("ZRANDMEMBER nokey 1", "*0\r\n"),
        ],
    );
}

/// A negative count picks with repeats, so its reply grows with the count, not the key: one
/// that would pass 512 MB is refused (Redis 7.0 builds it until memory runs out); the server
/// stays up and a distinct pick never repeats a member.
#[test]
fn random_member_counts() {
    let srv = TestServer::start(1);
    let mut c = srv.client();
    q::<i64>(&mut c, &["ZADD", "z", "1", "a", "2", "b", "3", "c"]);
    q::<i64>(&mut c, &["SADD", "s", "a"]);
    q::<i64>(&mut c, &["HSET", "h", "f", "v"]);
    for cmd in [
        ["ZRANDMEMBER", "z", "-4611686018427387903"],
        ["SRANDMEMBER", "s", "-9223372036854775807"],
        ["HRANDFIELD", "h", "-9223372036854775807"],
        ["SRANDMEMBER", "s", "-100000000"],
    ] {
        let e = redis::cmd(cmd[0])
            .arg(&cmd[1..])
            .query::<Vec<String>>(&mut c);
        let e = e.expect_err("refused");
        assert_eq!(e.detail(), Some("value is out of range"), "{cmd:?}");
    }
    assert_eq!(
        q::<Vec<String>>(&mut c, &["SRANDMEMBER", "s", "-1000"]).len(),
        1000
    );
    let two: Vec<String> = q(&mut c, &["ZRANDMEMBER", "z", "2"]);
    assert_eq!(two.len(), 2);
    assert_ne!(two[0], two[1]);
    let all: Vec<String> = q(&mut c, &["ZRANDMEMBER", "z", "10", "WITHSCORES"]);
    let mut pairs: Vec<(String, String)> = all
        .chunks(2)
        .map(|p| (p[0].clone(), p[1].clone()))
        .collect();
    pairs.sort();
    let want = [("a", "1"), ("b", "2"), ("c", "3")].map(|(m, s)| (m.into(), s.into()));
    assert_eq!(pairs, want);
    let one: String = q(&mut c, &["ZRANDMEMBER", "z"]);
    assert!(["a", "b", "c"].contains(&one.as_str()));
    assert_eq!(q::<String>(&mut c, &["PING"]), "PONG");
}

#[test]
fn ranks_stay_right_through_many_updates() {
    let srv = TestServer::start(1);
    let mut c = srv.client();
    let mut model: Vec<(i64, String)> = Vec::new();
    for i in 0..2000i64 {
        let m = format!("m{}", (i * 7919) % 500);
        let s = (i * 104729) % 1000 - 500;
        let _: i64 = q(&mut c, &["ZADD", "big", &s.to_string(), &m]);
        model.retain(|(_, x)| *x != m);
        model.push((s, m));
    }
    model.sort();
    for (i, (_, m)) in model.iter().enumerate().step_by(37) {
        assert_eq!(q::<i64>(&mut c, &["ZRANK", "big", m]), i as i64);
    }
    let got: Vec<String> = q(&mut c, &["ZRANGE", "big", "100", "109"]);
    let want: Vec<String> = model[100..110].iter().map(|(_, m)| m.clone()).collect();
    assert_eq!(got, want);
    let n: i64 = q(&mut c, &["ZCOUNT", "big", "-100", "(100"]);
    assert_eq!(
        n as usize,
        model.iter().filter(|(s, _)| *s >= -100 && *s < 100).count()
    );
    // ZSCAN returns every member.
    let mut seen = std::collections::HashSet::new();
    let mut cursor = 0u64;
    loop {
        let (next, batch): (u64, Vec<String>) = redis::cmd("ZSCAN")
            .arg("big")
            .arg(cursor)
            .query(&mut c)
            .unwrap();
        seen.extend(batch.chunks(2).map(|p| p[0].clone()));
        if next == 0 {
            break;
        }
        cursor = next;
    }
    assert_eq!(seen.len(), model.len());
}

#[test]
fn sorted_sets_survive_restart_and_rewrite() {
    let mut srv = TestServer::start(2);
    let mut c = srv.client();
    let _: i64 = q(
        &mut c,
        &["ZADD", "lb", "0.1", "a", "2", "b", "3", "c", "-inf", "d"],
    );
    let _: f64 = q(&mut c, &["ZINCRBY", "lb", "0.2", "a"]);
    let _: Vec<String> = q(&mut c, &["ZPOPMAX", "lb"]);
    let _: i64 = q(&mut c, &["ZUNIONSTORE", "u", "1", "lb", "WEIGHTS", "3"]);
    let _: i64 = q(&mut c, &["ZREMRANGEBYRANK", "u", "0", "0"]);
    let snap = |c: &mut redis::Connection| -> (Vec<String>, Vec<String>) {
        (
            q(c, &["ZRANGE", "lb", "0", "-1", "WITHSCORES"]),
            q(c, &["ZRANGE", "u", "0", "-1", "WITHSCORES"]),
        )
    };
    let want = snap(&mut c);
    assert_eq!(want.0, ["d", "-inf", "a", "0.30000000000000004", "b", "2"]);
    drop(c);
    srv.restart();
    let mut c = srv.client();
    assert_eq!(snap(&mut c), want);
    common::rewrite_aof(&mut c);
    drop(c);
    srv.restart();
    let mut c = srv.client();
    assert_eq!(snap(&mut c), want);
}
