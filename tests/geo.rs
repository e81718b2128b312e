//! Geo commands: scores, geohashes, positions, distances and search results equal to
//! redis-server 7.0.15's (fixtures made by it from the same commands: 400 random points, 180
//! searches), and the replies and errors of each command in RESP2 and RESP3.

mod common;
use common::{check_replies, TestServer};

fn send(r: &mut common::Raw, args: &[&str]) -> Vec<u8> {
    let a: Vec<&[u8]> = args.iter().map(|s| s.as_bytes()).collect();
    r.cmd(&a)
}

/// The bulk strings of a RESP reply, flattened, in order.
fn bulks(reply: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(reply);
    let lines: Vec<&str> = text.split("\r\n").collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if lines[i].starts_with('$') && lines[i] != "$-1" {
            out.push(lines[i + 1].to_string());
            i += 2;
        } else {
            i += 1;
        }
    }
    out
}

#[test]
fn same_scores_positions_and_searches_as_redis() {
    let srv = TestServer::start(2);
    let mut r = srv.raw();
    let points = std::fs::read_to_string("tests/fixtures/geo/points.txt").unwrap();
    for line in points.lines() {
        let f: Vec<&str> = line.split(' ').collect();
        assert_eq!(send(&mut r, &["GEOADD", "g", f[1], f[2], f[0]]), b":1\r\n");
        assert_eq!(
            bulks(&send(&mut r, &["ZSCORE", "g", f[0]])),
            [f[3]],
            "{line}"
        );
        assert_eq!(
            bulks(&send(&mut r, &["GEOHASH", "g", f[0]])),
            [f[4]],
            "{line}"
        );
        assert_eq!(
            bulks(&send(&mut r, &["GEOPOS", "g", f[0]])),
            [f[5], f[6]],
            "{line}"
        );
    }
    let searches = std::fs::read_to_string("tests/fixtures/geo/searches.txt").unwrap();
    for line in searches.lines() {
        let (cmd, want) = line.split_once('|').unwrap();
        let args: Vec<&str> = cmd.split(' ').collect();
        let got = bulks(&send(&mut r, &args));
        let got = if args[0] == "GEORADIUS" {
            got.chunks(2)
                .map(|c| format!("{}={}", c[0], c[1]))
                .collect::<Vec<_>>()
        } else {
            got
        };
        let want: Vec<String> = if want.is_empty() {
            vec![]
        } else {
            want.split(',').map(String::from).collect()
        };
        assert_eq!(got, want, "{cmd}");
    }
}

#[test]
fn replies_and_errors() {
    let srv = TestServer::start(2);
    let mut r = srv.raw();
    let palermo = "*2\r\n$20\r\n13.36138933897018433\r\n$20\r\n38.11555639549629859\r\n";
    let catania = "*2\r\n$20\r\n15.08726745843887329\r\n$20\r\n37.50266842333162032\r\n";
    check_replies(
        &mut r,
        &[
            ("GEOADD Sicily 13.361389 38.115556 Palermo 15.087269 37.502669 Catania", ":2\r\n"),
            ("ZSCORE Sicily Palermo", "$16\r\n3479099956230698\r\n"),
            ("GEODIST Sicily Palermo Catania", "$11\r\n166274.1516\r\n"),
            ("GEODIST Sicily Palermo Catania km", "$8\r\n166.2742\r\n"),
            ("GEODIST Sicily Palermo Catania mi", "$8\r\n103.3182\r\n"),
            ("GEODIST Sicily Palermo Catania ft x", "-ERR syntax error\r\n"),
            ("GEODIST Sicily Palermo nope", "$-1\r\n"),
            ("GEOHASH Sicily Palermo Catania nope", "*3\r\n$11\r\nsqc8b49rny0\r\n$11\r\nsqdtr74hyu0\r\n$-1\r\n"),
            ("GEOPOS Sicily Palermo NonExisting", &format!("*2\r\n{palermo}*-1\r\n")),
            ("GEORADIUS Sicily 15 37 200 km WITHDIST", "*2\r\n*2\r\n$7\r\nPalermo\r\n$8\r\n190.4424\r\n*2\r\n$7\r\nCatania\r\n$7\r\n56.4413\r\n"),
            ("GEORADIUS Sicily 15 37 200 km WITHDIST WITHCOORD WITHHASH ASC COUNT 1", &format!("*1\r\n*4\r\n$7\r\nCatania\r\n$7\r\n56.4413\r\n:3479447370796909\r\n{catania}")),
            ("GEORADIUS Sicily 15 37 200 km COUNT 1 ANY", "*1\r\n$7\r\nPalermo\r\n"),
            ("GEORADIUS Sicily 15 37 200 km ANY", "-ERR the ANY argument requires COUNT argument\r\n"),
            ("GEORADIUS Sicily 15 37 200 km COUNT 0", "-ERR COUNT must be > 0\r\n"),
            ("GEORADIUS Sicily 15 37 200 km DESC", "*2\r\n$7\r\nPalermo\r\n$7\r\nCatania\r\n"),
            ("GEORADIUS Sicily 15 37 200 km STORE dst", ":2\r\n"),
            ("ZRANGE dst 0 -1 WITHSCORES", "*4\r\n$7\r\nPalermo\r\n$16\r\n3479099956230698\r\n$7\r\nCatania\r\n$16\r\n3479447370796909\r\n"),
            ("GEORADIUS Sicily 15 37 200 km STOREDIST dst", ":2\r\n"),
            ("ZRANGE dst 0 -1 WITHSCORES", "*4\r\n$7\r\nCatania\r\n$18\r\n56.441257870158204\r\n$7\r\nPalermo\r\n$18\r\n190.44242984775784\r\n"),
            ("GEORADIUS_RO Sicily 15 37 200 km STORE dst", "-ERR syntax error\r\n"),
            ("GEORADIUS Sicily 15 37 200 km STORE dst WITHDIST", "-ERR STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORD options\r\n"),
            ("GEORADIUSBYMEMBER Sicily Palermo 200 km", "*2\r\n$7\r\nPalermo\r\n$7\r\nCatania\r\n"),
            ("GEORADIUSBYMEMBER Sicily nope 200 km", "-ERR could not decode requested zset member\r\n"),
            ("GEORADIUSBYMEMBER nokey nope 200 km", "*0\r\n"),
            ("GEORADIUS Sicily 181 37 200 km", "-ERR invalid longitude,latitude pair 181.000000,37.000000\r\n"),
            ("GEORADIUS Sicily 15 37 -1 km", "-ERR radius cannot be negative\r\n"),
            ("GEORADIUS Sicily 15 37 a km", "-ERR need numeric radius\r\n"),
            ("GEORADIUS Sicily 15 37 1 parsec", "-ERR unsupported unit provided. please use M, KM, FT, MI\r\n"),
            ("GEOADD Sicily 200 100 x", "-ERR invalid longitude,latitude pair 200.000000,100.000000\r\n"),
            ("GEOADD Sicily nx xx 1 1 x", "-ERR syntax error\r\n"),
            ("GEOADD Sicily ch 1 1 x 2 2", "-ERR syntax error\r\n"),
            ("GEOADD Sicily ch 1 1 x 2 2 y", ":2\r\n"),
            ("GEOSEARCH Sicily FROMMEMBER Palermo BYBOX 400 400 km ASC WITHCOORD WITHDIST", &format!("*2\r\n*3\r\n$7\r\nPalermo\r\n$6\r\n0.0000\r\n{palermo}*3\r\n$7\r\nCatania\r\n$8\r\n166.2742\r\n{catania}")),
            ("GEOSEARCH Sicily FROMLONLAT 15 37 count 1", "-ERR exactly one of BYRADIUS and BYBOX can be specified for GEOSEARCH\r\n"),
            ("geosearch Sicily BYRADIUS 1 km ASC WITHDIST", "-ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for geosearch\r\n"),
            ("GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km FROMMEMBER Palermo", "-ERR syntax error\r\n"),
            ("GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX -1 1 km", "-ERR height or width cannot be negative\r\n"),
            ("GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX x 1 km", "-ERR need numeric width\r\n"),
            ("GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km STORE x", "-ERR syntax error\r\n"),
            ("GEOSEARCHSTORE dst Sicily FROMLONLAT 15 37 BYRADIUS 200 km STOREDIST", ":2\r\n"),
            ("GEOSEARCHSTORE dst nokey FROMLONLAT 15 37 BYRADIUS 200 km", ":0\r\n"),
            ("EXISTS dst", ":0\r\n"),
            ("SET str x", "+OK\r\n"),
            ("GEOPOS str a", "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
        ],
    );
    send(&mut r, &["HELLO", "3"]);
    check_replies(
        &mut r,
        &[
            (
                "GEOPOS Sicily Palermo nope",
                "*2\r\n*2\r\n,13.36138933897018433\r\n,38.11555639549629859\r\n_\r\n",
            ),
            ("GEODIST Sicily Palermo Catania km", "$8\r\n166.2742\r\n"),
        ],
    );
}
