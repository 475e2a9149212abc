//! A data snapshot assembled from pieces, so that tables can be read (and
//! compressed) by several workers at once and still appear in order.
//!
//! Each piece is compressed on its own (a gzip member, a zstd frame) and the
//! pieces are appended to the output one after the other: concatenated gzip
//! members and zstd frames are each a valid single stream. Workers write their
//! pieces to temporary files beside the output, so memory stays bounded
//! whatever the table sizes; a semaphore bounds how far they run ahead.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufWriter, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result};
use tokio::sync::{mpsc, OwnedSemaphorePermit, Semaphore};

use super::compress::{Compression, Encoder};

/// Where pieces go: the output, and how to make spools for it.
pub struct Pieces<'a> {
    out: &'a mut dyn Write,
    spooler: Spooler,
}

/// Makes spool files; cheap to clone into worker tasks.
#[derive(Clone)]
pub struct Spooler {
    dir: PathBuf,
    compression: Compression,
}

/// One piece being written by a worker.
pub struct Spool {
    encoder: Encoder<'static, BufWriter<File>>,
    path: tempfile::TempPath,
    registered: crate::cleanup::Registration,
}

/// A finished piece, ready to be appended.
pub struct Finished {
    file: File,
    _path: tempfile::TempPath,
    _registered: crate::cleanup::Registration,
}

/// What a worker hands to `append_in_order`.
pub struct Done<R> {
    pub index: usize,
    pub piece: Finished,
    pub result: R,
    /// Released once the piece is appended, letting another piece start.
    pub permit: OwnedSemaphorePermit,
}

impl<'a> Pieces<'a> {
    /// `dir` holds the spools: the output's directory, so that they are on the
    /// same file system and never in memory.
    pub fn new(out: &'a mut dyn Write, compression: Compression, dir: &Path) -> Pieces<'a> {
        Pieces {
            out,
            spooler: Spooler {
                dir: dir.to_path_buf(),
                compression,
            },
        }
    }

    pub fn spooler(&self) -> Spooler {
        self.spooler.clone()
    }

    /// Writes a small piece (header, trailer) directly.
    pub fn write(&mut self, text: &[u8]) -> Result<()> {
        let mut encoder = self.spooler.compression.writer(Vec::new())?;
        encoder.write_all(text)?;
        let bytes = encoder.finish()?;
        self.out.write_all(&bytes)?;
        Ok(())
    }

    /// Appends a finished piece.
    pub fn append(&mut self, mut piece: Finished) -> Result<u64> {
        piece.file.rewind()?;
        let copied = io::copy(&mut piece.file, &mut self.out)
            .context("appending a table to the snapshot")?;
        Ok(copied)
    }
}

impl Spooler {
    pub fn spool(&self) -> Result<Spool> {
        let temp = tempfile::Builder::new()
            .prefix(&crate::cleanup::temp_prefix("piece-"))
            .suffix(".tmp")
            .tempfile_in(&self.dir)
            .with_context(|| format!("cannot create a temporary file in {}", self.dir.display()))?;
        let (file, path) = temp.into_parts();
        let encoder = self
            .compression
            .writer(BufWriter::with_capacity(1024 * 1024, file))?;
        let registered = crate::cleanup::file(&path);
        Ok(Spool {
            encoder,
            path,
            registered,
        })
    }
}

impl Spool {
    pub fn finish(self) -> Result<Finished> {
        let path = self.path;
        let file = self
            .encoder
            .finish()
            .and_then(|w| w.into_inner().map_err(|e| e.into_error()))
            .map_err(|e| spool_error(e, &path))?;
        Ok(Finished {
            file,
            _path: path,
            _registered: self.registered,
        })
    }
}

/// A full disk must name where it was being written.
fn spool_error(err: io::Error, path: &Path) -> io::Error {
    io::Error::new(
        err.kind(),
        format!("cannot write the temporary file {}: {err}", path.display()),
    )
}

impl Write for Spool {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let result = self.encoder.write(buf);
        result.map_err(|e| spool_error(e, &self.path))
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        let result = self.encoder.write_all(buf);
        result.map_err(|e| spool_error(e, &self.path))
    }

    fn flush(&mut self) -> io::Result<()> {
        let result = self.encoder.flush();
        result.map_err(|e| spool_error(e, &self.path))
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
    pieces: &mut Pieces<'_>,
    mut finished: mpsc::Receiver<Result<Done<R>>>,
    count: usize,
    mut each: impl FnMut(usize, R, u64) -> Result<()>,
) -> Result<()> {
    let mut waiting: BTreeMap<usize, Done<R>> = BTreeMap::new();
    let mut next = 0;
    while next < count {
        if let Some(done) = waiting.remove(&next) {
            let bytes = pieces.append(done.piece)?;
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

    #[tokio::test]
    async fn pieces_arrive_in_order_and_decompress_as_one_stream() {
        for compression in [Compression::None, Compression::Gzip, Compression::Zstd] {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("out");
            let mut file = File::create(&path).unwrap();
            let mut pieces = Pieces::new(&mut file, compression, dir.path());
            pieces.write(b"head\n").unwrap();
            let spooler = pieces.spooler();
            let permits = Arc::new(Semaphore::new(4));
            let (tx, rx) = mpsc::channel(4);
            // Finish the pieces out of order.
            for index in [2usize, 0, 1] {
                let mut spool = spooler.spool().unwrap();
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
            drop(file);
            assert_eq!(seen, [(0, 0), (1, 10), (2, 20)]);
            let mut text = String::new();
            crate::snapshot::compress::open(&path)
                .unwrap()
                .read_to_string(&mut text)
                .unwrap();
            assert_eq!(
                text, "head\npiece 0\npiece 1\npiece 2\ntail\n",
                "{compression:?}"
            );
            // Only the output is left: spools are removed once appended.
            assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        }
    }
}
