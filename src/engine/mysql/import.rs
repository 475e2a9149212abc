//! Streaming a mysql-client data file (ours or mysqldump's) into a database.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{anyhow, bail, Context, Result};
use mysql_async::prelude::Queryable;
use mysql_async::Conn;
use tokio::sync::mpsc;

use super::connect::server_message;
use crate::engine::ImportOptions;
use crate::progress::Progress;
use crate::script::{Item, MysqlReader};
use crate::snapshot::checksum::RowChecksum;
use crate::snapshot::compress;
use crate::snapshot::manifest::Manifest;
use crate::snapshot::markers::Markers;

/// Reads `path` on its own thread; a small channel keeps memory bounded.
fn spawn_reader(path: &Path) -> mpsc::Receiver<Result<Item>> {
    let (tx, rx) = mpsc::channel(8);
    let path = path.to_path_buf();
    std::thread::spawn(move || {
        let input = match compress::open(&path) {
            Ok(input) => input,
            Err(e) => {
                let _ = tx.blocking_send(Err(e));
                return;
            }
        };
        let mut reader = MysqlReader::new(input, &path);
        loop {
            let next = reader.next_item().map_err(anyhow::Error::from);
            match next {
                Ok(None) => return,
                Ok(Some(item)) => {
                    if tx.blocking_send(Ok(item)).is_err() {
                        return;
                    }
                }
                Err(e) => {
                    let _ = tx.blocking_send(Err(e));
                    return;
                }
            }
        }
    });
    rx
}

/// What a statement of a data file is, for the rules of a transactional load.
#[derive(Debug, PartialEq, Eq)]
enum Kind {
    /// `INSERT INTO t ...`, with the table named as written.
    Insert(String),
    /// mysqldump's LOCK TABLES / UNLOCK TABLES and ALTER TABLE ... DISABLE/ENABLE
    /// KEYS: speed hints that would commit the transaction; skipped.
    Hint,
    /// Schema changes commit implicitly in MySQL, so they cannot be part of one.
    Ddl(String),
    Other,
}

fn classify(sql: &str) -> Kind {
    // `/*!40000 ALTER TABLE t DISABLE KEYS */` runs as its content.
    let mut text = sql.trim_start();
    if let Some(rest) = text
        .strip_prefix("/*!")
        .or_else(|| text.strip_prefix("/*M!"))
    {
        text = rest
            .trim_start_matches(|c: char| c.is_ascii_digit())
            .trim_start();
    }
    let upper: String = text
        .chars()
        .take(200)
        .collect::<String>()
        .to_ascii_uppercase();
    let words: Vec<&str> = upper.split_whitespace().collect();
    match words.as_slice() {
        ["INSERT", "INTO", ..] | ["INSERT", "IGNORE", "INTO", ..] | ["REPLACE", "INTO", ..] => {
            let into = upper.find("INTO").unwrap_or(0) + 4;
            Kind::Insert(table_name(text[into..].trim_start()))
        }
        ["LOCK", "TABLES", ..] | ["UNLOCK", "TABLES", ..] => Kind::Hint,
        ["ALTER", "TABLE", _, "DISABLE", "KEYS", ..]
        | ["ALTER", "TABLE", _, "ENABLE", "KEYS", ..] => Kind::Hint,
        [first, ..] if matches!(*first, "CREATE" | "DROP" | "ALTER" | "RENAME" | "TRUNCATE") => {
            Kind::Ddl(format!("{first} {}", words.get(1).unwrap_or(&"")))
        }
        _ => Kind::Other,
    }
}

/// The (possibly qualified, backtick-quoted) table name at the start of `s`.
fn table_name(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'`' => {
                i += 1;
                while i < bytes.len() {
                    if bytes[i] == b'`' {
                        if bytes.get(i + 1) == Some(&b'`') {
                            i += 1;
                        } else {
                            break;
                        }
                    }
                    i += 1;
                }
                i += 1;
            }
            b'.' => i += 1,
            b if b.is_ascii_whitespace() || b == b'(' => break,
            _ => i += 1,
        }
    }
    s[..i.min(s.len())].to_string()
}

/// The `(...)` tuples of an INSERT's VALUES list, as written.
pub fn tuples(sql: &str) -> Vec<&[u8]> {
    let bytes = sql.as_bytes();
    let mut out = Vec::new();
    // Start after the first VALUES keyword outside quotes (column names are backticked).
    let Some(values) = find_values(bytes) else {
        return out;
    };
    let mut i = values;
    let (mut depth, mut start, mut quote) = (0usize, 0usize, 0u8);
    while i < bytes.len() {
        let b = bytes[i];
        if quote != 0 {
            if b == b'\\' {
                i += 1;
            } else if b == quote {
                if bytes.get(i + 1) == Some(&quote) {
                    i += 1;
                } else {
                    quote = 0;
                }
            }
        } else {
            match b {
                b'\'' | b'"' => quote = b,
                b'(' => {
                    if depth == 0 {
                        start = i;
                    }
                    depth += 1;
                }
                b')' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        out.push(&bytes[start..=i]);
                    }
                }
                _ => {}
            }
        }
        i += 1;
    }
    out
}

fn find_values(bytes: &[u8]) -> Option<usize> {
    let (mut i, mut quote) = (0, 0u8);
    while i + 6 <= bytes.len() {
        let b = bytes[i];
        if quote != 0 {
            if b == quote {
                quote = 0;
            }
        } else if b == b'`' || b == b'\'' || b == b'"' {
            quote = b;
        } else if bytes[i..i + 6].eq_ignore_ascii_case(b"VALUES") {
            return Some(i + 6);
        }
        i += 1;
    }
    None
}

#[derive(Debug, Default)]
pub struct Loaded {
    pub tables: usize,
    pub rows: u64,
    pub manifest_checked: bool,
    /// Counter and sequence statements: DDL in MySQL, run after the rows commit.
    pub deferred: Vec<(String, u64)>,
}

/// Loads the file's rows through `conn`; the caller owns the transaction and
/// runs `deferred` after it.
pub async fn load(conn: &mut Conn, path: &Path, opts: &ImportOptions) -> Result<Loaded> {
    load_with(conn, Vec::new(), path, opts).await
}

/// One statement for a loading connection, with where it came from.
struct Job {
    sql: String,
    line: u64,
    table: Option<String>,
}

/// Runs statements on one connection, in order, until the queue closes.
async fn run_jobs(mut conn: Conn, mut jobs: mpsc::Receiver<Job>, display: String) -> Result<()> {
    while let Some(job) = jobs.recv().await {
        conn.query_drop(&job.sql)
            .await
            .map_err(|e| match &job.table {
                Some(t) => anyhow!("{display}:{}: table {t}: {}", job.line, server_message(&e)),
                None => anyhow!("{display}:{}: {}", job.line, server_message(&e)),
            })?;
    }
    conn.disconnect().await.ok();
    Ok(())
}

/// Like `load`, but INSERTs are spread over `workers` (other statements run
/// on each of them, in order). Only for a fresh database that nobody reads
/// yet: the workers commit on their own, so there is no single transaction.
pub async fn load_parallel(conn: &mut Conn, workers: Vec<Conn>, path: &Path) -> Result<Loaded> {
    load_with(conn, workers, path, &ImportOptions::default()).await
}

async fn load_with(
    conn: &mut Conn,
    workers: Vec<Conn>,
    path: &Path,
    opts: &ImportOptions,
) -> Result<Loaded> {
    let display = path.display().to_string();
    let mut queues = Vec::new();
    let mut handles = Vec::new();
    for worker in workers {
        let (tx, rx) = mpsc::channel::<Job>(2);
        queues.push(tx);
        handles.push(tokio::spawn(run_jobs(worker, rx, display.clone())));
    }
    let mut worker_of: HashMap<String, usize> = HashMap::new();
    if opts.truncate {
        let tables = tables_in_file(path).await?;
        // The file's tables are replaced as a set, so references between them
        // (cycles included) are not checked while they are emptied.
        conn.query_drop("SET @dbsnap_fk_checks = @@FOREIGN_KEY_CHECKS, FOREIGN_KEY_CHECKS = 0")
            .await
            .map_err(|e| anyhow!("{}", server_message(&e)))?;
        for table in tables.iter().rev() {
            // DELETE, not TRUNCATE: TRUNCATE would commit the transaction.
            conn.query_drop(format!("DELETE FROM {table}"))
                .await
                .map_err(|e| {
                    anyhow!(
                        "{display}: emptying {table} before the load: {}",
                        server_message(&e)
                    )
                })?;
        }
        conn.query_drop("SET FOREIGN_KEY_CHECKS = @dbsnap_fk_checks")
            .await
            .map_err(|e| anyhow!("{}", server_message(&e)))?;
    }
    let mut items = spawn_reader(path);
    let mut markers = Markers::default();
    let mut loaded = Loaded::default();
    let mut sums: HashMap<String, RowChecksum> = HashMap::new();
    let mut progress = Progress::new(0, "tables");
    while let Some(item) = items.recv().await {
        match item? {
            Item::Marker { text, line } => {
                if let Some(name) = text.strip_prefix("table ") {
                    progress.start(name);
                    progress.done_one();
                }
                markers.take(path, line, &text)?;
                markers.refuse_other_engine(path, line, "mysql", "MySQL/MariaDB")?;
            }
            Item::Statement { sql, line } => {
                // Counters are DDL in MySQL: they run after the rows commit.
                if markers.section.as_deref() == Some("post-data") {
                    loaded.deferred.push((sql, line));
                    continue;
                }
                match classify(&sql) {
                    Kind::Hint => continue,
                    Kind::Ddl(what) => bail!(
                        "{display}:{line}: the file contains DDL ({what}). MySQL commits DDL implicitly, so it cannot \
                         be loaded in one transaction; load the schema with `dbsnap init` and data-only files \
                         (mysqldump --no-create-info) with `dbsnap import`. Nothing was committed."
                    ),
                    Kind::Insert(table) => {
                        let sum = sums.entry(table.clone()).or_default();
                        let before = sum.rows();
                        for tuple in tuples(&sql) {
                            sum.add_row(tuple);
                        }
                        let added = sum.rows() - before;
                        loaded.rows += added;
                        progress.add(added, sql.len() as u64);
                        if queues.is_empty() {
                            conn.query_drop(&sql)
                                .await
                                .map_err(|e| anyhow!("{display}:{line}: table {table}: {}", server_message(&e)))?;
                        } else {
                            // Each table stays on one connection, so its rows go in
                            // file order and an error names the same line every time.
                            let seen = worker_of.len();
                            let worker = *worker_of.entry(table.clone()).or_insert(seen % queues.len());
                            let job = Job { sql, line, table: Some(table) };
                            if queues[worker].send(job).await.is_err() {
                                return Err(first_failure(handles).await);
                            }
                        }
                    }
                    Kind::Other if !queues.is_empty() => {
                        for queue in &queues {
                            let job = Job { sql: sql.clone(), line, table: None };
                            if queue.send(job).await.is_err() {
                                return Err(first_failure(handles).await);
                            }
                        }
                    }
                    Kind::Other => {
                        conn.query_drop(&sql).await.map_err(|e| anyhow!("{display}:{line}: {}", server_message(&e)))?;
                    }
                }
            }
            Item::Meta { line, .. } | Item::CopyIn { line, .. } => {
                bail!("{display}:{line}: not a MySQL script (psql syntax)")
            }
        }
    }
    progress.finish();
    drop(queues);
    for handle in handles {
        handle.await??;
    }
    if markers.truncated() {
        bail!(
            "{display}: the end marker is missing: the file is truncated. Nothing was committed."
        );
    }
    markers
        .manifest
        .check(path, &sums)
        .context("nothing was committed")?;
    loaded.tables = sums.len();
    loaded.manifest_checked = !markers.manifest.tables.is_empty();
    Ok(loaded)
}

/// The error of the worker that stopped first.
async fn first_failure(handles: Vec<tokio::task::JoinHandle<Result<()>>>) -> anyhow::Error {
    for handle in handles {
        match handle.await {
            Ok(Err(err)) => return err,
            Err(join) => return anyhow!("a loading connection stopped: {join}"),
            Ok(Ok(())) => {}
        }
    }
    anyhow!("a loading connection stopped")
}

/// The tables a file loads: from our header, or from its INSERT statements.
async fn tables_in_file(path: &Path) -> Result<Vec<String>> {
    let path = path.to_path_buf();
    tokio::task::spawn_blocking(move || -> Result<Vec<String>> {
        let mut reader = MysqlReader::new(compress::open(&path)?, &path);
        let mut tables = Vec::new();
        while let Some(item) = reader.next_item()? {
            match item {
                Item::Marker { text, .. } => {
                    if let Some(list) = text.strip_prefix("tables ") {
                        return Ok(serde_json::from_str(list)?);
                    }
                }
                Item::Statement { sql, .. } => {
                    if let Kind::Insert(t) = classify(&sql) {
                        if !tables.contains(&t) {
                            tables.push(t);
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(tables)
    })
    .await?
}

/// Reads a data snapshot without a database: the manifest, and (when `check`)
/// every table's rows and checksum against it.
pub fn scan_file(path: &Path, check: bool) -> Result<Manifest> {
    let mut reader = MysqlReader::new(compress::open(path)?, path);
    let mut markers = Markers::default();
    let mut sums: HashMap<String, RowChecksum> = HashMap::new();
    while let Some(item) = reader.next_item()? {
        match item {
            Item::Marker { text, line } => markers.take(path, line, &text)?,
            Item::Statement { sql, .. } if check => {
                if let Kind::Insert(table) = classify(&sql) {
                    let sum = sums.entry(table).or_default();
                    for tuple in tuples(&sql) {
                        sum.add_row(tuple);
                    }
                }
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
    if markers.manifest.engine != "mysql" {
        bail!(
            "{}: this is a {} snapshot, but the target is MySQL/MariaDB",
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
    use super::*;

    #[test]
    fn statements_are_classified() {
        assert_eq!(
            classify("INSERT INTO `t` (`a`) VALUES (1)"),
            Kind::Insert("`t`".into())
        );
        assert_eq!(
            classify("insert into t(a) values (1)"),
            Kind::Insert("t".into())
        );
        assert_eq!(
            classify("INSERT INTO `a b``c` (`x`) VALUES (1)"),
            Kind::Insert("`a b``c`".into())
        );
        assert_eq!(classify("LOCK TABLES `t` WRITE"), Kind::Hint);
        assert_eq!(
            classify("/*!40000 ALTER TABLE `t` DISABLE KEYS */"),
            Kind::Hint
        );
        assert_eq!(
            classify("DROP TABLE IF EXISTS `t`"),
            Kind::Ddl("DROP TABLE".into())
        );
        assert_eq!(classify("/*!40101 SET NAMES utf8mb4 */"), Kind::Other);
    }

    #[test]
    fn tuples_respect_quotes_and_escapes() {
        let sql = r"INSERT INTO `v(a)lues` (`x`) VALUES (1,'a)b'),(2,'it\'s (x'),(3,0x00)";
        let t: Vec<&str> = tuples(sql)
            .into_iter()
            .map(|b| std::str::from_utf8(b).unwrap())
            .collect();
        assert_eq!(t, vec!["(1,'a)b')", r"(2,'it\'s (x')", "(3,0x00)"]);
    }
}
