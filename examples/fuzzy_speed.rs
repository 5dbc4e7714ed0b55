//! Speed of the fuzzy matcher's parts (issue 5): Dice comparisons per second (one filter
//! against many, and candidate pairs from blocking), and encodings per second.
//!
//! ```sh
//! cargo run --release --example fuzzy_speed [-- N]    # N x N comparisons (default 10000)
//! ```
//!
//! One thread. Prints numbers; asserts nothing about time.

use std::time::Instant;

use padan::fuzzy::bloom::{Filter, BITS};
use padan::fuzzy::dice::{dice_many, dice_pairs, kernel_name, popcounts};
use padan::fuzzy::{Encoder, EncodingSpec, FieldSpec, Hardening, Tokens};
use padan::keys::Secret;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn random_filters(rng: &mut ChaCha8Rng, n: usize, density: f64) -> Vec<Filter> {
    (0..n)
        .map(|_| {
            let mut f = Filter::default();
            for p in 0..BITS {
                if rng.gen_bool(density) {
                    f.set(p);
                }
            }
            f
        })
        .collect()
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(10_000);
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let a = random_filters(&mut rng, n, 0.3);
    let b = random_filters(&mut rng, n, 0.3);
    let cb = popcounts(&b);
    println!("kernel: {}", kernel_name());

    // One against many, as the coordinator compares a record against a block.
    let mut out = Vec::new();
    let mut kept = 0usize;
    let t = Instant::now();
    for q in &a {
        out.clear();
        dice_many(q, q.count_ones(), &b, &cb, 0.6, &mut out);
        kept += out.len();
    }
    let s = t.elapsed().as_secs_f64();
    let pairs = (n * n) as f64;
    println!(
        "dice_many: {n} x {n} = {:.0}M comparisons in {s:.3} s: {:.1} million pairs/s ({kept} >= 0.6)",
        pairs / 1e6,
        pairs / s / 1e6
    );

    // Candidate pairs in random order (the blocked path; memory-bound).
    let ca = popcounts(&a);
    let m = 20_000_000usize;
    let cand: Vec<(u32, u32)> = (0..m)
        .map(|_| (rng.gen_range(0..n as u32), rng.gen_range(0..n as u32)))
        .collect();
    let mut hits = Vec::new();
    let t = Instant::now();
    dice_pairs((&a, &ca), (&b, &cb), &cand, 0.6, &mut hits);
    let s = t.elapsed().as_secs_f64();
    println!(
        "dice_pairs: {:.0}M random candidate pairs in {s:.3} s: {:.1} million pairs/s",
        m as f64 / 1e6,
        m as f64 / s / 1e6
    );

    // Encoding (office side): name bigrams, birth date, kecamatan; diffusion t = 3.
    let spec = EncodingSpec {
        name: "speed".into(),
        fields: vec![
            FieldSpec::new("name", Tokens::Grams(2), 10),
            FieldSpec::new("birth_date", Tokens::Positional, 5),
            FieldSpec::new("kecamatan", Tokens::Whole, 4),
        ],
        hardening: Hardening::Diffusion { t: 3 },
    };
    let mut enc = Encoder::new(&spec, &Secret::from_bytes([1; 32]), &[0; 32]);
    let first = [
        "SITI", "NUR", "AHMAD", "DEDI", "ASEP", "ENENG", "UJANG", "YATI", "RINI",
    ];
    let last = [
        "AMINAH",
        "HIDAYAT",
        "SUPRIATNA",
        "KURNIASIH",
        "FAUZI",
        "RAHMAN",
        "",
    ];
    let records = 200_000;
    let t = Instant::now();
    let mut bits = 0u64;
    for i in 0..records {
        let name = format!("{}{}", first[i % first.len()], last[(i / 9) % last.len()]);
        let date = format!("19{:02}{:02}{:02}", 40 + i % 60, 1 + i % 12, 1 + i % 28);
        let kec = format!("3209{:02}", 1 + i % 40);
        bits += u64::from(
            enc.encode(&[Some(&name), Some(&date), Some(&kec)])
                .count_ones(),
        );
    }
    let s = t.elapsed().as_secs_f64();
    println!(
        "encode: {records} records in {s:.3} s: {:.0} records/s (mean {:.0} bits set)",
        records as f64 / s,
        bits as f64 / records as f64
    );
}
