//! The global allocator: jemalloc, counted, so that `used_memory` (INFO memory, maxmemory) is
//! what the allocator has handed out, read without asking the allocator.
//!
//! jemalloc rather than glibc's malloc (or mimalloc), by measurement (README, "Memory"): its
//! size classes fit ringdis's many small blocks (keys, values, nodes) closer, for less RSS per
//! element on every row of tools/bench_memory.py, at the same CPU per request.
//!
//! Each thread keeps its own running difference and folds it into one shared total once it
//! passes [`FOLD`] bytes either way, so an allocation costs no shared atomic; the total is off by
//! at most `FOLD` per thread.

use std::alloc::{GlobalAlloc, Layout};
use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use tikv_jemallocator::Jemalloc;

/// The counting allocator; the binary installs it with `#[global_allocator]`.
pub struct Counting;

static TOTAL: AtomicI64 = AtomicI64::new(0);
static INSTALLED: AtomicBool = AtomicBool::new(false);
const FOLD: i64 = 128 << 10;

thread_local! {
    static DRIFT: Cell<i64> = const { Cell::new(0) };
}

#[inline]
fn count(delta: i64) {
    let folded = DRIFT.try_with(|d| {
        let v = d.get() + delta;
        if v.abs() >= FOLD {
            TOTAL.fetch_add(v, Ordering::Relaxed);
            d.set(0);
        } else {
            d.set(v);
        }
    });
    if folded.is_err() {
        // The thread is ending: its slot is gone, the total takes the bytes directly.
        TOTAL.fetch_add(delta, Ordering::Relaxed);
    }
}

/// What a block of `size` bytes aligned to `align` really takes: jemalloc's size class, worked
/// out from the request (no lookup of the block), with the flags tikv-jemallocator passes.
#[inline]
fn usable(size: usize, align: usize) -> i64 {
    let flags = if align <= 16 && align <= size {
        if size <= SIZE_CLASS_MAX {
            return size_class(size) as i64;
        }
        0
    } else {
        tikv_jemalloc_sys::MALLOCX_ALIGN(align)
    };
    // SAFETY: nallocx only computes a size class; it has no preconditions besides size > 0,
    // which every Rust allocation request meets.
    unsafe { tikv_jemalloc_sys::nallocx(size, flags) as i64 }
}

/// Up to here [`size_class`] is jemalloc's own rounding (a test checks it against `nallocx`).
const SIZE_CLASS_MAX: usize = 1 << 20;

/// jemalloc's size class for `size` (1..=SIZE_CLASS_MAX, no alignment beyond 16), computed
/// inline: a call into `nallocx` for every allocation and free was the largest part of the
/// counting's cost. The classes (16-byte quantum, four per doubling): 8, 16, 32, 48, ... 128,
/// then 160, 192, 224, 256, 320, ...
#[inline]
fn size_class(size: usize) -> usize {
    if size <= 8 {
        return 8;
    }
    if size <= 128 {
        return (size + 15) & !15;
    }
    // Four classes between 2^k (exclusive) and 2^(k+1) (inclusive), 2^(k-2) apart.
    let k = usize::BITS - 1 - (size - 1).leading_zeros();
    let delta = 1usize << (k - 2);
    (size + delta - 1) & !(delta - 1)
}

// SAFETY: every call is passed to jemalloc unchanged; the counting only adds up sizes.
unsafe impl GlobalAlloc for Counting {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = Jemalloc.alloc(layout);
        if !p.is_null() {
            if !INSTALLED.load(Ordering::Relaxed) {
                INSTALLED.store(true, Ordering::Relaxed);
            }
            count(usable(layout.size(), layout.align()));
        }
        p
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = Jemalloc.alloc_zeroed(layout);
        if !p.is_null() {
            count(usable(layout.size(), layout.align()));
        }
        p
    }

    #[inline]
    unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
        count(-usable(layout.size(), layout.align()));
        Jemalloc.dealloc(p, layout);
    }

    #[inline]
    unsafe fn realloc(&self, p: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let q = Jemalloc.realloc(p, layout, new_size);
        if !q.is_null() {
            count(usable(new_size, layout.align()) - usable(layout.size(), layout.align()));
        }
        q
    }
}

/// Bytes the counting allocator has handed out and not taken back, or None when it is not the
/// global allocator (the library used on its own, as by tests).
pub fn allocated() -> Option<u64> {
    if !INSTALLED.load(Ordering::Relaxed) {
        return None;
    }
    Some(TOTAL.load(Ordering::Relaxed).max(0) as u64)
}

/// The allocator's name as INFO's mem_allocator gives it.
pub fn name() -> &'static str {
    if INSTALLED.load(Ordering::Relaxed) {
        "jemalloc-5.3.0"
    } else {
        "libc"
    }
}

/// MEMORY MALLOC-STATS: jemalloc's own report (`malloc_stats_print`), as Redis gives it; None
/// where jemalloc is not the global allocator.
pub fn stats_report() -> Option<String> {
    if !INSTALLED.load(Ordering::Relaxed) {
        return None;
    }
    extern "C" fn write(out: *mut std::ffi::c_void, text: *const std::ffi::c_char) {
        // SAFETY: `out` is the String passed below, alive for the call; jemalloc passes a
        // NUL-terminated string.
        unsafe {
            let out = &mut *(out as *mut String);
            out.push_str(&std::ffi::CStr::from_ptr(text).to_string_lossy());
        }
    }
    let mut out = String::new();
    // SAFETY: the callback writes only into `out`, which outlives the call; no options string.
    unsafe {
        tikv_jemalloc_sys::malloc_stats_print(
            Some(write),
            &mut out as *mut String as *mut std::ffi::c_void,
            std::ptr::null(),
        );
    }
    Some(out)
}

/// MEMORY PURGE: hands the allocator's free pages back to the system (every jemalloc arena's,
/// as Redis's jemalloc_purge; glibc's malloc_trim where jemalloc is not installed).
pub fn purge() {
    if INSTALLED.load(Ordering::Relaxed) {
        // MALLCTL_ARENAS_ALL: every arena.
        let name = c"arena.4096.purge";
        // SAFETY: a void mallctl: no old or new value is read or written.
        unsafe {
            tikv_jemalloc_sys::mallctl(
                name.as_ptr(),
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                0,
            );
        }
        return;
    }
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free pages of the allocator's own heaps.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn size_classes_are_jemallocs() {
        for size in 1..=super::SIZE_CLASS_MAX {
            // SAFETY: nallocx only computes a size class; size > 0.
            let want = unsafe { tikv_jemalloc_sys::nallocx(size, 0) };
            assert_eq!(super::size_class(size), want, "size {size}");
        }
    }
}
