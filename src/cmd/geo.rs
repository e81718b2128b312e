//! Geo commands: points are members of sorted sets scored by their geohash
//! ([`crate::keyspace::geo`]); GEOADD is a ZADD of those scores, and the searches scan the cells
//! around a centre as Redis does.

use super::{float_arg, int_arg, Action, Ctx, OK};
use crate::error::{CmdError, CmdResult};
use crate::keyspace::geo::{self, Search, Shape};
use crate::keyspace::zsets::{Range, ScoreBound, ZSet};
use crate::resp::{Args, Out};

/// GEOADD key [NX|XX] [CH] longitude latitude member [...]: a ZADD of the members' geohash
/// scores (and recorded as that ZADD).
pub fn geoadd(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let mut i = 2;
    let (mut nx, mut xx) = (false, false);
    while i < args.len() {
        if args.is(i, "nx") {
            nx = true;
        } else if args.is(i, "xx") {
            xx = true;
        } else if !args.is(i, "ch") {
            break;
        }
        i += 1;
    }
    let rest = args.len() - i;
    if !rest.is_multiple_of(3) || rest == 0 || (nx && xx) {
        return Err(CmdError::Syntax);
    }
    let mut zadd: Vec<Vec<u8>> = vec![b"zadd".to_vec()];
    zadd.extend((1..i).map(|j| args.get(j).to_vec()));
    for j in (i..args.len()).step_by(3) {
        let (lon, lat) = lon_lat(&args, j)?;
        zadd.push(geo::score(lon, lat).to_string().into_bytes());
        zadd.push(args.get(j + 2).to_vec());
    }
    let mut buf = crate::resp::ArgvBuf::default();
    super::zset::zadd(ctx, buf.set(&zadd))
}

/// The longitude and latitude at `args[i]`, `args[i + 1]`, checked against the indexable range.
fn lon_lat(args: &Args, i: usize) -> CmdResult<(f64, f64)> {
    let lon = float_arg(args.get(i))?;
    let lat = float_arg(args.get(i + 1))?;
    if !geo::valid(lon, lat) {
        return Err(CmdError::Other(format!(
            "invalid longitude,latitude pair {lon:.6},{lat:.6}"
        )));
    }
    Ok((lon, lat))
}

/// Meters per unit: m, km, ft, mi.
fn unit_arg(b: &[u8]) -> CmdResult<f64> {
    [("m", 1.0), ("km", 1000.0), ("ft", 0.3048), ("mi", 1609.34)]
        .into_iter()
        .find(|(n, _)| b.eq_ignore_ascii_case(n.as_bytes()))
        .map(|(_, v)| v)
        .ok_or_else(|| {
            CmdError::Other("unsupported unit provided. please use M, KM, FT, MI".into())
        })
}

fn numeric(b: &[u8], what: &str) -> CmdResult<f64> {
    crate::resp::parse_f64(b).ok_or_else(|| CmdError::Other(format!("need numeric {what}")))
}

/// A radius and its unit at `args[i]`.
fn radius_arg(args: &Args, i: usize) -> CmdResult<(f64, f64)> {
    let r = numeric(args.get(i), "radius")?;
    if r < 0.0 {
        return Err(CmdError::Other("radius cannot be negative".into()));
    }
    Ok((r, unit_arg(args.get(i + 1))?))
}

fn member_position(z: Option<&ZSet>, member: &[u8]) -> CmdResult<(f64, f64)> {
    z.and_then(|z| z.score(member))
        .map(geo::position)
        .ok_or_else(|| CmdError::Other("could not decode requested zset member".into()))
}

pub fn geodist(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let unit = match args.len() {
        5 => unit_arg(args.get(4))?,
        n if n > 5 => return Err(CmdError::Syntax),
        _ => 1.0,
    };
    let key = args.get(1);
    let s = ctx.ks().read(ctx.db(), key);
    let z = ctx.read(key, s.get_zset(key, ctx.now))?;
    let scores = z.and_then(|z| Some((z.score(args.get(2))?, z.score(args.get(3))?)));
    match scores {
        None => ctx.out.null(),
        Some((a, b)) => {
            let ((x1, y1), (x2, y2)) = (geo::position(a), geo::position(b));
            let d = geo::distance(x1, y1, x2, y2) / unit;
            ctx.out.bulk(geo::fmt_distance(d).as_bytes());
        }
    }
    OK
}

pub fn geohash(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    super::zset::member_scores(
        ctx,
        &args,
        |out, score| out.bulk(geo::geohash_string(score).as_bytes()),
        Out::null,
    )
}

pub fn geopos(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    super::zset::member_scores(
        ctx,
        &args,
        |out, score| {
            let (lon, lat) = geo::position(score);
            out.array(2);
            coord(out, lon);
            coord(out, lat);
        },
        Out::null_array,
    )
}

/// A coordinate reply, with Redis's digits.
fn coord(out: &mut Out, v: f64) {
    out.double_text(geo::fmt_coord(v).as_bytes());
}

/// Which search command runs.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Form {
    /// GEORADIUS[_RO] key lon lat radius unit
    Radius,
    /// GEORADIUSBYMEMBER[_RO] key member radius unit
    ByMember,
    /// GEOSEARCH key FROMMEMBER|FROMLONLAT BYRADIUS|BYBOX
    Search,
    /// GEOSEARCHSTORE dst key ...
    SearchStore,
}

/// One match: member, stored score, distance (meters, then the unit), position.
struct Point {
    member: Vec<u8>,
    score: f64,
    dist: f64,
    lon: f64,
    lat: f64,
}

pub fn georadius(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    search(ctx, args, Form::Radius, false)
}

pub fn georadius_ro(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    search(ctx, args, Form::Radius, true)
}

pub fn georadiusbymember(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    search(ctx, args, Form::ByMember, false)
}

pub fn georadiusbymember_ro(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    search(ctx, args, Form::ByMember, true)
}

pub fn geosearch(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    search(ctx, args, Form::Search, true)
}

pub fn geosearchstore(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    search(ctx, args, Form::SearchStore, false)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Sort {
    None,
    Asc,
    Desc,
}

/// The searches, parsed and checked in Redis's order (the source's type first, then the
/// arguments, some of which read the source).
fn search(ctx: &mut Ctx, args: Args, form: Form, no_store: bool) -> CmdResult<Action> {
    let src_at = if form == Form::SearchStore { 2 } else { 1 };
    let src = args.get(src_at);
    let now = ctx.now;
    let s = ctx.ks().read(ctx.db(), src);
    let z = ctx.read(src, s.get_zset(src, now))?;
    let mut center = None;
    let mut shape = None;
    let mut unit = 1.0;
    let base = match form {
        Form::Radius => {
            center = Some(lon_lat(&args, 2)?);
            let (r, u) = radius_arg(&args, 4)?;
            (shape, unit) = (Some(Shape::Radius(r)), u);
            6
        }
        Form::ByMember => {
            if z.is_some() {
                center = Some(member_position(z, args.get(2))?);
                let (r, u) = radius_arg(&args, 3)?;
                (shape, unit) = (Some(Shape::Radius(r)), u);
            }
            5
        }
        Form::Search => 2,
        Form::SearchStore => 3,
    };
    let searching = matches!(form, Form::Search | Form::SearchStore);
    let mut store: Option<&[u8]> = (form == Form::SearchStore).then(|| args.get(1));
    let (mut store_dist, mut with_dist, mut with_hash, mut with_coord) =
        (false, false, false, false);
    let (mut from_member, mut from_loc, mut by_radius, mut by_box) = (false, false, false, false);
    let mut sort = Sort::None;
    let mut any = false;
    let mut count: i64 = 0;
    let n = args.len();
    let mut i = base;
    while i < n {
        let left = n - i - 1;
        let is = |name: &str| args.is(i, name);
        if is("withdist") {
            with_dist = true;
        } else if is("withhash") {
            with_hash = true;
        } else if is("withcoord") {
            with_coord = true;
        } else if is("any") {
            any = true;
        } else if is("asc") {
            sort = Sort::Asc;
        } else if is("desc") {
            sort = Sort::Desc;
        } else if is("count") && left >= 1 {
            count = int_arg(args.get(i + 1))?;
            if count <= 0 {
                return Err(CmdError::Other("COUNT must be > 0".into()));
            }
            i += 1;
        } else if (is("store") || is("storedist")) && left >= 1 && !no_store && !searching {
            store = Some(args.get(i + 1));
            store_dist = is("storedist");
            i += 1;
        } else if is("storedist") && form == Form::SearchStore {
            store_dist = true;
        } else if is("frommember") && left >= 1 && searching && !from_loc {
            if z.is_some() {
                center = Some(member_position(z, args.get(i + 1))?);
            }
            from_member = true;
            i += 1;
        } else if is("fromlonlat") && left >= 2 && searching && !from_member {
            center = Some(lon_lat(&args, i + 1)?);
            from_loc = true;
            i += 2;
        } else if is("byradius") && left >= 2 && searching && !by_box {
            let (r, u) = radius_arg(&args, i + 1)?;
            (shape, unit) = (Some(Shape::Radius(r)), u);
            by_radius = true;
            i += 2;
        } else if is("bybox") && left >= 3 && searching && !by_radius {
            let w = numeric(args.get(i + 1), "width")?;
            let h = numeric(args.get(i + 2), "height")?;
            if h < 0.0 || w < 0.0 {
                return Err(CmdError::Other("height or width cannot be negative".into()));
            }
            unit = unit_arg(args.get(i + 3))?;
            shape = Some(Shape::Box {
                width: w,
                height: h,
            });
            by_box = true;
            i += 3;
        } else {
            return Err(CmdError::Syntax);
        }
        i += 1;
    }
    if store.is_some() && (with_dist || with_hash || with_coord) {
        return Err(CmdError::Other(format!(
            "{} is not compatible with WITHDIST, WITHHASH and WITHCOORD options",
            if form == Form::SearchStore {
                "GEOSEARCHSTORE"
            } else {
                "STORE option in GEORADIUS"
            }
        )));
    }
    let typed = String::from_utf8_lossy(args.get(0));
    if searching && !(from_member || from_loc) {
        return Err(CmdError::Other(format!(
            "exactly one of FROMMEMBER or FROMLONLAT can be specified for {typed}"
        )));
    }
    if searching && !(by_radius || by_box) {
        return Err(CmdError::Other(format!(
            "exactly one of BYRADIUS and BYBOX can be specified for {typed}"
        )));
    }
    if any && count == 0 {
        return Err(CmdError::Other(
            "the ANY argument requires COUNT argument".into(),
        ));
    }
    if count != 0 && sort == Sort::None && !any {
        sort = Sort::Asc;
    }
    let mut found = Vec::new();
    if let (Some(z), Some((lon, lat)), Some(shape)) = (z, center, shape) {
        let q = Search {
            lon,
            lat,
            shape,
            unit,
        };
        let limit = if any { count as usize } else { 0 };
        collect(z, &q, limit, &mut found);
    }
    drop(s);
    match sort {
        Sort::None => {}
        Sort::Asc => found.sort_by(|a, b| a.dist.total_cmp(&b.dist)),
        Sort::Desc => found.sort_by(|a, b| b.dist.total_cmp(&a.dist)),
    }
    if count > 0 {
        found.truncate(count as usize);
    }
    for p in &mut found {
        p.dist /= unit;
    }
    if let Some(dst) = store {
        let result: Vec<(Vec<u8>, f64)> = found
            .into_iter()
            .map(|p| {
                let score = if store_dist { p.dist } else { p.score };
                (p.member, score)
            })
            .collect();
        let event = if searching {
            "geosearchstore"
        } else {
            "georadiusstore"
        };
        return super::zset::store_result(ctx, dst, &[src], event, |_, _, _| Ok(result));
    }
    let extras = with_dist as usize + with_hash as usize + with_coord as usize;
    ctx.out.array(found.len());
    for p in &found {
        if extras > 0 {
            ctx.out.array(extras + 1);
        }
        ctx.out.bulk(&p.member);
        if with_dist {
            ctx.out.bulk(geo::fmt_distance(p.dist).as_bytes());
        }
        if with_hash {
            ctx.out.int(p.score as i64);
        }
        if with_coord {
            ctx.out.array(2);
            coord(ctx.out, p.lon);
            coord(ctx.out, p.lat);
        }
    }
    OK
}

/// The members inside the search, scanning its cells in order; stops at `limit` (ANY) when set.
fn collect(z: &ZSet, q: &Search, limit: usize, out: &mut Vec<Point>) {
    for cell in q.cells() {
        if limit > 0 && out.len() >= limit {
            return;
        }
        let (min, max) = cell.score_range();
        let range = Range::Score(
            ScoreBound {
                v: min as f64,
                excl: false,
            },
            ScoreBound {
                v: max as f64,
                excl: true,
            },
        );
        let Some((first, last)) = z.span(&range) else {
            continue;
        };
        for (m, score) in z.iter_from(first, false).take(last - first + 1) {
            let (lon, lat) = geo::position(score);
            if let Some(dist) = q.within(lon, lat) {
                out.push(Point {
                    member: m.to_vec(),
                    score,
                    dist,
                    lon,
                    lat,
                });
            }
            if limit > 0 && out.len() >= limit {
                return;
            }
        }
    }
}
