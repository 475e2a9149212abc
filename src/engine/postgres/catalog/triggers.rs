//! Triggers: CREATE [CONSTRAINT] TRIGGER and their enabled state, post-data.

use std::collections::HashMap;
use std::fmt::Write as _;

use anyhow::Result;

use super::*;

impl CatalogReader<'_> {
    pub(super) async fn triggers(&mut self) -> Result<()> {
        let rows = self.on_table_rows("triggers", include_str!("triggers.sql"));
        for (o, relid, table, r) in rows.await? {
            let qname = s(&r, "qname");
            let mut sql = format!("{};\n", s(&r, "def"));
            let state = enabled_word(&s(&r, "enabled"));
            if !state.is_empty() {
                writeln!(sql, "ALTER TABLE {} {state} TRIGGER {qname};", table)
                    .expect("writing to a String cannot fail");
            }
            self.push_on_table((PG_TRIGGER, o), relid, "TRIGGER", group::TRIGGER, &r, sql);
        }
        self.trigger_clone_states().await
    }

    /// A trigger cloned onto a partition is made by the parent's trigger, with
    /// the parent's enabled state; a clone whose state was changed on its own
    /// gets that state set again (as pg_dump does), after the trigger that
    /// makes it exists.
    async fn trigger_clone_states(&mut self) -> Result<()> {
        let rows = self
            .rows("cloned triggers", include_str!("trigger_clones.sql"))
            .await?;
        let parent_of: HashMap<u32, u32> = rows
            .iter()
            .map(|r| (oid(r, "oid"), oid(r, "parent")))
            .collect();
        for r in &rows {
            let (o, relid) = (oid(r, "oid"), oid(r, "relid"));
            let (enabled, parent_enabled) = (s(r, "enabled"), s(r, "parent_enabled"));
            let Some(rel) = self.relations.get(&relid) else {
                continue;
            };
            if enabled == parent_enabled {
                continue;
            }
            let mut root = oid(r, "parent");
            while let Some(&up) = parent_of.get(&root) {
                root = up;
            }
            let state = match enabled_word(&enabled) {
                "" => "ENABLE",
                word => word,
            };
            let qname = s(r, "qname");
            let sql = format!("ALTER TABLE {} {state} TRIGGER {qname};\n", rel.qname);
            let label = format!("TRIGGER STATE {qname} ON {}", rel.qname);
            let (schema, table) = (rel.schema.clone(), rel.name.clone());
            self.push(
                Key::of(PG_TRIGGER, o),
                Section::PostData,
                group::TRIGGER,
                (&schema, &table, &s(r, "name")),
                label,
                sql,
                vec![
                    Key::of(PG_CLASS, relid),
                    Key::of(PG_TRIGGER, root),
                    Key::of(PG_TRIGGER, oid(r, "parent")),
                ],
            );
        }
        Ok(())
    }
}

/// The ALTER TABLE word for a pg_trigger.tgenabled value; empty for the default.
fn enabled_word(enabled: &str) -> &'static str {
    match enabled {
        "D" => "DISABLE",
        "A" => "ENABLE ALWAYS",
        "R" => "ENABLE REPLICA",
        _ => "",
    }
}
