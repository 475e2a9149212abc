//! Reads a MySQL/MariaDB schema with SHOW CREATE and writes a deterministic,
//! sectioned snapshot the `mysql` client loads unchanged.
//!
//! Sections: `pre-data` (sequences, tables without foreign keys), `post-data`
//! (foreign keys) and `code` (routines, views, triggers, events). Code comes
//! last because it cannot move between databases with RENAME TABLE, which is
//! how `init` swaps a finished build in.

use std::collections::BTreeMap;
use std::io::Write;

use anyhow::{anyhow, Context, Result};
use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Row};

use super::connect::{ident, literal};
use crate::config::EngineKind;
use crate::engine::order::{sort_objects, SchemaObject, Section};
use crate::engine::{SchemaOptions, SchemaSummary};
use crate::error::{ServerError, Unsupported};
use crate::snapshot::markers::{self, FileKind};

pub const HEADER: &str = "\
--
-- dbsnap schema snapshot (MySQL/MariaDB)
-- Load with `dbsnap init --schema FILE` or `mysql DB < FILE`.
-- Sections: pre-data (tables), post-data (foreign keys), code (routines,
-- views, triggers, events), so that rows can be loaded before the last two.
--
";

const SETTINGS: &str = "
SET NAMES utf8mb4;
SET FOREIGN_KEY_CHECKS = 0;
SET SQL_MODE = 'NO_AUTO_VALUE_ON_ZERO';
SET time_zone = '+00:00';
";

fn text(row: &Row, col: &str) -> Option<String> {
    let idx = row.columns_ref().iter().position(|c| c.name_str() == col)?;
    match row.as_ref(idx)? {
        mysql_async::Value::Bytes(b) => Some(String::from_utf8_lossy(b).into_owned()),
        mysql_async::Value::NULL => None,
        other => Some(other.as_sql(true).trim_matches('\'').to_string()),
    }
}

/// A SHOW CREATE definition, which must be UTF-8 to be written faithfully: a
/// literal like `_latin1 X'E9'` comes back as a raw byte, and replacing it
/// would change the object silently.
fn definition(row: &Row, col: &str, what: &str) -> Result<Option<String>, String> {
    let Some(idx) = row.columns_ref().iter().position(|c| c.name_str() == col) else {
        return Ok(None);
    };
    match row.as_ref(idx) {
        Some(mysql_async::Value::Bytes(b)) => match String::from_utf8(b.clone()) {
            Ok(s) => Ok(Some(s)),
            Err(_) => hex_literals(b)
                .map(Some)
                .ok_or_else(|| format!("{what} (its definition holds bytes that are not UTF-8 outside a character-set literal)")),
        },
        _ => Ok(None),
    }
}

/// Rewrites `_latin1'caf\xE9'` (raw bytes in another character set) as
/// `_latin1 X'636166E9'`, which the server reads as the same literal and stores
/// the same way. None if some invalid byte is not in such a literal.
fn hex_literals(bytes: &[u8]) -> Option<String> {
    let mut out: Vec<u8> = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'`' {
            // A quoted identifier (may hold quotes): copied as it is.
            let end = bytes[i + 1..]
                .iter()
                .position(|&b| b == b'`')
                .map_or(bytes.len(), |p| i + 1 + p);
            out.extend_from_slice(&bytes[i..(end + 1).min(bytes.len())]);
            i = end + 1;
            continue;
        }
        if bytes[i] != b'\'' {
            out.push(bytes[i]);
            i += 1;
            continue;
        }
        // A quoted literal: collect its unescaped content.
        let start = i;
        let mut content = Vec::new();
        i += 1;
        while i < bytes.len() {
            match bytes[i] {
                b'\\' if i + 1 < bytes.len() => {
                    content.push(match bytes[i + 1] {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b'0' => 0,
                        b'Z' => 0x1a,
                        b't' => b'\t',
                        other => other,
                    });
                    i += 2;
                }
                b'\'' if bytes.get(i + 1) == Some(&b'\'') => {
                    content.push(b'\'');
                    i += 2;
                }
                b'\'' => break,
                other => {
                    content.push(other);
                    i += 1;
                }
            }
        }
        let literal = &bytes[start..(i + 1).min(bytes.len())];
        i += 1;
        let introduced = out
            .iter()
            .rev()
            .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
            .collect::<Vec<_>>();
        let has_introducer = introduced.last() == Some(&&b'_') && introduced.len() > 1;
        if std::str::from_utf8(literal).is_ok() {
            out.extend_from_slice(literal);
        } else if has_introducer {
            out.extend_from_slice(b" X'");
            for b in content {
                out.extend_from_slice(format!("{b:02X}").as_bytes());
            }
            out.push(b'\'');
        } else {
            return None;
        }
    }
    String::from_utf8(out).ok()
}

async fn rows(conn: &mut Conn, sql: &str) -> Result<Vec<Row>> {
    conn.query(sql)
        .await
        .map_err(ServerError::from)
        .with_context(|| sql.lines().last().unwrap_or(sql).to_string())
}

async fn show_create(conn: &mut Conn, what: &str, name: &str) -> Result<Row> {
    let sql = format!("SHOW CREATE {what} {}", ident(name));
    let mut found = rows(conn, &sql).await?;
    found.pop().ok_or_else(|| anyhow!("{sql} returned nothing"))
}

/// `SHOW CREATE kind name`: its row and the definition (None when the
/// server hides it), without the definer unless it is kept. A definition
/// dbsnap cannot write goes to `unsupported`, and gives None.
async fn read_create(
    conn: &mut Conn,
    (kind, name): (&str, &str),
    opts: &SchemaOptions,
    unsupported: &mut Vec<String>,
) -> Result<Option<(Row, Option<String>)>> {
    let column = match kind {
        "FUNCTION" => "Create Function",
        "PROCEDURE" => "Create Procedure",
        "VIEW" => "Create View",
        "TRIGGER" => "SQL Original Statement",
        _ => "Create Event",
    };
    let what = format!("{} {}", kind.to_lowercase(), ident(name));
    let row = show_create(conn, kind, name).await?;
    match definition(&row, column, &what) {
        Ok(create) => {
            let create = create.map(|c| {
                if opts.keep_definer {
                    c
                } else {
                    strip_definer(&c)
                }
            });
            Ok(Some((row, create)))
        }
        Err(problem) => {
            unsupported.push(problem);
            Ok(None)
        }
    }
}

/// Removes `DEFINER=user@host ` so the file does not depend on who made it.
pub fn strip_definer(sql: &str) -> String {
    let Some(start) = sql.find("DEFINER=") else {
        return sql.to_string();
    };
    let bytes = sql.as_bytes();
    let mut i = start + "DEFINER=".len();
    // user@host, each part backtick-quoted (with `` escapes) or bare.
    for part in 0..2 {
        if bytes.get(i) == Some(&b'`') {
            i += 1;
            while i < bytes.len() {
                if bytes[i] == b'`' {
                    if bytes.get(i + 1) == Some(&b'`') {
                        i += 2;
                        continue;
                    }
                    i += 1;
                    break;
                }
                i += 1;
            }
        } else {
            while i < bytes.len() && !matches!(bytes[i], b'@' | b' ') {
                i += 1;
            }
        }
        if part == 0 && bytes.get(i) == Some(&b'@') {
            i += 1;
        } else {
            break;
        }
    }
    while bytes.get(i) == Some(&b' ') {
        i += 1;
    }
    format!("{}{}", &sql[..start], &sql[i..])
}

/// Splits SHOW CREATE TABLE output into the table without its foreign keys
/// (and without the AUTO_INCREMENT counter unless kept) and the FK clauses.
pub fn split_table(create: &str, keep_auto_increment: bool) -> (String, Vec<String>) {
    let lines: Vec<&str> = create.lines().collect();
    let mut body: Vec<String> = Vec::new();
    let mut fks = Vec::new();
    let close = lines
        .iter()
        .position(|l| l.starts_with(')'))
        .unwrap_or(lines.len());
    for (i, line) in lines.iter().enumerate() {
        let trimmed = line.trim_start();
        if i > 0
            && i < close
            && trimmed.starts_with("CONSTRAINT ")
            && trimmed.contains(" FOREIGN KEY ")
        {
            fks.push(trimmed.trim_end_matches(',').to_string());
        } else {
            body.push(line.to_string());
        }
    }
    // The definition before the body's closing `)` must not end in a comma
    // any more (partition clauses after it keep theirs).
    if let Some(close) = body.iter().position(|l| l.starts_with(')')) {
        if close > 0 && body[close - 1].ends_with(',') {
            body[close - 1].pop();
        }
    }
    if !keep_auto_increment {
        if let Some(options) = body.iter_mut().find(|l| l.starts_with(')')) {
            *options = remove_auto_increment(options);
        }
    }
    (body.join("\n"), fks)
}

fn remove_auto_increment(options: &str) -> String {
    let mut out = String::with_capacity(options.len());
    let mut rest = options;
    while let Some(pos) = rest.find(" AUTO_INCREMENT=") {
        out.push_str(&rest[..pos]);
        let after = &rest[pos + " AUTO_INCREMENT=".len()..];
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        rest = &after[digits..];
    }
    out.push_str(rest);
    out
}

/// A delimiter that does not occur in the body.
fn delimiter_for(body: &str) -> &'static str {
    [";;", "$$", "//", "@@@"]
        .into_iter()
        .find(|d| !body.contains(d))
        .unwrap_or("$$$$")
}

/// Wraps a stored program with the session state it was created in, as the
/// mysql client needs it (`DELIMITER`) and as mysqldump shows it.
fn program(create: &str, row: &Row) -> String {
    let mut sql = String::new();
    if let Some(mode) = text(row, "sql_mode") {
        sql += &format!("SET SESSION sql_mode = {};\n", literal(&mode));
    }
    if let (Some(client), Some(conn)) = (
        text(row, "character_set_client"),
        text(row, "collation_connection"),
    ) {
        sql +=
            &format!("SET character_set_client = {client};\nSET collation_connection = {conn};\n");
    }
    let delim = delimiter_for(create);
    // On its own line: a body may end in a `--` comment.
    sql += &format!(
        "DELIMITER {delim}\n{}\n{delim}\nDELIMITER ;\n",
        create.trim_end()
    );
    sql += "SET SESSION sql_mode = 'NO_AUTO_VALUE_ON_ZERO';\nSET NAMES utf8mb4;\n";
    sql
}

pub async fn export(
    conn: &mut Conn,
    opts: &SchemaOptions,
    out: &mut dyn Write,
) -> Result<SchemaSummary> {
    let db = rows(conn, include_str!("sql/database.sql")).await?;
    let db = db
        .first()
        .ok_or_else(|| anyhow!("no database selected: put the database name in the URL"))?;
    let (charset, collation) = (
        text(db, "charset").unwrap_or_default(),
        text(db, "collation").unwrap_or_default(),
    );
    let db_name = text(db, "name").unwrap_or_default();

    let mut objects: Vec<SchemaObject<(u8, String)>> = Vec::new();
    let mut push = |kind: u8,
                    name: &str,
                    section: Section,
                    label: String,
                    sql: String,
                    deps: Vec<(u8, String)>| {
        objects.push(SchemaObject {
            key: (kind, name.to_string()),
            section,
            sort_key: (kind, name.to_string(), String::new(), String::new()),
            label,
            sql,
            deps,
        });
    };
    const SEQUENCE: u8 = 0;
    const TABLE: u8 = 1;
    const FOREIGN_KEY: u8 = 2;
    const ROUTINE: u8 = 3;
    const VIEW: u8 = 4;
    const TRIGGER: u8 = 5;
    const EVENT: u8 = 6;

    let mut views = Vec::new();
    let mut unsupported: Vec<String> = Vec::new();
    for r in rows(conn, include_str!("sql/objects.sql")).await? {
        let (name, kind) = (
            text(&r, "name").unwrap_or_default(),
            text(&r, "kind").unwrap_or_default(),
        );
        match kind.as_str() {
            "SEQUENCE" => {
                let row = show_create(conn, "SEQUENCE", &name).await?;
                let create = text(&row, "Create Table").unwrap_or_default();
                push(
                    SEQUENCE,
                    &name,
                    Section::PreData,
                    format!("SEQUENCE {}", ident(&name)),
                    format!("{create};\n"),
                    vec![],
                );
            }
            "VIEW" => views.push(name),
            _ => {
                let row = show_create(conn, "TABLE", &name).await?;
                let create =
                    match definition(&row, "Create Table", &format!("table {}", ident(&name))) {
                        Ok(create) => create.unwrap_or_default(),
                        Err(problem) => {
                            unsupported.push(problem);
                            continue;
                        }
                    };
                // Defaults like NEXTVAL(`db`.`s`) name the source database; the
                // snapshot must point at whatever database it is loaded into.
                let create = create.replace(&format!("{}.", ident(&db_name)), "");
                let (table, fks) = split_table(&create, opts.keep_auto_increment);
                push(
                    TABLE,
                    &name,
                    Section::PreData,
                    format!("TABLE {}", ident(&name)),
                    format!("{table};\n"),
                    vec![],
                );
                for (i, fk) in fks.iter().enumerate() {
                    let key = format!("{name}\u{0}{i:04}");
                    // `CONSTRAINT `fk` FOREIGN KEY ...`: the label names the key, so
                    // that each label is unique (diff keys objects by it).
                    let fk_name = fk
                        .strip_prefix("CONSTRAINT ")
                        .and_then(|rest| rest.split_once(" FOREIGN KEY "))
                        .map(|(n, _)| format!("{n} "))
                        .unwrap_or_default();
                    push(
                        FOREIGN_KEY,
                        &key,
                        Section::PostData,
                        format!("FOREIGN KEY {fk_name}ON {}", ident(&name)),
                        format!("ALTER TABLE {} ADD {fk};\n", ident(&name)),
                        vec![],
                    );
                }
            }
        }
    }
    // MariaDB lists routines only to users who may read mysql.proc (or own
    // them); without that grant they would be left out without a word.
    if let Err(mysql_async::Error::Server(e)) =
        conn.query_drop("SELECT 1 FROM mysql.proc LIMIT 0").await
    {
        if e.code == 1142 {
            let user = super::connect::current_user(conn).await;
            eprintln!(
                "dbsnap: warning: this user cannot see other users' procedures and functions; \
                 the snapshot lacks any there are ({})",
                super::grants::routine_grant(&user)
            );
        }
    }
    for r in rows(conn, include_str!("sql/routines.sql")).await? {
        let (name, kind) = (
            text(&r, "name").unwrap_or_default(),
            text(&r, "kind").unwrap_or_default(),
        );
        let read = read_create(conn, (&kind, &name), opts, &mut unsupported);
        let Some((row, create)) = read.await? else {
            continue;
        };
        let Some(create) = create else {
            let user = super::connect::current_user(conn).await;
            anyhow::bail!(
                "cannot read the definition of {kind} {name}: the user lacks privileges to \
                 see it ({})",
                super::grants::routine_grant(&user)
            )
        };
        push(
            ROUTINE,
            &format!("{kind} {name}"),
            Section::Code,
            format!("{kind} {}", ident(&name)),
            program(&create, &row),
            vec![],
        );
    }
    // A view may read views whose names sort after its own.
    let mut definitions = BTreeMap::new();
    for name in &views {
        let read = read_create(conn, ("VIEW", name), opts, &mut unsupported);
        if let Some((row, create)) = read.await? {
            definitions.insert(name.clone(), (create.unwrap_or_default(), row));
        }
    }
    for (name, (create, row)) in &definitions {
        let body = create.split_once(" AS ").map(|(_, b)| b).unwrap_or(create);
        let deps = views
            .iter()
            .filter(|v| *v != name && body.contains(&ident(v)))
            .map(|v| (VIEW, v.clone()))
            .collect();
        let mut sql = String::new();
        if let (Some(client), Some(coll)) = (
            text(row, "character_set_client"),
            text(row, "collation_connection"),
        ) {
            sql += &format!(
                "SET character_set_client = {client};\nSET collation_connection = {coll};\n"
            );
        }
        sql += &format!("{create};\nSET NAMES utf8mb4;\n");
        push(
            VIEW,
            name,
            Section::Code,
            format!("VIEW {}", ident(name)),
            sql,
            deps,
        );
    }
    for (position, r) in rows(conn, include_str!("sql/triggers.sql"))
        .await?
        .into_iter()
        .enumerate()
    {
        let name = text(&r, "name").unwrap_or_default();
        let read = read_create(conn, ("TRIGGER", &name), opts, &mut unsupported);
        let Some((row, create)) = read.await? else {
            continue;
        };
        let create = create.unwrap_or_default();
        // Keep the server's firing order: triggers sort by their position.
        let key = format!("{position:06}");
        push(
            TRIGGER,
            &key,
            Section::Code,
            format!("TRIGGER {}", ident(&name)),
            program(&create, &row),
            vec![],
        );
    }
    for r in rows(conn, include_str!("sql/events.sql")).await? {
        let name = text(&r, "name").unwrap_or_default();
        let read = read_create(conn, ("EVENT", &name), opts, &mut unsupported);
        let Some((row, create)) = read.await? else {
            continue;
        };
        let create = create.unwrap_or_default();
        let zone = text(&row, "time_zone").unwrap_or_else(|| "SYSTEM".into());
        let sql = format!(
            "SET time_zone = {};\n{}SET time_zone = '+00:00';\n",
            literal(&zone),
            program(&create, &row)
        );
        push(
            EVENT,
            &name,
            Section::Code,
            format!("EVENT {}", ident(&name)),
            sql,
            vec![],
        );
    }

    let mut summary = SchemaSummary::default();
    if !unsupported.is_empty() {
        if !opts.skip_unsupported {
            return Err(Unsupported {
                objects: unsupported,
            }
            .into());
        }
        summary.skipped = unsupported;
    }
    let (sorted, warnings) = sort_objects(objects);
    for w in warnings {
        eprintln!("dbsnap: warning: {w}");
    }
    out.write_all(HEADER.as_bytes())?;
    out.write_all(markers::header(EngineKind::MySql, FileKind::Schema).as_bytes())?;
    out.write_all(markers::database_charset_line(&charset, &collation).as_bytes())?;
    out.write_all(SETTINGS.as_bytes())?;
    // Every section is written, even empty, so that readers can rely on them.
    for section in Section::ALL {
        write!(out, "\n{}", markers::section_line(section))?;
        for obj in sorted.iter().filter(|o| o.section == section) {
            write!(out, "\n{}\n{}", markers::object_line(&obj.label), obj.sql)?;
            summary.objects += 1;
        }
    }
    write!(out, "\n{}", markers::end_line())?;
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn definer_is_removed_whatever_its_quoting() {
        assert_eq!(
            strip_definer("CREATE DEFINER=`root`@`127.0.0.1` TRIGGER `t` AFTER"),
            "CREATE TRIGGER `t` AFTER"
        );
        assert_eq!(
            strip_definer("CREATE DEFINER=`we``ird`@`%` FUNCTION f()"),
            "CREATE FUNCTION f()"
        );
        assert_eq!(
            strip_definer("CREATE DEFINER=root@localhost EVENT e"),
            "CREATE EVENT e"
        );
        assert_eq!(strip_definer("CREATE VIEW v"), "CREATE VIEW v");
    }

    #[test]
    fn foreign_keys_and_counter_come_out() {
        let create = "CREATE TABLE `film` (\n  `id` int NOT NULL AUTO_INCREMENT,\n  `lang` int,\n  PRIMARY KEY (`id`),\n  \
                      CONSTRAINT `fk_a` FOREIGN KEY (`lang`) REFERENCES `language` (`id`),\n  \
                      CONSTRAINT `fk_b` FOREIGN KEY (`lang`) REFERENCES `language` (`id`) ON DELETE CASCADE\n\
                      ) ENGINE=InnoDB AUTO_INCREMENT=1001 DEFAULT CHARSET=utf8mb4";
        let (table, fks) = split_table(create, false);
        assert_eq!(
            table,
            "CREATE TABLE `film` (\n  `id` int NOT NULL AUTO_INCREMENT,\n  `lang` int,\n  PRIMARY KEY (`id`)\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"
        );
        assert_eq!(fks.len(), 2);
        assert!(fks[1].ends_with("ON DELETE CASCADE"));
        assert!(split_table(create, true).0.contains("AUTO_INCREMENT=1001"));
    }

    #[test]
    fn raw_charset_literals_become_hex() {
        let view = b"select _latin1'caf\xE9' AS `x'`, 'it\\'s' AS `y`";
        assert_eq!(
            hex_literals(view).unwrap(),
            "select _latin1 X'636166E9' AS `x'`, 'it\\'s' AS `y`"
        );
        assert!(hex_literals(b"select 'caf\xE9'").is_none());
    }

    #[test]
    fn delimiter_avoids_the_body() {
        assert_eq!(delimiter_for("BEGIN SELECT 1; END"), ";;");
        assert_eq!(delimiter_for("BEGIN SELECT ';;'; END"), "$$");
    }
}
