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
mod odata;
pub mod time;
pub mod write;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

pub use history::{History, HistoryRun, Status};

/// A problem with a history or a fleet file, at a line and column when
/// known: `FILE:LINE:CHARACTER: ...` as for scenarios (editors and
/// terminals open the place), with a history's column by name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{}{}{}: {message}", path.display(), line.map(|l| format!(":{l}")).unwrap_or_default(), character.map(|c| format!(":{c}")).unwrap_or_default(), column.as_ref().map(|c| format!(" (column {c})")).unwrap_or_default())]
pub struct ImportError {
    /// The file.
    pub path: PathBuf,
    /// Its line (1-based), when the problem is in a row.
    pub line: Option<u64>,
    /// The character of the line (1-based), in a file read as text (a
    /// fleet file's TOML, a JSON history's syntax).
    pub character: Option<u64>,
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
            character: None,
            column: None,
            message,
        }
    }

    fn at(path: &Path, line: u64, column: Option<String>, message: String) -> Self {
        ImportError {
            path: path.to_path_buf(),
            line: Some(line),
            character: None,
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
    /// Attended runs in the history (replayed as attended runs of the
    /// machine they ran on, unless it is in a group: a note says how many
    /// were left out).
    pub attended: usize,
    /// Lines saying what was inferred, and from what.
    pub notes: Vec<String>,
    /// A line per machine inferred (its bots and group), in name order.
    pub machines: Vec<String>,
    /// The replay and the fitted model compared with the history.
    pub calibration: calibrate::Calibration,
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
    /// Refuses a window that holds no instant (`from` not before `to`),
    /// before the history is read.
    fn check(&self, path: &Path) -> Result<(), ImportError> {
        match (self.from, self.to) {
            (Some(from), Some(to)) if from >= to => Err(ImportError::file(
                path,
                format!(
                    "--from {} is not before --to {}: no run is created in that window (--to is \
                     the first instant left out)",
                    time::format(from),
                    time::format(to)
                ),
            )),
            _ => Ok(()),
        }
    }

    /// Which runs were taken, for the first line of the scenarios: empty
    /// for the whole history, else `" created from ... until before ...; of the
    /// flows "a", "b""` (instants in UTC; at most ten flows named).
    pub fn describe(&self) -> String {
        let mut text = String::new();
        if let Some(from) = self.from {
            text.push_str(&format!(" created from {}", time::format(from)));
        }
        if let Some(to) = self.to {
            let created = if self.from.is_some() { "" } else { " created" };
            text.push_str(&format!("{created} until before {}", time::format(to)));
        }
        if !self.flows.is_empty() {
            let quoted: Vec<String> = self.flows.iter().map(|f| format!("{f:?}")).collect();
            let sep = if text.is_empty() { " " } else { "; " };
            text.push_str(&format!(
                "{sep}of the flows {}",
                rpasim_scenario::error::first_ten(&quoted)
            ));
        }
        text
    }

    /// Keeps the selected runs; an error names a flow with no run, or a
    /// window with none.
    fn apply(&self, history: &mut History, path: &Path) -> Result<(), ImportError> {
        // Sets, not searches: thousands of flows named and millions of runs.
        let present: BTreeSet<&str> = match self.flows.is_empty() {
            true => BTreeSet::new(),
            false => history.runs.iter().map(|r| &*r.flow).collect(),
        };
        for f in &self.flows {
            if !present.contains(f.as_str()) {
                return Err(ImportError::file(
                    path,
                    format!(
                        "--flows: no run of flow {} in the history",
                        time::excerpt(f)
                    ),
                ));
            }
        }
        let wanted: BTreeSet<&str> = self.flows.iter().map(String::as_str).collect();
        history.runs.retain(|r| {
            self.from.is_none_or(|t| r.created >= t)
                && self.to.is_none_or(|t| r.created < t)
                && (wanted.is_empty() || wanted.contains(&*r.flow))
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
    fleet_path: Option<&Path>,
) -> Result<ImportReport, ImportError> {
    selection.check(history_path)?;
    let fleet_file = fleet_path.map(fleet::FleetFile::read).transpose()?;
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
    let renamed = fleet::separate_names(&mut history);
    let mut fleet = fleet::infer(&history).ok_or_else(|| {
        ImportError::file(
            history_path,
            "no run names a machine or a machine group: the fleet cannot be inferred".into(),
        )
    })?;
    if let Some(f) = &fleet_file {
        fleet.apply(f, &history);
    }
    let (machines, capped) = fleet.machine_lines();
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
        notes: fleet
            .notes
            .iter()
            .cloned()
            .chain(fleet.reconciled.iter().cloned())
            .chain(capped)
            .chain(renamed)
            .chain(history.cross_checks.iter().map(history::CrossCheck::note))
            .collect(),
        machines,
        calibration: calibrate::Calibration::default(),
    };
    let selected = selection.describe();
    let written = write::scenarios(&history, &fleet, history_path, &selected, out, &mut report)
        .map_err(|e| match e {
            write::WriteError::Io(e) => ImportError::file(out, e.to_string()),
            write::WriteError::NothingToReplay(m) | write::WriteError::TooLarge(m) => {
                ImportError::file(history_path, m)
            }
        })?;
    // The history is in the files now: its memory goes before the
    // calibration simulates them.
    drop(history);
    if let Some(f) = &fleet_file {
        check_with_fleet(out, f)?;
    }
    let calibration = calibrate::calibrate(out, &written.flows, written.horizon_ms)
        .map_err(|e| ImportError::file(out, e))?;
    report.calibration = calibrate::Calibration {
        selected: if selected.is_empty() {
            String::new()
        } else {
            format!("{} runs{selected}", report.runs)
        },
        ..calibration
    };
    Ok(report)
}

/// The marker before a fleet file's text in the scenarios written.
pub(crate) const FLEET_BLOCK: &str = "(as written there):\n";

/// Checks that the replay made with a fleet file is a valid scenario; a
/// problem inside the fleet's text is told at its line in the fleet file.
fn check_with_fleet(out: &Path, fleet: &fleet::FleetFile) -> Result<(), ImportError> {
    let replay = out.join("replay.toml");
    let text =
        std::fs::read_to_string(&replay).map_err(|e| ImportError::file(out, e.to_string()))?;
    let Err(e) = rpasim_scenario::parse(&text, &replay, &[]) else {
        return Ok(());
    };
    // Line of replay.toml where the fleet's first line is.
    let first = text.find(FLEET_BLOCK).map_or(0, |i| {
        text[..i + FLEET_BLOCK.len()].matches('\n').count() + 1
    });
    let fleet_lines = fleet.text.lines().count();
    let Some(p) = e.problems.first() else {
        return Err(ImportError::file(&fleet.path, e.to_string()));
    };
    let line = p
        .line
        .filter(|l| (first..first + fleet_lines).contains(l))
        .map(|l| (l + 1 - first) as u64);
    let mut message = String::new();
    if let Some(k) = &p.key {
        message.push_str(&format!("{k}: "));
    }
    message.push_str(&p.message);
    if line.is_none() {
        message.push_str(" (with the targets and flows of the history)");
    }
    Err(ImportError {
        path: fleet.path.clone(),
        line,
        character: line.and(p.column.map(|c| c as u64)),
        column: None,
        message,
    })
}
