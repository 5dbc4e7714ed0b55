//! Workbook lists through the `padan` command line: a demo list saved as .xlsx (title rows
//! above the header, NIKs stored as numbers, a formula-like name) is checked, tokenized,
//! compared with the CSV lists and re-attached as .xlsx and .csv.

#![cfg(not(target_arch = "wasm32"))]

mod common;
use common::{ok, padan, reattach_demo, tokenize_demo};

use std::io::Read;
use std::path::Path;

use calamine::{Data, Reader};

const FORMULA: &str = "=HYPERLINK(\"http://contoh.invalid\",\"klik\")";

/// Writes `csv` (semicolons, UTF-8, as the demo writes it) as a workbook: two title rows, an empty row, the header on
/// sheet row 4. 16-digit NIKs are written as numbers; returns how many of them end in 0
/// (Excel's rounding cannot be told apart from them: damage) and the data rows.
fn csv_to_workbook(csv: &Path, out: &Path) -> (usize, usize) {
    use rust_xlsxwriter::{Format, Workbook};
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(b';')
        .has_headers(false)
        .flexible(true)
        .from_path(csv)
        .unwrap();
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet().set_name("DATA PBI").unwrap();
    ws.merge_range(0, 0, 0, 5, "DAFTAR PESERTA PBI-JK", &Format::new())
        .unwrap();
    ws.write_string(1, 0, "Dinas Kesehatan Kabupaten Cirebon")
        .unwrap();
    let mut nik_col = None;
    let (mut zeros, mut rows) = (0, 0);
    for (i, rec) in rdr.records().enumerate() {
        let rec = rec.unwrap();
        let r = 3 + i as u32;
        for (c, v) in rec.iter().enumerate() {
            let v = v.trim_start_matches('\u{feff}');
            if i == 0 && v.to_ascii_uppercase().starts_with("NIK") && nik_col.is_none() {
                nik_col = Some(c);
            }
            let c16 = c as u16;
            if i > 0 && Some(c) == nik_col && v.len() == 16 && v.bytes().all(|b| b.is_ascii_digit())
            {
                // Every fifth NIK as Excel keeps a typed 16-digit number: 15 significant
                // digits (the last one rounded away); the others exact, as other tools write.
                let exact: u64 = v.parse().unwrap();
                let n = if i % 5 == 0 {
                    (exact + 5) / 10 * 10
                } else {
                    exact
                };
                ws.write_number(r, c16, n as f64).unwrap();
                zeros += usize::from(n % 10 == 0);
            } else if i == 3 && c == 3 {
                ws.write_string(r, c16, FORMULA).unwrap();
            } else {
                ws.write_string(r, c16, v).unwrap();
            }
        }
        rows = i;
    }
    assert!(nik_col.is_some());
    wb.save(out).unwrap();
    (zeros, rows)
}

#[test]
fn workbook_list_through_the_whole_flow() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    ok(&padan(
        &["demo", "--out", "d", "--people", "600", "--seed", "3"],
        p,
    ));
    common::trust_demo_officer(p);
    let (zeros, rows) = csv_to_workbook(&p.join("d/dinkes_pbi.csv"), &p.join("pbi.xlsx"));
    assert!(zeros > 0 && rows > 50);

    let check = |input: &str, extra: &[&str]| -> serde_json::Value {
        let mut args = vec![
            "check",
            "--workflow",
            "d/workflow.json",
            "--party",
            "dinkes",
            "--input",
            input,
            "--json",
        ];
        args.extend_from_slice(extra);
        serde_json::from_str(&ok(&padan(&args, p))).unwrap()
    };
    let from_csv = check("d/dinkes_pbi.csv", &[]);
    let from_xlsx = check("pbi.xlsx", &[]);
    assert_eq!(from_xlsx["rows_read"], from_csv["rows_read"]);
    let damage = |v: &serde_json::Value| {
        v["nik_problems"]["spreadsheet_damage"]["count"]
            .as_u64()
            .unwrap_or(0)
    };
    assert_eq!(
        damage(&from_xlsx),
        damage(&from_csv) + zeros as u64,
        "every 16-digit number ending in 0 is damage, nothing else"
    );
    // Example rows are sheet rows: the first data row is sheet row 5.
    let first_bad = from_xlsx["nik_problems"]["spreadsheet_damage"]["example_rows"][0]
        .as_u64()
        .unwrap();
    assert!(first_bad >= 1);
    // The same header row given explicitly; a wrong one fails with a clear message.
    assert_eq!(
        check("pbi.xlsx", &["--header-row", "4", "--sheet", "DATA PBI"])["rows_read"],
        from_csv["rows_read"]
    );
    let o = padan(
        &[
            "tokenize",
            "--workflow",
            "d/workflow.json",
            "--key",
            "d/demo.key",
            "--party",
            "dinkes",
            "--input",
            "pbi.xlsx",
            "--header-row",
            "2",
            "--out",
            "x.tokens",
        ],
        p,
    );
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!p.join("x.tokens").exists());
    assert!(
        err.contains("pbi.xlsx, baris 2") && err.contains("kolom wajib"),
        "{err}"
    );

    // Tokenize the workbook, the other lists as CSV; compare; re-attach.
    let mut toks = Vec::new();
    for (party, _, file) in padan::demo::LISTS {
        let input = if *party == "dinkes" {
            "pbi.xlsx".to_string()
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
    let receipt: serde_json::Value =
        serde_json::from_slice(&std::fs::read(p.join("dinkes.receipt.json")).unwrap()).unwrap();
    let sha = {
        use sha2::{Digest, Sha256};
        hex::encode(Sha256::digest(std::fs::read(p.join("pbi.xlsx")).unwrap()))
    };
    assert_eq!(
        receipt["counts"]["input_sha256"],
        sha.as_str(),
        "the receipt names the workbook file"
    );
    assert_eq!(receipt["counts"]["input_file"], "pbi.xlsx");
    assert_eq!(receipt["inputs"][0]["sha256"], sha.as_str());
    assert_eq!(receipt["inputs"][0]["name"], "pbi.xlsx");
    let mut args = vec![
        "compare",
        "--workflow",
        "d/workflow.json",
        "--out-dir",
        "res",
    ];
    args.extend(toks.iter().map(String::as_str));
    ok(&padan(&args, p));
    for out in ["hasil.xlsx", "hasil.csv"] {
        let stdout = ok(&reattach_demo(
            p,
            "dinkes",
            "pbi.xlsx",
            "res/dinkes.result.csv",
            out,
            &[],
        ));
        assert!(!stdout.contains("PERINGATAN"), "every row found: {stdout}");
    }
    let csv_out = std::fs::read_to_string(p.join("hasil.csv")).unwrap();
    assert!(csv_out.contains(&format!("'{}", FORMULA.replace('"', "\"\""))));

    // The .xlsx: every cell a string, no formula, the formula-like name kept as text.
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook(p.join("hasil.xlsx")).unwrap();
    let range = wb.worksheet_range_at(0).unwrap().unwrap();
    assert_eq!(range.height(), rows + 1);
    let header: Vec<String> = range
        .rows()
        .next()
        .unwrap()
        .iter()
        .map(|c| c.to_string())
        .collect();
    assert!(header.contains(&"PADAN_STATUS".to_string()));
    for c in range.used_cells() {
        assert!(matches!(c.2, Data::String(_)), "not a string: {:?}", c);
    }
    assert_eq!(range.get_value((3, 3)), Some(&Data::String(FORMULA.into())));
    let formulas = wb.worksheet_formula(&wb.sheet_names()[0]).unwrap();
    assert_eq!(formulas.used_cells().count(), 0, "no formula in the output");
    let mut styles = String::new();
    zip::ZipArchive::new(std::fs::File::open(p.join("hasil.xlsx")).unwrap())
        .unwrap()
        .by_name("xl/styles.xml")
        .unwrap()
        .read_to_string(&mut styles)
        .unwrap();
    assert!(styles.contains("quotePrefix=\"1\""), "{styles}");
    let statuses: Vec<String> = range
        .rows()
        .skip(1)
        .map(|r| r[header.iter().position(|h| h == "PADAN_STATUS").unwrap()].to_string())
        .collect();
    assert!(statuses.iter().all(|s| !s.is_empty()));
    // A damaged NIK is shown as Excel shows it, never "repaired".
    let nik = header.iter().position(|h| h == "NIK_ART").unwrap();
    let shown_damaged = range
        .rows()
        .skip(1)
        .filter(|r| r[nik].to_string().contains("E+15"))
        .count();
    assert_eq!(shown_damaged, zeros);
}

/// For measuring: `PADAN_XLSX_OUT=big.xlsx PADAN_XLSX_FROM=d/dtks.csv cargo test --test
/// workbook -- --ignored write_big_workbook` writes a demo list as a workbook.
#[test]
#[ignore]
fn write_big_workbook() {
    let from = std::env::var("PADAN_XLSX_FROM").expect("PADAN_XLSX_FROM");
    let out = std::env::var("PADAN_XLSX_OUT").expect("PADAN_XLSX_OUT");
    let bytes = std::fs::read(&from).unwrap();
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(padan::table::sniff(&bytes).delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(&bytes[..]);
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (r, rec) in rdr.records().enumerate() {
        for (c, v) in rec.unwrap().iter().enumerate() {
            ws.write_string(r as u32, c as u16, v).unwrap();
        }
    }
    wb.save(&out).unwrap();
}
