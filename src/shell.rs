//! `rpasim completions SHELL`, `rpasim man` and `rpasim schema`: what
//! shells, `man` and editors need, generated from the same definitions
//! (clap's, serde's) that parse the command line and the files.

use std::io::Write as _;

use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs, ManArgs, SchemaArgs, SchemaFormat};
use crate::error::CliError;

/// Writes the completion script of `args.shell` to stdout.
pub fn completions(args: &CompletionsArgs) -> Result<(), CliError> {
    let mut cmd = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "rpasim", &mut out);
    write_stdout(&out)
}

/// Writes a manual page (roff) to stdout: rpasim(1), or a subcommand's
/// (rpasim-run(1), ...), which rpasim(1) refers to.
pub fn man(args: &ManArgs) -> Result<(), CliError> {
    let mut cmd = Cli::command().disable_help_subcommand(true);
    // Built, subcommands get their display names (rpasim-run).
    cmd.build();
    let page = match &args.subcommand {
        None => cmd,
        Some(name) => cmd
            .find_subcommand(name)
            .map(|sub| sub.clone().version(env!("CARGO_PKG_VERSION")))
            .ok_or_else(|| {
                let names: Vec<&str> = cmd.get_subcommands().map(clap::Command::get_name).collect();
                CliError::Invalid(format!(
                    "man: no subcommand {name:?}; one of {}",
                    names.join(", ")
                ))
            })?,
    };
    let mut out = Vec::new();
    clap_mangen::Man::new(page)
        .render(&mut out)
        .map_err(|e| CliError::Failed(format!("rendering the manual page: {e}")))?;
    write_stdout(&out)
}

/// Writes the JSON Schema of a file format to stdout (pretty, with a final
/// newline: the bytes of schema/*.schema.json).
pub fn schema(args: &SchemaArgs) -> Result<(), CliError> {
    let value = match args.format {
        SchemaFormat::Scenario => rpasim_scenario::json_schema::scenario_schema(),
        SchemaFormat::Sweep => rpasim_sweep::definition::sweep_schema(),
        SchemaFormat::Fleet => rpasim_import::fleet::fleet_schema(),
    };
    let mut text = serde_json::to_string_pretty(&value)
        .map_err(|e| CliError::Failed(format!("writing the schema: {e}")))?;
    text.push('\n');
    write_stdout(text.as_bytes())
}

fn write_stdout(bytes: &[u8]) -> Result<(), CliError> {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        // A reader that went away (`rpasim man run | head`) wanted no more.
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(CliError::Failed(format!("writing to stdout: {e}")))
        }
        _ => Ok(()),
    }
}
