//! Service-level goals: `[[goals]]` and `--goal`, judged on every run,
//! written to `goals.csv` and the report, and `--require-goals` for CI.

use crate::common;

use std::fs;
use std::path::Path;
use std::process::Output;

use common::{run_in, stderr, stdout};

/// Two flows on one machine: `urgent` (high priority) starts at once,
/// `batch` queues; `extra` is appended to the file.
fn scenario(extra: &str) -> String {
    format!(
        r#"[simulation]
seed = 3
horizon = "1d"

[limits]
queue_timeout = "2h"

[[machines]]
name = "m"
bots = 1

[[flows]]
name = "urgent"
target = "m"
priority = "high"
duration = "1m"
arrivals = {{ every = "1h" }}

[[flows]]
name = "batch"
target = "m"
duration = "30m"
arrivals = {{ every = "1d", start = "1h", burst = 12 }}
{extra}"#
    )
}

fn run(dir: &Path, text: &str, args: &[&str]) -> Output {
    fs::write(dir.join("s.toml"), text).expect("write");
    let mut all = vec!["run", "s.toml", "--out", "out", "--no-charts"];
    all.extend_from_slice(args);
    run_in(dir, &all)
}

fn goal(name: &str, metric: &str, bound: &str) -> String {
    format!("\n[[goals]]\nname = \"{name}\"\nmetric = \"{metric}\"\n{bound}\n")
}

#[test]
fn goals_of_the_scenario_are_judged_and_written() {
    let dir = tempfile::tempdir().expect("temp dir");
    let text = scenario(
        &(goal("urgent", "start_p95_s", "at_most = \"1m\"")
            + &goal("batch", "start_p95_s", "at_most = \"1h\"")
            + &goal("all", "started_share", "at_least = \"90%\"")),
    );
    let o = run(dir.path(), &text, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let goals = fs::read_to_string(dir.path().join("out/goals.csv")).expect("goals.csv");
    let rows: Vec<Vec<&str>> = goals
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .collect();
    assert_eq!(rows.len(), 3);
    // An urgent run that arrives while a batch run holds the bot waits for
    // its end: high priority jumps the queue, not the running run. Its p95
    // is two minutes, not one.
    assert_eq!((rows[0][0], rows[0][4]), ("urgent", "no"));
    let p95: f64 = rows[0][3].parse().expect("a number");
    assert!((p95 / 120.0 - 1.0).abs() < 0.001, "{p95}");
    // The batch of 12 half-hour runs on one bot cannot all start within an
    // hour: 2 hours of queue timeout leave 4 or 5 of them starting at all.
    assert_eq!((rows[1][0], rows[1][4]), ("batch", "no"));
    assert_eq!(rows[1][3], "inf", "most batch runs never start");
    assert_eq!((rows[2][0], rows[2][4]), ("all", "no"));
    let said = stdout(&o);
    assert!(
        said.contains("goal MISSED batch.start_p95_s <= 1h (measured never)"),
        "{said}"
    );
    // --require-goals: exit 1, the outputs written all the same.
    let o = run(dir.path(), &text, &["--require-goals"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("goal(s) missed"), "{}", stderr(&o));
    assert!(dir.path().join("out/summary.csv").exists());
    // --goal replaces the scenario's goals; all met: exit 0.
    let o = run(
        dir.path(),
        &text,
        &["--require-goals", "--goal", "urgent.started_share>=100%"],
    );
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let goals = fs::read_to_string(dir.path().join("out/goals.csv")).expect("goals.csv");
    assert_eq!(goals.lines().count(), 2);
    assert!(
        goals.contains("urgent,started_share,>= 1,1.000000,yes"),
        "{goals}"
    );
}

/// A name that is both a target's and a flow's means the target (its row
/// counts both flows' runs), as `summary.csv` lists targets first.
#[test]
fn a_goal_on_a_name_of_a_target_and_a_flow_is_about_the_target() {
    let dir = tempfile::tempdir().expect("temp dir");
    let text = scenario("").replace("name = \"urgent\"", "name = \"m\"");
    let o = run(
        dir.path(),
        &text,
        &["--goal", "m.arrivals>=1", "--goal", "batch.arrivals<=12"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let goals = fs::read_to_string(dir.path().join("out/goals.csv")).expect("goals.csv");
    // 24 runs of the flow "m" (one an hour) and a burst of 12 of "batch".
    assert!(goals.contains("m,arrivals,>= 1,36.000000,yes"), "{goals}");
    assert!(
        goals.contains("batch,arrivals,<= 12,12.000000,yes"),
        "{goals}"
    );
}

#[test]
fn a_goal_on_a_wait_when_nothing_started_is_missed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let text = scenario("").replace("bots = 1", "bots = 1\noffline_since = \"1d\"");
    let o = run(
        dir.path(),
        &text,
        &["--goal", "m.wait_p95_s<=1h", "--goal", "m.start_p95_s<=1d"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let goals = fs::read_to_string(dir.path().join("out/goals.csv")).expect("goals.csv");
    assert!(
        goals.contains("m,wait_p95_s,<= 3600,,no"),
        "no value is not a short wait: {goals}"
    );
    assert!(goals.contains("m,start_p95_s,<= 86400,inf,no"), "{goals}");
}

#[test]
fn malformed_goals_are_exit_2_with_nothing_written() {
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    for (goal, says) in [
        ("urgnt.start_p95_s<=1m", "did you mean \"urgent\""),
        ("urgent.start_p59_s<=1m", "did you mean \"start_p95_s\""),
        ("urgent.start_p95_s<1m", "expected NAME.METRIC<=VALUE"),
        ("urgent.start_p95_s<=soon", "not a duration"),
        ("all.started_share>=150%", "between 0 and 100 %"),
        // Goals no value misses passed whatever the scenario did.
        ("urgent.utilization>=0%", "at least 0 cannot fail"),
        ("all.started_share<=100%", "at most 100 % cannot fail"),
    ] {
        let o = run(d, &scenario(""), &["--goal", goal]);
        assert_eq!(o.status.code(), Some(2), "{goal}: {}", stderr(&o));
        assert!(stderr(&o).contains(says), "{goal}: {}", stderr(&o));
        assert!(!d.join("out").exists(), "nothing written");
    }
    for (entry, says) in [
        (
            goal("urgnt", "start_p95_s", "at_most = \"1m\""),
            "s.toml:26:8: goals.urgnt.name",
        ),
        (
            goal("urgent", "start_p95", "at_most = \"1m\""),
            "goals.urgent.metric",
        ),
        (
            goal(
                "urgent",
                "start_p95_s",
                "at_most = \"1m\"\nat_least = \"0s\"",
            ),
            "exactly one of at_most and at_least",
        ),
        (
            goal("urgent", "start_p95_s", "at_most = \"-1m\""),
            "goals.urgent.at_most",
        ),
        (
            goal("urgent", "start_p95_s", "at_mots = \"1m\""),
            "unknown field `at_mots`",
        ),
        (
            goal("urgent", "wait_p95_s", "at_least = \"0s\""),
            "goals.urgent.at_least: at least 0 cannot fail: wait_p95_s is never less",
        ),
    ] {
        let o = run(d, &scenario(&entry), &[]);
        assert_eq!(o.status.code(), Some(2), "{entry}: {}", stderr(&o));
        assert!(stderr(&o).contains(says), "{entry}: {}", stderr(&o));
        assert!(!d.join("out").exists(), "nothing written");
    }
}

/// With one target, `all`'s statistics are the target's, kept once: the
/// two rows agree figure for figure (after a warm-up, with runs timed out
/// of the queue), and `all` still counts every run when only a flow's row
/// is kept (what a plan's goal on that flow keeps).
#[test]
fn one_target_s_all_row_is_its_row_whatever_rows_are_kept() {
    use rpasim_core::{Outcome, Simulation};
    use rpasim_report::Recorder;
    let text = scenario("").replace("horizon = \"1d\"", "horizon = \"3d\"\nwarmup = \"2h\"");
    let s = common::scenario(&text);
    let full = common::summarize(&s.spec);
    let (target, all) = (full.row("m").expect("the target's row"), full.all());
    // Urgent runs every hour from 2h (the warm-up's end) to 71h, and
    // batches of 12 at 25h and 49h (the one at 1h is in the warm-up).
    assert_eq!(all.arrivals, 70 + 2 * 12);
    assert!(all.count(Outcome::QueueTimeout) > 0, "{all:?}");
    let named_all = rpasim_report::SummaryRow {
        target: "all".into(),
        ..target.clone()
    };
    assert_eq!(&named_all, all);
    let sim = Simulation::new(&s.spec, Recorder::summary_of(&s.spec, &["batch"])).expect("valid");
    let (recorder, report) = sim.run();
    let kept = recorder.finish(&report).expect("no I/O");
    assert!(kept.row("m").is_none());
    assert_eq!(kept.all(), all);
}
