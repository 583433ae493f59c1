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
    /// Run a scenario for a grid of values with replications, in parallel.
    Sweep(SweepArgs),
    /// Combine the shards of a sweep into its final files.
    Merge(MergeArgs),
    /// Compare summary metrics with a baseline; exit 1 if any got worse.
    Check(CheckArgs),
    /// The cheapest setting that meets service-level goals, with confidence.
    Plan(PlanArgs),
    /// Scenarios from a run history (DesktopFlowRuns / flowsession CSV): a
    /// replay and a fitted model.
    Import(ImportArgs),
    /// Print a shell completion script (source it, or put it where your
    /// shell loads completions).
    Completions(CompletionsArgs),
    /// Print the JSON Schema of scenario, sweep or fleet files (what
    /// schema/*.schema.json hold, for editors).
    Schema(SchemaArgs),
    /// Print a manual page (roff; view it with `man -l`): rpasim(1), or a
    /// subcommand's, rpasim-run(1) for `rpasim man run`.
    Man(ManArgs),
}

/// What `rpasim run` writes of each run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RunsOutput {
    /// Every run in runs.csv.
    All,
    /// No runs.csv.
    None,
}

/// Arguments of `rpasim schema`.
#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// Which file format.
    #[arg(value_enum, default_value = "scenario")]
    pub format: SchemaFormat,
}

/// A file format with a JSON Schema.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum SchemaFormat {
    /// Scenario files.
    Scenario,
    /// Sweep files.
    Sweep,
    /// Fleet files (`rpasim import --fleet`).
    Fleet,
}

/// Arguments of `rpasim man`.
#[derive(Debug, Args)]
pub struct ManArgs {
    /// A subcommand, for its own page.
    pub subcommand: Option<String>,
}

/// Arguments of `rpasim completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// Arguments of `rpasim import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The run history: a CSV export of the flowsession table
    /// (DesktopFlowRuns), with a header.
    pub history: PathBuf,
    /// Output directory (replay.toml, scenario.toml, traces/).
    #[arg(long)]
    pub out: PathBuf,
    /// Only runs created at or after this ISO 8601 instant (UTC when no
    /// zone), or date (its 00:00 UTC): 2026-03-01, 2026-03-01T08:30:00Z.
    #[arg(long, value_name = "TIME")]
    pub from: Option<String>,
    /// Only runs created before this ISO 8601 instant or date (its 00:00
    /// UTC, so --to 2026-04-01 keeps the whole of March 31).
    #[arg(long, value_name = "TIME")]
    pub to: Option<String>,
    /// A partial scenario giving what a history cannot tell (hosted groups
    /// and their capacity, bots never used at once, environments): its
    /// targets override or complete the inferred ones.
    #[arg(long, value_name = "FLEET.toml")]
    pub fleet: Option<PathBuf>,
    /// Only these desktop flows (names as in regardingobjectidname). Repeatable.
    #[arg(long = "flows", value_name = "NAME", num_args = 1..)]
    pub flows: Vec<String>,
    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
}

/// Arguments of `rpasim plan`.
#[derive(Debug, Args)]
pub struct PlanArgs {
    /// The scenario.
    pub scenario: PathBuf,
    /// A goal, NAME.METRIC<=VALUE or >=VALUE (NAME a target, a flow or
    /// all) on a metric more capacity moves one known way: waits, starts,
    /// queues, rejections and utilization at most, runs started at least
    /// (others, as bot_hours<= or cold_starts, are refused unless one
    /// candidate is searched). Repeatable [default: the scenario's
    /// [[goals]]].
    #[arg(long = "goal", value_name = "GOAL")]
    pub goals: Vec<String>,
    /// What may change: KEY=VALUES as --vary takes it (5,10,20; 20..40;
    /// 5..50:5; linked keys 'a|b=12|10,18|16'), values from fewer to more
    /// resources. Repeatable: several make a grid.
    #[arg(long = "search", value_name = "KEY=VALUES", required = true)]
    pub search: Vec<String>,
    /// Confidence of each decision (one-sided), over all the looks at a
    /// candidate: each look's bounds are at 1 - (1 - CONFIDENCE)/looks
    /// (99 % for 0.95 over the 5 looks of 5..50). Above 0.5, at most 0.999.
    #[arg(long, default_value_t = 0.95)]
    pub confidence: f64,
    /// Replications of a candidate: at least MIN, added until decided, at
    /// most MAX.
    #[arg(long, value_name = "MIN..MAX", default_value = "5..50")]
    pub replications: String,
    /// Worker threads, at most 1024 and at most the cores available (more
    /// would only take turns); 0 is all cores [default: all cores].
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Base seed of the replications [default: the scenario's].
    #[arg(long, value_parser = seed_parser())]
    pub seed: Option<u64>,
    /// A fixed override for every candidate, as for `run`. Repeatable.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Output directory [default: reports/<scenario stem>-plan].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// No progress and no sentence (the exit status and the files say it).
    #[arg(long, short)]
    pub quiet: bool,
}

/// Arguments of `rpasim sweep`.
#[derive(Debug, Args)]
pub struct SweepArgs {
    /// A scenario (with --vary) or a sweep file (TOML with a [vary] table).
    pub file: PathBuf,
    /// A varied key and its values: KEY=5,10,20 or KEY=5..50:5. Repeatable:
    /// several make a grid.
    #[arg(long = "vary", value_name = "KEY=VALUES")]
    pub vary: Vec<String>,
    /// Replications of each variant [default: 1, or the sweep file's].
    #[arg(long)]
    pub replications: Option<u32>,
    /// Base seed of the replications [default: the scenario's].
    #[arg(long, value_parser = seed_parser())]
    pub seed: Option<u64>,
    /// A fixed override for every variant, as for `run`. Repeatable.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// A metric to chart against each varied key. Repeatable.
    #[arg(long = "metric")]
    pub metrics: Vec<String>,
    /// Worker threads, at most 1024 and at most the cores available (more
    /// would only take turns); 0 is all cores [default: all cores].
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Output directory [default: reports/<file stem>-sweep].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Run only shard I of N (jobs whose index is I-1 modulo N); combine
    /// the shards with `rpasim merge`. `auto`: the array task's shard, from
    /// Slurm's, Kubernetes Indexed Jobs' or AWS Batch's variables.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<String>,
    /// Keep the results already in the output directory and run the rest.
    #[arg(long)]
    pub resume: bool,
    /// No progress bar and no summary line.
    #[arg(long, short)]
    pub quiet: bool,
}

/// Arguments of `rpasim merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The shard directories.
    #[arg(required = true)]
    pub dirs: Vec<PathBuf>,
    /// Where to write the merged sweep.
    #[arg(long)]
    pub out: PathBuf,
}

/// Arguments of `rpasim check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The baseline: a summary.csv or a sweep-summary.csv.
    #[arg(long)]
    pub baseline: PathBuf,
    /// The current summary to compare (else the SCENARIO is run).
    #[arg(long, conflicts_with = "scenario")]
    pub current: Option<PathBuf>,
    /// A scenario to run now and compare.
    #[arg(required_unless_present = "current")]
    pub scenario: Option<PathBuf>,
    /// Override a scenario value, as for `run`. Repeatable.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<Override>,
    /// How much a metric may change: METRIC=5% or METRIC=3. Repeatable;
    /// given any, only the metrics named are checked [default: 5% on
    /// succeeded, failed, queue_full, queue_timeout, run_timeout,
    /// machine_lost, wait_mean_s, wait_p95_s, wait_p99_s, start_p95_s,
    /// started_share, bot_hours, cold_starts].
    #[arg(long = "tolerance", value_name = "METRIC=AMOUNT")]
    pub tolerances: Vec<String>,
    /// Write the current summary (the SCENARIO run now, or --current
    /// FILE, validated) as the new baseline.
    #[arg(long)]
    pub update: bool,
}

/// Arguments of `rpasim plot`.
#[derive(Debug, Args)]
pub struct PlotArgs {
    /// The output directory of a run (with manifest.toml and the CSV files).
    pub dir: PathBuf,
}

/// Seeds from 0 to [`rpasim_scenario::MAX_SEED`]: what a scenario or a
/// sweep's `sweep.toml` can hold.
fn seed_parser() -> clap::builder::RangedU64ValueParser {
    clap::value_parser!(u64).range(..=rpasim_scenario::MAX_SEED)
}

/// The scenario and its overrides.
#[derive(Debug, Args)]
pub struct ScenarioArgs {
    /// Scenario file (TOML).
    pub scenario: PathBuf,
    /// Override the scenario seed (same as --set simulation.seed=N).
    #[arg(long, value_parser = seed_parser())]
    pub seed: Option<u64>,
    /// Override a scenario value by dotted path, e.g.
    /// --set machine_groups.sales.selection=least_recently_used
    /// (array entries by name). Repeatable.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<Override>,
    /// Refuse scenarios estimated to bring more runs than this (same as
    /// --set limits.max_runs=N) [default: 20000000].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(..=rpasim_scenario::schema::TOML_MAX_INTEGER))]
    pub max_runs: Option<u64>,
}

impl ScenarioArgs {
    /// Every override, `--seed` and `--max-runs` last so that they win.
    pub fn overrides(&self) -> Vec<Override> {
        let mut all = self.set.clone();
        if let Some(seed) = self.seed {
            all.push(Override {
                key: "simulation.seed".into(),
                value: seed.to_string(),
            });
        }
        if let Some(n) = self.max_runs {
            all.push(Override {
                key: "limits.max_runs".into(),
                value: n.to_string(),
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
    /// runs.csv: `all` runs, or `none` for users of the summaries alone
    /// (rpasim plot cannot redraw such a run: it reads the waits there).
    #[arg(long, value_enum, default_value = "all", value_name = "all|none")]
    pub runs: RunsOutput,
    /// A service-level goal, NAME.METRIC<=VALUE or >=VALUE (NAME a target,
    /// a flow or all), e.g. finance.start_p95_s<=30m. Repeatable; replaces
    /// the scenario's [[goals]].
    #[arg(long = "goal", value_name = "GOAL")]
    pub goals: Vec<String>,
    /// Exit with status 1 when a goal is missed (the outputs are written).
    #[arg(long)]
    pub require_goals: bool,
}
