//! The privacy officer's approval of a workflow, and the checks that nothing runs without it.
//!
//! - An **officer key** is an Ed25519 key pair. The private half stays with the officer, in
//!   a key file sealed with a passphrase (Argon2id, then ChaCha20-Poly1305). The public half
//!   has a short **fingerprint** (`XXXX-XXXX-XXXX-XXXX-XXXX`, 80 bits of SHA-256) that the
//!   officer publishes through official channels.
//! - An **approval** file holds one or more signatures over the workflow's canonical bytes
//!   (see [`Workflow::canonical_bytes`]), each by one officer key. A workflow may require m
//!   signatures (`approvals_required`).
//! - A **trust store** is what one computer (or one browser) trusts: the officer keys its
//!   user confirmed by fingerprint (trust on first use), the minimum number of signatures,
//!   and the workflow ids it has seen with their digests (so an id reused with other
//!   content is refused).
//!
//! [`authorize`] is the one gate: the CLI and the pages call it before every step, office
//! and coordinator alike. The core itself has no clock, no randomness and no storage: the
//! caller passes today's date, random bytes, and the trust store's bytes.

use std::collections::BTreeSet;

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::ChaCha20Poly1305;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::date::Date;
use crate::error::{Error, Result};
use crate::workflow::{parse_iso, Workflow};

pub const KEY_FORMAT: &str = "padan-officer-key/1";
pub const PUBLIC_FORMAT: &str = "padan-officer-pub/1";
pub const APPROVAL_FORMAT: &str = "padan-approval/1";
pub const TRUST_FORMAT: &str = "padan-trust/1";

/// Argon2id cost of sealing an officer key (OWASP's 19 MiB, 2 passes, 1 lane).
const ARGON_M_KIB: u32 = 19 * 1024;
const ARGON_T: u32 = 2;
const ARGON_P: u32 = 1;
/// Shortest passphrase accepted when sealing.
pub const MIN_PASSPHRASE_CHARS: usize = 10;

/// The short fingerprint of an officer public key: the first 80 bits of
/// SHA-256("padan-officer/1" || key), as five groups of four upper-case hex digits, easy
/// to read out over the phone.
pub fn fingerprint(public_key: &[u8; 32]) -> String {
    let mut h = Sha256::new();
    h.update(b"padan-officer/1");
    h.update(public_key);
    let d = h.finalize();
    let hex = hex::encode_upper(&d[..10]);
    hex.as_bytes()
        .chunks(4)
        .map(|c| std::str::from_utf8(c).expect("hex is ascii"))
        .collect::<Vec<_>>()
        .join("-")
}

/// Normalizes a fingerprint typed by a user (spaces, lower case, missing dashes).
pub fn normalize_fingerprint(s: &str) -> String {
    let hex: String = s
        .chars()
        .filter(|c| c.is_ascii_hexdigit())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    hex.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("-")
}

/// The message an officer signs: a domain label, the signing date, then the workflow's
/// canonical bytes. The date is covered by the signature so it cannot be altered.
fn message(canonical: &[u8], signed_on: &str) -> Vec<u8> {
    let mut m = Vec::with_capacity(canonical.len() + 40);
    m.extend_from_slice(b"padan-approval/1\n");
    m.extend_from_slice(signed_on.as_bytes());
    m.push(b'\n');
    m.extend_from_slice(canonical);
    m
}

/// A JSON file as padan writes them: pretty-printed, ending in a newline.
pub(crate) fn json_file<T: Serialize>(v: &T) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(v).expect("serializable");
    bytes.push(b'\n');
    bytes
}

fn hex_array<const N: usize>(s: &str, file: &str, field: &str) -> Result<[u8; N]> {
    let v = hex::decode(s.trim()).map_err(|_| {
        Error::approval(
            file,
            Some(field),
            format!("'{field}' bukan heksadesimal yang sah."),
        )
    })?;
    v.try_into().map_err(|_| {
        Error::approval(
            file,
            Some(field),
            format!("'{field}' harus {N} bita ({} digit heksadesimal).", N * 2),
        )
    })
}

fn parse_json<T: serde::de::DeserializeOwned>(bytes: &[u8], file: &str, what: &str) -> Result<T> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    serde_json::from_slice(bytes).map_err(|e| Error::Approval {
        loc: crate::error::Location {
            file: file.to_string(),
            line: Some(e.line() as u64),
            field: None,
        },
        what: format!("bukan {what} yang sah ({e})."),
    })
}

fn check_format(found: &str, want: &str, file: &str) -> Result<()> {
    if found == want {
        Ok(())
    } else {
        Err(Error::approval(
            file,
            Some("format"),
            format!("format '{found}' tidak dikenal; berkas ini harus '{want}'."),
        ))
    }
}

// ---------------------------------------------------------------------------------------
// Officer keys

/// The public half of an officer key, as published.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OfficerPublic {
    pub format: String,
    /// The officer's name and position, e.g. "Pejabat PDP Kabupaten Cirebon".
    pub officer: String,
    /// 32 bytes, hex.
    pub public_key: String,
    pub fingerprint: String,
}

impl OfficerPublic {
    pub fn parse(bytes: &[u8], file: &str) -> Result<OfficerPublic> {
        let p: OfficerPublic = parse_json(bytes, file, "kunci publik pejabat PDP")?;
        check_format(&p.format, PUBLIC_FORMAT, file)?;
        let pk: [u8; 32] = hex_array(&p.public_key, file, "public_key")?;
        if fingerprint(&pk) != p.fingerprint {
            return Err(Error::approval(
                file,
                Some("fingerprint"),
                "sidik jari tidak cocok dengan kunci publik: berkas rusak atau diubah.",
            ));
        }
        VerifyingKey::from_bytes(&pk).map_err(|_| {
            Error::approval(
                file,
                Some("public_key"),
                "bukan kunci publik Ed25519 yang sah.",
            )
        })?;
        Ok(p)
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        json_file(self)
    }
}

/// The sealed private key file.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SealedKeyFile {
    format: String,
    officer: String,
    public_key: String,
    fingerprint: String,
    kdf: KdfParams,
    cipher: String,
    nonce: String,
    /// ChaCha20-Poly1305 of the 32-byte Ed25519 seed, with the public key as associated data.
    sealed_seed: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KdfParams {
    alg: String,
    m_kib: u32,
    t: u32,
    p: u32,
    salt: String,
}

fn derive_wrap_key(
    passphrase: &str,
    salt: &[u8],
    m: u32,
    t: u32,
    p: u32,
) -> Result<Zeroizing<[u8; 32]>> {
    let params = argon2::Params::new(m, t, p, Some(32)).map_err(|e| Error::Refused {
        what: format!("parameter Argon2 tidak sah: {e}"),
    })?;
    let a = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let mut out = Zeroizing::new([0u8; 32]);
    a.hash_password_into(passphrase.as_bytes(), salt, out.as_mut())
        .map_err(|e| Error::Refused {
            what: format!("Argon2 gagal: {e}"),
        })?;
    Ok(out)
}

/// An officer's signing key, in memory only while signing.
pub struct OfficerKey {
    officer: String,
    signing: SigningKey,
}

impl OfficerKey {
    /// A key from 32 random bytes (the caller's OS or `crypto.getRandomValues`).
    pub fn from_seed(officer: &str, seed: [u8; 32]) -> Result<OfficerKey> {
        let officer = officer.trim();
        if officer.is_empty() {
            return Err(Error::Refused {
                what: "isi nama dan jabatan pejabat PDP.".into(),
            });
        }
        Ok(OfficerKey {
            officer: officer.to_string(),
            signing: SigningKey::from_bytes(&seed),
        })
    }

    pub fn officer(&self) -> &str {
        &self.officer
    }

    pub fn public_key(&self) -> [u8; 32] {
        self.signing.verifying_key().to_bytes()
    }

    pub fn public(&self) -> OfficerPublic {
        let pk = self.public_key();
        OfficerPublic {
            format: PUBLIC_FORMAT.into(),
            officer: self.officer.clone(),
            public_key: hex::encode(pk),
            fingerprint: fingerprint(&pk),
        }
    }

    /// The key file, sealed with `passphrase`. `random` gives the 16-byte salt and the
    /// 12-byte nonce.
    pub fn seal(&self, passphrase: &str, random: [u8; 28]) -> Result<Vec<u8>> {
        if passphrase.chars().count() < MIN_PASSPHRASE_CHARS {
            return Err(Error::Refused {
                what: format!(
                    "frasa sandi terlalu pendek: pakai sedikitnya {MIN_PASSPHRASE_CHARS} karakter (lebih baik beberapa kata)."
                ),
            });
        }
        let (salt, nonce) = random.split_at(16);
        let wrap = derive_wrap_key(passphrase, salt, ARGON_M_KIB, ARGON_T, ARGON_P)?;
        let pk = self.public_key();
        let cipher = ChaCha20Poly1305::new(wrap.as_ref().into());
        let seed = Zeroizing::new(self.signing.to_bytes());
        let sealed = cipher
            .encrypt(
                nonce.into(),
                Payload {
                    msg: seed.as_ref(),
                    aad: &pk,
                },
            )
            .map_err(|_| Error::Refused {
                what: "penyegelan kunci gagal.".into(),
            })?;
        let file = SealedKeyFile {
            format: KEY_FORMAT.into(),
            officer: self.officer.clone(),
            public_key: hex::encode(pk),
            fingerprint: fingerprint(&pk),
            kdf: KdfParams {
                alg: "argon2id".into(),
                m_kib: ARGON_M_KIB,
                t: ARGON_T,
                p: ARGON_P,
                salt: hex::encode(salt),
            },
            cipher: "chacha20poly1305".into(),
            nonce: hex::encode(nonce),
            sealed_seed: hex::encode(sealed),
        };
        Ok(json_file(&file))
    }

    /// Opens a sealed key file with its passphrase.
    pub fn unseal(bytes: &[u8], file: &str, passphrase: &str) -> Result<OfficerKey> {
        let f: SealedKeyFile = parse_json(bytes, file, "berkas kunci pejabat PDP")?;
        check_format(&f.format, KEY_FORMAT, file)?;
        if f.kdf.alg != "argon2id" || f.cipher != "chacha20poly1305" {
            return Err(Error::approval(
                file,
                Some("kdf"),
                "algoritme penyegelan tidak dikenal.",
            ));
        }
        if f.kdf.m_kib > 1 << 20 || f.kdf.t > 16 || f.kdf.p > 8 {
            return Err(Error::approval(
                file,
                Some("kdf"),
                "parameter Argon2 berlebihan: berkas bukan buatan padan.",
            ));
        }
        let pk: [u8; 32] = hex_array(&f.public_key, file, "public_key")?;
        let salt: [u8; 16] = hex_array(&f.kdf.salt, file, "salt")?;
        let nonce: [u8; 12] = hex_array(&f.nonce, file, "nonce")?;
        let sealed = hex::decode(&f.sealed_seed).map_err(|_| {
            Error::approval(file, Some("sealed_seed"), "bukan heksadesimal yang sah.")
        })?;
        let wrap = derive_wrap_key(passphrase, &salt, f.kdf.m_kib, f.kdf.t, f.kdf.p)?;
        let cipher = ChaCha20Poly1305::new(wrap.as_ref().into());
        let seed = Zeroizing::new(
            cipher
                .decrypt(
                    (&nonce).into(),
                    Payload {
                        msg: &sealed,
                        aad: &pk,
                    },
                )
                .map_err(|_| {
                    Error::approval(file, None, "frasa sandi salah, atau berkas kunci rusak.")
                })?,
        );
        let seed: [u8; 32] = seed
            .as_slice()
            .try_into()
            .map_err(|_| Error::approval(file, Some("sealed_seed"), "panjang kunci tidak sah."))?;
        let key = OfficerKey::from_seed(&f.officer, seed)?;
        if key.public_key() != pk {
            return Err(Error::approval(
                file,
                Some("public_key"),
                "kunci publik tidak cocok dengan kunci privat: berkas rusak.",
            ));
        }
        Ok(key)
    }
}

// ---------------------------------------------------------------------------------------
// Approvals

/// One officer's signature.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignatureEntry {
    pub officer: String,
    pub public_key: String,
    pub fingerprint: String,
    /// `YYYY-MM-DD`, covered by the signature.
    pub signed_on: String,
    /// 64 bytes, hex.
    pub signature: String,
}

/// An approval file: the signatures over one workflow.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Approval {
    pub format: String,
    pub workflow_id: String,
    /// SHA-256 of the workflow's canonical bytes, hex.
    pub workflow_digest: String,
    pub signatures: Vec<SignatureEntry>,
}

impl Approval {
    /// An approval of `wf` with no signatures yet.
    pub fn new(wf: &Workflow) -> Approval {
        Approval {
            format: APPROVAL_FORMAT.into(),
            workflow_id: wf.id.clone(),
            workflow_digest: wf.digest_hex(),
            signatures: Vec::new(),
        }
    }

    pub fn parse(bytes: &[u8], file: &str) -> Result<Approval> {
        let a: Approval = parse_json(bytes, file, "berkas persetujuan")?;
        check_format(&a.format, APPROVAL_FORMAT, file)?;
        Ok(a)
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        json_file(self)
    }

    /// SHA-256 of the approval's canonical JSON, hex: what receipts and logs record.
    pub fn digest_hex(&self) -> String {
        let value = serde_json::to_value(self).expect("serializable");
        hex::encode(Sha256::digest(
            serde_json::to_vec(&value).expect("serializable"),
        ))
    }

    /// Adds `key`'s signature over `wf`. Refuses another workflow and a second signature
    /// by the same key.
    pub fn sign(
        &mut self,
        key: &OfficerKey,
        wf: &Workflow,
        signed_on: Date,
        file: &str,
    ) -> Result<()> {
        if self.workflow_digest != wf.digest_hex() || self.workflow_id != wf.id {
            return Err(Error::approval(
                file,
                Some("workflow_digest"),
                "persetujuan ini untuk alur kerja lain (isi berbeda); buat persetujuan baru.",
            ));
        }
        let pk = hex::encode(key.public_key());
        if self.signatures.iter().any(|s| s.public_key == pk) {
            return Err(Error::approval(
                file,
                Some("signatures"),
                "kunci ini sudah menandatangani alur kerja ini.",
            ));
        }
        let signed_on = signed_on.iso();
        let sig = key
            .signing
            .sign(&message(&wf.canonical_bytes(), &signed_on));
        self.signatures.push(SignatureEntry {
            officer: key.officer.clone(),
            public_key: pk,
            fingerprint: fingerprint(&key.public_key()),
            signed_on,
            signature: hex::encode(sig.to_bytes()),
        });
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------
// Trust

/// An officer key this computer trusts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustedOfficer {
    pub officer: String,
    pub public_key: String,
    pub fingerprint: String,
    pub trusted_on: String,
}

/// A workflow id seen here, with the digest it had.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeenWorkflow {
    pub id: String,
    pub digest: String,
    pub first_seen: String,
}

/// What one computer or browser trusts. Holds public keys and workflow digests only.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustStore {
    pub format: String,
    /// Signatures required here whatever the workflow says (the larger of the two counts).
    #[serde(default = "one")]
    pub min_signatures: u32,
    #[serde(default)]
    pub officers: Vec<TrustedOfficer>,
    #[serde(default)]
    pub workflows: Vec<SeenWorkflow>,
}

fn one() -> u32 {
    1
}

impl Default for TrustStore {
    fn default() -> Self {
        TrustStore {
            format: TRUST_FORMAT.into(),
            min_signatures: 1,
            officers: Vec::new(),
            workflows: Vec::new(),
        }
    }
}

impl TrustStore {
    pub fn parse(bytes: &[u8], file: &str) -> Result<TrustStore> {
        let t: TrustStore = parse_json(bytes, file, "daftar kepercayaan")?;
        check_format(&t.format, TRUST_FORMAT, file)?;
        Ok(t)
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        json_file(self)
    }

    pub fn is_trusted(&self, public_key_hex: &str) -> bool {
        self.officers.iter().any(|o| o.public_key == public_key_hex)
    }

    /// Trusts an officer key (idempotent).
    pub fn trust(&mut self, officer: &str, public_key: &[u8; 32], today: Date) {
        let pk = hex::encode(public_key);
        if !self.is_trusted(&pk) {
            self.officers.push(TrustedOfficer {
                officer: officer.to_string(),
                public_key: pk,
                fingerprint: fingerprint(public_key),
                trusted_on: today.iso(),
            });
        }
    }

    /// Trusts the signers of `approval` whose fingerprint is in `confirmed` (what the user
    /// read and confirmed). Returns how many keys were newly trusted. Signatures are not
    /// checked here; [`authorize`] checks them.
    pub fn trust_confirmed(
        &mut self,
        approval: &Approval,
        confirmed: &[String],
        today: Date,
    ) -> usize {
        let confirmed: BTreeSet<String> =
            confirmed.iter().map(|f| normalize_fingerprint(f)).collect();
        let mut n = 0;
        for s in &approval.signatures {
            let Ok(raw) = hex::decode(&s.public_key) else {
                continue;
            };
            let Ok(pk) = <[u8; 32]>::try_from(raw.as_slice()) else {
                continue;
            };
            let fp = fingerprint(&pk);
            if confirmed.contains(&fp) && !self.is_trusted(&s.public_key) {
                self.trust(&s.officer, &pk, today);
                n += 1;
            }
        }
        n
    }

    /// Remembers the workflow an authorization was for (call after [`authorize`] succeeds).
    pub fn record(&mut self, auth: &Authorization, today: Date) {
        if !self.workflows.iter().any(|w| w.id == auth.workflow_id) {
            self.workflows.push(SeenWorkflow {
                id: auth.workflow_id.clone(),
                digest: auth.workflow_digest.clone(),
                first_seen: today.iso(),
            });
        }
    }
}

/// What a successful [`authorize`] established; receipts and logs record it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Authorization {
    pub workflow_id: String,
    pub workflow_digest: String,
    pub approval_digest: String,
    /// (officer, fingerprint) of every trusted, valid signature.
    pub officers: Vec<(String, String)>,
    pub required: u32,
}

/// The one gate before every step: `approval` must carry at least m valid signatures
/// (m = the larger of the workflow's `approvals_required` and the store's
/// `min_signatures`) over exactly this workflow by distinct officer keys the store trusts;
/// the workflow must be valid today; and its id must not have been seen here with other
/// content. Any signature that does not verify is an error, not skipped: it means the
/// approval was altered.
pub fn authorize(
    wf: &Workflow,
    wf_file: &str,
    approval: &Approval,
    approval_file: &str,
    trust: &TrustStore,
    today: Date,
) -> Result<Authorization> {
    let digest = wf.digest_hex();
    if approval.workflow_id != wf.id || approval.workflow_digest != digest {
        return Err(Error::approval(
            approval_file,
            Some("workflow_digest"),
            format!(
                "persetujuan ini bukan untuk alur kerja {wf_file} apa adanya (digest {}…): alur kerja diubah setelah disetujui, atau persetujuannya untuk alur kerja lain. Minta pejabat PDP memeriksa dan menandatangani ulang.",
                &digest[..16]
            ),
        ));
    }
    if approval.signatures.is_empty() {
        return Err(Error::approval(
            approval_file,
            Some("signatures"),
            "belum ada tanda tangan pejabat PDP.",
        ));
    }
    let canonical = wf.canonical_bytes();
    let mut trusted = Vec::new();
    let mut untrusted = Vec::new();
    let mut seen = BTreeSet::new();
    for (i, s) in approval.signatures.iter().enumerate() {
        let field = format!("signatures[{i}]");
        let pk: [u8; 32] = hex_array(&s.public_key, approval_file, &field)?;
        let sig: [u8; 64] = hex_array(&s.signature, approval_file, &field)?;
        if parse_iso(&s.signed_on).is_none() {
            return Err(Error::approval(
                approval_file,
                Some(&field),
                "tanggal tanda tangan harus YYYY-MM-DD.",
            ));
        }
        let vk = VerifyingKey::from_bytes(&pk)
            .map_err(|_| Error::approval(approval_file, Some(&field), "kunci publik tidak sah."))?;
        vk.verify_strict(
            &message(&canonical, &s.signed_on),
            &Signature::from_bytes(&sig),
        )
        .map_err(|_| {
            Error::approval(
                approval_file,
                Some(&field),
                format!(
                    "tanda tangan {} tidak sah: persetujuan atau alur kerja telah diubah.",
                    s.officer
                ),
            )
        })?;
        let fp = fingerprint(&pk);
        if !seen.insert(pk) {
            continue;
        }
        if trust.is_trusted(&s.public_key) {
            trusted.push((s.officer.clone(), fp));
        } else {
            untrusted.push((s.officer.clone(), fp));
        }
    }
    let required = wf.approvals_required.max(trust.min_signatures).max(1);
    if (trusted.len() as u32) < required {
        if !untrusted.is_empty() {
            return Err(Error::UntrustedOfficer {
                file: approval_file.to_string(),
                officers: untrusted,
            });
        }
        return Err(Error::approval(
            approval_file,
            Some("signatures"),
            format!(
                "perlu {required} tanda tangan pejabat PDP tepercaya yang berbeda; ada {}.",
                trusted.len()
            ),
        ));
    }
    wf.check_valid_on(today, wf_file)?;
    if let Some(prev) = trust.workflows.iter().find(|w| w.id == wf.id) {
        if prev.digest != digest {
            return Err(Error::approval(
                approval_file,
                Some("workflow_id"),
                format!(
                    "id alur kerja '{}' sudah dipakai di sini sejak {} dengan isi lain (digest {}…). Alur kerja baru harus memakai id baru.",
                    wf.id,
                    prev.first_seen,
                    &prev.digest[..16.min(prev.digest.len())]
                ),
            ));
        }
    }
    Ok(Authorization {
        workflow_id: wf.id.clone(),
        workflow_digest: digest,
        approval_digest: approval.digest_hex(),
        officers: trusted,
        required,
    })
}

// ---------------------------------------------------------------------------------------
// The plain-language summary

/// A warning for the privacy officer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Warning {
    /// Stable code, e.g. `specific_data`.
    pub code: &'static str,
    pub text: String,
}

/// What the officer reads before signing.
#[derive(Clone, Debug, Serialize)]
pub struct OfficerSummary {
    pub workflow_id: String,
    pub workflow_digest: String,
    /// Paragraphs in Bahasa Indonesia.
    pub sections: Vec<(String, Vec<String>)>,
    pub warnings: Vec<Warning>,
}

impl OfficerSummary {
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        for (title, lines) in &self.sections {
            s.push_str(title);
            s.push('\n');
            for l in lines {
                s.push_str("  - ");
                s.push_str(l);
                s.push('\n');
            }
            s.push('\n');
        }
        if self.warnings.is_empty() {
            s.push_str("Tidak ada peringatan.\n");
        } else {
            s.push_str("PERINGATAN\n");
            for w in &self.warnings {
                s.push_str(&format!("  ! {} [{}]\n", w.text, w.code));
            }
        }
        s
    }
}

/// Kinds of specific personal data (UU 27/2022 Pasal 4 ayat (2)) a party's list reveals:
/// what it declares, plus what its name suggests.
fn specific_data_of(p: &crate::workflow::Party) -> Vec<String> {
    let mut kinds: BTreeSet<String> = p.specific_data.iter().map(|s| s.to_lowercase()).collect();
    let name = format!("{} {}", p.id, p.name).to_lowercase();
    let has = |w: &[&str]| w.iter().any(|x| name.contains(x));
    if has(&[
        "kesehatan",
        "dinkes",
        "pbi",
        "bpjs",
        "puskesmas",
        "rsud",
        "health",
    ]) {
        kinds.insert("kesehatan".into());
    }
    if has(&[
        "pendidikan",
        "disdik",
        "pip",
        "sekolah",
        "siswa",
        "anak",
        "kip",
        "education",
    ]) {
        kinds.insert("anak".into());
    }
    kinds.into_iter().collect()
}

fn organization(name: &str) -> String {
    name.split('(').next().unwrap_or(name).trim().to_lowercase()
}

/// The plain-language summary of exactly what leaves each office, what the coordinator
/// learns and what each office gets back, with warnings.
pub fn summarize(wf: &Workflow) -> OfficerSummary {
    let name_of = |id: &str| {
        wf.party(id)
            .map(|p| p.name.clone())
            .unwrap_or_else(|| id.to_string())
    };
    let keys: Vec<String> = wf
        .match_keys
        .iter()
        .map(|k| format!("{} ({})", k.name, k.fields.join(" + ")))
        .collect();
    let mut sections = Vec::new();
    sections.push((
        format!("ALUR KERJA {} — {}", wf.id, wf.title),
        vec![
            format!("Tujuan: {}", wf.purpose),
            format!("Dasar hukum: {}", wf.legal_basis),
            format!("Berlaku {} sampai {}.", wf.valid_from, wf.valid_until),
            format!(
                "Koordinator: {}. Pemegang kunci: {}. Daftar acuan: {}.",
                name_of(&wf.coordinator),
                wf.key_custodian
                    .as_deref()
                    .map(name_of)
                    .unwrap_or_else(|| "(tidak disebut)".into()),
                name_of(&wf.reference)
            ),
            format!("Perlu {} tanda tangan pejabat PDP.", wf.approvals_required),
        ],
    ));
    let mut leaves = vec![
        format!(
            "Data pribadi (NIK, nama, tanggal lahir, wilayah) tidak keluar dari kantor. Di komputer kantor, kolom {} dinormalkan lalu diubah menjadi token berkunci (HMAC-SHA256 dengan kunci bersama dari pemegang kunci).",
            wf.fields.join(", ")
        ),
        format!(
            "Yang keluar hanya berkas token: untuk tiap baris, satu rujukan acak dan satu token untuk tiap kunci pencocokan yang dapat dibuat: {}.",
            keys.join("; ")
        ),
        "Urutan baris diacak; rujukan tidak membuka posisi atau isi baris.".into(),
    ];
    if let Some(f) = &wf.fuzzy {
        leaves.push(format!(
            "PENCOCOKAN MIRIP AKTIF (perlu verifikasi): tiap baris juga membawa filter Bloom berkunci dari kolom {} (diperkuat dengan difusi t = {}), token blok berkunci [{}]{}. Filter ini menyimpan kemiripan nama, sehingga serangan pencocokan graf tetap mungkin bagi pihak yang memegang filter dan daftar nama; karena itu koordinator tidak boleh memegang kunci atau daftar lain, dan skor kemiripan tidak pernah dikirim.",
            f.fields.iter().map(|x| x.field.as_str()).collect::<Vec<_>>().join(", "),
            f.diffusion,
            f.blocks.iter().map(|b| b.join(" + ")).collect::<Vec<_>>().join("; "),
            if f.nik_typos { ", dan penanda salah ketik NIK (31 potongan HMAC 16 bit dari NIK yang dihapus satu angkanya atau dua angka bertukar, terikat pada nama dan tanggal lahir)" } else { "" }
        ));
    }
    for p in wf.data_parties() {
        let basis = if p.legal_basis.trim().is_empty() {
            "dasar hukum belum ditulis".to_string()
        } else {
            p.legal_basis.clone()
        };
        leaves.push(format!("{} ({}): dasar hukum {}.", p.name, p.id, basis));
    }
    sections.push(("YANG KELUAR DARI TIAP KANTOR".into(), leaves));
    sections.push((
        "YANG DIKETAHUI KOORDINATOR".into(),
        vec![
            "Jumlah baris tiap daftar dan token mana yang sama antardaftar; dari situ: berapa orang ada di beberapa daftar sekaligus.".into(),
            "Koordinator tidak memegang kunci dan tidak dapat membaca NIK atau nama dari token.".into(),
            format!("Hitungan ringkasan di bawah {} ditekan (ditampilkan \"<{}\").", wf.k, wf.k),
        ],
    ));
    if let Some(f) = &wf.fuzzy {
        sections.last_mut().expect("pushed").1.push(format!(
            "Dengan pencocokan mirip: rekaman yang tokennya tidak cocok dibandingkan kemiripannya (Dice) hanya di dalam blok yang sama; pasangan dengan kemiripan >= {}% ditandai \"perlu verifikasi\" dan TIDAK digabungkan ke hitungan orang. Koordinator melihat kelompok blok (bukan nilainya).",
            f.similarity_percent
        ));
    }
    let mut back = Vec::new();
    for p in wf.data_parties() {
        let d = wf.disclosure_for(&p.id);
        let mut what = vec![
            "status tiap barisnya sendiri (cocok, bertentangan/perlu verifikasi, tidak ditemukan)"
                .to_string(),
        ];
        if wf.fuzzy.is_some() {
            what.push("untuk baris \"perlu verifikasi\": alasannya (nama mirip atau kemungkinan salah ketik NIK), tanpa skor".into());
        }
        if d.in_reference {
            what.push(format!("apakah orangnya ada di {}", name_of(&wf.reference)));
        }
        if d.other_lists {
            what.push("daftar OPD lain mana yang juga memuat orangnya".into());
        }
        back.push(format!(
            "{}: {}. Tidak ada token, tidak ada skor, tidak ada baris milik kantor lain.",
            p.name,
            what.join("; ")
        ));
    }
    sections.push(("YANG DITERIMA KEMBALI TIAP KANTOR".into(), back));

    let mut warnings = Vec::new();
    for p in wf.data_parties() {
        let kinds = specific_data_of(p);
        if !kinds.is_empty() {
            warnings.push(Warning {
                code: "specific_data",
                text: format!(
                    "{}: keanggotaan dalam daftar ini membuka data pribadi yang bersifat spesifik ({}) menurut UU 27/2022 Pasal 4 ayat (2). Pastikan dasar hukumnya dan penilaian dampak (DPIA) sudah ada.",
                    p.name,
                    kinds.join(", ")
                ),
            });
        }
    }
    let coord_org = organization(&name_of(&wf.coordinator));
    for p in wf.data_parties() {
        if organization(&p.name) == coord_org {
            warnings.push(Warning {
                code: "coordinator_holds_data",
                text: format!(
                    "Koordinator ({}) tampaknya juga pemegang daftar {}: ia dapat menghubungkan token dengan daftarnya sendiri. Pisahkan petugasnya, atau pilih koordinator lain.",
                    name_of(&wf.coordinator),
                    p.id
                ),
            });
        }
    }
    match &wf.key_custodian {
        None => warnings.push(Warning {
            code: "no_custodian",
            text: "Pemegang kunci tidak disebut. Tetapkan pihak yang membuat dan menyerahkan kunci bersama; bukan koordinator.".into(),
        }),
        Some(c) => {
            if organization(&name_of(c)) == coord_org {
                warnings.push(Warning {
                    code: "custodian_is_coordinator",
                    text: "Pemegang kunci dan koordinator tampaknya instansi yang sama: koordinator yang memegang kunci dapat mencoba menebak NIK di balik token. Pisahkan perannya.".into(),
                });
            }
        }
    }
    for d in &wf.disclosure {
        if d.other_lists {
            warnings.push(Warning {
                code: "other_lists_disclosed",
                text: format!(
                    "{} akan tahu daftar OPD lain mana yang memuat orang-orangnya; pastikan itu perlu untuk tujuan alur kerja.",
                    name_of(&d.party)
                ),
            });
        }
    }
    if wf.k < 5 {
        warnings.push(Warning {
            code: "small_k",
            text: format!("k = {} kecil; lazimnya 5 atau 10.", wf.k),
        });
    }
    if let (Some(f), Some(u)) = (parse_iso(&wf.valid_from), parse_iso(&wf.valid_until)) {
        if u.days_since_epoch() - f.days_since_epoch() > 366 {
            warnings.push(Warning {
                code: "long_validity",
                text: "Masa berlaku lebih dari satu tahun; pertimbangkan masa yang lebih pendek."
                    .into(),
            });
        }
    }
    if wf.approvals_required < 2 {
        warnings.push(Warning {
            code: "single_signature",
            text: "Cukup satu tanda tangan. Untuk pencocokan berisiko tinggi, pertimbangkan 2 dari n pejabat.".into(),
        });
    }
    OfficerSummary {
        workflow_id: wf.id.clone(),
        workflow_digest: wf.digest_hex(),
        sections,
        warnings,
    }
}

/// The demo scenario's privacy officer: a key derived from the demo seed. Demo only: its
/// passphrase is [`DEMO_PASSPHRASE`] and anyone can recompute it.
pub fn demo_officer(seed: u64) -> OfficerKey {
    let mut h = Sha256::new();
    h.update(b"padan demo officer (never for real approvals)");
    h.update(seed.to_be_bytes());
    OfficerKey::from_seed(
        "Pejabat PDP Kabupaten Cirebon (contoh)",
        h.finalize().into(),
    )
    .expect("a name is given")
}

/// The demo officer key's passphrase (demo only).
pub const DEMO_PASSPHRASE: &str = "contoh-saja-bukan-rahasia";

/// The demo's officer files: (`officer.key`, `officer.pub`, `workflow.approval.json`),
/// the approval signed on the workflow's first valid day.
pub fn demo_officer_files(wf: &Workflow, seed: u64) -> Result<[(&'static str, Vec<u8>); 3]> {
    let key = demo_officer(seed);
    let mut ap = Approval::new(wf);
    let signed_on = parse_iso(&wf.valid_from).expect("a valid workflow");
    ap.sign(&key, wf, signed_on, "workflow.approval.json")?;
    Ok([
        ("officer.key", key.seal(DEMO_PASSPHRASE, [7u8; 28])?),
        ("officer.pub", key.public().to_bytes()),
        ("workflow.approval.json", ap.to_bytes()),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workflow::demo_workflow;

    fn wf() -> Workflow {
        demo_workflow(
            &[
                ("dtks", "Dinas Sosial (DTKS)"),
                ("dinkes", "Dinas Kesehatan (PBI-JK)"),
                ("baznas", "Baznas"),
            ],
            "2025-01-01",
            "2030-12-31",
        )
    }

    fn day(s: &str) -> Date {
        parse_iso(s).unwrap()
    }

    fn officer(n: u8) -> OfficerKey {
        OfficerKey::from_seed(&format!("Pejabat {n}"), [n; 32]).unwrap()
    }

    fn store_with(keys: &[&OfficerKey]) -> TrustStore {
        let mut t = TrustStore::default();
        for k in keys {
            t.trust(k.officer(), &k.public_key(), day("2026-01-01"));
        }
        t
    }

    fn approved(wf: &Workflow, keys: &[&OfficerKey]) -> Approval {
        let mut a = Approval::new(wf);
        for k in keys {
            a.sign(k, wf, day("2026-01-02"), "a.json").unwrap();
        }
        a
    }

    /// RFC 8032 section 7.1, TEST 1, 2 and 3: public key and signature from the secret key.
    #[test]
    fn ed25519_rfc8032_vectors() {
        let cases = [
            (
                "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
                "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
                "",
                "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
            ),
            (
                "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
                "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
                "72",
                "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
            ),
            (
                "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
                "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
                "af82",
                "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a",
            ),
        ];
        for (sk, pk, msg, sig) in cases {
            let sk: [u8; 32] = hex::decode(sk).unwrap().try_into().unwrap();
            let key = SigningKey::from_bytes(&sk);
            assert_eq!(hex::encode(key.verifying_key().to_bytes()), pk);
            let s = key.sign(&hex::decode(msg).unwrap());
            assert_eq!(hex::encode(s.to_bytes()), sig);
            let vk =
                VerifyingKey::from_bytes(&hex::decode(pk).unwrap().try_into().unwrap()).unwrap();
            assert!(vk.verify_strict(&hex::decode(msg).unwrap(), &s).is_ok());
        }
    }

    #[test]
    fn fingerprint_shape_and_normalization() {
        let fp = fingerprint(&[7; 32]);
        assert_eq!(fp.len(), 24);
        assert_eq!(fp.matches('-').count(), 4);
        assert_eq!(
            normalize_fingerprint(&fp.to_lowercase().replace('-', " ")),
            fp
        );
        assert_ne!(fingerprint(&[8; 32]), fp);
    }

    #[test]
    fn seal_and_unseal() {
        let k = officer(3);
        let file = k.seal("kata sandi panjang sekali", [9; 28]).unwrap();
        let text = String::from_utf8(file.clone()).unwrap();
        assert!(
            !text.contains(&hex::encode([3u8; 32])),
            "the seed is not in the file"
        );
        let back = OfficerKey::unseal(&file, "k.json", "kata sandi panjang sekali").unwrap();
        assert_eq!(back.public_key(), k.public_key());
        let e = OfficerKey::unseal(&file, "k.json", "kata sandi yang salah")
            .err()
            .unwrap();
        assert!(e.to_string().contains("frasa sandi salah"), "{e}");
        assert!(k.seal("pendek", [9; 28]).is_err());
        // a flipped bit in the sealed seed is caught by the AEAD tag
        let mut v: serde_json::Value = serde_json::from_slice(&file).unwrap();
        let s = v["sealed_seed"].as_str().unwrap().to_string();
        let flipped = format!("{}{}", if &s[..1] == "0" { "1" } else { "0" }, &s[1..]);
        v["sealed_seed"] = flipped.into();
        let e = OfficerKey::unseal(
            &serde_json::to_vec(&v).unwrap(),
            "k.json",
            "kata sandi panjang sekali",
        )
        .err()
        .unwrap();
        assert!(e.to_string().contains("rusak"), "{e}");
    }

    #[test]
    fn valid_approval_authorizes() {
        let w = wf();
        let k = officer(1);
        let a = approved(&w, &[&k]);
        let auth = authorize(
            &w,
            "w.json",
            &a,
            "a.json",
            &store_with(&[&k]),
            day("2026-11-27"),
        )
        .unwrap();
        assert_eq!(
            auth.officers,
            vec![(k.officer().to_string(), fingerprint(&k.public_key()))]
        );
        assert_eq!(auth.workflow_digest, w.digest_hex());
        // survives a round trip through the file
        let a2 = Approval::parse(&a.to_bytes(), "a.json").unwrap();
        assert!(authorize(
            &w,
            "w.json",
            &a2,
            "a.json",
            &store_with(&[&k]),
            day("2026-11-27")
        )
        .is_ok());
    }

    #[test]
    fn changed_workflow_is_refused() {
        let w = wf();
        let k = officer(1);
        let a = approved(&w, &[&k]);
        let mut changed = w.clone();
        changed.k = 6;
        let e = authorize(
            &changed,
            "w.json",
            &a,
            "a.json",
            &store_with(&[&k]),
            day("2026-11-27"),
        )
        .unwrap_err();
        assert!(e.to_string().contains("diubah setelah disetujui"), "{e}");
        // the digest patched to match, but the signature is over the old bytes
        let mut forged = a.clone();
        forged.workflow_digest = changed.digest_hex();
        let e = authorize(
            &changed,
            "w.json",
            &forged,
            "a.json",
            &store_with(&[&k]),
            day("2026-11-27"),
        )
        .unwrap_err();
        assert!(e.to_string().contains("tidak sah"), "{e}");
    }

    #[test]
    fn every_bit_flip_in_the_signature_is_refused() {
        let w = wf();
        let k = officer(1);
        let a = approved(&w, &[&k]);
        let store = store_with(&[&k]);
        let sig = hex::decode(&a.signatures[0].signature).unwrap();
        for bit in (0..512).step_by(7) {
            let mut s = sig.clone();
            s[bit / 8] ^= 1 << (bit % 8);
            let mut b = a.clone();
            b.signatures[0].signature = hex::encode(s);
            assert!(
                authorize(&w, "w.json", &b, "a.json", &store, day("2026-11-27")).is_err(),
                "bit {bit}"
            );
        }
        let mut b = a.clone();
        b.signatures[0].signed_on = "2026-01-03".into();
        assert!(authorize(&w, "w.json", &b, "a.json", &store, day("2026-11-27")).is_err());
    }

    #[test]
    fn unknown_key_is_refused_until_confirmed() {
        let w = wf();
        let k = officer(1);
        let a = approved(&w, &[&k]);
        let mut store = store_with(&[&officer(2)]);
        let e = authorize(&w, "w.json", &a, "a.json", &store, day("2026-11-27")).unwrap_err();
        let fp = fingerprint(&k.public_key());
        match &e {
            Error::UntrustedOfficer { officers, .. } => assert_eq!(officers[0].1, fp),
            other => panic!("{other}"),
        }
        assert!(e.to_string().contains(&fp));
        assert_eq!(
            store.trust_confirmed(&a, &["0000-0000-0000-0000-0000".into()], day("2026-11-27")),
            0
        );
        assert!(authorize(&w, "w.json", &a, "a.json", &store, day("2026-11-27")).is_err());
        assert_eq!(
            store.trust_confirmed(&a, &[fp.to_lowercase()], day("2026-11-27")),
            1
        );
        assert!(authorize(&w, "w.json", &a, "a.json", &store, day("2026-11-27")).is_ok());
    }

    #[test]
    fn validity_period_is_enforced() {
        let w = wf();
        let k = officer(1);
        let a = approved(&w, &[&k]);
        let s = store_with(&[&k]);
        let e = authorize(&w, "w.json", &a, "a.json", &s, day("2031-01-01")).unwrap_err();
        assert!(e.to_string().contains("kedaluwarsa"), "{e}");
        let e = authorize(&w, "w.json", &a, "a.json", &s, day("2024-12-31")).unwrap_err();
        assert!(e.to_string().contains("baru berlaku"), "{e}");
    }

    #[test]
    fn m_of_n() {
        let mut w = wf();
        w.approvals_required = 2;
        let (k1, k2, k3) = (officer(1), officer(2), officer(3));
        let store = store_with(&[&k1, &k2]);
        let one = approved(&w, &[&k1]);
        let e = authorize(&w, "w.json", &one, "a.json", &store, day("2026-11-27")).unwrap_err();
        assert!(e.to_string().contains("perlu 2 tanda tangan"), "{e}");
        // the same signature twice counts once
        let mut dup = one.clone();
        dup.signatures.push(dup.signatures[0].clone());
        assert!(authorize(&w, "w.json", &dup, "a.json", &store, day("2026-11-27")).is_err());
        // a second, untrusted signer is not enough either
        let with_untrusted = approved(&w, &[&k1, &k3]);
        let e = authorize(
            &w,
            "w.json",
            &with_untrusted,
            "a.json",
            &store,
            day("2026-11-27"),
        )
        .unwrap_err();
        assert!(matches!(e, Error::UntrustedOfficer { .. }), "{e}");
        let two = approved(&w, &[&k1, &k2]);
        assert_eq!(
            authorize(&w, "w.json", &two, "a.json", &store, day("2026-11-27"))
                .unwrap()
                .officers
                .len(),
            2
        );
        // the store's own minimum applies even when the workflow asks for one
        let w1 = wf();
        let mut strict = store_with(&[&k1, &k2]);
        strict.min_signatures = 2;
        let a1 = approved(&w1, &[&k1]);
        assert!(authorize(&w1, "w.json", &a1, "a.json", &strict, day("2026-11-27")).is_err());
        // signing twice with one key is refused
        let mut a = approved(&w, &[&k1]);
        assert!(a.sign(&k1, &w, day("2026-01-02"), "a.json").is_err());
    }

    #[test]
    fn replayed_id_with_other_content_is_refused() {
        let w = wf();
        let k = officer(1);
        let mut store = store_with(&[&k]);
        let auth = authorize(
            &w,
            "w.json",
            &approved(&w, &[&k]),
            "a.json",
            &store,
            day("2026-11-27"),
        )
        .unwrap();
        store.record(&auth, day("2026-11-27"));
        let mut other = w.clone();
        other.purpose = "Tujuan lain".into();
        let e = authorize(
            &other,
            "w.json",
            &approved(&other, &[&k]),
            "a.json",
            &store,
            day("2026-11-27"),
        )
        .unwrap_err();
        assert!(e.to_string().contains("sudah dipakai"), "{e}");
        // the same content again is fine
        assert!(authorize(
            &w,
            "w.json",
            &approved(&w, &[&k]),
            "a.json",
            &store,
            day("2026-11-28")
        )
        .is_ok());
    }

    #[test]
    fn summary_warns() {
        let w = wf();
        let s = summarize(&w);
        let codes: Vec<&str> = s.warnings.iter().map(|w| w.code).collect();
        assert!(codes.contains(&"specific_data"), "{codes:?}");
        assert!(codes.contains(&"long_validity"));
        assert!(!codes.contains(&"custodian_is_coordinator"));
        let text = s.to_text();
        assert!(text.contains("YANG KELUAR DARI TIAP KANTOR"));
        assert!(text.contains("kesehatan"));
        let mut w2 = w.clone();
        for p in &mut w2.parties {
            if p.id == "diskominfo" {
                p.name = "Bapelitbangda Kabupaten Cirebon (kunci)".into();
            }
        }
        let codes: Vec<&str> = summarize(&w2).warnings.iter().map(|w| w.code).collect();
        assert!(codes.contains(&"custodian_is_coordinator"), "{codes:?}");
    }
}
