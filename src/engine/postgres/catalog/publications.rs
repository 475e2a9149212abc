//! Publications, with the tables and schemas they publish (post-data, as
//! pg_dump has them: after the tables and their keys).

use anyhow::Result;

use super::*;

impl CatalogReader<'_> {
    pub(super) async fn publications(&mut self) -> Result<()> {
        for r in self
            .rows("publications", include_str!("publications.sql"))
            .await?
        {
            let (class, o, pub_oid, rel) = (
                oid(&r, "class"),
                oid(&r, "oid"),
                oid(&r, "pub"),
                oid(&r, "rel"),
            );
            let mut ddl = s(&r, "ddl");
            let mut deps = Vec::new();
            if class == PG_PUBLICATION {
                ddl += &self.comment(class, o, 0, &s(&r, "target"));
            } else {
                deps.push(Key::of(PG_PUBLICATION, pub_oid));
                if rel != 0 {
                    // A table left out (or made by an extension) cannot be published.
                    if self.is_member(PG_CLASS, rel) {
                        continue;
                    }
                    deps.push(Key::of(PG_CLASS, rel));
                }
            }
            self.push(
                Key::of(class, o),
                Section::PostData,
                group::PUBLICATION,
                (&s(&r, "schema"), &s(&r, "name"), &s(&r, "label")),
                s(&r, "label"),
                ddl,
                deps,
            );
        }
        Ok(())
    }
}
