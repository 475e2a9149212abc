//! The manifest of a data snapshot: what each table and sequence held.
//!
//! It is written as `-- dbsnap:` comment lines at the end of the file, before
//! the end marker, so that `psql` and `mysql` ignore it and a reader sees a
//! truncated file as one without an end marker.

use serde::{Deserialize, Serialize};

use super::markers::PREFIX;
use crate::config::EngineKind;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableEntry {
    pub name: String,
    pub rows: u64,
    pub checksum: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SequenceEntry {
    pub name: String,
    pub value: i128,
    pub is_called: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Manifest {
    /// None until the file's `-- dbsnap:engine` line has been read.
    pub engine: Option<EngineKind>,
    pub tables: Vec<TableEntry>,
    pub sequences: Vec<SequenceEntry>,
}

pub const TABLE: &str = "manifest-table ";
pub const SEQUENCE: &str = "manifest-sequence ";

impl Manifest {
    /// The comment lines, ending with the end marker.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for t in &self.tables {
            out += &format!(
                "{PREFIX}{TABLE}{}\n",
                serde_json::to_string(t).expect("plain struct")
            );
        }
        for s in &self.sequences {
            out += &format!(
                "{PREFIX}{SEQUENCE}{}\n",
                serde_json::to_string(s).expect("plain struct")
            );
        }
        out += &super::markers::end_line();
        out
    }

    /// Takes one marker's text (after `-- dbsnap:`); false if it is not a manifest line.
    pub fn absorb(&mut self, marker: &str) -> Result<bool, serde_json::Error> {
        if let Some(json) = marker.strip_prefix(TABLE) {
            self.tables.push(serde_json::from_str(json)?);
        } else if let Some(json) = marker.strip_prefix(SEQUENCE) {
            self.sequences.push(serde_json::from_str(json)?);
        } else if let Some(engine) = marker.strip_prefix(super::markers::ENGINE) {
            self.engine = Some(EngineKind::from_marker(engine).ok_or_else(|| {
                <serde_json::Error as serde::de::Error>::custom(format!(
                    "unknown engine {:?}",
                    engine.trim()
                ))
            })?);
        } else {
            return Ok(false);
        }
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_and_reads_back() {
        let m = Manifest {
            engine: None,
            tables: vec![TableEntry {
                name: "public.\"we\"\"ird\"\n".into(),
                rows: 3,
                checksum: "xxh3:00".into(),
            }],
            sequences: vec![SequenceEntry {
                name: "public.s".into(),
                value: -5,
                is_called: false,
            }],
        };
        let mut back = Manifest::default();
        for line in m.render().lines() {
            let marker = line.strip_prefix("-- dbsnap:").unwrap();
            if marker != "end" {
                assert!(back.absorb(marker).unwrap());
            }
        }
        assert_eq!(back, m);
        // Names with newlines stay on one line.
        assert_eq!(m.render().lines().count(), 3);
    }
}
