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
//!
//! While both connections are busy the reader goes on, and the blocks it
//! has read whole wait; the next free connection takes the one with the
//! most rows. A big table at the end of the file then loads beside the
//! others instead of alone after them, with a core idle. A table's later
//! block waits for every earlier one to commit: its first empties it.

use std::collections::{BTreeSet, HashSet};
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

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
use crate::script::loadbar::{ClearOnDrop, LoadedBar};
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

/// A COPY block for a connection. Reading ahead while every connection is
/// busy, it is held: where its chunks lie in the file, for the connection
/// that takes it later (24 bytes a chunk of 256 KiB).
struct Block {
    table: TableName,
    empty_first: bool,
    sql: String,
    line: u64,
    chunks: Vec<Range>,
    rows: u64,
}

/// Blocks held at most, whatever the file: a few hundred bytes each.
const MAX_HELD: usize = 1024;

/// The held block with the most rows (the first of equals), if any.
fn take_biggest(pending: &mut Vec<Block>) -> Option<Block> {
    let at = (0..pending.len()).max_by_key(|&i| (pending[i].rows, std::cmp::Reverse(i)))?;
    Some(pending.remove(at))
}

/// A loading connection stopped: its error is in its task's result.
struct Stopped;

/// The reader's side of the loading connections: their queues, and which
/// of them are between tables.
struct Dealer {
    queues: Vec<mpsc::Sender<Msg>>,
    /// Ids of connections that have committed a table (or stopped).
    free: mpsc::UnboundedReceiver<usize>,
    busy: Vec<bool>,
}

impl Dealer {
    async fn send(&self, worker: usize, msg: Msg) -> Result<(), Stopped> {
        self.queues[worker].send(msg).await.map_err(|_| Stopped)
    }

    async fn begin(
        &mut self,
        worker: usize,
        table: TableName,
        empty_first: bool,
    ) -> Result<(), Stopped> {
        self.busy[worker] = true;
        self.send(worker, Msg::Begin { table, empty_first }).await
    }

    /// A connection between tables now, if there is one.
    fn idle(&mut self) -> Option<usize> {
        while let Ok(worker) = self.free.try_recv() {
            self.busy[worker] = false;
        }
        self.busy.iter().position(|busy| !busy)
    }

    /// The next connection between tables, waiting for one if need be.
    async fn next_free(&mut self) -> Result<usize, Stopped> {
        loop {
            if let Some(worker) = self.idle() {
                return Ok(worker);
            }
            let worker = self.free.recv().await.ok_or(Stopped)?;
            self.busy[worker] = false;
        }
    }

    /// Waits until every connection has committed what it was given.
    async fn all_free(&mut self) -> Result<(), Stopped> {
        self.idle();
        while self.busy.iter().any(|busy| *busy) {
            let worker = self.free.recv().await.ok_or(Stopped)?;
            self.busy[worker] = false;
        }
        Ok(())
    }

    /// Starts `block` on `worker`, with the chunks read so far; reading
    /// ahead, the sender takes the chunks still to come.
    async fn start(
        &mut self,
        worker: usize,
        block: Block,
        read_ahead: bool,
    ) -> Result<Option<mpsc::UnboundedSender<Range>>, Stopped> {
        self.begin(worker, block.table, block.empty_first).await?;
        let (sql, line) = (block.sql, block.line);
        self.send(worker, Msg::CopyStart { sql, line }).await?;
        if !read_ahead {
            return Ok(None);
        }
        let (tx, rx) = mpsc::unbounded_channel();
        for chunk in block.chunks {
            let _ = tx.send(chunk);
        }
        self.send(worker, Msg::CopyRanges(rx)).await?;
        Ok(Some(tx))
    }

    /// Gives `worker` a whole held block, to load and commit.
    async fn hand(&mut self, worker: usize, block: Block) -> Result<(), Stopped> {
        // Dropping the sender ends the block's chunks.
        drop(self.start(worker, block, true).await?);
        self.send(worker, Msg::CopyEnd).await?;
        self.send(worker, Msg::Commit).await
    }
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
/// Returns the reader's summary (the whole file was read and matches its
/// manifest) and the builder, which may still be making one index.
pub async fn load(
    client: &Client,
    workers: Vec<Client>,
    path: &Path,
    skip: BTreeSet<TableName>,
    early: Early,
) -> Result<(Summary, load::EarlyBuilds)> {
    let display = path.display().to_string();
    let (loaded_tx, loaded_rx) = mpsc::unbounded_channel::<TableName>();
    let gate = Arc::new(Mutex::new(load::Gate::default()));
    let builder = {
        let gate = gate.clone();
        tokio::spawn(async move {
            load::build_early(&early.client, &early.schema, loaded_rx, &gate).await
        })
    };
    // The builder is told to stop, by any way out of here.
    let _stop_builder = StopOnDrop(gate.clone());
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
    let (free_tx, free_rx) = mpsc::unbounded_channel::<usize>();
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
            // Said when the task ends, even on failure or a panic (after
            // its queue is gone): the dealer, which may be waiting for every
            // connection, then finds the queue closed and asks for the error.
            let _ends = SayFree(free.clone(), id);
            work(worker, rx, &path, file, bar, loaded, || {
                let _ = free.send(id);
            })
            .await
        }));
    }
    drop(free_tx);

    let bars = match ranges {
        Some(_) => Bars::Loader,
        None => Bars::Reader,
    };
    let mut events = datafile::spawn_skipping(path, Dialect::Postgres, skip, bars);
    let mut dealer = Dealer {
        queues,
        free: free_rx,
        busy: vec![false; handles.len()],
    };
    let mut restores = Vec::new();
    // Every table an earlier block put rows in, by oid: a block empties its
    // table first (for FREEZE) only if none did, whatever name it used.
    let mut touched: HashSet<i64> = HashSet::new();
    // The connection that holds the current table's transaction, and for
    // INSERT files the table whose statements it is taking.
    let mut current: Option<(usize, Option<TableName>)> = None;
    // Reading ahead: where the current COPY block's next chunk lies in the
    // file, and the channel its connection takes the chunks from; or, while
    // every connection is busy, the block itself, held.
    let mut offset = 0;
    let mut feed: Option<mpsc::UnboundedSender<Range>> = None;
    let mut held: Option<Block> = None;
    // Blocks read whole while every connection was busy, for the next free
    // one, the most rows first: a big table then loads (and gets its
    // indexes) while the small ones fill in around it, instead of loading
    // alone at the end of the file with a core idle.
    let mut pending: Vec<Block> = Vec::new();
    // A connection stopped: the others are told to stop too (their queues
    // close), and its error is the one to report.
    // (A block's chunk channel closes too: its connection waits on it.)
    macro_rules! fail {
        () => {{
            drop(feed.take());
            drop(dealer);
            return Err(first_failure(handles).await);
        }};
    }
    macro_rules! check {
        ($step:expr) => {
            match $step {
                Ok(value) => value,
                Err(Stopped) => fail!(),
            }
        };
    }
    macro_rules! commit_current {
        () => {
            if let Some((worker, _)) = current.take() {
                check!(dealer.send(worker, Msg::Commit).await);
            }
        };
    }
    // Held blocks handed out, the biggest first: to every connection
    // between tables, and, while more than `keep` wait, to the next that
    // comes free.
    macro_rules! hand_out {
        ($keep:expr) => {
            while !pending.is_empty() {
                let worker = match dealer.idle() {
                    Some(worker) => worker,
                    None if pending.len() > $keep => check!(dealer.next_free().await),
                    None => break,
                };
                let next = take_biggest(&mut pending).expect("not empty");
                check!(dealer.hand(worker, next).await);
            }
        };
    }
    let summary = loop {
        // While blocks wait, a connection that comes free takes the biggest
        // (or the one being read) before the reader is heard again.
        let event = loop {
            if pending.is_empty() && held.is_none() {
                break events.recv().await;
            }
            tokio::select! {
                biased;
                worker = dealer.free.recv() => {
                    let Some(worker) = worker else { fail!() };
                    dealer.busy[worker] = false;
                    if let Some(next) = take_biggest(&mut pending) {
                        check!(dealer.hand(worker, next).await);
                    } else if let Some(reading) = held.take() {
                        feed = check!(dealer.start(worker, reading, true).await);
                        current = Some((worker, None));
                    }
                }
                event = events.recv() => break event,
            }
        };
        let event = match event {
            Some(Ok(event)) => event,
            Some(Err(e)) => {
                drop(feed.take());
                drop(dealer);
                return Err(earlier_failure(handles).await.unwrap_or(e));
            }
            None => bail!("{display}: the file reader stopped before the end of the file"),
        };
        match event {
            Event::Setting { sql, line } => {
                commit_current!();
                // It applies to the rows after it, not to those read before.
                hand_out!(0);
                client
                    .batch_execute(&sql)
                    .await
                    .map_err(|e| located_error(path, line, &sql, e))?;
                for worker in 0..dealer.queues.len() {
                    let sql = sql.clone();
                    check!(dealer.send(worker, Msg::Setting { sql, line }).await);
                }
            }
            Event::CopyStart {
                table,
                columns,
                types,
                sql,
                line,
                offset: at,
            } => {
                // The schema file may come from another snapshot than the data.
                if let Some(types) = &types {
                    super::column_types::check_named(client, &table, &columns, types)
                        .await
                        .with_context(|| format!("{display}:{line}: table {table}"))?;
                }
                commit_current!();
                offset = at;
                let empty_first = first_rows(client, &mut touched, &table)
                    .await
                    .with_context(|| format!("{display}:{line}: table {table}"))?;
                if !empty_first {
                    // A table's second block waits for its first to commit:
                    // the first empties the table.
                    hand_out!(0);
                    check!(dealer.all_free().await);
                }
                // Connections come free in the meantime take held blocks
                // first; with MAX_HELD waiting, the reader waits for one (a
                // file of countless tiny blocks must not fill memory).
                hand_out!(MAX_HELD - 1);
                let reading = Block {
                    table,
                    empty_first,
                    sql,
                    line,
                    chunks: Vec::new(),
                    rows: 0,
                };
                let worker = match (&ranges, dealer.idle()) {
                    (_, Some(worker)) => worker,
                    (None, None) => check!(dealer.next_free().await),
                    (Some(_), None) => {
                        held = Some(reading);
                        continue;
                    }
                };
                feed = check!(dealer.start(worker, reading, ranges.is_some()).await);
                current = Some((worker, None));
            }
            Event::CopyData(chunk) => {
                let Some(_) = &ranges else {
                    let Some((worker, _)) = current else {
                        unreachable!("COPY data only follows a COPY statement")
                    };
                    check!(dealer.send(worker, Msg::CopyData(chunk)).await);
                    continue;
                };
                let len = chunk.len();
                let range = Range {
                    offset,
                    len,
                    hash: xxh3_64(&chunk),
                };
                offset += len as u64;
                match (&mut held, &feed) {
                    (Some(reading), _) => reading.chunks.push(range),
                    // Refused once the connection has stopped.
                    (None, Some(feed)) => {
                        if feed.send(range).is_err() {
                            fail!();
                        }
                    }
                    (None, None) => unreachable!("COPY data only follows a COPY statement"),
                }
            }
            Event::CopyEnd { rows } => {
                if let Some(mut reading) = held.take() {
                    reading.rows = rows;
                    pending.push(reading);
                    continue;
                }
                let Some((worker, _)) = current else {
                    unreachable!("a COPY end only follows a COPY statement")
                };
                feed = None;
                check!(dealer.send(worker, Msg::CopyEnd).await);
                commit_current!();
            }
            Event::Insert {
                table,
                sql,
                line,
                rows,
                ..
            } => {
                let same = matches!(&current, Some((_, Some(t))) if *t == table);
                if !same {
                    commit_current!();
                    hand_out!(0);
                    let empty_first = first_rows(client, &mut touched, &table)
                        .await
                        .with_context(|| format!("{display}:{line}: table {table}"))?;
                    if !empty_first {
                        check!(dealer.all_free().await);
                    }
                    let worker = check!(dealer.next_free().await);
                    check!(dealer.begin(worker, table.clone(), empty_first).await);
                    current = Some((worker, Some(table)));
                }
                let (worker, _) = current.as_ref().expect("set above");
                let worker = *worker;
                check!(dealer.send(worker, Msg::Insert { sql, line, rows }).await);
            }
            Event::Restore { restore, line } => {
                commit_current!();
                // Run after the whole file: pinned to what the name means here.
                let restore = super::names::pin_restore(client, restore)
                    .await
                    .with_context(|| format!("{display}:{line}: a sequence position"))?;
                restores.push((restore, line));
            }
            Event::Finished(summary) => {
                commit_current!();
                hand_out!(0);
                break summary;
            }
        }
    };
    drop(dealer);
    for handle in handles {
        handle.await??;
    }
    // Every row is in: what the builder has not begun, post-data builds on
    // all its connections, beside the build it may still be making. A build
    // that failed here is post-data's to make again, and to report if it
    // fails again (a deadlock the server broke will not; bad rows will,
    // with the schema file's line).
    load::stop_builder(&gate);
    drop(loaded_tx);
    super::import::restore_sequences(client, &display, &restores).await?;
    Ok((
        summary,
        load::EarlyBuilds {
            handle: builder,
            gate: gate.clone(),
        },
    ))
}

/// Sends a connection's id on the free channel when dropped.
struct SayFree(mpsc::UnboundedSender<usize>, usize);

impl Drop for SayFree {
    fn drop(&mut self) {
        let _ = self.0.send(self.1);
    }
}

/// Tells the early builder to stop when dropped.
struct StopOnDrop(Arc<Mutex<load::Gate>>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        load::stop_builder(&self.0);
    }
}

/// Reads `len` bytes at `offset` of `file` back, off the async workers.
/// Whether no earlier block put rows in `table`, which then may be emptied
/// for its first block. Its name as this line means it is resolved to an
/// oid: the same table may come back under another name (after a `SET
/// search_path`), and a partitioned table's block routes its rows into every
/// partition below it, which a later block of the partition must not empty.
async fn first_rows(
    client: &Client,
    touched: &mut HashSet<i64>,
    table: &TableName,
) -> Result<bool> {
    let row = client
        .query_one(
            // Under the file's search_path: pg_catalog's operators and
            // types by name (see names::resolve).
            "SELECT c.oid::pg_catalog.int8, ARRAY(SELECT t.relid::pg_catalog.oid::pg_catalog.int8 \
                                     FROM pg_catalog.pg_partition_tree(c.oid) t) \
             FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) \
                   $1::pg_catalog.text::pg_catalog.regclass::pg_catalog.oid",
            &[&table.quoted(Dialect::Postgres)],
        )
        .await
        .map_err(ServerError::from)?;
    let oid: i64 = row.get(0);
    let below: Vec<i64> = row.get(1);
    let first = !touched.contains(&oid);
    touched.insert(oid);
    touched.extend(below);
    Ok(first)
}

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
                            "SELECT relkind::pg_catalog.\"char\" FROM pg_catalog.pg_class \
                             WHERE oid OPERATOR(pg_catalog.=) \
                                   $1::pg_catalog.text::pg_catalog.regclass::pg_catalog.oid",
                            &[&quoted],
                        )
                        .await
                        .map_err(ServerError::from)
                        .with_context(|| format!("loading table {next}"))?
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
                    return Err(copy_error(path, data_start, &name(), e, None));
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
                        return Err(copy_error(path, data_start, &name(), e, None));
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
                    .map_err(|e| copy_error(path, data_start, &name(), e, None))?;
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
