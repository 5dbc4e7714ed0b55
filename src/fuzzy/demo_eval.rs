//! Fuzzy matching on the `padan demo` scenario: precision and recall with and without it,
//! overall and for rows whose NIK is unusable (tests and benchmarks only: like
//! `quality.rs`, it needs the key and the truth file).
//!
//! Without fuzzy: the exact pipeline (`tokenize` every list, `compare`). With fuzzy: the
//! same clusters, plus
//! - for each pair of lists, fuzzy links between records whose clusters are not yet linked
//!   to the other list, where at least one of the two has no usable NIK (two different
//!   valid NIKs are never fuzzy-linked), assigned one to one;
//! - probable NIK typos (same name and birth date, NIKs apart within three adjacent digits).
//!
//! Every such link is counted as accepted after verification (the best case of "perlu
//! verifikasi"), so the numbers say what verification would have to confirm.
//!
//! Office side, as it would run in `tokenize`: the rows are read with the same
//! [`crate::record::Normalizer`] (and the same NIK column-damage rule) as the tokenizer,
//! each row with a name is encoded ([`person_spec`]), and keyed block tokens of the birth
//! date and of kecamatan + birth year are computed.

use std::collections::HashMap;

use serde::Serialize;

use super::block::{compare_blocked, BlockParams, Lsh};
use super::bloom::{Encoder, EncodingSpec, FieldSpec, Filter, Hardening, Tokens};
use super::typo::{find_typos, TypoKey, TypoTokens};
use crate::error::{Error, Result};
use crate::keys::{FuzzyKey, FuzzyPurpose, Secret, Token};
use crate::pipeline::{Context, InputOptions};
use crate::record::{NikColumnStats, Normalizer};
use crate::tokens::open_list;

/// One list of the scenario.
pub struct DemoList<'a> {
    pub party: &'a str,
    pub file: &'a str,
    pub bytes: &'a [u8],
}

/// Parameters of the fuzzy stage.
#[derive(Clone, Copy, Debug)]
pub struct DemoFuzzyParams {
    pub threshold: f32,
    pub hardening: Hardening,
    /// Min-hash LSH bands (0: keyed blocks only) and rows per band.
    pub lsh_bands: usize,
    pub lsh_rows: usize,
    pub max_block_pairs: u64,
}

impl Default for DemoFuzzyParams {
    fn default() -> Self {
        // 0.9: at 1.9 million people, 0.8 drops the precision of rows without a usable
        // NIK to 0.9875 (docs/fuzzy.md).
        DemoFuzzyParams {
            threshold: 0.9,
            hardening: Hardening::Diffusion { t: 3 },
            lsh_bands: 0,
            lsh_rows: 3,
            max_block_pairs: 1 << 22,
        }
    }
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

fn block_token(key: &FuzzyKey, parts: &[&[u8]]) -> u64 {
    u64::from_le_bytes(key.mac(parts)[..8].try_into().expect("8 bytes"))
}

struct Rec {
    list: usize,
    /// Exact cluster (global id), or a fresh id for a row without tokens.
    cluster: u32,
    person: u32,
    nik_ok: bool,
    tokenized: bool,
    filter: Option<Filter>,
    blocks: Vec<u64>,
    typo: Option<TypoTokens>,
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

/// Runs the exact pipeline and the fuzzy stage over the scenario's lists and scores both
/// against `truth.csv` (`party,row,person`).
pub fn evaluate(
    ctx: &Context,
    secret: &Secret,
    lists: &[DemoList],
    truth_csv: &[u8],
    params: &DemoFuzzyParams,
) -> Result<DemoFuzzyReport> {
    let opts = InputOptions::default();
    let digest = ctx.workflow.digest();

    // The exact pipeline.
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
    let exact: HashMap<(&str, Token), u32> =
        out.clusters.iter().map(|(p, r, c)| ((p, *r), c)).collect();

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

    // The office side of the fuzzy stage.
    let spec = person_spec(params.hardening);
    let typo_key = TypoKey::new(secret, &digest);
    let dob_key = secret.fuzzy_key(&digest, FuzzyPurpose::Block, "birth_date");
    let kec_key = secret.fuzzy_key(&digest, FuzzyPurpose::Block, "kecamatan+birth_year");
    let mut recs: Vec<Rec> = Vec::new();
    let mut fresh = out.clusters.len() as u32;
    for (li, l) in lists.iter().enumerate() {
        let ref_key = secret.ref_key(&digest, l.party);
        let (mut reader, mut normalizer): (_, Normalizer) =
            open_list(l.bytes, l.file, &opts, ctx.today.year)?;
        let mut rows = Vec::new();
        let mut stats = NikColumnStats::default();
        while let Some(row) = reader.next_row()? {
            let n = normalizer.normalize(row.fields);
            stats.add(&n);
            rows.push((row.row, ref_key.reference(row.offset, row.raw.iter()), n));
        }
        let damaged =
            normalizer.mapping.get(crate::columns::Field::Nik).is_some() && stats.damaged();
        let mut encoder = Encoder::new(&spec, secret, &digest);
        for (row, reference, mut n) in rows {
            if damaged {
                Normalizer::apply_column_damage(&mut n);
            }
            let person = *truth
                .get(&(l.party.to_string(), row))
                .ok_or_else(|| Error::invalid("truth.csv", None, None, "baris tidak ada"))?;
            let (cluster, tokenized) = match exact.get(&(l.party, reference)) {
                Some(&c) => (c, true),
                None => {
                    fresh += 1;
                    (fresh - 1, false)
                }
            };
            let values: Vec<Option<String>> = spec
                .fields
                .iter()
                .map(|f| super::field_value(&n, &f.name))
                .collect();
            let filter = n.name.as_ref().map(|_| {
                let v: Vec<Option<&str>> = values.iter().map(|v| v.as_deref()).collect();
                encoder.encode(&v)
            });
            let mut blocks = Vec::new();
            if let Some(d) = n.birth_date {
                let iso = d.iso();
                blocks.push(block_token(&dob_key, &[iso.as_bytes()]));
                if let Some(k) = &n.kecamatan {
                    blocks.push(block_token(
                        &kec_key,
                        &[k.as_bytes(), &d.year.to_be_bytes()],
                    ));
                }
            }
            let typo = match (&n.nik, &n.name, n.birth_date) {
                (Some(nik), Some(name), Some(d)) => typo_key.tokens(
                    &nik.nik,
                    &name.key,
                    &d.iso(),
                    n.kecamatan.as_deref().unwrap_or(""),
                ),
                _ => None,
            };
            recs.push(Rec {
                list: li,
                cluster,
                person,
                nik_ok: n.nik.is_some(),
                tokenized,
                filter,
                blocks,
                typo,
            });
        }
    }

    let exact_clusters: Vec<u32> = recs.iter().map(|r| r.cluster).collect();
    let (q_exact, q_exact_u) = quality(&recs, &exact_clusters);

    // The coordinator side: clusters' lists, then fuzzy links per pair of lists.
    let mut parent: Vec<u32> = (0..fresh).collect();
    let mut lists_of: HashMap<u32, u32> = HashMap::new();
    for r in &recs {
        *lists_of.entry(r.cluster).or_default() |= 1 << r.list;
    }
    let lsh =
        (params.lsh_bands > 0).then(|| Lsh::minhash(digest, params.lsh_bands, params.lsh_rows));
    let mut report = DemoFuzzyReport::default();
    for x in 0..lists.len() {
        for y in x + 1..lists.len() {
            let side = |l: usize, other: usize| -> Vec<usize> {
                (0..recs.len())
                    .filter(|&i| {
                        let r = &recs[i];
                        r.list == l
                            && r.tokenized
                            && r.filter.is_some()
                            && lists_of[&r.cluster] & (1 << other) == 0
                    })
                    .collect()
            };
            let (ia, ib) = (side(x, y), side(y, x));
            let fa: Vec<Filter> = ia
                .iter()
                .map(|&i| recs[i].filter.expect("filter"))
                .collect();
            let fb: Vec<Filter> = ib
                .iter()
                .map(|&i| recs[i].filter.expect("filter"))
                .collect();
            let ka: Vec<Vec<u64>> = ia.iter().map(|&i| recs[i].blocks.clone()).collect();
            let kb: Vec<Vec<u64>> = ib.iter().map(|&i| recs[i].blocks.clone()).collect();
            let (hits, stats) = compare_blocked(
                &fa,
                &fb,
                lsh.as_ref(),
                &ka,
                &kb,
                BlockParams {
                    threshold: params.threshold,
                    max_block_pairs: params.max_block_pairs,
                },
            );
            report.comparisons += stats.comparisons;
            let hits: Vec<(u32, u32, f32)> = hits
                .into_iter()
                .filter(|h| !(recs[ia[h.0 as usize]].nik_ok && recs[ib[h.1 as usize]].nik_ok))
                .collect();
            let hits = super::assign::unambiguous(
                hits,
                |a| recs[ia[a as usize]].cluster,
                |b| recs[ib[b as usize]].cluster,
            );
            for (a, b) in super::assign::greedy(hits) {
                let (ra, rb) = (&recs[ia[a as usize]], &recs[ib[b as usize]]);
                union(&mut parent, ra.cluster, rb.cluster);
                report.fuzzy_links += 1;
                report.fuzzy_links_wrong += u64::from(ra.person != rb.person);
            }
        }
    }
    // Probable typos, across all tokenized records.
    let with_typo: Vec<usize> = (0..recs.len())
        .filter(|&i| recs[i].tokenized && recs[i].typo.is_some())
        .collect();
    let tokens: Vec<TypoTokens> = with_typo
        .iter()
        .map(|&i| recs[i].typo.expect("typo"))
        .collect();
    for p in find_typos(&tokens) {
        let (ra, rb) = (
            &recs[with_typo[p.a as usize]],
            &recs[with_typo[p.b as usize]],
        );
        if find(&mut parent, ra.cluster) != find(&mut parent, rb.cluster) {
            union(&mut parent, ra.cluster, rb.cluster);
            report.typo_links += 1;
            report.typo_links_wrong += u64::from(ra.person != rb.person);
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
    Ok(report)
}
