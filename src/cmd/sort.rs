//! SORT and SORT_RO: sort a list, set or sorted set by its elements or by other keys' values
//! (BY pattern), optionally fetching other keys' values (GET pattern) or storing the result.
//!
//! Patterns name keys per element, so which keys a SORT reads is known only while it runs: a
//! SORT with BY or GET patterns, or with STORE, locks every shard of its database (as EXEC does,
//! and as Redis, which runs SORT alone, effectively does); a plain SORT read-locks its key's
//! shard only.

use super::{int_arg, Action, Ctx, OK};
use crate::error::{CmdError, CmdResult};
use crate::keyspace::events::class as ev;
use crate::keyspace::{Coll, Kind, Tx};
use crate::resp::{parse_sort_weight, Args};
use std::cmp::Ordering;

/// The options of one SORT.
struct SortReq<'a> {
    desc: bool,
    alpha: bool,
    /// (offset, count) as given.
    limit: Option<(i64, i64)>,
    /// BY pattern, when it has a `*` (one without a `*` means: do not sort).
    by: Option<&'a [u8]>,
    dont_sort: bool,
    gets: Vec<&'a [u8]>,
    store: Option<&'a [u8]>,
}

fn parse<'a>(args: &Args<'a>, read_only: bool) -> CmdResult<SortReq<'a>> {
    let mut r = SortReq {
        desc: false,
        alpha: false,
        limit: None,
        by: None,
        dont_sort: false,
        gets: Vec::new(),
        store: None,
    };
    let mut i = 2;
    while i < args.len() {
        let left = args.len() - i - 1;
        if args.is(i, "asc") {
            r.desc = false;
        } else if args.is(i, "desc") {
            r.desc = true;
        } else if args.is(i, "alpha") {
            r.alpha = true;
        } else if args.is(i, "limit") && left >= 2 {
            r.limit = Some((int_arg(args.get(i + 1))?, int_arg(args.get(i + 2))?));
            i += 2;
        } else if args.is(i, "store") && left >= 1 && !read_only {
            r.store = Some(args.get(i + 1));
            i += 1;
        } else if args.is(i, "by") && left >= 1 {
            // As in Redis, one BY without a `*` turns sorting off for good; the last BY with
            // one is the pattern.
            let p = args.get(i + 1);
            if p.contains(&b'*') {
                r.by = Some(p);
            } else {
                r.dont_sort = true;
            }
            i += 1;
        } else if args.is(i, "get") && left >= 1 {
            r.gets.push(args.get(i + 1));
            i += 1;
        } else {
            return Err(CmdError::Syntax);
        }
        i += 1;
    }
    Ok(r)
}

/// The key a pattern names for `elem` (its first `*` replaced by the element), and the hash
/// field when a non-empty `->field` follows the `*`. None for a pattern without `*`.
fn pattern_key<'p>(pattern: &'p [u8], elem: &[u8]) -> Option<(Vec<u8>, Option<&'p [u8]>)> {
    let star = pattern.iter().position(|&c| c == b'*')?;
    let rest = &pattern[star + 1..];
    let (suffix, field) = match rest.windows(2).position(|w| w == b"->") {
        Some(p) if p + 2 < rest.len() => (&rest[..p], Some(&rest[p + 2..])),
        _ => (rest, None),
    };
    Some(([&pattern[..star], elem, suffix].concat(), field))
}

/// What a pattern names for `elem`: `#` is the element itself; otherwise a string's value, or
/// a hash field's. A pattern without `*`, a missing key or one of another type give nothing.
/// `looked_up` hears of the key read, as Redis counts and notifies it.
fn lookup(
    ks: &Tx,
    db: usize,
    pattern: &[u8],
    elem: &[u8],
    now: u64,
    looked_up: &dyn Fn(&[u8], bool),
) -> Option<Vec<u8>> {
    if pattern == b"#" {
        return Some(elem.to_vec());
    }
    let (key, field) = pattern_key(pattern, elem)?;
    let s = ks.read(db, &key);
    looked_up(&key, s.kind(&key, now).is_some());
    match field {
        None => s.get_str(&key, now).ok().flatten().map(|v| v.to_vec()),
        Some(f) => s
            .get_hash(&key, now)
            .ok()
            .flatten()
            .and_then(|h| h.get(f).map(|v| v.to_vec())),
    }
}

/// How one element sorts.
enum SortKey {
    Num(f64),
    Text(Option<Vec<u8>>),
}

fn weight_error() -> CmdError {
    CmdError::Other("One or more scores can't be converted into double".into())
}

/// The elements of the source (none for a missing key), in the order SORT starts from. Without
/// sorting, a list or sorted set is read from the end DESC asks for.
fn elements(
    ks: &Tx,
    db: usize,
    key: &[u8],
    r: &SortReq,
    now: u64,
    looked_up: &dyn Fn(&[u8], bool),
) -> CmdResult<Vec<Vec<u8>>> {
    let s = ks.read(db, key);
    let kind = s.kind(key, now);
    looked_up(key, kind.is_some());
    let mut v: Vec<Vec<u8>> = match kind {
        None => Vec::new(),
        Some(Kind::List) => s
            .get_list(key, now)?
            .into_iter()
            .flat_map(|l| l.iter().map(|v| v.to_vec()))
            .collect(),
        Some(Kind::Set) => s
            .get_set(key, now)?
            .into_iter()
            .flatten()
            .map(|m| m.to_vec())
            .collect(),
        Some(Kind::ZSet) => s
            .get_zset(key, now)?
            .into_iter()
            .flat_map(|z| z.iter_from(0, false))
            .map(|(m, _)| m.to_vec())
            .collect(),
        Some(_) => return Err(CmdError::WrongType),
    };
    if r.dont_sort && r.desc && kind != Some(Kind::Set) {
        v.reverse();
    }
    Ok(v)
}

fn sort_generic(ctx: &mut Ctx, args: Args, read_only: bool) -> CmdResult<Action> {
    let mut r = parse(&args, read_only)?;
    let (ks, db, now, key) = (ctx.ks(), ctx.db(), ctx.now, args.get(1));
    if r.store.is_some() {
        // Under the write locks SORT declared: keys past their TTL that this SORT reads are deleted
        // (and logged) first, so the logged SORT finds the same keys when replayed.
        ks.write(db, key).expire_if_needed(key, now);
    }
    let is_set = ks.read(db, key).kind(key, now) == Some(Kind::Set);
    // A set has no order of its own: stored without sorting, it is sorted as text (as Redis does,
    // so that the stored list is deterministic).
    if r.dont_sort && is_set && r.store.is_some() {
        r.dont_sort = false;
        r.alpha = true;
        r.by = None;
    }
    let mut elems = elements(ks, db, key, &r, now, &|k, f| ctx.looked_up(k, f))?;
    let fetch = |p: &[u8], e: &[u8]| {
        if r.store.is_some() && p != b"#" {
            if let Some((k, _)) = pattern_key(p, e) {
                ks.write_at(db, ks.shard_index(&k))
                    .expire_if_needed(&k, now);
            }
        }
        lookup(ks, db, p, e, now, &|k, f| ctx.looked_up(k, f))
    };
    if !r.dont_sort {
        let mut keyed: Vec<(SortKey, Vec<u8>)> = Vec::with_capacity(elems.len());
        for e in elems {
            let by = r.by.map(|p| fetch(p, &e));
            let k = if r.alpha {
                SortKey::Text(match by {
                    Some(v) => v,
                    None => Some(e.clone()),
                })
            } else {
                let w = match &by {
                    Some(Some(v)) => parse_sort_weight(v).ok_or_else(weight_error)?,
                    Some(None) => 0.0,
                    None => parse_sort_weight(&e).ok_or_else(weight_error)?,
                };
                SortKey::Num(w)
            };
            keyed.push((k, e));
        }
        keyed.sort_by(|(ka, ea), (kb, eb)| {
            let c = match (ka, kb) {
                // Equal weights fall back to the elements, so the order is deterministic.
                (SortKey::Num(a), SortKey::Num(b)) => a
                    .partial_cmp(b)
                    .unwrap_or(Ordering::Equal)
                    .then_with(|| ea.cmp(eb)),
                // A missing BY value sorts first; equal values keep their order.
                (SortKey::Text(a), SortKey::Text(b)) => a.cmp(b),
                _ => Ordering::Equal,
            };
            if r.desc {
                c.reverse()
            } else {
                c
            }
        });
        elems = keyed.into_iter().map(|(_, e)| e).collect();
    }
    let n = elems.len() as i64;
    let (offset, count) = r.limit.unwrap_or((0, -1));
    let start = offset.clamp(0, n);
    let count = count.clamp(-1, n);
    let end = if count < 0 { n - 1 } else { start + count - 1 };
    let (start, end) = if start >= n {
        (n - 1, n - 2)
    } else {
        (start, end.min(n - 1))
    };
    let picked = if end >= start {
        &elems[start as usize..=end as usize]
    } else {
        &[][..]
    };
    let per = r.gets.len().max(1);
    let mut out: Vec<Option<Vec<u8>>> = Vec::with_capacity(picked.len() * per);
    for e in picked {
        if r.gets.is_empty() {
            out.push(Some(e.clone()));
        }
        for g in &r.gets {
            out.push(fetch(g, e));
        }
    }
    let Some(dst) = r.store else {
        ctx.out.array(out.len());
        for v in &out {
            ctx.out.bulk_opt(v.as_deref());
        }
        return OK;
    };
    let mut d = ks.write(db, dst);
    if out.is_empty() {
        if d.remove_overwritten(dst) {
            d.changed(dst, ev::GENERIC, "del");
        }
    } else {
        let vals = out.iter().map(|v| v.as_deref().unwrap_or(b""));
        d.store(dst, Coll::List(vals.collect()));
        d.signal_ready(dst);
        d.changed(dst, ev::LIST, "sortstore");
    }
    drop(d);
    ctx.out.int(out.len() as i64);
    OK
}

/// SORT key [BY pattern] [LIMIT offset count] [GET pattern ...] [ASC|DESC] [ALPHA] [STORE dst].
pub fn sort(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    sort_generic(ctx, args, false)
}

/// SORT_RO: SORT without STORE.
pub fn sort_ro(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    sort_generic(ctx, args, true)
}
