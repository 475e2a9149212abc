//! Snapshot files: atomic private output, compression, the manifest that
//! makes a data snapshot self-verifying, and row checksums.

pub mod checksum;
pub mod compress;
pub mod manifest;
pub mod output;
