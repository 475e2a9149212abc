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
    for line in reader.split(b'\n').take(50) {
        let line = line?;
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
