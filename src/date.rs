//! Birth dates as Indonesian lists write them (see DOMAIN.md, "Dates").

/// A calendar date (proleptic Gregorian), always valid when constructed through [`Date::new`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Date {
    pub year: u16,
    pub month: u8,
    pub day: u8,
}

/// Why a date cell could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DateError {
    /// Empty or filler ("-", "0", ...).
    Empty,
    /// Not a date format we know.
    Unrecognized,
    /// Looks like a date but does not exist (31-02-1980, month 13, ...).
    Impossible,
}

impl Date {
    /// A valid date or `None` (checks month length and leap years; years 1850..=2100).
    pub fn new(year: u16, month: u8, day: u8) -> Option<Date> {
        todo!()
    }
    /// `YYYY-MM-DD`.
    pub fn iso(&self) -> String {
        format!("{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
    /// Excel 1900-system serial number (serial 60 is the non-existent 29 Feb 1900: None).
    pub fn from_excel_serial(serial: i64) -> Option<Date> {
        todo!()
    }
}

/// Parses a birth-date cell: `dd-mm-yyyy`, `dd/mm/yyyy`, `dd.mm.yyyy`, `yyyy-mm-dd`,
/// `17 AGUSTUS 1945` (full and short Indonesian month names, also English), two-digit years
/// only where unambiguous, Excel serials, and combined place-and-date cells
/// (`CIREBON, 17-08-1945`). Day-month order always: `03/04/1980` is 3 April.
pub fn parse_date(raw: &str) -> Result<Date, DateError> {
    todo!()
}

/// Splits a TTL / TEMPAT/TGL LAHIR cell into (place, date).
pub fn split_place_date(raw: &str) -> (Option<String>, Result<Date, DateError>) {
    todo!()
}
