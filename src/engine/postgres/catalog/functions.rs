//! Functions, procedures and aggregates.

use std::collections::HashMap;

use anyhow::Result;
use tokio_postgres::Row;

use super::*;

impl CatalogReader<'_> {
    pub(super) async fn functions(&mut self) -> Result<()> {
        let mut aggregates: HashMap<u32, Row> = HashMap::new();
        for r in self
            .rows("aggregates", include_str!("aggregates.sql"))
            .await?
        {
            aggregates.insert(oid(&r, "oid"), r);
        }
        let rows = self.own_rows(PG_PROC, "functions", include_str!("functions.sql"));
        for (o, r) in rows.await? {
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
    // The final function of the plain aggregate (`m` empty) or of its
    // moving-aggregate form (`m` = "m"), with its options.
    let final_func = |parts: &mut Vec<String>, m: &str| {
        let Some(f) = opt(a, &format!("{m}finalfunc")) else {
            return;
        };
        let field = format!("{}FINALFUNC", m.to_uppercase());
        parts.push(format!("{field} = {f}"));
        if a.get::<_, bool>(format!("{m}finalextra").as_str()) {
            parts.push(format!("{field}_EXTRA"));
        }
        let modify = s(a, &format!("{m}finalmodify"));
        if modify != default_modify {
            let word = match modify.as_str() {
                "s" => "SHAREABLE",
                "w" => "READ_WRITE",
                _ => "READ_ONLY",
            };
            parts.push(format!("{field}_MODIFY = {word}"));
        }
    };
    final_func(&mut parts, "");
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
        final_func(&mut parts, "m");
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
