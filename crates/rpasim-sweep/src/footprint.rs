//! What a sweep will write, estimated before it runs: a sweep that would
//! fill a disk is refused up front (exit status 2), as a run is whose
//! files would exceed `[limits] max_output_mb`, instead of failing after
//! gigabytes. (A sweep of 10,000 variants of 1,000 replications of the
//! quickstart, within the bounds on variants and jobs, wrote 2.6 GB of
//! results log in its first ten minutes, on its way to about 50 GB.)
//!
//! The estimate counts rows: every job's record in `results.log` (its
//! `summary.csv` and `summary-flows.csv`), and the assembled `sweep.csv`,
//! `sweep-targets.csv`, `sweep-flows.csv`, `sweep-summary.csv` and the
//! variants listed in `sweep.toml`, which the sweep writes, or for a shard
//! the `merge` of all shards. Row sizes are those measured on the bundled
//! scenarios; the names and varied values are counted exactly.

use rpasim_core::ModelSpec;
use rpasim_core::workload::Workload;
use rpasim_report::summary::{HEADER, POOL_COLUMNS, flows_header};

use crate::SweepError;
use crate::grid::Grid;

/// Bytes of a `summary.csv` row besides the target's name, of a target
/// with runs (measured: 248 to 260 with the quickstart and with 10,000
/// targets) and of one without (95: its waits are empty). A target whose
/// runs never wait writes about 156 (no wait reasons' shares): counted
/// as full, the estimate errs on the large side.
const TARGET_ROW_BYTES: (f64, f64) = (250.0, 95.0);
/// The same for a `summary-flows.csv` row besides the flow's and target's
/// names (measured: 224 to 235; 75).
const FLOW_ROW_BYTES: (f64, f64) = (225.0, 75.0);
/// Bytes of a record's own header and marker in `results.log`.
const RECORD_BYTES: f64 = 32.0;
/// Bytes of the columns an assembled row starts with (variant,
/// replication, seed) besides the varied values.
const JOB_PREFIX_BYTES: f64 = 30.0;
/// Bytes of a `sweep-summary.csv` row besides its target's name and the
/// varied values: variant, metric, n, mean, sd, half-width (measured: 44 to
/// 52).
const STATISTIC_ROW_BYTES: f64 = 48.0;

/// The bytes of a row of a target or flow expected to bring `runs` runs:
/// the full row's when it has any, the empty row's when it has none (a
/// Poisson count is 0 with probability e^-runs).
fn row_bytes((full, empty): (f64, f64), runs: f64) -> f64 {
    empty + (full - empty) * (1.0 - (-runs).exp())
}

/// What one job of a sweep writes, from its scenario's model.
#[derive(Debug, Clone, PartialEq)]
pub struct JobShape {
    /// Targets, with `all`.
    rows: f64,
    /// Flows.
    flows: f64,
    /// Bytes of the targets' rows (`all`'s included) besides their names.
    target_rows: f64,
    /// Bytes of the flows' rows besides their names.
    flow_rows: f64,
    /// Bytes of the targets' names, `all`'s included.
    target_names: f64,
    /// Bytes of the flows' names.
    flow_names: f64,
    /// Bytes of the names of the flows' targets (a flow's row has both).
    flow_targets: f64,
}

impl JobShape {
    /// The rows one job of a sweep of `spec` writes.
    pub fn of(spec: &ModelSpec) -> Self {
        let work = Workload::of(spec);
        let mut target_runs = vec![0.0; spec.targets.len()];
        for (flow, runs) in spec.flows.iter().zip(&work.runs) {
            target_runs[flow.target.index()] += runs;
        }
        let target_rows = target_runs
            .iter()
            .chain([&work.total_runs()])
            .map(|runs| row_bytes(TARGET_ROW_BYTES, *runs))
            .sum();
        let flow_rows = work
            .runs
            .iter()
            .map(|r| row_bytes(FLOW_ROW_BYTES, *r))
            .sum();
        let target_names: usize = spec.targets.iter().map(|t| t.name.len()).sum();
        let flow_names: usize = spec.flows.iter().map(|f| f.name.len()).sum();
        let flow_targets: usize = spec
            .flows
            .iter()
            .map(|f| spec.targets[f.target.index()].name.len())
            .sum();
        JobShape {
            rows: spec.targets.len() as f64 + 1.0,
            flows: spec.flows.len() as f64,
            target_rows,
            flow_rows,
            target_names: (target_names + "all".len()) as f64,
            flow_names: flow_names as f64,
            flow_targets: flow_targets as f64,
        }
    }

    /// Bytes of one job's record in `results.log`.
    fn record(&self) -> f64 {
        let headers = header_bytes(&HEADER) + header_bytes(&flows_header());
        RECORD_BYTES
            + headers
            + self.target_rows
            + self.target_names
            + self.flow_rows
            + self.flow_names
            + self.flow_targets
    }

    /// Bytes one job adds to `sweep.csv`, `sweep-targets.csv` and
    /// `sweep-flows.csv`, whose rows also carry `values` bytes of varied
    /// values.
    fn assembled_rows(&self, values: f64) -> f64 {
        let prefix = JOB_PREFIX_BYTES + values;
        let all_row = prefix + TARGET_ROW_BYTES.0;
        let targets = self.rows * prefix + self.target_rows + self.target_names;
        let flows = self.flows * prefix + self.flow_rows + self.flow_names + self.flow_targets;
        all_row + targets + flows
    }

    /// Bytes one variant adds to `sweep-summary.csv`: a row per target (and
    /// `all`), flow and metric (a flow's without the pool's metrics).
    fn statistics(&self, values: f64) -> f64 {
        let target_metrics = (HEADER.len() - 1) as f64;
        let flow_metrics = target_metrics - POOL_COLUMNS.len() as f64;
        let rows = self.rows * target_metrics + self.flows * flow_metrics;
        // A flow's rows name it `flow:<name>`, not its target.
        let flow_names = self.flows * "flow:".len() as f64 + self.flow_names;
        rows * (STATISTIC_ROW_BYTES + values)
            + target_metrics * self.target_names
            + flow_metrics * flow_names
    }
}

/// Bytes of a CSV header line.
fn header_bytes(columns: &[&str]) -> f64 {
    columns.iter().map(|c| c.len() + 1).sum::<usize>() as f64
}

/// The estimated bytes a sweep writes, by what writes them.
#[derive(Debug, Clone, PartialEq)]
pub struct Footprint {
    /// `results.log`: one record per job run here.
    pub results: f64,
    /// The assembled files and `sweep.toml` of the whole sweep: written by
    /// the sweep itself, or for a shard by the `merge` of all shards.
    pub assembled: f64,
    /// The jobs run here.
    pub jobs: usize,
    /// Whether this is a shard.
    pub shard: bool,
}

impl Footprint {
    /// What running `jobs` jobs of `grid` writes (a `shard`'s, or all of
    /// them), and what assembling the whole sweep writes.
    pub fn of(shape: &JobShape, grid: &Grid, jobs: usize, shard: bool) -> Self {
        let replications = f64::from(grid.replications);
        let assembled = grid
            .variants
            .iter()
            .map(|values| {
                let values = values.iter().map(|v| v.len() + 1).sum::<usize>() as f64;
                replications * shape.assembled_rows(values)
                    + shape.statistics(values)
                    + values
                    + 8.0
            })
            .sum();
        Footprint {
            results: jobs as f64 * shape.record(),
            assembled,
            jobs,
            shard,
        }
    }

    /// Refuses a sweep that would write more than `limit_mb` megabytes,
    /// saying what writes the most and how to go on. A shard writes its
    /// results, and the merge of the shards writes the assembled files:
    /// each must be within the limit, and a shard is refused before it
    /// runs when the merge would be (nothing is spent on shards whose
    /// merge could not be written).
    pub fn check(&self, limit_mb: u64) -> Result<(), SweepError> {
        let results = format!(" (mostly results.log, the summaries of {} runs)", self.jobs);
        let (what, bytes, mostly) = if !self.shard {
            let mostly = match self.results >= self.assembled {
                true => results,
                false => " (mostly the assembled sweep-*.csv files)".into(),
            };
            (
                "the sweep would write",
                self.results + self.assembled,
                mostly,
            )
        } else if self.results > limit_mb as f64 * 1e6 {
            ("this shard would write", self.results, results)
        } else {
            // The merge writes nothing else.
            (
                "the merge of its shards would write",
                self.assembled,
                String::new(),
            )
        };
        let mb = bytes / 1e6;
        // An estimate that is not a number (an overflow) exceeds any limit.
        if mb <= limit_mb as f64 {
            return Ok(());
        }
        // Small amounts with a decimal: "about 1 MB, more than 1 MB" says
        // nothing.
        let decimals = usize::from(mb < 10.0);
        Err(SweepError::Invalid(format!(
            "{what} about {mb:.decimals$} MB{mostly}, more than the limit of \
             {limit_mb} MB ([limits] max_output_mb of the scenario); sweep fewer variants or \
             replications, or raise the limit if this is meant (--set limits.max_output_mb=N)"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SweepDefinition;
    use crate::definition::Vary;

    fn model(text: &str) -> ModelSpec {
        rpasim_scenario::parse(text, std::path::Path::new("t.toml"), &[])
            .expect("valid")
            .spec
    }

    fn grid(values: usize, replications: u32) -> Grid {
        Grid::new(&SweepDefinition {
            scenario: "t.toml".into(),
            vary: vec![Vary {
                key: "machines.m.bots".into(),
                values: (1..=values).map(|v| v.to_string()).collect(),
            }],
            replications,
            seed: None,
            set: Vec::new(),
            metrics: Vec::new(),
        })
    }

    /// The message refusing `f` with a limit of `limit_mb`.
    fn refusal(f: &Footprint, limit_mb: u64) -> String {
        match f.check(limit_mb) {
            Err(SweepError::Invalid(message)) => message,
            other => panic!("{f:?} with a limit of {limit_mb} MB: {other:?}"),
        }
    }

    const ONE_MACHINE: &str = "[simulation]\nhorizon = \"1d\"\n\n\
        [[machines]]\nname = \"m\"\nbots = 1\n\n\
        [[flows]]\nname = \"f\"\ntarget = \"m\"\n\
        duration = { exponential = { mean = \"1m\" } }\narrivals = { poisson = { per_hour = 1 } }\n";

    #[test]
    fn a_shard_writes_its_results_and_its_merge_the_rest() {
        let shape = JobShape::of(&model(ONE_MACHINE));
        let g = grid(4, 1_000);
        let shard = Footprint::of(&shape, &g, 2_000, true);
        let whole = Footprint::of(&shape, &g, 4_000, false);
        assert_eq!(2.0 * shard.results, whole.results);
        assert_eq!(shard.assembled, whole.assembled);
        assert!(whole.assembled > whole.results / 2.0, "{whole:?}");
        // About 7.8 MB of results and 4.5 MB assembled for the whole, half
        // of the results for each of two shards.
        let mb = |bytes: f64| (bytes / 1e6) as u64;
        let (results, assembled) = (mb(shard.results), mb(shard.assembled));
        assert_eq!(
            (mb(whole.results), results, assembled),
            (7, 3, 4),
            "{whole:?}"
        );
        assert!(whole.check(10).is_err() && shard.check(10).is_ok());
        let told = refusal(&shard, results);
        assert!(
            told.starts_with("this shard would write about 3.9 MB"),
            "{told}"
        );
        let told = refusal(&shard, assembled);
        assert!(
            told.starts_with("the merge of its shards would write about 4."),
            "{told}"
        );
        let nan = Footprint {
            results: f64::NAN,
            ..whole
        };
        assert!(nan.check(u64::MAX).is_err(), "an overflow passed");
    }

    #[test]
    fn grows_with_jobs_targets_and_names() {
        let small = JobShape::of(&model(ONE_MACHINE));
        let named = JobShape::of(&model(
            &ONE_MACHINE.replace("\"f\"", "\"a-long-flow-name\""),
        ));
        assert!(named.record() > small.record());
        let g = grid(10, 100);
        let f = Footprint::of(&small, &g, 1_000, false);
        let g2 = grid(10, 200);
        let f2 = Footprint::of(&small, &g2, 2_000, false);
        assert!(f2.results == 2.0 * f.results && f2.assembled > f.assembled);
    }

    /// The estimate against what a sweep of the quickstart (names of 3
    /// to 22 bytes, 2 targets, 4 flows) and of 300 targets, busy or
    /// nearly idle, really write. Nearly idle targets' runs never wait, and
    /// rows without waits are shorter: there the estimate errs on the
    /// large side.
    #[test]
    fn the_estimate_is_within_a_fifth_of_what_a_sweep_writes() {
        let dir = tempfile::tempdir().expect("temp dir");
        let targets = |name: &str, per_hour: f64| {
            let path = dir.path().join(name);
            let mut text = String::from("[simulation]\nhorizon = \"2d\"\n");
            for m in 0..300 {
                text.push_str(&format!(
                    "\n[[machines]]\nname = \"vm{m:05}\"\nbots = 1\n\n[[flows]]\n\
                     name = \"f{m:05}\"\ntarget = \"vm{m:05}\"\n\
                     duration = {{ exponential = {{ mean = \"10m\" }} }}\n\
                     arrivals = {{ poisson = {{ per_hour = {per_hour} }} }}\n"
                ));
            }
            std::fs::write(&path, text).expect("write");
            path
        };
        let quickstart = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../scenarios/quickstart.toml");
        let (fits, errs_large) = (0.85..1.15, 1.0..1.5);
        for (scenario, key, replications, within) in [
            (quickstart, "machines.vm-01.bots", 8, &fits),
            (targets("busy.toml", 0.8), "machines.vm00001.bots", 2, &fits),
            (
                targets("idle.toml", 0.01),
                "machines.vm00001.bots",
                2,
                &errs_large,
            ),
        ] {
            let def = SweepDefinition {
                scenario,
                vary: vec![Vary {
                    key: key.into(),
                    values: (1..=3).map(|v| v.to_string()).collect(),
                }],
                replications,
                seed: None,
                set: Vec::new(),
                metrics: Vec::new(),
            };
            let out = dir
                .path()
                .join(format!("sweep-{}", def.scenario.display()).replace('/', "-"));
            let options = crate::RunOptions::default();
            let (manifest, _, _) = crate::runner::run(&def, &out, &options, &|_| {}).expect("runs");
            crate::assemble::assemble(&out, &manifest, std::slice::from_ref(&out))
                .expect("assembles");
            let size = |name: &str| std::fs::metadata(out.join(name)).expect(name).len() as f64;
            let assembled: f64 = [
                "sweep.csv",
                "sweep-targets.csv",
                "sweep-flows.csv",
                "sweep-summary.csv",
            ]
            .iter()
            .map(|n| size(n))
            .sum();
            let traces = rpasim_scenario::trace::Traces::default();
            let shape = crate::runner::manifest(&def, &traces)
                .expect("valid")
                .2
                .shape;
            let jobs = 3 * replications as usize;
            let estimate = Footprint::of(&shape, &manifest.grid(), jobs, false);
            let ratio = |estimate: f64, actual: f64| estimate / actual;
            let results = ratio(estimate.results, size("results.log"));
            let rest = ratio(estimate.assembled, assembled);
            let name = def.scenario.display();
            assert!(within.contains(&results), "{name}: results {results}");
            assert!(within.contains(&rest), "{name}: assembled {rest}");
        }
    }

    #[test]
    fn over_the_limit_is_refused_naming_what_writes_most() {
        let shape = JobShape::of(&model(ONE_MACHINE));
        let g = grid(10, 1_000);
        let f = Footprint::of(&shape, &g, 10_000, false);
        assert_eq!(f.check(1_000), Ok(()));
        let message = refusal(&f, 10);
        assert!(
            message.starts_with("the sweep would write about"),
            "{message}"
        );
        assert!(
            message.contains("results.log, the summaries of 10000 runs"),
            "{message}"
        );
        assert!(message.contains("limits.max_output_mb"), "{message}");
        // With one replication, the statistics of every variant weigh most.
        let many = grid(10_000, 1);
        let message = refusal(&Footprint::of(&shape, &many, 10_000, false), 1);
        assert!(
            message.contains("the assembled sweep-*.csv files"),
            "{message}"
        );
    }
}
