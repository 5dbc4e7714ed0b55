//! Probable NIK typos, found without the coordinator seeing a NIK.
//!
//! A mistyped NIK differs from the true one in one digit (substitution) or by two
//! adjacent digits swapped (transposition). For each record with a NIK, a name and a birth
//! date, the office computes:
//! - a **group token**: the first 8 bytes of `HMAC(typo key, "group" || name || birth
//!   date || place)`: typos are looked for only among records with equal name, birth date
//!   and place (the kecamatan of residence, or empty when the workflow has none): two
//!   different people with the same name and birth date rarely live in one kecamatan,
//!   while a mistyped record of one person does (movers are missed);
//! - 31 **marks** of 16 bits: mark `i < 16` is the HMAC of the NIK with digit `i` deleted,
//!   mark `16 + i` the HMAC of the NIK with digits `i, i+1` put in ascending order (both with
//!   the name and birth date), key `"padan/1 typo" || 0x00 || "nik"`.
//!
//! Two NIKs that differ by one substitution at `i` share deletion mark `i`; two that
//! differ by a transposition at `i` share order mark `i`; equal NIKs share all 31; NIKs
//! that differ otherwise share a mark only by a 16-bit accident (probability about
//! 31 / 65,536 for a pair with equal name and birth date, itself rare). The coordinator,
//! inside each group, reports pairs that share some but not all marks as **probable
//! typos**. 8 + 62 = 70 bytes per record.
//!
//! Different people with the same name, sex and birth date registered in the same
//! kecamatan can have NIKs one serial digit apart, and people registered in kecamatan
//! `x1` and `x2` one kecamatan digit apart: that is why these are links to verify, never
//! merges.

use crate::keys::{FuzzyKey, FuzzyPurpose, Secret};

/// Marks per record: 16 deletions and 15 adjacent orderings.
pub const MARKS: usize = 31;

/// What one record contributes to typo detection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TypoTokens {
    pub group: u64,
    pub marks: [u16; MARKS],
}

/// The office side: makes typo tokens.
#[derive(Clone)]
pub struct TypoKey(FuzzyKey);

impl TypoKey {
    pub fn new(secret: &Secret, workflow_digest: &[u8; 32]) -> TypoKey {
        TypoKey(secret.fuzzy_key(workflow_digest, FuzzyPurpose::Typo, "nik"))
    }

    /// The typo tokens of a record with a 16-digit NIK, its name's matching form, its
    /// birth date (`YYYY-MM-DD`) and a place (the kecamatan of residence, or empty): typos
    /// are looked for among records equal in all three. `None` when the NIK is not 16
    /// ASCII digits or the name or date is empty.
    pub fn tokens(
        &self,
        nik: &str,
        name: &str,
        birth_date: &str,
        place: &str,
    ) -> Option<TypoTokens> {
        let d = nik.as_bytes();
        if d.len() != 16 || !d.iter().all(u8::is_ascii_digit) || name.is_empty() {
            return None;
        }
        if birth_date.is_empty() {
            return None;
        }
        let (name, date) = (name.as_bytes(), birth_date.as_bytes());
        let g = self.0.mac(&[b"group", name, date, place.as_bytes()]);
        let mut out = TypoTokens {
            group: u64::from_le_bytes(g[..8].try_into().expect("8 bytes")),
            marks: [0; MARKS],
        };
        let mut v = Vec::with_capacity(16);
        for (m, mark) in out.marks.iter_mut().enumerate() {
            v.clear();
            if m < 16 {
                v.extend_from_slice(&d[..m]);
                v.extend_from_slice(&d[m + 1..]);
            } else {
                let i = m - 16;
                v.extend_from_slice(d);
                if v[i] > v[i + 1] {
                    v.swap(i, i + 1);
                }
            }
            let h = self.0.mac(&[b"mark", &[m as u8], &v, name, date]);
            *mark = u16::from_le_bytes([h[0], h[1]]);
        }
        Some(out)
    }
}

/// A pair of records (indices into the input of [`find_typos`], `a < b`) whose NIKs are
/// probably the same NIK, one of them mistyped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct TypoPair {
    pub a: u32,
    pub b: u32,
}

/// Groups larger than this are skipped (one row copied a hundred times is not a typo
/// signal, and the pairs would grow with the square).
const MAX_GROUP: usize = 64;

/// The coordinator side: pairs of records with equal group tokens that share some but
/// not all marks. Records of one list or of different lists alike.
pub fn find_typos(records: &[TypoTokens]) -> Vec<TypoPair> {
    let mut order: Vec<(u64, u32)> = records
        .iter()
        .enumerate()
        .map(|(i, t)| (t.group, i as u32))
        .collect();
    order.sort_unstable();
    let mut out = Vec::new();
    let mut s = 0;
    while s < order.len() {
        let e = s + order[s..].iter().take_while(|x| x.0 == order[s].0).count();
        if e - s <= MAX_GROUP {
            for x in s..e {
                for y in x + 1..e {
                    let (p, q) = (order[x].1, order[y].1);
                    let (mp, mq) = (&records[p as usize].marks, &records[q as usize].marks);
                    let shared = mp.iter().zip(mq).filter(|(a, b)| a == b).count();
                    if shared > 0 && shared < MARKS {
                        out.push(TypoPair {
                            a: p.min(q),
                            b: p.max(q),
                        });
                    }
                }
            }
        }
        s = e;
    }
    out.sort_unstable();
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
            .map(|(n, name, d)| k.tokens(n, name, d, "320901").unwrap())
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
        assert!(k
            .tokens("320901450880001", "SITI", "1980-08-05", "")
            .is_none());
        assert!(k
            .tokens("32090145088000AB", "SITI", "1980-08-05", "")
            .is_none());
        assert!(k.tokens(NIK, "", "1980-08-05", "").is_none());
        assert!(k.tokens(NIK, "SITI", "", "").is_none());
        // Another place: another group.
        let a = k.tokens(NIK, "SITI", "1980-08-05", "320901").unwrap();
        let b = k
            .tokens("3209014508800013", "SITI", "1980-08-05", "320902")
            .unwrap();
        assert!(find_typos(&[a, b]).is_empty());
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
