//! Engine-generic commands. Each resolves its connection, picks the engine
//! and calls the engine's methods; none of them knows which database it talks to.

mod check;
mod completions;
mod diff;
mod export_data;
mod export_schema;
mod import;
mod init;
mod input;
mod man;
mod verify;

use anyhow::Result;

use crate::cli::{Cli, Command};

/// `1 table`, `2 tables`: the counts of the summary lines, spelled as
/// diff's report spells its counts.
fn counted(n: u64, word: &str) -> String {
    let plural = crate::diff::kinds::plural(word, usize::try_from(n).unwrap_or(usize::MAX));
    format!("{n} {plural}")
}

/// Runs a command and returns its exit code (0, or 130 for an interrupted diff);
/// differences are the error [`crate::error::Differences`].
pub async fn run(cli: Cli) -> Result<u8> {
    match cli.command {
        Command::ExportSchema(args) => export_schema::run(args).await,
        Command::Init(args) => init::run(args).await,
        Command::ExportData(args) => export_data::run(args).await,
        Command::Import(args) => import::run(args).await,
        Command::Verify(args) => verify::run(args).await,
        Command::Check(args) => check::run(args).await,
        Command::Diff(args) => diff::run(args).await,
        Command::Completions(args) => completions::run(args),
        Command::Man => man::run(),
    }
}
