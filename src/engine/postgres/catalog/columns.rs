//! Columns of relations and composite types, and how a table column is declared.

use std::fmt::Write as _;

use anyhow::Result;

use super::relations::Relation;
use super::*;

pub(super) struct Column {
    pub(super) num: i32,
    pub(super) name: String,
    pub(super) qname: String,
    pub(super) type_name: String,
    pub(super) not_null: bool,
    pub(super) is_local: bool,
    pub(super) identity: String,
    pub(super) generated: String,
    pub(super) default_expr: Option<String>,
    pub(super) collation: Option<String>,
    pub(super) stat_target: i32,
    pub(super) storage: Option<String>,
    pub(super) options: Option<Vec<String>>,
    pub(super) compression: Option<String>,
    /// A foreign table column's options (`name 'value'` lines).
    pub(super) foreign_options: Option<String>,
}

impl CatalogReader<'_> {
    pub(super) async fn load_columns(&mut self) -> Result<()> {
        for r in self.rows("columns", include_str!("columns.sql")).await? {
            let col = Column {
                num: r.get("num"),
                name: s(&r, "name"),
                qname: s(&r, "qname"),
                type_name: s(&r, "type"),
                not_null: r.get("not_null"),
                is_local: r.get("is_local"),
                identity: s(&r, "identity"),
                generated: s(&r, "generated"),
                default_expr: opt(&r, "default_expr"),
                collation: opt(&r, "collation"),
                stat_target: r.get("stat_target"),
                storage: opt(&r, "storage"),
                options: r.get("options"),
                compression: opt(&r, "compression"),
                foreign_options: opt(&r, "foreign_options"),
            };
            self.columns.entry(oid(&r, "relid")).or_default().push(col);
        }
        Ok(())
    }

    /// The column as CREATE TABLE declares it. `parent_generates`: a parent
    /// table generates this column, and a child may not restate the expression
    /// (the server refuses "child column specifies generation expression"); it
    /// inherits it, as pg_dump relies on too.
    pub(super) fn column_def(&self, rel: &Relation, c: &Column, parent_generates: bool) -> String {
        let mut def = format!("{} {}", c.qname, c.type_name);
        if let Some(coll) = &c.collation {
            write!(def, " COLLATE {coll}").expect("writing to a String cannot fail");
        }
        if c.generated == "s" && parent_generates {
            // Inherited from the parent; see above.
        } else if c.generated == "s" {
            write!(
                def,
                " GENERATED ALWAYS AS ({}) STORED",
                c.default_expr.as_deref().unwrap_or_default()
            )
            .expect("writing to a String cannot fail");
        } else if self.split_defaults.contains_key(&(rel.oid, c.num)) {
            // Set by its own statement; see `split_defaults`.
        } else if let Some(d) = &c.default_expr {
            write!(def, " DEFAULT {d}").expect("writing to a String cannot fail");
        }
        if !c.identity.is_empty() {
            let how = if c.identity == "a" {
                "ALWAYS"
            } else {
                "BY DEFAULT"
            };
            match self.identity.get(&(rel.oid, c.num)) {
                Some(seq) => write!(
                    def,
                    " GENERATED {how} AS IDENTITY (\n        SEQUENCE NAME {}\n        {}\n    )",
                    seq.qname,
                    seq.options("\n        ")
                )
                .expect("writing to a String cannot fail"),
                None => write!(def, " GENERATED {how} AS IDENTITY")
                    .expect("writing to a String cannot fail"),
            }
        }
        if c.not_null {
            def.push_str(" NOT NULL");
        }
        def
    }
}

/// Per-column settings made after CREATE (statistics target, storage, options,
/// compression) for relation `q`; tables and materialized views alike.
pub(super) fn column_settings(q: &str, c: &Column) -> String {
    let mut out = String::new();
    if c.stat_target >= 0 {
        writeln!(
            out,
            "ALTER TABLE ONLY {q} ALTER COLUMN {} SET STATISTICS {};",
            c.qname, c.stat_target
        )
        .expect("writing to a String cannot fail");
    }
    if let Some(storage) = &c.storage {
        let word = match storage.as_str() {
            "p" => "PLAIN",
            "e" => "EXTERNAL",
            "m" => "MAIN",
            _ => "EXTENDED",
        };
        writeln!(
            out,
            "ALTER TABLE ONLY {q} ALTER COLUMN {} SET STORAGE {word};",
            c.qname
        )
        .expect("writing to a String cannot fail");
    }
    if let Some(opts) = c.options.as_ref().filter(|o| !o.is_empty()) {
        writeln!(
            out,
            "ALTER TABLE ONLY {q} ALTER COLUMN {} SET ({});",
            c.qname,
            opts.join(", ")
        )
        .expect("writing to a String cannot fail");
    }
    match c.compression.as_deref() {
        Some("p") => writeln!(
            out,
            "ALTER TABLE ONLY {q} ALTER COLUMN {} SET COMPRESSION pglz;",
            c.qname
        )
        .expect("writing to a String cannot fail"),
        Some("l") => writeln!(
            out,
            "ALTER TABLE ONLY {q} ALTER COLUMN {} SET COMPRESSION lz4;",
            c.qname
        )
        .expect("writing to a String cannot fail"),
        _ => {}
    }
    out
}
