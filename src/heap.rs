//! Live heap accounting: a global allocator that counts the bytes currently allocated.
//!
//! The `authlab` binary installs [`CountingAllocator`] as its `#[global_allocator]`, so a node can
//! report exactly how much heap it holds (`authlab_heap_bytes`). One relaxed atomic add per
//! allocation is the whole cost.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed};

static LIVE_BYTES: AtomicUsize = AtomicUsize::new(0);
static IN_USE: AtomicBool = AtomicBool::new(false);

/// The system allocator, with a count of live bytes.
pub struct CountingAllocator;

// SAFETY: every call is forwarded unchanged to the system allocator; only a counter is added.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            LIVE_BYTES.fetch_add(layout.size(), Relaxed);
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if !ptr.is_null() {
            LIVE_BYTES.fetch_add(layout.size(), Relaxed);
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE_BYTES.fetch_sub(layout.size(), Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let new_ptr = unsafe { System.realloc(ptr, layout, new_size) };
        if !new_ptr.is_null() {
            if new_size >= layout.size() {
                LIVE_BYTES.fetch_add(new_size - layout.size(), Relaxed);
            } else {
                LIVE_BYTES.fetch_sub(layout.size() - new_size, Relaxed);
            }
        }
        new_ptr
    }
}

impl CountingAllocator {
    /// Marks the allocator as installed, so [`heap_bytes`] can tell a real zero from "not counting".
    pub fn mark_installed() {
        IN_USE.store(true, Relaxed);
    }
}

/// Bytes of heap currently allocated, or `None` when the counting allocator is not installed.
pub fn heap_bytes() -> Option<usize> {
    IN_USE.load(Relaxed).then(|| LIVE_BYTES.load(Relaxed))
}
