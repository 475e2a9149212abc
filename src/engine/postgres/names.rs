//! What a data file's table names mean. A file may set search_path, and an
//! unqualified name then means a table of the schema it names: each name is
//! resolved where the file uses it, and what dbsnap keeps to run later (a
//! foreign key to add back, a sequence position) is kept by schema and name,
//! so that a later search_path cannot point it at another table.

use anyhow::{bail, Result};
use tokio_postgres::Client;

use crate::error::ServerError;
use crate::script::statement::{Dialect, Restore, TableName};

/// What `table` means here, under the search_path the file set: the table
/// by schema and name, its oid, and whether `--truncate` emptied it. A name that meant
/// another table when `--truncate` emptied it is an error (the file changed
/// search_path): its rows would go to one table while another lost its own.
pub async fn meaning(
    client: &Client,
    table: &TableName,
    emptied: &[Emptied],
) -> Result<(TableName, u32, bool)> {
    let (meant, oid) = resolve(client, table).await?;
    match emptied.iter().find(|e| &e.table == table) {
        Some(e) if e.oid != oid => bail!(
            "--truncate emptied {} for this name, but here the name means {meant}: the \
             file changed search_path between them. Nothing was committed.",
            e.meant
        ),
        found => Ok((meant, oid, found.is_some())),
    }
}

/// A table `import --truncate` emptied: the file's name for it, and what that
/// name meant when it was emptied.
pub struct Emptied {
    pub table: TableName,
    pub meant: TableName,
    pub oid: u32,
}

/// What the tables `import --truncate` empties are, as it empties them.
pub async fn emptied(client: &Client, tables: &[TableName]) -> Result<Vec<Emptied>> {
    let mut emptied = Vec::with_capacity(tables.len());
    for table in tables {
        let (meant, oid) = resolve(client, table).await?;
        emptied.push(Emptied {
            table: table.clone(),
            meant,
            oid,
        });
    }
    Ok(emptied)
}

/// The table (or sequence) `table` means under the session's search_path
/// now, by schema and name, and its oid.
///
/// That search_path is the file's, and a schema in it may hold operators and
/// types of anyone who may create there (CVE-2018-1058): an `=` for (oid,
/// regclass) would be a better match than the built-in one and run as
/// dbsnap's user. So every operator and type here is pg_catalog's by name.
pub(super) async fn resolve(client: &Client, table: &TableName) -> Result<(TableName, u32)> {
    let row = client
        .query_one(
            "SELECT n.nspname::pg_catalog.text, c.relname::pg_catalog.text, c.oid \
             FROM pg_catalog.pg_class c \
             JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace \
             WHERE c.oid OPERATOR(pg_catalog.=) \
                   $1::pg_catalog.text::pg_catalog.regclass::pg_catalog.oid",
            &[&table.quoted(Dialect::Postgres)],
        )
        .await
        .map_err(ServerError::from)?;
    let meant = TableName {
        schema: Some(row.get(0)),
        name: row.get(1),
    };
    Ok((meant, row.get(2)))
}

/// Sets one of the session's settings; returns the value it replaces. The
/// file's own settings apply to its rows; what dbsnap reads and builds
/// around them sets what it needs and puts the file's back.
pub async fn set_setting(client: &Client, name: &str, value: &str) -> Result<String> {
    let was: String = client
        .query_one("SELECT pg_catalog.current_setting($1)", &[&name])
        .await
        .map_err(ServerError::from)?
        .get(0);
    client
        .query_one(
            "SELECT pg_catalog.set_config($1, $2, false)",
            &[&name, &value],
        )
        .await
        .map_err(ServerError::from)?;
    Ok(was)
}

/// `restore` with its sequence named by schema, as the name means here.
pub async fn pin_restore(client: &Client, restore: Restore) -> Result<Restore> {
    let (meant, _) = resolve(client, restore.target()).await?;
    Ok(restore.with_target(meant))
}
