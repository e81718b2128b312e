//! The program's own code and read-only data, mapped at start-up.
//!
//! A kernel maps a binary's code pages lazily, as each is first run. ringdis's code is several
//! megabytes with the hot paths of a command spread over it, so without this the first commands
//! of each kind take page faults on the request path, and the server's RSS grows by the code
//! they first ran as if it were data (README, "Memory"). Mapping the whole text of the binary and
//! its libraries at once puts those pages in the RSS at start, as Redis's smaller binary already
//! is by the time it answers. The pages are the files', shared with the page cache, not
//! anonymous memory.

use std::ffi::c_void;

/// Faults in every page of the read-only mappings (code, constants) of the executable and the
/// libraries it loaded (best effort: nothing is reported).
pub fn map_program_code() {
    let Ok(maps) = std::fs::read_to_string("/proc/self/maps") else {
        return;
    };
    for line in maps.lines() {
        // start-end perms offset dev inode path
        let mut f = line.split_whitespace();
        let (Some(range), Some(perms)) = (f.next(), f.next()) else {
            continue;
        };
        // Code (r-x) and read-only data (r--) of files; written data is the process's own.
        let read_only = perms.starts_with("r-");
        if !read_only || !f.nth(3).is_some_and(|path| path.starts_with('/')) {
            continue;
        }
        let Some((a, b)) = range.split_once('-') else {
            continue;
        };
        let (Ok(start), Ok(end)) = (usize::from_str_radix(a, 16), usize::from_str_radix(b, 16))
        else {
            continue;
        };
        // SAFETY: the range is one of this process's own mappings as the kernel lists it;
        // MADV_POPULATE_READ only faults its pages in, as reading them would, and changes nothing.
        let r =
            unsafe { libc::madvise(start as *mut c_void, end - start, libc::MADV_POPULATE_READ) };
        // EINVAL: a kernel before 5.14, without the advice; read one byte of each page instead.
        // (Any other failure is left alone: EFAULT means a page that a read would fault on.)
        if r != 0 && std::io::Error::last_os_error().raw_os_error() == Some(libc::EINVAL) {
            for page in (start..end).step_by(4096) {
                // SAFETY: `page` lies in a readable (r-x or r--) mapping of the binary or one of
                // its libraries, mapped for the process's lifetime.
                unsafe { std::ptr::read_volatile(page as *const u8) };
            }
        }
    }
}
