//! PostgreSQL helpers: the test server (DBSNAP_TEST_PG_URL), throwaway
//! databases, psql / pg_dump wrappers and the sample-database loaders.
//!
//! Everything shells out to the server's own clients (psql, pg_dump) so that the
//! oracle does not share code with dbsnap.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use super::server::{checked, discover_checked, feed, Server, ServerUrl};
use super::{assert_same_text, corpus_file, fixture};

#[allow(unused_imports)] // kept for tests that size names
pub use super::testdb::MAX_TEST_DB_NAME;

/// Used when DBSNAP_TEST_PG_URL is not set (plain `cargo test`).
pub const DEFAULT_PG_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A database owned by one test (see [`super::testdb::TestDb`]).
pub type TestDb = super::testdb::TestDb<PgServer>;

/// The PostgreSQL server the tests run against: a superuser URL whose path names
/// a maintenance database (normally `postgres`).
#[derive(Debug, Clone)]
pub struct PgServer {
    url: ServerUrl,
}

/// The server from DBSNAP_TEST_PG_URL (or [`DEFAULT_PG_URL`]), checked once.
pub fn server() -> &'static PgServer {
    PgServer::get()
}

impl Server for PgServer {
    fn session_command(&self, db: &str) -> Command {
        self.psql_command(db)
    }

    const NAME: &'static str = "PostgreSQL";

    fn get() -> &'static Self {
        static SERVER: OnceLock<PgServer> = OnceLock::new();
        SERVER.get_or_init(|| {
            discover_checked(
                "DBSNAP_TEST_PG_URL",
                DEFAULT_PG_URL,
                (5432, "postgres", "postgres"),
                |url| PgServer { url },
            )
        })
    }

    fn base(&self) -> &ServerUrl {
        &self.url
    }

    fn try_sql(&self, db: &str, sql: &str) -> Result<String, String> {
        self.try_psql(db, sql)
    }

    fn sql_file(&self, db: &str, path: &Path) {
        self.psql_file(db, path)
    }

    /// With psql.
    fn load_fixture(&self, db: &str, rel: &str) {
        self.psql_file(db, &fixture(rel))
    }

    fn create_database_sql(name: &str) -> String {
        format!(
            "CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8'",
            ident(name)
        )
    }

    fn drop_database_sql(name: &str) -> String {
        format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", ident(name))
    }

    fn databases_with_prefix(&self, prefix: &str) -> Result<Vec<String>, String> {
        let out = self.try_psql(
            &self.maintenance_db(),
            &format!(
                "SELECT datname FROM pg_database WHERE starts_with(datname, {}) ORDER BY 1",
                literal(prefix)
            ),
        )?;
        Ok(out.lines().map(str::to_string).collect())
    }

    fn inspect_hint(&self, db: &str) -> String {
        format!("psql '{}'", super::redact_url_password(&self.url_for(db)))
    }
}

impl PgServer {
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
        let mut cmd = self.psql_command(db);
        cmd.args(["-f", "-"]);
        let out = feed(cmd, sql.as_bytes().to_vec(), "psql")?;
        checked("psql", db, out)
    }

    /// Runs `sql` in `db` and returns its output (`-At`: unaligned, tuples only).
    /// Panics with psql's stderr on failure.
    #[track_caller]
    pub fn psql(&self, db: &str, sql: &str) -> String {
        self.try_psql(db, sql)
            .unwrap_or_else(|e| panic!("{e}\nSQL: {sql}"))
    }

    /// `psql [-v var=value...] -f path` into `db` with ON_ERROR_STOP; panics on failure.
    #[track_caller]
    pub fn psql_file_with(&self, db: &str, path: &Path, vars: &[(&str, &str)]) {
        let mut cmd = self.psql_command(db);
        for (k, v) in vars {
            cmd.arg("-v").arg(format!("{k}={v}"));
        }
        let out = cmd
            .arg("-f")
            .arg(path)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("cannot run psql: {e}"));
        if let Err(e) = checked("psql", db, out) {
            panic!("loading {}:\n{e}", path.display());
        }
    }

    /// `psql -f path` into `db` with ON_ERROR_STOP; panics on failure.
    #[track_caller]
    pub fn psql_file(&self, db: &str, path: &Path) {
        self.psql_file_with(db, path, &[])
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
        Server::database_exists(self, db)
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

/// A SQL string literal.
pub fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// A quoted SQL identifier.
pub fn ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

// --- per-test databases -----------------------------------------------------------

/// What only PostgreSQL test databases do.
impl TestDb {
    #[track_caller]
    pub fn psql(&self, sql: &str) -> String {
        self.server().psql(self.name(), sql)
    }

    pub fn try_psql(&self, sql: &str) -> Result<String, String> {
        self.server().try_psql(self.name(), sql)
    }

    #[track_caller]
    pub fn psql_file(&self, path: &Path) {
        self.server().psql_file(self.name(), path)
    }

    #[track_caller]
    pub fn pg_dump_schema(&self) -> String {
        self.server().pg_dump_schema(self.name())
    }

    pub fn oid(&self) -> Option<u32> {
        self.server().database_oid(self.name())
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

    /// Loads a sample database of the corpus (guard the test with
    /// `require_corpus!()`).
    #[track_caller]
    pub fn load(&self, sample: Sample) {
        sample.load_into(self);
    }

    /// Loads the project's generated sample database, tests/fixtures/pg/shop.sql,
    /// at `scale` (1: about 4,500 rows).
    #[track_caller]
    pub fn load_shop(&self, scale: u32) {
        self.server().psql_file_with(
            self.name(),
            &fixture(SHOP),
            &[("scale", &scale.to_string())],
        );
    }
}

/// The oracle: `source` and `target` (`target_name` in messages) give the
/// same [`PgServer::pg_dump_schema`].
#[track_caller]
pub fn assert_same_schema(source: &TestDb, target_name: &str, target: &TestDb) {
    assert_same_text(
        "pg_dump",
        "source",
        &source.pg_dump_schema(),
        target_name,
        &target.pg_dump_schema(),
    );
}

/// The project's generated PostgreSQL sample (see its header).
pub const SHOP: &str = "pg/shop.sql";

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
