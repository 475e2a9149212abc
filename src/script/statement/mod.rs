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

mod schema;

pub use schema::{outside_target, PostDataStep};

use std::fmt;

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

// ---------------------------------------------------------------------------
// Tokens
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
enum Tok<'a> {
    /// An unquoted word, as written.
    Word(&'a str),
    /// A quoted identifier, unquoted.
    Quoted(String),
    /// A string literal: the bytes between its quotes, decoded only when a
    /// value is needed (rows are only checked, never decoded).
    Str {
        from: usize,
        to: usize,
        backslash: bool,
    },
    /// A literal that needs no further look: a number, a hex or bit literal.
    Number(&'a str),
    /// `@name` (user variable) or `@@name` / `@@session.name` (system variable), MySQL.
    Var {
        system: bool,
        name: String,
    },
    Punct(char),
    /// `::` (PostgreSQL cast).
    Cast,
}

#[derive(Debug, Clone, PartialEq)]
struct Token<'a> {
    tok: Tok<'a>,
    /// Byte offset of the token in the statement.
    at: usize,
}

/// Splits a statement into tokens, one at a time: a statement of a million
/// literals is checked without a token list as large as the statement.
/// Comments are refused: none of the allowed forms has one, and a comment is
/// where a lexer and a server could disagree.
struct Lexer<'a> {
    dialect: Dialect,
    sql: &'a str,
    i: usize,
}

impl<'a> Lexer<'a> {
    /// The next token, None at the end; after an error, nothing more.
    fn next_token(&mut self) -> Option<Result<Token<'a>, String>> {
        let b = self.sql.as_bytes();
        while self.i < b.len() && b[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
        if self.i >= b.len() {
            return None;
        }
        let token = lex_one(self.dialect, self.sql, &mut self.i);
        if token.is_err() {
            self.i = b.len();
        }
        Some(token)
    }
}

/// The token at `*i` (not whitespace), advancing `*i` past it.
fn lex_one<'a>(dialect: Dialect, sql: &'a str, pos: &mut usize) -> Result<Token<'a>, String> {
    let b = sql.as_bytes();
    let mut i = *pos;
    {
        let c = b[i];
        let at = i;
        let comment = (c == b'-' && b.get(i + 1) == Some(&b'-'))
            || (c == b'/' && b.get(i + 1) == Some(&b'*'))
            || (c == b'#' && dialect == Dialect::MySql);
        if comment {
            return Err("a comment inside the statement".into());
        }
        let tok = match c {
            b'\'' => {
                let (tok, end) = string_literal(dialect, b, i, false)?;
                i = end;
                tok
            }
            b'"' if dialect == Dialect::Postgres => {
                let (s, end) = quoted_ident(b, i, b'"')?;
                i = end;
                Tok::Quoted(s)
            }
            b'"' => {
                let (tok, end) = string_literal(dialect, b, i, false)?;
                i = end;
                tok
            }
            b'`' if dialect == Dialect::MySql => {
                let (s, end) = quoted_ident(b, i, b'`')?;
                i = end;
                Tok::Quoted(s)
            }
            b'@' if dialect == Dialect::MySql => {
                let system = b.get(i + 1) == Some(&b'@');
                i += if system { 2 } else { 1 };
                let start = i;
                if b.get(i) == Some(&b'`') {
                    let (s, end) = quoted_ident(b, i, b'`')?;
                    i = end;
                    Tok::Var { system, name: s }
                } else {
                    while i < b.len()
                        && (b[i].is_ascii_alphanumeric() || matches!(b[i], b'_' | b'.' | b'$'))
                    {
                        i += 1;
                    }
                    if i == start {
                        return Err("a bare @".into());
                    }
                    Tok::Var {
                        system,
                        name: sql[start..i].to_string(),
                    }
                }
            }
            b':' if dialect == Dialect::Postgres && b.get(i + 1) == Some(&b':') => {
                i += 2;
                Tok::Cast
            }
            b'0'..=b'9' | b'.' if c != b'.' || b.get(i + 1).is_some_and(u8::is_ascii_digit) => {
                let start = i;
                if c == b'0'
                    && matches!(b.get(i + 1), Some(b'x' | b'X' | b'b' | b'B'))
                    && dialect == Dialect::MySql
                {
                    i += 2;
                    while i < b.len() && b[i].is_ascii_hexdigit() {
                        i += 1;
                    }
                } else {
                    while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'.') {
                        i += 1;
                    }
                    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
                        let mut j = i + 1;
                        if j < b.len() && (b[j] == b'+' || b[j] == b'-') {
                            j += 1;
                        }
                        if j < b.len() && b[j].is_ascii_digit() {
                            i = j;
                            while i < b.len() && b[i].is_ascii_digit() {
                                i += 1;
                            }
                        }
                    }
                }
                if i < b.len() && (b[i].is_ascii_alphabetic() || b[i] == b'_') {
                    return Err("a malformed number".into());
                }
                Tok::Number(&sql[start..i])
            }
            c if c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 => {
                // E'...' (PostgreSQL escapes), X'..', B'..', N'..' and MySQL
                // charset introducers such as _binary'..' are literals.
                let start = i;
                while i < b.len()
                    && (b[i].is_ascii_alphanumeric()
                        || b[i] == b'_'
                        || b[i] == b'$'
                        || b[i] >= 0x80)
                {
                    i += 1;
                }
                let word = &sql[start..i];
                let upper = word.to_ascii_uppercase();
                // A MySQL charset introducer may stand apart from its string.
                let introducer =
                    dialect == Dialect::MySql && upper.starts_with('_') && charset_ok(&upper[1..]);
                let mut j = i;
                if introducer {
                    while j < b.len() && b[j].is_ascii_whitespace() {
                        j += 1;
                    }
                }
                if introducer && b.get(j) == Some(&b'0') {
                    // _binary 0x00ff
                    i = j;
                    continue_hex(b, &mut i)?;
                    Tok::Number(&sql[start..i])
                } else if b.get(j) == Some(&b'\'') {
                    match (dialect, upper.as_str()) {
                        (Dialect::Postgres, "E") => {
                            let (tok, end) = string_literal(dialect, b, j, true)?;
                            i = end;
                            tok
                        }
                        (_, "X" | "B") => {
                            let (_, end) = string_literal(Dialect::Postgres, b, j, false)?;
                            let digits = &b[j + 1..end - 1];
                            let digits_ok = if upper == "X" {
                                digits.iter().all(u8::is_ascii_hexdigit)
                            } else {
                                digits.iter().all(|&c| c == b'0' || c == b'1')
                            };
                            if !digits_ok {
                                return Err("a malformed bit or hex literal".into());
                            }
                            i = end;
                            Tok::Number(&sql[start..end])
                        }
                        (Dialect::MySql, "N") => {
                            let (tok, end) = string_literal(dialect, b, j, false)?;
                            i = end;
                            tok
                        }
                        _ if introducer => {
                            let (tok, end) = string_literal(dialect, b, j, false)?;
                            i = end;
                            tok
                        }
                        _ => return Err(format!("an unknown literal prefix {word}")),
                    }
                } else {
                    Tok::Word(word)
                }
            }
            b'(' | b')' | b',' | b'.' | b'=' | b'-' | b'+' | b';' | b'[' | b']' => {
                i += 1;
                Tok::Punct(c as char)
            }
            _ => return Err(format!("an unexpected character {:?}", c as char)),
        };
        *pos = i;
        Ok(Token { tok, at })
    }
}

/// `0x..` after an introducer: advances `i` past it.
fn continue_hex(b: &[u8], i: &mut usize) -> Result<(), String> {
    if !matches!(b.get(*i + 1), Some(b'x' | b'X')) {
        return Err("a malformed literal after a character set".into());
    }
    *i += 2;
    while *i < b.len() && b[*i].is_ascii_hexdigit() {
        *i += 1;
    }
    Ok(())
}

/// Character sets whose multi-byte forms can never hide a quote or a
/// backslash in a trailing byte (GBK, SJIS and Big5 can).
fn charset_ok(name: &str) -> bool {
    matches!(
        name.to_ascii_lowercase().as_str(),
        "binary" | "utf8" | "utf8mb3" | "utf8mb4" | "latin1" | "ascii" | "utf16" | "utf32" | "ucs2"
    )
}

/// A quoted string starting at `b[i]`: its token and the offset after it.
fn string_literal(
    dialect: Dialect,
    b: &[u8],
    i: usize,
    pg_escapes: bool,
) -> Result<(Tok<'static>, usize), String> {
    let quote = b[i];
    let backslash = pg_escapes || dialect == Dialect::MySql;
    let mut j = i + 1;
    while j < b.len() {
        let c = b[j];
        if backslash && c == b'\\' {
            j += 2;
            continue;
        }
        if c == quote {
            if b.get(j + 1) == Some(&quote) {
                j += 2;
                continue;
            }
            return Ok((
                Tok::Str {
                    from: i,
                    to: j + 1,
                    backslash,
                },
                j + 1,
            ));
        }
        j += 1;
    }
    Err("an unterminated string".into())
}

/// The value of a string token `sql[from..to]` (quotes included).
fn string_value(sql: &str, from: usize, to: usize, backslash: bool) -> String {
    let b = &sql.as_bytes()[from + 1..to - 1];
    let quote = sql.as_bytes()[from];
    let mut out = Vec::with_capacity(b.len());
    let mut j = 0;
    while j < b.len() {
        let c = b[j];
        if backslash && c == b'\\' && j + 1 < b.len() {
            out.push(match b[j + 1] {
                b'n' => b'\n',
                b't' => b'\t',
                b'r' => b'\r',
                b'0' => 0,
                b'Z' => 0x1a,
                b'b' => 8,
                other => other,
            });
            j += 2;
            continue;
        }
        if c == quote && b.get(j + 1) == Some(&quote) {
            j += 1;
        }
        out.push(c);
        j += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn quoted_ident(b: &[u8], i: usize, quote: u8) -> Result<(String, usize), String> {
    let mut out = Vec::new();
    let mut j = i + 1;
    while j < b.len() {
        if b[j] == quote {
            if b.get(j + 1) == Some(&quote) {
                out.push(quote);
                j += 2;
                continue;
            }
            if out.is_empty() {
                return Err("an empty quoted name".into());
            }
            return String::from_utf8(out)
                .map(|s| (s, j + 1))
                .map_err(|_| "invalid UTF-8 in a name".into());
        }
        out.push(b[j]);
        j += 1;
    }
    Err("an unterminated quoted name".into())
}

// ---------------------------------------------------------------------------
// Parsing the allowed forms
// ---------------------------------------------------------------------------

struct Parser<'a> {
    sql: &'a str,
    lexer: Lexer<'a>,
    /// The next token, lexed ahead; None at the end or after a lexing error.
    peeked: Option<Token<'a>>,
    /// A lexing error: the statement is none of the allowed forms.
    bad: bool,
}

impl<'a> Parser<'a> {
    fn new(dialect: Dialect, sql: &'a str) -> Self {
        let mut p = Parser {
            sql,
            lexer: Lexer { dialect, sql, i: 0 },
            peeked: None,
            bad: false,
        };
        p.advance();
        p
    }

    /// Moves on to the next token.
    fn advance(&mut self) {
        self.peeked = match self.lexer.next_token() {
            Some(Ok(token)) => Some(token),
            Some(Err(_)) => {
                self.bad = true;
                None
            }
            None => None,
        };
    }

    /// The value of the next token if it is a string literal.
    fn string(&mut self) -> Option<String> {
        match self.peek()? {
            Tok::Str {
                from,
                to,
                backslash,
            } => {
                let value = string_value(self.sql, *from, *to, *backslash);
                self.advance();
                Some(value)
            }
            _ => None,
        }
    }

    /// A word, a quoted name or a string, as text (MySQL charset names).
    fn word_or_string(&mut self) -> Option<String> {
        if let Some(s) = self.string() {
            return Some(s);
        }
        match self.next()? {
            Tok::Word(w) => Some(w.to_string()),
            Tok::Quoted(w) => Some(w),
            _ => None,
        }
    }

    fn peek(&self) -> Option<&Tok<'a>> {
        self.peeked.as_ref().map(|t| &t.tok)
    }

    fn next(&mut self) -> Option<Tok<'a>> {
        let t = self.peeked.take().map(|t| t.tok);
        self.advance();
        t
    }

    fn offset(&self) -> Option<usize> {
        self.peeked.as_ref().map(|t| t.at)
    }

    fn at_end(&self) -> bool {
        self.peeked.is_none() && !self.bad
    }

    fn keyword(&mut self, kw: &str) -> bool {
        if matches!(self.peek(), Some(Tok::Word(w)) if w.eq_ignore_ascii_case(kw)) {
            self.advance();
            true
        } else {
            false
        }
    }

    fn punct(&mut self, p: char) -> bool {
        if self.peek() == Some(&Tok::Punct(p)) {
            self.advance();
            true
        } else {
            false
        }
    }

    /// One identifier: quoted as is, unquoted folded the way the server does.
    fn ident(&mut self, dialect: Dialect) -> Option<String> {
        match self.next()? {
            Tok::Quoted(s) => Some(s),
            Tok::Word(w) => Some(match dialect {
                Dialect::Postgres => w.to_ascii_lowercase(),
                Dialect::MySql => w.to_string(),
            }),
            _ => None,
        }
    }

    fn table_name(&mut self, dialect: Dialect) -> Option<TableName> {
        let first = self.ident(dialect)?;
        if self.punct('.') {
            let name = self.ident(dialect)?;
            Some(TableName {
                schema: Some(first),
                name,
            })
        } else {
            Some(TableName {
                schema: None,
                name: first,
            })
        }
    }

    fn column_list(&mut self, dialect: Dialect) -> Option<Vec<String>> {
        let mut cols = Vec::new();
        if !self.punct('(') {
            return Some(cols);
        }
        loop {
            cols.push(self.ident(dialect)?);
            if self.punct(')') {
                return Some(cols);
            }
            if !self.punct(',') {
                return None;
            }
        }
    }

    fn integer(&mut self) -> Option<i128> {
        let negative = self.punct('-');
        match self.next()? {
            Tok::Number(n) if n.bytes().all(|c| c.is_ascii_digit()) => {
                let v: i128 = n.parse().ok()?;
                Some(if negative { -v } else { v })
            }
            _ => None,
        }
    }

    /// One literal value of a VALUES list.
    fn literal(&mut self, dialect: Dialect) -> bool {
        let signed = self.punct('-') || self.punct('+');
        let ok = match self.next() {
            Some(Tok::Number(_)) => true,
            Some(Tok::Str { .. }) => !signed,
            Some(Tok::Word(w)) => {
                !signed
                    && ["NULL", "TRUE", "FALSE", "DEFAULT"]
                        .iter()
                        .any(|k| w.eq_ignore_ascii_case(k))
            }
            _ => false,
        };
        // PostgreSQL: 'x'::type, as some tools write (a type name, never a call).
        if ok && dialect == Dialect::Postgres && self.peek() == Some(&Tok::Cast) {
            self.advance();
            return self.type_name();
        }
        ok
    }

    fn type_name(&mut self) -> bool {
        if self.ident(Dialect::Postgres).is_none() {
            return false;
        }
        if self.punct('.') && self.ident(Dialect::Postgres).is_none() {
            return false;
        }
        // timestamp with time zone, character varying...
        while matches!(self.peek(), Some(Tok::Word(_))) {
            self.advance();
        }
        if self.punct('(') {
            while matches!(self.peek(), Some(Tok::Number(_)) | Some(Tok::Punct(','))) {
                self.advance();
            }
            if !self.punct(')') {
                return false;
            }
        }
        while self.punct('[') {
            if !self.punct(']') {
                return false;
            }
        }
        true
    }

    /// `(lit, lit), (lit)` up to the end (a trailing `;` allowed): how many rows.
    fn values_lists(&mut self, dialect: Dialect) -> Option<u64> {
        let mut rows = 0;
        loop {
            if !self.punct('(') {
                return None;
            }
            rows += 1;
            if !self.punct(')') {
                loop {
                    if !self.literal(dialect) {
                        return None;
                    }
                    if self.punct(')') {
                        break;
                    }
                    if !self.punct(',') {
                        return None;
                    }
                }
            }
            if self.punct(',') {
                continue;
            }
            self.punct(';');
            return self.at_end().then_some(rows);
        }
    }
}

fn render_columns(dialect: Dialect, cols: &[String]) -> String {
    if cols.is_empty() {
        return String::new();
    }
    let list: Vec<String> = cols.iter().map(|c| quote_ident(dialect, c)).collect();
    format!(" ({})", list.join(", "))
}

/// `COPY name [(cols)] FROM stdin`
fn copy_in(sql: &str) -> Option<Statement> {
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
    Some(Statement::CopyIn { table, sql })
}

/// `INSERT INTO name [(cols)] [OVERRIDING SYSTEM|USER VALUE] VALUES (...), ...`
fn insert(dialect: Dialect, sql: &str) -> Option<Statement> {
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
fn restore_select(dialect: Dialect, sql: &str) -> Option<Statement> {
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
fn alter_table_mysql(sql: &str) -> Option<Statement> {
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

/// `SELECT pg_catalog.set_config('search_path', '', false)`.
fn pg_set_config(dialect: Dialect, sql: &str) -> Option<Statement> {
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

/// sql_mode values that would make the server read strings or names
/// differently from this module.
fn sql_mode_ok(value: &str) -> bool {
    let upper = value.to_ascii_uppercase();
    !["NO_BACKSLASH_ESCAPES", "ANSI_QUOTES", "ANSI"]
        .iter()
        .any(|bad| upper.split(',').any(|m| m.trim() == *bad))
}

/// `SET name = value[, ...]` in either dialect, rebuilt.
fn setting(dialect: Dialect, sql: &str) -> Option<Statement> {
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
            if name == "sql_mode"
                && !(value.starts_with('@') || sql_mode_ok(value.trim_matches('\'')))
            {
                return None;
            }
            if name.starts_with("character_set") && value.starts_with('\'') {
                charset_ok(value.trim_matches('\'')).then_some(())?;
            }
            Some(format!("SESSION {name} = {value}"))
        }
    }
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
                    sql: "COPY \"public\".\"actor\" (\"actor_id\", \"First\") FROM STDIN".into(),
                },
            ),
            (
                Postgres,
                "COPY \"we\"\"ird\".T FROM stdin",
                Statement::CopyIn {
                    table: t(Some("we\"ird"), "t"),
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
