//! A data snapshot assembled from pieces, so that tables can be read (and
//! compressed) by several workers at once and still appear in order.
//!
//! Each piece is compressed on its own (a gzip member, a zstd frame) and the
//! pieces are appended to the output one after the other: concatenated gzip
//! members and zstd frames are each a valid single stream. The piece the
//! output is waiting for (the head) writes straight into it; the others go to
//! temporary files beside the output, so memory stays bounded whatever the
//! table sizes, and a piece whose turn comes while it is still being written
//! moves what it has spooled into the output and goes on there. Most bytes
//! are so written once, not spooled and copied (at 12M rows, gigabytes of
//! page cache). A semaphore bounds how far the workers run ahead.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufWriter, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use anyhow::{Context, Result};
use tokio::sync::{mpsc, OwnedSemaphorePermit, Semaphore};

use super::compress::{Compression, Encoder};

/// The output, shared by the appender and the head piece's worker.
type Out = Arc<Mutex<dyn Write + Send>>;

/// Holds a writer for [`Pieces`] and gives it back when the snapshot is
/// written, even while a stopped worker task still holds a handle.
pub struct Slot<W>(Option<W>);

impl<W: Write + Send + 'static> Slot<W> {
    pub fn share(writer: W) -> Arc<Mutex<Slot<W>>> {
        Arc::new(Mutex::new(Slot(Some(writer))))
    }

    /// The writer, once nothing more is written to it.
    pub fn take(slot: &Mutex<Slot<W>>) -> Option<W> {
        slot.lock().ok()?.0.take()
    }
}

impl<W: Write> Write for Slot<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.writer()?.write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.writer()?.write_all(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.writer()?.flush()
    }
}

impl<W> Slot<W> {
    fn writer(&mut self) -> io::Result<&mut W> {
        self.0
            .as_mut()
            .ok_or_else(|| io::Error::other("the snapshot was already closed"))
    }
}

/// Where pieces go: the output, and how to make spools for it.
pub struct Pieces {
    spooler: Spooler,
}

/// Makes spools for pieces; cheap to clone into worker tasks.
#[derive(Clone)]
pub struct Spooler {
    dir: PathBuf,
    compression: Compression,
    out: Out,
    /// The index of the piece the output waits for. It changes only while
    /// `out` is locked, so a piece that sees itself here under the lock owns
    /// the output until it is finished.
    head: Arc<AtomicUsize>,
}

/// One piece being written by a worker.
pub struct Spool {
    encoder: Encoder<'static, BufWriter<Place>>,
}

/// Where a piece's bytes are going: its spool file until it is the head,
/// then the output itself.
struct Place {
    index: usize,
    out: Out,
    head: Arc<AtomicUsize>,
    /// None once the piece writes to the output.
    file: Option<SpoolFile>,
    /// Bytes written, wherever they went.
    bytes: u64,
}

struct SpoolFile {
    file: File,
    path: tempfile::TempPath,
    _registered: crate::cleanup::Registration,
}

/// A finished piece.
pub struct Finished {
    /// The spool still to append, or None when the piece is in the output.
    spooled: Option<SpoolFile>,
    bytes: u64,
}

/// What a worker hands to `append_in_order`.
pub struct Done<R> {
    pub index: usize,
    pub piece: Finished,
    pub result: R,
    /// Released once the piece is appended, letting another piece start.
    pub permit: OwnedSemaphorePermit,
}

impl Pieces {
    /// `dir` holds the spools: the output's directory, so that they are on the
    /// same file system and never in memory.
    pub fn new<W: Write + Send + 'static>(
        out: &Arc<Mutex<Slot<W>>>,
        compression: Compression,
        dir: &Path,
    ) -> Pieces {
        let out: Out = out.clone();
        Pieces {
            spooler: Spooler {
                dir: dir.to_path_buf(),
                compression,
                out,
                head: Arc::new(AtomicUsize::new(0)),
            },
        }
    }

    pub fn spooler(&self) -> Spooler {
        self.spooler.clone()
    }

    /// Writes a small piece (header, trailer) directly, outside the pieces'
    /// turns: before the first is made, or after the last is appended.
    pub fn write(&mut self, text: &[u8]) -> Result<()> {
        let mut encoder = self.spooler.compression.writer(Vec::new())?;
        encoder.write_all(text)?;
        let bytes = encoder.finish()?;
        lock(&self.spooler.out)?.write_all(&bytes)?;
        Ok(())
    }

    /// Appends finished piece `index` (whatever it left in its spool) and
    /// hands the output to the next piece; returns the piece's bytes.
    fn append(&mut self, index: usize, piece: Finished) -> Result<u64> {
        let mut out = lock(&self.spooler.out)?;
        if let Some(mut spooled) = piece.spooled {
            spooled.copy_to(&mut *out)?;
        }
        self.spooler.head.store(index + 1, Ordering::SeqCst);
        Ok(piece.bytes)
    }
}

fn lock(out: &Out) -> io::Result<MutexGuard<'_, dyn Write + Send + 'static>> {
    out.lock()
        .map_err(|_| io::Error::other("a worker failed while writing the snapshot"))
}

impl SpoolFile {
    fn copy_to(&mut self, out: &mut dyn Write) -> Result<u64> {
        self.file.rewind()?;
        let copied = io::copy(&mut self.file, out).context("appending a table to the snapshot")?;
        Ok(copied)
    }
}

impl Spooler {
    /// The spool of piece `index` (counted from 0 in file order).
    pub fn spool(&self, index: usize) -> Result<Spool> {
        let temp = tempfile::Builder::new()
            .prefix(&crate::cleanup::temp_prefix("piece-"))
            .suffix(".tmp")
            .tempfile_in(&self.dir)
            .with_context(|| format!("cannot create a temporary file in {}", self.dir.display()))?;
        let (file, path) = temp.into_parts();
        let registered = crate::cleanup::file(&path);
        let place = Place {
            index,
            out: self.out.clone(),
            head: self.head.clone(),
            file: Some(SpoolFile {
                file,
                path,
                _registered: registered,
            }),
            bytes: 0,
        };
        let encoder = self
            .compression
            .writer(BufWriter::with_capacity(1024 * 1024, place))?;
        Ok(Spool { encoder })
    }
}

impl Spool {
    pub fn finish(self) -> Result<Finished> {
        let place = self
            .encoder
            .finish()
            .and_then(|w| w.into_inner().map_err(|e| e.into_error()))?;
        Ok(Finished {
            spooled: place.file,
            bytes: place.bytes,
        })
    }
}

impl Place {
    /// Writes `buf` to the output when this piece is the head (moving what
    /// it spooled there first), else to the spool.
    fn put(&mut self, buf: &[u8]) -> io::Result<()> {
        if let Some(spool) = &mut self.file {
            if self.head.load(Ordering::SeqCst) != self.index {
                return spool
                    .file
                    .write_all(buf)
                    .map_err(|e| spool_error(e, &spool.path));
            }
            let mut out = lock(&self.out)?;
            spool
                .copy_to(&mut *out)
                .map_err(|e| io::Error::other(format!("{e:#}")))?;
            out.write_all(buf)?;
            self.file = None;
            return Ok(());
        }
        lock(&self.out)?.write_all(buf)
    }
}

/// A full disk must name where it was being written.
fn spool_error(err: io::Error, path: &Path) -> io::Error {
    io::Error::new(
        err.kind(),
        format!("cannot write the temporary file {}: {err}", path.display()),
    )
}

impl Write for Place {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_all(buf)?;
        Ok(buf.len())
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.put(buf)?;
        self.bytes += buf.len() as u64;
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Write for Spool {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.encoder.write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.encoder.write_all(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.encoder.flush()
    }
}

/// Stops a worker task when the snapshot ends early (an error elsewhere).
pub struct Worker<W>(tokio::task::JoinHandle<Option<W>>);

impl<W> Worker<W> {
    /// The worker's connection back, once it has run out of pieces.
    pub async fn finish(mut self) -> Option<W> {
        (&mut self.0).await.ok().flatten()
    }
}

impl<W> Drop for Worker<W> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Runs `make(worker, index)` for pieces 0..count on every worker (a
/// connection each) until none are left, and returns the tasks and the queue
/// of finished pieces for `append_in_order`. At most two pieces per worker are
/// in flight, so spool files never pile up far ahead of the output.
pub fn spawn_workers<W, R, F, Fut>(
    workers: Vec<W>,
    count: usize,
    make: F,
) -> (Vec<Worker<W>>, mpsc::Receiver<Result<Done<R>>>)
where
    W: Send + 'static,
    R: Send + 'static,
    F: Fn(W, usize) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = (W, Result<(Finished, R)>)> + Send,
{
    let permits = Arc::new(Semaphore::new(workers.len() * 2));
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let (tx, rx) = mpsc::channel(workers.len() * 2);
    let tasks = workers
        .into_iter()
        .map(|mut worker| {
            let (permits, next, tx, make) =
                (permits.clone(), next.clone(), tx.clone(), make.clone());
            Worker(tokio::spawn(async move {
                loop {
                    // The permit comes before the index, so the lowest unfinished
                    // piece always has one and the writer never waits forever.
                    let permit = permits.clone().acquire_owned().await.ok()?;
                    let index = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    if index >= count {
                        return Some(worker);
                    }
                    let (back, made) = make(worker, index).await;
                    worker = back;
                    let done = made.map(|(piece, result)| Done {
                        index,
                        piece,
                        result,
                        permit,
                    });
                    tx.send(done).await.ok()?;
                }
            }))
        })
        .collect();
    (tasks, rx)
}

/// Appends pieces 0..count in order as workers finish them; `each` sees every
/// piece's result in order. A worker's error ends the whole snapshot.
pub async fn append_in_order<R>(
    pieces: &mut Pieces,
    mut finished: mpsc::Receiver<Result<Done<R>>>,
    count: usize,
    mut each: impl FnMut(usize, R, u64) -> Result<()>,
) -> Result<()> {
    let mut waiting: BTreeMap<usize, Done<R>> = BTreeMap::new();
    let mut next = 0;
    while next < count {
        if let Some(done) = waiting.remove(&next) {
            let bytes = pieces.append(next, done.piece)?;
            drop(done.permit);
            each(next, done.result, bytes)?;
            next += 1;
            continue;
        }
        match finished.recv().await {
            Some(Ok(done)) => {
                waiting.insert(done.index, done);
            }
            Some(Err(err)) => return Err(err),
            None => anyhow::bail!("a worker stopped before the snapshot was complete"),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn text_of(path: &Path) -> String {
        let mut text = String::new();
        crate::snapshot::compress::open(path)
            .unwrap()
            .read_to_string(&mut text)
            .unwrap();
        text
    }

    /// An output in a new directory, and its pieces with "head" written.
    fn started(
        compression: Compression,
    ) -> (tempfile::TempDir, PathBuf, Arc<Mutex<Slot<File>>>, Pieces) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out");
        let out = Slot::share(File::create(&path).unwrap());
        let mut pieces = Pieces::new(&out, compression, dir.path());
        pieces.write(b"head\n").unwrap();
        (dir, path, out, pieces)
    }

    fn files_in(dir: &Path) -> usize {
        std::fs::read_dir(dir).unwrap().count()
    }

    #[tokio::test]
    async fn pieces_arrive_in_order_and_decompress_as_one_stream() {
        for compression in [Compression::None, Compression::Gzip, Compression::Zstd] {
            let (dir, path, out, mut pieces) = started(compression);
            let spooler = pieces.spooler();
            let permits = Arc::new(Semaphore::new(4));
            let (tx, rx) = mpsc::channel(4);
            // Finish the pieces out of order.
            for index in [2usize, 0, 1] {
                let mut spool = spooler.spool(index).unwrap();
                writeln!(spool, "piece {index}").unwrap();
                let permit = permits.clone().acquire_owned().await.unwrap();
                let done = Done {
                    index,
                    piece: spool.finish().unwrap(),
                    result: index * 10,
                    permit,
                };
                tx.send(Ok(done)).await.unwrap();
            }
            let mut seen = Vec::new();
            append_in_order(&mut pieces, rx, 3, |i, r, _| {
                seen.push((i, r));
                Ok(())
            })
            .await
            .unwrap();
            pieces.write(b"tail\n").unwrap();
            drop(Slot::take(&out).unwrap());
            assert_eq!(seen, [(0, 0), (1, 10), (2, 20)]);
            assert_eq!(
                text_of(&path),
                "head\npiece 0\npiece 1\npiece 2\ntail\n",
                "{compression:?}"
            );
            // Only the output is left: spools are removed once appended.
            assert_eq!(files_in(dir.path()), 1);
        }
    }

    #[test]
    fn the_head_piece_writes_into_the_output() {
        for compression in [Compression::None, Compression::Gzip, Compression::Zstd] {
            let (dir, path, out, mut pieces) = started(compression);
            let spooler = pieces.spooler();
            let (mut p0, mut p1, mut p2) = (
                spooler.spool(0).unwrap(),
                spooler.spool(1).unwrap(),
                spooler.spool(2).unwrap(),
            );
            // Piece 1 spools while piece 0 has the output.
            writeln!(p1, "piece 1a").unwrap();
            p1.flush().unwrap();
            writeln!(p0, "piece 0").unwrap();
            writeln!(p2, "piece 2").unwrap();
            let (f0, f2) = (p0.finish().unwrap(), p2.finish().unwrap());
            assert!(f0.spooled.is_none(), "the head was spooled");
            assert!(
                f2.spooled.is_some(),
                "a piece ahead of its turn was not spooled"
            );
            assert_eq!(files_in(dir.path()), 3, "{compression:?}");
            pieces.append(0, f0).unwrap();
            // Its turn come, piece 1 moves what it spooled into the output
            // and goes on there.
            writeln!(p1, "piece 1b").unwrap();
            p1.flush().unwrap();
            assert_eq!(files_in(dir.path()), 2, "{compression:?}");
            let f1 = p1.finish().unwrap();
            assert!(f1.spooled.is_none());
            pieces.append(1, f1).unwrap();
            pieces.append(2, f2).unwrap();
            pieces.write(b"tail\n").unwrap();
            drop(Slot::take(&out).unwrap());
            assert_eq!(
                text_of(&path),
                "head\npiece 0\npiece 1a\npiece 1b\npiece 2\ntail\n",
                "{compression:?}"
            );
            assert_eq!(files_in(dir.path()), 1);
            // A handle left behind writes nowhere once the output is taken.
            assert!(pieces.write(b"late\n").is_err());
        }
    }
}
