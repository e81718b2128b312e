//! A stream in Redis's RDB object format: listpack nodes of entries (each node's first ID as
//! its 16-byte big-endian key, a master entry of field names, then entries as ID deltas with
//! their values, fields left out when they are the master's), then the stream's counters and
//! its consumer groups with their pending entries and consumers. Written as Redis 7.0 writes
//! them (RDB_TYPE_STREAM_LISTPACKS_2); read in that form, Redis 5/6's and Redis 7.2's.

use super::rdb::{read_len, read_string, write_len, write_str, write_string};
use super::streams::{Consumer, Fields, Group, Nack, StreamId};
use std::collections::BTreeMap;

pub const TYPE_STREAM_LISTPACKS: u8 = 15;
pub const TYPE_STREAM_LISTPACKS_2: u8 = 19;
pub const TYPE_STREAM_LISTPACKS_3: u8 = 21;

/// Entries per node written (Redis's stream-node-max-entries default).
const NODE_ENTRIES: usize = 100;
/// An entry flagged deleted inside a node.
const FLAG_DELETED: i64 = 1;
/// An entry with the master entry's fields, stored without them.
const FLAG_SAMEFIELDS: i64 = 2;

/// A stream apart from its in-memory form.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct StreamValue {
    pub entries: Vec<(StreamId, Fields)>,
    pub last_id: StreamId,
    pub entries_added: u64,
    pub max_deleted: StreamId,
    pub groups: Vec<(Vec<u8>, Group)>,
}

/// One listpack element to write.
enum Lp<'a> {
    Int(i64),
    Str(&'a [u8]),
}

/// A listpack of `items`, as Redis encodes one.
fn listpack(items: &[Lp<'_>]) -> Vec<u8> {
    let mut out = vec![0u8; 6];
    for it in items {
        let start = out.len();
        match *it {
            Lp::Int(v) if (0..=127).contains(&v) => out.push(v as u8),
            Lp::Int(v) if (-4096..=4095).contains(&v) => {
                let u = (v as u16) & 0x1fff;
                out.extend_from_slice(&[0xc0 | (u >> 8) as u8, u as u8]);
            }
            Lp::Int(v) if i16::try_from(v).is_ok() => {
                out.push(0xf1);
                out.extend_from_slice(&(v as i16).to_le_bytes());
            }
            Lp::Int(v) if (-(1 << 23)..(1 << 23)).contains(&v) => {
                out.push(0xf2);
                out.extend_from_slice(&(v as i32).to_le_bytes()[..3]);
            }
            Lp::Int(v) if i32::try_from(v).is_ok() => {
                out.push(0xf3);
                out.extend_from_slice(&(v as i32).to_le_bytes());
            }
            Lp::Int(v) => {
                out.push(0xf4);
                out.extend_from_slice(&v.to_le_bytes());
            }
            Lp::Str(s) if s.len() < 64 => {
                out.push(0x80 | s.len() as u8);
                out.extend_from_slice(s);
            }
            Lp::Str(s) if s.len() < 4096 => {
                out.extend_from_slice(&[0xe0 | (s.len() >> 8) as u8, s.len() as u8]);
                out.extend_from_slice(s);
            }
            Lp::Str(s) => {
                out.push(0xf0);
                out.extend_from_slice(&(s.len() as u32).to_le_bytes());
                out.extend_from_slice(s);
            }
        }
        let l = (out.len() - start) as u64;
        // The back-length, as lpEncodeBacklen writes it (7 bits a byte).
        let n = match l {
            0..=127 => 1,
            128..=16382 => 2,
            16383..=2097150 => 3,
            2097151..=268435454 => 4,
            _ => 5,
        };
        for i in (0..n).rev() {
            let b = ((l >> (7 * i)) & 127) as u8;
            out.push(if i == n - 1 { b } else { b | 128 });
        }
    }
    out.push(0xff);
    let total = out.len() as u32;
    out[0..4].copy_from_slice(&total.to_le_bytes());
    out[4..6].copy_from_slice(&(items.len().min(65535) as u16).to_le_bytes());
    out
}

fn write_id_raw(out: &mut Vec<u8>, id: StreamId) {
    out.extend_from_slice(&id.ms.to_be_bytes());
    out.extend_from_slice(&id.seq.to_be_bytes());
}

/// Appends the stream's body (type RDB_TYPE_STREAM_LISTPACKS_2).
pub fn write(out: &mut Vec<u8>, s: &StreamValue, compress: bool) {
    let nodes: Vec<&[(StreamId, Fields)]> = s.entries.chunks(NODE_ENTRIES).collect();
    write_len(out, nodes.len() as u64);
    for node in nodes {
        let master = node[0].0;
        let master_fields: Vec<&[u8]> = node[0].1.iter().map(|(f, _)| f.as_slice()).collect();
        let mut items = vec![
            Lp::Int(node.len() as i64),
            Lp::Int(0),
            Lp::Int(master_fields.len() as i64),
        ];
        items.extend(master_fields.iter().map(|f| Lp::Str(f)));
        items.push(Lp::Int(0));
        for (id, fields) in node {
            let same = fields.len() == master_fields.len()
                && fields.iter().zip(&master_fields).all(|((f, _), m)| f == m);
            items.push(Lp::Int(if same { FLAG_SAMEFIELDS } else { 0 }));
            items.push(Lp::Int(id.ms.wrapping_sub(master.ms) as i64));
            items.push(Lp::Int(id.seq.wrapping_sub(master.seq) as i64));
            if !same {
                items.push(Lp::Int(fields.len() as i64));
            }
            for (f, v) in fields {
                if !same {
                    items.push(Lp::Str(f));
                }
                items.push(Lp::Str(v));
            }
            let n = fields.len() as i64;
            items.push(Lp::Int(if same { n + 3 } else { 2 * n + 4 }));
        }
        let mut key = Vec::with_capacity(16);
        write_id_raw(&mut key, master);
        write_string(out, &key);
        write_str(out, &listpack(&items), compress);
    }
    let first = s.entries.first().map_or(StreamId::MIN, |e| e.0);
    for n in [
        s.entries.len() as u64,
        s.last_id.ms,
        s.last_id.seq,
        first.ms,
        first.seq,
        s.max_deleted.ms,
        s.max_deleted.seq,
        s.entries_added,
        s.groups.len() as u64,
    ] {
        write_len(out, n);
    }
    for (name, g) in &s.groups {
        write_string(out, name);
        write_len(out, g.last_id.ms);
        write_len(out, g.last_id.seq);
        write_len(out, g.entries_read.unwrap_or(u64::MAX));
        write_len(out, g.pel.len() as u64);
        for (id, nack) in &g.pel {
            write_id_raw(out, *id);
            out.extend_from_slice(&nack.delivery_time.to_le_bytes());
            write_len(out, nack.delivery_count);
        }
        write_len(out, g.consumers.len() as u64);
        for (cname, c) in &g.consumers {
            write_string(out, cname);
            out.extend_from_slice(&c.seen_time.to_le_bytes());
            write_len(out, c.pel.len() as u64);
            for id in &c.pel {
                write_id_raw(out, *id);
            }
        }
    }
}

fn read_id_raw(data: &[u8], at: &mut usize) -> Option<StreamId> {
    let b = data.get(*at..*at + 16)?;
    *at += 16;
    Some(StreamId {
        ms: u64::from_be_bytes(b[..8].try_into().ok()?),
        seq: u64::from_be_bytes(b[8..].try_into().ok()?),
    })
}

fn read_u64_le(data: &[u8], at: &mut usize) -> Option<u64> {
    let b = data.get(*at..*at + 8)?;
    *at += 8;
    Some(u64::from_le_bytes(b.try_into().ok()?))
}

fn count(data: &[u8], at: &mut usize) -> Option<u64> {
    match read_len(data, at)? {
        (n, false) => Some(n),
        _ => None,
    }
}

/// The live entries of one node's listpack, whose master ID is `master`.
fn node_entries(master: StreamId, lp: &[u8], out: &mut Vec<(StreamId, Fields)>) -> Option<()> {
    let items = super::rdbvalue::listpack_entries(lp)?;
    let mut it = items.into_iter();
    let int = |it: &mut std::vec::IntoIter<Vec<u8>>| -> Option<i64> {
        crate::resp::parse_i64(&it.next()?)
    };
    let _live = int(&mut it)?;
    let _deleted = int(&mut it)?;
    let nmaster = usize::try_from(int(&mut it)?).ok()?;
    let mut master_fields = Vec::with_capacity(nmaster.min(1024));
    for _ in 0..nmaster {
        master_fields.push(it.next()?);
    }
    if int(&mut it)? != 0 {
        return None;
    }
    while it.len() > 0 {
        let flags = int(&mut it)?;
        let id = StreamId {
            ms: master.ms.wrapping_add(int(&mut it)? as u64),
            seq: master.seq.wrapping_add(int(&mut it)? as u64),
        };
        let mut fields = Vec::new();
        if flags & FLAG_SAMEFIELDS != 0 {
            for f in &master_fields {
                fields.push((f.clone(), it.next()?));
            }
        } else {
            let n = usize::try_from(int(&mut it)?).ok()?;
            for _ in 0..n {
                let f = it.next()?;
                fields.push((f, it.next()?));
            }
        }
        int(&mut it)?;
        if flags & FLAG_DELETED == 0 {
            out.push((id, fields));
        }
    }
    Some(())
}

/// Reads a stream body of type `ty` (15, 19 or 21) at `at`.
pub fn read(ty: u8, data: &[u8], at: &mut usize) -> Option<StreamValue> {
    let mut s = StreamValue::default();
    let nodes = count(data, at)?;
    for _ in 0..nodes {
        let key = read_string(data, at)?;
        if key.len() != 16 {
            return None;
        }
        let master = read_id_raw(&key, &mut 0)?;
        let lp = read_string(data, at)?;
        node_entries(master, &lp, &mut s.entries)?;
    }
    let length = count(data, at)?;
    s.last_id = StreamId {
        ms: count(data, at)?,
        seq: count(data, at)?,
    };
    if ty >= TYPE_STREAM_LISTPACKS_2 {
        let _first = (count(data, at)?, count(data, at)?);
        s.max_deleted = StreamId {
            ms: count(data, at)?,
            seq: count(data, at)?,
        };
        s.entries_added = count(data, at)?;
    } else {
        s.entries_added = length;
    }
    if length != s.entries.len() as u64 {
        return None;
    }
    let groups = count(data, at)?;
    for _ in 0..groups {
        let name = read_string(data, at)?;
        let mut g = Group {
            last_id: StreamId {
                ms: count(data, at)?,
                seq: count(data, at)?,
            },
            ..Default::default()
        };
        if ty >= TYPE_STREAM_LISTPACKS_2 {
            let read = count(data, at)?;
            g.entries_read = (read != u64::MAX).then_some(read);
        }
        let mut pel: BTreeMap<StreamId, (u64, u64)> = BTreeMap::new();
        for _ in 0..count(data, at)? {
            let id = read_id_raw(data, at)?;
            let time = read_u64_le(data, at)?;
            pel.insert(id, (time, count(data, at)?));
        }
        for _ in 0..count(data, at)? {
            let cname = read_string(data, at)?;
            let mut c = Consumer {
                seen_time: read_u64_le(data, at)?,
                ..Default::default()
            };
            if ty >= TYPE_STREAM_LISTPACKS_3 {
                read_u64_le(data, at)?;
            }
            for _ in 0..count(data, at)? {
                let id = read_id_raw(data, at)?;
                let (delivery_time, delivery_count) = *pel.get(&id)?;
                g.pel.insert(
                    id,
                    Nack {
                        consumer: cname.clone(),
                        delivery_time,
                        delivery_count,
                    },
                );
                c.pel.insert(id);
            }
            g.consumers.insert(cname, c);
        }
        // Every pending entry belongs to a consumer, as Redis checks.
        if g.pel.len() != pel.len() {
            return None;
        }
        s.groups.push((name, g));
    }
    Some(s)
}

impl StreamValue {
    /// Calls `f` with the commands that build the stream at `key`: XADD for each entry (an
    /// empty stream is made by an XADD trimmed to nothing), XSETID for its counters, then each
    /// group (XGROUP CREATE at its position), its consumers (XGROUP CREATECONSUMER) and its
    /// pending entries (XCLAIM ... JUSTID FORCE, which skips entries deleted since).
    pub fn commands<E>(
        &self,
        key: &[u8],
        mut f: impl FnMut(&[&[u8]]) -> Result<(), E>,
    ) -> Result<(), E> {
        for (id, fields) in &self.entries {
            let id = id.text();
            let mut argv: Vec<&[u8]> = vec![b"XADD", key, &id];
            for (k, v) in fields {
                argv.push(k);
                argv.push(v);
            }
            f(&argv)?;
        }
        if self.entries.is_empty() {
            // 0-1: valid for XADD whatever the last ID; XSETID then sets the real one.
            f(&[b"XADD", key, b"MAXLEN", b"0", b"0-1", b"x", b"y"])?;
        }
        let (last, maxdel) = (self.last_id.text(), self.max_deleted.text());
        let added = self.entries_added.to_string();
        f(&[
            b"XSETID",
            key,
            &last,
            b"ENTRIESADDED",
            added.as_bytes(),
            b"MAXDELETEDID",
            &maxdel,
        ])?;
        for (name, g) in &self.groups {
            let id = g.last_id.text();
            let read = g.entries_read.map_or("-1".to_string(), |n| n.to_string());
            f(&[
                b"XGROUP",
                b"CREATE",
                key,
                name,
                &id,
                b"ENTRIESREAD",
                read.as_bytes(),
            ])?;
            // Consumers first, so those whose pending entries were all deleted stay.
            for cname in g.consumers.keys() {
                f(&[b"XGROUP".as_slice(), b"CREATECONSUMER", key, name, cname])?;
            }
            for (eid, n) in &g.pel {
                let (eid, t, c) = (
                    eid.text(),
                    n.delivery_time.to_string(),
                    n.delivery_count.to_string(),
                );
                f(&[
                    b"XCLAIM",
                    key,
                    name,
                    &n.consumer,
                    b"0",
                    &eid,
                    b"TIME",
                    t.as_bytes(),
                    b"RETRYCOUNT",
                    c.as_bytes(),
                    b"JUSTID",
                    b"FORCE",
                ])?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listpack_round_trips_every_width() {
        let ints = [
            0i64,
            127,
            128,
            -1,
            -4096,
            4095,
            4096,
            -32768,
            32767,
            1 << 23,
            -(1 << 23),
            1 << 31,
            i64::MIN,
            i64::MAX,
        ];
        let long = vec![b'x'; 5000];
        let mid = vec![b'y'; 300];
        let mut items: Vec<Lp<'_>> = ints.iter().map(|&v| Lp::Int(v)).collect();
        items.push(Lp::Str(b"abc"));
        items.push(Lp::Str(&mid));
        items.push(Lp::Str(&long));
        let got = super::super::rdbvalue::listpack_entries(&listpack(&items)).unwrap();
        let mut want: Vec<Vec<u8>> = ints.iter().map(|v| v.to_string().into_bytes()).collect();
        want.push(b"abc".to_vec());
        want.push(mid.clone());
        want.push(long.clone());
        assert_eq!(got, want);
    }

    #[test]
    fn streams_round_trip() {
        let id = |ms, seq| StreamId { ms, seq };
        let fields = |pairs: &[(&str, &str)]| -> Fields {
            pairs
                .iter()
                .map(|(f, v)| (f.as_bytes().to_vec(), v.as_bytes().to_vec()))
                .collect()
        };
        let mut s = StreamValue {
            last_id: id(500, 3),
            entries_added: 260,
            max_deleted: id(7, 0),
            ..Default::default()
        };
        for i in 0..250u64 {
            let f = if i % 3 == 0 {
                fields(&[("a", "1"), ("b", "x")])
            } else {
                fields(&[("other", "v")])
            };
            s.entries.push((id(10 + i, i % 2), f));
        }
        let mut g = Group {
            last_id: id(100, 0),
            entries_read: Some(90),
            ..Default::default()
        };
        let nack = Nack {
            consumer: b"alice".to_vec(),
            delivery_time: 1234,
            delivery_count: 2,
        };
        g.pel.insert(id(11, 1), nack);
        let mut alice = Consumer {
            seen_time: 99,
            ..Default::default()
        };
        alice.pel.insert(id(11, 1));
        g.consumers.insert(b"alice".to_vec(), alice);
        g.consumers.insert(b"bob".to_vec(), Consumer::default());
        s.groups.push((b"g1".to_vec(), g));
        s.groups.push((b"g2".to_vec(), Group::default()));
        for compress in [false, true] {
            let mut out = Vec::new();
            write(&mut out, &s, compress);
            let mut at = 0;
            assert_eq!(
                read(TYPE_STREAM_LISTPACKS_2, &out, &mut at),
                Some(s.clone())
            );
            assert_eq!(at, out.len());
        }
    }
}
