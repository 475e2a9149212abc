//! Reads a PostgreSQL schema from the catalogs and turns it into ordered DDL.
//!
//! The server writes the hard fragments itself (`pg_get_*def`, `format_type`,
//! `quote_ident`); this module assembles the statements around them, splits
//! them into pre-data and post-data like pg_dump, and records dependencies so
//! that `order::sort_objects` can put them in a loadable, deterministic order.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

use anyhow::{Context, Result};
use tokio_postgres::{Client, Row};

use super::quote::{literal, options_clause};
use crate::engine::order::{SchemaObject, Section};

const PG_CLASS: u32 = 1259;
const PG_TYPE: u32 = 1247;
const PG_PROC: u32 = 1255;
const PG_NAMESPACE: u32 = 2615;
const PG_CONSTRAINT: u32 = 2606;
const PG_ATTRDEF: u32 = 2604;
const PG_REWRITE: u32 = 2618;
const PG_TRIGGER: u32 = 2620;
const PG_EXTENSION: u32 = 3079;
const PG_COLLATION: u32 = 3456;
const PG_POLICY: u32 = 3256;
const PG_STATISTIC_EXT: u32 = 3381;

/// Statements that are not catalog objects of their own hang off one (a
/// sequence's OWNED BY, a materialized view's REFRESH, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Part {
    Main,
    OwnedBy,
    Attach,
    RowSecurity,
    Refresh,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    class: u32,
    oid: u32,
    part: Part,
}

impl Key {
    fn of(class: u32, oid: u32) -> Key {
        Key {
            class,
            oid,
            part: Part::Main,
        }
    }
    fn with(self, part: Part) -> Key {
        Key { part, ..self }
    }
}

/// Kind groups: the order of the file among objects with no dependency between them.
mod group {
    pub const SCHEMA: u8 = 0;
    pub const EXTENSION: u8 = 1;
    pub const COLLATION: u8 = 2;
    pub const TYPE: u8 = 3;
    pub const FUNCTION: u8 = 4;
    pub const AGGREGATE: u8 = 5;
    pub const SEQUENCE: u8 = 6;
    pub const TABLE: u8 = 7;
    pub const VIEW: u8 = 8;
    pub const OWNED_BY: u8 = 9;
    pub const CONSTRAINT: u8 = 10;
    pub const INDEX: u8 = 11;
    pub const INDEX_ATTACH: u8 = 12;
    pub const CHECK: u8 = 13;
    pub const FOREIGN_KEY: u8 = 14;
    pub const TRIGGER: u8 = 15;
    pub const RULE: u8 = 16;
    pub const ROW_SECURITY: u8 = 17;
    pub const POLICY: u8 = 18;
    pub const STATISTICS: u8 = 19;
    pub const REFRESH: u8 = 20;
}

pub type Object = SchemaObject<Key>;

/// The objects of one database, unordered, plus what was left out.
pub struct Catalog {
    pub objects: Vec<Object>,
    pub unsupported: Vec<String>,
    /// Objects that need an unsupported one (labels); skipped with it.
    pub dependents: Vec<String>,
}

fn oid(row: &Row, col: &str) -> u32 {
    let v: i64 = row.get(col);
    v as u32
}

fn s(row: &Row, col: &str) -> String {
    row.get(col)
}

fn opt(row: &Row, col: &str) -> Option<String> {
    row.get(col)
}

struct Column {
    num: i32,
    name: String,
    qname: String,
    type_name: String,
    not_null: bool,
    is_local: bool,
    identity: String,
    generated: String,
    default_expr: Option<String>,
    collation: Option<String>,
    stat_target: i32,
    storage: Option<String>,
    options: Option<Vec<String>>,
    compression: Option<String>,
}

struct Relation {
    oid: u32,
    schema: String,
    name: String,
    qname: String,
    kind: String,
    persistence: String,
    options: Option<Vec<String>>,
    partkey: Option<String>,
    partbound: Option<String>,
    rls: bool,
    force_rls: bool,
    replident: String,
    of_type: Option<String>,
    populated: bool,
    viewdef: Option<String>,
}

struct Sequence {
    oid: u32,
    schema: String,
    name: String,
    qname: String,
    type_name: String,
    start: i64,
    increment: i64,
    max: i64,
    min: i64,
    cache: i64,
    cycle: bool,
    persistence: String,
    owner: Option<(u32, i32, String, String)>,
}

impl Sequence {
    fn options(&self, sep: &str) -> String {
        let mut out = format!(
            "START WITH {}{sep}INCREMENT BY {}{sep}MINVALUE {}{sep}MAXVALUE {}{sep}CACHE {}",
            self.start, self.increment, self.min, self.max, self.cache
        );
        if self.cycle {
            out.push_str(sep);
            out.push_str("CYCLE");
        }
        out
    }
}

/// Collects every exportable object of the database the client is connected to.
/// The session must have `search_path = ''` so that every name comes back qualified.
pub async fn read_catalog(client: &Client) -> Result<Catalog> {
    let mut reader = CatalogReader::new(client).await?;
    for r in query(
        client,
        "unsupported",
        include_str!("sql/unsupported.sql"),
    )
    .await?
    {
        reader.unsupported.push(s(&r, "object"));
        reader
            .unsupported_keys
            .insert(Key::of(oid(&r, "class"), oid(&r, "oid")));
    }
    reader.schemas().await?;
    reader.extensions().await?;
    reader.collations().await?;
    reader.types().await?;
    reader.functions().await?;
    reader.sequences().await?;
    reader.relations().await?;
    reader.indexes().await?;
    reader.triggers_rules_policies_statistics().await?;
    reader.dependencies().await?;
    let dependents = reader.dependents_of_unsupported();
    Ok(Catalog {
        objects: reader.objects,
        unsupported: reader.unsupported,
        dependents,
    })
}

async fn query(client: &Client, what: &str, sql: &str) -> Result<Vec<Row>> {
    client
        .query(sql, &[])
        .await
        .with_context(|| format!("reading {what} from the catalogs"))
}

struct CatalogReader<'a> {
    client: &'a Client,
    objects: Vec<Object>,
    unsupported: Vec<String>,
    unsupported_keys: HashSet<Key>,
    /// Objects whose pg_depend rows point at an unsupported object.
    needs_unsupported: HashSet<Key>,
    extension_members: HashSet<(u32, u32)>,
    comments: HashMap<(u32, u32, i32), String>,
    /// Where a catalog row's dependencies belong: sub-objects map to their owner.
    owner_of: HashMap<(u32, u32), Key>,
    relations: HashMap<u32, Relation>,
    columns: HashMap<u32, Vec<Column>>,
    parents: HashMap<u32, Vec<(u32, String)>>,
    identity: HashMap<(u32, i32), Sequence>,
    /// Validated CHECKs go inside CREATE TABLE; their comments follow it.
    inline_checks: HashMap<u32, Vec<String>>,
    inline_check_comments: HashMap<u32, Vec<String>>,
    inherited_checks: HashMap<u32, Vec<String>>,
    constraint_rows: Vec<Row>,
    /// Column defaults that call user functions: (table, column) -> pg_attrdef oid.
    /// They are set after the table, since such a function may read the table.
    split_defaults: HashMap<(u32, i32), u32>,
    /// Index oid -> the key that creates it (an index or its constraint).
    index_owner: HashMap<u32, Key>,
}

impl<'a> CatalogReader<'a> {
    async fn new(client: &'a Client) -> Result<CatalogReader<'a>> {
        let extension_members = query(
            client,
            "extension members",
            include_str!("sql/extension_members.sql"),
        )
        .await?
        .iter()
        .map(|r| (oid(r, "class"), oid(r, "oid")))
        .collect();
        let comments = query(
            client,
            "comments",
            include_str!("sql/comments.sql"),
        )
        .await?
        .iter()
        .map(|r| {
            (
                (oid(r, "class"), oid(r, "oid"), r.get::<_, i32>("sub")),
                s(r, "text"),
            )
        })
        .collect();
        Ok(CatalogReader {
            client,
            objects: Vec::new(),
            unsupported: Vec::new(),
            unsupported_keys: HashSet::new(),
            needs_unsupported: HashSet::new(),
            extension_members,
            comments,
            owner_of: HashMap::new(),
            relations: HashMap::new(),
            columns: HashMap::new(),
            parents: HashMap::new(),
            identity: HashMap::new(),
            inline_checks: HashMap::new(),
            inline_check_comments: HashMap::new(),
            inherited_checks: HashMap::new(),
            constraint_rows: Vec::new(),
            split_defaults: HashMap::new(),
            index_owner: HashMap::new(),
        })
    }

    async fn rows(&self, what: &str, sql: &str) -> Result<Vec<Row>> {
        query(self.client, what, sql).await
    }

    fn is_member(&self, class: u32, oid: u32) -> bool {
        self.extension_members.contains(&(class, oid))
    }

    /// `COMMENT ON target IS '...';` if the object has a comment.
    fn comment(&self, class: u32, oid: u32, sub: i32, target: &str) -> String {
        match self.comments.get(&(class, oid, sub)) {
            Some(text) => format!("COMMENT ON {target} IS {};\n", literal(text)),
            None => String::new(),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        key: Key,
        section: Section,
        group: u8,
        sort: (&str, &str, &str),
        label: String,
        sql: String,
        deps: Vec<Key>,
    ) {
        if key.part == Part::Main {
            self.owner_of.insert((key.class, key.oid), key);
        }
        self.objects.push(SchemaObject {
            key,
            section,
            sort_key: (
                group,
                sort.0.to_string(),
                sort.1.to_string(),
                sort.2.to_string(),
            ),
            label,
            sql,
            deps,
        });
    }

    async fn schemas(&mut self) -> Result<()> {
        for r in self
            .rows("schemas", include_str!("sql/schemas.sql"))
            .await?
        {
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

    async fn extensions(&mut self) -> Result<()> {
        for r in self
            .rows(
                "extensions",
                include_str!("sql/extensions.sql"),
            )
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

    async fn collations(&mut self) -> Result<()> {
        for r in self
            .rows(
                "collations",
                include_str!("sql/collations.sql"),
            )
            .await?
        {
            let o = oid(&r, "oid");
            if self.is_member(PG_COLLATION, o) {
                continue;
            }
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

    async fn types(&mut self) -> Result<()> {
        let mut labels: HashMap<u32, Vec<String>> = HashMap::new();
        for r in self
            .rows(
                "enum labels",
                include_str!("sql/enum_labels.sql"),
            )
            .await?
        {
            labels
                .entry(oid(&r, "type_oid"))
                .or_default()
                .push(literal(&s(&r, "label")));
        }
        let mut ranges: HashMap<u32, Row> = HashMap::new();
        for r in self
            .rows(
                "range types",
                include_str!("sql/ranges.sql"),
            )
            .await?
        {
            ranges.insert(oid(&r, "type_oid"), r);
        }
        // Columns of composite types come with the relation columns.
        self.load_columns().await?;
        let constraints = self
            .rows(
                "constraints",
                include_str!("sql/constraints.sql"),
            )
            .await?;

        for r in self
            .rows("types", include_str!("sql/types.sql"))
            .await?
        {
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
                        write!(sql, " COLLATE {c}").unwrap();
                    }
                    if let Some(d) = opt(&r, "default_expr") {
                        write!(sql, " DEFAULT {d}").unwrap();
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
                                .unwrap();
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

    async fn functions(&mut self) -> Result<()> {
        let mut aggregates: HashMap<u32, Row> = HashMap::new();
        for r in self
            .rows(
                "aggregates",
                include_str!("sql/aggregates.sql"),
            )
            .await?
        {
            aggregates.insert(oid(&r, "oid"), r);
        }
        for r in self
            .rows(
                "functions",
                include_str!("sql/functions.sql"),
            )
            .await?
        {
            let o = oid(&r, "oid");
            if self.is_member(PG_PROC, o) {
                continue;
            }
            let (schema, name, qname, kind, ident) = (
                s(&r, "schema"),
                s(&r, "name"),
                s(&r, "qname"),
                s(&r, "kind"),
                s(&r, "identity_args"),
            );
            let (what, group, mut sql) = match kind.as_str() {
                "a" => {
                    let Some(agg) = aggregates.get(&o) else {
                        continue;
                    };
                    (
                        "AGGREGATE",
                        group::AGGREGATE,
                        aggregate_sql(&qname, &s(&r, "args"), agg),
                    )
                }
                "p" => (
                    "PROCEDURE",
                    group::FUNCTION,
                    format!("{};\n", opt(&r, "def").unwrap_or_default().trim_end()),
                ),
                _ => (
                    "FUNCTION",
                    group::FUNCTION,
                    format!("{};\n", opt(&r, "def").unwrap_or_default().trim_end()),
                ),
            };
            let signature = if kind == "a" && ident.is_empty() {
                format!("{qname}(*)")
            } else {
                format!("{qname}({ident})")
            };
            sql += &self.comment(PG_PROC, o, 0, &format!("{what} {signature}"));
            self.push(
                Key::of(PG_PROC, o),
                Section::PreData,
                group,
                (&schema, &name, &ident),
                format!("{what} {signature}"),
                sql,
                vec![],
            );
        }
        Ok(())
    }

    async fn sequences(&mut self) -> Result<()> {
        for r in self
            .rows(
                "sequences",
                include_str!("sql/sequences.sql"),
            )
            .await?
        {
            let seq = Sequence {
                oid: oid(&r, "oid"),
                schema: s(&r, "schema"),
                name: s(&r, "name"),
                qname: s(&r, "qname"),
                type_name: s(&r, "type"),
                start: r.get("start"),
                increment: r.get("increment"),
                max: r.get("max"),
                min: r.get("min"),
                cache: r.get("cache"),
                cycle: r.get("cycle"),
                persistence: s(&r, "persistence"),
                owner: opt(&r, "owner_deptype").map(|kind| {
                    (
                        oid(&r, "owner_relid"),
                        r.get::<_, i32>("owner_attnum"),
                        kind,
                        opt(&r, "owner_column").unwrap_or_default(),
                    )
                }),
            };
            if self.is_member(PG_CLASS, seq.oid) {
                continue;
            }
            if let Some((relid, attnum, kind, _)) = &seq.owner {
                if kind == "i" {
                    self.identity.insert((*relid, *attnum), seq);
                    continue;
                }
            }
            let qname = &seq.qname;
            let unlogged = if seq.persistence == "u" {
                "UNLOGGED "
            } else {
                ""
            };
            let as_type = if seq.type_name == "bigint" {
                String::new()
            } else {
                format!("\n    AS {}", seq.type_name)
            };
            let mut sql = format!(
                "CREATE {unlogged}SEQUENCE {qname}{as_type}\n    {};\n",
                seq.options("\n    ")
            );
            sql += &self.comment(PG_CLASS, seq.oid, 0, &format!("SEQUENCE {qname}"));
            let key = Key::of(PG_CLASS, seq.oid);
            self.push(
                key,
                Section::PreData,
                group::SEQUENCE,
                (&seq.schema, &seq.name, ""),
                format!("SEQUENCE {qname}"),
                sql,
                vec![],
            );
            if let Some((relid, _, _, column)) = &seq.owner {
                // The table's qualified name is known once relations are read.
                let sql = format!("ALTER SEQUENCE {qname} OWNED BY {{table:{relid}}}.{column};\n");
                let deps = vec![key, Key::of(PG_CLASS, *relid)];
                self.push(
                    key.with(Part::OwnedBy),
                    Section::PreData,
                    group::OWNED_BY,
                    (&seq.schema, &seq.name, ""),
                    format!("SEQUENCE OWNED BY {qname}"),
                    sql,
                    deps,
                );
            }
        }
        Ok(())
    }

    async fn load_columns(&mut self) -> Result<()> {
        for r in self
            .rows("columns", include_str!("sql/columns.sql"))
            .await?
        {
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
            };
            self.columns.entry(oid(&r, "relid")).or_default().push(col);
        }
        Ok(())
    }

    async fn relations(&mut self) -> Result<()> {
        for r in self
            .rows(
                "inheritance",
                include_str!("sql/inherits.sql"),
            )
            .await?
        {
            self.parents
                .entry(oid(&r, "child"))
                .or_default()
                .push((oid(&r, "parent"), s(&r, "parent_qname")));
        }
        for r in self
            .rows(
                "relations",
                include_str!("sql/relations.sql"),
            )
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
            };
            if self.is_member(PG_CLASS, rel.oid) || rel.kind == "f" {
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

            if rls || force_rls {
                let mut sql = String::new();
                if rls {
                    sql += &format!("ALTER TABLE {qname} ENABLE ROW LEVEL SECURITY;\n");
                }
                if force_rls {
                    sql += &format!("ALTER TABLE {qname} FORCE ROW LEVEL SECURITY;\n");
                }
                self.push(
                    key.with(Part::RowSecurity),
                    Section::PostData,
                    group::ROW_SECURITY,
                    (&schema, &name, ""),
                    format!("ROW SECURITY {qname}"),
                    sql,
                    vec![key],
                );
            }
            if refresh {
                let sql = format!("REFRESH MATERIALIZED VIEW {qname};\n");
                self.push(
                    key.with(Part::Refresh),
                    Section::PostData,
                    group::REFRESH,
                    (&schema, &name, ""),
                    format!("REFRESH {qname}"),
                    sql,
                    vec![key],
                );
            }
        }
        // OWNED BY statements were written before table names were known.
        for obj in &mut self.objects {
            if obj.key.part == Part::OwnedBy {
                if let Some(start) = obj.sql.find("{table:") {
                    let end = start + obj.sql[start..].find('}').expect("placeholder end");
                    let relid: u32 = obj.sql[start + 7..end].parse().expect("placeholder oid");
                    let table = self
                        .relations
                        .get(&relid)
                        .map(|r| r.qname.clone())
                        .unwrap_or_default();
                    obj.sql.replace_range(start..=end, &table);
                }
            }
        }
        Ok(())
    }

    fn push_split_defaults(&mut self, relid: u32) {
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

    fn view_sql(&self, rel: &Relation) -> String {
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
        let mut sql = format!("CREATE {what} {}{with} AS\n{def}{no_data};\n", rel.qname);
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
            sql += &self.comment(
                PG_CLASS,
                rel.oid,
                c.num,
                &format!("COLUMN {}.{}", rel.qname, c.qname),
            );
        }
        sql
    }

    fn table_sql(&self, rel: &Relation) -> (String, Vec<Key>) {
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
                    .unwrap();
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
                    .unwrap();
                }
            } else if rel.of_type.is_some() {
                // A typed table's columns come from its type; only options are local.
                let mut item = String::new();
                if let Some(d) = &c.default_expr {
                    write!(item, " DEFAULT {d}").unwrap();
                }
                if c.not_null {
                    item.push_str(" NOT NULL");
                }
                if !item.is_empty() {
                    items.push(format!("{} WITH OPTIONS{item}", c.qname));
                }
            } else {
                items.push(self.column_def(rel, c));
            }
            if c.stat_target >= 0 {
                writeln!(
                    after,
                    "ALTER TABLE ONLY {q} ALTER COLUMN {} SET STATISTICS {};",
                    c.qname, c.stat_target
                )
                .unwrap();
            }
            if let Some(storage) = &c.storage {
                let word = match storage.as_str() {
                    "p" => "PLAIN",
                    "e" => "EXTERNAL",
                    "m" => "MAIN",
                    _ => "EXTENDED",
                };
                writeln!(
                    after,
                    "ALTER TABLE ONLY {q} ALTER COLUMN {} SET STORAGE {word};",
                    c.qname
                )
                .unwrap();
            }
            if let Some(opts) = c.options.as_ref().filter(|o| !o.is_empty()) {
                writeln!(
                    after,
                    "ALTER TABLE ONLY {q} ALTER COLUMN {} SET ({});",
                    c.qname,
                    opts.join(", ")
                )
                .unwrap();
            }
            match c.compression.as_deref() {
                Some("p") => writeln!(
                    after,
                    "ALTER TABLE ONLY {q} ALTER COLUMN {} SET COMPRESSION pglz;",
                    c.qname
                )
                .unwrap(),
                Some("l") => writeln!(
                    after,
                    "ALTER TABLE ONLY {q} ALTER COLUMN {} SET COMPRESSION lz4;",
                    c.qname
                )
                .unwrap(),
                _ => {}
            }
        }
        for check in self
            .inline_checks
            .get(&rel.oid)
            .map(Vec::as_slice)
            .unwrap_or(&[])
        {
            items.push(check.clone());
        }

        let unlogged = if rel.persistence == "u" {
            "UNLOGGED "
        } else {
            ""
        };
        if attached {
            // ATTACH PARTITION needs the parent's checks to be there already.
            for check in self
                .inherited_checks
                .get(&rel.oid)
                .map(Vec::as_slice)
                .unwrap_or(&[])
            {
                items.push(check.clone());
            }
        }
        let mut sql = if let (Some(bound), Some((_, parent)), false) =
            (&rel.partbound, parents.first(), attached)
        {
            let body = if items.is_empty() {
                String::new()
            } else {
                format!(" (\n    {}\n)", items.join(",\n    "))
            };
            format!("CREATE {unlogged}TABLE {q} PARTITION OF {parent}{body}\n{bound}")
        } else if let Some(of_type) = &rel.of_type {
            let body = if items.is_empty() {
                String::new()
            } else {
                format!(" (\n    {}\n)", items.join(",\n    "))
            };
            format!("CREATE {unlogged}TABLE {q} OF {of_type}{body}")
        } else {
            let mut sql = format!("CREATE {unlogged}TABLE {q} (\n");
            if !items.is_empty() {
                writeln!(sql, "    {}", items.join(",\n    ")).unwrap();
            }
            sql.push(')');
            if !parents.is_empty() && !is_partition {
                let names: Vec<&str> = parents.iter().map(|(_, n)| n.as_str()).collect();
                write!(sql, "\nINHERITS ({})", names.join(", ")).unwrap();
            }
            sql
        };
        if let Some(key) = &rel.partkey {
            write!(sql, "\nPARTITION BY {key}").unwrap();
        }
        if let Some(opts) = rel.options.as_ref().filter(|o| !o.is_empty()) {
            write!(sql, "\nWITH ({})", options_clause(opts)).unwrap();
        }
        sql.push_str(";\n");
        if let (Some(bound), Some((_, parent)), true) = (&rel.partbound, parents.first(), attached)
        {
            writeln!(
                sql,
                "ALTER TABLE ONLY {parent} ATTACH PARTITION {q} {bound};"
            )
            .unwrap();
        }
        sql += &after;
        match rel.replident.as_str() {
            "f" => writeln!(sql, "ALTER TABLE ONLY {q} REPLICA IDENTITY FULL;").unwrap(),
            "n" => writeln!(sql, "ALTER TABLE ONLY {q} REPLICA IDENTITY NOTHING;").unwrap(),
            _ => {}
        }
        sql += &self.comment(PG_CLASS, rel.oid, 0, &format!("TABLE {q}"));
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

    fn column_def(&self, rel: &Relation, c: &Column) -> String {
        let mut def = format!("{} {}", c.qname, c.type_name);
        if let Some(coll) = &c.collation {
            write!(def, " COLLATE {coll}").unwrap();
        }
        if c.generated == "s" {
            write!(
                def,
                " GENERATED ALWAYS AS ({}) STORED",
                c.default_expr.as_deref().unwrap_or_default()
            )
            .unwrap();
        } else if self.split_defaults.contains_key(&(rel.oid, c.num)) {
            // Set by its own statement; see `split_defaults`.
        } else if let Some(d) = &c.default_expr {
            write!(def, " DEFAULT {d}").unwrap();
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
                .unwrap(),
                None => write!(def, " GENERATED {how} AS IDENTITY").unwrap(),
            }
        }
        if c.not_null {
            def.push_str(" NOT NULL");
        }
        def
    }
}

fn relation_word(kind: &str) -> &'static str {
    match kind {
        "v" => "VIEW",
        "m" => "MATERIALIZED VIEW",
        _ => "TABLE",
    }
}

fn aggregate_sql(qname: &str, args: &str, a: &Row) -> String {
    let args = if args.is_empty() { "*" } else { args };
    let kind = s(a, "kind");
    let mut parts = vec![
        format!("SFUNC = {}", s(a, "sfunc")),
        format!("STYPE = {}", s(a, "stype")),
    ];
    let sspace: i32 = a.get("sspace");
    if sspace != 0 {
        parts.push(format!("SSPACE = {sspace}"));
    }
    let default_modify = if kind == "n" { "r" } else { "w" };
    let modify = |m: String| match m.as_str() {
        "s" => "SHAREABLE",
        "w" => "READ_WRITE",
        _ => "READ_ONLY",
    };
    if let Some(f) = opt(a, "finalfunc") {
        parts.push(format!("FINALFUNC = {f}"));
        if a.get::<_, bool>("finalextra") {
            parts.push("FINALFUNC_EXTRA".into());
        }
        if s(a, "finalmodify") != default_modify {
            parts.push(format!(
                "FINALFUNC_MODIFY = {}",
                modify(s(a, "finalmodify"))
            ));
        }
    }
    for (field, col) in [
        ("COMBINEFUNC", "combinefunc"),
        ("SERIALFUNC", "serialfunc"),
        ("DESERIALFUNC", "deserialfunc"),
    ] {
        if let Some(v) = opt(a, col) {
            parts.push(format!("{field} = {v}"));
        }
    }
    if let Some(v) = opt(a, "initcond") {
        parts.push(format!("INITCOND = {}", literal(&v)));
    }
    if let Some(msfunc) = opt(a, "msfunc") {
        parts.push(format!("MSFUNC = {msfunc}"));
        if let Some(v) = opt(a, "minvfunc") {
            parts.push(format!("MINVFUNC = {v}"));
        }
        if let Some(v) = opt(a, "mstype") {
            parts.push(format!("MSTYPE = {v}"));
        }
        let msspace: i32 = a.get("msspace");
        if msspace != 0 {
            parts.push(format!("MSSPACE = {msspace}"));
        }
        if let Some(f) = opt(a, "mfinalfunc") {
            parts.push(format!("MFINALFUNC = {f}"));
            if a.get::<_, bool>("mfinalextra") {
                parts.push("MFINALFUNC_EXTRA".into());
            }
            if s(a, "mfinalmodify") != default_modify {
                parts.push(format!(
                    "MFINALFUNC_MODIFY = {}",
                    modify(s(a, "mfinalmodify"))
                ));
            }
        }
        if let Some(v) = opt(a, "minitcond") {
            parts.push(format!("MINITCOND = {}", literal(&v)));
        }
    }
    if let Some(op) = opt(a, "sortop") {
        let name = op.split('(').next().unwrap_or(&op);
        parts.push(format!("SORTOP = {name}"));
    }
    match s(a, "parallel").as_str() {
        "s" => parts.push("PARALLEL = safe".into()),
        "r" => parts.push("PARALLEL = restricted".into()),
        _ => {}
    }
    if kind == "h" {
        parts.push("HYPOTHETICAL".into());
    }
    format!(
        "CREATE AGGREGATE {qname}({args}) (\n    {}\n);\n",
        parts.join(",\n    ")
    )
}

impl CatalogReader<'_> {
    /// Removes the objects that need an unsupported object, directly or not,
    /// and returns their labels: they could not be created without it.
    fn dependents_of_unsupported(&mut self) -> Vec<String> {
        let mut skipped = std::mem::take(&mut self.needs_unsupported);
        loop {
            let before = skipped.len();
            for obj in &self.objects {
                let main = Key {
                    part: Part::Main,
                    ..obj.key
                };
                if obj.deps.iter().any(|d| skipped.contains(d))
                    || (obj.key != main && skipped.contains(&main))
                {
                    skipped.insert(obj.key);
                }
            }
            if skipped.len() == before {
                break;
            }
        }
        let (gone, kept): (Vec<Object>, Vec<Object>) = std::mem::take(&mut self.objects)
            .into_iter()
            .partition(|o| skipped.contains(&o.key));
        self.objects = kept;
        let mut labels: Vec<String> = gone.into_iter().map(|o| o.label).collect();
        labels.sort();
        labels
    }

    /// Table constraints: validated CHECKs inline, everything else post-data.
    fn table_constraints(&mut self) {
        let rows = std::mem::take(&mut self.constraint_rows);
        for c in &rows {
            let relid = oid(c, "relid");
            let Some(rel) = self.relations.get(&relid) else {
                continue;
            };
            let (con, kind, qname) = (oid(c, "oid"), s(c, "kind"), s(c, "qname"));
            let (local, validated, parent) = (
                c.get::<_, bool>("is_local"),
                c.get::<_, bool>("validated"),
                oid(c, "parentid"),
            );
            let table_key = Key::of(PG_CLASS, relid);
            let comment = self.comment(
                PG_CONSTRAINT,
                con,
                0,
                &format!("CONSTRAINT {qname} ON {}", rel.qname),
            );
            let def = s(c, "def");
            let (group, stmt) = match kind.as_str() {
                "c" if validated => {
                    self.owner_of.insert((PG_CONSTRAINT, con), table_key);
                    if local {
                        self.inline_checks
                            .entry(relid)
                            .or_default()
                            .push(format!("CONSTRAINT {qname} {def}"));
                        self.inline_check_comments
                            .entry(relid)
                            .or_default()
                            .push(comment);
                    } else {
                        self.inherited_checks
                            .entry(relid)
                            .or_default()
                            .push(format!("CONSTRAINT {qname} {def}"));
                    }
                    continue;
                }
                // Inherited copies come with the parent's constraint.
                "c" if !local => continue,
                "c" => (
                    group::CHECK,
                    format!("ALTER TABLE {} ADD CONSTRAINT {qname} {def};\n", rel.qname),
                ),
                // Foreign keys cloned onto partitions are recreated by the parent's.
                "f" if parent != 0 => continue,
                "f" => {
                    let only = if rel.kind == "p" { "" } else { "ONLY " };
                    (
                        group::FOREIGN_KEY,
                        format!(
                            "ALTER TABLE {only}{} ADD CONSTRAINT {qname} {def};\n",
                            rel.qname
                        ),
                    )
                }
                "p" | "u" | "x" => {
                    self.index_owner
                        .insert(oid(c, "indid"), Key::of(PG_CONSTRAINT, con));
                    (
                        group::CONSTRAINT,
                        format!(
                            "ALTER TABLE ONLY {} ADD CONSTRAINT {qname} {def};\n",
                            rel.qname
                        ),
                    )
                }
                _ => continue,
            };
            let label = format!("CONSTRAINT {qname} ON {}", rel.qname);
            let sort = (rel.schema.clone(), rel.name.clone(), s(c, "name"));
            self.push(
                Key::of(PG_CONSTRAINT, con),
                Section::PostData,
                group,
                (&sort.0, &sort.1, &sort.2),
                label,
                stmt + &comment,
                vec![table_key],
            );
        }
    }

    async fn indexes(&mut self) -> Result<()> {
        let mut attach = Vec::new();
        for r in self
            .rows("indexes", include_str!("sql/indexes.sql"))
            .await?
        {
            let (o, relid) = (oid(&r, "oid"), oid(&r, "relid"));
            let Some(rel) = self.relations.get(&relid) else {
                continue;
            };
            let qname = s(&r, "qname");
            let mut extra = String::new();
            if r.get::<_, bool>("clustered") {
                writeln!(
                    extra,
                    "ALTER TABLE {} CLUSTER ON {};",
                    rel.qname,
                    name_only(&qname)
                )
                .unwrap();
            }
            if r.get::<_, bool>("replident") {
                writeln!(
                    extra,
                    "ALTER TABLE ONLY {} REPLICA IDENTITY USING INDEX {};",
                    rel.qname,
                    name_only(&qname)
                )
                .unwrap();
            }
            for target in r.get::<_, Vec<String>>("stat_targets") {
                let (column, value) = target.split_once(' ').unwrap_or_default();
                writeln!(
                    extra,
                    "ALTER INDEX {qname} ALTER COLUMN {column} SET STATISTICS {value};"
                )
                .unwrap();
            }
            extra += &self.comment(PG_CLASS, o, 0, &format!("INDEX {qname}"));
            if let Some(parents) = self.parents.get(&o) {
                attach.push((o, qname.clone(), parents[0].clone(), rel.schema.clone()));
            }
            if r.get::<_, bool>("for_constraint") {
                // The constraint creates the index; append the index extras to it.
                let owner = self.index_owner.get(&o).copied();
                if let Some(obj) = self.objects.iter_mut().find(|obj| Some(obj.key) == owner) {
                    obj.sql += &extra;
                }
                continue;
            }
            self.index_owner.insert(o, Key::of(PG_CLASS, o));
            let sql = format!("{};\n{extra}", s(&r, "def"));
            let sort = (rel.schema.clone(), s(&r, "name"));
            self.push(
                Key::of(PG_CLASS, o),
                Section::PostData,
                group::INDEX,
                (&sort.0, &sort.1, ""),
                format!("INDEX {qname}"),
                sql,
                vec![Key::of(PG_CLASS, relid)],
            );
        }
        // Partition indexes are created per partition, then attached to the parent's.
        for (child, qname, (parent, parent_qname), schema) in attach {
            let (Some(&child_key), Some(&parent_key)) =
                (self.index_owner.get(&child), self.index_owner.get(&parent))
            else {
                continue;
            };
            let sql = format!("ALTER INDEX {parent_qname} ATTACH PARTITION {qname};\n");
            let key = Key::of(PG_CLASS, child).with(Part::Attach);
            self.push(
                key,
                Section::PostData,
                group::INDEX_ATTACH,
                (&schema, &qname, ""),
                format!("INDEX ATTACH {qname}"),
                sql,
                vec![child_key, parent_key],
            );
        }
        for (index, owner) in self.index_owner.clone() {
            self.owner_of.insert((PG_CLASS, index), owner);
        }
        Ok(())
    }

    async fn triggers_rules_policies_statistics(&mut self) -> Result<()> {
        for r in self
            .rows(
                "triggers",
                include_str!("sql/triggers.sql"),
            )
            .await?
        {
            let (o, relid) = (oid(&r, "oid"), oid(&r, "relid"));
            let Some(rel) = self.relations.get(&relid) else {
                continue;
            };
            let qname = s(&r, "qname");
            let mut sql = format!("{};\n", s(&r, "def"));
            let state = match s(&r, "enabled").as_str() {
                "D" => "DISABLE",
                "A" => "ENABLE ALWAYS",
                "R" => "ENABLE REPLICA",
                _ => "",
            };
            if !state.is_empty() {
                writeln!(sql, "ALTER TABLE {} {state} TRIGGER {qname};", rel.qname).unwrap();
            }
            sql += &self.comment(
                PG_TRIGGER,
                o,
                0,
                &format!("TRIGGER {qname} ON {}", rel.qname),
            );
            let (schema, table, label) = (
                rel.schema.clone(),
                rel.name.clone(),
                format!("TRIGGER {qname} ON {}", rel.qname),
            );
            self.push(
                Key::of(PG_TRIGGER, o),
                Section::PostData,
                group::TRIGGER,
                (&schema, &table, &s(&r, "name")),
                label,
                sql,
                vec![Key::of(PG_CLASS, relid)],
            );
        }
        for r in self
            .rows("rules", include_str!("sql/rules.sql"))
            .await?
        {
            let (o, relid) = (oid(&r, "oid"), oid(&r, "relid"));
            let Some(rel) = self.relations.get(&relid) else {
                continue;
            };
            let qname = s(&r, "qname");
            let mut sql = format!("{}\n", s(&r, "def").trim_end());
            if s(&r, "enabled") == "D" {
                writeln!(sql, "ALTER TABLE {} DISABLE RULE {qname};", rel.qname).unwrap();
            }
            sql += &self.comment(PG_REWRITE, o, 0, &format!("RULE {qname} ON {}", rel.qname));
            let (schema, table, label) = (
                rel.schema.clone(),
                rel.name.clone(),
                format!("RULE {qname} ON {}", rel.qname),
            );
            self.push(
                Key::of(PG_REWRITE, o),
                Section::PostData,
                group::RULE,
                (&schema, &table, &s(&r, "name")),
                label,
                sql,
                vec![Key::of(PG_CLASS, relid)],
            );
        }
        for r in self
            .rows(
                "policies",
                include_str!("sql/policies.sql"),
            )
            .await?
        {
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
            write!(sql, " FOR {cmd} TO {}", roles.join(", ")).unwrap();
            if let Some(e) = opt(&r, "using_expr") {
                write!(sql, " USING ({e})").unwrap();
            }
            if let Some(e) = opt(&r, "check_expr") {
                write!(sql, " WITH CHECK ({e})").unwrap();
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
        for r in self
            .rows(
                "statistics",
                include_str!("sql/statistics.sql"),
            )
            .await?
        {
            let (o, relid) = (oid(&r, "oid"), oid(&r, "relid"));
            if !self.relations.contains_key(&relid) || self.is_member(PG_STATISTIC_EXT, o) {
                continue;
            }
            let qname = s(&r, "qname");
            let mut sql = format!("{};\n", s(&r, "def"));
            let target: i32 = r.get("stat_target");
            if target >= 0 {
                writeln!(sql, "ALTER STATISTICS {qname} SET STATISTICS {target};").unwrap();
            }
            sql += &self.comment(PG_STATISTIC_EXT, o, 0, &format!("STATISTICS {qname}"));
            self.push(
                Key::of(PG_STATISTIC_EXT, o),
                Section::PostData,
                group::STATISTICS,
                (&s(&r, "schema"), &s(&r, "name"), ""),
                format!("STATISTICS {qname}"),
                sql,
                vec![Key::of(PG_CLASS, relid)],
            );
        }
        Ok(())
    }

    /// Turns pg_depend rows into dependencies between the collected objects.
    async fn dependencies(&mut self) -> Result<()> {
        for r in self
            .rows(
                "column defaults",
                "SELECT oid::int8 AS oid, adrelid::int8 AS relid FROM pg_catalog.pg_attrdef",
            )
            .await?
        {
            self.owner_of
                .entry((PG_ATTRDEF, oid(&r, "oid")))
                .or_insert(Key::of(PG_CLASS, oid(&r, "relid")));
        }
        for r in self.rows("view rules", "SELECT oid::int8 AS oid, ev_class::int8 AS relid FROM pg_catalog.pg_rewrite WHERE rulename = '_RETURN'").await? {
            self.owner_of.insert((PG_REWRITE, oid(&r, "oid")), Key::of(PG_CLASS, oid(&r, "relid")));
        }
        // Array types, row types and multiranges stand for the type or table they belong to.
        let types = "SELECT t.oid::int8 AS oid, t.typrelid::int8 AS relid, \
                     CASE WHEN t.typelem <> 0 AND t.typlen = -1 THEN t.typelem ELSE 0 END::int8 AS elem, \
                     coalesce((SELECT r.rngtypid FROM pg_catalog.pg_range r WHERE r.rngmultitypid = t.oid), 0)::int8 AS range \
                     FROM pg_catalog.pg_type t WHERE t.oid >= 16384";
        let mut aliases = Vec::new();
        for r in self.rows("types", types).await? {
            let (o, relid, elem, range) = (
                oid(&r, "oid"),
                oid(&r, "relid"),
                oid(&r, "elem"),
                oid(&r, "range"),
            );
            if self.owner_of.contains_key(&(PG_TYPE, o)) {
                continue;
            }
            let target = if relid != 0 {
                (PG_CLASS, relid)
            } else if elem != 0 {
                (PG_TYPE, elem)
            } else if range != 0 {
                (PG_TYPE, range)
            } else {
                continue;
            };
            aliases.push(((PG_TYPE, o), target));
        }
        // Resolve after the loop: an array's element may itself be a row type.
        for _ in 0..2 {
            for (from, to) in &aliases {
                if let Some(&key) = self.owner_of.get(to) {
                    self.owner_of.insert(*from, key);
                }
            }
        }

        let keys: HashSet<Key> = self.objects.iter().map(|o| o.key).collect();
        let seq_owned_by: HashSet<u32> = self
            .objects
            .iter()
            .filter(|o| o.key.part == Part::OwnedBy)
            .map(|o| o.key.oid)
            .collect();
        let index: HashMap<Key, usize> = self
            .objects
            .iter()
            .enumerate()
            .map(|(i, o)| (o.key, i))
            .collect();
        for r in self
            .rows(
                "dependencies",
                include_str!("sql/dependencies.sql"),
            )
            .await?
        {
            let (class, o, ref_class, ref_oid) = (
                oid(&r, "class"),
                oid(&r, "oid"),
                oid(&r, "ref_class"),
                oid(&r, "ref_oid"),
            );
            // A serial sequence's ownership link points at its table; OWNED BY carries it.
            if class == PG_CLASS && ref_class == PG_CLASS && seq_owned_by.contains(&o) {
                continue;
            }
            let from = self
                .owner_of
                .get(&(class, o))
                .copied()
                .unwrap_or(Key::of(class, o));
            let to = self
                .owner_of
                .get(&(ref_class, ref_oid))
                .copied()
                .unwrap_or(Key::of(ref_class, ref_oid));
            if self.unsupported_keys.contains(&to) && keys.contains(&from) {
                self.needs_unsupported.insert(from);
            }
            if from != to && keys.contains(&from) && keys.contains(&to) {
                self.objects[index[&from]].deps.push(to);
            }
        }
        // A view can need a primary key (GROUP BY on it), which is post-data;
        // such views, and whatever reads them, move to post-data too.
        loop {
            let post: HashSet<Key> = self
                .objects
                .iter()
                .filter(|o| o.section == Section::PostData)
                .map(|o| o.key)
                .collect();
            let mut moved = false;
            for obj in &mut self.objects {
                let movable = matches!(
                    obj.sort_key.0,
                    group::VIEW | group::FUNCTION | group::AGGREGATE
                );
                if obj.section == Section::PreData
                    && movable
                    && obj.deps.iter().any(|d| post.contains(d))
                {
                    obj.section = Section::PostData;
                    moved = true;
                }
            }
            if !moved {
                break;
            }
        }
        // A materialized view is refreshed after those it reads.
        let refreshes: HashSet<u32> = self
            .objects
            .iter()
            .filter(|o| o.key.part == Part::Refresh)
            .map(|o| o.key.oid)
            .collect();
        for i in 0..self.objects.len() {
            let key = self.objects[i].key;
            if key.part != Part::Main || !refreshes.contains(&key.oid) || key.class != PG_CLASS {
                continue;
            }
            let reads: Vec<Key> = self.objects[i]
                .deps
                .iter()
                .filter(|d| d.class == PG_CLASS && refreshes.contains(&d.oid))
                .map(|d| d.with(Part::Refresh))
                .collect();
            let refresh = index[&key.with(Part::Refresh)];
            self.objects[refresh].deps.extend(reads);
        }
        Ok(())
    }
}

/// `"s"."idx"` -> `"idx"`: CLUSTER ON and USING INDEX take a bare index name.
fn name_only(qname: &str) -> &str {
    // The server quoted both parts, so the last dot outside quotes splits them.
    let mut in_quotes = false;
    let mut split = 0;
    for (i, ch) in qname.char_indices() {
        match ch {
            '"' => in_quotes = !in_quotes,
            '.' if !in_quotes => split = i + 1,
            _ => {}
        }
    }
    &qname[split..]
}

#[cfg(test)]
mod tests {
    use super::name_only;

    #[test]
    fn index_name_without_schema() {
        assert_eq!(name_only("public.idx"), "idx");
        assert_eq!(name_only(r#""my.schema"."a.b""#), r#""a.b""#);
    }
}
