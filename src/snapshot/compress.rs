//! Compression of snapshot files: chosen by extension or flag when writing,
//! recognised by magic bytes when reading.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::Path;

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

/// Opens a possibly compressed file for reading, by its magic bytes.
pub fn open(path: &Path) -> Result<Box<dyn BufRead + Send>> {
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut raw = BufReader::with_capacity(256 * 1024, file);
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
