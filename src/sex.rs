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
///
/// Also accepted: LK/PR, W (wanita), MALE/FEMALE, `1.0`/`2.0` (a number exported as a
/// float), labelled codes such as `1 - LAKI-LAKI` or `P (PEREMPUAN)` when both parts agree,
/// and filler (`-`, `NULL`, `N/A`, `TIDAK ADA`, `TIDAK DIKETAHUI`) as an empty cell.
#[allow(clippy::result_unit_err)]
pub fn parse_sex(raw: &str) -> Result<Option<Sex>, ()> {
    // Upper-case ASCII letters and digits; every run of anything else becomes one space.
    // Sex cells are short: anything long is not a sex code.
    let mut buf = [0u8; MAX_LEN];
    let mut len = 0usize;
    let mut pending_space = false;
    for c in raw.chars() {
        if c.is_ascii_alphanumeric() {
            if pending_space && len > 0 {
                if len == MAX_LEN {
                    return Err(());
                }
                buf[len] = b' ';
                len += 1;
            }
            pending_space = false;
            if len == MAX_LEN {
                return Err(());
            }
            buf[len] = c.to_ascii_uppercase() as u8;
            len += 1;
        } else {
            pending_space = true;
        }
    }
    // Upper-case ASCII letters, digits and single spaces.
    let s = &buf[..len];
    if s.is_empty() {
        // No letter or digit at all: "", "-", "." ...
        return Ok(None);
    }
    if let Some(r) = word(s) {
        return r;
    }
    // A number exported as a float: "1.0", "2.00".
    if let Some(i) = s.iter().position(|&b| b == b' ') {
        let (left, right) = (&s[..i], &s[i + 1..]);
        if !right.is_empty() && right.iter().all(|&b| b == b'0') {
            if let Some(Ok(Some(sex))) = word(left) {
                return Ok(Some(sex));
            }
        }
    }
    // A labelled code: "1 LAKI LAKI", "P PEREMPUAN", "LAKI LAKI L": every split point where
    // both sides name the same sex.
    for (i, &b) in s.iter().enumerate() {
        if b != b' ' {
            continue;
        }
        let (left, right) = (&s[..i], &s[i + 1..]);
        if let (Some(Ok(Some(a))), Some(Ok(Some(b)))) = (word(left), word(right)) {
            if a == b {
                return Ok(Some(a));
            }
        }
    }
    Err(())
}

/// Longest normalized cell `parse_sex` looks at ("1 LAKI LAKI" and the like fit easily).
const MAX_LEN: usize = 32;

/// One normalized value: `None` when it is not a known word.
fn word(s: &[u8]) -> Option<Result<Option<Sex>, ()>> {
    Some(Ok(match s {
        b"L" | b"LK" | b"LAKI" | b"LAKI LAKI" | b"LAKILAKI" | b"LAKI2" | b"LAKI 2" | b"PRIA"
        | b"M" | b"MALE" | b"1" | b"01" => Some(Sex::Male),
        b"P" | b"PR" | b"PRP" | b"PEREMPUAN" | b"WANITA" | b"W" | b"F" | b"FEMALE" | b"2"
        | b"02" => Some(Sex::Female),
        b"NULL" | b"NA" | b"N A" | b"TIDAK ADA" | b"TDK ADA" | b"TIDAK DIKETAHUI"
        | b"TIDAK TAHU" => None,
        _ => return None,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn indonesian_letter_codes() {
        assert_eq!(parse_sex("L"), Ok(Some(Sex::Male)));
        assert_eq!(parse_sex("P"), Ok(Some(Sex::Female)));
        assert_eq!(parse_sex(" l. "), Ok(Some(Sex::Male)));
        assert_eq!(parse_sex("p"), Ok(Some(Sex::Female)));
        assert_eq!(parse_sex("LK"), Ok(Some(Sex::Male)));
        assert_eq!(parse_sex("Pr"), Ok(Some(Sex::Female)));
    }

    #[test]
    fn indonesian_words() {
        assert_eq!(parse_sex("LAKI-LAKI"), Ok(Some(Sex::Male)));
        assert_eq!(parse_sex("Laki laki"), Ok(Some(Sex::Male)));
        assert_eq!(parse_sex("laki-laki."), Ok(Some(Sex::Male)));
        assert_eq!(parse_sex("LAKI"), Ok(Some(Sex::Male)));
        assert_eq!(parse_sex("PEREMPUAN"), Ok(Some(Sex::Female)));
        assert_eq!(parse_sex("Pria"), Ok(Some(Sex::Male)));
        assert_eq!(parse_sex("WANITA"), Ok(Some(Sex::Female)));
    }

    #[test]
    fn numeric_codes() {
        assert_eq!(parse_sex("1"), Ok(Some(Sex::Male)));
        assert_eq!(parse_sex("2"), Ok(Some(Sex::Female)));
        assert_eq!(parse_sex("1.0"), Ok(Some(Sex::Male)));
        assert_eq!(parse_sex("2.00"), Ok(Some(Sex::Female)));
        assert_eq!(parse_sex("3"), Err(()));
        assert_eq!(parse_sex("0"), Err(()));
    }

    #[test]
    fn english_codes() {
        assert_eq!(parse_sex("M"), Ok(Some(Sex::Male)));
        assert_eq!(parse_sex("F"), Ok(Some(Sex::Female)));
        assert_eq!(parse_sex("male"), Ok(Some(Sex::Male)));
        assert_eq!(parse_sex("Female"), Ok(Some(Sex::Female)));
    }

    #[test]
    fn labelled_codes() {
        assert_eq!(parse_sex("1 - LAKI-LAKI"), Ok(Some(Sex::Male)));
        assert_eq!(parse_sex("2. Perempuan"), Ok(Some(Sex::Female)));
        assert_eq!(parse_sex("P (PEREMPUAN)"), Ok(Some(Sex::Female)));
        // Contradicting parts are not understood.
        assert_eq!(parse_sex("1 PEREMPUAN"), Err(()));
        assert_eq!(parse_sex("L/P"), Err(()));
    }

    #[test]
    fn empty_and_filler() {
        assert_eq!(parse_sex(""), Ok(None));
        assert_eq!(parse_sex("   "), Ok(None));
        assert_eq!(parse_sex("-"), Ok(None));
        assert_eq!(parse_sex("\u{a0}"), Ok(None));
        assert_eq!(parse_sex("NULL"), Ok(None));
        assert_eq!(parse_sex("#N/A"), Ok(None));
        assert_eq!(parse_sex("tidak diketahui"), Ok(None));
    }

    #[test]
    fn unknown_values() {
        assert_eq!(parse_sex("X"), Err(()));
        assert_eq!(
            parse_sex("LAKI-LAKI DAN PEREMPUAN DAN SEBAGAINYA LAGI"),
            Err(())
        );
        assert_eq!(parse_sex("é"), Ok(None));
        assert_eq!(parse_sex("PÉREMPUAN"), Err(()));
    }

    #[test]
    fn code_round_trip() {
        assert_eq!(parse_sex(Sex::Male.code()), Ok(Some(Sex::Male)));
        assert_eq!(parse_sex(Sex::Female.code()), Ok(Some(Sex::Female)));
    }

    proptest! {
        #[test]
        fn never_panics(s in "\\PC*") {
            let _ = parse_sex(&s);
        }

        #[test]
        fn never_panics_on_any_chars(s in any::<String>()) {
            let _ = parse_sex(&s);
        }
    }
}
