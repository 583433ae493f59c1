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
use rpasim_charts::sweep::{SweepChart, SweepSeries, sweep_chart};
use rpasim_stats::ConfidenceInterval;

use crate::SweepError;
use crate::grid::{Grid, replication_seed, short_key};
use crate::results;
use crate::runner::{SweepManifest, write_atomically};
use rpasim_report::CsvTable as Table;
/// File names of the assembled outputs.
pub const SWEEP_CSV: &str = "sweep.csv";
/// Per-target rows.
pub const SWEEP_TARGETS_CSV: &str = "sweep-targets.csv";
/// Statistics per variant and metric.
pub const SWEEP_SUMMARY_CSV: &str = "sweep-summary.csv";
/// Confidence level of `sweep-summary.csv`.
pub const CONFIDENCE: f64 = 0.95;

/// One job's summary (`summary.csv`: targets, then `all`).
fn read_job(bytes: &[u8]) -> Result<Table, SweepError> {
    Table::parse(bytes).map_err(|e| SweepError::Failed(format!("a job's result: {e}")))
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
    let summaries: Vec<Table> = results
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

/// One chart per charted metric and numeric dimension of the grid (linked
/// keys are charted against the first of them). A line per combination of
/// the other dimensions' values, over all runs; when nothing else varies, a
/// line per target and one over all runs. Charts are independent files,
/// drawn in parallel.
fn charts(
    out: &Path,
    manifest: &SweepManifest,
    grid: &Grid,
    stats: &[MetricStats],
) -> Result<(), SweepError> {
    let numeric = |k: usize| grid.variants.iter().all(|v| v[k].parse::<f64>().is_ok());
    let dimensions = grid.dimension_keys();
    let todo: Vec<(usize, &String)> = (0..dimensions.len())
        .filter(|d| numeric(dimensions[*d].start))
        .flat_map(|d| manifest.metrics.iter().map(move |m| (d, m)))
        .collect();
    todo.par_iter()
        .try_for_each(|(d, metric)| chart(out, grid, stats, *d, metric))
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

/// The lines of the chart of `metric` against dimension `dim`, labelled by
/// target and/or the values of the other dimensions' keys.
fn chart_series(grid: &Grid, stats: &[MetricStats], dim: usize, metric: &str) -> Vec<SweepSeries> {
    let dimensions = grid.dimension_keys();
    let x = dimensions[dim].start;
    let others = legend_keys(grid, dim);
    let targets: Vec<&str> = if dimensions.len() == 1 {
        stats
            .iter()
            .filter(|s| s.variant == 0 && s.metric == metric)
            .map(|s| s.target.as_str())
            .collect()
    } else {
        vec!["all"]
    };
    let mut series: Vec<SweepSeries> = Vec::new();
    for target in &targets {
        for (v, values) in grid.variants.iter().enumerate() {
            let Some(s) = stats
                .iter()
                .find(|s| s.variant == v && s.target == *target && s.metric == metric)
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
            let point = (
                values[x].parse::<f64>().unwrap_or(0.0),
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
    }
    series
}

fn chart(
    out: &Path,
    grid: &Grid,
    stats: &[MetricStats],
    dim: usize,
    metric: &str,
) -> Result<(), SweepError> {
    let series = chart_series(grid, stats, dim, metric);
    if series.is_empty() {
        return Ok(());
    }
    let keys = &grid.keys[grid.dimension_keys()[dim].clone()];
    let x_desc = match keys {
        [first, linked @ ..] if !linked.is_empty() => {
            format!("{first} (with {})", linked.join(", "))
        }
        _ => keys[0].clone(),
    };
    let stem = format!("{metric}-vs-{}", keys[0].replace('.', "_"));
    let others = legend_keys(grid, dim);
    let legend_title = if others.is_empty() {
        "target".to_string()
    } else {
        others
            .iter()
            .map(|k| short_key(&grid.keys[*k]))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let chart = SweepChart {
        title: format!(
            "{metric} by {}: mean and 95 % interval over {} replications",
            short_key(&keys[0]),
            grid.replications
        ),
        x_desc,
        y_desc: metric.to_string(),
        legend_title,
        series,
    };
    sweep_chart(&out.join(rpasim_charts::CHARTS_DIR), &stem, &chart)
        .map_err(|e| SweepError::io(out, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stat(variant: usize, target: &str, mean: f64) -> MetricStats {
        MetricStats {
            variant,
            target: target.into(),
            metric: "wait_p95_s".into(),
            n: 2,
            mean,
            sd: Some(1.0),
            half_width: Some(2.0),
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
}
