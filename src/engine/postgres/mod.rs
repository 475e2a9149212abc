//! PostgreSQL engine: catalog reading, DDL generation, script loading.

mod catalog;
mod chunk;
mod column_types;
pub mod connect;
mod data;
mod import;
mod init_load;
mod large_objects;
mod load;
mod lock_wait;
mod names;
mod prepare;
mod quote;
mod truncate;

use std::collections::BTreeSet;
use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};
use tokio_postgres::Client;

use crate::config::{ConnectionSpec, EngineKind};
use crate::engine::order::{sort_objects, Section};
use crate::engine::resume::{
    self, InitInputs, InitReport, InputIdentity, Phase, StagingRecord, Verdict,
};
use crate::engine::{
    staging_name, ChecksumKind, DataOptions, ImportOptions, ImportSummary, Inventory,
    SchemaOptions, SchemaSummary,
};
use crate::error::{Report, ServerError, Unsupported};
use crate::script::schemafile::PostDataBar;
use crate::script::statement::{Dialect, TableName};
use crate::snapshot::manifest::Manifest;
use crate::snapshot::markers::{self, FileKind};
use crate::snapshot::pieces::Pieces;

/// Terminates backend `pid` (a run's own, after a signal).
pub async fn end_session(spec: &ConnectionSpec, pid: u32) -> Result<()> {
    let client = connect::connect(spec).await?;
    client
        .execute(
            "SELECT pg_catalog.pg_terminate_backend($1)",
            &[&(pid as i32)],
        )
        .await
        .map_err(ServerError::from)?;
    Ok(())
}

pub struct Postgres {
    spec: ConnectionSpec,
}

/// The longest database name the server keeps (NAMEDATALEN - 1).
pub const MAX_NAME: usize = 63;

/// Always-quoted identifier, for names we put into statements ourselves.
pub fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The server's words for a failed statement, without anything from the URL.
pub fn server_message(err: &tokio_postgres::Error) -> String {
    match err.as_db_error() {
        Some(db) => {
            let mut msg = format!("{}: {}", db.severity(), db.message());
            if let Some(detail) = db.detail() {
                msg += &format!(" (DETAIL: {detail})");
            }
            if let Some(hint) = db.hint() {
                msg += &format!(" (HINT: {hint})");
            }
            msg
        }
        None => err.to_string(),
    }
}

impl From<tokio_postgres::Error> for ServerError {
    fn from(err: tokio_postgres::Error) -> ServerError {
        ServerError::new(server_message(&err), err)
    }
}

const HEADER: &str = "\
--
-- dbsnap schema snapshot (PostgreSQL)
-- Load with `dbsnap init --schema FILE` or `psql -v ON_ERROR_STOP=1 -f FILE`.
-- Pre-data objects come first; post-data objects (indexes, constraints,
-- foreign keys, triggers, rules, policies) after the marker, so that data
-- can be loaded between the two sections.
--
";

/// The session a snapshot file sets up for whoever loads it (psql or dbsnap),
/// as pg_dump does: every name is qualified, so search_path is empty.
pub const SETTINGS: &str = "
SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;
";

impl Postgres {
    pub fn new(spec: ConnectionSpec) -> Postgres {
        Postgres { spec }
    }

    pub fn spec(&self) -> &ConnectionSpec {
        &self.spec
    }

    async fn connect_to(&self, dbname: &str) -> Result<Client> {
        connect::connect(&self.spec.with_dbname(dbname)).await
    }

    /// A connection to a database other than the target, for CREATE/DROP DATABASE.
    async fn maintenance(&self) -> Result<Client> {
        match self.connect_to("postgres").await {
            Ok(client) => Ok(client),
            Err(first) => self.connect_to("template1").await.map_err(|_| first),
        }
    }

    pub async fn export_schema(
        &self,
        opts: &SchemaOptions,
        out: &mut dyn Write,
    ) -> Result<SchemaSummary> {
        let client = connect::connect(&self.spec).await?;
        // An empty search_path makes the server qualify every name it prints.
        client
            .batch_execute(
                "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; \
                 SELECT pg_catalog.set_config('search_path', '', false);",
            )
            .await
            .map_err(ServerError::from)
            .context("starting the export transaction")?;
        let catalog = catalog::read_catalog(&client, opts.with_subscriptions).await?;
        let mut summary = SchemaSummary::default();
        if !catalog.unsupported.is_empty() {
            if !opts.skip_unsupported {
                return Err(Unsupported {
                    objects: catalog.unsupported,
                }
                .into());
            }
            summary.skipped = catalog.unsupported.clone();
            summary.skipped.extend(
                catalog
                    .dependents
                    .iter()
                    .map(|d| format!("{d} (needs a skipped object)")),
            );
        }
        for sub in &catalog.subscriptions {
            eprintln!(
                "dbsnap: note: {sub} left out (pass --with-subscriptions to write subscriptions)"
            );
        }
        for mapping in &catalog.passwords_left_out {
            eprintln!(
                "dbsnap: note: {mapping} is written without its password (passwords never go into \
                 a snapshot); set it on the target with ALTER USER MAPPING ... OPTIONS (ADD password '...')"
            );
        }
        let (objects, warnings) = sort_objects(catalog.objects);
        for w in warnings {
            eprintln!("dbsnap: warning: {w}");
        }
        out.write_all(HEADER.as_bytes())?;
        out.write_all(markers::header(EngineKind::Postgres, FileKind::Schema).as_bytes())?;
        out.write_all(SETTINGS.as_bytes())?;
        let mut section = None;
        for obj in objects.iter().filter(|o| !o.sql.is_empty()) {
            if section != Some(obj.section) {
                section = Some(obj.section);
                write!(out, "\n{}", markers::section_line(obj.section))?;
            }
            write!(out, "\n{}\n{}", markers::object_line(&obj.label), obj.sql)?;
            summary.objects += 1;
        }
        if section != Some(Section::PostData) {
            write!(out, "\n{}", markers::section_line(Section::PostData))?;
        }
        write!(out, "\n{}", markers::end_line())?;
        Ok(summary)
    }

    pub async fn database_exists(&self) -> Result<bool> {
        let client = self.maintenance().await?;
        let row = client
            .query_opt(
                "SELECT 1 FROM pg_catalog.pg_database WHERE datname = $1",
                &[&self.spec.dbname],
            )
            .await
            .map_err(ServerError::from)
            .with_context(|| format!("checking for database {}", self.spec.dbname))?;
        Ok(row.is_some())
    }

    pub async fn export_data(&self, opts: &DataOptions, pieces: &mut Pieces) -> Result<Manifest> {
        let client = connect::connect(&self.spec).await?;
        data::begin_snapshot(&client).await?;
        data::export(&self.spec, client, opts, pieces).await
    }

    pub async fn import(&self, path: &Path, opts: &ImportOptions) -> Result<ImportSummary> {
        let client = connect::connect(&self.spec).await?;
        client
            .batch_execute("BEGIN")
            .await
            .map_err(ServerError::from)?;
        if opts.disable_constraints {
            disable_constraints(&client).await?;
        }
        if let Some(seconds) = opts.lock_timeout {
            import::set_lock_timeout(&client, seconds).await?;
        }
        let pid: i32 = client
            .query_one("SELECT pg_catalog.pg_backend_pid()", &[])
            .await
            .map_err(ServerError::from)?
            .get(0);
        let watch = lock_wait::watch(&self.spec, pid, opts.lock_timeout);
        let _end_on_signal = crate::cleanup::session(&self.spec, pid as u32);
        // On any error the transaction is abandoned with the connection: nothing is committed.
        let loaded =
            import::load(&client, path, opts)
                .await
                .map_err(|e| match opts.lock_timeout {
                    Some(seconds) if import::gave_up_on_a_lock(&e) => watch.explain(e, seconds),
                    _ => e,
                })?;
        drop(watch);
        client.batch_execute("COMMIT").await.map_err(|e| {
            let words = format!("{}. Nothing was committed.", server_message(&e));
            anyhow::Error::from(ServerError::new(words, e))
                .context(format!("{}: committing", path.display()))
        })?;
        Ok(ImportSummary {
            tables: loaded.tables.len(),
            rows: loaded.rows,
            verified: loaded.manifest_checked(),
        })
    }

    pub fn read_manifest(&self, path: &Path) -> Result<Manifest> {
        import::scan_file(path)
    }

    pub fn check_file(path: &Path) -> Result<Manifest> {
        import::scan_file(path)
    }

    pub async fn inventory(&self, checksum: ChecksumKind) -> Result<Inventory> {
        let client = connect::connect(&self.spec).await?;
        data::begin_snapshot(&client).await?;
        data::inventory(&client, checksum).await
    }

    /// Creates the database and runs a whole schema file in it, as `init` builds
    /// its staging database, without the swap (for `diff`'s scratch database).
    pub async fn create_from_schema(&self, schema_file: &Path) -> Result<()> {
        let name = &self.spec.dbname;
        let sql = format!("CREATE DATABASE {} TEMPLATE template0", ident(name));
        self.on_maintenance(&sql, "creating", name).await?;
        let client = self.connect_to(name).await?;
        load::run_schema(&client, schema_file, load::Sections::All).await
    }

    pub async fn drop_scratch(&self) -> Result<()> {
        self.drop_database(&self.spec.dbname).await
    }

    /// Runs `sql` on the maintenance database; an error says what it was
    /// `doing` to database `name`.
    async fn on_maintenance(&self, sql: &str, doing: &str, name: &str) -> Result<()> {
        self.maintenance()
            .await?
            .batch_execute(sql)
            .await
            .map_err(ServerError::from)
            .with_context(|| format!("{doing} {name}"))
    }

    pub async fn init(&self, inputs: &InitInputs<'_>) -> Result<InitReport> {
        let (schema_file, data_file, identity) = (inputs.schema, inputs.data, &inputs.identity);
        let target = self.spec.dbname.clone();
        let staging = staging_name(&target, "new", 63);
        let old = staging_name(&target, "old", 63);
        let mut report = InitReport::default();
        let maint = self.maintenance().await?;
        let found = self
            .remove_leftovers(&maint, &staging, inputs.wanted())
            .await?;
        let run = |sql: String| {
            let maint = &maint;
            async move { maint.batch_execute(&sql).await.map_err(ServerError::from) }
        };
        let resumed = match found {
            // Renamed to this run's name: its run tag keeps other runs off it.
            Some((dead, phase)) => {
                run(format!(
                    "ALTER DATABASE {} RENAME TO {}",
                    ident(&dead),
                    ident(&staging)
                ))
                .await
                .with_context(|| format!("taking over the staging database {dead} to resume it"))?;
                report.resumed = Some(dead);
                report.resumed_phase = Some(phase);
                Some(phase)
            }
            None => {
                report.notes.extend(inputs.nothing_resumed(&target));
                run(format!(
                    "CREATE DATABASE {} TEMPLATE template0",
                    ident(&staging)
                ))
                .await
                .with_context(|| format!("creating the staging database {staging}"))?;
                None
            }
        };
        let registered = crate::cleanup::database(&self.spec, &staging);
        // What the build has reached, as a comment on the staging database,
        // for a later `--resume` (cleared in the swap's transaction).
        let record = |phase: Phase| {
            let text = identity.as_ref().map(|identity| {
                StagingRecord {
                    identity: identity.clone(),
                    phase,
                }
                .text()
            });
            let run = &run;
            let staging = &staging;
            async move {
                match text {
                    Some(text) => run(format!(
                        "COMMENT ON DATABASE {} IS {}",
                        ident(staging),
                        quote::literal(&text)
                    ))
                    .await
                    .context("recording the build's progress"),
                    None => Ok(()),
                }
            }
        };

        let built = async {
            let client = self.connect_to(&staging).await?;
            let Some(data_file) = data_file else {
                return load::run_schema(&client, schema_file, load::Sections::All).await;
            };
            // Rows go in between, as pg_restore does: FK cycles, NOT VALID
            // checks and triggers that write elsewhere all come through.
            let mut skip = BTreeSet::new();
            match resumed {
                None => {
                    record(Phase::PreData).await?;
                    load::run_schema(&client, schema_file, load::Sections::PreData).await?;
                    crate::engine::fault_point("pre-data-built");
                    record(Phase::Rows).await?;
                }
                Some(Phase::Ready) => return Ok(()),
                Some(_) => {
                    let db = Postgres::new(self.spec.with_dbname(&staging));
                    let (kept, reload) = resume::complete_tables(
                        data_file,
                        Dialect::Postgres,
                        db.inventory(ChecksumKind::Snapshot),
                    )
                    .await?;
                    for name in &kept {
                        skip.extend(TableName::parse(Dialect::Postgres, name));
                    }
                    report.kept = kept;
                    report.reloaded = reload;
                }
            }
            let mut workers = Vec::new();
            for _ in 0..init_load::WORKERS {
                workers.push(self.connect_to(&staging).await?);
            }
            let early = init_load::Early {
                client: self.connect_to(&staging).await?,
                schema: schema_file.to_path_buf(),
            };
            let (_, early) = init_load::load(&client, workers, data_file, skip, early).await?;
            record(Phase::PostData).await?;
            let helper = self.connect_to(&staging).await?;
            let bar = PostDataBar::start(schema_file, Dialect::Postgres, 0);
            load::run_post_data(&[&client, &helper], schema_file, &bar, Some(early)).await?;
            bar.finish();
            record(Phase::Ready).await
        }
        .await;
        if let Err(err) = built {
            // The run's own connection may be the one that was lost.
            let dropped = match run(format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                ident(&staging)
            ))
            .await
            {
                Ok(()) => Ok(()),
                Err(_) => self.drop_database(&staging).await,
            };
            let exists = self.database_exists().await;
            return Err(err.context(crate::engine::not_touched(
                &target, exists, &staging, dropped,
            )));
        }

        let exists = maint
            .query_opt(
                "SELECT 1 FROM pg_catalog.pg_database WHERE datname = $1",
                &[&target],
            )
            .await?
            .is_some();
        // The record goes in the same transaction: the database that
        // becomes `target` carries no comment of ours.
        let uncomment = match identity {
            Some(_) => format!("COMMENT ON DATABASE {} IS NULL; ", ident(&staging)),
            None => String::new(),
        };
        let swap = if exists {
            // Both renames in one transaction: they commit together or not at
            // all, so there is no moment without a database called `target`.
            format!(
                "BEGIN; {uncomment}ALTER DATABASE {t} RENAME TO {o}; ALTER DATABASE {s} RENAME TO {t}; COMMIT",
                t = ident(&target),
                o = ident(&old),
                s = ident(&staging)
            )
        } else {
            format!(
                "BEGIN; {uncomment}ALTER DATABASE {} RENAME TO {}; COMMIT",
                ident(&staging),
                ident(&target)
            )
        };
        // From the renames to the old copy's drop: a signal waits for it.
        let _critical = crate::cleanup::critical();
        let swapped = run(swap).await;
        if swapped.is_ok() {
            // The staging name is the target's now.
            drop(registered);
        }
        if let Err(err) = swapped {
            let state = self.state_of(&[&target, &staging, &old]).await;
            let _ = self.drop_database(&staging).await;
            return Err(anyhow::Error::from(err).context(format!(
                "cannot swap in the new {target} (close its other sessions first). As read back from the server: {state}"
            )));
        }
        if exists {
            self.drop_database(&old).await.with_context(|| {
                format!("the new {target} is in place, but the old copy {old} could not be dropped")
            })?;
        }
        Ok(report)
    }

    /// Staging databases of earlier runs for the same target whose run is
    /// gone (no session carries its run tag any more): a run killed with
    /// SIGKILL could not drop them. The old copy a finished swap left is one
    /// of them too: the swap committed, so it is not needed. With `resume`,
    /// the first one built from the same files is kept and returned instead,
    /// with the phase it had reached.
    async fn remove_leftovers(
        &self,
        maint: &Client,
        staging: &str,
        resume: Option<&InputIdentity>,
    ) -> Result<Option<(String, Phase)>> {
        let prefix = match staging.rfind("__dbsnap_") {
            Some(at) => &staging[..at + "__dbsnap_".len()],
            None => return Ok(None),
        };
        let leftover_error =
            |e| anyhow::Error::from(ServerError::from(e)).context("looking for leftovers");
        let rows = maint
            .query(
                "SELECT datname, pg_catalog.shobj_description(oid, 'pg_database') \
                 FROM pg_catalog.pg_database WHERE starts_with(datname, $1) ORDER BY 1",
                &[&prefix],
            )
            .await
            .map_err(leftover_error)?;
        let mut found = None;
        for row in rows {
            let name: String = row.get(0);
            let record: Option<String> = row.get(1);
            let Some(tag) = crate::engine::owner_tag(&name) else {
                continue;
            };
            // A run holds its connection to the maintenance database from
            // start to end. Sessions of its tag inside this database alone do
            // not make it alive: a backend building an index goes on after
            // its client was killed, until the build ends.
            let alive: bool = maint
                .query_one(
                    "SELECT EXISTS (SELECT FROM pg_catalog.pg_stat_activity \
                     WHERE application_name = $1 AND backend_type = 'client backend' \
                     AND datname IS DISTINCT FROM $2)",
                    &[&tag, &name],
                )
                .await
                .map_err(leftover_error)?
                .get(0);
            if alive || tag == crate::engine::run_tag() {
                continue;
            }
            let is_build = name[prefix.len()..].starts_with("new_");
            let verdict = match resume {
                Some(wanted) if is_build && found.is_none() => {
                    Some(resume::judge(record.as_deref(), wanted))
                }
                _ => None,
            };
            if let Some(Verdict::Reuse(phase)) = verdict {
                // What the dead run left running there goes (rolled back),
                // or the database could not be renamed and taken over.
                maint
                    .execute(
                        "SELECT pg_catalog.pg_terminate_backend(pid, 10000) \
                         FROM pg_catalog.pg_stat_activity WHERE datname = $1",
                        &[&name],
                    )
                    .await
                    .map_err(leftover_error)?;
                found = Some((name, phase));
                continue;
            }
            self.drop_database(&name).await?;
            resume::say_dropped(&name, verdict);
        }
        Ok(found)
    }

    /// Drops a database this run created, over a fresh connection.
    pub async fn drop_database(&self, name: &str) -> Result<()> {
        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", ident(name));
        self.on_maintenance(&sql, "dropping", name).await
    }

    /// Which of `names` exist, read over a fresh connection: what a message
    /// after a failure says is what the server holds, not what we hoped.
    async fn state_of(&self, names: &[&str]) -> String {
        let found = async {
            let maint = self.maintenance().await?;
            let mut out = Vec::new();
            for name in names {
                let row = maint
                    .query_opt(
                        "SELECT 1 FROM pg_catalog.pg_database WHERE datname = $1",
                        &[name],
                    )
                    .await?;
                out.push(format!(
                    "{name} {}",
                    if row.is_some() {
                        "exists"
                    } else {
                        "does not exist"
                    }
                ));
            }
            Ok::<_, anyhow::Error>(out.join(", "))
        }
        .await;
        found.unwrap_or_else(|e| format!("the server could not be asked ({})", Report(&e)))
    }
}

/// FK triggers and ordinary triggers off for this transaction.
async fn disable_constraints(client: &Client) -> Result<()> {
    client.batch_execute("SET LOCAL session_replication_role = replica").await.map_err(|e| {
        let words = format!(
            "--disable-constraints needs SET session_replication_role, which this role may not do ({}). \
             Ask for `GRANT SET ON PARAMETER session_replication_role TO <role>` (PostgreSQL 15+) or superuser, \
             or build a fresh database with `dbsnap init --schema S --data FILE`, which adds constraints after the rows.",
            server_message(&e)
        );
        ServerError::new(words, e).into()
    })
}
