//! The `padan` command line: the only code that touches the terminal and the file system.
//! Every subcommand is a thin adapter over `padan::pipeline`.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand};

use padan::date::Date;
use padan::error::Error;
use padan::keys::Secret;
use padan::pipeline::{self, Context, InputOptions, Progress};
use padan::workflow::Workflow;

#[path = "cli/officer.rs"]
mod officer;

#[cfg(target_os = "linux")]
#[path = "cli/big_alloc.rs"]
mod big_alloc;

#[cfg(target_os = "linux")]
#[global_allocator]
static ALLOC: big_alloc::BigAlloc = big_alloc::BigAlloc;

#[derive(Parser)]
#[command(
    name = "padan",
    version,
    about = "Pencocokan daftar penerima bantuan yang menjaga privasi / privacy-preserving record matching"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(clap::Args, Clone, Default)]
struct InputArgs {
    /// Column choice, FIELD=HEADER (fields: nik, name, birth_date, place_birth_date, sex, no_kk, kecamatan, desa).
    #[arg(long = "column", value_name = "FIELD=HEADER")]
    columns: Vec<String>,
    /// Delimiter: , ; | or tab (detected when omitted).
    #[arg(long)]
    delimiter: Option<String>,
    /// Encoding: utf-8 or windows-1252 (detected when omitted).
    #[arg(long)]
    encoding: Option<String>,
    /// Workbooks (.xlsx/.xls): the sheet to read, by name or 1-based number (default: the first visible sheet).
    #[arg(long)]
    sheet: Option<String>,
    /// Workbooks: the sheet row (1-based) holding the column names (default: found from the column names).
    #[arg(long, value_name = "N")]
    header_row: Option<u32>,
}

#[derive(Subcommand)]
enum Cmd {
    /// Key custodian: make a new 256-bit shared secret.
    Keygen {
        #[arg(long)]
        out: PathBuf,
        /// Overwrite an existing file.
        #[arg(long)]
        force: bool,
    },
    /// Privacy officer: signing key, plain-language summary, signing, trust.
    Officer {
        #[command(subcommand)]
        cmd: officer::OfficerCmd,
    },
    /// Coordinator: check the hash-chained audit log.
    Audit {
        #[command(subcommand)]
        cmd: officer::AuditCmd,
    },
    /// Privacy officer: validate a workflow and print its digest.
    Workflow {
        #[command(subcommand)]
        cmd: WorkflowCmd,
    },
    /// Office: data-quality report of a list (local only).
    Check {
        #[arg(long)]
        workflow: PathBuf,
        #[arg(long)]
        party: String,
        #[arg(long)]
        input: PathBuf,
        #[command(flatten)]
        input_args: InputArgs,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
        /// Also write the step receipt (JSON: digests, approval, counts; no personal data).
        #[arg(long)]
        receipt: Option<PathBuf>,
        #[command(flatten)]
        approval: officer::ApprovalArgs,
    },
    /// Office: turn a list into a token file.
    Tokenize {
        #[arg(long)]
        workflow: PathBuf,
        #[arg(long)]
        key: PathBuf,
        #[arg(long)]
        party: String,
        #[arg(long)]
        input: PathBuf,
        #[arg(long)]
        out: PathBuf,
        /// Also write the local receipt (JSON: approval, digests, counts and rejected rows; no tokens).
        #[arg(long)]
        receipt: Option<PathBuf>,
        #[command(flatten)]
        input_args: InputArgs,
        #[command(flatten)]
        approval: officer::ApprovalArgs,
    },
    /// Coordinator: compare token files (takes no key, refuses one).
    Compare {
        #[arg(long)]
        workflow: PathBuf,
        /// Where summary.json, summary.txt and one <party>.result.csv per office go.
        #[arg(long)]
        out_dir: PathBuf,
        /// Token files, one per office.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// The append-only, hash-chained log of comparison runs [default: audit.log
        /// beside the trust store].
        #[arg(long)]
        audit_log: Option<PathBuf>,
        #[command(flatten)]
        approval: officer::ApprovalArgs,
        /// Finish from the output of spark/padan_join.py in DIR (manifest.json, groups/)
        /// instead of joining the tokens here; the token files are still read (references,
        /// masks, header facts) and must be the ones the exports were made from.
        #[arg(long, value_name = "DIR")]
        joined: Option<PathBuf>,
        /// Memory for sorting the tokens, or with --joined the group members (e.g. 512M,
        /// 4G; a bare number is MiB, at least 64K). More than fit are sorted in runs
        /// spilled to --temp-dir; memory is then about 100 bytes per record plus this.
        #[arg(long, default_value = DEFAULT_MEMORY, value_name = "SIZE")]
        memory: String,
        /// Where the sorted runs go (a fresh directory inside DIR, removed afterwards)
        /// [default: beside --out-dir].
        #[arg(long, value_name = "DIR")]
        temp_dir: Option<PathBuf>,
    },
    /// Coordinator: write a token file as Parquet or CSV for Spark, DuckDB and others.
    Export {
        /// parquet or csv.
        #[arg(long, default_value = "parquet")]
        format: String,
        /// The token file.
        file: PathBuf,
        #[arg(long)]
        out: PathBuf,
    },
    /// Coordinator: rebuild a token file from its export, checking it byte for byte.
    Import {
        /// The export (.parquet or .csv).
        file: PathBuf,
        #[arg(long)]
        out: PathBuf,
    },
    /// Office: add the result's status columns to the original list.
    Reattach {
        #[arg(long)]
        workflow: PathBuf,
        #[arg(long)]
        key: PathBuf,
        #[arg(long)]
        party: String,
        #[arg(long)]
        input: PathBuf,
        #[arg(long)]
        result: PathBuf,
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        input_args: InputArgs,
        /// Also write the step receipt (JSON: digests, approval, counts; no personal data).
        #[arg(long)]
        receipt: Option<PathBuf>,
        #[command(flatten)]
        approval: officer::ApprovalArgs,
    },
    /// Write a synthetic Kabupaten Cirebon scenario (lists, truth, workflow, key).
    Demo {
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value_t = 20_000)]
        people: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Enable fuzzy matching in the demo workflow (the recommended `fuzzy` section).
        #[arg(long)]
        fuzzy: bool,
    },
    /// Run the whole flow on a demo directory and measure precision and recall.
    Evaluate {
        #[arg(long)]
        demo: PathBuf,
    },
    /// Benchmark check, tokenize and compare on a large demo scenario.
    Bench {
        /// Scenario directory (made when missing).
        #[arg(long, default_value = "target/bench-demo")]
        dir: PathBuf,
        /// People in the scenario (1,900,000 gives a 1.5-million-row DTKS list).
        #[arg(long, default_value_t = 1_900_000)]
        people: usize,
    },
    #[command(hide = true)]
    BenchPhase { phase: String, dir: PathBuf },
    /// Benchmark helper: write synthetic (valid, random) token files of about TOKENS
    /// tokens for the demo workflow in DIR/tokens (the workflow is made when missing).
    #[command(hide = true)]
    BenchTokens {
        #[arg(long)]
        dir: PathBuf,
        #[arg(long)]
        tokens: u64,
    },
}

#[derive(Subcommand)]
enum WorkflowCmd {
    /// Validate a workflow and print its digest.
    Check { file: PathBuf },
    /// Print the example workflow.
    Example,
}

fn main() -> ExitCode {
    // Output piped into a reader that stops early (`padan check ... | head`) ends padan
    // quietly, as it ends other command-line tools, instead of a panic on the first write
    // after. Output files are not at stake: each is written to a temporary file and put in
    // place whole, and the summaries are printed after that.
    #[cfg(unix)]
    // SAFETY: sets the default action of one signal before any other thread exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = Cli::parse();
    match run(cli.cmd) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("padan: {e}");
            ExitCode::from(2)
        }
    }
}

type R<T = ()> = Result<T, Error>;

fn name_of(p: &Path) -> String {
    p.file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| p.display().to_string())
}

fn read(p: &Path) -> R<Vec<u8>> {
    fs::read(p).map_err(|e| Error::io(&p.display().to_string(), e))
}

fn open(p: &Path) -> R<BufReader<File>> {
    File::open(p)
        .map(|f| BufReader::with_capacity(1 << 20, f))
        .map_err(|e| Error::io(&p.display().to_string(), e))
}

/// Today's date from the system clock (UTC).
fn today() -> Date {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let z = (secs / 86_400) as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    let y = (yoe + era * 400 + i64::from(m <= 2)) as u16;
    Date {
        year: y,
        month: m,
        day: d,
    }
}

fn load_workflow(p: &Path) -> R<Workflow> {
    Workflow::parse(&read(p)?, &name_of(p))
}

fn load_key(p: &Path) -> R<Secret> {
    Secret::parse_key_file(&read(p)?, &name_of(p))
}

fn input_options(a: &InputArgs) -> R<InputOptions> {
    let mut columns = BTreeMap::new();
    for c in &a.columns {
        let (f, h) = c.split_once('=').ok_or_else(|| Error::Refused {
            what: format!("--column '{c}': tulis FIELD=JUDUL, misalnya --column nik=NIK_ART"),
        })?;
        columns.insert(f.trim().to_string(), h.to_string());
    }
    let delimiter = match a.delimiter.as_deref() {
        None => None,
        Some("tab" | "\\t" | "\t") => Some('\t'),
        Some(s) if s.chars().count() == 1 => s.chars().next(),
        Some(s) => {
            return Err(Error::Refused {
                what: format!("--delimiter '{s}': pilih , ; | atau tab"),
            })
        }
    };
    Ok(InputOptions {
        delimiter,
        encoding: a.encoding.clone(),
        columns,
        sheet: a.sheet.clone(),
        header_row: a.header_row,
    })
}

/// An input list: a CSV file (streamed from disk) or a workbook sheet in its CSV form.
enum ListInput {
    Csv,
    Workbook {
        table: padan::workbook::SheetTable,
        /// SHA-256 of the workbook file, for receipts and reports.
        sha256: String,
    },
}

/// Opens an input list: a workbook (recognized by its first bytes, whatever its name) is
/// read into its CSV form, and what was chosen (sheet, header row) is said on stderr.
fn list_input(p: &Path, opts: &InputOptions) -> R<ListInput> {
    let name = name_of(p);
    let mut head = [0u8; 8];
    let n = open(p)?.read(&mut head).map_err(|e| Error::io(&name, e))?;
    if padan::workbook::detect(&head[..n]).is_none() {
        if opts.sheet.is_some() || opts.header_row.is_some() {
            return Err(Error::Refused {
                what: format!("--sheet dan --header-row hanya untuk workbook (.xlsx/.xls); {name} bukan workbook."),
            });
        }
        return Ok(ListInput::Csv);
    }
    if file_len(p) > padan::workbook::MAX_WORKBOOK_BYTES as u64 {
        return Err(Error::invalid(
            &name,
            None,
            None,
            format!(
                "workbook terlalu besar ({} MB; batas {} MB). Simpan daftar sebagai CSV.",
                file_len(p) >> 20,
                padan::workbook::MAX_WORKBOOK_BYTES >> 20
            ),
        ));
    }
    let bytes = read(p)?;
    let table = padan::workbook::read_sheet(&bytes, &name, opts)?;
    let sha256 = {
        use sha2::{Digest, Sha256};
        hex::encode(Sha256::digest(&bytes))
    };
    let (h0, h1) = table.header_rows;
    let rows = if h0 == h1 {
        format!("baris judul {h0}")
    } else {
        format!("baris judul {h0}-{h1}")
    };
    let how = if table.header_detected {
        " (dikenali dari nama kolom; ubah dengan --header-row N)"
    } else {
        ""
    };
    let others = if table.sheets.len() > 1 {
        format!(
            "; lembar lain: {} (pilih dengan --sheet)",
            table
                .sheets
                .iter()
                .filter(|s| **s != table.sheet)
                .map(|s| format!("'{s}'"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    } else {
        String::new()
    };
    eprintln!(
        "{name}: lembar '{}', {rows}{how}, {} baris data{others}",
        table.sheet, table.rows
    );
    if table.damaged_numbers > 0 {
        eprintln!(
            "  PERINGATAN: {} NIK/No. KK tersimpan sebagai angka yang tidak utuh (15 digit Excel); dilaporkan sebagai rusak, tidak ditebak.",
            table.damaged_numbers
        );
    }
    if table.cells_outside > 0 {
        eprintln!(
            "  PERINGATAN: {} sel di luar kolom berjudul diabaikan.",
            table.cells_outside
        );
    }
    Ok(ListInput::Workbook { table, sha256 })
}

/// The annotated list as .xlsx (`src/annotated_xlsx.rs`, shared with the browser's
/// workbook module); the wasm32 build of the binary refuses.
#[cfg(not(target_arch = "wasm32"))]
#[path = "annotated_xlsx.rs"]
mod annotated_xlsx;

#[cfg(target_arch = "wasm32")]
mod annotated_xlsx {
    pub fn annotated_to_xlsx(
        _csv_bytes: &[u8],
        _out_name: &str,
        _created: padan::date::Date,
    ) -> padan::error::Result<Vec<u8>> {
        Err(super::native::unavailable())
    }
}

fn wants_xlsx(p: &Path) -> bool {
    p.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("xlsx"))
}

/// An output file written to a temporary name and renamed into place only on success, so
/// an error never leaves a half-written file.
struct AtomicOut {
    tmp: PathBuf,
    dest: PathBuf,
    done: bool,
}

/// The temporary file of an [`AtomicOut`]. On Linux it asks the kernel to start writing
/// each few MB to disk as soon as they are written (`sync_file_range`, which does not
/// wait), so that the `fsync` before the rename finds little left to do. The `fsync` is
/// what makes the file durable, as before; this only starts the disk's work earlier.
struct OutFile {
    file: File,
    /// Bytes written, and the end of what was handed to writeback.
    written: u64,
    started: u64,
}

impl OutFile {
    const STEP: u64 = 8 << 20;
}

impl Write for OutFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.file.write(buf)?;
        self.written += n as u64;
        if self.written - self.started >= Self::STEP {
            #[cfg(target_os = "linux")]
            {
                use std::os::fd::AsRawFd;
                // SAFETY: a plain system call on an open descriptor and a byte range of it;
                // no memory is passed. Its result only tells whether writeback started.
                unsafe {
                    libc::sync_file_range(
                        self.file.as_raw_fd(),
                        self.started as libc::off64_t,
                        (self.written - self.started) as libc::off64_t,
                        libc::SYNC_FILE_RANGE_WRITE,
                    );
                }
            }
            self.started = self.written;
        }
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

type OutWriter = BufWriter<OutFile>;

impl AtomicOut {
    fn new(dest: &Path) -> R<(AtomicOut, OutWriter)> {
        let dir = dest
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let tmp = dir.join(format!(".{}.padan-tmp", name_of(dest)));
        let f = File::create(&tmp).map_err(|e| Error::io(&dest.display().to_string(), e))?;
        Ok((
            AtomicOut {
                tmp,
                dest: dest.to_path_buf(),
                done: false,
            },
            BufWriter::with_capacity(
                1 << 20,
                OutFile {
                    file: f,
                    written: 0,
                    started: 0,
                },
            ),
        ))
    }
    fn commit(mut self, w: OutWriter) -> R {
        let f = w
            .into_inner()
            .map_err(|e| Error::io(&self.dest.display().to_string(), e.into_error()))?
            .file;
        f.sync_all()
            .map_err(|e| Error::io(&self.dest.display().to_string(), e))?;
        fs::rename(&self.tmp, &self.dest)
            .map_err(|e| Error::io(&self.dest.display().to_string(), e))?;
        self.done = true;
        Ok(())
    }
}

impl Drop for AtomicOut {
    fn drop(&mut self) {
        if !self.done {
            let _ = fs::remove_file(&self.tmp);
        }
    }
}

fn write_atomic(dest: &Path, bytes: &[u8]) -> R {
    let (guard, mut w) = AtomicOut::new(dest)?;
    w.write_all(bytes)
        .map_err(|e| Error::io(&dest.display().to_string(), e))?;
    guard.commit(w)
}

/// A progress line on stderr when it is a terminal.
fn progress_printer(label: &'static str, total: u64) -> impl FnMut(Progress) {
    use std::io::IsTerminal;
    let tty = io::stderr().is_terminal();
    let start = Instant::now();
    move |p: Progress| {
        if !tty {
            return;
        }
        let secs = start.elapsed().as_secs_f64().max(1e-9);
        let pct = match (p.bytes * 100).checked_div(total) {
            Some(pc) => format!(" {pc:>3}%"),
            None => String::new(),
        };
        eprint!(
            "\r{label}: {} baris{pct}, {:.0} baris/detik   ",
            p.rows,
            p.rows as f64 / secs
        );
    }
}

fn end_progress() {
    use std::io::IsTerminal;
    if io::stderr().is_terminal() {
        eprintln!();
    }
}

fn file_len(p: &Path) -> u64 {
    fs::metadata(p).map(|m| m.len()).unwrap_or(0)
}

fn run(cmd: Cmd) -> R {
    match cmd {
        Cmd::Keygen { out, force } => keygen(&out, force),
        Cmd::Officer { cmd } => officer::run_officer(cmd),
        Cmd::Audit { cmd } => officer::run_audit(cmd),
        Cmd::Workflow {
            cmd: WorkflowCmd::Check { file },
        } => {
            let wf = load_workflow(&file)?;
            println!("Alur kerja sah / workflow valid: {} — {}", wf.id, wf.title);
            println!("digest: {}", wf.digest_hex());
            println!(
                "berlaku / valid: {} .. {}, k = {}",
                wf.valid_from, wf.valid_until, wf.k
            );
            for k in &wf.match_keys {
                println!("kunci / match key {}: [{}]", k.name, k.fields.join(", "));
            }
            Ok(())
        }
        Cmd::Workflow {
            cmd: WorkflowCmd::Example,
        } => {
            print!("{}", include_str!("../docs/example-workflow.json"));
            Ok(())
        }
        Cmd::Check {
            workflow,
            party,
            input,
            input_args,
            json,
            receipt,
            approval,
        } => {
            let started = officer::now_rfc3339();
            let (wf, auth) = officer::authorize(&workflow, &approval)?;
            let wname = name_of(&workflow);
            let ctx = Context {
                workflow: &wf,
                workflow_file: &wname,
                today: today(),
            };
            let opts = input_options(&input_args)?;
            let mut pr = progress_printer("periksa", file_len(&input));
            let report = match list_input(&input, &opts)? {
                ListInput::Csv => pipeline::check(
                    &ctx,
                    &party,
                    open(&input)?,
                    &name_of(&input),
                    &opts,
                    &mut pr,
                )?,
                ListInput::Workbook { table, sha256 } => {
                    let mut r = pipeline::check(
                        &ctx,
                        &party,
                        &table.csv[..],
                        &name_of(&input),
                        &table.csv_options(&opts),
                        &mut pr,
                    )
                    .map_err(|e| table.sheet_error(e))?;
                    r.input_sha256 = sha256;
                    r
                }
            };
            end_progress();
            if let Some(r) = receipt {
                let input_fact = padan::audit::FileFact {
                    party: Some(party.clone()),
                    ..padan::audit::FileFact::digested(
                        name_of(&input),
                        report.input_sha256.clone(),
                        file_len(&input),
                    )
                };
                let rc = officer::receipt(
                    "check",
                    &auth,
                    &party,
                    None,
                    vec![input_fact],
                    vec![],
                    started,
                    serde_json::to_value(&report).expect("serializable"),
                );
                write_atomic(&r, &rc.to_bytes())?;
            }
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&report).expect("serializable")
                );
            } else {
                print!("{}", report.to_text());
            }
            Ok(())
        }
        Cmd::Tokenize {
            workflow,
            key,
            party,
            input,
            out,
            receipt,
            input_args,
            approval,
        } => {
            let started = officer::now_rfc3339();
            let (wf, auth) = officer::authorize(&workflow, &approval)?;
            let secret = load_key(&key)?;
            let wname = name_of(&workflow);
            let ctx = Context {
                workflow: &wf,
                workflow_file: &wname,
                today: today(),
            };
            let opts = input_options(&input_args)?;
            let list = list_input(&input, &opts)?;
            let (guard, mut w) = AtomicOut::new(&out)?;
            let mut pr = progress_printer("token", file_len(&input));
            let start = Instant::now();
            let summary = match list {
                ListInput::Csv => tokenize_file(
                    &ctx,
                    &secret,
                    &party,
                    &input,
                    &opts,
                    receipt.is_some(),
                    &mut w,
                    &mut pr,
                )?,
                ListInput::Workbook { table, sha256 } => {
                    let mut s = pipeline::tokenize(
                        &ctx,
                        &secret,
                        &party,
                        &table.csv[..],
                        &name_of(&input),
                        &table.csv_options(&opts),
                        &mut w,
                        &mut pr,
                    )
                    .map_err(|e| table.sheet_error(e))?;
                    s.input_sha256 = sha256;
                    s
                }
            };
            guard.commit(w)?;
            end_progress();
            if let Some(r) = receipt {
                let input_fact = padan::audit::FileFact {
                    party: Some(party.clone()),
                    records: Some(summary.rows_in),
                    ..padan::audit::FileFact::digested(
                        name_of(&input),
                        summary.input_sha256.clone(),
                        file_len(&input),
                    )
                };
                let mut out_fact = match &summary.token_sha256 {
                    // The digest of the bytes written, computed while sealing the file.
                    Some(sha256) => padan::audit::FileFact::digested(
                        name_of(&out),
                        sha256.clone(),
                        file_len(&out),
                    ),
                    None => officer::file_fact(&out)?,
                };
                out_fact.party = Some(party.clone());
                out_fact.records = Some(summary.rows_tokenized);
                let rc = officer::receipt(
                    "tokenize",
                    &auth,
                    &party,
                    Some(summary.kcv.clone()),
                    vec![input_fact],
                    vec![out_fact],
                    started,
                    serde_json::to_value(&summary).expect("serializable"),
                );
                write_atomic(&r, &rc.to_bytes())?;
            }
            println!(
                "{}: {} baris masuk = {} dijadikan token + {} ditolak ({:.1} detik)",
                name_of(&input),
                summary.rows_in,
                summary.rows_tokenized,
                summary.rows_rejected,
                start.elapsed().as_secs_f64()
            );
            for (code, c) in &summary.rejected_by_reason {
                let ex: Vec<String> = c.example_rows.iter().map(u64::to_string).collect();
                println!(
                    "  ditolak: {} ({code}): {} baris; contoh baris {}",
                    c.description,
                    c.count,
                    ex.join(", ")
                );
            }
            for (k, f) in &summary.keys_unavailable {
                println!("  PERINGATAN: kunci '{k}' tidak dibuat: kolom '{f}' tidak ada");
            }
            if summary.nik_column_damaged {
                println!("  PERINGATAN: kolom NIK rusak oleh format angka spreadsheet; NIK berakhiran 0 tidak dipakai.");
            }
            println!("KCV {}; berkas token: {}", summary.kcv, out.display());
            Ok(())
        }
        Cmd::Compare {
            workflow,
            out_dir,
            files,
            audit_log,
            approval,
            joined,
            memory,
            temp_dir,
        } => {
            #[cfg(target_os = "linux")]
            big_alloc::start_prefaulting();
            let started = officer::now_rfc3339();
            let budget = parse_memory(&memory)?;
            let (wf, auth) = officer::authorize(&workflow, &approval)?;
            let wname = name_of(&workflow);
            let ctx = Context {
                workflow: &wf,
                workflow_file: &wname,
                today: today(),
            };
            // Each file's bytes as the comparison reads them (to its end, which it checks),
            // for the receipt beside the digest the comparison computed while reading.
            let read_bytes: Vec<std::rc::Rc<std::cell::Cell<u64>>> =
                files.iter().map(|_| Default::default()).collect();
            let mut inputs: Vec<(String, Box<dyn Read>)> = Vec::new();
            for (f, n) in files.iter().zip(&read_bytes) {
                let counted = Counted {
                    inner: open(f)?,
                    n: n.clone(),
                };
                inputs.push((name_of(f), Box::new(counted)));
            }
            // A broken log is refused before anything is compared or written.
            let log = audit_log
                .unwrap_or_else(|| officer::default_audit_log(approval.trust_store.as_deref()));
            officer::check_log(&log)?;
            let mut pr = progress_printer("banding", 0);
            let start = Instant::now();
            // Both paths sort externally within `--memory`, spilling beside the results.
            let base = match &temp_dir {
                Some(d) => d.clone(),
                None => out_dir
                    .parent()
                    .filter(|d| !d.as_os_str().is_empty())
                    .unwrap_or(Path::new("."))
                    .to_path_buf(),
            };
            let mut store = TempRuns::new(base);
            let out = match &joined {
                None => padan::compare::compare_with(
                    &ctx,
                    inputs,
                    &mut store,
                    budget,
                    &Threads::all(),
                    &mut pr,
                )?,
                Some(dir) => compare_joined(&ctx, dir, inputs, &mut store, budget, &mut pr)?,
            };
            let spilled = store.next;
            drop(store);
            end_progress();
            fs::create_dir_all(&out_dir)
                .map_err(|e| Error::io(&out_dir.display().to_string(), e))?;
            let summary_json = serde_json::to_vec_pretty(&out.summary).expect("serializable");
            let written: Vec<(&str, &[u8])> = [
                ("summary.json", &summary_json[..]),
                ("summary.txt", out.summary_text.as_bytes()),
            ]
            .into_iter()
            .chain(
                out.results
                    .iter()
                    .map(|r| (r.file_name.as_str(), &r.bytes[..])),
            )
            .collect();
            // The outputs are hashed for the receipt on the other cores while they are
            // written.
            let (outputs, wrote) = std::thread::scope(|s| {
                let hashed = s.spawn(|| {
                    padan::par::map(
                        &Threads::all(),
                        &written,
                        |(_, bytes)| bytes.len() as u64,
                        |(name, bytes)| padan::audit::FileFact::of(name, bytes),
                    )
                });
                let wrote: R = written
                    .iter()
                    .try_for_each(|(name, bytes)| write_atomic(&out_dir.join(name), bytes));
                (hashed.join().expect("no panic"), wrote)
            });
            wrote?;
            // The inputs' digests are the comparison's own, of the bytes it read and
            // checked: no second pass over the token files.
            let mut inputs = Vec::new();
            for (i, (f, n)) in files.iter().zip(&read_bytes).enumerate() {
                inputs.push(match out.input_sha256.get(i).filter(|d| !d.is_empty()) {
                    Some(sha256) => {
                        padan::audit::FileFact::digested(name_of(f), sha256.clone(), n.get())
                    }
                    None => officer::file_fact(f)?,
                });
            }
            let counts = serde_json::to_value(&out.summary).expect("serializable");
            let entry =
                officer::log_compare(&log, &auth, inputs.clone(), outputs.clone(), counts.clone())?;
            let mut rc = officer::receipt(
                "compare",
                &auth,
                &wf.coordinator,
                None,
                inputs,
                outputs,
                started,
                counts,
            );
            rc.audit_entry = Some(entry.clone());
            write_atomic(&out_dir.join("receipt.json"), &rc.to_bytes())?;
            print!("{}", out.summary_text);
            if spilled > 0 {
                println!(
                    "(pengurutan token: {spilled} berkas sementara ditulis lalu dihapus; --memory {memory})"
                );
            }
            println!("log audit: {} (entri {}…)", log.display(), &entry[..16]);
            println!(
                "\n({:.2} detik) hasil per OPD di {}",
                start.elapsed().as_secs_f64(),
                out_dir.display()
            );
            Ok(())
        }
        Cmd::Reattach {
            workflow,
            key,
            party,
            input,
            result,
            out,
            input_args,
            receipt,
            approval,
        } => {
            let started = officer::now_rfc3339();
            let (wf, auth) = officer::authorize(&workflow, &approval)?;
            let secret = load_key(&key)?;
            let wname = name_of(&workflow);
            let ctx = Context {
                workflow: &wf,
                workflow_file: &wname,
                today: today(),
            };
            let opts = input_options(&input_args)?;
            let res = read(&result)?;
            let list = list_input(&input, &opts)?;
            let mut pr = progress_printer("lampirkan", file_len(&input));
            let mut annotated = Vec::new();
            let s = match &list {
                ListInput::Csv => pipeline::reattach(
                    &ctx,
                    &secret,
                    &party,
                    open(&input)?,
                    &name_of(&input),
                    &opts,
                    &res,
                    &name_of(&result),
                    &mut annotated,
                    &mut pr,
                )?,
                ListInput::Workbook { table, .. } => pipeline::reattach(
                    &ctx,
                    &secret,
                    &party,
                    &table.csv[..],
                    &name_of(&input),
                    &table.csv_options(&opts),
                    &res,
                    &name_of(&result),
                    &mut annotated,
                    &mut pr,
                )
                .map_err(|e| table.sheet_error(e))?,
            };
            if wants_xlsx(&out) {
                annotated = annotated_xlsx::annotated_to_xlsx(&annotated, &name_of(&out), today())?;
            }
            write_atomic(&out, &annotated)?;
            end_progress();
            if let Some(r) = receipt {
                let mut list_fact = match &list {
                    ListInput::Csv => officer::file_fact(&input)?,
                    ListInput::Workbook { sha256, .. } => padan::audit::FileFact::digested(
                        name_of(&input),
                        sha256.clone(),
                        file_len(&input),
                    ),
                };
                list_fact.party = Some(party.clone());
                let rc = officer::receipt(
                    "reattach",
                    &auth,
                    &party,
                    Some(secret.kcv()),
                    vec![
                        list_fact,
                        padan::audit::FileFact::of(&name_of(&result), &res),
                    ],
                    vec![padan::audit::FileFact::of(&name_of(&out), &annotated)],
                    started,
                    serde_json::to_value(&s).expect("serializable"),
                );
                write_atomic(&r, &rc.to_bytes())?;
            }
            println!("{}: {} baris", name_of(&input), s.rows);
            for (st, c) in &s.statuses {
                println!("  {st}: {c}");
            }
            if s.changed > 0 {
                println!(
                    "  PERINGATAN: {} baris tidak ada di hasil (berubah sejak token dibuat?)",
                    s.changed
                );
            }
            println!("daftar beranotasi: {}", out.display());
            Ok(())
        }
        Cmd::Demo {
            out,
            people,
            seed,
            fuzzy,
        } => demo(&out, people, seed, fuzzy),
        Cmd::Evaluate { demo } if fuzzy_demo(&demo)? => {
            let q = evaluate_fuzzy(&demo)?;
            println!(
                "{}",
                serde_json::to_string_pretty(&q).expect("serializable")
            );
            Ok(())
        }
        Cmd::Evaluate { demo } => {
            let q = evaluate(&demo)?;
            println!(
                "{}",
                serde_json::to_string_pretty(&q).expect("serializable")
            );
            Ok(())
        }
        Cmd::Bench { dir, people } => bench(&dir, people),
        Cmd::BenchPhase { phase, dir } => bench_phase(&phase, &dir),
        Cmd::BenchTokens { dir, tokens } => bench_tokens(&dir, tokens),
        Cmd::Export { format, file, out } => export(&format, &file, &out),
        Cmd::Import { file, out } => import(&file, &out),
    }
}

/// Tokenizes a file on every core: the core cuts it into parts (see
/// `padan::tokens::Tokenizer::part_starts`, parts that shrink towards the end) that the
/// threads take one after another from a queue, while one more thread hashes the whole
/// file for the receipt (only with `digest_input`; without, the summary's digest is
/// empty). When the parts do not meet (a quoted line break across a cut) or a part
/// fails, the file is tokenized again in one pass, which also gives the authoritative
/// error.
#[allow(clippy::too_many_arguments)]
fn tokenize_file(
    ctx: &Context,
    secret: &Secret,
    party: &str,
    input: &Path,
    opts: &InputOptions,
    digest_input: bool,
    out: &mut dyn Write,
    progress: &mut dyn FnMut(Progress),
) -> R<padan::pipeline::TokenizeSummary> {
    use std::io::{Seek, SeekFrom};
    use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
    use std::sync::Mutex;
    let name = name_of(input);
    let threads = Threads::all().0;
    let mut head = Vec::new();
    open(input)?
        .take(padan::table::SNIFF_BYTES as u64)
        .read_to_end(&mut head)
        .map_err(|e| Error::io(&name, e))?;
    let t = pipeline::Tokenizer::new(ctx, secret, party, &head, &name, opts)?;
    let starts = t.part_starts(file_len(input), threads);
    if starts.len() > 1 {
        let rows: Vec<AtomicU64> = starts.iter().map(|_| AtomicU64::new(0)).collect();
        let slots: Vec<Mutex<Option<R<pipeline::PartOutput>>>> =
            starts.iter().map(|_| Mutex::new(None)).collect();
        let queue = AtomicUsize::new(0);
        let run_part = |i: usize| -> R<pipeline::PartOutput> {
            let mut f = File::open(input).map_err(|e| Error::io(&name, e))?;
            f.seek(SeekFrom::Start(starts[i]))
                .map_err(|e| Error::io(&name, e))?;
            let next = starts.get(i + 1).copied();
            t.run_part(
                starts[i],
                BufReader::with_capacity(1 << 20, f),
                next,
                &mut |p| rows[i].store(p.rows, Ordering::Relaxed),
            )
        };
        let digest = std::thread::scope(|s| {
            // Only a receipt shows the input's digest: without one, no thread reads the
            // file a second time.
            let hash = digest_input.then(|| {
                s.spawn(|| -> R<String> {
                    use sha2::{Digest, Sha256};
                    let mut h = Sha256::new();
                    io::copy(&mut open(input)?, &mut h).map_err(|e| Error::io(&name, e))?;
                    Ok(hex::encode(h.finalize()))
                })
            });
            // Each thread says when it is done (a panicking one drops its sender), so the
            // merge starts at once instead of at the next progress tick.
            let (done, finished) = std::sync::mpsc::channel::<()>();
            let handles: Vec<_> = (0..threads.min(starts.len()))
                .map(|_| {
                    let (done, run_part, slots, queue) = (done.clone(), &run_part, &slots, &queue);
                    s.spawn(move || {
                        loop {
                            let i = queue.fetch_add(1, Ordering::Relaxed);
                            if i >= slots.len() {
                                break;
                            }
                            let part = run_part(i);
                            if part.is_err() {
                                // The one-pass run follows: no use starting more parts.
                                queue.store(slots.len(), Ordering::Relaxed);
                            }
                            *slots[i].lock().expect("no panic") = Some(part);
                        }
                        let _ = done.send(());
                    })
                })
                .collect();
            drop(done);
            let mut left = handles.len();
            while left > 0 {
                match finished.recv_timeout(std::time::Duration::from_millis(200)) {
                    Ok(()) => left -= 1,
                    Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
                    Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
                }
                progress(Progress {
                    rows: rows.iter().map(|r| r.load(Ordering::Relaxed)).sum(),
                    bytes: 0,
                });
            }
            for h in handles {
                h.join().expect("no panic");
            }
            hash.map(|h| h.join().expect("no panic"))
        });
        // Every part ran and none failed; else (a part failed, so later ones were not
        // started) the one-pass run below.
        let parts: Option<R<Vec<_>>> = slots
            .into_iter()
            .map(|m| m.into_inner().expect("no panic"))
            .collect();
        if let Some(Ok(parts)) = parts {
            match t.finish_with(parts, digest.and_then(R::ok), &mut *out, &Threads::all()) {
                Err(Error::PartsMismatch) => {}
                other => return other,
            }
        }
    }
    pipeline::tokenize(ctx, secret, party, open(input)?, &name, opts, out, progress)
}

/// A reader that counts the bytes read through it.
struct Counted<T> {
    inner: T,
    n: std::rc::Rc<std::cell::Cell<u64>>,
}

impl<T: Read> Read for Counted<T> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let k = self.inner.read(buf)?;
        self.n.set(self.n.get() + k as u64);
        Ok(k)
    }
}

fn keygen(out: &Path, force: bool) -> R {
    if out.exists() && !force {
        return Err(Error::Refused {
            what: format!(
                "{} sudah ada; kunci lama tidak ditimpa (pakai --force bila memang disengaja).",
                out.display()
            ),
        });
    }
    let mut bytes = [0u8; 32];
    getrandom::getrandom(&mut bytes).map_err(|e| Error::Refused {
        what: format!("sumber acak OS gagal: {e}"),
    })?;
    let secret = Secret::from_bytes(bytes);
    bytes.fill(0);
    let text = secret.to_key_file();
    let dest = out.display().to_string();
    let mut opts = fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(out).map_err(|e| Error::io(&dest, e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(out, fs::Permissions::from_mode(0o600))
            .map_err(|e| Error::io(&dest, e))?;
    }
    f.write_all(text.as_bytes())
        .and_then(|_| f.sync_all())
        .map_err(|e| Error::io(&dest, e))?;
    println!("Kunci dibuat / key written: {dest} (izin 600)");
    println!("KCV: {}", secret.kcv());
    println!(
        "Bacakan KCV ini kepada setiap OPD lewat telepon. JANGAN berikan kunci kepada koordinator."
    );
    Ok(())
}

/// The demo key is derived from the seed, so a scenario is reproducible. Demo only.
fn demo_secret(seed: u64) -> Secret {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(b"padan demo key (never for real data)");
    h.update(seed.to_be_bytes());
    Secret::from_bytes(h.finalize().into())
}

fn demo(out: &Path, people: usize, seed: u64, fuzzy: bool) -> R {
    let dir = out.display().to_string();
    fs::create_dir_all(out).map_err(|e| Error::io(&dir, e))?;
    let start = Instant::now();
    let cfg = padan::demo::DemoConfig { people, seed };
    let out_dir = out.to_path_buf();
    let manifest = padan::demo::generate(&cfg, &mut |name: &str| {
        let f = File::create(out_dir.join(name))?;
        Ok(Box::new(BufWriter::with_capacity(1 << 20, f)) as Box<dyn Write>)
    })
    .map_err(|e| Error::io(&dir, e))?;
    let parties: Vec<(&str, &str)> = padan::demo::LISTS
        .iter()
        .map(|(id, name, _)| (*id, *name))
        .collect();
    let mut wf = padan::workflow::demo_workflow(&parties, "2025-01-01", "2030-12-31");
    if fuzzy {
        wf.fuzzy = Some(padan::fuzzy::config::FuzzyConfig::recommended(&wf.fields));
    }
    write_atomic(
        &out.join("workflow.json"),
        (serde_json::to_string_pretty(&wf).expect("serializable") + "\n").as_bytes(),
    )?;
    let secret = demo_secret(seed);
    write_atomic(&out.join("demo.key"), secret.to_key_file().as_bytes())?;
    let fingerprint = officer::demo_officer(out, &wf, seed)?;
    println!(
        "Skenario contoh di {dir} ({:.1} detik):",
        start.elapsed().as_secs_f64()
    );
    for (party, file, rows) in &manifest.lists {
        println!("  {file:<18} {rows:>9} baris  (pihak {party})");
    }
    println!("  truth.csv          {:>9} baris", manifest.truth_rows);
    println!("  workflow.json      digest {}", wf.digest_hex());
    println!(
        "  demo.key           KCV {} (kunci contoh; jangan dipakai untuk data nyata)",
        secret.kcv()
    );
    println!(
        "  workflow.approval.json  ditandatangani pejabat PDP contoh, sidik jari {fingerprint}"
    );
    println!(
        "  officer.key / officer.pub  kunci pejabat contoh (frasa sandi: {})",
        officer::DEMO_PASSPHRASE
    );
    println!(
        "  Pertama kali: padan officer trust --public {}/officer.pub --fingerprint {fingerprint}",
        out.display()
    );
    Ok(())
}

fn demo_inputs(dir: &Path) -> R<(Workflow, Secret)> {
    let wf = load_workflow(&dir.join("workflow.json"))?;
    let secret = load_key(&dir.join("demo.key"))?;
    Ok((wf, secret))
}

/// Whether the demo directory's workflow enables fuzzy matching.
fn fuzzy_demo(dir: &Path) -> R<bool> {
    Ok(demo_inputs(dir)?.0.fuzzy.is_some())
}

/// Precision and recall with and without fuzzy matching (`padan demo --fuzzy`).
fn evaluate_fuzzy(dir: &Path) -> R<padan::fuzzy::demo_eval::DemoFuzzyReport> {
    let (wf, secret) = demo_inputs(dir)?;
    let ctx = Context {
        workflow: &wf,
        workflow_file: "workflow.json",
        today: today(),
    };
    let mut data = Vec::new();
    for (party, _, file) in padan::demo::LISTS {
        data.push((party, file, read(&dir.join(file))?));
    }
    let lists: Vec<padan::fuzzy::demo_eval::DemoList> = data
        .iter()
        .map(|(party, file, bytes)| padan::fuzzy::demo_eval::DemoList { party, file, bytes })
        .collect();
    let truth = read(&dir.join("truth.csv"))?;
    let report = padan::fuzzy::demo_eval::evaluate(&ctx, &secret, &lists, &truth)?;
    Ok(report)
}

fn evaluate(dir: &Path) -> R<padan::quality::Quality> {
    let (wf, secret) = demo_inputs(dir)?;
    let ctx = Context {
        workflow: &wf,
        workflow_file: "workflow.json",
        today: today(),
    };
    let opts = InputOptions::default();
    let mut tokens: Vec<(String, Vec<u8>)> = Vec::new();
    let mut refs = std::collections::HashMap::new();
    for (party, _, file) in padan::demo::LISTS {
        let p = dir.join(file);
        let mut buf = Vec::new();
        pipeline::tokenize(
            &ctx,
            &secret,
            party,
            open(&p)?,
            file,
            &opts,
            &mut buf,
            &mut |_| {},
        )?;
        tokens.push((format!("{party}.tokens"), buf));
        refs.insert(
            party.to_string(),
            padan::quality::list_references(&ctx, &secret, party, open(&p)?, file, &opts)?,
        );
    }
    let inputs = tokens
        .iter()
        .map(|(n, b)| (n.clone(), Box::new(&b[..]) as Box<dyn Read>))
        .collect();
    let out = pipeline::compare(&ctx, inputs, &mut |_| {})?;
    padan::quality::evaluate(&read(&dir.join("truth.csv"))?, &refs, &out.clusters)
}

/// The CLI lends the core its cores (see `padan::par`): each task on a scoped thread.
struct Threads(usize);

impl Threads {
    /// As many tasks at once as the machine has cores.
    fn all() -> Threads {
        Threads(
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1),
        )
    }
}

impl padan::par::Parallel for Threads {
    fn width(&self) -> usize {
        self.0
    }
    fn run<'a>(&self, tasks: Vec<Box<dyn FnOnce() + Send + 'a>>) {
        std::thread::scope(|s| {
            let mut tasks = tasks.into_iter();
            let here = tasks.next();
            for t in tasks {
                s.spawn(t);
            }
            if let Some(t) = here {
                t();
            }
        });
    }
    fn join<'a>(&self, other: Box<dyn FnOnce() + Send + 'a>, here: &mut dyn FnMut()) {
        std::thread::scope(|s| {
            s.spawn(other);
            here();
        });
    }
}

/// Peak resident memory of this process, from /proc (Linux).
fn peak_rss_mb() -> f64 {
    fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

fn bench(dir: &Path, people: usize) -> R {
    if !dir.join("workflow.json").exists() {
        println!("membuat skenario {people} orang di {} ...", dir.display());
        demo(dir, people, 1, false)?;
    }
    let exe = std::env::current_exe().map_err(|e| Error::io("padan", e))?;
    for phase in ["calibrate", "check", "tokenize", "compare", "calibrate"] {
        let st = std::process::Command::new(&exe)
            .args(["bench-phase", phase])
            .arg(dir)
            .status()
            .map_err(|e| Error::io("padan bench-phase", e))?;
        if !st.success() {
            return Err(Error::Refused {
                what: format!("fase bench {phase} gagal"),
            });
        }
    }
    Ok(())
}

/// One benchmark phase in its own process, so its peak memory is its own.
fn bench_phase(phase: &str, dir: &Path) -> R {
    if phase == "calibrate" {
        calibrate();
        return Ok(());
    }
    let (wf, secret) = demo_inputs(dir)?;
    let ctx = Context {
        workflow: &wf,
        workflow_file: "workflow.json",
        today: today(),
    };
    let opts = InputOptions::default();
    let tok_dir = dir.join("tokens");
    fs::create_dir_all(&tok_dir).map_err(|e| Error::io("tokens", e))?;
    match phase {
        "check" | "tokenize" => {
            for (party, _, file) in padan::demo::LISTS {
                let p = dir.join(file);
                let start = Instant::now();
                let rows = if phase == "check" {
                    pipeline::check(&ctx, party, open(&p)?, file, &opts, &mut |_| {})?.rows_read
                } else {
                    let out = tok_dir.join(format!("{party}.tokens"));
                    let (guard, mut w) = AtomicOut::new(&out)?;
                    let s =
                        tokenize_file(&ctx, &secret, party, &p, &opts, false, &mut w, &mut |_| {})?;
                    guard.commit(w)?;
                    s.rows_in
                };
                let secs = start.elapsed().as_secs_f64();
                println!(
                    "{phase:<9} {file:<16} {rows:>9} baris {secs:>7.2} s {:>10.0} baris/s  {:>6.1} MB/s",
                    rows as f64 / secs,
                    file_len(&p) as f64 / secs / 1e6
                );
            }
        }
        "compare" => {
            #[cfg(target_os = "linux")]
            big_alloc::start_prefaulting();
            let mut inputs: Vec<(String, Box<dyn Read>)> = Vec::new();
            let mut ntokens = 0u64;
            for (party, _, _) in padan::demo::LISTS {
                let p = tok_dir.join(format!("{party}.tokens"));
                let f = padan::tokens::TokenReader::new(open(&p)?, &name_of(&p))?;
                ntokens += f.header.tokens.values().sum::<u64>();
                inputs.push((name_of(&p), Box::new(open(&p)?)));
            }
            // As `padan compare` does with its default --memory.
            let start = Instant::now();
            let mut store = TempRuns::new(std::env::temp_dir());
            let out = padan::compare::compare_with(
                &ctx,
                inputs,
                &mut store,
                parse_memory(DEFAULT_MEMORY)?,
                &Threads::all(),
                &mut |_| {},
            )?;
            let secs = start.elapsed().as_secs_f64();
            println!(
                "compare   {} berkas, {ntokens} token, {secs:.2} s, {:.0} token/s; orang: {}",
                padan::demo::LISTS.len(),
                ntokens as f64 / secs,
                out.summary.people_total
            );
        }
        other => {
            return Err(Error::Refused {
                what: format!("fase tidak dikenal: {other}"),
            })
        }
    }
    println!("{phase:<9} memori puncak (VmHWM): {:.0} MB", peak_rss_mb());
    Ok(())
}

/// The machine's own speed, by work that does not depend on padan's code: SHA-256 of
/// 64 MiB on one core and on every core at once (the `sha2` crate, SHA-NI where the CPU
/// has it), and dependent reads at random places in 64 MiB (memory latency). This shared
/// machine's speed changes from day to day (up to 2.4 times slower); these numbers say
/// how fast it was during a run, so that runs of different days can be compared.
fn calibrate() {
    use sha2::{Digest, Sha256};
    let buf = vec![0x5au8; 64 << 20];
    let mb_s = |secs: f64| buf.len() as f64 / secs / 1e6;
    let start = Instant::now();
    let digest = Sha256::digest(&buf);
    let sha_mb_s = mb_s(start.elapsed().as_secs_f64());
    // The same on every core at once (a shared machine may give one core, not all).
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let start = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..cores {
            s.spawn(|| Sha256::digest(&buf));
        }
    });
    let all_mb_s = mb_s(start.elapsed().as_secs_f64());
    drop(buf);
    // One cycle through 16 Mi slots (Sattolo's shuffle), followed 4 Mi steps.
    let n = 16usize << 20;
    let mut next: Vec<u32> = (0..n as u32).collect();
    let mut x = u64::from(digest[0]) | 1;
    for i in (1..n).rev() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        next.swap(i, (x % i as u64) as usize);
    }
    let steps = 4usize << 20;
    let start = Instant::now();
    let mut at = 0u32;
    for _ in 0..steps {
        at = next[at as usize];
    }
    std::hint::black_box(at);
    let ns = start.elapsed().as_secs_f64() * 1e9 / steps as f64;
    println!(
        "kalibrasi mesin: SHA-256 satu inti {sha_mb_s:.0} MB/s, {cores} inti sekaligus \
         {all_mb_s:.0} MB/s per inti; baca acak {ns:.0} ns"
    );
}

/// `padan compare --memory` when not given.
const DEFAULT_MEMORY: &str = "512M";

/// `--memory`: a size with K, M or G (binary units; a bare number is MiB), at least 64K.
fn parse_memory(s: &str) -> R<usize> {
    let t = s.trim();
    let (num, unit) = match t.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => (&t[..i], t[i..].trim().to_ascii_uppercase()),
        None => (t, "M".to_string()),
    };
    let shift = match unit.trim_end_matches("IB").trim_end_matches('B') {
        "K" => 10,
        "M" => 20,
        "G" => 30,
        "T" => 40,
        _ => 64,
    };
    let bytes = num
        .parse::<u64>()
        .ok()
        .filter(|_| shift < 64)
        .and_then(|n| n.checked_mul(1 << shift))
        .ok_or_else(|| Error::Refused {
            what: format!("--memory '{s}' tidak sah: tulis misalnya 512M atau 4G."),
        })?;
    if bytes < 64 << 10 {
        return Err(Error::Refused {
            what: format!("--memory '{s}' terlalu kecil: paling sedikit 64K."),
        });
    }
    Ok(usize::try_from(bytes).unwrap_or(usize::MAX))
}

/// The sorted runs of `compare` as files in a fresh directory inside `base` (made on the
/// first spill; removed with everything in it when dropped, also after an error).
struct TempRuns {
    base: PathBuf,
    dir: Option<tempfile::TempDir>,
    next: usize,
}

impl TempRuns {
    fn new(base: PathBuf) -> TempRuns {
        TempRuns {
            base,
            dir: None,
            next: 0,
        }
    }

    fn path(&self, run: usize) -> io::Result<PathBuf> {
        match &self.dir {
            Some(d) => Ok(d.path().join(format!("run-{run}"))),
            None => Err(io::ErrorKind::NotFound.into()),
        }
    }
}

/// The error with the file's path in front (run files are ours, not the user's).
fn at_path(p: &Path, e: io::Error) -> io::Error {
    io::Error::new(e.kind(), format!("{}: {e}", p.display()))
}

impl padan::runs::RunStore for TempRuns {
    fn create(&mut self) -> io::Result<(usize, Box<dyn Write>)> {
        if self.dir.is_none() {
            fs::create_dir_all(&self.base).map_err(|e| at_path(&self.base, e))?;
            let d = tempfile::Builder::new()
                .prefix(".padan-compare-")
                .tempdir_in(&self.base)
                .map_err(|e| at_path(&self.base, e))?;
            self.dir = Some(d);
        }
        let run = self.next;
        self.next += 1;
        let p = self.path(run)?;
        let f = File::create(&p).map_err(|e| at_path(&p, e))?;
        Ok((run, Box::new(f)))
    }

    fn open(&mut self, run: usize) -> io::Result<Box<dyn Read>> {
        let p = self.path(run)?;
        Ok(Box::new(File::open(&p).map_err(|e| at_path(&p, e))?))
    }

    fn remove(&mut self, run: usize) -> io::Result<()> {
        let p = self.path(run)?;
        fs::remove_file(&p).map_err(|e| at_path(&p, e))
    }
}

/// `padan bench-tokens`: synthetic token files of about `tokens` tokens for the demo
/// workflow (3 match keys), fast, with a realistic overlap: records draw people from a
/// population of 0.7 per record, so lists overlap and hold duplicates; 5% have no NIK,
/// 0.5% a mistyped NIK (a conflict with the person's other records), 2% share their
/// name and birth date with another person. References are random and ascending.
fn bench_tokens(dir: &Path, tokens: u64) -> R {
    use sha2::{Digest, Sha256};
    if !dir.join("workflow.json").exists() {
        demo(dir, 2000, 1, false)?;
    }
    let (wf, secret) = demo_inputs(dir)?;
    let tok_dir = dir.join("tokens");
    fs::create_dir_all(&tok_dir).map_err(|e| Error::io("tokens", e))?;
    let records = tokens * 100 / 295;
    let people = (records * 7 / 10).max(1);
    // A fast 64-bit mix (splitmix64).
    let mix = |mut z: u64| {
        z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    let token = |a: u64, b: u64| -> [u8; 16] {
        let (x, y) = (mix(a ^ mix(b)), mix(b ^ mix(a.rotate_left(17))));
        let mut t = [0u8; 16];
        t[..8].copy_from_slice(&x.to_be_bytes());
        t[8..].copy_from_slice(&y.to_be_bytes());
        t
    };
    let shares = [45u64, 20, 15, 10, 10];
    let keys: Vec<String> = wf.match_keys.iter().map(|k| k.name.clone()).collect();
    assert_eq!(keys.len(), 3, "the demo workflow has three match keys");
    let start = Instant::now();
    let mut total = 0u64;
    for (li, (party, _, _)) in padan::demo::LISTS.iter().enumerate() {
        let n = records * shares[li] / 100;
        let seed = mix(li as u64 + 1000);
        let present = |j: u64| mix(seed ^ j ^ 0xabc) % 100 >= 5;
        let nik = (0..n).filter(|&j| present(j)).count() as u64;
        let header = padan::tokens::TokenHeader {
            format: padan::tokens::FORMAT.into(),
            workflow_id: wf.id.clone(),
            workflow_digest: wf.digest_hex(),
            party: party.to_string(),
            kcv: secret.kcv(),
            match_keys: keys.clone(),
            records: n,
            tokens: [
                (keys[0].clone(), nik),
                (keys[1].clone(), n),
                (keys[2].clone(), n),
            ]
            .into_iter()
            .collect(),
            fuzzy: None,
            created_by: format!("padan {} bench-tokens", padan::VERSION),
        };
        let out = tok_dir.join(format!("{party}.tokens"));
        let (guard, mut w) = AtomicOut::new(&out)?;
        let err = |e| Error::io(&out.display().to_string(), e);
        let mut h = Sha256::new();
        let mut head = padan::tokens::FORMAT.as_bytes().to_vec();
        head.push(b'\n');
        head.extend_from_slice(&serde_json::to_vec(&header).expect("serializable"));
        head.push(b'\n');
        h.update(&head);
        w.write_all(&head).map_err(err)?;
        let step = u128::MAX / n.max(1) as u128;
        let mut rec = [0u8; 16 + 1 + 48];
        for j in 0..n {
            // Ascending random references: one per slot of the 128-bit range.
            let r = step * j as u128 + (u128::from(mix(seed ^ j)) % step.max(1));
            rec[..16].copy_from_slice(&r.to_be_bytes());
            let person = mix(seed.wrapping_add(j)) % people;
            let dice = mix(person ^ seed ^ j.rotate_left(32)) % 1000;
            let has_nik = present(j);
            rec[16] = if has_nik { 7 } else { 6 };
            let nik = if dice < 5 {
                token(0, mix(j ^ seed))
            } else {
                token(0, person)
            };
            rec[17..33].copy_from_slice(if has_nik { &nik } else { &[0; 16] });
            let twin = if mix(person) % 100 < 2 {
                person ^ 1
            } else {
                person
            };
            rec[33..49].copy_from_slice(&token(1, person));
            rec[49..65].copy_from_slice(&token(2, twin));
            h.update(rec);
            w.write_all(&rec).map_err(err)?;
        }
        w.write_all(&h.finalize()).map_err(err)?;
        guard.commit(w)?;
        total += n + n + nik;
        println!("{:<8} {n:>10} rekaman", party);
    }
    println!(
        "{total} token di {} ({:.1} s)",
        tok_dir.display(),
        start.elapsed().as_secs_f64()
    );
    Ok(())
}

/// `padan compare --joined DIR`: the manifest and every `groups/part-*` file of DIR.
fn compare_joined(
    ctx: &Context,
    dir: &Path,
    inputs: Vec<(String, Box<dyn Read>)>,
    store: &mut TempRuns,
    budget: usize,
    pr: &mut dyn FnMut(Progress),
) -> R<pipeline::CompareOutput> {
    let manifest = dir.join("manifest.json");
    let m = read(&manifest)?;
    let gdir = dir.join("groups");
    let mut names: Vec<PathBuf> = fs::read_dir(&gdir)
        .map_err(|e| Error::io(&gdir.display().to_string(), e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| name_of(p).starts_with("part-"))
        .collect();
    names.sort();
    let mut groups: Vec<(String, Box<dyn io::BufRead>)> = Vec::new();
    for p in &names {
        groups.push((name_of(p), Box::new(open(p)?)));
    }
    pipeline::compare_joined(
        ctx,
        inputs,
        (&name_of(&manifest), &m),
        groups,
        store,
        budget,
        &Threads::all(),
        pr,
    )
}

/// `padan export`: a token file as Parquet or CSV (written atomically).
fn export(format: &str, file: &Path, out: &Path) -> R {
    use padan::export::ExportFormat;
    let fmt = ExportFormat::parse(format).ok_or_else(|| Error::Refused {
        what: format!("--format '{format}': pilih parquet atau csv"),
    })?;
    let (guard, mut w) = AtomicOut::new(out)?;
    let s = match fmt {
        ExportFormat::Csv => pipeline::export_csv(open(file)?, &name_of(file), &mut w)?,
        ExportFormat::Parquet => native::export_parquet(open(file)?, &name_of(file), &mut w)?,
    };
    guard.commit(w)?;
    let h = &s.header.token_file;
    println!(
        "{}: pihak {}, {} rekaman, {} baris token ({format}); KCV {}; {}",
        name_of(file),
        h.party,
        h.records,
        s.end.rows,
        h.kcv,
        out.display()
    );
    Ok(())
}

/// `padan import`: the token file back from its export, checked against its checksum.
fn import(file: &Path, out: &Path) -> R {
    let mut magic = [0u8; 4];
    let n = open(file)?
        .read(&mut magic)
        .map_err(|e| Error::io(&name_of(file), e))?;
    let (guard, mut w) = AtomicOut::new(out)?;
    let h = if magic[..n] == *b"PAR1" {
        let f = File::open(file).map_err(|e| Error::io(&name_of(file), e))?;
        native::import_parquet(f, &name_of(file), &mut w)?
    } else {
        pipeline::import_csv(open(file)?, &name_of(file), &mut w)?
    };
    guard.commit(w)?;
    println!(
        "{}: pihak {}, {} rekaman; berkas token {}",
        name_of(file),
        h.party,
        h.records,
        out.display()
    );
    Ok(())
}

/// What only the native build has (Parquet, the .xlsx writer). The `padan` binary is never
/// meant for wasm32, but `cargo test --target wasm32-unknown-unknown` compiles it, so there
/// it must still build: these then refuse.
#[cfg(not(target_arch = "wasm32"))]
mod native {
    pub use padan::pipeline::{export_parquet, import_parquet};
}

#[cfg(target_arch = "wasm32")]
mod native {
    use padan::error::{Error, Result};

    pub fn unavailable() -> Error {
        Error::Refused {
            what: "tidak tersedia di build WebAssembly.".into(),
        }
    }

    pub fn export_parquet<R, W>(_: R, _: &str, _: W) -> Result<padan::export::ExportSummary> {
        Err(unavailable())
    }

    pub fn import_parquet<C, W>(_: C, _: &str, _: W) -> Result<padan::tokens::TokenHeader> {
        Err(unavailable())
    }
}
