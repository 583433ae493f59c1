//! An import written whole: the files of `rpasim-import` (the replay, the
//! fitted model, their traces and `calibration.csv`) and the calibration
//! page drawn from them, staged beside the output directory and swapped in
//! at the end, as `rpasim import` and the Python package's
//! `rpasim.import_history` write it.

use std::path::{Path, PathBuf};

use rpasim_import::{ImportReport, Selection};
use rpasim_report::outdir::{Marker, OutDirError, OutputKind, StagedDir};

use crate::calibration::{self, CALIBRATION_HTML};

/// The replay scenario, the marker of an import's output.
pub const REPLAY_TOML: &str = "replay.toml";

/// What an import writes, and how an earlier one is recognised.
pub static IMPORT_OUTPUT: OutputKind = OutputKind {
    name: "import",
    marker: Some(Marker {
        file: REPLAY_TOML,
        signed: is_replay,
    }),
    files: &[
        REPLAY_TOML,
        "scenario.toml",
        "calibration.csv",
        CALIBRATION_HTML,
    ],
    extensions: &[],
    dirs: &[("traces", &["csv"]), (crate::CHARTS_DIR, &["svg", "png"])],
};

fn is_replay(text: &str) -> bool {
    text.starts_with("# Imported by rpasim")
}

/// Why an import wrote nothing.
#[derive(Debug)]
pub enum ImportFailure {
    /// The history, the fleet file or the selection is not what an import
    /// reads (the message locates it), or the output directory is not
    /// ours to replace: bad input (exit status 2).
    Invalid(String),
    /// Writing failed (exit status 1).
    Failed(String),
}

impl std::fmt::Display for ImportFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ImportFailure::Invalid(m) | ImportFailure::Failed(m) => f.write_str(m),
        }
    }
}

impl From<OutDirError> for ImportFailure {
    fn from(e: OutDirError) -> Self {
        match e {
            OutDirError::Refused(m) => ImportFailure::Invalid(m),
            io @ OutDirError::Io(..) => ImportFailure::Failed(io.to_string()),
        }
    }
}

/// Imports the runs of `history` chosen by `selection` (with the fleet
/// file `fleet`, if given) into `out`: its replay, fitted model, traces,
/// `calibration.csv` and `calibration.html` appear there together, in
/// place of an earlier import's, or not at all. Returns where they are
/// and what the import found.
pub fn import_into(
    history: &Path,
    out: &Path,
    selection: &Selection,
    fleet: Option<&Path>,
) -> Result<(PathBuf, ImportReport), ImportFailure> {
    let staged = StagedDir::create(out, &IMPORT_OUTPUT)?;
    let report = rpasim_import::import(history, staged.path(), selection, fleet).map_err(|e| {
        // A problem of an input is the user's to mend; any other, of the
        // files being written, is a failure.
        if e.path == history || Some(e.path.as_path()) == fleet {
            ImportFailure::Invalid(e.to_string())
        } else {
            ImportFailure::Failed(e.to_string())
        }
    })?;
    calibration::write(
        staged.path(),
        &history.display().to_string(),
        &report.calibration,
        &report.notes,
    )
    .map_err(|e| ImportFailure::Failed(format!("writing the calibration page: {e}")))?;
    Ok((staged.commit()?, report))
}
