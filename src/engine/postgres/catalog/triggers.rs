//! Triggers: CREATE [CONSTRAINT] TRIGGER and their enabled state, post-data.

use std::fmt::Write as _;

use anyhow::Result;

use super::*;

impl CatalogReader<'_> {
    pub(super) async fn triggers(&mut self) -> Result<()> {
        for r in self.rows("triggers", include_str!("triggers.sql")).await? {
            let (o, relid) = (oid(&r, "oid"), oid(&r, "relid"));
            let Some(rel) = self.relations.get(&relid) else {
                continue;
            };
            let qname = s(&r, "qname");
            let mut sql = format!("{};\n", s(&r, "def"));
            let state = match s(&r, "enabled").as_str() {
                "D" => "DISABLE",
                "A" => "ENABLE ALWAYS",
                "R" => "ENABLE REPLICA",
                _ => "",
            };
            if !state.is_empty() {
                writeln!(sql, "ALTER TABLE {} {state} TRIGGER {qname};", rel.qname).unwrap();
            }
            sql += &self.comment(
                PG_TRIGGER,
                o,
                0,
                &format!("TRIGGER {qname} ON {}", rel.qname),
            );
            let (schema, table, label) = (
                rel.schema.clone(),
                rel.name.clone(),
                format!("TRIGGER {qname} ON {}", rel.qname),
            );
            self.push(
                Key::of(PG_TRIGGER, o),
                Section::PostData,
                group::TRIGGER,
                (&schema, &table, &s(&r, "name")),
                label,
                sql,
                vec![Key::of(PG_CLASS, relid)],
            );
        }
        Ok(())
    }
}
