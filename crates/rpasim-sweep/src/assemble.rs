//! The final files of a sweep, assembled from the job results in canonical
//! order, so they are the same bytes however the jobs ran: one thread or
//! many, in one go or resumed, in one directory or in shards merged later.
//!
//! - `sweep.csv`: one row per variant × replication, the varied values and
//!   every metric of the `all` row of its summary;
//! - `sweep-targets.csv`: the same per target (long format);
//! - `sweep-summary.csv`: per variant, target (and `all`) and metric: n,
//!   mean, standard deviation and the half-width of the 95 % confidence
//!   interval by Student's t over the replications;
//! - `charts/`: chosen metrics against each varied key, with 95 % bands.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use rpasim_charts::sweep::{SweepChart, SweepSeries, sweep_chart};
use rpasim_report::format::push_statistic;
use rpasim_report::outdir::{StagedDir, cleanup, partial_path};
use rpasim_stats::ConfidenceInterval;

use crate::SweepError;
use crate::grid::{Grid, replication_seed, short_key};
use crate::results::Index;
use crate::runner::SweepManifest;
/// File names of the assembled outputs.
pub const SWEEP_CSV: &str = "sweep.csv";
/// Per-target rows.
pub const SWEEP_TARGETS_CSV: &str = "sweep-targets.csv";
/// Per-flow rows.
pub const SWEEP_FLOWS_CSV: &str = "sweep-flows.csv";
/// How a flow's rows are named in the `target` column of
/// `sweep-summary.csv`: `flow:<name>` (a target's rows keep its name, so
/// that filters on target names see no new rows).
pub const FLOW_PREFIX: &str = "flow:";
/// Statistics per variant and metric.
pub const SWEEP_SUMMARY_CSV: &str = "sweep-summary.csv";
/// Confidence level of `sweep-summary.csv`.
pub const CONFIDENCE: f64 = 0.95;

/// One job's summaries: `summary.csv` (targets, then `all`) and
/// `summary-flows.csv`.
struct JobTables {
    targets: Rows,
    flows: Rows,
}

/// A summary as read back: its columns, and each row as one record (its
/// cells end to end in one buffer), a third of the memory of a cell per
/// string (10,000 targets' summaries of 20 replications took 1 GB).
struct Rows {
    header: Vec<String>,
    rows: Vec<csv::StringRecord>,
}

impl Rows {
    fn parse(bytes: &[u8]) -> Result<Self, csv::Error> {
        let mut reader = csv::Reader::from_reader(bytes);
        let header = reader.headers()?.iter().map(str::to_string).collect();
        let rows = reader.records().collect::<Result<_, _>>()?;
        Ok(Rows { header, rows })
    }
}

fn read_job(bytes: &[u8]) -> Result<JobTables, SweepError> {
    let parse =
        |b: &[u8]| Rows::parse(b).map_err(|e| SweepError::Failed(format!("a job's result: {e}")));
    let (targets, flows) = crate::results::split_job_result(bytes);
    let flows = flows.ok_or_else(|| {
        SweepError::Failed("a job's result has no flows (written by an earlier rpasim)".into())
    })?;
    Ok(JobTables {
        targets: parse(targets)?,
        flows: parse(flows)?,
    })
}

/// Most variants assembled at once: their results are in memory together,
/// and parsed in parallel.
const VARIANTS_PER_BATCH: usize = 32;
/// Most bytes of results read for one batch (at least one variant's):
/// with thousands of targets a variant's results alone are tens of MB.
const BATCH_BYTES: usize = 16 << 20;
/// Set to N to make batches of at most N bytes of results (a test hook:
/// the files are the same bytes however the variants are batched).
pub const BATCH_BYTES_ENV: &str = "RPASIM_SWEEP_BATCH_BYTES";

/// Fails, before anything is written, when a job has no result.
fn check_complete(grid: &Grid, index: &Index, dirs: &[PathBuf]) -> Result<(), SweepError> {
    match grid.jobs().find(|job| !index.contains(job.index)) {
        None => Ok(()),
        Some(job) => Err(SweepError::Invalid(format!(
            "job {} (variant {}, replication {}) has no result in {}: run its shard, or resume{}",
            job.index,
            job.variant,
            job.replication,
            // A merge may be of a thousand shards.
            rpasim_scenario::error::first_ten(
                &dirs
                    .iter()
                    .map(|d| d.display().to_string())
                    .collect::<Vec<_>>()
            ),
            index
                .unread_tail()
                .map(|t| format!("; {t}"))
                .unwrap_or_default()
        ))),
    }
}

/// A CSV output written as it goes, beside its final name, and renamed
/// only when complete (removed if dropped before).
struct StreamedCsv {
    tmp: PathBuf,
    path: PathBuf,
    /// Rows arrive as CSV text ([`CsvRows`]).
    writer: Option<BufWriter<File>>,
    /// Removes `tmp` if the process is interrupted.
    _registration: cleanup::Registration,
}

impl StreamedCsv {
    fn create(path: PathBuf) -> Result<Self, SweepError> {
        let tmp = partial_path(&path);
        let (registration, file) = cleanup::create(&tmp, || File::create(&tmp))
            .ok_or_else(|| SweepError::io(&path, io::Error::from(io::ErrorKind::Interrupted)))?;
        let file = file.map_err(|e| SweepError::io(&tmp, e))?;
        Ok(StreamedCsv {
            writer: Some(BufWriter::new(file)),
            tmp,
            path,
            _registration: registration,
        })
    }

    fn write(&mut self, row: &[String]) -> Result<(), SweepError> {
        let mut csv = CsvRows::new();
        csv.write(row)?;
        self.write_rows(&csv.bytes()?)
    }

    /// Appends rows written as CSV ([`CsvRows`]).
    fn write_rows(&mut self, rows: &[u8]) -> Result<(), SweepError> {
        if let Some(w) = &mut self.writer {
            w.write_all(rows)
                .map_err(|e| SweepError::Failed(format!("{}: {e}", self.path.display())))?;
        }
        Ok(())
    }

    fn commit(mut self) -> Result<(), SweepError> {
        let fail = |e: String| SweepError::Failed(format!("{}: {e}", self.path.display()));
        if let Some(w) = self.writer.take() {
            w.into_inner()
                .map_err(|e| fail(e.to_string()))?
                .flush()
                .map_err(|e| fail(e.to_string()))?;
        }
        cleanup::put_in_place(&self.path, || fs::rename(&self.tmp, &self.path))
            .unwrap_or_else(|| Err(io::Error::from(io::ErrorKind::Interrupted)))
            .map_err(|e| fail(e.to_string()))
    }
}

impl Drop for StreamedCsv {
    fn drop(&mut self) {
        if self.writer.is_some() {
            let _ = fs::remove_file(&self.tmp);
        }
    }
}

/// The four CSV outputs, being written.
struct Outputs {
    sweep: StreamedCsv,
    targets: StreamedCsv,
    flows: StreamedCsv,
    summary: StreamedCsv,
    /// The columns of the job summaries and flow summaries (set by the
    /// first job).
    header: Option<(Vec<String>, Vec<String>)>,
}

/// One variant's rows, computed apart from the others (in parallel), as
/// CSV text: with thousands of targets, a string per cell would take
/// hundreds of MB per variant.
struct VariantRows {
    sweep: Vec<u8>,
    targets: Vec<u8>,
    flows: Vec<u8>,
    summary: Vec<u8>,
    /// The statistics charted (targets' and `all`, of the charted metrics).
    charted: Vec<MetricStats>,
    header: (Vec<String>, Vec<String>),
}

/// Rows written as CSV into memory, as [`StreamedCsv`] writes them.
struct CsvRows(csv::Writer<Vec<u8>>);

impl CsvRows {
    fn new() -> Self {
        CsvRows(csv::Writer::from_writer(Vec::new()))
    }

    fn write<I: IntoIterator<Item = T>, T: AsRef<[u8]>>(
        &mut self,
        row: I,
    ) -> Result<(), SweepError> {
        self.0
            .write_record(row)
            .map_err(|e| SweepError::Failed(format!("sweep rows: {e}")))
    }

    fn bytes(self) -> Result<Vec<u8>, SweepError> {
        self.0
            .into_inner()
            .map_err(|e| SweepError::Failed(format!("sweep rows: {e}")))
    }
}

/// The rows and statistics of variant `v` from its replications' summaries.
fn variant_rows(
    grid: &Grid,
    manifest: &SweepManifest,
    v: usize,
    jobs: &[JobTables],
) -> Result<VariantRows, SweepError> {
    let header = jobs
        .first()
        .map(|j| (j.targets.header.clone(), j.flows.header.clone()))
        .unwrap_or_default();
    if let Some(j) = jobs
        .iter()
        .find(|j| j.targets.header != header.0 || j.flows.header != header.1)
    {
        return Err(SweepError::Failed(format!(
            "variant {v}: its runs' summaries have different columns ({} vs {})",
            j.targets.header.join(","),
            header.0.join(",")
        )));
    }
    let (mut sweep, mut targets, mut flows) = (CsvRows::new(), CsvRows::new(), CsvRows::new());
    for (r, job) in jobs.iter().enumerate() {
        let table = &job.targets;
        let mut prefix = vec![
            v.to_string(),
            r.to_string(),
            replication_seed(manifest.base_seed, r as u32).to_string(),
        ];
        prefix.extend(grid.variants[v].iter().cloned());
        for row in &table.rows {
            targets.write(prefix.iter().map(String::as_str).chain(row))?;
        }
        for row in &job.flows.rows {
            flows.write(prefix.iter().map(String::as_str).chain(row))?;
        }
        if let Some(all) = table.rows.last() {
            sweep.write(prefix.iter().map(String::as_str).chain(all.iter().skip(1)))?;
        }
    }
    let target_tables: Vec<&Rows> = jobs.iter().map(|j| &j.targets).collect();
    let flow_tables: Vec<&Rows> = jobs.iter().map(|j| &j.flows).collect();
    // The statistics of blocks of rows computed in parallel (a variant may
    // be a batch of its own), their rows joined in order.
    let mut summary = Vec::new();
    let mut charted = Vec::new();
    for (header, tables, skip) in [(&header.0, &target_tables, 1), (&header.1, &flow_tables, 2)] {
        let rows = tables.first().map_or(0, |t| t.rows.len());
        let blocks: Vec<(Vec<u8>, Vec<MetricStats>)> = (0..rows.div_ceil(STATISTICS_BLOCK))
            .into_par_iter()
            .map(|b| {
                let block = b * STATISTICS_BLOCK..((b + 1) * STATISTICS_BLOCK).min(rows);
                block_statistics(grid, manifest, v, header, tables, skip, block)
            })
            .collect::<Result<_, _>>()?;
        for (bytes, stats) in blocks {
            summary.extend_from_slice(&bytes);
            charted.extend(stats);
        }
    }
    Ok(VariantRows {
        sweep: sweep.bytes()?,
        targets: targets.bytes()?,
        flows: flows.bytes()?,
        summary,
        charted,
        header,
    })
}

/// Rows of a summary whose statistics are computed together.
const STATISTICS_BLOCK: usize = 1_024;

/// The `sweep-summary.csv` rows of the summary rows `block` of variant `v`,
/// and the statistics of them that are charted.
fn block_statistics(
    grid: &Grid,
    manifest: &SweepManifest,
    v: usize,
    header: &[String],
    tables: &[&Rows],
    skip: usize,
    block: std::ops::Range<usize>,
) -> Result<(Vec<u8>, Vec<MetricStats>), SweepError> {
    // Each statistic is written as it is computed; only the charted ones
    // are kept.
    let (mut summary, mut charted) = (CsvRows::new(), Vec::new());
    let mut row = SummaryRow::new(grid, v);
    let mut emit = |stat: Stat<'_>| {
        summary.write(row.of(&stat))?;
        if stat.flow.is_none() && manifest.metrics.iter().any(|m| m == stat.metric) {
            charted.push(stat.owned(v));
        }
        Ok(())
    };
    variant_statistics(header, tables, skip, block, &mut emit)?;
    Ok((summary.bytes()?, charted))
}

impl Outputs {
    fn create(out: &Path) -> Result<Self, SweepError> {
        Ok(Outputs {
            sweep: StreamedCsv::create(out.join(SWEEP_CSV))?,
            targets: StreamedCsv::create(out.join(SWEEP_TARGETS_CSV))?,
            flows: StreamedCsv::create(out.join(SWEEP_FLOWS_CSV))?,
            summary: StreamedCsv::create(out.join(SWEEP_SUMMARY_CSV))?,
            header: None,
        })
    }

    /// Writes the headers, from the first job's summary columns.
    fn headers(
        &mut self,
        grid: &Grid,
        header: &(Vec<String>, Vec<String>),
    ) -> Result<(), SweepError> {
        let mut lead = vec!["variant".to_string(), "replication".into(), "seed".into()];
        lead.extend(grid.keys.iter().cloned());
        let sweep: Vec<String> = lead.iter().chain(&header.0[1..]).cloned().collect();
        let targets: Vec<String> = lead.iter().chain(&header.0).cloned().collect();
        let flows: Vec<String> = lead.iter().chain(&header.1).cloned().collect();
        let mut summary = vec!["variant".to_string()];
        summary.extend(grid.keys.iter().cloned());
        summary
            .extend(["target", "metric", "n", "mean", "sd", "ci95_half_width"].map(String::from));
        self.sweep.write(&sweep)?;
        self.targets.write(&targets)?;
        self.flows.write(&flows)?;
        self.summary.write(&summary)?;
        self.header = Some(header.clone());
        Ok(())
    }

    fn write(&mut self, grid: &Grid, rows: &VariantRows) -> Result<(), SweepError> {
        match &self.header {
            None => self.headers(grid, &rows.header)?,
            Some(h) if *h != rows.header => {
                return Err(SweepError::Failed(
                    "the runs' summaries have different columns (results of another rpasim version?)"
                        .into(),
                ));
            }
            Some(_) => {}
        }
        self.sweep.write_rows(&rows.sweep)?;
        self.targets.write_rows(&rows.targets)?;
        self.flows.write_rows(&rows.flows)?;
        self.summary.write_rows(&rows.summary)
    }

    fn commit(self) -> Result<(), SweepError> {
        self.sweep.commit()?;
        self.targets.commit()?;
        self.flows.commit()?;
        self.summary.commit()
    }
}

/// Assembles the outputs into `out` from the results in `dirs` (one sweep
/// directory, or the shards being merged). Results are read and written a
/// batch of variants at a time: memory does not grow with the sweep.
pub fn assemble(out: &Path, manifest: &SweepManifest, dirs: &[PathBuf]) -> Result<(), SweepError> {
    if manifest.format != crate::runner::RESULTS_FORMAT {
        return Err(SweepError::Invalid(format!(
            "the results in {} were written by another version of rpasim (results format {}, \
             this version reads {}): run the sweep again into a new directory",
            dirs.iter()
                .map(|d| d.display().to_string())
                .collect::<Vec<_>>()
                .join(", "),
            manifest.format,
            crate::runner::RESULTS_FORMAT
        )));
    }
    let grid = manifest.grid();
    let io = |e| SweepError::Failed(format!("reading the results: {e}"));
    let mut index = Index::scan(dirs).map_err(|e| match e.kind() {
        // A log that is not a file: the input is wrong, not the disk.
        io::ErrorKind::InvalidInput => SweepError::Invalid(e.to_string()),
        _ => io(e),
    })?;
    check_complete(&grid, &index, dirs)?;
    // `out` exists (a sweep's directory, or a merge being staged); made
    // with `create_dir_all`, a merge's staging directory that a signal had
    // just removed was made again, and left behind.
    rpasim_report::outdir::create_subdir(out).map_err(|e| SweepError::io(out, e))?;
    let mut outputs = Outputs::create(out)?;
    let mut charted = Vec::new();
    let r = grid.replications as usize;
    let budget = std::env::var(BATCH_BYTES_ENV)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(BATCH_BYTES);
    let mut next = 0;
    while next < grid.variants.len() {
        // Variants' results, until a batch is full.
        let (mut batch, mut results, mut bytes) = (Vec::new(), Vec::new(), 0);
        while next < grid.variants.len()
            && batch.len() < VARIANTS_PER_BATCH
            && (batch.is_empty() || bytes < budget)
        {
            for job in next * r..(next + 1) * r {
                let result = index.fetch(job).map_err(io)?.unwrap_or_default();
                bytes += result.len();
                results.push(result);
            }
            batch.push(next);
            next += 1;
        }
        let rows: Vec<VariantRows> = batch
            .par_iter()
            .zip(results.par_chunks(r))
            .map(|(v, results)| {
                // The replications parsed in parallel too: a batch may
                // hold a single variant.
                let jobs: Vec<JobTables> = results
                    .par_iter()
                    .map(|b| read_job(b))
                    .collect::<Result<_, _>>()?;
                variant_rows(&grid, manifest, *v, &jobs)
            })
            .collect::<Result<_, _>>()?;
        for variant in rows {
            outputs.write(&grid, &variant)?;
            charted.extend(variant.charted);
        }
    }
    outputs.commit()?;
    let scenario = ScenarioNow::read(manifest);
    let drawn = charts(out, manifest, &grid, &charted, &scenario.goals)?;
    report(out, manifest, &scenario, &grid, &charted, &drawn)
}

/// Most variants `report.html`'s table lists (`sweep-summary.csv` has
/// every one).
const MOST_VARIANTS_LISTED: usize = 500;

/// `report.html`: what varied, the charts (`drawn`, read back from their
/// SVG files) and, per variant, each charted metric over all targets.
/// Written whole or not at all, as the other files.
fn report(
    out: &Path,
    manifest: &SweepManifest,
    scenario: &ScenarioNow,
    grid: &Grid,
    stats: &[MetricStats],
    drawn: &[(String, String)],
) -> Result<(), SweepError> {
    let charts = crate::chart_svgs(out, drawn.iter().cloned())?;
    let (header, rows) = variant_table(manifest, grid, stats);
    let listed = grid.variants.len().min(MOST_VARIANTS_LISTED);
    let page = rpasim_charts::sweep::SweepPage {
        name: scenario.name.clone(),
        question: scenario.question.clone(),
        scenario: manifest.scenario.clone(),
        varied: grid
            .dimension_keys()
            .into_iter()
            .map(|keys| {
                let values = grid
                    .variants
                    .iter()
                    .map(|v| &v[keys.start])
                    .collect::<BTreeSet<_>>();
                format!(
                    "{} over {} values",
                    grid.keys[keys].join(" with "),
                    values.len()
                )
            })
            .collect(),
        replications: grid.replications,
        charts,
        header,
        numbers_from: grid.keys.len(),
        rows,
        table_note: (listed < grid.variants.len()).then(|| {
            format!(
                "The first {listed} of {} variants; sweep-summary.csv has every one.",
                grid.variants.len()
            )
        }),
    };
    let path = out.join(rpasim_report::REPORT_HTML);
    rpasim_report::outdir::write_atomically(
        &path,
        rpasim_charts::sweep::sweep_html(&page).as_bytes(),
    )
    .map_err(|e| SweepError::io(&path, e))
}

/// A figure of `metric` as people read it: durations and shares as the
/// goals say them (`28m28s`, `95.0%`), other numbers whole or to about
/// three significant digits (`3939`, `12`, `300.6`, `18.28`, `0.126`), and
/// a value of runs that never started as `never`.
fn figure(metric: &str, x: f64) -> String {
    use rpasim_report::goals::{Measured, human, is_fraction};
    if !x.is_finite() {
        return human(metric, Measured::Never);
    }
    match x.abs() {
        _ if metric.ends_with("_s") || is_fraction(metric) => human(metric, Measured::Value(x)),
        a if a >= 1000.0 || x.fract() == 0.0 => format!("{x:.0}"),
        a if a >= 100.0 => format!("{x:.1}"),
        a if a >= 10.0 => format!("{x:.2}"),
        _ => format!("{x:.3}"),
    }
}

/// The table of `report.html`: the varied keys, then each charted
/// metric's mean and 95 % interval over all targets, a row per variant
/// (at most [`MOST_VARIANTS_LISTED`]).
fn variant_table(
    manifest: &SweepManifest,
    grid: &Grid,
    stats: &[MetricStats],
) -> (Vec<String>, Vec<Vec<String>>) {
    let mut header = grid.keys.clone();
    header.extend(manifest.metrics.iter().cloned());
    let all: BTreeMap<(usize, &str), &Estimate> = stats
        .iter()
        .filter(|s| s.target == "all")
        .map(|s| ((s.variant, s.metric.as_str()), &s.estimate))
        .collect();
    let cell = |metric: &str, e: Option<&&Estimate>| {
        let value = |x: f64| figure(metric, x);
        match e.and_then(|e| e.mean.map(|m| (m, e.half_width))) {
            Some((mean, Some(hw))) if mean.is_finite() => {
                format!("{} ± {}", value(mean), value(hw))
            }
            Some((mean, _)) => value(mean),
            None => String::new(),
        }
    };
    let rows = (0..grid.variants.len().min(MOST_VARIANTS_LISTED))
        .map(|v| {
            let mut row = grid.variants[v].clone();
            row.extend(
                manifest
                    .metrics
                    .iter()
                    .map(|m| cell(m, all.get(&(v, m.as_str())))),
            );
            row
        })
        .collect();
    (header, rows)
}

/// Statistics of one metric of one variant and target (not a flow: only
/// targets' statistics are charted) over its replications, kept to chart.
#[derive(Debug, Clone, PartialEq)]
struct MetricStats {
    /// Variant index.
    variant: usize,
    /// Target name, or `all`.
    target: String,
    /// Metric name.
    metric: String,
    /// Its replications' values.
    estimate: Estimate,
}

/// One metric's statistics over a variant's replications, as computed:
/// its names borrowed from the summaries read (a sweep of thousands of
/// targets computes millions), made [`MetricStats`] only when charted.
struct Stat<'a> {
    /// Target name, or `all` (for a flow: its target).
    target: &'a str,
    /// The flow, for a flow's statistics.
    flow: Option<&'a str>,
    /// Metric name.
    metric: &'a str,
    /// Its replications' values.
    estimate: Estimate,
}

impl Stat<'_> {
    /// The statistic of a target in variant `variant`, owning its names.
    fn owned(&self, variant: usize) -> MetricStats {
        MetricStats {
            variant,
            target: self.target.to_string(),
            metric: self.metric.to_string(),
            estimate: self.estimate,
        }
    }
}

/// Statistics over the replications of a variant, by row (of the rows in
/// `block`) and metric, each passed to `emit` (one at a time: with
/// thousands of targets all of them would take hundreds of MB). `header`
/// is the summaries' columns: `target` then the metrics (`skip` = 1), or
/// `flow`, `target` then the metrics (`skip` = 2).
fn variant_statistics(
    header: &[String],
    tables: &[&Rows],
    skip: usize,
    block: std::ops::Range<usize>,
    emit: &mut impl FnMut(Stat<'_>) -> Result<(), SweepError>,
) -> Result<(), SweepError> {
    let Some(first) = tables.first() else {
        return Ok(());
    };
    // One buffer for every metric's values.
    let mut values: Vec<f64> = Vec::with_capacity(tables.len());
    for (t, row) in first
        .rows
        .iter()
        .enumerate()
        .take(block.end)
        .skip(block.start)
    {
        let cell = |c: usize| row.get(c).unwrap_or_default();
        let (target, flow) = if skip == 2 {
            (cell(1), Some(cell(0)))
        } else {
            (cell(0), None)
        };
        for (m, metric) in header.iter().enumerate().skip(skip) {
            // A flow has no pool of its own: no statistics of one.
            if flow.is_some() && rpasim_report::summary::POOL_COLUMNS.contains(&metric.as_str()) {
                continue;
            }
            // An empty cell has no value (left out of n); "inf" is a value.
            values.clear();
            values.extend(
                (tables.iter())
                    .filter_map(|table| table.rows.get(t)?.get(m)?.parse().ok())
                    .filter(|x: &f64| !x.is_nan()),
            );
            emit(Stat {
                target,
                flow,
                metric,
                estimate: Estimate::of(&values),
            })?;
        }
    }
    Ok(())
}

/// The mean, spread and interval of some replications' values.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Estimate {
    /// Replications with a value.
    n: usize,
    /// Mean: `None` when no replication has a value (e.g. a wait when no
    /// run started), infinite when one is infinite (runs never started).
    mean: Option<f64>,
    /// Sample standard deviation (`None` for one value).
    sd: Option<f64>,
    /// Half-width of the 95 % interval (`None` for one value).
    half_width: Option<f64>,
}

impl Estimate {
    fn of(values: &[f64]) -> Self {
        let estimate = |mean, sd, half_width| Estimate {
            n: values.len(),
            mean,
            sd,
            half_width,
        };
        if values.is_empty() {
            return estimate(None, None, None);
        }
        if values.iter().any(|x| x.is_infinite()) {
            // A replication where runs never started: no finite mean, no spread.
            return estimate(Some(f64::INFINITY), None, None);
        }
        let mean = values.iter().sum::<f64>() / values.len() as f64;
        let ci = ConfidenceInterval::of_independent(values, CONFIDENCE);
        let sd = (values.len() > 1).then(|| {
            let squares = values.iter().map(|x| (x - mean).powi(2)).sum::<f64>();
            (squares / (values.len() - 1) as f64).sqrt()
        });
        estimate(Some(mean), sd, ci.map(|c| c.half_width))
    }
}

/// Rows of `sweep-summary.csv` for one variant, formatted in buffers kept
/// from row to row.
struct SummaryRow<'g> {
    /// The variant's index and values, the row's first cells.
    variant: (String, &'g [String]),
    /// The target cell of a flow's row (`flow:<name>`).
    name: String,
    /// The count, mean, standard deviation and half-width cells.
    numbers: [String; 4],
}

impl<'g> SummaryRow<'g> {
    fn new(grid: &'g Grid, v: usize) -> Self {
        SummaryRow {
            variant: (v.to_string(), &grid.variants[v]),
            name: String::new(),
            numbers: Default::default(),
        }
    }

    /// The cells of `stat`'s row.
    fn of<'s>(&'s mut self, stat: &'s Stat<'_>) -> impl Iterator<Item = &'s str> {
        let e = stat.estimate;
        let [n, mean, sd, half_width] = &mut self.numbers;
        n.clear();
        // Writing to a `String` cannot fail.
        let _ = write!(n, "{}", e.n);
        for (cell, value) in [(mean, e.mean), (sd, e.sd), (half_width, e.half_width)] {
            cell.clear();
            if let Some(x) = value {
                push_statistic(cell, x);
            }
        }
        let target = match stat.flow {
            Some(f) => {
                self.name.clear();
                self.name.push_str(FLOW_PREFIX);
                self.name.push_str(f);
                self.name.as_str()
            }
            None => stat.target,
        };
        let (index, values) = &self.variant;
        std::iter::once(index.as_str())
            .chain(values.iter().map(String::as_str))
            .chain([target, stat.metric])
            .chain(self.numbers.iter().map(String::as_str))
    }
}

/// One chart per charted metric and numeric dimension of the grid (linked
/// keys are charted against the first of them). A line per combination of
/// the other dimensions' values, over all runs; when nothing else varies, a
/// line per target and one over all runs. Charts are independent files,
/// drawn in parallel into a staged `charts/` that replaces the old one
/// whole (no chart of an earlier sweep survives).
fn charts(
    out: &Path,
    manifest: &SweepManifest,
    grid: &Grid,
    stats: &[MetricStats],
    goals: &[rpasim_report::goals::Goal],
) -> Result<Vec<(String, String)>, SweepError> {
    let target = out.join(rpasim_charts::CHARTS_DIR);
    let staged =
        StagedDir::create(&target, &rpasim_report::CHARTS_OUTPUT).map_err(|e| match e {
            rpasim_report::OutDirError::Refused(m) => SweepError::Invalid(m),
            io => SweepError::Failed(io.to_string()),
        })?;
    let drawn = draw_charts(staged.path(), manifest, grid, stats, goals)?;
    staged
        .commit()
        .map_err(|e| SweepError::Failed(e.to_string()))?;
    Ok(drawn)
}

/// Returns each chart drawn, (title, file stem), in the order of the
/// dimensions, then of the metrics.
fn draw_charts(
    charts_dir: &Path,
    manifest: &SweepManifest,
    grid: &Grid,
    stats: &[MetricStats],
    goals: &[rpasim_report::goals::Goal],
) -> Result<Vec<(String, String)>, SweepError> {
    let dimensions = grid.dimension_keys();
    let todo: Vec<(usize, &String)> = (0..dimensions.len())
        .flat_map(|d| manifest.metrics.iter().map(move |m| (d, m)))
        .collect();
    let drawn: Vec<Option<(String, String)>> = todo
        .par_iter()
        .map(|(d, metric)| chart(charts_dir, grid, stats, *d, metric, goals))
        .collect::<Result<_, _>>()?;
    Ok(drawn.into_iter().flatten().collect())
}

/// What the pages and charts say of the sweep's scenario, as its file
/// says it now: its name, its question and its goals (for threshold
/// lines). When it cannot be read now (a merge on another machine): its
/// file's stem, and no question or goal.
struct ScenarioNow {
    name: String,
    question: Option<String>,
    goals: Vec<rpasim_report::goals::Goal>,
}

impl ScenarioNow {
    fn read(manifest: &SweepManifest) -> Self {
        let set: Vec<rpasim_scenario::overrides::Override> =
            manifest.set.iter().filter_map(|o| o.parse().ok()).collect();
        let path = Path::new(&manifest.scenario);
        match rpasim_scenario::load(path, &set) {
            Ok(s) => ScenarioNow {
                name: s.name,
                question: s.question,
                goals: s.goals,
            },
            Err(_) => ScenarioNow {
                name: path
                    .file_stem()
                    .map_or_else(|| manifest.scenario.clone(), |s| s.to_string_lossy().into()),
                question: None,
                goals: Vec::new(),
            },
        }
    }
}

/// The keys whose values label the lines of a chart against dimension
/// `dim`: those of the other dimensions.
fn legend_keys(grid: &Grid, dim: usize) -> Vec<usize> {
    grid.dimension_keys()
        .into_iter()
        .enumerate()
        .filter(|(d, _)| *d != dim)
        .flat_map(|(_, keys)| keys)
        .collect()
}

/// The values of key `k` in order, when they are not all numbers: the
/// categories of its chart's x axis (empty for a numeric key).
fn categories(grid: &Grid, k: usize) -> Vec<String> {
    if grid
        .variants
        .iter()
        .all(|v| v[k].parse::<f64>().is_ok_and(f64::is_finite))
    {
        return Vec::new();
    }
    let mut seen = BTreeSet::new();
    grid.variants
        .iter()
        .filter(|v| seen.insert(v[k].as_str()))
        .map(|v| v[k].clone())
        .collect()
}

/// The lines of the chart of `metric` against dimension `dim`, labelled by
/// target and/or the values of the other dimensions' keys. A mean that is
/// missing or infinite has no point.
/// Most lines on a chart: target lines on a chart of one varied key (`all`
/// among them), or combinations of the other keys' values. With thousands
/// their bands covered one another: a chart of 10,000 lines said nothing
/// (and its SVG took 49 MB; a sweep of 100,000 variants of five keys wrote
/// 740 MB of charts).
const MAX_LINES: usize = 12;

/// The targets drawn on a chart of one varied key, in summary order, and
/// how many there are: all of them while they are few, else `all` and
/// those whose mean of `metric` is highest in some variant (the ones a
/// planner looks at first).
fn charted_targets<'s>(stats: &'s [MetricStats], metric: &str) -> (Vec<&'s str>, usize) {
    let ours = |s: &&MetricStats| s.metric == metric;
    let targets: Vec<&str> = stats
        .iter()
        .filter(|s| s.variant == 0 && ours(s))
        .map(|s| s.target.as_str())
        .collect();
    let total = targets.len();
    if total <= MAX_LINES {
        return (targets, total);
    }
    let mut peak: BTreeMap<&str, f64> = BTreeMap::new();
    for s in stats.iter().filter(ours) {
        let mean = (s.estimate.mean)
            .filter(|m| m.is_finite())
            .unwrap_or(f64::NEG_INFINITY);
        let top = peak.entry(s.target.as_str()).or_insert(mean);
        *top = top.max(mean);
    }
    let others = targets.iter().filter(|t| **t != "all");
    let mut kept = highest(others.map(|t| (*t, peak[t])), MAX_LINES - 1);
    kept.insert("all");
    let drawn = targets.into_iter().filter(|t| kept.contains(t)).collect();
    (drawn, total)
}

fn chart_series(grid: &Grid, stats: &[MetricStats], dim: usize, metric: &str) -> Vec<SweepSeries> {
    let dimensions = grid.dimension_keys();
    let x = dimensions[dim].start;
    let categories = categories(grid, x);
    let category: BTreeMap<&str, usize> = categories
        .iter()
        .enumerate()
        .map(|(i, c)| (c.as_str(), i))
        .collect();
    let x_of = |value: &str| match category.get(value) {
        Some(i) => *i as f64,
        None => value.parse::<f64>().unwrap_or(0.0),
    };
    let others = legend_keys(grid, dim);
    let targets: Vec<&str> = if dimensions.len() == 1 {
        charted_targets(stats, metric).0
    } else {
        vec!["all"]
    };
    // Looked up by (variant, target) and by label, not searched for: a
    // sweep of 100,000 variants took minutes to chart with searches.
    let mut of_variant: BTreeMap<(usize, &str), &MetricStats> = BTreeMap::new();
    for s in stats.iter().filter(|s| s.metric == metric) {
        // The first, as a search from the start would find.
        of_variant
            .entry((s.variant, s.target.as_str()))
            .or_insert(s);
    }
    let mut series: Vec<SweepSeries> = Vec::new();
    let mut series_of_label: BTreeMap<String, usize> = BTreeMap::new();
    for target in &targets {
        for (v, values) in grid.variants.iter().enumerate() {
            let Some((s, mean)) = of_variant
                .get(&(v, *target))
                .and_then(|s| Some((*s, s.estimate.mean.filter(|m| m.is_finite())?)))
            else {
                continue;
            };
            let mut parts: Vec<&str> = others.iter().map(|k| values[*k].as_str()).collect();
            if targets.len() > 1 {
                parts.insert(0, target);
            }
            let label = if parts.is_empty() {
                metric.to_string()
            } else {
                parts.join(", ")
            };
            let point = (x_of(&values[x]), mean, s.estimate.half_width.unwrap_or(0.0));
            match series_of_label.get(&label) {
                Some(i) => series[*i].points.push(point),
                None => {
                    series_of_label.insert(label.clone(), series.len());
                    series.push(SweepSeries {
                        label,
                        points: vec![point],
                    });
                }
            }
        }
    }
    series
}

/// The lines of a chart, at most [`MAX_LINES`] of them: while they are
/// few, all; else those whose mean is highest at some point (the
/// combinations a planner looks at first), in their order. Also returns
/// how many there were. Lines of targets are already chosen
/// ([`charted_targets`]).
fn highest_lines(series: Vec<SweepSeries>) -> (Vec<SweepSeries>, usize) {
    let total = series.len();
    if total <= MAX_LINES {
        return (series, total);
    }
    let peak = |s: &SweepSeries| {
        s.points
            .iter()
            .map(|(_, mean, _)| *mean)
            .fold(f64::NEG_INFINITY, f64::max)
    };
    let kept = highest(series.iter().map(peak).enumerate(), MAX_LINES);
    let drawn = series
        .into_iter()
        .enumerate()
        .filter(|(i, _)| kept.contains(i))
        .map(|(_, s)| s)
        .collect();
    (drawn, total)
}

/// The `n` items of highest score; ties go to the earlier item (a stable
/// sort), so the choice is the same whatever the order of equal scores'
/// computation.
fn highest<T: Ord>(scored: impl Iterator<Item = (T, f64)>, n: usize) -> BTreeSet<T> {
    let mut ranked: Vec<(T, f64)> = scored.collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
    ranked.into_iter().take(n).map(|(item, _)| item).collect()
}

/// Most goal lines a sweep chart draws.
const MOST_THRESHOLDS: usize = 5;

/// The goals on `metric` as lines: one per bound, in goal order, labelled
/// by the goal, or by how many share it (a goal per target of 10,000
/// targets drew 10,000 lines on one another); at most [`MOST_THRESHOLDS`].
fn thresholds(goals: &[rpasim_report::goals::Goal], metric: &str) -> Vec<(String, f64)> {
    let mut lines: Vec<(&rpasim_report::goals::Goal, usize)> = Vec::new();
    for g in goals.iter().filter(|g| g.metric == metric) {
        let same = |(l, _): &&mut (&rpasim_report::goals::Goal, usize)| {
            l.bound == g.bound && l.at_most == g.at_most
        };
        match lines.iter_mut().find(same) {
            Some((_, n)) => *n += 1,
            None => lines.push((g, 1)),
        }
    }
    lines
        .into_iter()
        .take(MOST_THRESHOLDS)
        .map(|(g, n)| {
            let text = if n == 1 {
                g.describe()
            } else {
                let op = if g.at_most { "<=" } else { ">=" };
                format!("{n} goals: {metric} {op} {}", g.written)
            };
            (text, g.bound)
        })
        .collect()
}

fn chart(
    charts_dir: &Path,
    grid: &Grid,
    stats: &[MetricStats],
    dim: usize,
    metric: &str,
    goals: &[rpasim_report::goals::Goal],
) -> Result<Option<(String, String)>, SweepError> {
    let (series, lines) = highest_lines(chart_series(grid, stats, dim, metric));
    if series.is_empty() {
        return Ok(None);
    }
    let thresholds = thresholds(goals, metric);
    // Name the target in the title when every line is of the same one:
    // the only one, or `all` when the lines are of the other keys' values.
    let targets: BTreeSet<&str> = stats
        .iter()
        .filter(|s| s.metric == metric)
        .map(|s| s.target.as_str())
        .collect();
    let (drawn, total) = charted_targets(stats, metric);
    let others = legend_keys(grid, dim);
    let of_target = match targets.iter().next() {
        Some(t) if targets.len() == 1 => format!(" of {t}"),
        _ if !others.is_empty() => " of all targets".to_string(),
        _ => " per target".to_string(),
    };
    let keys = &grid.keys[grid.dimension_keys()[dim].clone()];
    let x_desc = match keys {
        [first, linked @ ..] if !linked.is_empty() => {
            format!("{first} (with {})", linked.join(", "))
        }
        _ => keys[0].clone(),
    };
    let stem = format!("{metric}-vs-{}", keys[0].replace('.', "_"));
    let legend_title = if others.is_empty() && drawn.len() < total {
        // Said where the lines are named (the title has no room left).
        format!("target ({} highest of {})", drawn.len() - 1, total - 1)
    } else if others.is_empty() {
        "target".to_string()
    } else {
        let keys = others
            .iter()
            .map(|k| short_key(&grid.keys[*k]))
            .collect::<Vec<_>>()
            .join(", ");
        match series.len() < lines {
            true => format!("{keys} ({} highest of {lines})", series.len()),
            false => keys,
        }
    };
    // One replication gives a value, not an interval: the title says so.
    let spread = match grid.replications {
        1 => "one replication, no interval".to_string(),
        n => format!("mean and 95 % interval over {n} replications"),
    };
    let title = format!("{metric}{of_target} by {}: {spread}", short_key(&keys[0]));
    let chart = SweepChart {
        title: title.clone(),
        x_desc,
        y_desc: metric.to_string(),
        legend_title,
        series,
        categories: categories(grid, grid.dimension_keys()[dim].start),
        thresholds,
    };
    sweep_chart(charts_dir, &stem, &chart).map_err(|e| SweepError::io(charts_dir, e))?;
    Ok(Some((title, stem)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_read_in_human_units_or_to_three_digits() {
        assert_eq!(figure("wait_p95_s", 1708.0), "28m28s");
        assert_eq!(figure("started_share", 0.95), "95.0%");
        assert_eq!(figure("bot_hours", 3938.6686), "3939");
        assert_eq!(figure("cold_starts", 300.6), "300.6");
        assert_eq!(figure("cold_starts", 18.278205), "18.28");
        assert_eq!(figure("queue_mean", 0.12567), "0.126");
        // Whole numbers as they are: a bot-hours' spread of 0, not 0.000.
        assert_eq!(figure("bot_hours", 0.0), "0");
        assert_eq!(figure("cold_starts", 12.0), "12");
        assert_eq!(figure("start_p95_s", f64::INFINITY), "never");
    }

    #[test]
    fn goals_sharing_a_bound_are_one_line_and_lines_are_few() {
        let goal =
            |name: &str, metric: &str, bound: f64, written: &str| rpasim_report::goals::Goal {
                name: name.into(),
                metric: metric.into(),
                bound,
                at_most: true,
                written: written.into(),
            };
        let mut goals = vec![goal("finance", "start_p95_s", 1800.0, "30m")];
        goals.extend((0..1_000).map(|i| goal(&format!("m{i}"), "start_p95_s", 7200.0, "2h")));
        goals.push(goal("sales", "wait_p95_s", 60.0, "1m"));
        goals.extend((1..=9).map(|i| goal("all", "start_p95_s", f64::from(i), &format!("{i}s"))));
        let lines = thresholds(&goals, "start_p95_s");
        assert_eq!(
            lines,
            vec![
                ("finance.start_p95_s <= 30m".to_string(), 1800.0),
                ("1000 goals: start_p95_s <= 2h".to_string(), 7200.0),
                ("all.start_p95_s <= 1s".to_string(), 1.0),
                ("all.start_p95_s <= 2s".to_string(), 2.0),
                ("all.start_p95_s <= 3s".to_string(), 3.0),
            ]
        );
        assert_eq!(thresholds(&goals, "wait_p95_s").len(), 1);
    }

    fn stat(variant: usize, target: &str, mean: f64) -> MetricStats {
        MetricStats {
            variant,
            target: target.into(),
            metric: "wait_p95_s".into(),
            estimate: Estimate {
                n: 2,
                mean: Some(mean),
                sd: Some(1.0),
                half_width: Some(2.0),
            },
        }
    }

    fn grid(keys: &[&str], dimensions: Vec<usize>, variants: &[&[&str]]) -> Grid {
        Grid {
            keys: keys.iter().map(|k| k.to_string()).collect(),
            variants: variants
                .iter()
                .map(|v| v.iter().map(|x| x.to_string()).collect())
                .collect(),
            replications: 2,
            dimensions,
        }
    }

    #[test]
    fn one_dimension_draws_a_line_per_target() {
        let g = grid(
            &["a.cap", "b.max"],
            vec![2],
            &[&["12", "10"], &["18", "16"]],
        );
        let stats: Vec<MetricStats> = (0..2)
            .flat_map(|v| [stat(v, "finance", 10.0 - v as f64), stat(v, "all", 5.0)])
            .collect();
        let series = chart_series(&g, &stats, 0, "wait_p95_s");
        assert_eq!(series.len(), 2);
        assert_eq!(series[0].label, "finance");
        assert_eq!(series[0].points, vec![(12.0, 10.0, 2.0), (18.0, 9.0, 2.0)]);
        assert_eq!(series[1].label, "all");
    }

    /// With more targets than a chart can show apart, `all` and the
    /// targets of highest mean in some variant are drawn, in summary order.
    #[test]
    fn thousands_of_targets_are_charted_by_their_highest() {
        let g = grid(&["a.cap"], vec![1], &[&["1"], &["2"]]);
        let mut stats = Vec::new();
        for v in 0..2 {
            for t in 0..30 {
                // Target 29 is highest in variant 1 only; 0 to 9 next.
                let mean = match (t, v) {
                    (29, 1) => 1_000.0,
                    (29, _) => 0.0,
                    _ => 100.0 - t as f64,
                };
                stats.push(stat(v, &format!("t{t:02}"), mean));
            }
            stats.push(stat(v, "all", 50.0));
        }
        let (drawn, total) = charted_targets(&stats, "wait_p95_s");
        assert_eq!(total, 31);
        let want: Vec<String> = (0..10)
            .map(|t| format!("t{t:02}"))
            .chain(["t29".to_string(), "all".to_string()])
            .collect();
        assert_eq!(drawn, want);
        let labels: Vec<String> = chart_series(&g, &stats, 0, "wait_p95_s")
            .into_iter()
            .map(|s| s.label)
            .collect();
        assert_eq!(labels, want);
        // A few targets: every one.
        let few: Vec<MetricStats> = stats
            .iter()
            .filter(|s| s.target.as_str() < "t05" || s.target == "all")
            .cloned()
            .collect();
        assert_eq!(charted_targets(&few, "wait_p95_s").0.len(), 6);
    }

    /// With more combinations of the other keys' values than a chart can
    /// show apart, those of highest mean at some point are drawn, in their
    /// order, and the legend says how many of how many.
    #[test]
    fn thousands_of_combinations_are_charted_by_their_highest() {
        let series: Vec<SweepSeries> = (0..30)
            .map(|i| SweepSeries {
                label: format!("c{i:02}"),
                // Line 29 is highest at one point only; 0 to 10 next.
                points: vec![
                    (1.0, 100.0 - f64::from(i), 1.0),
                    (2.0, if i == 29 { 1_000.0 } else { 0.0 }, 1.0),
                ],
            })
            .collect();
        let (drawn, total) = highest_lines(series.clone());
        assert_eq!(total, 30);
        let labels: Vec<&str> = drawn.iter().map(|s| s.label.as_str()).collect();
        let want: Vec<String> = (0..11).chain([29]).map(|i| format!("c{i:02}")).collect();
        assert_eq!(labels, want);
        assert_eq!(drawn[11], series[29]);
        let few = series[..MAX_LINES].to_vec();
        assert_eq!(highest_lines(few.clone()), (few, MAX_LINES));
    }

    #[test]
    fn other_dimensions_make_the_lines() {
        // x = a.cap (slowest), lines by b.max; only the `all` rows are drawn.
        let g = grid(
            &["x.a.cap", "x.b.max"],
            vec![1, 1],
            &[&["1", "5"], &["1", "6"], &["2", "5"], &["2", "6"]],
        );
        let stats: Vec<MetricStats> = (0..4)
            .flat_map(|v| [stat(v, "finance", 0.0), stat(v, "all", v as f64)])
            .collect();
        let series = chart_series(&g, &stats, 0, "wait_p95_s");
        let labels: Vec<&str> = series.iter().map(|s| s.label.as_str()).collect();
        assert_eq!(labels, vec!["5", "6"]);
        assert_eq!(series[1].points, vec![(1.0, 1.0, 2.0), (2.0, 3.0, 2.0)]);
    }

    /// A flow's statistics are written to `sweep-summary.csv` (named
    /// `flow:<name>`, without a pool's figures), never kept to chart;
    /// targets' statistics of the charted metrics are.
    #[test]
    fn only_targets_statistics_are_kept_to_chart() {
        let manifest = SweepManifest {
            metrics: vec!["wait_p95_s".into()],
            ..crate::test_support::manifest(2)
        };
        let grid = manifest.grid();
        let rows = |csv: &str| Rows::parse(csv.as_bytes()).expect("CSV");
        let targets = [
            rows("target,wait_p95_s,bot_hours\na,1.5,2\nall,1.5,2\n"),
            rows("target,wait_p95_s,bot_hours\na,2.5,4\nall,2.5,4\n"),
        ];
        let flows = [
            rows("flow,target,wait_p95_s,bot_hours\nfa,a,1.5,\n"),
            rows("flow,target,wait_p95_s,bot_hours\nfa,a,2.5,\n"),
        ];
        let stats = |tables: &[Rows; 2], skip, block| {
            let tables: Vec<&Rows> = tables.iter().collect();
            let (bytes, charted) =
                block_statistics(&grid, &manifest, 0, &tables[0].header, &tables, skip, block)
                    .expect("statistics");
            (String::from_utf8(bytes).expect("UTF-8"), charted)
        };
        let (written, charted) = stats(&flows, 2, 0..1);
        assert_eq!(
            written,
            "0,1,flow:fa,wait_p95_s,2,2.000000,0.707107,6.353102\n"
        );
        assert!(charted.is_empty(), "{charted:?}");
        let (written, charted) = stats(&targets, 1, 0..2);
        assert_eq!(written.lines().count(), 4, "{written}");
        let kept: Vec<(&str, &str, Option<f64>)> = (charted.iter())
            .map(|s| (s.target.as_str(), s.metric.as_str(), s.estimate.mean))
            .collect();
        assert_eq!(
            kept,
            [
                ("a", "wait_p95_s", Some(2.0)),
                ("all", "wait_p95_s", Some(2.0))
            ]
        );
    }

    /// Words on the x axis sit at their order of first appearance; other
    /// metrics of the same variant and target are not drawn (nor flows',
    /// which are not kept to chart: the test above).
    #[test]
    fn categories_in_order_and_only_the_metric_of_the_target() {
        let g = grid(
            &["policy", "cap"],
            vec![1, 1],
            &[&["sjf", "1"], &["sjf", "2"], &["fifo", "1"], &["fifo", "2"]],
        );
        assert_eq!(categories(&g, 0), vec!["sjf", "fifo"]);
        assert!(categories(&g, 1).is_empty(), "numbers are no categories");
        let mut stats = Vec::new();
        for v in 0..4 {
            let other = MetricStats {
                metric: "bot_hours".into(),
                ..stat(v, "all", 200.0)
            };
            stats.extend([other, stat(v, "all", v as f64)]);
        }
        let series = chart_series(&g, &stats, 0, "wait_p95_s");
        let labels: Vec<&str> = series.iter().map(|s| s.label.as_str()).collect();
        assert_eq!(labels, vec!["1", "2"]);
        assert_eq!(series[0].points, vec![(0.0, 0.0, 2.0), (1.0, 2.0, 2.0)]);
        assert_eq!(series[1].points, vec![(0.0, 1.0, 2.0), (1.0, 3.0, 2.0)]);
    }
}
