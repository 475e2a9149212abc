//! Compression of snapshot files: chosen by extension or flag when writing,
//! recognised by magic bytes when reading.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex, OnceLock};

use anyhow::{bail, Context, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Compression {
    None,
    Gzip,
    Zstd,
}

impl Compression {
    pub fn from_extension(path: &Path) -> Compression {
        match path.extension().and_then(|e| e.to_str()) {
            Some("gz") => Compression::Gzip,
            Some("zst") => Compression::Zstd,
            _ => Compression::None,
        }
    }

    /// The compression for an output file: `flag` if given, else the
    /// extension. A compression suffix dbsnap cannot write (`.bz2`, `.xz`,
    /// ...) is refused rather than quietly producing plain text under that
    /// name, and so is a flag that contradicts the file's suffix.
    pub fn for_output(path: &Path, flag: Option<Compression>) -> Result<Compression, String> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        if let Some(ext) = ext.as_deref() {
            if UNSUPPORTED_SUFFIXES.contains(&ext) {
                return Err(format!(
                    "{}: dbsnap cannot write .{ext} files; use .gz or .zst (or no suffix for \
                     plain text)",
                    path.display()
                ));
            }
        }
        let by_name = Compression::from_extension(path);
        match flag {
            None => Ok(by_name),
            Some(flag) if by_name != Compression::None && by_name != flag => Err(format!(
                "{}: the suffix says {} but --compress says {}",
                path.display(),
                by_name.name(),
                flag.name()
            )),
            Some(flag) => Ok(flag),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Compression::None => "none",
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Compression::None => "",
            Compression::Gzip => ".gz",
            Compression::Zstd => ".zst",
        }
    }

    /// Wraps a writer; `finish` on the result completes the compressed stream.
    pub fn writer<'a, W: Write + 'a>(self, inner: W) -> Result<Encoder<'a, W>> {
        Ok(match self {
            Compression::None => Encoder::Plain(inner),
            Compression::Gzip => Encoder::Gzip(ParallelGzip::new(inner)),
            Compression::Zstd => {
                // Single-threaded: tables are compressed by parallel workers
                // already, and zstd's own threads would multiply the buffers.
                Encoder::Zstd(zstd::stream::write::Encoder::new(inner, 3)?)
            }
        })
    }
}

/// Suffixes of compression formats that dbsnap does not write.
const UNSUPPORTED_SUFFIXES: &[&str] = &[
    "bz2", "bz", "xz", "lzma", "lz", "lz4", "lzo", "z", "zip", "7z", "br", "sz", "tgz", "zstd",
    "gzip",
];

pub enum Encoder<'a, W: Write> {
    Plain(W),
    Gzip(ParallelGzip<W>),
    Zstd(zstd::stream::write::Encoder<'a, W>),
}

impl<W: Write> Encoder<'_, W> {
    pub fn finish(self) -> io::Result<W> {
        match self {
            Encoder::Plain(mut w) => {
                w.flush()?;
                Ok(w)
            }
            Encoder::Gzip(e) => e.finish(),
            Encoder::Zstd(e) => e.finish(),
        }
    }
}

impl<W: Write> Write for Encoder<'_, W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Encoder::Plain(w) => w.write(buf),
            Encoder::Gzip(e) => e.write(buf),
            Encoder::Zstd(e) => e.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Encoder::Plain(w) => w.flush(),
            Encoder::Gzip(e) => e.flush(),
            Encoder::Zstd(e) => e.flush(),
        }
    }
}

/// A reader that adds what it reads to a shared counter.
struct Counted<R> {
    inner: R,
    read: Arc<AtomicU64>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// gzip level 6, as `gzip` and `pg_dump -Z6` use by default.
const GZIP_LEVEL: u32 = 6;
/// Input bytes per gzip member. Each member starts a fresh dictionary; at
/// 1 MiB the file grows by well under 1 % against one single member.
const GZIP_BLOCK: usize = 1 << 20;
/// Members compressed or waiting per encoder before the writer waits for the
/// oldest: bounds memory (about 2 MiB each) while keeping every core busy.
const GZIP_IN_FLIGHT: usize = 4;

/// A block of input to compress into one gzip member, and where to send it.
struct GzipJob {
    data: Vec<u8>,
    done: mpsc::SyncSender<io::Result<Vec<u8>>>,
}

/// The compression threads shared by every encoder of the process, one per
/// core. They live as long as the process: an idle one only waits.
fn gzip_pool() -> &'static mpsc::Sender<GzipJob> {
    static POOL: OnceLock<mpsc::Sender<GzipJob>> = OnceLock::new();
    POOL.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<GzipJob>();
        let rx = Arc::new(Mutex::new(rx));
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
        for n in 0..threads {
            let rx = rx.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("gzip-{n}"))
                .spawn(move || loop {
                    let job = match rx.lock() {
                        Ok(rx) => rx.recv(),
                        Err(_) => return,
                    };
                    let Ok(job) = job else { return };
                    let _ = job.done.send(gzip_member(&job.data));
                });
            // Without any thread the encoder compresses inline (see `submit`).
            if spawned.is_err() {
                break;
            }
        }
        tx
    })
}

fn gzip_member(data: &[u8]) -> io::Result<Vec<u8>> {
    let mut e = flate2::write::GzEncoder::new(
        Vec::with_capacity(data.len() / 3 + 64),
        flate2::Compression::new(GZIP_LEVEL),
    );
    e.write_all(data)?;
    e.finish()
}

/// gzip written as a series of members, each compressed on the shared pool
/// while the caller goes on producing input (as pigz does): a table's COPY
/// stream keeps flowing while earlier blocks are compressed, on every core.
/// Concatenated members are one valid gzip stream (`MultiGzDecoder`, gzip -d).
pub struct ParallelGzip<W: Write> {
    inner: W,
    block: Vec<u8>,
    /// Members in file order, compressed or still being compressed.
    pending: VecDeque<mpsc::Receiver<io::Result<Vec<u8>>>>,
    members: u64,
}

impl<W: Write> ParallelGzip<W> {
    fn new(inner: W) -> ParallelGzip<W> {
        ParallelGzip {
            inner,
            block: Vec::new(),
            pending: VecDeque::new(),
            members: 0,
        }
    }

    fn submit(&mut self) -> io::Result<()> {
        let data = std::mem::take(&mut self.block);
        let (done, result) = mpsc::sync_channel(1);
        if let Err(mpsc::SendError(job)) = gzip_pool().send(GzipJob { data, done }) {
            // No pool thread could be started: compress here.
            job.done
                .send(gzip_member(&job.data))
                .map_err(|_| io::Error::other("gzip result lost"))?;
        }
        self.pending.push_back(result);
        self.members += 1;
        while self.pending.len() > GZIP_IN_FLIGHT {
            self.write_oldest()?;
        }
        Ok(())
    }

    fn write_oldest(&mut self) -> io::Result<()> {
        if let Some(result) = self.pending.pop_front() {
            let member = result
                .recv()
                .map_err(|_| io::Error::other("a gzip thread stopped"))??;
            self.inner.write_all(&member)?;
        }
        Ok(())
    }

    fn drain(&mut self) -> io::Result<()> {
        // An empty input still gives one (empty) member: a valid gzip file.
        if !self.block.is_empty() || self.members == 0 {
            self.submit()?;
        }
        while !self.pending.is_empty() {
            self.write_oldest()?;
        }
        Ok(())
    }

    fn finish(mut self) -> io::Result<W> {
        self.drain()?;
        self.inner.flush()?;
        Ok(self.inner)
    }
}

impl<W: Write> Write for ParallelGzip<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.block.capacity() == 0 {
            self.block.reserve_exact(GZIP_BLOCK);
        }
        let n = buf.len().min(GZIP_BLOCK - self.block.len());
        self.block.extend_from_slice(&buf[..n]);
        if self.block.len() == GZIP_BLOCK {
            self.submit()?;
        }
        Ok(n)
    }

    /// Ends the current member early: everything written so far reaches `inner`.
    fn flush(&mut self) -> io::Result<()> {
        if !self.block.is_empty() {
            self.submit()?;
        }
        while !self.pending.is_empty() {
            self.write_oldest()?;
        }
        self.inner.flush()
    }
}

const GZIP_MAGIC: &[u8] = &[0x1f, 0x8b];
const ZSTD_MAGIC: &[u8] = &[0x28, 0xb5, 0x2f, 0xfd];

/// Whether a file starting with `head` is gzip or zstd, by its magic bytes.
pub fn is_compressed(head: &[u8]) -> bool {
    head.starts_with(GZIP_MAGIC) || head.starts_with(ZSTD_MAGIC)
}

/// The file at `path` opened a second time, beside its reader, when that is
/// safe and useful: a regular file (a pipe's bytes are its reader's) that is
/// not compressed, so that an offset of its text is an offset in the file.
pub fn open_plain(path: &Path) -> Option<File> {
    if !std::fs::metadata(path).is_ok_and(|m| m.is_file()) {
        return None;
    }
    let mut file = File::open(path).ok()?;
    let mut magic = [0u8; 4];
    let n = file.read(&mut magic).ok()?;
    (!is_compressed(&magic[..n])).then_some(file)
}

/// Opens a possibly compressed file for reading, by its magic bytes.
pub fn open(path: &Path) -> Result<Box<dyn BufRead + Send>> {
    open_counted(path, Arc::new(AtomicU64::new(0)))
}

/// As [`open`], and `read` counts the bytes taken from the file itself
/// (before decompression): against the file's size, that is how far a
/// reader has come, whatever the compression.
pub fn open_counted(path: &Path, read: Arc<AtomicU64>) -> Result<Box<dyn BufRead + Send>> {
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut raw = BufReader::with_capacity(256 * 1024, Counted { inner: file, read });
    let magic = raw
        .fill_buf()
        .with_context(|| format!("cannot read {}", path.display()))?;
    let reader: Box<dyn Read + Send> = if magic.starts_with(GZIP_MAGIC) {
        // Multi-member gzip (pigz, concatenated files) is one stream.
        Box::new(flate2::bufread::MultiGzDecoder::new(raw))
    } else if magic.starts_with(ZSTD_MAGIC) {
        Box::new(
            zstd::stream::read::Decoder::with_buffer(raw)
                .with_context(|| format!("cannot read {}", path.display()))?,
        )
    } else if magic.is_empty() {
        bail!("{}: the file is empty", path.display());
    } else {
        return Ok(Box::new(raw));
    };
    Ok(Box::new(BufReader::with_capacity(256 * 1024, reader)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_compression_and_detects_by_content() {
        for c in [Compression::None, Compression::Gzip, Compression::Zstd] {
            let dir = tempfile::tempdir().unwrap();
            // The name says nothing: detection must use the bytes.
            let path = dir.path().join("data.bin");
            let mut w = c.writer(File::create(&path).unwrap()).unwrap();
            w.write_all(b"COPY t FROM stdin;\n1\n\\.\n").unwrap();
            w.finish().unwrap();
            let mut text = String::new();
            open(&path).unwrap().read_to_string(&mut text).unwrap();
            assert_eq!(text, "COPY t FROM stdin;\n1\n\\.\n", "{c:?}");
        }
    }

    #[test]
    fn gzip_of_several_blocks_is_one_stream_of_members() {
        // Not a multiple of the block size, and not too compressible.
        let text: Vec<u8> = (0..(3 * GZIP_BLOCK + 12345) as u64)
            .map(|i| b"ab\tcd\n0123456789"[((i * 2654435761) >> 7) as usize % 16])
            .collect();
        let mut w = Compression::Gzip.writer(Vec::new()).unwrap();
        // Odd-sized writes cross block boundaries.
        for piece in text.chunks(77_777) {
            w.write_all(piece).unwrap();
        }
        let bytes = w.finish().unwrap();
        let mut back = Vec::new();
        flate2::read::MultiGzDecoder::new(&bytes[..])
            .read_to_end(&mut back)
            .unwrap();
        assert!(back == text, "round trip differs");
        // A single-member reader stops after the first block: there are several.
        let mut first = Vec::new();
        flate2::read::GzDecoder::new(&bytes[..])
            .read_to_end(&mut first)
            .unwrap();
        assert_eq!(first.len(), GZIP_BLOCK);
    }

    #[test]
    fn gzip_of_nothing_is_a_valid_empty_file() {
        let bytes = Compression::Gzip
            .writer(Vec::new())
            .unwrap()
            .finish()
            .unwrap();
        assert_eq!(&bytes[..2], &[0x1f, 0x8b]);
        let mut back = Vec::new();
        flate2::read::MultiGzDecoder::new(&bytes[..])
            .read_to_end(&mut back)
            .unwrap();
        assert!(back.is_empty());
    }

    #[test]
    fn corrupt_gzip_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.gz");
        let mut w = Compression::Gzip.writer(Vec::new()).unwrap();
        w.write_all(&[b'x'; 10000]).unwrap();
        let mut bytes = w.finish().unwrap();
        let mid = bytes.len() / 2;
        bytes[mid] ^= 0xff;
        std::fs::write(&path, &bytes).unwrap();
        let mut out = Vec::new();
        assert!(open(&path).unwrap().read_to_end(&mut out).is_err());
    }
}

#[cfg(test)]
mod output_tests {
    use super::Compression;
    use std::path::Path;

    #[test]
    fn output_compression_from_suffix_and_flag() {
        let pick = |p: &str, f| Compression::for_output(Path::new(p), f);
        assert_eq!(pick("a.sql", None), Ok(Compression::None));
        assert_eq!(pick("a.sql.gz", None), Ok(Compression::Gzip));
        assert_eq!(pick("a.sql.zst", None), Ok(Compression::Zstd));
        assert_eq!(pick("-", Some(Compression::Zstd)), Ok(Compression::Zstd));
        assert_eq!(
            pick("a.sql", Some(Compression::Gzip)),
            Ok(Compression::Gzip)
        );
        for bad in ["out.sql.bz2", "out.sql.XZ", "out.sql.lz4", "out.zip"] {
            let e = pick(bad, None).unwrap_err();
            assert!(e.contains("cannot write"), "{bad}: {e}");
            assert!(e.starts_with(bad), "{bad}: {e}");
        }
        let e = pick("a.sql.gz", Some(Compression::Zstd)).unwrap_err();
        assert!(e.contains("suffix says gzip"), "{e}");
    }
}
