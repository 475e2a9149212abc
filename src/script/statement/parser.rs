//! A small parser over the tokens: the pieces (names, column lists,
//! literals, VALUES lists) the allowed forms are made of.

use super::tokens::*;
use super::*;

pub(super) struct Parser<'a> {
    pub(super) sql: &'a str,
    pub(super) lexer: Lexer<'a>,
    /// The next token, lexed ahead; None at the end or after a lexing error.
    pub(super) peeked: Option<Token<'a>>,
    /// A lexing error: the statement is none of the allowed forms.
    pub(super) bad: bool,
}

/// PostgreSQL's built-in type names a cast may use without `pg_catalog.`.
const BUILT_IN_TYPES: &[&str] = &[
    "bool",
    "boolean",
    "bytea",
    "char",
    "character",
    "varchar",
    "bpchar",
    "text",
    "name",
    "int2",
    "smallint",
    "int4",
    "int",
    "integer",
    "int8",
    "bigint",
    "numeric",
    "decimal",
    "float4",
    "real",
    "float8",
    "float",
    "double",
    "money",
    "date",
    "time",
    "timetz",
    "timestamp",
    "timestamptz",
    "interval",
    "uuid",
    "json",
    "jsonb",
    "jsonpath",
    "xml",
    "inet",
    "cidr",
    "macaddr",
    "macaddr8",
    "bit",
    "varbit",
    "oid",
    "tsvector",
    "tsquery",
    "point",
    "line",
    "lseg",
    "box",
    "path",
    "polygon",
    "circle",
    "pg_lsn",
    "int4range",
    "int8range",
    "numrange",
    "tsrange",
    "tstzrange",
    "daterange",
    "int4multirange",
    "int8multirange",
    "nummultirange",
    "tsmultirange",
    "tstzmultirange",
    "datemultirange",
    "regclass",
    "regtype",
    "xid",
    "xid8",
    "tid",
    "cid",
];

/// The words that continue a PostgreSQL type name after its first word
/// (`double precision`, `character varying`, `timestamp(3) with time zone`,
/// `interval day to second`), as format_type() writes them.
const TYPE_NAME_WORDS: &[&str] = &[
    "precision",
    "varying",
    "with",
    "without",
    "time",
    "zone",
    "year",
    "month",
    "day",
    "hour",
    "minute",
    "second",
    "to",
];

impl<'a> Parser<'a> {
    pub(super) fn new(dialect: Dialect, sql: &'a str) -> Self {
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
    pub(super) fn string(&mut self) -> Option<String> {
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
    pub(super) fn word_or_string(&mut self) -> Option<String> {
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

    pub(super) fn next(&mut self) -> Option<Tok<'a>> {
        let t = self.peeked.take().map(|t| t.tok);
        self.advance();
        t
    }

    pub(super) fn offset(&self) -> Option<usize> {
        self.peeked.as_ref().map(|t| t.at)
    }

    pub(super) fn at_end(&self) -> bool {
        self.peeked.is_none() && !self.bad
    }

    pub(super) fn keyword(&mut self, kw: &str) -> bool {
        if matches!(self.peek(), Some(Tok::Word(w)) if w.eq_ignore_ascii_case(kw)) {
            self.advance();
            true
        } else {
            false
        }
    }

    pub(super) fn punct(&mut self, p: char) -> bool {
        if self.peek() == Some(&Tok::Punct(p)) {
            self.advance();
            true
        } else {
            false
        }
    }

    /// One identifier: quoted as is, unquoted folded the way the server does.
    pub(super) fn ident(&mut self, dialect: Dialect) -> Option<String> {
        match self.next()? {
            Tok::Quoted(s) => Some(s),
            Tok::Word(w) => Some(match dialect {
                Dialect::Postgres => w.to_ascii_lowercase(),
                Dialect::MySql => w.to_string(),
            }),
            _ => None,
        }
    }

    pub(super) fn table_name(&mut self, dialect: Dialect) -> Option<TableName> {
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

    pub(super) fn column_list(&mut self, dialect: Dialect) -> Option<Vec<String>> {
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

    pub(super) fn integer(&mut self) -> Option<i128> {
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
        let Some(first) = self.ident(Dialect::Postgres) else {
            return false;
        };
        // Only pg_catalog's types: a type of another schema may be a domain
        // whose CHECK calls a function of whoever made it. By name, only
        // pg_catalog's built-in names (searched first), since an unknown
        // name goes on down the file's search_path.
        if self.punct('.') {
            if first != "pg_catalog" || self.ident(Dialect::Postgres).is_none() {
                return false;
            }
        } else if !BUILT_IN_TYPES.contains(&first.as_str()) {
            return false;
        }
        // timestamp(3) with time zone, character varying(5), interval day to
        // second(0)... Only the words of SQL's multi-word type names may
        // follow: any other word could be an operator (`'t'::boolean AND
        // f(1)` once passed as a literal) and a call to a function.
        if !self.type_modifier() {
            return false;
        }
        while matches!(self.peek(), Some(Tok::Word(w)) if TYPE_NAME_WORDS.iter().any(|k| w.eq_ignore_ascii_case(k)))
        {
            self.advance();
        }
        if !self.type_modifier() {
            return false;
        }
        while self.punct('[') {
            if !self.punct(']') {
                return false;
            }
        }
        true
    }

    /// An optional `(n, m)`: false only when one is started and not closed.
    fn type_modifier(&mut self) -> bool {
        if self.punct('(') {
            while matches!(self.peek(), Some(Tok::Number(_)) | Some(Tok::Punct(','))) {
                self.advance();
            }
            return self.punct(')');
        }
        true
    }

    /// `(lit, lit), (lit)` up to the end (a trailing `;` allowed): how many rows.
    pub(super) fn values_lists(&mut self, dialect: Dialect) -> Option<u64> {
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

pub(super) fn render_columns(dialect: Dialect, cols: &[String]) -> String {
    if cols.is_empty() {
        return String::new();
    }
    let list: Vec<String> = cols.iter().map(|c| quote_ident(dialect, c)).collect();
    format!(" ({})", list.join(", "))
}
