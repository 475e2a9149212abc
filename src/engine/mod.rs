//! The engine seam: one closed enum over the supported databases. Commands call
//! these methods and never branch on the engine themselves.

pub mod chunk;
pub mod lock_wait;
pub mod mysql;
pub mod order;
pub mod postgres;
pub mod probe;
pub mod resume;
pub mod tls;

use std::io::Write;
use std::path::Path;

use anyhow::Result;

use crate::config::{ConnectionSpec, EngineKind};
use crate::snapshot::manifest::Manifest;
use crate::snapshot::pieces::Pieces;

#[derive(Debug, Default)]
pub struct ImportSummary {
    pub tables: usize,
    pub rows: u64,
    /// The file's manifest was checked against what was loaded.
    pub verified: bool,
}

/// Options that shape a schema snapshot.
#[derive(Debug, Clone, Default)]
pub struct SchemaOptions {
    /// Leave out objects of unsupported kinds instead of failing.
    pub skip_unsupported: bool,
    /// PostgreSQL: write subscriptions (with `connect = false`) instead of leaving them out.
    pub with_subscriptions: bool,
    /// MySQL: keep `AUTO_INCREMENT=N` table options (they make the file change with the data).
    pub keep_auto_increment: bool,
    /// MySQL: keep `DEFINER=` clauses (they name accounts the target may not have).
    pub keep_definer: bool,
}

/// Which rows a data snapshot carries.
#[derive(Debug, Clone, Default)]
pub struct DataOptions {
    /// Only tables matching one of these patterns (empty: all).
    pub tables: Vec<String>,
    pub exclude_tables: Vec<String>,
    /// Tables whose definition stays but whose rows are left out.
    pub exclude_table_data: Vec<String>,
    /// Connections reading at once; None lets the engine choose.
    pub jobs: Option<usize>,
    /// Leave out PostgreSQL large objects instead of refusing to.
    pub no_large_objects: bool,
    /// Leave out the history rows of MariaDB system-versioned tables
    /// instead of refusing to.
    pub no_history: bool,
}

impl DataOptions {
    /// Whether the rows of the table `name` (as the engine names it) are left out.
    pub fn rows_left_out(&self, name: &str) -> bool {
        self.exclude_table_data
            .iter()
            .any(|p| pattern_matches(p, name))
    }

    /// Whether the table `name` is exported: it matches a `--table` pattern
    /// (or there are none) and no `--exclude-table` pattern.
    pub fn selects(&self, name: &str) -> bool {
        let any = |patterns: &[String]| patterns.iter().any(|p| pattern_matches(p, name));
        (self.tables.is_empty() || any(&self.tables)) && !any(&self.exclude_tables)
    }

    /// Checks the patterns against every table of the database (`names`).
    /// A `--table` pattern that matches none is an error: the snapshot would
    /// lack what was asked for and still succeed, a typo away from an empty
    /// backup. An exclusion that matches none only leaves more in the file,
    /// so it is told as a note.
    pub fn check_patterns(&self, names: &[String]) -> Result<()> {
        let unmatched = |patterns: &[String]| -> Vec<String> {
            patterns
                .iter()
                .filter(|p| !names.iter().any(|n| pattern_matches(p, n)))
                .cloned()
                .collect()
        };
        for (flag, patterns) in [
            ("--exclude-table", &self.exclude_tables),
            ("--exclude-table-data", &self.exclude_table_data),
        ] {
            for pattern in unmatched(patterns) {
                eprintln!(
                    "dbsnap: note: {flag} {pattern:?} matches no table; nothing is left out for it"
                );
            }
        }
        let missing = unmatched(&self.tables);
        if !missing.is_empty() {
            let list: Vec<String> = missing.iter().map(|p| format!("{p:?}")).collect();
            anyhow::bail!(
                "no table matches --table {} (a pattern is `table` or `schema.table`, `*` matching any characters)",
                list.join(", --table ")
            );
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    pub disable_constraints: bool,
    /// Empty the file's tables first, in the same transaction.
    pub truncate: bool,
    /// Give up on a lock another session holds after this many seconds
    /// (None: wait, saying so).
    pub lock_timeout: Option<u64>,
}

/// How verify computes content checksums.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChecksumKind {
    None,
    /// An order-independent checksum computed by the server itself.
    Server,
    /// The checksum a data snapshot's manifest holds, over the snapshot's text form.
    Snapshot,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TableState {
    pub name: String,
    pub rows: u64,
    pub checksum: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SequenceState {
    pub name: String,
    pub value: i128,
    pub is_called: bool,
}

/// What a database holds, as verify compares it.
#[derive(Debug, Clone, Default)]
pub struct Inventory {
    pub tables: Vec<TableState>,
    pub sequences: Vec<SequenceState>,
    /// Data that lives outside every table (PostgreSQL's large objects),
    /// shown as a table. Snapshots cannot carry it, so only `verify
    /// --source` compares it.
    pub outside_tables: Vec<TableState>,
}

/// What an export wrote, for the summary line.
#[derive(Debug, Default)]
pub struct SchemaSummary {
    pub objects: usize,
    /// Objects left out because of `--skip-unsupported`.
    pub skipped: Vec<String>,
}

/// A simple pattern match for --table / --exclude-table: `*` matches any run
/// of characters; a pattern without a dot matches the table name in any schema.
pub fn pattern_matches(pattern: &str, name: &str) -> bool {
    fn glob(p: &[u8], s: &[u8]) -> bool {
        match (p.first(), s.first()) {
            (None, None) => true,
            (Some(b'*'), _) => glob(&p[1..], s) || (!s.is_empty() && glob(p, &s[1..])),
            (Some(a), Some(b)) if a == b => glob(&p[1..], &s[1..]),
            _ => false,
        }
    }
    let unquoted = name.replace(['"', '`'], "");
    let name_only = unquoted
        .rsplit_once('.')
        .map(|(_, n)| n)
        .unwrap_or(&unquoted);
    let target = if pattern.contains('.') {
        unquoted.as_str()
    } else {
        name_only
    };
    glob(pattern.as_bytes(), target.as_bytes())
}

/// This run's token: random, so that two runs never pick the same staging
/// name, even on two hosts or in two containers where both have pid 1.
fn run_token() -> &'static str {
    static TOKEN: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    TOKEN.get_or_init(|| {
        use std::hash::{BuildHasher, Hasher};
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u32(std::process::id());
        h.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos()),
        );
        // Six hex digits keep `<db>__dbsnap_diff_<token>` within 63 bytes
        // for names of up to 43.
        format!("{:06x}", h.finish() & 0xff_ffff)
    })
}

/// What this run calls itself on the server (PostgreSQL application_name,
/// MySQL named lock): while it is there, the run is alive, and its staging
/// databases are not leftovers.
pub fn run_tag() -> String {
    format!("dbsnap:{}", run_token())
}

/// The run tag that owns a staging database, from its name.
pub fn owner_tag(staging: &str) -> Option<String> {
    let (_, rest) = staging.rsplit_once("__dbsnap_")?;
    let (_, token) = rest.split_once('_')?;
    Some(format!("dbsnap:{token}"))
}

/// `app` -> `app__dbsnap_new_1a2b3c4d`: the temporary name a build (or the old
/// database) takes, cut to the server's longest name (`max` bytes).
pub fn staging_name(target: &str, what: &str, max: usize) -> String {
    let suffix = format!("__dbsnap_{what}_{}", run_token());
    let mut base = target.to_string();
    while base.len() + suffix.len() > max {
        base.pop();
    }
    base + &suffix
}

/// The error of a target column that may not hold the values of the type
/// the data file records for it (both engines' `column_types`).
pub fn narrower_column(column: &str, file_type: &str, target_type: &str) -> anyhow::Error {
    anyhow::anyhow!(
        "column {column} is {file_type} in the file but {target_type} in the target, which would \
         round or cut its values; its rows were not loaded. Make the target's schema match the \
         snapshot's (`dbsnap diff` shows where they differ)"
    )
}

/// Text safe inside a one-line `--` comment (identifiers may hold newlines).
pub fn comment_safe(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

pub enum Engine {
    Postgres(postgres::Postgres),
    MySql(mysql::MySql),
}

impl Engine {
    pub fn for_spec(spec: &ConnectionSpec) -> Result<Engine> {
        match spec.engine {
            EngineKind::Postgres => Ok(Engine::Postgres(postgres::Postgres::new(spec.clone()))),
            EngineKind::MySql => Ok(Engine::MySql(mysql::MySql::new(spec.clone()))),
        }
    }

    pub async fn export_schema(
        &self,
        opts: &SchemaOptions,
        out: &mut dyn Write,
    ) -> Result<SchemaSummary> {
        match self {
            Engine::Postgres(pg) => pg.export_schema(opts, out).await,
            Engine::MySql(my) => my.export_schema(opts, out).await,
        }
    }

    pub async fn database_exists(&self) -> Result<bool> {
        match self {
            Engine::Postgres(pg) => pg.database_exists().await,
            Engine::MySql(my) => my.database_exists().await,
        }
    }

    /// Builds the target database from a schema file under a temporary name and
    /// swaps it in only when complete; the existing database is untouched on failure.
    /// With `resume`, a dead run's staging database built from the same files
    /// is continued instead of started afresh.
    pub async fn init(
        &self,
        schema: &Path,
        data: Option<&Path>,
        resume: bool,
    ) -> Result<resume::InitReport> {
        let inputs = resume::InitInputs::new(schema, data, resume)?;
        match self {
            Engine::Postgres(pg) => pg.init(&inputs).await,
            Engine::MySql(my) => my.init(&inputs).await,
        }
    }

    /// Writes a data snapshot; returns its manifest.
    pub async fn export_data(&self, opts: &DataOptions, pieces: &mut Pieces) -> Result<Manifest> {
        match self {
            Engine::Postgres(pg) => pg.export_data(opts, pieces).await,
            Engine::MySql(my) => my.export_data(opts, pieces).await,
        }
    }

    /// Loads a data file in one transaction; the target is unchanged on failure.
    /// Ends server session `id` of `spec`'s server from a new connection.
    pub async fn end_session(spec: &ConnectionSpec, id: u32) -> Result<()> {
        match spec.engine {
            EngineKind::Postgres => postgres::end_session(spec, id).await,
            EngineKind::MySql => mysql::end_session(spec, id).await,
        }
    }

    pub async fn import(&self, path: &Path, opts: &ImportOptions) -> Result<ImportSummary> {
        match self {
            Engine::Postgres(pg) => pg.import(path, opts).await,
            Engine::MySql(my) => my.import(path, opts).await,
        }
    }

    /// The manifest of a data snapshot written for this engine.
    pub async fn read_manifest(&self, path: &Path) -> Result<Manifest> {
        let path = path.to_path_buf();
        match self {
            Engine::Postgres(pg) => {
                let spec = pg.spec().clone();
                tokio::task::spawn_blocking(move || {
                    postgres::Postgres::new(spec).read_manifest(&path)
                })
                .await?
            }
            Engine::MySql(_) => {
                tokio::task::spawn_blocking(move || mysql::MySql::read_manifest(&path)).await?
            }
        }
    }

    /// Checks a data snapshot on its own: end marker, rows and checksums.
    pub async fn check_file(path: &Path) -> Result<Manifest> {
        let path = path.to_path_buf();
        let kind = crate::snapshot::detect_engine(&path)?;
        tokio::task::spawn_blocking(move || match kind {
            EngineKind::Postgres => postgres::Postgres::check_file(&path),
            EngineKind::MySql => mysql::MySql::check_file(&path),
        })
        .await?
    }

    pub async fn inventory(&self, checksum: ChecksumKind) -> Result<Inventory> {
        match self {
            Engine::Postgres(pg) => pg.inventory(checksum).await,
            Engine::MySql(my) => my.inventory(checksum).await,
        }
    }

    /// How long a step of init's swap may wait for another session's lock
    /// (MySQL/MariaDB; PostgreSQL's swap is one transaction that fails at once).
    pub fn set_lock_timeout(&mut self, seconds: u64) {
        if let Engine::MySql(my) = self {
            my.set_lock_timeout(seconds);
        }
    }

    /// Registers this (staging or scratch) database to be dropped if a signal stops the run.
    pub fn register_for_cleanup(&self) -> crate::cleanup::Registration {
        match self {
            Engine::Postgres(pg) => crate::cleanup::database(pg.spec(), &pg.spec().dbname),
            Engine::MySql(my) => crate::cleanup::database(my.spec(), &my.spec().dbname),
        }
    }

    /// Drops a staging database of this run (after a signal).
    pub async fn drop_staging(&self, name: &str) -> Result<()> {
        match self {
            Engine::Postgres(pg) => pg.drop_database(name).await,
            Engine::MySql(my) => my.drop_staging(name).await,
        }
    }

    /// The script dialect of this engine's files.
    pub fn dialect(&self) -> crate::script::statement::Dialect {
        match self {
            Engine::Postgres(_) => crate::script::statement::Dialect::Postgres,
            Engine::MySql(_) => crate::script::statement::Dialect::MySql,
        }
    }

    /// A database of this process's own on the same server, for `diff` to load a
    /// schema file into: `<db>__dbsnap_<what>_<pid>`.
    pub fn scratch(&self, what: &str) -> Engine {
        match self {
            Engine::Postgres(pg) => {
                let name = staging_name(&pg.spec().dbname, what, postgres::MAX_NAME);
                Engine::Postgres(postgres::Postgres::new(pg.spec().with_dbname(&name)))
            }
            Engine::MySql(my) => {
                let name = staging_name(&my.spec().dbname, what, mysql::MAX_NAME);
                Engine::MySql(mysql::MySql::new(my.spec().with_dbname(&name)))
            }
        }
    }

    /// Creates this (scratch) database and runs a whole schema file in it with
    /// the loader `init` builds with; no swap, no data.
    pub async fn create_from_schema(&self, schema: &Path) -> Result<()> {
        match self {
            Engine::Postgres(pg) => pg.create_from_schema(schema).await,
            Engine::MySql(my) => my.create_from_schema(schema).await,
        }
    }

    /// Drops this scratch database. Only for names made by [`Engine::scratch`].
    pub async fn drop_scratch(&self) -> Result<()> {
        match self {
            Engine::Postgres(pg) => pg.drop_scratch().await,
            Engine::MySql(my) => my.drop_scratch().await,
        }
    }

    pub fn kind(&self) -> EngineKind {
        match self {
            Engine::Postgres(pg) => pg.spec().engine,
            Engine::MySql(my) => my.spec().engine,
        }
    }

    pub fn database_name(&self) -> &str {
        match self {
            Engine::Postgres(pg) => &pg.spec().dbname,
            Engine::MySql(my) => &my.spec().dbname,
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Engine::Postgres(pg) => pg.spec().redacted(),
            Engine::MySql(my) => my.spec().redacted(),
        }
    }
}

/// Stops the process at a named step when `DBSNAP_FAULT_AT` says so: the
/// tests kill a MySQL swap at every step this way (an abort, like kill -9, runs
/// no cleanup). `DBSNAP_PAUSE_AT=STEP:FILE` instead creates FILE there and
/// waits until it is removed, for a test to act as another session or to
/// change a file while it is being read.
pub fn fault_point(step: &str) {
    if std::env::var("DBSNAP_FAULT_AT").is_ok_and(|s| s == step) {
        eprintln!("dbsnap: DBSNAP_FAULT_AT={step}: stopping here");
        std::process::abort();
    }
    if let Some(file) = std::env::var("DBSNAP_PAUSE_AT")
        .ok()
        .and_then(|s| s.strip_prefix(&format!("{step}:")).map(String::from))
    {
        let _ = std::fs::write(&file, step);
        while Path::new(&file).exists() {
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }
}

/// The fault point `rows-read`, once per process: the first rows of an
/// export have arrived, and the server is still sending (a test ends the
/// session there).
pub fn rows_arrived() {
    static FIRST: std::sync::Once = std::sync::Once::new();
    if !FIRST.is_completed() {
        FIRST.call_once(|| fault_point("rows-read"));
    }
}

/// What a failed build left, for its message: whether the target exists (as
/// read back), and whether the staging database could be dropped.
pub fn not_touched(
    target: &str,
    exists: Result<bool>,
    staging: &str,
    dropped: Result<()>,
) -> String {
    let mut words = match (&exists, &dropped) {
        (Ok(true), _) => format!("building {target} failed; the existing database was not touched"),
        (Ok(false), Ok(())) => format!("building {target} failed; nothing was created"),
        (Ok(false), Err(_)) => format!("building {target} failed; {target} was not created"),
        (Err(_), Ok(())) => format!("building {target} failed; the staging database was dropped"),
        (Err(_), Err(_)) => format!("building {target} failed"),
    };
    if let Err(e) = dropped {
        words += &format!(
            "; the staging database {staging} is left behind ({}): the next init drops it",
            crate::error::Report(&e)
        );
    }
    words
}
