//! Regression checks: a run's `summary.csv` (or a sweep's
//! `sweep-summary.csv`) against a baseline, metric by metric.
//!
//! Each metric has a direction: waits, timeouts, rejections, failures and
//! cost are worse when higher; successes when lower; the rest (arrivals,
//! utilization...) are neutral and checked only when given a tolerance, in
//! both directions. A difference is a regression when it is in the bad
//! direction and beyond the tolerance; for sweep summaries (replications),
//! it must also be statistically significant by Welch's two-sided t-test at
//! 5 % on the replication means.

use std::fmt::Write as _;
use std::path::Path;

use rpasim_stats::welch_p_value;

use crate::SweepError;
use crate::grid::short_key;
use rpasim_report::CsvTable as Table;

/// Significance level of the t-test for sweep summaries.
pub const SIGNIFICANCE: f64 = 0.05;

/// Metrics checked, at 5 %, when no tolerance is given.
pub const DEFAULT_METRICS: [&str; 11] = [
    "succeeded",
    "failed",
    "queue_full",
    "queue_timeout",
    "run_timeout",
    "machine_lost",
    "wait_mean_s",
    "wait_p95_s",
    "wait_p99_s",
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
        "succeeded" | "started" => Direction::HigherIsBetter,
        "arrivals" | "utilization" | "busy_bot_hours" => Direction::Neutral,
        _ => Direction::LowerIsBetter,
    }
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
        Ok(Tolerance {
            metric: metric.trim().to_string(),
            relative,
            absolute,
        })
    }
}

impl Tolerance {
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
    /// Within tolerance (or not significant).
    Ok,
    /// Better than the baseline beyond the tolerance.
    Better,
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
    pub baseline: f64,
    /// Current value.
    pub current: f64,
    /// The tolerance applied.
    pub tolerance: String,
    /// Welch's p-value (sweep summaries).
    pub p_value: Option<f64>,
    /// The verdict.
    pub verdict: Verdict,
}

/// Whether a table is a sweep summary (else a run's `summary.csv`).
fn is_sweep_summary(table: &Table) -> bool {
    // `variant`, the varied keys and `target` come before `metric`.
    table.column("variant") == Some(0)
        && table.column("metric").is_some_and(|c| c >= 2)
        && table.column("mean").is_some()
}

/// A summary to check: a file, or the bytes of a run just made.
pub enum Current<'a> {
    /// `summary.csv` or `sweep-summary.csv`.
    File(&'a Path),
    /// A `summary.csv` in memory.
    Bytes(Vec<u8>),
}

/// Compares `current` with the baseline file.
pub fn check(
    baseline: &Path,
    current: Current<'_>,
    tolerances: &[Tolerance],
) -> Result<Vec<Comparison>, SweepError> {
    let read = |path: &Path| {
        Table::read(path).map_err(|e| SweepError::Invalid(format!("{}: {e}", path.display())))
    };
    let base = read(baseline)?;
    let cur = match current {
        Current::File(p) => read(p)?,
        Current::Bytes(b) => Table::parse(&b).map_err(|e| SweepError::Failed(e.to_string()))?,
    };
    if is_sweep_summary(&base) != is_sweep_summary(&cur) {
        return Err(SweepError::Invalid(
            "the baseline and the current summary are of different kinds (summary.csv vs sweep-summary.csv)".into(),
        ));
    }
    let tolerances: Vec<Tolerance> = if tolerances.is_empty() {
        DEFAULT_METRICS
            .iter()
            .map(|m| Tolerance {
                metric: m.to_string(),
                relative: 0.05,
                absolute: 0.0,
            })
            .collect()
    } else {
        tolerances.to_vec()
    };
    if is_sweep_summary(&base) {
        compare_sweeps(&base, &cur, &tolerances)
    } else {
        compare_runs(&base, &cur, &tolerances)
    }
}

fn verdict(t: &Tolerance, baseline: f64, current: f64, significant: bool) -> Verdict {
    let diff = current - baseline;
    if diff.abs() <= t.allowed(baseline) || !significant {
        return Verdict::Ok;
    }
    let worse = match direction(&t.metric) {
        Direction::LowerIsBetter => diff > 0.0,
        Direction::HigherIsBetter => diff < 0.0,
        Direction::Neutral => true,
    };
    if worse {
        Verdict::Worse
    } else {
        Verdict::Better
    }
}

fn number(table: &Table, row: &[String], metric: &str) -> Result<f64, SweepError> {
    let c = table
        .column(metric)
        .ok_or_else(|| SweepError::Invalid(format!("no metric {metric:?} in the summary")))?;
    Ok(row.get(c).and_then(|v| v.parse().ok()).unwrap_or(0.0))
}

fn compare_runs(
    base: &Table,
    cur: &Table,
    tolerances: &[Tolerance],
) -> Result<Vec<Comparison>, SweepError> {
    let mut out = Vec::new();
    for b in &base.rows {
        let target = &b[0];
        let c = cur.rows.iter().find(|r| &r[0] == target).ok_or_else(|| {
            SweepError::Invalid(format!(
                "target {target:?} of the baseline is not in the current summary"
            ))
        })?;
        for t in tolerances {
            let (baseline, current) = (number(base, b, &t.metric)?, number(cur, c, &t.metric)?);
            out.push(Comparison {
                row: target.clone(),
                metric: t.metric.clone(),
                baseline,
                current,
                tolerance: t.describe(),
                p_value: None,
                verdict: verdict(t, baseline, current, true),
            });
        }
    }
    Ok(out)
}

fn compare_sweeps(
    base: &Table,
    cur: &Table,
    tolerances: &[Tolerance],
) -> Result<Vec<Comparison>, SweepError> {
    let metric_col = base.column("metric").unwrap_or(0);
    if let Some(t) = tolerances
        .iter()
        .find(|t| !base.rows.iter().any(|r| r[metric_col] == t.metric))
    {
        return Err(SweepError::Invalid(format!(
            "no metric {:?} in the sweep summary",
            t.metric
        )));
    }
    // The varied values and the target: the columns between `variant` and `metric`.
    let label = |row: &[String]| row[1..metric_col].join(", ");
    let keys = &base.header[1..metric_col.saturating_sub(1).max(1)];
    let show = |row: &[String]| {
        let mut parts: Vec<String> = keys
            .iter()
            .zip(&row[1..])
            .map(|(k, v)| format!("{}={v}", short_key(k)))
            .collect();
        parts.push(row[metric_col - 1].clone());
        parts.join(", ")
    };
    let mut out = Vec::new();
    for b in &base.rows {
        let Some(t) = tolerances.iter().find(|t| t.metric == b[metric_col]) else {
            continue;
        };
        let c = cur
            .rows
            .iter()
            .find(|r| label(r) == label(b) && r.get(metric_col) == b.get(metric_col))
            .ok_or_else(|| {
                SweepError::Invalid(format!(
                    "variant ({}) of the baseline is not in the current sweep",
                    label(b)
                ))
            })?;
        let get = |table: &Table, row: &[String], col: &str| {
            table
                .column(col)
                .and_then(|i| row.get(i)?.parse::<f64>().ok())
        };
        let (bm, cm) = (
            get(base, b, "mean").unwrap_or(0.0),
            get(cur, c, "mean").unwrap_or(0.0),
        );
        let p = welch_p_value(
            cm,
            get(cur, c, "sd").unwrap_or(0.0),
            get(cur, c, "n").unwrap_or(0.0) as u64,
            bm,
            get(base, b, "sd").unwrap_or(0.0),
            get(base, b, "n").unwrap_or(0.0) as u64,
        );
        let significant = p.is_none_or(|p| p < SIGNIFICANCE);
        out.push(Comparison {
            row: show(b),
            metric: t.metric.clone(),
            baseline: bm,
            current: cm,
            tolerance: t.describe(),
            p_value: p,
            verdict: verdict(t, bm, cm, significant),
        });
    }
    Ok(out)
}

/// The table printed by `rpasim check`: every row that changed, then a
/// one-line verdict.
pub fn report(comparisons: &[Comparison]) -> String {
    let mut out = String::new();
    let changed: Vec<&Comparison> = comparisons
        .iter()
        .filter(|c| c.current != c.baseline)
        .collect();
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
            let change = if c.baseline != 0.0 {
                format!(
                    "{:+.1}%",
                    100.0 * (c.current - c.baseline) / c.baseline.abs()
                )
            } else {
                format!("{:+}", c.current - c.baseline)
            };
            let p = c
                .p_value
                .map(|p| format!("{p:.3}"))
                .unwrap_or_else(|| "-".into());
            let verdict = match c.verdict {
                Verdict::Ok => "ok",
                Verdict::Better => "better",
                Verdict::Worse => "WORSE",
            };
            let _ = writeln!(
                out,
                "{:<width$}  {:<22} {:>14.3} {:>14.3} {:>9} {:>9} {:>8}  {verdict}",
                c.row, c.metric, c.baseline, c.current, change, c.tolerance, p
            );
        }
    }
    let worse = comparisons
        .iter()
        .filter(|c| c.verdict == Verdict::Worse)
        .count();
    let _ = writeln!(
        out,
        "{} comparisons, {} worse beyond tolerance",
        comparisons.len(),
        worse
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tol(s: &str) -> Tolerance {
        s.parse().expect("valid")
    }

    #[test]
    fn tolerances_parse() {
        assert_eq!(tol("wait_p95_s=5%").relative, 0.05);
        assert_eq!(tol("queue_full=3").absolute, 3.0);
        assert!("x".parse::<Tolerance>().is_err() && "x=-1".parse::<Tolerance>().is_err());
    }

    #[test]
    fn verdicts_follow_the_metric_direction() {
        let t = tol("wait_p95_s=10%");
        assert_eq!(verdict(&t, 100.0, 109.0, true), Verdict::Ok);
        assert_eq!(verdict(&t, 100.0, 111.0, true), Verdict::Worse);
        assert_eq!(verdict(&t, 100.0, 80.0, true), Verdict::Better);
        assert_eq!(
            verdict(&t, 100.0, 111.0, false),
            Verdict::Ok,
            "not significant"
        );
        let s = tol("succeeded=1%");
        assert_eq!(verdict(&s, 1000.0, 980.0, true), Verdict::Worse);
        // From zero, any increase beyond an absolute allowance is worse.
        assert_eq!(
            verdict(&tol("queue_full=0"), 0.0, 1.0, true),
            Verdict::Worse
        );
    }
}
