//! The CREATE TABLE statement: columns, inheritance, partitions, typed tables.

use std::fmt::Write as _;

use super::columns::{column_settings, Column};
use super::relations::Relation;
use super::*;
use crate::engine::postgres::quote::options_clause;

impl CatalogReader<'_> {
    pub(super) fn table_sql(&self, rel: &Relation) -> (String, Vec<Key>) {
        let q = &rel.qname;
        let cols = self.columns.get(&rel.oid).map(Vec::as_slice).unwrap_or(&[]);
        let parents = self.parents.get(&rel.oid).cloned().unwrap_or_default();
        let deps: Vec<Key> = parents.iter().map(|(p, _)| Key::of(PG_CLASS, *p)).collect();
        let is_partition = rel.partbound.is_some();
        // Partitions are created on their own and then attached, as pg_dump
        // does: one attached later may differ from its parent in column order
        // and defaults, and PARTITION OF would impose the parent's.
        let attached = is_partition;
        let parent_cols: Vec<&Column> = parents
            .iter()
            .flat_map(|(p, _)| self.columns.get(p).map(Vec::as_slice).unwrap_or(&[]))
            .collect();
        let parent_col = |name: &str| parent_cols.iter().find(|c| c.name == name).copied();
        // A child that joined its parents later (ALTER TABLE ... INHERIT) may
        // have its columns in an order CREATE TABLE ... INHERITS cannot give
        // (inherited columns first). If all its columns are its own, it is
        // created alone and joined the same way, as pg_dump --binary-upgrade does.
        let joined = !is_partition
            && rel.of_type.is_none()
            && !parents.is_empty()
            && cols.iter().all(|c| c.is_local)
            && !self.inherited_checks.contains_key(&rel.oid)
            && !inherits_order(&parent_cols, cols);

        let mut items = Vec::new();
        let mut after = String::new();
        for c in cols {
            if !c.is_local && !attached {
                // Inherited: the parent defines it. Only differences are restated.
                let p = parent_col(&c.name);
                if c.not_null && !p.is_some_and(|p| p.not_null) {
                    writeln!(
                        after,
                        "ALTER TABLE ONLY {q} ALTER COLUMN {} SET NOT NULL;",
                        c.qname
                    )
                    .expect("writing to a String cannot fail");
                }
                if c.generated.is_empty()
                    && c.default_expr.is_some()
                    && c.default_expr != p.and_then(|p| p.default_expr.clone())
                {
                    writeln!(
                        after,
                        "ALTER TABLE ONLY {q} ALTER COLUMN {} SET DEFAULT {};",
                        c.qname,
                        c.default_expr.as_deref().unwrap_or_default()
                    )
                    .expect("writing to a String cannot fail");
                }
            } else if rel.of_type.is_some() {
                // A typed table's columns come from its type; only options are local.
                let mut item = String::new();
                if let Some(d) = &c.default_expr {
                    write!(item, " DEFAULT {d}").expect("writing to a String cannot fail");
                }
                if c.not_null {
                    item.push_str(" NOT NULL");
                }
                if !item.is_empty() {
                    items.push(format!("{} WITH OPTIONS{item}", c.qname));
                }
            } else {
                let parent_generates =
                    !attached && !joined && parent_col(&c.name).is_some_and(|p| p.generated == "s");
                items.push(self.column_def(rel, c, parent_generates));
            }
            after += &column_settings(q, c);
            // An identity sequence is made with its table's persistence.
            if let Some(seq) = self.identity.get(&(rel.oid, c.num)) {
                if seq.persistence != rel.persistence {
                    let how = if seq.persistence == "u" {
                        "UNLOGGED"
                    } else {
                        "LOGGED"
                    };
                    writeln!(after, "ALTER SEQUENCE {} SET {how};", seq.qname)
                        .expect("writing to a String cannot fail");
                }
            }
            if let Some(opts) = &c.foreign_options {
                writeln!(
                    after,
                    "ALTER FOREIGN TABLE {q} ALTER COLUMN {} OPTIONS (\n    {opts}\n);",
                    c.qname
                )
                .expect("writing to a String cannot fail");
            }
        }
        items.extend(
            self.inline_checks
                .get(&rel.oid)
                .into_iter()
                .flatten()
                .cloned(),
        );

        let prefix = if rel.persistence == "u" {
            "UNLOGGED "
        } else if rel.kind == "f" {
            "FOREIGN "
        } else {
            ""
        };
        if attached {
            // ATTACH PARTITION needs the parent's checks to be there already.
            items.extend(
                self.inherited_checks
                    .get(&rel.oid)
                    .into_iter()
                    .flatten()
                    .cloned(),
            );
        }
        let mut sql = if let (Some(bound), Some((_, parent)), false) =
            (&rel.partbound, parents.first(), attached)
        {
            let body = if items.is_empty() {
                String::new()
            } else {
                format!(" (\n    {}\n)", items.join(",\n    "))
            };
            format!("CREATE {prefix}TABLE {q} PARTITION OF {parent}{body}\n{bound}")
        } else if let Some(of_type) = &rel.of_type {
            let body = if items.is_empty() {
                String::new()
            } else {
                format!(" (\n    {}\n)", items.join(",\n    "))
            };
            format!("CREATE {prefix}TABLE {q} OF {of_type}{body}")
        } else {
            let mut sql = format!("CREATE {prefix}TABLE {q} (\n");
            if !items.is_empty() {
                writeln!(sql, "    {}", items.join(",\n    "))
                    .expect("writing to a String cannot fail");
            }
            sql.push(')');
            if !parents.is_empty() && !is_partition && !joined {
                let names: Vec<&str> = parents.iter().map(|(_, n)| n.as_str()).collect();
                write!(sql, "\nINHERITS ({})", names.join(", "))
                    .expect("writing to a String cannot fail");
            }
            sql
        };
        if let Some(key) = &rel.partkey {
            write!(sql, "\nPARTITION BY {key}").expect("writing to a String cannot fail");
        }
        if let Some(am) = &rel.access_method {
            write!(sql, "\nUSING {am}").expect("writing to a String cannot fail");
        }
        if let Some(server) = &rel.server {
            write!(sql, "\nSERVER {server}").expect("writing to a String cannot fail");
        }
        if let Some(opts) = &rel.foreign_options {
            write!(sql, "\nOPTIONS (\n    {opts}\n)").expect("writing to a String cannot fail");
        }
        if let Some(opts) = rel.options.as_ref().filter(|o| !o.is_empty()) {
            write!(sql, "\nWITH ({})", options_clause(opts))
                .expect("writing to a String cannot fail");
        }
        sql.push_str(";\n");
        if let (Some(bound), Some((_, parent)), true) = (&rel.partbound, parents.first(), attached)
        {
            writeln!(
                sql,
                "ALTER TABLE ONLY {parent} ATTACH PARTITION {q} {bound};"
            )
            .expect("writing to a String cannot fail");
        }
        if joined {
            for (_, parent) in &parents {
                writeln!(sql, "ALTER TABLE ONLY {q} INHERIT {parent};")
                    .expect("writing to a String cannot fail");
            }
        }
        sql += &after;
        // A foreign table has no replica identity to set (the catalog says 'n').
        match rel.replident.as_str() {
            _ if rel.kind == "f" => {}
            "f" => writeln!(sql, "ALTER TABLE ONLY {q} REPLICA IDENTITY FULL;")
                .expect("writing to a String cannot fail"),
            "n" => writeln!(sql, "ALTER TABLE ONLY {q} REPLICA IDENTITY NOTHING;")
                .expect("writing to a String cannot fail"),
            _ => {}
        }
        let what = super::relations::relation_word(&rel.kind);
        sql += &self.comment(PG_CLASS, rel.oid, 0, &format!("{what} {q}"));
        for c in cols {
            sql += &self.comment(PG_CLASS, rel.oid, c.num, &format!("COLUMN {q}.{}", c.qname));
        }
        for comment in self
            .inline_check_comments
            .get(&rel.oid)
            .map(Vec::as_slice)
            .unwrap_or(&[])
        {
            sql += comment;
        }
        (sql, deps)
    }
}

/// Whether `cols` are in the order CREATE TABLE ... INHERITS would give them:
/// the parents' columns first (merged by name), then the child's own.
fn inherits_order(parent_cols: &[&Column], cols: &[Column]) -> bool {
    let mut expected: Vec<&str> = Vec::new();
    for p in parent_cols {
        if !expected.contains(&p.name.as_str()) {
            expected.push(&p.name);
        }
    }
    for c in cols {
        if !expected.contains(&c.name.as_str()) {
            expected.push(&c.name);
        }
    }
    expected
        .iter()
        .copied()
        .eq(cols.iter().map(|c| c.name.as_str()))
}
