//! Calibration: the replay and the fitted model simulated at once and
//! compared with the history, flow by flow (`calibration.csv`): runs,
//! waits observed, replayed and fitted, how far each replayed start is
//! from the observed one, and each target's utilization. When the replay
//! reproduces the observed waits, rpasim's model of the scheduler fits
//! this history; when observed waits are longer, something the history
//! does not show slowed the runs (sessions, machines offline, ...). The
//! fitted model is compared too: its waits differ from the replay's by
//! what the fit changed (arrivals drawn, not replayed).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

use rpasim_core::{Observer, RunRecord, SimReport, Simulation};

use crate::time::MS_PER_HOUR;
use crate::write::ReplayedFlow;

/// Within this share, replayed and observed mean waits agree.
pub const AGREEMENT: f64 = 0.03;
/// Hours in a week: the x axis of the arrivals compared.
pub const HOURS_OF_WEEK: usize = 168;

/// What the calibration needs of a simulated run (a fraction of a
/// `RunRecord`: a replay of a million runs is held twice).
#[derive(Debug, Clone, Copy)]
struct Seen {
    id: u64,
    flow: u32,
    target: u32,
    /// Arrival, ms.
    arrival: i64,
    /// Start, ms, if it started.
    start: Option<i64>,
}

impl Seen {
    /// Its wait in ms, if it started.
    fn wait(&self) -> Option<i64> {
        Some(self.start? - self.arrival)
    }
}

/// Collects a simulation's runs.
struct Runs(Vec<Seen>);

impl Observer for Runs {
    fn run_finished(&mut self, r: &RunRecord) {
        self.0.push(Seen {
            id: r.id,
            flow: r.flow.index() as u32,
            target: r.target.index() as u32,
            arrival: r.arrival.as_millis() as i64,
            start: r.start.map(|s| s.as_millis() as i64),
        });
    }
}

/// Mean, median and 95th percentile of waits, seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WaitStats {
    /// Mean.
    pub mean: f64,
    /// Median.
    pub p50: f64,
    /// 95th percentile.
    pub p95: f64,
}

impl WaitStats {
    /// Of values in ms; `None` when there are none.
    fn of(mut ms: Vec<i64>) -> Option<WaitStats> {
        if ms.is_empty() {
            return None;
        }
        ms.sort_unstable();
        let at = |q: f64| {
            ms[((q * ms.len() as f64).ceil() as usize).clamp(1, ms.len()) - 1] as f64 / 1000.0
        };
        let mean = ms.iter().sum::<i64>() as f64 / ms.len() as f64 / 1000.0;
        Some(WaitStats {
            mean,
            p50: at(0.5),
            p95: at(0.95),
        })
    }
}

/// Observed, replayed and fitted values of one quantity.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Compared<T> {
    /// From the history.
    pub observed: T,
    /// From the replay.
    pub replayed: T,
    /// From the fitted model (one simulation with its seed).
    pub fitted: T,
}

/// One flow's calibration.
#[derive(Debug, Clone, PartialEq)]
pub struct FlowCalibration {
    /// Flow name (as in the scenarios).
    pub flow: String,
    /// Its target.
    pub target: String,
    /// Runs.
    pub runs: Compared<usize>,
    /// Waits of the runs that started.
    pub waits: Compared<Option<WaitStats>>,
    /// Median and 95th percentile of |replayed start − observed start|, s.
    pub start_error: Option<(f64, f64)>,
    /// Its target's utilization (busy bot time over available bot time;
    /// the observed one over the replay's available bot time).
    pub utilization: Compared<Option<f64>>,
}

/// What the calibration found, for `calibration.csv`, the console and
/// `calibration.html`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Calibration {
    /// Which of the history's runs were taken, when not all: "557 runs
    /// created from ... until before ...; of the flows ..."; empty for
    /// the whole history.
    pub selected: String,
    /// Per flow, in the scenarios' order.
    pub flows: Vec<FlowCalibration>,
    /// A verdict per flow, in flow order.
    pub verdicts: Vec<Verdict>,
    /// Per target: waits (s) of started runs observed, replayed, fitted.
    pub waits: Vec<(String, Compared<Vec<f64>>)>,
    /// Arrivals per hour of the week (Monday 00:00 first), averaged over
    /// the weeks the horizon holds: observed and fitted.
    pub arrivals: (Vec<f64>, Vec<f64>),
}

/// What [`simulate`] gives of a scenario.
type Simulated = Result<(Vec<Seen>, SimReport, Vec<String>), String>;

/// `out`'s replay and fitted model, simulated at once on a machine with a
/// core to spare (each is a simulation of the whole history, of about
/// `runs` runs: most of an import's time), else one after the other; the
/// same results either way.
fn simulate_both(out: &Path, runs: usize) -> (Simulated, Simulated) {
    let fitted = || simulate(out, "scenario.toml", runs);
    if std::thread::available_parallelism().map_or(1, usize::from) < 2 {
        return (simulate(out, "replay.toml", runs), fitted());
    }
    std::thread::scope(|scope| {
        let beside = std::thread::Builder::new().spawn_scoped(scope, fitted);
        let replay = simulate(out, "replay.toml", runs);
        let fitted = match beside {
            Ok(handle) => handle
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            // No thread to be had: here.
            Err(_) => fitted(),
        };
        (replay, fitted)
    })
}

/// A scenario of `out`, simulated with its own seed; room is made for
/// `runs` runs at once (the history's), not in doublings.
fn simulate(out: &Path, file: &str, runs: usize) -> Simulated {
    // The scenarios are made to be valid: one that is not comes from a
    // history this importer does not yet know how to model, said as such.
    let scenario = rpasim_scenario::load(&out.join(file), &[]).map_err(|e| {
        format!(
            "{file}, made from the history, is not a valid scenario (a case rpasim import \
             does not handle yet; please report it): {e}"
        )
    })?;
    let names = scenario
        .spec
        .targets
        .iter()
        .map(|t| t.name.clone())
        .collect();
    let observer = Runs(Vec::with_capacity(runs));
    let sim = Simulation::new(&scenario.spec, observer).map_err(|e| e.to_string())?;
    let (mut runs, report) = sim.run();
    // Ids are unique: no stable sort's scratch copy needed.
    runs.0.sort_unstable_by_key(|r| r.id);
    Ok((runs.0, report, names))
}

/// Runs by flow index, each in run order.
fn by_flow(runs: &[Seen], flows: usize) -> Vec<Vec<&Seen>> {
    let mut out = vec![Vec::new(); flows];
    for r in runs {
        if let Some(list) = out.get_mut(r.flow as usize) {
            list.push(r);
        }
    }
    out
}

/// Started runs' waits in ms.
fn waits_ms<'a>(runs: impl Iterator<Item = &'a Seen>) -> Vec<i64> {
    runs.filter_map(Seen::wait).collect()
}

/// Each target's place in the scenarios, by name: looked up once per flow,
/// so a history of thousands of targets is not searched through for each.
fn target_index(names: &[String]) -> BTreeMap<&str, usize> {
    names
        .iter()
        .enumerate()
        .map(|(i, n)| (n.as_str(), i))
        .collect()
}

/// Utilization of target `name` in a simulation: busy over available bot time.
fn utilization(
    report: &SimReport,
    index: &BTreeMap<&str, usize>,
    name: &str,
    busy_ms: Option<f64>,
) -> Option<f64> {
    let t = report.targets.get(*index.get(name)?)?;
    let available = t.available_bot_ms as f64;
    (available > 0.0).then(|| busy_ms.unwrap_or(t.busy_bot_ms as f64) / available)
}

/// Simulates `out/replay.toml` and `out/scenario.toml`, compares them with
/// the history (`flows`, in the scenarios' order; `horizon_ms` the
/// replay's), writes `out/calibration.csv` and returns what it found.
pub fn calibrate(
    out: &Path,
    flows: &[ReplayedFlow],
    horizon_ms: i64,
) -> Result<Calibration, String> {
    let observed = flows.iter().map(|f| f.runs.len()).sum();
    let (replay, fitted) = simulate_both(out, observed);
    let (replay, replay_report, names) = replay?;
    let (fitted, fitted_report, _) = fitted?;
    let mut calibration = Calibration::default();
    let index = target_index(&names);
    let (replay_by_flow, fitted_by_flow) =
        (by_flow(&replay, flows.len()), by_flow(&fitted, flows.len()));
    // Observed busy bot time per target.
    let mut observed_busy: BTreeMap<&str, f64> = BTreeMap::new();
    for f in flows {
        *observed_busy.entry(&f.target).or_default() +=
            f.runs.iter().map(|r| r.busy_ms as f64).sum::<f64>();
    }
    for (i, f) in flows.iter().enumerate() {
        let (replayed, fits) = (&replay_by_flow[i], &fitted_by_flow[i]);
        let observed: Vec<i64> = f
            .runs
            .iter()
            .filter_map(|r| Some(r.start? - r.arrival))
            .collect();
        // Run k of the flow in the replay is run k of the history.
        let errors: Vec<i64> = f
            .runs
            .iter()
            .zip(replayed)
            .filter_map(|(o, r)| Some((r.start? - o.start?).abs()))
            .collect();
        let busy = observed_busy.get(f.target.as_str()).copied();
        let waits = Compared {
            observed: WaitStats::of(observed),
            replayed: WaitStats::of(waits_ms(replayed.iter().copied())),
            fitted: WaitStats::of(waits_ms(fits.iter().copied())),
        };
        calibration.verdicts.push(verdict(
            &f.flow,
            waits.observed.map(|w| w.mean),
            waits.replayed.map(|w| w.mean),
        ));
        calibration.flows.push(FlowCalibration {
            flow: f.flow.clone(),
            target: f.target.clone(),
            runs: Compared {
                observed: f.runs.len(),
                replayed: replayed.len(),
                fitted: fits.len(),
            },
            waits,
            start_error: WaitStats::of(errors).map(|e| (e.p50, e.p95)),
            utilization: Compared {
                observed: utilization(&replay_report, &index, &f.target, busy),
                replayed: utilization(&replay_report, &index, &f.target, None),
                fitted: utilization(&fitted_report, &index, &f.target, None),
            },
        });
    }
    calibration.waits = target_waits(flows, &replay, &fitted, &names, &index);
    calibration.arrivals = (
        per_hour_of_week(
            flows.iter().flat_map(|f| &f.runs).map(|r| r.arrival),
            horizon_ms,
        ),
        per_hour_of_week(fitted.iter().map(|r| r.arrival), horizon_ms),
    );
    std::fs::write(out.join("calibration.csv"), csv(&calibration.flows))
        .map_err(|e| e.to_string())?;
    Ok(calibration)
}

/// Per target (in the scenarios' order), the waits in seconds of its
/// started runs observed, replayed and fitted.
fn target_waits(
    flows: &[ReplayedFlow],
    replay: &[Seen],
    fitted: &[Seen],
    names: &[String],
    index: &BTreeMap<&str, usize>,
) -> Vec<(String, Compared<Vec<f64>>)> {
    let secs = |ms: i64| ms as f64 / 1000.0;
    let mut per: Vec<Compared<Vec<f64>>> = vec![Compared::default(); names.len()];
    for f in flows {
        if let Some(i) = index.get(f.target.as_str()) {
            let observed = f.runs.iter().filter_map(|r| Some(r.start? - r.arrival));
            per[*i].observed.extend(observed.map(secs));
        }
    }
    for r in replay {
        if let (Some(w), Some(p)) = (r.wait(), per.get_mut(r.target as usize)) {
            p.replayed.push(secs(w));
        }
    }
    for r in fitted {
        if let (Some(w), Some(p)) = (r.wait(), per.get_mut(r.target as usize)) {
            p.fitted.push(secs(w));
        }
    }
    let used: BTreeSet<&str> = flows.iter().map(|f| f.target.as_str()).collect();
    names
        .iter()
        .zip(per)
        .filter(|(n, _)| used.contains(n.as_str()))
        .map(|(n, c)| (n.clone(), c))
        .collect()
}

/// Arrivals (ms from time 0, a Monday 00:00) per hour of the week, each
/// divided by how many times that hour occurs in the horizon.
fn per_hour_of_week(arrivals: impl Iterator<Item = i64>, horizon_ms: i64) -> Vec<f64> {
    let mut counts = vec![0f64; HOURS_OF_WEEK];
    for a in arrivals {
        counts[(a.div_euclid(MS_PER_HOUR) as usize) % HOURS_OF_WEEK] += 1.0;
    }
    let hours = (horizon_ms + MS_PER_HOUR - 1) / MS_PER_HOUR;
    let mut exposure = vec![0f64; HOURS_OF_WEEK];
    for h in 0..hours {
        exposure[h as usize % HOURS_OF_WEEK] += 1.0;
    }
    counts
        .iter()
        .zip(&exposure)
        .map(|(c, e)| if *e > 0.0 { c / e } else { 0.0 })
        .collect()
}

/// The rows of `calibration.csv`.
fn csv(flows: &[FlowCalibration]) -> String {
    let mut csv = String::from(
        "flow,target,runs_observed,runs_replayed,wait_mean_observed_s,wait_mean_replayed_s,\
         wait_p50_observed_s,wait_p50_replayed_s,wait_p95_observed_s,wait_p95_replayed_s,\
         start_error_p50_s,start_error_p95_s,runs_fitted,wait_mean_fitted_s,wait_p50_fitted_s,\
         wait_p95_fitted_s,utilization_observed,utilization_replayed,utilization_fitted\n",
    );
    let cell = |v: Option<f64>| v.map(|x| format!("{x:.3}")).unwrap_or_default();
    let share = |v: Option<f64>| v.map(|x| format!("{x:.4}")).unwrap_or_default();
    for f in flows {
        let w = &f.waits;
        let _ = writeln!(
            csv,
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            quote_csv(&f.flow),
            quote_csv(&f.target),
            f.runs.observed,
            f.runs.replayed,
            cell(w.observed.map(|x| x.mean)),
            cell(w.replayed.map(|x| x.mean)),
            cell(w.observed.map(|x| x.p50)),
            cell(w.replayed.map(|x| x.p50)),
            cell(w.observed.map(|x| x.p95)),
            cell(w.replayed.map(|x| x.p95)),
            cell(f.start_error.map(|x| x.0)),
            cell(f.start_error.map(|x| x.1)),
            f.runs.fitted,
            cell(w.fitted.map(|x| x.mean)),
            cell(w.fitted.map(|x| x.p50)),
            cell(w.fitted.map(|x| x.p95)),
            share(f.utilization.observed),
            share(f.utilization.replayed),
            share(f.utilization.fitted),
        );
    }
    csv
}
/// Waits shorter than this (s) are "no wait" when compared in shares.
const NO_WAIT_S: f64 = 1.0;

/// How a flow's replayed waits compare with the observed ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Fit {
    /// Observed waits longer than replayed: something the history does
    /// not show slowed it.
    Longer,
    /// Observed waits shorter than replayed: more capacity than it shows.
    Shorter,
    /// No run started on one side: nothing to compare.
    Nothing,
    /// The replay reproduces the observed mean wait.
    Fits,
}

impl Fit {
    /// Every kind, misfits first: the order verdicts are shown in.
    pub const ALL: [Fit; 4] = [Fit::Longer, Fit::Shorter, Fit::Nothing, Fit::Fits];

    /// What flows of this kind did, for a tally ("12 fit").
    pub fn tally(self) -> &'static str {
        match self {
            Fit::Longer => "waited longer than replayed",
            Fit::Shorter => "waited less than replayed",
            Fit::Nothing => "had nothing to compare",
            Fit::Fits => "fit",
        }
    }
}

/// A flow's verdict: its kind, and in words.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// How the replay compares.
    pub fit: Fit,
    /// The verdict in words (`calibration: FLOW: ...`).
    pub text: String,
}

/// Verdicts counted by kind, misfits first, e.g. "of 200 flows, 60 fit,
/// 140 waited longer than replayed" (kinds with none left out).
pub fn tally(verdicts: &[Verdict]) -> String {
    let mut text = format!("of {} flows", verdicts.len());
    for fit in Fit::ALL {
        let n = verdicts.iter().filter(|v| v.fit == fit).count();
        if n > 0 {
            let _ = write!(text, ", {n} {}", fit.tally());
        }
    }
    text
}

/// Verdicts misfits first (then in flow order): the ones to look at.
pub fn misfits_first(verdicts: &[Verdict]) -> Vec<&Verdict> {
    let mut sorted: Vec<&Verdict> = verdicts.iter().collect();
    sorted.sort_by_key(|v| v.fit);
    sorted
}

/// A flow's verdict.
fn verdict(flow: &str, observed: Option<f64>, replayed: Option<f64>) -> Verdict {
    let (Some(o), Some(s)) = (observed, replayed) else {
        return Verdict {
            fit: Fit::Nothing,
            text: format!("calibration: {flow}: no run started, nothing to compare"),
        };
    };
    let (fit, text) = compared(flow, o, s);
    Verdict { fit, text }
}

/// A flow's verdict from its observed and replayed mean waits (s): its
/// kind and its words, decided together.
fn compared(flow: &str, o: f64, s: f64) -> (Fit, String) {
    let longer = "something the history does not show is slowing it (sessions, machines \
                  offline, bots the fleet did not show)";
    let shorter = "the history had more capacity than it shows (bots never used at once; \
                   give them with a fleet)";
    if (o - s).abs() <= AGREEMENT * o.max(NO_WAIT_S) {
        let text = format!(
            "calibration: {flow}: the replay reproduces the observed mean wait ({o:.1} s vs \
             {s:.1} s, within {:.0} %): the model of the scheduler fits this history",
            AGREEMENT * 100.0
        );
        (Fit::Fits, text)
    } else if s < NO_WAIT_S {
        let text = format!(
            "calibration: {flow}: observed runs waited {o:.1} s on average, replayed ones \
             did not wait: {longer}"
        );
        (Fit::Longer, text)
    } else if o < NO_WAIT_S {
        let text = format!(
            "calibration: {flow}: observed runs did not wait, replayed ones waited {s:.1} s \
             on average: {shorter}"
        );
        (Fit::Shorter, text)
    } else if o > s {
        let text = format!(
            "calibration: {flow}: observed waits are {:.0} % longer than simulated ({o:.1} s vs \
             {s:.1} s): {longer}",
            100.0 * (o / s - 1.0)
        );
        (Fit::Longer, text)
    } else {
        let text = format!(
            "calibration: {flow}: observed waits are {:.0} % shorter than simulated ({o:.1} s vs \
             {s:.1} s): {shorter}",
            100.0 * (1.0 - o / s)
        );
        (Fit::Shorter, text)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_verdict_s_kind_and_words_agree() {
        let kind = |o, s| verdict("f", o, s).fit;
        assert_eq!(kind(Some(100.0), Some(102.0)), Fit::Fits);
        assert_eq!(kind(Some(0.0), Some(0.0)), Fit::Fits);
        assert_eq!(kind(Some(30.0), Some(0.0)), Fit::Longer);
        assert_eq!(kind(Some(600.0), Some(300.0)), Fit::Longer);
        assert_eq!(kind(Some(0.0), Some(30.0)), Fit::Shorter);
        assert_eq!(kind(Some(300.0), Some(600.0)), Fit::Shorter);
        assert_eq!(kind(None, Some(1.0)), Fit::Nothing);
        let v = verdict("f", Some(600.0), Some(300.0));
        assert!(v.text.contains("100 % longer"), "{}", v.text);
    }

    #[test]
    fn verdicts_are_tallied_and_shown_misfits_first() {
        let verdicts = [
            verdict("a", Some(1.0), Some(1.0)),
            verdict("b", Some(600.0), Some(300.0)),
            verdict("c", Some(1.0), Some(1.0)),
            verdict("d", Some(300.0), Some(600.0)),
            verdict("e", Some(90.0), Some(30.0)),
        ];
        assert_eq!(
            tally(&verdicts),
            "of 5 flows, 2 waited longer than replayed, 1 waited less than replayed, 2 fit"
        );
        let order: Vec<&str> = misfits_first(&verdicts)
            .iter()
            .map(|v| &v.text["calibration: ".len()..][..1])
            .collect();
        assert_eq!(order, ["b", "e", "d", "a", "c"]);
    }
}
