//! Sex codes (see DOMAIN.md, "Sex").

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Sex {
    Male,
    Female,
}

impl Sex {
    /// The normalized code: "L" or "P".
    pub fn code(self) -> &'static str {
        match self {
            Sex::Male => "L",
            Sex::Female => "P",
        }
    }
}

/// L/P, LAKI-LAKI/PEREMPUAN, PRIA/WANITA, 1/2, M/F (any case, surrounding spaces/dots).
/// `Ok(None)` for an empty cell, `Err(())` for a value we do not understand.
#[allow(clippy::result_unit_err)]
pub fn parse_sex(raw: &str) -> Result<Option<Sex>, ()> {
    todo!()
}
