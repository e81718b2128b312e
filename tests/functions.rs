//! FUNCTION and FCALL (redis-server 7.0.15's replies and errors), FUNCTION DUMP/RESTORE with
//! Redis's payloads (LZF-compressed strings, CRC-64), libraries in the AOF across restarts and
//! rewrites, and the long-running script rules: BUSY replies past busy-reply-threshold, SCRIPT
//! KILL from another executor, UNKILLABLE after a write, SHUTDOWN NOSAVE.

mod common;
use common::{check_replies, eventually, q, Raw, TestServer};
use std::sync::mpsc;

fn send(r: &mut Raw, args: &[&str]) -> String {
    let a: Vec<&[u8]> = args.iter().map(|s| s.as_bytes()).collect();
    String::from_utf8(r.cmd(&a)).unwrap()
}

fn load(r: &mut Raw, code: &str) -> String {
    send(r, &["FUNCTION", "LOAD", code])
}

const LIB: &str = "#!lua name=x
redis.register_function('f', function(keys, args) return redis.call('get', keys[1]) end)
redis.register_function{function_name='g', callback=function(keys, args) return args end, flags={'no-writes'}, description='desc g'}
redis.register_function('w', function(keys, args) return redis.call('set', keys[1], args[1]) end)
redis.register_function('e3', function(k, a) return KEYS end)
redis.register_function('e2', function(k, a) error('boom') end)";

/// FUNCTION LOAD's checks, each with redis-server's reply.
const LOAD_ERRORS: &[(&str, &str)] = &[
    ("return 1", "-ERR Missing library metadata\r\n"),
    ("#!lua name=x", "-ERR Invalid library metadata\r\n"),
    ("#!lua\nx", "-ERR Library name was not given\r\n"),
    ("#!lua name=a-b\nx", "-ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long\r\n"),
    ("#!foo name=y\nx", "-ERR Engine 'foo' not found\r\n"),
    ("#!lua name=y foo=bar\nx", "-ERR Invalid metadata value given: foo=bar\r\n"),
    // A library's code cannot be killed: past 500 ms its load ends (it used to run for good).
    ("#!lua name=y\nwhile true do end", "-ERR Error registering functions: ERR FUNCTION LOAD timeout\r\n"),
    ("#!lua name=q3 name=q4\nx", "-ERR Invalid metadata value, name argument was given multiple times\r\n"),
    ("#!lua name=y\nreturn 1", "-ERR No functions registered\r\n"),
    ("#!lua name=y\nredis.register_function('f', function() return 1 end", "-ERR Error compiling function: user_function:2: ')' expected near '<eof>'\r\n"),
    ("#!lua name=x\nredis.register_function('f2', function() return 1 end)", "-ERR Library 'x' already exists\r\n"),
    ("#!lua name=y\nredis.register_function('F', function() return 1 end)", "-ERR Function F already exists\r\n"),
    ("#!lua name=y\nredis.call('set','a',1)", "-ERR Error registering functions: ERR user_function:2: Script attempted to access nonexistent global variable 'call'\r\n"),
    ("#!lua name=y\nredis.register_function('f')", "-ERR Error registering functions: ERR calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).\r\n"),
    ("#!lua name=y\nredis.register_function('f', 1)", "-ERR Error registering functions: ERR second argument to redis.register_function must be a function\r\n"),
    ("#!lua name=y\nredis.register_function{function_name='h', callback=function() end, flags={'bad'}}", "-ERR Error registering functions: ERR unknown flag given\r\n"),
    ("#!lua name=y\nredis.register_function{function_name='h', callback=function() end, foo=1}", "-ERR Error registering functions: ERR unknown argument given to redis.register_function\r\n"),
    ("#!lua name=y\nredis.register_function('a b', function() end)", "-ERR Error registering functions: ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long\r\n"),
    ("#!lua name=y\nredis.register_function('h', function() end, 1)", "-ERR Error registering functions: ERR wrong number of arguments to redis.register_function\r\n"),
    ("#!lua name=y\nredis.register_function{callback=function() end}", "-ERR Error registering functions: ERR redis.register_function must get a function name argument\r\n"),
    ("#!lua name=y\nredis.register_function{function_name='a'}", "-ERR Error registering functions: ERR redis.register_function must get a callback argument\r\n"),
    ("#!lua name=y\nredis.register_function{function_name='a', callback=1}", "-ERR Error registering functions: ERR callback argument given to redis.register_function must be a function\r\n"),
    ("#!lua name=y\nredis.register_function{function_name='a', callback=function() end, flags=1}", "-ERR Error registering functions: ERR flags argument to redis.register_function must be a table representing function flags\r\n"),
    ("#!lua name=y\nredis.register_function('a', function() end) redis.register_function('a', function() end)", "-ERR Error registering functions: ERR Function already exists in the library\r\n"),
    ("#!lua name=y\nreturn redis.foo", "-ERR Error registering functions: ERR user_function:2: Script attempted to access nonexistent global variable 'foo'\r\n"),
    ("#!lua name=y\nredis.setresp(3)", "-ERR Error registering functions: ERR user_function:2: Script attempted to access nonexistent global variable 'setresp'\r\n"),    // While a library loads its code sees only the library API: `redis` with register_function,
    // log and the version constants.
    ("#!lua name=y\nlocal s = string", "-ERR Error registering functions: ERR user_function:2: Script attempted to access nonexistent global variable 'string'\r\n"),
    ("#!lua name=y\nlocal t = table", "-ERR Error registering functions: ERR user_function:2: Script attempted to access nonexistent global variable 'table'\r\n"),
    ("#!lua name=y\nreturn pairs", "-ERR Error registering functions: ERR user_function:2: Script attempted to access nonexistent global variable 'pairs'\r\n"),
    ("#!lua name=y\nreturn _G", "-ERR Error registering functions: ERR user_function:2: Script attempted to access nonexistent global variable '_G'\r\n"),
    ("#!lua name=y\nredis.x = 1", "-ERR Error registering functions: ERR user_function:2: Attempt to modify a readonly table\r\n"),
    ("#!lua name=y\nrawset(redis, 'x', 1)", "-ERR Error registering functions: ERR user_function:2: Script attempted to access nonexistent global variable 'rawset'\r\n"),
    ("#!lua name=y\nx = 1", "-ERR Error registering functions: ERR user_function:2: Attempt to modify a readonly table\r\n"),
    ("#!lua name=y\nreturn redis.REPL_ALL", "-ERR Error registering functions: ERR user_function:2: Script attempted to access nonexistent global variable 'REPL_ALL'\r\n"),
    ("#!lua name=y\nreturn redis.log(redis.LOG_WARNING, redis.REDIS_VERSION, redis.REDIS_VERSION_NUM)", "-ERR No functions registered\r\n"),
];

#[test]
fn function_load_and_fcall_as_redis() {
    let srv = TestServer::start(2);
    let mut r = srv.raw();
    assert_eq!(load(&mut r, LIB), "$1\r\nx\r\n");
    assert_eq!(
        load(
            &mut r,
            "#!LUA  name=z\nredis.register_function('zf', function() return 1 end)"
        ),
        "$1\r\nz\r\n"
    );
    for (code, want) in LOAD_ERRORS {
        assert_eq!(load(&mut r, code), *want, "{code}");
    }
    // Once called, its functions see all the globals a script sees (not register_function).
    let env = "#!lua name=envlib\nredis.register_function('envf', function(k, a) return \
               {type(string.format), type(math.random), type(redis.call), \
               tostring(rawget(_G, 'pairs') == pairs), type(redis.register_function)} end)";
    assert_eq!(load(&mut r, env), "$6\r\nenvlib\r\n");
    assert_eq!(
        send(&mut r, &["FCALL", "envf", "0"]),
        "*5\r\n$8\r\nfunction\r\n$8\r\nfunction\r\n$8\r\nfunction\r\n$4\r\ntrue\r\n$3\r\nnil\r\n"
    );
    assert_eq!(send(&mut r, &["FUNCTION", "DELETE", "envlib"]), "+OK\r\n");
    check_replies(
        &mut r,
        &[
            ("SET k v", "+OK\r\n"),
            ("FCALL f 1 k", "$1\r\nv\r\n"),
            ("FCALL g 0 a b", "*2\r\n$1\r\na\r\n$1\r\nb\r\n"),
            // Function names are found without case, as Redis's dictionary finds them.
            ("FCALL G 0 a", "*1\r\n$1\r\na\r\n"),
            ("FCALL_RO g 0 x", "*1\r\n$1\r\nx\r\n"),
            ("FCALL_RO f 1 k", "-ERR Can not execute a script with write flag using *_ro command.\r\n"),
            ("FCALL nope 0", "-ERR Function not found\r\n"),
            ("FCALL nope 5", "-ERR Function not found\r\n"),
            ("FCALL f 2 k", "-ERR Number of keys can't be greater than number of args\r\n"),
            ("FCALL f -1", "-ERR Number of keys can't be negative\r\n"),
            ("FCALL f x", "-ERR Bad number of keys provided\r\n"),
            ("FCALL e3 0", "-ERR user_function:5: Script attempted to access nonexistent global variable 'KEYS' script: e3, on @user_function:5.\r\n"),
            ("FCALL e2 0", "-ERR user_function:6: boom script: e2, on @user_function:6.\r\n"),
            ("FCALL w 1 a b", "+OK\r\n"),
            ("GET a", "$1\r\nb\r\n"),
            ("FUNCTION DELETE nope", "-ERR Library not found\r\n"),
            ("FUNCTION DELETE", "-ERR wrong number of arguments for 'function|delete' command\r\n"),
            ("FUNCTION LIST libraryname", "-ERR library name argument was not given\r\n"),
            ("FUNCTION LIST foo", "-ERR Unknown argument foo\r\n"),
            ("FUNCTION LIST withcode withcode", "-ERR Unknown argument withcode\r\n"),
            ("FUNCTION LIST LIBRARYNAME x LIBRARYNAME y", "-ERR Unknown argument LIBRARYNAME\r\n"),
            ("FUNCTION LOAD FOO x", "-ERR Unknown option given: FOO\r\n"),
            ("FUNCTION RESTORE abc", "-ERR DUMP payload version or checksum are wrong\r\n"),
            ("FUNCTION RESTORE abc bad", "-ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.\r\n"),
            ("FUNCTION FLUSH bad", "-ERR FUNCTION FLUSH only supports SYNC|ASYNC option\r\n"),
            ("FUNCTION FLUSH async sync", "-ERR unknown subcommand or wrong number of arguments for 'FLUSH'. Try FUNCTION HELP.\r\n"),
            ("FUNCTION KILL", "-NOTBUSY No scripts in execution right now.\r\n"),
            ("SCRIPT KILL", "-NOTBUSY No scripts in execution right now.\r\n"),
            ("FUNCTION STATS", "*4\r\n$14\r\nrunning_script\r\n$-1\r\n$7\r\nengines\r\n*2\r\n$3\r\nLUA\r\n*4\r\n$15\r\nlibraries_count\r\n:2\r\n$15\r\nfunctions_count\r\n:6\r\n"),
            ("FUNCTION LIST LIBRARYNAME Z", "*1\r\n*6\r\n$12\r\nlibrary_name\r\n$1\r\nz\r\n$6\r\nengine\r\n$3\r\nLUA\r\n$9\r\nfunctions\r\n*1\r\n*6\r\n$4\r\nname\r\n$2\r\nzf\r\n$11\r\ndescription\r\n$-1\r\n$5\r\nflags\r\n*0\r\n"),
            ("FUNCTION DELETE z", "+OK\r\n"),
        ],
    );
    // RESP3: maps, and the flags as a set.
    let mut r3 = srv.raw();
    send(&mut r3, &["HELLO", "3"]);
    let list = send(
        &mut r3,
        &["FUNCTION", "LIST", "LIBRARYNAME", "x", "WITHCODE"],
    );
    assert!(
        list.starts_with("*1\r\n%4\r\n$12\r\nlibrary_name\r\n$1\r\nx\r\n"),
        "{list}"
    );
    assert!(
        list.contains("$11\r\ndescription\r\n_\r\n$5\r\nflags\r\n~0\r\n"),
        "{list}"
    );
    assert!(
        list.contains("$6\r\ndesc g\r\n$5\r\nflags\r\n~1\r\n+no-writes\r\n"),
        "{list}"
    );
    assert!(
        list.ends_with(&format!(
            "$12\r\nlibrary_code\r\n${}\r\n{LIB}\r\n",
            LIB.len()
        )),
        "{list}"
    );
    let mut c = srv.client3();
    let list: redis::Value = q(&mut c, &["FUNCTION", "LIST", "LIBRARYNAME", "x"]);
    let text = format!("{list:?}");
    assert!(
        text.contains("desc g") && text.contains("no-writes"),
        "{text}"
    );
    check_replies(
        &mut r,
        &[
            ("FUNCTION FLUSH", "+OK\r\n"),
            ("FCALL f 0", "-ERR Function not found\r\n"),
        ],
    );
}

/// FUNCTION DUMP of redis-server 7.0.15 (one library, its code LZF-compressed).
const REDIS_DUMP: &str = "f5c3406540881f23216c7561206e616d653d6c69620a72656469732e72656769737465725f66750f6e6374696f6e282768656c6c6f272c20e00011126b6579732c2061726773292072657475726e208024042027202e2e6018025b315d400a00272001e0141103656e64290a00fb81075d318ecdca";

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn dump_and_restore_with_redis_payloads() {
    let srv = TestServer::start(2);
    let mut r = srv.raw();
    let payload = unhex(REDIS_DUMP);
    let restore = |r: &mut Raw, p: &[u8], policy: Option<&str>| {
        let mut a: Vec<&[u8]> = vec![b"FUNCTION", b"RESTORE", p];
        if let Some(pol) = policy {
            a.push(pol.as_bytes());
        }
        String::from_utf8(r.cmd(&a)).unwrap()
    };
    assert_eq!(restore(&mut r, &payload, None), "+OK\r\n");
    assert_eq!(
        send(&mut r, &["FCALL", "hello", "0", "x"]),
        "$11\r\nhello x x x\r\n"
    );
    assert_eq!(
        restore(&mut r, &payload, Some("APPEND")),
        "-ERR Library lib already exists\r\n"
    );
    assert_eq!(restore(&mut r, &payload, Some("REPLACE")), "+OK\r\n");
    let mut bad = payload.clone();
    bad[5] ^= 1;
    assert_eq!(
        restore(&mut r, &bad, None),
        "-ERR DUMP payload version or checksum are wrong\r\n"
    );
    // ringdis's own dump restores after a flush (and a policy of FLUSH empties first).
    load(
        &mut r,
        "#!lua name=two\nredis.register_function('second', function() return 2 end)",
    );
    let mut c = srv.client();
    let ours: Vec<u8> = q(&mut c, &["FUNCTION", "DUMP"]);
    assert_eq!(send(&mut r, &["FUNCTION", "FLUSH"]), "+OK\r\n");
    assert_eq!(restore(&mut r, &ours, None), "+OK\r\n");
    assert_eq!(send(&mut r, &["FCALL", "second", "0"]), ":2\r\n");
    assert_eq!(restore(&mut r, &payload, Some("FLUSH")), "+OK\r\n");
    assert_eq!(
        send(&mut r, &["FCALL", "second", "0"]),
        "-ERR Function not found\r\n"
    );
    // Every executor sees the same libraries.
    for _ in 0..8 {
        let mut other = srv.raw();
        assert_eq!(
            send(&mut other, &["FCALL", "hello", "0", "y"]),
            "$11\r\nhello y y y\r\n"
        );
    }
}

#[test]
fn libraries_survive_restarts_and_rewrites() {
    let mut srv = TestServer::start(2);
    let mut c = srv.client();
    let lib = "#!lua name=counter\nredis.register_function('bump', function(keys, args) return redis.call('incrby', keys[1], args[1]) end)";
    let _: String = q(&mut c, &["FUNCTION", "LOAD", lib]);
    let _: String = q(
        &mut c,
        &[
            "FUNCTION",
            "LOAD",
            "#!lua name=gone\nredis.register_function('g', function() return 1 end)",
        ],
    );
    let _: () = q(&mut c, &["FUNCTION", "DELETE", "gone"]);
    assert_eq!(q::<i64>(&mut c, &["FCALL", "bump", "1", "n", "5"]), 5);
    let aof = std::fs::read(srv.dir.path().join("appendonly.aof")).unwrap();
    let text = String::from_utf8_lossy(&aof).to_ascii_uppercase();
    // The function's effect is logged, not the FCALL.
    assert!(!text.contains("FCALL") && text.contains("INCRBY"), "{text}");
    drop(c);
    srv.restart();
    let mut c = srv.client();
    assert_eq!(q::<i64>(&mut c, &["FCALL", "bump", "1", "n", "2"]), 7);
    let gone: redis::RedisResult<i64> = redis::cmd("FCALL").arg("g").arg(0).query(&mut c);
    assert!(gone.is_err());
    common::rewrite_aof(&mut c);
    drop(c);
    srv.restart();
    let mut c = srv.client();
    assert_eq!(q::<i64>(&mut c, &["FCALL", "bump", "1", "n", "1"]), 8);
    let list: Vec<redis::Value> = q(&mut c, &["FUNCTION", "LIST"]);
    assert_eq!(list.len(), 1);
    assert_eq!(common::info_u64(&mut c, "memory", "number_of_libraries"), 1);
    assert_eq!(common::info_u64(&mut c, "memory", "number_of_functions"), 1);
    assert!(common::info_u64(&mut c, "memory", "used_memory_lua") > 0);
}

#[test]
fn fcall_inside_multi() {
    let srv = TestServer::start(2);
    let mut r = srv.raw();
    load(
        &mut r,
        "#!lua name=m\nredis.register_function('add', function(keys, args) return redis.call('incrby', keys[1], args[1]) end)",
    );
    check_replies(
        &mut r,
        &[
            ("MULTI", "+OK\r\n"),
            ("FCALL add 1 c 2", "+QUEUED\r\n"),
            ("FCALL add 1 c 3", "+QUEUED\r\n"),
            ("EXEC", "*2\r\n:2\r\n:5\r\n"),
        ],
    );
}

/// Sends SCRIPT KILL (or `cmd`) from `n` new connections at once: with two executors, some
/// land on one the script does not occupy and are answered while it runs; the others wait for
/// it to end. Returns the replies.
fn from_many(port: u16, n: usize, cmd: &'static [&'static str]) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    for _ in 0..n {
        let tx = tx.clone();
        std::thread::spawn(move || {
            let mut r = Raw::connect(port);
            let reply = send(&mut r, cmd);
            let _ = tx.send(reply);
        });
    }
    rx
}

#[test]
fn busy_script_is_killed_from_another_executor() {
    assert_eq!(
        kill_from_another_executor("while true do end", true),
        "-ERR Script killed by user with SCRIPT KILL... script: 694a5fe1ddb97a4c6a1bf299d9537c7d3d0f84e7, on @user_script:1.\r\n"
    );
    // A pcall in a loop cannot swallow the stop: once stopped, the script is checked on every
    // instruction, so the error reaches the loop outside the pcall (it used to run for good).
    assert_eq!(
        kill_from_another_executor(
            "while true do pcall(function() while true do end end) end",
            false
        ),
        "-ERR Script killed by user with SCRIPT KILL... script: 3d7b0cfd4124d0a72b8a39e531e7c806bc453d3e, on @user_script:1.\r\n"
    );
}

/// Runs `script` until it is past busy-reply-threshold, kills it with SCRIPT KILL from the
/// connections that land on another executor, and returns the script's reply. `busy_replies`:
/// also checks what other commands get meanwhile.
fn kill_from_another_executor(script: &'static str, busy_replies: bool) -> String {
    let srv = TestServer::start(2);
    let port = srv.port;
    let mut c = srv.client();
    let _: () = q(&mut c, &["CONFIG", "SET", "busy-reply-threshold", "100"]);
    let (done_tx, done) = mpsc::channel();
    std::thread::spawn(move || {
        let mut r = Raw::connect(port);
        let _ = done_tx.send(send(&mut r, &["EVAL", script, "0"]));
    });
    eventually(|| srv.shared().busy.timed_out());
    if busy_replies {
        // Others are refused with BUSY meanwhile (those on the script's executor wait instead).
        let gets = from_many(port, 16, &["GET", "x"]);
        let busy = gets.recv().unwrap();
        assert_eq!(
            busy,
            "-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n"
        );
        let stats = from_many(port, 16, &["FUNCTION", "KILL"]);
        assert_eq!(
            stats.recv().unwrap(),
            "-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n"
        );
    }
    let kills = from_many(port, 16, &["SCRIPT", "KILL"]);
    let replies: Vec<String> = kills.iter().take(16).collect();
    // Those answered before the script reached its next check may all have said OK.
    assert!(replies.contains(&"+OK\r\n".to_string()), "{replies:?}");
    assert!(
        replies
            .iter()
            .all(|r| r == "+OK\r\n" || r == "-NOTBUSY No scripts in execution right now.\r\n"),
        "{replies:?}"
    );
    let reply = done.recv().unwrap();
    assert_eq!(q::<String>(&mut c, &["PING"]), "PONG");
    reply
}

#[test]
fn busy_function_that_wrote_is_unkillable_and_shutdown_nosave_stops_it() {
    let srv = TestServer::start(2);
    let port = srv.port;
    let mut c = srv.client();
    let _: () = q(&mut c, &["CONFIG", "SET", "lua-time-limit", "100"]);
    let _: String = q(
        &mut c,
        &[
            "FUNCTION",
            "LOAD",
            "#!lua name=spin\nredis.register_function('spin', function(keys, args) redis.call('set', keys[1], 1) while true do end end)",
        ],
    );
    let (done_tx, done) = mpsc::channel();
    std::thread::spawn(move || {
        let mut r = Raw::connect(port);
        let _ = done_tx.send(send(&mut r, &["FCALL", "spin", "1", "k"]));
    });
    eventually(|| srv.shared().busy.timed_out());
    let stats = from_many(port, 16, &["FUNCTION", "STATS"]);
    let s = stats.recv().unwrap();
    assert!(
        s.contains("$4\r\nspin\r\n") && s.contains("duration_ms"),
        "{s}"
    );
    let scripts = from_many(port, 16, &["SCRIPT", "KILL"]);
    assert_eq!(
        scripts.recv().unwrap(),
        "-UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.\r\n"
    );
    let gets = from_many(port, 16, &["SHUTDOWN"]);
    assert_eq!(
        gets.recv().unwrap(),
        "-BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.\r\n"
    );
    let _stop = from_many(port, 16, &["SHUTDOWN", "NOSAVE"]);
    // The script is stopped and the server goes: the caller's connection closes.
    let _ = done.recv();
    eventually(|| srv.shared().shutdown.is_set());
    drop(srv);
}
