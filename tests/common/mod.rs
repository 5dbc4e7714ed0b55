//! Helpers for the tests that run the `padan` binary.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn padan(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_padan"))
        .args(args)
        .current_dir(cwd)
        // Every test has its own trust store (and so its own audit log) in its directory.
        .env("PADAN_TRUST_STORE", cwd.join("trust.json"))
        .env_remove("PADAN_OFFICER_PASSPHRASE")
        .output()
        .expect("padan runs")
}

/// `padan` with the officer passphrase in the environment.
pub fn padan_pass(args: &[&str], cwd: &Path, passphrase: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_padan"))
        .args(args)
        .current_dir(cwd)
        .env("PADAN_TRUST_STORE", cwd.join("trust.json"))
        .env("PADAN_OFFICER_PASSPHRASE", passphrase)
        .output()
        .expect("padan runs")
}

pub fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Fails with exit code 2, no panic; returns stderr.
pub fn fails(o: &Output) -> String {
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(
        o.status.code(),
        Some(2),
        "stdout: {} stderr: {err}",
        String::from_utf8_lossy(&o.stdout)
    );
    assert!(!err.contains("panicked"), "{err}");
    err
}

pub struct Demo {
    _dir: tempfile::TempDir,
    pub path: PathBuf,
}

pub fn demo() -> Demo {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_path_buf();
    ok(&padan(
        &["demo", "--out", "d", "--people", "1500", "--seed", "5"],
        &path,
    ));
    trust_demo_officer(&path);
    Demo { _dir: dir, path }
}

/// What an office does once: compares the demo officer's fingerprint with the published
/// one and trusts the key.
pub fn trust_demo_officer(cwd: &Path) {
    let public: serde_json::Value =
        serde_json::from_slice(&std::fs::read(cwd.join("d/officer.pub")).unwrap()).unwrap();
    let fp = public["fingerprint"].as_str().unwrap();
    ok(&padan(
        &[
            "officer",
            "trust",
            "--public",
            "d/officer.pub",
            "--fingerprint",
            fp,
        ],
        cwd,
    ));
}

pub fn no_leftovers(dir: &Path) {
    for e in std::fs::read_dir(dir).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        assert!(
            !name.contains("padan-tmp") && name != "out.tokens" && name != "out.csv",
            "left behind: {name}"
        );
    }
}

/// `padan tokenize` of `input` as `party` with the demo directory's workflow and key
/// (`d/`, from `padan demo`), writing `out`; `extra` arguments follow.
pub fn tokenize_demo(cwd: &Path, party: &str, input: &str, out: &str, extra: &[&str]) -> Output {
    let mut args = vec![
        "tokenize",
        "--workflow",
        "d/workflow.json",
        "--key",
        "d/demo.key",
        "--party",
        party,
        "--input",
        input,
        "--out",
        out,
    ];
    args.extend_from_slice(extra);
    padan(&args, cwd)
}

/// `padan reattach` of `input` as `party` with the demo directory's workflow and key and
/// the result file `result`, writing `out`; `extra` arguments follow.
pub fn reattach_demo(
    cwd: &Path,
    party: &str,
    input: &str,
    result: &str,
    out: &str,
    extra: &[&str],
) -> Output {
    let mut args = vec![
        "reattach",
        "--workflow",
        "d/workflow.json",
        "--key",
        "d/demo.key",
        "--party",
        party,
        "--input",
        input,
        "--result",
        result,
        "--out",
        out,
    ];
    args.extend_from_slice(extra);
    padan(&args, cwd)
}
