//! Foreign keys of the new tables that give up their names while the swap's
//! RENAME runs.
//!
//! InnoDB keeps a foreign key's chosen name for the whole database (only
//! names of the `table_ibfk_N` form follow a renamed table). A live table
//! with triggers cannot leave its database, so the swap parks it in place,
//! where it still holds its keys' names when the new tables move in; a new
//! table that brings one of those names would make the RENAME fail. Such a
//! key takes a temporary name in the staging build just before the RENAME,
//! and its own name back once the parked tables are dropped. With
//! `foreign_key_checks = 0` both are changes of the catalog only: the rows
//! are not read again and the key's index stays as it is.

use std::collections::BTreeSet;

use anyhow::{Context, Result};
use mysql_async::prelude::Queryable;
use mysql_async::Conn;

use super::connect::ident;
use super::exec;
use crate::error::ServerError;

/// One key of a new table that moves in under a temporary name.
#[derive(Debug, Clone, PartialEq)]
pub struct Rekey {
    table: String,
    name: String,
    tmp: String,
    /// `(columns) REFERENCES <table> (columns) ON ...`, with the referenced
    /// table's database left as `{db}`.
    clause: Clause,
}

#[derive(Debug, Clone, PartialEq)]
struct Clause {
    columns: Vec<String>,
    /// `None` when it is the new table's own database.
    ref_db: Option<String>,
    ref_table: String,
    ref_columns: Vec<String>,
    on_delete: String,
    on_update: String,
}

impl Clause {
    /// The key's definition for a table that lives in `home`.
    fn sql(&self, home: &str) -> String {
        let list = |c: &[String]| c.iter().map(|c| ident(c)).collect::<Vec<_>>().join(", ");
        let db = self.ref_db.as_deref().unwrap_or(home);
        let mut sql = format!(
            "FOREIGN KEY ({}) REFERENCES {}.{} ({})",
            list(&self.columns),
            ident(db),
            ident(&self.ref_table),
            list(&self.ref_columns)
        );
        // RESTRICT is what MariaDB reports for a key without the clause, and
        // one added by ALTER TABLE with an explicit ON UPDATE RESTRICT comes
        // out as NO ACTION (checked on 10.11): the clause is left out, as
        // SHOW CREATE TABLE does. (MySQL 8 reports NO ACTION for a key
        // without the clause; it is written out then.)
        for (what, rule) in [("DELETE", &self.on_delete), ("UPDATE", &self.on_update)] {
            if rule != "RESTRICT" {
                sql.push_str(&format!(" ON {what} {rule}"));
            }
        }
        sql
    }
}

impl Rekey {
    /// The statement that gives the key the name `to` in place of `from`.
    fn rename(&self, home: &str, from: &str, to: &str) -> String {
        format!(
            "ALTER TABLE {}.{} DROP FOREIGN KEY {}, ADD CONSTRAINT {} {}",
            ident(home),
            ident(&self.table),
            ident(from),
            ident(to),
            self.clause.sql(home)
        )
    }

    /// What the swap's journal keeps: the temporary name, and the statement
    /// that gives the key its own name back in `target`.
    pub fn journal_entry(&self, target: &str) -> String {
        format!(
            "{}\n{}",
            self.tmp,
            self.rename(target, &self.tmp, &self.name)
        )
    }
}

/// The keys of `staging`'s tables whose names a table of `target` parked in
/// place (`in_place`) holds; `run` is unique to the run (hex digits, so the
/// temporary names hold nothing of the user's, not even a newline).
pub async fn plan(
    admin: &mut Conn,
    staging: &str,
    target: &str,
    in_place: &BTreeSet<String>,
    run: &str,
) -> Result<Vec<Rekey>> {
    let live: Vec<(String, String)> = admin
        .exec(
            "SELECT CONSTRAINT_NAME, TABLE_NAME FROM information_schema.REFERENTIAL_CONSTRAINTS \
             WHERE CONSTRAINT_SCHEMA = ?",
            (target,),
        )
        .await
        .map_err(ServerError::from)?;
    // InnoDB compares key names without case.
    let held: BTreeSet<String> = live
        .into_iter()
        .filter(|(name, table)| in_place.contains(table) && !is_generated_key_name(name, table))
        .map(|(name, _)| name.to_lowercase())
        .collect();
    if held.is_empty() {
        return Ok(Vec::new());
    }
    type KeyColumn = (
        String,
        String,
        String,
        String,
        String,
        String,
        String,
        String,
    );
    let columns: Vec<KeyColumn> = admin
        .exec(
            "SELECT k.TABLE_NAME, k.CONSTRAINT_NAME, k.COLUMN_NAME, k.REFERENCED_TABLE_SCHEMA, \
             k.REFERENCED_TABLE_NAME, k.REFERENCED_COLUMN_NAME, r.DELETE_RULE, r.UPDATE_RULE \
             FROM information_schema.KEY_COLUMN_USAGE k \
             JOIN information_schema.REFERENTIAL_CONSTRAINTS r \
               ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.TABLE_NAME = k.TABLE_NAME \
              AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME \
             WHERE k.CONSTRAINT_SCHEMA = ? AND k.REFERENCED_TABLE_NAME IS NOT NULL \
             ORDER BY k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION",
            (staging,),
        )
        .await
        .map_err(ServerError::from)?;
    let mut keys: Vec<Rekey> = Vec::new();
    for (table, name, column, ref_db, ref_table, ref_column, on_delete, on_update) in columns {
        if !held.contains(&name.to_lowercase()) {
            continue;
        }
        match keys.last_mut() {
            Some(k) if k.table == table && k.name == name => {
                k.clause.columns.push(column);
                k.clause.ref_columns.push(ref_column);
            }
            _ => {
                let tmp = format!("__dbsnap_fk{}_{run}", keys.len());
                keys.push(Rekey {
                    table,
                    name,
                    tmp,
                    clause: Clause {
                        columns: vec![column],
                        ref_db: (ref_db != staging).then_some(ref_db),
                        ref_table,
                        ref_columns: vec![ref_column],
                        on_delete,
                        on_update,
                    },
                });
            }
        }
    }
    Ok(keys)
}

/// Gives the keys their temporary names in `staging`.
pub async fn apply(admin: &mut Conn, staging: &str, keys: &[Rekey]) -> Result<()> {
    if keys.is_empty() {
        return Ok(());
    }
    exec(admin, "SET SESSION foreign_key_checks = 0").await?;
    for k in keys {
        exec(admin, &k.rename(staging, &k.name, &k.tmp))
            .await
            .with_context(|| {
                format!(
                    "renaming foreign key {} of {staging}.{} for the swap",
                    k.name, k.table
                )
            })?;
    }
    exec(admin, "SET SESSION foreign_key_checks = 1").await
}

/// Gives the keys of journal entries their own names back in `target`;
/// one already named back (a finish that was killed) is left alone. The
/// caller has set `foreign_key_checks = 0`, so that the rows are not read.
pub async fn restore(admin: &mut Conn, target: &str, entries: &[String]) -> Result<()> {
    for entry in entries {
        let Some((tmp, back)) = entry.split_once('\n') else {
            continue;
        };
        let there: Option<String> = admin
            .exec_first(
                "SELECT CONSTRAINT_NAME FROM information_schema.REFERENTIAL_CONSTRAINTS \
                 WHERE CONSTRAINT_SCHEMA = ? AND CONSTRAINT_NAME = ?",
                (target, tmp),
            )
            .await
            .map_err(ServerError::from)?;
        if there.is_some() {
            exec(admin, back).await.with_context(|| {
                format!("giving foreign key {tmp} of {target} its own name back")
            })?;
        }
    }
    Ok(())
}

/// InnoDB's own name for an unnamed foreign key of `table`, which follows
/// the table when it is renamed.
fn is_generated_key_name(name: &str, table: &str) -> bool {
    name.strip_prefix(table)
        .and_then(|rest| rest.strip_prefix("_ibfk_"))
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knows_innodbs_own_key_names() {
        assert!(is_generated_key_name("a_ibfk_1", "a"));
        assert!(is_generated_key_name("my_t_ibfk_12", "my_t"));
        assert!(!is_generated_key_name("a_ibfk_1", "b"));
        assert!(!is_generated_key_name("a_ibfk_", "a"));
        assert!(!is_generated_key_name("orders_customer_id_fkey", "orders"));
    }

    #[test]
    fn names_a_key_back_with_its_whole_definition() {
        let k = Rekey {
            table: "we`ird".into(),
            name: "fk `x`".into(),
            tmp: "db__dbsnap_old_abc_fk0".into(),
            clause: Clause {
                columns: vec!["a".into(), "b".into()],
                ref_db: None,
                ref_table: "p".into(),
                ref_columns: vec!["x".into(), "y".into()],
                on_delete: "CASCADE".into(),
                on_update: "RESTRICT".into(),
            },
        };
        assert_eq!(
            k.journal_entry("app"),
            "db__dbsnap_old_abc_fk0\nALTER TABLE `app`.`we``ird` DROP FOREIGN KEY `db__dbsnap_old_abc_fk0`, \
             ADD CONSTRAINT `fk ``x``` FOREIGN KEY (`a`, `b`) REFERENCES `app`.`p` (`x`, `y`) \
             ON DELETE CASCADE"
        );
    }
}
