//! Malformed inputs through the `padan` command line: the files in `tests/malformed/`
//! (each with a `.expect` sidecar, see its README) and large cases generated here. Every
//! one must exit with code 2 and a clear message, never panic, and leave no output file.

#![cfg(not(target_arch = "wasm32"))]

mod common;
use common::padan;

use std::path::{Path, PathBuf};

/// A temporary directory with a small demo scenario in `d/`.
fn scenario() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let o = padan(
        &["demo", "--out", "d", "--people", "300", "--seed", "9"],
        dir.path(),
    );
    assert!(o.status.success());
    common::trust_demo_officer(dir.path());
    dir
}

#[derive(Clone, Copy, Debug)]
enum Run {
    List,
    Workflow,
    Tokens,
    Result,
}

/// Runs `file` (inside `dir`) as `run` and checks the failure.
fn expect_failure(dir: &Path, file: &str, run: Run, contains: &[&str]) {
    let args: Vec<&str> = match run {
        Run::List => vec![
            "tokenize",
            "--workflow",
            "d/workflow.json",
            "--key",
            "d/demo.key",
            "--party",
            "dtks",
            "--input",
            file,
            "--out",
            "out.tokens",
            "--receipt",
            "out.json",
        ],
        Run::Workflow => vec![
            "tokenize",
            "--workflow",
            file,
            "--key",
            "d/demo.key",
            "--party",
            "dtks",
            "--input",
            "d/dtks.csv",
            "--out",
            "out.tokens",
        ],
        Run::Tokens => vec![
            "compare",
            "--workflow",
            "d/workflow.json",
            "--out-dir",
            "res",
            file,
        ],
        Run::Result => vec![
            "reattach",
            "--workflow",
            "d/workflow.json",
            "--key",
            "d/demo.key",
            "--party",
            "dtks",
            "--input",
            "d/dtks.csv",
            "--result",
            file,
            "--out",
            "out.csv",
        ],
    };
    let o = padan(&args, dir);
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(
        o.status.code(),
        Some(2),
        "{file} ({run:?}): stdout {} stderr {err}",
        String::from_utf8_lossy(&o.stdout)
    );
    assert!(!err.contains("panicked"), "{file}: {err}");
    assert!(err.len() < 2000, "{file}: message too long: {err}");
    for c in contains {
        assert!(err.contains(c), "{file}: missing {c:?} in {err}");
    }
    for out in ["out.tokens", "out.json", "out.csv", "res"] {
        assert!(!dir.join(out).exists(), "{file}: {out} left behind");
    }
    for e in std::fs::read_dir(dir).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        assert!(!name.contains("padan-tmp"), "{file}: {name} left behind");
    }
}

#[test]
fn committed_malformed_inputs() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/malformed");
    let dir = scenario();
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&src)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "expect"))
        .collect();
    cases.sort();
    assert!(cases.len() >= 12, "{} cases", cases.len());
    for expect in cases {
        let input = expect.with_extension("");
        let name = input.file_name().unwrap().to_string_lossy().into_owned();
        assert!(input.exists(), "{name} missing");
        std::fs::copy(&input, dir.path().join(&name)).unwrap();
        let text = std::fs::read_to_string(&expect).unwrap();
        let mut run = None;
        let mut contains = Vec::new();
        for line in text.lines() {
            match line.split_once(':') {
                Some(("run", r)) => {
                    run = Some(match r.trim() {
                        "list" => Run::List,
                        "workflow" => Run::Workflow,
                        "tokens" => Run::Tokens,
                        "result" => Run::Result,
                        other => panic!("{name}: unknown run {other}"),
                    })
                }
                Some(("contains", c)) => contains.push(c.trim().to_string()),
                _ if line.trim().is_empty() => {}
                _ => panic!("{name}.expect: bad line {line:?}"),
            }
        }
        assert!(!contains.is_empty(), "{name}: nothing expected");
        let contains: Vec<&str> = contains.iter().map(String::as_str).collect();
        expect_failure(dir.path(), &name, run.expect("run: line"), &contains);
    }
}

/// A zip bomb posing as a workbook: about 1.1 GB of XML packed into about a megabyte.
#[test]
fn zip_bomb_posing_as_xlsx() {
    use std::io::Write;
    let dir = scenario();
    let f = std::fs::File::create(dir.path().join("bom.xlsx")).unwrap();
    let mut z = zip::ZipWriter::new(std::io::BufWriter::new(f));
    let o = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(true);
    z.start_file("xl/workbook.xml", o).unwrap();
    z.write_all(b"<workbook/>").unwrap();
    z.start_file("xl/worksheets/sheet1.xml", o).unwrap();
    let spaces = vec![b' '; 1 << 20];
    for _ in 0..1100 {
        z.write_all(&spaces).unwrap();
    }
    z.finish().unwrap();
    let size = std::fs::metadata(dir.path().join("bom.xlsx"))
        .unwrap()
        .len();
    assert!(size < 4 << 20, "{size}");
    expect_failure(dir.path(), "bom.xlsx", Run::List, &["bom.xlsx", "zip bomb"]);
}

#[test]
fn thousands_of_columns() {
    let dir = scenario();
    let p = dir.path();
    let header: Vec<String> = (0..5000).map(|i| format!("K{i}")).collect();
    let mut csv = header.join(",");
    csv.push_str("\n1,2,3\n");
    std::fs::write(p.join("lebar.csv"), csv).unwrap();
    expect_failure(
        p,
        "lebar.csv",
        Run::List,
        &["lebar.csv", "baris 1", "5000 kolom"],
    );

    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.write_string(0, 0, "NIK").unwrap();
    ws.write_string(0, 1, "NAMA").unwrap();
    ws.write_string(0, 4999, "CATATAN").unwrap();
    ws.write_string(1, 0, "3209014508800012").unwrap();
    wb.save(p.join("lebar.xlsx")).unwrap();
    expect_failure(
        p,
        "lebar.xlsx",
        Run::List,
        &["lebar.xlsx", "baris 1", "5000 kolom"],
    );
}

#[test]
fn huge_cells_and_rows() {
    let dir = scenario();
    let p = dir.path();
    // A 3 MB field in a CSV (an unclosed quote swallowing the file looks the same).
    let mut data = b"NIK,NAMA,TGL_LAHIR,JK\n3209014508800012,\"".to_vec();
    data.extend(std::iter::repeat_n(b'A', 3 << 20));
    data.extend_from_slice(b"\",05-08-1980,P\n");
    std::fs::write(p.join("panjang.csv"), data).unwrap();
    expect_failure(
        p,
        "panjang.csv",
        Run::List,
        &["panjang.csv", "baris 2", "terlalu panjang"],
    );
    // A whole workbook row over the limit: 40 cells of 30,000 characters on sheet row 3.
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    let head: Vec<String> = std::iter::once("NIK".to_string())
        .chain((1..40).map(|i| format!("K{i}")))
        .collect();
    for (c, h) in head.iter().enumerate() {
        ws.write_string(0, c as u16, h).unwrap();
    }
    ws.write_string(1, 0, "3209014508800012").unwrap();
    let big = "X".repeat(30_000);
    for c in 0..40 {
        ws.write_string(2, c, &big).unwrap();
    }
    wb.save(p.join("panjang.xlsx")).unwrap();
    expect_failure(
        p,
        "panjang.xlsx",
        Run::List,
        &["panjang.xlsx", "baris 3", "terlalu panjang"],
    );
}

#[test]
fn truncated_token_and_result_files() {
    let dir = scenario();
    let p = dir.path();
    let o = padan(
        &[
            "tokenize",
            "--workflow",
            "d/workflow.json",
            "--key",
            "d/demo.key",
            "--party",
            "dtks",
            "--input",
            "d/dtks.csv",
            "--out",
            "dtks.tokens",
        ],
        p,
    );
    assert!(o.status.success());
    let o = padan(
        &[
            "compare",
            "--workflow",
            "d/workflow.json",
            "--out-dir",
            "good",
            "dtks.tokens",
        ],
        p,
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let tokens = std::fs::read(p.join("dtks.tokens")).unwrap();
    let header_end = tokens.iter().position(|&b| b == b'\n').unwrap() + 1;
    let header_end = header_end
        + tokens[header_end..]
            .iter()
            .position(|&b| b == b'\n')
            .unwrap()
        + 1;
    for (cut, why) in [
        (10, "bukan berkas"),
        (header_end - 5, "terpotong"),
        (header_end + 100, "terpotong"),
        (tokens.len() - 1, "terpotong"),
    ] {
        std::fs::write(p.join("cut.tokens"), &tokens[..cut]).unwrap();
        expect_failure(p, "cut.tokens", Run::Tokens, &["cut.tokens", why]);
    }
    // One flipped byte in a record: the checksum.
    let mut flipped = tokens.clone();
    flipped[header_end + 3] ^= 0x40;
    std::fs::write(p.join("flip.tokens"), &flipped).unwrap();
    expect_failure(p, "flip.tokens", Run::Tokens, &["flip.tokens", "checksum"]);

    let result = std::fs::read(p.join("good/dtks.result.csv")).unwrap();
    for cut in [5, result.len() / 2] {
        std::fs::write(p.join("cut.result.csv"), &result[..cut]).unwrap();
        expect_failure(p, "cut.result.csv", Run::Result, &["cut.result.csv"]);
    }
}
