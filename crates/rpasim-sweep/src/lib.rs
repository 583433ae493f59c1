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
pub mod grid;
pub mod plan;
pub mod results;
pub mod runner;

use std::path::Path;

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
}

impl SweepError {
    /// An I/O failure on `path`.
    pub fn io(path: &Path, e: std::io::Error) -> Self {
        SweepError::Failed(format!("{}: {e}", path.display()))
    }
}
