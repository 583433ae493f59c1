//! Calibration: the replay simulated at once and compared with the history,
//! flow by flow (`calibration.csv`): observed and replayed waits, and how
//! far each replayed start is from the observed one. When the replay
//! reproduces the observed waits, rpasim's model of the scheduler fits
//! this history; when observed waits are longer, something the history
//! does not show slowed the runs (sessions, machines offline, ...).

use std::fmt::Write as _;
use std::path::Path;

use rpasim_core::{Observer, RunRecord, Simulation};

use crate::write::ReplayedFlow;

/// Within this share, replayed and observed mean waits agree.
pub const AGREEMENT: f64 = 0.03;

/// Collects the replay's runs.
#[derive(Default)]
struct Runs(Vec<RunRecord>);

impl Observer for Runs {
    fn run_finished(&mut self, record: &RunRecord) {
        self.0.push(*record);
    }
}

/// Mean, median and 95th percentile of values in ms, as seconds.
fn stats(mut ms: Vec<i64>) -> Option<(f64, f64, f64)> {
    if ms.is_empty() {
        return None;
    }
    ms.sort_unstable();
    let at =
        |q: f64| ms[((q * ms.len() as f64).ceil() as usize).clamp(1, ms.len()) - 1] as f64 / 1000.0;
    let mean = ms.iter().sum::<i64>() as f64 / ms.len() as f64 / 1000.0;
    Some((mean, at(0.5), at(0.95)))
}

/// Simulates `out/replay.toml`, writes `out/calibration.csv` and returns a
/// verdict per flow, in words.
pub fn calibrate(out: &Path, flows: &[ReplayedFlow]) -> Result<Vec<String>, String> {
    let scenario =
        rpasim_scenario::load(&out.join("replay.toml"), &[]).map_err(|e| e.to_string())?;
    let sim = Simulation::new(&scenario.spec, Runs::default()).map_err(|e| e.to_string())?;
    let (mut runs, _) = sim.run();
    runs.0.sort_by_key(|r| r.id);
    let mut csv = String::from(
        "flow,target,runs_observed,runs_replayed,wait_mean_observed_s,wait_mean_replayed_s,\
         wait_p50_observed_s,wait_p50_replayed_s,wait_p95_observed_s,wait_p95_replayed_s,\
         start_error_p50_s,start_error_p95_s\n",
    );
    let mut verdicts = Vec::new();
    for (i, f) in flows.iter().enumerate() {
        let replayed: Vec<&RunRecord> = runs.0.iter().filter(|r| r.flow.index() == i).collect();
        let observed: Vec<i64> = f
            .runs
            .iter()
            .filter_map(|(a, s)| Some(s.as_ref()? - a))
            .collect();
        let simulated: Vec<i64> = replayed
            .iter()
            .filter_map(|r| Some(r.wait()?.as_millis() as i64))
            .collect();
        // Run k of the flow in the replay is run k of the history.
        let errors: Vec<i64> = f
            .runs
            .iter()
            .zip(&replayed)
            .filter_map(|((_, s), r)| Some((r.start?.as_millis() as i64 - (*s)?).abs()))
            .collect();
        let cell = |v: Option<f64>| v.map(|x| format!("{x:.3}")).unwrap_or_default();
        let (o, s, e) = (stats(observed), stats(simulated), stats(errors));
        let _ = writeln!(
            csv,
            "{},{},{},{},{},{},{},{},{},{},{},{}",
            quote_csv(&f.flow),
            quote_csv(&f.target),
            f.runs.len(),
            replayed.len(),
            cell(o.map(|x| x.0)),
            cell(s.map(|x| x.0)),
            cell(o.map(|x| x.1)),
            cell(s.map(|x| x.1)),
            cell(o.map(|x| x.2)),
            cell(s.map(|x| x.2)),
            cell(e.map(|x| x.1)),
            cell(e.map(|x| x.2)),
        );
        verdicts.push(verdict(&f.flow, o.map(|x| x.0), s.map(|x| x.0)));
    }
    std::fs::write(out.join("calibration.csv"), csv).map_err(|e| e.to_string())?;
    Ok(verdicts)
}

/// Waits shorter than this (s) are "no wait" when compared in shares.
const NO_WAIT_S: f64 = 1.0;

/// A flow's verdict in words.
fn verdict(flow: &str, observed: Option<f64>, replayed: Option<f64>) -> String {
    let (Some(o), Some(s)) = (observed, replayed) else {
        return format!("calibration: {flow}: no run started, nothing to compare");
    };
    let longer = "something the history does not show is slowing it (sessions, machines \
                  offline, bots the fleet did not show)";
    let shorter = "the history had more capacity than it shows (bots never used at once; \
                   give them with a fleet)";
    if (o - s).abs() <= AGREEMENT * o.max(NO_WAIT_S) {
        format!(
            "calibration: {flow}: the replay reproduces the observed mean wait ({o:.1} s vs \
             {s:.1} s, within {:.0} %): the model of the scheduler fits this history",
            AGREEMENT * 100.0
        )
    } else if s < NO_WAIT_S {
        format!(
            "calibration: {flow}: observed runs waited {o:.1} s on average, replayed ones \
             did not wait: {longer}"
        )
    } else if o < NO_WAIT_S {
        format!(
            "calibration: {flow}: observed runs did not wait, replayed ones waited {s:.1} s \
             on average: {shorter}"
        )
    } else if o > s {
        format!(
            "calibration: {flow}: observed waits are {:.0} % longer than simulated ({o:.1} s vs \
             {s:.1} s): {longer}",
            100.0 * (o / s - 1.0)
        )
    } else {
        format!(
            "calibration: {flow}: observed waits are {:.0} % shorter than simulated ({o:.1} s vs \
             {s:.1} s): {shorter}",
            100.0 * (1.0 - o / s)
        )
    }
}

/// A CSV field, quoted when it must be.
fn quote_csv(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}
