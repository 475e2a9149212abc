//! Snapshot files: atomic, private output.

pub mod output;
