//! Loading a data file into `init`'s staging database. Nobody reads that
//! database before the swap, so the file's one-transaction rule gives way to
//! speed and to resuming: each table commits on its own, and each table's
//! rows go to whichever of two connections is free, while the file is still
//! read once, in order, by the one checked reader. A run killed halfway
//! leaves its finished tables for `init --resume`.
//!
//! A table is emptied and loaded in one transaction, `TRUNCATE` then
//! `COPY ... FREEZE`: the rows are written frozen (no later vacuum pass
//! rewrites them, and the foreign key checks after the load read them
//! faster), and a resumed run reloads a half-finished table cleanly.
//!
//! A plain (uncompressed) file is read ahead: the reader checks a table's
//! block and hands its loading connection only where the block's chunks lie
//! in the file (and a hash of each), so that it can go on to the next table
//! and the next free connection while the first is still loading. The
//! connection reads each chunk back from the file itself and sends it only
//! if it hashes the same: a file changed during the load stops it. Without
//! this, one connection would sit idle while the reader feeds the other,
//! since it cannot pass a block before its rows are sent. A compressed file
//! cannot be read at an offset: its chunks travel through the queue.

use std::collections::{BTreeSet, HashSet};
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use anyhow::{anyhow, bail, Context, Result};
use bytes::Bytes;
use futures_util::SinkExt;
use tokio::sync::mpsc;
use tokio_postgres::{Client, CopyInSink};

use super::import::copy_error;
use super::load::{self, located_error};
use crate::error::ServerError;
use crate::progress::TableProgress;
use crate::script::datafile::{self, Bars, Event, Summary};
use crate::script::loadbar::LoadedBar;
use crate::script::statement::{Dialect, TableName};
use xxhash_rust::xxh3::xxh3_64;

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
    /// The block's data, to read back from the file: its chunks come on this
    /// channel (a few bytes each, so that the reader is never held up by a
    /// busy connection), which closes at the block's end, or when the load
    /// stops.
    CopyRanges(mpsc::UnboundedReceiver<Range>),
    CopyEnd,
    Insert {
        sql: String,
        line: u64,
        rows: u64,
    },
    Commit,
}

/// A chunk of COPY data in the file: `len` bytes at `offset`, which hashed
/// to `hash` when the reader checked them.
struct Range {
    offset: u64,
    len: usize,
    hash: u64,
}

/// A connection that builds the indexes post-data starts with as their
/// tables' rows come in ([`load::build_early`]), from `schema`.
pub struct Early {
    pub client: Client,
    pub schema: PathBuf,
}

/// Loads the rows of `path` (but not those of `skip`) through `workers`
/// connected to the staging database; sequences are set through `client`
/// once every table has committed, and `early` builds indexes meanwhile.
/// Returns the reader's summary: the whole file was read and matches its
/// manifest.
pub async fn load(
    client: &Client,
    workers: Vec<Client>,
    path: &Path,
    skip: BTreeSet<TableName>,
    early: Early,
) -> Result<Summary> {
    let display = path.display().to_string();
    let (loaded_tx, loaded_rx) = mpsc::unbounded_channel::<TableName>();
    let stop = Arc::new(AtomicBool::new(false));
    let builder = {
        let stop = stop.clone();
        tokio::spawn(async move {
            load::build_early(&early.client, &early.schema, loaded_rx, &stop).await
        })
    };
    // The builder is told to stop, by any way out of here.
    let _stop_builder = StopOnDrop(stop.clone());
    // The data file opened again, for reading chunks back.
    let ranges = crate::snapshot::compress::open_plain(path).map(Arc::new);
    // Reading ahead, the reader's bars would too: the connections draw them.
    let bar = ranges
        .as_ref()
        .and_then(|_| LoadedBar::start(path, Dialect::Postgres));
    // They go by any way out of here, before an error is printed.
    let _clear_bars = bar.clone().map(ClearOnDrop);
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
        let file = ranges.clone();
        let bar = bar.clone();
        let loaded = loaded_tx.clone();
        handles.push(tokio::spawn(async move {
            let result = work(worker, rx, &path, file, bar, loaded, || {
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

    let bars = match ranges {
        Some(_) => Bars::Loader,
        None => Bars::Reader,
    };
    let mut events = datafile::spawn_skipping(path, Dialect::Postgres, skip, bars);
    let mut restores = Vec::new();
    let mut emptied: HashSet<TableName> = HashSet::new();
    // The connection that holds the current table's transaction, and for
    // INSERT files the table whose statements it is taking.
    let mut current: Option<(usize, Option<TableName>)> = None;
    // Reading ahead: where the current COPY block's next chunk lies in the
    // file, and the channel its connection takes the chunks from.
    let mut offset = 0;
    let mut block: Option<mpsc::UnboundedSender<Range>> = None;
    // A connection stopped: the others are told to stop too (their queues
    // close), and its error is the one to report.
    // (A block's chunk channel closes too: its connection waits on it.)
    macro_rules! fail {
        () => {{
            drop(block.take());
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
                drop(block.take());
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
            Event::CopyStart {
                table,
                sql,
                line,
                offset: at,
            } => {
                commit_current!();
                offset = at;
                let Some(worker) = free_rx.recv().await else {
                    fail!();
                };
                let empty_first = emptied.insert(table.clone());
                send!(worker, Msg::Begin { table, empty_first });
                send!(worker, Msg::CopyStart { sql, line });
                if ranges.is_some() {
                    let (tx, rx) = mpsc::unbounded_channel();
                    send!(worker, Msg::CopyRanges(rx));
                    block = Some(tx);
                }
                current = Some((worker, None));
            }
            Event::CopyData(chunk) => {
                let Some((worker, _)) = current else {
                    unreachable!("COPY data only follows a COPY statement")
                };
                match &block {
                    Some(block) => {
                        let len = chunk.len();
                        let hash = xxh3_64(&chunk);
                        // Refused once the connection has stopped.
                        if block.send(Range { offset, len, hash }).is_err() {
                            fail!();
                        }
                        offset += len as u64;
                    }
                    None => send!(worker, Msg::CopyData(chunk)),
                }
            }
            Event::CopyEnd { .. } => {
                let Some((worker, _)) = current else {
                    unreachable!("a COPY end only follows a COPY statement")
                };
                block = None;
                send!(worker, Msg::CopyEnd);
                commit_current!();
            }
            Event::Insert {
                table,
                sql,
                line,
                rows,
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
                send!(worker, Msg::Insert { sql, line, rows });
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
    // Every row is in: what the builder has not begun, post-data builds on
    // all its connections. A build that failed here is post-data's to make
    // again, and to report if it fails again (a deadlock the server broke
    // will not; bad rows will, with the schema file's line).
    stop.store(true, Ordering::Release);
    drop(loaded_tx);
    let _ = builder.await;
    super::import::restore_sequences(client, &display, &restores).await?;
    Ok(summary)
}

/// Clears the bars when dropped.
struct ClearOnDrop(LoadedBar);

impl Drop for ClearOnDrop {
    fn drop(&mut self) {
        self.0.finish();
    }
}

/// Sets its flag when dropped.
struct StopOnDrop(Arc<AtomicBool>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Release);
    }
}

/// Reads `len` bytes at `offset` of `file` back, off the async workers.
async fn read_back(file: &Arc<File>, offset: u64, len: usize) -> std::io::Result<Vec<u8>> {
    static FIRST: std::sync::Once = std::sync::Once::new();
    let file = file.clone();
    tokio::task::spawn_blocking(move || {
        // A test changes the file here, after the reader has checked it.
        FIRST.call_once(|| crate::engine::fault_point("read-back"));
        let mut buf = vec![0; len];
        file.read_exact_at(&mut buf, offset).map(|()| buf)
    })
    .await
    .map_err(std::io::Error::other)?
}

/// One loading connection: runs its messages in order until the queue closes.
/// `free` says the connection has committed its table and can take another.
/// `file` is the plain data file, for [`Msg::CopyRanges`], and `bar` what
/// the connections draw when the reader reads ahead.
async fn work(
    client: Client,
    mut queue: mpsc::Receiver<Msg>,
    path: &Path,
    file: Option<Arc<File>>,
    bar: Option<LoadedBar>,
    loaded: mpsc::UnboundedSender<TableName>,
    free: impl Fn(),
) -> Result<()> {
    let mut line_of_table: Option<TableProgress> = None;
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
                line_of_table = bar.as_ref().map(|bar| bar.begin(&next));
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
            Msg::CopyRanges(mut chunks) => {
                let file = file.as_ref().expect("ranges only for a plain file");
                while let Some(Range { offset, len, hash }) = chunks.recv().await {
                    let chunk = read_back(file, offset, len).await.with_context(|| {
                        format!("{display}: reading the rows of table {} back", name())
                    })?;
                    if xxh3_64(&chunk) != hash {
                        bail!(
                            "{display}: the file changed while it was being loaded (bytes {offset} to {} of table {}): nothing was swapped in",
                            offset + len as u64,
                            name()
                        );
                    }
                    let rows = memchr::memchr_iter(b'\n', &chunk).count() as u64;
                    let copy = sink.as_mut().expect("data follows a COPY start");
                    if let Err(e) = copy.send(Bytes::from(chunk)).await {
                        return Err(copy_error(path, data_start, &name(), e));
                    }
                    if let (Some(bar), Some(line)) = (&bar, &mut line_of_table) {
                        line.advance(rows, len as u64);
                        bar.sent(len as u64);
                    }
                }
            }
            Msg::CopyEnd => {
                let mut copy = sink.take().expect("the end follows a COPY start");
                copy.as_mut()
                    .finish()
                    .await
                    .map_err(|e| copy_error(path, data_start, &name(), e))?;
            }
            Msg::Insert { sql, line, rows } => {
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
                if let (Some(bar), Some(line)) = (&bar, &mut line_of_table) {
                    line.advance(rows, sql.len() as u64);
                    bar.sent(sql.len() as u64);
                }
            }
            Msg::Commit => {
                client
                    .batch_execute("COMMIT")
                    .await
                    .map_err(ServerError::from)
                    .with_context(|| format!("committing table {}", name()))?;
                if let Some(line) = line_of_table.take() {
                    line.finish_table();
                }
                // Refused once the builder has stopped listening (nothing
                // to build, a failed build, or the load is over).
                let _ = loaded.send(name());
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
