//! Tables, views and materialized views, with their split-off defaults,
//! row security and REFRESH.

use anyhow::Result;

use super::columns::column_settings;
use super::*;
use crate::engine::postgres::quote::options_clause;

pub(super) struct Relation {
    pub(super) oid: u32,
    pub(super) schema: String,
    pub(super) name: String,
    pub(super) qname: String,
    pub(super) kind: String,
    pub(super) persistence: String,
    pub(super) options: Option<Vec<String>>,
    pub(super) partkey: Option<String>,
    pub(super) partbound: Option<String>,
    pub(super) rls: bool,
    pub(super) force_rls: bool,
    pub(super) replident: String,
    pub(super) of_type: Option<String>,
    pub(super) populated: bool,
    pub(super) viewdef: Option<String>,
    pub(super) access_method: Option<String>,
    /// Foreign tables: the server, and the table's options (`name 'value'` lines).
    pub(super) server: Option<String>,
    pub(super) foreign_options: Option<String>,
}

impl CatalogReader<'_> {
    pub(super) async fn relations(&mut self) -> Result<()> {
        for r in self
            .rows("inheritance", include_str!("inherits.sql"))
            .await?
        {
            self.parents
                .entry(oid(&r, "child"))
                .or_default()
                .push((oid(&r, "parent"), s(&r, "parent_qname")));
        }
        for r in self
            .rows("relations", include_str!("relations.sql"))
            .await?
        {
            let rel = Relation {
                oid: oid(&r, "oid"),
                schema: s(&r, "schema"),
                name: s(&r, "name"),
                qname: s(&r, "qname"),
                kind: s(&r, "kind"),
                persistence: s(&r, "persistence"),
                options: r.get("options"),
                partkey: opt(&r, "partkey"),
                partbound: opt(&r, "partbound"),
                rls: r.get("rls"),
                force_rls: r.get("force_rls"),
                replident: s(&r, "replident"),
                of_type: opt(&r, "of_type"),
                populated: r.get("populated"),
                viewdef: opt(&r, "viewdef"),
                access_method: opt(&r, "access_method"),
                server: opt(&r, "server"),
                foreign_options: opt(&r, "foreign_options"),
            };
            if self.is_member(PG_CLASS, rel.oid) {
                continue;
            }
            self.relations.insert(rel.oid, rel);
        }
        let defaults = "SELECT ad.oid::int8 AS oid, ad.adrelid::int8 AS relid, ad.adnum::int4 AS num, d.refobjid::int8 AS func \
                        FROM pg_catalog.pg_attrdef ad JOIN pg_catalog.pg_depend d \
                          ON d.classid = 'pg_catalog.pg_attrdef'::regclass AND d.objid = ad.oid \
                         AND d.refclassid = 'pg_catalog.pg_proc'::regclass AND d.refobjid >= 16384";
        for r in self.rows("column defaults", defaults).await? {
            if !self.is_member(PG_PROC, oid(&r, "func")) {
                self.split_defaults
                    .insert((oid(&r, "relid"), r.get("num")), oid(&r, "oid"));
            }
        }
        self.table_constraints();
        let mut oids: Vec<u32> = self.relations.keys().copied().collect();
        oids.sort_unstable();
        for o in oids {
            let rel = &self.relations[&o];
            let (sql, deps) = match rel.kind.as_str() {
                "v" | "m" => (self.view_sql(rel), vec![]),
                _ => self.table_sql(rel),
            };
            let what = relation_word(&rel.kind);
            let group = if matches!(rel.kind.as_str(), "v" | "m") {
                group::VIEW
            } else {
                group::TABLE
            };
            let (schema, name, qname) = (rel.schema.clone(), rel.name.clone(), rel.qname.clone());
            let key = Key::of(PG_CLASS, o);
            let (rls, force_rls, refresh) =
                (rel.rls, rel.force_rls, rel.kind == "m" && rel.populated);
            self.push(
                key,
                Section::PreData,
                group,
                (&schema, &name, ""),
                format!("{what} {qname}"),
                sql,
                deps,
            );
            self.push_split_defaults(o);

            // Set after the rows: row security, and a materialized view's contents.
            let mut after = Vec::new();
            if rls || force_rls {
                let mut sql = String::new();
                if rls {
                    sql += &format!("ALTER TABLE {qname} ENABLE ROW LEVEL SECURITY;\n");
                }
                if force_rls {
                    sql += &format!("ALTER TABLE {qname} FORCE ROW LEVEL SECURITY;\n");
                }
                after.push((Part::RowSecurity, group::ROW_SECURITY, "ROW SECURITY", sql));
            }
            if refresh {
                let sql = format!("REFRESH MATERIALIZED VIEW {qname};\n");
                after.push((Part::Refresh, group::REFRESH, "REFRESH", sql));
            }
            for (part, group, what, sql) in after {
                let label = format!("{what} {qname}");
                let sort = (schema.as_str(), name.as_str(), "");
                self.push(
                    key.with(part),
                    Section::PostData,
                    group,
                    sort,
                    label,
                    sql,
                    vec![key],
                );
            }
        }
        // OWNED BY statements wait for their tables' names.
        for owned in std::mem::take(&mut self.owned_by) {
            let table = self
                .relations
                .get(&owned.table)
                .map(|r| r.qname.as_str())
                .unwrap_or_default();
            let sql = format!(
                "ALTER SEQUENCE {} OWNED BY {table}.{};\n",
                owned.sequence, owned.column
            );
            if let Some(obj) = self.objects.iter_mut().find(|o| o.key == owned.key) {
                obj.sql = sql;
            }
        }
        Ok(())
    }

    pub(super) fn push_split_defaults(&mut self, relid: u32) {
        let rel = &self.relations[&relid];
        let mut items = Vec::new();
        for c in self.columns.get(&relid).map(Vec::as_slice).unwrap_or(&[]) {
            let Some(&attrdef) = self.split_defaults.get(&(relid, c.num)) else {
                continue;
            };
            if c.generated.is_empty() && (c.is_local || rel.partbound.is_some()) {
                let sql = format!(
                    "ALTER TABLE ONLY {} ALTER COLUMN {} SET DEFAULT {};\n",
                    rel.qname,
                    c.qname,
                    c.default_expr.as_deref().unwrap_or_default()
                );
                items.push((
                    attrdef,
                    sql,
                    format!("DEFAULT {}.{}", rel.qname, c.qname),
                    c.name.clone(),
                ));
            }
        }
        let (schema, name) = (rel.schema.clone(), rel.name.clone());
        for (attrdef, sql, label, column) in items {
            self.push(
                Key::of(PG_ATTRDEF, attrdef),
                Section::PreData,
                group::OWNED_BY,
                (&schema, &name, &column),
                label,
                sql,
                vec![Key::of(PG_CLASS, relid)],
            );
        }
    }

    pub(super) fn view_sql(&self, rel: &Relation) -> String {
        let what = relation_word(&rel.kind);
        let with = match &rel.options {
            Some(opts) if !opts.is_empty() => format!(" WITH ({})", options_clause(opts)),
            _ => String::new(),
        };
        let def = rel
            .viewdef
            .as_deref()
            .unwrap_or_default()
            .trim_end()
            .trim_end_matches(';');
        let no_data = if rel.kind == "m" {
            "\n  WITH NO DATA"
        } else {
            ""
        };
        let using = using_clause(rel);
        let mut sql = format!(
            "CREATE {what} {}{using}{with} AS\n{def}{no_data};\n",
            rel.qname
        );
        sql += &self.comment(PG_CLASS, rel.oid, 0, &format!("{what} {}", rel.qname));
        for c in self.columns.get(&rel.oid).map(Vec::as_slice).unwrap_or(&[]) {
            if rel.kind == "v" {
                if let Some(d) = &c.default_expr {
                    sql += &format!(
                        "ALTER VIEW {} ALTER COLUMN {} SET DEFAULT {d};\n",
                        rel.qname, c.qname
                    );
                }
            }
            if rel.kind == "m" {
                sql += &column_settings(&rel.qname, c);
            }
            sql += &self.comment(
                PG_CLASS,
                rel.oid,
                c.num,
                &format!("COLUMN {}.{}", rel.qname, c.qname),
            );
        }
        sql
    }
}

/// ` USING am` for a table or materialized view not stored by heap.
pub(super) fn using_clause(rel: &Relation) -> String {
    match &rel.access_method {
        Some(am) => format!(" USING {am}"),
        None => String::new(),
    }
}

pub(super) fn relation_word(kind: &str) -> &'static str {
    match kind {
        "v" => "VIEW",
        "m" => "MATERIALIZED VIEW",
        "f" => "FOREIGN TABLE",
        _ => "TABLE",
    }
}
