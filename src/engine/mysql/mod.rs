//! MySQL/MariaDB engine: SHOW CREATE reading, streamed SELECT to extended
//! INSERTs, script loading, and the staging-database swap for init.
//!
//! MySQL DDL is not transactional. `init` therefore builds and validates the
//! whole database under a staging name first; only then is the existing
//! database replaced: its tables are moved aside, the new ones moved in with
//! one RENAME TABLE, and views, routines, triggers and events recreated.

mod chunk;
mod column_types;
pub mod connect;
pub mod counter;
mod data;
mod format;
mod grants;
mod import;
mod infile;
mod keys;
mod load;
mod loader;
mod lock_wait;
mod rekey;
mod schema;
mod spool;
mod swap;
mod warnings;

use std::collections::BTreeSet;
use std::io::Write;
use std::path::Path;

use anyhow::{bail, Context, Result};
use mysql_async::prelude::Queryable;
use mysql_async::Conn;

use self::connect::{ident, server_message};
use crate::config::ConnectionSpec;
use crate::engine::resume::{
    self, InitInputs, InitReport, InputIdentity, Phase, StagingRecord, Verdict,
};
use crate::engine::{
    staging_name, ChecksumKind, DataOptions, ImportOptions, ImportSummary, Inventory,
    SchemaOptions, SchemaSummary,
};
use crate::error::{Report, ServerError};
use crate::script::schemafile::PostDataBar;
use crate::script::statement::{Dialect, PostDataStep, Restore, TableName};
use crate::snapshot::manifest::Manifest;
use crate::snapshot::pieces::Pieces;

pub use counter::Counter;

/// Connections that load rows into a staging build at once.
const LOAD_WORKERS: usize = 2;

/// Row counts of the tables whose engine cannot roll back, with their engines.
async fn row_counts(conn: &mut Conn) -> Result<Vec<(String, String, u64)>> {
    Ok(conn
        .query(include_str!("sql/untransactional.sql"))
        .await
        .map_err(ServerError::from)?)
}

/// After a rolled-back load: the tables that cannot roll back and now hold
/// another number of rows, in words (None: none did, or none could be read).
async fn changed_anyway(spec: &ConnectionSpec, before: &[(String, String, u64)]) -> Option<String> {
    if before.is_empty() {
        return None;
    }
    let mut conn = connect::connect(spec).await.ok()?;
    let now = row_counts(&mut conn).await.ok()?;
    let changed: Vec<String> = before
        .iter()
        .filter_map(|(t, engine, was)| {
            let (_, _, is) = now.iter().find(|(n, ..)| n == t)?;
            (is != was).then(|| format!("{} ({engine}) holds {is} rows, {was} before", ident(t)))
        })
        .collect();
    (!changed.is_empty()).then(|| {
        format!(
            "the transaction was rolled back, but not in tables whose engine cannot roll back: {}",
            changed.join("; ")
        )
    })
}

/// Kills connection `id` (a run's own, after a signal).
pub async fn end_session(spec: &ConnectionSpec, id: u32) -> Result<()> {
    let mut conn = connect::connect(spec).await?;
    exec(&mut conn, &format!("KILL {id}")).await
}

/// Whether a load failed because a lock was not granted in time
/// (ER_LOCK_WAIT_TIMEOUT, for metadata and row locks alike).
fn gave_up_on_a_lock(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        matches!(
            cause.downcast_ref::<mysql_async::Error>(),
            Some(mysql_async::Error::Server(e)) if e.code == 1205
        )
    })
}

pub struct MySql {
    spec: ConnectionSpec,
    /// Seconds a step of init's swap waits for a lock before it gives up.
    lock_timeout: u64,
}

/// The longest database name the server accepts.
pub const MAX_NAME: usize = 64;

async fn exec(conn: &mut Conn, sql: &str) -> Result<()> {
    Ok(conn.query_drop(sql).await.map_err(ServerError::from)?)
}

/// Names of the given kind in a database, from information_schema.
async fn names(conn: &mut Conn, sql: &str, db: &str) -> Result<Vec<String>> {
    Ok(conn.exec(sql, (db,)).await.map_err(ServerError::from)?)
}

impl MySql {
    pub fn new(spec: ConnectionSpec) -> MySql {
        MySql {
            spec,
            lock_timeout: 10,
        }
    }

    pub fn spec(&self) -> &ConnectionSpec {
        &self.spec
    }

    pub fn set_lock_timeout(&mut self, seconds: u64) {
        self.lock_timeout = seconds;
    }

    async fn admin(&self) -> Result<Conn> {
        connect::connect(&self.spec.with_dbname("")).await
    }

    pub async fn export_schema(
        &self,
        opts: &SchemaOptions,
        out: &mut dyn Write,
    ) -> Result<SchemaSummary> {
        let mut conn = connect::connect(&self.spec).await?;
        grants::refuse_partial_read(&mut conn).await?;
        schema::export(&mut conn, opts, out).await
    }

    pub async fn database_exists(&self) -> Result<bool> {
        let mut conn = self.admin().await?;
        let found: Vec<String> = names(
            &mut conn,
            "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?",
            &self.spec.dbname,
        )
        .await?;
        Ok(!found.is_empty())
    }

    /// Creates the database (with the file's character set) and runs a whole
    /// schema file in it, as `init` builds its staging database, without the
    /// swap (for `diff`'s scratch database).
    pub async fn create_from_schema(&self, schema_file: &Path) -> Result<()> {
        let name = &self.spec.dbname;
        let create_opts = match load::database_charset(schema_file)? {
            Some((c, k)) => format!(" CHARACTER SET {c} COLLATE {k}"),
            None => String::new(),
        };
        let mut admin = self.admin().await?;
        exec(
            &mut admin,
            &format!("CREATE DATABASE {}{create_opts}", ident(name)),
        )
        .await
        .with_context(|| format!("creating {name}"))?;
        let mut conn = connect::connect(&self.spec).await?;
        load::run_schema(&mut conn, schema_file, load::Sections::All).await?;
        conn.disconnect().await.ok();
        Ok(())
    }

    pub async fn drop_scratch(&self) -> Result<()> {
        let mut admin = self.admin().await?;
        let name = &self.spec.dbname;
        exec(
            &mut admin,
            &format!("DROP DATABASE IF EXISTS {}", ident(name)),
        )
        .await
        .with_context(|| format!("dropping {name}"))
    }

    pub async fn init(&self, inputs: &InitInputs<'_>) -> Result<InitReport> {
        let (schema_file, data_file, identity) = (inputs.schema, inputs.data, &inputs.identity);
        let target = self.spec.dbname.clone();
        let charset = load::database_charset(schema_file)?;
        let create_opts = match &charset {
            Some((c, k)) => format!(" CHARACTER SET {c} COLLATE {k}"),
            None => String::new(),
        };
        let mut report = InitReport::default();
        let mut admin = self.admin().await?;
        let found = remove_leftovers(
            &mut admin,
            &staging_name(&target, "new", 64),
            &target,
            inputs.wanted(),
        )
        .await?;
        let (staging, resumed) = match found {
            // There is no RENAME DATABASE: this run takes the dead run's tag
            // lock instead, which keeps other runs off the database.
            Some((dead, phase)) => {
                let tag = crate::engine::owner_tag(&dead).unwrap_or_default();
                let got: Option<Option<i64>> = admin
                    .exec_first("SELECT GET_LOCK(?, 0)", (tag.as_str(),))
                    .await
                    .map_err(ServerError::from)?;
                if got.flatten() != Some(1) {
                    bail!("cannot resume {dead}: another run has just taken it over. Nothing was changed.");
                }
                report.resumed = Some(dead.clone());
                report.resumed_phase = Some(phase);
                (dead, Some(phase))
            }
            None => {
                report.notes.extend(inputs.nothing_resumed(&target));
                let staging = staging_name(&target, "new", 64);
                exec(
                    &mut admin,
                    &format!("CREATE DATABASE {}{create_opts}", ident(&staging)),
                )
                .await
                .with_context(|| format!("creating the staging database {staging}"))?;
                (staging, None)
            }
        };
        let registered = crate::cleanup::database(&self.spec, &staging);

        let built = async {
            let mut conn = connect::connect(&self.spec.with_dbname(&staging)).await?;
            let Some(data) = data_file else {
                load::run_schema(&mut conn, schema_file, load::Sections::All).await?;
                conn.disconnect().await.ok();
                return Ok(());
            };
            let identity = identity.as_ref().expect("computed with the data file");
            let mut skip = BTreeSet::new();
            match resumed {
                None => {
                    record_phase(&mut conn, identity, Phase::PreData).await?;
                    load::run_pre_data_deferring_keys(&mut conn, schema_file).await?;
                    record_phase(&mut conn, identity, Phase::Rows).await?;
                }
                Some(Phase::Ready) => return Ok(()),
                Some(_) => {
                    let (kept, reload) = resume::complete_tables(
                        data,
                        Dialect::MySql,
                        MySql::new(self.spec.with_dbname(&staging))
                            .inventory(ChecksumKind::Snapshot),
                    )
                    .await?;
                    for name in &kept {
                        skip.extend(TableName::parse(Dialect::MySql, name));
                    }
                    // A table that is not complete may hold some of its rows.
                    for name in &reload {
                        if let Some(table) = TableName::parse(Dialect::MySql, name) {
                            exec(
                                &mut conn,
                                &format!("TRUNCATE TABLE {}", table.quoted(Dialect::MySql)),
                            )
                            .await
                            .with_context(|| format!("emptying table {table} to reload it"))?;
                        }
                    }
                    report.kept = kept;
                    report.reloaded = reload;
                }
            }
            // Rows go in before foreign keys and triggers exist (sakila's
            // film_text would be filled twice by its trigger otherwise).
            // Nobody reads the staging build yet: rows go in on two
            // connections, without a transaction spanning them.
            let mut workers = Vec::new();
            for _ in 0..LOAD_WORKERS {
                let mut worker = connect::connect(&self.spec.with_dbname(&staging)).await?;
                // Rows from a consistent snapshot need no re-checking;
                // foreign keys are added after them anyway.
                exec(
                    &mut worker,
                    "SET SESSION unique_checks = 0, foreign_key_checks = 0",
                )
                .await?;
                workers.push(worker);
            }
            let deferred = keys::deferred(schema_file)?;
            let builder = connect::connect(&self.spec.with_dbname(&staging)).await?;
            let mut early = keys::Early::start(builder, &deferred);
            let loaded =
                import::load_parallel(&mut conn, workers, data, skip, early.loaded()).await;
            let indexes = deferred.iter().map(|d| d.keys.len() as u64).sum();
            let rest = early.stop(deferred);
            let loaded = match loaded {
                Ok(loaded) => loaded,
                Err(err) => {
                    // The build in flight ends before the staging database is dropped.
                    early.finish().await.ok();
                    return Err(err);
                }
            };
            // The data file's settings (SET NAMES latin1, a time zone, an
            // sql_mode) stay on the connection that loaded it, and must not
            // shape what is built after the rows: under latin1 the indexes'
            // UTF-8 names came out as mojibake. Back to dbsnap's own.
            exec(&mut conn, connect::SESSION)
                .await
                .context("resetting the data file's settings after the rows")?;
            // The rest of the indexes, two tables at a time, beside the
            // builder's last one.
            let bar = PostDataBar::start(schema_file, Dialect::MySql, indexes);
            let mut second = connect::connect(&self.spec.with_dbname(&staging)).await?;
            let late = async {
                run_deferred(&mut conn, data, &loaded.deferred).await?;
                keys::add(vec![&mut conn, &mut second], rest, &bar).await
            };
            let (late, built) = tokio::join!(late, early.finish());
            late?;
            for table in built? {
                for _ in &table.keys {
                    bar.step(PostDataStep::Index);
                }
            }
            second.disconnect().await.ok();
            record_phase(&mut conn, identity, Phase::PostData).await?;
            load::run_post_data(&mut conn, schema_file, &bar).await?;
            bar.finish();
            load::run_schema(&mut conn, schema_file, load::Sections::Code).await?;
            record_phase(&mut conn, identity, Phase::Ready).await?;
            conn.disconnect().await.ok();
            Ok::<_, anyhow::Error>(())
        }
        .await;
        // The record must not move into the target with the tables.
        let built = match built {
            Ok(()) if identity.is_some() => {
                exec(
                    &mut admin,
                    &format!(
                        "DROP TABLE IF EXISTS {}.{}",
                        ident(&staging),
                        ident(RESUME_RECORD)
                    ),
                )
                .await
            }
            other => other,
        };
        if let Err(err) = built {
            // The run's own connection may be the one that was lost.
            let dropped = match exec(
                &mut admin,
                &format!("DROP DATABASE IF EXISTS {}", ident(&staging)),
            )
            .await
            {
                Ok(()) => Ok(()),
                Err(_) => self.drop_staging(&staging).await,
            };
            let exists = self.database_exists().await;
            return Err(err.context(crate::engine::not_touched(
                &target, exists, &staging, dropped,
            )));
        }
        let old = staging_name(&target, "old", 64);
        // A signal waits for the swap: its RENAMEs and the code it moves
        // are finished or put back, never left half done.
        let critical = crate::cleanup::critical();
        let swapped = swap::Swap {
            staging: &staging,
            target: &target,
            old: &old,
            create_opts: &create_opts,
            schema_file,
            lock_timeout: self.lock_timeout,
        }
        .run(&mut admin)
        .await;
        if swapped.is_ok() {
            // Its tables are the target's now.
            drop(registered);
        }
        drop(critical);
        swapped?;
        Ok(report)
    }

    pub async fn export_data(&self, opts: &DataOptions, pieces: &mut Pieces) -> Result<Manifest> {
        let mut conn = connect::connect(&self.spec).await?;
        grants::refuse_partial_read(&mut conn).await?;
        data::export(&self.spec, conn, opts, pieces).await
    }

    pub async fn import(&self, path: &Path, opts: &ImportOptions) -> Result<ImportSummary> {
        let mut conn = connect::connect(&self.spec).await?;
        warn_about_triggers(&mut conn).await?;
        // The statement checks read strings and names as the server does
        // only without these modes; the file may not turn them back on.
        exec(
            &mut conn,
            "SET SESSION sql_mode = TRIM(BOTH ',' FROM REPLACE(REPLACE(REPLACE(CONCAT(',', @@SESSION.sql_mode, ','), \
             ',NO_BACKSLASH_ESCAPES,', ','), ',ANSI_QUOTES,', ','), ',ANSI,', ','))",
        )
        .await?;
        if opts.disable_constraints {
            exec(&mut conn, "SET FOREIGN_KEY_CHECKS = 0, UNIQUE_CHECKS = 0").await?;
        }
        // InnoDB does not roll its AUTO_INCREMENT counters back with the rows.
        let counters = auto_increments(&mut conn).await?;
        // A signal drops the connection, and the server rolls the rows back:
        // the counters are put back then too.
        let put_back_on_signal = crate::cleanup::counters(&self.spec, &counters);
        if let Some(seconds) = opts.lock_timeout {
            // Metadata locks (a table another session uses) and row locks.
            let seconds = seconds.min(31_536_000);
            exec(
                &mut conn,
                &format!(
                    "SET SESSION lock_wait_timeout = {seconds}, innodb_lock_wait_timeout = {seconds}"
                ),
            )
            .await?;
        }
        let watch = lock_wait::watch(&self.spec, conn.id(), opts.lock_timeout);
        let end_on_signal = crate::cleanup::session(&self.spec, conn.id());
        // Nor can MyISAM or Aria roll anything back: a failed load says what
        // they hold then, read back.
        let untransactional = row_counts(&mut conn).await?;
        exec(&mut conn, "START TRANSACTION").await?;
        let loaded = match import::load(&mut conn, path, opts).await {
            Ok(loaded) => loaded,
            Err(err) => {
                let err = match opts.lock_timeout {
                    Some(seconds) if gave_up_on_a_lock(&err) => watch.explain(err, seconds),
                    _ => err,
                };
                drop(watch);
                drop(end_on_signal);
                let _ = exec(&mut conn, "ROLLBACK").await;
                // The file's settings (SET NAMES latin1) would garble the
                // names below, and the results read back.
                let _ = exec(&mut conn, connect::SESSION).await;
                // After a lost connection only a new one can put them back.
                let put_back = match put_back_counters(&mut conn, &counters).await {
                    Err(_) => match connect::connect(&self.spec).await {
                        Ok(mut fresh) => put_back_counters(&mut fresh, &counters).await,
                        Err(e) => Err(e),
                    },
                    done => done,
                };
                let err = match put_back {
                    Ok(()) => err,
                    Err(e) => err.context(format!(
                        "nothing was committed, but AUTO_INCREMENT counters moved by the rolled-back rows could not be put back: {}", Report(&e)
                    )),
                };
                return Err(match changed_anyway(&self.spec, &untransactional).await {
                    Some(words) => err.context(words),
                    None => err,
                });
            }
        };
        drop(watch);
        drop(end_on_signal);
        exec(&mut conn, "COMMIT").await.map_err(|e| {
            e.context(format!(
                "{}: committing; nothing was committed",
                path.display()
            ))
        })?;
        drop(put_back_on_signal);
        // The counters' statements name tables in UTF-8, whatever the
        // file's SET NAMES said for its rows.
        let deferred = match exec(&mut conn, connect::SESSION).await {
            Ok(()) => run_deferred(&mut conn, path, &loaded.deferred).await,
            Err(e) => Err(e),
        };
        deferred.map_err(|e| {
            e.context(format!(
                "the rows of {} tables ({} rows) from {} were committed",
                loaded.summary.tables.len(),
                loaded.summary.rows,
                path.display()
            ))
        })?;
        Ok(ImportSummary {
            tables: loaded.summary.tables.len(),
            rows: loaded.summary.rows,
            verified: loaded.summary.manifest_checked(),
        })
    }

    /// Drops a staging database after a signal: the loading sessions are
    /// killed first, since their statements would hold it open.
    pub async fn drop_staging(&self, name: &str) -> Result<()> {
        let mut admin = self.admin().await?;
        let ids: Vec<u64> = admin
            .exec(
                "SELECT ID FROM information_schema.PROCESSLIST WHERE DB = ? AND ID <> CONNECTION_ID()",
                (name,),
            )
            .await
            .map_err(ServerError::from)?;
        for id in ids {
            let _ = exec(&mut admin, &format!("KILL CONNECTION {id}")).await;
        }
        exec(
            &mut admin,
            &format!("DROP DATABASE IF EXISTS {}", ident(name)),
        )
        .await
    }

    pub async fn inventory(&self, checksum: ChecksumKind) -> Result<Inventory> {
        let mut conn = connect::connect(&self.spec).await?;
        data::inventory(&mut conn, checksum).await
    }

    pub fn read_manifest(path: &Path) -> Result<Manifest> {
        import::scan_file(path)
    }

    pub fn check_file(path: &Path) -> Result<Manifest> {
        import::scan_file(path)
    }
}

/// Every table's AUTO_INCREMENT counter in the connection's database.
async fn auto_increments(conn: &mut Conn) -> Result<Vec<(String, u64)>> {
    conn.query(
        "SELECT TABLE_NAME, AUTO_INCREMENT FROM information_schema.TABLES \
         WHERE TABLE_SCHEMA = DATABASE() AND AUTO_INCREMENT IS NOT NULL",
    )
    .await
    .map_err(ServerError::from)
    .context("reading the AUTO_INCREMENT counters")
}

/// [`put_back_counters`] over a new connection, once the server has rolled
/// back the transaction of one that was dropped (its ALTERs wait for that).
pub async fn put_back_counters_after(
    spec: &ConnectionSpec,
    before: &[(String, u64)],
) -> Result<()> {
    let mut conn = connect::connect(spec).await?;
    put_back_counters(&mut conn, before).await
}

/// Sets counters that moved back to what they were before a rolled-back load.
async fn put_back_counters(conn: &mut Conn, before: &[(String, u64)]) -> Result<()> {
    let now = auto_increments(conn).await?;
    for (table, value) in before {
        if now.iter().any(|(t, v)| t == table && v != value) {
            exec(
                conn,
                &format!("ALTER TABLE {} AUTO_INCREMENT = {value}", ident(table)),
            )
            .await?;
        }
    }
    Ok(())
}

/// Staging databases of earlier runs for the same target whose owner no
/// longer holds its run-tag lock: a run killed with SIGKILL left them. With
/// `resume`, the first build made from the same files is kept and returned
/// instead, with the phase it had reached.
async fn remove_leftovers(
    admin: &mut Conn,
    staging: &str,
    target: &str,
    resume: Option<&InputIdentity>,
) -> Result<Option<(String, Phase)>> {
    let Some(at) = staging.rfind("__dbsnap_") else {
        return Ok(None);
    };
    let prefix = &staging[..at + "__dbsnap_".len()];
    let found: Vec<String> = admin
        .exec(
            "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE LEFT(SCHEMA_NAME, CHAR_LENGTH(?)) = ? ORDER BY 1",
            (prefix, prefix),
        )
        .await
        .map_err(ServerError::from).context("looking for leftovers")?;
    // Journals first: a swap's staging database tells its recovery what happened.
    let (mut found, olds): (Vec<String>, Vec<String>) = found
        .into_iter()
        .partition(|n| !n[at..].starts_with("__dbsnap_old_"));
    found.splice(0..0, olds);
    let mut reused = None;
    for name in found {
        let Some(tag) = crate::engine::owner_tag(&name) else {
            continue;
        };
        if tag == crate::engine::run_tag() {
            continue;
        }
        let holder: Option<Option<u64>> = admin
            .exec_first("SELECT IS_USED_LOCK(?)", (tag.as_str(),))
            .await
            .map_err(ServerError::from)
            .context("looking for leftovers")?;
        if holder.flatten().is_some() {
            continue;
        }
        // An `old` database holds the journal of a swap that was killed.
        if name[at..].starts_with("__dbsnap_old_") {
            let said = swap::recover(admin, target, &name).await?;
            eprintln!("dbsnap: {said}");
            continue;
        }
        let verdict = match resume {
            Some(wanted) if name[at..].starts_with("__dbsnap_new_") && reused.is_none() => {
                // A database without the record (or gone meanwhile) reads as none.
                let record: Option<String> = admin
                    .query_first(format!(
                        "SELECT record FROM {}.{} LIMIT 1",
                        ident(&name),
                        ident(RESUME_RECORD)
                    ))
                    .await
                    .unwrap_or(None);
                Some(resume::judge(record.as_deref(), wanted))
            }
            _ => None,
        };
        if let Some(Verdict::Reuse(phase)) = verdict {
            reused = Some((name, phase));
            continue;
        }
        exec(admin, &format!("DROP DATABASE IF EXISTS {}", ident(&name))).await?;
        resume::say_dropped(&name, verdict);
    }
    Ok(reused)
}

/// The table in a staging database that records its build for `--resume`;
/// it is dropped before the swap.
const RESUME_RECORD: &str = "__dbsnap_resume";

/// Records the phase the build (connected to its staging database) reaches.
async fn record_phase(conn: &mut Conn, identity: &InputIdentity, phase: Phase) -> Result<()> {
    let text = StagingRecord {
        identity: identity.clone(),
        phase,
    }
    .text();
    let table = ident(RESUME_RECORD);
    let recorded = async {
        exec(
            conn,
            &format!("CREATE TABLE IF NOT EXISTS {table} (id INT PRIMARY KEY, record VARCHAR(255) NOT NULL)"),
        )
        .await?;
        conn.exec_drop(format!("REPLACE INTO {table} VALUES (1, ?)"), (text,))
            .await
            .map_err(ServerError::from)?;
        anyhow::Ok(())
    };
    recorded.await.context("recording the build's progress")
}

/// MySQL cannot switch triggers off for a session: say so before they fire.
async fn warn_about_triggers(conn: &mut Conn) -> Result<()> {
    let tables: Vec<String> = conn
        .query("SELECT DISTINCT EVENT_OBJECT_TABLE FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE() ORDER BY 1")
        .await
        .map_err(ServerError::from)?;
    if !tables.is_empty() {
        eprintln!(
            "dbsnap: warning: tables {} have triggers, which fire while rows are imported (MySQL cannot switch \
             them off); rows they write elsewhere may clash with the file's. To load a snapshot as it was, \
             build a fresh database with `dbsnap init --schema S --data FILE`, which creates triggers after the rows.",
            tables.iter().map(|t| ident(t)).collect::<Vec<_>>().join(", ")
        );
    }
    Ok(())
}

/// Counter and sequence restores of a data file (DDL in MySQL, which commits
/// on its own), after its rows. A failure says exactly what is left to do.
async fn run_deferred(conn: &mut Conn, path: &Path, restores: &[(Restore, u64)]) -> Result<()> {
    for (i, (restore, line)) in restores.iter().enumerate() {
        for sql in restore.statements() {
            if let Err(e) = conn.query_drop(&sql).await {
                let left: Vec<String> = restores[i..]
                    .iter()
                    .flat_map(|(r, _)| r.statements())
                    .map(|s| format!("  {s};"))
                    .collect();
                let words = format!(
                    "{}:{line}: restoring {} failed: {}. {} of {} counter/sequence restores were done; \
                     these were not. Run them by hand in the target database:\n{}",
                    path.display(),
                    restore.target(),
                    server_message(&e),
                    i,
                    restores.len(),
                    left.join("\n")
                );
                return Err(ServerError::new(words, e).into());
            }
        }
    }
    Ok(())
}
