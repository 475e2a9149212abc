//! The one place that says what a statement of a data file is.
//!
//! Both readers (psql and mysql dialect) hand their statements here. A data
//! file may only load rows, so everything it holds must be one of the forms
//! that our files, `pg_dump --data-only` and `mysqldump --no-create-info`
//! write: the row statements (COPY ... FROM stdin, INSERT INTO ... VALUES of
//! literals), sequence and counter restores, session settings from a short
//! list, and mysqldump's load hints. Names are parsed into [`TableName`]s and
//! quoted again when a statement is sent; text from the file is sent only
//! where it has been checked token by token (the VALUES lists).

mod parser;
mod rows;
mod schema;
mod settings;
mod tokens;

pub use schema::{outside_target, PostDataStep};
pub use settings::sql_mode_ok;
pub use tokens::closing_quote;

use std::fmt;

use parser::Parser;
use rows::{alter_table_mysql, copy_in, insert, restore_select};
use settings::{pg_set_config, setting};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Postgres,
    MySql,
}

impl Dialect {
    /// The engine that speaks this dialect.
    pub fn engine(self) -> crate::config::EngineKind {
        match self {
            Dialect::Postgres => crate::config::EngineKind::Postgres,
            Dialect::MySql => crate::config::EngineKind::MySql,
        }
    }
}

/// A table or sequence name as the server sees it (unquoted, case folded
/// where the server folds it).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TableName {
    pub schema: Option<String>,
    pub name: String,
}

impl TableName {
    /// The name quoted for `dialect`, every part always quoted.
    pub fn quoted(&self, dialect: Dialect) -> String {
        let q = |s: &str| quote_ident(dialect, s);
        match &self.schema {
            Some(schema) => format!("{}.{}", q(schema), q(&self.name)),
            None => q(&self.name),
        }
    }

    /// Parses a name written as SQL (`public."we""ird"`, `` `a b` ``); the
    /// whole text must be the name.
    pub fn parse(dialect: Dialect, text: &str) -> Option<TableName> {
        let mut p = Parser::new(dialect, text);
        let name = p.table_name(dialect)?;
        p.at_end().then_some(name)
    }
}

impl fmt::Display for TableName {
    /// For messages: PostgreSQL-style quoting only where needed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let show = |s: &str| {
            let plain = !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
                && !s.starts_with(|c: char| c.is_ascii_digit());
            if plain {
                s.to_string()
            } else {
                format!("\"{}\"", s.replace('"', "\"\""))
            }
        };
        match &self.schema {
            Some(schema) => write!(f, "{}.{}", show(schema), show(&self.name)),
            None => write!(f, "{}", show(&self.name)),
        }
    }
}

pub fn quote_ident(dialect: Dialect, s: &str) -> String {
    match dialect {
        Dialect::Postgres => format!("\"{}\"", s.replace('"', "\"\"")),
        Dialect::MySql => format!("`{}`", s.replace('`', "``")),
    }
}

/// A string literal that means `s` on both servers in the modes we allow
/// (standard_conforming_strings on; MySQL without NO_BACKSLASH_ESCAPES).
fn quote_literal(dialect: Dialect, s: &str) -> String {
    match dialect {
        Dialect::Postgres => format!("'{}'", s.replace('\'', "''")),
        Dialect::MySql => format!("'{}'", s.replace('\\', "\\\\").replace('\'', "''")),
    }
}

/// A sequence position or counter to restore after the rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Restore {
    /// PostgreSQL `setval(sequence, value, is_called)`.
    Setval {
        sequence: TableName,
        value: i128,
        is_called: bool,
    },
    /// MySQL `ALTER TABLE t AUTO_INCREMENT = n`.
    AutoIncrement { table: TableName, value: u64 },
    /// MariaDB `SELECT SETVAL(s, value, is_used, round)`.
    SequencePosition {
        sequence: TableName,
        value: i128,
        is_used: bool,
        round: u64,
    },
}

impl Restore {
    /// The statements that restore it. On PostgreSQL, `setval` alone is not
    /// transactional; after `ALTER SEQUENCE ... RESTART` (which is: it gives
    /// the sequence a new file) the setval lands in that new file, so a
    /// rollback or a killed session leaves the sequence exactly as it was.
    pub fn statements(&self) -> Vec<String> {
        match self {
            Restore::Setval {
                sequence,
                value,
                is_called,
            } => {
                let q = sequence.quoted(Dialect::Postgres);
                vec![
                    format!("ALTER SEQUENCE {q} RESTART"),
                    format!(
                        "SELECT pg_catalog.setval({}, {value}, {is_called})",
                        quote_literal(Dialect::Postgres, &q)
                    ),
                ]
            }
            Restore::AutoIncrement { table, value } => vec![format!(
                "ALTER TABLE {} AUTO_INCREMENT = {value}",
                table.quoted(Dialect::MySql)
            )],
            Restore::SequencePosition {
                sequence,
                value,
                is_used,
                round,
            } => vec![format!(
                "SELECT SETVAL({}, {value}, {}, {round})",
                sequence.quoted(Dialect::MySql),
                u8::from(*is_used)
            )],
        }
    }

    /// The same position, for `target` named otherwise (by schema).
    pub fn with_target(self, target: TableName) -> Restore {
        match self {
            Restore::Setval {
                value, is_called, ..
            } => Restore::Setval {
                sequence: target,
                value,
                is_called,
            },
            Restore::AutoIncrement { value, .. } => Restore::AutoIncrement {
                table: target,
                value,
            },
            Restore::SequencePosition {
                value,
                is_used,
                round,
                ..
            } => Restore::SequencePosition {
                sequence: target,
                value,
                is_used,
                round,
            },
        }
    }

    /// What it restores, for messages and the manifest comparison.
    pub fn target(&self) -> &TableName {
        match self {
            Restore::Setval { sequence, .. } | Restore::SequencePosition { sequence, .. } => {
                sequence
            }
            Restore::AutoIncrement { table, .. } => table,
        }
    }
}

/// What a statement of a data file is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Statement {
    /// `COPY t (a, b) FROM stdin`: `sql` is the statement rebuilt from the parsed names.
    CopyIn {
        table: TableName,
        /// The named columns, unquoted (empty: the table's).
        columns: Vec<String>,
        sql: String,
    },
    /// `INSERT INTO t (a, b) VALUES (...), ...` with literals only: `sql` is
    /// the head rebuilt from the parsed names plus the checked VALUES text.
    Insert {
        table: TableName,
        sql: String,
        rows: u64,
    },
    Restore(Restore),
    /// BEGIN, COMMIT, ROLLBACK, SAVEPOINT...: the loader owns the transaction.
    Transaction(String),
    /// Schema changes.
    Ddl(String),
    /// mysqldump's LOCK/UNLOCK TABLES and DISABLE/ENABLE KEYS: they would end
    /// the transaction, so they are skipped. So are settings of the checks the
    /// importer owns (`FOREIGN_KEY_CHECKS=0`).
    LoadHint,
    /// A session setting from the allowed list, rebuilt.
    Setting(String),
    /// Anything else, with its first words.
    Other(String),
}

impl Statement {
    /// Whether a data file may hold it.
    pub fn refusal(&self) -> Option<String> {
        match self {
            Statement::Transaction(w) => Some(format!(
                "transaction control ({w}) is not allowed in a data file: the import owns the transaction"
            )),
            Statement::Ddl(w) => Some(format!(
                "a data file may only load rows, but this statement changes the schema ({w})"
            )),
            Statement::Other(w) => Some(format!(
                "a data file may only load rows; this statement is not one of the forms it may hold ({w})"
            )),
            _ => None,
        }
    }
}

/// The first words of a statement, for messages (never more than a line).
pub fn first_words(sql: &str) -> String {
    let words: Vec<&str> = sql.split_whitespace().take(4).collect();
    let mut s = words.join(" ");
    if s.len() > 60 {
        let mut cut = 60;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
        s.push('…');
    }
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// Says what `sql` (one statement, without its terminator) is.
pub fn classify(dialect: Dialect, sql: &str) -> Statement {
    let text = match dialect {
        Dialect::MySql => match versioned_content(sql) {
            // mariadb-dump's first line, `/*M!999999\- enable the sandbox mode */`,
            // is for the mariadb client; no server runs version 999999.
            Some(Ok(inner)) if inner.starts_with("\\-") => return Statement::LoadHint,
            Some(Ok(inner)) => inner,
            Some(Err(())) => return Statement::Other(first_words(sql)),
            None => sql,
        },
        Dialect::Postgres => sql,
    };
    let words = first_words(text);
    let upper: Vec<String> = text
        .split(|c: char| c.is_whitespace() || c == '(' || c == ';')
        .filter(|w| !w.is_empty())
        .take(5)
        .map(|w| w.to_ascii_uppercase())
        .collect();
    let w: Vec<&str> = upper.iter().map(String::as_str).collect();
    match w.as_slice() {
        ["COPY", ..] if dialect == Dialect::Postgres => {
            copy_in(text).unwrap_or(Statement::Other(words))
        }
        ["INSERT", "INTO", ..] => insert(dialect, text).unwrap_or(Statement::Other(words)),
        ["SELECT", ..] => restore_select(dialect, text)
            .or_else(|| pg_set_config(dialect, text))
            .unwrap_or(Statement::Other(words)),
        ["SET", ..] => setting(dialect, text).unwrap_or(Statement::Other(words)),
        ["LOCK", "TABLES", ..] | ["UNLOCK", "TABLES", ..] if dialect == Dialect::MySql => {
            Statement::LoadHint
        }
        ["ALTER", "TABLE", ..] if dialect == Dialect::MySql => {
            alter_table_mysql(text).unwrap_or(Statement::Ddl(words))
        }
        ["BEGIN", ..]
        | ["COMMIT", ..]
        | ["ROLLBACK", ..]
        | ["END", ..]
        | ["ABORT", ..]
        | ["START", "TRANSACTION", ..]
        | ["SAVEPOINT", ..]
        | ["RELEASE", ..]
        | ["PREPARE", "TRANSACTION", ..]
        | ["XA", ..] => Statement::Transaction(words),
        [first, ..]
            if matches!(
                *first,
                "CREATE"
                    | "DROP"
                    | "ALTER"
                    | "RENAME"
                    | "TRUNCATE"
                    | "COMMENT"
                    | "GRANT"
                    | "REVOKE"
                    | "REINDEX"
                    | "CLUSTER"
                    | "VACUUM"
                    | "ANALYZE"
                    | "SECURITY"
                    | "REFRESH"
            ) =>
        {
            Statement::Ddl(words)
        }
        _ => Statement::Other(words),
    }
}

/// `/*!40101 SET NAMES utf8 */` or `/*M!100616 ... */` as a whole statement:
/// its content. Err if a versioned comment is mixed with other text.
fn versioned_content(sql: &str) -> Option<Result<&str, ()>> {
    let t = sql.trim();
    let rest = t.strip_prefix("/*!").or_else(|| t.strip_prefix("/*M!"))?;
    let rest = rest.trim_start_matches(|c: char| c.is_ascii_digit());
    let Some(inner) = rest.strip_suffix("*/") else {
        return Some(Err(()));
    };
    // A second comment inside would let text escape the one we judge.
    if inner.contains("*/") || inner.contains("/*") {
        return Some(Err(()));
    }
    Some(Ok(inner.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use Dialect::{MySql, Postgres};

    fn t(schema: Option<&str>, name: &str) -> TableName {
        TableName {
            schema: schema.map(str::to_string),
            name: name.to_string(),
        }
    }

    fn insert_of(table: TableName, sql: &str) -> Statement {
        let rows = sql.matches("),").count() as u64 + 1;
        Statement::Insert {
            table,
            sql: sql.to_string(),
            rows,
        }
    }

    #[test]
    fn statements_of_both_dialects() {
        let rows: Vec<(Dialect, &str, Statement)> = vec![
            (
                Postgres,
                "COPY public.actor (actor_id, \"First\") FROM stdin",
                Statement::CopyIn {
                    table: t(Some("public"), "actor"),
                    columns: vec!["actor_id".into(), "First".into()],
                    sql: "COPY \"public\".\"actor\" (\"actor_id\", \"First\") FROM STDIN".into(),
                },
            ),
            (
                Postgres,
                "COPY \"we\"\"ird\".T FROM stdin",
                Statement::CopyIn {
                    table: t(Some("we\"ird"), "t"),
                    columns: Vec::new(),
                    sql: "COPY \"we\"\"ird\".\"t\" FROM STDIN".into(),
                },
            ),
            (Postgres, "COPY (SELECT 1) TO PROGRAM 'touch /tmp/x'", Statement::Other("COPY (SELECT 1) TO PROGRAM".into())),
            (Postgres, "COPY t FROM '/etc/passwd'", Statement::Other("COPY t FROM '/etc/passwd'".into())),
            (
                Postgres,
                "INSERT INTO public.t (a, b) VALUES (1, 'x''y'), (-2.5e3, NULL)",
                insert_of(t(Some("public"), "t"), "INSERT INTO \"public\".\"t\" (\"a\", \"b\") VALUES (1, 'x''y'), (-2.5e3, NULL)"),
            ),
            (
                Postgres,
                "INSERT INTO t OVERRIDING SYSTEM VALUE VALUES (E'a\\'b', 'NaN'::numeric, true)",
                insert_of(t(None, "t"), "INSERT INTO \"t\" OVERRIDING SYSTEM VALUE VALUES (E'a\\'b', 'NaN'::numeric, true)"),
            ),
            (Postgres, "INSERT INTO t VALUES (pg_read_file('/etc/passwd'))", Statement::Other("INSERT INTO t VALUES".into())),
            (Postgres, "INSERT INTO t VALUES ('t'::boolean AND wipe(1))", Statement::Other("INSERT INTO t VALUES".into())),
            (Postgres, "INSERT INTO t VALUES ('f'::boolean OR pg_terminate_backend(42))", Statement::Other("INSERT INTO t VALUES".into())),
            (Postgres, "INSERT INTO t VALUES ('1'::int f(2))", Statement::Other("INSERT INTO t VALUES".into())),
            (Postgres, "INSERT INTO t VALUES ('x'::evil.d)", Statement::Other("INSERT INTO t VALUES".into())),
            (Postgres, "INSERT INTO t VALUES ('x'::dom)", Statement::Other("INSERT INTO t VALUES".into())),
            (Postgres, "INSERT INTO t VALUES ('x'::\"Dom\")", Statement::Other("INSERT INTO t VALUES".into())),
            (Postgres, "INSERT INTO t VALUES ('1'::pg_catalog.int4)", insert_of(t(None, "t"), "INSERT INTO \"t\" VALUES ('1'::pg_catalog.int4)")),
            (
                Postgres,
                "INSERT INTO t VALUES ('1'::double precision, 'x'::character varying(3)[], '1 s'::interval day to second(0), 'now'::timestamp(3) with time zone)",
                Statement::Insert {
                    table: t(None, "t"),
                    sql: "INSERT INTO \"t\" VALUES ('1'::double precision, 'x'::character varying(3)[], '1 s'::interval day to second(0), 'now'::timestamp(3) with time zone)".into(),
                    rows: 1,
                },
            ),
            (Postgres, "INSERT INTO t SELECT * FROM u", Statement::Other("INSERT INTO t SELECT".into())),
            (Postgres, "INSERT INTO t VALUES (1) ON CONFLICT DO NOTHING", Statement::Other("INSERT INTO t VALUES".into())),
            (Postgres, "INSERT INTO t VALUES (1) RETURNING *", Statement::Other("INSERT INTO t VALUES".into())),
            (Postgres, "INSERT INTO t VALUES ((SELECT 1))", Statement::Other("INSERT INTO t VALUES".into())),
            (Postgres, "INSERT INTO t VALUES (1); DROP TABLE t", Statement::Other("INSERT INTO t VALUES".into())),
            (Postgres, "INSERT INTO t VALUES (1) -- x", Statement::Other("INSERT INTO t VALUES".into())),
            (
                Postgres,
                "SELECT pg_catalog.setval('public.a_id_seq', 5000, true)",
                Statement::Restore(Restore::Setval { sequence: t(Some("public"), "a_id_seq"), value: 5000, is_called: true }),
            ),
            (
                Postgres,
                "SELECT pg_catalog.setval('\"S\"', -3, false)",
                Statement::Restore(Restore::Setval { sequence: t(None, "S"), value: -3, is_called: false }),
            ),
            (Postgres, "SELECT setval('s', 1); DROP TABLE t", Statement::Other("SELECT setval('s', 1); DROP".into())),
            (Postgres, "SELECT pg_sleep(100)", Statement::Other("SELECT pg_sleep(100)".into())),
            (Postgres, "SET client_encoding = 'UTF8'", Statement::Setting("SET \"client_encoding\" = 'UTF8'".into())),
            (Postgres, "SET standard_conforming_strings = on", Statement::Setting("SET \"standard_conforming_strings\" = 'on'".into())),
            (Postgres, "SET standard_conforming_strings = off", Statement::Other("SET standard_conforming_strings = off".into())),
            (Postgres, "SET client_encoding = 'SJIS'", Statement::Other("SET client_encoding = 'SJIS'".into())),
            (Postgres, "SET session_authorization = 'x'", Statement::Other("SET session_authorization = 'x'".into())),
            (
                Postgres,
                "SELECT pg_catalog.set_config('search_path', '', false)",
                Statement::Setting("SELECT pg_catalog.set_config('search_path', '', false)".into()),
            ),
            (Postgres, "SELECT pg_catalog.set_config('search_path', '', true)", Statement::Other("SELECT pg_catalog.set_config('search_path', '', true)".into())),
            (
                Postgres,
                "SELECT pg_catalog.set_config('search_path', 'evil, pg_catalog', false)",
                Statement::Setting("SELECT pg_catalog.set_config('search_path', 'pg_catalog, evil', false)".into()),
            ),
            (
                Postgres,
                "SELECT pg_catalog.set_config('search_path', '\"$user\", \"We, ird\",public', false)",
                Statement::Setting("SELECT pg_catalog.set_config('search_path', '\"$user\", \"We, ird\", public', false)".into()),
            ),
            (Postgres, "SELECT pg_catalog.set_config('search_path', 'a; b', false)", Statement::Other("SELECT pg_catalog.set_config('search_path', 'a; b', false)".into())),
            (Postgres, "COMMIT", Statement::Transaction("COMMIT".into())),
            (Postgres, "begin", Statement::Transaction("begin".into())),
            (Postgres, "CREATE TABLE x (a int)", Statement::Ddl("CREATE TABLE x (a".into())),
            (Postgres, "DROP TABLE x", Statement::Ddl("DROP TABLE x".into())),
            (Postgres, "UPDATE t SET a = 1", Statement::Other("UPDATE t SET a".into())),
            (Postgres, "CREATE DATABASE x", Statement::Ddl("CREATE DATABASE x".into())),
            (
                MySql,
                "INSERT INTO `t` (`a`,`b c`) VALUES (1,'it\\'s'),(2,0x00ff),(3,_binary 'x'),(4,b'01'),(-1,NULL)",
                insert_of(t(None, "t"), "INSERT INTO `t` (`a`, `b c`) VALUES (1,'it\\'s'),(2,0x00ff),(3,_binary 'x'),(4,b'01'),(-1,NULL)"),
            ),
            (MySql, "INSERT INTO `other`.`t` VALUES (1)", Statement::Other("INSERT INTO `other`.`t` VALUES".into())),
            (MySql, "INSERT INTO t VALUES (1) ON DUPLICATE KEY UPDATE a=2", Statement::Other("INSERT INTO t VALUES".into())),
            (MySql, "INSERT INTO t VALUES (sleep(5))", Statement::Other("INSERT INTO t VALUES".into())),
            (MySql, "INSERT INTO t VALUES (_gbk'x')", Statement::Other("INSERT INTO t VALUES".into())),
            (MySql, "LOCK TABLES `t` WRITE", Statement::LoadHint),
            (MySql, "/*M!999999\\- enable the sandbox mode */", Statement::LoadHint),
            (MySql, "/*!40000 ALTER TABLE `t` DISABLE KEYS */", Statement::LoadHint),
            (MySql, "/*!40000 ALTER TABLE `t` ENABLE KEYS */", Statement::LoadHint),
            (MySql, "/*!*/ CREATE TABLE x (a int)", Statement::Other("/*!*/ CREATE TABLE x".into())),
            (MySql, "/*!50000 */ DROP TABLE t", Statement::Other("/*!50000 */ DROP TABLE".into())),
            (MySql, "/*!50000 DROP TABLE t */", Statement::Ddl("DROP TABLE t".into())),
            (MySql, "DELETE FROM t", Statement::Other("DELETE FROM t".into())),
            (MySql, "SELECT * FROM t INTO OUTFILE '/tmp/x'", Statement::Other("SELECT * FROM t".into())),
            (
                MySql,
                "ALTER TABLE `a` AUTO_INCREMENT = 3",
                Statement::Restore(Restore::AutoIncrement { table: t(None, "a"), value: 3 }),
            ),
            (MySql, "ALTER TABLE `a` ADD COLUMN x int", Statement::Ddl("ALTER TABLE `a` ADD".into())),
            (
                MySql,
                "SELECT SETVAL(`s`, 105, 0, 2)",
                Statement::Restore(Restore::SequencePosition { sequence: t(None, "s"), value: 105, is_used: false, round: 2 }),
            ),
            (
                MySql,
                "/*!40101 SET NAMES utf8mb4 */",
                Statement::Setting("SET NAMES 'utf8mb4'".into()),
            ),
            (MySql, "SET NAMES gbk", Statement::Other("SET NAMES gbk".into())),
            (
                MySql,
                "/*!40101 SET @OLD_SQL_MODE=@@SQL_MODE, SQL_MODE='NO_AUTO_VALUE_ON_ZERO' */",
                Statement::Setting("SET @`OLD_SQL_MODE` = @@SESSION.sql_mode, SESSION sql_mode = 'NO_AUTO_VALUE_ON_ZERO'".into()),
            ),
            (MySql, "SET SQL_MODE='ANSI_QUOTES'", Statement::Other("SET SQL_MODE='ANSI_QUOTES'".into())),
            // A number is bits: 1048576 is NO_BACKSLASH_ESCAPES.
            (MySql, "SET sql_mode = 1048576", Statement::Other("SET sql_mode = 1048576".into())),
            (MySql, "SET sql_mode = 'POSTGRESQL'", Statement::Other("SET sql_mode = 'POSTGRESQL'".into())),
            (MySql, "SET sql_mode = 'STRICT_TRANS_TABLES,EMPTY_STRING_IS_NULL'", Statement::Other("SET sql_mode = 'STRICT_TRANS_TABLES,EMPTY_STRING_IS_NULL'".into())),
            (MySql, "SET sql_mode = @@SESSION.sql_mode", Statement::Other("SET sql_mode = @@SESSION.sql_mode".into())),
            (MySql, "SET collation_connection = gbk_chinese_ci", Statement::Other("SET collation_connection = gbk_chinese_ci".into())),
            (
                MySql,
                "/*!40101 SET SQL_MODE=@OLD_SQL_MODE */",
                Statement::Setting("SET SESSION sql_mode = @`OLD_SQL_MODE`".into()),
            ),
            (
                MySql,
                "SET sql_mode = 'traditional,no_auto_value_on_zero', collation_connection = utf8mb4_general_ci",
                Statement::Setting("SET SESSION sql_mode = 'traditional,no_auto_value_on_zero', SESSION collation_connection = 'utf8mb4_general_ci'".into()),
            ),
            (MySql, "SET @@GLOBAL.GTID_PURGED='x'", Statement::Other("SET @@GLOBAL.GTID_PURGED='x'".into())),
            (MySql, "SET GLOBAL local_infile=1", Statement::Other("SET GLOBAL local_infile=1".into())),
            (MySql, "SET @x = 'ANSI_QUOTES'", Statement::Other("SET @x = 'ANSI_QUOTES'".into())),
            (MySql, "SET time_zone = '+00:00'", Statement::Setting("SET SESSION time_zone = '+00:00'".into())),
            (MySql, "/*!40014 SET FOREIGN_KEY_CHECKS=@OLD_FOREIGN_KEY_CHECKS */", Statement::LoadHint),
            (MySql, "SET SESSION unique_checks = 0, foreign_key_checks = 0", Statement::LoadHint),
            (
                MySql,
                "/*!40014 SET @OLD_FOREIGN_KEY_CHECKS=@@FOREIGN_KEY_CHECKS, FOREIGN_KEY_CHECKS=0 */",
                Statement::Setting("SET @`OLD_FOREIGN_KEY_CHECKS` = @@SESSION.foreign_key_checks".into()),
            ),
            (MySql, "COMMIT", Statement::Transaction("COMMIT".into())),
            (MySql, "START TRANSACTION", Statement::Transaction("START TRANSACTION".into())),
            (MySql, "/*!40101 COMMIT */", Statement::Transaction("COMMIT".into())),
        ];
        for (dialect, sql, want) in rows {
            let got = classify(dialect, sql);
            match (&want, &got) {
                // Refused statements: the kind matters, the words are for messages.
                (Statement::Other(_), Statement::Other(_))
                | (Statement::Ddl(_), Statement::Ddl(_))
                | (Statement::Transaction(_), Statement::Transaction(_)) => {}
                _ => assert_eq!(got, want, "{dialect:?}: {sql}"),
            }
        }
    }

    #[test]
    fn names_parse_and_quote() {
        assert_eq!(
            TableName::parse(Postgres, "public.\"we\"\"ird\"").unwrap(),
            t(Some("public"), "we\"ird")
        );
        assert_eq!(
            TableName::parse(Postgres, "Public.A").unwrap(),
            t(Some("public"), "a")
        );
        assert_eq!(
            TableName::parse(MySql, "`a b``c`").unwrap(),
            t(None, "a b`c")
        );
        assert!(TableName::parse(Postgres, "public.x; CREATE TABLE y").is_none());
        assert_eq!(t(Some("s"), "a\"b").quoted(Postgres), "\"s\".\"a\"\"b\"");
        assert_eq!(t(None, "a`b").quoted(MySql), "`a``b`");
        assert_eq!(t(Some("public"), "We ird").to_string(), "public.\"We ird\"");
    }

    #[test]
    fn restores_render_transactionally() {
        let r = Restore::Setval {
            sequence: t(Some("public"), "it's"),
            value: 7,
            is_called: false,
        };
        assert_eq!(
            r.statements(),
            vec![
                "ALTER SEQUENCE \"public\".\"it's\" RESTART".to_string(),
                "SELECT pg_catalog.setval('\"public\".\"it''s\"', 7, false)".to_string()
            ]
        );
    }
}
