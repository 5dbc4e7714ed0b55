//! End-to-end test of the browser app (www/) in headless Chromium, driven through
//! chromedriver with fantoccini.
//!
//! `browser_matches_cli_and_stays_local`: makes a demo with the `padan` CLI, serves www/ and
//! the demo over a local static server (with the app's CSP), and runs the whole workflow as
//! the users would: the office flow for every demo list (workflow + key, party, list, check,
//! tokens, receipt), the key custodian's key generation, the coordinator's comparison (also
//! refusing a file that is not a token file), and the re-attachment for every office. It
//! asserts that the browser's token files, summary, result files and annotated lists are
//! byte-for-byte what the CLI makes from the same inputs; that the receipts hold no NIK; that
//! nothing but the language choice is stored in the browser; and that every request the
//! browser made went to the local server's own static files (or blob:/data:).
//!
//! Needs `www/pkg` (run `cargo xtask build` first), /usr/bin/chromium and
//! /usr/bin/chromedriver. Screenshots go to target/screenshots/.
//!
//! `ui_with_mock_worker` (ignored; `cargo test --test e2e -- --ignored`) runs the pages
//! against tests/e2e/mock-worker.js, to look at the interface without a wasm build.

#![cfg(not(target_arch = "wasm32"))]

#[path = "e2e/harness.rs"]
mod harness;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::{Client, Locator};
use harness::*;
use serde_json::{json, Value};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A scratch directory under target/, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let p = root()
            .join("target/e2e")
            .join(format!("{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        Scratch(p)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if std::env::var_os("PADAN_E2E_KEEP").is_none() {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// The CLI, with a trust store of its own (the demo officer is trusted after `padan demo`).
fn padan(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_padan"))
        .args(args)
        .env(
            "PADAN_TRUST_STORE",
            Path::new(env!("CARGO_TARGET_TMPDIR")).join("e2e-trust.json"),
        )
        .output()
        .expect("run padan");
    assert!(
        out.status.success(),
        "padan {} failed ({}):\n{}\n{}",
        args.join(" "),
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The fingerprint in an officer public key file.
fn fingerprint_of(public: &Path) -> String {
    let v: Value = serde_json::from_slice(&std::fs::read(public).unwrap()).unwrap();
    v["fingerprint"].as_str().unwrap().to_string()
}

/// Loads the workflow and its approval on a page; the first time in this browser the
/// officer's fingerprint is shown and confirmed.
async fn load_approved(c: &Client, prefix: &str, wf: &Path, approval: &Path, fingerprint: &str) {
    upload(c, &format!("{prefix}-workflow"), &[wf]).await;
    wait_css(
        c,
        "main:not([hidden]) .workflow-card",
        "the workflow card",
        30,
    )
    .await;
    upload(c, &format!("{prefix}-approval"), &[approval]).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        if c.find(Locator::Css("main:not([hidden]) [data-testid=approval-ok]"))
            .await
            .is_ok()
        {
            return;
        }
        if let Ok(shown) = c
            .find(Locator::Css(
                "main:not([hidden]) [data-testid=officer-fingerprint]",
            ))
            .await
        {
            let text = shown.text().await.unwrap();
            assert_eq!(
                text.trim(),
                fingerprint,
                "the page shows another officer fingerprint"
            );
            click(c, &format!("#{prefix}-trust-officer")).await;
            wait_css(
                c,
                "main:not([hidden]) [data-testid=approval-ok]",
                "the approval accepted",
                30,
            )
            .await;
            return;
        }
        if std::time::Instant::now() > deadline {
            panic!(
                "the approval was neither accepted nor asked about: {:?}",
                visible_errors(c).await
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn p(path: &Path) -> &str {
    path.to_str().expect("UTF-8 path")
}

fn require_pkg() {
    let pkg = root().join("www/pkg");
    assert!(
        pkg.join("padan.js").is_file() && pkg.join("padan_bg.wasm").is_file(),
        "www/pkg is missing (no {}): run `cargo xtask build` first to build the WebAssembly package, then run the tests again",
        pkg.join("padan_bg.wasm").display()
    );
}

fn screenshots_dir() -> PathBuf {
    root().join("target/screenshots")
}

async fn click(c: &Client, css: &str) {
    let e = wait_css(c, css, css, 30).await;
    e.click()
        .await
        .unwrap_or_else(|err| panic!("click {css}: {err}"));
}

/// Waits until a button is enabled, then clicks it.
async fn click_enabled(c: &Client, css: &str, what: &str) {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let e = wait_css(c, css, what, 30).await;
        if e.is_enabled().await.unwrap_or(false) {
            e.click()
                .await
                .unwrap_or_else(|err| panic!("click {what}: {err}"));
            return;
        }
        if std::time::Instant::now() > deadline {
            panic!(
                "{what} ({css}) stayed disabled; errors on the page: {:?}",
                visible_errors(c).await
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn upload(c: &Client, input_id: &str, files: &[&Path]) {
    let input = c
        .find(Locator::Id(input_id))
        .await
        .unwrap_or_else(|e| panic!("file input #{input_id}: {e}"));
    let list: Vec<&str> = files.iter().map(|f| p(f)).collect();
    input
        .send_keys(&list.join("\n"))
        .await
        .unwrap_or_else(|e| panic!("upload to #{input_id}: {e}"));
}

/// Opens a page as a fresh document (a new query string, so a hash change never reuses
/// the previous page's state).
async fn open(c: &Client, url: &str) {
    static LOADS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = LOADS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let url = match url.split_once('#') {
        Some((doc, hash)) => format!("{doc}?load={n}#{hash}"),
        None => format!("{url}?load={n}"),
    };
    c.goto(&url).await.expect("open page");
    wait_css(c, "main:not([hidden]) h1", "the page heading", 30).await;
    install_download_hook(c).await;
}

/// Office: workflow, key, party, list (the start of both the token and the re-attach flow).
async fn office_setup(c: &Client, origin: &str, files: &Files, party: &str, list: &Path) -> String {
    open(c, &format!("{origin}/index.html#office")).await;
    load_approved(c, "office", &files.wf, &files.approval, &files.fingerprint).await;
    upload(c, "office-key", &[&files.key]).await;
    let kcv = wait_css(c, "#page-office [data-testid=kcv]", "the KCV", 30)
        .await
        .text()
        .await
        .unwrap();
    let select = wait_css(c, "#office-party", "the party select", 30).await;
    select
        .select_by_value(party)
        .await
        .unwrap_or_else(|e| panic!("select party {party}: {e}"));
    upload(c, "office-list", &[list]).await;
    wait_css(c, "#page-office .table-preview", "the list preview", 60).await;
    kcv
}

/// The workflow, its approval, the officer's fingerprint and the shared key.
struct Files {
    wf: PathBuf,
    approval: PathBuf,
    fingerprint: String,
    key: PathBuf,
}

struct OfficeOut {
    token_name: String,
    tokens: Vec<u8>,
    receipt: Vec<u8>,
}

async fn office_tokenize(
    c: &Client,
    origin: &str,
    files: &Files,
    party: &str,
    list: &Path,
    shot: Option<&str>,
) -> OfficeOut {
    office_setup(c, origin, files, party, list).await;
    click_enabled(c, "#office-check", "the check button").await;
    wait_css(
        c,
        "[data-testid=check-report]",
        "the data-quality report",
        120,
    )
    .await;
    click_enabled(c, "#office-tokenize", "the tokenize button").await;
    wait_css(
        c,
        "#office-download-tokens",
        "the token download button",
        300,
    )
    .await;
    wait_css(
        c,
        "[data-testid=tokenize-summary]",
        "the tokenize summary",
        10,
    )
    .await;
    if let Some(name) = shot {
        c.execute(
            "document.querySelector('[data-region=check]').scrollIntoView({block: 'start'});",
            vec![],
        )
        .await
        .unwrap();
        screenshot(c, &screenshots_dir(), &format!("{name}-check")).await;
        c.execute(
            "document.querySelector('[data-region=tokenize]').scrollIntoView({block: 'start'});",
            vec![],
        )
        .await
        .unwrap();
        screenshot(c, &screenshots_dir(), name).await;
    }
    click(c, "#office-download-tokens").await;
    let (token_name, tokens) =
        take_download(c, "the token file", |n| !n.contains("tanda-terima")).await;
    click(c, "#office-download-receipt").await;
    let (_, receipt) = take_download(c, "the receipt", |n| n.contains("tanda-terima")).await;
    OfficeOut {
        token_name,
        tokens,
        receipt,
    }
}

/// Types into a text field (after clearing it).
async fn type_into(c: &Client, id: &str, text: &str) {
    let e = wait_css(c, &format!("#{id}"), id, 30).await;
    e.clear()
        .await
        .unwrap_or_else(|err| panic!("clear #{id}: {err}"));
    e.send_keys(text)
        .await
        .unwrap_or_else(|err| panic!("type into #{id}: {err}"));
}

/// The privacy officer signs a workflow in the browser; the CLI accepts the signature; an
/// office refuses the workflow without its approval or with a tampered one, and accepts it
/// once the officer's fingerprint is confirmed.
async fn officer_flow(c: &Client, origin: &str, scratch: &Path, demo: &Path) {
    // An office refuses a workflow without an approval, and with a tampered one.
    open(c, &format!("{origin}/index.html#office")).await;
    upload(c, "office-workflow", &[&demo.join("workflow.json")]).await;
    wait_css(c, "#page-office .workflow-card", "the workflow card", 30).await;
    let status = wait_css(
        c,
        "[data-testid=office-approval-status]",
        "the approval status",
        10,
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(
        status.contains("persetujuan"),
        "no approval asked for: {status}"
    );
    assert!(
        c.find(Locator::Css("#office-party")).await.is_err(),
        "an unapproved workflow can be used (the party choice is offered)"
    );
    let mut tampered: Value =
        serde_json::from_slice(&std::fs::read(demo.join("workflow.approval.json")).unwrap())
            .unwrap();
    let sig = tampered["signatures"][0]["signature"]
        .as_str()
        .unwrap()
        .to_string();
    let flipped = format!(
        "{}{}",
        if sig.starts_with('0') { "1" } else { "0" },
        &sig[1..]
    );
    tampered["signatures"][0]["signature"] = flipped.into();
    let tampered_path = scratch.join("tampered.approval.json");
    std::fs::write(&tampered_path, serde_json::to_vec(&tampered).unwrap()).unwrap();
    upload(c, "office-approval", &[&tampered_path]).await;
    let err = wait_css(
        c,
        "[data-testid=office-approval-status] .alert-error",
        "the refusal of a tampered approval",
        30,
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(err.contains("tidak sah"), "tampered approval: {err}");
    assert!(
        c.find(Locator::Css("#office-party")).await.is_err(),
        "a tampered approval was accepted"
    );

    // The officer: a key pair, a workflow from the form, a signature.
    open(c, &format!("{origin}/index.html#officer")).await;
    type_into(c, "officer-name", "Pejabat PDP Uji").await;
    type_into(c, "officer-pass", "frasa sandi uji panjang").await;
    type_into(c, "officer-pass2", "frasa sandi uji panjang").await;
    click(c, "#officer-keygen").await;
    let fingerprint = wait_css(
        c,
        "[data-testid=officer-new-fingerprint]",
        "the new officer fingerprint",
        60,
    )
    .await
    .text()
    .await
    .unwrap();
    click(c, "#officer-download-key").await;
    let (_, key_file) = take_download(c, "the officer key", |n| n.ends_with(".key")).await;
    let key_text = String::from_utf8_lossy(&key_file).into_owned();
    assert!(key_text.contains("sealed_seed") && key_text.contains(fingerprint.trim()));
    let key_path = scratch.join("pejabat.key");
    std::fs::write(&key_path, &key_file).unwrap();
    click(c, "#officer-example").await;
    wait_css(
        c,
        "[data-testid=officer-summary]",
        "the plain-language summary",
        30,
    )
    .await;
    type_into(c, "wf-id", "cirebon-uji-pejabat").await;
    type_into(c, "wf-title", "Uji penandatanganan di peramban").await;
    // The summary follows the form.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        // The summary is rebuilt as the form changes: an element may go stale between the
        // lookup and the read; then look again.
        let text = match c.find(Locator::Css("[data-testid=officer-summary]")).await {
            Ok(e) => e.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        if text.contains("Uji penandatanganan di peramban") {
            assert!(text.contains("YANG KELUAR DARI TIAP KANTOR"), "{text}");
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the summary does not follow the form: {text}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Fuzzy matching is one check box (the recommended section from the core); the
    // summary then says what else leaves each office.
    click(c, "#wf-fuzzy").await;
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let text = match c.find(Locator::Css("[data-testid=officer-summary]")).await {
            Ok(e) => e.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        if text.contains("PENCOCOKAN MIRIP AKTIF") {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the summary does not mention fuzzy matching: {text}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let warnings = wait_css(c, "[data-testid=officer-warnings]", "the warnings", 10)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        warnings.contains("kesehatan"),
        "no warning about health data: {warnings}"
    );
    c.execute(
        "document.querySelector('[data-testid=officer-summary]').scrollIntoView({block: 'start'});",
        vec![],
    )
    .await
    .unwrap();
    screenshot(c, &screenshots_dir(), "officer-summary").await;
    upload(c, "officer-sign-key", &[&key_path]).await;
    type_into(c, "officer-sign-pass", "frasa sandi uji panjang").await;
    click(c, "#officer-sign").await;
    wait_css(c, "[data-testid=officer-signed]", "the signature", 60).await;
    c.execute(
        "document.getElementById('officer-sign').scrollIntoView({block: 'center'});",
        vec![],
    )
    .await
    .unwrap();
    screenshot(c, &screenshots_dir(), "officer-signed").await;
    click(c, "#officer-download-approval").await;
    let (ap_name, approval) =
        take_download(c, "the approval", |n| n.ends_with(".approval.json")).await;
    assert_eq!(ap_name, "cirebon-uji-pejabat.approval.json");
    click(c, "#officer-download-signed-workflow").await;
    let (wf_name, workflow) = take_download(c, "the signed workflow", |n| {
        n == "cirebon-uji-pejabat.json"
    })
    .await;
    let signed: serde_json::Value = serde_json::from_slice(&workflow).unwrap();
    assert_eq!(signed["fuzzy"]["similarity_percent"], 90, "{signed}");
    let wf_path = scratch.join(&wf_name);
    let ap_path = scratch.join(&ap_name);
    std::fs::write(&wf_path, &workflow).unwrap();
    std::fs::write(&ap_path, &approval).unwrap();
    // The CLI accepts the browser's signature (Ed25519 in wasm = Ed25519 natively).
    let out = padan(&[
        "officer",
        "verify",
        "--workflow",
        p(&wf_path),
        "--trust-officer",
        fingerprint.trim(),
    ]);
    assert!(out.contains("Persetujuan sah"), "{out}");
    // An office: the first use asks to confirm the new officer's fingerprint.
    open(c, &format!("{origin}/index.html#office")).await;
    upload(c, "office-workflow", &[&wf_path]).await;
    wait_css(c, "#page-office .workflow-card", "the workflow card", 30).await;
    upload(c, "office-approval", &[&ap_path]).await;
    let shown = wait_css(
        c,
        "[data-testid=officer-fingerprint]",
        "the fingerprint to confirm",
        30,
    )
    .await
    .text()
    .await
    .unwrap();
    assert_eq!(shown.trim(), fingerprint.trim());
    c.execute(
        "document.querySelector('[data-testid=officer-fingerprint]').scrollIntoView({block: 'center'});",
        vec![],
    )
    .await
    .unwrap();
    screenshot(c, &screenshots_dir(), "office-confirm-officer").await;
    click(c, "#office-trust-officer").await;
    wait_css(
        c,
        "#page-office [data-testid=approval-ok]",
        "the approval accepted",
        30,
    )
    .await;
    wait_css(c, "#office-party", "the party choice after approval", 10).await;
}

/// The column mapping an office chose is remembered per workflow and office (header
/// names and choices only) and offered again with the next list; it can be forgotten.
async fn remembered_mapping(c: &Client, origin: &str, files: &Files, demo: &Path) {
    let list = demo.join("dinkes_pbi.csv");
    office_setup(c, origin, files, "dinkes", &list).await;
    let detected = c
        .execute(
            "return document.getElementById('office-enc').value;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        detected,
        json!(""),
        "a fresh list starts with automatic encoding"
    );
    let enc = wait_css(c, "#office-enc", "the encoding choice", 10).await;
    enc.select_by_value("windows-1252").await.unwrap();
    wait_css(
        c,
        "#page-office .table-preview",
        "the list preview again",
        30,
    )
    .await;
    let key = "padan.mapping.cirebon-padan-demo.dinkes";
    let saved = c
        .execute(&format!("return localStorage.getItem('{key}');"), vec![])
        .await
        .unwrap();
    let saved = saved.as_str().unwrap_or_default().to_string();
    assert!(
        saved.contains("windows-1252"),
        "the choice is not remembered: {saved}"
    );
    let list_bytes = std::fs::read(&list).unwrap();
    let text = String::from_utf8_lossy(&list_bytes);
    let first_row: Vec<&str> = text
        .lines()
        .nth(1)
        .unwrap()
        .split([',', ';', '|', '\t'])
        .collect();
    for v in first_row.iter().filter(|v| v.len() > 3) {
        assert!(
            !saved.contains(v.trim_matches('"')),
            "the remembered mapping holds a value of the list: {v}"
        );
    }
    // A new page, the same office and workflow: the choice comes back.
    office_setup(c, origin, files, "dinkes", &list).await;
    wait_css(
        c,
        "[data-testid=mapping-remembered]",
        "the remembered-mapping note",
        30,
    )
    .await;
    let enc = c
        .execute(
            "return document.getElementById('office-enc').value;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        enc,
        json!("windows-1252"),
        "the remembered encoding is not applied"
    );
    screenshot(c, &screenshots_dir(), "office-mapping-remembered").await;
    click(c, "#office-forget-mapping").await;
    wait_css(
        c,
        "#page-office .table-preview",
        "the list preview after forgetting",
        30,
    )
    .await;
    let gone = c
        .execute(&format!("return localStorage.getItem('{key}');"), vec![])
        .await
        .unwrap();
    assert_eq!(gone, Value::Null, "the mapping was not forgotten");
}

/// An annotated .xlsx read back (calamine): every cell, which must be a string (no formula,
/// no number, so a NIK stays text).
fn xlsx_cells(bytes: &[u8]) -> Vec<Vec<String>> {
    use calamine::{Data, Reader};
    let mut wb = calamine::Xlsx::new(std::io::Cursor::new(bytes)).expect("an .xlsx");
    let name = wb.sheet_names()[0].clone();
    assert_eq!(
        wb.worksheet_formula(&name).unwrap().used_cells().count(),
        0,
        "a formula in the .xlsx"
    );
    let range = wb.worksheet_range(&name).unwrap();
    range
        .rows()
        .map(|r| {
            r.iter()
                .map(|d| match d {
                    Data::String(s) => s.clone(),
                    Data::Empty => String::new(),
                    other => panic!("not a string cell: {other:?}"),
                })
                .collect()
        })
        .collect()
}

fn zip_part(bytes: &[u8], part: &str) -> Vec<u8> {
    use std::io::Read;
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a zip");
    let mut out = Vec::new();
    z.by_name(part)
        .unwrap_or_else(|_| panic!("no {part} in the .xlsx"))
        .read_to_end(&mut out)
        .unwrap();
    out
}

/// A demo list (`;`-separated) as an .xlsx workbook: sheet "DATA PBI", two title rows above
/// the header, every value as text.
fn csv_to_xlsx(csv: &Path, out: &Path) {
    let bytes = std::fs::read(csv).unwrap();
    let text = match String::from_utf8(bytes.clone()) {
        Ok(s) => s,
        Err(_) => encoding_rs::WINDOWS_1252.decode(&bytes).0.into_owned(),
    };
    let text = text.trim_start_matches('\u{feff}');
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet().set_name("DATA PBI").unwrap();
    ws.write_string(0, 0, "DAFTAR PESERTA PBI-JK").unwrap();
    ws.write_string(1, 0, "Dinas Kesehatan Kabupaten Cirebon")
        .unwrap();
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(b';')
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    for (i, rec) in rdr.records().enumerate() {
        for (c, v) in rec.unwrap().iter().enumerate() {
            ws.write_string(2 + i as u32, c as u16, v).unwrap();
        }
    }
    wb.save(out).unwrap();
}

/// Every 16-digit run in a file (the NIKs and family-card numbers of a list).
fn sixteen_digit_runs(bytes: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(bytes);
    let mut out = Vec::new();
    let mut cur = String::new();
    for ch in text.chars().chain(std::iter::once(' ')) {
        if ch.is_ascii_digit() {
            cur.push(ch);
        } else {
            if cur.len() == 16 {
                out.push(cur.clone());
            }
            cur.clear();
        }
    }
    out
}

fn assert_local(origin: &str, urls: &[String], phase: &str) {
    for u in urls {
        let ok = u.starts_with(&format!("{origin}/"))
            || u.starts_with("blob:")
            || u.starts_with("data:");
        assert!(ok, "during {phase} the browser requested {u}, which is not one of the local server's files ({origin}/...)");
    }
}

/// Fails if the app's code (pages, modules, worker, wasm-bindgen glue, stylesheet) names an
/// http(s) address outside comments (the SVG namespace name is not a request).
fn no_remote_addresses_in_served_code() {
    let www = root().join("www");
    let mut files = vec![
        www.join("worker.js"),
        www.join("pkg/padan.js"),
        www.join("style.css"),
    ];
    for dir in [www.clone(), www.join("app")] {
        for e in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = e.path();
            if matches!(
                path.extension().and_then(|x| x.to_str()),
                Some("js" | "html")
            ) {
                files.push(path);
            }
        }
    }
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap_or_default();
        for (n, line) in text.lines().enumerate() {
            let t = line.trim_start();
            if t.starts_with("//") || t.starts_with('*') || t.starts_with("/*") {
                continue;
            }
            let cleaned = line.replace("http://www.w3.org/2000/svg", "");
            assert!(
                !cleaned.contains("http://") && !cleaned.contains("https://"),
                "{}:{}: the app names a remote address: {}",
                f.display(),
                n + 1,
                line.trim()
            );
        }
    }
}

/// Demo lists: (party id, file name) from the workflow's data parties and the demo table.
/// `padan demo` into `demo`, its officer trusted by the CLI's trust store.
fn trusted_demo(demo: &Path, people: &str, seed: &str) -> Files {
    padan(&["demo", "--out", p(demo), "--people", people, "--seed", seed]);
    let files = Files {
        wf: demo.join("workflow.json"),
        approval: demo.join("workflow.approval.json"),
        fingerprint: fingerprint_of(&demo.join("officer.pub")),
        key: demo.join("demo.key"),
    };
    assert!(
        files.wf.is_file() && files.key.is_file(),
        "padan demo wrote no workflow.json / demo.key in {}",
        demo.display()
    );
    padan(&[
        "officer",
        "trust",
        "--public",
        p(&demo.join("officer.pub")),
        "--fingerprint",
        &files.fingerprint,
    ]);
    files
}

/// The CLI's token file of `list` for `party`.
fn cli_tokenize(files: &Files, party: &str, list: &Path, out: &Path) {
    padan(&[
        "tokenize",
        "--workflow",
        p(&files.wf),
        "--key",
        p(&files.key),
        "--party",
        party,
        "--input",
        p(list),
        "--out",
        p(out),
    ]);
}

fn demo_lists() -> Vec<(String, String)> {
    padan::demo::LISTS
        .iter()
        .map(|(party, _, file)| (party.to_string(), file.to_string()))
        .collect()
}

/// The whole run has a deadline: on timeout the future is dropped, so the server and
/// chromedriver (with its browser) are stopped by their `Drop`.
const RUN_LIMIT: Duration = Duration::from_secs(600);

fn step(what: &str) {
    eprintln!("[e2e] {what}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_matches_cli_and_stays_local() {
    require_pkg();
    tokio::time::timeout(RUN_LIMIT, full_flow())
        .await
        .expect("the browser run took longer than 10 minutes");
}

async fn full_flow() {
    let scratch = Scratch::new("run");
    let demo = scratch.0.join("demo");
    let cli = scratch.0.join("cli");
    let browser = scratch.0.join("browser");
    for d in [&cli, &browser] {
        std::fs::create_dir_all(d).unwrap();
    }
    let files = trusted_demo(&demo, "3000", "7");
    let (wf, key) = (files.wf.clone(), files.key.clone());

    // The offline single file, opened from disk as single/index.html (the same page bytes).
    let single = scratch.0.join("single");
    std::fs::create_dir_all(&single).unwrap();
    std::fs::copy(root().join("dist/padan.html"), single.join("index.html"))
        .expect("dist/padan.html (run `cargo xtask build`)");
    let server = StaticServer::start(vec![
        ("/".into(), root().join("www")),
        ("/demo/".into(), demo.clone()),
    ]);
    let origin = server.origin();
    let driver = Driver::start(scratch.0.join("profile"));
    let c = connect(
        &driver,
        capabilities(&driver.profile, &scratch.0.join("downloads")),
    )
    .await;
    // The browser's own start-up (its new-tab page, before any of ours) is not ours to judge.
    let startup = drain_requests(&driver, &c).await;
    step(&format!("browser start-up requests (ignored): {startup:?}"));
    let mut requests: Vec<(String, Vec<String>)> = Vec::new();

    step("start page");
    // Start page, language switch (the only thing stored).
    open(&c, &format!("{origin}/index.html")).await;
    screenshot(&c, &screenshots_dir(), "start").await;
    let h1_id = wait_css(&c, "#page-home h1", "home heading", 10)
        .await
        .text()
        .await
        .unwrap();
    click(&c, "#lang-switch").await;
    let h1_en = wait_css(&c, "#page-home h1", "home heading", 10)
        .await
        .text()
        .await
        .unwrap();
    assert_ne!(h1_id, h1_en, "the language switch changed nothing");
    assert!(
        h1_en.contains("matching"),
        "English heading expected, got {h1_en:?}"
    );
    click(&c, "#lang-switch").await;
    requests.push(("the start page".into(), drain_requests(&driver, &c).await));

    step("keyboard");
    // Keyboard only: Tab reaches the workflow and key file inputs (behind their drop zones).
    open(&c, &format!("{origin}/index.html#office")).await;
    let mut reached = Vec::new();
    for _ in 0..20 {
        c.perform_actions(
            KeyActions::new("keyboard".into())
                .then(KeyAction::Down { value: '\u{E004}' })
                .then(KeyAction::Up { value: '\u{E004}' }),
        )
        .await
        .unwrap();
        let id = c
            .execute(
                "return document.activeElement && document.activeElement.id;",
                vec![],
            )
            .await
            .unwrap();
        reached.push(id.as_str().unwrap_or("").to_string());
        if reached.iter().any(|r| r == "office-key") {
            break;
        }
    }
    assert!(
        reached.iter().any(|r| r == "office-workflow") && reached.iter().any(|r| r == "office-key"),
        "Tab does not reach the file inputs; focus went through {reached:?}"
    );
    let ring = c
        .execute(
            "return getComputedStyle(document.querySelector('#office-key + label')).outlineStyle;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        ring,
        json!("solid"),
        "the focused file input's drop zone shows no focus ring"
    );

    step("key custodian");
    // Key custodian: generate and download a key.
    open(&c, &format!("{origin}/index.html#custodian")).await;
    click(&c, "#custodian-keygen").await;
    let kcv = wait_css(
        &c,
        "#page-custodian [data-testid=kcv]",
        "the new key's KCV",
        30,
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(!kcv.trim().is_empty(), "empty KCV");
    screenshot(&c, &screenshots_dir(), "custodian-keygen").await;
    click(&c, "#custodian-download").await;
    let (key_name, key_bytes) = take_download(&c, "the key file", |n| n.ends_with(".key")).await;
    assert!(key_name.starts_with("kunci-"), "key file name {key_name}");
    assert!(!key_bytes.is_empty());
    requests.push((
        "the key custodian's key generation".into(),
        drain_requests(&driver, &c).await,
    ));

    step("privacy officer");
    officer_flow(&c, &origin, &scratch.0, &demo).await;
    requests.push((
        "the privacy officer's signing".into(),
        drain_requests(&driver, &c).await,
    ));

    step("remembered mapping");
    remembered_mapping(&c, &origin, &files, &demo).await;

    // Offices: tokens for every list, compared with the CLI's.
    let lists = demo_lists();
    let mut browser_tokens = Vec::new();
    for (i, (party, file)) in lists.iter().enumerate() {
        step(&format!("office {party}: tokens"));
        let list = demo.join(file);
        let shot = if i == 0 {
            Some("office-tokenized")
        } else {
            None
        };
        let out = office_tokenize(&c, &origin, &files, party, &list, shot).await;
        let cli_tokens = cli.join(format!("{party}.tokens"));
        cli_tokenize(&files, party, &list, &cli_tokens);
        let expected = std::fs::read(&cli_tokens).unwrap();
        let saved = browser.join(&out.token_name);
        std::fs::write(&saved, &out.tokens).unwrap();
        assert!(
            out.tokens == expected,
            "{party}: the browser's token file ({} bytes) differs from the CLI's ({} bytes)",
            out.tokens.len(),
            expected.len()
        );
        let list_bytes = std::fs::read(&list).unwrap();
        let receipt = String::from_utf8_lossy(&out.receipt).into_owned();
        for nik in sixteen_digit_runs(&list_bytes) {
            assert!(
                !receipt.contains(&nik),
                "{party}: the receipt contains a 16-digit number of the list ({nik})"
            );
        }
        assert!(
            receipt.contains(&out.token_name),
            "{party}: the receipt does not name the token file"
        );
        if i == 0 {
            // The step receipts (padan-step-receipt/1, as the CLI writes them).
            let list_sha = {
                use sha2::{Digest, Sha256};
                hex::encode(Sha256::digest(&list_bytes))
            };
            for (button, step) in [
                ("#office-check-receipt", "check"),
                ("#office-tokenize-receipt", "tokenize"),
            ] {
                click(&c, button).await;
                tokio::time::sleep(Duration::from_millis(1500)).await;
                eprintln!(
                    "[e2e] errors after {button}: {:?}",
                    visible_errors(&c).await
                );
                let (_, bytes) = take_download(&c, "a step receipt", |n| {
                    n.starts_with(&format!("tanda-terima-{step}-"))
                })
                .await;
                let r: Value = serde_json::from_slice(&bytes).expect("receipt JSON");
                assert_eq!(r["format"], "padan-step-receipt/1");
                assert_eq!(r["step"], step);
                assert_eq!(r["party"], party.as_str());
                assert_eq!(
                    r["inputs"][0]["sha256"],
                    list_sha.as_str(),
                    "{step}: the list's digest"
                );
                assert_eq!(r["approval"]["officers"][0], files.fingerprint.as_str());
                let text = String::from_utf8_lossy(&bytes).into_owned();
                // (The placeholder NIKs the check report names as examples of the kind of
                // problem, like 1234567890123456, are not anyone's data.)
                for nik in sixteen_digit_runs(&list_bytes) {
                    let placeholder =
                        nik == "1234567890123456" || nik.bytes().all(|b| b == nik.as_bytes()[0]);
                    assert!(
                        placeholder || !text.contains(&nik),
                        "{step} receipt holds a NIK: {nik}"
                    );
                }
            }
        }
        browser_tokens.push(saved);
    }
    assert!(
        !server
            .requests
            .lock()
            .unwrap()
            .iter()
            .any(|s| s.starts_with("/pkg/padan_workbook")),
        "the workbook module was loaded although no workbook was opened"
    );
    step("office dinkes: the same list as an Excel workbook");
    let xlsx = scratch.0.join("dinkes_pbi.xlsx");
    csv_to_xlsx(&demo.join("dinkes_pbi.csv"), &xlsx);
    let out = office_tokenize(&c, &origin, &files, "dinkes", &xlsx, None).await;
    let info = wait_css(
        &c,
        "[data-testid=workbook-info]",
        "the workbook's sheet and header row",
        10,
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(info.contains("DATA PBI"), "the sheet is not shown: {info}");
    let header_row = c
        .execute(
            "return document.getElementById('office-header-row').value;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        header_row,
        json!("3"),
        "the header row under the title rows is not found"
    );
    let cli_xlsx_tokens = cli.join("dinkes-xlsx.tokens");
    cli_tokenize(&files, "dinkes", &xlsx, &cli_xlsx_tokens);
    assert!(
        out.tokens == std::fs::read(&cli_xlsx_tokens).unwrap(),
        "the browser's tokens of the workbook differ from the CLI's"
    );
    let served = server.requests.lock().unwrap().clone();
    assert!(
        served
            .iter()
            .any(|s| s.starts_with("/pkg/padan_workbook_bg.wasm")),
        "the workbook module was not loaded for the workbook"
    );
    requests.push(("the office flows".into(), drain_requests(&driver, &c).await));
    step("padan.html from disk: the same workbook with the inlined workbook module");
    let before = server.requests.lock().unwrap().len();
    let single_out = office_tokenize(
        &c,
        &format!("file://{}", p(&single)),
        &files,
        "dinkes",
        &xlsx,
        None,
    )
    .await;
    assert!(
        single_out.tokens == std::fs::read(&cli_xlsx_tokens).unwrap(),
        "padan.html's tokens of the workbook differ from the CLI's"
    );
    let fetched: Vec<String> = server.requests.lock().unwrap()[before..].to_vec();
    assert!(
        fetched.is_empty(),
        "padan.html fetched from the server: {fetched:?}"
    );
    let single_url = format!("file://{}/", p(&single));
    for u in drain_requests(&driver, &c).await {
        assert!(
            u.starts_with(&single_url) || u.starts_with("blob:") || u.starts_with("data:"),
            "padan.html requested {u}"
        );
    }

    step("coordinator: refusal");
    // Coordinator: a list that is not a token file is refused with a message naming it.
    open(&c, &format!("{origin}/index.html#coordinator")).await;
    let body = c
        .find(Locator::Css("#page-coordinator"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !body.to_lowercase().contains("berkas kunci (.key)"),
        "the coordinator page must not ask for a key file"
    );
    assert!(
        c.find(Locator::Css("#page-coordinator input[accept*='.key']"))
            .await
            .is_err(),
        "the coordinator page has a key input"
    );
    load_approved(&c, "coord", &wf, &files.approval, &files.fingerprint).await;
    let bad = demo.join(&lists[0].1);
    upload(&c, "coord-files", &[&browser_tokens[0], &bad]).await;
    click_enabled(&c, "#coord-compare", "the compare button").await;
    let err = wait_css(
        &c,
        "#page-coordinator .alert-error",
        "the refusal of a non-token file",
        60,
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(
        err.contains(&lists[0].1),
        "the refusal does not name the file: {err}"
    );

    step("coordinator: compare");
    // Coordinator: the real comparison.
    open(&c, &format!("{origin}/index.html#coordinator")).await;
    load_approved(&c, "coord", &wf, &files.approval, &files.fingerprint).await;
    let refs: Vec<&Path> = browser_tokens.iter().map(|b| b.as_path()).collect();
    upload(&c, "coord-files", &refs).await;
    click_enabled(&c, "#coord-compare", "the compare button").await;
    wait_css(
        &c,
        "[data-testid=compare-summary]",
        "the comparison summary",
        300,
    )
    .await;
    let charts = c
        .find_all(Locator::Css("#page-coordinator svg.chart"))
        .await
        .unwrap();
    assert!(
        charts.len() >= 2,
        "expected the heatmap and the UpSet chart, found {} charts",
        charts.len()
    );
    c.execute("document.querySelector('#page-coordinator .chart-figure').scrollIntoView({block: 'start'});", vec![]).await.unwrap();
    screenshot(&c, &screenshots_dir(), "coordinator-charts").await;
    // The whole summary (charts included) in one picture: a tall window for a moment.
    c.set_window_size(1366, 3000).await.unwrap();
    let summary_el = c
        .find(Locator::Css("[data-testid=compare-summary]"))
        .await
        .unwrap();
    std::fs::write(
        screenshots_dir().join("coordinator-summary.png"),
        summary_el.screenshot().await.unwrap(),
    )
    .unwrap();
    // The printable report: with print media, the controls are hidden and the summary stays.
    let sid = c.session_id().await.unwrap().expect("session id");
    let cdp = format!("/session/{sid}/goog/cdp/execute");
    driver.post(
        &cdp,
        &json!({"cmd": "Emulation.setEmulatedMedia", "params": {"media": "print"}}),
    );
    let hidden = c
        .execute(
            "return ['#coord-compare', '#coord-print', '.topbar', '#coord-files + label'].map((s) => { const e = document.querySelector(s); return !e || getComputedStyle(e).display === 'none'; });",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        hidden,
        json!([true, true, true, true]),
        "print media must hide the controls"
    );
    c.execute("window.scrollTo(0, 0);", vec![]).await.unwrap();
    screenshot(&c, &screenshots_dir(), "coordinator-print").await;
    driver.post(
        &cdp,
        &json!({"cmd": "Emulation.setEmulatedMedia", "params": {"media": ""}}),
    );
    c.set_window_size(1366, 768).await.unwrap();

    let cli_out = cli.join("compare");
    let mut args = vec!["compare", "--workflow", p(&wf), "--out-dir", p(&cli_out)];
    let cli_inputs: Vec<PathBuf> = lists
        .iter()
        .map(|(party, _)| cli.join(format!("{party}.tokens")))
        .collect();
    args.extend(cli_inputs.iter().map(|x| p(x)));
    padan(&args);

    click(&c, "#coord-summary-json").await;
    let (_, summary) = take_download(&c, "the summary JSON", |n| n.ends_with(".json")).await;
    let summary: Value = serde_json::from_slice(&summary).expect("summary JSON");
    let cli_summary: Value = serde_json::from_slice(
        &std::fs::read(cli_out.join("summary.json")).expect("CLI summary.json"),
    )
    .unwrap();
    assert_eq!(
        summary, cli_summary,
        "the browser's summary differs from the CLI's summary.json"
    );

    // The run went into the coordinator's hash-chained log; the CLI verifies the browser's log.
    wait_css(&c, "[data-testid=coord-audit]", "the audit log entry", 30).await;
    click(&c, "#coord-download-log").await;
    let (log_name, log) = take_download(&c, "the audit log", |n| n.ends_with(".log")).await;
    let log_path = browser.join(&log_name);
    std::fs::write(&log_path, &log).unwrap();
    let verified = padan(&["audit", "verify", p(&log_path)]);
    assert!(verified.contains("1 entri"), "{verified}");
    click(&c, "#coord-download-receipt").await;
    let (_, receipt) = take_download(&c, "the comparison receipt", |n| {
        n.contains("tanda-terima-banding")
    })
    .await;
    let receipt: Value = serde_json::from_slice(&receipt).expect("receipt JSON");
    assert_eq!(receipt["step"], "compare");
    assert!(
        verified.contains(receipt["audit_entry"].as_str().unwrap()),
        "the receipt names the log entry"
    );
    assert_eq!(
        receipt["approval"]["officers"][0],
        files.fingerprint.as_str()
    );

    let buttons = c
        .find_all(Locator::Css("#page-coordinator button[data-party]"))
        .await
        .unwrap();
    assert_eq!(buttons.len(), lists.len(), "one result download per office");
    let mut results = Vec::new();
    for b in buttons {
        let party = b.attr("data-party").await.unwrap().unwrap();
        b.click().await.unwrap();
        let (name, bytes) = take_download(&c, "a result file", |n| n.contains(&party)).await;
        let cli_file = [
            cli_out.join(&name),
            cli_out.join(format!("{party}.result.csv")),
        ]
        .into_iter()
        .find(|f| f.is_file());
        let cli_file = cli_file.unwrap_or_else(|| {
            panic!(
                "the CLI wrote no result file for {party} ({name}) in {}",
                cli_out.display()
            )
        });
        assert!(
            std::fs::read(&cli_file).unwrap() == bytes,
            "{party}: the browser's result file {name} differs from the CLI's {}",
            cli_file.display()
        );
        let saved = browser.join(&name);
        std::fs::write(&saved, &bytes).unwrap();
        results.push((party, saved, cli_file));
    }
    requests.push((
        "the coordinator flow".into(),
        drain_requests(&driver, &c).await,
    ));

    // Offices again: re-attach the result to the same list.
    for (party, file) in &lists {
        step(&format!("office {party}: re-attach"));
        let list = demo.join(file);
        let (_, result, cli_result) = results
            .iter()
            .find(|(pp, _, _)| pp == party)
            .expect("a result for every office");
        office_setup(&c, &origin, &files, party, &list).await;
        upload(&c, "office-result", &[result]).await;
        click_enabled(&c, "#office-reattach", "the re-attach button").await;
        wait_css(
            &c,
            "#office-download-annotated",
            "the annotated-list download",
            300,
        )
        .await;
        click(&c, "#office-download-annotated").await;
        let (_, annotated) = take_download(&c, "the annotated list", |_| true).await;
        let cli_annotated = cli.join(format!("{party}.annotated.csv"));
        padan(&[
            "reattach",
            "--workflow",
            p(&wf),
            "--key",
            p(&key),
            "--party",
            party,
            "--input",
            p(&list),
            "--result",
            p(cli_result),
            "--out",
            p(&cli_annotated),
        ]);
        assert!(
            std::fs::read(&cli_annotated).unwrap() == annotated,
            "{party}: the browser's annotated list differs from the CLI's"
        );
        // The same list as .xlsx (made by the workbook module): the same cells as the CLI's.
        click(&c, "#office-download-annotated-xlsx").await;
        let (xlsx_name, xlsx) =
            take_download(&c, "the annotated .xlsx", |n| n.ends_with(".xlsx")).await;
        assert!(xlsx_name.ends_with("_hasil.xlsx"), "{xlsx_name}");
        let cli_xlsx = cli.join(format!("{party}.annotated.xlsx"));
        padan(&[
            "reattach",
            "--workflow",
            p(&wf),
            "--key",
            p(&key),
            "--party",
            party,
            "--input",
            p(&list),
            "--result",
            p(cli_result),
            "--out",
            p(&cli_xlsx),
        ]);
        let browser_cells = xlsx_cells(&xlsx);
        assert!(browser_cells.len() > 1, "{party}: an empty .xlsx");
        assert_eq!(
            browser_cells,
            xlsx_cells(&std::fs::read(&cli_xlsx).unwrap()),
            "{party}: the browser's .xlsx cells differ from the CLI's"
        );
        // Styles (the quote prefix of formula-like text) and the sheet itself: byte for byte.
        for part in [
            "xl/worksheets/sheet1.xml",
            "xl/sharedStrings.xml",
            "xl/styles.xml",
        ] {
            assert!(
                zip_part(&xlsx, part) == zip_part(&std::fs::read(&cli_xlsx).unwrap(), part),
                "{party}: {part} of the browser's .xlsx differs from the CLI's"
            );
        }
    }
    assert!(
        server
            .requests
            .lock()
            .unwrap()
            .iter()
            .any(|s| s.starts_with("/pkg/padan_workbook_bg.wasm")),
        "the .xlsx download did not use the workbook module"
    );
    requests.push((
        "the re-attachment flows".into(),
        drain_requests(&driver, &c).await,
    ));

    step("storage and network checks");
    // Nothing but the language choice is stored.
    let stored = c
        .execute("return {local: Object.keys(localStorage), session: Object.keys(sessionStorage), cookies: document.cookie};", vec![])
        .await
        .unwrap();
    let local: Vec<String> = serde_json::from_value(stored["local"].clone()).unwrap();
    assert!(
        local
            .iter()
            .all(|k| k == "padan.lang" || k == "padan.trust"),
        "localStorage holds more than the language and the trust store: {local:?}"
    );
    // The trust store: officer public keys and workflow digests, nothing of the lists or the key.
    let trust = c
        .execute("return localStorage.getItem('padan.trust') || '';", vec![])
        .await
        .unwrap();
    let trust = trust.as_str().unwrap_or("").to_string();
    assert!(
        trust.contains(&files.fingerprint),
        "the confirmed officer is not remembered: {trust}"
    );
    let key_text = std::fs::read_to_string(&key).unwrap();
    for line in key_text.lines().skip(1) {
        assert!(
            !trust.contains(line.trim()),
            "the trust store holds the shared key"
        );
    }
    assert!(
        sixteen_digit_runs(trust.as_bytes()).is_empty(),
        "the trust store holds a 16-digit number"
    );
    assert_eq!(stored["session"], json!([]), "sessionStorage is used");
    assert_eq!(stored["cookies"], json!(""), "cookies are set");
    let dbs = c
        .execute_async("const done = arguments[0]; indexedDB.databases().then((d) => done(d.map((x) => x.name)), () => done([]));", vec![])
        .await
        .unwrap();
    assert_eq!(dbs, json!([]), "IndexedDB is used");

    // Every request went to the local server's own files.
    let all: Vec<String> = requests.iter().flat_map(|(_, u)| u.clone()).collect();
    assert!(
        !all.is_empty(),
        "the performance log recorded no request at all (logging is broken)"
    );
    for (phase, urls) in &requests {
        assert_local(&origin, urls, phase);
    }
    // Chromium's performance log does not show a dedicated worker's own requests. The
    // worker's are covered by the server's log (it served them) and by this scan: no code the
    // browser runs names any address outside the page's origin.
    no_remote_addresses_in_served_code();
    let wasm_seen = all.iter().any(|u| u.ends_with("/pkg/padan_bg.wasm"));
    step(&format!(
        "{} requests checked, all local; the worker's wasm fetch seen in the log: {wasm_seen}",
        all.len()
    ));
    let served = server.requests.lock().unwrap().clone();
    for needed in [
        "/worker.js",
        "/pkg/padan_bg.wasm",
        "/app/main.js",
        "/style.css",
    ] {
        assert!(
            served.iter().any(|s| s.starts_with(needed)),
            "the server never served {needed}: {served:?}"
        );
    }
    c.close().await.ok();
}

const MOCK_WORKFLOW: &str = r#"{"format":"padan-workflow/1","id":"cirebon-2026-q1","title":"Pencocokan data kemiskinan Kabupaten Cirebon 2026","purpose":"Menyusun satu daftar kemiskinan terpadu","legal_basis":"UU 27/2022; Perbup Cirebon","parties":[{"id":"dtks","name":"Dinas Sosial (DTKS)","role":"data"},{"id":"dinkes","name":"Dinas Kesehatan (PBI-JK)","role":"data"},{"id":"disdik","name":"Dinas Pendidikan (PIP)","role":"data"},{"id":"dpmd","name":"DPMD (BLT Dana Desa)","role":"data"},{"id":"baznas","name":"Baznas","role":"data"},{"id":"bapelitbangda","name":"Bapelitbangda","role":"coordinator"}],"coordinator":"bapelitbangda","reference":"dtks","fields":["nik","name","birth_date"],"match_keys":[{"name":"nik","fields":["nik"]},{"name":"name_dob","fields":["name","birth_date"]}],"k":10,"valid_from":"2026-01-01","valid_until":"2026-12-31"}"#;

const MOCK_LIST: &str = "NIK;NAMA;TGL_LAHIR;JK;NO_KK;KECAMATAN;DESA\n\
3209014107800001;SITI AMINAH;01-07-1980;P;3209010101100001;WALED;WALED KOTA\n\
3209021203750002;H. MOCH. SOLEH;12/03/1975;L;3209020202120003;CILEDUG;JATIGUSTI\n\
3.20901E+15;NUR HAYATI;1990-05-17;P;3209030303130004;LOSARI;ASTANALANGGAR\n\
3209044508650003;IBU DJUARIAH;05 AGUSTUS 1965;P;3209040404140005;PABEDILAN;SILIH ASIH\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "looks at the pages with tests/e2e/mock-worker.js; run with --ignored"]
async fn ui_with_mock_worker() {
    tokio::time::timeout(RUN_LIMIT, mock_flow())
        .await
        .expect("the mock run took longer than 10 minutes");
}

async fn mock_flow() {
    let scratch = Scratch::new("mock");
    let overlay = scratch.0.join("overlay");
    std::fs::create_dir_all(&overlay).unwrap();
    std::fs::copy(
        root().join("tests/e2e/mock-worker.js"),
        overlay.join("worker.js"),
    )
    .unwrap();
    let files = scratch.0.join("files");
    std::fs::create_dir_all(&files).unwrap();
    let wf = files.join("workflow.json");
    std::fs::write(&wf, MOCK_WORKFLOW).unwrap();
    let key = files.join("demo.key");
    std::fs::write(&key, "padan-key/1\nMOCK\n").unwrap();
    let list = files.join("dtks.csv");
    std::fs::write(&list, MOCK_LIST).unwrap();

    let server = StaticServer::start(vec![
        ("/".into(), overlay.clone()),
        ("/".into(), root().join("www")),
    ]);
    let origin = server.origin();
    let driver = Driver::start(scratch.0.join("profile"));
    let c = connect(
        &driver,
        capabilities(&driver.profile, &scratch.0.join("downloads")),
    )
    .await;
    let shots = root().join("target/screenshots/mock");

    open(&c, &format!("{origin}/index.html")).await;
    screenshot(&c, &shots, "start").await;
    let approval = files.join("workflow.approval.json");
    std::fs::write(&approval, "{}").unwrap();
    let mock_files = Files {
        wf: wf.clone(),
        approval: approval.clone(),
        fingerprint: "AAAA-BBBB-CCCC-DDDD-EEEE".into(),
        key: key.clone(),
    };
    let out = office_tokenize(&c, &origin, &mock_files, "dtks", &list, None).await;
    assert!(!out.tokens.is_empty());
    c.execute(
        "document.querySelector('[data-region=check]').scrollIntoView({block: 'start'});",
        vec![],
    )
    .await
    .unwrap();
    screenshot(&c, &shots, "office-check").await;
    c.execute(
        "document.querySelector('[data-region=tokenize]').scrollIntoView({block: 'start'});",
        vec![],
    )
    .await
    .unwrap();
    screenshot(&c, &shots, "office-tokenized").await;
    c.execute("window.scrollTo(0, 0);", vec![]).await.unwrap();
    screenshot(&c, &shots, "office-top").await;
    c.execute(
        "document.querySelector('#page-office .table-preview').scrollIntoView({block: 'center'});",
        vec![],
    )
    .await
    .unwrap();
    screenshot(&c, &shots, "office-preview").await;
    let receipt = String::from_utf8_lossy(&out.receipt).into_owned();
    std::fs::write(shots.join("receipt.txt"), &receipt).unwrap();

    open(&c, &format!("{origin}/index.html#custodian")).await;
    click(&c, "#custodian-keygen").await;
    wait_css(&c, "#page-custodian [data-testid=kcv]", "KCV", 10).await;
    screenshot(&c, &shots, "custodian-keygen").await;

    open(&c, &format!("{origin}/index.html#coordinator")).await;
    screenshot(&c, &shots, "coordinator-top").await;
    load_approved(&c, "coord", &wf, &approval, "AAAA-BBBB-CCCC-DDDD-EEEE").await;
    let a = files.join("dtks.tokens");
    let b = files.join("dinkes.tokens");
    std::fs::write(&a, "x").unwrap();
    std::fs::write(&b, "y").unwrap();
    upload(&c, "coord-files", &[&a, &b]).await;
    click_enabled(&c, "#coord-compare", "compare").await;
    let summary = wait_css(&c, "[data-testid=compare-summary]", "summary", 30).await;
    c.execute("document.querySelector('#page-coordinator [data-testid=compare-summary]').scrollIntoView({block: 'start'});", vec![]).await.unwrap();
    screenshot(&c, &shots, "coordinator-summary-top").await;
    c.execute("document.querySelector('#page-coordinator .chart-figure').scrollIntoView({block: 'start'});", vec![]).await.unwrap();
    screenshot(&c, &shots, "coordinator-charts").await;
    std::fs::write(
        shots.join("coordinator-summary.png"),
        summary.screenshot().await.unwrap(),
    )
    .unwrap();
    c.execute(
        "document.getElementById('coord-print').scrollIntoView({block: 'center'});",
        vec![],
    )
    .await
    .unwrap();
    screenshot(&c, &shots, "coordinator-results").await;
    click(&c, "#lang-switch").await;
    screenshot(&c, &shots, "coordinator-en").await;
    let urls = drain_requests(&driver, &c).await;
    assert_local(&origin, &urls, "the mock run");
    c.close().await.ok();
}

/// The worker's path for big lists, which the page flow above (small lists) never takes:
/// a list cut into parts for helper workers, the input hashed and the token file sealed by
/// WebCrypto, then the coordinator's comparison with WebCrypto digests. `parts: 2` forces
/// the split on a small list. The token file must be the CLI's, byte for byte, and the
/// comparison's people count the CLI's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn worker_parts_match_cli() {
    require_pkg();
    tokio::time::timeout(RUN_LIMIT, parts_flow())
        .await
        .expect("the parts run took longer than 10 minutes");
}

async fn parts_flow() {
    let scratch = Scratch::new("parts");
    let demo = scratch.0.join("demo");
    // Parts are at least 1 MiB: 60,000 people make a DTKS list of about 6.3 MB, cut into
    // more parts than there are helpers (they take them one after another).
    let files = trusted_demo(&demo, "60000", "11");
    let cli = scratch.0.join("cli");
    std::fs::create_dir_all(&cli).unwrap();
    let mut want = Vec::new();
    let mut cli_files = Vec::new();
    for (party, file) in demo_lists() {
        let out = cli.join(format!("{party}.tokens"));
        cli_tokenize(&files, &party, &demo.join(&file), &out);
        let big = std::fs::metadata(demo.join(&file)).unwrap().len() >= 3 << 20;
        let sha256 = sha256_hex(&std::fs::read(&out).unwrap());
        let input = sha256_hex(&std::fs::read(demo.join(&file)).unwrap());
        want.push(
            json!({"party": party, "file": file, "big": big, "sha256": sha256, "input": input}),
        );
        cli_files.push(out);
    }
    let mut args = vec!["compare", "--workflow", p(&files.wf), "--out-dir"];
    let results_dir = cli.join("results");
    args.push(p(&results_dir));
    args.extend(cli_files.iter().map(|f| p(f)));
    padan(&args);
    let summary: Value =
        serde_json::from_slice(&std::fs::read(results_dir.join("summary.json")).unwrap()).unwrap();

    let server = StaticServer::start(vec![
        ("/".into(), root().join("www")),
        ("/demo/".into(), demo.clone()),
    ]);
    let origin = server.origin();
    let driver = Driver::start(scratch.0.join("profile"));
    let c = connect(
        &driver,
        capabilities(&driver.profile, &scratch.0.join("downloads")),
    )
    .await;
    open(&c, &format!("{origin}/index.html")).await;
    c.update_timeouts(fantoccini::wd::TimeoutConfiguration::new(
        Some(Duration::from_secs(300)),
        None,
        None,
    ))
    .await
    .unwrap();
    let got = c
        .execute_async(PARTS_SCRIPT, vec![json!(want)])
        .await
        .expect("the parts script ran");
    assert!(
        got.get("error").is_none(),
        "the worker failed: {}",
        got["error"]
    );
    assert!(
        want.iter().any(|w| w["big"] == json!(true)),
        "no list of 3 MiB"
    );
    let mut most_parts = 0;
    for (w, g) in want.iter().zip(got["lists"].as_array().expect("lists")) {
        if w["big"] == json!(true) {
            let parts = g["parts"].as_u64().expect("parts");
            assert!(parts >= 2, "{} was not split: {g}", w["file"]);
            let helpers = g["helper_parts"].as_array().expect("helper parts");
            assert_eq!(helpers.len(), 2, "{}: not two helpers: {g}", w["file"]);
            let taken: u64 = helpers.iter().map(|h| h.as_u64().expect("count")).sum();
            assert_eq!(taken, parts, "{}: parts lost or run twice: {g}", w["file"]);
            // The list's digest for the receipt came from a helper (while this worker
            // merged), which hashed the chunks the parts had read, not the file read again.
            assert!(
                g["hash_ms"].is_number(),
                "{}: no helper hashed the list: {g}",
                w["file"]
            );
            assert_eq!(
                g["hashed"], "chunks",
                "{}: the list was read again for its digest: {g}",
                w["file"]
            );
            most_parts = most_parts.max(parts);
        }
        assert_eq!(
            g["sha256"], w["sha256"],
            "the token file of {} made in parts differs from the CLI's",
            w["file"]
        );
        assert_eq!(
            g["input_sha256"], w["input"],
            "the receipt's digest of {} is not the list's SHA-256",
            w["file"]
        );
    }
    assert!(
        most_parts > 2,
        "no list was cut into more parts than helpers"
    );
    assert_eq!(
        got["people_total"], summary["people_total"],
        "the browser's comparison counts other people than the CLI's"
    );
    let digests = got["input_sha256"].as_array().expect("input digests");
    for (w, d) in want.iter().zip(digests) {
        assert_eq!(
            d, &w["sha256"],
            "the compare receipt's digest of {}",
            w["file"]
        );
    }
    // The result files' digests in the run's record (filled in by the worker with
    // WebCrypto) are those of the result files, which are the CLI's.
    let outputs = got["outputs"].as_array().expect("output facts");
    let results = got["results"].as_array().expect("result digests");
    assert_eq!(outputs.len(), want.len(), "one result file per office");
    for (o, r) in outputs.iter().zip(results) {
        let name = r["file_name"].as_str().expect("a result file name");
        assert_eq!(o["name"], r["file_name"]);
        assert_eq!(o["sha256"], r["sha256"], "the record's digest of {name}");
        let cli = sha256_hex(&std::fs::read(results_dir.join(name)).unwrap());
        assert_eq!(r["sha256"], json!(cli), "{name} differs from the CLI's");
    }
    // The token files were hashed by a helper worker while the comparison ran (the
    // result was confirmed against the digests), and a damaged file is refused by name.
    assert!(
        got["timings"].get("confirm_ms").is_some(),
        "the comparison did not take the helper's digests: {}",
        got["timings"]
    );
    let refused = got["refused"]
        .as_str()
        .expect("a damaged token file is refused");
    let damaged = got["damaged_name"].as_str().unwrap();
    assert!(
        refused.contains("checksum") && refused.contains(damaged),
        "{refused}"
    );
}

fn sha256_hex(b: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(b))
}

/// Runs in the page: tokenizes every demo list in the app's worker with `parts: 2`, then
/// compares the token files in a fresh worker, as the coordinator page does.
const PARTS_SCRIPT: &str = r#"
const [lists, done] = arguments;
(async () => {
  const get = async (name) => { const r = await fetch('/demo/' + name); if (!r.ok) throw new Error(name); return r.blob(); };
  const workflow = await (await get('workflow.json')).text();
  const approval = await (await get('workflow.approval.json')).text();
  const officer = JSON.parse(await (await get('officer.pub')).text());
  const trust = JSON.stringify({ format: 'padan-trust/1', min_signatures: 1, officers: [{ officer: officer.officer, public_key: officer.public_key, fingerprint: officer.fingerprint, trusted_on: '2025-01-01' }], workflows: [] });
  const key = await (await get('demo.key')).text();
  const call = (w, msg) => new Promise((resolve, reject) => {
    w.onmessage = (ev) => { const m = ev.data; if (m.type === 'done') resolve(m.result); else if (m.type === 'error') reject(new Error(m.message)); };
    w.postMessage(Object.assign({ id: 1 }, msg));
  });
  const gate = { workflow, workflow_name: 'workflow.json', approval, approval_name: 'workflow.approval.json', trust };
  const hex = (buf) => Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, '0')).join('');
  const out = [];
  const files = [];
  for (const l of lists) {
    const w = new Worker('worker.js', { type: 'module' });
    const file = new File([await get(l.file)], l.file);
    const r = await call(w, Object.assign({ op: 'tokenize', file, key, key_name: 'demo.key', party: l.party, parts: 2 }, gate));
    w.terminate();
    out.push({ parts: r.timings.parts, helper_parts: (r.timings.helpers || []).map((h) => h.parts), hash_ms: r.timings.hash_ms, hashed: r.timings.hashed, input_sha256: r.summary.input_sha256, sha256: hex(await crypto.subtle.digest('SHA-256', r.token_file)) });
    files.push(new File([r.token_file], r.file_name));
  }
  const w = new Worker('worker.js', { type: 'module' });
  const c = await call(w, Object.assign({ op: 'compare', files, names: files.map((f) => f.name) }, gate));
  // One byte of the last record of the second file changed on the way: refused.
  const bytes = new Uint8Array(await files[1].arrayBuffer());
  bytes[bytes.length - 40] ^= 1;
  const damaged = files.slice();
  damaged[1] = new File([bytes], files[1].name);
  let refused = null;
  try {
    await call(w, Object.assign({ op: 'compare', files: damaged, names: damaged.map((f) => f.name) }, gate));
  } catch (e) {
    refused = String(e && e.message || e);
  }
  w.terminate();
  const draft = JSON.parse(c.audit_draft);
  const results = [];
  for (const r of c.results) results.push({ file_name: r.file_name, sha256: hex(await crypto.subtle.digest('SHA-256', r.bytes)) });
  done({ lists: out, people_total: c.summary.people_total, input_sha256: draft.inputs.map((f) => f.sha256), outputs: draft.outputs, results,
    timings: c.timings, refused, damaged_name: files[1].name });
})().catch((e) => done({ error: String(e && e.message || e) }));
"#;
