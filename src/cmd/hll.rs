//! HyperLogLog commands: PFADD, PFCOUNT, PFMERGE, PFDEBUG, PFSELFTEST. The registers live in
//! plain strings in Redis's layout (see [`crate::keyspace::hll`]).

use super::{Action, Ctx, OK};
use crate::error::{CmdError, CmdResult};
use crate::keyspace::hll;
use crate::resp::Args;
use std::sync::atomic::Ordering;

fn sparse_max(ctx: &Ctx) -> usize {
    ctx.shared.hll_sparse_max.load(Ordering::Relaxed) as usize
}

pub fn pfadd(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let key = args.get(1);
    let eles: Vec<&[u8]> = args.from(2).iter().collect();
    let max = sparse_max(ctx);
    let changed = ctx
        .ks()
        .write(ctx.db(), key)
        .pfadd(key, &eles, max, ctx.now)?;
    ctx.out.int(changed as i64);
    OK
}

/// The registers of every HLL in `keys` merged (missing keys count as empty), and whether any
/// of them was dense.
fn merged(ctx: &Ctx, keys: &[&[u8]]) -> CmdResult<(Vec<u8>, bool)> {
    let mut max = vec![0u8; hll::REGISTERS];
    let mut dense = false;
    let locked = ctx.ks().read_many(ctx.db(), keys.iter().copied());
    for k in keys {
        if let Some(v) = ctx.read(k, locked.shard(k).hll(k, ctx.now))? {
            dense |= hll::is_dense(v);
            hll::merge_into(&mut max, v)?;
        }
    }
    Ok((max, dense))
}

pub fn pfcount(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let keys: Vec<&[u8]> = args.from(1).iter().collect();
    let n = if keys.len() == 1 {
        let key = keys[0];
        let r = ctx.ks().write(ctx.db(), key).pfcount(key, ctx.now);
        ctx.read(key, r)?.unwrap_or(0)
    } else {
        hll::count_raw(&merged(ctx, &keys)?.0)
    };
    ctx.out.int(n as i64);
    OK
}

pub fn pfmerge(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let dst = args.get(1);
    // The destination's own registers take part, as in Redis.
    let keys: Vec<&[u8]> = args.from(1).iter().collect();
    let (max, dense) = merged(ctx, &keys)?;
    let sparse = sparse_max(ctx);
    ctx.ks()
        .write(ctx.db(), dst)
        .pfmerge_store(dst, &max, dense, sparse, ctx.now)?;
    ctx.out.ok();
    OK
}

/// PFDEBUG GETREG|DECODE|ENCODING|TODENSE key.
pub fn pfdebug(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let (sub, key) = (args.get(1), args.get(2));
    let mut s = ctx.ks().write(ctx.db(), key);
    let lower = sub.to_ascii_lowercase();
    match lower.as_slice() {
        b"getreg" => {
            s.hll_to_dense(key, ctx.now)?;
            let regs = hll::registers(s.hll(key, ctx.now)?.expect("converted above"));
            ctx.out.array(regs.len());
            for r in regs {
                ctx.out.int(r as i64);
            }
        }
        b"todense" => {
            let converted = s.hll_to_dense(key, ctx.now)?;
            ctx.out.int(converted as i64);
        }
        b"decode" | b"encoding" => {
            let v = s
                .hll(key, ctx.now)?
                .ok_or_else(|| CmdError::Other("The specified key does not exist".into()))?;
            if lower == b"encoding" {
                ctx.out
                    .simple(if hll::is_dense(v) { "dense" } else { "sparse" });
            } else if hll::is_dense(v) {
                return Err(CmdError::Other("HLL encoding is not sparse".into()));
            } else {
                ctx.out.bulk(hll::decode(v).as_bytes());
            }
        }
        _ => {
            // Redis looks the key up (and checks it) before it reads the subcommand.
            s.hll(key, ctx.now)?
                .ok_or_else(|| CmdError::Other("The specified key does not exist".into()))?;
            return Err(CmdError::Other(format!(
                "Unknown PFDEBUG subcommand '{}'",
                String::from_utf8_lossy(sub)
            )));
        }
    }
    OK
}

pub fn pfselftest(ctx: &mut Ctx, _args: Args) -> CmdResult<Action> {
    hll::self_test().map_err(CmdError::Verbatim)?;
    ctx.out.ok();
    OK
}
