//! The subcommands: `run` and `validate`.

use std::path::{Path, PathBuf};
use std::time::Instant;

use rpasim_core::Simulation;
use rpasim_report::{Recorder, StagedDir};
use rpasim_scenario::Scenario;

use crate::cli::{RunArgs, ScenarioArgs};
use crate::console;
use crate::error::CliError;

/// The effective scenario, copied into every output directory.
pub const SCENARIO_COPY: &str = "scenario.toml";

fn load(args: &ScenarioArgs) -> Result<Scenario, CliError> {
    rpasim_scenario::load(&args.scenario, &args.overrides())
        .map_err(|e| CliError::Invalid(e.to_string()))
}

/// `rpasim validate`.
pub fn validate(args: &ScenarioArgs) -> Result<(), CliError> {
    let s = load(args)?;
    println!(
        "{}: valid ({} targets, {} machines, {} flows, horizon {})",
        args.scenario.display(),
        s.spec.targets.len(),
        s.spec.machines.len(),
        s.spec.flows.len(),
        s.spec.horizon,
    );
    Ok(())
}

/// `rpasim run`.
pub fn run(args: &RunArgs) -> Result<(), CliError> {
    let started = Instant::now();
    let scenario = load(&args.scenario)?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| default_out(&args.scenario.scenario));
    let staged = StagedDir::create(&out).map_err(|e| CliError::io(&out, e))?;
    std::fs::write(staged.path().join(SCENARIO_COPY), &scenario.effective_toml)
        .map_err(|e| CliError::io(staged.path(), e))?;
    let recorder = Recorder::create(staged.path(), &scenario.spec)
        .map_err(|e| CliError::io(staged.path(), e))?;
    let sim =
        Simulation::new(&scenario.spec, recorder).map_err(|e| CliError::Invalid(e.to_string()))?;
    let engine_start = Instant::now();
    let (recorder, report) = sim.run();
    let engine = engine_start.elapsed();
    let summary = recorder
        .finish(&report)
        .map_err(|e| CliError::io(staged.path(), e))?;
    let out = staged.commit().map_err(|e| CliError::io(&out, e))?;
    if !args.quiet {
        println!(
            "{}: {} simulated (seed {}), {} runs -> {}",
            scenario.name,
            scenario.spec.horizon,
            scenario.spec.seed,
            report.runs,
            out.display()
        );
        print!("{}", console::summary_table(&summary));
    }
    if args.stats {
        print!(
            "{}",
            console::stats(&report, engine, started.elapsed(), console::peak_memory())
        );
    }
    Ok(())
}

/// `reports/<scenario file stem>`.
fn default_out(scenario: &Path) -> PathBuf {
    let stem = scenario
        .file_stem()
        .map_or_else(|| "scenario".into(), |s| s.to_string_lossy().into_owned());
    Path::new("reports").join(stem)
}
