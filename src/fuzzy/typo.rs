//! Probable NIK typos, found without the coordinator seeing a NIK.
//!
//! A mistyped NIK differs from the true one in one digit (substitution) or by two
//! adjacent digits swapped (transposition). Both changes lie inside some window of three
//! adjacent positions among the windows starting at 0, 2, 4, ..., 14 (window `w` covers
//! positions `2w, 2w+1, 2w+2`; the last covers 14 and 15): every single position and
//! every adjacent pair sits inside one of these eight windows.
//!
//! For each record with a NIK, a name and a birth date, the office computes eight
//! **window tokens**: token `w` is the first 8 bytes of
//! `HMAC(typo key, "nik window" || w || NIK with window w deleted || name || birth date)`,
//! the key derived per workflow (`keys::FuzzyPurpose::Typo`). Two records share token `w`
//! exactly when their names and birth dates are equal and their NIKs agree everywhere
//! outside window `w`. So the coordinator, counting shared tokens per pair of records:
//! - 8 shared: the same NIK (an exact match, already linked by the NIK key);
//! - 1 to 7 shared: NIKs that differ only inside one window of 3 adjacent digits, with the
//!   same name and birth date: a **probable typo**, reported to verify;
//! - 0: nothing to say.
//!
//! The windows catch a little more than "one digit or one swap" (any change within three
//! adjacent digits); that costs 8 tokens per record where separate deletion and swap
//! tokens would cost 31. Different people with the same name and birth date registered in
//! the same kecamatan can have NIKs one serial digit apart: that is why these are links to
//! verify, never merges.

use crate::keys::{FuzzyKey, FuzzyPurpose, Secret};

/// Window tokens per record.
pub const WINDOWS: usize = 8;

/// The eight window tokens of one record.
pub type TypoTokens = [u64; WINDOWS];

/// The office side: makes window tokens.
#[derive(Clone)]
pub struct TypoKey(FuzzyKey);

impl TypoKey {
    pub fn new(secret: &Secret, workflow_digest: &[u8; 32]) -> TypoKey {
        TypoKey(secret.fuzzy_key(workflow_digest, FuzzyPurpose::Typo, "nik"))
    }

    /// The window tokens of a record with a 16-digit NIK, its name's matching form and
    /// its birth date (`YYYY-MM-DD`). `None` when the NIK is not 16 ASCII digits or the
    /// name or date is empty.
    pub fn tokens(&self, nik: &str, name: &str, birth_date: &str) -> Option<TypoTokens> {
        let d = nik.as_bytes();
        if d.len() != 16 || !d.iter().all(u8::is_ascii_digit) || name.is_empty() {
            return None;
        }
        if birth_date.is_empty() {
            return None;
        }
        let mut out = [0u64; WINDOWS];
        let mut rest = Vec::with_capacity(16);
        for (w, t) in out.iter_mut().enumerate() {
            let (lo, hi) = (2 * w, (2 * w + 3).min(16));
            rest.clear();
            rest.extend_from_slice(&d[..lo]);
            rest.extend_from_slice(&d[hi..]);
            let m = self.0.mac(&[
                b"nik window",
                &[w as u8],
                &rest,
                name.as_bytes(),
                birth_date.as_bytes(),
            ]);
            *t = u64::from_le_bytes(m[..8].try_into().expect("8 bytes"));
        }
        Some(out)
    }
}

/// A pair of records (indices into the input of [`find_typos`]) whose NIKs are probably
/// the same NIK, one of them mistyped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct TypoPair {
    pub a: u32,
    pub b: u32,
}

/// Records sharing one token beyond this many are not compared (a token shared that
/// widely is not a typo signal: e.g. one row copied hundreds of times).
const MAX_GROUP: usize = 64;

/// The coordinator side: pairs of records (`a < b`, indices into `records`) that share
/// between 1 and 7 window tokens. Records of one list or of different lists alike.
pub fn find_typos(records: &[TypoTokens]) -> Vec<TypoPair> {
    let mut all: Vec<(u64, u32)> = Vec::with_capacity(records.len() * WINDOWS);
    for (i, t) in records.iter().enumerate() {
        // The window number goes into the key so that tokens of two windows never meet.
        all.extend(
            t.iter()
                .enumerate()
                .map(|(w, &x)| ((x & !7) | w as u64, i as u32)),
        );
    }
    all.sort_unstable();
    let mut pairs: Vec<(u32, u32)> = Vec::new();
    let mut s = 0;
    while s < all.len() {
        let e = s + all[s..].iter().take_while(|x| x.0 == all[s].0).count();
        if e - s <= MAX_GROUP {
            for x in s..e {
                for y in x + 1..e {
                    let (p, q) = (all[x].1, all[y].1);
                    if p != q {
                        pairs.push((p.min(q), p.max(q)));
                    }
                }
            }
        }
        s = e;
    }
    pairs.sort_unstable();
    let mut out = Vec::new();
    let mut s = 0;
    while s < pairs.len() {
        let e = s + pairs[s..].iter().take_while(|p| **p == pairs[s]).count();
        if e - s < WINDOWS {
            out.push(TypoPair {
                a: pairs[s].0,
                b: pairs[s].1,
            });
        }
        s = e;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> TypoKey {
        TypoKey::new(&Secret::from_bytes([5; 32]), &[1; 32])
    }

    fn typos(records: &[(&str, &str, &str)]) -> Vec<(u32, u32)> {
        let k = key();
        let t: Vec<TypoTokens> = records
            .iter()
            .map(|(n, name, d)| k.tokens(n, name, d).unwrap())
            .collect();
        find_typos(&t).iter().map(|p| (p.a, p.b)).collect()
    }

    const NIK: &str = "3209014508800012";

    #[test]
    fn every_single_substitution_and_swap_is_found() {
        for i in 0..16 {
            let mut d = NIK.as_bytes().to_vec();
            d[i] = if d[i] == b'9' { b'1' } else { d[i] + 1 };
            let other = String::from_utf8(d).unwrap();
            assert_eq!(
                typos(&[(NIK, "SITI", "1980-08-05"), (&other, "SITI", "1980-08-05")]),
                [(0, 1)],
                "substitution at {i}"
            );
        }
        for i in 0..15 {
            let mut d = NIK.as_bytes().to_vec();
            if d[i] == d[i + 1] {
                continue;
            }
            d.swap(i, i + 1);
            let other = String::from_utf8(d).unwrap();
            assert_eq!(
                typos(&[(NIK, "SITI", "1980-08-05"), (&other, "SITI", "1980-08-05")]),
                [(0, 1)],
                "swap at {i}"
            );
        }
    }

    #[test]
    fn not_typos() {
        // The same NIK is an exact match, not a typo.
        assert!(typos(&[(NIK, "SITI", "1980-08-05"), (NIK, "SITI", "1980-08-05")]).is_empty());
        // One digit apart but another name or birth date.
        assert!(typos(&[
            (NIK, "SITI", "1980-08-05"),
            ("3209014508800013", "ANI", "1980-08-05")
        ])
        .is_empty());
        assert!(typos(&[
            (NIK, "SITI", "1980-08-05"),
            ("3209014508800013", "SITI", "1980-08-06")
        ])
        .is_empty());
        // Two digits far apart.
        assert!(typos(&[
            (NIK, "SITI", "1980-08-05"),
            ("3209024508800013", "SITI", "1980-08-05")
        ])
        .is_empty());
        // Unusable input.
        let k = key();
        assert!(k.tokens("320901450880001", "SITI", "1980-08-05").is_none());
        assert!(k.tokens("32090145088000AB", "SITI", "1980-08-05").is_none());
        assert!(k.tokens(NIK, "", "1980-08-05").is_none());
        assert!(k.tokens(NIK, "SITI", "").is_none());
    }

    #[test]
    fn many_records_pairs_once() {
        let r = typos(&[
            (NIK, "SITI", "1980-08-05"),
            ("3209014508800021", "SITI", "1980-08-05"), // swap of the last two
            ("3209014508800012", "SITI", "1980-08-05"), // exact copy of 0
            ("3209014508800099", "BUDI", "1980-08-05"),
        ]);
        assert_eq!(r, [(0, 1), (1, 2)]);
    }
}
