//! `rpasim plan`: the cheapest setting that meets service-level goals, with
//! the statistical confidence said out loud.
//!
//! The search space is given as `sweep --vary` takes it (`--search`): one
//! or more dimensions, linked keys allowed. A candidate's cost is what its
//! capacity costs at the scenario's prices (`[costs]`), or, without
//! prices, the sum of its searched values. Candidates are evaluated with
//! replications and common random numbers ([`evaluate`]) and searched
//! assuming more never hurts ([`search`]). The outputs are `plan.csv`
//! (every evaluated candidate), `answer.toml` (what was asked, and the
//! `[answer]` when one was found) and `scenario.toml` (the answer applied).

pub mod evaluate;
pub mod search;
pub mod words;

use rpasim_scenario::trace::Traces;
use std::fs;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use rpasim_core::wait::{REASONS, WaitReason};
use rpasim_report::format::{fixed, percent, statistic};
use rpasim_report::goals::{Goal, Measured, human};
use rpasim_report::outdir::{Marker, OutputKind, unstaged};
use rpasim_report::summary::reason_share_column;
use rpasim_scenario::Override;

use crate::SweepError;
use crate::definition::{SweepDefinition, Vary};
use crate::grid::Grid;
use evaluate::{Evaluation, Evaluator, Verdict};

/// Every evaluated candidate.
pub const PLAN_CSV: &str = "plan.csv";
/// What was asked and the answer.
pub const ANSWER_TOML: &str = "answer.toml";
/// The scenario with the answer applied.
pub const SCENARIO_TOML: &str = "scenario.toml";

/// A plan's output directory, marked by its `answer.toml`.
pub static PLAN_OUTPUT: OutputKind = OutputKind {
    name: "plan",
    marker: Some(Marker {
        file: ANSWER_TOML,
        signed: is_answer,
    }),
    files: &[
        PLAN_CSV,
        ANSWER_TOML,
        SCENARIO_TOML,
        rpasim_report::REPORT_HTML,
    ],
    extensions: &[],
    dirs: &[(rpasim_report::CHARTS_DIR, &["png", "svg"])],
};

/// Whether `answer.toml` (its first megabyte) is one rpasim wrote. Its
/// `[plan]` comes first and alone decides: the goals after it, one entry
/// each, pass the megabyte with thousands of goals (an answer of 10,000
/// goals, 1.1 MB, was read cut short and refused as not rpasim's, so that
/// the plan could not be run again into its own output).
fn is_answer(text: &str) -> bool {
    let Some(rest) = text.strip_prefix("[plan]\n") else {
        return false;
    };
    let plan = rpasim_report::outdir::before_line(rest, "[").unwrap_or(rest);
    plan.parse::<toml::Table>()
        .is_ok_and(|p| p.contains_key("rpasim_version"))
}

/// The most confidence a plan claims. A bound is the mean plus Student's
/// t times the standard error, which holds for the replications' means
/// only as far as they are near normal: at 95 or 99 % that is the
/// customary reading, but 99.999999999 % from 20 replications (accepted
/// until 2026-12-07) claimed what no run could back.
pub const MAX_CONFIDENCE: f64 = 0.999;

/// Most replications of one candidate.
pub const MAX_REPLICATIONS: u32 = 1000;

/// What a plan is asked.
#[derive(Debug, Clone)]
pub struct PlanDefinition {
    /// The scenario file.
    pub scenario: PathBuf,
    /// What may change: keys and their values, as `--vary` takes them.
    pub search: Vec<Vary>,
    /// The goals to meet.
    pub goals: Vec<Goal>,
    /// Confidence of the decisions, e.g. 0.95.
    pub confidence: f64,
    /// Fewest and most replications of a candidate.
    pub replications: (u32, u32),
    /// Base seed of the replications (default: the scenario's).
    pub seed: Option<u64>,
    /// Fixed overrides, as for `run`.
    pub set: Vec<String>,
}

/// A plan checked and ready to run: nothing is written before this.
#[derive(Debug, Clone)]
pub struct Prepared {
    text: String,
    /// The scenario's trace files, read once for every candidate.
    traces: std::sync::Arc<Traces>,
    grid: Grid,
    /// Each candidate's overrides (fixed ones first).
    overrides: Vec<Vec<Override>>,
    /// Each candidate's cost.
    pub costs: Vec<f64>,
    /// Each candidate's position in each dimension's values.
    positions: Vec<Vec<usize>>,
    base_seed: u64,
    /// The scenario's name.
    name: String,
    /// The question the scenario answers, if it says.
    question: Option<String>,
}

/// A plan's result.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The searched keys and candidates.
    pub grid: Grid,
    /// Each candidate's cost.
    pub costs: Vec<f64>,
    /// The goals.
    pub goals: Vec<Goal>,
    /// The candidates evaluated, in the order they were.
    pub evaluations: Vec<Evaluation>,
    /// The cheapest candidate that meets every goal.
    pub answer: Option<usize>,
    /// Pairs (meets, fails) that contradict the assumption that more never
    /// hurts.
    pub violations: Vec<(usize, usize)>,
    /// Confidence of the decisions, over all the looks at a candidate.
    pub confidence: f64,
    /// The numbers of replications after which a candidate's goals are
    /// looked at ([`evaluate::looks`]).
    pub looks: Vec<u32>,
    /// The scenario's name (`[simulation] name`, else its file's stem).
    pub name: String,
    /// The question the scenario answers, if it says.
    pub question: Option<String>,
}

impl Plan {
    /// Confidence of each bound: [`confidence`](Self::confidence) split
    /// among the looks ([`evaluate::bound_confidence`]).
    pub fn bound_confidence(&self) -> f64 {
        evaluate::bound_confidence(self.confidence, self.looks.len())
    }

    /// Simulations made (replications over all candidates).
    pub fn runs(&self) -> u64 {
        self.evaluations
            .iter()
            .map(|e| u64::from(e.replications))
            .sum()
    }

    /// The evaluation of a candidate, if it was evaluated.
    pub fn evaluation(&self, variant: usize) -> Option<&Evaluation> {
        self.evaluations.iter().find(|e| e.variant == variant)
    }

    /// The goals that decide a candidate, in goal order: every goal up to
    /// `most`; beyond, the `most` it does not meet first, then those it
    /// meets by the narrowest margin (its confidence bound nearest the
    /// goal's, relative to it). With 10,000 goals, a sentence or a chart
    /// for each says nothing.
    pub fn decisive_goals(&self, variant: usize, most: usize) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.goals.len()).collect();
        if let Some(e) = self.evaluation(variant).filter(|_| order.len() > most) {
            let key = |g: usize| {
                let (goal, estimate) = (&self.goals[g], &e.goals[g]);
                if estimate.verdict != Verdict::Meets {
                    return (false, 0.0);
                }
                let margin = (goal.bound - estimate.bound).abs() / goal.bound.abs().max(1e-9);
                (
                    true,
                    if margin.is_nan() {
                        f64::INFINITY
                    } else {
                        margin
                    },
                )
            };
            order.sort_by(|a, b| {
                let (ka, kb) = (key(*a), key(*b));
                ka.0.cmp(&kb.0).then(ka.1.total_cmp(&kb.1)).then(a.cmp(b))
            });
        }
        order.truncate(most);
        order.sort_unstable();
        order
    }

    /// A candidate's values as `key = value` pairs.
    pub fn describe(&self, variant: usize) -> String {
        self.grid
            .keys
            .iter()
            .zip(&self.grid.variants[variant])
            .map(|(k, v)| format!("{k} = {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn invalid(m: impl Into<String>) -> SweepError {
    SweepError::Invalid(m.into())
}

/// Metrics that more capacity makes larger: runs done, and what the
/// capacity costs.
const RAISED_BY_CAPACITY: [&str; 6] = [
    "succeeded",
    "started",
    "started_share",
    "bot_hours",
    "busy_bot_hours",
    "cost",
];

/// Metrics that more capacity makes smaller: waits, runs turned away or
/// left waiting, queues, and how busy the bots are.
const LOWERED_BY_CAPACITY: [&str; 16] = [
    "wait_mean_s",
    "wait_p50_s",
    "wait_p95_s",
    "wait_p99_s",
    "wait_max_s",
    "start_p50_s",
    "start_p95_s",
    "start_p99_s",
    "queue_full",
    "queue_timeout",
    "in_flight",
    "not_started",
    "queue_mean",
    "wait_hours",
    "waited_share",
    "utilization",
];

/// Why `goal` cannot be searched for, if it cannot: the search assumes
/// that more capacity never hurts, tries the most capacity first and
/// stops there when it fails. A goal that more capacity makes harder to
/// meet (`bot_hours <= 900`, `utilization >= 60%`), or one on a metric
/// capacity moves either way (`cold_starts` rise with a hosted group's
/// `max_bots` and fall with its committed bots), would have it say that
/// nothing meets while a cheaper setting does.
fn against_capacity(goal: &Goal) -> Option<String> {
    let metric = goal.metric.as_str();
    let (raised, lowered) = (
        RAISED_BY_CAPACITY.contains(&metric),
        LOWERED_BY_CAPACITY.contains(&metric),
    );
    // Bounded on the side capacity helps: searchable.
    if (raised && !goal.at_most) || (lowered && goal.at_most) {
        return None;
    }
    let assumption = "plan assumes that more never hurts (it tries the most capacity first, and \
                      would say that nothing meets where a cheaper setting does)";
    let compare = format!(
        "compare the answer's {metric} with {} (run its scenario.toml)",
        goal.written
    );
    let goal = goal.describe();
    Some(match (raised, lowered) {
        (false, false) => format!(
            "goal {goal}: plan cannot tell which way more capacity moves {metric}, and \
             {assumption}. Give it goals on waits, starts, queues, rejections, runs started or \
             utilization ({}), then {compare}, or sweep the keys to see how {metric} moves",
            searchable_metrics()
        ),
        _ => {
            let (effect, none_better) = match raised {
                true => ("raises", "lower"),
                false => ("lowers", "a higher"),
            };
            format!(
                "goal {goal}: more capacity {effect} {metric}, so the more the search adds the \
                 harder this goal is to meet, and {assumption}. Leave it out and {compare}: the \
                 answer is the cheapest setting that meets the other goals, so with one searched \
                 key none of those has {none_better} {metric}"
            )
        }
    })
}

/// The goals plan can search for, for messages: `metric<=` for those more
/// capacity lowers, `metric>=` for those it raises.
fn searchable_metrics() -> String {
    let at_most = LOWERED_BY_CAPACITY.iter().map(|m| format!("{m}<="));
    let at_least = RAISED_BY_CAPACITY.iter().map(|m| format!("{m}>="));
    at_most.chain(at_least).collect::<Vec<_>>().join(", ")
}

/// Checks a plan: goals, confidence, replications, and every candidate's
/// scenario (a bad value fails before anything runs or is written).
pub fn prepare(def: &PlanDefinition) -> Result<Prepared, SweepError> {
    if def.goals.is_empty() {
        return Err(invalid(
            "no goal: give --goal NAME.METRIC<=VALUE, or [[goals]] in the scenario",
        ));
    }
    if def.search.is_empty() {
        return Err(invalid(
            "nothing to search: give --search KEY=VALUES, e.g. machines.vm-01.bots=1..10",
        ));
    }
    // One candidate (a goal's verdict with confidence) is not searched:
    // any goal can be judged.
    let searched = def.search.iter().any(|v| v.values.len() > 1);
    if searched && let Some(problem) = def.goals.iter().find_map(against_capacity) {
        return Err(invalid(problem));
    }
    if !(def.confidence > 0.5 && def.confidence <= MAX_CONFIDENCE) {
        return Err(invalid(format!(
            "--confidence must be above 0.5 and at most {MAX_CONFIDENCE}, e.g. 0.95; got {}{}",
            def.confidence,
            match def.confidence > MAX_CONFIDENCE && def.confidence < 1.0 {
                true =>
                    " (beyond it, a bound from a few replications would rest on far tails \
                         of Student's t, which the replications' values, a p95 each, do not \
                         follow)",
                false => "",
            }
        )));
    }
    let (min, max) = def.replications;
    if min < 2 || max < min || max > MAX_REPLICATIONS {
        return Err(invalid(format!(
            "--replications MIN..MAX needs 2 <= MIN <= MAX <= {MAX_REPLICATIONS}; got {min}..{max}"
        )));
    }
    let sweep = SweepDefinition {
        scenario: def.scenario.clone(),
        vary: def.search.clone(),
        replications: 1,
        seed: def.seed,
        set: def.set.clone(),
        metrics: Vec::new(),
    };
    sweep.check().map_err(|e| {
        let message = e.0.replace("vary ", "search ");
        let message = message.replace("variants; a sweep may have", "candidates; a plan may have");
        invalid(format!("{}: {message}", def.scenario.display()))
    })?;
    let traces = Traces::default();
    let (manifest, text, base) = crate::runner::manifest(&sweep, &traces)?;
    let grid = manifest.grid();
    let (overrides, priced) = candidate_overrides(def, &grid, &text, &traces)?;
    // With prices, the cost of the capacity; else the sum of the values.
    let costs = match priced.into_iter().collect::<Option<Vec<f64>>>() {
        Some(costs) => costs,
        None => summed_costs(&grid)?,
    };
    Ok(Prepared {
        positions: positions(&def.search, grid.variants.len()),
        text,
        traces: std::sync::Arc::new(traces),
        grid,
        overrides,
        costs,
        base_seed: manifest.base_seed,
        name: base.name,
        question: base.question,
    })
}

/// Without prices: the sum of each candidate's searched values.
fn summed_costs(grid: &Grid) -> Result<Vec<f64>, SweepError> {
    grid.variants
        .iter()
        .map(|values| {
            values
                .iter()
                .map(|v| {
                    v.parse::<f64>()
                        .ok()
                        .filter(|x| x.is_finite())
                        .ok_or_else(|| {
                            invalid(format!(
                                "--search value {v:?} is not a number: the cost of a candidate \
                                 is the sum of its searched values"
                            ))
                        })
                })
                .sum::<Result<f64, _>>()
        })
        .collect()
}

/// Every candidate's overrides, each checked once (in parallel), with the
/// cost of its capacity when the scenario has prices (`[costs]`).
#[allow(clippy::type_complexity)]
fn candidate_overrides(
    def: &PlanDefinition,
    grid: &Grid,
    text: &str,
    traces: &Traces,
) -> Result<(Vec<Vec<Override>>, Vec<Option<f64>>), SweepError> {
    let parse = |list: &[String]| -> Result<Vec<Override>, SweepError> {
        list.iter()
            .map(|o| o.parse::<Override>().map_err(SweepError::Invalid))
            .collect()
    };
    (0..grid.variants.len())
        .into_par_iter()
        .map(|v| {
            let mut list = parse(&def.set)?;
            list.extend(parse(&grid.overrides(v))?);
            let scenario = rpasim_scenario::parse_sharing(text, &def.scenario, &list, traces)
                .map_err(|e| {
                    invalid(format!(
                        "candidate {} ({}): {e}",
                        v,
                        grid.overrides(v).join(", ")
                    ))
                })?;
            let spec = &scenario.spec;
            let cost = spec.prices.map(|p| rpasim_core::cost::cost(spec, &p).all);
            Ok((list, cost))
        })
        .collect::<Result<Vec<_>, SweepError>>()
        .map(|all| all.into_iter().unzip())
}

/// Each candidate's position in each dimension's values (the grid varies
/// the first dimension slowest).
fn positions(search: &[Vary], variants: usize) -> Vec<Vec<usize>> {
    (0..variants)
        .map(|mut v| {
            let mut at = vec![0; search.len()];
            for (d, dim) in search.iter().enumerate().rev() {
                let n = dim.values.len().max(1);
                at[d] = v % n;
                v /= n;
            }
            at
        })
        .collect()
}

/// The candidates one step up from `candidate` in one dimension.
fn neighbours_above(positions: &[Vec<usize>], search: &[Vary], candidate: usize) -> Vec<usize> {
    let at = &positions[candidate];
    let mut stride = 1;
    let mut up = Vec::new();
    for (d, dim) in search.iter().enumerate().rev() {
        if at[d] + 1 < dim.values.len() {
            up.push(candidate + stride);
        }
        stride *= dim.values.len().max(1);
    }
    up.sort_unstable();
    up
}

/// The candidates along the dimension with the most values (the first of
/// them on a tie) through `candidate`, the others held where it has them.
fn longest_line(positions: &[Vec<usize>], search: &[Vary], candidate: usize) -> Vec<usize> {
    let sizes: Vec<usize> = search.iter().map(|d| d.values.len().max(1)).collect();
    let Some(longest) = (0..sizes.len()).max_by_key(|&d| (sizes[d], std::cmp::Reverse(d))) else {
        return vec![candidate];
    };
    // The grid varies the last dimension fastest.
    let stride: usize = sizes[longest + 1..].iter().product();
    let first = candidate - positions[candidate][longest] * stride;
    (0..sizes[longest]).map(|i| first + i * stride).collect()
}

/// Runs the plan on the current rayon pool, calling `tick` with the
/// candidates evaluated and the runs made after each evaluation;
/// [`SweepError::Stopped`] if `stop` is requested before it finishes.
pub fn run(
    def: &PlanDefinition,
    prepared: &Prepared,
    tick: &(dyn Fn(usize, u64) + Sync),
    stop: &crate::Stop,
) -> Result<Plan, SweepError> {
    let evaluator = Evaluator {
        text: &prepared.text,
        path: &def.scenario,
        traces: &prepared.traces,
        goals: &def.goals,
        confidence: def.confidence,
        replications: def.replications,
        seed: prepared.base_seed,
        stop,
    };
    let mut evaluations: Vec<Evaluation> = Vec::new();
    let mut eval = |candidate: usize| -> Result<Verdict, SweepError> {
        stop.check()?;
        let e = evaluator.evaluate(candidate, &prepared.overrides[candidate])?;
        let verdict = e.verdict;
        evaluations.push(e);
        let runs = evaluations.iter().map(|e| u64::from(e.replications)).sum();
        tick(evaluations.len(), runs);
        Ok(verdict)
    };
    let mut order: Vec<usize> = (0..prepared.costs.len()).collect();
    order.sort_by(|a, b| {
        prepared.costs[*a]
            .total_cmp(&prepared.costs[*b])
            .then(a.cmp(b))
    });
    let found = if def.search.len() == 1 {
        search::one_dimension(&order, &mut eval)?
    } else {
        let covers = |a: usize, b: usize| {
            prepared.positions[a]
                .iter()
                .zip(&prepared.positions[b])
                .all(|(x, y)| x <= y)
        };
        let above = |c: usize| neighbours_above(&prepared.positions, &def.search, c);
        let line = |c: usize| longest_line(&prepared.positions, &def.search, c);
        let shape = search::Shape {
            covers: &covers,
            above: &above,
            line: &line,
        };
        search::grid(&order, &shape, &mut eval)?
    };
    Ok(Plan {
        grid: prepared.grid.clone(),
        costs: prepared.costs.clone(),
        goals: def.goals.clone(),
        evaluations,
        answer: found.answer,
        violations: found.violations,
        confidence: def.confidence,
        looks: evaluate::looks(def.replications),
        name: prepared.name.clone(),
        question: prepared.question.clone(),
    })
}

/// A goal's column prefix in `plan.csv`: `finance.start_p95_s`.
fn goal_column(g: &Goal) -> String {
    format!("{}.{}", g.name, g.metric)
}

/// Writes `plan.csv`: one row per evaluated candidate, in the order they
/// were evaluated.
pub fn write_plan_csv(plan: &Plan, path: &Path) -> Result<(), SweepError> {
    let fail = |e: csv::Error| SweepError::Failed(format!("{}: {e}", path.display()));
    let mut w = csv::Writer::from_path(path).map_err(fail)?;
    let mut header = vec!["evaluated".to_string()];
    header.extend(plan.grid.keys.iter().cloned());
    header.push("replications".into());
    for g in &plan.goals {
        let c = goal_column(g);
        header.extend([
            format!("{c}_mean"),
            format!("{c}_bound"),
            format!("{c}_met"),
        ]);
    }
    header.extend(["cost".to_string(), "verdict".into()]);
    // Where the waiting went, per goal: `finance.wait_capacity_share`.
    for g in &plan.goals {
        header.extend(WaitReason::ALL.map(|r| format!("{}.{}", g.name, reason_share_column(r))));
    }
    w.write_record(&header).map_err(fail)?;
    for (i, e) in plan.evaluations.iter().enumerate() {
        let mut row = vec![(i + 1).to_string()];
        row.extend(plan.grid.variants[e.variant].iter().cloned());
        row.push(e.replications.to_string());
        for g in &e.goals {
            row.extend([
                statistic(g.mean),
                statistic(g.decisive()),
                g.verdict
                    .as_str()
                    .replace("meets", "yes")
                    .replace("fails", "no"),
            ]);
        }
        row.extend([
            format!("{}", plan.costs[e.variant]),
            e.verdict.as_str().into(),
        ]);
        for shares in &e.waits {
            match shares {
                Some(s) => row.extend(s.iter().map(|x| fixed(*x, 6))),
                None => row.extend(std::iter::repeat_n(String::new(), REASONS)),
            }
        }
        w.write_record(&row).map_err(fail)?;
    }
    w.flush().map_err(|e| SweepError::io(path, e))
}

/// A searched value as TOML: an integer, a float, or a string.
fn toml_value(text: &str) -> toml::Value {
    if let Ok(i) = text.parse::<i64>() {
        toml::Value::Integer(i)
    } else if let Ok(x) = text.parse::<f64>() {
        toml::Value::Float(x)
    } else {
        toml::Value::String(text.to_string())
    }
}

/// `answer.toml`: `[plan]` (what was asked), `[answer]` (each searched key
/// to its chosen value; absent when nothing meets) and the goals with the
/// chosen candidate's estimates.
pub fn answer_toml(plan: &Plan, scenario: &Path) -> String {
    // Written table by table, so that `[plan]` comes first.
    let mut p = toml::Table::new();
    p.insert(
        "rpasim_version".into(),
        env!("CARGO_PKG_VERSION").to_string().into(),
    );
    p.insert("scenario".into(), scenario.display().to_string().into());
    p.insert("confidence".into(), plan.confidence.into());
    p.insert("bound_confidence".into(), plan.bound_confidence().into());
    p.insert(
        "looks".into(),
        plan.looks
            .iter()
            .map(|&n| toml::Value::from(i64::from(n)))
            .collect::<Vec<_>>()
            .into(),
    );
    p.insert("evaluated".into(), (plan.evaluations.len() as i64).into());
    p.insert("simulations".into(), (plan.runs() as i64).into());
    p.insert(
        "monotone".into(),
        toml::Value::Boolean(plan.violations.is_empty()),
    );
    let mut out = String::new();
    let mut section = |name: &str, value: toml::Value| {
        let mut t = toml::Table::new();
        t.insert(name.into(), value);
        out.push_str(&toml::to_string(&t).unwrap_or_default());
        out.push('\n');
    };
    section("plan", p.into());
    if let Some(a) = plan.answer {
        let answer: toml::Table = plan
            .grid
            .keys
            .iter()
            .zip(&plan.grid.variants[a])
            .map(|(k, v)| (k.clone(), toml_value(v)))
            .collect();
        section("answer", answer.into());
        if let Some(e) = plan.evaluation(a) {
            let goals: Vec<toml::Value> = plan
                .goals
                .iter()
                .zip(&e.goals)
                .map(|(g, est)| {
                    let mut t = toml::Table::new();
                    t.insert("goal".into(), g.describe().into());
                    t.insert("mean".into(), est.mean.into());
                    t.insert("bound".into(), est.bound.into());
                    t.insert("replications".into(), i64::from(e.replications).into());
                    t.into()
                })
                .collect();
            section("goals", goals.into());
        }
    }
    out
}

/// One chart per goal in `dir/charts`: its metric for every evaluated
/// candidate against the searched value (one dimension) or the cost
/// (several), with the threshold, the decisive confidence bound and the
/// verdict.
/// Returns the goals drawn, each with its chart's file stem.
fn charts(plan: &Plan, dir: &Path) -> Result<Vec<(usize, String)>, SweepError> {
    // One dimension (its keys linked or not): against its first key.
    let one_numeric_key = plan.grid.dimensions.len() == 1
        && plan
            .grid
            .variants
            .iter()
            .all(|v| v[0].parse::<f64>().is_ok_and(f64::is_finite));
    let x = |variant: usize| {
        if one_numeric_key {
            plan.grid.variants[variant][0].parse().unwrap_or(0.0)
        } else {
            plan.costs[variant]
        }
    };
    let x_desc = if one_numeric_key {
        match &plan.grid.keys[..] {
            [first, linked @ ..] if !linked.is_empty() => {
                format!("{first} (with {})", linked.join(", "))
            }
            keys => keys[0].clone(),
        }
    } else {
        "cost".to_string()
    };
    // Beyond MOST_GOAL_CHARTS goals, those that decide the answer (or the
    // dearest candidate evaluated, when none meets).
    let decided = plan.answer.or_else(|| {
        let dearest = plan
            .evaluations
            .iter()
            .max_by(|a, b| plan.costs[a.variant].total_cmp(&plan.costs[b.variant]));
        dearest.map(|e| e.variant)
    });
    let mut drawn = Vec::new();
    for g in plan.decisive_goals(decided.unwrap_or(0), MOST_GOAL_CHARTS) {
        let goal = &plan.goals[g];
        let chart = rpasim_charts::plan::PlanChart {
            title: format!(
                "{}: mean and {} % bound per candidate",
                goal.describe(),
                percent(plan.bound_confidence())
            ),
            x_desc: x_desc.clone(),
            y_desc: goal.metric.clone(),
            threshold: goal.bound,
            points: plan
                .evaluations
                .iter()
                .map(|e| rpasim_charts::plan::PlanPoint {
                    x: x(e.variant),
                    mean: e.goals[g].mean,
                    bound: e.goals[g].decisive(),
                    verdict: e.verdict.as_str().to_string(),
                })
                .collect(),
        };
        let stem = goal_column(goal).replace(['.', '/', '\\'], "_");
        rpasim_charts::plan::plan_chart(&dir.join(rpasim_charts::CHARTS_DIR), &stem, &chart)
            .map_err(|e| SweepError::io(dir, e))?;
        drawn.push((g, stem));
    }
    Ok(drawn)
}

/// `report.html`: the answer in words, the goals' charts (`drawn`, as
/// [`charts`] returns them, read back from their SVG files) and a row per
/// candidate evaluated with the drawn goals' estimates.
fn report(
    plan: &Plan,
    def: &PlanDefinition,
    dir: &Path,
    drawn: &[(usize, String)],
) -> Result<(), SweepError> {
    let titled = drawn
        .iter()
        .map(|(g, stem)| (plan.goals[*g].describe(), stem.clone()));
    let charts = crate::chart_svgs(dir, titled)?;
    let goals: Vec<usize> = drawn.iter().map(|(g, _)| *g).collect();
    let (header, rows, answer_row) = candidate_table(plan, &goals);
    let table_note = (goals.len() < plan.goals.len()).then(|| {
        format!(
            "The {} of {} goals that decide the answer; plan.csv has every goal.",
            goals.len(),
            plan.goals.len()
        )
    });
    let (answer, below) = words::sentence_parts(plan);
    let page = rpasim_charts::plan::PlanPage {
        name: plan.name.clone(),
        question: plan.question.clone(),
        scenario: def.scenario.display().to_string(),
        answer,
        below,
        found: plan.answer.is_some(),
        details: words::details(plan),
        // Where it will be once the output is in place.
        answer_scenario: plan
            .answer
            .map(|_| unstaged(&dir.join(SCENARIO_TOML)).display().to_string()),
        header,
        numbers_from: plan.grid.keys.len(),
        rows,
        answer_row,
        table_note,
        charts,
    };
    let path = dir.join(rpasim_report::REPORT_HTML);
    fs::write(&path, rpasim_charts::plan::plan_html(&page)).map_err(|e| SweepError::io(&path, e))
}

/// The candidates evaluated as a table in human units, cheapest first:
/// the header, the rows (the searched values, the replications, each of
/// `goals`' mean and decisive bound, the cost, the verdict) and the row
/// of the answer.
fn candidate_table(plan: &Plan, goals: &[usize]) -> (Vec<String>, Vec<Vec<String>>, Option<usize>) {
    let bound = format!("{} % bound", percent(plan.bound_confidence()));
    let mut header = plan.grid.keys.clone();
    header.push("replications".into());
    for g in goals {
        let goal = plan.goals[*g].describe();
        header.extend([format!("{goal}: mean"), format!("{goal}: {bound}")]);
    }
    header.extend(["cost".to_string(), "verdict".into()]);
    let value = |g: &Goal, x: f64| match x.is_finite() {
        true => human(&g.metric, Measured::Value(x)),
        false => human(&g.metric, Measured::Never),
    };
    let mut order: Vec<&Evaluation> = plan.evaluations.iter().collect();
    order.sort_by(|a, b| plan.costs[a.variant].total_cmp(&plan.costs[b.variant]));
    let rows = order
        .iter()
        .map(|e| {
            let mut row = plan.grid.variants[e.variant].clone();
            row.push(e.replications.to_string());
            for g in goals {
                let (goal, estimate) = (&plan.goals[*g], &e.goals[*g]);
                row.extend([value(goal, estimate.mean), value(goal, estimate.decisive())]);
            }
            row.extend([cost(plan.costs[e.variant]), e.verdict.as_str().into()]);
            row
        })
        .collect();
    let answer_row = order.iter().position(|e| Some(e.variant) == plan.answer);
    (header, rows, answer_row)
}

/// A cost as people read it: whole numbers as they are, others to the
/// cent (a sum of prices may carry a binary rounding: 0.30000000000000004).
fn cost(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{x:.0}")
    } else {
        format!("{x:.2}")
    }
}

/// Most goals a plan draws a chart of.
pub const MOST_GOAL_CHARTS: usize = 15;

/// Writes the plan's files into `dir`: `plan.csv`, `answer.toml`, a chart
/// per goal (at most [`MOST_GOAL_CHARTS`], those that decide the answer),
/// and, when an answer was found, `scenario.toml` with it applied.
pub fn write(plan: &Plan, def: &PlanDefinition, dir: &Path) -> Result<(), SweepError> {
    write_plan_csv(plan, &dir.join(PLAN_CSV))?;
    let drawn = charts(plan, dir)?;
    report(plan, def, dir, &drawn)?;
    let answer = dir.join(ANSWER_TOML);
    fs::write(&answer, answer_toml(plan, &def.scenario)).map_err(|e| SweepError::io(&answer, e))?;
    if let Some(a) = plan.answer {
        let text = rpasim_scenario::input::read_text(
            &def.scenario,
            "the scenario",
            rpasim_scenario::input::MAX_SCENARIO_BYTES,
        )
        .map_err(invalid)?;
        let mut list: Vec<Override> = def
            .set
            .iter()
            .map(|o| o.parse::<Override>().map_err(SweepError::Invalid))
            .collect::<Result<_, _>>()?;
        list.extend(
            plan.grid
                .overrides(a)
                .iter()
                .map(|o| o.parse::<Override>().map_err(SweepError::Invalid))
                .collect::<Result<Vec<_>, _>>()?,
        );
        let applied = rpasim_scenario::overrides::apply(&text, &def.scenario, &list)
            .map_err(|e| SweepError::Failed(e.to_string()))?;
        let path = dir.join(SCENARIO_TOML);
        fs::write(&path, applied).map_err(|e| SweepError::io(&path, e))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn costs_read_as_whole_numbers_or_to_the_cent() {
        assert_eq!(cost(18.0), "18");
        assert_eq!(cost(0.1 + 0.2), "0.30");
        assert_eq!(cost(1234.5), "1234.50");
    }

    #[test]
    fn goals_the_search_cannot_assume_capacity_helps_are_told() {
        let goal = |metric: &str, at_most: bool| Goal {
            name: "all".into(),
            metric: metric.into(),
            bound: 1.0,
            at_most,
            written: "1".into(),
        };
        for (metric, at_most) in [
            ("bot_hours", true),
            ("cost", true),
            ("utilization", false),
            ("start_p95_s", false),
            ("started_share", true),
        ] {
            let told = against_capacity(&goal(metric, at_most));
            assert!(told.is_some_and(|m| m.contains(metric)), "{metric}");
        }
        // No known direction: capacity may move them either way.
        for (metric, at_most) in [
            ("failed", true),
            ("cold_starts", true),
            ("cold_starts", false),
            ("wait_busy_share", false),
            ("arrivals", true),
        ] {
            let told = against_capacity(&goal(metric, at_most)).expect(metric);
            assert!(told.contains("cannot tell which way"), "{told}");
            assert!(told.contains("start_p95_s<=, "), "{told}");
        }
        for (metric, at_most) in [
            ("start_p95_s", true),
            ("wait_p95_s", true),
            ("queue_full", true),
            ("utilization", true),
            ("started_share", false),
            ("succeeded", false),
            ("bot_hours", false),
        ] {
            assert_eq!(against_capacity(&goal(metric, at_most)), None, "{metric}");
        }
        // Every metric named is one of summary.csv's.
        let columns = rpasim_report::goals::metrics();
        for metric in RAISED_BY_CAPACITY.iter().chain(&LOWERED_BY_CAPACITY) {
            assert!(columns.contains(metric), "{metric}");
        }
    }

    #[test]
    fn an_answer_of_many_goals_is_recognised_from_its_plan_table() {
        let plan = "[plan]\nconfidence = 0.95\nrpasim_version = \"0.1.0\"\n\n";
        let goal = "[[goals]]\nbound = 1.0\ngoal = \"vm00001.wait_p95_s <= 12h\"\nmean = 0.5\n\n";
        let long = format!(
            "{plan}[answer]\n\"machines.a.bots\" = 2\n\n{}",
            goal.repeat(30_000)
        );
        assert!(long.len() > 1 << 20, "beyond the megabyte read");
        let root = tempfile::tempdir().expect("temp dir");
        let dir = root.path().join("p");
        fs::create_dir(&dir).expect("mkdir");
        fs::write(dir.join(ANSWER_TOML), &long).expect("write");
        let inspected = rpasim_report::outdir::inspect(&dir, &PLAN_OUTPUT);
        assert_eq!(
            inspected.expect("recognised"),
            rpasim_report::outdir::Contents::Ours
        );
        // Cut anywhere after its plan table, and without an answer.
        assert!(is_answer(&long[..plan.len() + 1000]));
        assert!(is_answer(plan));
        // Not ours: no signature in the plan table, or no plan table first.
        assert!(!is_answer(&long.replace("rpasim_version", "version")));
        assert!(!is_answer(&format!("x = 1\n{long}")));
        let signed_later = "[plan]\nconfidence = 0.95\n\n[other]\nrpasim_version = \"0\"\n";
        assert!(!is_answer(signed_later));
    }

    #[test]
    fn positions_follow_the_grid_order() {
        let search = vec![
            Vary {
                key: "a".into(),
                values: vec!["1".into(), "2".into()],
            },
            Vary {
                key: "b".into(),
                values: vec!["5".into(), "6".into(), "7".into()],
            },
        ];
        // Variants: (1,5) (1,6) (1,7) (2,5) (2,6) (2,7).
        assert_eq!(positions(&search, 6)[4], vec![1, 1]);
        assert_eq!(positions(&search, 6)[2], vec![0, 2]);
        let p = positions(&search, 6);
        assert_eq!(neighbours_above(&p, &search, 1), vec![2, 4]);
        assert_eq!(neighbours_above(&p, &search, 5), Vec::<usize>::new());
    }

    #[test]
    fn searched_values_keep_their_type_in_the_answer() {
        assert_eq!(toml_value("28"), toml::Value::Integer(28));
        assert_eq!(toml_value("0.5"), toml::Value::Float(0.5));
        assert_eq!(toml_value("random"), toml::Value::String("random".into()));
    }

    /// A plan asked to stop after its first candidate evaluates no other.
    #[test]
    fn a_stopped_plan_evaluates_no_more_candidates() {
        let dir = tempfile::tempdir().expect("temp dir");
        let scenario = crate::test_support::one_machine_scenario(dir.path(), "10d", 12.0);
        let def = PlanDefinition {
            scenario,
            search: vec![Vary {
                key: "machines.a.bots".into(),
                values: (1..=10).map(|b| b.to_string()).collect(),
            }],
            goals: vec![Goal {
                name: "all".into(),
                metric: "wait_mean_s".into(),
                bound: 600.0,
                at_most: true,
                written: "10m".into(),
            }],
            confidence: 0.95,
            replications: (2, 16),
            seed: None,
            set: Vec::new(),
        };
        let prepared = prepare(&def).expect("a valid plan");
        // The plan, stopped after `after` candidates if given, and how
        // many candidates it evaluated.
        let evaluated = |after: Option<usize>| {
            let flag = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
            let seen = std::sync::atomic::AtomicUsize::new(0);
            let tick = |n: usize, _| {
                seen.store(n, std::sync::atomic::Ordering::Relaxed);
                if after.is_some_and(|a| n >= a) {
                    flag.store(true, std::sync::atomic::Ordering::Relaxed);
                }
            };
            let stop = crate::Stop::when(std::sync::Arc::clone(&flag));
            let plan = run(&def, &prepared, &tick, &stop);
            (plan.map(|p| p.answer), seen.into_inner())
        };
        // 4 erlangs: Erlang C's mean wait is 11 minutes on 5 bots and 2.8
        // on 6.
        let (answer, all) = evaluated(None);
        assert_eq!(answer, Ok(Some(5)), "6 bots, the sixth value");
        assert!(all >= 3, "{all} candidates");
        assert_eq!(evaluated(Some(1)), (Err(SweepError::Stopped), 1));
    }
}
