//! Blocking: which pairs of records are compared at all.
//!
//! Two sources of block keys, both opaque to the coordinator:
//! - **LSH over the filters**, in `L` bands of `r` rows: records whose `r` rows agree in
//!   some band share a block. With per-row agreement probability `s`, two filters meet in
//!   at least one band with probability `1 - (1 - s^r)^L`: near filters almost always,
//!   unrelated ones rarely. Min-hash rows (`s` = Jaccard similarity of the set bits) suit
//!   sparse filters (no diffusion); bit sampling (`s` = share of equal bits) is kept for
//!   comparison. The
//!   coordinator computes these keys from the filters it already holds, so LSH reveals
//!   nothing new. The permutations come from a public seed (the workflow digest).
//! - **Keyed block tokens** that offices add (e.g. an HMAC of the birth date): any 64-bit
//!   values; records sharing one share a block.
//!
//! Blocks are joined one band at a time (memory: 16 bytes per record), pairs are compared
//! in batches, and a block whose pair count exceeds a cap is skipped and counted (a block
//! that large is not a block).

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::bloom::{Filter, BITS};
use super::dice::{dice_pairs, popcounts};

/// Locality-sensitive hashing over filters, in bands.
#[derive(Clone, Debug)]
pub struct Lsh {
    kind: LshKind,
    /// Rows (bits or min-hashes) per band.
    rows: usize,
    /// Bit sampling: `bands * rows` positions. Min-hash: `bands * rows` permutations of
    /// the 1024 positions, one after another.
    positions: Vec<u16>,
}

/// Which LSH family.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LshKind {
    /// Bit sampling (Hamming distance): a band is `rows` sampled bits.
    BitSampling,
    /// Min-hash (Jaccard similarity of the set bits, a monotone function of Dice): a band
    /// is `rows` min-hashes, each the rank of the first set bit in a random order of the
    /// positions. Two filters share one min-hash with probability equal to their Jaccard
    /// similarity `J = D / (2 - D)`, whatever their density.
    MinHash,
}

impl Lsh {
    /// Bit sampling: `rows` is at most 56 (the band number sits in the key's top byte).
    pub fn new(seed: [u8; 32], bands: usize, rows: usize) -> Lsh {
        let rows = rows.clamp(1, 56);
        let bands = bands.clamp(1, 255);
        let mut rng = ChaCha8Rng::from_seed(seed);
        let positions = (0..bands * rows)
            .map(|_| rng.gen_range(0..BITS as u16))
            .collect();
        Lsh {
            kind: LshKind::BitSampling,
            rows,
            positions,
        }
    }

    /// Min-hash: `rows` is at most 5 (ten bits per min-hash).
    pub fn minhash(seed: [u8; 32], bands: usize, rows: usize) -> Lsh {
        use rand::seq::SliceRandom;
        let rows = rows.clamp(1, 5);
        let bands = bands.clamp(1, 255);
        let mut rng = ChaCha8Rng::from_seed(seed);
        let mut positions = Vec::with_capacity(bands * rows * BITS);
        let mut perm: Vec<u16> = (0..BITS as u16).collect();
        for _ in 0..bands * rows {
            perm.shuffle(&mut rng);
            positions.extend_from_slice(&perm);
        }
        Lsh {
            kind: LshKind::MinHash,
            rows,
            positions,
        }
    }

    pub fn kind(&self) -> LshKind {
        self.kind
    }

    pub fn bands(&self) -> usize {
        match self.kind {
            LshKind::BitSampling => self.positions.len() / self.rows,
            LshKind::MinHash => self.positions.len() / (self.rows * BITS),
        }
    }

    /// The block key of `f` in band `band`: the band number, then the band's rows.
    pub fn key(&self, band: usize, f: &Filter) -> u64 {
        let mut k = (band as u64) << 56;
        match self.kind {
            LshKind::BitSampling => {
                let ps = &self.positions[band * self.rows..(band + 1) * self.rows];
                for (i, &p) in ps.iter().enumerate() {
                    k |= u64::from(f.get(p as usize)) << i;
                }
            }
            LshKind::MinHash => {
                for r in 0..self.rows {
                    let h = band * self.rows + r;
                    let perm = &self.positions[h * BITS..(h + 1) * BITS];
                    // Expected scan length: 1 / density. An empty filter gets BITS - 1.
                    let rank = perm
                        .iter()
                        .position(|&p| f.get(p as usize))
                        .unwrap_or(BITS - 1);
                    k |= (rank as u64) << (10 * r);
                }
            }
        }
        k
    }
}

/// Counts of one blocked comparison.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BlockStats {
    /// Candidate pairs compared (a pair met in several bands counts each time).
    pub comparisons: u64,
    /// Blocks skipped for being larger than the cap, and the pairs they held.
    pub blocks_skipped: u64,
    pub pairs_skipped: u64,
}

/// Limits of blocked comparison.
#[derive(Clone, Copy, Debug)]
pub struct BlockParams {
    /// Dice at or above which a pair is kept.
    pub threshold: f32,
    /// Largest block (pairs = records of A x records of B in it) compared.
    pub max_block_pairs: u64,
}

const BATCH: usize = 1 << 14;

/// A batch of candidate pairs `(index in a, index in b)`.
type Pairs = [(u32, u32)];

/// Joins two sorted `(key, index)` lists and feeds each pair of indices in a shared key
/// to `emit` in batches.
fn join(
    a: &[(u64, u32)],
    b: &[(u64, u32)],
    cap: u64,
    stats: &mut BlockStats,
    emit: &mut dyn FnMut(&Pairs),
) {
    let mut batch: Vec<(u32, u32)> = Vec::with_capacity(BATCH);
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        let (ka, kb) = (a[i].0, b[j].0);
        if ka < kb {
            i += 1;
        } else if kb < ka {
            j += 1;
        } else {
            let ie = i + a[i..].iter().take_while(|x| x.0 == ka).count();
            let je = j + b[j..].iter().take_while(|x| x.0 == ka).count();
            let n = ((ie - i) * (je - j)) as u64;
            if n > cap {
                stats.blocks_skipped += 1;
                stats.pairs_skipped += n;
            } else {
                for x in &a[i..ie] {
                    for y in &b[j..je] {
                        batch.push((x.1, y.1));
                        if batch.len() == BATCH {
                            emit(&batch);
                            batch.clear();
                        }
                    }
                }
            }
            i = ie;
            j = je;
        }
    }
    if !batch.is_empty() {
        emit(&batch);
    }
}

/// Compares list `a` against list `b` inside blocks: LSH bands over the filters (when
/// `lsh` is given) and keyed block tokens (`a_keys`/`b_keys`: one list of 64-bit keys per
/// record, may be empty). Returns each pair at or above the threshold once, as
/// `(i, j, dice)` sorted by `(i, j)`.
pub fn compare_blocked(
    a: &[Filter],
    b: &[Filter],
    lsh: Option<&Lsh>,
    a_keys: &[Vec<u64>],
    b_keys: &[Vec<u64>],
    params: BlockParams,
) -> (Vec<(u32, u32, f32)>, BlockStats) {
    let (ca, cb) = (popcounts(a), popcounts(b));
    let mut stats = BlockStats::default();
    let mut hits: Vec<(u32, u32, f32)> = Vec::new();
    let mut ka: Vec<(u64, u32)> = Vec::with_capacity(a.len());
    let mut kb: Vec<(u64, u32)> = Vec::with_capacity(b.len());
    let mut run = |ka: &mut Vec<(u64, u32)>, kb: &mut Vec<(u64, u32)>, stats: &mut BlockStats| {
        ka.sort_unstable();
        kb.sort_unstable();
        let mut comparisons = 0u64;
        join(ka, kb, params.max_block_pairs, stats, &mut |pairs| {
            comparisons += pairs.len() as u64;
            dice_pairs((a, &ca), (b, &cb), pairs, params.threshold, &mut hits);
        });
        stats.comparisons += comparisons;
    };
    if let Some(lsh) = lsh {
        for band in 0..lsh.bands() {
            ka.clear();
            kb.clear();
            ka.extend(
                a.iter()
                    .enumerate()
                    .map(|(i, f)| (lsh.key(band, f), i as u32)),
            );
            kb.extend(
                b.iter()
                    .enumerate()
                    .map(|(i, f)| (lsh.key(band, f), i as u32)),
            );
            run(&mut ka, &mut kb, &mut stats);
        }
    }
    if a_keys.iter().any(|k| !k.is_empty()) && b_keys.iter().any(|k| !k.is_empty()) {
        ka.clear();
        kb.clear();
        for (i, ks) in a_keys.iter().enumerate() {
            ka.extend(ks.iter().map(|&k| (k, i as u32)));
        }
        for (i, ks) in b_keys.iter().enumerate() {
            kb.extend(ks.iter().map(|&k| (k, i as u32)));
        }
        run(&mut ka, &mut kb, &mut stats);
    }
    hits.sort_unstable_by_key(|h| (h.0, h.1));
    hits.dedup_by_key(|h| (h.0, h.1));
    (hits, stats)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn random_filter(rng: &mut ChaCha8Rng, density: f64) -> Filter {
        let mut f = Filter::default();
        for i in 0..BITS {
            if rng.gen_bool(density) {
                f.set(i);
            }
        }
        f
    }

    #[test]
    fn lsh_finds_near_filters_and_few_others() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let a: Vec<Filter> = (0..300).map(|_| random_filter(&mut rng, 0.3)).collect();
        // b[i] is a[i] with 40 bits flipped; then 300 unrelated filters.
        let mut b: Vec<Filter> = a
            .iter()
            .map(|f| {
                let mut g = *f;
                for _ in 0..40 {
                    let p = rng.gen_range(0..BITS);
                    g.0[p / 64] ^= 1 << (p % 64);
                }
                g
            })
            .collect();
        b.extend((0..300).map(|_| random_filter(&mut rng, 0.3)));
        let lsh = Lsh::new([3; 32], 30, 20);
        let params = BlockParams {
            threshold: 0.8,
            max_block_pairs: 1 << 20,
        };
        let (hits, stats) = compare_blocked(&a, &b, Some(&lsh), &[], &[], params);
        let found = hits.iter().filter(|h| h.0 == h.1).count();
        assert_eq!(found, 300, "every near pair found");
        assert_eq!(hits.len(), 300, "no unrelated pair above 0.8");
        assert!(
            stats.comparisons < 300 * 600 / 4,
            "blocking compares far fewer than all pairs: {}",
            stats.comparisons
        );
    }

    #[test]
    fn minhash_finds_near_filters_and_few_others() {
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        let a: Vec<Filter> = (0..300).map(|_| random_filter(&mut rng, 0.15)).collect();
        // b[i] keeps about 75% of a[i]'s set bits and adds as many new ones (Dice ~0.75).
        let mut b: Vec<Filter> = a
            .iter()
            .map(|f| {
                let mut g = Filter::default();
                for p in 0..BITS {
                    if f.get(p) && rng.gen_bool(0.75) || !f.get(p) && rng.gen_bool(0.03) {
                        g.set(p);
                    }
                }
                g
            })
            .collect();
        b.extend((0..300).map(|_| random_filter(&mut rng, 0.15)));
        let lsh = Lsh::minhash([3; 32], 24, 3);
        assert_eq!((lsh.bands(), lsh.kind()), (24, LshKind::MinHash));
        let params = BlockParams {
            threshold: 0.6,
            max_block_pairs: 1 << 20,
        };
        let (hits, stats) = compare_blocked(&a, &b, Some(&lsh), &[], &[], params);
        let found = hits.iter().filter(|h| h.0 == h.1).count();
        assert!(found >= 297, "near pairs found: {found}");
        assert_eq!(hits.len(), found, "no unrelated pair above 0.6");
        assert!(
            stats.comparisons < 300 * 600 / 4,
            "blocking compares far fewer than all pairs: {}",
            stats.comparisons
        );
    }

    #[test]
    fn keyed_blocks_and_caps() {
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        let a: Vec<Filter> = (0..4).map(|_| random_filter(&mut rng, 0.3)).collect();
        let b = a.clone();
        let keys_a = vec![vec![1], vec![2], vec![7], vec![]];
        let keys_b = vec![vec![2], vec![1], vec![7], vec![7]];
        let params = BlockParams {
            threshold: 0.0,
            max_block_pairs: 1,
        };
        let (hits, stats) = compare_blocked(&a, &b, None, &keys_a, &keys_b, params);
        let pairs: Vec<(u32, u32)> = hits.iter().map(|h| (h.0, h.1)).collect();
        assert_eq!(
            pairs,
            [(0, 1), (1, 0)],
            "block 7 (1 x 2 pairs) is over the cap"
        );
        assert_eq!((stats.blocks_skipped, stats.pairs_skipped), (1, 2));
        assert_eq!(stats.comparisons, 2);
    }
}
