//! MySQL/MariaDB engine: SHOW CREATE reading, streamed SELECT to extended
//! INSERTs, script loading, and the staging-database swap for init.
//!
//! MySQL DDL is not transactional. `init` therefore builds and validates the
//! whole database under a staging name first; only then is the existing
//! database replaced: its tables are moved aside, the new ones moved in with
//! one RENAME TABLE, and views, routines, triggers and events recreated.

pub mod connect;
mod data;
mod grants;
mod import;
mod load;
mod schema;

use std::io::Write;
use std::path::Path;

use anyhow::{anyhow, Context, Result};
use mysql_async::prelude::Queryable;
use mysql_async::Conn;

use self::connect::{ident, server_message};
use crate::config::ConnectionSpec;
use crate::engine::{
    staging_name, ChecksumKind, DataOptions, ImportOptions, ImportSummary, Inventory,
    SchemaOptions, SchemaSummary,
};
use crate::snapshot::manifest::Manifest;
use crate::snapshot::pieces::Pieces;

/// Connections that load rows into a staging build at once.
const LOAD_WORKERS: usize = 2;

pub struct MySql {
    spec: ConnectionSpec,
}

async fn exec(conn: &mut Conn, sql: &str) -> Result<()> {
    conn.query_drop(sql)
        .await
        .map_err(|e| anyhow!("{}", server_message(&e)))
}

/// Names of the given kind in a database, from information_schema.
async fn names(conn: &mut Conn, sql: &str, db: &str) -> Result<Vec<String>> {
    conn.exec(sql, (db,))
        .await
        .map_err(|e| anyhow!("{}", server_message(&e)))
}

impl MySql {
    pub fn new(spec: ConnectionSpec) -> MySql {
        MySql { spec }
    }

    pub fn spec(&self) -> &ConnectionSpec {
        &self.spec
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

    pub async fn init(&self, schema_file: &Path, data_file: Option<&Path>) -> Result<()> {
        let target = self.spec.dbname.clone();
        let staging = staging_name(&target, "new", 64);
        let charset = load::database_charset(schema_file)?;
        let create_opts = match &charset {
            Some((c, k)) => format!(" CHARACTER SET {c} COLLATE {k}"),
            None => String::new(),
        };
        let mut admin = self.admin().await?;
        exec(
            &mut admin,
            &format!("CREATE DATABASE {}{create_opts}", ident(&staging)),
        )
        .await
        .with_context(|| format!("creating the staging database {staging}"))?;

        let built = async {
            let mut conn = connect::connect(&self.spec.with_dbname(&staging)).await?;
            match data_file {
                None => load::run_schema(&mut conn, schema_file, load::Sections::All).await?,
                Some(data) => {
                    load::run_schema(&mut conn, schema_file, load::Sections::PreData).await?;
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
                    let loaded = import::load_parallel(&mut conn, workers, data).await?;
                    run_deferred(&mut conn, data, &loaded.deferred).await?;
                    load::run_schema(&mut conn, schema_file, load::Sections::PostData).await?;
                    load::run_schema(&mut conn, schema_file, load::Sections::Code).await?;
                }
            }
            conn.disconnect().await.ok();
            Ok::<_, anyhow::Error>(())
        }
        .await;
        if let Err(err) = built {
            let _ = exec(
                &mut admin,
                &format!("DROP DATABASE IF EXISTS {}", ident(&staging)),
            )
            .await;
            return Err(err.context(not_touched(&target, self.database_exists().await)));
        }
        self.swap_in(&mut admin, &staging, &target, &create_opts, schema_file)
            .await
    }

    pub async fn export_data(
        &self,
        opts: &DataOptions,
        pieces: &mut Pieces<'_>,
    ) -> Result<Manifest> {
        let conn = connect::connect(&self.spec).await?;
        data::export(&self.spec, conn, opts, pieces).await
    }

    pub async fn import(&self, path: &Path, opts: &ImportOptions) -> Result<ImportSummary> {
        let mut conn = connect::connect(&self.spec).await?;
        warn_about_triggers(&mut conn).await?;
        if opts.disable_constraints {
            exec(&mut conn, "SET FOREIGN_KEY_CHECKS = 0, UNIQUE_CHECKS = 0").await?;
        }
        exec(&mut conn, "START TRANSACTION").await?;
        let loaded = match import::load(&mut conn, path, opts).await {
            Ok(loaded) => loaded,
            Err(err) => {
                let _ = exec(&mut conn, "ROLLBACK").await;
                return Err(err);
            }
        };
        exec(&mut conn, "COMMIT")
            .await
            .with_context(|| format!("{}: committing", path.display()))?;
        run_deferred(&mut conn, path, &loaded.deferred)
            .await
            .context(
            "the rows were committed, but restoring AUTO_INCREMENT counters or sequences failed",
        )?;
        Ok(ImportSummary {
            tables: loaded.tables,
            rows: loaded.rows,
            verified: loaded.manifest_checked,
        })
    }

    pub async fn inventory(&self, checksum: ChecksumKind) -> Result<Inventory> {
        let mut conn = connect::connect(&self.spec).await?;
        data::inventory(&mut conn, checksum).await
    }

    pub fn read_manifest(path: &Path) -> Result<Manifest> {
        import::scan_file(path, false)
    }

    pub fn check_file(path: &Path) -> Result<Manifest> {
        import::scan_file(path, true)
    }

    /// Moves the finished staging build into `target`; see the module comment.
    async fn swap_in(
        &self,
        admin: &mut Conn,
        staging: &str,
        target: &str,
        create_opts: &str,
        schema_file: &Path,
    ) -> Result<()> {
        // Code cannot move with RENAME TABLE; it is recreated in the target.
        drop_code(admin, staging).await?;
        let exists = !names(
            admin,
            "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?",
            target,
        )
        .await?
        .is_empty();
        let old = staging_name(target, "old", 64);
        if exists {
            exec(admin, &format!("CREATE DATABASE {}", ident(&old))).await?;
            drop_code(admin, target).await?;
            move_tables(admin, target, &old)
                .await
                .with_context(|| format!("moving the old tables of {target} aside"))?;
            if !create_opts.is_empty() {
                exec(
                    admin,
                    &format!("ALTER DATABASE {}{create_opts}", ident(target)),
                )
                .await?;
            }
        } else {
            exec(
                admin,
                &format!("CREATE DATABASE {}{create_opts}", ident(target)),
            )
            .await?;
        }
        if let Err(err) = move_tables(admin, staging, target).await {
            if exists {
                let _ = move_tables(admin, &old, target).await;
            }
            return Err(err.context(format!("moving the new tables into {target}")));
        }
        // The staging database is empty now, whatever happens next.
        exec(admin, &format!("DROP DATABASE {}", ident(staging))).await?;
        repoint_defaults(admin, staging, target).await?;
        let mut conn = connect::connect(&self.spec.with_dbname(target)).await?;
        load::run_schema(&mut conn, schema_file, load::Sections::Code)
            .await
            .with_context(|| format!("the tables of {target} are in place, but creating its views, routines, triggers or events failed"))?;
        if exists {
            exec(admin, &format!("DROP DATABASE {}", ident(&old))).await?;
        }
        Ok(())
    }
}

/// MySQL cannot switch triggers off for a session: say so before they fire.
async fn warn_about_triggers(conn: &mut Conn) -> Result<()> {
    let tables: Vec<String> = conn
        .query("SELECT DISTINCT EVENT_OBJECT_TABLE FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE() ORDER BY 1")
        .await
        .map_err(|e| anyhow!("{}", server_message(&e)))?;
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

/// Counter and sequence statements of a data file (DDL in MySQL), after its rows.
async fn run_deferred(conn: &mut Conn, path: &Path, statements: &[(String, u64)]) -> Result<()> {
    for (sql, line) in statements {
        conn.query_drop(sql)
            .await
            .map_err(|e| anyhow!("{}:{line}: {}", path.display(), server_message(&e)))?;
    }
    Ok(())
}

/// MariaDB stores `DEFAULT NEXTVAL(s)` as NEXTVAL(`db`.`s`) with the database
/// it was created in; after the move it must name the target, not the staging build.
async fn repoint_defaults(conn: &mut Conn, staging: &str, target: &str) -> Result<()> {
    let stale = format!("{}.", ident(staging));
    let columns: Vec<(String, String, String)> = conn
        .exec(
            "SELECT TABLE_NAME, COLUMN_NAME, COLUMN_DEFAULT FROM information_schema.COLUMNS \
             WHERE TABLE_SCHEMA = ? AND LOCATE(?, COLUMN_DEFAULT) > 0",
            (target, stale.as_str()),
        )
        .await
        .map_err(|e| anyhow!("{}", server_message(&e)))?;
    for (table, column, default) in columns {
        let fixed = default.replace(&stale, &format!("{}.", ident(target)));
        exec(
            conn,
            &format!(
                "ALTER TABLE {}.{} ALTER COLUMN {} SET DEFAULT {fixed}",
                ident(target),
                ident(&table),
                ident(&column)
            ),
        )
        .await?;
    }
    Ok(())
}

async fn drop_code(conn: &mut Conn, db: &str) -> Result<()> {
    let d = ident(db);
    for name in names(
        conn,
        "SELECT TRIGGER_NAME FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ?",
        db,
    )
    .await?
    {
        exec(conn, &format!("DROP TRIGGER {d}.{}", ident(&name))).await?;
    }
    for name in names(
        conn,
        "SELECT EVENT_NAME FROM information_schema.EVENTS WHERE EVENT_SCHEMA = ?",
        db,
    )
    .await?
    {
        exec(conn, &format!("DROP EVENT {d}.{}", ident(&name))).await?;
    }
    for name in names(
        conn,
        "SELECT TABLE_NAME FROM information_schema.VIEWS WHERE TABLE_SCHEMA = ?",
        db,
    )
    .await?
    {
        exec(conn, &format!("DROP VIEW {d}.{}", ident(&name))).await?;
    }
    let routines: Vec<(String, String)> = conn
        .exec("SELECT ROUTINE_TYPE, ROUTINE_NAME FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ?", (db,))
        .await
        .map_err(|e| anyhow!("{}", server_message(&e)))?;
    for (kind, name) in routines {
        exec(conn, &format!("DROP {kind} {d}.{}", ident(&name))).await?;
    }
    Ok(())
}

/// One RENAME TABLE for all tables and sequences: MySQL performs it atomically.
async fn move_tables(conn: &mut Conn, from: &str, to: &str) -> Result<()> {
    let tables = names(conn, "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE <> 'VIEW'", from).await?;
    if tables.is_empty() {
        return Ok(());
    }
    let pairs: Vec<String> = tables
        .iter()
        .map(|t| format!("{}.{} TO {}.{}", ident(from), ident(t), ident(to), ident(t)))
        .collect();
    exec(conn, &format!("RENAME TABLE {}", pairs.join(", "))).await
}

/// The last words of a failed init: whether there was a database to leave alone.
fn not_touched(target: &str, exists: Result<bool>) -> String {
    match exists {
        Ok(true) => format!("building {target} failed; the existing database was not touched"),
        Ok(false) => format!("building {target} failed; nothing was created"),
        Err(_) => format!("building {target} failed; the staging database was dropped"),
    }
}
