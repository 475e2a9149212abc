//! What the two test servers share: finding the server from its environment
//! variable, the URL arithmetic, and the small [`Server`] trait that
//! [`super::testdb::TestDb`] is generic over. Each engine module (`pg`, `mysql`)
//! implements the trait with its own client (psql, mariadb), so the oracle never
//! shares code with dbsnap.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use super::redact_url_password;

/// A test server: how to reach it and how to create, list and drop databases.
pub trait Server: Sync + 'static {
    /// For messages: "PostgreSQL", "MySQL/MariaDB".
    const NAME: &'static str;

    /// Whether its test databases wait while a large-value test runs (see
    /// [`super::large_values_one_at_a_time`]).
    const STALLS_BESIDE_LARGE_VALUES: bool = false;

    /// The server of this run, discovered (and checked) once.
    fn get() -> &'static Self;

    fn base(&self) -> &ServerUrl;

    /// Runs `sql` in database `db` with the engine's own client; returns stdout.
    fn try_sql(&self, db: &str, sql: &str) -> Result<String, String>;

    /// Loads the SQL file `path` into `db` with the engine's own client, as a
    /// user would; panics on failure.
    fn sql_file(&self, db: &str, path: &std::path::Path);

    /// Loads `tests/fixtures/<rel>` into `db`; panics on failure.
    fn load_fixture(&self, db: &str, rel: &str);

    /// The engine's client on database `db`, reading statements from stdin
    /// and printing each result as it comes (for a [`super::session::Session`]).
    fn session_command(&self, db: &str) -> std::process::Command;

    /// SQL that creates the empty database `name`.
    fn create_database_sql(name: &str) -> String;

    /// SQL that drops database `name` (if it exists), closing its sessions.
    fn drop_database_sql(name: &str) -> String;

    /// Every database whose name starts with `prefix`, sorted.
    fn databases_with_prefix(&self, prefix: &str) -> Result<Vec<String>, String>;

    /// How to open database `db` by hand, for "kept for inspection" messages.
    fn inspect_hint(&self, db: &str) -> String;

    /// The server URL with its database replaced by `db`.
    fn url_for(&self, db: &str) -> String {
        self.base().url_for(db)
    }

    /// The database the admin statements run in.
    fn maintenance_db(&self) -> String {
        self.base().maintenance_db()
    }

    fn redacted(&self) -> String {
        self.base().redacted()
    }

    fn host(&self) -> String {
        self.base().host()
    }

    fn port(&self) -> u16 {
        self.base().port()
    }

    fn user(&self) -> String {
        self.base().user()
    }

    fn password(&self) -> Option<String> {
        self.base().password()
    }

    fn database_exists(&self, db: &str) -> bool {
        self.databases_with_prefix(db)
            .is_ok_and(|names| names.iter().any(|n| n == db))
    }
}

/// The server of this run: the URL in environment variable `var` (unset or
/// blank: `default`), made into a server by `make`, and checked to answer
/// `SELECT 1` (a panic saying how to point the tests at one otherwise).
pub fn discover_checked<S: Server>(
    var: &str,
    default: &str,
    defaults: (u16, &'static str, &'static str),
    make: impl FnOnce(ServerUrl) -> S,
) -> S {
    let (port, user, db) = defaults;
    let server = make(ServerUrl::discover(var, default, port, user, db));
    if let Err(e) = server.try_sql(&server.maintenance_db(), "SELECT 1") {
        panic!(
            "{} test server {} is not reachable (run the tests through `make test`, \
             or set {var}):\n{e}",
            S::NAME,
            server.redacted()
        );
    }
    server
}

/// Runs `sql` in the server's maintenance database when dropped: the
/// clean-up of what no [`super::testdb::TestDb`] owns (an account, a database
/// a script made).
pub struct CleanUp<S: Server> {
    server: &'static S,
    sql: String,
}

impl<S: Server> CleanUp<S> {
    pub fn new(sql: String) -> CleanUp<S> {
        CleanUp {
            server: S::get(),
            sql,
        }
    }
}

impl<S: Server> Drop for CleanUp<S> {
    fn drop(&mut self) {
        let _ = self
            .server
            .try_sql(&self.server.maintenance_db(), &self.sql);
    }
}

/// A server URL with the engine's defaults for what it leaves out.
#[derive(Debug, Clone)]
pub struct ServerUrl {
    url: url::Url,
    default_port: u16,
    default_user: &'static str,
    default_db: &'static str,
}

impl ServerUrl {
    /// The URL in environment variable `var` (unset or blank: `default`).
    /// Panics when it is not a URL.
    pub fn discover(
        var: &str,
        default: &str,
        default_port: u16,
        default_user: &'static str,
        default_db: &'static str,
    ) -> ServerUrl {
        let raw = std::env::var(var)
            .ok()
            .filter(|s| !s.trim().is_empty())
            .unwrap_or_else(|| default.to_string());
        let url = url::Url::parse(&raw)
            .unwrap_or_else(|e| panic!("{var}={} is not a URL: {e}", redact_url_password(&raw)));
        ServerUrl {
            url,
            default_port,
            default_user,
            default_db,
        }
    }

    pub fn url(&self) -> &url::Url {
        &self.url
    }

    /// The URL's database (where CREATE/DROP DATABASE are issued).
    pub fn maintenance_db(&self) -> String {
        let db = decode(self.url.path().trim_start_matches('/'));
        if db.is_empty() {
            self.default_db.to_string()
        } else {
            db
        }
    }

    /// The server URL with its database replaced by `db` (query string kept).
    pub fn url_for(&self, db: &str) -> String {
        let mut url = self.url.clone();
        const PATH_SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
            .remove(b'_')
            .remove(b'-')
            .remove(b'.');
        let encoded = percent_encoding::utf8_percent_encode(db, PATH_SEGMENT).to_string();
        url.set_path(&format!("/{encoded}"));
        url.to_string()
    }

    pub fn redacted(&self) -> String {
        redact_url_password(self.url.as_str())
    }

    pub fn host(&self) -> String {
        self.url
            .host_str()
            .unwrap_or("127.0.0.1")
            .trim_matches(['[', ']'])
            .to_string()
    }

    /// The URL's port; the engine's default only when the URL names none.
    pub fn port(&self) -> u16 {
        self.url.port().unwrap_or(self.default_port)
    }

    pub fn user(&self) -> String {
        let user = decode(self.url.username());
        if user.is_empty() {
            self.default_user.to_string()
        } else {
            user
        }
    }

    pub fn password(&self) -> Option<String> {
        self.url.password().map(decode)
    }
}

fn decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

/// stdout of a successful client run, or an error naming the tool, the
/// database and the last 40 lines of stderr.
pub fn checked(tool: &str, db: &str, out: Output) -> Result<String, String> {
    if out.status.success() {
        return Ok(String::from_utf8_lossy(&out.stdout).into_owned());
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    let tail = &lines[lines.len().saturating_sub(40)..];
    Err(format!(
        "{tool} on database {db} failed ({}):\n{}",
        out.status,
        tail.join("\n")
    ))
}

/// Runs `cmd` with `input` on stdin (from a thread, so a large input cannot
/// deadlock against a full stdout pipe).
pub fn feed(mut cmd: Command, input: Vec<u8>, tool: &str) -> Result<Output, String> {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {tool}: {e}"))?;
    let mut stdin = child.stdin.take().expect("piped stdin");
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let stdout = super::read_in_thread(child.stdout.take().expect("piped stdout"));
    let stderr = super::read_in_thread(child.stderr.take().expect("piped stderr"));
    // A statement waiting on a lock must not hang the suite (and the
    // processes it waits for with it).
    let status = super::wait_until(&mut child, CLIENT_TIMEOUT)
        .ok_or_else(|| format!("{tool} did not finish within {CLIENT_TIMEOUT:?}; killed it"))?;
    let _ = writer.join();
    Ok(Output {
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    })
}

/// How long a client statement of a test may take.
const CLIENT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(600);
