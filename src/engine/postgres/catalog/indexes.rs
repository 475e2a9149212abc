//! Indexes, their CLUSTER / REPLICA IDENTITY extras, and partition index attachment.

use std::fmt::Write as _;

use anyhow::Result;

use super::*;

impl CatalogReader<'_> {
    pub(super) async fn indexes(&mut self) -> Result<()> {
        let mut attach = Vec::new();
        for r in self.rows("indexes", include_str!("indexes.sql")).await? {
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
                .expect("writing to a String cannot fail");
            }
            if r.get::<_, bool>("replident") {
                writeln!(
                    extra,
                    "ALTER TABLE ONLY {} REPLICA IDENTITY USING INDEX {};",
                    rel.qname,
                    name_only(&qname)
                )
                .expect("writing to a String cannot fail");
            }
            for target in r.get::<_, Vec<String>>("stat_targets") {
                let (column, value) = target.split_once(' ').unwrap_or_default();
                writeln!(
                    extra,
                    "ALTER INDEX {qname} ALTER COLUMN {column} SET STATISTICS {value};"
                )
                .expect("writing to a String cannot fail");
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
