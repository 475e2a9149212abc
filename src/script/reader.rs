//! The one line loop both dialects are read with: a [`ScriptReader`] owns the
//! input, its line numbers and the statement being assembled, and asks its
//! dialect's [`Lexer`] only where statements begin and end.

use std::io::BufRead;
use std::path::{Path, PathBuf};

use super::{is_space, Item, MARKER_PREFIX};
use crate::error::DamagedFile;

/// The comment lines pg_dump and mysqldump end their output with. A foreign
/// dump has no manifest; this line is the only sign that it was not cut short.
const DUMP_END_COMMENTS: [&[u8]; 2] = [
    b"-- PostgreSQL database dump complete",
    b"-- Dump completed",
];

/// What a dialect knows: quotes, comments and where a statement ends. The
/// reader feeds it lines and keeps the rest.
pub trait Lexer: Default {
    /// Outside any quote or comment (with no statement open, where a marker can stand).
    fn at_rest(&self) -> bool;
    /// Scans the rest of the current line (`line[src.pos..]`), beginning and
    /// ending statements in `text`: an item when one is complete (with
    /// `src.pos` just after it), or `None` once the line is consumed.
    fn scan<R: BufRead>(
        &mut self,
        line: &[u8],
        src: &mut LineSource<R>,
        text: &mut StatementText,
    ) -> Result<Option<Item>, DamagedFile>;
    /// At the end of the input: what is left open (its first line and what it
    /// is: a quoted string, a comment), leaving the lexer at rest.
    fn open_at_end(&mut self) -> Option<(u64, &'static str)>;
    /// Work left over from the previous item (psql: unread COPY data).
    fn before_next<R: BufRead>(&mut self, _src: &mut LineSource<R>) -> Result<(), DamagedFile> {
        Ok(())
    }
}

/// Streaming reader for one dialect's scripts. See [`Item`] for what it yields.
pub struct ScriptReader<R, L> {
    pub(super) src: LineSource<R>,
    text: StatementText,
    pub(super) lexer: L,
}

impl<R: BufRead, L: Lexer> ScriptReader<R, L> {
    pub fn new(reader: R, path: impl Into<PathBuf>) -> Self {
        ScriptReader {
            src: LineSource::new(reader, path.into()),
            text: StatementText::default(),
            lexer: L::default(),
        }
    }

    /// The next item of the script, or `Ok(None)` at a clean end of file.
    pub fn next_item(&mut self) -> Result<Option<Item>, DamagedFile> {
        self.lexer.before_next(&mut self.src)?;
        loop {
            if self.src.pos >= self.src.buf.len() {
                let more = self.src.next_line().map_err(|mut e| {
                    // A cut compressed file fails here, inside its last statement.
                    let head = if self.text.is_open() {
                        &self.text.bytes
                    } else {
                        &self.src.buf // the part of the line read
                    };
                    if let Some(table) = table_of_rows(head) {
                        e.message += &format!(", in the rows of table {table}");
                    }
                    e
                })?;
                if !more {
                    return self.at_end();
                }
                if !self.text.is_open() && self.lexer.at_rest() {
                    if let Some(marker) = self.src.take_marker()? {
                        return Ok(Some(marker));
                    }
                }
            }
            let buf = std::mem::take(&mut self.src.buf);
            let result = self.lexer.scan(&buf, &mut self.src, &mut self.text);
            if let Ok(None) = result {
                self.text.keep_rest(&buf);
                self.src.pos = buf.len();
            }
            self.src.buf = buf;
            if let Some(item) = result? {
                return Ok(Some(item));
            }
        }
    }

    /// The end of the input: an error for what is left open, either in the
    /// lexer or a statement without its terminator; neither is a clean end.
    fn at_end(&mut self) -> Result<Option<Item>, DamagedFile> {
        let open = self.lexer.open_at_end();
        let rows_of = match table_of_rows(&self.text.bytes) {
            Some(table) => format!(", in the rows of table {table}"),
            None => String::new(),
        };
        let statement = self.text.abandon();
        match (open, statement) {
            (Some((line, what)), _) => Err(self.src.error(
                line,
                format!("unterminated {what} started at line {line} (file truncated?){rows_of}"),
            )),
            (None, Some(line)) => Err(self.src.error(
                line,
                format!("unterminated statement at end of file (file truncated?){rows_of}"),
            )),
            (None, None) => Ok(None),
        }
    }

    /// 1-based number of the line the reader is at: the line most recently
    /// read (while in COPY data, the last line of the most recent chunk).
    pub fn line(&self) -> u64 {
        self.src.line.max(1)
    }

    /// Whether a pg_dump or mysqldump closing comment was read at top level.
    pub fn dump_end_seen(&self) -> bool {
        self.src.dump_end_seen
    }

    #[cfg(test)]
    pub(super) fn path(&self) -> &Path {
        &self.src.path
    }
}

/// Line-at-a-time input.
pub struct LineSource<R> {
    pub(super) reader: R,
    pub(super) path: PathBuf,
    /// The current line, including its trailing `\n` (absent only on a last line without one).
    buf: Vec<u8>,
    /// Scan position inside the current line; at its length the line is consumed.
    pub(super) pos: usize,
    /// 1-based number of the current line (0 before the first read).
    pub(super) line: u64,
    /// Set once EOF has been seen.
    pub(super) eof: bool,
    /// Bytes read from the input so far: the offset where the next line begins.
    pub(super) offset: u64,
    /// A top-level line was pg_dump's or mysqldump's closing comment.
    dump_end_seen: bool,
}

impl<R> LineSource<R> {
    pub(super) fn io_error(&self, e: std::io::Error) -> DamagedFile {
        DamagedFile::new(&self.path, self.line.max(1), format!("read error: {e}"))
    }

    pub(super) fn error(&self, line: u64, message: impl Into<String>) -> DamagedFile {
        DamagedFile::new(&self.path, line.max(1), message)
    }
}

impl<R: BufRead> LineSource<R> {
    fn new(reader: R, path: PathBuf) -> Self {
        LineSource {
            reader,
            path,
            buf: Vec::with_capacity(8 * 1024),
            pos: 0,
            line: 0,
            eof: false,
            offset: 0,
            dump_end_seen: false,
        }
    }

    /// Reads the next line into `buf`. Returns false at EOF.
    fn next_line(&mut self) -> Result<bool, DamagedFile> {
        self.buf.clear();
        self.pos = 0;
        if self.eof {
            return Ok(false);
        }
        let n = self.reader.read_until(b'\n', &mut self.buf).map_err(|e| {
            // The line being read is the next one.
            DamagedFile::new(&self.path, self.line + 1, format!("read error: {e}"))
        })?;
        if n == 0 {
            self.eof = true;
            return Ok(false);
        }
        self.offset += n as u64;
        self.line += 1;
        if self.line == 1 && self.buf.starts_with(b"\xEF\xBB\xBF") {
            self.buf.drain(..3);
        }
        Ok(true)
    }

    /// If the whole current line (unconsumed, at column 0) is a marker comment, consumes it
    /// and returns the marker item.
    /// Also notes a foreign dump's closing comment, which stays a comment.
    fn take_marker(&mut self) -> Result<Option<Item>, DamagedFile> {
        if self.pos == 0 && DUMP_END_COMMENTS.iter().any(|c| self.buf.starts_with(c)) {
            self.dump_end_seen = true;
        }
        if self.pos != 0 || !self.buf.starts_with(MARKER_PREFIX) {
            return Ok(None);
        }
        let text = std::str::from_utf8(&self.buf[MARKER_PREFIX.len()..])
            .map_err(|_| self.error(self.line, "invalid UTF-8 in marker comment"))?
            .trim()
            .to_string();
        self.pos = self.buf.len();
        Ok(Some(Item::Marker {
            text,
            line: self.line,
        }))
    }
}

/// The statement being assembled: its raw bytes, gathered from each line it
/// spans, and the line it starts on. Only this one statement is ever held.
#[derive(Default)]
pub struct StatementText {
    bytes: Vec<u8>,
    /// 1-based line the open statement starts on; `None` between statements.
    start: Option<u64>,
    /// Where, in the current line, the bytes not yet gathered begin.
    seg: usize,
}

impl StatementText {
    pub(super) fn is_open(&self) -> bool {
        self.start.is_some()
    }

    /// A statement begins at `at` in the current line, numbered `line`.
    pub(super) fn begin(&mut self, line: u64, at: usize) {
        self.bytes.clear();
        self.start = Some(line);
        self.seg = at;
    }

    /// The open statement ends just before `at` in the current line: its text
    /// (trimmed, valid UTF-8) and the line it starts on.
    pub(super) fn end(
        &mut self,
        line: &[u8],
        at: usize,
        path: &Path,
    ) -> Result<(String, u64), DamagedFile> {
        self.bytes.extend_from_slice(&line[self.seg..at]);
        // Lexers end only a statement they began, so `start` is set.
        let start = self.start.take().unwrap_or_default();
        let sql = finish_sql(std::mem::take(&mut self.bytes), start, path)?;
        Ok((sql, start))
    }

    /// The current line is consumed: an open statement keeps the rest of it.
    fn keep_rest(&mut self, line: &[u8]) {
        if self.is_open() {
            self.bytes.extend_from_slice(&line[self.seg..]);
        }
        self.seg = 0;
    }

    /// The input ended: the line an open statement started on, if one was open.
    fn abandon(&mut self) -> Option<u64> {
        self.bytes.clear();
        self.start.take()
    }
}

/// The table an unfinished INSERT (or REPLACE) names, as written (quotes
/// kept; at most 128 bytes, printable only): where a cut file stopped.
fn table_of_rows(statement: &[u8]) -> Option<String> {
    let head = &statement[..statement.len().min(512)];
    let upper = head.to_ascii_uppercase();
    let after = ["INSERT INTO ", "REPLACE INTO ", "INSERT IGNORE INTO "]
        .iter()
        .find(|k| upper.starts_with(k.as_bytes()))
        .map(|k| &head[k.len()..])?;
    let mut end = 0;
    let mut quote = None;
    while end < after.len() && end < 128 {
        let c = after[end];
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == b'`' || c == b'"' => quote = Some(c),
            None if c.is_ascii_alphanumeric() || matches!(c, b'_' | b'$' | b'.') => {}
            None => break,
        }
        end += 1;
    }
    let name = &after[..end];
    (quote.is_none() && !name.is_empty() && name.iter().all(|c| (0x20..0x7f).contains(c)))
        .then(|| String::from_utf8_lossy(name).into_owned())
}

/// Turns the raw bytes of a finished statement into its text: trailing whitespace is trimmed
/// (the reader never lets leading whitespace in) and the text must be valid UTF-8.
fn finish_sql(mut bytes: Vec<u8>, start_line: u64, path: &Path) -> Result<String, DamagedFile> {
    let end = bytes
        .iter()
        .rposition(|&c| !is_space(c))
        .map_or(0, |p| p + 1);
    bytes.truncate(end);
    let start = bytes
        .iter()
        .position(|&c| !is_space(c))
        .unwrap_or(bytes.len());
    if start > 0 {
        bytes.drain(..start);
    }
    String::from_utf8(bytes).map_err(|e| {
        let valid = e.utf8_error().valid_up_to();
        let nl = e.as_bytes()[..valid]
            .iter()
            .filter(|&&c| c == b'\n')
            .count() as u64;
        DamagedFile::new(path, start_line + nl, "invalid UTF-8 in statement text")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::script::testing::{read_all, stmt};
    use crate::script::{MysqlReader, PsqlReader};
    use std::io::Cursor;

    /// `input` read by each dialect's reader: every item, or the first error.
    fn both(input: &[u8]) -> [Result<Vec<Item>, DamagedFile>; 2] {
        let input = || Cursor::new(input.to_vec());
        [
            read_all(PsqlReader::new(input(), "dump.sql"), |_, item| Ok(item)),
            read_all(MysqlReader::new(input(), "dump.sql"), |_, item| Ok(item)),
        ]
    }

    fn marker(text: &str, line: u64) -> Item {
        let text = text.to_string();
        Item::Marker { text, line }
    }

    /// What both dialects read alike: markers stand only at column 0
    /// between statements, and a statement is numbered by its first line.
    #[test]
    fn both_dialects_read_alike() {
        let cases = [
            (
                "\u{feff}-- dbsnap:format 1\r\n-- dbsnap:section schema  \n -- dbsnap:indented\nSELECT 1\n-- dbsnap:inside\n;\nSELECT 2; -- dbsnap:not at column 0\nCREATE TABLE t (\r\n a int\r\n);\r\n-- dbsnap:table public.t rows=3\n",
                vec![
                    marker("format 1", 1),
                    marker("section schema", 2),
                    stmt("SELECT 1\n-- dbsnap:inside", 4),
                    stmt("SELECT 2", 7),
                    stmt("CREATE TABLE t (\r\n a int\r\n)", 8),
                    marker("table public.t rows=3", 11),
                ],
            ),
            (
                "SELECT 0;\nINSERT INTO t VALUES ('a\nb;\nc');\nSELECT 1;",
                vec![
                    stmt("SELECT 0", 1),
                    stmt("INSERT INTO t VALUES ('a\nb;\nc')", 2),
                    stmt("SELECT 1", 5),
                ],
            ),
        ];
        for (input, want) in cases {
            for got in both(input.as_bytes()) {
                assert_eq!(got.unwrap(), want, "{input}");
            }
        }
    }

    /// How an input may end, the same in both dialects: cleanly after
    /// comments, or with an error at the line where what is open began.
    #[test]
    fn an_unfinished_end_names_where_it_began() {
        for got in both(b"SELECT 1;\n-- end\n\n") {
            assert_eq!(got.unwrap(), vec![stmt("SELECT 1", 1)]);
        }
        let statement = "unterminated statement at end of file (file truncated?)";
        let string = "unterminated quoted string started at line 3 (file truncated?)";
        let comment = "unterminated /* comment started at line 2 (file truncated?)";
        let utf8 = "invalid UTF-8 in statement text";
        let cases: &[(&[u8], u64, &str)] = &[
            (b"SELECT 1;\nCREATE TABLE t (\n a int\n", 2, statement),
            (b"SELECT 1;\nSELECT 2", 2, statement),
            (b"SELECT 1;\nSELECT\n  'abc\n\n", 3, string),
            (b"SELECT 1;\n/* open\n", 2, comment),
            (b"SELECT 1;\nINSERT INTO t\nVALUES ('\xff\xfe');\n", 3, utf8),
            (
                b"SELECT 1;\nINSERT INTO `my t`.x VALUES (1,'a'),\n(2,'b\n",
                3,
                "unterminated quoted string started at line 3 (file truncated?), in the rows of table `my t`.x",
            ),
            (
                b"insert into public.\"T\" (a) VALUES (1)",
                1,
                "unterminated statement at end of file (file truncated?), in the rows of table public.\"T\"",
            ),
            (b"INSERT INTO `t\x1b` VALUES (1)", 1, statement),
        ];
        for &(input, line, message) in cases {
            let shown = String::from_utf8_lossy(input);
            for got in both(input) {
                let e = got.unwrap_err();
                assert_eq!((e.line, e.message.as_str()), (line, message), "{shown}");
                assert_eq!(e.to_string(), format!("dump.sql:{line}: {message}"));
            }
        }
    }

    /// A compressed file cut short fails inside a read, often in the
    /// middle of a long INSERT line: the line being read, and its table.
    #[test]
    fn a_read_error_names_the_line_being_read_and_its_table() {
        struct Fails;
        impl std::io::Read for Fails {
            fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
                Err(std::io::Error::other("incomplete frame"))
            }
        }
        let cases: &[(&[u8], u64, &str)] = &[
            (
                b"SELECT 1;\nINSERT INTO `a` VALUES (1,'x'),(2,'",
                2,
                "read error: incomplete frame, in the rows of table `a`",
            ),
            (
                b"SELECT 1;\nINSERT INTO `a` VALUES (1,'x\n'),\n(2,",
                4,
                "read error: incomplete frame, in the rows of table `a`",
            ),
            (b"SELECT 1;\nSELE", 2, "read error: incomplete frame"),
        ];
        for &(input, line, message) in cases {
            let input = || {
                std::io::BufReader::new(std::io::Read::chain(Cursor::new(input.to_vec()), Fails))
            };
            for got in [
                read_all(PsqlReader::new(input(), "d.sql.zst"), |_, item| Ok(item)),
                read_all(MysqlReader::new(input(), "d.sql.zst"), |_, item| Ok(item)),
            ] {
                let e = got.unwrap_err();
                assert_eq!((e.line, e.message.as_str()), (line, message));
            }
        }
    }

    #[test]
    fn path_and_line() {
        let mut r = PsqlReader::new(Cursor::new(b"SELECT 1;\nSELECT\n2;\n".to_vec()), "x.sql");
        assert_eq!(r.path(), Path::new("x.sql"));
        assert_eq!(r.line(), 1);
        r.next_item().unwrap();
        assert_eq!(r.line(), 1);
        assert_eq!(r.next_item().unwrap(), Some(stmt("SELECT\n2", 2)));
        assert_eq!(r.line(), 3);
    }

    #[test]
    fn finish_sql_reports_bad_utf8_line() {
        let e = finish_sql(b"SELECT\n'a'\n'\xff'".to_vec(), 10, Path::new("f")).unwrap_err();
        assert_eq!(e.line, 12);
        assert_eq!(
            finish_sql(b"SELECT 1 \r\n".to_vec(), 1, Path::new("f")).unwrap(),
            "SELECT 1"
        );
    }
}
