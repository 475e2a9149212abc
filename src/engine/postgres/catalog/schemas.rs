//! Schemas and the extensions created in them.

use anyhow::Result;

use super::*;

impl CatalogReader<'_> {
    pub(super) async fn schemas(&mut self) -> Result<()> {
        for r in self.rows("schemas", include_str!("schemas.sql")).await? {
            let (o, name, qname) = (oid(&r, "oid"), s(&r, "name"), s(&r, "qname"));
            if self.is_member(PG_NAMESPACE, o) {
                continue;
            }
            // Every new database has `public`; only its comment can differ.
            let mut sql = match name.as_str() {
                // A public schema handed to a role (as older servers and many
                // dumps do) belongs to whoever loads the snapshot, like every
                // other object we create.
                "public" if !r.get::<_, bool>("default_owner") => {
                    "ALTER SCHEMA public OWNER TO CURRENT_USER;\n".to_string()
                }
                "public" => String::new(),
                _ => format!("CREATE SCHEMA {qname};\n"),
            };
            sql += &self.comment(PG_NAMESPACE, o, 0, &format!("SCHEMA {qname}"));
            self.push(
                Key::of(PG_NAMESPACE, o),
                Section::PreData,
                group::SCHEMA,
                (&name, "", ""),
                format!("SCHEMA {qname}"),
                sql,
                vec![],
            );
        }
        Ok(())
    }

    pub(super) async fn extensions(&mut self) -> Result<()> {
        for r in self
            .rows("extensions", include_str!("extensions.sql"))
            .await?
        {
            let (o, name, qname) = (oid(&r, "oid"), s(&r, "name"), s(&r, "qname"));
            let mut sql = format!(
                "CREATE EXTENSION IF NOT EXISTS {qname} WITH SCHEMA {};\n",
                s(&r, "schema_qname")
            );
            sql += &self.comment(PG_EXTENSION, o, 0, &format!("EXTENSION {qname}"));
            let deps = vec![Key::of(PG_NAMESPACE, oid(&r, "schema_oid"))];
            self.push(
                Key::of(PG_EXTENSION, o),
                Section::PreData,
                group::EXTENSION,
                ("", &name, ""),
                format!("EXTENSION {qname}"),
                sql,
                deps,
            );
        }
        Ok(())
    }
}
