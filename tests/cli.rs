//! The `padan` command line end to end, and every kind of bad input: each must give a
//! clear error naming the file, the line and the problem, exit with code 2, never panic,
//! and leave no output file behind.

#![cfg(not(target_arch = "wasm32"))]

mod common;
use common::*;

#[test]
fn keygen_workflow_tokenize_compare_reattach() {
    let d = demo();
    let p = &d.path;
    let out = ok(&padan(&["keygen", "--out", "k.key"], p));
    assert!(out.contains("KCV"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(p.join("k.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // Never overwrites a key silently.
    fails(&padan(&["keygen", "--out", "k.key"], p));
    let out = ok(&padan(&["workflow", "check", "d/workflow.json"], p));
    assert!(out.contains("digest: "));
    let out = ok(&padan(
        &[
            "check",
            "--workflow",
            "d/workflow.json",
            "--party",
            "dtks",
            "--input",
            "d/dtks.csv",
        ],
        p,
    ));
    assert!(out.contains("Baris dibaca"));
    let out = ok(&padan(
        &[
            "check",
            "--workflow",
            "d/workflow.json",
            "--party",
            "dinkes",
            "--input",
            "d/dinkes_pbi.csv",
            "--json",
        ],
        p,
    ));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(v["rows_read"].as_u64().unwrap() > 0);
    let mut toks = Vec::new();
    for (party, _, file) in padan::demo::LISTS {
        let t = format!("{party}.tokens");
        let out = ok(&tokenize_demo(
            p,
            party,
            &format!("d/{file}"),
            &t,
            &["--receipt", &format!("{party}.receipt.json")],
        ));
        assert!(out.contains("dijadikan token"));
        let receipt: serde_json::Value = serde_json::from_slice(
            &std::fs::read(p.join(format!("{party}.receipt.json"))).unwrap(),
        )
        .unwrap();
        let (i, t2, r) = (
            receipt["counts"]["rows_in"].as_u64().unwrap(),
            receipt["counts"]["rows_tokenized"].as_u64().unwrap(),
            receipt["counts"]["rows_rejected"].as_u64().unwrap(),
        );
        assert_eq!(receipt["step"], "tokenize");
        assert_eq!(receipt["inputs"][0]["records"].as_u64().unwrap(), i);
        assert_eq!(receipt["approval"]["officers"].as_array().unwrap().len(), 1);
        assert_eq!(i, t2 + r);
        toks.push(t);
    }
    let mut args = vec![
        "compare",
        "--workflow",
        "d/workflow.json",
        "--out-dir",
        "res",
    ];
    args.extend(toks.iter().map(String::as_str));
    let out = ok(&padan(&args, p));
    assert!(out.contains("Jumlah orang berbeda"));
    assert!(p.join("res/summary.json").exists());
    for (party, _, file) in padan::demo::LISTS {
        let res = format!("res/{party}.result.csv");
        ok(&reattach_demo(
            p,
            party,
            &format!("d/{file}"),
            &res,
            &format!("{party}.annotated.csv"),
            &[],
        ));
        let text = std::fs::read_to_string(p.join(format!("{party}.annotated.csv"))).unwrap();
        assert!(text.contains("PADAN_STATUS"));
    }

    // The coordinator refuses a key file in place of a token file.
    let mut args = vec![
        "compare",
        "--workflow",
        "d/workflow.json",
        "--out-dir",
        "res2",
        "d/demo.key",
    ];
    args.extend(toks.iter().map(String::as_str));
    let err = fails(&padan(&args, p));
    assert!(err.contains("KUNCI") && err.contains("demo.key"), "{err}");
    assert!(!p.join("res2/summary.json").exists());
    // Two files of one party.
    let err = fails(&padan(
        &[
            "compare",
            "--workflow",
            "d/workflow.json",
            "--out-dir",
            "res3",
            "dtks.tokens",
            "dtks.tokens",
        ],
        p,
    ));
    assert!(
        err.contains("dtks") && err.contains("satu berkas per pihak"),
        "{err}"
    );
    // Another key.
    ok(&padan(
        &[
            "tokenize",
            "--workflow",
            "d/workflow.json",
            "--key",
            "k.key",
            "--party",
            "dpmd",
            "--input",
            "d/dpmd_blt.csv",
            "--out",
            "other.tokens",
        ],
        p,
    ));
    let err = fails(&padan(
        &[
            "compare",
            "--workflow",
            "d/workflow.json",
            "--out-dir",
            "res3",
            "dtks.tokens",
            "other.tokens",
        ],
        p,
    ));
    assert!(err.contains("other.tokens") && err.contains("KCV"), "{err}");
    // Another workflow.
    let wf = std::fs::read_to_string(p.join("d/workflow.json"))
        .unwrap()
        .replace("\"k\": 5", "\"k\": 10")
        .replace("cirebon-padan-demo", "cirebon-lain");
    std::fs::write(p.join("wf2.json"), wf).unwrap();
    // Approved, so that the token files' own check is what refuses them.
    ok(&padan_pass(
        &[
            "officer",
            "sign",
            "--key",
            "d/officer.key",
            "--workflow",
            "wf2.json",
        ],
        p,
        "contoh-saja-bukan-rahasia",
    ));
    let err = fails(&padan(
        &[
            "compare",
            "--workflow",
            "wf2.json",
            "--out-dir",
            "res3",
            "dtks.tokens",
            "dinkes.tokens",
        ],
        p,
    ));
    assert!(
        err.contains("dtks.tokens") && err.contains("alur kerja lain"),
        "{err}"
    );
    // An unknown party.
    let err = fails(&tokenize_demo(
        p,
        "bappenas",
        "d/dtks.csv",
        "out.tokens",
        &[],
    ));
    assert!(
        err.contains("bappenas") && err.contains("tidak dikenal"),
        "{err}"
    );
    // A result file of another office.
    let err = fails(&reattach_demo(
        p,
        "dinkes",
        "d/dinkes_pbi.csv",
        "res/dtks.result.csv",
        "out.csv",
        &[],
    ));
    assert!(
        err.contains("dtks.result.csv") && err.contains("'dtks'"),
        "{err}"
    );
    // A tampered token file.
    let mut b = std::fs::read(p.join("dpmd.tokens")).unwrap();
    let n = b.len();
    b[n - 40] ^= 1;
    std::fs::write(p.join("bad.tokens"), b).unwrap();
    let err = fails(&padan(
        &[
            "compare",
            "--workflow",
            "d/workflow.json",
            "--out-dir",
            "res3",
            "dtks.tokens",
            "bad.tokens",
        ],
        p,
    ));
    assert!(
        err.contains("bad.tokens") && err.contains("checksum"),
        "{err}"
    );
    assert!(!p.join("res3").join("summary.json").exists());
    no_leftovers(p);
}

/// Tokenizes `content` as a dtks list and expects failure mentioning all of `needles`.
fn bad_list(content: &[u8], extra: &[&str], needles: &[&str]) {
    let d = demo();
    let p = &d.path;
    std::fs::write(p.join("list.csv"), content).unwrap();
    let mut args = vec![
        "tokenize",
        "--workflow",
        "d/workflow.json",
        "--key",
        "d/demo.key",
        "--party",
        "dtks",
        "--input",
        "list.csv",
        "--out",
        "out.tokens",
    ];
    args.extend_from_slice(extra);
    let err = fails(&padan(&args, p));
    for n in needles {
        assert!(err.contains(n), "missing {n:?} in: {err}");
    }
    no_leftovers(p);
    assert!(!p.join("out.tokens").exists());
}

const HEADER: &str = "NIK,NAMA,TGL_LAHIR,JK,KECAMATAN\n";
const ROW: &str = "3209014508800012,SITI AMINAH,05-08-1980,P,Waled\n";

#[test]
fn empty_file() {
    bad_list(b"", &[], &["list.csv", "kosong"]);
}

#[test]
fn header_only() {
    bad_list(
        HEADER.as_bytes(),
        &[],
        &["list.csv", "baris 2", "hanya ada baris judul"],
    );
}

#[test]
fn wrong_delimiter() {
    let data = format!("{}{}", HEADER.replace(',', ";"), ROW.replace(',', ";"));
    bad_list(
        data.as_bytes(),
        &["--delimiter", ","],
        &["list.csv", "baris 1", "pemisah"],
    );
}

#[test]
fn missing_required_column() {
    bad_list(
        b"NOMOR,ALAMAT\n1,JL. X\n",
        &[],
        &["list.csv", "baris 1", "kolom wajib", "NOMOR | ALAMAT"],
    );
}

#[test]
fn huge_field() {
    let mut data = format!("{HEADER}{ROW}").into_bytes();
    data.extend_from_slice(b"3209014508800012,\"");
    data.extend(std::iter::repeat_n(b'A', 100 << 20));
    data.extend_from_slice(b"\",05-08-1980,P,Waled\n");
    bad_list(&data, &[], &["list.csv", "baris 3", "terlalu panjang"]);
}

#[test]
fn invalid_utf8_after_the_sample() {
    let mut data = HEADER.to_string();
    while data.len() < 70_000 {
        data.push_str(ROW);
    }
    let line = data.lines().count() + 1;
    let mut bytes = data.into_bytes();
    bytes.extend_from_slice(b"3209014508800012,SITI \xFF\xFE,05-08-1980,P,Waled\n");
    bad_list(
        &bytes,
        &[],
        &["list.csv", &format!("baris {line}"), "kolom NAMA", "UTF-8"],
    );
}

#[test]
fn mismatched_key_file() {
    let d = demo();
    std::fs::write(d.path.join("k.key"), "padan-key/1\nkcv: 000000000000\nkey: 0000000000000000000000000000000000000000000000000000000000000000\n").unwrap();
    let err = fails(&padan(
        &[
            "tokenize",
            "--workflow",
            "d/workflow.json",
            "--key",
            "k.key",
            "--party",
            "dtks",
            "--input",
            "d/dtks.csv",
            "--out",
            "out.tokens",
        ],
        &d.path,
    ));
    assert!(err.contains("k.key") && err.contains("KCV"), "{err}");
    no_leftovers(&d.path);
}

/// Tokenizes `data` as the dtks list in `p` and returns the receipt's counts.
fn tokenize_counts(p: &std::path::Path, data: &[u8]) -> serde_json::Value {
    std::fs::write(p.join("list.csv"), data).unwrap();
    ok(&tokenize_demo(
        p,
        "dtks",
        "list.csv",
        "o.tokens",
        &["--receipt", "r.json"],
    ));
    let r: serde_json::Value =
        serde_json::from_slice(&std::fs::read(p.join("r.json")).unwrap()).unwrap();
    r["counts"].clone()
}

#[test]
fn ragged_rows_and_quoted_newlines_are_accounted_for() {
    let d = demo();
    let p = &d.path;
    let data = format!(
        "{HEADER}{ROW}3209015009800013,\"SITI\nRAHMAH\",10-09-1980,P,Waled\n3209015009800014,BUDI,10-09-1980\n3209011009800015,\"AHMAD, S.PD\",10-09-1980,L,Waled\n"
    );
    let r = &tokenize_counts(p, data.as_bytes());
    assert_eq!(r["rows_in"], 4);
    assert_eq!(r["rows_tokenized"], 3);
    assert_eq!(r["rows_rejected"], 1);
    assert_eq!(r["rejected"][0]["row"], 3);
    assert_eq!(
        r["rejected"][0]["line"], 5,
        "physical line after a quoted newline"
    );
    assert_eq!(r["rejected"][0]["reason"], "ragged_row");
    let text = std::fs::read_to_string(p.join("r.json")).unwrap();
    assert!(
        !text.contains("SITI") && !text.contains("3209015009800013"),
        "receipt holds no personal data"
    );
}

/// A list big enough to be cut into parts (one per core, at least 1 MiB each) whose
/// addresses hold quoted line breaks, so that a cut nearly always falls inside one: the
/// part after it cannot know it starts inside a quoted field, the parts do not meet, and
/// the CLI must read the file again in one part rather than fail or miscount.
#[test]
fn a_cut_inside_a_quoted_line_break_is_read_again_in_one_part() {
    let d = demo();
    let p = &d.path;
    let header = "NIK,NAMA,TGL_LAHIR,JK,KECAMATAN,ALAMAT\n";
    let street = "A".repeat(1900);
    let mut data = header.to_string();
    let rows = 1700;
    for i in 0..rows {
        data.push_str(&format!(
            "32090145088{:05},SITI AMINAH {i},05-08-1980,P,Waled,\"JL. {street} {i}\nRT 01\"\n",
            i + 1
        ));
    }
    // Over 3 MiB of rows, each with 99.6% of its bytes before its quoted line break.
    assert!(data.len() > 3 << 20);
    let r = &tokenize_counts(p, data.as_bytes());
    assert_eq!(r["rows_in"], rows);
    assert_eq!(r["rows_tokenized"], rows, "{r}");
    assert_eq!(r["rows_rejected"], 0, "{r}");
}

#[test]
fn invalid_workflow_is_refused_with_reason() {
    let d = demo();
    let p = &d.path;
    let wf = std::fs::read_to_string(p.join("d/workflow.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&wf).unwrap();
    for (fields, needle) in [
        (serde_json::json!(["birth_date"]), "terlalu kecil"),
        (serde_json::json!(["name"]), "terlalu kecil"),
        (
            serde_json::json!(["kecamatan", "birth_date"]),
            "terlalu kecil",
        ),
    ] {
        let mut w = v.clone();
        w["match_keys"][1]["fields"] = fields;
        std::fs::write(p.join("bad.json"), serde_json::to_string(&w).unwrap()).unwrap();
        let err = fails(&padan(&["workflow", "check", "bad.json"], p));
        assert!(
            err.contains("bad.json") && err.contains(needle) && err.contains("match_keys"),
            "{err}"
        );
    }
    std::fs::write(p.join("bad.json"), "{ not json").unwrap();
    let err = fails(&padan(&["workflow", "check", "bad.json"], p));
    assert!(err.contains("bad.json") && err.contains("baris 1"), "{err}");
}

/// Output piped into a reader that is gone (`padan ... | head`) ends padan quietly, as
/// it ends other tools: no panic message, no abort.
#[cfg(unix)]
#[test]
fn a_closed_stdout_pipe_ends_quietly() {
    use std::os::unix::process::ExitStatusExt;
    // The reading end is closed before padan starts: its first write finds no reader.
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_padan"))
        .args(["workflow", "example"])
        .stdout(writer)
        .output()
        .expect("padan runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stderr.is_empty(), "{stderr}");
    // Ended by SIGPIPE (13), the default action, not by SIGABRT or an error code.
    assert_eq!(out.status.signal(), Some(13), "{:?}", out.status);
}
