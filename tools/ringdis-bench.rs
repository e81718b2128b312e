//! `ringdis-bench`: a load generator for Redis-protocol servers with HDR latency reports.
//!
//! Threads × connections, each connection keeping `--pipeline` requests in flight; closed loop
//! (as fast as the server answers) or open loop (`--rate`: requests are scheduled at fixed
//! intervals and latency is measured from the scheduled time, so a stalled server shows up in the
//! percentiles instead of slowing the load: coordinated omission is corrected). Per command:
//! throughput and p50/p90/p99/p99.9/p99.99/max, `.hgrm` percentile files, a JSON summary and an
//! SVG latency-by-percentile plot (several runs' `.hgrm` files can be drawn on one chart with
//! `--plot-from`).

use clap::Parser;
use hdrhistogram::Histogram;
use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use std::collections::VecDeque;
use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::ToSocketAddrs;
use std::path::PathBuf;
use std::time::{Duration, Instant};

#[derive(Parser, Debug, Clone)]
#[command(
    name = "ringdis-bench",
    about = "Load generator with HDR latency reports"
)]
struct Args {
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    #[arg(long, default_value_t = 6969)]
    port: u16,
    /// Client threads.
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// Connections per thread.
    #[arg(long, default_value_t = 50)]
    connections: usize,
    /// Requests in flight per connection.
    #[arg(long, default_value_t = 1)]
    pipeline: usize,
    /// Total requests (ignored with --duration).
    #[arg(long, default_value_t = 100_000)]
    requests: u64,
    /// Run for this many seconds instead of a request count.
    #[arg(long)]
    duration: Option<f64>,
    /// Open loop: total requests per second, spread over all connections.
    #[arg(long)]
    rate: Option<f64>,
    /// SET:GET mix, e.g. 1:10 (ignored with --command).
    #[arg(long, default_value = "1:1")]
    ratio: String,
    /// Cache-aside: every request is a GET, and a GET that finds nothing is followed by a SET
    /// of that key (hits and misses are reported).
    #[arg(long = "cache-aside")]
    cache_aside: bool,
    /// A command template instead of the SET/GET mix; `__key__` and `__data__` are replaced.
    #[arg(long)]
    command: Option<String>,
    /// Value size in bytes.
    #[arg(long = "data-size", default_value_t = 32)]
    data_size: usize,
    /// Number of distinct keys.
    #[arg(long = "key-space", default_value_t = 100_000)]
    key_space: u64,
    /// Key choice: uniform, sequential, gaussian or zipf.
    #[arg(long = "key-pattern", default_value = "uniform")]
    key_pattern: String,
    /// Seconds of warm-up before measuring.
    #[arg(long, default_value_t = 0.0)]
    warmup: f64,
    /// Write one .hgrm percentile file per command here.
    #[arg(long = "hgrm-dir")]
    hgrm_dir: Option<PathBuf>,
    /// Write a JSON summary here.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Write an SVG latency-by-percentile plot here.
    #[arg(long)]
    plot: Option<PathBuf>,
    /// Extra .hgrm files drawn on the same plot (label=path), to compare runs.
    #[arg(long = "plot-from")]
    plot_from: Vec<String>,
    /// Only draw --plot from the --plot-from files; send no load.
    #[arg(long = "plot-only")]
    plot_only: bool,
}

/// Which command a request is; the names index the per-command histograms.
struct Mix {
    names: Vec<String>,
    /// Cumulative weights.
    cumulative: Vec<u32>,
    templates: Vec<Vec<String>>,
}

fn mix(a: &Args) -> Mix {
    if a.cache_aside {
        return Mix {
            names: vec!["GET".into(), "SET".into()],
            cumulative: vec![1, 1],
            templates: vec![
                vec!["GET".into(), "__key__".into()],
                vec!["SET".into(), "__key__".into(), "__data__".into()],
            ],
        };
    }
    if let Some(c) = &a.command {
        let t: Vec<String> = c.split_whitespace().map(String::from).collect();
        return Mix {
            names: vec![t[0].to_uppercase()],
            cumulative: vec![1],
            templates: vec![t],
        };
    }
    let (s, g) = a.ratio.split_once(':').unwrap_or(("1", "1"));
    let (s, g): (u32, u32) = (s.parse().unwrap_or(1), g.parse().unwrap_or(1));
    Mix {
        names: vec!["SET".into(), "GET".into()],
        cumulative: vec![s, s + g],
        templates: vec![
            vec!["SET".into(), "__key__".into(), "__data__".into()],
            vec!["GET".into(), "__key__".into()],
        ],
    }
}

struct KeyGen {
    pattern: String,
    space: u64,
    next: u64,
    /// Zipf: the cumulative harmonic weights of the ranks.
    zipf_cdf: Vec<f64>,
}

impl KeyGen {
    fn new(a: &Args) -> Self {
        let space = a.key_space.max(1);
        let zipf_cdf = if a.key_pattern == "zipf" {
            let mut acc = 0.0;
            (1..=space.min(10_000_000))
                .map(|i| {
                    acc += 1.0 / i as f64;
                    acc
                })
                .collect()
        } else {
            Vec::new()
        };
        KeyGen {
            pattern: a.key_pattern.clone(),
            space,
            next: 0,
            zipf_cdf,
        }
    }

    fn key(&mut self, rng: &mut SmallRng) -> u64 {
        match self.pattern.as_str() {
            "sequential" => {
                self.next = (self.next + 1) % self.space;
                self.next
            }
            "gaussian" => {
                // Sum of uniforms: a bell around the middle of the key space.
                let s: f64 = (0..6).map(|_| rng.random::<f64>()).sum::<f64>() / 6.0;
                ((s * self.space as f64) as u64).min(self.space - 1)
            }
            "zipf" => {
                // Inverse-CDF sampling over at most 10M ranks (harmonic weights).
                let cdf = &self.zipf_cdf;
                let target = rng.random::<f64>() * cdf.last().copied().unwrap_or(1.0);
                (cdf.partition_point(|&c| c < target) as u64).min(cdf.len() as u64 - 1)
            }
            _ => rng.random_range(0..self.space),
        }
    }
}

/// Length of the complete RESP reply at the start of `b`, if it is all there; and whether it is
/// an error.
fn reply_len(b: &[u8]) -> Option<(usize, bool)> {
    let line = memchr::memmem::find(b, b"\r\n")?;
    let after = line + 2;
    let head = std::str::from_utf8(&b[1..line]).ok()?;
    match b[0] {
        b'+' | b':' | b',' | b'_' | b'#' | b'(' => Some((after, false)),
        b'-' | b'!' => Some((after, true)),
        b'$' | b'=' => {
            let n: i64 = head.parse().ok()?;
            if n < 0 {
                return Some((after, false));
            }
            let end = after + n as usize + 2;
            (b.len() >= end).then_some((end, false))
        }
        b'*' | b'~' | b'>' | b'%' => {
            let mut n: i64 = head.parse().ok()?;
            if b[0] == b'%' {
                n *= 2;
            }
            let mut at = after;
            for _ in 0..n.max(0) {
                let (l, _) = reply_len(&b[at..])?;
                at += l;
            }
            Some((at, false))
        }
        _ => Some((after, true)),
    }
}

struct Conn {
    s: TcpStream,
    out: Vec<u8>,
    inbuf: Vec<u8>,
    /// (command index, intended send time, key) of requests in flight, oldest first.
    inflight: VecDeque<(usize, Instant, u64)>,
    /// Open loop: when this connection's next request is due.
    next_due: Instant,
}

/// What one thread measured.
struct Report {
    hists: Vec<Histogram<u64>>,
    counts: Vec<u64>,
    errors: u64,
    sent: u64,
    answered: u64,
    /// Cache-aside GETs that found their key, and that did not.
    hits: u64,
    misses: u64,
}

fn new_hist() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 60_000_000, 3).expect("valid bounds")
}

/// Appends one request built from template `t`: `__data__` is the value; `__key__` anywhere in
/// an argument becomes `key:N` (so `h:__key__` gives `h:key:N`).
fn encode(buf: &mut Vec<u8>, t: &[String], key: u64, data: &[u8]) {
    let _ = write!(buf, "*{}\r\n", t.len());
    let mut k = itoa::Buffer::new();
    let keytxt = format!("key:{}", k.format(key));
    for a in t {
        if a == "__data__" {
            let _ = write!(buf, "${}\r\n", data.len());
            buf.extend_from_slice(data);
        } else if let Some((pre, post)) = a.split_once("__key__") {
            let _ = write!(
                buf,
                "${}\r\n{pre}{keytxt}{post}",
                pre.len() + keytxt.len() + post.len()
            );
        } else {
            let _ = write!(buf, "${}\r\n{a}", a.len());
        }
        buf.extend_from_slice(b"\r\n");
    }
}

fn run_thread(
    a: &Args,
    m: &Mix,
    quota: u64,
    deadline: Option<Instant>,
    seed: u64,
) -> std::io::Result<Report> {
    let addr = (a.host.as_str(), a.port)
        .to_socket_addrs()?
        .next()
        .ok_or_else(|| std::io::Error::other("no address"))?;
    let mut poll = Poll::new()?;
    let mut conns = Vec::with_capacity(a.connections);
    let start = Instant::now();
    // Open loop: each connection sends every `interval`, staggered.
    let per_conn_rate = a.rate.map(|r| r / (a.threads * a.connections) as f64);
    let interval = per_conn_rate.map(|r| Duration::from_secs_f64(1.0 / r.max(1e-9)));
    for i in 0..a.connections {
        let std = std::net::TcpStream::connect(addr)?;
        std.set_nodelay(true)?;
        std.set_nonblocking(true)?;
        let mut s = TcpStream::from_std(std);
        poll.registry()
            .register(&mut s, Token(i), Interest::READABLE | Interest::WRITABLE)?;
        let offset = interval.map_or(Duration::ZERO, |iv| {
            iv.mul_f64(i as f64 / a.connections as f64)
        });
        conns.push(Conn {
            s,
            out: Vec::new(),
            inbuf: Vec::new(),
            inflight: VecDeque::new(),
            next_due: start + offset,
        });
    }
    let mut rng = SmallRng::seed_from_u64(seed);
    let mut keys = KeyGen::new(a);
    let data = vec![b'x'; a.data_size];
    let total_w = *m.cumulative.last().unwrap_or(&1);
    let warm_until = start + Duration::from_secs_f64(a.warmup);
    let mut r = Report {
        hists: m.names.iter().map(|_| new_hist()).collect(),
        counts: vec![0; m.names.len()],
        errors: 0,
        sent: 0,
        answered: 0,
        hits: 0,
        misses: 0,
    };
    // Cache-aside: keys whose GET missed, to SET next.
    let mut refill: Vec<(usize, u64)> = Vec::new();
    let mut events = Events::with_capacity(1024);
    let mut tmp = vec![0u8; 64 * 1024];
    loop {
        let now = Instant::now();
        let stop_sending =
            deadline.is_some_and(|d| now >= d) || (deadline.is_none() && r.sent >= quota);
        if stop_sending && conns.iter().all(|c| c.inflight.is_empty()) {
            break;
        }
        // Fill each connection's pipeline.
        for c in conns.iter_mut() {
            while !stop_sending
                && c.inflight.len() < a.pipeline
                && (deadline.is_some() || r.sent < quota)
            {
                let intended = match interval {
                    Some(iv) => {
                        if c.next_due > now {
                            break;
                        }
                        let t = c.next_due;
                        c.next_due += iv;
                        t
                    }
                    None => now,
                };
                let w = rng.random_range(0..total_w);
                let cmd = m.cumulative.iter().position(|&cw| w < cw).unwrap_or(0);
                let key = keys.key(&mut rng);
                encode(&mut c.out, &m.templates[cmd], key, &data);
                c.inflight.push_back((cmd, intended, key));
                r.sent += 1;
            }
            if !c.out.is_empty() {
                match c.s.write(&c.out) {
                    Ok(n) => {
                        c.out.drain(..n);
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                    Err(e) => return Err(e),
                }
            }
        }
        // Sleep until a reply arrives or (open loop) the next request is due.
        let timeout = match interval {
            Some(_) if !stop_sending => conns
                .iter()
                .filter(|c| c.inflight.len() < a.pipeline)
                .map(|c| c.next_due.saturating_duration_since(Instant::now()))
                .min()
                .unwrap_or(Duration::from_millis(10)),
            _ => Duration::from_millis(100),
        };
        // epoll's timeout has millisecond resolution: closer than that, poll without sleeping,
        // or every open-loop request would leave up to 1 ms late.
        let timeout = if timeout < Duration::from_millis(1) {
            Duration::ZERO
        } else {
            timeout
        };
        poll.poll(&mut events, Some(timeout))?;
        // The SETs that follow misses go out on their connection before new requests.
        for (ci, key) in refill.drain(..) {
            let c = &mut conns[ci];
            encode(&mut c.out, &m.templates[1], key, &data);
            c.inflight.push_back((1, Instant::now(), key));
            r.sent += 1;
        }
        for ev in events.iter() {
            let ci = ev.token().0;
            let c = &mut conns[ci];
            loop {
                match c.s.read(&mut tmp) {
                    Ok(0) => return Err(std::io::Error::other("server closed a connection")),
                    Ok(n) => c.inbuf.extend_from_slice(&tmp[..n]),
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                    Err(e) => return Err(e),
                }
            }
            let mut at = 0;
            let done = Instant::now();
            while let Some((len, err)) = reply_len(&c.inbuf[at..]) {
                at += len;
                let nil = matches!(&c.inbuf[at - len..at], b"$-1\r\n" | b"_\r\n");
                let Some((cmd, intended, key)) = c.inflight.pop_front() else {
                    return Err(std::io::Error::other("a reply nobody asked for"));
                };
                r.answered += 1;
                if err {
                    r.errors += 1;
                }
                if a.cache_aside && cmd == 0 {
                    if nil {
                        refill.push((ci, key));
                    }
                    if done >= warm_until {
                        if nil {
                            r.misses += 1;
                        } else {
                            r.hits += 1;
                        }
                    }
                }
                if done >= warm_until {
                    let us = done.saturating_duration_since(intended).as_micros().max(1) as u64;
                    r.hists[cmd].saturating_record(us);
                    r.counts[cmd] += 1;
                }
            }
            c.inbuf.drain(..at);
        }
    }
    Ok(r)
}

const PERCENTILES: [f64; 6] = [50.0, 90.0, 99.0, 99.9, 99.99, 100.0];

/// HdrHistogram's percentile distribution text (as `outputPercentileDistribution` writes it),
/// values in microseconds.
fn hgrm(h: &Histogram<u64>) -> String {
    let mut t = String::from("       Value     Percentile TotalCount 1/(1-Percentile)\n\n");
    for v in h.iter_quantiles(1) {
        let q = v.quantile_iterated_to();
        let inv = if q < 1.0 {
            format!("{:.2}", 1.0 / (1.0 - q))
        } else {
            "inf".into()
        };
        let _ = writeln!(
            t,
            "{:12.3} {:14.12} {:10} {:>14}",
            v.value_iterated_to() as f64,
            q,
            v.count_since_last_iteration(),
            inv
        );
    }
    let _ = writeln!(
        t,
        "#[Mean    = {:12.3}, StdDeviation   = {:12.3}]\n#[Max     = {:12.3}, Total count    = {:12}]",
        h.mean(),
        h.stdev(),
        h.max() as f64,
        h.len()
    );
    t
}

/// Reads (percentile, value) pairs back from an .hgrm file.
fn read_hgrm(text: &str) -> Vec<(f64, f64)> {
    text.lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f.len() == 4).then(|| Some((f[1].parse().ok()?, f[0].parse().ok()?)))?
        })
        .collect()
}

/// An SVG latency-by-percentile chart: x is -log10(1 - percentile) (50%, 90%, 99%, ...), y is
/// latency in µs on a log scale; one line per series.
fn svg(series: &[(String, Vec<(f64, f64)>)]) -> String {
    let (w, h, pad) = (800.0, 480.0, 60.0);
    let x_of = |q: f64| (-(1.0 - q.min(0.999999)).log10()) / 6.0 * (w - 2.0 * pad) + pad;
    let maxv = series
        .iter()
        .flat_map(|(_, p)| p.iter().map(|(_, v)| *v))
        .fold(1.0f64, f64::max);
    let top = 10f64.powf(maxv.log10().ceil());
    let y_of = |v: f64| h - pad - (v.max(1.0).log10() / top.log10().max(1.0)) * (h - 2.0 * pad);
    let colors = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd"];
    let mut s = format!("<svg xmlns='http://www.w3.org/2000/svg' width='{w}' height='{h}' font-family='sans-serif' font-size='12'>\n<rect width='100%' height='100%' fill='white'/>\n");
    for (i, label) in ["0%", "90%", "99%", "99.9%", "99.99%", "99.999%", "99.9999%"]
        .iter()
        .enumerate()
    {
        let x = pad + i as f64 / 6.0 * (w - 2.0 * pad);
        let _ = writeln!(s, "<line x1='{x}' y1='{pad}' x2='{x}' y2='{}' stroke='#ddd'/><text x='{x}' y='{}' text-anchor='middle'>{label}</text>", h - pad, h - pad + 18.0);
    }
    let mut v = 1.0;
    while v <= top {
        let y = y_of(v);
        let _ = writeln!(s, "<line x1='{pad}' y1='{y}' x2='{}' y2='{y}' stroke='#eee'/><text x='{}' y='{y}' text-anchor='end'>{v} µs</text>", w - pad, pad - 6.0);
        v *= 10.0;
    }
    for (i, (name, pts)) in series.iter().enumerate() {
        let c = colors[i % colors.len()];
        let path: Vec<String> = pts
            .iter()
            .map(|(q, v)| format!("{:.1},{:.1}", x_of(*q), y_of(*v)))
            .collect();
        let _ = writeln!(
            s,
            "<polyline fill='none' stroke='{c}' stroke-width='2' points='{}'/>",
            path.join(" ")
        );
        let _ = writeln!(
            s,
            "<text x='{}' y='{}' fill='{c}'>{name}</text>",
            w - pad - 150.0,
            pad + 16.0 * i as f64
        );
    }
    s.push_str("<text x='400' y='470' text-anchor='middle'>percentile</text>\n</svg>\n");
    s
}

/// Draws `--plot-from` files (and `own` series) into `--plot`.
fn plot(a: &Args, mut series: Vec<(String, Vec<(f64, f64)>)>) {
    let Some(p) = &a.plot else {
        return;
    };
    for spec in &a.plot_from {
        let (label, path) = spec.split_once('=').unwrap_or((spec, spec));
        match std::fs::read_to_string(path) {
            Ok(t) => series.push((label.to_string(), read_hgrm(&t))),
            Err(e) => eprintln!("ringdis-bench: {path}: {e}"),
        }
    }
    if let Err(e) = std::fs::write(p, svg(&series)) {
        eprintln!("ringdis-bench: writing {}: {e}", p.display());
    }
}

fn main() {
    // A closed pipe (`| head`) ends the program quietly, as for other command-line tools.
    // SAFETY: restores the default disposition of SIGPIPE before any other thread exists.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
    let a = Args::parse();
    if a.plot_only {
        plot(&a, Vec::new());
        return;
    }
    let m = mix(&a);
    let deadline = a
        .duration
        .map(|d| Instant::now() + Duration::from_secs_f64(d + a.warmup));
    let started = Instant::now();
    let per_thread = a.requests.div_ceil(a.threads as u64);
    let reports: Vec<std::io::Result<Report>> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..a.threads)
            .map(|t| {
                let (a, m) = (&a, &m);
                s.spawn(move || run_thread(a, m, per_thread, deadline, t as u64 + 1))
            })
            .collect();
        hs.into_iter().map(|h| h.join().expect("thread")).collect()
    });
    let secs = started.elapsed().as_secs_f64() - a.warmup;
    let mut hists: Vec<Histogram<u64>> = m.names.iter().map(|_| new_hist()).collect();
    let (mut counts, mut errors, mut sent, mut answered) = (vec![0u64; m.names.len()], 0, 0, 0);
    let (mut hits, mut misses) = (0u64, 0u64);
    for r in reports {
        let r = match r {
            Ok(r) => r,
            Err(e) => {
                eprintln!("ringdis-bench: {e}");
                std::process::exit(1);
            }
        };
        for (i, h) in r.hists.iter().enumerate() {
            let _ = hists[i].add(h);
            counts[i] += r.counts[i];
        }
        errors += r.errors;
        sent += r.sent;
        answered += r.answered;
        hits += r.hits;
        misses += r.misses;
    }
    let total: u64 = counts.iter().sum();
    println!(
        "{sent} sent, {answered} answered, {errors} errors, {:.0} requests/s over {secs:.2} s",
        total as f64 / secs
    );
    println!(
        "{:<8} {:>12} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}  (µs)",
        "command", "rps", "p50", "p90", "p99", "p99.9", "p99.99", "max"
    );
    let hit_rate = hits as f64 / (hits + misses).max(1) as f64;
    if a.cache_aside {
        println!("cache-aside: {hits} hits, {misses} misses, hit rate {hit_rate:.4}");
    }
    let mut json = format!("{{\"total_rps\": {:.1}, \"sent\": {sent}, \"answered\": {answered}, \"errors\": {errors}, \"hits\": {hits}, \"misses\": {misses}, \"hit_rate\": {hit_rate:.6}, \"commands\": {{", total as f64 / secs);
    for (i, name) in m.names.iter().enumerate() {
        let h = &hists[i];
        if h.is_empty() {
            continue;
        }
        let p: Vec<u64> = PERCENTILES
            .iter()
            .map(|q| h.value_at_quantile(q / 100.0))
            .collect();
        let rps = counts[i] as f64 / secs;
        println!(
            "{name:<8} {rps:>12.0} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}",
            p[0], p[1], p[2], p[3], p[4], p[5]
        );
        if !json.ends_with('{') {
            json.push_str(", ");
        }
        let _ = write!(json, "\"{name}\": {{\"rps\": {rps:.1}, \"p50_us\": {}, \"p90_us\": {}, \"p99_us\": {}, \"p999_us\": {}, \"p9999_us\": {}, \"max_us\": {}}}", p[0], p[1], p[2], p[3], p[4], p[5]);
        if let Some(dir) = &a.hgrm_dir {
            let _ = std::fs::create_dir_all(dir);
            if let Err(e) = std::fs::write(dir.join(format!("{name}.hgrm")), hgrm(h)) {
                eprintln!("ringdis-bench: writing {}: {e}", dir.display());
            }
        }
    }
    json.push_str("}}\n");
    if let Some(p) = &a.json {
        if let Err(e) = std::fs::write(p, &json) {
            eprintln!("ringdis-bench: writing {}: {e}", p.display());
        }
    }
    let own = m
        .names
        .iter()
        .zip(&hists)
        .filter(|(_, h)| !h.is_empty())
        .map(|(n, h)| (n.clone(), read_hgrm(&hgrm(h))))
        .collect();
    plot(&a, own);
    if errors > 0 {
        std::process::exit(2);
    }
}
