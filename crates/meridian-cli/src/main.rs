//! `meridian`: the command-line program. Every object and view of a workspace is reachable
//! from here, for scripting, servers and tests. It is a thin layer over `meridian-app`:
//! parse arguments, call the engine, print (a table, or one JSON document with `--json`).
//! Errors go to stderr with a non-zero exit code and say what to do.

// Workspace-wide once src-tauri allows it (see the root Cargo.toml).
#![warn(clippy::unused_async)]

mod args;
mod commands;
mod norms;
mod output;
mod sync;

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
    match runtime.block_on(commands::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
