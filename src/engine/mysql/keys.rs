//! Secondary indexes built after the rows (what myloader's --optimize-keys
//! does): `init --data` creates InnoDB tables with only their primary key,
//! loads the rows, then adds the other indexes with one ALTER per table.
//! InnoDB builds an index from sorted rows several times faster than it
//! maintains it row by row.
//!
//! The indexes are taken from the schema file's own CREATE TABLE (SHOW CREATE
//! TABLE output, one definition a line), so a resumed init finds the same
//! list. Foreign keys are in the post-data section, added after the indexes
//! they need. The server orders a table's keys itself (unique before plain,
//! then as defined), and re-adding them in their SHOW CREATE order keeps it.

use std::collections::{BTreeSet, VecDeque};
use std::path::Path;
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result};
use mysql_async::prelude::Queryable;
use mysql_async::Conn;
use tokio::sync::mpsc;

use crate::engine::order::Section;
use crate::error::ServerError;
use crate::script::schemafile::{self, PostDataBar};
use crate::script::statement::PostDataStep;
use crate::script::statement::{Dialect, TableName};

/// A table's secondary indexes, as clauses of an ALTER TABLE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeferredKeys {
    pub table: TableName,
    /// (index name, `KEY ...` definition as SHOW CREATE TABLE writes it).
    pub keys: Vec<(String, String)>,
}

/// Splits a CREATE TABLE of an InnoDB table into the statement without its
/// secondary indexes and those indexes; None leaves the statement as it is
/// (not the shape SHOW CREATE TABLE writes, or nothing to defer).
pub fn split_create(sql: &str) -> Option<(String, DeferredKeys)> {
    let (head, rest) = sql.split_once('\n')?;
    let name = head.strip_prefix("CREATE TABLE ")?.strip_suffix(" (")?;
    let table = TableName::parse(Dialect::MySql, name)?;
    let close = rest.find("\n) ")?;
    let (body, tail) = (&rest[..close], &rest[close + 1..]);
    // Only InnoDB builds indexes from sorted rows. Long unique (hash) keys
    // keep an order of their own; foreign keys need their indexes.
    if !tail.contains("ENGINE=InnoDB")
        || body.contains(" USING HASH")
        || body.contains(" FOREIGN KEY ")
    {
        return None;
    }
    let mut kept = Vec::new();
    let mut keys = Vec::new();
    for line in body.split('\n') {
        let def = line.strip_prefix("  ")?.trim_end_matches(',');
        let key = ["KEY `", "UNIQUE KEY `", "FULLTEXT KEY `", "SPATIAL KEY `"]
            .iter()
            .find(|p| def.starts_with(*p));
        match key {
            Some(prefix) => {
                let quoted = &def[prefix.len() - 1..];
                let name = TableName::parse(Dialect::MySql, quoted.split_once(" (")?.0)?.name;
                keys.push((name, def.to_string()));
            }
            None => kept.push(def),
        }
    }
    // InnoDB wants the auto-increment column first in some key: unless the
    // primary key starts with it, a secondary key may be that key.
    let primary = kept.iter().find(|d| d.starts_with("PRIMARY KEY ("))?;
    let auto = kept
        .iter()
        .find(|d| d.starts_with('`') && d.contains(" AUTO_INCREMENT"));
    if let Some(column) = auto {
        let name = column.get(..column.find("` ")? + 1)?;
        let first = &primary["PRIMARY KEY (".len()..];
        if !(first.starts_with(&format!("{name},")) || first.starts_with(&format!("{name})"))) {
            return None;
        }
    }
    if keys.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(sql.len());
    out.push_str(head);
    out.push('\n');
    for (i, def) in kept.iter().enumerate() {
        out.push_str("  ");
        out.push_str(def);
        out.push_str(if i + 1 < kept.len() { ",\n" } else { "\n" });
    }
    out.push_str(tail);
    Some((out, DeferredKeys { table, keys }))
}

/// The indexes `init` defers for the pre-data section of `path`.
pub fn deferred(path: &Path) -> Result<Vec<DeferredKeys>> {
    Ok(schemafile::statements(path, Dialect::MySql)?
        .iter()
        .filter(|s| s.section == Some(Section::PreData))
        .filter_map(|s| split_create(&s.sql).map(|(_, keys)| keys))
        .collect())
}

/// Adds the indexes each table lacks, one ALTER per table, the tables
/// shared by the connections. Indexes already there (a resumed init) are
/// left as they are.
pub async fn add(
    conns: Vec<&mut Conn>,
    deferred: Vec<DeferredKeys>,
    bar: &PostDataBar,
) -> Result<()> {
    let queue = Arc::new(Mutex::new(VecDeque::from(deferred)));
    let runs = conns.into_iter().map(|conn| {
        let queue = queue.clone();
        async move {
            loop {
                let next = queue.lock().expect("not poisoned").pop_front();
                let Some(table) = next else {
                    return Ok::<(), anyhow::Error>(());
                };
                add_one(conn, &table).await?;
                for _ in &table.keys {
                    bar.step(PostDataStep::Index);
                }
            }
        }
    });
    futures_util::future::try_join_all(runs).await?;
    Ok(())
}

/// Builds the indexes of each table whose rows are in, on a connection of
/// its own, while the other tables still load: loading keeps both cores
/// only about 60 % busy (one table loads at a time while the reader goes
/// through the file in order), and the builds would otherwise all come
/// after the last row.
pub struct Early {
    state: Arc<Mutex<Taken>>,
    loaded: Option<mpsc::UnboundedSender<TableName>>,
    builder: tokio::task::JoinHandle<Result<Vec<DeferredKeys>>>,
}

/// What the builder has taken, and whether it may take more.
#[derive(Default)]
struct Taken {
    stopped: bool,
    tables: BTreeSet<TableName>,
}

impl Early {
    pub fn start(mut conn: Conn, deferred: &[DeferredKeys]) -> Early {
        let (tx, mut rx) = mpsc::unbounded_channel::<TableName>();
        let state = Arc::new(Mutex::new(Taken::default()));
        let taken = state.clone();
        let deferred = deferred.to_vec();
        let builder = tokio::spawn(async move {
            let mut built = Vec::new();
            while let Some(table) = rx.recv().await {
                let Some(keys) = deferred.iter().find(|d| d.table == table) else {
                    continue;
                };
                {
                    let mut taken = taken.lock().expect("not poisoned");
                    if taken.stopped {
                        break;
                    }
                    if !taken.tables.insert(table) {
                        continue;
                    }
                }
                add_one(&mut conn, keys).await?;
                built.push(keys.clone());
            }
            conn.disconnect().await.ok();
            Ok(built)
        });
        Early {
            state,
            loaded: Some(tx),
            builder,
        }
    }

    /// Where the load reports each table whose rows are in.
    pub fn loaded(&self) -> mpsc::UnboundedSender<TableName> {
        self.loaded.clone().expect("taken only by stop")
    }

    /// The builder takes no more tables; of `deferred`, those it has not
    /// taken are left for `add`.
    pub fn stop(&mut self, deferred: Vec<DeferredKeys>) -> Vec<DeferredKeys> {
        self.loaded = None;
        let mut taken = self.state.lock().expect("not poisoned");
        taken.stopped = true;
        deferred
            .into_iter()
            .filter(|d| !taken.tables.contains(&d.table))
            .collect()
    }

    /// Waits for the build in flight; the tables built, for the progress bar.
    pub async fn finish(self) -> Result<Vec<DeferredKeys>> {
        self.builder
            .await
            .map_err(|e| anyhow::anyhow!("the index builder stopped: {e}"))?
    }
}

async fn add_one(conn: &mut Conn, deferred: &DeferredKeys) -> Result<()> {
    let quoted = deferred.table.quoted(Dialect::MySql);
    let existing: BTreeSet<String> = conn
        .exec::<String, _, _>(
            "SELECT DISTINCT INDEX_NAME FROM information_schema.STATISTICS \
             WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?",
            (deferred.table.name.as_str(),),
        )
        .await
        .map_err(ServerError::from)
        .with_context(|| format!("reading the indexes of {quoted}"))?
        .into_iter()
        .collect();
    let clauses: Vec<String> = deferred
        .keys
        .iter()
        .filter(|(name, _)| !existing.contains(name))
        .map(|(_, def)| format!("ADD {def}"))
        .collect();
    if clauses.is_empty() {
        return Ok(());
    }
    conn.query_drop(format!("ALTER TABLE {quoted} {}", clauses.join(", ")))
        .await
        .map_err(ServerError::from)
        .with_context(|| format!("adding the secondary indexes of {quoted} after its rows"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_secondary_keys_off() {
        let sql = "CREATE TABLE `t` (\n  `id` int(11) NOT NULL,\n  `a` int(11) DEFAULT NULL,\n  \
                   PRIMARY KEY (`id`),\n  UNIQUE KEY `a_u` (`a`),\n  KEY `a_i` (`a`) COMMENT 'x, y'\n\
                   ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4";
        let (create, keys) = split_create(sql).unwrap();
        assert_eq!(
            create,
            "CREATE TABLE `t` (\n  `id` int(11) NOT NULL,\n  `a` int(11) DEFAULT NULL,\n  \
             PRIMARY KEY (`id`)\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"
        );
        assert_eq!(keys.table.name, "t");
        assert_eq!(
            keys.keys,
            vec![
                ("a_u".to_string(), "UNIQUE KEY `a_u` (`a`)".to_string()),
                (
                    "a_i".to_string(),
                    "KEY `a_i` (`a`) COMMENT 'x, y'".to_string()
                ),
            ]
        );
    }

    #[test]
    fn leaves_other_tables_alone() {
        let no_pk = "CREATE TABLE `t` (\n  `a` int(11),\n  KEY `a` (`a`)\n) ENGINE=InnoDB";
        let aria = "CREATE TABLE `t` (\n  `a` int(11),\n  PRIMARY KEY (`a`),\n  KEY `b` (`a`)\n) ENGINE=Aria";
        let hash = "CREATE TABLE `t` (\n  `a` blob,\n  `b` int,\n  PRIMARY KEY (`b`),\n  UNIQUE KEY `a` (`a`) USING HASH\n) ENGINE=InnoDB";
        let auto_second = "CREATE TABLE `t` (\n  `a` int(11) NOT NULL,\n  `id` int(11) NOT NULL AUTO_INCREMENT,\n  \
                           PRIMARY KEY (`a`,`id`),\n  KEY `i` (`id`)\n) ENGINE=InnoDB";
        let auto_first = auto_second.replace("(`a`,`id`)", "(`id`,`a`)");
        assert!(split_create(&auto_first).is_some());
        let no_keys = "CREATE TABLE `t` (\n  `a` int(11),\n  PRIMARY KEY (`a`)\n) ENGINE=InnoDB";
        for sql in [
            no_pk,
            aria,
            hash,
            no_keys,
            auto_second,
            "CREATE TABLE `t` (`a` int) ENGINE=InnoDB",
        ] {
            assert_eq!(split_create(sql), None, "{sql}");
        }
    }
}
