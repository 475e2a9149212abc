//! MySQL/MariaDB helpers: the test server (DBSNAP_TEST_MYSQL_URL), throwaway
//! databases, mariadb / mysqldump wrappers, the sample-database loaders, the
//! round-trip oracle of tests/fixtures/mysql/README.md, and thin wrappers around
//! the dbsnap commands.
//!
//! Everything that inspects a database shells out to the server's own clients
//! (`mariadb` or `mysql`, and `mysqldump`) so that the oracle shares no code with
//! dbsnap.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use super::server::{checked, discover_checked, feed, Server, ServerUrl};
use super::{assert_same_text, corpus_file, fixture};

#[allow(unused_imports)] // kept for tests that size names
pub use super::testdb::MAX_TEST_DB_NAME;

/// The project's generated MySQL/MariaDB sample (see its header).
pub const SHOP: &str = "mysql/shop.sql";

/// Used when DBSNAP_TEST_MYSQL_URL is not set (plain `cargo test`).
pub const DEFAULT_MYSQL_URL: &str = "mysql://root@127.0.0.1:3306/mysql";

/// A database owned by one test (see [`super::testdb::TestDb`]).
pub type TestDb = super::testdb::TestDb<MyServer>;

/// The MySQL/MariaDB server the tests run against: a URL of a user that may
/// create and drop databases, whose path names an existing database.
#[derive(Debug, Clone)]
pub struct MyServer {
    url: ServerUrl,
    client: &'static str,
    dump: &'static str,
}

/// The first of `candidates` that runs with `--version`.
fn find_tool(candidates: &[&'static str]) -> Option<&'static str> {
    candidates.iter().copied().find(|tool| {
        Command::new(tool)
            .arg("--version")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}

/// The server from DBSNAP_TEST_MYSQL_URL (or [`DEFAULT_MYSQL_URL`]), checked once.
pub fn server() -> &'static MyServer {
    MyServer::get()
}

impl Server for MyServer {
    fn session_command(&self, db: &str) -> Command {
        let mut cmd = self.client_command(db);
        cmd.arg("--unbuffered");
        cmd
    }

    const NAME: &'static str = "MySQL/MariaDB";
    const STALLS_BESIDE_LARGE_VALUES: bool = true;

    fn get() -> &'static Self {
        static SERVER: OnceLock<MyServer> = OnceLock::new();
        SERVER.get_or_init(|| {
            let client = find_tool(&["mariadb", "mysql"])
                .expect("neither `mariadb` nor `mysql` (the command-line client) is on PATH");
            let dump = find_tool(&["mysqldump", "mariadb-dump"])
                .expect("neither `mysqldump` nor `mariadb-dump` is on PATH");
            discover_checked(
                "DBSNAP_TEST_MYSQL_URL",
                DEFAULT_MYSQL_URL,
                (3306, "root", "mysql"),
                |url| MyServer { url, client, dump },
            )
        })
    }

    fn base(&self) -> &ServerUrl {
        &self.url
    }

    fn try_sql(&self, db: &str, sql: &str) -> Result<String, String> {
        MyServer::try_sql(self, db, sql)
    }

    fn sql_file(&self, db: &str, path: &Path) {
        self.load_file(db, path, &[])
    }

    /// As tests/fixtures/mysql/README.md says: `mariadb --comments`.
    fn load_fixture(&self, db: &str, rel: &str) {
        self.load_file(db, &fixture(rel), &["--comments"])
    }

    fn create_database_sql(name: &str) -> String {
        format!("CREATE DATABASE {};", ident(name))
    }

    fn drop_database_sql(name: &str) -> String {
        format!("DROP DATABASE IF EXISTS {};", ident(name))
    }

    /// Names are read as HEX, so nothing in them is escaped by the client.
    fn databases_with_prefix(&self, prefix: &str) -> Result<Vec<String>, String> {
        let out = self.try_sql(
            &self.maintenance_db(),
            "SELECT HEX(SCHEMA_NAME) FROM information_schema.SCHEMATA;",
        )?;
        let mut names: Vec<String> = out
            .lines()
            .filter_map(|l| String::from_utf8(unhex(l).ok()?).ok())
            .filter(|n| n.starts_with(prefix))
            .collect();
        names.sort();
        Ok(names)
    }

    fn inspect_hint(&self, db: &str) -> String {
        format!(
            "{} -h{} -P{} -u{} {db}",
            self.client,
            self.host(),
            self.port(),
            self.user()
        )
    }
}

impl MyServer {
    /// `tool --no-defaults` connected by TCP to the URL's host, port and user
    /// (the password, if any, through MYSQL_PWD). No option file is read, so a
    /// developer's ~/.my.cnf cannot redirect the tests.
    fn tool_command(&self, tool: &str) -> Command {
        let mut cmd = Command::new(tool);
        cmd.arg("--no-defaults")
            .arg(format!("--host={}", self.host()))
            .arg(format!("--port={}", self.port()))
            .arg(format!("--user={}", self.user()))
            .arg("--protocol=TCP")
            .env_remove("MYSQL_HOST")
            .env_remove("MYSQL_TCP_PORT")
            .env_remove("MYSQL_UNIX_PORT");
        match self.password() {
            Some(pw) => cmd.env("MYSQL_PWD", pw),
            None => cmd.env_remove("MYSQL_PWD"),
        };
        cmd
    }

    /// The command-line client on database `db` (batch mode, no column names).
    fn client_command(&self, db: &str) -> Command {
        let mut cmd = self.tool_command(self.client);
        cmd.args([
            "--default-character-set=utf8mb4",
            "--batch",
            "--skip-column-names",
        ])
        .arg(format!("--database={db}"));
        cmd
    }

    /// Runs `sql` (any number of `;`-terminated statements) in `db`; returns
    /// stdout (tab-separated rows, one per line, special characters escaped).
    pub fn try_sql(&self, db: &str, sql: &str) -> Result<String, String> {
        let out = feed(
            self.client_command(db),
            sql.as_bytes().to_vec(),
            self.client,
        )?;
        checked(self.client, db, out)
    }

    /// Like [`MyServer::try_sql`]; panics with the client's stderr on failure.
    #[track_caller]
    pub fn sql(&self, db: &str, sql: &str) -> String {
        self.try_sql(db, sql)
            .unwrap_or_else(|e| panic!("{e}\nSQL: {}", super::truncate_middle(sql, 2000)))
    }

    /// `client [extra...] db < path`; panics on failure.
    #[track_caller]
    pub fn load_file(&self, db: &str, path: &Path, extra: &[&str]) {
        let file = std::fs::File::open(path)
            .unwrap_or_else(|e| panic!("cannot open {}: {e}", path.display()));
        let out = self
            .client_command(db)
            .args(extra)
            .stdin(Stdio::from(file))
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", self.client));
        if let Err(e) = checked(self.client, db, out) {
            panic!("loading {}:\n{e}", path.display());
        }
    }

    /// `mysqldump [args...] db`, raw bytes (a dump need not be valid UTF-8).
    #[track_caller]
    pub fn mysqldump(&self, db: &str, args: &[&str]) -> Vec<u8> {
        let out = self
            .tool_command(self.dump)
            .args(args)
            .arg(db)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", self.dump));
        if !out.status.success() {
            let e = checked(self.dump, db, out).unwrap_err();
            panic!("{e}");
        }
        out.stdout
    }

    /// The schema oracle of tests/fixtures/mysql/README.md:
    /// `mysqldump --no-data --routines --triggers --events --skip-dump-date DB`
    /// with DB (this dump's own database) masked, and AUTO_INCREMENT=N and
    /// DEFINER=... removed.
    #[track_caller]
    pub fn schema_dump(&self, db: &str) -> Vec<u8> {
        let dump = self.mysqldump(
            db,
            &[
                "--no-data",
                "--routines",
                "--triggers",
                "--events",
                "--skip-dump-date",
            ],
        );
        mask_dump(&dump, db)
    }

    pub fn database_exists(&self, db: &str) -> bool {
        Server::database_exists(self, db)
    }

    /// Every database on the server, sorted.
    #[track_caller]
    pub fn databases(&self) -> Vec<String> {
        self.databases_with_prefix("")
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// dbsnap's staging databases for `target` (`<target>__dbsnap_...`).
    #[track_caller]
    pub fn staging_leftovers(&self, target: &str) -> Vec<String> {
        self.databases_with_prefix(&format!("{target}__dbsnap_"))
            .unwrap_or_else(|e| panic!("{e}"))
    }
}

fn unhex(s: &str) -> Result<Vec<u8>, String> {
    let s = s.trim();
    if !s.len().is_multiple_of(2) {
        return Err(format!("odd-length hex {s:?}"));
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).map_err(|e| format!("hex {s:?}: {e}")))
        .collect()
}

#[track_caller]
fn unhex_utf8(s: &str) -> String {
    let bytes = unhex(s).unwrap_or_else(|e| panic!("{e}"));
    String::from_utf8(bytes).unwrap_or_else(|e| panic!("name is not UTF-8: {e}"))
}

/// A SQL string literal (backslashes escaped too: the default sql_mode treats
/// them as escapes).
pub fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "''"))
}

/// A quoted SQL identifier.
pub fn ident(s: &str) -> String {
    format!("`{}`", s.replace('`', "``"))
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Replaces every occurrence of `word` that has no word character
/// (`[A-Za-z0-9_]`) on either side, like sed's `\bword\b`.
fn replace_word(line: &[u8], word: &[u8], with: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(line.len());
    let mut i = 0;
    while i < line.len() {
        if line[i..].starts_with(word)
            && (i == 0 || !is_word_byte(line[i - 1]))
            && line.get(i + word.len()).is_none_or(|&b| !is_word_byte(b))
        {
            out.extend_from_slice(with);
            i += word.len();
        } else {
            out.push(line[i]);
            i += 1;
        }
    }
    out
}

/// `sed -E "s/\bDB\b/DBNAME/g; s/ AUTO_INCREMENT=[0-9]+//; s/DEFINER=[^ ]+//g"`.
pub fn mask_dump(dump: &[u8], db: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(dump.len());
    for line in dump.split_inclusive(|&b| b == b'\n') {
        let mut line = replace_word(line, db.as_bytes(), b"DBNAME");
        // s/ AUTO_INCREMENT=[0-9]+// (first match on the line only)
        const AI: &[u8] = b" AUTO_INCREMENT=";
        if let Some(pos) = line
            .windows(AI.len())
            .enumerate()
            .find(|(i, w)| *w == AI && line.get(i + AI.len()).is_some_and(u8::is_ascii_digit))
            .map(|(i, _)| i)
        {
            let mut end = pos + AI.len();
            while line.get(end).is_some_and(u8::is_ascii_digit) {
                end += 1;
            }
            line.drain(pos..end);
        }
        // s/DEFINER=[^ ]+//g
        const DEF: &[u8] = b"DEFINER=";
        let mut masked = Vec::with_capacity(line.len());
        let mut i = 0;
        while i < line.len() {
            let rest = &line[i..];
            let value_len = rest
                .get(DEF.len()..)
                .map(|v| v.iter().take_while(|&&b| b != b' ').count())
                .unwrap_or(0);
            if rest.starts_with(DEF) && value_len > 0 {
                i += DEF.len() + value_len;
            } else {
                masked.push(line[i]);
                i += 1;
            }
        }
        out.extend_from_slice(&masked);
    }
    out
}

/// Asserts two byte strings (e.g. dumps, which need not be UTF-8) are equal,
/// with a text diff on failure.
#[track_caller]
pub fn assert_same_bytes(what: &str, left_name: &str, left: &[u8], right_name: &str, right: &[u8]) {
    if left == right {
        return;
    }
    let l = String::from_utf8_lossy(left);
    let r = String::from_utf8_lossy(right);
    assert_same_text(what, left_name, &l, right_name, &r);
    let at = left.iter().zip(right).take_while(|(a, b)| a == b).count();
    panic!(
        "{what}: {left_name} and {right_name} differ only in bytes that are not UTF-8, first at byte {at}: {:?} vs {:?}",
        &left[at..(at + 40).min(left.len())],
        &right[at..(at + 40).min(right.len())]
    );
}

// --- per-test databases -----------------------------------------------------------

/// What only MySQL/MariaDB test databases do.
impl TestDb {
    /// `client [extra...] <db> < path`.
    #[track_caller]
    pub fn load_file(&self, path: &Path, extra: &[&str]) {
        self.server().load_file(self.name(), path, extra)
    }

    /// Loads the project's generated sample, tests/fixtures/mysql/shop.sql.
    #[track_caller]
    pub fn load_shop(&self) {
        self.load_fixture(SHOP);
    }

    /// Loads a sample database of the corpus (guard the test with
    /// `if !corpus_present() { return; }`).
    #[track_caller]
    pub fn load(&self, sample: Sample) {
        sample.load_into(self);
    }

    /// The masked mysqldump schema (see [`MyServer::schema_dump`]).
    #[track_caller]
    pub fn schema_dump(&self) -> Vec<u8> {
        self.server().schema_dump(self.name())
    }

    #[track_caller]
    pub fn mysqldump(&self, args: &[&str]) -> Vec<u8> {
        self.server().mysqldump(self.name(), args)
    }

    /// `(name, TABLE_TYPE, AUTO_INCREMENT)` of every table, view and sequence,
    /// sorted by name (bytewise: `MixedCase` and `mixedcase` are distinct).
    pub fn tables(&self) -> Vec<(String, String, Option<u64>)> {
        let out = self.sql(&format!(
            "SELECT HEX(TABLE_NAME), TABLE_TYPE, IFNULL(AUTO_INCREMENT, '-') \
             FROM information_schema.TABLES WHERE TABLE_SCHEMA = {};",
            literal(self.name())
        ));
        let mut rows: Vec<(String, String, Option<u64>)> = out
            .lines()
            .map(|l| {
                let f: Vec<&str> = l.split('\t').collect();
                assert_eq!(f.len(), 3, "unexpected row {l:?}");
                let ai = if f[2] == "-" {
                    None
                } else {
                    Some(
                        f[2].parse()
                            .unwrap_or_else(|e| panic!("AUTO_INCREMENT {l:?}: {e}")),
                    )
                };
                (unhex_utf8(f[0]), f[1].to_string(), ai)
            })
            .collect();
        rows.sort();
        rows
    }

    /// Names of the base tables, sorted.
    pub fn base_tables(&self) -> Vec<String> {
        self.tables()
            .into_iter()
            .filter(|(_, kind, _)| kind == "BASE TABLE")
            .map(|(n, _, _)| n)
            .collect()
    }

    /// `SELECT COUNT(*) FROM table`.
    #[track_caller]
    pub fn count(&self, table: &str) -> u64 {
        let out = self.sql(&format!("SELECT COUNT(*) FROM {};", ident(table)));
        out.trim()
            .parse()
            .unwrap_or_else(|e| panic!("COUNT(*) of {table}: {out:?}: {e}"))
    }

    /// `information_schema.TABLES.AUTO_INCREMENT` of `table`.
    #[track_caller]
    pub fn auto_increment(&self, table: &str) -> Option<u64> {
        self.tables()
            .into_iter()
            .find(|(n, _, _)| n == table)
            .unwrap_or_else(|| panic!("no table {table} in {}", self.name()))
            .2
    }

    /// Row counts, `CHECKSUM TABLE .. EXTENDED`, AUTO_INCREMENT counters and
    /// sequence rows: the data part of the oracle.
    #[track_caller]
    pub fn data_state(&self) -> DataState {
        DataState::capture(self)
    }
}

// --- the data oracle ---------------------------------------------------------------

/// The data part of the oracle (README points 2-4), rendered as text for diffs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataState {
    /// Base table -> (COUNT(*), CHECKSUM TABLE .. EXTENDED).
    pub tables: BTreeMap<String, (u64, String)>,
    /// Table -> information_schema.TABLES.AUTO_INCREMENT (non-NULL ones).
    pub counters: BTreeMap<String, u64>,
    /// Sequence -> `SELECT * FROM seq` (tab-separated).
    pub sequences: BTreeMap<String, String>,
}

impl DataState {
    #[track_caller]
    pub fn capture(db: &TestDb) -> DataState {
        let all = db.tables();
        let mut script = String::new();
        let mut expected = Vec::new();
        for (name, kind, _) in &all {
            match kind.as_str() {
                "BASE TABLE" => {
                    script.push_str(&format!(
                        "SELECT COUNT(*) FROM {t};\nCHECKSUM TABLE {t} EXTENDED;\n",
                        t = ident(name)
                    ));
                    expected.push(("table", name));
                }
                "SEQUENCE" => {
                    script.push_str(&format!("SELECT * FROM {};\n", ident(name)));
                    expected.push(("sequence", name));
                }
                _ => {}
            }
        }
        let out = if script.is_empty() {
            String::new()
        } else {
            db.sql(&script)
        };
        let mut lines = out.lines();
        let mut next = |what: &str, name: &str| -> String {
            lines
                .next()
                .unwrap_or_else(|| panic!("no {what} line for {name} in {}", db.name()))
                .to_string()
        };
        let mut tables = BTreeMap::new();
        let mut sequences = BTreeMap::new();
        for (kind, name) in expected {
            if kind == "table" {
                let count = next("COUNT(*)", name);
                let count: u64 = count
                    .trim()
                    .parse()
                    .unwrap_or_else(|e| panic!("COUNT(*) of {name}: {count:?}: {e}"));
                // `db.table<TAB>checksum`: keep the checksum only (db names differ).
                let checksum = next("CHECKSUM TABLE", name);
                let checksum = checksum.rsplit('\t').next().unwrap_or_default().to_string();
                tables.insert(name.clone(), (count, checksum));
            } else {
                sequences.insert(name.clone(), next("SELECT * FROM", name));
            }
        }
        let rest: Vec<&str> = lines.collect();
        assert!(rest.is_empty(), "unexpected output lines: {rest:?}");
        let counters = all
            .iter()
            .filter_map(|(n, _, ai)| ai.map(|ai| (n.clone(), ai)))
            .collect();
        DataState {
            tables,
            counters,
            sequences,
        }
    }

    /// One line per fact, for [`assert_same_text`].
    pub fn render(&self) -> String {
        let mut s = String::new();
        for (t, (count, checksum)) in &self.tables {
            s.push_str(&format!(
                "table {}: {count} rows, CHECKSUM TABLE {checksum}\n",
                ident(t)
            ));
        }
        for (t, ai) in &self.counters {
            s.push_str(&format!("AUTO_INCREMENT {}: {ai}\n", ident(t)));
        }
        for (t, row) in &self.sequences {
            s.push_str(&format!("sequence {}: {row}\n", ident(t)));
        }
        s
    }
}

/// A database's masked schema dump and its data state, to prove that a run
/// changed neither.
pub struct SchemaAndData {
    dump: Vec<u8>,
    data: String,
}

impl SchemaAndData {
    pub fn capture(db: &TestDb) -> SchemaAndData {
        SchemaAndData {
            dump: db.schema_dump(),
            data: db.data_state().render(),
        }
    }

    /// Panics unless `db` holds and dumps as when captured; `after` names
    /// the moment in messages.
    #[track_caller]
    pub fn assert_unchanged(&self, db: &TestDb, after: &str) {
        assert_same_text(
            "data",
            "before",
            &self.data,
            after,
            &db.data_state().render(),
        );
        assert_same_bytes("mysqldump", "before", &self.dump, after, &db.schema_dump());
    }
}

/// The oracle of tests/fixtures/mysql/README.md: masked mysqldump schemas equal,
/// and equal row counts, CHECKSUM TABLE, AUTO_INCREMENT counters and sequences.
#[track_caller]
pub fn assert_same_database(source: &TestDb, target: &TestDb) {
    assert_same_bytes(
        "mysqldump",
        "source",
        &source.schema_dump(),
        "target",
        &target.schema_dump(),
    );
    assert_same_data(source, target);
}

/// The data part of the oracle only.
#[track_caller]
pub fn assert_same_data(source: &TestDb, target: &TestDb) {
    let src = source.data_state();
    assert!(!src.tables.is_empty(), "{} has no tables", source.name());
    assert_same_text(
        "data",
        "source",
        &src.render(),
        "target",
        &target.data_state().render(),
    );
}

// --- corpus samples ---------------------------------------------------------------

/// Sample databases of `../shared/corpus/mysql` (see its README).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sample {
    /// sakila-mv-schema.sql then sakila-mv-data.sql, with `sakila` rewritten to
    /// the test database and the DROP/CREATE SCHEMA and USE lines blanked.
    SakilaMv,
    /// Chinook_MySql.sql from the line after `` USE `Chinook`; ``.
    Chinook,
}

impl Sample {
    pub fn files(self) -> Vec<PathBuf> {
        let rels: &[&str] = match self {
            Sample::SakilaMv => &[
                "mysql/sakila_mv/sakila-mv-schema.sql",
                "mysql/sakila_mv/sakila-mv-data.sql",
            ],
            Sample::Chinook => &["mysql/chinook/Chinook_MySql.sql"],
        };
        rels.iter().map(|r| corpus_file(r)).collect()
    }

    #[track_caller]
    pub fn load_into(self, db: &TestDb) {
        for file in self.files() {
            let text = std::fs::read(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            let rewritten = match self {
                Sample::SakilaMv => rewrite_sakila(&file, &text, db.name()),
                Sample::Chinook => skip_through(&file, &text, b"USE `Chinook`;"),
            };
            let tmp = temp_sql(&rewritten);
            db.load_file(tmp.path(), &["--comments"]);
        }
    }
}

/// Lines without their line terminator (`\n`, and a `\r` before it).
fn bare(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Blanks the lines of `DROP SCHEMA IF EXISTS sakila;`, `CREATE SCHEMA sakila;`
/// and `USE sakila;` (blank, not removed, so the client's line numbers still
/// match the file), and rewrites every other `sakila` word (e.g. the qualified
/// `sakila.film` in a view) to the quoted test database name.
fn rewrite_sakila(path: &Path, text: &[u8], db: &str) -> Vec<u8> {
    const BLANKED: [&[u8]; 3] = [
        b"DROP SCHEMA IF EXISTS sakila;",
        b"CREATE SCHEMA sakila;",
        b"USE sakila;",
    ];
    let mut out = Vec::with_capacity(text.len() + 1024);
    let mut saw_use = false;
    for line in text.split_inclusive(|&b| b == b'\n') {
        if BLANKED.contains(&bare(line)) {
            saw_use |= bare(line) == b"USE sakila;";
            out.push(b'\n');
        } else {
            out.extend(replace_word(line, b"sakila", ident(db).as_bytes()));
        }
    }
    assert!(saw_use, "{}: no `USE sakila;` line", path.display());
    out
}

/// Blanks every line up to and including the first one equal to `marker`.
fn skip_through(path: &Path, text: &[u8], marker: &[u8]) -> Vec<u8> {
    let lines: Vec<&[u8]> = text.split_inclusive(|&b| b == b'\n').collect();
    let at = lines
        .iter()
        .position(|l| bare(l) == marker)
        .unwrap_or_else(|| {
            panic!(
                "{}: no `{}` line",
                path.display(),
                String::from_utf8_lossy(marker)
            )
        });
    let mut out = Vec::with_capacity(text.len());
    for (i, line) in lines.iter().enumerate() {
        if i <= at {
            out.push(b'\n');
        } else {
            out.extend_from_slice(line);
        }
    }
    out
}

fn temp_sql(content: &[u8]) -> tempfile::NamedTempFile {
    let mut out = tempfile::Builder::new()
        .prefix("dbsnap-it-")
        .suffix(".sql")
        .tempfile()
        .expect("temp file");
    out.write_all(content).expect("write temp file");
    out.flush().expect("flush temp file");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_like_the_readme_sed() {
        let dump = b"-- Host: h    Database: db_x\n  `n` bigint DEFAULT nextval(`db_x`.`s`),\n) ENGINE=InnoDB AUTO_INCREMENT=17 DEFAULT CHARSET=utf8mb4;\n/*!50013 DEFINER=`root`@`localhost` SQL SECURITY DEFINER */\nCREATE TABLE db_x2 (a int);\n";
        let masked = mask_dump(dump, "db_x");
        assert_eq!(
            String::from_utf8(masked).unwrap(),
            "-- Host: h    Database: DBNAME\n  `n` bigint DEFAULT nextval(`DBNAME`.`s`),\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;\n/*!50013  SQL SECURITY DEFINER */\nCREATE TABLE db_x2 (a int);\n"
        );
    }

    #[test]
    fn rewrites_sakila_words_only() {
        let text = b"DROP SCHEMA IF EXISTS sakila;\nCREATE SCHEMA sakila;\nUSE sakila;\r\nFROM sakila.film f\n'MySakila', 'x@sakilacustomer.org'\n";
        let out = rewrite_sakila(Path::new("x"), text, "t_db");
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "\n\n\nFROM `t_db`.film f\n'MySakila', 'x@sakilacustomer.org'\n"
        );
    }
}
