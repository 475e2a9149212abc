//! Large objects (pg_largeobject) live outside every table, and data
//! snapshots carry only tables' rows. A database that holds some would come
//! back without them, its oid columns pointing at nothing, so the export
//! refuses it unless told to leave them out (pg_dump's `--no-large-objects`).

use anyhow::{bail, Result};
use tokio_postgres::Client;

use crate::engine::DataOptions;
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
             pointing at nothing. Nothing was written. Back them up with pg_dump (it includes \
             large objects), or pass --no-large-objects to snapshot the tables without them"
        );
    }
    Ok(())
}
