//! `padan export` and `padan import` from the command line: both formats give back the
//! token file byte for byte; a damaged export is refused with exit code 2 and no output
//! file. (The Spark path itself is in tests/spark.rs.)

#![cfg(not(target_arch = "wasm32"))]

use std::path::Path;
use std::process::{Command, Output};

fn padan(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_padan"))
        .args(args)
        .current_dir(cwd)
        .env("PADAN_TRUST_STORE", cwd.join("trust.json"))
        .output()
        .expect("padan runs")
}

fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn fails(o: &Output) -> String {
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(o.status.code(), Some(2), "stderr: {err}");
    assert!(!err.contains("panicked"), "{err}");
    err
}

#[test]
fn export_and_import_round_trip_and_refuse_damage() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    ok(&padan(
        &["demo", "--out", "demo", "--people", "800", "--seed", "4"],
        d,
    ));
    // Once per computer: trust the demo officer after comparing the fingerprint.
    let public: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("demo/officer.pub")).unwrap()).unwrap();
    ok(&padan(
        &[
            "officer",
            "trust",
            "--public",
            "demo/officer.pub",
            "--fingerprint",
            public["fingerprint"].as_str().unwrap(),
        ],
        d,
    ));
    ok(&padan(
        &[
            "tokenize",
            "--workflow",
            "demo/workflow.json",
            "--key",
            "demo/demo.key",
            "--party",
            "dinkes",
            "--input",
            "demo/dinkes_pbi.csv",
            "--out",
            "dinkes.tokens",
        ],
        d,
    ));
    let tokens = std::fs::read(d.join("dinkes.tokens")).unwrap();
    for fmt in ["parquet", "csv"] {
        let out = format!("dinkes.{fmt}");
        let said = ok(&padan(
            &["export", "--format", fmt, "dinkes.tokens", "--out", &out],
            d,
        ));
        assert!(said.contains("pihak dinkes"), "{said}");
        let back = format!("back-{fmt}.tokens");
        ok(&padan(&["import", &out, "--out", &back], d));
        assert!(std::fs::read(d.join(&back)).unwrap() == tokens, "{fmt}");

        // One byte changed in the middle of the export: refused, nothing written.
        let mut bytes = std::fs::read(d.join(&out)).unwrap();
        let at = bytes.len() / 2;
        bytes[at] = if bytes[at] == b'0' { b'1' } else { b'0' };
        std::fs::write(d.join("bad"), &bytes).unwrap();
        fails(&padan(&["import", "bad", "--out", "bad.tokens"], d));
        assert!(!d.join("bad.tokens").exists());
    }
    // A token file is needed; a key file, an unknown format are refused.
    let err = fails(&padan(
        &["export", "demo/demo.key", "--out", "k.parquet"],
        d,
    ));
    assert!(err.contains("KUNCI"), "{err}");
    fails(&padan(
        &["export", "--format", "xlsx", "dinkes.tokens", "--out", "x"],
        d,
    ));
    assert!(!d.join("k.parquet").exists() && !d.join("x").exists());
}
