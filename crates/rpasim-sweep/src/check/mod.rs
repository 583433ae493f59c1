//! Regression checks: a run's `summary.csv` (or a sweep's
//! `sweep-summary.csv`) against a baseline, metric by metric.
//!
//! Each metric has a direction: waits, timeouts, rejections, failures and
//! cost are worse when higher; successes and the started share when lower;
//! the rest (arrivals, utilization...) are neutral and checked only when
//! given a tolerance, in both directions. A difference is a regression when
//! it is in the bad direction and beyond the tolerance; for sweep summaries
//! (replications), it must also be statistically significant by Welch's
//! two-sided t-test at 5 % on the replication means.
//!
//! A check cannot pass by accident: every value is validated
//! ([`summary`]), both sides must have the same targets (or variants) and
//! metrics, and a value that is gone (an empty cell: no run started) or
//! infinite (runs never started) where the baseline had a number is worse.

pub mod summary;

use std::fmt::Write as _;
use std::path::Path;

use rpasim_stats::welch_p_value;

use crate::SweepError;
use crate::grid::short_key;
use summary::{Kind, SummaryFile, Value};

/// Significance level of the t-test for sweep summaries.
pub const SIGNIFICANCE: f64 = 0.05;

/// Metrics checked, at 5 %, when no tolerance is given.
pub const DEFAULT_METRICS: [&str; 13] = [
    "succeeded",
    "failed",
    "queue_full",
    "queue_timeout",
    "run_timeout",
    "machine_lost",
    "wait_mean_s",
    "wait_p95_s",
    "wait_p99_s",
    "start_p95_s",
    "started_share",
    "bot_hours",
    "cold_starts",
];

/// Which way a metric gets worse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Higher is worse (waits, failures, cost).
    LowerIsBetter,
    /// Lower is worse (successes).
    HigherIsBetter,
    /// Either way is a change to look at.
    Neutral,
}

/// The direction of a `summary.csv` metric.
pub fn direction(metric: &str) -> Direction {
    match metric {
        "succeeded" | "started" | "started_share" => Direction::HigherIsBetter,
        "arrivals" | "utilization" | "busy_bot_hours" => Direction::Neutral,
        // Where the waiting went shifts; how much is waited is `wait_hours`.
        m if is_reason_share(m) => Direction::Neutral,
        _ => Direction::LowerIsBetter,
    }
}

/// Whether a metric is a wait reason's share (`wait_busy_share`).
fn is_reason_share(metric: &str) -> bool {
    rpasim_core::wait::WaitReason::ALL
        .iter()
        .any(|r| rpasim_report::summary::reason_share_column(*r) == metric)
}

/// How much a metric may move: relative (`5%`) or absolute (`3`).
#[derive(Debug, Clone, PartialEq)]
pub struct Tolerance {
    /// The metric.
    pub metric: String,
    /// Allowed change as a fraction of the baseline.
    pub relative: f64,
    /// Allowed change in the metric's unit.
    pub absolute: f64,
}

impl std::str::FromStr for Tolerance {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let (metric, amount) = s.split_once('=').ok_or_else(|| {
            format!(
                "--tolerance expects METRIC=AMOUNT, e.g. wait_p95_s=5% or queue_full=3; got {s:?}"
            )
        })?;
        let bad =
            || format!("--tolerance {metric}: {amount:?} is not a percentage (5%) or a number (3)");
        let (relative, absolute) = match amount.trim().strip_suffix('%') {
            Some(p) => (p.trim().parse::<f64>().map_err(|_| bad())? / 100.0, 0.0),
            None => (0.0, amount.trim().parse::<f64>().map_err(|_| bad())?),
        };
        if relative < 0.0 || absolute < 0.0 || !relative.is_finite() || !absolute.is_finite() {
            return Err(bad());
        }
        let metric = metric.trim();
        if metric.is_empty() {
            return Err(format!("--tolerance {s:?}: no metric named"));
        }
        Ok(Tolerance {
            metric: metric.to_string(),
            relative,
            absolute,
        })
    }
}

impl Tolerance {
    /// A relative tolerance.
    pub fn percent(metric: &str, percent: f64) -> Self {
        Tolerance {
            metric: metric.to_string(),
            relative: percent / 100.0,
            absolute: 0.0,
        }
    }

    fn allowed(&self, baseline: f64) -> f64 {
        (self.relative * baseline.abs()).max(self.absolute)
    }

    fn describe(&self) -> String {
        match (self.relative > 0.0, self.absolute > 0.0) {
            (true, _) => format!("{}%", self.relative * 100.0),
            (false, true) => format!("{}", self.absolute),
            _ => "0".into(),
        }
    }
}

/// The verdict on one metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Within tolerance (or better beyond it, but not significantly).
    Ok,
    /// Better than the baseline beyond the tolerance.
    Better,
    /// Worse beyond the tolerance, but not significantly: the
    /// replications cannot tell it from noise. It does not fail the check,
    /// and is not called "ok" either (a run's lost bot, 5 times the waits
    /// with 2 replications, was).
    Unclear,
    /// Worse beyond the tolerance (and significant).
    Worse,
}

/// One metric of one row compared.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// The target, or the variant's varied values.
    pub row: String,
    /// The metric.
    pub metric: String,
    /// Baseline value (mean for sweeps).
    pub baseline: Value,
    /// Current value.
    pub current: Value,
    /// The tolerance applied.
    pub tolerance: String,
    /// Welch's p-value (sweep summaries).
    pub p_value: Option<f64>,
    /// The verdict.
    pub verdict: Verdict,
}

/// A summary to check: a file, or the bytes of a run just made.
pub enum Current<'a> {
    /// `summary.csv` or `sweep-summary.csv`.
    File(&'a Path),
    /// A `summary.csv` in memory.
    Bytes(Vec<u8>),
}

impl Current<'_> {
    /// Reads and shapes it.
    pub fn read(&self) -> Result<SummaryFile, SweepError> {
        match self {
            Current::File(p) => SummaryFile::read(p),
            Current::Bytes(b) => SummaryFile::parse(b, "the current run's summary".into()),
        }
    }
}

/// Whether a run's summary to compare with `baseline` is its flows'
/// (`summary-flows.csv`): when the baseline is one, or, when it does not
/// read (a baseline still to be written), when it is named so.
pub fn compares_flows(baseline: &Path) -> bool {
    match SummaryFile::read(baseline) {
        Ok(b) => b.kind == Kind::Flows,
        Err(_) => baseline
            .file_name()
            .is_some_and(|n| n.to_string_lossy().ends_with("flows.csv")),
    }
}

/// Compares `current` with the baseline file: what [`report`] lists.
pub fn check(
    baseline: &Path,
    current: Current<'_>,
    tolerances: &[Tolerance],
) -> Result<Checked, SweepError> {
    let base = SummaryFile::read(baseline)?;
    let cur = current.read()?;
    if base.kind != cur.kind {
        return Err(SweepError::Invalid(format!(
            "{} and {} are summaries of different kinds (summary.csv, summary-flows.csv, \
             sweep-summary.csv)",
            base.origin, cur.origin
        )));
    }
    // Against a baseline where nothing arrived, every rate and wait is
    // empty or zero: a check would pass for almost any run.
    if base.without_arrivals() {
        return Err(SweepError::Invalid(format!(
            "{}: no run arrived in the baseline (arrivals 0 in every row), so there is \
             nothing to compare with; make it again from a run with arrivals (--update)",
            base.origin
        )));
    }
    let tolerances: Vec<Tolerance> = if tolerances.is_empty() {
        DEFAULT_METRICS
            .iter()
            // A flow has no pool of its own: its cost is its target's.
            .filter(|m| base.kind != Kind::Flows || !summary::POOL_METRICS.contains(m))
            .map(|m| Tolerance::percent(m, 5.0))
            .collect()
    } else {
        tolerances.to_vec()
    };
    if let Some(t) = tolerances
        .iter()
        .enumerate()
        .find(|(i, t)| tolerances[..*i].iter().any(|u| u.metric == t.metric))
    {
        return Err(SweepError::Invalid(format!(
            "--tolerance {} is given twice",
            t.1.metric
        )));
    }
    if base.kind == Kind::Flows
        && let Some(t) = tolerances
            .iter()
            .find(|t| summary::POOL_METRICS.contains(&t.metric.as_str()))
    {
        return Err(SweepError::Invalid(format!(
            "--tolerance {}: a flow has no {} of its own (it shares its target's bots and \
             queue); check it on summary.csv",
            t.metric, t.metric
        )));
    }
    match base.kind {
        Kind::Sweep => compare_sweeps(&base, &cur, &tolerances),
        Kind::Run | Kind::Flows => compare_runs(&base, &cur, &tolerances),
    }
}

/// The verdict on a metric moving from `baseline` to `current`.
fn verdict(t: &Tolerance, baseline: Value, current: Value, significant: bool) -> Verdict {
    let dir = direction(&t.metric);
    // A value lost (no run started) or gone to infinity is the worst there
    // is for a metric that should be low, and a change for a neutral one.
    let rank = |v: Value| match v {
        Value::Finite(_) => 1,
        Value::Infinite | Value::Empty => 2,
    };
    let (b, c) = match (baseline, current) {
        (Value::Finite(b), Value::Finite(c)) => (b, c),
        (b, c) if b == c => return Verdict::Ok,
        (b, c) => {
            let up = rank(c) > rank(b) || (b == Value::Empty && c == Value::Infinite);
            return match dir {
                Direction::LowerIsBetter if up => Verdict::Worse,
                Direction::HigherIsBetter if !up => Verdict::Worse,
                Direction::Neutral => Verdict::Worse,
                _ if c == Value::Empty => Verdict::Worse,
                _ => Verdict::Better,
            };
        }
    };
    let diff = c - b;
    if diff.abs() <= t.allowed(b) {
        return Verdict::Ok;
    }
    let worse = match dir {
        Direction::LowerIsBetter => diff > 0.0,
        Direction::HigherIsBetter => diff < 0.0,
        Direction::Neutral => true,
    };
    match (worse, significant) {
        (true, true) => Verdict::Worse,
        (true, false) => Verdict::Unclear,
        (false, true) => Verdict::Better,
        (false, false) => Verdict::Ok,
    }
}

/// The column of each tolerance's metric, present in `summary`.
fn metric_columns(
    summary: &SummaryFile,
    tolerances: &[Tolerance],
) -> Result<Vec<usize>, SweepError> {
    tolerances
        .iter()
        .map(|t| match summary.column(&t.metric) {
            Some(c) if c >= summary.first_metric_column() => Ok(c),
            Some(_) => Err(SweepError::Invalid(format!(
                "--tolerance {}: {} names the rows, it is not a metric (metrics are the \
                 columns after it)",
                t.metric, t.metric
            ))),
            None => Err(SweepError::Invalid(format!(
                "{}: no column {:?} (metrics are the columns of summary.csv)",
                summary.origin, t.metric
            ))),
        })
        .collect()
}

fn missing(name: &str, what: &str, in_file: &str, not_in: &str) -> SweepError {
    SweepError::Invalid(format!(
        "{what} {name:?} is in {in_file} but not in {not_in}: the two summaries are not of the same targets or flows"
    ))
}

fn compare_runs(
    base: &SummaryFile,
    cur: &SummaryFile,
    tolerances: &[Tolerance],
) -> Result<Checked, SweepError> {
    let (base_cols, cur_cols) = (
        metric_columns(base, tolerances)?,
        metric_columns(cur, tolerances)?,
    );
    let (base_rows, cur_rows) = (base.by_target()?, cur.by_target()?);
    // Every cell, not only those compared: a summary with a cell that does
    // not read (text, a NaN, a negative count) is not what rpasim writes,
    // and a check passed on it would pass by accident.
    base.validate_metrics()?;
    cur.validate_metrics()?;
    let what = base.row_kind();
    if let Some(t) = cur_rows.keys().find(|t| !base_rows.contains_key(*t)) {
        return Err(missing(t, what, &cur.origin, &base.origin));
    }
    let mut out = Checked::default();
    // In the baseline's row order: targets, then `all`.
    for (line, b) in base.rows.iter() {
        let target = b.get(0).unwrap_or_default();
        let &(cur_line, c) = cur_rows
            .get(target)
            .ok_or_else(|| missing(target, what, &base.origin, &cur.origin))?;
        for (i, t) in tolerances.iter().enumerate() {
            let baseline = base.value(line, &b, base_cols[i], &t.metric)?;
            let current = cur.value(cur_line, &c, cur_cols[i], &t.metric)?;
            let verdict = verdict(t, baseline, current, true);
            out.add(baseline, current, verdict, || Comparison {
                row: target.to_string(),
                metric: t.metric.clone(),
                baseline,
                current,
                tolerance: t.describe(),
                p_value: None,
                verdict,
            });
        }
    }
    Ok(out)
}

fn compare_sweeps(
    base: &SummaryFile,
    cur: &SummaryFile,
    tolerances: &[Tolerance],
) -> Result<Checked, SweepError> {
    let (base_rows, cur_rows) = (base.sweep_index()?, cur.sweep_index()?);
    for t in tolerances {
        for (file, rows) in [(base, &base_rows), (cur, &cur_rows)] {
            if !rows.has_metric(&t.metric) {
                return Err(SweepError::Invalid(format!(
                    "{}: no metric {:?} in the sweep summary",
                    file.origin, t.metric
                )));
            }
        }
    }
    let checked = |m: &str| tolerances.iter().any(|t| t.metric == m);
    // Of the current rows missing from the baseline, the first by key.
    if let Some(row) = (0..cur_rows.len())
        .filter_map(|i| {
            let row = cur.rows.get(i)?.1;
            let gone =
                checked(cur_rows.metric(&row)) && base_rows.find(&cur_rows, &row, i).is_none();
            gone.then_some(row)
        })
        .min_by(|a, b| cur_rows.key_order(a, &cur_rows, b))
    {
        return Err(missing(
            &cur_rows.label(&row).collect::<Vec<_>>().join(", "),
            &format!("variant ({})", cur_rows.metric(&row)),
            &cur.origin,
            &base.origin,
        ));
    }
    // A variant or target on one side only, whatever its metrics: only
    // the rows of checked metrics are compared (a metric added since the
    // baseline was made is not missing from it), but a file whose targets
    // or variants differ is not a summary of the same sweep.
    let (base_labels, cur_labels) = (base_rows.labels(), cur_rows.labels());
    for (labels, others, (file, other)) in [
        (&cur_labels, &base_labels, (cur, base)),
        (&base_labels, &cur_labels, (base, cur)),
    ] {
        if let Some(label) = labels.difference(others).next() {
            return Err(missing(
                &label.join(", "),
                "variant",
                &file.origin,
                &other.origin,
            ));
        }
    }
    // The varied keys, for showing a row: the columns between `variant`
    // and `target`.
    let metric_col = base.column("metric").unwrap_or(2);
    let keys = &base.header[1..metric_col.saturating_sub(1).max(1)];
    let mut out = Checked::default();
    for (i, row, b) in base_rows.in_file_order() {
        let metric = base_rows.metric(&row);
        let Some(t) = tolerances.iter().find(|t| t.metric == metric) else {
            continue;
        };
        let label = || base_rows.label(&row);
        let c = cur_rows
            .find(&base_rows, &row, i)
            .and_then(|i| cur_rows.validated(i));
        let c = c.ok_or_else(|| {
            missing(
                &label().collect::<Vec<_>>().join(", "),
                &format!("variant ({metric})"),
                &base.origin,
                &cur.origin,
            )
        })?;
        let p = match (b.mean, c.mean, b.sd, c.sd) {
            (Value::Finite(bm), Value::Finite(cm), Some(bs), Some(cs)) => {
                welch_p_value(cm, cs, c.n, bm, bs, b.n)
            }
            _ => None,
        };
        let significant = p.is_none_or(|p| p < SIGNIFICANCE);
        let verdict = verdict(t, b.mean, c.mean, significant);
        out.add(b.mean, c.mean, verdict, || {
            let mut parts: Vec<String> = keys
                .iter()
                .zip(label())
                .map(|(k, v)| format!("{}={v}", short_key(k)))
                .collect();
            parts.push(label().last().unwrap_or_default().to_string());
            Comparison {
                row: parts.join(", "),
                metric: t.metric.clone(),
                baseline: b.mean,
                current: c.mean,
                tolerance: t.describe(),
                p_value: p,
                verdict,
            }
        });
    }
    Ok(out)
}

/// A value for the table: the number, `inf`, or `(none)`.
fn cell(v: Value) -> String {
    match v {
        Value::Finite(x) => format!("{x:.3}"),
        Value::Infinite => "inf".into(),
        Value::Empty => "(none)".into(),
    }
}

/// The change from baseline to current, as the table says it: `+12.5%`,
/// `+3` from 0, `to inf`, `lost`, `from inf`, `new`.
pub fn change(c: &Comparison) -> String {
    match (c.baseline, c.current) {
        (Value::Finite(b), Value::Finite(x)) if b != 0.0 => {
            format!("{:+.1}%", 100.0 * (x - b) / b.abs())
        }
        (Value::Finite(b), Value::Finite(x)) => format!("{:+}", x - b),
        (b, x) if b == x => "0".into(),
        (_, Value::Infinite) => "to inf".into(),
        (_, Value::Empty) => "lost".into(),
        (Value::Infinite, _) => "from inf".into(),
        _ => "new".into(),
    }
}

/// Most changed values listed that are not worse ([`report`]).
pub const MOST_UNREMARKABLE_ROWS: usize = 100;

/// What a check found: how many comparisons and how many were worse,
/// and the comparisons [`report`] lists (every one that got worse, and
/// the first [`MOST_UNREMARKABLE_ROWS`] that changed otherwise). Only
/// those are kept: a sweep of 10,000 targets makes millions.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Checked {
    /// Metrics compared.
    pub comparisons: usize,
    /// Of them, worse beyond tolerance.
    pub worse: usize,
    /// Of them, worse beyond tolerance but not significantly
    /// ([`Verdict::Unclear`]).
    pub unclear: usize,
    /// Those changed but neither worse nor unclear, listed or not.
    pub unremarkable: usize,
    /// The comparisons listed, in the baseline's order.
    pub listed: Vec<Comparison>,
}

impl Checked {
    /// Counts a comparison of `baseline` and `current` with its verdict;
    /// `describe` makes it, if it is to be listed.
    fn add(
        &mut self,
        baseline: Value,
        current: Value,
        verdict: Verdict,
        describe: impl FnOnce() -> Comparison,
    ) {
        self.comparisons += 1;
        self.worse += usize::from(verdict == Verdict::Worse);
        self.unclear += usize::from(verdict == Verdict::Unclear);
        // Every regression, and every change for the worse that could not
        // be told from noise, is listed; changes within tolerance or for
        // the better, only the first few: on thousands of targets, another
        // seed changed a hundred thousand values and buried the
        // regressions.
        if current == baseline && verdict == Verdict::Ok {
            return;
        }
        let remarkable = matches!(verdict, Verdict::Worse | Verdict::Unclear);
        if remarkable || self.unremarkable < MOST_UNREMARKABLE_ROWS {
            self.listed.push(describe());
        }
        self.unremarkable += usize::from(!remarkable);
    }

    /// Counts a comparison made whole.
    #[cfg(test)]
    fn push(&mut self, c: Comparison) {
        let (baseline, current, verdict) = (c.baseline, c.current, c.verdict);
        self.add(baseline, current, verdict, || c);
    }
}

/// The table printed by `rpasim check`: every row that got worse, the
/// first [`MOST_UNREMARKABLE_ROWS`] that changed otherwise (and how many
/// more did), then a one-line verdict.
pub fn report(checked: &Checked) -> String {
    let mut out = String::new();
    let changed = &checked.listed;
    if !changed.is_empty() {
        let width = changed
            .iter()
            .map(|c| c.row.len())
            .max()
            .unwrap_or(6)
            .max(6);
        let _ = writeln!(
            out,
            "{:<width$}  {:<22} {:>14} {:>14} {:>9} {:>9} {:>8}  verdict",
            "target", "metric", "baseline", "current", "change", "allowed", "p"
        );
        for c in changed {
            let p = c
                .p_value
                .map(|p| format!("{p:.3}"))
                .unwrap_or_else(|| "-".into());
            let verdict = match c.verdict {
                Verdict::Ok => "ok",
                Verdict::Better => "better",
                Verdict::Unclear => "unclear",
                Verdict::Worse => "WORSE",
            };
            let _ = writeln!(
                out,
                "{:<width$}  {:<22} {:>14} {:>14} {:>9} {:>9} {:>8}  {verdict}",
                c.row,
                c.metric,
                cell(c.baseline),
                cell(c.current),
                change(c),
                c.tolerance,
                p
            );
        }
    }
    if checked.unremarkable > MOST_UNREMARKABLE_ROWS {
        let _ = writeln!(
            out,
            "... and {} more changed values within tolerance or better (not listed)",
            checked.unremarkable - MOST_UNREMARKABLE_ROWS
        );
    }
    let _ = write!(
        out,
        "{} comparisons, {} worse beyond tolerance",
        checked.comparisons, checked.worse
    );
    if checked.unclear > 0 {
        let _ = write!(
            out,
            ", {} worse beyond tolerance but not significantly (p >= {SIGNIFICANCE}: \
             \"unclear\", not failing; more replications would tell)",
            checked.unclear
        );
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tol(s: &str) -> Tolerance {
        s.parse().expect("valid")
    }

    fn f(x: f64) -> Value {
        Value::Finite(x)
    }

    #[test]
    fn tolerances_parse() {
        assert_eq!(tol("wait_p95_s=5%").relative, 0.05);
        assert_eq!(tol("queue_full=3").absolute, 3.0);
        for bad in ["x", "x=-1", "=5%", "x=NaN", "x=inf%"] {
            assert!(bad.parse::<Tolerance>().is_err(), "{bad}");
        }
    }

    #[test]
    fn verdicts_follow_the_metric_direction() {
        let t = tol("wait_p95_s=10%");
        assert_eq!(verdict(&t, f(100.0), f(109.0), true), Verdict::Ok);
        assert_eq!(verdict(&t, f(100.0), f(111.0), true), Verdict::Worse);
        assert_eq!(verdict(&t, f(100.0), f(80.0), true), Verdict::Better);
        assert_eq!(
            verdict(&t, f(100.0), f(111.0), false),
            Verdict::Unclear,
            "worse, not significant"
        );
        assert_eq!(
            verdict(&t, f(100.0), f(80.0), false),
            Verdict::Ok,
            "better, not significant"
        );
        let s = tol("succeeded=1%");
        assert_eq!(verdict(&s, f(1000.0), f(980.0), true), Verdict::Worse);
        // From zero, any increase beyond an absolute allowance is worse.
        assert_eq!(
            verdict(&tol("queue_full=0"), f(0.0), f(1.0), true),
            Verdict::Worse
        );
    }

    #[test]
    fn a_value_lost_or_gone_to_infinity_is_worse_whatever_the_tolerance() {
        let wait = tol("wait_p95_s=1000%");
        assert_eq!(verdict(&wait, f(60.0), Value::Empty, true), Verdict::Worse);
        assert_eq!(verdict(&wait, Value::Empty, f(60.0), true), Verdict::Better);
        assert_eq!(
            verdict(&wait, Value::Empty, Value::Empty, true),
            Verdict::Ok
        );
        let start = tol("start_p95_s=1000%");
        assert_eq!(
            verdict(&start, f(60.0), Value::Infinite, true),
            Verdict::Worse
        );
        assert_eq!(
            verdict(&start, Value::Infinite, f(60.0), true),
            Verdict::Better
        );
        assert_eq!(
            verdict(&start, Value::Infinite, Value::Infinite, true),
            Verdict::Ok
        );
        assert_eq!(
            verdict(&start, Value::Empty, Value::Infinite, true),
            Verdict::Worse
        );
        let share = tol("started_share=90%");
        assert_eq!(verdict(&share, f(1.0), f(0.05), true), Verdict::Worse);
        assert_eq!(verdict(&share, f(1.0), Value::Empty, true), Verdict::Worse);
        let neutral = tol("utilization=1000%");
        assert_eq!(
            verdict(&neutral, f(0.5), Value::Empty, true),
            Verdict::Worse
        );
    }

    /// Every worse row is listed, however many; of the others that
    /// changed, the first hundred and a count.
    #[test]
    fn the_report_lists_every_regression_and_a_hundred_other_changes() {
        // Every fourth target's wait doubled (worse), the others' up 1 %.
        let row = |i: usize| {
            let worse = i.is_multiple_of(4);
            Comparison {
                row: format!("t{i}"),
                metric: "wait_p95_s".into(),
                baseline: f(100.0),
                current: f(if worse { 200.0 } else { 101.0 }),
                tolerance: "5%".into(),
                p_value: None,
                verdict: if worse { Verdict::Worse } else { Verdict::Ok },
            }
        };
        let checked = |n: usize| {
            let mut checked = Checked::default();
            (0..n).map(row).for_each(|c| checked.push(c));
            checked
        };
        let text = report(&checked(1_000));
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.iter().filter(|l| l.ends_with("WORSE")).count(), 250);
        assert_eq!(lines.iter().filter(|l| l.ends_with(" ok")).count(), 100);
        assert_eq!(
            lines[lines.len() - 2..],
            [
                "... and 650 more changed values within tolerance or better (not listed)",
                "1000 comparisons, 250 worse beyond tolerance"
            ]
        );
        // Every row of a small check, as before.
        let few = report(&checked(40));
        assert_eq!(few.lines().count(), 1 + 40 + 1);
        // Changes for the worse that could not be told from noise: every
        // one listed, as "unclear", and counted apart; not worse.
        let mut unclear = checked(1_000);
        for i in 0..300 {
            unclear.push(Comparison {
                row: format!("u{i}"),
                p_value: Some(0.4),
                verdict: Verdict::Unclear,
                ..row(1)
            });
        }
        let text = report(&unclear);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.iter().filter(|l| l.ends_with("unclear")).count(), 300);
        assert_eq!(
            lines.last().copied(),
            Some(
                "1300 comparisons, 250 worse beyond tolerance, 300 worse beyond tolerance but \
                 not significantly (p >= 0.05: \"unclear\", not failing; more replications \
                 would tell)"
            )
        );
        assert_eq!((unclear.worse, unclear.unclear), (250, 300));
    }
}
