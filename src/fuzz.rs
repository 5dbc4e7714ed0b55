//! Entry points of the fuzz targets (`fuzz/`, cargo-fuzz) and of their corpus replay in
//! `tests/fuzz_corpus.rs`: each takes arbitrary bytes, must never panic, hang or grow
//! memory without bound, and checks a round-trip property where there is one.
//! Pure like the rest of the core.

use crate::date::Date;
use crate::keys::Secret;
use crate::pipeline::{self, Context, InputOptions};
use crate::workflow::Workflow;

fn example() -> Workflow {
    Workflow::parse(
        include_bytes!("../docs/example-workflow.json"),
        "example-workflow.json",
    )
    .expect("the example workflow is valid")
}

fn today() -> Date {
    Date::new(2026, 1, 15).expect("a date")
}

/// Runs a list (CSV bytes) through inspect, check and tokenize; a token file that
/// tokenize wrote must read back.
fn list(data: &[u8], name: &str, opts: &InputOptions) {
    let wf = example();
    let ctx = Context {
        workflow: &wf,
        workflow_file: "example-workflow.json",
        today: today(),
    };
    let _ = pipeline::inspect(data, name, opts);
    let _ = pipeline::check(&ctx, "dtks", data, name, opts, &mut |_| {});
    let secret = Secret::from_bytes([7; 32]);
    let mut out = Vec::new();
    if let Ok(s) = pipeline::tokenize(
        &ctx,
        &secret,
        "dtks",
        data,
        name,
        opts,
        &mut out,
        &mut |_| {},
    ) {
        let t = crate::tokens::read_token_file(&out, "out.tokens")
            .expect("a token file written by tokenize reads back");
        assert_eq!(t.records.len() as u64, s.rows_tokenized);
        assert_eq!(s.rows_in, s.rows_tokenized + s.rows_rejected);
    }
}

/// The CSV reader and everything behind it (normalization of every field).
pub fn csv_reader(data: &[u8]) {
    list(data, "f.csv", &InputOptions::default());
}

/// The workbook reader; its CSV form then goes through the list path.
pub fn workbook(data: &[u8]) {
    let opts = InputOptions::default();
    let _ = crate::workbook::sheet_names(data, "f.xlsx");
    if let Ok(t) = crate::workbook::read_sheet(data, "f.xlsx", &opts) {
        list(&t.csv, "f.xlsx", &t.csv_options(&opts));
    }
}

/// The workflow parser: a parsed workflow serializes and parses again to the same digest.
pub fn workflow(data: &[u8]) {
    if let Ok(wf) = Workflow::parse(data, "w.json") {
        let again = serde_json::to_vec(&wf).expect("serializable");
        let wf2 = Workflow::parse(&again, "w.json").expect("a written workflow parses again");
        assert_eq!(wf.digest(), wf2.digest());
    }
}

/// The token-file and result-file readers, and compare over a token file.
pub fn token_result(data: &[u8]) {
    let _ = crate::tokens::read_token_file(data, "f.tokens");
    let _ = crate::result::read_result(data, "f.result.csv");
    let wf = example();
    let ctx = Context {
        workflow: &wf,
        workflow_file: "example-workflow.json",
        today: today(),
    };
    let inputs: Vec<(String, Box<dyn std::io::Read + '_>)> =
        vec![("f.tokens".into(), Box::new(data))];
    let _ = pipeline::compare(&ctx, inputs, &mut |_| {});
}
