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

use anyhow::{bail, Context, Result};

pub enum Output {
    Stdout {
        out: io::Stdout,
        writeback: Writeback,
    },
    /// An existing device or pipe (`/dev/null`, a FIFO): written in place,
    /// since renaming a file over it would replace the device.
    Special {
        file: fs::File,
        path: PathBuf,
        writeback: Writeback,
    },
    File {
        temp: tempfile::NamedTempFile,
        path: PathBuf,
        writeback: Writeback,
        _registered: crate::cleanup::Registration,
    },
}

/// Starts the disk writes of a file's bytes while later ones are still being
/// made, so that the `fsync` of `commit` waits only for the last few MiB.
/// Without it nothing is written before the `fsync` (the kernel starts on its
/// own only when a tenth of memory is dirty): at 3M rows the export then sat
/// 2.0 s (PostgreSQL, 1.1 GiB) or 1.0 s (MariaDB, 0.5 GiB) in it, idle.
#[derive(Default)]
pub struct Writeback {
    written: u64,
    started: u64,
}

impl Writeback {
    /// Bytes written between two starts: large enough to keep the syscalls
    /// rare, small enough that little is left for the end.
    const STEP: u64 = 8 * 1024 * 1024;

    /// Counts `bytes` more written, to `file` when it is a file of its own.
    fn wrote(&mut self, file: Option<&fs::File>, bytes: usize) {
        self.written += bytes as u64;
        let Some(file) = file else { return };
        if self.written - self.started >= Self::STEP {
            start_writeback(file, self.started, self.written - self.started);
            self.started = self.written;
        }
    }
}

/// Asks the kernel to start writing a range of `file` to disk, without
/// waiting for it. Only a speed-up: on failure the `fsync` does it all.
#[cfg(target_os = "linux")]
fn start_writeback(file: &fs::File, offset: u64, len: u64) {
    use std::os::fd::AsRawFd;
    // SAFETY: a plain syscall on a descriptor this file owns; no memory is passed.
    unsafe {
        libc::sync_file_range(
            file.as_raw_fd(),
            offset as libc::off64_t,
            len as libc::off64_t,
            libc::SYNC_FILE_RANGE_WRITE,
        );
    }
}

#[cfg(not(target_os = "linux"))]
fn start_writeback(_file: &fs::File, _offset: u64, _len: u64) {}

impl Output {
    /// `-` is standard output.
    pub fn create(path: &Path) -> Result<Output> {
        if path == Path::new("-") {
            return Ok(Output::Stdout {
                out: io::stdout(),
                writeback: Writeback::default(),
            });
        }
        // Refused before any row is read: the rename at the end would fail.
        if path.is_dir() {
            bail!(
                "{} is a directory: -o takes the path of the file to write",
                path.display()
            );
        }
        if fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir()) {
            let file = fs::OpenOptions::new()
                .write(true)
                .open(path)
                .with_context(|| format!("cannot open {}", path.display()))?;
            return Ok(Output::Special {
                file,
                path: path.to_path_buf(),
                writeback: Writeback::default(),
            });
        }
        let dir = folder_of(path);
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
            _registered: crate::cleanup::output(temp.path(), path),
            temp,
            writeback: Writeback::default(),
            path: path.to_path_buf(),
        })
    }

    /// Output that is not a snapshot file of its own (stdout, a device).
    pub fn is_stdout(&self) -> bool {
        matches!(self, Output::Stdout { .. } | Output::Special { .. })
    }

    /// Whether any byte has gone out: a stream that got none is not cut.
    pub fn started(&self) -> bool {
        match self {
            Output::Stdout { writeback, .. }
            | Output::Special { writeback, .. }
            | Output::File { writeback, .. } => writeback.written > 0,
        }
    }

    /// Flushes to disk and renames into place.
    pub fn commit(self) -> Result<()> {
        match self {
            Output::Stdout { mut out, .. } => Ok(out.flush().map_err(stdout_error)?),
            Output::Special { mut file, path, .. } => {
                Ok(file.flush().map_err(|e| named_error(e, &path, None))?)
            }
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

/// Every write error names where the bytes were going. A reader that went
/// away early (`| head`) left it with a cut snapshot: that is an error here,
/// not the quiet success `main` makes of other broken pipes.
impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let written = self.on_target(|out| out.write(buf))?;
        self.wrote(written);
        Ok(written)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.on_target(|out| out.write_all(buf))?;
        self.wrote(buf.len());
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.on_target(|out| out.flush())
    }
}

impl Output {
    fn wrote(&mut self, bytes: usize) {
        match self {
            Output::Stdout { writeback, .. } | Output::Special { writeback, .. } => {
                writeback.wrote(None, bytes)
            }
            Output::File {
                temp, writeback, ..
            } => writeback.wrote(Some(temp.as_file()), bytes),
        }
    }

    /// Runs `op` on where the bytes go; an error names that place.
    fn on_target<T>(&mut self, op: impl FnOnce(&mut dyn Write) -> io::Result<T>) -> io::Result<T> {
        match self {
            Output::Stdout { out, .. } => op(out).map_err(stdout_error),
            Output::Special { file, path, .. } => op(file).map_err(|e| named_error(e, path, None)),
            Output::File { temp, path, .. } => {
                let result = op(temp);
                result.map_err(|e| named_error(e, path, Some(temp.path())))
            }
        }
    }
}

/// The folder a file at `path` is in (`.` for a bare file name).
pub fn folder_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// What a failed export says of its output at `path`. A file is not written:
/// its temporary file goes with the `Output`. A stream (stdout, a device)
/// either got nothing, or got the start of a snapshot whose missing end
/// marker makes every reader refuse it. `stream` is None for a file, else
/// whether any byte went out.
pub fn failed(err: anyhow::Error, path: &Path, stream: Option<bool>) -> anyhow::Error {
    let Some(started) = stream else {
        return err.context(format!("{} was not written", path.display()));
    };
    // A failed write to the stream says so itself (see `incomplete`).
    if started && err.chain().any(|e| e.to_string().starts_with(INCOMPLETE)) {
        return err;
    }
    let name = match path.to_str() {
        Some("-") => "stdout".to_string(),
        _ => path.display().to_string(),
    };
    err.context(if started {
        format!("the snapshot on {name} is incomplete: it has no end marker, so dbsnap refuses to load it")
    } else {
        format!("nothing was written to {name}")
    })
}

/// Standard output is named by what it is open on (`/proc/self/fd/1`), if known.
fn stdout_error(err: io::Error) -> io::Error {
    let name = fs::read_link("/proc/self/fd/1")
        .ok()
        .filter(|p| p.is_absolute())
        .map(|p| format!("standard output ({})", p.display()))
        .unwrap_or_else(|| "standard output".to_string());
    incomplete(err, &name)
}

fn named_error(err: io::Error, path: &Path, temp: Option<&Path>) -> io::Error {
    match temp {
        // Until commit the bytes go to a temporary file beside the target.
        Some(temp) => io::Error::new(
            err.kind(),
            format!(
                "cannot write {} (its temporary file {}): {err}",
                path.display(),
                temp.display()
            ),
        ),
        None => incomplete(err, &path.display().to_string()),
    }
}

/// A write to a stream (stdout, a pipe, a device) failed: what was written is
/// not the whole snapshot. A broken pipe loses its kind, or `main` would
/// count it as success.
fn incomplete(err: io::Error, name: &str) -> io::Error {
    if err.kind() == io::ErrorKind::BrokenPipe {
        io::Error::other(format!(
            "{INCOMPLETE}: the reader of {name} closed it before the end"
        ))
    } else {
        io::Error::new(
            err.kind(),
            format!("{INCOMPLETE}: cannot write {name}: {err}"),
        )
    }
}

const INCOMPLETE: &str = "the output is incomplete";

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
    fn a_file_written_past_several_writeback_steps_is_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.sql");
        let mut out = Output::create(&path).unwrap();
        let mut expected = Vec::new();
        for i in 0..5000u32 {
            // Lines of uneven length, so that steps end mid-write.
            let line = format!("{i}\t{}\n", "x".repeat((i as usize * 37) % 9000));
            out.write_all(line.as_bytes()).unwrap();
            expected.extend_from_slice(line.as_bytes());
        }
        assert!(expected.len() as u64 > 2 * Writeback::STEP);
        out.commit().unwrap();
        assert!(fs::read(&path).unwrap() == expected);
    }

    #[test]
    fn a_directory_is_refused_before_anything_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let err = Output::create(dir.path())
            .err()
            .expect("a directory was taken");
        assert!(err.to_string().contains("is a directory"), "{err:#}");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
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
    fn a_full_device_is_named() {
        let mut out = Output::create(Path::new("/dev/full")).unwrap();
        let err = out
            .write_all(&[b'x'; 64 * 1024])
            .and_then(|_| out.flush())
            .unwrap_err();
        let text = err.to_string();
        assert!(text.contains("the output is incomplete"), "{text}");
        assert!(text.contains("cannot write /dev/full"), "{text}");
        assert_eq!(err.kind(), io::ErrorKind::StorageFull, "{text}");
    }

    #[test]
    fn a_failure_says_what_became_of_the_output() {
        let said = |path: &str, stream| {
            format!(
                "{:#}",
                failed(anyhow::anyhow!("boom"), Path::new(path), stream)
            )
        };
        assert_eq!(said("d/s.sql", None), "d/s.sql was not written: boom");
        assert_eq!(
            said("-", Some(false)),
            "nothing was written to stdout: boom"
        );
        assert_eq!(
            said("/dev/null", Some(true)),
            "the snapshot on /dev/null is incomplete: it has no end marker, \
             so dbsnap refuses to load it: boom"
        );
        // A failed write says it once, not twice.
        let cut = incomplete(io::ErrorKind::BrokenPipe.into(), "standard output");
        assert_eq!(
            format!("{:#}", failed(cut.into(), Path::new("-"), Some(true))),
            "the output is incomplete: the reader of standard output closed it before the end"
        );
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
