//! Model-based test: random command sequences run against the server and against a HashMap
//! model of Redis semantics must give the same replies, and the same final state.

mod common;
use common::TestServer;
use proptest::prelude::*;
use redis::Value;
use std::collections::HashMap;

#[derive(Debug, Clone)]
enum Op {
    Set(u8, u8),
    SetNx(u8, u8),
    Get(u8),
    Del(u8),
    Incr(u8),
    Append(u8, u8),
    Strlen(u8),
    HSet(u8, u8, u8),
    HGet(u8, u8),
    HDel(u8, u8),
    HLen(u8),
    Exists(u8),
    Type(u8),
    Rename(u8, u8),
    MSet(u8, u8, u8),
    Persist(u8),
    Expire(u8),
    /// Stop the server and start it again on its AOF: the state must survive.
    Restart,
    /// BGREWRITEAOF (it runs on while the next commands are served).
    Rewrite,
}

#[derive(Debug, Clone, PartialEq)]
enum Val {
    Str(Vec<u8>),
    Hash(HashMap<Vec<u8>, Vec<u8>>),
}

/// What a reply should be, in redis-rs terms.
#[derive(Debug, PartialEq)]
enum Want {
    Ok,
    Nil,
    Int(i64),
    Bulk(Vec<u8>),
    Status(&'static str),
    Err(&'static str),
}

const WRONGTYPE: &str = "WRONGTYPE";

fn key(k: u8) -> Vec<u8> {
    format!("k{}", k % 6).into_bytes()
}
fn field(f: u8) -> Vec<u8> {
    format!("f{}", f % 3).into_bytes()
}
fn val(v: u8) -> Vec<u8> {
    if v.is_multiple_of(4) {
        (v as i64 - 100).to_string().into_bytes()
    } else {
        format!("v{v}").into_bytes()
    }
}

fn op_strategy() -> impl Strategy<Value = Op> {
    let k = 0u8..6;
    prop_oneof![
        (k.clone(), any::<u8>()).prop_map(|(a, b)| Op::Set(a, b)),
        (k.clone(), any::<u8>()).prop_map(|(a, b)| Op::SetNx(a, b)),
        k.clone().prop_map(Op::Get),
        k.clone().prop_map(Op::Del),
        k.clone().prop_map(Op::Incr),
        (k.clone(), any::<u8>()).prop_map(|(a, b)| Op::Append(a, b)),
        k.clone().prop_map(Op::Strlen),
        (k.clone(), any::<u8>(), any::<u8>()).prop_map(|(a, b, c)| Op::HSet(a, b, c)),
        (k.clone(), any::<u8>()).prop_map(|(a, b)| Op::HGet(a, b)),
        (k.clone(), any::<u8>()).prop_map(|(a, b)| Op::HDel(a, b)),
        k.clone().prop_map(Op::HLen),
        k.clone().prop_map(Op::Exists),
        k.clone().prop_map(Op::Type),
        (k.clone(), k.clone()).prop_map(|(a, b)| Op::Rename(a, b)),
        (k.clone(), k.clone(), any::<u8>()).prop_map(|(a, b, c)| Op::MSet(a, b, c)),
        k.clone().prop_map(Op::Persist),
        k.prop_map(Op::Expire),
        Just(Op::Restart),
        Just(Op::Rewrite),
    ]
}

/// Applies `op` to the model (values, and the set of keys with a TTL) and returns the expected reply.
fn apply(
    m: &mut HashMap<Vec<u8>, Val>,
    ttl: &mut std::collections::HashSet<Vec<u8>>,
    op: &Op,
) -> (Vec<Vec<u8>>, Want) {
    use Want::*;
    let s = |x: &str| x.as_bytes().to_vec();
    match op {
        Op::Set(k, v) => {
            m.insert(key(*k), Val::Str(val(*v)));
            ttl.remove(&key(*k));
            (vec![s("SET"), key(*k), val(*v)], Ok)
        }
        Op::SetNx(k, v) => {
            let new = !m.contains_key(&key(*k));
            if new {
                m.insert(key(*k), Val::Str(val(*v)));
            }
            (vec![s("SETNX"), key(*k), val(*v)], Int(new as i64))
        }
        Op::Get(k) => (
            vec![s("GET"), key(*k)],
            match m.get(&key(*k)) {
                None => Nil,
                Some(Val::Str(v)) => Bulk(v.clone()),
                Some(Val::Hash(_)) => Err(WRONGTYPE),
            },
        ),
        Op::Del(k) => {
            ttl.remove(&key(*k));
            (
                vec![s("DEL"), key(*k)],
                Int(m.remove(&key(*k)).is_some() as i64),
            )
        }
        Op::Incr(k) => {
            let cmd = vec![s("INCR"), key(*k)];
            match m.get(&key(*k)) {
                Some(Val::Hash(_)) => (cmd, Err(WRONGTYPE)),
                Some(Val::Str(v)) => match std::str::from_utf8(v)
                    .ok()
                    .and_then(|t| t.parse::<i64>().ok())
                {
                    Some(n) => {
                        m.insert(key(*k), Val::Str((n + 1).to_string().into_bytes()));
                        (cmd, Int(n + 1))
                    }
                    None => (cmd, Err("ERR value is not an integer")),
                },
                None => {
                    m.insert(key(*k), Val::Str(b"1".to_vec()));
                    (cmd, Int(1))
                }
            }
        }
        Op::Append(k, v) => {
            let cmd = vec![s("APPEND"), key(*k), val(*v)];
            match m.entry(key(*k)).or_insert_with(|| Val::Str(vec![])) {
                Val::Hash(_) => (cmd, Err(WRONGTYPE)),
                Val::Str(cur) => {
                    cur.extend(val(*v));
                    (cmd, Int(cur.len() as i64))
                }
            }
        }
        Op::Strlen(k) => (
            vec![s("STRLEN"), key(*k)],
            match m.get(&key(*k)) {
                None => Int(0),
                Some(Val::Str(v)) => Int(v.len() as i64),
                Some(Val::Hash(_)) => Err(WRONGTYPE),
            },
        ),
        Op::HSet(k, f, v) => {
            let cmd = vec![s("HSET"), key(*k), field(*f), val(*v)];
            match m
                .entry(key(*k))
                .or_insert_with(|| Val::Hash(HashMap::new()))
            {
                Val::Str(_) => (cmd, Err(WRONGTYPE)),
                Val::Hash(h) => (cmd, Int(h.insert(field(*f), val(*v)).is_none() as i64)),
            }
        }
        Op::HGet(k, f) => (
            vec![s("HGET"), key(*k), field(*f)],
            match m.get(&key(*k)) {
                None => Nil,
                Some(Val::Str(_)) => Err(WRONGTYPE),
                Some(Val::Hash(h)) => h.get(&field(*f)).map_or(Nil, |v| Bulk(v.clone())),
            },
        ),
        Op::HDel(k, f) => {
            let cmd = vec![s("HDEL"), key(*k), field(*f)];
            match m.get_mut(&key(*k)) {
                None => (cmd, Int(0)),
                Some(Val::Str(_)) => (cmd, Err(WRONGTYPE)),
                Some(Val::Hash(h)) => {
                    let n = h.remove(&field(*f)).is_some() as i64;
                    if h.is_empty() {
                        m.remove(&key(*k));
                        ttl.remove(&key(*k));
                    }
                    (cmd, Int(n))
                }
            }
        }
        Op::HLen(k) => (
            vec![s("HLEN"), key(*k)],
            match m.get(&key(*k)) {
                None => Int(0),
                Some(Val::Str(_)) => Err(WRONGTYPE),
                Some(Val::Hash(h)) => Int(h.len() as i64),
            },
        ),
        Op::Exists(k) => (
            vec![s("EXISTS"), key(*k)],
            Int(m.contains_key(&key(*k)) as i64),
        ),
        Op::Type(k) => (
            vec![s("TYPE"), key(*k)],
            Status(match m.get(&key(*k)) {
                None => "none",
                Some(Val::Str(_)) => "string",
                Some(Val::Hash(_)) => "hash",
            }),
        ),
        Op::Rename(a, b) => {
            let cmd = vec![s("RENAME"), key(*a), key(*b)];
            match m.remove(&key(*a)) {
                None => (cmd, Err("ERR no such key")),
                Some(v) => {
                    let had_ttl = ttl.remove(&key(*a));
                    ttl.remove(&key(*b));
                    if had_ttl {
                        ttl.insert(key(*b));
                    }
                    m.insert(key(*b), v);
                    (cmd, Ok)
                }
            }
        }
        Op::MSet(a, b, v) => {
            for k in [a, b] {
                m.insert(key(*k), Val::Str(val(*v)));
                ttl.remove(&key(*k));
            }
            (vec![s("MSET"), key(*a), val(*v), key(*b), val(*v)], Ok)
        }
        Op::Persist(k) => {
            let had = m.contains_key(&key(*k)) && ttl.remove(&key(*k));
            (vec![s("PERSIST"), key(*k)], Int(had as i64))
        }
        Op::Expire(k) => {
            // A long TTL: it must never fire during the test, only be tracked.
            let exists = m.contains_key(&key(*k));
            if exists {
                ttl.insert(key(*k));
            }
            (vec![s("EXPIRE"), key(*k), s("100000")], Int(exists as i64))
        }
        // Handled by the test loop; nothing to send.
        Op::Restart | Op::Rewrite => (vec![], Ok),
    }
}

fn check(got: redis::RedisResult<Value>, want: &Want, op: &Op) {
    match (got, want) {
        (Ok(Value::Okay), Want::Ok) | (Ok(Value::Nil), Want::Nil) => {}
        (Ok(Value::SimpleString(s)), Want::Ok) if s == "OK" => {}
        (Ok(Value::SimpleString(s)), Want::Status(w)) if s == *w => {}
        (Ok(Value::Okay), Want::Status(w)) if *w == "OK" => {}
        (Ok(Value::Int(n)), Want::Int(w)) if n == *w => {}
        (Ok(Value::BulkString(b)), Want::Bulk(w)) if b == *w => {}
        (Err(e), Want::Err(w))
            if e.to_string().contains(w.trim_start_matches("ERR ")) || e.code() == Some(w) => {}
        (got, want) => panic!("{op:?}: got {got:?}, want {want:?}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn server_matches_model(ops in proptest::collection::vec(op_strategy(), 1..120)) {
        let mut srv = TestServer::start(2);
        // Two connections, which may land on different executors, take turns.
        let mut conns = [srv.client(), srv.client()];
        let mut model = HashMap::new();
        let mut ttl = std::collections::HashSet::new();
        for (i, op) in ops.iter().enumerate() {
            match op {
                Op::Restart => {
                    drop(conns);
                    srv.restart();
                    conns = [srv.client(), srv.client()];
                    continue;
                }
                Op::Rewrite => {
                    // "already in progress" is a fine answer too.
                    let _: redis::RedisResult<Value> = redis::cmd("BGREWRITEAOF").query(&mut conns[0]);
                    continue;
                }
                _ => {}
            }
            let (args, want) = apply(&mut model, &mut ttl, op);
            let mut cmd = redis::cmd(std::str::from_utf8(&args[0]).unwrap());
            for a in &args[1..] {
                cmd.arg(a.as_slice());
            }
            check(cmd.query::<Value>(&mut conns[i % 2]), &want, op);
        }
        // Final state, after one more restart: every key's type, value and TTL presence.
        drop(conns);
        srv.restart();
        let c = &mut srv.client();
        let dbsize: usize = redis::cmd("DBSIZE").query(c).unwrap();
        prop_assert_eq!(dbsize, model.len());
        for (k, v) in &model {
            match v {
                Val::Str(s) => {
                    let got: Vec<u8> = redis::cmd("GET").arg(k.as_slice()).query(c).unwrap();
                    prop_assert_eq!(&got, s);
                }
                Val::Hash(h) => {
                    let got: HashMap<Vec<u8>, Vec<u8>> = redis::cmd("HGETALL").arg(k.as_slice()).query(c).unwrap();
                    prop_assert_eq!(&got, h);
                }
            }
            let t: i64 = redis::cmd("TTL").arg(k.as_slice()).query(c).unwrap();
            prop_assert_eq!(t > 0, ttl.contains(k), "TTL of {:?}", String::from_utf8_lossy(k));
        }
    }
}
