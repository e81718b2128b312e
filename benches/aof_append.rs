//! Records appended to the AOF journal per second from 1, 2 and 4 threads (a SET of a 16-byte
//! value each), while a collector thread drains them every 50 us as the group-commit leader does
//! (nothing is written to disk: this measures the append path writers contend on).
//!
//! `lanes` is ringdis's journal ([`ringdis::aof::Aof::append`]). `one mutex` is the design it
//! replaced, kept here as the reference: every writer pushes into one pending buffer behind one
//! mutex, which the collector swaps out.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use parking_lot::Mutex;
use ringdis::aof::format::BatchBuf;
use ringdis::aof::Aof;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

/// What the benchmark appends through.
trait Journal: Send + Sync + 'static {
    fn append(&self, db: usize, args: &[&[u8]]);
    fn drain(&self);
}

impl Journal for Aof {
    fn append(&self, db: usize, args: &[&[u8]]) {
        Aof::append(self, db, args);
    }
    fn drain(&self) {
        self.discard_pending();
    }
}

#[derive(Default)]
struct OneMutex(Mutex<BatchBuf>);

impl Journal for OneMutex {
    fn append(&self, _db: usize, args: &[&[u8]]) {
        self.0.lock().push(args);
    }
    fn drain(&self) {
        let taken = self.0.lock().take(Vec::new());
        drop(taken);
    }
}

/// Appends `iters` records split over `threads` writers; returns the writers' wall time.
fn run<J: Journal>(j: &Arc<J>, threads: usize, iters: u64) -> Duration {
    let start = Arc::new(Barrier::new(threads + 1));
    let stop = Arc::new(AtomicBool::new(false));
    let collector = {
        let (j, stop) = (j.clone(), stop.clone());
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                j.drain();
                // About how often a leader collects under load (one write's round trip).
                std::thread::sleep(Duration::from_micros(50));
            }
            j.drain();
        })
    };
    let per = iters / threads as u64 + 1;
    let writers: Vec<_> = (0..threads)
        .map(|t| {
            let (j, start) = (j.clone(), start.clone());
            std::thread::spawn(move || {
                let mut key = *b"key:0000000000";
                start.wait();
                for i in 0..per {
                    let n = i.wrapping_mul(2654435761) % 10_000_000_000;
                    let mut d = itoa::Buffer::new();
                    let s = d.format(n);
                    key[14 - s.len()..].copy_from_slice(s.as_bytes());
                    j.append(t, &[b"SET", &key, b"0123456789abcdef"]);
                }
            })
        })
        .collect();
    start.wait();
    let t0 = Instant::now();
    for w in writers {
        w.join().unwrap();
    }
    let took = t0.elapsed();
    stop.store(true, Ordering::Relaxed);
    collector.join().unwrap();
    took
}

fn appends(c: &mut Criterion) {
    let mut g = c.benchmark_group("aof_append");
    g.throughput(Throughput::Elements(1));
    g.measurement_time(Duration::from_secs(5));
    for threads in [1usize, 2, 4] {
        let aof = Arc::new(Aof::new(&ringdis::Config::default()));
        aof.enable(0, 0);
        g.bench_function(format!("lanes/{threads}"), |b| {
            b.iter_custom(|iters| run(&aof, threads, iters))
        });
        let one = Arc::new(OneMutex::default());
        g.bench_function(format!("one mutex/{threads}"), |b| {
            b.iter_custom(|iters| run(&one, threads, iters))
        });
    }
    g.finish();
}

criterion_group!(benches, appends);
criterion_main!(benches);
