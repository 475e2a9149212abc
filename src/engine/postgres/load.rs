//! Running psql-dialect scripts (schema snapshots, pg_dump files) over tokio-postgres.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use anyhow::{bail, Context, Result};
use tokio_postgres::error::ErrorPosition;
use tokio_postgres::Client;

use super::server_message;
use crate::script::{Item, PsqlReader};
use crate::snapshot::markers::Markers;

/// Which part of a schema snapshot to run. Statements before the first
/// section marker (session settings) always run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sections {
    All,
    PreData,
    PostData,
}

/// `PATH:LINE: server message`, with LINE moved to where the server points
/// inside a multi-line statement.
pub fn located_error(
    path: &Path,
    line: u64,
    sql: &str,
    err: &tokio_postgres::Error,
) -> anyhow::Error {
    let mut line = line;
    if let Some(ErrorPosition::Original(pos)) = err.as_db_error().and_then(|db| db.position()) {
        let before = sql.chars().take((*pos as usize).saturating_sub(1));
        line += before.filter(|&c| c == '\n').count() as u64;
    }
    anyhow::anyhow!("{}:{line}: {}", path.display(), server_message(err))
}

pub async fn run_schema(client: &Client, path: &Path, sections: Sections) -> Result<()> {
    let file =
        File::open(path).with_context(|| format!("cannot open schema file {}", path.display()))?;
    let mut reader = PsqlReader::new(BufReader::with_capacity(256 * 1024, file), path);
    // Statements before the first section marker are session settings: always run.
    let mut markers = Markers::default();
    while let Some(item) = reader.next_item()? {
        match item {
            Item::Marker { text, line } => markers.take(path, line, &text)?,
            Item::Statement { sql, line } => {
                let wanted = match (sections, markers.section.as_deref()) {
                    (Sections::All, _) | (_, None) => true,
                    (Sections::PreData, Some(s)) => s == "pre-data",
                    (Sections::PostData, Some(s)) => s == "post-data",
                };
                if !wanted {
                    continue;
                }
                client
                    .batch_execute(&sql)
                    .await
                    .map_err(|e| located_error(path, line, &sql, &e))?;
            }
            Item::Meta { command, line } => {
                // pg_dump 15.18+ brackets its output with \restrict / \unrestrict.
                let word = command.split_whitespace().next().unwrap_or_default();
                if !matches!(word, "restrict" | "unrestrict") {
                    bail!(
                        "{}:{line}: unsupported psql meta-command \\{word}",
                        path.display()
                    );
                }
            }
            Item::CopyIn { line, .. } => {
                bail!(
                    "{}:{line}: COPY data in a schema file; load data with `dbsnap import`",
                    path.display()
                )
            }
        }
    }
    if markers.truncated() {
        bail!(
            "{}:{}: the schema file has no end marker (truncated?); nothing was replaced",
            path.display(),
            reader.line()
        );
    }
    Ok(())
}
