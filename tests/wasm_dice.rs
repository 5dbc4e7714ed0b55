//! Fuzzy matching in WebAssembly (issue 5): the browser's Dice figure, and a check that
//! the wasm kernel agrees with the scalar definition. Prints pairs per second (a
//! benchmark, not a timed assertion); `cargo xtask test` runs it in headless Chromium
//! (debug build); the release figure, by hand:
//! `cargo test --release --target wasm32-unknown-unknown --test wasm_dice` with the
//! wasm-bindgen test runner.
#![cfg(target_arch = "wasm32")]

use padan::fuzzy::bloom::{Encoder, Filter};
use padan::fuzzy::config::FuzzyConfig;
use padan::fuzzy::dice::{dice, dice_many, popcounts};
use padan::keys::Secret;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_dedicated_worker);

fn filters(n: usize) -> Vec<Filter> {
    let fields: Vec<String> = ["nik", "name", "birth_date", "kecamatan"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let cfg = FuzzyConfig::recommended(&fields);
    let mut e = Encoder::new(&cfg.encoding_spec(), &Secret::from_bytes([3; 32]), &[4; 32]);
    let names = [
        "SITI",
        "NUR",
        "AHMAD",
        "DEDI",
        "HAYATI",
        "KURNIAWAN",
        "RATNA",
        "SARI",
    ];
    (0..n)
        .map(|i| {
            let name = format!("{}{}", names[i % 8], names[(i / 8) % 8]);
            let dob = format!("19{:02}{:02}{:02}", 40 + i % 60, 1 + i % 12, 1 + i % 28);
            e.encode(&[Some(&name), Some(&dob), Some("320901")])
        })
        .collect()
}

#[wasm_bindgen_test]
fn dice_in_wasm_agrees_and_reports_its_speed() {
    let f = filters(4096);
    let counts = popcounts(&f);
    // Agreement with the scalar definition, threshold 0: every pair comes back.
    let mut out = Vec::new();
    dice_many(&f[0], counts[0], &f, &counts, 0.0, &mut out);
    assert_eq!(out.len(), f.len());
    for &(j, d) in &out {
        assert_eq!(d, dice(&f[0], &f[j as usize]));
    }
    assert_eq!(out[0].1, 1.0);
    // Speed: every filter against all 4,096, several rounds.
    let start = js_sys::Date::now();
    let mut pairs = 0u64;
    let mut hits = 0usize;
    let mut round = 0;
    while js_sys::Date::now() - start < 1500.0 || round < 2 {
        for (i, q) in f.iter().enumerate() {
            out.clear();
            dice_many(q, counts[i], &f, &counts, 0.9, &mut out);
            hits += out.len();
            pairs += f.len() as u64;
        }
        round += 1;
    }
    let secs = (js_sys::Date::now() - start) / 1000.0;
    assert!(hits >= f.len() * round);
    console_log!(
        "wasm Dice one-against-many: {:.1} million pairs/s ({} pairs in {:.2} s, kernel {}, {} build)",
        pairs as f64 / secs / 1e6,
        pairs,
        secs,
        padan::fuzzy::dice::kernel_name(),
        if cfg!(debug_assertions) { "debug" } else { "release" }
    );
}
