//! The sweep subcommands: `sweep`, `merge`, `check`.

use std::fs;
use std::path::{Path, PathBuf};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rpasim_report::StagedDir;
use rpasim_sweep::check::summary::SummaryFile;
use rpasim_sweep::check::{Current, Tolerance};
use rpasim_sweep::definition::{self, DefinitionError, parse_vary};
use rpasim_sweep::directory::{SWEEP_OUTPUT, check_merge_output, check_shards};
use rpasim_sweep::runner::Progress;
use rpasim_sweep::{RunOptions, Shard, SweepDefinition, SweepError, SweepManifest};

use crate::cli::{CheckArgs, MergeArgs, SweepArgs};
use crate::error::CliError;

impl From<SweepError> for CliError {
    fn from(e: SweepError) -> Self {
        match e {
            SweepError::Invalid(m) => CliError::Invalid(m),
            SweepError::Failed(m) => CliError::Failed(m),
            // The command line never asks a sweep to stop (a signal ends it).
            SweepError::Stopped => CliError::Failed(e.to_string()),
        }
    }
}

fn invalid(e: DefinitionError) -> CliError {
    CliError::Invalid(e.0)
}

/// The file's root table, if it is a TOML file rpasim reads.
fn toml_table(path: &Path) -> Option<toml::Table> {
    rpasim_scenario::input::read_text(path, "", rpasim_scenario::input::MAX_SCENARIO_BYTES)
        .ok()
        .and_then(|t| t.parse::<toml::Table>().ok())
}

/// Whether a file is a sweep file ([`definition::is_sweep_file`]).
fn is_sweep_file(path: &Path) -> bool {
    rpasim_scenario::input::read_text(path, "", rpasim_scenario::input::MAX_SCENARIO_BYTES)
        .is_ok_and(|t| definition::is_sweep_file(&t))
}

fn definition(args: &SweepArgs) -> Result<SweepDefinition, CliError> {
    let mut def = if is_sweep_file(&args.file) {
        SweepDefinition::from_file(&args.file).map_err(invalid)?
    } else {
        SweepDefinition {
            scenario: args.file.clone(),
            vary: Vec::new(),
            replications: 1,
            seed: None,
            set: Vec::new(),
            metrics: Vec::new(),
        }
    };
    for v in &args.vary {
        def.vary.push(parse_vary(v).map_err(invalid)?);
    }
    if def.vary.is_empty() {
        // A file that does not read as TOML (a sweep file with a typo, a
        // missing file) is told so, where and why, as the scenario reader
        // tells it: it is no scenario with nothing to vary.
        if toml_table(&args.file).is_none() {
            rpasim_scenario::load(&args.file, &[]).map_err(|e| CliError::Invalid(e.to_string()))?;
        }
        return Err(CliError::Invalid(format!(
            "{}: nothing to vary; give --vary KEY=VALUES or a sweep file with a [vary] table",
            args.file.display()
        )));
    }
    def.replications = args.replications.unwrap_or(def.replications);
    def.seed = args.seed.or(def.seed);
    def.set.extend(args.set.iter().cloned());
    if !args.metrics.is_empty() {
        def.metrics = args.metrics.clone();
    }
    // What the command line added may make it too large: name the file.
    def.check()
        .map_err(|e| CliError::Invalid(format!("{}: {}", args.file.display(), e.0)))?;
    Ok(def)
}

fn progress_bar(quiet: bool) -> ProgressBar {
    let target = if quiet {
        ProgressDrawTarget::hidden()
    } else {
        ProgressDrawTarget::stderr()
    };
    let bar = ProgressBar::with_draw_target(Some(0), target);
    let style = ProgressStyle::with_template(
        "{spinner} sweep {msg} [{wide_bar}] {pos}/{len} runs (ETA {eta})",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar())
    .progress_chars("=> ");
    bar.set_style(style);
    bar
}

/// `rpasim sweep`.
pub fn sweep(args: &SweepArgs) -> Result<(), CliError> {
    rpasim_sweep::runner::check_threads(args.jobs)?;
    let def = definition(args)?;
    let shard = args
        .shard
        .as_deref()
        .map(|text| match text {
            "auto" => Shard::from_environment(|name| std::env::var(name).ok()),
            _ => Shard::parse(text),
        })
        .transpose()
        .map_err(invalid)?;
    let out = args.out.clone().unwrap_or_else(|| {
        let stem = args
            .file
            .file_stem()
            .map_or_else(|| "sweep".into(), |s| s.to_string_lossy().into_owned());
        Path::new("reports").join(format!("{stem}-sweep"))
    });
    let options = RunOptions {
        shard,
        resume: args.resume,
        // A signal ends the process; the jobs finished stay for --resume.
        stop: rpasim_sweep::Stop::never(),
    };
    let bar = progress_bar(args.quiet);
    let tick = |p: Progress| {
        bar.set_length(p.runs_total as u64);
        bar.set_position(p.runs_done as u64);
        bar.set_message(format!(
            "{}/{} variants done",
            p.variants_done, p.variants_total
        ));
    };
    // One pool of --jobs threads for everything: runs, assembly, charts.
    let outcome = rpasim_sweep::runner::with_threads(args.jobs, || {
        run_and_assemble(&def, &out, &options, &tick)
    });
    bar.finish_and_clear();
    let message = outcome??;
    if !args.quiet {
        sayln!("{message}");
    }
    Ok(())
}

/// Runs a sweep (or shard) and assembles its outputs; returns what to tell
/// the user, printed after the progress bar is gone.
fn run_and_assemble(
    def: &SweepDefinition,
    out: &Path,
    options: &RunOptions,
    tick: &(dyn Fn(Progress) + Sync),
) -> Result<String, CliError> {
    let shard = options.shard;
    let (manifest, report, _locked) = rpasim_sweep::runner::run(def, out, options, tick)?;
    if report.interrupted {
        return Err(CliError::Failed(format!(
            "sweep interrupted after {} of {} runs; run again with --resume to finish",
            report.skipped + report.ran,
            report.total
        )));
    }
    if let Some(s) = shard {
        return Ok(format!(
            "shard {}/{}: {} runs ({} already done) -> {}; combine the shards with rpasim merge",
            s.index,
            s.count,
            report.total,
            report.skipped,
            out.display()
        ));
    }
    rpasim_sweep::assemble::assemble(out, &manifest, &[out.to_path_buf()])?;
    Ok(format!(
        "{} variants x {} replications ({} run now, {} resumed) -> {}",
        manifest.variants.len(),
        manifest.replications,
        report.ran,
        report.skipped,
        out.display()
    ))
}

/// `rpasim merge`.
pub fn merge(args: &MergeArgs) -> Result<(), CliError> {
    let manifests: Vec<SweepManifest> = args
        .dirs
        .iter()
        .map(|d| SweepManifest::read(d))
        .collect::<Result<_, _>>()?;
    if let Some((i, _)) = manifests
        .iter()
        .enumerate()
        .find(|(_, m)| !m.same_sweep(&manifests[0]))
    {
        return Err(CliError::Invalid(format!(
            "{} and {} are not shards of the same sweep (their sweep.toml differ)",
            args.dirs[0].display(),
            args.dirs[i].display()
        )));
    }
    let dirs: Vec<PathBuf> = args.dirs.clone();
    check_shards(&dirs, &manifests)?;
    // The merge is the whole sweep: its sweep.toml names no shard.
    let whole = manifests[0].whole();
    check_merge_output(&args.out, &dirs, &whole)?;
    // The merged sweep is staged beside --out and appears whole.
    let staged = StagedDir::create(&args.out, &SWEEP_OUTPUT)?;
    rpasim_sweep::assemble::assemble(staged.path(), &whole, &dirs)?;
    whole.write(staged.path())?;
    staged.commit()?;
    sayln!(
        "{} shards merged -> {}",
        args.dirs.len(),
        args.out.display()
    );
    Ok(())
}

/// The summary of a scenario run now, in memory: its `summary-flows.csv`
/// when the baseline is one (or, for a new baseline, is named so), else its
/// `summary.csv`.
fn current_summary(
    scenario: &Path,
    set: &[rpasim_scenario::Override],
    baseline: &Path,
) -> Result<Vec<u8>, CliError> {
    let s = rpasim_scenario::load(scenario, set).map_err(|e| CliError::Invalid(e.to_string()))?;
    let (targets, flows) = rpasim_sweep::runner::summaries(&s.spec)?;
    Ok(match rpasim_sweep::check::compares_flows(baseline) {
        true => flows,
        false => targets,
    })
}

/// `rpasim check`: exit 1 when a metric got worse beyond its tolerance.
pub fn check(args: &CheckArgs) -> Result<(), CliError> {
    let tolerances: Vec<Tolerance> = args
        .tolerances
        .iter()
        .map(|t| t.parse().map_err(CliError::Invalid))
        .collect::<Result<_, _>>()?;
    let current = match (&args.current, &args.scenario) {
        (Some(file), _) => Current::File(file),
        (None, Some(scenario)) => {
            Current::Bytes(current_summary(scenario, &args.set, &args.baseline)?)
        }
        (None, None) => {
            return Err(CliError::Invalid(
                "give --current FILE or a SCENARIO".into(),
            ));
        }
    };
    if args.update {
        return update_baseline(&args.baseline, &current);
    }
    let checked = rpasim_sweep::check::check(&args.baseline, current, &tolerances)?;
    if !tolerances.is_empty() {
        // Given any tolerance, the default metrics are not checked: say
        // so, lest loosening one metric pass for a check of all.
        let metrics: Vec<&str> = tolerances.iter().map(|t| t.metric.as_str()).collect();
        sayln!(
            "checking only {}: with --tolerance, only the metrics it names are checked",
            metrics.join(", ")
        );
    }
    say!("{}", rpasim_sweep::check::report(&checked));
    if checked.worse > 0 {
        return Err(CliError::Regression);
    }
    Ok(())
}

/// `check --update`: the current summary (validated) becomes the baseline.
/// An existing baseline file is replaced only if it is a summary.
fn update_baseline(baseline: &Path, current: &Current<'_>) -> Result<(), CliError> {
    let summary = current.read()?;
    summary.validate()?;
    if summary.without_arrivals() {
        return Err(CliError::Invalid(format!(
            "{}: no run arrived (arrivals 0 in every row): as a baseline it would compare \
             with nothing; the baseline is left as it was",
            summary.origin
        )));
    }
    // Written beside and renamed over, a link would be replaced by a file
    // and what it points to left as it was.
    if fs::symlink_metadata(baseline).is_ok_and(|m| m.file_type().is_symlink()) {
        let to = fs::read_link(baseline).map_or_else(|_| "?".into(), |t| t.display().to_string());
        return Err(CliError::Invalid(format!(
            "{}: a symbolic link (to {to}); --update replaces only a regular file, and \
             replacing the link would leave what it points to as it was: give the path it \
             points to",
            baseline.display()
        )));
    }
    if fs::symlink_metadata(baseline).is_ok() {
        SummaryFile::read(baseline).map_err(|e| {
            CliError::Invalid(format!(
                "{e}\n--update replaces only an earlier baseline (a summary written by rpasim); \
                 choose another --baseline path"
            ))
        })?;
    }
    let bytes = match current {
        Current::Bytes(b) => b.clone(),
        Current::File(p) => fs::read(p).map_err(|e| CliError::io(p, e))?,
    };
    if let Some(parent) = baseline.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent).map_err(|e| CliError::io(parent, e))?;
    }
    rpasim_report::outdir::write_atomically(baseline, &bytes)
        .map_err(|e| CliError::io(baseline, e))?;
    sayln!("baseline written: {}", baseline.display());
    Ok(())
}
