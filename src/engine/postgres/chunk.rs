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
use crate::engine::chunk::{self, Chunk};
use crate::error::ServerError;

/// The first server version with TID range scans.
const TID_RANGE_SCAN: i32 = 140000;

/// The pieces for `tables`, in order: tables that `chunk::wanted` cuts for
/// `jobs` connections are cut into ranges of about equal page counts,
/// measured on `client` inside the snapshot. `whole(i)` keeps a table in one
/// piece (its rows are left out anyway).
pub async fn plan(
    client: &Client,
    tables: &[DataTable],
    jobs: usize,
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
    let wanted = chunk::cuts(tables, jobs, whole);
    let mut chunks = Vec::new();
    for (index, table) in tables.iter().enumerate() {
        let wanted = wanted[index];
        // A table without columns has no SELECT list to read it by.
        let cut = version >= TID_RANGE_SCAN && wanted >= 2 && !table.columns.is_empty();
        let ranges = if cut {
            page_ranges(client, table, wanted).await?
        } else {
            Vec::new()
        };
        chunk::push_table(&mut chunks, index, ranges);
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
    let bounds = chunk::splits(0, i128::from(pages.max(0)), wanted);
    Ok(chunk::conditions(
        &bounds,
        |page| format!("ctid >= '({page},0)'::pg_catalog.tid"),
        |page| format!("ctid < '({page},0)'::pg_catalog.tid"),
    ))
}
