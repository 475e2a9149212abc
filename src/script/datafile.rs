//! The one reader of data files, for both engines, for import, init and check.
//!
//! It turns a file into checked [`Event`]s: every statement has passed the
//! allowlist of [`statement`](super::statement) before it is handed out, and
//! [`Event::Finished`] comes only after the whole file has been read and found
//! complete (our files: header, end marker and manifest; foreign dumps: their
//! header). A loader commits only after `Finished`, so a damaged or hostile
//! file never changes the target.

use std::collections::{BTreeSet, HashMap};
use std::io::{BufRead, Cursor, IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use anyhow::{anyhow, bail, Context, Result};
use tokio::sync::mpsc;

use super::loadbar::LoadBar;
use super::statement::{classify, Dialect, Restore, Statement, TableName};
use super::tuples::mysql_tuples;
use super::{Item, MysqlReader, PsqlReader};
use crate::engine::mysql::Counter;
use crate::engine::order::Section;
use crate::error::DamagedFile;
use crate::snapshot::checksum::{LineHasher, RowChecksum};
use crate::snapshot::compress;
use crate::snapshot::manifest::Manifest;
use crate::snapshot::markers::{self, Markers};

/// Who wrote the file, as its first lines say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Dbsnap,
    PgDump,
    MysqlDump,
}

/// One checked step of a data file.
#[derive(Debug)]
pub enum Event {
    /// A session setting (rebuilt by the allowlist).
    Setting {
        sql: String,
        line: u64,
    },
    /// A COPY block begins: `sql` is the rebuilt statement; data follows.
    /// The data starts at byte `offset` of the decompressed input (of the
    /// file itself when it is not compressed), and its chunks are that
    /// input's bytes, consecutive, up to the `\.` line.
    CopyStart {
        table: TableName,
        /// The columns the COPY names, and the source's type of each when
        /// the file records them (`-- dbsnap:column-types`).
        columns: Vec<String>,
        types: Option<Vec<String>>,
        sql: String,
        line: u64,
        offset: u64,
    },
    CopyData(Vec<u8>),
    CopyEnd {
        rows: u64,
    },
    /// An INSERT of literal rows.
    Insert {
        table: TableName,
        sql: String,
        line: u64,
        rows: u64,
        /// The source's type of each column the INSERT names, on a table's
        /// first INSERT where the file records them (`-- dbsnap:column-types`).
        types: Option<Vec<String>>,
    },
    /// A sequence or counter position; loaders apply them after the rows.
    Restore {
        restore: Restore,
        line: u64,
    },
    /// The whole file was read and is complete. Nothing follows.
    Finished(Summary),
}

#[derive(Debug)]
pub struct Summary {
    pub origin: Origin,
    /// Empty for foreign dumps.
    pub manifest: Manifest,
    /// Tables in the order their rows came, with row counts.
    pub tables: Vec<(TableName, u64)>,
    pub rows: u64,
}

impl Summary {
    pub fn manifest_checked(&self) -> bool {
        self.origin == Origin::Dbsnap
    }
}

enum Reader {
    Psql(PsqlReader<Box<dyn BufRead + Send>>),
    MySql(MysqlReader<Box<dyn BufRead + Send>>),
}

impl Reader {
    fn next_item(&mut self) -> Result<Option<Item>, DamagedFile> {
        match self {
            Reader::Psql(r) => r.next_item(),
            Reader::MySql(r) => r.next_item(),
        }
    }

    fn line(&self) -> u64 {
        match self {
            Reader::Psql(r) => r.line(),
            Reader::MySql(r) => r.line(),
        }
    }

    fn dump_end_seen(&self) -> bool {
        match self {
            Reader::Psql(r) => r.dump_end_seen(),
            Reader::MySql(r) => r.dump_end_seen(),
        }
    }
}

/// A COPY block being read.
struct Copying {
    table: TableName,
    hasher: LineHasher,
}

pub struct DataFile {
    dialect: Dialect,
    path: PathBuf,
    reader: Reader,
    origin: Origin,
    markers: Markers,
    /// Our files say `-- dbsnap:kind data` before any statement.
    is_data: bool,
    header_tables: Option<Vec<TableName>>,
    /// Tables whose rows the export left out (ours only): never emptied.
    rows_left_out: BTreeSet<TableName>,
    /// From a `column-types` marker, for the COPY or INSERT that follows it.
    column_types: Option<Vec<String>>,
    copying: Option<Copying>,
    sums: HashMap<TableName, RowChecksum>,
    order: Vec<TableName>,
    rows: u64,
    restores: Vec<Restore>,
    done: bool,
}

/// How much of the start of a file is read to recognise it.
const SNIFF_BYTES: u64 = 8192;

impl DataFile {
    pub fn open(path: &Path, dialect: Dialect) -> Result<DataFile> {
        DataFile::open_counted(path, dialect, Arc::new(AtomicU64::new(0)))
    }

    /// As [`DataFile::open`], counting the file's bytes read into `read`.
    fn open_counted(path: &Path, dialect: Dialect, read: Arc<AtomicU64>) -> Result<DataFile> {
        let mut input = compress::open_counted(path, read)?;
        let mut head = Vec::new();
        (&mut input)
            .take(SNIFF_BYTES)
            .read_to_end(&mut head)
            .with_context(|| path.display().to_string())?;
        let origin = recognise(path, &head, dialect)?;
        let input: Box<dyn BufRead + Send> = Box::new(Cursor::new(head).chain(input));
        let reader = match dialect {
            Dialect::Postgres => Reader::Psql(PsqlReader::new(input, path)),
            Dialect::MySql => Reader::MySql(MysqlReader::new(input, path)),
        };
        Ok(DataFile {
            dialect,
            path: path.to_path_buf(),
            reader,
            origin,
            markers: Markers::default(),
            is_data: false,
            header_tables: None,
            rows_left_out: BTreeSet::new(),
            column_types: None,
            copying: None,
            sums: HashMap::new(),
            order: Vec::new(),
            rows: 0,
            restores: Vec::new(),
            done: false,
        })
    }

    /// A located, typed error: `check --json` reports its line.
    fn at(&self, line: u64, message: impl std::fmt::Display) -> anyhow::Error {
        DamagedFile::new(&self.path, line, message.to_string()).into()
    }

    /// How many tables the header has named so far (ours only).
    pub fn known_tables(&self) -> Option<usize> {
        self.header_tables.as_ref().map(Vec::len)
    }

    /// The tables a file of ours says it loads, from its header; None for
    /// foreign dumps (they must be read through to know).
    pub fn header_tables(&mut self) -> Result<Option<Vec<TableName>>> {
        if self.origin != Origin::Dbsnap {
            return Ok(None);
        }
        while self.header_tables.is_none() {
            match self.reader.next_item()? {
                Some(Item::Marker { text, line }) => self.marker(&text, line)?,
                _ => bail!(
                    "{}: the header has no `-- dbsnap:tables` line: the file is damaged",
                    self.path.display()
                ),
            }
        }
        Ok(self.header_tables.clone())
    }

    fn marker(&mut self, text: &str, line: u64) -> Result<()> {
        self.markers.take(&self.path, line, text)?;
        self.markers
            .refuse_other_engine(&self.path, line, self.dialect.engine())?;
        if markers::is_kind_data(text) {
            self.is_data = true;
        } else if let Some(list) = markers::tables_list(text) {
            let names: Vec<String> = serde_json::from_str(list)
                .map_err(|e| self.at(line, format!("bad table list in the header: {e}")))?;
            let mut tables = Vec::new();
            for name in names {
                tables.push(TableName::parse(self.dialect, &name).ok_or_else(|| {
                    self.at(line, "the header names a table that is not a table name")
                })?);
            }
            self.header_tables = Some(tables);
        } else if let Some(list) = markers::rows_left_out_list(text) {
            let names: Vec<String> = serde_json::from_str(list)
                .map_err(|e| self.at(line, format!("bad list of tables left out: {e}")))?;
            for name in names {
                self.rows_left_out
                    .insert(TableName::parse(self.dialect, &name).ok_or_else(|| {
                        self.at(line, "the header names a table that is not a table name")
                    })?);
            }
        } else if let Some(list) = markers::column_types(text) {
            let types: Vec<String> = serde_json::from_str(list)
                .map_err(|e| self.at(line, format!("bad column types: {e}")))?;
            self.column_types = Some(types);
        }
        Ok(())
    }

    /// The next checked event; None after `Finished`.
    pub fn next_event(&mut self) -> Result<Option<Event>> {
        if self.done {
            return Ok(None);
        }
        if let Some(copying) = &mut self.copying {
            let Reader::Psql(reader) = &mut self.reader else {
                unreachable!("only psql files have COPY blocks")
            };
            // The reader knows lines, not tables: a cut block names its table here.
            let chunk = reader.copy_chunk().map_err(|mut e| {
                e.message += &format!(", in the rows of table {}", copying.table);
                e
            })?;
            return Ok(Some(match chunk {
                Some(chunk) => {
                    copying.hasher.feed(&chunk);
                    Event::CopyData(chunk)
                }
                None => {
                    let Copying { table, hasher } = self.copying.take().expect("set above");
                    let sum = hasher.finish();
                    let rows = sum.rows();
                    self.rows += rows;
                    self.add_sum(table, sum);
                    Event::CopyEnd { rows }
                }
            }));
        }
        loop {
            let Some(item) = self.reader.next_item()? else {
                return self.finish().map(Some);
            };
            match item {
                Item::Marker { text, line } => self.marker(&text, line)?,
                Item::Meta { command, line } => {
                    // pg_dump 15.18+ brackets its output with \restrict / \unrestrict.
                    let word = command.split_whitespace().next().unwrap_or_default();
                    if !matches!(word, "restrict" | "unrestrict") {
                        return Err(self.at(
                            line,
                            format!("psql meta-command \\{word} is not allowed in a data file"),
                        ));
                    }
                }
                Item::CopyIn { sql, line } => {
                    self.statement_allowed(line)?;
                    return match classify(self.dialect, &sql) {
                        Statement::CopyIn {
                            table,
                            columns,
                            sql,
                        } => {
                            let types = self.column_types.take();
                            if types.as_ref().is_some_and(|t| t.len() != columns.len()) {
                                return Err(self.at(
                                    line,
                                    "the column types before this COPY do not match its column list",
                                ));
                            }
                            self.copying = Some(Copying {
                                table: table.clone(),
                                hasher: LineHasher::default(),
                            });
                            let Reader::Psql(reader) = &self.reader else {
                                unreachable!("only psql files have COPY blocks")
                            };
                            let offset = reader.offset();
                            Ok(Some(Event::CopyStart {
                                table,
                                columns,
                                types,
                                sql,
                                line,
                                offset,
                            }))
                        }
                        other => Err(self.refused(line, &other, &sql)),
                    };
                }
                Item::Statement { sql, line } => {
                    // Column types only ever describe the statement right after them.
                    let types = self.column_types.take();
                    self.statement_allowed(line)?;
                    let stmt = classify(self.dialect, &sql);
                    // Our MySQL files put counters after a post-data marker; nothing else goes there.
                    if self.markers.section == Some(Section::PostData)
                        && !matches!(stmt, Statement::Restore(_))
                    {
                        return Err(self.at(line, format!(
                            "only counter and sequence restores may follow the post-data marker ({})",
                            super::statement::first_words(&sql)
                        )));
                    }
                    match stmt {
                        Statement::Setting(sql) => return Ok(Some(Event::Setting { sql, line })),
                        Statement::LoadHint => continue,
                        Statement::Insert { table, sql, rows } => {
                            // Our PostgreSQL files hold rows as COPY only, and
                            // only COPY rows are checked against the manifest:
                            // an INSERT there would load rows nothing checked.
                            if self.dialect == Dialect::Postgres && self.is_data {
                                return Err(self.at(
                                    line,
                                    format!(
                                        "an INSERT into {table} in a dbsnap snapshot, whose rows are COPY blocks \
                                         checked against its manifest; this one is not"
                                    ),
                                ));
                            }
                            if self.dialect == Dialect::MySql {
                                let sum = self.sums.entry(table.clone()).or_default();
                                for tuple in mysql_tuples(&sql) {
                                    sum.add_row(tuple);
                                }
                            }
                            if !self.order.contains(&table) {
                                self.order.push(table.clone());
                                self.sums.entry(table.clone()).or_default();
                            }
                            self.rows += rows;
                            return Ok(Some(Event::Insert {
                                table,
                                sql,
                                line,
                                rows,
                                types,
                            }));
                        }
                        Statement::Restore(restore) => {
                            self.restores.push(restore.clone());
                            return Ok(Some(Event::Restore { restore, line }));
                        }
                        Statement::CopyIn { .. } => {
                            return Err(self.at(line, "COPY without its data"));
                        }
                        other => return Err(self.refused(line, &other, &sql)),
                    }
                }
            }
        }
    }

    fn refused(&self, line: u64, stmt: &Statement, sql: &str) -> anyhow::Error {
        let why = stmt.refusal().unwrap_or_else(|| {
            format!(
                "this statement is not allowed here ({})",
                super::statement::first_words(sql)
            )
        });
        self.at(line, format!("{why}. Nothing was committed."))
    }

    /// Our files declare themselves before their first statement.
    fn statement_allowed(&self, line: u64) -> Result<()> {
        if self.origin == Origin::Dbsnap && !self.is_data {
            return Err(self.at(
                line,
                "this is a dbsnap schema snapshot, not a data snapshot: build a database from it \
                 with `dbsnap init --schema FILE`. Nothing was loaded.",
            ));
        }
        // The manifest and end marker speak for what came before them only.
        if self.markers.ended {
            return Err(self.at(
                line,
                "a statement after the end marker: the file is damaged",
            ));
        }
        Ok(())
    }

    fn add_sum(&mut self, table: TableName, sum: RowChecksum) {
        if !self.order.contains(&table) {
            self.order.push(table.clone());
        }
        // pg_dump may split a table over several COPY blocks only in theory; add up.
        let entry = self.sums.entry(table).or_default();
        entry.merge(&sum);
    }

    /// The end of the file: everything our files promise is checked here.
    fn finish(&mut self) -> Result<Event> {
        self.done = true;
        let display = self.path.display().to_string();
        let line = self.reader.line();
        if self.origin == Origin::Dbsnap {
            if !self.is_data {
                bail!("{display}: this is not a dbsnap data snapshot (no `-- dbsnap:kind data` line). Nothing was loaded.");
            }
            if !self.markers.ended {
                return Err(self.at(
                    line,
                    "the end marker is missing: the file is truncated. Nothing was committed.",
                ));
            }
            self.check_manifest()?;
        } else if !self.reader.dump_end_seen() {
            let closing = match self.origin {
                Origin::PgDump => "-- PostgreSQL database dump complete",
                _ => "-- Dump completed",
            };
            return Err(self.at(
                line,
                format!(
                    "the file ends before the dump's closing line `{closing}`: it is truncated. \
                     Nothing was committed."
                ),
            ));
        }
        let tables = self
            .order
            .iter()
            .map(|t| (t.clone(), self.sums.get(t).map_or(0, RowChecksum::rows)))
            .collect();
        let rows = if self.dialect == Dialect::MySql {
            self.sums.values().map(RowChecksum::rows).sum()
        } else {
            self.rows
        };
        Ok(Event::Finished(Summary {
            origin: self.origin,
            manifest: std::mem::take(&mut self.markers.manifest),
            tables,
            rows,
        }))
    }

    /// The manifest, the header's table list, the rows read and the restores
    /// must all tell the same story.
    fn check_manifest(&self) -> Result<()> {
        let display = self.path.display();
        let manifest = &self.markers.manifest;
        let mut listed = BTreeSet::new();
        for entry in &manifest.tables {
            let name = TableName::parse(self.dialect, &entry.name)
                .ok_or_else(|| anyhow!("{display}: the manifest names {:?}, which is not a table name: the file is damaged", entry.name))?;
            let empty = RowChecksum::default();
            let sum = self.sums.get(&name).unwrap_or(&empty);
            if !self.sums.contains_key(&name) && entry.rows > 0 {
                bail!("{display}: table {name} is listed in the manifest but has no data in the file: the file is damaged. Nothing was committed.");
            }
            if sum.rows() != entry.rows {
                bail!("{display}: table {name}: {} rows in the file, {} in its manifest: the file is corrupt. Nothing was committed.", sum.rows(), entry.rows);
            }
            if self.sums.contains_key(&name) && sum.hex() != entry.checksum {
                bail!("{display}: table {name}: the rows do not match the manifest's checksum: the file is corrupt. Nothing was committed.");
            }
            listed.insert(name);
        }
        for table in &self.order {
            if !listed.contains(table) {
                bail!("{display}: rows for table {table}, which the manifest does not list: the file is damaged. Nothing was committed.");
            }
        }
        if let Some(header) = &self.header_tables {
            let header: BTreeSet<_> = header.iter().cloned().collect();
            if header != listed {
                bail!("{display}: the tables named in the header differ from those in the manifest: the file is damaged. Nothing was committed.");
            }
        }
        // A table whose rows were left out is not emptied by --truncate: it
        // may not take any.
        for table in &self.rows_left_out {
            let rows = self.sums.get(table).map_or(0, RowChecksum::rows);
            if !listed.contains(table) || rows > 0 {
                bail!("{display}: table {table}: the header says its rows were left out, but the file has rows for it or does not list it: the file is damaged. Nothing was committed.");
            }
        }
        let expected = manifest_restores(self.dialect, manifest)?;
        if expected.len() != self.restores.len()
            || !self.restores.iter().all(|r| expected.contains(r))
        {
            bail!("{display}: the sequence and counter restores differ from the manifest: the file is damaged. Nothing was committed.");
        }
        Ok(())
    }
}

/// The restores a manifest promises, in the form the file writes them.
fn manifest_restores(dialect: Dialect, manifest: &Manifest) -> Result<Vec<Restore>> {
    let mut out = Vec::new();
    let bad = |name: &str| anyhow!("the manifest names {name:?}, which is not a sequence name");
    for (i, s) in manifest.sequences.iter().enumerate() {
        match dialect {
            Dialect::Postgres => out.push(Restore::Setval {
                sequence: TableName::parse(dialect, &s.name).ok_or_else(|| bad(&s.name))?,
                value: s.value,
                is_called: s.is_called,
            }),
            Dialect::MySql => match Counter::parse(&s.name) {
                Counter::AutoIncrement { table } => out.push(Restore::AutoIncrement {
                    table: TableName::parse(dialect, &table).ok_or_else(|| bad(&s.name))?,
                    value: u64::try_from(s.value).map_err(|_| bad(&s.name))?,
                }),
                Counter::SequencePosition { sequence } => {
                    let round = manifest
                        .sequences
                        .get(i + 1)
                        .filter(|n| matches!(Counter::parse(&n.name), Counter::CycleCount { .. }))
                        .map_or(0, |n| n.value);
                    out.push(Restore::SequencePosition {
                        sequence: TableName::parse(dialect, &sequence)
                            .ok_or_else(|| bad(&s.name))?,
                        value: s.value,
                        is_used: false,
                        round: u64::try_from(round).map_err(|_| bad(&s.name))?,
                    });
                }
                Counter::CycleCount { .. } => {}
            },
        }
    }
    Ok(out)
}

/// What the first bytes of a file say it is.
fn recognise(path: &Path, head: &[u8], dialect: Dialect) -> Result<Origin> {
    let display = path.display();
    let text = String::from_utf8_lossy(head);
    if text.trim().is_empty() {
        bail!("{display}: the file is empty: it is not a data snapshot. Nothing was loaded.");
    }
    let lines: Vec<&str> = text.lines().take(40).collect();
    if lines.iter().any(|l| markers::is_format_line(l)) {
        return Ok(Origin::Dbsnap);
    }
    let pg = lines
        .iter()
        .take(5)
        .any(|l| l.trim() == "-- PostgreSQL database dump");
    let my = lines
        .iter()
        .take(3)
        .any(|l| l.starts_with("-- MySQL dump") || l.starts_with("-- MariaDB dump"));
    match (pg, my, dialect) {
        (true, _, Dialect::Postgres) => Ok(Origin::PgDump),
        (_, true, Dialect::MySql) => Ok(Origin::MysqlDump),
        (true, _, Dialect::MySql) => bail!("{display}: this is a pg_dump file; the target is MySQL/MariaDB. Nothing was loaded."),
        (_, true, Dialect::Postgres) => bail!("{display}: this is a mysqldump file; the target is PostgreSQL. Nothing was loaded."),
        _ => bail!(
            "{display}: not a data snapshot: a data file must be a dbsnap data snapshot, a `pg_dump --data-only` \
             file or a `mysqldump --no-create-info` file, recognised by their first lines. Nothing was loaded."
        ),
    }
}

/// Reads `path` on a thread of its own, so that parsing and loading overlap;
/// the small channel keeps memory bounded whatever the file size. Errors
/// arrive in order, as events do.
pub fn spawn(path: &Path, dialect: Dialect) -> mpsc::Receiver<Result<Event>> {
    spawn_skipping(path, dialect, BTreeSet::new(), Bars::Reader)
}

/// Who draws a load's bars on a terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bars {
    /// The reader, which is never more than a few events ahead of the load.
    Reader,
    /// The loader, which reads ahead of what it has loaded: the reader's
    /// bars would run ahead too ([`super::loadbar::LoadedBar`]).
    Loader,
}

/// Like [`spawn`], but the rows of the tables in `skip` are not handed out
/// (`init --resume` keeps them from a dead run). They are still read and
/// checked: `Finished` still means the whole file matches its manifest.
pub fn spawn_skipping(
    path: &Path,
    dialect: Dialect,
    skip: BTreeSet<TableName>,
    bars: Bars,
) -> mpsc::Receiver<Result<Event>> {
    // About 2 MiB in flight either way: COPY chunks are 256 KiB, a MySQL
    // INSERT up to 1 MiB (and its rows are copied again by the loader).
    let depth = match dialect {
        Dialect::Postgres => 8,
        Dialect::MySql => 2,
    };
    let (tx, rx) = mpsc::channel(depth);
    let path = path.to_path_buf();
    let stall = StallHook::from_env();
    std::thread::spawn(move || {
        let read = Arc::new(AtomicU64::new(0));
        let mut file = match DataFile::open_counted(&path, dialect, read.clone()) {
            Ok(file) => file,
            Err(e) => {
                let _ = tx.blocking_send(Err(e));
                return;
            }
        };
        // Off a terminal nothing is drawn: no tail read, no counting per chunk.
        let mut bar = (bars == Bars::Reader && std::io::stderr().is_terminal())
            .then(|| LoadBar::new(&path, dialect, read));
        let mut skipping = false;
        let mut stall = stall;
        loop {
            match file.next_event() {
                Ok(None) => break,
                Ok(Some(event)) => {
                    if let Some(bar) = &mut bar {
                        bar.see(&file, &event);
                    }
                    if let Event::CopyStart { table, .. } | Event::Insert { table, .. } = &event {
                        stall.before_rows_of(table);
                    }
                    let skipped = match &event {
                        Event::CopyStart { table, .. } => {
                            skipping = skip.contains(table);
                            skipping
                        }
                        Event::CopyData(_) => skipping,
                        Event::CopyEnd { .. } => std::mem::take(&mut skipping),
                        Event::Insert { table, .. } => skip.contains(table),
                        _ => false,
                    };
                    if !skipped && tx.blocking_send(Ok(event)).is_err() {
                        break;
                    }
                }
                Err(e) => {
                    // The bars go before the error is printed.
                    if let Some(bar) = bar {
                        bar.finish();
                    }
                    let _ = tx.blocking_send(Err(e));
                    return;
                }
            }
        }
        if let Some(bar) = bar {
            bar.finish();
        }
    });
    rx
}

/// A test hook: with `DBSNAP_FAULT_STALL_AT_TABLE=N`, the reader stops for
/// good before the rows of the (N+1)-th table, so that a test can kill a
/// load at a known point (the first N tables handed out, nothing after).
struct StallHook {
    at: Option<usize>,
    seen: Vec<TableName>,
}

impl StallHook {
    fn from_env() -> StallHook {
        let at = std::env::var("DBSNAP_FAULT_STALL_AT_TABLE")
            .ok()
            .and_then(|n| n.parse().ok());
        StallHook {
            at,
            seen: Vec::new(),
        }
    }

    fn before_rows_of(&mut self, table: &TableName) {
        let Some(at) = self.at else { return };
        if self.seen.contains(table) {
            return;
        }
        if self.seen.len() == at {
            eprintln!(
                "dbsnap: DBSNAP_FAULT_STALL_AT_TABLE={at}: the reader stops before table {table}"
            );
            loop {
                std::thread::park();
            }
        }
        self.seen.push(table.clone());
    }
}

/// The manifest of one of our data files, after reading the whole file
/// through the same checks; foreign dumps have none and are refused.
pub fn manifest_of(path: &Path, dialect: Dialect) -> Result<Manifest> {
    let summary = scan(path, dialect)?;
    if !summary.manifest_checked() {
        bail!(
            "{}: not a dbsnap data snapshot: it has no manifest to check against",
            path.display()
        );
    }
    Ok(summary.manifest)
}

/// Reads a whole file through the same checks, without a database.
pub fn scan(path: &Path, dialect: Dialect) -> Result<Summary> {
    let mut file = DataFile::open(path, dialect)?;
    while let Some(event) = file.next_event()? {
        if let Event::Finished(summary) = event {
            return Ok(summary);
        }
    }
    bail!("{}: the reader stopped early", path.display())
}

/// The tables a file loads, for `--truncate`: from the header of ours (the
/// end of the load checks the header against what was loaded), or by
/// reading a foreign dump through.
/// Reading a foreign dump can take a while, so it runs off the async workers.
pub async fn tables_loaded(path: &Path, dialect: Dialect) -> Result<Vec<TableName>> {
    let file = path.to_path_buf();
    tokio::task::spawn_blocking(move || read_tables_loaded(&file, dialect)).await?
}

fn read_tables_loaded(path: &Path, dialect: Dialect) -> Result<Vec<TableName>> {
    let mut file = DataFile::open(path, dialect)?;
    if let Some(mut tables) = file.header_tables()? {
        tables.retain(|t| !file.rows_left_out.contains(t));
        return Ok(tables);
    }
    let mut tables = Vec::new();
    while let Some(event) = file.next_event()? {
        match event {
            Event::CopyStart { table, .. } | Event::Insert { table, .. }
                if !tables.contains(&table) =>
            {
                tables.push(table)
            }
            _ => {}
        }
    }
    Ok(tables)
}

/// `--truncate` emptied `emptied` before the load: the file must have loaded
/// (or, ours, listed) every one of them, or the load is refused. The list
/// came from a first read of the file, which may have changed since.
pub fn check_emptied(
    path: &Path,
    dialect: Dialect,
    emptied: &[TableName],
    summary: &Summary,
) -> Result<()> {
    let loaded: BTreeSet<&TableName> = summary.tables.iter().map(|(t, _)| t).collect();
    let listed: BTreeSet<TableName> = summary
        .manifest
        .tables
        .iter()
        .filter_map(|t| TableName::parse(dialect, &t.name))
        .collect();
    for table in emptied {
        if !loaded.contains(table) && !listed.contains(table) {
            bail!(
                "{}: --truncate emptied table {table}, but the file does not load it. Nothing was committed.",
                path.display()
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_recognised_by_their_first_lines() {
        let p = Path::new("f.sql");
        assert!(recognise(p, b"", Dialect::Postgres)
            .unwrap_err()
            .to_string()
            .contains("empty"));
        assert_eq!(
            recognise(
                p,
                b"--\n-- PostgreSQL database dump\n--\n",
                Dialect::Postgres
            )
            .unwrap(),
            Origin::PgDump
        );
        assert_eq!(
            recognise(
                p,
                b"-- MariaDB dump 10.19  Distrib 10.11.19-MariaDB\n",
                Dialect::MySql
            )
            .unwrap(),
            Origin::MysqlDump
        );
        assert!(recognise(p, b"INSERT INTO t VALUES (1);\n", Dialect::MySql).is_err());
        assert_eq!(
            recognise(p, b"--\n-- dbsnap:format 1\n", Dialect::MySql).unwrap(),
            Origin::Dbsnap
        );
    }
}
