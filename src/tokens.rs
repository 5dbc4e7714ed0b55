//! Token files: what leaves an office. Format `padan-tokens/1` (see `docs/formats.md`):
//!
//! ```text
//! padan-tokens/1\n
//! {header JSON}\n
//! records: N x (ref[16] | mask[1] | token[16] x match keys)   (absent tokens are zeros)
//! SHA-256 of every byte before it [32]
//! ```
//!
//! Records are sorted by reference, which is keyed and random-looking, so their order says
//! nothing about the order of the input. A token file holds no row numbers, no names and no
//! plain values.

use std::collections::BTreeMap;
use std::io::{Read, Write};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::columns::Field;
use crate::error::{Error, Result};
use crate::keys::{Secret, Token, TOKEN_LEN};
use crate::pipeline::{Context, InputOptions, Progress};
use crate::record::{NikColumnStats, NormalRow, Normalizer, RowIssue};
use crate::table::{dialect_for, TableReader, SNIFF_BYTES};
use crate::workflow::Workflow;

pub const FORMAT: &str = "padan-tokens/1";
const MAX_HEADER: usize = 64 * 1024;

/// The self-describing header of a token file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenHeader {
    pub format: String,
    pub workflow_id: String,
    pub workflow_digest: String,
    pub party: String,
    pub kcv: String,
    /// Match-key names in the workflow's order; bit i of a record's mask is key i.
    pub match_keys: Vec<String>,
    pub records: u64,
    /// Tokens present per match key.
    pub tokens: BTreeMap<String, u64>,
    pub created_by: String,
}

impl TokenHeader {
    pub fn record_size(&self) -> usize {
        TOKEN_LEN + 1 + TOKEN_LEN * self.match_keys.len()
    }
}

/// One record of a token file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenRecord {
    pub reference: Token,
    /// One entry per match key.
    pub tokens: Vec<Option<Token>>,
}

/// A whole token file in memory (tests and small files; `compare` streams).
#[derive(Clone, Debug)]
pub struct TokenFile {
    pub header: TokenHeader,
    pub records: Vec<TokenRecord>,
}

/// Reads a whole token file from bytes.
pub fn read_token_file(bytes: &[u8], file_name: &str) -> Result<TokenFile> {
    let mut r = TokenReader::new(bytes, file_name)?;
    let mut records = Vec::with_capacity(r.header.records as usize);
    while let Some(rec) = r.next_record()? {
        records.push(rec);
    }
    Ok(TokenFile { header: r.header, records })
}

/// A streaming, verifying reader of a token file.
pub struct TokenReader<R: Read> {
    input: R,
    pub header: TokenHeader,
    file: String,
    hasher: Sha256,
    remaining: u64,
    buf: Vec<u8>,
}

impl<R: Read> TokenReader<R> {
    pub fn new(mut input: R, file_name: &str) -> Result<TokenReader<R>> {
        let bad = |what: String| Error::invalid(file_name, None, None, what);
        let mut hasher = Sha256::new();
        let first = read_line(&mut input, 64, file_name)?;
        if first != FORMAT.as_bytes() {
            if crate::keys::Secret::looks_like_key_file(&first) {
                return Err(Error::Refused {
                    what: format!(
                        "{file_name} adalah berkas KUNCI, bukan berkas token. Koordinator tidak boleh memegang kunci: hapus berkas ini dari komputer koordinator dan beri tahu pemegang kunci."
                    ),
                });
            }
            return Err(bad(format!("bukan berkas token padan (baris pertama harus '{FORMAT}').")));
        }
        hasher.update(&first);
        hasher.update(b"\n");
        let line = read_line(&mut input, MAX_HEADER, file_name)?;
        hasher.update(&line);
        hasher.update(b"\n");
        let header: TokenHeader = serde_json::from_slice(&line)
            .map_err(|e| Error::invalid(file_name, Some(2), None, format!("kepala berkas token rusak: {e}")))?;
        if header.format != FORMAT {
            return Err(bad(format!("format '{}' tidak didukung.", header.format)));
        }
        if header.match_keys.is_empty() || header.match_keys.len() > 8 {
            return Err(bad("jumlah kunci pencocokan di kepala berkas tidak sah.".into()));
        }
        let size = header.record_size();
        Ok(TokenReader {
            input,
            remaining: header.records,
            header,
            file: file_name.to_string(),
            hasher,
            buf: vec![0; size],
        })
    }

    /// The next record; at the end, checks the checksum and that nothing follows.
    pub fn next_record(&mut self) -> Result<Option<TokenRecord>> {
        if !self.next_raw()? {
            return Ok(None);
        }
        let k = self.header.match_keys.len();
        let mut reference = [0u8; TOKEN_LEN];
        reference.copy_from_slice(&self.buf[..TOKEN_LEN]);
        let mask = self.buf[TOKEN_LEN];
        let tokens = (0..k)
            .map(|i| {
                (mask & (1 << i) != 0).then(|| {
                    let off = TOKEN_LEN + 1 + i * TOKEN_LEN;
                    let mut t = [0u8; TOKEN_LEN];
                    t.copy_from_slice(&self.buf[off..off + TOKEN_LEN]);
                    t
                })
            })
            .collect();
        Ok(Some(TokenRecord { reference, tokens }))
    }

    /// Reads the next raw record into [`TokenReader::raw`]; false at the (verified) end.
    pub fn next_raw(&mut self) -> Result<bool> {
        if self.remaining == 0 {
            self.finish()?;
            return Ok(false);
        }
        self.input.read_exact(&mut self.buf).map_err(|e| self.truncated(e))?;
        let k = self.header.match_keys.len();
        if self.buf[TOKEN_LEN] >> k != 0 {
            return Err(Error::invalid(&self.file, None, None, "berkas token rusak (penanda kunci tidak sah)."));
        }
        self.hasher.update(&self.buf);
        self.remaining -= 1;
        Ok(true)
    }

    /// The raw bytes of the current record.
    pub fn raw(&self) -> &[u8] {
        &self.buf
    }

    fn truncated(&self, e: std::io::Error) -> Error {
        if e.kind() == std::io::ErrorKind::UnexpectedEof {
            Error::invalid(&self.file, None, None, "berkas token terpotong (tidak lengkap). Minta OPD mengirim ulang.")
        } else {
            Error::io(&self.file, e)
        }
    }

    fn finish(&mut self) -> Result<()> {
        let mut sum = [0u8; 32];
        self.input.read_exact(&mut sum).map_err(|e| self.truncated(e))?;
        let want: [u8; 32] = std::mem::take(&mut self.hasher).finalize().into();
        if sum != want {
            return Err(Error::invalid(
                &self.file,
                None,
                None,
                "checksum berkas token tidak cocok: berkas rusak atau diubah. Minta OPD mengirim ulang.",
            ));
        }
        let mut extra = [0u8; 1];
        match self.input.read(&mut extra) {
            Ok(0) => Ok(()),
            Ok(_) => Err(Error::invalid(&self.file, None, None, "ada data tambahan setelah akhir berkas token.")),
            Err(e) => Err(Error::io(&self.file, e)),
        }
    }

    /// Checks the header against the workflow and returns the party id.
    pub fn check_against(&self, wf: &Workflow) -> Result<()> {
        let h = &self.header;
        let f = &self.file;
        if h.workflow_digest != wf.digest_hex() {
            return Err(Error::mismatch(
                f,
                format!(
                    "berkas ini dibuat untuk alur kerja lain ('{}', digest {}…), bukan '{}' (digest {}…).",
                    h.workflow_id,
                    h.workflow_digest.get(..12).unwrap_or(&h.workflow_digest),
                    wf.id,
                    &wf.digest_hex()[..12]
                ),
            ));
        }
        wf.require_data_party(&h.party, f)?;
        let names: Vec<&str> = wf.match_keys.iter().map(|k| k.name.as_str()).collect();
        if h.match_keys.iter().map(String::as_str).ne(names.iter().copied()) {
            return Err(Error::mismatch(f, "kunci pencocokan di berkas tidak sama dengan alur kerja."));
        }
        Ok(())
    }
}

fn read_line<R: Read>(input: &mut R, max: usize, file: &str) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut b = [0u8; 1];
    loop {
        match input.read(&mut b) {
            Ok(0) => {
                return Err(Error::invalid(file, None, None, "berkas terpotong atau bukan berkas padan."));
            }
            Ok(_) if b[0] == b'\n' => return Ok(out),
            Ok(_) => {
                out.push(b[0]);
                if out.len() > max {
                    return Err(Error::invalid(file, None, None, "bukan berkas padan (kepala berkas terlalu panjang)."));
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(Error::io(file, e)),
        }
    }
}

/// A rejected row: its number and why (no personal data).
#[derive(Clone, Debug, Serialize)]
pub struct Rejected {
    pub row: u64,
    pub line: u64,
    pub reason: String,
}

/// Count and example rows of one rejection reason.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ReasonCount {
    pub count: u64,
    pub description: String,
    pub example_rows: Vec<u64>,
}

/// What `tokenize` did. Also the office's local receipt: counts and reasons, no tokens, no
/// personal data.
#[derive(Clone, Debug, Serialize)]
pub struct TokenizeSummary {
    pub format: &'static str,
    pub input_file: String,
    pub input_sha256: String,
    pub token_file: String,
    pub workflow_id: String,
    pub workflow_digest: String,
    pub party: String,
    pub kcv: String,
    pub rows_in: u64,
    pub rows_tokenized: u64,
    pub rows_rejected: u64,
    pub rejected_by_reason: BTreeMap<String, ReasonCount>,
    pub rejected: Vec<Rejected>,
    pub tokens_per_key: BTreeMap<String, u64>,
    /// Match keys this list cannot produce, with the missing column.
    pub keys_unavailable: BTreeMap<String, String>,
    pub nik_column_damaged: bool,
    pub created_by: String,
}

/// Why a row yields no token at all: a stable code.
pub fn reject_reason(row: &NormalRow, has_nik_col: bool) -> String {
    if row.issues.contains(&RowIssue::Ragged) {
        return "ragged_row".into();
    }
    let mut parts = Vec::new();
    if has_nik_col {
        if row.issues.contains(&RowIssue::NikColumnDamage) {
            parts.push("nik_column_damage".to_string());
        } else if row.issues.contains(&RowIssue::NikEqualsKk) {
            parts.push("nik_equals_kk".to_string());
        } else if let Some(p) = row.nik_problems.first() {
            parts.push(format!("nik_{}", p.code()));
        }
    }
    if row.name.is_none() {
        parts.push("name_missing".into());
    }
    if row.birth_date.is_none() {
        parts.push(if row.issues.contains(&RowIssue::BadBirthDate) { "birth_date_bad" } else { "birth_date_missing" }.into());
    }
    if parts.is_empty() {
        parts.push("no_key_fields".into());
    }
    parts.join("+")
}

/// Describes a reason code in Bahasa Indonesia.
pub fn describe_reason(code: &str) -> String {
    code.split('+')
        .map(|p| match p {
            "ragged_row" => "jumlah kolom berbeda dengan baris judul".to_string(),
            "name_missing" => "nama kosong/tidak terbaca".to_string(),
            "birth_date_missing" => "tanggal lahir kosong".to_string(),
            "birth_date_bad" => "tanggal lahir tidak terbaca".to_string(),
            "no_key_fields" => "kolom kunci tidak lengkap".to_string(),
            "nik_column_damage" => RowIssue::NikColumnDamage.describe_id().to_string(),
            "nik_equals_kk" => RowIssue::NikEqualsKk.describe_id().to_string(),
            other => match other.strip_prefix("nik_") {
                Some(c) => format!("NIK: {}", nik_problem_by_code(c).map(|p| p.describe_id()).unwrap_or(c)),
                None => other.to_string(),
            },
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn nik_problem_by_code(code: &str) -> Option<crate::nik::NikProblem> {
    use crate::nik::NikProblem::*;
    [
        Empty, WrongLength, NotDigits, UnknownProvince, BadKabupaten, BadKecamatan, BadDay, BadMonth,
        ImpossibleDate, ZeroSerial, LeadingZero, Placeholder, SpreadsheetDamage, StandInBirthDate,
    ]
    .into_iter()
    .find(|p| p.code() == code)
}

/// A `Read` that hashes what passes through it (the input file's digest for receipts).
pub struct HashingReader<R> {
    pub inner: R,
    pub hasher: Sha256,
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

/// Opens a list for streaming: reads the detection sample, builds the dialect, reader and
/// normalizer. Shared by check, tokenize and reattach.
pub(crate) fn open_list<'r, R: Read + 'r>(
    input: R,
    file_name: &str,
    opts: &InputOptions,
    reference_year: u16,
) -> Result<(TableReader<HashingReader<Box<dyn Read + 'r>>>, Normalizer)> {
    let mut input = input;
    let mut head = Vec::with_capacity(SNIFF_BYTES);
    (&mut input).take(SNIFF_BYTES as u64).read_to_end(&mut head).map_err(|e| Error::io(file_name, e))?;
    let dialect = dialect_for(&head, opts, file_name)?;
    let chained: Box<dyn Read + 'r> = Box::new(std::io::Cursor::new(head).chain(input));
    let reader = TableReader::new(HashingReader { inner: chained, hasher: Sha256::new() }, file_name, dialect)?;
    let mapping = crate::columns::Mapping::build(&reader.header, &opts.columns, file_name)?;
    let normalizer = Normalizer { header_len: reader.header.len(), mapping, reference_year };
    Ok((reader, normalizer))
}

/// Which match keys a list can produce, and the first missing field of the others.
pub(crate) fn key_availability(wf: &Workflow, n: &Normalizer) -> Vec<std::result::Result<(), String>> {
    wf.match_keys
        .iter()
        .map(|k| {
            for f in &k.fields {
                let ok = match f.as_str() {
                    "birth_date" => {
                        n.mapping.get(Field::BirthDate).is_some()
                            || n.mapping.get(Field::PlaceBirthDate).is_some()
                            || n.mapping.get(Field::Nik).is_some()
                    }
                    code => Field::from_code(code).and_then(|x| n.mapping.get(x)).is_some(),
                };
                if !ok {
                    return Err(f.clone());
                }
            }
            Ok(())
        })
        .collect()
}

/// Makes the token file of one office list. Streams the input; keeps only the compact
/// records (16 bytes per token plus 17 per row) to write them in reference order.
/// Nothing is written to `out` unless the whole input was read without error.
#[allow(clippy::too_many_arguments)]
pub fn tokenize<R: Read, W: Write>(
    ctx: &Context,
    secret: &Secret,
    party: &str,
    input: R,
    file_name: &str,
    opts: &InputOptions,
    mut out: W,
    progress: &mut dyn FnMut(Progress),
) -> Result<TokenizeSummary> {
    let wf = ctx.workflow;
    wf.check_valid_on(ctx.today, ctx.workflow_file)?;
    wf.require_data_party(party, ctx.workflow_file)?;
    let digest = wf.digest();
    let (mut reader, normalizer) = open_list(input, file_name, opts, ctx.today.year)?;
    let avail = key_availability(wf, &normalizer);
    if avail.iter().all(|a| a.is_err()) {
        let missing: Vec<String> = avail.iter().filter_map(|a| a.clone().err()).collect();
        return Err(Error::invalid(
            file_name,
            Some(1),
            missing.first().map(String::as_str),
            format!(
                "tidak satu pun kunci pencocokan dapat dibuat: kolom wajib tidak ditemukan ({}). Judul yang ada: {}.{}",
                missing.join(", "),
                reader.header.join(" | "),
                if reader.header.len() == 1 { " Hanya satu kolom terbaca: pemisah (delimiter) mungkin salah." } else { "" }
            ),
        ));
    }
    let keys: Vec<_> = wf.match_keys.iter().map(|k| secret.token_key(&digest, &k.name)).collect();
    let ref_key = secret.ref_key(&digest, party);
    let nk = keys.len();
    let rec_size = TOKEN_LEN + 1 + TOKEN_LEN * nk;
    let has_nik_col = normalizer.mapping.get(Field::Nik).is_some();
    let nik_keys: u8 =
        wf.match_keys.iter().enumerate().filter(|(_, k)| k.fields.iter().any(|f| f == "nik")).fold(0, |m, (i, _)| m | (1 << i));

    let mut buf: Vec<u8> = Vec::new();
    // (record index, row, line) of rows whose NIK ends in 0, in case the column is damaged.
    let mut zero_ending: Vec<(u32, u64, u64)> = Vec::new();
    let mut stats = NikColumnStats::default();
    let mut rejected = Vec::new();
    let mut rows_in = 0u64;
    let mut values: Vec<String> = Vec::new();
    while let Some(row) = reader.next_row()? {
        rows_in += 1;
        let n = normalizer.normalize(row.fields);
        stats.add(&n);
        let mut mask = 0u8;
        let start = buf.len();
        buf.extend_from_slice(&ref_key.reference(row.row, row.raw.iter()));
        buf.push(0);
        for (i, k) in wf.match_keys.iter().enumerate() {
            values.clear();
            let complete = !n.issues.contains(&RowIssue::Ragged)
                && k.fields.iter().all(|f| match n.key_value(f) {
                    Some(v) => {
                        values.push(v);
                        true
                    }
                    None => false,
                });
            if complete {
                mask |= 1 << i;
                buf.extend_from_slice(&keys[i].token(&values));
            } else {
                buf.extend_from_slice(&[0u8; TOKEN_LEN]);
            }
        }
        if mask == 0 {
            buf.truncate(start);
            rejected.push(Rejected { row: row.row, line: row.line, reason: reject_reason(&n, has_nik_col) });
        } else {
            buf[start + TOKEN_LEN] = mask;
            if n.nik.as_ref().is_some_and(|x| x.nik.ends_with('0')) {
                zero_ending.push(((buf.len() / rec_size - 1) as u32, row.row, row.line));
            }
        }
        if rows_in % 8192 == 0 {
            progress(Progress { rows: rows_in, bytes: reader.bytes_read() });
        }
    }
    if rows_in == 0 {
        return Err(Error::invalid(file_name, Some(2), None, "hanya ada baris judul; tidak ada baris data."));
    }
    let damaged = has_nik_col && stats.damaged();
    let mut dropped = vec![false; buf.len() / rec_size];
    if damaged {
        for &(idx, row, line) in &zero_ending {
            let rec = &mut buf[idx as usize * rec_size..(idx as usize + 1) * rec_size];
            rec[TOKEN_LEN] &= !nik_keys;
            for i in 0..nk {
                if nik_keys & (1 << i) != 0 {
                    rec[TOKEN_LEN + 1 + i * TOKEN_LEN..TOKEN_LEN + 1 + (i + 1) * TOKEN_LEN].fill(0);
                }
            }
            if rec[TOKEN_LEN] == 0 {
                dropped[idx as usize] = true;
                rejected.push(Rejected { row, line, reason: "nik_column_damage".into() });
            }
        }
        rejected.sort_by_key(|r| r.row);
    }
    // Reference order.
    let mut order: Vec<(Token, u32)> = buf
        .chunks_exact(rec_size)
        .enumerate()
        .filter(|(i, _)| !dropped[*i])
        .map(|(i, c)| (c[..TOKEN_LEN].try_into().expect("16 bytes"), i as u32))
        .collect();
    order.sort_unstable();
    let mut tokens_per_key: BTreeMap<String, u64> = wf.match_keys.iter().map(|k| (k.name.clone(), 0)).collect();
    for c in buf.chunks_exact(rec_size).enumerate().filter(|(i, _)| !dropped[*i]).map(|(_, c)| c) {
        for (i, k) in wf.match_keys.iter().enumerate() {
            if c[TOKEN_LEN] & (1 << i) != 0 {
                *tokens_per_key.get_mut(&k.name).expect("present") += 1;
            }
        }
    }
    let header = TokenHeader {
        format: FORMAT.into(),
        workflow_id: wf.id.clone(),
        workflow_digest: hex::encode(digest),
        party: party.to_string(),
        kcv: secret.kcv(),
        match_keys: wf.match_keys.iter().map(|k| k.name.clone()).collect(),
        records: order.len() as u64,
        tokens: tokens_per_key.clone(),
        created_by: format!("padan {}", crate::VERSION),
    };
    let mut hasher = Sha256::new();
    let mut head = format!("{FORMAT}\n").into_bytes();
    head.extend_from_slice(&serde_json::to_vec(&header).expect("serializable"));
    head.push(b'\n');
    let io = |e| Error::io("(berkas token)", e);
    hasher.update(&head);
    out.write_all(&head).map_err(io)?;
    let mut chunk = Vec::with_capacity(rec_size * 4096);
    for (_, i) in &order {
        chunk.extend_from_slice(&buf[*i as usize * rec_size..(*i as usize + 1) * rec_size]);
        if chunk.len() >= rec_size * 4096 {
            hasher.update(&chunk);
            out.write_all(&chunk).map_err(io)?;
            chunk.clear();
        }
    }
    hasher.update(&chunk);
    out.write_all(&chunk).map_err(io)?;
    out.write_all(&hasher.finalize()).map_err(io)?;
    out.flush().map_err(io)?;
    progress(Progress { rows: rows_in, bytes: reader.bytes_read() });

    let mut by_reason: BTreeMap<String, ReasonCount> = BTreeMap::new();
    for r in &rejected {
        let e = by_reason.entry(r.reason.clone()).or_default();
        e.count += 1;
        if e.example_rows.len() < 10 {
            e.example_rows.push(r.row);
        }
    }
    for (code, c) in by_reason.iter_mut() {
        c.description = describe_reason(code);
    }
    let input_sha256 = hex::encode(reader_hash(&mut reader)?);
    Ok(TokenizeSummary {
        format: "padan-receipt/1",
        input_file: file_name.to_string(),
        input_sha256,
        token_file: format!("{party}.tokens"),
        workflow_id: wf.id.clone(),
        workflow_digest: hex::encode(digest),
        party: party.to_string(),
        kcv: secret.kcv(),
        rows_in,
        rows_tokenized: order.len() as u64,
        rows_rejected: rejected.len() as u64,
        rejected_by_reason: by_reason,
        rejected,
        tokens_per_key,
        keys_unavailable: wf
            .match_keys
            .iter()
            .zip(&avail)
            .filter_map(|(k, a)| a.clone().err().map(|f| (k.name.clone(), f)))
            .collect(),
        nik_column_damaged: damaged,
        created_by: format!("padan {}", crate::VERSION),
    })
}

/// Drains the reader (nothing should remain) and returns the SHA-256 of the whole input.
pub(crate) fn reader_hash<R: Read>(reader: &mut TableReader<HashingReader<R>>) -> Result<[u8; 32]> {
    let file = reader.file.clone();
    let inner = reader.inner_mut();
    let mut sink = [0u8; 8192];
    loop {
        match inner.read(&mut sink) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => return Err(Error::io(&file, e)),
        }
    }
    Ok(inner.hasher.clone().finalize().into())
}
