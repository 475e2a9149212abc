//! The session settings a data file may hold, with the values each may take:
//! PostgreSQL's SET and set_config, MySQL's SET of session variables.

use super::parser::Parser;
use super::tokens::*;
use super::*;

/// PostgreSQL settings that pg_dump and dbsnap write, with the values each may take.
fn pg_setting_allowed(name: &str, value: &str) -> bool {
    let v = value.to_ascii_lowercase();
    match name {
        "statement_timeout"
        | "lock_timeout"
        | "idle_in_transaction_session_timeout"
        | "transaction_timeout" => true,
        // Our lexer reads strings as a server in UTF-8 with standard strings does.
        "client_encoding" => matches!(v.as_str(), "utf8" | "utf-8" | "unicode"),
        "standard_conforming_strings" => matches!(v.as_str(), "on" | "true" | "1"),
        "check_function_bodies" | "row_security" | "default_with_oids" => true,
        "xmloption"
        | "client_min_messages"
        | "search_path"
        | "default_tablespace"
        | "default_table_access_method" => true,
        _ => false,
    }
}

/// A search_path with pg_catalog moved to the front (where the server puts
/// it when the list leaves it out); None if it is not a list of names. Old
/// pg_dump files write `public, pg_catalog`, but behind another schema
/// pg_catalog's types and operators could be shadowed by whoever may create
/// objects there, in the statements of the file and in dbsnap's own.
fn pg_catalog_first(value: &str) -> Option<String> {
    let mut names = Vec::new();
    let mut rest = value.trim();
    while !rest.is_empty() {
        let (name, after) = match rest.strip_prefix('"') {
            Some(quoted) => {
                let end = closing_quote(quoted.as_bytes(), b'"')?;
                (&rest[..end + 2], &quoted[end + 1..])
            }
            None => {
                let end = rest.find(',').unwrap_or(rest.len());
                let word = rest[..end].trim();
                word.bytes()
                    .all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'$')
                    .then_some(())?;
                (word, &rest[end..])
            }
        };
        (!name.is_empty()).then_some(())?;
        names.push(name);
        rest = after.trim_start();
        if let Some(next) = rest.strip_prefix(',') {
            rest = next.trim_start();
            (!rest.is_empty()).then_some(())?;
        } else if !rest.is_empty() {
            return None;
        }
    }
    let catalog = |n: &&str| n.eq_ignore_ascii_case("pg_catalog") || *n == "\"pg_catalog\"";
    if !names.iter().any(catalog) {
        return Some(names.join(", "));
    }
    let mut out = vec!["pg_catalog"];
    out.extend(names.into_iter().filter(|n| !catalog(n)));
    Some(out.join(", "))
}

/// `SELECT pg_catalog.set_config('search_path', '', false)`.
pub(super) fn pg_set_config(dialect: Dialect, sql: &str) -> Option<Statement> {
    if dialect != Dialect::Postgres {
        return None;
    }
    let mut p = Parser::new(dialect, sql);
    p.keyword("select").then_some(())?;
    if p.keyword("pg_catalog") {
        p.punct('.').then_some(())?;
    }
    (p.keyword("set_config") && p.punct('(')).then_some(())?;
    let name = p.string()?;
    p.punct(',').then_some(())?;
    let value = p.string()?;
    (p.punct(',') && p.keyword("false") && p.punct(')')).then_some(())?;
    p.punct(';');
    p.at_end().then_some(())?;
    let name = name.to_ascii_lowercase();
    pg_setting_allowed(&name, &value).then_some(())?;
    let value = match name.as_str() {
        "search_path" => pg_catalog_first(&value)?,
        _ => value,
    };
    Some(Statement::Setting(format!(
        "SELECT pg_catalog.set_config({}, {}, false)",
        quote_literal(dialect, &name),
        quote_literal(dialect, &value)
    )))
}

/// MySQL session variables that mysqldump and dbsnap set around the rows.
const MYSQL_SETTINGS: &[&str] = &[
    "character_set_client",
    "character_set_results",
    "character_set_connection",
    "collation_connection",
    "time_zone",
    "unique_checks",
    "foreign_key_checks",
    "sql_mode",
    "sql_notes",
    "note_verbosity",
];

/// Checks that a file may switch off for the `mysql` client (mysqldump's
/// files and ours do, so that rows closing a foreign-key cycle load) but not
/// for dbsnap: the file is untrusted, and `--disable-constraints` alone
/// decides. Their assignments are accepted and not sent.
const IMPORTER_OWNED: &[&str] = &["foreign_key_checks", "unique_checks"];

/// The sql_mode names a file may set: those mysqldump and dbsnap write, and
/// the strict and zero-date modes. Any other could make the server read
/// strings or names differently from this module (NO_BACKSLASH_ESCAPES,
/// ANSI_QUOTES, and the combinations that hold them: ANSI, POSTGRESQL,
/// ORACLE...) or store other values (EMPTY_STRING_IS_NULL,
/// TIME_ROUND_FRACTIONAL, PAD_CHAR_TO_FULL_LENGTH).
pub const SQL_MODES: &[&str] = &[
    "NO_AUTO_VALUE_ON_ZERO",
    "STRICT_TRANS_TABLES",
    "STRICT_ALL_TABLES",
    "ERROR_FOR_DIVISION_BY_ZERO",
    "NO_ENGINE_SUBSTITUTION",
    "NO_ZERO_DATE",
    "NO_ZERO_IN_DATE",
    "ONLY_FULL_GROUP_BY",
    "NO_AUTO_CREATE_USER",
    "NO_DIR_IN_CREATE",
    "TRADITIONAL",
];

/// Whether every mode of a comma-separated sql_mode is one of SQL_MODES (a
/// number, which the server reads as bits, is not).
pub fn sql_mode_ok(value: &str) -> bool {
    value
        .split(',')
        .map(str::trim)
        .filter(|m| !m.is_empty())
        .all(|m| SQL_MODES.iter().any(|ok| m.eq_ignore_ascii_case(ok)))
}

/// `SET name = value[, ...]` in either dialect, rebuilt.
pub(super) fn setting(dialect: Dialect, sql: &str) -> Option<Statement> {
    let mut p = Parser::new(dialect, sql);
    p.keyword("set").then_some(())?;
    match dialect {
        Dialect::Postgres => {
            p.keyword("session");
            let name = p.ident(dialect)?;
            (p.punct('=') || p.keyword("to")).then_some(())?;
            let value = match p.string() {
                Some(s) => s,
                None => match p.next()? {
                    Tok::Number(n) => n.to_string(),
                    Tok::Word(w) => w.to_ascii_lowercase(),
                    _ => return None,
                },
            };
            p.punct(';');
            p.at_end().then_some(())?;
            pg_setting_allowed(&name, &value).then_some(())?;
            Some(Statement::Setting(format!(
                "SET {} = {}",
                quote_ident(dialect, &name),
                quote_literal(dialect, &value)
            )))
        }
        Dialect::MySql => {
            let mut parts = Vec::new();
            loop {
                parts.push(mysql_assignment(&mut p)?);
                if !p.punct(',') {
                    break;
                }
            }
            p.punct(';');
            p.at_end().then_some(())?;
            // Assignments the importer owns are left out (empty).
            parts.retain(|part| !part.is_empty());
            if parts.is_empty() {
                return Some(Statement::LoadHint);
            }
            Some(Statement::Setting(format!("SET {}", parts.join(", "))))
        }
    }
}

enum Target {
    User(String),
    System(String),
}

/// One assignment of a MySQL SET, rebuilt from its parts.
fn mysql_assignment(p: &mut Parser) -> Option<String> {
    let lit = |s: &str| quote_literal(Dialect::MySql, s);
    if p.keyword("names") || (p.keyword("character") && p.keyword("set")) {
        let charset = p.word_or_string()?;
        charset_ok(&charset).then_some(())?;
        let mut out = format!("NAMES {}", lit(&charset));
        if p.keyword("collate") {
            let coll = p.word_or_string()?;
            coll.bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'_')
                .then_some(())?;
            out += &format!(" COLLATE {}", lit(&coll));
        }
        return Some(out);
    }
    // Left side: @var, @@[session.]name, SESSION name, or name.
    let target = match p.next()? {
        Tok::Var {
            system: false,
            name,
        } => Target::User(name),
        Tok::Var { system: true, name } => {
            let lower = name.to_ascii_lowercase();
            let name = lower.strip_prefix("session.").unwrap_or(&lower);
            if name.contains('.') {
                return None;
            }
            Target::System(name.to_string())
        }
        Tok::Word(w) if w.eq_ignore_ascii_case("session") || w.eq_ignore_ascii_case("local") => {
            Target::System(p.ident(Dialect::MySql)?.to_ascii_lowercase())
        }
        Tok::Word(w) => Target::System(w.to_ascii_lowercase()),
        _ => return None,
    };
    (p.punct('=') || (p.punct(':') && p.punct('='))).then_some(())?;
    if let Some(s) = p.string() {
        return assignment(target, lit(&s));
    }
    let value = match p.next()? {
        Tok::Number(n) => n.to_string(),
        Tok::Word(w) if w.eq_ignore_ascii_case("null") => "NULL".into(),
        Tok::Word(w) if w.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_') => lit(w),
        Tok::Var {
            system: false,
            name,
        } => format!("@{}", quote_ident(Dialect::MySql, &name)),
        Tok::Var { system: true, name } => {
            let lower = name.to_ascii_lowercase();
            let name = lower.strip_prefix("session.").unwrap_or(&lower);
            MYSQL_SETTINGS.contains(&name).then_some(())?;
            format!("@@SESSION.{name}")
        }
        _ => return None,
    };
    assignment(target, value)
}

/// The left side with its (checked, rebuilt) value.
fn assignment(target: Target, value: String) -> Option<String> {
    match target {
        Target::User(name) => {
            // mysqldump saves the session's settings to put them back at the end.
            value.starts_with("@@").then_some(())?;
            Some(format!("@{} = {value}", quote_ident(Dialect::MySql, &name)))
        }
        Target::System(name) => {
            MYSQL_SETTINGS.contains(&name.as_str()).then_some(())?;
            if IMPORTER_OWNED.contains(&name.as_str()) {
                return Some(String::new());
            }
            // A string of known modes, or the modes saved in a variable
            // from @@sql_mode (the loader reads the result back as well).
            if name == "sql_mode" {
                let saved = value.starts_with('@') && !value.starts_with("@@");
                let named = value.starts_with('\'') && sql_mode_ok(value.trim_matches('\''));
                (saved || named).then_some(())?;
            }
            if name.starts_with("character_set") && value.starts_with('\'') {
                charset_ok(value.trim_matches('\'')).then_some(())?;
            }
            // A collation names its character set first (gbk_chinese_ci).
            if name == "collation_connection" && !value.starts_with('@') {
                let collation = value.trim_matches('\'');
                let charset = collation.split('_').next().unwrap_or_default();
                (charset_ok(charset) && !matches!(charset, "utf16" | "utf32" | "ucs2"))
                    .then_some(())?;
            }
            Some(format!("SESSION {name} = {value}"))
        }
    }
}
