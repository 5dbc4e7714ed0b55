//! Issue 4 on the command line: nothing runs without a valid approval from a trusted
//! privacy officer key, every refusal is clear, receipts are written, and the
//! coordinator's audit log catches tampering.

#![cfg(not(target_arch = "wasm32"))]

mod common;
use common::*;

use std::path::Path;

const PASS: &str = "frasa sandi uji yang panjang";

fn json(p: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
}

fn write_json(p: &Path, v: &serde_json::Value) {
    std::fs::write(p, serde_json::to_vec_pretty(v).unwrap()).unwrap();
}

/// `padan check` on the demo's DTKS list with `workflow` (relative to the demo dir).
fn check(p: &Path, workflow: &str, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "check",
        "--workflow",
        workflow,
        "--party",
        "dtks",
        "--input",
        "d/dtks.csv",
    ];
    args.extend_from_slice(extra);
    padan(&args, p)
}

fn fingerprint_of(p: &Path, public: &str) -> String {
    json(&p.join(public))["fingerprint"]
        .as_str()
        .unwrap()
        .to_string()
}

/// A second officer key `name`.key / `name`.pub in the test directory.
fn officer(p: &Path, name: &str) -> String {
    let out = ok(&padan_pass(
        &[
            "officer",
            "keygen",
            "--name",
            &format!("Pejabat {name}"),
            "--out",
            &format!("{name}.key"),
        ],
        p,
        PASS,
    ));
    let fp = fingerprint_of(p, &format!("{name}.pub"));
    assert!(out.contains(&fp), "{out}");
    fp
}

/// A copy of the demo workflow, changed by `edit`, as `file`.
fn workflow_variant(p: &Path, file: &str, edit: impl FnOnce(&mut serde_json::Value)) {
    let mut w = json(&p.join("d/workflow.json"));
    edit(&mut w);
    write_json(&p.join(file), &w);
}

fn sign(p: &Path, key: &str, workflow: &str) -> String {
    ok(&padan_pass(
        &["officer", "sign", "--key", key, "--workflow", workflow],
        p,
        PASS,
    ))
}

#[test]
fn unsigned_workflow_is_refused_by_every_step() {
    let d = demo();
    let p = &d.path;
    std::fs::remove_file(p.join("d/workflow.approval.json")).unwrap();
    let steps: [&[&str]; 4] = [
        &[
            "check",
            "--workflow",
            "d/workflow.json",
            "--party",
            "dtks",
            "--input",
            "d/dtks.csv",
        ],
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
            "out.tokens",
        ],
        &[
            "compare",
            "--workflow",
            "d/workflow.json",
            "--out-dir",
            "res",
            "x.tokens",
        ],
        &[
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
            "x.csv",
            "--out",
            "out.csv",
        ],
    ];
    for args in steps {
        let err = fails(&padan(args, p));
        assert!(
            err.contains("workflow.approval.json") && err.contains("persetujuan"),
            "{}: {err}",
            args[0]
        );
    }
    assert!(
        !p.join("out.tokens").exists() && !p.join("res").exists() && !p.join("out.csv").exists()
    );
    no_leftovers(p);
}

#[test]
fn first_use_asks_for_the_fingerprint_and_later_uses_check_it() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    ok(&padan(
        &["demo", "--out", "d", "--people", "300", "--seed", "2"],
        p,
    ));
    let fp = fingerprint_of(p, "d/officer.pub");
    // Not a terminal, nothing confirmed: refused, naming the fingerprint to compare.
    let err = fails(&check(p, "d/workflow.json", &[]));
    assert!(
        err.contains(&fp) && err.contains("--trust-officer"),
        "{err}"
    );
    // A wrong fingerprint does not trust the key.
    let err = fails(&check(
        p,
        "d/workflow.json",
        &["--trust-officer", "0000-1111-2222-3333-4444"],
    ));
    assert!(err.contains(&fp), "{err}");
    let err = fails(&padan(
        &[
            "officer",
            "trust",
            "--public",
            "d/officer.pub",
            "--fingerprint",
            "0000-1111-2222-3333-4444",
        ],
        p,
    ));
    assert!(err.contains("TIDAK sama"), "{err}");
    // The right one, typed in lower case without dashes, is remembered.
    let typed = fp.to_lowercase().replace('-', " ");
    ok(&check(p, "d/workflow.json", &["--trust-officer", &typed]));
    let store = json(&p.join("trust.json"));
    assert_eq!(store["officers"][0]["fingerprint"], fp.as_str());
    assert_eq!(store["workflows"][0]["id"], "cirebon-padan-demo");
    let text = std::fs::read_to_string(p.join("trust.json")).unwrap();
    assert!(
        !text.contains("secret") && !text.contains("sealed"),
        "public keys and digests only"
    );
    ok(&check(p, "d/workflow.json", &[]));
}

#[test]
fn changed_workflow_or_approval_is_refused() {
    let d = demo();
    let p = &d.path;
    // One value changed after signing (same id): the approval no longer matches.
    workflow_variant(p, "d/changed.json", |w| w["k"] = 6.into());
    std::fs::copy(
        p.join("d/workflow.approval.json"),
        p.join("d/changed.approval.json"),
    )
    .unwrap();
    let err = fails(&check(p, "d/changed.json", &[]));
    assert!(err.contains("diubah setelah disetujui"), "{err}");
    // The approval's digest patched to match: the signature gives it away.
    let mut ap = json(&p.join("d/changed.approval.json"));
    let out = ok(&padan(&["workflow", "check", "d/changed.json"], p));
    let digest = out
        .lines()
        .find_map(|l| l.strip_prefix("digest: "))
        .unwrap()
        .trim()
        .to_string();
    ap["workflow_digest"] = digest.into();
    write_json(&p.join("d/changed.approval.json"), &ap);
    let err = fails(&check(p, "d/changed.json", &[]));
    assert!(err.contains("tidak sah"), "{err}");
    // One bit flipped in the signature of the real approval.
    let mut ap = json(&p.join("d/workflow.approval.json"));
    let sig = ap["signatures"][0]["signature"]
        .as_str()
        .unwrap()
        .to_string();
    let mut bytes = hex_decode(&sig);
    bytes[10] ^= 0x04;
    ap["signatures"][0]["signature"] = hex_encode(&bytes).into();
    write_json(&p.join("flipped.approval.json"), &ap);
    let err = fails(&check(
        p,
        "d/workflow.json",
        &["--approval", "flipped.approval.json"],
    ));
    assert!(
        err.contains("flipped.approval.json") && err.contains("tidak sah"),
        "{err}"
    );
    // The original still works.
    ok(&check(p, "d/workflow.json", &[]));
}

#[test]
fn unknown_key_expired_not_yet_valid_and_m_of_n() {
    let d = demo();
    let p = &d.path;
    let fp2 = officer(p, "dua");
    let fp3 = officer(p, "tiga");
    // Signed by a key nobody trusted here.
    workflow_variant(p, "w-new.json", |w| w["id"] = "cirebon-baru".into());
    sign(p, "dua.key", "w-new.json");
    let err = fails(&check(p, "w-new.json", &[]));
    assert!(
        err.contains(&fp2) && err.contains("belum dipercaya"),
        "{err}"
    );
    // Expired and not yet valid, properly signed by the trusted demo officer... and by dua
    // once trusted.
    ok(&padan(
        &[
            "officer",
            "trust",
            "--public",
            "dua.pub",
            "--fingerprint",
            &fp2,
        ],
        p,
    ));
    workflow_variant(p, "w-old.json", |w| {
        w["id"] = "cirebon-lama".into();
        w["valid_from"] = "2020-01-01".into();
        w["valid_until"] = "2020-12-31".into();
    });
    sign(p, "dua.key", "w-old.json");
    let err = fails(&check(p, "w-old.json", &[]));
    assert!(
        err.contains("kedaluwarsa") && err.contains("valid_until"),
        "{err}"
    );
    workflow_variant(p, "w-future.json", |w| {
        w["id"] = "cirebon-nanti".into();
        w["valid_from"] = "2099-01-01".into();
        w["valid_until"] = "2099-12-31".into();
    });
    sign(p, "dua.key", "w-future.json");
    let err = fails(&check(p, "w-future.json", &[]));
    assert!(err.contains("baru berlaku"), "{err}");
    // Two of n required: one signature is not enough, two trusted ones are.
    workflow_variant(p, "w-2.json", |w| {
        w["id"] = "cirebon-dua-tanda-tangan".into();
        w["approvals_required"] = 2.into();
    });
    let out = sign(p, "dua.key", "w-2.json");
    assert!(out.contains("1 dari 2"), "{out}");
    let err = fails(&check(p, "w-2.json", &[]));
    assert!(err.contains("perlu 2 tanda tangan"), "{err}");
    // The same key cannot sign twice.
    let err = fails(&padan_pass(
        &[
            "officer",
            "sign",
            "--key",
            "dua.key",
            "--workflow",
            "w-2.json",
        ],
        p,
        PASS,
    ));
    assert!(err.contains("sudah menandatangani"), "{err}");
    sign(p, "tiga.key", "w-2.json");
    let err = fails(&check(p, "w-2.json", &[]));
    assert!(
        err.contains(&fp3),
        "an untrusted second signer is not counted: {err}"
    );
    ok(&check(p, "w-2.json", &["--trust-officer", &fp3]));
    // A wrong passphrase signs nothing.
    let err = fails(&padan_pass(
        &[
            "officer",
            "sign",
            "--key",
            "dua.key",
            "--workflow",
            "w-new.json",
        ],
        p,
        "salah salah salah",
    ));
    assert!(err.contains("frasa sandi salah"), "{err}");
}

#[test]
fn a_workflow_id_reused_with_other_content_is_refused() {
    let d = demo();
    let p = &d.path;
    let fp2 = officer(p, "dua");
    ok(&padan(
        &[
            "officer",
            "trust",
            "--public",
            "dua.pub",
            "--fingerprint",
            &fp2,
        ],
        p,
    ));
    ok(&check(p, "d/workflow.json", &[]));
    // Same id, other purpose, validly signed by a trusted officer: still refused here.
    workflow_variant(p, "replay.json", |w| {
        w["purpose"] = "Tujuan lain yang tidak disetujui sebelumnya".into()
    });
    sign(p, "dua.key", "replay.json");
    let err = fails(&check(p, "replay.json", &[]));
    assert!(
        err.contains("sudah dipakai") && err.contains("cirebon-padan-demo"),
        "{err}"
    );
}

#[test]
fn officer_summary_tells_what_leaves_and_warns() {
    let d = demo();
    let p = &d.path;
    let out = ok(&padan(
        &["officer", "summary", "--workflow", "d/workflow.json"],
        p,
    ));
    for needle in [
        "YANG KELUAR DARI TIAP KANTOR",
        "YANG DIKETAHUI KOORDINATOR",
        "YANG DITERIMA KEMBALI TIAP KANTOR",
        "kesehatan",
        "anak",
    ] {
        assert!(out.contains(needle), "{needle}: {out}");
    }
    // The custodian named as the coordinator's own agency is warned about.
    workflow_variant(p, "w.json", |w| {
        for party in w["parties"].as_array_mut().unwrap() {
            if party["id"] == "diskominfo" {
                party["name"] = "Bapelitbangda Kabupaten Cirebon (kunci)".into();
            }
        }
    });
    let out = ok(&padan(
        &["officer", "summary", "--workflow", "w.json", "--json"],
        p,
    ));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let codes: Vec<&str> = v["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"custodian_is_coordinator"), "{codes:?}");
    // A match key of small value space is refused before anything is signed.
    workflow_variant(p, "weak.json", |w| {
        w["match_keys"][1]["fields"] = serde_json::json!(["birth_date", "kecamatan"])
    });
    let err = fails(&padan_pass(
        &[
            "officer",
            "sign",
            "--key",
            "d/officer.key",
            "--workflow",
            "weak.json",
        ],
        p,
        "contoh-saja-bukan-rahasia",
    ));
    assert!(err.contains("terlalu kecil"), "{err}");
    assert!(!p.join("weak.approval.json").exists());
}

#[test]
fn receipts_and_the_audit_log() {
    let d = demo();
    let p = &d.path;
    let mut toks = Vec::new();
    for (party, _, file) in padan::demo::LISTS.iter().take(3) {
        let t = format!("{party}.tokens");
        ok(&tokenize_demo(
            p,
            party,
            &format!("d/{file}"),
            &t,
            &["--receipt", &format!("{party}.r.json")],
        ));
        toks.push(t);
    }
    for run in ["res1", "res2", "res3"] {
        let mut args = vec!["compare", "--workflow", "d/workflow.json", "--out-dir", run];
        args.extend(toks.iter().map(String::as_str));
        ok(&padan(&args, p));
    }
    let r = json(&p.join("res3/receipt.json"));
    assert_eq!(r["step"], "compare");
    assert_eq!(r["inputs"].as_array().unwrap().len(), 3);
    let entry = r["audit_entry"].as_str().unwrap().to_string();
    let out = ok(&padan(&["audit", "verify", "audit.log"], p));
    assert!(out.contains("3 entri") && out.contains(&entry), "{out}");
    ok(&padan(
        &["audit", "verify", "audit.log", "--expect-head", &entry],
        p,
    ));
    // Reattach and check receipts too; none holds a NIK or a name from the list.
    ok(&reattach_demo(
        p,
        "dtks",
        "d/dtks.csv",
        "res3/dtks.result.csv",
        "a.csv",
        &["--receipt", "reattach.r.json"],
    ));
    ok(&check(p, "d/workflow.json", &["--receipt", "check.r.json"]));
    let list = std::fs::read_to_string(p.join("d/dtks.csv")).unwrap();
    let niks: Vec<&str> = list
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| s.len() == 16)
        .take(200)
        .collect();
    assert!(!niks.is_empty());
    for f in [
        "dtks.r.json",
        "reattach.r.json",
        "check.r.json",
        "res3/receipt.json",
        "audit.log",
    ] {
        let text = std::fs::read_to_string(p.join(f)).unwrap();
        for nik in &niks {
            assert!(!text.contains(nik), "{f} holds a NIK");
        }
        assert!(text.contains("approval_digest"), "{f} names the approval");
    }
    assert_eq!(json(&p.join("reattach.r.json"))["step"], "reattach");
    // The receipts' digests are those of the files on disk.
    let sha = |f: &str| {
        use sha2::{Digest, Sha256};
        hex::encode(Sha256::digest(std::fs::read(p.join(f)).unwrap()))
    };
    let check_r = json(&p.join("check.r.json"));
    assert_eq!(check_r["inputs"][0]["sha256"], sha("d/dtks.csv").as_str());
    let reattach_r = json(&p.join("reattach.r.json"));
    assert_eq!(
        reattach_r["inputs"][0]["sha256"],
        sha("d/dtks.csv").as_str()
    );
    assert_eq!(
        reattach_r["inputs"][1]["sha256"],
        sha("res3/dtks.result.csv").as_str()
    );
    assert_eq!(reattach_r["outputs"][0]["sha256"], sha("a.csv").as_str());
    let len = |f: &str| std::fs::metadata(p.join(f)).unwrap().len();
    let compare_r = json(&p.join("res3/receipt.json"));
    for o in compare_r["outputs"].as_array().unwrap() {
        let name = o["name"].as_str().unwrap();
        assert_eq!(o["sha256"], sha(&format!("res3/{name}")).as_str(), "{name}");
        assert_eq!(o["bytes"], len(&format!("res3/{name}")), "{name}");
    }
    // The compare receipt's inputs are the token files, digested while compared.
    let inputs = compare_r["inputs"].as_array().unwrap();
    assert_eq!(inputs.len(), toks.len());
    for (i, t) in inputs.iter().zip(&toks) {
        assert_eq!(i["name"], t.as_str());
        assert_eq!(i["sha256"], sha(t).as_str(), "{t}");
        assert_eq!(i["bytes"], len(t), "{t}");
    }
    // Each tokenize receipt: the list read and the token file written (sealed digest).
    for ((party, _, file), t) in padan::demo::LISTS.iter().zip(&toks) {
        let r = json(&p.join(format!("{party}.r.json")));
        let list = format!("d/{file}");
        assert_eq!(r["inputs"][0]["sha256"], sha(&list).as_str(), "{list}");
        assert_eq!(r["inputs"][0]["bytes"], len(&list), "{list}");
        assert_eq!(r["outputs"][0]["sha256"], sha(t).as_str(), "{t}");
        assert_eq!(r["outputs"][0]["bytes"], len(t), "{t}");
    }

    // Tampering: a modified, a removed and a reordered entry, each caught at its line.
    let log = std::fs::read_to_string(p.join("audit.log")).unwrap();
    let lines: Vec<&str> = log.lines().collect();
    let modified = log.replacen("\"event\":\"compare\"", "\"event\":\"kompare\"", 1);
    let removed = format!("{}\n{}\n", lines[0], lines[2]);
    let reordered = format!("{}\n{}\n{}\n", lines[1], lines[0], lines[2]);
    for (name, text, line) in [
        ("m.log", modified, 1),
        ("r.log", removed, 2),
        ("o.log", reordered, 1),
    ] {
        std::fs::write(p.join(name), text).unwrap();
        let err = fails(&padan(&["audit", "verify", name], p));
        assert!(err.contains(&format!("{name}, baris {line}")), "{err}");
    }
    // A compare run refuses to extend a broken log, and writes nothing.
    let mut args = vec![
        "compare",
        "--workflow",
        "d/workflow.json",
        "--out-dir",
        "res4",
        "--audit-log",
        "m.log",
    ];
    args.extend(toks.iter().map(String::as_str));
    let err = fails(&padan(&args, p));
    assert!(err.contains("m.log") && err.contains("diubah"), "{err}");
    assert!(
        !p.join("res4").exists(),
        "results written despite a broken log"
    );
    // Cutting the last entry off is caught against the published head.
    std::fs::write(p.join("t.log"), format!("{}\n{}\n", lines[0], lines[1])).unwrap();
    ok(&padan(&["audit", "verify", "t.log"], p));
    let err = fails(&padan(
        &["audit", "verify", "t.log", "--expect-head", &entry],
        p,
    ));
    assert!(err.contains("entri terakhir hilang"), "{err}");
}

fn hex_decode(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn hex_encode(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// On a terminal, the first use shows the officer's fingerprint and asks; "ya" trusts the
/// key (remembered), anything else refuses. `script` (util-linux) gives padan a terminal.
#[cfg(unix)]
#[test]
fn first_use_on_a_terminal_asks_for_confirmation() {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    ok(&padan(
        &["demo", "--out", "d", "--people", "200", "--seed", "3"],
        p,
    ));
    let fp = fingerprint_of(p, "d/officer.pub");
    let on_terminal = |answer: &str| {
        let cmd = format!(
            "{} check --workflow d/workflow.json --party dtks --input d/dtks.csv",
            env!("CARGO_BIN_EXE_padan")
        );
        let mut child = Command::new("script")
            .args(["-qec", &cmd, "/dev/null"])
            .current_dir(p)
            .env("PADAN_TRUST_STORE", p.join("trust.json"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("script (util-linux) runs");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(format!("{answer}\n").as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    };
    let out = on_terminal("tidak");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(!out.status.success(), "{text}");
    assert!(text.contains(&fp) && text.contains("Ketik 'ya'"), "{text}");
    assert!(!p.join("trust.json").exists(), "nothing trusted on 'tidak'");
    let out = on_terminal("ya");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{text}");
    assert!(json(&p.join("trust.json"))["officers"][0]["fingerprint"] == fp.as_str());
    // Remembered: no question the second time, even without a terminal.
    ok(&check(p, "d/workflow.json", &[]));
}
