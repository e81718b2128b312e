//! Parser throughput: single GET and SET frames, a 64-deep pipeline, and a 1 MB bulk delivered in
//! 64 KB reads (the resumable path).

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use ringdis::resp::{Frame, Parser};
use std::hint::black_box;

fn frame(args: &[&[u8]]) -> Vec<u8> {
    let mut v = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        v.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        v.extend_from_slice(a);
        v.extend_from_slice(b"\r\n");
    }
    v
}

/// Parses every frame in `data`; returns the number of commands.
fn parse_all(p: &mut Parser, data: &[u8]) -> usize {
    let mut pos = 0;
    let mut n = 0;
    while let Some(f) = p.parse(&data[pos..]).unwrap() {
        match f {
            Frame::Command { consumed, .. } | Frame::Empty { consumed } => pos += consumed,
        }
        n += 1;
    }
    n
}

fn benches(c: &mut Criterion) {
    let get = frame(&[b"GET", b"key:000000012345"]);
    let set = frame(&[b"SET", b"key:000000012345", &[b'x'; 64]]);
    let pipeline: Vec<u8> = (0..64).flat_map(|_| set.clone()).collect();
    let big = frame(&[b"SET", b"big", &vec![b'x'; 1 << 20]]);

    let mut g = c.benchmark_group("resp_parse");
    let mut p = Parser::new();
    g.throughput(Throughput::Elements(1));
    g.bench_function("get", |b| b.iter(|| parse_all(&mut p, black_box(&get))));
    g.bench_function("set_64b", |b| b.iter(|| parse_all(&mut p, black_box(&set))));
    g.throughput(Throughput::Elements(64));
    g.bench_function("pipeline_64_set", |b| {
        b.iter(|| parse_all(&mut p, black_box(&pipeline)))
    });
    g.throughput(Throughput::Bytes(big.len() as u64));
    g.bench_function("bulk_1mb_in_64kb_reads", |b| {
        b.iter_batched(
            Parser::new,
            |mut p| {
                let mut end = 0;
                loop {
                    end = (end + 65536).min(big.len());
                    if let Some(f) = p.parse(black_box(&big[..end])).unwrap() {
                        return f;
                    }
                }
            },
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

criterion_group!(parse, benches);
criterion_main!(parse);
