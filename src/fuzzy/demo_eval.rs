//! Fuzzy matching on the `padan demo` scenario: precision and recall with and without it,
//! overall and for rows whose NIK is unusable (tests and benchmarks only: like
//! `quality.rs`, it needs the key and the truth file).
//!
//! The real pipeline runs: every list is tokenized with a workflow that enables fuzzy
//! matching, and `compare` makes the exact clusters and the verification links ("perlu
//! verifikasi": similar names, probable NIK typos). Without fuzzy: the exact clusters.
//! With fuzzy: the clusters joined by every verification link, each counted as accepted
//! after verification (the best case), so the numbers say what verification would have
//! to confirm.

use std::collections::HashMap;

use serde::Serialize;

use super::bloom::{EncodingSpec, FieldSpec, Hardening, Tokens};
use crate::error::{Error, Result};
use crate::keys::{Secret, Token};
use crate::pipeline::{Context, InputOptions};
use crate::record::{NikColumnStats, Normalizer};
use crate::result::Verify;
use crate::tokens::open_list;

/// One list of the scenario.
pub struct DemoList<'a> {
    pub party: &'a str,
    pub file: &'a str,
    pub bytes: &'a [u8],
}

/// Pairwise quality over records.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct PairQuality {
    pub true_pairs: u64,
    pub predicted_pairs: u64,
    pub correct_pairs: u64,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
}

impl PairQuality {
    fn new(true_pairs: u64, predicted_pairs: u64, correct_pairs: u64) -> PairQuality {
        let ratio = |a: u64, b: u64| if b == 0 { 1.0 } else { a as f64 / b as f64 };
        let (p, r) = (
            ratio(correct_pairs, predicted_pairs),
            ratio(correct_pairs, true_pairs),
        );
        PairQuality {
            true_pairs,
            predicted_pairs,
            correct_pairs,
            precision: p,
            recall: r,
            f1: if p + r == 0.0 {
                0.0
            } else {
                2.0 * p * r / (p + r)
            },
        }
    }
}

/// The demo's numbers with and without fuzzy matching.
#[derive(Clone, Debug, Default, Serialize)]
pub struct DemoFuzzyReport {
    pub rows: u64,
    /// Rows without a usable NIK (empty, malformed, placeholder, damaged, ...).
    pub rows_nik_unusable: u64,
    pub exact: PairQuality,
    /// Pairs with at least one record whose NIK is unusable.
    pub exact_nik_unusable: PairQuality,
    pub fuzzy: PairQuality,
    pub fuzzy_nik_unusable: PairQuality,
    /// Fuzzy links and probable typos added (to verify).
    pub fuzzy_links: u64,
    pub typo_links: u64,
    /// Of those, links between records of different people (from the truth).
    pub fuzzy_links_wrong: u64,
    pub typo_links_wrong: u64,
    /// Dice comparisons made.
    pub comparisons: u64,
}

/// The encoding of a person record used here (and proposed for workflows): the name's
/// matching form as bigrams, the birth date's digits, sex, kecamatan, desa.
pub fn person_spec(hardening: Hardening) -> EncodingSpec {
    EncodingSpec {
        name: "person".into(),
        fields: vec![
            FieldSpec::new("name", Tokens::Grams(2), 10),
            FieldSpec::new("birth_date", Tokens::Positional, 5),
            FieldSpec::new("sex", Tokens::Whole, 2),
            FieldSpec::new("kecamatan", Tokens::Whole, 2),
            FieldSpec::new("desa", Tokens::Grams(2), 2),
        ],
        hardening,
    }
}

struct Rec {
    /// Exact cluster (global id), or a fresh id for a row without tokens.
    cluster: u32,
    person: u32,
    nik_ok: bool,
}

fn find(parent: &mut [u32], mut x: u32) -> u32 {
    while parent[x as usize] != x {
        let p = parent[parent[x as usize] as usize];
        parent[x as usize] = p;
        x = p;
    }
    x
}

fn union(parent: &mut [u32], a: u32, b: u32) {
    let (a, b) = (find(parent, a), find(parent, b));
    if a != b {
        parent[a.max(b) as usize] = a.min(b);
    }
}

/// Pairs of records in one group of size `n` of which `u` have an unusable NIK: all, and
/// those involving at least one unusable.
fn pairs(n: u64, u: u64) -> (u64, u64) {
    let c = |k: u64| k * k.saturating_sub(1) / 2;
    (c(n), c(n) - c(n - u))
}

fn quality(recs: &[Rec], cluster: &[u32]) -> (PairQuality, PairQuality) {
    let mut by_person: HashMap<u32, (u64, u64)> = HashMap::new();
    let mut by_cluster: HashMap<u32, (u64, u64)> = HashMap::new();
    let mut by_cell: HashMap<(u32, u32), (u64, u64)> = HashMap::new();
    for (r, &c) in recs.iter().zip(cluster) {
        let u = u64::from(!r.nik_ok);
        for (m, k) in [(&mut by_person, r.person), (&mut by_cluster, c)] {
            let e = m.entry(k).or_default();
            e.0 += 1;
            e.1 += u;
        }
        let e = by_cell.entry((c, r.person)).or_default();
        e.0 += 1;
        e.1 += u;
    }
    let sum = |m: &mut dyn Iterator<Item = (u64, u64)>| {
        m.fold((0, 0), |acc, (n, u)| {
            let (a, b) = pairs(n, u);
            (acc.0 + a, acc.1 + b)
        })
    };
    let t = sum(&mut by_person.values().copied());
    let p = sum(&mut by_cluster.values().copied());
    let c = sum(&mut by_cell.values().copied());
    (
        PairQuality::new(t.0, p.0, c.0),
        PairQuality::new(t.1, p.1, c.1),
    )
}

/// Runs the whole pipeline (`tokenize` every list, `compare`) with the workflow of `ctx`,
/// which must enable fuzzy matching, and scores the exact clusters, and the clusters joined
/// by every verification link, against `truth.csv` (`party,row,person`).
pub fn evaluate(
    ctx: &Context,
    secret: &Secret,
    lists: &[DemoList],
    truth_csv: &[u8],
) -> Result<DemoFuzzyReport> {
    if ctx.workflow.fuzzy.is_none() {
        return Err(Error::Refused {
            what: "alur kerja ini tidak memakai pencocokan mirip.".into(),
        });
    }
    let opts = InputOptions::default();
    let digest = ctx.workflow.digest();

    let mut token_files = Vec::new();
    for l in lists {
        let mut buf = Vec::new();
        crate::pipeline::tokenize(
            ctx,
            secret,
            l.party,
            l.bytes,
            l.file,
            &opts,
            &mut buf,
            &mut |_| {},
        )?;
        token_files.push((format!("{}.tokens", l.party), buf));
    }
    let inputs = token_files
        .iter()
        .map(|(n, b)| (n.clone(), Box::new(&b[..]) as Box<dyn std::io::Read>))
        .collect();
    let out = crate::pipeline::compare(ctx, inputs, &mut |_| {})?;
    drop(token_files);
    let c = &out.clusters;
    let index: HashMap<(&str, Token), u32> = c
        .iter()
        .enumerate()
        .map(|(x, (p, r, _))| ((p, *r), x as u32))
        .collect();

    // Truth: (party, row) -> person.
    let mut person_ids: HashMap<String, u32> = HashMap::new();
    let mut truth: HashMap<(String, u64), u32> = HashMap::new();
    let mut rdr = csv::ReaderBuilder::new().from_reader(truth_csv);
    for (i, rec) in rdr.records().enumerate() {
        let line = Some(i as u64 + 2);
        let rec = rec.map_err(|e| Error::invalid("truth.csv", line, None, e.to_string()))?;
        let row: u64 = rec[1]
            .parse()
            .map_err(|_| Error::invalid("truth.csv", line, Some("row"), "bukan angka"))?;
        let next = person_ids.len() as u32;
        let pid = *person_ids.entry(rec[2].to_string()).or_insert(next);
        truth.insert((rec[0].to_string(), row), pid);
    }

    // Every row of every list: its exact cluster (a fresh one when it made no token), its
    // person, whether its NIK is usable (the same rule, column damage included, as the
    // tokenizer's).
    let mut recs: Vec<Rec> = Vec::new();
    // Record index in the comparison -> row index in `recs`.
    let mut row_of = vec![u32::MAX; c.len()];
    let mut fresh = c.len() as u32;
    for l in lists {
        let ref_key = secret.ref_key(&digest, l.party);
        let (mut reader, mut normalizer): (_, Normalizer) =
            open_list(l.bytes, l.file, &opts, ctx.today.year)?;
        let mut rows = Vec::new();
        let mut stats = NikColumnStats::default();
        while let Some(row) = reader.next_row()? {
            let n = normalizer.normalize(row.fields);
            stats.add(&n);
            let ends_in_zero = n.nik.as_ref().is_some_and(|x| x.nik.ends_with('0'));
            rows.push((
                row.row,
                ref_key.reference(row.offset, row.raw.iter()),
                n.nik.is_some(),
                ends_in_zero,
            ));
        }
        let damaged =
            normalizer.mapping.get(crate::columns::Field::Nik).is_some() && stats.damaged();
        for (row, reference, nik, zero) in rows {
            let person = *truth
                .get(&(l.party.to_string(), row))
                .ok_or_else(|| Error::invalid("truth.csv", None, None, "baris tidak ada"))?;
            let cluster = match index.get(&(l.party, reference)) {
                Some(&x) => {
                    row_of[x as usize] = recs.len() as u32;
                    c.cluster[x as usize]
                }
                None => {
                    fresh += 1;
                    fresh - 1
                }
            };
            recs.push(Rec {
                cluster,
                person,
                nik_ok: nik && !(damaged && zero),
            });
        }
    }
    let exact_clusters: Vec<u32> = recs.iter().map(|r| r.cluster).collect();
    let (q_exact, q_exact_u) = quality(&recs, &exact_clusters);

    // Every verification link counted as accepted after verification.
    let mut parent: Vec<u32> = (0..fresh).collect();
    let mut report = DemoFuzzyReport::default();
    for &(a, b, why) in &c.verify {
        let (ra, rb) = (
            &recs[row_of[a as usize] as usize],
            &recs[row_of[b as usize] as usize],
        );
        union(&mut parent, ra.cluster, rb.cluster);
        let wrong = u64::from(ra.person != rb.person);
        match why {
            Verify::SimilarName => {
                report.fuzzy_links += 1;
                report.fuzzy_links_wrong += wrong;
            }
            Verify::NikTypo => {
                report.typo_links += 1;
                report.typo_links_wrong += wrong;
            }
        }
    }
    let fuzzy_clusters: Vec<u32> = recs.iter().map(|r| find(&mut parent, r.cluster)).collect();
    let (q_fuzzy, q_fuzzy_u) = quality(&recs, &fuzzy_clusters);
    report.rows = recs.len() as u64;
    report.rows_nik_unusable = recs.iter().filter(|r| !r.nik_ok).count() as u64;
    report.exact = q_exact;
    report.exact_nik_unusable = q_exact_u;
    report.fuzzy = q_fuzzy;
    report.fuzzy_nik_unusable = q_fuzzy_u;
    report.comparisons = out.fuzzy_comparisons;
    Ok(report)
}
