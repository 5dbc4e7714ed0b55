//! Known-answer vectors for tokens, in a language-neutral JSON file
//! (`tests/golden/tokens.json`): (workflow, key, input rows) -> records. The WebAssembly
//! build runs the same file (`tests/wasm_golden.rs`) and must get the same tokens.
//!
//! Regenerate (only when the token scheme changes on purpose, with a format version bump):
//! `PADAN_REGENERATE_GOLDEN=1 cargo test --test golden`.

use std::collections::BTreeMap;

use padan::date::Date;
use padan::keys::Secret;
use padan::pipeline::{self, Context, InputOptions};
use padan::workflow::Workflow;
use serde_json::{json, Value};

const PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/tokens.json");
/// The same input under the workflow with the recommended fuzzy section: every record
/// also carries its fuzzy part (`padan-tokens/2`), in hex.
const PATH_FUZZY: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/golden/tokens-fuzzy.json"
);

fn input() -> &'static str {
    "NIK;NAMA;TGL_LAHIR;JK;KECAMATAN\n\
     3209014508800012;SITI AMINAH;05-08-1980;P;Waled\n\
     '3209.0145.0880.0012;Hj. Siti Aminah, S.Pd.I;5 AGUSTUS 1980;PEREMPUAN;KEC. WALED\n\
     3.20901E+15;H. MOCH. DJUANDA BIN KARTA;17/08/1945;L;Kapetakan\n\
     ;ABDUL RAHMAN;01-01-1960;L;Jamblang\n\
     ;ABDURRAHMAN;1960-01-01;1;40\n\
     1234567890123456;NUR HAYATI;12-03-1990;P;Sumber\n\
     3209154503900001;-;;P;Sumber\n\
     3209016401990001;FITRI ZAENAL;24-01-1999;P;Waled\n\
     ;-;;;Waled\n"
}

fn workflow_text(fuzzy: bool) -> String {
    let parties = [
        ("dtks", "Dinas Sosial (DTKS)"),
        ("dinkes", "Dinas Kesehatan"),
    ];
    let mut wf = padan::workflow::demo_workflow(&parties, "2025-01-01", "2030-12-31");
    if fuzzy {
        wf.fuzzy = Some(padan::fuzzy::config::FuzzyConfig::recommended(&wf.fields));
    }
    serde_json::to_string_pretty(&wf).unwrap()
}

fn compute(wf_text: &str, key_text: &str, party: &str, input: &str, today: Date) -> Value {
    let wf = Workflow::parse(wf_text.as_bytes(), "workflow.json").unwrap();
    let secret = Secret::parse_key_file(key_text.as_bytes(), "golden.key").unwrap();
    let ctx = Context {
        workflow: &wf,
        workflow_file: "workflow.json",
        today,
    };
    let mut out = Vec::new();
    pipeline::tokenize(
        &ctx,
        &secret,
        party,
        input.as_bytes(),
        "golden.csv",
        &InputOptions::default(),
        &mut out,
        &mut |_| {},
    )
    .unwrap();
    let tf = padan::tokens::read_token_file(&out, "golden.tokens").unwrap();
    let records: Vec<Value> = tf
        .records
        .iter()
        .map(|r| {
            let tokens: BTreeMap<String, Value> = wf
                .match_keys
                .iter()
                .zip(&r.tokens)
                .map(|(k, t)| {
                    (
                        k.name.clone(),
                        t.map(|t| Value::String(hex::encode(t)))
                            .unwrap_or(Value::Null),
                    )
                })
                .collect();
            if r.fuzzy.is_empty() {
                json!({"ref": hex::encode(r.reference), "tokens": tokens})
            } else {
                json!({"ref": hex::encode(r.reference), "tokens": tokens, "fuzzy": hex::encode(&r.fuzzy)})
            }
        })
        .collect();
    Value::Array(records)
}

fn today() -> Date {
    Date {
        year: 2026,
        month: 11,
        day: 27,
    }
}

/// Checks (or with `PADAN_REGENERATE_GOLDEN`, rewrites) one vector file.
fn check_file(path: &str, fuzzy: bool) -> Value {
    let today = today();
    if std::env::var_os("PADAN_REGENERATE_GOLDEN").is_some() {
        let wf = workflow_text(fuzzy);
        let key = Secret::from_bytes(core::array::from_fn(|i| i as u8)).to_key_file();
        let records = compute(&wf, &key, "dtks", input(), today);
        let doc = json!({
            "about": "padan token known-answer vectors: tokenize `input` as party `party` under `workflow` and `key` on `today`; the token file must hold exactly `records` (in this order). See docs/formats.md.",
            "workflow": wf, "key": key, "party": "dtks", "input_name": "golden.csv", "input": input(),
            "today": "2026-11-27", "records": records,
        });
        std::fs::write(path, serde_json::to_string_pretty(&doc).unwrap() + "\n").unwrap();
    }
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let got = compute(
        doc["workflow"].as_str().unwrap(),
        doc["key"].as_str().unwrap(),
        doc["party"].as_str().unwrap(),
        doc["input"].as_str().unwrap(),
        today,
    );
    assert_eq!(got, doc["records"]);
    doc
}

#[test]
fn golden_fuzzy_vectors() {
    let doc = check_file(PATH_FUZZY, true);
    let exact: Value = serde_json::from_str(&std::fs::read_to_string(PATH).unwrap()).unwrap();
    let recs = doc["records"].as_array().unwrap();
    // The same rows make records (other workflow digest, so other tokens); each carries a
    // fuzzy part of 1 + 128 + 16 + 70 bytes; rows with a name have a filter (bit 0): all
    // but the row whose name is "-".
    assert_eq!(recs.len(), exact["records"].as_array().unwrap().len());
    let mut filters = 0;
    for r in recs {
        let f = hex::decode(r["fuzzy"].as_str().unwrap()).unwrap();
        assert_eq!(f.len(), 215);
        filters += usize::from(f[0] & 1 == 1);
    }
    assert_eq!(filters, recs.len() - 1);
    // Rows 1 and 2 are one person written two ways: equal filters.
    let fuzzy: Vec<&str> = recs
        .iter()
        .map(|r| r["fuzzy"].as_str().unwrap())
        .filter(|f| u8::from_str_radix(&f[..2], 16).unwrap() & 1 == 1)
        .collect();
    let filters: std::collections::BTreeSet<&str> = fuzzy.iter().map(|f| &f[2..258]).collect();
    assert!(filters.len() < fuzzy.len());
}

#[test]
fn golden_token_vectors() {
    let doc = check_file(PATH, false);
    // The vectors exercise the interesting cases: rows 1 and 2 are one person written two
    // ways; rows 4 and 5 likewise without a NIK; a row without usable fields is rejected.
    let recs = doc["records"].as_array().unwrap();
    assert_eq!(recs.len(), 8, "9 rows in, 1 rejected");
    let nik_tokens: Vec<&Value> = recs
        .iter()
        .map(|r| &r["tokens"]["nik"])
        .filter(|v| !v.is_null())
        .collect();
    assert_eq!(nik_tokens.len(), 4);
    let name_dob: Vec<&str> = recs
        .iter()
        .filter_map(|r| r["tokens"]["name_dob"].as_str())
        .collect();
    let distinct: std::collections::BTreeSet<&str> = name_dob.iter().copied().collect();
    assert!(
        distinct.len() <= name_dob.len() - 2,
        "two pairs share a name_dob token"
    );
}
