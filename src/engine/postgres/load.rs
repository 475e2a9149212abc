//! Running psql-dialect scripts (schema snapshots, pg_dump files) over tokio-postgres.

use std::collections::{HashSet, VecDeque};
use std::path::Path;
use std::sync::{Arc, Mutex};

use anyhow::{bail, Context, Result};
use tokio::sync::mpsc;
use tokio_postgres::error::{ErrorPosition, SqlState};
use tokio_postgres::Client;

use crate::engine::order::Section;
use crate::error::ServerError;
use crate::script::schemafile::{self, PostDataBar, SchemaStatement};
use crate::script::statement::PostDataStep;
use crate::script::statement::{Dialect, TableName};

pub use crate::script::schemafile::Sections;

/// `PATH:LINE: server message`, with LINE moved to where the server points
/// inside a multi-line statement.
pub fn located_error(
    path: &Path,
    line: u64,
    sql: &str,
    err: tokio_postgres::Error,
) -> anyhow::Error {
    let mut line = line;
    if let Some(ErrorPosition::Original(pos)) = err.as_db_error().and_then(|db| db.position()) {
        let before = sql.chars().take((*pos as usize).saturating_sub(1));
        line += before.filter(|&c| c == '\n').count() as u64;
    }
    anyhow::Error::from(ServerError::from(err)).context(format!("{}:{line}", path.display()))
}

pub async fn run_schema(client: &Client, path: &Path, sections: Sections) -> Result<()> {
    run_counted(client, path, sections, &PostDataBar::none()).await
}

/// [`run_schema`], counting each post-data statement on `bar`.
async fn run_counted(
    client: &Client,
    path: &Path,
    sections: Sections,
    bar: &PostDataBar,
) -> Result<()> {
    for statement in schemafile::statements(path, Dialect::Postgres)? {
        if sections.wants(statement.section) {
            client
                .batch_execute(&statement.sql)
                .await
                .map_err(|e| located_error(path, statement.line, &statement.sql, e))?;
            if statement.section == Some(Section::PostData) {
                bar.done(&statement.sql);
            }
        }
    }
    Ok(())
}

/// Runs the post-data section of a schema file on several connections to
/// the same database, as `pg_restore -j` and pgcopydb do: consecutive index
/// builds (CREATE INDEX, ADD PRIMARY KEY / UNIQUE / EXCLUDE) share out over
/// the connections, and foreign keys are added `NOT VALID` one by one (a
/// moment each) and then validated in parallel, which leaves the same catalog
/// (`convalidated` ends true). Every other statement runs alone, in file
/// order, after everything before it: it may depend on any of them. Errors
/// name the file line of the statement that failed, as `run_schema` does.
///
/// With `early`, indexes may exist already ([`build_early`] made them
/// while rows were loading, in this run or a dead one that is resumed):
/// a build whose index is there is counted and skipped. The one the builder
/// may still be making runs on beside post-data's first index builds, which
/// skip it; nothing after them starts before it ends (a constraint may use
/// it), and if it failed, post-data makes it again and reports it.
pub async fn run_post_data(
    clients: &[&Client],
    path: &Path,
    bar: &PostDataBar,
    early: Option<EarlyBuilds>,
) -> Result<()> {
    let Some((main, helpers)) = clients.split_first() else {
        bail!("no connection to run {} on", path.display());
    };
    // The data file's settings stay behind on the connections that loaded
    // it, and must not shape post-data (its default_tablespace would put
    // every index elsewhere): each connection starts from its defaults and
    // takes the schema file's settings, as the statements below give them.
    for client in clients {
        client
            .batch_execute("RESET ALL")
            .await
            .map_err(ServerError::from)
            .context("resetting the data file's settings before post-data")?;
    }
    if helpers.is_empty() && early.is_none() {
        return run_counted(main, path, Sections::PostData, bar).await;
    }
    let statements = schemafile::statements(path, Dialect::Postgres)?;
    for client in clients {
        raise_maintenance_memory(client).await;
    }
    // Asked before the catalog: a build that ends in between is then both
    // (and skipped either way), never neither.
    let building = early.as_ref().and_then(|early| stop_builder(&early.gate));
    let built = match early {
        Some(_) => existing_indexes(main).await?,
        None => HashSet::new(),
    };
    let mut early = early.map(|early| Unfinished {
        handle: early.handle,
        building: building.filter(|index| !built.contains(index)),
        deferred: None,
    });
    let run = PostData { clients, path, bar };
    let mut group: Vec<Job> = Vec::new();
    let mut group_kind = None;
    for SchemaStatement { sql, line, section } in statements {
        match section {
            // Session settings, which every connection takes. Anything else
            // before the first section (a file without sections) runs once,
            // as run_schema runs it.
            None => {
                let on = if is_setting(&sql) {
                    clients
                } else {
                    &clients[..1]
                };
                for client in on {
                    client
                        .batch_execute(&sql)
                        .await
                        .map_err(|e| located_error(path, line, &sql, e))?;
                }
                continue;
            }
            Some(Section::PostData) => {}
            Some(Section::PreData | Section::Code) => continue,
        }
        let job = Job::of(sql, line);
        if job
            .index
            .as_ref()
            .is_some_and(|index| built.contains(index))
        {
            bar.step(job.step);
            continue;
        }
        if let Some(early) = early.as_mut().filter(|e| e.building.is_some()) {
            if job.index == early.building {
                early.building = None;
                early.deferred = Some(job);
                continue;
            }
        }
        // Index builds form one group, foreign keys another.
        let kind = job.kind.map(|k| matches!(k, Parallel::ForeignKey { .. }));
        if group_kind.is_some() && group_kind != kind {
            run.group(behind_early(std::mem::take(&mut group), &early))
                .await?;
        }
        if !matches!(job.kind, Some(Parallel::Index { .. })) {
            run.finish_early(early.take()).await?;
        }
        group_kind = kind;
        match job.kind {
            Some(_) => group.push(job),
            None => run.alone(job).await?,
        }
    }
    run.group(behind_early(group, &early)).await?;
    run.finish_early(early).await
}

/// `group` with the builds on the table the early builder is still
/// building on last: they might wait for its lock, while builds on other
/// tables need not.
fn behind_early(mut group: Vec<Job>, early: &Option<Unfinished>) -> Vec<Job> {
    if let Some(table) = early
        .as_ref()
        .and_then(|early| early.deferred.as_ref())
        .map(|job| job.table.clone())
    {
        group.sort_by_key(|job| job.table == table);
    }
    group
}

/// The early builder as post-data runs: the build it may still be making,
/// and post-data's statement for it, held back.
struct Unfinished {
    handle: tokio::task::JoinHandle<Result<()>>,
    building: Option<String>,
    deferred: Option<Job>,
}

/// A session setting before a schema file's first section, which every
/// connection running its statements takes.
fn is_setting(sql: &str) -> bool {
    let head = sql.trim_start().to_ascii_lowercase();
    strip_words(&head, &["set"]).is_some() || head.starts_with("select pg_catalog.set_config(")
}

/// Index builds sort in memory up to `maintenance_work_mem` (64 MB by
/// default) and spill to disk beyond it. A raise for this session only; a
/// server configured higher keeps its value, and a refusal is no error.
pub async fn raise_maintenance_memory(client: &Client) {
    let _ = client
        .batch_execute(
            "SELECT pg_catalog.set_config('maintenance_work_mem', '256MB', false) \
             WHERE pg_catalog.pg_size_bytes(pg_catalog.current_setting('maintenance_work_mem')) \
             < 256 * 1024 * 1024",
        )
        .await;
}

/// What a post-data statement is, for running it beside others.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Parallel {
    /// Builds an index on `table`: CREATE INDEX (SHARE lock, builds on one
    /// table run side by side) or ALTER TABLE ... ADD PRIMARY KEY / UNIQUE /
    /// EXCLUDE (ACCESS EXCLUSIVE: alone on its table).
    Index { exclusive: bool },
    /// ALTER TABLE [ONLY] t ADD CONSTRAINT c FOREIGN KEY ... (without
    /// ONLY on a partitioned table, which cannot take NOT VALID).
    ForeignKey { only: bool },
}

struct Job {
    sql: String,
    line: u64,
    /// What it builds, for progress (a VALIDATE still counts as its key).
    step: PostDataStep,
    kind: Option<Parallel>,
    /// The table the statement locks, as the server names it (quoted).
    table: String,
    /// For a foreign key: its constraint name, quoted (for an index build,
    /// the name of what it makes).
    constraint: String,
    /// For an index build: the index it makes, qualified and quoted.
    index: Option<String>,
}

impl Job {
    fn of(sql: String, line: u64) -> Job {
        let found = classify_post_data(&sql);
        let quoted = |name: &TableName| name.quoted(Dialect::Postgres);
        Job {
            step: PostDataStep::of(Dialect::Postgres, &sql),
            kind: found.as_ref().map(|f| f.kind),
            table: found.as_ref().map(|f| quoted(&f.table)).unwrap_or_default(),
            constraint: found.as_ref().map(|f| quoted(&f.name)).unwrap_or_default(),
            index: found.and_then(|f| f.index_made(&sql)),
            sql,
            line,
        }
    }
}

/// Every index of the database, qualified and quoted as
/// [`Classified::index_made`] says.
async fn existing_indexes(client: &Client) -> Result<HashSet<String>> {
    let rows = client
        .query(
            "SELECT n.nspname, c.relname FROM pg_catalog.pg_class c \
             JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
             WHERE c.relkind IN ('i', 'I')",
            &[],
        )
        .await
        .map_err(ServerError::from)?;
    Ok(rows
        .iter()
        .map(|row| {
            TableName {
                schema: Some(row.get(0)),
                name: row.get(1),
            }
            .quoted(Dialect::Postgres)
        })
        .collect())
}

/// What the early builder and the load share: whether to stop, and the
/// index being built (its qualified, quoted name). Both change under the
/// lock, so that once `stop` is set no build begins and `building` names
/// the last one, if one is still running.
#[derive(Default)]
pub struct Gate {
    pub stop: bool,
    pub building: Option<String>,
}

/// The early builder, still finishing its last build, as post-data takes over.
pub struct EarlyBuilds {
    pub handle: tokio::task::JoinHandle<Result<()>>,
    pub gate: Arc<Mutex<Gate>>,
}

/// Tells the builder to stop (before its next build); returns the last
/// index it began, which may still be building.
pub fn stop_builder(gate: &Mutex<Gate>) -> Option<String> {
    let mut gate = gate.lock().unwrap_or_else(|e| e.into_inner());
    gate.stop = true;
    gate.building.clone()
}

/// Builds, while the rows of other tables are still loading, the indexes
/// that post-data begins with (its first run of index builds, which depend
/// on nothing but their table), each as soon as `loaded` names its table:
/// the core a loading connection leaves idle, when one table is left, does
/// this work instead of waiting for post-data. Stops before its next build
/// once `stop` is set: post-data builds the rest on all its connections and
/// skips what is built here (see [`run_post_data`]).
pub async fn build_early(
    client: &Client,
    path: &Path,
    mut loaded: mpsc::UnboundedReceiver<TableName>,
    gate: &Mutex<Gate>,
) -> Result<()> {
    let mut jobs: Vec<Job> = Vec::new();
    for SchemaStatement { sql, line, section } in schemafile::statements(path, Dialect::Postgres)? {
        match section {
            None => {
                if is_setting(&sql) {
                    client
                        .batch_execute(&sql)
                        .await
                        .map_err(|e| located_error(path, line, &sql, e))?;
                }
            }
            Some(Section::PostData) => {
                let job = Job::of(sql, line);
                if !matches!(job.kind, Some(Parallel::Index { .. })) || job.index.is_none() {
                    break;
                }
                jobs.push(job);
            }
            Some(Section::PreData | Section::Code) => {}
        }
    }
    // A resumed run's staging database may hold some from the dead run.
    let built = existing_indexes(client).await?;
    jobs.retain(|job| {
        job.index
            .as_ref()
            .is_some_and(|index| !built.contains(index))
    });
    if jobs.is_empty() {
        return Ok(());
    }
    raise_maintenance_memory(client).await;
    let mut ready: VecDeque<Job> = VecDeque::new();
    let mut take = |table: TableName, ready: &mut VecDeque<Job>| {
        let quoted = table.quoted(Dialect::Postgres);
        let (now, later) = std::mem::take(&mut jobs)
            .into_iter()
            .partition(|job| job.table == quoted);
        jobs = later;
        ready.extend::<Vec<Job>>(now);
    };
    loop {
        while let Ok(table) = loaded.try_recv() {
            take(table, &mut ready);
        }
        match ready.pop_front() {
            Some(job) => {
                {
                    let mut gate = gate.lock().unwrap_or_else(|e| e.into_inner());
                    if gate.stop {
                        return Ok(());
                    }
                    gate.building = job.index.clone();
                }
                client
                    .batch_execute(&job.sql)
                    .await
                    .map_err(|e| located_error(path, job.line, &job.sql, e))?;
            }
            None => match loaded.recv().await {
                Some(table) => take(table, &mut ready),
                None => return Ok(()),
            },
        }
    }
}

/// A post-data statement that may run beside others: what it is, the table
/// it locks, and the index or constraint it makes.
struct Classified {
    kind: Parallel,
    table: TableName,
    name: TableName,
}

impl Classified {
    /// The index an index build makes (an index takes its constraint's
    /// name, in its table's schema), qualified and quoted. None where that
    /// is not the whole story: a table not qualified with its schema (the
    /// index's schema then depends on the search path), or a constraint made
    /// `USING INDEX` an index that exists before it (the index alone would
    /// not show that the constraint is there).
    fn index_made(&self, sql: &str) -> Option<String> {
        if matches!(self.kind, Parallel::ForeignKey { .. })
            || self.name.schema.is_some()
            || self.table.schema.is_none()
            || sql.to_ascii_uppercase().contains("USING INDEX")
        {
            return None;
        }
        let index = TableName {
            schema: self.table.schema.clone(),
            name: self.name.name.clone(),
        };
        Some(index.quoted(Dialect::Postgres))
    }
}

/// Reads the statement forms `export-schema` writes for indexes and
/// constraints; anything else (or any doubt) is None: it runs alone.
fn classify_post_data(sql: &str) -> Option<Classified> {
    let words = |s: &str, n: usize| -> String {
        s.split_whitespace()
            .take(n)
            .collect::<Vec<_>>()
            .join(" ")
            .to_ascii_uppercase()
    };
    let rest = sql.trim_start();
    if let Some(after) = strip_words(rest, &["CREATE", "INDEX"])
        .or_else(|| strip_words(rest, &["CREATE", "UNIQUE", "INDEX"]))
    {
        // CREATE [UNIQUE] INDEX name ON [ONLY] table USING ...
        let (name, after) = next_name(after)?;
        let after = strip_words(after, &["ON"])?;
        let after = strip_words(after, &["ONLY"]).unwrap_or(after);
        let (table, after) = next_name(after)?;
        if words(after, 1) != "USING" {
            return None;
        }
        let kind = Parallel::Index { exclusive: false };
        return Some(Classified { kind, table, name });
    }
    let after = strip_words(rest, &["ALTER", "TABLE"])?;
    let (only, after) = match strip_words(after, &["ONLY"]) {
        Some(after) => (true, after),
        None => (false, after),
    };
    let (table, after) = next_name(after)?;
    let after = strip_words(after, &["ADD", "CONSTRAINT"])?;
    let (constraint, after) = next_name(after)?;
    if constraint.schema.is_some() {
        return None;
    }
    let kind = match words(after, 2).as_str() {
        // Without ONLY (a partitioned table) a key also builds the
        // partitions' indexes: alone.
        "PRIMARY KEY" if only => Parallel::Index { exclusive: true },
        w if only && (w.starts_with("UNIQUE") || w.starts_with("EXCLUDE")) => {
            Parallel::Index { exclusive: true }
        }
        // A key the source holds NOT VALID stays so: it runs alone, as written.
        "FOREIGN KEY" if !sql.to_ascii_uppercase().ends_with("NOT VALID") => {
            Parallel::ForeignKey { only }
        }
        _ => return None,
    };
    Some(Classified {
        kind,
        table,
        name: constraint,
    })
}

/// `text` without its leading `words` (any case, any whitespace between).
fn strip_words<'a>(text: &'a str, words: &[&str]) -> Option<&'a str> {
    let mut rest = text.trim_start();
    for word in words {
        let head = rest.get(..word.len())?;
        if !head.eq_ignore_ascii_case(word) {
            return None;
        }
        let after = &rest[word.len()..];
        if !after.starts_with(char::is_whitespace) && !after.is_empty() {
            return None;
        }
        rest = after.trim_start();
    }
    Some(rest)
}

/// A possibly qualified name at the start of `text` (`public."we""ird"`),
/// and the text after it.
fn next_name(text: &str) -> Option<(TableName, &str)> {
    let text = text.trim_start();
    let bytes = text.as_bytes();
    let mut i = 0;
    loop {
        if bytes.get(i) == Some(&b'"') {
            i += 1;
            loop {
                match bytes.get(i) {
                    Some(b'"') if bytes.get(i + 1) == Some(&b'"') => i += 2,
                    Some(b'"') => break,
                    Some(_) => i += 1,
                    None => return None,
                }
            }
            i += 1;
        } else {
            let start = i;
            while bytes.get(i).is_some_and(|b| {
                b.is_ascii_alphanumeric() || *b == b'_' || *b == b'$' || *b >= 0x80
            }) {
                i += 1;
            }
            if i == start {
                return None;
            }
        }
        if bytes.get(i) == Some(&b'.') {
            i += 1;
        } else {
            break;
        }
    }
    let name = TableName::parse(Dialect::Postgres, &text[..i])?;
    Some((name, &text[i..]))
}

/// The connections post-data runs on, the file it comes from (for errors)
/// and the bar its steps are counted on.
struct PostData<'a> {
    clients: &'a [&'a Client],
    path: &'a Path,
    bar: &'a PostDataBar,
}

impl PostData<'_> {
    /// Waits for the early builder's last build; the statement held back
    /// for it runs now if that build failed.
    async fn finish_early(&self, early: Option<Unfinished>) -> Result<()> {
        let Some(early) = early else { return Ok(()) };
        let ended = early.handle.await;
        match (early.deferred, ended) {
            (Some(job), Ok(Ok(()))) => self.bar.step(job.step),
            (Some(job), _) => self.alone(job).await?,
            (None, _) => {}
        }
        Ok(())
    }

    /// Runs `job` on the first connection, by itself.
    async fn alone(&self, job: Job) -> Result<()> {
        self.clients[0]
            .batch_execute(&job.sql)
            .await
            .map_err(|e| located_error(self.path, job.line, &job.sql, e))?;
        self.bar.step(job.step);
        Ok(())
    }

    /// Runs one group of statements of the same kind, which do not depend
    /// on each other, on all connections.
    async fn group(&self, group: Vec<Job>) -> Result<()> {
        let Some(kind) = group.first().map(|j| j.kind) else {
            return Ok(());
        };
        if !matches!(kind, Some(Parallel::ForeignKey { .. })) {
            return self.parallel(group).await;
        }
        // Each key is added NOT VALID (a catalog change, a moment under its
        // locks), then checked by VALIDATE, which takes only a SHARE UPDATE
        // EXCLUSIVE lock on its table, so that the checks run side by side.
        let mut checks = Vec::with_capacity(group.len());
        let mut whole = Vec::new();
        for job in group {
            // VALIDATE leaves the copies of a key on the partitions of the table
            // it references marked not validated (PostgreSQL 15): such keys are
            // added as written, so that the catalog ends as the source's. So
            // are keys on a partitioned table, which cannot be NOT VALID.
            let only = job.kind == Some(Parallel::ForeignKey { only: true });
            if !only || references_partitioned(self.clients[0], &job.sql).await != Some(false) {
                whole.push(job);
                continue;
            }
            let quick = format!("{} NOT VALID", job.sql);
            match self.clients[0].batch_execute(&quick).await {
                Ok(()) => checks.push(Job {
                    sql: format!(
                        "ALTER TABLE ONLY {} VALIDATE CONSTRAINT {}",
                        job.table, job.constraint
                    ),
                    ..job
                }),
                Err(_) => whole.push(job),
            }
        }
        // Keys added as written run beside the checks too, after them in the
        // queue: each holds both its tables for its whole check, so that a
        // check on another table can run meanwhile, not behind it.
        checks.extend(whole);
        self.parallel(checks).await
    }

    /// Shares `jobs` out over the connections: each connection takes the first job
    /// whose table no running job holds in a conflicting lock. A deadlock the
    /// server breaks (builds on a partitioned table and its partitions) is run
    /// again, alone, at the end.
    async fn parallel(&self, jobs: Vec<Job>) -> Result<()> {
        struct State {
            waiting: Vec<Job>,
            /// Tables of running jobs, and whether each holds its table alone.
            running: Vec<(String, bool)>,
            retry: Vec<Job>,
        }
        let state = std::sync::Mutex::new(State {
            waiting: jobs,
            running: Vec::new(),
            retry: Vec::new(),
        });
        let changed = tokio::sync::Notify::new();
        let exclusive = |job: &Job| !matches!(job.kind, Some(Parallel::Index { exclusive: false }));
        let workers = self.clients.iter().map(|&client| {
            let (state, changed) = (&state, &changed);
            async move {
                loop {
                    // Made before looking, so that a job ending meanwhile still wakes us.
                    let notified = changed.notified();
                    let job = {
                        let mut s = state.lock().expect("no worker panics holding the queue");
                        if s.waiting.is_empty() {
                            return Ok::<(), anyhow::Error>(());
                        }
                        let free = s.waiting.iter().position(|job| {
                            !s.running.iter().any(|(table, alone)| {
                                *table == job.table && (*alone || exclusive(job))
                            })
                        });
                        free.map(|at| {
                            let job = s.waiting.remove(at);
                            s.running.push((job.table.clone(), exclusive(&job)));
                            job
                        })
                    };
                    let Some(job) = job else {
                        notified.await;
                        continue;
                    };
                    let result = client.batch_execute(&job.sql).await;
                    {
                        let mut s = state.lock().expect("no worker panics holding the queue");
                        let mine = (job.table.clone(), exclusive(&job));
                        if let Some(at) = s.running.iter().position(|r| *r == mine) {
                            s.running.remove(at);
                        }
                        match result {
                            Ok(()) => self.bar.step(job.step),
                            Err(e) if e.code() == Some(&SqlState::T_R_DEADLOCK_DETECTED) => {
                                s.retry.push(job)
                            }
                            Err(e) => return Err(located_error(self.path, job.line, &job.sql, e)),
                        }
                    }
                    changed.notify_waiters();
                }
            }
        });
        futures_util::future::try_join_all(workers).await?;
        let retry = std::mem::take(
            &mut state
                .lock()
                .expect("no worker panics holding the queue")
                .retry,
        );
        for job in retry {
            self.alone(job).await?;
        }
        Ok(())
    }
}

/// Whether the table a foreign key statement references is partitioned;
/// None when the statement or the server does not say.
async fn references_partitioned(client: &Client, sql: &str) -> Option<bool> {
    let upper = sql.to_ascii_uppercase();
    let at = upper.find(" REFERENCES ")? + " REFERENCES ".len();
    let (table, _) = next_name(&sql[at..])?;
    let row = client
        .query_opt(
            "SELECT relkind OPERATOR(pg_catalog.=) 'p' FROM pg_catalog.pg_class \
             WHERE oid OPERATOR(pg_catalog.=) $1::pg_catalog.text::pg_catalog.regclass::pg_catalog.oid",
            &[&table.quoted(Dialect::Postgres)],
        )
        .await
        .ok()??;
    Some(row.get(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn post_data_statements_that_run_side_by_side() {
        // What Job::of takes from classify_post_data: kind, locked table, name.
        let kind = |sql: &str| {
            let job = Job::of(sql.to_string(), 1);
            job.kind.map(|kind| (Some(kind), job.table, job.constraint))
        };
        assert_eq!(
            kind("CREATE INDEX i ON public.t USING btree (a)"),
            Some((
                Some(Parallel::Index { exclusive: false }),
                "\"public\".\"t\"".into(),
                "\"i\"".into()
            ))
        );
        assert_eq!(
            kind("CREATE UNIQUE INDEX \"I x\" ON ONLY s.\"We\"\"ird\" USING btree (a)")
                .unwrap()
                .1,
            "\"s\".\"We\"\"ird\""
        );
        assert_eq!(
            kind("ALTER TABLE ONLY public.t ADD CONSTRAINT t_pkey PRIMARY KEY (id)")
                .unwrap()
                .0,
            Some(Parallel::Index { exclusive: true })
        );
        assert_eq!(
            kind("ALTER TABLE ONLY public.t ADD CONSTRAINT \"T u\" UNIQUE (a)")
                .unwrap()
                .0,
            Some(Parallel::Index { exclusive: true })
        );
        let fk = kind("ALTER TABLE ONLY public.t ADD CONSTRAINT \"Fk\" FOREIGN KEY (a) REFERENCES public.u(id) DEFERRABLE").unwrap();
        assert_eq!(fk.0, Some(Parallel::ForeignKey { only: true }));
        assert_eq!(fk.2, "\"Fk\"");
        // A partitioned table's key: beside others, as written.
        let whole =
            kind("ALTER TABLE public.t ADD CONSTRAINT f FOREIGN KEY (a) REFERENCES public.u(id)")
                .unwrap();
        assert_eq!(whole.0, Some(Parallel::ForeignKey { only: false }));
        assert_eq!(whole.1, "\"public\".\"t\"");
        // Anything else runs alone, in order.
        for alone in [
            "ALTER TABLE ONLY public.t ADD CONSTRAINT f FOREIGN KEY (a) REFERENCES public.u(id) NOT VALID",
            "ALTER TABLE public.t ADD CONSTRAINT t_pkey PRIMARY KEY (id)",
            "ALTER TABLE public.t ADD CONSTRAINT u UNIQUE (a)",
            "ALTER TABLE ONLY public.t ADD CONSTRAINT c CHECK (a > 0) NOT VALID",
            "ALTER INDEX public.p ATTACH PARTITION public.c",
            "CREATE TRIGGER x AFTER UPDATE ON public.t FOR EACH ROW EXECUTE FUNCTION f()",
            "COMMENT ON INDEX public.i IS 'x'",
            "CREATE INDEX i ON public.t(a)",
        ] {
            assert_eq!(kind(alone).and_then(|k| k.0), None, "{alone}");
        }
    }

    /// The index a build makes, as `existing_indexes` names it, so that a
    /// build made early is skipped in post-data.
    #[test]
    fn the_index_a_build_makes() {
        for (sql, index) in [
            ("CREATE INDEX i ON public.t USING btree (a)", Some("\"public\".\"i\"")),
            (
                "CREATE UNIQUE INDEX \"I x\" ON ONLY s.\"We\"\"ird\" USING btree (a)",
                Some("\"s\".\"I x\""),
            ),
            (
                "ALTER TABLE ONLY public.t ADD CONSTRAINT t_pkey PRIMARY KEY (id)",
                Some("\"public\".\"t_pkey\""),
            ),
            (
                "ALTER TABLE ONLY s.t ADD CONSTRAINT \"T u\" UNIQUE (a)",
                Some("\"s\".\"T u\""),
            ),
            (
                "ALTER TABLE ONLY public.t ADD CONSTRAINT f FOREIGN KEY (a) REFERENCES public.u(id)",
                None,
            ),
            ("CREATE TRIGGER x AFTER UPDATE ON public.t FOR EACH ROW EXECUTE FUNCTION f()", None),
            // Not the whole story: an unqualified table, a constraint on an existing index.
            ("CREATE INDEX i ON t USING btree (a)", None),
            (
                "ALTER TABLE ONLY public.t ADD CONSTRAINT u UNIQUE USING INDEX u",
                None,
            ),
        ] {
            assert_eq!(Job::of(sql.to_string(), 1).index.as_deref(), index, "{sql}");
        }
    }
}
