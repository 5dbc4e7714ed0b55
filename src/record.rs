//! One row, normalized: the fields of DOMAIN.md read from their columns, with every
//! problem found along the way. Shared by `check`, `tokenize` and `reattach`, so the three
//! always agree on what a row is.

use crate::columns::{Field, Mapping};
use crate::date::{split_place_date, Date, DateError};
use crate::name::{normalize_name_into, FoldCache, NormalName};
use crate::nik::{check_nik, clean_kk, NikInfo, NikProblem};
use crate::sex::{parse_sex, Sex};
use crate::wilayah::{normalize_desa, normalize_kecamatan};
use std::sync::Arc;

/// The region memo: keys are the office's own cells, so a fast non-keyed hash is fine.
type RegionMemo = std::collections::HashMap<String, Option<Arc<str>>, rustc_hash::FxBuildHasher>;

/// A problem of a row that is not a problem of a single NIK value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RowIssue {
    /// The birth date in the NIK disagrees with the birth-date column.
    NikBirthDateMismatch,
    /// The sex in the NIK disagrees with the sex column.
    NikSexMismatch,
    /// NIK equal to the No. KK of the same row: the NIK is not used.
    NikEqualsKk,
    /// The NIK ends in 0 in a column where far too many do: Excel's 15-digit damage.
    NikColumnDamage,
    /// The birth-date cell could not be read.
    BadBirthDate,
    /// The birth date was empty and was taken from the NIK.
    BirthDateFromNik,
    /// The sex cell could not be read.
    BadSex,
    /// The row has another number of fields than the header.
    Ragged,
    /// The NIK was first registered in another kecamatan than the one in the row (people
    /// move: a warning, not an error).
    NikRegionMismatch,
}

impl RowIssue {
    pub fn code(self) -> &'static str {
        match self {
            RowIssue::NikBirthDateMismatch => "nik_birth_date_mismatch",
            RowIssue::NikSexMismatch => "nik_sex_mismatch",
            RowIssue::NikEqualsKk => "nik_equals_kk",
            RowIssue::NikColumnDamage => "nik_column_damage",
            RowIssue::BadBirthDate => "bad_birth_date",
            RowIssue::BirthDateFromNik => "birth_date_from_nik",
            RowIssue::BadSex => "bad_sex",
            RowIssue::Ragged => "ragged_row",
            RowIssue::NikRegionMismatch => "nik_region_mismatch",
        }
    }
    pub fn describe_id(self) -> &'static str {
        match self {
            RowIssue::NikBirthDateMismatch => {
                "tanggal lahir di NIK berbeda dengan kolom tanggal lahir"
            }
            RowIssue::NikSexMismatch => "jenis kelamin di NIK berbeda dengan kolom jenis kelamin",
            RowIssue::NikEqualsKk => "NIK sama dengan No. KK (NIK tidak dipakai)",
            RowIssue::NikColumnDamage => {
                "NIK berakhiran 0 di kolom yang rusak oleh spreadsheet (tidak dipakai)"
            }
            RowIssue::BadBirthDate => "tanggal lahir tidak terbaca",
            RowIssue::BirthDateFromNik => "tanggal lahir kosong, diambil dari NIK",
            RowIssue::BadSex => "jenis kelamin tidak terbaca",
            RowIssue::Ragged => "jumlah kolom baris berbeda dengan baris judul",
            RowIssue::NikRegionMismatch => {
                "kecamatan di NIK berbeda dengan kolom kecamatan (pindah domisili?)"
            }
        }
    }
    pub fn describe_en(self) -> &'static str {
        match self {
            RowIssue::NikBirthDateMismatch => {
                "birth date in the NIK differs from the birth-date column"
            }
            RowIssue::NikSexMismatch => "sex in the NIK differs from the sex column",
            RowIssue::NikEqualsKk => "NIK equals the family-card number (NIK not used)",
            RowIssue::NikColumnDamage => "NIK ends in 0 in a spreadsheet-damaged column (not used)",
            RowIssue::BadBirthDate => "birth date unreadable",
            RowIssue::BirthDateFromNik => "birth date empty, taken from the NIK",
            RowIssue::BadSex => "sex unreadable",
            RowIssue::Ragged => "row has a different number of fields than the header",
            RowIssue::NikRegionMismatch => {
                "kecamatan in the NIK differs from the kecamatan column (moved?)"
            }
        }
    }
}

/// A normalized row.
#[derive(Clone, Debug, Default)]
pub struct NormalRow {
    /// The NIK when usable for matching.
    pub nik: Option<NikInfo>,
    /// NIK problems (empty when there is no NIK column).
    pub nik_problems: Vec<NikProblem>,
    /// True when the NIK cell was empty.
    pub nik_empty: bool,
    pub name: Option<NormalName>,
    pub birth_date: Option<Date>,
    pub sex: Option<Sex>,
    /// Region names are shared with the normalizer's memo (rows repeat them endlessly).
    pub kecamatan: Option<Arc<str>>,
    pub desa: Option<Arc<str>>,
    pub no_kk: Option<crate::nik::Digits16>,
    pub issues: Vec<RowIssue>,
    /// Mapped fields whose cell was empty.
    pub empty: Vec<Field>,
}

/// A match-key field (`workflow::KEY_FIELDS`), resolved once from its name instead of
/// for every row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyField {
    Nik,
    Name,
    BirthDate,
    Sex,
    Kecamatan,
    Desa,
}

impl KeyField {
    /// The field of a name in `workflow::KEY_FIELDS`; `None` for any other name.
    pub fn of(name: &str) -> Option<KeyField> {
        Some(match name {
            "nik" => KeyField::Nik,
            "name" => KeyField::Name,
            "birth_date" => KeyField::BirthDate,
            "sex" => KeyField::Sex,
            "kecamatan" => KeyField::Kecamatan,
            "desa" => KeyField::Desa,
            _ => return None,
        })
    }
}

impl NormalRow {
    /// The normalized value of a match-key field, if the row has it.
    pub fn key_value(&self, field: &str) -> Option<KeyValue<'_>> {
        KeyField::of(field).and_then(|f| self.field_value(f))
    }

    /// [`NormalRow::key_value`] of a resolved field.
    pub fn field_value(&self, field: KeyField) -> Option<KeyValue<'_>> {
        match field {
            KeyField::Nik => self.nik.as_ref().map(|n| KeyValue::Str(&n.nik)),
            KeyField::Name => self.name.as_ref().map(|n| KeyValue::Str(&n.key)),
            KeyField::BirthDate => self.birth_date.map(|d| KeyValue::Date(d.iso_bytes())),
            KeyField::Sex => self.sex.map(|s| KeyValue::Str(s.code())),
            KeyField::Kecamatan => self.kecamatan.as_deref().map(KeyValue::Str),
            KeyField::Desa => self.desa.as_deref().map(KeyValue::Str),
        }
    }
}

/// A normalized match-key value, borrowed from its row (dates formatted on the stack).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyValue<'a> {
    Str(&'a str),
    /// `YYYY-MM-DD`.
    Date([u8; 10]),
}

impl Default for KeyValue<'_> {
    fn default() -> Self {
        KeyValue::Str("")
    }
}

impl AsRef<[u8]> for KeyValue<'_> {
    fn as_ref(&self) -> &[u8] {
        match self {
            KeyValue::Str(s) => s.as_bytes(),
            KeyValue::Date(b) => b,
        }
    }
}

/// Normalizes rows of one list.
#[derive(Clone, Debug)]
pub struct Normalizer {
    pub mapping: Mapping,
    pub header_len: usize,
    /// Resolves two-digit years (the year the job runs).
    pub reference_year: u16,
    /// The column of each field (`Field as usize`) that is read, from `mapping`.
    cols: [Option<usize>; 8],
    /// Lists the empty fields of each row (`NormalRow::empty`, for the check report).
    list_empty: bool,
    /// Region cells repeat endlessly: their normalized forms are remembered (bounded).
    regions: [RegionMemo; 2],
    /// Name words repeat endlessly too: their folded key forms are remembered (bounded).
    folds: FoldCache,
    /// The strings of a name that was not kept, for the next row's name.
    spare_name: Option<NormalName>,
}

const REGION_MEMO: usize = 8192;

fn cell(fields: &[String], i: Option<usize>) -> Option<&str> {
    i.and_then(|i| fields.get(i)).map(|s| s.as_str())
}

fn is_blank(s: &str) -> bool {
    s.chars()
        .all(|c| c.is_whitespace() || c == '-' || c == '.' || c == '\u{a0}')
}

impl Normalizer {
    pub fn new(mapping: Mapping, header_len: usize, reference_year: u16) -> Normalizer {
        let cols = Field::ALL.map(|f| mapping.get(f));
        Normalizer {
            cols,
            list_empty: true,
            mapping,
            header_len,
            reference_year,
            regions: Default::default(),
            folds: FoldCache::default(),
            spare_name: None,
        }
    }

    fn region(&mut self, desa: bool, raw: &str) -> Option<Arc<str>> {
        let memo = &mut self.regions[usize::from(desa)];
        if let Some(v) = memo.get(raw) {
            return v.clone();
        }
        let v = if desa {
            normalize_desa(raw)
        } else {
            normalize_kecamatan(raw)
        }
        .map(Arc::from);
        if memo.len() < REGION_MEMO {
            memo.insert(raw.to_string(), v.clone());
        }
        v
    }

    /// Reads only the fields `read` accepts, the others as if the list had no such
    /// column, and lists no empty fields: for the token path, which needs only what its
    /// match keys (and fuzzy part) use and what decides them (NIK, KK, name, birth
    /// date), not the report's cross-checks.
    pub fn for_tokens(mut self, read: impl Fn(Field) -> bool) -> Normalizer {
        for (f, c) in Field::ALL.into_iter().zip(&mut self.cols) {
            if !read(f) {
                *c = None;
            }
        }
        self.list_empty = false;
        self
    }

    /// The columns read, in field order.
    pub fn columns_read(&self) -> Vec<usize> {
        self.cols.iter().flatten().copied().collect()
    }

    pub fn normalize(&mut self, fields: &[String]) -> NormalRow {
        let mut r = NormalRow::default();
        self.normalize_into(fields, &mut r);
        r
    }

    /// [`Normalizer::normalize`] into `r`, replacing all of it; the strings of its name
    /// are reused (row loops normalize millions of rows).
    pub fn normalize_into(&mut self, fields: &[String], r: &mut NormalRow) {
        let m = self.cols;
        let mut name = r
            .name
            .take()
            .or_else(|| self.spare_name.take())
            .unwrap_or_default();
        *r = NormalRow::default();
        if fields.len() != self.header_len {
            r.issues.push(RowIssue::Ragged);
        }
        if self.list_empty {
            for (f, col) in Field::ALL.into_iter().zip(m) {
                if let Some(v) = cell(fields, col) {
                    if is_blank(v) {
                        r.empty.push(f);
                    }
                } else if col.is_some() {
                    r.empty.push(f);
                }
            }
        }

        if let Some(kk) = cell(fields, m[Field::NoKk as usize]) {
            r.no_kk = clean_kk(kk);
        }
        if m[Field::Nik as usize].is_some() {
            let raw = cell(fields, m[Field::Nik as usize]).unwrap_or("");
            let c = check_nik(raw, self.reference_year);
            r.nik_empty = c.problems.contains(&NikProblem::Empty);
            r.nik_problems = c.problems;
            r.nik = c.info;
        }
        match cell(fields, m[Field::Name as usize]) {
            Some(v) if normalize_name_into(v, &mut self.folds, &mut name).is_ok() => {
                r.name = Some(name)
            }
            _ => self.spare_name = Some(name),
        }
        let date = if let Some(v) = cell(fields, m[Field::BirthDate as usize]) {
            Some(crate::date::parse_date_with_reference(
                v,
                self.reference_year,
            ))
        } else {
            cell(fields, m[Field::PlaceBirthDate as usize]).map(|v| split_place_date(v).1)
        };
        match date {
            Some(Ok(d)) => r.birth_date = Some(d),
            Some(Err(DateError::Empty)) | None => {}
            Some(Err(_)) => r.issues.push(RowIssue::BadBirthDate),
        }
        if let Some(v) = cell(fields, m[Field::Sex as usize]) {
            match parse_sex(v) {
                Ok(s) => r.sex = s,
                Err(()) => r.issues.push(RowIssue::BadSex),
            }
        }
        let (kec, desa) = (m[Field::Kecamatan as usize], m[Field::Desa as usize]);
        if let Some(v) = cell(fields, kec) {
            r.kecamatan = self.region(false, v);
        }
        if let Some(v) = cell(fields, desa) {
            r.desa = self.region(true, v);
        }

        if let Some(n) = &r.nik {
            if r.no_kk == Some(n.nik) {
                r.issues.push(RowIssue::NikEqualsKk);
                r.nik = None;
            }
        }
        if let Some(n) = &r.nik {
            if let Some(d) = r.birth_date {
                if (d.day, d.month, d.year % 100)
                    != (
                        n.birth_date.day,
                        n.birth_date.month,
                        n.birth_date.year % 100,
                    )
                {
                    r.issues.push(RowIssue::NikBirthDateMismatch);
                }
            } else if !r.nik_problems.contains(&NikProblem::StandInBirthDate)
                && !r.issues.contains(&RowIssue::BadBirthDate)
            {
                r.birth_date = Some(n.birth_date);
                r.issues.push(RowIssue::BirthDateFromNik);
            }
            if let Some(s) = r.sex {
                if s != n.sex {
                    r.issues.push(RowIssue::NikSexMismatch);
                }
            }
            // Only kecamatan codes of the same kabupaten can be compared (see wilayah.rs).
            if let Some(k) = r
                .kecamatan
                .as_deref()
                .filter(|k| k.len() == 6 && k.bytes().all(|b| b.is_ascii_digit()))
            {
                let num = |a: usize| k[a..a + 2].parse::<u8>().unwrap_or(0);
                if (num(0), num(2)) == (n.province, n.kabupaten) && num(4) != n.kecamatan {
                    r.issues.push(RowIssue::NikRegionMismatch);
                }
            }
        }
    }

    /// Marks a NIK ending in 0 as damaged, for lists whose NIK column went through a
    /// spreadsheet's number format (see [`NikColumnStats::damaged`]).
    pub fn apply_column_damage(row: &mut NormalRow) -> bool {
        if row.nik.as_ref().is_some_and(|n| n.nik.ends_with('0')) {
            row.nik = None;
            row.issues.push(RowIssue::NikColumnDamage);
            return true;
        }
        false
    }
}

/// Counts that reveal Excel's 15-significant-digit damage over a whole column: the last
/// NIK digit is a serial digit, 0 about one time in ten; a column where far more end in 0
/// lost its last digit.
#[derive(Clone, Copy, Debug, Default)]
pub struct NikColumnStats {
    pub valid: u64,
    pub ending_in_zero: u64,
}

impl NikColumnStats {
    pub fn add(&mut self, row: &NormalRow) {
        if let Some(n) = &row.nik {
            self.valid += 1;
            if n.nik.ends_with('0') {
                self.ending_in_zero += 1;
            }
        }
    }
    /// More than a quarter of at least 20 valid NIKs end in 0 (expected: a tenth).
    pub fn damaged(&self) -> bool {
        self.valid >= 20 && self.ending_in_zero * 4 > self.valid
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn normalizer(header: &[&str]) -> Normalizer {
        let h: Vec<String> = header.iter().map(|s| s.to_string()).collect();
        Normalizer::new(
            Mapping::build(&h, &BTreeMap::new(), "t.csv").unwrap(),
            h.len(),
            2026,
        )
    }

    fn row(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    /// A row refilled by `normalize_into` is exactly the row `normalize` makes fresh, whatever
    /// the row before it held: nothing of it is left over (names, NIKs, issues, empties).
    #[test]
    fn refilled_rows_equal_fresh_rows() {
        let header = [
            "NIK",
            "NAMA",
            "TGL_LAHIR",
            "JK",
            "KECAMATAN",
            "DESA",
            "NO_KK",
        ];
        let rows = [
            vec![
                "3209014508800012",
                "Hj. SITI AMINAH",
                "05-08-1980",
                "P",
                "ARJAWINANGUN",
                "JUNGJANG",
                "3209012003150004",
            ],
            vec!["", "-", "", "", "", "", ""],
            vec![
                "3209010101800001",
                "BPK. DUMMY",
                "31-02-1980",
                "X",
                "320901",
                "",
                "3209010101800001",
            ],
            vec![
                "32090145088000",
                "ALM. MUHAMAD RIDWAN BIN ABDULLAH",
                "1980-08-05",
                "L",
                "ARJAWINANGUN",
                "JUNGJANG",
                "",
            ],
            vec!["3209014508800012", "SITI"],
            vec![
                "3.20901E+15",
                "DEWI, S.PD",
                "5/8/80",
                "LAKI-LAKI",
                "LEMAHABANG",
                "CIPEUJEUH KULON",
                "0000000000000000",
            ],
        ];
        let mut fresh = normalizer(&header);
        let mut reused = normalizer(&header);
        let mut r = NormalRow::default();
        // Every order of two rows, so each row follows each other one.
        for a in &rows {
            for b in &rows {
                for v in [a, b] {
                    reused.normalize_into(&row(v), &mut r);
                    assert_eq!(
                        format!("{r:?}"),
                        format!("{:?}", fresh.normalize(&row(v))),
                        "{v:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn nik_versus_columns() {
        let mut n = normalizer(&["NIK", "NAMA", "TGL_LAHIR", "JK", "KECAMATAN", "NO_KK"]);
        let r = n.normalize(&row(&[
            "3209014508800012",
            "SITI",
            "05-08-1980",
            "P",
            "Waled",
            "3209010101100001",
        ]));
        assert!(r.issues.is_empty(), "{:?}", r.issues);
        assert_eq!(r.key_value("kecamatan").unwrap().as_ref(), b"320901");
        let r = n.normalize(&row(&[
            "3209014508800012",
            "SITI",
            "06-08-1980",
            "L",
            "Sumber",
            "3209014508800012",
        ]));
        assert!(r.issues.contains(&RowIssue::NikEqualsKk));
        assert!(r.nik.is_none(), "a NIK equal to the KK is not used");
        let r = n.normalize(&row(&[
            "3209014508800012",
            "SITI",
            "06-08-1980",
            "L",
            "Sumber",
            "",
        ]));
        for i in [
            RowIssue::NikBirthDateMismatch,
            RowIssue::NikSexMismatch,
            RowIssue::NikRegionMismatch,
        ] {
            assert!(r.issues.contains(&i), "{i:?} in {:?}", r.issues);
        }
    }

    #[test]
    fn birth_date_from_nik_only_when_empty() {
        let mut n = normalizer(&["NIK", "NAMA", "TGL_LAHIR"]);
        let r = n.normalize(&row(&["3209014508800012", "SITI", ""]));
        assert_eq!(r.birth_date.map(|d| d.iso()), Some("1980-08-05".into()));
        assert!(r.issues.contains(&RowIssue::BirthDateFromNik));
        let r = n.normalize(&row(&["3209014508800012", "SITI", "31-02-1980"]));
        assert!(r.issues.contains(&RowIssue::BadBirthDate));
        assert_eq!(
            r.birth_date, None,
            "an unreadable date is not replaced by a guess"
        );
    }

    #[test]
    fn ragged_and_empty_cells() {
        let mut n = normalizer(&["NIK", "NAMA", "TGL_LAHIR"]);
        let r = n.normalize(&row(&["", " - "]));
        assert!(r.issues.contains(&RowIssue::Ragged));
        assert!(
            r.empty.contains(&Field::Nik)
                && r.empty.contains(&Field::Name)
                && r.empty.contains(&Field::BirthDate)
        );
    }

    #[test]
    fn column_damage_rule() {
        let mut s = NikColumnStats::default();
        let mut n = normalizer(&["NIK"]);
        for i in 0..40 {
            let nik = if i % 2 == 0 {
                "3209014508800010"
            } else {
                "3209014508800013"
            };
            s.add(&n.normalize(&row(&[nik])));
        }
        assert!(s.damaged(), "half the NIKs end in 0: damaged");
        let mut s = NikColumnStats::default();
        for i in 0..40 {
            let nik = if i % 10 == 0 {
                "3209014508800010"
            } else {
                "3209014508800013"
            };
            s.add(&n.normalize(&row(&[nik])));
        }
        assert!(!s.damaged(), "one in ten is normal");
    }
}
