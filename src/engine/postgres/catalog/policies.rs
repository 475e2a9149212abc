//! Row-level security policies, post-data.

use std::fmt::Write as _;

use anyhow::Result;

use super::*;

impl CatalogReader<'_> {
    pub(super) async fn policies(&mut self) -> Result<()> {
        let rows = self.on_table_rows("policies", include_str!("policies.sql"));
        for (o, relid, table, r) in rows.await? {
            let qname = s(&r, "qname");
            let cmd = match s(&r, "cmd").as_str() {
                "r" => "SELECT",
                "a" => "INSERT",
                "w" => "UPDATE",
                "d" => "DELETE",
                _ => "ALL",
            };
            let mut sql = format!("CREATE POLICY {qname} ON {}", table);
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
            self.push_on_table((PG_POLICY, o), relid, "POLICY", group::POLICY, &r, sql);
        }
        Ok(())
    }
}
