//! `summary.csv`: per-target outcome counts, wait statistics and utilization
//! over the measured window (runs arriving at or after the warm-up).
//!
//! Two views of waiting: `wait_*` over the runs that started (queueing
//! theory is stated that way; empty cells when none started), and the
//! service level `start_*` over every arrival, where a run that never
//! started counts as never (`inf`) and one still queued at the horizon
//! counts its wait so far. A configuration that rejects or times out runs
//! can never look better on `start_*` than one where they start late.

use std::io::Write;

use rpasim_core::cost::Cost;
use rpasim_core::prefetch::prefetch;
use rpasim_core::wait::{REASONS, WaitReason};
use rpasim_core::{Outcome, RunRecord, SimReport, SimTime, TargetId, TargetTotals};
use rpasim_stats::{BatchMeans, DurationHistogram};

use crate::format::{push_fixed, push_seconds_f64};
use crate::recorder::Names;

/// Confidence level of the `wait_mean_ci95_s` column.
pub const CI_LEVEL: f64 = 0.95;

/// The columns of `summary.csv`: the contract's columns first, in its order,
/// then the extensions.
pub const HEADER: [&str; 44] = [
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
    "not_started",
    "started_share",
    "start_p50_s",
    "start_p95_s",
    "start_p99_s",
    "cost",
    "wait_hours",
    "wait_provisioning_share",
    "wait_capacity_share",
    "wait_busy_share",
    "wait_maintenance_share",
    "wait_offline_share",
    "wait_selection_share",
    "wait_blocked_share",
    "wait_lost_share",
];

/// The column of a wait reason's share (`wait_capacity_share`).
pub fn reason_share_column(reason: WaitReason) -> &'static str {
    HEADER[HEADER.len() - REASONS + reason.index()]
}

/// The columns that are figures of a pool of bots: a target's, empty in a
/// flow's row (flows share their target's bots and queue).
pub const POOL_COLUMNS: [&str; 5] = [
    "utilization",
    "bot_hours",
    "busy_bot_hours",
    "queue_mean",
    "cost",
];

/// How an infinite time to start (a run that never started) is written.
pub const NEVER: &str = "inf";

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
    /// Wait so far of the runs still queued at the horizon (few: at most
    /// the queue's capacity). With `waits`, the finite times to start; the
    /// other runs that did not start never will (infinite).
    queued_at_horizon: Vec<u64>,
    not_started: u64,
    /// Time waited per reason, milliseconds (started runs' waits and the
    /// queue time of runs that did not start).
    reason_ms: [u128; REASONS],
}

impl RunStats {
    /// Starts loading the ends of the lists `add` appends to.
    fn prefetch_lists(&self) {
        if let Some(slot) = self.waits.next_slot() {
            prefetch(slot, 1);
        }
        if let Some(slot) = self.batch_means.next_slot() {
            prefetch(slot, 1);
        }
    }

    fn add(&mut self, r: &RunRecord, horizon: SimTime) {
        self.arrivals += 1;
        self.outcomes[r.outcome.index()] += 1;
        if r.start.is_none() {
            self.not_started += 1;
            if r.outcome == Outcome::InFlight {
                let so_far = horizon.as_millis().saturating_sub(r.arrival.as_millis());
                self.queued_at_horizon.push(so_far);
            }
        }
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
        // Most runs never wait: their zeros would only pull the sums'
        // cache lines in (a miss each with thousands of targets).
        if r.waits.millis().iter().any(|ms| *ms > 0) {
            for (sum, ms) in self.reason_ms.iter_mut().zip(r.waits.millis()) {
                *sum += u128::from(*ms);
            }
        }
    }
}

/// Accumulates finished runs, in arrival order, into a [`Summary`].
#[derive(Debug)]
pub struct SummaryBuilder {
    warmup: SimTime,
    horizon: SimTime,
    /// The cost of the capacity, at the user's prices, if given.
    cost: Option<Cost>,
    targets: Vec<RunStats>,
    flows: Vec<RunStats>,
    all: RunStats,
    /// The targets and flows that get a row, when not every one does.
    only: Option<Rows>,
    /// Per flow, whether it is its target's only flow: its runs are then
    /// exactly its target's, and so are its statistics, kept once (with
    /// thousands of one-flow machines, half the work per run).
    sole_flow: Vec<bool>,
    /// Whether the scenario has one target: its runs are then every run,
    /// and `all`'s statistics are its own, kept once.
    sole_target: bool,
}

/// The targets and flows that get a row of a summary, by id.
#[derive(Debug, Clone)]
struct Rows {
    targets: Vec<bool>,
    flows: Vec<bool>,
}

impl SummaryBuilder {
    /// A builder for `targets` targets and flows of these targets (by
    /// flow), ignoring runs that arrive before `warmup`; runs still queued
    /// at `horizon` count their wait so far.
    pub fn new(
        targets: usize,
        flow_targets: &[TargetId],
        warmup: SimTime,
        horizon: SimTime,
    ) -> Self {
        let mut flows_of = vec![0u32; targets];
        for t in flow_targets {
            if let Some(n) = flows_of.get_mut(t.index()) {
                *n += 1;
            }
        }
        let sole_flow = flow_targets
            .iter()
            .map(|t| flows_of.get(t.index()) == Some(&1))
            .collect();
        SummaryBuilder {
            warmup,
            horizon,
            cost: None,
            targets: vec![RunStats::default(); targets],
            flows: vec![RunStats::default(); flow_targets.len()],
            all: RunStats::default(),
            only: None,
            sole_flow,
            sole_target: targets == 1,
        }
    }

    /// A summary with rows for these targets and flows (by index) and
    /// `all` only: what a plan's goals are about, without the cost of the
    /// other rows (with 10,000 targets, most of a replication's time). The
    /// `all` row still counts every run and every target's capacity.
    pub fn only(mut self, targets: &[usize], flows: &[usize]) -> Self {
        let kept = |ids: &[usize], n: usize| {
            let mut row = vec![false; n];
            for &i in ids {
                if let Some(r) = row.get_mut(i) {
                    *r = true;
                }
            }
            row
        };
        self.only = Some(Rows {
            targets: kept(targets, self.targets.len()),
            flows: kept(flows, self.flows.len()),
        });
        self
    }

    /// Whether the statistics of target `t` and those of flow `f` are to
    /// be updated with a run of theirs: those of a row; a sole flow's are
    /// its target's, and a sole target's are `all`'s.
    fn updated(&self, t: usize, f: usize) -> (bool, bool) {
        let (target_row, flow_row) = match &self.only {
            None => (true, true),
            Some(only) => (only.targets[t], only.flows[f]),
        };
        let sole = self.sole_flow[f];
        (
            target_row || (flow_row && sole) || self.sole_target,
            flow_row && !sole,
        )
    }

    /// The summary reports this cost of the capacity (`cost` column).
    pub fn with_cost(mut self, cost: Option<Cost>) -> Self {
        self.cost = cost;
        self
    }

    /// Counts one finished run. Feed runs in arrival order: the batch-means
    /// interval assumes the sequence order of the queue.
    pub fn add(&mut self, r: &RunRecord) {
        if r.arrival < self.warmup {
            return;
        }
        let (t, f) = (r.target.index(), r.flow.index());
        let (target, flow) = self.updated(t, f);
        // The stats are in the cache (`prefetch`); where their lists grow
        // is not yet: asked for together, the misses overlap.
        if target {
            self.targets[t].prefetch_lists();
        }
        if flow {
            self.flows[f].prefetch_lists();
        }
        if target {
            self.targets[t].add(r, self.horizon);
        }
        if flow {
            self.flows[f].add(r, self.horizon);
        }
        if !self.sole_target {
            self.all.add(r, self.horizon);
        }
    }

    /// Starts loading the statistics `add(r)` will update (with thousands
    /// of targets and flows, each a miss to the last-level cache).
    pub fn prefetch(&self, r: &RunRecord) {
        if self.only.is_some() {
            // The few rows kept stay in the cache.
            return;
        }
        let flow = r.flow.index();
        let own = self.sole_flow.get(flow) == Some(&false);
        for stats in [
            self.targets.get(r.target.index()),
            self.flows.get(flow).filter(|_| own),
        ]
        .into_iter()
        .flatten()
        {
            prefetch(stats, 8);
        }
    }

    /// The summary, with the engine's time integrals.
    pub fn finish(self, report: &SimReport, names: &Names) -> Summary {
        let SummaryBuilder {
            cost,
            targets,
            mut flows,
            all,
            only,
            sole_flow,
            sole_target,
            ..
        } = self;
        let mut all = match (sole_target, targets.first()) {
            (true, Some(only_target)) => only_target.clone(),
            _ => all,
        };
        // Each row asks for several quantiles: read from sorted durations.
        all.waits.sort_kept();
        let flow_row = |f: usize| only.as_ref().is_none_or(|o| o.flows[f]);
        let mut flow_rows: Vec<Option<FlowRow>> = (0..flows.len()).map(|_| None).collect();
        // A sole flow's row is its target's statistics, computed once below.
        let mut sole_flow_of = vec![None; targets.len()];
        for (f, own) in flows.iter_mut().enumerate().filter(|(f, _)| flow_row(*f)) {
            if sole_flow[f] {
                sole_flow_of[names.flow_targets[f].index()] = Some(f);
            } else {
                own.waits.sort_kept();
                flow_rows[f] = Some(FlowRow::of(names, f, SummaryRow::flow_of(own)));
            }
        }
        let window_ms = report.window().as_millis();
        let mut all_totals = TargetTotals::default();
        let mut rows = Vec::with_capacity(targets.len() + 1);
        let mut wait_histograms = Vec::with_capacity(targets.len() + 1);
        for (i, mut stats) in targets.into_iter().enumerate() {
            let totals = report.targets.get(i).copied().unwrap_or_default();
            all_totals.add(&totals);
            let target_row = only.as_ref().is_none_or(|o| o.targets[i]);
            if !target_row && sole_flow_of[i].is_none() {
                continue;
            }
            stats.waits.sort_kept();
            let runs = SummaryRow::flow_of(&stats);
            if let Some(f) = sole_flow_of[i] {
                flow_rows[f] = Some(FlowRow::of(names, f, runs.clone()));
            }
            if target_row {
                let mut row = SummaryRow {
                    target: names.targets[i].clone(),
                    ..runs.with_pool(&totals, window_ms)
                };
                row.cost = cost.as_ref().and_then(|c| c.targets[i]);
                rows.push(row);
                wait_histograms.push(stats.waits);
            }
        }
        let mut all_row = SummaryRow::new("all".into(), &all, &all_totals, window_ms);
        all_row.cost = cost.as_ref().map(|c| c.all);
        rows.push(all_row);
        wait_histograms.push(all.waits);
        Summary {
            rows,
            flows: flow_rows.into_iter().flatten().collect(),
            wait_histograms,
        }
    }
}

/// One row of `summary.csv` (a target, or `all`) or of `summary-flows.csv`
/// (a flow).
#[derive(Debug, Clone, PartialEq)]
pub struct SummaryRow {
    /// Target name, `all`, or the flow's name in a flow's row.
    pub target: String,
    /// Whether the row has the figures of a pool of bots (utilization,
    /// bot-hours, busy bot-hours, queue length): a target's or `all`'s, not
    /// a flow's (flows share their target's bots and queue).
    pub pool: bool,
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
    /// Runs that ended without starting, or were still queued at the horizon.
    pub not_started: u64,
    /// Median time from arrival to start over every arrival (`None`: no
    /// arrival).
    pub start_p50: Option<StartTime>,
    /// 95th percentile of the time to start over every arrival.
    pub start_p95: Option<StartTime>,
    /// 99th percentile of the time to start over every arrival.
    pub start_p99: Option<StartTime>,
    /// What the capacity costs over the horizon at the user's prices
    /// (`[costs]`); `None` without prices, and for a flow.
    pub cost: Option<f64>,
    /// Time runs spent waiting, by [`WaitReason`], milliseconds: started
    /// runs' waits and the queue time of runs that did not start.
    pub reason_ms: [u128; REASONS],
}

/// A time from arrival to start, over every arrival: finite, or never
/// (more than that share of the runs never started).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartTime {
    /// Milliseconds (within 0.1 %).
    Ms(u64),
    /// The runs at this rank never started.
    Never,
}

impl StartTime {
    /// The `q`-quantiles of the time to start over every arrival, from the
    /// waits of the started runs and the waits so far of the queued ones
    /// (merged only here, once: one histogram per target while running).
    fn quantiles<const N: usize>(stats: &RunStats, qs: [f64; N]) -> [Option<StartTime>; N] {
        let merged;
        let finite = if stats.queued_at_horizon.is_empty() {
            &stats.waits
        } else {
            let mut h = stats.waits.clone();
            for ms in &stats.queued_at_horizon {
                h.record(*ms);
            }
            h.sort_kept();
            merged = h;
            &merged
        };
        qs.map(|q| {
            (stats.arrivals > 0).then(|| {
                finite
                    .quantile_of_ms(q, stats.arrivals)
                    .map_or(StartTime::Never, StartTime::Ms)
            })
        })
    }

    /// The `summary.csv` cell: seconds, or `inf`.
    pub fn cell(self) -> String {
        let mut out = String::new();
        self.push_cell(&mut out);
        out
    }

    /// Appends [`Self::cell`] to `out`.
    fn push_cell(self, out: &mut String) {
        match self {
            StartTime::Ms(ms) => push_seconds_f64(out, ms as f64),
            StartTime::Never => out.push_str(NEVER),
        }
    }
}

const MS_PER_HOUR: f64 = 3_600_000.0;

/// `a / b`, or 0 when `b` is 0.
fn ratio(a: f64, b: f64) -> f64 {
    if b == 0.0 { 0.0 } else { a / b }
}

impl SummaryRow {
    /// The row of a target (or `all`): its runs' statistics and its pool's
    /// figures.
    fn new(target: String, s: &RunStats, t: &TargetTotals, window_ms: u64) -> Self {
        SummaryRow {
            target,
            ..SummaryRow::flow_of(s).with_pool(t, window_ms)
        }
    }

    /// This row with the figures of a pool of bots with these totals.
    fn with_pool(self, t: &TargetTotals, window_ms: u64) -> Self {
        SummaryRow {
            pool: true,
            utilization: t.utilization(),
            bot_hours: t.available_bot_ms as f64 / MS_PER_HOUR,
            busy_bot_hours: t.busy_bot_ms as f64 / MS_PER_HOUR,
            queue_mean: if window_ms == 0 {
                0.0
            } else {
                t.queued_run_ms as f64 / window_ms as f64
            },
            ..self
        }
    }

    /// The row of a flow, yet unnamed: its runs' statistics, without pool
    /// figures.
    fn flow_of(s: &RunStats) -> Self {
        let [start_p50, start_p95, start_p99] = StartTime::quantiles(s, [0.50, 0.95, 0.99]);
        SummaryRow {
            target: String::new(),
            pool: false,
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
            utilization: 0.0,
            bot_hours: 0.0,
            busy_bot_hours: 0.0,
            cold_starts: s.cold_starts,
            provisioning_wait_share: ratio(s.provisioning_wait_ms as f64, s.waits.sum_ms() as f64),
            queue_mean: 0.0,
            not_started: s.not_started,
            start_p50,
            start_p95,
            start_p99,
            cost: None,
            reason_ms: s.reason_ms,
        }
    }

    /// Share of the arrivals that started (`None` without arrivals).
    pub fn started_share(&self) -> Option<f64> {
        (self.arrivals > 0).then(|| self.started as f64 / self.arrivals as f64)
    }

    /// Time runs spent waiting, hours (every reason).
    pub fn wait_hours(&self) -> f64 {
        self.reason_ms.iter().sum::<u128>() as f64 / MS_PER_HOUR
    }

    /// A reason's share of the time runs spent waiting (`None` when
    /// nobody waited).
    pub fn reason_share(&self, reason: WaitReason) -> Option<f64> {
        self.reason_shares().map(|s| s[reason.index()])
    }

    /// Every reason's share of the waiting, in the order of
    /// [`WaitReason::ALL`] (`None` when nobody waited).
    pub fn reason_shares(&self) -> Option<[f64; REASONS]> {
        let total: u128 = self.reason_ms.iter().sum();
        (total > 0).then(|| self.reason_ms.map(|ms| ms as f64 / total as f64))
    }

    /// Runs that ended with `outcome`.
    pub fn count(&self, outcome: Outcome) -> u64 {
        self.outcomes[outcome.index()]
    }

    /// Share of started runs that had to wait (`None` when none started).
    pub fn waited_share(&self) -> Option<f64> {
        (self.started > 0).then(|| self.waited as f64 / self.started as f64)
    }

    /// The cells of this row, as written to the summary CSV files.
    pub(crate) fn fields(&self) -> Vec<String> {
        let mut cells = Cells::default();
        self.write_cells(&mut cells);
        cells.iter().map(String::from).collect()
    }

    /// Puts the cells of this row in `cells` (emptied first).
    fn write_cells(&self, cells: &mut Cells) {
        cells.clear();
        // Statistics over started runs have no value when none started:
        // an empty cell, never a 0 that would read as "no wait".
        let started = self.started > 0;
        let seconds = |cells: &mut Cells, ms: Option<f64>| {
            cells.cell(|c| ms.into_iter().for_each(|ms| push_seconds_f64(c, ms)));
        };
        let ms = |cells: &mut Cells, v: u64| seconds(cells, started.then_some(v as f64));
        let share = |cells: &mut Cells, v: Option<f64>| {
            cells.cell(|c| v.into_iter().for_each(|v| push_fixed(c, v, 6)));
        };
        // Pool figures belong to targets; a flow's row leaves them empty.
        let pool = |cells: &mut Cells, v: f64, digits: usize| {
            cells.cell(|c| {
                if self.pool {
                    push_fixed(c, v, digits);
                }
            });
        };
        let start = |cells: &mut Cells, v: Option<StartTime>| {
            cells.cell(|c| v.into_iter().for_each(|v| v.push_cell(c)));
        };
        let count =
            |cells: &mut Cells, n: u64| cells.cell(|c| c.push_str(itoa::Buffer::new().format(n)));
        let c = |cells: &mut Cells, o| count(cells, self.count(o));
        cells.cell(|c| c.push_str(&self.target));
        count(cells, self.arrivals);
        // The outcomes in their columns' order (`Outcome::ALL`'s): six,
        // six more after `cold_starts`, `machine_expired` after
        // `busy_bot_hours`.
        let (first, later) = Outcome::ALL.split_at(6);
        for o in first {
            c(cells, *o);
        }
        seconds(cells, started.then_some(self.wait_mean_ms));
        ms(cells, self.wait_p50_ms);
        ms(cells, self.wait_p95_ms);
        ms(cells, self.wait_p99_ms);
        ms(cells, self.wait_max_ms);
        pool(cells, self.utilization, 6);
        pool(cells, self.bot_hours, 3);
        count(cells, self.cold_starts);
        for o in &later[..6] {
            c(cells, *o);
        }
        count(cells, self.started);
        share(cells, self.waited_share());
        seconds(cells, self.wait_mean_ci95_ms);
        pool(cells, self.queue_mean, 6);
        pool(cells, self.busy_bot_hours, 3);
        c(cells, Outcome::MachineExpired);
        share(cells, started.then_some(self.provisioning_wait_share));
        count(cells, self.not_started);
        share(cells, self.started_share());
        start(cells, self.start_p50);
        start(cells, self.start_p95);
        start(cells, self.start_p99);
        cells.cell(|c| self.cost.into_iter().for_each(|v| push_fixed(c, v, 2)));
        cells.cell(|c| push_fixed(c, self.wait_hours(), 3));
        for r in WaitReason::ALL {
            share(cells, self.reason_share(r));
        }
    }
}

/// A row's cells, formatted end to end in one buffer kept from row to row:
/// the summaries of 10,000 targets and flows are 900,000 cells.
#[derive(Debug, Default)]
struct Cells {
    text: String,
    /// Where each cell ends in `text`.
    ends: Vec<usize>,
}

impl Cells {
    fn clear(&mut self) {
        self.text.clear();
        self.ends.clear();
    }

    /// Adds a cell, written by `write` (nothing: an empty cell).
    fn cell(&mut self, write: impl FnOnce(&mut String)) {
        write(&mut self.text);
        self.ends.push(self.text.len());
    }

    /// The cells, in order.
    fn iter(&self) -> impl Iterator<Item = &str> {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts
            .zip(&self.ends)
            .map(|(start, end)| &self.text[start..*end])
    }
}

/// One row of `summary-flows.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct FlowRow {
    /// The flow's target.
    pub target: String,
    /// Its runs' statistics (`stats.target` is the flow's name).
    pub stats: SummaryRow,
}

impl FlowRow {
    /// The row of flow `f` with these statistics.
    fn of(names: &Names, f: usize, stats: SummaryRow) -> Self {
        FlowRow {
            target: names.target(names.flow_targets[f]).to_string(),
            stats: SummaryRow {
                target: names.flows[f].clone(),
                ..stats
            },
        }
    }
}

/// The columns of `summary-flows.csv`: `flow`, `target`, then the metric
/// columns of `summary.csv`.
pub fn flows_header() -> Vec<&'static str> {
    ["flow", "target"]
        .into_iter()
        .chain(HEADER[1..].iter().copied())
        .collect()
}

/// The rows of `summary.csv` (one per target, then `all`) and of
/// `summary-flows.csv` (one per flow).
#[derive(Debug, Clone)]
pub struct Summary {
    /// Rows in target order, `all` last.
    pub rows: Vec<SummaryRow>,
    /// One row per flow, in flow order.
    pub flows: Vec<FlowRow>,
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

    /// Writes `summary-flows.csv`.
    pub fn write_flows_csv<W: Write>(&self, out: W) -> csv::Result<()> {
        let mut csv = csv::Writer::from_writer(out);
        csv.write_record(flows_header())?;
        let mut cells = Cells::default();
        for f in &self.flows {
            f.stats.write_cells(&mut cells);
            // The flow's name, its target, then the metrics.
            let mut row = cells.iter();
            let name = row.next();
            csv.write_record(name.into_iter().chain([f.target.as_str()]).chain(row))?;
        }
        csv.flush()?;
        Ok(())
    }

    /// Writes `summary.csv`.
    pub fn write_csv<W: Write>(&self, out: W) -> csv::Result<()> {
        let mut csv = csv::Writer::from_writer(out);
        csv.write_record(HEADER)?;
        let mut cells = Cells::default();
        for row in &self.rows {
            row.write_cells(&mut cells);
            csv.write_record(cells.iter())?;
        }
        csv.flush()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_keep_empty_ones_and_start_afresh() {
        let mut cells = Cells::default();
        cells.cell(|c| c.push_str("a,b"));
        cells.cell(|_| {});
        cells.cell(|c| push_fixed(c, 1.5, 2));
        assert_eq!(cells.iter().collect::<Vec<_>>(), ["a,b", "", "1.50"]);
        cells.clear();
        cells.cell(|_| {});
        assert_eq!(cells.iter().collect::<Vec<_>>(), [""]);
    }

    #[test]
    fn a_row_has_a_cell_per_column_and_flows_leave_pool_cells_empty() {
        let mut row = SummaryRow::new(
            "t".into(),
            &RunStats::default(),
            &TargetTotals::default(),
            3_600_000,
        );
        assert_eq!(row.fields().len(), HEADER.len());
        assert_eq!(row.fields()[0], "t");
        row.pool = false;
        let at = |c: &str| HEADER.iter().position(|h| *h == c).expect("a column");
        assert_eq!(row.fields()[at("utilization")], "");
        assert_eq!(row.fields()[at("wait_mean_s")], "", "no run started");
    }
}
