//! Loading a checked data file (ours or mysqldump's) through mysql_async.
//! What a statement may be, and whether the file is complete, is decided by
//! `script::datafile`; this module only sends what it hands out.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use anyhow::{anyhow, bail, Context, Result};
use mysql_async::prelude::Queryable;
use mysql_async::Conn;
use tokio::sync::mpsc;

use super::loader::{describe, Following, Infile, LargeStatements, Loader, Run, Transaction};
use crate::engine::ImportOptions;
use crate::error::ServerError;
use crate::script::datafile::{self, Bars, Event, Summary};
use crate::script::statement::{Dialect, Restore, TableName};
use crate::snapshot::manifest::Manifest;

pub struct Loaded {
    pub summary: Summary,
    /// Counter and sequence restores: DDL in MySQL, so they run after the
    /// rows commit.
    pub deferred: Vec<(Restore, u64)>,
}

/// Loads the file's rows through `conn`; the caller owns the transaction and
/// runs `deferred` after it.
pub async fn load(conn: &mut Conn, path: &Path, opts: &ImportOptions) -> Result<Loaded> {
    load_with(conn, Vec::new(), path, opts, BTreeSet::new(), None).await
}

/// What the reader hands a loading connection.
enum Job {
    /// A statement, with where it came from; `table` is None for a session setting.
    Statement {
        sql: String,
        line: u64,
        table: Option<TableName>,
    },
    /// The table's block of the file has ended: once the statements before
    /// this are in, its rows are.
    Loaded(TableName),
}

/// Runs statements on one connection, in order, until the queue closes.
/// Nobody reads the staging build yet, so each load commits on its own.
async fn run_jobs(
    mut conn: Conn,
    mut jobs: mpsc::Receiver<Job>,
    display: String,
    infile: Infile,
    large: LargeStatements,
    loaded: mpsc::UnboundedSender<TableName>,
) -> Result<()> {
    let mut loader = Loader::new(&mut conn, Transaction::PerStatement, infile).beside_others(large);
    while let Some(job) = jobs.recv().await {
        let (sql, line, table) = match job {
            Job::Statement { sql, line, table } => (sql, line, table),
            Job::Loaded(table) => {
                // Nobody may be listening any more; the rows are in either way.
                let _ = loaded.send(table);
                continue;
            }
        };
        let sent = match &table {
            Some(table) => loader.insert(table, &sql).await,
            None => loader.setting(&sql).await,
        };
        sent.map_err(|f| describe(f, &display, line, table.as_ref(), false))?;
    }
    conn.disconnect().await.ok();
    Ok(())
}

/// Like `load`, but INSERTs are spread over `workers` (settings run on each
/// of them). Only for a fresh database that nobody reads yet: the workers
/// commit on their own, so there is no single transaction. The rows of
/// `skip` are read and checked but not loaded (`init --resume` kept them).
/// Each table whose block of the file has ended, and whose rows are all in,
/// is sent on `loaded`.
pub async fn load_parallel(
    conn: &mut Conn,
    workers: Vec<Conn>,
    path: &Path,
    skip: BTreeSet<TableName>,
    loaded: mpsc::UnboundedSender<TableName>,
) -> Result<Loaded> {
    let opts = ImportOptions::default();
    load_with(conn, workers, path, &opts, skip, Some(loaded)).await
}

async fn load_with(
    conn: &mut Conn,
    workers: Vec<Conn>,
    path: &Path,
    opts: &ImportOptions,
    skip: BTreeSet<TableName>,
    loaded: Option<mpsc::UnboundedSender<TableName>>,
) -> Result<Loaded> {
    // Only init's staging load reports finished tables; import's hints name import's flags.
    let import = loaded.is_none();
    let display = path.display().to_string();
    let infile = Infile::probe(conn).await;
    // Only connections side by side need large statements kept apart.
    let large = if workers.is_empty() {
        None
    } else {
        Some(LargeStatements::probe(conn).await)
    };
    let mut queues = Vec::new();
    let mut handles = Vec::new();
    for worker in workers {
        // One statement waiting per connection (up to 1 MiB each) keeps
        // it busy; more only holds memory.
        let (tx, rx) = mpsc::channel::<Job>(1);
        queues.push(tx);
        handles.push(tokio::spawn(run_jobs(
            worker,
            rx,
            display.clone(),
            infile.clone(),
            large.clone().expect("probed for the workers"),
            loaded.clone().expect("workers load only for init"),
        )));
    }
    let mut worker_of: HashMap<TableName, usize> = HashMap::new();
    // The table whose block the reader is in, on the workers.
    let mut current: Option<TableName> = None;
    let mut emptied = Vec::new();
    if opts.truncate {
        let tables = datafile::tables_loaded(path, Dialect::MySql).await?;
        // The file's tables are replaced as a set, so references between them
        // (cycles included) are not checked while they are emptied.
        conn.query_drop("SET @dbsnap_fk_checks = @@FOREIGN_KEY_CHECKS, FOREIGN_KEY_CHECKS = 0")
            .await
            .map_err(ServerError::from)?;
        for table in tables.iter().rev() {
            // DELETE, not TRUNCATE: TRUNCATE would commit the transaction.
            conn.query_drop(format!("DELETE FROM {}", table.quoted(Dialect::MySql)))
                .await
                .map_err(ServerError::from)
                .with_context(|| {
                    format!(
                        "{display}: emptying {} before the load",
                        table.quoted(Dialect::MySql)
                    )
                })?;
        }
        conn.query_drop("SET FOREIGN_KEY_CHECKS = @dbsnap_fk_checks")
            .await
            .map_err(ServerError::from)?;
        emptied = tables;
    }
    let mut loader = Loader::new(conn, Transaction::Caller, infile);
    let mut events = Events {
        rx: datafile::spawn_skipping(path, Dialect::MySql, skip, Bars::Reader),
        next: None,
    };
    let mut deferred = Vec::new();
    let summary = loop {
        let Some(event) = events.next().await else {
            bail!("{display}: the file reader stopped before the end of the file");
        };
        let event = match event {
            Ok(event) => event,
            // A loading connection may have failed on an earlier line: its
            // error comes first.
            Err(e) if !handles.is_empty() => {
                drop(queues);
                for handle in handles {
                    if let Ok(Err(earlier)) = handle.await {
                        return Err(earlier);
                    }
                }
                return Err(e);
            }
            Err(e) => return Err(e),
        };
        match event {
            Event::Setting { sql, line } => {
                loader
                    .setting(&sql)
                    .await
                    .map_err(|f| describe(f, &display, line, None, import))?;
                for queue in &queues {
                    let job = Job::Statement {
                        sql: sql.clone(),
                        line,
                        table: None,
                    };
                    if queue.send(job).await.is_err() {
                        return Err(first_failure(queues, handles).await);
                    }
                }
            }
            Event::Insert {
                table,
                sql,
                line,
                rows: _,
                types,
            } => {
                if let Some(types) = types {
                    loader
                        .check_types(&table, &sql, &types)
                        .await
                        .with_context(|| {
                            format!("{display}:{line}: table {}", table.quoted(Dialect::MySql))
                        })?;
                }
                if queues.is_empty() {
                    let run = loader
                        .insert_run(&table, &sql, line, &mut events)
                        .await
                        .map_err(|f| describe(f, &display, line, Some(&table), import))?;
                    if let Run::Undone { first, last } = run {
                        load_again(&mut loader, path, &table, first, last, import).await?;
                    }
                    if let Some(why) = loader.doubt() {
                        bail!(
                            "{display}:{line}: LOAD DATA into {} was not exact ({why}), yet its INSERTs \
                             loaded one by one. With UNIQUE_CHECKS and FOREIGN_KEY_CHECKS off, MariaDB \
                             loads empty tables in bulk and may have rolled back rows loaded before it \
                             in this transaction, so the import stops rather than commit. Load the file \
                             without --disable-constraints",
                            table.quoted(Dialect::MySql)
                        );
                    }
                } else {
                    // Each table stays on one connection, so its rows go in
                    // file order and an error names the same line every time.
                    if current.as_ref() != Some(&table) {
                        if let Some(ended) = current.replace(table.clone()) {
                            if queues[worker_of[&ended]]
                                .send(Job::Loaded(ended))
                                .await
                                .is_err()
                            {
                                return Err(first_failure(queues, handles).await);
                            }
                        }
                    }
                    let seen = worker_of.len();
                    let worker = *worker_of
                        .entry(table.clone())
                        .or_insert(seen % queues.len());
                    let job = Job::Statement {
                        sql,
                        line,
                        table: Some(table),
                    };
                    if queues[worker].send(job).await.is_err() {
                        return Err(first_failure(queues, handles).await);
                    }
                }
            }
            Event::Restore { restore, line } => deferred.push((restore, line)),
            Event::CopyStart { line, .. } => {
                bail!("{display}:{line}: not a MySQL script (psql syntax)")
            }
            Event::CopyData(_) | Event::CopyEnd { .. } => unreachable!("no COPY in MySQL files"),
            Event::Finished(summary) => break summary,
        }
    };
    drop(queues);
    for handle in handles {
        handle.await??;
    }
    datafile::check_emptied(path, Dialect::MySql, &emptied, &summary)?;
    Ok(Loaded { summary, deferred })
}

/// The file's events, with room to look at the next one before taking it.
struct Events {
    rx: mpsc::Receiver<Result<Event>>,
    next: Option<Result<Event>>,
}

impl Events {
    async fn next(&mut self) -> Option<Result<Event>> {
        match self.next.take() {
            Some(event) => Some(event),
            None => self.rx.recv().await,
        }
    }
}

impl Following for Events {
    async fn peek_insert_of(&mut self, table: &TableName) -> Option<(&str, u64)> {
        if self.next.is_none() {
            self.next = self.rx.recv().await;
        }
        match &self.next {
            Some(Ok(Event::Insert {
                table: t,
                sql,
                line,
                ..
            })) if t == table => Some((sql.as_str(), *line)),
            _ => None,
        }
    }

    fn advance(&mut self) {
        self.next = None;
    }
}

/// Loads the INSERTs of `table` on lines `first..=last` again, one by one:
/// a LOAD DATA of them all was not exact and left nothing. They are read
/// from the file again (its rows were never held in memory), and the first
/// INSERT that fails names its line.
async fn load_again(
    loader: &mut Loader<'_>,
    path: &Path,
    table: &TableName,
    first: u64,
    last: u64,
    import: bool,
) -> Result<()> {
    let display = path.display().to_string();
    let mut events = datafile::spawn(path, Dialect::MySql);
    while let Some(event) = events.recv().await {
        match event? {
            Event::Insert {
                table: t,
                sql,
                line,
                ..
            } if t == *table && line >= first => {
                loader
                    .insert(&t, &sql)
                    .await
                    .map_err(|f| describe(f, &display, line, Some(&t), import))?;
                if line >= last {
                    return Ok(());
                }
            }
            Event::Finished(_) => break,
            _ => {}
        }
    }
    bail!("{display}: the file changed while it was loaded (lines {first} to {last} of table {} are not the same)", table.quoted(Dialect::MySql))
}

/// The error of the worker that stopped first.
/// The error of the loading connection that stopped. The queues go first:
/// a connection still waiting for work would otherwise wait for ever, and
/// so would this, before it reached the one that failed.
async fn first_failure(
    queues: Vec<mpsc::Sender<Job>>,
    handles: Vec<tokio::task::JoinHandle<Result<()>>>,
) -> anyhow::Error {
    drop(queues);
    for handle in handles {
        match handle.await {
            Ok(Err(err)) => return err,
            Err(join) => return anyhow!("a loading connection stopped: {join}"),
            Ok(Ok(())) => {}
        }
    }
    anyhow!("a loading connection stopped")
}

/// Reads a data snapshot without a database, through the same checks as a load.
pub fn scan_file(path: &Path) -> Result<Manifest> {
    datafile::manifest_of(path, Dialect::MySql)
}
