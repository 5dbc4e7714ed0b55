//! The annotated list as an .xlsx workbook (rust_xlsxwriter), for the CLI (`reattach --out
//! X.xlsx`) and the browser's workbook module alike. The cells and their escaping are the
//! core's ([`padan::reattach::annotated_cells`]); this file only hands them to the writer.
//!
//! It is not part of the pure core: natively rust_xlsxwriter assembles worksheets on a
//! scoped thread. So `src/main.rs` includes it (`#[path]`), and the library compiles it only
//! for wasm32 with the `wasm-workbook` feature (there rust_xlsxwriter uses no thread and
//! reads the clock through `js-sys`, which the fixed creation date below makes unused).

use padan::date::Date;
use padan::error::{Error, Result};
use padan::reattach::{annotated_cells, CellStyle};
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook};

/// The annotated list (CSV bytes, as `reattach` writes them) as .xlsx bytes: one sheet, every
/// value a string cell, formula-like values quote-prefixed text, the header bold. `created`
/// is the document's creation date (so the same inputs on the same day give the same bytes).
pub fn annotated_to_xlsx(csv_bytes: &[u8], out_name: &str, created: Date) -> Result<Vec<u8>> {
    let fail = |e: rust_xlsxwriter::XlsxError| {
        Error::invalid(out_name, None, None, format!("gagal menulis .xlsx: {e}"))
    };
    let mut wb = Workbook::new();
    let when = ExcelDateTime::from_ymd(created.year, created.month, created.day).map_err(fail)?;
    wb.set_properties(&DocProperties::new().set_creation_datetime(&when));
    let ws = wb.add_worksheet();
    let text = Format::new().set_quote_prefix();
    let bold = Format::new().set_bold();
    annotated_cells(csv_bytes, out_name, &mut |c| {
        match c.style {
            CellStyle::QuotePrefixed => ws.write_string_with_format(c.row, c.col, c.text, &text),
            CellStyle::Header => ws.write_string_with_format(c.row, c.col, c.text, &bold),
            CellStyle::Plain => ws.write_string(c.row, c.col, c.text),
        }
        .map(|_| ())
        .map_err(fail)
    })?;
    wb.save_to_buffer().map_err(fail)
}
