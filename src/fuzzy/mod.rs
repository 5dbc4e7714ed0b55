//! Fuzzy matching for records whose exact tokens miss (issue 5): hardened Bloom-filter
//! encodings made by each office, blocked Dice comparison and one-to-one assignment at the
//! coordinator, and private detection of probable NIK typos. The design, the parameters
//! and the known attacks are in `docs/fuzzy.md`.
//!
//! - [`bloom`]: the office side, records to [`Filter`]s (keys from `keys::fuzzy_key`).
//! - [`dice`]: Dice similarity with popcounts, one against many.
//! - [`block`]: LSH and keyed blocks, compared in batches.
//! - [`assign`]: greedy one-to-one assignment.
//! - [`typo`]: NIK window tokens and probable typos.
//!
//! Links found here are to be verified ([`STATUS`]); similarity scores stay inside this
//! module: [`FuzzyLink`] and [`typo::TypoPair`] carry no score.

pub mod assign;
pub mod block;
pub mod bloom;
pub mod config;
pub mod demo_eval;
pub mod dice;
pub mod record;
pub mod stage;
pub mod typo;

pub use block::{BlockParams, BlockStats, Lsh, LshKind};
pub use bloom::{Encoder, EncodingSpec, FieldSpec, Filter, Hardening, Tokens};

/// The status of a fuzzy link in results: "perlu verifikasi" (to verify).
pub const STATUS: &str = "perlu_verifikasi";

/// Parameters of linking two lists.
#[derive(Clone, Copy, Debug)]
pub struct LinkParams {
    /// Dice similarity at or above which two records may be linked.
    pub threshold: f32,
    /// Min-hash LSH bands and min-hashes per band (0 bands: keyed blocks only, the
    /// default: min-hash blocks well only on sparse filters, i.e. without diffusion).
    pub lsh_bands: usize,
    pub lsh_rows: usize,
    /// Largest block compared (pairs).
    pub max_block_pairs: u64,
}

impl Default for LinkParams {
    fn default() -> Self {
        LinkParams {
            threshold: 0.8,
            lsh_bands: 0,
            lsh_rows: 3,
            max_block_pairs: 1 << 20,
        }
    }
}

/// A link between record `a` of the first list and record `b` of the second, to verify.
/// No score: scores never leave the coordinator's comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct FuzzyLink {
    pub a: u32,
    pub b: u32,
}

/// Counts of one linking run (no scores).
#[derive(Clone, Copy, Debug, Default)]
pub struct LinkStats {
    pub blocks: BlockStats,
    /// Distinct pairs at or above the threshold, before assignment.
    pub pairs_above_threshold: u64,
    pub links: u64,
}

/// Links two lists: blocked comparison (LSH over the filters with the public `seed`, and
/// the keyed block keys of each record), then one-to-one assignment.
pub fn link_two(
    a: &[Filter],
    b: &[Filter],
    a_keys: &[Vec<u64>],
    b_keys: &[Vec<u64>],
    seed: [u8; 32],
    params: &LinkParams,
) -> (Vec<FuzzyLink>, LinkStats) {
    let lsh = (params.lsh_bands > 0).then(|| Lsh::minhash(seed, params.lsh_bands, params.lsh_rows));
    let (hits, blocks) = block::compare_blocked(
        a,
        b,
        lsh.as_ref(),
        a_keys,
        b_keys,
        BlockParams {
            threshold: params.threshold,
            max_block_pairs: params.max_block_pairs,
        },
    );
    let pairs_above_threshold = hits.len() as u64;
    let links: Vec<FuzzyLink> = assign::greedy(hits)
        .into_iter()
        .map(|(a, b)| FuzzyLink { a, b })
        .collect();
    let stats = LinkStats {
        blocks,
        pairs_above_threshold,
        links: links.len() as u64,
    };
    (links, stats)
}

/// The value of a normalized row's field as an encoding or block field: `name` (the
/// matching form), `birth_date` (`YYYYMMDD`), `birth_year`, `sex` (`L`/`P`), `kecamatan`,
/// `desa`. `None` when the row lacks it or the field is unknown.
pub fn field_value(row: &crate::record::NormalRow, field: &str) -> Option<String> {
    match field {
        "name" => row.name.as_ref().map(|n| n.key.clone()),
        "birth_date" => row
            .birth_date
            .map(|d| format!("{:04}{:02}{:02}", d.year, d.month, d.day)),
        "birth_year" => row.birth_date.map(|d| format!("{:04}", d.year)),
        "sex" => row.sex.map(|s| s.code().to_string()),
        "kecamatan" => row.kecamatan.as_deref().map(str::to_string),
        "desa" => row.desa.as_deref().map(str::to_string),
        _ => None,
    }
}

/// Precision, recall and F1 of predicted links against true ones (benchmarks, tests).
pub fn pair_quality(predicted: &[(u32, u32)], truth: &[(u32, u32)]) -> (f64, f64, f64) {
    let t: std::collections::HashSet<&(u32, u32)> = truth.iter().collect();
    let correct = predicted.iter().filter(|p| t.contains(p)).count() as f64;
    let p = if predicted.is_empty() {
        1.0
    } else {
        correct / predicted.len() as f64
    };
    let r = if truth.is_empty() {
        1.0
    } else {
        correct / truth.len() as f64
    };
    let f = if p + r == 0.0 {
        0.0
    } else {
        2.0 * p * r / (p + r)
    };
    (p, r, f)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::Secret;

    #[test]
    fn link_two_links_variants_one_to_one_inside_blocks() {
        let spec = demo_eval::person_spec(Hardening::Diffusion { t: 3 });
        let mut e = Encoder::new(&spec, &Secret::from_bytes([1; 32]), &[2; 32]);
        let mut enc = |name: &str, dob: &str| {
            e.encode(&[
                Some(name),
                Some(dob),
                Some("P"),
                Some("320901"),
                Some("WALED"),
            ])
        };
        let a = vec![
            enc("SITINURHAYATI", "19800805"),
            enc("BAMBANGSUSILO", "19640212"),
            enc("DEDIKURNIAWAN", "19900101"),
        ];
        let b = vec![
            enc("BAMBANGSUSILA", "19640212"),
            enc("SITINURHAYATY", "19800805"),
            enc("SITINURHAYATI", "19800805"),
            enc("DEDIKURNIAWAN", "19900101"),
        ];
        // Blocks: the birth date (a stand-in for keyed tokens); record 2 of a has none.
        let ka = vec![vec![1980], vec![1964], vec![]];
        let kb = vec![vec![1964], vec![1980], vec![1980], vec![1990]];
        let (links, stats) = link_two(&a, &b, &ka, &kb, [0; 32], &LinkParams::default());
        // SITI matches her exact twin in b (not the variant: one to one, best first);
        // DEDI is in no shared block, so he is never compared.
        assert_eq!(links, [FuzzyLink { a: 0, b: 2 }, FuzzyLink { a: 1, b: 0 }]);
        assert_eq!(stats.blocks.comparisons, 3);
        assert_eq!(stats.pairs_above_threshold, 3);
        assert_eq!(stats.links, 2);
    }

    #[test]
    fn pair_quality_counts() {
        let (p, r, f) = pair_quality(&[(0, 0), (1, 2)], &[(0, 0), (1, 1)]);
        assert_eq!((p, r, f), (0.5, 0.5, 0.5));
        assert_eq!(pair_quality(&[], &[]), (1.0, 1.0, 1.0));
    }
}
