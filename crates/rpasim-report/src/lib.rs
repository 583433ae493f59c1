//! rpasim outputs: `runs.csv`, `summary.csv`, `timeseries.csv` and
//! `events.csv`, written as the simulation goes.
//!
//! Invariants: memory is bounded by the runs in flight, never by the number
//! of runs (rows are streamed, statistics kept in fixed-size histograms);
//! an output directory appears complete or not at all ([`outdir`]); the same
//! records give the same bytes.
//!
//! Entry point: a [`Recorder`] is the simulation's observer; `finish` writes
//! the summary and returns it.

pub mod events;
pub mod format;
pub mod manifest;
pub mod outdir;
pub mod recorder;
pub mod runs;
pub mod series;
pub mod summary;
pub mod table;
pub mod timeseries;

pub use manifest::{Manifest, ManifestTarget};
pub use outdir::StagedDir;
pub use recorder::{Names, Recorder};
pub use summary::{Summary, SummaryRow};
pub use table::CsvTable;

/// File name of the per-run table.
pub const RUNS_CSV: &str = "runs.csv";
/// File name of the per-target summary.
pub const SUMMARY_CSV: &str = "summary.csv";
/// File name of the sampled time series.
pub const TIMESERIES_CSV: &str = "timeseries.csv";
/// File name of the notable events.
pub const EVENTS_CSV: &str = "events.csv";
