//! `rpasim import`: a history made from a known scenario comes back as a
//! replay that reproduces it and a fleet that matches it.

use crate::common;

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use common::{run_in, stderr, stdout};

/// The truth: a group of three identical single-bot machines and a
/// standalone machine with two bots; office-hours Poisson work, a nightly
/// batch, failures; exported at 02:30 on the second Monday, while that
/// night's batch runs (two running, two queued).
const TRUTH: &str = r#"[simulation]
seed = 4
horizon = "7d2h30m"

[[machine_groups]]
name = "finance"

[[machines]]
name = "f-01"
group = "finance"

[[machines]]
name = "f-02"
group = "finance"

[[machines]]
name = "f-03"
group = "finance"

[[machines]]
name = "pc"
bots = 2

[[flows]]
name = "invoices"
target = "finance"
duration = { lognormal = { mean = "12m", sd = "6m" } }
failure_probability = 0.05
arrivals = { poisson = { per_hour = 12, hourly = [0,0,0,0,0,0,0,0.5,1,1.5,1.5,1,1,1.5,1.5,1,0.5,0,0,0,0,0,0,0], daily = [1,1,1,1,1,0,0] } }

[[flows]]
name = "nightly"
target = "pc"
duration = "25m"
arrivals = { cron = "0 2 * * *", burst = 6 }
"#;

/// 2026-03-02, a Monday, in seconds since 1970.
const MONDAY: i64 = 1_772_409_600;

/// An ISO 8601 timestamp, 7 fractional digits, no zone, as Dataverse
/// exports it (the whole seconds as the importer writes instants back,
/// which its unit tests check against its reading).
fn stamp(seconds_from_start: &str) -> String {
    let (s, ms) = seconds_from_start
        .split_once('.')
        .unwrap_or((seconds_from_start, "0"));
    let total = MONDAY + s.parse::<i64>().expect("seconds");
    let whole = rpasim_import::time::format(total * 1_000);
    format!("{}.{ms:0<3}0000", whole.trim_end_matches('Z'))
}

/// The history of a run's runs.csv, as DesktopFlowRuns rows.
fn history(runs_csv: &str, shuffle: bool) -> String {
    let mut r = csv::Reader::from_reader(runs_csv.as_bytes());
    let h = r.headers().expect("header").clone();
    let c = |n: &str| h.iter().position(|x| x == n).expect(n);
    let mut rows = Vec::new();
    for row in r.records() {
        let row = row.expect("row");
        let (target, machine) = (&row[c("target")], &row[c("machine")]);
        let group = if target == "finance" { "finance" } else { "" };
        let machine = if machine.is_empty() && group.is_empty() {
            target
        } else {
            machine
        };
        let status = match &row[c("outcome")] {
            "succeeded" => "4",
            "failed" => "8",
            "in_flight" => "2",
            _ => "10",
        };
        let when = |col: &str| {
            let v = &row[c(col)];
            if v.is_empty() {
                String::new()
            } else {
                stamp(v)
            }
        };
        rows.push(format!(
            "{},{},{},{},{},2,{},{},{}",
            row[c("run_id")].parse::<u64>().expect("id") + 1000,
            when("arrival_s"),
            when("start_s"),
            when("end_s"),
            status,
            machine,
            group,
            &row[c("flow")]
        ));
    }
    if shuffle {
        rows.reverse();
        let half = rows.len() / 2;
        rows.rotate_left(half);
    }
    format!(
        "flowsessionid,createdon,startedon,completedon,statuscode,runmode,machineidname,machinegroupidname,regardingobjectidname\n{}\n",
        rows.join("\n")
    )
}

/// Mean wait and count of started runs per flow, from a runs.csv.
fn waits(runs_csv: &str) -> BTreeMap<String, (f64, usize)> {
    let mut r = csv::Reader::from_reader(runs_csv.as_bytes());
    let h = r.headers().expect("header").clone();
    let c = |n: &str| h.iter().position(|x| x == n).expect(n);
    let mut out: BTreeMap<String, (f64, usize)> = BTreeMap::new();
    for row in r.records() {
        let row = row.expect("row");
        let e = out.entry(row[c("flow")].to_string()).or_default();
        if let Ok(w) = row[c("wait_s")].parse::<f64>() {
            e.0 += w;
        }
        e.1 += 1;
    }
    out
}

/// Simulates the truth in `dir` and returns its runs.csv.
fn truth_runs(dir: &Path) -> String {
    fs::write(dir.join("truth.toml"), TRUTH).expect("write");
    let o = run_in(
        dir,
        &[
            "run",
            "truth.toml",
            "--out",
            "truth",
            "--quiet",
            "--no-charts",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    fs::read_to_string(dir.join("truth/runs.csv")).expect("runs")
}

/// Pearson's correlation of two series.
fn correlation(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let cov: f64 = a.iter().zip(b).map(|(x, y)| (x - ma) * (y - mb)).sum();
    let va: f64 = a.iter().map(|x| (x - ma).powi(2)).sum();
    let vb: f64 = b.iter().map(|y| (y - mb).powi(2)).sum();
    cov / (va * vb).sqrt()
}

/// The columns of a history in the order the tests write them.
const HEADER: &str = "flowsessionid,createdon,startedon,completedon,statuscode,runmode,machineidname,machinegroupidname,regardingobjectidname\n";

/// `n` rows of a history after [`HEADER`]: run `i` unattended and
/// succeeded, created and started at 08:`i` on Monday 2 March 2026 and
/// ended 30 s later, on the `machine,group,flow` that `place(i)` gives.
fn minute_apart(n: usize, place: impl Fn(usize) -> String) -> String {
    (0..n)
        .map(|i| {
            format!(
                "{i},2026-03-02T08:{i:02}:00Z,2026-03-02T08:{i:02}:00Z,2026-03-02T08:{i:02}:30Z,4,2,{}\n",
                place(i)
            )
        })
        .collect()
}

/// What `rpasim import OUT.csv --out OUT` says on the console (it
/// succeeds), e.g. after [`import_and_replay`] wrote `OUT.csv`.
fn import_said(dir: &Path, out: &str) -> String {
    let o = run_in(dir, &["import", &format!("{out}.csv"), "--out", out]);
    assert!(o.status.success(), "{}", stderr(&o));
    stdout(&o)
}

fn import_and_replay(dir: &Path, history_csv: &str, out: &str) -> String {
    fs::write(dir.join(format!("{out}.csv")), history_csv).expect("history");
    let o = run_in(dir, &["import", &format!("{out}.csv"), "--out", out, "-q"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let replay = format!("{out}/replay.toml");
    let o = run_in(
        dir,
        &[
            "run",
            &replay,
            "--out",
            &format!("{out}-run"),
            "--quiet",
            "--no-charts",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let fitted = format!("{out}/scenario.toml");
    let o = run_in(dir, &["validate", &fitted]);
    assert!(o.status.success(), "{}", stderr(&o));
    fs::read_to_string(dir.join(format!("{out}-run/runs.csv"))).expect("runs")
}

#[test]
fn a_history_of_a_known_scenario_replays_to_its_waits_and_fleet() {
    let dir = tempfile::tempdir().expect("temp dir");
    let truth = truth_runs(dir.path());
    let exported = history(&truth, false);
    let open = |row: &&str| row.split(',').nth(3) == Some("");
    let (running, queued) = exported
        .lines()
        .filter(open)
        .partition::<Vec<&str>, _>(|row| row.split(',').nth(2) != Some(""));
    assert_eq!((running.len(), queued.len()), (2, 2), "{exported}");
    let replayed = import_and_replay(dir.path(), &exported, "h");
    // The fleet as it was.
    let replay = fs::read_to_string(dir.path().join("h/replay.toml")).expect("replay");
    for expected in [
        "[[machine_groups]]\nname = \"finance\"",
        "name = \"f-01\"\ngroup = \"finance\"\nbots = 1",
        "name = \"f-03\"\ngroup = \"finance\"\nbots = 1",
        "name = \"pc\"\nbots = 2",
    ] {
        assert!(replay.contains(expected), "{expected} not in\n{replay}");
    }
    // Each flow's run count exactly, its mean wait within 1 %.
    let (before, after) = (waits(&truth), waits(&replayed));
    assert_eq!(
        before.keys().collect::<Vec<_>>(),
        after.keys().collect::<Vec<_>>()
    );
    for (flow, (sum, n)) in &before {
        let (sum2, n2) = after[flow];
        assert_eq!(*n, n2, "{flow}: runs");
        let (m, m2) = (sum / *n as f64, sum2 / n2 as f64);
        assert!(
            (m - m2).abs() <= 0.01 * m.max(1.0),
            "{flow}: mean wait {m} vs {m2}"
        );
    }
    // The calibration says so: replayed waits equal the observed ones, and
    // every run starts when it did.
    let calibration =
        fs::read_to_string(dir.path().join("h/calibration.csv")).expect("calibration");
    for line in calibration.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        assert_eq!(f[2], f[3], "runs: {line}");
        assert_eq!(f[4], f[5], "mean wait: {line}");
        assert_eq!(f[11], "0.000", "start error p95: {line}");
        // The replay keeps the bots as busy as the history did; the fitted
        // model's runs are within 10 % of the history's.
        assert_eq!(f[16], f[17], "utilization: {line}");
        let (observed, fitted) = (
            f[2].parse::<f64>().expect("n"),
            f[12].parse::<f64>().expect("n"),
        );
        assert!(
            (fitted / observed - 1.0).abs() <= 0.10,
            "fitted runs: {line}"
        );
    }
    // The page says the same, with both charts inline and as PNG.
    let page = fs::read_to_string(dir.path().join("h/calibration.html")).expect("page");
    for expected in [
        "invoices: the replay reproduces the observed mean wait",
        "id=\"calibration-waits\"><h3>Waits per target</h3><svg",
        "id=\"calibration-arrivals\"><h3>Arrivals per hour of the week</h3><svg",
    ] {
        assert!(page.contains(expected), "{expected} not in the page");
    }
    for png in ["calibration-waits.png", "calibration-arrivals.png"] {
        let bytes = fs::read(dir.path().join("h/charts").join(png)).expect("png");
        assert!(bytes.starts_with(b"\x89PNG"), "{png}");
    }
    // The fitted model: run counts per flow within 10 % over the same
    // horizon, the office-hours profile found again, the nightly batch
    // recognised as a schedule.
    let fitted = fs::read_to_string(dir.path().join("h/scenario.toml")).expect("fitted");
    assert!(
        fitted.contains("arrivals = { cron = \"0 2 * * *\", burst = 6 }"),
        "{fitted}"
    );
    // Beside the observed durations, the lognormal of their moments (the
    // truth's: mean 12m, sd 6m).
    let lognormal = fitted
        .split("# duration = { lognormal = { mean = \"")
        .nth(1)
        .expect("a lognormal comment");
    assert!(
        lognormal.starts_with("11m") || lognormal.starts_with("12m"),
        "{lognormal}"
    );
    let hourly: Vec<f64> = fitted
        .split("hourly = [")
        .nth(1)
        .and_then(|rest| rest.split(']').next())
        .expect("an hourly profile")
        .split(',')
        .map(|x| x.trim().parse().expect("number"))
        .collect();
    let truth_hourly = [
        0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.5, 1.0, 1.5, 1.5, 1.0, 1.0, 1.5, 1.5, 1.0, 0.5, 0.0,
        0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
    ];
    let r = correlation(&hourly, &truth_hourly);
    assert!(r > 0.9, "hourly profile correlation {r}");
    let o = run_in(
        dir.path(),
        &[
            "run",
            "h/scenario.toml",
            "--out",
            "fit",
            "--quiet",
            "--no-charts",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let fit = waits(&fs::read_to_string(dir.path().join("fit/runs.csv")).expect("runs"));
    for (flow, (_, n)) in &before {
        let m = fit[flow].1 as f64;
        assert!(
            (m / *n as f64 - 1.0).abs() <= 0.10,
            "{flow}: {m} fitted runs vs {n}"
        );
    }
    // The same history shuffled: the same replay, byte for byte.
    let shuffled = import_and_replay(dir.path(), &history(&truth, true), "s");
    assert_eq!(shuffled, replayed);
    for file in ["replay.toml", "scenario.toml", "traces/flow-001.csv"] {
        let a = fs::read_to_string(dir.path().join("h").join(file)).expect("a");
        let b = fs::read_to_string(dir.path().join("s").join(file)).expect("b");
        // Only the header's source file name differs.
        let strip = |t: &str| t.lines().skip(1).collect::<Vec<_>>().join("\n");
        assert_eq!(strip(&a), strip(&b), "{file}");
    }
}

#[test]
fn the_calibration_says_when_the_history_waited_longer_than_its_fleet_explains() {
    // One bot (never two runs at once on pc), yet the second run waited an
    // hour although the bot was free after 10 minutes.
    let dir = tempfile::tempdir().expect("temp dir");
    let text = "flowsessionid,createdon,startedon,completedon,statuscode,runmode,machineidname,machinegroupidname,regardingobjectidname\n\
                1,2026-03-02T08:00:00Z,2026-03-02T08:00:00Z,2026-03-02T08:10:00Z,4,2,pc,,f\n\
                2,2026-03-02T08:00:00Z,2026-03-02T09:00:00Z,2026-03-02T09:10:00Z,4,2,pc,,f\n";
    fs::write(dir.path().join("h.csv"), text).expect("write");
    let o = run_in(dir.path(), &["import", "h.csv", "--out", "o"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("f: observed waits are 500 % longer than simulated (1800.0 s vs 300.0 s)"),
        "{out}"
    );
    let calibration = fs::read_to_string(dir.path().join("o/calibration.csv")).expect("csv");
    assert!(
        calibration.contains("f,pc,2,2,1800.000,300.000,"),
        "{calibration}"
    );
}

#[test]
fn malformed_histories_exit_2_with_file_line_and_column() {
    let dir = tempfile::tempdir().expect("temp dir");
    let head = "flowsessionid,createdon,startedon,completedon,statuscode,runmode,machineidname,machinegroupidname,regardingobjectidname\n";
    let cases = [
        (
            "nocol.csv",
            "flowsessionid,startedon\n1,2026-03-02T00:00:00Z\n".to_string(),
            "nocol.csv:1",
        ),
        (
            "badtime.csv",
            format!("{head}1,2026-03-02T00:00:00Z,,,4,2,pc,,f\n2,yesterday,,,4,2,pc,,f\n"),
            "badtime.csv:3 (column createdon)",
        ),
        (
            "before.csv",
            format!("{head}1,2026-03-02T01:00:00Z,2026-03-02T00:00:00Z,,4,2,pc,,f\n"),
            "before.csv:2 (column startedon)",
        ),
        // Cancelled in the queue, ended before it was created: it was
        // taken as it was.
        (
            "ended.csv",
            format!(
                "{head}1,2026-03-02T00:00:00Z,2026-03-02T00:00:00Z,2026-03-02T00:10:00Z,4,2,pc,,f\n\
                 2,2026-03-02T01:00:00Z,,2026-03-01T00:00:00Z,7,2,pc,,f\n"
            ),
            "ended.csv:3 (column completedon): completedon is before createdon",
        ),
        (
            "binary.csv",
            "\u{0}\u{1}\u{2}garbage".to_string(),
            "binary.csv:1",
        ),
        // A zone of other characters was sliced as a string inside one:
        // "internal error", exit 1.
        (
            "zone.csv",
            format!("{head}1,2026-03-02T02:00:00\u{e9}0:00,,,4,2,pc,,f\n"),
            "zone.csv:2 (column createdon): not an ISO 8601 timestamp",
        ),
        // Saved on Windows (the csv crate counts such lines one short).
        (
            "windows.csv",
            format!("{head}1,2026-03-02T00:00:00Z,,,4,2,pc,,f\n2,yesterday,,,4,2,pc,,f\n")
                .replace('\n', "\r\n"),
            "windows.csv:3 (column createdon)",
        ),
        (
            "short.csv",
            format!("{head}1,2026-03-02T00:00:00Z,,,4,2,pc,,f\n\n2,2026-03-02T00:00:00Z\n")
                .replace('\n', "\r\n"),
            "short.csv:4: malformed CSV row (2 fields where the header has 9)",
        ),
        // A column misnamed: without it no duration can be measured (the
        // fitted model's durations were 1 ms).
        (
            "misnamed.csv",
            head.replace("startedon", "startdon") + "1,2026-03-02T00:00:00Z,,,4,2,pc,,f\n",
            "misnamed.csv:1: missing column startedon: when each run started, without which \
             no run's duration can be measured (is \"startdon\" it?)",
        ),
        // No run both started and ended: nothing to fit durations to.
        (
            "unstarted.csv",
            format!(
                "{head}1,2026-03-02T00:00:00Z,,,4,2,pc,,f\n2,2026-03-02T00:05:00Z,,,1,2,pc,,f\n"
            ),
            "unstarted.csv: no run in the history both started and ended",
        ),
        // A line of 33 MB is refused as it is read, not held in memory
        // whole (a 300 MB line took 1.1 GB).
        (
            "endless.csv",
            format!("{head}{}\n", "x".repeat(33 << 20)),
            "endless.csv: malformed CSV (a line longer than 32 MB)",
        ),
    ];
    for (name, text, expected) in cases {
        fs::write(dir.path().join(name), text).expect("write");
        let o = run_in(dir.path(), &["import", name, "--out", "o"]);
        assert_eq!(o.status.code(), Some(2), "{name}: {}", stderr(&o));
        assert!(stderr(&o).contains(expected), "{name}: {}", stderr(&o));
        assert!(!dir.path().join("o").exists(), "{name}: nothing written");
    }
}

mod subsets {
    use super::*;
    use proptest::prelude::*;

    /// A small valid history: two flows on a group and a machine, a run
    /// still running and one still queued at the end.
    fn rows() -> Vec<String> {
        let mut rows = Vec::new();
        for i in 0..24 {
            let start = format!("2026-03-02T{:02}:{:02}:00Z", 8 + i / 4, (i % 4) * 15);
            let started = format!("2026-03-02T{:02}:{:02}:30Z", 8 + i / 4, (i % 4) * 15);
            let ended = format!("2026-03-02T{:02}:{:02}:10Z", 8 + i / 4, (i % 4) * 15 + 9);
            let (machine, group, flow) = if i % 3 == 0 {
                ("pc", "", "reports")
            } else {
                (["m1", "m2"][i % 2], "g", "orders")
            };
            let status = if i % 7 == 0 { "8" } else { "4" };
            rows.push(format!(
                "{i},{start},{started},{ended},{status},2,{machine},{group},{flow}"
            ));
        }
        rows.push("100,2026-03-02T15:00:00Z,2026-03-02T15:00:05Z,,2,2,m1,g,orders".into());
        rows.push("101,2026-03-02T15:01:00Z,,,1,2,,g,orders".into());
        rows
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

        #[test]
        fn any_subset_of_a_valid_history_imports_and_replays(keep in proptest::collection::vec(any::<bool>(), 26)) {
            let all = rows();
            let chosen: Vec<&String> = all.iter().zip(&keep).filter(|(_, k)| **k).map(|(r, _)| r).collect();
            // A history needs a run on a machine or group.
            prop_assume!(chosen.iter().any(|r| r.contains(",m1,") || r.contains(",m2,") || r.contains(",pc,")));
            let dir = tempfile::tempdir().expect("temp dir");
            let text = format!(
                "flowsessionid,createdon,startedon,completedon,statuscode,runmode,machineidname,machinegroupidname,regardingobjectidname\n{}\n",
                chosen.iter().map(|r| r.as_str()).collect::<Vec<_>>().join("\n")
            );
            let runs = import_and_replay(dir.path(), &text, "h");
            let replayed = runs.lines().count() - 1;
            prop_assert_eq!(replayed, chosen.len());
        }
    }
}

#[test]
fn flows_and_a_time_window_select_what_is_imported() {
    let dir = tempfile::tempdir().expect("temp dir");
    let truth = truth_runs(dir.path());
    fs::write(dir.path().join("h.csv"), history(&truth, false)).expect("history");
    let o = run_in(
        dir.path(),
        &["import", "h.csv", "--out", "n", "--flows", "nightly", "-q"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let replay = fs::read_to_string(dir.path().join("n/replay.toml")).expect("replay");
    assert!(replay.contains("name = \"nightly\"") && !replay.contains("name = \"invoices\""));
    // Tuesday only: its nightly batch of six at 02:00.
    let o = run_in(
        dir.path(),
        &[
            "import",
            "h.csv",
            "--out",
            "t",
            "--flows",
            "nightly",
            "--from",
            "2026-03-03T00:00:00Z",
            "--to",
            "2026-03-04T00:00:00Z",
            "-q",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let trace = fs::read_to_string(dir.path().join("t/traces/flow-001.csv")).expect("trace");
    assert_eq!(trace.lines().count(), 1 + 6, "{trace}");
    // The scenarios say which runs they were made of.
    let replay = fs::read_to_string(dir.path().join("t/replay.toml")).expect("replay");
    assert!(
        replay.lines().next().is_some_and(|l| l.ends_with(
            "(6 runs created from 2026-03-03T00:00:00Z until before 2026-03-04T00:00:00Z; of the \
             flows \"nightly\")."
        )),
        "{replay}"
    );
    // So does the calibration page (a whole history's says nothing).
    let page = fs::read_to_string(dir.path().join("t/calibration.html")).expect("page");
    assert!(
        page.contains(
            "Of the history, only the 6 runs created from 2026-03-03T00:00:00Z until before \
             2026-03-04T00:00:00Z; of the flows &quot;nightly&quot;"
        ),
        "{page}"
    );
    let o = run_in(dir.path(), &["import", "h.csv", "--out", "whole", "-q"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let page = fs::read_to_string(dir.path().join("whole/calibration.html")).expect("page");
    assert!(!page.contains("Of the history, only"));
    // Dates alone are their 00:00 UTC: the same files.
    let o = run_in(
        dir.path(),
        &[
            "import",
            "h.csv",
            "--out",
            "d",
            "--flows",
            "nightly",
            "--from",
            "2026-03-03",
            "--to",
            "2026-03-04",
            "-q",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    for file in [
        "replay.toml",
        "scenario.toml",
        "traces/flow-001.csv",
        "calibration.html",
    ] {
        let read = |out: &str| fs::read(dir.path().join(out).join(file)).expect("file");
        assert!(read("t") == read("d"), "{file} differs");
    }
    for (args, expected) in [
        (vec!["--flows", "payroll"], "no run of flow \"payroll\""),
        (vec!["--from", "2030-01-01T00:00:00Z"], "--from/--to window"),
        (
            vec!["--to", "soon"],
            "--to: not an ISO 8601 date or timestamp: \"soon\"; expected e.g. 2026-03-01",
        ),
        (
            vec!["--from", "2026-03-04", "--to", "2026-03-03T00:00:00+00:00"],
            "--from 2026-03-04T00:00:00Z is not before --to 2026-03-03T00:00:00Z",
        ),
    ] {
        let mut all = vec!["import", "h.csv", "--out", "x"];
        all.extend(args);
        let o = run_in(dir.path(), &all);
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        assert!(stderr(&o).contains(expected), "{}", stderr(&o));
        assert!(!dir.path().join("x").exists());
    }
    // An empty window is refused before the history is read: a missing
    // history is not what it says.
    let o = run_in(
        dir.path(),
        &[
            "import",
            "none.csv",
            "--out",
            "x",
            "--from",
            "2026-03-04",
            "--to",
            "2026-03-04",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("is not before --to"), "{}", stderr(&o));
}

/// A history's file name with a line break in it is quoted in the
/// scenarios' first comment line: it ended the comment, and `import`
/// failed with exit 1 asking for a report.
#[test]
fn a_file_name_cannot_break_the_scenarios_comments() {
    let dir = tempfile::tempdir().expect("temp dir");
    let truth = truth_runs(dir.path());
    fs::write(dir.path().join("h\n[x].csv"), history(&truth, false)).expect("history");
    let o = run_in(dir.path(), &["import", "h\n[x].csv", "--out", "n", "-q"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let replay = fs::read_to_string(dir.path().join("n/replay.toml")).expect("replay");
    assert!(replay.starts_with("# Imported by rpasim"), "{replay}");
    assert!(
        replay
            .lines()
            .next()
            .is_some_and(|l| l.contains("from \"h\\n[x].csv\""))
    );
    let o = run_in(
        dir.path(),
        &["run", "n/replay.toml", "--out", "r", "-q", "--no-charts"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn the_web_apis_odata_json_imports_like_the_csv() {
    let dir = tempfile::tempdir().expect("temp dir");
    let truth = truth_runs(dir.path());
    let csv_text = history(&truth, false);
    // The same rows as OData JSON: numbers as numbers, empty cells as null.
    let mut rows = csv::Reader::from_reader(csv_text.as_bytes());
    let header = rows.headers().expect("header").clone();
    let objects: Vec<String> = rows
        .records()
        .map(|r| {
            let r = r.expect("row");
            let fields: Vec<String> = header
                .iter()
                .zip(r.iter())
                .map(|(k, v)| match (k, v) {
                    (_, "") => format!("\"{k}\": null"),
                    ("statuscode" | "runmode", v) => format!("\"{k}\": {v}"),
                    (k, v) => format!("\"{k}\": \"{v}\""),
                })
                .collect();
            format!("{{{}}}", fields.join(", "))
        })
        .collect();
    let json = format!(
        "{{\"@odata.context\": \"x\", \"value\": [\n{}\n]}}\n",
        objects.join(",\n")
    );
    let from_csv = import_and_replay(dir.path(), &csv_text, "c");
    fs::write(dir.path().join("j.json"), &json).expect("json");
    let o = run_in(dir.path(), &["import", "j.json", "--out", "j", "-q"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run_in(
        dir.path(),
        &[
            "run",
            "j/replay.toml",
            "--out",
            "j-run",
            "--quiet",
            "--no-charts",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let from_json = fs::read_to_string(dir.path().join("j-run/runs.csv")).expect("runs");
    assert_eq!(from_json, from_csv);
    // Saved with a byte order mark (PowerShell's UTF-8): the same files.
    fs::write(dir.path().join("bom.json"), format!("\u{feff}{json}")).expect("json");
    let o = run_in(dir.path(), &["import", "bom.json", "--out", "bom", "-q"]);
    assert!(o.status.success(), "{}", stderr(&o));
    for file in ["replay.toml", "scenario.toml", "traces/flow-001.csv"] {
        let read = |out: &str| fs::read_to_string(dir.path().join(out).join(file)).expect("file");
        assert_eq!(
            read("bom").replace("bom.json", "j.json"),
            read("j"),
            "{file}"
        );
    }
    // One page of a paged answer is not the history; UTF-16 text is told
    // as such (PowerShell 5's >), not as a file without a createdon column.
    let paged = json.replacen(
        "{\"@odata.context\": \"x\", ",
        "{\"@odata.nextLink\": \"https://org.crm.dynamics.com/api/data/v9.2/flowsessions?$skiptoken=x\", ",
        1,
    );
    let utf16: Vec<u8> = std::iter::once(0xFEFF_u16)
        .chain(json.encode_utf16())
        .flat_map(u16::to_le_bytes)
        .collect();
    for (name, bytes, expected) in [
        (
            "paged.json",
            paged.into_bytes(),
            "one page of the Web API's answer: its @odata.nextLink",
        ),
        ("utf16.json", utf16, "UTF-16 text"),
    ] {
        fs::write(dir.path().join(name), bytes).expect("write");
        let o = run_in(dir.path(), &["import", name, "--out", "p"]);
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        assert!(stderr(&o).contains(expected), "{}", stderr(&o));
        assert!(!dir.path().join("p").exists());
    }
    // A JSON file that is not OData: exit 2 with its line.
    fs::write(
        dir.path().join("bad.json"),
        "{\"value\": [\n{\"createdon\": 3,\n",
    )
    .expect("write");
    let o = run_in(dir.path(), &["import", "bad.json", "--out", "b"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("bad.json:"), "{}", stderr(&o));
}

/// Excel saves "CSV" with semicolons where the comma is the decimal
/// separator (and tab-separated text is another export): the header
/// tells the delimiter, and the same rows import to the same files.
#[test]
fn semicolon_and_tab_separated_histories_import_like_the_csv() {
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    let csv_text = fs::read_to_string(common::repo().join("scenarios/history/history.csv"))
        .expect("the bundled history");
    assert!(!csv_text.contains('"'), "no quoted cell to keep its commas");
    let import = |sub: &str, text: &str| {
        fs::create_dir_all(d.join(sub)).expect("dir");
        fs::write(d.join(sub).join("h.csv"), text).expect("history");
        let o = run_in(&d.join(sub), &["import", "h.csv", "--out", "o", "-q"]);
        assert!(o.status.success(), "{sub}: {}", stderr(&o));
        ["replay.toml", "scenario.toml", "calibration.csv"]
            .map(|f| fs::read_to_string(d.join(sub).join("o").join(f)).expect("imported"))
    };
    let commas = import("commas", &csv_text);
    assert_eq!(import("semicolons", &csv_text.replace(',', ";")), commas);
    assert_eq!(import("tabs", &csv_text.replace(',', "\t")), commas);
}

#[test]
fn attended_runs_are_replayed_as_attended_runs_of_their_machine() {
    // Two attended runs queued at once on pc: one session, so the second
    // waits 10 minutes; an unattended run of the same flow beside them.
    let dir = tempfile::tempdir().expect("temp dir");
    let text = "flowsessionid,createdon,startedon,completedon,statuscode,runmode,machineidname,machinegroupidname,regardingobjectidname\n\
                1,2026-03-02T08:00:00Z,2026-03-02T08:00:00Z,2026-03-02T08:10:00Z,4,1,pc,,f\n\
                2,2026-03-02T08:00:00Z,2026-03-02T08:10:00Z,2026-03-02T08:20:00Z,4,1,pc,,f\n\
                3,2026-03-02T08:05:00Z,2026-03-02T08:05:00Z,2026-03-02T08:15:00Z,4,2,pc,,f\n";
    let runs = import_and_replay(dir.path(), text, "a");
    let replay = fs::read_to_string(dir.path().join("a/replay.toml")).expect("replay");
    assert!(
        replay.contains("name = \"f (attended)\"\ntarget = \"pc\"\nmode = \"attended\"\n"),
        "{replay}"
    );
    let fitted = fs::read_to_string(dir.path().join("a/scenario.toml")).expect("fitted");
    assert!(
        fitted.contains("name = \"f (attended)\"\ntarget = \"pc\"\nmode = \"attended\"\n"),
        "{fitted}"
    );
    let w = waits(&runs);
    assert_eq!(w["f (attended)"], (600.0, 2), "{runs}");
    assert_eq!(w["f"], (0.0, 1), "{runs}");
    let calibration = fs::read_to_string(dir.path().join("a/calibration.csv")).expect("csv");
    assert!(
        calibration.contains("f (attended),pc,2,2,300.000,300.000,"),
        "{calibration}"
    );
}

/// rpasim runs attended runs on standalone machines only: an attended run
/// on a machine of a group (say, before it joined the group) is left out
/// and said so, and the replay is still a valid scenario with every other
/// run (it was refused as an invalid replay, exit 1).
#[test]
fn attended_runs_on_a_machine_of_a_group_are_left_out_and_said_so() {
    let dir = tempfile::tempdir().expect("temp dir");
    let rows = "1,2026-03-02T08:00:00Z,2026-03-02T08:00:00Z,2026-03-02T08:10:00Z,4,2,m1,g,orders\n\
                2,2026-03-02T08:01:00Z,2026-03-02T08:01:00Z,2026-03-02T08:11:00Z,4,1,m1,,desk\n\
                3,2026-03-02T08:02:00Z,2026-03-02T08:02:00Z,2026-03-02T08:12:00Z,4,1,m1,g,desk\n\
                4,2026-03-02T08:03:00Z,2026-03-02T08:03:00Z,2026-03-02T08:13:00Z,4,1,pc,,desk\n\
                5,2026-03-02T08:04:00Z,2026-03-02T08:04:00Z,2026-03-02T08:14:00Z,4,2,m1,g,orders\n";
    let runs = import_and_replay(dir.path(), &format!("{HEADER}{rows}"), "a");
    // Runs 1, 4 and 5: the group's two and pc's attended one.
    assert_eq!(runs.lines().count() - 1, 3, "{runs}");
    let replay = fs::read_to_string(dir.path().join("a/replay.toml")).expect("replay");
    assert!(
        replay.contains("name = \"desk\"\ntarget = \"pc\"\nmode = \"attended\"\n"),
        "{replay}"
    );
    assert!(!replay.contains("target = \"m1\""), "{replay}");
    let said = import_said(dir.path(), "a");
    assert!(
        said.contains(
            "2 attended runs on machines of a group were left out (the first on m1, of group g): \
             rpasim runs attended runs on standalone machines only"
        ),
        "{said}"
    );
}

/// A flow whose runs never completed (queued or running at the export's
/// end) has no duration of its own: its runs take the median of the
/// history's completed runs, in the replay and in the fitted model, and
/// the console says so (they took 0 s in the replay and 1 ms in the model).
#[test]
fn a_flow_without_a_completed_run_takes_the_history_s_median_duration() {
    let dir = tempfile::tempdir().expect("temp dir");
    let rows = "1,2026-03-02T08:00:00Z,2026-03-02T08:00:00Z,2026-03-02T08:10:00Z,4,0,m1,g,done\n\
                2,2026-03-02T08:20:00Z,2026-03-02T08:20:00Z,2026-03-02T08:50:00Z,4,0,m1,g,done\n\
                3,2026-03-02T09:00:00Z,2026-03-02T09:00:00Z,2026-03-02T09:20:00Z,4,0,m1,g,done\n\
                4,2026-03-02T08:55:00Z,,,1,0,,g,waiting\n";
    let runs = import_and_replay(dir.path(), &format!("{HEADER}{rows}"), "w");
    assert_eq!(runs.lines().count() - 1, 4, "{runs}");
    let trace = fs::read_to_string(dir.path().join("w/traces/flow-002.csv")).expect("trace");
    // Run 4 arrives at 8:55 on the Monday of time 0, for the median 20 min.
    assert_eq!(
        trace,
        "arrival_s,duration_s,outcome\n32100.000,1200.000,succeeded\n"
    );
    let model = fs::read_to_string(dir.path().join("w/scenario.toml")).expect("model");
    let waiting = &model[model.find("name = \"waiting\"").expect("flow")..];
    assert!(
        waiting.contains("duration = { empirical = [\"1200000ms\"] }"),
        "{model}"
    );
    let said = import_said(dir.path(), "w");
    assert!(
        said.contains(
            "flow waiting had no completed run: its runs take the median duration of the \
             history's completed runs, 20m"
        ),
        "{said}"
    );
}

/// A history whose every run is left out (attended runs on machines of a
/// group) has nothing to replay: exit 2 saying why, with nothing written
/// (it wrote scenarios without a flow and an empty calibration, exit 0).
#[test]
fn a_history_with_nothing_to_replay_is_refused_saying_why() {
    let dir = tempfile::tempdir().expect("temp dir");
    let rows = "1,2026-03-02T08:00:00Z,2026-03-02T08:00:00Z,2026-03-02T08:10:00Z,4,1,m1,g,desk\n\
                2,2026-03-02T09:00:00Z,2026-03-02T09:00:00Z,2026-03-02T09:10:00Z,4,1,m2,g,desk\n";
    fs::write(dir.path().join("h.csv"), format!("{HEADER}{rows}")).expect("history");
    let o = run_in(dir.path(), &["import", "h.csv", "--out", "x"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains(
            "h.csv: no run of the history can be replayed: 2 attended runs on machines of a \
             group were left out (the first on m1, of group g)"
        ),
        "{}",
        stderr(&o)
    );
    assert!(!dir.path().join("x").exists());
    let left: Vec<_> = fs::read_dir(dir.path()).expect("dir").collect();
    assert_eq!(left.len(), 1, "only the history: {left:?}");
}

/// A history of more flows than one scenario file can hold (20,000 flows
/// of one run each, on as many machines: a fitted scenario of 9 MB) is
/// refused with exit 2 before anything is written, saying how to narrow
/// it; it was written whole (a trace file a flow), then refused as "not a
/// valid scenario", exit 1.
#[test]
fn a_history_of_too_many_flows_for_one_scenario_is_refused_up_front() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut text = HEADER.to_string();
    for i in 0..20_000 {
        let at = stamp(&i.to_string());
        let end = stamp(&(i + 600).to_string());
        text.push_str(&format!("{},{at},{at},{end},4,2,m{i},,f{i}\n", i + 1));
    }
    fs::write(dir.path().join("h.csv"), text).expect("history");
    let o = run_in(dir.path(), &["import", "h.csv", "--out", "x"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let said = stderr(&o);
    assert!(
        said.contains("h.csv: the history's 20000 flows (a flow on each target it ran on counts once) would make a scenario.toml of")
            && said.contains("more than the 8 MB a scenario may have; import some of them (--flows)"),
        "{said}"
    );
    let left: Vec<_> = fs::read_dir(dir.path()).expect("dir").collect();
    assert_eq!(left.len(), 1, "only the history: {left:?}");
}

/// A history can show more than the service's defaults allow: a group of
/// 60 machines, a machine running 70 runs at once (runs never closed). The
/// replay raises the group limit, caps the machine at the 64 bots a
/// machine can have and says so; it is a valid scenario either way (it was
/// refused as an invalid replay, exit 1).
#[test]
fn a_history_beyond_the_service_s_defaults_still_replays() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut text = HEADER.to_string();
    text.push_str(&minute_apart(60, |i| format!("m{i},g,orders")));
    for i in 0..70 {
        text.push_str(&format!(
            "{},2026-03-02T09:00:{:02}Z,2026-03-02T09:00:{:02}Z,,2,2,big,,stuck\n",
            100 + i,
            i % 60,
            i % 60
        ));
    }
    // Later, so that the export ends after every start.
    text.push_str(
        "200,2026-03-02T10:00:00Z,2026-03-02T10:00:00Z,2026-03-02T10:05:00Z,4,2,pc,,later\n",
    );
    let runs = import_and_replay(dir.path(), &text, "a");
    assert_eq!(runs.lines().count() - 1, 131, "{runs}");
    let replay = fs::read_to_string(dir.path().join("a/replay.toml")).expect("replay");
    assert!(
        replay.contains("[limits]\nmax_bots_per_machine = 64\nmax_machines_per_group = 60\n"),
        "{replay}"
    );
    assert!(replay.contains("name = \"big\"\nbots = 64\n"), "{replay}");
    let out = import_said(dir.path(), "a");
    // The capped machine is always said; of the 61 others, the first ten.
    for said in [
        "machine big: 64 bots (it ran 70 runs at once; a machine has at most 64 bots)",
        "  machine m0: 1 bot, in group g\n",
        "  ... 51 more machines (replay.toml has each)\n",
    ] {
        assert!(out.contains(said), "{said} not in\n{out}");
    }
    assert_eq!(out.matches("  machine m").count(), 10, "{out}");
}

/// Names the service keeps apart and rpasim would not: a machine named
/// like a group is renamed, and a flow's name made for its attended runs
/// that another flow already has is numbered; the replay is valid (both
/// were refused as invalid replays, exit 1).
#[test]
fn names_the_service_keeps_apart_stay_apart() {
    let dir = tempfile::tempdir().expect("temp dir");
    let rows = "1,2026-03-02T08:00:00Z,2026-03-02T08:00:00Z,2026-03-02T08:10:00Z,4,2,x,x,orders\n\
                2,2026-03-02T08:00:00Z,2026-03-02T08:00:00Z,2026-03-02T08:10:00Z,4,1,pc,,f\n\
                3,2026-03-02T08:00:00Z,2026-03-02T08:00:00Z,2026-03-02T08:10:00Z,4,2,pc,,f\n\
                4,2026-03-02T08:00:00Z,2026-03-02T08:00:00Z,2026-03-02T08:10:00Z,4,2,pc,,f (attended)\n";
    let runs = import_and_replay(dir.path(), &format!("{HEADER}{rows}"), "a");
    assert_eq!(runs.lines().count() - 1, 4, "{runs}");
    let replay = fs::read_to_string(dir.path().join("a/replay.toml")).expect("replay");
    for expected in [
        "[[machines]]\nname = \"x (machine)\"\ngroup = \"x\"\n",
        "name = \"f (attended)\"\ntarget = \"pc\"\nmode = \"attended\"\n",
        "name = \"f (attended) (2)\"\ntarget = \"pc\"\narrivals",
    ] {
        assert!(replay.contains(expected), "{expected} in {replay}");
    }
    let said = import_said(dir.path(), "a");
    assert!(
        said.contains("machine x is named like a group: it is x (machine) in the scenarios"),
        "{said}"
    );
}

/// A history with runs on two VMs of a group that is really hosted, and
/// on a machine whose third bot was never used.
const CLOUDY: &str = "flowsessionid,createdon,startedon,completedon,statuscode,runmode,machineidname,machinegroupidname,regardingobjectidname\n\
    1,2026-03-02T08:00:00Z,2026-03-02T08:00:00Z,2026-03-02T08:10:00Z,4,2,vm-1,cloud,orders\n\
    2,2026-03-02T08:00:00Z,2026-03-02T08:00:00Z,2026-03-02T08:10:00Z,4,2,vm-2,cloud,orders\n\
    3,2026-03-02T08:00:00Z,2026-03-02T08:00:00Z,2026-03-02T08:30:00Z,4,2,pc,,reports\n\
    4,2026-03-02T08:00:00Z,2026-03-02T08:30:00Z,2026-03-02T09:00:00Z,4,2,pc,,reports\n";

#[test]
fn a_fleet_file_gives_what_the_history_cannot_tell() {
    let dir = tempfile::tempdir().expect("temp dir");
    fs::write(dir.path().join("h.csv"), CLOUDY).expect("history");
    fs::write(
        dir.path().join("fleet.toml"),
        "# Our tenant.\n[[environments]]\nname = \"prod\"\nhosted_capacity = 6\n\n\
         [[hosted_groups]]\nname = \"cloud\"\nenvironment = \"prod\"\nmax_bots = 6\n\n\
         [[machines]]\nname = \"pc\"\nbots = 2\n",
    )
    .expect("fleet");
    let o = run_in(
        dir.path(),
        &["import", "h.csv", "--fleet", "fleet.toml", "--out", "o"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    for said in [
        "group cloud: as fleet.toml gives it (hosted)",
        "machine pc: as fleet.toml gives it (the history showed 1 bot)",
        "2 machines seen in hosted groups are their VMs, not machines of their own",
        "fleet.toml adds prod",
    ] {
        assert!(out.contains(said), "{said} not in\n{out}");
    }
    let replay = fs::read_to_string(dir.path().join("o/replay.toml")).expect("replay");
    assert!(replay.contains("# Our tenant."), "{replay}");
    assert!(
        !replay.contains("vm-1") && !replay.contains("[[machine_groups]]"),
        "{replay}"
    );
    assert_eq!(replay.matches("name = \"pc\"").count(), 1, "{replay}");
    // With pc's second bot the second report does not wait: the
    // calibration says the history waited longer than this fleet explains.
    let calibration = fs::read_to_string(dir.path().join("o/calibration.csv")).expect("csv");
    assert!(
        calibration.contains("reports,pc,2,2,900.000,0.000,"),
        "{calibration}"
    );
    // The fitted model has the same fleet.
    let o = run_in(dir.path(), &["validate", "o/scenario.toml"]);
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn a_fleet_file_that_is_not_a_fleet_exits_2_naming_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    fs::write(dir.path().join("h.csv"), CLOUDY).expect("history");
    let cases = [
        (
            "work.toml",
            "[[flows]]\nname = \"x\"\n",
            "work.toml:1:1: \"flows\": not part of a fleet",
        ),
        (
            "syntax.toml",
            "[[machines]]\nname = \"pc\"\nbots = = 2\n",
            // FILE:LINE:CHARACTER, as for scenarios: editors open it.
            "syntax.toml:3:8: not valid TOML",
        ),
        (
            "group.toml",
            "# ok\n[[machines]]\nname = \"pc\"\ngroup = \"nowhere\"\n",
            "group.toml:4:9: machines.pc.group: ",
        ),
        ("binary.toml", "\u{0}\u{1}\u{2}", "binary.toml"),
        // An entry without a name, or with one that is not text, is told
        // at its place (it was "machines[0].name: expected a name").
        (
            "nameless.toml",
            "[limits]\nmax_runs = 1000\n\n[[machines]]\nbots = 2\n",
            "nameless.toml:4:1: machines[0]: missing field `name`",
        ),
        (
            "number.toml",
            "[[machines]]\nname = \"pc\"\n[[machines]]\nname = 5\n",
            "number.toml:4:8: machines[1].name: invalid type: integer `5`, expected a string",
        ),
    ];
    for (file, text, expected) in cases {
        fs::write(dir.path().join(file), text).expect("fleet");
        let out = format!("out-{file}");
        let o = run_in(
            dir.path(),
            &["import", "h.csv", "--fleet", file, "--out", &out],
        );
        assert_eq!(o.status.code(), Some(2), "{file}: {}", stderr(&o));
        assert!(stderr(&o).contains(expected), "{file}: {}", stderr(&o));
        assert!(!dir.path().join(out).exists(), "{file}: written");
    }
}

#[test]
fn duration_columns_are_cross_checked_not_trusted() {
    // runwaitduration in seconds (one row wrong), runexecutionduration in
    // milliseconds: the replay takes the timestamps either way.
    let dir = tempfile::tempdir().expect("temp dir");
    let text = "flowsessionid,createdon,startedon,completedon,statuscode,runmode,machineidname,regardingobjectidname,runwaitduration,runexecutionduration\n\
                1,2026-03-02T08:00:00Z,2026-03-02T08:00:00Z,2026-03-02T08:10:00Z,4,2,pc,f,0,600000\n\
                2,2026-03-02T08:00:00Z,2026-03-02T08:10:00Z,2026-03-02T08:20:00Z,4,2,pc,f,600,600000\n\
                3,2026-03-02T09:00:00Z,2026-03-02T09:00:00Z,2026-03-02T09:10:00Z,4,2,pc,f,999,n/a\n";
    fs::write(dir.path().join("h.csv"), text).expect("write");
    let o = run_in(dir.path(), &["import", "h.csv", "--out", "o"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    for said in [
        "runwaitduration agrees with the timestamps in 2 of 3 rows (66.7 %, read as seconds)",
        "runexecutionduration agrees with the timestamps in 2 of 2 rows (100.0 %, read as milliseconds)",
    ] {
        assert!(out.contains(said), "{said} not in\n{out}");
    }
    let trace = fs::read_to_string(dir.path().join("o/traces/flow-001.csv")).expect("trace");
    assert!(trace.contains("\n32400.000,600.000,succeeded"), "{trace}");
}

/// With many flows the console gives the first ten verdicts and how many
/// more there are; `calibration.csv` has every flow.
#[test]
fn the_console_gives_the_first_verdicts_and_counts_the_rest() {
    let dir = tempfile::tempdir().expect("temp dir");
    let text = format!(
        "{HEADER}{}",
        minute_apart(12, |i| format!("pc,,flow{i:02}"))
    );
    fs::write(dir.path().join("h.csv"), text).expect("write");
    let out = import_said(dir.path(), "h");
    assert!(
        out.contains("  calibration: of 12 flows, 12 fit\n"),
        "{out}"
    );
    assert_eq!(out.matches("  calibration: flow").count(), 10, "{out}");
    assert!(out.contains("  calibration: flow09: "), "{out}");
    assert!(
        out.contains("  ... 2 more flows (calibration.html has each verdict)\n"),
        "{out}"
    );
    let csv = fs::read_to_string(dir.path().join("h/calibration.csv")).expect("csv");
    assert_eq!(csv.lines().count(), 13, "{csv}");
}

/// A run that names no target (queued when the history was exported) goes
/// to its flow's most used target; between two as used, to the first by
/// name. Each flow here ran on two machines, so each is two streams.
#[test]
fn a_run_without_a_target_goes_to_its_flows_most_used_one() {
    let mut history = String::from(
        "flowsessionid,createdon,startedon,completedon,statuscode,runmode,machineidname,\
         machinegroupidname,regardingobjectidname\n",
    );
    let runs = [
        ("tie", "vm-b"),
        ("tie", "vm-b"),
        ("tie", "vm-a"),
        ("tie", "vm-a"),
        ("tie", ""),
        ("most", "vm-b"),
        ("most", "vm-b"),
        ("most", "vm-b"),
        ("most", "vm-a"),
        ("most", ""),
    ];
    for (i, (flow, machine)) in runs.iter().enumerate() {
        let (created, started, completed, status) = match machine.is_empty() {
            false => (
                format!("{i:02}:00"),
                format!("{i:02}:01"),
                format!("{i:02}:05"),
                4,
            ),
            true => (format!("{i:02}:00"), String::new(), String::new(), 2),
        };
        let at = |hm: &str| match hm {
            "" => String::new(),
            hm => format!("2026-03-02T{hm}:00Z"),
        };
        history.push_str(&format!(
            "{i},{},{},{},{status},2,{machine},,{flow}\n",
            at(&created),
            at(&started),
            at(&completed)
        ));
    }
    let dir = tempfile::tempdir().expect("temp dir");
    fs::write(dir.path().join("h.csv"), history).expect("history");
    let o = run_in(dir.path(), &["import", "h.csv", "--out", "o", "-q"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let replay: toml::Table = fs::read_to_string(dir.path().join("o/replay.toml"))
        .expect("replay")
        .parse()
        .expect("TOML");
    let flows = replay["flows"].as_array().expect("flows");
    let runs_of = |name: &str| {
        let flow = flows.iter().find(|f| f["name"].as_str() == Some(name));
        let trace = flow.expect(name)["arrivals"]["trace"]
            .as_str()
            .expect("a trace");
        let text = fs::read_to_string(dir.path().join("o").join(trace)).expect("trace");
        text.lines().count() - 1
    };
    assert_eq!(runs_of("most @ vm-b"), 4);
    assert_eq!(runs_of("most @ vm-a"), 1);
    assert_eq!(runs_of("tie @ vm-a"), 3);
    assert_eq!(runs_of("tie @ vm-b"), 2);
}

/// A machine that joined a group during the history ran runs naming it
/// alone before: they queue on its group (a flow cannot target a machine of
/// a group, and the import failed asking to report it). A machine that ran
/// for two groups is in the first, and a group left without a machine is
/// named, since its runs fail in the replay. Found by mutating the bundled
/// history.
#[test]
fn runs_of_machines_that_joined_or_left_a_group_are_reconciled_and_said_so() {
    let dir = tempfile::tempdir().expect("temp dir");
    let rows = "1,2026-03-02T08:00:00Z,2026-03-02T08:00:00Z,2026-03-02T08:10:00Z,4,2,m1,,orders\n\
                2,2026-03-02T08:20:00Z,2026-03-02T08:20:00Z,2026-03-02T08:30:00Z,4,2,m1,g,orders\n\
                3,2026-03-02T08:40:00Z,2026-03-02T08:40:00Z,2026-03-02T08:50:00Z,4,2,m1,g,orders\n\
                4,2026-03-02T09:00:00Z,2026-03-02T09:00:00Z,2026-03-02T09:10:00Z,4,2,m1,,orders\n\
                5,2026-03-02T09:20:00Z,2026-03-02T09:20:00Z,2026-03-02T09:30:00Z,4,2,m1,h,orders\n";
    let runs = import_and_replay(dir.path(), &format!("{HEADER}{rows}"), "j");
    let header: Vec<&str> = runs.lines().next().expect("a header").split(',').collect();
    let column = |name: &str| -> Vec<&str> {
        let i = header.iter().position(|c| *c == name).expect(name);
        runs.lines()
            .skip(1)
            .map(|l| l.split(',').nth(i).expect(name))
            .collect()
    };
    assert_eq!(column("target"), ["g", "g", "g", "g", "h"], "{runs}");
    let outcomes = column("outcome");
    assert_eq!(outcomes[..4], ["succeeded"; 4], "{runs}");
    assert_eq!(outcomes[4], "group_empty", "{runs}");
    let replay = fs::read_to_string(dir.path().join("j/replay.toml")).expect("replay");
    assert!(
        replay.contains("name = \"m1\"\ngroup = \"g\"\n"),
        "{replay}"
    );
    let said = import_said(dir.path(), "j");
    for note in [
        "2 runs named a machine of a group but no group (the first on m1, of group g; run before \
         it joined the group?): queued on the machine's group in the scenarios",
        "1 machine ran runs of more than one group (the first, m1, of g and of h (1 run)): a \
         machine is in one group in the scenarios, the first it ran for",
        "group h has no machine of its own in the scenarios: its runs fail (group_empty) in the \
         replay",
    ] {
        assert!(said.contains(note), "{said}");
    } // A fleet file that puts m1 in h and declares g as a group of m2: the
    // runs of no group queue on h, m1's group now, and no group lacks a
    // machine.
    fs::write(
        dir.path().join("fleet.toml"),
        "[[machine_groups]]\nname = \"g\"\n\n[[machines]]\nname = \"m2\"\ngroup = \"g\"\n\n\
         [[machines]]\nname = \"m1\"\ngroup = \"h\"\n",
    )
    .expect("fleet");
    let o = run_in(
        dir.path(),
        &["import", "j.csv", "--fleet", "fleet.toml", "--out", "f"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let said = stdout(&o);
    assert!(
        said.contains(
            "2 runs named a machine of a group but no group (the first on m1, of group h;"
        ),
        "{said}"
    );
    assert!(
        said.contains("(the first, m1, of h and of g (2 runs))"),
        "{said}"
    );
    assert!(!said.contains("no machine of its own"), "{said}");
    let replay = fs::read_to_string(dir.path().join("f/replay.toml")).expect("replay");
    assert!(
        replay.contains("name = \"orders @ h\"\ntarget = \"h\"\n"),
        "{replay}"
    );
}

/// A date standing for a missing one (0001-01-01, 9999-12-31) made the
/// history span thousands of years: the import wrote a replay it then
/// called invalid, asking to report it (exit 1). Beyond the 1000 years a
/// scenario may simulate it is exit 2, naming both ends; a year or more
/// with nothing in it (1970-01-01) is said, naming the instants around it.
#[test]
fn a_history_spanning_centuries_is_refused_and_a_year_of_nothing_is_told() {
    let dir = tempfile::tempdir().expect("temp dir");
    let rows = |first: &str, last: &str| {
        format!(
            "{HEADER}1,{first},,,2,2,m1,,orders\n\
             2,2026-03-02T08:20:00Z,2026-03-02T08:20:00Z,2026-03-02T08:30:00Z,4,2,m1,,orders\n\
             3,2026-03-02T08:40:00Z,2026-03-02T08:40:00Z,{last},4,2,m1,,late\n"
        )
    };
    fs::write(
        dir.path().join("h.csv"),
        rows("0001-01-01T00:00:00", "2026-03-02T08:50:00Z"),
    )
    .expect("history");
    let o = run_in(dir.path(), &["import", "h.csv", "--out", "x"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains(
            "h.csv: the history spans 2025 years, from 0001-01-01T00:00:00Z (the createdon of a \
             run of flow \"orders\") to 2026-03-02T08:50:00Z (the completedon of a run of flow \
             \"late\"): more than the 1000 years a scenario may simulate"
        ),
        "{}",
        stderr(&o)
    );
    assert!(!dir.path().join("x").exists());
    fs::write(
        dir.path().join("h.csv"),
        rows("2026-03-02T08:00:00Z", "9999-12-31T23:59:59.9999999"),
    )
    .expect("history");
    let o = run_in(dir.path(), &["import", "h.csv", "--out", "x"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o)
            .contains("to 9999-12-31T23:59:59.999Z (the completedon of a run of flow \"late\")"),
        "{}",
        stderr(&o)
    );
    fs::write(
        dir.path().join("n.csv"),
        rows("1970-01-01T00:00:00", "2026-03-02T08:50:00Z"),
    )
    .expect("history");
    let said = import_said(dir.path(), "n");
    assert!(
        said.contains(
            "nothing happens for 56 years in the history, between 1970-01-01T00:00:00Z (the \
             createdon of a run of flow \"orders\") and 2026-03-02T08:20:00Z (the createdon of a \
             run of flow \"orders\")"
        ),
        "{said}"
    );
    // The page passed on says it too, with what else was inferred.
    let page = fs::read_to_string(dir.path().join("n/calibration.html")).expect("page");
    let from = page.find("<h2>From the history</h2>").expect("the section");
    assert!(
        page[from..].contains("nothing happens for 56 years"),
        "{page}"
    );
    assert!(
        page[from..].contains("0 machine groups and 1 machine, from"),
        "{page}"
    );
    // A history of weeks is not looked through for such gaps, nor told one.
    fs::write(
        dir.path().join("w.csv"),
        rows("2026-02-02T08:00:00Z", "2026-03-02T08:50:00Z"),
    )
    .expect("history");
    assert!(!import_said(dir.path(), "w").contains("nothing happens"));
}
