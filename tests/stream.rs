//! `padan compare` streams: with a memory budget far below its tokens it spills sorted
//! runs to a temporary directory, gives byte for byte the same summary and result files,
//! and leaves no temporary file behind, also when it fails.

#![cfg(not(target_arch = "wasm32"))]

mod common;
use common::*;
use std::path::Path;

fn tokenize_all(p: &Path) -> Vec<String> {
    let mut toks = Vec::new();
    for (party, _, file) in padan::demo::LISTS {
        let t = format!("{party}.tokens");
        ok(&tokenize_demo(p, party, &format!("d/{file}"), &t, &[]));
        toks.push(t);
    }
    toks
}

fn compare(p: &Path, out: &str, extra: &[&str], toks: &[String]) -> std::process::Output {
    let mut args = vec!["compare", "--workflow", "d/workflow.json", "--out-dir", out];
    args.extend_from_slice(extra);
    args.extend(toks.iter().map(String::as_str));
    padan(&args, p)
}

/// Every file of `dir` whose name starts with `.padan-compare-`.
fn leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".padan-compare-"))
        .collect()
}

#[test]
fn small_budget_gives_identical_outputs_and_no_temp_files() {
    let d = demo();
    let p = &d.path;
    let toks = tokenize_all(p);
    let out = ok(&compare(p, "res", &[], &toks));
    assert!(!out.contains("berkas sementara"), "{out}");
    std::fs::create_dir(p.join("tmp")).unwrap();
    let small = ok(&compare(
        p,
        "small",
        &["--memory", "64K", "--temp-dir", "tmp"],
        &toks,
    ));
    // Spilled: the line names how many runs were written (and removed).
    assert!(small.contains("berkas sementara"), "{small}");
    // The default place: beside --out-dir.
    let beside = ok(&compare(p, "beside", &["--memory", "64K"], &toks));
    assert!(beside.contains("berkas sementara"), "{beside}");
    let mut names: Vec<String> = vec!["summary.json".into(), "summary.txt".into()];
    names.extend(
        padan::demo::LISTS
            .iter()
            .map(|(party, _, _)| format!("{party}.result.csv")),
    );
    for name in &names {
        let want = std::fs::read(p.join("res").join(name)).unwrap();
        for other in ["small", "beside"] {
            let got = std::fs::read(p.join(other).join(name)).unwrap();
            assert!(got == want, "{other}/{name} differs");
        }
    }
    assert_eq!(std::fs::read_dir(p.join("tmp")).unwrap().count(), 0);
    assert!(leftovers(p).is_empty(), "{:?}", leftovers(p));
}

#[test]
fn failed_compare_leaves_no_temp_files_and_tiny_budget_is_refused() {
    let d = demo();
    let p = &d.path;
    let mut toks = tokenize_all(p);
    // The last file cut short: the error comes after the others were sorted and spilled.
    let last = p.join(toks.last().unwrap());
    let bytes = std::fs::read(&last).unwrap();
    std::fs::write(p.join("cut.tokens"), &bytes[..bytes.len() - 100]).unwrap();
    *toks.last_mut().unwrap() = "cut.tokens".into();
    std::fs::create_dir(p.join("tmp")).unwrap();
    let err = fails(&compare(
        p,
        "res",
        &["--memory", "64K", "--temp-dir", "tmp"],
        &toks,
    ));
    assert!(err.contains("cut.tokens"), "{err}");
    assert_eq!(std::fs::read_dir(p.join("tmp")).unwrap().count(), 0);
    assert!(!p.join("res/summary.json").exists());
    let err = fails(&compare(p, "res", &["--memory", "1K"], &toks));
    assert!(err.contains("--memory") && err.contains("64K"), "{err}");
    let err = fails(&compare(p, "res", &["--memory", "lots"], &toks));
    assert!(err.contains("--memory"), "{err}");
    assert!(leftovers(p).is_empty());
}
