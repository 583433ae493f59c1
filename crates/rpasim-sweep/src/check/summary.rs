//! Summaries as `rpasim check` reads them: a `summary.csv` or a
//! `sweep-summary.csv`, every value validated and every problem named by
//! file, line and column. Nothing is read as 0 or skipped: a check must
//! never pass because its input was not what it seemed.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs;
use std::hash::Hasher;
use std::io::Read;
use std::path::Path;

use siphasher::sip::SipHasher13;

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

/// Whether a metric counts runs (arrivals, outcomes, starts, cold
/// starts): a whole number in a run's summary (a sweep's mean of it need
/// not be).
fn is_count(metric: &str) -> bool {
    matches!(
        metric,
        "arrivals" | "started" | "not_started" | "cold_starts"
    ) || rpasim_core::run::Outcome::from_name(metric).is_some()
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

impl Kind {
    /// The file a summary of this kind is.
    pub fn file(self) -> &'static str {
        match self {
            Kind::Run => "summary.csv",
            Kind::Flows => "summary-flows.csv",
            Kind::Sweep => "sweep-summary.csv",
        }
    }
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
        if path == Path::new("-") {
            return Err(invalid(rpasim_scenario::input::from_standard_input(
                "a summary",
            )));
        }
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
        if let Some(problem) = foreign_column(kind, &header) {
            return Err(invalid(format!(
                "line 1: {problem}: not a summary as rpasim writes it (edited since, or \
                 another tool's)"
            )));
        }
        // The line a record starts on, from the csv crate's count there
        // and the bytes after it (see `csv_line`: Windows line ends).
        let line_at = |p: Option<&csv::Position>| {
            p.map_or(0, |p| {
                let after = bytes.get(p.byte() as usize..).unwrap_or_default();
                csv_line(p.line(), after.iter().copied())
            })
        };
        let mut rows = Rows::for_bytes(bytes, header.len());
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
        if metric.ends_with("_share") && x > 1.0 {
            return Err(bad(format!("{x} is more than 1; {metric} is a share")));
        }
        if self.kind != Kind::Sweep && is_count(metric) && x.fract() != 0.0 {
            return Err(bad(format!(
                "{x} is not a whole number; {metric} counts runs"
            )));
        }
        Ok(Value::Finite(x))
    }

    /// Whether no run arrived at all: every row's `arrivals` is 0 (in a
    /// sweep summary, every `arrivals` mean), and there is at least one.
    /// Rows whose value does not read are left to the comparison, which
    /// tells them.
    pub fn without_arrivals(&self) -> bool {
        // A sweep's `arrivals` rows hold the count in `mean`.
        let (metric, count) = match self.kind {
            Kind::Sweep => (self.column("metric"), self.column("mean")),
            Kind::Run | Kind::Flows => (None, self.column("arrivals")),
        };
        let arrivals = |row: &Row<'_>| -> Option<f64> {
            if let Some(m) = metric
                && row.get(m)? != "arrivals"
            {
                return None;
            }
            row.get(count?)?.trim().parse().ok()
        };
        let mut counts = self.rows.iter().filter_map(|(_, row)| arrivals(&row));
        counts.next().is_some_and(|first| first == 0.0) && counts.all(|n| n == 0.0)
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
                self.validate_metrics()?;
            }
            Kind::Sweep => {
                self.sweep_index()?;
            }
        }
        Ok(())
    }

    /// The first column of a run summary's metrics: after the row's name
    /// (and a flow's target).
    pub fn first_metric_column(&self) -> usize {
        if self.kind == Kind::Flows { 2 } else { 1 }
    }

    /// Checks every cell of a run summary's metric columns, row by row.
    pub fn validate_metrics(&self) -> Result<(), SweepError> {
        for (line, row) in self.rows.iter() {
            let metrics = self.header.iter().enumerate();
            for (c, metric) in metrics.skip(self.first_metric_column()) {
                self.value(line, &row, c, metric)?;
            }
        }
        Ok(())
    }

    /// Every row of a sweep summary validated (n, mean, sd) and indexed
    /// by (varied values and target, metric), refusing duplicates. The
    /// first problem in file order is reported, as a reading row by row
    /// would find it.
    pub fn sweep_index(&self) -> Result<SweepIndex<'_>, SweepError> {
        self.sweep_index_hashed(u64::MAX)
    }

    /// [`Self::sweep_index`] with hashes cut to the bits of `mask` (tests
    /// make them collide).
    fn sweep_index_hashed(&self, mask: u64) -> Result<SweepIndex<'_>, SweepError> {
        let columns = SweepColumns::of(self);
        // Validated in file order, up to the first bad row.
        let mut bad = None;
        let mut valid = 0;
        let mut variants = Variants::default();
        for (line, row) in self.rows.iter() {
            let checked = self
                .sweep_row(line, &row, &columns)
                .and_then(|_| variants.check(self, line, &row, columns.metric - 1));
            if let Err(e) = checked {
                bad = Some(e);
                break;
            }
            valid += 1;
        }
        let index = SweepIndex::of(self, columns, valid, mask);
        // A duplicate among the rows before the bad one is met first.
        if let Some((first, again)) = index.earliest_duplicate() {
            let (line, row) = self.rows.get(again).unwrap_or_default();
            let first_line = self.rows.get(first).map_or(0, |(l, _)| l);
            let label: Vec<&str> = index.label(&row).collect();
            return Err(self.problem(
                line,
                "metric",
                format!(
                    "{} of ({}) appears twice (also line {first_line})",
                    index.metric(&row),
                    label.join(", "),
                ),
            ));
        }
        match bad {
            Some(e) => Err(e),
            None => Ok(index),
        }
    }

    /// One row of a sweep summary, validated.
    fn sweep_row(
        &self,
        line: u64,
        row: &Row<'_>,
        columns: &SweepColumns,
    ) -> Result<SweepRow, SweepError> {
        let metric = row.get(columns.metric).unwrap_or_default();
        if metric.is_empty() {
            return Err(self.problem(line, "metric", "empty metric name"));
        }
        // A misspelt metric the check need not read passed, the row of the
        // metric it replaced missing from this side unseen.
        if !rpasim_report::summary::HEADER[1..].contains(&metric) {
            return Err(self.problem(
                line,
                "metric",
                format!("{} is not a metric rpasim summarizes", excerpt(metric)),
            ));
        }
        let n_cell = row.get(columns.n).map_or("", |c| c.trim());
        let n: u64 = n_cell.parse().map_err(|_| {
            self.problem(
                line,
                "n",
                format!("{} is not a count of replications", excerpt(n_cell)),
            )
        })?;
        let mean = self.value(line, row, columns.mean, metric)?;
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
        let sd = match row.get(columns.sd).map_or("", |c| c.trim()) {
            "" => None,
            _ => self.value(line, row, columns.sd, "sd")?.finite(),
        };
        // Not compared, but a summary's every cell is validated: a
        // misspelt half-width or variant passed.
        if !row.get(columns.ci).map_or("", |c| c.trim()).is_empty() {
            self.value(line, row, columns.ci, "ci95_half_width")?;
        }
        let variant = row.get(0).map_or("", |c| c.trim());
        if variant.parse::<u64>().is_err() {
            return Err(self.problem(
                line,
                "variant",
                format!("{} is not a variant's number", excerpt(variant)),
            ));
        }
        Ok(SweepRow { line, n, mean, sd })
    }
}

/// The variants of a sweep summary met so far: a variant's number goes
/// with one set of varied values, and they with it, in every row (an
/// edited number passed, read nowhere).
#[derive(Debug, Default)]
struct Variants<'a> {
    /// Each variant's varied values, with the line that first gave them.
    values: HashMap<&'a str, (u64, Vec<&'a str>)>,
    /// Each set of varied values' variant.
    numbers: HashMap<Vec<&'a str>, &'a str>,
}

impl<'a> Variants<'a> {
    /// Checks a row's variant (cell 0) against its varied values (the
    /// cells before `target`), and remembers them.
    fn check(
        &mut self,
        file: &SummaryFile,
        line: u64,
        row: &Row<'a>,
        target: usize,
    ) -> Result<(), SweepError> {
        let variant = row.get(0).unwrap_or_default().trim();
        let cells = || (1..target).filter_map(|c| row.get(c));
        let joined = |v: &[&str]| v.iter().map(|c| excerpt(c)).collect::<Vec<_>>().join(", ");
        if let Some((first, known)) = self.values.get(variant) {
            // Most rows: compared cell by cell, nothing collected.
            if known.iter().copied().eq(cells()) {
                return Ok(());
            }
            let values: Vec<&str> = cells().collect();
            return Err(file.problem(
                line,
                "variant",
                format!(
                    "variant {variant} is ({}) here but ({}) on line {first}",
                    joined(&values),
                    joined(known)
                ),
            ));
        }
        let values: Vec<&str> = cells().collect();
        if let Some(other) = self.numbers.get(&values) {
            return Err(file.problem(
                line,
                "variant",
                format!(
                    "variant {variant} has the varied values of variant {other} ({})",
                    joined(&values)
                ),
            ));
        }
        self.numbers.insert(values.clone(), variant);
        self.values.insert(variant, (line, values));
        Ok(())
    }
}

/// Where a sweep summary's named columns are.
#[derive(Debug, Clone, Copy)]
struct SweepColumns {
    metric: usize,
    n: usize,
    mean: usize,
    sd: usize,
    ci: usize,
}

impl SweepColumns {
    fn of(file: &SummaryFile) -> Self {
        let at = |name: &str| file.column(name).unwrap_or(0);
        SweepColumns {
            metric: at("metric"),
            n: at("n"),
            mean: at("mean"),
            sd: at("sd"),
            ci: at("ci95_half_width"),
        }
    }
}

/// A sweep summary's rows indexed by a hash of their keys (varied values
/// and target, then metric), equal keys confirmed cell by cell. Sixteen
/// bytes a row where a map of keys took about 150, and a key is hashed
/// once where a map or a sorted index compared its cells at every step of
/// a look-up; the values are read again, validated, when a row is asked
/// for.
#[derive(Debug)]
pub struct SweepIndex<'a> {
    file: &'a SummaryFile,
    columns: SweepColumns,
    /// Each key's hash and row number, in that order (the first of equal
    /// keys first).
    hashes: Vec<(u64, u32)>,
    /// The bits of a hash kept: all but in tests.
    mask: u64,
}

impl<'a> SweepIndex<'a> {
    /// The first `rows` rows of `file`, indexed.
    fn of(file: &'a SummaryFile, columns: SweepColumns, rows: usize, mask: u64) -> Self {
        let mut index = SweepIndex {
            file,
            columns,
            hashes: Vec::with_capacity(rows),
            mask,
        };
        for i in 0..rows {
            let hash = index.hash(&index.row_at(i)) & mask;
            index.hashes.push((hash, i as u32));
        }
        index.hashes.sort_unstable();
        index
    }

    fn row_at(&self, i: usize) -> Row<'a> {
        self.file.rows.get(i).unwrap_or_default().1
    }

    /// A row's varied values and target: the cells before its metric.
    pub fn label<'r>(&self, row: &Row<'r>) -> impl Iterator<Item = &'r str> + Clone {
        let row = *row;
        (1..self.columns.metric).filter_map(move |c| row.get(c))
    }

    /// A row's metric.
    pub fn metric<'r>(&self, row: &Row<'r>) -> &'r str {
        row.get(self.columns.metric).unwrap_or_default()
    }

    /// The hash of a row's key: the same for equal keys of any two
    /// summaries (a byte UTF-8 never has ends each cell).
    fn hash(&self, row: &Row<'_>) -> u64 {
        let mut hasher = SipHasher13::new_with_keys(0, 0);
        for cell in self.label(row).chain([self.metric(row)]) {
            hasher.write(cell.as_bytes());
            hasher.write_u8(0xff);
        }
        hasher.finish()
    }

    /// How a row of this summary orders against a row of `other`'s, by
    /// label, then metric.
    pub fn key_order(&self, row: &Row<'_>, other: &SweepIndex<'_>, theirs: &Row<'_>) -> Ordering {
        self.label(row)
            .cmp(other.label(theirs))
            .then_with(|| self.metric(row).cmp(other.metric(theirs)))
    }

    /// The first row whose key an earlier row has, with the first such
    /// row: (first, again), as row numbers.
    fn earliest_duplicate(&self) -> Option<(usize, usize)> {
        let same = |a: u32, b: u32| {
            let (a, b) = (self.row_at(a as usize), self.row_at(b as usize));
            self.key_order(&a, self, &b) == Ordering::Equal
        };
        // Rows of one hash are together, by row number; almost always
        // alone, else compared pair by pair.
        self.hashes
            .chunk_by(|a, b| a.0 == b.0)
            .filter(|run| run.len() > 1)
            .flat_map(|run| {
                run.iter()
                    .enumerate()
                    .skip(1)
                    .filter_map(move |(k, &(_, again))| {
                        let first = run[..k].iter().find(|&&(_, first)| same(first, again))?;
                        Some((first.1 as usize, again as usize))
                    })
            })
            .min_by_key(|&(_, again)| again)
    }

    /// The number of the row of this summary with the key of `theirs`, a
    /// row of `other`'s; row `hint` is tried first (summaries written by
    /// rpasim have their rows in the same order).
    pub fn find(&self, other: &SweepIndex<'_>, theirs: &Row<'_>, hint: usize) -> Option<usize> {
        let equal = |i: usize| self.key_order(&self.row_at(i), other, theirs) == Ordering::Equal;
        if hint < self.hashes.len() && equal(hint) {
            return Some(hint);
        }
        let hash = other.hash(theirs) & self.mask;
        let from = self.hashes.partition_point(|&(h, _)| h < hash);
        self.hashes[from..]
            .iter()
            .take_while(|&&(h, _)| h == hash)
            .map(|&(_, i)| i as usize)
            .find(|&i| equal(i))
    }

    /// Every row's varied values and target, each once, in order. Rows of
    /// one label come together (a sweep summary lists a variant's target's
    /// metrics in a run), so a label is looked up in the set only where it
    /// changes: thousands of labels for millions of rows.
    pub fn labels(&self) -> BTreeSet<Vec<&'a str>> {
        let mut labels = BTreeSet::new();
        let mut last: Option<Row<'a>> = None;
        for i in 0..self.len() {
            let row = self.row_at(i);
            if last.is_some_and(|l| self.label(&l).eq(self.label(&row))) {
                continue;
            }
            labels.insert(self.label(&row).collect());
            last = Some(row);
        }
        labels
    }

    /// Whether any row is of `metric`.
    pub fn has_metric(&self, metric: &str) -> bool {
        self.file
            .rows
            .iter()
            .any(|(_, row)| self.metric(&row) == metric)
    }

    /// Every row with its number and values, in file order.
    pub fn in_file_order(&self) -> impl Iterator<Item = (usize, Row<'a>, SweepRow)> + '_ {
        (0..self.len()).filter_map(|i| Some((i, self.row_at(i), self.validated(i)?)))
    }

    /// Row `i`, validated (it was when indexed).
    pub fn validated(&self, i: usize) -> Option<SweepRow> {
        let (line, row) = self.file.rows.get(i)?;
        self.file.sweep_row(line, &row, &self.columns).ok()
    }

    /// How many rows.
    pub fn len(&self) -> usize {
        self.hashes.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.hashes.is_empty()
    }
}

/// A summary's rows: every cell end to end in one buffer, each cell's end
/// kept in 32 bits (`SummaryFile::parse` refuses 4 GB or more), every row
/// as wide as the header (the csv crate refuses a row that is not). A
/// sweep summary of 10,000 targets is 1.6 million rows: a string a cell
/// took 2.3 GB to check two of them, a record a row 1.5 GB.
#[derive(Debug, Clone, Default)]
pub struct Rows {
    text: String,
    /// Where each cell ends in `text`.
    ends: Vec<u32>,
    /// Each row's line in the file.
    lines: Vec<u32>,
    /// Cells a row.
    width: usize,
}

impl Rows {
    /// No rows yet, of `width` cells, room made for those of `bytes`:
    /// cells are no longer than the bytes, and a cell takes at least its
    /// separator.
    fn for_bytes(bytes: &[u8], width: usize) -> Self {
        let lines = bytes.iter().filter(|&&b| b == b'\n').count() + 1;
        Rows {
            text: String::with_capacity(bytes.len()),
            ends: Vec::with_capacity(lines.saturating_mul(width).min(bytes.len() + 1)),
            lines: Vec::with_capacity(lines),
            width,
        }
    }

    /// Adds the row read at `line`, as wide as the others.
    fn push(&mut self, line: u64, record: &csv::StringRecord) {
        self.lines.push(u32::try_from(line).unwrap_or(u32::MAX));
        let mut cells = record.iter();
        for _ in 0..self.width {
            self.text.push_str(cells.next().unwrap_or_default());
            self.ends.push(self.text.len() as u32);
        }
    }

    /// How many rows.
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// Row `i` and its line.
    pub fn get(&self, i: usize) -> Option<(u64, Row<'_>)> {
        let line = *self.lines.get(i)?;
        let first = i * self.width;
        let start = match first {
            0 => 0,
            _ => self.ends[first - 1] as usize,
        };
        let ends = &self.ends[first..first + self.width];
        Some((
            u64::from(line),
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
#[derive(Debug, Clone, Copy, Default)]
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
/// What is wrong with the columns of a run's or a flows' summary, if
/// anything: a column rpasim does not write (a misspelt metric was taken
/// for one the check need not read, and passed), or columns out of the
/// order rpasim writes them in (two names swapped passed, each column's
/// values read under the other's name), a name twice among them. Columns
/// may be missing: a summary of an earlier version has fewer (every one
/// rpasim has written is in its order), and a metric compared must be on
/// both sides anyway.
fn foreign_column(kind: Kind, header: &[String]) -> Option<String> {
    if kind == Kind::Sweep {
        return None; // its metrics are in a column, checked row by row
    }
    // A flows' summary: `flow`, then a run's summary's columns.
    let order = |name: &str| match kind {
        Kind::Flows if name == "flow" => Some(0),
        _ => rpasim_report::summary::HEADER
            .iter()
            .position(|h| *h == name)
            .map(|p| p + 1),
    };
    let mut before: Option<(usize, &str)> = None;
    for (i, name) in header.iter().enumerate() {
        let Some(at) = order(name) else {
            return Some(format!(
                "column {} ({}) is not a column of {}",
                i + 1,
                excerpt(name),
                kind.file()
            ));
        };
        if let Some((previous, previous_name)) = before
            && at <= previous
        {
            return Some(format!(
                "column {} ({name}) comes after {previous_name}, where rpasim writes it \
                 {} (columns swapped or repeated)",
                i + 1,
                if at == previous { "once" } else { "before" }
            ));
        }
        before = Some((at, name));
    }
    None
}

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
    use proptest::prelude::*;
    use proptest::test_runner::TestCaseError;

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

    /// A column rpasim does not write, or columns out of its order (named
    /// twice, or swapped), are refused: a misspelt metric the check need
    /// not read passed for a summary, and so did two swapped names. An
    /// earlier version's summary, with fewer columns, is read.
    #[test]
    fn columns_rpasim_does_not_write_are_refused() {
        for (text, expected) in [
            (
                "target,arrivals,in_flght\nall,1,0\n",
                "line 1: column 3 (\"in_flght\") is not a column of summary.csv",
            ),
            (
                "flow,target,arrivals,wait_p95_s,wait_p95_s\nf,all,1,2,2\n",
                "line 1: column 5 (wait_p95_s) comes after wait_p95_s, where rpasim writes it once",
            ),
            (
                "target,arrivals,wait_p95_s,wait_p50_s\nall,1,2,2\n",
                "line 1: column 4 (wait_p50_s) comes after wait_p95_s, where rpasim writes it before",
            ),
            (
                "target,arrivals,cancel\u{10}led\nall,1,0\n",
                "column 3 (\"cancel?led\") is not a column of summary.csv",
            ),
            (
                "target,arrivals,flow\nall,1,f\n",
                "column 3 (\"flow\") is not a column of summary.csv",
            ),
        ] {
            let m = message(parse(text));
            assert!(m.contains(expected), "{m}");
            assert!(m.contains("not a summary as rpasim writes it"), "{m}");
        }
        assert!(parse("target,arrivals,succeeded,wait_p95_s\nall,1,1,2\n").is_ok());
        assert!(parse("flow,target,arrivals,wait_p95_s\nf,t,1,2\n").is_ok());
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
        let s = parse("target,arrivals,started_share\nall,2.5,1.5\n").expect("shape");
        let (line, row) = s.rows.get(0).expect("a row");
        let m = message(s.value(line, &row, 1, "arrivals"));
        assert!(
            m.contains("2.5 is not a whole number; arrivals counts runs"),
            "{m}"
        );
        let m = message(s.value(line, &row, 2, "started_share"));
        assert!(
            m.contains("1.5 is more than 1; started_share is a share"),
            "{m}"
        );
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
        assert_eq!(ok.sweep_index().expect("valid").len(), 2);
        // A sweep's mean of a count need not be whole.
        let means = parse(&format!("{head}0,1,all,arrivals,3,10.5,1,2\n")).expect("shape");
        assert_eq!(means.sweep_index().expect("valid").len(), 1);
        for (row, says) in [
            ("0,1,all,wait_p95_s,0,10,1,2", "n < 1"),
            ("0,1,all,wait_p95_s,-1,10,1,2", "not a count"),
            ("0,1,all,wait_p95_s,3,NaN,1,2", "NaN"),
            ("0,1,all,wait_p95_s,3,10,-1,2", "negative"),
            ("0,1,all,wait_p95_s,3,,1,2", "empty, with n"),
        ] {
            let s = parse(&format!("{head}{row}\n")).expect("shape");
            assert!(message(s.sweep_index()).contains(says), "{row}");
        }
        let dup = parse(&format!(
            "{head}0,1,all,failed,2,1,0,0\n0,1,all,failed,2,1,0,0\n"
        ))
        .expect("shape");
        assert!(message(dup.sweep_index()).contains("appears twice"));
        for (rows, says) in [
            (
                "0,1,all,failed,2,1,0,0.7x",
                "line 2, column ci95_half_width: \"0.7x\" is not a number",
            ),
            ("0,1,all,failed,2,1,0,nan", "column ci95_half_width"),
            (
                "J,1,all,failed,2,1,0,0",
                "line 2, column variant: \"J\" is not a variant's number",
            ),
            (
                "0,1,all,failed,2,1,0,0\n0,2,all,queue_full,2,1,0,0",
                "line 3, column variant: variant 0 is (\"2\") here but (\"1\") on line 2",
            ),
            (
                "0,1,all,failed,2,1,0,0\n1,1,t,failed,2,1,0,0",
                "line 3, column variant: variant 1 has the varied values of variant 0 (\"1\")",
            ),
        ] {
            let s = parse(&format!("{head}{rows}\n")).expect("shape");
            assert!(
                message(s.sweep_index()).contains(says),
                "{rows}: {}",
                message(s.sweep_index())
            );
        }
        let misspelt = parse(&format!("{head}0,1,all,in_flght,2,1,0,0\n")).expect("shape");
        assert!(
            message(misspelt.sweep_index())
                .contains("line 2, column metric: \"in_flght\" is not a metric rpasim summarizes")
        );
    }

    /// What reading row by row into a map of keys finds: the first bad or
    /// repeated row's message, else every key with its row number.
    fn by_map(s: &SummaryFile) -> Result<BTreeMap<(Vec<String>, String), usize>, String> {
        let columns = SweepColumns::of(s);
        let mut seen = BTreeMap::new();
        for (i, (line, row)) in s.rows.iter().enumerate() {
            s.sweep_row(line, &row, &columns)
                .map_err(|e| e.to_string())?;
            let label: Vec<String> = (1..columns.metric)
                .filter_map(|c| row.get(c))
                .map(str::to_string)
                .collect();
            let metric = row.get(columns.metric).unwrap_or_default().to_string();
            if let Some(&first) = seen.get(&(label.clone(), metric.clone())) {
                let first_line = s.rows.get(first).map_or(0, |(l, _)| l);
                return Err(s
                    .problem(
                        line,
                        "metric",
                        format!(
                            "{metric} of ({}) appears twice (also line {first_line})",
                            label.join(", ")
                        ),
                    )
                    .to_string());
            }
            seen.insert((label, metric), i);
        }
        Ok(seen)
    }

    /// A small sweep summary: rows of few keys (so some repeat), some
    /// cells bad.
    fn sweep_text() -> impl Strategy<Value = String> {
        let cell = prop_oneof![
            8 => (0u8..3).prop_map(|n| n.to_string()),
            1 => Just("x".to_string()),
            1 => Just(String::new()),
        ];
        let row = (0u8..3, 0u8..3, 0u8..3, cell);
        proptest::collection::vec(row, 1..40).prop_map(|rows| {
            let mut text = "variant,k,target,metric,n,mean,sd,ci95_half_width\n".to_string();
            for (k, target, metric, n) in rows {
                let mean = if n == "0" { "" } else { "1.5" };
                let metric = ["failed", "queue_full", "wait_p95_s"][usize::from(metric)];
                // Variant k is the one whose varied value is k.
                text.push_str(&format!("{k},{k},t{target},{metric},{n},{mean},0.5,1\n"));
            }
            text
        })
    }

    proptest! {
        /// The index finds the first bad or repeated row a map of keys
        /// finds, and every key's row, in this summary or another, also
        /// when every hash collides with others.
        #[test]
        fn the_index_finds_what_a_map_of_keys_finds(
            text in sweep_text(),
            other in sweep_text(),
            bits in prop_oneof![Just(u64::MAX), Just(0u64), Just(3u64)],
        ) {
            let s = parse(&text).expect("shape");
            let o = parse(&other).expect("shape");
            let (index, map) = (s.sweep_index_hashed(bits), by_map(&s));
            let (index, map) = match (index, map) {
                (Err(e), Err(m)) => {
                    prop_assert_eq!(e.to_string(), m);
                    return Ok(());
                }
                (Ok(index), Ok(map)) => (index, map),
                (index, map) => {
                    return Err(TestCaseError::fail(format!("{:?} against {map:?}", index.err())));
                }
            };
            prop_assert_eq!(index.len(), map.len());
            let Ok(theirs) = o.sweep_index() else { return Ok(()) };
            for (hint, (_, row)) in o.rows.iter().enumerate() {
                let label: Vec<String> = theirs.label(&row).map(str::to_string).collect();
                let key = (label, theirs.metric(&row).to_string());
                for hint in [hint, 0, usize::MAX] {
                    prop_assert_eq!(index.find(&theirs, &row, hint), map.get(&key).copied());
                }
            }
        }
    }
}
