//! Token files in a form that Spark, DuckDB and other engines read directly
//! (`padan-export/1`, see `docs/formats.md`), and back.
//!
//! One row per (record reference, match key, token), in token-file order (by reference,
//! then match key in the workflow's order):
//!
//! | column  | Parquet type                   | CSV           |
//! |---------|--------------------------------|---------------|
//! | `party` | `BYTE_ARRAY` (UTF8)            | text          |
//! | `ref`   | `FIXED_LEN_BYTE_ARRAY(16)`     | 32 hex digits |
//! | `key`   | `BYTE_ARRAY` (UTF8), key name  | text          |
//! | `token` | `FIXED_LEN_BYTE_ARRAY(16)`     | 32 hex digits |
//!
//! The token file's header facts travel with the rows: in Parquet as key-value metadata
//! `padan` ([`ExportHeader`]) and `padan.end` ([`ExportEnd`]: row count and the token
//! file's SHA-256); in CSV as a first line `#` + header JSON and a last line `#` + end
//! JSON (Spark `option("comment", "#")`, DuckDB `comment = '#'` skip them). Importing an
//! export rebuilds the token file byte for byte and checks it against that checksum, so a
//! changed, reordered or truncated export is refused.
//!
//! CSV works everywhere (also in WebAssembly); the Parquet writer and reader use the
//! `parquet` crate, which is not part of the wasm build.

use std::io::{BufRead, Read, Write};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::keys::{Token, TOKEN_LEN};
use crate::tokens::{TokenHeader, TokenReader, FORMAT as TOKENS_FORMAT};

pub const FORMAT: &str = "padan-export/1";
/// The CSV column line.
pub const CSV_COLUMNS: &str = "party,ref,key,token";
/// Parquet key-value metadata keys.
pub const META_HEADER: &str = "padan";
pub const META_END: &str = "padan.end";

/// The header facts of an export: its format and the token file's whole header.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportHeader {
    pub format: String,
    pub token_file: TokenHeader,
}

/// What closes an export: the number of rows and the token file's SHA-256 (hex).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportEnd {
    pub rows: u64,
    pub checksum: String,
}

/// The output format of `padan export`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    Parquet,
    Csv,
}

impl ExportFormat {
    pub fn parse(s: &str) -> Option<ExportFormat> {
        match s {
            "parquet" => Some(ExportFormat::Parquet),
            "csv" => Some(ExportFormat::Csv),
            _ => None,
        }
    }
}

/// What an export wrote.
#[derive(Clone, Debug, Serialize)]
pub struct ExportSummary {
    pub header: ExportHeader,
    pub end: ExportEnd,
}

/// Values written unquoted into CSV and Spark's joined output must be plain ids.
fn plain_id(s: &str, file: &str, what: &str) -> Result<()> {
    if s.is_empty()
        || !s
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.')
    {
        return Err(Error::invalid(
            file,
            None,
            Some(what),
            format!(
                "'{what}' di kepala berkas token bukan pengenal sederhana (huruf, angka, _ - .)."
            ),
        ));
    }
    Ok(())
}

/// The rows of a token file, streamed: one per present token.
pub struct TokenRows<R: Read> {
    reader: TokenReader<R>,
    file: String,
    /// The current record's reference and mask, and the next key to look at.
    reference: Token,
    mask: u8,
    next_key: usize,
    rows: u64,
}

impl<R: Read> TokenRows<R> {
    pub fn new(input: R, file_name: &str) -> Result<TokenRows<R>> {
        let reader = TokenReader::new(input, file_name)?;
        if reader.header.fuzzy.is_some() {
            return Err(Error::Refused {
                what: format!(
                    "{file_name} memuat bagian pencocokan mirip (padan-tokens/2). Ekspor untuk Spark hanya untuk pencocokan persis: bandingkan berkas ini dengan 'padan compare'."
                ),
            });
        }
        plain_id(&reader.header.party, file_name, "party")?;
        for k in &reader.header.match_keys {
            plain_id(k, file_name, "match_keys")?;
        }
        Ok(TokenRows {
            reader,
            file: file_name.to_string(),
            reference: [0; TOKEN_LEN],
            mask: 0,
            next_key: 0,
            rows: 0,
        })
    }

    pub fn header(&self) -> ExportHeader {
        ExportHeader {
            format: FORMAT.into(),
            token_file: self.reader.header.clone(),
        }
    }

    /// The next (reference, key index, token); `None` at the (verified) end.
    pub fn next_row(&mut self) -> Result<Option<(Token, usize, Token)>> {
        let nk = self.reader.header.match_keys.len();
        loop {
            while self.next_key < nk {
                let i = self.next_key;
                self.next_key += 1;
                if self.mask & (1 << i) != 0 {
                    let off = TOKEN_LEN + 1 + i * TOKEN_LEN;
                    let token: Token = self.reader.raw()[off..off + TOKEN_LEN]
                        .try_into()
                        .expect("16 bytes");
                    self.rows += 1;
                    return Ok(Some((self.reference, i, token)));
                }
            }
            if !self.reader.next_raw()? {
                return Ok(None);
            }
            let raw = self.reader.raw();
            self.reference = raw[..TOKEN_LEN].try_into().expect("16 bytes");
            self.mask = raw[TOKEN_LEN];
            self.next_key = 0;
            if self.mask == 0 {
                return Err(Error::invalid(
                    &self.file,
                    None,
                    None,
                    "berkas token memuat rekaman tanpa token; berkas ini tidak dibuat oleh padan tokenize.",
                ));
            }
        }
    }

    /// After the last row: the row count and the verified checksum.
    pub fn end(&self) -> ExportEnd {
        ExportEnd {
            rows: self.rows,
            checksum: hex::encode(self.reader.checksum().unwrap_or_default()),
        }
    }
}

/// Writes a token file as CSV: a `#` header line, the column line, the rows (hex), a `#`
/// end line.
pub fn export_csv<R: Read, W: Write>(input: R, file_name: &str, out: W) -> Result<ExportSummary> {
    let io = |e| Error::io("(ekspor)", e);
    let mut out = std::io::BufWriter::with_capacity(1 << 20, out);
    let mut rows = TokenRows::new(input, file_name)?;
    let header = rows.header();
    out.write_all(b"#").map_err(io)?;
    out.write_all(&serde_json::to_vec(&header).expect("serializable"))
        .map_err(io)?;
    out.write_all(b"\n").map_err(io)?;
    out.write_all(CSV_COLUMNS.as_bytes()).map_err(io)?;
    out.write_all(b"\n").map_err(io)?;
    let party = header.token_file.party.as_bytes();
    let keys: Vec<Vec<u8>> = header
        .token_file
        .match_keys
        .iter()
        .map(|k| format!(",{k},").into_bytes())
        .collect();
    let mut line = Vec::with_capacity(128);
    while let Some((reference, i, token)) = rows.next_row()? {
        line.clear();
        line.extend_from_slice(party);
        line.push(b',');
        line.extend_from_slice(&hex32(&reference));
        line.extend_from_slice(&keys[i]);
        line.extend_from_slice(&hex32(&token));
        line.push(b'\n');
        out.write_all(&line).map_err(io)?;
    }
    let end = rows.end();
    out.write_all(b"#").map_err(io)?;
    out.write_all(&serde_json::to_vec(&end).expect("serializable"))
        .map_err(io)?;
    out.write_all(b"\n").map_err(io)?;
    out.flush().map_err(io)?;
    Ok(ExportSummary { header, end })
}

/// Lower-case hex of 16 bytes.
fn hex32(t: &Token) -> [u8; 2 * TOKEN_LEN] {
    let mut out = [0u8; 2 * TOKEN_LEN];
    hex::encode_to_slice(t, &mut out).expect("exact length");
    out
}

/// Rebuilds a token file from export rows, checking every fact on the way.
struct Rebuild<W: Write> {
    file: String,
    head: TokenHeader,
    out: W,
    hasher: Sha256,
    /// The record being assembled (reference, mask, tokens); `last_key` the last key set.
    record: Vec<u8>,
    has_record: bool,
    last_key: usize,
    records: u64,
    per_key: Vec<u64>,
    rows: u64,
}

impl<W: Write> Rebuild<W> {
    fn new(file: &str, header: ExportHeader, mut out: W) -> Result<Rebuild<W>> {
        let bad = |what: &str| Error::invalid(file, None, None, what.to_string());
        if header.format != FORMAT {
            return Err(bad("bukan ekspor padan (format bukan padan-export/1)."));
        }
        let head = header.token_file;
        if head.format != TOKENS_FORMAT || head.match_keys.is_empty() || head.match_keys.len() > 8 {
            return Err(bad("kepala berkas token dalam ekspor tidak sah."));
        }
        let mut first = format!("{TOKENS_FORMAT}\n").into_bytes();
        first.extend_from_slice(&serde_json::to_vec(&head).expect("serializable"));
        first.push(b'\n');
        let mut hasher = Sha256::new();
        hasher.update(&first);
        out.write_all(&first)
            .map_err(|e| Error::io("(berkas token)", e))?;
        let size = head.record_size();
        let nk = head.match_keys.len();
        Ok(Rebuild {
            file: file.to_string(),
            head,
            out,
            hasher,
            record: vec![0; size],
            has_record: false,
            last_key: 0,
            records: 0,
            per_key: vec![0; nk],
            rows: 0,
        })
    }

    fn flush_record(&mut self) -> Result<()> {
        if self.has_record {
            self.hasher.update(&self.record);
            self.out
                .write_all(&self.record)
                .map_err(|e| Error::io("(berkas token)", e))?;
            self.records += 1;
            self.record.fill(0);
            self.has_record = false;
        }
        Ok(())
    }

    /// One row; `line` for messages (the CSV line, or the Parquet row number).
    fn push(
        &mut self,
        line: u64,
        party: &[u8],
        reference: &Token,
        key: &[u8],
        token: &Token,
    ) -> Result<()> {
        let file = self.file.clone();
        let bad = |field: &str, what: &str| {
            Error::invalid(&file, Some(line), Some(field), what.to_string())
        };
        if party != self.head.party.as_bytes() {
            return Err(bad(
                "party",
                "pihak pada baris ini tidak sama dengan kepala ekspor.",
            ));
        }
        let i = self
            .head
            .match_keys
            .iter()
            .position(|k| k.as_bytes() == key)
            .ok_or_else(|| bad("key", "kunci pencocokan tidak ada di kepala ekspor."))?;
        if self.has_record && self.record[..TOKEN_LEN] == reference[..] {
            if i <= self.last_key {
                return Err(bad("key", "baris ekspor tidak urut (kunci pencocokan)."));
            }
        } else {
            if self.has_record && self.record[..TOKEN_LEN] > reference[..] {
                return Err(bad("ref", "baris ekspor tidak urut menurut referensi."));
            }
            self.flush_record()?;
            self.record[..TOKEN_LEN].copy_from_slice(reference);
            self.has_record = true;
        }
        self.record[TOKEN_LEN] |= 1 << i;
        let off = TOKEN_LEN + 1 + i * TOKEN_LEN;
        self.record[off..off + TOKEN_LEN].copy_from_slice(token);
        self.last_key = i;
        self.per_key[i] += 1;
        self.rows += 1;
        Ok(())
    }

    fn finish(mut self, end: &ExportEnd) -> Result<TokenHeader> {
        self.flush_record()?;
        let file = self.file.clone();
        let bad = |what: &str| Error::invalid(&file, None, None, what.to_string());
        if end.rows != self.rows {
            return Err(bad(
                "jumlah baris ekspor tidak sama dengan catatan akhirnya (terpotong?).",
            ));
        }
        let per_key_ok = self
            .head
            .match_keys
            .iter()
            .zip(&self.per_key)
            .all(|(k, c)| self.head.tokens.get(k).copied().unwrap_or(0) == *c);
        if self.records != self.head.records || !per_key_ok {
            return Err(bad(
                "jumlah rekaman atau token tidak sama dengan kepala berkas token.",
            ));
        }
        let sum: [u8; 32] = self.hasher.finalize().into();
        if hex::encode(sum) != end.checksum {
            return Err(bad(
                "checksum berkas token yang dibangun ulang tidak cocok: ekspor diubah atau rusak.",
            ));
        }
        self.out
            .write_all(&sum)
            .and_then(|_| self.out.flush())
            .map_err(|e| Error::io("(berkas token)", e))?;
        Ok(self.head)
    }
}

/// 32 hex digits to 16 bytes.
pub(crate) fn unhex16(s: &[u8]) -> Option<Token> {
    const fn digit(c: u8) -> u8 {
        match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            b'A'..=b'F' => c - b'A' + 10,
            _ => 0xff,
        }
    }
    const TABLE: [u8; 256] = {
        let mut t = [0u8; 256];
        let mut i = 0;
        while i < 256 {
            t[i] = digit(i as u8);
            i += 1;
        }
        t
    };
    if s.len() != 2 * TOKEN_LEN {
        return None;
    }
    let mut t = [0u8; TOKEN_LEN];
    let mut bad = 0u8;
    for (i, b) in t.iter_mut().enumerate() {
        let (h, l) = (TABLE[s[2 * i] as usize], TABLE[s[2 * i + 1] as usize]);
        bad |= h | l;
        *b = h << 4 | (l & 15);
    }
    (bad & 0xf0 == 0).then_some(t)
}

/// Rebuilds the token file of a CSV export, byte for byte, into `out`; refuses an export
/// whose rows, order or counts do not give back the token file's checksum.
pub fn import_csv<R: BufRead, W: Write>(
    mut input: R,
    file_name: &str,
    out: W,
) -> Result<TokenHeader> {
    let mut line = Vec::with_capacity(256);
    let mut next = |line: &mut Vec<u8>| -> Result<bool> {
        line.clear();
        let n = input
            .read_until(b'\n', line)
            .map_err(|e| Error::io(file_name, e))?;
        if line.last() == Some(&b'\n') {
            line.pop();
        }
        Ok(n > 0)
    };
    let inv = |no: u64, field: Option<&str>, what: String| {
        Error::invalid(file_name, Some(no), field, what)
    };
    if !next(&mut line)? || line.first() != Some(&b'#') {
        return Err(inv(
            1,
            None,
            "bukan ekspor CSV padan (baris pertama harus '#{\"format\":\"padan-export/1\",...}')."
                .into(),
        ));
    }
    let header: ExportHeader = serde_json::from_slice(&line[1..])
        .map_err(|e| inv(1, None, format!("kepala ekspor rusak: {e}")))?;
    let mut rebuild = Rebuild::new(file_name, header, out)?;
    if !next(&mut line)? || line != CSV_COLUMNS.as_bytes() {
        return Err(inv(2, None, format!("baris kedua harus '{CSV_COLUMNS}'.")));
    }
    let mut no = 2u64;
    loop {
        if !next(&mut line)? {
            return Err(inv(
                no,
                None,
                "ekspor terpotong: baris akhir '#{\"rows\":...}' tidak ada.".into(),
            ));
        }
        no += 1;
        if line.first() == Some(&b'#') {
            let end: ExportEnd = serde_json::from_slice(&line[1..])
                .map_err(|e| inv(no, None, format!("baris akhir ekspor rusak: {e}")))?;
            if next(&mut line)? {
                return Err(inv(
                    no + 1,
                    None,
                    "ada data setelah baris akhir ekspor.".into(),
                ));
            }
            return rebuild.finish(&end);
        }
        let cells: Vec<&[u8]> = line.split(|&b| b == b',').collect();
        if cells.len() != 4 {
            return Err(inv(
                no,
                None,
                "baris ekspor harus berisi 4 kolom: party,ref,key,token.".into(),
            ));
        }
        let hex_err = |f: &str| inv(no, Some(f), "harus 32 digit heksadesimal.".into());
        let reference = unhex16(cells[1]).ok_or_else(|| hex_err("ref"))?;
        let token = unhex16(cells[3]).ok_or_else(|| hex_err("token"))?;
        rebuild.push(no, cells[0], &reference, cells[2], &token)?;
    }
}

#[cfg(not(target_arch = "wasm32"))]
pub use self::parquet_io::{export_parquet, import_parquet, SCHEMA};

/// The Parquet writer and reader (not in the wasm build).
#[cfg(not(target_arch = "wasm32"))]
mod parquet_io {
    use std::sync::Arc;

    use parquet::basic::Compression;
    use parquet::column::reader::get_typed_column_reader;
    use parquet::data_type::{ByteArray, ByteArrayType, FixedLenByteArray, FixedLenByteArrayType};
    use parquet::file::metadata::KeyValue;
    use parquet::file::properties::WriterProperties;
    use parquet::file::reader::{ChunkReader, FileReader};
    use parquet::file::serialized_reader::SerializedFileReader;
    use parquet::file::writer::SerializedFileWriter;
    use parquet::schema::parser::parse_message_type;

    use super::*;

    /// The Parquet schema of an export.
    pub const SCHEMA: &str = "message padan_export {
  REQUIRED BYTE_ARRAY party (UTF8);
  REQUIRED FIXED_LEN_BYTE_ARRAY (16) ref;
  REQUIRED BYTE_ARRAY key (UTF8);
  REQUIRED FIXED_LEN_BYTE_ARRAY (16) token;
}";

    /// Rows per row group.
    const GROUP_ROWS: usize = 1 << 20;

    fn pq(file: &str) -> impl Fn(parquet::errors::ParquetError) -> Error + '_ {
        move |e| Error::invalid(file, None, None, format!("Parquet: {e}"))
    }

    /// Writes a token file as Parquet (snappy), the header facts as key-value metadata.
    pub fn export_parquet<R: Read, W: Write + Send>(
        input: R,
        file_name: &str,
        out: W,
    ) -> Result<ExportSummary> {
        let err = pq("(ekspor)");
        let mut rows = TokenRows::new(input, file_name)?;
        let header = rows.header();
        let schema = Arc::new(parse_message_type(SCHEMA).expect("valid schema"));
        let props = Arc::new(
            WriterProperties::builder()
                .set_compression(Compression::SNAPPY)
                .set_created_by(format!("padan {}", crate::VERSION))
                .build(),
        );
        let mut w = SerializedFileWriter::new(out, schema, props).map_err(&err)?;
        let party = ByteArray::from(header.token_file.party.as_bytes().to_vec());
        let keys: Vec<ByteArray> = header
            .token_file
            .match_keys
            .iter()
            .map(|k| ByteArray::from(k.as_bytes().to_vec()))
            .collect();
        let mut refs: Vec<FixedLenByteArray> = Vec::with_capacity(GROUP_ROWS);
        let mut key_col: Vec<ByteArray> = Vec::with_capacity(GROUP_ROWS);
        let mut tokens: Vec<FixedLenByteArray> = Vec::with_capacity(GROUP_ROWS);
        let mut done = false;
        while !done {
            refs.clear();
            key_col.clear();
            tokens.clear();
            while refs.len() < GROUP_ROWS {
                match rows.next_row()? {
                    Some((reference, i, token)) => {
                        refs.push(FixedLenByteArray::from(reference.to_vec()));
                        key_col.push(keys[i].clone());
                        tokens.push(FixedLenByteArray::from(token.to_vec()));
                    }
                    None => {
                        done = true;
                        break;
                    }
                }
            }
            if refs.is_empty() {
                break;
            }
            let parties = vec![party.clone(); refs.len()];
            let mut rg = w.next_row_group().map_err(&err)?;
            let mut c = 0;
            while let Some(mut col) = rg.next_column().map_err(&err)? {
                match c {
                    0 => col
                        .typed::<ByteArrayType>()
                        .write_batch(&parties, None, None),
                    1 => col
                        .typed::<FixedLenByteArrayType>()
                        .write_batch(&refs, None, None),
                    2 => col
                        .typed::<ByteArrayType>()
                        .write_batch(&key_col, None, None),
                    _ => col
                        .typed::<FixedLenByteArrayType>()
                        .write_batch(&tokens, None, None),
                }
                .map_err(&err)?;
                col.close().map_err(&err)?;
                c += 1;
            }
            rg.close().map_err(&err)?;
        }
        let end = rows.end();
        w.append_key_value_metadata(KeyValue::new(
            META_HEADER.into(),
            serde_json::to_string(&header).expect("serializable"),
        ));
        w.append_key_value_metadata(KeyValue::new(
            META_END.into(),
            serde_json::to_string(&end).expect("serializable"),
        ));
        w.close().map_err(&err)?;
        Ok(ExportSummary { header, end })
    }

    /// Rebuilds the token file of a Parquet export, byte for byte, into `out`; refuses an
    /// export whose metadata, schema, order or counts do not give back the checksum.
    pub fn import_parquet<C: ChunkReader + 'static, W: Write>(
        input: C,
        file_name: &str,
        out: W,
    ) -> Result<TokenHeader> {
        let err = pq(file_name);
        let inv = |what: String| Error::invalid(file_name, None, None, what);
        let reader = SerializedFileReader::new(input).map_err(&err)?;
        let meta = reader.metadata().file_metadata();
        let kv = |key: &str| -> Result<String> {
            meta.key_value_metadata()
                .and_then(|kvs| kvs.iter().find(|kv| kv.key == key))
                .and_then(|kv| kv.value.clone())
                .ok_or_else(|| inv(format!("bukan ekspor padan: metadata '{key}' tidak ada.")))
        };
        let header: ExportHeader = serde_json::from_str(&kv(META_HEADER)?)
            .map_err(|e| inv(format!("metadata '{META_HEADER}' rusak: {e}")))?;
        let end: ExportEnd = serde_json::from_str(&kv(META_END)?)
            .map_err(|e| inv(format!("metadata '{META_END}' rusak: {e}")))?;
        let want = parse_message_type(SCHEMA).expect("valid schema");
        if meta.schema() != &want {
            return Err(inv(
                "skema Parquet bukan skema ekspor padan (party, ref, key, token).".into(),
            ));
        }
        let mut rebuild = Rebuild::new(file_name, header, out)?;
        let mut row = 0u64;
        for g in 0..reader.num_row_groups() {
            let rg = reader.get_row_group(g).map_err(&err)?;
            let n = rg.metadata().num_rows() as usize;
            let bytes = |c: usize| -> Result<Vec<ByteArray>> {
                let mut r = get_typed_column_reader::<ByteArrayType>(
                    rg.get_column_reader(c).map_err(&err)?,
                );
                let mut v = Vec::with_capacity(n);
                r.read_records(n, None, None, &mut v).map_err(&err)?;
                Ok(v)
            };
            let fixed = |c: usize| -> Result<Vec<FixedLenByteArray>> {
                let mut r = get_typed_column_reader::<FixedLenByteArrayType>(
                    rg.get_column_reader(c).map_err(&err)?,
                );
                let mut v = Vec::with_capacity(n);
                r.read_records(n, None, None, &mut v).map_err(&err)?;
                Ok(v)
            };
            let (parties, refs, keys, tokens) = (bytes(0)?, fixed(1)?, bytes(2)?, fixed(3)?);
            if [parties.len(), refs.len(), keys.len(), tokens.len()] != [n; 4] {
                return Err(inv("kolom Parquet tidak sama panjang.".into()));
            }
            for j in 0..n {
                row += 1;
                let t16 = |v: &[u8], field: &str| -> Result<Token> {
                    v.try_into().map_err(|_| {
                        Error::invalid(file_name, Some(row), Some(field), "harus 16 bita.")
                    })
                };
                let reference = t16(refs[j].data(), "ref")?;
                let token = t16(tokens[j].data(), "token")?;
                rebuild.push(row, parties[j].data(), &reference, keys[j].data(), &token)?;
            }
        }
        rebuild.finish(&end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tokens::read_token_file;

    fn token_file() -> Vec<u8> {
        crate::compare::test_support::demo_token_files(300, 7)
            .remove(0)
            .1
    }

    #[test]
    fn csv_round_trip_is_byte_exact() {
        let tokens = token_file();
        let mut csv = Vec::new();
        let s = export_csv(&tokens[..], "a.tokens", &mut csv).unwrap();
        let f = read_token_file(&tokens, "a.tokens").unwrap();
        let present: usize = f
            .records
            .iter()
            .map(|r| r.tokens.iter().flatten().count())
            .sum();
        assert!(present > 100);
        assert_eq!(s.end.rows as usize, present);
        assert_eq!(csv.iter().filter(|&&b| b == b'\n').count(), present + 3);
        let mut back = Vec::new();
        let h = import_csv(&csv[..], "a.csv", &mut back).unwrap();
        assert_eq!(h, f.header);
        assert_eq!(back, tokens);
    }

    #[test]
    fn unhex16_takes_exactly_32_hex_digits() {
        let t: Token = core::array::from_fn(|i| (i as u8) * 17);
        let lower = hex::encode(t);
        assert_eq!(unhex16(lower.as_bytes()), Some(t));
        assert_eq!(unhex16(lower.to_uppercase().as_bytes()), Some(t));
        assert_eq!(unhex16(&lower.as_bytes()[1..]), None);
        for bad in [b'g', b'-', b' ', b':', 0xff] {
            let mut b = lower.clone().into_bytes();
            b[7] = bad;
            assert_eq!(unhex16(&b), None, "{bad}");
        }
    }

    #[test]
    fn csv_changes_are_refused() {
        let tokens = token_file();
        let mut csv = Vec::new();
        export_csv(&tokens[..], "a.tokens", &mut csv).unwrap();
        let text = String::from_utf8(csv).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let mut dropped = lines.clone();
        dropped.remove(5);
        let mut swapped = lines.clone();
        swapped.swap(4, 9);
        let mut changed = lines.clone();
        let l = changed[6].to_string();
        let flipped = format!(
            "{}{}",
            &l[..l.len() - 1],
            if l.ends_with('0') { '1' } else { '0' }
        );
        changed[6] = &flipped;
        let truncated = lines[..lines.len() - 1].to_vec();
        for (what, ls) in [
            ("dropped", dropped),
            ("swapped", swapped),
            ("changed", changed),
            ("truncated", truncated),
        ] {
            let bytes = (ls.join("\n") + "\n").into_bytes();
            let r = import_csv(&bytes[..], "a.csv", Vec::new());
            assert!(r.is_err(), "{what} was accepted");
        }
    }

    #[test]
    fn parquet_round_trip_is_byte_exact() {
        use std::io::{Seek, SeekFrom};
        let tokens = token_file();
        let mut f = tempfile::tempfile().unwrap();
        let s = export_parquet(&tokens[..], "a.tokens", &mut f).unwrap();
        f.seek(SeekFrom::Start(0)).unwrap();
        let mut magic = [0u8; 4];
        f.read_exact(&mut magic).unwrap();
        assert_eq!(&magic, b"PAR1");
        let mut back = Vec::new();
        let h = import_parquet(f, "a.parquet", &mut back).unwrap();
        assert_eq!(h, s.header.token_file);
        assert_eq!(back, tokens);
    }
}
