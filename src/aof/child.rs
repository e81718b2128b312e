//! Forked writers: the AOF rewrite and BGSAVE both fork a child that writes a file from the
//! shards the parent holds, then poll for it on a timer.

use std::io;
use std::time::Duration;

/// Forks a child that runs `work` and exits (status 0 when it returns Ok, 1 otherwise, its
/// error written to stderr after `what`); returns the child's pid to the parent.
///
/// The caller holds, on this thread, every shard lock `work` reads through: no other thread
/// can be mid-write when the process forks.
pub fn fork(what: &str, work: impl FnOnce() -> io::Result<()>) -> io::Result<i32> {
    // SAFETY: fork in a multi-threaded process: the child only reads the shards through the
    // guards the calling thread holds (no other thread can be mid-write: the caller holds all
    // shard locks), allocates through glibc (whose fork keeps malloc usable in the child), writes
    // a file with plain system calls, and leaves with _exit, never returning into the executor.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(io::Error::last_os_error());
    }
    if pid > 0 {
        return Ok(pid);
    }
    // The child must not outlive a server that was killed: its file would be deleted at the
    // next start anyway.
    // SAFETY: prctl with PR_SET_PDEATHSIG and a signal number has no memory effects.
    unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) };
    let code = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(work)) {
        Ok(Ok(())) => 0,
        Ok(Err(e)) => {
            // Not eprintln: another thread may have held the stderr lock at fork time.
            let msg = format!("ringdis: {what} child: {e}\n");
            // SAFETY: writes our own buffer to fd 2.
            unsafe { libc::write(2, msg.as_ptr().cast(), msg.len()) };
            1
        }
        Err(_) => 1,
    };
    // SAFETY: ends the child without running the parent's destructors or atexit handlers.
    unsafe { libc::_exit(code) }
}

/// Waits (polling every 10 ms on the executor's timer) until child `pid` exits: Ok when it
/// exited with status 0. When `stopping()` turns true first, the child is killed and reaped.
pub async fn wait(pid: i32, stopping: impl Fn() -> bool) -> io::Result<()> {
    loop {
        let mut status = 0;
        // SAFETY: waitpid on our own child, non-blocking, with a valid status pointer.
        let r = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
        if r == pid {
            if libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0 {
                return Ok(());
            }
            return Err(io::Error::other(format!(
                "the child exited with status {status}"
            )));
        }
        if r < 0 {
            return Err(io::Error::last_os_error());
        }
        if stopping() {
            // SAFETY: signals our own child, then reaps it.
            unsafe {
                libc::kill(pid, libc::SIGKILL);
                libc::waitpid(pid, &mut status, 0);
            }
            return Err(io::Error::other("server shutting down"));
        }
        glommio::timer::sleep(Duration::from_millis(10)).await;
    }
}

/// Removes the files named `prefix…suffix` in `dir`: what a child killed mid-write left.
pub fn remove_temps(dir: &std::path::Path, prefix: &str, suffix: &str) {
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let name = e.file_name();
            let name = name.to_string_lossy();
            if name.starts_with(prefix) && name.ends_with(suffix) {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
}
