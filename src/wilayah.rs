//! Region codes of Kabupaten Cirebon (Kemendagri, 32.09), embedded from
//! `src/data/wilayah_3209.csv` (public `cahyadsn/wilayah` data set, MIT licence).

use std::sync::OnceLock;

const DATA: &str = include_str!("data/wilayah_3209.csv");

/// (2-digit kecamatan code, folded name) for the 40 kecamatan.
fn kecamatan_table() -> &'static Vec<(String, String)> {
    static T: OnceLock<Vec<(String, String)>> = OnceLock::new();
    T.get_or_init(|| {
        DATA.lines()
            .skip(1)
            .filter_map(|l| {
                let mut it = l.split(',');
                let code = it.next()?;
                let _dotted = it.next()?;
                let level = it.next()?;
                let name = it.next()?;
                (level == "kecamatan").then(|| (code[4..].to_string(), fold(name)))
            })
            .collect()
    })
}

/// Upper-case ASCII letters and digits only.
pub fn fold(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_uppercase)
        .collect()
}

/// Normalizes a kecamatan cell to the full 6-digit code (`320901`) when it names or codes a
/// kecamatan of Kabupaten Cirebon, else to its folded name. `None` when empty.
pub fn normalize_kecamatan(raw: &str) -> Option<String> {
    let mut f = fold(raw);
    for prefix in ["KECAMATAN", "KEC"] {
        if let Some(rest) = f.strip_prefix(prefix) {
            if !rest.is_empty() {
                f = rest.to_string();
            }
        }
    }
    if f.is_empty() {
        return None;
    }
    let table = kecamatan_table();
    if f.bytes().all(|b| b.is_ascii_digit()) {
        let two = match f.len() {
            1 | 2 => format!("{:0>2}", f),
            6 if f.starts_with("3209") => f[4..].to_string(),
            _ => return Some(f),
        };
        if table.iter().any(|(c, _)| *c == two) {
            return Some(format!("3209{two}"));
        }
        return Some(f);
    }
    // Kapetakan was renamed Kepetakan in 2025: accept both.
    let f = if f == "KAPETAKAN" {
        "KEPETAKAN".to_string()
    } else {
        f
    };
    match table.iter().find(|(_, n)| *n == f) {
        Some((c, _)) => Some(format!("3209{c}")),
        None => Some(f),
    }
}

/// Normalizes a desa/kelurahan cell: folded, with DESA/KELURAHAN/DS/KEL prefixes removed.
pub fn normalize_desa(raw: &str) -> Option<String> {
    let mut f = fold(raw);
    for prefix in ["KELURAHAN", "DESA", "KEL", "DS"] {
        if let Some(rest) = f.strip_prefix(prefix) {
            if rest.len() > 2 {
                f = rest.to_string();
                break;
            }
        }
    }
    (!f.is_empty()).then_some(f)
}

/// The name of a kecamatan by its 2-digit code.
pub fn kecamatan_count() -> usize {
    kecamatan_table().len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forty_kecamatan() {
        assert_eq!(kecamatan_count(), 40);
    }

    #[test]
    fn kecamatan_forms() {
        for v in [
            "Waled",
            "KEC. WALED",
            "Kecamatan Waled",
            "01",
            "1",
            "320901",
            " waled ",
        ] {
            assert_eq!(normalize_kecamatan(v).as_deref(), Some("320901"), "{v}");
        }
        assert_eq!(
            normalize_kecamatan("Kapetakan"),
            normalize_kecamatan("Kepetakan")
        );
        assert_eq!(normalize_kecamatan("Jamblang").as_deref(), Some("320940"));
        assert_eq!(normalize_kecamatan("Atlantis").as_deref(), Some("ATLANTIS"));
        assert_eq!(normalize_kecamatan(" - "), None);
    }

    #[test]
    fn desa_forms() {
        assert_eq!(
            normalize_desa("Desa Waled Kota"),
            normalize_desa("WALED KOTA")
        );
        assert_eq!(normalize_desa("Ds. Ambit"), Some("AMBIT".into()));
    }
}
