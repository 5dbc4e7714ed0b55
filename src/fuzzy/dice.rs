//! Dice similarity of filters: `2 |A ∧ B| / (|A| + |B|)`, with popcounts over 64-bit
//! words. The loops are plain iterator code that the compiler unrolls and vectorizes; on
//! x86-64 the same code is also compiled with `popcnt` and with AVX2 enabled and the best
//! one the processor has is picked at run time (baseline x86-64 has no popcount
//! instruction). Other targets (WebAssembly) use the portable build.

use super::bloom::{Filter, WORDS};

/// Bits set in both filters.
#[inline(always)]
fn and_count(a: &Filter, b: &Filter) -> u32 {
    let mut s = 0u32;
    for i in 0..WORDS {
        s += (a.0[i] & b.0[i]).count_ones();
    }
    s
}

/// Dice similarity of two filters given their popcounts (0 when both are empty).
#[inline(always)]
fn dice_counts(common: u32, ca: u32, cb: u32) -> f32 {
    let total = ca + cb;
    if total == 0 {
        0.0
    } else {
        (2 * common) as f32 / total as f32
    }
}

/// The Dice similarity of two filters.
pub fn dice(a: &Filter, b: &Filter) -> f32 {
    dice_counts(and_count(a, b), a.count_ones(), b.count_ones())
}

/// Popcounts of many filters (computed once, reused by every comparison).
pub fn popcounts(filters: &[Filter]) -> Vec<u32> {
    filters.iter().map(|f| f.count_ones()).collect()
}

#[inline(always)]
fn many_kernel(
    q: &Filter,
    qc: u32,
    filters: &[Filter],
    counts: &[u32],
    threshold: f32,
    out: &mut Vec<(u32, f32)>,
) {
    for (i, (f, &c)) in filters.iter().zip(counts).enumerate() {
        let d = dice_counts(and_count(q, f), qc, c);
        if d >= threshold {
            out.push((i as u32, d));
        }
    }
}

#[inline(always)]
fn pairs_kernel(
    a: &[Filter],
    ca: &[u32],
    b: &[Filter],
    cb: &[u32],
    pairs: &[(u32, u32)],
    threshold: f32,
    out: &mut Vec<(u32, u32, f32)>,
) {
    for &(i, j) in pairs {
        let (i, j) = (i as usize, j as usize);
        let d = dice_counts(and_count(&a[i], &b[j]), ca[i], cb[j]);
        if d >= threshold {
            out.push((i as u32, j as u32, d));
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::*;

    #[target_feature(enable = "avx2,popcnt")]
    pub unsafe fn many_avx2(
        q: &Filter,
        qc: u32,
        f: &[Filter],
        c: &[u32],
        t: f32,
        out: &mut Vec<(u32, f32)>,
    ) {
        many_kernel(q, qc, f, c, t, out)
    }

    #[target_feature(enable = "popcnt")]
    pub unsafe fn many_popcnt(
        q: &Filter,
        qc: u32,
        f: &[Filter],
        c: &[u32],
        t: f32,
        out: &mut Vec<(u32, f32)>,
    ) {
        many_kernel(q, qc, f, c, t, out)
    }

    #[target_feature(enable = "popcnt")]
    #[allow(clippy::too_many_arguments)]
    pub unsafe fn pairs_popcnt(
        a: &[Filter],
        ca: &[u32],
        b: &[Filter],
        cb: &[u32],
        pairs: &[(u32, u32)],
        t: f32,
        out: &mut Vec<(u32, u32, f32)>,
    ) {
        pairs_kernel(a, ca, b, cb, pairs, t, out)
    }
}

/// Which kernel [`dice_many`] uses on this processor (for benchmark output).
pub fn kernel_name() -> &'static str {
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("popcnt") {
            return "avx2+popcnt";
        }
        if std::is_x86_feature_detected!("popcnt") {
            return "popcnt";
        }
    }
    "portable"
}

/// Compares `q` (with popcount `qc`) against every filter of `filters` (popcounts
/// `counts`, same length) and appends `(index, dice)` for those at or above `threshold`.
pub fn dice_many(
    q: &Filter,
    qc: u32,
    filters: &[Filter],
    counts: &[u32],
    threshold: f32,
    out: &mut Vec<(u32, f32)>,
) {
    assert_eq!(filters.len(), counts.len(), "one popcount per filter");
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("popcnt") {
            // SAFETY: the processor has AVX2 and POPCNT (checked just above).
            unsafe { x86::many_avx2(q, qc, filters, counts, threshold, out) };
            return;
        }
        if std::is_x86_feature_detected!("popcnt") {
            // SAFETY: the processor has POPCNT (checked just above).
            unsafe { x86::many_popcnt(q, qc, filters, counts, threshold, out) };
            return;
        }
    }
    many_kernel(q, qc, filters, counts, threshold, out)
}

/// Compares the candidate pairs `(i, j)` (filter `a[i]` against `b[j]`) and appends
/// `(i, j, dice)` for those at or above `threshold`.
pub fn dice_pairs(
    a: (&[Filter], &[u32]),
    b: (&[Filter], &[u32]),
    pairs: &[(u32, u32)],
    threshold: f32,
    out: &mut Vec<(u32, u32, f32)>,
) {
    assert_eq!(a.0.len(), a.1.len(), "one popcount per filter");
    assert_eq!(b.0.len(), b.1.len(), "one popcount per filter");
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("popcnt") {
            // SAFETY: the processor has POPCNT (checked just above).
            unsafe { x86::pairs_popcnt(a.0, a.1, b.0, b.1, pairs, threshold, out) };
            return;
        }
    }
    pairs_kernel(a.0, a.1, b.0, b.1, pairs, threshold, out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fuzzy::bloom::BITS;

    fn filter(bits: &[usize]) -> Filter {
        let mut f = Filter::default();
        for &b in bits {
            f.set(b);
        }
        f
    }

    #[test]
    fn dice_values() {
        let a = filter(&[0, 1, 2, 1023]);
        let b = filter(&[0, 1, 500, 1023]);
        assert_eq!(dice(&a, &b), 0.75);
        assert_eq!(dice(&a, &a), 1.0);
        assert_eq!(dice(&Filter::default(), &Filter::default()), 0.0);
        assert_eq!(dice(&a, &filter(&[3, 4])), 0.0);
    }

    proptest::proptest! {
        /// The dispatched kernels agree with a bit-by-bit definition.
        #[test]
        fn kernels_agree(bits in proptest::collection::vec(proptest::collection::vec(0..BITS, 0..300), 2..20), t in 0.0f32..1.0) {
            let fs: Vec<Filter> = bits.iter().map(|b| filter(b)).collect();
            let cs = popcounts(&fs);
            let naive = |a: &Filter, b: &Filter| {
                let both = (0..BITS).filter(|&i| a.get(i) && b.get(i)).count() as f32;
                let n = (0..BITS).filter(|&i| a.get(i)).count() + (0..BITS).filter(|&i| b.get(i)).count();
                if n == 0 { 0.0 } else { 2.0 * both / n as f32 }
            };
            let mut out = Vec::new();
            dice_many(&fs[0], cs[0], &fs, &cs, t, &mut out);
            let want: Vec<(u32, f32)> = fs.iter().enumerate().map(|(i, f)| (i as u32, naive(&fs[0], f))).filter(|x| x.1 >= t).collect();
            proptest::prop_assert_eq!(&out, &want);
            let pairs: Vec<(u32, u32)> = (0..fs.len() as u32).map(|i| (i, (i + 1) % fs.len() as u32)).collect();
            let mut out = Vec::new();
            dice_pairs((&fs, &cs), (&fs, &cs), &pairs, t, &mut out);
            let want: Vec<(u32, u32, f32)> = pairs.iter().map(|&(i, j)| (i, j, naive(&fs[i as usize], &fs[j as usize]))).filter(|x| x.2 >= t).collect();
            proptest::prop_assert_eq!(out, want);
        }
    }
}
