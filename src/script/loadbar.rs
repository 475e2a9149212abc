//! The progress a load shows, driven by the one reader of data files: it
//! sees every event just before a loader takes it (the channel between them
//! holds a few), so what it draws is where the load is, for both engines and
//! for import and init alike.

use std::collections::HashMap;
use std::io::{IsTerminal, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use super::datafile::{DataFile, Event};
use super::statement::{Dialect, TableName};
use crate::progress::{Progress, TableProgress};
use crate::snapshot::manifest::Manifest;

/// How much of the end of a plain file is read for its manifest. A manifest
/// larger than this only costs the row totals of its first tables.
const TAIL_BYTES: u64 = 4 << 20;

pub(super) struct LoadBar {
    file_bytes: u64,
    read: Arc<AtomicU64>,
    /// Rows per table from the manifest, when it can be read ahead.
    expected: HashMap<TableName, u64>,
    progress: Option<Progress>,
    current: Option<(TableName, TableProgress)>,
}

impl LoadBar {
    pub(super) fn new(path: &Path, dialect: Dialect, read: Arc<AtomicU64>) -> LoadBar {
        LoadBar {
            file_bytes: std::fs::metadata(path).map_or(0, |m| m.len()),
            read,
            expected: expected_rows(path, dialect),
            progress: None,
            current: None,
        }
    }

    /// Follows one event the reader is about to hand out.
    pub(super) fn see(&mut self, file: &DataFile, event: &Event) {
        // The header has been read by the first event: the table count is known then.
        if self.progress.is_none() {
            let tables = file.known_tables().map(|n| n as u64);
            self.progress = Some(Progress::loading(self.file_bytes, tables));
        }
        match event {
            Event::CopyStart { table, .. } => self.enter(table),
            Event::Insert {
                table, sql, rows, ..
            } => {
                self.enter(table);
                if let Some((_, bar)) = &mut self.current {
                    bar.advance(*rows, sql.len() as u64);
                }
            }
            Event::CopyData(chunk) => {
                if let Some((_, bar)) = &mut self.current {
                    // COPY text escapes newlines inside values: one line is one row.
                    let rows = chunk.iter().filter(|&&b| b == b'\n').count();
                    bar.advance(rows as u64, chunk.len() as u64);
                }
            }
            Event::CopyEnd { rows } => {
                if let Some((_, bar)) = &mut self.current {
                    bar.settle(*rows);
                }
            }
            Event::Finished(_) => self.leave(),
            Event::Setting { .. } | Event::Restore { .. } => {}
        }
        if let Some(progress) = &self.progress {
            progress.read_to(self.read.load(Ordering::Relaxed));
        }
    }

    fn enter(&mut self, table: &TableName) {
        if self.current.as_ref().is_some_and(|(t, _)| t == table) {
            return;
        }
        self.leave();
        let Some(progress) = &self.progress else {
            return;
        };
        let expected = self.expected.get(table).copied().unwrap_or(0);
        let bar = progress.begin_table(&table.to_string(), expected, 0);
        self.current = Some((table.clone(), bar));
    }

    fn leave(&mut self) {
        if let Some((_, bar)) = self.current.take() {
            bar.finish_table();
        }
    }

    /// The bars go when the reader stops, whether the file ended or failed.
    pub(super) fn finish(mut self) {
        self.leave();
        if let Some(progress) = &self.progress {
            progress.finish();
        }
    }
}

/// The bars of a loader that reads ahead ([`super::datafile::Bars::Loader`]):
/// drawn from what its connections have sent to the server, not from what
/// the reader has checked, and one line per table being loaded, however
/// many load at once.
#[derive(Clone)]
pub struct LoadedBar {
    progress: Progress,
    expected: Arc<HashMap<TableName, u64>>,
    sent: Arc<AtomicU64>,
}

impl LoadedBar {
    /// None off a terminal: nothing is drawn there.
    pub fn start(path: &Path, dialect: Dialect) -> Option<LoadedBar> {
        if !std::io::stderr().is_terminal() {
            return None;
        }
        let expected = expected_rows(path, dialect);
        let tables = (!expected.is_empty()).then_some(expected.len() as u64);
        let file_bytes = std::fs::metadata(path).map_or(0, |m| m.len());
        Some(LoadedBar {
            progress: Progress::loading(file_bytes, tables),
            expected: Arc::new(expected),
            sent: Arc::new(AtomicU64::new(0)),
        })
    }

    /// A line for `table`, whose rows a connection starts loading now.
    pub fn begin(&self, table: &TableName) -> TableProgress {
        let expected = self.expected.get(table).copied().unwrap_or(0);
        self.progress.begin_table(&table.to_string(), expected, 0)
    }

    /// `bytes` of the file went to the server.
    pub fn sent(&self, bytes: u64) {
        let total = self.sent.fetch_add(bytes, Ordering::Relaxed) + bytes;
        self.progress.read_to(total);
    }

    pub fn finish(&self) {
        self.progress.finish();
    }
}

/// Clears the bars when dropped, by any way out of a load.
pub struct ClearOnDrop(pub LoadedBar);

impl Drop for ClearOnDrop {
    fn drop(&mut self) {
        self.0.finish();
    }
}

/// The manifest's row counts, read from the end of a plain file before the
/// load starts. Compressed files cannot be read from the end: their bars
/// count rows without a total, and the top line still has its ETA. Nothing
/// here is trusted: it only shapes what is drawn.
fn expected_rows(path: &Path, dialect: Dialect) -> HashMap<TableName, u64> {
    let mut out = HashMap::new();
    let Some(mut file) = crate::snapshot::compress::open_plain(path) else {
        return out;
    };
    let len = file.metadata().map_or(0, |m| m.len());
    let mut tail = Vec::new();
    if file
        .seek(SeekFrom::Start(len.saturating_sub(TAIL_BYTES)))
        .is_err()
        || file.read_to_end(&mut tail).is_err()
    {
        return out;
    }
    let mut manifest = Manifest::default();
    for line in String::from_utf8_lossy(&tail).lines() {
        if let Some(text) = line.strip_prefix(crate::snapshot::markers::PREFIX) {
            let _ = manifest.absorb(text);
        }
    }
    for entry in manifest.tables {
        if let Some(table) = TableName::parse(dialect, &entry.name) {
            out.insert(table, entry.rows);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_totals_come_from_a_plain_file_tail_only() {
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("d.sql");
        std::fs::write(
            &plain,
            "-- dbsnap:format 1\nCOPY public.t (a) FROM stdin;\n1\n\\.\n\
             -- dbsnap:manifest-table {\"name\":\"public.t\",\"rows\":1,\"checksum\":\"x\"}\n-- dbsnap:end\n",
        )
        .unwrap();
        let rows = expected_rows(&plain, Dialect::Postgres);
        let t = TableName::parse(Dialect::Postgres, "public.t").unwrap();
        assert_eq!(rows.get(&t), Some(&1));
        let gz = dir.path().join("d.sql.gz");
        std::fs::write(&gz, [0x1f, 0x8b, 0, 0, 0]).unwrap();
        assert!(expected_rows(&gz, Dialect::Postgres).is_empty());
    }
}
