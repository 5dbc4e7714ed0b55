//! Golden token vectors, computed by the core compiled to WebAssembly inside a dedicated
//! worker in headless Chromium (`cargo xtask test`). The same `tests/golden/tokens.json`
//! is checked natively, so a browser and the CLI can never disagree on a token.
#![cfg(target_arch = "wasm32")]

use std::collections::BTreeMap;

use padan::date::Date;
use padan::keys::Secret;
use padan::pipeline::{self, Context, InputOptions};
use padan::tokens::read_token_file;
use padan::workflow::Workflow;
use serde::Deserialize;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_dedicated_worker);

#[derive(Deserialize)]
struct Golden {
    workflow: String,
    key: String,
    party: String,
    input_name: String,
    input: String,
    today: String,
    records: Vec<GoldenRecord>,
}

#[derive(Deserialize)]
struct GoldenRecord {
    #[serde(rename = "ref")]
    reference: String,
    tokens: BTreeMap<String, Option<String>>,
}

fn golden() -> Golden {
    serde_json::from_str(include_str!("golden/tokens.json"))
        .expect("tests/golden/tokens.json is valid")
}

fn date(iso: &str) -> Date {
    let p: Vec<u16> = iso
        .split('-')
        .map(|x| x.parse().expect("YYYY-MM-DD"))
        .collect();
    Date {
        year: p[0],
        month: p[1] as u8,
        day: p[2] as u8,
    }
}

/// Tokenizes the golden input read through `input` and checks every record.
fn check_tokens(g: &Golden, input: impl std::io::Read) {
    let wf = Workflow::parse(g.workflow.as_bytes(), "workflow.json").expect("golden workflow");
    let secret = Secret::parse_key_file(g.key.as_bytes(), "golden.key").expect("golden key");
    let ctx = Context {
        workflow: &wf,
        workflow_file: "workflow.json",
        today: date(&g.today),
    };
    let mut out = Vec::new();
    pipeline::tokenize(
        &ctx,
        &secret,
        &g.party,
        input,
        &g.input_name,
        &InputOptions::default(),
        &mut out,
        &mut |_| {},
    )
    .expect("tokenize");
    let tf = read_token_file(&out, "golden.tokens").expect("token file");
    assert_eq!(tf.records.len(), g.records.len(), "record count");
    for (i, (got, want)) in tf.records.iter().zip(&g.records).enumerate() {
        assert_eq!(
            hex::encode(got.reference),
            want.reference,
            "record {i}: ref"
        );
        assert_eq!(
            tf.header.match_keys.len(),
            want.tokens.len(),
            "record {i}: match keys"
        );
        for (k, name) in tf.header.match_keys.iter().enumerate() {
            let got_tok = got.tokens[k].map(hex::encode);
            let want_tok = want
                .tokens
                .get(name)
                .unwrap_or_else(|| panic!("golden record {i} lacks key {name}"));
            assert_eq!(&got_tok, want_tok, "record {i}: token {name}");
        }
    }
}

#[wasm_bindgen_test]
fn golden_tokens_from_memory() {
    let g = golden();
    check_tokens(&g, g.input.as_bytes());
}

#[wasm_bindgen_test]
fn golden_tokens_from_blob_in_small_chunks() {
    // The browser path: the same input as a Blob, streamed through the binding's reader.
    let g = golden();
    for chunk in [7, 4096, 1 << 20] {
        let parts = js_sys::Array::new();
        parts.push(&js_sys::Uint8Array::from(g.input.as_bytes()));
        let blob = web_sys::Blob::new_with_u8_array_sequence(&parts).expect("Blob");
        let reader = padan::wasm::BlobReader::with_chunk(blob, chunk).expect("FileReaderSync");
        check_tokens(&g, reader);
    }
}
