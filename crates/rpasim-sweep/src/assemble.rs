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

use std::fs;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use rpasim_charts::sweep::{SweepSeries, sweep_chart};
use rpasim_stats::ConfidenceInterval;

use crate::SweepError;
use crate::grid::{Grid, replication_seed};
use crate::results;
use crate::runner::{SweepManifest, write_atomically};
/// File names of the assembled outputs.
pub const SWEEP_CSV: &str = "sweep.csv";
/// Per-target rows.
pub const SWEEP_TARGETS_CSV: &str = "sweep-targets.csv";
/// Statistics per variant and metric.
pub const SWEEP_SUMMARY_CSV: &str = "sweep-summary.csv";
/// Confidence level of `sweep-summary.csv`.
pub const CONFIDENCE: f64 = 0.95;

/// One job's summary: header and rows (targets, then `all`).
struct JobSummary {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

fn read_job(bytes: &[u8]) -> Result<JobSummary, SweepError> {
    let mut r = csv::Reader::from_reader(bytes);
    let header = r
        .headers()
        .map_err(|e| SweepError::Failed(e.to_string()))?
        .iter()
        .map(str::to_string)
        .collect();
    let rows = r
        .records()
        .map(|row| row.map(|row| row.iter().map(str::to_string).collect()))
        .collect::<Result<_, _>>()
        .map_err(|e| SweepError::Failed(format!("a job's result: {e}")))?;
    Ok(JobSummary { header, rows })
}

/// The result of each job, in grid order, from the logs of `dirs` (a
/// sweep directory or the directories of its shards).
fn job_results(grid: &Grid, dirs: &[PathBuf]) -> Result<Vec<Vec<u8>>, SweepError> {
    let mut found = results::Results::new();
    for d in dirs {
        found.extend(results::read(d).map_err(|e| SweepError::io(d, e))?);
    }
    grid.jobs()
        .map(|job| {
            found.remove(&job.index).ok_or_else(|| {
                SweepError::Invalid(format!(
                    "job {} (variant {}, replication {}) has no result in {}: run its shard, or resume",
                    job.index,
                    job.variant,
                    job.replication,
                    dirs.iter().map(|d| d.display().to_string()).collect::<Vec<_>>().join(", ")
                ))
            })
        })
        .collect()
}

fn csv_bytes(header: &[String], rows: &[Vec<String>]) -> Result<Vec<u8>, SweepError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(header)
        .map_err(|e| SweepError::Failed(e.to_string()))?;
    for row in rows {
        w.write_record(row)
            .map_err(|e| SweepError::Failed(e.to_string()))?;
    }
    w.into_inner()
        .map_err(|e| SweepError::Failed(e.to_string()))
}

/// Assembles the outputs into `out` from the results in `dirs`.
pub fn assemble(out: &Path, manifest: &SweepManifest, dirs: &[PathBuf]) -> Result<(), SweepError> {
    let grid = manifest.grid();
    let results = job_results(&grid, dirs)?;
    fs::create_dir_all(out).map_err(|e| SweepError::io(out, e))?;
    let mut header: Vec<String> = Vec::new();
    let (mut all_rows, mut target_rows) = (Vec::new(), Vec::new());
    let summaries: Vec<JobSummary> = results
        .par_iter()
        .map(|r| read_job(r))
        .collect::<Result<_, _>>()?;
    for (job, summary) in grid.jobs().zip(summaries) {
        let mut prefix = vec![
            job.variant.to_string(),
            job.replication.to_string(),
            replication_seed(manifest.base_seed, job.replication).to_string(),
        ];
        prefix.extend(grid.variants[job.variant].iter().cloned());
        for row in &summary.rows {
            let mut r = prefix.clone();
            r.extend(row.iter().cloned());
            target_rows.push(r);
        }
        if let Some(all) = summary.rows.last() {
            let mut r = prefix.clone();
            r.extend(all.iter().skip(1).cloned());
            all_rows.push(r);
        }
        header = summary.header;
    }
    let mut lead = vec!["variant".to_string(), "replication".into(), "seed".into()];
    lead.extend(grid.keys.iter().cloned());
    let metrics: Vec<String> = header.iter().skip(1).cloned().collect();
    let sweep_header: Vec<String> = lead.iter().chain(&metrics).cloned().collect();
    let targets_header: Vec<String> = lead.iter().chain(&header).cloned().collect();
    let stats = statistics(&grid, &metrics, &target_rows, lead.len());
    let write = |name: &str, bytes: Vec<u8>| {
        write_atomically(&out.join(name), &bytes).map_err(|e| SweepError::io(out, e))
    };
    write(SWEEP_CSV, csv_bytes(&sweep_header, &all_rows)?)?;
    write(SWEEP_TARGETS_CSV, csv_bytes(&targets_header, &target_rows)?)?;
    write(SWEEP_SUMMARY_CSV, summary_bytes(&grid, &stats)?)?;
    charts(out, manifest, &grid, &stats)
}

/// Statistics of one metric of one variant and target over its replications.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricStats {
    /// Variant index.
    pub variant: usize,
    /// Target name, or `all`.
    pub target: String,
    /// Metric name.
    pub metric: String,
    /// Replications with a value.
    pub n: usize,
    /// Mean.
    pub mean: f64,
    /// Sample standard deviation (`None` for one replication).
    pub sd: Option<f64>,
    /// Half-width of the 95 % interval (`None` for one replication).
    pub half_width: Option<f64>,
}

/// Statistics over replications, by variant, target and metric. `rows` are
/// the per-target rows (`lead` columns, then target and metrics), grouped
/// by job in grid order.
fn statistics(
    grid: &Grid,
    metrics: &[String],
    rows: &[Vec<String>],
    lead: usize,
) -> Vec<MetricStats> {
    let per_job = rows.len() / (grid.variants.len() * grid.replications as usize).max(1);
    let r = grid.replications as usize;
    let mut out = Vec::new();
    for v in 0..grid.variants.len() {
        let jobs = &rows[v * r * per_job..(v + 1) * r * per_job];
        for t in 0..per_job {
            let target = jobs[t][lead].clone();
            for (m, metric) in metrics.iter().enumerate() {
                let values: Vec<f64> = (0..r)
                    .filter_map(|j| jobs[j * per_job + t].get(lead + 1 + m)?.parse().ok())
                    .collect();
                if let Some(stats) = metric_stats(v, &target, metric, &values) {
                    out.push(stats);
                }
            }
        }
    }
    out
}

fn metric_stats(variant: usize, target: &str, metric: &str, values: &[f64]) -> Option<MetricStats> {
    if values.is_empty() {
        return None;
    }
    let mean = values.iter().sum::<f64>() / values.len() as f64;
    let ci = ConfidenceInterval::of_independent(values, CONFIDENCE);
    let sd = (values.len() > 1).then(|| {
        (values.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (values.len() - 1) as f64).sqrt()
    });
    Some(MetricStats {
        variant,
        target: target.to_string(),
        metric: metric.to_string(),
        n: values.len(),
        mean,
        sd,
        half_width: ci.map(|c| c.half_width),
    })
}

fn number(x: f64) -> String {
    format!("{x:.6}")
}

fn summary_bytes(grid: &Grid, stats: &[MetricStats]) -> Result<Vec<u8>, SweepError> {
    let mut header = vec!["variant".to_string()];
    header.extend(grid.keys.iter().cloned());
    header.extend(["target", "metric", "n", "mean", "sd", "ci95_half_width"].map(String::from));
    let rows: Vec<Vec<String>> = stats
        .iter()
        .map(|s| {
            let mut row = vec![s.variant.to_string()];
            row.extend(grid.variants[s.variant].iter().cloned());
            row.extend([
                s.target.clone(),
                s.metric.clone(),
                s.n.to_string(),
                number(s.mean),
                s.sd.map(number).unwrap_or_default(),
                s.half_width.map(number).unwrap_or_default(),
            ]);
            row
        })
        .collect();
    csv_bytes(&header, &rows)
}

/// One chart per charted metric and numeric varied key: a line per
/// combination of the other keys' values, with its 95 % band. Charts are
/// independent files, drawn in parallel.
fn charts(
    out: &Path,
    manifest: &SweepManifest,
    grid: &Grid,
    stats: &[MetricStats],
) -> Result<(), SweepError> {
    let numeric = |k: usize| grid.variants.iter().all(|v| v[k].parse::<f64>().is_ok());
    let todo: Vec<(usize, &String)> = (0..grid.keys.len())
        .filter(|k| numeric(*k))
        .flat_map(|k| manifest.metrics.iter().map(move |m| (k, m)))
        .collect();
    todo.par_iter()
        .try_for_each(|(k, metric)| chart(out, grid, stats, *k, metric))
}

fn chart(
    out: &Path,
    grid: &Grid,
    stats: &[MetricStats],
    k: usize,
    metric: &str,
) -> Result<(), SweepError> {
    let key = &grid.keys[k];
    let mut series: Vec<SweepSeries> = Vec::new();
    for (v, values) in grid.variants.iter().enumerate() {
        let Some(s) = stats
            .iter()
            .find(|s| s.variant == v && s.target == "all" && s.metric == metric)
        else {
            continue;
        };
        let others: Vec<String> = grid
            .keys
            .iter()
            .zip(values)
            .enumerate()
            .filter(|(i, _)| *i != k)
            .map(|(_, (key, value))| format!("{key}={value}"))
            .collect();
        let label = if others.is_empty() {
            metric.to_string()
        } else {
            others.join(", ")
        };
        let point = (
            values[k].parse::<f64>().unwrap_or(0.0),
            s.mean,
            s.half_width.unwrap_or(0.0),
        );
        match series.iter_mut().find(|s| s.label == label) {
            Some(existing) => existing.points.push(point),
            None => series.push(SweepSeries {
                label,
                points: vec![point],
            }),
        }
    }
    if series.is_empty() {
        return Ok(());
    }
    let stem = format!("{metric}-vs-{}", key.replace('.', "_"));
    let title = format!(
        "{metric} against {key} (mean and 95 % interval over {} replications)",
        grid.replications
    );
    sweep_chart(
        &out.join(rpasim_charts::CHARTS_DIR),
        &stem,
        &title,
        key,
        metric,
        &series,
    )
    .map_err(|e| SweepError::io(out, e))
}
