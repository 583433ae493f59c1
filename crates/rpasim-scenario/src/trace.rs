//! Trace replay files: CSV with a header and an `arrival_s` column (seconds
//! from the simulation start, decimals allowed); optionally each run's own
//! `duration_s` and `outcome` (`succeeded` or `failed`), which it then
//! takes instead of drawing them (a replay of a run history); other
//! columns are ignored.

use std::path::Path;

use rpasim_core::model::RecordedRun;
use rpasim_core::{SimDuration, SimTime};

use crate::input;
use crate::schema::MAX_DURATION;

/// The column holding arrival instants.
pub const ARRIVAL_COLUMN: &str = "arrival_s";
/// The optional column of each run's own duration, seconds.
pub const DURATION_COLUMN: &str = "duration_s";
/// The optional column of each run's outcome.
pub const OUTCOME_COLUMN: &str = "outcome";

/// A loaded trace: arrival instants in time order (equal instants in file
/// order) and, when the file has `duration_s`, each run's recorded
/// duration and outcome in the same order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Trace {
    /// Arrival instants, sorted.
    pub times: Vec<SimTime>,
    /// Recorded runs, parallel to `times`.
    pub recorded: Option<Vec<RecordedRun>>,
}

/// A problem in a trace file, at a 1-based line when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceError {
    /// Line of the file at fault.
    pub line: Option<usize>,
    /// What is wrong.
    pub message: String,
}

/// What a file that is not a trace is told: nothing of its content.
const NOT_A_TRACE: &str =
    "not a trace file: its first line is not a CSV header with an \"arrival_s\" column";

/// Reads a trace file, streaming: a regular file of at most
/// [`MAX_TRACE_BYTES`](crate::input::MAX_TRACE_BYTES), with at most
/// `max_rows` rows. A row that does not parse is reported by its line with
/// a short excerpt; a file that is not a trace (no `arrival_s` header) is
/// reported without quoting anything of it.
pub fn load(path: &Path, max_rows: u64) -> Result<Trace, TraceError> {
    let err = |line: Option<usize>, message: String| TraceError { line, message };
    let file = input::open(path, "the trace", input::MAX_TRACE_BYTES).map_err(|m| err(None, m))?;
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(file);
    let header = reader.headers().ok().cloned();
    let column = |name: &str| header.as_ref()?.iter().position(|h| h == name);
    let arrival = column(ARRIVAL_COLUMN).ok_or_else(|| err(Some(1), NOT_A_TRACE.into()))?;
    let (duration, outcome) = (column(DURATION_COLUMN), column(OUTCOME_COLUMN));
    if outcome.is_some() && duration.is_none() {
        return Err(err(
            Some(1),
            format!(
                "an {OUTCOME_COLUMN} column needs a {DURATION_COLUMN} column (the run's own duration)"
            ),
        ));
    }
    let mut rows: Vec<(SimTime, Option<RecordedRun>)> = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map(|p| p.line() as usize);
            err(
                line,
                format!("malformed CSV row ({})", input::csv_problem(&e)),
            )
        })?;
        let line = record.position().map(|p| p.line() as usize);
        if rows.len() as u64 >= max_rows {
            return Err(err(
                line,
                format!(
                    "more than {max_rows} rows, the limit of runs ([limits] max_runs, or --max-runs)"
                ),
            ));
        }
        let field = |c: usize| record.get(c).unwrap_or("");
        let at = seconds(field(arrival), ARRIVAL_COLUMN).map_err(|m| err(line, m))?;
        let recorded = match duration {
            Some(d) => {
                let took = seconds(field(d), DURATION_COLUMN).map_err(|m| err(line, m))?;
                let failed = match outcome.map(field) {
                    None | Some("succeeded") => false,
                    Some("failed") => true,
                    Some(other) => {
                        return Err(err(
                            line,
                            format!(
                                "{OUTCOME_COLUMN} must be succeeded or failed, got {}",
                                input::excerpt(other)
                            ),
                        ));
                    }
                };
                Some(RecordedRun {
                    duration: SimDuration::from_millis(took.as_millis()),
                    failed,
                })
            }
            None => None,
        };
        rows.push((at, recorded));
    }
    // Time order; runs at the same instant keep their file order, so run k
    // of the flow takes the k-th recorded duration.
    rows.sort_by_key(|(at, _)| *at);
    let recorded = duration.map(|_| rows.iter().filter_map(|(_, r)| *r).collect());
    Ok(Trace {
        times: rows.into_iter().map(|(at, _)| at).collect(),
        recorded,
    })
}

/// A field of seconds (decimals allowed) as an instant: 0 or more, at most
/// 1000 years.
fn seconds(field: &str, column: &str) -> Result<SimTime, String> {
    let value: f64 = field.parse().map_err(|_| {
        format!(
            "{column} must be a number of seconds, got {}",
            input::excerpt(field)
        )
    })?;
    if !value.is_finite() || value < 0.0 {
        return Err(format!(
            "{column} must be 0 or more, got {}",
            input::excerpt(field)
        ));
    }
    let ms = (value * 1000.0).round();
    if ms > MAX_DURATION.as_millis() as f64 {
        return Err(format!(
            "{column} is more than 1000 years, got {}",
            input::excerpt(field)
        ));
    }
    Ok(SimTime::from_millis(ms as u64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn trace(content: &str) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().expect("temp file");
        f.write_all(content.as_bytes()).expect("write");
        f
    }

    #[test]
    fn reads_seconds_with_decimals() {
        let f = trace("id,arrival_s\n1,0\n2,1.5\n3, 7200\n");
        let trace = load(f.path(), 100).expect("valid");
        assert_eq!(
            trace
                .times
                .iter()
                .map(|t| t.as_millis())
                .collect::<Vec<_>>(),
            vec![0, 1_500, 7_200_000]
        );
        assert_eq!(trace.recorded, None);
    }

    #[test]
    fn recorded_durations_and_outcomes_follow_their_runs_into_time_order() {
        let f = trace(
            "arrival_s,duration_s,outcome\n60,30,succeeded\n0,600.5,failed\n60,10,succeeded\n",
        );
        let t = load(f.path(), 100).expect("valid");
        assert_eq!(
            t.times.iter().map(|t| t.as_millis()).collect::<Vec<_>>(),
            vec![0, 60_000, 60_000]
        );
        let runs = t.recorded.expect("recorded");
        let got: Vec<(u64, bool)> = runs
            .iter()
            .map(|r| (r.duration.as_millis(), r.failed))
            .collect();
        // The two runs at 60 s keep their file order.
        assert_eq!(got, vec![(600_500, true), (30_000, false), (10_000, false)]);
        let bad = trace("arrival_s,duration_s,outcome\n1,2,cancelled\n");
        let e = load(bad.path(), 100).expect_err("unknown outcome");
        assert_eq!(e.line, Some(2));
        assert!(e.message.contains("succeeded or failed"), "{}", e.message);
        let alone = trace("arrival_s,outcome\n1,failed\n");
        assert!(load(alone.path(), 100).is_err(), "outcome without duration");
        let missing = trace("arrival_s,duration_s\n1,\n");
        assert_eq!(load(missing.path(), 100).expect_err("empty").line, Some(2));
    }

    #[test]
    fn reports_the_line_of_a_bad_value() {
        let f = trace("arrival_s\n1\n2\nsoon\n");
        let e = load(f.path(), 100).expect_err("bad row");
        assert_eq!(e.line, Some(4));
        assert!(e.message.contains("\"soon\""), "{}", e.message);
        let e = load(trace("arrival_s\n-1\n").path(), 100).expect_err("negative");
        assert_eq!(e.line, Some(2));
        let e = load(trace("arrival_s\n1\n2\n3\n").path(), 2).expect_err("too many");
        assert!(e.message.contains("more than 2 rows"), "{}", e.message);
    }

    #[test]
    fn a_file_that_is_not_a_trace_is_not_quoted() {
        for content in [
            "time\n1\n",
            "aws_secret_access_key=AKIA123\n",
            "\u{0}\u{ff}binary",
        ] {
            let e = load(trace(content).path(), 100).expect_err("not a trace");
            assert_eq!(e.line, Some(1));
            assert!(e.message.starts_with("not a trace file"), "{}", e.message);
            assert!(!e.message.contains("AKIA") && !e.message.contains("time"));
        }
        let e = load(Path::new("/dev/zero"), 100).expect_err("a device");
        assert!(e.message.contains("not a regular file"), "{}", e.message);
    }
}
