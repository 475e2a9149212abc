//! A client session that a test keeps open, holding a lock: the fault tests'
//! deterministic way to stop a dbsnap run at a known statement (it waits for
//! the lock) and act on its server session while it waits.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Stdio};

use super::server::Server;
use super::testdb::TestDb;

pub struct Session {
    child: Child,
    stdin: Option<ChildStdin>,
}

impl Session {
    /// Opens the engine's client on `db` and runs `sql` (e.g. `BEGIN; LOCK
    /// TABLE ...`); returns once the server has run it. The session keeps
    /// what it holds until [`Session::close`] or drop.
    #[track_caller]
    pub fn open<S: Server>(db: &TestDb<S>, sql: &str) -> Session {
        let mut child = db
            .server()
            .session_command(db.name())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn the client");
        let mut stdin = child.stdin.take().expect("client stdin");
        writeln!(stdin, "{sql}\nSELECT 'session ready';").expect("write to the client");
        stdin.flush().expect("flush the client's stdin");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("client stdout"))
            .read_line(&mut line)
            .expect("read the client");
        assert_eq!(
            line.trim(),
            "session ready",
            "the client did not run: {sql}"
        );
        Session {
            child,
            stdin: Some(stdin),
        }
    }

    /// Ends the session (stdin closed: the client exits and the server
    /// rolls back what it held) and waits for the client.
    pub fn close(&mut self) {
        drop(self.stdin.take());
        let _ = self.child.wait();
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.close();
    }
}
