//! A plan's answer in words, as the console prints it and `report.html`
//! leads with: the cheapest candidate that meets the goals with its
//! estimates and bounds, the dearest cheaper one that did not, and how
//! much work the plan did.

use rpasim_report::format::percent;
use rpasim_report::goals::{Goal, Measured, human};

use super::Plan;
use super::evaluate::{Evaluation, Verdict};

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

/// The answer in one sentence, with its margin: the two parts of
/// [`sentence_parts`] joined.
pub fn sentence(plan: &Plan) -> String {
    match sentence_parts(plan) {
        (answer, Some(below)) => format!("{answer}; {below}"),
        (answer, None) => answer,
    }
}

/// The answer (the cheapest candidate that meets the goals, with its
/// estimates; or that none does, and how the dearest fared), and when one
/// meets, the dearest cheaper candidate evaluated, that did not, with
/// where its runs waited.
pub fn sentence_parts(plan: &Plan) -> (String, Option<String>) {
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
            let answer = format!(
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
            let below = below.map(|b| {
                format!(
                    "{} {} ({}{})",
                    plan.describe(b.variant),
                    b.verdict.as_str(),
                    estimate(plan, b.variant),
                    mostly(plan, b)
                )
            });
            (answer, below)
        }
        None => {
            let best = plan
                .evaluations
                .iter()
                .max_by(|x, y| plan.costs[x.variant].total_cmp(&plan.costs[y.variant]));
            let none = match best {
                Some(b) => format!(
                    "no candidate meets {goals} with {confidence}; the most of the search space, \
                     {}, {} ({}{})",
                    plan.describe(b.variant),
                    b.verdict.as_str(),
                    estimate(plan, b.variant),
                    mostly(plan, b)
                ),
                None => format!("no candidate meets {goals}"),
            };
            (none, None)
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
pub fn details(plan: &Plan) -> String {
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
