//! Replays the fuzz corpus (`fuzz/corpus/<target>/`) through the same entry points as the
//! cargo-fuzz targets (`padan::fuzz`), so every `cargo test` re-checks what the fuzzers
//! found, without a nightly toolchain. Also writes the workbook seeds (ignored test).

#![cfg(not(target_arch = "wasm32"))]

use std::path::{Path, PathBuf};

fn corpus(target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "empty corpus {}", dir.display());
    files
}

fn replay(target: &str, f: fn(&[u8])) {
    for p in corpus(target) {
        let data = std::fs::read(&p).unwrap();
        let r = std::panic::catch_unwind(|| f(&data));
        assert!(r.is_ok(), "{target}: panic on {}", p.display());
    }
}

#[test]
fn csv_reader_corpus() {
    replay("csv_reader", padan::fuzz::csv_reader);
}

#[test]
fn workbook_corpus() {
    replay("workbook", padan::fuzz::workbook);
}

#[test]
fn workflow_corpus() {
    replay("workflow", padan::fuzz::workflow);
}

#[test]
fn token_result_corpus() {
    replay("token_result", padan::fuzz::token_result);
}

/// `cargo test --test fuzz_corpus -- --ignored write_workbook_seeds` writes small workbooks
/// to `fuzz/corpus/workbook/` (seeds for the fuzzer).
#[test]
#[ignore]
fn write_workbook_seeds() {
    use rust_xlsxwriter::{Format, Workbook};
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/workbook");
    std::fs::create_dir_all(&dir).unwrap();
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    for (c, h) in ["NIK", "NAMA", "TGL_LAHIR", "JK"].iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    ws.write_number(1, 0, 3_209_014_508_800_012.0).unwrap();
    ws.write_string(1, 1, "SITI AMINAH").unwrap();
    ws.write_string(1, 2, "05-08-1980").unwrap();
    ws.write_string(1, 3, "P").unwrap();
    std::fs::write(dir.join("seed-simple.xlsx"), wb.save_to_buffer().unwrap()).unwrap();

    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    let f = Format::new();
    ws.merge_range(0, 0, 0, 3, "DAFTAR", &f).unwrap();
    ws.merge_range(1, 0, 2, 0, "NIK", &f).unwrap();
    ws.merge_range(1, 1, 1, 2, "IDENTITAS", &f).unwrap();
    ws.write_string(2, 1, "NAMA").unwrap();
    ws.write_string(2, 2, "TTL").unwrap();
    ws.write_string(1, 3, "=1+1").unwrap();
    ws.write_formula(3, 3, "=SUM(1,2)").unwrap();
    ws.write_number(3, 0, 3_209_014_508_800_010.0).unwrap();
    ws.write_string(3, 1, "BUDI").unwrap();
    let d = Format::new().set_num_format("dd/mm/yyyy");
    ws.write_datetime_with_format(
        3,
        2,
        rust_xlsxwriter::ExcelDateTime::from_ymd(1980, 4, 3).unwrap(),
        &d,
    )
    .unwrap();
    ws.write_boolean(4, 1, true).unwrap();
    std::fs::write(dir.join("seed-merged.xlsx"), wb.save_to_buffer().unwrap()).unwrap();
}
