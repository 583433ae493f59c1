//! `summary.csv`: per-target outcome counts, wait statistics and utilization
//! over the measured window (runs arriving at or after the warm-up).

use std::io::Write;

use rpasim_core::{Outcome, RunRecord, SimReport, SimTime, TargetTotals};
use rpasim_stats::{BatchMeans, DurationHistogram};

use crate::format::seconds_f64;
use crate::recorder::Names;

/// Confidence level of the `wait_mean_ci95_s` column.
pub const CI_LEVEL: f64 = 0.95;

/// The columns of `summary.csv`: the contract's columns first, in its order,
/// then the extensions.
pub const HEADER: [&str; 29] = [
    "target",
    "arrivals",
    "succeeded",
    "failed",
    "queue_full",
    "queue_timeout",
    "run_timeout",
    "in_flight",
    "wait_mean_s",
    "wait_p50_s",
    "wait_p95_s",
    "wait_p99_s",
    "wait_max_s",
    "utilization",
    "bot_hours",
    "cold_starts",
    "machine_lost",
    "group_empty",
    "group_expired",
    "certificate_expired",
    "access_denied",
    "cancelled",
    "started",
    "waited_share",
    "wait_mean_ci95_s",
    "queue_mean",
    "busy_bot_hours",
    "machine_expired",
    "provisioning_wait_share",
];

/// Statistics of the runs of one target (or of all).
#[derive(Debug, Clone, Default)]
struct RunStats {
    arrivals: u64,
    outcomes: [u64; Outcome::ALL.len()],
    waits: DurationHistogram,
    waited: u64,
    batch_means: BatchMeans,
    cold_starts: u64,
    provisioning_wait_ms: u64,
}

impl RunStats {
    fn add(&mut self, r: &RunRecord) {
        self.arrivals += 1;
        self.outcomes[r.outcome.index()] += 1;
        if let Some(wait) = r.wait() {
            let ms = wait.as_millis();
            self.waits.record(ms);
            self.waited += u64::from(ms > 0);
            self.batch_means.push(ms as f64);
        }
        if let Some(provisioning) = r.cold_start {
            self.cold_starts += 1;
            self.provisioning_wait_ms += provisioning.as_millis();
        }
    }
}

/// Accumulates finished runs, in arrival order, into a [`Summary`].
#[derive(Debug)]
pub struct SummaryBuilder {
    warmup: SimTime,
    targets: Vec<RunStats>,
    all: RunStats,
}

impl SummaryBuilder {
    /// A builder for `targets` targets, ignoring runs that arrive before `warmup`.
    pub fn new(targets: usize, warmup: SimTime) -> Self {
        SummaryBuilder {
            warmup,
            targets: vec![RunStats::default(); targets],
            all: RunStats::default(),
        }
    }

    /// Counts one finished run. Feed runs in arrival order: the batch-means
    /// interval assumes the sequence order of the queue.
    pub fn add(&mut self, r: &RunRecord) {
        if r.arrival < self.warmup {
            return;
        }
        self.targets[r.target.index()].add(r);
        self.all.add(r);
    }

    /// The summary, with the engine's time integrals.
    pub fn finish(self, report: &SimReport, names: &Names) -> Summary {
        let window_ms = report.window().as_millis();
        let mut all_totals = TargetTotals::default();
        let mut rows = Vec::with_capacity(self.targets.len() + 1);
        for (i, stats) in self.targets.iter().enumerate() {
            let totals = report.targets.get(i).copied().unwrap_or_default();
            all_totals.add(&totals);
            rows.push(SummaryRow::new(
                names.targets[i].clone(),
                stats,
                &totals,
                window_ms,
            ));
        }
        rows.push(SummaryRow::new(
            "all".into(),
            &self.all,
            &all_totals,
            window_ms,
        ));
        let mut wait_histograms: Vec<DurationHistogram> =
            self.targets.into_iter().map(|t| t.waits).collect();
        wait_histograms.push(self.all.waits);
        Summary {
            rows,
            wait_histograms,
        }
    }
}

/// One row of `summary.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct SummaryRow {
    /// Target name, or `all`.
    pub target: String,
    /// Runs that arrived in the measured window.
    pub arrivals: u64,
    /// Count per outcome, indexed by [`Outcome::index`].
    pub outcomes: [u64; Outcome::ALL.len()],
    /// Runs that started (the population of the wait statistics).
    pub started: u64,
    /// Started runs that waited at all.
    pub waited: u64,
    /// Mean wait, milliseconds (exact).
    pub wait_mean_ms: f64,
    /// Median wait, milliseconds (within 0.1 %).
    pub wait_p50_ms: u64,
    /// 95th percentile wait, milliseconds (within 0.1 %).
    pub wait_p95_ms: u64,
    /// 99th percentile wait, milliseconds (within 0.1 %).
    pub wait_p99_ms: u64,
    /// Longest wait, milliseconds (exact).
    pub wait_max_ms: u64,
    /// Half-width of the 95 % confidence interval of the mean wait, by batch
    /// means; `None` with too few runs.
    pub wait_mean_ci95_ms: Option<f64>,
    /// Busy bot time over available bot time.
    pub utilization: f64,
    /// Available bot time in hours (the cost proxy).
    pub bot_hours: f64,
    /// Busy bot time in hours.
    pub busy_bot_hours: f64,
    /// Runs that started on a hosted bot provisioned for them (cold starts).
    pub cold_starts: u64,
    /// Share of the total wait of started runs spent waiting for bots to
    /// be provisioned (0 when nobody waited).
    pub provisioning_wait_share: f64,
    /// Time-average number of queued runs.
    pub queue_mean: f64,
}

const MS_PER_HOUR: f64 = 3_600_000.0;

/// `a / b`, or 0 when `b` is 0.
fn ratio(a: f64, b: f64) -> f64 {
    if b == 0.0 { 0.0 } else { a / b }
}

impl SummaryRow {
    fn new(target: String, s: &RunStats, t: &TargetTotals, window_ms: u64) -> Self {
        SummaryRow {
            target,
            arrivals: s.arrivals,
            outcomes: s.outcomes,
            started: s.waits.count(),
            waited: s.waited,
            wait_mean_ms: s.waits.mean_ms(),
            wait_p50_ms: s.waits.quantile_ms(0.50),
            wait_p95_ms: s.waits.quantile_ms(0.95),
            wait_p99_ms: s.waits.quantile_ms(0.99),
            wait_max_ms: s.waits.max_ms(),
            wait_mean_ci95_ms: s.batch_means.interval(CI_LEVEL).map(|ci| ci.half_width),
            utilization: t.utilization(),
            bot_hours: t.available_bot_ms as f64 / MS_PER_HOUR,
            busy_bot_hours: t.busy_bot_ms as f64 / MS_PER_HOUR,
            cold_starts: s.cold_starts,
            provisioning_wait_share: ratio(s.provisioning_wait_ms as f64, s.waits.sum_ms() as f64),
            queue_mean: if window_ms == 0 {
                0.0
            } else {
                t.queued_run_ms as f64 / window_ms as f64
            },
        }
    }

    /// Runs that ended with `outcome`.
    pub fn count(&self, outcome: Outcome) -> u64 {
        self.outcomes[outcome.index()]
    }

    /// Share of started runs that had to wait.
    pub fn waited_share(&self) -> f64 {
        if self.started == 0 {
            0.0
        } else {
            self.waited as f64 / self.started as f64
        }
    }

    fn fields(&self) -> Vec<String> {
        let ms = |v: u64| seconds_f64(v as f64);
        let c = |o| self.count(o).to_string();
        vec![
            self.target.clone(),
            self.arrivals.to_string(),
            c(Outcome::Succeeded),
            c(Outcome::Failed),
            c(Outcome::QueueFull),
            c(Outcome::QueueTimeout),
            c(Outcome::RunTimeout),
            c(Outcome::InFlight),
            seconds_f64(self.wait_mean_ms),
            ms(self.wait_p50_ms),
            ms(self.wait_p95_ms),
            ms(self.wait_p99_ms),
            ms(self.wait_max_ms),
            format!("{:.6}", self.utilization),
            format!("{:.3}", self.bot_hours),
            self.cold_starts.to_string(),
            c(Outcome::MachineLost),
            c(Outcome::GroupEmpty),
            c(Outcome::GroupExpired),
            c(Outcome::CertificateExpired),
            c(Outcome::AccessDenied),
            c(Outcome::Cancelled),
            self.started.to_string(),
            format!("{:.6}", self.waited_share()),
            self.wait_mean_ci95_ms.map(seconds_f64).unwrap_or_default(),
            format!("{:.6}", self.queue_mean),
            format!("{:.3}", self.busy_bot_hours),
            c(Outcome::MachineExpired),
            format!("{:.6}", self.provisioning_wait_share),
        ]
    }
}

/// The rows of `summary.csv`: one per target, then `all`.
#[derive(Debug, Clone)]
pub struct Summary {
    /// Rows in target order, `all` last.
    pub rows: Vec<SummaryRow>,
    /// The waits behind each row (same order), for charts.
    pub wait_histograms: Vec<DurationHistogram>,
}

impl Summary {
    /// The row of a target (or `all`).
    pub fn row(&self, target: &str) -> Option<&SummaryRow> {
        self.rows.iter().find(|r| r.target == target)
    }

    /// The `all` row.
    pub fn all(&self) -> &SummaryRow {
        self.rows
            .last()
            .expect("a summary always has its `all` row")
    }

    /// Writes `summary.csv`.
    pub fn write_csv<W: Write>(&self, out: W) -> csv::Result<()> {
        let mut csv = csv::Writer::from_writer(out);
        csv.write_record(HEADER)?;
        for row in &self.rows {
            csv.write_record(row.fields())?;
        }
        csv.flush()?;
        Ok(())
    }
}
