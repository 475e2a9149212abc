//! Loading a checked data file (ours or pg_dump's) through tokio-postgres.
//! What a statement may be, and whether the file is complete, is decided by
//! `script::datafile`; this module only sends what it hands out.

use std::path::Path;

use anyhow::{anyhow, bail, Result};
use bytes::Bytes;
use futures_util::{pin_mut, SinkExt};
use tokio_postgres::Client;

use super::load::located_error;
use super::server_message;
use crate::engine::ImportOptions;
use crate::script::datafile::{self, Event, Summary};
use crate::script::statement::{Dialect, TableName};
use crate::snapshot::manifest::Manifest;

/// Where a server error inside COPY data points: `COPY t, line 5` -> file line.
pub(super) fn copy_error(
    path: &Path,
    data_start: u64,
    table: &TableName,
    err: &tokio_postgres::Error,
) -> anyhow::Error {
    let line = err
        .as_db_error()
        .and_then(|db| db.where_())
        .and_then(|w| w.split(", line ").nth(1))
        .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|n| n.parse::<u64>().ok())
        .map(|n| data_start + n - 1)
        .unwrap_or(data_start);
    if err.is_closed() || err.as_db_error().is_none() {
        return anyhow!(
            "connection lost while loading table {table} (at {}:{line}): {}",
            path.display(),
            server_message(err)
        );
    }
    let mut msg = format!(
        "{}:{line}: table {table}: {}",
        path.display(),
        server_message(err)
    );
    if err.code() == Some(&tokio_postgres::error::SqlState::UNIQUE_VIOLATION) {
        msg += " (the target already holds these rows: `--truncate` empties the file's tables first, in the same transaction)";
    }
    anyhow!(msg)
}

/// Loads the file through `client`, inside the transaction the caller
/// opened, and restores its sequences in that same transaction. On error the
/// caller abandons the transaction: nothing of the file stays, and no
/// sequence moves.
pub async fn load(client: &Client, path: &Path, opts: &ImportOptions) -> Result<Summary> {
    let display = path.display().to_string();
    let mut truncated = Vec::new();
    if opts.truncate {
        let file = path.to_path_buf();
        let tables =
            tokio::task::spawn_blocking(move || datafile::tables_loaded(&file, Dialect::Postgres))
                .await??;
        if !tables.is_empty() {
            let list: Vec<String> = tables.iter().map(|t| t.quoted(Dialect::Postgres)).collect();
            client
                .batch_execute(&format!("TRUNCATE ONLY {}", list.join(", ")))
                .await
                .map_err(|e| {
                    anyhow!(
                        "{display}: emptying the tables before the load: {}",
                        server_message(&e)
                    )
                })?;
        }
        truncated = tables;
    }
    let mut events = datafile::spawn(path, Dialect::Postgres);
    let mut restores = Vec::new();
    let summary = loop {
        let Some(event) = events.recv().await else {
            bail!("{display}: the file reader stopped before the end of the file");
        };
        match event? {
            Event::Setting { sql, line } => client
                .batch_execute(&sql)
                .await
                .map_err(|e| located_error(path, line, &sql, &e))?,
            Event::CopyStart { table, sql, line } => {
                let sink = client
                    .copy_in::<_, Bytes>(sql.as_str())
                    .await
                    .map_err(|e| {
                        located_error(path, line, &sql, &e)
                            .context(format!("loading table {table}"))
                    })?;
                pin_mut!(sink);
                let data_start = line + 1;
                loop {
                    match events.recv().await {
                        Some(Ok(Event::CopyData(chunk))) => {
                            if let Err(e) = sink.send(Bytes::from(chunk)).await {
                                return Err(copy_error(path, data_start, &table, &e));
                            }
                        }
                        Some(Ok(Event::CopyEnd { .. })) => break,
                        Some(Ok(_)) => unreachable!("the reader sends COPY data until its end"),
                        // Dropping the sink aborts the COPY: nothing of this table stays.
                        Some(Err(e)) => return Err(e.context(format!("loading table {table}"))),
                        None => bail!(
                            "{display}: the file reader stopped inside the data of table {table}"
                        ),
                    }
                }
                sink.finish()
                    .await
                    .map_err(|e| copy_error(path, data_start, &table, &e))?;
            }
            Event::Insert {
                table,
                sql,
                line,
                rows: _,
            } => {
                client.batch_execute(&sql).await.map_err(|e| {
                    if e.is_closed() || e.as_db_error().is_none() {
                        anyhow!(
                            "connection lost while loading table {table} (at {display}:{line}): {}",
                            server_message(&e)
                        )
                    } else {
                        located_error(path, line, &sql, &e)
                            .context(format!("loading table {table}"))
                    }
                })?;
            }
            Event::Restore { restore, line } => restores.push((restore, line)),
            Event::CopyData(_) | Event::CopyEnd { .. } => {
                unreachable!("COPY data only follows a COPY statement")
            }
            Event::Finished(summary) => break summary,
        }
    };
    datafile::check_emptied(path, Dialect::Postgres, &truncated, &summary)?;
    // Deferred constraints are checked now, so that a violation is reported
    // here, before any sequence is touched, and not at COMMIT.
    client
        .batch_execute("SET CONSTRAINTS ALL IMMEDIATE")
        .await
        .map_err(|e| {
            anyhow!(
                "{display}: a deferred constraint fails: {}",
                server_message(&e)
            )
        })?;
    for (restore, line) in restores {
        for sql in restore.statements() {
            client.batch_execute(&sql).await.map_err(|e| {
                anyhow!(
                    "{display}:{line}: restoring sequence {}: {}",
                    restore.target(),
                    server_message(&e)
                )
            })?;
        }
    }
    Ok(summary)
}

/// Reads a data snapshot without a database, through the same checks as a load.
pub fn scan_file(path: &Path) -> Result<Manifest> {
    let summary = datafile::scan(path, Dialect::Postgres)?;
    if !summary.manifest_checked() {
        bail!(
            "{}: not a dbsnap data snapshot: it has no manifest to check against",
            path.display()
        );
    }
    Ok(summary.manifest)
}
