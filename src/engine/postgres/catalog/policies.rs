//! Row-level security policies, post-data.

use std::fmt::Write as _;

use anyhow::Result;

use super::*;

impl CatalogReader<'_> {
    pub(super) async fn policies(&mut self) -> Result<()> {
        for r in self.rows("policies", include_str!("policies.sql")).await? {
            let (o, relid) = (oid(&r, "oid"), oid(&r, "relid"));
            let Some(rel) = self.relations.get(&relid) else {
                continue;
            };
            let qname = s(&r, "qname");
            let cmd = match s(&r, "cmd").as_str() {
                "r" => "SELECT",
                "a" => "INSERT",
                "w" => "UPDATE",
                "d" => "DELETE",
                _ => "ALL",
            };
            let mut sql = format!("CREATE POLICY {qname} ON {}", rel.qname);
            if !r.get::<_, bool>("permissive") {
                sql.push_str(" AS RESTRICTIVE");
            }
            let roles: Vec<String> = r.get("roles");
            write!(sql, " FOR {cmd} TO {}", roles.join(", "))
                .expect("writing to a String cannot fail");
            if let Some(e) = opt(&r, "using_expr") {
                write!(sql, " USING ({e})").expect("writing to a String cannot fail");
            }
            if let Some(e) = opt(&r, "check_expr") {
                write!(sql, " WITH CHECK ({e})").expect("writing to a String cannot fail");
            }
            sql.push_str(";\n");
            sql += &self.comment(PG_POLICY, o, 0, &format!("POLICY {qname} ON {}", rel.qname));
            let (schema, table, label) = (
                rel.schema.clone(),
                rel.name.clone(),
                format!("POLICY {qname} ON {}", rel.qname),
            );
            self.push(
                Key::of(PG_POLICY, o),
                Section::PostData,
                group::POLICY,
                (&schema, &table, &s(&r, "name")),
                label,
                sql,
                vec![Key::of(PG_CLASS, relid)],
            );
        }
        Ok(())
    }
}
