//! External sort of `(token, record)` entries for `compare`, so that its memory is
//! bounded by the number of records plus a budget, not by the number of tokens.
//!
//! Entries go into a bounded buffer per match key; a full buffer is sorted and spilled as
//! a sorted *run* to a [`RunStore`] (the CLI: files in a temporary directory; the browser
//! and tests: [`MemoryRuns`]). The core does no file I/O itself: the store hands it
//! writers and readers. When everything fits in the buffer, nothing is spilled. Groups of
//! equal tokens then come out of a k-way merge of the runs (or of the sorted buffer), in
//! token order, the records of a group in record order: exactly the order one sort of all
//! `(token, record)` pairs of a key gives.

use std::cell::RefCell;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};
use std::rc::Rc;

use crate::error::{Error, Result};
use crate::keys::{Token, TOKEN_LEN};
use crate::par::{Parallel, Serial};

/// Where sorted runs are kept between spilling and merging (think of a temporary
/// directory). Runs are written once, read any number of times, then removed.
pub trait RunStore {
    /// A new, empty run: its number and a writer for its bytes.
    fn create(&mut self) -> io::Result<(usize, Box<dyn Write>)>;
    /// Reads run `run` from its start.
    fn open(&mut self, run: usize) -> io::Result<Box<dyn Read>>;
    /// Run `run` is no longer needed.
    fn remove(&mut self, run: usize) -> io::Result<()>;
}

/// Runs kept in memory (the browser, tests).
#[derive(Default)]
pub struct MemoryRuns {
    runs: Vec<Rc<RefCell<Vec<u8>>>>,
}

impl MemoryRuns {
    /// Runs created so far.
    pub fn created(&self) -> usize {
        self.runs.len()
    }

    /// Runs created and not removed.
    pub fn live(&self) -> usize {
        self.runs.iter().filter(|r| !r.borrow().is_empty()).count()
    }
}

struct SharedWriter(Rc<RefCell<Vec<u8>>>);

impl Write for SharedWriter {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

struct SharedReader(Rc<RefCell<Vec<u8>>>, usize);

impl Read for SharedReader {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let v = self.0.borrow();
        let n = out.len().min(v.len() - self.1);
        out[..n].copy_from_slice(&v[self.1..self.1 + n]);
        self.1 += n;
        Ok(n)
    }
}

impl RunStore for MemoryRuns {
    fn create(&mut self) -> io::Result<(usize, Box<dyn Write>)> {
        let run = Rc::new(RefCell::new(Vec::new()));
        self.runs.push(run.clone());
        Ok((self.runs.len() - 1, Box::new(SharedWriter(run))))
    }

    fn open(&mut self, run: usize) -> io::Result<Box<dyn Read>> {
        let r = self.runs.get(run).ok_or(io::ErrorKind::NotFound)?;
        Ok(Box::new(SharedReader(r.clone(), 0)))
    }

    fn remove(&mut self, run: usize) -> io::Result<()> {
        if let Some(r) = self.runs.get(run) {
            *r.borrow_mut() = Vec::new();
        }
        Ok(())
    }
}

/// One `(token, record)` pair of a key (each key has its own buffer and runs): the
/// token's 16 bytes as four big-endian words, then the record. Twenty bytes, aligned to
/// four: the 8.6 million entries of the DTKS bench take 171 MB, where three 64-bit words
/// (with the key in them, as until the fifteenth session) took 206 MB. The order is that
/// of (token bytes, record).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, bytemuck::Pod, bytemuck::Zeroable)]
#[repr(C)]
struct Entry {
    w: [u32; 5],
}

impl Entry {
    fn new(token: u128, record: u32) -> Entry {
        Entry {
            w: [
                (token >> 96) as u32,
                (token >> 64) as u32,
                (token >> 32) as u32,
                token as u32,
                record,
            ],
        }
    }
    #[inline(always)]
    fn hi(&self) -> u64 {
        (self.w[0] as u64) << 32 | self.w[1] as u64
    }
    #[inline(always)]
    fn lo(&self) -> u64 {
        (self.w[2] as u64) << 32 | self.w[3] as u64
    }
    fn token(&self) -> u128 {
        (self.hi() as u128) << 64 | self.lo() as u128
    }
    fn record(&self) -> u32 {
        self.w[4]
    }
    /// Byte `i` (0..20) of the entry, most significant first: the token's, then the
    /// record's.
    #[inline(always)]
    fn byte(&self, i: usize) -> usize {
        (self.w[i / 4] >> (24 - 8 * (i % 4))) as u8 as usize
    }
}

impl Ord for Entry {
    #[inline]
    fn cmp(&self, o: &Entry) -> std::cmp::Ordering {
        (self.hi(), self.lo(), self.w[4]).cmp(&(o.hi(), o.lo(), o.w[4]))
    }
}

impl PartialOrd for Entry {
    fn partial_cmp(&self, o: &Entry) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}

/// Buckets at most this long are left to a comparison sort.
const SMALL_SORT: usize = 48;

/// Sorts entries into the order `sort_unstable` gives (entries equal in all their bits
/// are indistinguishable, so the result is the same slice). Tokens are uniformly random,
/// so an in-place most-significant-digit radix sort (American flag sort) on the entry's
/// bytes splits the buffer into buckets that soon fit in cache; buckets of at most
/// `SMALL_SORT` entries, and whatever is left after all 20 bytes, go to `sort_unstable`.
/// Needs no memory beyond the slice (the browser keeps everything in memory) and at most
/// 20 levels of recursion; on skewed input it is never worse than a few passes per byte
/// plus the comparison sort.
fn sort_entries(v: &mut [Entry]) {
    sort_from(v, 0);
}

fn sort_from(v: &mut [Entry], byte: usize) {
    if let Some((byte, count)) = partition(v, byte) {
        sort_buckets(v, byte, &count);
    }
}

/// Sorts each bucket of `v` (its entries by byte `byte`, the buckets' sizes `count`) from
/// the next byte on.
fn sort_buckets(v: &mut [Entry], byte: usize, count: &[usize]) {
    let mut s = 0;
    for &c in count {
        if c > 1 {
            sort_from(&mut v[s..s + c], byte + 1);
        }
        s += c;
    }
}

/// How many entries of `v` have each value of byte `byte`.
fn histogram(v: &[Entry], byte: usize) -> [usize; 256] {
    let mut count = [0usize; 256];
    for e in v {
        count[e.byte(byte)] += 1;
    }
    count
}

/// One level of the radix sort: finds the first byte from `byte` on where the entries
/// differ and moves them into buckets by it, returning that byte and the bucket sizes.
/// Returns `None` when the entries are sorted already (few, or equal in every byte).
fn partition(v: &mut [Entry], mut byte: usize) -> Option<(usize, [usize; 256])> {
    let mut count;
    loop {
        if v.len() <= SMALL_SORT || byte == ENTRY_BYTES {
            v.sort_unstable();
            return None;
        }
        count = histogram(v, byte);
        // All in one bucket: on to the next byte (all-equal input ends at byte 24).
        if count[v[0].byte(byte)] == v.len() {
            byte += 1;
            continue;
        }
        break;
    }
    bucket(v, byte, &count);
    Some((byte, count))
}

/// Moves the entries of `v` into buckets by byte `byte` (in place), `count` being their
/// [`histogram`].
fn bucket(v: &mut [Entry], byte: usize, count: &[usize; 256]) {
    // `next[d]`: where the next entry with byte `d` goes; `end[d]`: where its bucket ends.
    let mut next = [0usize; 256];
    let mut end = [0usize; 256];
    let mut s = 0;
    for d in 0..256 {
        next[d] = s;
        s += count[d];
        end[d] = s;
    }
    for d in 0..256 {
        while next[d] < end[d] {
            let mut e = v[next[d]];
            loop {
                let t = e.byte(byte);
                if t == d {
                    break;
                }
                std::mem::swap(&mut e, &mut v[next[t]]);
                next[t] += 1;
                // Each bucket is read and written front to back, but the buckets' turns
                // follow the data: ask for this one's entries a few lines ahead, or the
                // loop waits on memory at every step of a large slice.
                prefetch(v, next[t] + PREFETCH_AHEAD);
            }
            v[next[d]] = e;
            next[d] += 1;
        }
    }
}

/// How many entries ahead of a bucket's next slot [`bucket`] asks for (6 cache lines).
const PREFETCH_AHEAD: usize = 16;

/// A hint that `v[i]` (when it exists) is read soon; nothing on targets without one.
#[inline(always)]
pub(crate) fn prefetch<T>(v: &[T], i: usize) {
    #[cfg(target_arch = "x86_64")]
    if let Some(e) = v.get(i) {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        // SAFETY: a prefetch only loads a cache line, never faults, and `e` is in bounds.
        unsafe { _mm_prefetch::<_MM_HINT_T0>((e as *const T).cast::<i8>()) }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (v, i);
}

/// [`prefetch`] of `v[index[i]]`, when `index[i]` exists: for loops that go through
/// `index` in order and look each of its entries up in `v`.
#[inline(always)]
pub(crate) fn prefetch_via<T>(v: &[T], index: &[u32], i: usize) {
    if let Some(&j) = index.get(i) {
        prefetch(v, j as usize);
    }
}

/// Below this many entries a sort is not split into tasks (tests split small ones too).
const PARALLEL_MIN: usize = if cfg!(test) { 64 } else { 1 << 16 };

/// One task's share of the entries [`sort_then`] sorted: sorted runs (their index ranges
/// in the slice, and their entries), whose merge ([`merged`]) is the share in order.
pub(crate) struct Share<'a> {
    runs: Vec<(std::ops::Range<usize>, &'a [Entry])>,
}

impl Share<'_> {
    fn ranges(&self) -> Vec<std::ops::Range<usize>> {
        self.runs.iter().map(|r| r.0.clone()).collect()
    }

    fn entries(&self) -> Vec<&[Entry]> {
        self.runs.iter().map(|r| r.1).collect()
    }
}

/// The entries of sorted runs, in order (a merge of a few runs: one per task), as a tree
/// of two-way merges.
fn merged<'a>(runs: &[&'a [Entry]]) -> TwoWay<'a> {
    match runs {
        [] => TwoWay::Runs(&[], &[]),
        [a] => TwoWay::Runs(a, &[]),
        [a, b] => TwoWay::Runs(a, b),
        _ => {
            let (l, r) = runs.split_at(runs.len() / 2);
            TwoWay::Tree(Box::new((merged(l).peekable(), merged(r).peekable())))
        }
    }
}

/// A two-way merge of two sorted runs, or of two merges (more than two runs).
enum TwoWay<'a> {
    Runs(&'a [Entry], &'a [Entry]),
    Tree(
        Box<(
            std::iter::Peekable<TwoWay<'a>>,
            std::iter::Peekable<TwoWay<'a>>,
        )>,
    ),
}

impl Iterator for TwoWay<'_> {
    type Item = Entry;

    #[inline]
    fn next(&mut self) -> Option<Entry> {
        match self {
            TwoWay::Runs(a, b) => match (a.first(), b.first()) {
                (Some(x), Some(y)) if y < x => {
                    *b = &b[1..];
                    Some(*y)
                }
                (Some(x), _) => {
                    *a = &a[1..];
                    Some(*x)
                }
                (None, Some(y)) => {
                    *b = &b[1..];
                    Some(*y)
                }
                (None, None) => None,
            },
            TwoWay::Tree(t) => {
                let (l, r) = &mut **t;
                match (l.peek(), r.peek()) {
                    (Some(x), Some(y)) if y < x => r.next(),
                    (Some(_), _) => l.next(),
                    _ => r.next(),
                }
            }
        }
    }
}

/// Sorts `v` in up to `par.width()` tasks and calls `after` on each task's [`Share`], in
/// the same task; the shares are in order and never split a run of equal tokens of one
/// key (they are whole buckets of one byte of a shared prefix).
///
/// Nothing runs on one core alone: `v` is cut into one chunk per task, and each task
/// counts, then buckets its chunk by the first byte where the entries differ (the one
/// radix level that was serial before). The buckets are then shared out by weight: a task
/// sorts its buckets of every chunk, which leaves one sorted run per chunk, merged as
/// they are read. So `v` ends sorted run by run, not as a whole.
fn sort_then<U: Send>(
    v: &mut [Entry],
    par: &dyn Parallel,
    after: &(dyn Fn(&Share) -> U + Sync),
) -> Vec<U> {
    let width = par.width();
    let whole = |v: &mut [Entry]| {
        sort_entries(v);
        vec![after(&Share {
            runs: vec![(0..v.len(), &*v)],
        })]
    };
    if width <= 1 || v.len() < PARALLEL_MIN {
        return whole(v);
    }
    let chunk_len = v.len().div_ceil(width);
    let mut byte = 0;
    let counts = loop {
        // Bytes 0..16 hold the token; past them all entries share it, and splitting would
        // cut their run in two.
        if byte >= TOKEN_LEN {
            return whole(v);
        }
        let chunks: Vec<&[Entry]> = v.chunks(chunk_len).collect();
        let counts = crate::par::map(par, &chunks, |c| c.len() as u64, |c| histogram(c, byte));
        if counts.iter().map(|c| c[v[0].byte(byte)]).sum::<usize>() < v.len() {
            break counts;
        }
        byte += 1;
    };
    let tasks: Vec<Box<dyn FnOnce() + Send + '_>> = v
        .chunks_mut(chunk_len)
        .zip(&counts)
        .map(|(c, n)| Box::new(move || bucket(c, byte, n)) as Box<dyn FnOnce() + Send>)
        .collect();
    par.run(tasks);
    let mut total = [0u64; 256];
    for n in &counts {
        for (t, &c) in total.iter_mut().zip(n) {
            *t += c as u64;
        }
    }
    let shares = crate::par::split(&total, width);
    // Per share, per chunk: the chunk's buckets in the share (a slice), their sizes, and
    // where the slice starts in `v`.
    type Piece<'v> = (usize, &'v mut [Entry], &'v [usize]);
    let mut pieces: Vec<Vec<Piece<'_>>> = shares.iter().map(|_| Vec::new()).collect();
    let mut at = 0;
    for (chunk, n) in v.chunks_mut(chunk_len).zip(&counts) {
        let mut rest = chunk;
        for (r, mine) in shares.iter().zip(pieces.iter_mut()) {
            let sizes = &n[r.clone()];
            let len = sizes.iter().sum();
            let (piece, tail) = std::mem::take(&mut rest).split_at_mut(len);
            rest = tail;
            mine.push((at, piece, sizes));
            at += len;
        }
    }
    let mut out: Vec<Option<U>> = shares.iter().map(|_| None).collect();
    let tasks: Vec<Box<dyn FnOnce() + Send + '_>> = pieces
        .into_iter()
        .zip(out.iter_mut())
        .map(|(mine, slot)| {
            Box::new(move || {
                let mut runs = Vec::with_capacity(mine.len());
                for (at, piece, sizes) in mine {
                    sort_buckets(piece, byte, sizes);
                    let piece: &[Entry] = piece;
                    runs.push((at..at + piece.len(), piece));
                }
                *slot = Some(after(&Share { runs }));
            }) as Box<dyn FnOnce() + Send>
        })
        .collect();
    par.run(tasks);
    out.into_iter()
        .map(|u| u.expect("every task ran"))
        .collect()
}

/// Groups of records sharing a full token (two or more per group), in token order, the
/// records of a group in record order.
#[derive(Default)]
pub(crate) struct Groups {
    pub(crate) members: Vec<u32>,
    /// End of each group in `members`.
    pub(crate) ends: Vec<u32>,
}

impl Groups {
    pub(crate) fn push(&mut self, group: impl IntoIterator<Item = u32>) {
        self.members.extend(group);
        self.ends.push(self.members.len() as u32);
    }

    /// Calls `f` with every group and the members of the groups after it.
    pub(crate) fn each(&self, f: &mut dyn FnMut(&[u32], &[u32])) {
        self.each_in(0..self.ends.len(), f)
    }

    /// [`Groups::each`] for groups `range` only (the members after them run to the end).
    pub(crate) fn each_in(&self, range: std::ops::Range<usize>, f: &mut dyn FnMut(&[u32], &[u32])) {
        let mut start = match range.start {
            0 => 0,
            g => self.ends[g - 1] as usize,
        };
        for &e in &self.ends[range] {
            let (group, rest) = self.members[start..].split_at(e as usize - start);
            f(group, rest);
            start = e as usize;
        }
    }

    /// The groups cut into at most `n` ranges of about as many members each.
    pub(crate) fn ranges(&self, n: usize) -> Vec<std::ops::Range<usize>> {
        let (m, n) = (self.members.len(), n.max(1));
        let mut cuts = vec![0];
        for k in 1..n {
            let at = self.ends.partition_point(|&e| (e as usize) < m * k / n) + 1;
            cuts.push(at.min(self.ends.len()).max(*cuts.last().expect("one")));
        }
        cuts.push(self.ends.len());
        cuts.windows(2)
            .filter(|w| w[0] < w[1])
            .map(|w| w[0]..w[1])
            .collect()
    }

    #[cfg(test)]
    pub(crate) fn iter(&self) -> impl Iterator<Item = &[u32]> + '_ {
        let mut start = 0;
        self.ends.iter().map(move |&e| {
            let g = &self.members[start..e as usize];
            start = e as usize;
            g
        })
    }

    /// The groups of one key's entries, which are sorted here (on this core), made in
    /// the entries' own memory: each entry takes five words and gives at most one member,
    /// so the members are written over entries already read, and the rest of the memory
    /// is given back. Nothing as large as the entries is allocated meanwhile: in the
    /// browser a comparison's peak memory is its sort buffers.
    fn in_place(mut v: Vec<Entry>) -> Groups {
        sort_entries(&mut v);
        let n = v.len();
        let mut words: Vec<u32> = bytemuck::allocation::cast_vec(v);
        let mut ends = Vec::new();
        // Members written; the start of the run of equal tokens entry `i` is in, its
        // token, and its first record (written once a second one comes).
        let (mut m, mut start, mut of, mut first) = (0, 0, [0u32; 4], 0);
        for i in 0..n {
            let e: [u32; 5] = words[5 * i..5 * i + 5].try_into().expect("5 words");
            let token = [e[0], e[1], e[2], e[3]];
            if i > start && token == of {
                // `m` <= `i` here: these words belong to entries read already (entry
                // `i` included), which take five words each.
                if i - start == 1 {
                    words[m] = first;
                    m += 1;
                }
                words[m] = e[4];
                m += 1;
            } else {
                if i - start >= 2 {
                    ends.push(m as u32);
                }
                (start, of, first) = (i, token, e[4]);
            }
        }
        if n - start >= 2 {
            ends.push(m as u32);
        }
        words.truncate(m);
        words.shrink_to_fit();
        ends.shrink_to_fit();
        Groups {
            members: words,
            ends,
        }
    }

    /// The groups of a share of one key's sorted entries.
    fn of_share(share: &Share) -> Groups {
        match share.entries()[..] {
            [v] => Groups::of_sorted(v.iter().copied()),
            ref runs => Groups::of_sorted(merged(runs)),
        }
    }

    /// The groups of one key's entries, given in sorted order.
    fn of_sorted(entries: impl Iterator<Item = Entry>) -> Groups {
        let mut out = Groups::default();
        each_group(entries, &mut |group| out.push(group.iter().copied()));
        out
    }
}

/// Calls `f` with the records of every run of two or more equal tokens among `entries`,
/// which come in sorted order.
fn each_group(entries: impl Iterator<Item = Entry>, f: &mut dyn FnMut(&[u32])) {
    let mut group: Vec<u32> = Vec::new();
    let mut of = 0u128;
    for e in entries {
        let t = e.token();
        if t != of || group.is_empty() {
            if group.len() >= 2 {
                f(&group);
            }
            group.clear();
            of = t;
        }
        group.push(e.record());
    }
    if group.len() >= 2 {
        f(&group);
    }
}

/// Bytes per entry in a run (one key per run): the 16 token bytes, then the record
/// (big-endian).
const ENTRY_BYTES: usize = 20;
/// Bytes of memory per buffered entry.
pub const ENTRY_MEMORY: usize = std::mem::size_of::<Entry>();
/// Runs merged at once (each has a read buffer of `READ_BUF` bytes); more runs are merged
/// in several rounds.
const FAN_IN: usize = 64;
const READ_BUF: usize = 128 * 1024;
const WRITE_BUF: usize = 1 << 20;

/// The name errors about run files carry.
pub const RUNS_NAME: &str = "berkas sementara perbandingan";

fn io_err(e: io::Error) -> Error {
    Error::io(RUNS_NAME, e)
}

fn encode(e: &Entry) -> [u8; ENTRY_BYTES] {
    let mut b = [0u8; ENTRY_BYTES];
    for (out, w) in b.chunks_exact_mut(4).zip(e.w) {
        out.copy_from_slice(&w.to_be_bytes());
    }
    b
}

fn decode(b: &[u8; ENTRY_BYTES]) -> Entry {
    let mut e = Entry::default();
    for (w, x) in e.w.iter_mut().zip(b.chunks_exact(4)) {
        *w = u32::from_be_bytes(x.try_into().expect("4"));
    }
    e
}

/// Collects the entries of every match key, each key in its own buffer, and sorts them,
/// spilling sorted runs (one per key) to the store whenever a buffer is full.
pub struct Sorter<'s> {
    store: &'s mut dyn RunStore,
    /// Buffered entries per key; key `k` holds at most `limits[k]`.
    bufs: Vec<Vec<Entry>>,
    /// The budget in entries, over all keys.
    limit: usize,
    limits: Vec<usize>,
    /// Spilled runs per key.
    runs: Vec<Vec<usize>>,
    fan_in: usize,
    par: &'s dyn Parallel,
}

impl<'s> Sorter<'s> {
    /// A sorter for `keys` match keys whose buffers take at most about `budget` bytes
    /// (at least a few entries per key), shared evenly until [`Sorter::expect`] says how
    /// many entries each key will have.
    pub fn new(store: &'s mut dyn RunStore, keys: usize, budget: usize) -> Sorter<'s> {
        let limit = (budget / ENTRY_MEMORY).max(2 * keys);
        Sorter {
            store,
            bufs: (0..keys).map(|_| Vec::new()).collect(),
            limit,
            limits: vec![limit / keys.max(1); keys],
            runs: vec![Vec::new(); keys],
            fan_in: FAN_IN,
            par: &Serial,
        }
    }

    /// Sorts with the tasks of `par` (the result is the same).
    pub fn parallel(mut self, par: &'s dyn Parallel) -> Self {
        self.par = par;
        self
    }

    /// Merges at most `n` (2 or more) runs at once (tests force many rounds).
    pub fn with_fan_in(mut self, n: usize) -> Self {
        self.fan_in = n.max(2);
        self
    }

    /// About `per_key[k]` entries of key `k` are coming (before any is pushed): shares
    /// the budget among the keys by these counts and reserves room for them within it, so
    /// that the buffers do not grow by doubling (when a reservation fails, they grow).
    pub fn expect(&mut self, per_key: &[u64]) {
        let total = per_key.iter().fold(0u64, |a, &b| a.saturating_add(b));
        if total == 0 {
            return;
        }
        // A key expected to have (almost) nothing still gets a little room.
        let floor = (self.limit / (8 * self.bufs.len())).max(2);
        for (k, &n) in per_key.iter().enumerate().take(self.bufs.len()) {
            let share = (self.limit as u128 * n as u128 / total as u128) as usize;
            self.limits[k] = share.max(floor);
            let want = (n.min(self.limits[k] as u64) as usize).saturating_sub(self.bufs[k].len());
            let _ = self.bufs[k].try_reserve_exact(want);
        }
    }

    /// Adds the key-`key` token of record `record`.
    pub fn push(&mut self, key: usize, token: &Token, record: u32) -> Result<()> {
        let b = &self.bufs[key];
        if b.len() == b.capacity() {
            if b.len() >= self.limits[key] {
                self.spill()?;
            }
            let (b, limit) = (&mut self.bufs[key], self.limits[key]);
            if b.len() == b.capacity() {
                let want = (b.len() * 2).max(4096).min(limit.max(b.len() + 1));
                b.reserve_exact(want - b.len());
            }
        }
        self.bufs[key].push(Entry::new(u128::from_be_bytes(*token), record));
        Ok(())
    }

    /// Sorts every key's buffer and spills it as one run, keeping its memory.
    fn spill(&mut self) -> Result<()> {
        for (buf, runs) in self.bufs.iter_mut().zip(&mut self.runs) {
            if buf.is_empty() {
                continue;
            }
            let shares = sort_then(buf, self.par, &|s| s.ranges());
            let (run, w) = self.store.create().map_err(io_err)?;
            let mut w = BufWriter::with_capacity(WRITE_BUF, w);
            for ranges in shares {
                let parts: Vec<&[Entry]> = ranges.into_iter().map(|r| &buf[r]).collect();
                for x in merged(&parts) {
                    w.write_all(&encode(&x)).map_err(io_err)?;
                }
            }
            w.flush().map_err(io_err)?;
            runs.push(run);
            buf.clear();
        }
        Ok(())
    }

    /// Runs spilled so far, over all keys.
    pub fn spilled(&self) -> usize {
        self.runs.iter().map(Vec::len).sum()
    }

    /// Ends the input. Without a spill, each key's buffer in turn is sorted, only its
    /// groups of equal tokens are kept, and its memory is freed before the next key's
    /// groups are made; otherwise the rest is spilled too and each key's runs are merged
    /// down to at most the fan-in.
    pub fn finish(mut self) -> Result<Sorted<'s>> {
        let keys = self.bufs.len();
        if self.spilled() == 0 {
            let mut memory = Vec::with_capacity(keys);
            for buf in &mut self.bufs {
                let mut buf = std::mem::take(buf);
                // On one core, in the buffer's own memory; else in shares on the lent
                // cores, then the buffer is freed.
                memory.push(if self.par.width() <= 1 || buf.len() < PARALLEL_MIN {
                    vec![Groups::in_place(buf)]
                } else {
                    sort_then(&mut buf, self.par, &Groups::of_share)
                });
            }
            return Ok(Sorted {
                store: self.store,
                memory,
                keys: vec![Source::Memory; keys],
            });
        }
        self.spill()?;
        self.bufs = Vec::new();
        let mut sources = Vec::with_capacity(keys);
        for key in 0..keys {
            let mut runs = std::mem::take(&mut self.runs[key]);
            while runs.len() > self.fan_in {
                let part: Vec<usize> = runs.drain(..self.fan_in).collect();
                let (run, w) = self.store.create().map_err(io_err)?;
                let mut w = BufWriter::with_capacity(WRITE_BUF, w);
                let mut m = Merge::new(self.store, &part)?;
                while let Some(e) = m.next()? {
                    w.write_all(&encode(&e)).map_err(io_err)?;
                }
                w.flush().map_err(io_err)?;
                drop(w);
                for r in part {
                    self.store.remove(r).map_err(io_err)?;
                }
                runs.push(run);
            }
            sources.push(Source::Runs(runs));
        }
        Ok(Sorted {
            store: self.store,
            memory: Vec::new(),
            keys: sources,
        })
    }
}

#[derive(Clone)]
enum Source {
    /// The key's groups are in `Sorted::memory`.
    Memory,
    Runs(Vec<usize>),
    Done,
}

/// The sorted entries of every key, ready to be read as groups.
pub struct Sorted<'s> {
    store: &'s mut dyn RunStore,
    /// When nothing was spilled: per key, its groups in parts (in token order).
    memory: Vec<Vec<Groups>>,
    keys: Vec<Source>,
}

impl Sorted<'_> {
    /// Calls `f` with every group of key `key` (records sharing one token, two or more),
    /// in token order, the records of a group in record order, and the records of the
    /// groups that follow it as far as they are known (to ask for their data ahead; empty
    /// when read from runs). May be called again.
    pub fn groups(&mut self, key: usize, f: &mut dyn FnMut(&[u32], &[u32])) -> Result<()> {
        if let Source::Memory = self.keys[key] {
            for groups in &self.memory[key] {
                groups.each(&mut *f);
            }
            return Ok(());
        }
        let mut m = match &self.keys[key] {
            Source::Memory => unreachable!("handled above"),
            Source::Runs(runs) => Merge::new(self.store, runs)?,
            Source::Done => panic!("groups of key {key} read after done"),
        };
        // The merge's entries until its end or its first error.
        let mut failed = None;
        let entries = std::iter::from_fn(|| {
            m.next().unwrap_or_else(|e| {
                failed = Some(e);
                None
            })
        });
        each_group(entries, &mut |group| f(group, &[]));
        failed.map_or(Ok(()), Err)
    }

    /// The groups of key `key` in parts (in token order), when nothing was spilled. Each
    /// record is in at most one group of a key (it has one token per key).
    pub(crate) fn parts(&self, key: usize) -> Option<&[Groups]> {
        match self.keys[key] {
            Source::Memory => Some(&self.memory[key]),
            _ => None,
        }
    }

    /// The groups of key `key` are no longer needed: frees its memory or runs.
    pub fn done(&mut self, key: usize) -> Result<()> {
        if let Source::Runs(runs) = std::mem::replace(&mut self.keys[key], Source::Done) {
            for r in runs {
                self.store.remove(r).map_err(io_err)?;
            }
        }
        if let Some(m) = self.memory.get_mut(key) {
            *m = Vec::new();
        }
        Ok(())
    }
}

/// A k-way merge of sorted runs.
struct Merge {
    readers: Vec<BufReader<Box<dyn Read>>>,
    heap: BinaryHeap<Reverse<(Entry, usize)>>,
}

impl Merge {
    fn new(store: &mut dyn RunStore, runs: &[usize]) -> Result<Merge> {
        let mut m = Merge {
            readers: Vec::with_capacity(runs.len()),
            heap: BinaryHeap::with_capacity(runs.len()),
        };
        for (i, &r) in runs.iter().enumerate() {
            let input = store.open(r).map_err(io_err)?;
            m.readers.push(BufReader::with_capacity(READ_BUF, input));
            if let Some(e) = read_entry(&mut m.readers[i])? {
                m.heap.push(Reverse((e, i)));
            }
        }
        Ok(m)
    }

    fn next(&mut self) -> Result<Option<Entry>> {
        let Some(mut top) = self.heap.peek_mut() else {
            return Ok(None);
        };
        let Reverse((e, i)) = *top;
        match read_entry(&mut self.readers[i])? {
            Some(n) => *top = Reverse((n, i)),
            None => {
                std::collections::binary_heap::PeekMut::pop(top);
            }
        }
        Ok(Some(e))
    }
}

/// The next entry of a run, `None` at its end.
fn read_entry(r: &mut BufReader<Box<dyn Read>>) -> Result<Option<Entry>> {
    let mut b = [0u8; ENTRY_BYTES];
    // Fast path: a whole entry in the buffer.
    let buf = r.buffer();
    if buf.len() >= ENTRY_BYTES {
        b.copy_from_slice(&buf[..ENTRY_BYTES]);
        r.consume(ENTRY_BYTES);
        return Ok(Some(decode(&b)));
    }
    let mut got = 0;
    while got < ENTRY_BYTES {
        let n = match r.read(&mut b[got..]) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(io_err(e)),
        };
        if n == 0 {
            if got == 0 {
                return Ok(None);
            }
            return Err(io_err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "run terpotong",
            )));
        }
        got += n;
    }
    Ok(Some(decode(&b)))
}

// `TOKEN_LEN` is what the entry layout assumes.
const _: () = assert!(TOKEN_LEN == 16);

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::par::TestThreads;

    /// A small, seeded pseudo-random sequence (xorshift64) for the tests' inputs.
    pub(crate) fn xorshift(mut seed: u64) -> impl FnMut() -> u64 {
        move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        }
    }

    fn groups_by_sort(entries: &[(Token, u32)]) -> Vec<Vec<u32>> {
        let mut all = entries.to_vec();
        all.sort_unstable();
        let mut out: Vec<Vec<u32>> = Vec::new();
        let mut s = 0;
        while s < all.len() {
            let mut e = s + 1;
            while e < all.len() && all[e].0 == all[s].0 {
                e += 1;
            }
            if e - s >= 2 {
                out.push(all[s..e].iter().map(|x| x.1).collect());
            }
            s = e;
        }
        out
    }

    /// `each` gives every group with the members of all the groups after it.
    #[test]
    fn each_group_comes_with_the_members_after_it() {
        let mut g = Groups::default();
        g.push([4, 9]);
        g.push([1, 2, 7]);
        g.push([3, 5]);
        let mut seen: Vec<(Vec<u32>, Vec<u32>)> = Vec::new();
        g.each(&mut |group, rest| seen.push((group.to_vec(), rest.to_vec())));
        assert_eq!(
            seen,
            vec![
                (vec![4, 9], vec![1, 2, 7, 3, 5]),
                (vec![1, 2, 7], vec![3, 5]),
                (vec![3, 5], vec![]),
            ]
        );
    }

    /// The ranges of groups cover every group once, in order, with about as many members
    /// each; `each_in` over them gives what `each` gives.
    #[test]
    fn ranges_of_groups_cover_them_once() {
        let mut g = Groups::default();
        for i in 0..50u32 {
            g.push((0..2 + i % 5).map(|m| i * 10 + m));
        }
        let mut whole: Vec<(Vec<u32>, Vec<u32>)> = Vec::new();
        g.each(&mut |group, rest| whole.push((group.to_vec(), rest.to_vec())));
        for n in [1, 2, 3, 7, 50, 80] {
            let ranges = g.ranges(n);
            assert!(
                ranges.len() <= n && ranges.len() >= n.min(50) * 2 / 3,
                "{n}: {ranges:?}"
            );
            let mut seen = Vec::new();
            for r in &ranges {
                let mut members = 0;
                g.each_in(r.clone(), &mut |group, rest| {
                    members += group.len();
                    seen.push((group.to_vec(), rest.to_vec()));
                });
                // About a share of the 200 members (a group at most over).
                assert!(members <= 200 / n + 6, "{n}: {members} in {r:?}");
            }
            assert_eq!(seen, whole, "{n}");
        }
        assert!(Groups::default().ranges(2).is_empty());
    }

    /// Groups made in the entries' own memory equal those made beside them, for runs of
    /// equal tokens of every length, at the start, in the middle and at the end.
    #[test]
    fn groups_in_place_equal_groups_beside() {
        let mut rnd = xorshift(0x5851_f42d_4c95_7f2du64);
        let groups = |g: &Groups| g.iter().map(<[u32]>::to_vec).collect::<Vec<_>>();
        for (n, distinct) in [
            (0, 1),
            (1, 1),
            (2, 1),
            (3, 2),
            (50, 1),
            (500, 40),
            (5000, 4000),
        ] {
            let v: Vec<Entry> = (0..n)
                .map(|r| Entry::new((rnd() % distinct) as u128 * 0x1_0000_0001, r as u32))
                .collect();
            let mut sorted = v.clone();
            sorted.sort_unstable();
            let beside = Groups::of_sorted(sorted.into_iter());
            let inside = Groups::in_place(v);
            assert_eq!(groups(&inside), groups(&beside), "{n} entries");
            assert_eq!(inside.members.capacity(), inside.members.len());
            if distinct < n {
                assert!(!beside.ends.is_empty());
            }
        }
    }

    /// With any budget and fan-in, the groups are those of one full sort, in its order;
    /// every spilled run is removed at the end.
    #[test]
    fn spilled_groups_equal_a_full_sort() {
        let mut rnd = xorshift(0x2545_f491_4f6c_dd1du64);
        let n = 3000u32;
        let mut per_key: Vec<Vec<(Token, u32)>> = vec![Vec::new(); 2];
        for rec in 0..n {
            for (k, v) in per_key.iter_mut().enumerate() {
                if rnd().is_multiple_of(5) {
                    continue;
                }
                let t = ((rnd() % (200 + 300 * k as u64)) as u128) << (rnd() % 3 * 40);
                v.push((t.to_be_bytes(), rec));
            }
        }
        let threads = TestThreads(3);
        for (budget, fan_in, par) in [
            (usize::MAX, 64, &Serial as &dyn Parallel),
            (usize::MAX, 64, &threads),
            (100 * ENTRY_MEMORY, 64, &Serial),
            (4000 * ENTRY_MEMORY, 64, &threads),
            (37 * ENTRY_MEMORY, 3, &threads),
            (1, 2, &Serial),
        ] {
            let mut store = MemoryRuns::default();
            let mut s = Sorter::new(&mut store, 2, budget)
                .with_fan_in(fan_in)
                .parallel(par);
            for rec in 0..n {
                for (k, v) in per_key.iter().enumerate() {
                    if let Ok(j) = v.binary_search_by_key(&rec, |e| e.1) {
                        s.push(k, &v[j].0, rec).unwrap();
                    }
                }
            }
            let spilled = s.spilled();
            assert_eq!(spilled == 0, budget == usize::MAX, "budget {budget}");
            let mut sorted = s.finish().unwrap();
            for (k, v) in per_key.iter().enumerate() {
                let want = groups_by_sort(v);
                assert!(want.len() > 50);
                for _ in 0..2 {
                    let mut got: Vec<Vec<u32>> = Vec::new();
                    sorted.groups(k, &mut |g, _| got.push(g.to_vec())).unwrap();
                    assert_eq!(got, want, "budget {budget}, key {k}");
                }
                sorted.done(k).unwrap();
            }
            drop(sorted);
            assert_eq!(store.live(), 0);
        }
    }

    /// The packing keeps every bit and the order of (token, record), in memory and in a
    /// run.
    #[test]
    fn entry_packing() {
        let t = [
            0xfedc_ba98_7654_3210_0123_4567_89ab_cdefu128,
            7,
            8,
            1 << 127,
            1 << 64,
            1 << 63,
            1 << 32,
            u128::MAX,
        ];
        let mut all = Vec::new();
        for &tok in &t {
            for rec in [0u32, 5, 1 << 31, u32::MAX] {
                let e = Entry::new(tok, rec);
                assert_eq!((e.token(), e.record()), (tok, rec));
                assert_eq!(decode(&encode(&e)), e);
                let mut bytes = tok.to_be_bytes().to_vec();
                bytes.extend(rec.to_be_bytes());
                assert_eq!(&encode(&e)[..], &bytes[..]);
                for (i, &b) in bytes.iter().enumerate() {
                    assert_eq!(e.byte(i), b as usize, "byte {i}");
                }
                all.push(((tok, rec), e));
            }
        }
        let mut by_tuple = all.clone();
        by_tuple.sort_by_key(|x| x.0);
        all.sort_by_key(|x| x.1);
        assert_eq!(all, by_tuple);
    }

    /// The radix sort gives `sort_unstable`'s order on structured inputs: empty, tiny,
    /// all equal, one token many records, random tokens, tokens sharing long prefixes.
    #[test]
    fn radix_sort_cases() {
        let check = |v: Vec<Entry>| {
            let mut want = v.clone();
            want.sort_unstable();
            let mut got = v.clone();
            sort_entries(&mut got);
            assert_eq!(got, want);
            // In tasks: the shares, merged one after the other, are the sorted entries,
            // none splitting a run of equal tokens; each share's runs are sorted
            // and are where their ranges say in the slice, which holds the same entries.
            for width in [2, 3, 7] {
                let mut got = v.clone();
                let parts = sort_then(&mut got, &TestThreads(width), &|s: &Share| {
                    for (r, run) in &s.runs {
                        assert!(run.is_sorted());
                        assert_eq!(run.len(), r.len());
                    }
                    (merged(&s.entries()).collect::<Vec<_>>(), s.ranges())
                });
                assert!(parts.len() <= width);
                let all: Vec<Entry> = parts.iter().flat_map(|p| p.0.clone()).collect();
                assert_eq!(all, want);
                let mut placed: Vec<Entry> = Vec::new();
                for (entries, ranges) in &parts {
                    let from_slice: Vec<&[Entry]> =
                        ranges.iter().map(|r| &got[r.clone()]).collect();
                    assert_eq!(&merged(&from_slice).collect::<Vec<_>>(), entries);
                    placed.extend(ranges.iter().flat_map(|r| got[r.clone()].iter().copied()));
                }
                placed.sort_unstable();
                assert_eq!(placed, want);
                for w in parts.windows(2) {
                    let (a, b) = (w[0].0.last().unwrap(), w[1].0[0]);
                    assert!(a.token() != b.token());
                }
            }
        };
        check(Vec::new());
        check(vec![Entry::new(5, 2)]);
        check(vec![Entry::new(5, 2), Entry::new(9, 1)]);
        check(vec![Entry::new(77, 4); 1000]);
        check((0..5000).rev().map(|r| Entry::new(1 << 100, r)).collect());
        check(
            (0..5000u32)
                .map(|r| Entry::new((r % 5) as u128, r % 7))
                .collect(),
        );
        let mut rnd = xorshift(0x9e37_79b9_7f4a_7c15u64);
        for n in [47, 48, 49, 300, 20_000] {
            let v: Vec<Entry> = (0..n)
                .map(|r| {
                    let t = (rnd() as u128) << 64 | rnd() as u128;
                    Entry::new(t, r)
                })
                .collect();
            check(v.clone());
            // Long shared prefixes, duplicates of whole tokens.
            let v: Vec<Entry> = (0..n)
                .map(|_| {
                    let t = (0xfeed_u128 << 112) | (rnd() % 37) as u128;
                    Entry::new(t, (rnd() % 50) as u32)
                })
                .collect();
            check(v);
        }
    }

    proptest::proptest! {
        /// Any entries, with many duplicates (few distinct bytes): the radix sort equals
        /// `sort_unstable`.
        #[test]
        fn radix_sort_equals_sort_unstable(
            v in proptest::collection::vec(
                (0u8..4, 0u8..3, 0u32..4, proptest::bool::ANY), 0..400),
        ) {
            let mut v: Vec<Entry> = v
                .iter()
                .map(|&(hi, lo, r, wide)| {
                    let t = (hi as u128) << 120 | (lo as u128) << (if wide { 3 } else { 64 });
                    Entry::new(t, if wide { r.wrapping_mul(0x9e37_79b9) } else { r })
                })
                .collect();
            let mut want = v.clone();
            want.sort_unstable();
            sort_entries(&mut v);
            proptest::prop_assert_eq!(v, want);
        }
    }

    /// A spilled run cut short fails the reading of its key's groups, after the groups
    /// before the cut.
    #[test]
    fn groups_of_a_cut_run_are_an_error() {
        /// Runs in memory whose reads, once `cut` is set, lose their last 3 bytes.
        struct Cutting {
            runs: MemoryRuns,
            cut: Rc<std::cell::Cell<bool>>,
        }
        impl RunStore for Cutting {
            fn create(&mut self) -> io::Result<(usize, Box<dyn Write>)> {
                self.runs.create()
            }
            fn open(&mut self, run: usize) -> io::Result<Box<dyn Read>> {
                let mut bytes = Vec::new();
                self.runs.open(run)?.read_to_end(&mut bytes)?;
                if self.cut.get() {
                    bytes.truncate(bytes.len().saturating_sub(3));
                }
                Ok(Box::new(io::Cursor::new(bytes)))
            }
            fn remove(&mut self, run: usize) -> io::Result<()> {
                self.runs.remove(run)
            }
        }
        let cut = Rc::new(std::cell::Cell::new(false));
        let mut store = Cutting {
            runs: MemoryRuns::default(),
            cut: cut.clone(),
        };
        let mut s = Sorter::new(&mut store, 1, 8 * ENTRY_MEMORY);
        for rec in 0..40u32 {
            s.push(0, &((rec / 2) as u128).to_be_bytes(), rec).unwrap();
        }
        assert!(s.spilled() > 0);
        let mut sorted = s.finish().unwrap();
        let mut whole = 0;
        sorted.groups(0, &mut |_, _| whole += 1).unwrap();
        assert_eq!(whole, 20);
        cut.set(true);
        let mut seen = 0;
        let e = sorted.groups(0, &mut |_, _| seen += 1).unwrap_err();
        assert!(e.to_string().contains("terpotong"), "{e}");
        assert!(seen < whole);
    }

    /// A run cut short is an error, not a silent end.
    #[test]
    fn truncated_run_is_an_error() {
        let mut store = MemoryRuns::default();
        let (_, mut w) = store.create().unwrap();
        w.write_all(&[1u8; ENTRY_BYTES + 3]).unwrap();
        drop(w);
        let mut m = Merge::new(&mut store, &[0]).unwrap();
        // The first entry is whole; reading past it finds the cut.
        let e = m.next().unwrap_err();
        assert!(e.to_string().contains("terpotong"), "{e}");
    }
}
