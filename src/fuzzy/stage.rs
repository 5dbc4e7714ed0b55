//! The coordinator's fuzzy stage, run by `compare` after the exact clustering and without
//! changing it: it finds *verification links* between records of different clusters (a
//! similar name, a probable NIK typo). They are never merged into the clusters; the
//! records involved get the status `perlu_verifikasi`. Scores stay here.

use super::assign;
use super::block::{compare_blocked, BlockParams, BlockStats};
use super::bloom::Filter;
use super::record::Layout;
use super::typo::{find_typos, TypoTokens};
use crate::result::Verify;

/// The records of one comparison as the stage sees them (all slices indexed by record).
pub struct Records<'a> {
    pub layout: Layout,
    /// The fuzzy part of every record, `layout.size()` bytes each.
    pub raw: &'a [u8],
    /// The list (data-party index) of each record.
    pub party: &'a [u8],
    /// The exact cluster of each record (the index of its root record).
    pub root: &'a [u32],
    /// The lists of each cluster, indexed by root (bit p: list p).
    pub cluster_lists: &'a dyn Fn(u32) -> u64,
    /// Whether each record has a NIK token (a usable NIK).
    pub has_nik: &'a [bool],
}

/// A verification link between records `a` and `b` (`a < b`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Link {
    pub a: u32,
    pub b: u32,
    pub why: Verify,
}

/// Counts of one stage (no scores).
#[derive(Clone, Debug, Default)]
pub struct Stats {
    pub blocks: BlockStats,
    /// Similar-name links per pair of lists `(p, q, links)`, `p < q`.
    pub similar: Vec<(u8, u8, u64)>,
    pub typos: u64,
}

/// Parameters: the Dice threshold, the largest block compared, and min-hash LSH bands
/// over the filters (0: keyed blocks only; LSH blocks well only on filters without
/// diffusion, `docs/fuzzy.md`), seeded publicly with the workflow digest.
#[derive(Clone, Copy, Debug)]
pub struct Params {
    pub threshold: f32,
    pub max_block_pairs: u64,
    pub lsh_bands: usize,
    pub seed: [u8; 32],
}

/// Finds the verification links.
///
/// - Similar names, per pair of lists (p, q): the records of p whose cluster has no
///   record of q, and those of q whose cluster has none of p, compared inside blocks;
///   pairs where both records have a NIK token are dropped (two different valid NIKs are
///   never linked by a similar name: only the typo rule connects them); ambiguous pairs
///   are dropped (a record resembling two different people is left alone); the rest are
///   assigned one to one.
/// - Probable NIK typos, over all records with typo tokens, between different clusters.
pub fn run(
    recs: &Records,
    lists: usize,
    params: Params,
    progress: &mut dyn FnMut(usize),
) -> (Vec<Link>, Stats) {
    let size = recs.layout.size();
    let part = |x: u32| &recs.raw[x as usize * size..(x as usize + 1) * size];
    let mut stats = Stats::default();
    let mut links = Vec::new();
    // Records with a filter, by list.
    let mut by_list: Vec<Vec<u32>> = vec![Vec::new(); lists];
    for x in 0..recs.party.len() as u32 {
        if part(x)[0] & 1 != 0 {
            by_list[recs.party[x as usize] as usize].push(x);
        }
    }
    let lsh = (params.lsh_bands > 0).then(|| super::Lsh::minhash(params.seed, params.lsh_bands, 3));
    let mut done = 0;
    for p in 0..lists {
        for q in p + 1..lists {
            let side = |l: usize, other: usize| -> Vec<u32> {
                by_list[l]
                    .iter()
                    .copied()
                    .filter(|&x| (recs.cluster_lists)(recs.root[x as usize]) & (1 << other) == 0)
                    .collect()
            };
            let (ia, ib) = (side(p, q), side(q, p));
            if ia.is_empty() || ib.is_empty() {
                continue;
            }
            let load = |ids: &[u32]| -> (Vec<Filter>, Vec<Vec<u64>>) {
                ids.iter()
                    .map(|&x| {
                        let r = recs.layout.parse(part(x));
                        (r.filter.expect("records with a filter"), r.blocks)
                    })
                    .unzip()
            };
            let (fa, mut ka) = load(&ia);
            let (fb, mut kb) = load(&ib);
            // Without blocks and LSH: every pair, in one block, up to the limit (beyond
            // it the block is skipped and counted, and the summary says so).
            let all_pairs = recs.layout.blocks == 0;
            if all_pairs {
                ka.iter_mut().for_each(|k| *k = vec![0]);
                kb.iter_mut().for_each(|k| *k = vec![0]);
            }
            let max_block_pairs = if all_pairs {
                super::config::ALL_PAIRS_LIMIT
            } else {
                params.max_block_pairs
            };
            let (hits, s) = compare_blocked(
                &fa,
                &fb,
                lsh.as_ref(),
                &ka,
                &kb,
                BlockParams {
                    threshold: params.threshold,
                    max_block_pairs,
                },
            );
            drop((fa, fb, ka, kb));
            stats.blocks.comparisons += s.comparisons;
            stats.blocks.blocks_skipped += s.blocks_skipped;
            stats.blocks.pairs_skipped += s.pairs_skipped;
            let (a_of, b_of) = (|i: u32| ia[i as usize], |j: u32| ib[j as usize]);
            let hits: Vec<(u32, u32, f32)> = hits
                .into_iter()
                .filter(|h| !(recs.has_nik[a_of(h.0) as usize] && recs.has_nik[b_of(h.1) as usize]))
                .collect();
            let hits = assign::unambiguous(
                hits,
                |i| recs.root[a_of(i) as usize],
                |j| recs.root[b_of(j) as usize],
            );
            let chosen = assign::greedy(hits);
            stats.similar.push((p as u8, q as u8, chosen.len() as u64));
            for (i, j) in chosen {
                let (a, b) = (a_of(i), b_of(j));
                links.push(Link {
                    a: a.min(b),
                    b: a.max(b),
                    why: Verify::SimilarName,
                });
            }
            done += 1;
            progress(done);
        }
    }
    if recs.layout.typo {
        let mut ids: Vec<u32> = Vec::new();
        let mut tokens: Vec<TypoTokens> = Vec::new();
        for x in 0..recs.party.len() as u32 {
            if let Some(t) = recs.layout.parse(part(x)).typo {
                ids.push(x);
                tokens.push(t);
            }
        }
        for pair in find_typos(&tokens) {
            let (a, b) = (ids[pair.a as usize], ids[pair.b as usize]);
            if recs.root[a as usize] != recs.root[b as usize] {
                stats.typos += 1;
                links.push(Link {
                    a: a.min(b),
                    b: a.max(b),
                    why: Verify::NikTypo,
                });
            }
        }
    }
    links.sort_unstable();
    (links, stats)
}
