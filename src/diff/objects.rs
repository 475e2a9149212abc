//! A schema snapshot split into its objects, keyed by kind and qualified name.

use std::collections::BTreeMap;
use std::io::Cursor;
use std::path::Path;

use anyhow::{bail, Result};

use super::kinds::Ignored;
use super::tables;
use crate::config::EngineKind;
use crate::script::{Item, MysqlReader, PsqlReader};
use crate::snapshot::markers::object_label;

/// `(kind, qualified name)`, e.g. `("index", "public.film_title_idx")`.
pub type ObjectKey = (String, String);

/// Each object's DDL: its statements, each ended by `;` and a newline.
pub type Objects = BTreeMap<ObjectKey, String>;

/// One object as the file holds it: its statements without their `;`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawObject {
    pub kind: String,
    pub name: String,
    pub statements: Vec<String>,
}

/// Splits a schema snapshot (`text`, read from `origin`) into objects. Members
/// of a table that can change on their own (PostgreSQL CHECK constraints,
/// MySQL keys) become objects of their own; ignored kinds and comments are
/// left out.
pub fn read_objects(
    text: &[u8],
    origin: &str,
    engine: EngineKind,
    ignored: &Ignored,
) -> Result<Objects> {
    let mut raw = split(text, origin, engine)?;
    match engine {
        EngineKind::Postgres => tables::postgres_checks(&mut raw),
        EngineKind::MySql => tables::mysql_indexes(&mut raw),
    }
    let mut objects = Objects::new();
    for mut obj in raw {
        if ignored.kind(&obj.kind) {
            continue;
        }
        if ignored.comments {
            match engine {
                EngineKind::Postgres => obj.statements.retain(|s| !s.starts_with("COMMENT ON ")),
                EngineKind::MySql => {
                    for s in &mut obj.statements {
                        *s = tables::without_mysql_comments(s);
                    }
                }
            }
        }
        let ddl: String = obj.statements.iter().map(|s| format!("{s};\n")).collect();
        // Labels are unique in our files; a hand-edited one may repeat one.
        let mut name = obj.name.clone();
        let mut n = 1;
        while objects.contains_key(&(obj.kind.clone(), name.clone())) {
            n += 1;
            name = format!("{} #{n}", obj.name);
        }
        objects.insert((obj.kind, name), ddl);
    }
    Ok(objects)
}

/// The objects of a snapshot in file order, as the engine's script reader
/// sees its statements (so `;` inside bodies and `DELIMITER` blocks are right).
pub fn split(text: &[u8], origin: &str, engine: EngineKind) -> Result<Vec<RawObject>> {
    let path = Path::new(origin);
    let mut items = Vec::new();
    match engine {
        EngineKind::Postgres => {
            let mut reader = PsqlReader::new(Cursor::new(text), path);
            while let Some(item) = reader.next_item()? {
                if let Item::CopyIn { line, .. } = item {
                    bail!("{origin}:{line}: COPY data in a schema file");
                }
                items.push(item);
            }
        }
        EngineKind::MySql => {
            let mut reader = MysqlReader::new(Cursor::new(text), path);
            while let Some(item) = reader.next_item()? {
                items.push(item);
            }
        }
    }
    let mut objects: Vec<RawObject> = Vec::new();
    let mut open = false;
    let mut orphan = None;
    for item in items {
        match item {
            Item::Marker { text, .. } => {
                if let Some(label) = object_label(&text) {
                    let (kind, name) = split_label(label);
                    objects.push(RawObject {
                        kind,
                        name,
                        statements: Vec::new(),
                    });
                    open = true;
                } else if text.starts_with("section") || text == "end" {
                    // A statement after these and before the next object
                    // belongs to no object.
                    open = false;
                }
            }
            Item::Statement { sql, line } => {
                let before_first = objects.is_empty();
                match objects.last_mut() {
                    Some(obj) if open => obj.statements.push(sql),
                    // Session settings before the first object.
                    _ if before_first && is_setting(&sql) => {}
                    _ => {
                        orphan.get_or_insert(line);
                    }
                }
            }
            Item::Meta { .. } | Item::CopyIn { .. } => {}
        }
    }
    if let Some(line) = orphan {
        if objects.is_empty() {
            bail!(
                "{origin}: no `-- dbsnap:object` lines: not a schema snapshot written by \
                 `dbsnap export-schema` (of this version). Two files are compared offline only \
                 in that form; give --scratch-url URL to load them into a scratch database first"
            );
        }
        bail!(
            "{origin}:{line}: a statement outside any `-- dbsnap:object`: the file was edited by \
             hand. Give --scratch-url URL to load it into a scratch database first"
        );
    }
    Ok(objects)
}

fn is_setting(sql: &str) -> bool {
    let upper = sql.trim_start().to_ascii_uppercase();
    upper.starts_with("SET ") || upper.starts_with("SELECT PG_CATALOG.SET_CONFIG")
}

/// `INDEX ATTACH public.x` -> (`index attach`, `public.x`): the kind is the
/// leading upper-case words; names are never such words (PostgreSQL quotes any
/// name with an upper-case letter, MySQL names are back-quoted).
pub fn split_label(label: &str) -> (String, String) {
    let mut kind = Vec::new();
    let mut rest = label.trim();
    while let Some((word, after)) = rest.split_once(' ') {
        if word.is_empty() || !word.bytes().all(|b| b.is_ascii_uppercase()) {
            break;
        }
        kind.push(word.to_ascii_lowercase());
        rest = after.trim_start();
    }
    (kind.join(" "), rest.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_split_into_kind_and_name() {
        let cases = [
            ("TABLE public.film", ("table", "public.film")),
            (
                "INDEX ATTACH public.x_idx",
                ("index attach", "public.x_idx"),
            ),
            (
                "SEQUENCE OWNED BY \"my schema\".s",
                ("sequence owned by", "\"my schema\".s"),
            ),
            (
                "TRIGGER docs_touch ON public.docs",
                ("trigger", "docs_touch ON public.docs"),
            ),
            (
                "FOREIGN KEY `fk` ON `film`",
                ("foreign key", "`fk` ON `film`"),
            ),
            (
                "MATERIALIZED VIEW public.mv",
                ("materialized view", "public.mv"),
            ),
        ];
        for (label, (kind, name)) in cases {
            assert_eq!(split_label(label), (kind.to_string(), name.to_string()));
        }
    }

    const PG: &str = "-- dbsnap:format 1\n-- dbsnap:engine postgresql\nSET lock_timeout = 0;\n\
        SELECT pg_catalog.set_config('search_path', '', false);\n\n-- dbsnap:section pre-data\n\n\
        -- dbsnap:object FUNCTION public.f()\nCREATE FUNCTION public.f() RETURNS int AS $$\nSELECT 1;\n\n-- dbsnap:object X\n$$ LANGUAGE sql;\n\
        COMMENT ON FUNCTION public.f() IS 'a;b';\n\n-- dbsnap:object TABLE public.t\nCREATE TABLE public.t (\n    id integer\n);\n\n\
        -- dbsnap:section post-data\n\n-- dbsnap:end\n";

    #[test]
    fn objects_follow_statements_not_lines() {
        let raw = split(PG.as_bytes(), "f.sql", EngineKind::Postgres).unwrap();
        assert_eq!(raw.len(), 2);
        assert_eq!(raw[0].kind, "function");
        assert_eq!(raw[0].statements.len(), 2);
        assert!(raw[0].statements[0].contains("-- dbsnap:object X"));
        let objects = read_objects(
            PG.as_bytes(),
            "f.sql",
            EngineKind::Postgres,
            &Ignored::default(),
        )
        .unwrap();
        assert_eq!(
            objects[&("table".to_string(), "public.t".to_string())],
            "CREATE TABLE public.t (\n    id integer\n);\n"
        );
        let no_comments = Ignored {
            comments: true,
            ..Ignored::default()
        };
        let objects =
            read_objects(PG.as_bytes(), "f.sql", EngineKind::Postgres, &no_comments).unwrap();
        assert!(!objects[&("function".to_string(), "public.f()".to_string())].contains("COMMENT"));
    }

    #[test]
    fn hand_written_files_are_refused_offline() {
        let err = split(b"CREATE TABLE t (id int);\n", "h.sql", EngineKind::Postgres)
            .unwrap_err()
            .to_string();
        assert!(err.contains("--scratch-url"), "{err}");
    }
}
