//! What the `-- dbsnap:` marker lines of a file have said so far. Every reader
//! of our files (schema runs, imports, checks) follows them the same way.

use std::path::Path;

use anyhow::{anyhow, bail, Result};

use super::manifest::Manifest;

#[derive(Debug, Default)]
pub struct Markers {
    /// The file is one of ours (`-- dbsnap:format`), so it must end with `-- dbsnap:end`.
    pub is_snapshot: bool,
    pub ended: bool,
    /// The current `-- dbsnap:section`, None before the first one.
    pub section: Option<String>,
    pub manifest: Manifest,
}

impl Markers {
    /// Takes one marker (the text after `-- dbsnap:`) found at `line`.
    pub fn take(&mut self, path: &Path, line: u64, text: &str) -> Result<()> {
        if self.ended {
            bail!("{}:{line}: content after the end marker", path.display());
        }
        if text.starts_with("format") {
            self.is_snapshot = true;
        } else if text == "end" {
            self.ended = true;
        } else if let Some(name) = text.strip_prefix("section ") {
            self.section = Some(name.trim().to_string());
        } else {
            self.manifest
                .absorb(text)
                .map_err(|e| anyhow!("{}:{line}: bad manifest line: {e}", path.display()))?;
        }
        Ok(())
    }

    /// A snapshot written for another engine is refused before anything is loaded.
    pub fn refuse_other_engine(
        &self,
        path: &Path,
        line: u64,
        engine: &str,
        target: &str,
    ) -> Result<()> {
        let found = &self.manifest.engine;
        if !found.is_empty() && found != engine {
            bail!("{}:{line}: this is a {found} snapshot; the target is {target}. Nothing was loaded.", path.display());
        }
        Ok(())
    }

    /// One of our files without its end marker is truncated.
    pub fn truncated(&self) -> bool {
        self.is_snapshot && !self.ended
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_sections_manifest_and_end() {
        let path = Path::new("f.sql");
        let mut m = Markers::default();
        m.take(path, 1, "format 1").unwrap();
        m.take(path, 2, "engine mysql").unwrap();
        assert!(m
            .refuse_other_engine(path, 2, "postgresql", "PostgreSQL")
            .is_err());
        m.take(path, 3, "section post-data").unwrap();
        assert_eq!(m.section.as_deref(), Some("post-data"));
        assert!(m.truncated());
        m.take(path, 9, "end").unwrap();
        assert!(!m.truncated());
        let err = m.take(path, 10, "section x").unwrap_err().to_string();
        assert_eq!(err, "f.sql:10: content after the end marker");
    }
}
