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

pub mod background;
pub mod columns;
pub mod events;
pub mod format;
pub mod goals;
pub mod manifest;
pub mod order;
pub mod outdir;
pub mod recorder;
pub mod runs;
pub mod series;
pub mod summary;
pub mod table;
pub mod timeseries;

pub use background::Output;
pub use manifest::{Manifest, ManifestTarget};
pub use outdir::{OutDirError, OutputKind, StagedDir};
pub use recorder::{Names, Recorder, Tables};
pub use summary::{FlowRow, Summary, SummaryRow};
pub use table::CsvTable;

/// File name of the per-run table.
pub const RUNS_CSV: &str = "runs.csv";
/// File name of the per-target summary.
pub const SUMMARY_CSV: &str = "summary.csv";
/// File name of the goals' verdicts.
pub const GOALS_CSV: &str = "goals.csv";
/// File name of the per-flow summary.
pub const SUMMARY_FLOWS_CSV: &str = "summary-flows.csv";
/// File name of the sampled time series.
pub const TIMESERIES_CSV: &str = "timeseries.csv";
/// File name of the notable events.
pub const EVENTS_CSV: &str = "events.csv";
/// File name of the scenario as simulated (with `--set` applied).
pub const SCENARIO_COPY: &str = "scenario.toml";
/// File name of the report page (drawn by `rpasim-charts`).
pub const REPORT_HTML: &str = "report.html";
/// Directory of the charts (drawn by `rpasim-charts`).
pub const CHARTS_DIR: &str = "charts";

/// An output directory of `rpasim run`: recognised by a `manifest.toml`
/// carrying `rpasim_version`, and holding nothing but the files `run`
/// writes (those of earlier versions included). A new output file must be
/// added here, or the next run refuses to replace the directory.
pub static RUN_OUTPUT: OutputKind = OutputKind {
    name: "run output",
    marker: Some(outdir::Marker {
        file: manifest::MANIFEST_TOML,
        signed: manifest::is_signed,
    }),
    files: &[
        manifest::MANIFEST_TOML,
        SCENARIO_COPY,
        RUNS_CSV,
        SUMMARY_CSV,
        SUMMARY_FLOWS_CSV,
        GOALS_CSV,
        TIMESERIES_CSV,
        EVENTS_CSV,
        REPORT_HTML,
    ],
    extensions: &[],
    dirs: &[(CHARTS_DIR, &["png", "svg"])],
};

/// The `charts/` directory of an output, staged whole when redrawn.
pub static CHARTS_OUTPUT: OutputKind = OutputKind {
    name: "charts directory",
    marker: None,
    files: &[],
    extensions: &["png", "svg"],
    dirs: &[],
};
