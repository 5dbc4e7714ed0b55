//! The CLI's allocator: the system's, with prefaulting and recycling of large blocks for
//! `compare`. The core knows nothing of this: only the `padan` binary uses this
//! allocator, and every byte it writes is the same.
//!
//! **No huge pages.** Until the twelfth session this allocator asked for transparent huge
//! pages (`MADV_HUGEPAGE`) on blocks of 4 MiB or more, for fewer page faults and TLB
//! misses. On this virtual machine (Firecracker with `page_reporting`: the guest hands
//! free 2 MiB blocks back to the host) a fresh huge page is exactly such a block, and the
//! host maps it again 4 KiB at a time: writing 256 MiB of fresh memory for the first time
//! took 660-700 ms on huge pages and 137-162 ms on 4 KiB pages, measured a few seconds
//! after the last run (a throwaway C program). Without the advice, cold `bench-phase
//! compare`, alternately, four runs each: 0.99-1.01 s (system time 0.68-0.81 s) ->
//! 0.78-0.82 s (0.20-0.25 s); `padan tokenize` of the DTKS list 1.62-1.73 s -> 1.50-1.59 s.
//!
//! **Prefaulting.** The first write to fresh memory costs a page fault and the zeroing of
//! the page, and on a virtual machine that hands freed memory back to its host (this one:
//! Firecracker, `page_reporting`) far more: a cold `bench-phase compare` spent 38% of its
//! time in `clear_page_erms` (then on huge pages), one core filling its buffers while the
//! other mostly waited. After [`start_prefaulting`] (the CLI calls it for `compare`,
//! whose large buffers are reserved at their final size and filled from the front while
//! the other core only hashes), a thread asks the kernel to map each new block of
//! [`PREFAULT`] bytes or more from its end backwards (`MADV_POPULATE_WRITE`, which leaves
//! contents as they are), so that the two cores share the faults. A block freed or moved meanwhile is dropped from
//! the work. Cold `bench-phase compare`, alternately: 1.27-1.56 s -> 1.19-1.24 s on huge
//! pages; on 4 KiB pages a smaller gain (six runs each: 8.7-11.8M tokens/s, mean 10.9M,
//! against 8.9-12.1M, mean 10.4M, without the thread).
//!
//! **Recycling.** Fresh memory is what costs, and `compare` asks for about 500 MB of it
//! while it never holds more than about 310 MB: once its 205 MB sort buffer is freed, the
//! system's allocator maps 170 MB more for the union-find, the clusters and the result
//! files, and the host hands every page over again. So, also from [`start_prefaulting`]
//! on, the first block of [`KEEP`] bytes or more to be freed is kept instead, and later
//! blocks of [`LARGE`] bytes or more are cut from it, front to back, while it has room; it
//! is cut from its start again once none of its pieces is in use. It is never given back
//! (the command ends soon after). Cold `bench-phase compare`, alternately, six runs each:
//! 1.01-1.37 s (mean 1.197 s, system time 0.865 s) -> 1.01-1.14 s (mean 1.068 s, 0.717 s),
//! with the same peak and the same result files. On 4 KiB pages, three runs each:
//! 8.8-10.2M tokens/s without recycling, 7.9-9.2M without it and without prefaulting,
//! 10.4-11.5M with both.
//!
//! **Several blocks** (fifteenth session). Since `compare` keeps one sort buffer per
//! match key (three of 55 MiB on the DTKS bench, freed one after the other), up to
//! [`SLOTS`] freed blocks of [`KEEP`] (32 MiB) or more are kept, and a piece is cut from
//! the first with room. With one kept block of at least 64 MiB, as before, none of those
//! buffers was kept and cold `bench-phase compare` took 0.83-0.87 s instead of 0.69-0.73 s
//! (three runs each, alternately with the previous build at 0.65-0.73 s).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};

/// [`System`], with prefaulting and recycling of large blocks once [`start_prefaulting`]
/// was called.
pub struct BigAlloc;

/// Blocks from this size on are recycled (cut from the kept block).
const LARGE: usize = 4 << 20;

/// Blocks from this size on are prefaulted, once [`start_prefaulting`] was called.
const PREFAULT: usize = 32 << 20;
/// The prefaulting thread maps this much at a time: the kernel holds the process's
/// memory-map lock meanwhile, which creating a thread (its stack) has to wait for.
const PREFAULT_STEP: usize = 256 << 10;

/// Blocks waiting to be prefaulted: (block start, block end, first byte to prefault).
/// A fixed array: the allocator must not allocate while it holds the lock.
struct Pending {
    blocks: [(usize, usize, usize); 16],
    len: usize,
}

static PENDING: Mutex<Pending> = Mutex::new(Pending {
    blocks: [(0, 0, 0); 16],
    len: 0,
});
static WAKE: Condvar = Condvar::new();
static PREFAULTING: AtomicBool = AtomicBool::new(false);
/// Set by [`start_prefaulting`] and never cleared (a piece must always be recognized as
/// one when it is freed, even if the prefaulting thread could not start).
static RECYCLING: AtomicBool = AtomicBool::new(false);
/// The start of the block being prefaulted now (0: none); freeing it stops the work.
static CURRENT: AtomicUsize = AtomicUsize::new(0);

fn pending() -> std::sync::MutexGuard<'static, Pending> {
    // Nothing panics while holding it; a poisoned lock still holds a consistent list.
    PENDING.lock().unwrap_or_else(|e| e.into_inner())
}

/// From now on, new blocks of [`PREFAULT`] bytes or more are prefaulted by a thread of
/// their own, and large blocks are recycled (see the module's documentation). Harmless to
/// call twice, and when the thread cannot be started (nothing is prefaulted then).
pub fn start_prefaulting() {
    RECYCLING.store(true, Ordering::SeqCst);
    if PREFAULTING.swap(true, Ordering::SeqCst) {
        return;
    }
    let started = std::thread::Builder::new()
        .name("prefault".into())
        .spawn(prefault_blocks);
    if started.is_err() {
        PREFAULTING.store(false, Ordering::SeqCst);
    }
}

/// The prefaulting thread: the newest block waiting first, each from its end backwards
/// (its owner fills it from the front), until it is done, freed or moved.
fn prefault_blocks() {
    loop {
        let (start, end, from) = {
            let mut p = pending();
            while p.len == 0 {
                p = WAKE.wait(p).unwrap_or_else(|e| e.into_inner());
            }
            p.len -= 1;
            let b = p.blocks[p.len];
            CURRENT.store(b.0, Ordering::SeqCst);
            b
        };
        let first = from.next_multiple_of(4096);
        let mut at = end & !4095;
        while at > first && CURRENT.load(Ordering::SeqCst) == start {
            let step = (at - first).min(PREFAULT_STEP);
            at -= step;
            // SAFETY: asks the kernel to map the pages of a range as if written, leaving
            // their contents as they are. The range was ours when checked; if it was
            // freed since, the call fails (no harm, the work stops) or maps pages of
            // whatever was mapped there since, unchanged.
            let r =
                unsafe { libc::madvise(at as *mut libc::c_void, step, libc::MADV_POPULATE_WRITE) };
            if r != 0 {
                break;
            }
        }
        CURRENT.store(0, Ordering::SeqCst);
    }
}

/// The block of `size` bytes at `ptr` (if any) is new from its byte `kept` on (0, or the
/// bytes a reallocation kept): prefault that part if large.
fn prefault(ptr: *mut u8, size: usize, kept: usize) {
    if ptr.is_null() || !PREFAULTING.load(Ordering::Relaxed) || size.saturating_sub(kept) < PREFAULT
    {
        return;
    }
    let (block, end, from) = (ptr as usize, ptr as usize + size, ptr as usize + kept);
    let mut p = pending();
    // With the list full, the block is left to fault as usual.
    if p.len < p.blocks.len() {
        let n = p.len;
        p.blocks[n] = (block, end, from);
        p.len += 1;
        WAKE.notify_one();
    }
}

/// The block at `block` is freed or moved: no more prefaulting of it.
fn forget(block: usize, size: usize) {
    if !PREFAULTING.load(Ordering::Relaxed) || size < PREFAULT {
        return;
    }
    let mut p = pending();
    let _ = CURRENT.compare_exchange(block, 0, Ordering::SeqCst, Ordering::SeqCst);
    let mut i = 0;
    while i < p.len {
        if p.blocks[i].0 == block {
            let last = p.len - 1;
            p.blocks.swap(i, last);
            p.len -= 1;
        } else {
            i += 1;
        }
    }
}

/// Recycling (with prefaulting): the first [`SLOTS`] blocks of this size or more to be
/// freed are kept, their pages mapped already, and later blocks of [`LARGE`] bytes or
/// more are cut from them, front to back, while they have room.
const KEEP: usize = 32 << 20;
/// Blocks kept at most: `compare` frees its sort buffers one per match key.
const SLOTS: usize = 6;

/// A kept block: where it starts, its size, where the next piece may start (an offset),
/// and the pieces in use (start, size). A fixed array: the allocator must not allocate
/// while it holds the lock.
struct Kept {
    start: usize,
    size: usize,
    next: usize,
    pieces: [(usize, usize); 16],
    len: usize,
}

impl Kept {
    fn holds(&self, addr: usize) -> bool {
        addr >= self.start && addr < self.start + self.size
    }
}

static KEPT: Mutex<[Option<Kept>; SLOTS]> = Mutex::new([const { None }; SLOTS]);

fn kept() -> std::sync::MutexGuard<'static, [Option<Kept>; SLOTS]> {
    KEPT.lock().unwrap_or_else(|e| e.into_inner())
}

/// A piece of a kept block for `layout`, from the first with room (null when none has).
fn cut(layout: Layout) -> *mut u8 {
    if !RECYCLING.load(Ordering::Relaxed) || layout.size() < LARGE {
        return std::ptr::null_mut();
    }
    let mut slots = kept();
    for k in slots.iter_mut().flatten() {
        let Some(at) = (k.start + k.next).checked_next_multiple_of(layout.align().max(4096)) else {
            continue;
        };
        if k.len == k.pieces.len() || at + layout.size() > k.start + k.size {
            continue;
        }
        k.pieces[k.len] = (at, layout.size());
        k.len += 1;
        k.next = at + layout.size() - k.start;
        return at as *mut u8;
    }
    std::ptr::null_mut()
}

/// Takes back `ptr` if it is a piece of a kept block, or keeps it as a block if it is
/// large enough and a slot is free; false when it is not the allocator's own.
fn take_back(ptr: *mut u8, layout: Layout) -> bool {
    if !RECYCLING.load(Ordering::Relaxed) || layout.size() < LARGE {
        return false;
    }
    let mut slots = kept();
    let addr = ptr as usize;
    if let Some(k) = slots.iter_mut().flatten().find(|k| k.holds(addr)) {
        if let Some(i) = k.pieces[..k.len].iter().position(|p| p.0 == addr) {
            k.pieces.swap(i, k.len - 1);
            k.len -= 1;
        }
        if k.len == 0 {
            k.next = 0;
        }
        return true;
    }
    match slots.iter_mut().find(|k| k.is_none()) {
        Some(slot) if layout.size() >= KEEP => {
            *slot = Some(Kept {
                start: addr,
                size: layout.size(),
                next: 0,
                pieces: [(0, 0); 16],
                len: 0,
            });
            true
        }
        _ => false,
    }
}

// SAFETY: every call is passed to `System` unchanged, except with recycling: a block
// that is kept is never given back to `System` (nor used twice: its pieces do not
// overlap, and it is only cut again from its start once no piece is in use), and a piece
// is only ever freed or moved by these functions. `prefault` only adds page mappings,
// `forget` only drops work.
unsafe impl GlobalAlloc for BigAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = cut(layout);
        if !p.is_null() {
            return p;
        }
        let p = unsafe { System.alloc(layout) };
        prefault(p, layout.size(), 0);
        p
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = cut(layout);
        if !p.is_null() {
            // SAFETY: the piece is ours, `layout.size()` bytes long.
            unsafe { std::ptr::write_bytes(p, 0, layout.size()) };
            return p;
        }
        let p = unsafe { System.alloc_zeroed(layout) };
        prefault(p, layout.size(), 0);
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        forget(ptr as usize, layout.size());
        if take_back(ptr, layout) {
            return;
        }
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        forget(ptr as usize, layout.size());
        if is_piece(ptr) {
            // SAFETY: as `GlobalAlloc::realloc`'s own default: a new block, the bytes
            // both hold copied, the old one freed.
            let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
            let p = unsafe { self.alloc(new_layout) };
            if !p.is_null() {
                unsafe {
                    std::ptr::copy_nonoverlapping(ptr, p, layout.size().min(new_size));
                    self.dealloc(ptr, layout);
                }
            }
            return p;
        }
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        prefault(p, new_size, layout.size().min(new_size));
        p
    }
}

/// Whether `ptr` lies in the kept block.
fn is_piece(ptr: *mut u8) -> bool {
    if !RECYCLING.load(Ordering::Relaxed) {
        return false;
    }
    kept().iter().flatten().any(|k| k.holds(ptr as usize))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The tests share the allocator's state (kept blocks, the prefaulting thread): one
    /// at a time.
    fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
        static LOCK: Mutex<()> = Mutex::new(());
        LOCK.lock().unwrap_or_else(|e| e.into_inner())
    }

    #[test]
    fn large_blocks_work_as_usual() {
        let _one = one_at_a_time();
        let mut v: Vec<u64> = (0..(LARGE as u64 / 8) * 3).collect();
        v.resize(v.len() * 2, 7);
        assert_eq!(v[12345], 12345);
        assert_eq!(*v.last().unwrap(), 7);
        let z = vec![0u8; 3 * LARGE];
        assert!(z.iter().all(|&b| b == 0));
    }

    /// With prefaulting on, large blocks hold what is written to them while the thread
    /// maps them, also when they grow (move) or are freed before it is done, and zeroed
    /// ones stay zero.
    #[test]
    fn prefaulted_blocks_keep_their_contents() {
        let _one = one_at_a_time();
        start_prefaulting();
        start_prefaulting();
        assert!(PREFAULTING.load(Ordering::SeqCst));
        const MIB: usize = 1 << 20;
        for round in 0..4u64 {
            // Freed at once, most likely while being prefaulted or still waiting.
            drop(Vec::<u8>::with_capacity(PREFAULT + round as usize * MIB));
            let z = vec![0u64; (PREFAULT * 2) / 8];
            let mut v: Vec<u64> = Vec::with_capacity(PREFAULT / 8);
            for i in 0..(PREFAULT / 8) as u64 {
                v.push(i ^ round);
            }
            // Grows past its capacity: moved, the new part prefaulted.
            v.extend((0..(PREFAULT / 8) as u64).map(|i| !i));
            assert!(z.iter().all(|&x| x == 0), "round {round}");
            let half = PREFAULT / 8;
            assert!(v[..half]
                .iter()
                .enumerate()
                .all(|(i, &x)| x == i as u64 ^ round));
            assert!(v[half..].iter().enumerate().all(|(i, &x)| x == !(i as u64)));
        }
        // The thread is idle again once the work is done (or dropped).
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while pending().len > 0 || CURRENT.load(Ordering::SeqCst) != 0 {
            assert!(
                std::time::Instant::now() < deadline,
                "prefaulting never ends"
            );
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    }

    /// With recycling, a large block freed is kept and cut into later large blocks, which
    /// hold what is written to them (zeroed ones are zero, not the old contents), also
    /// when they grow or are freed in between.
    #[test]
    fn recycled_pieces_keep_their_contents() {
        let _one = one_at_a_time();
        start_prefaulting();
        const N: usize = KEEP / 8;
        let old: Vec<u64> = vec![u64::MAX; N + 1];
        drop(old);
        let w = LARGE / 8;
        let mut a: Vec<u64> = (0..w as u64).collect();
        assert!(is_piece(a.as_mut_ptr().cast()), "cut from the kept block");
        let z = vec![0u64; 2 * w];
        let mut b: Vec<u64> = Vec::with_capacity(w);
        b.extend((0..w as u64).map(|i| !i));
        // Grows: moved (a piece or not), contents copied.
        a.extend((0..w as u64).map(|i| i * 3));
        drop(b);
        let c: Vec<u64> = (0..3 * w as u64).map(|i| i ^ 0x5555).collect();
        let z2 = vec![0u8; LARGE];
        assert!(z.iter().all(|&x| x == 0));
        assert!(z2.iter().all(|&x| x == 0));
        assert!(a[..w].iter().enumerate().all(|(i, &x)| x == i as u64));
        assert!(a[w..].iter().enumerate().all(|(i, &x)| x == i as u64 * 3));
        assert!(c.iter().enumerate().all(|(i, &x)| x == i as u64 ^ 0x5555));
        drop((a, c, z, z2));
        // All pieces back: the block is cut from its start again.
        let mut d: Vec<u64> = Vec::with_capacity(w);
        assert!(is_piece(d.as_mut_ptr().cast()));
        let slots = kept();
        let k = slots
            .iter()
            .flatten()
            .find(|k| k.len >= 1)
            .expect("a kept block in use");
        assert!(k.next <= k.size);
    }

    /// Several freed blocks are kept, and when one has no room left, pieces are cut from
    /// the next: the pieces of two blocks' worth come from two blocks or more, and hold
    /// what is written to them.
    #[test]
    fn several_blocks_are_kept_and_cut() {
        let _one = one_at_a_time();
        start_prefaulting();
        drop(vec![1u8; KEEP]);
        drop(vec![2u8; KEEP]);
        let w = LARGE / 8;
        let pieces: Vec<Vec<u64>> = (0..(2 * KEEP / LARGE) as u64).map(|i| vec![i; w]).collect();
        // Which kept block holds each piece (no panic while the lock is held: unwinding
        // frees the pieces, which takes it again).
        let held: Vec<Option<usize>> = {
            let slots = kept();
            pieces
                .iter()
                .map(|p| {
                    slots
                        .iter()
                        .flatten()
                        .position(|k| k.holds(p.as_ptr() as usize))
                })
                .collect()
        };
        assert!(held.iter().all(Option::is_some), "{held:?}");
        let blocks: std::collections::BTreeSet<_> = held.iter().flatten().collect();
        assert!(blocks.len() >= 2, "{blocks:?}");
        for (i, p) in pieces.iter().enumerate() {
            assert!(p.iter().all(|&x| x == i as u64));
        }
    }
}
