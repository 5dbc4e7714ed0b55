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

fn workflow_text() -> String {
    let parties = [
        ("dtks", "Dinas Sosial (DTKS)"),
        ("dinkes", "Dinas Kesehatan"),
    ];
    let wf = padan::workflow::demo_workflow(&parties, "2025-01-01", "2030-12-31");
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
            json!({"ref": hex::encode(r.reference), "tokens": tokens})
        })
        .collect();
    Value::Array(records)
}

#[test]
fn golden_token_vectors() {
    let today = Date {
        year: 2026,
        month: 11,
        day: 27,
    };
    if std::env::var_os("PADAN_REGENERATE_GOLDEN").is_some() {
        let wf = workflow_text();
        let key = Secret::from_bytes(core::array::from_fn(|i| i as u8)).to_key_file();
        let records = compute(&wf, &key, "dtks", input(), today);
        let doc = json!({
            "about": "padan token known-answer vectors: tokenize `input` as party `party` under `workflow` and `key` on `today`; the token file must hold exactly `records` (in this order). See docs/formats.md.",
            "workflow": wf, "key": key, "party": "dtks", "input_name": "golden.csv", "input": input(),
            "today": "2026-11-27", "records": records,
        });
        std::fs::write(PATH, serde_json::to_string_pretty(&doc).unwrap() + "\n").unwrap();
    }
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(PATH).unwrap()).unwrap();
    let got = compute(
        doc["workflow"].as_str().unwrap(),
        doc["key"].as_str().unwrap(),
        doc["party"].as_str().unwrap(),
        doc["input"].as_str().unwrap(),
        today,
    );
    assert_eq!(got, doc["records"]);
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
