//! From a run history to scenarios: `rpasim import`.
//!
//! Reads the service's own run history (the Dataverse `flowsession` table
//! as exported for analytics, DesktopFlowRuns) and writes two scenarios:
//! `replay.toml`, every run replayed with its own arrival, duration and
//! outcome (traces in `traces/`), and `scenario.toml`, a fitted model
//! (Poisson rates with hourly and daily profiles, the observed durations
//! as an `empirical` distribution, failure probabilities) for what-ifs.
//! The fleet (machine groups, machines and their bots) is inferred from
//! the history.
//!
//! Invariant: the output depends only on the history's rows, not on their
//! order (runs are sorted by time, then by their fields).

pub mod calibrate;
pub mod fleet;
pub mod history;
pub mod time;
pub mod write;

use std::path::{Path, PathBuf};

pub use history::{History, HistoryRun, Status};

/// A problem with a history, at a line and column when known.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{}{}: {message}", path.display(), line.map(|l| format!(":{l}")).unwrap_or_default(), column.as_ref().map(|c| format!(" (column {c})")).unwrap_or_default())]
pub struct ImportError {
    /// The file.
    pub path: PathBuf,
    /// Its line (1-based), when the problem is in a row.
    pub line: Option<u64>,
    /// The column concerned.
    pub column: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl ImportError {
    fn file(path: &Path, message: String) -> Self {
        ImportError {
            path: path.to_path_buf(),
            line: None,
            column: None,
            message,
        }
    }

    fn at(path: &Path, line: u64, column: Option<String>, message: String) -> Self {
        ImportError {
            path: path.to_path_buf(),
            line: Some(line),
            column,
            message,
        }
    }
}

/// What an import found, for the console and the files' headers.
#[derive(Debug, Clone, Default)]
pub struct ImportReport {
    /// Runs read.
    pub runs: usize,
    /// Rows skipped as duplicates of an earlier `flowsessionid`.
    pub duplicates: u64,
    /// Rows with an undocumented status code (replayed as succeeded).
    pub unknown_status: u64,
    /// Runs still running or queued at the end of the export.
    pub open: usize,
    /// Attended runs (replayed as attended runs of the machine they ran on).
    pub attended: usize,
    /// Lines saying what was inferred, and from what.
    pub notes: Vec<String>,
}

/// Which runs of a history to import.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Runs created at or after this instant (ms since 1970, UTC).
    pub from: Option<i64>,
    /// Runs created before this instant.
    pub to: Option<i64>,
    /// Only these flows (all when empty).
    pub flows: Vec<String>,
}

impl Selection {
    /// Keeps the selected runs; an error names a flow with no run, or a
    /// window with none.
    fn apply(&self, history: &mut History, path: &Path) -> Result<(), ImportError> {
        for f in &self.flows {
            if !history.runs.iter().any(|r| &r.flow == f) {
                return Err(ImportError::file(
                    path,
                    format!(
                        "--flows: no run of flow {} in the history",
                        time::excerpt(f)
                    ),
                ));
            }
        }
        history.runs.retain(|r| {
            self.from.is_none_or(|t| r.created >= t)
                && self.to.is_none_or(|t| r.created < t)
                && (self.flows.is_empty() || self.flows.contains(&r.flow))
        });
        if history.runs.is_empty() {
            return Err(ImportError::file(
                path,
                "no run of the history is in the --from/--to window".into(),
            ));
        }
        Ok(())
    }
}

/// Imports `history` into `out` (an existing, empty directory): writes
/// `replay.toml`, `scenario.toml` and `traces/*.csv`.
pub fn import(
    history_path: &Path,
    out: &Path,
    selection: &Selection,
) -> Result<ImportReport, ImportError> {
    let mut history = history::read(history_path)?;
    selection.apply(&mut history, history_path)?;
    history.runs.sort_by(|a, b| {
        (
            a.created,
            a.started,
            a.completed,
            &a.flow,
            &a.machine,
            &a.group,
        )
            .cmp(&(
                b.created,
                b.started,
                b.completed,
                &b.flow,
                &b.machine,
                &b.group,
            ))
    });
    let fleet = fleet::infer(&history).ok_or_else(|| {
        ImportError::file(
            history_path,
            "no run names a machine or a machine group: the fleet cannot be inferred".into(),
        )
    })?;
    let mut report = ImportReport {
        runs: history.runs.len(),
        duplicates: history.duplicates,
        unknown_status: history.unknown_status,
        open: history
            .runs
            .iter()
            .filter(|r| r.status == Status::Open)
            .count(),
        attended: history.runs.iter().filter(|r| r.attended).count(),
        notes: fleet.notes.clone(),
    };
    let flows = write::scenarios(&history, &fleet, history_path, out, &mut report)
        .map_err(|e| ImportError::file(out, e.to_string()))?;
    let verdicts = calibrate::calibrate(out, &flows).map_err(|e| ImportError::file(out, e))?;
    report.notes.extend(verdicts);
    Ok(report)
}
