//! Types: enums, composites, ranges and domains (with their constraints).

use std::collections::HashMap;
use std::fmt::Write as _;

use anyhow::Result;
use tokio_postgres::Row;

use super::*;

impl CatalogReader<'_> {
    pub(super) async fn types(&mut self) -> Result<()> {
        let mut labels: HashMap<u32, Vec<String>> = HashMap::new();
        for r in self
            .rows("enum labels", include_str!("enum_labels.sql"))
            .await?
        {
            labels
                .entry(oid(&r, "type_oid"))
                .or_default()
                .push(literal(&s(&r, "label")));
        }
        let mut ranges: HashMap<u32, Row> = HashMap::new();
        for r in self.rows("range types", include_str!("ranges.sql")).await? {
            ranges.insert(oid(&r, "type_oid"), r);
        }
        // Columns of composite types come with the relation columns.
        self.load_columns().await?;
        let constraints = self
            .rows("constraints", include_str!("constraints.sql"))
            .await?;

        for r in self.rows("types", include_str!("types.sql")).await? {
            let o = oid(&r, "oid");
            if self.is_member(PG_TYPE, o) {
                continue;
            }
            let (schema, name, qname, kind) = (
                s(&r, "schema"),
                s(&r, "name"),
                s(&r, "qname"),
                s(&r, "kind"),
            );
            let mut post = Vec::new();
            let mut sql = match kind.as_str() {
                "e" => {
                    let values = labels.remove(&o).unwrap_or_default();
                    if values.is_empty() {
                        format!("CREATE TYPE {qname} AS ENUM (\n);\n")
                    } else {
                        format!(
                            "CREATE TYPE {qname} AS ENUM (\n    {}\n);\n",
                            values.join(",\n    ")
                        )
                    }
                }
                "c" => {
                    let relid = oid(&r, "relid");
                    self.owner_of.insert((PG_CLASS, relid), Key::of(PG_TYPE, o));
                    let cols = self.columns.get(&relid).map(Vec::as_slice).unwrap_or(&[]);
                    let defs: Vec<String> = cols
                        .iter()
                        .map(|c| match &c.collation {
                            Some(coll) => format!("{} {} COLLATE {coll}", c.qname, c.type_name),
                            None => format!("{} {}", c.qname, c.type_name),
                        })
                        .collect();
                    let mut sql = format!(
                        "CREATE TYPE {qname} AS (\n    {}\n);\n",
                        defs.join(",\n    ")
                    );
                    for c in cols {
                        sql += &self.comment(
                            PG_CLASS,
                            relid,
                            c.num,
                            &format!("COLUMN {qname}.{}", c.qname),
                        );
                    }
                    sql
                }
                "r" => {
                    let Some(rng) = ranges.get(&o) else { continue };
                    let mut parts = vec![
                        format!("subtype = {}", s(rng, "subtype")),
                        format!("multirange_type_name = {}", s(rng, "multirange")),
                    ];
                    for (field, col) in [
                        ("subtype_opclass", "opclass"),
                        ("collation", "collation"),
                        ("canonical", "canonical"),
                        ("subtype_diff", "subdiff"),
                    ] {
                        if let Some(v) = opt(rng, col) {
                            parts.push(format!("{field} = {v}"));
                        }
                    }
                    format!(
                        "CREATE TYPE {qname} AS RANGE (\n    {}\n);\n",
                        parts.join(",\n    ")
                    )
                }
                "d" => {
                    let mut sql = format!("CREATE DOMAIN {qname} AS {}", s(&r, "base_type"));
                    if let Some(c) = opt(&r, "collation") {
                        write!(sql, " COLLATE {c}").expect("writing to a String cannot fail");
                    }
                    if let Some(d) = opt(&r, "default_expr") {
                        write!(sql, " DEFAULT {d}").expect("writing to a String cannot fail");
                    }
                    if r.get::<_, bool>("not_null") {
                        sql.push_str(" NOT NULL");
                    }
                    for c in constraints.iter().filter(|c| oid(c, "typid") == o) {
                        let con = oid(c, "oid");
                        self.owner_of
                            .insert((PG_CONSTRAINT, con), Key::of(PG_TYPE, o));
                        let target = format!("CONSTRAINT {} ON DOMAIN {qname}", s(c, "qname"));
                        if c.get::<_, bool>("validated") {
                            write!(sql, "\n    CONSTRAINT {} {}", s(c, "qname"), s(c, "def"))
                                .expect("writing to a String cannot fail");
                            post.push(self.comment(PG_CONSTRAINT, con, 0, &target));
                        } else {
                            let stmt = format!(
                                "ALTER DOMAIN {qname} ADD CONSTRAINT {} {};\n{}",
                                s(c, "qname"),
                                s(c, "def"),
                                self.comment(PG_CONSTRAINT, con, 0, &target)
                            );
                            let label = format!("DOMAIN CONSTRAINT {} ON {qname}", s(c, "qname"));
                            self.push(
                                Key::of(PG_CONSTRAINT, con),
                                Section::PostData,
                                group::CHECK,
                                (&schema, &name, &s(c, "name")),
                                label,
                                stmt,
                                vec![Key::of(PG_TYPE, o)],
                            );
                        }
                    }
                    sql.push_str(";\n");
                    sql
                }
                // Base and shell types are listed by the unsupported query.
                _ => continue,
            };
            let what = if kind == "d" { "DOMAIN" } else { "TYPE" };
            sql += &self.comment(PG_TYPE, o, 0, &format!("{what} {qname}"));
            sql.extend(post);
            self.push(
                Key::of(PG_TYPE, o),
                Section::PreData,
                group::TYPE,
                (&schema, &name, ""),
                format!("{what} {qname}"),
                sql,
                vec![],
            );
        }
        self.constraint_rows = constraints;
        Ok(())
    }
}
