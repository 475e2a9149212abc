//! Tokens of one statement, lexed the way the server would read them, for
//! the parser of the allowed forms.

use super::*;

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Tok<'a> {
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
pub(super) struct Token<'a> {
    pub(super) tok: Tok<'a>,
    /// Byte offset of the token in the statement.
    pub(super) at: usize,
}

/// Splits a statement into tokens, one at a time: a statement of a million
/// literals is checked without a token list as large as the statement.
/// Comments are refused: none of the allowed forms has one, and a comment is
/// where a lexer and a server could disagree.
pub(super) struct Lexer<'a> {
    pub(super) dialect: Dialect,
    pub(super) sql: &'a str,
    pub(super) i: usize,
}

impl<'a> Lexer<'a> {
    /// The next token, None at the end; after an error, nothing more.
    pub(super) fn next_token(&mut self) -> Option<Result<Token<'a>, String>> {
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
            // Identifiers are quoted with "..." in PostgreSQL and `...` in
            // MySQL, where "..." is a string.
            q @ (b'"' | b'`') if q == ident_quote(dialect) => {
                let (s, end) = quoted_ident(b, i, q)?;
                i = end;
                Tok::Quoted(s)
            }
            b'\'' | b'"' => {
                let (tok, end) = string_literal(dialect, b, i, false)?;
                i = end;
                tok
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

fn ident_quote(dialect: Dialect) -> u8 {
    match dialect {
        Dialect::Postgres => b'"',
        Dialect::MySql => b'`',
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
pub(super) fn charset_ok(name: &str) -> bool {
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
pub(super) fn string_value(sql: &str, from: usize, to: usize, backslash: bool) -> String {
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

/// The index of the quote that closes a quoted name, in `inside` (the text
/// after its opening `quote`); a doubled quote is part of the name.
pub fn closing_quote(inside: &[u8], quote: u8) -> Option<usize> {
    let mut i = 0;
    while i < inside.len() {
        if inside[i] == quote {
            if inside.get(i + 1) == Some(&quote) {
                i += 2;
                continue;
            }
            return Some(i);
        }
        i += 1;
    }
    None
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
