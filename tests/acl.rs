//! ACL users through the wire: every ACL subcommand, each rule form, NOPERM for commands, keys,
//! channels and selectors, WRONGPASS, the ACL log, rules changed under live connections,
//! transactions and scripts, the ACL file and `user` lines. Replies are Redis 7.0.15's, byte
//! for byte (compared with redis-server while writing them).

mod common;
use common::{ChildServer, Raw};
use std::process::{Command, Stdio};

const OK: &[u8] = b"+OK\r\n";
const WRONGPASS: &[u8] = b"-WRONGPASS invalid username-password pair or user is disabled.\r\n";
const NOPERM_KEY: &[u8] =
    b"-NOPERM this user has no permissions to access one of the keys used as arguments\r\n";
const NOPERM_CHANNEL: &[u8] =
    b"-NOPERM this user has no permissions to access one of the channels used as arguments\r\n";

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn noperm(cmd: &str) -> Vec<u8> {
    format!("-NOPERM this user has no permissions to run the '{cmd}' command\r\n").into_bytes()
}

fn bulk(s: &str) -> Vec<u8> {
    format!("${}\r\n{s}\r\n", s.len()).into_bytes()
}

/// `ACL SETUSER name rules...`.
fn setuser(r: &mut Raw, name: &str, rules: &[&str]) -> Vec<u8> {
    let mut args: Vec<&[u8]> = vec![b"ACL", b"SETUSER", name.as_bytes()];
    args.extend(rules.iter().map(|s| s.as_bytes()));
    r.cmd(&args)
}

/// ACL LIST's lines.
fn list(r: &mut Raw) -> Vec<String> {
    let t = text(&r.cmd(&[b"ACL", b"LIST"]));
    t.split("\r\n")
        .filter(|l| l.starts_with("user "))
        .map(str::to_string)
        .collect()
}

fn as_user(port: u16, user: &str, pass: &str) -> Raw {
    let mut r = Raw::connect(port);
    assert_eq!(r.cmd(&[b"AUTH", user.as_bytes(), pass.as_bytes()]), OK);
    r
}

#[test]
fn setuser_list_and_getuser_describe_users_as_redis() {
    let s = ChildServer::start(&[]);
    let mut r = Raw::connect(s.port);
    assert_eq!(list(&mut r), ["user default on nopass ~* &* +@all"]);
    assert_eq!(setuser(&mut r, "alice", &[]), OK);
    assert_eq!(
        setuser(
            &mut r,
            "bob",
            &[
                "on",
                ">p1",
                "~k*",
                "%R~r*",
                "&ch*",
                "+get",
                "-@all",
                "+@read",
                "-@dangerous",
                "+config|get",
                "(~x* +set)"
            ]
        ),
        OK
    );
    assert_eq!(setuser(&mut r, "x", &["reset"]), OK);
    assert_eq!(
        setuser(
            &mut r,
            "y",
            &[
                "skip-sanitize-payload",
                "&*",
                "allkeys",
                "+@all",
                "-get",
                "nopass",
                "on"
            ]
        ),
        OK
    );
    // Read and write patterns merge; +client with -client|kill; selectors cleared and re-added.
    assert_eq!(
        setuser(
            &mut r,
            "z",
            &[
                "on",
                "nopass",
                "%RW~a",
                "%W~b",
                "%R~a",
                "+select|0",
                "-select",
                "+client",
                "-client|kill",
                "(+get ~q)",
                "clearselectors",
                "(+set",
                "%R~w)"
            ]
        ),
        OK
    );
    assert_eq!(
        list(&mut r),
        [
            "user alice off resetchannels -@all",
            "user bob on #f64551fcd6f07823cb87971cfb91446425da18286b3ab1ef935e0cbd7a69f68a ~k* %R~r* resetchannels &ch* -@all +@read -keys -sort_ro +config|get (~x* resetchannels -@all +set)",
            "user default on nopass ~* &* +@all",
            "user x off sanitize-payload resetchannels -@all",
            "user y on nopass skip-sanitize-payload ~* &* +@all -get",
            "user z on nopass ~a %W~b resetchannels -@all +client -client|kill (%R~w resetchannels -@all +set)",
        ]
    );
    assert_eq!(
        text(&r.cmd(&[b"ACL", b"USERS"])),
        "*6\r\n$5\r\nalice\r\n$3\r\nbob\r\n$7\r\ndefault\r\n$1\r\nx\r\n$1\r\ny\r\n$1\r\nz\r\n"
    );
    assert_eq!(
        text(&r.cmd(&[b"ACL", b"GETUSER", b"bob"])),
        "*12\r\n$5\r\nflags\r\n*1\r\n$2\r\non\r\n$9\r\npasswords\r\n*1\r\n$64\r\nf64551fcd6f07823cb87971cfb91446425da18286b3ab1ef935e0cbd7a69f68a\r\n$8\r\ncommands\r\n$39\r\n-@all +@read -keys -sort_ro +config|get\r\n$4\r\nkeys\r\n$9\r\n~k* %R~r*\r\n$8\r\nchannels\r\n$4\r\n&ch*\r\n$9\r\nselectors\r\n*1\r\n*6\r\n$8\r\ncommands\r\n$10\r\n-@all +set\r\n$4\r\nkeys\r\n$3\r\n~x*\r\n$8\r\nchannels\r\n$0\r\n\r\n"
    );
    assert_eq!(r.cmd(&[b"ACL", b"GETUSER", b"nosuch"]), b"$-1\r\n");
    // A user's name is case-sensitive.
    assert_eq!(r.cmd(&[b"ACL", b"GETUSER", b"BOB"]), b"$-1\r\n");
}

#[test]
fn bad_rules_change_nothing_and_say_why() {
    let s = ChildServer::start(&[]);
    let mut r = Raw::connect(s.port);
    assert_eq!(setuser(&mut r, "bob", &["on", "+get"]), OK);
    for (rules, reply) in [
        (
            &["~a", "allkeys", "~b"][..],
            "-ERR Error in ACL SETUSER modifier '~b': Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns\r\n",
        ),
        (
            &["+set", "+nosuch"],
            "-ERR Error in ACL SETUSER modifier '+nosuch': Unknown command or category name in ACL\r\n",
        ),
        (
            &["(+get"],
            "-ERR Unmatched parenthesis in acl selector starting at '(+get'.\r\n",
        ),
        (
            &["%X~a"],
            "-ERR Error in ACL SETUSER modifier '%X~a': Syntax error\r\n",
        ),
        (
            &["<nop"],
            "-ERR Error in ACL SETUSER modifier '<nop': The password you are trying to remove from the user does not exist\r\n",
        ),
        (
            &["#abc"],
            "-ERR Error in ACL SETUSER modifier '#abc': The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters\r\n",
        ),
        (
            &["+acl|getuser|x"],
            "-ERR Error in ACL SETUSER modifier '+acl|getuser|x': Allowing first-arg of a subcommand is not supported\r\n",
        ),
        (
            &["&*", "&x"],
            "-ERR Error in ACL SETUSER modifier '&x': Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels\r\n",
        ),
    ] {
        assert_eq!(text(&setuser(&mut r, "bob", rules)), reply, "{rules:?}");
    }
    // All or nothing: +set before the bad rule was not applied.
    assert_eq!(list(&mut r)[0], "user bob on resetchannels -@all +get");
    assert_eq!(
        text(&setuser(&mut r, "a b", &["on"])),
        "-ERR Usernames can't contain spaces or null characters\r\n"
    );
    assert_eq!(
        text(&r.cmd(&[b"ACL", b"DELUSER", b"bob", b"default"])),
        "-ERR The 'default' user cannot be removed\r\n"
    );
    assert_eq!(r.cmd(&[b"ACL", b"DELUSER", b"bob", b"nosuch"]), b":1\r\n");
}

#[test]
fn commands_keys_and_channels_are_checked() {
    let s = ChildServer::start(&[]);
    let mut a = Raw::connect(s.port);
    assert_eq!(
        setuser(
            &mut a,
            "carol",
            &[
                "on",
                ">pw",
                "~k*",
                "%R~r*",
                "&ch",
                "+get",
                "+set",
                "+publish",
                "+subscribe",
                "+psubscribe",
                "+multi",
                "+exec",
                "+config|get",
                "+select|0",
                "+acl|whoami"
            ]
        ),
        OK
    );
    let mut r = as_user(s.port, "carol", "pw");
    assert_eq!(r.cmd(&[b"SET", b"k1", b"v"]), OK);
    assert_eq!(r.cmd(&[b"GET", b"k1"]), bulk("v"));
    assert_eq!(r.cmd(&[b"GET", b"r1"]), b"$-1\r\n");
    // %R~ reads only.
    assert_eq!(r.cmd(&[b"SET", b"r1", b"v"]), NOPERM_KEY);
    assert_eq!(r.cmd(&[b"GET", b"x"]), NOPERM_KEY);
    assert_eq!(r.cmd(&[b"DEL", b"k1"]), noperm("del"));
    assert_eq!(
        r.cmd(&[b"CONFIG", b"SET", b"a", b"b"]),
        noperm("config|set")
    );
    assert!(text(&r.cmd(&[b"CONFIG", b"GET", b"maxmemory"])).contains("maxmemory"));
    assert_eq!(r.cmd(&[b"SELECT", b"0"]), OK);
    assert_eq!(r.cmd(&[b"SELECT", b"1"]), noperm("select"));
    assert_eq!(r.cmd(&[b"PUBLISH", b"ch", b"m"]), b":0\r\n");
    assert_eq!(r.cmd(&[b"PUBLISH", b"zz", b"m"]), NOPERM_CHANNEL);
    assert_eq!(r.cmd(&[b"ACL", b"WHOAMI"]), bulk("carol"));
    assert_eq!(r.cmd(&[b"SUBSCRIBE", b"ch", b"zz"]), NOPERM_CHANNEL);
    // A PSUBSCRIBE pattern must be allowed as written.
    assert_eq!(r.cmd(&[b"PSUBSCRIBE", b"ch*"]), NOPERM_CHANNEL);
    assert_eq!(
        r.cmd(&[b"PSUBSCRIBE", b"ch"]),
        b"*3\r\n$10\r\npsubscribe\r\n$2\r\nch\r\n:1\r\n"
    );

    // A selector allows what the root does not; the most telling refusal is reported.
    assert_eq!(
        setuser(
            &mut a,
            "dave",
            &["on", "nopass", "~k*", "+get", "(~x* +set)"]
        ),
        OK
    );
    let mut d = as_user(s.port, "dave", "any");
    assert_eq!(d.cmd(&[b"SET", b"x1", b"v"]), OK);
    assert_eq!(d.cmd(&[b"GET", b"k1"]), bulk("v"));
    assert_eq!(d.cmd(&[b"SET", b"k1", b"v"]), NOPERM_KEY);
    assert_eq!(d.cmd(&[b"GET", b"x1"]), NOPERM_KEY);
    assert_eq!(d.cmd(&[b"DEL", b"x1"]), noperm("del"));
}

#[test]
fn auth_as_users_and_the_acl_log() {
    let s = ChildServer::start(&[]);
    let mut a = Raw::connect(s.port);
    assert_eq!(setuser(&mut a, "carol", &["on", ">pw", "~k*", "+get"]), OK);
    assert_eq!(setuser(&mut a, "dave", &["off", "nopass", "+@all"]), OK);
    let mut r = Raw::connect(s.port);
    assert_eq!(r.cmd(&[b"AUTH", b"carol", b"nope"]), WRONGPASS);
    assert_eq!(r.cmd(&[b"AUTH", b"nouser", b"x"]), WRONGPASS);
    // A user that is off cannot log in, even without a password.
    assert_eq!(r.cmd(&[b"AUTH", b"dave", b"x"]), WRONGPASS);
    assert_eq!(
        r.cmd(&[b"HELLO", b"3", b"AUTH", b"carol", b"nope"]),
        WRONGPASS
    );
    assert_eq!(
        text(&r.cmd(&[b"AUTH", b"x"])),
        "-ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?\r\n"
    );
    assert!(text(&r.cmd(&[b"HELLO", b"2", b"AUTH", b"carol", b"pw"])).starts_with("*14\r\n"));
    assert_eq!(r.cmd(&[b"GET", b"x"]), NOPERM_KEY);
    assert_eq!(r.cmd(&[b"GET", b"x"]), NOPERM_KEY);
    assert_eq!(r.cmd(&[b"CLIENT", b"ID"]), noperm("client|id"));
    let list = text(&a.cmd(&[b"CLIENT", b"LIST"]));
    assert!(list.contains("user=carol"), "{list}");
    assert!(list.contains("user=default"), "{list}");

    let log = text(&a.cmd(&[b"ACL", b"LOG"]));
    let entries: Vec<&str> = log.split("$5\r\ncount\r\n").skip(1).collect();
    let want = [
        ("command", "toplevel", "client|id", "carol", 1),
        ("key", "toplevel", "x", "carol", 2),
        ("auth", "toplevel", "HELLO", "carol", 1),
        ("auth", "toplevel", "AUTH", "dave", 1),
        ("auth", "toplevel", "AUTH", "nouser", 1),
        ("auth", "toplevel", "AUTH", "carol", 1),
    ];
    assert_eq!(entries.len(), want.len(), "{log}");
    for (e, (reason, context, object, user, count)) in entries.iter().zip(want) {
        let expect = format!(
            ":{count}\r\n$6\r\nreason\r\n{}$7\r\ncontext\r\n{}$6\r\nobject\r\n{}$8\r\nusername\r\n{}$11\r\nage-seconds\r\n",
            text(&bulk(reason)),
            text(&bulk(context)),
            text(&bulk(object)),
            text(&bulk(user))
        );
        assert!(e.starts_with(&expect), "{e}\n---\n{expect}");
        assert!(e.contains("client-info"));
    }
    assert!(text(&a.cmd(&[b"ACL", b"LOG", b"1"])).starts_with("*1\r\n"));
    assert_eq!(a.cmd(&[b"ACL", b"LOG", b"-1"]), b"*0\r\n");
    assert_eq!(
        text(&a.cmd(&[b"ACL", b"LOG", b"x"])),
        "-ERR value is not an integer or out of range\r\n"
    );
    assert_eq!(a.cmd(&[b"ACL", b"LOG", b"RESET"]), OK);
    assert_eq!(a.cmd(&[b"ACL", b"LOG"]), b"*0\r\n");
    // acllog-max-len bounds it.
    assert_eq!(a.cmd(&[b"CONFIG", b"SET", b"acllog-max-len", b"1"]), OK);
    for k in [&b"a"[..], b"b", b"c"] {
        assert_eq!(r.cmd(&[b"GET", k]), NOPERM_KEY);
    }
    assert!(text(&a.cmd(&[b"ACL", b"LOG"])).starts_with("*1\r\n"));
}

#[test]
fn changed_rules_reach_live_connections_and_deleted_users_are_cut() {
    let s = ChildServer::start(&[]);
    let mut a = Raw::connect(s.port);
    assert_eq!(setuser(&mut a, "carol", &["on", ">pw", "~*", "+get"]), OK);
    let mut r = as_user(s.port, "carol", "pw");
    let mut r2 = as_user(s.port, "carol", "pw");
    assert_eq!(r.cmd(&[b"GET", b"k"]), b"$-1\r\n");
    assert_eq!(setuser(&mut a, "carol", &["-get", "+set"]), OK);
    assert_eq!(r.cmd(&[b"GET", b"k"]), noperm("get"));
    assert_eq!(r.cmd(&[b"SET", b"k", b"v"]), OK);
    // CLIENT KILL USER closes a user's connections; an unknown user is an error.
    assert_eq!(
        text(&a.cmd(&[b"CLIENT", b"KILL", b"USER", b"nosuch"])),
        "-ERR No such user 'nosuch'\r\n"
    );
    assert_eq!(a.cmd(&[b"CLIENT", b"KILL", b"USER", b"carol"]), b":2\r\n");
    assert!(r.is_closed());
    assert!(r2.is_closed());
    // ACL DELUSER closes them too, even idle ones.
    let mut r3 = as_user(s.port, "carol", "pw");
    assert_eq!(a.cmd(&[b"ACL", b"DELUSER", b"carol"]), b":1\r\n");
    assert!(r3.is_closed());
    // A user that deletes itself gets the reply, then is closed.
    assert_eq!(setuser(&mut a, "eve", &["on", "nopass", "+@all", "~*"]), OK);
    let mut e = as_user(s.port, "eve", "x");
    assert_eq!(e.cmd(&[b"ACL", b"DELUSER", b"eve"]), b":1\r\n");
    assert!(e.is_closed());
}

#[test]
fn the_default_user_and_requirepass_are_one() {
    let s = ChildServer::start(&[]);
    let mut a = Raw::connect(s.port);
    assert_eq!(a.cmd(&[b"CONFIG", b"SET", b"requirepass", b"p1"]), OK);
    assert_eq!(
        list(&mut a),
        ["user default on #f64551fcd6f07823cb87971cfb91446425da18286b3ab1ef935e0cbd7a69f68a ~* &* +@all"]
    );
    let mut r = Raw::connect(s.port);
    assert_eq!(r.cmd(&[b"PING"]), b"-NOAUTH Authentication required.\r\n");
    assert_eq!(r.cmd(&[b"AUTH", b"p1"]), OK);
    assert_eq!(setuser(&mut a, "default", &["nopass"]), OK);
    let mut r = Raw::connect(s.port);
    assert_eq!(r.cmd(&[b"PING"]), b"+PONG\r\n");
    // Limiting the default user limits every new connection.
    assert_eq!(setuser(&mut a, "default", &["-flushall"]), OK);
    assert_eq!(r.cmd(&[b"FLUSHALL"]), noperm("flushall"));
    assert_eq!(r.cmd(&[b"ACL", b"WHOAMI"]), bulk("default"));
}

#[test]
fn transactions_and_scripts_are_checked_as_they_run() {
    let s = ChildServer::start(&[]);
    let mut a = Raw::connect(s.port);
    assert_eq!(
        setuser(
            &mut a,
            "sc",
            &["on", "nopass", "~k*", "+eval", "+get", "+set", "+multi", "+exec"]
        ),
        OK
    );
    let mut r = as_user(s.port, "sc", "x");
    assert_eq!(
        text(&r.cmd(&[b"EVAL", b"return redis.call('get','x')", b"0"])),
        "-ERR The user executing the script can't access at least one of the keys mentioned in the command arguments script: db94c2918043c41a85e5c7f5b637c7a9c9c7119c, on @user_script:1.\r\n"
    );
    assert_eq!(
        text(&r.cmd(&[b"EVAL", b"return redis.pcall('del','k')", b"0"])),
        "-ERR The user executing the script can't run this command or subcommand\r\n"
    );
    assert_eq!(
        r.cmd(&[b"EVAL", b"return redis.call('set','k1','v')", b"0"]),
        OK
    );
    // Refused when queued: the transaction is aborted.
    assert_eq!(r.cmd(&[b"MULTI"]), OK);
    assert_eq!(r.cmd(&[b"GET", b"x"]), NOPERM_KEY);
    assert_eq!(
        text(&r.cmd(&[b"EXEC"])),
        "-EXECABORT Transaction discarded because of previous errors.\r\n"
    );
    // Rules changed between queueing and EXEC.
    assert_eq!(r.cmd(&[b"MULTI"]), OK);
    assert_eq!(r.cmd(&[b"GET", b"k1"]), b"+QUEUED\r\n");
    assert_eq!(setuser(&mut a, "sc", &["-get"]), OK);
    assert_eq!(
        text(&r.cmd(&[b"EXEC"])),
        "*1\r\n-NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: no permission to execute the command or subcommand\r\n"
    );
    let log = text(&a.cmd(&[b"ACL", b"LOG"]));
    for ctx in ["multi", "lua"] {
        assert!(
            log.contains(&format!("$7\r\ncontext\r\n${}\r\n{ctx}\r\n", ctx.len())),
            "{log}"
        );
    }
}

#[test]
fn dryrun_cat_genpass_whoami_and_help() {
    let s = ChildServer::start(&[]);
    let mut r = Raw::connect(s.port);
    assert_eq!(
        setuser(&mut r, "carol", &["on", "~k*", "&ch", "+get", "+publish"]),
        OK
    );
    for (args, reply) in [
        (&["carol", "get", "k1"][..], "+OK\r\n".to_string()),
        (
            &["carol", "get", "x"],
            text(&bulk("This user has no permissions to access the 'x' key")),
        ),
        (
            &["carol", "del", "k1"],
            text(&bulk(
                "This user has no permissions to run the 'del' command",
            )),
        ),
        (
            &["carol", "publish", "zz", "m"],
            text(&bulk(
                "This user has no permissions to access the 'zz' channel",
            )),
        ),
        (
            &["nouser", "get", "x"],
            "-ERR User 'nouser' not found\r\n".into(),
        ),
        (
            &["carol", "nocmd", "x"],
            "-ERR Command 'nocmd' not found\r\n".into(),
        ),
        (
            &["carol", "get"],
            "-ERR wrong number of arguments for 'get' command\r\n".into(),
        ),
    ] {
        let mut argv: Vec<&[u8]> = vec![b"ACL", b"DRYRUN"];
        argv.extend(args.iter().map(|s| s.as_bytes()));
        assert_eq!(text(&r.cmd(&argv)), reply, "{args:?}");
    }
    let cats = text(&r.cmd(&[b"ACL", b"CAT"]));
    assert!(
        cats.starts_with("*21\r\n$8\r\nkeyspace\r\n$4\r\nread\r\n"),
        "{cats}"
    );
    let dangerous = text(&r.cmd(&[b"ACL", b"CAT", b"DANGEROUS"]));
    for c in ["flushall", "acl|setuser", "config|set", "keys"] {
        assert!(dangerous.contains(&text(&bulk(c))), "{c}");
    }
    assert!(!dangerous.contains(&text(&bulk("get"))));
    assert_eq!(
        text(&r.cmd(&[b"ACL", b"CAT", b"nosuch"])),
        "-ERR Unknown category 'nosuch'\r\n"
    );
    assert_eq!(
        text(&r.cmd(&[b"ACL", b"CAT", b"a", b"b"])),
        "-ERR unknown subcommand or wrong number of arguments for 'CAT'. Try ACL HELP.\r\n"
    );
    let p = r.cmd(&[b"ACL", b"GENPASS"]);
    assert!(p.starts_with(b"$64\r\n"));
    assert_ne!(p, r.cmd(&[b"ACL", b"GENPASS"]));
    assert!(r.cmd(&[b"ACL", b"GENPASS", b"5"]).starts_with(b"$2\r\n"));
    for bad in [&b"0"[..], b"4097", b"x"] {
        assert_eq!(
            text(&r.cmd(&[b"ACL", b"GENPASS", bad])),
            "-ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096\r\n"
        );
    }
    assert_eq!(r.cmd(&[b"ACL", b"WHOAMI"]), bulk("default"));
    assert!(text(&r.cmd(&[b"ACL", b"HELP"])).contains("DRYRUN <username> <command>"));
    assert_eq!(
        text(&r.cmd(&[b"ACL", b"SAVE"])),
        "-ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration.\r\n"
    );
}

fn start_conf(conf: &std::path::Path) -> (ChildServer, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ringdis"));
    cmd.arg(conf)
        .args(["--port", "0", "--no-pin", "--dir"])
        .arg(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    (ChildServer::from_command(cmd, None), dir)
}

#[test]
fn the_acl_file_saves_and_loads_users() {
    use std::os::unix::fs::PermissionsExt;
    let d = tempfile::tempdir().unwrap();
    let users = d.path().join("users.acl");
    std::fs::write(
        &users,
        "# users\nuser alice on >a1 ~a* +get\n\nuser default on nopass ~* &* +@all\n",
    )
    .unwrap();
    let conf = d.path().join("ringdis.conf");
    std::fs::write(&conf, format!("aclfile {}\n", users.display())).unwrap();
    let (s, _dir) = start_conf(&conf);
    let mut r = Raw::connect(s.port);
    assert_eq!(
        list(&mut r),
        [
            format!(
                "user alice on #{} ~a* resetchannels -@all +get",
                sha256_hex("a1")
            ),
            "user default on nopass ~* &* +@all".to_string(),
        ]
    );
    let mut alice = as_user(s.port, "alice", "a1");
    assert_eq!(alice.cmd(&[b"GET", b"a1"]), b"$-1\r\n");
    assert_eq!(setuser(&mut r, "bob", &["on", ">b", "+@all", "~*"]), OK);
    assert_eq!(r.cmd(&[b"ACL", b"SAVE"]), OK);
    let mode = std::fs::metadata(&users).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let saved = std::fs::read_to_string(&users).unwrap();
    assert!(saved.contains("user bob on #"), "{saved}");
    // LOAD replaces every user and closes the connections of all but the default user's.
    std::fs::write(&users, "user carol on nopass +ping\n").unwrap();
    assert_eq!(r.cmd(&[b"ACL", b"LOAD"]), OK);
    assert!(alice.is_closed());
    assert_eq!(
        list(&mut r),
        [
            "user carol on nopass resetchannels -@all +ping",
            "user default on nopass ~* &* +@all"
        ]
    );
    assert_eq!(r.cmd(&[b"PING"]), b"+PONG\r\n");
    // A bad file changes nothing.
    std::fs::write(&users, "user carol on +nosuch\nbogus line\n").unwrap();
    let err = text(&r.cmd(&[b"ACL", b"LOAD"]));
    assert!(err.starts_with("-ERR "), "{err}");
    assert!(err.contains(":1: ") && err.contains(":2: "), "{err}");
    assert_eq!(list(&mut r).len(), 2);
    // aclfile cannot change at run time.
    assert!(text(&r.cmd(&[b"CONFIG", b"SET", b"aclfile", b"/tmp/x"])).starts_with("-ERR"));
}

fn sha256_hex(s: &str) -> String {
    let out = Command::new("sha256sum")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            c.stdin.take().unwrap().write_all(s.as_bytes())?;
            c.wait_with_output()
        })
        .unwrap();
    text(&out.stdout)[..64].to_string()
}

#[test]
fn user_lines_in_the_config_file() {
    let d = tempfile::tempdir().unwrap();
    let conf = d.path().join("ringdis.conf");
    std::fs::write(
        &conf,
        "user worker on \">s p\" ~jobs:* +@list +ping\nuser default on nopass ~* &* +@all -flushall\n",
    )
    .unwrap();
    let (s, _dir) = start_conf(&conf);
    let mut w = as_user(s.port, "worker", "s p");
    assert_eq!(w.cmd(&[b"LPUSH", b"jobs:1", b"x"]), b":1\r\n");
    assert_eq!(w.cmd(&[b"LPUSH", b"other", b"x"]), NOPERM_KEY);
    let mut r = Raw::connect(s.port);
    assert_eq!(r.cmd(&[b"FLUSHALL"]), noperm("flushall"));
    // CONFIG REWRITE puts the users where the file's `user` lines were; they come back.
    assert_eq!(
        setuser(&mut r, "extra", &["on", ">x", "~e*", "+get", "(+set ~s*)"]),
        OK
    );
    assert_eq!(r.cmd(&[b"CONFIG", b"REWRITE"]), OK);
    let written = std::fs::read_to_string(&conf).unwrap();
    assert!(
        written.starts_with("user default on nopass ~* &* +@all -flushall\nuser extra on #"),
        "{written}"
    );
    drop(s);
    let (s, _dir) = start_conf(&conf);
    let mut r = Raw::connect(s.port);
    let users = list(&mut r);
    assert_eq!(users.len(), 3, "{users:?}");
    assert!(users[1].ends_with("~e* resetchannels -@all +get (~s* resetchannels -@all +set)"));
    let mut w = as_user(s.port, "worker", "s p");
    assert_eq!(w.cmd(&[b"LLEN", b"jobs:1"]), b":0\r\n");

    // A bad rule stops start-up; so do users in both the file and an ACL file.
    for text_ in [
        "user worker on +nosuch\n".to_string(),
        format!(
            "aclfile {}\nuser worker on\n",
            d.path().join("users.acl").display()
        ),
    ] {
        std::fs::write(&conf, text_).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_ringdis"))
            .arg(&conf)
            .args(["--port", "0"])
            .output()
            .unwrap();
        assert_ne!(out.status.code(), Some(0));
        let err = text(&out.stderr);
        assert!(err.contains("nosuch") || err.contains("not both"), "{err}");
    }
}
