//! Writing the two scenarios and the replay's traces.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::fs;
use std::io;
use std::path::Path;
use std::sync::Arc;

use crate::ImportReport;
use crate::fleet::Fleet;
use crate::history::{History, HistoryRun, Status};
use crate::time::{self, MS_PER_DAY, MS_PER_HOUR};
use rpasim_scenario::build::limits::MAX_ENTRIES;
use rpasim_scenario::cores;
use rpasim_scenario::input::MAX_SCENARIO_BYTES;
use rpasim_scenario::schema::MAX_DURATION;

/// Most observed durations written into a fitted flow's `empirical` list;
/// beyond, evenly spaced order statistics stand for them.
pub const MAX_EMPIRICAL: usize = 2_000;
/// Most durations written into a fitted scenario in all, so that it stays
/// far below the 8 MB a scenario may have: with many flows each gets
/// fewer (at least 100 while the file stays within the 8 MB, then fewer
/// still, down to [`MIN_EMPIRICAL`]).
pub const MAX_EMPIRICAL_TOTAL: usize = 300_000;
/// Fewest observed durations a fitted flow's `empirical` list is cut to
/// (its deciles and extremes) when thousands of flows share the 8 MB.
pub const MIN_EMPIRICAL: usize = 11;

/// The runs of one flow on one target, in one run mode.
struct Stream<'a> {
    flow: String,
    target: String,
    /// Run by the signed-in user (`mode = "attended"`).
    attended: bool,
    runs: Vec<&'a HistoryRun>,
}

impl Stream<'_> {
    /// The `mode` line of its flow, if not the default.
    fn mode(&self) -> &'static str {
        if self.attended {
            "mode = \"attended\"\n"
        } else {
            ""
        }
    }
}

/// A TOML basic string.
fn quote(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Time 0: the Monday 00:00 (UTC) at or before the first run's createdon.
fn time_zero(history: &History) -> i64 {
    let first = history.runs.iter().map(|r| r.created).min().unwrap_or(0);
    let day = first.div_euclid(MS_PER_DAY);
    (day - time::weekday(day)) * MS_PER_DAY
}

/// The last instant the history shows.
fn last_instant(history: &History) -> i64 {
    history
        .runs
        .iter()
        .flat_map(|r| [Some(r.created), r.started, r.completed])
        .flatten()
        .max()
        .unwrap_or(0)
}

/// What a date that stands for a missing one looks like, for messages.
const PLACEHOLDER_DATES: &str = "0001-01-01, 1900-01-01, 1970-01-01 and 9999-12-31 often stand for a \
     missing date";

/// How runs are left out of an import, for messages about wrong dates.
const LEAVING_OUT: &str = "--from and --to leave runs out by their createdon";

/// Why a history is refused that spans more than a scenario's horizon
/// may: its first and last instants, and which runs they are.
fn too_long(history: &History, end: i64) -> String {
    let first = history.runs.iter().map(|r| r.created).min().unwrap_or(0);
    format!(
        "the history spans {}, from {} to {}: more than the 1000 years a scenario may simulate \
         ({PLACEHOLDER_DATES}); correct those rows ({LEAVING_OUT})",
        span_text(end - first),
        which_instant(history, first),
        which_instant(history, end),
    )
}

/// Gaps with no instant of any run longer than this are told: a history
/// with a year of nothing in it is more likely to hold a wrong date.
const LULL_TOLD_MS: i64 = 366 * MS_PER_DAY;

/// A note on the longest time without any instant of a run (created,
/// started or ended), when it passes a year: the scenarios' horizon spans
/// it and the fitted rates are spread over it.
fn longest_lull(history: &History, end: i64) -> Option<String> {
    let first = history.runs.iter().map(|r| r.created).min()?;
    if end - first <= LULL_TOLD_MS {
        // Most histories: no gap can be that long.
        return None;
    }
    let mut instants: Vec<i64> = history
        .runs
        .iter()
        .flat_map(|r| [Some(r.created), r.started, r.completed])
        .flatten()
        .collect();
    instants.sort_unstable();
    let (before, after) = instants
        .windows(2)
        .map(|w| (w[0], w[1]))
        .max_by_key(|(a, b)| (b - a, std::cmp::Reverse(*a)))?;
    (after - before > LULL_TOLD_MS).then(|| {
        format!(
            "nothing happens for {} in the history, between {} and {}: the scenarios' horizon \
             spans it, and the fitted rates are spread over it; if a date is wrong \
             ({PLACEHOLDER_DATES}), correct its row ({LEAVING_OUT})",
            span_text(after - before),
            which_instant(history, before),
            which_instant(history, after),
        )
    })
}

/// An instant of the history and the first run (in time order) with it:
/// `1970-01-01T00:00:00 (the createdon of a run of flow "f")`.
fn which_instant(history: &History, ms: i64) -> String {
    let what = history.runs.iter().find_map(|r| {
        let column = [
            (Some(r.created), "createdon"),
            (r.started, "startedon"),
            (r.completed, "completedon"),
        ]
        .into_iter()
        .find(|(t, _)| *t == Some(ms))?
        .1;
        Some(format!(
            "the {column} of a run of flow {}",
            time::excerpt(&r.flow)
        ))
    });
    match what {
        Some(what) => format!("{} ({what})", time::format(ms)),
        None => time::format(ms),
    }
}

/// A long span in words: whole years from two years on, else days.
fn span_text(ms: i64) -> String {
    let days = ms / MS_PER_DAY;
    if days >= 730 {
        format!("{} years", days * 4 / 1461)
    } else {
        format!("{days} days")
    }
}

/// A replayed flow as the calibration compares it: its name and target,
/// and its runs as observed, in the replay's run order.
pub struct ReplayedFlow {
    /// Name in `replay.toml`.
    pub flow: String,
    /// Its target.
    pub target: String,
    /// Its runs.
    pub runs: Vec<ObservedRun>,
}

/// A run as the history shows it, times in ms from time 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ObservedRun {
    /// When it was queued.
    pub arrival: i64,
    /// When it started, if it did.
    pub start: Option<i64>,
    /// Unattended bot time it took before the export's end (0 for an
    /// attended run: it holds the user's session, not an unattended bot).
    pub busy_ms: i64,
}

/// What the scenarios were written from, for the calibration.
pub struct Written {
    /// The flows, in the scenarios' order.
    pub flows: Vec<ReplayedFlow>,
    /// The horizon, ms.
    pub horizon_ms: i64,
}

/// Writes `replay.toml`, `scenario.toml` and `traces/` into `out`; returns
/// the replayed flows, in `replay.toml`'s order. `selected` says which runs
/// of the history were taken, after their count in the files' first line
/// ([`crate::Selection::describe`]).
pub fn scenarios(
    history: &History,
    fleet: &Fleet,
    source: &Path,
    selected: &str,
    out: &Path,
    report: &mut ImportReport,
) -> Result<Written, WriteError> {
    let t0 = time_zero(history);
    let end = last_instant(history);
    // The horizon is a second after the export's last instant (an arrival
    // at the horizon would not be replayed): runs still queued then stay
    // queued in the replay, and runs still running stay running.
    let horizon_ms = end - t0 + HORIZON_SLACK;
    if horizon_ms > MAX_DURATION.as_millis() as i64 {
        return Err(WriteError::TooLarge(too_long(history, end)));
    }
    let horizon = duration_text(horizon_ms);
    report.notes.extend(longest_lull(history, end));
    let notes_before = report.notes.len();
    let streams = streams(history, fleet, report);
    if streams.is_empty() {
        // Scenarios without a flow would replay nothing and calibrate
        // nothing: refused, saying why every run was left out.
        return Err(WriteError::NothingToReplay(format!(
            "no run of the history can be replayed: {}",
            report.notes[notes_before..].join("; ")
        )));
    }
    if streams.len() > MAX_ENTRIES {
        // More flows than a scenario may list: refused before anything
        // is written (a trace file each).
        return Err(WriteError::TooLarge(format!(
            "the history has {} flows (a flow on each target it ran on counts once), more than \
             the {MAX_ENTRIES} a scenario may list; import some of them (--flows) or a shorter \
             period (--from, --to)",
            streams.len()
        )));
    }
    let fleet_toml = fleet_toml(fleet);
    let header = format!(
        "# Imported by rpasim {} from {} ({} runs{}).\n# Time 0 is Monday 00:00 UTC before the \
         first createdon; the horizon is a second after the history's last instant.\n# Fleet: {}\n",
        env!("CARGO_PKG_VERSION"),
        in_comment(&source.display().to_string()),
        history.runs.len(),
        in_comment(selected),
        fleet.notes.first().map_or("", String::as_str)
    );
    // A fleet file's text comes first, before any table of ours, so that
    // it reads as written (its top-level keys stay top-level).
    let given = match &fleet.fleet_file {
        Some(f) => format!(
            "\n# From {} {}{}\n",
            in_comment(&f.path.display().to_string()),
            crate::FLEET_BLOCK,
            f.text.trim_end()
        ),
        None => String::new(),
    };
    // Not `create_dir_all`: `out` is being staged, and an interruption
    // that removed it must not see it created again.
    match fs::create_dir(out.join("traces")) {
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists && out.join("traces").is_dir() => {}
        made => made?,
    }
    let mut replay = format!(
        "{header}# The replay: every run with its own arrival, duration and outcome \
         (traces/).\n{given}\n[simulation]\nname = \"replay\"\nhorizon = \"{horizon}\"\n\n{}",
        fleet_toml
    );
    let mut fitted = format!(
        "{header}# The fitted model: per flow a Poisson rate with hourly and daily profiles \
         estimated from the arrivals, the observed durations (empirical), the observed \
         failure share.\n{given}\n[simulation]\nname = \"fitted\"\nhorizon = \"{horizon}\"\n\n{}",
        fleet_toml
    );
    // A flow without a completed run has no duration of its own: it takes
    // the median of the history's (rather than none: runs of no time).
    let pooled = median(history.runs.iter().filter_map(completed_in));
    if let Some(note) = pooled.and_then(|ms| without_durations(&streams, ms)) {
        report.notes.push(note);
    }
    for (i, s) in streams.iter().enumerate() {
        let file = trace_file(i);
        let _ = write!(
            replay,
            "\n[[flows]]\nname = {}\ntarget = {}\n{}arrivals = {{ trace = {} }}\n",
            quote(&s.flow),
            quote(&s.target),
            s.mode(),
            quote(&file)
        );
    }
    fitted.push_str(&fitted_flows(
        &streams,
        t0,
        end - t0 + HORIZON_SLACK,
        pooled,
        fitted.len(),
    ));
    for (name, text) in [("replay.toml", &replay), ("scenario.toml", &fitted)] {
        if text.len() as u64 > MAX_SCENARIO_BYTES {
            return Err(too_large(name, text.len(), streams.len()));
        }
    }
    // Only now, the sizes known, the files.
    for (i, s) in streams.iter().enumerate() {
        write_trace(&out.join(trace_file(i)), s, t0, end, pooled)?;
    }
    fs::write(out.join("replay.toml"), replay)?;
    fs::write(out.join("scenario.toml"), fitted)?;
    let flows = streams
        .iter()
        .map(|s| ReplayedFlow {
            flow: s.flow.clone(),
            target: s.target.clone(),
            runs: s
                .runs
                .iter()
                .map(|r| ObservedRun {
                    arrival: r.created - t0,
                    start: r.started.map(|x| x - t0),
                    busy_ms: match (s.attended, r.started) {
                        (false, Some(start)) => r.completed.unwrap_or(end).min(end) - start,
                        _ => 0,
                    },
                })
                .collect(),
        })
        .collect();
    Ok(Written { flows, horizon_ms })
}

/// Why the scenarios of an import were not written.
#[derive(Debug)]
pub enum WriteError {
    /// Writing failed.
    Io(io::Error),
    /// Every run was left out (why, in the message).
    NothingToReplay(String),
    /// The scenarios would be larger than a scenario may be (why, in the
    /// message).
    TooLarge(String),
}

impl From<io::Error> for WriteError {
    fn from(e: io::Error) -> Self {
        WriteError::Io(e)
    }
}

/// Splits the runs by flow, target and run mode (a flow queued on two
/// targets is two flows here: rpasim's flows have one target). An
/// attended run's target is the machine it ran on: the signed-in user's.
fn streams<'a>(
    history: &'a History,
    fleet: &'a Fleet,
    report: &mut ImportReport,
) -> Vec<Stream<'a>> {
    let target_of = |r: &'a HistoryRun, t: &'a Option<Arc<str>>| -> Option<&'a str> {
        if r.attended {
            r.machine.as_deref()
        } else {
            t.as_deref()
        }
    };
    // rpasim runs attended runs on standalone machines only: a machine of
    // a group takes the runs queued on the group. A history can still show
    // one ran attended (before it joined the group, say): such runs are
    // left out, or the replay would not be a valid scenario.
    let grouped: BTreeMap<&str, &str> = fleet
        .machines
        .iter()
        .filter_map(|m| Some((m.name.as_str(), m.group.as_deref()?)))
        .collect();
    let on_group = |r: &HistoryRun| {
        let machine = r.machine.as_deref().filter(|_| r.attended)?;
        grouped.get_key_value(machine)
    };
    let replayable = || {
        history
            .runs
            .iter()
            .zip(&fleet.targets)
            .filter(|(r, _)| on_group(r).is_none())
    };
    // Runs are counted and grouped in hash maps (millions of runs, thousands
    // of flows), which are only looked up; the streams are put in order of
    // their keys once, below.
    // A run that names no target goes to its flow's most used one.
    let mut usual: HashMap<(&str, bool), HashMap<&str, usize>> = HashMap::new();
    for (r, t) in replayable() {
        if let Some(t) = target_of(r, t) {
            *usual
                .entry((&r.flow, r.attended))
                .or_default()
                .entry(t)
                .or_default() += 1;
        }
    }
    // The most used, the first by name among as used: a total order, so
    // the same whatever order the map lists them in.
    let fallback = |r: &HistoryRun| -> Option<&str> {
        let counts = usual.get(&(&*r.flow, r.attended))?;
        let most = counts.iter().max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)));
        most.map(|(t, _)| *t)
    };
    let mut by_key: HashMap<(&str, &str, bool), Vec<&HistoryRun>> = HashMap::new();
    let mut dropped = 0;
    for (r, t) in replayable() {
        match target_of(r, t).or_else(|| fallback(r)) {
            Some(t) => by_key.entry((&r.flow, t, r.attended)).or_default().push(r),
            None => dropped += 1,
        }
    }
    let mut by_key: Vec<_> = by_key.into_iter().collect();
    by_key.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    if dropped > 0 {
        report.notes.push(format!(
            "{dropped} runs of flows never seen on a machine or group were left out"
        ));
    }
    let mut attended_on_group = history.runs.iter().filter_map(on_group);
    if let Some((machine, group)) = attended_on_group.next() {
        report.notes.push(format!(
            "{} attended runs on machines of a group were left out (the first on {machine}, \
             of group {group}): rpasim runs attended runs on standalone machines only",
            attended_on_group.count() + 1
        ));
    }
    // Per flow: its targets and its modes, to name its streams apart.
    let mut seen: BTreeMap<&str, (BTreeSet<&str>, BTreeSet<bool>)> = BTreeMap::new();
    for ((f, t, a), _) in &by_key {
        let e = seen.entry(f).or_default();
        e.0.insert(t);
        e.1.insert(*a);
    }
    // A name made for one stream can be another flow's own (a flow called
    // `f (attended)` beside `f`'s attended runs): the later one is numbered.
    let mut taken: BTreeSet<String> = BTreeSet::new();
    by_key
        .into_iter()
        .map(|((flow, target, attended), runs)| {
            let (targets, modes) = &seen[flow];
            let mut name = flow.to_string();
            if targets.len() > 1 {
                name = format!("{name} @ {target}");
            }
            if modes.len() > 1 && attended {
                name.push_str(" (attended)");
            }
            let mut unique = name.clone();
            for n in 2.. {
                if taken.insert(unique.clone()) {
                    break;
                }
                unique = format!("{name} ({n})");
            }
            Stream {
                flow: unique,
                target: target.to_string(),
                attended,
                runs,
            }
        })
        .collect()
}

/// Text for a `#` comment line: as it is, or, when it holds a line break
/// or another control character (a file name may), quoted with escapes, so
/// that it cannot end the comment and start a line of TOML.
fn in_comment(text: &str) -> std::borrow::Cow<'_, str> {
    if text.chars().any(char::is_control) {
        format!("{text:?}").into()
    } else {
        text.into()
    }
}

/// The inferred targets (those a fleet file did not give).
fn fleet_toml(fleet: &Fleet) -> String {
    let mut out = String::from("# Inferred from the history:\n");
    // The service's defaults, raised where the history shows more (the
    // replay is refused otherwise); a fleet file's limits stand as given.
    let most = fleet.machines.iter().map(|m| m.bots).max().unwrap_or(1);
    let mut members: BTreeMap<&str, usize> = BTreeMap::new();
    for g in fleet.machines.iter().filter_map(|m| m.group.as_deref()) {
        *members.entry(g).or_default() += 1;
    }
    let largest = members.values().copied().max().unwrap_or(0);
    if (most > 10 || largest > 50) && !fleet.limits_given() {
        out.push_str("[limits]\n");
        if most > 10 {
            let _ = writeln!(out, "max_bots_per_machine = {most}");
        }
        if largest > 50 {
            let _ = writeln!(out, "max_machines_per_group = {largest}");
        }
        out.push('\n');
    }
    for g in &fleet.groups {
        let _ = writeln!(out, "[[machine_groups]]\nname = {}\n", quote(g));
    }
    for m in &fleet.machines {
        let _ = writeln!(out, "[[machines]]\nname = {}", quote(&m.name));
        if let Some(g) = &m.group {
            let _ = writeln!(out, "group = {}", quote(g));
        }
        let _ = writeln!(out, "bots = {}\n", m.bots);
    }
    out
}

/// How far the horizon is after the history's last instant, ms.
const HORIZON_SLACK: i64 = 1000;

/// A run's duration: observed; for a run still running at the export's
/// end, a minute beyond it (all the history knows is that it ran at
/// least that long; the replay's horizon ends first); `None` for a run
/// that never started.
fn duration(r: &HistoryRun, end: i64) -> Option<i64> {
    let start = r.started?;
    Some(r.completed.unwrap_or(end + 60 * HORIZON_SLACK) - start)
}

/// A duration of `ms` as a scenario writes it (`170h2m3s45ms`).
fn duration_text(ms: i64) -> String {
    let parts = [
        (ms / MS_PER_HOUR, "h"),
        (ms / 60_000 % 60, "m"),
        (ms / 1000 % 60, "s"),
        (ms % 1000, "ms"),
    ];
    let text: String = parts
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, unit)| format!("{n}{unit}"))
        .collect();
    if text.is_empty() { "1ms".into() } else { text }
}

/// What the console says of the flows without a completed run, which
/// take the median duration `pooled_ms`; `None` when there are none.
fn without_durations(streams: &[Stream], pooled_ms: i64) -> Option<String> {
    let unknown: Vec<&str> = streams
        .iter()
        .filter(|s| s.runs.iter().all(|r| completed_in(r).is_none()))
        .map(|s| s.flow.as_str())
        .collect();
    let (which, whose) = match unknown[..] {
        [] => return None,
        [only] => (format!("flow {only}"), "its"),
        [first, ..] => (
            format!("{} flows (the first: {first})", unknown.len()),
            "their",
        ),
    };
    Some(format!(
        "{which} had no completed run: {whose} runs take the median duration of the history's \
         completed runs, {}",
        duration_text(pooled_ms)
    ))
}

/// How long a completed run took (`None` for one that did not start or
/// end within the history).
fn completed_in(r: &HistoryRun) -> Option<i64> {
    Some(r.completed? - r.started?)
}

/// The median of some durations (the upper one of an even number).
fn median(durations: impl Iterator<Item = i64>) -> Option<i64> {
    let mut v: Vec<i64> = durations.collect();
    v.sort_unstable();
    v.get(v.len() / 2).copied()
}

/// Writes a flow's trace; `pooled` is the median duration of the
/// history's completed runs, for a flow with none of its own.
fn write_trace(path: &Path, s: &Stream, t0: i64, end: i64, pooled: Option<i64>) -> io::Result<()> {
    let median = median(s.runs.iter().filter_map(|r| completed_in(r)))
        .or(pooled)
        .unwrap_or(0);
    let mut text = String::from("arrival_s,duration_s,outcome\n");
    for r in &s.runs {
        // A run that never started takes its flow's median duration.
        let took = duration(r, end).unwrap_or(median);
        let outcome = if r.status == Status::Failed {
            "failed"
        } else {
            "succeeded"
        };
        push_seconds(&mut text, r.created - t0);
        text.push(',');
        push_seconds(&mut text, took);
        text.push(',');
        text.push_str(outcome);
        text.push('\n');
    }
    fs::write(path, text)
}

/// Appends milliseconds as seconds with three decimals. Never given a
/// negative number: arrivals are after time 0, and a run's duration is
/// not negative (the history's timestamps are checked in order).
fn push_seconds(text: &mut String, ms: i64) {
    let _ = write!(text, "{}.{:03}", ms.div_euclid(1000), ms.rem_euclid(1000));
}

/// Flows fitted on a thread of their own, at least (fewer do not pay for
/// starting it).
const FLOWS_PER_THREAD: usize = 256;

/// The fitted flows' entries, each with at most 2,000 observed durations
/// and 300,000 in all; fewer while the scenario, of `header` bytes before
/// them, would be larger than a scenario may be (a history of thousands of
/// flows), down to [`MIN_EMPIRICAL`] each. What does not depend on how
/// many durations are listed is fitted once, however many tries it takes.
fn fitted_flows(
    streams: &[Stream],
    t0: i64,
    horizon: i64,
    pooled: Option<i64>,
    header: usize,
) -> String {
    let exposure = Exposure::of(horizon);
    // Each flow is fitted on its own: on several cores for thousands.
    let threads = cores::threads_for(streams.len(), FLOWS_PER_THREAD);
    let fit = |part: &[Stream]| -> Vec<FittedFlow> {
        (part.iter())
            .map(|s| FittedFlow::of(s, t0, &exposure, pooled))
            .collect()
    };
    let fitted: Vec<FittedFlow> = cores::by_runs(streams, threads, fit)
        .into_iter()
        .flatten()
        .collect();
    let mut cap = (MAX_EMPIRICAL_TOTAL / streams.len().max(1)).clamp(100, MAX_EMPIRICAL);
    loop {
        let text: String = fitted.iter().map(|f| f.entry(cap)).collect();
        if (header + text.len()) as u64 <= MAX_SCENARIO_BYTES || cap == MIN_EMPIRICAL {
            return text;
        }
        cap = (cap / 2).max(MIN_EMPIRICAL);
    }
}

/// The trace of the `i`-th replayed flow, relative to the scenarios.
fn trace_file(i: usize) -> String {
    format!("traces/flow-{:03}.csv", i + 1)
}

/// Why a scenario of `bytes` for `flows` flows is not written.
fn too_large(name: &str, bytes: usize, flows: usize) -> WriteError {
    WriteError::TooLarge(format!(
        "the history's {flows} flows (a flow on each target it ran on counts once) would make \
         a {name} of {:.1} MB, more than the {} MB a scenario may have; import some of them \
         (--flows) or a shorter period (--from, --to)",
        bytes as f64 / (1 << 20) as f64,
        MAX_SCENARIO_BYTES >> 20
    ))
}

/// A fitted flow: its arrivals (a schedule of batches, or a Poisson rate
/// with profiles), the observed durations, the failure share.
struct FittedFlow {
    /// The entry up to its durations: name, target, mode, failure share
    /// and the lognormal comment.
    head: String,
    /// The observed durations, sorted.
    durations: Vec<i64>,
    /// The value of `arrivals`.
    arrivals: String,
}

impl FittedFlow {
    /// The fitted model of stream `s`.
    fn of(s: &Stream, t0: i64, exposure: &Exposure, pooled: Option<i64>) -> Self {
        let arrivals = batches(s, t0).unwrap_or_else(|| poisson(s, t0, exposure));
        let mut durations: Vec<i64> = s
            .runs
            .iter()
            .filter(|r| r.status != Status::Open)
            .filter_map(|r| completed_in(r))
            .collect();
        if durations.is_empty() {
            // None of its own: the history's median, as its trace has.
            durations.extend(pooled);
        }
        durations.sort_unstable();
        let lognormal = lognormal_comment(&durations);
        let ended = s.runs.iter().filter(|r| r.status != Status::Open).count();
        let failed = s.runs.iter().filter(|r| r.status == Status::Failed).count();
        let failure = if ended > 0 {
            failed as f64 / ended as f64
        } else {
            0.0
        };
        let head = format!(
            "\n[[flows]]\nname = {}\ntarget = {}\n{}failure_probability = {failure:.6}\n{lognormal}",
            quote(&s.flow),
            quote(&s.target),
            s.mode(),
        );
        FittedFlow {
            head,
            durations,
            arrivals,
        }
    }

    /// The flow's entry, with at most `cap` durations: evenly spaced
    /// order statistics when it has more.
    fn entry(&self, cap: usize) -> String {
        let k = self.durations.len();
        let mut listed: Vec<i64> = if k > cap {
            (0..cap).map(|i| self.durations[i * k / cap]).collect()
        } else {
            self.durations.clone()
        };
        // A scenario's empirical durations need one above 0: 1 ms when
        // every one listed is 0 (or none was observed).
        if listed.iter().all(|d| *d == 0) {
            listed = vec![1];
        }
        let mut entry = format!("{}duration = {{ empirical = [", self.head);
        for (i, d) in listed.iter().enumerate() {
            let sep = if i == 0 { "" } else { ", " };
            let _ = write!(entry, "{sep}\"{d}ms\"");
        }
        let _ = writeln!(entry, "] }}\narrivals = {}", self.arrivals);
        entry
    }
}

/// A comment giving the lognormal with the observed durations' mean and
/// standard deviation, for a smoother model than the observed values.
fn lognormal_comment(ms: &[i64]) -> String {
    if ms.len() < 2 {
        return String::new();
    }
    let n = ms.len() as f64;
    let mean = ms.iter().sum::<i64>() as f64 / n;
    let var = ms.iter().map(|d| (*d as f64 - mean).powi(2)).sum::<f64>() / (n - 1.0);
    let (mean, sd) = (mean.round() as i64, var.sqrt().round() as i64);
    if mean <= 0 || sd <= 0 {
        return String::new();
    }
    format!(
        "# {} observed durations: mean {}, sd {}; a lognormal with the same moments:\n\
         # duration = {{ lognormal = {{ mean = \"{}\", sd = \"{}\" }} }}\n",
        ms.len(),
        duration_text(mean),
        duration_text(sd),
        duration_text(mean),
        duration_text(sd)
    )
}

/// Clearly scheduled batches: at least 80 % of the runs arrive in bursts
/// (several at the same instant), all at the same time of day. Then a cron
/// schedule at that time on the weekdays seen, with the median burst.
fn batches(s: &Stream, t0: i64) -> Option<String> {
    let mut bursts: BTreeMap<i64, usize> = BTreeMap::new();
    for r in &s.runs {
        *bursts.entry(r.created - t0).or_default() += 1;
    }
    let in_bursts: usize = bursts.values().filter(|n| **n >= 2).sum();
    if (in_bursts as f64) < 0.8 * s.runs.len() as f64 {
        return None;
    }
    let big: Vec<(i64, usize)> = bursts.into_iter().filter(|(_, n)| *n >= 2).collect();
    let time_of_day = big[0].0.rem_euclid(MS_PER_DAY);
    if time_of_day % 60_000 != 0
        || big
            .iter()
            .any(|(t, _)| t.rem_euclid(MS_PER_DAY) != time_of_day)
    {
        return None;
    }
    let mut sizes: Vec<usize> = big.iter().map(|(_, n)| *n).collect();
    sizes.sort_unstable();
    let burst = sizes[sizes.len() / 2];
    // Time 0 is a Monday: day k is weekday k % 7; cron counts Sunday as 0.
    let mut days: Vec<i64> = big
        .iter()
        .map(|(t, _)| (t.div_euclid(MS_PER_DAY).rem_euclid(7) + 1) % 7)
        .collect();
    days.sort_unstable();
    days.dedup();
    let dow = if days.len() == 7 {
        "*".to_string()
    } else {
        days.iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(",")
    };
    let minutes = time_of_day / 60_000;
    Some(format!(
        "{{ cron = \"{} {} * * {dow}\", burst = {burst} }}",
        minutes % 60,
        minutes / 60
    ))
}

/// One step of proportional fitting: a multiplier scaled so that what it
/// predicts is what was observed (0 where nothing could be observed).
fn rescale(multiplier: f64, observed: f64, expected: f64) -> f64 {
    if expected > 0.0 {
        multiplier * observed / expected
    } else {
        0.0
    }
}

/// The hours of a horizon: how many, and how many fall on each hour of
/// the day and day of the week (the same for every flow, so counted once).
struct Exposure {
    hours: i64,
    by_hour_and_day: [[f64; 7]; 24],
}

impl Exposure {
    /// The hours of a horizon of `horizon` milliseconds: whole hours, the
    /// last one in part counted whole (a profile fitted on a few seconds of
    /// an hour would be a spike, not a rate).
    fn of(horizon: i64) -> Self {
        let hours = (horizon + MS_PER_HOUR - 1) / MS_PER_HOUR;
        let mut by_hour_and_day = [[0f64; 7]; 24];
        for h in 0..hours {
            by_hour_and_day[(h % 24) as usize][((h / 24) % 7) as usize] += 1.0;
        }
        Exposure {
            hours,
            by_hour_and_day,
        }
    }
}

/// A Poisson rate with an hourly and a daily profile whose expected
/// arrivals per hour of the day and per day of the week equal the
/// observed ones over the horizon (iterative proportional fitting of the
/// two profiles on the hours the horizon holds).
fn poisson(s: &Stream, t0: i64, exposure: &Exposure) -> String {
    let n = s.runs.len() as f64;
    let per_hour = n / exposure.hours.max(1) as f64;
    let exposure = &exposure.by_hour_and_day;
    let (mut by_hour, mut by_day) = ([0f64; 24], [0f64; 7]);
    for r in &s.runs {
        let h = (r.created - t0).div_euclid(MS_PER_HOUR);
        by_hour[h.rem_euclid(24) as usize] += 1.0;
        by_day[(h.div_euclid(24)).rem_euclid(7) as usize] += 1.0;
    }
    let (mut hourly, mut daily) = ([1f64; 24], [1f64; 7]);
    for _ in 0..50 {
        for h in 0..24 {
            let expected: f64 = (0..7)
                .map(|d| per_hour * hourly[h] * daily[d] * exposure[h][d])
                .sum();
            hourly[h] = rescale(hourly[h], by_hour[h], expected);
        }
        for d in 0..7 {
            let expected: f64 = (0..24)
                .map(|h| per_hour * hourly[h] * daily[d] * exposure[h][d])
                .sum();
            daily[d] = rescale(daily[d], by_day[d], expected);
        }
    }
    let list = |v: &[f64]| {
        v.iter()
            .map(|x| format!("{x:.4}"))
            .collect::<Vec<_>>()
            .join(",")
    };
    format!(
        "{{ poisson = {{ per_hour = {per_hour:.6}, hourly = [{}], daily = [{}] }} }}",
        list(&hourly),
        list(&daily)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `n` succeeded runs of `flow`, an hour apart, of 1 to `n` seconds.
    fn runs(flow: &str, n: i64) -> Vec<HistoryRun> {
        (0..n)
            .map(|i| HistoryRun {
                flow: flow.into(),
                created: i * 3_600_000,
                started: Some(i * 3_600_000),
                completed: Some(i * 3_600_000 + (i + 1) * 1_000),
                status: Status::Succeeded,
                attended: false,
                machine: Some("pc".into()),
                group: None,
            })
            .collect()
    }

    fn durations_listed(entry: &str) -> usize {
        let list = entry.split("empirical = [").nth(1).expect("a list");
        list.split(']').next().expect("closed").split(", ").count()
    }

    #[test]
    fn durations_are_cut_to_fit_the_scenario_down_to_deciles() {
        let (a, b) = (runs("a", 3_000), runs("b", 3_000));
        let streams: Vec<Stream> = [&a, &b]
            .into_iter()
            .map(|r| Stream {
                flow: r[0].flow.to_string(),
                target: "pc".into(),
                attended: false,
                runs: r.iter().collect(),
            })
            .collect();
        let fit = |header: u64| {
            let header = usize::try_from(MAX_SCENARIO_BYTES - header).expect("small");
            fitted_flows(&streams, 0, 10 * 3_600_000, None, header)
        };
        // Room for all: 2,000 each.
        let roomy = fit(1 << 20);
        let entries: Vec<&str> = roomy.split("[[flows]]").skip(1).collect();
        assert_eq!(entries.len(), 2);
        assert!(entries.iter().all(|e| durations_listed(e) == MAX_EMPIRICAL));
        // Room for about 1,000 durations in all: halved until they fit.
        let tight = fit(12_000);
        assert!(tight.len() <= 12_000, "{}", tight.len());
        let listed: Vec<usize> = tight
            .split("[[flows]]")
            .skip(1)
            .map(durations_listed)
            .collect();
        assert!(
            listed
                .iter()
                .all(|n| (MIN_EMPIRICAL..MAX_EMPIRICAL / 2).contains(n)),
            "{listed:?}"
        );
        // No room: the fewest, and the caller refuses the file.
        let none = fit(100);
        let listed: Vec<usize> = none
            .split("[[flows]]")
            .skip(1)
            .map(durations_listed)
            .collect();
        assert_eq!(listed, vec![MIN_EMPIRICAL, MIN_EMPIRICAL]);
    }
}
