//! A fuzz campaign through the binary: mutated bundled scenarios, each run
//! by `rpasim run` under a time limit with its peak memory measured
//! (`/usr/bin/time`). Counts exit statuses, panics, hangs, runs over the
//! memory limit and exit-2 messages without a location; keeps every
//! failing case for reproduction.
//!
//! ```text
//! cargo build --release
//! cargo run --release -p rpasim-fuzz --bin fuzz-campaign -- \
//!     --rpasim target/release/rpasim --scenarios scenarios --count 10000
//! ```
//!
//! A case is the same for the same `--seed` and case number, so one the
//! report names (the slowest, say) is made again, and kept, by running it
//! alone: `--seed S --first N --count 1`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use rpasim_fuzz::mutate;

/// Settings from the command line.
#[derive(Debug, Clone)]
struct Settings {
    rpasim: PathBuf,
    scenarios: PathBuf,
    count: usize,
    /// The number of the first case (cases `first..first + count`).
    first: usize,
    jobs: usize,
    seed: u64,
    timeout: Duration,
    memory_mb: u64,
    work: PathBuf,
}

fn settings() -> Result<Settings, String> {
    let mut s = Settings {
        rpasim: PathBuf::from("target/release/rpasim"),
        scenarios: PathBuf::from("scenarios"),
        count: 1000,
        first: 0,
        jobs: 2,
        seed: 1,
        timeout: Duration::from_secs(10),
        memory_mb: 1024,
        work: std::env::temp_dir().join("rpasim-fuzz"),
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    for pair in args.chunks(2) {
        let [key, value] = pair else {
            return Err(format!("{} needs a value", pair[0]));
        };
        let number = |v: &str| v.parse::<u64>().map_err(|_| format!("{key}: not a number"));
        match key.as_str() {
            "--rpasim" => s.rpasim = value.into(),
            "--scenarios" => s.scenarios = value.into(),
            "--count" => s.count = number(value)? as usize,
            "--first" => s.first = number(value)? as usize,
            "--jobs" => s.jobs = number(value)?.max(1) as usize,
            "--seed" => s.seed = number(value)?,
            "--timeout" => s.timeout = Duration::from_secs(number(value)?),
            "--memory-mb" => s.memory_mb = number(value)?,
            "--work" => s.work = value.into(),
            other => return Err(format!("unknown option {other}")),
        }
    }
    Ok(s)
}

/// What one case did.
#[derive(Debug, Clone)]
struct Outcome {
    case: usize,
    code: Option<i32>,
    seconds: f64,
    memory_kb: u64,
    stderr: String,
    /// For a slow case: the work `rpasim validate` estimated (a
    /// legitimately large simulation, or a hang).
    estimated: Option<Work>,
}

/// The work `rpasim validate` estimates.
#[derive(Debug, Clone, Copy)]
struct Work {
    runs: f64,
    events: f64,
    output_mb: f64,
}

impl Work {
    /// Enough work to take seconds on a small machine: 5 million runs, 20
    /// million events or 500 MB of output.
    fn heavy(&self) -> bool {
        self.runs >= 5e6 || self.events >= 2e7 || self.output_mb >= 500.0
    }
}

impl Outcome {
    fn panicked(&self) -> bool {
        self.stderr.contains("internal error") || self.stderr.contains("panicked at")
    }

    fn slow(&self, s: &Settings) -> bool {
        self.code == Some(124) || self.code == Some(137) || self.seconds > s.timeout.as_secs_f64()
    }

    /// Slow without the work to explain it.
    fn hung(&self, s: &Settings) -> bool {
        self.slow(s) && !self.estimated.is_some_and(|w| w.heavy())
    }

    /// An exit-2 message names the file and a line, or the dotted key.
    fn located(&self) -> bool {
        self.stderr
            .lines()
            .filter(|l| l.starts_with("error:"))
            .all(|l| {
                let after = |marker: &str| {
                    l.find(marker)
                        .map(|i| &l[i + marker.len()..])
                        .filter(|rest| !rest.is_empty())
                };
                let line_number = |rest: &str| rest.starts_with(|c: char| c.is_ascii_digit());
                let dotted_key = |rest: &str| {
                    let key = rest.trim_start().split(':').next().unwrap_or("");
                    !key.is_empty()
                        && !key.contains(' ')
                        && key.chars().next().is_some_and(|c| c.is_ascii_lowercase())
                };
                after(".toml:").is_some_and(|r| line_number(r) || dotted_key(r))
                    || after(".csv:").is_some_and(|r| line_number(r) || dotted_key(r))
                    || (l.contains(".csv") && l.contains("the trace"))
            })
    }
}

fn run_case(s: &Settings, case: usize, scenarios: &[(PathBuf, String)]) -> Outcome {
    let (source, text) = &scenarios[case % scenarios.len()];
    let mutant = mutate(
        text,
        s.seed.wrapping_mul(1_000_003).wrapping_add(case as u64),
    );
    let dir = s.work.join(format!("case-{case}"));
    let _ = fs::remove_dir_all(&dir);
    let prepared = fs::create_dir_all(&dir)
        .and_then(|()| fs::write(dir.join("scenario.toml"), &mutant.text))
        .and_then(|()| {
            let what = mutant.mutations.join("\n");
            fs::write(
                dir.join("mutations.txt"),
                format!("{}\n{what}\n", source.display()),
            )
        });
    if let Err(e) = prepared {
        return failed_setup(case, e);
    }
    let traces = source.parent().unwrap_or(Path::new(".")).join("traces");
    #[cfg(unix)]
    let _ = std::os::unix::fs::symlink(
        fs::canonicalize(&traces).unwrap_or(traces),
        dir.join("traces"),
    );
    let mut args = vec![
        "run".to_string(),
        "scenario.toml".into(),
        "--out".into(),
        "out".into(),
        "-q".into(),
    ];
    if !case.is_multiple_of(5) {
        args.push("--no-charts".into());
    }
    let started = Instant::now();
    let output = Command::new("/usr/bin/time")
        .current_dir(&dir)
        .args(["-f", "%M", "-o", "memory.txt", "timeout", "-s", "KILL"])
        .arg(format!("{}", s.timeout.as_secs() + 1))
        .arg(fs::canonicalize(&s.rpasim).unwrap_or(s.rpasim.clone()))
        .args(&args)
        .output();
    let seconds = started.elapsed().as_secs_f64();
    let Ok(output) = output else {
        return failed_setup(case, std::io::Error::other("cannot start /usr/bin/time"));
    };
    let memory_kb = fs::read_to_string(dir.join("memory.txt"))
        .ok()
        .and_then(|t| t.lines().last()?.trim().parse().ok())
        .unwrap_or(0);
    let mut outcome = Outcome {
        case,
        code: output.status.code(),
        seconds,
        memory_kb,
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        estimated: None,
    };
    if outcome.slow(s) {
        outcome.estimated = estimate(s, &dir);
    }
    // Keep only what needs looking at, or a case run alone to look at.
    let keep = s.count == 1
        || outcome.panicked()
        || outcome.slow(s)
        || outcome.memory_kb > s.memory_mb * 1024
        || !matches!(outcome.code, Some(0 | 2))
        || (outcome.code == Some(2) && !outcome.located());
    if keep {
        let _ = fs::write(dir.join("stderr.txt"), &outcome.stderr);
        let _ = fs::remove_dir_all(dir.join("out"));
    } else {
        let _ = fs::remove_dir_all(&dir);
    }
    outcome
}

fn failed_setup(case: usize, e: std::io::Error) -> Outcome {
    Outcome {
        case,
        code: None,
        seconds: 0.0,
        memory_kb: 0,
        stderr: format!("campaign setup failed: {e}"),
        estimated: None,
    }
}

/// The work `rpasim validate` estimates for the case's scenario ("...;
/// about 17.2 million runs, 51.6 million events, 1500 MB of output)").
fn estimate(s: &Settings, dir: &Path) -> Option<Work> {
    let out = Command::new(fs::canonicalize(&s.rpasim).ok()?)
        .current_dir(dir)
        .args(["validate", "scenario.toml"])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let about = text.split("about ").nth(1)?;
    let mut parts = about.split(", ").map(|p| {
        let words: Vec<&str> = p.split_whitespace().collect();
        let n: f64 = words.first().and_then(|w| w.parse().ok()).unwrap_or(0.0);
        match words.get(1) {
            Some(&"million") => n * 1e6,
            Some(&"billion") => n * 1e9,
            _ => n,
        }
    });
    Some(Work {
        runs: parts.next()?,
        events: parts.next()?,
        output_mb: parts.next()?,
    })
}

fn bundled(dir: &Path) -> Result<Vec<(PathBuf, String)>, String> {
    let mut out: Vec<(PathBuf, String)> = fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| Some(e.ok()?.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .filter_map(|p| Some((p.clone(), fs::read_to_string(&p).ok()?)))
        .collect();
    out.sort();
    if out.is_empty() {
        return Err(format!("no scenario in {}", dir.display()));
    }
    Ok(out)
}

fn report(s: &Settings, outcomes: &[Outcome]) -> bool {
    let count = |f: &dyn Fn(&Outcome) -> bool| outcomes.iter().filter(|o| f(o)).count();
    let mut codes: std::collections::BTreeMap<String, usize> = Default::default();
    for o in outcomes {
        let code = o.code.map_or("signal".into(), |c| c.to_string());
        *codes.entry(code).or_default() += 1;
    }
    let panics = count(&|o| o.panicked());
    let hangs = count(&|o| o.hung(s));
    let heavy_work = count(&|o| o.slow(s) && !o.hung(s));
    let heavy = count(&|o| o.memory_kb > s.memory_mb * 1024);
    let unlocated = count(&|o| o.code == Some(2) && !o.located());
    // A heavy case stopped at the time limit is not a failure.
    let heavy_and_slow = |o: &Outcome| o.slow(s) && !o.hung(s);
    let other = count(&|o| !matches!(o.code, Some(0 | 2)) && !heavy_and_slow(o));
    println!("cases                          {}", outcomes.len());
    for (code, n) in &codes {
        println!("exit {code:<26}{n}");
    }
    println!("exit other than 0 or 2         {other}");
    println!("panics                         {panics}");
    println!(
        "hangs (over {} s)              {hangs}",
        s.timeout.as_secs()
    );
    println!(
        "over {} s, heavy work            {heavy_work} (legitimate work under the limits)",
        s.timeout.as_secs()
    );
    for o in outcomes.iter().filter(|o| o.slow(s)) {
        let w = o.estimated.unwrap_or(Work {
            runs: 0.0,
            events: 0.0,
            output_mb: 0.0,
        });
        println!(
            "  case {}: {:.1} s, estimated {:.1} M runs, {:.1} M events, {:.0} MB",
            o.case,
            o.seconds,
            w.runs / 1e6,
            w.events / 1e6,
            w.output_mb
        );
    }
    println!("over {} MB peak memory       {heavy}", s.memory_mb);
    println!("exit 2 without a location      {unlocated}");
    if let Some(slow) = outcomes
        .iter()
        .max_by(|a, b| a.seconds.total_cmp(&b.seconds))
    {
        println!(
            "slowest                        {:.2} s (case {})",
            slow.seconds, slow.case
        );
    }
    if let Some(big) = outcomes.iter().max_by_key(|o| o.memory_kb) {
        println!(
            "largest peak memory            {:.1} MB (case {})",
            big.memory_kb as f64 / 1024.0,
            big.case
        );
    }
    let mut times: Vec<f64> = outcomes.iter().map(|o| o.seconds).collect();
    times.sort_by(f64::total_cmp);
    if !times.is_empty() {
        println!(
            "median time                    {:.3} s",
            times[times.len() / 2]
        );
    }
    println!("failing cases kept in          {}", s.work.display());
    panics + hangs + heavy + unlocated + other == 0
}

fn main() -> ExitCode {
    let s = match settings() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("fuzz-campaign: {e}");
            return ExitCode::from(2);
        }
    };
    let scenarios = match bundled(&s.scenarios) {
        Ok(list) => list,
        Err(e) => {
            eprintln!("fuzz-campaign: {e}");
            return ExitCode::from(2);
        }
    };
    if !Path::new("/usr/bin/time").exists()
        || Command::new("timeout").arg("--help").output().is_err()
    {
        eprintln!("fuzz-campaign: needs /usr/bin/time and timeout (GNU time and coreutils)");
        return ExitCode::from(2);
    }
    let _ = fs::create_dir_all(&s.work);
    let next = AtomicUsize::new(0);
    let outcomes = Mutex::new(Vec::with_capacity(s.count));
    std::thread::scope(|scope| {
        for _ in 0..s.jobs {
            scope.spawn(|| {
                loop {
                    let n = next.fetch_add(1, Ordering::SeqCst);
                    if n >= s.count {
                        break;
                    }
                    let case = s.first.saturating_add(n);
                    let o = run_case(&s, case, &scenarios);
                    let mut all = outcomes.lock().unwrap_or_else(|e| e.into_inner());
                    all.push(o);
                    if all.len() % 1000 == 0 {
                        eprintln!("{} cases done", all.len());
                    }
                }
            });
        }
    });
    let mut outcomes = outcomes.into_inner().unwrap_or_else(|e| e.into_inner());
    outcomes.sort_by_key(|o| o.case);
    if report(&s, &outcomes) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
