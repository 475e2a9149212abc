//! The pieces a data export is cut into, for both engines: a whole table, or
//! one range of a big one, so that several connections of the same snapshot
//! share a table. The engines say only how a range is measured and written
//! (MySQL: primary-key values; PostgreSQL: page numbers, CTID ranges). The
//! ranges of a table are appended one after the other, so the file still
//! holds each table as one block, and its manifest entry adds up their rows.

use std::sync::Arc;

use anyhow::Result;

use crate::config::EngineKind;
use crate::engine::SequenceState;
use crate::progress::{Progress, TableProgress};
use crate::snapshot::checksum::RowChecksum;
use crate::snapshot::manifest::{Manifest, SequenceEntry, TableEntry};
use crate::snapshot::markers::{self, FileKind};
use crate::snapshot::pieces::{self, Finished, Pieces, Spool, Spooler, Worker};

/// A table is cut into ranges of about this much data: small enough that two
/// connections stay busy to the end, large enough that the extra queries
/// cost nothing.
const CHUNK_BYTES: u64 = 16 * 1024 * 1024;

/// At most this many ranges per table.
const MAX_CHUNKS: u64 = 256;

/// One piece of the export: a whole table, or one range of it.
pub struct Chunk {
    /// Index into the export's table list.
    pub table: usize,
    /// `WHERE` condition of the range; None for the whole table.
    pub filter: Option<String>,
    /// This range's number and the table's count of ranges (0-based, 1 for a whole table).
    pub part: u64,
    pub parts: u64,
}

impl Chunk {
    pub fn whole(table: usize) -> Chunk {
        Chunk {
            table,
            filter: None,
            part: 0,
            parts: 1,
        }
    }

    pub fn first(&self) -> bool {
        self.part == 0
    }

    pub fn last(&self) -> bool {
        self.part + 1 == self.parts
    }
}

/// How many ranges each table is worth (below 2 it stays whole). `bytes` are
/// the catalog's estimates in file order, 0 for a table kept whole anyway;
/// `jobs` connections each take the next piece when they are free.
///
/// A table is cut only when, kept whole, it would keep its connection busy
/// past the point where all of them could finish together (with a tenth of
/// slack): two connections reading one table cost the server more than each
/// reading a table of its own. MariaDB, shop data at 3M rows (no table above
/// a third of the bytes), `--jobs 2`: cut in 16 MiB ranges, server CPU
/// 3.2-4.0 s and wall 3.2-3.9 s; whole tables, 2.6-2.8 s and 2.5-2.9 s.
pub fn wanted(bytes: &[u64], jobs: usize) -> Vec<u64> {
    let jobs = jobs.max(1);
    let total: u64 = bytes.iter().sum();
    let fair = total / jobs as u64;
    let limit = fair + fair / 10;
    let size = chunk_bytes();
    // When each connection is next free, counted in bytes read.
    let mut free = vec![0u64; jobs];
    let earliest = |free: &[u64]| (0..free.len()).min_by_key(|&i| free[i]).unwrap_or(0);
    bytes
        .iter()
        .map(|&b| {
            let ranges = (b / size).min(MAX_CHUNKS);
            let first = earliest(&free);
            if jobs > 1 && ranges >= 2 && free[first] + b > limit {
                for _ in 0..ranges {
                    let next = earliest(&free);
                    free[next] += b / ranges;
                }
                ranges
            } else {
                free[first] += b;
                0
            }
        })
        .collect()
}

/// [`wanted`] for `tables`, where `whole(i)` keeps a table in one piece.
pub fn cuts<T: ExportTable>(tables: &[T], jobs: usize, whole: impl Fn(usize) -> bool) -> Vec<u64> {
    let bytes: Vec<u64> = (0..tables.len())
        .map(|i| if whole(i) { 0 } else { tables[i].estimate().1 })
        .collect();
    wanted(&bytes, jobs)
}

/// The cut size. The tests lower it through DBSNAP_TEST_CHUNK_BYTES to cut
/// small tables; it is no user setting.
fn chunk_bytes() -> u64 {
    std::env::var("DBSNAP_TEST_CHUNK_BYTES")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&v| v > 0)
        .unwrap_or(CHUNK_BYTES)
}

/// Adds table `index` to `chunks`: one chunk per range condition, or the
/// whole table when there are none.
pub fn push_table(chunks: &mut Vec<Chunk>, index: usize, ranges: Vec<String>) {
    if ranges.is_empty() {
        chunks.push(Chunk::whole(index));
        return;
    }
    let parts = ranges.len() as u64;
    for (part, filter) in ranges.into_iter().enumerate() {
        chunks.push(Chunk {
            table: index,
            filter: Some(filter),
            part: part as u64,
            parts,
        });
    }
}

/// Boundaries cutting `start..end` into at most `wanted` ranges of equal
/// width: `start`, ..., `end`, strictly increasing.
pub fn splits(start: i128, end: i128, wanted: u64) -> Vec<i128> {
    let width = end - start;
    let n = (wanted as i128).clamp(1, width.max(1));
    let mut out: Vec<i128> = (0..n).map(|k| start + width * k / n).collect();
    out.push(end);
    out.dedup();
    out
}

/// The range conditions for `bounds` (from [`splits`]) that together cover
/// every row exactly once: the first range is open below and the last open
/// above, so a value outside the measured span (a row added since) still
/// falls in one of them. Fewer than two ranges: none (the table stays whole).
pub fn conditions(
    bounds: &[i128],
    at_least: impl Fn(i128) -> String,
    below: impl Fn(i128) -> String,
) -> Vec<String> {
    if bounds.len() < 3 {
        return Vec::new();
    }
    let last = bounds.len() - 2;
    bounds
        .windows(2)
        .enumerate()
        .map(|(i, w)| match (i == 0, i == last) {
            (true, _) => below(w[1]),
            (_, true) => at_least(w[0]),
            _ => format!("{} AND {}", at_least(w[0]), below(w[1])),
        })
        .collect()
}

/// What the shared export loop asks of an engine's table.
pub trait ExportTable: Send + Sync + 'static {
    /// The quoted name the file and the manifest use.
    fn quoted(&self) -> String;
    /// The catalog's estimates of rows and bytes, for progress.
    fn estimate(&self) -> (u64, u64);
}

/// One chunk handed to a worker: the table, the range, whether its rows are
/// left out, where the piece goes, and its progress line.
pub struct Job<T> {
    tables: Arc<Vec<T>>,
    chunks: Arc<Vec<Chunk>>,
    index: usize,
    pub skip: bool,
    spooler: Spooler,
    pub line: TableProgress,
}

impl<T> Job<T> {
    /// Where this piece's bytes go.
    pub fn spool(&self) -> Result<Spool> {
        self.spooler.spool(self.index)
    }

    /// The table, its range, and the progress line to advance as rows go out.
    pub fn parts(&mut self) -> (&T, &Chunk, &mut TableProgress) {
        let chunk = &self.chunks[self.index];
        (&self.tables[chunk.table], chunk, &mut self.line)
    }
}

/// The data file's first piece: the engine's comment, the markers naming
/// the file, the tables whose rows are left out (`skipped`) and all its
/// tables, and the engine's session settings.
pub fn header<T: ExportTable>(
    engine: EngineKind,
    comment: &str,
    settings: &str,
    tables: &[T],
    skipped: &[bool],
) -> Result<String> {
    let names: Vec<String> = tables.iter().map(T::quoted).collect();
    let left_out: Vec<&String> = names
        .iter()
        .zip(skipped)
        .filter_map(|(name, skip)| skip.then_some(name))
        .collect();
    let left_out = match left_out.is_empty() {
        true => String::new(),
        false => markers::rows_left_out_line(&serde_json::to_string(&left_out)?),
    };
    Ok(format!(
        "{comment}{}{left_out}{}{settings}",
        markers::header(engine, FileKind::Data),
        markers::tables_line(&serde_json::to_string(&names)?)
    ))
}

/// The export loop both engines share: `chunks` (in file order) are read by
/// `workers` in parallel through `piece`, appended to `pieces` in order, and
/// summed into the manifest's table entries. The workers come back as tasks
/// so that the engine can take a connection back for its trailer.
pub async fn export<W, T, F, Fut>(
    pieces: &mut Pieces,
    engine: EngineKind,
    workers: Vec<W>,
    tables: Vec<T>,
    chunks: Vec<Chunk>,
    skipped: Vec<bool>,
    piece: F,
) -> Result<(Manifest, Vec<Worker<W>>)>
where
    W: Send + 'static,
    T: ExportTable,
    F: Fn(W, Job<T>) -> Fut + Clone + Send + Sync + 'static,
    Fut: std::future::Future<Output = (W, Result<(Finished, RowChecksum)>)> + Send,
{
    let what = if chunks.len() == tables.len() {
        "tables"
    } else {
        "table pieces"
    };
    let count = chunks.len();
    let progress = Progress::new(count as u64, what);
    let (tables, chunks, skipped) = (Arc::new(tables), Arc::new(chunks), Arc::new(skipped));
    let (spooler, list, plan, bars) = (
        pieces.spooler(),
        tables.clone(),
        chunks.clone(),
        progress.clone(),
    );
    let (tasks, rx) = pieces::spawn_workers(workers, count, move |worker: W, index| {
        let table = plan[index].table;
        let skip = skipped[table];
        let line = begin_line(
            &bars,
            &list[table].quoted(),
            list[table].estimate(),
            &plan[index],
            skip,
        );
        let job = Job {
            tables: list.clone(),
            chunks: plan.clone(),
            index,
            skip,
            spooler: spooler.clone(),
            line,
        };
        piece(worker, job)
    });

    let mut sums = TableSums::default();
    pieces::append_in_order(pieces, rx, count, |index, sum: RowChecksum, _bytes| {
        let chunk = &chunks[index];
        sums.add(chunk, || tables[chunk.table].quoted(), &sum);
        Ok(())
    })
    .await?;
    progress.finish();
    let manifest = Manifest {
        engine: Some(engine),
        tables: sums.entries,
        ..Manifest::default()
    };
    Ok((manifest, tasks))
}

/// The data file's last piece: `head`, the statements that restore the
/// counters read in the snapshot, and the manifest, which records them too.
pub fn trailer(
    manifest: &mut Manifest,
    head: &str,
    restore: &[String],
    states: Vec<SequenceState>,
) -> String {
    let mut trailer = head.to_string();
    for statement in restore {
        trailer += statement;
        trailer.push('\n');
    }
    manifest
        .sequences
        .extend(states.into_iter().map(|state| SequenceEntry {
            name: state.name,
            value: state.value,
            is_called: state.is_called,
        }));
    trailer += "\n";
    trailer += &manifest.render();
    trailer
}

/// The progress line of one chunk: its table's name (with the range's number
/// when cut) and its share of the table's estimated rows and bytes.
fn begin_line(
    bars: &Progress,
    name: &str,
    estimate: (u64, u64),
    chunk: &Chunk,
    skip: bool,
) -> TableProgress {
    let (rows, bytes) = if skip {
        (0, 0)
    } else {
        (estimate.0 / chunk.parts, estimate.1 / chunk.parts)
    };
    let label = if chunk.parts > 1 {
        format!("{name} {}/{}", chunk.part + 1, chunk.parts)
    } else {
        name.to_string()
    };
    bars.begin_table(&label, rows, bytes)
}

/// The manifest's table entries, gathered as the chunks are appended in
/// order: a table's entry is made when its last chunk is in.
#[derive(Default)]
struct TableSums {
    sum: RowChecksum,
    entries: Vec<TableEntry>,
}

impl TableSums {
    fn add(&mut self, chunk: &Chunk, name: impl FnOnce() -> String, sum: &RowChecksum) {
        self.sum.merge(sum);
        if chunk.last() {
            let sum = std::mem::take(&mut self.sum);
            self.entries.push(TableEntry {
                name: name(),
                rows: sum.rows(),
                checksum: sum.hex(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_table_that_would_finish_last_is_cut() {
        const MIB: u64 = 1024 * 1024;
        // No table above its share: every one is read whole.
        assert_eq!(
            wanted(&[138 * MIB, 163 * MIB, 128 * MIB, 9 * MIB, 70 * MIB], 2),
            [0, 0, 0, 0, 0]
        );
        // One table with 80 % of the bytes is cut in 16 MiB ranges.
        assert_eq!(wanted(&[10 * MIB, 320 * MIB, 30 * MIB], 2), [0, 20, 0]);
        // A table below half the bytes, but last: kept whole, its connection
        // would go on alone long after the other is done.
        assert_eq!(
            wanted(&[60 * MIB, 60 * MIB, 60 * MIB, 160 * MIB], 2),
            [0, 0, 0, 10]
        );
        // One connection, or tables too small to cut: nothing is cut.
        assert_eq!(wanted(&[10 * MIB, 320 * MIB], 1), [0, 0]);
        assert_eq!(wanted(&[MIB, 20 * MIB], 2), [0, 0]);
    }

    #[test]
    fn ranges_cover_the_span_once() {
        assert_eq!(splits(0, 100, 4), [0, 25, 50, 75, 100]);
        assert_eq!(splits(1, 101, 4), [1, 26, 51, 76, 101]);
        assert_eq!(splits(5, 7, 4), [5, 6, 7]);
        assert_eq!(splits(7, 8, 3), [7, 8]);
        assert_eq!(splits(0, 0, 3), [0]);
        // The whole BIGINT UNSIGNED span, and negative keys.
        let wide = splits(0, u64::MAX as i128 + 1, 3);
        assert_eq!(wide.len(), 4);
        assert_eq!(splits(i64::MIN as i128, 0, 2)[1], i64::MIN as i128 / 2);
        for (start, end, n) in [(1, 1001, 7), (-50, 51, 3), (0, 10, 20), (0, 21_000, 256)] {
            let s = splits(start, end, n);
            assert!(s.windows(2).all(|w| w[0] < w[1]), "{s:?}");
            assert_eq!((s[0], *s.last().unwrap()), (start, end));
            assert!(s.len() as u64 <= n + 1);
        }
    }

    #[test]
    fn conditions_are_open_at_both_ends() {
        let ge = |v: i128| format!("k >= {v}");
        let lt = |v: i128| format!("k < {v}");
        assert_eq!(
            conditions(&[0, 10, 20, 30], ge, lt),
            ["k < 10", "k >= 10 AND k < 20", "k >= 20"]
        );
        assert_eq!(conditions(&[0, 10, 20], ge, lt), ["k < 10", "k >= 10"]);
        assert!(conditions(&[0, 10], ge, lt).is_empty());
    }
}
