//! Trace replay files: CSV with a header and an `arrival_s` column (seconds
//! from the simulation start, decimals allowed); optionally each run's own
//! `duration_s` and `outcome` (`succeeded` or `failed`), which it then
//! takes instead of drawing them (a replay of a run history); other
//! columns are ignored.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

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
    pub times: Arc<Vec<SimTime>>,
    /// Recorded runs, parallel to `times`.
    pub recorded: Option<Arc<Vec<RecordedRun>>>,
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
    let file_len = file.get_ref().metadata().map_or(0, |m| m.len());
    let mut file = BufReader::new(file);
    let start = file
        .fill_buf()
        .map_err(|e| err(None, format!("cannot read the trace: {e}")))?;
    let delimiter = input::csv_delimiter(start);
    // Fields are trimmed where they are read (`field`): trimming every
    // record rebuilt it.
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::Headers)
        .delimiter(delimiter)
        .from_reader(input::LineBounded::new(file));
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
    // Times and recorded runs in two vectors, one record buffer reused:
    // 8 bytes a row (24 with a recorded run), where a vector of pairs took
    // 24 and an allocation per row (a replay of millions of runs peaked
    // at three times its final size).
    let mut times: Vec<SimTime> = Vec::new();
    let mut recorded: Option<Vec<RecordedRun>> = duration.map(|_| Vec::new());
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                return Err(err(
                    line_of(path, e.position()),
                    format!("malformed CSV row ({})", input::csv_problem(&e)),
                ));
            }
        }
        let line = || line_of(path, record.position());
        if times.len() as u64 >= max_rows {
            return Err(err(
                line(),
                format!(
                    "more than {max_rows} rows, the limit of runs ([limits] max_runs, or --max-runs)"
                ),
            ));
        }
        let at = seconds(field(&record, arrival), ARRIVAL_COLUMN).map_err(|m| err(line(), m))?;
        if let (Some(d), Some(runs)) = (duration, recorded.as_mut()) {
            runs.push(recorded_run(&record, d, outcome).map_err(|m| err(line(), m))?);
        }
        times.push(at);
        if times.len() == SIZING_ROWS {
            let more = rows_to_come(
                file_len,
                record.position().map_or(0, |p| p.byte()),
                max_rows,
            );
            times.reserve_exact(more);
            if let Some(runs) = recorded.as_mut() {
                runs.reserve_exact(more);
            }
        }
    }
    in_time_order(&mut times, recorded.as_mut());
    // Shared from here on by every simulation of the scenario (the
    // vectors themselves: an `Arc<[_]>` would copy them).
    Ok(Trace {
        times: Arc::new(times),
        recorded: recorded.map(Arc::new),
    })
}

/// The line of a row at `position` of the trace at `path`, for a message.
fn line_of(path: &Path, position: Option<&csv::Position>) -> Option<usize> {
    position.map(|p| input::csv_line_in_file(path, p.line(), p.byte()) as usize)
}

/// The traces a command has read, by file and row limit: the variants of
/// a sweep or the candidates of a plan, each a reading of the same
/// scenario, then read a trace of millions of runs once and share it,
/// where each read it again (0.75 s and its memory each, for 5 million
/// runs). Kept for as long as the command holds it.
#[derive(Debug, Default)]
pub struct Traces {
    loaded: Mutex<BTreeMap<(PathBuf, u64), Trace>>,
    /// Held while reading ahead: the jobs of a sweep that read the
    /// scenario at once wait for the one reading its traces, rather than
    /// all reading them.
    reading_ahead: Mutex<()>,
}

impl Traces {
    /// The trace at `path`, read by [`load`] the first time (under a lock:
    /// threads asking for it at once wait for the one reading it). A file
    /// that does not read is not kept: asked again, it is read again.
    pub fn load(&self, path: &Path, max_rows: u64) -> Result<Trace, TraceError> {
        let mut loaded = self.loaded.lock().unwrap_or_else(|e| e.into_inner());
        let key = (path.to_path_buf(), max_rows);
        if let Some(trace) = loaded.get(&key) {
            return Ok(trace.clone());
        }
        let trace = load(path, max_rows)?;
        loaded.insert(key, trace.clone());
        Ok(trace)
    }
}

/// Traces a thread reads ahead at least: a small trace takes tens of
/// microseconds (20 of them building the CSV parser), about what starting
/// a thread takes.
const TRACES_PER_THREAD: usize = 64;

impl Traces {
    /// Reads the traces at `paths` not read yet, on several cores when
    /// there are many (a replay of an imported history has one a flow:
    /// 10,000 took 0.5 s one after another), so that [`Self::load`]
    /// finds them. A trace that does not read is not kept: `load` reads
    /// it again and tells what is wrong, in the scenario's order.
    pub fn read_ahead(&self, paths: &[PathBuf], max_rows: u64) {
        let _reading = self.reading_ahead.lock().unwrap_or_else(|e| e.into_inner());
        let mut todo: Vec<&PathBuf> = {
            let loaded = self.loaded.lock().unwrap_or_else(|e| e.into_inner());
            paths
                .iter()
                .filter(|p| !loaded.contains_key(&((*p).clone(), max_rows)))
                .collect()
        };
        todo.sort_unstable();
        todo.dedup();
        let threads = crate::cores::threads_for(todo.len(), TRACES_PER_THREAD);
        if threads <= 1 {
            return; // `load` reads them as they come.
        }
        let read = |run: &[&PathBuf]| -> Vec<(PathBuf, Trace)> {
            run.iter()
                .filter_map(|p| Some(((*p).clone(), load(p, max_rows).ok()?)))
                .collect()
        };
        let runs = crate::cores::by_runs(&todo, threads, read);
        let mut loaded = self.loaded.lock().unwrap_or_else(|e| e.into_inner());
        for (path, trace) in runs.into_iter().flatten() {
            loaded.entry((path, max_rows)).or_insert(trace);
        }
    }
}

/// Rows read before the vectors are sized for the whole file.
const SIZING_ROWS: usize = 4_096;

/// How many more rows a file of `file_len` bytes probably holds after
/// [`SIZING_ROWS`] rows took `read` bytes (a twentieth more, within
/// `max_rows`): the vectors are sized once, where doubling them as they
/// fill would have held up to three times the trace at the last doubling.
fn rows_to_come(file_len: u64, read: u64, max_rows: u64) -> usize {
    let rows = SIZING_ROWS as u64;
    let rest = file_len.saturating_sub(read);
    let estimate = rest.saturating_mul(rows) / read.max(1);
    let estimate = estimate.saturating_add(estimate / 20).saturating_add(16);
    let allowed = max_rows.saturating_sub(rows);
    usize::try_from(estimate.min(allowed)).unwrap_or(0)
}

/// Sorts `times` and, in step with them, `recorded`: runs at the same
/// instant keep their file order, so run k of the flow takes the k-th
/// recorded duration. A file already in time order (a history written by
/// `rpasim import`, most traces) is only checked.
fn in_time_order(times: &mut Vec<SimTime>, recorded: Option<&mut Vec<RecordedRun>>) {
    if times.is_sorted() {
        return;
    }
    let Some(recorded) = recorded else {
        // Equal instants are indistinguishable without recorded runs.
        times.sort_unstable();
        return;
    };
    // Each run sorted beside its instant, a stable sort: merges read and
    // write memory in order, where sorting row numbers and then moving
    // the runs to them jumped about memory (a third slower).
    let mut rows: Vec<(SimTime, RecordedRun)> = std::mem::take(times)
        .into_iter()
        .zip(std::mem::take(recorded))
        .collect();
    rows.sort_by_key(|(at, _)| *at);
    (*times, *recorded) = rows.into_iter().unzip();
}

/// Field `c` of a row, trimmed (Unicode whitespace, as `csv::Trim::All`
/// trims), empty when the row is short.
fn field(record: &csv::StringRecord, c: usize) -> &str {
    record.get(c).unwrap_or("").trim()
}

/// A row's own duration (column `duration`) and outcome (column
/// `outcome`, succeeded when there is none).
fn recorded_run(
    record: &csv::StringRecord,
    duration: usize,
    outcome: Option<usize>,
) -> Result<RecordedRun, String> {
    let took = seconds(field(record, duration), DURATION_COLUMN)?;
    let failed = match outcome.map(|c| field(record, c)) {
        None | Some("succeeded") => false,
        Some("failed") => true,
        Some(other) => {
            return Err(format!(
                "{OUTCOME_COLUMN} must be succeeded or failed, got {}",
                input::excerpt(other)
            ));
        }
    };
    Ok(RecordedRun {
        duration: SimDuration::from_millis(took.as_millis()),
        failed,
    })
}

/// A field of seconds (decimals allowed) as an instant: 0 or more, at most
/// 1000 years.
fn seconds(field: &str, column: &str) -> Result<SimTime, String> {
    let value: f64 = field.parse().map_err(|_| {
        let hint = match field.contains(',') {
            true => " (decimals after a point, not a comma)",
            false => "",
        };
        format!(
            "{column} must be a number of seconds, got {}{hint}",
            input::excerpt(field)
        )
    })?;
    if value.is_nan() || value < 0.0 {
        return Err(format!(
            "{column} must be 0 or more, got {}",
            input::excerpt(field)
        ));
    }
    let ms = (value * 1000.0).round();
    // Infinity ("inf", "1e400") is more than 1000 years too.
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

    proptest::proptest! {
        /// Whatever the file's order, the trace is its rows sorted by
        /// time, those at one instant in file order, each run's recorded
        /// duration and outcome beside its arrival; a file already in
        /// order is read as it is.
        #[test]
        fn rows_come_in_time_order_with_their_recorded_runs(
            rows in proptest::collection::vec((0u64..20, 0u64..1_000, proptest::bool::ANY), 0..200),
            sorted in proptest::bool::ANY,
        ) {
            let mut rows = rows;
            if sorted {
                rows.sort_by_key(|r| r.0);
            }
            let mut text = String::from("arrival_s,duration_s,outcome\n");
            for (at, took, failed) in &rows {
                let outcome = if *failed { "failed" } else { "succeeded" };
                text.push_str(&format!("{at}.5,{took},{outcome}\n"));
            }
            let t = load(trace(&text).path(), 1_000).expect("valid");
            let mut expected = rows.clone();
            expected.sort_by_key(|r| r.0);
            let times: Vec<u64> = t.times.iter().map(|t| t.as_millis()).collect();
            let want: Vec<u64> = expected.iter().map(|r| r.0 * 1_000 + 500).collect();
            proptest::prop_assert_eq!(times, want);
            let got: Vec<(u64, bool)> = t
                .recorded
                .expect("recorded")
                .iter()
                .map(|r| (r.duration.as_millis(), r.failed))
                .collect();
            let want: Vec<(u64, bool)> = expected.iter().map(|r| (r.1 * 1_000, r.2)).collect();
            proptest::prop_assert_eq!(got, want);
            // Without recorded runs: the same instants.
            let plain: String = text
                .lines()
                .map(|l| l.split(',').next().unwrap_or(""))
                .fold(String::new(), |acc, l| acc + l + "\n");
            let p = load(trace(&plain).path(), 1_000).expect("valid");
            proptest::prop_assert_eq!(p.times, t.times);
            proptest::prop_assert!(p.recorded.is_none());
        }
    }

    #[test]
    fn traces_are_read_once_by_the_readings_that_share_them() {
        let f = trace("arrival_s\n5\n1\n");
        let traces = Traces::default();
        let first = traces.load(f.path(), 100).expect("valid");
        let path = f.path().to_path_buf();
        drop(f); // the file is gone: only the kept trace can answer
        let again = traces.load(&path, 100).expect("kept");
        assert!(Arc::ptr_eq(&first.times, &again.times));
        // Another row limit is another reading (of a file now missing).
        assert!(traces.load(&path, 1).is_err());
        // A file that does not read is not kept.
        let bad = trace("arrival_s\nsoon\n");
        assert!(traces.load(bad.path(), 100).is_err());
        std::fs::write(bad.path(), "arrival_s\n3\n").expect("rewrite");
        assert_eq!(
            traces
                .load(bad.path(), 100)
                .expect("read again")
                .times
                .len(),
            1
        );
    }

    #[test]
    fn reports_the_line_of_a_bad_value() {
        let f = trace("arrival_s\n1\n2\nsoon\n");
        let e = load(f.path(), 100).expect_err("bad row");
        assert_eq!(e.line, Some(4));
        assert!(e.message.contains("\"soon\""), "{}", e.message);
        let e = load(trace("arrival_s\n-1\n").path(), 100).expect_err("negative");
        assert_eq!(e.line, Some(2));
        assert!(e.message.contains("must be 0 or more"), "{}", e.message);
        // Infinite is too long, not negative (it was said to be below 0).
        for huge in ["inf", "1e400"] {
            let e = load(trace(&format!("arrival_s\n{huge}\n")).path(), 100).expect_err(huge);
            assert!(
                e.message.contains("is more than 1000 years"),
                "{}",
                e.message
            );
        }
        let e = load(trace("arrival_s\nNaN\n").path(), 100).expect_err("NaN");
        assert!(e.message.contains("must be 0 or more"), "{}", e.message);
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

    /// Traces read ahead on several threads are the traces read one by
    /// one; a bad one is not kept, so that reading it again tells why.
    #[test]
    fn traces_read_ahead_are_those_read_one_by_one() {
        let dir = tempfile::tempdir().expect("a directory");
        let paths: Vec<PathBuf> = (0..3 * TRACES_PER_THREAD)
            .map(|i| {
                let path = dir.path().join(format!("t{i}.csv"));
                let rows: String = (0..i % 7).map(|k| format!("{},{k}\n", i * k)).collect();
                let text = match i {
                    100 => "arrival_s,duration_s\n1,x\n".to_string(),
                    _ => format!("arrival_s,duration_s\n{rows}"),
                };
                std::fs::write(&path, text).expect("written");
                path
            })
            .collect();
        let ahead = Traces::default();
        let mut asked = paths.clone();
        asked.push(dir.path().join("missing.csv"));
        asked.push(paths[5].clone());
        ahead.read_ahead(&asked, 100);
        let kept = ahead.loaded.lock().expect("not poisoned").len();
        if crate::cores::threads_for(asked.len() - 1, TRACES_PER_THREAD) > 1 {
            assert_eq!(
                kept,
                paths.len() - 1,
                "all but the bad one and the missing one"
            );
        }
        let one_by_one = Traces::default();
        for path in &paths {
            let (a, b) = (ahead.load(path, 100), one_by_one.load(path, 100));
            match (a, b) {
                (Ok(a), Ok(b)) => {
                    assert_eq!(a.times, b.times);
                    assert_eq!(a.recorded, b.recorded);
                }
                (Err(a), Err(b)) => assert_eq!((a.line, a.message), (b.line, b.message)),
                (a, b) => panic!("{path:?}: {:?} against {:?}", a.is_ok(), b.is_ok()),
            }
        }
        let e = ahead.load(&paths[100], 100).expect_err("not a number");
        assert_eq!(e.line, Some(2));
    }
}
