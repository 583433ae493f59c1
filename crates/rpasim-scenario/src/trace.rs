//! Trace replay files: CSV with a header and an `arrival_s` column (seconds
//! from the simulation start, decimals allowed); other columns are ignored.

use std::path::Path;

use rpasim_core::SimTime;

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

/// Reads the arrival instants of a trace file, in file order.
pub fn load(path: &Path) -> Result<Vec<SimTime>, TraceError> {
    let err = |line: Option<usize>, message: String| TraceError { line, message };
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_path(path)
        .map_err(|e| err(None, format!("cannot read the trace: {e}")))?;
    let headers = reader
        .headers()
        .map_err(|e| err(Some(1), format!("unreadable header: {e}")))?
        .clone();
    let column = headers
        .iter()
        .position(|h| h == ARRIVAL_COLUMN)
        .ok_or_else(|| {
            let found: Vec<&str> = headers.iter().collect();
            err(
                Some(1),
                format!(
                    "no column {ARRIVAL_COLUMN:?} in the header (found: {})",
                    found.join(", ")
                ),
            )
        })?;
    let mut times = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map(|p| p.line() as usize);
            err(line, format!("malformed CSV row: {e}"))
        })?;
        let line = record.position().map(|p| p.line() as usize);
        let field = record.get(column).unwrap_or("");
        let seconds: f64 = field.parse().map_err(|_| {
            err(
                line,
                format!("{ARRIVAL_COLUMN} must be a number of seconds, got {field:?}"),
            )
        })?;
        if !seconds.is_finite() || seconds < 0.0 {
            return Err(err(
                line,
                format!("{ARRIVAL_COLUMN} must be 0 or more, got {field}"),
            ));
        }
        times.push(SimTime::from_millis((seconds * 1000.0).round() as u64));
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
        let times = load(f.path()).expect("valid");
        assert_eq!(
            times.iter().map(|t| t.as_millis()).collect::<Vec<_>>(),
            vec![0, 1_500, 7_200_000]
        );
    }

    #[test]
    fn reports_the_line_of_a_bad_value() {
        let f = trace("arrival_s\n1\n2\nsoon\n");
        let e = load(f.path()).expect_err("bad row");
        assert_eq!(e.line, Some(4));
        assert!(e.message.contains("\"soon\""), "{}", e.message);
        let e = load(trace("arrival_s\n-1\n").path()).expect_err("negative");
        assert_eq!(e.line, Some(2));
    }

    #[test]
    fn reports_a_missing_column() {
        let e = load(trace("time\n1\n").path()).expect_err("no column");
        assert_eq!(e.line, Some(1));
        assert!(e.message.contains("found: time"), "{}", e.message);
    }
}
