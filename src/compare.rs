//! The coordinator's comparison. Needs no key and refuses one.
//!
//! Records of all lists are linked by shared tokens, match key by match key, strongest
//! first, with a union-find over records. A link made by key `i` between two clusters that
//! both already hold a token of some stronger key `j < i` is refused as a **conflict to
//! verify**: had their key-`j` tokens been equal, key `j` would have joined them already,
//! so they disagree (same name and birth date, different NIK). Clusters are people.
//!
//! Out come a summary for the coordinator (counts below the workflow's k suppressed) and
//! one result file per office, holding only that office's own references and statuses.

use std::collections::BTreeMap;
use std::io::Read;
use std::sync::atomic::{AtomicU32, AtomicU8, Ordering::Relaxed};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::keys::{Token, TOKEN_LEN};
use crate::par::{Parallel, Serial};
use crate::pipeline::{Context, Progress};
use crate::result::{ResultHeader, Status, Verify};
use crate::runs::Groups;
use crate::runs::{MemoryRuns, RunStore, Sorted, Sorter};
use crate::tokens::TokenReader;
use crate::workflow::{Disclosure, Workflow};

/// A per-office result file, ready to hand out.
#[derive(Clone, Debug)]
pub struct ResultFile {
    pub party: String,
    pub file_name: String,
    pub bytes: Vec<u8>,
}

/// Everything `compare` produces.
#[derive(Clone, Debug)]
pub struct CompareOutput {
    pub summary: Summary,
    pub summary_text: String,
    pub results: Vec<ResultFile>,
    /// Coordinator-internal: the cluster (person) of every record, by party and reference.
    /// Never written to a result file; used to measure quality on the demo.
    pub clusters: RecordClusters,
    /// Dice comparisons made by fuzzy matching (0 without).
    pub fuzzy_comparisons: u64,
    /// The SHA-256 (hex) of each input token file as read, in the order given (for the
    /// receipt and the audit log: no second pass over the files).
    pub input_sha256: Vec<String>,
}

/// The cluster of every record, column by column: record `x` is reference `refs[x]` of
/// party `parties[party[x]]`, in cluster `cluster[x]` (the index of one of the cluster's
/// records).
#[derive(Clone, Debug, Default)]
pub struct RecordClusters {
    /// The workflow's data party ids.
    pub parties: Vec<String>,
    pub party: Vec<u8>,
    pub refs: Vec<Token>,
    pub cluster: Vec<u32>,
    /// Fuzzy matching's verification links (pairs of records, and why), never merged.
    pub verify: Vec<(u32, u32, Verify)>,
}

impl RecordClusters {
    pub fn len(&self) -> usize {
        self.refs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.refs.is_empty()
    }

    /// (party id, reference, cluster id) of every record.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Token, u32)> + '_ {
        self.party
            .iter()
            .zip(&self.refs)
            .zip(&self.cluster)
            .map(|((&p, r), &c)| (self.parties[p as usize].as_str(), r, c))
    }
}

/// A count as released: the number, or `"<k"` when suppressed.
pub type Count = serde_json::Value;

/// The coordinator's summary. Every count between 1 and k-1 is suppressed, and so is the
/// smallest other count of a table whose total is shown, when only one was suppressed.
#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    pub format: &'static str,
    pub workflow_id: String,
    pub workflow_digest: String,
    pub kcv: String,
    pub k: u32,
    /// Distinct people across all lists: the one poverty count.
    pub people_total: Count,
    pub lists: Vec<ListSummary>,
    /// Pairwise overlaps: people in both lists.
    pub overlaps: Vec<Overlap>,
    /// Every combination of lists (UpSet): people in exactly these lists.
    pub combinations: Vec<Combination>,
    /// Per match key: links made and conflicts found.
    pub links: Vec<KeyLinks>,
    /// Records involved in a conflict to verify.
    pub conflict_records: Count,
    /// Fuzzy matching's links to verify (workflows with fuzzy matching only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verification: Option<Verification>,
    pub created_by: String,
}

/// Links found by fuzzy matching: to verify, never merged into the people counts.
#[derive(Clone, Debug, Serialize)]
pub struct Verification {
    /// Records with status `perlu_verifikasi`, all lists.
    pub records: Count,
    pub similar_name_links: Count,
    pub nik_typo_links: Count,
    /// Similar-name links per pair of lists.
    pub similar_by_pair: Vec<VerificationPair>,
    /// Blocks too large to compare, and the pairs of records in them (not compared).
    pub blocks_skipped: u64,
    pub pairs_skipped: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct VerificationPair {
    pub a: String,
    pub b: String,
    pub links: Count,
}

#[derive(Clone, Debug, Serialize)]
pub struct ListSummary {
    pub party: String,
    pub name: String,
    pub records: Count,
    pub people: Count,
    /// Records that are a second (or later) record of the same person in the same list.
    pub duplicates: Count,
    pub statuses: BTreeMap<String, Count>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Overlap {
    pub a: String,
    pub b: String,
    pub people: Count,
}

#[derive(Clone, Debug, Serialize)]
pub struct Combination {
    pub parties: Vec<String>,
    pub people: Count,
}

#[derive(Clone, Debug, Serialize)]
pub struct KeyLinks {
    pub key: String,
    pub links: Count,
    pub conflicts: Count,
}

/// What is kept of every record, column by column, indexed by record (load order).
struct Loaded {
    party: Vec<u8>,
    refs: Vec<Token>,
    /// Only in the tests' reference implementation (`reference::compare`):
    /// `tokens[i][rec]`, the key-`i` token of a record as a big-endian number (so numeric
    /// order is byte order), zero when absent (see `masks`). The comparison itself streams
    /// the tokens into a [`Sorter`] instead.
    tokens: Vec<Vec<u128>>,
    masks: Vec<u8>,
    /// The fuzzy part of every record (`padan-tokens/2`), in record order; empty without.
    fuzzy: Vec<u8>,
}

/// The records per task of a loop over all records split over the tasks of `par`: a few
/// tasks per core (they may not run at one speed), none tiny.
fn chunk_len(n: usize, par: &dyn Parallel) -> usize {
    // The tests' demos are small: several chunks there too.
    const MIN: usize = if cfg!(test) { 1 << 9 } else { 1 << 16 };
    n.div_ceil(par.width().max(1) * 4).max(MIN)
}

/// Union-find with path halving and per-root key masks. Its entries are atomics (plain
/// loads and stores: every access is `Relaxed`) so that the strongest key's groups, whose
/// records are disjoint, can be linked on several cores at once ([`UnionFind::link_roots`]);
/// everything else is serial.
struct UnionFind {
    parent: Vec<AtomicU32>,
    mask: Vec<AtomicU8>,
}

impl UnionFind {
    /// Every record its own root, with its key mask.
    fn new(masks: &[u8]) -> UnionFind {
        UnionFind::with_parents((0..masks.len() as u32).collect(), masks)
    }

    fn with_parents(parent: Vec<u32>, masks: &[u8]) -> UnionFind {
        UnionFind {
            parent: parent.into_iter().map(AtomicU32::new).collect(),
            mask: masks.iter().map(|&m| AtomicU8::new(m)).collect(),
        }
    }

    fn parent(&self, x: u32) -> u32 {
        self.parent[x as usize].load(Relaxed)
    }

    fn set_parent(&self, x: u32, p: u32) {
        self.parent[x as usize].store(p, Relaxed)
    }

    fn mask(&self, x: u32) -> u8 {
        self.mask[x as usize].load(Relaxed)
    }

    fn set_mask(&self, x: u32, m: u8) {
        self.mask[x as usize].store(m, Relaxed)
    }

    fn find(&self, mut x: u32) -> u32 {
        while self.parent(x) != x {
            let p = self.parent(x);
            self.set_parent(x, self.parent(p));
            x = self.parent(x);
        }
        x
    }

    /// Every record's root. In chunks on the lent cores, reading only, as long as every
    /// chain is short (so it is after the path halving of real links); a chain longer than
    /// [`UnionFind::SHORT`] (token files made to build one) sends it to the serial pass
    /// with path halving, which stays O(n log n) where walking every chain in full could
    /// take O(n^2).
    fn roots(&self, par: &dyn Parallel) -> Vec<u32> {
        let n = self.parent.len();
        let mut root = vec![0u32; n];
        let short = crate::par::map_chunks(par, &mut root, chunk_len(n, par), |start, out| {
            for (i, r) in out.iter_mut().enumerate() {
                if let Some(p) = self.parent.get(start + i + AHEAD) {
                    crate::runs::prefetch(&self.parent, p.load(Relaxed) as usize);
                }
                let mut x = (start + i) as u32;
                let mut steps = 0;
                while self.parent(x) != x {
                    if steps == Self::SHORT {
                        return false;
                    }
                    x = self.parent(x);
                    steps += 1;
                }
                *r = x;
            }
            true
        });
        if !short.iter().all(|&s| s) {
            for x in 0..n as u32 {
                root[x as usize] = self.find(x);
            }
        }
        root
    }

    /// The longest chain [`UnionFind::roots`] walks without path halving.
    const SHORT: usize = 64;

    /// Links the records of one group of the strongest key (which refuses no link) when
    /// each is still the root of its cluster, as every record is before the strongest key's
    /// groups (a record is in one group per key): the first becomes the root of them all,
    /// with no search. Returns the links made, or `None` (and changes nothing) when a
    /// record is not a root; [`UnionFind::link_group`] links such a group. Groups with no
    /// record in common may be linked at the same time.
    fn link_roots(&self, group: &[u32]) -> Option<u64> {
        let (&first, rest) = group.split_first()?;
        if group.iter().any(|&x| self.parent(x) != x) {
            return None;
        }
        let (mut links, mut mask) = (0, self.mask(first));
        for &x in rest {
            if x != first && self.parent(x) == x {
                self.set_parent(x, first);
                mask |= self.mask(x);
                links += 1;
            }
        }
        self.set_mask(first, mask);
        Some(links)
    }

    /// Links the records of one group of equal key-`i` tokens, in order, refusing links
    /// between clusters that both hold a token of a key in `stronger`. Returns the links
    /// made and the links refused.
    fn link_group(&self, group: &[u32], stronger: u8, roots: &mut Vec<u32>) -> (u64, u64) {
        let (mut links, mut conflicts) = (0, 0);
        roots.clear();
        for &x in group {
            let mut rx = self.find(x);
            let mut merged = false;
            for root in roots.iter_mut() {
                let rr = self.find(*root);
                *root = rr;
                if rr == rx {
                    merged = true;
                    continue;
                }
                if self.mask(rx) & self.mask(rr) & stronger != 0 {
                    conflicts += 1;
                    continue;
                }
                if !merged {
                    self.set_mask(rr, self.mask(rx) | self.mask(rr));
                    self.set_parent(rx, rr);
                    links += 1;
                    rx = rr;
                    merged = true;
                }
            }
            if !merged {
                roots.push(rx);
            }
        }
        (links, conflicts)
    }
}

/// How many records ahead the loops over records ask for a record's parent or cluster
/// (they go through the records in order; parents and clusters are all over memory), and
/// the pass over the groups for later group members' parents.
const AHEAD: usize = 16;

/// Where `link` gets the groups of equal tokens of each match key from.
trait GroupSource {
    /// Calls `f` with every group of key `key` (records sharing one token, two or more),
    /// in token order, the records of a group in record order, and the records of the
    /// groups after it as far as the source knows them (possibly none): `link` asks for
    /// their data ahead. Called once per key.
    fn groups(&mut self, key: usize, f: &mut dyn FnMut(&[u32], &[u32])) -> Result<()>;
    /// The groups of key `key` are no longer needed.
    fn done(&mut self, key: usize) -> Result<()>;
    /// The groups of key `key` in parts held in memory, in token order, when the source
    /// has them so and each record is in at most one of them (else `None`; the groups
    /// then come from [`GroupSource::groups`]).
    fn parts(&self, key: usize) -> Option<&[Groups]>;
}

/// Groups held in memory (the tests' reference).
#[cfg(test)]
impl GroupSource for Vec<Groups> {
    fn groups(&mut self, key: usize, f: &mut dyn FnMut(&[u32], &[u32])) -> Result<()> {
        self[key].each(f);
        Ok(())
    }
    fn done(&mut self, key: usize) -> Result<()> {
        self[key] = Groups::default();
        Ok(())
    }
    fn parts(&self, key: usize) -> Option<&[Groups]> {
        Some(std::slice::from_ref(&self[key]))
    }
}

/// Groups from the external sort (the native comparison).
impl GroupSource for Sorted<'_> {
    fn groups(&mut self, key: usize, f: &mut dyn FnMut(&[u32], &[u32])) -> Result<()> {
        Sorted::groups(self, key, f)
    }
    fn done(&mut self, key: usize) -> Result<()> {
        Sorted::done(self, key)
    }
    fn parts(&self, key: usize) -> Option<&[Groups]> {
        Sorted::parts(self, key)
    }
}

/// `groups_of` makes buckets of about 2^BUCKET_BITS records.
#[cfg(test)]
const BUCKET_BITS: u32 = 6;

/// Finds the groups of equal tokens among the records whose `masks` has `bit`, in O(n).
/// The records are sorted on the first 32 bits of their (uniformly random) tokens and
/// then by record: a counting sort into buckets of about a thousand on the first bits,
/// then a sort of each bucket in cache. Runs of equal bits are candidate groups, checked
/// on the full tokens. Groups come in the order one sort of all (token, record) pairs
/// gives. The in-memory grouping `compare` used before it streamed; kept as the tests'
/// reference.
#[cfg(test)]
fn groups_of(tokens: &[u128], masks: &[u8], bit: u8, sorted: &mut Vec<u64>) -> Groups {
    let present = |r: usize| masks[r] & bit != 0;
    let m = (0..masks.len()).filter(|&r| present(r)).count();
    let mut groups = Groups::default();
    if m < 2 {
        return groups;
    }
    let bits = (usize::BITS - m.leading_zeros())
        .saturating_sub(BUCKET_BITS)
        .min(20);
    let bucket = |t: u128| (t >> 64 >> (64 - bits)) as usize;
    let mut start = vec![0u32; (1 << bits) + 1];
    for (r, &t) in tokens.iter().enumerate() {
        if present(r) {
            start[bucket(t) + 1] += 1;
        }
    }
    for b in 1..start.len() {
        start[b] += start[b - 1];
    }
    // (first 32 bits of the token, record).
    sorted.clear();
    sorted.resize(m, 0);
    {
        let mut next = start.clone();
        for (r, &t) in tokens.iter().enumerate() {
            if present(r) {
                let b = bucket(t);
                sorted[next[b] as usize] = ((t >> 96) as u64) << 32 | r as u64;
                next[b] += 1;
            }
        }
    }
    for w in start.windows(2) {
        sorted[w[0] as usize..w[1] as usize].sort_unstable();
    }
    drop(start);
    // Candidates: runs of equal first bits.
    groups.members.reserve(m);
    groups.ends.reserve(m / 2);
    let mut s = 0;
    while s < m {
        let hi = sorted[s] >> 32;
        let mut e = s + 1;
        while e < m && sorted[e] >> 32 == hi {
            e += 1;
        }
        if e - s >= 2 {
            groups.push(sorted[s..e].iter().map(|&v| v as u32));
        }
        s = e;
    }
    // Check the candidates on their full tokens, gathering them a batch at a time (the
    // loads are independent, so they overlap).
    let mut bad: Vec<usize> = Vec::new();
    let mut buf: Vec<u128> = Vec::with_capacity(4096);
    let (mut g, mut s) = (0, 0);
    while g < groups.ends.len() {
        let mut h = g;
        while h < groups.ends.len() && (groups.ends[h] as usize - s <= 4096 || h == g) {
            h += 1;
        }
        let e = groups.ends[h - 1] as usize;
        buf.clear();
        buf.extend(groups.members[s..e].iter().map(|&r| tokens[r as usize]));
        let mut a = s;
        for (j, &end) in groups.ends[g..h].iter().enumerate() {
            let run = &buf[a - s..end as usize - s];
            if run.iter().any(|&t| t != run[0]) {
                bad.push(g + j);
            }
            a = end as usize;
        }
        (g, s) = (h, e);
    }
    if bad.is_empty() {
        return groups;
    }
    // Equal first bits, different tokens: split by the full token.
    let old = std::mem::take(&mut groups);
    let mut bad = bad.into_iter().peekable();
    let mut run: Vec<u32> = Vec::new();
    for (j, group) in old.iter().enumerate() {
        if bad.next_if_eq(&j).is_none() {
            groups.push(group.iter().copied());
            continue;
        }
        run.clear();
        run.extend_from_slice(group);
        run.sort_by_key(|&r| tokens[r as usize]);
        let mut x = 0;
        while x < run.len() {
            let t = tokens[run[x] as usize];
            let mut y = x + 1;
            while y < run.len() && tokens[run[y] as usize] == t {
                y += 1;
            }
            if y - x >= 2 {
                groups.push(run[x..y].iter().copied());
            }
            x = y;
        }
    }
    groups
}

/// Records of a token file read and hashed at once (about 2 MB): alone, with no other
/// core to hash on.
const LOAD_BATCH: usize = 1 << 15;
/// With another core, which hashes each batch while it is read: about 8 MB, so that a
/// DTKS-sized file lends that core a dozen tasks, not fifty.
const LOAD_BATCH_PARALLEL: usize = 1 << 17;

/// The token files of one comparison, read and checked.
struct Inputs<'w> {
    loaded: Loaded,
    data_parties: Vec<&'w str>,
    kcv: String,
    /// Per file, in the order given: its header and verified checksum.
    files: Vec<(String, crate::tokens::TokenHeader, [u8; 32])>,
    /// Per file, in the order given: the SHA-256 of the whole file (hex).
    sha256: Vec<String>,
    rows: u64,
}

/// How [`load`] checks each token file's checksum.
#[derive(Clone, Copy)]
enum Check<'d> {
    /// Against the body's digest: `digests[i]` for input `i` when given, else hashed here.
    Now(&'d [Option<FileDigests>]),
    /// Later, by the caller ([`Unconfirmed::confirm`]); the files are not hashed here.
    Deferred,
}

/// Reads and checks the token files (same workflow, same KCV, one file per party), one
/// pass over each, keeping references, parties and masks. The tokens go to `sorter` when
/// given (the native path), into `Loaded::tokens` with `keep_tokens` (the tests'
/// reference), or nowhere (the joined path, whose groups come from elsewhere).
fn load<'w>(
    ctx: &Context<'w>,
    inputs: Vec<(String, Box<dyn Read + '_>)>,
    check: Check<'_>,
    mut sorter: Option<&mut Sorter>,
    keep_tokens: bool,
    par: &dyn Parallel,
    progress: &mut dyn FnMut(Progress),
) -> Result<Inputs<'w>> {
    let wf = ctx.workflow;
    wf.check_valid_on(ctx.today, ctx.workflow_file)?;
    if inputs.is_empty() {
        return Err(Error::Refused {
            what: "tidak ada berkas token untuk dibandingkan.".into(),
        });
    }
    let data_parties: Vec<&str> = wf.data_parties().map(|p| p.id.as_str()).collect();
    if data_parties.len() > 64 {
        return Err(Error::workflow(
            ctx.workflow_file,
            Some("parties"),
            "paling banyak 64 pihak pemegang daftar.",
        ));
    }
    let nk = wf.match_keys.len();
    let mut loaded = Loaded {
        party: Vec::new(),
        refs: Vec::new(),
        tokens: vec![Vec::new(); nk],
        masks: Vec::new(),
        fuzzy: Vec::new(),
    };
    let exact_size = TOKEN_LEN + 1 + nk * TOKEN_LEN;
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    let mut kcv: Option<(String, String)> = None;
    let mut files = Vec::new();
    let mut sha256 = Vec::new();
    let mut rows = 0u64;
    // Every header first (refusing a mismatched file before anything is read), so that
    // memory is reserved once, at its final size, instead of growing file by file.
    let mut readers = Vec::with_capacity(inputs.len());
    for (i, (name, input)) in inputs.into_iter().enumerate() {
        let mut r = TokenReader::new(input, &name)?;
        match check {
            Check::Now(digests) => {
                if let Some(Some(d)) = digests.get(i) {
                    r = r.with_body_digest(d.body);
                }
            }
            Check::Deferred => r = r.with_deferred_check(),
        }
        r.check_against(wf)?;
        let h = &r.header;
        match &kcv {
            None => kcv = Some((h.kcv.clone(), name.clone())),
            Some((k, first)) if *k != h.kcv => {
                return Err(Error::mismatch(
                    &name,
                    format!(
                        "dibuat dengan kunci lain (KCV {}) daripada {first} (KCV {k}). Semua OPD harus memakai kunci yang sama dari pemegang kunci.",
                        h.kcv
                    ),
                ))
            }
            _ => {}
        }
        if let Some(other) = seen.insert(h.party.clone(), name.clone()) {
            return Err(Error::mismatch(
                &name,
                format!(
                    "pihak '{}' sudah diwakili oleh berkas {other}: satu berkas per pihak.",
                    h.party
                ),
            ));
        }
        let p = data_parties
            .iter()
            .position(|x| *x == h.party)
            .expect("checked against the workflow") as u8;
        readers.push((name, r, p));
    }
    let records = readers
        .iter()
        .map(|(_, r, _)| r.header.records)
        .fold(0, u64::saturating_add);
    if records > u32::MAX as u64 - 1 {
        return Err(too_many());
    }
    // The counts are the files' own (a damaged file is found when read); a reservation
    // that fails leaves the vectors to grow.
    let records = records as usize;
    let _ = loaded.party.try_reserve_exact(records);
    let _ = loaded.refs.try_reserve_exact(records);
    let _ = loaded.masks.try_reserve_exact(records);
    if keep_tokens {
        for t in &mut loaded.tokens {
            let _ = t.try_reserve_exact(records);
        }
    }
    let fuzzy: usize = readers
        .iter()
        .map(|(_, r, _)| {
            (r.header.records as usize).saturating_mul(r.header.record_size() - exact_size)
        })
        .fold(0, usize::saturating_add);
    let _ = loaded.fuzzy.try_reserve_exact(fuzzy);
    if let Some(s) = sorter.as_deref_mut() {
        let per_key: Vec<u64> = wf
            .match_keys
            .iter()
            .map(|k| {
                readers
                    .iter()
                    .filter_map(|(_, r, _)| r.header.tokens.get(&k.name))
                    .fold(0, |a: u64, &b| a.saturating_add(b))
            })
            .collect();
        s.expect(&per_key);
    }
    for (name, mut r, p) in readers {
        let h = r.header.clone();
        let size = h.record_size();
        // A batch at a time, hashed (on another core when lent one) while it is read.
        let batch = match par.width() {
            1 => LOAD_BATCH,
            _ => LOAD_BATCH_PARALLEL,
        };
        while r.next_batch(batch, par, &mut |batch| {
            for raw in batch.chunks_exact(size) {
                if let Some(s) = sorter.as_deref_mut() {
                    if loaded.refs.len() >= u32::MAX as usize - 1 {
                        return Err(too_many());
                    }
                    let (x, mask) = (loaded.refs.len() as u32, raw[TOKEN_LEN]);
                    for i in 0..nk {
                        if mask & (1 << i) != 0 {
                            let off = TOKEN_LEN + 1 + i * TOKEN_LEN;
                            s.push(i, raw[off..off + TOKEN_LEN].try_into().expect("16"), x)?;
                        }
                    }
                }
                loaded.party.push(p);
                loaded
                    .refs
                    .push(raw[..TOKEN_LEN].try_into().expect("16 bytes"));
                loaded.masks.push(raw[TOKEN_LEN]);
                loaded.fuzzy.extend_from_slice(&raw[exact_size..]);
                if keep_tokens {
                    for (i, t) in loaded.tokens.iter_mut().enumerate() {
                        let off = TOKEN_LEN + 1 + i * TOKEN_LEN;
                        t.push(u128::from_be_bytes(
                            raw[off..off + TOKEN_LEN].try_into().expect("16 bytes"),
                        ));
                    }
                }
                rows += 1;
                if rows.is_multiple_of(65536) {
                    progress(Progress { rows, bytes: 0 });
                }
            }
            Ok(())
        })? {}
        files.push((name, h, r.checksum().expect("verified at the end")));
        sha256.push(match check {
            Check::Now(digests) => hex::encode(match digests.get(files.len() - 1) {
                Some(Some(d)) => d.file,
                _ => r.file_sha256().expect("verified at the end"),
            }),
            // Filled in by `Unconfirmed::confirm`.
            Check::Deferred => String::new(),
        });
    }
    if loaded.refs.len() > u32::MAX as usize - 1 {
        return Err(too_many());
    }
    Ok(Inputs {
        loaded,
        data_parties,
        kcv: kcv.map(|k| k.0).unwrap_or_default(),
        files,
        sha256,
        rows,
    })
}

fn too_many() -> Error {
    Error::Refused {
        what: "terlalu banyak rekaman untuk satu perbandingan (batas 4 miliar).".into(),
    }
}

/// Compares the token files of one workflow, in memory (the browser; small inputs).
pub fn compare(
    ctx: &Context,
    inputs: Vec<(String, Box<dyn Read + '_>)>,
    progress: &mut dyn FnMut(Progress),
) -> Result<CompareOutput> {
    compare_prehashed(ctx, inputs, &[], progress)
}

/// A token file's SHA-256 digests, computed by the caller before the comparison (the
/// browser, with WebCrypto): of its body (all but the 32-byte checksum at its end), which
/// the checksum is checked against instead of hashing the records again, and of the whole
/// file, for the receipt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileDigests {
    pub body: [u8; 32],
    pub file: [u8; 32],
}

/// [`compare`] with the digests of some inputs already known (`digests[i]` for input
/// `i`; missing or `None`: hashed here). The outputs are the same; a wrong body digest
/// fails the checksum check as a damaged file does.
pub fn compare_prehashed(
    ctx: &Context,
    inputs: Vec<(String, Box<dyn Read + '_>)>,
    digests: &[Option<FileDigests>],
    progress: &mut dyn FnMut(Progress),
) -> Result<CompareOutput> {
    compare_digested(
        ctx,
        inputs,
        Check::Now(digests),
        &mut MemoryRuns::default(),
        usize::MAX,
        &Serial,
        progress,
    )
    .map(|(out, _)| out)
}

/// A comparison whose token files were read without checking their checksums (see
/// [`compare_unconfirmed`]): its output is only given out by [`Unconfirmed::confirm`].
pub struct Unconfirmed {
    out: CompareOutput,
    checksums: Checksums,
}

impl Unconfirmed {
    /// Checks every input's checksum against the digests the caller computed of it
    /// (`digests[i]` for input `i`) and gives out the comparison, with the files' digests
    /// in `input_sha256`. A checksum that does not match fails as a damaged file does in
    /// [`compare`].
    pub fn confirm(self, digests: &[FileDigests]) -> Result<CompareOutput> {
        if digests.len() != self.checksums.len() {
            return Err(Error::Refused {
                what: format!(
                    "internal: {} digests for {} token files.",
                    digests.len(),
                    self.checksums.len()
                ),
            });
        }
        for ((name, sum), d) in self.checksums.iter().zip(digests) {
            if *sum != d.body {
                return Err(crate::tokens::checksum_mismatch(name));
            }
        }
        let mut out = self.out;
        out.input_sha256 = digests.iter().map(|d| hex::encode(d.file)).collect();
        Ok(out)
    }
}

/// [`compare_prehashed`] for a caller that hashes the token files at the same time, on
/// another thread (the browser: WebCrypto runs beside the WebAssembly): the files are
/// neither hashed nor their checksums checked here, and the output waits for
/// [`Unconfirmed::confirm`] with the digests. The output is the same.
pub fn compare_unconfirmed(
    ctx: &Context,
    inputs: Vec<(String, Box<dyn Read + '_>)>,
    progress: &mut dyn FnMut(Progress),
) -> Result<Unconfirmed> {
    let (out, checksums) = compare_digested(
        ctx,
        inputs,
        Check::Deferred,
        &mut MemoryRuns::default(),
        usize::MAX,
        &Serial,
        progress,
    )?;
    Ok(Unconfirmed { out, checksums })
}

/// Compares the token files of one workflow, streaming: each file is read once; per record
/// only its reference, party and mask stay in memory, and its tokens go through an
/// external sort whose buffer takes at most about `budget` bytes, spilling sorted runs to
/// `store` when full (nothing is spilled when everything fits). The result is the same
/// for every budget and store, and whatever tasks `par` lends (sorting and writing the
/// result files use them).
pub fn compare_with(
    ctx: &Context,
    inputs: Vec<(String, Box<dyn Read + '_>)>,
    store: &mut dyn RunStore,
    budget: usize,
    par: &dyn Parallel,
    progress: &mut dyn FnMut(Progress),
) -> Result<CompareOutput> {
    compare_digested(ctx, inputs, Check::Now(&[]), store, budget, par, progress).map(|(out, _)| out)
}

/// Each input's name and the checksum read at its end.
type Checksums = Vec<(String, [u8; 32])>;

/// The comparison, and the checksums read.
fn compare_digested(
    ctx: &Context,
    inputs: Vec<(String, Box<dyn Read + '_>)>,
    check: Check<'_>,
    store: &mut dyn RunStore,
    budget: usize,
    par: &dyn Parallel,
    progress: &mut dyn FnMut(Progress),
) -> Result<(CompareOutput, Checksums)> {
    let nk = ctx.workflow.match_keys.len();
    let mut sorter = Sorter::new(store, nk, budget).parallel(par);
    let inp = load(ctx, inputs, check, Some(&mut sorter), false, par, progress)?;
    let mut sorted = sorter.finish()?;
    let rows = inp.rows;
    let checksums = inp.files.iter().map(|f| (f.0.clone(), f.2)).collect();
    let mut out = link(
        ctx.workflow,
        &inp.data_parties,
        inp.loaded,
        inp.kcv,
        &mut sorted,
        par,
        &mut |r| {
            progress(Progress {
                rows: rows + r,
                bytes: 0,
            })
        },
    )?;
    out.input_sha256 = inp.sha256;
    Ok((out, checksums))
}

/// The format of the joined output of `spark/padan_join.py`.
pub const JOINED_FORMAT: &str = "padan-joined/1";
/// The column line of a joined groups file.
pub const JOINED_COLUMNS: &str = "key,token,members";

/// `manifest.json` of a joined output: what the Spark job read and wrote.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JoinedManifest {
    pub format: String,
    pub workflow_id: String,
    pub workflow_digest: String,
    pub kcv: String,
    pub match_keys: Vec<String>,
    /// One per input export, as its metadata says.
    pub inputs: Vec<JoinedInput>,
    /// Groups written per match key (records sharing one token, two or more).
    pub groups: BTreeMap<String, u64>,
    /// Group members written per match key.
    pub members: BTreeMap<String, u64>,
    pub created_by: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JoinedInput {
    pub party: String,
    pub records: u64,
    pub tokens: BTreeMap<String, u64>,
    /// The token file's SHA-256 (hex).
    pub checksum: String,
}

/// Finds a record by (party, reference) in O(1): per party, its records sorted by
/// reference and bucketed on the references' first bits (they are uniformly random).
struct RefIndex {
    by_party: Vec<PartyIndex>,
}

struct PartyIndex {
    /// The party's records sorted by reference; `None` when they are the records
    /// `first..` in load order, already sorted.
    sorted: Option<Vec<u32>>,
    first: u32,
    /// Start of each bucket of references (by their first `bits` bits).
    starts: Vec<u32>,
    bits: u32,
}

impl RefIndex {
    fn new(l: &Loaded, np: usize, files: &[String]) -> Result<RefIndex> {
        let mut sorted: Vec<Vec<u32>> = vec![Vec::new(); np];
        for (x, &p) in l.party.iter().enumerate() {
            sorted[p as usize].push(x as u32);
        }
        let mut by_party = Vec::with_capacity(np);
        for mut v in sorted {
            let first = v.first().copied().unwrap_or(0);
            let contiguous = match v.last() {
                None => true,
                Some(&e) => (e - first) as usize + 1 == v.len(),
            };
            let in_order = v
                .windows(2)
                .all(|w| l.refs[w[0] as usize] < l.refs[w[1] as usize]);
            if !in_order {
                v.sort_by_key(|&x| l.refs[x as usize]);
                if v.windows(2)
                    .any(|w| l.refs[w[0] as usize] == l.refs[w[1] as usize])
                {
                    return Err(Error::invalid(
                        &files.join(", "),
                        None,
                        None,
                        "berkas token memuat referensi ganda; tidak dapat dipakai dengan hasil gabungan.",
                    ));
                }
            }
            let bits = (usize::BITS - v.len().leading_zeros()).min(30);
            let mut starts = vec![0u32; (1 << bits) + 1];
            for &x in &v {
                starts[Self::bucket(&l.refs[x as usize], bits) + 1] += 1;
            }
            for b in 1..starts.len() {
                starts[b] += starts[b - 1];
            }
            let direct = contiguous && in_order;
            by_party.push(PartyIndex {
                sorted: (!direct).then_some(v),
                first,
                starts,
                bits,
            });
        }
        Ok(RefIndex { by_party })
    }

    fn bucket(r: &Token, bits: u32) -> usize {
        if bits == 0 {
            0
        } else {
            (u32::from_be_bytes([r[0], r[1], r[2], r[3]]) >> (32 - bits)) as usize
        }
    }

    fn find(&self, l: &Loaded, party: usize, reference: &Token) -> Option<u32> {
        let PartyIndex {
            sorted: v,
            first,
            starts,
            bits,
        } = &self.by_party[party];
        let b = Self::bucket(reference, *bits);
        let (s, e) = (starts[b] as usize, starts[b + 1] as usize);
        match v {
            Some(v) => v[s..e]
                .iter()
                .copied()
                .find(|&x| l.refs[x as usize] == *reference),
            None => {
                let f = *first as usize;
                l.refs[f + s..f + e]
                    .iter()
                    .position(|r| r == reference)
                    .map(|k| (f + s + k) as u32)
            }
        }
    }
}

/// Finishes a comparison from the joined output of `spark/padan_join.py`: the same token
/// files (read for their references, masks and header facts only), the job's
/// `manifest.json`, and its groups files (`key,token,members` rows, in any order). The
/// result is exactly what [`compare`] gives on the same files in the same order.
///
/// It streams like [`compare_with`]: per record only its reference, party and mask stay in
/// memory; the group members go through the same external sort, within `budget` bytes,
/// spilling to `store`.
#[allow(clippy::too_many_arguments)]
pub fn compare_joined(
    ctx: &Context,
    inputs: Vec<(String, Box<dyn Read + '_>)>,
    manifest: (&str, &[u8]),
    groups: Vec<(String, Box<dyn std::io::BufRead + '_>)>,
    store: &mut dyn RunStore,
    budget: usize,
    par: &dyn Parallel,
    progress: &mut dyn FnMut(Progress),
) -> Result<CompareOutput> {
    let wf = ctx.workflow;
    let inp = load(ctx, inputs, Check::Now(&[]), None, false, par, progress)?;
    let (mname, mbytes) = manifest;
    let m: JoinedManifest = serde_json::from_slice(mbytes).map_err(|e| {
        Error::invalid(
            mname,
            None,
            None,
            format!("manifest hasil gabungan rusak: {e}"),
        )
    })?;
    let mis = |what: String| Error::mismatch(mname, what);
    if m.format != JOINED_FORMAT {
        return Err(Error::invalid(
            mname,
            None,
            Some("format"),
            format!("bukan hasil gabungan padan (format harus '{JOINED_FORMAT}')."),
        ));
    }
    if m.workflow_digest != wf.digest_hex() {
        return Err(mis(format!(
            "hasil gabungan dibuat untuk alur kerja lain (digest {}…).",
            m.workflow_digest.get(..12).unwrap_or(&m.workflow_digest)
        )));
    }
    if m.kcv != inp.kcv {
        return Err(mis(format!(
            "hasil gabungan dibuat dari token dengan kunci lain (KCV {}, berkas token KCV {}).",
            m.kcv, inp.kcv
        )));
    }
    let key_names: Vec<&str> = wf.match_keys.iter().map(|k| k.name.as_str()).collect();
    if m.match_keys
        .iter()
        .map(String::as_str)
        .ne(key_names.iter().copied())
    {
        return Err(mis(
            "kunci pencocokan hasil gabungan tidak sama dengan alur kerja.".into(),
        ));
    }
    // The job read exactly these token files (by their exports' facts).
    if m.inputs.len() != inp.files.len() {
        return Err(mis(format!(
            "hasil gabungan dibuat dari {} berkas, bukan {} berkas token yang diberikan.",
            m.inputs.len(),
            inp.files.len()
        )));
    }
    for (name, h, sum) in &inp.files {
        let Some(j) = m.inputs.iter().find(|j| j.party == h.party) else {
            return Err(mis(format!(
                "pihak '{}' ({name}) tidak ada di hasil gabungan.",
                h.party
            )));
        };
        if j.records != h.records || j.tokens != h.tokens || j.checksum != hex::encode(sum) {
            return Err(mis(format!(
                "hasil gabungan untuk pihak '{}' dibuat dari berkas token lain daripada {name} (jumlah atau checksum berbeda).",
                h.party
            )));
        }
    }

    // The groups, checked record by record.
    let l = &inp.loaded;
    let np = inp.data_parties.len();
    let names: Vec<String> = inp.files.iter().map(|f| f.0.clone()).collect();
    let index = RefIndex::new(l, np, &names)?;
    let nk = key_names.len();
    // Every member goes into the external sort as (key, group token, record): the sort
    // gives the groups back in token order, their records in record order, exactly as
    // the native comparison sees them.
    let mut sorter = Sorter::new(store, nk, budget).parallel(par);
    let mut lines = vec![0u64; nk];
    let mut got_members = vec![0u64; nk];
    let mut group: Vec<u32> = Vec::new();
    let mut line = Vec::with_capacity(256);
    for (name, mut input) in groups {
        let mut no = 0u64;
        loop {
            line.clear();
            let n = input
                .read_until(b'\n', &mut line)
                .map_err(|e| Error::io(&name, e))?;
            if n == 0 {
                break;
            }
            no += 1;
            while matches!(line.last(), Some(b'\n' | b'\r')) {
                line.pop();
            }
            if line.is_empty() || (no == 1 && line == JOINED_COLUMNS.as_bytes()) {
                continue;
            }
            let bad = |field: &str, what: &str| {
                Error::invalid(&name, Some(no), Some(field), what.to_string())
            };
            let mut cells = line.splitn(3, |&b| b == b',');
            let (Some(key), Some(token), Some(list)) = (cells.next(), cells.next(), cells.next())
            else {
                return Err(bad("key", "baris harus berisi key,token,members."));
            };
            let i = key_names
                .iter()
                .position(|k| k.as_bytes() == key)
                .ok_or_else(|| bad("key", "kunci pencocokan tidak dikenal."))?;
            let token = crate::export::unhex16(token)
                .ok_or_else(|| bad("token", "harus 32 digit heksadesimal."))?;
            group.clear();
            for member in list.split(|&b| b == b';') {
                let colon = member
                    .iter()
                    .position(|&b| b == b':')
                    .ok_or_else(|| bad("members", "anggota harus ditulis pihak:referensi."))?;
                let p = inp
                    .data_parties
                    .iter()
                    .position(|d| d.as_bytes() == &member[..colon])
                    .ok_or_else(|| bad("members", "pihak anggota tidak dikenal."))?;
                let r = crate::export::unhex16(&member[colon + 1..])
                    .ok_or_else(|| bad("members", "referensi harus 32 digit heksadesimal."))?;
                let x = index.find(l, p, &r).ok_or_else(|| {
                    bad(
                        "members",
                        "referensi ini tidak ada di berkas token pihaknya.",
                    )
                })?;
                if l.masks[x as usize] & (1 << i) == 0 {
                    return Err(bad(
                        "members",
                        "rekaman ini tidak punya token untuk kunci ini di berkas tokennya.",
                    ));
                }
                group.push(x);
            }
            group.sort_unstable();
            if group.len() < 2 || group.windows(2).any(|w| w[0] == w[1]) {
                return Err(bad(
                    "members",
                    "kelompok harus berisi dua rekaman berbeda atau lebih.",
                ));
            }
            for &x in &group {
                sorter.push(i, &token, x)?;
            }
            lines[i] += 1;
            got_members[i] += group.len() as u64;
        }
    }
    // Every group and member the job wrote arrived (no part file lost).
    for (i, k) in key_names.iter().enumerate() {
        let (want_groups, want_members) = (
            m.groups.get(*k).copied().unwrap_or(0),
            m.members.get(*k).copied().unwrap_or(0),
        );
        if want_groups != lines[i] || want_members != got_members[i] {
            return Err(mis(format!(
                "kunci '{k}': manifest mencatat {want_groups} kelompok / {want_members} anggota, berkas kelompok berisi {} / {}. Ada berkas bagian yang hilang?",
                lines[i], got_members[i]
            )));
        }
    }
    let mut source = JoinedGroups {
        sorted: sorter.finish()?,
        lines,
        checked: vec![false; nk],
        keys: key_names.iter().map(|k| k.to_string()).collect(),
        manifest: mname.to_string(),
    };
    let rows = inp.rows;
    let mut out = link(
        wf,
        &inp.data_parties,
        inp.loaded,
        inp.kcv,
        &mut source,
        par,
        &mut |r| {
            progress(Progress {
                rows: rows + r,
                bytes: 0,
            })
        },
    )?;
    out.input_sha256 = inp.sha256;
    Ok(out)
}

/// The joined groups after the external sort. Two lines of one key with the same token
/// would come out of the sort as one group; counting the groups against the lines read
/// refuses that before any of it is used.
struct JoinedGroups<'s> {
    sorted: Sorted<'s>,
    /// Lines (groups) read per key.
    lines: Vec<u64>,
    /// Keys whose count was checked.
    checked: Vec<bool>,
    keys: Vec<String>,
    manifest: String,
}

impl GroupSource for JoinedGroups<'_> {
    fn groups(&mut self, key: usize, f: &mut dyn FnMut(&[u32], &[u32])) -> Result<()> {
        // Counted as they are read: `link` throws its state away on an error, so a
        // merged group it has already seen does no harm.
        if self.checked[key] {
            return self.sorted.groups(key, f);
        }
        let mut n = 0u64;
        self.sorted.groups(key, &mut |g, rest| {
            n += 1;
            f(g, rest)
        })?;
        if n != self.lines[key] {
            return Err(Error::mismatch(
                &self.manifest,
                format!(
                    "kunci '{}': satu token muncul di dua kelompok.",
                    self.keys[key]
                ),
            ));
        }
        self.checked[key] = true;
        Ok(())
    }
    fn done(&mut self, key: usize) -> Result<()> {
        self.sorted.done(key)
    }
    /// None: the groups are counted as they are read.
    fn parts(&self, _key: usize) -> Option<&[Groups]> {
        None
    }
}

/// What `spark/padan_join.py` computes, in one process: the joined output of token files
/// (for tests and as the reference the Spark job is checked against). Returns the manifest
/// and one groups file.
pub fn join_tokens(
    wf: &Workflow,
    inputs: Vec<(String, Box<dyn Read + '_>)>,
) -> Result<(JoinedManifest, Vec<u8>)> {
    use std::fmt::Write as _;
    let keys: Vec<String> = wf.match_keys.iter().map(|k| k.name.clone()).collect();
    let mut all: Vec<Vec<(u128, String, Token)>> = vec![Vec::new(); keys.len()];
    let mut manifest_inputs = Vec::new();
    let mut kcv = String::new();
    for (name, input) in inputs {
        let mut r = TokenReader::new(input, &name)?;
        r.check_against(wf)?;
        let h = r.header.clone();
        kcv = h.kcv.clone();
        while let Some(rec) = r.next_record()? {
            for (i, t) in rec.tokens.iter().enumerate() {
                if let Some(t) = t {
                    all[i].push((u128::from_be_bytes(*t), h.party.clone(), rec.reference));
                }
            }
        }
        manifest_inputs.push(JoinedInput {
            party: h.party.clone(),
            records: h.records,
            tokens: h.tokens.clone(),
            checksum: hex::encode(r.checksum().expect("verified")),
        });
    }
    let mut out = String::from(JOINED_COLUMNS);
    out.push('\n');
    let (mut groups, mut members) = (BTreeMap::new(), BTreeMap::new());
    for (i, mut v) in all.into_iter().enumerate() {
        v.sort();
        let (mut ng, mut nm) = (0u64, 0u64);
        let mut s = 0;
        while s < v.len() {
            let mut e = s + 1;
            while e < v.len() && v[e].0 == v[s].0 {
                e += 1;
            }
            if e - s >= 2 {
                let list: Vec<String> = v[s..e]
                    .iter()
                    .map(|(_, p, r)| format!("{p}:{}", hex::encode(r)))
                    .collect();
                let _ = writeln!(
                    out,
                    "{},{},{}",
                    keys[i],
                    hex::encode(v[s].0.to_be_bytes()),
                    list.join(";")
                );
                ng += 1;
                nm += (e - s) as u64;
            }
            s = e;
        }
        groups.insert(keys[i].clone(), ng);
        members.insert(keys[i].clone(), nm);
    }
    Ok((
        JoinedManifest {
            format: JOINED_FORMAT.into(),
            workflow_id: wf.id.clone(),
            workflow_digest: wf.digest_hex(),
            kcv,
            match_keys: keys,
            inputs: manifest_inputs,
            groups,
            members,
            created_by: format!("padan {}", crate::VERSION),
        },
        out.into_bytes(),
    ))
}

/// The people (clusters) of a comparison, counted.
struct People {
    /// People per list.
    per_list: Vec<u64>,
    /// People per combination of lists (a mask of lists).
    combos: BTreeMap<u64, u64>,
    /// `pair[a * np + b]` (`a < b`): people in lists `a` and `b`.
    pair: Vec<u64>,
    total: u64,
}

impl People {
    /// Up to this many lists, the combinations are counted in an array (2^lists of them).
    const DENSE: usize = 12;

    fn new(np: usize) -> People {
        People {
            per_list: vec![0; np],
            combos: BTreeMap::new(),
            pair: vec![0; np * np],
            total: 0,
        }
    }

    /// The people whose root is in `roots`.
    fn count(
        cluster: &[[u64; 2]],
        root: &[u32],
        roots: std::ops::Range<usize>,
        np: usize,
    ) -> People {
        let mut p = People::new(np);
        let mut dense = vec![0u64; if np <= Self::DENSE { 1 << np } else { 0 }];
        // Without the array: runs of equal masks are common (people in one list only).
        let mut last: Option<(u64, u64)> = None;
        for r in roots {
            if root[r] != r as u32 {
                continue;
            }
            let m = cluster[r][0];
            p.total += 1;
            match dense.get_mut(m as usize) {
                Some(c) => *c += 1,
                None => match &mut last {
                    Some((lm, c)) if *lm == m => *c += 1,
                    _ => {
                        if let Some((lm, c)) = last {
                            *p.combos.entry(lm).or_default() += c;
                        }
                        last = Some((m, 1));
                    }
                },
            }
            let mut ma = m;
            while ma != 0 {
                let a = ma.trailing_zeros() as usize;
                ma &= ma - 1;
                p.per_list[a] += 1;
                let mut mb = ma;
                while mb != 0 {
                    let b = mb.trailing_zeros() as usize;
                    mb &= mb - 1;
                    p.pair[a * np + b] += 1;
                }
            }
        }
        if let Some((lm, c)) = last {
            *p.combos.entry(lm).or_default() += c;
        }
        for (m, &c) in dense.iter().enumerate() {
            if c > 0 {
                *p.combos.entry(m as u64).or_default() += c;
            }
        }
        p
    }

    fn add(mut self, other: People) -> People {
        for (a, b) in self.per_list.iter_mut().zip(&other.per_list) {
            *a += b;
        }
        for (a, b) in self.pair.iter_mut().zip(&other.pair) {
            *a += b;
        }
        for (m, c) in other.combos {
            *self.combos.entry(m).or_default() += c;
        }
        self.total += other.total;
        self
    }
}

const STRONG: u8 = 1;
const CONFLICT: u8 = 2;

fn link(
    wf: &Workflow,
    parties: &[&str],
    l: Loaded,
    kcv: String,
    groups: &mut dyn GroupSource,
    par: &dyn Parallel,
    progress: &mut dyn FnMut(u64),
) -> Result<CompareOutput> {
    let n = l.refs.len();
    let nk = wf.match_keys.len();
    let uf = UnionFind::new(&l.masks);
    let mut links = vec![0u64; nk];
    let mut conflicts = vec![0u64; nk];
    // Key by key, strongest first: the groups of equal tokens, linked in token order.
    // Each group's flags are known as soon as it is linked, so the groups are read once:
    // - A group with a refused link is a conflict to verify, every record in it: it spans
    //   two clusters for good (a cluster's masks only grow, so a refused link is refused
    //   again, by this key or a weaker one), and a group without one ends in one cluster.
    // - Key 0 refuses nothing (no key is stronger), so each of its groups ends in one
    //   cluster: a record is linked by the strongest key when its key-0 group holds
    //   another list's record.
    let flags: Vec<AtomicU8> = (0..n).map(|_| AtomicU8::new(0)).collect();
    let party = &l.party;
    for i in 0..nk {
        let stronger: u8 = (1u8 << i) - 1;
        // Links one group (the records of the groups after it are asked for ahead):
        // returns the links made and refused.
        let link_one = |group: &[u32], rest: &[u32], roots: &mut Vec<u32>| {
            // As many records ahead as this group has: every record is asked for once.
            for &y in rest.iter().skip(AHEAD).take(group.len()) {
                crate::runs::prefetch(&uf.parent, y as usize);
                if i == 0 {
                    crate::runs::prefetch(party, y as usize);
                }
            }
            let (x, y) = match i {
                0 => match uf.link_roots(group) {
                    Some(x) => (x, 0),
                    None => uf.link_group(group, stronger, roots),
                },
                _ => uf.link_group(group, stronger, roots),
            };
            let mut flag = if y > 0 { CONFLICT } else { 0 };
            if i == 0 {
                let p0 = party[group[0] as usize];
                if group.iter().any(|&x| party[x as usize] != p0) {
                    flag |= STRONG;
                }
            }
            if flag != 0 {
                // Not `fetch_or` (a locked instruction): no two groups of a key being
                // linked at once share a record.
                for &x in group {
                    let f = &flags[x as usize];
                    f.store(f.load(Relaxed) | flag, Relaxed);
                }
            }
            (x, y)
        };
        let link_part = |(part, range): &(&Groups, std::ops::Range<usize>)| {
            let (mut a, mut b, mut roots) = (0, 0, Vec::new());
            part.each_in(range.clone(), &mut |group, rest| {
                let (x, y) = link_one(group, rest, &mut roots);
                a += x;
                b += y;
            });
            (a, b)
        };
        let (a, b) = match groups.parts(i) {
            // The strongest key's groups in ranges, one per lent core: with every record a
            // root and in one group, `link_roots` links each group on its own.
            Some(parts) if i == 0 && par.width() > 1 => {
                let ranges: Vec<(&Groups, std::ops::Range<usize>)> = parts
                    .iter()
                    .flat_map(|g| g.ranges(par.width()).into_iter().map(move |r| (g, r)))
                    .collect();
                let members = |(g, r): &(&Groups, std::ops::Range<usize>)| match r.start {
                    0 => g.ends[r.end - 1] as u64,
                    s => (g.ends[r.end - 1] - g.ends[s - 1]) as u64,
                };
                crate::par::map(par, &ranges, members, link_part)
                    .into_iter()
                    .fold((0, 0), |(a, b), (x, y)| (a + x, b + y))
            }
            _ => {
                let (mut a, mut b, mut roots) = (0, 0, Vec::new());
                groups.groups(i, &mut |group, rest| {
                    let (x, y) = link_one(group, rest, &mut roots);
                    a += x;
                    b += y;
                })?;
                (a, b)
            }
        };
        groups.done(i)?;
        links[i] = a;
        conflicts[i] = b;
        progress(((i + 1) * n) as u64);
    }
    let mut flags: Vec<u8> = flags.into_iter().map(AtomicU8::into_inner).collect();
    let nik_keys = wf.nik_key_mask();
    let has_nik: Vec<bool> = if wf.fuzzy.is_some() {
        l.masks.iter().map(|m| m & nik_keys != 0).collect()
    } else {
        Vec::new()
    };
    drop(l.masks);
    let root = uf.roots(par);

    // Per cluster (at its root): the lists in it and the lists in it twice.
    let np = parties.len();
    let mut cluster: Vec<[u64; 2]> = vec![[0, 0]; n];
    let mut records_per_list = vec![0u64; np];
    for x in 0..n {
        crate::runs::prefetch_via(&cluster, &root, x + AHEAD);
        let (bit, c) = (1u64 << l.party[x], &mut cluster[root[x] as usize]);
        records_per_list[l.party[x] as usize] += 1;
        c[1] |= c[0] & bit;
        c[0] |= bit;
    }
    // The people, counted over the roots in parts on the lent cores.
    let step = n.div_ceil(par.width().max(1)).max(1);
    let parts: Vec<std::ops::Range<usize>> =
        (0..n).step_by(step).map(|s| s..(s + step).min(n)).collect();
    let people = crate::par::map(
        par,
        &parts,
        |r| r.len() as u64,
        |r| People::count(&cluster, &root, r.clone(), np),
    )
    .into_iter()
    .fold(People::new(np), People::add);
    let People {
        per_list: people_per_list,
        combos,
        pair,
        total: people_total,
    } = people;

    // Fuzzy matching: verification links between clusters, never merged into them.
    let mut verify: BTreeMap<u32, (Verify, u64)> = BTreeMap::new();
    let mut fuzzy_stats = None;
    let mut fuzzy_comparisons = 0;
    let mut pair_links: Vec<(u32, u32, Verify)> = Vec::new();
    if let Some(cfg) = &wf.fuzzy {
        let lists_of = |r: u32| cluster[r as usize][0];
        let recs = crate::fuzzy::stage::Records {
            layout: crate::fuzzy::record::Layout::of(cfg),
            raw: &l.fuzzy,
            party: &l.party,
            root: &root,
            cluster_lists: &lists_of,
            has_nik: &has_nik,
        };
        let (found, stats) = crate::fuzzy::stage::run(
            &recs,
            np,
            crate::fuzzy::stage::Params {
                threshold: cfg.threshold(),
                max_block_pairs: 1 << 22,
                lsh_bands: if cfg.diffusion == 0 && !cfg.blocks.is_empty() {
                    8
                } else {
                    0
                },
                seed: wf.digest(),
            },
            &mut |_| {},
        );
        for link in found {
            pair_links.push((link.a, link.b, link.why));
            for (x, y) in [(link.a, link.b), (link.b, link.a)] {
                let e = verify.entry(x).or_insert((link.why, 0));
                // A probable NIK typo says more than a similar name.
                if link.why == Verify::NikTypo {
                    e.0 = Verify::NikTypo;
                }
                e.1 |= 1u64 << l.party[y as usize];
            }
        }
        fuzzy_comparisons = stats.blocks.comparisons;
        fuzzy_stats = Some(stats);
    }
    drop(l.fuzzy);
    drop(has_nik);

    // Statuses: `flags[x]` becomes the record's row code (see `Row`).
    let reference = parties
        .iter()
        .position(|p| *p == wf.reference)
        .expect("validated") as u8;
    // In chunks on the lent cores (the loop waits on memory: each record's cluster).
    let counts = crate::par::map_chunks(par, &mut flags, chunk_len(n, par), |start, flags| {
        // statuses[p][s]: records of list `p` with status `Status::ALL[s]`.
        let mut statuses = vec![[0u64; 5]; np];
        let mut duplicates = vec![0u64; np];
        for (i, flag) in flags.iter_mut().enumerate() {
            let x = start + i;
            crate::runs::prefetch_via(&cluster, &root, x + AHEAD);
            let p = l.party[x];
            let [m, d] = cluster[root[x] as usize];
            let mut status = if *flag & CONFLICT != 0 {
                Status::Conflict
            } else if m & !(1u64 << p) == 0 {
                Status::NotFound
            } else if *flag & STRONG != 0 {
                Status::Matched
            } else {
                Status::MatchedWeaker
            };
            let mut why = None;
            if matches!(status, Status::NotFound | Status::Conflict) {
                if let Some((w, _)) = verify.get(&(x as u32)) {
                    status = Status::PerluVerifikasi;
                    why = Some(*w);
                }
            }
            let dup = (d >> p) & 1 != 0;
            statuses[p as usize][status as usize] += 1;
            duplicates[p as usize] += dup as u64;
            *flag = Row {
                status,
                duplicate: dup,
                in_reference: (m >> reference) & 1 != 0,
                verify: why,
            }
            .code();
        }
        (statuses, duplicates)
    });
    let mut statuses = vec![[0u64; 5]; np];
    let mut duplicates = vec![0u64; np];
    for (s, d) in &counts {
        for p in 0..np {
            for k in 0..5 {
                statuses[p][k] += s[p][k];
            }
            duplicates[p] += d[p];
        }
    }
    // Verification links of records that kept another status name no lists.
    verify.retain(|x, _| Row::from_code(flags[*x as usize]).verify.is_some());
    let rules: Vec<Disclosure> = parties.iter().map(|p| wf.disclosure_for(p)).collect();
    if !rules.iter().any(|r| r.other_lists) {
        cluster = Vec::new();
    }

    // Result files.
    let digest = wf.digest_hex();
    // One result file per list, each built on its own (in parallel when lent tasks).
    let build = |&p: &usize| -> ResultFile {
        // The list's records by reference (token files come sorted so).
        let mut order: Vec<u32> = (0..n as u32)
            .filter(|&x| l.party[x as usize] as usize == p)
            .collect();
        if !order
            .windows(2)
            .all(|w| l.refs[w[0] as usize] <= l.refs[w[1] as usize])
        {
            order.sort_by_key(|&x| l.refs[x as usize]);
        }
        let is_reference = p as u8 == reference;
        let mut header =
            ResultHeader::new(wf, &digest, parties[p], &kcv, &[], &rules[p], is_reference);
        header.records = order.len() as u64;
        for (code, c) in header.counts.iter_mut() {
            *c = match Status::from_code(code) {
                Some(s) => statuses[p][s as usize],
                None => duplicates[p],
            };
        }
        let with_ref = header.columns.iter().any(|c| c == "in_reference");
        let with_others = header.columns.iter().any(|c| c == "other_lists");
        let with_verify = header.columns.iter().any(|c| c == "verifikasi");
        // A record to verify also names the lists of the records it is linked to.
        let others = |x: u32| {
            (cluster[root[x as usize] as usize][0] | verify.get(&x).map_or(0, |v| v.1))
                & !(1u64 << p)
        };
        // The exact size, then the file as `result::write_result` writes it.
        let json = serde_json::to_vec(&header).expect("serializable");
        let columns = header.columns.join(",");
        // What follows the reference, by row code: ",status,duplicate[,in_reference]",
        // then "," before the other lists, or the end of the line.
        let tails: Vec<Vec<u8>> = (0..Row::CODES)
            .map(|c| {
                let row = Row::from_code(c);
                let mut t = format!(",{},{}", row.status.code(), yes_no(row.duplicate));
                if with_verify {
                    t = t + "," + row.verify.map_or("", |v| v.code());
                }
                if with_ref {
                    t = t + "," + yes_no(row.in_reference);
                }
                t.push(if with_others { ',' } else { '\n' });
                t.into_bytes()
            })
            .collect();
        let mut size = json.len() + columns.len() + 3;
        for &x in &order {
            size += 2 * TOKEN_LEN + tails[flags[x as usize] as usize].len();
            if with_others {
                size += lists_len(parties, others(x)) + 1;
            }
        }
        let mut out = Vec::with_capacity(size);
        out.push(b'#');
        out.extend_from_slice(&json);
        out.push(b'\n');
        out.extend_from_slice(columns.as_bytes());
        out.push(b'\n');
        let mut line = [0u8; 160];
        for &x in &order {
            let tail = &tails[flags[x as usize] as usize];
            line[..2 * TOKEN_LEN].copy_from_slice(&hex16(&l.refs[x as usize]));
            let end = 2 * TOKEN_LEN + tail.len();
            line[2 * TOKEN_LEN..end].copy_from_slice(tail);
            out.extend_from_slice(&line[..end]);
            if with_others {
                let mut others = others(x);
                while others != 0 {
                    let q = others.trailing_zeros() as usize;
                    others &= others - 1;
                    out.extend_from_slice(parties[q].as_bytes());
                    if others != 0 {
                        out.push(b';');
                    }
                }
                out.push(b'\n');
            }
        }
        debug_assert_eq!(out.len(), size);
        ResultFile {
            party: parties[p].to_string(),
            file_name: format!("{}.result.csv", parties[p]),
            bytes: out,
        }
    };
    let lists: Vec<usize> = (0..np).filter(|&p| records_per_list[p] > 0).collect();
    let results = crate::par::map(par, &lists, |&p| records_per_list[p], build);
    drop(cluster);

    // The summary, with suppression.
    let k = wf.k as u64;
    let sup = |c: u64| -> Count {
        if c > 0 && c < k {
            serde_json::Value::String(format!("<{k}"))
        } else {
            c.into()
        }
    };
    let names: BTreeMap<&str, &str> = wf
        .parties
        .iter()
        .map(|p| (p.id.as_str(), p.name.as_str()))
        .collect();
    let present: Vec<usize> = (0..np).filter(|&p| records_per_list[p] > 0).collect();
    let conflict_records: u64 = statuses.iter().map(|s| s[Status::Conflict as usize]).sum();
    drop(flags);
    let mut lists = Vec::new();
    for &p in &present {
        let st: Vec<(&str, u64)> = Status::all_for(wf)
            .iter()
            .map(|&s| (s.code(), statuses[p][s as usize]))
            .collect();
        let hidden = secondary(&st.iter().map(|(_, c)| *c).collect::<Vec<_>>(), k);
        let mut map: BTreeMap<String, Count> = BTreeMap::new();
        for (j, (s, c)) in st.into_iter().enumerate() {
            map.insert(
                s.to_string(),
                if hidden[j] {
                    serde_json::Value::String(format!("<{k}"))
                } else {
                    sup(c)
                },
            );
        }
        map.insert("duplicate".into(), sup(duplicates[p]));
        lists.push(ListSummary {
            party: parties[p].to_string(),
            name: names.get(parties[p]).unwrap_or(&"").to_string(),
            records: sup(records_per_list[p]),
            people: sup(people_per_list[p]),
            duplicates: sup(records_per_list[p] - people_per_list[p]),
            statuses: map,
        });
    }
    let mut overlaps = Vec::new();
    for (ai, &a) in present.iter().enumerate() {
        for &b in &present[ai + 1..] {
            overlaps.push(Overlap {
                a: parties[a].into(),
                b: parties[b].into(),
                people: sup(pair[a * np + b]),
            });
        }
    }
    let combo_list: Vec<(u64, u64)> = combos.into_iter().collect();
    let hidden = secondary(&combo_list.iter().map(|(_, c)| *c).collect::<Vec<_>>(), k);
    let mut combinations: Vec<Combination> = combo_list
        .iter()
        .zip(hidden)
        .map(|((m, c), h)| Combination {
            parties: (0..np)
                .filter(|q| m & (1 << q) != 0)
                .map(|q| parties[q].to_string())
                .collect(),
            people: if h {
                serde_json::Value::String(format!("<{k}"))
            } else {
                sup(*c)
            },
        })
        .collect();
    combinations.sort_by(|a, b| {
        a.parties
            .len()
            .cmp(&b.parties.len())
            .then(a.parties.cmp(&b.parties))
    });
    let summary = Summary {
        format: "padan-summary/1",
        workflow_id: wf.id.clone(),
        workflow_digest: digest,
        kcv,
        k: wf.k,
        people_total: sup(people_total),
        lists,
        overlaps,
        combinations,
        links: wf
            .match_keys
            .iter()
            .enumerate()
            .map(|(i, key)| KeyLinks {
                key: key.name.clone(),
                links: sup(links[i]),
                conflicts: sup(conflicts[i]),
            })
            .collect(),
        conflict_records: sup(conflict_records),
        verification: fuzzy_stats.map(|st| Verification {
            records: sup(statuses
                .iter()
                .map(|s| s[Status::PerluVerifikasi as usize])
                .sum()),
            similar_name_links: sup(st.similar.iter().map(|s| s.2).sum()),
            nik_typo_links: sup(st.typos),
            similar_by_pair: st
                .similar
                .iter()
                .map(|&(a, b, c)| VerificationPair {
                    a: parties[a as usize].into(),
                    b: parties[b as usize].into(),
                    links: sup(c),
                })
                .collect(),
            blocks_skipped: st.blocks.blocks_skipped,
            pairs_skipped: st.blocks.pairs_skipped,
        }),
        created_by: format!("padan {}", crate::VERSION),
    };
    let summary_text = crate::result::summary_text(&summary, wf);
    Ok(CompareOutput {
        summary,
        summary_text,
        results,
        fuzzy_comparisons,
        input_sha256: Vec::new(),
        clusters: RecordClusters {
            parties: parties.iter().map(|p| p.to_string()).collect(),
            party: l.party,
            refs: l.refs,
            cluster: root,
            verify: pair_links,
        },
    })
}

/// What a result row says about a record, packed in a byte: status (3 bits), duplicate,
/// in the reference list, why to verify (2 bits).
struct Row {
    status: Status,
    duplicate: bool,
    /// Whether the record's cluster holds a record of the reference list.
    in_reference: bool,
    verify: Option<Verify>,
}

impl Row {
    /// Number of codes.
    const CODES: u8 = 96;

    fn code(&self) -> u8 {
        self.status as u8
            | (self.duplicate as u8) << 3
            | (self.in_reference as u8) << 4
            | match self.verify {
                None => 0,
                Some(Verify::SimilarName) => 1 << 5,
                Some(Verify::NikTypo) => 2 << 5,
            }
    }

    fn from_code(c: u8) -> Row {
        Row {
            status: Status::ALL[((c & 7) as usize).min(Status::ALL.len() - 1)],
            duplicate: c & 8 != 0,
            in_reference: c & 16 != 0,
            verify: match c >> 5 {
                1 => Some(Verify::SimilarName),
                2 => Some(Verify::NikTypo),
                _ => None,
            },
        }
    }
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

/// Length of the `other_lists` cell for the parties in `mask`.
fn lists_len(parties: &[&str], mut mask: u64) -> usize {
    let mut len = 0;
    let mut count = 0;
    while mask != 0 {
        len += parties[mask.trailing_zeros() as usize].len();
        count += 1;
        mask &= mask - 1;
    }
    len + count.max(1) - 1
}

/// Lower-case hex of a reference.
fn hex16(t: &Token) -> [u8; 2 * TOKEN_LEN] {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = [0u8; 2 * TOKEN_LEN];
    for (i, b) in t.iter().enumerate() {
        out[2 * i] = DIGITS[(b >> 4) as usize];
        out[2 * i + 1] = DIGITS[(b & 15) as usize];
    }
    out
}

/// Secondary suppression for a table whose total is published: when exactly one cell is
/// suppressed (1..k-1), the smallest other non-zero cell is hidden too, so the suppressed
/// one cannot be recomputed from the total. Returns which cells to hide beyond the primary
/// rule.
fn secondary(cells: &[u64], k: u64) -> Vec<bool> {
    let primary: Vec<bool> = cells.iter().map(|&c| c > 0 && c < k).collect();
    let mut hide = vec![false; cells.len()];
    if primary.iter().filter(|p| **p).count() == 1 {
        if let Some((j, _)) = cells
            .iter()
            .enumerate()
            .filter(|(j, c)| !primary[*j] && **c > 0)
            .min_by_key(|(_, c)| **c)
        {
            hide[j] = true;
        }
    }
    hide
}

/// The in-memory comparison `compare` was before it streamed (all tokens loaded, grouped
/// by `groups_of`): the reference the streaming one is checked against.
#[cfg(test)]
mod reference {
    use super::*;

    /// The groups of every key of records loaded with their tokens.
    pub(super) fn groups(l: &Loaded) -> Vec<Groups> {
        let mut scratch = Vec::new();
        (0..l.tokens.len())
            .map(|i| groups_of(&l.tokens[i], &l.masks, 1 << i, &mut scratch))
            .collect()
    }

    pub(super) fn compare(
        ctx: &Context,
        inputs: Vec<(String, Box<dyn Read + '_>)>,
    ) -> Result<CompareOutput> {
        let mut inp = load(
            ctx,
            inputs,
            Check::Now(&[]),
            None,
            true,
            &Serial,
            &mut |_| {},
        )?;
        let mut g = groups(&inp.loaded);
        for t in &mut inp.loaded.tokens {
            *t = Vec::new();
        }
        link(
            ctx.workflow,
            &inp.data_parties,
            inp.loaded,
            inp.kcv,
            &mut g,
            &Serial,
            &mut |_| {},
        )
    }
}

/// Small real token files for the core's unit tests.
#[cfg(test)]
pub(crate) mod test_support {
    use std::collections::HashMap;
    use std::io::Write;

    use crate::date::Date;
    use crate::keys::Secret;
    use crate::pipeline::{Context, InputOptions};
    use crate::workflow::{demo_workflow, Workflow};

    pub fn workflow() -> Workflow {
        let parties: Vec<(&str, &str)> = crate::demo::LISTS
            .iter()
            .map(|(id, n, _)| (*id, *n))
            .collect();
        demo_workflow(&parties, "2025-01-01", "2030-12-31")
    }

    /// The context of a step on `wf` (file `workflow.json`, [`today`]).
    pub fn context(wf: &Workflow) -> Context<'_> {
        Context {
            workflow: wf,
            workflow_file: "workflow.json",
            today: today(),
        }
    }

    pub fn today() -> Date {
        Date {
            year: 2026,
            month: 11,
            day: 27,
        }
    }

    /// The token files of a `padan demo` scenario: (file name, bytes), in list order.
    pub fn demo_token_files(people: usize, seed: u64) -> Vec<(String, Vec<u8>)> {
        let files = std::rc::Rc::new(std::cell::RefCell::new(HashMap::new()));
        struct Sink(
            String,
            std::rc::Rc<std::cell::RefCell<HashMap<String, Vec<u8>>>>,
        );
        impl Write for Sink {
            fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
                self.1
                    .borrow_mut()
                    .entry(self.0.clone())
                    .or_default()
                    .extend_from_slice(b);
                Ok(b.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let f2 = files.clone();
        crate::demo::generate(
            &crate::demo::DemoConfig { people, seed },
            &mut move |name: &str| {
                Ok(Box::new(Sink(name.to_string(), f2.clone())) as Box<dyn Write>)
            },
        )
        .unwrap();
        let wf = workflow();
        let ctx = context(&wf);
        let secret = Secret::from_bytes([42; 32]);
        let files = files.borrow();
        crate::demo::LISTS
            .iter()
            .map(|(party, _, file)| {
                let mut out = Vec::new();
                crate::pipeline::tokenize(
                    &ctx,
                    &secret,
                    party,
                    &files[*file][..],
                    file,
                    &InputOptions::default(),
                    &mut out,
                    &mut |_| {},
                )
                .unwrap();
                (format!("{party}.tokens"), out)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::result::{read_result, write_result};
    use crate::workflow::demo_workflow;

    #[test]
    fn secondary_suppression() {
        assert_eq!(
            secondary(&[100, 3, 50, 0], 5),
            vec![false, false, true, false]
        );
        assert_eq!(secondary(&[100, 3, 2, 50], 5), vec![false; 4]);
        assert_eq!(secondary(&[100, 50], 5), vec![false; 2]);
    }

    const PARTIES: [&str; 3] = ["dtks", "dinkes", "baznas"];

    fn workflow() -> Workflow {
        let mut wf = demo_workflow(
            &[("dtks", "DTKS"), ("dinkes", "Dinkes"), ("baznas", "Baznas")],
            "2025-01-01",
            "2030-12-31",
        );
        wf.k = 1;
        for d in &mut wf.disclosure {
            d.other_lists = d.party != "dinkes";
        }
        wf
    }

    /// Records as (party index, per-key token, 0 when absent), references 1, 2, ...
    fn loaded(records: &[(u8, [u128; 3])]) -> Loaded {
        let mut l = Loaded {
            party: Vec::new(),
            refs: Vec::new(),
            tokens: vec![Vec::new(); 3],
            masks: Vec::new(),
            fuzzy: Vec::new(),
        };
        for (x, (p, t)) in records.iter().enumerate() {
            l.party.push(*p);
            l.refs.push((x as u128 + 1).to_be_bytes());
            let mut mask = 0;
            for (i, &ti) in t.iter().enumerate() {
                if ti != 0 {
                    mask |= 1 << i;
                }
                l.tokens[i].push(ti);
            }
            l.masks.push(mask);
        }
        l
    }

    fn run(records: &[(u8, [u128; 3])]) -> CompareOutput {
        let l = loaded(records);
        let mut g = reference::groups(&l);
        link(
            &workflow(),
            &PARTIES,
            l,
            "kcv".into(),
            &mut g,
            &Serial,
            &mut |_| {},
        )
        .unwrap()
    }

    fn statuses(out: &CompareOutput, party: &str) -> Vec<(Token, Status)> {
        let f = out.results.iter().find(|f| f.party == party).unwrap();
        let r = read_result(&f.bytes, &f.file_name).unwrap();
        r.rows.iter().map(|r| (r.reference, r.status)).collect()
    }

    fn r(x: u128) -> Token {
        x.to_be_bytes()
    }

    /// Different NIKs, same name and birth date: the link is refused and every record of
    /// the group is a conflict to verify. A record without NIK in the same group joins the
    /// first cluster it meets (the lowest record), and is a conflict too.
    #[test]
    fn conflicting_nik_is_refused() {
        let (nik_a, nik_b, name_dob) = (11u128 << 100, 22u128 << 100, 33u128 << 100);
        let out = run(&[
            (0, [nik_a, 0, name_dob]),
            (1, [nik_b, 0, name_dob]),
            (1, [0, 0, name_dob]),
        ]);
        assert_eq!(statuses(&out, "dtks"), vec![(r(1), Status::Conflict)]);
        assert_eq!(
            statuses(&out, "dinkes"),
            vec![(r(2), Status::Conflict), (r(3), Status::Conflict)]
        );
        let c = &out.clusters.cluster;
        assert_eq!(c[0], c[2]);
        assert_ne!(c[0], c[1]);
        let s = &out.summary;
        assert_eq!(s.people_total, 2);
        assert_eq!(s.conflict_records, 3);
        assert_eq!(s.links[0].links, 0);
        assert_eq!(s.links[2].links, 1);
        assert_eq!(s.links[2].conflicts, 2);
    }

    /// Without a conflict, records join through any key; the status names the strongest.
    #[test]
    fn statuses_by_strongest_key() {
        let (nik, name_dob) = (5u128 << 90, 7u128 << 90);
        let out = run(&[
            (0, [nik, 0, name_dob]),
            (1, [nik, 0, 0]),
            (2, [0, 0, name_dob]),
            (2, [0, 0, 9]),
        ]);
        assert_eq!(statuses(&out, "dtks"), vec![(r(1), Status::Matched)]);
        assert_eq!(statuses(&out, "dinkes"), vec![(r(2), Status::Matched)]);
        assert_eq!(
            statuses(&out, "baznas"),
            vec![(r(3), Status::MatchedWeaker), (r(4), Status::NotFound)]
        );
        assert_eq!(out.summary.people_total, 2);
    }

    /// Tokens equal in their first 64 bits but different are not linked; groups come in
    /// token order with their records in record order.
    #[test]
    fn equal_prefix_different_token() {
        let p = 0xdead_beef_u128 << 96;
        let (ta, tb) = (p | 1, p | 2);
        let g = groups_of(&[tb, ta, tb, ta, p | 3], &[1; 5], 1, &mut Vec::new());
        assert_eq!(g.iter().collect::<Vec<_>>(), vec![&[1, 3][..], &[0, 2][..]]);
        let out = run(&[
            (0, [tb, 0, 0]),
            (1, [ta, 0, 0]),
            (2, [tb, 0, 0]),
            (1, [ta, 0, 0]),
        ]);
        let c = &out.clusters.cluster;
        assert_eq!(c[0], c[2]);
        assert_eq!(c[1], c[3]);
        assert_ne!(c[0], c[1]);
        assert_eq!(out.summary.links[0].links, 2);
    }

    /// `groups_of` agrees with one sort of all tokens, also with many shared leading bits.
    #[test]
    fn groups_match_a_full_sort() {
        let mut rnd = crate::runs::tests::xorshift(0x9e37_79b9_7f4a_7c15u64);
        for n in [0usize, 1, 2, 3, 10, 100, 5000] {
            let mut tokens: Vec<u128> = Vec::new();
            let mut masks = Vec::new();
            for x in 0..n {
                let t = match rnd() % 4 {
                    0 if x > 0 => tokens[(rnd() as usize) % x],
                    1 => (rnd() as u128) << 64 | (rnd() % 3) as u128,
                    2 => ((rnd() % 4) as u128) << 120 | (rnd() % 4) as u128,
                    _ => (rnd() as u128) << 64 | rnd() as u128,
                };
                tokens.push(t);
                masks.push(if rnd().is_multiple_of(8) { 2 } else { 3 });
            }
            let mut all: Vec<(u128, u32)> = (0..n)
                .filter(|&x| masks[x] & 1 != 0)
                .map(|x| (tokens[x], x as u32))
                .collect();
            all.sort_unstable();
            let mut want: Vec<Vec<u32>> = Vec::new();
            let mut s = 0;
            while s < all.len() {
                let mut e = s + 1;
                while e < all.len() && all[e].0 == all[s].0 {
                    e += 1;
                }
                if e - s >= 2 {
                    want.push(all[s..e].iter().map(|v| v.1).collect());
                }
                s = e;
            }
            let got: Vec<Vec<u32>> = groups_of(&tokens, &masks, 1, &mut Vec::new())
                .iter()
                .map(|g| g.to_vec())
                .collect();
            assert_eq!(got, want, "n = {n}");
        }
    }

    /// The result files are byte for byte what `result::write_result` writes.
    #[test]
    fn result_files_as_write_result() {
        let wf = workflow();
        let records: Vec<(u8, [u128; 3])> = (0..60u128)
            .map(|x| {
                let p = (x % 3) as u8;
                let nik = if x % 5 == 0 { 0 } else { (x % 17 + 1) << 70 };
                (p, [nik, 0, (x % 11 + 1) << 80])
            })
            .collect();
        let mut l = loaded(&records);
        l.refs.reverse();
        let mut g = reference::groups(&l);
        let out = link(&wf, &PARTIES, l, "kcv".into(), &mut g, &Serial, &mut |_| {}).unwrap();
        assert_eq!(out.results.len(), 3);
        for f in &out.results {
            let parsed = read_result(&f.bytes, &f.file_name).unwrap();
            let rule = wf.disclosure_for(&f.party);
            let header = ResultHeader::new(
                &wf,
                &wf.digest_hex(),
                &f.party,
                "kcv",
                &parsed.rows,
                &rule,
                f.party == "dtks",
            );
            assert_eq!(header, parsed.header);
            assert_eq!(write_result(&header, parsed.rows), f.bytes);
        }
    }

    fn boxed(files: &[(String, Vec<u8>)]) -> Vec<(String, Box<dyn Read + '_>)> {
        files
            .iter()
            .map(|(n, b)| (n.clone(), Box::new(&b[..]) as Box<dyn Read>))
            .collect()
    }

    fn joined_with(
        ctx: &Context,
        files: &[(String, Vec<u8>)],
        manifest: &JoinedManifest,
        groups: &[u8],
        budget: usize,
    ) -> Result<CompareOutput> {
        let m = serde_json::to_vec(manifest).unwrap();
        // The groups in two parts, the second first: order does not matter.
        let cut = groups.len() / 2;
        let cut = cut + groups[cut..].iter().position(|&b| b == b'\n').unwrap() + 1;
        let parts: Vec<(String, Box<dyn std::io::BufRead>)> = vec![
            ("part-1.csv".into(), Box::new(&groups[cut..])),
            ("part-0.csv".into(), Box::new(&groups[..cut])),
        ];
        let mut store = MemoryRuns::default();
        compare_joined(
            ctx,
            boxed(files),
            ("manifest.json", &m),
            parts,
            &mut store,
            budget,
            &crate::par::TestThreads(2),
            &mut |_| {},
        )
    }

    /// Roots are those of `find`, for short chains on threads and for a chain far longer
    /// than `UnionFind::SHORT` (the serial pass with path halving).
    #[test]
    fn roots_of_short_and_long_chains() {
        let n = 5000u32;
        // A deep chain 0 -> 1 -> ... -> n-1, and a bushy forest of short chains.
        let chain: Vec<u32> = (0..n).map(|x| (x + 1).min(n - 1)).collect();
        let forest: Vec<u32> = (0..n)
            .map(|x| {
                if x % 7 == 0 {
                    x
                } else {
                    x - x % 7 + (x % 7) / 2
                }
            })
            .collect();
        for parent in [chain, forest] {
            let want = UnionFind::with_parents(parent.clone(), &vec![0; n as usize]);
            let want: Vec<u32> = (0..n).map(|x| want.find(x)).collect();
            for par in [&Serial as &dyn Parallel, &crate::par::TestThreads(3)] {
                let uf = UnionFind::with_parents(parent.clone(), &vec![0; n as usize]);
                assert_eq!(uf.roots(par), want);
            }
        }
    }

    /// Every record is found by (party, reference), whether a party's records are one
    /// sorted run (token files) or scattered and unsorted.
    #[test]
    fn ref_index_finds_every_record() {
        let records: Vec<(u8, [u128; 3])> = (0..500u128)
            .map(|x| ((x % 3) as u8, [x + 1, 0, 0]))
            .collect();
        let mut l = loaded(&records);
        l.refs.reverse();
        for l in [l, loaded(&records)] {
            let idx = RefIndex::new(&l, 3, &["x".into()]).unwrap();
            for x in 0..l.refs.len() {
                assert_eq!(
                    idx.find(&l, l.party[x] as usize, &l.refs[x]),
                    Some(x as u32)
                );
                let other = (l.party[x] as usize + 1) % 3;
                assert_eq!(idx.find(&l, other, &l.refs[x]), None);
            }
            assert_eq!(idx.find(&l, 0, &[0xee; 16]), None);
        }
        let mut sorted = loaded(&records[..10]);
        sorted.party.fill(0);
        let idx = RefIndex::new(&sorted, 3, &["x".into()]).unwrap();
        assert!(idx.by_party[0].sorted.is_none());
        assert_eq!(idx.find(&sorted, 0, &sorted.refs[7]), Some(7));
    }

    /// Digests computed by the caller (the browser's WebCrypto) give the same outputs and
    /// the same receipt digests; a wrong body digest is refused like a damaged file, and a
    /// file without a digest beside ones with is still hashed here.
    #[test]
    fn prehashed_equals_hashed_here() {
        use sha2::{Digest, Sha256};
        let wf = test_support::workflow();
        let ctx = test_support::context(&wf);
        let files = test_support::demo_token_files(600, 5);
        let native = compare(&ctx, boxed(&files), &mut |_| {}).unwrap();
        let digests: Vec<Option<FileDigests>> = digests_of(&files)
            .into_iter()
            .enumerate()
            .map(|(i, d)| (i != 1).then_some(d))
            .collect();
        let out = compare_prehashed(&ctx, boxed(&files), &digests, &mut |_| {}).unwrap();
        assert_eq!(out.summary_text, native.summary_text);
        assert_eq!(out.input_sha256, native.input_sha256);
        for (a, b) in out.results.iter().zip(&native.results) {
            assert_eq!(a.bytes, b.bytes, "{}", a.file_name);
        }
        let mut wrong = digests.clone();
        wrong[0] = Some(FileDigests {
            body: Sha256::digest(&files[0].1[1..]).into(),
            file: [0; 32],
        });
        let e = compare_prehashed(&ctx, boxed(&files), &wrong, &mut |_| {}).unwrap_err();
        assert!(e.to_string().contains("checksum"), "{e}");
        assert!(e.to_string().contains(&files[0].0), "{e}");
    }

    /// The digests a caller computes of token files (as the browser's WebCrypto does).
    fn digests_of(files: &[(String, Vec<u8>)]) -> Vec<FileDigests> {
        use sha2::{Digest, Sha256};
        files
            .iter()
            .map(|(_, b)| FileDigests {
                body: Sha256::digest(&b[..b.len() - 32]).into(),
                file: Sha256::digest(b).into(),
            })
            .collect()
    }

    /// A comparison confirmed afterwards with the caller's digests gives the same outputs
    /// and receipt digests; a body digest that does not match a file's checksum (a
    /// damaged file, or digests of other files) is refused naming that file, and so are
    /// digests for fewer files.
    #[test]
    fn confirmed_later_equals_hashed_here() {
        use sha2::{Digest, Sha256};
        let wf = test_support::workflow();
        let ctx = test_support::context(&wf);
        let files = test_support::demo_token_files(600, 5);
        let native = compare(&ctx, boxed(&files), &mut |_| {}).unwrap();
        let digests = digests_of(&files);
        let later = || compare_unconfirmed(&ctx, boxed(&files), &mut |_| {}).unwrap();
        let out = later().confirm(&digests).unwrap();
        assert_eq!(out.summary_text, native.summary_text);
        assert_eq!(out.input_sha256, native.input_sha256);
        assert_eq!(out.results.len(), native.results.len());
        for (a, b) in out.results.iter().zip(&native.results) {
            assert_eq!(a.bytes, b.bytes, "{}", a.file_name);
        }
        let mut wrong = digests.clone();
        wrong[2].body = Sha256::digest(&files[2].1[1..files[2].1.len() - 32]).into();
        let e = later().confirm(&wrong).unwrap_err().to_string();
        assert!(e.contains("checksum") && e.contains(&files[2].0), "{e}");
        wrong = digests.clone();
        wrong.swap(0, 1);
        let e = later().confirm(&wrong).unwrap_err().to_string();
        assert!(e.contains(&files[0].0), "{e}");
        let e = later().confirm(&digests[..4]).unwrap_err().to_string();
        assert!(e.contains("4 digests for 5"), "{e}");
        // A file damaged on the way: its records are read as they are, and the
        // confirmation with the digests of the real bytes refuses it.
        let mut damaged = files.clone();
        let at = damaged[3].1.len() - 40;
        damaged[3].1[at] ^= 1;
        let refused = compare_unconfirmed(&ctx, boxed(&damaged), &mut |_| {})
            .and_then(|u| u.confirm(&digests_of(&damaged)));
        let e = match refused {
            Ok(_) => panic!("a damaged file is refused"),
            Err(e) => e.to_string(),
        };
        assert!(e.contains("checksum") && e.contains(&files[3].0), "{e}");
    }

    /// The joined path gives exactly the native summary and result files.
    #[test]
    fn joined_equals_native() {
        let wf = test_support::workflow();
        let ctx = test_support::context(&wf);
        let files = test_support::demo_token_files(1500, 3);
        let native = compare(&ctx, boxed(&files), &mut |_| {}).unwrap();
        // The digest of each input, from the comparison's own pass: what sha256sum prints.
        let want: Vec<String> = files
            .iter()
            .map(|(_, b)| {
                use sha2::Digest;
                hex::encode(sha2::Sha256::digest(b))
            })
            .collect();
        assert_eq!(native.input_sha256, want);
        let (manifest, groups) = join_tokens(&wf, boxed(&files)).unwrap();
        assert!(manifest.groups.values().sum::<u64>() > 100);
        // All in memory, and a budget of 64 members, which spills and merges runs.
        for budget in [usize::MAX, 64 * crate::runs::ENTRY_MEMORY] {
            let out = joined_with(&ctx, &files, &manifest, &groups, budget).unwrap();
            assert_eq!(out.summary_text, native.summary_text);
            assert_eq!(
                serde_json::to_string(&out.summary).unwrap(),
                serde_json::to_string(&native.summary).unwrap()
            );
            assert_eq!(out.results.len(), native.results.len());
            for (a, b) in out.results.iter().zip(&native.results) {
                assert_eq!(a.file_name, b.file_name);
                assert_eq!(a.bytes, b.bytes, "{}", a.file_name);
            }
            assert_eq!(out.clusters.cluster, native.clusters.cluster);
            assert_eq!(out.input_sha256, want);
        }
    }

    fn assert_same(out: &CompareOutput, want: &CompareOutput, what: &str) {
        assert_eq!(out.summary_text, want.summary_text, "{what}");
        assert_eq!(
            serde_json::to_string(&out.summary).unwrap(),
            serde_json::to_string(&want.summary).unwrap(),
            "{what}"
        );
        assert_eq!(out.results.len(), want.results.len(), "{what}");
        for (a, b) in out.results.iter().zip(&want.results) {
            assert_eq!(a.file_name, b.file_name, "{what}");
            assert!(a.bytes == b.bytes, "{what}: {}", a.file_name);
        }
        assert_eq!(out.clusters.cluster, want.clusters.cluster, "{what}");
        assert_eq!(out.clusters.refs, want.clusters.refs, "{what}");
    }

    /// The streaming comparison gives exactly what the in-memory one gave, on demo
    /// scenarios, whether everything fits in memory or runs are spilled and merged (in
    /// one round or several).
    #[test]
    fn streaming_equals_in_memory_on_demos() {
        let wf = test_support::workflow();
        let ctx = test_support::context(&wf);
        for (people, seed) in [(300, 1), (2500, 7), (6000, 42)] {
            let files = test_support::demo_token_files(people, seed);
            let want = reference::compare(&ctx, boxed(&files)).unwrap();
            assert!(want.summary.links.iter().any(|l| l.conflicts != 0) || people < 1000);
            let out = compare(&ctx, boxed(&files), &mut |_| {}).unwrap();
            assert_same(&out, &want, &format!("in memory, {people}/{seed}"));
            // In memory with tasks on threads: sorting and result files split among them.
            let threads = crate::par::TestThreads(3);
            let mut store = MemoryRuns::default();
            let out = compare_with(
                &ctx,
                boxed(&files),
                &mut store,
                usize::MAX,
                &threads,
                &mut |_| {},
            )
            .unwrap();
            assert_same(&out, &want, &format!("in memory, threads, {people}/{seed}"));
            for (budget, par) in [
                (64 << 10, &Serial as &dyn Parallel),
                (5000, &threads),
                (1, &Serial),
            ] {
                let mut store = MemoryRuns::default();
                let out = compare_with(&ctx, boxed(&files), &mut store, budget, par, &mut |_| {})
                    .unwrap();
                assert_same(&out, &want, &format!("budget {budget}, {people}/{seed}"));
                if budget < 64 << 10 || people >= 2500 {
                    assert!(store.created() > 3, "budget {budget}: nothing spilled");
                }
                assert_eq!(store.live(), 0, "runs left behind");
            }
        }
    }

    /// Progress still reaches the end of each phase.
    #[test]
    fn streaming_reports_progress() {
        let wf = test_support::workflow();
        let ctx = test_support::context(&wf);
        let files = test_support::demo_token_files(300, 2);
        let mut last = 0;
        let out = compare_with(
            &ctx,
            boxed(&files),
            &mut MemoryRuns::default(),
            1000,
            &Serial,
            &mut |p| last = p.rows,
        )
        .unwrap();
        let n = out.clusters.len() as u64;
        assert_eq!(last, n + 3 * n);
    }

    /// The groups of records pushed through a sorter with `budget` and `fan_in`.
    fn sorted_link(l: Loaded, budget: usize, fan_in: usize, par: &dyn Parallel) -> CompareOutput {
        let mut store = MemoryRuns::default();
        let mut s = crate::runs::Sorter::new(&mut store, 3, budget)
            .with_fan_in(fan_in)
            .parallel(par);
        for x in 0..l.refs.len() {
            for i in 0..3 {
                if l.masks[x] & (1 << i) != 0 {
                    s.push(i, &l.tokens[i][x].to_be_bytes(), x as u32).unwrap();
                }
            }
        }
        let mut sorted = s.finish().unwrap();
        link(
            &workflow(),
            &PARTIES,
            l,
            "kcv".into(),
            &mut sorted,
            par,
            &mut |_| {},
        )
        .unwrap()
    }

    proptest::proptest! {
        /// Small random token sets with many collisions and conflicts: the sorter's
        /// groups give exactly the in-memory grouping's output, with any buffer.
        #[test]
        fn sorter_equals_groups_of(
            records in proptest::collection::vec(
                (0u8..3, [0u8..6, 0u8..4, 0u8..5]), 0..120),
            budget in 1usize..400,
            fan_in in 2usize..5,
        ) {
            let records: Vec<(u8, [u128; 3])> = records
                .iter()
                .map(|(p, t)| {
                    // 0 is absent; the others share the first bits (some share 64).
                    let tok = |v: u8, k: u128| {
                        if v == 0 { 0 } else { (0xabcd_u128 << 112) | (k << 64) | v as u128 }
                    };
                    (*p, [tok(t[0], 1), tok(t[1], 2), tok(t[2], 3)])
                })
                .collect();
            let want = run(&records);
            let budget = budget * crate::runs::ENTRY_MEMORY / 8;
            let out = sorted_link(loaded(&records), budget, fan_in, &Serial);
            assert_same(&out, &want, "proptest");
            // Nothing spilled, on threads: the strongest key linked a part per thread.
            let threads = crate::par::TestThreads(2);
            let out = sorted_link(loaded(&records), usize::MAX, fan_in, &threads);
            assert_same(&out, &want, "proptest, threads");
        }
    }

    /// Statuses (by record) and people of `records` computed the way `link` did until
    /// the fourteenth session: every group linked by `link_group`, then a second pass
    /// over the groups with the final roots (a group spanning two clusters is a conflict;
    /// a record is linked by the strongest key when its key-0 group holds another list's
    /// record of its cluster).
    fn two_pass(records: &[(u8, [u128; 3])]) -> (Vec<Status>, u64) {
        let l = loaded(records);
        let n = records.len();
        let groups = reference::groups(&l);
        let uf = UnionFind::new(&l.masks);
        let mut roots = Vec::new();
        for (i, g) in groups.iter().enumerate() {
            for group in g.iter() {
                uf.link_group(group, (1u8 << i) - 1, &mut roots);
            }
        }
        let root: Vec<usize> = (0..n as u32).map(|x| uf.find(x) as usize).collect();
        let mut flags = vec![0u8; n];
        for (i, g) in groups.iter().enumerate() {
            for group in g.iter() {
                let group: Vec<usize> = group.iter().map(|&x| x as usize).collect();
                if group.iter().any(|&x| root[x] != root[group[0]]) {
                    for &x in &group {
                        flags[x] |= CONFLICT;
                    }
                }
                for &x in &group {
                    let other = |y: usize| l.party[y] != l.party[x] && root[y] == root[x];
                    if i == 0 && group.iter().any(|&y| other(y)) {
                        flags[x] |= STRONG;
                    }
                }
            }
        }
        let mut lists = vec![0u64; n];
        for x in 0..n {
            lists[root[x]] |= 1 << l.party[x];
        }
        let statuses = (0..n)
            .map(|x| {
                if flags[x] & CONFLICT != 0 {
                    Status::Conflict
                } else if lists[root[x]] & !(1u64 << l.party[x]) == 0 {
                    Status::NotFound
                } else if flags[x] & STRONG != 0 {
                    Status::Matched
                } else {
                    Status::MatchedWeaker
                }
            })
            .collect();
        let people = (0..n).filter(|&x| root[x] == x).count() as u64;
        (statuses, people)
    }

    proptest::proptest! {
        /// The flags set as the groups are linked (one pass) are those of a second pass
        /// with the final roots, on small token sets with many collisions and conflicts.
        #[test]
        fn one_pass_flags_equal_two_passes(
            records in proptest::collection::vec(
                (0u8..3, [0u8..5, 0u8..4, 0u8..4]), 1..80),
        ) {
            let records: Vec<(u8, [u128; 3])> = records
                .iter()
                .map(|(p, t)| {
                    let tok = |v: u8, k: u128| if v == 0 { 0 } else { k << 120 | v as u128 };
                    (*p, [tok(t[0], 1), tok(t[1], 2), tok(t[2], 3)])
                })
                .collect();
            let out = run(&records);
            let (want, people) = two_pass(&records);
            for (p, party) in PARTIES.iter().enumerate() {
                let want: Vec<(Token, Status)> = (0..records.len())
                    .filter(|&x| records[x].0 as usize == p)
                    .map(|x| (r(x as u128 + 1), want[x]))
                    .collect();
                // A list with no record has no result file.
                let got = match out.results.iter().any(|f| f.party == *party) {
                    true => statuses(&out, party),
                    false => Vec::new(),
                };
                proptest::prop_assert_eq!(got, want);
            }
            proptest::prop_assert_eq!(out.summary.people_total, people);
        }
    }

    /// The strongest key's groups link to their first record without a search, and a
    /// group holding a record that is no longer a root is left to `link_group`.
    #[test]
    fn link_roots_links_to_the_first_record() {
        let uf = UnionFind::new(&[1, 2, 4, 1, 2, 4]);
        let state = |uf: &UnionFind| -> (Vec<u32>, Vec<u8>) {
            (0..6).map(|x| (uf.parent(x), uf.mask(x))).unzip()
        };
        // A record twice (not in real groups) is linked once.
        assert_eq!(uf.link_roots(&[1, 3, 4, 4]), Some(2));
        assert_eq!(state(&uf), (vec![0, 1, 2, 1, 1, 5], vec![1, 3, 4, 1, 2, 4]));
        assert_eq!(uf.link_roots(&[]), None);
        assert_eq!(uf.link_roots(&[5]), Some(0));
        // Record 3 has a parent: nothing changes.
        let before = state(&uf);
        assert_eq!(uf.link_roots(&[2, 3]), None);
        assert_eq!(state(&uf), before);
    }

    /// People are counted the same in parts as in one, with the combinations in an array
    /// (few lists) or in a map (many).
    #[test]
    fn people_counted_in_parts() {
        let n = 3000usize;
        let mut seed = 7u64;
        let mut next = move || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) as usize
        };
        for np in [3usize, People::DENSE, People::DENSE + 1, 40] {
            let root: Vec<u32> = (0..n)
                .map(|x| if next() % 3 == 0 { x } else { next() % (x + 1) } as u32)
                .collect();
            let cluster: Vec<[u64; 2]> = (0..n)
                .map(|_| {
                    [
                        (next() as u64 | (next() as u64) << 31) & ((1u64 << np) - 1),
                        0,
                    ]
                })
                .collect();
            let mut want = People::new(np);
            for (r, c) in cluster.iter().enumerate() {
                if root[r] as usize != r {
                    continue;
                }
                want.total += 1;
                *want.combos.entry(c[0]).or_default() += 1;
                for a in 0..np {
                    if c[0] >> a & 1 == 1 {
                        want.per_list[a] += 1;
                        for b in a + 1..np {
                            want.pair[a * np + b] += c[0] >> b & 1;
                        }
                    }
                }
            }
            let whole = People::count(&cluster, &root, 0..n, np);
            let parts = [0..1000, 1000..1001, 1001..n]
                .into_iter()
                .map(|r| People::count(&cluster, &root, r, np))
                .fold(People::new(np), People::add);
            for got in [whole, parts] {
                assert_eq!(got.total, want.total, "{np}");
                assert_eq!(got.per_list, want.per_list, "{np}");
                assert_eq!(got.pair, want.pair, "{np}");
                assert_eq!(got.combos, want.combos, "{np}");
            }
        }
    }

    /// A lost part file, a foreign member, a changed token file are refused.
    #[test]
    fn joined_damage_is_refused() {
        let wf = test_support::workflow();
        let ctx = test_support::context(&wf);
        let files = test_support::demo_token_files(400, 5);
        let (manifest, groups) = join_tokens(&wf, boxed(&files)).unwrap();
        let joined = |m: &JoinedManifest, g: &[u8]| joined_with(&ctx, &files, m, g, usize::MAX);
        assert!(joined(&manifest, &groups).is_ok());
        let text = String::from_utf8(groups.clone()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        // A group lost.
        let lost = (lines[..lines.len() - 1].join("\n") + "\n").into_bytes();
        let e = joined(&manifest, &lost).unwrap_err();
        assert!(e.to_string().contains("hilang"), "{e}");
        // A member that is not in its party's token file (a valid reference, not theirs).
        let mut l2: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
        let m = l2[1].rfind(':').unwrap();
        l2[1].replace_range(m + 1..m + 33, &"0".repeat(32));
        let bad = (l2.join("\n") + "\n").into_bytes();
        let e = joined(&manifest, &bad).unwrap_err();
        assert!(e.to_string().contains("tidak ada di berkas token"), "{e}");
        // One token in two groups (the manifest's counts made to agree): the sort would
        // merge them into one group; refused, in memory and when spilled.
        let twice = format!("{text}{}\n", lines[1]).into_bytes();
        let mut m4 = manifest.clone();
        let key = lines[1].split(',').next().unwrap().to_string();
        *m4.groups.get_mut(&key).unwrap() += 1;
        *m4.members.get_mut(&key).unwrap() += lines[1].split(';').count() as u64;
        for budget in [usize::MAX, 8 * crate::runs::ENTRY_MEMORY] {
            let e = joined_with(&ctx, &files, &m4, &twice, budget).unwrap_err();
            assert!(e.to_string().contains("dua kelompok"), "{e}");
        }
        // Another workflow digest, another checksum.
        let mut m2 = manifest.clone();
        m2.workflow_digest = "00".repeat(32);
        assert!(joined(&m2, &groups).is_err());
        let mut m3 = manifest.clone();
        m3.inputs[0].checksum = "00".repeat(32);
        assert!(joined(&m3, &groups).is_err());
    }
}
