//! Reader for psql-style scripts (what `pg_dump` writes in plain format).
//!
//! Lexing follows psql's own lexer: `'...'` (standard conforming), `E'...'` with backslash
//! escapes, `"..."` identifiers, `$tag$...$tag$` bodies, `--` comments and nested `/* */`
//! comments. Like psql, a `;` inside parentheses or inside the `BEGIN ... END` body of a
//! `CREATE [OR REPLACE] FUNCTION|PROCEDURE` (SQL-standard bodies, `BEGIN ATOMIC`) does not end
//! the statement.

use std::io::BufRead;

use super::reader::{Lexer, LineSource, ScriptReader, StatementText};
use super::{find, is_space, quote_end, Item};
use crate::error::DamagedFile;

/// Streaming reader for psql scripts. See [`Item`] for what it yields; after
/// an [`Item::CopyIn`], [`PsqlReader::copy_chunk`] reads its data.
pub type PsqlReader<R> = ScriptReader<R, PsqlLexer>;

/// Target size of one chunk of COPY data.
const COPY_CHUNK: usize = 256 * 1024;

#[derive(Debug, Default)]
enum State {
    /// Outside any quote or comment.
    #[default]
    Normal,
    /// Inside `'...'`; `escapes` is true for `E'...'` strings.
    Quote { start: u64, escapes: bool },
    /// Inside a `"..."` identifier.
    Ident { start: u64 },
    /// Inside a dollar-quoted body; `delim` is the full `$tag$`.
    Dollar { start: u64, delim: Vec<u8> },
    /// Inside a (nestable) `/* */` comment.
    Comment { start: u64, depth: u32 },
}

#[derive(Debug)]
struct CopyState {
    /// Line where the COPY data begins.
    data_start: u64,
    /// The terminator has been consumed; the next `copy_chunk` returns `None`.
    done: bool,
}

/// psql's lexing: what it is inside, what it has seen of the open statement's
/// tokens, and the COPY data still to read.
#[derive(Default)]
pub struct PsqlLexer {
    state: State,
    tokens: Tokens,
    copy: Option<CopyState>,
}

/// What psql tracks of a statement's tokens: whether it is `COPY ... FROM
/// stdin`, and how deep a `;` stands (inside parentheses or a function's
/// `BEGIN ... END` it does not end the statement).
#[derive(Default)]
struct Tokens {
    /// Number of tokens seen in the current statement.
    count: u64,
    /// The first token of the statement is the word COPY.
    is_copy: bool,
    /// The previous token was the word FROM (at parenthesis depth 0).
    prev_from: bool,
    /// `FROM STDIN` has been seen in a COPY statement.
    from_stdin: bool,
    paren_depth: u32,
    /// psql's heuristic for `CREATE FUNCTION ... BEGIN ATOMIC ... END`.
    begin_depth: u32,
    idents: [u8; 4],
    ident_count: usize,
}

impl<R: BufRead> PsqlReader<R> {
    /// After an [`Item::CopyIn`]: the next chunk of COPY data (whole lines, each ending in
    /// `\n`, about 256 KiB; a longer single line is a chunk of its own). Returns `Ok(None)` once
    /// the terminating `\.` line has been consumed (and when no COPY is in progress).
    pub fn copy_chunk(&mut self) -> Result<Option<Vec<u8>>, DamagedFile> {
        self.lexer.copy_chunk(&mut self.src)
    }

    /// Bytes of the (decompressed) input read so far. Right after an
    /// [`Item::CopyIn`], where its data begins: the chunks that follow are
    /// the input's bytes from there on, in order, without a gap.
    pub fn offset(&self) -> u64 {
        self.src.offset
    }
}

impl Lexer for PsqlLexer {
    fn at_rest(&self) -> bool {
        matches!(self.state, State::Normal)
    }

    fn open_at_end(&mut self) -> Option<(u64, &'static str)> {
        match std::mem::take(&mut self.state) {
            State::Normal => None,
            State::Quote { start, .. } => Some((start, "quoted string")),
            State::Ident { start } => Some((start, "quoted identifier")),
            State::Dollar { start, .. } => Some((start, "dollar-quoted string")),
            State::Comment { start, .. } => Some((start, "/* comment")),
        }
    }

    /// COPY data of a previous [`Item::CopyIn`] still pending is read and
    /// discarded first.
    fn before_next<R: BufRead>(&mut self, src: &mut LineSource<R>) -> Result<(), DamagedFile> {
        while self.copy.is_some() {
            self.copy_chunk(src)?;
        }
        Ok(())
    }

    /// Scans the rest of the current line (`buf[src.pos..]`). Returns an item when one is
    /// complete (leaving `pos` just after it), or `None` once the line is consumed.
    fn scan<R: BufRead>(
        &mut self,
        buf: &[u8],
        src: &mut LineSource<R>,
        text: &mut StatementText,
    ) -> Result<Option<Item>, DamagedFile> {
        let n = buf.len();
        let line = src.line;
        let mut i = src.pos;
        while i < n {
            match self.state {
                State::Normal => {
                    let c = buf[i];
                    let next = buf.get(i + 1).copied();
                    if !text.is_open() {
                        match c {
                            c if is_space(c) => {
                                i += 1;
                                continue;
                            }
                            b'\\' => {
                                src.pos = n;
                                return meta(&buf[i + 1..], src).map(Some);
                            }
                            b'-' if next == Some(b'-') => {
                                i = n;
                                continue;
                            }
                            b'/' if next == Some(b'*') => {
                                self.state = State::Comment {
                                    start: line,
                                    depth: 1,
                                };
                                i += 2;
                                continue;
                            }
                            b';' => {
                                i += 1;
                                continue;
                            }
                            _ => {
                                text.begin(line, i);
                                self.tokens = Tokens::default();
                            }
                        }
                    }
                    match c {
                        b'-' if next == Some(b'-') => i = n,
                        b'/' if next == Some(b'*') => {
                            self.state = State::Comment {
                                start: line,
                                depth: 1,
                            };
                            i += 2;
                        }
                        b'\'' => {
                            self.state = State::Quote {
                                start: line,
                                escapes: false,
                            };
                            self.tokens.other();
                            i += 1;
                        }
                        b'"' => {
                            self.state = State::Ident { start: line };
                            self.tokens.other();
                            i += 1;
                        }
                        b'$' => {
                            if let Some(len) = dollar_delim(&buf[i..]) {
                                self.state = State::Dollar {
                                    start: line,
                                    delim: buf[i..i + len].to_vec(),
                                };
                                i += len;
                            } else {
                                // `$1` parameter (or a stray `$`).
                                i += 1;
                                while i < n && buf[i].is_ascii_digit() {
                                    i += 1;
                                }
                            }
                            self.tokens.other();
                        }
                        b';' if self.tokens.paren_depth == 0 && self.tokens.begin_depth == 0 => {
                            src.pos = i + 1;
                            let (sql, line) = text.end(buf, i, &src.path)?;
                            if !(self.tokens.is_copy && self.tokens.from_stdin) {
                                return Ok(Some(Item::Statement { sql, line }));
                            }
                            self.copy = Some(CopyState {
                                data_start: src.line + 1,
                                done: false,
                            });
                            // Data starts on the next line; the rest of this one is
                            // ignored, as psql does.
                            src.pos = n;
                            return Ok(Some(Item::CopyIn { sql, line }));
                        }
                        b'(' => {
                            self.tokens.paren_depth += 1;
                            self.tokens.other();
                            i += 1;
                        }
                        b')' => {
                            self.tokens.paren_depth = self.tokens.paren_depth.saturating_sub(1);
                            self.tokens.other();
                            i += 1;
                        }
                        c if is_ident_start(c) => {
                            let mut j = i + 1;
                            while j < n && is_ident_cont(buf[j]) {
                                j += 1;
                            }
                            if j < n && buf[j] == b'\'' && (c == b'E' || c == b'e') && j == i + 1 {
                                self.state = State::Quote {
                                    start: line,
                                    escapes: true,
                                };
                                self.tokens.other();
                                i = j + 1;
                            } else {
                                self.tokens.word(&buf[i..j]);
                                i = j;
                            }
                        }
                        c if c.is_ascii_digit() => {
                            let mut j = i + 1;
                            while j < n && is_ident_cont(buf[j]) {
                                j += 1;
                            }
                            self.tokens.other();
                            i = j;
                        }
                        c if is_space(c) => i += 1,
                        _ => {
                            self.tokens.other();
                            i += 1;
                        }
                    }
                }
                State::Quote { escapes, .. } => match quote_end(&buf[i..], b'\'', escapes) {
                    None => i = n,
                    Some(p) => {
                        i += p;
                        self.state = State::Normal;
                    }
                },
                State::Ident { .. } => match quote_end(&buf[i..], b'"', false) {
                    None => i = n,
                    Some(p) => {
                        i += p;
                        self.state = State::Normal;
                    }
                },
                State::Dollar { ref delim, .. } => match find(&buf[i..], delim) {
                    None => i = n,
                    Some(p) => {
                        i += p + delim.len();
                        self.state = State::Normal;
                    }
                },
                State::Comment { ref mut depth, .. } => {
                    while i < n {
                        match buf[i..].iter().position(|&c| c == b'/' || c == b'*') {
                            None => i = n,
                            Some(p) => {
                                let k = i + p;
                                let next = buf.get(k + 1).copied();
                                if buf[k] == b'/' && next == Some(b'*') {
                                    *depth += 1;
                                    i = k + 2;
                                } else if buf[k] == b'*' && next == Some(b'/') {
                                    *depth -= 1;
                                    i = k + 2;
                                    if *depth == 0 {
                                        break;
                                    }
                                } else {
                                    i = k + 1;
                                }
                            }
                        }
                    }
                    if *depth == 0 {
                        self.state = State::Normal;
                    }
                }
            }
        }
        Ok(None)
    }
}

impl PsqlLexer {
    /// See [`PsqlReader::copy_chunk`].
    fn copy_chunk<R: BufRead>(
        &mut self,
        src: &mut LineSource<R>,
    ) -> Result<Option<Vec<u8>>, DamagedFile> {
        let Some(copy) = self.copy.as_mut() else {
            return Ok(None);
        };
        if copy.done {
            self.copy = None;
            return Ok(None);
        }
        let mut chunk = Vec::with_capacity(COPY_CHUNK + 16 * 1024);
        let mut finished = false;
        loop {
            let start = chunk.len();
            let n = match src.reader.read_until(b'\n', &mut chunk) {
                Ok(n) => n,
                Err(e) => {
                    self.copy = None;
                    // The line being read is the one after the last whole one.
                    let mut err = src.io_error(e);
                    err.line = src.line + 1;
                    return Err(err);
                }
            };
            if n == 0 {
                let data_start = copy.data_start;
                self.copy = None;
                src.eof = true;
                return Err(src.error(
                    src.line.max(data_start),
                    format!(
                        "unexpected end of file inside COPY data started at line {data_start} \
                         (file truncated?)"
                    ),
                ));
            }
            src.line += 1;
            src.offset += n as u64;
            let l = &chunk[start..];
            if l.len() <= 4 && (l == b"\\.\n" || l == b"\\.\r\n" || l == b"\\.") {
                chunk.truncate(start);
                finished = true;
                break;
            }
            if has_end_of_data_inside(l) {
                let line = src.line;
                self.copy = None;
                return Err(src.error(
                    line,
                    "`\\.` inside a line of COPY data: the server (before PostgreSQL 18) ends \
                     the data there and drops the rest, which no COPY output holds (a \
                     backslash in a value is written `\\\\`)",
                ));
            }
            if chunk.len() >= COPY_CHUNK {
                break;
            }
        }
        if finished {
            if chunk.is_empty() {
                self.copy = None;
                return Ok(None);
            }
            copy.done = true;
        }
        Ok(Some(chunk))
    }
}

/// Whether a line of COPY text holds a backslash-period that is not the
/// second half of an escaped backslash (`\\.` is a backslash, then a period).
fn has_end_of_data_inside(line: &[u8]) -> bool {
    let mut i = 0;
    while let Some(at) = line.get(i..).and_then(|rest| memchr::memchr(b'\\', rest)) {
        let at = i + at;
        match line.get(at + 1) {
            Some(b'.') => return true,
            Some(_) => i = at + 2,
            None => return false,
        }
    }
    false
}

/// A backslash meta-command line; `rest` is the line after the backslash.
fn meta<R>(rest: &[u8], src: &LineSource<R>) -> Result<Item, DamagedFile> {
    let line = src.line;
    let text =
        std::str::from_utf8(rest).map_err(|_| src.error(line, "invalid UTF-8 in meta-command"))?;
    let command = text.trim_end();
    if command == "." {
        return Err(src.error(line, "unexpected \\. outside COPY data"));
    }
    Ok(Item::Meta {
        command: command.to_string(),
        line,
    })
}

impl Tokens {
    fn other(&mut self) {
        self.count += 1;
        self.prev_from = false;
    }

    fn word(&mut self, w: &[u8]) {
        // COPY ... FROM STDIN detection.
        if self.count == 0 {
            self.is_copy = w.eq_ignore_ascii_case(b"copy");
        }
        if self.is_copy && self.paren_depth == 0 {
            if self.prev_from && w.eq_ignore_ascii_case(b"stdin") {
                self.from_stdin = true;
            }
            self.prev_from = w.eq_ignore_ascii_case(b"from");
        } else {
            self.prev_from = false;
        }
        self.count += 1;

        // psql: track BEGIN ... END inside CREATE [OR REPLACE] FUNCTION|PROCEDURE.
        const HEAD: [&[u8]; 5] = [b"create", b"function", b"procedure", b"or", b"replace"];
        if self.ident_count < self.idents.len() && HEAD.iter().any(|h| w.eq_ignore_ascii_case(h)) {
            self.idents[self.ident_count] = w[0].to_ascii_lowercase();
        }
        self.ident_count += 1;
        let id = &self.idents;
        if id[0] == b'c'
            && (id[1] == b'f'
                || id[1] == b'p'
                || (id[1] == b'o' && id[2] == b'r' && (id[3] == b'f' || id[3] == b'p')))
            && self.paren_depth == 0
        {
            if w.eq_ignore_ascii_case(b"begin") {
                self.begin_depth += 1;
            } else if w.eq_ignore_ascii_case(b"case") {
                if self.begin_depth >= 1 {
                    self.begin_depth += 1;
                }
            } else if w.eq_ignore_ascii_case(b"end") && self.begin_depth > 0 {
                self.begin_depth -= 1;
            }
        }
    }
}

fn is_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c >= 0x80
}

fn is_ident_cont(c: u8) -> bool {
    is_ident_start(c) || c.is_ascii_digit() || c == b'$'
}

/// If `s` (starting with `$`) begins with a dollar-quote delimiter `$tag$`, its length.
fn dollar_delim(s: &[u8]) -> Option<usize> {
    let mut j = 1;
    if s.get(1).is_some_and(|&c| is_ident_start(c)) {
        j = 2;
        while j < s.len() && (is_ident_start(s[j]) || s[j].is_ascii_digit()) {
            j += 1;
        }
    }
    (s.get(j) == Some(&b'$')).then_some(j + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::script::testing::{self, stmt};
    use std::io::{BufReader, Cursor};

    /// An item plus, for COPY, the concatenated data and the number of chunks.
    #[derive(Debug, PartialEq, Eq)]
    enum Got {
        Item(Item),
        Copy(Item, Vec<u8>, usize),
    }

    #[test]
    fn a_backslash_period_inside_copy_data_is_found() {
        for (line, found) in [
            (&b"2\ttwo\\.\n"[..], true),
            (b"\\.x\n", true),
            (b"a\\\\.b\n", false),
            (b"a\\\\\\.b\n", true),
            (b"ends in a backslash\\", false),
            (b"ends in a backslash\\\n", false),
            (b"\\N\t\\\\x2e\n", false),
            (b"plain\n", false),
        ] {
            assert_eq!(
                has_end_of_data_inside(line),
                found,
                "{:?}",
                String::from_utf8_lossy(line)
            );
        }
    }

    fn reader(input: &[u8]) -> PsqlReader<Cursor<Vec<u8>>> {
        PsqlReader::new(Cursor::new(input.to_vec()), "dump.sql")
    }

    fn read_all(input: &[u8]) -> Result<Vec<Got>, DamagedFile> {
        testing::read_all(reader(input), |r, item| {
            if !matches!(item, Item::CopyIn { .. }) {
                return Ok(Got::Item(item));
            }
            let at = r.offset() as usize;
            let mut data = Vec::new();
            let mut chunks = 0;
            while let Some(c) = r.copy_chunk()? {
                assert!(!c.is_empty());
                assert!(c.ends_with(b"\n"));
                data.extend_from_slice(&c);
                chunks += 1;
            }
            // The data is the input's own bytes, from where offset() said.
            assert_eq!(&input[at..at + data.len()], &data[..]);
            Ok(Got::Copy(item, data, chunks))
        })
    }

    fn items(input: &str) -> Vec<Item> {
        read_all(input.as_bytes())
            .unwrap()
            .into_iter()
            .map(|g| match g {
                Got::Item(i) | Got::Copy(i, ..) => i,
            })
            .collect()
    }

    /// A COPY statement, with the data read after it in `chunks` pieces.
    fn copy(sql: &str, line: u64, data: &[u8], chunks: usize) -> Got {
        let sql = sql.to_string();
        Got::Copy(Item::CopyIn { sql, line }, data.to_vec(), chunks)
    }

    fn meta(command: &str, line: u64) -> Item {
        Item::Meta {
            command: command.to_string(),
            line,
        }
    }

    fn err(input: &str) -> DamagedFile {
        read_all(input.as_bytes()).unwrap_err()
    }

    #[test]
    fn simple_and_multiline_statements() {
        let got =
            items("SELECT 1;\n\nCREATE TABLE t (\n  a int,\n  b text\n);\nSELECT 2; SELECT 3;\n");
        assert_eq!(
            got,
            vec![
                stmt("SELECT 1", 1),
                stmt("CREATE TABLE t (\n  a int,\n  b text\n)", 3),
                stmt("SELECT 2", 7),
                stmt("SELECT 3", 7),
            ]
        );
    }

    #[test]
    fn empty_input_and_only_comments() {
        assert_eq!(items(""), vec![]);
        assert_eq!(items("\n\n  \n"), vec![]);
        assert_eq!(
            items("-- just a comment\n/* block\n comment */\n  -- x"),
            vec![]
        );
        assert_eq!(items(";;\n;"), vec![]);
    }

    /// Scripts of two statements: where each ends, and the line it starts on.
    #[test]
    fn quotes_and_comments_hide_semicolons() {
        let cases: &[(&str, [(&str, u64); 2])] = &[
            // Comments between statements are dropped; nested ones too.
            (
                "-- header\n/* a\n /* nested */ still comment ; */ SELECT 1;\n--\n-- Name: t\n--\nSELECT 2 -- trailing\n;\n",
                [("SELECT 1", 3), ("SELECT 2 -- trailing", 7)],
            ),
            (
                "SELECT /* a /* b; */ c; */ 1;\nSELECT 2;",
                [("SELECT /* a /* b; */ c; */ 1", 1), ("SELECT 2", 2)],
            ),
            (
                "INSERT INTO t VALUES ('a;b', 'it''s -- not a comment', 'c:\\');\nSELECT 1;\n",
                [
                    ("INSERT INTO t VALUES ('a;b', 'it''s -- not a comment', 'c:\\')", 1),
                    ("SELECT 1", 2),
                ],
            ),
            (
                "SELECT E'it\\'s; ok', e'\\\\', E'a''b;';\nSELECT x'1F', U&'d\\0061t;a';\n",
                [
                    ("SELECT E'it\\'s; ok', e'\\\\', E'a''b;'", 1),
                    ("SELECT x'1F', U&'d\\0061t;a'", 2),
                ],
            ),
            // An identifier ending in E is not an E-string prefix.
            (
                "SELECT name'a\\';\nSELECT 2;",
                [("SELECT name'a\\'", 1), ("SELECT 2", 2)],
            ),
            (
                "CREATE TABLE \"we;ird\"\"--\nname\" (\"a/*\" int);\nSELECT 1;",
                [
                    ("CREATE TABLE \"we;ird\"\"--\nname\" (\"a/*\" int)", 1),
                    ("SELECT 1", 3),
                ],
            ),
            (
                "SELECT $a$ $ab$ ; $$a$ ;\nSELECT 2;",
                [("SELECT $a$ $ab$ ; $$a$", 1), ("SELECT 2", 2)],
            ),
        ];
        for (input, want) in cases {
            let want: Vec<Item> = want.iter().map(|&(sql, line)| stmt(sql, line)).collect();
            assert_eq!(items(input), want, "{input}");
        }
    }

    #[test]
    fn dollar_quotes() {
        let body = "CREATE FUNCTION f() RETURNS int AS $$\nBEGIN\n  -- comment; 'x\n  RETURN 1; /* ;\nEND;\n$$ LANGUAGE plpgsql";
        let src = format!("{body};\nCREATE FUNCTION g() RETURNS text AS $fn$ SELECT $$;$$ || ';' $fn$ LANGUAGE sql;\nSELECT $1, $2::int, a$b$c FROM t;\n");
        let got = items(&src);
        assert_eq!(
            got,
            vec![
                stmt(body, 1),
                stmt("CREATE FUNCTION g() RETURNS text AS $fn$ SELECT $$;$$ || ';' $fn$ LANGUAGE sql", 7),
                stmt("SELECT $1, $2::int, a$b$c FROM t", 8),
            ]
        );
    }

    #[test]
    fn begin_atomic_function_body() {
        let f = "CREATE FUNCTION public.f(begin integer) RETURNS integer\n    LANGUAGE sql\n    BEGIN ATOMIC\n SELECT CASE WHEN true THEN 1 ELSE 2 END;\n SELECT 3;\nEND";
        let p = "CREATE OR REPLACE PROCEDURE p()\n BEGIN ATOMIC\n INSERT INTO t VALUES (1);\nEND";
        let got = items(&format!("{f};\n{p};\nBEGIN;\nSELECT 1;\nEND;\n"));
        assert_eq!(
            got,
            vec![
                stmt(f, 1),
                stmt(p, 7),
                stmt("BEGIN", 11),
                stmt("SELECT 1", 12),
                stmt("END", 13)
            ]
        );
    }

    #[test]
    fn semicolon_inside_parentheses_like_psql() {
        // pg_dump writes multi-action rules as `DO INSTEAD (a; b;)`.
        let rule = "CREATE RULE r AS\n    ON INSERT TO public.v DO INSTEAD ( INSERT INTO a VALUES (1);\n INSERT INTO b VALUES (2);\n)";
        let got = items(&format!("{rule};\nSELECT 1;\n"));
        assert_eq!(got, vec![stmt(rule, 1), stmt("SELECT 1", 5)]);
    }

    #[test]
    fn string_spanning_lines_reports_start_line() {
        let got = items(
            "SELECT 1;\n\nINSERT INTO t VALUES (\n'line1\nline2;', E'x\\'\ny');\nSELECT 2;\n",
        );
        assert_eq!(
            got,
            vec![
                stmt("SELECT 1", 1),
                stmt("INSERT INTO t VALUES (\n'line1\nline2;', E'x\\'\ny')", 3),
                stmt("SELECT 2", 7)
            ]
        );
        let e = err("SELECT 1;\nSELECT E'abc\\'\n;\n");
        assert_eq!(e.line, 2);
        assert!(e.message.contains("quoted string started at line 2"), "{e}");
    }

    /// What only psql leaves open; the ends both dialects share are in `reader`.
    #[test]
    fn unterminated_things() {
        let cases = [
            (
                "SELECT 1;\n\nCREATE FUNCTION f() AS $body$\nSELECT 1;\n",
                3,
                "dollar-quoted string",
            ),
            ("SELECT \"abc\n;\n", 1, "quoted identifier"),
            ("SELECT 1;\n/* a /* b */\n", 2, "/* comment"),
        ];
        for (input, line, what) in cases {
            let e = err(input);
            assert_eq!(e.line, line, "{input}");
            let want = format!("unterminated {what} started at line {line} (file truncated?)");
            assert_eq!(e.message, want);
        }
    }

    #[test]
    fn meta_commands() {
        let src = "\\restrict abcDEF123\n\nSET x = 1;\n  \\connect otherdb\nSELECT 1; \\gset\nSELECT '\\not meta';\nSELECT\n\\foo\n;\n\\unrestrict abcDEF123\r\n";
        assert_eq!(
            items(src),
            vec![
                meta("restrict abcDEF123", 1),
                stmt("SET x = 1", 3),
                meta("connect otherdb", 4),
                stmt("SELECT 1", 5),
                meta("gset", 5),
                stmt("SELECT '\\not meta'", 6),
                stmt("SELECT\n\\foo", 7),
                meta("unrestrict abcDEF123", 10),
            ]
        );
    }

    #[test]
    fn backslash_dot_outside_copy_is_error() {
        let e = err("SELECT 1;\n\\.\n");
        assert_eq!(e.line, 2);
        assert_eq!(e.message, "unexpected \\. outside COPY data");
        // A `\.` the server would take as the end, inside a line of data.
        for data in ["\\.x", " \\.", "\\..", "a\\\\\\.b"] {
            let e = err(&format!("COPY t FROM stdin;\n1\n{data}\n\\.\n"));
            assert_eq!(e.line, 3, "{data}");
            assert!(
                e.message.contains("inside a line of COPY data"),
                "{}",
                e.message
            );
        }
    }

    /// Scripts with COPY blocks: each item, a COPY with its data and the
    /// number of chunks that came in.
    #[test]
    fn copy_blocks() {
        let lookalikes = "\\\\.\n.\\\\\n x.\n";
        let pg_dump = "\\restrict Xyz\n--\n-- PostgreSQL database dump\n--\n\nSET statement_timeout = 0;\nSELECT pg_catalog.set_config('search_path', '', false);\n\nCREATE TABLE public.t (\n    id integer NOT NULL,\n    note text\n);\n\nCOPY public.t (id, note) FROM stdin;\n1\tsemi;colon\n2\t-- dash\n3\t'quote\n\\.\n\n\nALTER TABLE ONLY public.t\n    ADD CONSTRAINT t_pkey PRIMARY KEY (id);\n\n--\n-- PostgreSQL database dump complete\n--\n\n\\unrestrict Xyz\n\n";
        let cases: Vec<(String, Vec<Got>)> = vec![
            (
                "SET a = 1;\nCOPY public.t (a, b) FROM stdin;\n1\thello\\tworld\n2\t\\N\n3\t\\\\.\n\\.\nSELECT 2;\n".into(),
                vec![
                    Got::Item(stmt("SET a = 1", 1)),
                    copy("COPY public.t (a, b) FROM stdin", 2, b"1\thello\\tworld\n2\t\\N\n3\t\\\\.\n", 1),
                    Got::Item(stmt("SELECT 2", 7)),
                ],
            ),
            // Only `\.` alone on its line ends the data, with or without CR.
            (
                format!("COPY t FROM STDIN;\n{lookalikes}\\.\r\nSELECT 1;\n"),
                vec![
                    copy("COPY t FROM STDIN", 1, lookalikes.as_bytes(), 1),
                    Got::Item(stmt("SELECT 1", 6)),
                ],
            ),
            // The terminator on the very last line, without a newline.
            (
                "COPY t FROM stdin;\na\n\\.".into(),
                vec![copy("COPY t FROM stdin", 1, b"a\n", 1)],
            ),
            // No data; the rest of the COPY's line is ignored, as psql does.
            (
                "copy t(a)\n  from\n\n  StdIn (FORMAT text); ignored stuff ;\n\\.\nSELECT 1;\n".into(),
                vec![
                    copy("copy t(a)\n  from\n\n  StdIn (FORMAT text)", 1, b"", 0),
                    Got::Item(stmt("SELECT 1", 6)),
                ],
            ),
            (
                pg_dump.into(),
                vec![
                    Got::Item(meta("restrict Xyz", 1)),
                    Got::Item(stmt("SET statement_timeout = 0", 6)),
                    Got::Item(stmt("SELECT pg_catalog.set_config('search_path', '', false)", 7)),
                    Got::Item(stmt("CREATE TABLE public.t (\n    id integer NOT NULL,\n    note text\n)", 9)),
                    copy("COPY public.t (id, note) FROM stdin", 14, b"1\tsemi;colon\n2\t-- dash\n3\t'quote\n", 1),
                    Got::Item(stmt("ALTER TABLE ONLY public.t\n    ADD CONSTRAINT t_pkey PRIMARY KEY (id)", 21)),
                    Got::Item(meta("unrestrict Xyz", 28)),
                ],
            ),
        ];
        for (input, want) in cases {
            assert_eq!(read_all(input.as_bytes()).unwrap(), want, "{input}");
        }
    }

    #[test]
    fn copy_chunk_after_the_end_is_none() {
        let mut r = reader(b"COPY t FROM stdin;\n\\.\n");
        assert!(matches!(r.next_item().unwrap(), Some(Item::CopyIn { .. })));
        assert_eq!(r.copy_chunk().unwrap(), None);
        assert_eq!(r.copy_chunk().unwrap(), None);
        assert_eq!(r.next_item().unwrap(), None);
    }

    #[test]
    fn copy_to_stdout_and_lookalikes_are_statements() {
        let got = items("COPY t TO stdout;\nCOPY (SELECT * FROM stdin) TO STDOUT;\nCOPY t FROM '/tmp/stdin';\nSELECT 1 FROM stdin;\nCOPY t FROM \"stdin\";\n");
        assert!(
            got.iter().all(|i| matches!(i, Item::Statement { .. })),
            "{got:?}"
        );
        assert_eq!(got.len(), 5);
        // A comment between FROM and STDIN is fine.
        let got = items("COPY t FROM /* x */ stdin;\n\\.\n");
        assert!(matches!(got[0], Item::CopyIn { .. }));
    }

    #[test]
    fn copy_large_is_chunked() {
        let mut data = Vec::new();
        for i in 0..100_000u32 {
            data.extend_from_slice(format!("{i}\tvalue number {i}\t\\N\t2024-01-01\n").as_bytes());
        }
        let mut src = b"SELECT 0;\nCOPY public.big (id, v, n, d) FROM stdin;\n".to_vec();
        src.extend_from_slice(&data);
        src.extend_from_slice(b"\\.\n\nSELECT 1;\n");
        // A small BufReader capacity exercises buffer refills.
        let mut r = PsqlReader::new(BufReader::with_capacity(1000, Cursor::new(src)), "big.sql");
        assert_eq!(r.next_item().unwrap(), Some(stmt("SELECT 0", 1)));
        assert!(matches!(
            r.next_item().unwrap(),
            Some(Item::CopyIn { line: 2, .. })
        ));
        let mut joined = Vec::new();
        let mut chunks = 0;
        while let Some(c) = r.copy_chunk().unwrap() {
            assert!(c.ends_with(b"\n"));
            assert!(c.len() >= COPY_CHUNK || joined.len() + c.len() == data.len());
            assert!(c.len() < COPY_CHUNK + 100);
            chunks += 1;
            joined.extend_from_slice(&c);
        }
        assert!(chunks > 5, "{chunks}");
        assert_eq!(joined, data);
        assert_eq!(r.line(), 100_003);
        assert_eq!(r.next_item().unwrap(), Some(stmt("SELECT 1", 100_005)));
        assert_eq!(r.next_item().unwrap(), None);
    }

    #[test]
    fn copy_long_line_is_one_chunk() {
        let long = "x".repeat(COPY_CHUNK * 2 + 7);
        let src = format!("COPY t FROM stdin;\na\n{long}\nb\n\\.\n");
        let mut r = reader(src.as_bytes());
        r.next_item().unwrap();
        let c1 = r.copy_chunk().unwrap().unwrap();
        assert_eq!(c1, format!("a\n{long}\n").into_bytes());
        assert_eq!(r.copy_chunk().unwrap().unwrap(), b"b\n");
        assert_eq!(r.copy_chunk().unwrap(), None);
    }

    #[test]
    fn copy_truncated() {
        let mut r = reader(b"SELECT 1;\nCOPY t FROM stdin;\n1\n2\n");
        r.next_item().unwrap();
        r.next_item().unwrap();
        let e = r.copy_chunk().unwrap_err();
        assert_eq!(e.line, 4);
        assert_eq!(
            e.message,
            "unexpected end of file inside COPY data started at line 3 (file truncated?)"
        );
        let e = err("COPY t FROM stdin;\n1\n2");
        assert!(e.message.contains("started at line 2"), "{e}");
        let e = err("COPY t FROM stdin;");
        assert_eq!(e.line, 2);
    }

    #[test]
    fn next_item_skips_unread_copy_data() {
        let mut r = reader(b"COPY t FROM stdin;\n1\n2\n\\.\nSELECT 1;\n");
        assert!(matches!(r.next_item().unwrap(), Some(Item::CopyIn { .. })));
        assert_eq!(r.next_item().unwrap(), Some(stmt("SELECT 1", 5)));
    }
}
