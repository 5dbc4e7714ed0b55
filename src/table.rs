//! Reading a list: delimiter and encoding detection, then a streaming row reader over any
//! `io::Read` (the `csv` crate underneath). Rows are decoded field by field, so CSV syntax
//! (all ASCII) is parsed on bytes and only values are transcoded.

use std::collections::BTreeMap;
use std::io::Read;

use serde::Serialize;

use crate::columns::{Field, Mapping};
use crate::error::{Error, Result};
use crate::pipeline::InputOptions;
pub use crate::rawcsv::RawRecord;
use crate::rawcsv::Records;

/// How many bytes of the start of a file are used for detection.
pub const SNIFF_BYTES: usize = 64 * 1024;

/// A row longer than this is refused: it is almost always an unclosed quote that swallowed
/// the rest of the file.
pub const MAX_ROW_BYTES: usize = 1 << 20;

/// A header with more columns than this is refused (no real list has that many; it is
/// almost always a file that is not a list, or the wrong delimiter on binary data).
pub const MAX_COLUMNS: usize = 1000;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Encoding {
    #[serde(rename = "utf-8")]
    Utf8,
    #[serde(rename = "windows-1252")]
    Windows1252,
}

impl Encoding {
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Utf8 => "utf-8",
            Encoding::Windows1252 => "windows-1252",
        }
    }
    pub fn parse(s: &str) -> Option<Encoding> {
        match s.to_ascii_lowercase().replace('_', "-").as_str() {
            "utf-8" | "utf8" => Some(Encoding::Utf8),
            "windows-1252" | "cp1252" | "latin1" | "iso-8859-1" => Some(Encoding::Windows1252),
            _ => None,
        }
    }
}

/// Delimiter and encoding of a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dialect {
    pub delimiter: u8,
    pub encoding: Encoding,
    pub bom: bool,
}

const DELIMITERS: [u8; 4] = [b',', b';', b'|', b'\t'];

/// Detects the dialect from the first bytes of a file (see [`SNIFF_BYTES`]).
pub fn sniff(head: &[u8]) -> Dialect {
    let bom = head.starts_with(b"\xEF\xBB\xBF");
    let encoding = if bom {
        Encoding::Utf8
    } else {
        match std::str::from_utf8(head) {
            Ok(_) => Encoding::Utf8,
            // Cut in the middle of a character at the end of the sample: still UTF-8.
            Err(e) if e.error_len().is_none() => Encoding::Utf8,
            Err(_) => Encoding::Windows1252,
        }
    };
    Dialect {
        delimiter: sniff_delimiter(head),
        encoding,
        bom,
    }
}

/// Per line (quote-aware), how many times each delimiter occurs; the winner is the one
/// whose count is the same on most sample lines, then the most frequent.
fn sniff_delimiter(head: &[u8]) -> u8 {
    let mut lines: Vec<[u32; 4]> = Vec::new();
    let mut cur = [0u32; 4];
    let mut in_quotes = false;
    for &b in head {
        match b {
            b'"' => in_quotes = !in_quotes,
            b'\n' if !in_quotes => {
                lines.push(cur);
                cur = [0; 4];
                if lines.len() >= 50 {
                    break;
                }
            }
            _ if !in_quotes => {
                if let Some(i) = DELIMITERS.iter().position(|d| *d == b) {
                    cur[i] += 1;
                }
            }
            _ => {}
        }
    }
    if lines.is_empty() {
        lines.push(cur);
    }
    let mut best = (0usize, 0u32, b',');
    for (i, &d) in DELIMITERS.iter().enumerate() {
        let first = lines[0][i];
        if first == 0 {
            continue;
        }
        let consistent = lines.iter().filter(|l| l[i] == first).count();
        if (consistent, first) > (best.0, best.1) {
            best = (consistent, first, d);
        }
    }
    best.2
}

/// What the user sees before anything is processed: detected dialect, header, suggested
/// mapping and the first rows (their own data, on their own screen).
#[derive(Clone, Debug, Serialize)]
pub struct Inspection {
    pub file_name: String,
    /// The delimiter as text: `,` `;` `|` or `\t`.
    pub delimiter: String,
    pub encoding: Encoding,
    pub bom: bool,
    pub header: Vec<String>,
    /// Field code -> header text (null when not found).
    pub mapping: BTreeMap<String, Option<String>>,
    /// Up to 10 first rows.
    pub preview: Vec<Vec<String>>,
    /// True when the sample holds a quoted field with a line break.
    pub quoted_newlines: bool,
}

/// Inspects the first bytes of a file.
pub fn inspect(head: &[u8], file_name: &str, opts: &InputOptions) -> Result<Inspection> {
    let dialect = dialect_for(head, opts, file_name)?;
    let mut reader = TableReader::new(head, file_name, dialect)?;
    let mapping = Mapping::build(&reader.header, &opts.columns, file_name)?;
    let mut preview = Vec::new();
    let mut quoted_newlines = false;
    while preview.len() < 10 {
        match reader.next_row() {
            Ok(Some(row)) => {
                quoted_newlines |= row.fields.iter().any(|f| f.contains('\n'));
                preview.push(row.fields.to_vec());
            }
            // The sample may end in the middle of a row or a character.
            Ok(None) | Err(_) => break,
        }
    }
    let header = reader.header.clone();
    Ok(Inspection {
        file_name: file_name.to_string(),
        delimiter: (dialect.delimiter as char).to_string(),
        encoding: dialect.encoding,
        bom: dialect.bom,
        mapping: Field::ALL
            .iter()
            .map(|f| {
                (
                    f.code().to_string(),
                    mapping.get(*f).map(|i| header[i].clone()),
                )
            })
            .collect(),
        header,
        preview,
        quoted_newlines,
    })
}

/// The dialect from the user's options, detecting what they left open.
pub fn dialect_for(head: &[u8], opts: &InputOptions, file: &str) -> Result<Dialect> {
    refuse_non_text(head, file)?;
    let mut d = sniff(head);
    if let Some(c) = opts.delimiter {
        if !matches!(c, ',' | ';' | '|' | '\t') {
            return Err(Error::invalid(
                file,
                None,
                None,
                format!("pemisah '{c}' tidak didukung; pilih , ; | atau tab."),
            ));
        }
        d.delimiter = c as u8;
    }
    if let Some(e) = &opts.encoding {
        d.encoding = Encoding::parse(e).ok_or_else(|| {
            Error::invalid(
                file,
                None,
                None,
                format!("pengodean '{e}' tidak didukung; pilih utf-8 atau windows-1252."),
            )
        })?;
    }
    Ok(d)
}

/// Refuses what cannot be a CSV list, with a message that says what it is: a workbook,
/// UTF-16 text, or binary data (a NUL byte in the sample).
pub fn refuse_non_text(head: &[u8], file: &str) -> Result<()> {
    let what = if crate::workbook::detect(head).is_some() {
        "berkas ini workbook Excel (.xlsx/.xls), bukan CSV: buka sebagai workbook, atau simpan sebagai \"CSV UTF-8\"."
    } else if head.starts_with(b"\xFF\xFE") || head.starts_with(b"\xFE\xFF") {
        "berkas ini teks UTF-16 (\"Unicode Text\"), bukan CSV UTF-8: simpan ulang sebagai \"CSV UTF-8\"."
    } else if let Some(p) = head.iter().position(|&b| b == 0) {
        let zeros = head.iter().filter(|&&b| b == 0).count();
        if zeros * 3 >= head.len() && p <= 1 {
            "berkas ini tampaknya teks UTF-16 tanpa penanda, bukan CSV UTF-8: simpan ulang sebagai \"CSV UTF-8\"."
        } else {
            "berkas ini bukan teks (berisi data biner): bukan daftar CSV. Pilih berkas yang benar."
        }
    } else {
        return Ok(());
    };
    Err(Error::invalid(file, None, None, what))
}

/// One data row.
#[derive(Debug)]
pub struct Row<'a> {
    /// 1-based data-record number (header excluded).
    pub row: u64,
    /// 1-based physical line where the record starts (within this reader's part).
    pub line: u64,
    /// Byte offset in the whole file of the record's first byte (after any blank lines
    /// before it).
    pub offset: u64,
    /// Decoded fields (as many as the row has: may differ from the header's count).
    pub fields: &'a [String],
    /// The raw bytes of each field, undecoded (for record references).
    pub raw: &'a RawRecord,
}

/// The input of the CSV parser: the file, with a `\n` added at the end when its last line
/// has none, so that every record ends with a line break (see
/// [`TableReader::read_raw_record`]: a record's true start is found by counting lines).
struct EndNewline<R> {
    inner: R,
    /// The last two bytes given out (`tail[1]` the last); `seen` once there was one.
    tail: [u8; 2],
    seen: bool,
    /// 1 once the `\n` was added.
    added: u64,
    /// The end was reported (the parser has consumed everything).
    eof: bool,
}

impl<R: Read> Read for EndNewline<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let n = self.inner.read(buf)?;
        if n > 0 {
            self.tail = [if n > 1 { buf[n - 2] } else { self.tail[1] }, buf[n - 1]];
            self.seen = true;
        } else if self.added == 0 && self.seen && self.tail[1] != b'\n' {
            buf[0] = b'\n';
            self.added = 1;
            self.tail = [self.tail[1], b'\n'];
            return Ok(1);
        } else {
            self.eof = true;
        }
        Ok(n)
    }
}

/// A streaming reader of data rows.
///
/// Line numbers are the true 1-based lines of the file and offsets the byte where a record
/// itself starts: the `csv` crate skips blank lines (`\n` alone) before a record without
/// counting them in the record's position, so the reader finds the record's own start by
/// counting the lines the record consumed.
pub struct TableReader<R: Read> {
    rdr: Records<EndNewline<R>>,
    pub header: Vec<String>,
    pub file: String,
    pub dialect: Dialect,
    record: RawRecord,
    fields: Vec<String>,
    row: u64,
    /// Offset of this reader's first byte in the whole file.
    base: u64,
    /// Lines of the file before this reader's first byte, when known (0 otherwise).
    base_line: u64,
    /// Columns to decode (all when `None`); the others are left empty.
    needed: Option<Vec<bool>>,
    /// Where the current record itself starts (after any blank lines), relative to this
    /// reader's first byte: byte offset and 1-based line.
    start_byte: u64,
    start_line: u64,
    /// The header's line (1 unless blank lines come before it).
    pub header_line: u64,
}

fn csv_reader<R: Read>(input: R, dialect: Dialect) -> Records<EndNewline<R>> {
    Records::new(
        EndNewline {
            inner: input,
            tail: [0; 2],
            seen: false,
            added: 0,
            eof: false,
        },
        dialect.delimiter,
        256 * 1024,
    )
}

impl<R: Read> TableReader<R> {
    /// Reads the header line. Refuses an empty file.
    pub fn new(input: R, file: &str, dialect: Dialect) -> Result<TableReader<R>> {
        let rdr = csv_reader(input, dialect);
        let mut t = TableReader {
            rdr,
            header: Vec::new(),
            file: file.to_string(),
            dialect,
            record: RawRecord::default(),
            fields: Vec::new(),
            row: 0,
            base: 0,
            base_line: 0,
            needed: None,
            start_byte: 0,
            start_line: 1,
            header_line: 1,
        };
        let got = t.read_record()?;
        if !got {
            return Err(Error::invalid(
                file,
                None,
                None,
                "berkas kosong: tidak ada baris judul maupun data.",
            ));
        }
        let mut header = Vec::with_capacity(t.record.len());
        for (i, raw) in t.record.iter().enumerate() {
            let raw = if i == 0 {
                raw.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(raw)
            } else {
                raw
            };
            let mut s = String::new();
            decode_into(raw, dialect.encoding, &mut s)
                .map_err(|_| t.utf8_error(t.start_line, i))?;
            header.push(s.trim().to_string());
        }
        if header.len() > MAX_COLUMNS {
            return Err(Error::invalid(
                file,
                Some(t.start_line),
                None,
                format!(
                    "baris judul memuat {} kolom (batas {MAX_COLUMNS}): ini bukan daftar biasa, atau pemisahnya salah.",
                    header.len()
                ),
            ));
        }
        if header.iter().all(|h| h.is_empty()) {
            return Err(Error::invalid(
                file,
                Some(t.start_line),
                None,
                "baris judul kosong: baris pertama harus memuat nama kolom.",
            ));
        }
        t.header = header;
        t.header_line = t.start_line;
        Ok(t)
    }

    /// A reader for a later part of a file: `input` starts at byte `base` of the file, at
    /// the start of a record; the header was read from the first part.
    /// `base_line` is the number of lines before `base` when known (errors and row lines
    /// are then absolute), else 0.
    pub fn new_part(
        input: R,
        file: &str,
        dialect: Dialect,
        header: Vec<String>,
        base: u64,
        base_line: u64,
    ) -> TableReader<R> {
        let rdr = csv_reader(input, dialect);
        TableReader {
            rdr,
            header,
            file: file.to_string(),
            dialect,
            record: RawRecord::default(),
            fields: Vec::new(),
            row: 0,
            base,
            base_line,
            needed: None,
            start_byte: 0,
            start_line: 1,
            header_line: 0,
        }
    }

    /// Decode only these columns (by index); the others are returned empty.
    pub fn decode_only(&mut self, columns: &[usize]) {
        let mut v = vec![
            false;
            self.header
                .len()
                .max(columns.iter().max().map_or(0, |m| m + 1))
        ];
        for &c in columns {
            v[c] = true;
        }
        self.needed = Some(v);
    }

    /// Lines fully read so far (at the end: all lines of this reader's input, a last line
    /// without a line break included).
    pub fn lines_read(&self) -> u64 {
        self.rdr.line().saturating_sub(1)
    }

    /// The file offset after the last record read: where the next record (or blank lines
    /// before it) starts, or the end of the file.
    pub fn next_offset(&self) -> u64 {
        self.base + self.bytes_read()
    }

    /// Reads the next record. Records end at `\n` only (so every record starts right after
    /// a `\n`, which lets parts of a file be read independently); a `\r` before it is
    /// removed from the last field, and lines holding nothing but `\r` are skipped.
    fn read_record(&mut self) -> Result<bool> {
        loop {
            let more = self.read_raw_record()?;
            if !more {
                return Ok(false);
            }
            if self.record.last_byte() == Some(b'\r') {
                self.record.trim_last_byte();
            }
            if self.record.len() == 1 && self.record[0].is_empty() {
                continue;
            }
            return Ok(true);
        }
    }

    /// Reads the next raw record and finds where it starts. The parser skips blank lines
    /// (`\n` alone) before a record, one byte and one line each, and reports the position
    /// where it began reading; a record ends with a `\n` (see [`EndNewline`]) and holds its
    /// quoted line breaks in its fields, so the blank lines skipped are the lines read minus
    /// those. The one record that does not end with a `\n` is a last one whose quote is
    /// never closed: it ran into the end of the file with the final `\n` in its field.
    fn read_raw_record(&mut self) -> Result<bool> {
        let more = self
            .rdr
            .read(&mut self.record)
            .map_err(|e| Error::io(&self.file, e))?;
        if more {
            let (b0, l0) = self.rdr.record_start();
            // Quoted line breaks (a line without quotes has none).
            let bytes = self.record.bytes();
            let inner = if self.rdr.last_was_plain() {
                0
            } else {
                memchr::memchr_iter(b'\n', bytes).count() as u64
            };
            let src = self.rdr.get_ref();
            let unterminated = src.eof && bytes.last() == Some(&b'\n') && src.tail != *b"\"\n";
            let ends = inner + u64::from(!unterminated);
            let blank = (self.rdr.line() - l0).saturating_sub(ends);
            self.start_byte = b0 + blank;
            self.start_line = l0 + blank;
        }
        if self.record.bytes().len() > MAX_ROW_BYTES {
            let line = Some(self.start_line + self.base_line);
            return Err(Error::invalid(
                &self.file,
                line,
                None,
                format!(
                    "baris terlalu panjang ({} MB; batas 1 MB). Biasanya ada tanda kutip (\") yang tidak ditutup; perbaiki baris itu dan simpan ulang.",
                    self.record.bytes().len() / (1 << 20)
                ),
            ));
        }
        Ok(more)
    }

    fn utf8_error(&self, line: u64, col: usize) -> Error {
        Error::invalid(
            &self.file,
            Some(line),
            self.header.get(col).map(String::as_str),
            "teks bukan UTF-8 yang sah. Simpan ulang berkas sebagai \"CSV UTF-8\", atau pilih pengodean windows-1252.",
        )
    }

    /// The underlying reader (after the end: to drain or hash it).
    pub fn inner_mut(&mut self) -> &mut R {
        &mut self.rdr.get_mut().inner
    }

    /// Bytes consumed so far (of the file: not counting the `\n` added at its end).
    pub fn bytes_read(&self) -> u64 {
        self.rdr.byte() - self.rdr.get_ref().added
    }

    /// The next data row, `None` at the end. Blank lines are skipped.
    pub fn next_row(&mut self) -> Result<Option<Row<'_>>> {
        if !self.read_record()? {
            return Ok(None);
        }
        self.row += 1;
        let line = self.start_line + self.base_line;
        let offset = self.base + self.start_byte;
        let n = self.record.len();
        if self.fields.len() < n {
            self.fields.resize_with(n, String::new);
        }
        // UTF-8: one check of the whole record; a field is then valid exactly when its
        // range falls on character boundaries (`str::get`). Otherwise field by field.
        let whole = match self.dialect.encoding {
            Encoding::Utf8 => simdutf8::basic::from_utf8(self.record.bytes()).ok(),
            Encoding::Windows1252 => None,
        };
        for i in 0..n {
            let out = &mut self.fields[i];
            out.clear();
            if let Some(needed) = &self.needed {
                if !needed.get(i).copied().unwrap_or(false) {
                    continue;
                }
            }
            if let Some(f) = whole.and_then(|w| self.record.range(i).and_then(|r| w.get(r))) {
                out.push_str(f);
                continue;
            }
            let raw = &self.record[i];
            if decode_into(raw, self.dialect.encoding, out).is_err() {
                return Err(self.utf8_error(line, i));
            }
        }
        Ok(Some(Row {
            row: self.row,
            line,
            offset,
            fields: &self.fields[..n],
            raw: &self.record,
        }))
    }
}

fn decode_into(raw: &[u8], enc: Encoding, out: &mut String) -> std::result::Result<(), ()> {
    match enc {
        Encoding::Utf8 => {
            out.push_str(std::str::from_utf8(raw).map_err(|_| ())?);
        }
        Encoding::Windows1252 => {
            if raw.is_ascii() {
                out.push_str(std::str::from_utf8(raw).expect("ASCII is UTF-8"));
            } else {
                let (s, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(raw);
                out.push_str(&s);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    type Rows = Vec<(u64, u64, Vec<String>)>;

    fn rows(data: &[u8]) -> Result<(Vec<String>, Rows)> {
        let d = sniff(data);
        let mut r = TableReader::new(data, "t.csv", d)?;
        let mut out = Vec::new();
        while let Some(row) = r.next_row()? {
            out.push((row.row, row.line, row.fields.to_vec()));
        }
        Ok((r.header.clone(), out))
    }

    #[test]
    fn detects_delimiters() {
        assert_eq!(sniff(b"NIK;NAMA;TGL\n1;A;2\n").delimiter, b';');
        assert_eq!(sniff(b"NIK|NAMA|TGL\n1|A, B|2\n").delimiter, b'|');
        assert_eq!(sniff(b"NIK\tNAMA\tTGL\n1\tA\t2\n").delimiter, b'\t');
        assert_eq!(sniff(b"NIK,NAMA,TGL\n1,\"A; B\",2\n").delimiter, b',');
        assert_eq!(sniff(b"NIK,NAMA;X\n1,A;B\n").delimiter, b',');
    }

    #[test]
    fn detects_encodings() {
        let d = sniff(b"\xEF\xBB\xBFNIK,NAMA\n1,ANDR\xC3\x89\n");
        assert_eq!((d.encoding, d.bom), (Encoding::Utf8, true));
        assert_eq!(
            sniff(b"NIK,NAMA\n1,ANDR\xC9\n").encoding,
            Encoding::Windows1252
        );
        // A UTF-8 character cut at the end of the sample.
        assert_eq!(sniff(b"NIK,NAMA\n1,ANDR\xC3").encoding, Encoding::Utf8);
    }

    #[test]
    fn reads_bom_1252_quotes_and_newlines() {
        let (h, r) = rows(b"\xEF\xBB\xBFNIK,NAMA\n1,\"SITI\nAMINAH\"\n2,BUDI\n").unwrap();
        assert_eq!(h, vec!["NIK", "NAMA"]);
        assert_eq!(
            r[0],
            (1, 2, vec!["1".to_string(), "SITI\nAMINAH".to_string()])
        );
        assert_eq!(r[1], (2, 4, vec!["2".to_string(), "BUDI".to_string()]));
        let (_, r) = rows(b"NIK;NAMA\n1;ANDR\xC9\n").unwrap();
        assert_eq!(r[0].2[1], "ANDR\u{c9}");
    }

    #[test]
    fn errors_name_file_and_line() {
        let e = rows(b"").unwrap_err().to_string();
        assert!(e.contains("t.csv") && e.contains("kosong"), "{e}");
        let d = Dialect {
            delimiter: b',',
            encoding: Encoding::Utf8,
            bom: false,
        };
        let data = b"NIK,NAMA\n1,A\n2,\xFF\xFE\n";
        let mut r = TableReader::new(&data[..], "t.csv", d).unwrap();
        r.next_row().unwrap();
        let e = r.next_row().unwrap_err().to_string();
        assert!(
            e.contains("t.csv, baris 3, kolom NAMA") && e.contains("UTF-8"),
            "{e}"
        );
    }

    #[test]
    fn huge_row_is_refused_with_line() {
        let mut data = b"NIK,NAMA\n1,A\n2,\"".to_vec();
        data.extend(std::iter::repeat_n(b'x', MAX_ROW_BYTES + 10));
        let e = rows(&data).unwrap_err().to_string();
        assert!(
            e.contains("baris 3") && e.contains("terlalu panjang"),
            "{e}"
        );
    }

    /// (line, offset) of every data row.
    fn places(data: &[u8]) -> Vec<(u64, u64)> {
        let mut r = TableReader::new(data, "t.csv", sniff(data)).unwrap();
        let mut out = Vec::new();
        while let Some(row) = r.next_row().unwrap() {
            out.push((row.line, row.offset));
        }
        out
    }

    fn at(data: &[u8], needle: &[u8]) -> u64 {
        data.windows(needle.len())
            .position(|w| w == needle)
            .unwrap() as u64
    }

    #[test]
    fn lines_and_offsets_count_blank_lines() {
        // Lines: 1 blank, 2 header, 3 blank, 4 row, 5-6 blank, 7-8 a row with a quoted line
        // break, 9 blank, 10 CRLF row, 11 CRLF blank, 12 row, 13 blank.
        let data = b"\nNIK,NAMA\n\n1,A\n\n\n2,\"B\nC\"\n\n3,D\r\n\r\n4,E\n\n";
        let r = TableReader::new(&data[..], "t.csv", sniff(data)).unwrap();
        assert_eq!(r.header, vec!["NIK", "NAMA"]);
        assert_eq!(r.header_line, 2);
        assert_eq!(
            places(data),
            vec![
                (4, at(data, b"1,A")),
                (7, at(data, b"2,")),
                (10, at(data, b"3,D")),
                (12, at(data, b"4,E")),
            ]
        );
        // No line break at the end, blank lines before the last row.
        let data = b"NIK\n\n\n1\n\n2";
        assert_eq!(places(data), vec![(4, 6), (6, 9)]);
        // A quoted line break in the last field of the last row.
        let data = b"NIK,A\n\n1,\"x\ny\n\"\n\n\n2,\"z\n\"\n";
        assert_eq!(places(data), vec![(3, 7), (8, at(data, b"2,"))]);
        // A quote never closed runs to the end; blank lines before it still count.
        let data = b"NIK,A\n1,B\n\n\n2,\"C\nD";
        assert_eq!(places(data), vec![(2, 6), (5, 12)]);
        // Without blank lines nothing moves: a row starts right after the line break.
        let data = b"NIK,NAMA\r\n1,\"A\r\nB\"\r\n2,C\r\n";
        assert_eq!(
            places(data),
            vec![(2, at(data, b"1,")), (4, at(data, b"2,C"))]
        );
    }

    #[test]
    fn errors_after_blank_lines_name_the_true_line() {
        let data = b"NIK,NAMA\n\n\n1,A\n\n2,\xFF\n";
        let d = Dialect {
            delimiter: b',',
            encoding: Encoding::Utf8,
            bom: false,
        };
        let mut r = TableReader::new(&data[..], "t.csv", d).unwrap();
        assert_eq!(r.next_row().unwrap().unwrap().line, 4);
        let e = r.next_row().unwrap_err().to_string();
        assert!(e.contains("baris 6, kolom NAMA"), "{e}");
        let e = rows(b"\n\n,\n1,2\n").unwrap_err().to_string();
        assert!(e.contains("baris 3") && e.contains("judul kosong"), "{e}");
        let mut data = b"NIK,NAMA\n1,A\n\n\n2,\"".to_vec();
        data.extend(std::iter::repeat_n(b'x', MAX_ROW_BYTES + 10));
        let e = rows(&data).unwrap_err().to_string();
        assert!(
            e.contains("baris 5") && e.contains("terlalu panjang"),
            "{e}"
        );
    }

    #[test]
    fn ragged_rows_are_returned_as_they_are() {
        let (_, r) = rows(b"A,B,C\n1,2\n1,2,3,4\n").unwrap();
        assert_eq!(r[0].2.len(), 2);
        assert_eq!(r[1].2.len(), 4);
    }
}
