//! Rewrite rules other than a view's own `_RETURN`, post-data.

use std::fmt::Write as _;

use anyhow::Result;

use super::*;

impl CatalogReader<'_> {
    pub(super) async fn rules(&mut self) -> Result<()> {
        for r in self.rows("rules", include_str!("rules.sql")).await? {
            let (o, relid) = (oid(&r, "oid"), oid(&r, "relid"));
            let Some(rel) = self.relations.get(&relid) else {
                continue;
            };
            let qname = s(&r, "qname");
            let mut sql = format!("{}\n", s(&r, "def").trim_end());
            if s(&r, "enabled") == "D" {
                writeln!(sql, "ALTER TABLE {} DISABLE RULE {qname};", rel.qname)
                    .expect("writing to a String cannot fail");
            }
            sql += &self.comment(PG_REWRITE, o, 0, &format!("RULE {qname} ON {}", rel.qname));
            let (schema, table, label) = (
                rel.schema.clone(),
                rel.name.clone(),
                format!("RULE {qname} ON {}", rel.qname),
            );
            self.push(
                Key::of(PG_REWRITE, o),
                Section::PostData,
                group::RULE,
                (&schema, &table, &s(&r, "name")),
                label,
                sql,
                vec![Key::of(PG_CLASS, relid)],
            );
        }
        Ok(())
    }
}
