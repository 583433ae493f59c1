//! The `rpasim` binary: outputs, determinism, and errors with exit status 2.

use crate::common;

use std::fs;
use std::path::Path;

use common::{repo, run_in, stderr, stdout};

const BASE: &str = r#"[simulation]
seed = 11
horizon = "3d"

[[machine_groups]]
name = "sales"

[[machines]]
name = "vm-01"
group = "sales"
bots = 2

[[machines]]
name = "vm-02"
group = "sales"
bots = 1

[[flows]]
name = "invoices"
target = "sales"
duration = { exponential = { mean = "20m" } }
arrivals = { poisson = { per_hour = 6 } }
"#;

fn write(dir: &Path, name: &str, text: &str) {
    fs::write(dir.join(name), text).expect("write test file");
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

const OUTPUTS: [&str; 4] = ["runs.csv", "summary.csv", "timeseries.csv", "scenario.toml"];

#[test]
fn quickstart_runs_and_writes_every_output() {
    let dir = tempfile::tempdir().expect("temp dir");
    let scenario = repo().join("scenarios/quickstart.toml");
    let out = run_in(dir.path(), &["run", scenario.to_str().expect("utf-8 path")]);
    assert!(out.status.success(), "{}", stderr(&out));
    // No progress bar when stderr is not a terminal (here, a pipe).
    assert_eq!(stderr(&out), "");
    let reports = dir.path().join("reports/quickstart");
    for f in OUTPUTS {
        assert!(reports.join(f).is_file(), "{f} missing");
    }
    let summary = read(&reports.join("summary.csv"));
    assert!(summary.starts_with(
        "target,arrivals,succeeded,failed,queue_full,queue_timeout,run_timeout,in_flight,wait_mean_s,\
         wait_p50_s,wait_p95_s,wait_p99_s,wait_max_s,utilization,bot_hours,cold_starts"
    ));
    let rows: Vec<&str> = summary
        .lines()
        .map(|l| l.split(',').next().unwrap_or(""))
        .collect();
    assert_eq!(rows, vec!["target", "sales", "reporting-pc", "all"]);
    // The console table has the same arrivals as the summary.
    let all_arrivals = summary
        .lines()
        .last()
        .and_then(|l| l.split(',').nth(1))
        .expect("all row");
    assert!(
        stdout(&out)
            .lines()
            .any(|l| l.starts_with("all") && l.contains(all_arrivals)),
        "{}",
        stdout(&out)
    );
    // Nothing but the output directory is left behind.
    let entries: Vec<_> = fs::read_dir(dir.path().join("reports"))
        .expect("ls")
        .collect();
    assert_eq!(entries.len(), 1);
}

#[test]
fn same_seed_gives_identical_bytes_and_another_seed_differs() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(dir.path(), "s.toml", BASE);
    for (out, seed) in [("a", "11"), ("b", "11"), ("c", "12")] {
        let o = run_in(
            dir.path(),
            &["run", "s.toml", "--out", out, "--seed", seed, "--quiet"],
        );
        assert!(o.status.success(), "{}", stderr(&o));
        assert!(stdout(&o).is_empty(), "--quiet prints nothing");
    }
    for f in ["runs.csv", "summary.csv", "timeseries.csv"] {
        let a = fs::read(dir.path().join("a").join(f)).expect("read");
        let b = fs::read(dir.path().join("b").join(f)).expect("read");
        let c = fs::read(dir.path().join("c").join(f)).expect("read");
        assert!(a.len() > 100);
        assert_eq!(a, b, "{f} differs between two runs of the same seed");
        assert_ne!(a, c, "{f} is the same for another seed");
    }
}

/// Every run of `flow` in a runs.csv: arrival_s, and end_s - start_s in
/// milliseconds for runs that completed (their sampled duration).
fn arrivals_and_durations(runs_csv: &Path, flow: &str) -> Vec<(String, Option<i64>)> {
    let mut reader = csv::Reader::from_path(runs_csv).expect("runs.csv");
    let ms = |s: &str| (s.parse::<f64>().expect("seconds") * 1000.0).round() as i64;
    reader
        .records()
        .map(|r| r.expect("row"))
        .filter(|r| &r[1] == flow)
        .map(|r| {
            let done = matches!(&r[10], "succeeded" | "failed");
            (r[4].to_string(), done.then(|| ms(&r[6]) - ms(&r[5])))
        })
        .collect()
}

#[test]
fn adding_an_unrelated_flow_leaves_a_flows_draws_unchanged() {
    let dir = tempfile::tempdir().expect("temp dir");
    // The new flow competes for the same group, so starts move; the first
    // flow's arrivals and sampled durations must not.
    let extra = r#"
[[flows]]
name = "payroll"
target = "sales"
priority = "high"
duration = { lognormal = { mean = "30m", sd = "10m" } }
arrivals = { poisson = { per_hour = 2 } }
"#;
    write(dir.path(), "one.toml", BASE);
    write(dir.path(), "two.toml", &format!("{BASE}{extra}"));
    for s in ["one", "two"] {
        let o = run_in(
            dir.path(),
            &["run", &format!("{s}.toml"), "--out", s, "--quiet"],
        );
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let one = arrivals_and_durations(&dir.path().join("one/runs.csv"), "invoices");
    let two = arrivals_and_durations(&dir.path().join("two/runs.csv"), "invoices");
    assert!(one.len() > 300, "{} runs", one.len());
    let arrivals =
        |v: &[(String, Option<i64>)]| v.iter().map(|(a, _)| a.clone()).collect::<Vec<_>>();
    assert_eq!(arrivals(&one), arrivals(&two));
    let mut compared = 0;
    for ((_, d1), (_, d2)) in one.iter().zip(&two) {
        if let (Some(d1), Some(d2)) = (d1, d2) {
            assert_eq!(d1, d2);
            compared += 1;
        }
    }
    assert!(compared > 300, "{compared} durations compared");
    // ... while the added flow did change when invoices started.
    assert_ne!(
        read(&dir.path().join("one/runs.csv")),
        read(&dir.path().join("two/runs.csv"))
    );
}

#[test]
fn set_overrides_a_value_and_validate_reports_validity() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(dir.path(), "s.toml", BASE);
    let o = run_in(
        dir.path(),
        &[
            "run",
            "s.toml",
            "--out",
            "o",
            "--set",
            "machines.vm-02.bots=3",
            "--quiet",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(read(&dir.path().join("o/scenario.toml")).contains("bots = 3"));
    let bot_hours = read(&dir.path().join("o/summary.csv"));
    // 5 bots for 72 hours.
    assert!(
        bot_hours
            .lines()
            .nth(1)
            .is_some_and(|l| l.contains(",360.000,")),
        "{bot_hours}"
    );
    let v = run_in(dir.path(), &["validate", "s.toml"]);
    assert!(v.status.success());
    assert!(
        stdout(&v).contains("valid (1 targets, 2 machines, 1 flows"),
        "{}",
        stdout(&v)
    );
}

/// Runs `validate` and `run` on a broken scenario: both exit 2 with
/// `expected` in the message, and `run` leaves no output directory.
fn assert_invalid(text: &str, expected: &[&str]) {
    let dir = tempfile::tempdir().expect("temp dir");
    write(dir.path(), "bad.toml", text);
    for args in [
        vec!["validate", "bad.toml"],
        vec!["run", "bad.toml", "--out", "out"],
    ] {
        let o = run_in(dir.path(), &args);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        for e in expected {
            assert!(err.contains(e), "{args:?}: expected {e:?} in:\n{err}");
        }
        assert!(!err.contains("panicked"), "{err}");
    }
    let left: Vec<_> = fs::read_dir(dir.path())
        .expect("ls")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(
        left,
        vec![std::ffi::OsString::from("bad.toml")],
        "a failed run left files behind"
    );
}

#[test]
fn toml_syntax_error_names_file_line_and_column() {
    assert_invalid(
        &BASE.replace("bots = 1", "bots = = 1"),
        &["bad.toml:16:8:", "invalid TOML"],
    );
}

#[test]
fn unknown_key_is_an_error() {
    assert_invalid(
        &BASE.replace("bots = 1", "bots = 1\ncores = 4"),
        &[
            "bad.toml:17:1:",
            "machines.vm-02.cores",
            "unknown field `cores`",
        ],
    );
}

#[test]
fn unknown_target_is_an_error() {
    assert_invalid(
        &BASE.replace("target = \"sales\"", "target = \"sale\""),
        &[
            "bad.toml:20:10:",
            "flows.invoices.target",
            "did you mean \"sales\"",
        ],
    );
}

#[test]
fn duplicate_names_are_an_error() {
    assert_invalid(
        &BASE.replace("name = \"vm-02\"", "name = \"vm-01\""),
        &["bad.toml:14:8:", "duplicate name \"vm-01\""],
    );
}

#[test]
fn groups_over_fifty_machines_are_an_error() {
    let mut text = BASE.to_string();
    for i in 0..49 {
        text.push_str(&format!(
            "\n[[machines]]\nname = \"extra-{i}\"\ngroup = \"sales\"\n"
        ));
    }
    assert_invalid(&text, &["bad.toml:6:8:", "group \"sales\" has 51 machines"]);
}

#[test]
fn bots_outside_one_to_ten_are_an_error() {
    assert_invalid(
        &BASE.replace("bots = 2", "bots = 12"),
        &["bad.toml:11:8:", "machines.vm-01.bots", "1 to 10"],
    );
    assert_invalid(&BASE.replace("bots = 2", "bots = 0"), &["bad.toml:11:8:"]);
}

#[test]
fn non_positive_rates_and_durations_are_errors() {
    assert_invalid(
        &BASE.replace("per_hour = 6", "per_hour = -2"),
        &[
            "bad.toml:22:",
            "flows.invoices.arrivals.poisson.per_hour",
            "positive rate",
        ],
    );
    assert_invalid(
        &BASE.replace("mean = \"20m\"", "mean = \"0s\""),
        &[
            "bad.toml:21:",
            "flows.invoices.duration.exponential.mean",
            "must be positive",
        ],
    );
}

#[test]
fn malformed_durations_are_errors() {
    assert_invalid(
        &BASE.replace("horizon = \"3d\"", "horizon = \"3 dayz\""),
        &[
            "bad.toml:3:11:",
            "simulation.horizon",
            "invalid duration \"3 dayz\"",
        ],
    );
}

#[test]
fn malformed_traces_name_the_trace_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(dir.path(), "t.csv", "run,arrival_s\n1,60\n2,tomorrow\n");
    write(
        dir.path(),
        "bad.toml",
        &BASE.replace("{ poisson = { per_hour = 6 } }", "{ trace = \"t.csv\" }"),
    );
    let o = run_in(dir.path(), &["run", "bad.toml"]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("t.csv:3: flows.invoices.arrivals.trace"),
        "{err}"
    );
    assert!(err.contains("\"tomorrow\""), "{err}");
}

#[test]
fn bad_arguments_exit_2_and_io_failures_exit_1() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(dir.path(), "s.toml", BASE);
    assert_eq!(
        run_in(dir.path(), &["run", "s.toml", "--frobnicate"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        run_in(dir.path(), &["run", "s.toml", "--set", "no-equals"])
            .status
            .code(),
        Some(2)
    );
    let missing = run_in(dir.path(), &["run", "missing.toml"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(stderr(&missing).contains("missing.toml: cannot read the scenario"));
    // An output directory under a regular file cannot be created.
    write(dir.path(), "file", "");
    let o = run_in(dir.path(), &["run", "s.toml", "--out", "file/out"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
}

#[test]
fn every_bundled_scenario_is_valid() {
    let dir = repo().join("scenarios");
    let mut n = 0;
    for entry in fs::read_dir(&dir).expect("scenarios/") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "toml") {
            let o = run_in(&repo(), &["validate", path.to_str().expect("utf-8")]);
            assert!(o.status.success(), "{}: {}", path.display(), stderr(&o));
            // After the line naming its JSON Schema, a header comment.
            let head = read(&path);
            let head = head.split_once('\n').map_or("", |(_, rest)| rest);
            assert!(
                head.starts_with("# "),
                "{} has no header comment",
                path.display()
            );
            n += 1;
        }
    }
    assert!(n >= 3, "only {n} scenarios");
}

#[test]
fn hosted_burst_metrics_match_a_hand_computation() {
    // 20 half-hour runs at 0 on a cold group of at most 5 bots (capacity 5,
    // provisioning 10 min): waves at 10, 40, 70, 100 min; the 5 bots live
    // from 0 until 3 h after the last run ends (130 min), i.e. 310 min.
    let scenario = r#"[simulation]
horizon = "10h"
sample_every = "10m"

[[environments]]
name = "prod"
hosted_capacity = 5

[[hosted_groups]]
name = "pool"
max_bots = 5

[[flows]]
name = "burst"
target = "pool"
duration = "30m"
arrivals = { at = ["0s", "0s", "0s", "0s", "0s", "0s", "0s", "0s", "0s", "0s", "0s", "0s", "0s", "0s", "0s", "0s", "0s", "0s", "0s", "0s"] }
"#;
    let dir = tempfile::tempdir().expect("temp dir");
    write(dir.path(), "h.toml", scenario);
    let o = run_in(dir.path(), &["run", "h.toml", "--out", "o", "--quiet"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let mut summary = csv::Reader::from_path(dir.path().join("o/summary.csv")).expect("summary");
    let headers = summary.headers().expect("header").clone();
    let row = summary.records().next().expect("a row").expect("valid");
    let get = |name: &str| row[headers.iter().position(|h| h == name).expect(name)].to_string();
    assert_eq!(get("target"), "pool");
    assert_eq!(get("cold_starts"), "5");
    assert_eq!(get("bot_hours"), format!("{:.3}", 5.0 * 310.0 / 60.0));
    assert_eq!(get("busy_bot_hours"), "10.000");
    // Waits: 5 runs each at 10, 40, 70, 100 min; 10 of them provisioning.
    assert_eq!(
        get("wait_mean_s"),
        format!("{:.3}", 5.0 * (10.0 + 40.0 + 70.0 + 100.0) * 60.0 / 20.0)
    );
    assert_eq!(
        get("provisioning_wait_share"),
        format!("{:.6}", 50.0 / 1100.0)
    );
    // Time series: at 20 min five bots busy, the environment's capacity full.
    let ts = read(&dir.path().join("o/timeseries.csv"));
    assert!(
        ts.lines().any(|l| l == "1200.000,pool,15,5,0,0,5,prod,5,0"),
        "{ts}"
    );
    assert!(
        ts.lines().any(|l| l == "0.000,pool,20,0,0,5,0,prod,5,0"),
        "{ts}"
    );
    // The group goes cold 3 h after its last run: 310 min.
    let events = read(&dir.path().join("o/events.csv"));
    assert_eq!(
        events,
        "time_s,event,target,machine,flow,detail\n18600.000,group_cold,pool,,,5 idle bots deprovisioned\n"
    );
    let runs = read(&dir.path().join("o/runs.csv"));
    assert_eq!(
        runs.lines()
            .filter(|l| l.contains(",600.000,1,600.000,0,0,"))
            .count(),
        5,
        "five cold starts of 10 min, all of it provisioning"
    );
    // Every run waited the first 10 minutes for provisioning (no bot was
    // ready), then for busy bots (the group at max_bots): waves at 10, 40,
    // 70 and 100 minutes.
    let mut table = csv::Reader::from_reader(runs.as_bytes());
    let header = table.headers().expect("header").clone();
    let col = |name: &str| header.iter().position(|h| h == name).expect(name);
    let (wait, prov, busy) = (
        col("wait_s"),
        col("wait_provisioning_s"),
        col("wait_busy_s"),
    );
    let mut waves = Vec::new();
    for row in table.records() {
        let row = row.expect("row");
        let secs = |i: usize| row[i].parse::<f64>().expect("seconds");
        assert_eq!(secs(prov), 600.0, "{row:?}");
        assert_eq!(secs(busy), secs(wait) - 600.0, "{row:?}");
        waves.push(secs(wait) as u64 / 60);
    }
    waves.sort_unstable();
    waves.dedup();
    assert_eq!(waves, vec![10, 40, 70, 100]);
}

#[test]
fn hosted_limits_are_errors_with_exit_status_2() {
    let base = "[simulation]\nhorizon = \"1d\"\n\n[[environments]]\nname = \"prod\"\nhosted_capacity = 4\n\n[[hosted_groups]]\nname = \"g\"\nmax_bots = 4\ncommitted_bots = 1\n";
    assert_invalid(
        &base.replace("max_bots = 4", "max_bots = 5"),
        &[
            "bad.toml:10:12:",
            "hosted_groups.g.max_bots",
            "hosted capacity",
        ],
    );
    assert_invalid(
        &base.replace("committed_bots = 1", "committed_bots = 5"),
        &["bad.toml:11:18:", "more than max_bots"],
    );
    assert_invalid(
        &base.replace(
            "hosted_capacity = 4",
            "hosted_capacity = 4\nlicense = \"trial\"",
        ),
        &["bad.toml:6:19:", "fixes hosted_capacity at 2"],
    );
}

#[test]
fn no_run_starts_on_a_machine_offline_or_in_maintenance_per_the_output_files() {
    let mut scenario = String::from(
        "[simulation]\nseed = 4\nhorizon = \"5d\"\n\n[scheduler]\nrequeue_lost_runs = true\n\n\
         [[machine_groups]]\nname = \"g\"\n",
    );
    for m in 1..=3 {
        scenario.push_str(&format!(
            "\n[[machines]]\nname = \"m{m}\"\ngroup = \"g\"\nbots = 2\nmtbf = \"8h\"\nrepair = {{ exponential = {{ mean = \"1h\" }} }}\n"
        ));
    }
    scenario.push_str(
        "\n[[flows]]\nname = \"f\"\ntarget = \"g\"\nduration = { exponential = { mean = \"40m\" } }\narrivals = { poisson = { per_hour = 5 } }\n",
    );
    for (at, m) in [("6h", 1), ("1d", 2), ("2d3h", 3), ("3d", 1)] {
        scenario.push_str(&format!(
            "\n[[events]]\nat = \"{at}\"\nkind = \"maintenance\"\ntarget = \"m{m}\"\nfor = \"5h\"\n"
        ));
    }
    let dir = tempfile::tempdir().expect("temp dir");
    write(dir.path(), "ops.toml", &scenario);
    let o = run_in(dir.path(), &["run", "ops.toml", "--out", "o", "--quiet"]);
    assert!(o.status.success(), "{}", stderr(&o));

    // Intervals during which each machine takes no new run, from events.csv.
    let ms = |s: &str| (s.parse::<f64>().expect("seconds") * 1000.0).round() as i64;
    let mut open: std::collections::BTreeMap<(String, &str), i64> = Default::default();
    let mut blocked: Vec<(String, i64, i64)> = Vec::new();
    let mut offline_starts: Vec<(String, i64)> = Vec::new();
    let mut events = csv::Reader::from_path(dir.path().join("o/events.csv")).expect("events.csv");
    for row in events.records() {
        let row = row.expect("row");
        let (t, kind, machine) = (ms(&row[0]), row[1].to_string(), row[3].to_string());
        match kind.as_str() {
            "machine_offline" => {
                open.insert((machine.clone(), "offline"), t);
                offline_starts.push((machine, t));
            }
            "maintenance_started" => {
                open.insert((machine, "maintenance"), t);
            }
            "machine_online" | "maintenance_ended" => {
                let what = if kind == "machine_online" {
                    "offline"
                } else {
                    "maintenance"
                };
                let start = open
                    .remove(&(machine.clone(), what))
                    .expect("an end follows a start");
                blocked.push((machine, start, t));
            }
            other => panic!("unexpected event {other}"),
        }
    }
    assert!(
        offline_starts.len() > 10,
        "{} outages",
        offline_starts.len()
    );
    assert_eq!(
        blocked
            .iter()
            .filter(|(_, a, b)| b - a == 5 * 3_600_000)
            .count(),
        4,
        "four 5-hour windows"
    );

    let mut lost = 0;
    let mut requeued = 0;
    let mut runs = csv::Reader::from_path(dir.path().join("o/runs.csv")).expect("runs.csv");
    for row in runs.records() {
        let row = row.expect("row");
        if row[5].is_empty() {
            continue;
        }
        let (start, machine) = (ms(&row[5]), row[8].to_string());
        for (m, a, b) in &blocked {
            assert!(
                !(*m == machine && *a < start && start < *b),
                "run {} started at {start} on {m}, blocked {a}..{b}",
                &row[0]
            );
        }
        if &row[10] == "machine_lost" {
            lost += 1;
        }
        requeued += usize::from(&row[12] != "1");
    }
    // With re-queueing, no run is lost; some were interrupted and restarted.
    assert_eq!(lost, 0);
    assert!(requeued > 0);
}

#[test]
fn operations_errors_exit_2_with_their_location() {
    let base = "[simulation]\nhorizon = \"1d\"\n\n[[machine_groups]]\nname = \"g\"\n\n[[machines]]\nname = \"m\"\ngroup = \"g\"\n\n\
                [[flows]]\nname = \"f\"\ntarget = \"g\"\nmode = \"attended\"\nduration = \"1m\"\narrivals = { every = \"1h\" }\n";
    assert_invalid(base, &["bad.toml:14:8:", "flows.f.mode", "not a group"]);
    let event = base.replace("mode = \"attended\"\n", "")
        + "\n[[events]]\nat = \"1h\"\nkind = \"offline\"\ntarget = \"m\"\nfor = \"1h\"\nrun = 3\n";
    assert_invalid(
        &event,
        &[
            "bad.toml:22:7:",
            "events[0].run",
            "does not apply to kind \"offline\"",
        ],
    );
}

#[test]
fn runs_none_writes_the_same_summaries_without_runs_csv_and_stats_say_each_phase() {
    let dir = tempfile::tempdir().expect("temp dir");
    let quickstart = repo().join("scenarios/quickstart.toml");
    let path = quickstart.to_str().expect("utf-8");
    let all = run_in(
        dir.path(),
        &["run", path, "--out", "all", "-q", "--no-charts"],
    );
    assert!(all.status.success(), "{}", stderr(&all));
    let none = run_in(
        dir.path(),
        &["run", path, "--out", "none", "--runs", "none", "--stats"],
    );
    assert!(none.status.success(), "{}", stderr(&none));
    assert!(!dir.path().join("none/runs.csv").exists());
    for file in [
        "summary.csv",
        "summary-flows.csv",
        "timeseries.csv",
        "events.csv",
    ] {
        assert_eq!(
            read(&dir.path().join("all").join(file)),
            read(&dir.path().join("none").join(file)),
            "{file}"
        );
    }
    // The charts were drawn from the simulation; plot cannot redraw them.
    assert!(dir.path().join("none/report.html").exists());
    let o = run_in(dir.path(), &["plot", "none"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--runs none"), "{}", stderr(&o));
    // --stats: runs per second of each phase.
    let out = stdout(&none);
    for phase in ["simulation", "write", "charts and report"] {
        let line = out
            .lines()
            .find(|l| l.starts_with(phase))
            .unwrap_or_else(|| panic!("no {phase} line in\n{out}"));
        assert!(line.contains(" runs/s ("), "{line}");
    }
    // Running again over it replaces it (runs.csv is rpasim's, present or not).
    let again = run_in(
        dir.path(),
        &["run", path, "--out", "none", "-q", "--no-charts"],
    );
    assert!(again.status.success(), "{}", stderr(&again));
    assert!(dir.path().join("none/runs.csv").exists());
}

/// `rpasim run`'s output and `summary.csv` for `machines` standalone
/// machines: machine i takes i + 1 minutes per run, one run every 10
/// minutes, so from i = 10 on its queue grows, the more the larger i.
fn table_of(machines: usize) -> (String, String) {
    let mut text = String::from("[simulation]\nseed = 1\nhorizon = \"1d\"\n");
    for i in 0..machines {
        text.push_str(&format!(
            "\n[[machines]]\nname = \"vm{i:02}\"\nbots = 1\n\n[[flows]]\nname = \"f{i:02}\"\n\
             target = \"vm{i:02}\"\nduration = \"{}m\"\narrivals = {{ every = \"10m\" }}\n",
            i + 1
        ));
    }
    let dir = tempfile::tempdir().expect("temp dir");
    write(dir.path(), "many.toml", &text);
    let out = run_in(
        dir.path(),
        &["run", "many.toml", "--no-charts", "--out", "o"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    (stdout(&out), read(&dir.path().join("o/summary.csv")))
}

/// The first word of each table row (after the headline and the header).
fn table_targets(printed: &str) -> Vec<&str> {
    printed
        .lines()
        .skip(2)
        .filter_map(|r| r.split_whitespace().next())
        .collect()
}

/// With more targets than a terminal can show usefully, `run` prints the
/// 20 whose runs waited longest to start, says how many it left out, and
/// still prints `all`; `summary.csv` keeps every target.
#[test]
fn a_long_table_shows_the_targets_that_waited_longest() {
    let (printed, summary) = table_of(45);
    let mut expected: Vec<String> = (25..45).map(|i| format!("vm{i}")).collect();
    expected.extend(["...".into(), "all".into()]);
    assert_eq!(table_targets(&printed), expected, "{printed}");
    assert!(
        printed.contains("\n... 25 more targets, every one in summary.csv"),
        "{printed}"
    );
    assert_eq!(summary.lines().count(), 1 + 45 + 1);
}

/// Up to 40 targets, every one is printed, in target order.
#[test]
fn a_table_of_40_targets_shows_them_all() {
    let (printed, _) = table_of(40);
    let mut expected: Vec<String> = (0..40).map(|i| format!("vm{i:02}")).collect();
    expected.push("all".into());
    assert_eq!(table_targets(&printed), expected, "{printed}");
}

/// A machine named with dots is set, varied and changed by events as one
/// without, its name quoted in the keys as in TOML: the same runs and the
/// same sweep. (Unquoted, the key is cut at its dots; it used to be the
/// only way to write it, so such a machine could not be set at all.)
#[test]
fn a_name_with_dots_is_addressed_quoted() {
    let dir = tempfile::tempdir().expect("temp dir");
    let event = |key: &str| {
        format!("\n[[events]]\nat = \"1d\"\nkind = \"set\"\nkey = '{key}'\nvalue = 3\n")
    };
    write(
        dir.path(),
        "plain.toml",
        &format!("{BASE}{}", event("machines.vm-01.bots")),
    );
    write(
        dir.path(),
        "dotted.toml",
        &format!(
            "{}{}",
            BASE.replace("vm-01", "vm.01"),
            event("machines.\"vm.01\".bots")
        ),
    );
    for (scenario, key) in [
        ("plain.toml", "machines.vm-01.bots"),
        ("dotted.toml", "machines.\"vm.01\".bots"),
    ] {
        let set = format!("{key}=1");
        let vary = format!("{key}=1,2");
        let stem = scenario.trim_end_matches(".toml");
        for args in [
            vec!["run", scenario, "--set", &set, "--no-charts", "-q"],
            vec!["sweep", scenario, "--vary", &vary, "-q"],
        ] {
            let o = run_in(dir.path(), &args);
            assert!(o.status.success(), "{args:?}: {}", stderr(&o));
        }
        assert!(
            dir.path()
                .join(format!("reports/{stem}-sweep/sweep.csv"))
                .exists()
        );
    }
    // A run with --set writes to reports/<stem>-<hash of the overrides>.
    let out = |stem: &str, file: &str| {
        let reports = dir.path().join("reports");
        let found = fs::read_dir(&reports)
            .expect("reports")
            .filter_map(Result::ok)
            .map(|e| e.path())
            .find(|p| {
                let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
                name.starts_with(stem) && !name.ends_with("-sweep")
            })
            .expect("the run's directory");
        read(&found.join(file)).replace("vm.01", "vm-01")
    };
    assert_eq!(out("plain", "runs.csv"), out("dotted", "runs.csv"));
    let sweep = |stem: &str| {
        let text = read(&dir.path().join(format!("reports/{stem}-sweep/sweep.csv")));
        text.split_once('\n').expect("a header").1.to_string()
    };
    assert_eq!(sweep("plain"), sweep("dotted"));
    let unquoted = run_in(
        dir.path(),
        &["validate", "dotted.toml", "--set", "machines.vm.01.bots=2"],
    );
    assert_eq!(unquoted.status.code(), Some(2));
    assert!(
        stderr(&unquoted).contains("quote a name with dots: machines.\"vm.01\""),
        "{}",
        stderr(&unquoted)
    );
}

/// Standard output read by a reader that went away (`rpasim plan ... |
/// head -1`) is not a failure: each command ends as it would have, with
/// its exit status and its files. `plan` and others printed with
/// `println!`, which panicked: "internal error ... This is a bug", exit
/// 1. Here the reading end is closed before the command writes anything.
#[test]
fn a_reader_that_went_away_is_no_failure() {
    let dir = tempfile::tempdir().expect("temp dir");
    let quickstart = repo().join("scenarios/quickstart.toml");
    let quickstart = quickstart.to_str().expect("utf-8");
    let history = repo().join("scenarios/history/history.csv");
    let commands: [(&[&str], i32, &str); 6] = [
        (
            &["run", quickstart, "--out", "r", "--no-charts"],
            0,
            "r/summary.csv",
        ),
        (
            &[
                "plan",
                quickstart,
                "--search",
                "machines.vm-01.bots=1..5",
                "--goal",
                "invoices.start_p95_s<=10m",
                "--out",
                "p",
            ],
            0,
            "p/answer.toml",
        ),
        (
            &[
                "sweep",
                quickstart,
                "--vary",
                "machines.vm-01.bots=1,2",
                "--out",
                "s",
                "-q",
            ],
            0,
            "s/sweep-summary.csv",
        ),
        (
            &["import", history.to_str().expect("utf-8"), "--out", "i"],
            0,
            "i/replay.toml",
        ),
        (
            &[
                "check",
                "--baseline",
                "r/summary.csv",
                "--current",
                "r/summary.csv",
            ],
            0,
            "r",
        ),
        (&["man", "run"], 0, "r"),
    ];
    for (args, code, written) in commands {
        let mut child = common::rpasim()
            .current_dir(dir.path())
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("starts");
        drop(child.stdout.take());
        let o = child.wait_with_output().expect("wait");
        assert_eq!(o.status.code(), Some(code), "{args:?}: {}", stderr(&o));
        assert!(
            !stderr(&o).contains("internal error"),
            "{args:?}: {}",
            stderr(&o)
        );
        assert!(dir.path().join(written).exists(), "{args:?}");
    }
}
