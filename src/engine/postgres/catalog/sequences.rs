//! Sequences and their OWNED BY; identity sequences go with their column.

use anyhow::Result;

use super::*;

pub(super) struct Sequence {
    pub(super) oid: u32,
    pub(super) schema: String,
    pub(super) name: String,
    pub(super) qname: String,
    pub(super) type_name: String,
    pub(super) start: i64,
    pub(super) increment: i64,
    pub(super) max: i64,
    pub(super) min: i64,
    pub(super) cache: i64,
    pub(super) cycle: bool,
    pub(super) persistence: String,
    pub(super) owner: Option<(u32, i32, String, String)>,
}

impl Sequence {
    pub(super) fn options(&self, sep: &str) -> String {
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

impl CatalogReader<'_> {
    pub(super) async fn sequences(&mut self) -> Result<()> {
        for r in self
            .rows("sequences", include_str!("sequences.sql"))
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
                    self.implied.insert((PG_CLASS, seq.oid));
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
                // The table's qualified name is known once relations are read;
                // its statement is written then (see `owned_by`).
                let deps = vec![key, Key::of(PG_CLASS, *relid)];
                self.owned_by.push(OwnedBy {
                    key: key.with(Part::OwnedBy),
                    sequence: qname.clone(),
                    table: *relid,
                    column: column.clone(),
                });
                self.push(
                    key.with(Part::OwnedBy),
                    Section::PreData,
                    group::OWNED_BY,
                    (&seq.schema, &seq.name, ""),
                    format!("SEQUENCE OWNED BY {qname}"),
                    String::new(),
                    deps,
                );
            }
        }
        Ok(())
    }
}
