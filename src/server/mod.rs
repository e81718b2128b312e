//! Executors and their listeners.
//!
//! One glommio `LocalExecutor` per thread, each pinned to a core and owning its own listener on the
//! same port (SO_REUSEPORT, set by glommio's `TcpListener::bind`), so the kernel spreads new
//! connections across executors and a connection lives on one executor for its whole life. All
//! executors share the [`Shared`] state; the keyspace inside it is reached under shard locks.

pub mod code;
pub mod conn;
pub mod feed;
pub mod ready;
pub mod replica;
pub mod supervise;

use crate::aof::{self, LocalAof};
use crate::config::Config;
use crate::error::ServerError;
use crate::keyspace::expiry::ExpiryCursor;
use crate::keyspace::Tx;
use crate::shared::{clients, limits, Shared};
use glommio::net::TcpListener;
use glommio::{LocalExecutorBuilder, Placement};
use std::net::SocketAddr;
use std::os::unix::fs::OpenOptionsExt;
use std::rc::Rc;
use std::sync::atomic::Ordering;
use std::sync::{mpsc, Arc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// A running server: its address, and the means to stop it and wait for it.
pub struct Server {
    pub addr: SocketAddr,
    pub shared: Arc<Shared>,
    threads: Vec<JoinHandle<()>>,
}

impl Server {
    /// Asks every executor to stop accepting, finish the replies it has computed, and exit.
    pub fn shutdown(&self) {
        self.shared.begin_shutdown();
    }

    /// Waits until every executor has exited (after SHUTDOWN, a signal, or [`Server::shutdown`]).
    pub fn join(self) {
        for t in self.threads {
            let _ = t.join();
        }
    }
}

/// An executor thread's stack (reserved, touched only as used). Scripts recurse on it: Lua's
/// own C calls, and the conversions of nested values up to the depths Redis allows (cmsgpack
/// decodes 4000 levels), which the default 2 MiB does not hold in a debug build.
const EXECUTOR_STACK: usize = 16 << 20;

/// Names the likely cause of an executor that failed to start. io_uring itself was checked before
/// (see [`check_io_uring`]), so with a core to pin to, EINVAL/EPERM come from sched_setaffinity.
fn executor_error(thread: usize, core: Option<usize>, e: glommio::GlommioError<()>) -> ServerError {
    let text = e.to_string();
    let errno = match &e {
        glommio::GlommioError::IoError(io) => io.raw_os_error(),
        _ => None,
    };
    match core {
        Some(core) if matches!(errno, Some(libc::EINVAL) | Some(libc::EPERM)) => {
            ServerError::Pinning {
                thread,
                core,
                reason: text,
            }
        }
        _ if text.contains("io_uring") || errno == Some(libc::ENOSYS) => {
            ServerError::IoUringUnavailable(text)
        }
        _ => ServerError::Executor(text),
    }
}

fn bind_error(addr: SocketAddr, e: glommio::GlommioError<()>) -> ServerError {
    match e {
        glommio::GlommioError::IoError(io) if io.kind() == std::io::ErrorKind::AddrInUse => {
            ServerError::PortInUse {
                addr: addr.to_string(),
            }
        }
        glommio::GlommioError::IoError(io) => ServerError::Bind {
            addr: addr.to_string(),
            source: io,
        },
        other => ServerError::Bind {
            addr: addr.to_string(),
            source: std::io::Error::other(other.to_string()),
        },
    }
}

/// Checks that this process may create an io_uring, before glommio tries (it panics instead of
/// returning an error when it cannot).
fn check_io_uring() -> Result<(), ServerError> {
    // struct io_uring_params is 120 bytes; zeroed means "no flags".
    let mut params = [0u64; 15];
    // SAFETY: io_uring_setup writes at most sizeof(io_uring_params) bytes into `params`.
    let fd = unsafe { libc::syscall(libc::SYS_io_uring_setup, 1u32, params.as_mut_ptr()) };
    if fd < 0 {
        return Err(ServerError::IoUringUnavailable(
            std::io::Error::last_os_error().to_string(),
        ));
    }
    // SAFETY: `fd` is the descriptor io_uring_setup just returned to us.
    unsafe { libc::close(fd as i32) };
    Ok(())
}

/// Starts all executors and returns once every one of them listens.
pub fn start(config: Config) -> Result<Server, ServerError> {
    // On a thread of its own: a thread that ever created an io_uring keeps an io_uring context
    // whose later task work interrupts its blocking system calls (EINTR), and the caller's thread
    // may be an application thread (or a test) doing blocking I/O.
    std::thread::spawn(check_io_uring)
        .join()
        .map_err(|_| ServerError::Executor("io_uring check panicked".into()))??;
    limits::tune_allocator();
    let shared = Shared::new(config);
    crate::cmd::settings::apply_file_params(&shared).map_err(ServerError::Config)?;
    crate::cmd::acl::load_at_start(&shared).map_err(ServerError::Config)?;
    let tls_port = crate::shared::tls::port(&shared.params);
    if tls_port != 0 {
        let params = crate::shared::tls::TlsParams::from(&shared.params);
        let config = crate::shared::tls::build(&params)
            .map_err(|e| ServerError::Config(format!("Failed to configure TLS: {e}")))?;
        shared.tls.set(Some(config));
    }
    // Before any descriptor is opened for a client: maxclients must fit in RLIMIT_NOFILE.
    let fit = limits::fit_open_files(shared.maxclients.load(Ordering::Relaxed), shared.threads)
        .map_err(ServerError::Limits)?;
    for note in &fit.notes {
        crate::notice!("{note}");
    }
    shared.maxclients.store(fit.maxclients, Ordering::Relaxed);
    crate::rdb::save::remove_stale_temps(&shared.config.dir);
    let mut stream_point = None;
    if shared.config.appendonly {
        load_aof(&shared)?;
    } else {
        stream_point = load_rdb(&shared)?;
    }
    // `replicaof host port` in the config file: a replica from the start.
    let master = shared.params.value("replicaof");
    if let Some((host, port)) = master.split_once(' ') {
        if let Ok(port) = port.trim().parse::<u16>() {
            shared.repl.follow(host.trim(), port, 0);
        }
    }
    replica::load_state(&shared);
    // A replica's RDB file says where in its master's stream the data stands, as Redis's does.
    if let Some(p) = &stream_point {
        replica::resume_at(&shared, p);
    }
    let n = shared.threads;
    let cores: Vec<usize> = core_affinity::get_core_ids()
        .unwrap_or_default()
        .into_iter()
        .map(|c| c.id)
        .collect();
    let mut addr = SocketAddr::new(shared.config.bind, shared.config.port);
    let mut threads = Vec::with_capacity(n);
    for i in 0..n {
        let core = if shared.config.no_pin || cores.is_empty() {
            None
        } else {
            Some(cores[i % cores.len()])
        };
        let (tx, rx) = mpsc::channel::<Result<SocketAddr, ServerError>>();
        let sh = shared.clone();
        let t = std::thread::Builder::new()
            .name(format!("ringdis-{i}"))
            .stack_size(EXECUTOR_STACK)
            .spawn(move || {
                let placement = core.map_or(Placement::Unbound, Placement::Fixed);
                let ex = match LocalExecutorBuilder::new(placement)
                    .name("ringdis")
                    .io_memory(1 << 20)
                    .make()
                {
                    Ok(ex) => ex,
                    Err(e) => {
                        let _ = tx.send(Err(executor_error(i, core, e)));
                        return;
                    }
                };
                ex.run(executor_main(i, sh, addr, tx));
            })?;
        threads.push(t);
        match rx.recv() {
            Ok(Ok(bound)) => addr = bound,
            Ok(Err(e)) => {
                shared.shutdown.trigger();
                return Err(e);
            }
            Err(_) => {
                shared.shutdown.trigger();
                return Err(ServerError::Executor(format!(
                    "executor {i} exited during start-up"
                )));
            }
        }
    }
    // INFO's tcp_port and CONFIG GET port: 0 when only TLS is served, as Redis.
    let plain = !(shared.config.port == 0 && tls_port != 0);
    shared.port.store(
        if plain { addr.port() as u32 } else { 0 },
        Ordering::Relaxed,
    );
    Ok(Server {
        addr,
        shared,
        threads,
    })
}

/// Loads `dir/dbfilename` when it exists (start-up with the AOF off, as Redis): a file that
/// cannot be read stops start-up, as in Redis. Returns where a replica's data stands in its
/// master's stream, when the file says.
fn load_rdb(shared: &Arc<Shared>) -> Result<Option<crate::rdb::ReplPoint>, ServerError> {
    use crate::rdb::save::Host;
    let path = shared.rdb_path();
    if !path.exists() {
        return Ok(None);
    }
    let started = Instant::now();
    let mut replayer = crate::cmd::Replayer::new(shared);
    let loaded =
        crate::rdb::save::load_file(&shared.rdb, &path, &mut replayer).map_err(ServerError::Rdb)?;
    drop(replayer);
    crate::notice!(
        "DB loaded from disk: {}: {} keys ({} expired left out), {} function libraries, RDB version {}{} in {:.3} s",
        path.display(),
        loaded.keys,
        loaded.expired,
        loaded.functions,
        loaded.version,
        loaded
            .redis_ver
            .as_deref()
            .map_or(String::new(), |v| format!(" written by {v}")),
        started.elapsed().as_secs_f64()
    );
    // What was loaded counts as saved.
    let tx = Tx::open(&shared.ks);
    shared
        .rdb
        .changes_saved
        .store(tx.changes(), Ordering::Relaxed);
    Ok(loaded.repl)
}

/// Redis 7's append-only directory (`appenddirname`, `appendonlydir` by default), handed to
/// ringdis as it is: when ringdis's own file is missing or empty and the directory's manifest
/// exists, its base file (RDB or commands) and incremental files are loaded in order, the data
/// is written as ringdis's append-only file, and the keyspace is emptied again for the normal
/// load of that file. Redis's files are left as they were.
fn import_redis_aof_dir(shared: &Arc<Shared>) -> Result<(), ServerError> {
    let aof = &shared.aof;
    if std::fs::metadata(aof.path()).is_ok_and(|m| m.len() > 0) {
        return Ok(());
    }
    let name = shared.params.value("appenddirname");
    let dir = shared.config.dir.join(if name.is_empty() {
        "appendonlydir"
    } else {
        &name
    });
    let manifest = dir.join(format!("{}.manifest", shared.config.appendfilename));
    let Ok(text) = std::fs::read_to_string(&manifest) else {
        return Ok(());
    };
    let bad = |reason: String| ServerError::AofManifest {
        path: manifest.display().to_string(),
        reason,
    };
    let files = aof::manifest::parse(&text).map_err(bad)?;
    let started = Instant::now();
    let mut replayer = crate::cmd::Replayer::new(shared);
    for f in &files {
        let path = dir.join(&f.name);
        let data_is_rdb = std::fs::File::open(&path)
            .and_then(|mut fh| {
                let mut head = [0u8; 9];
                std::io::Read::read_exact(&mut fh, &mut head).map(|_| head)
            })
            .is_ok_and(|h| crate::rdb::looks_like_rdb(&h));
        if data_is_rdb {
            crate::rdb::save::load_file(&shared.rdb, &path, &mut replayer)
                .map_err(ServerError::Rdb)?;
        } else {
            aof::replay::load(&shared.ks, &path, false, |args| replayer.run(args))?;
        }
    }
    drop(replayer);
    // ringdis's own file, written as a rewrite writes it, then loaded the usual way.
    let tx = Tx::open(&shared.ks);
    let guards = tx.read_all();
    let keys = aof::replay::total_keys(&shared.ks);
    let tmp = aof
        .dir()
        .join(format!("{}import.aof", aof::rewrite::TEMP_PREFIX));
    let io = |source| ServerError::AofIo {
        path: aof.path().display().to_string(),
        source,
    };
    aof::rewrite::write_snapshot(&shared.functions.codes(), &guards, &tmp).map_err(io)?;
    drop(guards);
    std::fs::rename(&tmp, aof.path()).map_err(io)?;
    drop(tx);
    crate::cmd::Replayer::new(shared).run_argv(&[b"FLUSHALL", b"SYNC"]);
    crate::notice!(
        "imported Redis's {} ({} files, {keys} keys) into {} in {:.3} s",
        manifest.display(),
        files.len(),
        aof.path().display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Replays the append-only file (before any listener exists) and starts appending to it.
fn load_aof(shared: &Arc<Shared>) -> Result<(), ServerError> {
    let aof = &shared.aof;
    let io = |source| ServerError::AofIo {
        path: aof.path().display().to_string(),
        source,
    };
    if !aof.dir().is_dir() {
        return Err(io(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            "the directory does not exist",
        )));
    }
    aof::rewrite::remove_stale_temps(&aof.dir());
    import_redis_aof_dir(shared)?;
    // Fail now, with a clear message, if the file cannot be opened for appending.
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(aof::FILE_MODE)
        .open(aof.path())
        .map_err(io)?;
    let mut replayer = crate::cmd::Replayer::new(shared);
    let r = aof::replay::load(&shared.ks, &aof.path(), true, |args| replayer.run(args))?;
    crate::notice!(
        "loaded {}: {} records, {} keys in {:.3} s",
        aof.path().display(),
        r.records,
        r.keys,
        r.secs
    );
    aof.base_size.store(r.next, Ordering::Relaxed);
    aof.enable(r.next, r.size);
    Ok(())
}

async fn executor_main(
    idx: usize,
    shared: Arc<Shared>,
    addr: SocketAddr,
    ready: mpsc::Sender<Result<SocketAddr, ServerError>>,
) {
    // The TLS port, beside the plain one (each executor has its own SO_REUSEPORT listener).
    // `port 0` with a TLS port serves TLS only, as Redis; without one it asks for any free
    // port (Redis would refuse to start listening nowhere).
    let tls_port = crate::shared::tls::port(&shared.params);
    let listener = if shared.config.port == 0 && tls_port != 0 {
        None
    } else {
        match TcpListener::bind(addr) {
            Ok(l) => Some(l),
            Err(e) => {
                let _ = ready.send(Err(bind_error(addr, e)));
                return;
            }
        }
    };
    let tls_listener = if tls_port == 0 {
        None
    } else {
        let tls_addr = SocketAddr::new(addr.ip(), tls_port);
        match TcpListener::bind(tls_addr) {
            Ok(l) => Some(l),
            Err(e) => {
                let _ = ready.send(Err(bind_error(tls_addr, e)));
                return;
            }
        }
    };
    let readiness = match ready::Readiness::new() {
        Ok(r) => r,
        Err(e) => {
            let _ = ready.send(Err(ServerError::Executor(format!("epoll_create1: {e}"))));
            return;
        }
    };
    let _ = ready.send(
        listener
            .as_ref()
            .or(tls_listener.as_ref())
            .expect("a plain or a TLS listener")
            .local_addr()
            .map_err(|e| ServerError::Executor(e.to_string())),
    );
    drop(ready);
    glommio::spawn_local(readiness.clone().pump()).detach();

    // Raised by this executor's own ticker when it sees the shutdown flag: a same-thread wake-up.
    let stop_accepting = Rc::new(event_listener::Event::new());
    let local_aof = Rc::new(LocalAof::new(shared.aof.clone()));
    glommio::spawn_local(local_aof.clone().writer()).detach();
    let ticker = glommio::spawn_local(ticker(
        idx,
        shared.clone(),
        stop_accepting.clone(),
        local_aof.clone(),
    ));
    let gate = glommio::sync::Gate::new();
    let accepting = Accepting {
        idx,
        shared: &shared,
        stop_accepting: &stop_accepting,
        gate: &gate,
        local_aof: &local_aof,
        readiness: &readiness,
    };
    match (&listener, &tls_listener) {
        (Some(plain), Some(tls)) => {
            futures_lite::future::zip(accepting.run(plain, false), accepting.run(tls, true)).await;
        }
        (Some(plain), None) => accepting.run(plain, false).await,
        (None, Some(tls)) => accepting.run(tls, true).await,
        (None, None) => {}
    }
    drop(listener);
    drop(tls_listener);
    // Connections end once their clients are cut (SHUTDOWN_GRACE at the most). One that has
    // still not ended a second later is left behind rather than holding the exit for ever: a
    // restart in the model tests hung here, rarely, with a connection task never woken (the
    // cause is not found yet).
    futures_lite::future::or(
        async {
            let _ = gate.close().await;
        },
        glommio::timer::sleep(crate::shared::SHUTDOWN_GRACE + Duration::from_secs(1)),
    )
    .await;
    // Bounded waits arm a timer: an executor must not sleep for ever on a wake-up that was
    // lost (a restart in the tests hung with an executor asleep and no timer armed; the cause
    // is not found yet).
    let bounded = Duration::from_secs(5);
    futures_lite::future::or(ticker, async {
        glommio::timer::sleep(bounded).await;
    })
    .await;
    // Everything appended (by this executor's connections and expiry included) is written and
    // fdatasync'ed before the executor exits.
    futures_lite::future::or(local_aof.flush_and_sync(), async {
        glommio::timer::sleep(bounded).await;
        crate::warning!("executor {idx}: the last AOF sync did not finish within {bounded:?}");
    })
    .await;
}

/// What an executor's accept loops share.
struct Accepting<'a> {
    idx: usize,
    shared: &'a Arc<Shared>,
    stop_accepting: &'a Rc<event_listener::Event>,
    gate: &'a glommio::sync::Gate,
    local_aof: &'a Rc<LocalAof>,
    readiness: &'a Rc<ready::Readiness>,
}

impl Accepting<'_> {
    /// Accepts connections on `listener` (the TLS port's when `tls`) until the server stops.
    async fn run(&self, listener: &TcpListener, tls: bool) {
        let Accepting {
            idx,
            shared,
            stop_accepting,
            gate,
            local_aof,
            readiness,
        } = *self;
        let stats = &shared.stats[idx];
        // Given up for an instant when accept runs out of descriptors (see limits::spare_fd).
        let mut spare = limits::spare_fd();
        loop {
            let mut stop = stop_accepting.listen();
            if shared.shutdown.is_set() {
                break;
            }
            let accepted =
                futures_lite::future::or(async { Some(listener.accept().await) }, async {
                    (&mut stop).await;
                    None
                })
                .await;
            match accepted {
                None => break,
                Some(Ok(stream)) => {
                    clients::bump(&stats.connections, 1);
                    let Some(seat) = conn::Seat::take(shared) else {
                        clients::bump(&stats.rejected, 1);
                        conn::reject(&stream);
                        continue;
                    };
                    // A new connection takes the TLS settings of the moment (CONFIG SET may change
                    // them); without any (none could be built), it is refused.
                    let tls = if tls {
                        match shared.tls.current() {
                            Some(c) => Some(c),
                            None => continue,
                        }
                    } else {
                        None
                    };
                    if let Ok(task) = gate.spawn(conn::serve(
                        stream,
                        shared.clone(),
                        idx,
                        local_aof.clone(),
                        readiness.clone(),
                        seat,
                        tls,
                    )) {
                        task.detach();
                    }
                }
                Some(Err(e)) => {
                    let e = match e {
                        glommio::GlommioError::IoError(io) => io,
                        other => std::io::Error::other(other.to_string()),
                    };
                    // One line a second at most, for the whole server.
                    let now = crate::keyspace::now_ms();
                    let last = shared.accept_error_logged.load(Ordering::Relaxed);
                    if now >= last + 1000
                        && shared
                            .accept_error_logged
                            .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                            .is_ok()
                    {
                        crate::warning!("accept failed on executor {idx}: {e} (new connections are refused until descriptors free up; logged at most once a second)");
                    }
                    let mut refused = false;
                    if limits::out_of_fds(&e) {
                        // Take one waiting connection with the spare descriptor and refuse it, so
                        // clients get Redis's error instead of hanging in the backlog. (Another
                        // executor's accept may take the freed descriptor first: then the spare is
                        // taken again once a descriptor frees up.)
                        drop(spare.take());
                        let one = futures_lite::future::or(
                            async { listener.accept().await.ok() },
                            async {
                                glommio::timer::sleep(Duration::from_millis(1)).await;
                                None
                            },
                        )
                        .await;
                        if let Some(stream) = one {
                            clients::bump(&stats.connections, 1);
                            clients::bump(&stats.rejected, 1);
                            conn::reject(&stream);
                            refused = true;
                        }
                        spare = limits::spare_fd();
                    }
                    if !refused {
                        // Back off instead of spinning on an error that has not gone away.
                        glommio::timer::sleep(Duration::from_millis(10)).await;
                    }
                }
            }
        }
    }
}

/// Each executor's clock: `hz` times a second it runs the active expiry cycle (at most 25% of a
/// tick), and it turns the shutdown flag into a local wake-up of the accept loop.
/// Executor 0 also drives the AOF: it writes records nobody waits for, retries failed writes,
/// fdatasyncs once a second under everysec, and starts the automatic rewrite.
async fn ticker(
    idx: usize,
    shared: Arc<Shared>,
    stop_accepting: Rc<event_listener::Event>,
    local_aof: Rc<LocalAof>,
) {
    let mut cur = ExpiryCursor::default();
    let mut last_cycle = Instant::now();
    let mut last_idle_check = Instant::now();
    let mut last_save_check = Instant::now();
    let mut following = u64::MAX;
    let mut last_ping = Instant::now();
    loop {
        let tick = Duration::from_millis(1000 / shared.hz.load(Ordering::Relaxed).max(1) as u64);
        // Shutdown is checked at least every 50 ms, whatever hz is.
        glommio::timer::sleep(tick.min(Duration::from_millis(50))).await;
        crate::keyspace::access::tick_clock();
        if shared.shutdown.is_set() {
            stop_accepting.notify(usize::MAX);
            // Connections waiting on a failing AOF re-check and give up.
            shared.aof.wake_all();
            return;
        }
        if idx == 0 {
            shared.sample_rates();
            let timeout = shared.timeout.load(Ordering::Relaxed);
            if timeout > 0 && last_idle_check.elapsed() >= Duration::from_secs(1) {
                last_idle_check = Instant::now();
                shared.clients.close_idle(timeout);
            }
            if last_save_check.elapsed() >= Duration::from_secs(1) {
                last_save_check = Instant::now();
                save_point(&shared);
            }
            replication_tick(&shared, &mut following, &mut last_ping);
            local_aof.tick().await;
            if shared.aof.rewrite_due() {
                if let Err(e) = aof::rewrite::start(&shared, &Tx::open(&shared.ks), false) {
                    crate::notice!("automatic AOF rewrite: {e}");
                }
            }
        }
        // Keys that expired since (or changed outside a client's command) reach BCAST clients.
        shared.tracking.flush_bcast();
        if last_cycle.elapsed() >= tick && shared.active_expire.load(Ordering::Relaxed) {
            last_cycle = Instant::now();
            shared
                .ks
                .active_expire(idx, shared.threads, &mut cur, tick / 4);
        }
    }
}

/// Executor 0's replication duties: starts the link task when REPLICAOF named a new master,
/// and PINGs the replicas every `repl-ping-replica-period` seconds (so they can tell a silent
/// master from a dead one).
fn replication_tick(shared: &Arc<Shared>, following: &mut u64, last_ping: &mut Instant) {
    let gen = shared.repl.generation();
    if shared.repl.is_replica() && gen != *following {
        *following = gen;
        glommio::spawn_local(replica::follow(shared.clone(), gen)).detach();
    }
    let period = shared.params.int("repl-ping-replica-period").max(1) as u64;
    if last_ping.elapsed() >= Duration::from_secs(period) {
        *last_ping = Instant::now();
        if !shared.repl.lock().replicas.is_empty() {
            shared.aof.with_backlog(|b| b.command(&[b"PING"]));
        }
    }
}

/// Starts a background save when a save point (`save`) is reached.
fn save_point(shared: &Arc<Shared>) {
    let points = crate::shared::save_points(shared);
    if points.is_empty() {
        return;
    }
    let tx = Tx::open(&shared.ks);
    if crate::rdb::save::point_reached(&shared.rdb, &points, tx.changes()) {
        crate::notice!("A save point was reached. Saving...");
        if let Err(e) = crate::rdb::save::bgsave(shared, &tx) {
            crate::warning!("Can't save in background: {e:?}");
        }
    }
}

/// Runs the server until SHUTDOWN or SIGINT/SIGTERM; prints the ready line once listening.
pub fn run(config: Config) -> Result<(), ServerError> {
    if !config.logfile.is_empty() {
        to_logfile(&config.logfile)
            .map_err(|e| ServerError::Config(format!("logfile {}: {e}", config.logfile)))?;
    }
    // Absolute: CONFIG SET dir may change the working directory before it is removed.
    let pidfile = match config.pidfile.as_str() {
        "" => String::new(),
        p => std::path::absolute(p).map_or_else(|_| p.into(), |a| a.display().to_string()),
    };
    let server = start(config)?;
    if !pidfile.is_empty() {
        // As Redis: a pidfile that cannot be written is logged, not fatal.
        if let Err(e) = std::fs::write(&pidfile, format!("{}\n", std::process::id())) {
            crate::warning!("could not write the pidfile {pidfile}: {e}");
        }
    }
    let shared = server.shared.clone();
    // glommio has no signal API: a plain thread waits for the signals and raises the shutdown.
    let mut signals = signal_hook::iterator::Signals::new([
        signal_hook::consts::SIGINT,
        signal_hook::consts::SIGTERM,
    ])?;
    let handle = signals.handle();
    std::thread::Builder::new()
        .name("ringdis-signals".into())
        .spawn(move || {
            for sig in signals.forever() {
                crate::warning!("Received signal {sig}, scheduling shutdown...");
                // As Redis: with save points set, the RDB file is written first, and a save
                // that fails keeps the server running (a second signal tries again).
                if !crate::shared::save_points(&shared).is_empty() && !shared.shutdown.is_set() {
                    let tx = Tx::open(&shared.ks);
                    if crate::rdb::save::save(&*shared, &tx).is_err() {
                        crate::warning!("Error trying to save the DB, can't exit.");
                        continue;
                    }
                }
                shared.begin_shutdown();
                break;
            }
        })?;
    println!(
        "ringdis {} ready to accept connections on {} ({} executor{})",
        env!("CARGO_PKG_VERSION"),
        server.addr,
        server.shared.threads,
        if server.shared.threads == 1 { "" } else { "s" }
    );
    crate::notice!("Ready to accept connections tcp");
    let supervised = supervise::wanted(&server.shared);
    if supervised {
        supervise::notify("STATUS=Ready to accept connections\nREADY=1\n");
    }
    let state = server.shared.clone();
    server.join();
    replica::save_state(&state);
    if supervised {
        supervise::notify("STOPPING=1\n");
    }
    handle.close();
    if !pidfile.is_empty() {
        let _ = std::fs::remove_file(&pidfile);
    }
    crate::warning!("ringdis is now ready to exit, bye bye...");
    Ok(())
}

/// Points standard output and error at `path` (appended, created 0644 less the umask).
fn to_logfile(path: &str) -> std::io::Result<()> {
    use std::os::fd::AsRawFd;
    let f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(aof::FILE_MODE)
        .open(path)?;
    for fd in [1, 2] {
        // SAFETY: dup2 of a descriptor we own onto stdout/stderr, before any other thread
        // exists; the file stays open through the copies after `f` is dropped.
        if unsafe { libc::dup2(f.as_raw_fd(), fd) } < 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(())
}
