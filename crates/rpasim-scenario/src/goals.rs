//! Service-level goals as a user writes them: `[[goals]]` in a scenario, or
//! `--goal NAME.METRIC<=VALUE` on the command line. Checked against the
//! scenario's targets and flows and the summary's metrics (a misspelt
//! name or metric is an error with a "did you mean"); the bound is a
//! number, a duration for `_s` metrics (`30m`) or a percentage for shares
//! and utilization (`95%`).

use std::collections::BTreeSet;

use rpasim_core::ModelSpec;
use rpasim_report::goals::{Goal, metrics};

use crate::build::unknown;
use crate::schema::parse_duration;

/// What a goal's name may be: a target, a flow, or `all`; looked up, so
/// that checking a goal per target of thousands does not look through
/// every name for each (10,000 goals on 10,000 targets: 0.33 s).
pub struct GoalNames<'a> {
    spec: &'a ModelSpec,
    known: BTreeSet<&'a str>,
}

impl<'a> GoalNames<'a> {
    /// The names of `spec`'s targets and flows, and `all`.
    pub fn new(spec: &'a ModelSpec) -> Self {
        let known = names(spec).collect();
        GoalNames { spec, known }
    }

    /// Checks a goal's name: an error with a "did you mean" when unknown.
    pub fn check(&self, name: &str) -> Result<(), String> {
        if self.known.contains(name) {
            Ok(())
        } else {
            Err(unknown("target or flow", name, names(self.spec)))
        }
    }
}

/// The names a goal may give, in the model's order (targets, flows, `all`).
fn names(spec: &ModelSpec) -> impl Iterator<Item = &str> {
    spec.targets
        .iter()
        .map(|t| t.name.as_str())
        .chain(spec.flows.iter().map(|f| f.name.as_str()))
        .chain(std::iter::once("all"))
}

/// Checks a goal's metric against the columns of `summary.csv`.
pub fn check_metric(metric: &str) -> Result<(), String> {
    if metrics().contains(&metric) {
        return Ok(());
    }
    // Unlike a scenario's names, the metrics are few and fixed: all of
    // them are listed, so that the one wanted is found in the message.
    let closest = crate::error::closest(metric, metrics())
        .map(|k| format!(" (did you mean {k:?}?)"))
        .unwrap_or_default();
    Err(format!(
        "unknown metric {metric:?}; expected a column of summary.csv: {}{closest}",
        metrics().join(", ")
    ))
}

/// A bound in the metric's unit: seconds for `_s` metrics (a duration
/// such as `30m`, or a number of seconds), a fraction for shares and
/// utilization (`95%` or `0.95`), else a number; never negative, never NaN.
pub fn parse_bound(metric: &str, text: &str) -> Result<f64, String> {
    let text = text.trim();
    let bad = |expected: &str| format!("{text:?} is not {expected}");
    let value = if metric.ends_with("_s") {
        match text.parse::<f64>() {
            Ok(seconds) => seconds,
            Err(_) => {
                let d = parse_duration(text).map_err(|_| {
                    bad("a duration such as \"30m\" or \"1h30m\", or a number of seconds")
                })?;
                d.as_millis() as f64 / 1000.0
            }
        }
    } else if rpasim_report::goals::is_fraction(metric) {
        let fraction = match text.strip_suffix('%') {
            Some(p) => p.trim().parse::<f64>().map(|p| p / 100.0),
            None => text.parse::<f64>(),
        }
        .map_err(|_| bad("a percentage such as \"95%\", or a fraction such as 0.95"))?;
        if !(0.0..=1.0).contains(&fraction) {
            return Err(format!("{text:?} is not a share between 0 and 100 %"));
        }
        fraction
    } else {
        text.parse::<f64>().map_err(|_| bad("a number"))?
    };
    if !value.is_finite() || value < 0.0 {
        return Err(format!(
            "{text:?} is not a bound: it must be a finite number, 0 or more"
        ));
    }
    Ok(value)
}

/// Refuses a goal no value can miss: at least 0 (every metric is 0 or
/// more), or at most 100 % of a share or utilization. Such a goal passes
/// by accident whatever the scenario does; the message says what to ask
/// for instead.
pub fn check_can_fail(metric: &str, at_most: bool, bound: f64) -> Result<(), String> {
    if !at_most && bound == 0.0 {
        return Err(format!(
            "at least 0 cannot fail: {metric} is never less (for runs to have started, ask \
             for not_started at most 0, or started at least 1)"
        ));
    }
    if at_most && bound >= 1.0 && rpasim_report::goals::is_fraction(metric) {
        return Err(format!(
            "at most 100 % cannot fail: {metric} is a share, never more"
        ));
    }
    Ok(())
}

/// Parses `NAME.METRIC<=VALUE` (or `>=`) and checks it against the model.
pub fn parse_cli(text: &str, spec: &ModelSpec) -> Result<Goal, String> {
    let fail = |m: String| format!("--goal {text:?}: {m}");
    let (left, at_most, bound) = match (text.split_once("<="), text.split_once(">=")) {
        (Some((l, v)), None) => (l, true, v),
        (None, Some((l, v))) => (l, false, v),
        _ => {
            return Err(fail(
                "expected NAME.METRIC<=VALUE or NAME.METRIC>=VALUE, e.g. finance.start_p95_s<=30m"
                    .into(),
            ));
        }
    };
    let (name, metric) = left.trim().rsplit_once('.').ok_or_else(|| {
        fail("expected NAME.METRIC before the comparison, e.g. finance.start_p95_s".into())
    })?;
    GoalNames::new(spec).check(name).map_err(fail)?;
    check_metric(metric).map_err(fail)?;
    let value = parse_bound(metric, bound).map_err(fail)?;
    check_can_fail(metric, at_most, value).map_err(fail)?;
    Ok(Goal {
        name: name.to_string(),
        metric: metric.to_string(),
        bound: value,
        at_most,
        written: bound.trim().to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_are_read_in_the_metric_unit() {
        assert_eq!(parse_bound("start_p95_s", "30m"), Ok(1800.0));
        assert_eq!(parse_bound("start_p95_s", "90"), Ok(90.0));
        assert_eq!(parse_bound("started_share", "95%"), Ok(0.95));
        assert_eq!(parse_bound("started_share", "0.9"), Ok(0.9));
        assert_eq!(parse_bound("queue_full", "3"), Ok(3.0));
        assert!(parse_bound("started_share", "120%").is_err());
        assert!(parse_bound("start_p95_s", "soon").is_err());
        assert!(parse_bound("queue_full", "-1").is_err());
        assert!(parse_bound("queue_full", "NaN").is_err());
    }

    #[test]
    fn goals_that_cannot_fail_are_refused() {
        assert!(check_can_fail("wait_p95_s", false, 0.0).is_err());
        assert!(check_can_fail("started", false, 0.0).is_err());
        assert!(check_can_fail("started_share", true, 1.0).is_err());
        assert!(check_can_fail("utilization", true, 1.0).is_err());
        assert!(check_can_fail("wait_p95_s", false, 1.0).is_ok());
        assert!(check_can_fail("wait_p95_s", true, 0.0).is_ok());
        assert!(check_can_fail("started_share", true, 0.99).is_ok());
        assert!(check_can_fail("queue_full", true, 1.0).is_ok());
    }

    #[test]
    fn an_unknown_metric_is_told_with_every_metric() {
        assert_eq!(check_metric("queue_mean"), Ok(()));
        let told = check_metric("queue_p95").unwrap_err();
        assert!(
            told.starts_with(
                "unknown metric \"queue_p95\"; expected a column of summary.csv: arrivals, "
            ),
            "{told}"
        );
        // The last column is there too, not the first ten and a count.
        assert!(
            told.contains(", wait_lost_share (did you mean \"queue_mean\"?)"),
            "{told}"
        );
        assert!(!check_metric("x").unwrap_err().contains("did you mean"));
    }
}
