//! Reading a list from an Excel workbook (`.xlsx`/`.xlsm` and the older `.xls`), from bytes in
//! memory (the `calamine` crate underneath; no file system, so it runs in WebAssembly too).
//!
//! A sheet is turned into its **CSV form** (UTF-8, comma, no BOM), which then flows through
//! exactly the same path as a CSV list (`table.rs`, `record.rs`, check/tokenize/reattach).
//! The CSV form keeps the sheet's row numbers: the data row in sheet row `r` is on line `r`
//! of the CSV form (rows above the header and empty rows become empty lines, `\r\n`, which
//! the reader skips), so every message names the row the user sees in Excel. Record references
//! are computed over the CSV form, which is a pure function of the workbook, the sheet and
//! the header row: tokenize and reattach must choose the same sheet and header row.
//!
//! What the reader does on top of reading cells:
//! - **Sheet**: the one named in [`InputOptions::sheet`] (name, case-insensitive, or 1-based
//!   number), else the first visible worksheet whose header names a field (else the first
//!   visible worksheet).
//! - **Header row**: the row among the first [`HEADER_SEARCH_ROWS`] that names the most
//!   fields from the column synonyms (`columns.rs`) and the user's column choices; title
//!   rows above it are skipped. [`InputOptions::header_row`] overrides it (1-based).
//! - **Merged cells**: a merged cell's value fills its whole region. A header whose cells
//!   are merged downwards spans several rows; each column's name then combines the rows
//!   (`IDENTITAS` over `NIK` gives `NIK` when `NIK` alone names a field, else
//!   `IDENTITAS - NIK`).
//! - **Numbers**: an integer is written with all its digits; dates as `YYYY-MM-DD`.
//!   In the NIK and No. KK columns a number that cannot be an exact NIK (16 or more digits
//!   ending in 0, which is what Excel's 15 significant digits leave, or beyond 2^53 where a
//!   floating-point number cannot hold every integer) is written in scientific notation, so
//!   `nik.rs` reports it as spreadsheet damage: it is never "repaired".
//! - **Limits**: compressed parts are unpacked once with a counter first, so a zip bomb is
//!   refused before anything keeps its contents; the table has at most
//!   [`crate::table::MAX_COLUMNS`] columns and the CSV form at most [`MAX_CSV_BYTES`].
//! - Line breaks inside a cell become spaces (the CSV form has one line per sheet row).

use std::collections::BTreeMap;
use std::io::{Cursor, Read, Seek};

use calamine::{Data, DataRef, Dimensions, Reader, SheetType, SheetVisible};
use serde::Serialize;

use crate::columns::{Field, Mapping};
use crate::error::{Error, Result};
use crate::pipeline::InputOptions;

/// Rows searched for the header.
pub const HEADER_SEARCH_ROWS: u32 = 50;
/// Largest workbook file accepted.
pub const MAX_WORKBOOK_BYTES: usize = 256 << 20;
/// Most bytes all parts of an `.xlsx` may unpack to together.
pub const MAX_UNPACKED_BYTES: u64 = 1 << 30;
/// Most parts (files) in an `.xlsx`.
pub const MAX_PARTS: usize = 10_000;
/// Largest CSV form of a sheet.
pub const MAX_CSV_BYTES: usize = 1 << 30;
/// Most merged regions in a sheet.
pub const MAX_MERGES: usize = 100_000;

/// The kind of workbook, from the first bytes of a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A zip container (`.xlsx`, `.xlsm`; also `.ods` and `.xlsb`, which are refused).
    Xlsx,
    /// An OLE compound file (`.xls`; also a password-protected `.xlsx`).
    Xls,
}

/// Which workbook kind the bytes start with, `None` for anything else (CSV, text).
pub fn detect(head: &[u8]) -> Option<Kind> {
    if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        Some(Kind::Xlsx)
    } else if head.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        Some(Kind::Xls)
    } else {
        None
    }
}

/// A sheet read into its CSV form.
#[derive(Clone, Debug, Serialize)]
pub struct SheetTable {
    pub file_name: String,
    pub kind: Kind,
    /// Every worksheet, in workbook order.
    pub sheets: Vec<String>,
    /// The sheet read.
    pub sheet: String,
    /// First and last sheet row (1-based) of the header.
    pub header_rows: (u32, u32),
    /// True when the header row was found by the synonyms (false: given by the user, or
    /// the first non-empty row because no row named any field).
    pub header_detected: bool,
    pub header: Vec<String>,
    /// Data rows written (empty rows not counted).
    pub rows: u64,
    /// Numbers in the NIK / No. KK columns that cannot be exact (written as damage).
    pub damaged_numbers: u64,
    /// Non-empty cells left of the first or right of the last header column (ignored).
    pub cells_outside: u64,
    /// The CSV form: UTF-8, comma-separated, no BOM.
    #[serde(skip)]
    pub csv: Vec<u8>,
}

impl SheetTable {
    /// An error from reading the CSV form, with "line 1" (the header line of any CSV, as
    /// messages about the header say) turned into the header's sheet row.
    pub fn sheet_error(&self, e: Error) -> Error {
        match e {
            Error::Invalid { mut loc, what } if loc.line == Some(1) => {
                loc.line = Some(u64::from(self.header_rows.1));
                Error::Invalid { loc, what }
            }
            other => other,
        }
    }

    /// The options that read [`SheetTable::csv`]: `opts` with comma and UTF-8 fixed.
    pub fn csv_options(&self, opts: &InputOptions) -> InputOptions {
        InputOptions {
            delimiter: Some(','),
            encoding: Some("utf-8".into()),
            ..opts.clone()
        }
    }
}

/// A cell value as read.
#[derive(Clone, Debug, PartialEq)]
enum V {
    Text(String),
    Num(f64),
    /// Already text: dates, booleans, errors.
    Other(String),
}

impl V {
    fn from_ref(d: &DataRef) -> Option<V> {
        Some(match d {
            DataRef::Empty => return None,
            DataRef::String(s) => V::Text(s.clone()),
            DataRef::SharedString(s) => V::Text(s.to_string()),
            DataRef::Int(i) => V::Other(i.to_string()),
            DataRef::Float(f) => V::Num(*f),
            DataRef::Bool(b) => V::Other(if *b { "TRUE" } else { "FALSE" }.into()),
            DataRef::DateTime(d) => V::Other(date_text(d)),
            DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => V::Other(s.clone()),
            DataRef::Error(e) => V::Other(e.to_string()),
        })
    }
    fn from_data(d: &Data) -> Option<V> {
        Some(match d {
            Data::Empty => return None,
            Data::String(s) => V::Text(s.clone()),
            Data::Int(i) => V::Other(i.to_string()),
            Data::Float(f) => V::Num(*f),
            Data::Bool(b) => V::Other(if *b { "TRUE" } else { "FALSE" }.into()),
            Data::DateTime(d) => V::Other(date_text(d)),
            Data::DateTimeIso(s) | Data::DurationIso(s) => V::Other(s.clone()),
            Data::Error(e) => V::Other(e.to_string()),
        })
    }
    fn is_blank(&self) -> bool {
        match self {
            V::Text(s) | V::Other(s) => s.trim().is_empty(),
            V::Num(_) => false,
        }
    }
    /// The text of a cell in an ordinary column.
    fn text(&self) -> String {
        match self {
            V::Text(s) | V::Other(s) => one_line(s),
            V::Num(f) => number_text(*f),
        }
    }
    /// The text of a cell in a NIK / No. KK column; true when the number cannot be exact.
    fn id_text(&self) -> (String, bool) {
        match self {
            V::Num(f) => id_number_text(*f),
            other => (other.text(), false),
        }
    }
}

fn date_text(d: &calamine::ExcelDateTime) -> String {
    match d.as_datetime() {
        Some(dt) => {
            use chrono::{Datelike, Timelike};
            let date = format!("{:04}-{:02}-{:02}", dt.year(), dt.month(), dt.day());
            match (dt.hour(), dt.minute(), dt.second()) {
                (0, 0, 0) => date,
                (h, m, s) => format!("{date} {h:02}:{m:02}:{s:02}"),
            }
        }
        None => number_text(d.as_f64()),
    }
}

fn one_line(s: &str) -> String {
    if s.contains(['\r', '\n']) {
        s.replace("\r\n", " ").replace(['\r', '\n'], " ")
    } else {
        s.to_string()
    }
}

/// 2^53: from here on a double cannot hold every integer.
const EXACT_LIMIT: f64 = 9_007_199_254_740_992.0;

/// A number as text: integers with all their digits, others in the shortest form that
/// reads back to the same number.
fn number_text(f: f64) -> String {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < EXACT_LIMIT {
        format!("{}", f as i64)
    } else {
        format!("{f}")
    }
}

/// A number in an identity-number column. Exact when it is an integer below 2^53 that does
/// not look like Excel's 15-significant-digit rounding of a 16-digit number.
fn id_number_text(f: f64) -> (String, bool) {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e15 {
        return (format!("{}", f as i64), false);
    }
    if f.is_finite() && f.fract() == 0.0 && f.abs() < EXACT_LIMIT && (f as i64) % 10 != 0 {
        return (format!("{}", f as i64), false);
    }
    // Damaged: written as Excel shows it, in scientific notation.
    let s = format!("{f:E}");
    let s = match s.split_once('E') {
        Some((m, e)) if !e.starts_with('-') => format!("{m}E+{e}"),
        _ => s,
    };
    (s, true)
}

fn err(file: &str, what: impl Into<String>) -> Error {
    Error::invalid(file, None, None, what)
}

/// Unpacks every part of a zip container once into a counter, refusing zip bombs and
/// broken containers before `calamine` keeps anything.
fn check_zip(bytes: &[u8], file: &str) -> Result<()> {
    check_zip_limit(bytes, file, MAX_UNPACKED_BYTES)
}

fn check_zip_limit(bytes: &[u8], file: &str, limit: u64) -> Result<()> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| {
        err(
            file,
            format!("berkas workbook rusak atau terpotong (zip tidak sah: {e}). Simpan ulang dari Excel."),
        )
    })?;
    if zip.len() > MAX_PARTS {
        return Err(err(
            file,
            format!(
                "workbook berisi {} bagian (batas {MAX_PARTS}): bukan berkas Excel biasa.",
                zip.len()
            ),
        ));
    }
    let mut total = 0u64;
    let mut names = Vec::new();
    for i in 0..zip.len() {
        let mut part = zip.by_index(i).map_err(|e| {
            err(
                file,
                format!("berkas workbook rusak (bagian {i}: {e}). Simpan ulang dari Excel."),
            )
        })?;
        names.push(part.name().map(|n| n.to_string()).unwrap_or_default());
        let left = limit - total;
        let n =
            std::io::copy(&mut (&mut part).take(left + 1), &mut std::io::sink()).map_err(|e| {
                err(
                    file,
                    format!(
                        "berkas workbook rusak (bagian {}: {e}). Simpan ulang dari Excel.",
                        names[i]
                    ),
                )
            })?;
        total += n;
        if total > limit {
            return Err(err(
                file,
                format!(
                    "workbook terlalu besar setelah dibuka (lebih dari {} MB; kemungkinan \"zip bomb\"). Simpan daftar sebagai CSV.",
                    limit >> 20
                ),
            ));
        }
    }
    let has = |n: &str| names.iter().any(|x| x.eq_ignore_ascii_case(n));
    if has("xl/workbook.bin") {
        return Err(err(
            file,
            "workbook biner Excel (.xlsb) tidak didukung: simpan sebagai .xlsx atau CSV.",
        ));
    }
    if has("content.xml") && !has("xl/workbook.xml") {
        return Err(err(
            file,
            "berkas OpenDocument (.ods) tidak didukung: simpan sebagai .xlsx atau CSV.",
        ));
    }
    if !has("xl/workbook.xml") {
        return Err(err(
            file,
            "berkas zip ini bukan workbook Excel (.xlsx): tidak ada xl/workbook.xml.",
        ));
    }
    Ok(())
}

fn calamine_error(file: &str, e: impl std::fmt::Display) -> Error {
    let msg = e.to_string();
    if msg.to_ascii_lowercase().contains("password") {
        return err(
            file,
            "workbook dilindungi kata sandi: buka di Excel, hapus kata sandinya, simpan, lalu coba lagi.",
        );
    }
    err(
        file,
        format!("workbook tidak dapat dibaca ({msg}). Simpan ulang dari Excel sebagai .xlsx, atau sebagai CSV UTF-8."),
    )
}

enum Book<'a> {
    Xlsx(calamine::Xlsx<Cursor<&'a [u8]>>),
    Xls(calamine::Xls<Cursor<&'a [u8]>>),
}

/// An `.xls` (OLE compound file) must consist of whole sectors. calamine's compound-file
/// reader panics on a last sector cut short (a truncated file, found by fuzzing), and
/// padding such a file made it allocate gigabytes from a damaged size field; so a file that
/// is not whole sectors of a size the format has (512 or 4096 bytes) is refused here.
/// Then the container's sector chains ([`check_chains`]) and the records of the workbook
/// stream ([`check_biff`]) are checked, because calamine parses the whole workbook when it
/// opens it, trusting the sizes and counts written in the file.
fn check_sectors(bytes: &[u8], file: &str) -> Result<()> {
    let shift = bytes
        .get(30..32)
        .map(|b| u16::from_le_bytes([b[0], b[1]]))
        .unwrap_or(0);
    let whole = (shift == 9 || shift == 12) && {
        let sector = 1usize << shift;
        bytes.len() >= sector && bytes.len().is_multiple_of(sector)
    };
    if !whole {
        return Err(err(
            file,
            "berkas .xls rusak atau terpotong (tidak terdiri dari sektor utuh). Simpan ulang dari Excel sebagai .xlsx, atau sebagai CSV UTF-8.",
        ));
    }
    let bad = |what: &str| {
        err(
            file,
            format!("berkas .xls rusak ({what}). Simpan ulang dari Excel sebagai .xlsx, atau sebagai CSV UTF-8."),
        )
    };
    if let Some(stream) = check_chains(bytes, 1usize << shift).map_err(bad)? {
        check_biff(&stream).map_err(bad)?;
    }
    Ok(())
}

/// The sector chains of a compound file (the container of `.xls`), checked before
/// calamine follows them: calamine's reader follows a chain until its end mark, so a
/// chain that loops grows without bound (found by fuzzing: a 5.5 KB file asked for 2 GB),
/// and a sector number past the allocation table makes it index out of bounds. Here every
/// allocation-table entry must be an end mark or a sector of the table, no chain may loop,
/// every chain start (directory, mini table, streams) must be in range, and no stream may
/// declare more bytes than the file has.
///
/// Returns the workbook stream exactly as calamine 0.38 reads it (the first directory entry
/// named `Workbook`, else `Book`, compared as calamine does; a small stream from the mini
/// stream as long as the root entry says, with only as many mini-table sectors as the
/// header counts), or `None` when there is none.
fn check_chains(bytes: &[u8], sector: usize) -> std::result::Result<Option<Vec<u8>>, &'static str> {
    const RESERVED: u32 = 0xFFFF_FFFA;
    const DIFSECT: u32 = 0xFFFF_FFFC;
    const END: u32 = 0xFFFF_FFFE;
    let u32_at = |b: &[u8], i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
    let maxid = bytes.len() / sector;
    // Sector `id` starts after the header, which fills the first sector.
    let sector_at = |id: u32| -> std::result::Result<&[u8], &'static str> {
        let start = (id as usize + 1) * sector;
        bytes
            .get(start..start + sector)
            .ok_or("sektor di luar berkas")
    };
    // The DIFAT: 109 entries in the header, then a chain of DIFAT sectors.
    let mut difat: Vec<u32> = (0..109).map(|i| u32_at(bytes, 76 + 4 * i)).collect();
    let mut next = u32_at(bytes, 68);
    let mut steps = 0;
    while next < RESERVED {
        steps += 1;
        if steps > maxid + 1 {
            return Err("rantai DIFAT berputar");
        }
        let s = sector_at(next)?;
        difat.extend((0..sector / 4).map(|i| u32_at(s, 4 * i)));
        next = difat.pop().unwrap_or(END);
    }
    let mut fat: Vec<u32> = Vec::new();
    for &id in difat.iter().filter(|id| **id < DIFSECT) {
        let s = sector_at(id)?;
        fat.extend((0..sector / 4).map(|i| u32_at(s, 4 * i)));
    }
    acyclic(&fat)?;
    let chain = |start: u32, table: &[u32]| -> std::result::Result<Vec<u32>, &'static str> {
        let mut out = Vec::new();
        let mut id = start;
        while id != END {
            if id as usize >= table.len() {
                return Err("nomor sektor di luar tabel");
            }
            out.push(id);
            id = table[id as usize];
        }
        Ok(out)
    };
    // The directory: 128-byte entries.
    let mut dirs: Vec<u8> = Vec::new();
    for id in chain(u32_at(bytes, 48), &fat)? {
        dirs.extend_from_slice(sector_at(id)?);
    }
    // The mini table: calamine reads as many sectors of its chain as the header counts.
    let minifat_sectors = u32_at(bytes, 64) as usize;
    if minifat_sectors > maxid {
        return Err("tabel mini lebih besar dari berkas");
    }
    let mut minifat: Vec<u32> = Vec::new();
    if minifat_sectors > 0 {
        for id in chain(u32_at(bytes, 60), &fat)?
            .into_iter()
            .take(minifat_sectors)
        {
            let s = sector_at(id)?;
            minifat.extend((0..sector / 4).map(|i| u32_at(s, 4 * i)));
        }
        acyclic(&minifat)?;
    }
    // A stream's size: 32 bits with 512-byte sectors, 64 with 4096-byte ones (as calamine).
    let size = |entry: &[u8]| -> u64 {
        if sector == 512 {
            u64::from(u32_at(entry, 120))
        } else {
            u64::from(u32_at(entry, 120)) | (u64::from(u32_at(entry, 124)) << 32)
        }
    };
    let entries: Vec<&[u8]> = dirs.chunks_exact(128).collect();
    for (i, entry) in entries.iter().enumerate() {
        let start = u32_at(entry, 116);
        let len = size(entry);
        if len > bytes.len() as u64 {
            return Err("ukuran aliran melebihi ukuran berkas");
        }
        if start >= RESERVED {
            continue;
        }
        // The root entry's stream (the mini stream) and large streams live in sectors;
        // small streams in the mini stream.
        let table = if i == 0 || len >= 4096 {
            &fat
        } else {
            &minifat
        };
        chain(start, table)?;
    }
    // calamine's directory names: the 64 name bytes as UTF-16, up to the first NUL.
    let named = |want: &str| {
        entries.iter().find(|entry| {
            let name = encoding_rs::UTF_16LE.decode(&entry[..64]).0;
            let name = name.split('\0').next().unwrap_or("");
            name.eq_ignore_ascii_case(want)
        })
    };
    let Some(book) = named("Workbook").or_else(|| named("Book")) else {
        return Ok(None);
    };
    let (start, len) = (u32_at(book, 116), size(book) as usize);
    let mut stream = Vec::with_capacity(len);
    if len >= 4096 {
        for id in chain(start, &fat)? {
            stream.extend_from_slice(sector_at(id)?);
            if stream.len() >= len {
                break;
            }
        }
    } else {
        // A small stream lives in 64-byte sectors of the mini stream (the root entry's
        // stream, as long as the root entry says; calamine reads it only when there is a
        // mini table).
        let mut mini = Vec::new();
        if minifat_sectors > 0 {
            let root = entries.first().ok_or("direktori kosong")?;
            for id in chain(u32_at(root, 116), &fat)? {
                mini.extend_from_slice(sector_at(id)?);
            }
            mini.truncate(size(root) as usize);
        }
        for id in chain(start, &minifat)? {
            let at = id as usize * 64;
            stream.extend_from_slice(
                mini.get(at..at + 64)
                    .ok_or("sektor mini di luar aliran mini")?,
            );
            if stream.len() >= len {
                break;
            }
        }
    }
    stream.truncate(len);
    Ok(Some(stream))
}

/// The most cells (rows x columns from the first to the last cell) of all sheets of an
/// `.xls` together: 4 million (a 65,536-row sheet of 64 columns), about 128 MB in
/// calamine's grid. Also the most a sheet's DIMENSIONS record may declare (calamine
/// reserves room for that many cells).
const MAX_XLS_CELLS: u64 = 1 << 22;
/// The most characters a formula may insert into its text (spaces, line breaks, signs,
/// parentheses): Excel's limit on the length of a formula, 8,192 characters.
const MAX_FORMULA_INSERTS: u64 = 8192;
/// The most bytes of formula text calamine may build for all formulas of a workbook
/// (estimated from above, token by token).
const MAX_FORMULA_TEXT: u64 = 128 << 20;
/// The most work (characters moved) calamine's insertions into formula texts may cost.
const MAX_FORMULA_WORK: u64 = 1 << 31;
/// The most CONTINUE records after one record: more than 256 MB of full ones.
/// calamine takes them one by one from the front of a list, which costs the square of
/// their number.
const MAX_CONTINUES: usize = 1 << 15;

/// One BIFF record as calamine 0.38 reads it: its data, then the data of the CONTINUE
/// records right after it; `size` is the bytes it takes in the stream.
struct BiffRecord<'a> {
    typ: u16,
    data: &'a [u8],
    cont: Vec<&'a [u8]>,
    size: usize,
}

/// calamine's record walk (`RecordIter`): ends at the end of the stream, and sets `failed`
/// where calamine stops with an error (a record longer than what is left).
struct BiffRecords<'a> {
    rest: &'a [u8],
    failed: bool,
}

impl<'a> Iterator for BiffRecords<'a> {
    type Item = BiffRecord<'a>;
    fn next(&mut self) -> Option<BiffRecord<'a>> {
        let s = self.rest;
        let u16_at = |i: usize| u16::from_le_bytes([s[i], s[i + 1]]);
        let fail = |me: &mut Self| {
            me.failed = true;
            me.rest = &[];
            None
        };
        if s.len() < 4 {
            return if s.is_empty() { None } else { fail(self) };
        }
        let typ = u16_at(0);
        let len = u16_at(2) as usize;
        if s.len() < 4 + len {
            return fail(self);
        }
        let data = &s[4..4 + len];
        let mut at = 4 + len;
        let mut cont = Vec::new();
        while s.len() > at + 4 && u16_at(at) == 0x003C {
            let l = u16_at(at + 2) as usize;
            if s.len() < at + 4 + l {
                return fail(self);
            }
            cont.push(&s[at + 4..at + 4 + l]);
            at += 4 + l;
        }
        self.rest = &s[at..];
        Some(BiffRecord {
            typ,
            data,
            cont,
            size: at,
        })
    }
}

fn u16_in(d: &[u8], i: usize) -> Option<u16> {
    d.get(i..i + 2).map(|b| u16::from_le_bytes([b[0], b[1]]))
}

fn u32_in(d: &[u8], i: usize) -> Option<u32> {
    d.get(i..i + 4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

/// Whether a BOF record starts a BIFF8 stream (calamine's `parse_bof`).
fn bof_is_biff8(d: &[u8]) -> bool {
    match u16_in(d, 0).unwrap_or(0) {
        0x0200 | 0x0002 | 0x0007 | 0x0300 | 0x0400 | 0x0500 => false,
        0 => u16_in(d, 2).unwrap_or(0) != 0x1000,
        _ => true,
    }
}

/// The records of a workbook stream, checked the way calamine 0.38 parses them when it
/// opens an `.xls` (`Xls::parse_workbook`): calamine reads fields from records without
/// checking their length (a panic), and reserves memory from counts and sizes written in
/// the file (an out-of-memory: a DIMENSIONS record whose last row is before its first
/// asked for 900 GB, found by fuzzing). The general rule here: a record must hold every
/// field calamine reads from it, and a declared length or count may never exceed what
/// the record (and the stream) holds. Besides, all sheets' cells may span at most
/// [`MAX_XLS_CELLS`] (calamine builds a dense grid from each sheet's first to its last
/// cell), and sheets may not overlap in the stream (calamine walks each sheet from the
/// offset its BOUNDSHEET record gives, so a thousand records naming one sheet would
/// cost a thousand grids).
fn check_biff(stream: &[u8]) -> std::result::Result<(), &'static str> {
    const SHORT: &str = "catatan lebih pendek dari isinya";
    let mut biff8 = true;
    let mut sheets: Vec<usize> = Vec::new();
    let mut walked = 0usize;
    let mut longest_name = 0u64;
    let mut records = BiffRecords {
        rest: stream,
        failed: false,
    };
    // The workbook globals, up to their EOF.
    for r in records.by_ref() {
        walked += r.size;
        let d = r.data;
        match r.typ {
            // FilePass, CodePage, DateMode, BOF: a 16-bit field read unchecked.
            0x002F | 0x0042 | 0x0022 | 0x0809 if d.len() < 2 => return Err(SHORT),
            // FilePass: calamine stops (password).
            0x002F if u16_in(d, 0) != Some(0) => return Ok(()),
            0x0809 => biff8 = bof_is_biff8(d),
            // ExternSheet: a count.
            0x0017 if biff8 && d.len() < 2 => return Err(SHORT),
            // BoundSheet8: the sheet's offset in the stream, its state and type, its name.
            0x0085 => {
                let pos = u32_in(d, 0).ok_or(SHORT)? as usize;
                if d.len() < 6 {
                    return Err(SHORT);
                }
                if pos > stream.len() {
                    return Err("letak lembar di luar aliran workbook");
                }
                sheets.push(pos);
                longest_name = longest_name.max(u64::from(d.get(6).copied().unwrap_or(0)));
            }
            // Lbl (a defined name).
            0x0018 => check_lbl(d, biff8)?,
            // SST (the shared strings).
            0x00FC => check_sst(&r)?,
            0x000A => break,
            _ => {}
        }
    }
    if records.failed {
        // calamine stops with an error before reading any sheet.
        return Ok(());
    }
    // A sheet name's characters as UTF-8 (at most 3 bytes each), or "#REF".
    let sheet_name = (longest_name * 3).max(4);
    let mut cells_total = 0u64;
    let mut text = 0u64;
    let mut work = 0u64;
    for pos in sheets {
        let mut records = BiffRecords {
            rest: &stream[pos..],
            failed: false,
        };
        // (first row, last row, first column, last column) of the sheet's cells.
        let mut extent: Option<(u32, u32, u32, u32)> = None;
        let mut add = |r: u32, c0: u32, c1: u32| {
            extent = Some(match extent {
                None => (r, r, c0, c1),
                Some((a, b, c, d)) => (a.min(r), b.max(r), c.min(c0), d.max(c1)),
            });
        };
        let mut fmla = (0u32, 0u32);
        let (mut seen_bof, mut depth) = (false, 0usize);
        for r in records.by_ref() {
            walked += r.size;
            if walked > stream.len() {
                return Err("lembar-lembar saling menumpuk di dalam berkas");
            }
            // Nested substreams (embedded charts): calamine skips them.
            if depth > 0 {
                match r.typ {
                    0x0809 => depth += 1,
                    0x000A => depth -= 1,
                    _ => {}
                }
                continue;
            }
            let d = r.data;
            let at = |i: usize| u16_in(d, i).map(u32::from);
            match r.typ {
                0x0809 if seen_bof => depth += 1,
                0x0809 => seen_bof = true,
                0x000A => break,
                0x0200 => check_dimensions(d)?,
                // Number, BoolErr, Rk, LabelSst: row, column.
                0x0203 | 0x0205 | 0x027E | 0x00FD => {
                    if let (Some(row), Some(col)) = (at(0), at(2)) {
                        add(row, col, col);
                    }
                }
                // Label, RString: row, column, format, then a string.
                0x0204 | 0x00D6 => {
                    if let (Some(row), Some(col), Some(s)) = (at(0), at(2), d.get(6..)) {
                        check_string(s, biff8, 0)?;
                        add(row, col, col);
                    }
                }
                // String: the text value of the formula before it, at that formula's cell
                // (row 0, column 0 before any formula).
                0x0207 => {
                    check_string(d, biff8, r.cont.iter().map(|c| c.len()).sum())?;
                    add(fmla.0, fmla.1, fmla.1);
                }
                // MulRk: row, first column, 6 bytes per cell, last column.
                0x00BD if d.len() >= 6 => {
                    let (row, first) = (at(0).unwrap_or(0), at(2).unwrap_or(0));
                    let last = at(d.len() - 2).unwrap_or(0);
                    // calamine counts the cells in 16 bits: last - first + 1.
                    if last < first || last - first + 1 > 0xFFFF {
                        return Err("catatan MULRK rusak");
                    }
                    if d.len() == 6 + 6 * (last - first + 1) as usize {
                        add(row, first, last);
                    }
                }
                // MergeCells: a count, then 8 bytes per merged area. calamine reads them
                // without checking the length (a short record panicked, found by fuzzing).
                0x00E5 => {
                    let count = u16_in(d, 0).ok_or("catatan sel gabungan rusak")? as usize;
                    if d.len() < 2 + 8 * count {
                        return Err("catatan sel gabungan rusak");
                    }
                }
                // Formula: row, column, format, value (8), flags, then the parsed formula.
                0x0006 if d.len() >= 20 => {
                    let (row, col) = (at(0).unwrap_or(0), at(2).unwrap_or(0));
                    fmla = (row, col);
                    add(row, col, col);
                    let (t, inserts) = check_formula(&d[20..], biff8, sheet_name)?;
                    text += t;
                    work += inserts * t;
                    if text > MAX_FORMULA_TEXT || work > MAX_FORMULA_WORK {
                        return Err("rumus-rumus terlalu banyak atau terlalu panjang");
                    }
                }
                _ => {}
            }
        }
        cells_total += extent.map_or(0, |(r0, r1, c0, c1)| {
            (u64::from(r1 - r0) + 1) * (u64::from(c1 - c0) + 1)
        });
        if cells_total > MAX_XLS_CELLS {
            return Err(
                "sel tersebar terlalu luas: lebih dari 4 juta sel dari sel pertama sampai terakhir",
            );
        }
        if records.failed {
            // calamine stops with an error here.
            break;
        }
    }
    Ok(())
}

/// DIMENSIONS (calamine's `parse_dimensions`, then a reservation of rows x columns cells):
/// the last row and column may not be before the first (calamine's count wraps around to
/// billions: the out-of-memory found by fuzzing), and the area may not exceed
/// [`MAX_XLS_CELLS`].
fn check_dimensions(d: &[u8]) -> std::result::Result<(), &'static str> {
    let u16_at = |i: usize| u32::from(u16_in(d, i).unwrap_or(0));
    let (rf, rl, cf, cl) = match d.len() {
        10 => (u16_at(0), u16_at(2), u16_at(4), u16_at(6)),
        14 | 16 => (
            u32_in(d, 0).unwrap_or(0),
            u32_in(d, 4).unwrap_or(0),
            u16_at(8),
            u16_at(10),
        ),
        // calamine stops with an error.
        _ => return Ok(()),
    };
    let cf = if cf > 0xFF || cl < cf { 0 } else { cf };
    let (start, end) = if rl >= 1 && cl >= 1 {
        ((rf, cf), (rl - 1, cl - 1))
    } else {
        ((rf, cf), (rf, cf))
    };
    if end.0 < start.0 || end.1 < start.1 {
        return Err("ukuran lembar (catatan DIMENSIONS) tidak masuk akal: baris atau kolom terakhir sebelum yang pertama");
    }
    let area = (u64::from(end.0 - start.0) + 1) * (u64::from(end.1 - start.1) + 1);
    if area > MAX_XLS_CELLS {
        return Err("ukuran lembar (catatan DIMENSIONS) terlalu luas: lebih dari 4 juta sel");
    }
    Ok(())
}

/// A string with a 16-bit length (calamine's `parse_string`: it reserves that length
/// before reading): the length may not exceed the bytes the record holds (`more`: bytes
/// of CONTINUE records after it).
fn check_string(s: &[u8], biff8: bool, more: usize) -> std::result::Result<(), &'static str> {
    let head = if biff8 { 3 } else { 2 };
    match u16_in(s, 0) {
        Some(cch) if s.len() >= head && cch as usize > s.len() - head + more => {
            Err("panjang teks melebihi catatannya")
        }
        _ => Ok(()),
    }
}

/// Lbl, a defined name (calamine's `parse_lbl` and `parse_defined_names`): the fixed
/// fields, a formula length within the record, and the formula's first token whole.
fn check_lbl(d: &[u8], biff8: bool) -> std::result::Result<(), &'static str> {
    const BAD: &str = "catatan nama (NAME) rusak";
    if d.len() < 14 {
        return Err(BAD);
    }
    let cce = u16_in(d, 4).unwrap_or(0) as usize;
    if cce > d.len() {
        return Err(BAD);
    }
    let rgce = &d[d.len() - cce..];
    let need = match rgce.first() {
        Some(0x3a | 0x5a | 0x7a) => {
            if biff8 {
                7
            } else {
                18
            }
        }
        Some(0x3b | 0x5b | 0x7b) => {
            if biff8 {
                11
            } else {
                21
            }
        }
        Some(0x3c | 0x5c | 0x7c | 0x3d | 0x5d | 0x7d) => {
            if biff8 {
                3
            } else {
                13
            }
        }
        _ => 0,
    };
    if rgce.len() < need {
        return Err(BAD);
    }
    Ok(())
}

/// SST, the shared strings (calamine's `parse_sst`, `read_rich_extended_string`,
/// `read_dbcs`): the counts of formatting runs and of extended bytes must be in the record,
/// and a string continued in a CONTINUE record needs that record's flags byte.
fn check_sst(r: &BiffRecord) -> std::result::Result<(), &'static str> {
    const BAD: &str = "tabel teks bersama (SST) rusak";
    if r.cont.len() > MAX_CONTINUES {
        return Err("tabel teks bersama (SST) terpecah menjadi terlalu banyak catatan");
    }
    let Some(mut data) = r.data.get(8..) else {
        return Ok(());
    };
    let mut conts = r.cont.iter();
    loop {
        if data.is_empty() {
            match conts.next() {
                Some(c) => data = c,
                None => return Ok(()),
            }
            if data.is_empty() {
                continue;
            }
        }
        if data.len() < 3 {
            // calamine stops with an error.
            return Ok(());
        }
        let mut left = u16_in(data, 0).unwrap_or(0) as usize;
        let flags = data[2];
        data = &data[3..];
        let mut runs = 0usize;
        if flags & 0x8 != 0 {
            runs = u16_in(data, 0).ok_or(BAD)? as usize;
            data = &data[2..];
        }
        let mut ext = 0usize;
        if flags & 0x4 != 0 {
            // Read as a signed number, then widened: a negative one skips everything.
            ext = u32_in(data, 0).ok_or(BAD)? as i32 as isize as usize;
            data = &data[4..];
        }
        let mut wide = flags & 0x1 != 0;
        while left > 0 {
            let n = if wide {
                (data.len() / 2).min(left)
            } else {
                data.len().min(left)
            };
            data = &data[if wide { 2 * n } else { n }..];
            left -= n;
            if left > 0 {
                let Some(c) = conts.next() else {
                    return Ok(());
                };
                let (&f, rest) = c.split_first().ok_or(BAD)?;
                wide = f & 0x1 != 0;
                data = rest;
            }
        }
        for mut skip in [runs * 4, ext] {
            while skip > 0 {
                if data.is_empty() {
                    match conts.next() {
                        Some(c) => data = c,
                        None => return Ok(()),
                    }
                }
                let n = skip.min(data.len());
                data = &data[n..];
                skip -= n;
            }
        }
    }
}

/// A cell's parsed formula (calamine's `parse_formula`), token by token: every token must
/// be whole (calamine slices without checking), the 16-bit length must be within the
/// record, and insertions into the text are limited to [`MAX_FORMULA_INSERTS`]. Returns
/// an upper bound of the text calamine builds, in bytes, and the characters it inserts.
/// The walk stops where calamine stops with an error (an unknown token).
fn check_formula(
    rgce: &[u8],
    biff8: bool,
    sheet_name: u64,
) -> std::result::Result<(u64, u64), &'static str> {
    const BAD: &str = "rumus rusak";
    const ROW: &str = "rumus merujuk ke satu sel di baris 65.536, yang tidak dapat dibaca";
    let cce = u16_in(rgce, 0).ok_or(BAD)? as usize;
    let mut t = rgce.get(2..2 + cce).ok_or(BAD)?;
    let (mut text, mut inserts) = (0u64, 0u64);
    while let Some((&ptg, rest)) = t.split_first() {
        t = rest;
        // (bytes after the token id, most text it adds)
        let (need, adds) = match ptg {
            // PtgRef3d, PtgRef: calamine writes the row plus one in 16 bits.
            0x3a | 0x5a | 0x7a => {
                if u16_in(t, 2) == Some(0xFFFF) {
                    return Err(ROW);
                }
                (6, sheet_name + 14)
            }
            0x24 | 0x44 | 0x64 if biff8 => {
                if u16_in(t, 0) == Some(0xFFFF) {
                    return Err(ROW);
                }
                (4, 12)
            }
            0x24 | 0x44 | 0x64 => (3, 12),
            0x3b | 0x5b | 0x7b => (10, sheet_name + 26),
            0x3c | 0x5c | 0x7c => (6, sheet_name + 6),
            0x3d | 0x5d | 0x7d => (10, sheet_name + 6),
            0x01 if t.len() < 4 => break,
            0x01 => (4, 0),
            0x03..=0x11 => (0, 2),
            0x12..=0x15 => {
                inserts += u64::from(ptg != 0x14);
                (0, 2)
            }
            0x16 => (0, 0),
            0x17 => {
                let Some(&cch) = t.first() else { break };
                let cch = cch as usize;
                let bytes = if biff8 {
                    let Some(&flags) = t.get(1) else { break };
                    1 + if flags & 1 != 0 { 2 * cch } else { cch }
                } else {
                    cch
                };
                if t.len() < 1 + bytes {
                    break;
                }
                (1 + bytes, 2 + 3 * cch as u64)
            }
            0x18 => (5, 0),
            0x19 => match t.first() {
                None => return Err(BAD),
                Some(0x01 | 0x02 | 0x08 | 0x20 | 0x21) => (3, 0),
                Some(0x04) => {
                    let n = u16_in(t, 1).ok_or(BAD)? as usize + 1;
                    (3 + 2 * n, 0)
                }
                Some(0x10) => (3, 5),
                Some(0x40 | 0x41) => {
                    let cch = t.get(2).copied().ok_or(BAD)?;
                    inserts += u64::from(cch);
                    (3, u64::from(cch))
                }
                Some(_) => break,
            },
            0x1C | 0x1D => (1, 14),
            0x1E => (2, 5),
            // A number as Rust writes it: up to 330 characters (1e308 in full).
            0x1F => (8, 330),
            0x20 | 0x40 | 0x60 => (7, 10),
            // Functions: a name, parentheses and up to 255 commas.
            0x21 | 0x41 | 0x61 => (2, 280),
            0x22 | 0x42 | 0x62 => (3, 280),
            0x23 | 0x43 | 0x63 => {
                // PtgName: a 1-based index, which calamine lowers by one unchecked.
                if u32_in(t, 0) == Some(0) {
                    return Err(BAD);
                }
                (4, 1024)
            }
            0x25 | 0x45 | 0x65 => (if biff8 { 8 } else { 6 }, 24),
            0x2A | 0x4A | 0x6A => (if biff8 { 4 } else { 3 }, 5),
            0x2B | 0x4B | 0x6B => (if biff8 { 8 } else { 6 }, 5),
            0x39 | 0x59 => (6, 10),
            _ => break,
        };
        if t.len() < need {
            return Err(BAD);
        }
        t = &t[need..];
        text += adds;
        if inserts > MAX_FORMULA_INSERTS {
            return Err("rumus terlalu panjang");
        }
    }
    Ok((text + inserts, inserts))
}

/// Every entry of an allocation table is a reserved mark or an index into the table, and
/// following entries never loops (a functional graph without cycles).
fn acyclic(table: &[u32]) -> std::result::Result<(), &'static str> {
    const RESERVED: u32 = 0xFFFF_FFFA;
    if table
        .iter()
        .any(|&n| n < RESERVED && n as usize >= table.len())
    {
        return Err("nomor sektor di luar tabel");
    }
    // 0: not seen, 1: on the current walk, 2: known to end.
    let mut state = vec![0u8; table.len()];
    let mut walk: Vec<usize> = Vec::new();
    for start in 0..table.len() {
        let mut i = start;
        loop {
            match state[i] {
                2 => break,
                1 => return Err("rantai sektor berputar"),
                _ => {}
            }
            state[i] = 1;
            walk.push(i);
            let n = table[i];
            if n >= RESERVED {
                break;
            }
            i = n as usize;
        }
        for j in walk.drain(..) {
            state[j] = 2;
        }
    }
    Ok(())
}

fn open_book<'a>(bytes: &'a [u8], file: &str) -> Result<(Kind, Book<'a>)> {
    if bytes.len() > MAX_WORKBOOK_BYTES {
        return Err(err(
            file,
            format!(
                "workbook terlalu besar ({} MB; batas {} MB). Simpan daftar sebagai CSV.",
                bytes.len() >> 20,
                MAX_WORKBOOK_BYTES >> 20
            ),
        ));
    }
    match detect(bytes) {
        Some(Kind::Xlsx) => {
            check_zip(bytes, file)?;
            let b = calamine::Xlsx::new(Cursor::new(bytes)).map_err(|e| calamine_error(file, e))?;
            Ok((Kind::Xlsx, Book::Xlsx(b)))
        }
        Some(Kind::Xls) => {
            check_sectors(bytes, file)?;
            let b = calamine::Xls::new(Cursor::new(bytes)).map_err(|e| calamine_error(file, e))?;
            Ok((Kind::Xls, Book::Xls(b)))
        }
        None => Err(err(file, "bukan workbook Excel (.xlsx atau .xls).")),
    }
}

fn worksheets<RS: Read + Seek, B: Reader<RS>>(b: &B) -> Vec<(String, bool)> {
    b.sheets_metadata()
        .iter()
        .filter(|s| s.typ == SheetType::WorkSheet)
        .map(|s| (s.name.clone(), s.visible == SheetVisible::Visible))
        .collect()
}

impl Book<'_> {
    fn sheets(&self) -> Vec<(String, bool)> {
        match self {
            Book::Xlsx(b) => worksheets(b),
            Book::Xls(b) => worksheets(b),
        }
    }
}

/// The worksheets of a workbook, in order.
pub fn sheet_names(bytes: &[u8], file_name: &str) -> Result<Vec<String>> {
    let (_, book) = open_book(bytes, file_name)?;
    Ok(book.sheets().into_iter().map(|(n, _)| n).collect())
}

fn choose_sheet(sheets: &[(String, bool)], want: Option<&str>, file: &str) -> Result<String> {
    let names = || {
        sheets
            .iter()
            .map(|(n, _)| format!("'{n}'"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if sheets.is_empty() {
        return Err(err(file, "workbook tidak berisi lembar kerja (worksheet)."));
    }
    match want.map(str::trim).filter(|w| !w.is_empty()) {
        None => Ok(sheets
            .iter()
            .find(|(_, v)| *v)
            .unwrap_or(&sheets[0])
            .0
            .clone()),
        Some(w) => {
            if let Some((n, _)) = sheets.iter().find(|(n, _)| n == w) {
                return Ok(n.clone());
            }
            if let Some((n, _)) = sheets
                .iter()
                .find(|(n, _)| n.trim().to_lowercase() == w.to_lowercase())
            {
                return Ok(n.clone());
            }
            if let Ok(i) = w.parse::<usize>() {
                if (1..=sheets.len()).contains(&i) {
                    return Ok(sheets[i - 1].0.clone());
                }
            }
            Err(err(
                file,
                format!("lembar '{w}' tidak ada. Lembar yang ada: {}.", names()),
            ))
        }
    }
}

/// Reads a sheet of a workbook into its CSV form (see the module documentation). With no
/// sheet chosen, the first visible worksheet whose header names a field (the first visible
/// worksheet when none does).
pub fn read_sheet(bytes: &[u8], file_name: &str, opts: &InputOptions) -> Result<SheetTable> {
    let first = read_one_sheet(bytes, file_name, opts)?;
    if opts.sheet.is_some() || first.header_detected || first.sheets.len() < 2 {
        return Ok(first);
    }
    let (_, book) = open_book(bytes, file_name)?;
    for (name, visible) in book.sheets() {
        if !visible || name == first.sheet {
            continue;
        }
        let o = InputOptions {
            sheet: Some(name),
            ..opts.clone()
        };
        if let Ok(t) = read_one_sheet(bytes, file_name, &o) {
            if t.header_detected {
                return Ok(t);
            }
        }
    }
    Ok(first)
}

fn read_one_sheet(bytes: &[u8], file_name: &str, opts: &InputOptions) -> Result<SheetTable> {
    let (kind, mut book) = open_book(bytes, file_name)?;
    let sheets = book.sheets();
    let sheet = choose_sheet(&sheets, opts.sheet.as_deref(), file_name)?;
    if opts.header_row == Some(0) {
        return Err(err(
            file_name,
            "nomor baris judul dimulai dari 1 (baris pertama lembar).",
        ));
    }
    let mut merges: Vec<Dimensions> = match &mut book {
        Book::Xlsx(b) => b
            .merge_cells_by_sheet_name(&sheet)
            .map_err(|e| calamine_error(file_name, e))?,
        Book::Xls(b) => b
            .merge_cells_by_sheet_name(&sheet)
            .map_err(|e| calamine_error(file_name, e))?,
    };
    if merges.len() > MAX_MERGES {
        return Err(err(
            file_name,
            format!(
                "lembar '{sheet}' berisi {} sel gabungan (batas {MAX_MERGES}).",
                merges.len()
            ),
        ));
    }
    merges.retain(|d| d.start.0 <= d.end.0 && d.start.1 <= d.end.1);
    merges.sort_by_key(|d| d.start);
    let mut b = Builder::new(file_name, &sheet, opts, merges);
    match &mut book {
        Book::Xlsx(x) => {
            let mut cells = x
                .worksheet_cells_reader(&sheet)
                .map_err(|e| calamine_error(file_name, e))?;
            while let Some(c) = cells
                .next_cell()
                .map_err(|e| calamine_error(file_name, e))?
            {
                let (r, col) = c.get_position();
                if let Some(v) = V::from_ref(c.get_value()) {
                    b.push(r, col, v)?;
                }
            }
        }
        Book::Xls(x) => {
            let range = x
                .worksheet_range(&sheet)
                .map_err(|e| calamine_error(file_name, e))?;
            let (r0, c0) = range.start().unwrap_or((0, 0));
            for (r, c, d) in range.used_cells() {
                if let Some(v) = V::from_data(d) {
                    b.push(r0 + r as u32, c0 + c as u32, v)?;
                }
            }
        }
    }
    let mut t = b.finish()?;
    t.kind = kind;
    t.sheets = sheets.into_iter().map(|(n, _)| n).collect();
    Ok(t)
}

/// One sheet row: (column, value), columns ascending.
type RowCells = Vec<(u32, V)>;

struct Header {
    /// 0-based sheet rows.
    first: u32,
    last: u32,
    /// First and last column of the table.
    c0: u32,
    c1: u32,
    names: Vec<String>,
    detected: bool,
    /// Column indexes (relative to c0) holding NIK or No. KK.
    id_cols: Vec<usize>,
}

/// Receives cells in row order and writes the CSV form.
struct Builder<'a> {
    file: &'a str,
    sheet: &'a str,
    opts: &'a InputOptions,
    merges: Vec<Dimensions>,
    /// Merges whose top-left value is known: (region, value).
    active: Vec<(Dimensions, V)>,
    next_merge: usize,
    /// Rows kept until the header is known.
    pending: Vec<(u32, RowCells)>,
    search_until: u32,
    cur_row: Option<u32>,
    cur: RowCells,
    header: Option<Header>,
    csv: Vec<u8>,
    /// Lines written so far.
    lines: u64,
    rows: u64,
    damaged: u64,
    outside: u64,
    record: Vec<String>,
}

impl<'a> Builder<'a> {
    fn new(
        file: &'a str,
        sheet: &'a str,
        opts: &'a InputOptions,
        merges: Vec<Dimensions>,
    ) -> Builder<'a> {
        let search_until = match opts.header_row {
            Some(h) => h.saturating_add(6),
            None => HEADER_SEARCH_ROWS,
        };
        Builder {
            file,
            sheet,
            opts,
            merges,
            active: Vec::new(),
            next_merge: 0,
            pending: Vec::new(),
            search_until,
            cur_row: None,
            cur: Vec::new(),
            header: None,
            csv: Vec::new(),
            lines: 0,
            rows: 0,
            damaged: 0,
            outside: 0,
            record: Vec::new(),
        }
    }

    fn push(&mut self, row: u32, col: u32, v: V) -> Result<()> {
        match self.cur_row {
            Some(r) if r == row => {}
            Some(r) if row < r => {
                return Err(Error::invalid(
                    self.file,
                    Some(u64::from(row) + 1),
                    None,
                    format!("lembar '{}': baris tidak berurutan (baris {} sesudah baris {}). Buka dan simpan ulang berkas di Excel.", self.sheet, row + 1, r + 1),
                ));
            }
            _ => {
                self.end_row()?;
                self.cur_row = Some(row);
            }
        }
        if v.is_blank() {
            return Ok(());
        }
        self.cur.push((col, v));
        Ok(())
    }

    /// Completes the current row.
    fn end_row(&mut self) -> Result<()> {
        let Some(r) = self.cur_row.take() else {
            return Ok(());
        };
        let mut cells = std::mem::take(&mut self.cur);
        cells.sort_by_key(|(c, _)| *c);
        cells.dedup_by_key(|(c, _)| *c);
        self.fill_merges(r, &mut cells);
        if self.header.is_none() {
            if r < self.search_until {
                self.pending.push((r, cells));
                return Ok(());
            }
            self.find_header()?;
        }
        self.write_row(r, &cells)
    }

    /// Fills cells covered by a merged region with the region's top-left value.
    fn fill_merges(&mut self, r: u32, cells: &mut RowCells) {
        while self.next_merge < self.merges.len() && self.merges[self.next_merge].start.0 <= r {
            let d = self.merges[self.next_merge];
            self.next_merge += 1;
            if d.start.0 == r {
                if let Some((_, v)) = cells.iter().find(|(c, _)| *c == d.start.1) {
                    self.active.push((d, v.clone()));
                }
            }
        }
        self.active.retain(|(d, _)| d.end.0 >= r);
        if self.active.is_empty() || cells.is_empty() {
            return;
        }
        let mut added = false;
        for (d, v) in &self.active {
            for c in d.start.1..=d.end.1.min(d.start.1 + crate::table::MAX_COLUMNS as u32) {
                if (r, c) == d.start {
                    continue;
                }
                if !cells.iter().any(|(x, _)| *x == c) {
                    cells.push((c, v.clone()));
                    added = true;
                }
            }
        }
        if added {
            cells.sort_by_key(|(c, _)| *c);
        }
    }

    fn find_header(&mut self) -> Result<()> {
        let rows = std::mem::take(&mut self.pending);
        let header = choose_header(&rows, &self.merges, self.opts, self.file)?;
        self.header = Some(header);
        // Header line at the sheet row of its last row.
        let h = self.header.as_ref().expect("set");
        let (last, names) = (h.last, h.names.clone());
        self.blank_lines_to(u64::from(last))?;
        self.write_record_of(&names)?;
        for (r, cells) in rows {
            if r > last {
                self.write_row(r, &cells)?;
            }
        }
        Ok(())
    }

    fn blank_lines_to(&mut self, line_before: u64) -> Result<()> {
        // An empty line is written as "\r\n": the reader skips it like an empty line, and
        // (unlike a bare "\n" after a record) the csv crate counts it, so line numbers stay
        // the sheet's row numbers.
        while self.lines < line_before {
            self.csv.extend_from_slice(b"\r\n");
            self.lines += 1;
        }
        Ok(())
    }

    fn write_record_of(&mut self, fields: &[String]) -> Result<()> {
        write_csv_record(&mut self.csv, fields);
        self.lines += 1;
        if self.csv.len() > MAX_CSV_BYTES {
            return Err(err(
                self.file,
                format!(
                    "lembar '{}' terlalu besar (lebih dari {} MB sebagai teks). Simpan daftar sebagai CSV.",
                    self.sheet,
                    MAX_CSV_BYTES >> 20
                ),
            ));
        }
        Ok(())
    }

    fn write_row(&mut self, r: u32, cells: &RowCells) -> Result<()> {
        let h = self.header.as_ref().expect("header known");
        let (c0, c1) = (h.c0, h.c1);
        let width = (c1 - c0 + 1) as usize;
        let mut any = false;
        self.record.clear();
        self.record.resize(width, String::new());
        let mut damaged = 0;
        let mut outside = 0;
        for (c, v) in cells {
            if *c < c0 || *c > c1 {
                if !v.is_blank() {
                    outside += 1;
                }
                continue;
            }
            let i = (*c - c0) as usize;
            let text = if h.id_cols.contains(&i) {
                let (t, bad) = v.id_text();
                damaged += u64::from(bad);
                t
            } else {
                v.text()
            };
            any |= !text.trim().is_empty();
            self.record[i] = text;
        }
        self.outside += outside;
        if !any {
            return Ok(());
        }
        self.damaged += damaged;
        self.rows += 1;
        self.blank_lines_to(u64::from(r))?;
        let rec = std::mem::take(&mut self.record);
        let res = self.write_record_of(&rec);
        self.record = rec;
        res
    }

    fn finish(mut self) -> Result<SheetTable> {
        self.end_row()?;
        if self.header.is_none() {
            self.find_header()?;
        }
        let h = self.header.take().expect("header known");
        let csv = std::mem::take(&mut self.csv);
        Ok(SheetTable {
            file_name: self.file.to_string(),
            kind: Kind::Xlsx,
            sheets: Vec::new(),
            sheet: self.sheet.to_string(),
            header_rows: (h.first + 1, h.last + 1),
            header_detected: h.detected,
            header: h.names,
            rows: self.rows,
            damaged_numbers: self.damaged,
            cells_outside: self.outside,
            csv,
        })
    }
}

/// One CSV record (comma, `\n`), quoting only where needed. A lone empty field is written
/// as `""` so that no record is an empty line.
fn write_csv_record(out: &mut Vec<u8>, fields: &[String]) {
    if fields.len() == 1 && fields[0].is_empty() {
        out.extend_from_slice(b"\"\"\n");
        return;
    }
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        if f.contains([',', '"', '\n', '\r']) {
            out.push(b'"');
            out.extend_from_slice(f.replace('"', "\"\"").as_bytes());
            out.push(b'"');
        } else {
            out.extend_from_slice(f.as_bytes());
        }
    }
    out.push(b'\n');
}

/// How well a candidate header names the fields: fields found by the synonyms plus the
/// user's column choices found in it.
fn score(names: &[String], opts: &InputOptions, file: &str) -> usize {
    let m = Mapping::build(names, &BTreeMap::new(), file)
        .map(|m| m.columns.len())
        .unwrap_or(0);
    let folded: Vec<String> = names
        .iter()
        .map(|n| crate::columns::fold_header(n))
        .collect();
    let chosen = opts
        .columns
        .values()
        .filter(|c| {
            !c.trim().is_empty()
                && (names.iter().any(|n| n == *c)
                    || folded.contains(&crate::columns::fold_header(c)))
        })
        .count();
    m + chosen
}

/// Whether a header text alone names a field.
fn names_field(s: &str) -> bool {
    !s.trim().is_empty()
        && Mapping::build(&[s.to_string()], &BTreeMap::new(), "")
            .map(|m| !m.columns.is_empty())
            .unwrap_or(false)
}

/// The header of the rows `first..=last`, with columns `c0..=c1`.
fn header_names(
    rows: &[(u32, RowCells)],
    first: u32,
    last: u32,
    c0: u32,
    c1: u32,
    merges: &[Dimensions],
) -> Vec<String> {
    let width = (c1 - c0 + 1) as usize;
    let mut parts: Vec<Vec<(String, bool)>> = vec![Vec::new(); width];
    for (r, cells) in rows.iter().filter(|(r, _)| (first..=last).contains(r)) {
        for (c, v) in cells {
            if *c < c0 || *c > c1 {
                continue;
            }
            let text = v.text().trim().to_string();
            if text.is_empty() {
                continue;
            }
            // A value spread across several columns is a group label.
            let group = merges.iter().any(|d| {
                d.start.0 <= *r
                    && *r <= d.end.0
                    && d.start.1 <= *c
                    && *c <= d.end.1
                    && d.end.1 > d.start.1
            });
            let p = &mut parts[(*c - c0) as usize];
            if p.last().map(|(t, _)| t) != Some(&text) {
                p.push((text, group));
            }
        }
    }
    parts
        .into_iter()
        .map(|p| match p.len() {
            0 => String::new(),
            1 => p[0].0.clone(),
            _ => {
                let bottom = &p[p.len() - 1].0;
                if names_field(bottom) {
                    return bottom.clone();
                }
                if let Some((t, _)) = p.iter().find(|(t, g)| !g && names_field(t)) {
                    return t.clone();
                }
                p.iter()
                    .map(|(t, _)| t.as_str())
                    .collect::<Vec<_>>()
                    .join(" - ")
            }
        })
        .collect()
}

fn choose_header(
    rows: &[(u32, RowCells)],
    merges: &[Dimensions],
    opts: &InputOptions,
    file: &str,
) -> Result<Header> {
    // The last row of a header starting at row r: merged cells reaching down from it.
    let block_end = |r: u32| {
        merges
            .iter()
            .filter(|d| d.start.0 == r && d.end.0 > r)
            .map(|d| d.end.0.min(r + 4))
            .max()
            .unwrap_or(r)
    };
    // Inside a merge from an earlier row: not a header start.
    let inside = |r: u32| merges.iter().any(|d| d.start.0 < r && r <= d.end.0);
    let columns = |first: u32, last: u32| -> Option<(u32, u32)> {
        let mut cols = rows
            .iter()
            .filter(|(r, _)| (first..=last).contains(r))
            .flat_map(|(_, cells)| cells.iter().filter(|(_, v)| !v.is_blank()).map(|(c, _)| *c));
        let f = cols.next()?;
        Some(cols.fold((f, f), |(a, b), c| (a.min(c), b.max(c))))
    };
    let (first, last, detected) = match opts.header_row {
        Some(h) => {
            let r = h - 1;
            (r, block_end(r), false)
        }
        None => {
            let mut best: Option<(usize, u32, u32)> = None;
            for (r, _) in rows {
                if inside(*r) {
                    continue;
                }
                let last = block_end(*r);
                let Some((c0, c1)) = columns(*r, last) else {
                    continue;
                };
                let s = score(&header_names(rows, *r, last, c0, c1, merges), opts, file);
                if s > 0 && best.is_none_or(|(b, _, _)| s > b) {
                    best = Some((s, *r, last));
                }
            }
            match best {
                Some((_, r, last)) => (r, last, true),
                None => match rows
                    .iter()
                    .find(|(_, c)| c.iter().any(|(_, v)| !v.is_blank()))
                {
                    Some((r, _)) => (*r, block_end(*r), false),
                    None => {
                        return Err(err(
                            file,
                            "lembar kosong: tidak ada baris judul maupun data.",
                        ))
                    }
                },
            }
        }
    };
    let Some((c0, c1)) = columns(first, last) else {
        return Err(Error::invalid(
            file,
            Some(u64::from(first) + 1),
            None,
            format!(
                "baris judul {} kosong: pilih baris judul yang berisi nama kolom.",
                first + 1
            ),
        ));
    };
    let width = (c1 - c0 + 1) as usize;
    if width > crate::table::MAX_COLUMNS {
        return Err(Error::invalid(
            file,
            Some(u64::from(first) + 1),
            None,
            format!(
                "baris judul terlalu lebar ({width} kolom; batas {}).",
                crate::table::MAX_COLUMNS
            ),
        ));
    }
    let names = header_names(rows, first, last, c0, c1, merges);
    let id_cols = match Mapping::build(&names, &opts.columns, file) {
        Ok(m) => [Field::Nik, Field::NoKk]
            .iter()
            .filter_map(|f| m.get(*f))
            .collect(),
        // The error is reported again, with context, when the list is read.
        Err(_) => Mapping::build(&names, &BTreeMap::new(), file)
            .map(|m| {
                [Field::Nik, Field::NoKk]
                    .iter()
                    .filter_map(|f| m.get(*f))
                    .collect()
            })
            .unwrap_or_default(),
    };
    Ok(Header {
        first,
        last,
        c0,
        c1,
        names,
        detected,
        id_cols,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_numbers() {
        assert_eq!(
            id_number_text(3_209_015_501_800_001.0),
            ("3209015501800001".into(), false)
        );
        let (s, bad) = id_number_text(3_209_015_501_800_000.0);
        assert!(bad && s.contains("E+15"), "{s}");
        assert!(crate::nik::check_nik(&s, 2026).info.is_none());
        // Above 2^53 (Papua province codes 91-96): never exact.
        assert!(id_number_text(9_171_015_501_800_002.0).1);
        assert_eq!(id_number_text(320_901.0), ("320901".into(), false));
        assert_eq!(number_text(0.5), "0.5");
        assert_eq!(number_text(-12.0), "-12");
    }

    #[test]
    fn detect_kinds() {
        assert_eq!(detect(b"PK\x03\x04rest"), Some(Kind::Xlsx));
        assert_eq!(
            detect(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0]),
            Some(Kind::Xls)
        );
        assert_eq!(detect(b"NIK,NAMA\n"), None);
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod workbook_tests {
    use super::*;
    use crate::table::{Dialect, Encoding, TableReader};
    use rust_xlsxwriter::{Format, Workbook};

    fn rows_of(t: &SheetTable) -> Vec<(u64, Vec<String>)> {
        let d = Dialect {
            delimiter: b',',
            encoding: Encoding::Utf8,
            bom: false,
        };
        let mut r = TableReader::new(&t.csv[..], "x.xlsx", d).unwrap();
        assert_eq!(r.header, t.header);
        let mut out = Vec::new();
        while let Some(row) = r.next_row().unwrap() {
            out.push((row.line, row.fields.to_vec()));
        }
        out
    }

    fn opts() -> InputOptions {
        InputOptions::default()
    }

    #[test]
    fn title_rows_numbers_dates_and_sheet_rows() {
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet().set_name("Catatan").unwrap();
        ws.write_string(0, 0, "bukan daftar").unwrap();
        let ws = wb.add_worksheet().set_name("DATA").unwrap();
        ws.merge_range(0, 0, 0, 4, "DAFTAR PENERIMA BLT DESA 2025", &Format::new())
            .unwrap();
        ws.write_string(1, 0, "Desa Sumber").unwrap();
        for (c, h) in ["NO", "NIK", "NAMA", "TGL LAHIR", "JK"].iter().enumerate() {
            ws.write_string(3, c as u16, *h).unwrap();
        }
        let date = Format::new().set_num_format("dd/mm/yyyy");
        // Row 5: exact NIK as a number, a date cell.
        ws.write_number(4, 0, 1).unwrap();
        ws.write_number(4, 1, 3_209_015_501_800_001.0).unwrap();
        ws.write_string(4, 2, "SITI\nAMINAH, S.PD").unwrap();
        ws.write_datetime_with_format(
            4,
            3,
            rust_xlsxwriter::ExcelDateTime::from_ymd(1980, 4, 3).unwrap(),
            &date,
        )
        .unwrap();
        ws.write_string(4, 4, "P").unwrap();
        // Row 7 (row 6 empty): a NIK rounded by Excel to 15 significant digits.
        ws.write_number(6, 0, 2).unwrap();
        ws.write_number(6, 1, 3_209_015_501_800_000.0).unwrap();
        ws.write_string(6, 2, "BUDI").unwrap();
        ws.write_string(6, 3, "1975-01-02").unwrap();
        ws.write_string(6, 4, "L").unwrap();
        ws.write_string(6, 9, "catatan di luar tabel").unwrap();
        let bytes = wb.save_to_buffer().unwrap();

        assert_eq!(
            sheet_names(&bytes, "x.xlsx").unwrap(),
            vec!["Catatan", "DATA"]
        );
        let mut o = opts();
        o.sheet = Some("data".into());
        let t = read_sheet(&bytes, "x.xlsx", &o).unwrap();
        assert_eq!(t.sheet, "DATA");
        assert_eq!(t.header_rows, (4, 4));
        assert!(t.header_detected);
        assert_eq!(t.header, vec!["NO", "NIK", "NAMA", "TGL LAHIR", "JK"]);
        assert_eq!((t.rows, t.damaged_numbers, t.cells_outside), (2, 1, 1));
        let rows = rows_of(&t);
        assert_eq!(rows[0].0, 5, "data row keeps its sheet row number");
        assert_eq!(
            rows[0].1,
            vec![
                "1",
                "3209015501800001",
                "SITI AMINAH, S.PD",
                "1980-04-03",
                "P"
            ]
        );
        assert_eq!(rows[1].0, 7);
        assert!(rows[1].1[1].contains("E+15"), "{:?}", rows[1].1);
        let c = crate::nik::check_nik(&rows[1].1[1], 2026);
        assert!(c
            .problems
            .contains(&crate::nik::NikProblem::SpreadsheetDamage));

        // The sheet by number; a missing sheet names the ones there are.
        o.sheet = Some("2".into());
        assert_eq!(read_sheet(&bytes, "x.xlsx", &o).unwrap().sheet, "DATA");
        o.sheet = Some("REKAP".into());
        let e = read_sheet(&bytes, "x.xlsx", &o).unwrap_err().to_string();
        assert!(e.contains("REKAP") && e.contains("'DATA'"), "{e}");
        // By default the first visible sheet with a header: not the notes sheet.
        let t = read_sheet(&bytes, "x.xlsx", &opts()).unwrap();
        assert_eq!((t.sheet.as_str(), t.header_detected), ("DATA", true));
        o.sheet = Some("Catatan".into());
        let t = read_sheet(&bytes, "x.xlsx", &o).unwrap();
        assert_eq!((t.sheet.as_str(), t.header_detected), ("Catatan", false));
        // An explicit header row.
        let mut o = opts();
        o.sheet = Some("DATA".into());
        o.header_row = Some(2);
        let t = read_sheet(&bytes, "x.xlsx", &o).unwrap();
        assert_eq!(t.header_rows, (2, 2));
        assert_eq!(t.header, vec!["Desa Sumber"]);
    }

    #[test]
    fn merged_two_row_header() {
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet();
        let f = Format::new();
        ws.write_string(0, 0, "REKAP DATA").unwrap();
        ws.merge_range(1, 0, 2, 0, "NO", &f).unwrap();
        ws.merge_range(1, 1, 1, 2, "IDENTITAS", &f).unwrap();
        ws.write_string(2, 1, "NIK").unwrap();
        ws.write_string(2, 2, "NAMA LENGKAP").unwrap();
        ws.merge_range(1, 3, 1, 4, "JENIS KELAMIN", &f).unwrap();
        ws.write_string(2, 3, "L").unwrap();
        ws.write_string(2, 4, "P").unwrap();
        ws.merge_range(1, 5, 2, 5, "TGL_LAHIR", &f).unwrap();
        ws.merge_range(1, 6, 2, 6, "NO KK", &f).unwrap();
        ws.write_string(3, 0, "1").unwrap();
        ws.write_string(3, 1, "3209015501800001").unwrap();
        ws.write_string(3, 2, "SITI").unwrap();
        ws.write_string(3, 4, "v").unwrap();
        ws.write_string(3, 5, "15-01-1980").unwrap();
        // A family's No. KK merged down over its members.
        ws.merge_range(3, 6, 4, 6, "3209010101100002", &f).unwrap();
        ws.write_string(4, 0, "2").unwrap();
        ws.write_string(4, 2, "ANI").unwrap();
        let bytes = wb.save_to_buffer().unwrap();
        let t = read_sheet(&bytes, "m.xlsx", &opts()).unwrap();
        assert_eq!(t.header_rows, (2, 3));
        assert_eq!(
            t.header,
            vec![
                "NO",
                "NIK",
                "NAMA LENGKAP",
                "JENIS KELAMIN - L",
                "JENIS KELAMIN - P",
                "TGL_LAHIR",
                "NO KK"
            ]
        );
        let rows = rows_of(&t);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].0, 4);
        assert_eq!(rows[0].1[6], "3209010101100002");
        assert_eq!(rows[1].1[6], "3209010101100002", "merged value filled down");
        let m = Mapping::build(&t.header, &BTreeMap::new(), "m.xlsx").unwrap();
        assert_eq!(
            m.get(Field::Sex),
            None,
            "L/P sub-columns are not the sex column"
        );
        assert_eq!(m.get(Field::Name), Some(2));
    }

    /// The real BIFF8 fixture (xlwt), with `f` applied to its bytes.
    fn patched_xls(f: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
        let mut b = include_bytes!("../tests/fixtures/bantuan.xls").to_vec();
        f(&mut b);
        b
    }

    /// The file offset of the `n`-th record of kind `typ` with data length `len`.
    fn record_at(b: &[u8], typ: u16, len: u16, n: usize) -> usize {
        let mut head = typ.to_le_bytes().to_vec();
        head.extend(len.to_le_bytes());
        b.windows(4)
            .enumerate()
            .filter(|(_, w)| *w == &head[..])
            .nth(n)
            .expect("the fixture has this record")
            .0
    }

    fn xls_error(b: &[u8]) -> String {
        check_sectors(b, "f.xls").unwrap_err().to_string()
    }

    #[test]
    fn xls_records_are_checked_before_calamine_reads_them() {
        // The fixture itself passes.
        check_sectors(&patched_xls(|_| {}), "f.xls").unwrap();
        // DIMENSIONS whose last row is before its first: calamine's count of rows wraps
        // around and it reserved 900 GB (found by fuzzing).
        let b = patched_xls(|b| {
            let i = record_at(b, 0x0200, 14, 1);
            b[i + 4..i + 8].copy_from_slice(&0x2000_0000u32.to_le_bytes());
        });
        let e = xls_error(&b);
        assert!(
            e.contains("f.xls") && e.contains("DIMENSIONS") && e.contains(".xlsx"),
            "{e}"
        );
        // DIMENSIONS declaring the whole BIFF8 grid (65,536 x 256).
        let b = patched_xls(|b| {
            let i = record_at(b, 0x0200, 14, 1);
            b[i + 8..i + 12].copy_from_slice(&65_536u32.to_le_bytes());
            b[i + 14..i + 16].copy_from_slice(&256u16.to_le_bytes());
        });
        assert!(xls_error(&b).contains("terlalu luas"));
        // A LABEL whose 16-bit length claims 65,535 characters in a 10-byte record
        // (calamine reserves the length: 64 KB for every such record).
        let b = patched_xls(|b| {
            let i = record_at(b, 0x00FD, 10, 0);
            b[i..i + 2].copy_from_slice(&0x0204u16.to_le_bytes());
            b[i + 10..i + 12].copy_from_slice(&0xFFFFu16.to_le_bytes());
        });
        assert!(xls_error(&b).contains("panjang teks"));
        // Two BOUNDSHEET records pointing at the same sheet: calamine would read (and
        // build the grid of) that sheet twice.
        let b = patched_xls(|b| {
            let second = record_at(b, 0x0085, 12, 0);
            let first = record_at(b, 0x0085, 16, 0);
            let pos = b[second + 4..second + 8].to_vec();
            b[first + 4..first + 8].copy_from_slice(&pos);
        });
        assert!(xls_error(&b).contains("menumpuk"));
        // A BOUNDSHEET offset past the stream (calamine slices the stream there).
        let b = patched_xls(|b| {
            let i = record_at(b, 0x0085, 12, 0);
            b[i + 4..i + 8].copy_from_slice(&0x00FF_FFFFu32.to_le_bytes());
        });
        assert!(xls_error(&b).contains("letak lembar"));
    }

    #[test]
    fn biff_record_rules() {
        // Formulas: a whole PtgInt is fine; a token cut short, a length past the record,
        // a 1-based name index of 0, and too many inserted spaces are refused.
        assert_eq!(check_formula(&[3, 0, 0x1E, 5, 0], true, 4), Ok((5, 0)));
        assert!(check_formula(&[3, 0, 0x1E, 5], true, 4).is_err());
        assert!(check_formula(&[2, 0, 0x1F, 0, 0], true, 4).is_err());
        assert!(check_formula(&[5, 0, 0x23, 0, 0, 0, 0], true, 4).is_err());
        assert!(check_formula(&[], true, 4).is_err());
        let mut spaces = vec![0, 0, 0x1E, 1, 0];
        for _ in 0..40 {
            spaces.extend([0x19, 0x40, 0, 255]);
        }
        let n = (spaces.len() - 2) as u16;
        spaces[..2].copy_from_slice(&n.to_le_bytes());
        assert_eq!(
            check_formula(&spaces, true, 4),
            Err("rumus terlalu panjang")
        );
        // An unknown token: calamine stops there with an error (no panic), so does the walk.
        assert!(check_formula(&[3, 0, 0xFF, 0xFF, 0xFF], true, 4).is_ok());
        // Strings: the length must fit in the record.
        assert!(check_string(&[3, 0, 0, b'a', b'b', b'c'], true, 0).is_ok());
        assert!(check_string(&[4, 0, 0, b'a', b'b', b'c'], true, 0).is_err());
        assert!(check_string(&[4, 0, 0, b'a', b'b', b'c'], true, 1).is_ok());
        // A defined name: fixed fields and its formula within the record.
        assert!(check_lbl(&[0; 13], true).is_err());
        let mut lbl = vec![0u8; 14];
        lbl[4] = 15;
        assert!(check_lbl(&lbl, true).is_err());
        lbl[4] = 1;
        lbl[13] = 0x3a;
        assert!(
            check_lbl(&lbl, true).is_err(),
            "a PtgRef3d needs 6 more bytes"
        );
        // Shared strings: a rich string's run count must be in the record.
        let sst = |data: &'static [u8], cont: Vec<&'static [u8]>| BiffRecord {
            typ: 0x00FC,
            data,
            cont,
            size: 0,
        };
        assert!(check_sst(&sst(&[0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, b'a'], vec![])).is_ok());
        assert!(check_sst(&sst(&[0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 8, 1], vec![])).is_err());
        // A string continued into an empty CONTINUE record (calamine reads its flags byte).
        assert!(check_sst(&sst(&[0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, b'a'], vec![&[]])).is_err());
        assert!(check_sst(&sst(
            &[0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, b'a'],
            vec![&[0, b'b']]
        ))
        .is_ok());
    }

    #[test]
    fn zip_bombs_and_broken_containers_are_refused() {
        use std::io::Write;
        let mut buf = Cursor::new(Vec::new());
        {
            let mut z = zip::ZipWriter::new(&mut buf);
            let o = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated);
            z.start_file("xl/workbook.xml", o).unwrap();
            z.write_all(b"<workbook/>").unwrap();
            z.start_file("xl/worksheets/sheet1.xml", o).unwrap();
            let zeros = vec![b' '; 1 << 20];
            for _ in 0..4 {
                z.write_all(&zeros).unwrap();
            }
            z.finish().unwrap();
        }
        let bytes = buf.into_inner();
        assert!(bytes.len() < 64 * 1024);
        let e = check_zip_limit(&bytes, "bom.xlsx", 1 << 20)
            .unwrap_err()
            .to_string();
        assert!(e.contains("bom.xlsx") && e.contains("zip bomb"), "{e}");
        check_zip_limit(&bytes, "bom.xlsx", 8 << 20).unwrap();
        let e = read_sheet(&bytes[..bytes.len() / 2], "cut.xlsx", &opts())
            .unwrap_err()
            .to_string();
        assert!(e.contains("cut.xlsx") && e.contains("rusak"), "{e}");
    }
}
