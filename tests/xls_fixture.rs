//! A real BIFF8 `.xls` written by xlwt (`tests/fixtures/make_xls.py`): a notes sheet first,
//! then the list on sheet "DATA" under two title rows and a two-row header with merged
//! cells; NIKs as text, as exact numbers and as numbers that lost precision in Excel; birth
//! dates as Excel dates and as text. The CLI must pick the sheet and header, report the
//! damaged NIKs (never "repair" them) and give the same tokens as the same list in CSV.

#![cfg(not(target_arch = "wasm32"))]

mod common;
use common::{fails, ok, padan, tokenize_demo};

use std::collections::BTreeMap;
use std::path::Path;

const XLS: &str = "bantuan.xls";
const CSV: &str = "bantuan.csv";

fn setup() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    ok(&padan(
        &["demo", "--out", "d", "--people", "50", "--seed", "1"],
        p,
    ));
    common::trust_demo_officer(p);
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    for f in [XLS, CSV] {
        std::fs::copy(fixtures.join(f), p.join(f)).unwrap();
    }
    dir
}

fn check(p: &Path, input: &str, extra: &[&str]) -> (serde_json::Value, String) {
    let mut args = vec![
        "check",
        "--workflow",
        "d/workflow.json",
        "--party",
        "baznas",
        "--input",
        input,
        "--json",
    ];
    args.extend_from_slice(extra);
    let o = padan(&args, p);
    let out = ok(&o);
    (
        serde_json::from_str(&out).unwrap(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// The token file's records as (mask of present keys, tokens), sorted: references differ
/// between the two files (they hash the row's bytes and place), match tokens must not.
fn tokens_of(p: &Path, file: &str) -> (u64, Vec<Vec<Option<[u8; 16]>>>) {
    let t = padan::tokens::read_token_file(&std::fs::read(p.join(file)).unwrap(), file).unwrap();
    let mut v: Vec<Vec<Option<[u8; 16]>>> = t.records.iter().map(|r| r.tokens.clone()).collect();
    v.sort();
    (t.header.records, v)
}

#[test]
fn xls_fixture_is_real_biff8() {
    let bytes =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bantuan.xls"))
            .unwrap();
    assert_eq!(
        padan::workbook::detect(&bytes[..8]),
        Some(padan::workbook::Kind::Xls)
    );
    assert_eq!(
        padan::workbook::sheet_names(&bytes, XLS).unwrap(),
        vec!["Petunjuk".to_string(), "DATA".to_string()]
    );
}

#[test]
fn xls_sheet_header_damage_and_tokens_like_csv() {
    let dir = setup();
    let p = dir.path();

    // The sheet with the list and its two-row header are found without being told.
    let (x, said) = check(p, XLS, &[]);
    assert!(said.contains("lembar 'DATA'"), "{said}");
    assert!(said.contains("baris judul 4-5"), "{said}");
    assert!(
        said.contains("'Petunjuk'"),
        "the other sheet is named: {said}"
    );
    assert!(said.contains("2 NIK/No. KK"), "two damaged numbers: {said}");
    let (c, _) = check(p, CSV, &[]);
    assert_eq!(x["rows_read"], 6);
    assert_eq!(x["rows_read"], c["rows_read"]);

    // Both numeric NIKs that lost precision are spreadsheet damage (data rows 3 and 4, sheet
    // rows 8 and 9); the exact numeric NIK (data row 2) is not. The CSV export shows the
    // same damage in the same rows.
    let damage = &x["nik_problems"]["spreadsheet_damage"];
    assert_eq!(damage["count"], 2, "{x:#}");
    assert_eq!(damage["example_rows"], serde_json::json!([3, 4]), "{x:#}");
    assert_eq!(
        c["nik_problems"]["spreadsheet_damage"], *damage,
        "the CSV export: {c:#}"
    );

    // Sheet and header row given explicitly: the same; the notes sheet has no list to tokenize.
    let (y, _) = check(p, XLS, &["--sheet", "DATA", "--header-row", "4"]);
    assert_eq!(y["rows_read"], x["rows_read"]);
    let (y, _) = check(p, XLS, &["--sheet", "2"]);
    assert_eq!(y["rows_read"], x["rows_read"]);
    let err = fails(&padan(
        &[
            "tokenize",
            "--workflow",
            "d/workflow.json",
            "--key",
            "d/demo.key",
            "--party",
            "baznas",
            "--input",
            XLS,
            "--sheet",
            "Petunjuk",
            "--out",
            "p.tokens",
        ],
        p,
    ));
    assert!(err.contains(XLS) && err.contains("kolom wajib"), "{err}");
    assert!(!p.join("p.tokens").exists());

    // Tokens: the workbook and its CSV export give the same match tokens.
    for (input, out) in [(XLS, "x.tokens"), (CSV, "c.tokens")] {
        ok(&tokenize_demo(p, "baznas", input, out, &[]));
    }
    let (nx, tx) = tokens_of(p, "x.tokens");
    let (nc, tc) = tokens_of(p, "c.tokens");
    assert_eq!(
        nx, 6,
        "every row tokenized (the damaged NIKs by name and birth date)"
    );
    assert_eq!(nx, nc);
    assert_eq!(tx, tc, "the same match tokens from .xls and .csv");
    // Damaged NIKs give no NIK token: count records by which keys they have.
    let mut by_mask: BTreeMap<Vec<bool>, usize> = BTreeMap::new();
    for r in &tx {
        *by_mask
            .entry(r.iter().map(Option::is_some).collect())
            .or_default() += 1;
    }
    assert!(by_mask.len() >= 2, "{by_mask:?}");
}
