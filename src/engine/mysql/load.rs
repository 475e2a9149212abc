//! Running mysql-client scripts (schema snapshots) over mysql_async.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use anyhow::{anyhow, bail, Context, Result};
use mysql_async::prelude::Queryable;
use mysql_async::Conn;

use super::connect::server_message;
use super::keys;
use crate::script::{Item, MysqlReader};
use crate::snapshot::markers::Markers;

/// Which sections of a schema snapshot to run; statements before the first
/// section marker (session settings) always run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sections {
    All,
    PreData,
    PostData,
    Code,
}

impl Sections {
    fn wants(self, section: Option<&str>) -> bool {
        match (self, section) {
            (Sections::All, _) | (_, None) => true,
            (Sections::PreData, Some(s)) => s == "pre-data",
            (Sections::PostData, Some(s)) => s == "post-data",
            (Sections::Code, Some(s)) => s == "code",
        }
    }
}

/// `-- dbsnap:database-charset CHARSET COLLATION` from a schema snapshot.
pub fn database_charset(path: &Path) -> Result<Option<(String, String)>> {
    let file =
        File::open(path).with_context(|| format!("cannot open schema file {}", path.display()))?;
    let mut reader = MysqlReader::new(BufReader::new(file), path);
    while let Some(item) = reader.next_item()? {
        match item {
            Item::Marker { text, .. } => {
                if let Some(rest) = text.strip_prefix("database-charset ") {
                    let mut parts = rest.split_whitespace();
                    if let (Some(c), Some(k)) = (parts.next(), parts.next()) {
                        return Ok(Some((c.to_string(), k.to_string())));
                    }
                }
                if text.starts_with("section") {
                    break;
                }
            }
            Item::Statement { .. } => {}
            _ => break,
        }
    }
    Ok(None)
}

pub async fn run_schema(conn: &mut Conn, path: &Path, sections: Sections) -> Result<()> {
    run_schema_with(conn, path, sections, false).await
}

/// The pre-data section with InnoDB tables created without their secondary
/// indexes; `keys::add` adds them after the rows.
pub async fn run_pre_data_deferring_keys(conn: &mut Conn, path: &Path) -> Result<()> {
    run_schema_with(conn, path, Sections::PreData, true).await
}

async fn run_schema_with(
    conn: &mut Conn,
    path: &Path,
    sections: Sections,
    defer_keys: bool,
) -> Result<()> {
    let file =
        File::open(path).with_context(|| format!("cannot open schema file {}", path.display()))?;
    let mut reader = MysqlReader::new(BufReader::with_capacity(256 * 1024, file), path);
    let mut markers = Markers::default();
    while let Some(item) = reader.next_item()? {
        match item {
            Item::Marker { text, line } => markers.take(path, line, &text)?,
            Item::Statement { sql, line } => {
                if sections.wants(markers.section.as_deref()) {
                    let split = (defer_keys && markers.section.as_deref() == Some("pre-data"))
                        .then(|| keys::split_create(&sql))
                        .flatten();
                    let sql = split.map_or(sql, |(create, _)| create);
                    conn.query_drop(&sql).await.map_err(|e| {
                        anyhow!("{}:{line}: {}", path.display(), server_message(&e))
                    })?;
                }
            }
            Item::Meta { line, .. } | Item::CopyIn { line, .. } => {
                bail!(
                    "{}:{line}: not a MySQL script (psql syntax)",
                    path.display()
                )
            }
        }
    }
    if markers.truncated() {
        bail!(
            "{}:{}: the schema file has no end marker (truncated?); nothing was replaced",
            path.display(),
            reader.line()
        );
    }
    Ok(())
}

/// The statements that make a schema file's code: its session settings
/// (before the first section) and its `code` section, in order.
pub fn code_statements(path: &Path) -> Result<Vec<String>> {
    let file =
        File::open(path).with_context(|| format!("cannot open schema file {}", path.display()))?;
    let mut reader = MysqlReader::new(BufReader::new(file), path);
    let mut markers = Markers::default();
    let mut out = Vec::new();
    while let Some(item) = reader.next_item()? {
        match item {
            Item::Marker { text, line } => markers.take(path, line, &text)?,
            Item::Statement { sql, .. } => {
                if Sections::Code.wants(markers.section.as_deref()) {
                    out.push(sql);
                }
            }
            Item::Meta { line, .. } | Item::CopyIn { line, .. } => {
                bail!(
                    "{}:{line}: not a MySQL script (psql syntax)",
                    path.display()
                )
            }
        }
    }
    Ok(out)
}
