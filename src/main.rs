//! The `rpasim` command.

mod cli;
mod commands;
mod console;
mod error;
mod progress;
mod sweep;

use clap::Parser;

use cli::{Cli, Command};

fn main() {
    // No panic reaches the user as a backtrace: report it as an internal
    // error (exit status 1) with a request to file it.
    std::panic::set_hook(Box::new(|info| {
        eprintln!(
            "rpasim: internal error: {info}\nThis is a bug in rpasim; please report it with the scenario."
        );
    }));
    let cli = Cli::parse();
    let result = std::panic::catch_unwind(|| match &cli.command {
        Command::Run(args) => commands::run(args),
        Command::Validate(args) => commands::validate(args),
        Command::Plot(args) => commands::plot(&args.dir),
        Command::Sweep(args) => sweep::sweep(args),
        Command::Merge(args) => sweep::merge(args),
        Command::Check(args) => sweep::check(args),
    });
    let code = match result {
        Ok(Ok(())) => 0,
        Ok(Err(e)) => {
            eprintln!("error: {e}");
            e.exit_code()
        }
        Err(_) => 1,
    };
    std::process::exit(code);
}
