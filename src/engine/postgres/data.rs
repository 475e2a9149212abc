//! Data snapshots for PostgreSQL: COPY out in one consistent snapshot, COPY in
//! in one transaction, and the counts and checksums that verify compares.

use std::collections::HashMap;
use std::io::Write;
use std::sync::Arc;

use anyhow::{Context, Result};
use futures_util::{pin_mut, StreamExt};
use tokio_postgres::Client;

use super::quote::literal;
use super::SETTINGS;
use crate::config::{ConnectionSpec, EngineKind};
use crate::engine::chunk::{self, ExportTable, Job};
use crate::engine::order::{sort_objects, SchemaObject, Section};
use crate::engine::{DataOptions, Inventory, SequenceState, TableState};
use crate::error::ServerError;
use crate::snapshot::checksum::{LineHasher, RowChecksum};
use crate::snapshot::manifest::Manifest;
use crate::snapshot::markers;
use crate::snapshot::pieces::{Finished, Pieces};

/// Session settings that fix the text form of every value, so that the same
/// rows always give the same bytes (and checksums) on any server. With
/// row_security off, a table whose policies would hide rows from this role
/// fails to read instead of giving a subset (as pg_dump does).
pub const TEXT_FORM: &str = "SET DateStyle = ISO, MDY; SET IntervalStyle = postgres; \
     SET extra_float_digits = 3; SET TimeZone = 'UTC'; SET bytea_output = hex; \
     SET client_encoding = 'UTF8'; SET row_security = off; \
     SELECT pg_catalog.set_config('search_path', '', false);";

const HEADER: &str = "\
--
-- dbsnap data snapshot (PostgreSQL)
-- Load with `dbsnap import --url URL FILE`, `dbsnap init --schema S --data FILE`,
-- or `psql -1 -v ON_ERROR_STOP=1 -f FILE` into a database built from the schema.
-- The manifest at the end lists every table's rows and checksum.
--
";

pub struct DataTable {
    pub qname: String,
    pub columns: Vec<String>,
    /// Each column's type as format_type() writes it (`numeric(10,2)`).
    pub types: Vec<String>,
    /// The catalog's estimates (reltuples, table size), for progress; 0 if unknown.
    pub est_rows: u64,
    pub est_bytes: u64,
}

impl ExportTable for DataTable {
    fn quoted(&self) -> String {
        self.qname.clone()
    }

    fn estimate(&self) -> (u64, u64) {
        (self.est_rows, self.est_bytes)
    }
}

impl DataTable {
    fn column_list(&self) -> String {
        if self.columns.is_empty() {
            String::new()
        } else {
            format!(" ({})", self.columns.join(", "))
        }
    }
}

/// Tables in foreign-key order (referenced first), filtered by the options.
pub async fn data_tables(client: &Client, opts: &DataOptions) -> Result<Vec<DataTable>> {
    let rows = client
        .query(include_str!("sql/data_tables.sql"), &[])
        .await
        .map_err(ServerError::from)
        .context("listing tables")?;
    let names: Vec<String> = rows.iter().map(|r| r.get("qname")).collect();
    opts.check_patterns(&names)?;
    let mut by_root: HashMap<i64, Vec<i64>> = HashMap::new();
    let mut objects = Vec::new();
    for r in &rows {
        let qname: String = r.get("qname");
        if !opts.selects(&qname) {
            continue;
        }
        let (oid, root): (i64, i64) = (r.get("oid"), r.get("root"));
        by_root.entry(root).or_default().push(oid);
        objects.push(SchemaObject {
            key: oid,
            section: Section::PreData,
            sort_key: (0, qname.clone(), String::new(), String::new()),
            label: qname.clone(),
            sql: String::new(),
            deps: vec![root],
        });
    }
    let mut edges: HashMap<i64, Vec<i64>> = HashMap::new();
    for r in client
        .query(include_str!("sql/data_fk_edges.sql"), &[])
        .await
        .map_err(ServerError::from)
        .context("listing foreign keys")?
    {
        edges
            .entry(r.get("referencing"))
            .or_default()
            .push(r.get("referenced"));
    }
    // A table depends on every table of the trees its tree references.
    for obj in &mut objects {
        let root = obj.deps[0];
        obj.deps = edges
            .get(&root)
            .into_iter()
            .flatten()
            .filter(|r| **r != root)
            .flat_map(|r| by_root.get(r).cloned().unwrap_or_default())
            .collect();
    }
    // Cycles are expected (they are why FKs load after data); ignore the warnings.
    let (sorted, _cycles) = sort_objects(objects);
    let info: HashMap<i64, &tokio_postgres::Row> = rows.iter().map(|r| (r.get("oid"), r)).collect();
    Ok(sorted
        .into_iter()
        .map(|o| {
            let r = info[&o.key];
            DataTable {
                qname: r.get("qname"),
                columns: r.get("columns"),
                types: r.get("types"),
                est_rows: r.get::<_, i64>("est_rows").max(0) as u64,
                est_bytes: r.get::<_, i64>("est_bytes").max(0) as u64,
            }
        })
        .collect())
}

pub async fn sequence_states(client: &Client) -> Result<Vec<SequenceState>> {
    let names: Vec<String> = client
        .query(include_str!("sql/data_sequences.sql"), &[])
        .await
        .map_err(ServerError::from)
        .context("listing sequences")?
        .iter()
        .map(|r| r.get("qname"))
        .collect();
    let mut states = Vec::with_capacity(names.len());
    // One round trip per batch of sequences, not per sequence.
    for batch in names.chunks(200) {
        let sql = batch
            .iter()
            .map(|q| {
                format!(
                    "SELECT {}::text AS name, last_value::text AS value, is_called FROM {q}",
                    literal(q)
                )
            })
            .collect::<Vec<_>>()
            .join(" UNION ALL ");
        for r in client
            .query(&sql, &[])
            .await
            .map_err(ServerError::from)
            .context("reading sequences")?
        {
            let value: String = r.get("value");
            states.push(SequenceState {
                name: r.get("name"),
                value: value.parse()?,
                is_called: r.get("is_called"),
            });
        }
    }
    Ok(states)
}

/// Streams one table's COPY text (or that of the rows `filter` picks)
/// through `sink`, returning its checksum.
async fn copy_table_out(
    client: &Client,
    table: &DataTable,
    filter: Option<&str>,
    mut sink: impl FnMut(&[u8]) -> Result<()>,
) -> Result<RowChecksum> {
    let sql = match filter {
        None => format!("COPY {}{} TO STDOUT", table.qname, table.column_list()),
        // The same text as the table's COPY: the same columns, each through its output function.
        Some(filter) => format!(
            "COPY (SELECT {} FROM ONLY {} WHERE {filter}) TO STDOUT",
            table.columns.join(", "),
            table.qname
        ),
    };
    let stream = client
        .copy_out(sql.as_str())
        .await
        .map_err(read_failed)
        .with_context(|| format!("reading table {}", table.qname))?;
    pin_mut!(stream);
    let mut hasher = LineHasher::default();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk
            .map_err(read_failed)
            .with_context(|| format!("reading table {}", table.qname))?;
        crate::engine::rows_arrived();
        hasher.feed(&chunk);
        sink(&chunk)?;
    }
    Ok(hasher.finish())
}

/// Tables read at once by default, each on its own connection in the same
/// snapshot. Two keep both cores busy on this project's machines (server COPY
/// and client compression); more would only queue.
const WORKERS: usize = 2;

/// One piece of a table's COPY block: the block's start in its first piece,
/// the rows of the piece's range, the block's end in its last piece; and
/// the checksum of those rows.
async fn table_piece(client: &Client, job: &mut Job<DataTable>) -> Result<(Finished, RowChecksum)> {
    let mut spool = job.spool()?;
    let skip_rows = job.skip;
    let (table, chunk, progress) = job.parts();
    if chunk.first() {
        write!(
            spool,
            "
{}{}COPY {}{} FROM stdin;
",
            markers::table_line(&table.qname),
            markers::column_types_line(&table.types),
            table.qname,
            table.column_list()
        )?;
    }
    let checksum = if skip_rows {
        RowChecksum::default()
    } else {
        // Text COPY yields one chunk per row.
        copy_table_out(client, table, chunk.filter.as_deref(), |chunk| {
            progress.advance(1, chunk.len() as u64);
            Ok(spool.write_all(chunk)?)
        })
        .await?
    };
    if chunk.last() {
        spool.write_all(b"\\.\n")?;
    }
    Ok((spool.finish()?, checksum))
}

/// More connections reading the snapshot that `client` exported. A server
/// that refuses more connections just means fewer workers.
async fn snapshot_workers(
    spec: &ConnectionSpec,
    client: Client,
    wanted: usize,
) -> Result<Vec<Arc<Client>>> {
    let mut workers = vec![];
    if wanted > 1 {
        let id: String = client
            .query_one("SELECT pg_catalog.pg_export_snapshot()", &[])
            .await
            .map_err(ServerError::from)
            .context("exporting the snapshot")?
            .get(0);
        for _ in 1..wanted {
            let Ok(worker) = super::connect::connect(spec).await else {
                break;
            };
            let setup = format!(
                "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET TRANSACTION SNAPSHOT {}; {TEXT_FORM}",
                literal(&id)
            );
            if worker.batch_execute(&setup).await.is_ok() {
                workers.push(Arc::new(worker));
            }
        }
    }
    workers.insert(0, Arc::new(client));
    Ok(workers)
}

/// Writes the data snapshot. `client` must be inside the export transaction
/// (`begin_snapshot`); tables are read in parallel in that same snapshot.
pub async fn export(
    spec: &ConnectionSpec,
    client: Client,
    opts: &DataOptions,
    pieces: &mut Pieces,
) -> Result<Manifest> {
    super::large_objects::refuse_if_present(&client, opts).await?;
    let tables = data_tables(&client, opts).await?;
    let skipped: Vec<bool> = tables
        .iter()
        .map(|t| opts.rows_left_out(&t.qname))
        .collect();
    let header = chunk::header(EngineKind::Postgres, HEADER, SETTINGS, &tables, &skipped)?;
    pieces.write(header.as_bytes())?;

    let wanted = opts.jobs.unwrap_or(WORKERS);
    let workers = snapshot_workers(spec, client, wanted.min(tables.len().max(1))).await?;
    let main = workers[0].clone();
    let chunks = super::chunk::plan(&main, &tables, workers.len(), |i| skipped[i]).await?;
    let (mut manifest, tasks) = chunk::export(
        pieces,
        EngineKind::Postgres,
        workers,
        tables,
        chunks,
        skipped,
        |client: Arc<Client>, mut job: Job<DataTable>| async move {
            let made = table_piece(&client, &mut job).await;
            job.line.finish_table();
            (client, made)
        },
    )
    .await?;

    drop(tasks);
    let states = sequence_states(&main).await?;
    let restore: Vec<String> = states
        .iter()
        .map(|s| {
            let name = literal(&s.name);
            format!(
                "SELECT pg_catalog.setval({name}, {}, {});",
                s.value, s.is_called
            )
        })
        .collect();
    let trailer = chunk::trailer(&mut manifest, "\n", &restore, states);
    pieces.write(trailer.as_bytes())?;
    Ok(manifest)
}

/// One row of `sql` about `table`; an error says what was `doing`.
async fn query_table(
    client: &Client,
    sql: &str,
    doing: &str,
    table: &DataTable,
) -> Result<tokio_postgres::Row> {
    client
        .query_one(sql, &[])
        .await
        .map_err(read_failed)
        .with_context(|| format!("{doing} {}", table.qname))
}

/// A failed read of a table's rows, with the remedy when row-level security
/// (which TEXT_FORM turns into an error) would have hidden some of them.
/// What a connection that closed while rows were read means.
pub const LOST: &str =
    "the server closed the connection: the backend was terminated, the server restarted, or the network failed";

fn read_failed(err: tokio_postgres::Error) -> ServerError {
    let rls = err
        .as_db_error()
        .is_some_and(|db| db.message().contains("row-level security"));
    let closed = err.is_closed();
    let server = ServerError::from(err);
    if closed {
        // A backend ended mid-COPY often resets the socket, losing its FATAL.
        server.with_hint(LOST)
    } else if rls {
        server.with_hint(
            "its policies would hide rows from this role, and a snapshot holds every row or \
             none: connect as a superuser, a role with BYPASSRLS, or the table's owner if the \
             table does not FORCE ROW LEVEL SECURITY",
        )
    } else {
        server
    }
}

/// Row counts (and checksums) of every table, and sequence positions.
/// The client must be inside `begin_snapshot`.
pub async fn inventory(
    client: &Client,
    checksum: crate::engine::ChecksumKind,
) -> Result<Inventory> {
    use crate::engine::ChecksumKind;
    let tables = data_tables(client, &DataOptions::default()).await?;
    let mut states = Vec::with_capacity(tables.len());
    for table in &tables {
        let state = match checksum {
            ChecksumKind::None => {
                let sql = format!("SELECT count(*) FROM ONLY {}", table.qname);
                let row = query_table(client, &sql, "counting", table).await?;
                TableState {
                    name: table.qname.clone(),
                    rows: row.get::<_, i64>(0) as u64,
                    checksum: None,
                }
            }
            // Order-independent: the sum of a 64-bit slice of each row's md5.
            // `t.*`, not `t`: a table with a column named t would have that
            // column summed instead of the whole row.
            ChecksumKind::Server => {
                let sql = format!(
                    "SELECT count(*), coalesce(sum(('x' || substr(md5((t.*)::text), 1, 16))::bit(64)::int8::numeric), 0)::text \
                     FROM ONLY {} AS t",
                    table.qname
                );
                let row = query_table(client, &sql, "checksumming", table).await?;
                TableState {
                    name: table.qname.clone(),
                    rows: row.get::<_, i64>(0) as u64,
                    checksum: Some(format!("md5sum:{}", row.get::<_, String>(1))),
                }
            }
            // The same checksum as the snapshot manifest: over the COPY text.
            ChecksumKind::Snapshot => {
                let sum = copy_table_out(client, table, None, |_| Ok(())).await?;
                TableState {
                    name: table.qname.clone(),
                    rows: sum.rows(),
                    checksum: Some(sum.hex()),
                }
            }
        };
        states.push(state);
    }
    let sequences = sequence_states(client).await?;
    let outside_tables = super::large_objects::state(client, checksum)
        .await?
        .into_iter()
        .collect();
    Ok(Inventory {
        tables: states,
        sequences,
        outside_tables,
    })
}

/// Begins the consistent-snapshot transaction that export and verify read in.
pub async fn begin_snapshot(client: &Client) -> Result<()> {
    client
        .batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        .await
        .map_err(ServerError::from)
        .context("starting the snapshot transaction")?;
    client
        .batch_execute(TEXT_FORM)
        .await
        .context("setting the session's text formats")?;
    Ok(())
}
