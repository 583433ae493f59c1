//! A run recorded in memory (what the Python package returns) is the same
//! bytes as the files `rpasim run` writes.

use crate::common;

use std::fs;
use std::io::BufRead;

use common::{repo, run_in, stderr};
use rpasim_core::Simulation;
use rpasim_report::background::Background;
use rpasim_report::series::MAX_POINTS;
use rpasim_report::{Output, Recorder};

#[test]
fn in_memory_tables_equal_the_files_of_rpasim_run() {
    let path = repo().join("scenarios/quickstart.toml");
    let dir = tempfile::tempdir().expect("temp dir");
    let o = run_in(
        dir.path(),
        &[
            "run",
            path.to_str().expect("utf-8"),
            "--out",
            "q",
            "--no-charts",
            "-q",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let scenario = rpasim_scenario::load(&path, &[]).expect("quickstart");
    let sim = Simulation::new(&scenario.spec, Recorder::in_memory(&scenario.spec)).expect("sim");
    let (recorder, report) = sim.run();
    let (_, tables) = recorder.finish_in_memory(&report).expect("in memory");
    let runs = tables.runs.as_ref().expect("runs kept");
    for (file, bytes) in [
        ("runs.csv", runs),
        ("timeseries.csv", &tables.timeseries),
        ("events.csv", &tables.events),
        ("summary.csv", &tables.summary),
        ("summary-flows.csv", &tables.flows),
    ] {
        let written = fs::read(dir.path().join("q").join(file)).expect(file);
        assert!(!written.is_empty(), "{file}");
        assert!(*bytes == written, "{file} differs");
    }
}

/// Without runs (the Python package's `runs=False`), the other tables are
/// the files of `rpasim run --runs none`, and no `runs.csv` is kept.
#[test]
fn in_memory_tables_without_runs_equal_the_files_of_runs_none() {
    let path = repo().join("scenarios/outages.toml");
    let dir = tempfile::tempdir().expect("temp dir");
    let path_text = path.to_str().expect("utf-8");
    let args = ["run", path_text, "--out", "o", "--no-charts", "-q"];
    let o = run_in(dir.path(), &[&args[..], &["--runs", "none"]].concat());
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!dir.path().join("o/runs.csv").exists());
    let spec = rpasim_scenario::load(&path, &[]).expect("outages").spec;
    let sim = Simulation::new(&spec, Recorder::in_memory_with(&spec, false)).expect("sim");
    let (recorder, report) = sim.run();
    let (_, tables) = recorder.finish_in_memory(&report).expect("in memory");
    assert_eq!(tables.runs, None);
    for (file, bytes) in [
        ("timeseries.csv", &tables.timeseries),
        ("events.csv", &tables.events),
        ("summary.csv", &tables.summary),
        ("summary-flows.csv", &tables.flows),
    ] {
        let written = fs::read(dir.path().join("o").join(file)).expect(file);
        assert!(written.lines().count() > 1, "{file} has rows");
        assert!(*bytes == written, "{file} differs");
    }
}

/// Recorded on a thread of its own (what `rpasim run` does on a machine
/// with two cores or more), a run gives the same bytes as recorded inline:
/// runs, samples and notable events of scenarios that have each.
#[test]
fn recording_beside_the_simulation_gives_the_same_bytes() {
    let mut batches = 0;
    for name in [
        "quickstart",
        "patch-night",
        "outages",
        "nightly-cold-start",
        "certificate-renewal",
        "month-end",
    ] {
        let path = repo().join(format!("scenarios/{name}.toml"));
        let spec = rpasim_scenario::load(&path, &[]).expect(name).spec;
        let record = |output: Output| {
            let (output, report) = Simulation::new(&spec, output).expect("sim").run();
            let recorder = output.into_recorder();
            recorder.finish_in_memory(&report).expect("in memory").1
        };
        let inline = record(Output::Inline(Box::new(Recorder::in_memory(&spec))));
        let beside = Background::spawn(Recorder::in_memory(&spec)).expect("a thread");
        let threaded = record(Output::Background(beside));
        let runs = inline.runs.as_deref().expect("runs kept");
        let rows = runs.iter().filter(|b| **b == b'\n').count();
        assert!(rows > 500, "{name}: {rows} runs");
        assert!(inline == threaded, "{name}: the bytes differ");
        batches += rows / rpasim_report::background::BATCH;
    }
    assert!(batches >= 4, "several full batches crossed the channel");
}

/// The samples reduced for drawing are kept only for a run whose charts
/// are drawn (`with_series`): `--no-charts`, sweeps and the Python package
/// do not pay for them (tens of MB with thousands of targets).
#[test]
fn series_for_charts_are_kept_only_when_asked_for() {
    let path = repo().join("scenarios/quickstart.toml");
    let spec = rpasim_scenario::load(&path, &[]).expect("quickstart").spec;
    let series = |recorder: Recorder| {
        let (recorder, report) = Simulation::new(&spec, recorder).expect("sim").run();
        recorder.finish_with_series(&report).expect("no I/O").1
    };
    assert!(series(Recorder::summary_only(&spec)).is_none());
    assert!(series(Recorder::in_memory(&spec)).is_none());
    let kept = series(Recorder::summary_only(&spec).with_series(&spec)).expect("kept");
    assert_eq!(kept.targets(), spec.targets.len());
    // Sampled from time 0 to the horizon, more often than drawn.
    let samples = spec.horizon.as_millis() / spec.sample_every.as_millis() + 1;
    assert!(samples > MAX_POINTS as u64, "{samples} samples");
    for t in 0..kept.targets() {
        let points = kept.series(t);
        assert!((MAX_POINTS / 2..=MAX_POINTS).contains(&points.len()));
        assert_eq!(
            points.last().map(|p| p.time_ms),
            Some(spec.horizon.as_millis())
        );
    }
}
