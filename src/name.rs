//! Indonesian personal-name normalization (see DOMAIN.md, "Names").

/// A normalized name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NormalName {
    /// Readable form: upper case words, titles stripped, variants unified
    /// (e.g. "MUHAMMAD RIDWAN"). Shown to the user on their own screen only.
    pub display: String,
    /// The matching form that goes into tokens: `display` folded further (no spaces,
    /// old spelling and Sundanese variants unified, doubled letters collapsed, ...).
    /// `normalize_name(&n.key).key == n.key` (idempotent).
    pub key: String,
    /// A deceased marker (ALM, ALMH, ALMARHUM, ALMARHUMAH) was present.
    pub deceased: bool,
}

/// Why a name cell is unusable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NameError {
    /// Empty, or filler only ("-", "DUMMY", digits, bracketed notes).
    Empty,
}

/// Normalizes one name cell.
pub fn normalize_name(raw: &str) -> Result<NormalName, NameError> {
    todo!()
}
