//! Streaming readers for SQL scripts (psql and mysql client dialects).
//!
//! A reader turns a (possibly huge) SQL script into a stream of [`Item`]s while
//! tracking 1-based line numbers, so that every problem can be reported as
//! `PATH:LINE: message`. Input is consumed line by line; only the statement being
//! assembled (or one chunk of COPY data) is ever held in memory.

pub mod datafile;
mod loadbar;
pub mod mysql;
pub mod psql;
pub mod schemafile;
pub mod statement;

pub use mysql::MysqlReader;
pub use psql::PsqlReader;

use crate::error::DamagedFile;

use std::io::BufRead;
use std::path::{Path, PathBuf};

/// One unit of a script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// A complete SQL statement, text exactly as in the file (comments outside the statement
    /// dropped; leading/trailing whitespace trimmed; the terminating `;` (or MySQL delimiter) NOT
    /// included), `line` = 1-based line where the statement starts.
    Statement { sql: String, line: u64 },
    /// (psql only) A `COPY ... FROM stdin` statement (sql without `;`). The caller must then call
    /// `copy_chunk()` until it returns Ok(None) before calling `next_item()` again.
    CopyIn { sql: String, line: u64 },
    /// (psql only) A backslash meta-command line, e.g. `\restrict abc`, `\connect db`:
    /// `command` is the whole line without the leading backslash and trailing newline.
    Meta { command: String, line: u64 },
    /// A comment line of the exact form `-- dbsnap:KEY VALUE...` at top level (not inside a
    /// statement): `text` = everything after `-- dbsnap:` (trimmed).
    Marker { text: String, line: u64 },
}

/// Prefix of marker comment lines.
pub(crate) const MARKER_PREFIX: &[u8] = crate::snapshot::markers::PREFIX.as_bytes();

/// The comment lines pg_dump and mysqldump end their output with. A foreign
/// dump has no manifest; this line is the only sign that it was not cut short.
const DUMP_END_COMMENTS: [&[u8]; 2] = [
    b"-- PostgreSQL database dump complete",
    b"-- Dump completed",
];

/// What the two readers (psql and mysql client dialects) share: each lexes one
/// line at a time; feeding it lines and picking out markers between statements
/// is written once, here.
pub(crate) trait Lexer<R: BufRead> {
    fn source(&self) -> &LineSource<R>;
    fn source_mut(&mut self) -> &mut LineSource<R>;
    /// Outside any statement, quote or comment: where a marker can stand.
    fn between_statements(&self) -> bool;
    /// Scans the rest of the current line (`line[pos..]`): an item when one is
    /// complete, or `None` once the line is consumed.
    fn scan(&mut self, line: &[u8]) -> Result<Option<Item>, DamagedFile>;
    /// The end of the input: `None`, or an error for an unfinished statement.
    fn at_eof(&mut self) -> Result<Option<Item>, DamagedFile>;
    /// Work left over from the previous item (psql: unread COPY data).
    fn before_next(&mut self) -> Result<(), DamagedFile> {
        Ok(())
    }

    /// The next item of the script, or `Ok(None)` at a clean end of file.
    fn next_item(&mut self) -> Result<Option<Item>, DamagedFile> {
        self.before_next()?;
        loop {
            let src = self.source_mut();
            if src.pos >= src.buf.len() {
                if !src.next_line()? {
                    return self.at_eof();
                }
                if self.between_statements() {
                    if let Some(marker) = self.source_mut().take_marker()? {
                        return Ok(Some(marker));
                    }
                }
            }
            let buf = std::mem::take(&mut self.source_mut().buf);
            let result = self.scan(&buf);
            self.source_mut().buf = buf;
            if let Some(item) = result? {
                return Ok(Some(item));
            }
        }
    }

    /// 1-based number of the line the reader is at: the line most recently
    /// read (while in COPY data, the last line of the most recent chunk).
    fn line(&self) -> u64 {
        self.source().current_line()
    }

    /// Whether a pg_dump or mysqldump closing comment was read at top level.
    fn dump_end_seen(&self) -> bool {
        self.source().dump_end_seen
    }
}

/// Line-at-a-time input shared by both readers.
pub(crate) struct LineSource<R> {
    pub(crate) reader: R,
    pub(crate) path: PathBuf,
    /// The current line, including its trailing `\n` (absent only on a last line without one).
    pub(crate) buf: Vec<u8>,
    /// Scan position inside `buf`; `pos == buf.len()` means the line is consumed.
    pub(crate) pos: usize,
    /// 1-based number of the line in `buf` (0 before the first read).
    pub(crate) line: u64,
    /// Set once EOF has been seen.
    pub(crate) eof: bool,
    /// A top-level line was pg_dump's or mysqldump's closing comment.
    pub(crate) dump_end_seen: bool,
}

impl<R: BufRead> LineSource<R> {
    pub(crate) fn new(reader: R, path: PathBuf) -> Self {
        LineSource {
            reader,
            path,
            buf: Vec::with_capacity(8 * 1024),
            pos: 0,
            line: 0,
            eof: false,
            dump_end_seen: false,
        }
    }

    /// Reads the next line into `buf`. Returns false at EOF.
    pub(crate) fn next_line(&mut self) -> Result<bool, DamagedFile> {
        self.buf.clear();
        self.pos = 0;
        if self.eof {
            return Ok(false);
        }
        let n = self
            .reader
            .read_until(b'\n', &mut self.buf)
            .map_err(|e| self.io_error(e))?;
        if n == 0 {
            self.eof = true;
            return Ok(false);
        }
        self.line += 1;
        if self.line == 1 && self.buf.starts_with(b"\xEF\xBB\xBF") {
            self.buf.drain(..3);
        }
        Ok(true)
    }

    /// Marks the rest of the current line as consumed.
    pub(crate) fn consume_line(&mut self) {
        self.pos = self.buf.len();
    }

    pub(crate) fn io_error(&self, e: std::io::Error) -> DamagedFile {
        DamagedFile::new(&self.path, self.line.max(1), format!("read error: {e}"))
    }

    pub(crate) fn error(&self, line: u64, message: impl Into<String>) -> DamagedFile {
        DamagedFile::new(&self.path, line.max(1), message)
    }

    /// The end of the input: an error for what is left open, either `open`
    /// (its first line and what it is: a quoted string, a comment) or a
    /// statement begun at line `statement` without its terminator; neither
    /// is a clean end.
    pub(crate) fn at_end(
        &self,
        open: Option<(u64, &str)>,
        statement: Option<u64>,
    ) -> Result<Option<Item>, DamagedFile> {
        match (open, statement) {
            (Some((line, what)), _) => Err(self.error(
                line,
                format!("unterminated {what} started at line {line} (file truncated?)"),
            )),
            (None, Some(line)) => Err(self.error(
                line,
                "unterminated statement at end of file (file truncated?)",
            )),
            (None, None) => Ok(None),
        }
    }

    pub(crate) fn current_line(&self) -> u64 {
        self.line.max(1)
    }

    /// If the whole current line (unconsumed, at column 0) is a marker comment, consumes it
    /// and returns the marker item.
    /// Also notes a foreign dump's closing comment, which stays a comment.
    pub(crate) fn take_marker(&mut self) -> Result<Option<Item>, DamagedFile> {
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
        self.consume_line();
        Ok(Some(Item::Marker {
            text,
            line: self.line,
        }))
    }
}

pub(crate) fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | b'\x0b' | b'\x0c')
}

/// Turns the raw bytes of a finished statement into its text: trailing whitespace is trimmed
/// (the reader never lets leading whitespace in) and the text must be valid UTF-8.
pub(crate) fn finish_sql(
    mut bytes: Vec<u8>,
    start_line: u64,
    path: &Path,
) -> Result<String, DamagedFile> {
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

/// Position of the first occurrence of `needle` in `hay`.
pub(crate) fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    match needle.len() {
        0 => Some(0),
        1 => hay.iter().position(|&c| c == needle[0]),
        n => {
            let first = needle[0];
            let mut i = 0;
            while i + n <= hay.len() {
                match hay[i..=hay.len() - n].iter().position(|&c| c == first) {
                    None => return None,
                    Some(p) => {
                        i += p;
                        if &hay[i..i + n] == needle {
                            return Some(i);
                        }
                        i += 1;
                    }
                }
            }
            None
        }
    }
}

/// What both readers' tests read scripts with.
#[cfg(test)]
pub(crate) mod testing {
    use super::*;

    /// Every item of `reader`, each made into what the test compares by
    /// `each` (which may read on, as COPY data is); the end is sticky.
    pub(crate) fn read_all<R: BufRead, L: Lexer<R>, T>(
        mut reader: L,
        mut each: impl FnMut(&mut L, Item) -> Result<T, DamagedFile>,
    ) -> Result<Vec<T>, DamagedFile> {
        let mut out = Vec::new();
        while let Some(item) = reader.next_item()? {
            out.push(each(&mut reader, item)?);
        }
        assert_eq!(reader.next_item().unwrap(), None);
        Ok(out)
    }

    pub(crate) fn stmt(sql: &str, line: u64) -> Item {
        Item::Statement {
            sql: sql.to_string(),
            line,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_format() {
        let e = DamagedFile::new("/tmp/x.sql", 12, "boom");
        assert_eq!(e.to_string(), "/tmp/x.sql:12: boom");
    }

    #[test]
    fn find_works() {
        assert_eq!(find(b"abc$x$def", b"$x$"), Some(3));
        assert_eq!(find(b"$$x$", b"$x$"), Some(1));
        assert_eq!(find(b"abc", b"abcd"), None);
        assert_eq!(find(b"abc", b"c"), Some(2));
        assert_eq!(find(b"a;;b", b";;"), Some(1));
        assert_eq!(find(b"a;b;", b";;"), None);
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
