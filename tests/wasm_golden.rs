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
    /// The record's fuzzy part in hex (`tokens-fuzzy.json` only).
    #[serde(default)]
    fuzzy: Option<String>,
}

fn golden() -> Golden {
    serde_json::from_str(include_str!("golden/tokens.json"))
        .expect("tests/golden/tokens.json is valid")
}

/// The same input under a workflow with fuzzy matching (`padan-tokens/2`).
fn golden_fuzzy() -> Golden {
    serde_json::from_str(include_str!("golden/tokens-fuzzy.json"))
        .expect("tests/golden/tokens-fuzzy.json is valid")
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

/// The approval and trust store the binding requires: the golden workflow signed by a
/// test officer key that the (test) browser trusts.
fn approval_fields(g: &Golden) -> (String, String) {
    use padan::approval::{Approval, OfficerKey, TrustStore};
    let wf = Workflow::parse(g.workflow.as_bytes(), "workflow.json").expect("golden workflow");
    let key = OfficerKey::from_seed("Pejabat uji", [42; 32]).expect("key");
    let mut a = Approval::new(&wf);
    a.sign(&key, &wf, date(&g.today), "a.json").expect("sign");
    let mut t = TrustStore::default();
    t.trust("Pejabat uji", &key.public_key(), date(&g.today));
    (
        String::from_utf8(a.to_bytes()).unwrap(),
        String::from_utf8(t.to_bytes()).unwrap(),
    )
}

#[wasm_bindgen_test]
fn the_binding_refuses_a_workflow_without_a_trusted_approval() {
    use js_sys::{Function, Uint8Array};
    let g = golden();
    let parts = js_sys::Array::new();
    parts.push(&Uint8Array::from(g.input.as_bytes()));
    let blob = web_sys::Blob::new_with_u8_array_sequence(&parts).expect("Blob");
    let (approval, trust) = approval_fields(&g);
    let progress = Function::new_no_args("");
    let run = |approval: &str, trust: &str| {
        let req = serde_json::json!({
            "file_name": g.input_name, "party": g.party, "today": g.today, "options": {},
            "approval": approval, "trust": trust
        })
        .to_string();
        padan::wasm::check(&req, &blob, g.workflow.as_bytes(), &progress).is_ok()
    };
    assert!(!run("", ""), "no approval");
    assert!(
        !run(&approval, ""),
        "approval by a key the browser does not trust"
    );
    let changed = approval.replacen("\"signed_on\": \"", "\"signed_on\": \"1", 1);
    assert!(!run(&changed, &trust), "altered approval");
    assert!(run(&approval, &trust), "approved and trusted");
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
    check_token_bytes(g, &out);
}

/// Checks a token file against the golden records.
fn check_token_bytes(g: &Golden, out: &[u8]) {
    let tf = read_token_file(out, "golden.tokens").expect("token file");
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
        let got_fuzzy = (!got.fuzzy.is_empty()).then(|| hex::encode(&got.fuzzy));
        assert_eq!(got_fuzzy, want.fuzzy, "record {i}: fuzzy part");
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

#[wasm_bindgen_test]
fn golden_tokens_through_the_worker_binding() {
    // Exactly what www/worker.js calls: a JSON request, a Blob, the workflow and key bytes,
    // a progress callback; the token file comes back as a Uint8Array built outside wasm.
    use js_sys::{Function, Reflect, Uint8Array};
    let g = golden();
    let parts = js_sys::Array::new();
    parts.push(&Uint8Array::from(g.input.as_bytes()));
    let blob = web_sys::Blob::new_with_u8_array_sequence(&parts).expect("Blob");
    let (approval, trust) = approval_fields(&g);
    let req = serde_json::json!({
        "file_name": g.input_name, "party": g.party, "today": g.today,
        "workflow_name": "workflow.json", "key_name": "golden.key", "options": {},
        "approval": approval, "trust": trust
    })
    .to_string();
    let progress = Function::new_no_args("");
    let out = padan::wasm::tokenize(
        &req,
        &blob,
        g.workflow.as_bytes(),
        g.key.as_bytes().to_vec(),
        &progress,
    )
    .unwrap_or_else(|_| panic!("tokenize through the binding failed"));
    let bytes: Uint8Array = Reflect::get(&out, &"token_file".into())
        .expect("token_file")
        .into();
    let name = Reflect::get(&out, &"file_name".into())
        .expect("file_name")
        .as_string();
    assert!(
        name.is_some_and(|n| n.ends_with(".tokens")),
        "token file name"
    );
    check_token_bytes(&g, &bytes.to_vec());
}

#[wasm_bindgen_test]
fn golden_tokens_in_two_parts_through_the_worker_binding() {
    two_parts(&golden());
}

#[wasm_bindgen_test]
fn golden_fuzzy_tokens_in_two_parts_through_the_worker_binding() {
    // Bloom filters, block and typo tokens: the browser makes the same bytes as the CLI.
    two_parts(&golden_fuzzy());
}

fn two_parts(g: &Golden) {
    // What www/worker.js does for a big list with helper workers: parts cut at byte
    // offsets, tokenized separately, then merged. The tokens must not depend on the cut.
    use js_sys::{Array, Function, Reflect, Uint8Array};
    use sha2::Digest;
    let parts_src = Array::new();
    parts_src.push(&Uint8Array::from(g.input.as_bytes()));
    let blob = web_sys::Blob::new_with_u8_array_sequence(&parts_src).expect("Blob");
    let (approval, trust) = approval_fields(g);
    let req = serde_json::json!({
        "file_name": g.input_name, "party": g.party, "today": g.today, "options": {},
        "approval": approval, "trust": trust
    })
    .to_string();
    let progress = Function::new_no_args("");
    let key = || g.key.as_bytes().to_vec();
    let wf = g.workflow.as_bytes();
    for cut in [g.input.len() / 3, g.input.len() / 2, g.input.len() - 2] {
        // The parts pass on the chunks they read (for the list's digest): together they
        // make the whole input, every byte where it belongs.
        let mut whole = vec![None::<u8>; g.input.len()];
        let chunks = std::rc::Rc::new(std::cell::RefCell::new(Vec::<(f64, Vec<u8>)>::new()));
        let into = chunks.clone();
        let pass = wasm_bindgen::closure::Closure::<dyn FnMut(js_sys::ArrayBuffer, f64)>::new(
            move |b: js_sys::ArrayBuffer, at| {
                into.borrow_mut().push((at, Uint8Array::new(&b).to_vec()))
            },
        );
        let pass = || Some(pass.as_ref().clone().into());
        let cut = cut as f64;
        let p1 =
            padan::wasm::tokenize_part(&req, &blob, wf, key(), 0.0, Some(cut), &progress, pass())
                .unwrap_or_else(|_| panic!("part 1"));
        let p2 = padan::wasm::tokenize_part(&req, &blob, wf, key(), cut, None, &progress, pass())
            .unwrap_or_else(|_| panic!("part 2"));
        for (at, bytes) in chunks.borrow().iter() {
            for (i, &b) in bytes.iter().enumerate() {
                whole[*at as usize + i] = Some(b);
            }
        }
        let whole: Option<Vec<u8>> = whole.into_iter().collect();
        assert_eq!(whole.as_deref(), Some(g.input.as_bytes()), "cut at {cut}");
        // Sealed here, and unsealed: the worker then writes the checksum (WebCrypto there,
        // sha2 here) into the 32 bytes left for it.
        for unsealed in [false, true] {
            let out = padan::wasm::tokenize_finish(
                &req,
                &blob,
                wf,
                key(),
                Array::of2(&p1, &p2),
                None,
                unsealed,
            )
            .unwrap_or_else(|_| panic!("finish"));
            assert!(!out.is_null(), "parts cut at {cut} do not meet");
            let bytes: Uint8Array = Reflect::get(&out, &"token_file".into())
                .expect("token_file")
                .into();
            let mut bytes = bytes.to_vec();
            if unsealed {
                let n = bytes.len() - 32;
                assert_eq!(bytes[n..], [0u8; 32]);
                let sum: [u8; 32] = sha2::Sha256::digest(&bytes[..n]).into();
                bytes[n..].copy_from_slice(&sum);
            }
            check_token_bytes(g, &bytes);
        }
    }
}

#[wasm_bindgen_test]
fn step_receipt_names_the_approval_and_the_files() {
    let g = golden();
    let (approval, trust) = approval_fields(&g);
    let req = serde_json::json!({
        "party": g.party, "today": g.today, "options": {},
        "approval": approval, "trust": trust
    })
    .to_string();
    let args = serde_json::json!({
        "step": "check",
        "inputs": [{"name": "list.csv", "sha256": "ab".repeat(32), "bytes": 10, "party": g.party}],
        "outputs": [],
        "started": "2026-01-01T00:00:00Z",
        "finished": "2026-01-01T00:00:01Z",
        "counts": {"rows_read": 3, "kcv": "ABCDEF012345"}
    })
    .to_string();
    let r = padan::wasm::step_receipt(&req, g.workflow.as_bytes(), &args)
        .unwrap_or_else(|_| panic!("step_receipt"));
    let v: serde_json::Value = serde_json::from_str(&r.as_string().unwrap()).unwrap();
    assert_eq!(v["step"], "check");
    assert_eq!(v["kcv"], "ABCDEF012345");
    assert_eq!(v["inputs"][0]["name"], "list.csv");
    assert_eq!(v["approval"]["officers"].as_array().unwrap().len(), 1);
}
