//! No output file holds a value a spreadsheet would run as a formula: a list full of
//! formula-like values (in the header and the cells, as CSV and as .xlsx) goes through
//! check, tokenize, compare and reattach, and every cell of every CSV output, every string
//! of every JSON output and every cell of the .xlsx output is checked.

#![cfg(not(target_arch = "wasm32"))]

mod common;
use common::{ok, padan, reattach_demo, tokenize_demo};

use std::io::Read;
use std::path::Path;

use padan::reattach::escape_formula;

const NASTY: [&str; 8] = [
    "=HYPERLINK(\"http://contoh.invalid\",\"klik\")",
    "@SUM(A1:A9)",
    "+A1",
    "-2+3+cmd|' /C calc'!A0",
    "=1+1",
    "\t=1+1",
    "\r=1+1",
    "-A1",
];

/// A spreadsheet would run it.
fn risky(v: &str) -> bool {
    matches!(escape_formula(v), std::borrow::Cow::Owned(_))
}

fn check_csv(path: &Path, delimiter: u8) -> usize {
    let bytes = std::fs::read(path).unwrap();
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(body);
    let mut cells = 0;
    for rec in rdr.records() {
        for v in rec.unwrap().iter() {
            cells += 1;
            assert!(!risky(v), "{}: formula-like cell {v:?}", path.display());
        }
    }
    cells
}

fn check_json(path: &Path) -> usize {
    fn walk(v: &serde_json::Value, n: &mut usize, p: &Path) {
        match v {
            serde_json::Value::String(s) => {
                *n += 1;
                assert!(!risky(s), "{}: formula-like string {s:?}", p.display());
            }
            serde_json::Value::Array(a) => a.iter().for_each(|x| walk(x, n, p)),
            serde_json::Value::Object(o) => o.iter().for_each(|(k, x)| {
                assert!(!risky(k), "{}: formula-like key {k:?}", p.display());
                walk(x, n, p)
            }),
            _ => {}
        }
    }
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let mut n = 0;
    walk(&v, &mut n, path);
    n
}

#[test]
fn no_output_holds_a_formula() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    ok(&padan(
        &["demo", "--out", "d", "--people", "400", "--seed", "11"],
        p,
    ));
    common::trust_demo_officer(p);
    // The dinkes list with a formula-like extra column and formula-like addresses.
    let text = std::fs::read_to_string(p.join("d/dinkes_pbi.csv")).unwrap();
    let mut out = String::new();
    for (i, line) in text.lines().enumerate() {
        let mut cells: Vec<String> = line.split(';').map(str::to_string).collect();
        if i == 0 {
            cells.push("=CATATAN()".into());
        } else {
            let nasty = NASTY[i % NASTY.len()];
            cells.push(format!("\"{}\"", nasty.replace('"', "\"\"")));
            if let Some(pos) = cells.iter().position(|c| c.starts_with("DUSUN")) {
                cells[pos] = "@ALAMAT".into();
            }
        }
        out.push_str(&cells.join(";"));
        out.push('\n');
    }
    std::fs::write(p.join("pbi.csv"), &out).unwrap();
    // The same as a workbook (every value a string cell).
    {
        let mut rdr = csv::ReaderBuilder::new()
            .delimiter(b';')
            .has_headers(false)
            .flexible(true)
            .from_reader(out.as_bytes());
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        for (r, rec) in rdr.records().enumerate() {
            for (c, v) in rec.unwrap().iter().enumerate() {
                ws.write_string(r as u32, c as u16, v).unwrap();
            }
        }
        wb.save(p.join("pbi.xlsx")).unwrap();
    }

    let check = ok(&padan(
        &[
            "check",
            "--workflow",
            "d/workflow.json",
            "--party",
            "dinkes",
            "--input",
            "pbi.csv",
            "--json",
        ],
        p,
    ));
    std::fs::write(p.join("check.json"), check).unwrap();
    let mut toks = Vec::new();
    for (party, _, file) in padan::demo::LISTS {
        let input = if *party == "dinkes" {
            "pbi.csv".to_string()
        } else {
            format!("d/{file}")
        };
        let t = format!("{party}.tokens");
        ok(&tokenize_demo(
            p,
            party,
            &input,
            &t,
            &["--receipt", &format!("{party}.receipt.json")],
        ));
        toks.push(t);
    }
    // The workbook tokenizes to the same records as the CSV it was made from? No: its CSV
    // form differs in bytes (references are per file). Tokenize it for its own receipt.
    ok(&tokenize_demo(
        p,
        "dinkes",
        "pbi.xlsx",
        "x.tokens",
        &["--receipt", "x.receipt.json"],
    ));
    let mut args = vec![
        "compare",
        "--workflow",
        "d/workflow.json",
        "--out-dir",
        "res",
    ];
    args.extend(toks.iter().map(String::as_str));
    ok(&padan(&args, p));
    for out in ["hasil.csv", "hasil.xlsx"] {
        ok(&reattach_demo(
            p,
            "dinkes",
            "pbi.csv",
            "res/dinkes.result.csv",
            out,
            &[],
        ));
    }

    let mut cells = check_csv(&p.join("hasil.csv"), b';');
    let nasty_in = out.matches("=1+1").count();
    assert!(nasty_in > 10);
    for (party, _, _) in padan::demo::LISTS {
        cells += check_csv(&p.join(format!("res/{party}.result.csv")), b',');
        cells += check_json(&p.join(format!("{party}.receipt.json")));
    }
    cells += check_json(&p.join("x.receipt.json"));
    cells += check_json(&p.join("res/summary.json"));
    // (The check report on stdout repeats the list's own header verbatim, as its own
    // screen shows it: not a file padan writes, and JSON, not a spreadsheet format.)
    assert!(cells > 1000, "{cells}");
    // The escaped values are all there, as text.
    let annotated = std::fs::read_to_string(p.join("hasil.csv")).unwrap();
    assert!(annotated.contains("'=CATATAN()") && annotated.contains("'@ALAMAT"));
    assert_eq!(
        ["'=1+1", "'\t=1+1", "'\r=1+1"]
            .iter()
            .map(|n| annotated.matches(n).count())
            .sum::<usize>(),
        nasty_in
    );

    // The .xlsx: only string cells, no formula element; the formula-like values kept as
    // text with Excel's quote prefix.
    let mut zip = zip::ZipArchive::new(std::fs::File::open(p.join("hasil.xlsx")).unwrap()).unwrap();
    let mut sheet = String::new();
    zip.by_name("xl/worksheets/sheet1.xml")
        .unwrap()
        .read_to_string(&mut sheet)
        .unwrap();
    assert!(
        !sheet.contains("<f>") && !sheet.contains("<f "),
        "a formula in the .xlsx"
    );
    let n_cells = sheet.matches("<c ").count();
    assert!(n_cells > 1000);
    assert_eq!(
        sheet.matches(" t=\"s\"").count(),
        n_cells,
        "every cell a string"
    );
    let mut strings = String::new();
    zip.by_name("xl/sharedStrings.xml")
        .unwrap()
        .read_to_string(&mut strings)
        .unwrap();
    assert!(strings.contains(">=1+1<") && strings.contains(">=CATATAN()<"));
    assert!(
        !strings.contains("'=1+1"),
        "no visible apostrophe in the .xlsx"
    );
    let mut styles = String::new();
    zip.by_name("xl/styles.xml")
        .unwrap()
        .read_to_string(&mut styles)
        .unwrap();
    assert!(styles.contains("quotePrefix=\"1\""));
}
