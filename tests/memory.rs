//! A run recorded in memory (what the Python package returns) is the same
//! bytes as the files `rpasim run` writes.

mod common;

use std::fs;

use common::{repo, run_in, stderr};
use rpasim_core::Simulation;
use rpasim_report::Recorder;

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
    for (file, bytes) in [
        ("runs.csv", &tables.runs),
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
