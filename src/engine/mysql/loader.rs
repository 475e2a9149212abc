//! One loading connection: the rows of each checked INSERT go to the server
//! through `LOAD DATA LOCAL INFILE`, fed from memory (the server parses that
//! several times faster than INSERT), or as the INSERT itself where a rewrite
//! would not be exact.
//!
//! LOAD DATA LOCAL cannot stop the client's transfer, so the server turns
//! its errors (duplicate keys, bad values) into warnings and goes on. Every
//! LOAD therefore runs after a savepoint: unless it stored exactly its rows
//! without a single warning, it is rolled back and the INSERT is sent
//! instead, which fails or warns exactly as it always did, naming its line.
//! Tables whose engine cannot roll back, or with triggers, only get INSERTs.
//!
//! In import's one transaction, the consecutive INSERTs of a table go
//! through one LOAD (`insert_run`): InnoDB loads an empty table in bulk only
//! within one statement after the last savepoint. Measured on the bench's
//! 1M-row shop data set: 32 s with a LOAD per INSERT, 21 s with one per table.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use anyhow::{anyhow, Result};
use bytes::Bytes;
use futures_util::StreamExt;
use mysql_async::prelude::Queryable;
use mysql_async::Conn;

use super::infile::{self, ColumnClass, LoadColumn, Mapping};
use super::warnings;
use crate::error::{ServerError, TARGET_HOLDS_ROWS};
use crate::script::statement::{sql_mode_ok, Dialect, TableName};

/// The size of the pieces the rows are sent in: well below any server's
/// max_allowed_packet (a LOAD DATA value may span many pieces).
const CHUNK: usize = 256 * 1024;

/// The test hook DBSNAP_TEST_INEXACT_LOAD, read once rather than per LOAD.
static INEXACT_FOR_TESTS: std::sync::LazyLock<bool> =
    std::sync::LazyLock::new(|| std::env::var_os("DBSNAP_TEST_INEXACT_LOAD").is_some());

/// How the connection's transaction is held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transaction {
    /// The caller has begun the one transaction: each LOAD is a savepoint in it.
    Caller,
    /// Autocommit (init's loading connections): each LOAD is a transaction of its own.
    PerStatement,
}

/// Whether LOAD DATA LOCAL may be used, shared by the connections of one load.
#[derive(Debug, Clone)]
pub struct Infile(Arc<AtomicBool>);

impl Infile {
    /// Asks the server whether it accepts LOAD DATA LOCAL; says so once if not.
    pub async fn probe(conn: &mut Conn) -> Infile {
        let on: Option<Option<i64>> = conn.query_first("SELECT @@GLOBAL.local_infile").await.ok();
        let on = on.flatten().unwrap_or(0) == 1;
        let infile = Infile(Arc::new(AtomicBool::new(true)));
        if !on {
            infile.turn_off();
        }
        infile
    }

    fn on(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    fn turn_off(&self) {
        if self.0.swap(false, Ordering::Relaxed) {
            eprintln!(
                "dbsnap: note: the server does not accept LOAD DATA LOCAL INFILE (local_infile=OFF); \
                 rows are loaded with INSERT statements, which is slower"
            );
        }
    }
}

/// Statements large enough that two of them side by side can stall InnoDB,
/// shared by the loading connections of one load, which send them one at a
/// time. MariaDB wants a redo log of ten times the largest value written;
/// with less, two sessions each writing a 24 MB value into the 96 MiB
/// default stalled the server for good (README, "Known limits").
#[derive(Debug, Clone)]
pub struct LargeStatements(Arc<LargeState>);

#[derive(Debug)]
struct LargeState {
    /// Statements of more bytes than this take `one_at_a_time`.
    threshold: u64,
    /// The redo log's size, and the setting that sizes it.
    redo: u64,
    setting: &'static str,
    one_at_a_time: Arc<tokio::sync::Mutex<()>>,
    warned: AtomicBool,
}

impl LargeStatements {
    /// Reads the redo log's size; a tenth of it is the threshold
    /// (DBSNAP_TEST_LARGE_STATEMENT_BYTES sets it for the tests).
    pub async fn probe(conn: &mut Conn) -> LargeStatements {
        async fn global(conn: &mut Conn, name: &str) -> Option<u64> {
            let v: Option<Option<u64>> = conn
                .query_first(format!("SELECT @@GLOBAL.{name}"))
                .await
                .ok();
            v.flatten().filter(|&n| n > 0)
        }
        // MySQL 8.0.30 sizes the redo log with one setting; before it (and
        // MariaDB before 10.5) the log is several files of one size.
        let (redo, setting) = match global(conn, "innodb_redo_log_capacity").await {
            Some(capacity) => (Some(capacity), "innodb_redo_log_capacity"),
            None => {
                let size = global(conn, "innodb_log_file_size").await;
                let files = global(conn, "innodb_log_files_in_group").await.unwrap_or(1);
                (size.map(|s| s * files), "innodb_log_file_size")
            }
        };
        let threshold = std::env::var("DBSNAP_TEST_LARGE_STATEMENT_BYTES")
            .ok()
            .and_then(|v| v.parse().ok())
            .or(redo.map(|r| r / 10))
            .unwrap_or(u64::MAX);
        LargeStatements(Arc::new(LargeState {
            threshold,
            redo: redo.unwrap_or(0),
            setting,
            one_at_a_time: Arc::new(tokio::sync::Mutex::new(())),
            warned: AtomicBool::new(false),
        }))
    }

    /// Waits for the turn of a large statement; None for the others.
    async fn turn(
        &self,
        table: &TableName,
        len: usize,
    ) -> Option<tokio::sync::OwnedMutexGuard<()>> {
        let state = &self.0;
        if (len as u64) <= state.threshold {
            return None;
        }
        if !state.warned.swap(true, Ordering::Relaxed) {
            eprintln!(
                "dbsnap: warning: table {} has a statement of {}, more than a tenth of the server's redo log \
                 ({} = {}); two such statements side by side can stall InnoDB, so they are loaded one at a \
                 time, which is slower. Raise {} to at least ten times the largest value to load them in parallel",
                table.quoted(Dialect::MySql),
                crate::progress::human_bytes(len as u64),
                state.setting,
                crate::progress::human_bytes(state.redo),
                state.setting,
            );
        }
        Some(state.one_at_a_time.clone().lock_owned().await)
    }
}

/// The session state a rewrite depends on, read from the server.
struct Session {
    charset: String,
    max_packet: u64,
}

/// A table as LOAD DATA sees it.
#[derive(Clone)]
struct Target {
    /// (name, class, invisible), in table order.
    columns: Vec<(String, ColumnClass, bool)>,
    /// With a SET clause, MariaDB's LOAD DATA ignores NO_AUTO_VALUE_ON_ZERO
    /// and gives an AUTO_INCREMENT column's 0 a new value: such a table's
    /// rows that need CONVERT go as the INSERT they are.
    auto_increment: bool,
}

/// What went wrong with a statement, for the caller's message.
pub enum Failure {
    /// The server refused the statement; the connection is usable.
    Server(mysql_async::Error),
    /// The connection is gone.
    Lost(mysql_async::Error),
    /// Refused before it was sent.
    Other(anyhow::Error),
}

impl Failure {
    pub(super) fn of(e: mysql_async::Error) -> Failure {
        if super::connect::connection_lost(&e) {
            Failure::Lost(e)
        } else {
            Failure::Server(e)
        }
    }
}

pub struct Loader<'c> {
    conn: &'c mut Conn,
    mode: Transaction,
    infile: Infile,
    session: Option<Option<Session>>,
    /// None: this table only takes INSERTs.
    targets: HashMap<TableName, Option<Target>>,
    /// Why the caller's transaction can no longer be trusted, once a LOAD
    /// was undone in it while MariaDB loaded in bulk (see `settle`).
    doubt: Option<String>,
    /// Set when other connections load beside this one.
    large: Option<LargeStatements>,
}

impl<'c> Loader<'c> {
    pub fn new(conn: &'c mut Conn, mode: Transaction, infile: Infile) -> Loader<'c> {
        Loader {
            conn,
            mode,
            infile,
            session: None,
            targets: HashMap::new(),
            doubt: None,
            large: None,
        }
    }

    /// Set once a LOAD was undone in the caller's transaction while MariaDB
    /// loaded empty tables in bulk: the caller must not commit (see `settle`).
    pub fn doubt(&self) -> Option<&str> {
        self.doubt.as_deref()
    }

    /// Other connections load beside this one: large statements wait for
    /// each other.
    pub fn beside_others(mut self, large: LargeStatements) -> Loader<'c> {
        self.large = Some(large);
        self
    }

    /// Fails when a column of `table` would round or cut the values of the
    /// type the file records for it ([`super::column_types`]).
    pub async fn check_types(
        &mut self,
        table: &TableName,
        sql: &str,
        types: &[String],
    ) -> Result<()> {
        super::column_types::check(self.conn, table, sql, types).await
    }

    /// A session setting from the file; the session is read again before the next load.
    pub async fn setting(&mut self, sql: &str) -> Result<(), Failure> {
        self.session = None;
        self.conn.query_drop(sql).await.map_err(Failure::of)?;
        self.session_still_reads_as_we_do().await
    }

    /// Each setting was checked on its own; what they add up to is read
    /// back. In another sql_mode (NO_BACKSLASH_ESCAPES, ANSI_QUOTES) or a
    /// client character set whose characters may end in a backslash (gbk,
    /// sjis, big5), the server would read the file's strings otherwise than
    /// the statement checks did, and a string could end early and let SQL in.
    async fn session_still_reads_as_we_do(&mut self) -> Result<(), Failure> {
        let row: Option<(String, String, String)> = self
            .conn
            .query_first("SELECT @@character_set_client, @@character_set_connection, @@sql_mode")
            .await
            .map_err(Failure::of)?;
        let Some((client, connection, mode)) = row else {
            return Ok(());
        };
        let plain = |c: &str| {
            ["utf8mb4", "utf8mb3", "utf8", "latin1", "ascii", "binary"]
                .iter()
                .any(|ok| c.eq_ignore_ascii_case(ok))
        };
        if plain(&client) && plain(&connection) && sql_mode_ok(&mode) {
            return Ok(());
        }
        Err(Failure::Other(anyhow::anyhow!(
            "the file's settings leave the session in sql_mode '{mode}' with character sets \
             {client}/{connection}, in which its statements would not be read as they were \
             checked: refused. Nothing was committed"
        )))
    }

    /// Loads the rows of one checked INSERT of `table`.
    pub async fn insert(&mut self, table: &TableName, sql: &str) -> Result<(), Failure> {
        let _turn = match self.large.clone() {
            Some(large) => large.turn(table, sql.len()).await,
            None => None,
        };
        self.send(table, sql).await
    }

    async fn send(&mut self, table: &TableName, sql: &str) -> Result<(), Failure> {
        if self.infile.on() && self.try_load(table, sql).await? {
            return Ok(());
        }
        let infile_on = self.infile.on();
        if let Some(session) = self.session().await? {
            if sql.len() as u64 + 1 > session.max_packet {
                return Err(Failure::Other(anyhow!(
                    "the statement is {} bytes, more than the server's max_allowed_packet ({} bytes), and its rows \
                     cannot go through LOAD DATA LOCAL INFILE here ({}); raise max_allowed_packet on the server \
                     (SET GLOBAL max_allowed_packet = ...) or enable local_infile",
                    sql.len(),
                    session.max_packet,
                    if infile_on {
                        "the table's engine cannot roll back, it has triggers, or a value has no exact rewrite"
                    } else {
                        "local_infile is OFF"
                    }
                )));
            }
        }
        self.conn.query_drop(sql).await.map_err(Failure::of)?;
        warnings::check(self.conn, table, sql).await
    }

    async fn session(&mut self) -> Result<Option<&Session>, Failure> {
        if self.session.is_none() {
            let row: Option<(String, String, String, u64)> = self
                .conn
                .query_first(
                    "SELECT @@character_set_client, @@character_set_connection, @@sql_mode, @@max_allowed_packet",
                )
                .await
                .map_err(Failure::of)?;
            let session = row.and_then(|(client, connection, mode, max_packet)| {
                // The rewrite reads literals as the server does only with
                // backslash escapes and one character set on the way in.
                let plain = client == connection
                    && !mode.split(',').any(|m| m == "NO_BACKSLASH_ESCAPES")
                    && connection
                        .bytes()
                        .all(|c| c.is_ascii_alphanumeric() || c == b'_');
                plain.then_some(Session {
                    charset: connection,
                    max_packet,
                })
            });
            self.session = Some(session);
        }
        Ok(self.session.as_ref().and_then(Option::as_ref))
    }

    async fn target(&mut self, table: &TableName) -> Result<Option<&Target>, Failure> {
        if !self.targets.contains_key(table) {
            let target = read_target(self.conn, &table.name)
                .await
                .map_err(Failure::of)?;
            self.targets.insert(table.clone(), target);
        }
        Ok(self.targets.get(table).and_then(Option::as_ref))
    }

    /// An INSERT's rows in LOAD DATA's form, when they have an exact rewrite
    /// into `table` (None: the INSERT must be sent as it is).
    async fn rows_of(&mut self, table: &TableName, sql: &str) -> Result<Option<Rows>, Failure> {
        let Some(charset) = self.session().await?.map(|s| s.charset.clone()) else {
            return Ok(None);
        };
        let Some(target) = self.target(table).await? else {
            return Ok(None);
        };
        Ok(target.rows_of(table, sql, &charset))
    }

    /// Opens the LOAD's undo point: a savepoint in the caller's transaction,
    /// or a transaction of its own. False when no savepoint is possible (the
    /// INSERT must be sent; LOAD DATA is off for the rest of the load).
    async fn begin(&mut self, table: &TableName) -> Result<bool, Failure> {
        let begin = match self.mode {
            Transaction::Caller => "SAVEPOINT dbsnap_rows",
            Transaction::PerStatement => "START TRANSACTION",
        };
        match self.conn.query_drop(begin).await {
            Ok(()) => Ok(true),
            // Once a table of an engine without savepoints (Aria) has rows in
            // the transaction, no SAVEPOINT is possible until it ends.
            Err(mysql_async::Error::Server(e)) if e.code == 1178 => {
                eprintln!(
                    "dbsnap: note: {}: the transaction holds rows of a table whose engine has no savepoints; \
                     the rows that follow are loaded with INSERT statements, which is slower",
                    table.quoted(Dialect::MySql)
                );
                self.infile = Infile(Arc::new(AtomicBool::new(false)));
                Ok(false)
            }
            Err(e) => Err(Failure::of(e)),
        }
    }

    /// Keeps the LOAD if it stored exactly `rows` rows without a warning,
    /// else undoes it; true when kept.
    async fn settle(
        &mut self,
        loaded: Result<(), mysql_async::Error>,
        rows: u64,
    ) -> Result<bool, Failure> {
        let (undo, keep) = match self.mode {
            Transaction::Caller => ("ROLLBACK TO SAVEPOINT dbsnap_rows", None),
            Transaction::PerStatement => ("ROLLBACK", Some("COMMIT")),
        };
        let exact = match &loaded {
            // The test hook takes an exact LOAD for an inexact one, so the
            // path below can be tested without a LOAD that misreads a value.
            Ok(()) if *INEXACT_FOR_TESTS => false,
            Ok(()) => self.conn.affected_rows() == rows && self.conn.get_warnings() == 0,
            Err(mysql_async::Error::Server(e)) if local_infile_refused(e.code) => {
                self.infile.turn_off();
                false
            }
            // A lock wait that timed out, or a deadlock: the INSERT would
            // wait for the same lock again (doubling --lock-timeout).
            Err(mysql_async::Error::Server(e)) if matches!(e.code, 1205 | 1213) => {
                return Err(Failure::of(loaded.unwrap_err()))
            }
            Err(mysql_async::Error::Server(_)) => false,
            Err(_) => return Err(Failure::of(loaded.unwrap_err())),
        };
        if exact {
            if let Some(keep) = keep {
                self.conn.query_drop(keep).await.map_err(Failure::of)?;
            }
            return Ok(true);
        }
        if self.mode == Transaction::Caller && self.doubt.is_none() {
            self.doubt = self.bulk_rollback_risk(&loaded, rows).await?;
        }
        // The INSERT says what was wrong, as it always did.
        if let Err(e) = self.conn.query_drop(undo).await {
            return Err(match loaded {
                Err(load) => Failure::of(load),
                Ok(()) => Failure::of(e),
            });
        }
        Ok(false)
    }

    /// With UNIQUE_CHECKS and FOREIGN_KEY_CHECKS off, MariaDB (10.6 and
    /// later) loads an empty InnoDB table in bulk, and a row error there
    /// (a duplicate key, even one LOAD DATA LOCAL reports as a warning) rolls
    /// back the whole transaction, the rows before the savepoint too, while
    /// the session carries on. Undoing such a LOAD and sending its INSERTs
    /// could then commit a load with earlier tables silently empty. The
    /// INSERTs still run, to name the line that fails; if none does, the
    /// caller stops on this reason. Some(why) when that risk applies.
    async fn bulk_rollback_risk(
        &mut self,
        loaded: &Result<(), mysql_async::Error>,
        rows: u64,
    ) -> Result<Option<String>, Failure> {
        let risk: Option<i64> = self
            .conn
            .query_first(
                "SELECT @@SESSION.unique_checks = 0 AND @@SESSION.foreign_key_checks = 0 \
                 AND VERSION() LIKE '%MariaDB%'",
            )
            .await
            .map_err(Failure::of)?;
        if risk != Some(1) {
            return Ok(None);
        }
        let why = match loaded {
            Err(e) => e.to_string(),
            Ok(()) => {
                let first: Option<(String, u32, String)> = self
                    .conn
                    .query_first("SHOW WARNINGS LIMIT 1")
                    .await
                    .map_err(Failure::of)?;
                match first {
                    Some((_, code, message)) => format!("warning {code}: {message}"),
                    None => format!("{} rows stored of {rows}", self.conn.affected_rows()),
                }
            }
        };
        Ok(Some(why))
    }

    /// Sends the rows through LOAD DATA; false when the INSERT must be sent
    /// instead (nothing of the LOAD is left in the table then).
    async fn try_load(&mut self, table: &TableName, sql: &str) -> Result<bool, Failure> {
        let Some(rows) = self.rows_of(table, sql).await? else {
            return Ok(false);
        };
        if !self.begin(table).await? {
            return Ok(false);
        }
        let chunks = pieces(Bytes::from(rows.data));
        self.conn.set_infile_handler(async move {
            Ok(futures_util::stream::iter(chunks.into_iter().map(Ok)).boxed())
        });
        let loaded = self.conn.query_drop(&rows.statement).await;
        self.settle(loaded, rows.count).await
    }

    /// Loads the rows of an INSERT of `table` and of the INSERTs of the same
    /// table that follow it in `more`, as one LOAD DATA after one savepoint of
    /// the caller's transaction. One statement, not one per INSERT, is what
    /// lets InnoDB load an empty table in bulk (its rows sorted into the
    /// indexes, no undo record per row; a savepoint or a second LOAD ends
    /// that). If the LOAD is not exact, nothing of it is left and the
    /// returned lines (the first and last INSERT it read) must be loaded
    /// again INSERT by INSERT, as `insert` does, to find the statement at fault.
    pub async fn insert_run<M: Following>(
        &mut self,
        table: &TableName,
        sql: &str,
        line: u64,
        more: &mut M,
    ) -> Result<Run, Failure> {
        if self.mode != Transaction::Caller || !self.infile.on() {
            return self.insert(table, sql).await.map(|()| Run::Loaded);
        }
        let Some(first) = self.rows_of(table, sql).await? else {
            return self.insert(table, sql).await.map(|()| Run::Loaded);
        };
        if !self.begin(table).await? {
            return self.insert(table, sql).await.map(|()| Run::Loaded);
        }
        let charset = match self.session().await? {
            Some(session) => session.charset.clone(),
            None => unreachable!("rows_of found the session plain"),
        };
        let target = match self.target(table).await? {
            Some(target) => target.clone(),
            None => unreachable!("rows_of found the target"),
        };
        let mut fed = Fed {
            rows: first.count,
            last: line,
        };
        // A few pieces in flight: the reader converts the next INSERT while
        // the server reads these.
        let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(8);
        self.conn.set_infile_handler(async move {
            Ok(futures_util::stream::unfold(rx, |mut rx| async move {
                rx.recv().await.map(|piece| (Ok(piece), rx))
            })
            .boxed())
        });
        let loaded = {
            let feed = feed_run(
                table,
                &first,
                first.data.clone(),
                &target,
                &charset,
                more,
                &mut fed,
                tx,
            );
            let query = self.conn.query_drop(&first.statement);
            tokio::pin!(feed, query);
            tokio::select! {
                // The LOAD ended before the rows did (refused or failed): what
                // was read for it is loaded again by the caller.
                loaded = &mut query => loaded,
                () = &mut feed => query.await,
            }
        };
        if self.settle(loaded, fed.rows).await? {
            Ok(Run::Loaded)
        } else {
            Ok(Run::Undone {
                first: line,
                last: fed.last,
            })
        }
    }
}

/// Where a run of LOAD DATA finds the INSERTs that may join it.
pub trait Following {
    /// The SQL and line of the next statement if it is an INSERT of
    /// `table`; it stays the next one until `advance`.
    async fn peek_insert_of(&mut self, table: &TableName) -> Option<(&str, u64)>;
    /// Takes the statement `peek_insert_of` handed out.
    fn advance(&mut self);
}

/// What became of a run of INSERTs.
pub enum Run {
    Loaded,
    /// Nothing of it is left: the INSERTs of the table on these lines (both
    /// included) must be loaded again one by one.
    Undone {
        first: u64,
        last: u64,
    },
}

/// The rows a run has sent, and the line of the last INSERT it read.
struct Fed {
    rows: u64,
    last: u64,
}

/// Sends `data` (the first INSERT's rows), then the rows of every following
/// INSERT of `table` that fits the LOAD statement, and ends the file when
/// one does not (it is left in `more`) or the server stops reading.
#[allow(clippy::too_many_arguments)]
async fn feed_run<M: Following>(
    table: &TableName,
    first: &Rows,
    data: Vec<u8>,
    target: &Target,
    charset: &str,
    more: &mut M,
    fed: &mut Fed,
    tx: tokio::sync::mpsc::Sender<Bytes>,
) {
    let mut data = data;
    loop {
        for piece in pieces(Bytes::from(data)) {
            if tx.send(piece).await.is_err() {
                return;
            }
        }
        let Some((sql, line)) = more.peek_insert_of(table).await else {
            return;
        };
        let Some(rows) = target
            .rows_of(table, sql, charset)
            .filter(|rows| rows.fits(first))
        else {
            return;
        };
        more.advance();
        fed.rows += rows.count;
        fed.last = line;
        data = rows.data;
    }
}

/// Rows cut into the pieces they are sent in.
fn pieces(rows: Bytes) -> Vec<Bytes> {
    (0..rows.len())
        .step_by(CHUNK)
        .map(|at| rows.slice(at..rows.len().min(at + CHUNK)))
        .collect()
}

/// One INSERT's rows as LOAD DATA text, and the statement that loads them.
struct Rows {
    data: Vec<u8>,
    count: u64,
    /// The INSERT's column list as written (empty: the table's visible columns).
    named: Vec<String>,
    /// How each column is loaded, before `Any` is settled.
    mappings: Vec<Mapping>,
    statement: String,
}

impl Rows {
    /// Whether these rows can follow `first`'s in the same LOAD statement.
    fn fits(&self, first: &Rows) -> bool {
        self.named == first.named
            && self.mappings.len() == first.mappings.len()
            && self
                .mappings
                .iter()
                .zip(&first.mappings)
                .all(|(m, f)| *m == Mapping::Any || *m == settled(*f))
    }
}

fn settled(mapping: Mapping) -> Mapping {
    match mapping {
        Mapping::Any => Mapping::Direct,
        m => m,
    }
}

impl Target {
    /// The rows of a checked INSERT in LOAD DATA's form, when every value
    /// has an exact rewrite into this table.
    fn rows_of(&self, table: &TableName, sql: &str, charset: &str) -> Option<Rows> {
        let (named, values_at) = infile::insert_shape(sql)?;
        let mut columns: Vec<(&str, &ColumnClass)> = Vec::new();
        if named.is_empty() {
            for (name, class, invisible) in &self.columns {
                if !invisible {
                    columns.push((name.as_str(), class));
                }
            }
        } else {
            for name in &named {
                let (found, class, _) = self
                    .columns
                    .iter()
                    .find(|(c, _, _)| c.eq_ignore_ascii_case(name))?;
                columns.push((found.as_str(), class));
            }
        }
        let mut data = Vec::with_capacity(sql.len() - values_at + 1024);
        let converted =
            infile::convert_values(&sql.as_bytes()[values_at..], columns.len(), &mut data)?;
        let mut mappings = Vec::with_capacity(columns.len());
        let mut load_columns = Vec::with_capacity(columns.len());
        for ((name, class), mask) in columns.iter().zip(&converted.masks) {
            let mapping = infile::mapping(class, *mask, charset);
            if mapping == Mapping::Insert {
                return None;
            }
            mappings.push(mapping);
            load_columns.push(LoadColumn {
                name,
                mapping: settled(mapping),
            });
        }
        if self.auto_increment && mappings.contains(&Mapping::Convert) {
            return None;
        }
        let statement =
            infile::load_statement(&table.quoted(Dialect::MySql), &load_columns, charset);
        Some(Rows {
            data,
            count: converted.rows,
            named,
            mappings,
            statement,
        })
    }
}

/// Errors of a server that refuses LOAD DATA LOCAL (MySQL 1148, 3948; MariaDB 4166).
fn local_infile_refused(code: u16) -> bool {
    matches!(code, 1148 | 3948 | 4166)
}

/// The table's columns if its rows may go through LOAD DATA.
async fn read_target(conn: &mut Conn, name: &str) -> Result<Option<Target>, mysql_async::Error> {
    let tables: Vec<(String, i64, i64, i64)> = conn
        .exec(include_str!("sql/load_table.sql"), (name,))
        .await?;
    let exact = |t: &str| t == name;
    let Some((table_name, transactional, triggers, auto_increment)) = tables
        .iter()
        .find(|(t, ..)| exact(t))
        .or_else(|| (tables.len() == 1).then(|| &tables[0]))
        .cloned()
    else {
        return Ok(None);
    };
    if transactional != 1 || triggers != 0 {
        return Ok(None);
    }
    let rows: Vec<(String, String, String, Option<String>, i64)> = conn
        .exec(include_str!("sql/load_columns.sql"), (name,))
        .await?;
    let columns: Vec<(String, ColumnClass, bool)> = rows
        .into_iter()
        .filter(|(t, ..)| *t == table_name)
        .map(|(_, column, data_type, charset, invisible)| {
            (
                column,
                ColumnClass::of(&data_type, charset.as_deref()),
                invisible == 1,
            )
        })
        .collect();
    Ok((!columns.is_empty()).then_some(Target {
        columns,
        auto_increment: auto_increment == 1,
    }))
}

/// Turns a statement's failure into the message callers print; `import`
/// adds the hints that name import's flags.
pub fn describe(
    failure: Failure,
    display: &str,
    line: u64,
    table: Option<&TableName>,
    import: bool,
) -> anyhow::Error {
    let table = table.map(|t| t.quoted(Dialect::MySql));
    match (failure, table) {
        (Failure::Lost(e), Some(t)) => anyhow::Error::from(ServerError::from(e)).context(format!(
            "connection lost while loading table {t} (at {display}:{line})"
        )),
        (Failure::Server(e), Some(t)) => {
            let code = match &e {
                mysql_async::Error::Server(s) => Some(s.code),
                _ => None,
            };
            let mut server = ServerError::from(e);
            if import && code == Some(1062) {
                server = server.with_hint(TARGET_HOLDS_ROWS);
            }
            if import && code == Some(1452) {
                // The file's own FOREIGN_KEY_CHECKS=0 is not obeyed (see statement.rs).
                server = server.with_hint("foreign keys are checked row by row; a file whose rows close a cycle, or are not in reference order, loads with `--disable-constraints`");
            }
            anyhow::Error::from(server).context(format!("{display}:{line}: table {t}"))
        }
        (Failure::Other(e), Some(t)) => e.context(format!("{display}:{line}: table {t}")),
        (Failure::Lost(e) | Failure::Server(e), None) => {
            anyhow::Error::from(ServerError::from(e)).context(format!("{display}:{line}"))
        }
        (Failure::Other(e), None) => e.context(format!("{display}:{line}")),
    }
}
