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
        if !(MIN_YEAR..=MAX_YEAR).contains(&year) || !(1..=12).contains(&month) {
            return None;
        }
        if day == 0 || day > days_in_month(year, month) {
            return None;
        }
        Some(Date { year, month, day })
    }
    /// `YYYY-MM-DD`.
    pub fn iso(&self) -> String {
        format!("{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
    /// `YYYY-MM-DD` as bytes, without formatting machinery (a year has at most 4 digits).
    pub fn iso_bytes(&self) -> [u8; 10] {
        let d = |n: u16| b'0' + (n % 10) as u8;
        let (y, m, dd) = (self.year, u16::from(self.month), u16::from(self.day));
        [
            d(y / 1000),
            d(y / 100),
            d(y / 10),
            d(y),
            b'-',
            d(m / 10),
            d(m),
            b'-',
            d(dd / 10),
            d(dd),
        ]
    }
    /// Days since 1970-01-01 (negative before).
    pub fn days_since_epoch(&self) -> i64 {
        days_from_civil(i64::from(self.year), self.month, self.day)
    }

    /// Excel 1900-system serial number (serial 60 is the non-existent 29 Feb 1900: None).
    pub fn from_excel_serial(serial: i64) -> Option<Date> {
        // Serial 1 is 1900-01-01. Excel counts a 29 Feb 1900 that never was (serial 60),
        // so from serial 61 (1900-03-01) on every serial is one day too high.
        let offset = match serial {
            1..=59 => serial - 1,
            61..=MAX_SERIAL => serial - 2,
            _ => return None,
        };
        let (y, m, d) = civil_from_days(days_from_civil(1900, 1, 1) + offset);
        Date::new(u16::try_from(y).ok()?, m, d)
    }
}

/// Earliest and latest year a [`Date`] may have.
const MIN_YEAR: u16 = 1850;
const MAX_YEAR: u16 = 2100;
/// Serial of 2100-12-31, the last date [`Date::new`] accepts.
const MAX_SERIAL: i64 = 73_415;
/// Largest number a digits-only cell may hold to be read as an Excel serial.
const MAX_CELL_SERIAL: u32 = 80_000;

fn is_leap(year: u16) -> bool {
    (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400)
}

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: u8, d: u8) -> i64 {
    let (m, d) = (i64::from(m), i64::from(d));
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Inverse of [`days_from_civil`].
fn civil_from_days(z: i64) -> (i64, u8, u8) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// Parses a birth-date cell: `dd-mm-yyyy`, `dd/mm/yyyy`, `dd.mm.yyyy`, `yyyy-mm-dd`,
/// `17 AGUSTUS 1945` (full and short Indonesian month names, also English), two-digit years
/// only where unambiguous, Excel serials, and combined place-and-date cells
/// (`CIREBON, 17-08-1945`). Day-month order always: `03/04/1980` is 3 April.
///
/// Details:
/// - A time after the date is ignored (`1980-04-03 00:00:00`, `03/04/1980 0:00`,
///   `1980-04-03T00:00:00`); so is a weekday name before it (`SENIN, 17 AGUSTUS 1945`).
/// - Month names: Indonesian full and short (JANUARI/JAN, FEBRUARI/PEBRUARI/FEB/PEB, ...,
///   AGUSTUS/AGT/AGU/AGS, NOVEMBER/NOPEMBER/NOV/NOP, DESEMBER/DES), English, and Roman
///   numerals in the middle (`17-VIII-1945`). `AUGUST 17, 1945` is read too.
/// - Eight digits: `17081945` (day first) or `19450817` when only that reading is a date.
/// - Two-digit years: without a reference year only 30-99 are unambiguous (19yy: no one
///   alive was born in 2030-2099); 00-29 could be a child of 20yy or an elder of 19yy and
///   give `Unrecognized`. [`parse_date_with_reference`] resolves them all.
/// - A cell of 1-5 digits is an Excel serial (1..=80000, 1900 system). Exception: 1850..=2100
///   alone is a birth *year* (those serials would be dates in 1905), which is not a full
///   date: `Unrecognized`.
/// - Years outside 1850..=2100, months above 12 and days past the month's end are
///   `Impossible`. Day and month are never swapped, not even for `04/23/1980`.
/// - Empty cells and filler (`-`, `0`, `00-00-0000`, `NULL`, `TIDAK ADA`, ...) are `Empty`.
pub fn parse_date(raw: &str) -> Result<Date, DateError> {
    quick(raw.as_bytes()).unwrap_or_else(|| locate(raw, Century::Fixed).result)
}

/// [`parse_date`], resolving every two-digit year like the NIK does: `yy` above
/// `reference_year % 100` is 19yy, else 20yy (with 2026: `45` is 1945, `05` is 2005).
pub fn parse_date_with_reference(raw: &str, reference_year: u16) -> Result<Date, DateError> {
    quick(raw.as_bytes()).unwrap_or_else(|| locate(raw, Century::Reference(reference_year)).result)
}

/// What [`locate`] finds in the commonest cells, `DD-MM-YYYY` and `YYYY-MM-DD` (each
/// separator `-`, `/` or `.`), read directly; `None` for any other cell. Such a cell is three
/// numbers (the separators are skipped), all zeros is filler (`Empty`), and [`three`] reads
/// `2-2-4` digits as day-month-year and `4-2-2` as year-month-day; the year has four digits,
/// so the century rule never applies. (Tested equal to `locate` on cells of these shapes.)
fn quick(raw: &[u8]) -> Option<Result<Date, DateError>> {
    if raw.len() != 10 {
        return None;
    }
    let sep = |i: usize| matches!(raw[i], b'-' | b'/' | b'.');
    let digits = |at: &[usize]| at.iter().all(|&i| raw[i].is_ascii_digit());
    let n = |r: std::ops::Range<usize>| {
        raw[r]
            .iter()
            .fold(0u32, |v, b| v * 10 + u32::from(b - b'0'))
    };
    let (year, month, day) = if sep(2) && sep(5) && digits(&[0, 1, 3, 4, 6, 7, 8, 9]) {
        (n(6..10), n(3..5), n(0..2))
    } else if sep(4) && sep(7) && digits(&[0, 1, 2, 3, 5, 6, 8, 9]) {
        (n(0..4), n(5..7), n(8..10))
    } else {
        return None;
    };
    if (year, month, day) == (0, 0, 0) {
        return Some(Err(DateError::Empty));
    }
    Some(ymd(year, month, day))
}

/// Splits a TTL / TEMPAT/TGL LAHIR cell into (place, date).
///
/// The date is read from the end of the cell (see [`parse_date`]); the place is what stands
/// before it, trimmed of punctuation (`"CIREBON, 17-08-1945"` and `"CIREBON 17-08-1945"` give
/// `"CIREBON"`). A cell with no date in it is all place and `Err(Empty)`; a cell with no
/// place gives `None`.
pub fn split_place_date(raw: &str) -> (Option<String>, Result<Date, DateError>) {
    let Located {
        place_end,
        result,
        has_date,
    } = locate(raw, Century::Fixed);
    let result = if has_date {
        result
    } else {
        Err(DateError::Empty)
    };
    let place = raw
        .get(..place_end)
        .unwrap_or("")
        .trim_matches(|c: char| !c.is_alphanumeric());
    let place = (!place.is_empty()).then(|| place.to_string());
    (place, result)
}

/// How two-digit years are resolved.
#[derive(Clone, Copy)]
enum Century {
    /// 30-99 is 19yy, 00-29 ambiguous.
    Fixed,
    /// Above `reference_year % 100` is 19yy, else 20yy.
    Reference(u16),
}

impl Century {
    fn year(self, yy: u32) -> Option<u16> {
        let yy = u16::try_from(yy).ok().filter(|&y| y < 100)?;
        match self {
            Century::Fixed => (yy >= 30).then_some(1900 + yy),
            Century::Reference(r) => Some(if yy > r % 100 { 1900 + yy } else { 2000 + yy }),
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Num,
    Word,
}

/// A run of ASCII digits or of letters, as a byte range of the cell.
#[derive(Clone, Copy)]
struct Tok {
    kind: Kind,
    start: usize,
    end: usize,
}

/// What [`locate`] found in a cell.
struct Located {
    /// Byte offset where the place part (everything before the date) ends.
    place_end: usize,
    result: Result<Date, DateError>,
    /// False when the cell holds text but no number or month name at all.
    has_date: bool,
}

/// Finds the date at the end of a cell.
fn locate(raw: &str, century: Century) -> Located {
    let found = |place_end: usize, result: Result<Date, DateError>| Located {
        place_end,
        result,
        has_date: true,
    };
    let mut toks: Vec<Tok> = Vec::new();
    let mut time_at: Option<usize> = None;
    for (i, c) in raw.char_indices() {
        let kind = if c.is_ascii_digit() {
            Kind::Num
        } else if c.is_alphanumeric() {
            // Letters, and digits of other scripts (read as text we do not understand).
            Kind::Word
        } else {
            // A colon right after a number starts a time of day: the date ends before it.
            if c == ':' && time_at.is_none() {
                if let Some(last) = toks.last() {
                    if last.kind == Kind::Num && last.end == i {
                        time_at = Some(toks.len() - 1);
                    }
                }
            }
            continue;
        };
        match toks.last_mut() {
            Some(t) if t.kind == kind && t.end == i => t.end = i + c.len_utf8(),
            _ => toks.push(Tok {
                kind,
                start: i,
                end: i + c.len_utf8(),
            }),
        }
    }
    if let Some(n) = time_at.filter(|&n| n > 0) {
        toks.truncate(n);
        // ISO "1980-04-03T00:00:00".
        if let Some(t) = toks.last() {
            if t.kind == Kind::Word && raw[t.start..t.end].eq_ignore_ascii_case("T") {
                toks.pop();
            }
        }
    }
    let text = |t: &Tok| &raw[t.start..t.end];

    if toks.is_empty() || is_filler(raw, &toks) {
        return found(0, Err(DateError::Empty));
    }
    let n = toks.len();
    if n >= 3 {
        if let Some(r) = three(raw, &toks[n - 3..], century) {
            return found(place_end(raw, &toks, n - 3), r);
        }
    }
    let last = toks[n - 1];
    if last.kind == Kind::Num {
        let digits = text(&last);
        if digits.len() == 8 {
            return found(place_end(raw, &toks, n - 1), compact(digits));
        }
        let whole = raw.trim_matches(|c: char| c.is_whitespace() || QUOTES.contains(&c));
        if n == 1 && whole == digits && digits.len() <= 5 {
            return found(0, serial_cell(digits));
        }
    }
    // No date shape. The place is what stands before the first number or month name; a
    // cell with neither has no date at all.
    let first_date_like = toks
        .iter()
        .position(|t| t.kind == Kind::Num || month_name(text(t)).is_some());
    match first_date_like {
        Some(i) => found(place_end(raw, &toks, i), Err(DateError::Unrecognized)),
        None => Located {
            place_end: raw.len(),
            result: Err(DateError::Unrecognized),
            has_date: false,
        },
    }
}

/// Quote marks that wrap a cell as text (`'17-08-1945`).
const QUOTES: [char; 3] = ['\'', '`', '"'];

/// Where the place part ends, for a date starting at token `i`: before the date and before
/// any weekday name right in front of it.
fn place_end(raw: &str, toks: &[Tok], mut i: usize) -> usize {
    while i > 0
        && toks[i - 1].kind == Kind::Word
        && is_weekday(&raw[toks[i - 1].start..toks[i - 1].end])
    {
        i -= 1;
    }
    toks.get(i).map_or(raw.len(), |t| t.start)
}

/// Empty-cell stand-ins: only zeros (`0`, `00-00-0000`), or a filler word.
fn is_filler(raw: &str, toks: &[Tok]) -> bool {
    let all_zero = toks
        .iter()
        .all(|t| t.kind == Kind::Num && raw[t.start..t.end].bytes().all(|b| b == b'0'));
    if all_zero {
        return true;
    }
    if toks.iter().any(|t| t.kind == Kind::Num) || toks.len() > 3 {
        return false;
    }
    let mut buf = [0u8; 24];
    let mut len = 0;
    for t in toks {
        for b in raw[t.start..t.end].bytes() {
            if len == buf.len() {
                return false;
            }
            buf[len] = b.to_ascii_uppercase();
            len += 1;
        }
    }
    matches!(
        &buf[..len],
        b"NULL"
            | b"NONE"
            | b"NA"
            | b"NAN"
            | b"NAT"
            | b"TIDAKADA"
            | b"TDKADA"
            | b"TIDAKTAHU"
            | b"TDKTAHU"
            | b"TIDAKDIKETAHUI"
            | b"BELUMADA"
            | b"KOSONG"
    )
}

/// Reads three tokens as a date; `None` when they do not have a date's shape.
fn three(raw: &str, t: &[Tok], century: Century) -> Option<Result<Date, DateError>> {
    let s = |i: usize| &raw[t[i].start..t[i].end];
    let (a, b, c) = (s(0), s(1), s(2));
    let (la, lb, lc) = (a.len(), b.len(), c.len());
    let short = |l: usize| (1..=2).contains(&l);
    match (t[0].kind, t[1].kind, t[2].kind) {
        (Kind::Num, Kind::Num, Kind::Num) => {
            if la == 4 && short(lb) && short(lc) {
                Some(ymd(num(a), num(b), num(c)))
            } else if short(la) && short(lb) && lc == 4 {
                Some(ymd(num(c), num(b), num(a)))
            } else if short(la) && short(lb) && lc == 2 {
                Some(yy_md(century, num(c), num(b), num(a)))
            } else {
                None
            }
        }
        (Kind::Num, Kind::Word, Kind::Num) => {
            let m = u32::from(month_name(b).or_else(|| roman_month(b))?);
            if short(la) && lc == 4 {
                Some(ymd(num(c), m, num(a)))
            } else if short(la) && lc == 2 {
                Some(yy_md(century, num(c), m, num(a)))
            } else if la == 4 && short(lc) {
                Some(ymd(num(a), m, num(c)))
            } else {
                None
            }
        }
        (Kind::Word, Kind::Num, Kind::Num) => {
            // "AUGUST 17, 1945".
            let m = u32::from(month_name(a)?);
            (short(lb) && lc == 4).then(|| ymd(num(c), m, num(b)))
        }
        _ => None,
    }
}

/// The value of a short digit string (callers pass at most 8 digits).
fn num(s: &str) -> u32 {
    s.bytes().fold(0u32, |v, b| {
        v.saturating_mul(10).saturating_add(u32::from(b - b'0'))
    })
}

fn ymd(year: u32, month: u32, day: u32) -> Result<Date, DateError> {
    let (Ok(y), Ok(m), Ok(d)) = (u16::try_from(year), u8::try_from(month), u8::try_from(day))
    else {
        return Err(DateError::Impossible);
    };
    Date::new(y, m, d).ok_or(DateError::Impossible)
}

/// A date with a two-digit year.
fn yy_md(century: Century, yy: u32, month: u32, day: u32) -> Result<Date, DateError> {
    match century.year(yy) {
        Some(y) => ymd(u32::from(y), month, day),
        None => Err(DateError::Unrecognized),
    }
}

/// Eight digits: `ddmmyyyy`, or `yyyymmdd` when only that reading is a valid date.
fn compact(d: &str) -> Result<Date, DateError> {
    let dmy = ymd(num(&d[4..]), num(&d[2..4]), num(&d[..2]));
    if dmy.is_ok() {
        return dmy;
    }
    let ymd_ = ymd(num(&d[..4]), num(&d[4..6]), num(&d[6..]));
    if ymd_.is_ok() {
        return ymd_;
    }
    let plausible = |y: u32| (u32::from(MIN_YEAR)..=u32::from(MAX_YEAR)).contains(&y);
    if plausible(num(&d[4..])) || plausible(num(&d[..4])) {
        Err(DateError::Impossible)
    } else {
        Err(DateError::Unrecognized)
    }
}

/// A cell of 1-5 digits only: an Excel serial, unless it is a bare birth year.
fn serial_cell(digits: &str) -> Result<Date, DateError> {
    let n = num(digits);
    if digits.len() == 4 && (u32::from(MIN_YEAR)..=u32::from(MAX_YEAR)).contains(&n) {
        // "1945": a year of birth, not serial 1945 (= 1905-04-28).
        return Err(DateError::Unrecognized);
    }
    if n > MAX_CELL_SERIAL {
        return Err(DateError::Unrecognized);
    }
    Date::from_excel_serial(i64::from(n)).ok_or(DateError::Impossible)
}

/// A short word upper-cased into a stack buffer (no allocation); `None` when it is longer
/// than `N` bytes or not ASCII (then it is none of the words looked up here).
fn upper<const N: usize>(w: &str) -> Option<([u8; N], usize)> {
    if w.len() > N || !w.is_ascii() {
        return None;
    }
    let mut buf = [0u8; N];
    for (d, s) in buf.iter_mut().zip(w.bytes()) {
        *d = s.to_ascii_uppercase();
    }
    Some((buf, w.len()))
}

/// Month names, Indonesian and English, full and short (any case).
fn month_name(w: &str) -> Option<u8> {
    let (buf, len) = upper::<10>(w)?;
    Some(match &buf[..len] {
        b"JANUARI" | b"JANUARY" | b"JAN" => 1,
        b"FEBRUARI" | b"PEBRUARI" | b"FEBRUARY" | b"FEBUARI" | b"PEBUARI" | b"FEB" | b"PEB"
        | b"FEBR" | b"PEBR" => 2,
        b"MARET" | b"MARCH" | b"MAR" | b"MRT" | b"MAART" => 3,
        b"APRIL" | b"APR" => 4,
        b"MEI" | b"MAY" => 5,
        b"JUNI" | b"JUNE" | b"JUN" => 6,
        b"JULI" | b"JULY" | b"JUL" => 7,
        b"AGUSTUS" | b"AUGUST" | b"AGT" | b"AGU" | b"AGS" | b"AGST" | b"AGUST" | b"AUG"
        | b"AUGUSTUS" => 8,
        b"SEPTEMBER" | b"SEP" | b"SEPT" => 9,
        b"OKTOBER" | b"OCTOBER" | b"OKT" | b"OCT" => 10,
        b"NOVEMBER" | b"NOPEMBER" | b"NOV" | b"NOP" => 11,
        b"DESEMBER" | b"DECEMBER" | b"DES" | b"DEC" => 12,
        _ => return None,
    })
}

/// Roman month numbers, used between day and year (`17-VIII-1945`).
fn roman_month(w: &str) -> Option<u8> {
    let (buf, len) = upper::<4>(w)?;
    Some(match &buf[..len] {
        b"I" => 1,
        b"II" => 2,
        b"III" => 3,
        b"IV" => 4,
        b"V" => 5,
        b"VI" => 6,
        b"VII" => 7,
        b"VIII" => 8,
        b"IX" => 9,
        b"X" => 10,
        b"XI" => 11,
        b"XII" => 12,
        _ => return None,
    })
}

/// Weekday names (Indonesian and English, full and short) that may precede a date.
fn is_weekday(w: &str) -> bool {
    let Some((buf, len)) = upper::<9>(w) else {
        return false;
    };
    matches!(
        &buf[..len],
        b"SENIN"
            | b"SELASA"
            | b"RABU"
            | b"KAMIS"
            | b"JUMAT"
            | b"SABTU"
            | b"MINGGU"
            | b"AHAD"
            | b"MONDAY"
            | b"TUESDAY"
            | b"WEDNESDAY"
            | b"THURSDAY"
            | b"FRIDAY"
            | b"SATURDAY"
            | b"SUNDAY"
            | b"MON"
            | b"TUE"
            | b"WED"
            | b"THU"
            | b"FRI"
            | b"SAT"
            | b"SUN"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(y: u16, m: u8, day: u8) -> Date {
        Date::new(y, m, day).expect("valid test date")
    }

    #[test]
    fn new_checks_month_length_and_leap_years() {
        assert!(Date::new(1980, 2, 29).is_some());
        assert!(Date::new(2000, 2, 29).is_some());
        assert!(Date::new(1900, 2, 29).is_none());
        assert!(Date::new(1981, 2, 29).is_none());
        assert!(Date::new(1980, 4, 31).is_none());
        assert!(Date::new(1980, 12, 31).is_some());
        assert!(Date::new(1980, 13, 1).is_none());
        assert!(Date::new(1980, 0, 1).is_none());
        assert!(Date::new(1980, 1, 0).is_none());
    }

    #[test]
    fn new_limits_years_to_1850_through_2100() {
        assert!(Date::new(1850, 1, 1).is_some());
        assert!(Date::new(2100, 12, 31).is_some());
        assert!(Date::new(1849, 12, 31).is_none());
        assert!(Date::new(2101, 1, 1).is_none());
        assert!(Date::new(0, 1, 1).is_none());
    }

    #[test]
    fn iso_format() {
        assert_eq!(d(1945, 8, 17).iso(), "1945-08-17");
    }

    #[test]
    fn excel_serials_1900_system() {
        assert_eq!(Date::from_excel_serial(1), Some(d(1900, 1, 1)));
        assert_eq!(Date::from_excel_serial(59), Some(d(1900, 2, 28)));
        // Serial 60 is Excel's 29 Feb 1900, which never existed.
        assert_eq!(Date::from_excel_serial(60), None);
        assert_eq!(Date::from_excel_serial(61), Some(d(1900, 3, 1)));
        assert_eq!(Date::from_excel_serial(25_569), Some(d(1970, 1, 1)));
        assert_eq!(Date::from_excel_serial(29_314), Some(d(1980, 4, 3)));
        assert_eq!(Date::from_excel_serial(16_666), Some(d(1945, 8, 17)));
        assert_eq!(Date::from_excel_serial(36_526), Some(d(2000, 1, 1)));
        assert_eq!(Date::from_excel_serial(73_415), Some(d(2100, 12, 31)));
        assert_eq!(Date::from_excel_serial(73_416), None);
        assert_eq!(Date::from_excel_serial(0), None);
        assert_eq!(Date::from_excel_serial(-1), None);
        assert_eq!(Date::from_excel_serial(i64::MIN), None);
        assert_eq!(Date::from_excel_serial(i64::MAX), None);
    }

    #[test]
    fn day_month_year_with_any_separator() {
        assert_eq!(parse_date("17-08-1945"), Ok(d(1945, 8, 17)));
        assert_eq!(parse_date("17/08/1945"), Ok(d(1945, 8, 17)));
        assert_eq!(parse_date("17.08.1945"), Ok(d(1945, 8, 17)));
        assert_eq!(parse_date("17 08 1945"), Ok(d(1945, 8, 17)));
        assert_eq!(parse_date("7-8-1945"), Ok(d(1945, 8, 7)));
        assert_eq!(parse_date(" 17 - 08 - 1945 "), Ok(d(1945, 8, 17)));
    }

    #[test]
    fn never_month_first() {
        assert_eq!(parse_date("03/04/1980"), Ok(d(1980, 4, 3)));
        assert_eq!(parse_date("03-04-1980"), Ok(d(1980, 4, 3)));
        // Month 23 does not exist; the parser does not swap day and month.
        assert_eq!(parse_date("04/23/1980"), Err(DateError::Impossible));
    }

    #[test]
    fn year_month_day() {
        assert_eq!(parse_date("1980-04-03"), Ok(d(1980, 4, 3)));
        assert_eq!(parse_date("1980/04/03"), Ok(d(1980, 4, 3)));
        assert_eq!(parse_date("1980-4-3"), Ok(d(1980, 4, 3)));
    }

    #[test]
    fn timestamps() {
        assert_eq!(parse_date("1980-04-03 00:00:00"), Ok(d(1980, 4, 3)));
        assert_eq!(parse_date("1980-04-03T00:00:00"), Ok(d(1980, 4, 3)));
        assert_eq!(parse_date("1980-04-03 00:00:00.000"), Ok(d(1980, 4, 3)));
        assert_eq!(parse_date("03/04/1980 0:00"), Ok(d(1980, 4, 3)));
        assert_eq!(parse_date("03/04/1980 12:00:00 AM"), Ok(d(1980, 4, 3)));
    }

    #[test]
    fn indonesian_month_names() {
        assert_eq!(parse_date("17 AGUSTUS 1945"), Ok(d(1945, 8, 17)));
        assert_eq!(parse_date("17 Agustus 1945"), Ok(d(1945, 8, 17)));
        assert_eq!(parse_date("17-AGT-1945"), Ok(d(1945, 8, 17)));
        assert_eq!(parse_date("17 AGS 1945"), Ok(d(1945, 8, 17)));
        assert_eq!(parse_date("17-Agu-1945"), Ok(d(1945, 8, 17)));
        assert_eq!(parse_date("1 JANUARI 1960"), Ok(d(1960, 1, 1)));
        assert_eq!(parse_date("29 PEBRUARI 1980"), Ok(d(1980, 2, 29)));
        assert_eq!(parse_date("2 PEB 1981"), Ok(d(1981, 2, 2)));
        assert_eq!(parse_date("5 MARET 1970"), Ok(d(1970, 3, 5)));
        assert_eq!(parse_date("5 MEI 1970"), Ok(d(1970, 5, 5)));
        assert_eq!(parse_date("10 NOPEMBER 1945"), Ok(d(1945, 11, 10)));
        assert_eq!(parse_date("10 NOP 1945"), Ok(d(1945, 11, 10)));
        assert_eq!(parse_date("25 DES 1999"), Ok(d(1999, 12, 25)));
        assert_eq!(parse_date("1 OKT 2001"), Ok(d(2001, 10, 1)));
        assert_eq!(parse_date("9 SEPT 2001"), Ok(d(2001, 9, 9)));
        assert_eq!(parse_date("17AGUSTUS1945"), Ok(d(1945, 8, 17)));
    }

    #[test]
    fn english_month_names() {
        assert_eq!(parse_date("17 August 1945"), Ok(d(1945, 8, 17)));
        assert_eq!(parse_date("17-Aug-1945"), Ok(d(1945, 8, 17)));
        assert_eq!(parse_date("August 17, 1945"), Ok(d(1945, 8, 17)));
        assert_eq!(parse_date("3 May 1980"), Ok(d(1980, 5, 3)));
        assert_eq!(parse_date("1945-Aug-17"), Ok(d(1945, 8, 17)));
    }

    #[test]
    fn roman_month_numbers() {
        assert_eq!(parse_date("17-VIII-1945"), Ok(d(1945, 8, 17)));
        assert_eq!(parse_date("1 XII 1960"), Ok(d(1960, 12, 1)));
    }

    #[test]
    fn weekday_before_the_date_is_ignored() {
        assert_eq!(parse_date("Jumat, 17 Agustus 1945"), Ok(d(1945, 8, 17)));
        assert_eq!(
            split_place_date("CIREBON, SENIN 17-08-1945"),
            (Some("CIREBON".to_string()), Ok(d(1945, 8, 17)))
        );
    }

    #[test]
    fn eight_digit_compact_dates() {
        assert_eq!(parse_date("17081945"), Ok(d(1945, 8, 17)));
        assert_eq!(parse_date("19450817"), Ok(d(1945, 8, 17)));
        // Both readings valid (20-10-1990 and 2010-10-19): day first wins.
        assert_eq!(parse_date("20101990"), Ok(d(1990, 10, 20)));
        assert_eq!(parse_date("31021980"), Err(DateError::Impossible));
        assert_eq!(parse_date("99999999"), Err(DateError::Unrecognized));
    }

    #[test]
    fn two_digit_years_only_when_unambiguous() {
        assert_eq!(parse_date("17-08-45"), Ok(d(1945, 8, 17)));
        assert_eq!(parse_date("3/4/80"), Ok(d(1980, 4, 3)));
        assert_eq!(parse_date("17 AGUSTUS 45"), Ok(d(1945, 8, 17)));
        // 05: a child of 2005 or an elder of 1905.
        assert_eq!(parse_date("01-02-05"), Err(DateError::Unrecognized));
        assert_eq!(parse_date("01-02-29"), Err(DateError::Unrecognized));
        // Six digits without separators: no telling ddmmyy from yymmdd.
        assert_eq!(parse_date("170845"), Err(DateError::Unrecognized));
    }

    #[test]
    fn two_digit_years_with_reference_year() {
        assert_eq!(
            parse_date_with_reference("01-02-05", 2026),
            Ok(d(2005, 2, 1))
        );
        assert_eq!(
            parse_date_with_reference("01-02-26", 2026),
            Ok(d(2026, 2, 1))
        );
        assert_eq!(
            parse_date_with_reference("01-02-27", 2026),
            Ok(d(1927, 2, 1))
        );
        assert_eq!(
            parse_date_with_reference("17-08-45", 2026),
            Ok(d(1945, 8, 17))
        );
        assert_eq!(
            parse_date_with_reference("17-08-1945", 2026),
            Ok(d(1945, 8, 17))
        );
    }

    #[test]
    fn excel_serial_cells() {
        assert_eq!(parse_date("29314"), Ok(d(1980, 4, 3)));
        assert_eq!(parse_date("'29314"), Ok(d(1980, 4, 3)));
        assert_eq!(parse_date("61"), Ok(d(1900, 3, 1)));
        assert_eq!(parse_date("1"), Ok(d(1900, 1, 1)));
        assert_eq!(parse_date("60"), Err(DateError::Impossible));
        assert_eq!(parse_date("80000"), Err(DateError::Impossible));
        assert_eq!(parse_date("80001"), Err(DateError::Unrecognized));
        // Six or more digits are not serials.
        assert_eq!(parse_date("123456"), Err(DateError::Unrecognized));
        // A serial needs a cell of digits only.
        assert_eq!(parse_date("CIREBON 29314"), Err(DateError::Unrecognized));
    }

    #[test]
    fn bare_year_is_not_a_serial() {
        assert_eq!(parse_date("1945"), Err(DateError::Unrecognized));
        assert_eq!(parse_date("2001"), Err(DateError::Unrecognized));
        // ... but a four-digit number outside 1850..=2100 is.
        assert_eq!(parse_date("1000"), Ok(d(1902, 9, 26)));
    }

    #[test]
    fn impossible_dates() {
        assert_eq!(parse_date("31-02-1980"), Err(DateError::Impossible));
        assert_eq!(parse_date("29-02-1981"), Err(DateError::Impossible));
        assert_eq!(parse_date("29-02-1900"), Err(DateError::Impossible));
        assert_eq!(parse_date("01-13-1980"), Err(DateError::Impossible));
        assert_eq!(parse_date("00-01-1980"), Err(DateError::Impossible));
        assert_eq!(parse_date("32 AGUSTUS 1945"), Err(DateError::Impossible));
        assert_eq!(parse_date("01-01-1849"), Err(DateError::Impossible));
        assert_eq!(parse_date("01-01-2101"), Err(DateError::Impossible));
        assert_eq!(parse_date("0000-01-01"), Err(DateError::Impossible));
    }

    #[test]
    fn unrecognized_formats() {
        assert_eq!(parse_date("AGUSTUS 1945"), Err(DateError::Unrecognized));
        assert_eq!(parse_date("17 FOO 1945"), Err(DateError::Unrecognized));
        assert_eq!(parse_date("kemarin"), Err(DateError::Unrecognized));
        assert_eq!(parse_date("1/2/3/4"), Err(DateError::Unrecognized));
        assert_eq!(parse_date("17-08-19450"), Err(DateError::Unrecognized));
    }

    #[test]
    fn empty_and_filler() {
        assert_eq!(parse_date(""), Err(DateError::Empty));
        assert_eq!(parse_date("   "), Err(DateError::Empty));
        assert_eq!(parse_date("-"), Err(DateError::Empty));
        assert_eq!(parse_date("0"), Err(DateError::Empty));
        assert_eq!(parse_date("00-00-0000"), Err(DateError::Empty));
        assert_eq!(parse_date("0000-00-00 00:00:00"), Err(DateError::Empty));
        assert_eq!(parse_date("NULL"), Err(DateError::Empty));
        assert_eq!(parse_date("#N/A"), Err(DateError::Empty));
        assert_eq!(parse_date("tidak ada"), Err(DateError::Empty));
    }

    #[test]
    fn place_and_date_cells() {
        assert_eq!(parse_date("CIREBON, 17-08-1945"), Ok(d(1945, 8, 17)));
        assert_eq!(parse_date("CIREBON 17-08-1945"), Ok(d(1945, 8, 17)));
        assert_eq!(
            split_place_date("CIREBON, 17-08-1945"),
            (Some("CIREBON".to_string()), Ok(d(1945, 8, 17)))
        );
        assert_eq!(
            split_place_date("CIREBON 17-08-1945"),
            (Some("CIREBON".to_string()), Ok(d(1945, 8, 17)))
        );
        assert_eq!(
            split_place_date("Kab. Cirebon, 17 Agustus 1945"),
            (Some("Kab. Cirebon".to_string()), Ok(d(1945, 8, 17)))
        );
        assert_eq!(
            split_place_date("JAKARTA PUSAT/03-04-1980"),
            (Some("JAKARTA PUSAT".to_string()), Ok(d(1980, 4, 3)))
        );
        assert_eq!(
            split_place_date("CIREBON, 1980-04-03 00:00:00"),
            (Some("CIREBON".to_string()), Ok(d(1980, 4, 3)))
        );
        assert_eq!(
            split_place_date("CIREBON,17081945"),
            (Some("CIREBON".to_string()), Ok(d(1945, 8, 17)))
        );
        assert_eq!(
            split_place_date("SUMBER, 31-02-1980"),
            (Some("SUMBER".to_string()), Err(DateError::Impossible))
        );
    }

    #[test]
    fn place_and_date_cells_missing_a_part() {
        assert_eq!(split_place_date("17-08-1945"), (None, Ok(d(1945, 8, 17))));
        assert_eq!(split_place_date(", 17-08-1945"), (None, Ok(d(1945, 8, 17))));
        assert_eq!(
            split_place_date("CIREBON"),
            (Some("CIREBON".to_string()), Err(DateError::Empty))
        );
        assert_eq!(
            split_place_date("CIREBON, -"),
            (Some("CIREBON".to_string()), Err(DateError::Empty))
        );
        assert_eq!(
            split_place_date("CIREBON 1945"),
            (Some("CIREBON".to_string()), Err(DateError::Unrecognized))
        );
        assert_eq!(split_place_date(""), (None, Err(DateError::Empty)));
        assert_eq!(split_place_date("-"), (None, Err(DateError::Empty)));
        // A serial needs a digits-only cell, so there is no place beside one.
        assert_eq!(split_place_date("29314"), (None, Ok(d(1980, 4, 3))));
    }

    #[test]
    fn non_ascii_text_is_handled() {
        assert_eq!(
            split_place_date("CIRÉBON, 17-08-1945"),
            (Some("CIRÉBON".to_string()), Ok(d(1945, 8, 17)))
        );
        assert_eq!(parse_date("17\u{a0}08\u{a0}1945"), Ok(d(1945, 8, 17)));
        assert_eq!(parse_date("١٧-٠٨-١٩٤٥"), Err(DateError::Unrecognized));
    }

    #[test]
    fn serial_round_trip_over_whole_range() {
        let mut prev: Option<Date> = None;
        for s in 1..=MAX_SERIAL {
            let Some(date) = Date::from_excel_serial(s) else {
                assert_eq!(s, 60);
                continue;
            };
            if let Some(p) = prev {
                assert!(p < date, "serial {s}");
            }
            let (y, m, dd) =
                civil_from_days(days_from_civil(i64::from(date.year), date.month, date.day));
            assert_eq!((y, m, dd), (i64::from(date.year), date.month, date.day));
            prev = Some(date);
        }
    }

    const PLACES: &[&str] = &[
        "CIREBON",
        "Kab. Cirebon",
        "SUMBER",
        "KUNINGAN",
        "INDRAMAYU",
        "MAJALENGKA",
        "JAKARTA PUSAT",
        "Bandung",
        "TEGAL GUBUG",
        "DESA MUNDU PESISIR",
    ];

    fn date_strategy() -> impl Strategy<Value = Date> {
        (1850u16..=2100, 1u8..=12, 1u8..=31)
            .prop_filter_map("valid date", |(y, m, d)| Date::new(y, m, d))
    }

    fn assert_quick_is_locate(s: &str) -> Result<(), TestCaseError> {
        if let Some(q) = quick(s.as_bytes()) {
            prop_assert_eq!(&q, &locate(s, Century::Fixed).result, "{}", s);
            prop_assert_eq!(&q, &locate(s, Century::Reference(2026)).result, "{}", s);
        }
        Ok(())
    }

    #[test]
    fn quick_reads_the_common_shapes() {
        let d = |y, m, d| Ok(Date::new(y, m, d).unwrap());
        assert_eq!(quick(b"19-02-1957"), Some(d(1957, 2, 19)));
        assert_eq!(quick(b"1995-08-27"), Some(d(1995, 8, 27)));
        assert_eq!(quick(b"14/09/1957"), Some(d(1957, 9, 14)));
        assert_eq!(quick(b"00-00-0000"), Some(Err(DateError::Empty)));
        assert_eq!(quick(b"31-02-1980"), Some(Err(DateError::Impossible)));
        assert_eq!(quick(b"17 OKTOBER 2018"), None);
        assert_eq!(quick(b"19-02-57"), None);
        assert_eq!(quick(b"19:02:1957"), None);
    }

    proptest! {
        #[test]
        fn quick_is_locate_on_day_first_cells(s in "[0-9]{2}[-/.][0-9]{2}[-/.][0-9]{4}") {
            assert_quick_is_locate(&s)?;
        }

        #[test]
        fn quick_is_locate_on_year_first_cells(s in "[0-9]{4}[-/.][0-9]{2}[-/.][0-9]{2}") {
            assert_quick_is_locate(&s)?;
        }

        #[test]
        fn quick_is_locate_on_small_numbers(s in "[0-3][0-9][-/.][01][0-9][-/.](19|20)[0-9]{2}|(19|20)[0-9]{2}[-/.][01][0-9][-/.][0-3][0-9]") {
            assert_quick_is_locate(&s)?;
        }

        #[test]
        fn quick_is_locate_on_any_ten_bytes(s in "[0-9/.: -]{10}") {
            assert_quick_is_locate(&s)?;
        }
    }

    proptest! {
        #[test]
        fn parse_date_never_panics(s in "\\PC*") {
            let _ = parse_date(&s);
            let _ = parse_date_with_reference(&s, 2026);
        }

        #[test]
        fn split_place_date_never_panics(s in any::<String>()) {
            let _ = split_place_date(&s);
            let _ = parse_date(&s);
        }

        #[test]
        fn date_like_text_never_panics(s in "[0-9A-Za-z :/.,'\u{a0}é-]{0,30}") {
            let _ = split_place_date(&s);
            let _ = parse_date_with_reference(&s, 0);
            let _ = parse_date_with_reference(&s, u16::MAX);
        }

        #[test]
        fn excel_serial_never_panics(n in any::<i64>()) {
            let _ = Date::from_excel_serial(n);
        }

        #[test]
        fn written_dates_read_back(date in date_strategy(), place in prop::sample::select(PLACES)) {
            let (y, m, dd) = (date.year, date.month, date.day);
            prop_assert_eq!(parse_date(&format!("{dd:02}-{m:02}-{y}")), Ok(date));
            prop_assert_eq!(parse_date(&format!("{dd}/{m}/{y}")), Ok(date));
            prop_assert_eq!(parse_date(&date.iso()), Ok(date));
            prop_assert_eq!(parse_date(&format!("{} 00:00:00", date.iso())), Ok(date));
            prop_assert_eq!(
                split_place_date(&format!("{place}, {dd:02}-{m:02}-{y}")),
                (Some(place.to_string()), Ok(date))
            );
        }
    }
}
