//! The server log, in Redis's line format: `pid:role dd Mon yyyy hh:mm:ss.mmm <mark> message`,
//! where role is `M` (the server) or `C` (a child process, such as the AOF rewrite), and the
//! mark gives the level: `.` debug, `-` verbose, `*` notice, `#` warning. `loglevel` (CONFIG
//! SET too) drops the lines below it. Lines go to standard error, which `logfile` sends to the
//! file.

use std::io::Write;
use std::sync::atomic::{AtomicU8, Ordering};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
pub enum Level {
    Debug = 0,
    Verbose = 1,
    Notice = 2,
    Warning = 3,
}

impl Level {
    /// A `loglevel` value (any case).
    pub fn parse(s: &str) -> Option<Level> {
        Some(match s.to_ascii_lowercase().as_str() {
            "debug" => Level::Debug,
            "verbose" => Level::Verbose,
            "notice" => Level::Notice,
            "warning" => Level::Warning,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Level::Debug => "debug",
            Level::Verbose => "verbose",
            Level::Notice => "notice",
            Level::Warning => "warning",
        }
    }

    fn mark(self) -> char {
        match self {
            Level::Debug => '.',
            Level::Verbose => '-',
            Level::Notice => '*',
            _ => '#',
        }
    }
}

static LEVEL: AtomicU8 = AtomicU8::new(Level::Notice as u8);
static ROLE: AtomicU8 = AtomicU8::new(b'M');

pub fn set_level(l: Level) {
    LEVEL.store(l as u8, Ordering::Relaxed);
}

pub fn level() -> Level {
    match LEVEL.load(Ordering::Relaxed) {
        0 => Level::Debug,
        1 => Level::Verbose,
        2 => Level::Notice,
        _ => Level::Warning,
    }
}

/// Marks this process as a child (`C` in its lines).
pub fn set_child() {
    ROLE.store(b'C', Ordering::Relaxed);
}

/// Marks this process as a replica (`S` in its lines) or a master (`M`).
pub fn set_replica(replica: bool) {
    ROLE.store(if replica { b'S' } else { b'M' }, Ordering::Relaxed);
}

/// Whether a line at `l` would be written.
pub fn enabled(l: Level) -> bool {
    l >= level()
}

/// Local time as Redis prints it: `03 Dec 2026 17:34:25.123`.
fn timestamp() -> String {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes the timespec we own.
    unsafe { libc::clock_gettime(libc::CLOCK_REALTIME, &mut ts) };
    // SAFETY: an all-zero `tm` is a valid value; localtime_r fills it from the time we own.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    // SAFETY: both pointers are to values we own, valid for the call.
    unsafe { libc::localtime_r(&ts.tv_sec, &mut tm) };
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{:02} {} {} {:02}:{:02}:{:02}.{:03}",
        tm.tm_mday,
        MONTHS[tm.tm_mon.clamp(0, 11) as usize],
        tm.tm_year + 1900,
        tm.tm_hour,
        tm.tm_min,
        tm.tm_sec,
        ts.tv_nsec / 1_000_000
    )
}

/// One line, if `loglevel` lets it through.
pub fn write(l: Level, msg: std::fmt::Arguments) {
    if !enabled(l) {
        return;
    }
    let line = format!(
        "{}:{} {} {} {msg}\n",
        std::process::id(),
        ROLE.load(Ordering::Relaxed) as char,
        timestamp(),
        l.mark()
    );
    // One write per line, so lines of different threads do not interleave.
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
}

/// `warning!("...", args)`: a line at the warning level.
#[macro_export]
macro_rules! warning {
    ($($t:tt)*) => { $crate::log::write($crate::log::Level::Warning, format_args!($($t)*)) };
}

/// `notice!("...", args)`: a line at the notice level (the default one).
#[macro_export]
macro_rules! notice {
    ($($t:tt)*) => { $crate::log::write($crate::log::Level::Notice, format_args!($($t)*)) };
}

/// `verbose!("...", args)`: a line at the verbose level.
#[macro_export]
macro_rules! verbose {
    ($($t:tt)*) => { $crate::log::write($crate::log::Level::Verbose, format_args!($($t)*)) };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_parse_and_filter() {
        assert_eq!(Level::parse("WARNING"), Some(Level::Warning));
        assert_eq!(Level::parse("loud"), None);
        set_level(Level::Warning);
        assert!(!enabled(Level::Notice));
        assert!(enabled(Level::Warning));
        set_level(Level::Notice);
        let t = timestamp();
        // `03 Dec 2026 17:34:25.123`
        assert_eq!(t.len(), 24, "{t}");
        assert_eq!(&t[2..3], " ");
        assert_eq!(&t[20..21], ".");
    }
}
