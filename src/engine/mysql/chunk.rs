//! Big tables read in primary-key ranges, so that several connections of the
//! same snapshot share one table. The ranges of a table are appended one
//! after the other, so the file still holds each table as one block.

use std::collections::HashMap;

use anyhow::{Context, Result};
use mysql_async::prelude::Queryable;
use mysql_async::Conn;

use super::connect::ident;
use super::data::DataTable;
use crate::engine::chunk::{self, Chunk, ExportTable};

/// The pieces for `tables`, in order: tables that `chunk::wanted` cuts for
/// `jobs` connections, and whose primary key starts with an integer column,
/// are cut into ranges of equal width between that column's MIN and MAX,
/// read on `conn` inside the snapshot. `whole(i)` keeps a table in one piece
/// (its rows are left out anyway).
pub async fn plan(
    conn: &mut Conn,
    tables: &[DataTable],
    jobs: usize,
    whole: impl Fn(usize) -> bool,
) -> Result<Vec<Chunk>> {
    let keys: HashMap<String, String> = conn
        .query::<(String, String), _>(include_str!("sql/chunk_keys.sql"))
        .await
        .map_err(super::data::read_error)?
        .into_iter()
        .collect();
    let wanted = chunk::cuts(tables, jobs, whole);
    let mut chunks = Vec::new();
    for (index, table) in tables.iter().enumerate() {
        let wanted = wanted[index];
        let ranges = match keys.get(&table.name) {
            Some(column) if wanted >= 2 => key_ranges(conn, table, column, wanted).await?,
            _ => Vec::new(),
        };
        chunk::push_table(&mut chunks, index, ranges);
    }
    Ok(chunks)
}

/// Up to `wanted` conditions that together cover every row exactly once: the
/// first range is open below and the last open above, so no value can fall
/// outside them.
async fn key_ranges(
    conn: &mut Conn,
    table: &DataTable,
    column: &str,
    wanted: u64,
) -> Result<Vec<String>> {
    let column = ident(column);
    let sql = format!(
        "SELECT CAST(MIN({column}) AS CHAR), CAST(MAX({column}) AS CHAR) FROM {}",
        table.quoted()
    );
    let bounds: Option<(Option<String>, Option<String>)> = conn
        .query_first(sql)
        .await
        .map_err(super::data::read_error)
        .with_context(|| format!("reading table {}", table.quoted()))?;
    let parse = |v: Option<String>| v.and_then(|v| v.parse::<i128>().ok());
    let Some((Some(min), Some(max))) = bounds.map(|(a, b)| (parse(a), parse(b))) else {
        return Ok(Vec::new());
    };
    let bounds = chunk::splits(min, max + 1, wanted);
    Ok(chunk::conditions(
        &bounds,
        |low| format!("{column} >= {low}"),
        |high| format!("{column} < {high}"),
    ))
}
