//! What bounds one client: the query and output buffer limits (what happens to a client that
//! passes them), and the descriptor limit that maxclients must fit in.

use super::clients::{bump, ClientHandle};
use super::Shared;
use std::sync::atomic::Ordering;

/// Descriptors kept for the server's own use besides clients, as Redis's
/// CONFIG_MIN_RESERVED_FDS (listeners, files, the AOF rewrite's pipes).
const RESERVED_FDS: u64 = 32;
/// What each executor holds open itself: its io_uring rings and their eventfd, its epoll set, its
/// listener, its handle of the append-only file and its spare descriptor (see [`spare_fd`]).
const FDS_PER_EXECUTOR: u64 = 8;

/// Descriptors the server needs besides one per client.
pub fn reserved_fds(threads: usize) -> u64 {
    RESERVED_FDS + FDS_PER_EXECUTOR * threads as u64
}

/// Closes a client whose unsent replies passed its class's client-output-buffer-limit, as Redis
/// does (logged, counted in INFO stats). Called by its own connection or by a publisher, from
/// executor `exec` (None: a keyspace notification, which knows no executor).
pub fn drop_over_output_limit(sh: &Shared, exec: Option<usize>, h: &ClientHandle) {
    let info = h.info_line("NULL");
    if sh.clients.kill(|c| c.id == h.id).is_empty() && !h.killed.load(Ordering::Acquire) {
        return;
    }
    match exec {
        Some(exec) => bump(&sh.stats[exec].output_limit_disconnections, 1),
        None => {
            sh.notify_disconnections.fetch_add(1, Ordering::Relaxed);
        }
    }
    crate::warning!(
        "Client {info} scheduled to be closed ASAP for overcoming of output buffer limits."
    );
}

/// Logs and counts a client closed for passing client-query-buffer-limit; `head` is the start
/// of what it sent.
pub fn log_query_limit(sh: &Shared, exec: usize, h: &ClientHandle, head: &[u8]) {
    bump(&sh.stats[exec].query_limit_disconnections, 1);
    crate::warning!(
        "Closing client that reached max query buffer length: {} (qbuf initial bytes: {})",
        h.info_line("NULL"),
        repr(&head[..head.len().min(64)])
    );
}

/// Bytes as Redis's sdscatrepr quotes them: `"*2\r\n$3\r\nSET..."`.
pub fn repr(b: &[u8]) -> String {
    let mut s = String::from("\"");
    for &c in b {
        match c {
            b'\\' => s.push_str("\\\\"),
            b'"' => s.push_str("\\\""),
            b'\n' => s.push_str("\\n"),
            b'\r' => s.push_str("\\r"),
            b'\t' => s.push_str("\\t"),
            7 => s.push_str("\\a"),
            8 => s.push_str("\\b"),
            0x20..=0x7e => s.push(c as char),
            _ => s.push_str(&format!("\\x{c:02x}")),
        }
    }
    s.push('"');
    s
}

fn nofile() -> std::io::Result<libc::rlimit> {
    let mut r = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes one rlimit into `r`.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut r) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(r)
}

fn set_nofile(cur: u64, max: u64) -> std::io::Result<()> {
    let r = libc::rlimit {
        rlim_cur: cur,
        rlim_max: max,
    };
    // SAFETY: setrlimit reads one rlimit from `r`.
    if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &r) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

/// The outcome of fitting maxclients into the descriptor limit.
#[derive(Debug, PartialEq, Eq)]
pub struct FdFit {
    /// maxclients to use: the one asked for, or what the descriptor limit leaves room for.
    pub maxclients: u64,
    /// The soft RLIMIT_NOFILE now in force.
    pub limit: u64,
    /// What to log, in Redis's words.
    pub notes: Vec<String>,
}

/// Raises the soft RLIMIT_NOFILE toward `maxclients` + the reserved descriptors (the hard limit
/// too, where the process may), as Redis's adjustOpenFilesLimit does; where the limit stays
/// lower, maxclients is lowered to fit, and said why. Err: not even one client fits.
pub fn fit_open_files(maxclients: u64, threads: usize) -> Result<FdFit, String> {
    let reserved = reserved_fds(threads);
    let need = maxclients.saturating_add(reserved);
    // Without an answer, assume the common default, as Redis does.
    let old = nofile().unwrap_or(libc::rlimit {
        rlim_cur: 1024,
        rlim_max: 1024,
    });
    let mut notes = Vec::new();
    if old.rlim_cur >= need {
        return Ok(FdFit {
            maxclients,
            limit: old.rlim_cur,
            notes,
        });
    }
    // Raising the hard limit needs privileges; without them, the soft one goes up to the hard.
    let raised = set_nofile(need, need.max(old.rlim_max))
        .map(|_| need)
        .or_else(|e| {
            let best = need.min(old.rlim_max);
            if best > old.rlim_cur {
                set_nofile(best, old.rlim_max).map(|_| best)
            } else {
                Err(e)
            }
        });
    let (limit, err) = match raised {
        Ok(l) => (l, None),
        Err(e) => (old.rlim_cur, Some(e)),
    };
    if limit >= need {
        notes.push(format!(
            "Increased maximum number of open files to {need} (it was originally set to {}).",
            old.rlim_cur
        ));
        return Ok(FdFit {
            maxclients,
            limit,
            notes,
        });
    }
    if limit <= reserved {
        return Err(format!(
            "Your current 'ulimit -n' of {limit} is not enough for the server to start. Please increase your open file limit to at least {}. Exiting.",
            reserved + 1
        ));
    }
    let fitted = limit - reserved;
    notes.push(format!(
        "You requested maxclients of {maxclients} requiring at least {need} max file descriptors."
    ));
    let why = err.map_or_else(
        || "the hard limit is lower".to_string(),
        |e| {
            // As strerror words it, without Rust's " (os error N)".
            let t = e.to_string();
            t.split(" (os error").next().unwrap_or(&t).to_string()
        },
    );
    notes.push(format!(
        "Server can't set maximum open files to {need} because of OS error: {why}."
    ));
    notes.push(format!(
        "Current maximum open files is {limit}. maxclients has been reduced to {fitted} to compensate for low ulimit. If you need higher maxclients increase 'ulimit -n'."
    ));
    Ok(FdFit {
        maxclients: fitted,
        limit,
        notes,
    })
}

/// Makes memory a client's large request or reply allocated go back to the system once it is
/// freed. glibc serves allocations of 128 KB or more with their own mappings, given back at
/// free, but raises that threshold to the size of every such block freed (up to 32 MB): after
/// one client's 16 MB argument vector was freed, the next ones came from the heap and stayed
/// there (60 MB of RSS kept after 20 one-million-argument commands, with every connection
/// idle). A fixed threshold keeps it where it starts.
pub fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes the allocator's parameters; it has no preconditions.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 256 * 1024);
    }
}

/// A descriptor held in reserve by each executor's accept loop: when accept fails for lack of
/// descriptors, it is closed so that one pending connection can be accepted and told
/// `-ERR max number of clients reached` instead of hanging in the backlog, then taken again.
pub fn spare_fd() -> Option<std::os::fd::OwnedFd> {
    std::fs::File::open("/dev/null").ok().map(Into::into)
}

/// Whether an accept error means the process or the system ran out of descriptors.
pub fn out_of_fds(e: &std::io::Error) -> bool {
    matches!(e.raw_os_error(), Some(libc::EMFILE) | Some(libc::ENFILE))
}

/// Bytes the allocator has handed out (the counting allocator's total; glibc's mallinfo2 where
/// it is not installed), for INFO memory and maxmemory.
pub fn allocated_bytes() -> u64 {
    if let Some(n) = crate::alloc::allocated() {
        return n;
    }
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: mallinfo2 only reads the allocator's statistics; it has no preconditions.
        let m = unsafe { libc::mallinfo2() };
        (m.uordblks + m.hblkhd) as u64
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        0
    }
}

/// The resident set size (/proc/self/statm), for INFO and MEMORY STATS.
pub fn rss_bytes() -> u64 {
    let pages = std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| {
            s.split_whitespace()
                .nth(1)
                .and_then(|p| p.parse::<u64>().ok())
        })
        .unwrap_or(0);
    pages * 4096
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repr_quotes_like_sdscatrepr() {
        assert_eq!(repr(b"*1\r\n$4\r\nPING"), r#""*1\r\n$4\r\nPING""#);
        assert_eq!(repr(b"a\"\\\x00\xff"), r#""a\"\\\x00\xff""#);
    }

    #[test]
    fn maxclients_that_fit_change_nothing() {
        let cur = nofile().unwrap().rlim_cur;
        let fit = fit_open_files(1, 1).unwrap();
        assert_eq!(fit.maxclients, 1);
        assert!(fit.notes.is_empty() || cur < reserved_fds(1) + 1);
    }
}
