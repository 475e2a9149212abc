//! Rewrite rules other than a view's own `_RETURN`, post-data.

use std::fmt::Write as _;

use anyhow::Result;

use super::*;

impl CatalogReader<'_> {
    pub(super) async fn rules(&mut self) -> Result<()> {
        let rows = self.on_table_rows("rules", include_str!("rules.sql"));
        for (o, relid, table, r) in rows.await? {
            let qname = s(&r, "qname");
            let mut sql = format!("{}\n", s(&r, "def").trim_end());
            if s(&r, "enabled") == "D" {
                writeln!(sql, "ALTER TABLE {} DISABLE RULE {qname};", table)
                    .expect("writing to a String cannot fail");
            }
            self.push_on_table((PG_REWRITE, o), relid, "RULE", group::RULE, &r, sql);
        }
        Ok(())
    }
}
