//! Readying a table for an import's rows: what is taken down for the load
//! and put back after it, inside the import's transaction.
//!
//! Building an index once over all rows is several times faster than
//! inserting every row into it, and a foreign key checked once over all rows
//! is faster than one lookup (and row lock) per row. Only what comes back
//! exactly is taken down: the queries in `sql/import_droppable_*.sql` say
//! what qualifies. DDL is transactional: a failed load rolls the drops back
//! with the rows.

use anyhow::{Context, Result};
use tokio_postgres::Client;

use super::column_types;
use super::names::{self, Emptied};
use crate::engine::ImportOptions;
use crate::error::ServerError;
use crate::script::statement::{Dialect, TableName};

/// An index or foreign key dropped before a table's rows and created again
/// after them.
pub struct Dropped {
    pub name: String,
    pub definition: String,
}

/// A foreign key dropped before a table's rows and added again after the
/// whole file, on `owner`: the loaded table itself (`ALTER TABLE ONLY`), or
/// the partitioned table it inherits the key from (then from and to every
/// partition at once).
pub struct DroppedKey {
    pub owner: String,
    pub only: bool,
    pub key: Dropped,
}

impl DroppedKey {
    pub fn alter(&self, action: &str) -> String {
        let only = if self.only { "ONLY " } else { "" };
        format!("ALTER TABLE {only}{} {action}", self.owner)
    }
}

/// A partitioned index dropped from the top of its tree for the load (with
/// every member, one per partition) and built again after the whole file,
/// as pg_dump restores one: the top with ON ONLY, each member under its own
/// name, each attached to its parent.
pub struct DroppedTree {
    pub root: String,
    /// The table the top index is on.
    pub table: String,
    /// (name, definition, the index it is attached to), top down.
    indexes: Vec<(String, String, Option<String>)>,
}

impl DroppedTree {
    /// The statements that build the tree again: every index top down, then
    /// the attachments bottom up, so that each parent is complete (and valid)
    /// once its last member is attached.
    pub fn statements(&self) -> Vec<String> {
        let mut sql: Vec<String> = self.indexes.iter().map(|(_, d, _)| d.clone()).collect();
        sql.extend(self.indexes.iter().rev().filter_map(|(name, _, parent)| {
            parent
                .as_ref()
                .map(|p| format!("ALTER INDEX {p} ATTACH PARTITION {name}"))
        }));
        sql
    }
}

/// A COPY of the file, as its reader parsed it.
pub struct Copy {
    pub sql: String,
    pub columns: Vec<String>,
    /// The source's column types, where the file records them.
    pub types: Option<Vec<String>>,
}

/// What an empty table's load took down, to put back.
pub struct Prepared {
    /// The COPY statement to run (with FREEZE where it may).
    pub sql: String,
    /// The table's own indexes, built again right after its rows.
    pub indexes: Vec<Dropped>,
    /// Foreign keys, added back after the whole file.
    pub keys: Vec<DroppedKey>,
    /// Partitioned indexes, built again after the whole file (their other
    /// partitions' rows come in later blocks).
    pub trees: Vec<DroppedTree>,
}

/// Readies an empty table for its COPY block, inside the load's transaction.
/// The indexes `pg_get_indexdef` recreates exactly are dropped here and
/// built again after the rows. Foreign keys are dropped too and added back
/// after the whole file (the caller does that), unless
/// `--disable-constraints` asked for no checks at all. So are the
/// partitioned indexes the table's indexes are members of, when the whole
/// partitioned table is empty. A table emptied by `--truncate` in this
/// transaction also takes COPY FREEZE: its rows are written frozen, sparing
/// the server a pass over them later.
///
/// The table is named by schema and name from here on, and every definition
/// is read with an empty search_path, so that the server qualifies every
/// name in it: the file may change search_path before they are run again
/// (foreign keys after the whole file), and must not change what they name.
///
/// Where the file records the source's column types, a column that would
/// round or cut them stops the load first ([`column_types::check`]).
pub async fn prepare_table(
    client: &Client,
    table: &TableName,
    copy: Copy,
    emptied: &[Emptied],
    opts: &ImportOptions,
) -> Result<Prepared> {
    let (meant, oid, truncated_here) = names::meaning(client, table, emptied).await?;
    let quoted = meant.quoted(Dialect::Postgres);
    let file_path = names::set_setting(client, "search_path", "").await?;
    let checked = match &copy.types {
        Some(types) => column_types::check(client, oid, &copy.columns, types).await,
        None => Ok(()),
    };
    let prepared = match checked {
        Ok(()) => prepare_qualified(client, quoted, copy.sql, truncated_here, opts).await,
        Err(e) => Err(e),
    };
    // After a failed step the transaction is aborted, and putting the
    // file's search_path back fails too: the first error is the one to tell.
    let restored = names::set_setting(client, "search_path", &file_path).await;
    let prepared = prepared?;
    restored?;
    Ok(prepared)
}

async fn prepare_qualified(
    client: &Client,
    quoted: String,
    sql: String,
    truncated_here: bool,
    opts: &ImportOptions,
) -> Result<Prepared> {
    let rows = client
        .query(include_str!("sql/import_droppable_indexes.sql"), &[&quoted])
        .await
        .map_err(ServerError::from)
        .context("reading its indexes")?;
    let (keys, inherited) = if opts.disable_constraints {
        (Vec::new(), Vec::new())
    } else {
        let quoted = &quoted;
        let read = |sql| async move {
            client
                .query(sql, &[quoted])
                .await
                .map_err(ServerError::from)
                .context("reading its foreign keys")
        };
        (
            read(include_str!("sql/import_droppable_foreign_keys.sql")).await?,
            read(include_str!(
                "sql/import_droppable_partition_foreign_keys.sql"
            ))
            .await?,
        )
    };
    let mut dropped = Vec::new();
    let mut dropped_keys = Vec::new();
    if !rows.is_empty() || !keys.is_empty() {
        // A table that already holds rows keeps its indexes: rebuilding them
        // over the old rows could cost more than the load saves.
        if truncated_here || holds_no_rows(client, "ONLY ", &quoted).await? {
            for row in rows {
                let index = Dropped {
                    name: row.get("name"),
                    definition: row.get("definition"),
                };
                client
                    .batch_execute(&format!("DROP INDEX {}", index.name))
                    .await
                    .map_err(ServerError::from)
                    .with_context(|| format!("dropping index {} for the load", index.name))?;
                dropped.push(index);
            }
            for row in keys {
                let key = DroppedKey {
                    owner: quoted.clone(),
                    only: true,
                    key: Dropped {
                        name: row.get("name"),
                        definition: row.get("definition"),
                    },
                };
                drop_key(client, &key).await?;
                dropped_keys.push(key);
            }
        }
    }
    // A partition's inherited keys are checked row by row, and each check
    // locks the referenced row: loading the bench's orders partitions took
    // 60 s of a 127 s import at 12M rows (11.5 s of 26 s at 3M). They go
    // from the whole partitioned table, if it holds no rows yet (its other
    // partitions would be checked again when the key comes back).
    for row in inherited {
        let key = DroppedKey {
            owner: row.get("owner"),
            only: false,
            key: Dropped {
                name: row.get("name"),
                definition: row.get("definition"),
            },
        };
        if holds_no_rows(client, "", &key.owner).await? {
            drop_key(client, &key).await?;
            dropped_keys.push(key);
        }
    }
    let trees = drop_trees(client, &quoted).await?;
    let sql = if truncated_here && can_freeze(client, &quoted).await? {
        format!("{sql} WITH (FREEZE)")
    } else {
        sql
    };
    Ok(Prepared {
        sql,
        indexes: dropped,
        keys: dropped_keys,
        trees,
    })
}

/// Drops the partitioned indexes that reach the partition `quoted`, each
/// from the top of its tree, when the table at the top holds no rows yet
/// (its other partitions' members would be built over their old rows
/// again). The rows of the first partition's block go in without them;
/// later blocks find the members gone.
async fn drop_trees(client: &Client, quoted: &str) -> Result<Vec<DroppedTree>> {
    let rows = client
        .query(
            include_str!("sql/import_droppable_partitioned_indexes.sql"),
            &[&quoted],
        )
        .await
        .map_err(ServerError::from)
        .context("reading its partitioned indexes")?;
    let mut trees: Vec<DroppedTree> = Vec::new();
    for row in rows {
        let root: String = row.get("root");
        let index = (row.get("name"), row.get("definition"), row.get("parent"));
        match trees.last_mut() {
            Some(tree) if tree.root == root => tree.indexes.push(index),
            _ => trees.push(DroppedTree {
                root,
                table: row.get("root_table"),
                indexes: vec![index],
            }),
        }
    }
    let mut dropped = Vec::new();
    for tree in trees {
        if holds_no_rows(client, "", &tree.table).await? {
            client
                .batch_execute(&format!("DROP INDEX {}", tree.root))
                .await
                .map_err(ServerError::from)
                .with_context(|| {
                    format!(
                        "dropping index {} (of {}) for the load",
                        tree.root, tree.table
                    )
                })?;
            dropped.push(tree);
        }
    }
    Ok(dropped)
}

/// Whether `table` (`only`: "ONLY " for itself without its partitions)
/// holds no rows.
async fn holds_no_rows(client: &Client, only: &str, table: &str) -> Result<bool> {
    Ok(client
        .query_one(
            &format!("SELECT NOT EXISTS (SELECT 1 FROM {only}{table})"),
            &[],
        )
        .await
        .map_err(ServerError::from)?
        .get(0))
}

async fn drop_key(client: &Client, dropped: &DroppedKey) -> Result<()> {
    let name = &dropped.key.name;
    client
        .batch_execute(&dropped.alter(&format!("DROP CONSTRAINT {name}")))
        .await
        .map_err(ServerError::from)
        .with_context(|| format!("dropping foreign key {name} for the load"))
}

/// COPY FREEZE takes only a plain table (not a partitioned or foreign one),
/// and only a COPY statement without options of its own.
async fn can_freeze(client: &Client, quoted: &str) -> Result<bool> {
    let row = client
        .query_one(
            "SELECT relkind OPERATOR(pg_catalog.=) 'r' FROM pg_catalog.pg_class \
             WHERE oid OPERATOR(pg_catalog.=) $1::pg_catalog.text::pg_catalog.regclass::pg_catalog.oid",
            &[&quoted],
        )
        .await
        .map_err(ServerError::from)?;
    Ok(row.get::<_, bool>(0))
}
