//! Sweeps: statistics, parallelism, shards, resume, and regression checks.

use crate::common;

use std::fs;
use std::path::Path;

use common::{repo, rpasim, run_in, stderr, stdout};

/// A small hosted scenario whose waits fall as max_bots grows.
const HOSTED: &str = r#"[simulation]
seed = 3
horizon = "3d"

[[environments]]
name = "prod"
hosted_capacity = 12

[[hosted_groups]]
name = "pool"
environment = "prod"
max_bots = 4

[[flows]]
name = "work"
target = "pool"
duration = { lognormal = { mean = "20m", sd = "10m" } }
arrivals = { poisson = { per_hour = 14, hourly = [0,0,0,0,0,0,0,0.5,1,1.3,1.3,1,0.8,1,1.2,1,0.8,0.3,0,0,0,0,0,0] } }
"#;

const OUTPUTS: [&str; 4] = [
    "sweep.csv",
    "sweep-targets.csv",
    "sweep-summary.csv",
    "report.html",
];

fn setup() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    fs::write(dir.path().join("hosted.toml"), HOSTED).expect("write");
    dir
}

/// The sweep most tests run: three values, five replications.
const SWEEP: [&str; 7] = [
    "sweep",
    "hosted.toml",
    "--vary",
    "hosted_groups.pool.max_bots=4,8,12",
    "--replications",
    "5",
    "-q",
];

fn sweep(dir: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = SWEEP.to_vec();
    args.extend_from_slice(extra);
    run_in(dir, &args)
}

/// Every output file (and chart SVG) of a sweep directory, with its bytes.
fn outputs(out: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = OUTPUTS
        .iter()
        .map(|f| (f.to_string(), fs::read(out.join(f)).expect("output")))
        .collect();
    let mut charts: Vec<_> = fs::read_dir(out.join("charts"))
        .expect("charts")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "svg"))
        .collect();
    charts.sort();
    assert!(charts.len() >= 3, "{} sweep charts", charts.len());
    files.extend(charts.into_iter().map(|p| {
        (
            p.display()
                .to_string()
                .rsplit('/')
                .next()
                .unwrap_or("")
                .to_string(),
            fs::read(&p).expect("svg"),
        )
    }));
    files
}

/// Asserts that two sweep directories under `dir` hold the same outputs.
fn assert_same_outputs(dir: &Path, a: &str, b: &str) {
    let (a, b) = (outputs(&dir.join(a)), outputs(&dir.join(b)));
    assert_eq!(a.len(), b.len());
    for ((name_a, bytes_a), (name_b, bytes_b)) in a.iter().zip(&b) {
        assert_eq!(name_a, name_b);
        assert!(bytes_a == bytes_b, "{name_a} differs");
    }
}

#[test]
fn three_values_five_replications_statistics_by_hand() {
    let dir = setup();
    let o = sweep(dir.path(), &["--out", "s"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let mut reader = csv::Reader::from_path(dir.path().join("s/sweep.csv")).expect("sweep.csv");
    let header = reader.headers().expect("header").clone();
    let col = |name: &str| header.iter().position(|h| h == name).expect(name);
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    assert_eq!(rows.len(), 15);
    // Common random numbers: replication r has the same seed in every variant.
    for r in 0..5 {
        let seeds: Vec<&str> = rows
            .iter()
            .filter(|row| &row[col("replication")] == r.to_string().as_str())
            .map(|row| &row[col("seed")])
            .collect();
        assert_eq!(seeds.len(), 3);
        assert!(seeds.iter().all(|s| *s == seeds[0]));
    }
    let mut summary =
        csv::Reader::from_path(dir.path().join("s/sweep-summary.csv")).expect("summary");
    let sh = summary.headers().expect("header").clone();
    let scol = |name: &str| sh.iter().position(|h| h == name).expect(name);
    let stats: Vec<csv::StringRecord> = summary
        .records()
        .map(|r| r.expect("row"))
        .filter(|r| &r[scol("metric")] == "wait_p95_s" && &r[scol("target")] == "all")
        .collect();
    let mut means = Vec::new();
    for (v, max_bots) in ["4", "8", "12"].iter().enumerate() {
        // By hand: mean, sample standard deviation, t(0.975, 4) = 2.7764.
        let xs: Vec<f64> = rows
            .iter()
            .filter(|r| &r[col("hosted_groups.pool.max_bots")] == *max_bots)
            .map(|r| r[col("wait_p95_s")].parse().expect("number"))
            .collect();
        assert_eq!(xs.len(), 5);
        let mean = xs.iter().sum::<f64>() / 5.0;
        let sd = (xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / 4.0).sqrt();
        let half = 2.7764 * sd / 5f64.sqrt();
        let row = &stats[v];
        assert_eq!(&row[scol("n")], "5");
        let got = |c: &str| row[scol(c)].parse::<f64>().expect("number");
        assert!(
            (got("mean") - mean).abs() < 1e-3,
            "{} vs {mean}",
            got("mean")
        );
        assert!((got("sd") - sd).abs() < 1e-3, "{} vs {sd}", got("sd"));
        assert!(
            (got("ci95_half_width") - half).abs() < 1e-3 * half.max(1.0),
            "{} vs {half}",
            got("ci95_half_width")
        );
        means.push(mean);
    }
    assert!(
        means[0] >= means[1] && means[1] >= means[2],
        "p95 wait not non-increasing: {means:?}"
    );
    assert!(means[0] > means[2], "more bots must help here: {means:?}");
}

/// A job of a sweep (whose variant's scenario is read once for all its
/// replications, the seed set in the model) is `rpasim run` of the
/// scenario with the variant's `--set` and the job's `--seed`: every
/// summary figure of the `all` row is the same text.
#[test]
fn a_sweep_job_is_the_run_with_its_overrides_and_seed() {
    let dir = setup();
    let o = sweep(dir.path(), &["--out", "s"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let mut reader = csv::Reader::from_path(dir.path().join("s/sweep.csv")).expect("sweep.csv");
    let header = reader.headers().expect("header").clone();
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    // Variant 1 (max_bots = 8), replication 3.
    let job = rows
        .iter()
        .find(|r| &r[0] == "1" && &r[1] == "3")
        .expect("the job's row");
    let o = run_in(
        dir.path(),
        &[
            "run",
            "hosted.toml",
            "--set",
            "hosted_groups.pool.max_bots=8",
            "--seed",
            &job[2],
            "--out",
            "r",
            "--no-charts",
            "-q",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let mut summary = csv::Reader::from_path(dir.path().join("r/summary.csv")).expect("summary");
    let sh = summary.headers().expect("header").clone();
    let all = summary
        .records()
        .map(|r| r.expect("row"))
        .find(|r| &r[0] == "all")
        .expect("all row");
    let mut compared = 0;
    for (i, column) in sh.iter().enumerate().skip(1) {
        let at = header.iter().position(|h| h == column).expect(column);
        assert_eq!(&job[at], &all[i], "{column}");
        compared += 1;
    }
    assert!(compared > 40, "{compared} columns");
}

#[test]
fn one_thread_or_two_give_the_same_bytes() {
    let dir = setup();
    assert!(
        sweep(dir.path(), &["--out", "j1", "--jobs", "1"])
            .status
            .success()
    );
    assert!(
        sweep(dir.path(), &["--out", "j2", "--jobs", "2"])
            .status
            .success()
    );
    assert_same_outputs(dir.path(), "j1", "j2");
}

/// Variants are assembled in batches of at most so many bytes of results
/// (a variant's alone with thousands of targets): one variant a batch
/// gives the same files as all at once.
#[test]
fn batches_of_any_size_give_the_same_bytes() {
    let dir = setup();
    assert!(sweep(dir.path(), &["--out", "whole"]).status.success());
    let merged = rpasim()
        .current_dir(dir.path())
        .args(["merge", "whole", "--out", "one-by-one"])
        .env("RPASIM_SWEEP_BATCH_BYTES", "1")
        .output()
        .expect("rpasim");
    assert!(merged.status.success(), "{}", stderr(&merged));
    assert_same_outputs(dir.path(), "whole", "one-by-one");
}

#[test]
fn merged_shards_equal_the_whole_sweep() {
    let dir = setup();
    assert!(sweep(dir.path(), &["--out", "whole"]).status.success());
    for i in 1..=3 {
        let o = sweep(
            dir.path(),
            &["--out", &format!("shard{i}"), "--shard", &format!("{i}/3")],
        );
        assert!(o.status.success(), "{}", stderr(&o));
        assert!(
            !dir.path().join(format!("shard{i}/sweep.csv")).exists(),
            "a shard alone is not a sweep"
        );
    }
    // Two shards are not enough.
    let partial = run_in(
        dir.path(),
        &["merge", "shard1", "shard2", "--out", "partial"],
    );
    assert_eq!(partial.status.code(), Some(2));
    assert!(
        stderr(&partial).contains("shards not given: 3/3 (given: 1/3 (shard1), 2/3 (shard2))"),
        "{}",
        stderr(&partial)
    );
    // Every shard, one of them interrupted: its first missing job is named.
    let mut args = SWEEP.to_vec();
    args.extend_from_slice(&["--out", "cut3", "--shard", "3/3"]);
    let cut = rpasim()
        .current_dir(dir.path())
        .args(&args)
        .env("RPASIM_SWEEP_STOP_AFTER", "1")
        .output()
        .expect("rpasim");
    assert!(!cut.status.success());
    let incomplete = run_in(
        dir.path(),
        &["merge", "shard1", "shard2", "cut3", "--out", "partial"],
    );
    assert_eq!(incomplete.status.code(), Some(2));
    assert!(
        stderr(&incomplete)
            .contains("has no result in shard1, shard2, cut3: run its shard, or resume"),
        "{}",
        stderr(&incomplete)
    );
    let merged = run_in(
        dir.path(),
        &["merge", "shard3", "shard1", "shard2", "--out", "merged"],
    );
    assert!(merged.status.success(), "{}", stderr(&merged));
    assert_same_outputs(dir.path(), "whole", "merged");
    // A merge is the whole sweep: its sweep.toml names no shard.
    let manifest = |d: &str| fs::read(dir.path().join(d).join("sweep.toml")).expect("sweep.toml");
    assert_eq!(manifest("merged"), manifest("whole"));
    // Neither a shard nor a merge (which keeps no results) can be plotted;
    // each says what to do instead, and merging again redraws the merge.
    for (plotted, expected) in [
        (
            "shard1",
            "holds shard 1/3 of a sweep, not the whole sweep: merge its shards",
        ),
        (
            "merged",
            "a merge of shards, which keeps no results to assemble again",
        ),
    ] {
        let o = run_in(dir.path(), &["plot", plotted]);
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        assert!(stderr(&o).contains(expected), "{}", stderr(&o));
    }
    let again = run_in(
        dir.path(),
        &["merge", "shard1", "shard2", "shard3", "--out", "merged"],
    );
    assert!(again.status.success(), "{}", stderr(&again));
    assert_same_outputs(dir.path(), "whole", "merged");
}

#[test]
fn a_shard_checks_the_variants_it_runs() {
    // Variant 1 is invalid (80 bots where the environment has fewer); with
    // one replication and two shards, shard 2 runs it and shard 1 does not.
    let dir = setup();
    let args = |shard: &str, out: &str| {
        [
            "sweep",
            "hosted.toml",
            "--vary",
            "hosted_groups.pool.max_bots=4,80",
            "-q",
            "--shard",
            shard,
            "--out",
            out,
        ]
        .map(String::from)
    };
    let bad = run_in(
        dir.path(),
        &args("2/2", "s2").each_ref().map(String::as_str),
    );
    assert_eq!(bad.status.code(), Some(2), "{}", stderr(&bad));
    assert!(
        stderr(&bad).contains("variant 1 (hosted_groups.pool.max_bots=80)"),
        "{}",
        stderr(&bad)
    );
    // The value came from --vary, not --set: the message says neither
    // flag, only the override.
    assert!(
        stderr(&bad).ends_with("(overridden by hosted_groups.pool.max_bots=80)\n"),
        "{}",
        stderr(&bad)
    );
    assert!(!dir.path().join("s2/results.log").exists(), "ran nothing");
    let good = run_in(
        dir.path(),
        &args("1/2", "s1").each_ref().map(String::as_str),
    );
    assert!(good.status.success(), "{}", stderr(&good));
    // Alone, its shard is not the sweep.
    let merged = run_in(dir.path(), &["merge", "s1", "--out", "m"]);
    assert_eq!(merged.status.code(), Some(2), "{}", stderr(&merged));
    assert!(
        stderr(&merged).contains("shards not given: 2/2 (given: 1/2 (s1))"),
        "{}",
        stderr(&merged)
    );
}

#[test]
fn an_interrupted_sweep_resumes_to_the_same_bytes() {
    let dir = setup();
    assert!(sweep(dir.path(), &["--out", "clean"]).status.success());
    let stopped = rpasim()
        .current_dir(dir.path())
        .env("RPASIM_SWEEP_STOP_AFTER", "4")
        .args(SWEEP)
        .args(["--out", "r", "--jobs", "1"])
        .output()
        .expect("runs");
    assert_eq!(stopped.status.code(), Some(1), "{}", stderr(&stopped));
    assert!(
        stderr(&stopped).contains("--resume"),
        "{}",
        stderr(&stopped)
    );
    let log = fs::read_to_string(dir.path().join("r/results.log")).expect("results log");
    assert_eq!(log.matches("@job ").count(), 4);
    assert!(!dir.path().join("r/sweep.csv").exists());
    // As if killed in the middle of writing a fifth result.
    fs::write(
        dir.path().join("r/results.log"),
        format!("{log}@job 7 900\ntarget,arrivals\npool,1"),
    )
    .expect("write");
    let resumed = sweep(dir.path(), &["--out", "r", "--resume"]);
    assert!(resumed.status.success(), "{}", stderr(&resumed));
    assert_same_outputs(dir.path(), "clean", "r");
    // A resume of another sweep into the same directory is refused.
    let other = run_in(
        dir.path(),
        &[
            "sweep",
            "hosted.toml",
            "--vary",
            "hosted_groups.pool.max_bots=4,8",
            "--replications",
            "5",
            "-q",
            "--out",
            "r",
            "--resume",
        ],
    );
    assert_eq!(other.status.code(), Some(2));
}

/// A results log changed after it was written (a digit of a result): it
/// went into the means, so a resume gave other files than the sweep; a
/// changed byte could fail the assembly with a CSV error (exit 1). Now the
/// record's checksum tells it: `plot` says where the log stops being
/// whole, and a resume runs those jobs again, to the sweep's bytes.
#[test]
fn a_changed_results_log_is_told_and_resumed_to_the_same_bytes() {
    let dir = setup();
    assert!(sweep(dir.path(), &["--out", "clean"]).status.success());
    assert!(sweep(dir.path(), &["--out", "r"]).status.success());
    let path = dir.path().join("r/results.log");
    let mut log = fs::read(&path).expect("results log");
    // A digit of the fourth record's summary, after its header.
    let fourth = log
        .windows(5)
        .enumerate()
        .filter(|(_, w)| w == b"@job ")
        .nth(3)
        .map(|(i, _)| i)
        .expect("a fourth record");
    let digit = fourth
        + 100
        + log[fourth + 100..]
            .iter()
            .position(u8::is_ascii_digit)
            .expect("a digit");
    log[digit] = if log[digit] == b'7' { b'8' } else { b'7' };
    fs::write(&path, &log).expect("write");
    let o = run_in(dir.path(), &["plot", "r"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains(&format!(
            "r/results.log is whole up to byte {fourth} of {}",
            log.len()
        )),
        "{}",
        stderr(&o)
    );
    let resumed = sweep(dir.path(), &["--out", "r", "--resume"]);
    assert!(resumed.status.success(), "{}", stderr(&resumed));
    assert_same_outputs(dir.path(), "clean", "r");
}

/// A base seed is at most what `sweep.toml` can hold: the largest one is
/// written, read back and resumed; one more is refused before anything is
/// written, for a sweep, a plan and a run alike. (Beyond it, a sweep wrote
/// a `sweep.toml` that `--resume`, `merge` and `plot` then refused as not
/// a sweep's.)
#[test]
fn seeds_are_what_a_sweep_toml_can_hold() {
    let dir = setup();
    let largest = "9223372036854775807";
    assert!(
        sweep(
            dir.path(),
            &["--out", "s", "--seed", largest, "--jobs", "1"]
        )
        .status
        .success()
    );
    let toml = fs::read_to_string(dir.path().join("s/sweep.toml")).expect("sweep.toml");
    assert!(toml.contains(&format!("base_seed = {largest}\n")), "{toml}");
    let resumed = sweep(dir.path(), &["--out", "s", "--seed", largest, "--resume"]);
    assert!(resumed.status.success(), "{}", stderr(&resumed));
    let plotted = run_in(dir.path(), &["plot", "s"]);
    assert!(plotted.status.success(), "{}", stderr(&plotted));
    let beyond = "9223372036854775808";
    for args in [
        &SWEEP[..],
        &[
            "plan",
            "hosted.toml",
            "--search",
            "hosted_groups.pool.max_bots=4,8",
        ][..],
        &["run", "hosted.toml", "--no-charts"][..],
    ] {
        let refused = rpasim()
            .current_dir(dir.path())
            .args(args)
            .args(["--seed", beyond, "--out", "beyond"])
            .output()
            .expect("runs");
        assert_eq!(refused.status.code(), Some(2), "{args:?}");
        assert!(
            stderr(&refused).contains(&format!("{beyond} is not in 0..={largest}")),
            "{}",
            stderr(&refused)
        );
        assert!(!dir.path().join("beyond").exists());
    }
    let set = run_in(
        dir.path(),
        &[
            "run",
            "hosted.toml",
            "--set",
            &format!("simulation.seed={beyond}"),
        ],
    );
    assert_eq!(set.status.code(), Some(2));
    assert!(
        stderr(&set).contains("is beyond what a TOML integer holds"),
        "{}",
        stderr(&set)
    );
}

#[test]
fn check_fails_a_worsened_scenario_and_passes_the_baseline() {
    let dir = setup();
    let update = run_in(
        dir.path(),
        &[
            "check",
            "--baseline",
            "base/summary.csv",
            "hosted.toml",
            "--update",
        ],
    );
    assert!(update.status.success(), "{}", stderr(&update));
    let same = run_in(
        dir.path(),
        &["check", "--baseline", "base/summary.csv", "hosted.toml"],
    );
    assert_eq!(
        same.status.code(),
        Some(0),
        "{}{}",
        stdout(&same),
        stderr(&same)
    );
    assert!(stdout(&same).contains("0 worse"), "{}", stdout(&same));
    // Fewer bots: waits get worse.
    let worse = run_in(
        dir.path(),
        &[
            "check",
            "--baseline",
            "base/summary.csv",
            "hosted.toml",
            "--set",
            "hosted_groups.pool.max_bots=2",
        ],
    );
    assert_eq!(worse.status.code(), Some(1), "{}", stderr(&worse));
    let table = stdout(&worse);
    assert!(
        table.contains("metric")
            && table.contains("baseline")
            && table.contains("current")
            && table.contains("change"),
        "{table}"
    );
    let line = table
        .lines()
        .find(|l| l.contains("wait_p95_s") && l.starts_with("all"))
        .expect("a wait_p95_s row");
    assert!(line.ends_with("WORSE") && line.contains('%'), "{line}");
    // Within a wide tolerance it passes; bad input exits 2.
    let loose = run_in(
        dir.path(),
        &[
            "check",
            "--baseline",
            "base/summary.csv",
            "hosted.toml",
            "--set",
            "hosted_groups.pool.max_bots=2",
            "--tolerance",
            "succeeded=50%",
        ],
    );
    assert_eq!(loose.status.code(), Some(0), "{}", stdout(&loose));
    // The other metrics were not checked, and the output says so.
    assert!(
        stdout(&loose).starts_with(
            "checking only succeeded: with --tolerance, only the metrics it names are checked\n"
        ),
        "{}",
        stdout(&loose)
    );
    let bad = run_in(
        dir.path(),
        &[
            "check",
            "--baseline",
            "base/summary.csv",
            "hosted.toml",
            "--tolerance",
            "wait=lots",
        ],
    );
    assert_eq!(bad.status.code(), Some(2));
    let missing = run_in(
        dir.path(),
        &["check", "--baseline", "nowhere.csv", "hosted.toml"],
    );
    assert_eq!(missing.status.code(), Some(2));
}

/// `rpasim check` of sweep `current`'s summary against sweep `a`'s.
fn check_sweeps(dir: &Path, current: &str, tolerance: &str) -> std::process::Output {
    let current = format!("{current}/sweep-summary.csv");
    run_in(
        dir,
        &[
            "check",
            "--baseline",
            "a/sweep-summary.csv",
            "--current",
            &current,
            "--tolerance",
            tolerance,
        ],
    )
}

#[test]
fn check_of_sweeps_needs_significance() {
    let dir = setup();
    assert!(sweep(dir.path(), &["--out", "a"]).status.success());
    // The same sweep with another base seed: different numbers, same behaviour.
    assert!(
        sweep(dir.path(), &["--out", "b", "--seed", "99"])
            .status
            .success()
    );
    let noise = check_sweeps(dir.path(), "b", "wait_mean_s=1%");
    assert_eq!(
        noise.status.code(),
        Some(0),
        "noise is not a regression:\n{}",
        stdout(&noise)
    );
    // A real change: every variant with half the capacity per bot, by a
    // longer run time.
    fs::write(
        dir.path().join("slow.toml"),
        HOSTED.replace(
            "mean = \"20m\", sd = \"10m\"",
            "mean = \"30m\", sd = \"10m\"",
        ),
    )
    .expect("write");
    let o = run_in(
        dir.path(),
        &[
            "sweep",
            "slow.toml",
            "--vary",
            "hosted_groups.pool.max_bots=4,8,12",
            "--replications",
            "5",
            "-q",
            "--out",
            "c",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let regress = check_sweeps(dir.path(), "c", "wait_mean_s=5%");
    assert_eq!(regress.status.code(), Some(1), "{}", stdout(&regress));
    assert!(stdout(&regress).contains("WORSE"));
    // The row names the varied value; a misspelt metric is bad input.
    assert!(
        stdout(&regress).contains("pool.max_bots=4, pool"),
        "{}",
        stdout(&regress)
    );
    let typo = check_sweeps(dir.path(), "c", "wait_mean=5%");
    assert_eq!(typo.status.code(), Some(2), "{}", stderr(&typo));
    assert!(stderr(&typo).contains("no metric \"wait_mean\""));
}

#[test]
fn bundled_sweep_file_answers_its_question() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = repo().join("scenarios/sweeps/month-end-capacity.toml");
    let o = run_in(
        dir.path(),
        &["sweep", file.to_str().expect("utf-8"), "--out", "s", "-q"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let rows = fs::read_to_string(dir.path().join("s/sweep.csv"))
        .expect("sweep.csv")
        .lines()
        .count();
    assert_eq!(rows, 1 + 5 * 5, "5 variants x 5 replications");
    // As the README says: finance's mean p95 wait falls with every step of
    // capacity and crosses 30 minutes between 30 and 36 add-ons.
    let mut summary =
        csv::Reader::from_path(dir.path().join("s/sweep-summary.csv")).expect("summary");
    let header = summary.headers().expect("header").clone();
    let col = |name: &str| header.iter().position(|h| h == name).expect(name);
    let p95: Vec<(String, f64)> = summary
        .records()
        .map(|r| r.expect("row"))
        .filter(|r| &r[col("target")] == "finance" && &r[col("metric")] == "wait_p95_s")
        .map(|r| {
            (
                r[col("environments.prod.hosted_capacity")].to_string(),
                r[col("mean")].parse().expect("number"),
            )
        })
        .collect();
    let capacities: Vec<&str> = p95.iter().map(|(c, _)| c.as_str()).collect();
    assert_eq!(capacities, vec!["12", "18", "24", "30", "36"]);
    assert!(p95.windows(2).all(|w| w[1].1 < w[0].1), "{p95:?}");
    assert!(p95[3].1 > 1800.0 && p95[4].1 < 1800.0, "{p95:?}");
    // report.html: the scenario's question, what varied, every chart, and a
    // row per variant with each metric's mean and interval over all
    // targets, in human units.
    let html = fs::read_to_string(dir.path().join("s/report.html")).expect("report.html");
    let at = |t: &str| html.find(t).unwrap_or_else(|| panic!("{t} in {html}"));
    assert!(at("month-end: sweep") < at("How much hosted capacity keeps finance"));
    assert!(html.contains(
        "<li>environments.prod.hosted_capacity with hosted_groups.finance.max_bots over 5 values</li>"
    ));
    let charts = fs::read_dir(dir.path().join("s/charts"))
        .expect("charts")
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "svg"))
        })
        .count();
    assert_eq!(html.matches("<svg").count(), charts);
    assert!(at("<svg") < at("<th class=\"num\">wait_p95_s</th>"));
    assert_eq!(html.matches("<tr><td>").count(), 5);
    let row = html
        .split("<tr><td>36</td><td>34</td>")
        .nth(1)
        .expect("the last variant's row");
    let cells: Vec<&str> = row
        .split("</tr>")
        .next()
        .expect("row")
        .split("<td class=\"num\">")
        .skip(1)
        .map(|c| c.trim_end_matches("</td>"))
        .collect();
    // wait_p95_s as a duration, bot_hours and cold_starts as numbers.
    assert_eq!(cells.len(), 3, "{cells:?}");
    assert!(
        cells[0].contains("m") && cells[0].contains(" ± "),
        "{cells:?}"
    );
    assert!(
        cells[1].split(" ± ").all(|x| x.parse::<f64>().is_ok()),
        "{cells:?}"
    );
}

#[test]
fn bad_sweeps_exit_2_naming_the_problem_and_run_nothing() {
    let dir = setup();
    let cases: [(&[&str], &str); 8] = [
        (
            &["sweep", "hosted.toml", "--vary", "max_bots"],
            "--vary expects KEY=VALUES",
        ),
        // A fixed value every variant would replace.
        (
            &[
                "sweep",
                "hosted.toml",
                "--vary",
                "hosted_groups.pool.max_bots=4,8",
                "--set",
                "hosted_groups.pool.max_bots=6",
            ],
            "vary hosted_groups.pool.max_bots: also given a fixed value (hosted_groups.pool.max_bots=6",
        ),
        (
            &[
                "sweep",
                "hosted.toml",
                "--vary",
                "hosted_groups.pool.max_bots=9..3:1",
            ],
            "invalid range \"9..3:1\": it goes down from 9 to 3, and a range goes up (3..9)",
        ),
        (
            &[
                "sweep",
                "hosted.toml",
                "--vary",
                "hosted_groups.pool.max_bots=4,80",
            ],
            "variant 1 (hosted_groups.pool.max_bots=80)",
        ),
        (
            &[
                "sweep",
                "hosted.toml",
                "--vary",
                "hosted_groups.nope.max_bots=4",
            ],
            "nope",
        ),
        (
            &[
                "sweep",
                "hosted.toml",
                "--vary",
                "hosted_groups.pool.max_bots=4",
                "--shard",
                "4/3",
            ],
            "--shard expects I/N",
        ),
        (&["sweep", "hosted.toml"], "nothing to vary"),
        (
            &[
                "sweep",
                "hosted.toml",
                "--vary",
                "hosted_groups.pool.max_bots=4",
                "--jobs",
                "100000",
            ],
            "100000 worker threads (--jobs); at most 1024",
        ),
    ];
    for (args, message) in cases {
        let mut all = args.to_vec();
        all.extend(["--out", "bad", "-q"]);
        let o = run_in(dir.path(), &all);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(message), "{args:?}: {}", stderr(&o));
        assert!(
            !dir.path().join("bad/results.log").exists(),
            "{args:?} ran something"
        );
    }
    fs::write(
        dir.path().join("typo.toml"),
        "scenario = \"hosted.toml\"\nreplicatons = 3\n[vary]\n\"hosted_groups.pool.max_bots\" = [4]\n",
    )
    .expect("write");
    let o = run_in(dir.path(), &["sweep", "typo.toml", "-q"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("replicatons"), "{}", stderr(&o));
    // Problems of a sweep file are told by line and column, without the
    // parser's excerpt of the text; one that is not TOML is told so, not
    // taken for a scenario with nothing to vary.
    let cases = [
        (
            "scenario = \"hosted.toml\"\nreplications = \"hunter2\"\n",
            "typo.toml:2:16: replications: invalid type: string \"hunter2\", expected a whole \
             number, 0 or more",
        ),
        (
            "scenario = \"hosted.toml\"\nsecret = hunter2\n[vary]\n\"simulation.seed\" = [1]\n",
            "typo.toml:2:10: invalid TOML: string values must be quoted",
        ),
        // A seed beyond TOML's integers: the sweep file's problem, not a
        // scenario's unknown `replications`.
        (
            "scenario = \"hosted.toml\"\nreplications = 2\nseed = 18446744073709551615\n\
             [vary]\n\"simulation.seed\" = [1]\n",
            "typo.toml:3:8: seed: 18446744073709551615 is beyond TOML's integers; expected at most \
             9223372036854775807",
        ),
    ];
    for (text, message) in cases {
        fs::write(dir.path().join("typo.toml"), text).expect("write");
        let o = run_in(dir.path(), &["sweep", "typo.toml", "-q"]);
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        let told = stderr(&o);
        assert!(told.contains(message), "{told}");
        assert!(!told.contains('|') && told.lines().count() == 1, "{told}");
    }
    // Too large to run, by the file or by the command line: refused up
    // front, naming the file.
    let values = (1..=1_000).map(|i| i.to_string()).collect::<Vec<_>>();
    let huge = format!(
        "scenario = \"hosted.toml\"\n[vary]\n\"simulation.seed\" = [{0}]\n\
         \"hosted_groups.pool.max_bots\" = [{0}]\n\"limits.queue_capacity\" = [1, 2]\n",
        values.join(", ")
    );
    fs::write(dir.path().join("huge.toml"), huge).expect("write");
    let o = run_in(dir.path(), &["sweep", "huge.toml", "-q", "--out", "bad"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("huge.toml: 2000000 variants; a sweep may have at most 1000000"),
        "{}",
        stderr(&o)
    );
    fs::write(
        dir.path().join("many.toml"),
        format!(
            "scenario = \"hosted.toml\"\n[vary]\n\"limits.queue_capacity\" = [{}]\n",
            values.join(", ")
        ),
    )
    .expect("write");
    let o = run_in(
        dir.path(),
        &[
            "sweep",
            "many.toml",
            "--replications",
            "20000",
            "-q",
            "--out",
            "bad",
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("many.toml: 1000 variants x 20000 replications"),
        "{}",
        stderr(&o)
    );
    assert!(
        !dir.path().join("bad/results.log").exists(),
        "ran something"
    );
}

/// A sweep within the bounds on variants and jobs may still write more
/// than a disk holds: its estimated results log and assembled files are
/// refused up front beyond the scenario's `max_output_mb` (10,000 variants
/// of 1,000 replications of the quickstart wrote 2.6 GB of results log in
/// ten minutes, on its way to about 50 GB); a shard checks its part of
/// the log, and apart what the merge of all shards would write.
#[test]
fn a_sweep_too_large_to_write_is_refused_before_it_runs() {
    let dir = tempfile::tempdir().expect("temp dir");
    let scenario = repo().join("scenarios/quickstart.toml");
    let values = (1..=10)
        .map(|i| format!("\"{i}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let keys = ["vm-01", "vm-02", "vm-03", "reporting-pc"]
        .map(|m| format!("\"machines.{m}.bots\" = [{values}]\n"))
        .concat();
    let sweep = format!(
        "scenario = {:?}\nreplications = 1000\n[vary]\n{keys}",
        scenario.display()
    );
    fs::write(dir.path().join("big.toml"), sweep).expect("write");
    let o = run_in(dir.path(), &["sweep", "big.toml", "-q", "--out", "big"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let told = stderr(&o);
    let mb = estimate(&told);
    assert!((40_000.0..70_000.0).contains(&mb), "{told}");
    assert!(
        told.contains("summaries of 10000000 runs") && told.contains("limit of 1024 MB"),
        "{told}"
    );
    assert!(!dir.path().join("big").exists(), "touched its output");
    // The limit is the scenario's, raised or lowered like any key.
    let small = |replications: &str, extra: &[&str]| {
        let mut args = vec![
            "sweep",
            scenario.to_str().expect("utf-8"),
            "--vary",
            "machines.vm-01.bots=1..4",
            "--replications",
            replications,
            "-q",
        ];
        args.extend_from_slice(extra);
        run_in(dir.path(), &args)
    };
    let o = small(
        "100",
        &["--set", "limits.max_output_mb=1", "--out", "small"],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let mb = estimate(&stderr(&o));
    assert!(!dir.path().join("small").exists(), "touched its output");
    // An eighth of 1,600 runs writes about 0.6 MB of results log; the merge
    // of the eight shards about 3.7 MB of assembled files.
    let shard = |limit: &str| {
        let set = format!("limits.max_output_mb={limit}");
        small("400", &["--set", &set, "--shard", "1/8", "--out", "shard"])
    };
    let o = shard("1");
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let told = stderr(&o);
    assert!(
        told.contains("the merge of its shards would write about 3."),
        "{told}"
    );
    assert!(!dir.path().join("shard").exists(), "touched its output");
    let o = shard("5");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = small(
        "100",
        &["--set", "limits.max_output_mb=5", "--out", "small"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let written: u64 = fs::read_dir(dir.path().join("small"))
        .expect("the sweep's outputs")
        .filter_map(|e| e.ok()?.metadata().ok())
        .filter(|m| m.is_file())
        .map(|m| m.len())
        .sum();
    let ratio = mb * 1e6 / written as f64;
    assert!(
        (0.85..1.15).contains(&ratio),
        "{mb} MB estimated, {written} bytes written"
    );
}

/// A chart against one key draws a line per combination of the other
/// keys' values: at most 12, those of highest mean, the legend saying so
/// (10,000 combinations made 49 MB SVGs of lines on one another).
#[test]
fn a_chart_of_many_combinations_draws_the_highest_dozen() {
    let dir = tempfile::tempdir().expect("temp dir");
    let scenario = repo().join("scenarios/quickstart.toml");
    let o = run_in(
        dir.path(),
        &[
            "sweep",
            scenario.to_str().expect("utf-8"),
            "--vary",
            "machines.vm-01.bots=1..3",
            "--vary",
            "flows.invoices.priority=1..30",
            "--metric",
            "wait_p95_s",
            "-q",
            "--out",
            "s",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let svg = fs::read_to_string(
        dir.path()
            .join("s/charts/wait_p95_s-vs-machines_vm-01_bots.svg"),
    )
    .expect("the chart");
    assert!(
        svg.contains("invoices.priority (12 highest of 30)"),
        "no such legend"
    );
    // Every line is of all targets' runs: the title says so.
    assert!(
        svg.contains("wait_p95_s of all targets by vm-01.bots"),
        "title"
    );
    // Against the other key: 3 lines, all drawn, no such note.
    let svg = fs::read_to_string(
        dir.path()
            .join("s/charts/wait_p95_s-vs-flows_invoices_priority.svg"),
    )
    .expect("the chart");
    assert!(
        svg.contains("vm-01.bots") && !svg.contains("highest of"),
        "legend"
    );
}

/// Every job's seed comes from the base seed and its replication, so
/// varying the scenario's seed would make variants of the same runs:
/// refused, by a sweep and by a plan, saying what gives more seeds.
#[test]
fn the_seed_is_not_varied() {
    let dir = tempfile::tempdir().expect("temp dir");
    let scenario = repo().join("scenarios/quickstart.toml");
    let scenario = scenario.to_str().expect("utf-8");
    let sweep = [
        "sweep",
        scenario,
        "--vary",
        "machines.vm-01.bots=1..3",
        "--vary",
        "simulation.seed=1..30",
        "-q",
        "--out",
        "s",
    ];
    let plan = [
        "plan",
        scenario,
        "--goal",
        "all.wait_p95_s<=5m",
        "--search",
        "simulation.seed=1..30",
        "-q",
        "--out",
        "p",
    ];
    for args in [&sweep[..], &plan[..]] {
        let o = run_in(dir.path(), args);
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        let told = stderr(&o);
        assert!(told.contains("simulation.seed cannot be varied"), "{told}");
        assert!(told.contains("more replications give more seeds"), "{told}");
    }
    assert!(!dir.path().join("s").exists() && !dir.path().join("p").exists());
}

/// The megabytes of a refusal's "would write about N MB".
fn estimate(told: &str) -> f64 {
    told.split("would write about ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no estimate in {told}"))
}

#[test]
fn a_killed_sweep_resumes_to_the_same_bytes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let scenario = repo().join("scenarios/quickstart.toml");
    let args = |out: &str| -> Vec<String> {
        [
            "sweep",
            scenario.to_str().expect("utf-8"),
            "--vary",
            "machines.vm-01.bots=1..10:1",
            "--vary",
            "machines.vm-02.bots=1..10:1",
            "--replications",
            "3",
            "-q",
            "--out",
            out,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    };
    let clean = rpasim()
        .current_dir(dir.path())
        .args(args("clean"))
        .output()
        .expect("runs");
    assert!(clean.status.success(), "{}", stderr(&clean));
    // Kill (SIGKILL: no chance to clean up) once some results are in.
    let mut child = rpasim()
        .current_dir(dir.path())
        .args(args("killed"))
        .spawn()
        .expect("starts");
    let log = dir.path().join("killed/results.log");
    while child.try_wait().expect("wait").is_none()
        && fs::metadata(&log).map_or(0, |m| m.len()) < 20_000
    {
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    child.kill().ok();
    child.wait().expect("wait");
    let mut resume: Vec<String> = args("killed").into_iter().filter(|a| a != "-q").collect();
    resume.push("--resume".into());
    let resumed = rpasim()
        .current_dir(dir.path())
        .args(resume)
        .output()
        .expect("runs");
    assert!(resumed.status.success(), "{}", stderr(&resumed));
    // "100 variants x 3 replications (N run now, M resumed)": both parts.
    let said = stdout(&resumed);
    assert!(
        !said.contains("(0 run now") && !said.contains(" 0 resumed"),
        "{said}"
    );
    assert_same_outputs(dir.path(), "clean", "killed");
}

#[test]
fn sweeps_summarise_flows_too() {
    let dir = tempfile::tempdir().expect("temp dir");
    let scenario = repo().join("scenarios/quickstart.toml");
    let args = |extra: &[&str]| -> Vec<String> {
        let mut a: Vec<String> = [
            "sweep",
            scenario.to_str().expect("utf-8"),
            "--vary",
            "machines.vm-03.bots=1,2",
            "--replications",
            "3",
            "--out",
            "s",
            "-q",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    };
    let o = rpasim()
        .current_dir(dir.path())
        .args(args(&[]))
        .output()
        .expect("runs");
    assert!(o.status.success(), "{}", stderr(&o));
    let read = |name: &str| {
        let mut r = csv::Reader::from_path(dir.path().join("s").join(name)).expect(name);
        let header: Vec<String> = r
            .headers()
            .expect("header")
            .iter()
            .map(String::from)
            .collect();
        let rows: Vec<Vec<String>> = r
            .records()
            .map(|x| x.expect("row").iter().map(String::from).collect())
            .collect();
        (header, rows)
    };
    let (fh, flows) = read("sweep-flows.csv");
    let (th, targets) = read("sweep-targets.csv");
    assert_eq!(flows.len(), 2 * 3 * 4, "variants x replications x flows");
    let col = |h: &[String], name: &str| h.iter().position(|c| c == name).expect(name);
    // Per variant and replication, the flows of `sales` add up to `sales`.
    for t in targets.iter().filter(|t| t[col(&th, "target")] == "sales") {
        let key = |r: &Vec<String>| (r[0].clone(), r[1].clone());
        let sum: u64 = flows
            .iter()
            .filter(|f| key(f) == key(t) && f[col(&fh, "target")] == "sales")
            .map(|f| f[col(&fh, "arrivals")].parse::<u64>().expect("count"))
            .sum();
        assert_eq!(sum.to_string(), t[col(&th, "arrivals")]);
    }
    let (sh, summary) = read("sweep-summary.csv");
    let refunds: Vec<&Vec<String>> = summary
        .iter()
        .filter(|r| r[col(&sh, "target")] == "flow:urgent-refunds")
        .collect();
    assert!(
        refunds
            .iter()
            .any(|r| r[col(&sh, "metric")] == "start_p95_s")
    );
    assert!(
        refunds.iter().all(|r| r[col(&sh, "metric")] != "bot_hours"),
        "flows have no pool metrics"
    );
    // A sweep directory of an earlier version (no results format) is not resumed.
    let toml = dir.path().join("s/sweep.toml");
    let text = fs::read_to_string(&toml).expect("sweep.toml");
    fs::write(&toml, text.replace("format = 2\n", "")).expect("write");
    let o = rpasim()
        .current_dir(dir.path())
        .args(args(&["--resume"]))
        .output()
        .expect("runs");
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("another rpasim version"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn plot_redraws_a_sweep_with_its_goals_threshold() {
    let dir = setup();
    let with_goal = format!(
        "{HOSTED}\n[[goals]]\nname = \"pool\"\nmetric = \"start_p95_s\"\nat_most = \"30m\"\n"
    );
    fs::write(dir.path().join("hosted.toml"), with_goal).expect("write");
    let metrics = [
        "--metric",
        "start_p95_s",
        "--metric",
        "wait_busy_share",
        "--metric",
        "bot_hours",
    ];
    let o = sweep(dir.path(), &[&metrics[..], &["--out", "s"]].concat());
    assert!(o.status.success(), "{}", stderr(&o));
    let out = dir.path().join("s");
    let before = outputs(&out);
    let svg = before
        .iter()
        .find(|(name, _)| name.contains("start_p95_s"))
        .map(|(_, bytes)| String::from_utf8_lossy(bytes).into_owned())
        .expect("a start_p95_s chart");
    assert!(
        svg.contains("goal: pool.start_p95_s &lt;= 30m"),
        "no threshold"
    );
    assert!(
        svg.contains("start_p95_s (hours)") || svg.contains("start_p95_s (minutes)"),
        "long durations read in hours or minutes"
    );
    // Lines for the target and for all: the title says they are per target.
    assert!(svg.contains("start_p95_s per target by pool.max_bots"));
    assert!(svg.contains("mean and 95 % interval over 5 replications"));
    // One replication gives a value, not an interval: the title says so.
    let one = [
        "sweep",
        "hosted.toml",
        "--vary",
        "hosted_groups.pool.max_bots=4,8",
        "--replications",
        "1",
        "--out",
        "one",
        "-q",
    ];
    let o = run_in(dir.path(), &[&one[..], &metrics[..]].concat());
    assert!(o.status.success(), "{}", stderr(&o));
    let one = outputs(&dir.path().join("one"));
    let titles: Vec<String> = one
        .iter()
        .filter(|(name, _)| name.ends_with(".svg"))
        .map(|(_, bytes)| String::from_utf8_lossy(bytes).into_owned())
        .collect();
    assert!(
        titles
            .iter()
            .all(|svg| svg.contains("by pool.max_bots: one replication, no interval"))
    );
    assert!(titles.iter().all(|svg| !svg.contains("interval over")));
    // Charts deleted: `plot` draws them again, byte for byte.
    fs::remove_dir_all(out.join("charts")).expect("rm charts");
    let o = run_in(dir.path(), &["plot", "s"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(outputs(&out), before);
    // A sweep.toml that no longer reads is told by its line, without the
    // values it holds.
    let manifest = out.join("sweep.toml");
    let kept = fs::read_to_string(&manifest).expect("sweep.toml");
    fs::write(
        &manifest,
        kept.replace("replications = ", "replications = \"hunter2\"\n# "),
    )
    .expect("write");
    let o = run_in(dir.path(), &["plot", "s"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("s: sweep.toml line "), "{}", stderr(&o));
    assert!(
        stderr(&o).contains(": invalid type, expected u32"),
        "{}",
        stderr(&o)
    );
    assert!(!stderr(&o).contains("hunter2"), "{}", stderr(&o));
}

/// Every file of a directory, by relative path, with its bytes.
fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).expect("dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let name = path
                    .strip_prefix(dir)
                    .expect("inside")
                    .display()
                    .to_string();
                files.push((name, fs::read(&path).expect("file")));
            }
        }
    }
    files.sort();
    files
}

/// What `--shard auto` reads; removed from a test's command, so that a
/// test run inside an array task is not mistaken for one.
const SCHEDULER_VARIABLES: [&str; 9] = [
    "SLURM_ARRAY_TASK_ID",
    "SLURM_ARRAY_TASK_MIN",
    "SLURM_ARRAY_TASK_MAX",
    "SLURM_ARRAY_TASK_COUNT",
    "SLURM_ARRAY_TASK_STEP",
    "JOB_COMPLETION_INDEX",
    "JOB_COMPLETIONS",
    "AWS_BATCH_JOB_ARRAY_INDEX",
    "AWS_BATCH_JOB_ARRAY_SIZE",
];

#[test]
fn shard_auto_is_the_shard_the_scheduler_gives() {
    let dir = setup();
    // One thread each: results.log is in completion order, which threads
    // may change (the assembled outputs never do).
    let o = sweep(
        dir.path(),
        &["--out", "given", "--shard", "2/3", "--jobs", "1"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let variables = [
        ("SLURM_ARRAY_TASK_ID", "2"),
        ("SLURM_ARRAY_TASK_MIN", "1"),
        ("SLURM_ARRAY_TASK_COUNT", "3"),
    ];
    let scheduled = |out: &str, vars: &[(&str, &str)]| {
        let mut cmd = rpasim();
        cmd.current_dir(dir.path())
            .args(SWEEP)
            .args(["--shard", "auto", "--jobs", "1", "--out", out]);
        for name in SCHEDULER_VARIABLES {
            cmd.env_remove(name);
        }
        cmd.envs(vars.iter().copied())
            .output()
            .expect("rpasim runs")
    };
    // The same files, named when one differs (not a dump of bytes).
    let same = |other: &str| {
        let (a, b) = (
            tree(&dir.path().join("given")),
            tree(&dir.path().join(other)),
        );
        let names = |t: &[(String, Vec<u8>)]| t.iter().map(|f| f.0.clone()).collect::<Vec<_>>();
        assert_eq!(names(&a), names(&b));
        for ((name, x), (_, y)) in a.iter().zip(&b) {
            assert!(x == y, "{other}/{name} differs");
        }
    };
    let o = scheduled("auto", &variables);
    assert!(o.status.success(), "{}", stderr(&o));
    same("auto");
    // Kubernetes counts from 0: index 1 of 3 is the same shard.
    let o = scheduled(
        "k8s",
        &[("JOB_COMPLETION_INDEX", "1"), ("JOB_COMPLETIONS", "3")],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    same("k8s");
    // Outside an array task: exit 2, saying what it looked for.
    let o = scheduled("none", &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("none of SLURM_ARRAY_TASK_ID (Slurm), JOB_COMPLETION_INDEX"),
        "{}",
        stderr(&o)
    );
    assert!(!dir.path().join("none").exists());
}

/// A shard's directory is resumed only as that shard: a Slurm task
/// submitted again on its own (`--array=2`) is shard 1/1 for `--shard
/// auto`, which ran the whole sweep into shard 2's directory. A list array
/// (`--array=1,3,5`) is refused in every task, before anything is written.
#[test]
fn a_shard_is_resumed_only_as_itself() {
    let dir = setup();
    let o = sweep(dir.path(), &["--out", "s2", "--shard", "2/3"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let manifest = fs::read_to_string(dir.path().join("s2/sweep.toml")).expect("sweep.toml");
    assert!(manifest.ends_with("shard = \"2/3\"\n"), "{manifest}");
    let log = fs::read(dir.path().join("s2/results.log")).expect("log");
    let in_task = |out: &str, vars: &[(&str, &str)]| {
        let mut cmd = rpasim();
        cmd.current_dir(dir.path())
            .args(SWEEP)
            .args(["--shard", "auto", "--resume", "--out", out]);
        for name in SCHEDULER_VARIABLES {
            cmd.env_remove(name);
        }
        cmd.envs(vars.iter().copied()).output().expect("rpasim")
    };
    // Slurm 22.05's variables for `sbatch --array=2`.
    let alone = [
        ("SLURM_ARRAY_TASK_ID", "2"),
        ("SLURM_ARRAY_TASK_MIN", "2"),
        ("SLURM_ARRAY_TASK_MAX", "2"),
        ("SLURM_ARRAY_TASK_COUNT", "1"),
        ("SLURM_ARRAY_TASK_STEP", "1"),
    ];
    let o = in_task("s2", &alone);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let message = stderr(&o);
    assert!(
        message.contains("--resume as shard 1/1, but it holds shard 2/3")
            && message.contains("--array=2")
            && message.contains("--shard 2/3"),
        "{message}"
    );
    let whole = sweep(dir.path(), &["--out", "s2", "--resume"]);
    assert_eq!(whole.status.code(), Some(2));
    assert!(stderr(&whole).contains("--resume as the whole sweep"));
    assert_eq!(
        fs::read(dir.path().join("s2/results.log")).expect("log"),
        log
    );
    let again = sweep(dir.path(), &["--out", "s2", "--shard", "2/3", "--resume"]);
    assert!(again.status.success(), "{}", stderr(&again));
    assert_eq!(
        fs::read(dir.path().join("s2/results.log")).expect("log"),
        log
    );
    // Slurm 22.05's variables for task 3 of `sbatch --array=1,3,5`.
    let list = [
        ("SLURM_ARRAY_TASK_ID", "3"),
        ("SLURM_ARRAY_TASK_MIN", "1"),
        ("SLURM_ARRAY_TASK_MAX", "5"),
        ("SLURM_ARRAY_TASK_COUNT", "3"),
        ("SLURM_ARRAY_TASK_STEP", "1"),
    ];
    let o = in_task("listed", &list);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("not one range from 1 to 5"),
        "{}",
        stderr(&o)
    );
    assert!(!dir.path().join("listed").exists());
}
