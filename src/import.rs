//! `rpasim import`: a run history into a replay and a fitted scenario.

use rpasim_charts::import::{ImportFailure, import_into};
use rpasim_import::calibrate;

use crate::cli::ImportArgs;
use crate::error::CliError;

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
    let (out, report) = import_into(&args.history, &args.out, &selection, args.fleet.as_deref())
        .map_err(|e| match e {
            ImportFailure::Invalid(m) => CliError::Invalid(m),
            ImportFailure::Failed(m) => CliError::Failed(m),
        })?;
    if !args.quiet {
        sayln!(
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
            sayln!("  {note}");
        }
        print_some(&report.machines, "machines (replay.toml has each)");
        let verdicts = &report.calibration.verdicts;
        if verdicts.len() > 1 {
            sayln!("  calibration: {}", calibrate::tally(verdicts));
        }
        let misfits_first: Vec<&str> = calibrate::misfits_first(verdicts)
            .into_iter()
            .map(|v| v.text.as_str())
            .collect();
        print_some(&misfits_first, "flows (calibration.html has each verdict)");
        sayln!(
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
        sayln!("  {}", line.as_ref());
    }
    if lines.len() > SHOWN {
        sayln!("  ... {} more {rest}", lines.len() - SHOWN);
    }
}
