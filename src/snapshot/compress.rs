//! Compression of snapshot files: chosen by extension or flag when writing,
//! recognised by magic bytes when reading.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

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
            Compression::Gzip => Encoder::Gzip(flate2::write::GzEncoder::new(
                inner,
                flate2::Compression::new(6),
            )),
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
    Gzip(flate2::write::GzEncoder<W>),
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
    let reader: Box<dyn Read + Send> = if magic.starts_with(&[0x1f, 0x8b]) {
        // Multi-member gzip (pigz, concatenated files) is one stream.
        Box::new(flate2::bufread::MultiGzDecoder::new(raw))
    } else if magic.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Box::new(zstd::stream::read::Decoder::with_buffer(raw)?)
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
