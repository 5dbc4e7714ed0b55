//! CLI side of approval and audit: `padan officer ...`, `padan audit verify`, the approval
//! gate every step passes, the trust store on disk, and step receipts.

use std::fs;
use std::io::{self, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};

use clap::Subcommand;
use sha2::{Digest, Sha256};

use padan::approval::{self, Approval, Authorization, OfficerKey, OfficerPublic, TrustStore};
use padan::audit::{self, ApprovalFact, FileFact, Receipt};
use padan::error::Error;
use padan::workflow::Workflow;

use super::{load_workflow, name_of, read, today, write_atomic, R};

/// Where the approval comes from and what this computer trusts.
#[derive(clap::Args, Clone, Default)]
pub struct ApprovalArgs {
    /// The approval file signed by the privacy officer(s) [default: next to the workflow,
    /// NAME.approval.json for NAME.json].
    #[arg(long)]
    pub approval: Option<PathBuf>,
    /// Confirm an officer key by its fingerprint, after comparing it with the one the
    /// privacy officer published (first use only; remembered in the trust store).
    #[arg(long = "trust-officer", value_name = "FINGERPRINT")]
    pub trust_officer: Vec<String>,
    /// The trust store [default: $PADAN_TRUST_STORE, else ~/.padan/trust.json].
    #[arg(long)]
    pub trust_store: Option<PathBuf>,
}

#[derive(Subcommand)]
pub enum OfficerCmd {
    /// Make an officer signing key: the private key sealed with a passphrase, and the
    /// public key with its fingerprint to publish.
    Keygen {
        /// The officer's name and position.
        #[arg(long)]
        name: String,
        /// The sealed private key file.
        #[arg(long)]
        out: PathBuf,
        /// The public key file [default: OUT with extension .pub].
        #[arg(long)]
        public: Option<PathBuf>,
    },
    /// Plain-language summary of a workflow (what leaves each office, what the
    /// coordinator learns, what each office gets back) with warnings.
    Summary {
        #[arg(long)]
        workflow: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Sign a workflow: writes the approval file, or adds a signature to it (m of n).
    Sign {
        #[arg(long)]
        key: PathBuf,
        #[arg(long)]
        workflow: PathBuf,
        /// [default: next to the workflow, NAME.approval.json]
        #[arg(long)]
        approval: Option<PathBuf>,
    },
    /// Trust an officer public key on this computer (what the first use asks for).
    Trust {
        /// The officer's public key file.
        #[arg(long)]
        public: PathBuf,
        /// The fingerprint as published through official channels; must match.
        #[arg(long)]
        fingerprint: String,
        /// Signatures required here, whatever a workflow says.
        #[arg(long)]
        min_signatures: Option<u32>,
        #[arg(long)]
        trust_store: Option<PathBuf>,
    },
    /// Check an approval without running anything.
    Verify {
        #[arg(long)]
        workflow: PathBuf,
        #[command(flatten)]
        approval: ApprovalArgs,
    },
}

#[derive(Subcommand)]
pub enum AuditCmd {
    /// Check the coordinator's hash-chained log; reports the first broken link.
    Verify {
        log: PathBuf,
        /// The head hash published after the last run (catches entries cut off the end).
        #[arg(long)]
        expect_head: Option<String>,
    },
}

/// The approval file that belongs to a workflow file when none is named.
pub fn default_approval(workflow: &Path) -> PathBuf {
    let stem = workflow
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "workflow".into());
    workflow.with_file_name(format!("{stem}.approval.json"))
}

fn trust_store_path(explicit: Option<&Path>) -> PathBuf {
    if let Some(p) = explicit {
        return p.to_path_buf();
    }
    if let Some(p) = std::env::var_os("PADAN_TRUST_STORE") {
        return PathBuf::from(p);
    }
    let home = std::env::var_os("HOME")
        .or_else(|| std::env::var_os("APPDATA"))
        .or_else(|| std::env::var_os("USERPROFILE"))
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."));
    home.join(".padan").join("trust.json")
}

fn load_store(path: &Path) -> R<TrustStore> {
    match fs::read(path) {
        Ok(b) => TrustStore::parse(&b, &path.display().to_string()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(TrustStore::default()),
        Err(e) => Err(Error::io(&path.display().to_string(), e)),
    }
}

fn save_store(path: &Path, store: &TrustStore) -> R {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::create_dir_all(dir).map_err(|e| Error::io(&dir.display().to_string(), e))?;
    }
    write_atomic(path, &store.to_bytes())
}

/// Asks on the terminal whether the user confirms the fingerprints; false when stdin is
/// not a terminal or the answer is not "ya"/"yes".
fn confirm_on_terminal(officers: &[(String, String)]) -> bool {
    if !io::stdin().is_terminal() {
        return false;
    }
    eprintln!("Persetujuan alur kerja ini ditandatangani oleh kunci pejabat PDP yang belum dikenal komputer ini:");
    for (n, f) in officers {
        eprintln!("  {n}\n    sidik jari: {f}");
    }
    eprint!("Apakah sidik jari ini SAMA dengan yang diumumkan resmi oleh pejabat PDP? Ketik 'ya' untuk memercayainya: ");
    let _ = io::stderr().flush();
    let mut answer = String::new();
    if io::stdin().read_line(&mut answer).is_err() {
        return false;
    }
    matches!(answer.trim().to_lowercase().as_str(), "ya" | "yes" | "y")
}

/// The gate before every step: loads the workflow and its approval and checks them
/// against the trust store (asking to confirm officer keys on first use). Remembers the
/// workflow id and digest afterwards.
pub fn authorize(workflow: &Path, args: &ApprovalArgs) -> R<(Workflow, Authorization)> {
    let wf = load_workflow(workflow)?;
    let ap_path = args
        .approval
        .clone()
        .unwrap_or_else(|| default_approval(workflow));
    let ap_name = name_of(&ap_path);
    let ap_bytes = match fs::read(&ap_path) {
        Ok(b) => b,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(Error::approval(
                &ap_name,
                None,
                format!(
                    "berkas persetujuan tidak ada ({}). Tidak ada yang berjalan tanpa persetujuan pejabat PDP: minta berkas persetujuan alur kerja ini (padan officer sign), atau sebutkan dengan --approval.",
                    ap_path.display()
                ),
            ))
        }
        Err(e) => return Err(Error::io(&ap_name, e)),
    };
    let ap = Approval::parse(&ap_bytes, &ap_name)?;
    let store_path = trust_store_path(args.trust_store.as_deref());
    let mut store = load_store(&store_path)?;
    let before = store.clone();
    let today = today();
    let wname = name_of(workflow);
    if !args.trust_officer.is_empty() {
        store.trust_confirmed(&ap, &args.trust_officer, today);
    }
    let auth = match approval::authorize(&wf, &wname, &ap, &ap_name, &store, today) {
        Err(Error::UntrustedOfficer { file, officers }) => {
            if confirm_on_terminal(&officers) {
                let fps: Vec<String> = officers.iter().map(|(_, f)| f.clone()).collect();
                store.trust_confirmed(&ap, &fps, today);
                approval::authorize(&wf, &wname, &ap, &ap_name, &store, today)?
            } else {
                return Err(Error::UntrustedOfficer { file, officers });
            }
        }
        other => other?,
    };
    store.record(&auth, today);
    if store != before {
        save_store(&store_path, &store)?;
    }
    for (n, f) in &auth.officers {
        eprintln!("Disetujui oleh / approved by: {n} ({f})");
    }
    Ok((wf, auth))
}

/// The current time, RFC 3339 UTC, to the second.
pub fn now_rfc3339() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let d = today();
    let s = secs % 86_400;
    format!(
        "{}T{:02}:{:02}:{:02}Z",
        d.iso(),
        s / 3600,
        (s / 60) % 60,
        s % 60
    )
}

/// Name, SHA-256 and size of a file, streamed.
pub fn file_fact(path: &Path) -> R<FileFact> {
    let name = name_of(path);
    let mut f = fs::File::open(path).map_err(|e| Error::io(&name, e))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut n = 0u64;
    loop {
        let k = f.read(&mut buf).map_err(|e| Error::io(&name, e))?;
        if k == 0 {
            break;
        }
        h.update(&buf[..k]);
        n += k as u64;
    }
    Ok(FileFact::digested(name, hex::encode(h.finalize()), n))
}

/// A step's receipt.
#[allow(clippy::too_many_arguments)]
pub fn receipt(
    step: &str,
    auth: &Authorization,
    party: &str,
    kcv: Option<String>,
    inputs: Vec<FileFact>,
    outputs: Vec<FileFact>,
    started: String,
    counts: serde_json::Value,
) -> Receipt {
    Receipt {
        format: audit::RECEIPT_FORMAT.into(),
        step: step.into(),
        software: format!("padan {}", padan::VERSION),
        approval: ApprovalFact::from(auth),
        party: party.into(),
        kcv,
        inputs,
        outputs,
        started,
        finished: now_rfc3339(),
        counts,
        audit_entry: None,
    }
}

fn passphrase(confirm: bool) -> R<String> {
    if let Ok(p) = std::env::var("PADAN_OFFICER_PASSPHRASE") {
        return Ok(p);
    }
    if !io::stdin().is_terminal() {
        return Err(Error::Refused {
            what: "frasa sandi kunci pejabat diperlukan: jalankan di terminal, atau isi PADAN_OFFICER_PASSPHRASE.".into(),
        });
    }
    let p = prompt_hidden("Frasa sandi kunci pejabat PDP: ")?;
    if confirm {
        let again = prompt_hidden("Ulangi frasa sandi: ")?;
        if again != p {
            return Err(Error::Refused {
                what: "kedua frasa sandi tidak sama.".into(),
            });
        }
    }
    Ok(p)
}

#[cfg(not(target_arch = "wasm32"))]
fn prompt_hidden(prompt: &str) -> R<String> {
    rpassword::prompt_password(prompt).map_err(|e| Error::io("terminal", e))
}

#[cfg(target_arch = "wasm32")]
fn prompt_hidden(_prompt: &str) -> R<String> {
    Err(Error::Refused {
        what: "tidak ada terminal.".into(),
    })
}

fn random<const N: usize>() -> R<[u8; N]> {
    let mut b = [0u8; N];
    getrandom::getrandom(&mut b).map_err(|e| Error::Refused {
        what: format!("sumber acak OS gagal: {e}"),
    })?;
    Ok(b)
}

/// Writes a new sealed officer key (never over an existing file) and its public key.
fn officer_keygen(name: &str, out: &Path, public: Option<&Path>) -> R {
    if out.exists() {
        return Err(Error::Refused {
            what: format!("{} sudah ada; kunci lama tidak ditimpa.", out.display()),
        });
    }
    let pass = passphrase(true)?;
    let key = OfficerKey::from_seed(name, random::<32>()?)?;
    let sealed = key.seal(&pass, random::<28>()?)?;
    let pub_path = public
        .map(Path::to_path_buf)
        .unwrap_or_else(|| out.with_extension("pub"));
    write_atomic(out, &sealed)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(out, fs::Permissions::from_mode(0o600))
            .map_err(|e| Error::io(&out.display().to_string(), e))?;
    }
    let pubf = key.public();
    write_atomic(&pub_path, &pubf.to_bytes())?;
    println!(
        "Kunci pejabat PDP: {} (disegel dengan frasa sandi; simpan sendiri)",
        out.display()
    );
    println!("Kunci publik: {}", pub_path.display());
    println!("SIDIK JARI / fingerprint: {}", pubf.fingerprint);
    println!("Umumkan sidik jari ini lewat saluran resmi (surat, situs resmi) agar setiap OPD dapat memeriksanya.");
    Ok(())
}

fn sign(key_path: &Path, workflow: &Path, approval: Option<&Path>) -> R {
    let wf = load_workflow(workflow)?;
    let ap_path = approval
        .map(Path::to_path_buf)
        .unwrap_or_else(|| default_approval(workflow));
    let ap_name = name_of(&ap_path);
    let mut ap = match fs::read(&ap_path) {
        Ok(b) => Approval::parse(&b, &ap_name)?,
        Err(e) if e.kind() == io::ErrorKind::NotFound => Approval::new(&wf),
        Err(e) => return Err(Error::io(&ap_name, e)),
    };
    let pass = passphrase(false)?;
    let key = OfficerKey::unseal(&read(key_path)?, &name_of(key_path), &pass)?;
    let summary = approval::summarize(&wf);
    ap.sign(&key, &wf, today(), &ap_name)?;
    write_atomic(&ap_path, &ap.to_bytes())?;
    println!(
        "Ditandatangani / signed: {} oleh {} ({})",
        wf.id,
        key.officer(),
        approval::fingerprint(&key.public_key())
    );
    println!(
        "Tanda tangan: {} dari {} yang diperlukan; berkas persetujuan: {}",
        ap.signatures.len(),
        wf.approvals_required,
        ap_path.display()
    );
    for w in &summary.warnings {
        println!("  PERINGATAN: {}", w.text);
    }
    Ok(())
}

pub fn run_officer(cmd: OfficerCmd) -> R {
    match cmd {
        OfficerCmd::Keygen { name, out, public } => officer_keygen(&name, &out, public.as_deref()),
        OfficerCmd::Summary { workflow, json } => {
            let bytes = read(&workflow)?;
            let wf = Workflow::parse(&bytes, &name_of(&workflow))?;
            let s = approval::summarize(&wf);
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&s).expect("serializable")
                );
            } else {
                print!("{}", s.to_text());
                println!("digest: {}", s.workflow_digest);
            }
            Ok(())
        }
        OfficerCmd::Sign {
            key,
            workflow,
            approval,
        } => sign(&key, &workflow, approval.as_deref()),
        OfficerCmd::Trust {
            public,
            fingerprint,
            min_signatures,
            trust_store,
        } => {
            let p = OfficerPublic::parse(&read(&public)?, &name_of(&public))?;
            if approval::normalize_fingerprint(&fingerprint) != p.fingerprint {
                return Err(Error::Refused {
                    what: format!(
                        "sidik jari {} pada {} TIDAK sama dengan yang Anda ketik ({}): jangan percayai kunci ini; hubungi pejabat PDP.",
                        p.fingerprint,
                        public.display(),
                        fingerprint
                    ),
                });
            }
            let path = trust_store_path(trust_store.as_deref());
            let mut store = load_store(&path)?;
            let pk: [u8; 32] = hex::decode(&p.public_key)
                .ok()
                .and_then(|v| v.try_into().ok())
                .expect("checked by parse");
            store.trust(&p.officer, &pk, today());
            if let Some(m) = min_signatures {
                if m == 0 || m > 16 {
                    return Err(Error::Refused {
                        what: "--min-signatures harus 1 sampai 16.".into(),
                    });
                }
                store.min_signatures = m;
            }
            save_store(&path, &store)?;
            println!(
                "Dipercaya / trusted: {} ({}); daftar kepercayaan: {}",
                p.officer,
                p.fingerprint,
                path.display()
            );
            Ok(())
        }
        OfficerCmd::Verify { workflow, approval } => {
            let (wf, auth) = authorize(&workflow, &approval)?;
            println!(
                "Persetujuan sah / approval valid: {} (digest {}), {} dari {} tanda tangan tepercaya.",
                wf.id,
                auth.workflow_digest,
                auth.officers.len(),
                auth.required
            );
            Ok(())
        }
    }
}

pub fn run_audit(cmd: AuditCmd) -> R {
    match cmd {
        AuditCmd::Verify { log, expect_head } => {
            let r = audit::verify(&read(&log)?, &name_of(&log), expect_head.as_deref())?;
            println!(
                "Log audit utuh / audit log intact: {} entri; ujung (head) {}",
                r.entries, r.head
            );
            Ok(())
        }
    }
}

/// Refuses to go on with a log whose chain is broken (a missing log is a new one).
pub fn check_log(log: &Path) -> R {
    match fs::read(log) {
        Ok(b) => audit::verify(&b, &name_of(log), None).map(|_| ()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::io(&name_of(log), e)),
    }
}

/// Appends a compare run to the coordinator's log; returns the entry's hash.
pub fn log_compare(
    log: &Path,
    auth: &Authorization,
    inputs: Vec<FileFact>,
    outputs: Vec<FileFact>,
    counts: serde_json::Value,
) -> R<String> {
    let name = name_of(log);
    let existing = match fs::read(log) {
        Ok(b) => b,
        Err(e) if e.kind() == io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(Error::io(&name, e)),
    };
    let (entry, bytes) = audit::append(
        &existing,
        &name,
        &now_rfc3339(),
        "compare",
        ApprovalFact::from(auth),
        inputs,
        outputs,
        counts,
    )?;
    let mut f = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .map_err(|e| Error::io(&name, e))?;
    f.write_all(&bytes)
        .and_then(|_| f.sync_all())
        .map_err(|e| Error::io(&name, e))?;
    Ok(entry.hash)
}

/// The demo's officer files (see `padan::approval::demo_officer_files`); returns the
/// officer's fingerprint.
pub fn demo_officer(out: &Path, wf: &Workflow, seed: u64) -> R<String> {
    for (name, bytes) in approval::demo_officer_files(wf, seed)? {
        write_atomic(&out.join(name), &bytes)?;
    }
    Ok(approval::demo_officer(seed).public().fingerprint)
}

pub use padan::approval::DEMO_PASSPHRASE;

/// The coordinator's log when none is named: `audit.log` beside the trust store.
pub fn default_audit_log(trust_store: Option<&Path>) -> PathBuf {
    trust_store_path(trust_store).with_file_name("audit.log")
}
