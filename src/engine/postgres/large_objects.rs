//! Large objects (pg_largeobject) live outside every table, and data
//! snapshots carry only tables' rows. A database that holds some would come
//! back without them, its oid columns pointing at nothing, so the export
//! refuses it unless told to leave them out (pg_dump's `--no-large-objects`).

use anyhow::{bail, Context, Result};
use tokio_postgres::Client;

use crate::engine::{ChecksumKind, DataOptions, TableState};
use crate::error::ServerError;

/// Fails when the snapshot would silently lose large objects. Like pg_dump,
/// an export of chosen tables (`--table`) does not speak for them.
pub async fn refuse_if_present(client: &Client, opts: &DataOptions) -> Result<()> {
    if opts.no_large_objects || !opts.tables.is_empty() {
        return Ok(());
    }
    let count: i64 = client
        .query_one(
            "SELECT count(*) FROM pg_catalog.pg_largeobject_metadata",
            &[],
        )
        .await
        .map_err(ServerError::from)?
        .get(0);
    if count > 0 {
        bail!(
            "the database holds {count} large object(s) (pg_largeobject), which data snapshots \
             do not carry: a restore would lose them and leave the oids that refer to them \
             pointing at nothing. Back them up with pg_dump (it includes \
             large objects), or pass --no-large-objects to snapshot the tables without them"
        );
    }
    Ok(())
}

/// How verify names the large objects in its table.
const SHOWN: &str = "(large objects)";

/// The database's large objects as verify compares them (None: there are
/// none): their count, and with a checksum the order-independent sum of
/// each object's oid and content, as the tables' server checksum sums rows.
pub async fn state(client: &Client, checksum: ChecksumKind) -> Result<Option<TableState>> {
    let sql = match checksum {
        ChecksumKind::Server => {
            "SELECT count(*), coalesce(sum(('x' || substr(md5(m.oid::text || ':' || \
             md5(pg_catalog.lo_get(m.oid))), 1, 16))::bit(64)::int8::numeric), 0)::text \
             FROM pg_catalog.pg_largeobject_metadata m"
        }
        // A snapshot's manifest has no large objects to compare with.
        _ => "SELECT count(*), NULL::text FROM pg_catalog.pg_largeobject_metadata",
    };
    let row = client
        .query_one(sql, &[])
        .await
        .map_err(ServerError::from)
        .context("reading the large objects")?;
    let count: i64 = row.get(0);
    Ok((count > 0).then(|| TableState {
        name: SHOWN.to_string(),
        rows: count as u64,
        checksum: row
            .get::<_, Option<String>>(1)
            .map(|s| format!("md5sum:{s}")),
    }))
}
