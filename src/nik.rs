//! NIK (Nomor Induk Kependudukan) cleaning and validation (see DOMAIN.md, "NIK").

use crate::date::Date;
use crate::sex::Sex;

/// One thing wrong with a NIK value. Grouped by [`NikProblem::severity`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NikProblem {
    // --- hard errors: the NIK is unusable ---
    Empty,
    /// Not 16 digits after cleaning.
    WrongLength,
    /// Letters or other characters that are not formatting.
    NotDigits,
    UnknownProvince,
    /// Kabupaten/kota code 00 (or not 01-69 / 71-99).
    BadKabupaten,
    /// Kecamatan code 00.
    BadKecamatan,
    /// Day 00, 32-40 or above 71.
    BadDay,
    /// Month 00 or above 12.
    BadMonth,
    /// Day/month fine alone but no such date (e.g. 310299).
    ImpossibleDate,
    /// Serial 0000.
    ZeroSerial,
    /// Starts with 0 (temporary numbers some village systems issue).
    LeadingZero,
    /// Placeholder value (1234567890123456, 0000000000000000, all one digit): unusable.
    Placeholder,
    // --- spreadsheet damage: unusable, never repaired ---
    /// Scientific notation (`3.20901E+15`) or a decimal form (`3209010101800001.0`).
    SpreadsheetDamage,
    // --- warnings: the NIK is still used ---
    /// Embedded date 01-07 or 31-12 (Dukcapil stand-ins for an unknown birth date).
    StandInBirthDate,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    Error,
    Damage,
    Warning,
}

impl NikProblem {
    pub fn severity(self) -> Severity {
        todo!()
    }
    /// A stable machine name (snake_case), used in reports and JSON.
    pub fn code(self) -> &'static str {
        todo!()
    }
    /// A short explanation in Bahasa Indonesia.
    pub fn describe_id(self) -> &'static str {
        todo!()
    }
    /// A short explanation in English.
    pub fn describe_en(self) -> &'static str {
        todo!()
    }
}

/// What a valid NIK says about its holder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NikInfo {
    /// 16 ASCII digits.
    pub nik: String,
    pub province: u8,
    pub kabupaten: u8,
    pub kecamatan: u8,
    /// Embedded birth date (century inferred: a two-digit year above the current-ish
    /// cut-off `reference_year % 100` is 19xx, else 20xx).
    pub birth_date: Date,
    pub sex: Sex,
    pub serial: u16,
}

/// The result of checking one NIK cell.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NikCheck {
    /// `Some` when the NIK can be used for matching (no error or damage; warnings allowed).
    pub info: Option<NikInfo>,
    /// Every problem found, errors first.
    pub problems: Vec<NikProblem>,
}

/// Cleans (strips `'`, backtick, NBSP, spaces, dots, dashes used as formatting) and
/// validates a NIK cell. `reference_year` (e.g. 2026) resolves the two-digit birth year.
pub fn check_nik(raw: &str, reference_year: u16) -> NikCheck {
    todo!()
}

/// Cleans a No. KK (family card number) the same way; `Some(16 digits)` or `None`.
pub fn clean_kk(raw: &str) -> Option<String> {
    todo!()
}
