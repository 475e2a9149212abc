//! Running mysql-client scripts (schema snapshots) over mysql_async.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use anyhow::{Context, Result};
use mysql_async::prelude::Queryable;
use mysql_async::Conn;

use super::keys;
use crate::engine::order::Section;
use crate::error::ServerError;
use crate::script::schemafile::{self, PostDataBar};
use crate::script::statement::Dialect;
use crate::script::{Item, MysqlReader};
use crate::snapshot::markers;

pub use crate::script::schemafile::Sections;

/// `-- dbsnap:database-charset CHARSET COLLATION` from a schema snapshot.
pub fn database_charset(path: &Path) -> Result<Option<(String, String)>> {
    let file =
        File::open(path).with_context(|| format!("cannot open schema file {}", path.display()))?;
    let mut reader = MysqlReader::new(BufReader::new(file), path);
    while let Some(item) = reader.next_item()? {
        match item {
            Item::Marker { text, .. } => {
                if let Some((c, k)) = markers::database_charset(&text) {
                    return Ok(Some((c.to_string(), k.to_string())));
                }
                if markers::is_section(&text) {
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
    run_counted(conn, path, sections, false, &PostDataBar::none()).await
}

/// The pre-data section with InnoDB tables created without their secondary
/// indexes; `keys::add` adds them after the rows.
pub async fn run_pre_data_deferring_keys(conn: &mut Conn, path: &Path) -> Result<()> {
    run_counted(conn, path, Sections::PreData, true, &PostDataBar::none()).await
}

/// The post-data section (foreign keys), each statement counted on `bar`.
pub async fn run_post_data(conn: &mut Conn, path: &Path, bar: &PostDataBar) -> Result<()> {
    run_counted(conn, path, Sections::PostData, false, bar).await
}

async fn run_counted(
    conn: &mut Conn,
    path: &Path,
    sections: Sections,
    defer_keys: bool,
    bar: &PostDataBar,
) -> Result<()> {
    for statement in schemafile::statements(path, Dialect::MySql)? {
        if sections.wants(statement.section) {
            let line = statement.line;
            let split = (defer_keys && statement.section == Some(Section::PreData))
                .then(|| keys::split_create(&statement.sql))
                .flatten();
            let sql = split.map_or(statement.sql, |(create, _)| create);
            conn.query_drop(&sql)
                .await
                .map_err(ServerError::from)
                .with_context(|| format!("{}:{line}", path.display()))?;
            if statement.section == Some(Section::PostData) {
                bar.done(&sql);
            }
        }
    }
    Ok(())
}

/// The statements that make a schema file's code: its session settings
/// (before the first section) and its `code` section, in order.
pub fn code_statements(path: &Path) -> Result<Vec<String>> {
    Ok(schemafile::statements(path, Dialect::MySql)?
        .into_iter()
        .filter(|s| Sections::Code.wants(s.section))
        .map(|s| s.sql)
        .collect())
}
