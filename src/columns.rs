//! Column mapping: which header holds which field, suggested from the synonyms seen in
//! real exports (DOMAIN.md, "Column names") and overridable by the user.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::error::{Error, Result};

/// A field padan reads from a list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Nik,
    Name,
    BirthDate,
    /// A combined place-and-date cell (TTL, TEMPAT/TGL LAHIR).
    PlaceBirthDate,
    Sex,
    NoKk,
    Kecamatan,
    Desa,
}

impl Field {
    pub const ALL: [Field; 8] = [
        Field::Nik,
        Field::Name,
        Field::BirthDate,
        Field::PlaceBirthDate,
        Field::Sex,
        Field::NoKk,
        Field::Kecamatan,
        Field::Desa,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Field::Nik => "nik",
            Field::Name => "name",
            Field::BirthDate => "birth_date",
            Field::PlaceBirthDate => "place_birth_date",
            Field::Sex => "sex",
            Field::NoKk => "no_kk",
            Field::Kecamatan => "kecamatan",
            Field::Desa => "desa",
        }
    }

    pub fn from_code(s: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|f| f.code() == s)
    }

    /// Folded header names (upper case, letters and digits only) that mean this field.
    fn synonyms(self) -> &'static [&'static str] {
        match self {
            Field::Nik => &[
                "NIK",
                "NONIK",
                "NOMORNIK",
                "NIKART",
                "NIKKPM",
                "NIKPESERTA",
                "NIKPENERIMA",
                "NOMORINDUKKEPENDUDUKAN",
                "NIKKTP",
                "NOKTP",
            ],
            Field::Name => &[
                "NAMA",
                "NAMAART",
                "NAMALENGKAP",
                "NAMAKPM",
                "NAMAPESERTA",
                "NAMAPENERIMA",
                "NAMAPENDUDUK",
                "NAMASISWA",
                "NAMAMUSTAHIK",
            ],
            Field::BirthDate => &[
                "TGLLAHIR",
                "TANGGALLAHIR",
                "TGLLHR",
                "TANGGALLHR",
                "TGLLAHIRART",
            ],
            Field::PlaceBirthDate => &[
                "TTL",
                "TEMPATTGLLAHIR",
                "TEMPATTANGGALLAHIR",
                "TEMPATLAHIRTANGGALLAHIR",
            ],
            Field::Sex => &["JK", "JENISKELAMIN", "KELAMIN", "LP", "SEX", "GENDER"],
            Field::NoKk => &[
                "NOKK",
                "NOMORKK",
                "NIKKK",
                "NOKARTUKELUARGA",
                "NOMORKARTUKELUARGA",
                "KK",
            ],
            Field::Kecamatan => &["KECAMATAN", "KEC", "NAMAKECAMATAN", "KODEKECAMATAN"],
            Field::Desa => &[
                "DESA",
                "KELURAHAN",
                "DESAKELURAHAN",
                "DESAKEL",
                "NAMADESA",
                "KODEDESA",
            ],
        }
    }
}

/// Upper-case letters and digits only: `"Tempat/Tgl. Lahir"` -> `"TEMPATTGLLAHIR"`.
pub fn fold_header(h: &str) -> String {
    h.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_uppercase)
        .collect()
}

/// Field -> column index.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Mapping {
    pub columns: BTreeMap<Field, usize>,
}

impl Mapping {
    pub fn get(&self, f: Field) -> Option<usize> {
        self.columns.get(&f).copied()
    }

    /// Suggests a mapping from the synonyms, then applies the user's overrides
    /// (field code -> header text; an empty header text unmaps the field).
    pub fn build(
        header: &[String],
        overrides: &BTreeMap<String, String>,
        file: &str,
    ) -> Result<Mapping> {
        let folded: Vec<String> = header.iter().map(|h| fold_header(h)).collect();
        let mut columns = BTreeMap::new();
        for f in Field::ALL {
            if let Some(i) = f
                .synonyms()
                .iter()
                .find_map(|s| folded.iter().position(|h| h == s))
            {
                columns.insert(f, i);
            }
        }
        for (code, col) in overrides {
            let field = Field::from_code(code).ok_or_else(|| {
                Error::invalid(
                    file,
                    None,
                    None,
                    format!(
                        "pilihan kolom '{code}' tidak dikenal; yang ada: {}.",
                        Field::ALL.map(Field::code).join(", ")
                    ),
                )
            })?;
            if col.trim().is_empty() {
                columns.remove(&field);
                continue;
            }
            let want = fold_header(col);
            let idx = header
                .iter()
                .position(|h| h == col)
                .or_else(|| folded.iter().position(|h| *h == want))
                .ok_or_else(|| {
                    Error::invalid(
                        file,
                        Some(1),
                        Some(col),
                        format!("kolom '{col}' (untuk {code}) tidak ada di baris judul. Judul yang ada: {}.", header.join(" | ")),
                    )
                })?;
            columns.insert(field, idx);
        }
        // A TTL column only counts when there is no separate birth-date column.
        if columns.contains_key(&Field::BirthDate) && !overrides.contains_key("place_birth_date") {
            columns.remove(&Field::PlaceBirthDate);
        }
        Ok(Mapping { columns })
    }

    /// Checks that the fields the workflow needs can be read.
    pub fn require(&self, needed: &[String], header: &[String], file: &str) -> Result<()> {
        for n in needed {
            let ok = match n.as_str() {
                "birth_date" => {
                    self.get(Field::BirthDate).is_some()
                        || self.get(Field::PlaceBirthDate).is_some()
                }
                code => Field::from_code(code).and_then(|f| self.get(f)).is_some(),
            };
            if !ok {
                let hint = if header.len() == 1 {
                    " Hanya satu kolom terbaca: pemisah (delimiter) mungkin salah; pilih pemisah yang benar."
                } else {
                    " Pilih kolomnya secara manual (CLI: --column FIELD=JUDUL)."
                };
                return Err(Error::invalid(
                    file,
                    Some(1),
                    Some(n),
                    format!(
                        "kolom wajib '{n}' tidak ditemukan. Judul yang ada: {}.{hint}",
                        header.join(" | ")
                    ),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_all_is_in_declaration_order() {
        // `record::Normalizer` indexes its column table by `Field as usize`.
        for (i, f) in Field::ALL.into_iter().enumerate() {
            assert_eq!(f as usize, i, "{f:?}");
        }
    }

    fn h(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn synonyms_from_real_exports() {
        let header = h(&[
            "No",
            "NIK KPM",
            "Nama KPM",
            "TEMPAT/TGL LAHIR",
            "Jenis_Kelamin",
            "NO_KK",
            "DESA_KELURAHAN",
            "KECAMATAN",
        ]);
        let m = Mapping::build(&header, &BTreeMap::new(), "x.csv").unwrap();
        assert_eq!(m.get(Field::Nik), Some(1));
        assert_eq!(m.get(Field::Name), Some(2));
        assert_eq!(m.get(Field::PlaceBirthDate), Some(3));
        assert_eq!(m.get(Field::Sex), Some(4));
        assert_eq!(m.get(Field::NoKk), Some(5));
        assert_eq!(m.get(Field::Desa), Some(6));
        assert_eq!(m.get(Field::Kecamatan), Some(7));
        assert_eq!(m.get(Field::BirthDate), None);
    }

    #[test]
    fn overrides_win_and_errors_name_the_column() {
        let header = h(&["NIK", "NIK_ART", "NAMA_ART", "TGL_LAHIR"]);
        let mut o = BTreeMap::new();
        o.insert("nik".to_string(), "NIK_ART".to_string());
        let m = Mapping::build(&header, &o, "x.csv").unwrap();
        assert_eq!(m.get(Field::Nik), Some(1));
        o.insert("name".to_string(), "NAMA_KPM".to_string());
        let e = Mapping::build(&header, &o, "x.csv")
            .unwrap_err()
            .to_string();
        assert!(e.contains("x.csv") && e.contains("NAMA_KPM"), "{e}");
    }

    #[test]
    fn missing_required_column_hints_at_delimiter() {
        let header = h(&["NIK;NAMA;TGL_LAHIR"]);
        let m = Mapping::build(&header, &BTreeMap::new(), "x.csv").unwrap();
        let e = m
            .require(&["nik".into()], &header, "x.csv")
            .unwrap_err()
            .to_string();
        assert!(e.contains("pemisah"), "{e}");
    }
}
