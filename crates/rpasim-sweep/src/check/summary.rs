//! Summaries as `rpasim check` reads them: a `summary.csv` or a
//! `sweep-summary.csv`, every value validated and every problem named by
//! file, line and column. Nothing is read as 0 or skipped: a check must
//! never pass because its input was not what it seemed.

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;
use std::fs;
use std::io::Read;
use std::path::Path;

use rpasim_scenario::input::{csv_line, csv_problem, excerpt};

use crate::SweepError;

/// The largest summary read (a sweep summary of 100,000 variants is ~50 MB).
pub const MAX_SUMMARY_BYTES: u64 = 256 << 20;

/// The last columns of `sweep-summary.csv`, after `variant` and the keys.
pub const SWEEP_COLUMNS: [&str; 6] = ["target", "metric", "n", "mean", "sd", "ci95_half_width"];

/// A metric's value in a summary cell.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value {
    /// No value: no run started (`wait_*`), no arrival (shares), no
    /// replication with a value (sweeps).
    Empty,
    /// A finite number (never negative, never NaN).
    Finite(f64),
    /// Infinite: more than that share of the runs never started (`start_*`).
    Infinite,
}

impl Value {
    /// The number, if finite.
    pub fn finite(self) -> Option<f64> {
        match self {
            Value::Finite(x) => Some(x),
            _ => None,
        }
    }
}

/// Figures of a pool of bots: a target's, empty in a flow's row.
pub use rpasim_report::summary::POOL_COLUMNS as POOL_METRICS;

/// Whether a metric's cell may be empty: statistics over started runs,
/// shares (of nothing, without arrivals), times to start, the cost
/// (without prices); in a flow's row, the pool figures.
fn may_be_empty(kind: Kind, metric: &str) -> bool {
    metric.starts_with("wait_")
        || metric.ends_with("_share")
        || metric.starts_with("start_")
        || metric == "cost"
        || (kind == Kind::Flows && POOL_METRICS.contains(&metric))
}

/// Whether a metric may be infinite: the times to start over every arrival.
fn may_be_infinite(metric: &str) -> bool {
    metric.starts_with("start_p")
}

/// What kind of summary a file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A run's `summary.csv`: a row per target.
    Run,
    /// A run's `summary-flows.csv`: a row per flow.
    Flows,
    /// A sweep's `sweep-summary.csv`: a row per variant, target and metric.
    Sweep,
}

/// A summary file, read and checked for its shape.
#[derive(Debug, Clone)]
pub struct SummaryFile {
    /// What it is called in messages (its path).
    pub origin: String,
    /// Its kind.
    pub kind: Kind,
    /// Column names.
    pub header: Vec<String>,
    /// Rows with their line in the file.
    pub rows: Rows,
}

impl SummaryFile {
    /// Reads a summary file: a regular file (not a FIFO or a device), of
    /// bounded size, CSV with a summary's header and at least one row.
    pub fn read(path: &Path) -> Result<Self, SweepError> {
        let origin = path.display().to_string();
        let invalid = |m: String| SweepError::Invalid(format!("{origin}: {m}"));
        let meta = fs::metadata(path).map_err(|e| invalid(format!("cannot read it: {e}")))?;
        if !meta.is_file() {
            return Err(invalid(
                "not a regular file (a summary.csv or sweep-summary.csv is needed)".into(),
            ));
        }
        if meta.len() > MAX_SUMMARY_BYTES {
            return Err(invalid(format!(
                "{} bytes is more than a summary holds (at most {MAX_SUMMARY_BYTES})",
                meta.len()
            )));
        }
        let mut bytes = Vec::new();
        fs::File::open(path)
            .and_then(|f| f.take(MAX_SUMMARY_BYTES + 1).read_to_end(&mut bytes))
            .map_err(|e| invalid(format!("cannot read it: {e}")))?;
        Self::parse(&bytes, origin)
    }

    /// Parses summary bytes; `origin` names them in messages.
    pub fn parse(bytes: &[u8], origin: String) -> Result<Self, SweepError> {
        let invalid = |m: String| SweepError::Invalid(format!("{origin}: {m}"));
        // Rows keeps where cells end in 32 bits (a file is at most 256 MB;
        // a summary given as bytes is bounded here).
        if u32::try_from(bytes.len()).is_err() {
            return Err(invalid(format!(
                "{} bytes is more than a summary holds",
                bytes.len()
            )));
        }
        let mut reader = csv::ReaderBuilder::new().from_reader(bytes);
        let header: Vec<String> = reader
            .headers()
            .map_err(|e| invalid(format!("line 1: not CSV ({})", csv_problem(&e))))?
            .iter()
            .map(str::to_string)
            .collect();
        let kind = kind_of(&header).ok_or_else(|| {
            invalid(
                "not a summary.csv, summary-flows.csv or sweep-summary.csv: its first line is not \
                 their header (\"target,arrivals,...\", \"flow,target,arrivals,...\" or \
                 \"variant,...,target,metric,n,mean,sd,ci95_half_width\")"
                    .into(),
            )
        })?;
        // The line a record starts on, from the csv crate's count there
        // and the bytes after it (see `csv_line`: Windows line ends).
        let line_at = |p: Option<&csv::Position>| {
            p.map_or(0, |p| {
                let after = bytes.get(p.byte() as usize..).unwrap_or_default();
                csv_line(p.line(), after.iter().copied())
            })
        };
        let mut rows = Rows::default();
        for record in reader.records() {
            let record = record.map_err(|e| {
                let line = line_at(e.position());
                invalid(format!("line {line}: {}", csv_problem(&e)))
            })?;
            let line = line_at(record.position());
            rows.push(line, &record);
        }
        if rows.is_empty() {
            return Err(invalid(
                "has no rows: a summary has a row per target (and `all`); nothing to compare"
                    .into(),
            ));
        }
        Ok(SummaryFile {
            origin,
            kind,
            header,
            rows,
        })
    }

    /// The index of a column.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }

    /// A problem at a line and column of this file (exit status 2).
    pub fn problem(&self, line: u64, column: &str, message: impl std::fmt::Display) -> SweepError {
        SweepError::Invalid(format!(
            "{}: line {line}, column {column}: {message}",
            self.origin
        ))
    }

    /// The value of `metric` in cell `column` of a row (at `line`),
    /// validated.
    pub fn value(
        &self,
        line: u64,
        row: &Row<'_>,
        column: usize,
        metric: &str,
    ) -> Result<Value, SweepError> {
        let name = self.header.get(column).map_or(metric, String::as_str);
        let cell = row.get(column).map_or("", |c| c.trim());
        let bad = |m: String| self.problem(line, name, m);
        if cell.is_empty() {
            return if may_be_empty(self.kind, metric) {
                Ok(Value::Empty)
            } else {
                Err(bad(format!("empty, but {metric} needs a number")))
            };
        }
        if cell == "inf" {
            return if may_be_infinite(metric) {
                Ok(Value::Infinite)
            } else {
                Err(bad(format!("inf is not a value {metric} can have")))
            };
        }
        let x: f64 = cell
            .parse()
            .map_err(|_| bad(format!("{} is not a number", excerpt(cell))))?;
        if x.is_nan() {
            return Err(bad("NaN is not a value".into()));
        }
        if !x.is_finite() {
            return Err(bad(format!(
                "{} is not a finite number (only start_p* may be \"inf\")",
                excerpt(cell)
            )));
        }
        if x < 0.0 {
            return Err(bad(format!("{x} is negative; no summary metric is")));
        }
        Ok(Value::Finite(x))
    }

    /// What a row is named by: `target`, or `flow` in `summary-flows.csv`.
    pub fn row_kind(&self) -> &'static str {
        match self.kind {
            Kind::Flows => "flow",
            _ => "target",
        }
    }

    /// Every row of a run summary (or a flows summary) by its name,
    /// refusing duplicates.
    pub fn by_target(&self) -> Result<BTreeMap<&str, (u64, Row<'_>)>, SweepError> {
        let what = self.row_kind();
        let mut out = BTreeMap::new();
        for (line, row) in self.rows.iter() {
            let name = row.get(0).unwrap_or_default();
            if name.is_empty() {
                return Err(self.problem(line, what, format!("empty {what} name")));
            }
            if let Some((first, _)) = out.insert(name, (line, row)) {
                return Err(self.problem(
                    line,
                    what,
                    format!("{what} {name:?} appears twice (also line {first})"),
                ));
            }
        }
        Ok(out)
    }

    /// Checks every cell of every known metric column (for a summary
    /// about to become a baseline).
    pub fn validate(&self) -> Result<(), SweepError> {
        match self.kind {
            Kind::Run | Kind::Flows => {
                self.by_target()?;
                // Metrics start after the name (and a flow's target).
                let first = if self.kind == Kind::Flows { 2 } else { 1 };
                for (line, row) in self.rows.iter() {
                    for (c, metric) in self.header.iter().enumerate().skip(first) {
                        self.value(line, &row, c, metric)?;
                    }
                }
            }
            Kind::Sweep => {
                self.sweep_rows()?;
            }
        }
        Ok(())
    }

    /// Every row of a sweep summary by (varied values and target, metric),
    /// validated (n, mean, sd), refusing duplicates; the names borrowed
    /// from the rows.
    pub fn sweep_rows(&self) -> Result<BTreeMap<SweepKey<'_>, SweepRow>, SweepError> {
        let at = |name: &str| self.column(name).unwrap_or(0);
        let (metric_col, n_col, mean_col, sd_col) = (at("metric"), at("n"), at("mean"), at("sd"));
        let mut out = BTreeMap::new();
        for (line, row) in self.rows.iter() {
            let row = &row;
            let label: Vec<&str> = (1..metric_col).filter_map(|c| row.get(c)).collect();
            let metric = row.get(metric_col).unwrap_or_default();
            if metric.is_empty() {
                return Err(self.problem(line, "metric", "empty metric name"));
            }
            let n_cell = row.get(n_col).map_or("", |c| c.trim());
            let n: u64 = n_cell.parse().map_err(|_| {
                self.problem(
                    line,
                    "n",
                    format!("{} is not a count of replications", excerpt(n_cell)),
                )
            })?;
            let mean = self.value(line, row, mean_col, metric)?;
            match (n, mean) {
                (0, Value::Empty) => {}
                (0, _) => {
                    return Err(self.problem(line, "n", "a mean over no replication (n < 1)"));
                }
                (_, Value::Empty) => {
                    return Err(self.problem(line, "mean", "empty, with n replications"));
                }
                _ => {}
            }
            let sd = match row.get(sd_col).map_or("", |c| c.trim()) {
                "" => None,
                _ => self.value(line, row, sd_col, "sd")?.finite(),
            };
            match out.entry((label, metric)) {
                Entry::Vacant(slot) => {
                    slot.insert(SweepRow { line, n, mean, sd });
                }
                Entry::Occupied(first) => {
                    return Err(self.problem(
                        line,
                        "metric",
                        format!(
                            "{metric} of ({}) appears twice (also line {})",
                            first.key().0.join(", "),
                            first.get().line
                        ),
                    ));
                }
            }
        }
        Ok(out)
    }
}

/// A summary's rows: every cell end to end in one buffer, each cell's end
/// kept in 32 bits (`SummaryFile::parse` refuses 4 GB or more). A sweep summary of
/// 10,000 targets is 1.6 million rows: a string a cell took 2.3 GB to
/// check two of them, a record a row 1.5 GB.
#[derive(Debug, Clone, Default)]
pub struct Rows {
    text: String,
    /// Where each cell ends in `text`.
    ends: Vec<u32>,
    /// Each row's line in the file, and where its cells start in `ends`.
    rows: Vec<(u64, u32)>,
}

impl Rows {
    /// Adds the row read at `line`.
    fn push(&mut self, line: u64, record: &csv::StringRecord) {
        self.rows.push((line, self.ends.len() as u32));
        for cell in record {
            self.text.push_str(cell);
            self.ends.push(self.text.len() as u32);
        }
    }

    /// How many rows.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Row `i` and its line.
    pub fn get(&self, i: usize) -> Option<(u64, Row<'_>)> {
        let (line, first) = *self.rows.get(i)?;
        let last = self
            .rows
            .get(i + 1)
            .map_or(self.ends.len(), |r| r.1 as usize);
        let start = match first {
            0 => 0,
            _ => self.ends[first as usize - 1] as usize,
        };
        let ends = &self.ends[first as usize..last];
        Some((
            line,
            Row {
                text: &self.text,
                start,
                ends,
            },
        ))
    }

    /// The rows in file order, each with its line.
    pub fn iter(&self) -> impl Iterator<Item = (u64, Row<'_>)> {
        (0..self.len()).filter_map(|i| self.get(i))
    }
}

/// One row of a summary: its cells.
#[derive(Debug, Clone, Copy)]
pub struct Row<'a> {
    text: &'a str,
    /// Where its first cell starts in `text`.
    start: usize,
    /// Where each of its cells ends in `text`.
    ends: &'a [u32],
}

impl<'a> Row<'a> {
    /// Cell `i`, if the row has it.
    pub fn get(&self, i: usize) -> Option<&'a str> {
        let end = *self.ends.get(i)? as usize;
        let start = match i {
            0 => self.start,
            _ => self.ends[i - 1] as usize,
        };
        self.text.get(start..end)
    }
}

/// What a sweep summary's row is found by: its varied values and target,
/// and its metric.
pub type SweepKey<'a> = (Vec<&'a str>, &'a str);

/// One validated row of a sweep summary.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepRow {
    /// Its line in the file.
    pub line: u64,
    /// Replications with a value.
    pub n: u64,
    /// Their mean.
    pub mean: Value,
    /// Their standard deviation (none for one replication).
    pub sd: Option<f64>,
}

/// What a header says a summary is.
fn kind_of(header: &[String]) -> Option<Kind> {
    let is = |i: usize, name: &str| header.get(i).is_some_and(|h| h == name);
    if is(0, "target") && is(1, "arrivals") {
        return Some(Kind::Run);
    }
    if is(0, "flow") && is(1, "target") && is(2, "arrivals") {
        return Some(Kind::Flows);
    }
    let n = header.len();
    let tail_matches = n > SWEEP_COLUMNS.len()
        && header[n - SWEEP_COLUMNS.len()..]
            .iter()
            .zip(SWEEP_COLUMNS)
            .all(|(h, c)| h == c);
    (is(0, "variant") && tail_matches).then_some(Kind::Sweep)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<SummaryFile, SweepError> {
        SummaryFile::parse(text.as_bytes(), "s.csv".into())
    }

    fn message(r: Result<impl std::fmt::Debug, SweepError>) -> String {
        match r {
            Err(SweepError::Invalid(m)) => m,
            other => panic!("expected exit 2, got {other:?}"),
        }
    }

    #[test]
    fn shapes_that_are_not_summaries_are_refused() {
        assert!(message(parse("")).contains("not a summary.csv"));
        assert!(message(parse("password=hunter2\n")).contains("not a summary.csv"));
        assert!(!message(parse("password=hunter2\n")).contains("hunter2"));
        assert!(message(parse("target,arrivals,wait_p95_s\n")).contains("no rows"));
        assert!(message(parse("target,arrivals\nall,1,2\n")).contains("line 2"));
    }

    #[test]
    fn rows_keep_their_cells_and_lines() {
        let s = parse("target,arrivals\n\"a,b\",1\n\n\"\",22\nlast,\n").expect("shape");
        assert_eq!(s.rows.len(), 3);
        let cells = |i: usize| {
            let (line, row) = s.rows.get(i).expect("a row");
            (line, (0..3).map(|c| row.get(c)).collect::<Vec<_>>())
        };
        assert_eq!(cells(0), (2, vec![Some("a,b"), Some("1"), None]));
        assert_eq!(cells(1), (4, vec![Some(""), Some("22"), None]));
        assert_eq!(cells(2), (5, vec![Some("last"), Some(""), None]));
        assert!(s.rows.get(3).is_none());
        assert_eq!(
            s.rows.iter().map(|(line, _)| line).collect::<Vec<_>>(),
            [2, 4, 5]
        );
    }

    #[test]
    fn cells_are_validated_with_their_location() {
        let s = parse("target,arrivals,wait_p95_s,start_p95_s\nall,10,,inf\nx,NaN,-1,1e999\n")
            .expect("shape");
        let (line, row) = s.rows.get(0).expect("a row");
        assert_eq!(
            s.value(line, &row, 2, "wait_p95_s").expect("ok"),
            Value::Empty
        );
        assert_eq!(
            s.value(line, &row, 3, "start_p95_s").expect("ok"),
            Value::Infinite
        );
        let (line, row) = s.rows.get(1).expect("a row");
        let m = message(s.value(line, &row, 1, "arrivals"));
        assert!(m.contains("s.csv: line 3, column arrivals: NaN"), "{m}");
        assert!(message(s.value(line, &row, 2, "wait_p95_s")).contains("negative"));
        assert!(message(s.value(line, &row, 3, "start_p95_s")).contains("not a finite"));
        let s = parse("target,arrivals\nall,\nall,3\n").expect("shape");
        let (_, first) = s.rows.get(0).expect("a row");
        assert!(message(s.value(2, &first, 1, "arrivals")).contains("empty"));
        assert!(message(s.by_target()).contains("appears twice (also line 2)"));
    }

    #[test]
    fn sweep_rows_need_replications_and_a_sane_deviation() {
        let head = "variant,k,target,metric,n,mean,sd,ci95_half_width\n";
        let ok = parse(&format!(
            "{head}0,1,all,wait_p95_s,3,10,1,2\n0,1,all,wait_max_s,0,,,\n"
        ))
        .expect("shape");
        assert_eq!(ok.sweep_rows().expect("valid").len(), 2);
        for (row, says) in [
            ("0,1,all,wait_p95_s,0,10,1,2", "n < 1"),
            ("0,1,all,wait_p95_s,-1,10,1,2", "not a count"),
            ("0,1,all,wait_p95_s,3,NaN,1,2", "NaN"),
            ("0,1,all,wait_p95_s,3,10,-1,2", "negative"),
            ("0,1,all,wait_p95_s,3,,1,2", "empty, with n"),
        ] {
            let s = parse(&format!("{head}{row}\n")).expect("shape");
            assert!(message(s.sweep_rows()).contains(says), "{row}");
        }
        let dup = parse(&format!("{head}0,1,all,m,2,1,0,0\n0,1,all,m,2,1,0,0\n")).expect("shape");
        assert!(message(dup.sweep_rows()).contains("appears twice"));
    }
}
