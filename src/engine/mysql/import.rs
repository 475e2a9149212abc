//! Loading a checked data file (ours or mysqldump's) through mysql_async.
//! What a statement may be, and whether the file is complete, is decided by
//! `script::datafile`; this module only sends what it hands out.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use anyhow::{anyhow, bail, Context, Result};
use mysql_async::prelude::Queryable;
use mysql_async::Conn;
use tokio::sync::{mpsc, OwnedSemaphorePermit, Semaphore};

use super::loader::{describe, Following, Infile, LargeStatements, Loader, Run, Transaction};
use super::spool::{Spool, Spooled};
use crate::engine::ImportOptions;
use crate::error::ServerError;
use crate::progress::TableProgress;
use crate::script::datafile::{self, Bars, Event, Summary};
use crate::script::loadbar::{ClearOnDrop, LoadedBar};
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
    /// A session setting from the file, for every connection.
    Setting { sql: String, line: u64 },
    /// A checked INSERT, with where it came from.
    Insert {
        table: TableName,
        sql: Held,
        line: u64,
        rows: u64,
    },
    /// The table's block of the file has ended: once the statements before
    /// this are in, its rows are.
    Loaded(TableName),
}

/// An INSERT on its way to a connection.
enum Held {
    /// In memory, taking one of the connection's places (`Lane::room`).
    Memory(String, OwnedSemaphorePermit),
    /// Read ahead into the spool ([`super::spool`]).
    Spooled(Spooled),
}

/// Statements held in memory for one connection: the one it runs and the
/// next (up to 1 MiB each) keep it busy; more only holds memory.
const HELD: usize = 2;

/// The reader's side of one loading connection.
struct Lane {
    jobs: mpsc::UnboundedSender<Job>,
    room: Arc<Semaphore>,
    /// Bytes handed to it and not loaded yet: a new table goes to the
    /// connection with the least.
    backlog: Arc<AtomicU64>,
}

impl Lane {
    /// Hands on an INSERT: in memory while there is room, else through the
    /// spool, else (no spool, or a full one) in memory once there is room.
    async fn insert(
        &self,
        spool: Option<&mut Spool>,
        table: TableName,
        sql: String,
        line: u64,
        rows: u64,
    ) -> Result<(), Stopped> {
        self.backlog.fetch_add(sql.len() as u64, Ordering::Relaxed);
        let sql = match self.room.clone().try_acquire_owned() {
            Ok(place) => Held::Memory(sql, place),
            Err(_) => match spool.and_then(|spool| spool.put(&sql)) {
                Some(spooled) => Held::Spooled(spooled),
                None => {
                    // Never closed: a connection that stops drops its jobs,
                    // and their places come back.
                    let place = self
                        .room
                        .clone()
                        .acquire_owned()
                        .await
                        .map_err(|_| Stopped)?;
                    Held::Memory(sql, place)
                }
            },
        };
        let job = Job::Insert {
            table,
            sql,
            line,
            rows,
        };
        self.jobs.send(job).map_err(|_| Stopped)
    }

    fn send(&self, job: Job) -> Result<(), Stopped> {
        self.jobs.send(job).map_err(|_| Stopped)
    }
}

/// A loading connection stopped: its error is in its task's result.
struct Stopped;

/// What a loading connection shares with the reader and the others.
struct Shared {
    display: String,
    infile: Infile,
    large: LargeStatements,
    loaded: mpsc::UnboundedSender<TableName>,
    /// The first line whose statement failed (u64::MAX while none has):
    /// the other connections go on only with the lines before it. The
    /// earliest failure in the file is the load's error, as it was before
    /// the read-ahead, and nothing after it is loaded for nothing.
    failed_at: AtomicU64,
    bar: Option<LoadedBar>,
}

/// A loading connection's error, and the line of the file it came from.
struct Failed {
    line: u64,
    err: anyhow::Error,
}

/// Runs statements on one connection, in order, until the queue closes or
/// an earlier line fails. Nobody reads the staging build yet, so each load
/// commits on its own.
async fn run_jobs(
    mut conn: Conn,
    jobs: mpsc::UnboundedReceiver<Job>,
    backlog: Arc<AtomicU64>,
    shared: Arc<Shared>,
) -> Result<(), Failed> {
    let ran = run_jobs_on(&mut conn, jobs, &backlog, &shared).await;
    match &ran {
        Err(failed) => {
            shared.failed_at.fetch_min(failed.line, Ordering::Relaxed);
        }
        Ok(()) => {
            conn.disconnect().await.ok();
        }
    }
    ran
}

async fn run_jobs_on(
    conn: &mut Conn,
    mut jobs: mpsc::UnboundedReceiver<Job>,
    backlog: &AtomicU64,
    shared: &Shared,
) -> Result<(), Failed> {
    let display = &shared.display;
    let mut loader = Loader::new(conn, Transaction::PerStatement, shared.infile.clone())
        .beside_others(shared.large.clone());
    let mut line_of_table: Option<TableProgress> = None;
    while let Some(job) = jobs.recv().await {
        let failed_at = shared.failed_at.load(Ordering::Relaxed);
        let line = match &job {
            Job::Setting { line, .. } | Job::Insert { line, .. } => *line,
            // After a failure, nothing is built early.
            Job::Loaded(_) if failed_at != u64::MAX => continue,
            Job::Loaded(_) => 0,
        };
        if line > failed_at {
            break;
        }
        let failed = |err| Failed { line, err };
        match job {
            Job::Setting { sql, line } => loader
                .setting(&sql)
                .await
                .map_err(|f| failed(describe(f, display, line, None, false)))?,
            Job::Insert {
                table,
                sql,
                line,
                rows,
            } => {
                // A place in memory is given back once the statement is in.
                let (sql, _place) = match sql {
                    Held::Memory(sql, place) => (sql, Some(place)),
                    Held::Spooled(spooled) => (
                        spooled
                            .take()
                            .await
                            .with_context(|| {
                                format!("{display}:{line}: table {}", table.quoted(Dialect::MySql))
                            })
                            .map_err(failed)?,
                        None,
                    ),
                };
                loader
                    .insert(&table, &sql)
                    .await
                    .map_err(|f| failed(describe(f, display, line, Some(&table), false)))?;
                backlog.fetch_sub(sql.len() as u64, Ordering::Relaxed);
                if let Some(bar) = &shared.bar {
                    line_of_table
                        .get_or_insert_with(|| bar.begin(&table))
                        .advance(rows, sql.len() as u64);
                    bar.sent(sql.len() as u64);
                }
            }
            Job::Loaded(table) => {
                if let Some(line) = line_of_table.take() {
                    line.finish_table();
                }
                // Nobody may be listening any more; the rows are in either way.
                let _ = shared.loaded.send(table);
            }
        }
    }
    Ok(())
}

/// Like `load`, but INSERTs are spread over `workers` (settings run on each
/// of them). Only for a fresh database that nobody reads yet: the workers
/// commit on their own, so there is no single transaction. The rows of
/// `skip` are read and checked but not loaded (`init --resume` kept them).
/// Each table whose block of the file has ended, and whose rows are all in,
/// is sent on `loaded`. Each table goes to the connection with the least
/// work waiting, and a plain file is read ahead of them ([`super::spool`]).
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
    // A plain file is read ahead through the spool; the connections draw
    // the bars then, as the reader's would run ahead of the load. A
    // compressed file's bars count its compressed bytes, which the
    // connections cannot: it is read at their pace, and the reader draws.
    let read_ahead = !workers.is_empty() && crate::snapshot::compress::open_plain(path).is_some();
    let mut spool = read_ahead.then(|| Spool::beside(path));
    let bar = read_ahead
        .then(|| LoadedBar::start(path, Dialect::MySql))
        .flatten();
    let _clear_bars = bar.clone().map(ClearOnDrop);
    let mut lanes = Vec::new();
    let mut handles = Vec::new();
    if let (Some(large), Some(loaded)) = (large, loaded) {
        let shared = Arc::new(Shared {
            display: display.clone(),
            infile: infile.clone(),
            large,
            loaded,
            failed_at: AtomicU64::new(u64::MAX),
            bar,
        });
        for worker in workers {
            let (jobs, rx) = mpsc::unbounded_channel();
            let backlog = Arc::new(AtomicU64::new(0));
            lanes.push(Lane {
                jobs,
                room: Arc::new(Semaphore::new(HELD)),
                backlog: backlog.clone(),
            });
            handles.push(tokio::spawn(run_jobs(worker, rx, backlog, shared.clone())));
        }
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
        rx: datafile::spawn_skipping(
            path,
            Dialect::MySql,
            skip,
            if read_ahead {
                Bars::Loader
            } else {
                Bars::Reader
            },
        ),
        next: None,
    };
    let mut deferred = Vec::new();
    let summary = loop {
        let Some(event) = events.next().await else {
            bail!("{display}: the file reader stopped before the end of the file");
        };
        let event = match event {
            Ok(event) => event,
            // Every statement handed out lies before the reader's error: a
            // loading connection's error, if one failed, is the earlier one.
            Err(e) if !handles.is_empty() => {
                drop(lanes);
                return Err(earliest_failure(handles).await.unwrap_or(e));
            }
            Err(e) => return Err(e),
        };
        match event {
            Event::Setting { sql, line } => {
                loader
                    .setting(&sql)
                    .await
                    .map_err(|f| describe(f, &display, line, None, import))?;
                for lane in &lanes {
                    let job = Job::Setting {
                        sql: sql.clone(),
                        line,
                    };
                    if lane.send(job).is_err() {
                        return Err(first_failure(lanes, handles).await);
                    }
                }
            }
            Event::Insert {
                table,
                sql,
                line,
                rows,
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
                if lanes.is_empty() {
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
                            if lanes[worker_of[&ended]].send(Job::Loaded(ended)).is_err() {
                                return Err(first_failure(lanes, handles).await);
                            }
                        }
                    }
                    let worker = *worker_of.entry(table.clone()).or_insert_with(|| {
                        (0..lanes.len())
                            .min_by_key(|&i| lanes[i].backlog.load(Ordering::Relaxed))
                            .expect("there are loading connections")
                    });
                    let sent = lanes[worker]
                        .insert(spool.as_mut(), table, sql, line, rows)
                        .await;
                    if sent.is_err() {
                        return Err(first_failure(lanes, handles).await);
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
    drop(lanes);
    if let Some(err) = earliest_failure(handles).await {
        return Err(err);
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

/// The error of the loading connection that stopped. The queues go first:
/// a connection still waiting for work would otherwise wait for ever, and
/// so would this, before it reached the one that failed.
async fn first_failure(
    lanes: Vec<Lane>,
    handles: Vec<tokio::task::JoinHandle<Result<(), Failed>>>,
) -> anyhow::Error {
    drop(lanes);
    earliest_failure(handles)
        .await
        .unwrap_or_else(|| anyhow!("a loading connection stopped"))
}

/// Waits for every loading connection; the error of the earliest line that
/// failed, if one did.
async fn earliest_failure(
    handles: Vec<tokio::task::JoinHandle<Result<(), Failed>>>,
) -> Option<anyhow::Error> {
    let mut earliest: Option<Failed> = None;
    for handle in handles {
        let failed = match handle.await {
            Ok(Ok(())) => continue,
            Ok(Err(failed)) => failed,
            // A panic is never hidden behind a failed statement.
            Err(join) => Failed {
                line: 0,
                err: anyhow!("a loading connection stopped: {join}"),
            },
        };
        if earliest.as_ref().is_none_or(|e| failed.line < e.line) {
            earliest = Some(failed);
        }
    }
    earliest.map(|failed| failed.err)
}

/// Reads a data snapshot without a database, through the same checks as a load.
pub fn scan_file(path: &Path) -> Result<Manifest> {
    datafile::manifest_of(path, Dialect::MySql)
}
