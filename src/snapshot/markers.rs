//! What the `-- dbsnap:` marker lines of a file have said so far. Every reader
//! of our files (schema runs, imports, checks) follows them the same way.

use std::path::Path;

use anyhow::{bail, Result};

use super::manifest::Manifest;
use crate::config::EngineKind;
use crate::engine::order::Section;
use crate::error::DamagedFile;

/// Every marker line starts with this. The marker words below are the only
/// place their text is spelled: writers and readers both use them.
pub const PREFIX: &str = "-- dbsnap:";
const FORMAT: &str = "format";
pub(super) const ENGINE: &str = "engine ";
const KIND_DATA: &str = "kind data";
const TABLES: &str = "tables ";
const ROWS_LEFT_OUT: &str = "rows-left-out ";
const TABLE: &str = "table ";
const COLUMN_TYPES: &str = "column-types ";
const SECTION: &str = "section ";
const END: &str = "end";
const DATABASE_CHARSET: &str = "database-charset ";

/// What a snapshot holds, as its header says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Schema,
    Data,
}

/// The marker lines that open every snapshot: format, engine and, for data
/// snapshots, their kind.
pub fn header(engine: EngineKind, kind: FileKind) -> String {
    let mut out = format!("{PREFIX}{FORMAT} 1\n{PREFIX}{ENGINE}{}\n", engine.marker());
    if kind == FileKind::Data {
        out += &format!("{PREFIX}{KIND_DATA}\n");
    }
    out
}

/// A data snapshot's list of its tables (a JSON array of names), in its header.
pub fn tables_line(json_names: &str) -> String {
    format!("{PREFIX}{TABLES}{json_names}\n")
}

/// The tables of a data snapshot whose rows were left out
/// (`--exclude-table-data`; a JSON array of names), before its table list:
/// `import --truncate` must not empty them, as it has no rows to put back.
pub fn rows_left_out_line(json_names: &str) -> String {
    format!("{PREFIX}{ROWS_LEFT_OUT}{json_names}\n")
}

/// The JSON list of a `rows-left-out` marker's text.
pub fn rows_left_out_list(text: &str) -> Option<&str> {
    text.strip_prefix(ROWS_LEFT_OUT)
}

/// The line before a table's rows in a data snapshot.
pub fn table_line(name: &str) -> String {
    format!("{PREFIX}{TABLE}{}\n", crate::engine::comment_safe(name))
}

/// The line after [`table_line`] in a PostgreSQL data snapshot: the source's
/// type of each column of the COPY, in its order, so that a load can see a
/// target column that would round or cut them.
pub fn column_types_line(types: &[String]) -> String {
    let json = serde_json::to_string(types).expect("strings serialize");
    format!(
        "{PREFIX}{COLUMN_TYPES}{}\n",
        crate::engine::comment_safe(&json)
    )
}

/// The JSON list of a `column-types` marker's text.
pub fn column_types(text: &str) -> Option<&str> {
    text.strip_prefix(COLUMN_TYPES)
}

/// The line that opens a section.
pub fn section_line(section: Section) -> String {
    format!("{PREFIX}{SECTION}{}\n", section.marker())
}

/// The last line of every snapshot.
pub fn end_line() -> String {
    format!("{PREFIX}{END}\n")
}

/// A MySQL schema snapshot's database character set and collation.
pub fn database_charset_line(charset: &str, collation: &str) -> String {
    format!("{PREFIX}{DATABASE_CHARSET}{charset} {collation}\n")
}

/// `-- dbsnap:database-charset CHARSET COLLATION`, from a marker's text.
pub fn database_charset(text: &str) -> Option<(&str, &str)> {
    let mut parts = text.strip_prefix(DATABASE_CHARSET)?.split_whitespace();
    Some((parts.next()?, parts.next()?))
}

/// Whether a marker's text says the file is a data snapshot.
pub fn is_kind_data(text: &str) -> bool {
    text == KIND_DATA
}

/// The JSON list of a `tables` marker's text.
pub fn tables_list(text: &str) -> Option<&str> {
    text.strip_prefix(TABLES)
}

/// Whether a marker's text opens a section.
pub fn is_section(text: &str) -> bool {
    text.starts_with(SECTION.trim_end())
}

/// The engine a header line (a whole line of the file) names.
pub fn engine_of_line(line: &[u8]) -> Option<&[u8]> {
    line.strip_prefix(PREFIX.as_bytes())?
        .strip_prefix(ENGINE.as_bytes())
}

/// Whether a line of a file is a snapshot's format line.
pub fn is_format_line(line: &str) -> bool {
    line.strip_prefix(PREFIX)
        .is_some_and(|t| t.starts_with(&format!("{FORMAT} ")))
}

#[derive(Debug, Default)]
pub struct Markers {
    /// The file is one of ours (`-- dbsnap:format`), so it must end with `-- dbsnap:end`.
    pub is_snapshot: bool,
    pub ended: bool,
    /// The current `-- dbsnap:section`, None before the first one.
    pub section: Option<Section>,
    pub manifest: Manifest,
}

impl Markers {
    /// Takes one marker (the text after `-- dbsnap:`) found at `line`.
    pub fn take(&mut self, path: &Path, line: u64, text: &str) -> Result<()> {
        if self.ended {
            return Err(DamagedFile::new(path, line, "content after the end marker").into());
        }
        if text.starts_with(FORMAT) {
            self.is_snapshot = true;
        } else if text == END {
            self.ended = true;
        } else if let Some(name) = text.strip_prefix(SECTION) {
            // Statements of a section we do not know would be skipped or run at the wrong time.
            let section = Section::from_marker(name.trim()).ok_or_else(|| {
                DamagedFile::new(path, line, format!("unknown section {:?}", name.trim()))
            })?;
            self.section = Some(section);
        } else {
            // The parser's words are the message: the line itself is what is wrong.
            self.manifest
                .absorb(text)
                .map_err(|e| DamagedFile::new(path, line, format!("bad manifest line: {e}")))?;
        }
        Ok(())
    }

    /// A snapshot written for another engine is refused before anything is loaded.
    pub fn refuse_other_engine(&self, path: &Path, line: u64, target: EngineKind) -> Result<()> {
        match self.manifest.engine {
            Some(found) if found != target => bail!(
                "{}:{line}: this is a {} snapshot; the target is {}. Nothing was loaded.",
                path.display(),
                found.marker(),
                target.display_name()
            ),
            _ => Ok(()),
        }
    }

    /// One of our files without its end marker is truncated.
    pub fn truncated(&self) -> bool {
        self.is_snapshot && !self.ended
    }
}

/// Marker that opens each object of a schema snapshot: `-- dbsnap:object LABEL`,
/// e.g. `-- dbsnap:object INDEX public.film_title_idx`. The label is the object's
/// kind (upper-case words) and its qualified name. Readers that do not need it
/// (loading, import) skip it; `diff` keys objects by it.
pub const OBJECT: &str = "object ";

/// The header line written before each object of a schema snapshot.
pub fn object_line(label: &str) -> String {
    format!("-- dbsnap:{OBJECT}{}", crate::engine::comment_safe(label))
}

/// The label of an object marker (the text after `-- dbsnap:`), if it is one.
pub fn object_label(text: &str) -> Option<&str> {
    text.strip_prefix(OBJECT).map(str::trim)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_sections_manifest_and_end() {
        let path = Path::new("f.sql");
        let mut m = Markers::default();
        m.take(path, 1, "format 1").unwrap();
        m.take(path, 2, "engine mysql").unwrap();
        assert!(m
            .refuse_other_engine(path, 2, EngineKind::Postgres)
            .is_err());
        m.take(path, 3, "section post-data").unwrap();
        assert_eq!(m.section, Some(Section::PostData));
        assert!(m.truncated());
        m.take(path, 9, "end").unwrap();
        assert!(!m.truncated());
        let err = m.take(path, 10, "section x").unwrap_err();
        assert_eq!(err.to_string(), "f.sql:10: content after the end marker");
        assert_eq!(crate::error::damaged_file(&err).map(|d| d.line), Some(10));
    }

    /// A section we do not know would have its statements skipped or run at
    /// the wrong time: the file is refused at that line instead.
    #[test]
    fn unknown_sections_and_bad_manifest_lines_are_damage_at_their_line() {
        let path = Path::new("f.sql");
        let mut m = Markers::default();
        for section in Section::ALL {
            m.take(path, 1, &format!("section {}", section.marker()))
                .unwrap();
            assert_eq!(m.section, Some(section));
        }
        let err = m.take(path, 4, "section data").unwrap_err();
        assert_eq!(err.to_string(), "f.sql:4: unknown section \"data\"");
        assert_eq!(crate::error::damaged_file(&err).map(|d| d.line), Some(4));
        let err = m.take(path, 5, "manifest-table {not json").unwrap_err();
        assert_eq!(crate::error::damaged_file(&err).map(|d| d.line), Some(5));
    }

    #[test]
    fn object_markers_are_ignored_by_loaders_and_read_back() {
        let line = object_line("TABLE public.\"a\nb\"");
        assert_eq!(line, "-- dbsnap:object TABLE public.\"a b\"");
        let text = line.strip_prefix("-- dbsnap:").unwrap();
        assert_eq!(object_label(text), Some("TABLE public.\"a b\""));
        let mut m = Markers::default();
        m.take(Path::new("f.sql"), 1, text).unwrap();
        assert!(m.manifest.tables.is_empty() && m.section.is_none());
    }
}
