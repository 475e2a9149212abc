//! Streaming readers for SQL scripts (psql and mysql client dialects).
//!
//! A reader turns a (possibly huge) SQL script into a stream of [`Item`]s while
//! tracking 1-based line numbers, so that every problem can be reported as
//! `PATH:LINE: message`. Input is consumed line by line; only the statement being
//! assembled (or one chunk of COPY data) is ever held in memory.

pub mod datafile;
pub mod loadbar;
pub mod mysql;
pub mod psql;
mod reader;
pub mod schemafile;
pub mod statement;
mod tuples;

pub use mysql::MysqlReader;
pub use psql::PsqlReader;

#[cfg(test)]
use crate::error::DamagedFile;

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

pub(crate) fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | b'\x0b' | b'\x0c')
}

/// Inside a string or identifier quoted by `quote`, in which a doubled quote
/// stands for itself and, with `backslash`, `\` escapes the next byte: the
/// position in `rest` just after the closing quote, or `None` when the line
/// ends first.
pub(crate) fn quote_end(rest: &[u8], quote: u8, backslash: bool) -> Option<usize> {
    let mut i = 0;
    loop {
        let k = i + rest[i..]
            .iter()
            .position(|&c| c == quote || (backslash && c == b'\\'))?;
        if rest[k] == b'\\' || rest.get(k + 1) == Some(&quote) {
            i = k + 2;
            if i >= rest.len() {
                return None;
            }
        } else {
            return Some(k + 1);
        }
    }
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
    use super::reader::{Lexer, ScriptReader};
    use super::*;
    use std::io::BufRead;

    /// Every item of `reader`, each made into what the test compares by
    /// `each` (which may read on, as COPY data is); the end is sticky.
    pub(crate) fn read_all<R: BufRead, L: Lexer, T>(
        mut reader: ScriptReader<R, L>,
        mut each: impl FnMut(&mut ScriptReader<R, L>, Item) -> Result<T, DamagedFile>,
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
    fn quote_end_skips_doubled_quotes_and_escapes() {
        let cases: &[(&[u8], u8, bool, Option<usize>)] = &[
            (b"abc' x", b'\'', false, Some(4)),
            (b"a''b' x", b'\'', false, Some(5)),
            (b"a\\'b' x", b'\'', false, Some(3)),
            (b"a\\'b' x", b'\'', true, Some(5)),
            (b"a``b` x", b'`', false, Some(5)),
            (b"a''\n", b'\'', false, None),
            (b"a\\", b'"', true, None),
            (b"", b'"', true, None),
        ];
        for &(rest, quote, backslash, want) in cases {
            let shown = String::from_utf8_lossy(rest);
            assert_eq!(quote_end(rest, quote, backslash), want, "{shown}");
        }
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
}
