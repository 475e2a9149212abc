//! Base types and shell types. A base type is made in two steps, as pg_dump
//! does: `CREATE TYPE x;` (the shell), then its I/O functions, which may name
//! the shell, then the full `CREATE TYPE x (...)`.

use anyhow::Result;

use super::*;

impl CatalogReader<'_> {
    pub(super) async fn base_types(&mut self) -> Result<()> {
        for r in self
            .rows("C functions", include_str!("c_functions.sql"))
            .await?
        {
            self.c_functions.insert(oid(&r, "oid"));
        }
        let rows = self.own_rows(PG_TYPE, "base types", include_str!("base_types.sql"));
        for (o, r) in rows.await? {
            let (schema, name, qname) = (s(&r, "schema"), s(&r, "name"), s(&r, "qname"));
            let shell = format!("CREATE TYPE {qname};\n");
            let comment = self.comment(PG_TYPE, o, 0, &format!("TYPE {qname}"));
            let key = Key::of(PG_TYPE, o);
            // A type never defined is its shell alone.
            let (sql, deps) = if r.get::<_, bool>("defined") {
                self.push(
                    key.with(Part::Shell),
                    Section::PreData,
                    group::TYPE,
                    (&schema, &name, "shell"),
                    format!("SHELL TYPE {qname}"),
                    shell,
                    vec![],
                );
                self.base_types.insert(o);
                (s(&r, "ddl") + &comment, vec![key.with(Part::Shell)])
            } else {
                (shell + &comment, vec![])
            };
            self.push(
                key,
                Section::PreData,
                group::TYPE,
                (&schema, &name, ""),
                format!("TYPE {qname}"),
                sql,
                deps,
            );
        }
        Ok(())
    }
}
