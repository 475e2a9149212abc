//! Reads a PostgreSQL schema from the catalogs and turns it into ordered DDL.
//!
//! The server writes the hard fragments itself (`pg_get_*def`, `format_type`,
//! `quote_ident`); this module assembles the statements around them, splits
//! them into pre-data and post-data like pg_dump, and records dependencies so
//! that `order::sort_objects` can put them in a loadable, deterministic order.

use std::collections::{HashMap, HashSet};

use anyhow::{Context, Result};
use tokio_postgres::{Client, Row};

use super::quote::literal;
use crate::engine::order::{SchemaObject, Section};

mod access_methods;
mod base_types;
mod casts;
mod census;
mod collations;
mod columns;
mod comments;
mod constraints;
mod conversions;
mod depend;
mod event_triggers;
mod foreign;
mod functions;
mod indexes;
mod languages;
mod matviews;
mod operator_classes;
mod operators;
mod policies;
mod publications;
mod relations;
mod rules;
mod schemas;
mod sequences;
mod statistics;
mod subscriptions;
mod tables;
mod text_search;
mod transforms;
mod triggers;
mod types;

use columns::Column;
use relations::Relation;
use sequences::Sequence;

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
const PG_OPERATOR: u32 = 2617;
const PG_OPCLASS: u32 = 2616;
const PG_AM: u32 = 2601;
const PG_CAST: u32 = 2605;
const PG_CONVERSION: u32 = 2607;
const PG_LANGUAGE: u32 = 2612;
const PG_TRANSFORM: u32 = 3576;
const PG_TS_PARSER: u32 = 3601;
const PG_TS_DICT: u32 = 3600;
const PG_TS_TEMPLATE: u32 = 3764;
const PG_TS_CONFIG: u32 = 3602;
const PG_EVENT_TRIGGER: u32 = 3466;
const PG_FOREIGN_DATA_WRAPPER: u32 = 2328;
const PG_FOREIGN_SERVER: u32 = 1417;
const PG_PUBLICATION: u32 = 6104;

/// Statements that are not catalog objects of their own hang off one (a
/// sequence's OWNED BY, a materialized view's REFRESH, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Part {
    Main,
    OwnedBy,
    Attach,
    RowSecurity,
    Refresh,
    /// `CREATE TYPE x;` before a base type's I/O functions.
    Shell,
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
    pub const LANGUAGE: u8 = 1;
    pub const EXTENSION: u8 = 2;
    pub const COLLATION: u8 = 3;
    pub const TYPE: u8 = 4;
    pub const FUNCTION: u8 = 5;
    pub const AGGREGATE: u8 = 6;
    pub const CAST: u8 = 7;
    pub const TRANSFORM: u8 = 8;
    pub const ACCESS_METHOD: u8 = 9;
    pub const OPERATOR: u8 = 10;
    pub const OPERATOR_FAMILY: u8 = 11;
    pub const OPERATOR_CLASS: u8 = 12;
    pub const CONVERSION: u8 = 13;
    pub const TEXT_SEARCH: u8 = 14;
    pub const FOREIGN_DATA: u8 = 15;
    pub const SEQUENCE: u8 = 16;
    pub const TABLE: u8 = 17;
    pub const VIEW: u8 = 18;
    pub const OWNED_BY: u8 = 19;
    pub const CONSTRAINT: u8 = 20;
    pub const INDEX: u8 = 21;
    pub const INDEX_ATTACH: u8 = 22;
    pub const CHECK: u8 = 23;
    pub const FOREIGN_KEY: u8 = 24;
    pub const TRIGGER: u8 = 25;
    pub const RULE: u8 = 26;
    pub const ROW_SECURITY: u8 = 27;
    pub const POLICY: u8 = 28;
    pub const STATISTICS: u8 = 29;
    pub const PUBLICATION: u8 = 30;
    pub const SUBSCRIPTION: u8 = 31;
    pub const REFRESH: u8 = 32;
    /// Last of all, so that no statement of the file fires one.
    pub const EVENT_TRIGGER: u8 = 33;
}

pub type Object = SchemaObject<Key>;

/// The objects of one database, unordered, plus what was left out.
pub struct Catalog {
    pub objects: Vec<Object>,
    pub unsupported: Vec<String>,
    /// Objects that need an unsupported one (labels); skipped with it.
    pub dependents: Vec<String>,
    /// Subscriptions left out of the snapshot (labels).
    pub subscriptions: Vec<String>,
    /// User mappings written without their password option (labels).
    pub passwords_left_out: Vec<String>,
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

/// Collects every exportable object of the database the client is connected to.
/// The session must have `search_path = ''` so that every name comes back qualified.
pub async fn read_catalog(client: &Client, with_subscriptions: bool) -> Result<Catalog> {
    let mut reader = CatalogReader::new(client).await?;
    for r in query(client, "unsupported", include_str!("unsupported.sql")).await? {
        reader.unsupported.push(s(&r, "object"));
        reader
            .unsupported_keys
            .insert(Key::of(oid(&r, "class"), oid(&r, "oid")));
    }
    reader.schemas().await?;
    reader.languages().await?;
    reader.extensions().await?;
    reader.collations().await?;
    reader.types().await?;
    reader.base_types().await?;
    reader.functions().await?;
    reader.casts().await?;
    reader.transforms().await?;
    reader.access_methods().await?;
    reader.operators().await?;
    reader.operator_classes().await?;
    reader.conversions().await?;
    reader.text_search().await?;
    reader.foreign_data().await?;
    reader.sequences().await?;
    reader.relations().await?;
    reader.indexes().await?;
    reader.triggers().await?;
    reader.rules().await?;
    reader.policies().await?;
    reader.statistics().await?;
    reader.publications().await?;
    reader.event_triggers().await?;
    reader.dependencies().await?;
    // Subscriptions stay out unless asked for (they name another server); say so.
    let subscriptions = reader.subscriptions(with_subscriptions).await?;
    let passwords_left_out = reader.user_mapping_passwords().await?;
    let dependents = reader.dependents_of_unsupported();
    reader.census().await?;
    Ok(Catalog {
        objects: reader.objects,
        unsupported: reader.unsupported,
        dependents,
        subscriptions,
        passwords_left_out,
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
    /// Objects left out because they need an unsupported one.
    skipped_keys: HashSet<Key>,
    /// Catalog rows the server recreates from another object (a constraint
    /// cloned onto a child, an identity column's sequence): written by not
    /// writing them.
    implied: HashSet<(u32, u32)>,
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
    /// Base types written in two steps (shell first), and the C or internal
    /// functions that may be created between them.
    base_types: HashSet<u32>,
    c_functions: HashSet<u32>,
    /// Sequences read before the tables that own them: their OWNED BY
    /// statements are written once the tables' names are known.
    owned_by: Vec<OwnedBy>,
}

/// `ALTER SEQUENCE sequence OWNED BY <table>.column`, for the object `key`.
struct OwnedBy {
    key: Key,
    sequence: String,
    table: u32,
    column: String,
}

impl<'a> CatalogReader<'a> {
    async fn new(client: &'a Client) -> Result<CatalogReader<'a>> {
        let extension_members = query(
            client,
            "extension members",
            include_str!("extension_members.sql"),
        )
        .await?
        .iter()
        .map(|r| (oid(r, "class"), oid(r, "oid")))
        .collect();
        let comments = comments::read(client).await?;
        Ok(CatalogReader {
            client,
            objects: Vec::new(),
            unsupported: Vec::new(),
            unsupported_keys: HashSet::new(),
            needs_unsupported: HashSet::new(),
            skipped_keys: HashSet::new(),
            implied: HashSet::new(),
            extension_members,
            comments,
            owner_of: HashMap::new(),
            relations: HashMap::new(),
            columns: HashMap::new(),
            parents: HashMap::new(),
            identity: HashMap::new(),
            owned_by: Vec::new(),
            inline_checks: HashMap::new(),
            inline_check_comments: HashMap::new(),
            inherited_checks: HashMap::new(),
            constraint_rows: Vec::new(),
            split_defaults: HashMap::new(),
            index_owner: HashMap::new(),
            base_types: HashSet::new(),
            c_functions: HashSet::new(),
        })
    }

    async fn rows(&self, what: &str, sql: &str) -> Result<Vec<Row>> {
        query(self.client, what, sql).await
    }

    /// The rows of `sql` (each naming its object in an `oid` column) for
    /// objects of `class` that no extension makes, with their oids.
    async fn own_rows(&self, class: u32, what: &str, sql: &str) -> Result<Vec<(u32, Row)>> {
        let rows = self.rows(what, sql).await?;
        Ok(rows
            .into_iter()
            .map(|r| (oid(&r, "oid"), r))
            .filter(|(o, _)| !self.is_member(class, *o))
            .collect())
    }

    /// The rows of `sql` for objects on a table dbsnap writes (`oid` and
    /// `relid` columns): with their oids and the table's qualified name.
    async fn on_table_rows(&self, what: &str, sql: &str) -> Result<Vec<(u32, u32, String, Row)>> {
        let rows = self.rows(what, sql).await?;
        Ok(rows
            .into_iter()
            .filter_map(|r| {
                let relid = oid(&r, "relid");
                let table = self.relations.get(&relid)?.qname.clone();
                Some((oid(&r, "oid"), relid, table, r))
            })
            .collect())
    }

    fn is_member(&self, class: u32, oid: u32) -> bool {
        self.extension_members.contains(&(class, oid))
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

    /// Objects of a kind whose query writes the whole statement. Each row has
    /// `oid`, `schema`, `name` (sort keys, with the target), `target` (`KIND
    /// name` as COMMENT ON names it; also the label of the file's object line
    /// unless a `label` column says otherwise) and `ddl`; the object's
    /// dependencies come from pg_depend.
    async fn statements(
        &mut self,
        what: &str,
        sql: &str,
        class: u32,
        section: Section,
        group: u8,
    ) -> Result<()> {
        for (o, r) in self.own_rows(class, what, sql).await? {
            self.push_statement((class, o), &r, section, group);
        }
        Ok(())
    }

    /// One row of a query that writes the whole statement (see
    /// [`Self::statements`]): the object `(class, oid)`.
    fn push_statement(&mut self, (class, o): (u32, u32), r: &Row, section: Section, group: u8) {
        let target = s(r, "target");
        let mut ddl = s(r, "ddl");
        // An empty statement stands for an object another one makes.
        if !ddl.is_empty() {
            ddl += &self.comment(class, o, 0, &target);
        }
        let label = r.try_get::<_, String>("label").unwrap_or(target.clone());
        self.push(
            Key::of(class, o),
            section,
            group,
            (&s(r, "schema"), &s(r, "name"), &target),
            label,
            ddl,
            vec![],
        );
    }

    /// A post-data object on the table `relid` (a policy, rule or trigger)
    /// with its comment: `KIND name ON table`, sorted under its table, made
    /// after it.
    #[allow(clippy::too_many_arguments)]
    fn push_on_table(
        &mut self,
        (class, o): (u32, u32),
        relid: u32,
        kind: &str,
        group: u8,
        r: &Row,
        mut sql: String,
    ) {
        let Some(rel) = self.relations.get(&relid) else {
            return;
        };
        let label = format!("{kind} {} ON {}", s(r, "qname"), rel.qname);
        let (schema, table) = (rel.schema.clone(), rel.name.clone());
        sql += &self.comment(class, o, 0, &label);
        self.push(
            Key::of(class, o),
            Section::PostData,
            group,
            (&schema, &table, &s(r, "name")),
            label,
            sql,
            vec![Key::of(PG_CLASS, relid)],
        );
    }
}
