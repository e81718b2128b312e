#!/usr/bin/env python3
"""Differential fuzz against Redis: the same random commands go to ringdis and to redis-server,
and every reply, and (unless --no-state) the whole data set after every command, must match.

    tools/compat_fuzz.py [--ringdis target/release/ringdis] [--redis redis-server]
                         [--seed 1] [--commands 20000] [--only xadd,xtrim] [--no-state]
                         [--resp3] [--notify] [--watch] [--multi N] [--restart-every N]
                         [--tables]

First a fixed list of settings and CLIENT forms (FIXED) is sent to both, and every command's
COMMAND INFO is compared. Then commands are drawn
from ringdis's COMMAND LIST (less those that block, change the server or
answer differently by nature: random picks, times, server state), with arguments drawn from a
list of option names, numbers, IDs and a few keys of every type, which are set up again every
100 commands. After a difference both servers are reset, so one bug is not reported many times.
Set members and hash fields come back in an order of each server's own: those replies are
compared sorted. Prints the differences grouped by command, at most 3 examples each; exits 1
when there were any.

With --notify both servers publish every keyspace notification (notify-keyspace-events AKEmn)
and the messages each command causes, in order, must match; with --watch, whether each command
aborts a transaction that WATCHes every key must match.

With --multi N, each draw is a transaction: MULTI, 1 to N random commands (KEYS, DBSIZE,
SELECT, SWAPDB and FLUSHDB among them), EXEC; the queued answers and EXEC's replies must match.

With --restart-every N, ringdis runs with its append-only file (appendfsync always) and every N
commands it is killed with SIGKILL (every other time after a BGREWRITEAOF) and started again on
the same directory: the data set it serves after the replay must equal the one before the kill
(TTLs within 2 seconds; keys that had 2 seconds or less to live are left out).
"""
import argparse
import collections
import os
import random
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import pick_port, wait_pong  # noqa: E402

SKIP = set(
    """shutdown debug blpop brpop blmove brpoplpush blmpop bzmpop bzpopmin bzpopmax xread subscribe
    psubscribe quit monitor client reset hello multi exec watch unwatch discard config flushall
    flushdb bgrewriteaof select swapdb randomkey spop srandmember hrandfield zrandmember time
    info command latency slowlog memory dbsize keys scan lastsave save bgsave auth
    unsubscribe punsubscribe pubsub publish echo ping lolwut readonly readwrite pfselftest
    ssubscribe sunsubscribe spublish xpending xinfo function acl dump restore migrate
    replicaof slaveof sync psync replconf wait role""".split()
)
# DUMP writes collections in the plain RDB encodings where Redis 7.0 writes its compact ones (both
# load either way: tests/dump_restore.rs moves payloads between the two servers), so its bytes
# are not compared; RESTORE would only see payloads it cannot make.
SCRIPTS = set("eval evalsha eval_ro evalsha_ro script fcall fcall_ro".split())
# FCALL draws these: each runs the command its arguments name (fzr may not write).
FUZZ_LIBRARY = """#!lua name=fuzz
redis.register_function('fz', function(keys, args) return redis.call(unpack(args)) end)
redis.register_function('fzp', function(keys, args) return redis.pcall(unpack(args)) end)
redis.register_function{function_name='fzr', flags={'no-writes'},
    callback=function(keys, args) return redis.pcall(unpack(args)) end}"""
UNORDERED = set("smembers sunion sinter sdiff hkeys hvals hgetall keys".split())
# Drawn as well inside transactions (--multi), where EXEC must hold what they reach.
IN_MULTI = ["dbsize", "keys", "select", "swapdb", "flushdb"]
KEYS = ["k", "h", "l", "s", "z", "x", "str", "a", "b", "p", "g"]
WORDS = """0 1 -1 2 3 4 5 7 10 -100 1000 100000 0.5 1.5 -1.5 -0 +1 00 1.0 inf -inf +inf nan
    1e400 9223372036854775807 -9223372036854775808 9223372036854775808 a b c f v NX XX GT LT CH
    INCR EX PX EXAT PXAT GET KEEPTTL PERSIST WITHSCORES WITHVALUES LIMIT COUNT MATCH TYPE BYSCORE
    BYLEX REV LEFT RIGHT BEFORE AFTER MIN MAX SUM AGGREGATE WEIGHTS MAXLEN MINID NOMKSTREAM ~ = $
    - + * ( [ (1 (5 [a (a [z 0-1 1-0 0-0 2-1 5-0 1-* 3-* RANK IDX LEN ANY ASC DESC STORE string
    hash list set zset stream h* i8 u8 i64 u63 #1 OVERFLOW WRAP SAT FAIL BIT BYTE AND OR XOR NOT DB
    REPLACE nosort ALPHA STORE BY *->f GETREG DECODE ENCODING TODENSE
    m km ft mi FROMMEMBER FROMLONLAT BYRADIUS BYBOX WITHDIST WITHCOORD WITHHASH ASC ANY STOREDIST
    13.36 38.1 15 37 200 -200 85.1 Palermo Catania REFCOUNT FREQ MINMATCHLEN WITHMATCHLEN
    GROUP g alice > NOACK STREAMS MKSTREAM ENTRIESREAD CREATE SETID DESTROY CREATECONSUMER
    DELCONSUMER JUSTID FORCE RETRYCOUNT LASTID ENTRIESADDED MAXDELETEDID""".split() + ["", " 1", "1 "]
SETUP = [
    ["FLUSHALL"],
    ["SET", "str", "hello"],
    ["HSET", "h", "f", "v", "g", "1"],
    ["RPUSH", "l", "a", "b", "c", "1", "2"],
    ["SADD", "s", "a", "b", "1"],
    ["ZADD", "z", "1", "a", "2", "b", "3", "c"],
    ["XADD", "x", "1-1", "f", "v"],
    ["XGROUP", "CREATE", "x", "g", "0"],
    ["PFADD", "p", "a", "b", "c"],
    ["GEOADD", "g", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania"],
    ["FUNCTION", "LOAD", "REPLACE", FUZZ_LIBRARY],
]


# Settings and client-management forms that answer the same on any server (no ids, addresses or
# counts of this session in them): compared once, before the random commands.
FIXED = [
    ["CONFIG", "SET", "client-output-buffer-limit", "normal 1 1"],
    ["CONFIG", "SET", "client-output-buffer-limit", "foo 1 1 1"],
    ["CONFIG", "SET", "client-output-buffer-limit", "normal x 1 1"],
    ["CONFIG", "SET", "client-output-buffer-limit", "normal 1 1 -1"],
    ["CONFIG", "SET", "client-output-buffer-limit", "normal -1 0 0"],
    ["CONFIG", "SET", "client-output-buffer-limit", "master 1 1 1"],
    ["CONFIG", "SET", "client-output-buffer-limit", "slave 1 1 1 normal 2 2"],
    ["CONFIG", "SET", "client-output-buffer-limit", "normal 64mb 0 0 pubsub 1gb 1kb 5"],
    ["CONFIG", "GET", "client-output-buffer-limit"],
    ["CONFIG", "SET", "client-output-buffer-limit", "replica 1mb 2MB 3"],
    ["CONFIG", "GET", "client-output-buffer-limit"],
    ["CONFIG", "SET", "client-output-buffer-limit", ""],
    ["CONFIG", "GET", "client-output-buffer-limit"],
    ["CONFIG", "SET", "client-output-buffer-limit", "normal 0 0 0 slave 256mb 64mb 60 pubsub 32mb 8mb 60"],
    ["CONFIG", "SET", "client-query-buffer-limit", "1000"],
    ["CONFIG", "SET", "client-query-buffer-limit", "abc"],
    ["CONFIG", "SET", "client-query-buffer-limit", "2mb"],
    ["CONFIG", "GET", "client-query-buffer-limit"],
    ["CONFIG", "SET", "client-query-buffer-limit", "1gb"],
    ["CONFIG", "SET", "maxclients", "0"],
    ["CONFIG", "SET", "maxclients", "abc"],
    ["CLIENT", "KILL"],
    ["CLIENT", "KILL", "ID", "0"],
    ["CLIENT", "KILL", "ID", "abc"],
    ["CLIENT", "KILL", "ID", "-5"],
    ["CLIENT", "KILL", "TYPE", "foo"],
    ["CLIENT", "KILL", "TYPE", "normal", "TYPE", "foo"],
    ["CLIENT", "KILL", "USER", "nobody"],
    ["CLIENT", "KILL", "SKIPME", "maybe"],
    ["CLIENT", "KILL", "a", "b", "c"],
    ["CLIENT", "KILL", "ID", "1", "TYPE"],
    ["CLIENT", "KILL", "ADDR", "1.2.3.4:5"],
    ["CLIENT", "KILL", "LADDR", "1.2.3.4:5", "SKIPME", "no"],
    ["CLIENT", "KILL", "1.2.3.4:5"],
    ["CLIENT", "KILL", "ID"],
    ["CLIENT", "KILL", "TYPE", "pubsub"],
    ["CLIENT", "KILL", "TYPE", "master"],
    ["CLIENT", "KILL", "TYPE", "slave", "SKIPME", "no", "ID", "999999"],
    ["CLIENT", "KILL", "ID", "999999"],
    ["CLIENT", "LIST", "TYPE", "foo"],
    ["CLIENT", "LIST", "TYPE"],
    ["CLIENT", "LIST", "TYPE", "pubsub"],
    ["CLIENT", "LIST", "TYPE", "replica"],
    ["CLIENT", "LIST", "ID"],
    ["CLIENT", "LIST", "ID", "1", "abc"],
    ["CLIENT", "LIST", "ID", "999999"],
    ["CLIENT", "LIST", "x"],
    ["CLIENT", "INFO", "x"],
    ["COMMAND", "GETKEYS", "sort", "k", "limit", "0", "1", "store", "a", "get", "x", "store", "d"],
    ["COMMAND", "GETKEYSANDFLAGS", "set", "a", "b", "ex", "10", "get"],
    ["COMMAND", "GETKEYSANDFLAGS", "bitfield", "k", "overflow", "sat", "incrby", "u8", "0", "1"],
    ["COMMAND", "GETKEYS", "xread", "streams", "a", "b", "c", "0", "0", "0"],
    ["COMMAND", "GETKEYS", "xread", "streams", "a", "b", "0"],
    ["COMMAND", "GETKEYS", "lmpop", "0", "left"],
    ["COMMAND", "GETKEYS", "lmpop", "x", "a", "left"],
    ["COMMAND", "GETKEYS", "blmpop", "0", "2", "a", "b", "right"],
    ["COMMAND", "GETKEYS", "zinterstore", "d", "3", "a", "b"],
    ["COMMAND", "GETKEYS", "mset", "a", "1", "b"],
    ["COMMAND", "GETKEYS", "rename", "a", "b"],
    ["COMMAND", "GETKEYS", "copy", "a", "b", "db", "1"],
    ["COMMAND", "GETKEYS", "client", "list"],
    ["COMMAND", "GETKEYS", "client|list"],
    ["COMMAND", "GETKEYSANDFLAGS", "smove", "a", "b", "m"],
    ["COMMAND", "INFO", "client|nosuch"],
    ["COMMAND", "DOCS", "nosuch"],
    ["COMMAND", "LIST", "FILTERBY", "MODULE", "x"],
    ["COMMAND", "LIST", "FILTERBY", "ACLCAT"],
    ["COMMAND", "NOSUCH"],
    ["CONFIG", "NOSUCH"],
    ["CONFIG", "SET", "hz", "10", "hz"],
    ["PUBSUB", "CHANNELS", "a", "b"],
    ["PUBSUB", "NUMPAT", "x"],
    ["SLOWLOG", "GET", "1", "2"],
    ["SLOWLOG", "LEN", "x"],
    ["LATENCY", "HELP", "x"],
    # ACL: users are created, described, checked (DRYRUN) and deleted again.
    ["ACL", "SETUSER", "fz1"],
    # Rules whose descriptions need at most one single-command fix-up after the categories:
    # Redis lists several in its command dictionary's order, which varies.
    ["ACL", "SETUSER", "fz2", "on", ">p1", "~k*", "%R~r*", "&ch*", "+get", "-@all", "+@read",
     "-keys", "(~x* +set)"],
    ["ACL", "SETUSER", "fz3", "reset"],
    ["ACL", "SETUSER", "fz4", "skip-sanitize-payload", "&*", "allkeys", "+@all", "-get", "nopass"],
    ["ACL", "SETUSER", "fz5", "on", "nopass", "%RW~a", "%W~b", "%R~a", "+select|0", "+select|1",
     "-select", "+client", "-client|kill", "(+get ~q)", "clearselectors", "(+set", "%R~w)"],
    ["ACL", "SETUSER", "fz6", "+@all", "-flushall", "#" + "a" * 64, "!" + "a" * 64],
    # One single-command fix-up each: Redis lists several in its command dictionary's order,
    # which its random hash seed changes from run to run.
    ["ACL", "SETUSER", "fz7", "-@all", "+@hash", "-hset"],
    ["ACL", "SETUSER", "fz8", "-@all", "+debug|object"],
    ["ACL", "LIST"],
    # MIGRATE's argument checks and a missing key (nothing to connect for).
    ["MIGRATE", "127.0.0.1", "1", "nosuch", "0", "100"],
    ["MIGRATE", "127.0.0.1", "1", "nosuch", "x", "100"],
    ["MIGRATE", "127.0.0.1", "1", "nosuch", "0", "100", "BOGUS"],
    ["MIGRATE", "127.0.0.1", "1", "nosuch", "0", "100", "AUTH"],
    ["MIGRATE", "127.0.0.1", "1", "k", "0", "100", "KEYS", "a"],
    ["MIGRATE", "127.0.0.1", "1", "", "0", "100", "COPY", "REPLACE", "KEYS", "a", "b"],
    ["ACL", "USERS"],
    ["ACL", "GETUSER", "fz2"],
    ["ACL", "GETUSER", "fz5"],
    ["ACL", "GETUSER", "nosuch"],
    ["ACL", "SETUSER", "fz2", "~a", "allkeys", "~b"],
    ["ACL", "SETUSER", "fz2", "+nosuch"],
    ["ACL", "SETUSER", "fz2", "(+get"],
    ["ACL", "SETUSER", "fz2", "%X~a"],
    ["ACL", "SETUSER", "fz2", "%~a"],
    ["ACL", "SETUSER", "fz2", "<nop"],
    ["ACL", "SETUSER", "fz2", "#abc"],
    ["ACL", "SETUSER", "fz2", "+acl|getuser|x"],
    ["ACL", "SETUSER", "fz2", "+select|"],
    ["ACL", "SETUSER", "fz2", "-select|0"],
    ["ACL", "SETUSER", "fz2", "+config|nosuch"],
    ["ACL", "SETUSER", "a b"],
    ["ACL", "DRYRUN", "fz2", "get", "k1"],
    ["ACL", "DRYRUN", "fz2", "get", "x"],
    ["ACL", "DRYRUN", "fz2", "set", "r1", "v"],
    ["ACL", "DRYRUN", "fz2", "set", "x1", "v"],
    ["ACL", "DRYRUN", "fz2", "del", "k1"],
    ["ACL", "DRYRUN", "fz2", "publish", "zz", "m"],
    ["ACL", "DRYRUN", "fz2", "config", "get", "a"],
    ["ACL", "DRYRUN", "fz2", "config", "set", "a", "b"],
    ["ACL", "DRYRUN", "fz5", "select", "0"],
    ["ACL", "DRYRUN", "nouser", "get", "x"],
    ["ACL", "DRYRUN", "fz2", "nocmd", "x"],
    ["ACL", "DRYRUN", "fz2", "get"],
    ["ACL", "CAT"],
    ["ACL", "CAT", "nosuch"],
    ["ACL", "CAT", "a", "b"],
    ["ACL", "GENPASS", "0"],
    ["ACL", "GENPASS", "1", "2"],
    ["ACL", "LOG", "x"],
    ["ACL", "LOG", "1", "2"],
    ["ACL", "WHOAMI"],
    ["ACL", "WHOAMI", "x"],
    ["ACL", "SAVE"],
    ["ACL", "LOAD"],
    ["ACL", "DELUSER", "fz1", "default"],
    ["ACL", "DELUSER", "fz1", "fz2", "fz3", "fz4", "fz5", "fz6", "fz7", "fz8", "nosuch"],
    ["ACL", "NOSUCH"],
]


class Conn:
    """A raw RESP connection that reads replies into nested tuples."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.buf = b""

    def _fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise EOFError("connection closed")
        self.buf += data

    def _line(self):
        while b"\r\n" not in self.buf:
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _bytes(self, n):
        while len(self.buf) < n + 2:
            self._fill()
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def reply(self):
        line = self._line()
        kind = line[:1]
        if kind in b"+-:,_#(":
            return line
        n = int(line[1:])
        if n < 0:
            return line
        if kind in b"$=!":
            return kind + self._bytes(n)
        if kind in b"%|":
            n *= 2
        return (kind.decode(), tuple(self.reply() for _ in range(n)))

    def cmd(self, args):
        enc = b"*%d\r\n" % len(args)
        for a in args:
            a = a.encode() if isinstance(a, str) else a
            enc += b"$%d\r\n%s\r\n" % (len(a), a)
        self.sock.sendall(enc)
        return self.reply()


def command_info_diffs(a, b):
    """COMMAND INFO of every ringdis command (subcommands included) against Redis's: arity,
    flags, first/last/step, categories, key specs and subcommands. Command tips and key specs'
    notes (Redis's documentation text) are left out."""

    def strip(entry):
        if not isinstance(entry, tuple) or entry[0] != "*":
            return entry
        e = list(entry[1])
        e[7] = None
        specs = []
        for spec in e[8][1]:
            items = spec[1]
            pairs = [(items[i], items[i + 1]) for i in range(0, len(items), 2)]
            specs.append(tuple(p for p in pairs if p[0] != b"$notes"))
        e[8] = tuple(specs)
        if isinstance(e[9], tuple):
            # In Redis's order of its hash table: compared by name.
            e[9] = tuple(sorted((strip(x) for x in e[9][1]), key=lambda x: x[0]))
        return tuple(e)

    out = []
    for name in [x[1:].decode() for x in a.cmd(["COMMAND", "LIST"])[1]]:
        if "|" in name:
            continue
        ra, rb = a.cmd(["COMMAND", "INFO", name]), b.cmd(["COMMAND", "INFO", name])
        sa, sb = strip(ra[1][0]), strip(rb[1][0])
        if isinstance(sa, tuple) and isinstance(sb, tuple) and isinstance(sb[9], tuple):
            # Subcommands ringdis does not have yet are not differences.
            have = {x[0] for x in sa[9]} if isinstance(sa[9], tuple) else set()
            sb = sb[:9] + (tuple(x for x in sb[9] if x[0] in have),)
            sa = sa[:9] + (tuple(x for x in sa[9] if x[0] in {y[0] for y in sb[9]}),)
        if sa != sb:
            out.append((["COMMAND", "INFO", name], sa, sb))
    return out


def events(sub):
    """The keyspace notifications a subscriber got since the last call: a PING's answer comes
    after every message published before it."""
    sub.sock.sendall(b"*1\r\n$4\r\nPING\r\n")
    out = []
    while True:
        r = sub.reply()
        if r[1][0] == b"$pong":
            return out
        ev = (r[1][2][1:].decode(errors="replace"), r[1][3][1:].decode(errors="replace"))
        # Which key the active expiry cycle finds, and when, differs between the servers.
        if ev[1] != "expired" and not ev[0].endswith("__:expired"):
            out.append(ev)


def watched_aborted(w):
    """Whether the transaction of a client that WATCHed every key would abort now."""
    w.cmd(["MULTI"])
    w.cmd(["PING"])
    return w.cmd(["EXEC"]) in (b"*-1", b"_")


def normalize(name, reply):
    if name in UNORDERED and isinstance(reply, tuple):
        return (reply[0], tuple(sorted(map(repr, reply[1]))))
    return reply


def data_set(c):
    """Every key with its type, value and TTL."""
    out = []
    for k in sorted(x[1:] for x in c.cmd(["KEYS", "*"])[1]):
        t = c.cmd(["TYPE", k])
        if t == b"+string":
            v = c.cmd(["GET", k])
        elif t == b"+hash":
            v = sorted(map(repr, c.cmd(["HGETALL", k])[1]))
        elif t == b"+list":
            v = c.cmd(["LRANGE", k, "0", "-1"])
        elif t == b"+set":
            v = sorted(map(repr, c.cmd(["SMEMBERS", k])[1]))
        elif t == b"+zset":
            v = c.cmd(["ZRANGE", k, "0", "-1", "WITHSCORES"])
        elif t == b"+stream":
            v = (c.cmd(["XRANGE", k, "-", "+"]), c.cmd(["XLEN", k]))
        else:
            v = None
        out.append((k, t, v, c.cmd(["TTL", k])))
    return out


def same_data(da, db):
    """Whether two data sets are the same, but for keys expiring within the second (a short
    PEXPIRE's key may expire between the two servers' dumps, or during one)."""
    if da == db:
        return True
    racing = {x[0] for x in da + db if x[3] in (b":0", b":-2") or x[1] == b"+none"}
    return [x for x in da if x[0] not in racing] == [x for x in db if x[0] not in racing]


def same_after_restart(before, after):
    """Whether the data set after a replay is the one served before the kill: keys about to
    expire may be gone, and a TTL may have ticked down meanwhile."""

    def ttl(t):
        return int(t[1:])

    keep = [x for x in before if not (0 <= ttl(x[3]) <= 2)]
    left = {x[0]: x for x in after}
    for k, t, v, tt in keep:
        got = left.pop(k, None)
        if got is None or got[1:3] != (t, v):
            return False
        a, b = ttl(tt), ttl(got[3])
        if (a < 0 or b < 0) and a != b or abs(a - b) > 2:
            return False
    return all(0 <= ttl(x[3]) <= 2 for x in left.values())


def start(argv, d=None):
    port = pick_port()
    d = d or tempfile.mkdtemp(prefix="compat-fuzz-")
    proc = subprocess.Popen(
        [a.format(port=port, dir=d) for a in argv],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_pong(port, proc)
    return proc, port, d


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ringdis", default="target/release/ringdis")
    ap.add_argument("--redis", default="redis-server")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--commands", type=int, default=20000)
    ap.add_argument("--only", help="comma-separated command names to draw from")
    ap.add_argument("--no-state", action="store_true", help="compare replies only")
    ap.add_argument("--resp3", action="store_true", help="both connections speak RESP3 (HELLO 3)")
    ap.add_argument(
        "--notify",
        action="store_true",
        help="compare the keyspace notifications (notify-keyspace-events AKEmn) each command sends",
    )
    ap.add_argument(
        "--watch",
        action="store_true",
        help="compare whether each command aborts a transaction WATCHing every key",
    )
    ap.add_argument(
        "--multi",
        type=int,
        metavar="N",
        help="send transactions of 1 to N random commands (MULTI ... EXEC)",
    )
    ap.add_argument(
        "--restart-every",
        type=int,
        metavar="N",
        help="kill ringdis (SIGKILL) every N commands and check its data set after the replay",
    )
    ap.add_argument(
        "--tables",
        action="store_true",
        help="both servers keep hashes, sets and sorted sets in their table encodings from the "
        "second element on (the *-max-listpack-entries and set-max-intset-entries set to 1), and "
        "lists in nodes of 4 elements, compressed but for the one at each end",
    )
    o = ap.parse_args()
    aof = ["always", "yes"] if o.restart_every else ["no", "no"]
    limits = []
    if o.tables:
        for name in ("hash-max-listpack-entries", "zset-max-listpack-entries",
                     "set-max-intset-entries"):
            limits += ["--" + name, "1"]
        limits += ["--list-max-listpack-size", "4", "--list-compress-depth", "1"]
    our_argv = [o.ringdis, "--port", "{port}", "--dir", "{dir}", "--threads", "2"]
    our_argv += ["--appendfsync", aof[0], "--appendonly", aof[1]] + limits
    ours, our_port, our_dir = start(our_argv)
    theirs, their_port, _ = start(
        [o.redis, "--port", "{port}", "--dir", "{dir}", "--save", "", "--appendonly", "no"]
        + limits
    )
    try:
        a, b = Conn(our_port), Conn(their_port)
        if o.resp3:
            a.cmd(["HELLO", "3"]), b.cmd(["HELLO", "3"])
        diffs = collections.OrderedDict()
        for args in FIXED:
            ra, rb = a.cmd(args), b.cmd(args)
            if ra != rb:
                diffs.setdefault(args[0].lower(), []).append((args, ra, rb))
        for d in command_info_diffs(a, b):
            diffs.setdefault("command info", []).append(d)
        subs = {}
        if o.notify:
            for c, port in ((a, None), (b, None)):
                c.cmd(["CONFIG", "SET", "notify-keyspace-events", "AKEmn"])
            subs = {"a": Conn(our_port), "b": Conn(their_port)}
            for s in subs.values():
                s.cmd(["PSUBSCRIBE", "__key*__:*"])
        watchers = {}
        if o.watch:
            watchers = {"a": Conn(our_port), "b": Conn(their_port)}
        names = [x[1:].decode() for x in a.cmd(["COMMAND", "LIST"])[1]]
        names = o.only.split(",") if o.only else sorted(
            n for n in names if n not in SKIP and "|" not in n
        )
        rnd = random.Random(o.seed)
        restarts = 0

        def plain(pool):
            name = rnd.choice(pool)
            return [name] + [
                rnd.choice(WORDS if rnd.random() < 0.6 else KEYS) for _ in range(rnd.randint(0, 6))
            ]

        def lua_quote(a):
            return "'" + a.replace("\\", "\\\\").replace("'", "\\'") + "'"

        def lua_arg(a):
            try:
                float(a)
                numeric = a.strip() == a and not a.startswith("+") and "n" not in a.lower()
            except ValueError:
                numeric = False
            if numeric and rnd.random() < 0.5:
                return "(%s)" % a
            return lua_quote(a)

        json_texts = ['{"a":[1,2.5,"x",true,null]}', "[1,2", "{", "nul", '"abc', "[]", "{}", "12"]
        lib_names = ["string", "table", "math", "redis", "cjson", "bit", "struct", "cmsgpack", "_G"]

        def library_script():
            """A script on the Lua libraries and the sandbox: their values, and their errors
            as pcall catches them or as they end the script."""
            word = lua_quote(rnd.choice(WORDS + json_texts))
            small = str(rnd.randint(-3, 5))
            return rnd.choice([
                "return {pcall(cjson.decode, %s)}" % lua_quote(rnd.choice(json_texts)),
                "return cjson.encode(cjson.decode(%s))" % lua_quote(rnd.choice(json_texts)),
                "return {pcall(function() return cjson.decode(%s) end)}" % word,
                "math.randomseed(%d) return {math.random(%d), math.random(%s, %d)}"
                % (rnd.randint(-9, 99), rnd.randint(1, 1000), small, rnd.randint(-2, 9)),
                "return {pcall(bit.band, %s, %s)}" % (word, small),
                "return bit.tohex(%s, %s)" % (rnd.randint(-300, 300), small),
                "return {pcall(string.rep, %s, %s)}" % (word, small),
                "return {pcall(struct.pack, %s, %s)}" % (lua_quote(rnd.choice(["i", "q", ">I2", "s"])), small),
                "return redis.error_reply(%s)" % word,
                "return redis.status_reply(%s)" % rnd.choice([word, small]),
                # Line breaks in status and error texts (already Lua-escaped here).
                "return redis.%s_reply('%s')" % (rnd.choice(["status", "error"]), rnd.choice(
                    ["a\\r\\nb", "\\nx\\n", "-E \\r\\nx y\\n", "-", "- x", "-E"])),
                "return {pcall(redis.setresp, %s)}" % rnd.choice([word, small, "'3'", "2.5", ""]),
                "return {verbatim_string={format=%s, string=%s}}" % (
                    rnd.choice(["'txt'", "'markdown'", "'t'", "1", "nil"]), word),
                # cmsgpack over random bytes (type bytes weighted in), with limits and offsets.
                "return {pcall(cmsgpack.%s, '%s'%s)}" % (
                    rnd.choice(["unpack", "unpack_one", "unpack_limit"]),
                    "".join("\\%d" % rnd.choice([rnd.randrange(256), rnd.randrange(0xc0, 0xe0)])
                            for _ in range(rnd.randint(0, 10))),
                    "".join(", %d" % rnd.randint(-1, 4) for _ in range(rnd.randint(0, 2)))),
                "return {pcall(struct.unpack, %s, 'abcd', %d)}" % (
                    lua_quote(rnd.choice([">I2", "b", "z", "c0", "bh"])), rnd.randint(-6, 6)),
                "return {pcall(rawset, %s, 'x', 1)}" % rnd.choice(lib_names),
                "%s.x = 1" % rnd.choice(lib_names),
                "return redis.sha1hex(%s)" % word,
                "return {pcall(redis.acl_check_cmd, %s)}" % word,
                "return rawget(_G, %s) ~= nil" % lua_quote(rnd.choice(lib_names + WORDS)),
                # Lua 5.1's own faults as Redis fixed them: wide unpack ranges, bytecode.
                "return {pcall(unpack, {1, 2, 3}, %d, %d)}" % tuple(
                    rnd.choice([-2**31, -2, 0, 1, 3, 2**31 - 1]) for _ in range(2)),
                "return {pcall(loadstring(%s))}" % lua_quote(rnd.choice(
                    ["return 1", "\x1bLuaQ", "x =", "return ..."])),
            ])

        def draw(pool):
            args = plain(pool)
            if args[0] == "eval" and rnd.random() < 0.2:
                return [args[0], library_script(), "0"]
            # EVAL learns small scripts that call one or two random commands (call or pcall).
            if args[0] in ("eval", "eval_ro") and rnd.random() < 0.8:
                inner = [n for n in pool if n not in SCRIPTS]
                calls = []
                for n in range(rnd.randint(1, 2), 0, -1):
                    # The reply returned is the last call's: not one in no particular order.
                    c = plain(inner if n > 1 else [x for x in inner if x not in UNORDERED])
                    fn = rnd.choice(["call", "pcall", "pcall"])
                    # Numbers sometimes go as Lua numbers (Redis writes them with %.17g).
                    calls.append("redis.%s(%s)" % (fn, ",".join(lua_arg(a) for a in c)))
                script = " ".join(calls[:-1]) + " return " + calls[-1]
                return [args[0], script.strip(), "0"]
            # FCALL and FCALL_RO call the fuzz library's functions with a random command.
            if args[0] in ("fcall", "fcall_ro") and rnd.random() < 0.9:
                inner = plain([n for n in pool if n not in SCRIPTS])
                return [args[0], rnd.choice(["fz", "fzp", "fzr"]), "0"] + inner
            return args

        def transaction(c, group):
            """MULTI, the group, EXEC: every answer, EXEC's replies normalized per command."""
            got = [c.cmd(["MULTI"])] + [c.cmd(g) for g in group]
            r = c.cmd(["EXEC"])
            if isinstance(r, tuple) and len(r[1]) == len(group):
                r = (r[0], [normalize(g[0].lower(), x) for g, x in zip(group, r[1])])
            return (tuple(got), r)

        for i in range(o.commands):
            if o.restart_every and i and i % o.restart_every == 0:
                restarts += 1
                if restarts % 2 == 0:
                    a.cmd(["BGREWRITEAOF"])
                    while b"aof_rewrite_in_progress:1" in a.cmd(["INFO", "persistence"]):
                        time.sleep(0.01)
                before = data_set(a)
                ours.kill()
                ours.wait()
                ours, our_port, _ = start(our_argv, our_dir)
                a = Conn(our_port)
                if o.resp3:
                    a.cmd(["HELLO", "3"])
                after = data_set(a)
                if not same_after_restart(before, after):
                    diffs.setdefault("(restart)", []).append((["restart"], after, before))
            if i % 100 == 0:
                for c in SETUP:
                    a.cmd(c), b.cmd(c)
            args = draw(names)
            name = args[0]
            group = None
            if o.multi:
                pool = names + IN_MULTI
                group = [args] + [draw(pool) for _ in range(rnd.randint(0, o.multi - 1))]
                name = "multi: " + " / ".join(g[0] for g in group)
            if watchers:
                for w in watchers.values():
                    w.cmd(["UNWATCH"])
                    w.cmd(["WATCH"] + KEYS)
            if subs:
                for s in subs.values():
                    events(s)
            if group:
                ra, rb = transaction(a, group), transaction(b, group)
                args = [x for g in group for x in g + [";"]]
            else:
                ra, rb = normalize(name, a.cmd(args)), normalize(name, b.cmd(args))
            if subs and ra == rb:
                ea, eb = events(subs["a"]), events(subs["b"])
                if ea != eb:
                    ra, rb = ("events", ra, ea), ("events", rb, eb)
            if watchers and ra == rb:
                wa, wb = (watched_aborted(watchers[k]) for k in ("a", "b"))
                if wa != wb:
                    ra, rb = ("watch aborted", ra, wa), ("watch aborted", rb, wb)
            if ra == rb and not o.no_state:
                da, db = data_set(a), data_set(b)
                if not same_data(da, db):
                    ra, rb = ("data", ra, da), ("data", rb, db)
            if ra != rb:
                diffs.setdefault(name, []).append((args, ra, rb))
                for c in SETUP:
                    a.cmd(c), b.cmd(c)
        for name, cases in diffs.items():
            print(f"## {name}: {len(cases)}")
            for args, ra, rb in cases[:3]:
                print("   ", " ".join(repr(x) if (" " in x or not x) else x for x in args))
                print("      ringdis:", str(ra)[:300])
                print("      redis:  ", str(rb)[:300])
        n = sum(map(len, diffs.values()))
        print(f"{o.commands} commands, {restarts} restarts, {n} differences")
        return 1 if diffs else 0
    finally:
        ours.kill()
        theirs.kill()


if __name__ == "__main__":
    sys.exit(main())
