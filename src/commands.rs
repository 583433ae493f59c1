//! The subcommands: `run` and `validate`.

use std::path::{Path, PathBuf};
use std::time::Instant;

use rpasim_charts::ChartData;
use rpasim_core::Simulation;
use rpasim_core::model::{Action, Setting, TargetKind};
use rpasim_report::goals::Goal;
use rpasim_report::manifest::{CapacityChange, ManifestEnvironment};
use rpasim_report::outdir::{Contents, inspect};
use rpasim_report::series::SampleRows;
use rpasim_report::{
    Manifest, ManifestTarget, Output, RUN_OUTPUT, Recorder, SCENARIO_COPY, StagedDir,
};
use rpasim_scenario::Scenario;

use crate::cli::{RunArgs, RunsOutput, ScenarioArgs};
use crate::console;
use crate::error::CliError;
use crate::progress::Progress;

fn load(args: &ScenarioArgs) -> Result<Scenario, CliError> {
    rpasim_scenario::load(&args.scenario, &args.overrides())
        .map_err(|e| CliError::Invalid(e.to_string()))
}

/// A scenario whose output files, with `runs.csv` if `with_runs`, may be
/// written (their estimated size is within `[limits] max_output_mb`).
fn load_for_output(args: &ScenarioArgs, with_runs: bool) -> Result<Scenario, CliError> {
    let s = load(args)?;
    let refusal = match with_runs {
        true => &s.output_refusal,
        false => &s.output_refusal_without_runs,
    };
    match refusal {
        Some(e) => Err(CliError::Invalid(e.to_string())),
        None => Ok(s),
    }
}

/// `rpasim validate`.
pub fn validate(args: &ScenarioArgs) -> Result<(), CliError> {
    let s = load_for_output(args, true)?;
    let (runs, events, bytes) = rpasim_scenario::build::limits::estimate(&s.spec);
    let about = rpasim_scenario::build::limits::about;
    sayln!(
        "{}: valid ({} targets, {} machines, {} flows, horizon {}; about {} runs, {} events, \
         {:.0} MB of output)",
        args.scenario.display(),
        s.spec.targets.len(),
        s.spec.machines.len(),
        s.spec.flows.len(),
        s.spec.horizon,
        about(runs),
        about(events),
        (bytes / 1e6).ceil(),
    );
    Ok(())
}

/// `rpasim run`.
pub fn run(args: &RunArgs) -> Result<(), CliError> {
    let started = Instant::now();
    let scenario = load_for_output(&args.scenario, args.runs == RunsOutput::All)?;
    let goals = goals(args, &scenario)?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| default_out(&args.scenario.scenario, &what_changed(&args.scenario)));
    let staged = StagedDir::create(&out, &RUN_OUTPUT)?;
    let dir = staged.path().to_path_buf();
    let io = |e| CliError::io(&dir, e);
    std::fs::write(dir.join(SCENARIO_COPY), &scenario.effective_toml).map_err(io)?;
    let write_runs = args.runs == RunsOutput::All;
    let mut recorder = Recorder::create_with(&dir, &scenario.spec, write_runs).map_err(io)?;
    if !args.no_charts {
        // Drawn from the samples as they come: not read back from the file.
        recorder = recorder.with_series(&scenario.spec);
    }
    let progress = Progress::new(scenario.spec.horizon, args.quiet);
    // Files are written on a core of their own when there is one.
    let output = Output::beside(recorder);
    let sim = Simulation::new(&scenario.spec, (output, progress))
        .map_err(|e| CliError::Invalid(e.to_string()))?;
    let engine_start = Instant::now();
    let ((output, progress), report) = sim.run();
    let engine = engine_start.elapsed();
    progress.finish();
    let finish_start = Instant::now();
    let recorder = output.into_recorder();
    let (summary, series) = recorder.finish_with_series(&report).map_err(io)?;
    let finish = finish_start.elapsed();
    let judged = rpasim_report::goals::judge(&goals, &summary);
    if !judged.is_empty() {
        let file = std::fs::File::create(dir.join(rpasim_report::GOALS_CSV)).map_err(io)?;
        rpasim_report::goals::write_csv(&judged, std::io::BufWriter::new(file))
            .map_err(|e| CliError::io(&dir, e.into()))?;
    }
    let mut manifest = manifest(&scenario, &args.scenario.scenario, report.runs);
    manifest.overrides = what_changed(&args.scenario);
    manifest.write(&dir).map_err(io)?;
    let charts_start = Instant::now();
    if !args.no_charts {
        // Kept since charts are drawn (above), so never `None`; no rows
        // would only draw empty lines.
        let series = series.unwrap_or_else(|| SampleRows::new(0, 0, 0));
        let data = ChartData::from_run(&dir, manifest, &summary, series).map_err(io)?;
        rpasim_charts::render(&dir, &data).map_err(io)?;
    }
    let charts = charts_start.elapsed();
    let out = staged.commit()?;
    if !args.quiet {
        sayln!(
            "{}: {} simulated (seed {}), {} runs -> {}",
            scenario.name,
            scenario.spec.horizon,
            scenario.spec.seed,
            report.runs,
            out.display()
        );
        say!("{}", console::summary_table(&summary));
        say!("{}", console::goals(&judged));
    }
    if args.stats {
        let timing = console::Timing {
            engine,
            finish,
            charts: (!args.no_charts).then_some(charts),
            total: started.elapsed(),
        };
        say!(
            "{}",
            console::stats(&report, &timing, console::peak_memory())
        );
    }
    let missed = judged.iter().filter(|j| !j.met).count();
    if args.require_goals && missed > 0 {
        return Err(CliError::GoalsMissed(missed));
    }
    Ok(())
}

/// The goals of a run: `--goal` when given, else the scenario's
/// `[[goals]]`; checked before anything runs.
fn goals(args: &RunArgs, scenario: &Scenario) -> Result<Vec<Goal>, CliError> {
    if args.goals.is_empty() {
        return Ok(scenario.goals.clone());
    }
    args.goals
        .iter()
        .map(|g| rpasim_scenario::goals::parse_cli(g, &scenario.spec).map_err(CliError::Invalid))
        .collect()
}

/// `rpasim plot`: redraws the charts and the report of an output directory
/// (only an rpasim output; its charts are swapped in whole).
pub fn plot(dir: &Path) -> Result<(), CliError> {
    // A sweep directory is recognised by its own marker (sweep.toml).
    if dir.join(rpasim_sweep::runner::SWEEP_TOML).is_file()
        && inspect(dir, &rpasim_sweep::directory::SWEEP_OUTPUT)? == Contents::Ours
    {
        return plot_sweep(dir);
    }
    not_redrawn_here(dir)?;
    if inspect(dir, &RUN_OUTPUT)? != Contents::Ours {
        return Err(CliError::Invalid(format!(
            "{}: not an rpasim output directory (no manifest.toml written by rpasim run, \
             no sweep.toml written by rpasim sweep)",
            dir.display()
        )));
    }
    if !dir.join(rpasim_report::RUNS_CSV).exists() {
        return Err(CliError::Invalid(format!(
            "{}: no runs.csv (the run was made with --runs none), and the charts' waits are \
             read there; run the scenario again without --runs none",
            dir.display()
        )));
    }
    let data = ChartData::load(dir).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound | std::io::ErrorKind::InvalidData => CliError::Invalid(
            format!("{}: not an rpasim output directory ({e})", dir.display()),
        ),
        _ => CliError::io(dir, e),
    })?;
    rpasim_charts::redraw(dir, &data)?;
    sayln!(
        "{}: charts and {} redrawn",
        dir.display(),
        rpasim_charts::REPORT_HTML
    );
    Ok(())
}

/// Refuses, saying what to do instead, the outputs of rpasim that `plot`
/// does not redraw: a plan's and an import's (taken for foreign files,
/// they were told as files "rpasim did not write").
fn not_redrawn_here(dir: &Path) -> Result<(), CliError> {
    let ours = |kind| matches!(inspect(dir, kind), Ok(Contents::Ours));
    let shown = dir.display();
    if ours(&rpasim_sweep::plan::PLAN_OUTPUT) {
        return Err(CliError::Invalid(format!(
            "{shown}: a plan's output (answer.toml); rpasim plot redraws runs and sweeps, and a \
             plan draws its charts as it runs: run the same rpasim plan again (the same \
             arguments give the same files)"
        )));
    }
    if ours(&rpasim_charts::import::IMPORT_OUTPUT) {
        return Err(CliError::Invalid(format!(
            "{shown}: an import's output (replay.toml); rpasim plot redraws runs and sweeps, \
             and an import draws its calibration as it runs: import the history again, or \
             run {shown}/replay.toml or {shown}/scenario.toml and plot that run"
        )));
    }
    Ok(())
}

/// `rpasim plot` of a sweep directory: its summaries and charts assembled
/// again from its results (the same bytes), locked against a sweep
/// writing there at once.
fn plot_sweep(dir: &Path) -> Result<(), CliError> {
    let invalid = |e: rpasim_sweep::SweepError| CliError::Invalid(e.to_string());
    let manifest = rpasim_sweep::runner::SweepManifest::read(dir).map_err(invalid)?;
    if let Some(shard) = &manifest.shard {
        return Err(CliError::Invalid(format!(
            "{}: holds shard {shard} of a sweep, not the whole sweep: merge its shards (rpasim \
             merge SHARD_DIR... --out DIR), which draws the sweep's charts",
            dir.display()
        )));
    }
    if !dir.join(rpasim_sweep::results::RESULTS_LOG).exists() {
        return Err(CliError::Invalid(format!(
            "{}: a merge of shards, which keeps no results to assemble again (the shards hold \
             them): merge the shards again into it (rpasim merge SHARD_DIR... --out {}), which \
             writes the same files and draws the charts anew",
            dir.display(),
            dir.display()
        )));
    }
    let _lock = rpasim_sweep::directory::SweepDir::open(dir, &manifest, true).map_err(invalid)?;
    rpasim_sweep::assemble::assemble(dir, &manifest, &[dir.to_path_buf()]).map_err(invalid)?;
    sayln!("{}: sweep summaries and charts redrawn", dir.display());
    Ok(())
}

/// What `rpasim plot` needs to know of a run.
fn manifest(s: &Scenario, path: &Path, runs: u64) -> Manifest {
    let kind = |k: TargetKind| match k {
        TargetKind::Machine => "machine",
        TargetKind::MachineGroup => "machine_group",
        TargetKind::HostedGroup => "hosted_group",
        TargetKind::HostedMachine => "hosted_machine",
    };
    let hosted_groups = s.spec.hosted_groups_by_target();
    Manifest {
        rpasim_version: env!("CARGO_PKG_VERSION").to_string(),
        name: s.name.clone(),
        question: s.question.clone(),
        scenario: path.display().to_string(),
        seed: s.spec.seed,
        horizon_ms: s.spec.horizon.as_millis(),
        warmup_ms: s.spec.warmup.as_millis(),
        sample_every_ms: s.spec.sample_every.as_millis(),
        runs,
        overrides: Vec::new(),
        targets: s
            .spec
            .targets
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let hosted = hosted_groups[i];
                ManifestTarget {
                    name: t.name.clone(),
                    kind: kind(t.kind).to_string(),
                    max_bots: hosted.map(|h| h.max_bots),
                    environment: hosted
                        .map(|_| s.spec.environments[t.environment.index()].name.clone()),
                }
            })
            .collect(),
        environments: s
            .spec
            .environments
            .iter()
            .zip(capacity_changes(s))
            .map(|(e, changes)| ManifestEnvironment {
                name: e.name.clone(),
                hosted_capacity: e.hosted_capacity,
                changes,
            })
            .filter(|e| e.hosted_capacity > 0 || !e.changes.is_empty())
            .collect(),
    }
}

/// The changes of each environment's hosted capacity by `set` events
/// within the horizon, by environment, in time order (events of one
/// instant in the order of the file, the last one holding), for the
/// charts' capacity line. One pass over the events for all environments.
fn capacity_changes(s: &Scenario) -> Vec<Vec<CapacityChange>> {
    let mut changes = vec![Vec::new(); s.spec.environments.len()];
    for e in s.spec.events.iter().filter(|e| e.at < s.spec.horizon) {
        if let Action::Set {
            setting: Setting::HostedCapacity(id),
            value,
            ..
        } = e.action
            && let Some(of_env) = changes.get_mut(id.index())
        {
            of_env.push(CapacityChange {
                at_ms: e.at.as_millis(),
                hosted_capacity: value.max(0.0) as u32,
            });
        }
    }
    for of_env in &mut changes {
        of_env.sort_by_key(|c: &CapacityChange| c.at_ms);
    }
    changes
}

/// The overrides that change what is simulated (`--set`, `--seed`), as
/// `key=value`: recorded in the manifest and the report.
fn what_changed(args: &ScenarioArgs) -> Vec<String> {
    args.overrides()
        .iter()
        .filter(|o| o.key != "limits.max_runs")
        .map(|o| format!("{}={}", o.key, o.value))
        .collect()
}

/// `reports/<scenario file stem>`, or with overrides
/// `reports/<stem>-<8 hex digits of a hash of them>`, so that a what-if
/// never silently replaces the plain scenario's report (and the same
/// what-if finds its own directory again).
fn default_out(scenario: &Path, overrides: &[String]) -> PathBuf {
    let stem = scenario
        .file_stem()
        .map_or_else(|| "scenario".into(), |s| s.to_string_lossy().into_owned());
    if overrides.is_empty() {
        return Path::new("reports").join(stem);
    }
    // FNV-1a: stable across versions and platforms, unlike std's hasher.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in overrides.join("\n").bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    Path::new("reports").join(format!("{stem}-{:08x}", hash >> 32))
}
