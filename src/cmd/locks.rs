//! What a command declares to the transaction layer ([`crate::keyspace::tx`]) before it runs:
//! the shards of the keys its key specs find, or whole databases for the commands that reach
//! beyond their keys.

use super::spec::{Acl, KeyFlags};
use super::{keys_of, Command};
use crate::keyspace::{Keyspace, Locks};
use crate::resp::{parse_i64, Args};

/// Declares into `locks` what `cmd`, run with `args` in database `db`, must hold.
///
/// - A command's keys: write locks for a write command (and WATCH, which registers its watchers
///   in the shards, and PFCOUNT, which caches its result), read locks otherwise.
/// - SORT with BY or GET patterns reads keys only its elements name: its whole database.
///   FLUSHDB holds its database, FLUSHALL every one, SWAPDB both of its own.
/// - MOVE and COPY ... DB: the key in each database.
/// - GEORADIUS[BYMEMBER]: every argument after a STORE or STOREDIST (the last one wins).
/// - Commands without keys that visit the keyspace one shard at a time (KEYS, SCAN, DBSIZE, INFO,
///   CONFIG RESETSTAT, BGREWRITEAOF...) declare nothing on their own (`in_exec` false); inside a
///   transaction, which may hold other shards already, they declare what they may visit: their
///   database for @keyspace commands, every database for admin commands and INFO.
///
/// A key spec the arguments do not fit declares nothing, the others still declare their keys
/// (as Redis's partial key lookup): `PFMERGE dest` has no source range, yet writes `dest`.
pub fn declare(
    cmd: &Command,
    args: &Args,
    db: usize,
    ks: &Keyspace,
    locks: &mut Locks,
    in_exec: bool,
) {
    // PFCOUNT, though read-only, stores the cardinality it computed in the HLL's cache.
    let write = cmd.is_write() || cmd.name == "watch" || cmd.name == "pfcount";
    let target_db = |i: usize| {
        (i < args.len())
            .then(|| parse_i64(args.get(i)))
            .flatten()
            .and_then(|d| usize::try_from(d).ok())
            .filter(|&d| d < ks.databases())
    };
    let all = |locks: &mut Locks| (0..ks.databases()).for_each(|d| locks.db(d, true));
    // A script takes what its commands declare as they run (see `scripting`); inside a
    // transaction, which cannot grow, it may reach every database.
    if super::is_script(cmd) {
        if in_exec {
            all(locks);
        }
        return;
    }
    match cmd.name {
        "flushdb" => return locks.db(db, true),
        "flushall" | "function|load" | "function|delete" | "function|flush"
        | "function|restore" => return all(locks),
        "swapdb" => {
            if let (Some(a), Some(b)) = (target_db(1), target_db(2)) {
                locks.db(a, true);
                locks.db(b, true);
            }
            return;
        }
        "move" => {
            locks.key(ks, db, args.get(1), true);
            if let Some(to) = target_db(2) {
                locks.key(ks, to, args.get(1), true);
            }
            return;
        }
        "copy" if args.len() >= 3 => {
            let to = (3..args.len())
                .rev()
                .find(|&i| args.get(i).eq_ignore_ascii_case(b"db"))
                .map_or(Some(db), |i| target_db(i + 1));
            locks.key(ks, db, args.get(1), true);
            if let Some(to) = to {
                locks.key(ks, to, args.get(2), true);
            }
            return;
        }
        "sort" | "sort_ro" => {
            let argv: Vec<&[u8]> = args.iter().collect();
            let mut patterns = false;
            let mut i = 2;
            while i < argv.len() {
                let a = argv[i];
                if a.eq_ignore_ascii_case(b"limit") {
                    i += 2;
                } else if a.eq_ignore_ascii_case(b"by") {
                    patterns = true;
                    i += 1;
                } else if a.eq_ignore_ascii_case(b"get") {
                    patterns |= argv.get(i + 1).is_some_and(|p| *p != b"#");
                    i += 1;
                }
                i += 1;
            }
            if patterns {
                return locks.db(db, write);
            }
            for (pos, _) in keys_of(cmd, &argv) {
                locks.key(ks, db, argv[pos], write);
            }
            return;
        }
        "georadius" | "georadiusbymember" => {
            // Their key specs find the first STORE; the command stores into the last one.
            locks.key(ks, db, args.get(1), write);
            let from = if cmd.name == "georadius" { 6 } else { 5 };
            for i in from..args.len().saturating_sub(1) {
                let a = args.get(i);
                if a.eq_ignore_ascii_case(b"store") || a.eq_ignore_ascii_case(b"storedist") {
                    locks.key(ks, db, args.get(i + 1), write);
                }
            }
            return;
        }
        _ => {}
    }
    if cmd.keys.is_empty() {
        if in_exec {
            if cmd.categories().contains(Acl::KEYSPACE) {
                locks.db(db, true);
            } else if cmd.name == "info" {
                // INFO only reads: a database never used has nothing to read, and locking it
                // would allocate its shards.
                (0..ks.databases())
                    .filter(|&d| ks.db(d).allocated())
                    .for_each(|d| locks.db(d, false));
            } else if cmd.flags.contains(super::spec::Flags::ADMIN) {
                all(locks);
            }
        }
        return;
    }
    for spec in cmd.keys {
        if spec.flags.contains(KeyFlags::NOT_KEY) {
            continue;
        }
        if let Ok(Some((first, last, step))) = spec.span(args.len(), |i| args.get(i)) {
            for i in (first..=last).step_by(step) {
                locks.key(ks, db, args.get(i), write);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cmd::{resolve, Resolved};
    use crate::keyspace::events::{Events, Notify};
    use crate::keyspace::{Journal, Tx, SHARDS};
    use std::sync::Arc;

    struct NoLog;
    impl Journal for NoLog {
        fn append(&self, _: usize, _: &[&[u8]]) -> u64 {
            0
        }
        fn append_group(&self, _: &crate::keyspace::Records) -> u64 {
            0
        }
        fn active(&self) -> bool {
            false
        }
    }
    struct Quiet;
    impl Notify for Quiet {
        fn publish(&self, _: usize, _: u32, _: &str, _: &[u8]) {}
    }

    fn keyspace() -> Keyspace {
        Keyspace::new(16, Arc::new(NoLog), Arc::new(Events::new(Box::new(Quiet))))
    }

    /// The shards a transaction of `cmds` (run from database 0) would hold.
    fn held(ks: &Keyspace, cmds: &[&str], in_exec: bool) -> usize {
        let mut locks = Locks::default();
        for c in cmds {
            let words: Vec<&str> = c.split(' ').collect();
            let mut buf = crate::resp::ArgvBuf::default();
            let args = buf.set(&words);
            let Resolved::Found(_, cmd) = resolve(&args) else {
                panic!("{c}: no such command")
            };
            declare(cmd, &args, 0, ks, &mut locks, in_exec);
        }
        if locks.is_empty() {
            return 0;
        }
        let open = Tx::open(ks);
        if in_exec {
            open.exec(locks).held_shards()
        } else {
            open.lock(locks).held_shards()
        }
    }

    #[test]
    fn a_transaction_on_one_key_holds_one_shard() {
        let ks = keyspace();
        let one = ["SET k v", "INCR k", "GET k", "EXPIRE k 10", "DEL k"];
        assert_eq!(held(&ks, &one, true), 1);
        assert_eq!(held(&ks, &["PING", "GET k", "ECHO x"], true), 1);
    }

    #[test]
    fn commands_declare_their_keys_shards() {
        let ks = keyspace();
        let two = ks.shard_index(b"a") != ks.shard_index(b"b");
        assert_eq!(held(&ks, &["GET a"], false), 1);
        assert_eq!(held(&ks, &["MSET a 1 b 2"], false), 1 + two as usize);
        assert_eq!(held(&ks, &["LMPOP 2 a b LEFT"], false), 1 + two as usize);
        assert_eq!(held(&ks, &["ZUNIONSTORE d 2 a b"], false), {
            let mut s = [b"d".as_slice(), b"a", b"b"].map(|k| ks.shard_index(k));
            s.sort();
            1 + s.windows(2).filter(|w| w[0] != w[1]).count()
        });
        // Arguments that do not fit the key spec declare nothing: the handler refuses them.
        assert_eq!(held(&ks, &["LMPOP x a LEFT"], false), 0);
        assert_eq!(held(&ks, &["LMPOP 9223372036854775807 a LEFT"], false), 0);
        // MOVE and COPY ... DB: the key in both databases.
        assert_eq!(held(&ks, &["MOVE a 3"], false), 2);
        assert_eq!(held(&ks, &["COPY a a DB 3"], false), 2);
    }

    #[test]
    fn commands_that_reach_further_declare_databases() {
        let ks = keyspace();
        assert_eq!(held(&ks, &["SORT l BY w_*"], false), SHARDS);
        assert_eq!(held(&ks, &["SORT l GET #"], false), 1);
        assert_eq!(held(&ks, &["FLUSHDB"], false), SHARDS);
        assert_eq!(held(&ks, &["SWAPDB 0 1"], false), 2 * SHARDS);
        assert_eq!(held(&ks, &["FLUSHALL"], false), 16 * SHARDS);
        // Outside a transaction, KEYS and INFO lock one shard at a time as they go.
        assert_eq!(held(&ks, &["KEYS *"], false), 0);
        assert_eq!(held(&ks, &["INFO"], false), 0);
        // Inside one, what they may visit is held from the start.
        assert_eq!(held(&ks, &["GET a", "KEYS *"], true), SHARDS);
        assert_eq!(held(&ks, &["INFO keyspace"], true), 16 * SHARDS);
    }
}
