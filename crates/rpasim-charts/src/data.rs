//! What the charts and the report are drawn from, built the same way from a
//! finished simulation (in memory) or from an output directory (`rpasim
//! plot`), so both give the same bytes.

use std::fs;
use std::io;
use std::path::Path;

pub use rpasim_report::CsvTable;
use rpasim_report::series::{Downsampler, SampleValues, SeriesPoint};
use rpasim_report::{
    EVENTS_CSV, GOALS_CSV, Manifest, RUNS_CSV, SUMMARY_CSV, SUMMARY_FLOWS_CSV, Summary,
    TIMESERIES_CSV,
};
use rpasim_stats::DurationHistogram;

/// The scenario copy written beside the outputs.
pub const SCENARIO_TOML: &str = "scenario.toml";

/// Everything a chart or the report needs.
#[derive(Debug, Clone)]
pub struct ChartData {
    /// What the run was.
    pub manifest: Manifest,
    /// `summary.csv`: one row per target, then `all`.
    pub summary: CsvTable,
    /// `summary-flows.csv`: one row per flow (empty for an output written
    /// before rpasim wrote it).
    pub flows: CsvTable,
    /// `goals.csv`: the goals and their verdicts (empty without goals).
    pub goals: CsvTable,
    /// Waits of started runs in the measured window, by summary row.
    pub waits: Vec<DurationHistogram>,
    /// Time series reduced for drawing, by target.
    pub series: Vec<Vec<SeriesPoint>>,
    /// `events.csv`.
    pub events: CsvTable,
    /// The scenario as simulated.
    pub scenario_toml: String,
}

impl ChartData {
    /// From a simulation just finished: the expensive parts (waits, series)
    /// from memory, the rest from the files it wrote into `dir`.
    pub fn from_run(
        dir: &Path,
        manifest: Manifest,
        summary: &Summary,
        series: Vec<Vec<SeriesPoint>>,
    ) -> io::Result<Self> {
        Ok(ChartData {
            manifest,
            summary: CsvTable::read(&dir.join(SUMMARY_CSV))?,
            flows: optional_table(dir, SUMMARY_FLOWS_CSV)?,
            goals: optional_table(dir, GOALS_CSV)?,
            waits: summary.wait_histograms.clone(),
            series,
            events: CsvTable::read(&dir.join(EVENTS_CSV))?,
            scenario_toml: fs::read_to_string(dir.join(SCENARIO_TOML))?,
        })
    }

    /// From an output directory alone (`rpasim plot`).
    pub fn load(dir: &Path) -> io::Result<Self> {
        let manifest = Manifest::read(dir)?;
        let waits = waits_from_runs(&dir.join(RUNS_CSV), &manifest)?;
        let series = series_from_timeseries(&dir.join(TIMESERIES_CSV), &manifest)?;
        Ok(ChartData {
            summary: CsvTable::read(&dir.join(SUMMARY_CSV))?,
            flows: optional_table(dir, SUMMARY_FLOWS_CSV)?,
            goals: optional_table(dir, GOALS_CSV)?,
            waits,
            series,
            events: CsvTable::read(&dir.join(EVENTS_CSV))?,
            scenario_toml: fs::read_to_string(dir.join(SCENARIO_TOML))?,
            manifest,
        })
    }

    /// Target names, in summary order (without `all`).
    pub fn target_names(&self) -> Vec<&str> {
        self.manifest
            .targets
            .iter()
            .map(|t| t.name.as_str())
            .collect()
    }
}

/// A table of an output directory that not every output has (goals), or
/// that outputs of earlier versions lack (flows): empty when absent.
fn optional_table(dir: &Path, name: &str) -> io::Result<CsvTable> {
    let path = dir.join(name);
    if path.exists() {
        CsvTable::read(&path)
    } else {
        Ok(CsvTable::default())
    }
}

/// Exact milliseconds of a seconds field written with three decimals.
pub fn parse_ms(text: &str) -> Option<u64> {
    let (secs, frac) = text.split_once('.').unwrap_or((text, "0"));
    let frac: String = frac.chars().chain("000".chars()).take(3).collect();
    Some(secs.parse::<u64>().ok()? * 1000 + frac.parse::<u64>().ok()?)
}

fn invalid(path: &Path, what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("{}: {what}", path.display()),
    )
}

/// Waits of the runs that started, arriving at or after the warm-up, by
/// target and for all (as `summary.csv` counts them).
fn waits_from_runs(path: &Path, m: &Manifest) -> io::Result<Vec<DurationHistogram>> {
    let mut waits = vec![DurationHistogram::new(); m.targets.len() + 1];
    let mut reader = csv::Reader::from_path(path).map_err(io::Error::other)?;
    let header = reader.headers().map_err(io::Error::other)?.clone();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| invalid(path, &format!("no column {name}")))
    };
    let (target, arrival, wait) = (col("target")?, col("arrival_s")?, col("wait_s")?);
    let index = target_index(m);
    for row in reader.records() {
        let row = row.map_err(io::Error::other)?;
        let (Some(arrival), Some(wait)) = (parse_ms(&row[arrival]), parse_ms(&row[wait])) else {
            continue; // never started
        };
        if arrival < m.warmup_ms {
            continue;
        }
        let t = *index
            .get(&row[target])
            .ok_or_else(|| invalid(path, "unknown target"))?;
        waits[t].record(wait);
        waits[m.targets.len()].record(wait);
    }
    Ok(waits)
}

/// Each target's position in the manifest, by name.
fn target_index(m: &Manifest) -> std::collections::BTreeMap<&str, usize> {
    m.targets
        .iter()
        .enumerate()
        .map(|(i, t)| (t.name.as_str(), i))
        .collect()
}

fn series_from_timeseries(path: &Path, m: &Manifest) -> io::Result<Vec<Vec<SeriesPoint>>> {
    let table = CsvTable::read(path)?;
    let mut d = Downsampler::new(m.targets.len(), m.horizon_ms);
    let index = target_index(m);
    let target = table
        .column("target")
        .ok_or_else(|| invalid(path, "no column target"))?;
    let time = table
        .column("time_s")
        .ok_or_else(|| invalid(path, "no column time_s"))?;
    for row in &table.rows {
        let count = |name: &str| table.number(row, name) as u32;
        let values = SampleValues {
            queued: count("queued"),
            running: count("running"),
            ready: count("bots_ready"),
            provisioning: count("bots_provisioning"),
            busy: count("bots_busy"),
        };
        let t = *index
            .get(row[target].as_str())
            .ok_or_else(|| invalid(path, "unknown target"))?;
        let ms = parse_ms(&row[time]).ok_or_else(|| invalid(path, "bad time_s"))?;
        d.push(t, ms, values);
    }
    Ok(d.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_parse_to_exact_milliseconds() {
        assert_eq!(parse_ms("1.234"), Some(1_234));
        assert_eq!(parse_ms("600.000"), Some(600_000));
        assert_eq!(parse_ms("7"), Some(7_000));
        assert_eq!(parse_ms("0.5"), Some(500));
        assert_eq!(parse_ms(""), None);
    }
}
