//! `meridian`: the command-line program. Every object and view of a workspace is reachable
//! from here, for scripting, servers and tests. It is a thin layer over `meridian-app`:
//! clap parses the arguments (ids and roles included), a handler per feature calls the
//! engine and returns a report, and `output::emit` prints it (text, or one JSON document
//! with `--json`). Errors go to stderr with a non-zero exit code and say what to do.

mod args;
mod catchup;
mod charter;
mod checkins;
mod commands;
mod decisions;
mod history;
mod input;
mod meetings;
mod members;
mod mirror;
mod output;
mod pages;
mod search;
mod sync;
mod tasks;
mod threads;
mod trash;
mod views;
mod workspace;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("MERIDIAN_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = args::Cli::parse();
    let json = cli.json;
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    let printed = runtime
        .block_on(commands::run(cli))
        .and_then(|report| match report {
            Some(report) => {
                output::emit(&*report, json)?;
                report
                    .failure()
                    .map_or(Ok(()), |why| Err(anyhow::anyhow!(why)))
            }
            None => Ok(()),
        });
    match printed {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
