//! Snapshot files: atomic private output, compression, the manifest that
//! makes a data snapshot self-verifying, and row checksums.

pub mod checksum;
pub mod compress;
pub mod manifest;
pub mod markers;
pub mod output;
pub mod pieces;

use std::io::BufRead;
use std::path::Path;

use anyhow::{bail, Result};

use crate::config::EngineKind;

/// Which engine wrote a snapshot, from its `-- dbsnap:engine` header line.
pub fn detect_engine(path: &Path) -> Result<EngineKind> {
    let reader = compress::open(path)?;
    for (n, line) in reader.split(b'\n').take(50).enumerate() {
        // A compressed file cut in its first block fails here, before any reader.
        let line = line.map_err(|e| {
            crate::error::DamagedFile::new(path, n as u64 + 1, format!("read error: {e}"))
        })?;
        if let Some(name) = markers::engine_of_line(&line) {
            return match String::from_utf8_lossy(name).trim() {
                "postgresql" => Ok(EngineKind::Postgres),
                "mysql" => Ok(EngineKind::MySql),
                other => bail!("{}: unknown engine {other}", path.display()),
            };
        }
    }
    bail!(
        "{}: not a dbsnap snapshot (no `-- dbsnap:engine` line in its header)",
        path.display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// A compressed file cut within its first block used to fail with the
    /// decoder's words alone ("incomplete frame"), without path or line.
    #[test]
    fn a_compressed_file_cut_in_its_header_names_path_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let header = markers::header(EngineKind::Postgres, markers::FileKind::Data);
        for c in [compress::Compression::Gzip, compress::Compression::Zstd] {
            let path = dir.path().join(format!("cut.{c:?}"));
            let mut w = c.writer(Vec::new()).unwrap();
            w.write_all(header.as_bytes()).unwrap();
            let bytes = w.finish().unwrap();
            std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
            let err = detect_engine(&path).unwrap_err();
            let damaged = err
                .downcast_ref::<crate::error::DamagedFile>()
                .unwrap_or_else(|| panic!("{c:?}: {err:#}"));
            assert_eq!(damaged.path, path);
            // The line being read when the bytes ran out: within the header.
            let lines = header.lines().count() as u64;
            assert!((1..=lines).contains(&damaged.line), "{c:?}: {err:#}");
            assert!(
                damaged.message.starts_with("read error: "),
                "{c:?}: {err:#}"
            );
        }
    }
}
