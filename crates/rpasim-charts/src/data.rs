//! What the charts and the report are drawn from, built the same way from a
//! finished simulation (in memory) or from an output directory (`rpasim
//! plot`), so both give the same bytes.

use std::collections::{BTreeMap, HashMap};
use std::io;
use std::path::Path;

use rpasim_core::wait::WaitReason;
pub use rpasim_report::CsvTable;
use rpasim_report::series::{Downsampler, SampleRows, SampleValues, SeriesPoint};
use rpasim_report::summary::reason_share_column;
use rpasim_report::{
    EVENTS_CSV, GOALS_CSV, Manifest, RUNS_CSV, SUMMARY_CSV, SUMMARY_FLOWS_CSV, Summary,
    TIMESERIES_CSV,
};
use rpasim_stats::DurationHistogram;

use crate::files::{self, invalid};
use crate::report::MOST_ROWS;
use crate::timeline::{Timeline, TimelineBuilder};

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
    /// `events.csv`'s first rows and their count, for the report's list.
    pub events: EventRows,
    /// What is drawn of the timelines of the targets in [`Self::shown`],
    /// by name.
    pub timelines: BTreeMap<String, Timeline>,
    /// The scenario as simulated.
    pub scenario_toml: String,
    /// The targets drawn one by one (indices in summary order): all of
    /// them up to [`MOST_TARGETS`], else those whose runs waited most.
    pub shown: Vec<usize>,
    /// The environments drawn in the hosted-capacity chart (indices in
    /// the manifest's order): all of them up to [`MOST_ENVIRONMENTS`],
    /// else those whose hosted groups waited most for capacity.
    pub shown_environments: Vec<usize>,
}

/// `events.csv` as the report lists it.
#[derive(Debug, Clone, Default)]
pub struct EventRows {
    /// The header and the first [`MOST_ROWS`] rows.
    pub listed: CsvTable,
    /// How many rows the file has.
    pub total: u64,
}

/// The timeline of a target with no event.
static NO_EVENTS: Timeline = Timeline {
    spans: Vec::new(),
    marks: Vec::new(),
    settings_changed: false,
};

/// Most targets drawn one by one in a chart; with more, the charts show
/// those whose runs waited most, and say so.
pub const MOST_TARGETS: usize = 15;

/// The targets to draw: all up to [`MOST_TARGETS`], else the ones with the
/// most hours waited (then most arrivals; then summary order), in summary
/// order.
fn choose_shown(summary: &CsvTable, targets: usize) -> Vec<usize> {
    if targets <= MOST_TARGETS {
        return (0..targets).collect();
    }
    most_waited(summary, 0..targets.min(summary.rows.len()), MOST_TARGETS)
}

/// Of the rows at `candidates` of a summary table, the `most` with the
/// most hours waited (then most arrivals; then table order), in table
/// order.
pub fn most_waited(
    t: &CsvTable,
    candidates: impl Iterator<Item = usize>,
    most: usize,
) -> Vec<usize> {
    let key = |i: usize| {
        let row = &t.rows[i];
        (t.number(row, "wait_hours"), t.number(row, "arrivals"))
    };
    highest(candidates, key, most)
}

/// Of `candidates`, the `most` with the highest `key` (its first part,
/// then its second; then the lowest index), in index order.
fn highest(
    candidates: impl Iterator<Item = usize>,
    key: impl Fn(usize) -> (f64, f64),
    most: usize,
) -> Vec<usize> {
    let mut order: Vec<usize> = candidates.collect();
    order.sort_by(|a, b| {
        let (ka, kb) = (key(*a), key(*b));
        kb.0.total_cmp(&ka.0)
            .then(kb.1.total_cmp(&ka.1))
            .then(a.cmp(b))
    });
    order.truncate(most);
    order.sort_unstable();
    order
}

/// Most environments drawn in the hosted-capacity chart: with more, a
/// panel each would leave a few pixels to each.
pub const MOST_ENVIRONMENTS: usize = 3;

/// The environments to draw: all up to [`MOST_ENVIRONMENTS`], else those
/// whose hosted groups waited most for capacity (then waited most; then
/// manifest order), in manifest order.
fn choose_environments(summary: &CsvTable, m: &Manifest) -> Vec<usize> {
    let envs = &m.environments;
    if envs.len() <= MOST_ENVIRONMENTS {
        return (0..envs.len()).collect();
    }
    let capacity = reason_share_column(WaitReason::Capacity);
    let mut waited = vec![(0.0, 0.0); envs.len()];
    let index: BTreeMap<&str, usize> = envs
        .iter()
        .enumerate()
        .map(|(i, e)| (e.name.as_str(), i))
        .collect();
    for (t, row) in m.targets.iter().zip(&summary.rows) {
        let Some(e) = t.environment.as_deref().and_then(|e| index.get(e)) else {
            continue;
        };
        let hours = summary.number(row, "wait_hours");
        waited[*e].0 += hours * summary.number(row, capacity);
        waited[*e].1 += hours;
    }
    highest(0..envs.len(), |e| waited[e], MOST_ENVIRONMENTS)
}

/// The targets whose series are kept: those drawn one by one, and the
/// hosted groups of the environments drawn (for the hosted-capacity
/// chart).
fn with_hosted_groups(shown: &[usize], manifest: &Manifest, environments: &[usize]) -> Vec<usize> {
    let drawn = |t: &rpasim_report::ManifestTarget| {
        t.max_bots.is_some()
            && environments
                .iter()
                .any(|e| t.environment.as_deref() == Some(manifest.environments[*e].name.as_str()))
    };
    // In index order, as `series_from_timeseries`' binary search needs.
    manifest
        .targets
        .iter()
        .enumerate()
        .filter(|(i, t)| drawn(t) || shown.binary_search(i).is_ok())
        .map(|(i, _)| i)
        .collect()
}

/// The series of the targets at `kept` (in index order) taken out of a
/// run's rows; the other targets' are left empty.
fn kept_series(rows: &SampleRows, kept: &[usize]) -> Vec<Vec<SeriesPoint>> {
    let mut series = vec![Vec::new(); rows.targets()];
    for &t in kept {
        if let Some(s) = series.get_mut(t) {
            *s = rows.series(t);
        }
    }
    series
}

impl ChartData {
    /// From a simulation just finished: the expensive parts (waits, series)
    /// from memory, the rest from the files it wrote into `dir`.
    pub fn from_run(
        dir: &Path,
        manifest: Manifest,
        summary: &Summary,
        series: SampleRows,
    ) -> io::Result<Self> {
        let table = files::read_table(&dir.join(SUMMARY_CSV))?;
        let shown = choose_shown(&table, manifest.targets.len());
        let shown_environments = choose_environments(&table, &manifest);
        let kept = with_hosted_groups(&shown, &manifest, &shown_environments);
        let (events, timelines) = read_events(&dir.join(EVENTS_CSV), &manifest, &shown)?;
        let waits = summary
            .wait_histograms
            .iter()
            .enumerate()
            .map(|(i, h)| {
                let drawn = shown.binary_search(&i).is_ok() || i == manifest.targets.len();
                if drawn {
                    h.clone()
                } else {
                    DurationHistogram::new()
                }
            })
            .collect();
        Ok(ChartData {
            manifest,
            summary: table,
            flows: optional_table(dir, SUMMARY_FLOWS_CSV)?,
            goals: optional_table(dir, GOALS_CSV)?,
            waits,
            series: kept_series(&series, &kept),
            shown,
            shown_environments,
            events,
            timelines,
            scenario_toml: files::read_text(&dir.join(SCENARIO_TOML))?,
        })
    }

    /// From an output directory alone (`rpasim plot`).
    pub fn load(dir: &Path) -> io::Result<Self> {
        let manifest = Manifest::read(dir)?;
        let summary = files::read_table(&dir.join(SUMMARY_CSV))?;
        check_summary(&dir.join(SUMMARY_CSV), &summary, &manifest)?;
        let flows = optional_table(dir, SUMMARY_FLOWS_CSV)?;
        check_numbers(&dir.join(SUMMARY_FLOWS_CSV), &flows, 2)?;
        let shown = choose_shown(&summary, manifest.targets.len());
        let shown_environments = choose_environments(&summary, &manifest);
        let kept = with_hosted_groups(&shown, &manifest, &shown_environments);
        // Only what is drawn is kept while the files are read: memory is
        // flat in the targets and the samples, however long the files.
        let waits = waits_from_runs(&dir.join(RUNS_CSV), &manifest, &shown)?;
        let series = series_from_timeseries(&dir.join(TIMESERIES_CSV), &manifest, &kept)?;
        let (events, timelines) = read_events(&dir.join(EVENTS_CSV), &manifest, &shown)?;
        Ok(ChartData {
            waits,
            series,
            shown,
            shown_environments,
            summary,
            flows,
            goals: optional_table(dir, GOALS_CSV)?,
            events,
            timelines,
            scenario_toml: files::read_text(&dir.join(SCENARIO_TOML))?,
            manifest,
        })
    }

    /// Names of the targets drawn one by one ([`Self::shown`]), in
    /// summary order.
    pub fn target_names(&self) -> Vec<&str> {
        self.shown
            .iter()
            .map(|i| self.manifest.targets[*i].name.as_str())
            .collect()
    }

    /// What is drawn of the timeline of `target`, one of those drawn
    /// (nothing for the others).
    pub fn timeline(&self, target: &str) -> &Timeline {
        self.timelines.get(target).unwrap_or(&NO_EVENTS)
    }

    /// The time series of the targets drawn, in the order of
    /// [`Self::target_names`].
    pub fn shown_series(&self) -> Vec<&[SeriesPoint]> {
        self.shown
            .iter()
            .map(|i| self.series.get(*i).map_or(&[][..], Vec::as_slice))
            .collect()
    }

    /// The wait histograms of the targets drawn.
    pub fn shown_waits(&self) -> Vec<&DurationHistogram> {
        self.shown
            .iter()
            .filter_map(|i| self.waits.get(*i))
            .collect()
    }

    /// The `summary.csv` rows of the targets drawn.
    pub fn shown_rows(&self) -> Vec<&Vec<String>> {
        self.shown
            .iter()
            .filter_map(|i| self.summary.rows.get(*i))
            .collect()
    }

    /// What a chart of targets shows when not all: " (the 15 of 10000
    /// targets whose runs waited most)"; empty when it shows all.
    pub fn scope(&self) -> String {
        let all = self.manifest.targets.len();
        if self.shown.len() < all {
            format!(
                " (the {} of {all} targets whose runs waited most)",
                self.shown.len()
            )
        } else {
            String::new()
        }
    }
}

/// Checks that `summary.csv` is the one of the run `manifest` describes:
/// a row per target, in its order, then `all`, and numbers where rpasim
/// writes them. The charts read its rows by position and a cell that is
/// not a number as 0: an emptied or edited file drew a report without its
/// targets, or with waits of 0.
fn check_summary(path: &Path, summary: &CsvTable, manifest: &Manifest) -> io::Result<()> {
    if summary.header.first().map(String::as_str) != Some("target") {
        return Err(invalid(path, "its first column is not target"));
    }
    let names = manifest
        .targets
        .iter()
        .map(|t| t.name.as_str())
        .chain(["all"]);
    let expected = manifest.targets.len() + 1;
    if summary.rows.len() != expected {
        return Err(invalid(
            path,
            &format!(
                "{} rows where manifest.toml has {} targets and all",
                summary.rows.len(),
                manifest.targets.len()
            ),
        ));
    }
    for (line, (row, name)) in (2..).zip(summary.rows.iter().zip(names)) {
        if row.first().map(String::as_str) != Some(name) {
            return Err(invalid(
                path,
                &format!("line {line}: not the row of target {name:?} of manifest.toml"),
            ));
        }
    }
    check_numbers(path, summary, 1)
}

/// Checks that every cell of `table` after its first `text_columns` is a
/// finite number, `inf` (a start percentile past the runs that started)
/// or empty (what rpasim writes), naming the first that is not by
/// line and column, without quoting it.
fn check_numbers(path: &Path, table: &CsvTable, text_columns: usize) -> io::Result<()> {
    for (line, row) in (2..).zip(&table.rows) {
        for (cell, column) in row.iter().zip(&table.header).skip(text_columns) {
            let number = cell.parse::<f64>().is_ok_and(f64::is_finite)
                || cell == rpasim_report::summary::NEVER;
            if !cell.is_empty() && !number {
                return Err(invalid(
                    path,
                    &format!("line {line}: {column} is not a number"),
                ));
            }
        }
    }
    Ok(())
}

/// A table of an output directory that not every output has (goals), or
/// that outputs of earlier versions lack (flows): empty when absent.
fn optional_table(dir: &Path, name: &str) -> io::Result<CsvTable> {
    let path = dir.join(name);
    if path.exists() {
        files::read_table(&path)
    } else {
        Ok(CsvTable::default())
    }
}

/// Exact milliseconds of a seconds field written with three decimals.
pub fn parse_ms(text: &str) -> Option<u64> {
    let (secs, frac) = text.split_once('.').unwrap_or((text, "0"));
    let frac: String = frac.chars().chain("000".chars()).take(3).collect();
    secs.parse::<u64>()
        .ok()?
        .checked_mul(1000)?
        .checked_add(frac.parse::<u64>().ok()?)
}

/// Waits of the runs that started, arriving at or after the warm-up, of
/// the targets at `shown` (in index order) and of all (last), as
/// `summary.csv` counts them; the other targets' are left empty.
fn waits_from_runs(
    path: &Path,
    m: &Manifest,
    shown: &[usize],
) -> io::Result<Vec<DurationHistogram>> {
    let mut waits = vec![DurationHistogram::new(); m.targets.len() + 1];
    let mut reader = files::csv_rows(path)?;
    let header = reader
        .headers()
        .map_err(|e| files::csv_error(path, e))?
        .clone();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| invalid(path, &format!("no column {name}")))
    };
    let (target, arrival, wait) = (col("target")?, col("arrival_s")?, col("wait_s")?);
    let index = target_index(m);
    let mut row = csv::StringRecord::new();
    let mut runs = 0u64;
    while reader
        .read_record(&mut row)
        .map_err(|e| files::csv_error(path, e))?
    {
        runs += 1;
        // Every run arrived; one that never started has no wait.
        let line = line_of(&row, runs);
        let not_seconds = |column: &str| {
            invalid(
                path,
                &format!("line {line}: {column} is not a number of seconds"),
            )
        };
        let arrival = parse_ms(&row[arrival]).ok_or_else(|| not_seconds("arrival_s"))?;
        if row[wait].is_empty() {
            continue;
        }
        let wait = parse_ms(&row[wait]).ok_or_else(|| not_seconds("wait_s"))?;
        if arrival < m.warmup_ms {
            continue;
        }
        let t = *index
            .get(&row[target])
            .ok_or_else(|| invalid(path, "unknown target"))?;
        if shown.binary_search(&t).is_ok() {
            waits[t].record(wait);
        }
        waits[m.targets.len()].record(wait);
    }
    // A file cut short (or grown) would draw other waits than the run's.
    if runs != m.runs {
        return Err(invalid(
            path,
            &format!("{runs} runs where manifest.toml says {}", m.runs),
        ));
    }
    Ok(waits)
}

/// `events.csv` read row by row: its first rows and count for the report,
/// and the timelines of the targets at `shown` (in index order).
fn read_events(
    path: &Path,
    m: &Manifest,
    shown: &[usize],
) -> io::Result<(EventRows, BTreeMap<String, Timeline>)> {
    let mut reader = files::csv_rows(path)?;
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| files::csv_error(path, e))?
        .iter()
        .map(str::to_string)
        .collect();
    let column = |name: &str| header.iter().position(|h| h == name);
    let columns = (column("time_s"), column("event"), column("target"));
    let (machine, flow) = (column("machine"), column("flow"));
    let names = shown.iter().filter_map(|i| m.targets.get(*i));
    let mut timelines = TimelineBuilder::new(names.map(|t| t.name.as_str()), m.horizon_ms);
    let mut rows = EventRows {
        listed: CsvTable {
            header,
            rows: Vec::new(),
        },
        total: 0,
    };
    let mut row = csv::StringRecord::new();
    while reader
        .read_record(&mut row)
        .map_err(|e| files::csv_error(path, e))?
    {
        rows.total += 1;
        if rows.listed.rows.len() < MOST_ROWS {
            rows.listed
                .rows
                .push(row.iter().map(str::to_string).collect());
        }
        let (Some(time), Some(event), Some(target)) = columns else {
            continue;
        };
        let cell = |c: usize| row.get(c).unwrap_or("");
        // Every event has its time: one that is not a number would be left
        // off the timelines unsaid.
        let at_ms = parse_ms(cell(time)).ok_or_else(|| {
            let line = line_of(&row, rows.total);
            invalid(
                path,
                &format!("line {line}: time_s is not a number of seconds"),
            )
        })?;
        let (on, of) = (machine.map_or("", cell), flow.map_or("", cell));
        timelines.push(at_ms, cell(event), cell(target), (on, of));
    }
    Ok((rows, timelines.finish()))
}

/// The line of the file `row` was read from: its position's, else that of
/// the `nth` record after the header (records of one line each).
fn line_of(row: &csv::StringRecord, nth: u64) -> u64 {
    row.position().map_or(nth + 1, csv::Position::line)
}

/// Each target's position in the manifest, by name. A hash map: it is
/// asked once per row of `runs.csv` and `timeseries.csv` (2 million rows
/// for 10,000 targets, where a sorted map's look-up compared 14 names) and
/// never iterated, so its order reaches no output.
fn target_index(m: &Manifest) -> HashMap<&str, usize> {
    m.targets
        .iter()
        .enumerate()
        .map(|(i, t)| (t.name.as_str(), i))
        .collect()
}

/// The count columns of `timeseries.csv` the charts draw.
const COUNTS: [&str; 5] = [
    "queued",
    "running",
    "bots_ready",
    "bots_provisioning",
    "bots_busy",
];

/// The series of the targets at `kept` (in index order), reduced as the
/// run reduced them, read row by row; the other targets' are left empty.
fn series_from_timeseries(
    path: &Path,
    m: &Manifest,
    kept: &[usize],
) -> io::Result<Vec<Vec<SeriesPoint>>> {
    let mut reader = files::csv_rows(path)?;
    let header = reader
        .headers()
        .map_err(|e| files::csv_error(path, e))?
        .clone();
    let column = |name: &str| header.iter().position(|h| h == name);
    let target = column("target").ok_or_else(|| invalid(path, "no column target"))?;
    let time = column("time_s").ok_or_else(|| invalid(path, "no column time_s"))?;
    let counts = COUNTS.map(column);
    let mut d = Downsampler::new(m.targets.len(), m.horizon_ms);
    let index = target_index(m);
    let mut row = csv::StringRecord::new();
    let mut rows = 0u64;
    while reader
        .read_record(&mut row)
        .map_err(|e| files::csv_error(path, e))?
    {
        rows += 1;
        let line = line_of(&row, rows);
        let t = *index
            .get(&row[target])
            .ok_or_else(|| invalid(path, &format!("line {line}: unknown target")))?;
        let ms = parse_ms(&row[time])
            .ok_or_else(|| invalid(path, &format!("line {line}: time_s is not a number")))?;
        if kept.binary_search(&t).is_err() {
            continue;
        }
        // A column of an earlier version's file may be absent (0); one that
        // is there holds a count.
        let mut counted = [0u32; 5];
        for (value, (column, name)) in counted.iter_mut().zip(counts.iter().zip(COUNTS)) {
            let Some(cell) = column.and_then(|c| row.get(c)) else {
                continue;
            };
            *value = cell
                .parse()
                .map_err(|_| invalid(path, &format!("line {line}: {name} is not a count")))?;
        }
        let [queued, running, ready, provisioning, busy] = counted;
        let values = SampleValues {
            queued,
            running,
            ready,
            provisioning,
            busy,
        };
        d.push(t, ms, values);
    }
    // A sample of every target at 0, every interval, up to the horizon: a
    // file cut short (or grown) would draw other lines than the run's.
    let samples = m.horizon_ms / m.sample_every_ms.max(1) + 1;
    let expected = samples * m.targets.len() as u64;
    if rows != expected {
        return Err(invalid(
            path,
            &format!(
                "{rows} rows where manifest.toml's {} targets sampled {samples} times make \
                 {expected}",
                m.targets.len()
            ),
        ));
    }
    Ok(d.finish())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// What rpasim writes passes: numbers, empty cells, and `inf` for a
    /// start percentile past the runs that started (`shared-desk.toml`).
    #[test]
    fn summary_numbers_are_what_rpasim_writes() {
        let table = |cell: &str| CsvTable {
            header: vec!["target".into(), "start_p95_s".into()],
            rows: vec![vec!["a".into(), cell.into()]],
        };
        let path = Path::new("summary.csv");
        for good in ["12.500", "0", "", "inf"] {
            assert!(check_numbers(path, &table(good), 1).is_ok(), "{good}");
        }
        for bad in ["-inf", "NaN", "12s", "x"] {
            let e = check_numbers(path, &table(bad), 1).expect_err(bad);
            assert_eq!(
                e.to_string(),
                "summary.csv: line 2: start_p95_s is not a number"
            );
        }
    }

    /// Chart data of a run of `targets` (machines) over a day, with
    /// `summary` and nothing else.
    pub(crate) fn chart_data(targets: &[&str], summary: CsvTable) -> ChartData {
        ChartData {
            manifest: manifest(targets, 86_400_000),
            summary,
            flows: CsvTable::default(),
            goals: CsvTable::default(),
            waits: Vec::new(),
            series: Vec::new(),
            events: EventRows::default(),
            timelines: BTreeMap::new(),
            scenario_toml: String::new(),
            shown: Vec::new(),
            shown_environments: Vec::new(),
        }
    }

    /// The manifest of a run of `targets` (machines) over `horizon_ms`.
    fn manifest(targets: &[&str], horizon_ms: u64) -> Manifest {
        Manifest {
            rpasim_version: "test".into(),
            name: "t".into(),
            question: None,
            scenario: "t.toml".into(),
            seed: 1,
            horizon_ms,
            warmup_ms: 0,
            sample_every_ms: 1_000,
            runs: 0,
            overrides: Vec::new(),
            targets: targets
                .iter()
                .map(|name| rpasim_report::ManifestTarget {
                    name: name.to_string(),
                    kind: "machine".into(),
                    max_bots: None,
                    environment: None,
                })
                .collect(),
            environments: Vec::new(),
        }
    }

    #[test]
    fn the_environments_drawn_are_those_whose_groups_waited_most_for_capacity() {
        // Five environments of one hosted group each, and a machine.
        let names = ["g0", "g1", "g2", "g3", "g4", "pc"];
        let mut m = manifest(&names, 86_400_000);
        m.environments = (0..5)
            .map(|e| rpasim_report::manifest::ManifestEnvironment {
                name: format!("env{e}"),
                hosted_capacity: 4,
                changes: Vec::new(),
            })
            .collect();
        for (e, t) in m.targets.iter_mut().take(5).enumerate() {
            t.max_bots = Some(4);
            t.environment = Some(format!("env{e}"));
        }
        let capacity = reason_share_column(WaitReason::Capacity);
        // (hours waited, share for capacity): g1 and g3 waited most for
        // capacity; g2 and g4 as long for it, g4 longer in all.
        let waited = [
            (9, "0"),
            (4, "1"),
            (2, "1"),
            (8, "1"),
            (4, "0.5"),
            (50, "0"),
        ];
        let summary = CsvTable {
            header: ["target", "wait_hours", capacity]
                .map(String::from)
                .to_vec(),
            rows: names
                .iter()
                .zip(waited)
                .map(|(n, (h, share))| [n.to_string(), h.to_string(), share.into()].to_vec())
                .collect(),
        };
        assert_eq!(choose_environments(&summary, &m), vec![1, 3, 4]);
        // Their groups' series are kept, and the drawn targets', no other.
        assert_eq!(with_hosted_groups(&[5], &m, &[1, 3, 4]), vec![1, 3, 4, 5]);
        m.environments.truncate(MOST_ENVIRONMENTS);
        assert_eq!(choose_environments(&summary, &m), vec![0, 1, 2]);
    }

    #[test]
    fn events_are_counted_listed_up_to_the_most_and_drawn_for_shown_targets() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join(EVENTS_CSV);
        let mut text = String::from("time_s,event,target,machine,flow,detail\n");
        for i in 0..600 {
            let target = ["a", "b"][i % 2];
            text.push_str(&format!("{i}.000,image_updated,{target},,,\n"));
        }
        text.push_str("600.000,machine_offline,b,b,,\n");
        std::fs::write(&path, text).expect("write");
        let m = manifest(&["a", "b"], 1_000_000);
        let (rows, timelines) = read_events(&path, &m, &[1]).expect("read");
        assert_eq!(rows.total, 601);
        assert_eq!(rows.listed.rows.len(), MOST_ROWS);
        assert_eq!(rows.listed.rows[1][2], "b");
        assert_eq!(rows.listed.header[1], "event");
        // Only b is drawn: its 300 updates and its outage to the horizon.
        assert_eq!(timelines.keys().collect::<Vec<_>>(), ["b"]);
        assert_eq!(timelines["b"].marks.len(), 300);
        assert_eq!(timelines["b"].marks[1].at_ms, 3_000);
        assert_eq!(
            (
                timelines["b"].spans[0].from_ms,
                timelines["b"].spans[0].to_ms
            ),
            (600_000, 1_000_000)
        );
    }

    #[test]
    fn seconds_parse_to_exact_milliseconds() {
        assert_eq!(parse_ms("1.234"), Some(1_234));
        assert_eq!(parse_ms("600.000"), Some(600_000));
        assert_eq!(parse_ms("7"), Some(7_000));
        assert_eq!(parse_ms("0.5"), Some(500));
        assert_eq!(parse_ms(""), None);
    }
}
