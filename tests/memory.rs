//! maxmemory: -OOM under noeviction, eviction under the other policies (counted, logged to the
//! AOF as DEL, announced as `evicted` events), against the binary (whose counting allocator
//! gives used_memory).

mod common;
use common::{connect, info_u64, ChildServer};

/// A server without an AOF (whose buffers, kept between writes, would take part of the small
/// limits these tests set) unless `args` asks for one.
fn server(args: &[&str]) -> (ChildServer, redis::Connection) {
    let aof: &[&str] = if args.contains(&"--appendonly") {
        &[]
    } else {
        &["--appendonly", "no"]
    };
    let s = ChildServer::start(&[&["--threads", "2"], aof, args].concat());
    let c = connect(&format!("redis://127.0.0.1:{}/", s.port));
    (s, c)
}

fn cmd<T: redis::FromRedisValue>(c: &mut redis::Connection, args: &[&str]) -> T {
    let mut r = redis::cmd(args[0]);
    for a in &args[1..] {
        r.arg(*a);
    }
    r.query(c).unwrap()
}

fn try_cmd(c: &mut redis::Connection, args: &[&str]) -> Result<redis::Value, String> {
    let mut r = redis::cmd(args[0]);
    for a in &args[1..] {
        r.arg(*a);
    }
    r.query::<redis::Value>(c).map_err(|e| {
        format!(
            "{} {}",
            e.code().unwrap_or(""),
            e.detail().unwrap_or_default()
        )
    })
}

/// Sets maxmemory 4 MB above what the server uses now.
fn limit_near(c: &mut redis::Connection) -> u64 {
    let used = info_u64(c, "memory", "used_memory");
    let limit = used + (4 << 20);
    let _: () = cmd(c, &["CONFIG", "SET", "maxmemory", &limit.to_string()]);
    limit
}

/// Writes 1 KB values under `prefix` until one is refused or `n` went in: how many went in,
/// and the error.
fn fill(c: &mut redis::Connection, prefix: &str, n: usize, ttl: bool) -> (usize, Option<String>) {
    let value = "v".repeat(1000);
    for i in 0..n {
        let key = format!("{prefix}:{i}");
        let r = if ttl {
            try_cmd(c, &["SET", &key, &value, "EX", "1000"])
        } else {
            try_cmd(c, &["SET", &key, &value])
        };
        if let Err(e) = r {
            return (i, Some(e));
        }
    }
    (n, None)
}

#[test]
fn noeviction_refuses_what_may_grow_memory() {
    let (_s, mut c) = server(&[]);
    assert_eq!(
        cmd::<Vec<String>>(&mut c, &["CONFIG", "GET", "maxmemory-policy"])[1],
        "noeviction"
    );
    let limit = limit_near(&mut c);
    let (stored, err) = fill(&mut c, "k", 100_000, false);
    assert_eq!(
        err.as_deref(),
        Some("OOM command not allowed when used memory > 'maxmemory'.")
    );
    assert!(stored > 1000, "{stored}");
    assert!(info_u64(&mut c, "memory", "used_memory") > limit);
    assert_eq!(info_u64(&mut c, "stats", "evicted_keys"), 0);
    // Reads and deletions still run; a MULTI that queues a write is aborted.
    let v: String = cmd(&mut c, &["GET", "k:0"]);
    assert_eq!(v.len(), 1000);
    assert!(try_cmd(&mut c, &["RPUSH", "l", "x"]).is_err());
    let _: () = cmd(&mut c, &["MULTI"]);
    assert!(try_cmd(&mut c, &["SET", "x", "y"])
        .unwrap_err()
        .starts_with("OOM"));
    assert!(try_cmd(&mut c, &["EXEC"])
        .unwrap_err()
        .starts_with("EXECABORT"));
    let deleted: usize = (0..stored)
        .map(|i| cmd::<usize>(&mut c, &["DEL", &format!("k:{i}")]))
        .sum();
    assert_eq!(deleted, stored);
    let _: () = cmd(&mut c, &["SET", "after", "ok"]);
}

#[test]
fn allkeys_random_evicts_to_stay_under_the_limit() {
    let (_s, mut c) = server(&["--maxmemory-policy", "allkeys-random"]);
    let _: () = cmd(&mut c, &["CONFIG", "SET", "notify-keyspace-events", "Ee"]);
    let mut sub = connect(&format!("redis://127.0.0.1:{}/", _s.port));
    let mut pubsub = sub.as_pubsub();
    pubsub.subscribe("__keyevent@0__:evicted").unwrap();
    let limit = limit_near(&mut c);
    // Four times the limit's room goes in without an error.
    let (stored, err) = fill(&mut c, "k", 16_000, false);
    assert_eq!((stored, err), (16_000, None));
    // Read together in one transaction: every command (INFO and DBSIZE too) may evict first.
    let (info, keys): (String, u64) = redis::pipe()
        .atomic()
        .cmd("INFO")
        .arg("stats")
        .cmd("DBSIZE")
        .query(&mut c)
        .unwrap();
    let evicted: u64 = info
        .lines()
        .find_map(|l| l.strip_prefix("evicted_keys:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(evicted > 4000, "{evicted}");
    assert_eq!(keys + evicted, 16_000);
    // used_memory is counted per thread, off by a little per thread.
    assert!(info_u64(&mut c, "memory", "used_memory") < limit + (1 << 20));
    pubsub
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    let msg = pubsub.get_message().unwrap();
    let key: String = msg.get_payload().unwrap();
    assert!(key.starts_with("k:"), "{key}");
}

#[test]
fn volatile_policies_evict_only_keys_with_a_ttl() {
    let (_s, mut c) = server(&["--maxmemory-policy", "volatile-ttl"]);
    let limit = limit_near(&mut c);
    // Keys without a TTL fill half the room; keys with one then go in and out.
    let (plain, _) = fill(&mut c, "plain", 2000, false);
    assert_eq!(plain, 2000);
    let (with_ttl, err) = fill(&mut c, "ttl", 8000, true);
    assert_eq!((with_ttl, err), (8000, None));
    for i in 0..plain {
        let exists: u64 = cmd(&mut c, &["EXISTS", &format!("plain:{i}")]);
        assert_eq!(exists, 1, "plain:{i} was evicted");
    }
    assert!(info_u64(&mut c, "stats", "evicted_keys") > 0);
    assert!(info_u64(&mut c, "memory", "used_memory") < limit + (1 << 20));
    // Once no key has a TTL, nothing may go: writes are refused.
    let _: () = cmd(
        &mut c,
        &["CONFIG", "SET", "maxmemory-policy", "volatile-random"],
    );
    let (_, err) = fill(&mut c, "more", 100_000, false);
    assert!(err.unwrap().starts_with("OOM"));
    let left: Vec<String> = cmd(&mut c, &["KEYS", "ttl:*"]);
    assert!(left.is_empty(), "{} keys with a TTL left", left.len());
}

#[test]
fn evictions_reach_the_aof_as_deletions() {
    let (mut s, mut c) = server(&[
        "--maxmemory-policy",
        "allkeys-random",
        "--appendonly",
        "yes",
    ]);
    let dir = s.dir.take().unwrap();
    limit_near(&mut c);
    let (stored, _) = fill(&mut c, "k", 12_000, false);
    assert_eq!(stored, 12_000);
    // Every command may evict first while over the limit: lift it, then count.
    let _: () = cmd(&mut c, &["CONFIG", "SET", "maxmemory", "0"]);
    let _: () = cmd(&mut c, &["SET", "last", "x"]);
    let keys: u64 = cmd(&mut c, &["DBSIZE"]);
    assert!(keys < 12_000);
    let _ = try_cmd(&mut c, &["SHUTDOWN"]);
    s.wait_exit();
    // Replayed without a limit: the same keys, none of the evicted ones back.
    let dir_arg = dir.path().to_str().unwrap().to_string();
    let again = ChildServer::start(&["--dir", &dir_arg]);
    let mut c2 = connect(&format!("redis://127.0.0.1:{}/", again.port));
    let after: u64 = cmd(&mut c2, &["DBSIZE"]);
    assert_eq!(after, keys);
}

#[test]
fn settings_as_redis_names_them() {
    let (_s, mut c) = server(&["--maxmemory", "64mb"]);
    let get = |c: &mut redis::Connection, name: &str| -> String {
        cmd::<Vec<String>>(c, &["CONFIG", "GET", name])[1].clone()
    };
    assert_eq!(get(&mut c, "maxmemory"), "67108864");
    assert_eq!(info_u64(&mut c, "memory", "maxmemory"), 67108864);
    for p in [
        "allkeys-lru",
        "allkeys-lfu",
        "allkeys-random",
        "volatile-lru",
        "volatile-lfu",
        "volatile-random",
        "volatile-ttl",
        "noeviction",
    ] {
        let _: () = cmd(&mut c, &["CONFIG", "SET", "maxmemory-policy", p]);
        assert_eq!(get(&mut c, "maxmemory-policy"), p);
    }
    assert!(try_cmd(&mut c, &["CONFIG", "SET", "maxmemory-policy", "lru"]).is_err());
    let _: () = cmd(&mut c, &["CONFIG", "SET", "maxmemory", "1gb"]);
    assert_eq!(get(&mut c, "maxmemory"), "1073741824");
    let _: () = cmd(&mut c, &["CONFIG", "SET", "maxmemory-samples", "10"]);
    assert_eq!(get(&mut c, "maxmemory-samples"), "10");
    let _: () = cmd(
        &mut c,
        &["CONFIG", "SET", "maxmemory-eviction-tenacity", "100"],
    );
    assert_eq!(get(&mut c, "maxmemory-eviction-tenacity"), "100");
}

/// How many of `keys` are still there.
fn surviving(c: &mut redis::Connection, keys: &[String]) -> usize {
    keys.iter()
        .filter(|k| cmd::<u64>(c, &["EXISTS", k.as_str()]) == 1)
        .count()
}

#[test]
fn allkeys_lfu_keeps_the_keys_in_use() {
    // lfu-log-factor 0: every use counts, so the hot keys' counters end 30 above a new key's.
    // At the default 10 they end only 1-3 above it, and a minute boundary crossed during the
    // test takes a point off (lfu-decay-time 1): some then tie with the new keys and go.
    let (_s, mut c) = server(&["--maxmemory-policy", "allkeys-lfu", "--lfu-log-factor", "0"]);
    limit_near(&mut c);
    let value = "v".repeat(1000);
    let hot: Vec<String> = (0..300).map(|i| format!("hot:{i}")).collect();
    for k in &hot {
        let _: () = cmd(&mut c, &["SET", k, &value]);
    }
    // Used often, their counters climb well above a new key's.
    for _ in 0..30 {
        let mut p = redis::pipe();
        for k in &hot {
            p.cmd("GET").arg(k).ignore();
        }
        let _: () = p.query(&mut c).unwrap();
    }
    let (stored, err) = fill(&mut c, "cold", 12_000, false);
    assert_eq!((stored, err), (12_000, None));
    assert!(info_u64(&mut c, "stats", "evicted_keys") > 4000);
    let kept = surviving(&mut c, &hot);
    assert!(kept >= 290, "only {kept} of 300 hot keys were kept");
}

#[test]
fn allkeys_lru_keeps_the_keys_used_last() {
    let (_s, mut c) = server(&["--maxmemory-policy", "allkeys-lru"]);
    limit_near(&mut c);
    let (old, _) = fill(&mut c, "old", 2000, false);
    assert_eq!(old, 2000);
    // LRU clocks tick in seconds, as Redis's: the old keys must age past the new ones.
    std::thread::sleep(std::time::Duration::from_millis(2100));
    let used: Vec<String> = (0..200).map(|i| format!("old:{i}")).collect();
    for k in &used {
        let _: String = cmd(&mut c, &["GET", k]);
    }
    let (stored, _) = fill(&mut c, "new", 2000, false);
    assert_eq!(stored, 2000);
    let evicted = info_u64(&mut c, "stats", "evicted_keys") as usize;
    assert!(evicted > 300, "{evicted}");
    let unused: Vec<String> = (200..2000).map(|i| format!("old:{i}")).collect();
    let kept_used = surviving(&mut c, &used);
    let gone_unused = 1800 - surviving(&mut c, &unused);
    // Sampling approximates LRU (as in Redis): nearly every key evicted is an old unused one.
    assert!(
        kept_used >= 195,
        "only {kept_used} of 200 recently used keys were kept"
    );
    assert!(
        gone_unused * 10 >= evicted * 9,
        "{gone_unused} of {evicted} evicted keys were old unused ones"
    );
}

#[test]
fn object_idletime_and_freq_follow_the_policy() {
    let (_s, mut c) = server(&["--maxmemory-policy", "allkeys-lfu"]);
    // Counters lose a point per lfu-decay-time minutes counted on the wall clock's minutes (as
    // Redis's): a minute boundary mid-test would lower them. 0: no decay.
    let _: () = cmd(&mut c, &["CONFIG", "SET", "lfu-decay-time", "0"]);
    let _: () = cmd(&mut c, &["SET", "k", "v"]);
    // A new key's counter starts at LFU_INIT (5), as in Redis; reads raise it.
    assert_eq!(cmd::<i64>(&mut c, &["OBJECT", "FREQ", "k"]), 5);
    // EXISTS is no access; TOUCH and reads are.
    for _ in 0..20 {
        let _: i64 = cmd(&mut c, &["EXISTS", "k"]);
    }
    assert_eq!(cmd::<i64>(&mut c, &["OBJECT", "FREQ", "k"]), 5);
    let _: i64 = cmd(&mut c, &["TOUCH", "k"]);
    assert_eq!(cmd::<i64>(&mut c, &["OBJECT", "FREQ", "k"]), 6);
    for _ in 0..200 {
        let _: String = cmd(&mut c, &["GET", "k"]);
    }
    let freq: i64 = cmd(&mut c, &["OBJECT", "FREQ", "k"]);
    assert!(freq > 5 && freq < 255, "{freq}");
    assert!(try_cmd(&mut c, &["OBJECT", "IDLETIME", "k"])
        .unwrap_err()
        .contains("An LFU maxmemory policy is selected"));

    let _: () = cmd(
        &mut c,
        &["CONFIG", "SET", "maxmemory-policy", "allkeys-lru"],
    );
    let _: () = cmd(&mut c, &["SET", "k2", "v"]);
    std::thread::sleep(std::time::Duration::from_millis(2100));
    let idle: i64 = cmd(&mut c, &["OBJECT", "IDLETIME", "k2"]);
    assert!(idle >= 2, "{idle}");
    let _: String = cmd(&mut c, &["GET", "k2"]);
    assert!(cmd::<i64>(&mut c, &["OBJECT", "IDLETIME", "k2"]) <= 1);
    assert!(try_cmd(&mut c, &["OBJECT", "FREQ", "k2"])
        .unwrap_err()
        .contains("An LFU maxmemory policy is not selected"));
    let nil: Option<i64> = cmd(&mut c, &["OBJECT", "IDLETIME", "missing"]);
    assert_eq!(nil, None);
}

/// list-compress-depth, set at start or with CONFIG SET: a long list's inner nodes take less
/// memory (MEMORY USAGE), and every command reads and changes the list as before.
#[test]
fn list_compress_depth_compresses_inner_nodes() {
    let (_s, mut c) = server(&["--list-compress-depth", "2"]);
    let got: Vec<String> = cmd(&mut c, &["CONFIG", "GET", "list-compress-depth"]);
    assert_eq!(got, ["list-compress-depth", "2"]);
    let values: Vec<String> = (0..5000)
        .map(|i| format!("value-{i:06}-{}", "x".repeat(40)))
        .collect();
    let fill = |c: &mut redis::Connection, key: &str| {
        for chunk in values.chunks(500) {
            let mut r = redis::cmd("RPUSH");
            r.arg(key);
            for v in chunk {
                r.arg(v);
            }
            let _: i64 = r.query(c).unwrap();
        }
    };
    fill(&mut c, "packed");
    let _: () = cmd(&mut c, &["CONFIG", "SET", "list-compress-depth", "0"]);
    fill(&mut c, "plain");
    let packed: i64 = cmd(&mut c, &["MEMORY", "USAGE", "packed", "SAMPLES", "0"]);
    let plain: i64 = cmd(&mut c, &["MEMORY", "USAGE", "plain", "SAMPLES", "0"]);
    assert!(packed * 2 < plain, "{packed} vs {plain}");
    let enc: String = cmd(&mut c, &["OBJECT", "ENCODING", "packed"]);
    assert_eq!(enc, "quicklist");
    for key in ["packed", "plain"] {
        let all: Vec<String> = cmd(&mut c, &["LRANGE", key, "0", "-1"]);
        assert_eq!(all, values);
        let mid: String = cmd(&mut c, &["LINDEX", key, "2500"]);
        assert_eq!(mid, values[2500]);
        let _: () = cmd(&mut c, &["LSET", key, "2500", "changed"]);
        let _: i64 = cmd(
            &mut c,
            &["LINSERT", key, "BEFORE", &values[1000], "inserted"],
        );
        let _: i64 = cmd(&mut c, &["LREM", key, "1", &values[3000]]);
        let _: String = cmd(&mut c, &["LPOP", key]);
        let _: String = cmd(&mut c, &["RPOP", key]);
    }
    let a: Vec<String> = cmd(&mut c, &["LRANGE", "packed", "0", "-1"]);
    let b: Vec<String> = cmd(&mut c, &["LRANGE", "plain", "0", "-1"]);
    assert_eq!(a.len(), 4998);
    assert_eq!(a, b);
}

/// MEMORY MALLOC-STATS is jemalloc's own report, as Redis built with jemalloc gives it.
#[test]
fn malloc_stats_is_the_allocators_report() {
    let (_s, mut c) = server(&[]);
    let report: String = cmd(&mut c, &["MEMORY", "MALLOC-STATS"]);
    assert!(report.contains("jemalloc statistics"), "{report}");
    assert!(report.contains("Version: \"5.3.0"), "{report}");
}
