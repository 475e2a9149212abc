//! Collations (libc and ICU).

use anyhow::Result;

use super::*;

impl CatalogReader<'_> {
    pub(super) async fn collations(&mut self) -> Result<()> {
        let rows = self.own_rows(PG_COLLATION, "collations", include_str!("collations.sql"));
        for (o, r) in rows.await? {
            let qname = s(&r, "qname");
            let mut parts = Vec::new();
            match s(&r, "provider").as_str() {
                "i" => {
                    parts.push("provider = icu".to_string());
                    parts.push(format!(
                        "locale = {}",
                        literal(&opt(&r, "icu_locale").unwrap_or_default())
                    ));
                }
                _ => {
                    parts.push("provider = libc".to_string());
                    parts.push(format!(
                        "lc_collate = {}",
                        literal(&opt(&r, "lc_collate").unwrap_or_default())
                    ));
                    parts.push(format!(
                        "lc_ctype = {}",
                        literal(&opt(&r, "lc_ctype").unwrap_or_default())
                    ));
                }
            }
            if !r.get::<_, bool>("deterministic") {
                parts.push("deterministic = false".to_string());
            }
            let mut sql = format!("CREATE COLLATION {qname} ({});\n", parts.join(", "));
            sql += &self.comment(PG_COLLATION, o, 0, &format!("COLLATION {qname}"));
            self.push(
                Key::of(PG_COLLATION, o),
                Section::PreData,
                group::COLLATION,
                (&s(&r, "schema"), &s(&r, "name"), ""),
                format!("COLLATION {qname}"),
                sql,
                vec![],
            );
        }
        Ok(())
    }
}
