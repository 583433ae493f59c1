//! Evaluating one candidate of a plan: replications with common random
//! numbers (replication r has the same seed for every candidate), added
//! until every goal is decided with the stated confidence.
//!
//! For each goal, each replication gives one observation of its metric (a
//! replication's p95 is one number; its mean over replications is what the
//! goal bounds). With n observations, mean m and standard deviation s, the
//! one-sided bound at confidence c is m ± t(c, n − 1)·s/√n. An upper bound
//! (`at_most`) is met when the upper confidence bound is at most the
//! threshold, and failed when the lower one is above it; otherwise the goal
//! is undecided and more replications are run, from MIN up to MAX. A
//! replication where the metric has no value or is infinite (runs that
//! never started) counts as infinitely bad: the candidate fails that goal.
//!
//! The goals are looked at after MIN replications and again at each
//! doubling up to MAX, and the first look that decides stops. Each look is
//! a chance to err, so the stated confidence is split among the looks
//! (Bonferroni): each look's bounds are at 1 − (1 − c)/L for L looks, so
//! that the chance that any look errs is at most 1 − c. With the bounds at
//! c at every look, a candidate exactly at its threshold was said to meet
//! it "with 95 % confidence" 15 % of the time over MIN 5 and MAX 50 (the
//! test below measures it). A candidate meets when every goal does: if one
//! goal is in truth missed, the chance that it is said to be met is at most
//! 1 − c whatever the others do, so the goals need no split of their own.

use rayon::prelude::*;
use rpasim_core::ModelSpec;
use rpasim_core::wait::REASONS;
use rpasim_report::goals::{Goal, GoalRows, Measured};
use rpasim_scenario::Override;
use rpasim_stats::student_t_quantile;

use crate::SweepError;
use crate::grid::replication_seed;

/// A candidate's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Every goal is met with the stated confidence.
    Meets,
    /// Some goal is missed with the stated confidence.
    Fails,
    /// Not decided within the most replications allowed: never taken as
    /// meeting.
    Undecided,
}

impl Verdict {
    /// As in `plan.csv`.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Meets => "meets",
            Verdict::Fails => "fails",
            Verdict::Undecided => "undecided",
        }
    }
}

/// One goal on one candidate.
#[derive(Debug, Clone, PartialEq)]
pub struct GoalEstimate {
    /// Mean of the metric over the replications (infinite when one was).
    pub mean: f64,
    /// The confidence bound on the side that must meet the threshold: the
    /// upper bound for `at_most`, the lower for `at_least`.
    pub bound: f64,
    /// The bound on the other side (for deciding a failure).
    pub other: f64,
    /// This goal's verdict.
    pub verdict: Verdict,
}

impl GoalEstimate {
    /// The bound that decided the goal: the other side's when it failed
    /// (the lower bound above an `at_most` threshold), else the meeting
    /// side's (the upper bound, at or below it when met).
    pub fn decisive(&self) -> f64 {
        match self.verdict {
            Verdict::Fails => self.other,
            _ => self.bound,
        }
    }
}

/// The one-sided `confidence` quantile of Student's t for `n`
/// observations (infinite for fewer than 2: no bound).
pub fn one_sided_t(confidence: f64, n: usize) -> f64 {
    // One-sided at c is two-sided at 2c - 1.
    student_t_quantile(2.0 * confidence - 1.0, (n as u64).saturating_sub(1))
        .unwrap_or(f64::INFINITY)
}

/// The per-goal estimate from observations (`at_most`: smaller is
/// better), its bounds m ± t·s/√n with `t` the [`one_sided_t`] of their
/// confidence for as many values: found once per look for every goal,
/// where thousands of goals would each search for it (microseconds each,
/// only 95 % cached).
pub fn estimate(goal: &Goal, values: &[f64], t: f64) -> GoalEstimate {
    let n = values.len();
    let mean = values.iter().sum::<f64>() / n.max(1) as f64;
    if !mean.is_finite() || n == 0 {
        let worst = if goal.at_most {
            f64::INFINITY
        } else {
            f64::NEG_INFINITY
        };
        return GoalEstimate {
            mean: worst,
            bound: worst,
            other: worst,
            verdict: Verdict::Fails,
        };
    }
    let sd = if n > 1 {
        (values.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt()
    } else {
        f64::INFINITY
    };
    let half = if sd == 0.0 {
        0.0
    } else {
        t * sd / (n as f64).sqrt()
    };
    let (upper, lower) = (mean + half, mean - half);
    let (bound, other) = if goal.at_most {
        (upper, lower)
    } else {
        (lower, upper)
    };
    let verdict = match goal.at_most {
        true if upper <= goal.bound => Verdict::Meets,
        true if lower > goal.bound => Verdict::Fails,
        false if lower >= goal.bound => Verdict::Meets,
        false if upper < goal.bound => Verdict::Fails,
        _ => Verdict::Undecided,
    };
    GoalEstimate {
        mean,
        bound,
        other,
        verdict,
    }
}

/// The numbers of replications after which a candidate's goals are looked
/// at: `min`, then doubling, up to `max` (`2 <= min <= max`, as plans
/// check): 5, 10, 20, 40, 50 for 5..50.
pub fn looks((min, max): (u32, u32)) -> Vec<u32> {
    let mut at = vec![min.max(1)];
    while let Some(&n) = at.last().filter(|&&n| n < max) {
        at.push(n + n.min(max - n));
    }
    at
}

/// The confidence of each look's bounds, so that the decision of a
/// candidate over all its `looks` (as many as [`looks`] gives) holds with
/// `confidence`: its error split evenly among the looks (0.99 for 0.95
/// over the 5 looks of 5..50).
pub fn bound_confidence(confidence: f64, looks: usize) -> f64 {
    1.0 - (1.0 - confidence) / looks.max(1) as f64
}

/// A candidate's verdict from its goals' verdicts: it fails when one goal
/// fails, meets when every goal meets, and is undecided otherwise.
fn combined(goals: &[GoalEstimate]) -> Verdict {
    if goals.iter().any(|g| g.verdict == Verdict::Fails) {
        Verdict::Fails
    } else if goals.iter().all(|g| g.verdict == Verdict::Meets) {
        Verdict::Meets
    } else {
        Verdict::Undecided
    }
}

/// A candidate evaluated: its estimates per goal and its verdict.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// The candidate (index into the plan's variants).
    pub variant: usize,
    /// Replications run.
    pub replications: u32,
    /// One per goal, in goal order.
    pub goals: Vec<GoalEstimate>,
    /// Every goal met: meets; one failed: fails; else undecided.
    pub verdict: Verdict,
    /// Per goal, where the waiting of its target or flow went: each wait
    /// reason's share, averaged over the replications where runs waited
    /// (`None` when none did).
    pub waits: Vec<Option<[f64; REASONS]>>,
}

/// What one replication says: each goal's metric, and where its target's
/// or flow's waiting went.
struct Observation {
    values: Vec<f64>,
    shares: Vec<Option<[f64; REASONS]>>,
}

/// The mean of the shares over the replications that have them.
fn mean_shares(all: &[Option<[f64; REASONS]>]) -> Option<[f64; REASONS]> {
    let some: Vec<&[f64; REASONS]> = all.iter().flatten().collect();
    if some.is_empty() {
        return None;
    }
    let n = some.len() as f64;
    Some(std::array::from_fn(|i| {
        some.iter().map(|s| s[i]).sum::<f64>() / n
    }))
}

/// How candidates are evaluated.
#[derive(Debug, Clone)]
pub struct Evaluator<'a> {
    /// The scenario text and its path (for trace files and messages).
    pub text: &'a str,
    /// The scenario's path.
    pub path: &'a std::path::Path,
    /// Its trace files, read once for every candidate.
    pub traces: &'a rpasim_scenario::trace::Traces,
    /// The goals.
    pub goals: &'a [Goal],
    /// Confidence of the decisions (e.g. 0.95), over all the looks of a
    /// candidate: each look's bounds are at [`bound_confidence`].
    pub confidence: f64,
    /// Fewest and most replications of a candidate.
    pub replications: (u32, u32),
    /// Base seed of the replications.
    pub seed: u64,
    /// Stop early when asked.
    pub stop: &'a crate::Stop,
}

impl Evaluator<'_> {
    /// Evaluates a candidate given by its overrides: replications in
    /// parallel batches up to each of its [`looks`] (the first `MIN`, then
    /// doubling) until decided or at `MAX`.
    pub fn evaluate(
        &self,
        variant: usize,
        overrides: &[Override],
    ) -> Result<Evaluation, SweepError> {
        let looks = looks(self.replications);
        let confidence = bound_confidence(self.confidence, looks.len());
        let mut values: Vec<Vec<f64>> = vec![Vec::new(); self.goals.len()];
        let mut shares: Vec<Vec<Option<[f64; REASONS]>>> = vec![Vec::new(); self.goals.len()];
        // The candidate's scenario, parsed once for all its replications.
        let spec = rpasim_scenario::parse_sharing(self.text, self.path, overrides, self.traces)
            .map_err(|e| SweepError::Invalid(e.to_string()))?
            .spec;
        let mut n = 0u32;
        for (i, &upto) in looks.iter().enumerate() {
            let observed: Vec<Observation> = (n..upto)
                .into_par_iter()
                .map(|r| self.replication(&spec, r))
                .collect::<Result<_, _>>()?;
            for obs in observed {
                for (g, x) in obs.values.into_iter().enumerate() {
                    values[g].push(x);
                }
                for (g, s) in obs.shares.into_iter().enumerate() {
                    shares[g].push(s);
                }
            }
            n = upto;
            let t = one_sided_t(confidence, n as usize);
            let goals: Vec<GoalEstimate> = self
                .goals
                .iter()
                .zip(&values)
                .map(|(g, v)| estimate(g, v, t))
                .collect();
            let verdict = combined(&goals);
            if verdict != Verdict::Undecided || i + 1 == looks.len() {
                return Ok(Evaluation {
                    variant,
                    replications: n,
                    goals,
                    verdict,
                    waits: shares.iter().map(|s| mean_shares(s)).collect(),
                });
            }
        }
        // `looks` always has MIN, which plans check is at least 2.
        Err(SweepError::Invalid("no replication to evaluate".into()))
    }

    /// One replication: the value of every goal's metric (infinitely bad
    /// when it has none or is infinite).
    fn replication(&self, spec: &ModelSpec, r: u32) -> Result<Observation, SweepError> {
        let spec = crate::runner::reseeded(spec, replication_seed(self.seed, r));
        // Rows only for what the goals are about: with thousands of
        // targets the others would be most of a replication's time.
        let names: Vec<&str> = self.goals.iter().map(|g| g.name.as_str()).collect();
        let summary = crate::runner::summarize_rows(&spec, &names, self.stop)?;
        let rows = GoalRows::new(&summary);
        let values = self
            .goals
            .iter()
            .map(|g| match rows.measure(g) {
                Measured::Value(x) => x,
                Measured::Never | Measured::None if g.at_most => f64::INFINITY,
                Measured::Never | Measured::None => f64::NEG_INFINITY,
            })
            .collect();
        let shares = self
            .goals
            .iter()
            .map(|g| rows.row(g)?.reason_shares())
            .collect();
        Ok(Observation { values, shares })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn goal(at_most: bool, bound: f64) -> Goal {
        Goal {
            name: "all".into(),
            metric: "wait_mean_s".into(),
            bound,
            at_most,
            written: bound.to_string(),
        }
    }

    /// The estimate of a goal with one-sided 95 % bounds.
    fn at_95(goal: &Goal, values: &[f64]) -> GoalEstimate {
        estimate(goal, values, one_sided_t(0.95, values.len()))
    }

    #[test]
    fn a_goal_is_decided_by_its_one_sided_bound() {
        // Mean 10, sd √0.75, n 5: t(0.95 one-sided, 4 df) = 2.131847,
        // half-width 2.131847 × 0.866025 / √5 = 0.825661.
        let xs = [9.0, 10.0, 11.0, 10.0 + 0.5f64.sqrt(), 10.0 - 0.5f64.sqrt()];
        let e = at_95(&goal(true, 11.0), &xs);
        assert!((e.mean - 10.0).abs() < 1e-9);
        assert!((e.bound - 10.825661).abs() < 1e-6, "{}", e.bound);
        assert_eq!(e.verdict, Verdict::Meets);
        assert_eq!(at_95(&goal(true, 10.5), &xs).verdict, Verdict::Undecided);
        assert_eq!(at_95(&goal(true, 9.0), &xs).verdict, Verdict::Fails);
        assert_eq!(at_95(&goal(false, 9.0), &xs).verdict, Verdict::Meets);
        assert_eq!(at_95(&goal(false, 11.0), &xs).verdict, Verdict::Fails);
        // A replication where runs never started fails an upper bound.
        let e = at_95(&goal(true, 1e12), &[1.0, f64::INFINITY]);
        assert_eq!((e.verdict, e.mean), (Verdict::Fails, f64::INFINITY));
        // No spread: the mean decides.
        assert_eq!(at_95(&goal(true, 3.0), &[3.0, 3.0]).verdict, Verdict::Meets);
    }

    #[test]
    fn looks_double_from_min_to_max() {
        assert_eq!(looks((5, 50)), [5, 10, 20, 40, 50]);
        assert_eq!(looks((5, 5)), [5]);
        assert_eq!(looks((2, 3)), [2, 3]);
        assert_eq!(
            looks((3, 1000)),
            [3, 6, 12, 24, 48, 96, 192, 384, 768, 1000]
        );
        assert!((bound_confidence(0.95, looks((5, 50)).len()) - 0.99).abs() < 1e-12);
        assert!((bound_confidence(0.9, looks((7, 7)).len()) - 0.9).abs() < 1e-12);
    }

    /// How often a goal exactly at its threshold (normal observations of
    /// mean 0, the goal `<= 0`) is said to be met, deciding at each look of
    /// 5..50 as a plan does, each look's bounds at `at`.
    fn false_meets(at: f64, trials: u32) -> f64 {
        use rand_distr::{Distribution, StandardNormal};
        let mut rng = rpasim_core::random::Streams::new(2026).stream("false meets");
        let goal = goal(true, 0.0);
        let mut met = 0u32;
        for _ in 0..trials {
            let xs: Vec<f64> = (0..50).map(|_| StandardNormal.sample(&mut rng)).collect();
            for n in looks((5, 50)) {
                let t = one_sided_t(at, n as usize);
                match estimate(&goal, &xs[..n as usize], t).verdict {
                    Verdict::Meets => {
                        met += 1;
                        break;
                    }
                    Verdict::Fails => break,
                    Verdict::Undecided => {}
                }
            }
        }
        f64::from(met) / f64::from(trials)
    }

    #[test]
    fn the_stated_confidence_holds_over_every_look() {
        // At its threshold a goal is in truth not met: a plan may say it is
        // with probability at most 1 − c, 5 %.
        let trials = 20_000;
        let tolerance = 3.0 * (0.05 * 0.95 / f64::from(trials)).sqrt();
        let split = false_meets(bound_confidence(0.95, looks((5, 50)).len()), trials);
        assert!(split <= 0.05 + tolerance, "{split}");
        // Each look's bounds at 95 %, as before: about 15 %.
        let unsplit = false_meets(0.95, trials);
        assert!(unsplit > 0.1, "{unsplit}");
    }
}
