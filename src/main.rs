//! dbsnap: deterministic schema and data snapshots.
//!
//! `main` only parses arguments, runs the command, prints the error chain once
//! and maps the outcome to an exit code (0 ok, 1 error, 2 usage, 3 differences).

mod cli;
mod commands;
mod config;
mod diff;
mod engine;
mod progress;
mod script;
mod snapshot;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args = match cli::parse() {
        Ok(args) => args,
        Err(exit) => return exit,
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("dbsnap: cannot start the async runtime: {err}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(commands::run(args)) {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            if is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            eprintln!("dbsnap: error: {err:#}");
            ExitCode::from(commands::exit_code_for(&err))
        }
    }
}

/// `dbsnap export-schema -o - | head` must not end in an error message.
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
