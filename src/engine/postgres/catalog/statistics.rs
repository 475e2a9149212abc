//! Extended statistics (CREATE STATISTICS), post-data.

use std::fmt::Write as _;

use anyhow::Result;

use super::*;

impl CatalogReader<'_> {
    pub(super) async fn statistics(&mut self) -> Result<()> {
        for r in self
            .rows("statistics", include_str!("statistics.sql"))
            .await?
        {
            let (o, relid) = (oid(&r, "oid"), oid(&r, "relid"));
            if !self.relations.contains_key(&relid) || self.is_member(PG_STATISTIC_EXT, o) {
                continue;
            }
            let qname = s(&r, "qname");
            let mut sql = format!("{};\n", s(&r, "def"));
            let target: i32 = r.get("stat_target");
            if target >= 0 {
                writeln!(sql, "ALTER STATISTICS {qname} SET STATISTICS {target};")
                    .expect("writing to a String cannot fail");
            }
            sql += &self.comment(PG_STATISTIC_EXT, o, 0, &format!("STATISTICS {qname}"));
            self.push(
                Key::of(PG_STATISTIC_EXT, o),
                Section::PostData,
                group::STATISTICS,
                (&s(&r, "schema"), &s(&r, "name"), ""),
                format!("STATISTICS {qname}"),
                sql,
                vec![Key::of(PG_CLASS, relid)],
            );
        }
        Ok(())
    }
}
