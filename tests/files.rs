//! What rpasim will never do to the user's files: each finding of the
//! trust review reproduced through the binary, with the new behaviour
//! asserted (exit status, files kept byte for byte, nothing left beside
//! the output).

use crate::common;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Output};
use std::time::{Duration, Instant};

use common::{repo, rpasim, run_in, stderr};

/// Every file under `dir` (recursively, hidden ones included) with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in fs::read_dir(&d).expect("ls") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                todo.push(path.clone());
                out.insert(path.strip_prefix(dir).expect("under").to_path_buf(), vec![]);
            } else {
                let bytes = fs::read(&path).expect("read");
                out.insert(path.strip_prefix(dir).expect("under").to_path_buf(), bytes);
            }
        }
    }
    out
}

/// Asserts that two snapshots are equal, naming the paths that differ.
#[track_caller]
fn assert_same(a: &BTreeMap<PathBuf, Vec<u8>>, b: &BTreeMap<PathBuf, Vec<u8>>, what: &str) {
    let differ: Vec<&PathBuf> = a
        .keys()
        .chain(b.keys())
        .filter(|k| a.get(*k) != b.get(*k))
        .collect();
    assert!(differ.is_empty(), "{what}: {differ:?} differ");
}

/// Names in `dir` (not recursive), sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .expect("ls")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// A project directory with a scenario and the user's own files.
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let s = fs::read_to_string(repo().join("scenarios/quickstart.toml")).expect("bundled");
    fs::write(dir.path().join("quickstart.toml"), s).expect("write");
    fs::create_dir(dir.path().join("mywork")).expect("mkdir");
    fs::write(dir.path().join("mywork/thesis.tex"), "\\chapter{Years}").expect("write");
    fs::write(dir.path().join("notes.txt"), "my notes").expect("write");
    dir
}

fn run(dir: &Path, out: &str) -> Output {
    run_in(
        dir,
        &["run", "quickstart.toml", "--out", out, "-q", "--no-charts"],
    )
}

fn assert_refused(o: &Output, mentions: &str) {
    assert_eq!(o.status.code(), Some(2), "{}", stderr(o));
    assert!(stderr(o).contains(mentions), "{}", stderr(o));
}

#[test]
fn a_directory_that_is_not_an_rpasim_output_is_never_replaced() {
    let dir = project();
    let before = snapshot(dir.path());
    assert_refused(&run(dir.path(), "mywork"), "\"thesis.tex\"");
    // The bundled scenarios directory, and the project itself.
    let scenarios = dir.path().join("scenarios");
    fs::create_dir(&scenarios).expect("mkdir");
    fs::copy(dir.path().join("quickstart.toml"), scenarios.join("q.toml")).expect("copy");
    let before_scenarios = snapshot(dir.path());
    assert_refused(&run(dir.path(), "scenarios"), "\"q.toml\"");
    assert_refused(
        &run(dir.path(), "."),
        "which is not a file of an rpasim run output",
    );
    assert_same(&snapshot(dir.path()), &before_scenarios, "nothing touched");
    fs::remove_dir_all(&scenarios).expect("rm");
    assert_same(&snapshot(dir.path()), &before, "unchanged");
}

#[test]
fn an_existing_file_is_refused_and_nothing_is_moved() {
    let dir = project();
    let before = snapshot(dir.path());
    let o = run(dir.path(), "notes.txt");
    assert_refused(&o, "notes.txt exists and is not a directory");
    assert_same(&snapshot(dir.path()), &before, "unchanged");
    // Again: the same answer, not a different failure.
    assert_refused(&run(dir.path(), "notes.txt"), "not a directory");
}

#[cfg(unix)]
#[test]
fn a_symbolic_link_is_refused() {
    let dir = project();
    std::os::unix::fs::symlink(dir.path().join("mywork"), dir.path().join("link")).expect("ln");
    let before = snapshot(&dir.path().join("mywork"));
    assert_refused(&run(dir.path(), "link"), "symbolic link");
    assert_same(&snapshot(&dir.path().join("mywork")), &before, "unchanged");
}

#[test]
fn an_earlier_output_is_replaced_and_a_sibling_named_like_old_kept() {
    let dir = project();
    fs::create_dir(dir.path().join(".out.old")).expect("mkdir");
    fs::write(dir.path().join(".out.old/keep.txt"), "mine").expect("write");
    assert!(run(dir.path(), "out").status.success());
    assert!(run(dir.path(), "out").status.success(), "replaces its own");
    assert_eq!(
        fs::read_to_string(dir.path().join(".out.old/keep.txt")).expect("kept"),
        "mine"
    );
    assert_eq!(
        names(dir.path()),
        vec![".out.old", "mywork", "notes.txt", "out", "quickstart.toml"]
    );
    // An output the user added a file to is theirs now.
    fs::write(dir.path().join("out/analysis.ipynb"), "{}").expect("write");
    assert_refused(&run(dir.path(), "out"), "\"analysis.ipynb\"");
    assert!(dir.path().join("out/runs.csv").exists());
}

/// The manifest lists every target, so with 25,000 machines it passes the
/// megabyte of it read to recognise the output: the run is still
/// replaced by the next one (it was refused as "not an rpasim output").
#[test]
fn an_output_with_a_manifest_over_a_megabyte_is_replaced() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut text = String::from("[simulation]\nseed = 1\nhorizon = \"1m\"\n");
    for m in 0..25_000 {
        text.push_str(&format!("\n[[machines]]\nname = \"vm{m:05}\"\n"));
    }
    fs::write(dir.path().join("many.toml"), text).expect("write");
    let args = ["run", "many.toml", "--out", "out", "--no-charts", "--quiet"];
    assert!(run_in(dir.path(), &args).status.success());
    let manifest = dir.path().join("out/manifest.toml");
    assert!(fs::metadata(&manifest).expect("manifest").len() > 1 << 20);
    let again = run_in(dir.path(), &args);
    assert!(again.status.success(), "{}", stderr(&again));
}

#[test]
fn an_empty_directory_and_a_new_nested_path_are_written() {
    let dir = project();
    fs::create_dir(dir.path().join("empty")).expect("mkdir");
    assert!(run(dir.path(), "empty").status.success());
    assert!(dir.path().join("empty/summary.csv").exists());
    assert!(run(dir.path(), "a/b/c").status.success());
    assert!(dir.path().join("a/b/c/summary.csv").exists());
    assert_eq!(names(&dir.path().join("a/b")), vec!["c"]);
}

#[test]
fn plot_redraws_only_an_rpasim_output() {
    let dir = project();
    let before = snapshot(dir.path());
    let o = run_in(dir.path(), &["plot", "mywork"]);
    assert_refused(
        &o,
        "\"thesis.tex\", which is not a file of an rpasim run output",
    );
    fs::create_dir(dir.path().join("empty")).expect("mkdir");
    assert_refused(
        &run_in(dir.path(), &["plot", "empty"]),
        "not an rpasim output",
    );
    fs::remove_dir(dir.path().join("empty")).expect("rmdir");
    assert_same(&snapshot(dir.path()), &before, "unchanged");
    assert!(run(dir.path(), "out").status.success());
    fs::create_dir(dir.path().join("out/charts")).expect("mkdir");
    fs::write(dir.path().join("out/charts/old-chart.svg"), "<svg/>").expect("write");
    let o = run_in(dir.path(), &["plot", "out"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        !dir.path().join("out/charts/old-chart.svg").exists(),
        "charts are replaced whole"
    );
    assert_eq!(names(&dir.path().join("out/charts")).len(), 14);
    assert_eq!(
        names(dir.path()),
        vec!["mywork", "notes.txt", "out", "quickstart.toml"]
    );
}

/// `plot` of an output whose files were replaced refuses it (exit 2),
/// naming the file and what is wrong without quoting it, and leaves the
/// directory as it was: a row of the wrong width, bytes that are not text,
/// an endless line (read in bounded memory), a file grown past what rpasim
/// writes.
#[test]
fn plot_refuses_files_not_as_rpasim_writes_them() {
    let dir = project();
    assert!(run(dir.path(), "out").status.success());
    let out = dir.path().join("out");
    let cases: [(&str, Vec<u8>, &str); 5] = [
        (
            "events.csv",
            b"time_s,event\nhunter2,b,c\n".to_vec(),
            "out/events.csv: line 2: 3 fields where the header has 2",
        ),
        (
            "timeseries.csv",
            b"time_s,target\n\xff\xfehunter2,x\n".to_vec(),
            "out/timeseries.csv: line 2: not UTF-8 text",
        ),
        (
            "runs.csv",
            [&b"target,arrival_s,wait_s\n"[..], &vec![b'x'; 33 << 20]].concat(),
            "out/runs.csv: a line longer than 32 MB",
        ),
        (
            "summary.csv",
            vec![b'\n'; (64 << 20) + 1],
            "out/summary.csv: the file has 67108865 bytes, more than the 64 MB rpasim reads",
        ),
        (
            "scenario.toml",
            b"\xff\xfehunter2".to_vec(),
            "out/scenario.toml: not UTF-8 text",
        ),
    ];
    for (file, bytes, message) in cases {
        let path = out.join(file);
        let kept = fs::read(&path).expect("output file");
        fs::write(&path, &bytes).expect("write");
        let before = snapshot(dir.path());
        let o = run_in(dir.path(), &["plot", "out"]);
        assert_refused(&o, message);
        assert!(!stderr(&o).contains("hunter2"), "{}", stderr(&o));
        assert_same(&snapshot(dir.path()), &before, "unchanged");
        fs::write(&path, kept).expect("restore");
    }
    let o = run_in(dir.path(), &["plot", "out"]);
    assert!(o.status.success(), "{}", stderr(&o));
}

/// `plot` of an output whose summaries, runs, samples or events were
/// edited refuses it (exit 2) rather than draw what they do not say: the charts
/// read `summary.csv`'s rows by position and a cell that is not a number
/// as 0, so an emptied file drew a report without its targets, and an
/// edited cell a wait of 0; a `runs.csv` or `timeseries.csv` cut short
/// drew no waits or no lines.
#[test]
fn plot_refuses_files_not_of_its_run() {
    let dir = project();
    assert!(run(dir.path(), "out").status.success());
    let out = dir.path().join("out");
    let summary = fs::read_to_string(out.join("summary.csv")).expect("summary");
    let flows = fs::read_to_string(out.join("summary-flows.csv")).expect("flows");
    let lines: Vec<&str> = summary.lines().collect();
    assert_eq!(lines.len(), 4, "two targets and all: {summary}");
    let without_all = format!("{}\n", lines[..3].join("\n"));
    let swapped = format!("{}\n{}\n{}\n{}\n", lines[0], lines[2], lines[1], lines[3]);
    let runs = fs::read_to_string(out.join("runs.csv")).expect("runs");
    let header_only = format!("{}\n", runs.lines().next().expect("header"));
    let series = fs::read_to_string(out.join("timeseries.csv")).expect("series");
    let series_header = format!("{}\n", series.lines().next().expect("header"));
    let events = "time_s,event,target,machine,flow,detail\nhunter2,machine_offline,sales,vm-01,,\n";
    let cases: [(&str, String, &str); 11] = [
        (
            "events.csv",
            events.to_string(),
            "out/events.csv: line 2: time_s is not a number of seconds",
        ),
        (
            "timeseries.csv",
            series_header,
            "out/timeseries.csv: 0 rows where manifest.toml's 2 targets sampled 2017 times make \
             4034",
        ),
        (
            "timeseries.csv",
            with_cell(&series, 2, "hunter2"),
            "out/timeseries.csv: line 2: queued is not a count",
        ),
        (
            "runs.csv",
            with_cell(&runs, 4, "hunter2"),
            "out/runs.csv: line 2: arrival_s is not a number of seconds",
        ),
        (
            "runs.csv",
            header_only,
            "out/runs.csv: 0 runs where manifest.toml says",
        ),
        (
            "summary.csv",
            String::new(),
            "out/summary.csv: its first column is not target",
        ),
        (
            "summary.csv",
            without_all,
            "out/summary.csv: 2 rows where manifest.toml has 2 targets and all",
        ),
        (
            "summary.csv",
            swapped,
            "out/summary.csv: line 2: not the row of target \"sales\" of manifest.toml",
        ),
        (
            "summary.csv",
            summary.replacen("\nsales,", "\nsales,hunter2", 1),
            "out/summary.csv: line 2: arrivals is not a number",
        ),
        (
            "summary-flows.csv",
            with_cell(&flows, 2, "NaN"),
            "out/summary-flows.csv: line 2: arrivals is not a number",
        ),
        (
            "summary-flows.csv",
            with_cell(&flows, 9, "-inf"),
            "out/summary-flows.csv: line 2: wait_mean_s is not a number",
        ),
    ];
    for (file, text, message) in cases {
        let path = out.join(file);
        let kept = fs::read(&path).expect("output file");
        fs::write(&path, &text).expect("write");
        let o = run_in(dir.path(), &["plot", "out"]);
        assert_refused(&o, message);
        assert!(!stderr(&o).contains("hunter2"), "{}", stderr(&o));
        fs::write(&path, kept).expect("restore");
    }
    let o = run_in(dir.path(), &["plot", "out"]);
    assert!(o.status.success(), "{}", stderr(&o));
}

/// A CSV text with the cell at `column` of its first row replaced.
fn with_cell(csv: &str, column: usize, value: &str) -> String {
    let mut rows: Vec<String> = csv.lines().map(str::to_string).collect();
    let mut cells: Vec<&str> = rows[1].split(',').collect();
    cells[column] = value;
    rows[1] = cells.join(",");
    format!("{}\n", rows.join("\n"))
}

/// A run long enough to be interrupted: a million-run benchmark stretched.
fn start_long_run(dir: &Path, out: &str) -> Child {
    rpasim()
        .current_dir(dir)
        .args([
            "run",
            repo()
                .join("scenarios/mmc-million.toml")
                .to_str()
                .expect("utf-8"),
            "--set",
            "simulation.horizon=880d",
            "--max-runs",
            "30000000",
            "--set",
            "limits.max_output_mb=4000",
            "--out",
            out,
            "-q",
        ])
        .spawn()
        .expect("starts")
}

/// Waits until the run's staging directory holds some of `runs.csv`.
fn wait_for_staging(dir: &Path, child: &mut Child) -> PathBuf {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        assert!(child.try_wait().expect("wait").is_none(), "ended too soon");
        assert!(Instant::now() < deadline, "no staging directory appeared");
        let staging = fs::read_dir(dir)
            .expect("ls")
            .map(|e| e.expect("entry").path())
            .find(|p| p.to_string_lossy().contains(".out.partial-"));
        if let Some(s) = staging
            && fs::metadata(s.join("runs.csv")).is_ok_and(|m| m.len() > 100_000)
        {
            return s;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[cfg(unix)]
fn signal(child: &Child, name: &str) {
    let status = std::process::Command::new("kill")
        .args([format!("-{name}"), child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
}

#[cfg(unix)]
#[test]
fn sigint_and_sigterm_leave_the_previous_output_and_no_staging() {
    let dir = project();
    assert!(run(dir.path(), "out").status.success());
    let before = snapshot(dir.path());
    for (name, code) in [("INT", 130), ("TERM", 143)] {
        let mut child = start_long_run(dir.path(), "out");
        let staging = wait_for_staging(dir.path(), &mut child);
        signal(&child, name);
        let status = child.wait().expect("wait");
        assert_eq!(status.code(), Some(code), "SIG{name}");
        assert!(!staging.exists(), "SIG{name}: staging removed");
        assert_same(
            &snapshot(dir.path()),
            &before,
            &format!("SIG{name}: previous output intact"),
        );
    }
}

#[test]
fn a_killed_run_leaves_staging_that_the_next_run_removes() {
    let dir = project();
    assert!(run(dir.path(), "out").status.success());
    let before = snapshot(&dir.path().join("out"));
    let mut child = start_long_run(dir.path(), "out");
    let staging = wait_for_staging(dir.path(), &mut child);
    child.kill().expect("SIGKILL");
    child.wait().expect("wait");
    assert!(staging.exists(), "SIGKILL leaves no chance to clean up");
    assert_same(
        &snapshot(&dir.path().join("out")),
        &before,
        "previous output intact",
    );
    assert!(run(dir.path(), "out").status.success());
    assert!(!staging.exists(), "the next run removed it");
    assert_eq!(
        names(dir.path()),
        vec!["mywork", "notes.txt", "out", "quickstart.toml"]
    );
}

#[test]
fn concurrent_runs_into_one_output_end_with_one_complete_output() {
    let dir = project();
    assert!(run(dir.path(), "out").status.success());
    let reference = snapshot(&dir.path().join("out"));
    let children: Vec<Child> = (0..6)
        .map(|_| {
            rpasim()
                .current_dir(dir.path())
                .args([
                    "run",
                    "quickstart.toml",
                    "--out",
                    "out",
                    "-q",
                    "--no-charts",
                ])
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("starts")
        })
        .collect();
    for child in children {
        let o = child.wait_with_output().expect("wait");
        assert!(o.status.success(), "{}", stderr(&o));
    }
    assert_same(&snapshot(&dir.path().join("out")), &reference, "unchanged");
    assert_eq!(
        names(dir.path()),
        vec!["mywork", "notes.txt", "out", "quickstart.toml"]
    );
}

/// A signal at any moment of a run's second half and just after it, when
/// the new output is put in place: the output is then whole, the
/// previous one or the new one (the same bytes here), and nothing is left
/// beside it. Until 2026-12-07 (the eleventh session) a signal during the
/// swap removed the files of the output just put in place, through the
/// handle of the directory being removed, and the exchange had already
/// moved the previous output to where it is removed: `out` was left with
/// a file or none, refused by every later run as not rpasim's. 60 signals
/// spread so hit it 1 to 7 times (5 rounds); the signals' moments only
/// decide how many of them land in the swap, not the verdict.
#[cfg(unix)]
#[test]
fn a_signal_while_the_output_is_put_in_place_leaves_it_whole() {
    let dir = project();
    let args = ["run", "quickstart.toml", "--out", "out", "-q"];
    let started = Instant::now();
    assert!(run_in(dir.path(), &args).status.success());
    let took = started.elapsed();
    let before = snapshot(&dir.path().join("out"));
    for i in 0..60u32 {
        let mut child = rpasim()
            .current_dir(dir.path())
            .args(args)
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("starts");
        std::thread::sleep(took.mul_f64(0.5 + 0.7 * f64::from(i) / 60.0));
        // Not yet waited for, the process is there to signal even if done.
        signal(&child, "HUP");
        let status = child.wait().expect("wait");
        assert!(
            status.code().is_none_or(|c| c == 0 || c == 129),
            "signal {i}: {status:?}"
        );
        assert_same(
            &snapshot(&dir.path().join("out")),
            &before,
            &format!("signal {i}: the output whole"),
        );
        assert_eq!(
            names(dir.path()),
            vec!["mywork", "notes.txt", "out", "quickstart.toml"],
            "signal {i}: nothing beside it"
        );
    }
}

// ----- sweeps and merges ---------------------------------------------------

fn sweep(dir: &Path, out: &str, values: &str, extra: &[&str]) -> Output {
    let vary = format!("machines.vm-01.bots={values}");
    let mut args = vec![
        "sweep",
        "quickstart.toml",
        "--vary",
        &vary,
        "--replications",
        "2",
        "--out",
        out,
        "-q",
    ];
    args.extend_from_slice(extra);
    run_in(dir, &args)
}

/// Runs the binary in `dir`, killing it (and failing) if it has not ended
/// within 30 s: for inputs it might wait on forever.
#[cfg(unix)]
fn run_bounded(dir: &Path, args: &[&str]) -> Output {
    let mut child = rpasim()
        .current_dir(dir)
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("rpasim starts");
    let start = Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if start.elapsed() > Duration::from_secs(30) {
            let _ = child.kill();
            panic!("rpasim {} waited on its input", args.join(" "));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("output")
}

/// A FIFO where a file is read blocks its reader until something writes
/// to it: `import` of a FIFO and `merge` of a shard whose results log is
/// one waited forever. Refused, naming the file.
#[cfg(unix)]
#[test]
fn a_fifo_in_place_of_an_input_is_refused_not_waited_on() {
    let dir = project();
    let mkfifo = |path: &Path| {
        let made = std::process::Command::new("mkfifo").arg(path).status();
        assert!(made.expect("mkfifo").success());
    };
    mkfifo(&dir.path().join("history.csv"));
    let o = run_bounded(dir.path(), &["import", "history.csv", "--out", "h"]);
    assert_refused(&o, "history.csv: the history is not a regular file");
    for shard in ["1/2", "2/2"] {
        let out = format!("d{}", &shard[..1]);
        let o = sweep(dir.path(), &out, "1,2", &["--shard", shard]);
        assert!(o.status.success(), "{}", stderr(&o));
    }
    fs::remove_file(dir.path().join("d1/results.log")).expect("rm");
    mkfifo(&dir.path().join("d1/results.log"));
    let o = run_bounded(dir.path(), &["merge", "d1", "d2", "--out", "merged"]);
    assert_refused(&o, "results.log: not a regular file");
    assert!(!dir.path().join("merged").exists());
}

#[test]
fn merge_never_writes_into_a_shard() {
    let dir = project();
    for shard in ["1/2", "2/2"] {
        let out = format!("d{}", &shard[..1]);
        let o = sweep(dir.path(), &out, "1,2", &["--shard", shard]);
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let before = snapshot(dir.path());
    let o = run_in(dir.path(), &["merge", "d1", "d2", "--out", "d1"]);
    assert_refused(&o, "being merged");
    let o = run_in(dir.path(), &["merge", "d1", "d2", "--out", "./d2/"]);
    assert_refused(&o, "being merged");
    assert_same(&snapshot(dir.path()), &before, "shards intact");
    let o = run_in(dir.path(), &["merge", "d1", "d2", "--out", "mywork"]);
    assert_refused(&o, "\"thesis.tex\"");
    assert_same(&snapshot(dir.path()), &before, "unchanged");
    let o = run_in(dir.path(), &["merge", "d1", "d2", "--out", "merged"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run_in(dir.path(), &["merge", "d2", "d1", "--out", "merged"]);
    assert!(
        o.status.success(),
        "an earlier merge is replaced: {}",
        stderr(&o)
    );
    assert!(
        dir.path()
            .join("merged/sweep.toml")
            .metadata()
            .expect("toml")
            .len()
            > 0
    );
    // A shard can still be resumed and merged after all this.
    let o = sweep(dir.path(), "d1", "1,2", &["--shard", "1/2", "--resume"]);
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn a_sweep_never_replaces_another_sweep_or_foreign_files() {
    let dir = project();
    assert_refused(&sweep(dir.path(), "mywork", "1,2", &[]), "\"thesis.tex\"");
    assert!(sweep(dir.path(), "s", "1,2", &[]).status.success());
    let before = snapshot(dir.path());
    assert_refused(&sweep(dir.path(), "s", "1,3", &[]), "another sweep");
    assert_refused(
        &sweep(dir.path(), "s", "1,3", &["--resume"]),
        "different sweep",
    );
    assert_same(&snapshot(dir.path()), &before, "unchanged");
}

#[test]
fn a_rerun_sweep_keeps_no_stale_chart_and_resume_cleans_partial_files() {
    let dir = project();
    assert!(sweep(dir.path(), "s", "1,2", &[]).status.success());
    let s = dir.path().join("s");
    // The results log is in the order jobs finished: not an output.
    let outputs = |s: &Path| {
        let mut all = snapshot(s);
        all.remove(Path::new("results.log"));
        all
    };
    let reference = outputs(&s);
    // A chart of an earlier version, and what interrupted assemblies leave
    // (this version's names and the previous version's).
    fs::write(s.join("charts/old-vs-x.svg"), "<svg/>").expect("write");
    fs::write(s.join(".sweep.csv.partial-4294967294"), "half").expect("write");
    fs::write(s.join("sweep-summary.partial-4294967294"), "half").expect("write");
    assert!(
        sweep(dir.path(), "s", "1,2", &["--resume"])
            .status
            .success()
    );
    assert_same(&outputs(&s), &reference, "resumed");
    fs::write(s.join("charts/old-vs-x.svg"), "<svg/>").expect("write");
    assert!(sweep(dir.path(), "s", "1,2", &[]).status.success());
    assert_same(&outputs(&s), &reference, "a rerun starts over");
}

#[test]
fn resume_without_sweep_toml_does_not_trust_the_results() {
    let dir = project();
    assert!(sweep(dir.path(), "s", "1,2", &[]).status.success());
    fs::remove_file(dir.path().join("s/sweep.toml")).expect("rm");
    let before = snapshot(dir.path());
    let o = sweep(dir.path(), "s", "1,2", &["--resume"]);
    assert_refused(&o, "no sweep.toml written by rpasim");
    assert_same(&snapshot(dir.path()), &before, "unchanged");
}

#[test]
fn check_update_replaces_only_a_summary() {
    let dir = project();
    let o = run_in(
        dir.path(),
        &[
            "check",
            "--baseline",
            "notes.txt",
            "quickstart.toml",
            "--update",
        ],
    );
    assert_refused(&o, "notes.txt");
    assert_eq!(
        fs::read_to_string(dir.path().join("notes.txt")).expect("kept"),
        "my notes"
    );
    let o = run_in(
        dir.path(),
        &[
            "check",
            "--baseline",
            "base.csv",
            "quickstart.toml",
            "--update",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run_in(
        dir.path(),
        &[
            "check",
            "--baseline",
            "base.csv",
            "quickstart.toml",
            "--update",
        ],
    );
    assert!(
        o.status.success(),
        "its own baseline is replaced: {}",
        stderr(&o)
    );
}
