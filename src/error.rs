//! The errors callers and the exit code branch on. Everything else is an
//! `anyhow::Error` with context; these types sit somewhere in its chain and are
//! found by type, never by the words of a message.
//!
//! Exit codes: 0 ok, 1 error, 2 usage ([`UsageError`]), 3 differences ([`Differences`]).

use std::fmt;
use std::path::PathBuf;

/// The user called us wrongly (flags, missing settings): exit 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// The database holds objects dbsnap cannot export faithfully, and
/// `--skip-unsupported` was not given.
#[derive(Debug, thiserror::Error)]
#[error(
    "the database contains {} object(s) that dbsnap cannot export faithfully:\n  {}\n\
     Pass --skip-unsupported to export without them.",
    objects.len(),
    objects.join("\n  ")
)]
pub struct Unsupported {
    pub objects: Vec<String>,
}

/// A file we read is damaged or malformed at a known line: Display is exactly
/// `{path}:{line}: {message}`; `check --json` reports the line.
#[derive(Debug, thiserror::Error)]
#[error("{path}:{line}: {message}", path = path.display())]
pub struct DamagedFile {
    pub path: PathBuf,
    /// 1-based.
    pub line: u64,
    pub message: String,
}

impl DamagedFile {
    pub fn new(path: impl Into<PathBuf>, line: u64, message: impl Into<String>) -> Self {
        DamagedFile {
            path: path.into(),
            line,
            message: message.into(),
        }
    }
}

/// `verify` or `diff` found differences; the command has already printed them,
/// so `main` exits 3 without a message.
#[derive(Debug, thiserror::Error)]
#[error("{count} difference(s)")]
pub struct Differences {
    pub count: usize,
}

/// A failure the server (or the driver talking to it) reported. Display is the
/// server's own words, never anything from the URL; the driver's error stays
/// as the source, so callers can still read its SQLSTATE or error code.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct ServerError {
    message: String,
    #[source]
    source: Box<dyn std::error::Error + Send + Sync + 'static>,
}

impl ServerError {
    /// `message` is the engine's rendering of `source` (see each engine's
    /// `server_message`): the driver's own Display says "db error" and
    /// puts DETAIL on a line of its own.
    pub fn new(
        message: String,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> ServerError {
        ServerError {
            message,
            source: Box::new(source),
        }
    }

    /// Adds what the server's words alone do not say (a likely cause, a remedy).
    pub fn with_hint(mut self, hint: &str) -> ServerError {
        self.message = format!("{} ({hint})", self.message);
        self
    }
}

/// The causes of `err` down to the first [`ServerError`], which already says
/// in the server's words what its driver error below it says.
fn causes(err: &anyhow::Error) -> impl Iterator<Item = &(dyn std::error::Error + 'static)> {
    let mut done = false;
    err.chain().take_while(move |cause| {
        let take = !done;
        done |= cause.is::<ServerError>();
        take
    })
}

/// An error as printed for the user: its context chain joined by `: ` (as
/// anyhow's `{:#}`), ending at the server's words.
pub struct Report<'a>(pub &'a anyhow::Error);

impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, cause) in causes(self.0).enumerate() {
            if i > 0 {
                f.write_str(": ")?;
            }
            write!(f, "{cause}")?;
        }
        Ok(())
    }
}

/// Whether the error is our own output being closed (`dbsnap ... | head`);
/// a connection to a server that broke is not that.
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    causes(err).any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// The first damaged-file error in the chain, for reporting its line.
pub fn damaged_file(err: &anyhow::Error) -> Option<&DamagedFile> {
    causes(err).find_map(|c| c.downcast_ref::<DamagedFile>())
}

/// Whether the command has already reported this outcome (its differences),
/// so that `main` prints nothing more.
pub fn is_reported(err: &anyhow::Error) -> bool {
    err.is::<Differences>()
}

/// 2 for a usage error, 3 for differences, else 1; found by type, never by words.
pub fn exit_code_for(err: &anyhow::Error) -> u8 {
    for cause in causes(err) {
        if cause.is::<UsageError>() {
            return 2;
        }
        if cause.is::<Differences>() {
            return 3;
        }
    }
    1
}

/// What `import` says of a duplicate key: its target may hold rows already.
/// (`init` loads into tables it has just created, so it says nothing.)
pub const TARGET_HOLDS_ROWS: &str =
    "the target already holds these rows: `--truncate` empties the file's tables first, in the same transaction";

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context;

    fn io(kind: std::io::ErrorKind) -> std::io::Error {
        std::io::Error::new(kind, "boom")
    }

    #[test]
    fn exit_codes_follow_the_type_anywhere_in_the_chain() {
        let usage = anyhow::Error::from(UsageError("no database name given".into()));
        assert_eq!(exit_code_for(&usage), 2);
        assert_eq!(exit_code_for(&usage.context("resolving")), 2);
        let diff = anyhow::Error::from(Differences { count: 4 });
        assert_eq!(exit_code_for(&diff), 3);
        assert!(is_reported(&diff));
        assert_eq!(exit_code_for(&diff.context("verifying")), 3);
        let damaged = anyhow::Error::from(DamagedFile::new("/x.sql", 3, "bad"));
        assert_eq!(exit_code_for(&damaged), 1);
        assert!(!is_reported(&damaged));
        let unsupported = anyhow::Error::from(Unsupported {
            objects: vec!["a".into()],
        });
        assert_eq!(exit_code_for(&unsupported), 1);
        assert_eq!(exit_code_for(&anyhow::anyhow!("difference")), 1);
        let server = anyhow::Error::from(ServerError::new(
            "ERROR: x".into(),
            io(std::io::ErrorKind::Other),
        ));
        assert_eq!(exit_code_for(&server), 1);
    }

    #[test]
    fn a_usage_error_hidden_below_a_server_error_is_not_the_users_fault() {
        let server = ServerError::new("ERROR: x".into(), UsageError("words".into()));
        assert_eq!(exit_code_for(&anyhow::Error::from(server)), 1);
    }

    #[test]
    fn report_stops_at_the_servers_words_and_keeps_the_source() {
        let server = ServerError::new(
            "ERROR: relation \"t\" does not exist".into(),
            io(std::io::ErrorKind::Other),
        );
        let err = Err::<(), _>(server).context("reading table t").unwrap_err();
        assert_eq!(
            Report(&err).to_string(),
            "reading table t: ERROR: relation \"t\" does not exist"
        );
        assert!(err.chain().any(|c| c.is::<std::io::Error>()));
        let plain = anyhow::Error::from(io(std::io::ErrorKind::NotFound)).context("cannot read f");
        assert_eq!(Report(&plain).to_string(), format!("{plain:#}"));
    }

    #[test]
    fn broken_pipe_is_ours_only_above_a_server_error() {
        let ours = anyhow::Error::from(io(std::io::ErrorKind::BrokenPipe)).context("writing");
        assert!(is_broken_pipe(&ours));
        let server = ServerError::new("connection lost".into(), io(std::io::ErrorKind::BrokenPipe));
        assert!(!is_broken_pipe(&anyhow::Error::from(server)));
    }

    #[test]
    fn damaged_file_names_path_and_line() {
        let e = DamagedFile::new("/tmp/x.sql", 12, "boom");
        assert_eq!(e.to_string(), "/tmp/x.sql:12: boom");
        let err = anyhow::Error::from(e).context("checking");
        assert_eq!(damaged_file(&err).map(|d| d.line), Some(12));
    }
}
