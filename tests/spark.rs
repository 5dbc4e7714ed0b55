//! The national-scale path end to end: `padan export` (Parquet and CSV), the Spark job
//! `spark/padan_join.py` in local mode, `padan compare --joined`: every summary count and
//! every per-office result file must equal the native `padan compare` output, byte for
//! byte.
//!
//! Needs Java (17 or later) and Python 3. pyspark is installed from PyPI into a venv under
//! the target directory when missing. Without Java the test prints why and is skipped.

#![cfg(not(target_arch = "wasm32"))]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Instant;

fn padan(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_padan"))
        .args(args)
        .current_dir(cwd)
        // Its own trust store (the demo officer is trusted after `padan demo`).
        .env("PADAN_TRUST_STORE", cwd.join("trust.json"))
        .output()
        .expect("padan runs")
}

fn ok(o: &Output, what: &str) -> String {
    assert!(
        o.status.success(),
        "{what}: stdout: {}\nstderr: {}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn java_available() -> bool {
    Command::new("java")
        .arg("-version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// A Python with pyspark: the venv under the target directory, made when missing.
fn pyspark_python() -> PathBuf {
    let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join("pyspark-venv");
    let python = venv.join("bin").join("python");
    let has = |py: &Path| {
        Command::new(py)
            .args(["-c", "import pyspark"])
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false)
    };
    if python.exists() && has(&python) {
        return python;
    }
    eprintln!("spark test: installing pyspark into {}", venv.display());
    let o = Command::new("python3")
        .args(["-m", "venv"])
        .arg(&venv)
        .output()
        .expect("python3 runs (needed for the Spark test)");
    ok(&o, "python3 -m venv");
    let o = Command::new(venv.join("bin").join("pip"))
        .args(["install", "--quiet", "pyspark"])
        .output()
        .expect("pip runs");
    ok(&o, "pip install pyspark");
    assert!(has(&python), "pyspark not importable after install");
    python
}

fn read_dir_files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn spark_join_gives_the_native_comparison() {
    if !java_available() {
        eprintln!(
            "SKIPPED spark_join_gives_the_native_comparison: no `java` on PATH (Spark needs Java 17+)."
        );
        return;
    }
    let python = pyspark_python();
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    ok(
        &padan(
            &["demo", "--out", "demo", "--people", "2000", "--seed", "9"],
            d,
        ),
        "demo",
    );
    let public: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("demo/officer.pub")).unwrap()).unwrap();
    ok(
        &padan(
            &[
                "officer",
                "trust",
                "--public",
                "demo/officer.pub",
                "--fingerprint",
                public["fingerprint"].as_str().unwrap(),
            ],
            d,
        ),
        "trust the demo officer",
    );
    let mut tokens = Vec::new();
    for (party, _, file) in padan::demo::LISTS {
        let out = format!("{party}.tokens");
        ok(
            &padan(
                &[
                    "tokenize",
                    "--workflow",
                    "demo/workflow.json",
                    "--key",
                    "demo/demo.key",
                    "--party",
                    party,
                    "--input",
                    &format!("demo/{file}"),
                    "--out",
                    &out,
                ],
                d,
            ),
            "tokenize",
        );
        tokens.push(out);
    }
    let mut compare = vec!["compare", "--workflow", "demo/workflow.json", "--out-dir"];
    let files: Vec<&str> = tokens.iter().map(String::as_str).collect();
    let native: Vec<&str> = [&compare[..], &["native"], &files[..]].concat();
    ok(&padan(&native, d), "native compare");

    // Exports: Parquet for all but the last list, CSV for the last (both paths of the job).
    let mut exports = Vec::new();
    for (j, t) in tokens.iter().enumerate() {
        let (fmt, ext) = if j + 1 == tokens.len() {
            ("csv", "csv")
        } else {
            ("parquet", "parquet")
        };
        let out = t.replace(".tokens", &format!(".{ext}"));
        ok(
            &padan(&["export", "--format", fmt, t, "--out", &out], d),
            "export",
        );
        exports.push(out);
    }

    let job = Path::new(env!("CARGO_MANIFEST_DIR")).join("spark/padan_join.py");
    let start = Instant::now();
    let o = Command::new(&python)
        .arg(&job)
        .args([
            "--master",
            "local[2]",
            "--partitions",
            "4",
            "--out",
            "joined",
        ])
        .args(&exports)
        .current_dir(d)
        .output()
        .expect("the Spark job runs");
    ok(&o, "spark/padan_join.py");
    eprintln!(
        "spark local-mode join: {:.1} s",
        start.elapsed().as_secs_f64()
    );

    compare.extend(["spark", "--joined", "joined"]);
    let joined: Vec<&str> = [&compare[..], &files[..]].concat();
    ok(&padan(&joined, d), "compare --joined");

    // Every file equal (but the run receipts, which name their own times and inputs); and
    // the summary's counts, read as JSON, too.
    let results = |dir: &str| {
        let mut v = read_dir_files(&d.join(dir));
        let n = v.len();
        v.retain(|f| f.0 != "receipt.json");
        assert_eq!(v.len() + 1, n, "{dir}: no receipt.json");
        v
    };
    let a = results("native");
    let b = results("spark");
    assert_eq!(
        a.iter().map(|f| &f.0).collect::<Vec<_>>(),
        b.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    assert_eq!(a.len(), 2 + padan::demo::LISTS.len());
    for ((name, x), (_, y)) in a.iter().zip(&b) {
        assert!(x == y, "{name} differs between native and Spark");
    }

    // `--joined` streams too: with the smallest budget its group members are sorted in
    // runs spilled to --temp-dir (removed afterwards), and the files are the same.
    std::fs::create_dir_all(d.join("scratch")).unwrap();
    let mut small: Vec<&str> = joined.clone();
    let at = small.iter().position(|a| *a == "spark").unwrap();
    small[at] = "spark-small";
    small.splice(at + 1..at + 1, ["--memory", "64K", "--temp-dir", "scratch"]);
    let said = ok(&padan(&small, d), "compare --joined --memory 64K");
    assert!(said.contains("berkas sementara"), "{said}");
    assert_eq!(std::fs::read_dir(d.join("scratch")).unwrap().count(), 0);
    let c = results("spark-small");
    assert_eq!(b.len(), c.len());
    for ((name, x), (_, y)) in b.iter().zip(&c) {
        assert!(x == y, "{name} differs with a small --memory");
    }
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("spark/summary.json")).unwrap()).unwrap();
    let people = summary["people_total"].as_u64().unwrap();
    assert!(people > 1000, "people_total {people}");
    assert_eq!(
        summary["lists"].as_array().unwrap().len(),
        padan::demo::LISTS.len()
    );

    // A lost part file is noticed.
    let gdir = d.join("joined/groups");
    let part = std::fs::read_dir(&gdir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("part-")
                && std::fs::metadata(p).unwrap().len() > 100
        })
        .unwrap();
    std::fs::remove_file(part).unwrap();
    let o = padan(&joined, d);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("hilang"), "{err}");
}
