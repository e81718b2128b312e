//! Per-command latency histograms and the slow log.
//!
//! Each executor records into its own set of histograms (one per command, HDR, nanoseconds from
//! 1024 ns to 1 s at 2 significant digits, as Redis 7 keeps them). The set sits behind a mutex
//! that only its executor takes while serving commands, so recording touches no lock or atomic
//! another executor writes; LATENCY HISTOGRAM and INFO latencystats lock each executor's set in
//! turn and merge. The slow log is shared, but only a command slower than
//! `slowlog-log-slower-than` reaches it.

use hdrhistogram::Histogram;
use parking_lot::Mutex;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, AtomicUsize, Ordering};

/// The process's command clock (TSC-based where the CPU allows, calibrated once).
pub fn clock() -> &'static quanta::Clock {
    static CLOCK: std::sync::OnceLock<quanta::Clock> = std::sync::OnceLock::new();
    CLOCK.get_or_init(quanta::Clock::new)
}

/// Redis's histogram bounds: 1024 ns to 1 s.
const MIN_NS: u64 = 1024;
const MAX_NS: u64 = 1_000_000_000;

/// INFO commandstats' counts of one command.
#[derive(Default, Clone, Copy, Debug, PartialEq, Eq)]
pub struct CmdStats {
    pub calls: u64,
    pub ns: u64,
    /// Refused before running (wrong arity, a refused write...).
    pub rejected: u64,
    /// Ran and answered an error.
    pub failed: u64,
}

/// One executor's histograms and command counts, indexed like the command table (created on
/// first use).
#[derive(Default)]
pub struct ExecLatency {
    hists: Vec<Option<Histogram<u64>>>,
    stats: Vec<CmdStats>,
}

impl ExecLatency {
    #[inline]
    fn stats(&mut self, idx: usize) -> &mut CmdStats {
        if self.stats.len() <= idx {
            self.stats.resize(idx + 1, CmdStats::default());
        }
        &mut self.stats[idx]
    }

    /// Records one call of command `idx` that took `ns`.
    #[inline]
    pub fn record(&mut self, idx: usize, ns: u64) {
        if self.hists.len() <= idx {
            self.hists.resize_with(idx + 1, || None);
        }
        let h = self.hists[idx].get_or_insert_with(|| {
            Histogram::new_with_bounds(MIN_NS, MAX_NS, 2).expect("valid histogram bounds")
        });
        h.saturating_record(ns.clamp(MIN_NS, MAX_NS));
    }
}

/// A slow log entry, as SLOWLOG GET replies it.
pub struct SlowEntry {
    pub id: u64,
    pub unix_secs: u64,
    pub micros: u64,
    pub args: Vec<Vec<u8>>,
    pub addr: String,
    pub name: Vec<u8>,
}

/// The server's latency state.
pub struct Latency {
    pub per_exec: Box<[Mutex<ExecLatency>]>,
    pub tracking: AtomicBool,
    /// Percentiles INFO latencystats reports (latency-tracking-info-percentiles), as text.
    pub percentiles: Mutex<Vec<f64>>,
    pub slower_than_us: AtomicI64,
    pub slowlog_max: AtomicUsize,
    pub slowlog: Mutex<VecDeque<SlowEntry>>,
    slow_ids: AtomicU64,
    /// The latency monitor (LATENCY LATEST/HISTORY/...): latency-monitor-threshold in ms
    /// (0: off) and the spikes seen per event.
    pub monitor_threshold_ms: AtomicU64,
    pub events: Mutex<std::collections::BTreeMap<&'static str, Series>>,
}

/// Samples one event keeps, as Redis keeps them.
pub const SERIES_LEN: usize = 160;

/// One event's latency spikes: at most one sample per second (the worst), the last 160, and
/// the worst ever.
#[derive(Clone)]
pub struct Series {
    pub samples: [(u64, u64); SERIES_LEN],
    pub idx: usize,
    pub max: u64,
}

impl Series {
    /// The samples, oldest first (unused slots left out).
    pub fn in_order(&self) -> Vec<(u64, u64)> {
        (0..SERIES_LEN)
            .map(|i| self.samples[(self.idx + i) % SERIES_LEN])
            .filter(|s| s.0 != 0)
            .collect()
    }

    pub fn latest(&self) -> (u64, u64) {
        self.samples[(self.idx + SERIES_LEN - 1) % SERIES_LEN]
    }
}

impl Latency {
    pub fn new(executors: usize) -> Self {
        Latency {
            per_exec: (0..executors.max(1)).map(|_| Mutex::default()).collect(),
            tracking: AtomicBool::new(true),
            percentiles: Mutex::new(vec![50.0, 99.0, 99.9]),
            slower_than_us: AtomicI64::new(10_000),
            slowlog_max: AtomicUsize::new(128),
            slowlog: Mutex::default(),
            slow_ids: AtomicU64::new(0),
            monitor_threshold_ms: AtomicU64::new(0),
            events: Mutex::default(),
        }
    }

    /// A duration of `event` for the latency monitor: kept if it reaches the threshold.
    #[inline]
    pub fn observe(&self, event: &'static str, ms: u64) {
        let t = self.monitor_threshold_ms.load(Ordering::Relaxed);
        if t > 0 && ms >= t {
            self.add_sample(event, ms);
        }
    }

    fn add_sample(&self, event: &'static str, ms: u64) {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let mut evs = self.events.lock();
        let ts = evs.entry(event).or_insert_with(|| Series {
            samples: [(0, 0); SERIES_LEN],
            idx: 0,
            max: 0,
        });
        ts.max = ts.max.max(ms);
        let prev = (ts.idx + SERIES_LEN - 1) % SERIES_LEN;
        if ts.samples[prev].0 == now {
            ts.samples[prev].1 = ts.samples[prev].1.max(ms);
            return;
        }
        ts.samples[ts.idx] = (now, ms);
        ts.idx = (ts.idx + 1) % SERIES_LEN;
    }

    /// Command `idx` with these arguments took `ns` on executor `exec` (and answered an error:
    /// `failed`).
    #[inline]
    pub fn record(
        &self,
        exec: usize,
        idx: usize,
        ns: u64,
        failed: bool,
        slow: impl FnOnce() -> SlowEntry,
    ) {
        {
            let mut e = self.per_exec[exec].lock();
            let s = e.stats(idx);
            s.calls += 1;
            s.ns += ns;
            s.failed += u64::from(failed);
            if self.tracking.load(Ordering::Relaxed) {
                e.record(idx, ns);
            }
        }
        let limit = self.slower_than_us.load(Ordering::Relaxed);
        if limit >= 0 && ns / 1000 >= limit as u64 {
            let mut e = slow();
            e.id = self.slow_ids.fetch_add(1, Ordering::Relaxed);
            let mut log = self.slowlog.lock();
            log.push_front(e);
            log.truncate(self.slowlog_max.load(Ordering::Relaxed));
        }
    }

    /// All executors' histogram of command `idx`, merged (None when never called).
    pub fn merged(&self, idx: usize) -> Option<Histogram<u64>> {
        let mut out: Option<Histogram<u64>> = None;
        for e in self.per_exec.iter() {
            if let Some(Some(h)) = e.lock().hists.get(idx) {
                match &mut out {
                    Some(o) => {
                        let _ = o.add(h);
                    }
                    None => out = Some(h.clone()),
                }
            }
        }
        out
    }

    /// Command `idx` was refused before it ran, on executor `exec`.
    pub fn reject(&self, exec: usize, idx: usize) {
        self.per_exec[exec].lock().stats(idx).rejected += 1;
    }

    /// Command `idx`'s counts over every executor.
    pub fn command_stats(&self, idx: usize) -> CmdStats {
        let mut t = CmdStats::default();
        for e in self.per_exec.iter() {
            if let Some(s) = e.lock().stats.get(idx) {
                t.calls += s.calls;
                t.ns += s.ns;
                t.rejected += s.rejected;
                t.failed += s.failed;
            }
        }
        t
    }

    /// CONFIG RESETSTAT.
    pub fn reset(&self) {
        for e in self.per_exec.iter() {
            let mut e = e.lock();
            e.hists.clear();
            e.stats.clear();
        }
    }

    /// A new slow log entry's fixed fields.
    pub fn slow_entry(
        micros: u64,
        args: impl Iterator<Item = Vec<u8>>,
        addr: String,
        name: Vec<u8>,
    ) -> SlowEntry {
        SlowEntry {
            id: 0,
            unix_secs: crate::keyspace::now_ms() / 1000,
            micros,
            args: args.collect(),
            addr,
            name,
        }
    }
}

/// Redis's LATENCY HISTOGRAM buckets: powers of two from 1 us, (upper bound in us, cumulative
/// count) for each bucket where the count grew.
pub fn buckets(h: &Histogram<u64>) -> Vec<(u64, u64)> {
    let mut out = Vec::new();
    let mut prev = 0;
    let mut cumulative = 0;
    for v in h.iter_log(MIN_NS, 2.0) {
        cumulative += v.count_since_last_iteration();
        if cumulative > prev {
            out.push((v.value_iterated_to() / 1000, cumulative));
        }
        prev = cumulative;
    }
    out
}
