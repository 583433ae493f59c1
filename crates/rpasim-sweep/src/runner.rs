//! Running a sweep: every job of the grid (or of one shard) in parallel,
//! each result appended whole to the results log as soon as it is done
//! ([`crate::results`]), so an interrupted sweep loses at most the jobs in
//! progress and `--resume` skips the rest.

use rpasim_scenario::trace::Traces;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use rayon::prelude::*;
use rpasim_core::{ModelSpec, Simulation};
use rpasim_report::Recorder;
use rpasim_report::outdir::write_atomically;
use rpasim_scenario::Override;
use serde::{Deserialize, Serialize};
use siphasher::sip128::{Hasher128, SipHasher13};

use crate::definition::SweepDefinition;
use crate::directory::SweepDir;
use crate::footprint::{Footprint, JobShape};
use crate::grid::{Grid, Job, Shard, replication_seed};
use crate::results::Log;
use crate::{Stop, SweepError};

/// The sweep's identity, in `sweep.toml`: shards and resumed runs must
/// agree on it.
pub const SWEEP_TOML: &str = "sweep.toml";
/// The largest `sweep.toml` read: it lists every variant, so a sweep of
/// 1,000,000 variants (the most a sweep may have) of five short values
/// writes about 30 MB. The scenarios' 8 MB would refuse to resume or merge
/// a sweep of 300,000 such variants that `sweep` itself wrote.
pub const MAX_SWEEP_TOML_BYTES: u64 = 64 << 20;

/// Set to N to stop a sweep after N jobs (a test hook that simulates an
/// interruption at a known point).
pub const STOP_AFTER_ENV: &str = "RPASIM_SWEEP_STOP_AFTER";

/// What a sweep is, as recorded in `sweep.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SweepManifest {
    /// The scenario file, as given.
    pub scenario: String,
    /// Hash of the scenario text (a changed scenario is another sweep).
    pub scenario_hash: String,
    /// Base seed.
    pub base_seed: u64,
    /// Replications per variant.
    pub replications: u32,
    /// Fixed overrides.
    pub set: Vec<String>,
    /// Varied keys.
    pub keys: Vec<String>,
    /// Keys per dimension (linked keys share one).
    pub dimensions: Vec<usize>,
    /// Values of each variant.
    pub variants: Vec<Vec<String>>,
    /// Metrics to chart.
    pub metrics: Vec<String>,
    /// Format of the job results: 2 since they hold the flows' summaries
    /// too (1, absent from `sweep.toml`, before). Results of another format
    /// are not resumed or merged.
    #[serde(default = "first_format")]
    pub format: u32,
    /// The shard a shard's directory runs, `I/N`; absent for a whole
    /// sweep, a merge, and the shards of versions before it was recorded.
    /// A directory is resumed only as the shard it was written as: a Slurm
    /// task submitted again on its own is shard 1/1 for `--shard auto`,
    /// which would run the whole sweep into the shard's directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<Shard>,
}

/// The format of job results this version writes.
pub const RESULTS_FORMAT: u32 = 2;

fn first_format() -> u32 {
    1
}

impl SweepManifest {
    /// The grid it describes.
    pub fn grid(&self) -> Grid {
        Grid {
            keys: self.keys.clone(),
            variants: self.variants.clone(),
            replications: self.replications,
            dimensions: self.dimensions.clone(),
        }
    }

    /// Whether two manifests describe the same sweep. The scenario's path
    /// may differ (shards run in other directories or machines), and so
    /// may the shard; the scenario's text may not (the hash).
    pub fn same_sweep(&self, other: &SweepManifest) -> bool {
        SweepManifest {
            scenario: other.scenario.clone(),
            shard: other.shard,
            ..self.clone()
        } == *other
    }

    /// The manifest of the whole sweep this one is a shard of (itself when
    /// it is not a shard's).
    pub fn whole(&self) -> SweepManifest {
        SweepManifest {
            shard: None,
            ..self.clone()
        }
    }

    /// Reads `sweep.toml` from a sweep directory.
    pub fn read(dir: &Path) -> Result<Self, SweepError> {
        let path = dir.join(SWEEP_TOML);
        let text = rpasim_scenario::input::read_text(&path, "sweep.toml", MAX_SWEEP_TOML_BYTES)
            .map_err(|e| {
                SweepError::Invalid(format!("{}: {e} (not a sweep directory?)", path.display()))
            })?;
        toml::from_str(&text).map_err(|e| {
            let problem = rpasim_report::manifest::unreadable(SWEEP_TOML, &text, &e);
            SweepError::Invalid(format!("{}: {problem}", dir.display()))
        })
    }

    /// Writes `sweep.toml` into `dir`, atomically.
    pub fn write(&self, dir: &Path) -> Result<(), SweepError> {
        let text = toml::to_string(self).map_err(|e| SweepError::Failed(e.to_string()))?;
        write_atomically(&dir.join(SWEEP_TOML), text.as_bytes()).map_err(|e| SweepError::io(dir, e))
    }
}

/// How to run a sweep. Work runs on the current rayon pool: the caller
/// sizes it ([`with_threads`]).
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Run only this shard's jobs.
    pub shard: Option<Shard>,
    /// Keep the results already in the directory.
    pub resume: bool,
    /// Stop early when asked (the jobs finished stay in the results log).
    pub stop: Stop,
}

/// What a call to [`run`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunReport {
    /// Jobs in the grid.
    pub total: usize,
    /// Jobs run now.
    pub ran: usize,
    /// Jobs found done (resume).
    pub skipped: usize,
    /// Stopped early by the test hook.
    pub interrupted: bool,
}

/// How far a sweep has got, for a progress bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Jobs finished in this call.
    pub runs_done: usize,
    /// Jobs this call has to run.
    pub runs_total: usize,
    /// Variants whose every replication (of this shard) is finished,
    /// counting those finished before a resume.
    pub variants_done: usize,
    /// Variants with at least one job in this shard.
    pub variants_total: usize,
}

/// Counts the variants whose jobs are all done.
#[derive(Debug)]
struct VariantCounter {
    /// Jobs still to run per variant.
    remaining: Vec<AtomicUsize>,
    done: AtomicUsize,
    total: usize,
}

impl VariantCounter {
    fn new(variants: usize, all: &[Job], pending: &[Job]) -> Self {
        let mut remaining = vec![0usize; variants];
        let mut present = vec![false; variants];
        for job in pending {
            remaining[job.variant] += 1;
        }
        for job in all {
            present[job.variant] = true;
        }
        let total = present.iter().filter(|p| **p).count();
        let done = (0..variants)
            .filter(|v| present[*v] && remaining[*v] == 0)
            .count();
        VariantCounter {
            remaining: remaining.into_iter().map(AtomicUsize::new).collect(),
            done: AtomicUsize::new(done),
            total,
        }
    }

    /// Records a finished job of `variant`; returns the variants done.
    fn finish(&self, variant: usize) -> usize {
        if self.remaining[variant].fetch_sub(1, Ordering::SeqCst) == 1 {
            self.done.fetch_add(1, Ordering::SeqCst) + 1
        } else {
            self.done.load(Ordering::SeqCst)
        }
    }
}

/// Most worker threads a sweep or plan may ask for (`--jobs`).
pub const MAX_THREADS: usize = 1024;

/// Refuses more than [`MAX_THREADS`] workers: 100,000 threads took
/// minutes to start, each holding a variant's model once running.
pub fn check_threads(threads: Option<usize>) -> Result<(), SweepError> {
    match threads {
        Some(n) if n > MAX_THREADS => Err(SweepError::Invalid(format!(
            "{n} worker threads (--jobs); at most {MAX_THREADS}"
        ))),
        _ => Ok(()),
    }
}

/// Runs `f` on a pool of `threads` workers (all cores when `None`, or
/// 0); more than [`MAX_THREADS`] is refused.
pub fn with_threads<T: Send>(
    threads: Option<usize>,
    f: impl FnOnce() -> T + Send,
) -> Result<T, SweepError> {
    check_threads(threads)?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(pool_size(threads))
        .build()
        .map_err(|e| SweepError::Failed(e.to_string()))?;
    Ok(pool.install(f))
}

/// The workers started for `threads` (`--jobs`): at most the cores this
/// process may use (its affinity and cgroup quota, as Slurm sets them),
/// since runs are computation and threads beyond the cores only take
/// turns; 1,024 threads on 2 cores made a sweep of 200 quickstart runs 66
/// times slower (7.97 s against 0.12 s), rayon's idle workers spinning.
/// `None` or 0: rayon's default, all of them. The bytes written are the
/// same for any number.
fn pool_size(threads: Option<usize>) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    threads.map_or(0, |n| n.min(cores))
}

/// 128-bit SipHash of a text, in hex.
fn hash(text: &str) -> String {
    let mut h = SipHasher13::new_with_keys(0, 0);
    std::hash::Hasher::write(&mut h, text.as_bytes());
    format!("{:032x}", h.finish128().as_u128())
}

/// Prepares the manifest of a definition (reading and checking the
/// scenario, its trace files through `traces`); also returns the
/// scenario's text and what one of its jobs writes, with the limit on
/// what the sweep may write (`[limits] max_output_mb`).
/// What a sweep or a plan needs of its base scenario (the file with the
/// fixed overrides) beyond its manifest and text.
pub(crate) struct Base {
    /// The size of one job, for the footprint.
    pub shape: JobShape,
    /// `[limits] max_output_mb`.
    pub max_output_mb: u64,
    /// The scenario's name.
    pub name: String,
    /// The question the scenario answers, if it says.
    pub question: Option<String>,
}

pub(crate) fn manifest(
    def: &SweepDefinition,
    traces: &Traces,
) -> Result<(SweepManifest, String, Base), SweepError> {
    def.check().map_err(|e| SweepError::Invalid(e.0))?;
    let text = rpasim_scenario::input::read_text(
        &def.scenario,
        "the scenario",
        rpasim_scenario::input::MAX_SCENARIO_BYTES,
    )
    .map_err(|e| SweepError::Invalid(format!("{}: {e}", def.scenario.display())))?;
    let set = parse_overrides(&def.set)?;
    let base = rpasim_scenario::parse_sharing(&text, &def.scenario, &set, traces)
        .map_err(|e| SweepError::Invalid(e.to_string()))?;
    let grid = Grid::new(def);
    let manifest = SweepManifest {
        scenario: def.scenario.display().to_string(),
        scenario_hash: hash(&text),
        base_seed: def.seed.unwrap_or(base.spec.seed),
        replications: def.replications,
        set: def.set.clone(),
        keys: grid.keys.clone(),
        dimensions: grid.dimensions.clone(),
        variants: grid.variants.clone(),
        metrics: def.chart_metrics(),
        format: RESULTS_FORMAT,
        shard: None,
    };
    let base = Base {
        shape: JobShape::of(&base.spec),
        max_output_mb: base.max_output_mb,
        name: base.name,
        question: base.question,
    };
    Ok((manifest, text, base))
}

fn parse_overrides(list: &[String]) -> Result<Vec<Override>, SweepError> {
    list.iter()
        .map(|o| o.parse::<Override>().map_err(SweepError::Invalid))
        .collect()
}

/// Runs the jobs of a sweep that are not done yet into `out`'s results
/// log, calling `tick` after each (and once before the first). Checks every
/// variant's scenario first, so a bad value fails before anything runs or
/// is written. Returns the sweep directory, locked: keep it while the
/// outputs are assembled.
pub fn run(
    def: &SweepDefinition,
    out: &Path,
    options: &RunOptions,
    tick: &(dyn Fn(Progress) + Sync),
) -> Result<(SweepManifest, RunReport, SweepDir), SweepError> {
    // Every reading of the scenario (the base, each variant twice) reads
    // its trace files once.
    let traces = Traces::default();
    let (whole, text, base) = manifest(def, &traces)?;
    let (shape, max_output_mb) = (base.shape, base.max_output_mb);
    let manifest = SweepManifest {
        shard: options.shard,
        ..whole
    };
    let grid = manifest.grid();
    let ours = |j: &Job| options.shard.is_none_or(|s| s.contains(j));
    // What this sweep (or shard, and the merge of the shards) writes,
    // refused before any variant is read or any job listed (10 million
    // jobs take 240 MB) if it is too much.
    let jobs = grid.jobs().filter(ours).count();
    Footprint::of(&shape, &grid, jobs, options.shard.is_some()).check(max_output_mb)?;
    let all: Vec<Job> = grid.jobs().filter(ours).collect();
    // A shard checks the variants it runs: checking every variant in every
    // one of N shards read the scenario N times as often as the sweep has
    // variants (a hundred shards of a hundred variants of a large scenario
    // spent ten times longer checking than running).
    let runs_variant: Vec<bool> = {
        let mut runs = vec![false; grid.variants.len()];
        for job in &all {
            runs[job.variant] = true;
        }
        runs
    };
    let variants = variant_overrides(def, &manifest, &text, &traces, &runs_variant)?;
    // Only a valid sweep touches the output directory.
    let dir = SweepDir::open(out, &manifest, options.resume)?;
    manifest.write(out)?;
    let (log, done_before) = Log::open(out, options.resume).map_err(|e| SweepError::io(out, e))?;
    let pending: Vec<Job> = all
        .iter()
        .copied()
        .filter(|j| !done_before.contains(&j.index))
        .collect();
    let stop_after: Option<usize> = std::env::var(STOP_AFTER_ENV)
        .ok()
        .and_then(|v| v.parse().ok());
    let done = AtomicUsize::new(0);
    let total = pending.len();
    let variants_done = VariantCounter::new(grid.variants.len(), &all, &pending);
    tick(Progress {
        runs_done: 0,
        runs_total: total,
        variants_done: variants_done.done.load(Ordering::SeqCst),
        variants_total: variants_done.total,
    });
    let work = |spec: &ModelSpec, job: &Job| -> Result<(), SweepError> {
        if stop_after.is_some_and(|n| done.load(Ordering::SeqCst) >= n) {
            return Ok(());
        }
        options.stop.check()?;
        let seed = replication_seed(manifest.base_seed, job.replication);
        let bytes = simulate(spec, seed, &options.stop)?;
        log.append(job.index, &bytes)
            .map_err(|e| SweepError::io(out, e))?;
        let n = done.fetch_add(1, Ordering::SeqCst) + 1;
        tick(Progress {
            runs_done: n,
            runs_total: total,
            variants_done: variants_done.finish(job.variant),
            variants_total: variants_done.total,
        });
        Ok(())
    };
    // A variant's scenario is parsed once for all its replications, and
    // held only while they run (about one variant per thread at a time).
    by_variant(&pending).par_iter().try_for_each(|jobs| {
        let spec = variant_spec(def, &text, &variants[jobs[0].variant], &traces)?;
        jobs.par_iter().try_for_each(|job| work(&spec, job))
    })?;
    let ran = done.load(Ordering::SeqCst);
    let report = RunReport {
        total: all.len(),
        ran,
        skipped: all.len() - pending.len(),
        interrupted: ran < pending.len(),
    };
    Ok((manifest, report, dir))
}

/// The overrides of every variant, those of the variants `checked` says
/// checked once (in parallel) before any simulation, so a bad value fails
/// the sweep (or the shard that runs it) at once. The models read here are
/// not kept (memory stays flat in the number of variants): each is read
/// again when its replications run.
fn variant_overrides(
    def: &SweepDefinition,
    manifest: &SweepManifest,
    text: &str,
    traces: &Traces,
    checked: &[bool],
) -> Result<Vec<Vec<Override>>, SweepError> {
    let grid = manifest.grid();
    (0..grid.variants.len())
        .into_par_iter()
        .map(|v| {
            let mut list = parse_overrides(&manifest.set)?;
            list.extend(parse_overrides(&grid.overrides(v))?);
            if !checked[v] {
                return Ok(list);
            }
            rpasim_scenario::parse_sharing(text, &def.scenario, &list, traces).map_err(|e| {
                SweepError::Invalid(format!(
                    "variant {} ({}): {e}",
                    v,
                    grid.overrides(v).join(", ")
                ))
            })?;
            Ok(list)
        })
        .collect()
}

/// The jobs grouped by variant (jobs come variant by variant).
fn by_variant(jobs: &[Job]) -> Vec<&[Job]> {
    jobs.chunk_by(|a, b| a.variant == b.variant).collect()
}

/// A variant's model: the scenario with the variant's overrides.
fn variant_spec(
    def: &SweepDefinition,
    text: &str,
    overrides: &[Override],
    traces: &Traces,
) -> Result<ModelSpec, SweepError> {
    rpasim_scenario::parse_sharing(text, &def.scenario, overrides, traces)
        .map(|s| s.spec)
        .map_err(|e| SweepError::Invalid(e.to_string()))
}

/// A variant's model with a replication's seed: what reading the scenario
/// again with `--set simulation.seed=SEED` gives, since the seed is only
/// copied into the model (nothing else is derived from it when reading).
pub(crate) fn reseeded(spec: &ModelSpec, seed: u64) -> ModelSpec {
    ModelSpec {
        seed,
        ..spec.clone()
    }
}

/// One job: a variant's model with a replication's seed, simulated in
/// memory; its `summary.csv` and `summary-flows.csv` as one result.
fn simulate(spec: &ModelSpec, seed: u64, stop: &Stop) -> Result<Vec<u8>, SweepError> {
    let (targets, flows) = summaries_until(&reseeded(spec, seed), stop)?;
    Ok(crate::results::job_result(&targets, &flows))
}

/// Simulates a scenario in memory, recording only its summary; returns
/// the bytes of its `summary.csv`.
pub fn summary_csv(spec: &ModelSpec) -> Result<Vec<u8>, SweepError> {
    summaries(spec).map(|(summary, _)| summary)
}

/// Simulates a scenario in memory; returns its summary (targets and flows).
pub fn summarize(spec: &ModelSpec) -> Result<rpasim_report::Summary, SweepError> {
    summarize_with(spec, Recorder::summary_only(spec), &Stop::never())
}

/// Simulates a scenario in memory; returns a summary with rows for the
/// targets and flows named, and `all` (what a plan's goals are about);
/// [`SweepError::Stopped`] if `stop` is requested before it finishes.
pub fn summarize_rows(
    spec: &ModelSpec,
    names: &[&str],
    stop: &Stop,
) -> Result<rpasim_report::Summary, SweepError> {
    summarize_with(spec, Recorder::summary_of(spec, names), stop)
}

fn summarize_with(
    spec: &ModelSpec,
    recorder: Recorder,
    stop: &Stop,
) -> Result<rpasim_report::Summary, SweepError> {
    let sim = Simulation::new(spec, recorder).map_err(|e| SweepError::Invalid(e.to_string()))?;
    let (recorder, report) = sim
        .run_while(|_| !stop.requested())
        .ok_or(SweepError::Stopped)?;
    recorder
        .finish(&report)
        .map_err(|e| SweepError::Failed(e.to_string()))
}

/// Simulates a scenario in memory; returns the bytes of its `summary.csv`
/// and of its `summary-flows.csv`.
pub fn summaries(spec: &ModelSpec) -> Result<(Vec<u8>, Vec<u8>), SweepError> {
    summaries_until(spec, &Stop::never())
}

/// [`summaries`], or [`SweepError::Stopped`] if `stop` is requested
/// before it finishes.
fn summaries_until(spec: &ModelSpec, stop: &Stop) -> Result<(Vec<u8>, Vec<u8>), SweepError> {
    let summary = summarize_with(spec, Recorder::summary_only(spec), stop)?;
    let failed = |e: csv::Error| SweepError::Failed(e.to_string());
    let (mut targets, mut flows) = (Vec::new(), Vec::new());
    summary.write_csv(&mut targets).map_err(failed)?;
    summary.write_flows_csv(&mut flows).map_err(failed)?;
    Ok((targets, flows))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_more_workers_than_cores_are_started() {
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        let started = |jobs| with_threads(jobs, rayon::current_num_threads).expect("pool");
        assert_eq!(started(Some(MAX_THREADS)), cores.min(MAX_THREADS));
        assert_eq!(started(Some(1)), 1);
        assert!(started(None) >= 1);
        assert!(with_threads(Some(MAX_THREADS + 1), || ()).is_err());
    }

    fn jobs(variants: usize, replications: u32) -> Vec<Job> {
        Grid {
            keys: vec!["k".into()],
            dimensions: vec![1],
            variants: (0..variants).map(|v| vec![v.to_string()]).collect(),
            replications,
        }
        .jobs()
        .collect()
    }

    /// Two machines, one with one flow, one busy with two: a summary with
    /// rows for one target and one flow has exactly those rows of the full
    /// summary, and the same `all` row (which counts every run and every
    /// machine).
    #[test]
    fn a_summary_of_some_rows_has_those_rows_of_the_full_one() {
        let text = "[simulation]\nseed = 3\nhorizon = \"2d\"\n\n\
             [[machines]]\nname = \"a\"\nbots = 1\n\n\
             [[machines]]\nname = \"b\"\nbots = 2\n\n\
             [[flows]]\nname = \"fa\"\ntarget = \"a\"\n\
             duration = { exponential = { mean = \"20m\" } }\narrivals = { poisson = { per_hour = 2.5 } }\n\n\
             [[flows]]\nname = \"fb\"\ntarget = \"b\"\n\
             duration = { exponential = { mean = \"30m\" } }\narrivals = { poisson = { per_hour = 3 } }\n\n\
             [[flows]]\nname = \"fb2\"\ntarget = \"b\"\n\
             duration = \"5m\"\narrivals = { poisson = { per_hour = 1 } }\n";
        let spec = rpasim_scenario::parse(text, Path::new("t.toml"), &[])
            .expect("valid")
            .spec;
        let full = summarize(&spec).expect("runs");
        let some = summarize_rows(&spec, &["b", "fb2", "nothing of that name"], &Stop::never())
            .expect("runs");
        let names = |rows: &[rpasim_report::SummaryRow]| -> Vec<String> {
            rows.iter().map(|r| r.target.clone()).collect()
        };
        assert_eq!(names(&some.rows), ["b", "all"]);
        assert_eq!(some.rows[0], *full.row("b").expect("b"));
        assert_eq!(some.all(), full.all());
        assert!(full.all().arrivals > 100 && full.row("b").expect("b").waited > 0);
        assert_eq!(some.flows.len(), 1);
        assert_eq!(some.flows[0], full.flows[2]);
        assert_eq!(some.flows[0].stats.target, "fb2");
        assert_eq!(some.wait_histograms.len(), some.rows.len());
        // `fa` is the only flow of `a`: its statistics are the target's,
        // kept once, also when only the flow has a row.
        let (a, fa) = (full.row("a").expect("a"), &full.flows[0].stats);
        assert_eq!(fa.target, "fa");
        assert!(a.arrivals > 50 && a.waited > 0);
        let same = |r: &rpasim_report::SummaryRow| {
            (
                r.arrivals,
                r.outcomes,
                r.started,
                r.waited,
                r.wait_p95_ms,
                r.start_p99,
                r.reason_ms,
            )
        };
        assert_eq!(same(fa), same(a));
        assert_eq!((fa.pool, fa.utilization), (false, 0.0));
        let flow_only = summarize_rows(&spec, &["fa"], &Stop::never()).expect("runs");
        assert_eq!(names(&flow_only.rows), ["all"]);
        assert_eq!(flow_only.flows, full.flows[..1]);
    }

    #[test]
    fn a_variant_is_done_when_its_last_replication_finishes() {
        let all = jobs(3, 2);
        // Variant 0 was finished before a resume; variant 1 is half done.
        let pending: Vec<Job> = all.iter().copied().filter(|j| j.index >= 3).collect();
        let counter = VariantCounter::new(3, &all, &pending);
        assert_eq!((counter.done.load(Ordering::SeqCst), counter.total), (1, 3));
        assert_eq!(counter.finish(2), 1);
        assert_eq!(counter.finish(1), 2);
        assert_eq!(counter.finish(2), 3);
    }

    /// A `sweep.toml` larger than a scenario may be (320,000 variants of
    /// five values) is read back, to resume, merge or plot.
    #[test]
    fn a_sweep_toml_beyond_a_scenario_s_limit_is_read_back() {
        let m = SweepManifest {
            scenario: "s.toml".into(),
            scenario_hash: "h".into(),
            base_seed: 1,
            replications: 1,
            set: vec![],
            keys: (0..5).map(|k| format!("machines.m{k}.bots")).collect(),
            dimensions: vec![1; 5],
            variants: (0..320_000u64)
                .map(|v| (0..5).map(|k| ((v >> (4 * k)) % 16).to_string()).collect())
                .collect(),
            metrics: vec![],
            format: RESULTS_FORMAT,
            shard: None,
        };
        let dir = tempfile::tempdir().expect("temp dir");
        m.write(dir.path()).expect("write");
        let len = std::fs::metadata(dir.path().join(SWEEP_TOML))
            .expect("written")
            .len();
        assert!(
            len > rpasim_scenario::input::MAX_SCENARIO_BYTES && len < MAX_SWEEP_TOML_BYTES,
            "{len} bytes"
        );
        assert_eq!(SweepManifest::read(dir.path()).expect("read back"), m);
    }

    /// A shard's `sweep.toml` ends with its shard as `--shard` takes it,
    /// and reads back; a shard that is not one is refused, not ignored.
    #[test]
    fn a_shard_is_recorded_as_i_of_n() {
        let dir = tempfile::tempdir().expect("temp dir");
        let m = SweepManifest {
            shard: Shard::parse("3/4").ok(),
            ..crate::test_support::manifest(1)
        };
        m.write(dir.path()).expect("write");
        let path = dir.path().join(SWEEP_TOML);
        let text = std::fs::read_to_string(&path).expect("written");
        assert!(text.ends_with("shard = \"3/4\"\n"), "{text}");
        assert_eq!(SweepManifest::read(dir.path()).expect("read back"), m);
        std::fs::write(&path, text.replace("3/4", "5/4")).expect("write");
        let e = SweepManifest::read(dir.path()).expect_err("no shard 5 of 4");
        assert!(e.to_string().contains("--shard expects I/N"), "{e}");
    }

    #[test]
    fn the_same_sweep_may_live_at_another_path() {
        let a = SweepManifest {
            scenario: "scenarios/x.toml".into(),
            ..crate::test_support::manifest(2)
        };
        let moved = SweepManifest {
            scenario: "/data/scenarios/x.toml".into(),
            ..a.clone()
        };
        assert!(a.same_sweep(&moved));
        let edited = SweepManifest {
            scenario_hash: "other".into(),
            ..moved
        };
        assert!(!a.same_sweep(&edited));
    }

    #[test]
    fn a_shard_counts_only_its_variants() {
        let all: Vec<Job> = jobs(4, 1)
            .into_iter()
            .filter(|j| j.index % 2 == 0)
            .collect();
        let counter = VariantCounter::new(4, &all, &all);
        assert_eq!((counter.done.load(Ordering::SeqCst), counter.total), (0, 2));
    }

    /// A sweep asked to stop after its first job stops there, keeps that
    /// job, and a resume runs only the others.
    #[test]
    fn a_stopped_sweep_keeps_its_finished_jobs_for_a_resume() {
        let dir = tempfile::tempdir().expect("temp dir");
        let scenario = crate::test_support::one_machine_scenario(dir.path(), "30d", 2.5);
        let def = SweepDefinition {
            scenario,
            vary: vec![crate::Vary {
                key: "machines.a.bots".into(),
                values: (1..=6).map(|b| b.to_string()).collect(),
            }],
            replications: 1,
            seed: None,
            set: Vec::new(),
            metrics: Vec::new(),
        };
        let out = dir.path().join("sweep");
        let flag = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let options = RunOptions {
            stop: Stop::when(std::sync::Arc::clone(&flag)),
            ..Default::default()
        };
        let ask_after_one = |p: Progress| {
            if p.runs_done >= 1 {
                flag.store(true, Ordering::Relaxed);
            }
        };
        let stopped = with_threads(Some(1), || run(&def, &out, &options, &ask_after_one))
            .expect("a pool of one thread");
        assert_eq!(stopped.err(), Some(SweepError::Stopped));
        let resume = RunOptions {
            resume: true,
            ..Default::default()
        };
        let (_, report, _) = with_threads(Some(1), || run(&def, &out, &resume, &|_| {}))
            .expect("a pool of one thread")
            .expect("the rest runs");
        assert_eq!((report.total, report.skipped, report.ran), (6, 1, 5));
    }
}
