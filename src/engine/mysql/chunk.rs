//! Big tables read in primary-key ranges, so that several connections of the
//! same snapshot share one table. The ranges of a table are appended one
//! after the other, so the file still holds each table as one block.

use std::collections::HashMap;

use anyhow::{Context, Result};
use mysql_async::prelude::Queryable;
use mysql_async::Conn;

use super::connect::ident;
use super::data::DataTable;
use crate::error::ServerError;

/// A table is cut into ranges of about this much data (the server's
/// DATA_LENGTH): small enough that two connections stay busy to the end,
/// large enough that the extra queries cost nothing.
const CHUNK_BYTES: u64 = 16 * 1024 * 1024;

/// At most this many ranges per table.
const MAX_CHUNKS: u64 = 256;

/// One piece of the export: a whole table, or one range of its primary key.
pub struct Chunk {
    /// Index into the export's table list.
    pub table: usize,
    /// `WHERE` condition of the range; None for the whole table.
    pub filter: Option<String>,
    /// This range's number and the table's count of ranges (0-based, 1 for a whole table).
    pub part: u64,
    pub parts: u64,
}

impl Chunk {
    pub fn first(&self) -> bool {
        self.part == 0
    }

    pub fn last(&self) -> bool {
        self.part + 1 == self.parts
    }
}

/// The pieces for `tables`, in order: tables whose data (by the server's
/// estimate) is above CHUNK_BYTES, and whose primary key starts with an
/// integer column, are cut into ranges of equal width between that column's
/// MIN and MAX, read on `conn` inside the snapshot. `whole(i)` keeps a table
/// in one piece (its rows are left out anyway).
pub async fn plan(
    conn: &mut Conn,
    tables: &[DataTable],
    whole: impl Fn(usize) -> bool,
) -> Result<Vec<Chunk>> {
    let keys: HashMap<String, String> = conn
        .query::<(String, String), _>(include_str!("sql/chunk_keys.sql"))
        .await
        .map_err(ServerError::from)?
        .into_iter()
        .collect();
    let mut chunks = Vec::new();
    for (index, table) in tables.iter().enumerate() {
        let wanted = (table.est_bytes / CHUNK_BYTES).min(MAX_CHUNKS);
        let ranges = match keys.get(&table.name) {
            Some(column) if wanted >= 2 && !whole(index) => {
                key_ranges(conn, table, column, wanted).await?
            }
            _ => Vec::new(),
        };
        if ranges.is_empty() {
            chunks.push(Chunk {
                table: index,
                filter: None,
                part: 0,
                parts: 1,
            });
            continue;
        }
        let parts = ranges.len() as u64;
        for (part, filter) in ranges.into_iter().enumerate() {
            chunks.push(Chunk {
                table: index,
                filter: Some(filter),
                part: part as u64,
                parts,
            });
        }
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
        .map_err(ServerError::from)
        .with_context(|| format!("reading table {}", table.quoted()))?;
    let parse = |v: Option<String>| v.and_then(|v| v.parse::<i128>().ok());
    let Some((Some(min), Some(max))) = bounds.map(|(a, b)| (parse(a), parse(b))) else {
        return Ok(Vec::new());
    };
    Ok(splits(min, max, wanted)
        .windows(2)
        .enumerate()
        .map(|(i, w)| {
            let (low, high) = (w[0], w[1]);
            match (i == 0, high > max) {
                (true, true) => "TRUE".to_string(),
                (true, false) => format!("{column} < {high}"),
                (false, true) => format!("{column} >= {low}"),
                (false, false) => format!("{column} >= {low} AND {column} < {high}"),
            }
        })
        .collect())
}

/// Boundaries cutting `min..=max` into at most `wanted` ranges of equal
/// width: `min`, ..., `max + 1`, strictly increasing.
fn splits(min: i128, max: i128, wanted: u64) -> Vec<i128> {
    let width = max - min + 1;
    let n = (wanted as i128).clamp(1, width.max(1));
    let mut out: Vec<i128> = (0..n).map(|k| min + width * k / n).collect();
    out.push(max + 1);
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_cover_the_keys_once() {
        assert_eq!(splits(1, 100, 4), [1, 26, 51, 76, 101]);
        assert_eq!(splits(5, 6, 4), [5, 6, 7]);
        assert_eq!(splits(7, 7, 3), [7, 8]);
        // The whole BIGINT UNSIGNED span, and negative keys.
        let wide = splits(0, u64::MAX as i128, 3);
        assert_eq!(wide.len(), 4);
        assert_eq!(*wide.last().unwrap(), u64::MAX as i128 + 1);
        assert_eq!(splits(i64::MIN as i128, -1, 2)[1], i64::MIN as i128 / 2);
        for (min, max, n) in [(1, 1000, 7), (-50, 50, 3), (0, 9, 20)] {
            let s = splits(min, max, n);
            assert!(s.windows(2).all(|w| w[0] < w[1]), "{s:?}");
            assert_eq!((s[0], *s.last().unwrap()), (min, max + 1));
        }
    }
}
