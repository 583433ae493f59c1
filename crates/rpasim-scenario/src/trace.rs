//! Trace replay files: CSV with a header and an `arrival_s` column (seconds
//! from the simulation start, decimals allowed); other columns are ignored.

use std::path::Path;

use rpasim_core::SimTime;

use crate::input;
use crate::schema::MAX_DURATION;

/// The column holding arrival instants.
pub const ARRIVAL_COLUMN: &str = "arrival_s";

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

/// Reads the arrival instants of a trace file, in file order, streaming:
/// a regular file of at most [`MAX_TRACE_BYTES`](crate::input::MAX_TRACE_BYTES),
/// with at most `max_rows` rows. A row that does not parse is reported by
/// its line with a short excerpt; a file that is not a trace (no
/// `arrival_s` header) is reported without quoting anything of it.
pub fn load(path: &Path, max_rows: u64) -> Result<Vec<SimTime>, TraceError> {
    let err = |line: Option<usize>, message: String| TraceError { line, message };
    let file = input::open(path, "the trace", input::MAX_TRACE_BYTES).map_err(|m| err(None, m))?;
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(file);
    let column = reader
        .headers()
        .ok()
        .and_then(|h| h.iter().position(|h| h == ARRIVAL_COLUMN))
        .ok_or_else(|| err(Some(1), NOT_A_TRACE.into()))?;
    let mut times = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map(|p| p.line() as usize);
            err(
                line,
                format!("malformed CSV row ({})", input::csv_problem(&e)),
            )
        })?;
        let line = record.position().map(|p| p.line() as usize);
        if times.len() as u64 >= max_rows {
            return Err(err(
                line,
                format!(
                    "more than {max_rows} rows, the limit of runs ([limits] max_runs, or --max-runs)"
                ),
            ));
        }
        let field = record.get(column).unwrap_or("");
        let seconds: f64 = field.parse().map_err(|_| {
            err(
                line,
                format!(
                    "{ARRIVAL_COLUMN} must be a number of seconds, got {}",
                    input::excerpt(field)
                ),
            )
        })?;
        if !seconds.is_finite() || seconds < 0.0 {
            return Err(err(
                line,
                format!(
                    "{ARRIVAL_COLUMN} must be 0 or more, got {}",
                    input::excerpt(field)
                ),
            ));
        }
        let ms = (seconds * 1000.0).round();
        if ms > MAX_DURATION.as_millis() as f64 {
            return Err(err(
                line,
                format!(
                    "{ARRIVAL_COLUMN} is more than 1000 years, got {}",
                    input::excerpt(field)
                ),
            ));
        }
        times.push(SimTime::from_millis(ms as u64));
    }
    Ok(times)
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
        let times = load(f.path(), 100).expect("valid");
        assert_eq!(
            times.iter().map(|t| t.as_millis()).collect::<Vec<_>>(),
            vec![0, 1_500, 7_200_000]
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
