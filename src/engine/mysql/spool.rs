//! Reading ahead of init's loading connections. Each table's INSERTs stay
//! on one connection, in file order, and the file is read once, in order.
//! Without read-ahead, the reader waits while one connection works through
//! a big table, and the other connection, whose next table lies further on
//! in the file, sits idle: sampled on a 3M-row init, one LOAD ran at a time
//! for three quarters of the load.
//!
//! So a connection that already has statements waiting gets its next ones
//! through a spool: the reader writes the checked statement to a temporary
//! file and hands on only where it lies, then reads on to the next table
//! and the other connection. Memory stays at a few statements per
//! connection, as without read-ahead; the rows wait on disk, not in memory.
//!
//! The spool files are unnamed (`O_TMPFILE`): they vanish with the process,
//! however it ends, a SIGKILL included. They go beside the data file (on a
//! disk that holds as much already), else in the temporary directory. At
//! most `MAX_WAITING` bytes wait in them, `MAX_IN_MEMORY` on a tmpfs, whose
//! files are memory; past that, or when the spool cannot be written (a
//! full disk), the reader waits for the connection, as it did before.

use std::fs::File;
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use anyhow::{Context, Result};

/// Bytes written to the spool and not yet loaded, at most.
const MAX_WAITING: u64 = 2 << 30;

/// The same on a tmpfs: enough for a table or two ahead.
const MAX_IN_MEMORY: u64 = 64 << 20;

/// A spool file is left for a new one at this size: the space of an old one
/// goes back to the disk once its last statement is loaded.
const FILE_BYTES: u64 = 256 << 20;

pub struct Spool {
    /// Where spool files are made first.
    dir: PathBuf,
    /// `MAX_WAITING`, or `MAX_IN_MEMORY` once a spool file is in memory.
    max_waiting: u64,
    file: Option<Arc<File>>,
    /// Bytes written to `file`.
    written: u64,
    /// Bytes of every statement spooled and not yet taken back.
    waiting: Arc<AtomicU64>,
    /// The spool could not be written: read-ahead is off for this load.
    broken: bool,
}

/// A statement in the spool, for one loading connection.
pub struct Spooled {
    file: Arc<File>,
    offset: u64,
    len: usize,
    waiting: Arc<AtomicU64>,
}

impl Spool {
    /// A spool beside the data file at `path`.
    pub fn beside(path: &Path) -> Spool {
        Spool {
            dir: crate::snapshot::output::folder_of(path),
            max_waiting: MAX_WAITING,
            file: None,
            written: 0,
            waiting: Arc::new(AtomicU64::new(0)),
            broken: false,
        }
    }

    /// Writes `sql` to the spool. None when the spool is full or cannot be
    /// written: the caller then hands the statement on as it is, waiting for
    /// room.
    pub fn put(&mut self, sql: &str) -> Option<Spooled> {
        let len = sql.len() as u64;
        if self.broken || self.waiting.load(Ordering::Relaxed) + len > self.max_waiting {
            return None;
        }
        if self.file.is_none() || self.written >= FILE_BYTES {
            // A write error (ENOSPC, read-only folders) only costs the speed.
            let Ok(file) = tempfile::tempfile_in(&self.dir).or_else(|_| tempfile::tempfile())
            else {
                self.broken = true;
                return None;
            };
            if in_memory(&file) {
                self.max_waiting = MAX_IN_MEMORY;
            }
            self.file = Some(Arc::new(file));
            self.written = 0;
            return self.put(sql);
        }
        let file = self.file.clone().expect("opened above");
        let offset = self.written;
        if (&*file).write_all(sql.as_bytes()).is_err() {
            self.broken = true;
            return None;
        }
        self.written += len;
        self.waiting.fetch_add(len, Ordering::Relaxed);
        Some(Spooled {
            file,
            offset,
            len: sql.len(),
            waiting: self.waiting.clone(),
        })
    }
}

/// Whether `file` is on a tmpfs, whose files are memory.
fn in_memory(file: &File) -> bool {
    use std::os::fd::AsRawFd;
    let mut fs = std::mem::MaybeUninit::<libc::statfs>::zeroed();
    // SAFETY: fstatfs fills the struct it is given for an open descriptor.
    let ok = unsafe { libc::fstatfs(file.as_raw_fd(), fs.as_mut_ptr()) } == 0;
    // SAFETY: filled by fstatfs when it succeeded.
    ok && unsafe { fs.assume_init() }.f_type == libc::TMPFS_MAGIC
}

impl Spooled {
    /// The statement, read back (off the async threads: a disk read).
    pub async fn take(self) -> Result<String> {
        let buf = tokio::task::spawn_blocking(move || {
            let mut buf = vec![0; self.len];
            self.file.read_exact_at(&mut buf, self.offset).map(|()| buf)
        })
        .await
        .map_err(std::io::Error::other)
        .and_then(|read| read)
        .context("reading a statement back from the read-ahead spool")?;
        // Written from a String by this process; checked again all the same.
        String::from_utf8(buf).context("the read-ahead spool holds a damaged statement")
    }
}

impl Drop for Spooled {
    fn drop(&mut self) {
        self.waiting.fetch_sub(self.len as u64, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn statements_come_back_as_written_and_free_their_room() {
        let dir = tempfile::tempdir().unwrap();
        let mut spool = Spool::beside(&dir.path().join("data.sql"));
        let a = spool.put("INSERT INTO `a` VALUES (1)").unwrap();
        let b = spool.put("INSERT INTO `b` VALUES ('é\\n')").unwrap();
        assert_eq!(spool.waiting.load(Ordering::Relaxed), 26 + 31);
        assert_eq!(b.take().await.unwrap(), "INSERT INTO `b` VALUES ('é\\n')");
        assert_eq!(spool.waiting.load(Ordering::Relaxed), 26);
        assert_eq!(a.take().await.unwrap(), "INSERT INTO `a` VALUES (1)");
        assert_eq!(spool.waiting.load(Ordering::Relaxed), 0);
        // Unnamed: nothing shows in the folder.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    /// A spool on a tmpfs (/dev/shm, where the mount table says it is one)
    /// holds what memory can spare.
    #[tokio::test]
    async fn a_spool_in_memory_holds_less() {
        let mounts = std::fs::read_to_string("/proc/mounts").unwrap_or_default();
        let shm_is_tmpfs = mounts.lines().any(|l| {
            let fields: Vec<&str> = l.split_whitespace().collect();
            fields.get(1) == Some(&"/dev/shm") && fields.get(2) == Some(&"tmpfs")
        });
        if !shm_is_tmpfs {
            eprintln!("skipped: /dev/shm is not a tmpfs here");
            return;
        }
        let mut spool = Spool::beside(Path::new("/dev/shm/data.sql"));
        let held = spool.put("x").unwrap();
        assert_eq!(spool.max_waiting, MAX_IN_MEMORY);
        assert_eq!(held.take().await.unwrap(), "x");
    }

    #[test]
    fn a_full_spool_refuses_until_statements_are_taken() {
        let dir = tempfile::tempdir().unwrap();
        let mut spool = Spool::beside(&dir.path().join("data.sql"));
        // The first statement opens the spool file, which sets the limit.
        let first = spool.put("x").unwrap();
        let others = spool.max_waiting - 4;
        spool.waiting.fetch_add(others, Ordering::Relaxed);
        assert!(spool.put("abcd").is_none());
        let held = spool.put("abc").unwrap();
        assert!(spool.put("x").is_none());
        drop(held);
        assert!(spool.put("abcd").is_none());
        drop(first);
        let last = spool.put("abcd").unwrap();
        spool.waiting.fetch_sub(others, Ordering::Relaxed);
        drop(last);
        assert_eq!(spool.waiting.load(Ordering::Relaxed), 0);
    }
}
