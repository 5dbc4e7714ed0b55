//! Parallelism that a caller lends to the core.
//!
//! The core never starts a thread (the browser's core has none, and the same code must
//! run there). Where work splits into independent pieces (sorting the buckets of the
//! compare buffer, writing the result file of each office), the core hands the pieces to
//! a [`Parallel`]: the CLI's runs them on its cores, [`Serial`] (the browser, tests) runs
//! them one after the other. The result is the same either way; only the time differs.

/// Runs independent tasks, perhaps at the same time.
pub trait Parallel: Sync {
    /// How many tasks are worth running at once (1: no parallelism).
    fn width(&self) -> usize;
    /// Runs every task and returns when all are done.
    fn run<'a>(&self, tasks: Vec<Box<dyn FnOnce() + Send + 'a>>);
    /// Runs `other`, perhaps on another thread, while running `here` on this one;
    /// returns when both are done. When [`Parallel::width`] is above 1, the two run at
    /// the same time: they may wait for each other (a pipeline passing work along).
    /// This default runs one after the other, for implementations of width 1 only.
    fn join<'a>(&self, other: Box<dyn FnOnce() + Send + 'a>, here: &mut dyn FnMut()) {
        other();
        here();
    }
}

/// Runs the tasks one after the other, in order.
#[derive(Clone, Copy, Debug, Default)]
pub struct Serial;

impl Parallel for Serial {
    fn width(&self) -> usize {
        1
    }
    fn run<'a>(&self, tasks: Vec<Box<dyn FnOnce() + Send + 'a>>) {
        for t in tasks {
            t()
        }
    }
}

/// Maps `f` over `items` with the tasks of `par`, returning the results in item order.
/// The items are split into at most `par.width()` contiguous parts of about equal
/// `weight`.
pub fn map<T: Sync, U: Send>(
    par: &dyn Parallel,
    items: &[T],
    weight: impl Fn(&T) -> u64,
    f: impl Fn(&T) -> U + Sync,
) -> Vec<U> {
    let parts = split(&items.iter().map(weight).collect::<Vec<_>>(), par.width());
    if parts.len() <= 1 {
        return items.iter().map(f).collect();
    }
    let mut out: Vec<Vec<U>> = parts.iter().map(|_| Vec::new()).collect();
    let f = &f;
    let tasks: Vec<Box<dyn FnOnce() + Send + '_>> = parts
        .iter()
        .zip(out.iter_mut())
        .map(|(r, o)| {
            let part = &items[r.clone()];
            Box::new(move || *o = part.iter().map(f).collect()) as Box<dyn FnOnce() + Send>
        })
        .collect();
    par.run(tasks);
    out.into_iter().flatten().collect()
}

/// Calls `f(start, part)` on the consecutive parts of `items`, `chunk` items each (the
/// last may be shorter; `start` is the index of its first item), with the tasks of `par`,
/// and returns the results in the parts' order.
pub fn map_chunks<T: Send, U: Send>(
    par: &dyn Parallel,
    items: &mut [T],
    chunk: usize,
    f: impl Fn(usize, &mut [T]) -> U + Sync,
) -> Vec<U> {
    let chunk = chunk.max(1);
    let mut out: Vec<Option<U>> = (0..items.len().div_ceil(chunk)).map(|_| None).collect();
    let f = &f;
    let tasks: Vec<Box<dyn FnOnce() + Send + '_>> = items
        .chunks_mut(chunk)
        .zip(out.iter_mut())
        .enumerate()
        .map(|(c, (part, o))| {
            Box::new(move || *o = Some(f(c * chunk, part))) as Box<dyn FnOnce() + Send>
        })
        .collect();
    par.run(tasks);
    out.into_iter()
        .map(|o| o.expect("every task ran"))
        .collect()
}

/// Splits `0..weights.len()` into at most `n` contiguous ranges of about equal total
/// weight: each cut goes at the item boundary nearest to its share, and no range but the
/// only one is empty or weighs nothing.
pub fn split(weights: &[u64], n: usize) -> Vec<std::ops::Range<usize>> {
    let total: u128 = weights.iter().map(|&w| w as u128).sum();
    let n = n.max(1) as u128;
    let mut out = Vec::new();
    let (mut start, mut acc, mut part) = (0, 0u128, 0u128);
    for (i, &w) in weights.iter().enumerate() {
        let w = w as u128;
        // Cut number `out.len() + 1` belongs where the weight so far reaches its share.
        let target = total * (out.len() as u128 + 1);
        let (before, after) = (acc * n, (acc + w) * n);
        if (out.len() as u128) + 1 < n && before < target && target <= after {
            if part > 0 && target - before < after - target {
                // Nearer before this item: it starts the next range.
                out.push(start..i);
                (start, part) = (i, 0);
            } else if part + w > 0 {
                out.push(start..i + 1);
                (start, part, acc) = (i + 1, 0, acc + w);
                continue;
            }
        }
        acc += w;
        part += w;
    }
    match out.last_mut() {
        // Trailing items of no weight join the last range.
        Some(last) if part == 0 => last.end = weights.len(),
        _ => out.push(start..weights.len()),
    }
    out
}

/// Tests' stand-in for the CLI's threads: each task on a scoped thread.
#[cfg(test)]
pub(crate) struct TestThreads(pub usize);

#[cfg(test)]
impl Parallel for TestThreads {
    fn width(&self) -> usize {
        self.0
    }
    fn run<'a>(&self, tasks: Vec<Box<dyn FnOnce() + Send + 'a>>) {
        std::thread::scope(|s| {
            for t in tasks {
                s.spawn(t);
            }
        });
    }
    fn join<'a>(&self, other: Box<dyn FnOnce() + Send + 'a>, here: &mut dyn FnMut()) {
        std::thread::scope(|s| {
            s.spawn(other);
            here();
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs the tasks in reverse order, to show that results do not depend on it.
    struct Backwards;
    impl Parallel for Backwards {
        fn width(&self) -> usize {
            3
        }
        fn run<'a>(&self, tasks: Vec<Box<dyn FnOnce() + Send + 'a>>) {
            for t in tasks.into_iter().rev() {
                t()
            }
        }
        fn join<'a>(&self, other: Box<dyn FnOnce() + Send + 'a>, here: &mut dyn FnMut()) {
            std::thread::scope(|s| {
                s.spawn(other);
                here();
            });
        }
    }

    #[test]
    fn split_is_contiguous_and_balanced() {
        assert_eq!(split(&[], 2), vec![0..0]);
        assert_eq!(split(&[5], 2), vec![0..1]);
        assert_eq!(split(&[1, 1, 1, 1], 2), vec![0..2, 2..4]);
        assert_eq!(split(&[10, 1, 1, 1], 2), vec![0..1, 1..4]);
        assert_eq!(split(&[1, 1, 1, 10], 2), vec![0..3, 3..4]);
        // The reference list first: cut where the halves are nearest.
        assert_eq!(split(&[154, 60, 40, 30, 6], 2), vec![0..1, 1..5]);
        assert_eq!(split(&[0, 0, 0], 3), vec![0..3]);
        assert_eq!(split(&[10, 0, 0, 1], 3), vec![0..1, 1..4]);
        assert_eq!(split(&[0, 5, 0, 5, 0], 2), vec![0..2, 2..5]);
        for n in 1..6 {
            for len in 0..12 {
                let w: Vec<u64> = (0..len).map(|i| (i * 7 % 5) as u64).collect();
                let parts = split(&w, n);
                assert!(parts.len() <= n);
                assert_eq!(parts.first().unwrap().start, 0);
                assert_eq!(parts.last().unwrap().end, len);
                for p in parts.windows(2) {
                    assert_eq!(p[0].end, p[1].start);
                }
                if parts.len() > 1 {
                    assert!(parts.iter().all(|r| w[r.clone()].iter().sum::<u64>() > 0));
                }
            }
        }
    }

    #[test]
    fn map_keeps_item_order_whatever_the_task_order() {
        let items: Vec<u32> = (0..10).collect();
        let want: Vec<u32> = items.iter().map(|x| x * x).collect();
        assert_eq!(map(&Serial, &items, |_| 1, |x| x * x), want);
        assert_eq!(map(&Backwards, &items, |&x| x as u64, |x| x * x), want);
        assert_eq!(map(&TestThreads(4), &items, |_| 1, |x| x * x), want);
        assert!(map(&Backwards, &[] as &[u32], |_| 1, |x| *x).is_empty());
    }

    /// Every item is given to `f` once, at its index, and the parts' results come in
    /// order, whatever the order of the tasks.
    #[test]
    fn map_chunks_covers_every_item_once_in_order() {
        let pars: [&dyn Parallel; 3] = [&Serial, &Backwards, &TestThreads(3)];
        for par in pars {
            for (len, chunk) in [(0, 4), (1, 4), (10, 3), (12, 4), (7, 0), (5, 100)] {
                let mut items = vec![0usize; len];
                let starts = map_chunks(par, &mut items, chunk, |start, part| {
                    for (i, x) in part.iter_mut().enumerate() {
                        *x += start + i + 1;
                    }
                    (start, part.len())
                });
                assert_eq!(items, (1..=len).collect::<Vec<_>>(), "{len}/{chunk}");
                let c = chunk.max(1);
                let want: Vec<(usize, usize)> =
                    (0..len).step_by(c).map(|s| (s, c.min(len - s))).collect();
                assert_eq!(starts, want, "{len}/{chunk}");
            }
        }
    }
}
