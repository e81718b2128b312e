//! Lazy freeing: UNLINK, FLUSHALL/FLUSHDB ASYNC and the lazyfree-lazy-* settings hand large
//! values to the background thread (counted in INFO memory's lazyfreed_objects); small ones are
//! freed at once, as in Redis.

mod common;
use common::{connect, info_u64, ChildServer};

fn server() -> (ChildServer, redis::Connection) {
    let s = ChildServer::start(&["--threads", "2", "--appendonly", "no"]);
    let c = connect(&format!("redis://127.0.0.1:{}/", s.port));
    (s, c)
}

fn big_hash(c: &mut redis::Connection, key: &str, fields: usize) {
    let mut cmd = redis::cmd("HSET");
    cmd.arg(key);
    for i in 0..fields {
        cmd.arg(format!("f{i}")).arg("v");
    }
    let _: usize = cmd.query(c).unwrap();
}

/// Waits until `lazyfreed_objects` reaches `n` (bounded) and nothing is pending.
fn freed_reaches(c: &mut redis::Connection, n: u64) {
    let end = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let freed = info_u64(c, "memory", "lazyfreed_objects");
        let pending = info_u64(c, "memory", "lazyfree_pending_objects");
        if freed >= n && pending == 0 {
            return;
        }
        assert!(
            std::time::Instant::now() < end,
            "lazyfreed_objects {freed}, pending {pending}, want {n}"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

#[test]
fn unlink_frees_large_values_in_the_background() {
    let (_s, mut c) = server();
    assert_eq!(info_u64(&mut c, "memory", "lazyfreed_objects"), 0);
    big_hash(&mut c, "big", 1000);
    let _: usize = redis::cmd("SADD")
        .arg("small")
        .arg("a")
        .query(&mut c)
        .unwrap();
    let n: usize = redis::cmd("UNLINK")
        .arg("big")
        .arg("small")
        .arg("missing")
        .query(&mut c)
        .unwrap();
    assert_eq!(n, 2);
    let left: usize = redis::cmd("EXISTS").arg("big").query(&mut c).unwrap();
    assert_eq!(left, 0);
    // Only the large one went to the thread.
    freed_reaches(&mut c, 1);
    assert_eq!(info_u64(&mut c, "memory", "lazyfreed_objects"), 1);

    // DEL frees at once, unless lazyfree-lazy-user-del says otherwise.
    big_hash(&mut c, "big", 1000);
    let _: usize = redis::cmd("DEL").arg("big").query(&mut c).unwrap();
    assert_eq!(info_u64(&mut c, "memory", "lazyfreed_objects"), 1);
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("lazyfree-lazy-user-del")
        .arg("yes")
        .query(&mut c)
        .unwrap();
    let got: Vec<String> = redis::cmd("CONFIG")
        .arg("GET")
        .arg("lazyfree-lazy-user-del")
        .query(&mut c)
        .unwrap();
    assert_eq!(got, ["lazyfree-lazy-user-del", "yes"]);
    big_hash(&mut c, "big", 1000);
    let _: usize = redis::cmd("DEL").arg("big").query(&mut c).unwrap();
    freed_reaches(&mut c, 2);
}

#[test]
fn flush_async_empties_at_once_and_frees_later() {
    let (_s, mut c) = server();
    let mut p = redis::pipe();
    for i in 0..20_000 {
        p.cmd("SET").arg(format!("k{i}")).arg("v").ignore();
    }
    let _: () = p.query(&mut c).unwrap();
    big_hash(&mut c, "big", 1000);
    let _: () = redis::cmd("FLUSHALL").arg("ASYNC").query(&mut c).unwrap();
    let n: usize = redis::cmd("DBSIZE").query(&mut c).unwrap();
    assert_eq!(n, 0);
    freed_reaches(&mut c, 1);
    let freed = info_u64(&mut c, "memory", "lazyfreed_objects");

    // SYNC frees at once even with lazyfree-lazy-user-flush; plain FLUSHDB follows it.
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("lazyfree-lazy-user-flush")
        .arg("yes")
        .query(&mut c)
        .unwrap();
    let _: () = redis::cmd("SET").arg("a").arg("1").query(&mut c).unwrap();
    let _: () = redis::cmd("FLUSHDB").arg("SYNC").query(&mut c).unwrap();
    assert_eq!(info_u64(&mut c, "memory", "lazyfreed_objects"), freed);
    let _: () = redis::cmd("SET").arg("a").arg("1").query(&mut c).unwrap();
    let _: () = redis::cmd("FLUSHDB").query(&mut c).unwrap();
    freed_reaches(&mut c, freed + 1);
    let err = redis::cmd("FLUSHALL")
        .arg("LATER")
        .query::<()>(&mut c)
        .unwrap_err();
    assert_eq!(err.detail(), Some("syntax error"));
}

/// lazyfree-lazy-server-del: a large value a write replaces or deletes as a side effect (SET
/// over it, RENAME's destination, an empty STORE result) goes to the thread; off by default.
#[test]
fn server_del_frees_overwritten_values_in_the_background() {
    let (_s, mut c) = server();
    let set = |c: &mut redis::Connection, k: &str, v: &str| {
        let _: () = redis::cmd("SET").arg(k).arg(v).query(c).unwrap();
    };
    big_hash(&mut c, "big", 1000);
    set(&mut c, "big", "x");
    assert_eq!(info_u64(&mut c, "memory", "lazyfreed_objects"), 0);
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("lazyfree-lazy-server-del")
        .arg("yes")
        .query(&mut c)
        .unwrap();
    // SET over a large hash; KEEPTTL keeps the deadline the hash had.
    let _: usize = redis::cmd("DEL").arg("big").query(&mut c).unwrap();
    big_hash(&mut c, "big", 1000);
    let _: bool = redis::cmd("EXPIRE")
        .arg("big")
        .arg(100)
        .query(&mut c)
        .unwrap();
    let _: () = redis::cmd("SET")
        .arg("big")
        .arg("x")
        .arg("KEEPTTL")
        .query(&mut c)
        .unwrap();
    let ttl: i64 = redis::cmd("TTL").arg("big").query(&mut c).unwrap();
    assert!(ttl > 0, "{ttl}");
    freed_reaches(&mut c, 1);
    // RENAME onto a large hash.
    big_hash(&mut c, "dst", 1000);
    let _: () = redis::cmd("RENAME")
        .arg("big")
        .arg("dst")
        .query(&mut c)
        .unwrap();
    freed_reaches(&mut c, 2);
    // A STORE whose result is empty deletes its destination.
    let _: usize = redis::cmd("DEL").arg("dst").query(&mut c).unwrap();
    big_hash(&mut c, "dst", 1000);
    let n: usize = redis::cmd("SINTERSTORE")
        .arg("dst")
        .arg("nosuch")
        .query(&mut c)
        .unwrap();
    assert_eq!(n, 0);
    freed_reaches(&mut c, 3);
    let left: usize = redis::cmd("EXISTS").arg("dst").query(&mut c).unwrap();
    assert_eq!(left, 0);
}
