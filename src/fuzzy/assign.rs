//! One-to-one assignment across a pair of lists: greedy by descending similarity, as
//! anonlink's solver does. Each record of either list takes part in at most one link; a
//! record's best partner wins unless that partner was already taken by a better pair.
//! Ties are broken by record index, so the result does not depend on input order.

/// Picks one-to-one links from scored pairs `(i, j, score)` (any order). Returns the
/// chosen `(i, j)` pairs sorted by `(i, j)`.
pub fn greedy(mut scored: Vec<(u32, u32, f32)>) -> Vec<(u32, u32)> {
    scored.sort_unstable_by(|x, y| y.2.total_cmp(&x.2).then(x.0.cmp(&y.0)).then(x.1.cmp(&y.1)));
    let mut used_a = std::collections::HashSet::new();
    let mut used_b = std::collections::HashSet::new();
    let mut out = Vec::new();
    for (i, j, _) in scored {
        if !used_a.contains(&i) && !used_b.contains(&j) {
            used_a.insert(i);
            used_b.insert(j);
            out.push((i, j));
        }
    }
    out.sort_unstable();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn best_pairs_first_each_record_once() {
        // a0 likes b0 (0.9) and b1 (0.8); a1 likes b0 (0.85) only.
        let links = greedy(vec![(0, 0, 0.9), (0, 1, 0.8), (1, 0, 0.85)]);
        assert_eq!(links, [(0, 0)]);
        let links = greedy(vec![(1, 0, 0.85), (0, 1, 0.8), (0, 0, 0.7)]);
        assert_eq!(links, [(0, 1), (1, 0)]);
        // Ties go to the lower index, whatever the input order.
        assert_eq!(greedy(vec![(1, 0, 0.8), (0, 0, 0.8)]), [(0, 0)]);
        assert_eq!(greedy(vec![(0, 0, 0.8), (1, 0, 0.8)]), [(0, 0)]);
        assert!(greedy(Vec::new()).is_empty());
    }
}
