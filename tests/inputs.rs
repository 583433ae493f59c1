//! Input that must be refused, through the binary: a distribution with two
//! kinds, absurd work (refused up front with the flow and the estimate),
//! absurd lists, and trace or scenario files that are not regular files,
//! too large, or not traces at all (whose content must not be echoed).

use crate::common;

use std::fs;
use std::path::Path;
use std::process::Output;

use common::{run_in, stderr, stdout};

const BASE: &str = "[simulation]\nhorizon = \"1d\"\n\n[[machines]]\nname = \"m\"\n\n\
    [[flows]]\nname = \"storm\"\ntarget = \"m\"\nduration = \"1m\"\n";

fn with_arrivals(arrivals: &str) -> String {
    format!("{BASE}arrivals = {arrivals}\n")
}

fn validate(dir: &Path, text: &str, extra: &[&str]) -> Output {
    fs::write(dir.join("s.toml"), text).expect("write");
    let mut args = vec!["run", "s.toml", "--out", "out", "-q", "--no-charts"];
    args.extend_from_slice(extra);
    run_in(dir, &args)
}

fn assert_refused(o: &Output, says: &[&str]) {
    assert_eq!(o.status.code(), Some(2), "{}{}", stdout(o), stderr(o));
    for s in says {
        assert!(stderr(o).contains(s), "expected {s:?} in {}", stderr(o));
    }
}

#[test]
fn a_distribution_with_two_kinds_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let text = with_arrivals("{ every = \"1h\" }").replace(
        "duration = \"1m\"",
        "duration = { exponential = { mean = \"5m\" }, lognormal = { mean = \"-5m\", sd = \"banana\" } }",
    );
    let o = validate(dir.path(), &text, &[]);
    assert_refused(
        &o,
        &[
            "s.toml:10:12: flows.storm.duration",
            "\"exponential\" and \"lognormal\"",
        ],
    );
    // The same through --set.
    let o = validate(
        dir.path(),
        &with_arrivals("{ every = \"1h\" }").replace(
            "duration = \"1m\"",
            "duration = { exponential = { mean = \"5m\" } }",
        ),
        &["--set", "flows.storm.duration.lognormal.mean=5m"],
    );
    assert_refused(&o, &["flows.storm.duration", "both given"]);
    assert!(!dir.path().join("out").exists());
}

#[test]
fn absurd_work_is_refused_up_front_naming_the_flow_and_the_estimate() {
    let dir = tempfile::tempdir().expect("temp dir");
    for (arrivals, estimate) in [
        (
            "{ every = \"1d\", burst = 1000000000 }",
            "about 1.0 billion runs",
        ),
        (
            "{ poisson = { per_hour = 1e9 } }",
            "about 24.0 billion runs",
        ),
        (
            "{ poisson = { per_hour = 1000000 } }",
            "about 24.0 million runs",
        ),
        ("{ every = \"1ms\" }", "about 86.4 million runs"),
    ] {
        let o = validate(dir.path(), &with_arrivals(arrivals), &[]);
        assert_refused(&o, &["s.toml:11:12: flows.storm.arrivals", estimate]);
        assert!(!dir.path().join("out").exists(), "nothing written");
    }
    let o = validate(
        dir.path(),
        &with_arrivals("{ poisson = { per_hour = 1e12 } }"),
        &[],
    );
    assert_refused(
        &o,
        &[
            "flows.storm.arrivals.poisson.per_hour",
            "at most 1000000000",
        ],
    );
    // Raised on purpose, a large (but finite) request is accepted by validate.
    fs::write(
        dir.path().join("s.toml"),
        with_arrivals("{ every = \"1ms\" }"),
    )
    .expect("w");
    let o = run_in(
        dir.path(),
        &[
            "validate",
            "s.toml",
            "--max-runs",
            "100000000",
            "--set",
            "limits.max_output_mb=100000",
            "--set",
            "limits.max_events=1000000000",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("about 86.4 million runs"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn gigabytes_of_output_are_refused_naming_the_setting() {
    let dir = tempfile::tempdir().expect("temp dir");
    let century = with_arrivals("{ every = \"1d\" }").replace(
        "horizon = \"1d\"",
        "horizon = \"36500d\"\nsample_every = \"1m\"",
    );
    let o = validate(dir.path(), &century, &[]);
    assert_refused(
        &o,
        &[
            "simulation.sample_every",
            "mostly timeseries.csv",
            "max_output_mb",
        ],
    );
    let millisecond = with_arrivals("{ every = \"1h\" }").replace(
        "horizon = \"1d\"",
        "horizon = \"1d\"\nsample_every = \"1ms\"",
    );
    assert_refused(
        &validate(dir.path(), &millisecond, &[]),
        &["simulation.sample_every", "86.4 million samples"],
    );
}

#[test]
fn runs_none_is_not_refused_for_the_runs_csv_it_does_not_write() {
    let dir = tempfile::tempdir().expect("temp dir");
    // 86,400 runs: about 8 MB of runs.csv, against a limit of 1 MB.
    let text = with_arrivals("{ every = \"1s\" }");
    let limit = ["--set", "limits.max_output_mb=1"];
    assert_refused(
        &validate(dir.path(), &text, &limit),
        &["flows.storm.arrivals", "mostly runs.csv", "max_output_mb"],
    );
    let o = validate(
        dir.path(),
        &text,
        &[&limit[..], &["--runs", "none"]].concat(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!dir.path().join("out/runs.csv").exists());
    assert!(
        fs::read_to_string(dir.path().join("out/summary.csv"))
            .expect("summary")
            .contains("86400")
    );
    // The files it writes still count: a sample a second is 4 MB.
    let sampled = text.replace(
        "horizon = \"1d\"",
        "horizon = \"1d\"\nsample_every = \"1s\"",
    );
    assert_refused(
        &validate(
            dir.path(),
            &sampled,
            &[&limit[..], &["--runs", "none"]].concat(),
        ),
        &["simulation.sample_every", "mostly timeseries.csv"],
    );
}

#[test]
fn too_many_entries_are_refused_before_building() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut text = String::from("[simulation]\nhorizon = \"1d\"\n");
    for i in 0..100_001 {
        text.push_str(&format!("[[machines]]\nname = \"m{i}\"\n"));
    }
    let o = validate(dir.path(), &text, &[]);
    assert_refused(&o, &["machines", "100001 entries", "at most 100000"]);
    // One million machines (30 MB) are refused by size, before parsing.
    for i in 100_001..1_000_000 {
        text.push_str(&format!("[[machines]]\nname = \"m{i}\"\n"));
    }
    fs::write(dir.path().join("s.toml"), &text).expect("write");
    let o = run_in(dir.path(), &["validate", "s.toml"]);
    assert_refused(
        &o,
        &[
            "s.toml: the scenario has",
            "more than the 8 MB rpasim reads",
        ],
    );
}

#[cfg(unix)]
#[test]
fn trace_and_scenario_files_are_read_only_when_they_are_what_they_should_be() {
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    let trace = |file: &str| with_arrivals(&format!("{{ trace = \"{file}\" }}"));
    // A FIFO would block forever; a device never ends.
    assert!(
        std::process::Command::new("mkfifo")
            .arg(d.join("fifo.csv"))
            .status()
            .expect("mkfifo")
            .success()
    );
    assert_refused(
        &validate(d, &trace("fifo.csv"), &[]),
        &["not a regular file"],
    );
    assert_refused(
        &validate(d, &trace("/dev/zero"), &[]),
        &["not a regular file"],
    );
    assert_refused(&validate(d, &trace("."), &[]), &["is a directory"]);
    // A 2 GB sparse file is refused by its size, without reading it.
    let sparse = fs::File::create(d.join("sparse.csv")).expect("create");
    sparse.set_len(2 << 30).expect("sparse");
    assert_refused(
        &validate(d, &trace("sparse.csv"), &[]),
        &["2147483648 bytes"],
    );
    // A file given by mistake: named, nothing of it quoted.
    fs::write(d.join("credentials"), "aws_secret_access_key=AKIASECRET\n").expect("w");
    let o = validate(d, &trace("credentials"), &[]);
    assert_refused(&o, &["credentials:1", "not a trace file"]);
    assert!(!stderr(&o).contains("AKIA"), "{}", stderr(&o));
    // A trace: its bad value is quoted, short and printable.
    let long = format!("arrival_s\n1\n\u{1b}[31m{}\n", "9".repeat(100));
    fs::write(d.join("t.csv"), long).expect("w");
    let o = validate(d, &trace("t.csv"), &[]);
    assert_refused(&o, &["t.csv:3", "must be a number of seconds"]);
    assert!(!stderr(&o).contains('\u{1b}') && !stderr(&o).contains(&"9".repeat(30)));
    // A line of 33 MB is refused as it is read, not held in memory whole.
    let endless = format!("arrival_s\n1\n{}\n", "9".repeat(33 << 20));
    fs::write(d.join("endless.csv"), endless).expect("w");
    let o = validate(d, &trace("endless.csv"), &[]);
    assert_refused(&o, &["endless.csv", "a line longer than 32 MB"]);
    // The scenario itself.
    let o = run_in(d, &["validate", "/dev/zero"]);
    assert_refused(&o, &["/dev/zero: the scenario is not a regular file"]);
    let o = run_in(d, &["validate", "fifo.csv"]);
    assert_refused(&o, &["not a regular file"]);
    // `-` is no file: said so, where it read "No such file or directory".
    for command in ["validate", "run"] {
        let o = run_in(d, &[command, "-"]);
        assert_refused(
            &o,
            &["-: cannot read the scenario from standard input: give it as a file"],
        );
    }
    let o = run_in(d, &["check", "--baseline", "-", "--current", "-"]);
    assert_refused(
        &o,
        &["-: cannot read a summary from standard input: give it as a file"],
    );
}
