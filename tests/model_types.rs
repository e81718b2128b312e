//! Model-based test for lists, sets and sorted sets: random command sequences (with restarts
//! that replay the AOF) against the server and against an in-test model give the same replies.

mod common;
use common::TestServer;
use proptest::prelude::*;
use redis::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

#[derive(Debug, Clone)]
enum Op {
    Push(bool, u8, u8),
    Pop(bool, u8),
    LLen(u8),
    LRange(u8),
    LRem(u8, u8),
    SAdd(u8, u8),
    SRem(u8, u8),
    SCard(u8),
    SIsMember(u8, u8),
    ZAdd(u8, i8, u8),
    ZRem(u8, u8),
    ZRank(u8, u8),
    ZRange(u8),
    Del(u8),
    Type(u8),
    Restart,
}

#[derive(Debug, Clone, PartialEq)]
enum Val {
    List(VecDeque<String>),
    Set(BTreeSet<String>),
    ZSet(BTreeMap<String, i64>),
}

fn key(k: u8) -> String {
    format!("k{}", k % 4)
}
fn item(v: u8) -> String {
    format!("m{}", v % 5)
}

fn op() -> impl Strategy<Value = Op> {
    let k = 0u8..4;
    let v = 0u8..5;
    prop_oneof![
        (any::<bool>(), k.clone(), v.clone()).prop_map(|(l, k, v)| Op::Push(l, k, v)),
        (any::<bool>(), k.clone()).prop_map(|(l, k)| Op::Pop(l, k)),
        k.clone().prop_map(Op::LLen),
        k.clone().prop_map(Op::LRange),
        (k.clone(), v.clone()).prop_map(|(k, v)| Op::LRem(k, v)),
        (k.clone(), v.clone()).prop_map(|(k, v)| Op::SAdd(k, v)),
        (k.clone(), v.clone()).prop_map(|(k, v)| Op::SRem(k, v)),
        k.clone().prop_map(Op::SCard),
        (k.clone(), v.clone()).prop_map(|(k, v)| Op::SIsMember(k, v)),
        (k.clone(), -3i8..3, v.clone()).prop_map(|(k, s, v)| Op::ZAdd(k, s, v)),
        (k.clone(), v.clone()).prop_map(|(k, v)| Op::ZRem(k, v)),
        (k.clone(), v.clone()).prop_map(|(k, v)| Op::ZRank(k, v)),
        k.clone().prop_map(Op::ZRange),
        k.clone().prop_map(Op::Del),
        k.prop_map(Op::Type),
        Just(Op::Restart),
    ]
}

fn bulk(s: &str) -> Value {
    Value::BulkString(s.as_bytes().to_vec())
}

const WRONG: &str = "WRONGTYPE";

/// Applies `op` to the model; returns the command and the expected reply (Err: an error code).
fn apply(m: &mut HashMap<String, Val>, op: &Op) -> (Vec<String>, Result<Value, &'static str>) {
    let s = |x: &str| x.to_string();
    macro_rules! typed {
        ($k:expr, $pat:ident) => {
            match m.get(&$k) {
                Some(Val::$pat(_)) | None => {}
                Some(_) => return (vec![], Err(WRONG)),
            }
        };
    }
    match op {
        Op::Push(left, k, v) => {
            let (k, v) = (key(*k), item(*v));
            let cmd = vec![
                s(if *left { "LPUSH" } else { "RPUSH" }),
                k.clone(),
                v.clone(),
            ];
            if let Some(x) = m.get(&k) {
                if !matches!(x, Val::List(_)) {
                    return (cmd, Err(WRONG));
                }
            }
            let Val::List(l) = m.entry(k).or_insert(Val::List(VecDeque::new())) else {
                unreachable!()
            };
            if *left {
                l.push_front(v)
            } else {
                l.push_back(v)
            }
            (cmd, Ok(Value::Int(l.len() as i64)))
        }
        Op::Pop(left, k) => {
            let k = key(*k);
            let cmd = vec![s(if *left { "LPOP" } else { "RPOP" }), k.clone()];
            let r = match m.get_mut(&k) {
                None => Ok(Value::Nil),
                Some(Val::List(l)) => {
                    let v = if *left { l.pop_front() } else { l.pop_back() }.unwrap();
                    if l.is_empty() {
                        m.remove(&k);
                    }
                    Ok(bulk(&v))
                }
                Some(_) => Err(WRONG),
            };
            (cmd, r)
        }
        Op::LLen(k) | Op::LRange(k) => {
            let k = key(*k);
            let is_len = matches!(op, Op::LLen(_));
            let cmd = if is_len {
                vec![s("LLEN"), k.clone()]
            } else {
                vec![s("LRANGE"), k.clone(), s("0"), s("-1")]
            };
            let r = match m.get(&k) {
                None if is_len => Ok(Value::Int(0)),
                None => Ok(Value::Array(vec![])),
                Some(Val::List(l)) if is_len => Ok(Value::Int(l.len() as i64)),
                Some(Val::List(l)) => Ok(Value::Array(l.iter().map(|x| bulk(x)).collect())),
                Some(_) => Err(WRONG),
            };
            (cmd, r)
        }
        Op::LRem(k, v) => {
            let (k, v) = (key(*k), item(*v));
            let cmd = vec![s("LREM"), k.clone(), s("0"), v.clone()];
            let r = match m.get_mut(&k) {
                None => Ok(Value::Int(0)),
                Some(Val::List(l)) => {
                    let before = l.len();
                    l.retain(|x| *x != v);
                    let n = before - l.len();
                    if l.is_empty() {
                        m.remove(&k);
                    }
                    Ok(Value::Int(n as i64))
                }
                Some(_) => Err(WRONG),
            };
            (cmd, r)
        }
        Op::SAdd(k, v) | Op::SRem(k, v) | Op::SIsMember(k, v) => {
            let (k, v) = (key(*k), item(*v));
            let name = match op {
                Op::SAdd(..) => "SADD",
                Op::SRem(..) => "SREM",
                _ => "SISMEMBER",
            };
            let cmd = vec![s(name), k.clone(), v.clone()];
            typed!(k, Set);
            let r = match op {
                Op::SAdd(..) => {
                    let Val::Set(set) = m.entry(k).or_insert(Val::Set(BTreeSet::new())) else {
                        unreachable!()
                    };
                    Value::Int(set.insert(v) as i64)
                }
                Op::SRem(..) => {
                    let n = match m.get_mut(&k) {
                        Some(Val::Set(set)) => set.remove(&v) as i64,
                        _ => 0,
                    };
                    if matches!(m.get(&k), Some(Val::Set(set)) if set.is_empty()) {
                        m.remove(&k);
                    }
                    Value::Int(n)
                }
                _ => {
                    Value::Int(matches!(m.get(&k), Some(Val::Set(set)) if set.contains(&v)) as i64)
                }
            };
            (cmd, Ok(r))
        }
        Op::SCard(k) => {
            let k = key(*k);
            let cmd = vec![s("SCARD"), k.clone()];
            typed!(k, Set);
            let n = match m.get(&k) {
                Some(Val::Set(set)) => set.len(),
                _ => 0,
            };
            (cmd, Ok(Value::Int(n as i64)))
        }
        Op::ZAdd(k, sc, v) => {
            let (k, v) = (key(*k), item(*v));
            let cmd = vec![s("ZADD"), k.clone(), sc.to_string(), v.clone()];
            typed!(k, ZSet);
            let Val::ZSet(z) = m.entry(k).or_insert(Val::ZSet(BTreeMap::new())) else {
                unreachable!()
            };
            (
                cmd,
                Ok(Value::Int(z.insert(v, *sc as i64).is_none() as i64)),
            )
        }
        Op::ZRem(k, v) => {
            let (k, v) = (key(*k), item(*v));
            let cmd = vec![s("ZREM"), k.clone(), v.clone()];
            typed!(k, ZSet);
            let n = match m.get_mut(&k) {
                Some(Val::ZSet(z)) => z.remove(&v).is_some() as i64,
                _ => 0,
            };
            if matches!(m.get(&k), Some(Val::ZSet(z)) if z.is_empty()) {
                m.remove(&k);
            }
            (cmd, Ok(Value::Int(n)))
        }
        Op::ZRank(k, _) | Op::ZRange(k) => {
            let k = key(*k);
            let is_rank = matches!(op, Op::ZRank(..));
            let v = if let Op::ZRank(_, v) = op {
                item(*v)
            } else {
                String::new()
            };
            let cmd = if is_rank {
                vec![s("ZRANK"), k.clone(), v.clone()]
            } else {
                vec![s("ZRANGE"), k.clone(), s("0"), s("-1")]
            };
            typed!(k, ZSet);
            let mut order: Vec<(i64, String)> = match m.get(&k) {
                Some(Val::ZSet(z)) => z.iter().map(|(m, s)| (*s, m.clone())).collect(),
                _ => vec![],
            };
            order.sort();
            let r = if is_rank {
                order
                    .iter()
                    .position(|(_, m)| *m == v)
                    .map_or(Value::Nil, |p| Value::Int(p as i64))
            } else {
                Value::Array(order.iter().map(|(_, m)| bulk(m)).collect())
            };
            (cmd, Ok(r))
        }
        Op::Del(k) => {
            let k = key(*k);
            (
                vec![s("DEL"), k.clone()],
                Ok(Value::Int(m.remove(&k).is_some() as i64)),
            )
        }
        Op::Type(k) => {
            let k = key(*k);
            let t = match m.get(&k) {
                None => "none",
                Some(Val::List(_)) => "list",
                Some(Val::Set(_)) => "set",
                Some(Val::ZSet(_)) => "zset",
            };
            (vec![s("TYPE"), k], Ok(Value::SimpleString(t.into())))
        }
        _ => (vec![], Ok(Value::Nil)),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn collections_match_the_model(ops in proptest::collection::vec(op(), 1..100)) {
        let mut srv = TestServer::start(2);
        let mut conns = [srv.client(), srv.client()];
        let mut model = HashMap::new();
        for (i, op) in ops.iter().enumerate() {
            if let Op::Restart = op {
                drop(conns);
                srv.restart();
                conns = [srv.client(), srv.client()];
                continue;
            }
            let (cmd, want) = apply(&mut model, op);
            let cmd = if cmd.is_empty() {
                // A WRONGTYPE case found before the command was built: rebuild it as sent.
                match op {
                    Op::SAdd(k, v) => vec!["SADD".into(), key(*k), item(*v)],
                    Op::SRem(k, v) => vec!["SREM".into(), key(*k), item(*v)],
                    Op::SIsMember(k, v) => vec!["SISMEMBER".into(), key(*k), item(*v)],
                    Op::SCard(k) => vec!["SCARD".into(), key(*k)],
                    Op::ZAdd(k, s, v) => vec!["ZADD".into(), key(*k), s.to_string(), item(*v)],
                    Op::ZRem(k, v) => vec!["ZREM".into(), key(*k), item(*v)],
                    Op::ZRank(k, v) => vec!["ZRANK".into(), key(*k), item(*v)],
                    Op::ZRange(k) => vec!["ZRANGE".into(), key(*k), "0".into(), "-1".into()],
                    other => panic!("no command for {other:?}"),
                }
            } else {
                cmd
            };
            let mut c = redis::cmd(&cmd[0]);
            for a in &cmd[1..] {
                c.arg(a);
            }
            let got = c.query::<Value>(&mut conns[i % 2]);
            match (&got, &want) {
                (Err(e), Err(code)) => prop_assert_eq!(e.code(), Some(*code), "{:?}", cmd),
                (Ok(g), Ok(w)) => {
                    let g = match g { Value::Okay => Value::SimpleString("OK".into()), g => g.clone() };
                    prop_assert_eq!(&g, w, "{:?}", cmd);
                }
                _ => prop_assert!(false, "{:?}: got {:?}, want {:?}", cmd, got, want),
            }
        }
    }
}

#[derive(Debug, Clone)]
enum XOp {
    Add(u8),
    Del(u8),
    Trim(u8),
    Range,
    RevRange(u8),
    Len,
    Restart,
}

fn xop() -> impl Strategy<Value = XOp> {
    prop_oneof![
        (1u8..4).prop_map(XOp::Add),
        any::<u8>().prop_map(XOp::Del),
        (0u8..6).prop_map(XOp::Trim),
        Just(XOp::Range),
        (1u8..4).prop_map(XOp::RevRange),
        Just(XOp::Len),
        Just(XOp::Restart),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    /// A stream against a BTreeMap of (ms, seq) -> value, with explicit increasing IDs.
    #[test]
    fn streams_match_the_model(ops in proptest::collection::vec(xop(), 1..60)) {
        let mut srv = TestServer::start(2);
        let mut c = srv.client();
        let mut model: BTreeMap<(u64, u64), String> = BTreeMap::new();
        let mut next = 1u64;
        for op in &ops {
            match op {
                XOp::Add(step) => {
                    next += *step as u64;
                    let id = format!("{next}-0");
                    let got: String = redis::cmd("XADD").arg("s").arg(&id).arg("v").arg(next).query(&mut c).unwrap();
                    prop_assert_eq!(&got, &id);
                    model.insert((next, 0), next.to_string());
                }
                XOp::Del(i) => {
                    let ids: Vec<(u64, u64)> = model.keys().copied().collect();
                    if ids.is_empty() { continue; }
                    let id = ids[*i as usize % ids.len()];
                    let n: i64 = redis::cmd("XDEL").arg("s").arg(format!("{}-{}", id.0, id.1)).query(&mut c).unwrap();
                    prop_assert_eq!(n, 1);
                    model.remove(&id);
                }
                XOp::Trim(max) => {
                    let n: i64 = redis::cmd("XTRIM").arg("s").arg("MAXLEN").arg(*max).query(&mut c).unwrap();
                    let over = model.len().saturating_sub(*max as usize);
                    for _ in 0..over { model.pop_first(); }
                    prop_assert_eq!(n as usize, over);
                }
                XOp::Range | XOp::RevRange(_) => {
                    let (cmd, a, b, count) = match op {
                        XOp::RevRange(n) => ("XREVRANGE", "+", "-", *n as usize),
                        _ => ("XRANGE", "-", "+", usize::MAX),
                    };
                    let mut q = redis::cmd(cmd);
                    q.arg("s").arg(a).arg(b);
                    if count != usize::MAX { q.arg("COUNT").arg(count); }
                    let got: Vec<(String, Vec<String>)> = q.query(&mut c).unwrap();
                    let mut want: Vec<(String, Vec<String>)> = model.iter().map(|((ms, seq), v)| (format!("{ms}-{seq}"), vec!["v".to_string(), v.clone()])).collect();
                    if cmd == "XREVRANGE" { want.reverse(); want.truncate(count); }
                    prop_assert_eq!(got, want);
                }
                XOp::Len => {
                    let n: i64 = redis::cmd("XLEN").arg("s").query(&mut c).unwrap();
                    prop_assert_eq!(n as usize, model.len());
                }
                XOp::Restart => {
                    drop(c);
                    srv.restart();
                    c = srv.client();
                }
            }
        }
    }
}
