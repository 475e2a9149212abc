//! The row statements and counter restores a data file may hold: COPY ... FROM
//! stdin, INSERT ... VALUES, sequence and AUTO_INCREMENT restores, and
//! mysqldump's key hints.

use super::parser::{render_columns, Parser};
use super::tokens::Tok;
use super::*;

/// `COPY name [(cols)] FROM stdin`
pub(super) fn copy_in(sql: &str) -> Option<Statement> {
    let mut p = Parser::new(Dialect::Postgres, sql);
    p.keyword("copy").then_some(())?;
    let table = p.table_name(Dialect::Postgres)?;
    let cols = p.column_list(Dialect::Postgres)?;
    (p.keyword("from") && p.keyword("stdin")).then_some(())?;
    p.punct(';');
    p.at_end().then_some(())?;
    let sql = format!(
        "COPY {}{} FROM STDIN",
        table.quoted(Dialect::Postgres),
        render_columns(Dialect::Postgres, &cols)
    );
    Some(Statement::CopyIn {
        table,
        columns: cols,
        sql,
    })
}

/// `INSERT INTO name [(cols)] [OVERRIDING SYSTEM|USER VALUE] VALUES (...), ...`
pub(super) fn insert(dialect: Dialect, sql: &str) -> Option<Statement> {
    let mut p = Parser::new(dialect, sql);
    (p.keyword("insert") && p.keyword("into")).then_some(())?;
    let table = p.table_name(dialect)?;
    // A MySQL file loads into the database it is imported into, never another.
    if dialect == Dialect::MySql && table.schema.is_some() {
        return None;
    }
    let cols = p.column_list(dialect)?;
    let mut overriding = "";
    if dialect == Dialect::Postgres && p.keyword("overriding") {
        overriding = if p.keyword("system") {
            " OVERRIDING SYSTEM VALUE"
        } else if p.keyword("user") {
            " OVERRIDING USER VALUE"
        } else {
            return None;
        };
        p.keyword("value").then_some(())?;
    }
    if !(p.keyword("values") || (dialect == Dialect::MySql && p.keyword("value"))) {
        return None;
    }
    let values_at = p.offset()?;
    let rows = p.values_lists(dialect)?;
    let values = sql[values_at..].trim_end().trim_end_matches(';');
    let head = format!(
        "INSERT INTO {}{}{overriding} VALUES ",
        table.quoted(dialect),
        render_columns(dialect, &cols)
    );
    // Sized once: format! would grow a statement of a megabyte to two.
    let mut sql = String::with_capacity(head.len() + values.len());
    sql.push_str(&head);
    sql.push_str(values);
    Some(Statement::Insert { table, sql, rows })
}

/// `SELECT pg_catalog.setval('name', n, true)` or MariaDB `SELECT SETVAL(name, n, 0, round)`.
pub(super) fn restore_select(dialect: Dialect, sql: &str) -> Option<Statement> {
    let mut p = Parser::new(dialect, sql);
    p.keyword("select").then_some(())?;
    if dialect == Dialect::Postgres && p.keyword("pg_catalog") {
        p.punct('.').then_some(())?;
    }
    (p.keyword("setval") && p.punct('(')).then_some(())?;
    let restore = match dialect {
        Dialect::Postgres => {
            let name = p.string()?;
            let sequence = TableName::parse(Dialect::Postgres, &name)?;
            p.punct(',').then_some(())?;
            let value = p.integer()?;
            let is_called = if p.punct(',') {
                match p.next()? {
                    Tok::Word(w) if w.eq_ignore_ascii_case("true") => true,
                    Tok::Word(w) if w.eq_ignore_ascii_case("false") => false,
                    _ => return None,
                }
            } else {
                true
            };
            Restore::Setval {
                sequence,
                value,
                is_called,
            }
        }
        Dialect::MySql => {
            let sequence = p.table_name(dialect)?;
            sequence.schema.is_none().then_some(())?;
            p.punct(',').then_some(())?;
            let value = p.integer()?;
            let mut is_used = true;
            let mut round = 0;
            if p.punct(',') {
                is_used = p.integer()? != 0;
                if p.punct(',') {
                    round = u64::try_from(p.integer()?).ok()?;
                }
            }
            Restore::SequencePosition {
                sequence,
                value,
                is_used,
                round,
            }
        }
    };
    (p.punct(')')).then_some(())?;
    p.punct(';');
    p.at_end().then_some(Statement::Restore(restore))
}

/// mysqldump's `ALTER TABLE t DISABLE KEYS` / `ENABLE KEYS`, and our
/// `ALTER TABLE t AUTO_INCREMENT = n`.
pub(super) fn alter_table_mysql(sql: &str) -> Option<Statement> {
    let mut p = Parser::new(Dialect::MySql, sql);
    (p.keyword("alter") && p.keyword("table")).then_some(())?;
    let table = p.table_name(Dialect::MySql)?;
    table.schema.is_none().then_some(())?;
    let stmt = if (p.keyword("disable") || p.keyword("enable")) && p.keyword("keys") {
        Statement::LoadHint
    } else if p.keyword("auto_increment") {
        p.punct('=');
        let value = u64::try_from(p.integer()?).ok()?;
        Statement::Restore(Restore::AutoIncrement { table, value })
    } else {
        return None;
    };
    p.punct(';');
    p.at_end().then_some(stmt)
}
