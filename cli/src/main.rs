//! `cloudmaster`: the command-line client of the cloudmaster learning platform.
//!
//! A thin binary: [`cli`] declares the commands with clap, [`context`] builds the one
//! [`Context`](context::Context) every command runs with (configuration, credential store,
//! HTTP client, output mode), and each module of [`commands`] is one subcommand. Commands
//! call `cloudmaster-core` and never build HTTP requests themselves. Only this file decides
//! the exit code, from the error a command returns ([`exit`]).

mod cli;
mod commands;
mod context;
mod diagnostics;
mod exit;
mod learning;
mod output;
mod prompt;

use std::io::Write;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};

use crate::cli::Cli;
use crate::exit::Exit;

fn main() -> ExitCode {
    let matches = match Cli::command().try_get_matches() {
        Ok(matches) => matches,
        Err(err) => {
            // Help and version print to stdout and exit 0; usage errors exit 2.
            let _ = err.print();
            return ExitCode::from(u8::try_from(err.exit_code()).unwrap_or(2));
        }
    };
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(err) => {
            let _ = err.print();
            return ExitCode::from(Exit::Usage as u8);
        }
    };
    let stderr_color = cli.global.stderr_color();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            return report(
                &anyhow::Error::new(err).context("cannot start the async runtime"),
                stderr_color,
            );
        }
    };
    match runtime.block_on(commands::run(cli, &matches)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => report(&err, stderr_color),
    }
}

/// Prints `err` with the causes worth showing ([`exit::causes`]), ripgrep-style, and returns its exit code. A broken pipe
/// (`cloudmaster courses list | head -1`) is a success and prints nothing.
fn report(err: &anyhow::Error, color: bool) -> ExitCode {
    let exit = exit::classify(err);
    if exit == Exit::Success {
        return ExitCode::SUCCESS;
    }
    let red = anstyle::AnsiColor::Red.on_default().bold();
    let bold = anstyle::Style::new().bold();
    let paint = |style: anstyle::Style, text: &str| {
        if color {
            format!("{style}{text}{style:#}")
        } else {
            text.to_owned()
        }
    };
    let mut stderr = std::io::stderr().lock();
    let _ = writeln!(stderr, "{} {err}", paint(red, "error:"));
    for cause in exit::causes(err) {
        let _ = writeln!(stderr, "  {} {cause}", paint(bold, "caused by:"));
    }
    let token_in_env = std::env::var_os("CLOUDMASTER_TOKEN").is_some_and(|t| !t.is_empty());
    if let Some(hint) = exit::hint(err, token_in_env) {
        let _ = writeln!(stderr, "  {} {hint}", paint(bold, "hint:"));
    }
    ExitCode::from(exit as u8)
}
