//! The `empirical` duration distribution: observed durations drawn with
//! equal probability, from the flow's own seeded stream.

use crate::common;

use std::fs;

use common::{run_in, scenario, stderr};

const SCENARIO: &str = r#"[simulation]
horizon = "2d"
seed = 9

[limits]
max_bots_per_machine = 50

[[machines]]
name = "pc"
bots = 50

[[flows]]
name = "f"
target = "pc"
duration = { empirical = ["2m", "5m", "5m", "30m"] }
arrivals = { poisson = { per_hour = 30 } }
"#;

#[test]
fn runs_take_the_observed_durations_in_their_proportions_and_the_same_bytes() {
    let dir = tempfile::tempdir().expect("temp dir");
    fs::write(dir.path().join("e.toml"), SCENARIO).expect("write");
    for out in ["a", "b"] {
        let o = run_in(
            dir.path(),
            &["run", "e.toml", "--out", out, "--quiet", "--no-charts"],
        );
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let a = fs::read_to_string(dir.path().join("a/runs.csv")).expect("runs");
    let b = fs::read_to_string(dir.path().join("b/runs.csv")).expect("runs");
    assert_eq!(a, b, "same seed, same bytes");
    let mut table = csv::Reader::from_reader(a.as_bytes());
    let header = table.headers().expect("header").clone();
    let col = |n: &str| header.iter().position(|h| h == n).expect(n);
    let (start, end) = (col("start_s"), col("end_s"));
    let mut minutes = Vec::new();
    for row in table.records() {
        let row = row.expect("row");
        if row[end].is_empty() || row[start].is_empty() {
            continue; // running at the horizon
        }
        let took = row[end].parse::<f64>().expect("end") - row[start].parse::<f64>().expect("s");
        minutes.push((took / 60.0).round() as u32);
    }
    let n = minutes.len() as f64;
    assert!(n > 1_000.0, "{n} runs");
    assert!(
        minutes.iter().all(|m| [2, 5, 30].contains(m)),
        "only observed values"
    );
    // Shares 1/4, 1/2, 1/4 within 5 standard deviations; mean 10.5 min.
    for (value, p) in [(2, 0.25), (5, 0.5), (30, 0.25)] {
        let share = minutes.iter().filter(|m| **m == value).count() as f64 / n;
        let sd = (p * (1.0 - p) / n).sqrt();
        assert!((share - p).abs() < 5.0 * sd, "{value} min: {share}");
    }
    let mean = minutes.iter().map(|m| f64::from(*m)).sum::<f64>() / n;
    assert!((mean - 10.5).abs() < 0.05 * 10.5, "mean {mean}");
}

#[test]
fn an_empirical_distribution_needs_a_positive_value() {
    let text = SCENARIO.replace(r#"["2m", "5m", "5m", "30m"]"#, r#"["0s"]"#);
    let e =
        rpasim_scenario::parse(&text, std::path::Path::new("e.toml"), &[]).expect_err("all zero");
    let message = e.to_string();
    assert!(
        message.contains("e.toml:15:") && message.contains("empirical"),
        "{message}"
    );
    let text = SCENARIO.replace(r#"["2m", "5m", "5m", "30m"]"#, r#"["2m", "soon"]"#);
    let e =
        rpasim_scenario::parse(&text, std::path::Path::new("e.toml"), &[]).expect_err("bad value");
    assert!(e.to_string().contains("e.toml:15:"), "{e}");
    // And a valid one parses into the model.
    let s = scenario(SCENARIO);
    assert_eq!(s.spec.flows[0].duration.mean().as_millis(), 630_000);
}

/// A replay: each run of the trace takes its own duration and outcome.
const REPLAY: &str = r#"[simulation]
horizon = "1d"

[[machines]]
name = "pc"

[[flows]]
name = "history"
target = "pc"
arrivals = { trace = "runs.csv" }
"#;

#[test]
fn a_trace_with_durations_and_outcomes_is_replayed_run_by_run() {
    let dir = tempfile::tempdir().expect("temp dir");
    fs::write(dir.path().join("replay.toml"), REPLAY).expect("write");
    // Out of time order; the two runs at 60 s keep their file order.
    let rows = [
        "arrival_s,duration_s,outcome",
        "60,30,failed",
        "0,600,succeeded",
        "60,10,succeeded",
    ];
    fs::write(dir.path().join("runs.csv"), rows.join("\n") + "\n").expect("trace");
    let o = run_in(
        dir.path(),
        &["run", "replay.toml", "--out", "a", "--quiet", "--no-charts"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let runs = fs::read_to_string(dir.path().join("a/runs.csv")).expect("runs");
    let timeline: Vec<String> = runs
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            format!("{} {} {} {}", f[4], f[5], f[6], f[10])
        })
        .collect();
    assert_eq!(
        timeline,
        vec![
            "0.000 0.000 600.000 succeeded",
            "60.000 600.000 630.000 failed",
            "60.000 630.000 640.000 succeeded",
        ]
    );
    // The same rows in another order: the same bytes.
    let shuffled = [rows[0], rows[2], rows[1], rows[3]];
    fs::write(dir.path().join("runs.csv"), shuffled.join("\n") + "\n").expect("trace");
    let o = run_in(
        dir.path(),
        &["run", "replay.toml", "--out", "b", "--quiet", "--no-charts"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let again = fs::read_to_string(dir.path().join("b/runs.csv")).expect("runs");
    assert_eq!(again, runs);
    // Without durations in the trace, a flow needs its own.
    fs::write(dir.path().join("runs.csv"), "arrival_s\n0\n").expect("trace");
    let o = run_in(dir.path(), &["validate", "replay.toml"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("flows.history.duration"),
        "{}",
        stderr(&o)
    );
}
