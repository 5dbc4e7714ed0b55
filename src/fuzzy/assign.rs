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

/// Keeps only unambiguous pairs: `(i, j)` survives when every candidate of `i` lies in
/// the same group as `j` and every candidate of `j` in the same group as `i` (groups:
/// the exact clusters, so that a person's duplicate rows count once). A record without a
/// NIK that resembles two different people is left alone rather than guessed.
pub fn unambiguous(
    scored: Vec<(u32, u32, f32)>,
    group_a: impl Fn(u32) -> u32,
    group_b: impl Fn(u32) -> u32,
) -> Vec<(u32, u32, f32)> {
    use std::collections::HashMap;
    // For each record: the one group of its candidates, or None when there are several.
    let mut of_a: HashMap<u32, Option<u32>> = HashMap::new();
    let mut of_b: HashMap<u32, Option<u32>> = HashMap::new();
    for &(i, j, _) in &scored {
        let g = group_b(j);
        of_a.entry(i)
            .and_modify(|e| {
                if *e != Some(g) {
                    *e = None
                }
            })
            .or_insert(Some(g));
        let g = group_a(i);
        of_b.entry(j)
            .and_modify(|e| {
                if *e != Some(g) {
                    *e = None
                }
            })
            .or_insert(Some(g));
    }
    scored
        .into_iter()
        .filter(|&(i, j, _)| of_a[&i].is_some() && of_b[&j].is_some())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ambiguous_pairs_are_dropped() {
        // a0 resembles b0 and b1 (different people): dropped. a1 resembles b2 and b3, two
        // rows of one person (group 2): kept. a2 and a3 (one person) both resemble b4: kept.
        let hits = vec![
            (0, 0, 0.9),
            (0, 1, 0.85),
            (1, 2, 0.9),
            (1, 3, 0.9),
            (2, 4, 0.9),
            (3, 4, 0.8),
        ];
        let ga = |i: u32| [0, 1, 2, 2][i as usize];
        let gb = |j: u32| [0, 1, 2, 2, 4][j as usize];
        let kept: Vec<(u32, u32)> = unambiguous(hits, ga, gb)
            .iter()
            .map(|h| (h.0, h.1))
            .collect();
        assert_eq!(kept, [(1, 2), (1, 3), (2, 4), (3, 4)]);
    }

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
