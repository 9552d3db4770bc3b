//! The `steppewatch` binary: parse the command line, start logging, run, map
//! the outcome to an exit code (the only place that does).

use clap::Parser;
use std::process::ExitCode;
use steppewatch::cli::{self, Cli, LogFormat};

fn main() -> ExitCode {
    let cli = Cli::parse();
    steppewatch::telemetry::init(matches!(cli.log_format, LogFormat::Json));
    match cli::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => e.report(),
    }
}
