//! The data-quality report ("verify and validate"): what is wrong with a list before
//! anything leaves the office. Counts with example row numbers; the values themselves are
//! never copied into the report.

use std::collections::{BTreeMap, HashMap};
use std::hash::{Hash, Hasher};
use std::io::Read;

use serde::Serialize;

use crate::columns::Field;
use crate::error::{Error, Result};
use crate::nik::Severity;
use crate::pipeline::{Context, InputOptions, Progress};
use crate::record::{NikColumnStats, RowIssue};
use crate::tokens::{key_availability, open_list, reader_hash};

const EXAMPLES: usize = 5;

/// A count with up to five example row numbers.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Item {
    pub count: u64,
    pub description: String,
    pub description_en: String,
    /// `error`, `damage` or `warning`.
    pub severity: &'static str,
    pub example_rows: Vec<u64>,
}

impl Item {
    fn add(&mut self, row: u64) {
        self.count += 1;
        if self.example_rows.len() < EXAMPLES {
            self.example_rows.push(row);
        }
    }
}

/// The data-quality report of one list.
#[derive(Clone, Debug, Serialize)]
pub struct CheckReport {
    pub format: &'static str,
    pub file_name: String,
    pub input_sha256: String,
    pub party: String,
    pub delimiter: String,
    pub encoding: &'static str,
    pub header: Vec<String>,
    /// Field code -> header text used.
    pub mapping: BTreeMap<String, String>,
    pub rows_read: u64,
    /// Rows with a NIK usable for matching.
    pub nik_valid: u64,
    /// NIK problems by kind (code -> item).
    pub nik_problems: BTreeMap<String, Item>,
    /// True when the NIK column looks damaged by a spreadsheet's number format.
    pub nik_column_damaged: bool,
    /// Row-level issues: NIK-vs-column disagreements, unreadable dates and sexes, ragged rows.
    pub row_issues: BTreeMap<String, Item>,
    /// Rows repeating an earlier row's NIK.
    pub duplicate_nik: Item,
    /// Rows repeating an earlier row's normalized name and birth date.
    pub duplicate_name_birth_date: Item,
    /// Empty cells per mapped field.
    pub empty_fields: BTreeMap<String, Item>,
    /// Rows that would yield at least one token.
    pub rows_tokenizable: u64,
    /// Match keys this list cannot produce (key -> missing field).
    pub keys_unavailable: BTreeMap<String, String>,
}

fn severity_name(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Damage => "damage",
        Severity::Warning => "warning",
    }
}

fn hash64<T: Hash>(t: &T) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    t.hash(&mut h);
    h.finish()
}

/// Reads a whole list and reports its data quality. Streams; memory grows only with the
/// duplicate-detection sets (16 bytes per row).
pub fn check<R: Read>(
    ctx: &Context,
    party: &str,
    input: R,
    file_name: &str,
    opts: &InputOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<CheckReport> {
    let wf = ctx.workflow;
    wf.require_data_party(party, ctx.workflow_file)?;
    let (mut reader, mut normalizer) = open_list(input, file_name, opts, ctx.today.year)?;
    let avail = key_availability(wf, &normalizer);
    let header = reader.header.clone();
    let mapping: BTreeMap<String, String> = normalizer
        .mapping
        .columns
        .iter()
        .map(|(f, i)| (f.code().to_string(), header[*i].clone()))
        .collect();
    let mut nik_problems: BTreeMap<String, Item> = BTreeMap::new();
    let mut row_issues: BTreeMap<String, Item> = BTreeMap::new();
    let mut empty_fields: BTreeMap<String, Item> = BTreeMap::new();
    let mut dup_nik = Item {
        description: "NIK sama dengan baris sebelumnya".into(),
        description_en: "NIK repeats an earlier row".into(),
        severity: "warning",
        ..Default::default()
    };
    let mut dup_nd = Item {
        description: "nama dan tanggal lahir sama dengan baris sebelumnya".into(),
        description_en: "name and birth date repeat an earlier row".into(),
        severity: "warning",
        ..Default::default()
    };
    let mut seen_nik: HashMap<u64, ()> = HashMap::new();
    let mut seen_nd: HashMap<u64, ()> = HashMap::new();
    let mut stats = NikColumnStats::default();
    let mut zero_rows = Item::default();
    let (mut rows, mut nik_valid, mut tokenizable) = (0u64, 0u64, 0u64);
    let has_nik = normalizer.mapping.get(Field::Nik).is_some();
    // One normalized row, refilled for every row (its name's strings are reused).
    let mut n = crate::record::NormalRow::default();
    while let Some(row) = reader.next_row()? {
        rows += 1;
        let r = row.row;
        normalizer.normalize_into(row.fields, &mut n);
        stats.add(&n);
        for p in &n.nik_problems {
            nik_problems
                .entry(p.code().to_string())
                .or_insert_with(|| Item {
                    description: p.describe_id().into(),
                    description_en: p.describe_en().into(),
                    severity: severity_name(p.severity()),
                    ..Default::default()
                })
                .add(r);
        }
        for i in &n.issues {
            row_issues
                .entry(i.code().to_string())
                .or_insert_with(|| Item {
                    description: i.describe_id().into(),
                    description_en: i.describe_en().into(),
                    severity: match i {
                        RowIssue::Ragged | RowIssue::BadBirthDate | RowIssue::BadSex => "error",
                        RowIssue::NikColumnDamage => "damage",
                        _ => "warning",
                    },
                    ..Default::default()
                })
                .add(r);
        }
        for f in &n.empty {
            empty_fields
                .entry(f.code().to_string())
                .or_insert_with(|| Item {
                    description: format!(
                        "kolom {} kosong",
                        mapping.get(f.code()).cloned().unwrap_or_default()
                    ),
                    description_en: format!(
                        "column {} empty",
                        mapping.get(f.code()).cloned().unwrap_or_default()
                    ),
                    severity: "warning",
                    ..Default::default()
                })
                .add(r);
        }
        if let Some(nik) = &n.nik {
            nik_valid += 1;
            if nik.nik.ends_with('0') {
                zero_rows.add(r);
            }
            if seen_nik.insert(hash64(&nik.nik), ()).is_some() {
                dup_nik.add(r);
            }
        }
        if let (Some(name), Some(d)) = (&n.name, n.birth_date) {
            if seen_nd.insert(hash64(&(&name.key, d)), ()).is_some() {
                dup_nd.add(r);
            }
        }
        let ragged = n.issues.contains(&RowIssue::Ragged);
        if !ragged
            && wf
                .match_keys
                .iter()
                .any(|k| k.fields.iter().all(|f| n.key_value(f).is_some()))
        {
            tokenizable += 1;
        }
        if rows % 8192 == 0 {
            progress(Progress {
                rows,
                bytes: reader.bytes_read(),
            });
        }
    }
    if rows == 0 {
        return Err(Error::invalid(
            file_name,
            Some(2),
            None,
            "hanya ada baris judul; tidak ada baris data.",
        ));
    }
    let damaged = has_nik && stats.damaged();
    if damaged {
        let d = RowIssue::NikColumnDamage;
        zero_rows.description = d.describe_id().into();
        zero_rows.description_en = d.describe_en().into();
        zero_rows.severity = "damage";
        row_issues.insert(d.code().to_string(), zero_rows);
    }
    progress(Progress {
        rows,
        bytes: reader.bytes_read(),
    });
    let input_sha256 = hex::encode(reader_hash(&mut reader)?);
    Ok(CheckReport {
        format: "padan-check/1",
        file_name: file_name.to_string(),
        input_sha256,
        party: party.to_string(),
        delimiter: (reader.dialect.delimiter as char).to_string(),
        encoding: reader.dialect.encoding.name(),
        header,
        mapping,
        rows_read: rows,
        nik_valid,
        nik_problems,
        nik_column_damaged: damaged,
        row_issues,
        duplicate_nik: dup_nik,
        duplicate_name_birth_date: dup_nd,
        empty_fields,
        rows_tokenizable: tokenizable,
        keys_unavailable: wf
            .match_keys
            .iter()
            .zip(&avail)
            .filter_map(|(k, a)| a.clone().err().map(|f| (k.name.clone(), f)))
            .collect(),
    })
}

impl CheckReport {
    /// The report as text for the terminal (Bahasa Indonesia).
    pub fn to_text(&self) -> String {
        use std::fmt::Write;
        let mut t = String::new();
        let _ = writeln!(
            t,
            "LAPORAN MUTU DATA: {} (pihak {})",
            self.file_name, self.party
        );
        let d = if self.delimiter == "\t" {
            "tab".to_string()
        } else {
            self.delimiter.clone()
        };
        let _ = writeln!(
            t,
            "Pemisah '{d}', pengodean {}, {} kolom",
            self.encoding,
            self.header.len()
        );
        for (f, h) in &self.mapping {
            let _ = writeln!(t, "  {f:<18} <- {h}");
        }
        let _ = writeln!(t, "Baris dibaca: {}", self.rows_read);
        let _ = writeln!(t, "NIK sah: {}", self.nik_valid);
        let _ = writeln!(
            t,
            "Baris yang dapat dijadikan token: {}",
            self.rows_tokenizable
        );
        for (k, f) in &self.keys_unavailable {
            let _ = writeln!(
                t,
                "PERINGATAN: kunci '{k}' tidak dapat dibuat (kolom '{f}' tidak ada)."
            );
        }
        if self.nik_column_damaged {
            let _ = writeln!(
                t,
                "PERINGATAN: kolom NIK tampak rusak oleh format angka spreadsheet (terlalu banyak NIK berakhiran 0). Ekspor ulang dengan kolom NIK sebagai teks."
            );
        }
        let mut section = |title: &str, items: Vec<(&String, &Item)>| {
            if items.is_empty() {
                return;
            }
            let _ = writeln!(t, "\n{title}:");
            for (code, it) in items {
                let ex: Vec<String> = it.example_rows.iter().map(u64::to_string).collect();
                let _ = writeln!(
                    t,
                    "  [{}] {} ({code}): {} baris; contoh baris {}",
                    it.severity,
                    it.description,
                    it.count,
                    ex.join(", ")
                );
            }
        };
        section("Masalah NIK", self.nik_problems.iter().collect());
        section("Masalah baris", self.row_issues.iter().collect());
        let dup_a = "duplicate_nik".to_string();
        let dup_b = "duplicate_name_birth_date".to_string();
        let dups: Vec<(&String, &Item)> = [
            (&dup_a, &self.duplicate_nik),
            (&dup_b, &self.duplicate_name_birth_date),
        ]
        .into_iter()
        .filter(|(_, i)| i.count > 0)
        .collect();
        section("Ganda dalam daftar", dups);
        section("Kolom kosong", self.empty_fields.iter().collect());
        t
    }
}
