//! The CLI's allocator: the system's, with large blocks marked for transparent huge pages.
//!
//! Many Linux systems (this one too) give huge pages only to memory that asks for them
//! (`/sys/kernel/mm/transparent_hugepage/enabled` = `madvise`). The comparison's large
//! arrays (the sort buffer, the union-find and cluster arrays) are read at random places
//! and are first written in one go; on 2 MiB pages they cost far fewer page faults and TLB
//! misses (`bench-phase compare`, alternately: 1.24-1.79 s -> 1.04-1.38 s, system time
//! 0.39-0.43 s -> 0.16-0.21 s). The core knows nothing of this: only the `padan` binary
//! uses this allocator, and every byte it writes is the same.

use std::alloc::{GlobalAlloc, Layout, System};

/// [`System`], advising huge pages for blocks of [`LARGE`] bytes or more.
pub struct HugeAlloc;

/// Blocks from this size on are advised.
const LARGE: usize = 4 << 20;
/// The size of a huge page on x86-64 and most arm64 kernels.
const HUGE_PAGE: usize = 2 << 20;

/// The whole huge pages inside the block `addr..addr + size` (start, length), if any.
fn huge_pages_within(addr: usize, size: usize) -> Option<(usize, usize)> {
    if size < LARGE {
        return None;
    }
    let start = addr.checked_next_multiple_of(HUGE_PAGE)?;
    let end = addr.checked_add(size)? & !(HUGE_PAGE - 1);
    (end > start).then(|| (start, end - start))
}

fn advise(ptr: *mut u8, size: usize) {
    if ptr.is_null() {
        return;
    }
    if let Some((start, len)) = huge_pages_within(ptr as usize, size) {
        // SAFETY: advice on whole pages inside a block just allocated to us; it changes
        // no contents, and a refusal (huge pages off, an old kernel) is harmless.
        unsafe {
            libc::madvise(start as *mut libc::c_void, len, libc::MADV_HUGEPAGE);
        }
    }
}

// SAFETY: every call is passed to `System` unchanged; `advise` only adds advice.
unsafe impl GlobalAlloc for HugeAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        advise(p, layout.size());
        p
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        advise(p, layout.size());
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        advise(p, new_size);
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Only whole huge pages inside the block are advised, and only for large blocks.
    #[test]
    fn advice_stays_inside_the_block() {
        const MIB: usize = 1 << 20;
        assert_eq!(huge_pages_within(0x1000, LARGE - 1), None);
        // 4 MiB at 4 KiB past a huge-page boundary: one whole huge page inside.
        let a = 64 * MIB + 0x1000;
        assert_eq!(huge_pages_within(a, 4 * MIB), Some((66 * MIB, 2 * MIB)));
        // Aligned: both pages.
        assert_eq!(
            huge_pages_within(64 * MIB, 4 * MIB),
            Some((64 * MIB, 4 * MIB))
        );
        for (addr, size) in [(a, 4 * MIB), (a, 9 * MIB + 7), (64 * MIB, 5 * MIB)] {
            let (start, len) = huge_pages_within(addr, size).unwrap();
            assert!(start >= addr && start + len <= addr + size);
            assert_eq!((start % HUGE_PAGE, len % HUGE_PAGE), (0, 0));
        }
        // No overflow at the top of the address space.
        assert_eq!(huge_pages_within(usize::MAX - MIB, 5 * MIB), None);
        assert_eq!(huge_pages_within(usize::MAX - 100, LARGE), None);
    }

    /// Memory from the allocator, large and small, holds what is written to it, also
    /// across a reallocation (the advice changes nothing the program can see).
    #[test]
    fn large_blocks_work_as_usual() {
        let mut v: Vec<u64> = (0..(LARGE as u64 / 8) * 3).collect();
        v.resize(v.len() * 2, 7);
        assert_eq!(v[12345], 12345);
        assert_eq!(*v.last().unwrap(), 7);
        let z = vec![0u8; 3 * LARGE];
        assert!(z.iter().all(|&b| b == 0));
    }
}
