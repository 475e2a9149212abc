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
//! however it ends, a SIGKILL included. At most `MAX_WAITING` bytes wait in
//! them; past that, or when the spool cannot be written (a full disk), the
//! reader waits for the connection, as it did before.

use std::fs::File;
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use anyhow::{Context, Result};

/// Bytes written to the spool and not yet loaded, at most.
const MAX_WAITING: u64 = 2 << 30;

/// A spool file is left for a new one at this size: the space of an old one
/// goes back to the disk once its last statement is loaded.
const FILE_BYTES: u64 = 256 << 20;

pub struct Spool {
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
    pub fn new() -> Spool {
        Spool {
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
        if self.broken || self.waiting.load(Ordering::Relaxed) + len > MAX_WAITING {
            return None;
        }
        if self.file.is_none() || self.written >= FILE_BYTES {
            // A write error (ENOSPC, a read-only /tmp) only costs the speed.
            let Ok(file) = tempfile::tempfile() else {
                self.broken = true;
                return None;
            };
            self.file = Some(Arc::new(file));
            self.written = 0;
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
        let mut spool = Spool::new();
        let a = spool.put("INSERT INTO `a` VALUES (1)").unwrap();
        let b = spool.put("INSERT INTO `b` VALUES ('é\\n')").unwrap();
        assert_eq!(spool.waiting.load(Ordering::Relaxed), 26 + 31);
        assert_eq!(b.take().await.unwrap(), "INSERT INTO `b` VALUES ('é\\n')");
        assert_eq!(spool.waiting.load(Ordering::Relaxed), 26);
        assert_eq!(a.take().await.unwrap(), "INSERT INTO `a` VALUES (1)");
        assert_eq!(spool.waiting.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn a_full_spool_refuses_until_statements_are_taken() {
        let mut spool = Spool::new();
        spool.waiting.store(MAX_WAITING - 3, Ordering::Relaxed);
        assert!(spool.put("abcd").is_none());
        let held = spool.put("abc").unwrap();
        assert!(spool.put("x").is_none());
        drop(held);
        spool.waiting.fetch_sub(MAX_WAITING - 3, Ordering::Relaxed);
        assert!(spool.put("x").is_some());
    }
}
