//! A researcher's policy in a few dozen lines: plug a queue discipline and a
//! machine-selection policy into the engine and compare them with the
//! service's own (priority then FIFO, random machine) on a bundled scenario.
//!
//!     cargo run --release --example custom_policy [SCENARIO]
//!
//! Every variant uses the same seed, so the same runs arrive with the same
//! sampled durations (common random numbers): differences come from the
//! policies alone.

use std::path::PathBuf;

use rpasim_core::queue::{QueueDiscipline, QueuedRun, Rank};
use rpasim_core::random::SimRng;
use rpasim_core::selection::{Candidates, MachineSelection};
use rpasim_core::{Simulation, TargetId};
use rpasim_report::{Recorder, Summary};

/// Shortest job first, by the run's sampled duration (an oracle the real
/// service does not have: a bound on what duration-aware scheduling buys).
/// Priorities still come first.
#[derive(Debug)]
struct ShortestJobFirst;

impl QueueDiscipline for ShortestJobFirst {
    fn rank(&self, run: &QueuedRun) -> Rank {
        (-run.priority, run.duration.as_millis() as i64)
    }
}

/// Pack runs onto the busiest machine that still has a free bot, so that
/// whole machines stay idle (and could be switched off).
#[derive(Debug)]
struct Pack;

impl MachineSelection for Pack {
    fn select(&mut self, candidates: &Candidates<'_>, _rng: &mut SimRng) -> usize {
        candidates.argmin_by_key(|c| (c.free_bots, c.machine))
    }
}

fn simulate(
    scenario: &rpasim_scenario::Scenario,
    discipline: impl Fn() -> Option<Box<dyn QueueDiscipline>>,
    selection: impl Fn() -> Option<Box<dyn MachineSelection>>,
) -> Summary {
    let spec = &scenario.spec;
    let mut sim =
        Simulation::new(spec, Recorder::summary_only(spec)).expect("a validated scenario");
    for t in 0..spec.targets.len() {
        if let Some(d) = discipline() {
            sim.set_discipline(TargetId::from_index(t), d);
        }
        if let Some(s) = selection() {
            sim.set_selection(TargetId::from_index(t), s);
        }
    }
    let (recorder, report) = sim.run();
    recorder.finish(&report).expect("no I/O in memory")
}

fn main() {
    let path = std::env::args()
        .nth(1)
        .map_or_else(|| PathBuf::from("scenarios/quickstart.toml"), PathBuf::from);
    let scenario = match rpasim_scenario::load(&path, &[]) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let variants: [(&str, Summary); 3] = [
        (
            "service (priority, FIFO, random)",
            simulate(&scenario, || None, || None),
        ),
        (
            "shortest job first",
            simulate(&scenario, || Some(Box::new(ShortestJobFirst)), || None),
        ),
        (
            "pack machines",
            simulate(&scenario, || None, || Some(Box::new(Pack))),
        ),
    ];
    println!("{}: mean and p95 wait over all runs", scenario.name);
    for (name, summary) in &variants {
        let all = summary.all();
        println!(
            "  {name:<34} mean {:>8.1} s   p95 {:>8.1} s   waited {:>5.1} %",
            all.wait_mean_ms / 1000.0,
            all.wait_p95_ms as f64 / 1000.0,
            100.0 * all.waited_share().unwrap_or(0.0)
        );
    }
    println!("(bots of a target are interchangeable here, so machine selection moves runs between");
    println!(" machines without changing waits; the queue discipline is what moves waits.)");
}
