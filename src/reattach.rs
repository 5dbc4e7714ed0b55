//! Re-attachment: the office's own list, every row unchanged, with status columns added
//! (Indonesian column names). References are recomputed from the original file and the
//! key, so the office keeps no mapping table between tokenizing and now.

use std::collections::{BTreeMap, HashMap};
use std::io::{Read, Write};

use serde::Serialize;

use crate::error::{Error, Result};
use crate::keys::{Secret, Token};
use crate::pipeline::{Context, InputOptions, Progress};
use crate::record::RowIssue;
use crate::result::{read_result, ResultRow};
use crate::tokens::{describe_reason, open_list, reject_reason};

/// Columns added to the list.
pub const ADDED: [&str; 5] = [
    "PADAN_STATUS",
    "PADAN_GANDA",
    "PADAN_DI_DAFTAR_ACUAN",
    "PADAN_DAFTAR_LAIN",
    "PADAN_KETERANGAN",
];

#[derive(Clone, Debug, Default, Serialize)]
pub struct ReattachSummary {
    pub input_file: String,
    pub output_file: String,
    pub rows: u64,
    /// Label -> rows.
    pub statuses: BTreeMap<String, u64>,
    /// Rows that were rejected when tokenizing (not sent).
    pub rejected: u64,
    /// Rows whose reference is not in the result: edited since tokenizing, or another file.
    pub changed: u64,
    /// Result rows that matched no row of this list.
    pub result_rows_unused: u64,
}

/// Prefixes a value a spreadsheet would run as a formula with `'`. Plain numbers such as
/// `-5` or `+62812...` are left alone (they are not formulas).
pub fn escape_formula(v: &str) -> std::borrow::Cow<'_, str> {
    let first = v.chars().next();
    let risky = match first {
        Some('=' | '@' | '\t' | '\r') => true,
        Some('+' | '-') => {
            v.len() > 1
                && !v[1..]
                    .bytes()
                    .all(|b| b.is_ascii_digit() || b == b'.' || b == b' ')
        }
        _ => false,
    };
    if risky {
        std::borrow::Cow::Owned(format!("'{v}"))
    } else {
        std::borrow::Cow::Borrowed(v)
    }
}

/// Writes the annotated list (UTF-8 with BOM, the input's delimiter). Nothing is written
/// to `out` before the result file has been checked against the key and the list.
#[allow(clippy::too_many_arguments)]
pub fn reattach<R: Read, W: Write>(
    ctx: &Context,
    secret: &Secret,
    party: &str,
    input: R,
    file_name: &str,
    opts: &InputOptions,
    result: &[u8],
    result_name: &str,
    out: W,
    progress: &mut dyn FnMut(Progress),
) -> Result<ReattachSummary> {
    let wf = ctx.workflow;
    wf.require_data_party(party, ctx.workflow_file)?;
    let res = read_result(result, result_name)?;
    let h = &res.header;
    if h.workflow_digest != wf.digest_hex() {
        return Err(Error::mismatch(
            result_name,
            format!(
                "berkas hasil ini untuk alur kerja lain ('{}').",
                h.workflow_id
            ),
        ));
    }
    if h.party != party {
        return Err(Error::mismatch(
            result_name,
            format!("berkas hasil ini untuk pihak '{}', bukan '{party}'. Pakai berkas hasil milik Anda sendiri.", h.party),
        ));
    }
    if h.kcv != secret.kcv() {
        return Err(Error::mismatch(
            result_name,
            format!(
                "berkas hasil dibuat dengan kunci lain (KCV {}; kunci Anda {}).",
                h.kcv,
                secret.kcv()
            ),
        ));
    }
    let digest = wf.digest();
    let ref_key = secret.ref_key(&digest, party);
    let by_ref: HashMap<Token, &ResultRow> = res.rows.iter().map(|r| (r.reference, r)).collect();
    let (mut reader, mut normalizer) = open_list(input, file_name, opts, ctx.today.year)?;
    let has_nik = normalizer.mapping.get(crate::columns::Field::Nik).is_some();
    let in_ref_col = h.columns.iter().any(|c| c == "in_reference");
    let others_col = h.columns.iter().any(|c| c == "other_lists");
    let delimiter = reader.dialect.delimiter;

    // Build the whole output in memory first, so a failure leaves nothing half-written.
    let mut buf: Vec<u8> = b"\xEF\xBB\xBF".to_vec();
    let mut summary = ReattachSummary {
        input_file: file_name.to_string(),
        output_file: String::new(),
        ..Default::default()
    };
    let header_len = reader.header.len();
    let mut used = 0u64;
    {
        let mut w = csv::WriterBuilder::new()
            .delimiter(delimiter)
            .flexible(true)
            .from_writer(&mut buf);
        let io =
            |e: csv::Error| Error::invalid(file_name, None, None, format!("gagal menulis: {e}"));
        let mut head: Vec<String> = reader
            .header
            .iter()
            .map(|h| escape_formula(h).into_owned())
            .collect();
        head.extend(ADDED.iter().map(|s| s.to_string()));
        w.write_record(&head).map_err(io)?;
        let mut out_row: Vec<String> = Vec::new();
        while let Some(row) = reader.next_row()? {
            summary.rows += 1;
            let reference = ref_key.reference(row.offset, row.raw.iter());
            out_row.clear();
            out_row.extend(row.fields.iter().map(|f| escape_formula(f).into_owned()));
            while out_row.len() < header_len {
                out_row.push(String::new());
            }
            let (status, dup, in_ref, others, note) = match by_ref.get(&reference) {
                Some(r) => {
                    used += 1;
                    (
                        r.verify
                            .map_or(r.status.label_id(), |v| v.label_id())
                            .to_string(),
                        if r.duplicate { "YA" } else { "TIDAK" }.to_string(),
                        match r.in_reference {
                            Some(true) => "YA".to_string(),
                            Some(false) => "TIDAK".to_string(),
                            None => String::new(),
                        },
                        r.other_lists.clone().unwrap_or_default().join(";"),
                        r.verify.map_or("", |v| v.note_id()).to_string(),
                    )
                }
                None => {
                    let n = normalizer.normalize(row.fields);
                    let tokenizable = !n.issues.contains(&RowIssue::Ragged)
                        && wf
                            .match_keys
                            .iter()
                            .any(|k| k.fields.iter().all(|f| n.key_value(f).is_some()));
                    let non_nik = !n.issues.contains(&RowIssue::Ragged)
                        && wf.match_keys.iter().any(|k| {
                            !k.fields.iter().any(|f| f == "nik")
                                && k.fields.iter().all(|f| n.key_value(f).is_some())
                        });
                    let (label, note) = if !tokenizable {
                        summary.rejected += 1;
                        (
                            "DITOLAK".to_string(),
                            describe_reason(&reject_reason(&n, has_nik)),
                        )
                    } else if !non_nik && n.nik.as_ref().is_some_and(|x| x.nik.ends_with('0')) {
                        summary.rejected += 1;
                        (
                            "DITOLAK".to_string(),
                            RowIssue::NikColumnDamage.describe_id().to_string(),
                        )
                    } else {
                        summary.changed += 1;
                        (
                            "TIDAK ADA DI HASIL".to_string(),
                            "baris ini berubah sejak token dibuat, atau hasil bukan untuk berkas ini".to_string(),
                        )
                    };
                    (label, String::new(), String::new(), String::new(), note)
                }
            };
            *summary.statuses.entry(status.clone()).or_default() += 1;
            out_row.push(status);
            out_row.push(dup);
            out_row.push(if in_ref_col { in_ref } else { String::new() });
            // Party ids may start with '-' (workflow ids allow it): escaped like any value.
            out_row.push(if others_col {
                escape_formula(&others).into_owned()
            } else {
                String::new()
            });
            out_row.push(note);
            w.write_record(&out_row).map_err(io)?;
            if summary.rows.is_multiple_of(8192) {
                progress(Progress {
                    rows: summary.rows,
                    bytes: reader.bytes_read(),
                });
            }
        }
        w.flush().map_err(|e| Error::io(file_name, e))?;
    }
    if summary.rows == 0 {
        return Err(Error::invalid(
            file_name,
            Some(2),
            None,
            "hanya ada baris judul; tidak ada baris data.",
        ));
    }
    if used == 0 && !res.rows.is_empty() {
        return Err(Error::mismatch(
            result_name,
            format!(
                "tidak satu pun baris {file_name} ada di berkas hasil: pakai daftar asli yang sama persis dengan saat token dibuat."
            ),
        ));
    }
    summary.result_rows_unused = res.rows.len() as u64 - used;
    let mut out = out;
    out.write_all(&buf)
        .and_then(|_| out.flush())
        .map_err(|e| Error::io("(keluaran)", e))?;
    progress(Progress {
        rows: summary.rows,
        bytes: reader.bytes_read(),
    });
    Ok(summary)
}

/// How a cell of the annotated list is written into a workbook.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CellStyle {
    /// The header row (bold).
    Header,
    /// A plain string cell.
    Plain,
    /// A value a spreadsheet would run as a formula: a string cell with Excel's
    /// quote-prefix (text) style, which is how Excel itself keeps such text.
    QuotePrefixed,
}

/// One cell of the annotated list in a workbook (0-based row and column).
#[derive(Clone, Copy, Debug)]
pub struct Cell<'a> {
    pub row: u32,
    pub col: u16,
    pub text: &'a str,
    pub style: CellStyle,
}

/// Rows and columns of one Excel sheet.
pub const SHEET_ROWS: u64 = 1_048_576;
pub const SHEET_COLS: usize = 16_384;

/// The cells of the annotated list (CSV, as [`reattach`] writes it) for an .xlsx workbook,
/// the one definition shared by the CLI and the browser: every value is a string cell
/// (never a formula, never a number, so a NIK stays text); a value that `reattach`
/// prefixed with `'` because a spreadsheet would run it is given without the `'` but
/// [`CellStyle::QuotePrefixed`]. More rows or columns than a sheet holds are refused.
pub fn annotated_cells(
    csv_bytes: &[u8],
    out_name: &str,
    cell: &mut dyn FnMut(Cell<'_>) -> Result<()>,
) -> Result<()> {
    let body = csv_bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(csv_bytes);
    let first = body.split(|&b| b == b'\n').next().unwrap_or(b"");
    let delimiter = first
        .windows(ADDED[0].len() + 1)
        .find(|w| w.ends_with(ADDED[0].as_bytes()))
        .map(|w| w[0])
        .unwrap_or(b',');
    let fail =
        |e: String| Error::invalid(out_name, None, None, format!("gagal menulis .xlsx: {e}"));
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(body);
    let mut rec = csv::StringRecord::new();
    let mut r: u64 = 0;
    while rdr.read_record(&mut rec).map_err(|e| fail(e.to_string()))? {
        if r >= SHEET_ROWS {
            return Err(fail(
                "lebih dari 1.048.576 baris; pakai keluaran .csv".into(),
            ));
        }
        if rec.len() > SHEET_COLS {
            return Err(fail("lebih dari 16.384 kolom; pakai keluaran .csv".into()));
        }
        for (c, v) in rec.iter().enumerate() {
            let escaped = v
                .strip_prefix('\'')
                .filter(|rest| matches!(escape_formula(rest), std::borrow::Cow::Owned(_)));
            let (text, style) = match (escaped, r) {
                (Some(rest), _) => (rest, CellStyle::QuotePrefixed),
                (None, 0) => (v, CellStyle::Header),
                (None, _) => (v, CellStyle::Plain),
            };
            cell(Cell {
                row: r as u32,
                col: c as u16,
                text,
                style,
            })?;
        }
        r += 1;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::escape_formula;

    #[test]
    fn formulas_are_escaped() {
        assert_eq!(escape_formula("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(escape_formula("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(escape_formula("+A1"), "'+A1");
        assert_eq!(escape_formula("-A1+B2"), "'-A1+B2");
        assert_eq!(escape_formula("\tx"), "'\tx");
        assert_eq!(escape_formula("+62812345"), "+62812345");
        assert_eq!(escape_formula("-5"), "-5");
        assert_eq!(escape_formula("SITI"), "SITI");
        assert_eq!(escape_formula("-"), "-");
    }

    #[test]
    fn annotated_cells_are_strings_with_formulas_quote_prefixed() {
        use super::{annotated_cells, CellStyle};
        let csv = "\u{FEFF}NIK;'=NAMA;PADAN_STATUS\n3209010101800001;'=1+1;SATU\n;'-A1;'x\n";
        let mut got = Vec::new();
        annotated_cells(csv.as_bytes(), "o.xlsx", &mut |c| {
            got.push((c.row, c.col, c.text.to_string(), c.style));
            Ok(())
        })
        .unwrap();
        let s = |r, c, t: &str, st| (r, c, t.to_string(), st);
        assert_eq!(
            got,
            vec![
                s(0, 0, "NIK", CellStyle::Header),
                s(0, 1, "=NAMA", CellStyle::QuotePrefixed),
                s(0, 2, "PADAN_STATUS", CellStyle::Header),
                s(1, 0, "3209010101800001", CellStyle::Plain),
                s(1, 1, "=1+1", CellStyle::QuotePrefixed),
                s(1, 2, "SATU", CellStyle::Plain),
                s(2, 0, "", CellStyle::Plain),
                s(2, 1, "-A1", CellStyle::QuotePrefixed),
                s(2, 2, "'x", CellStyle::Plain),
            ]
        );
    }
}
