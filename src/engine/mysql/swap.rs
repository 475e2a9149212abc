//! Moving a finished staging build into the live database, so that an
//! interruption at any step never damages or loses it.
//!
//! MySQL DDL commits on its own, and a table with triggers cannot move to
//! another database. So the swap is built around one RENAME TABLE, which
//! MySQL performs atomically: inside the live database, its tables take
//! temporary names (their triggers go with them), and the staging tables
//! (which have no code) move in under the real names. Before that statement
//! nothing of the live database has changed; if it cannot get its locks
//! within `lock_wait_timeout`, the swap gives up with nothing changed. After
//! it, the old code is dropped, the new code created and the old tables
//! dropped.
//!
//! A new table's foreign key whose name a table parked in place still holds
//! moves in under a temporary name (see [`super::rekey`]).
//!
//! A journal in `<db>__dbsnap_old_<run>` (the temporary names, the new code)
//! is written before the RENAME. A run killed at any step leaves it, and the
//! next `init` of the target finds it ([`recover`]): if the RENAME had not
//! happened, it drops the leftovers (nothing had changed); if it had, it
//! finishes the swap. It says which.

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::{Context, Result};
use mysql_async::prelude::Queryable;
use mysql_async::Conn;

use super::connect::{ident, server_message};
use super::{exec, load, names, rekey};
use crate::error::ServerError;

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
        exec(
            admin,
            &format!("SET SESSION lock_wait_timeout = {}", self.lock_timeout),
        )
        .await?;
        // Code cannot move with RENAME TABLE; it is created in the target.
        drop_code(admin, staging).await?;
        crate::engine::fault_point("code-dropped");
        let exists = !names(
            admin,
            "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?",
            target,
        )
        .await?
        .is_empty();
        let new_code: Vec<Replay> = load::code_statements(self.schema_file)?
            .into_iter()
            .map(|stmt| Replay {
                side: "new",
                sql_mode: None,
                charset: None,
                collation: None,
                stmt,
            })
            .collect();
        // Views too: one may have the name of a new table (a view made a
        // table). RENAME TABLE moves a view within its database.
        let live = names(admin, ALL_TABLES, target).await?;
        let moved = names(admin, BASE_TABLES, staging).await?;
        let parked: Vec<(String, String)> = live
            .iter()
            .enumerate()
            .map(|(i, t)| (t.clone(), tail(&format!("{old}_{i}"), 64)))
            .collect();
        // Views, and tables with triggers, cannot leave their database: they
        // are parked in place, holding their foreign keys' names.
        let in_place = stay_in_place(admin, target).await?;
        let run = old.rsplit('_').next().unwrap_or_default();
        let rekeys = rekey::plan(admin, staging, target, &in_place, run).await?;
        // The journal, before anything of the live database changes.
        exec(admin, &format!("CREATE DATABASE {}", ident(old))).await?;
        let journal = Journal {
            staging,
            created: !exists,
            create_opts: self.create_opts,
            parked: &parked,
            moved: &moved,
            new_code: &new_code,
            rekeys: &rekeys
                .iter()
                .map(|k| k.journal_entry(target))
                .collect::<Vec<_>>(),
        };
        journal.write(admin, old).await?;
        // After the journal, which says to drop it again if the RENAME has
        // not happened.
        if !exists {
            exec(
                admin,
                &format!("CREATE DATABASE {}{}", ident(target), self.create_opts),
            )
            .await?;
        }
        crate::engine::fault_point("journal");
        if let Err(err) = rekey::apply(admin, staging, &rekeys).await {
            let counts = self.give_up(admin, exists).await;
            return Err(err.context(format!(
                "gave up before moving the new tables into {target}; nothing was changed: \
                 {target} was left as it was ({counts}), and the new build was dropped"
            )));
        }
        crate::engine::fault_point("rekeyed");

        // One statement: live tables parked, new tables in. Atomic; it waits
        // at most lock_wait_timeout for other sessions' locks. A live table
        // is parked in the journal's database: InnoDB keeps a foreign key's
        // chosen name database-wide, and one parked beside the new tables
        // would keep the name a new table brings.
        let mut pairs: Vec<String> = parked
            .iter()
            .map(|(t, p)| {
                let to = if in_place.contains(t) { target } else { old };
                format!(
                    "{}.{} TO {}.{}",
                    ident(target),
                    ident(t),
                    ident(to),
                    ident(p)
                )
            })
            .collect();
        pairs.extend(moved.iter().map(|t| {
            format!(
                "{}.{} TO {}.{}",
                ident(staging),
                ident(t),
                ident(target),
                ident(t)
            )
        }));
        if !pairs.is_empty() {
            let renamed = admin
                .query_drop(format!("RENAME TABLE {}", pairs.join(", ")))
                .await;
            if let Err(err) = renamed {
                // One statement: it failed as a whole and changed nothing.
                let why = self.why_not_renamed(admin, &err, &moved, &live).await;
                let counts = self.give_up(admin, exists).await;
                return Err(anyhow::Error::from(ServerError::from(err)).context(format!(
                    "gave up moving the new tables into {target} ({why}); nothing was changed: \
                     {target} was left as it was ({counts}), and the new build was dropped"
                )));
            }
        }
        crate::engine::fault_point("rename-done");
        // Recorded for a later recovery (the parked names say it too, until
        // the parked tables are dropped).
        admin
            .exec_drop(
                format!(
                    "INSERT INTO {}.{} (seq, side, stmt) VALUES (-1, 'renamed', '')",
                    ident(old),
                    ident(JOURNAL)
                ),
                (),
            )
            .await
            .map_err(ServerError::from)
            .context("writing the swap journal")?;
        crate::engine::fault_point("renamed");
        if !self.create_opts.is_empty() {
            exec(
                admin,
                &format!("ALTER DATABASE {}{}", ident(target), self.create_opts),
            )
            .await?;
        }
        finish(admin, target, staging, old, &parked, &new_code, journal.rekeys)
            .await
            .with_context(|| format!("the new tables of {target} are in place, but finishing the swap failed; the next `dbsnap init` of {target} finishes it"))
    }
}

impl Swap<'_> {
    /// Drops the swap's databases before the RENAME, when nothing of the
    /// target has changed; says what the target holds.
    async fn give_up(&self, admin: &mut Conn, existed: bool) -> String {
        let (staging, target) = (self.staging, self.target);
        let _ = exec(
            admin,
            &format!("DROP DATABASE IF EXISTS {}", ident(self.old)),
        )
        .await;
        let _ = exec(
            admin,
            &format!("DROP DATABASE IF EXISTS {}", ident(staging)),
        )
        .await;
        // A target made for the swap goes again, unless another session has
        // put something in it meanwhile.
        if !existed
            && names(admin, ALL_TABLES, target)
                .await
                .is_ok_and(|t| t.is_empty())
            && has_code(admin, target).await.is_ok_and(|c| !c)
        {
            let _ = exec(admin, &format!("DROP DATABASE IF EXISTS {}", ident(target))).await;
        }
        code_counts(admin, target).await
    }

    /// Why a RENAME that should have worked was refused, in words that say
    /// what to do about it.
    async fn why_not_renamed(
        &self,
        admin: &mut Conn,
        err: &mysql_async::Error,
        moved: &[String],
        live: &[String],
    ) -> String {
        let code = match err {
            mysql_async::Error::Server(e) => e.code,
            _ => 0,
        };
        match code {
            // ER_LOCK_WAIT_TIMEOUT
            1205 => format!(
                "another session holds a lock on it; --lock-timeout {} s",
                self.lock_timeout
            ),
            // ER_TABLE_EXISTS_ERROR: the target's tables were listed just
            // before, so the name is new there, or the catalog does not list it.
            1050 => {
                let now = names(admin, ALL_TABLES, self.target)
                    .await
                    .unwrap_or_default();
                let clash: Vec<&str> = moved
                    .iter()
                    .filter(|t| now.contains(t) && !live.contains(t))
                    .map(String::as_str)
                    .collect();
                if clash.is_empty() {
                    format!(
                        "the server has a table of a new table's name in {}, but its catalog \
                         (information_schema) does not list it: most likely a table orphaned by a \
                         server crash during DDL; the server's error log says more",
                        self.target
                    )
                } else {
                    format!(
                        "another session created {} in {} while the swap ran",
                        clash.join(", "),
                        self.target
                    )
                }
            }
            _ => "the server refused the RENAME TABLE".to_string(),
        }
    }
}

/// What a killed swap's recovery needs to know, written before the RENAME.
struct Journal<'a> {
    staging: &'a str,
    /// The swap created the target: undoing it before the RENAME drops it.
    created: bool,
    create_opts: &'a str,
    parked: &'a [(String, String)],
    /// The staging database's tables, which the RENAME moves into the target.
    moved: &'a [String],
    new_code: &'a [Replay],
    /// New tables' foreign keys under temporary names: see [`rekey`].
    rekeys: &'a [String],
}

impl Journal<'_> {
    async fn write(&self, admin: &mut Conn, old: &str) -> Result<()> {
        let plain = |side: &'static str, stmt: String| Replay {
            side,
            sql_mode: None,
            charset: None,
            collation: None,
            stmt,
        };
        let mut rows = vec![plain("staging", self.staging.to_string())];
        if self.created {
            rows.push(plain("created", String::new()));
        }
        rows.push(plain("options", self.create_opts.to_string()));
        rows.extend(
            self.parked
                .iter()
                .map(|(t, p)| plain("parked", format!("{t}\n{p}"))),
        );
        rows.extend(self.moved.iter().map(|t| plain("moved", t.clone())));
        rows.extend(self.new_code.iter().cloned());
        rows.extend(self.rekeys.iter().map(|r| plain("rekey", r.clone())));
        // Written last: a journal without it was never complete.
        rows.push(plain("end", "end".to_string()));
        write_journal(admin, old, &rows).await
    }
}

/// The live tables and views of `target` that the swap parks in place:
/// views, and tables with triggers, which RENAME TABLE cannot move to
/// another database.
async fn stay_in_place(admin: &mut Conn, target: &str) -> Result<BTreeSet<String>> {
    let mut stay: BTreeSet<String> = names(
        admin,
        "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'VIEW'",
        target,
    )
    .await?
    .into_iter()
    .collect();
    stay.extend(
        names(
            admin,
            "SELECT DISTINCT EVENT_OBJECT_TABLE FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ?",
            target,
        )
        .await?,
    );
    Ok(stay)
}

/// The last `max` characters of `s` (the run's unique part is at its end).
fn tail(s: &str, max: usize) -> String {
    let n = s.chars().count();
    s.chars().skip(n.saturating_sub(max)).collect()
}

/// Tables and views: every name RENAME TABLE can clash with.
const ALL_TABLES: &str =
    "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? ORDER BY 1";
const BASE_TABLES: &str = "SELECT TABLE_NAME FROM information_schema.TABLES \
                           WHERE TABLE_SCHEMA = ? AND TABLE_TYPE <> 'VIEW' ORDER BY 1";

/// After the RENAME: the old code and the parked tables go, the new code
/// comes, and defaults that named the staging database name the target.
async fn finish(
    admin: &mut Conn,
    target: &str,
    staging: &str,
    old: &str,
    parked: &[(String, String)],
    new_code: &[Replay],
    rekeys: &[String],
) -> Result<()> {
    exec(
        admin,
        &format!("DROP DATABASE IF EXISTS {}", ident(staging)),
    )
    .await?;
    crate::engine::fault_point("staging-dropped");
    repoint_defaults(admin, staging, target).await?;
    // Parked views go with the old code.
    drop_code(admin, target).await?;
    create_code(admin, target, new_code).await?;
    crate::engine::fault_point("code-created");
    // A table parked in place may be referenced by one parked in the
    // journal's database, which goes last. Keys named back are not checked
    // again either (their rows were checked in the staging build).
    exec(admin, "SET SESSION foreign_key_checks = 0").await?;
    for (_, p) in parked {
        exec(
            admin,
            &format!("DROP TABLE IF EXISTS {}.{}", ident(target), ident(p)),
        )
        .await?;
    }
    crate::engine::fault_point("parked-dropped");
    // The names the parked tables held are free now.
    rekey::restore(admin, target, rekeys).await?;
    crate::engine::fault_point("rekeys-restored");
    exec(admin, &format!("DROP DATABASE {}", ident(old))).await?;
    exec(admin, "SET SESSION foreign_key_checks = 1").await
}

/// What a killed swap left for `target`, if anything: finished, or (before
/// the RENAME) nothing had changed and the leftovers are dropped.
pub async fn recover(admin: &mut Conn, target: &str, old: &str) -> Result<String> {
    let has_journal = !names(
        admin,
        "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = '__dbsnap_swap'",
        old,
    )
    .await?
    .is_empty();
    // A journal cut short was being written before the RENAME; what it
    // holds still names the staging database and whether the target is new.
    let side = |rows: Result<Vec<Replay>>| -> Vec<String> {
        rows.map(|r| r.into_iter().map(|r| r.stmt).collect())
            .unwrap_or_default()
    };
    let (complete, staging, created) = if has_journal {
        (
            !side(read_journal(admin, old, "end").await).is_empty(),
            side(read_journal(admin, old, "staging").await)
                .pop()
                .unwrap_or_default(),
            !side(read_journal(admin, old, "created").await).is_empty(),
        )
    } else {
        (false, String::new(), false)
    };
    let parked: Vec<(String, String)> = if complete {
        read_journal(admin, old, "parked")
            .await?
            .into_iter()
            .filter_map(|r| {
                r.stmt
                    .split_once('\n')
                    .map(|(a, b)| (a.to_string(), b.to_string()))
            })
            .collect()
    } else {
        Vec::new()
    };
    // The RENAME happened if the journal says so, or a parked name is in
    // the target, or the tables it moves have left the staging database
    // (the only sign when the target had no tables to park).
    let renamed = complete && {
        let noted = !side(read_journal(admin, old, "renamed").await).is_empty();
        let mut parked_now = names(admin, ALL_TABLES, target).await?;
        parked_now.extend(names(admin, ALL_TABLES, old).await?);
        let moved = side(read_journal(admin, old, "moved").await);
        let in_staging = names(admin, BASE_TABLES, &staging).await?;
        noted
            || parked.iter().any(|(_, p)| parked_now.contains(p))
            || (!moved.is_empty() && !moved.iter().any(|t| in_staging.contains(t)))
    };
    if !renamed {
        if !staging.is_empty() {
            exec(
                admin,
                &format!("DROP DATABASE IF EXISTS {}", ident(&staging)),
            )
            .await?;
        }
        exec(admin, &format!("DROP DATABASE {}", ident(old))).await?;
        // The run had created the target for its swap: the state before it
        // is no database at all, unless another session has used it since.
        if created
            && names(admin, ALL_TABLES, target).await?.is_empty()
            && !has_code(admin, target).await?
        {
            exec(admin, &format!("DROP DATABASE IF EXISTS {}", ident(target))).await?;
            return Ok(format!(
                "an earlier init of {target} was killed before it moved its tables in; its leftovers \
                 were dropped, and so was {target}, which it had created empty (it did not exist before)"
            ));
        }
        let counts = code_counts(admin, target).await;
        return Ok(format!(
            "an earlier init of {target} was killed before it changed {target}; its leftovers were dropped ({target} has {counts})"
        ));
    }
    let options = side(read_journal(admin, old, "options").await).concat();
    if !options.is_empty() {
        exec(admin, &format!("ALTER DATABASE {}{options}", ident(target))).await?;
    }
    let new_code = read_journal(admin, old, "new").await?;
    let rekeys: Vec<String> = read_journal(admin, old, "rekey")
        .await?
        .into_iter()
        .map(|r| r.stmt)
        .collect();
    finish(admin, target, &staging, old, &parked, &new_code, &rekeys).await?;
    let counts = code_counts(admin, target).await;
    Ok(format!(
        "finished an init of {target} that was killed during its swap: the new tables were in place; its code was created and the old tables dropped ({counts})"
    ))
}

/// Whether `db` holds routines, events or triggers.
async fn has_code(admin: &mut Conn, db: &str) -> Result<bool> {
    let n: Option<u64> = admin
        .exec_first(
            "SELECT (SELECT COUNT(*) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ?) \
             + (SELECT COUNT(*) FROM information_schema.EVENTS WHERE EVENT_SCHEMA = ?) \
             + (SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ?)",
            (db, db, db),
        )
        .await
        .map_err(ServerError::from)?;
    Ok(n.unwrap_or(0) > 0)
}

async fn code_counts(admin: &mut Conn, db: &str) -> String {
    let q = "SELECT (SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ?), \
             (SELECT COUNT(*) FROM information_schema.VIEWS WHERE TABLE_SCHEMA = ?), \
             (SELECT COUNT(*) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ?), \
             (SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE <> 'VIEW')";
    match admin
        .exec_first::<(u64, u64, u64, u64), _, _>(q, (db, db, db, db))
        .await
    {
        Ok(Some((t, v, r, b))) => format!("{b} tables, {v} views, {r} routines, {t} triggers"),
        Ok(None) => "nothing".into(),
        Err(e) => format!("could not be read back: {}", server_message(&e)),
    }
}

async fn write_journal(admin: &mut Conn, old: &str, rows: &[Replay]) -> Result<()> {
    let j = format!("{}.{}", ident(old), ident(JOURNAL));
    exec(
        admin,
        &format!(
            "CREATE TABLE {j} (seq INT PRIMARY KEY, side VARCHAR(8) NOT NULL, sql_mode TEXT, \
             charset VARCHAR(64), collation VARCHAR(64), stmt LONGTEXT NOT NULL) CHARACTER SET utf8mb4"
        ),
    )
    .await?;
    for (seq, r) in rows.iter().enumerate() {
        if seq == 1 {
            crate::engine::fault_point("journal-partial");
        }
        admin
            .exec_drop(
                format!("INSERT INTO {j} VALUES (?, ?, ?, ?, ?, ?)"),
                (
                    seq as u64,
                    r.side,
                    &r.sql_mode,
                    &r.charset,
                    &r.collation,
                    &r.stmt,
                ),
            )
            .await
            .map_err(ServerError::from)
            .context("writing the swap journal")?;
    }
    Ok(())
}

async fn read_journal(admin: &mut Conn, old: &str, side: &'static str) -> Result<Vec<Replay>> {
    // sql_mode, charset, collation, statement.
    type JournalRow = (Option<String>, Option<String>, Option<String>, String);
    let rows: Vec<JournalRow> = admin
        .exec(
            format!(
                "SELECT sql_mode, charset, collation, stmt FROM {}.{} WHERE side = ? ORDER BY seq",
                ident(old),
                ident(JOURNAL)
            ),
            (side,),
        )
        .await
        .map_err(ServerError::from)
        .with_context(|| format!("reading the swap journal in {old}"))?;
    Ok(rows
        .into_iter()
        .map(|(sql_mode, charset, collation, stmt)| Replay {
            side,
            sql_mode,
            charset,
            collation,
            stmt,
        })
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
        let mut first_error = None;
        for r in &pending {
            if let (Some(mode), Some(cs), Some(coll)) = (&r.sql_mode, &r.charset, &r.collation) {
                conn.exec_drop(
                    "SET SESSION sql_mode = ?, character_set_client = ?, collation_connection = ?",
                    (mode, cs, coll),
                )
                .await
                .map_err(ServerError::from)?;
            } else if let (Some(cs), Some(coll)) = (&r.charset, &r.collation) {
                conn.exec_drop(
                    "SET SESSION character_set_client = ?, collation_connection = ?",
                    (cs, coll),
                )
                .await
                .map_err(ServerError::from)?;
            }
            if let Err(e) = conn.query_drop(&r.stmt).await {
                first_error.get_or_insert(e);
                failed.push(*r);
            }
        }
        if failed.is_empty() {
            return Ok(());
        }
        if failed.len() == pending.len() {
            let context = format!(
                "{} statement(s) could not be run in {db}; the first",
                failed.len()
            );
            return Err(match first_error {
                Some(e) => anyhow::Error::from(ServerError::from(e)).context(context),
                None => anyhow::anyhow!(context),
            });
        }
        pending = failed;
    }
}

pub async fn drop_code(conn: &mut Conn, db: &str) -> Result<()> {
    // Each query names (what to drop, its name); triggers go first, routines last.
    const CODE: [&str; 4] = [
        "SELECT 'TRIGGER', TRIGGER_NAME FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ?",
        "SELECT 'EVENT', EVENT_NAME FROM information_schema.EVENTS WHERE EVENT_SCHEMA = ?",
        "SELECT 'VIEW IF EXISTS', TABLE_NAME FROM information_schema.VIEWS WHERE TABLE_SCHEMA = ?",
        "SELECT ROUTINE_TYPE, ROUTINE_NAME FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ?",
    ];
    let d = ident(db);
    for sql in CODE {
        let objects: Vec<(String, String)> =
            conn.exec(sql, (db,)).await.map_err(ServerError::from)?;
        for (kind, name) in objects {
            exec(conn, &format!("DROP {kind} {d}.{}", ident(&name))).await?;
        }
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
        .map_err(ServerError::from)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parked_names_keep_their_unique_end() {
        assert_eq!(tail("abcdef", 4), "cdef");
        assert_eq!(tail("ab", 4), "ab");
    }
}
