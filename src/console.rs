//! What `rpasim run` prints: a short table per target, and engine figures;
//! and how everything is printed ([`say!`], [`sayln!`]).

use std::fmt::Write as _;
use std::time::Duration;

use rpasim_core::wait::dominant;
use rpasim_core::{Outcome, SimDuration, SimReport};
use rpasim_report::goals::{Judged, human as human_goal};
use rpasim_report::summary::StartTime;
use rpasim_report::{Summary, SummaryRow};

/// Prints to standard output as `print!` does, except that a reader that
/// went away (`rpasim plan ... | head -1`) is not an error: the command
/// goes on and ends as it would have, its files written, printing nothing
/// more. `print!` panicked there, reported as an internal error (exit 1).
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::console::write_out(format_args!($($arg)*))
    };
}

/// [`say!`] with a newline, as `println!`.
macro_rules! sayln {
    ($($arg:tt)*) => {
        $crate::console::write_out(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// What [`say!`] does.
pub fn write_out(args: std::fmt::Arguments<'_>) {
    use std::io::Write as _;
    use std::sync::atomic::{AtomicBool, Ordering};
    // Once a write failed, no later one is tried (nor its failure told).
    static FAILED: AtomicBool = AtomicBool::new(false);
    if FAILED.load(Ordering::Relaxed) {
        return;
    }
    if let Err(e) = std::io::stdout().lock().write_fmt(args) {
        FAILED.store(true, Ordering::Relaxed);
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            eprintln!("rpasim: cannot write to standard output: {e}");
        }
    }
}

/// Targets beyond which the table shows only [`SHOWN_TARGETS`] of them.
const MAX_TARGET_ROWS: usize = 40;

/// Targets shown when there are too many for a terminal: those whose runs
/// waited longest to start.
const SHOWN_TARGETS: usize = 20;

/// The per-target table. `start p95` is the service level over every
/// arrival (`never` when more than 5 % never started); `wait` columns are
/// over the runs that started (`-` when none did); `waiting mostly` names
/// the reason most of the waiting went to, with its share. With more than
/// [`MAX_TARGET_ROWS`] targets, only the [`SHOWN_TARGETS`] with the longest
/// start p95 are shown (and the `all` row): a terminal of thousands of
/// lines answers nothing, and `summary.csv` has every target.
pub fn summary_table(summary: &Summary) -> String {
    let shown = shown_rows(summary);
    let width = shown
        .targets
        .iter()
        .copied()
        .chain(shown.all)
        .map(|r| r.target.len())
        .max()
        .unwrap_or(3)
        .max(6);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<width$}  {:>9}  {:>9}  {:>9}  {:>9}  {:>9}  {:<19}  {:>11}  {:>11}  {:>9}  {:>6}  other outcomes",
        "target",
        "arrivals",
        "succeeded",
        "wait p50",
        "wait p95",
        "start p95",
        "waiting mostly",
        "not started",
        "utilization",
        "bot-hours",
        "cold"
    );
    for row in &shown.targets {
        table_row(&mut out, row, width);
    }
    if shown.hidden > 0 {
        let _ = writeln!(
            out,
            "... {} more targets, every one in summary.csv (shown: the {SHOWN_TARGETS} with the longest start p95)",
            shown.hidden
        );
    }
    if let Some(all) = shown.all {
        table_row(&mut out, all, width);
    }
    out
}

/// One line of the per-target table.
fn table_row(out: &mut String, row: &SummaryRow, width: usize) {
    let _ = writeln!(
        out,
        "{:<width$}  {:>9}  {:>9}  {:>9}  {:>9}  {:>9}  {:<19}  {:>11}  {:>10.1}%  {:>9.1}  {:>6}  {}",
        row.target,
        row.arrivals,
        row.count(Outcome::Succeeded),
        wait(row, row.wait_p50_ms),
        wait(row, row.wait_p95_ms),
        start(row.start_p95),
        mostly(row),
        not_started(row),
        row.utilization * 100.0,
        row.bot_hours,
        row.cold_starts,
        other_outcomes(row),
    );
}

/// What the per-target table shows.
struct Shown<'a> {
    /// Target rows, in target order.
    targets: Vec<&'a SummaryRow>,
    /// Targets left out.
    hidden: usize,
    /// The `all` row.
    all: Option<&'a SummaryRow>,
}

/// Every target, or the [`SHOWN_TARGETS`] with the longest start p95 (see
/// [`start_rank`]; ties in target order), and the `all` row (the last).
fn shown_rows(summary: &Summary) -> Shown<'_> {
    let Some((all, targets)) = summary.rows.split_last() else {
        return Shown {
            targets: Vec::new(),
            hidden: 0,
            all: None,
        };
    };
    let mut shown: Vec<&SummaryRow> = targets.iter().collect();
    if shown.len() > MAX_TARGET_ROWS {
        let mut worst: Vec<usize> = (0..targets.len()).collect();
        // Stable: equal start times keep target order.
        worst.sort_by_key(|i| std::cmp::Reverse(start_rank(&targets[*i])));
        worst.truncate(SHOWN_TARGETS);
        worst.sort_unstable();
        shown = worst.into_iter().map(|i| &targets[i]).collect();
    }
    Shown {
        hidden: targets.len() - shown.len(),
        targets: shown,
        all: Some(all),
    }
}

/// Targets in the order of how long their runs waited to start: none (no
/// arrival) first, then by start p95, then never, by the share of runs
/// that never started (in parts per million).
fn start_rank(row: &SummaryRow) -> (u8, u64) {
    match row.start_p95 {
        None => (0, 0),
        Some(StartTime::Ms(ms)) => (1, ms),
        Some(StartTime::Never) => (2, row.not_started * 1_000_000 / row.arrivals.max(1)),
    }
}

/// The reason most of the waiting went to, with its share: "capacity
/// (62%)"; `-` when nobody waited.
pub fn mostly(row: &SummaryRow) -> String {
    match row.reason_shares().and_then(|s| dominant(&s)) {
        Some((reason, share)) => format!("{} ({:.0}%)", reason.as_str(), share * 100.0),
        None => "-".into(),
    }
}

/// Non-zero outcomes other than success: "12 queue_timeout, 3 failed".
fn other_outcomes(row: &SummaryRow) -> String {
    let parts: Vec<String> = Outcome::ALL
        .iter()
        .filter(|o| **o != Outcome::Succeeded && row.count(**o) > 0)
        .map(|o| format!("{} {}", row.count(*o), o))
        .collect();
    if parts.is_empty() {
        "-".into()
    } else {
        parts.join(", ")
    }
}

/// One line per goal: met or missed, with the measured value. With more
/// than [`MAX_TARGET_ROWS`] goals, the first [`SHOWN_TARGETS`], the missed
/// ones first, and how many more: `goals.csv` has every one.
pub fn goals(judged: &[Judged]) -> String {
    let mut out = String::new();
    let shown: Vec<&Judged> = if judged.len() <= MAX_TARGET_ROWS {
        judged.iter().collect()
    } else {
        let (met, missed): (Vec<&Judged>, Vec<&Judged>) = judged.iter().partition(|j| j.met);
        missed.into_iter().chain(met).take(SHOWN_TARGETS).collect()
    };
    for j in &shown {
        let verdict = if j.met { "met   " } else { "MISSED" };
        let _ = writeln!(
            out,
            "goal {verdict} {} (measured {})",
            j.goal.describe(),
            human_goal(&j.goal.metric, j.measured)
        );
    }
    if shown.len() < judged.len() {
        let missed = judged.iter().filter(|j| !j.met).count();
        let _ = writeln!(
            out,
            "... {} more goals, every one in goals.csv ({missed} of {} missed; shown: the missed ones first)",
            judged.len() - shown.len(),
            judged.len()
        );
    }
    out
}

/// A wait statistic over started runs, or `-` when none started.
fn wait(row: &SummaryRow, ms: u64) -> String {
    if row.started == 0 {
        "-".into()
    } else {
        human(ms)
    }
}

/// A time to start over every arrival: `never` beyond the runs that started.
fn start(t: Option<StartTime>) -> String {
    match t {
        None => "-".into(),
        Some(StartTime::Never) => "never".into(),
        Some(StartTime::Ms(ms)) => human(ms),
    }
}

/// "0", or "12 (4.0%)": runs that never started, or were still queued.
fn not_started(row: &SummaryRow) -> String {
    if row.not_started == 0 || row.arrivals == 0 {
        return row.not_started.to_string();
    }
    let share = 100.0 * row.not_started as f64 / row.arrivals as f64;
    format!("{} ({share:.1}%)", row.not_started)
}

/// A wait rounded to the second, in scenario units ("4m12s").
fn human(ms: u64) -> String {
    if ms > 0 && ms < 1_000 {
        return format!("{ms}ms");
    }
    SimDuration::from_millis((ms + 500) / 1_000 * 1_000).to_string()
}

/// Wall-clock times of a run.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    /// The event loop with streaming outputs.
    pub engine: Duration,
    /// Flushing the files and the summary.
    pub finish: Duration,
    /// Drawing the charts and the report, if drawn.
    pub charts: Option<Duration>,
    /// Everything, parsing included.
    pub total: Duration,
}

/// The `--stats` block.
pub fn stats(report: &SimReport, timing: &Timing, peak_memory: Option<u64>) -> String {
    let secs = timing.engine.as_secs_f64().max(1e-9);
    let mut out = String::new();
    let _ = writeln!(out, "events processed   {}", report.events);
    let _ = writeln!(out, "runs               {}", report.runs);
    let _ = writeln!(out, "events/s           {:.0}", report.events as f64 / secs);
    // Each phase's speed in runs per second of its own time.
    let phase = |out: &mut String, name: &str, d: Duration, what: &str| {
        let s = d.as_secs_f64();
        let rate = report.runs as f64 / s.max(1e-9);
        let _ = writeln!(out, "{name:<18} {s:.3} s, {rate:.0} runs/s ({what})");
    };
    phase(
        &mut out,
        "simulation",
        timing.engine,
        "event loop and streaming outputs",
    );
    phase(&mut out, "write", timing.finish, "flushing files, summary");
    if let Some(charts) = timing.charts {
        phase(&mut out, "charts and report", charts, "drawing");
    }
    let _ = writeln!(
        out,
        "total              {:.3} s (with parsing and summary)",
        timing.total.as_secs_f64()
    );
    match peak_memory {
        Some(bytes) => {
            let _ = writeln!(out, "peak memory        {:.1} MB", bytes as f64 / 1e6);
        }
        None => {
            let _ = writeln!(out, "peak memory        unavailable on this platform");
        }
    }
    out
}

/// Peak resident memory of this process (Linux `VmHWM`), in bytes.
pub fn peak_memory() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_read_like_scenario_durations() {
        assert_eq!(human(0), "0s");
        assert_eq!(human(250), "250ms");
        assert_eq!(human(252_400), "4m12s");
        assert_eq!(human(3_600_000), "1h");
    }

    #[test]
    fn many_goals_show_the_missed_ones_first_and_count_the_rest() {
        let judged = |n: usize| -> Vec<Judged> {
            (0..n)
                .map(|i| Judged {
                    goal: rpasim_report::goals::Goal {
                        name: format!("m{i}"),
                        metric: "arrivals".into(),
                        bound: 1.0,
                        at_most: false,
                        written: "1".into(),
                    },
                    flow: false,
                    measured: rpasim_report::goals::Measured::Value(if i % 10 == 9 {
                        0.0
                    } else {
                        2.0
                    }),
                    met: i % 10 != 9,
                })
                .collect()
        };
        let all = goals(&judged(MAX_TARGET_ROWS));
        assert_eq!(all.lines().count(), MAX_TARGET_ROWS);
        assert!(
            all.lines()
                .next()
                .is_some_and(|l| l.starts_with("goal met    m0."))
        );
        let many = goals(&judged(1_000));
        let lines: Vec<&str> = many.lines().collect();
        assert_eq!(lines.len(), SHOWN_TARGETS + 1);
        assert!(
            lines[0].starts_with("goal MISSED m9.arrivals >= 1"),
            "{}",
            lines[0]
        );
        assert!(
            lines[..SHOWN_TARGETS]
                .iter()
                .all(|l| l.starts_with("goal MISSED"))
        );
        assert_eq!(
            lines[SHOWN_TARGETS],
            "... 980 more goals, every one in goals.csv (100 of 1000 missed; shown: the missed ones first)"
        );
    }
}
