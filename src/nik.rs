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
    /// Every problem, errors first.
    pub const ALL: [NikProblem; 14] = [
        NikProblem::Empty,
        NikProblem::WrongLength,
        NikProblem::NotDigits,
        NikProblem::UnknownProvince,
        NikProblem::BadKabupaten,
        NikProblem::BadKecamatan,
        NikProblem::BadDay,
        NikProblem::BadMonth,
        NikProblem::ImpossibleDate,
        NikProblem::ZeroSerial,
        NikProblem::LeadingZero,
        NikProblem::Placeholder,
        NikProblem::SpreadsheetDamage,
        NikProblem::StandInBirthDate,
    ];

    /// The problem with this [`NikProblem::code`].
    pub fn from_code(code: &str) -> Option<NikProblem> {
        NikProblem::ALL.into_iter().find(|p| p.code() == code)
    }

    pub fn severity(self) -> Severity {
        use NikProblem::*;
        match self {
            Empty | WrongLength | NotDigits | UnknownProvince | BadKabupaten | BadKecamatan
            | BadDay | BadMonth | ImpossibleDate | ZeroSerial | LeadingZero | Placeholder => {
                Severity::Error
            }
            SpreadsheetDamage => Severity::Damage,
            StandInBirthDate => Severity::Warning,
        }
    }
    /// A stable machine name (snake_case), used in reports and JSON.
    pub fn code(self) -> &'static str {
        use NikProblem::*;
        match self {
            Empty => "empty",
            WrongLength => "wrong_length",
            NotDigits => "not_digits",
            UnknownProvince => "unknown_province",
            BadKabupaten => "bad_kabupaten",
            BadKecamatan => "bad_kecamatan",
            BadDay => "bad_day",
            BadMonth => "bad_month",
            ImpossibleDate => "impossible_date",
            ZeroSerial => "zero_serial",
            LeadingZero => "leading_zero",
            Placeholder => "placeholder",
            SpreadsheetDamage => "spreadsheet_damage",
            StandInBirthDate => "stand_in_birth_date",
        }
    }
    /// A short explanation in Bahasa Indonesia.
    pub fn describe_id(self) -> &'static str {
        use NikProblem::*;
        match self {
            Empty => "NIK kosong.",
            WrongLength => "NIK tidak 16 digit.",
            NotDigits => "NIK berisi huruf atau tanda selain angka.",
            UnknownProvince => "Kode provinsi (2 digit pertama) tidak dikenal.",
            BadKabupaten => "Kode kabupaten/kota (digit 3-4) tidak sah: harus 01-69 atau 71-99.",
            BadKecamatan => "Kode kecamatan (digit 5-6) bernilai 00.",
            BadDay => "Tanggal lahir dalam NIK (digit 7-8) tidak sah: 00, 32-40, atau di atas 71.",
            BadMonth => "Bulan lahir dalam NIK (digit 9-10) tidak sah: 00 atau di atas 12.",
            ImpossibleDate => "Tanggal lahir dalam NIK tidak ada di kalender (mis. 31 Februari).",
            ZeroSerial => "Nomor urut NIK (4 digit terakhir) 0000.",
            LeadingZero => "NIK diawali angka 0: nomor sementara, bukan NIK dari Dukcapil.",
            Placeholder => {
                "NIK isian sembarang (mis. 1234567890123456, 0000000000000000, \
                 atau satu angka berulang)."
            }
            SpreadsheetDamage => {
                "NIK rusak oleh spreadsheet (notasi ilmiah seperti 3,20901E+15, angka desimal, \
                 atau pemisah ribuan): digit terakhir sudah hilang dan tidak bisa ditebak. \
                 Ambil ulang dari sumber dan simpan kolom NIK sebagai teks."
            }
            StandInBirthDate => {
                "Tanggal lahir dalam NIK 1 Juli atau 31 Desember: tanggal pengganti dari \
                 Dukcapil bila tanggal lahir tidak diketahui."
            }
        }
    }
    /// A short explanation in English.
    pub fn describe_en(self) -> &'static str {
        use NikProblem::*;
        match self {
            Empty => "The NIK is empty.",
            WrongLength => "The NIK does not have 16 digits.",
            NotDigits => "The NIK contains letters or characters other than digits.",
            UnknownProvince => "Unknown province code (first 2 digits).",
            BadKabupaten => "Invalid kabupaten/kota code (digits 3-4): must be 01-69 or 71-99.",
            BadKecamatan => "Kecamatan code (digits 5-6) is 00.",
            BadDay => "Invalid birth day in the NIK (digits 7-8): 00, 32-40 or above 71.",
            BadMonth => "Invalid birth month in the NIK (digits 9-10): 00 or above 12.",
            ImpossibleDate => "The birth date in the NIK does not exist (e.g. 31 February).",
            ZeroSerial => "The NIK's serial number (last 4 digits) is 0000.",
            LeadingZero => "The NIK starts with 0: a temporary number, not a Dukcapil NIK.",
            Placeholder => {
                "Placeholder NIK (e.g. 1234567890123456, 0000000000000000, or one digit repeated)."
            }
            SpreadsheetDamage => {
                "The NIK was damaged by a spreadsheet (scientific notation such as 3.20901E+15, \
                 a decimal, or thousands separators): its last digits are lost and cannot be \
                 guessed. Fetch it again from the source and keep the NIK column as text."
            }
            StandInBirthDate => {
                "The birth date in the NIK is 1 July or 31 December: Dukcapil's stand-in for an \
                 unknown birth date."
            }
        }
    }
}

/// Sixteen ASCII digits (a NIK or a No. KK), kept inline: rows are normalized by the
/// million, and these need no allocation. Reads as a `&str`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Digits16([u8; 16]);

impl Digits16 {
    /// `Some` when `s` is exactly 16 ASCII digits.
    pub fn new(s: &str) -> Option<Digits16> {
        let b: [u8; 16] = s.as_bytes().try_into().ok()?;
        b.iter().all(u8::is_ascii_digit).then_some(Digits16(b))
    }

    pub fn as_str(&self) -> &str {
        // SAFETY: `new`, the only way to make one, admits ASCII digits only: valid UTF-8.
        // (A checked conversion here cost more than the allocation this type saves.)
        unsafe { std::str::from_utf8_unchecked(&self.0) }
    }
}

impl std::ops::Deref for Digits16 {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl PartialEq<str> for Digits16 {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Digits16 {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for Digits16 {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other
    }
}

impl std::fmt::Debug for Digits16 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.as_str(), f)
    }
}

/// What a valid NIK says about its holder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NikInfo {
    /// 16 ASCII digits.
    pub nik: Digits16,
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
///
/// - Also stripped as formatting: double quotes, Excel's `="..."` text wrapper, other
///   Unicode spaces and dashes, zero-width characters.
/// - Spreadsheet damage (never repaired): scientific notation (`3.20901E+15`, `3,20901E+15`),
///   a decimal (`3209010101800001.0`, `...,00`), or thousands grouping
///   (`3,209,010,101,800,001`, `3.209.010.101.800.001`): all show the value was a number.
/// - Filler (`-`, `0`, `NULL`, `TIDAK ADA`, ...) is `Empty`.
/// - The structure (province, kabupaten, ..., serial) is only checked on 16 digits; a
///   placeholder is reported as `Placeholder` alone (its structure means nothing).
///
/// The row-level warnings of DOMAIN.md (birth date or sex disagreeing with the row's
/// columns, NIK equal to the No. KK) need the other cells and are checked in
/// `record.rs` (`RowIssue`).
pub fn check_nik(raw: &str, reference_year: u16) -> NikCheck {
    let mut problems = Vec::new();
    let mut info = None;
    match clean(raw) {
        Cleaned::Empty => problems.push(NikProblem::Empty),
        Cleaned::Damage => problems.push(NikProblem::SpreadsheetDamage),
        Cleaned::NotDigits => problems.push(NikProblem::NotDigits),
        Cleaned::WrongLength => problems.push(NikProblem::WrongLength),
        Cleaned::Sixteen(d) if is_placeholder(&d) => problems.push(NikProblem::Placeholder),
        Cleaned::Sixteen(d) => info = structure(d, reference_year, &mut problems),
    }
    problems.sort_unstable();
    problems.dedup();
    NikCheck { info, problems }
}

/// Checks the parts of a 16-digit NIK, pushing every problem found. `Some` when none of
/// them is an error.
fn structure(
    nik: Digits16,
    reference_year: u16,
    problems: &mut Vec<NikProblem>,
) -> Option<NikInfo> {
    let b = &nik.0;
    let two = |i: usize| (b[i] - b'0') * 10 + (b[i + 1] - b'0');
    let (province, kabupaten, kecamatan) = (two(0), two(2), two(4));
    let (dd, month, yy) = (two(6), two(8), two(10));
    let serial = u16::from(two(12)) * 100 + u16::from(two(14));
    let before = problems.len();

    if b[0] == b'0' {
        problems.push(NikProblem::LeadingZero);
    }
    if !is_province(province) {
        problems.push(NikProblem::UnknownProvince);
    }
    if kabupaten == 0 || kabupaten == 70 {
        problems.push(NikProblem::BadKabupaten);
    }
    if kecamatan == 0 {
        problems.push(NikProblem::BadKecamatan);
    }
    let day_ok = matches!(dd, 1..=31 | 41..=71);
    if !day_ok {
        problems.push(NikProblem::BadDay);
    }
    let month_ok = (1..=12).contains(&month);
    if !month_ok {
        problems.push(NikProblem::BadMonth);
    }
    let (sex, day) = if dd > 40 {
        (Sex::Female, dd - 40)
    } else {
        (Sex::Male, dd)
    };
    let year = if u16::from(yy) > reference_year % 100 {
        1900 + u16::from(yy)
    } else {
        2000 + u16::from(yy)
    };
    let birth_date = Date::new(year, month, day);
    if day_ok && month_ok && birth_date.is_none() {
        problems.push(NikProblem::ImpossibleDate);
    }
    if serial == 0 {
        problems.push(NikProblem::ZeroSerial);
    }
    let errors = problems[before..]
        .iter()
        .any(|p| p.severity() != Severity::Warning);
    let birth_date = birth_date.filter(|_| !errors)?;
    if matches!((birth_date.day, birth_date.month), (1, 7) | (31, 12)) {
        problems.push(NikProblem::StandInBirthDate);
    }
    Some(NikInfo {
        nik,
        province,
        kabupaten,
        kecamatan,
        birth_date,
        sex,
        serial,
    })
}

/// Cleans a No. KK (family card number) the same way; `Some(16 digits)` or `None`.
///
/// `None` also for spreadsheet damage and placeholders (`0000000000000000`, ...).
pub fn clean_kk(raw: &str) -> Option<Digits16> {
    match clean(raw) {
        Cleaned::Sixteen(d) => Some(d).filter(|d| !is_placeholder(d)),
        _ => None,
    }
}

/// Province codes (DOMAIN.md, "Codes"; Papua split into 91-96 since 2022).
pub fn is_province(code: u8) -> bool {
    matches!(code, 11..=19 | 21 | 31..=36 | 51..=53 | 61..=65 | 71..=76 | 81..=82 | 91..=96)
}

/// A number cell after cleaning.
enum Cleaned {
    /// Nothing, or filler.
    Empty,
    /// The value went through a spreadsheet number format.
    Damage,
    /// Characters that are neither digits nor formatting.
    NotDigits,
    /// Digits, but not 16 of them.
    WrongLength,
    /// Exactly 16 digits.
    Sixteen(Digits16),
}

/// Characters that only decorate a number and are dropped anywhere in it: quotes (Excel's
/// text prefix `'`), backtick, all Unicode spaces (NBSP, figure and narrow spaces),
/// zero-width characters and the byte-order mark.
fn is_decoration(c: char) -> bool {
    matches!(
        c,
        '\'' | '`'
            | '"'
            | '\u{2018}'
            | '\u{2019}'
            | '\u{201C}'
            | '\u{201D}'
            | '\u{200B}'
            | '\u{200C}'
            | '\u{200D}'
            | '\u{2060}'
            | '\u{FEFF}'
    ) || c.is_whitespace()
}

/// Group separators inside a number: dots and every kind of dash.
fn is_separator(c: char) -> bool {
    matches!(
        c,
        '.' | '-'
            | '\u{2010}'
            | '\u{2011}'
            | '\u{2012}'
            | '\u{2013}'
            | '\u{2014}'
            | '\u{2212}'
            | '\u{FE63}'
            | '\u{FF0D}'
            | '_'
    )
}

fn clean(raw: &str) -> Cleaned {
    let t = raw.trim();
    // Excel's ="3209..." text wrapper.
    let t = t.strip_prefix('=').unwrap_or(t);
    // The common case, 16 plain digits, gives the same as the general path below without
    // allocating.
    if let Some(d) = Digits16::new(t) {
        return Cleaned::Sixteen(d);
    }
    let mut compact = String::with_capacity(t.len().min(64));
    for c in t.chars().filter(|&c| !is_decoration(c)) {
        compact.push(c);
    }
    if compact.is_empty() || is_filler(&compact) {
        return Cleaned::Empty;
    }
    if is_number_format(&compact) {
        return Cleaned::Damage;
    }
    let mut digits = String::with_capacity(16);
    for c in compact.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
        } else if !is_separator(c) {
            return Cleaned::NotDigits;
        }
    }
    if digits.bytes().all(|b| b == b'0') && digits.len() < 16 {
        // "", "-", "0", "000": nothing entered.
        return Cleaned::Empty;
    }
    Digits16::new(&digits).map_or(Cleaned::WrongLength, Cleaned::Sixteen)
}

/// Words that stand for "no number" (compared without spaces, any case).
fn is_filler(compact: &str) -> bool {
    const FILLER: [&str; 14] = [
        "NULL",
        "NONE",
        "NA",
        "N/A",
        "#N/A",
        "NAN",
        "TIDAKADA",
        "TDKADA",
        "BELUMADA",
        "TIDAKPUNYA",
        "BELUMPUNYA",
        "KOSONG",
        "NIHIL",
        "TIDAKDIKETAHUI",
    ];
    FILLER.iter().any(|f| f.eq_ignore_ascii_case(compact))
}

/// True when the cell shows a spreadsheet's number format rather than typed text.
fn is_number_format(s: &str) -> bool {
    is_scientific(s) || is_decimal(s) || is_thousands(s)
}

/// `3.20901E+15`, `3,20901E+15`, `3.20901e15`, `3E+15`.
fn is_scientific(s: &str) -> bool {
    let Some(e) = s.find(['E', 'e']) else {
        return false;
    };
    let (mantissa, exponent) = (&s[..e], &s[e + 1..]);
    let exponent = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
    let mut seps = 0;
    let mantissa_ok = mantissa.bytes().any(|b| b.is_ascii_digit())
        && mantissa.bytes().all(|b| {
            if b == b'.' || b == b',' {
                seps += 1;
            }
            b.is_ascii_digit() || b == b'.' || b == b','
        });
    mantissa_ok
        && seps <= 1
        && (1..=3).contains(&exponent.len())
        && exponent.bytes().all(|b| b.is_ascii_digit())
}

/// `3209010101800001.0`, `3209010101800001,00`: a whole number printed with decimals.
fn is_decimal(s: &str) -> bool {
    let Some(i) = s.find(['.', ',']) else {
        return false;
    };
    let (int, frac) = (&s[..i], &s[i + 1..]);
    int.len() >= 12
        && int.bytes().all(|b| b.is_ascii_digit())
        && (1..=3).contains(&frac.len())
        && frac.bytes().all(|b| b == b'0')
}

/// `3,209,010,101,800,001` or `3.209.010.101.800.001`: thousands grouping, which people do
/// not type into an identity number but number formats print.
fn is_thousands(s: &str) -> bool {
    let Some(sep) = s.bytes().find(|&b| b == b'.' || b == b',') else {
        return false;
    };
    let mut groups = 0;
    for (i, g) in s.split(char::from(sep)).enumerate() {
        let ok_len = if i == 0 {
            (1..=3).contains(&g.len())
        } else {
            g.len() == 3
        };
        if !ok_len || !g.bytes().all(|b| b.is_ascii_digit()) {
            return false;
        }
        groups += 1;
    }
    groups >= 5
}

/// Placeholder NIKs: one digit repeated, or a run of consecutive digits
/// (1234567890123456, 0123456789012345, 9876543210987654).
fn is_placeholder(d: &str) -> bool {
    let b = d.as_bytes();
    let Some(&first) = b.first() else {
        return false;
    };
    let same = b.iter().all(|&x| x == first);
    let step = |delta: u8| {
        b.windows(2)
            .all(|w| (w[0] - b'0' + delta) % 10 == w[1] - b'0')
    };
    same || step(1) || step(9)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use NikProblem::*;

    const Y: u16 = 2026;

    fn problems(raw: &str) -> Vec<NikProblem> {
        check_nik(raw, Y).problems
    }

    fn date(y: u16, m: u8, d: u8) -> Date {
        Date::new(y, m, d).expect("valid test date")
    }

    #[test]
    fn valid_man() {
        let c = check_nik("3209010508800012", Y);
        assert_eq!(c.problems, vec![]);
        let i = c.info.expect("valid");
        assert_eq!(i.nik, "3209010508800012");
        assert_eq!((i.province, i.kabupaten, i.kecamatan), (32, 9, 1));
        assert_eq!(i.birth_date, date(1980, 8, 5));
        assert_eq!(i.sex, Sex::Male);
        assert_eq!(i.serial, 12);
    }

    #[test]
    fn women_have_forty_added_to_the_day() {
        let i = check_nik("3209014508800012", Y).info.expect("valid");
        assert_eq!(i.sex, Sex::Female);
        assert_eq!(i.birth_date, date(1980, 8, 5));
        let i = check_nik("3209017112990001", Y).info.expect("valid");
        assert_eq!((i.sex, i.birth_date), (Sex::Female, date(1999, 12, 31)));
        let i = check_nik("3209014101000001", Y).info.expect("valid");
        assert_eq!((i.sex, i.birth_date), (Sex::Female, date(2000, 1, 1)));
    }

    #[test]
    fn two_digit_year_uses_the_reference_year() {
        let year = |nik: &str, r: u16| check_nik(nik, r).info.map(|i| i.birth_date.year);
        assert_eq!(year("3209010508260001", 2026), Some(2026));
        assert_eq!(year("3209010508270001", 2026), Some(1927));
        assert_eq!(year("3209010508050001", 2026), Some(2005));
        assert_eq!(year("3209010508450001", 2026), Some(1945));
        assert_eq!(year("3209010508270001", 2030), Some(2027));
        assert_eq!(year("3209010508000001", 0), Some(2000));
    }

    #[test]
    fn formatting_is_stripped() {
        for raw in [
            "'3209014508800012",
            "`3209014508800012",
            " 3209014508800012 ",
            "3209\u{a0}0145\u{a0}0880\u{a0}0012",
            "3209.0145.0880.0012",
            "32.09.01.450880.0012",
            "3209-0145-0880-0012",
            "3209 0145 0880 0012",
            "=\"3209014508800012\"",
            "\u{feff}3209014508800012",
            "3209\u{2013}0145\u{2013}0880\u{2013}0012",
        ] {
            let c = check_nik(raw, Y);
            assert_eq!(c.problems, vec![], "{raw:?}");
            assert_eq!(c.info.expect("valid").nik, "3209014508800012", "{raw:?}");
        }
    }

    #[test]
    fn scientific_notation_is_damage() {
        for raw in [
            "3.20901E+15",
            "3,20901E+15",
            "3.20901e+15",
            "3.20901E15",
            "'3.20901E+15",
            "3E+15",
        ] {
            let c = check_nik(raw, Y);
            assert_eq!(c.problems, vec![SpreadsheetDamage], "{raw:?}");
            assert_eq!(c.info, None);
        }
    }

    #[test]
    fn decimal_and_thousands_forms_are_damage() {
        for raw in [
            "3209010101800001.0",
            "3209010101800001,00",
            "3209010101800000.0",
            "3,209,010,101,800,000",
            "3.209.010.101.800.000",
        ] {
            let c = check_nik(raw, Y);
            assert_eq!(c.problems, vec![SpreadsheetDamage], "{raw:?}");
            assert_eq!(c.info, None);
        }
    }

    #[test]
    fn damage_is_never_repaired() {
        assert_eq!(clean_kk("3.20901E+15"), None);
        assert_eq!(clean_kk("3209010101800001.0"), None);
    }

    #[test]
    fn empty_and_filler() {
        for raw in [
            "",
            "   ",
            "-",
            "0",
            "'",
            "NULL",
            "tidak ada",
            "#N/A",
            "\u{a0}",
        ] {
            assert_eq!(problems(raw), vec![Empty], "{raw:?}");
        }
    }

    #[test]
    fn wrong_length() {
        assert_eq!(problems("320901450880001"), vec![WrongLength]);
        assert_eq!(problems("32090145088000123"), vec![WrongLength]);
        assert_eq!(problems("3209"), vec![WrongLength]);
    }

    #[test]
    fn letters_are_not_digits() {
        assert_eq!(problems("3209O14508800012"), vec![NotDigits]);
        assert_eq!(problems("NIK 3209014508800012"), vec![NotDigits]);
        assert_eq!(
            problems("3209014508800012/3209014508800013"),
            vec![NotDigits]
        );
        assert_eq!(problems("٣٢٠٩٠١٤٥٠٨٨٠٠٠١٢"), vec![NotDigits]);
    }

    #[test]
    fn province_codes() {
        for p in [11, 19, 21, 31, 36, 51, 53, 61, 65, 71, 76, 81, 82, 91, 96] {
            assert!(is_province(p), "{p}");
        }
        for p in [
            0, 10, 20, 22, 30, 37, 50, 54, 60, 66, 70, 77, 80, 83, 90, 97, 99,
        ] {
            assert!(!is_province(p), "{p}");
        }
        assert_eq!(problems("2009014508800012"), vec![UnknownProvince]);
        assert_eq!(problems("9409014508800012"), vec![]);
        assert_eq!(problems("9709014508800012"), vec![UnknownProvince]);
    }

    #[test]
    fn kabupaten_and_kecamatan_codes() {
        assert_eq!(problems("3200014508800012"), vec![BadKabupaten]);
        assert_eq!(problems("3270014508800012"), vec![BadKabupaten]);
        assert_eq!(problems("3274014508800012"), vec![]);
        assert_eq!(problems("3209004508800012"), vec![BadKecamatan]);
    }

    #[test]
    fn day_codes() {
        assert_eq!(problems("3209010008800012"), vec![BadDay]);
        assert_eq!(problems("3209013208800012"), vec![BadDay]);
        assert_eq!(problems("3209014008800012"), vec![BadDay]);
        assert_eq!(problems("3209017208800012"), vec![BadDay]);
        assert_eq!(problems("3209019908800012"), vec![BadDay]);
        assert_eq!(problems("3209013108800012"), vec![]);
        assert_eq!(problems("3209014108800012"), vec![]);
    }

    #[test]
    fn month_codes() {
        assert_eq!(problems("3209011500800012"), vec![BadMonth]);
        assert_eq!(problems("3209011513800012"), vec![BadMonth]);
        assert_eq!(problems("3209011512800012"), vec![]);
    }

    #[test]
    fn impossible_dates() {
        assert_eq!(problems("3209013102990012"), vec![ImpossibleDate]);
        assert_eq!(problems("3209017102990012"), vec![ImpossibleDate]);
        assert_eq!(problems("3209013104800012"), vec![ImpossibleDate]);
        // 29 Feb: 1980 and 2000 leap, 1981 not.
        assert_eq!(problems("3209012902800012"), vec![]);
        assert_eq!(problems("3209016902000012"), vec![]);
        assert_eq!(problems("3209012902810012"), vec![ImpossibleDate]);
    }

    #[test]
    fn zero_serial_and_leading_zero() {
        assert_eq!(problems("3209014508800000"), vec![ZeroSerial]);
        assert_eq!(
            problems("0209014508800012"),
            vec![UnknownProvince, LeadingZero]
        );
    }

    #[test]
    fn all_applicable_errors_are_reported_in_order() {
        assert_eq!(
            problems("0000000013000000"),
            vec![
                UnknownProvince,
                BadKabupaten,
                BadKecamatan,
                BadDay,
                BadMonth,
                ZeroSerial,
                LeadingZero
            ]
        );
        let c = check_nik("3200003513800000", Y);
        assert_eq!(
            c.problems,
            vec![BadKabupaten, BadKecamatan, BadDay, BadMonth, ZeroSerial]
        );
        assert_eq!(c.info, None);
    }

    #[test]
    fn placeholders() {
        for raw in [
            "1234567890123456",
            "0000000000000000",
            "1111111111111111",
            "9999999999999999",
            "0123456789012345",
            "9876543210987654",
            "1111-1111-1111-1111",
        ] {
            let c = check_nik(raw, Y);
            assert_eq!(c.problems, vec![Placeholder], "{raw:?}");
            assert_eq!(c.info, None);
            assert_eq!(Placeholder.severity(), Severity::Error);
        }
    }

    #[test]
    fn stand_in_birth_dates_are_warnings() {
        let c = check_nik("3209010107800012", Y);
        assert_eq!(c.problems, vec![StandInBirthDate]);
        assert!(c.info.is_some());
        let c = check_nik("3209017112800012", Y);
        assert_eq!(c.problems, vec![StandInBirthDate]);
        assert_eq!(c.info.expect("usable").sex, Sex::Female);
        assert_eq!(problems("3209014107800012"), vec![StandInBirthDate]);
        assert_eq!(problems("3209010207800012"), vec![]);
    }

    #[test]
    fn info_only_without_errors_or_damage() {
        assert!(check_nik("3209010107800012", Y).info.is_some());
        assert!(check_nik("3209010107800000", Y).info.is_none());
        assert!(check_nik("3.20901E+15", Y).info.is_none());
    }

    #[test]
    fn clean_kk_values() {
        assert_eq!(
            clean_kk("'3209012003150004"),
            Digits16::new("3209012003150004")
        );
        assert_eq!(
            clean_kk("3209 0120 0315 0004"),
            Digits16::new("3209012003150004")
        );
        // Plain 16 digits take the fast path; placeholders are refused there too.
        assert_eq!(clean_kk("3209012003150004").unwrap(), "3209012003150004");
        assert_eq!(clean_kk("1111111111111111"), None);
        assert_eq!(clean_kk("1234567890123456"), None);
        assert_eq!(clean_kk("320901200315000"), None);
        assert_eq!(clean_kk("0000000000000000"), None);
        assert_eq!(clean_kk("-"), None);
        assert_eq!(clean_kk("KK3209012003150004"), None);
    }

    #[test]
    fn every_problem_has_code_and_descriptions() {
        let all = NikProblem::ALL;
        let mut codes: Vec<&str> = all.iter().map(|p| p.code()).collect();
        for p in all {
            assert!(!p.describe_id().is_empty() && !p.describe_en().is_empty());
            assert!(p
                .code()
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b == b'_'));
        }
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), all.len());
        // Errors sort before damage, damage before warnings.
        let rank = |s: Severity| match s {
            Severity::Error => 0,
            Severity::Damage => 1,
            Severity::Warning => 2,
        };
        for w in all.windows(2) {
            assert!(rank(w[0].severity()) <= rank(w[1].severity()));
            assert!(w[0] < w[1]);
        }
    }

    /// A valid NIK from its parts.
    fn nik_strategy() -> impl Strategy<Value = (String, Date, Sex)> {
        (
            prop::sample::select(vec![11u8, 32, 33, 35, 36, 51, 73, 91, 96]),
            prop_oneof![1u8..=69, 71u8..=99],
            1u8..=99,
            (1927u16..=2026, 1u8..=12, 1u8..=31)
                .prop_filter_map("valid date", |(y, m, d)| Date::new(y, m, d)),
            any::<bool>(),
            1u16..=9999,
        )
            .prop_filter_map("not a placeholder", |(p, k, c, d, female, s)| {
                let day = if female { d.day + 40 } else { d.day };
                let nik = format!(
                    "{p:02}{k:02}{c:02}{day:02}{:02}{:02}{s:04}",
                    d.month,
                    d.year % 100
                );
                let sex = if female { Sex::Female } else { Sex::Male };
                (!is_placeholder(&nik)).then_some((nik, d, sex))
            })
    }

    proptest! {
        #[test]
        fn check_nik_never_panics(s in any::<String>(), y in any::<u16>()) {
            let c = check_nik(&s, y);
            prop_assert!(!c.problems.is_empty() || c.info.is_some());
            let _ = clean_kk(&s);
        }

        #[test]
        fn number_like_text_never_panics(s in "[0-9.,eE+' \u{a0}-]{0,24}") {
            let c = check_nik(&s, Y);
            prop_assert_eq!(
                c.info.is_some(),
                c.problems.iter().all(|p| p.severity() == Severity::Warning)
            );
        }

        #[test]
        fn valid_niks_are_read_back((nik, d, sex) in nik_strategy()) {
            let c = check_nik(&nik, Y);
            let info = c.info.expect("valid NIK");
            prop_assert_eq!(info.birth_date, d);
            prop_assert_eq!(info.sex, sex);
            prop_assert_eq!(&info.nik, &nik);
            let grouped = format!("'{}.{}.{}", &nik[..6], &nik[6..12], &nik[12..]);
            prop_assert_eq!(check_nik(&grouped, Y).info.map(|i| i.nik), Digits16::new(&nik));
        }

        #[test]
        fn problems_are_sorted_errors_first(s in "[0-9]{16}") {
            let c = check_nik(&s, Y);
            let mut sorted = c.problems.clone();
            sorted.sort();
            prop_assert_eq!(&sorted, &c.problems);
            prop_assert_eq!(
                c.info.is_some(),
                c.problems.iter().all(|p| p.severity() == Severity::Warning)
            );
        }
    }
}
