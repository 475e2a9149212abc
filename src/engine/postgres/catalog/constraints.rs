//! Table constraints: validated CHECKs inline, the rest post-data.

use super::*;

impl CatalogReader<'_> {
    /// Table constraints: validated CHECKs inline, everything else post-data.
    pub(super) fn table_constraints(&mut self) {
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
                "c" if !local => {
                    self.implied.insert((PG_CONSTRAINT, con));
                    continue;
                }
                "c" => (
                    group::CHECK,
                    format!("ALTER TABLE {} ADD CONSTRAINT {qname} {def};\n", rel.qname),
                ),
                // Foreign keys cloned onto partitions are recreated by the parent's.
                "f" if parent != 0 => {
                    self.implied.insert((PG_CONSTRAINT, con));
                    continue;
                }
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
}
