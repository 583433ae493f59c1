//! Command-line interface definitions.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use rpasim_scenario::Override;

/// rpasim: how many bots do we need, and what happens to queue latency if...?
///
/// A deterministic discrete-event simulator of the run scheduler of a cloud
/// RPA service (machines, machine groups, run queues).
#[derive(Debug, Parser)]
#[command(name = "rpasim", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Simulate a scenario and write runs.csv, summary.csv and timeseries.csv.
    Run(RunArgs),
    /// Check a scenario without simulating it.
    Validate(ScenarioArgs),
    /// Redraw the charts and report.html of an earlier run from its files.
    Plot(PlotArgs),
}

/// Arguments of `rpasim plot`.
#[derive(Debug, Args)]
pub struct PlotArgs {
    /// The output directory of a run (with manifest.toml and the CSV files).
    pub dir: PathBuf,
}

/// The scenario and its overrides.
#[derive(Debug, Args)]
pub struct ScenarioArgs {
    /// Scenario file (TOML).
    pub scenario: PathBuf,
    /// Override the scenario seed (same as --set simulation.seed=N).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Override a scenario value by dotted path, e.g.
    /// --set machine_groups.sales.selection=least_recently_used
    /// (array entries by name). Repeatable.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<Override>,
}

impl ScenarioArgs {
    /// Every override, `--seed` last so that it wins.
    pub fn overrides(&self) -> Vec<Override> {
        let mut all = self.set.clone();
        if let Some(seed) = self.seed {
            all.push(Override {
                key: "simulation.seed".into(),
                value: seed.to_string(),
            });
        }
        all
    }
}

/// Arguments of `rpasim run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The scenario.
    #[command(flatten)]
    pub scenario: ScenarioArgs,
    /// Output directory [default: reports/<scenario file stem>].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Print engine figures: events processed, events/s, peak memory.
    #[arg(long)]
    pub stats: bool,
    /// Print nothing on success, and no progress bar.
    #[arg(long, short)]
    pub quiet: bool,
    /// Skip the charts and report.html (faster, e.g. in CI).
    #[arg(long)]
    pub no_charts: bool,
}
