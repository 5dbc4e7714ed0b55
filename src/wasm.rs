//! The WebAssembly binding: the only module that touches wasm-bindgen / js-sys / web-sys.
//!
//! Runs inside a Web Worker (`www/worker.js`), which turns the page's messages into calls of
//! the functions below. Every function is a thin adapter over `crate::pipeline`:
//! - inputs are `Blob`s (a `File` is a `Blob`) read in ~1 MiB `Blob.slice` chunks with
//!   `FileReaderSync` ([`BlobReader`]), so a 2-million-row list never sits in wasm memory;
//! - large outputs (token files, re-attached lists) leave wasm memory in 1 MiB pieces
//!   ([`JsSink`]) and are joined on the JavaScript side;
//! - scalar arguments come as one JSON request string ([`Req`]); results go back as plain
//!   JavaScript objects (reports are serialized with serde_json and `JSON.parse`d);
//! - errors are `Error` objects whose message is the core error's text (file, line, column,
//!   what to do).
//!
//! Key material is passed as owned byte vectors and zeroed here after use. Nothing is ever
//! logged.

use std::cell::RefCell;
use std::io::{self, BufRead, Read, Write};
use std::rc::Rc;

use js_sys::{Array, Function, Object, Reflect, Uint8Array, JSON};
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;
use web_sys::{Blob, FileReaderSync};
use zeroize::Zeroize;

use crate::approval::{Approval, Authorization, OfficerKey, TrustStore};
use crate::audit::{ApprovalFact, FileFact, Receipt};
use crate::date::Date;
use crate::keys::Secret;
use crate::pipeline::{self, Context, InputOptions, Progress};
use crate::workflow::Workflow;

/// Bytes read from a `Blob` per `FileReaderSync` call (4 MiB: each call is a round trip to
/// the browser's blob store; 1 MiB chunks spent about twice as long reading in Chromium).
pub const CHUNK: usize = 4 << 20;
/// The same for the helper workers' parts of a big list, where reading is a tenth of the
/// work: a call costs about 5 ms besides its bytes, and 16 MiB chunks cut a DTKS helper's
/// reading from about 400 to 300 ms (Chromium, alternating with 4 MiB) for 12 MiB more
/// wasm memory per helper.
pub const PART_CHUNK: usize = 16 << 20;
/// `inspect` reads only this much of a file.
pub const INSPECT_BYTES: usize = 64 * 1024;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = performance, js_name = now)]
    fn perf_now() -> f64;
}

thread_local! {
    static READ_MS: std::cell::Cell<f64> = const { std::cell::Cell::new(0.0) };
}

/// Milliseconds this instance spent reading blobs ([`BlobReader`]) since the last call: the
/// worker reports it with its timings, for the browser benchmark.
#[wasm_bindgen]
pub fn take_read_ms() -> f64 {
    READ_MS.with(|c| c.replace(0.0))
}

thread_local! {
    static LAST_PANIC: RefCell<String> = const { RefCell::new(String::new()) };
}

fn install_panic_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        std::panic::set_hook(Box::new(|info| {
            // Location and message only (the core never formats row data into panics).
            let text = info.to_string();
            LAST_PANIC.with(|p| *p.borrow_mut() = text);
        }));
    });
}

/// The message of the last panic (a bug), for the worker's error report after a trap.
#[wasm_bindgen]
pub fn last_panic() -> String {
    LAST_PANIC.with(|p| p.borrow().clone())
}

/// Current size of the wasm linear memory in bytes (it never shrinks: this is the peak).
#[wasm_bindgen]
pub fn memory_bytes() -> f64 {
    (core::arch::wasm32::memory_size(0) * 65536) as f64
}

/// The crate version.
#[wasm_bindgen]
pub fn version() -> String {
    crate::VERSION.to_string()
}

/// `std::io::Read` over a `Blob`, reading `Blob.slice` chunks with `FileReaderSync`
/// (available in workers only).
pub struct BlobReader {
    blob: Blob,
    reader: FileReaderSync,
    size: f64,
    pos: f64,
    chunk: usize,
    buf: Vec<u8>,
    at: usize,
    /// Called with each chunk's `ArrayBuffer` once it is copied in, and the chunk's offset
    /// in the blob plus a base (see [`BlobReader::passing_chunks_to`]).
    pass_on: Option<(Function, f64)>,
}

impl BlobReader {
    pub fn new(blob: Blob) -> Result<BlobReader, JsValue> {
        BlobReader::with_chunk(blob, CHUNK)
    }

    /// A reader with a given chunk size (`tokenize_part`'s [`PART_CHUNK`]; tests use tiny
    /// chunks).
    pub fn with_chunk(blob: Blob, chunk: usize) -> Result<BlobReader, JsValue> {
        let reader = FileReaderSync::new()?;
        let size = blob.size();
        Ok(BlobReader {
            blob,
            reader,
            size,
            pos: 0.0,
            chunk: chunk.max(1),
            buf: Vec::new(),
            at: 0,
            pass_on: None,
        })
    }

    /// Hands each chunk read, once copied into wasm memory, to `f(array_buffer, offset)`,
    /// `offset` being `base` plus the chunk's place in the blob (`base`: where the blob
    /// starts in the file it was sliced from). The buffer is of no more use here, so `f`
    /// may transfer it to another worker: a helper's part passes the bytes it read to the
    /// worker that hashes the whole list, which then need not read them again. An
    /// exception in `f` fails the read.
    pub fn passing_chunks_to(mut self, f: Function, base: f64) -> BlobReader {
        self.pass_on = Some((f, base));
        self
    }

    /// Total size of the blob in bytes.
    #[allow(dead_code)] // used by tests/wasm_blob.rs
    pub fn size(&self) -> f64 {
        self.size
    }

    /// Bytes handed out so far.
    #[allow(dead_code)] // used by tests/wasm_blob.rs
    pub fn position(&self) -> f64 {
        self.pos - (self.buf.len() - self.at) as f64
    }

    fn fill(&mut self) -> io::Result<()> {
        self.at = 0;
        if self.pos >= self.size {
            self.buf.clear();
            return Ok(());
        }
        let t0 = perf_now();
        let end = (self.pos + self.chunk as f64).min(self.size);
        let piece = self
            .blob
            .slice_with_f64_and_f64(self.pos, end)
            .map_err(js_io_error)?;
        let ab = self
            .reader
            .read_as_array_buffer(&piece)
            .map_err(js_io_error)?;
        let arr = Uint8Array::new(&ab);
        // The buffer keeps its length from chunk to chunk: zeroed only where it grows.
        self.buf.resize(arr.length() as usize, 0);
        arr.copy_to(&mut self.buf);
        READ_MS.with(|c| c.set(c.get() + perf_now() - t0));
        if self.buf.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "berkas berubah atau terpotong saat dibaca",
            ));
        }
        if let Some((f, base)) = &self.pass_on {
            f.call2(&JsValue::NULL, &ab, &JsValue::from_f64(base + self.pos))
                .map_err(js_io_error)?;
        }
        self.pos += self.buf.len() as f64;
        Ok(())
    }
}

fn js_io_error(e: JsValue) -> io::Error {
    let msg = e
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| e.as_string())
        .unwrap_or_else(|| "browser file read error".into());
    io::Error::other(format!(
        "{msg} (berkas tidak dapat dibaca; apakah berkas diubah atau dipindahkan setelah dipilih? pilih ulang berkasnya)"
    ))
}

impl Read for BlobReader {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let avail = self.fill_buf()?;
        let n = avail.len().min(out.len());
        out[..n].copy_from_slice(&avail[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for BlobReader {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.at >= self.buf.len() {
            self.fill()?;
        }
        Ok(&self.buf[self.at..])
    }
    fn consume(&mut self, n: usize) {
        self.at = (self.at + n).min(self.buf.len());
    }
}

/// Reads a whole (small) blob into memory.
fn read_all(blob: &Blob) -> Result<Vec<u8>, JsError> {
    let mut v = Vec::with_capacity(blob.size() as usize);
    BlobReader::new(blob.clone())
        .map_err(js_err)?
        .read_to_end(&mut v)
        .map_err(|e| JsError::new(&e.to_string()))?;
    Ok(v)
}

/// `std::io::Write` that moves its bytes out of wasm memory in 4 MiB pieces, or straight
/// into one array outside wasm memory when the caller knows about how many bytes come
/// ([`JsSink::with_capacity`]).
pub struct JsSink {
    parts: Array,
    buf: Vec<u8>,
    len: usize,
    /// The array written in place, while everything fits in it.
    whole: Option<Uint8Array>,
}

impl Default for JsSink {
    fn default() -> Self {
        JsSink::new()
    }
}

impl JsSink {
    pub fn new() -> JsSink {
        JsSink {
            parts: Array::new(),
            buf: Vec::with_capacity(CHUNK),
            len: 0,
            whole: None,
        }
    }

    /// A sink for about `n` bytes at most: they are copied once, into an array of `n`
    /// bytes, instead of into pieces that `finish` then copies again. More bytes are
    /// taken too (the pieces' way from there on).
    pub fn with_capacity(n: usize) -> JsSink {
        JsSink {
            parts: Array::new(),
            // The pieces' buffer grows only if more bytes come than expected.
            buf: Vec::new(),
            len: 0,
            whole: u32::try_from(n).ok().map(Uint8Array::new_with_length),
        }
    }

    fn flush_part(&mut self) {
        if !self.buf.is_empty() {
            self.parts.push(&Uint8Array::from(&self.buf[..]));
            self.buf.clear();
        }
    }

    /// Everything written, as one `Uint8Array` (outside wasm memory).
    pub fn finish(mut self) -> Uint8Array {
        if let Some(w) = self.whole.take() {
            return w.subarray(0, self.len as u32);
        }
        self.flush_part();
        let all = Uint8Array::new_with_length(self.len as u32);
        let mut off = 0u32;
        for p in self.parts.iter() {
            let p: Uint8Array = p.unchecked_into();
            all.set(&p, off);
            off += p.length();
        }
        all
    }
}

impl Write for JsSink {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if let Some(w) = &self.whole {
            let end = self.len + data.len();
            if end <= w.length() as usize {
                w.subarray(self.len as u32, end as u32).copy_from(data);
                self.len = end;
                return Ok(data.len());
            }
            // More than expected: what came so far is the first piece.
            self.parts.push(&w.subarray(0, self.len as u32));
            self.whole = None;
        }
        self.len += data.len();
        if self.buf.len() + data.len() > CHUNK {
            self.flush_part();
        }
        if data.len() >= CHUNK {
            self.parts.push(&Uint8Array::from(data));
        } else {
            self.buf.extend_from_slice(data);
        }
        Ok(data.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The scalar arguments of a call, as one JSON object from the worker.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Req {
    pub file_name: String,
    pub options: InputOptions,
    pub workflow_name: String,
    pub key_name: String,
    pub party: String,
    /// `YYYY-MM-DD`, the user's local date.
    pub today: String,
    pub result_name: String,
    pub names: Vec<String>,
    pub people: Option<usize>,
    pub seed: Option<u64>,
    /// The approval file's text (required by every step that takes a workflow).
    pub approval: String,
    pub approval_name: String,
    /// The browser's trust store (`padan-trust/1` JSON; empty: trusts nothing yet).
    pub trust: String,
    /// `compare`: the caller fills in the SHA-256 of each result file in `audit_draft`
    /// (with WebCrypto, several times faster than SHA-256 in WebAssembly); they are left
    /// empty here, and `audit_append` refuses a draft that still lacks one.
    pub outputs_hashed_by_caller: bool,
}

impl Req {
    fn parse(json: &str) -> Result<Req, JsError> {
        install_panic_hook();
        let bad = |e: serde_json::Error| {
            JsError::new(&format!("internal: bad request to the padan worker: {e}"))
        };
        let mut v: serde_json::Value = serde_json::from_str(json).map_err(bad)?;
        // Accept the spelled-out tab a form might send.
        if let Some(d) = v.pointer_mut("/options/delimiter") {
            if matches!(d.as_str(), Some("tab" | "TAB" | "\\t")) {
                *d = serde_json::Value::String("\t".into());
            }
        }
        serde_json::from_value(v).map_err(bad)
    }
    /// The core's context of a step on `wf`, as this request names and dates it.
    fn context<'a>(&'a self, wf: &'a Workflow) -> Result<Context<'a>, JsError> {
        Ok(Context {
            workflow: wf,
            workflow_file: self.name(&self.workflow_name, "workflow.json"),
            today: self.today()?,
        })
    }

    fn today(&self) -> Result<Date, JsError> {
        let p: Vec<&str> = self.today.split('-').collect();
        let num = |i: usize| p.get(i).and_then(|s| s.parse::<u16>().ok());
        match (p.len(), num(0), num(1), num(2)) {
            (3, Some(y), Some(m), Some(d)) if (1..=12).contains(&m) && (1..=31).contains(&d) => {
                Ok(Date {
                    year: y,
                    month: m as u8,
                    day: d as u8,
                })
            }
            _ => Err(JsError::new(&format!(
                "internal: bad date '{}' from the padan worker",
                self.today
            ))),
        }
    }
    fn name<'a>(&'a self, s: &'a str, default: &'a str) -> &'a str {
        if s.is_empty() {
            default
        } else {
            s
        }
    }
}

fn js_err(e: JsValue) -> JsError {
    JsError::new(&e.as_string().unwrap_or_else(|| format!("{e:?}")))
}

fn core_err(e: crate::Error) -> JsError {
    JsError::new(&e.to_string())
}

fn to_js<T: Serialize + ?Sized>(v: &T) -> Result<JsValue, JsError> {
    let s = serde_json::to_string(v).map_err(|e| JsError::new(&format!("internal: {e}")))?;
    JSON::parse(&s).map_err(js_err)
}

fn obj(fields: &[(&str, JsValue)]) -> Result<JsValue, JsError> {
    let o = Object::new();
    for (k, v) in fields {
        Reflect::set(&o, &JsValue::from_str(k), v).map_err(js_err)?;
    }
    Ok(o.into())
}

fn progress_fn(cb: &Function, total: f64) -> impl FnMut(Progress) + '_ {
    move |p: Progress| {
        let _ = cb.call3(
            &JsValue::NULL,
            &JsValue::from_f64(p.rows as f64),
            &JsValue::from_f64(p.bytes as f64),
            &JsValue::from_f64(total),
        );
    }
}

/// The workflow, only when its approval passes [`crate::approval::authorize`] against the
/// browser's trust store: every step goes through here, so nothing runs unapproved.
fn parse_workflow(req: &Req, workflow: &[u8]) -> Result<Workflow, JsError> {
    Ok(authorized(req, workflow)?.0)
}

fn authorized(req: &Req, workflow: &[u8]) -> Result<(Workflow, Authorization), JsError> {
    let wf = parse_workflow_unchecked(req, workflow)?;
    let (approval, trust) = approval_inputs(req)?;
    let auth = crate::approval::authorize(
        &wf,
        req.name(&req.workflow_name, "workflow.json"),
        &approval,
        req.name(&req.approval_name, "workflow.approval.json"),
        &trust,
        req.today()?,
    )
    .map_err(core_err)?;
    Ok((wf, auth))
}

fn parse_workflow_unchecked(req: &Req, workflow: &[u8]) -> Result<Workflow, JsError> {
    Workflow::parse(workflow, req.name(&req.workflow_name, "workflow.json")).map_err(core_err)
}

fn approval_inputs(req: &Req) -> Result<(Approval, TrustStore), JsError> {
    let name = req.name(&req.approval_name, "workflow.approval.json");
    if req.approval.trim().is_empty() {
        return Err(core_err(crate::Error::approval(
            name,
            None,
            "berkas persetujuan pejabat PDP belum dimuat. Tidak ada yang berjalan tanpa persetujuan. / The privacy officer's approval file is not loaded; nothing runs without it.",
        )));
    }
    let approval = Approval::parse(req.approval.as_bytes(), name).map_err(core_err)?;
    let trust = if req.trust.trim().is_empty() {
        TrustStore::default()
    } else {
        TrustStore::parse(req.trust.as_bytes(), "padan.trust").map_err(core_err)?
    };
    Ok((approval, trust))
}

/// Checks the approval of a workflow against the browser's trust store, first trusting
/// the officer fingerprints the user confirmed (`confirm`: a JSON array of strings).
/// `{ok: true, officers, required, trust}` (the store to keep, with the workflow id
/// remembered) or `{ok: false, untrusted: [[officer, fingerprint]], trust}`; any other
/// refusal is thrown.
#[wasm_bindgen]
pub fn approval_status(req: &str, workflow: &[u8], confirm: &str) -> Result<JsValue, JsError> {
    let req = Req::parse(req)?;
    let wf = parse_workflow_unchecked(&req, workflow)?;
    let (approval, mut trust) = approval_inputs(&req)?;
    let confirmed: Vec<String> = serde_json::from_str(confirm).unwrap_or_default();
    let today = req.today()?;
    trust.trust_confirmed(&approval, &confirmed, today);
    let name = req.name(&req.approval_name, "workflow.approval.json");
    match crate::approval::authorize(
        &wf,
        req.name(&req.workflow_name, "workflow.json"),
        &approval,
        name,
        &trust,
        today,
    ) {
        Ok(auth) => {
            trust.record(&auth, today);
            obj(&[
                ("ok", JsValue::TRUE),
                ("officers", to_js(&auth.officers)?),
                ("required", JsValue::from_f64(f64::from(auth.required))),
                ("approval_digest", JsValue::from_str(&auth.approval_digest)),
                (
                    "trust",
                    JsValue::from_str(&String::from_utf8_lossy(&trust.to_bytes())),
                ),
            ])
        }
        Err(crate::Error::UntrustedOfficer { officers, .. }) => obj(&[
            ("ok", JsValue::FALSE),
            ("untrusted", to_js(&officers)?),
            (
                "trust",
                JsValue::from_str(&String::from_utf8_lossy(&trust.to_bytes())),
            ),
        ]),
        Err(e) => Err(core_err(e)),
    }
}

/// A workbook sheet in its CSV form: `{csv, info}` (`info`: sheets, the sheet read, header
/// rows, header, rows, damaged numbers; see [`crate::workbook::SheetTable`]). Compiled only
/// into the workbook module that the worker loads when an office opens an Excel file, so
/// the main module stays small. The CSV form then goes through the ordinary list path,
/// read as comma-separated UTF-8; the sheet's row numbers are its line numbers.
#[cfg(feature = "wasm-workbook")]
#[wasm_bindgen]
pub fn workbook_csv(req: &str, bytes: &[u8]) -> Result<JsValue, JsError> {
    let req = Req::parse(req)?;
    let name = req.name(&req.file_name, "list.xlsx");
    let table = crate::workbook::read_sheet(bytes, name, &req.options).map_err(core_err)?;
    obj(&[
        ("csv", Uint8Array::from(&table.csv[..]).into()),
        ("info", to_js(&table)?),
    ])
}

/// The annotated list (CSV bytes, as [`reattach`] gave them) as an .xlsx workbook:
/// `{bytes, file_name}`, the same cells as the CLI's `reattach --out X.xlsx` (every value a
/// string, formula-like values quote-prefixed text). In the workbook module only.
#[cfg(feature = "wasm-workbook")]
#[wasm_bindgen]
pub fn annotated_xlsx(req: &str, csv: &[u8]) -> Result<JsValue, JsError> {
    let req = Req::parse(req)?;
    let csv_name = req.name(&req.file_name, "hasil.csv");
    let stem = csv_name
        .rsplit_once('.')
        .map(|(s, _)| s)
        .unwrap_or(csv_name);
    let file_name = format!("{stem}.xlsx");
    let bytes = crate::annotated_xlsx::annotated_to_xlsx(csv, &file_name, req.today()?)
        .map_err(core_err)?;
    obj(&[
        ("bytes", Uint8Array::from(&bytes[..]).into()),
        ("file_name", JsValue::from_str(&file_name)),
    ])
}

/// The example workflow (`docs/example-workflow.json`), a starting point for the officer's form.
#[wasm_bindgen]
pub fn example_workflow() -> String {
    include_str!("../docs/example-workflow.json").to_string()
}

/// The privacy officer's plain-language summary of a workflow draft (its text): `{workflow,
/// digest, summary: {sections, warnings}, text}`; a draft that breaks a rule (such as a
/// match key of small value space) is thrown with the reason.
#[wasm_bindgen]
pub fn officer_summary(req: &str, workflow: &[u8]) -> Result<JsValue, JsError> {
    let req = Req::parse(req)?;
    let wf = parse_workflow_unchecked(&req, workflow)?;
    let s = crate::approval::summarize(&wf);
    obj(&[
        ("workflow", to_js(&wf)?),
        ("digest", JsValue::from_str(&wf.digest_hex())),
        ("summary", to_js(&s)?),
        ("text", JsValue::from_str(&s.to_text())),
        (
            "fuzzy_recommended",
            to_js(&crate::fuzzy::config::FuzzyConfig::recommended(&wf.fields))?,
        ),
    ])
}

/// A new officer key from 60 random bytes (`crypto.getRandomValues`): 32 for the key, 28
/// for the sealing salt and nonce. `{key_file, public_file, fingerprint}`.
#[wasm_bindgen]
pub fn officer_keygen(
    name: &str,
    passphrase: &str,
    mut random: Vec<u8>,
) -> Result<JsValue, JsError> {
    install_panic_hook();
    if random.len() != 60 {
        random.zeroize();
        return Err(JsError::new(
            "internal: officer_keygen needs 60 random bytes",
        ));
    }
    let mut seed = [0u8; 32];
    seed.copy_from_slice(&random[..32]);
    let mut sealing = [0u8; 28];
    sealing.copy_from_slice(&random[32..]);
    random.zeroize();
    let key = OfficerKey::from_seed(name, seed);
    seed.zeroize();
    let key = key.map_err(core_err)?;
    let sealed = key.seal(passphrase, sealing).map_err(core_err)?;
    let public = key.public();
    obj(&[
        (
            "key_file",
            JsValue::from_str(&String::from_utf8_lossy(&sealed)),
        ),
        (
            "public_file",
            JsValue::from_str(&String::from_utf8_lossy(&public.to_bytes())),
        ),
        ("fingerprint", JsValue::from_str(&public.fingerprint)),
    ])
}

/// Signs a workflow with a sealed officer key: adds the signature to `approval` (the
/// existing approval's text, or empty for a new one). `{approval, signatures, required,
/// fingerprint}`.
#[wasm_bindgen]
pub fn officer_sign(
    req: &str,
    workflow: &[u8],
    key_file: &[u8],
    passphrase: &str,
) -> Result<JsValue, JsError> {
    let req = Req::parse(req)?;
    let wf = parse_workflow_unchecked(&req, workflow)?;
    let name = req.name(&req.approval_name, "workflow.approval.json");
    let mut approval = if req.approval.trim().is_empty() {
        Approval::new(&wf)
    } else {
        Approval::parse(req.approval.as_bytes(), name).map_err(core_err)?
    };
    let key = OfficerKey::unseal(key_file, req.name(&req.key_name, "officer.key"), passphrase)
        .map_err(core_err)?;
    approval
        .sign(&key, &wf, req.today()?, name)
        .map_err(core_err)?;
    obj(&[
        (
            "approval",
            JsValue::from_str(&String::from_utf8_lossy(&approval.to_bytes())),
        ),
        (
            "signatures",
            JsValue::from_f64(approval.signatures.len() as f64),
        ),
        (
            "required",
            JsValue::from_f64(f64::from(wf.approvals_required)),
        ),
        (
            "fingerprint",
            JsValue::from_str(&crate::approval::fingerprint(&key.public_key())),
        ),
    ])
}

fn parse_secret(req: &Req, mut key: Vec<u8>) -> Result<Secret, JsError> {
    let s = Secret::parse_key_file(&key, req.name(&req.key_name, "padan.key")).map_err(core_err);
    key.zeroize();
    s
}

/// `{workflow, digest}` for a workflow file.
#[wasm_bindgen]
pub fn workflow_info(req: &str, workflow: &[u8]) -> Result<JsValue, JsError> {
    let req = Req::parse(req)?;
    let wf = parse_workflow_unchecked(&req, workflow)?;
    obj(&[
        ("workflow", to_js(&wf)?),
        ("digest", JsValue::from_str(&wf.digest_hex())),
    ])
}

/// `{kcv}` of a key file.
#[wasm_bindgen]
pub fn key_info(req: &str, key: Vec<u8>) -> Result<JsValue, JsError> {
    let req = Req::parse(req)?;
    let secret = parse_secret(&req, key)?;
    obj(&[("kcv", JsValue::from_str(&secret.kcv()))])
}

/// `{key_text, kcv}` of a new key made from 32 random bytes (`crypto.getRandomValues`).
#[wasm_bindgen]
pub fn keygen(mut random: Vec<u8>) -> Result<JsValue, JsError> {
    install_panic_hook();
    let mut bytes = [0u8; 32];
    if random.len() != 32 {
        random.zeroize();
        return Err(JsError::new(
            "internal: keygen needs exactly 32 random bytes",
        ));
    }
    bytes.copy_from_slice(&random);
    random.zeroize();
    let secret = Secret::from_bytes(bytes);
    bytes.zeroize();
    obj(&[
        ("key_text", JsValue::from_str(&secret.to_key_file())),
        ("kcv", JsValue::from_str(&secret.kcv())),
    ])
}

/// Detected dialect, header, suggested mapping and preview from the first 64 KiB.
#[wasm_bindgen]
pub fn inspect(req: &str, file: &Blob) -> Result<JsValue, JsError> {
    let req = Req::parse(req)?;
    let head_blob = file
        .slice_with_f64_and_f64(0.0, INSPECT_BYTES as f64)
        .map_err(js_err)?;
    let head = read_all(&head_blob)?;
    let ins = pipeline::inspect(&head, req.name(&req.file_name, "input.csv"), &req.options)
        .map_err(core_err)?;
    to_js(&ins)
}

/// The quality report of a list (nothing is written).
#[wasm_bindgen]
pub fn check(
    req: &str,
    file: &Blob,
    workflow: &[u8],
    progress: &Function,
) -> Result<JsValue, JsError> {
    let req = Req::parse(req)?;
    let wf = parse_workflow(&req, workflow)?;
    let ctx = req.context(&wf)?;
    let input = BlobReader::new(file.clone()).map_err(js_err)?;
    let mut cb = progress_fn(progress, file.size());
    let report = pipeline::check(
        &ctx,
        &req.party,
        input,
        req.name(&req.file_name, "input.csv"),
        &req.options,
        &mut cb,
    )
    .map_err(core_err)?;
    to_js(&report)
}

/// `{token_file: Uint8Array, file_name, summary}`.
#[wasm_bindgen]
pub fn tokenize(
    req: &str,
    file: &Blob,
    workflow: &[u8],
    key: Vec<u8>,
    progress: &Function,
) -> Result<JsValue, JsError> {
    let req = Req::parse(req)?;
    let secret = parse_secret(&req, key)?;
    let wf = parse_workflow(&req, workflow)?;
    let ctx = req.context(&wf)?;
    let input = BlobReader::new(file.clone()).map_err(js_err)?;
    let mut sink = JsSink::new();
    let mut cb = progress_fn(progress, file.size());
    let summary = pipeline::tokenize(
        &ctx,
        &secret,
        &req.party,
        input,
        req.name(&req.file_name, "input.csv"),
        &req.options,
        &mut sink,
        &mut cb,
    )
    .map_err(core_err)?;
    token_result(sink, &summary)
}

/// `{summary, summary_text, results: [{party, file_name, bytes}]}` for the token files.
/// `digests[i]`, when given and not null, is a 64-byte `Uint8Array`: the SHA-256 of file
/// `i`'s body (all but its last 32 bytes) then of the whole file, computed by the worker
/// with WebCrypto (see `crate::compare::FileDigests`); files without one are hashed here.
#[wasm_bindgen]
pub fn compare(
    req: &str,
    workflow: &[u8],
    files: Array,
    digests: Option<Array>,
    progress: &Function,
) -> Result<JsValue, JsError> {
    let req = Req::parse(req)?;
    let (wf, auth) = authorized(&req, workflow)?;
    let ctx = req.context(&wf)?;
    let (inputs, facts, total) = compare_inputs(&req, &files)?;
    let mut known = Vec::new();
    for d in digests.iter().flat_map(|a| a.iter()) {
        known.push(file_digests(d));
    }
    let mut cb = progress_fn(progress, total);
    let out = crate::compare::compare_prehashed(&ctx, inputs, &known, &mut cb).map_err(core_err)?;
    compare_result(&req, &auth, &wf, facts, out)
}

/// [`compare`] while the worker hashes the token files on another thread (WebCrypto):
/// the files are neither hashed nor their checksums checked here, and the result is
/// given out only by [`PendingCompare::confirm`] with the digests.
#[wasm_bindgen]
pub fn compare_begin(
    req: &str,
    workflow: &[u8],
    files: Array,
    progress: &Function,
) -> Result<PendingCompare, JsError> {
    let req = Req::parse(req)?;
    let (wf, auth) = authorized(&req, workflow)?;
    let ctx = req.context(&wf)?;
    let (inputs, facts, total) = compare_inputs(&req, &files)?;
    let mut cb = progress_fn(progress, total);
    let out = crate::compare::compare_unconfirmed(&ctx, inputs, &mut cb).map_err(core_err)?;
    Ok(PendingCompare {
        run: Some(PendingRun {
            req,
            auth,
            wf,
            facts,
            out,
        }),
    })
}

/// A comparison waiting for its token files' digests (from [`compare_begin`]).
#[wasm_bindgen]
pub struct PendingCompare {
    run: Option<PendingRun>,
}

struct PendingRun {
    req: Req,
    auth: Authorization,
    wf: Workflow,
    facts: Vec<FileFact>,
    out: crate::compare::Unconfirmed,
}

#[wasm_bindgen]
impl PendingCompare {
    /// Checks each token file's checksum against `digests[i]` (64-byte `Uint8Array`s, as
    /// for [`compare`]) and gives out what [`compare`] gives: a file whose checksum does
    /// not match is refused as damaged. Once only.
    pub fn confirm(&mut self, digests: Array) -> Result<JsValue, JsError> {
        let PendingRun {
            req,
            auth,
            wf,
            facts,
            out,
        } = self
            .run
            .take()
            .ok_or_else(|| JsError::new("internal: comparison already confirmed"))?;
        let mut known = Vec::new();
        for d in digests.iter() {
            known.push(
                file_digests(d)
                    .ok_or_else(|| JsError::new("internal: a token file's digests are missing"))?,
            );
        }
        let out = out.confirm(&known).map_err(core_err)?;
        compare_result(&req, &auth, &wf, facts, out)
    }
}

/// The 64 bytes of [`token_file_digests`] as `FileDigests`; anything else is `None`.
fn file_digests(d: JsValue) -> Option<crate::compare::FileDigests> {
    match d.dyn_into::<Uint8Array>() {
        Ok(a) if a.length() == 64 => {
            let v = a.to_vec();
            Some(crate::compare::FileDigests {
                body: v[..32].try_into().expect("32 bytes"),
                file: v[32..].try_into().expect("32 bytes"),
            })
        }
        _ => None,
    }
}

/// A token file's digests for [`compare`] and [`PendingCompare::confirm`], streamed
/// through SHA-256 here (for browsers without WebCrypto): 64 bytes, the SHA-256 of its
/// body (all but the last 32 bytes) then of the whole file.
#[wasm_bindgen]
pub fn token_file_digests(file: &Blob) -> Result<Uint8Array, JsError> {
    use sha2::{Digest, Sha256};
    install_panic_hook();
    let size = file.size() as u64;
    let body_len = size.saturating_sub(32);
    let mut r = BlobReader::new(file.clone()).map_err(js_err)?;
    let (mut body, mut whole) = (Sha256::new(), Sha256::new());
    let mut at = 0u64;
    loop {
        let buf = r.fill_buf().map_err(|e| JsError::new(&e.to_string()))?;
        if buf.is_empty() {
            break;
        }
        let in_body = (body_len.saturating_sub(at) as usize).min(buf.len());
        body.update(&buf[..in_body]);
        whole.update(buf);
        let n = buf.len();
        at += n as u64;
        r.consume(n);
    }
    let mut out = body.finalize().to_vec();
    out.extend_from_slice(&whole.finalize());
    Ok(Uint8Array::from(&out[..]))
}

type CompareInputs = (Vec<(String, Box<dyn Read>)>, Vec<FileFact>, f64);

/// The token files (Blobs) as the comparison's inputs, the audit record's facts about
/// them (digests filled in later) and their total size.
fn compare_inputs(req: &Req, files: &Array) -> Result<CompareInputs, JsError> {
    let mut inputs: Vec<(String, Box<dyn Read>)> = Vec::new();
    let mut facts = Vec::new();
    let mut total = 0.0;
    for (i, f) in files.iter().enumerate() {
        let blob: Blob = f
            .dyn_into()
            .map_err(|_| JsError::new("internal: compare expects Blobs"))?;
        total += blob.size();
        let name = req
            .names
            .get(i)
            .cloned()
            .unwrap_or_else(|| format!("tokens-{}", i + 1));
        // The digest comes from the comparison, which hashes what it reads.
        facts.push(FileFact::digested(
            name.clone(),
            String::new(),
            blob.size() as u64,
        ));
        inputs.push((name, Box::new(BlobReader::new(blob).map_err(js_err)?)));
    }
    Ok((inputs, facts, total))
}

/// What [`compare`] returns, with the run's record (`audit_draft`) for `audit_append`.
fn compare_result(
    req: &Req,
    auth: &Authorization,
    wf: &Workflow,
    mut facts: Vec<FileFact>,
    out: crate::compare::CompareOutput,
) -> Result<JsValue, JsError> {
    for (fact, sha256) in facts.iter_mut().zip(&out.input_sha256) {
        fact.sha256.clone_from(sha256);
    }
    // What the audit log and the receipt record of this run (see `audit_append`).
    let draft = AuditDraft {
        approval: ApprovalFact::from(auth),
        party: wf.coordinator.clone(),
        inputs: facts,
        outputs: out
            .results
            .iter()
            .map(|r| {
                if req.outputs_hashed_by_caller {
                    FileFact::digested(r.file_name.clone(), String::new(), r.bytes.len() as u64)
                } else {
                    FileFact::of(&r.file_name, &r.bytes)
                }
            })
            .collect(),
        counts: serde_json::to_value(&out.summary).map_err(|e| JsError::new(&e.to_string()))?,
    };
    let results = Array::new();
    for r in &out.results {
        results.push(&obj(&[
            ("party", JsValue::from_str(&r.party)),
            ("file_name", JsValue::from_str(&r.file_name)),
            ("bytes", Uint8Array::from(&r.bytes[..]).into()),
        ])?);
    }
    obj(&[
        ("summary", to_js(&out.summary)?),
        ("summary_text", JsValue::from_str(&out.summary_text)),
        ("results", results.into()),
        (
            "audit_draft",
            JsValue::from_str(
                &serde_json::to_string(&draft).map_err(|e| JsError::new(&e.to_string()))?,
            ),
        ),
    ])
}

/// The receipt of an office step (`check`, `tokenize`, `reattach`) in the browser, in the
/// same `padan-step-receipt/1` form as the CLI's: the approval is checked again (so the
/// receipt names exactly what was authorized), `files` is `[{name, sha256, bytes, party?,
/// records?}]` split into `inputs` and `outputs`, times come from the page's clock and
/// `counts` is the step's own report. Returns the receipt's JSON text.
#[wasm_bindgen]
pub fn step_receipt(req: &str, workflow: &[u8], args: &str) -> Result<JsValue, JsError> {
    #[derive(Deserialize)]
    struct Args {
        step: String,
        inputs: Vec<FileFact>,
        outputs: Vec<FileFact>,
        started: String,
        finished: String,
        counts: serde_json::Value,
    }
    let req = Req::parse(req)?;
    let a: Args =
        serde_json::from_str(args).map_err(|e| JsError::new(&format!("internal: {e}")))?;
    if !matches!(a.step.as_str(), "check" | "tokenize" | "reattach") {
        return Err(JsError::new(&format!("internal: unknown step {}", a.step)));
    }
    let (_, auth) = authorized(&req, workflow)?;
    let kcv = a
        .counts
        .get("kcv")
        .and_then(|k| k.as_str())
        .map(str::to_string);
    let (step, inputs, outputs, counts, started, finished) =
        (a.step, a.inputs, a.outputs, a.counts, a.started, a.finished);
    let receipt = Receipt {
        format: crate::audit::RECEIPT_FORMAT.into(),
        step,
        software: format!("padan {}", crate::VERSION),
        approval: ApprovalFact::from(&auth),
        party: req.party.clone(),
        kcv,
        inputs,
        outputs,
        started,
        finished,
        counts,
        audit_entry: None,
    };
    Ok(JsValue::from_str(&String::from_utf8_lossy(
        &receipt.to_bytes(),
    )))
}

fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// A comparison run as the coordinator's log and receipt record it.
#[derive(Serialize, Deserialize)]
struct AuditDraft {
    approval: ApprovalFact,
    party: String,
    inputs: Vec<FileFact>,
    outputs: Vec<FileFact>,
    counts: serde_json::Value,
}

/// Appends a comparison run (`draft`, from `compare`) to the coordinator's hash-chained
/// log (`log`: the previous log's bytes, or empty to start one). `{log, hash, entries,
/// receipt}`: the whole new log, the new entry's hash, the number of entries, and the
/// run's receipt (JSON text). A broken previous log is refused with its first bad line.
#[wasm_bindgen]
pub fn audit_append(
    log: &[u8],
    log_name: &str,
    started: &str,
    finished: &str,
    draft: &str,
) -> Result<JsValue, JsError> {
    install_panic_hook();
    let d: AuditDraft =
        serde_json::from_str(draft).map_err(|e| JsError::new(&format!("internal: {e}")))?;
    if let Some(f) = d
        .inputs
        .iter()
        .chain(&d.outputs)
        .find(|f| !is_sha256_hex(&f.sha256))
    {
        return Err(JsError::new(&format!(
            "internal: the run's record lacks the SHA-256 of {}",
            f.name
        )));
    }
    let name = if log_name.is_empty() {
        "audit.log"
    } else {
        log_name
    };
    let (entry, bytes) = crate::audit::append(
        log,
        name,
        finished,
        "compare",
        d.approval.clone(),
        d.inputs.clone(),
        d.outputs.clone(),
        d.counts.clone(),
    )
    .map_err(core_err)?;
    let mut full = log.to_vec();
    full.extend_from_slice(&bytes);
    let receipt = Receipt {
        format: crate::audit::RECEIPT_FORMAT.into(),
        step: "compare".into(),
        software: format!("padan {}", crate::VERSION),
        approval: d.approval,
        party: d.party,
        kcv: None,
        inputs: d.inputs,
        outputs: d.outputs,
        started: started.into(),
        finished: finished.into(),
        counts: d.counts,
        audit_entry: Some(entry.hash.clone()),
    };
    obj(&[
        ("log", Uint8Array::from(&full[..]).into()),
        ("hash", JsValue::from_str(&entry.hash)),
        ("entries", JsValue::from_f64(entry.seq as f64)),
        (
            "receipt",
            JsValue::from_str(&String::from_utf8_lossy(&receipt.to_bytes())),
        ),
    ])
}

/// `{entries, head}` of a valid log; a broken one is thrown with its first bad line.
#[wasm_bindgen]
pub fn audit_verify(log: &[u8], log_name: &str, expect_head: &str) -> Result<JsValue, JsError> {
    install_panic_hook();
    let head = (!expect_head.trim().is_empty()).then_some(expect_head);
    let r = crate::audit::verify(log, log_name, head).map_err(core_err)?;
    to_js(&r)
}

/// `{bytes, file_name, summary}`: the office's own list with the coordinator's result columns.
#[wasm_bindgen]
pub fn reattach(
    req: &str,
    file: &Blob,
    workflow: &[u8],
    key: Vec<u8>,
    result: &Blob,
    progress: &Function,
) -> Result<JsValue, JsError> {
    let req = Req::parse(req)?;
    let secret = parse_secret(&req, key)?;
    let wf = parse_workflow(&req, workflow)?;
    let ctx = req.context(&wf)?;
    let result_bytes = read_all(result)?;
    let input = BlobReader::new(file.clone()).map_err(js_err)?;
    let mut sink = JsSink::new();
    let mut cb = progress_fn(progress, file.size());
    let file_name = req.name(&req.file_name, "input.csv");
    let summary = pipeline::reattach(
        &ctx,
        &secret,
        &req.party,
        input,
        file_name,
        &req.options,
        &result_bytes,
        req.name(&req.result_name, "result"),
        &mut sink,
        &mut cb,
    )
    .map_err(core_err)?;
    let stem = file_name
        .rsplit_once('.')
        .map(|(s, _)| s)
        .unwrap_or(file_name);
    obj(&[
        ("bytes", sink.finish().into()),
        (
            "file_name",
            JsValue::from_str(&if summary.output_file.is_empty() {
                format!("{stem}_hasil.csv")
            } else {
                summary.output_file.clone()
            }),
        ),
        ("summary", to_js(&summary)?),
    ])
}

/// A shared in-memory file for `demo::generate`.
#[derive(Clone, Default)]
struct MemFile(Rc<RefCell<Vec<u8>>>);

impl Write for MemFile {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(data);
        Ok(data.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The demo key is derived from the seed, as `padan demo` does. Demo only.
fn demo_secret(seed: u64) -> Secret {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(b"padan demo key (never for real data)");
    h.update(seed.to_be_bytes());
    Secret::from_bytes(h.finalize().into())
}

/// `{files: [{name, bytes}]}`: the synthetic demo scenario (the lists, `truth.csv`,
/// `workflow.json` and `demo.key`, like `padan demo`).
#[wasm_bindgen]
pub fn demo(req: &str) -> Result<JsValue, JsError> {
    let req = Req::parse(req)?;
    let cfg = crate::demo::DemoConfig {
        people: req.people.unwrap_or(2000),
        seed: req.seed.unwrap_or(1),
    };
    let files: Rc<RefCell<Vec<(String, MemFile)>>> = Rc::default();
    let sink = Rc::clone(&files);
    let mut open = move |name: &str| -> io::Result<Box<dyn Write>> {
        let f = MemFile::default();
        sink.borrow_mut().push((name.to_string(), f.clone()));
        Ok(Box::new(f))
    };
    crate::demo::generate(&cfg, &mut open).map_err(|e| JsError::new(&e.to_string()))?;
    // The same workflow and key as `padan demo` writes (keep in step with src/main.rs).
    let parties: Vec<(&str, &str)> = crate::demo::LISTS
        .iter()
        .map(|(id, name, _)| (*id, *name))
        .collect();
    let wf = crate::workflow::demo_workflow(&parties, "2025-01-01", "2030-12-31");
    let wf_text =
        serde_json::to_string_pretty(&wf).map_err(|e| JsError::new(&e.to_string()))? + "\n";
    let key_text = demo_secret(cfg.seed).to_key_file();
    for (name, text) in [("workflow.json", wf_text), ("demo.key", key_text)] {
        let f = MemFile::default();
        f.0.borrow_mut().extend_from_slice(text.as_bytes());
        files.borrow_mut().push((name.to_string(), f));
    }
    for (name, bytes) in crate::approval::demo_officer_files(&wf, cfg.seed).map_err(core_err)? {
        let f = MemFile::default();
        f.0.borrow_mut().extend_from_slice(&bytes);
        files.borrow_mut().push((name.to_string(), f));
    }
    let arr = Array::new();
    for (name, f) in files.borrow().iter() {
        let bytes = f.0.borrow();
        arr.push(&obj(&[
            ("name", JsValue::from_str(name)),
            ("bytes", Uint8Array::from(&bytes[..]).into()),
        ])?);
    }
    obj(&[("files", arr.into())])
}

// ---- Tokenizing one list in several workers (see `crate::tokens::Tokenizer`) ----
//
// The worker that got the `tokenize` request asks for a plan, hands each part to a helper
// worker (`tokenize_part`), hashes the whole file meanwhile (`sha256_blob`), then merges
// (`tokenize_finish`). When the parts do not meet (a quoted line break across a cut) or a
// part fails, it runs the ordinary one-part `tokenize`, which is always right and gives the
// authoritative error message.

fn head_of(file: &Blob) -> Result<Vec<u8>, JsError> {
    let head = file
        .slice_with_f64_and_f64(0.0, crate::table::SNIFF_BYTES as f64)
        .map_err(js_err)?;
    read_all(&head)
}

/// `{starts: [offset...]}`: where the parts of the list begin, for `workers` helper
/// workers that take them one after another (`Tokenizer::part_starts`; one entry: do not
/// split).
#[wasm_bindgen]
pub fn tokenize_plan(
    req: &str,
    file: &Blob,
    workflow: &[u8],
    key: Vec<u8>,
    workers: u32,
) -> Result<JsValue, JsError> {
    let req = Req::parse(req)?;
    let secret = parse_secret(&req, key)?;
    let wf = parse_workflow(&req, workflow)?;
    let ctx = req.context(&wf)?;
    let head = head_of(file)?;
    let file_name = req.name(&req.file_name, "input.csv");
    let t =
        crate::tokens::Tokenizer::new(&ctx, &secret, &req.party, &head, file_name, &req.options)
            .map_err(core_err)?;
    let starts = t.part_starts(file.size() as u64, workers as usize);
    obj(&[("starts", to_js(&starts)?)])
}

/// One part, as the bytes of `PartOutput::to_bytes` (tokens: they stay in this browser).
/// `start` comes from [`tokenize_plan`]; `next_start` is the next part's start, if any.
/// With `chunks`, each chunk of the file read is handed to `chunks(array_buffer, offset)`
/// after use, `offset` counted from the start of the file (see
/// [`BlobReader::passing_chunks_to`]); together the parts' chunks hold every byte from
/// the first part's start to the end of the file.
#[wasm_bindgen]
#[allow(clippy::too_many_arguments)]
pub fn tokenize_part(
    req: &str,
    file: &Blob,
    workflow: &[u8],
    key: Vec<u8>,
    start: f64,
    next_start: Option<f64>,
    progress: &Function,
    chunks: Option<Function>,
) -> Result<Uint8Array, JsError> {
    let req = Req::parse(req)?;
    let secret = parse_secret(&req, key)?;
    let wf = parse_workflow(&req, workflow)?;
    let ctx = req.context(&wf)?;
    let head = head_of(file)?;
    let file_name = req.name(&req.file_name, "input.csv");
    let t =
        crate::tokens::Tokenizer::new(&ctx, &secret, &req.party, &head, file_name, &req.options)
            .map_err(core_err)?;
    let rest = file.slice_with_f64(start).map_err(js_err)?;
    // A part reads a little past its end (to the end of its last record): chunks no larger
    // than the part and 64 KiB, so that a small part (the last ones are 1 MiB) does not
    // read 16 MiB of the next.
    let chunk = next_start.map_or(PART_CHUNK, |n| {
        PART_CHUNK.min((n - start) as usize + (64 << 10))
    });
    let mut input = BlobReader::with_chunk(rest, chunk).map_err(js_err)?;
    if let Some(f) = chunks {
        input = input.passing_chunks_to(f, start);
    }
    let mut cb = progress_fn(progress, file.size());
    let part = t
        .run_part(start as u64, input, next_start.map(|n| n as u64), &mut cb)
        .map_err(core_err)?;
    drop(t);
    let bytes = part.into_bytes();
    Ok(Uint8Array::from(&bytes[..]))
}

/// Merges the parts (`Uint8Array`s from [`tokenize_part`], in order) into the token file:
/// `{token_file, file_name, summary}` like [`tokenize`], or `null` when the parts do not
/// meet (then run [`tokenize`]). With `unsealed`, the last 32 bytes of `token_file` are
/// zeros where its checksum belongs: the worker writes there the SHA-256 of the bytes
/// before them (WebCrypto; see `Tokenizer::finish_unsealed`).
#[wasm_bindgen]
#[allow(clippy::too_many_arguments)]
pub fn tokenize_finish(
    req: &str,
    file: &Blob,
    workflow: &[u8],
    key: Vec<u8>,
    parts: Array,
    input_sha256: Option<String>,
    unsealed: bool,
) -> Result<JsValue, JsError> {
    let req = Req::parse(req)?;
    let secret = parse_secret(&req, key)?;
    let wf = parse_workflow(&req, workflow)?;
    let ctx = req.context(&wf)?;
    let head = head_of(file)?;
    let file_name = req.name(&req.file_name, "input.csv");
    let t =
        crate::tokens::Tokenizer::new(&ctx, &secret, &req.party, &head, file_name, &req.options)
            .map_err(core_err)?;
    let mut outputs = Vec::with_capacity(parts.length() as usize);
    let mut bytes = 0;
    for p in parts.iter() {
        let raw = p.unchecked_into::<Uint8Array>().to_vec();
        bytes += raw.len();
        outputs.push(crate::tokens::PartOutput::from_bytes(raw).map_err(core_err)?);
    }
    // The token file: the parts' records (or fewer), its header and checksum.
    let mut sink = JsSink::with_capacity(bytes + (64 << 10));
    let done = if unsealed {
        t.finish_unsealed(outputs, input_sha256, &mut sink)
            .and_then(|s| {
                sink.write_all(&[0u8; 32])
                    .map_err(|e| crate::Error::io("(berkas token)", e))?;
                Ok(s)
            })
    } else {
        t.finish(outputs, input_sha256, &mut sink)
    };
    let summary = match done {
        Ok(s) => s,
        Err(crate::Error::PartsMismatch) => return Ok(JsValue::NULL),
        Err(e) => return Err(core_err(e)),
    };
    token_result(sink, &summary)
}

/// `{token_file, file_name, summary}`: what both tokenize paths hand back to the page.
fn token_result(
    sink: JsSink,
    summary: &crate::pipeline::TokenizeSummary,
) -> Result<JsValue, JsError> {
    obj(&[
        ("token_file", sink.finish().into()),
        ("file_name", JsValue::from_str(&summary.token_file)),
        ("summary", to_js(summary)?),
    ])
}

/// SHA-256 (hex) of a whole blob, streamed.
#[wasm_bindgen]
pub fn sha256_blob(file: &Blob) -> Result<String, JsError> {
    use sha2::{Digest, Sha256};
    install_panic_hook();
    let mut r = BlobReader::new(file.clone()).map_err(js_err)?;
    let mut h = Sha256::new();
    loop {
        let buf = r.fill_buf().map_err(|e| JsError::new(&e.to_string()))?;
        if buf.is_empty() {
            break;
        }
        h.update(buf);
        let n = buf.len();
        r.consume(n);
    }
    Ok(hex::encode(h.finalize()))
}
