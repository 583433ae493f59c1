//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use rpasim_core::{ModelSpec, Observer, RunRecord, SimReport, Simulation};
use rpasim_report::order::ArrivalOrder;
use rpasim_report::{Recorder, Summary};
use rpasim_scenario::Scenario;

/// Parses scenario text (panicking with the messages if invalid).
pub fn scenario(text: &str) -> Scenario {
    rpasim_scenario::parse(text, Path::new("test.toml"), &[]).unwrap_or_else(|e| panic!("{e}"))
}

/// Runs a scenario in memory with an extra observer; returns it, the
/// engine's report and the summary. Checks, as every simulation of the
/// tests does, that the wait reasons are current after every event.
pub fn simulate<O: Observer>(s: &Scenario, extra: O) -> (O, SimReport, Summary) {
    let observers = (Recorder::summary_only(&s.spec), extra);
    let sim = Simulation::new(&s.spec, observers)
        .expect("valid model")
        .check_wait_reasons();
    let ((recorder, extra), report) = sim.run();
    let summary = recorder.finish(&report).expect("no I/O");
    (extra, report, summary)
}

/// Simulates a model in memory; returns its summary.
pub fn summarize(spec: &ModelSpec) -> Summary {
    let sim = Simulation::new(spec, Recorder::summary_only(spec))
        .expect("valid model")
        .check_wait_reasons();
    let (recorder, report) = sim.run();
    recorder.finish(&report).expect("no I/O")
}

/// Collects every run record, in arrival order.
#[derive(Debug, Default)]
pub struct Collect {
    order: ArrivalOrder,
    /// Records in arrival order.
    pub runs: Vec<RunRecord>,
}

impl Observer for Collect {
    fn run_finished(&mut self, record: &RunRecord) {
        let runs = &mut self.runs;
        let _ = self.order.push(record, |r| {
            runs.push(*r);
            Ok::<(), std::io::Error>(())
        });
    }
}

/// Simulates a model with a checking observer; returns the run records in
/// arrival order, the observer, and how many runs arrived.
/// Every model simulated this way also checks that the engine's wait
/// reasons are current after every event and that every run's wait split
/// adds up to the millisecond.
pub fn simulate_watched<W: Observer>(spec: &ModelSpec, watch: W) -> (Vec<RunRecord>, W, u64) {
    let sim = Simulation::new(spec, (Collect::default(), watch))
        .expect("valid model")
        .check_wait_reasons();
    let ((collect, watch), report) = sim.run();
    for r in &collect.runs {
        assert_wait_split_adds_up(r, report.horizon);
    }
    (collect.runs, watch, report.runs)
}

/// A run's wait reasons add up to its wait if it started, else to its time
/// in the queue (until it ended, or the horizon).
pub fn assert_wait_split_adds_up(r: &RunRecord, horizon: rpasim_core::SimTime) {
    let until = r.start.or(r.end).unwrap_or(horizon);
    assert_eq!(
        r.waits.total().as_millis(),
        until.as_millis() - r.arrival.as_millis(),
        "run {} ({:?}, {:?})",
        r.id,
        r.outcome,
        r.waits
    );
}

/// The rpasim binary built for these tests.
pub fn rpasim() -> Command {
    Command::new(env!("CARGO_BIN_EXE_rpasim"))
}

/// Runs the binary with `args` in `dir`.
pub fn run_in(dir: &Path, args: &[&str]) -> Output {
    rpasim()
        .current_dir(dir)
        .args(args)
        .output()
        .expect("rpasim runs")
}

/// The repository root (for bundled scenarios).
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Text of a process's stderr.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Text of a process's stdout.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The bundled scenarios (`scenarios/*.toml`) with their text, by path.
pub fn bundled_scenarios() -> Vec<(PathBuf, String)> {
    let mut out: Vec<(PathBuf, String)> = std::fs::read_dir(repo().join("scenarios"))
        .expect("scenarios")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .map(|p| {
            let text = std::fs::read_to_string(&p).expect("read");
            (p, text)
        })
        .collect();
    out.sort();
    assert!(out.len() >= 13, "{} bundled scenarios", out.len());
    out
}
