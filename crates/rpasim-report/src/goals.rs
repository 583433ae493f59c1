//! Service-level goals, judged against a run's summary: `NAME.METRIC <=
//! VALUE` or `>= VALUE`, where NAME is a target, a flow or `all` and METRIC
//! a column of `summary.csv`. A goal is met only by a number on the right
//! side of its bound: an empty cell (no run started) or `inf` (runs never
//! started) never meets an upper bound, and an empty cell never meets a
//! lower one. `goals.csv` says, goal by goal, the value and the verdict.

use std::collections::BTreeMap;
use std::io::Write;

use rpasim_core::SimDuration;

use crate::summary::{HEADER, NEVER, Summary, SummaryRow};

/// A goal: a bound on one metric of one target, flow or `all`.
#[derive(Debug, Clone, PartialEq)]
pub struct Goal {
    /// A target, a flow, or `all`.
    pub name: String,
    /// A column of `summary.csv` (seconds for `_s` metrics, a fraction
    /// for shares).
    pub metric: String,
    /// The bound, in the metric's unit.
    pub bound: f64,
    /// `<=` (true) or `>=`.
    pub at_most: bool,
    /// The bound as the user wrote it (`30m`, `95%`), for messages.
    pub written: String,
}

impl Goal {
    /// `finance.start_p95_s <= 30m`.
    pub fn describe(&self) -> String {
        let op = if self.at_most { "<=" } else { ">=" };
        format!("{}.{} {op} {}", self.name, self.metric, self.written)
    }
}

/// The metrics a goal may bound: the columns of `summary.csv` after
/// `target`.
pub fn metrics() -> &'static [&'static str] {
    &HEADER[1..]
}

/// A metric's value in a summary: a number, infinite, or none.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Measured {
    /// A number in the metric's unit.
    Value(f64),
    /// `inf`: more than that share of the runs never started.
    Never,
    /// No value (e.g. a wait when no run started).
    None,
}

impl Measured {
    /// As in `goals.csv`: the number, `inf`, or empty.
    pub fn cell(self) -> String {
        match self {
            Measured::Value(x) => format!("{x:.6}"),
            Measured::Never => NEVER.to_string(),
            Measured::None => String::new(),
        }
    }
}

/// A goal with its verdict.
#[derive(Debug, Clone, PartialEq)]
pub struct Judged {
    /// The goal.
    pub goal: Goal,
    /// Whether `goal.name` is a flow (else a target or `all`).
    pub flow: bool,
    /// What the run measured.
    pub measured: Measured,
    /// Whether the goal is met.
    pub met: bool,
}

/// Judges each goal against a summary (targets, flows and `all`).
pub fn judge(goals: &[Goal], summary: &Summary) -> Vec<Judged> {
    let rows = GoalRows::new(summary);
    goals
        .iter()
        .map(|g| {
            let measured = rows.measure(g);
            Judged {
                goal: g.clone(),
                flow: !rows.is_target(&g.name),
                measured,
                met: meets(g, measured),
            }
        })
        .collect()
}

/// The rows of a summary by the names goals give: a target's (or `all`'s),
/// else a flow's. Built once per summary, so that judging many goals looks
/// each one up instead of looking through every row (10,000 goals on
/// 10,000 targets took 0.28 s more that way).
#[derive(Debug)]
pub struct GoalRows<'a> {
    /// Each name's row, and whether it is a target's (or `all`).
    by_name: BTreeMap<&'a str, (&'a SummaryRow, bool)>,
}

impl<'a> GoalRows<'a> {
    /// The rows of `summary` by name; a target's row comes before a flow's
    /// of the same name, and of rows of one name the first.
    pub fn new(summary: &'a Summary) -> Self {
        let mut by_name = BTreeMap::new();
        for r in &summary.rows {
            by_name.entry(r.target.as_str()).or_insert((r, true));
        }
        for f in &summary.flows {
            by_name
                .entry(f.stats.target.as_str())
                .or_insert((&f.stats, false));
        }
        GoalRows { by_name }
    }

    /// The row a goal is about: its target's (or `all`), else its flow's.
    pub fn row(&self, goal: &Goal) -> Option<&'a SummaryRow> {
        self.by_name.get(goal.name.as_str()).map(|(row, _)| *row)
    }

    /// Whether `name` is a target's (or `all`'s) row.
    pub fn is_target(&self, name: &str) -> bool {
        self.by_name.get(name).is_some_and(|(_, target)| *target)
    }

    /// What the summary says of a goal's metric.
    pub fn measure(&self, goal: &Goal) -> Measured {
        self.row(goal)
            .map_or(Measured::None, |r| measure(r, &goal.metric))
    }
}

/// Whether a measured value meets a goal: only a number on the right side
/// of the bound does.
pub fn meets(goal: &Goal, measured: Measured) -> bool {
    match measured {
        Measured::Value(x) if goal.at_most => x <= goal.bound,
        Measured::Value(x) => x >= goal.bound,
        Measured::Never | Measured::None => false,
    }
}

/// The value of a metric in a summary row, read from its own cell (so a
/// goal sees exactly what `summary.csv` says).
fn measure(row: &SummaryRow, metric: &str) -> Measured {
    let Some(column) = HEADER.iter().position(|h| *h == metric) else {
        return Measured::None;
    };
    let cell = row.fields().swap_remove(column);
    match cell.as_str() {
        "" => Measured::None,
        NEVER => Measured::Never,
        text => text.parse().map_or(Measured::None, Measured::Value),
    }
}

/// Writes `goals.csv`: one row per goal.
pub fn write_csv<W: Write>(judged: &[Judged], out: W) -> csv::Result<()> {
    let mut csv = csv::Writer::from_writer(out);
    csv.write_record(["name", "metric", "bound", "value", "met", "goal"])?;
    for j in judged {
        let op = if j.goal.at_most { "<=" } else { ">=" };
        csv.write_record([
            j.goal.name.as_str(),
            j.goal.metric.as_str(),
            &format!("{op} {}", j.goal.bound),
            &j.measured.cell(),
            if j.met { "yes" } else { "no" },
            &j.goal.describe(),
        ])?;
    }
    csv.flush()?;
    Ok(())
}

/// Whether a metric is a fraction of 1, written and shown as a
/// percentage (`95%`): the shares, and the bots' utilization.
pub fn is_fraction(metric: &str) -> bool {
    metric.ends_with("_share") || metric == "utilization"
}

/// A value for a person: seconds as a duration, shares as percentages.
pub fn human(metric: &str, m: Measured) -> String {
    match m {
        Measured::None => "no value".into(),
        Measured::Never => "never".into(),
        // Under a minute with a decimal; longer rounded to the second, in
        // scenario units ("1h35m43s").
        Measured::Value(x) if metric.ends_with("_s") && x < 59.95 => format!("{x:.1}s"),
        Measured::Value(x) if metric.ends_with("_s") => {
            let s = (x.max(0.0)).round() as u64;
            SimDuration::from_millis(s * 1000).to_string()
        }
        Measured::Value(x) if is_fraction(metric) => format!("{:.1}%", x * 100.0),
        Measured::Value(x) => crate::format::plain(x),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn goals_are_met_only_by_a_number_on_the_right_side() {
        let goal = |at_most, bound| Goal {
            name: "g".into(),
            metric: "start_p95_s".into(),
            bound,
            at_most,
            written: bound.to_string(),
        };
        assert!(meets(&goal(true, 60.0), Measured::Value(60.0)));
        assert!(!meets(&goal(true, 60.0), Measured::Value(60.001)));
        assert!(meets(&goal(false, 0.9), Measured::Value(0.95)));
        assert!(!meets(&goal(true, 60.0), Measured::Never));
        assert!(!meets(&goal(true, 60.0), Measured::None));
        assert!(!meets(&goal(false, 0.9), Measured::None));
        assert_eq!(human("start_p95_s", Measured::Value(5742.591)), "1h35m43s");
        assert_eq!(human("wait_mean_s", Measured::Value(4.3578)), "4.4s");
        assert_eq!(human("started_share", Measured::Value(0.5)), "50.0%");
        // Plain numbers to the millionth at most, as summary.csv has them.
        assert_eq!(
            human("bot_hours", Measured::Value(0.18899499999999997)),
            "0.188995"
        );
        assert_eq!(human("queue_mean", Measured::Value(0.276116)), "0.276116");
        // Utilization is a fraction, shown as the console table shows it.
        assert_eq!(human("utilization", Measured::Value(0.276116)), "27.6%");
        assert_eq!(human("bot_hours", Measured::Value(1008.0)), "1008");
        assert_eq!(
            human("succeeded", Measured::Value(2480.3999999999996)),
            "2480.4"
        );
        assert_eq!(human("queue_full", Measured::Value(-0.0000001)), "0");
        assert_eq!(
            human("arrivals", Measured::Value(1e20)),
            "100000000000000000000"
        );
        assert_eq!(goal(true, 1800.0).describe(), "g.start_p95_s <= 1800");
    }
}
