//! Big tables read in ranges of their physical row addresses (CTID), so that
//! several connections of the same exported snapshot share one table. The
//! ranges of a table are appended one after the other, so the file still
//! holds each table as one COPY block; only the order of its rows may differ
//! from a single scan's, which the order-independent checksum does not see.
//!
//! A CTID range is read by a TID range scan (PostgreSQL 14 and later), which
//! visits only the range's pages; older servers scan the whole table for each
//! range, so there tables are never cut.

use anyhow::{Context, Result};
use tokio_postgres::Client;

use super::data::DataTable;
use crate::error::ServerError;

/// A table is cut into ranges of about this much data (pg_table_size): small
/// enough that two connections stay busy to the end, large enough that the
/// extra queries cost nothing.
const CHUNK_BYTES: u64 = 16 * 1024 * 1024;

/// At most this many ranges per table.
const MAX_CHUNKS: u64 = 256;

/// The first server version with TID range scans.
const TID_RANGE_SCAN: i32 = 140000;

/// One piece of the export: a whole table, or one range of its pages.
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
    pub fn whole(table: usize) -> Chunk {
        Chunk {
            table,
            filter: None,
            part: 0,
            parts: 1,
        }
    }

    pub fn first(&self) -> bool {
        self.part == 0
    }

    pub fn last(&self) -> bool {
        self.part + 1 == self.parts
    }
}

/// The size above which a table is cut. The tests lower it through
/// DBSNAP_TEST_CHUNK_BYTES to cut small tables; it is no user setting.
fn chunk_bytes() -> u64 {
    std::env::var("DBSNAP_TEST_CHUNK_BYTES")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&v| v > 0)
        .unwrap_or(CHUNK_BYTES)
}

/// The pieces for `tables`, in order: tables whose size (by the catalog) is
/// at least twice the chunk size are cut into ranges of about equal page
/// counts, measured on `client` inside the snapshot. `whole(i)` keeps a
/// table in one piece (its rows are left out anyway).
pub async fn plan(
    client: &Client,
    tables: &[DataTable],
    whole: impl Fn(usize) -> bool,
) -> Result<Vec<Chunk>> {
    let version: i32 = client
        .query_one(
            "SELECT pg_catalog.current_setting('server_version_num')::int4",
            &[],
        )
        .await
        .map_err(ServerError::from)
        .context("reading the server version")?
        .get(0);
    let size = chunk_bytes();
    let mut chunks = Vec::new();
    for (index, table) in tables.iter().enumerate() {
        let wanted = (table.est_bytes / size).min(MAX_CHUNKS);
        // A table without columns has no SELECT list to read it by.
        let cut =
            version >= TID_RANGE_SCAN && wanted >= 2 && !whole(index) && !table.columns.is_empty();
        let ranges = if cut {
            page_ranges(client, table, wanted).await?
        } else {
            Vec::new()
        };
        if ranges.is_empty() {
            chunks.push(Chunk::whole(index));
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
/// first range is open below and the last open above, so a row on a page
/// added since the size was read still falls in one of them.
async fn page_ranges(client: &Client, table: &DataTable, wanted: u64) -> Result<Vec<String>> {
    let pages: i64 = client
        .query_one(
            "SELECT pg_catalog.pg_relation_size($1::text::regclass) \
             / pg_catalog.current_setting('block_size')::int8",
            &[&table.qname],
        )
        .await
        .map_err(ServerError::from)
        .with_context(|| format!("sizing table {}", table.qname))?
        .get(0);
    let bounds = splits(pages.max(0) as u64, wanted);
    if bounds.len() < 3 {
        return Ok(Vec::new());
    }
    let tid = |page: u64| format!("ctid >= '({page},0)'::pg_catalog.tid");
    let below = |page: u64| format!("ctid < '({page},0)'::pg_catalog.tid");
    let last = bounds.len() - 2;
    Ok(bounds
        .windows(2)
        .enumerate()
        .map(|(i, w)| match (i == 0, i == last) {
            (true, _) => below(w[1]),
            (_, true) => tid(w[0]),
            _ => format!("{} AND {}", tid(w[0]), below(w[1])),
        })
        .collect())
}

/// Page boundaries cutting `0..pages` into at most `wanted` ranges of equal
/// width: 0, ..., `pages`, strictly increasing.
fn splits(pages: u64, wanted: u64) -> Vec<u64> {
    let n = wanted.clamp(1, pages.max(1));
    let mut out: Vec<u64> = (0..n).map(|k| pages * k / n).collect();
    out.push(pages);
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_cover_the_pages_once() {
        assert_eq!(splits(100, 4), [0, 25, 50, 75, 100]);
        assert_eq!(splits(2, 4), [0, 1, 2]);
        assert_eq!(splits(1, 3), [0, 1]);
        assert_eq!(splits(0, 3), [0]);
        for (pages, n) in [(1000, 7), (3, 3), (10, 20), (21_000, 256)] {
            let s = splits(pages, n);
            assert!(s.windows(2).all(|w| w[0] < w[1]), "{s:?}");
            assert_eq!((s[0], *s.last().unwrap()), (0, pages));
            assert!(s.len() as u64 <= n + 1);
        }
    }
}
