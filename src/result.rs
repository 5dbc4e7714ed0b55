//! Result files: what goes back to an office. Format `padan-result/1` (see
//! `docs/formats.md`): a first line `#` + header JSON, then CSV with the columns
//! `ref,status,duplicate[,in_reference][,other_lists]`, one row per record of that office,
//! in reference order. No tokens, no scores, nothing about other offices' records beyond
//! what the workflow's disclosure rule allows.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::compare::Summary;
use crate::error::{Error, Result};
use crate::keys::{Token, TOKEN_LEN};
use crate::workflow::{Disclosure, Workflow};

pub const FORMAT: &str = "padan-result/1";

/// A record's status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Linked to another list by the strongest match key (the NIK).
    Matched,
    /// Linked to another list only by a weaker match key.
    MatchedWeaker,
    /// Part of a link refused because stronger keys disagree: to verify.
    Conflict,
    /// In no other list.
    NotFound,
    /// Not found, or in conflict, by the exact tokens, but linked by fuzzy matching to a
    /// record of another cluster (a similar name, or a probable NIK typo): to verify.
    /// Only in workflows with fuzzy matching.
    PerluVerifikasi,
}

/// Why a record is to verify ([`Status::PerluVerifikasi`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Verify {
    /// A record with a similar name (and birth date, place) in another list.
    SimilarName,
    /// A record whose NIK differs in one digit or two swapped digits, same name and birth
    /// date.
    NikTypo,
}

impl Verify {
    pub fn code(self) -> &'static str {
        match self {
            Verify::SimilarName => "nama_mirip",
            Verify::NikTypo => "nik_salah_ketik",
        }
    }
    pub fn from_code(s: &str) -> Option<Verify> {
        [Verify::SimilarName, Verify::NikTypo]
            .into_iter()
            .find(|v| v.code() == s)
    }
    pub fn label_id(self) -> &'static str {
        match self {
            Verify::SimilarName => "PERLU VERIFIKASI (NAMA MIRIP)",
            Verify::NikTypo => "PERLU VERIFIKASI (KEMUNGKINAN SALAH KETIK NIK)",
        }
    }
    /// What the office should do, for the annotated list.
    pub fn note_id(self) -> &'static str {
        match self {
            Verify::SimilarName => "ada rekaman dengan nama mirip (tanggal lahir dan wilayah sama) di daftar lain; periksa apakah orang yang sama",
            Verify::NikTypo => "NIK rekaman ini dan rekaman lain dengan nama dan tanggal lahir sama berbeda satu angka atau dua angka tertukar; periksa NIK pada KK/KTP",
        }
    }
}

impl Status {
    pub const ALL: [Status; 5] = [
        Status::Matched,
        Status::MatchedWeaker,
        Status::Conflict,
        Status::NotFound,
        Status::PerluVerifikasi,
    ];

    /// The statuses a workflow's results can hold.
    pub fn all_for(wf: &Workflow) -> &'static [Status] {
        if wf.fuzzy.is_some() {
            &Status::ALL
        } else {
            &Status::ALL[..4]
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Status::Matched => "matched",
            Status::MatchedWeaker => "matched_weaker",
            Status::Conflict => "conflict",
            Status::NotFound => "not_found",
            Status::PerluVerifikasi => crate::fuzzy::STATUS,
        }
    }
    pub fn from_code(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|x| x.code() == s)
    }
    pub fn label_id(self) -> &'static str {
        match self {
            Status::Matched => "COCOK",
            Status::MatchedWeaker => "COCOK (KUNCI LEMAH)",
            Status::Conflict => "PERLU VERIFIKASI (KONFLIK)",
            Status::NotFound => "TIDAK DITEMUKAN",
            Status::PerluVerifikasi => "PERLU VERIFIKASI (MIRIP)",
        }
    }
    pub fn label_en(self) -> &'static str {
        match self {
            Status::Matched => "MATCHED",
            Status::MatchedWeaker => "MATCHED (WEAKER KEY)",
            Status::Conflict => "TO VERIFY (CONFLICT)",
            Status::NotFound => "NOT FOUND",
            Status::PerluVerifikasi => "TO VERIFY (SIMILAR)",
        }
    }
}

/// One row of a result file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResultRow {
    pub reference: Token,
    pub status: Status,
    pub duplicate: bool,
    /// Why the record is to verify (status `perlu_verifikasi` only; the `verifikasi`
    /// column exists in workflows with fuzzy matching).
    pub verify: Option<Verify>,
    /// `Some` only when the disclosure rule allows it.
    pub in_reference: Option<bool>,
    /// `Some` only when the disclosure rule allows it.
    pub other_lists: Option<Vec<String>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResultHeader {
    pub format: String,
    pub workflow_id: String,
    pub workflow_digest: String,
    pub party: String,
    pub kcv: String,
    pub records: u64,
    /// Status code -> count, plus `duplicate`.
    pub counts: BTreeMap<String, u64>,
    pub columns: Vec<String>,
    pub created_by: String,
}

impl ResultHeader {
    pub fn new(
        wf: &Workflow,
        digest: &str,
        party: &str,
        kcv: &str,
        rows: &[ResultRow],
        rule: &Disclosure,
        is_reference: bool,
    ) -> ResultHeader {
        let mut counts: BTreeMap<String, u64> = Status::all_for(wf)
            .iter()
            .map(|s| (s.code().to_string(), 0))
            .collect();
        counts.insert("duplicate".into(), 0);
        for r in rows {
            *counts.get_mut(r.status.code()).expect("all statuses") += 1;
            if r.duplicate {
                *counts.get_mut("duplicate").expect("present") += 1;
            }
        }
        let mut columns = vec!["ref".to_string(), "status".into(), "duplicate".into()];
        if wf.fuzzy.is_some() {
            columns.push("verifikasi".into());
        }
        if rule.in_reference && !is_reference {
            columns.push("in_reference".into());
        }
        if rule.other_lists {
            columns.push("other_lists".into());
        }
        ResultHeader {
            format: FORMAT.into(),
            workflow_id: wf.id.clone(),
            workflow_digest: digest.to_string(),
            party: party.to_string(),
            kcv: kcv.to_string(),
            records: rows.len() as u64,
            counts,
            columns,
            created_by: format!("padan {}", crate::VERSION),
        }
    }
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

/// Serializes a result file (rows sorted by reference).
pub fn write_result(header: &ResultHeader, mut rows: Vec<ResultRow>) -> Vec<u8> {
    rows.sort_unstable_by_key(|r| r.reference);
    let mut out = Vec::with_capacity(64 + rows.len() * 48);
    out.push(b'#');
    out.extend_from_slice(&serde_json::to_vec(header).expect("serializable"));
    out.push(b'\n');
    out.extend_from_slice(header.columns.join(",").as_bytes());
    out.push(b'\n');
    let with_ref = header.columns.iter().any(|c| c == "in_reference");
    let with_others = header.columns.iter().any(|c| c == "other_lists");
    let with_verify = header.columns.iter().any(|c| c == "verifikasi");
    for r in rows {
        out.extend_from_slice(hex::encode(r.reference).as_bytes());
        out.push(b',');
        out.extend_from_slice(r.status.code().as_bytes());
        out.push(b',');
        out.extend_from_slice(yes_no(r.duplicate).as_bytes());
        if with_verify {
            out.push(b',');
            out.extend_from_slice(r.verify.map_or("", |v| v.code()).as_bytes());
        }
        if with_ref {
            out.push(b',');
            out.extend_from_slice(yes_no(r.in_reference.unwrap_or(false)).as_bytes());
        }
        if with_others {
            out.push(b',');
            out.extend_from_slice(r.other_lists.unwrap_or_default().join(";").as_bytes());
        }
        out.push(b'\n');
    }
    out
}

/// A parsed result file.
#[derive(Clone, Debug)]
pub struct ResultFile {
    pub header: ResultHeader,
    pub rows: Vec<ResultRow>,
}

/// Reads and checks a result file.
pub fn read_result(bytes: &[u8], file: &str) -> Result<ResultFile> {
    let bad = |line: u64, what: String| Error::invalid(file, Some(line), None, what);
    let text = std::str::from_utf8(bytes)
        .map_err(|_| bad(1, "bukan berkas hasil padan (bukan teks).".into()))?;
    let mut lines = text.split('\n');
    let first = lines.next().unwrap_or("");
    let header: ResultHeader = first
        .strip_prefix('#')
        .and_then(|j| serde_json::from_str(j).ok())
        .ok_or_else(|| bad(1, format!("bukan berkas hasil padan: baris pertama harus '#{{\"format\":\"{FORMAT}\",...}}'.")))?;
    if header.format != FORMAT {
        return Err(bad(
            1,
            format!("format '{}' tidak didukung.", header.format),
        ));
    }
    let cols = lines.next().unwrap_or("");
    if cols.split(',').map(str::to_string).collect::<Vec<_>>() != header.columns {
        return Err(bad(
            2,
            "judul kolom tidak sesuai dengan kepala berkas.".into(),
        ));
    }
    let ci = |n: &str| header.columns.iter().position(|c| c == n);
    let (ir, ol, vf) = (ci("in_reference"), ci("other_lists"), ci("verifikasi"));
    let mut rows = Vec::with_capacity(header.records as usize);
    for (i, line) in lines.enumerate() {
        let ln = i as u64 + 3;
        if line.is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split(',').collect();
        if f.len() != header.columns.len() {
            return Err(bad(
                ln,
                format!(
                    "jumlah kolom {} (seharusnya {}).",
                    f.len(),
                    header.columns.len()
                ),
            ));
        }
        let mut reference = [0u8; TOKEN_LEN];
        hex::decode_to_slice(f[0], &mut reference).map_err(|_| bad(ln, "ref tidak sah.".into()))?;
        let status = Status::from_code(f[1])
            .ok_or_else(|| bad(ln, format!("status '{}' tidak dikenal.", f[1])))?;
        let yn = |s: &str| match s {
            "yes" => Ok(true),
            "no" => Ok(false),
            _ => Err(bad(ln, format!("nilai '{s}' harus yes atau no."))),
        };
        let verify = match vf.map(|j| f[j]) {
            None | Some("") => None,
            Some(v) => Some(
                Verify::from_code(v)
                    .ok_or_else(|| bad(ln, format!("verifikasi '{v}' tidak dikenal.")))?,
            ),
        };
        if verify.is_some() != (status == Status::PerluVerifikasi) {
            return Err(bad(
                ln,
                "kolom verifikasi harus terisi tepat bila status perlu_verifikasi.".into(),
            ));
        }
        rows.push(ResultRow {
            reference,
            status,
            duplicate: yn(f[2])?,
            verify,
            in_reference: ir.map(|j| yn(f[j])).transpose()?,
            other_lists: ol.map(|j| {
                f[j].split(';')
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect()
            }),
        });
    }
    if rows.len() as u64 != header.records {
        return Err(Error::invalid(
            file,
            None,
            None,
            format!(
                "berkas hasil terpotong: {} baris, kepala berkas menyebut {}.",
                rows.len(),
                header.records
            ),
        ));
    }
    Ok(ResultFile { header, rows })
}

fn show(c: &serde_json::Value) -> String {
    match c {
        serde_json::Value::Number(n) => n.to_string(),
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The summary as plain text (Bahasa Indonesia) for the terminal and the printed report.
pub fn summary_text(s: &Summary, wf: &Workflow) -> String {
    use std::fmt::Write;
    let mut t = String::new();
    let _ = writeln!(t, "RINGKASAN PADANAN: {}", wf.title);
    let _ = writeln!(
        t,
        "Alur kerja: {} (digest {}), KCV {}",
        s.workflow_id,
        &s.workflow_digest[..16],
        s.kcv
    );
    let _ = writeln!(
        t,
        "Angka di bawah k = {} disembunyikan (ditulis \"<{}\").",
        s.k, s.k
    );
    let _ = writeln!(t);
    let _ = writeln!(
        t,
        "Jumlah orang berbeda di semua daftar: {}",
        show(&s.people_total)
    );
    let _ = writeln!(
        t,
        "Rekaman dalam konflik (perlu verifikasi): {}",
        show(&s.conflict_records)
    );
    let fuzzy = s.verification.is_some();
    if let Some(v) = &s.verification {
        let _ = writeln!(
            t,
            "Pencocokan mirip: {} rekaman perlu verifikasi ({} tautan nama mirip, {} kemungkinan salah ketik NIK); tidak digabungkan ke jumlah orang.",
            show(&v.records),
            show(&v.similar_name_links),
            show(&v.nik_typo_links)
        );
        if v.blocks_skipped > 0 {
            let _ = writeln!(
                t,
                "PERINGATAN: {} blok terlalu besar tidak dibandingkan ({} pasangan rekaman); tambahkan blok yang lebih sempit di alur kerja.",
                v.blocks_skipped, v.pairs_skipped
            );
        }
    }
    let _ = writeln!(t);
    let _ = write!(
        t,
        "{:<12} {:>10} {:>10} {:>8} {:>10} {:>10} {:>10} {:>10}",
        "Daftar", "Rekaman", "Orang", "Ganda", "Cocok", "Lemah", "Konflik", "Tdk ada"
    );
    let _ = writeln!(
        t,
        "{}",
        if fuzzy {
            format!(" {:>10}", "Verifikasi")
        } else {
            String::new()
        }
    );
    for l in &s.lists {
        let g = |k: &str| l.statuses.get(k).map(show).unwrap_or_default();
        let _ = write!(
            t,
            "{:<12} {:>10} {:>10} {:>8} {:>10} {:>10} {:>10} {:>10}",
            l.party,
            show(&l.records),
            show(&l.people),
            show(&l.duplicates),
            g("matched"),
            g("matched_weaker"),
            g("conflict"),
            g("not_found")
        );
        let _ = writeln!(
            t,
            "{}",
            if fuzzy {
                format!(" {:>10}", g(crate::fuzzy::STATUS))
            } else {
                String::new()
            }
        );
    }
    let _ = writeln!(t);
    let _ = writeln!(t, "Irisan berpasangan (orang di kedua daftar):");
    for o in &s.overlaps {
        let _ = writeln!(t, "  {} & {}: {}", o.a, o.b, show(&o.people));
    }
    let _ = writeln!(t);
    let _ = writeln!(t, "Kombinasi daftar (orang tepat di daftar-daftar ini):");
    for c in &s.combinations {
        let _ = writeln!(t, "  {}: {}", c.parties.join(" + "), show(&c.people));
    }
    let _ = writeln!(t);
    let _ = writeln!(t, "Tautan per kunci pencocokan:");
    for k in &s.links {
        let _ = writeln!(
            t,
            "  {}: {} tautan, {} konflik",
            k.key,
            show(&k.links),
            show(&k.conflicts)
        );
    }
    if let Some(v) = &s.verification {
        let _ = writeln!(t);
        let _ = writeln!(
            t,
            "Tautan nama mirip per pasangan daftar (perlu verifikasi):"
        );
        for p in &v.similar_by_pair {
            let _ = writeln!(t, "  {} & {}: {}", p.a, p.b, show(&p.links));
        }
    }
    t
}
