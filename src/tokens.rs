//! Token files: what leaves an office. Format `padan-tokens/1` (see `docs/formats.md`):
//!
//! ```text
//! padan-tokens/1\n
//! {header JSON}\n
//! records: N x (ref[16] | mask[1] | token[16] x match keys)   (absent tokens are zeros)
//! SHA-256 of every byte before it [32]
//! ```
//!
//! When the workflow enables fuzzy matching the first line is `padan-tokens/2`, the
//! header has a `fuzzy` object, and each record ends with its fuzzy part
//! ([`crate::fuzzy::record`]): a hardened Bloom filter, block tokens and NIK-typo tokens.
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
use crate::keys::{RefKey, RowHashes, Secret, Token, TokenKey, TOKEN_LEN};
use crate::pipeline::{Context, InputOptions, Progress};
use crate::record::{KeyField, KeyValue};
use crate::record::{NikColumnStats, NormalRow, Normalizer, RowIssue};
use crate::table::{dialect_for, TableReader, SNIFF_BYTES};
use crate::workflow::Workflow;

pub const FORMAT: &str = "padan-tokens/1";
/// The format of token files with a fuzzy part.
pub const FORMAT_FUZZY: &str = "padan-tokens/2";
const MAX_HEADER: usize = 64 * 1024;
/// The smallest part [`Tokenizer::part_starts`] cuts (a part costs a thread's or a helper
/// worker's set-up, about a millisecond).
pub const MIN_PART: u64 = 1 << 20;

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
    /// The fuzzy part of each record (`padan-tokens/2` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fuzzy: Option<FuzzyHeader>,
    pub created_by: String,
}

/// What the fuzzy part of a `padan-tokens/2` record holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FuzzyHeader {
    /// Bloom-filter length in bits (1024).
    pub bits: u32,
    /// Block tokens per record.
    pub blocks: u32,
    /// Whether NIK-typo tokens follow.
    pub typo: bool,
    /// Records with a filter.
    pub filters: u64,
}

impl TokenHeader {
    pub fn record_size(&self) -> usize {
        TOKEN_LEN
            + 1
            + TOKEN_LEN * self.match_keys.len()
            + self.fuzzy_layout().map_or(0, |l| l.size())
    }

    /// Size of the exact part of a record (reference, mask, tokens).
    pub fn exact_size(&self) -> usize {
        TOKEN_LEN + 1 + TOKEN_LEN * self.match_keys.len()
    }

    /// The layout of each record's fuzzy part, when there is one.
    pub fn fuzzy_layout(&self) -> Option<crate::fuzzy::record::Layout> {
        self.fuzzy.as_ref().map(|f| crate::fuzzy::record::Layout {
            blocks: f.blocks as usize,
            typo: f.typo,
        })
    }
}

/// One record of a token file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenRecord {
    pub reference: Token,
    /// One entry per match key.
    pub tokens: Vec<Option<Token>>,
    /// The raw fuzzy part (`padan-tokens/2`), empty otherwise.
    pub fuzzy: Vec<u8>,
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
    Ok(TokenFile {
        header: r.header,
        records,
    })
}

/// What every record's masks must satisfy: no bit past the match keys, and a valid
/// fuzzy mask where there is a fuzzy part.
#[derive(Clone, Copy)]
struct RecordCheck {
    keys: usize,
    exact: usize,
    fuzzy: Option<crate::fuzzy::record::Layout>,
}

impl RecordCheck {
    fn of(h: &TokenHeader) -> RecordCheck {
        RecordCheck {
            keys: h.match_keys.len(),
            exact: h.exact_size(),
            fuzzy: h.fuzzy_layout(),
        }
    }

    fn ok(&self, record: &[u8]) -> bool {
        record[TOKEN_LEN] >> self.keys == 0
            && self.fuzzy.is_none_or(|l| l.mask_ok(record[self.exact]))
    }
}

fn bad_mask(file: &str) -> Error {
    Error::invalid(
        file,
        None,
        None,
        "berkas token rusak (penanda kunci tidak sah).",
    )
}

/// A streaming, verifying reader of a token file.
pub struct TokenReader<R: Read> {
    input: R,
    pub header: TokenHeader,
    file: String,
    hasher: Sha256,
    /// Records not yet read from `input`.
    remaining: u64,
    /// A batch of records read (and hashed) at once; `at` is the current record's start.
    buf: Vec<u8>,
    at: usize,
    size: usize,
    /// The file's SHA-256 checksum (verified unless deferred), once the end is reached.
    checksum: Option<[u8; 32]>,
    /// The SHA-256 of the whole file (checksum included), once the end is reached.
    file_sha256: Option<[u8; 32]>,
    /// What the checksum at the end is checked against.
    body: BodyCheck,
}

/// What a [`TokenReader`] checks the checksum at the file's end against.
#[derive(Clone, Copy)]
enum BodyCheck {
    /// The SHA-256 of the body, hashed here as the records are read.
    Hash,
    /// The body's SHA-256 as the caller computed it ([`TokenReader::with_body_digest`]).
    Known([u8; 32]),
    /// Nothing yet: the caller checks [`TokenReader::checksum`] against its own digest of
    /// the body afterwards ([`TokenReader::with_deferred_check`]).
    Deferred,
}

/// The error of a token file whose checksum does not match its body.
pub(crate) fn checksum_mismatch(file: &str) -> Error {
    Error::invalid(
        file,
        None,
        None,
        "checksum berkas token tidak cocok: berkas rusak atau diubah. Minta OPD mengirim ulang.",
    )
}

/// Records read from the input per batch.
const BATCH: usize = 4096;
/// Rows whose references and tokens `Tokenizer::run_part` computes together (`RowHashes`).
const HASH_BATCH_ROWS: usize = 256;
/// Chunks of the token file passed between the threads of `finish_in` (4 MiB each).
const CHUNKS: usize = 4;

impl<R: Read> TokenReader<R> {
    pub fn new(mut input: R, file_name: &str) -> Result<TokenReader<R>> {
        let bad = |what: String| Error::invalid(file_name, None, None, what);
        let mut hasher = Sha256::new();
        let first = read_line(&mut input, 64, file_name)?;
        if first != FORMAT.as_bytes() && first != FORMAT_FUZZY.as_bytes() {
            if crate::keys::Secret::looks_like_key_file(&first) {
                return Err(Error::Refused {
                    what: format!(
                        "{file_name} adalah berkas KUNCI, bukan berkas token. Koordinator tidak boleh memegang kunci: hapus berkas ini dari komputer koordinator dan beri tahu pemegang kunci."
                    ),
                });
            }
            return Err(bad(format!(
                "bukan berkas token padan (baris pertama harus '{FORMAT}')."
            )));
        }
        hasher.update(&first);
        hasher.update(b"\n");
        let line = read_line(&mut input, MAX_HEADER, file_name)?;
        hasher.update(&line);
        hasher.update(b"\n");
        let header: TokenHeader = serde_json::from_slice(&line).map_err(|e| {
            Error::invalid(
                file_name,
                Some(2),
                None,
                format!("kepala berkas token rusak: {e}"),
            )
        })?;
        if header.format.as_bytes() != first {
            return Err(bad(format!("format '{}' tidak didukung.", header.format)));
        }
        match (&header.fuzzy, header.format == FORMAT_FUZZY) {
            (None, false) => {}
            (Some(f), true) if f.bits as usize == crate::fuzzy::bloom::BITS && f.blocks <= 4 => {}
            _ => {
                return Err(bad(
                    "bagian pencocokan mirip (fuzzy) di kepala berkas tidak sah.".into(),
                ))
            }
        }
        if header.match_keys.is_empty() || header.match_keys.len() > 8 {
            return Err(bad(
                "jumlah kunci pencocokan di kepala berkas tidak sah.".into()
            ));
        }
        let size = header.record_size();
        Ok(TokenReader {
            input,
            remaining: header.records,
            header,
            file: file_name.to_string(),
            hasher,
            buf: Vec::new(),
            at: 0,
            size,
            checksum: None,
            file_sha256: None,
            body: BodyCheck::Hash,
        })
    }

    /// Takes the SHA-256 of the file's body (everything but its last 32 bytes, the
    /// checksum), computed by the caller, instead of hashing the records here; the end
    /// still checks the checksum against it. The browser hashes token files with
    /// WebCrypto, several times faster than SHA-256 in WebAssembly. A digest of other
    /// bytes than the body makes the checksum check fail, as a damaged file does.
    /// [`TokenReader::file_sha256`] is then unknown (`None`).
    pub fn with_body_digest(mut self, digest: [u8; 32]) -> TokenReader<R> {
        self.body = BodyCheck::Known(digest);
        self
    }

    /// Neither hashes the records nor checks the checksum at the end: the caller computes
    /// the body's SHA-256 meanwhile (the browser: WebCrypto, on another thread) and
    /// compares it with [`TokenReader::checksum`] before it uses anything read.
    /// [`TokenReader::file_sha256`] is then unknown (`None`).
    pub fn with_deferred_check(mut self) -> TokenReader<R> {
        self.body = BodyCheck::Deferred;
        self
    }

    fn hashes(&self) -> bool {
        matches!(self.body, BodyCheck::Hash)
    }

    /// The next record; at the end, checks the checksum and that nothing follows.
    pub fn next_record(&mut self) -> Result<Option<TokenRecord>> {
        if !self.next_raw()? {
            return Ok(None);
        }
        let k = self.header.match_keys.len();
        let raw = self.raw();
        let mut reference = [0u8; TOKEN_LEN];
        reference.copy_from_slice(&raw[..TOKEN_LEN]);
        let mask = raw[TOKEN_LEN];
        let tokens = (0..k)
            .map(|i| {
                (mask & (1 << i) != 0).then(|| {
                    let off = TOKEN_LEN + 1 + i * TOKEN_LEN;
                    let mut t = [0u8; TOKEN_LEN];
                    t.copy_from_slice(&raw[off..off + TOKEN_LEN]);
                    t
                })
            })
            .collect();
        let fuzzy = raw[self.header.exact_size()..].to_vec();
        Ok(Some(TokenRecord {
            reference,
            tokens,
            fuzzy,
        }))
    }

    /// Reads the next raw record into [`TokenReader::raw`]; false at the (verified) end.
    pub fn next_raw(&mut self) -> Result<bool> {
        let next = self.at + self.size;
        if next < self.buf.len() {
            self.at = next;
        } else {
            if self.remaining == 0 {
                self.buf.clear();
                self.finish()?;
                return Ok(false);
            }
            let n = (self.remaining as usize).min(BATCH);
            self.buf.resize(n * self.size, 0);
            self.input
                .read_exact(&mut self.buf)
                .map_err(|e| self.truncated(e))?;
            if self.hashes() {
                self.hasher.update(&self.buf);
            }
            self.remaining -= n as u64;
            self.at = 0;
        }
        let check = RecordCheck::of(&self.header);
        if !check.ok(&self.buf[self.at..self.at + self.size]) {
            return Err(bad_mask(&self.file));
        }
        Ok(true)
    }

    /// Reads up to `max` records at once and calls `f` with their raw bytes (whole
    /// records of [`TokenHeader::record_size`] bytes each), hashing them meanwhile with
    /// `par`'s help. Returns false at the (verified) end, without calling `f`.
    pub fn next_batch(
        &mut self,
        max: usize,
        par: &dyn crate::par::Parallel,
        f: &mut dyn FnMut(&[u8]) -> Result<()>,
    ) -> Result<bool> {
        if self.remaining == 0 {
            self.buf.clear();
            self.finish()?;
            return Ok(false);
        }
        let n = (self.remaining as usize).min(max.max(1));
        self.buf.resize(n * self.size, 0);
        if let Err(e) = self.input.read_exact(&mut self.buf) {
            return Err(self.truncated(e));
        }
        self.remaining -= n as u64;
        self.at = self.buf.len();
        let (check, size) = (RecordCheck::of(&self.header), self.size);
        let (hasher, buf, file) = (&mut self.hasher, &self.buf[..], &self.file);
        let mut out = Ok(());
        let mut records = || {
            out = match buf.chunks_exact(size).all(|r| check.ok(r)) {
                true => f(buf),
                false => Err(bad_mask(file)),
            };
        };
        match self.body {
            BodyCheck::Hash => par.join(Box::new(move || hasher.update(buf)), &mut records),
            BodyCheck::Known(_) | BodyCheck::Deferred => records(),
        }
        out.map(|()| true)
    }

    /// The file's SHA-256 checksum (its last 32 bytes), once the end was reached and the
    /// checksum verified (with [`TokenReader::with_deferred_check`]: as read, unverified).
    pub fn checksum(&self) -> Option<[u8; 32]> {
        self.checksum
    }

    /// The SHA-256 of the whole file as read (what `sha256sum` prints for it, the checksum
    /// included), once the end was reached and verified: the receipts' digest of the
    /// input, without a second pass over the file.
    pub fn file_sha256(&self) -> Option<[u8; 32]> {
        self.file_sha256
    }

    /// The raw bytes of the current record.
    pub fn raw(&self) -> &[u8] {
        &self.buf[self.at..self.at + self.size]
    }

    fn truncated(&self, e: std::io::Error) -> Error {
        if e.kind() == std::io::ErrorKind::UnexpectedEof {
            Error::invalid(
                &self.file,
                None,
                None,
                "berkas token terpotong (tidak lengkap). Minta OPD mengirim ulang.",
            )
        } else {
            Error::io(&self.file, e)
        }
    }

    fn finish(&mut self) -> Result<()> {
        let mut sum = [0u8; 32];
        self.input
            .read_exact(&mut sum)
            .map_err(|e| self.truncated(e))?;
        let body = std::mem::take(&mut self.hasher);
        let mut whole = body.clone();
        let want: [u8; 32] = match self.body {
            BodyCheck::Known(d) => d,
            BodyCheck::Hash => body.finalize().into(),
            BodyCheck::Deferred => sum,
        };
        if sum != want {
            return Err(checksum_mismatch(&self.file));
        }
        self.checksum = Some(sum);
        let mut extra = [0u8; 1];
        match self.input.read(&mut extra) {
            Ok(0) => {
                if self.hashes() {
                    whole.update(sum);
                    self.file_sha256 = Some(whole.finalize().into());
                }
                Ok(())
            }
            Ok(_) => Err(Error::invalid(
                &self.file,
                None,
                None,
                "ada data tambahan setelah akhir berkas token.",
            )),
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
        if h.match_keys
            .iter()
            .map(String::as_str)
            .ne(names.iter().copied())
        {
            return Err(Error::mismatch(
                f,
                "kunci pencocokan di berkas tidak sama dengan alur kerja.",
            ));
        }
        let want = wf.fuzzy.as_ref().map(crate::fuzzy::record::Layout::of);
        if want != h.fuzzy_layout() {
            return Err(Error::mismatch(
                f,
                "bagian pencocokan mirip (fuzzy) di berkas tidak sesuai dengan alur kerja.",
            ));
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
                return Err(Error::invalid(
                    file,
                    None,
                    None,
                    "berkas terpotong atau bukan berkas padan.",
                ));
            }
            Ok(_) if b[0] == b'\n' => return Ok(out),
            Ok(_) => {
                out.push(b[0]);
                if out.len() > max {
                    return Err(Error::invalid(
                        file,
                        None,
                        None,
                        "bukan berkas padan (kepala berkas terlalu panjang).",
                    ));
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
    /// The SHA-256 of the whole token file written (what `sha256sum` prints for it), when
    /// it was sealed here: the receipt's digest of the output, without reading it again.
    #[serde(skip)]
    pub token_sha256: Option<String>,
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
        parts.push(
            if row.issues.contains(&RowIssue::BadBirthDate) {
                "birth_date_bad"
            } else {
                "birth_date_missing"
            }
            .into(),
        );
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
                Some(c) => format!(
                    "NIK: {}",
                    crate::nik::NikProblem::from_code(c)
                        .map(|p| p.describe_id())
                        .unwrap_or(c)
                ),
                None => other.to_string(),
            },
        })
        .collect::<Vec<_>>()
        .join("; ")
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
/// A list being streamed: the table reader over a hashing reader.
pub(crate) type ListReader<'r> = TableReader<HashingReader<Box<dyn Read + 'r>>>;

pub(crate) fn open_list<'r, R: Read + 'r>(
    input: R,
    file_name: &str,
    opts: &InputOptions,
    reference_year: u16,
) -> Result<(ListReader<'r>, Normalizer)> {
    let mut input = input;
    let mut head = Vec::with_capacity(SNIFF_BYTES);
    (&mut input)
        .take(SNIFF_BYTES as u64)
        .read_to_end(&mut head)
        .map_err(|e| Error::io(file_name, e))?;
    let dialect = dialect_for(&head, opts, file_name)?;
    let chained: Box<dyn Read + 'r> = Box::new(std::io::Cursor::new(head).chain(input));
    let reader = TableReader::new(
        HashingReader {
            inner: chained,
            hasher: Sha256::new(),
        },
        file_name,
        dialect,
    )?;
    let mapping = crate::columns::Mapping::build(&reader.header, &opts.columns, file_name)?;
    let normalizer = Normalizer::new(mapping, reader.header.len(), reference_year);
    Ok((reader, normalizer))
}

/// Which match keys a list can produce, and the first missing field of the others.
pub(crate) fn key_availability(
    wf: &Workflow,
    n: &Normalizer,
) -> Vec<std::result::Result<(), String>> {
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
                    code => Field::from_code(code)
                        .and_then(|x| n.mapping.get(x))
                        .is_some(),
                };
                if !ok {
                    return Err(f.clone());
                }
            }
            Ok(())
        })
        .collect()
}

/// One part of a list turned into compact records (see [`Tokenizer`]).
#[derive(Clone, Debug, Default)]
pub struct PartOutput {
    /// File offset of the first record this part read.
    pub first: u64,
    /// File offset where the next part must start (its first record, or the end).
    pub next: u64,
    /// Data rows read.
    pub rows: u64,
    /// Physical lines those rows span.
    pub lines: u64,
    /// Records, `record_size` bytes each, in reference order (sorted at the end of
    /// [`Tokenizer::run_part`]).
    records: Vec<u8>,
    /// Rejected rows with part-local row and line numbers.
    rejected: Vec<Rejected>,
    /// (record index in `records`, local row, local line) of records whose NIK ends in 0.
    zero_ending: Vec<(u32, u64, u64)>,
    stats: NikColumnStats,
    /// Records holding a token of each match key, counted as they are made (so that
    /// `finish` need not read the records again to count them).
    per_key: Vec<u64>,
    /// Records whose fuzzy part holds a name filter.
    filters: u64,
}

/// The order of the `rec_size`-byte records in `records` by reference (their first
/// [`TOKEN_LEN`] bytes, big-endian), equal references by place: the same order as sorting
/// `(reference, place)` pairs. References are keyed hashes, spread evenly: the records are
/// put into buckets by the top bits of their references (about 16 to a bucket), and each
/// small bucket is sorted on its own.
fn reference_order(records: &[u8], rec_size: usize) -> Vec<u32> {
    let n = records.len() / rec_size;
    let full = |i: u32| reference_at(records, rec_size, i as usize);
    // The reference's top 64 bits decide all but (almost) never.
    let hi: Vec<u64> = records
        .chunks_exact(rec_size)
        .map(|c| u64::from_be_bytes(c[..8].try_into().expect("8")))
        .collect();
    let bits = (usize::BITS - n.leading_zeros())
        .saturating_sub(4)
        .clamp(1, 16);
    let bucket = |h: u64| (h >> (64 - bits)) as usize;
    let mut starts = vec![0u32; (1 << bits) + 1];
    for &h in &hi {
        starts[bucket(h) + 1] += 1;
    }
    for b in 1..starts.len() {
        starts[b] += starts[b - 1];
    }
    let mut fill = starts.clone();
    let mut src = vec![0u32; n];
    for (i, &h) in hi.iter().enumerate() {
        let f = &mut fill[bucket(h)];
        src[*f as usize] = i as u32;
        *f += 1;
    }
    for w in starts.windows(2) {
        src[w[0] as usize..w[1] as usize].sort_unstable_by(|&a, &b| {
            hi[a as usize]
                .cmp(&hi[b as usize])
                .then_with(|| full(a).cmp(&full(b)))
                .then(a.cmp(&b))
        });
    }
    src
}

impl PartOutput {
    /// Puts the records in reference order, in place (no second copy of a part that can
    /// be tens of MB), and renumbers `zero_ending` to the records' new places.
    fn sort_by_reference(&mut self, rec_size: usize) {
        let n = self.records.len() / rec_size;
        // `src[d]`: the record that goes to place `d`; `dest[s]`: where record `s` goes.
        let src = reference_order(&self.records, rec_size);
        if !self.zero_ending.is_empty() {
            let mut dest = vec![0u32; n];
            for (d, &s) in src.iter().enumerate() {
                dest[s as usize] = d as u32;
            }
            for z in &mut self.zero_ending {
                z.0 = dest[z.0 as usize];
            }
        }
        // Follow each cycle of the permutation once, moving records through `tmp`.
        let mut tmp = vec![0u8; rec_size];
        let mut done = vec![false; n];
        for start in 0..n {
            if done[start] || src[start] as usize == start {
                continue;
            }
            tmp.copy_from_slice(&self.records[start * rec_size..(start + 1) * rec_size]);
            let mut d = start;
            loop {
                done[d] = true;
                let s = src[d] as usize;
                if s == start {
                    self.records[d * rec_size..(d + 1) * rec_size].copy_from_slice(&tmp);
                    break;
                }
                self.records
                    .copy_within(s * rec_size..(s + 1) * rec_size, d * rec_size);
                d = s;
            }
        }
    }

    /// Serializes a part (to hand it from one Web Worker to another): the records, then a
    /// JSON object with the rest, then that object's length (8 bytes, little-endian). The
    /// records stay where they are (a part of a big list is tens of MB: no copy). It holds
    /// tokens: it never leaves the office's machine in this form.
    pub fn into_bytes(self) -> Vec<u8> {
        let meta = serde_json::json!({
            "first": self.first, "next": self.next, "rows": self.rows, "lines": self.lines,
            "rejected": self.rejected.iter().map(|r| (r.row, r.line, r.reason.clone())).collect::<Vec<_>>(),
            "zero_ending": self.zero_ending,
            "stats": [self.stats.valid, self.stats.ending_in_zero],
            "per_key": self.per_key, "filters": self.filters,
        });
        let meta = serde_json::to_vec(&meta).expect("serializable");
        let mut out = self.records;
        out.extend_from_slice(&meta);
        out.extend_from_slice(&(meta.len() as u64).to_le_bytes());
        out
    }

    /// Reads [`PartOutput::into_bytes`]' form back, keeping `bytes`' buffer for the
    /// records (no copy).
    pub fn from_bytes(mut bytes: Vec<u8>) -> Result<PartOutput> {
        let bad = || Error::invalid("(bagian)", None, None, "bagian hasil pekerja rusak.");
        #[derive(Deserialize)]
        struct Meta {
            first: u64,
            next: u64,
            rows: u64,
            lines: u64,
            rejected: Vec<(u64, u64, String)>,
            zero_ending: Vec<(u32, u64, u64)>,
            stats: (u64, u64),
            per_key: Vec<u64>,
            filters: u64,
        }
        let tail = bytes.len().checked_sub(8).ok_or_else(bad)?;
        let len = u64::from_le_bytes(bytes[tail..].try_into().expect("8 bytes"));
        let records = usize::try_from(len)
            .ok()
            .and_then(|l| tail.checked_sub(l))
            .ok_or_else(bad)?;
        let m: Meta = serde_json::from_slice(&bytes[records..tail]).map_err(|_| bad())?;
        bytes.truncate(records);
        Ok(PartOutput {
            first: m.first,
            next: m.next,
            rows: m.rows,
            lines: m.lines,
            records: bytes,
            rejected: m
                .rejected
                .into_iter()
                .map(|(row, line, reason)| Rejected { row, line, reason })
                .collect(),
            zero_ending: m.zero_ending,
            stats: NikColumnStats {
                valid: m.stats.0,
                ending_in_zero: m.stats.1,
            },
            per_key: m.per_key,
            filters: m.filters,
        })
    }
}

/// Turns a list into a token file, in one part or several.
///
/// A list can be cut into parts at nominal byte offsets ([`Tokenizer::part_starts`]) and
/// each part read by its own thread or Web Worker ([`Tokenizer::run_part`]): a part after
/// the first starts right after the first line break at or after its nominal offset, and
/// every part reads the records that start at or before the next part's nominal offset.
/// [`Tokenizer::finish`] checks that the parts meet exactly; they do not when a quoted
/// line break straddles a cut, and the caller then runs the whole list as one part, which
/// is always right. Record references depend on the record's byte offset and content, not
/// on how the list was cut, so the token file is the same either way.
pub struct Tokenizer<'a> {
    ctx: &'a Context<'a>,
    party: String,
    kcv: String,
    digest: [u8; 32],
    keys: Vec<TokenKey>,
    ref_key: RefKey,
    normalizer: Normalizer,
    avail: Vec<std::result::Result<(), String>>,
    has_nik_col: bool,
    nik_keys: u8,
    /// The fields of each match key, resolved from their names once.
    key_fields: Vec<Vec<KeyField>>,
    rec_size: usize,
    /// The fuzzy part's encoder (cloned per part), when the workflow enables it.
    fuzzy: Option<crate::fuzzy::record::OfficeEncoder>,
    file_name: String,
    dialect: crate::table::Dialect,
    header: Vec<String>,
    decode: Vec<usize>,
    /// Offset of the first data record.
    data_start: u64,
    /// Lines before the first data record (the header's).
    header_lines: u64,
}

impl<'a> Tokenizer<'a> {
    /// Reads the header from `head` (the first [`SNIFF_BYTES`] of the file, or all of it).
    pub fn new(
        ctx: &'a Context<'a>,
        secret: &Secret,
        party: &str,
        head: &[u8],
        file_name: &str,
        opts: &InputOptions,
    ) -> Result<Tokenizer<'a>> {
        let wf = ctx.workflow;
        wf.check_valid_on(ctx.today, ctx.workflow_file)?;
        wf.require_data_party(party, ctx.workflow_file)?;
        let head = &head[..head.len().min(SNIFF_BYTES)];
        let dialect = dialect_for(head, opts, file_name)?;
        let mut reader = TableReader::new(head, file_name, dialect)?;
        let data_start = reader.next_offset();
        let header_lines = reader.lines_read();
        let header = std::mem::take(&mut reader.header);
        let mapping = crate::columns::Mapping::build(&header, &opts.columns, file_name)?;
        let normalizer = Normalizer::new(mapping, header.len(), ctx.today.year);
        let avail = key_availability(wf, &normalizer);
        // Sex and desa feed only the check report's cross-checks, unless a match key or
        // the fuzzy part uses them.
        let uses = |name: &str| {
            wf.match_keys
                .iter()
                .any(|k| k.fields.iter().any(|f| f == name))
                || wf.fuzzy.as_ref().is_some_and(|c| c.uses(name))
        };
        let normalizer = normalizer.for_tokens(|f| match f {
            Field::Sex => uses("sex"),
            Field::Desa => uses("desa"),
            _ => true,
        });
        if avail.iter().all(|a| a.is_err()) {
            let missing: Vec<String> = avail.iter().filter_map(|a| a.clone().err()).collect();
            return Err(Error::invalid(
                file_name,
                Some(1),
                missing.first().map(String::as_str),
                format!(
                    "tidak satu pun kunci pencocokan dapat dibuat: kolom wajib tidak ditemukan ({}). Judul yang ada: {}.{}",
                    missing.join(", "),
                    header.join(" | "),
                    if header.len() == 1 { " Hanya satu kolom terbaca: pemisah (delimiter) mungkin salah." } else { "" }
                ),
            ));
        }
        let digest = wf.digest();
        let nk = wf.match_keys.len();
        Ok(Tokenizer {
            ctx,
            party: party.to_string(),
            kcv: secret.kcv(),
            digest,
            keys: wf
                .match_keys
                .iter()
                .map(|k| secret.token_key(&digest, &k.name))
                .collect(),
            ref_key: secret.ref_key(&digest, party),
            has_nik_col: normalizer.mapping.get(Field::Nik).is_some(),
            decode: normalizer.columns_read(),
            normalizer,
            avail,
            nik_keys: wf.nik_key_mask(),
            // A valid workflow names only KEY_FIELDS; another name could never be filled.
            key_fields: wf
                .match_keys
                .iter()
                .map(|k| k.fields.iter().filter_map(|f| KeyField::of(f)).collect())
                .collect(),
            rec_size: TOKEN_LEN
                + 1
                + TOKEN_LEN * nk
                + wf.fuzzy
                    .as_ref()
                    .map_or(0, |c| crate::fuzzy::record::Layout::of(c).size()),
            fuzzy: wf
                .fuzzy
                .as_ref()
                .map(|c| crate::fuzzy::record::OfficeEncoder::new(c, secret, &digest)),
            file_name: file_name.to_string(),
            dialect,
            header,
            data_start,
            header_lines,
        })
    }

    /// Offset of the first data record (the first part's start).
    pub fn data_start(&self) -> u64 {
        self.data_start
    }

    /// Nominal start offsets to cut a file of `file_len` bytes into parts for `workers`
    /// threads (or helper workers) that take the parts from a queue, one after another
    /// (guided self-scheduling). Each part is a `1 / (2 * workers)` share of the bytes not
    /// yet given out, and at least [`MIN_PART`], so the parts shrink towards the end: a
    /// worker that runs slower than the others (the cores of a small virtual machine
    /// seldom run at one speed) holds up the end of the run by a small part at most. The
    /// first part starts where the data starts; one worker, or a small file, gets one part.
    pub fn part_starts(&self, file_len: u64, workers: usize) -> Vec<u64> {
        let end = file_len.max(self.data_start);
        let share = 2 * workers.max(1) as u64;
        let mut starts = vec![self.data_start];
        let mut at = self.data_start;
        loop {
            let left = end - at;
            let len = (left / share).max(MIN_PART);
            if workers < 2 || left < len + MIN_PART {
                return starts; // the rest stays in the last part
            }
            at += len;
            starts.push(at);
        }
    }

    /// Tokenizes one part. `input` yields the file from byte `start` (a value returned by
    /// [`Tokenizer::part_starts`]) to its end; `next_start` is the next part's nominal
    /// start (`None` for the last part).
    pub fn run_part<R: Read>(
        &self,
        start: u64,
        input: R,
        next_start: Option<u64>,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<PartOutput> {
        let mut input = input;
        let first = if start <= self.data_start {
            // The first part: skip the header.
            let mut skip = (&mut input).take(self.data_start - start);
            std::io::copy(&mut skip, &mut std::io::sink())
                .map_err(|e| Error::io(&self.file_name, e))?;
            self.data_start
        } else {
            // Later parts start after the first line break at or after `start`.
            let mut skipped = 0u64;
            let mut b = [0u8; 1];
            loop {
                match input.read(&mut b) {
                    Ok(0) => break,
                    Ok(_) => {
                        skipped += 1;
                        if b[0] == b'\n' {
                            break;
                        }
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(Error::io(&self.file_name, e)),
                }
            }
            start + skipped
        };
        let base_line = if first == self.data_start {
            self.header_lines
        } else {
            0
        };
        let mut reader = TableReader::new_part(
            input,
            &self.file_name,
            self.dialect,
            self.header.clone(),
            first,
            base_line,
        );
        reader.decode_only(&self.decode);
        let mut normalizer = self.normalizer.clone();
        let mut fuzzy = self.fuzzy.clone();
        let wf = self.ctx.workflow;
        let rec_size = self.rec_size;
        let mut out = PartOutput {
            first,
            per_key: vec![0; wf.match_keys.len()],
            ..Default::default()
        };
        let mut next = None;
        // References and tokens are queued and computed a batch of rows at a time.
        let mut hashes = RowHashes::new(&self.ref_key, &self.keys);
        // A later part meets the one before it at its first record's own start (blank lines
        // may come before it), and counts its lines from that record's line.
        let later = first != self.data_start;
        let (mut seen, mut line_shift) = (false, 0);
        // One normalized row, refilled for every row (its name's strings are reused).
        let mut n = NormalRow::default();
        while let Some(row) = reader.next_row()? {
            if !seen {
                seen = true;
                if later {
                    out.first = row.offset;
                    line_shift = row.line - 1;
                }
            }
            let line = row.line - line_shift;
            if let Some(limit) = next_start {
                if row.offset > limit {
                    next = Some(row.offset);
                    out.lines = line - base_line - 1;
                    break;
                }
            }
            out.rows += 1;
            let local_row = out.rows;
            normalizer.normalize_into(row.fields, &mut n);
            out.stats.add(&n);
            let buf = &mut out.records;
            let at = buf.len();
            // The reference, written by `hashes` (below, when the row is kept).
            buf.extend_from_slice(&[0u8; TOKEN_LEN]);
            buf.push(0);
            let mut mask = 0u8;
            let ragged = n.issues.contains(&RowIssue::Ragged);
            // A key has at most one value per field (workflow::KEY_FIELDS).
            let mut values = [KeyValue::default(); crate::workflow::KEY_FIELDS.len()];
            for (i, (k, fields)) in wf.match_keys.iter().zip(&self.key_fields).enumerate() {
                let complete = !ragged
                    && fields.len() == k.fields.len()
                    && fields
                        .iter()
                        .enumerate()
                        .all(|(j, &f)| match n.field_value(f) {
                            Some(v) => {
                                values[j] = v;
                                true
                            }
                            None => false,
                        });
                if complete {
                    mask |= 1 << i;
                    out.per_key[i] += 1;
                    hashes.token(buf.len(), i, &values[..fields.len()]);
                    buf.extend_from_slice(&[0u8; TOKEN_LEN]);
                } else {
                    buf.extend_from_slice(&[0u8; TOKEN_LEN]);
                }
            }
            if mask == 0 {
                buf.truncate(at);
                out.rejected.push(Rejected {
                    row: local_row,
                    line,
                    reason: reject_reason(&n, self.has_nik_col),
                });
            } else {
                hashes.reference(at, row.offset, row.raw.iter());
                buf[at + TOKEN_LEN] = mask;
                if let Some(f) = &mut fuzzy {
                    let exact = buf.len();
                    f.append(&n, buf);
                    out.filters += u64::from(buf[exact] & 1);
                }
                if n.nik.as_ref().is_some_and(|x| x.nik.ends_with('0')) {
                    out.zero_ending
                        .push(((buf.len() / rec_size - 1) as u32, local_row, line));
                }
            }
            if hashes.queued_rows() >= HASH_BATCH_ROWS {
                hashes.flush(&mut out.records);
            }
            if local_row.is_multiple_of(8192) {
                progress(Progress {
                    rows: local_row,
                    bytes: reader.next_offset(),
                });
            }
        }
        hashes.flush(&mut out.records);
        match next {
            Some(n) => out.next = n,
            None => {
                out.next = reader.next_offset();
                out.lines = reader.lines_read() - line_shift;
            }
        }
        if later && !seen {
            out.first = out.next;
        }
        // The memos of the normalizer go before the sort needs its memory.
        drop((reader, normalizer, fuzzy, hashes));
        // Reference order already here, where parts run side by side: `finish` then only
        // merges the sorted parts.
        out.sort_by_reference(rec_size);
        progress(Progress {
            rows: out.rows,
            bytes: out.next,
        });
        Ok(out)
    }

    /// Merges the parts (in order) and writes the token file. Fails with
    /// [`Error::PartsMismatch`] when the parts do not meet exactly: run one part instead.
    /// `input_sha256` is the digest of the whole input for the receipt, when known.
    pub fn finish<W: Write>(
        &self,
        parts: Vec<PartOutput>,
        input_sha256: Option<String>,
        out: W,
    ) -> Result<TokenizeSummary> {
        self.finish_with(parts, input_sha256, out, &crate::par::Serial)
    }

    /// [`Tokenizer::finish`] on the cores `par` lends: merging, hashing and writing run
    /// side by side, each on the chunks the one before it passed on. The file is the same
    /// byte for byte.
    pub fn finish_with<W: Write>(
        &self,
        parts: Vec<PartOutput>,
        input_sha256: Option<String>,
        out: W,
        par: &dyn crate::par::Parallel,
    ) -> Result<TokenizeSummary> {
        self.finish_in(parts, input_sha256, out, par, 4 << 20, true)
    }

    /// [`Tokenizer::finish`] without the checksum: writes the token file up to its last
    /// 32 bytes, which the caller must append, the SHA-256 of everything written (a file
    /// without them is refused by every reader). The browser computes it with WebCrypto,
    /// several times faster than SHA-256 in WebAssembly, instead of hashing here.
    pub fn finish_unsealed<W: Write>(
        &self,
        parts: Vec<PartOutput>,
        input_sha256: Option<String>,
        out: W,
    ) -> Result<TokenizeSummary> {
        self.finish_in(
            parts,
            input_sha256,
            out,
            &crate::par::Serial,
            4 << 20,
            false,
        )
    }

    /// [`Tokenizer::finish_with`], merging chunks of about `chunk_bytes`; with `seal`
    /// false, without the checksum ([`Tokenizer::finish_unsealed`]).
    fn finish_in<W: Write>(
        &self,
        mut parts: Vec<PartOutput>,
        input_sha256: Option<String>,
        mut out: W,
        par: &dyn crate::par::Parallel,
        chunk_bytes: usize,
        seal: bool,
    ) -> Result<TokenizeSummary> {
        let wf = self.ctx.workflow;
        let (rec_size, nk) = (self.rec_size, wf.match_keys.len());
        let meet = parts.windows(2).all(|w| w[0].next == w[1].first);
        if !meet || parts.iter().any(|p| p.per_key.len() != nk) {
            return Err(Error::PartsMismatch);
        }
        let mut rejected = Vec::new();
        let mut stats = NikColumnStats::default();
        let (mut rows_before, mut lines_before) = (0u64, self.header_lines);
        // (part, record index in the part, global row, global line) of NIKs ending in 0.
        let mut zero_ending = Vec::new();
        for (idx, p) in parts.iter_mut().enumerate() {
            // The first part's lines are absolute already.
            let line_add = if idx == 0 { 0 } else { lines_before };
            rejected.extend(
                std::mem::take(&mut p.rejected)
                    .into_iter()
                    .map(|r| Rejected {
                        row: r.row + rows_before,
                        line: r.line + line_add,
                        reason: r.reason,
                    }),
            );
            zero_ending.extend(
                std::mem::take(&mut p.zero_ending)
                    .into_iter()
                    .map(|(i, r, l)| (idx, i, r + rows_before, l + line_add)),
            );
            stats.valid += p.stats.valid;
            stats.ending_in_zero += p.stats.ending_in_zero;
            rows_before += p.rows;
            lines_before += p.lines;
        }
        let rows_in = rows_before;
        if rows_in == 0 {
            return Err(Error::invalid(
                &self.file_name,
                Some(2),
                None,
                "hanya ada baris judul; tidak ada baris data.",
            ));
        }
        let damaged = self.has_nik_col && stats.damaged();
        // Records and tokens per key, as the parts counted them; a damaged NIK column takes
        // its tokens (and the records left without any) off below.
        let exact = TOKEN_LEN + 1 + nk * TOKEN_LEN;
        let has_fuzzy = self.fuzzy.is_some();
        let mut records = parts
            .iter()
            .map(|p| (p.records.len() / rec_size) as u64)
            .sum::<u64>();
        let mut per_key = vec![0u64; nk];
        let mut filters = 0u64;
        for p in &parts {
            for (a, b) in per_key.iter_mut().zip(&p.per_key) {
                *a += b;
            }
            filters += p.filters;
        }
        let mut dropped: Vec<Vec<bool>> = parts
            .iter()
            .map(|p| vec![false; p.records.len() / rec_size])
            .collect();
        if damaged {
            for &(part, idx, row, line) in &zero_ending {
                let rec = &mut parts[part].records
                    [idx as usize * rec_size..(idx as usize + 1) * rec_size];
                for (i, c) in per_key.iter_mut().enumerate() {
                    if self.nik_keys & rec[TOKEN_LEN] & (1 << i) != 0 {
                        *c -= 1;
                    }
                }
                rec[TOKEN_LEN] &= !self.nik_keys;
                for i in 0..nk {
                    if self.nik_keys & (1 << i) != 0 {
                        rec[TOKEN_LEN + 1 + i * TOKEN_LEN..TOKEN_LEN + 1 + (i + 1) * TOKEN_LEN]
                            .fill(0);
                    }
                }
                if let Some(l) = self.fuzzy.as_ref().map(|f| f.layout()) {
                    l.clear_typo(&mut rec[exact..]);
                }
                if rec[TOKEN_LEN] == 0 {
                    dropped[part][idx as usize] = true;
                    records -= 1;
                    if has_fuzzy {
                        filters -= u64::from(rec[exact] & 1);
                    }
                    rejected.push(Rejected {
                        row,
                        line,
                        reason: "nik_column_damage".into(),
                    });
                }
            }
            rejected.sort_by_key(|r| r.row);
        }
        let tokens_per_key: BTreeMap<String, u64> = wf
            .match_keys
            .iter()
            .zip(&per_key)
            .map(|(k, c)| (k.name.clone(), *c))
            .collect();
        let fuzzy = self.fuzzy.as_ref().map(|f| {
            let l = f.layout();
            FuzzyHeader {
                bits: crate::fuzzy::bloom::BITS as u32,
                blocks: l.blocks as u32,
                typo: l.typo,
                filters,
            }
        });
        let format = if fuzzy.is_some() {
            FORMAT_FUZZY
        } else {
            FORMAT
        };
        let header = TokenHeader {
            format: format.into(),
            workflow_id: wf.id.clone(),
            workflow_digest: hex::encode(self.digest),
            party: self.party.clone(),
            kcv: self.kcv.clone(),
            match_keys: wf.match_keys.iter().map(|k| k.name.clone()).collect(),
            records,
            tokens: tokens_per_key.clone(),
            fuzzy,
            created_by: format!("padan {}", crate::VERSION),
        };
        let mut hasher = Sha256::new();
        let mut head = format!("{format}\n").into_bytes();
        head.extend_from_slice(&serde_json::to_vec(&header).expect("serializable"));
        head.push(b'\n');
        let io = |e| Error::io("(berkas token)", e);
        if seal {
            hasher.update(&head);
        }
        out.write_all(&head).map_err(io)?;
        // Each part is in reference order: one merge of the parts gives the file's order,
        // in chunks of 4 MiB (a `BufWriter` of up to that size passes them on without a
        // copy).
        let chunk_len = rec_size * chunk_bytes.div_ceil(rec_size).max(1);
        if par.width() > 1 {
            // Four stages on threads of their own, passing chunks along: two that merge,
            // one that hashes, one that writes; written chunks go back to the merging
            // ones. The merge, the longest stage, is split by reference: chunk `j` holds
            // the records whose references fall in the `j`-th of `ranges` equal ranges of
            // values (uniformly random, so about `chunk_len` bytes each), and the two
            // merging threads take the chunks in turn. The hashing stage puts them back in
            // order. At most `CHUNKS + 2` chunks exist at once.
            use std::sync::atomic::{AtomicUsize, Ordering};
            use std::sync::mpsc::sync_channel;
            use std::sync::Mutex;
            let total: usize = parts.iter().map(|p| p.records.len()).sum();
            let ranges = total
                .div_ceil(chunk_len)
                .clamp(2, MAX_RANGES)
                .next_power_of_two();
            let bounds = range_bounds(&parts, rec_size, ranges);
            let pool = CHUNKS + 2;
            let (merged_tx, merged_rx) = sync_channel::<(usize, Vec<u8>)>(pool);
            let (hashed_tx, hashed_rx) = sync_channel::<Vec<u8>>(pool);
            let (empty_tx, empty_rx) = sync_channel::<Vec<u8>>(pool);
            for _ in 0..pool {
                empty_tx.send(Vec::new()).expect("room for the pool");
            }
            let empty_rx = Mutex::new(empty_rx);
            let next = AtomicUsize::new(0);
            let (parts, dropped) = (&parts, &dropped);
            let merging = |merged_tx: std::sync::mpsc::SyncSender<(usize, Vec<u8>)>| {
                let (empty_rx, next, bounds) = (&empty_rx, &next, &bounds);
                move || loop {
                    // A chunk first, then its range: ranges are taken in order, so the one
                    // the hashing stage waits for always has its chunk.
                    let got = empty_rx.lock().unwrap_or_else(|e| e.into_inner()).recv();
                    let Ok(mut chunk) = got else {
                        // A later stage stopped (a write failed): no use going on.
                        return;
                    };
                    let j = next.fetch_add(1, Ordering::SeqCst);
                    if j >= ranges {
                        return;
                    }
                    chunk.clear();
                    Merge::range(parts, dropped, rec_size, &bounds[j], &bounds[j + 1])
                        .fill(&mut chunk, usize::MAX);
                    if merged_tx.send((j, chunk)).is_err() {
                        return;
                    }
                }
            };
            let (first, second) = (merging(merged_tx.clone()), merging(merged_tx));
            let hasher = &mut hasher;
            let mut hashing = Some(move || {
                // Chunks that came before their turn, by range.
                let mut early: BTreeMap<usize, Vec<u8>> = BTreeMap::new();
                let mut want = 0;
                for (j, chunk) in merged_rx {
                    early.insert(j, chunk);
                    while let Some(chunk) = early.remove(&want) {
                        want += 1;
                        if seal {
                            hasher.update(&chunk);
                        }
                        if hashed_tx.send(chunk).is_err() {
                            return;
                        }
                    }
                }
            });
            let mut written = Ok(());
            let mut ends = Some((hashed_rx, empty_tx));
            let mut writing = || {
                // Taken, so that they are dropped when this returns: after a failed write
                // that stops the other stages at once, wherever they wait.
                let Some((hashed_rx, empty_tx)) = ends.take() else {
                    return;
                };
                for chunk in hashed_rx {
                    written = out.write_all(&chunk);
                    if written.is_err() {
                        return;
                    }
                    let _ = empty_tx.send(chunk);
                }
            };
            // `join` runs both sides at the same time when `par` is wider than one.
            let mut second = Some(second);
            par.join(Box::new(first), &mut || {
                if let Some(m) = second.take() {
                    par.join(Box::new(m), &mut || {
                        if let Some(h) = hashing.take() {
                            par.join(Box::new(h), &mut writing);
                        }
                    });
                }
            });
            written.map_err(io)?;
        } else {
            let mut merge = Merge::new(&parts, &dropped, rec_size);
            let mut chunk = Vec::with_capacity(chunk_len);
            loop {
                chunk.clear();
                merge.fill(&mut chunk, chunk_len);
                if chunk.is_empty() {
                    break;
                }
                if seal {
                    hasher.update(&chunk);
                }
                out.write_all(&chunk).map_err(io)?;
            }
        }
        let token_sha256 = if seal {
            // The whole file is everything written, then the checksum itself.
            let mut whole = hasher.clone();
            let sum = hasher.finalize();
            whole.update(sum);
            out.write_all(&sum).map_err(io)?;
            Some(hex::encode(whole.finalize()))
        } else {
            None
        };
        out.flush().map_err(io)?;

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
        Ok(TokenizeSummary {
            format: "padan-receipt/1",
            input_file: self.file_name.clone(),
            input_sha256: input_sha256.unwrap_or_default(),
            token_file: format!("{}.tokens", self.party),
            workflow_id: wf.id.clone(),
            workflow_digest: hex::encode(self.digest),
            party: self.party.clone(),
            kcv: self.kcv.clone(),
            rows_in,
            rows_tokenized: records,
            rows_rejected: rejected.len() as u64,
            rejected_by_reason: by_reason,
            rejected,
            tokens_per_key,
            keys_unavailable: wf
                .match_keys
                .iter()
                .zip(&self.avail)
                .filter_map(|(k, a)| a.clone().err().map(|f| (k.name.clone(), f)))
                .collect(),
            nik_column_damaged: damaged,
            token_sha256,
            created_by: format!("padan {}", crate::VERSION),
        })
    }
}

/// `finish_in` splits the merge in at most this many ranges of references.
const MAX_RANGES: usize = 1 << 12;

/// The reference of record `i` of the `rec_size`-byte `records`, as a number (numeric
/// order is byte order).
fn reference_at(records: &[u8], rec_size: usize, i: usize) -> u128 {
    let at = i * rec_size;
    u128::from_be_bytes(records[at..at + TOKEN_LEN].try_into().expect("16"))
}

/// For `ranges` (a power of two) equal ranges of reference values: `bounds[j][p]` is the
/// first record of part `p` (sorted by reference) whose reference is in range `j` or
/// later; `bounds[ranges][p]` is the part's end. Range `j` of part `p` is
/// `bounds[j][p]..bounds[j + 1][p]`.
fn range_bounds(parts: &[PartOutput], rec_size: usize, ranges: usize) -> Vec<Vec<usize>> {
    debug_assert!(ranges.is_power_of_two());
    let bits = ranges.trailing_zeros();
    (0..=ranges)
        .map(|j| {
            parts
                .iter()
                .map(|part| {
                    let n = part.records.len() / rec_size;
                    if j == ranges {
                        return n;
                    }
                    // The range's first value (`bits` >= 1: two ranges at least).
                    let low = (j as u128) << (128 - bits);
                    partition_point(n, |i| reference_at(&part.records, rec_size, i) < low)
                })
                .collect()
        })
        .collect()
}

/// The first `i` in `0..n` for which `before(i)` is false (`before` is true, then false).
fn partition_point(n: usize, before: impl Fn(usize) -> bool) -> usize {
    let (mut lo, mut hi) = (0, n);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if before(mid) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo
}

/// The k-way merge of sorted parts in [`Tokenizer::finish_with`], a chunk at a time.
///
/// A tournament of losers: `tree[n]` (n >= 1) holds the part that lost the match at node
/// `n` of a complete binary tree whose leaves are the parts (padded with empty ones), and
/// `tree[0]` the overall winner, the part whose next record comes next. Taking a record
/// replays only the matches on the winner's path: one comparison per level.
struct Merge<'p> {
    parts: &'p [PartOutput],
    dropped: &'p [Vec<bool>],
    rec_size: usize,
    /// Next kept record of each part.
    at: Vec<usize>,
    /// Where each part's records to merge end.
    end: Vec<usize>,
    /// Per leaf: the reference of that record, or `None` when the part has no more (every
    /// padding leaf too).
    head: Vec<Option<u128>>,
    tree: Vec<usize>,
}

impl<'p> Merge<'p> {
    fn new(parts: &'p [PartOutput], dropped: &'p [Vec<bool>], rec_size: usize) -> Merge<'p> {
        let ends: Vec<usize> = parts.iter().map(|p| p.records.len() / rec_size).collect();
        Merge::range(parts, dropped, rec_size, &vec![0; parts.len()], &ends)
    }

    /// The merge of records `from[p]..to[p]` of each part `p`.
    fn range(
        parts: &'p [PartOutput],
        dropped: &'p [Vec<bool>],
        rec_size: usize,
        from: &[usize],
        to: &[usize],
    ) -> Merge<'p> {
        let leaves = parts.len().next_power_of_two();
        let mut m = Merge {
            parts,
            dropped,
            rec_size,
            at: vec![0; parts.len()],
            end: to.to_vec(),
            head: vec![None; leaves],
            tree: vec![0; leaves],
        };
        for (p, &i) in from.iter().enumerate() {
            m.advance(p, i);
        }
        // The winners of the subtrees, bottom up; each match leaves its loser at its node.
        let mut winner = vec![0; 2 * leaves];
        for (leaf, w) in winner[leaves..].iter_mut().enumerate() {
            *w = leaf;
        }
        for n in (1..leaves).rev() {
            let (a, b) = (winner[2 * n], winner[2 * n + 1]);
            let (win, lose) = if m.before(b, a) { (b, a) } else { (a, b) };
            winner[n] = win;
            m.tree[n] = lose;
        }
        m.tree[0] = winner[1];
        m
    }

    /// Whether leaf `a`'s next record comes before leaf `b`'s: the smaller reference, the
    /// earlier part on equal references, an empty leaf never.
    #[inline]
    fn before(&self, a: usize, b: usize) -> bool {
        match (self.head[a], self.head[b]) {
            (Some(x), Some(y)) => (x, a) < (y, b),
            (Some(_), None) => true,
            (None, _) => false,
        }
    }

    /// Moves part `p` to its first kept record at or after `i`.
    fn advance(&mut self, p: usize, mut i: usize) {
        while i < self.end[p] && self.dropped[p][i] {
            i += 1;
        }
        self.at[p] = i;
        self.head[p] =
            (i < self.end[p]).then(|| reference_at(&self.parts[p].records, self.rec_size, i));
    }

    /// Appends records in reference order (the earlier part first on equal references)
    /// until `chunk` holds at least `len` bytes or all are merged.
    fn fill(&mut self, chunk: &mut Vec<u8>, len: usize) {
        let leaves = self.head.len();
        while chunk.len() < len {
            let p = self.tree[0];
            if self.head[p].is_none() {
                return;
            }
            let at = self.at[p] * self.rec_size;
            chunk.extend_from_slice(&self.parts[p].records[at..at + self.rec_size]);
            self.advance(p, self.at[p] + 1);
            // Replay the winner's path: at each node the loser stays, the winner goes up.
            let mut win = p;
            let mut n = (leaves + p) / 2;
            while n >= 1 {
                if self.before(self.tree[n], win) {
                    std::mem::swap(&mut self.tree[n], &mut win);
                }
                n /= 2;
            }
            self.tree[0] = win;
        }
    }
}

/// Makes the token file of one office list, as one part. Streams the input; keeps only the
/// compact records (16 bytes per token plus 17 per row) to write them in reference order.
/// Nothing is written to `out` unless the whole input was read without error.
#[allow(clippy::too_many_arguments)]
pub fn tokenize<R: Read, W: Write>(
    ctx: &Context,
    secret: &Secret,
    party: &str,
    input: R,
    file_name: &str,
    opts: &InputOptions,
    out: W,
    progress: &mut dyn FnMut(Progress),
) -> Result<TokenizeSummary> {
    let mut input = HashingReader {
        inner: input,
        hasher: Sha256::new(),
    };
    let mut head = Vec::with_capacity(SNIFF_BYTES);
    (&mut input)
        .take(SNIFF_BYTES as u64)
        .read_to_end(&mut head)
        .map_err(|e| Error::io(file_name, e))?;
    let t = Tokenizer::new(ctx, secret, party, &head, file_name, opts)?;
    let chained = std::io::Cursor::new(head).chain(&mut input);
    let part = t.run_part(0, chained, None, progress)?;
    let mut rest = [0u8; 8192];
    while input.read(&mut rest).map_err(|e| Error::io(file_name, e))? > 0 {}
    let digest = hex::encode(input.hasher.clone().finalize());
    t.finish(vec![part], Some(digest), out)
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A writer that takes this many bytes, then fails.
    struct FailsAfter(usize);
    impl Write for FailsAfter {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            if b.len() > self.0 {
                return Err(std::io::Error::other("disk full"));
            }
            self.0 -= b.len();
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// The merge gives the records of every part in (reference, part) order, skipping
    /// dropped ones, for any number of parts (padding leaves included), with equal
    /// references across parts and parts that run out early or hold nothing; so do the
    /// merges of the ranges of `range_bounds` one after the other, with references on
    /// and next to the ranges' bounds.
    #[test]
    fn merge_is_the_order_of_sorted_records() {
        let rec_size = TOKEN_LEN + 2;
        let mut rng = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng
        };
        for k in [1usize, 2, 3, 5, 8, 17] {
            let mut parts = Vec::new();
            let mut dropped = Vec::new();
            let mut want = Vec::new();
            for p in 0..k {
                let n = (next() % 40) as usize * usize::from(p % 4 != 3);
                // Few distinct references, so that parts share some, among them the
                // largest possible.
                let mut refs: Vec<u128> = (0..n)
                    .map(|_| match next() % 50 {
                        49 => u128::MAX,
                        48 => 1 << 127,
                        47 => (1 << 127) - 1,
                        46 => 3 << 126,
                        45 => (1 << 126) + 1,
                        r => r as u128,
                    })
                    .collect();
                refs.sort_unstable();
                let mut records = Vec::new();
                let mut d = Vec::new();
                for (i, r) in refs.iter().enumerate() {
                    records.extend_from_slice(&r.to_be_bytes());
                    records.extend_from_slice(&[p as u8, i as u8]);
                    let gone = next() % 5 == 0;
                    d.push(gone);
                    if !gone {
                        want.push((*r, p, i));
                    }
                }
                parts.push(PartOutput {
                    records,
                    ..Default::default()
                });
                dropped.push(d);
            }
            want.sort_unstable();
            let want: Vec<u8> = want
                .iter()
                .flat_map(|&(r, p, i)| {
                    let mut rec = r.to_be_bytes().to_vec();
                    rec.extend_from_slice(&[p as u8, i as u8]);
                    rec
                })
                .collect();
            for chunk in [rec_size, 3 * rec_size, 1 << 20] {
                let mut m = Merge::new(&parts, &dropped, rec_size);
                let (mut got, mut buf) = (Vec::new(), Vec::new());
                loop {
                    buf.clear();
                    m.fill(&mut buf, chunk);
                    if buf.is_empty() {
                        break;
                    }
                    got.extend_from_slice(&buf);
                }
                assert!(got == want, "{k} parts, chunks of {chunk}");
            }
            for ranges in [2usize, 4, 64] {
                let bounds = range_bounds(&parts, rec_size, ranges);
                let mut got = Vec::new();
                for j in 0..ranges {
                    Merge::range(&parts, &dropped, rec_size, &bounds[j], &bounds[j + 1])
                        .fill(&mut got, usize::MAX);
                }
                assert!(got == want, "{k} parts, {ranges} ranges");
            }
        }
    }

    #[test]
    fn reference_order_is_the_order_of_sorted_pairs() {
        let rec_size = 20;
        for n in [0usize, 1, 2, 17, 300, 5000] {
            let mut state = n as u64 + 1;
            let mut next = || {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                (state >> 24) as u8
            };
            let mut records = vec![0u8; n * rec_size];
            for r in records.chunks_exact_mut(rec_size) {
                r.iter_mut().for_each(|b| *b = next());
            }
            // Equal references, and references equal in their top 64 bits only.
            if n >= 300 {
                let (a, b) = records.split_at_mut(10 * rec_size);
                b[..TOKEN_LEN].copy_from_slice(&a[..TOKEN_LEN]);
                b[rec_size..rec_size + 8].copy_from_slice(&a[rec_size..rec_size + 8]);
                b[2 * rec_size..2 * rec_size + TOKEN_LEN].fill(0);
                b[3 * rec_size..3 * rec_size + TOKEN_LEN].fill(0);
                b[4 * rec_size..4 * rec_size + TOKEN_LEN].fill(0xFF);
            }
            let mut pairs: Vec<(u128, u32)> = records
                .chunks_exact(rec_size)
                .enumerate()
                .map(|(i, c)| (u128::from_be_bytes(c[..16].try_into().unwrap()), i as u32))
                .collect();
            pairs.sort_unstable();
            let want: Vec<u32> = pairs.into_iter().map(|(_, i)| i).collect();
            assert_eq!(reference_order(&records, rec_size), want, "n = {n}");
        }
    }

    /// A part handed from one Web Worker to another comes back whole; damaged bytes are an
    /// error, not a panic.
    #[test]
    fn part_bytes_round_trip() {
        let part = PartOutput {
            first: 19,
            next: 4096,
            rows: 3,
            lines: 4,
            records: (0..=255u8).cycle().take(3 * 66).collect(),
            rejected: vec![Rejected {
                row: 2,
                line: 3,
                reason: "nik_missing".into(),
            }],
            zero_ending: vec![(1, 3, 4)],
            stats: NikColumnStats {
                valid: 2,
                ending_in_zero: 1,
            },
            per_key: vec![3, 1, 2],
            filters: 2,
        };
        let bytes = part.clone().into_bytes();
        let back = PartOutput::from_bytes(bytes.clone()).unwrap();
        assert_eq!(format!("{back:?}"), format!("{part:?}"));
        let empty = PartOutput::default();
        let back = PartOutput::from_bytes(empty.clone().into_bytes()).unwrap();
        assert_eq!(format!("{back:?}"), format!("{empty:?}"));
        for cut in [0, 7, 8, bytes.len() - 1] {
            assert!(
                PartOutput::from_bytes(bytes[..cut].to_vec()).is_err(),
                "{cut}"
            );
        }
        let mut long = bytes.clone();
        let n = long.len();
        long[n - 8..].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(PartOutput::from_bytes(long).is_err());
    }

    #[test]
    fn parts_shrink_towards_the_end_and_cover_the_data() {
        let wf = crate::workflow::demo_workflow(&[("dtks", "DTKS")], "2025-01-01", "2030-12-31");
        let ctx = crate::compare::test_support::context(&wf);
        let head = b"NIK,NAMA,TGL_LAHIR\n3209014505800003,SITI,05-05-1980\n";
        let t = Tokenizer::new(
            &ctx,
            &Secret::from_bytes([7; 32]),
            "dtks",
            head,
            "l.csv",
            &InputOptions::default(),
        )
        .unwrap();
        let data = t.data_start();
        assert_eq!(data, 19);
        // One worker, or too little data for two parts of MIN_PART: one part.
        assert_eq!(t.part_starts(200 << 20, 1), vec![data]);
        assert_eq!(t.part_starts(200 << 20, 0), vec![data]);
        assert_eq!(t.part_starts(data + 2 * MIN_PART - 1, 2), vec![data]);
        assert_eq!(t.part_starts(0, 4), vec![data]);
        assert_eq!(
            t.part_starts(data + 2 * MIN_PART, 2),
            vec![data, data + MIN_PART]
        );
        for (len, workers) in [
            (200u64 << 20, 2usize),
            (200 << 20, 4),
            (9 << 20, 2),
            (1 << 30, 3),
        ] {
            let starts = t.part_starts(len, workers);
            let sizes: Vec<u64> = starts
                .iter()
                .zip(starts.iter().skip(1).chain([&len]))
                .map(|(a, b)| b - a)
                .collect();
            let ctx = format!("{len} bytes, {workers} workers: {sizes:?}");
            assert_eq!(starts[0], data, "{ctx}");
            assert!(starts.len() > workers, "{ctx}");
            assert!(sizes.iter().all(|&s| s >= MIN_PART), "{ctx}");
            // Each part a 1/(2 workers) share of what is left: never more than half of
            // the rest for two workers, and shrinking, so the last parts are small.
            assert!(sizes[0] <= (len - data) / (2 * workers as u64) + 1, "{ctx}");
            assert!(
                sizes.windows(2).take(sizes.len() - 2).all(|w| w[1] <= w[0]),
                "{ctx}"
            );
            assert!(*sizes.last().unwrap() < 2 * MIN_PART, "{ctx}");
        }
    }

    /// Merging in chunks of a few records beside the hashing, on real threads, writes the
    /// bytes of the serial merge and of one pass over the whole list, from more parts than
    /// threads, some tiny (also with a damaged NIK column, whose rows are dropped in the
    /// middle of the parts, and with fuzzy parts). The header's counts, which the parts
    /// count as they go, are those of the records in the file.
    #[test]
    fn finish_in_small_chunks_on_threads_is_the_same_file() {
        let mut wf = crate::workflow::demo_workflow(
            &[("dtks", "DTKS"), ("dinkes", "Dinkes")],
            "2025-01-01",
            "2030-12-31",
        );
        let plain = wf.clone();
        wf.fuzzy = Some(crate::fuzzy::config::FuzzyConfig::recommended(&wf.fields));
        let fuzzy = wf;
        let secret = Secret::from_bytes([7; 32]);
        for (wf, damaged) in [
            (&plain, false),
            (&plain, true),
            (&fuzzy, false),
            (&fuzzy, true),
        ] {
            let ctx = crate::compare::test_support::context(wf);
            let mut data = b"NIK,NAMA,TGL_LAHIR\n".to_vec();
            for i in 0..600u32 {
                let serial = if damaged && i % 2 == 0 {
                    (i + 1) * 10
                } else {
                    i * 10 + 3
                };
                let name = if i % 3 == 0 { "" } else { "SITI AMINAH" };
                // Some rows with a name but a bad birth date (not replaced by the NIK's): a
                // damaged NIK leaves them only the fuzzy part's name filter, and they are
                // dropped with it.
                let born = if i % 5 == 1 {
                    "31-02-1980"
                } else {
                    "05-05-1980"
                };
                data.extend_from_slice(
                    format!("320901450580{:04},{name} {i},{born}\n", serial % 10000).as_bytes(),
                );
            }
            let opts = InputOptions::default();
            let t = Tokenizer::new(&ctx, &secret, "dtks", &data, "l.csv", &opts).unwrap();
            let starts = t.part_starts(data.len() as u64, 1);
            let len = data.len() as u64;
            // More parts than threads, some of them tiny, as the queue of parts gives them.
            let cuts = [
                starts[0],
                len / 9,
                len / 4,
                len / 4 + 40,
                len / 2 + 5,
                len * 5 / 6,
            ];
            let parts: Vec<PartOutput> = cuts
                .iter()
                .enumerate()
                .map(|(i, &st)| {
                    t.run_part(
                        st,
                        &data[st as usize..],
                        cuts.get(i + 1).copied(),
                        &mut |_| {},
                    )
                    .unwrap()
                })
                .collect();
            let mut serial = Vec::new();
            let sha256 = Some(hex::encode(Sha256::digest(&data)));
            let want = t
                .finish(parts.clone(), sha256.clone(), &mut serial)
                .unwrap();
            assert_eq!(want.nik_column_damaged, damaged);
            // The same file and receipt as one pass over the whole list.
            let mut one_pass = Vec::new();
            let whole = tokenize(
                &ctx,
                &secret,
                "dtks",
                &data[..],
                "l.csv",
                &opts,
                &mut one_pass,
                &mut |_| {},
            )
            .unwrap();
            assert!(one_pass == serial, "damaged {damaged}");
            let file = read_token_file(&serial, "dtks.tokens").unwrap();
            let h = &file.header;
            assert_eq!(h.records, file.records.len() as u64);
            for (k, key) in wf.match_keys.iter().enumerate() {
                let n = file
                    .records
                    .iter()
                    .filter(|r| r.tokens[k].is_some())
                    .count();
                assert_eq!(
                    h.tokens[&key.name], n as u64,
                    "{} damaged {damaged}",
                    key.name
                );
            }
            // The first byte of a fuzzy part is its mask; bit 0: a name filter.
            let filters = file
                .records
                .iter()
                .filter(|r| r.fuzzy.first().is_some_and(|m| m & 1 != 0))
                .count();
            assert_eq!(h.fuzzy.as_ref().map_or(0, |f| f.filters), filters as u64);
            assert_eq!(h.fuzzy.is_some(), wf.fuzzy.is_some());
            assert_eq!(
                serde_json::to_value(&whole).unwrap(),
                serde_json::to_value(&want).unwrap()
            );
            for chunk in [1, 100, 1000, 1 << 20] {
                let mut threaded = Vec::new();
                let got = t
                    .finish_in(
                        parts.clone(),
                        sha256.clone(),
                        &mut threaded,
                        &crate::par::TestThreads(2),
                        chunk,
                        true,
                    )
                    .unwrap();
                assert!(threaded == serial, "chunk {chunk}, damaged {damaged}");
                assert_eq!(
                    serde_json::to_value(&got).unwrap(),
                    serde_json::to_value(&want).unwrap()
                );
                // A writer that fails part way: the error comes back (the merging and
                // hashing threads stop, nothing hangs).
                let mut broken = FailsAfter(serial.len() / 2);
                let err = t
                    .finish_in(
                        parts.clone(),
                        None,
                        &mut broken,
                        &crate::par::TestThreads(2),
                        chunk,
                        true,
                    )
                    .unwrap_err();
                assert!(
                    matches!(&err, Error::Io { loc, .. } if loc.file == "(berkas token)"),
                    "chunk {chunk}: {err}"
                );
            }
        }
    }

    /// The token path reads sex and desa only when a match key (or the fuzzy part) uses
    /// them, and every value it does read is the one the check report's normalizer gives.
    #[test]
    fn the_token_path_reads_what_its_keys_use() {
        use crate::record::KeyField;
        let data = "NIK,NAMA,TGL_LAHIR,JENIS_KELAMIN,KECAMATAN,DESA,NO_KK\n\
            3209014505800003,Siti Aminah,05-05-1980,P,Sumber,Babakan,3209010101100001\n\
            3209011505800004,H. Ali bin Umar,,L,sumber,Babakan,\n\
            3209014505800005,Ali,05-05-1981,L,,Kaliwulu,\n\
            3209014505800006,,,X,Plered,,3209014505800006\n\
            ,Nur Hayati,1980-05-05,P,Plered,Kaliwulu,\n";
        let fields: Vec<Vec<String>> = data
            .lines()
            .skip(1)
            .map(|l| l.split(',').map(str::to_string).collect())
            .collect();
        let secret = Secret::from_bytes([7; 32]);
        let opts = InputOptions::default();
        let mut wf =
            crate::workflow::demo_workflow(&[("dtks", "DTKS")], "2025-01-01", "2030-12-31");
        for with_sex in [false, true] {
            if with_sex {
                wf.match_keys.push(crate::workflow::MatchKey {
                    name: "name_dob_sex".into(),
                    fields: vec!["name".into(), "birth_date".into(), "sex".into()],
                });
            }
            let ctx = crate::compare::test_support::context(&wf);
            let t = Tokenizer::new(&ctx, &secret, "dtks", data.as_bytes(), "l.csv", &opts).unwrap();
            let mut tokens = t.normalizer.clone();
            let mut full = Normalizer::new(t.normalizer.mapping.clone(), 7, 2026);
            assert_eq!(tokens.columns_read().len(), if with_sex { 6 } else { 5 });
            for f in &fields {
                let (a, b) = (full.normalize(f), tokens.normalize(f));
                for k in [
                    KeyField::Nik,
                    KeyField::Name,
                    KeyField::BirthDate,
                    KeyField::Kecamatan,
                ] {
                    assert_eq!(a.field_value(k), b.field_value(k), "{f:?}");
                }
                assert_eq!(reject_reason(&a, true), reject_reason(&b, true), "{f:?}");
                assert_eq!(
                    a.issues.contains(&RowIssue::Ragged),
                    b.issues.contains(&RowIssue::Ragged)
                );
                // Sex is read when a key uses it; desa never (no key here uses it).
                let sex = if with_sex { a.sex } else { None };
                assert_eq!(
                    b.field_value(KeyField::Sex),
                    sex.map(|s| KeyValue::Str(s.code()))
                );
                assert_eq!(b.desa, None);
                assert!(b.empty.is_empty());
            }
            assert!(full.normalize(&fields[0]).sex.is_some());
            assert!(full.normalize(&fields[0]).desa.is_some());
        }
    }
}
