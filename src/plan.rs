//! `rpasim plan`: arguments to a `PlanDefinition`, the run on a pool of
//! `--jobs` threads, the staged output directory, and the answer on the
//! console (its words are `rpasim_sweep::plan::words`', which the plan's
//! `report.html` leads with too).

use std::path::{Path, PathBuf};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rpasim_report::StagedDir;
use rpasim_report::goals::Goal;
use rpasim_sweep::definition::parse_vary;
use rpasim_sweep::plan::words::{details, sentence};
use rpasim_sweep::plan::{self, PLAN_OUTPUT, PlanDefinition};

use crate::cli::PlanArgs;
use crate::error::CliError;

/// `MIN..MAX`.
fn replications(text: &str) -> Result<(u32, u32), CliError> {
    let bad = || {
        CliError::Invalid(format!(
            "--replications expects MIN..MAX, e.g. 5..50; got {text:?}"
        ))
    };
    let (min, max) = text.split_once("..").ok_or_else(bad)?;
    Ok((
        min.trim().parse().map_err(|_| bad())?,
        max.trim().parse().map_err(|_| bad())?,
    ))
}

/// The goals: `--goal` when given, else the scenario's `[[goals]]`.
fn goals(args: &PlanArgs) -> Result<Vec<Goal>, CliError> {
    let overrides: Vec<rpasim_scenario::Override> = args
        .set
        .iter()
        .map(|o| o.parse().map_err(CliError::Invalid))
        .collect::<Result<_, _>>()?;
    let scenario = rpasim_scenario::load(&args.scenario, &overrides)
        .map_err(|e| CliError::Invalid(e.to_string()))?;
    if args.goals.is_empty() {
        return Ok(scenario.goals);
    }
    args.goals
        .iter()
        .map(|g| rpasim_scenario::goals::parse_cli(g, &scenario.spec).map_err(CliError::Invalid))
        .collect()
}

fn definition(args: &PlanArgs) -> Result<PlanDefinition, CliError> {
    Ok(PlanDefinition {
        scenario: args.scenario.clone(),
        search: args
            .search
            .iter()
            .map(|s| {
                parse_vary(s).map_err(|e| CliError::Invalid(e.0.replace("--vary", "--search")))
            })
            .collect::<Result<_, _>>()?,
        goals: goals(args)?,
        confidence: args.confidence,
        replications: replications(&args.replications)?,
        seed: args.seed,
        set: args.set.clone(),
    })
}

fn progress(quiet: bool) -> ProgressBar {
    let target = if quiet {
        ProgressDrawTarget::hidden()
    } else {
        ProgressDrawTarget::stderr()
    };
    let bar = ProgressBar::with_draw_target(None, target);
    if let Ok(style) = ProgressStyle::with_template("{spinner} plan: {msg} ({elapsed})") {
        bar.set_style(style);
    }
    bar
}

/// `rpasim plan`.
pub fn plan(args: &PlanArgs) -> Result<(), CliError> {
    rpasim_sweep::runner::check_threads(args.jobs)?;
    let def = definition(args)?;
    let prepared = plan::prepare(&def)?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| default_out(&args.scenario));
    let staged = StagedDir::create(&out, &PLAN_OUTPUT)?;
    let bar = progress(args.quiet);
    let tick = |evaluated: usize, runs: u64| {
        bar.set_message(format!(
            "{evaluated} candidates evaluated, {runs} simulations"
        ));
        bar.tick();
    };
    let result = rpasim_sweep::runner::with_threads(args.jobs, || {
        plan::run(&def, &prepared, &tick, &rpasim_sweep::Stop::never())
    });
    bar.finish_and_clear();
    let plan = result??;
    plan::write(&plan, &def, staged.path())?;
    let out = staged.commit()?;
    if !args.quiet {
        sayln!("{}", sentence(&plan));
        sayln!("{} -> {}", details(&plan), out.display());
    }
    match plan.answer {
        Some(_) => Ok(()),
        None => Err(CliError::NoAnswer),
    }
}

/// `reports/<scenario stem>-plan`.
fn default_out(scenario: &Path) -> PathBuf {
    let stem = scenario
        .file_stem()
        .map_or_else(|| "scenario".into(), |s| s.to_string_lossy().into_owned());
    Path::new("reports").join(format!("{stem}-plan"))
}
