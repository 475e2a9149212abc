//! Data snapshots for MySQL/MariaDB: rows streamed from one consistent
//! snapshot into extended INSERTs, and the counts, checksums and counters
//! verify compares.

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::sync::Arc;

use anyhow::{anyhow, Result};
use mysql_async::consts::ColumnType;
use mysql_async::prelude::Queryable;
use mysql_async::{Column, Conn, Value};

use super::connect::{ident, server_message};
use crate::config::ConnectionSpec;
use crate::engine::order::{sort_objects_with, SchemaObject, Section};
use crate::engine::{ChecksumKind, DataOptions, Inventory, SequenceState, TableState};
use crate::progress::{Progress, TableProgress};
use crate::snapshot::checksum::RowChecksum;
use crate::snapshot::manifest::{Manifest, SequenceEntry, TableEntry};
use crate::snapshot::pieces::{self, Finished, Pieces, Spooler};

const HEADER: &str = "\
--
-- dbsnap data snapshot (MySQL/MariaDB)
-- Load with `dbsnap import --url URL FILE`, `dbsnap init --schema S --data FILE`,
-- or `mysql DB < FILE` into a database built from the schema.
-- The manifest at the end lists every table's rows and checksum.
--
-- dbsnap:format 1
-- dbsnap:engine mysql
-- dbsnap:kind data
";

const SETTINGS: &str = "
SET NAMES utf8mb4;
SET time_zone = '+00:00';
SET SQL_MODE = 'NO_AUTO_VALUE_ON_ZERO';
/*!40014 SET @OLD_FOREIGN_KEY_CHECKS=@@FOREIGN_KEY_CHECKS, FOREIGN_KEY_CHECKS=0 */;
";

/// Extended INSERTs are cut at about this size (the server's default
/// max_allowed_packet is 16 MiB; mysqldump's net_buffer_length is 1 MiB).
const STATEMENT_BYTES: usize = 1024 * 1024;

/// The MariaDB binary character set: such values are written as hex.
const BINARY_CHARSET: u16 = 63;

pub struct DataTable {
    pub name: String,
    pub columns: Vec<String>,
    /// What to select for each column.
    pub select: Vec<String>,
    /// The server's estimates (TABLE_ROWS, DATA_LENGTH), for progress; 0 if unknown.
    pub est_rows: u64,
    pub est_bytes: u64,
}

impl DataTable {
    pub fn quoted(&self) -> String {
        ident(&self.name)
    }
}

fn string_rows(result: Vec<mysql_async::Row>) -> Vec<Vec<Option<String>>> {
    result
        .into_iter()
        .map(|row| {
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
    let rows: Vec<mysql_async::Row> = conn
        .query(sql)
        .await
        .map_err(|e| anyhow!("{}", server_message(&e)))?;
    Ok(string_rows(rows))
}

/// Base tables in foreign-key order (referenced first), filtered by the options.
pub async fn data_tables(conn: &mut Conn, opts: &DataOptions) -> Result<Vec<DataTable>> {
    let mut columns: HashMap<String, Vec<(String, String)>> = HashMap::new();
    let mut enum_flags: HashMap<String, Vec<String>> = HashMap::new();
    for r in query_strings(conn, include_str!("sql/data_columns.sql")).await? {
        if let [Some(table), Some(column), Some(kind)] = &r[..] {
            // The text protocol prints FLOAT with 6 digits; as DOUBLE it is exact.
            let select = if kind.eq_ignore_ascii_case("float") {
                format!("CAST({} AS DOUBLE)", ident(column))
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
            columns
                .entry(table.clone())
                .or_default()
                .push((column.clone(), select));
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
    for r in query_strings(conn, include_str!("sql/objects.sql")).await? {
        let (Some(name), Some(kind)) = (&r[0], &r[1]) else {
            continue;
        };
        if !matches!(kind.as_str(), "BASE TABLE" | "SYSTEM VERSIONED") {
            continue;
        }
        let included = opts.tables.is_empty()
            || opts
                .tables
                .iter()
                .any(|p| crate::engine::pattern_matches(p, name));
        if !included
            || opts
                .exclude_tables
                .iter()
                .any(|p| crate::engine::pattern_matches(p, name))
        {
            continue;
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
            let (columns, mut select): (Vec<String>, Vec<String>) = columns
                .remove(&o.key)
                .unwrap_or_default()
                .into_iter()
                .unzip();
            select.extend(enum_flags.remove(&o.key).unwrap_or_default());
            let (est_rows, est_bytes) = estimates.get(&o.key).copied().unwrap_or_default();
            DataTable {
                columns,
                select,
                name: o.key,
                est_rows,
                est_bytes,
            }
        })
        .collect())
}

/// How each column's text-protocol value is written back.
#[derive(Clone, Copy)]
enum Form {
    Number,
    Hex,
    Text,
    /// An ENUM; the value at this index says whether it is the error value 0.
    Enum(usize),
}

/// How to write each of the first `count` columns; ENUM columns find their
/// error-value flag among the trailing ones.
fn forms(columns: &[Column], count: usize) -> Vec<Form> {
    let mut flag = count;
    columns[..count.min(columns.len())]
        .iter()
        .map(|c| match c.column_type() {
            _ if c
                .flags()
                .contains(mysql_async::consts::ColumnFlags::ENUM_FLAG)
                || enum_type(c) =>
            {
                flag += 1;
                Form::Enum(flag - 1)
            }
            ColumnType::MYSQL_TYPE_TINY
            | ColumnType::MYSQL_TYPE_SHORT
            | ColumnType::MYSQL_TYPE_LONG
            | ColumnType::MYSQL_TYPE_INT24
            | ColumnType::MYSQL_TYPE_LONGLONG
            | ColumnType::MYSQL_TYPE_DECIMAL
            | ColumnType::MYSQL_TYPE_NEWDECIMAL
            | ColumnType::MYSQL_TYPE_FLOAT
            | ColumnType::MYSQL_TYPE_DOUBLE
            | ColumnType::MYSQL_TYPE_YEAR => Form::Number,
            ColumnType::MYSQL_TYPE_BIT | ColumnType::MYSQL_TYPE_GEOMETRY => Form::Hex,
            // Dates and times also report the binary character set; only
            // binary strings are bytes.
            ColumnType::MYSQL_TYPE_STRING
            | ColumnType::MYSQL_TYPE_VAR_STRING
            | ColumnType::MYSQL_TYPE_VARCHAR
            | ColumnType::MYSQL_TYPE_BLOB
            | ColumnType::MYSQL_TYPE_TINY_BLOB
            | ColumnType::MYSQL_TYPE_MEDIUM_BLOB
            | ColumnType::MYSQL_TYPE_LONG_BLOB
                if c.character_set() == BINARY_CHARSET =>
            {
                Form::Hex
            }
            _ => Form::Text,
        })
        .collect()
}

fn enum_type(c: &Column) -> bool {
    c.column_type() == ColumnType::MYSQL_TYPE_ENUM
}

/// Appends one row as `(v1,v2,...)`.
fn write_tuple(buf: &mut Vec<u8>, values: &[Value], forms: &[Form]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    buf.push(b'(');
    for (i, value) in values.iter().take(forms.len()).enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        let bytes = match value {
            Value::NULL => {
                buf.extend_from_slice(b"NULL");
                continue;
            }
            Value::Bytes(b) => b.as_slice(),
            other => {
                buf.extend_from_slice(other.as_sql(true).as_bytes());
                continue;
            }
        };
        match forms[i] {
            Form::Enum(flag) if matches!(values.get(flag), Some(Value::Bytes(b)) if b == b"1") => {
                buf.push(b'0')
            }
            Form::Number => buf.extend_from_slice(bytes),
            Form::Hex if bytes.is_empty() => buf.extend_from_slice(b"''"),
            Form::Hex => {
                buf.extend_from_slice(b"0x");
                for b in bytes {
                    buf.push(HEX[(b >> 4) as usize]);
                    buf.push(HEX[(b & 15) as usize]);
                }
            }
            Form::Text | Form::Enum(_) => {
                buf.push(b'\'');
                for &b in bytes {
                    match b {
                        b'\'' => buf.extend_from_slice(b"\\'"),
                        b'\\' => buf.extend_from_slice(b"\\\\"),
                        b'\n' => buf.extend_from_slice(b"\\n"),
                        b'\r' => buf.extend_from_slice(b"\\r"),
                        0 => buf.extend_from_slice(b"\\0"),
                        0x1a => buf.extend_from_slice(b"\\Z"),
                        _ => buf.push(b),
                    }
                }
                buf.push(b'\'');
            }
        }
    }
    buf.push(b')');
}

/// Streams a table's rows as tuples; `each` gets a batch of tuples (comma
/// separated, about STATEMENT_BYTES) and the checksum covers every tuple.
async fn stream_table(
    conn: &mut Conn,
    table: &DataTable,
    mut each: impl FnMut(&[u8], u64) -> Result<()>,
) -> Result<RowChecksum> {
    let mut sum = RowChecksum::default();
    if table.columns.is_empty() {
        return Ok(sum);
    }
    let sql = format!("SELECT {} FROM {}", table.select.join(","), table.quoted());
    let mut result = conn
        .query_iter(sql)
        .await
        .map_err(|e| anyhow!("reading table {}: {}", table.quoted(), server_message(&e)))?;
    let forms = forms(result.columns_ref(), table.columns.len());
    let mut batch = Vec::with_capacity(STATEMENT_BYTES + 64 * 1024);
    let mut in_batch = 0u64;
    while let Some(row) = result
        .next()
        .await
        .map_err(|e| anyhow!("reading table {}: {}", table.quoted(), server_message(&e)))?
    {
        if in_batch > 0 {
            batch.push(b',');
        }
        let start = batch.len();
        write_tuple(&mut batch, &row.unwrap(), &forms);
        sum.add_row(&batch[start..]);
        in_batch += 1;
        if batch.len() >= STATEMENT_BYTES {
            each(&batch, in_batch)?;
            batch.clear();
            in_batch = 0;
        }
    }
    if in_batch > 0 {
        each(&batch, in_batch)?;
    }
    Ok(sum)
}

/// AUTO_INCREMENT counters and MariaDB sequence positions, by name.
pub async fn sequence_states(conn: &mut Conn) -> Result<Vec<SequenceState>> {
    let mut states = Vec::new();
    for r in query_strings(conn, include_str!("sql/auto_increment.sql")).await? {
        if let [Some(name), Some(next)] = &r[..] {
            states.push(SequenceState {
                name: format!("{}{AUTO_INCREMENT_SUFFIX}", ident(name)),
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
            name: format!("{}{CYCLE_COUNT}", ident(&name)),
            value: value(1).parse()?,
            is_called: false,
        });
    }
    Ok(states)
}

use super::{AUTO_INCREMENT_SUFFIX, CYCLE_COUNT_SUFFIX as CYCLE_COUNT};

/// The statements that restore counters and sequence positions (a sequence's
/// entry is followed by its cycle count).
fn restore_statements(states: &[SequenceState]) -> Vec<String> {
    let mut out = Vec::new();
    for (i, state) in states.iter().enumerate() {
        if let Some(table) = state.name.strip_suffix(AUTO_INCREMENT_SUFFIX) {
            out.push(format!(
                "ALTER TABLE {table} AUTO_INCREMENT = {};",
                state.value
            ));
        } else if !state.name.ends_with(CYCLE_COUNT) {
            let round = states
                .get(i + 1)
                .filter(|s| s.name.ends_with(CYCLE_COUNT))
                .map_or(0, |s| s.value);
            out.push(format!(
                "SELECT SETVAL({}, {}, 0, {round});",
                state.name, state.value
            ));
        }
    }
    out
}

pub async fn begin_snapshot(conn: &mut Conn) -> Result<()> {
    conn.query_drop("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        .await
        .map_err(|e| anyhow!("{}", server_message(&e)))?;
    conn.query_drop("START TRANSACTION WITH CONSISTENT SNAPSHOT")
        .await
        .map_err(|e| anyhow!("starting the snapshot transaction: {}", server_message(&e)))
}

/// One table's piece: its INSERT statements, and the checksum of its rows.
async fn table_piece(
    conn: &mut Conn,
    table: &DataTable,
    skip_rows: bool,
    spooler: &Spooler,
    progress: &mut TableProgress,
) -> Result<(Finished, RowChecksum)> {
    let quoted = table.quoted();
    let mut spool = spooler.spool()?;
    // A name may hold a newline; the marker is one comment line.
    write!(
        spool,
        "\n-- dbsnap:table {}\n",
        crate::engine::comment_safe(&quoted)
    )?;
    let columns: Vec<String> = table.columns.iter().map(|c| ident(c)).collect();
    let head = format!("INSERT INTO {quoted} ({}) VALUES ", columns.join(","));
    let sum = if skip_rows {
        RowChecksum::default()
    } else {
        stream_table(conn, table, |tuples, rows| {
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

/// Connections that all see the same consistent snapshot. MySQL cannot share
/// a snapshot between sessions, so, as mydumper does, writes are paused with
/// FLUSH TABLES WITH READ LOCK while each session starts its transaction.
/// Without the privilege for that, one connection reads every table.
async fn snapshot_workers(
    spec: &ConnectionSpec,
    mut main: Conn,
    wanted: usize,
) -> Result<Vec<Conn>> {
    if wanted > 1 && main.query_drop("FLUSH TABLES WITH READ LOCK").await.is_ok() {
        let mut workers = Vec::new();
        for _ in 1..wanted {
            let Ok(mut worker) = super::connect::connect(spec).await else {
                break;
            };
            if begin_snapshot(&mut worker).await.is_ok() {
                workers.push(worker);
            }
        }
        let started = begin_snapshot(&mut main).await;
        main.query_drop("UNLOCK TABLES")
            .await
            .map_err(|e| anyhow!("{}", server_message(&e)))?;
        started?;
        workers.insert(0, main);
        return Ok(workers);
    }
    begin_snapshot(&mut main).await?;
    Ok(vec![main])
}

/// Writes the data snapshot, reading tables in parallel in one snapshot.
pub async fn export(
    spec: &ConnectionSpec,
    conn: Conn,
    opts: &DataOptions,
    pieces: &mut Pieces<'_>,
) -> Result<Manifest> {
    // One connection unless asked: more need a global read lock (see snapshot_workers).
    let mut workers = snapshot_workers(spec, conn, opts.jobs.unwrap_or(1)).await?;
    let tables = data_tables(&mut workers[0], opts).await?;
    let names: Vec<String> = tables.iter().map(DataTable::quoted).collect();
    let header = format!(
        "{HEADER}-- dbsnap:tables {}\n{SETTINGS}",
        serde_json::to_string(&names)?
    );
    pieces.write(header.as_bytes())?;

    let tables = Arc::new(tables);
    let progress = Progress::new(tables.len() as u64, "tables");
    let (spooler, exclude, list, bars) = (
        pieces.spooler(),
        opts.exclude_table_data.clone(),
        tables.clone(),
        progress.clone(),
    );
    let (tasks, rx) = pieces::spawn_workers(workers, tables.len(), move |mut conn: Conn, index| {
        let (spooler, exclude, tables) = (spooler.clone(), exclude.clone(), list.clone());
        let bars = bars.clone();
        async move {
            let table = &tables[index];
            let skip = exclude
                .iter()
                .any(|p| crate::engine::pattern_matches(p, &table.name));
            let (rows, bytes) = if skip {
                (0, 0)
            } else {
                (table.est_rows, table.est_bytes)
            };
            let mut line = bars.begin_table(&table.quoted(), rows, bytes);
            let made = table_piece(&mut conn, table, skip, &spooler, &mut line).await;
            line.finish_table();
            (conn, made)
        }
    });

    let mut manifest = Manifest {
        engine: Some(crate::config::EngineKind::MySql),
        ..Manifest::default()
    };
    pieces::append_in_order(
        pieces,
        rx,
        tables.len(),
        |index, sum: RowChecksum, _bytes| {
            let quoted = tables[index].quoted();
            manifest.tables.push(TableEntry {
                name: quoted,
                rows: sum.rows(),
                checksum: sum.hex(),
            });
            Ok(())
        },
    )
    .await?;
    progress.finish();
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
    let mut trailer = String::from(
        "\n/*!40014 SET FOREIGN_KEY_CHECKS=@OLD_FOREIGN_KEY_CHECKS */;\n-- dbsnap:section post-data\n",
    );
    let states = sequence_states(&mut conn).await?;
    for statement in restore_statements(&states) {
        trailer += &statement;
        trailer.push('\n');
    }
    for state in states {
        manifest.sequences.push(SequenceEntry {
            name: state.name,
            value: state.value,
            is_called: state.is_called,
        });
    }
    trailer += "\n";
    trailer += &manifest.render();
    pieces.write(trailer.as_bytes())?;
    conn.query_drop("COMMIT").await.ok();
    Ok(manifest)
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
                let sum = stream_table(conn, table, |_, _| Ok(())).await?;
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
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tuples_escape_text_and_hex_binary() {
        let mut buf = Vec::new();
        let values = vec![
            Value::Bytes(b"42".to_vec()),
            Value::Bytes(b"it's\\\n\0".to_vec()),
            Value::Bytes(vec![0, 255]),
            Value::NULL,
        ];
        write_tuple(
            &mut buf,
            &values,
            &[Form::Number, Form::Text, Form::Hex, Form::Text],
        );
        assert_eq!(
            String::from_utf8(buf).unwrap(),
            r"(42,'it\'s\\\n\0',0x00ff,NULL)"
        );
    }

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
