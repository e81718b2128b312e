//! The global allocator: the system's, counted, so that `used_memory` (INFO memory, maxmemory)
//! is what the allocator has handed out, read without asking the allocator (glibc's mallinfo2
//! takes every arena's lock).
//!
//! Each thread keeps its own running difference and folds it into one shared total once it
//! passes [`FOLD`] bytes either way, so an allocation costs no shared atomic; the total is off by
//! at most `FOLD` per thread.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};

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

/// What a block really takes (glibc rounds a request up).
#[inline]
fn usable(p: *mut u8) -> i64 {
    // SAFETY: `p` is a live block this allocator (glibc's malloc underneath) handed out.
    unsafe { libc::malloc_usable_size(p as *mut libc::c_void) as i64 }
}

// SAFETY: every call is passed to `System` unchanged; the counting reads the blocks' sizes only.
unsafe impl GlobalAlloc for Counting {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc(layout);
        if !p.is_null() {
            if !INSTALLED.load(Ordering::Relaxed) {
                INSTALLED.store(true, Ordering::Relaxed);
            }
            count(usable(p));
        }
        p
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc_zeroed(layout);
        if !p.is_null() {
            count(usable(p));
        }
        p
    }

    #[inline]
    unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
        count(-usable(p));
        System.dealloc(p, layout);
    }

    #[inline]
    unsafe fn realloc(&self, p: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let before = usable(p);
        let q = System.realloc(p, layout, new_size);
        if !q.is_null() {
            count(usable(q) - before);
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
