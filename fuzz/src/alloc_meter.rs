//! A counting global allocator: how many allocations one input caused on the fuzzing thread and
//! the peak of the bytes it held, so a target can assert bounded memory and bounded work without
//! a clock.
//!
//! Counters are per thread (cargo runs tests on parallel threads); memory freed by another
//! thread than the one that allocated it is not subtracted from the allocating thread, so a
//! measurement over-counts rather than under-counts.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

/// What one measured call allocated on its thread.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Usage {
    /// Allocations (and reallocations) made.
    pub allocations: u64,
    /// The most bytes held at once above what was held when the measurement started.
    pub peak_bytes: u64,
}

thread_local! {
    static LIVE: Cell<i64> = const { Cell::new(0) };
    static PEAK: Cell<i64> = const { Cell::new(0) };
    static COUNT: Cell<u64> = const { Cell::new(0) };
}

fn grew(by: i64) {
    let _ = LIVE.try_with(|live| {
        let now = live.get() + by;
        live.set(now);
        let _ = PEAK.try_with(|peak| {
            if now > peak.get() {
                peak.set(now);
            }
        });
    });
    if by > 0 {
        let _ = COUNT.try_with(|c| c.set(c.get() + 1));
    }
}

/// The system allocator with per-thread counters (installed as the global allocator of every
/// binary that links this crate: the fuzz tests only).
pub struct CountingAllocator;

// The one place with `unsafe` in the fuzz crate: a GlobalAlloc must be an unsafe impl. Every
// method only forwards to the system allocator and updates thread-local counters, which never
// allocate (const-initialised `Cell`s without destructors).
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        grew(layout.size() as i64);
        // SAFETY: forwarded unchanged; the caller upholds `alloc`'s contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        grew(layout.size() as i64);
        // SAFETY: forwarded unchanged; the caller upholds `alloc_zeroed`'s contract.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        let _ = LIVE.try_with(|live| live.set(live.get() - layout.size() as i64));
        // SAFETY: forwarded unchanged; the caller upholds `dealloc`'s contract.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        grew(new_size as i64 - layout.size() as i64);
        let _ = COUNT.try_with(|c| c.set(c.get() + 1));
        // SAFETY: forwarded unchanged; the caller upholds `realloc`'s contract.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

/// Runs `f` and returns its result with what it allocated on this thread.
pub fn measure<T>(f: impl FnOnce() -> T) -> (T, Usage) {
    let start_live = LIVE.with(Cell::get);
    let start_count = COUNT.with(Cell::get);
    PEAK.with(|p| p.set(start_live));
    let out = f();
    let usage = Usage {
        allocations: COUNT.with(Cell::get) - start_count,
        peak_bytes: (PEAK.with(Cell::get) - start_live).max(0) as u64,
    };
    (out, usage)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_this_threads_allocations_and_peak() {
        let (v, usage) = measure(|| {
            let big = vec![1u8; 1 << 20];
            drop(big);
            vec![0u8; 1000]
        });
        assert_eq!(v.len(), 1000);
        assert!(usage.allocations >= 2, "{usage:?}");
        assert!(usage.peak_bytes >= 1 << 20, "{usage:?}");
        assert!(usage.peak_bytes < 2 << 20, "{usage:?}");
        let ((), none) = measure(|| {});
        assert_eq!(none, Usage::default());
    }
}
