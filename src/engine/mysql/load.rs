//! Running mysql-client scripts (schema snapshots) over mysql_async.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use anyhow::{bail, Context, Result};
use mysql_async::prelude::Queryable;
use mysql_async::Conn;

use crate::engine::order::Section;
use crate::error::ServerError;
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
    fn wants(self, section: Option<Section>) -> bool {
        match (self, section) {
            (Sections::All, _) | (_, None) => true,
            (Sections::PreData, Some(s)) => s == Section::PreData,
            (Sections::PostData, Some(s)) => s == Section::PostData,
            (Sections::Code, Some(s)) => s == Section::Code,
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
    let file =
        File::open(path).with_context(|| format!("cannot open schema file {}", path.display()))?;
    let mut reader = MysqlReader::new(BufReader::with_capacity(256 * 1024, file), path);
    let mut markers = Markers::default();
    while let Some(item) = reader.next_item()? {
        match item {
            Item::Marker { text, line } => markers.take(path, line, &text)?,
            Item::Statement { sql, line } => {
                if sections.wants(markers.section) {
                    conn.query_drop(&sql)
                        .await
                        .map_err(ServerError::from)
                        .with_context(|| format!("{}:{line}", path.display()))?;
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
                if Sections::Code.wants(markers.section) {
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
