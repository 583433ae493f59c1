//! `rpasim import`: a run history into a replay and a fitted scenario.

use rpasim_import::calibrate;
use rpasim_report::StagedDir;
use rpasim_report::outdir::{Marker, OutputKind};

use crate::cli::ImportArgs;
use crate::error::CliError;

/// The replay scenario, the marker of an import's output.
const REPLAY_TOML: &str = "replay.toml";

/// What an import writes, and how an earlier one is recognised.
pub(crate) static IMPORT_OUTPUT: OutputKind = OutputKind {
    name: "import",
    marker: Some(Marker {
        file: REPLAY_TOML,
        signed: is_replay,
    }),
    files: &[
        REPLAY_TOML,
        "scenario.toml",
        "calibration.csv",
        rpasim_charts::calibration::CALIBRATION_HTML,
    ],
    extensions: &[],
    dirs: &[
        ("traces", &["csv"]),
        (rpasim_charts::CHARTS_DIR, &["svg", "png"]),
    ],
};

fn is_replay(text: &str) -> bool {
    text.starts_with("# Imported by rpasim")
}

/// `rpasim import HISTORY --out DIR`.
pub fn import(args: &ImportArgs) -> Result<(), CliError> {
    let instant = |flag: &str, text: &Option<String>| -> Result<Option<i64>, CliError> {
        text.as_deref()
            .map(|t| {
                rpasim_import::time::parse_bound(t)
                    .map_err(|m| CliError::Invalid(format!("{flag}: {m}")))
            })
            .transpose()
    };
    let selection = rpasim_import::Selection {
        from: instant("--from", &args.from)?,
        to: instant("--to", &args.to)?,
        flows: args.flows.clone(),
    };
    let staged = StagedDir::create(&args.out, &IMPORT_OUTPUT)?;
    let report = rpasim_import::import(
        &args.history,
        staged.path(),
        &selection,
        args.fleet.as_deref(),
    )
    .map_err(|e| {
        if e.path == args.history || Some(&e.path) == args.fleet.as_ref() {
            CliError::Invalid(e.to_string())
        } else {
            CliError::Failed(e.to_string())
        }
    })?;
    rpasim_charts::calibration::write(
        staged.path(),
        &args.history.display().to_string(),
        &report.calibration,
        &report.notes,
    )
    .map_err(|e| CliError::Failed(format!("writing the calibration page: {e}")))?;
    let out = staged.commit()?;
    if !args.quiet {
        println!(
            "{}: {} runs ({} still open at the export's end, {} attended, {} duplicate rows \
             skipped, {} with an unknown status) -> {}",
            args.history.display(),
            report.runs,
            report.open,
            report.attended,
            report.duplicates,
            report.unknown_status,
            out.display()
        );
        for note in &report.notes {
            println!("  {note}");
        }
        print_some(&report.machines, "machines (replay.toml has each)");
        let verdicts = &report.calibration.verdicts;
        if verdicts.len() > 1 {
            println!("  calibration: {}", calibrate::tally(verdicts));
        }
        let misfits_first: Vec<&str> = calibrate::misfits_first(verdicts)
            .into_iter()
            .map(|v| v.text.as_str())
            .collect();
        print_some(&misfits_first, "flows (calibration.html has each verdict)");
        println!(
            "  calibration: {0}/calibration.html; replay: rpasim run {0}/replay.toml; \
             fitted model: rpasim run {0}/scenario.toml",
            out.display()
        );
    }
    Ok(())
}

/// Lines of one kind shown on the console: with a fleet of hundreds of
/// machines or flows, the first few and how many more `rest` there are.
fn print_some(lines: &[impl AsRef<str>], rest: &str) {
    const SHOWN: usize = 10;
    for line in lines.iter().take(SHOWN) {
        println!("  {}", line.as_ref());
    }
    if lines.len() > SHOWN {
        println!("  ... {} more {rest}", lines.len() - SHOWN);
    }
}
