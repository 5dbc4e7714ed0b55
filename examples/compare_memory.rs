//! Heap memory of the in-memory comparison as the browser runs it (one core, everything
//! in memory, the token files' checksums checked by the caller), on a bench scenario:
//! the peak while loading and sorting, and the peak from linking on (statuses and result
//! files).
//!
//! ```sh
//! padan bench --dir target/bench-demo/1900000       # makes the scenario and its tokens
//! cargo run --release --example compare_memory -- target/bench-demo/1900000
//! ```
//!
//! Counts the bytes the program asks the allocator for (a counting global allocator), so
//! it says nothing of the browser's own overhead: the compare worker's
//! `WebAssembly.Memory` was about 20 MiB above this peak (`cargo xtask bench-browser`).
//! Prints numbers; asserts nothing.

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::{BufReader, Read};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

struct Counting;

static NOW: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(by: usize) {
    let now = NOW.fetch_add(by, Relaxed) + by;
    PEAK.fetch_max(now, Relaxed);
}

// SAFETY: every call goes to `System` unchanged; only counters are kept beside it.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        grew(l.size());
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        NOW.fetch_sub(l.size(), Relaxed);
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        // Growing, the old block and the new one may both be held while the bytes are
        // copied; shrinking needs nothing more.
        if new > l.size() {
            grew(new);
        } else {
            NOW.fetch_add(new, Relaxed);
        }
        let q = unsafe { System.realloc(p, l, new) };
        NOW.fetch_sub(l.size(), Relaxed);
        q
    }
}

#[global_allocator]
static COUNTING: Counting = Counting;

fn mib(bytes: usize) -> f64 {
    bytes as f64 / (1u64 << 20) as f64
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "target/bench-demo/1900000".into()),
    );
    let wf = padan::workflow::Workflow::parse(
        &std::fs::read(dir.join("workflow.json"))?,
        "workflow.json",
    )?;
    let ctx = padan::pipeline::Context {
        workflow: &wf,
        workflow_file: "workflow.json",
        // A day in the workflow's validity period.
        today: padan::workflow::parse_iso(&wf.valid_from).ok_or("valid_from")?,
    };
    let mut inputs: Vec<(String, Box<dyn Read>)> = Vec::new();
    let mut records = 0u64;
    for (party, _, _) in padan::demo::LISTS {
        let p = dir.join("tokens").join(format!("{party}.tokens"));
        let header = padan::tokens::TokenReader::new(std::fs::File::open(&p)?, party)?.header;
        records += header.records;
        inputs.push((
            format!("{party}.tokens"),
            Box::new(BufReader::new(std::fs::File::open(&p)?)),
        ));
    }
    let before = NOW.load(Relaxed);
    // Progress past the records read means linking has started.
    let mut loading_peak = None;
    let out = padan::compare::compare_unconfirmed(&ctx, inputs, &mut |p| {
        if p.rows > records && loading_peak.is_none() {
            loading_peak = Some(PEAK.load(Relaxed));
            PEAK.store(NOW.load(Relaxed), Relaxed);
        }
    })?;
    let linking_peak = PEAK.load(Relaxed);
    println!(
        "{records} records: heap peak loading and sorting {:.1} MiB, from linking on {:.1} MiB, output held {:.1} MiB",
        mib(loading_peak.unwrap_or(linking_peak) - before),
        mib(linking_peak - before),
        mib(NOW.load(Relaxed) - before),
    );
    drop(out);
    Ok(())
}
