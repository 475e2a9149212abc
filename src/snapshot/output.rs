//! Output that appears under its final name only when complete.
//!
//! The file is written to a temporary file in the target directory (so the
//! final rename is atomic on the same file system), created with mode 0600,
//! and renamed into place by `commit`. Dropping an uncommitted `Output`
//! (an error, a panic) deletes the temporary file; a killed process leaves
//! only a `.dbsnap-*.tmp` file, never a partial file under the final name.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

pub enum Output {
    Stdout(io::Stdout),
    /// An existing device or pipe (`/dev/null`, a FIFO): written in place,
    /// since renaming a file over it would replace the device.
    Special(fs::File),
    File {
        temp: tempfile::NamedTempFile,
        path: PathBuf,
        _registered: crate::cleanup::Registration,
    },
}

impl Output {
    /// `-` is standard output.
    pub fn create(path: &Path) -> Result<Output> {
        if path == Path::new("-") {
            return Ok(Output::Stdout(io::stdout()));
        }
        if fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir()) {
            let file = fs::OpenOptions::new()
                .write(true)
                .open(path)
                .with_context(|| format!("cannot open {}", path.display()))?;
            return Ok(Output::Special(file));
        }
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create directory {}", dir.display()))?;
        crate::cleanup::sweep_temp_files(&dir);
        // NamedTempFile creates files with mode 0600 on Unix.
        let temp = tempfile::Builder::new()
            .prefix(&crate::cleanup::temp_prefix(""))
            .suffix(".tmp")
            .tempfile_in(&dir)
            .with_context(|| format!("cannot create a temporary file in {}", dir.display()))?;
        Ok(Output::File {
            _registered: crate::cleanup::file(temp.path()),
            temp,
            path: path.to_path_buf(),
        })
    }

    /// Output that is not a snapshot file of its own (stdout, a device).
    pub fn is_stdout(&self) -> bool {
        matches!(self, Output::Stdout(_) | Output::Special(_))
    }

    /// Flushes to disk and renames into place.
    pub fn commit(self) -> Result<()> {
        match self {
            Output::Stdout(mut out) => Ok(out.flush()?),
            Output::Special(mut file) => Ok(file.flush()?),
            Output::File { temp, path, .. } => {
                temp.as_file()
                    .sync_all()
                    .with_context(|| format!("cannot write {}", path.display()))?;
                temp.persist(&path).with_context(|| {
                    format!("cannot rename the finished file to {}", path.display())
                })?;
                Ok(())
            }
        }
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Output::Stdout(out) => out.write(buf),
            Output::Special(file) => file.write(buf),
            Output::File { temp, .. } => temp.write(buf),
        }
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match self {
            Output::Stdout(out) => out.write_all(buf),
            Output::Special(file) => file.write_all(buf),
            Output::File { temp, .. } => temp.write_all(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Output::Stdout(out) => out.flush(),
            Output::Special(file) => file.flush(),
            Output::File { temp, .. } => temp.flush(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn file_appears_only_on_commit_with_mode_0600() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/out.sql");
        let mut out = Output::create(&path).unwrap();
        out.write_all(b"hello\n").unwrap();
        assert!(!path.exists());
        out.commit().unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"hello\n");
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }

    #[test]
    fn devices_are_written_in_place_not_replaced() {
        // Regression: `-o /dev/null` once renamed a regular file over /dev/null.
        let out = Output::create(Path::new("/dev/null")).unwrap();
        assert!(out.is_stdout());
        out.commit().unwrap();
        let meta = fs::metadata("/dev/null").unwrap();
        assert!(!meta.is_file(), "/dev/null must still be a device");
    }

    #[test]
    fn dropped_output_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.sql");
        let mut out = Output::create(&path).unwrap();
        out.write_all(b"partial").unwrap();
        drop(out);
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
