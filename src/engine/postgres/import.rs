//! Streaming a psql-dialect data file (ours or pg_dump's) into a database.
//!
//! A reader thread decompresses and splits the file while the async side
//! feeds the server, so parsing and loading overlap; the channel between
//! them is small, which keeps memory bounded whatever the file size.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};
use bytes::Bytes;
use futures_util::{pin_mut, SinkExt};
use tokio::sync::mpsc;
use tokio_postgres::Client;

use super::load::located_error;
use super::server_message;
use crate::engine::ImportOptions;
use crate::progress::Progress;
use crate::script::{Item, PsqlReader};
use crate::snapshot::checksum::{LineHasher, RowChecksum};
use crate::snapshot::compress;
use crate::snapshot::manifest::Manifest;
use crate::snapshot::markers::Markers;

enum Event {
    Item(Item),
    CopyData(Vec<u8>),
    CopyEnd,
}

/// Reads `path` on a thread of its own; errors arrive in order, as events do.
fn spawn_reader(path: &Path) -> mpsc::Receiver<Result<Event>> {
    let (tx, rx) = mpsc::channel(8);
    let path = path.to_path_buf();
    std::thread::spawn(move || {
        let send = |ev: Result<Event>| tx.blocking_send(ev).is_ok();
        let input = match compress::open(&path) {
            Ok(input) => input,
            Err(e) => {
                send(Err(e));
                return;
            }
        };
        let mut reader = PsqlReader::new(input, &path);
        loop {
            match reader.next_item() {
                Ok(None) => return,
                Ok(Some(item)) => {
                    let is_copy = matches!(item, Item::CopyIn { .. });
                    if !send(Ok(Event::Item(item))) {
                        return;
                    }
                    if is_copy {
                        loop {
                            match reader.copy_chunk() {
                                Ok(Some(chunk)) => {
                                    if !send(Ok(Event::CopyData(chunk))) {
                                        return;
                                    }
                                }
                                Ok(None) => {
                                    if !send(Ok(Event::CopyEnd)) {
                                        return;
                                    }
                                    break;
                                }
                                Err(e) => {
                                    send(Err(read_error(e, &path)));
                                    return;
                                }
                            }
                        }
                    }
                }
                Err(e) => {
                    send(Err(read_error(e, &path)));
                    return;
                }
            }
        }
    });
    rx
}

/// A decompression error surfaces as an I/O error inside the script reader.
fn read_error(e: crate::script::ScriptError, path: &Path) -> anyhow::Error {
    if e.message.contains("corrupt") || e.message.contains("invalid") {
        anyhow!(e).context(format!("{} is damaged", path.display()))
    } else {
        anyhow!(e)
    }
}

/// `SELECT pg_catalog.setval(...)`, as our files and pg_dump write it.
fn is_setval(sql: &str) -> bool {
    let head: String = sql
        .chars()
        .take(40)
        .collect::<String>()
        .to_ascii_lowercase();
    let head: String = head.split_whitespace().collect::<Vec<_>>().join(" ");
    head.starts_with("select pg_catalog.setval(") || head.starts_with("select setval(")
}

/// The table a COPY statement names: `COPY public.t (a, b) FROM stdin`.
fn copy_target(sql: &str) -> String {
    let rest = sql.trim_start()[4..].trim_start();
    let mut end = 0;
    let mut in_quotes = false;
    for (i, ch) in rest.char_indices() {
        match ch {
            '"' => in_quotes = !in_quotes,
            c if !in_quotes && (c.is_whitespace() || c == '(') => break,
            _ => {}
        }
        end = i + ch.len_utf8();
    }
    rest[..end].to_string()
}

/// Where a server error inside COPY data points: `COPY t, line 5` -> file line.
fn copy_error(
    path: &Path,
    data_start: u64,
    table: &str,
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
    anyhow!(
        "{}:{line}: table {table}: {}",
        path.display(),
        server_message(err)
    )
}

#[derive(Debug, Default)]
pub struct Loaded {
    pub tables: Vec<(String, u64)>,
    pub rows: u64,
    pub manifest_checked: bool,
}

/// Loads the file through `client`. The caller owns the transaction.
pub async fn load(client: &Client, path: &Path, opts: &ImportOptions) -> Result<Loaded> {
    let mut events = spawn_reader(path);
    let mut markers = Markers::default();
    let mut loaded = Loaded::default();
    let mut setvals = Vec::new();
    let mut sums: HashMap<String, RowChecksum> = HashMap::new();
    let mut progress = Progress::new(0, "tables");
    let display = path.display().to_string();

    if opts.truncate {
        let tables = tables_in_file(path).await?;
        if !tables.is_empty() {
            let sql = format!("TRUNCATE ONLY {}", tables.join(", "));
            client.batch_execute(&sql).await.map_err(|e| {
                anyhow!(
                    "{display}: emptying the tables before the load: {}",
                    server_message(&e)
                )
            })?;
        }
    }

    while let Some(event) = events.recv().await {
        match event? {
            Event::Item(Item::Marker { text, line }) => {
                markers.take(path, line, &text)?;
                markers.refuse_other_engine(path, line, "postgresql", "PostgreSQL")?;
            }
            Event::Item(Item::Statement { sql, line }) => {
                // setval is not transactional: run it only after every check passed.
                if is_setval(&sql) {
                    setvals.push((sql, line));
                    continue;
                }
                client
                    .batch_execute(&sql)
                    .await
                    .map_err(|e| located_error(path, line, &sql, &e))?;
            }
            Event::Item(Item::Meta { command, line }) => {
                let word = command.split_whitespace().next().unwrap_or_default();
                if !matches!(word, "restrict" | "unrestrict") {
                    bail!("{display}:{line}: unsupported psql meta-command \\{word}");
                }
            }
            Event::Item(Item::CopyIn { sql, line }) => {
                let name = copy_target(&sql);
                progress.start(&name);
                let sink = client
                    .copy_in::<_, Bytes>(sql.as_str())
                    .await
                    .map_err(|e| {
                        located_error(path, line, &sql, &e).context(format!("loading table {name}"))
                    })?;
                pin_mut!(sink);
                let mut hasher = LineHasher::default();
                let mut bytes = 0u64;
                let data_start = line + sql.matches('\n').count() as u64 + 1;
                loop {
                    match events.recv().await {
                        Some(Ok(Event::CopyData(chunk))) => {
                            hasher.feed(&chunk);
                            bytes += chunk.len() as u64;
                            if let Err(e) = sink.send(Bytes::from(chunk)).await {
                                return Err(copy_error(path, data_start, &name, &e));
                            }
                        }
                        Some(Ok(Event::CopyEnd)) => break,
                        Some(Ok(Event::Item(_))) => {
                            unreachable!("the reader sends COPY data until its end")
                        }
                        // Dropping the sink aborts the COPY: nothing of this table stays.
                        Some(Err(e)) => return Err(e.context(format!("loading table {name}"))),
                        None => bail!(
                            "{display}: the file reader stopped inside the data of table {name}"
                        ),
                    }
                }
                let rows = sink
                    .finish()
                    .await
                    .map_err(|e| copy_error(path, data_start, &name, &e))?;
                let sum = hasher.finish();
                sums.insert(name.clone(), sum);
                loaded.rows += rows;
                loaded.tables.push((name, rows));
                progress.add(rows, bytes);
                progress.done_one();
            }
            Event::CopyData(_) | Event::CopyEnd => {
                unreachable!("COPY data only follows a COPY statement")
            }
        }
    }
    progress.finish();
    if markers.truncated() {
        bail!(
            "{display}: the end marker is missing: the file is truncated. Nothing was committed."
        );
    }
    // Our own files say what they hold; anything else loaded is damage.
    markers
        .manifest
        .check(path, &sums)
        .context("nothing was committed")?;
    for (sql, line) in setvals {
        client
            .batch_execute(&sql)
            .await
            .map_err(|e| located_error(path, line, &sql, &e))?;
    }
    loaded.manifest_checked = !markers.manifest.tables.is_empty();
    Ok(loaded)
}

/// The tables a file loads, from its header (ours) or its COPY statements.
async fn tables_in_file(path: &Path) -> Result<Vec<String>> {
    let path: PathBuf = path.to_path_buf();
    tokio::task::spawn_blocking(move || -> Result<Vec<String>> {
        let mut reader = PsqlReader::new(compress::open(&path)?, &path);
        let mut tables = Vec::new();
        while let Some(item) = reader.next_item()? {
            match item {
                Item::Marker { text, .. } => {
                    if let Some(list) = text.strip_prefix("tables ") {
                        return Ok(serde_json::from_str(list)?);
                    }
                }
                Item::CopyIn { sql, .. } => {
                    tables.push(copy_target(&sql));
                    while reader.copy_chunk()?.is_some() {}
                }
                Item::Statement { sql, .. } => {
                    let words: Vec<&str> = sql.split_whitespace().take(3).collect();
                    if words.len() == 3
                        && words[0].eq_ignore_ascii_case("insert")
                        && words[1].eq_ignore_ascii_case("into")
                    {
                        let name = words[2].split('(').next().unwrap_or_default().to_string();
                        if !tables.contains(&name) {
                            tables.push(name);
                        }
                    }
                }
                Item::Meta { .. } => {}
            }
        }
        Ok(tables)
    })
    .await?
}

/// Reads a data snapshot without a database: the manifest, and (when
/// `check`) every table's rows and checksum against it.
pub fn scan_file(path: &Path, check: bool) -> Result<Manifest> {
    let mut reader = PsqlReader::new(compress::open(path)?, path);
    let mut markers = Markers::default();
    let mut sums: HashMap<String, RowChecksum> = HashMap::new();
    while let Some(item) = reader.next_item()? {
        match item {
            Item::Marker { text, line } => markers.take(path, line, &text)?,
            Item::CopyIn { sql, .. } => {
                let mut hasher = LineHasher::default();
                while let Some(chunk) = reader.copy_chunk()? {
                    if check {
                        hasher.feed(&chunk);
                    }
                }
                sums.insert(copy_target(&sql), hasher.finish());
            }
            _ => {}
        }
    }
    if !markers.ended {
        bail!(
            "{}: the end marker is missing: the file is truncated or not a dbsnap data snapshot",
            path.display()
        );
    }
    if markers.manifest.engine != "postgresql" {
        bail!(
            "{}: this is a {} snapshot, but the target is PostgreSQL",
            path.display(),
            markers.manifest.engine
        );
    }
    if check {
        markers.manifest.check(path, &sums)?;
    }
    Ok(markers.manifest)
}

#[cfg(test)]
mod tests {
    use super::copy_target;

    #[test]
    fn copy_targets() {
        assert_eq!(
            copy_target("COPY public.actor (actor_id, name) FROM stdin"),
            "public.actor"
        );
        assert_eq!(
            copy_target("COPY \"my schema\".\"t (x)\"(a) FROM stdin"),
            "\"my schema\".\"t (x)\""
        );
        assert_eq!(copy_target("copy t from stdin"), "t");
    }
}
