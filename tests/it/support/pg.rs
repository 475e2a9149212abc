//! PostgreSQL helpers: the test server (DBSNAP_TEST_PG_URL), throwaway
//! databases, psql / pg_dump wrappers and the sample-database loaders.
//!
//! Everything shells out to the server's own clients (psql, pg_dump) so that the
//! oracle does not share code with dbsnap.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

use super::{corpus_file, current_test_name, fixture, redact_url_password, sanitize};

/// Used when DBSNAP_TEST_PG_URL is not set (plain `cargo test`).
pub const DEFAULT_PG_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// Longest name given to a test database. dbsnap's init builds
/// `<target>__dbsnap_new_<pid>` next to its target; staying at 43 bytes leaves
/// room for that (PostgreSQL truncates names at 63 bytes), so a leftover staging
/// database is always found by `LIKE '<target>%dbsnap%'`.
pub const MAX_TEST_DB_NAME: usize = 43;

/// The PostgreSQL server the tests run against: a superuser URL whose path names
/// a maintenance database (normally `postgres`).
#[derive(Debug, Clone)]
pub struct PgServer {
    url: url::Url,
}

/// The server from DBSNAP_TEST_PG_URL (or [`DEFAULT_PG_URL`]), checked once.
pub fn server() -> &'static PgServer {
    static SERVER: OnceLock<PgServer> = OnceLock::new();
    SERVER.get_or_init(|| {
        let raw = std::env::var("DBSNAP_TEST_PG_URL")
            .ok()
            .filter(|s| !s.trim().is_empty())
            .unwrap_or_else(|| DEFAULT_PG_URL.to_string());
        let url = url::Url::parse(&raw).unwrap_or_else(|e| {
            panic!(
                "DBSNAP_TEST_PG_URL={} is not a URL: {e}",
                redact_url_password(&raw)
            )
        });
        let server = PgServer { url };
        if let Err(e) = server.try_psql(&server.maintenance_db(), "SELECT 1") {
            panic!(
                "PostgreSQL test server {} is not reachable (run the tests through `make test`, \
                 or set DBSNAP_TEST_PG_URL):\n{e}",
                server.redacted()
            );
        }
        server
    })
}

impl PgServer {
    /// The URL's database (where CREATE/DROP DATABASE are issued).
    pub fn maintenance_db(&self) -> String {
        let path = self.url.path().trim_start_matches('/');
        let db = percent_encoding::percent_decode_str(path)
            .decode_utf8_lossy()
            .into_owned();
        if db.is_empty() {
            "postgres".to_string()
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

    pub fn port(&self) -> u16 {
        self.url.port().unwrap_or(5432)
    }

    pub fn user(&self) -> String {
        let user = percent_encoding::percent_decode_str(self.url.username())
            .decode_utf8_lossy()
            .into_owned();
        if user.is_empty() {
            "postgres".to_string()
        } else {
            user
        }
    }

    pub fn password(&self) -> Option<String> {
        self.url.password().map(|p| {
            percent_encoding::percent_decode_str(p)
                .decode_utf8_lossy()
                .into_owned()
        })
    }

    fn psql_command(&self, db: &str) -> Command {
        let mut cmd = Command::new("psql");
        cmd.args(["-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-d"])
            .arg(self.url_for(db))
            .env("PGCONNECT_TIMEOUT", "10")
            .env_remove("PGOPTIONS");
        cmd
    }

    /// Runs `sql` (any number of statements) in `db`; returns stdout.
    pub fn try_psql(&self, db: &str, sql: &str) -> Result<String, String> {
        let mut child = self
            .psql_command(db)
            .args(["-f", "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot run psql: {e}"))?;
        let mut stdin = child.stdin.take().expect("piped stdin");
        let sql = sql.to_string();
        let writer = std::thread::spawn(move || {
            let _ = stdin.write_all(sql.as_bytes());
        });
        let out = child
            .wait_with_output()
            .map_err(|e| format!("waiting for psql: {e}"))?;
        let _ = writer.join();
        checked("psql", db, out)
    }

    /// Runs `sql` in `db` and returns its output (`-At`: unaligned, tuples only).
    /// Panics with psql's stderr on failure.
    #[track_caller]
    pub fn psql(&self, db: &str, sql: &str) -> String {
        self.try_psql(db, sql)
            .unwrap_or_else(|e| panic!("{e}\nSQL: {sql}"))
    }

    /// `psql -f path` into `db` with ON_ERROR_STOP; panics on failure.
    #[track_caller]
    pub fn psql_file(&self, db: &str, path: &Path) {
        let out = self
            .psql_command(db)
            .arg("-f")
            .arg(path)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("cannot run psql: {e}"));
        if let Err(e) = checked("psql", db, out) {
            panic!("loading {}:\n{e}", path.display());
        }
    }

    /// `pg_dump --schema-only --no-owner --no-privileges` of `db`, without the
    /// `\restrict` / `\unrestrict` lines (random keys) of pg_dump 15.18+.
    #[track_caller]
    pub fn pg_dump_schema(&self, db: &str) -> String {
        let out = Command::new("pg_dump")
            .args(["--schema-only", "--no-owner", "--no-privileges", "-d"])
            .arg(self.url_for(db))
            .env("PGCONNECT_TIMEOUT", "10")
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("cannot run pg_dump: {e}"));
        let dump = checked("pg_dump", db, out).unwrap_or_else(|e| panic!("{e}"));
        let mut kept = String::with_capacity(dump.len());
        for line in dump.split_inclusive('\n') {
            if !(line.starts_with("\\restrict") || line.starts_with("\\unrestrict")) {
                kept.push_str(line);
            }
        }
        kept
    }

    pub fn database_exists(&self, db: &str) -> bool {
        self.psql(
            &self.maintenance_db(),
            &format!("SELECT 1 FROM pg_database WHERE datname = {}", literal(db)),
        )
        .trim()
            == "1"
    }

    /// Names of databases matching a LIKE pattern, sorted.
    pub fn databases_like(&self, pattern: &str) -> Vec<String> {
        self.psql(
            &self.maintenance_db(),
            &format!(
                "SELECT datname FROM pg_database WHERE datname LIKE {} ORDER BY 1",
                literal(pattern)
            ),
        )
        .lines()
        .map(str::to_string)
        .collect()
    }

    /// The oid of database `db` (changes if the database is dropped and recreated).
    pub fn database_oid(&self, db: &str) -> Option<u32> {
        let out = self.psql(
            &self.maintenance_db(),
            &format!(
                "SELECT oid FROM pg_database WHERE datname = {}",
                literal(db)
            ),
        );
        out.trim().parse().ok()
    }
}

fn checked(tool: &str, db: &str, out: Output) -> Result<String, String> {
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let tail: Vec<&str> = stderr
            .lines()
            .rev()
            .take(40)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        Err(format!(
            "{tool} on database {db} failed ({}):\n{}",
            out.status,
            tail.join("\n")
        ))
    }
}

/// A SQL string literal.
pub fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// A quoted SQL identifier.
pub fn ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

// --- throwaway databases --------------------------------------------------------

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A database owned by one test, named `dbsnap_t_<test>[_<label>]_<pid>_<n>`.
///
/// Dropped (`DROP DATABASE IF EXISTS .. WITH (FORCE)`) when the value goes out of
/// scope, unless the thread is panicking: then it is kept, and its name printed,
/// for inspection. Drop never panics.
pub struct TestDb {
    name: String,
    server: &'static PgServer,
}

impl TestDb {
    /// Creates a fresh, empty database from template0 (UTF8).
    #[track_caller]
    pub fn create(label: &str) -> TestDb {
        let db = TestDb::reserve(label);
        let server = db.server;
        server.psql(
            &server.maintenance_db(),
            &format!(
                "CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8'",
                ident(&db.name)
            ),
        );
        db
    }

    /// Reserves a unique name without creating the database (e.g. a target for
    /// `dbsnap init`). Whatever ends up under that name is dropped at the end.
    #[track_caller]
    pub fn reserve(label: &str) -> TestDb {
        let server = server();
        let test = sanitize(&current_test_name(), 40);
        let label = sanitize(label, 20);
        let mid = if label.is_empty() {
            test
        } else {
            format!("{test}_{label}")
        };
        for _ in 0..100 {
            let n = COUNTER.fetch_add(1, Ordering::Relaxed);
            let suffix = format!("_{}_{n}", std::process::id());
            let room = MAX_TEST_DB_NAME - "dbsnap_t_".len() - suffix.len();
            let mut mid = mid.clone();
            mid.truncate(room);
            let name = format!("dbsnap_t_{}{suffix}", mid.trim_end_matches('_'));
            // A leftover of an earlier run (kept after a failure) is not ours to drop.
            if !server.database_exists(&name) {
                return TestDb { name, server };
            }
        }
        panic!("no free test database name for {mid}");
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn url(&self) -> String {
        self.server.url_for(&self.name)
    }

    pub fn server(&self) -> &'static PgServer {
        self.server
    }

    #[track_caller]
    pub fn psql(&self, sql: &str) -> String {
        self.server.psql(&self.name, sql)
    }

    #[track_caller]
    pub fn psql_file(&self, path: &Path) {
        self.server.psql_file(&self.name, path)
    }

    #[track_caller]
    pub fn pg_dump_schema(&self) -> String {
        self.server.pg_dump_schema(&self.name)
    }

    pub fn exists(&self) -> bool {
        self.server.database_exists(&self.name)
    }

    pub fn oid(&self) -> Option<u32> {
        self.server.database_oid(&self.name)
    }

    /// Relations (tables, views, sequences, ...) outside the system schemas, as
    /// `schema.name`, sorted.
    pub fn relations(&self) -> Vec<String> {
        self.psql(
            "SELECT n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') \
               AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%' \
             ORDER BY 1",
        )
        .lines()
        .map(str::to_string)
        .collect()
    }

    /// Loads a sample database of the corpus.
    #[track_caller]
    pub fn load(&self, sample: Sample) {
        sample.load_into(self);
    }

    /// Loads `tests/fixtures/<rel>` with psql.
    #[track_caller]
    pub fn load_fixture(&self, rel: &str) {
        self.psql_file(&fixture(rel));
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if std::thread::panicking() {
            // Never panic here: a failed query just means nothing to report.
            let exists = self
                .server
                .try_psql(
                    &self.server.maintenance_db(),
                    &format!(
                        "SELECT 1 FROM pg_database WHERE datname = {}",
                        literal(&self.name)
                    ),
                )
                .is_ok_and(|out| out.trim() == "1");
            if !exists {
                return;
            }
            eprintln!(
                "test database {} kept for inspection: psql '{}'",
                self.name,
                redact_url_password(&self.url())
            );
            return;
        }
        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", ident(&self.name));
        if let Err(e) = self.server.try_psql(&self.server.maintenance_db(), &sql) {
            eprintln!("warning: could not drop test database {}: {e}", self.name);
        }
    }
}

// --- corpus samples ---------------------------------------------------------------

/// Sample databases of `../shared/corpus/pg` (see its README).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sample {
    /// pagila-schema.sql then pagila-data.sql.
    Pagila,
    /// Chinook_PostgreSql.sql (from the line after `\c chinook;`).
    Chinook,
    /// Chinook_PostgreSql_SerialPKs.sql (from the line after `\c chinook_serial;`).
    ChinookSerial,
    /// northwind.sql.
    Northwind,
    /// jOOQ's sakila: postgres-sakila-schema.sql then the COPY data file.
    SakilaJooq,
}

impl Sample {
    pub const ALL: [Sample; 5] = [
        Sample::Pagila,
        Sample::Chinook,
        Sample::ChinookSerial,
        Sample::Northwind,
        Sample::SakilaJooq,
    ];

    pub fn files(self) -> Vec<PathBuf> {
        let rels: &[&str] = match self {
            Sample::Pagila => &["pg/pagila/pagila-schema.sql", "pg/pagila/pagila-data.sql"],
            Sample::Chinook => &["pg/chinook/Chinook_PostgreSql.sql"],
            Sample::ChinookSerial => &["pg/chinook/Chinook_PostgreSql_SerialPKs.sql"],
            Sample::Northwind => &["pg/northwind/northwind.sql"],
            Sample::SakilaJooq => &[
                "pg/sakila_jooq/postgres-sakila-schema.sql",
                "pg/sakila_jooq/postgres-sakila-insert-data-using-copy.sql",
            ],
        };
        rels.iter().map(|r| corpus_file(r)).collect()
    }

    #[track_caller]
    pub fn load_into(self, db: &TestDb) {
        match self {
            Sample::Chinook | Sample::ChinookSerial => {
                for file in self.files() {
                    let rewritten = skip_through_connect(&file);
                    db.psql_file(rewritten.path());
                }
            }
            _ => {
                for file in self.files() {
                    db.psql_file(&file);
                }
            }
        }
    }
}

/// The Chinook scripts drop, create and `\c` into their own database first. This
/// copies the script with every line up to and including the `\c ` line blanked
/// (blank rather than removed, so psql's error line numbers still match the file).
fn skip_through_connect(path: &Path) -> tempfile::NamedTempFile {
    let reader = BufReader::new(
        std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
    );
    let mut lines = Vec::new();
    let mut connect_line = None;
    for (i, line) in reader.split(b'\n').enumerate() {
        let line = line.unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        if connect_line.is_none() && line.starts_with(b"\\c ") {
            connect_line = Some(i);
        }
        lines.push(line);
    }
    let connect_line = connect_line.unwrap_or_else(|| panic!("{}: no `\\c ` line", path.display()));
    let mut out = tempfile::Builder::new()
        .prefix("dbsnap-it-")
        .suffix(".sql")
        .tempfile()
        .expect("temp file");
    for (i, line) in lines.iter().enumerate() {
        if i > connect_line {
            out.write_all(line).expect("write temp file");
        }
        out.write_all(b"\n").expect("write temp file");
    }
    out.flush().expect("flush temp file");
    out
}
