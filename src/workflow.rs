//! The matching workflow: what the privacy officer approves before anyone runs anything.
//!
//! A workflow is a JSON file (schema in `docs/formats.md`, example in
//! `docs/example-workflow.json`). Its **digest** is the SHA-256 of its canonical
//! serialization: the parsed document re-serialized as compact JSON with object keys
//! sorted (serde_json's default `Value` map is ordered) and no insignificant whitespace.
//! Two files that differ only in formatting or key order have the same digest; any change
//! of content changes it. Every token, result and receipt carries the digest.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::date::Date;
use crate::error::{Error, Result};

/// The format tag every workflow must carry.
pub const FORMAT: &str = "padan-workflow/1";

/// Fields a match key may use, after normalization (see DOMAIN.md).
pub const KEY_FIELDS: &[&str] = &["nik", "name", "birth_date", "sex", "kecamatan", "desa"];

/// A party of the workflow.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Party {
    /// Short identifier (lower case letters, digits, `_` or `-`), e.g. `dinkes`.
    pub id: String,
    /// Display name, e.g. "Dinas Kesehatan (PBI-JK)".
    pub name: String,
    /// `data` (holds a list), `coordinator` or `custodian`.
    pub role: Role,
    /// The legal basis under which this party takes part.
    #[serde(default)]
    pub legal_basis: String,
    /// Kinds of specific personal data (UU 27/2022 Pasal 4 ayat (2)) this party's list
    /// holds or reveals by membership, e.g. `kesehatan`, `anak`, `keuangan`. Shown to the
    /// privacy officer as warnings; absent when none is declared.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub specific_data: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Data,
    Coordinator,
    Custodian,
}

/// One match key: a named list of normalized fields.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MatchKey {
    /// Short identifier, e.g. `nik` or `name_dob`.
    pub name: String,
    pub fields: Vec<String>,
}

/// What one office gets back about its own rows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Disclosure {
    /// The party this rule is for.
    pub party: String,
    /// Whether each row may be told if the person is in the reference list (DTKS).
    #[serde(default)]
    pub in_reference: bool,
    /// Whether each row may be told which other offices' lists hold the person.
    #[serde(default)]
    pub other_lists: bool,
}

/// A matching workflow.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Workflow {
    /// Must be [`FORMAT`].
    pub format: String,
    pub id: String,
    pub title: String,
    pub purpose: String,
    pub legal_basis: String,
    pub parties: Vec<Party>,
    /// Party id of the coordinator (role `coordinator`).
    pub coordinator: String,
    /// Party id of the key custodian (role `custodian`), if named.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_custodian: Option<String>,
    /// Party id of the reference list (DTKS), a `data` party.
    pub reference: String,
    /// Normalized fields the offices use (every match-key field must be listed).
    pub fields: Vec<String>,
    /// Match keys in priority order, strongest first.
    pub match_keys: Vec<MatchKey>,
    /// What each data party gets back; a data party without a rule gets statuses only.
    #[serde(default)]
    pub disclosure: Vec<Disclosure>,
    /// Minimum cell size: aggregate counts below k are suppressed.
    pub k: u32,
    /// First and last day the workflow may run, `YYYY-MM-DD`.
    pub valid_from: String,
    pub valid_until: String,
    /// How many distinct trusted privacy officers must sign the approval (m of n);
    /// 1 when absent (and then not serialized, so older workflows keep their digest).
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub approvals_required: u32,
    /// Fuzzy matching for records whose exact tokens miss (`docs/fuzzy.md`); absent:
    /// exact matching only (and then not serialized, so older workflows keep their digest).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fuzzy: Option<crate::fuzzy::config::FuzzyConfig>,
}

fn one() -> u32 {
    1
}

fn is_one(n: &u32) -> bool {
    *n == 1
}

impl Workflow {
    /// Parses and validates a workflow file.
    pub fn parse(bytes: &[u8], file_name: &str) -> Result<Workflow> {
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        let wf: Workflow = serde_json::from_slice(bytes).map_err(|e| Error::Workflow {
            loc: crate::error::Location {
                file: file_name.to_string(),
                line: Some(e.line() as u64),
                field: None,
            },
            what: format!(
                "bukan JSON alur kerja yang sah ({e}). Periksa berkas dengan contoh di docs/example-workflow.json."
            ),
        })?;
        wf.validate(file_name)?;
        Ok(wf)
    }

    /// The canonical bytes the digest is computed over.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let value = serde_json::to_value(self).expect("a workflow always serializes");
        serde_json::to_vec(&value).expect("a JSON value always serializes")
    }

    /// SHA-256 of the canonical bytes.
    pub fn digest(&self) -> [u8; 32] {
        Sha256::digest(self.canonical_bytes()).into()
    }

    pub fn digest_hex(&self) -> String {
        hex::encode(self.digest())
    }

    pub fn party(&self, id: &str) -> Option<&Party> {
        self.parties.iter().find(|p| p.id == id)
    }

    /// The match keys that use the NIK, as a mask (bit i: key i), the same bits as a
    /// token-file record's mask.
    pub fn nik_key_mask(&self) -> u8 {
        self.match_keys
            .iter()
            .enumerate()
            .filter(|(_, k)| k.fields.iter().any(|f| f == "nik"))
            .fold(0, |m, (i, _)| m | (1 << i))
    }

    /// The data parties (the ones holding a list), in workflow order.
    pub fn data_parties(&self) -> impl Iterator<Item = &Party> {
        self.parties.iter().filter(|p| p.role == Role::Data)
    }

    /// The disclosure rule for a data party (statuses only when none is written).
    pub fn disclosure_for(&self, party: &str) -> Disclosure {
        self.disclosure
            .iter()
            .find(|d| d.party == party)
            .cloned()
            .unwrap_or(Disclosure {
                party: party.to_string(),
                in_reference: false,
                other_lists: false,
            })
    }

    /// Checks that `party` is a data party of this workflow.
    pub fn require_data_party(&self, party: &str, file_name: &str) -> Result<&Party> {
        match self.party(party) {
            Some(p) if p.role == Role::Data => Ok(p),
            Some(_) => Err(Error::mismatch(
                file_name,
                format!("pihak '{party}' tidak memegang daftar dalam alur kerja ini (bukan peran 'data')."),
            )),
            None => Err(Error::mismatch(
                file_name,
                format!(
                    "pihak '{party}' tidak dikenal dalam alur kerja ini. Pihak yang ada: {}.",
                    self.data_parties().map(|p| p.id.as_str()).collect::<Vec<_>>().join(", ")
                ),
            )),
        }
    }

    /// Checks the validity period against today's date.
    pub fn check_valid_on(&self, today: Date, file_name: &str) -> Result<()> {
        let from = parse_iso(&self.valid_from).expect("validated");
        let until = parse_iso(&self.valid_until).expect("validated");
        if today < from {
            return Err(Error::workflow(
                file_name,
                Some("valid_from"),
                format!(
                    "alur kerja baru berlaku mulai {} (hari ini {}).",
                    self.valid_from,
                    today.iso()
                ),
            ));
        }
        if today > until {
            return Err(Error::workflow(
                file_name,
                Some("valid_until"),
                format!(
                    "alur kerja sudah kedaluwarsa pada {} (hari ini {}). Minta pejabat PDP menerbitkan alur kerja baru.",
                    self.valid_until,
                    today.iso()
                ),
            ));
        }
        Ok(())
    }

    /// Every rule a workflow must satisfy. Messages say which field and why.
    pub fn validate(&self, file: &str) -> Result<()> {
        let err = |field: &str, what: String| Err(Error::workflow(file, Some(field), what));
        if self.format != FORMAT {
            return err(
                "format",
                format!("format '{}' tidak dikenal; harus '{FORMAT}'.", self.format),
            );
        }
        if !is_ident(&self.id) {
            return err(
                "id",
                "id harus huruf kecil, angka, '_' atau '-' (1-64 karakter).".into(),
            );
        }
        for (field, v) in [
            ("title", &self.title),
            ("purpose", &self.purpose),
            ("legal_basis", &self.legal_basis),
        ] {
            if v.trim().is_empty() {
                return err(field, format!("'{field}' wajib diisi."));
            }
        }
        let mut seen = BTreeSet::new();
        for p in &self.parties {
            if !is_ident(&p.id) {
                return err(
                    "parties",
                    format!(
                        "id pihak '{}' tidak sah (huruf kecil, angka, '_' atau '-').",
                        p.id
                    ),
                );
            }
            if !seen.insert(p.id.as_str()) {
                return err("parties", format!("pihak '{}' tertulis dua kali.", p.id));
            }
        }
        match self.party(&self.coordinator) {
            Some(p) if p.role == Role::Coordinator => {}
            _ => {
                return err(
                    "coordinator",
                    format!(
                        "koordinator '{}' harus pihak dengan peran 'coordinator'.",
                        self.coordinator
                    ),
                )
            }
        }
        if self
            .parties
            .iter()
            .filter(|p| p.role == Role::Coordinator)
            .count()
            != 1
        {
            return err(
                "parties",
                "harus ada tepat satu pihak dengan peran 'coordinator'.".into(),
            );
        }
        if let Some(c) = &self.key_custodian {
            match self.party(c) {
                Some(p) if p.role == Role::Custodian => {}
                _ => {
                    return err(
                        "key_custodian",
                        format!("pemegang kunci '{c}' harus pihak dengan peran 'custodian'."),
                    )
                }
            }
        }
        match self.party(&self.reference) {
            Some(p) if p.role == Role::Data => {}
            _ => {
                return err(
                    "reference",
                    format!(
                        "daftar acuan '{}' harus pihak dengan peran 'data'.",
                        self.reference
                    ),
                )
            }
        }
        if self.data_parties().count() < 2 {
            return err(
                "parties",
                "perlu sedikitnya dua pihak pemegang daftar (peran 'data').".into(),
            );
        }
        for f in &self.fields {
            if !KEY_FIELDS.contains(&f.as_str()) {
                return err(
                    "fields",
                    format!(
                        "kolom '{f}' tidak dikenal. Yang dapat dipakai: {}.",
                        KEY_FIELDS.join(", ")
                    ),
                );
            }
        }
        if self.match_keys.is_empty() {
            return err(
                "match_keys",
                "perlu sedikitnya satu kunci pencocokan.".into(),
            );
        }
        let mut names = BTreeSet::new();
        let mut sets = BTreeSet::new();
        for key in &self.match_keys {
            if !is_ident(&key.name) {
                return err(
                    "match_keys",
                    format!("nama kunci '{}' tidak sah.", key.name),
                );
            }
            if !names.insert(key.name.as_str()) {
                return err(
                    "match_keys",
                    format!("kunci '{}' tertulis dua kali.", key.name),
                );
            }
            let set: BTreeSet<&str> = key.fields.iter().map(String::as_str).collect();
            if set.len() != key.fields.len() {
                return err(
                    "match_keys",
                    format!("kunci '{}' memuat kolom yang sama dua kali.", key.name),
                );
            }
            for f in &key.fields {
                if !self.fields.iter().any(|x| x == f) {
                    return err(
                        "match_keys",
                        format!(
                            "kunci '{}' memakai kolom '{f}' yang tidak tercantum di 'fields'.",
                            key.name
                        ),
                    );
                }
            }
            if let Err(why) = key_strength(&key.fields) {
                return err("match_keys", format!("kunci '{}' ditolak: {why}", key.name));
            }
            if !sets.insert(set) {
                return err(
                    "match_keys",
                    format!("kunci '{}' sama dengan kunci lain.", key.name),
                );
            }
        }
        if self.match_keys.len() > 8 {
            return err("match_keys", "paling banyak 8 kunci pencocokan.".into());
        }
        for d in &self.disclosure {
            match self.party(&d.party) {
                Some(p) if p.role == Role::Data => {}
                _ => {
                    return err(
                        "disclosure",
                        format!(
                            "aturan pengungkapan untuk '{}' yang bukan pihak pemegang daftar.",
                            d.party
                        ),
                    )
                }
            }
        }
        if self.approvals_required == 0 || self.approvals_required > 16 {
            return err(
                "approvals_required",
                "approvals_required harus 1 sampai 16 (jumlah pejabat PDP yang harus menandatangani).".into(),
            );
        }
        if let Some(f) = &self.fuzzy {
            f.validate(&self.fields, file)?;
        }
        if self.k < 2 {
            return err(
                "k",
                "k (ukuran sel minimum) harus sedikitnya 2; lazimnya 5 atau 10.".into(),
            );
        }
        let from = parse_iso(&self.valid_from);
        let until = parse_iso(&self.valid_until);
        match (from, until) {
            (Some(f), Some(u)) if f <= u => Ok(()),
            (Some(_), Some(_)) => err(
                "valid_until",
                "valid_until lebih awal daripada valid_from.".into(),
            ),
            _ => err(
                "valid_from",
                "valid_from dan valid_until harus tanggal YYYY-MM-DD.".into(),
            ),
        }
    }
}

/// Refuses match keys of small value space (DOMAIN.md, "Security facts"): every key must
/// include the NIK, or at least a name together with a full birth date. A birth date, sex,
/// region or a name alone is never enough.
pub fn key_strength(fields: &[String]) -> std::result::Result<(), String> {
    let has = |f: &str| fields.iter().any(|x| x == f);
    if fields.is_empty() {
        return Err("kunci kosong.".into());
    }
    if has("nik") || (has("name") && has("birth_date")) {
        return Ok(());
    }
    Err(format!(
        "ruang nilai [{}] terlalu kecil: token yang pasti dari nilai seperti ini terbongkar lewat analisis frekuensi. \
         Setiap kunci harus memuat 'nik', atau 'name' bersama 'birth_date'.",
        fields.join(", ")
    ))
}

/// Lower-case letters, digits, `_` and `-`, starting with a letter or digit (an id that
/// starts with `-` would look like a formula in a spreadsheet cell).
fn is_ident(s: &str) -> bool {
    s.as_bytes()
        .first()
        .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

/// `YYYY-MM-DD` only.
pub fn parse_iso(s: &str) -> Option<Date> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<u16>().ok();
    Date::new(num(0..4)?, num(5..7)? as u8, num(8..10)? as u8)
}

/// The workflow of the demo scenario: `parties` are the demo's data parties
/// (id, display name), the first being the reference list.
pub fn demo_workflow(parties: &[(&str, &str)], valid_from: &str, valid_until: &str) -> Workflow {
    let mut all: Vec<Party> = parties
        .iter()
        .map(|(id, name)| Party {
            id: id.to_string(),
            name: name.to_string(),
            role: Role::Data,
            legal_basis:
                "UU 27/2022 Pasal 20 ayat (2) huruf f (tugas pelayanan publik); Permensos 3/2021"
                    .into(),
            specific_data: Vec::new(),
        })
        .collect();
    all.push(Party {
        id: "bapelitbangda".into(),
        name: "Bapelitbangda Kabupaten Cirebon (koordinator)".into(),
        role: Role::Coordinator,
        legal_basis: "Keputusan Bupati tentang tim percepatan penanggulangan kemiskinan".into(),
        specific_data: Vec::new(),
    });
    all.push(Party {
        id: "diskominfo".into(),
        name: "Diskominfo Kabupaten Cirebon (pemegang kunci)".into(),
        role: Role::Custodian,
        legal_basis: "Keputusan Bupati tentang tata kelola data".into(),
        specific_data: Vec::new(),
    });
    let key = |name: &str, f: &[&str]| MatchKey {
        name: name.into(),
        fields: f.iter().map(|s| s.to_string()).collect(),
    };
    Workflow {
        format: FORMAT.into(),
        id: "cirebon-padan-demo".into(),
        title: "Padanan daftar penerima bantuan Kabupaten Cirebon (contoh)".into(),
        purpose: "Menyusun satu daftar kemiskinan terpadu: mencocokkan daftar penerima tiap OPD dengan DTKS, \
                  memverifikasi dan memvalidasi perbedaannya, dan mengembalikan hasil ke tiap OPD."
            .into(),
        legal_basis: "UU 27/2022 tentang Pelindungan Data Pribadi; UU 13/2011 tentang Penanganan Fakir Miskin; \
                      Inpres 4/2025 tentang DTSEN"
            .into(),
        coordinator: "bapelitbangda".into(),
        key_custodian: Some("diskominfo".into()),
        reference: parties[0].0.into(),
        fields: ["nik", "name", "birth_date", "kecamatan"].iter().map(|s| s.to_string()).collect(),
        match_keys: vec![
            key("nik", &["nik"]),
            key("name_dob_kec", &["name", "birth_date", "kecamatan"]),
            key("name_dob", &["name", "birth_date"]),
        ],
        disclosure: parties
            .iter()
            .map(|(id, _)| Disclosure { party: id.to_string(), in_reference: true, other_lists: false })
            .collect(),
        parties: all,
        k: 5,
        valid_from: valid_from.into(),
        valid_until: valid_until.into(),
        approvals_required: 1,
        fuzzy: None,
    }
}

#[cfg(test)]
mod tests {
    use super::is_ident;

    #[test]
    fn ids_start_with_a_letter_or_digit() {
        for ok in ["dtks", "opd-2", "9a", "a_b"] {
            assert!(is_ident(ok), "{ok}");
        }
        for bad in ["", "-dtks", "_x", "Dtks", "a b", "=x", &"a".repeat(65)] {
            assert!(!is_ident(bad), "{bad}");
        }
    }
}
