//! Checking an input file before connecting, with the reason it cannot be used.

use std::path::Path;

use anyhow::{bail, Context, Result};

/// `path` must be a non-empty regular file; `what` names it ("schema file").
pub fn check_file(path: &Path, what: &str) -> Result<()> {
    let shown = path.display();
    let meta = match std::fs::metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            bail!("{what} {shown} does not exist")
        }
        Err(e) => return Err(e).with_context(|| format!("cannot read {what} {shown}")),
    };
    if meta.is_dir() {
        bail!("{what} {shown} is a directory");
    }
    if path
        .canonicalize()
        .is_ok_and(|p| p == Path::new("/dev/null"))
    {
        bail!("{what} {shown} is empty");
    }
    if !meta.is_file() {
        bail!("{what} {shown} is not a regular file");
    }
    if meta.len() == 0 {
        bail!("{what} {shown} is empty");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn says_why_a_file_cannot_be_used() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.sql");
        std::fs::write(&empty, "").unwrap();
        let full = dir.path().join("s.sql");
        std::fs::write(&full, "SELECT 1;\n").unwrap();
        let msg = |p: &Path| check_file(p, "schema file").unwrap_err().to_string();
        assert!(msg(Path::new("/dev/null")).ends_with("/dev/null is empty"));
        assert!(msg(&empty).ends_with("empty.sql is empty"));
        assert!(msg(dir.path()).ends_with("is a directory"));
        assert!(msg(&dir.path().join("nope.sql")).ends_with("nope.sql does not exist"));
        check_file(&full, "schema file").unwrap();
    }
}
