//! The binary's global allocator: mimalloc, asked for alignment only when the size does not
//! already give it.
//!
//! The `mimalloc` crate's allocator passes every request to `mi_malloc_aligned`, alignment 8
//! included. mimalloc 3 serves that from a small page's free list when the next block happens
//! to be aligned, and otherwise (the page is empty, or the size is above its small-object
//! limit) takes it as plain `mi_malloc` only for power-of-two block sizes: anything else is
//! over-allocated by the alignment and marked as holding interior pointers, which `mi_free`
//! then has to undo: hyper's 8 KiB read buffers every time, and any block of an odd size class
//! whenever its page ran dry. Taking the plain path where it is enough cut the allocator's share
//! of a proxied `tools/call` from about 5,000 instructions to 3,500 (callgrind, c=32: 64,243 ->
//! 62,819 per call through an HTTP backend, 44,849 -> 43,647 through stdio). Rust's own `System`
//! allocator makes the same choice: a request whose alignment malloc already guarantees for its
//! size goes to plain malloc.
//!
//! mimalloc guarantees it as follows: every block size class is a multiple of 8 bytes and,
//! above 16 bytes, of 16; a page's first block is 16-aligned. So a block of `size` bytes is
//! aligned to `min(16, the largest power of two dividing its class)`, which is at least any
//! alignment `<= min(16, size)` (a Rust layout's size is a multiple of its alignment).

use std::alloc::{GlobalAlloc, Layout};
use std::ffi::c_void;

use libmimalloc_sys::{
    mi_free, mi_malloc, mi_malloc_aligned, mi_realloc, mi_realloc_aligned, mi_zalloc,
    mi_zalloc_aligned,
};

/// The largest alignment mimalloc's plain `mi_malloc` guarantees (its `MI_MAX_ALIGN_SIZE`).
const MAX_NATURAL_ALIGN: usize = 16;

/// mimalloc as a global allocator, using its aligned entry points only where needed.
#[derive(Debug, Clone, Copy, Default)]
pub struct MiMalloc;

/// Whether plain `mi_malloc(size)` already returns memory aligned to `align`.
#[inline]
fn natural(size: usize, align: usize) -> bool {
    align <= MAX_NATURAL_ALIGN && align <= size
}

// SAFETY: every pointer handed out comes from mimalloc, with at least the layout's size and
// alignment (see the module comment for the plain calls; the aligned calls are asked for it),
// and is given back only to mimalloc's `mi_free` / `mi_realloc*`, which accept any pointer
// mimalloc returned, aligned or not.
unsafe impl GlobalAlloc for MiMalloc {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: FFI calls without preconditions beyond a valid alignment (`Layout` ensures
        // a power of two).
        unsafe {
            if natural(layout.size(), layout.align()) {
                mi_malloc(layout.size()) as *mut u8
            } else {
                mi_malloc_aligned(layout.size(), layout.align()) as *mut u8
            }
        }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as in `alloc`.
        unsafe {
            if natural(layout.size(), layout.align()) {
                mi_zalloc(layout.size()) as *mut u8
            } else {
                mi_zalloc_aligned(layout.size(), layout.align()) as *mut u8
            }
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        // SAFETY: the caller passes a pointer this allocator returned (GlobalAlloc's contract).
        unsafe { mi_free(ptr as *mut c_void) }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: `ptr` came from this allocator (GlobalAlloc's contract); mimalloc keeps the
        // contents up to the smaller size and, for the plain call, aligns the new block
        // naturally for `new_size`.
        unsafe {
            if natural(new_size, layout.align()) {
                mi_realloc(ptr as *mut c_void, new_size) as *mut u8
            } else {
                mi_realloc_aligned(ptr as *mut c_void, new_size, layout.align()) as *mut u8
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIZES: &[usize] = &[
        1, 2, 3, 4, 7, 8, 12, 16, 24, 40, 48, 56, 72, 80, 120, 184, 344, 680, 1000, 1024, 1100,
        4096, 8192, 8200, 70_000, 300_000, 3_000_000,
    ];
    const ALIGNS: &[usize] = &[1, 2, 4, 8, 16, 32, 64, 128, 4096];

    /// Each size with each alignment, as a type's layout (the size padded to a multiple of the
    /// alignment) and as given (a `Layout` may ask for more alignment than its size).
    fn layouts() -> impl Iterator<Item = Layout> {
        SIZES.iter().flat_map(|&size| {
            ALIGNS.iter().flat_map(move |&align| {
                [size.next_multiple_of(align), size]
                    .into_iter()
                    .filter_map(move |size| Layout::from_size_align(size, align).ok())
            })
        })
    }

    fn assert_aligned(ptr: *mut u8, layout: Layout) {
        assert!(!ptr.is_null(), "{layout:?}: no memory");
        assert_eq!(
            ptr as usize % layout.align(),
            0,
            "{layout:?}: misaligned {ptr:p}"
        );
    }

    #[test]
    fn every_block_has_its_layouts_alignment_and_size() {
        let a = MiMalloc;
        // Many blocks of each layout at once, so that pages fill up and the allocations
        // after the first take mimalloc's slower paths too.
        for layout in layouts() {
            let count = if layout.size() > 65_536 { 2 } else { 64 };
            let blocks: Vec<*mut u8> = (0..count)
                .map(|i| {
                    let ptr = unsafe { a.alloc(layout) };
                    assert_aligned(ptr, layout);
                    unsafe { ptr.write_bytes(i as u8, layout.size()) };
                    ptr
                })
                .collect();
            for (i, &ptr) in blocks.iter().enumerate() {
                let bytes = unsafe { std::slice::from_raw_parts(ptr, layout.size()) };
                assert!(
                    bytes.iter().all(|&b| b == i as u8),
                    "{layout:?}: overlapping blocks"
                );
                unsafe { a.dealloc(ptr, layout) };
            }
        }
    }

    #[test]
    fn zeroed_blocks_are_zero_and_aligned() {
        let a = MiMalloc;
        for layout in layouts() {
            // Dirty a block first so that a reused one would show.
            let dirty = unsafe { a.alloc(layout) };
            unsafe { dirty.write_bytes(0xAB, layout.size()) };
            unsafe { a.dealloc(dirty, layout) };
            let ptr = unsafe { a.alloc_zeroed(layout) };
            assert_aligned(ptr, layout);
            let bytes = unsafe { std::slice::from_raw_parts(ptr, layout.size()) };
            assert!(bytes.iter().all(|&b| b == 0), "{layout:?}: not zeroed");
            unsafe { a.dealloc(ptr, layout) };
        }
    }

    #[test]
    fn realloc_keeps_the_contents_and_the_alignment() {
        let a = MiMalloc;
        for layout in layouts() {
            for new_size in [1, layout.size() / 2, layout.size() + 1, layout.size() * 3] {
                let new_size = new_size.max(1);
                let ptr = unsafe { a.alloc(layout) };
                assert_aligned(ptr, layout);
                for i in 0..layout.size() {
                    unsafe { ptr.add(i).write(i as u8) };
                }
                let moved = unsafe { a.realloc(ptr, layout, new_size) };
                let new_layout =
                    Layout::from_size_align(new_size, layout.align()).expect("valid layout");
                assert_aligned(moved, new_layout);
                let kept = layout.size().min(new_size);
                let bytes = unsafe { std::slice::from_raw_parts(moved, kept) };
                assert!(
                    bytes.iter().enumerate().all(|(i, &b)| b == i as u8),
                    "{layout:?} -> {new_size}: contents lost"
                );
                unsafe { a.dealloc(moved, new_layout) };
            }
        }
    }
}
