//! The workflow's `fuzzy` section: what offices encode for fuzzy matching and how the
//! coordinator compares it. Absent: exact matching only (and the workflow's digest is
//! what it was before fuzzy matching existed).

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::bloom::{EncodingSpec, FieldSpec, Hardening, Tokens};
use crate::error::{Error, Result};

/// Fields a fuzzy encoding or a block may use: the workflow's fields plus the birth year.
pub const FUZZY_FIELDS: &[&str] = &[
    "name",
    "birth_date",
    "birth_year",
    "sex",
    "kecamatan",
    "desa",
];

/// Rough number of distinct values of each field in one kabupaten, for the value-space
/// rule of blocks (DOMAIN.md: deterministic tokens of low-entropy values leak through
/// frequency analysis). Birth dates: 100 years of days; regions: a kabupaten's
/// kecamatan (Kabupaten Cirebon has 40) and desa (424).
const VALUE_SPACE: &[(&str, f64)] = &[
    ("name", 1e6),
    ("birth_date", 36_500.0),
    ("birth_year", 100.0),
    ("sex", 2.0),
    ("kecamatan", 40.0),
    ("desa", 400.0),
];

/// The most pairs one pair of lists is compared in without blocks (about 10-30 s).
pub const ALL_PAIRS_LIMIT: u64 = 2_000_000_000;

/// The smallest value space a block token may have: about one value per person of a
/// kabupaten, so a block token says little more than a record's own token.
pub const MIN_BLOCK_SPACE: f64 = 1e6;

/// How a field is cut into Bloom-filter tokens.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldTokens {
    /// Character bigrams (names, places).
    Bigrams,
    /// Each character with its position (dates, codes).
    Positional,
    /// The whole value (sex, region codes).
    Whole,
}

/// One field of the encoding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FuzzyField {
    pub field: String,
    pub tokens: FieldTokens,
    /// Bits per token (1 to 30): the field's weight.
    pub k: u32,
    /// Another field whose value salts this one's tokens (e.g. `birth_year` for `name`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub salt: Option<String>,
}

/// The workflow's fuzzy-matching section.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FuzzyConfig {
    /// The fields hashed into each record's Bloom filter; must include `name`.
    pub fields: Vec<FuzzyField>,
    /// Diffusion layer: each output bit the XOR of this many input bits (0: none).
    pub diffusion: u32,
    /// Keyed block tokens: records are compared only with records sharing one. Each block
    /// is a list of fields with a large enough value space. Empty (and `diffusion` not 0):
    /// every record of one list is compared with every record of the other, up to
    /// [`ALL_PAIRS_LIMIT`] pairs per pair of lists: the most private and most accurate way
    /// for small lists (no block tokens at all), too slow for large ones.
    pub blocks: Vec<Vec<String>>,
    /// Dice similarity, in percent, at or above which two records are linked (to verify).
    pub similarity_percent: u32,
    /// Also look for probable NIK typos (needs `nik`, `name` and `birth_date`).
    #[serde(default)]
    pub nik_typos: bool,
}

impl FuzzyConfig {
    /// Whether the section uses the normalized field `name` (in a filter, as a salt or in
    /// a block).
    pub fn uses(&self, name: &str) -> bool {
        self.fields
            .iter()
            .any(|f| f.field == name || f.salt.as_deref() == Some(name))
            || self.blocks.iter().flatten().any(|b| b == name)
    }

    /// The recommended section for Indonesian lists: name bigrams (k = 10), birth-date
    /// digits (k = 10), sex,
    /// kecamatan and desa; diffusion t = 3; two blocks (birth date and kecamatan; name and
    /// kecamatan); similarity 90%; NIK typos. Measured in `docs/fuzzy.md`.
    pub fn recommended(workflow_fields: &[String]) -> FuzzyConfig {
        let has = |f: &str| workflow_fields.iter().any(|x| x == f);
        let mut fields = vec![FuzzyField {
            field: "name".into(),
            tokens: FieldTokens::Bigrams,
            k: 10,
            salt: None,
        }];
        for (f, tokens, k) in [
            // Weight 10 (not 5): at 1.9 million people, namesakes in one kecamatan with
            // birth dates two digits apart otherwise pass 90% (docs/fuzzy.md).
            ("birth_date", FieldTokens::Positional, 10),
            ("sex", FieldTokens::Whole, 2),
            ("kecamatan", FieldTokens::Whole, 2),
            ("desa", FieldTokens::Bigrams, 2),
        ] {
            if has(f) {
                fields.push(FuzzyField {
                    field: f.into(),
                    tokens,
                    k,
                    salt: None,
                });
            }
        }
        // A similar name with the same birth date, or the same name (matching form) with
        // a different birth date, in the same place.
        let place = if has("kecamatan") {
            "kecamatan"
        } else {
            "desa"
        };
        let mut blocks = Vec::new();
        if has(place) {
            if has("birth_date") {
                blocks.push(vec!["birth_date".to_string(), place.to_string()]);
            }
            blocks.push(vec!["name".to_string(), place.to_string()]);
        } else if has("birth_date") {
            blocks.push(vec!["name".to_string(), "birth_year".to_string()]);
        }
        FuzzyConfig {
            fields,
            diffusion: 3,
            blocks,
            similarity_percent: 90,
            nik_typos: has("nik") && has("name") && has("birth_date"),
        }
    }

    /// The threshold as a Dice similarity.
    pub fn threshold(&self) -> f32 {
        self.similarity_percent as f32 / 100.0
    }

    /// The encoding offices compute. Salt fields that are not encoded themselves are
    /// appended with weight 0 (they salt, they set no bits).
    pub fn encoding_spec(&self) -> EncodingSpec {
        let mut specs: Vec<FieldSpec> = self
            .fields
            .iter()
            .map(|f| {
                let tokens = match f.tokens {
                    FieldTokens::Bigrams => Tokens::Grams(2),
                    FieldTokens::Positional => Tokens::Positional,
                    FieldTokens::Whole => Tokens::Whole,
                };
                FieldSpec::new(&f.field, tokens, f.k)
            })
            .collect();
        for (i, f) in self.fields.iter().enumerate() {
            if let Some(s) = &f.salt {
                let at = match specs.iter().position(|x| &x.name == s) {
                    Some(at) => at,
                    None => {
                        specs.push(FieldSpec::new(s, Tokens::Whole, 0));
                        specs.len() - 1
                    }
                };
                specs[i].salt = Some(at);
            }
        }
        EncodingSpec {
            name: "workflow".into(),
            fields: specs,
            hardening: if self.diffusion == 0 {
                Hardening::None
            } else {
                Hardening::Diffusion { t: self.diffusion }
            },
        }
    }

    /// A block's name (its key's HKDF label): the fields joined with `+`.
    pub fn block_name(block: &[String]) -> String {
        block.join("+")
    }

    /// Checks the section against the workflow's fields.
    pub fn validate(&self, workflow_fields: &[String], file: &str) -> Result<()> {
        let err = |what: String| Err(Error::workflow(file, Some("fuzzy"), what));
        let known = |f: &str| {
            FUZZY_FIELDS.contains(&f)
                && (workflow_fields.iter().any(|x| x == f)
                    || (f == "birth_year" && workflow_fields.iter().any(|x| x == "birth_date")))
        };
        if self.fields.is_empty() || self.fields.len() > 8 {
            return err("fuzzy.fields harus berisi 1 sampai 8 kolom.".into());
        }
        let mut seen = BTreeSet::new();
        for f in &self.fields {
            if !known(&f.field) {
                return err(format!(
                    "kolom '{}' di fuzzy.fields tidak ada di 'fields' alur kerja (boleh: {} dan birth_year bila ada birth_date).",
                    f.field,
                    workflow_fields.join(", ")
                ));
            }
            if !seen.insert(f.field.as_str()) {
                return err(format!(
                    "kolom '{}' tertulis dua kali di fuzzy.fields.",
                    f.field
                ));
            }
            if f.k == 0 || f.k > 30 {
                return err(format!(
                    "k kolom '{}' harus 1 sampai 30 (bit per token).",
                    f.field
                ));
            }
            if let Some(s) = &f.salt {
                if !known(s) || s == &f.field {
                    return err(format!(
                        "garam (salt) '{s}' kolom '{}' harus kolom lain dari alur kerja.",
                        f.field
                    ));
                }
            }
        }
        if !seen.contains("name") {
            return err(
                "fuzzy.fields harus memuat 'name': pencocokan mirip membandingkan nama.".into(),
            );
        }
        if self.diffusion > 8 {
            return err("fuzzy.diffusion harus 0 sampai 8.".into());
        }
        if self.similarity_percent < 50 || self.similarity_percent > 100 {
            return err("fuzzy.similarity_percent harus 50 sampai 100 (disarankan 90).".into());
        }
        if self.blocks.len() > 4 {
            return err("fuzzy.blocks paling banyak 4 blok.".into());
        }
        let mut names = BTreeSet::new();
        for b in &self.blocks {
            let set: BTreeSet<&str> = b.iter().map(String::as_str).collect();
            if b.is_empty() || set.len() != b.len() {
                return err(
                    "setiap blok harus berisi kolom yang berbeda-beda, sedikitnya satu.".into(),
                );
            }
            for f in b {
                if !known(f) {
                    return err(format!(
                        "kolom '{f}' di fuzzy.blocks tidak ada di 'fields' alur kerja."
                    ));
                }
            }
            if let Err(why) = block_strength(b) {
                return err(why);
            }
            if !names.insert(Self::block_name(b)) {
                return err(format!("blok [{}] tertulis dua kali.", b.join(", ")));
            }
        }
        if self.nik_typos {
            for f in ["nik", "name", "birth_date"] {
                if !workflow_fields.iter().any(|x| x == f) {
                    return err(format!(
                        "fuzzy.nik_typos memerlukan kolom '{f}' di 'fields'."
                    ));
                }
            }
        }
        Ok(())
    }
}

/// Refuses a block whose value space is small (DOMAIN.md: deterministic tokens of
/// low-entropy values leak through frequency analysis): the product of the fields' rough
/// value counts must reach [`MIN_BLOCK_SPACE`]. A birth date alone (36,500), a birth year
/// with a kecamatan (4,000) or with a desa and sex (80,000) are refused; a birth date with
/// a kecamatan (1.46 million) is accepted. A block of a name alone is refused too, though
/// its space is large: blocking on the name defeats the point of fuzzy name matching.
pub fn block_strength(block: &[String]) -> std::result::Result<(), String> {
    if block.len() == 1 && block[0] == "name" {
        return Err(
            "blok [name] saja tidak berguna: nama yang ditulis berbeda tidak akan pernah dibandingkan."
                .into(),
        );
    }
    let space: f64 = block
        .iter()
        .map(|f| {
            VALUE_SPACE
                .iter()
                .find(|(n, _)| n == f)
                .map_or(1.0, |(_, v)| *v)
        })
        .product();
    if space < MIN_BLOCK_SPACE {
        return Err(format!(
            "blok [{}] ditolak: ruang nilainya sekitar {} nilai, terlalu kecil (paling sedikit {}): token blok yang pasti dari nilai seperti ini terbongkar lewat analisis frekuensi. Gabungkan dengan kolom lain, misalnya [birth_date, kecamatan].",
            block.join(", "),
            space as u64,
            MIN_BLOCK_SPACE as u64
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields() -> Vec<String> {
        ["nik", "name", "birth_date", "sex", "kecamatan", "desa"]
            .iter()
            .map(|s| s.to_string())
            .collect()
    }

    #[test]
    fn recommended_section_is_valid() {
        let c = FuzzyConfig::recommended(&fields());
        c.validate(&fields(), "w.json").unwrap();
        assert_eq!(
            c.blocks,
            [["birth_date", "kecamatan"], ["name", "kecamatan"]]
        );
        assert!(c.nik_typos);
        assert_eq!(c.threshold(), 0.9);
        assert_eq!(c.encoding_spec().fields.len(), 5);
    }

    #[test]
    fn small_blocks_are_refused_with_the_reason() {
        for (b, ok) in [
            (vec!["birth_date"], false),
            (vec!["kecamatan", "birth_year"], false),
            (vec!["birth_year", "desa", "sex"], false),
            (vec!["name"], false),
            (vec!["birth_date", "sex"], false),
            (vec!["birth_date", "kecamatan"], true),
            (vec!["birth_date", "desa"], true),
            (vec!["name", "birth_year"], true),
        ] {
            let b: Vec<String> = b.iter().map(|s| s.to_string()).collect();
            assert_eq!(block_strength(&b).is_ok(), ok, "{b:?}");
            let mut c = FuzzyConfig::recommended(&fields());
            c.blocks = vec![b.clone()];
            let r = c.validate(&fields(), "w.json");
            assert_eq!(r.is_ok(), ok, "{b:?}");
            if !ok {
                let msg = r.unwrap_err().to_string();
                assert!(msg.contains("w.json") && msg.contains("fuzzy"), "{msg}");
            }
        }
    }

    #[test]
    fn other_mistakes_are_refused() {
        let f = fields();
        let base = FuzzyConfig::recommended(&f);
        let mut cases: Vec<FuzzyConfig> = Vec::new();
        let mut c = base.clone();
        c.fields.remove(0); // no name
        cases.push(c);
        let mut c = base.clone();
        c.fields[1].k = 0;
        cases.push(c);
        let mut c = base.clone();
        c.similarity_percent = 30;
        cases.push(c);
        let mut c = base.clone();
        c.blocks = vec![vec!["birth_date".into()]; 5];
        cases.push(c);
        let mut c = base.clone();
        c.fields[0].salt = Some("alamat".into());
        cases.push(c);
        let mut c = base.clone();
        c.diffusion = 9;
        cases.push(c);
        for c in cases {
            assert!(c.validate(&f, "w.json").is_err(), "{c:?}");
        }
        // NIK typos need the NIK.
        let no_nik: Vec<String> = f.iter().filter(|x| *x != "nik").cloned().collect();
        let mut c = FuzzyConfig::recommended(&no_nik);
        assert!(!c.nik_typos);
        c.validate(&no_nik, "w.json").unwrap();
        c.nik_typos = true;
        assert!(c.validate(&no_nik, "w.json").is_err());
    }

    #[test]
    fn a_salt_field_that_is_not_encoded_sets_no_bits() {
        let mut c = FuzzyConfig::recommended(&fields());
        c.fields[0].salt = Some("birth_year".into());
        c.validate(&fields(), "w.json").unwrap();
        let spec = c.encoding_spec();
        let last = spec.fields.last().unwrap();
        assert_eq!((last.name.as_str(), last.k), ("birth_year", 0));
        assert_eq!(spec.fields[0].salt, Some(spec.fields.len() - 1));
    }
}
