//! Reading a run history: the Dataverse `flowsession` table as exported
//! for analytics (DesktopFlowRuns), as CSV with a header or the Web API's OData
//! JSON (`{"value": [...]}`). Any row order;
//! lookups by name where the `...name` column is present, else by id.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashSet};
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::sync::Arc;

use crate::ImportError;
use crate::odata::{self, EachRun, NEXT_LINK, Reading, Row};
use crate::time;

/// Largest history file read.
pub const MAX_HISTORY_BYTES: u64 = 2 << 30;

/// One run of the history, times in ms since 1970 (UTC).
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryRun {
    /// The desktop flow (names are shared between runs: a history of a
    /// million runs holds each name once).
    pub flow: Arc<str>,
    /// When it was queued.
    pub created: i64,
    /// When it started on a bot, if it did.
    pub started: Option<i64>,
    /// When it ended, if it did.
    pub completed: Option<i64>,
    /// How it ended.
    pub status: Status,
    /// Run by the signed-in user (runmode 1).
    pub attended: bool,
    /// The machine it ran on.
    pub machine: Option<Arc<str>>,
    /// The machine group it was queued on.
    pub group: Option<Arc<str>>,
}

/// A run's `statuscode`, as far as a replay cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// 4.
    Succeeded,
    /// 8 failed, 9 faulted, 10 timed out, 11 aborted, 7 cancelled.
    Failed,
    /// Running or queued at the end of the export (no `completedon`).
    Open,
    /// A code not in the documented list.
    Unknown,
}

/// A history, read.
#[derive(Debug, Clone, Default)]
pub struct History {
    /// The runs, in file order.
    pub runs: Vec<HistoryRun>,
    /// Rows whose `flowsessionid` was seen before (the first is kept).
    pub duplicates: u64,
    /// Rows with a status code outside the documented list.
    pub unknown_status: u64,
    /// Every name read, once. Only looked up, never listed (so its order,
    /// a hash map's, reaches no output): three look-ups a row, where a
    /// B-tree compared names a dozen times each.
    names: HashSet<Arc<str>>,
    /// The duration columns present, checked against the timestamps.
    pub cross_checks: Vec<CrossCheck>,
}

/// Which span of a run a duration column measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Span {
    /// `runwaitduration`: createdon to startedon.
    Wait,
    /// `runexecutionduration`: startedon to completedon.
    Execution,
    /// `runduration`: createdon to completedon.
    Total,
}

impl Span {
    /// The span from a run's timestamps, ms, when it has them.
    fn of(self, created: i64, started: Option<i64>, completed: Option<i64>) -> Option<i64> {
        match self {
            Span::Wait => Some(started? - created),
            Span::Execution => Some(completed? - started?),
            Span::Total => Some(completed? - created),
        }
    }
}

/// A duration column (`runwaitduration`, ...) compared with the durations
/// the timestamps give. Its unit is not documented: it is compared read as
/// seconds and as milliseconds. Durations always come from the timestamps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrossCheck {
    /// The column.
    pub column: String,
    /// What it measures.
    pub span: Span,
    /// Rows with both the value and the timestamps.
    pub compared: u64,
    /// Rows where it agrees (within 1 s or 1 %) read as seconds.
    pub as_seconds: u64,
    /// Rows where it agrees read as milliseconds.
    pub as_ms: u64,
    /// Values that are not numbers.
    pub not_numbers: u64,
}

impl CrossCheck {
    /// One row's value against the span its timestamps give (ms).
    fn add(&mut self, value: &str, span_ms: i64) {
        let Ok(v) = value.trim().parse::<f64>() else {
            self.not_numbers += 1;
            return;
        };
        self.compared += 1;
        let close = |ms: f64| (ms - span_ms as f64).abs() <= (0.01 * span_ms as f64).max(1000.0);
        self.as_seconds += u64::from(close(v * 1000.0));
        self.as_ms += u64::from(close(v));
    }

    /// What it found, in words.
    pub fn note(&self) -> String {
        if self.compared == 0 {
            return format!(
                "{}: no row to compare with the timestamps ({} not numbers)",
                self.column, self.not_numbers
            );
        }
        let (unit, agree) = if self.as_seconds >= self.as_ms {
            ("seconds", self.as_seconds)
        } else {
            ("milliseconds", self.as_ms)
        };
        let share = 100.0 * agree as f64 / self.compared as f64;
        format!(
            "{} agrees with the timestamps in {agree} of {} rows ({share:.1} %, read as {unit}); \
             durations are taken from the timestamps",
            self.column, self.compared
        )
    }
}

impl History {
    /// The shared copy of `name`.
    fn intern(&mut self, name: &str) -> Arc<str> {
        if let Some(n) = self.names.get(name) {
            return n.clone();
        }
        let n: Arc<str> = name.into();
        self.names.insert(n.clone());
        n
    }
}

/// The columns a history's rows are read from: the name of each, as the
/// file has it (a name where the `...name` column is present, else the id).
struct Columns {
    created: String,
    flow: String,
    started: String,
    completed: String,
    status: Option<String>,
    runmode: Option<String>,
    machine: Option<String>,
    group: Option<String>,
    id: Option<String>,
    /// Duration columns present, with the span each measures.
    durations: Vec<(String, Span)>,
}

impl Columns {
    /// The name of every column read.
    fn names(&self) -> impl Iterator<Item = &str> {
        let optional = [
            &self.status,
            &self.runmode,
            &self.machine,
            &self.group,
            &self.id,
        ];
        [&self.created, &self.flow, &self.started, &self.completed]
            .into_iter()
            .map(String::as_str)
            .chain(optional.into_iter().filter_map(|c| c.as_deref()))
            .chain(self.durations.iter().map(|(c, _)| c.as_str()))
    }

    /// An empty history with a cross-check for each duration column.
    fn history(&self) -> History {
        History {
            cross_checks: self
                .durations
                .iter()
                .map(|(column, span)| CrossCheck {
                    column: column.clone(),
                    span: *span,
                    compared: 0,
                    as_seconds: 0,
                    as_ms: 0,
                    not_numbers: 0,
                })
                .collect(),
            ..History::default()
        }
    }

    /// The columns of a header, or what is missing.
    fn of(header: &[String], path: &Path) -> Result<Columns, ImportError> {
        let col = |name: &str| {
            header
                .iter()
                .find(|h| h.eq_ignore_ascii_case(name))
                .cloned()
        };
        let Some(created) = col("createdon") else {
            return Err(ImportError::at(
                path,
                1,
                None,
                "not a run history: no createdon column (the DesktopFlowRuns / flowsession \
                 export, as CSV with a header or OData JSON)"
                    .into(),
            ));
        };
        let Some(flow) = col("regardingobjectidname").or_else(|| col("regardingobjectid")) else {
            return Err(ImportError::at(
                path,
                1,
                None,
                "missing column regardingobjectidname (or regardingobjectid): the desktop flow"
                    .into(),
            ));
        };
        // Without either, no run's duration can be measured: the fitted
        // model and the replay would have nothing to draw durations from.
        let timed = |name: &str, what: &str| {
            col(name).ok_or_else(|| {
                let names: Vec<&str> = header.iter().map(String::as_str).collect();
                let meant = rpasim_scenario::error::closest(name, &names)
                    .map(|h| format!(" (is {h:?} it?)"))
                    .unwrap_or_default();
                ImportError::at(
                    path,
                    1,
                    None,
                    format!(
                        "missing column {name}: {what}, without which no run's duration \
                         can be measured{meant}"
                    ),
                )
            })
        };
        let started = timed("startedon", "when each run started")?;
        let completed = timed("completedon", "when each run ended")?;
        Ok(Columns {
            created,
            flow,
            started,
            completed,
            status: col("statuscode"),
            runmode: col("runmode"),
            machine: col("machineidname").or_else(|| col("machineid")),
            group: col("machinegroupidname").or_else(|| col("machinegroupid")),
            id: col("flowsessionid"),
            durations: [
                ("runwaitduration", Span::Wait),
                ("runexecutionduration", Span::Execution),
                ("runduration", Span::Total),
            ]
            .into_iter()
            .filter_map(|(name, span)| Some((col(name)?, span)))
            .collect(),
        })
    }
}

/// Reads a history: CSV with a header, or the Web API's OData JSON
/// (`{"value": [...]}`), told apart by the first character.
pub fn read(path: &Path) -> Result<History, ImportError> {
    // Before opening it: opening a FIFO for reading waits for a writer.
    rpasim_scenario::input::check_regular(path, "the history", MAX_HISTORY_BYTES)
        .map_err(|e| ImportError::file(path, e))?;
    let file = File::open(path).map_err(|e| ImportError::file(path, e.to_string()))?;
    let mut reader = BufReader::new(file);
    let start = reader
        .fill_buf()
        .map_err(|e| ImportError::file(path, e.to_string()))?;
    if start.starts_with(&[0xFF, 0xFE]) || start.starts_with(&[0xFE, 0xFF]) {
        return Err(ImportError::file(
            path,
            "UTF-16 text (as Windows PowerShell 5's > and Out-File write it): save the history \
             as UTF-8, e.g. Out-File -Encoding utf8 or Export-Csv -Encoding UTF8"
                .into(),
        ));
    }
    let text = start.strip_prefix(UTF8_BOM).unwrap_or(start);
    let first = text.iter().copied().find(|b| !b.is_ascii_whitespace());
    let delimiter = rpasim_scenario::input::csv_delimiter(start);
    let history = if matches!(first, Some(b'{' | b'[')) {
        read_json(past_bom(reader, path)?, path)?
    } else {
        read_csv(reader, path, delimiter)?
    };
    if history.runs.is_empty() {
        return Err(ImportError::file(path, "no run in the history".into()));
    }
    if !history
        .runs
        .iter()
        .any(|r| r.started.is_some() && r.completed.is_some())
    {
        return Err(ImportError::file(
            path,
            "no run in the history both started and ended (startedon and completedon are \
             empty in every row): there is no duration to fit the model or the replay to"
                .into(),
        ));
    }
    Ok(history)
}

fn read_csv(input: impl Read, path: &Path, delimiter: u8) -> Result<History, ImportError> {
    // Fields are trimmed as they are read (`str::trim`, the Unicode
    // whitespace `Trim::All` trims): trimming every field of every record
    // rebuilt each record.
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::Headers)
        .delimiter(delimiter)
        .from_reader(rpasim_scenario::input::LineBounded::new(input));
    let header: Vec<String> = reader
        .headers()
        .map(|h| h.iter().map(String::from).collect())
        .unwrap_or_default();
    let cols = Columns::of(&header, path)?;
    let index = ColumnIndex::of(&header, &cols);
    let mut history = cols.history();
    let mut seen = SeenIds::default();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let problem = rpasim_scenario::input::csv_problem(&e);
            // A reading error (a line too long) has no record to point at.
            match e.position() {
                Some(p) => {
                    let line = Place::of(Some(p)).line(path);
                    ImportError::at(path, line, None, format!("malformed CSV row ({problem})"))
                }
                None => ImportError::file(path, format!("malformed CSV ({problem})")),
            }
        })?;
        let place = Place::of(record.position());
        let field = |name: &str| {
            let cell = index.position(name).and_then(|i| record.get(i));
            Cow::Borrowed(cell.unwrap_or("").trim())
        };
        add_run(&mut history, &mut seen, &cols, &field, place, path)?;
    }
    Ok(history)
}

/// Where the columns a history is read from are in a CSV header.
struct ColumnIndex<'a> {
    /// Every column of the header by name.
    by_name: BTreeMap<&'a str, usize>,
    /// The columns `Columns` names, each with its position: rows ask for a
    /// column by one of these very strings, so comparing where the name
    /// asked for is in memory finds it, much cheaper than a look-up by
    /// text (ten a row).
    by_address: Vec<(&'a str, Option<usize>)>,
}

impl<'a> ColumnIndex<'a> {
    fn of(header: &'a [String], cols: &'a Columns) -> Self {
        let by_name: BTreeMap<&str, usize> = header
            .iter()
            .enumerate()
            .map(|(i, h)| (h.as_str(), i))
            .collect();
        let by_address = cols.names().map(|n| (n, by_name.get(n).copied())).collect();
        ColumnIndex {
            by_name,
            by_address,
        }
    }

    /// The position of column `name`: by address for the names
    /// `Columns` holds, by text for any other.
    fn position(&self, name: &str) -> Option<usize> {
        let same = |known: &&str| std::ptr::eq(*known, name);
        match self.by_address.iter().find(|(known, _)| same(known)) {
            Some((_, at)) => *at,
            None => self.by_name.get(name).copied(),
        }
    }
}

/// The byte order mark some Windows tools put before UTF-8 text; the csv
/// crate skips it, the JSON reader is given the text after it.
const UTF8_BOM: &[u8] = &[0xEF, 0xBB, 0xBF];

/// `reader` past a UTF-8 byte order mark, if it starts with one.
fn past_bom<R: BufRead>(mut reader: R, path: &Path) -> Result<R, ImportError> {
    let start = reader
        .fill_buf()
        .map_err(|e| ImportError::file(path, e.to_string()))?;
    if start.starts_with(UTF8_BOM) {
        reader.consume(UTF8_BOM.len());
    }
    Ok(reader)
}

/// Reads the Web API's answer in `input` (past any byte order mark): split
/// run by run when it is laid out plainly (`odata`), else, or when it does
/// not read, as a stream by serde_json, whose messages users have always
/// had.
fn read_json(input: BufReader<File>, path: &Path) -> Result<History, ImportError> {
    let mut first = Some(input);
    let mut open = || match first.take() {
        Some(reader) => Ok(reader),
        None => reopen(path),
    };
    let split = read_json_runs(
        |reading, each| odata::for_each_run(open()?, reading, each),
        path,
    );
    if let Ok(Some(history)) = split {
        return Ok(history);
    }
    read_json_streamed(open, path)
}

/// The history at `path` opened again, past any byte order mark.
fn reopen(path: &Path) -> Result<BufReader<File>, ImportError> {
    let again = File::open(path).map_err(|e| ImportError::file(path, e.to_string()))?;
    past_bom(BufReader::new(again), path)
}

/// Reads the Web API's answer as serde_json reads a stream, each pass
/// from a reader `open` gives.
fn read_json_streamed(
    mut open: impl FnMut() -> Result<BufReader<File>, ImportError>,
    path: &Path,
) -> Result<History, ImportError> {
    let stream = |_: Reading, each: &mut EachRun<'_>| {
        let json = serde_json::Deserializer::from_reader(open()?);
        for_each_run(json, path, each).map(|()| true)
    };
    // A stream reads the whole answer or fails.
    read_json_runs(stream, path)?.ok_or_else(|| ImportError::file(path, "not OData JSON".into()))
}

/// Reads the Web API's answer in two passes of `pass` (which calls its
/// argument with every run, one at a time, read as its `Reading` asks, and
/// says whether the answer was read whole): the first finds the columns
/// (every key of any run), the second reads the runs. The `value` array
/// is never held whole: as objects, a history takes several times its
/// size in memory. `None` when a pass did not read the answer whole.
fn read_json_runs(
    mut pass: impl FnMut(Reading, &mut EachRun<'_>) -> Result<bool, ImportError>,
    path: &Path,
) -> Result<Option<History>, ImportError> {
    let mut header: Vec<String> = Vec::new();
    let whole = pass(Reading::Columns, &mut |_, run| {
        run.columns(&mut |name| {
            if !header.iter().any(|h| h == name) {
                header.push(name.to_string());
            }
        });
        Ok(())
    })?;
    if !whole {
        return Ok(None);
    }
    let cols = Columns::of(&header, path)?;
    let mut history = cols.history();
    let mut seen = SeenIds::default();
    let whole = pass(Reading::Cells, &mut |i, run| {
        let field = |name: &str| run.cell(name);
        add_run(&mut history, &mut seen, &cols, &field, Place::Run(i), path)
    })?;
    Ok(whole.then_some(history))
}

/// Calls `each` with every run of the answer `json` reads, in order, one
/// at a time. Stops at the first error, of `each` or of the JSON (which is
/// told at its line: not OData JSON).
fn for_each_run<'de, R: serde_json::de::Read<'de>>(
    mut json: serde_json::Deserializer<R>,
    path: &Path,
    each: &mut EachRun<'_>,
) -> Result<(), ImportError> {
    let mut stopped = None;
    let mut paged = false;
    let answer = Answer {
        each,
        stopped: &mut stopped,
        paged: &mut paged,
    };
    let read = serde::de::DeserializeSeed::deserialize(answer, &mut json).and_then(|()| json.end());
    if let Some(e) = stopped {
        return Err(e);
    }
    if paged && read.is_ok() {
        return Err(ImportError::file(
            path,
            format!(
                "one page of the Web API's answer: its {NEXT_LINK} says more runs follow (the \
                 API answers at most 5,000 runs a page); follow it until a page has none and give rpasim \
                 the runs of every page in one {{\"value\": [...]}}, or export the table as CSV"
            ),
        ));
    }
    read.map_err(|e| ImportError {
        path: path.to_path_buf(),
        line: Some(e.line() as u64),
        character: Some(e.column() as u64),
        column: None,
        message: "not OData JSON ({\"value\": [runs]}) or an array of runs".to_string(),
    })
}

/// The answer's object: its `value` array is read run by run, any other
/// member skipped.
struct Answer<'a, 'b> {
    each: &'a mut EachRun<'b>,
    /// The error of `each` that stopped the reading.
    stopped: &'a mut Option<ImportError>,
    /// Whether the answer links to a next page: it is not the whole history.
    paged: &'a mut bool,
}

impl<'de> serde::de::DeserializeSeed<'de> for Answer<'_, '_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Answer<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an object with a \"value\" array of runs, or an array of runs")
    }

    /// A bare array of runs: the `value` array alone.
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        let runs = Runs {
            each: self.each,
            stopped: self.stopped,
        };
        serde::de::Visitor::visit_seq(runs, seq)
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut read = false;
        while let Some(key) = map.next_key::<String>()? {
            if key != "value" {
                *self.paged |= key == NEXT_LINK;
                map.next_value::<serde::de::IgnoredAny>()?;
                continue;
            }
            if read {
                return Err(serde::de::Error::duplicate_field("value"));
            }
            map.next_value_seed(Runs {
                each: &mut *self.each,
                stopped: &mut *self.stopped,
            })?;
            read = true;
        }
        if !read {
            return Err(serde::de::Error::missing_field("value"));
        }
        Ok(())
    }
}

/// The `value` array, run by run.
struct Runs<'a, 'b> {
    each: &'a mut EachRun<'b>,
    stopped: &'a mut Option<ImportError>,
}

impl<'de> serde::de::DeserializeSeed<'de> for Runs<'_, '_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Runs<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an array of runs")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut n = 0;
        while let Some(row) = seq.next_element::<Row>()? {
            n += 1;
            if let Err(e) = (self.each)(n, &row as &dyn odata::Run) {
                *self.stopped = Some(e);
                return Err(serde::de::Error::custom("stopped"));
            }
        }
        Ok(())
    }
}

/// The run ids (`flowsessionid`) read so far, to tell duplicates. Ids
/// written as GUIDs in lower case, as Dataverse writes them, are kept as
/// 128-bit numbers (16 bytes instead of a string of 36 and its node): a
/// history of millions of runs holds one per run. Any other id is kept as
/// its text; an id is the same id only as the same text. Hash sets, only
/// ever asked whether they hold an id: in a B-tree, each of a million
/// random GUIDs was a chain of cache misses.
#[derive(Debug, Default)]
struct SeenIds {
    guids: HashSet<u128>,
    others: HashSet<Box<str>>,
}

impl SeenIds {
    /// Records `id`; `false` if it was seen before.
    fn insert(&mut self, id: &str) -> bool {
        match lowercase_guid(id) {
            Some(guid) => self.guids.insert(guid),
            None => self.others.insert(id.into()),
        }
    }
}

/// `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` in lower-case hexadecimal digits,
/// as a number; `None` for any other text (so that two texts that differ
/// are never one id).
fn lowercase_guid(id: &str) -> Option<u128> {
    let bytes = id.as_bytes();
    if bytes.len() != 36 {
        return None;
    }
    let mut value = 0u128;
    for (i, b) in bytes.iter().enumerate() {
        let digit = match (i, b) {
            (8 | 13 | 18 | 23, b'-') => continue,
            (8 | 13 | 18 | 23, _) => return None,
            (_, b'0'..=b'9') => b - b'0',
            (_, b'a'..=b'f') => b - b'a' + 10,
            _ => return None,
        };
        value = value << 4 | u128::from(digit);
    }
    Some(value)
}

/// Where a row is: a CSV record (the csv crate's line count and byte
/// offset at its start), or the n-th run of a JSON `value` array.
#[derive(Clone, Copy)]
enum Place {
    Record { line: u64, byte: u64 },
    Run(usize),
}

impl Place {
    fn of(position: Option<&csv::Position>) -> Self {
        position.map_or(Place::Record { line: 0, byte: 0 }, |p| Place::Record {
            line: p.line(),
            byte: p.byte(),
        })
    }

    /// The line of a record, for a message (the file read again there:
    /// see [`rpasim_scenario::input::csv_line`]).
    fn line(self, path: &Path) -> u64 {
        match self {
            Place::Record { line, byte } => {
                rpasim_scenario::input::csv_line_in_file(path, line, byte)
            }
            Place::Run(_) => 0,
        }
    }

    fn error(self, path: &Path, column: &str, message: String) -> ImportError {
        match self {
            Place::Record { .. } => {
                ImportError::at(path, self.line(path), Some(column.to_string()), message)
            }
            Place::Run(n) => ImportError {
                path: path.to_path_buf(),
                line: None,
                character: None,
                column: Some(column.to_string()),
                message: format!("run {n} of \"value\": {message}"),
            },
        }
    }
}

/// Compares a row's duration columns with its timestamps.
fn cross_check(
    history: &mut History,
    cols: &Columns,
    field: &Field<'_>,
    (created, started, completed): (i64, Option<i64>, Option<i64>),
) {
    for (check, (column, span)) in history.cross_checks.iter_mut().zip(&cols.durations) {
        let value = field(column);
        if let (false, Some(ms)) = (value.is_empty(), span.of(created, started, completed)) {
            check.add(&value, ms);
        }
    }
}

/// A row's cell by its column's name, trimmed; empty if there is none.
type Field<'r> = dyn Fn(&str) -> Cow<'r, str> + 'r;

/// Adds one row's run (or counts it as a duplicate).
fn add_run(
    history: &mut History,
    seen: &mut SeenIds,
    cols: &Columns,
    field: &Field<'_>,
    place: Place,
    path: &Path,
) -> Result<(), ImportError> {
    let get = |c: &Option<String>| c.as_deref().map(field).unwrap_or_default();
    let key = get(&cols.id);
    if !key.is_empty() && !seen.insert(&key) {
        history.duplicates += 1;
        return Ok(());
    }
    // An instant, or none for an empty cell.
    let when = |c: &String| -> Result<Option<i64>, ImportError> {
        let text = field(c);
        if text.is_empty() {
            return Ok(None);
        }
        time::parse(&text)
            .map(Some)
            .map_err(|m| place.error(path, c, m))
    };
    let Some(created) = when(&cols.created)? else {
        return Err(place.error(
            path,
            &cols.created,
            "empty: every run has a createdon".into(),
        ));
    };
    let started = when(&cols.started)?;
    let completed = when(&cols.completed)?;
    if started.is_some_and(|s| s < created) {
        let error = "startedon is before createdon".into();
        return Err(place.error(path, &cols.started, error));
    }
    if let (Some(s), Some(e)) = (started, completed)
        && e < s
    {
        let error = "completedon is before startedon".into();
        return Err(place.error(path, &cols.completed, error));
    }
    // A run that never started (cancelled in the queue) still ends after
    // it was created.
    if completed.is_some_and(|e| e < created) {
        let error = "completedon is before createdon".into();
        return Err(place.error(path, &cols.completed, error));
    }
    cross_check(history, cols, field, (created, started, completed));
    // A run without completedon had not ended when the history was
    // exported, whatever its code says.
    let status = match &*code(&get(&cols.status)) {
        _ if completed.is_none() => Status::Open,
        "4" => Status::Succeeded,
        "7" | "8" | "9" | "10" | "11" => Status::Failed,
        _ => {
            history.unknown_status += 1;
            Status::Unknown
        }
    };
    let flow = field(&cols.flow);
    if flow.is_empty() {
        return Err(place.error(
            path,
            &cols.flow,
            "empty: every run belongs to a desktop flow".into(),
        ));
    }
    let flow = history.intern(&flow);
    let mut text = |c: &Option<String>| {
        Some(get(c))
            .filter(|s| !s.is_empty())
            .map(|s| history.intern(&s))
    };
    let (machine, group) = (text(&cols.machine), text(&cols.group));
    history.runs.push(HistoryRun {
        flow,
        created,
        started,
        completed,
        status,
        attended: code(&get(&cols.runmode)) == "1",
        machine,
        group,
    });
    Ok(())
}

/// A code (`statuscode`, `runmode`) as its whole number's digits: a
/// history saved by pandas writes a column of codes with a missing one as
/// floats (`4.0`), whose every run was counted of an unknown status and
/// replayed as succeeded (and every attended run as unattended).
fn code(text: &str) -> Cow<'_, str> {
    if text.bytes().all(|b| b.is_ascii_digit()) {
        return Cow::Borrowed(text);
    }
    match text.parse::<f64>() {
        Ok(x) if x.fract() == 0.0 && (0.0..1e9).contains(&x) => Cow::Owned(format!("{x:.0}")),
        _ => Cow::Borrowed(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_written_as_floats_are_their_whole_numbers() {
        for (text, read) in [
            ("4", "4"),
            ("4.0", "4"),
            ("10.00", "10"),
            ("4e0", "4"),
            ("4.5", "4.5"),
            ("", ""),
            ("-1.0", "-1.0"),
            ("NaN", "NaN"),
            ("inf", "inf"),
            ("Succeeded", "Succeeded"),
        ] {
            assert_eq!(code(text), read, "{text}");
        }
    }

    #[test]
    fn lowercase_guids_are_numbers_and_other_ids_text() {
        let guid = "0f8fad5b-d9cb-469f-a165-70867728950e";
        assert_eq!(
            lowercase_guid(guid),
            Some(0x0f8fad5b_d9cb_469f_a165_70867728950e)
        );
        for other in [
            "0F8FAD5B-D9CB-469F-A165-70867728950E",
            "0f8fad5bd9cb469fa16570867728950e",
            "0f8fad5b-d9cb-469f-a165-70867728950",
            "0f8fad5b-d9cb-469f-a165-70867728950g",
            "0f8fad5b+d9cb-469f-a165-70867728950e",
            "1000",
            "",
        ] {
            assert_eq!(lowercase_guid(other), None, "{other}");
        }
    }

    #[test]
    fn an_id_is_a_duplicate_only_as_the_same_text() {
        let mut seen = SeenIds::default();
        let lower = "0f8fad5b-d9cb-469f-a165-70867728950e";
        assert!(seen.insert(lower));
        assert!(!seen.insert(lower));
        // The same GUID in capitals is other text: another id, as before.
        assert!(seen.insert(&lower.to_uppercase()));
        assert!(!seen.insert(&lower.to_uppercase()));
        assert!(seen.insert("1000"));
        assert!(!seen.insert("1000"));
    }

    /// A history in the Web API's JSON: `n` runs of three flows, each
    /// run's columns in the order Dataverse writes them.
    fn answer(n: usize) -> String {
        let run = |i: usize| {
            format!(
                "{{\"flowsessionid\": \"{i}\", \"createdon\": \"2026-03-02T08:{:02}:00Z\", \
                 \"startedon\": \"2026-03-02T08:{:02}:30Z\", \"completedon\": null, \
                 \"statuscode\": 4, \"runmode\": {}, \"machineidname\": \" pc \", \
                 \"regardingobjectidname\": \"f{}\"}}",
                i % 60,
                i % 60,
                i % 2,
                i % 3
            )
        };
        let runs: Vec<String> = (0..n).map(run).collect();
        format!(
            "{{\"@odata.context\": \"x\", \"value\": [\n{}\n]}}",
            runs.join(",\n")
        )
    }

    /// What the history read from `text` is, or the problem told, read
    /// split when plain (`read_json`) and as serde_json reads a stream.
    fn split_and_streamed(dir: &Path, text: &[u8]) -> (String, String) {
        let path = dir.join("h.json");
        std::fs::write(&path, text).expect("written");
        let shown = |read: Result<History, ImportError>| match read {
            // Not the names' set: a hash set lists in any order.
            Ok(h) => format!(
                "{:?} {} {} {:?}",
                h.runs, h.duplicates, h.unknown_status, h.cross_checks
            ),
            Err(e) => format!("Err {e:?}"),
        };
        let split = shown(read_json(reopen(&path).expect("opened"), &path));
        let streamed = shown(read_json_streamed(|| reopen(&path), &path));
        (split, streamed)
    }

    /// Whether the splitter reads `text` whole by itself, the columns then
    /// the cells, without leaving it to the stream.
    fn split_whole(text: &str) -> bool {
        [Reading::Columns, Reading::Cells]
            .into_iter()
            .all(|reading| {
                odata::for_each_run(text.as_bytes(), reading, &mut |_, _| Ok(())).expect("read")
            })
    }

    /// A history split run by run is the history read as a stream: the
    /// same runs, or the same message at the same line for an answer that
    /// is not OData JSON. Plain answers are split, others read as a stream.
    #[test]
    fn json_split_and_streamed_read_alike() {
        let whole = answer(50);
        let bare =
            whole["{\"@odata.context\": \"x\", \"value\": ".len()..whole.len() - 1].to_string();
        let plain = [
            whole.clone(),
            format!("\u{feff}{whole}"),
            // Escapes in texts, brackets and quotes within them, nested
            // values, a column written twice (the last counts), every kind
            // of whitespace and of number.
            whole.replace("\" pc \"", "\"p\\u0063 \\\"{[\\\\\""),
            whole.replace(
                "\"completedon\": null",
                "\"completedon\": null, \"x\": {\"a\": [1, \"]}\", {}]}",
            ),
            whole.replace("\"runmode\": 1", "\"runmode\": 0, \"runmode\": 1"),
            whole.replace(", ", " ,\t\r\n "),
            whole.replace(
                "\"statuscode\": 4",
                "\"statuscode\": 4.0e0, \"n\": -12.5E-3, \"b\": true",
            ),
            whole.replace("\"x\"", "[\"y\", {\"z\": null}]"),
            // A bare array of runs: the `value` array alone.
            bare.clone(),
            format!(" \n{bare}\n"),
        ];
        // Plain JSON, but not a history: told by the same message.
        let wrong = [
            whole.replace("2026-03-02T08:07:00Z", "yesterday"),
            "{\"value\": []}".to_string(),
        ];
        // Valid, but left to the stream: an escape in a key, nesting
        // deeper than the splitter takes.
        let valid = [
            whole.replace("\"value\"", "\"val\\u0075e\""),
            whole.replace("null", &format!("{}1{}", "[".repeat(70), "]".repeat(70))),
        ];
        let not_plain = [
            whole.replace("\"value\"", "\"values\""),
            whole.replace("}\n]}", "}\n"),
            format!("{whole}, \"value\": []}}").replace("]}, ", "], "),
            format!("{{\"@odata.nextLink\": \"y\", {}", &whole[1..]),
            whole.replace("}\n]}", "},\n]}"),
            format!("{whole} x"),
            whole.replace("\"x\"", "\"x\", \"y\": [1 2]"),
            whole.replace("\"value\": [", "\"value\": [7, "),
            whole.replace("null", &format!("{}1{}", "[".repeat(130), "]".repeat(130))),
            whole.replace("\"f1\"", "\"f1\\q\""),
            whole.replace("\"f1\"", "\"f1\u{1}\""),
            format!("{bare} []"),
            format!("{bare}]"),
            bare.replace("[\n{", "[\n7, {"),
        ];
        let dir = tempfile::tempdir().expect("a directory");
        let cases = [
            (&plain[..], true, false),
            (&wrong[..], true, true),
            (&valid[..], false, false),
            (&not_plain[..], false, true),
        ];
        for (texts, is_plain, is_wrong) in cases {
            for (k, text) in texts.iter().enumerate() {
                let (split, streamed) = split_and_streamed(dir.path(), text.as_bytes());
                assert_eq!(split, streamed, "case {k} ({is_plain} {is_wrong})");
                let bom = text.starts_with('\u{feff}');
                assert_eq!(bom || split_whole(text), is_plain, "case {k} ({is_wrong})");
                assert_eq!(split.contains("Err"), is_wrong, "case {k} ({is_plain})");
            }
        }
        // Bytes that are not UTF-8 in a cell and in a nested value: the
        // columns' pass skips values unchecked, the cells' pass does not.
        for bad in ["\"f1\"", "null"] {
            let replaced = whole.replace(bad, "[\"\u{1b}\"]");
            let mut text = replaced.into_bytes();
            let at = text.iter().position(|&b| b == 0x1b).expect("marked");
            text[at] = 0xff;
            let (split, streamed) = split_and_streamed(dir.path(), &text);
            assert_eq!(split, streamed);
            assert!(split.contains("Err"), "{split}");
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]

        /// An answer with a byte changed, taken out or put in where
        /// it matters to a splitter (quotes, brackets, escapes, commas,
        /// colons, whitespace) reads split as it reads as a stream.
        #[test]
        fn a_changed_answer_reads_split_as_streamed(
            edits in proptest::collection::vec((0.0..1.0f64, 0..3usize, 0..12usize), 1..4)
        ) {
            const SIGNIFICANT: &[u8] = b"\"{}[]\\,: \nx1";
            let mut text = answer(8).into_bytes();
            for (at, kind, byte) in edits {
                let i = ((text.len() as f64) * at) as usize;
                let last = text.len() - 1;
                let b = SIGNIFICANT[byte];
                match kind {
                    0 => text[i.min(last)] = b,
                    1 => { text.remove(i.min(last)); }
                    _ => text.insert(i, b),
                }
            }
            let dir = tempfile::tempdir().expect("a directory");
            let (split, streamed) = split_and_streamed(dir.path(), &text);
            proptest::prop_assert_eq!(split, streamed);
        }
    }
}
