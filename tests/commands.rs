//! The command table as clients see it: COMMAND INFO (flags, key positions, categories, key specs,
//! subcommands), COMMAND GETKEYS/GETKEYSANDFLAGS, COMMAND LIST, and how containers answer an
//! unknown or misused subcommand. Every expected reply below was recorded from redis-server
//! 7.0.15 (RESP2) for the same request.

mod common;

use common::{check_replies, TestServer};

#[test]
fn command_introspection_answers_as_redis() {
    let srv = TestServer::start(1);
    let mut r = srv.raw();
    check_replies(
        &mut r,
        &[
        ("COMMAND INFO get", "*1\r\n*10\r\n$3\r\nget\r\n:2\r\n*2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n*3\r\n+@read\r\n+@string\r\n+@fast\r\n*0\r\n*1\r\n*6\r\n$5\r\nflags\r\n*2\r\n+RO\r\n+access\r\n$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n*2\r\n$5\r\nindex\r\n:1\r\n$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n*6\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n*0\r\n"),
        ("COMMAND INFO lmove", "*1\r\n*10\r\n$5\r\nlmove\r\n:5\r\n*2\r\n+write\r\n+denyoom\r\n:1\r\n:2\r\n:1\r\n*3\r\n+@write\r\n+@list\r\n+@slow\r\n*0\r\n*2\r\n*6\r\n$5\r\nflags\r\n*3\r\n+RW\r\n+access\r\n+delete\r\n$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n*2\r\n$5\r\nindex\r\n:1\r\n$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n*6\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n*6\r\n$5\r\nflags\r\n*2\r\n+RW\r\n+insert\r\n$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n*2\r\n$5\r\nindex\r\n:2\r\n$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n*6\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n*0\r\n"),
        ("COMMAND INFO zunionstore", "*1\r\n*10\r\n$11\r\nzunionstore\r\n:-4\r\n*3\r\n+write\r\n+denyoom\r\n+movablekeys\r\n:1\r\n:1\r\n:1\r\n*3\r\n+@write\r\n+@sortedset\r\n+@slow\r\n*0\r\n*2\r\n*6\r\n$5\r\nflags\r\n*2\r\n+OW\r\n+update\r\n$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n*2\r\n$5\r\nindex\r\n:1\r\n$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n*6\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n*6\r\n$5\r\nflags\r\n*2\r\n+RO\r\n+access\r\n$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n*2\r\n$5\r\nindex\r\n:2\r\n$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$6\r\nkeynum\r\n$4\r\nspec\r\n*6\r\n$9\r\nkeynumidx\r\n:0\r\n$8\r\nfirstkey\r\n:1\r\n$7\r\nkeystep\r\n:1\r\n*0\r\n"),
        ("COMMAND INFO client|kill", "*1\r\n*10\r\n$11\r\nclient|kill\r\n:-3\r\n*4\r\n+admin\r\n+noscript\r\n+loading\r\n+stale\r\n:0\r\n:0\r\n:0\r\n*4\r\n+@admin\r\n+@slow\r\n+@dangerous\r\n+@connection\r\n*0\r\n*0\r\n*0\r\n"),
        ("COMMAND INFO nosuch", "*1\r\n$-1\r\n"),
        ("COMMAND GETKEYS set a b", "*1\r\n$1\r\na\r\n"),
        ("COMMAND GETKEYS sort k by w store d", "*2\r\n$1\r\nk\r\n$1\r\nd\r\n"),
        ("COMMAND GETKEYS xread count 1 streams a b 0 0", "*2\r\n$1\r\na\r\n$1\r\nb\r\n"),
        ("COMMAND GETKEYS zunionstore d 2 a b weights 1 2", "*3\r\n$1\r\nd\r\n$1\r\na\r\n$1\r\nb\r\n"),
        ("COMMAND GETKEYS zdiff 0 a", "-ERR Invalid arguments specified for command\r\n"),
        ("COMMAND GETKEYS get a b", "-ERR Invalid number of arguments specified for command\r\n"),
        ("COMMAND GETKEYS foo a", "-ERR Invalid command specified\r\n"),
        ("COMMAND GETKEYS ping x", "-ERR The command has no key arguments\r\n"),
        ("COMMAND GETKEYS mset a 1 b 2", "*2\r\n$1\r\na\r\n$1\r\nb\r\n"),
        ("COMMAND GETKEYS get", "-ERR wrong number of arguments for 'command|getkeys' command\r\n"),
        ("COMMAND GETKEYSANDFLAGS lmove a b left right", "*2\r\n*2\r\n$1\r\na\r\n*3\r\n+RW\r\n+access\r\n+delete\r\n*2\r\n$1\r\nb\r\n*2\r\n+RW\r\n+insert\r\n"),
        ("COMMAND GETKEYSANDFLAGS set a b get", "*1\r\n*2\r\n$1\r\na\r\n*3\r\n+RW\r\n+access\r\n+update\r\n"),
        ("COMMAND GETKEYSANDFLAGS bitfield k get u8 0", "*1\r\n*2\r\n$1\r\nk\r\n*2\r\n+RO\r\n+access\r\n"),
        ("COMMAND GETKEYSANDFLAGS del a b", "*2\r\n*2\r\n$1\r\na\r\n*2\r\n+RM\r\n+delete\r\n*2\r\n$1\r\nb\r\n*2\r\n+RM\r\n+delete\r\n"),
        ("COMMAND LIST FILTERBY", "-ERR syntax error\r\n"),
        ("COMMAND LIST FILTERBY foo x", "-ERR syntax error\r\n"),
        ("COMMAND LIST FILTERBY MODULE x", "*0\r\n"),
        ("COMMAND LIST FILTERBY ACLCAT nosuch", "*0\r\n"),
        ("COMMAND FOO", "-ERR unknown subcommand 'FOO'. Try COMMAND HELP.\r\n"),
        ("CLIENT FOO", "-ERR unknown subcommand 'FOO'. Try CLIENT HELP.\r\n"),
        ("CLIENT", "-ERR wrong number of arguments for 'client' command\r\n"),
        ("PUBSUB CHANNELS a b", "-ERR unknown subcommand or wrong number of arguments for 'CHANNELS'. Try PUBSUB HELP.\r\n"),
        ("SLOWLOG GET 1 2", "-ERR unknown subcommand or wrong number of arguments for 'GET'. Try SLOWLOG HELP.\r\n"),
        ("CONFIG SET a b c", "-ERR syntax error\r\n"),
        ("CONFIG GET", "-ERR wrong number of arguments for 'config|get' command\r\n"),
        ("CONFIG", "-ERR wrong number of arguments for 'config' command\r\n"),
        ("COMMAND COUNT x", "-ERR wrong number of arguments for 'command|count' command\r\n"),
        ("COMMAND DOCS nosuch", "*0\r\n"),
            // A subcommand's full name is not a command.
            (
                "client|list",
                "-ERR unknown command 'client|list', with args beginning with: \r\n",
            ),
        ],
    );
}

#[test]
fn command_list_names_subcommands_and_filters() {
    let srv = TestServer::start(1);
    let mut c = srv.client();
    let all: Vec<String> = common::q(&mut c, &["COMMAND", "LIST"]);
    assert!(all.contains(&"get".to_string()) && all.contains(&"client|kill".to_string()));
    let count: usize = common::q(&mut c, &["COMMAND", "COUNT"]);
    assert_eq!(all.iter().filter(|n| !n.contains('|')).count(), count);
    let mut client: Vec<String> = common::q(
        &mut c,
        &["COMMAND", "LIST", "FILTERBY", "PATTERN", "client*"],
    );
    client.sort();
    assert_eq!(
        client,
        [
            "client",
            "client|caching",
            "client|getname",
            "client|getredir",
            "client|help",
            "client|id",
            "client|info",
            "client|kill",
            "client|list",
            "client|no-evict",
            "client|no-touch",
            "client|pause",
            "client|reply",
            "client|setinfo",
            "client|setname",
            "client|tracking",
            "client|trackinginfo",
            "client|unblock",
            "client|unpause",
        ]
    );
    let pubsub: Vec<String> =
        common::q(&mut c, &["COMMAND", "LIST", "FILTERBY", "ACLCAT", "pubsub"]);
    for n in ["publish", "subscribe", "pubsub|channels"] {
        assert!(pubsub.contains(&n.to_string()), "{n} in {pubsub:?}");
    }
    assert!(!pubsub.contains(&"get".to_string()));
    // Subcommands keep their own latency histograms and show in CLIENT LIST as Redis 7 names them.
    let _: String = common::q(&mut c, &["CLIENT", "LIST"]);
    let info: String = common::q(&mut c, &["CLIENT", "INFO"]);
    assert!(info.contains(" cmd=client|info "), "{info}");
    let stats: String = common::q(&mut c, &["INFO", "latencystats"]);
    assert!(
        stats.contains("latency_percentiles_usec_client|list:"),
        "{stats}"
    );
}

/// Small Redis 7.0 commands clients and test suites call: SUBSTR, MODULE (no modules; LOAD
/// refused as with Redis's default enable-module-command no), DEBUG ERROR, and PUBSUB NUMSUB's
/// flat reply, in RESP3 too. Replies recorded from redis-server 7.0.15.
#[test]
fn substr_module_debug_error_and_numsub() {
    let srv = TestServer::start(1);
    let mut r = srv.raw();
    let refused = "-ERR MODULE command not allowed. If the enable-module-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.\r\n";
    check_replies(
        &mut r,
        &[
            ("SET s hello", "+OK\r\n"),
            ("SUBSTR s 1 3", "$3\r\nell\r\n"),
            ("SUBSTR s 0 -1", "$5\r\nhello\r\n"),
            ("SUBSTR s x 1", "-ERR value is not an integer or out of range\r\n"),
            ("MODULE LIST", "*0\r\n"),
            ("MODULE LIST x", "-ERR wrong number of arguments for 'module|list' command\r\n"),
            ("MODULE FOO", "-ERR unknown subcommand 'FOO'. Try MODULE HELP.\r\n"),
            ("MODULE LOAD /x.so", refused),
            ("MODULE UNLOAD foo", refused),
            ("DEBUG ERROR oops", "-oops\r\n"),
            ("DEBUG ERROR", "-ERR unknown subcommand or wrong number of arguments for 'ERROR'. Try DEBUG HELP.\r\n"),
            ("DEBUG NOSUCH", "-ERR unknown subcommand or wrong number of arguments for 'NOSUCH'. Try DEBUG HELP.\r\n"),
            ("PUBSUB NUMSUB a b", "*4\r\n$1\r\na\r\n:0\r\n$1\r\nb\r\n:0\r\n"),
        ],
    );
    r.cmd(&[b"HELLO", b"3"]);
    check_replies(
        &mut r,
        &[(
            "PUBSUB NUMSUB a b",
            "*4\r\n$1\r\na\r\n:0\r\n$1\r\nb\r\n:0\r\n",
        )],
    );
}

/// RESET, WAIT (no replicas: 0 at once; Redis blocks for the timeout when asked for replicas it
/// does not have) and LOLWUT (the version line only). Replies recorded from redis-server
/// 7.0.15, but for the version.
#[test]
fn reset_wait_and_lolwut() {
    let srv = TestServer::start(2);
    let mut r = srv.raw();
    r.cmd(&[b"HELLO", b"3"]);
    check_replies(
        &mut r,
        &[
            ("CLIENT SETNAME foo", "+OK\r\n"),
            ("SELECT 3", "+OK\r\n"),
            ("SET k v", "+OK\r\n"),
            ("WATCH k", "+OK\r\n"),
            ("MULTI", "+OK\r\n"),
            ("RESET", "+RESET\r\n"),
            ("CLIENT GETNAME", "$-1\r\n"),
            ("EXEC", "-ERR EXEC without MULTI\r\n"),
            ("GET k", "$-1\r\n"),
            (
                "SUBSCRIBE ch",
                "*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n",
            ),
            ("RESET", "+RESET\r\n"),
            ("PING", "+PONG\r\n"),
            (
                "RESET x",
                "-ERR wrong number of arguments for 'reset' command\r\n",
            ),
            (
                "WAIT 1 x",
                "-ERR timeout is not an integer or out of range\r\n",
            ),
            (
                "WAIT x 0",
                "-ERR value is not an integer or out of range\r\n",
            ),
            ("WAIT 1 -1", "-ERR timeout is negative\r\n"),
            ("WAIT 0 0", ":0\r\n"),
            ("WAIT 1 10", ":0\r\n"),
            (
                "LOLWUT VERSION x",
                "-ERR value is not an integer or out of range\r\n",
            ),
            ("LOLWUT", "$17\r\nRedis ver. 7.0.0\n\r\n"),
        ],
    );
    // RESET left nothing subscribed: a publish reaches no one.
    let mut p = srv.raw();
    check_replies(&mut p, &[("PUBLISH ch x", ":0\r\n")]);
}

/// CLIENT NO-EVICT (shown as flags=e, cleared by RESET), and CLIENT GETREDIR/TRACKINGINFO
/// answering for tracking off (CLIENT TRACKING is not built yet), in RESP2 and RESP3. Replies
/// recorded from redis-server 7.0.15.
#[test]
fn client_no_evict_and_tracking_off() {
    let srv = TestServer::start(1);
    let mut r = srv.raw();
    check_replies(
        &mut r,
        &[
            ("CLIENT NO-EVICT on", "+OK\r\n"),
            ("CLIENT NO-EVICT maybe", "-ERR syntax error\r\n"),
            ("CLIENT GETREDIR", ":-1\r\n"),
            (
                "CLIENT TRACKINGINFO",
                "*6\r\n$5\r\nflags\r\n*1\r\n$3\r\noff\r\n$8\r\nredirect\r\n:-1\r\n$8\r\nprefixes\r\n*0\r\n",
            ),
        ],
    );
    let info = String::from_utf8(r.cmd(&[b"CLIENT", b"INFO"])).unwrap();
    assert!(info.contains(" flags=e "), "{info}");
    check_replies(&mut r, &[("RESET", "+RESET\r\n")]);
    let info = String::from_utf8(r.cmd(&[b"CLIENT", b"INFO"])).unwrap();
    assert!(info.contains(" flags=N "), "{info}");
    r.cmd(&[b"HELLO", b"3"]);
    check_replies(
        &mut r,
        &[(
            "CLIENT TRACKINGINFO",
            "%3\r\n$5\r\nflags\r\n~1\r\n$3\r\noff\r\n$8\r\nredirect\r\n:-1\r\n$8\r\nprefixes\r\n*0\r\n",
        )],
    );
}

/// Redis Cluster's commands answer as a standalone redis-server answers them (clients probe
/// with CLUSTER INFO and READONLY), and RESTORE-ASKING restores as RESTORE does.
#[test]
fn cluster_commands_answer_as_a_standalone_server() {
    let srv = TestServer::start(1);
    let mut r = srv.raw();
    let disabled = "-ERR This instance has cluster support disabled\r\n";
    check_replies(
        &mut r,
        &[
            ("CLUSTER INFO", disabled),
            ("CLUSTER HELP", disabled),
            ("CLUSTER RESET HARD", disabled),
            ("CLUSTER KEYSLOT a", disabled),
            ("READONLY", disabled),
            ("READWRITE", disabled),
            ("ASKING", disabled),
            ("CLUSTER FOO", "-ERR unknown subcommand 'FOO'. Try CLUSTER HELP.\r\n"),
            ("CLUSTER", "-ERR wrong number of arguments for 'cluster' command\r\n"),
            ("CLUSTER KEYSLOT", "-ERR wrong number of arguments for 'cluster|keyslot' command\r\n"),
            ("ASKING x", "-ERR wrong number of arguments for 'asking' command\r\n"),
            ("COMMAND INFO asking", "*1\r\n*10\r\n$6\r\nasking\r\n:1\r\n*1\r\n+fast\r\n:0\r\n:0\r\n:0\r\n*2\r\n+@fast\r\n+@connection\r\n*0\r\n*0\r\n*0\r\n"),
            ("SET k v", "+OK\r\n"),
            // As Redis: RESTORE reads its options, then looks for the key, then reads its TTL.
            ("RESTORE k a -1 x", "-ERR syntax error\r\n"),
            ("RESTORE k a -1", "-BUSYKEY Target key name already exists.\r\n"),
            ("RESTORE-ASKING k a -1 x", "-ERR syntax error\r\n"),
            ("RESTORE-ASKING k2 a -1", "-ERR value is not an integer or out of range\r\n"),
        ],
    );
    // CLUSTER RESET is one a script may not run; the others answer as above.
    let eval = |r: &mut common::Raw, script: &str| {
        String::from_utf8(r.cmd(&[b"EVAL", script.as_bytes(), b"0"])).unwrap()
    };
    assert_eq!(eval(&mut r, "return redis.call('cluster','reset','hard')"), "-ERR This Redis command is not allowed from script script: cc1ece19697daeb65ef8cb9c07a31814e0e3b28a, on @user_script:1.\r\n");
    assert_eq!(eval(&mut r, "return redis.call('cluster','info')"), "-ERR This instance has cluster support disabled script: 080f2e8de25b3caf214921ec6c8c5af604cc9e4a, on @user_script:1.\r\n");
    let dump = r.cmd(&[b"DUMP", b"k"]);
    let start = dump.iter().position(|&c| c == b'\n').unwrap() + 1;
    let payload = &dump[start..dump.len() - 2];
    assert_eq!(
        r.cmd(&[b"RESTORE-ASKING", b"k2", b"0", payload]),
        b"+OK\r\n"
    );
    assert_eq!(r.cmd(&[b"GET", b"k2"]), b"$1\r\nv\r\n");
}
