//! How failures reach the user: a message and an exit status.

use std::fmt;
use std::path::Path;

/// A failed command.
#[derive(Debug)]
pub enum CliError {
    /// The scenario or the arguments are invalid (exit status 2).
    Invalid(String),
    /// Anything else, e.g. the output cannot be written (exit status 1).
    Failed(String),
    /// `rpasim check` found a regression (exit status 1; the table says which).
    Regression,
    /// `rpasim run --require-goals`: this many goals were missed (exit
    /// status 1; the console says which).
    GoalsMissed(usize),
    /// `rpasim plan`: no candidate meets the goals (exit status 1; the
    /// console says how close the best came).
    NoAnswer,
}

impl CliError {
    /// An I/O failure on `path`.
    pub fn io(path: &Path, e: std::io::Error) -> Self {
        CliError::Failed(format!("{}: {e}", rpasim_report::outdir::shown_path(path)))
    }

    /// The process exit status.
    pub fn exit_code(&self) -> i32 {
        match self {
            CliError::Invalid(_) => 2,
            CliError::Failed(_)
            | CliError::Regression
            | CliError::GoalsMissed(_)
            | CliError::NoAnswer => 1,
        }
    }
}

impl From<rpasim_report::OutDirError> for CliError {
    fn from(e: rpasim_report::OutDirError) -> Self {
        match e {
            rpasim_report::OutDirError::Refused(m) => CliError::Invalid(m),
            io @ rpasim_report::OutDirError::Io(..) => CliError::Failed(io.to_string()),
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CliError::Invalid(m) | CliError::Failed(m) => f.write_str(m),
            CliError::Regression => {
                f.write_str("metrics got worse beyond their tolerance (see the table above)")
            }
            CliError::GoalsMissed(n) => write!(f, "{n} goal(s) missed (see goals.csv)"),
            CliError::NoAnswer => f.write_str("no candidate of the search space meets the goals"),
        }
    }
}
