//! Finding the cheapest candidate that meets the goals, assuming that more
//! of what is searched (bots, add-ons) never makes a goal worse.
//!
//! - One dimension: its values in increasing order of cost. The largest is
//!   evaluated first (if it does not meet, nothing does), then the
//!   smallest (if it meets, it is the answer), then bisection between a
//!   value that does not meet and one that does: 200 values cost at most
//!   2 + ⌈log2 200⌉ = 10 evaluations.
//! - Several dimensions: the candidate with the most of every dimension
//!   first (if it does not meet, nothing does), then candidates in
//!   increasing order of cost; a candidate with no more of every dimension
//!   than one that failed is skipped (it would fail too); the first that
//!   meets is the answer, as every cheaper one failed or was skipped. A
//!   failure is followed up its line along the longest dimension to where
//!   the line starts to meet, so that the failure found there skips the
//!   rest of the line below it.
//!
//! `Undecided` is never taken as meeting. Bisection and pruning only ever
//! evaluate points the assumption has not yet decided, so they cannot
//! contradict it by themselves; the answer's neighbours one step up in
//! each dimension are therefore evaluated too (one more evaluation in one
//! dimension). Then what was evaluated is checked against the assumption:
//! a candidate that meets while one with at least as much of every
//! dimension fails is reported, so the user knows the answer may not be
//! the cheapest.

use std::collections::BTreeMap;

use super::evaluate::Verdict;
use crate::SweepError;

/// What a search found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// The cheapest candidate that meets, if any.
    pub answer: Option<usize>,
    /// Pairs (meets, fails) that contradict monotonicity.
    pub violations: Vec<(usize, usize)>,
}

/// Candidates evaluated so far, each once.
struct Memo<'a> {
    eval: &'a mut dyn FnMut(usize) -> Result<Verdict, SweepError>,
    seen: BTreeMap<usize, Verdict>,
}

impl Memo<'_> {
    fn get(&mut self, candidate: usize) -> Result<Verdict, SweepError> {
        if let Some(v) = self.seen.get(&candidate) {
            return Ok(*v);
        }
        let v = (self.eval)(candidate)?;
        self.seen.insert(candidate, v);
        Ok(v)
    }
}

/// One dimension: `order` lists the candidates from cheapest to dearest.
pub fn one_dimension(
    order: &[usize],
    eval: &mut dyn FnMut(usize) -> Result<Verdict, SweepError>,
) -> Result<Found, SweepError> {
    let covers = |a: usize, b: usize| position(order, a) <= position(order, b);
    let above = |c: usize| {
        order
            .get(position(order, c) + 1)
            .copied()
            .into_iter()
            .collect()
    };
    let answer = bisect(order, eval)?;
    check(answer, &covers, &above, eval)
}

/// Bisection for the first candidate of `order` that meets, evaluating
/// each candidate at most once.
fn bisect(
    order: &[usize],
    eval: &mut dyn FnMut(usize) -> Result<Verdict, SweepError>,
) -> Result<(Option<usize>, BTreeMap<usize, Verdict>), SweepError> {
    let mut memo = Memo {
        eval,
        seen: BTreeMap::new(),
    };
    let (Some(&first), Some(&last)) = (order.first(), order.last()) else {
        return Ok((None, memo.seen));
    };
    if memo.get(last)? != Verdict::Meets {
        return Ok((None, memo.seen));
    }
    if memo.get(first)? == Verdict::Meets {
        return Ok((Some(first), memo.seen));
    }
    // order[lo] does not meet, order[hi] meets.
    let (mut lo, mut hi) = (0, order.len() - 1);
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if memo.get(order[mid])? == Verdict::Meets {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Ok((Some(order[hi]), memo.seen))
}

/// Evaluates the answer's neighbours above it (`above`) and reports what
/// contradicts monotonicity among everything evaluated.
fn check(
    (answer, mut seen): (Option<usize>, BTreeMap<usize, Verdict>),
    covers: &dyn Fn(usize, usize) -> bool,
    above: &dyn Fn(usize) -> Vec<usize>,
    eval: &mut dyn FnMut(usize) -> Result<Verdict, SweepError>,
) -> Result<Found, SweepError> {
    if let Some(a) = answer {
        for n in above(a) {
            if let std::collections::btree_map::Entry::Vacant(e) = seen.entry(n) {
                e.insert(eval(n)?);
            }
        }
    }
    Ok(found(answer, &seen, covers))
}

fn position(order: &[usize], candidate: usize) -> usize {
    order.iter().position(|c| *c == candidate).unwrap_or(0)
}

/// The shape of a grid of candidates, as the search needs it.
pub struct Shape<'a> {
    /// Whether `b` has at least as much of every dimension as `a`.
    pub covers: &'a dyn Fn(usize, usize) -> bool,
    /// The candidates one step up from `c` in one dimension.
    pub above: &'a dyn Fn(usize) -> Vec<usize>,
    /// The candidates of `c`'s line along one dimension (the others held
    /// where `c` has them), from fewest to most of it; `c` among them.
    pub line: &'a dyn Fn(usize) -> Vec<usize>,
}

/// Several dimensions: `order` lists the candidates from cheapest to
/// dearest.
pub fn grid(
    order: &[usize],
    shape: &Shape<'_>,
    eval: &mut dyn FnMut(usize) -> Result<Verdict, SweepError>,
) -> Result<Found, SweepError> {
    // The dearest corner, the most of every dimension, first, as in one
    // dimension: if it does not meet, nothing does (every other candidate
    // has no more of anything), and a goal out of reach costs one
    // evaluation instead of one for every candidate.
    let mut seen = BTreeMap::new();
    if let Some(top) = top(order, shape.covers) {
        let verdict = eval(top)?;
        seen.insert(top, verdict);
        if verdict != Verdict::Meets {
            return check((None, seen), shape.covers, shape.above, eval);
        }
    }
    let answer = cheapest(order, shape, eval, seen)?;
    check(answer, shape.covers, shape.above, eval)
}

/// The candidate with at least as much of every dimension as every other:
/// the dearest, so looked for from the end of `order`.
fn top(order: &[usize], covers: &dyn Fn(usize, usize) -> bool) -> Option<usize> {
    order
        .iter()
        .rev()
        .copied()
        .find(|&t| order.iter().all(|&c| covers(c, t)))
}

/// The first candidate of `order` that meets, skipping those some failed
/// candidate covers. Each failure is followed up along its line, to where
/// it starts to meet (see [`Climb`]): the most of it that fails then
/// covers the line below it, so that a line is not evaluated candidate by
/// candidate as the order comes back to it (in a grid of two dimensions
/// or more, every candidate cheaper than the answer was). The answer is
/// the one the order alone gives: the lines' evaluations only add
/// failures to skip by.
fn cheapest(
    order: &[usize],
    shape: &Shape<'_>,
    eval: &mut dyn FnMut(usize) -> Result<Verdict, SweepError>,
    seen: BTreeMap<usize, Verdict>,
) -> Result<(Option<usize>, BTreeMap<usize, Verdict>), SweepError> {
    let mut climb = Climb {
        memo: Memo { eval, seen },
        failed: Failed::default(),
        covers: shape.covers,
    };
    for &candidate in order {
        if climb.failed.covers(candidate, climb.covers) {
            continue;
        }
        match climb.memo.get(candidate)? {
            Verdict::Meets => return Ok((Some(candidate), climb.memo.seen)),
            Verdict::Fails => {
                climb.failed.add(candidate, climb.covers);
                climb.along(&(shape.line)(candidate), candidate)?;
            }
            Verdict::Undecided => {}
        }
    }
    Ok((None, climb.memo.seen))
}

/// The failed candidates that no other failed candidate covers: each
/// decides all it covers.
#[derive(Default)]
struct Failed(Vec<usize>);

impl Failed {
    /// Whether a failed candidate has at least as much of everything as `c`.
    fn covers(&self, c: usize, covers: &dyn Fn(usize, usize) -> bool) -> bool {
        self.0.iter().any(|f| covers(c, *f))
    }

    fn add(&mut self, f: usize, covers: &dyn Fn(usize, usize) -> bool) {
        if !self.covers(f, covers) {
            self.0.retain(|old| !covers(*old, f));
            self.0.push(f);
        }
    }
}

/// Following a failure up its line.
struct Climb<'a, 'e> {
    memo: Memo<'e>,
    failed: Failed,
    covers: &'a dyn Fn(usize, usize) -> bool,
}

/// A candidate's verdict, evaluated or decided by monotonicity.
enum Known {
    Fails,
    Meets,
    Undecided,
}

impl Climb<'_, '_> {
    /// Finds where `line` starts to meet above `failing`: from the least
    /// of it known to meet (it covers a candidate that met), down by 1, 2,
    /// 4... steps, as the lines next to it usually start near there; with
    /// none known, up by such steps from `failing`; then bisection. Each
    /// failure is noted; an undecided candidate ends the climb (it decides
    /// nothing below or above it).
    fn along(&mut self, line: &[usize], failing: usize) -> Result<(), SweepError> {
        let Some(mut lo) = line.iter().position(|c| *c == failing) else {
            return Ok(());
        };
        // The least of the line that covers a candidate that met.
        let mut hi = Some(lo + 1 + line[lo + 1..].partition_point(|c| !self.covers_a_met(*c)))
            .filter(|h| *h < line.len());
        let mut step = 1;
        match hi {
            Some(mut h) => {
                while h - lo > 1 {
                    let next = h.saturating_sub(step).max(lo + 1);
                    match self.verdict(line[next])? {
                        Known::Meets => h = next,
                        Known::Fails => {
                            lo = next;
                            break;
                        }
                        Known::Undecided => return Ok(()),
                    }
                    step *= 2;
                }
                hi = Some(h);
            }
            None => {
                while hi.is_none() && lo + 1 < line.len() {
                    let next = (lo + step).min(line.len() - 1);
                    match self.verdict(line[next])? {
                        Known::Fails => lo = next,
                        Known::Meets => hi = Some(next),
                        Known::Undecided => return Ok(()),
                    }
                    step *= 2;
                }
            }
        }
        while let Some(h) = hi
            && h - lo > 1
        {
            let mid = lo + (h - lo) / 2;
            match self.verdict(line[mid])? {
                Known::Fails => lo = mid,
                Known::Meets => hi = Some(mid),
                Known::Undecided => return Ok(()),
            }
        }
        Ok(())
    }

    /// Whether `c` has at least as much of everything as a candidate that met.
    fn covers_a_met(&self, c: usize) -> bool {
        self.memo
            .seen
            .iter()
            .any(|(m, v)| *v == Verdict::Meets && (self.covers)(*m, c))
    }

    /// What monotonicity decides of `c`, else its evaluation (a failure
    /// noted).
    fn verdict(&mut self, c: usize) -> Result<Known, SweepError> {
        if self.failed.covers(c, self.covers) {
            return Ok(Known::Fails);
        }
        if self.covers_a_met(c) {
            return Ok(Known::Meets);
        }
        Ok(match self.memo.get(c)? {
            Verdict::Meets => Known::Meets,
            Verdict::Fails => {
                self.failed.add(c, self.covers);
                Known::Fails
            }
            Verdict::Undecided => Known::Undecided,
        })
    }
}

fn found(
    answer: Option<usize>,
    seen: &BTreeMap<usize, Verdict>,
    covers: &dyn Fn(usize, usize) -> bool,
) -> Found {
    let mut violations = Vec::new();
    for (&m, _) in seen.iter().filter(|(_, v)| **v == Verdict::Meets) {
        for (&f, _) in seen.iter().filter(|(_, v)| **v == Verdict::Fails) {
            if covers(m, f) {
                violations.push((m, f));
            }
        }
    }
    Found { answer, violations }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A monotone truth: candidates from `threshold` on meet.
    fn truth(threshold: usize, calls: &mut Vec<usize>, c: usize) -> Verdict {
        calls.push(c);
        if c >= threshold {
            Verdict::Meets
        } else {
            Verdict::Fails
        }
    }

    #[test]
    fn bisection_finds_the_threshold_in_few_evaluations() {
        let order: Vec<usize> = (0..200).collect();
        for threshold in [0, 1, 57, 137, 199, 200] {
            let mut calls = Vec::new();
            let f = one_dimension(&order, &mut |c| Ok(truth(threshold, &mut calls, c)))
                .expect("search");
            assert_eq!(f.answer, (threshold < 200).then_some(threshold));
            assert!(
                calls.len() <= 2 + 8 + 1,
                "{threshold}: {} evaluations",
                calls.len()
            );
            assert!(f.violations.is_empty());
        }
    }

    #[test]
    fn the_grid_search_takes_the_cheapest_and_skips_what_must_fail() {
        // Two dimensions of 0..4; a point meets when a + b >= 4; cost a + 2b.
        let points: Vec<(usize, usize)> =
            (0..4).flat_map(|a| (0..4).map(move |b| (a, b))).collect();
        let mut order: Vec<usize> = (0..points.len()).collect();
        order.sort_by_key(|&i| (points[i].0 + 2 * points[i].1, i));
        let covers = |x: usize, y: usize| points[x].0 <= points[y].0 && points[x].1 <= points[y].1;
        let above = |x: usize| {
            let (a, b) = points[x];
            points
                .iter()
                .enumerate()
                .filter(|(_, p)| **p == (a + 1, b) || **p == (a, b + 1))
                .map(|(i, _)| i)
                .collect()
        };
        let line = |x: usize| (x - x % 4..x - x % 4 + 4).collect();
        let shape = Shape {
            covers: &covers,
            above: &above,
            line: &line,
        };
        let mut calls = Vec::new();
        let f = grid(&order, &shape, &mut |c| {
            calls.push(c);
            Ok(if points[c].0 + points[c].1 >= 4 {
                Verdict::Meets
            } else {
                Verdict::Fails
            })
        })
        .expect("search");
        // The cheapest meeting point: (3, 1), cost 5.
        assert_eq!(f.answer.map(|i| points[i]), Some((3, 1)));
        assert!(
            calls.len() < points.len(),
            "pruned: {} evaluations",
            calls.len()
        );
    }

    #[test]
    fn a_grid_whose_corner_does_not_meet_costs_one_evaluation() {
        // Three dimensions of 0..10: nothing meets, or the corner is
        // undecided; costs with ties (the third dimension is free).
        let points: Vec<[usize; 3]> = (0..1000).map(|i| [i / 100, i / 10 % 10, i % 10]).collect();
        let mut order: Vec<usize> = (0..points.len()).collect();
        order.sort_by_key(|&i| (points[i][0] + points[i][1], i));
        let covers = |x: usize, y: usize| (0..3).all(|d| points[x][d] <= points[y][d]);
        let above = |_: usize| Vec::new();
        let line = |x: usize| (x - x % 10..x - x % 10 + 10).collect();
        let shape = Shape {
            covers: &covers,
            above: &above,
            line: &line,
        };
        for corner in [Verdict::Fails, Verdict::Undecided] {
            let mut calls = Vec::new();
            let f = grid(&order, &shape, &mut |c| {
                calls.push(c);
                Ok(if points[c] == [9, 9, 9] {
                    corner
                } else {
                    Verdict::Fails
                })
            })
            .expect("search");
            assert_eq!((f.answer, calls), (None, vec![999]));
        }
        // When the corner meets, the search goes on from the cheapest.
        let mut calls = Vec::new();
        let f = grid(&order, &shape, &mut |c| {
            calls.push(c);
            Ok(if points[c].iter().sum::<usize>() >= 26 {
                Verdict::Meets
            } else {
                Verdict::Fails
            })
        })
        .expect("search");
        assert_eq!(calls[0], 999);
        assert_eq!(f.answer.map(|i| points[i]), Some([8, 9, 9]));
    }

    /// A grid of `sizes` (the last dimension fastest), each candidate's
    /// positions, ordered by `cost` then index; the plan's shape of it,
    /// lines along the longest dimension.
    struct TestGrid {
        points: Vec<Vec<usize>>,
        order: Vec<usize>,
        sizes: Vec<usize>,
    }

    impl TestGrid {
        fn new(sizes: &[usize], cost: impl Fn(&[usize]) -> usize) -> Self {
            let n: usize = sizes.iter().product();
            let points: Vec<Vec<usize>> = (0..n)
                .map(|mut i| {
                    let mut at = vec![0; sizes.len()];
                    for d in (0..sizes.len()).rev() {
                        at[d] = i % sizes[d];
                        i /= sizes[d];
                    }
                    at
                })
                .collect();
            let mut order: Vec<usize> = (0..n).collect();
            order.sort_by_key(|&i| (cost(&points[i]), i));
            TestGrid {
                points,
                order,
                sizes: sizes.to_vec(),
            }
        }

        /// The search's answer and evaluations for `meets`.
        fn search(&self, meets: impl Fn(&[usize]) -> bool) -> (Option<usize>, usize) {
            let covers = |a: usize, b: usize| {
                self.points[a]
                    .iter()
                    .zip(&self.points[b])
                    .all(|(x, y)| x <= y)
            };
            let above = |_: usize| Vec::new();
            let longest = (0..self.sizes.len())
                .max_by_key(|&d| (self.sizes[d], std::cmp::Reverse(d)))
                .expect("a dimension");
            let stride: usize = self.sizes[longest + 1..].iter().product();
            let line = |c: usize| {
                let first = c - self.points[c][longest] * stride;
                (0..self.sizes[longest])
                    .map(|i| first + i * stride)
                    .collect()
            };
            let shape = Shape {
                covers: &covers,
                above: &above,
                line: &line,
            };
            let mut calls = 0;
            let f = grid(&self.order, &shape, &mut |c| {
                calls += 1;
                Ok(if meets(&self.points[c]) {
                    Verdict::Meets
                } else {
                    Verdict::Fails
                })
            })
            .expect("search");
            (f.answer, calls)
        }
    }

    #[test]
    fn lines_climbed_after_a_failure_spare_most_evaluations() {
        // 30 x 30, meets when a + b >= 30, cost a + b: the order alone
        // evaluates the 465 candidates below the answer's cost; climbing
        // each line from where the one before started to meet, 126.
        let g = TestGrid::new(&[30, 30], |p| p[0] + p[1]);
        let (answer, calls) = g.search(|p| p[0] + p[1] >= 30);
        assert_eq!(answer.map(|a| g.points[a].clone()), Some(vec![1, 29]));
        assert!(calls < 150, "{calls} evaluations");
    }

    proptest::proptest! {
        /// Whatever the grid, the monotone truth and the prices (some
        /// free), the answer is the cheapest candidate that meets (the
        /// lowest index among equally cheap ones), as a look at every
        /// candidate finds it.
        #[test]
        fn the_answer_is_the_cheapest_that_meets(
            sizes in proptest::collection::vec(1..7usize, 2..4),
            weights in proptest::collection::vec(0..3usize, 3),
            prices in proptest::collection::vec(0..3usize, 3),
            threshold in 0..20usize,
        ) {
            let dot = |p: &[usize], w: &[usize]| p.iter().zip(w).map(|(x, y)| x * y).sum::<usize>();
            let g = TestGrid::new(&sizes, |p| dot(p, &prices));
            let meets = |p: &[usize]| dot(p, &weights) >= threshold;
            let cheapest = g.order.iter().copied().find(|&c| meets(&g.points[c]));
            let (answer, calls) = g.search(meets);
            proptest::prop_assert_eq!(answer, cheapest);
            proptest::prop_assert!(calls <= g.points.len());
        }
    }

    #[test]
    fn the_answers_neighbour_is_checked_and_a_dip_reported() {
        // 2 meets, 3 fails (a dip), 4.. meet: bisection evaluates 9, 0, 4,
        // 2, 1 and lands on 2 without seeing the dip; its neighbour 3
        // shows it.
        let order: Vec<usize> = (0..10).collect();
        let dip = |c: usize| {
            if c == 2 || c >= 4 {
                Verdict::Meets
            } else {
                Verdict::Fails
            }
        };
        let f = one_dimension(&order, &mut |c| Ok(dip(c))).expect("search");
        assert_eq!(f.answer, Some(2));
        assert_eq!(f.violations, vec![(2, 3)]);
    }

    #[test]
    fn a_contradiction_of_monotonicity_is_reported() {
        // 6 meets while 7, which has more, fails.
        let seen: BTreeMap<usize, Verdict> = [
            (4, Verdict::Fails),
            (6, Verdict::Meets),
            (7, Verdict::Fails),
            (9, Verdict::Meets),
        ]
        .into_iter()
        .collect();
        let f = found(Some(6), &seen, &|a, b| a <= b);
        assert_eq!(f.violations, vec![(6, 7)]);
        let consistent: BTreeMap<usize, Verdict> = [(4, Verdict::Fails), (6, Verdict::Meets)]
            .into_iter()
            .collect();
        assert!(
            found(Some(6), &consistent, &|a, b| a <= b)
                .violations
                .is_empty()
        );
    }
}
