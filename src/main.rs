//! dbsnap: deterministic schema and data snapshots.
//!
//! `main` only parses arguments, runs the command, prints the error chain once
//! and maps the outcome to an exit code (0 ok, 1 error, 2 usage, 3 differences).

mod cleanup;
mod cli;
mod commands;
mod config;
mod diff;
mod engine;
mod error;
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
    match runtime.block_on(run_until_signal(args)) {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            if error::is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            if !error::is_reported(&err) {
                eprintln!("dbsnap: error: {}", error::Report(&err));
            }
            ExitCode::from(error::exit_code_for(&err))
        }
    }
}

/// Runs the command; SIGINT, SIGTERM or SIGHUP (a closed terminal or ssh
/// session) stops it, removes what it created (temporary files, staging
/// databases, its server sessions) and exits 130, 143 or 129.
async fn run_until_signal(args: cli::Cli) -> anyhow::Result<u8> {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut int), Ok(mut term), Ok(mut hup)) = (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
        signal(SignalKind::hangup()),
    ) else {
        return commands::run(args).await;
    };
    // Boxed, not pinned on the stack: `drop` below must end the future itself.
    let mut command = Box::pin(commands::run(args));
    let code = tokio::select! {
        result = &mut command => return result,
        _ = int.recv() => 130,
        _ = term.recv() => 143,
        _ = hup.recv() => 129,
    };
    // A swap under way is finished (or put back) first: stopped in the
    // middle, it would leave the target half replaced.
    if cleanup::in_critical() {
        eprintln!("dbsnap: interrupted during the swap; letting it end first");
        while cleanup::in_critical() {
            tokio::select! {
                result = &mut command => {
                    // It ended before the signal was acted on: its own words
                    // (and exit code) say what it did.
                    eprintln!("dbsnap: the command ended before it could be stopped");
                    return result;
                }
                _ = tokio::time::sleep(std::time::Duration::from_millis(20)) => {}
            }
        }
    }
    eprintln!("dbsnap: interrupted; cleaning up");
    // What the command registered is taken before its future is dropped
    // (dropping it closes its connections and unregisters its guards).
    let left = cleanup::take_all();
    drop(command);
    cleanup::remove(left).await;
    Ok(code)
}
