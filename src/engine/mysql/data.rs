//! Data snapshots for MySQL/MariaDB: rows streamed from one consistent
//! snapshot into extended INSERTs, and the counts, checksums and counters
//! verify compares.

use std::collections::{HashMap, HashSet};
use std::io::Write;

use anyhow::{anyhow, bail, Context, Result};
use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Value};

use super::connect::ident;
use super::format::{self, Batcher, DEFAULT_PACKET};
use crate::config::{ConnectionSpec, EngineKind};
use crate::engine::chunk::{self, ExportTable, Job};
use crate::engine::order::{sort_objects_with, SchemaObject, Section};
use crate::engine::{ChecksumKind, DataOptions, Inventory, SequenceState, TableState};
use crate::error::{Report, ServerError};
use crate::snapshot::checksum::RowChecksum;
use crate::snapshot::manifest::Manifest;
use crate::snapshot::markers;
use crate::snapshot::pieces::{Finished, Pieces};

const HEADER: &str = "\
--
-- dbsnap data snapshot (MySQL/MariaDB)
-- Load with `dbsnap import --url URL FILE`, `dbsnap init --schema S --data FILE`,
-- or `mysql DB < FILE` into a database built from the schema.
-- The manifest at the end lists every table's rows and checksum.
--
";

const SETTINGS: &str = "
SET NAMES utf8mb4;
SET time_zone = '+00:00';
SET SQL_MODE = 'NO_AUTO_VALUE_ON_ZERO';
/*!40014 SET @OLD_FOREIGN_KEY_CHECKS=@@FOREIGN_KEY_CHECKS, FOREIGN_KEY_CHECKS=0 */;
";

pub struct DataTable {
    pub name: String,
    pub columns: Vec<String>,
    /// Each column's COLUMN_TYPE (`decimal(10,2) unsigned`).
    pub types: Vec<String>,
    /// What to select for each column.
    pub select: Vec<String>,
    /// The server's estimates (TABLE_ROWS, DATA_LENGTH), for progress; 0 if unknown.
    pub est_rows: u64,
    pub est_bytes: u64,
    /// A MariaDB system-versioned table: SELECT reads its current rows only.
    pub versioned: bool,
}

impl ExportTable for DataTable {
    fn quoted(&self) -> String {
        ident(&self.name)
    }

    fn estimate(&self) -> (u64, u64) {
        (self.est_rows, self.est_bytes)
    }
}

impl DataTable {
    /// `INSERT INTO t (a,b) VALUES `, which the tuples follow.
    fn insert_head(&self) -> String {
        let columns: Vec<String> = self.columns.iter().map(|c| ident(c)).collect();
        format!(
            "INSERT INTO {} ({}) VALUES ",
            self.quoted(),
            columns.join(",")
        )
    }
}

fn string_rows(result: Vec<mysql_async::Row>) -> Vec<Vec<Option<String>>> {
    result
        .into_iter()
        .map(|row| {
            // Row::unwrap hands over its values; it panics only for a value
            // taken out before (Row::take), which nothing here does.
            row.unwrap()
                .into_iter()
                .map(|v| match v {
                    Value::NULL => None,
                    Value::Bytes(b) => Some(String::from_utf8_lossy(&b).into_owned()),
                    other => Some(other.as_sql(true).trim_matches('\'').to_string()),
                })
                .collect()
        })
        .collect()
}

async fn query_strings(conn: &mut Conn, sql: &str) -> Result<Vec<Vec<Option<String>>>> {
    let rows: Vec<mysql_async::Row> = conn.query(sql).await.map_err(read_error)?;
    Ok(string_rows(rows))
}

/// Base tables in foreign-key order (referenced first), filtered by the options.
pub async fn data_tables(conn: &mut Conn, opts: &DataOptions) -> Result<Vec<DataTable>> {
    let mut columns: HashMap<String, Vec<(String, String, String)>> = HashMap::new();
    let mut enum_flags: HashMap<String, Vec<String>> = HashMap::new();
    for r in query_strings(conn, include_str!("sql/data_columns.sql")).await? {
        if let [Some(table), Some(column), Some(kind), Some(column_type), charset] = &r[..] {
            // The text protocol prints FLOAT with 6 digits; as DOUBLE it is exact.
            let select = if kind.eq_ignore_ascii_case("float") {
                format!("CAST({} AS DOUBLE)", ident(column))
            } else if converted_with_a_warning(kind, charset.as_deref()) {
                format!("CONVERT({} USING utf8mb4)", ident(column))
            } else {
                ident(column)
            };
            // An ENUM's index-0 error value prints as '' like a real '' member;
            // a trailing flag column tells them apart.
            if kind.eq_ignore_ascii_case("enum") {
                enum_flags
                    .entry(table.clone())
                    .or_default()
                    .push(format!("{} = 0", ident(column)));
            }
            columns.entry(table.clone()).or_default().push((
                column.clone(),
                column_type.clone(),
                select,
            ));
        }
    }
    let mut edges: HashMap<String, Vec<String>> = HashMap::new();
    // Pairs of tables with a NOT NULL foreign key between them: a cycle is
    // broken elsewhere if it can be.
    let mut strong: HashSet<(String, String)> = HashSet::new();
    for r in query_strings(conn, include_str!("sql/fk_edges.sql")).await? {
        if let [Some(from), Some(to), nullable] = &r[..] {
            edges.entry(from.clone()).or_default().push(to.clone());
            if nullable.as_deref() != Some("1") {
                strong.insert((from.clone(), to.clone()));
            }
        }
    }
    let mut objects = Vec::new();
    let mut versioned = HashSet::new();
    let tables: Vec<(String, String)> = query_strings(conn, include_str!("sql/objects.sql"))
        .await?
        .into_iter()
        .filter_map(|r| match (&r[0], &r[1]) {
            (Some(name), Some(kind))
                if matches!(kind.as_str(), "BASE TABLE" | "SYSTEM VERSIONED") =>
            {
                Some((name.clone(), kind.clone()))
            }
            _ => None,
        })
        .collect();
    let names: Vec<String> = tables.iter().map(|(name, _)| name.clone()).collect();
    opts.check_patterns(&names)?;
    for (name, kind) in &tables {
        if !opts.selects(name) {
            continue;
        }
        if kind == "SYSTEM VERSIONED" {
            versioned.insert(name.clone());
        }
        objects.push(SchemaObject {
            key: name.clone(),
            section: Section::PreData,
            sort_key: (0, name.clone(), String::new(), String::new()),
            label: name.clone(),
            sql: String::new(),
            deps: edges.get(name).cloned().unwrap_or_default(),
        });
    }
    // Cycles are expected (that is why foreign keys load after the data).
    let (sorted, _) = sort_objects_with(objects, |from, to| {
        !strong.contains(&(from.clone(), to.clone()))
    });
    let mut estimates: HashMap<String, (u64, u64)> = HashMap::new();
    for r in query_strings(conn, include_str!("sql/table_estimates.sql")).await? {
        if let [Some(name), rows, bytes] = &r[..] {
            let number = |v: &Option<String>| v.as_deref().and_then(|v| v.parse().ok());
            estimates.insert(
                name.clone(),
                (number(rows).unwrap_or(0), number(bytes).unwrap_or(0)),
            );
        }
    }
    Ok(sorted
        .into_iter()
        .map(|o| {
            let mut columns_of = columns.remove(&o.key).unwrap_or_default();
            let mut select: Vec<String> = columns_of
                .iter_mut()
                .map(|c| std::mem::take(&mut c.2))
                .collect();
            let (columns, types): (Vec<String>, Vec<String>) =
                columns_of.into_iter().map(|(c, t, _)| (c, t)).unzip();
            select.extend(enum_flags.remove(&o.key).unwrap_or_default());
            let (est_rows, est_bytes) = estimates.get(&o.key).copied().unwrap_or_default();
            DataTable {
                columns,
                types,
                select,
                versioned: versioned.contains(&o.key),
                name: o.key,
                est_rows,
                est_bytes,
            }
        })
        .collect())
}

/// A driver error of a connection the export already holds, with a hint
/// when the session is gone: the driver's words ("bytes remaining on
/// stream", "connection closed") do not say what happened.
pub fn read_error(e: mysql_async::Error) -> ServerError {
    let lost = super::connect::connection_lost(&e);
    let server = ServerError::from(e);
    if lost {
        server.with_hint(
            "the connection was lost: the server killed or closed it, restarted, or the network failed",
        )
    } else {
        server
    }
}

/// Streams a table's rows (those matching `filter`, if any) as tuples;
/// `each` gets a batch of tuples (comma separated, see `format::Batcher`),
/// and the checksum covers every tuple.
async fn stream_table(
    conn: &mut Conn,
    table: &DataTable,
    filter: Option<&str>,
    mut each: impl FnMut(&[u8], u64) -> Result<()>,
) -> Result<RowChecksum> {
    if table.columns.is_empty() {
        return Ok(RowChecksum::default());
    }
    let mut sql = format!("SELECT {} FROM {}", table.select.join(","), table.quoted());
    if let Some(filter) = filter {
        sql += " WHERE ";
        sql += filter;
    }
    let failed = |e: mysql_async::Error| {
        anyhow::Error::from(read_error(e)).context(format!("reading table {}", table.quoted()))
    };
    let mut result = conn.query_iter(sql).await.map_err(failed)?;
    let forms = format::forms(result.columns_ref(), table.columns.len());
    let head = table.insert_head().len();
    let mut batcher = Batcher::default();
    while let Some(row) = result.next().await.map_err(failed)? {
        crate::engine::rows_arrived();
        batcher
            .add(|i| row.as_ref(i), &forms, head, &mut each)
            .with_context(|| format!("table {}", table.quoted()))?;
    }
    drop(result);
    sent_unchanged(conn, table).await?;
    batcher.flush(&mut each)?;
    if batcher.largest_row + head > DEFAULT_PACKET {
        eprintln!(
            "dbsnap: note: table {} has a row whose INSERT takes {} MiB; a server loading it \
             with INSERT needs max_allowed_packet of at least that (the default is 16 MiB)",
            table.quoted(),
            (batcher.largest_row + head + (1 << 20) - 1) >> 20
        );
    }
    Ok(batcher.sum)
}

/// Whether a column's text reaches the connection (utf8mb4) through a
/// conversion that may fail. The server's own conversion of a result sends
/// '?' for a character it cannot convert, without a word; the same
/// conversion written as CONVERT() gives the same text and warns, which
/// `sent_unchanged` turns into an error. ENUM and SET keep their flags (the
/// error value is told apart by them) and their members' text.
fn converted_with_a_warning(kind: &str, charset: Option<&str>) -> bool {
    let text = [
        "char",
        "varchar",
        "tinytext",
        "text",
        "mediumtext",
        "longtext",
    ]
    .iter()
    .any(|t| kind.eq_ignore_ascii_case(t));
    let unicode = charset.is_none_or(|c| {
        ["utf8mb4", "utf8mb3", "utf8", "binary"]
            .iter()
            .any(|u| c.eq_ignore_ascii_case(u))
    });
    text && !unicode
}

/// Fails if the server warned while it sent a table's rows: it converts
/// text to the connection's utf8mb4, and a character that has no match there
/// (a cp932 or sjis extension, a byte above 0x7F in an ascii column) is sent
/// as '?' with a warning (MariaDB 1977). A snapshot of it would restore
/// other text than the table holds.
async fn sent_unchanged(conn: &mut Conn, table: &DataTable) -> Result<()> {
    let count = conn.get_warnings();
    if count == 0 {
        return Ok(());
    }
    // Bytes: the message may quote the very bytes that did not convert.
    let shown: Vec<(Vec<u8>, u32, Vec<u8>)> = conn
        .query("SHOW WARNINGS")
        .await
        .map_err(read_error)
        .with_context(|| format!("reading table {}", table.quoted()))?;
    let warnings: Vec<String> = shown
        .iter()
        .filter(|(level, ..)| !level.eq_ignore_ascii_case(b"note"))
        .map(|(level, code, message)| {
            format!(
                "{} {code}: {}",
                String::from_utf8_lossy(level),
                String::from_utf8_lossy(message)
            )
        })
        .collect();
    let Some(first) = warnings.first() else {
        return Ok(());
    };
    let more = match count.saturating_sub(1) {
        0 => String::new(),
        n => format!(" (and {n} more)"),
    };
    bail!(
        "reading table {}: the server did not send every value as the table holds it: \
         {first}{more}. A snapshot holds text as utf8mb4; a value \
         that has no utf8mb4 form cannot be carried",
        table.quoted()
    )
}

/// AUTO_INCREMENT counters and MariaDB sequence positions, by name.
pub async fn sequence_states(conn: &mut Conn) -> Result<Vec<SequenceState>> {
    let mut states = Vec::new();
    for r in query_strings(conn, include_str!("sql/auto_increment.sql")).await? {
        if let [Some(name), Some(next)] = &r[..] {
            states.push(SequenceState {
                name: Counter::AutoIncrement { table: ident(name) }.name(),
                value: next.parse()?,
                is_called: false,
            });
        }
    }
    let sequences: Vec<String> = query_strings(conn, include_str!("sql/objects.sql"))
        .await?
        .into_iter()
        .filter(|r| r[1].as_deref() == Some("SEQUENCE"))
        .filter_map(|r| r[0].clone())
        .collect();
    for name in sequences {
        let sql = format!(
            "SELECT next_not_cached_value, cycle_count FROM {}",
            ident(&name)
        );
        let rows = query_strings(conn, &sql).await?;
        let value = |i: usize| rows.first().and_then(|r| r[i].clone()).unwrap_or_default();
        states.push(SequenceState {
            name: ident(&name),
            value: value(0).parse()?,
            is_called: false,
        });
        // A sequence that has wrapped around counts its rounds.
        states.push(SequenceState {
            name: Counter::CycleCount {
                sequence: ident(&name),
            }
            .name(),
            value: value(1).parse()?,
            is_called: false,
        });
    }
    Ok(states)
}

use super::Counter;

/// The statements that restore counters and sequence positions (a sequence's
/// entry is followed by its cycle count).
fn restore_statements(states: &[SequenceState]) -> Vec<String> {
    let mut out = Vec::new();
    for (i, state) in states.iter().enumerate() {
        match Counter::parse(&state.name) {
            Counter::AutoIncrement { table } => out.push(format!(
                "ALTER TABLE {table} AUTO_INCREMENT = {};",
                state.value
            )),
            Counter::SequencePosition { sequence } => {
                let round = states
                    .get(i + 1)
                    .filter(|s| matches!(Counter::parse(&s.name), Counter::CycleCount { .. }))
                    .map_or(0, |s| s.value);
                out.push(format!(
                    "SELECT SETVAL({sequence}, {}, 0, {round});",
                    state.value
                ));
            }
            Counter::CycleCount { .. } => {}
        }
    }
    out
}

pub async fn begin_snapshot(conn: &mut Conn) -> Result<()> {
    conn.query_drop("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        .await
        .map_err(read_error)?;
    conn.query_drop("START TRANSACTION WITH CONSISTENT SNAPSHOT")
        .await
        .map_err(read_error)
        .context("starting the snapshot transaction")
}

/// One piece: a table's marker line (in its first piece), the INSERT
/// statements of its rows (or of one range of them), and their checksum.
async fn table_piece(conn: &mut Conn, job: &mut Job<DataTable>) -> Result<(Finished, RowChecksum)> {
    let mut spool = job.spool()?;
    let skip_rows = job.skip;
    let (table, chunk, progress) = job.parts();
    if chunk.first() {
        // A name may hold a newline; the marker is one comment line.
        write!(
            spool,
            "\n{}{}",
            markers::table_line(&table.quoted()),
            markers::column_types_line(&table.types)
        )?;
    }
    let head = table.insert_head();
    let sum = if skip_rows {
        RowChecksum::default()
    } else {
        stream_table(conn, table, chunk.filter.as_deref(), |tuples, rows| {
            progress.advance(rows, tuples.len() as u64);
            spool.write_all(head.as_bytes())?;
            spool.write_all(tuples)?;
            spool.write_all(b";\n")?;
            Ok(())
        })
        .await?
    };
    Ok((spool.finish()?, sum))
}

/// How long the export waits for the brief global lock below before it reads
/// on one connection instead: the lock must never stall the server for long.
const LOCK_WAIT_SECONDS: u32 = 5;

/// Connections that all see the same consistent snapshot. MySQL cannot share
/// a snapshot between sessions, so commits are paused while each session
/// starts its transaction. MariaDB's `BACKUP STAGE BLOCK_COMMIT` does that
/// without FLUSH TABLES WITH READ LOCK's wait for every running query (a long
/// SELECT does not hold it up, nor writes behind it); MySQL has only FTWRL,
/// so there more than one connection is taken only when asked for (and on
/// MariaDB too for a database with sequences, see below). Without
/// the privilege, or when the lock is not had within LOCK_WAIT_SECONDS, one
/// connection reads every table.
async fn snapshot_workers(
    spec: &ConnectionSpec,
    mut main: Conn,
    asked: Option<usize>,
) -> Result<Vec<Conn>> {
    let version: String = main
        .query_first("SELECT VERSION()")
        .await
        .map_err(read_error)?
        .unwrap_or_default();
    let mariadb = version.contains("MariaDB");
    // The lock drops sequence caches (the source's sequences then skip their
    // cached values, as after a restart): by default a database with
    // sequences is read on one connection and its sequences stay untouched.
    let sequences: Option<u64> = main
        .query_first(
            "SELECT COUNT(*) FROM information_schema.TABLES \
             WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'SEQUENCE'",
        )
        .await
        .map_err(read_error)?;
    let default = if mariadb && sequences == Some(0) {
        DEFAULT_JOBS
    } else {
        1
    };
    let wanted = asked.unwrap_or(default);
    if wanted > 1 {
        // Connected before the lock, so that it is held for milliseconds. The
        // lock has a session of its own: BACKUP STAGE END also ends the
        // transaction of the session that runs it.
        let mut conns = vec![main];
        let mut lock = None;
        for _ in 0..wanted {
            match super::connect::connect(spec).await {
                Ok(conn) if lock.is_none() => lock = Some(conn),
                Ok(conn) => conns.push(conn),
                Err(_) => break,
            }
        }
        if let Some(mut lock) = lock.filter(|_| conns.len() > 1) {
            let shared = shared_snapshot(&mut lock, &mut conns, mariadb).await;
            lock.disconnect().await.ok();
            match shared {
                Ok(()) => return Ok(conns),
                Err(e) if asked.is_some() => {
                    eprintln!("dbsnap: note: reading on one connection: {}", Report(&e))
                }
                Err(_) => {}
            }
        }
        conns.truncate(1);
        main = conns.pop().expect("conns starts with main and keeps it");
    }
    begin_snapshot(&mut main).await?;
    Ok(vec![main])
}

/// The default number of connections on MariaDB.
const DEFAULT_JOBS: usize = 2;

/// Starts the snapshot transaction on every connection while `lock` pauses
/// commits; on failure nothing is held and no transaction is open.
async fn shared_snapshot(lock: &mut Conn, conns: &mut [Conn], mariadb: bool) -> Result<()> {
    let (take, release) = if mariadb {
        (
            "BACKUP STAGE START; BACKUP STAGE BLOCK_COMMIT",
            "BACKUP STAGE END",
        )
    } else {
        ("FLUSH TABLES WITH READ LOCK", "UNLOCK TABLES")
    };
    let failed = |e| anyhow::Error::from(read_error(e)).context("cannot pause commits");
    lock.query_drop(format!(
        "SET SESSION lock_wait_timeout = {LOCK_WAIT_SECONDS}"
    ))
    .await
    .map_err(failed)?;
    let mut started = lock.query_drop(take).await.map_err(failed);
    if started.is_ok() {
        for conn in conns.iter_mut() {
            started = begin_snapshot(conn).await;
            if started.is_err() {
                break;
            }
        }
    }
    // Released whatever happened (a no-op when the lock was not had).
    let released = lock.query_drop(release).await.map_err(failed);
    if started.is_err() {
        for conn in conns.iter_mut() {
            conn.query_drop("ROLLBACK").await.ok();
        }
    }
    started?;
    released
}

/// Writes the data snapshot, reading tables (and ranges of big tables) in
/// parallel in one snapshot.
pub async fn export(
    spec: &ConnectionSpec,
    conn: Conn,
    opts: &DataOptions,
    pieces: &mut Pieces,
) -> Result<Manifest> {
    let mut workers = snapshot_workers(spec, conn, opts.jobs)
        .await
        .context("starting the snapshot")?;
    crate::engine::fault_point("snapshot-started");
    let tables = data_tables(&mut workers[0], opts)
        .await
        .context("reading the tables' columns and foreign keys")?;
    let skipped: Vec<bool> = tables.iter().map(|t| opts.rows_left_out(&t.name)).collect();
    refuse_lost_history(&tables, &skipped, opts)?;
    let header = chunk::header(EngineKind::MySql, HEADER, SETTINGS, &tables, &skipped)?;
    pieces.write(header.as_bytes())?;

    let jobs = workers.len();
    let chunks = super::chunk::plan(&mut workers[0], &tables, jobs, |i| skipped[i])
        .await
        .context("finding the key ranges of big tables")?;

    let (mut manifest, tasks) = chunk::export(
        pieces,
        EngineKind::MySql,
        workers,
        tables,
        chunks,
        skipped,
        |mut conn: Conn, mut job: Job<DataTable>| async move {
            let made = table_piece(&mut conn, &mut job).await;
            job.line.finish_table();
            (conn, made)
        },
    )
    .await?;
    let mut conn = None;
    for task in tasks {
        if let Some(worker) = task.finish().await {
            conn.get_or_insert(worker);
        }
    }
    let mut conn = conn.ok_or_else(|| anyhow!("every export connection was lost"))?;

    // Counters are DDL in MySQL (an implicit commit), so they come after the rows.
    // The `mysql` client loads rows that close a foreign-key cycle only with
    // the checks off (the header), as mysqldump's files do; dbsnap's own
    // import ignores both lines (its flags decide).
    let head = format!(
        "\n/*!40014 SET FOREIGN_KEY_CHECKS=@OLD_FOREIGN_KEY_CHECKS */;\n{}",
        markers::section_line(Section::PostData)
    );
    let states = sequence_states(&mut conn)
        .await
        .context("reading AUTO_INCREMENT counters and sequences")?;
    let trailer = chunk::trailer(&mut manifest, &head, &restore_statements(&states), states);
    pieces.write(trailer.as_bytes())?;
    conn.query_drop("COMMIT").await.ok();
    Ok(manifest)
}

/// A system-versioned table's history rows are not read by SELECT and could
/// not be loaded back as history, so a snapshot would lose them; it does so
/// only when told to (`--no-history`), as mysqldump does by default.
fn refuse_lost_history(tables: &[DataTable], skipped: &[bool], opts: &DataOptions) -> Result<()> {
    let names: Vec<String> = tables
        .iter()
        .zip(skipped)
        .filter(|(t, skip)| t.versioned && !**skip)
        .map(|(t, _)| t.quoted())
        .collect();
    if names.is_empty() || opts.no_history {
        return Ok(());
    }
    let (noun, verb) = match names.len() {
        1 => ("table", "is"),
        _ => ("tables", "are"),
    };
    bail!(
        "{noun} {} {verb} system-versioned (WITH SYSTEM VERSIONING): data snapshots carry a \
         table's current rows, not its history, so a restore would lose the history. Pass \
         --no-history to snapshot the current rows only (as mysqldump does \
         without --dump-history), or leave the rows out with --exclude-table-data",
        names.join(", ")
    )
}

pub async fn inventory(conn: &mut Conn, checksum: ChecksumKind) -> Result<Inventory> {
    begin_snapshot(conn).await?;
    let tables = data_tables(conn, &DataOptions::default()).await?;
    let mut states = Vec::with_capacity(tables.len());
    for table in &tables {
        let quoted = table.quoted();
        let state = match checksum {
            ChecksumKind::None => {
                let rows = query_strings(conn, &format!("SELECT COUNT(*) FROM {quoted}")).await?;
                let count = rows.first().and_then(|r| r[0].clone()).unwrap_or_default();
                TableState {
                    name: quoted,
                    rows: count.parse()?,
                    checksum: None,
                }
            }
            // CHECKSUM TABLE: order-independent and computed by the server.
            ChecksumKind::Server => {
                let rows = query_strings(conn, &format!("SELECT COUNT(*) FROM {quoted}")).await?;
                let count = rows.first().and_then(|r| r[0].clone()).unwrap_or_default();
                let sums = query_strings(conn, &format!("CHECKSUM TABLE {quoted}")).await?;
                let sum = sums
                    .first()
                    .and_then(|r| r.get(1).cloned().flatten())
                    .unwrap_or_default();
                TableState {
                    name: quoted,
                    rows: count.parse()?,
                    checksum: Some(format!("checksum-table:{sum}")),
                }
            }
            // The manifest's checksum: over the snapshot's own text form.
            ChecksumKind::Snapshot => {
                let sum = stream_table(conn, table, None, |_, _| Ok(())).await?;
                TableState {
                    name: quoted,
                    rows: sum.rows(),
                    checksum: Some(sum.hex()),
                }
            }
        };
        states.push(state);
    }
    let sequences = sequence_states(conn).await?;
    conn.query_drop("COMMIT").await.ok();
    Ok(Inventory {
        tables: states,
        sequences,
        outside_tables: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_restore_with_the_right_statement() {
        let state = |name: &str, value| SequenceState {
            name: name.into(),
            value,
            is_called: false,
        };
        let states = [
            state("`t` AUTO_INCREMENT", 17),
            state("`s`", 105),
            state("`s` cycle_count", 2),
        ];
        assert_eq!(
            restore_statements(&states),
            [
                "ALTER TABLE `t` AUTO_INCREMENT = 17;",
                "SELECT SETVAL(`s`, 105, 0, 2);"
            ]
        );
    }
}
