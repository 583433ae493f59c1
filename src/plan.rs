//! `rpasim plan`: arguments to a `PlanDefinition`, the run on a pool of
//! `--jobs` threads, the staged output directory, and the answer in one
//! sentence.

use std::path::{Path, PathBuf};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rpasim_report::StagedDir;
use rpasim_report::format::percent;
use rpasim_report::goals::{Goal, Measured, human};
use rpasim_sweep::definition::parse_vary;
use rpasim_sweep::plan::evaluate::{Evaluation, Verdict};
use rpasim_sweep::plan::{self, PLAN_OUTPUT, Plan, PlanDefinition};

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
        println!("{}", sentence(&plan));
        println!("{} -> {}", details(&plan), out.display());
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

/// Most goals a sentence tells of; beyond, those that decide.
const MOST_GOALS_TOLD: usize = 3;

/// The goals' estimates on a candidate, as a person reads them: beyond
/// [`MOST_GOALS_TOLD`] goals, those that decide it, saying so.
fn estimate(plan: &Plan, variant: usize) -> String {
    let Some(e) = plan.evaluation(variant) else {
        return String::new();
    };
    let told = plan.decisive_goals(variant, MOST_GOALS_TOLD);
    let of = if told.len() < plan.goals.len() {
        let which = match e.verdict {
            Verdict::Meets => "the tightest",
            _ => "the first missed or tightest",
        };
        format!("{which} {} of {} goals: ", told.len(), plan.goals.len())
    } else {
        String::new()
    };
    let told = told
        .iter()
        .map(|g| (&plan.goals[*g], &e.goals[*g]))
        .map(|(g, est)| {
            // The bound that decided: the meeting side when met, the other
            // side when failed.
            let failed = est.verdict == Verdict::Fails;
            let side = if g.at_most != failed {
                "upper"
            } else {
                "lower"
            };
            let decisive = est.decisive();
            let value = |x: f64| {
                human(
                    &g.metric,
                    if x.is_finite() {
                        Measured::Value(x)
                    } else {
                        Measured::Never
                    },
                )
            };
            format!(
                "{}: mean {}, {side} bound {}",
                g.describe(),
                value(est.mean),
                value(decisive)
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    format!("{of}{told}")
}

/// "; waiting mostly capacity (62 %)": where the target or flow of the
/// first goal that decides a candidate that does not meet waited; empty
/// when unknown.
fn mostly(plan: &Plan, e: &Evaluation) -> String {
    let first = plan.decisive_goals(e.variant, 1);
    let Some(Some(shares)) = first.first().and_then(|g| e.waits.get(*g)) else {
        return String::new();
    };
    let Some((reason, share)) = rpasim_core::wait::dominant(shares) else {
        return String::new();
    };
    format!(
        "; waiting mostly {} ({:.0} %)",
        reason.as_str(),
        share * 100.0
    )
}

/// The answer in one sentence, with its margin.
fn sentence(plan: &Plan) -> String {
    let confidence = format!("{} % confidence", percent(plan.confidence));
    let goals = if plan.goals.len() > MOST_GOALS_TOLD {
        format!("all {} goals", plan.goals.len())
    } else {
        plan.goals
            .iter()
            .map(Goal::describe)
            .collect::<Vec<_>>()
            .join(" and ")
    };
    match plan.answer {
        Some(a) => {
            let e = plan.evaluation(a).map_or(0, |e| e.replications);
            let mut s = format!(
                "{} meets {goals} with {confidence} ({}, {e} replications)",
                plan.describe(a),
                estimate(plan, a)
            );
            // The dearest cheaper candidate evaluated, that did not meet.
            let below = plan
                .evaluations
                .iter()
                .filter(|x| x.verdict != Verdict::Meets && plan.costs[x.variant] < plan.costs[a])
                .max_by(|x, y| plan.costs[x.variant].total_cmp(&plan.costs[y.variant]));
            if let Some(b) = below {
                s.push_str(&format!(
                    "; {} {} ({}{})",
                    plan.describe(b.variant),
                    b.verdict.as_str(),
                    estimate(plan, b.variant),
                    mostly(plan, b)
                ));
            }
            s
        }
        None => {
            let best = plan
                .evaluations
                .iter()
                .max_by(|x, y| plan.costs[x.variant].total_cmp(&plan.costs[y.variant]));
            match best {
                Some(b) => format!(
                    "no candidate meets {goals} with {confidence}; the most of the search space, \
                     {}, {} ({}{})",
                    plan.describe(b.variant),
                    b.verdict.as_str(),
                    estimate(plan, b.variant),
                    mostly(plan, b)
                ),
                None => format!("no candidate meets {goals}"),
            }
        }
    }
}

/// At what confidence the bounds are, when the looks split it: "; each
/// bound at 99 % (95 % over the looks at 5, 10, 20, 40, 50 replications)".
fn bounds(plan: &Plan) -> String {
    if plan.looks.len() < 2 {
        return String::new();
    }
    let at: Vec<String> = plan.looks.iter().map(u32::to_string).collect();
    format!(
        "; each bound at {} % ({} % over the looks at {} replications)",
        percent(plan.bound_confidence()),
        percent(plan.confidence),
        at.join(", ")
    )
}

/// How much work the plan did, and whether its assumption held.
fn details(plan: &Plan) -> String {
    let mut s = format!(
        "{} of {} candidates evaluated, {} simulations{}",
        plan.evaluations.len(),
        plan.costs.len(),
        plan.runs(),
        bounds(plan)
    );
    if !plan.violations.is_empty() {
        let (m, f) = plan.violations[0];
        s.push_str(&format!(
            "; NOT MONOTONE: {} meets but {} fails ({} such pairs), so the answer may not be the cheapest",
            plan.describe(m),
            plan.describe(f),
            plan.violations.len()
        ));
    }
    s
}
