//! Bounded work: what a scenario asks for is estimated before anything is
//! simulated ([`Workload`]), and refused above limits the user can raise
//! (`[limits] max_runs`, `max_events`, `max_output_mb`; `--max-runs`).
//! Counts of entries have fixed bounds, checked before anything is built.

use rpasim_core::ModelSpec;
use rpasim_core::workload::Workload;

use super::{Builder, Issue};
use crate::error::KeyPath;
use crate::schema::ScenarioFile;

/// Most entries in any list of the scenario (machines, flows, events...).
pub const MAX_ENTRIES: usize = 100_000;
/// Most explicit arrival instants of one flow.
pub const MAX_INSTANTS: usize = 1_000_000;
/// Largest queue capacity (memory holds every queued run).
pub const MAX_QUEUE_CAPACITY: u32 = 1_000_000;
/// Largest Poisson rate, runs an hour: a sanity bound (with profile
/// multipliers, rates stay far from overflowing); the work a rate brings
/// is limited by `max_runs`.
pub const MAX_PER_HOUR: f64 = 1e9;
/// Largest multiplier of an hourly or daily profile.
pub const MAX_MULTIPLIER: f64 = 1e3;

/// Whether an estimate exceeds a limit; an estimate that is not a number
/// (an overflow) exceeds every limit.
fn exceeds(estimate: f64, limit: u64) -> bool {
    estimate.is_nan() || estimate > limit as f64
}

/// Bytes of a `runs.csv` row besides the names (measured: ~85 with short
/// names over a 30-day horizon).
const RUN_ROW_BYTES: u64 = 72;
/// Bytes of a `timeseries.csv` row besides the names.
const SAMPLE_ROW_BYTES: u64 = 40;
/// Bytes of an `events.csv` row.
const EVENT_ROW_BYTES: u64 = 80;

/// A number of runs or events as a reader says it: 1.2 million, 3 billion.
pub fn about(n: f64) -> String {
    match n {
        n if n <= 0.0 => "0".into(),
        n if n >= 1e9 => format!("{:.1} billion", n / 1e9),
        n if n >= 1e6 => format!("{:.1} million", n / 1e6),
        n => format!("{n:.0}"),
    }
}

/// Refuses lists too long to be a real scenario, before they are built
/// (one million machines would take gigabytes to build and index).
pub fn check_counts(file: &ScenarioFile) -> Vec<Issue> {
    let lists = [
        ("environments", file.environments.len()),
        ("machine_groups", file.machine_groups.len()),
        ("machines", file.machines.len()),
        ("hosted_groups", file.hosted_groups.len()),
        ("hosted_machines", file.hosted_machines.len()),
        ("flows", file.flows.len()),
        ("events", file.events.len()),
        ("users", file.users.len()),
        ("shares", file.shares.len()),
    ];
    let mut issues: Vec<Issue> = lists
        .into_iter()
        .filter(|(_, n)| *n > MAX_ENTRIES)
        .map(|(list, n)| Issue {
            path: KeyPath::root(list),
            message: format!("{n} entries; rpasim takes at most {MAX_ENTRIES}"),
            external: None,
        })
        .collect();
    for (i, flow) in file.flows.iter().enumerate() {
        if let Some(at) = &flow.arrivals.at
            && at.len() > MAX_INSTANTS
        {
            issues.push(Issue {
                path: KeyPath::root("flows").index(i).key("arrivals").key("at"),
                message: format!(
                    "{} instants; at most {MAX_INSTANTS} (use a trace file)",
                    at.len()
                ),
                external: None,
            });
        }
    }
    issues
}

/// The output a workload writes, in bytes, by file.
struct OutputEstimate {
    runs: Vec<f64>,
    timeseries: f64,
    events: f64,
}

impl OutputEstimate {
    /// The files of a run of `spec`; without `runs.csv` unless `with_runs`
    /// (`--runs none`).
    fn of(spec: &ModelSpec, w: &Workload, with_runs: bool) -> Self {
        let longest_host = spec
            .machines
            .iter()
            .map(|m| m.name.len())
            .max()
            .unwrap_or(0);
        let runs = spec
            .flows
            .iter()
            .zip(&w.runs)
            .map(|(f, n)| {
                let target = spec.targets[f.target.index()].name.len();
                let row = RUN_ROW_BYTES + (f.name.len() + target + longest_host) as u64;
                if with_runs { n * row as f64 } else { 0.0 }
            })
            .collect();
        let names: u64 = spec
            .targets
            .iter()
            .map(|t| SAMPLE_ROW_BYTES + t.name.len() as u64 + 8)
            .sum();
        OutputEstimate {
            runs,
            timeseries: w.samples as f64 * names as f64,
            events: 2.0 * w.outages * EVENT_ROW_BYTES as f64,
        }
    }

    fn total(&self) -> f64 {
        self.runs.iter().sum::<f64>() + self.timeseries + self.events
    }
}

/// The estimated size of a run of `spec`: runs, events and bytes of output.
pub fn estimate(spec: &ModelSpec) -> (f64, f64, f64) {
    let w = Workload::of(spec);
    let bytes = OutputEstimate::of(spec, &w, true).total();
    (w.total_runs(), w.events, bytes)
}

const RAISE: &str = "raise the limit in [limits] if this is meant";

impl Builder<'_> {
    /// Refuses a model whose estimated runs or events exceed the limits,
    /// naming the flow or setting that asks for the most (the output's size
    /// is checked apart: [`output_issue`]).
    pub(super) fn check_workload(&mut self, spec: &ModelSpec) {
        let limits = &self.file.limits;
        let w = Workload::of(spec);
        let total = w.total_runs();
        let biggest = (0..w.runs.len()).max_by(|a, b| w.runs[*a].total_cmp(&w.runs[*b]));
        let flow_path = |i: usize| KeyPath::root("flows").index(i).key("arrivals");
        if exceeds(total, limits.max_runs) {
            let i = biggest.unwrap_or(0);
            let message = format!(
                "flow {:?} would bring about {} runs in {} ({} for all flows), more than the \
                 limit of {} runs; {RAISE} (max_runs, or --max-runs)",
                spec.flows[i].name,
                about(w.runs[i]),
                spec.horizon,
                about(total),
                limits.max_runs
            );
            self.error(flow_path(i), message);
            return;
        }
        if exceeds(w.events, limits.max_events) {
            let runs_events = rpasim_core::workload::EVENTS_PER_RUN * total;
            let path = if 2.0 * w.outages > runs_events.max(w.samples as f64) {
                KeyPath::root("machines")
            } else if w.samples as f64 > runs_events {
                KeyPath::root("simulation").key("sample_every")
            } else {
                flow_path(biggest.unwrap_or(0))
            };
            let message = format!(
                "about {} events to simulate ({} runs, {} samples, {} random outages), more \
                 than the limit of {}; {RAISE} (max_events)",
                about(w.events),
                about(total),
                about(w.samples as f64),
                about(w.outages),
                limits.max_events
            );
            self.error(path, message);
        }
    }
}

/// Refuses a model whose outputs would exceed `[limits] max_output_mb`,
/// naming what writes the most; `runs.csv` among them if `with_runs` (not
/// with `--runs none`). Only for commands that write the run's files
/// (`run`, `validate`): checks keep summaries in memory, and sweeps
/// estimate their own files against the same limit (`rpasim-sweep`'s
/// `footprint`).
pub fn output_issue(
    file: &ScenarioFile,
    spec: &ModelSpec,
    w: &Workload,
    with_runs: bool,
) -> Option<Issue> {
    let limits = &file.limits;
    let biggest = (0..w.runs.len()).max_by(|a, b| w.runs[*a].total_cmp(&w.runs[*b]));
    let flow_path = |i: usize| KeyPath::root("flows").index(i).key("arrivals");
    let out = OutputEstimate::of(spec, w, with_runs);
    if !exceeds(out.total() / 1e6, limits.max_output_mb) {
        return None;
    }
    let runs: f64 = out.runs.iter().sum();
    let (path, what) = if out.timeseries > runs.max(out.events) {
        (
            KeyPath::root("simulation").key("sample_every"),
            format!(
                "timeseries.csv alone, {} samples of {} targets",
                about(w.samples as f64),
                spec.targets.len()
            ),
        )
    } else if out.events > runs {
        (
            KeyPath::root("machines"),
            "events.csv, for random outages".into(),
        )
    } else {
        let i = biggest.unwrap_or(0);
        (
            flow_path(i),
            format!(
                "runs.csv, about {} runs of flow {:?}",
                about(w.runs[i]),
                spec.flows[i].name
            ),
        )
    };
    let message = format!(
        "the outputs would take about {:.0} MB (mostly {what}), more than the limit of \
         {} MB; {RAISE} (max_output_mb)",
        out.total() / 1e6,
        limits.max_output_mb
    );
    Some(Issue {
        path,
        message,
        external: None,
    })
}
