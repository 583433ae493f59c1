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
//!   meets is the answer, as every cheaper one failed or was skipped.
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

/// Several dimensions: `order` lists the candidates from cheapest to
/// dearest; `covers(a, b)` says whether `b` has at least as much of every
/// dimension as `a`; `above(c)` lists the candidates one step up from `c`
/// in one dimension.
pub fn grid(
    order: &[usize],
    covers: &dyn Fn(usize, usize) -> bool,
    above: &dyn Fn(usize) -> Vec<usize>,
    eval: &mut dyn FnMut(usize) -> Result<Verdict, SweepError>,
) -> Result<Found, SweepError> {
    // The dearest corner, the most of every dimension, first, as in one
    // dimension: if it does not meet, nothing does (every other candidate
    // has no more of anything), and a goal out of reach costs one
    // evaluation instead of one for every candidate.
    let mut seen = BTreeMap::new();
    if let Some(top) = top(order, covers) {
        let verdict = eval(top)?;
        seen.insert(top, verdict);
        if verdict != Verdict::Meets {
            return check((None, seen), covers, above, eval);
        }
    }
    let answer = cheapest(order, covers, eval, seen)?;
    check(answer, covers, above, eval)
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
/// candidate covers.
fn cheapest(
    order: &[usize],
    covers: &dyn Fn(usize, usize) -> bool,
    eval: &mut dyn FnMut(usize) -> Result<Verdict, SweepError>,
    seen: BTreeMap<usize, Verdict>,
) -> Result<(Option<usize>, BTreeMap<usize, Verdict>), SweepError> {
    let mut memo = Memo { eval, seen };
    let mut failed: Vec<usize> = Vec::new();
    for &candidate in order {
        if failed.iter().any(|f| covers(candidate, *f)) {
            continue;
        }
        match memo.get(candidate)? {
            Verdict::Meets => return Ok((Some(candidate), memo.seen)),
            Verdict::Fails => failed.push(candidate),
            Verdict::Undecided => {}
        }
    }
    Ok((None, memo.seen))
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
        let mut calls = Vec::new();
        let f = grid(&order, &covers, &above, &mut |c| {
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
        for corner in [Verdict::Fails, Verdict::Undecided] {
            let mut calls = Vec::new();
            let f = grid(&order, &covers, &above, &mut |c| {
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
        let f = grid(&order, &covers, &above, &mut |c| {
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
