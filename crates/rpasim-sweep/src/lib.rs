//! What-if sweeps for rpasim: a grid of variants (values of scenario keys)
//! times replications, run in parallel; statistics with confidence
//! intervals; shards and merging for many machines; regression checks.
//!
//! Invariants: the outputs of a sweep are the same bytes whatever the
//! number of threads, shards or interruptions (jobs are independent, their
//! results are written atomically, and the outputs are assembled in grid
//! order); replication r of every variant uses the same seed (common random
//! numbers).
//!
//! Entry points: [`runner::run`], [`assemble::assemble`], [`check::check`].

pub mod assemble;
pub mod check;
pub mod definition;
pub mod directory;
mod footprint;
pub mod grid;
pub mod plan;
pub mod results;
pub mod runner;
#[cfg(test)]
mod test_support;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

pub use definition::{SweepDefinition, Vary};
pub use grid::{Grid, Shard};
pub use runner::{RunOptions, SweepManifest};

/// A failed sweep or check.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SweepError {
    /// Bad input (exit status 2).
    #[error("{0}")]
    Invalid(String),
    /// Anything else (exit status 1).
    #[error("{0}")]
    Failed(String),
    /// Stopped before it finished, as its [`Stop`] asked.
    #[error("stopped before it finished")]
    Stopped,
}

impl SweepError {
    /// An I/O failure on `path`.
    pub fn io(path: &Path, e: std::io::Error) -> Self {
        SweepError::Failed(format!("{}: {e}", rpasim_report::outdir::shown_path(path)))
    }
}

/// The text of each chart drawn into `dir`'s `charts/` (`titled`: each
/// chart's title and file stem), for a page that shows them inline.
pub(crate) fn chart_svgs(
    dir: &Path,
    titled: impl Iterator<Item = (String, String)>,
) -> Result<Vec<(String, String)>, SweepError> {
    let charts = dir.join(rpasim_charts::CHARTS_DIR);
    titled
        .map(|(title, stem)| {
            let path = charts.join(format!("{stem}.svg"));
            let svg = std::fs::read_to_string(&path).map_err(|e| SweepError::io(&path, e))?;
            Ok((title, svg))
        })
        .collect()
}

/// A request to stop a sweep or a plan before it finishes, shared with
/// whoever may make it (the Python package, on Ctrl-C): heeded between
/// jobs and, inside a simulation, every
/// [`rpasim_core::engine::ASK_EVERY_EVENTS`] events; what was stopped
/// returns [`SweepError::Stopped`]. The command line needs none: a signal
/// ends its process, and a sweep's finished jobs stay for `--resume`.
#[derive(Debug, Clone, Default)]
pub struct Stop(Option<Arc<AtomicBool>>);

impl Stop {
    /// A stop that is never requested.
    pub fn never() -> Self {
        Self(None)
    }

    /// A stop requested when `flag` is set.
    pub fn when(flag: Arc<AtomicBool>) -> Self {
        Self(Some(flag))
    }

    /// Whether it has been requested.
    pub fn requested(&self) -> bool {
        self.0.as_ref().is_some_and(|f| f.load(Ordering::Relaxed))
    }

    /// `Err(Stopped)` once requested: for the `?` between jobs.
    pub fn check(&self) -> Result<(), SweepError> {
        if self.requested() {
            Err(SweepError::Stopped)
        } else {
            Ok(())
        }
    }
}
