//! Moving a finished staging build into the live database, so that an
//! interruption at any step never damages or loses it.
//!
//! MySQL DDL commits on its own and code (views, routines, triggers, events)
//! cannot move with RENAME TABLE, so the swap has steps. Before the first one
//! that touches the live database, a journal is written into the `old`
//! database: the live code as `SHOW CREATE` gives it, and the new code from
//! the schema file. Then:
//!
//! 1. the live code is dropped (each statement waits for locks at most
//!    `lock_wait_timeout`; on a timeout the dropped code is recreated);
//! 2. one RENAME TABLE moves the live tables to `old` and the new ones in:
//!    MySQL performs it atomically, so the live name always holds a whole set;
//! 3. the new code is created and `old` dropped.
//!
//! A run killed in between leaves `old` with its journal. The next `init` of
//! the target finds it ([`recover`]): before step 2 it puts the old code back
//! (reverted), after it it creates the new code (finished), and says which.

use std::path::Path;

use anyhow::{anyhow, bail, Context, Result};
use mysql_async::prelude::Queryable;
use mysql_async::Conn;

use super::connect::{ident, server_message};
use super::{exec, load, names};

/// The journal's table in the `old` database.
const JOURNAL: &str = "__dbsnap_swap";

/// One statement to replay, with the session it needs.
#[derive(Debug, Clone)]
struct Replay {
    side: &'static str,
    sql_mode: Option<String>,
    charset: Option<String>,
    collation: Option<String>,
    stmt: String,
}

/// Stops the process at a named step when `DBSNAP_FAULT_AT` says so: the
/// tests kill a swap at every step this way (an abort, like kill -9, runs
/// no cleanup).
fn fault_point(step: &str) {
    if std::env::var("DBSNAP_FAULT_AT").is_ok_and(|s| s == step) {
        eprintln!("dbsnap: DBSNAP_FAULT_AT={step}: stopping here");
        std::process::abort();
    }
}

pub struct Swap<'a> {
    pub staging: &'a str,
    pub target: &'a str,
    pub old: &'a str,
    pub create_opts: &'a str,
    pub schema_file: &'a Path,
    pub lock_timeout: u64,
}

impl Swap<'_> {
    pub async fn run(&self, admin: &mut Conn) -> Result<()> {
        let (staging, target, old) = (self.staging, self.target, self.old);
        exec(admin, &format!("SET SESSION lock_wait_timeout = {}", self.lock_timeout)).await?;
        // Code cannot move with RENAME TABLE; it is recreated in the target.
        drop_code(admin, staging).await?;
        let exists = !names(
            admin,
            "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?",
            target,
        )
        .await?
        .is_empty();
        let new_code: Vec<Replay> = load::code_statements(self.schema_file)?
            .into_iter()
            .map(|stmt| Replay { side: "new", sql_mode: None, charset: None, collation: None, stmt })
            .collect();
        if !exists {
            exec(admin, &format!("CREATE DATABASE {}{}", ident(target), self.create_opts)).await?;
            move_tables(admin, staging, target, None).await?;
            exec(admin, &format!("DROP DATABASE {}", ident(staging))).await?;
            repoint_defaults(admin, staging, target).await?;
            return create_code(admin, target, &new_code).await;
        }

        // The journal, before anything of the live database changes.
        exec(admin, &format!("CREATE DATABASE {}", ident(old))).await?;
        let live = save_code(admin, target).await?;
        write_journal(admin, old, staging, &live, &new_code).await?;
        fault_point("journal");

        let live_code = read_journal(admin, old, "old").await?;
        if let Err(err) = drop_code(admin, target).await {
            let state = revert(admin, target, old, &live_code).await;
            return Err(err.context(format!(
                "gave up replacing {target} (another session holds a lock on it; --lock-timeout {} s): {state}",
                self.lock_timeout
            )));
        }
        fault_point("code-dropped");
        if let Err(err) = move_tables(admin, target, old, Some(staging)).await {
            let state = revert(admin, target, old, &live_code).await;
            return Err(err.context(format!(
                "gave up moving the new tables into {target} (another session holds a lock on it; --lock-timeout {} s): {state}",
                self.lock_timeout
            )));
        }
        fault_point("renamed");
        if !self.create_opts.is_empty() {
            exec(admin, &format!("ALTER DATABASE {}{}", ident(target), self.create_opts)).await?;
        }
        finish(admin, target, staging, old, &new_code)
            .await
            .with_context(|| format!("the new tables of {target} are in place, but creating its views, routines, triggers or events failed; the next `dbsnap init` of {target} finishes it"))
    }
}

/// After the RENAME: defaults pointed at the target, the new code, and the
/// old tables dropped.
async fn finish(admin: &mut Conn, target: &str, staging: &str, old: &str, new_code: &[Replay]) -> Result<()> {
    exec(admin, &format!("DROP DATABASE IF EXISTS {}", ident(staging))).await?;
    repoint_defaults(admin, staging, target).await?;
    exec(admin, &format!("USE {}", ident(target))).await?;
    drop_code(admin, target).await?;
    create_code(admin, target, new_code).await?;
    fault_point("code-created");
    exec(admin, &format!("DROP DATABASE {}", ident(old))).await
}

/// Puts the live code back after a step that gave up; returns what the
/// server holds now, read back.
async fn revert(admin: &mut Conn, target: &str, old: &str, live_code: &[Replay]) -> String {
    let result = async {
        exec(admin, &format!("USE {}", ident(target))).await?;
        drop_code(admin, target).await?;
        create_code(admin, target, live_code).await?;
        exec(admin, &format!("DROP DATABASE {}", ident(old))).await
    }
    .await;
    let counts = code_counts(admin, target).await;
    match result {
        Ok(()) => format!("{target} was left as it was ({counts})"),
        Err(e) => format!("putting back the code of {target} failed ({e:#}); {target} now has {counts}; the journal in {old} keeps the rest, and the next `dbsnap init` of {target} retries"),
    }
}

/// What a killed swap left for `target`, if anything: finished or reverted.
pub async fn recover(admin: &mut Conn, target: &str, old: &str) -> Result<String> {
    let has_journal = !names(
        admin,
        "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = '__dbsnap_swap'",
        old,
    )
    .await?
    .is_empty();
    let complete = has_journal
        && read_journal(admin, old, "end").await.is_ok_and(|end| !end.is_empty());
    if !complete {
        // Killed before the journal was whole: nothing of the live database changed.
        exec(admin, &format!("DROP DATABASE {}", ident(old))).await?;
        return Ok(format!("an earlier init was killed before it changed {target}; its leftover {old} was dropped"));
    }
    let staging: String = read_journal(admin, old, "staging")
        .await?
        .first()
        .map(|r| r.stmt.clone())
        .unwrap_or_default();
    let moved = names(
        admin,
        "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME <> '__dbsnap_swap'",
        old,
    )
    .await?;
    if moved.is_empty() {
        let live_code = read_journal(admin, old, "old").await?;
        let state = revert(admin, target, old, &live_code).await;
        if !staging.is_empty() {
            exec(admin, &format!("DROP DATABASE IF EXISTS {}", ident(&staging))).await?;
        }
        Ok(format!("reverted an init of {target} that was killed during its swap: {state}"))
    } else {
        let new_code = read_journal(admin, old, "new").await?;
        finish(admin, target, &staging, old, &new_code).await?;
        let counts = code_counts(admin, target).await;
        Ok(format!("finished an init of {target} that was killed during its swap: the new tables were in place; its code was created ({counts})"))
    }
}

async fn code_counts(admin: &mut Conn, db: &str) -> String {
    let q = "SELECT (SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ?), \
             (SELECT COUNT(*) FROM information_schema.VIEWS WHERE TABLE_SCHEMA = ?), \
             (SELECT COUNT(*) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ?), \
             (SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE <> 'VIEW')";
    match admin.exec_first::<(u64, u64, u64, u64), _, _>(q, (db, db, db, db)).await {
        Ok(Some((t, v, r, b))) => format!("{b} tables, {v} views, {r} routines, {t} triggers"),
        Ok(None) => "nothing".into(),
        Err(e) => format!("could not be read back: {}", server_message(&e)),
    }
}

/// The live code of `db`, as `SHOW CREATE` gives it: routines, then views,
/// then triggers and events (the order they can be created in).
async fn save_code(admin: &mut Conn, db: &str) -> Result<Vec<Replay>> {
    let d = ident(db);
    let mut out = Vec::new();
    let show = |e: mysql_async::Error| anyhow!("reading the code of {db}: {}", server_message(&e));
    let routines: Vec<(String, String)> = admin
        .exec(
            "SELECT ROUTINE_TYPE, ROUTINE_NAME FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ? ORDER BY 1, 2",
            (db,),
        )
        .await
        .map_err(show)?;
    for (kind, name) in routines {
        let row: Option<mysql_async::Row> = admin
            .query_first(format!("SHOW CREATE {kind} {d}.{}", ident(&name)))
            .await
            .map_err(show)?;
        let row = row.ok_or_else(|| anyhow!("{kind} {name} vanished while it was read"))?;
        out.push(Replay {
            side: "old",
            sql_mode: row.get(1),
            stmt: row.get::<Option<String>, _>(2).flatten().ok_or_else(|| anyhow!("no definition of {kind} {name} (missing privilege?)"))?,
            charset: row.get(3),
            collation: row.get(4),
        });
    }
    for name in names(admin, "SELECT TABLE_NAME FROM information_schema.VIEWS WHERE TABLE_SCHEMA = ? ORDER BY 1", db).await? {
        let row: Option<mysql_async::Row> = admin
            .query_first(format!("SHOW CREATE VIEW {d}.{}", ident(&name)))
            .await
            .map_err(show)?;
        let row = row.ok_or_else(|| anyhow!("view {name} vanished while it was read"))?;
        out.push(Replay {
            side: "old",
            sql_mode: None,
            stmt: row.get(1).unwrap_or_default(),
            charset: row.get(2),
            collation: row.get(3),
        });
    }
    for name in names(admin, "SELECT TRIGGER_NAME FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ? ORDER BY ACTION_ORDER, 1", db).await? {
        let row: Option<mysql_async::Row> = admin
            .query_first(format!("SHOW CREATE TRIGGER {d}.{}", ident(&name)))
            .await
            .map_err(show)?;
        let row = row.ok_or_else(|| anyhow!("trigger {name} vanished while it was read"))?;
        out.push(Replay {
            side: "old",
            sql_mode: row.get(1),
            stmt: row.get(2).unwrap_or_default(),
            charset: row.get(3),
            collation: row.get(4),
        });
    }
    for name in names(admin, "SELECT EVENT_NAME FROM information_schema.EVENTS WHERE EVENT_SCHEMA = ? ORDER BY 1", db).await? {
        let row: Option<mysql_async::Row> = admin
            .query_first(format!("SHOW CREATE EVENT {d}.{}", ident(&name)))
            .await
            .map_err(show)?;
        let row = row.ok_or_else(|| anyhow!("event {name} vanished while it was read"))?;
        out.push(Replay {
            side: "old",
            sql_mode: row.get(1),
            stmt: row.get(3).unwrap_or_default(),
            charset: row.get(4),
            collation: row.get(5),
        });
    }
    Ok(out)
}

async fn write_journal(admin: &mut Conn, old: &str, staging: &str, live: &[Replay], new: &[Replay]) -> Result<()> {
    let j = format!("{}.{}", ident(old), ident(JOURNAL));
    exec(
        admin,
        &format!(
            "CREATE TABLE {j} (seq INT PRIMARY KEY, side VARCHAR(8) NOT NULL, sql_mode TEXT, \
             charset VARCHAR(64), collation VARCHAR(64), stmt LONGTEXT NOT NULL) CHARACTER SET utf8mb4"
        ),
    )
    .await?;
    let mut rows: Vec<Replay> = vec![Replay { side: "staging", sql_mode: None, charset: None, collation: None, stmt: staging.to_string() }];
    rows.extend(live.iter().cloned());
    rows.extend(new.iter().cloned());
    // Written last: a journal without it was never complete.
    rows.push(Replay { side: "end", sql_mode: None, charset: None, collation: None, stmt: String::new() });
    for (seq, r) in rows.iter().enumerate() {
        admin
            .exec_drop(
                format!("INSERT INTO {j} VALUES (?, ?, ?, ?, ?, ?)"),
                (seq as u64, r.side, &r.sql_mode, &r.charset, &r.collation, &r.stmt),
            )
            .await
            .map_err(|e| anyhow!("writing the swap journal: {}", server_message(&e)))?;
    }
    Ok(())
}

async fn read_journal(admin: &mut Conn, old: &str, side: &'static str) -> Result<Vec<Replay>> {
    let rows: Vec<(Option<String>, Option<String>, Option<String>, String)> = admin
        .exec(
            format!(
                "SELECT sql_mode, charset, collation, stmt FROM {}.{} WHERE side = ? ORDER BY seq",
                ident(old),
                ident(JOURNAL)
            ),
            (side,),
        )
        .await
        .map_err(|e| anyhow!("reading the swap journal in {old}: {}", server_message(&e)))?;
    Ok(rows
        .into_iter()
        .map(|(sql_mode, charset, collation, stmt)| Replay { side, sql_mode, charset, collation, stmt })
        .collect())
}

/// Creates code in `db` (the connection's default database). Statements run
/// in order; one that fails because what it reads is not there yet (a view on
/// a later view) is tried again after the others.
async fn create_code(conn: &mut Conn, db: &str, code: &[Replay]) -> Result<()> {
    exec(conn, &format!("USE {}", ident(db))).await?;
    let mut pending: Vec<&Replay> = code.iter().collect();
    loop {
        let mut failed = Vec::new();
        let mut last_error = None;
        for r in &pending {
            if let (Some(mode), Some(cs), Some(coll)) = (&r.sql_mode, &r.charset, &r.collation) {
                conn.exec_drop(
                    "SET SESSION sql_mode = ?, character_set_client = ?, collation_connection = ?",
                    (mode, cs, coll),
                )
                .await
                .map_err(|e| anyhow!("{}", server_message(&e)))?;
            } else if let (Some(cs), Some(coll)) = (&r.charset, &r.collation) {
                conn.exec_drop("SET SESSION character_set_client = ?, collation_connection = ?", (cs, coll))
                    .await
                    .map_err(|e| anyhow!("{}", server_message(&e)))?;
            }
            if let Err(e) = conn.query_drop(&r.stmt).await {
                last_error = Some(server_message(&e));
                failed.push(*r);
            }
        }
        if failed.is_empty() {
            return Ok(());
        }
        if failed.len() == pending.len() {
            bail!(
                "{} statement(s) could not be run in {db}; the first: {}",
                failed.len(),
                last_error.unwrap_or_default()
            );
        }
        pending = failed;
    }
}

pub async fn drop_code(conn: &mut Conn, db: &str) -> Result<()> {
    let d = ident(db);
    for name in names(conn, "SELECT TRIGGER_NAME FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ?", db).await? {
        exec(conn, &format!("DROP TRIGGER {d}.{}", ident(&name))).await?;
    }
    for name in names(conn, "SELECT EVENT_NAME FROM information_schema.EVENTS WHERE EVENT_SCHEMA = ?", db).await? {
        exec(conn, &format!("DROP EVENT {d}.{}", ident(&name))).await?;
    }
    for name in names(conn, "SELECT TABLE_NAME FROM information_schema.VIEWS WHERE TABLE_SCHEMA = ?", db).await? {
        exec(conn, &format!("DROP VIEW IF EXISTS {d}.{}", ident(&name))).await?;
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

/// One RENAME TABLE: `from`'s tables move to `to`, and, with `incoming`,
/// `incoming`'s tables move into `from` in the same statement. MySQL performs
/// it atomically, waiting at most lock_wait_timeout.
async fn move_tables(conn: &mut Conn, from: &str, to: &str, incoming: Option<&str>) -> Result<()> {
    let list = "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE <> 'VIEW'";
    let mut pairs: Vec<String> = names(conn, list, from)
        .await?
        .iter()
        .map(|t| format!("{}.{} TO {}.{}", ident(from), ident(t), ident(to), ident(t)))
        .collect();
    if let Some(incoming) = incoming {
        pairs.extend(
            names(conn, list, incoming)
                .await?
                .iter()
                .map(|t| format!("{}.{} TO {}.{}", ident(incoming), ident(t), ident(from), ident(t))),
        );
    }
    if pairs.is_empty() {
        return Ok(());
    }
    exec(conn, &format!("RENAME TABLE {}", pairs.join(", "))).await
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
