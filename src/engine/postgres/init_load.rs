//! Loading a data file into `init`'s staging database. Nobody reads that
//! database before the swap, so the file's one-transaction rule gives way to
//! speed and to resuming: each table commits on its own, and each table's
//! rows go to whichever of two connections is free, while the file is still
//! read once, in order, by the one checked reader. A run killed halfway
//! leaves its finished tables for `init --resume`.
//!
//! A table is emptied and loaded in one transaction, `TRUNCATE` then
//! `COPY ... FREEZE`: the rows are written frozen (no later vacuum pass
//! rewrites them), and a resumed run reloads a half-finished table cleanly.

use std::collections::{BTreeSet, HashSet};
use std::path::Path;

use anyhow::{anyhow, bail, Context, Result};
use bytes::Bytes;
use futures_util::SinkExt;
use tokio::sync::mpsc;
use tokio_postgres::{Client, CopyInSink};

use super::import::copy_error;
use super::load::located_error;
use crate::error::ServerError;
use crate::script::datafile::{self, Event, Summary};
use crate::script::statement::{Dialect, TableName};

/// Connections loading at once (the machine's cores are the limit).
pub const WORKERS: usize = 2;

/// What the reader's side tells a loading connection.
enum Msg {
    Setting {
        sql: String,
        line: u64,
    },
    /// A table's transaction begins; `empty_first` on its first block in this run.
    Begin {
        table: TableName,
        empty_first: bool,
    },
    CopyStart {
        sql: String,
        line: u64,
    },
    CopyData(Vec<u8>),
    CopyEnd,
    Insert {
        sql: String,
        line: u64,
    },
    Commit,
}

/// Loads the rows of `path` (but not those of `skip`) through `workers`
/// connected to the staging database; sequences are set through `client`
/// once every table has committed. Returns the reader's summary: the whole
/// file was read and matches its manifest.
pub async fn load(
    client: &Client,
    workers: Vec<Client>,
    path: &Path,
    skip: BTreeSet<TableName>,
) -> Result<Summary> {
    let display = path.display().to_string();
    // Unbounded: a connection that fails says so here too, so an id may
    // come twice; it is never more than a few.
    let (free_tx, mut free_rx) = mpsc::unbounded_channel::<usize>();
    let mut queues = Vec::new();
    let mut handles = Vec::new();
    for (id, worker) in workers.into_iter().enumerate() {
        let (tx, rx) = mpsc::channel::<Msg>(4);
        queues.push(tx);
        free_tx.send(id).expect("the receiver is here");
        let free = free_tx.clone();
        let path = path.to_path_buf();
        handles.push(tokio::spawn(async move {
            let result = work(worker, rx, &path, || {
                let _ = free.send(id);
            })
            .await;
            // Said even on failure: the dealer then finds its queue closed
            // and asks for the error.
            let _ = free.send(id);
            result
        }));
    }
    drop(free_tx);

    let mut events = datafile::spawn_skipping(path, Dialect::Postgres, skip);
    let mut restores = Vec::new();
    let mut emptied: HashSet<TableName> = HashSet::new();
    // The connection that holds the current table's transaction, and for
    // INSERT files the table whose statements it is taking.
    let mut current: Option<(usize, Option<TableName>)> = None;
    // A connection stopped: the others are told to stop too (their queues
    // close), and its error is the one to report.
    macro_rules! fail {
        () => {{
            drop(queues);
            return Err(first_failure(handles).await);
        }};
    }
    macro_rules! send {
        ($worker:expr, $msg:expr) => {
            if queues[$worker].send($msg).await.is_err() {
                fail!();
            }
        };
    }
    macro_rules! commit_current {
        () => {
            if let Some((worker, _)) = current.take() {
                send!(worker, Msg::Commit);
            }
        };
    }
    let summary = loop {
        let event = match events.recv().await {
            Some(Ok(event)) => event,
            Some(Err(e)) => {
                drop(queues);
                return Err(earlier_failure(handles).await.unwrap_or(e));
            }
            None => bail!("{display}: the file reader stopped before the end of the file"),
        };
        match event {
            Event::Setting { sql, line } => {
                commit_current!();
                client
                    .batch_execute(&sql)
                    .await
                    .map_err(|e| located_error(path, line, &sql, e))?;
                for worker in 0..queues.len() {
                    send!(
                        worker,
                        Msg::Setting {
                            sql: sql.clone(),
                            line
                        }
                    );
                }
            }
            Event::CopyStart { table, sql, line } => {
                commit_current!();
                let Some(worker) = free_rx.recv().await else {
                    fail!();
                };
                let empty_first = emptied.insert(table.clone());
                send!(worker, Msg::Begin { table, empty_first });
                send!(worker, Msg::CopyStart { sql, line });
                current = Some((worker, None));
            }
            Event::CopyData(chunk) => {
                let Some((worker, _)) = current else {
                    unreachable!("COPY data only follows a COPY statement")
                };
                send!(worker, Msg::CopyData(chunk));
            }
            Event::CopyEnd { .. } => {
                let Some((worker, _)) = current else {
                    unreachable!("a COPY end only follows a COPY statement")
                };
                send!(worker, Msg::CopyEnd);
                commit_current!();
            }
            Event::Insert {
                table, sql, line, ..
            } => {
                let same = matches!(&current, Some((_, Some(t))) if *t == table);
                if !same {
                    commit_current!();
                    let Some(worker) = free_rx.recv().await else {
                        fail!();
                    };
                    let empty_first = emptied.insert(table.clone());
                    send!(
                        worker,
                        Msg::Begin {
                            table: table.clone(),
                            empty_first
                        }
                    );
                    current = Some((worker, Some(table)));
                }
                let (worker, _) = current.as_ref().expect("set above");
                let worker = *worker;
                send!(worker, Msg::Insert { sql, line });
            }
            Event::Restore { restore, line } => {
                commit_current!();
                restores.push((restore, line));
            }
            Event::Finished(summary) => {
                commit_current!();
                break summary;
            }
        }
    };
    drop(queues);
    for handle in handles {
        handle.await??;
    }
    super::import::restore_sequences(client, &display, &restores).await?;
    Ok(summary)
}

/// One loading connection: runs its messages in order until the queue closes.
/// `free` says the connection has committed its table and can take another.
async fn work(
    client: Client,
    mut queue: mpsc::Receiver<Msg>,
    path: &Path,
    free: impl Fn(),
) -> Result<()> {
    let display = path.display().to_string();
    let mut table: Option<TableName> = None;
    let mut freeze = false;
    let mut sink: Option<std::pin::Pin<Box<CopyInSink<Bytes>>>> = None;
    let mut data_start = 0;
    while let Some(msg) = queue.recv().await {
        let name = || table.clone().expect("a table's messages follow its Begin");
        match msg {
            Msg::Setting { sql, line } => client
                .batch_execute(&sql)
                .await
                .map_err(|e| located_error(path, line, &sql, e))?,
            Msg::Begin {
                table: next,
                empty_first,
            } => {
                let quoted = next.quoted(Dialect::Postgres);
                client
                    .batch_execute("BEGIN")
                    .await
                    .map_err(ServerError::from)
                    .with_context(|| format!("loading table {next}"))?;
                // Only a plain table can be emptied alone and take FREEZE; a
                // partitioned parent is loaded as it comes.
                freeze = false;
                if empty_first {
                    let kind: i8 = client
                        .query_one(
                            "SELECT relkind::\"char\" FROM pg_catalog.pg_class WHERE oid = $1::text::regclass",
                            &[&quoted],
                        )
                        .await
                        .map_err(ServerError::from).with_context(|| format!("loading table {next}"))?
                        .get(0);
                    if kind as u8 == b'r' {
                        client
                            .batch_execute(&format!("TRUNCATE ONLY {quoted}"))
                            .await
                            .map_err(ServerError::from)
                            .with_context(|| format!("emptying table {next}"))?;
                        freeze = true;
                    }
                }
                table = Some(next);
            }
            Msg::CopyStart { sql, line } => {
                let sql = match sql.strip_suffix("FROM STDIN") {
                    Some(_) if freeze => format!("{sql} WITH (FREEZE)"),
                    _ => sql,
                };
                let copy = client
                    .copy_in::<_, Bytes>(sql.as_str())
                    .await
                    .map_err(|e| {
                        located_error(path, line, &sql, e)
                            .context(format!("loading table {}", name()))
                    })?;
                sink = Some(Box::pin(copy));
                data_start = line + 1;
            }
            Msg::CopyData(chunk) => {
                let copy = sink.as_mut().expect("data follows a COPY start");
                if let Err(e) = copy.send(Bytes::from(chunk)).await {
                    return Err(copy_error(path, data_start, &name(), e));
                }
            }
            Msg::CopyEnd => {
                let mut copy = sink.take().expect("the end follows a COPY start");
                copy.as_mut()
                    .finish()
                    .await
                    .map_err(|e| copy_error(path, data_start, &name(), e))?;
            }
            Msg::Insert { sql, line } => {
                client.batch_execute(&sql).await.map_err(|e| {
                    if e.is_closed() || e.as_db_error().is_none() {
                        anyhow::Error::from(ServerError::from(e)).context(format!(
                            "connection lost while loading table {} (at {display}:{line})",
                            name()
                        ))
                    } else {
                        located_error(path, line, &sql, e)
                            .context(format!("loading table {}", name()))
                    }
                })?;
            }
            Msg::Commit => {
                client
                    .batch_execute("COMMIT")
                    .await
                    .map_err(ServerError::from)
                    .with_context(|| format!("committing table {}", name()))?;
                table = None;
                free();
            }
        }
    }
    Ok(())
}

/// The error of a connection that stopped, if one did.
async fn earlier_failure(
    handles: Vec<tokio::task::JoinHandle<Result<()>>>,
) -> Option<anyhow::Error> {
    for handle in handles {
        match handle.await {
            Ok(Err(err)) => return Some(err),
            Err(join) => return Some(anyhow!("a loading connection stopped: {join}")),
            Ok(Ok(())) => {}
        }
    }
    None
}

async fn first_failure(handles: Vec<tokio::task::JoinHandle<Result<()>>>) -> anyhow::Error {
    earlier_failure(handles)
        .await
        .unwrap_or_else(|| anyhow!("a loading connection stopped"))
}
