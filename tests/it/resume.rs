//! `init --resume` (issue 10, Scale): an `init --data` killed partway leaves
//! its staging database; a resumed run keeps the tables that are complete
//! (rows and checksums match the manifest), reloads the others, finishes
//! post-data and the swap, and leaves no staging database behind. A staging
//! database built from other files, or killed while building post-data, is
//! not reused; a kept table changed since is reloaded.
//!
//! The kill is deterministic: `DBSNAP_FAULT_STALL_AT_TABLE=N` stops the file
//! reader before the rows of table N+1, the test waits until the staging
//! database holds the first N tables in full, then sends SIGKILL.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::commands::{export_both, export_data_ok, init_args, verify_manifest};
use crate::support::server::Server;
use crate::support::testdb::TestDb;
use crate::support::{dbsnap, tempdir, tests_for_engine, Run, ScratchDir};

/// Rows per table: enough for several COPY chunks, small enough to be quick.
const ROWS: u64 = 3000;

/// What differs between the engines for these tests.
trait Flavour: Server + Sized {
    /// Four tables a, b, c, d with rows, a foreign key, an index and a counter.
    const SOURCE: &'static str;
    /// How the manifest (and init's report) writes table `t`.
    fn manifest_name(t: &str) -> String;
    /// The table names in the order the data file loads them.
    fn file_order(data: &str) -> Vec<String>;
    /// A statement that changes one row of table `t`.
    fn corrupt(t: &str) -> String;
    /// `SELECT count(*)` of table `t` that gives up within seconds instead
    /// of waiting for a lock the stalled load holds: a test waiting on it
    /// would hang, and its stalled process with it.
    fn bounded_count(t: &str) -> String;
    /// How many statements are loading rows into database `db` now (a
    /// number). MariaDB 10.11 can hang for good, and take the whole server
    /// with it, when `SELECT count(*)` reads a table while a LOAD DATA
    /// fills it: the test counts only while nothing loads.
    fn loading(db: &str) -> String;
}

impl Flavour for crate::support::pg::PgServer {
    const SOURCE: &'static str = "
        CREATE TABLE public.a (id serial PRIMARY KEY, v text);
        CREATE TABLE public.b (id int PRIMARY KEY, a_id int REFERENCES public.a(id), w numeric);
        CREATE TABLE public.c (id bigint, t text);
        CREATE INDEX c_id ON public.c (id);
        CREATE TABLE public.d (x text);
        INSERT INTO public.a (v) SELECT 'v' || g FROM generate_series(1, 3000) g;
        INSERT INTO public.b SELECT g, g, g * 1.5 FROM generate_series(1, 3000) g;
        INSERT INTO public.c SELECT g, repeat('t', g % 40) FROM generate_series(1, 3000) g;
        INSERT INTO public.d SELECT repeat('x', g % 50) FROM generate_series(1, 3000) g;
    ";

    fn manifest_name(t: &str) -> String {
        format!("public.{t}")
    }

    fn file_order(data: &str) -> Vec<String> {
        data.lines()
            .filter_map(|l| l.strip_prefix("COPY public."))
            .filter_map(|l| l.split(' ').next())
            .map(str::to_string)
            .collect()
    }

    fn corrupt(t: &str) -> String {
        format!("UPDATE public.{t} SET id = -id WHERE id = 7")
    }

    fn bounded_count(t: &str) -> String {
        format!(
            "SET lock_timeout = '3s'; SET statement_timeout = '10s'; SELECT count(*) FROM public.{t}"
        )
    }
    fn loading(_: &str) -> String {
        "SELECT 0".into()
    }
}

impl Flavour for crate::support::mysql::MyServer {
    const SOURCE: &'static str = "
        CREATE TABLE a (id int AUTO_INCREMENT PRIMARY KEY, v text);
        CREATE TABLE b (id int PRIMARY KEY, a_id int, w decimal(10,2), FOREIGN KEY (a_id) REFERENCES a(id));
        CREATE TABLE c (id bigint, t text, KEY c_id (id));
        CREATE TABLE d (x text);
        CREATE TRIGGER d_touch BEFORE INSERT ON d FOR EACH ROW SET NEW.x = CONCAT(NEW.x, '');
        INSERT INTO a (v) SELECT CONCAT('v', seq) FROM seq_1_to_3000;
        INSERT INTO b SELECT seq, seq, seq * 1.5 FROM seq_1_to_3000;
        INSERT INTO c SELECT seq, REPEAT('t', seq % 40) FROM seq_1_to_3000;
        INSERT INTO d SELECT REPEAT('x', seq % 50) FROM seq_1_to_3000;
    ";

    fn manifest_name(t: &str) -> String {
        format!("`{t}`")
    }

    fn file_order(data: &str) -> Vec<String> {
        let mut order: Vec<String> = Vec::new();
        for l in data.lines() {
            if let Some(rest) = l.strip_prefix("INSERT INTO `") {
                let t = rest.split('`').next().unwrap_or_default().to_string();
                if !order.contains(&t) {
                    order.push(t);
                }
            }
        }
        order
    }

    fn corrupt(t: &str) -> String {
        format!("UPDATE `{t}` SET id = -id WHERE id = 7")
    }

    fn bounded_count(t: &str) -> String {
        format!(
            "SET SESSION lock_wait_timeout = 3, innodb_lock_wait_timeout = 3, \
             max_statement_time = 10; SELECT count(*) FROM `{t}`"
        )
    }
    fn loading(db: &str) -> String {
        format!(
            "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE DB = '{db}' \
             AND COMMAND = 'Query' AND (INFO LIKE 'LOAD DATA%' OR INFO LIKE 'INSERT%')"
        )
    }
}

/// A source database of four tables and its schema and data snapshots.
struct Fixture<S: Flavour> {
    source: TestDb<S>,
    dir: ScratchDir,
    schema: PathBuf,
    data: PathBuf,
}

impl<S: Flavour> Fixture<S> {
    fn new() -> Fixture<S> {
        let source = TestDb::<S>::create("src");
        source
            .server()
            .try_sql(source.name(), S::SOURCE)
            .unwrap_or_else(|e| panic!("{e}"));
        let dir = tempdir();
        let (schema, data) = export_both(&source, dir.path(), "data.sql");
        Fixture {
            source,
            dir,
            schema,
            data,
        }
    }

    fn order(&self) -> Vec<String> {
        let order = S::file_order(&std::fs::read_to_string(&self.data).unwrap());
        assert_eq!(order.len(), 4, "four tables in the data file: {order:?}");
        order
    }

    /// `init --yes` of the schema and `data` into `target`, with `extra`: it
    /// succeeds, saying each of `says`, and `target` then holds what the
    /// manifest of `data` says (rows and checksums), with no staging database
    /// left. Returns the run for more checks.
    #[track_caller]
    fn init_ok(&self, target: &TestDb<S>, data: &Path, extra: &[&str], says: &[&str]) -> Run {
        let mut args = init_args(target, &self.schema, Some(data), true);
        args.extend(extra.iter().map(|a| a.to_string()));
        let run = dbsnap(&args, &[]);
        run.assert_success().assert_stderr_has(says);
        verify_manifest(data, target, &["--checksum"]).assert_success();
        target.assert_no_staging_leftovers();
        run
    }

    /// Starts `init --data` and kills it (SIGKILL) once its staging database
    /// holds the first `n` tables of the file in full; returns the staging
    /// database's name.
    fn kill_after_tables(&self, target: &TestDb<S>, n: usize) -> String {
        // Killed however this ends, a panic included: a stalled dbsnap left
        // behind holds its server session (and a LOAD) open for good.
        let child = Killed(
            Command::new(env!("CARGO_BIN_EXE_dbsnap"))
                .args(init_args(target, &self.schema, Some(&self.data), true))
                .env("DBSNAP_FAULT_STALL_AT_TABLE", n.to_string())
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap(),
        );
        let first: Vec<String> = self.order().into_iter().take(n).collect();
        let started = Instant::now();
        let staging = loop {
            let found = target.staging_leftovers();
            if let [staging] = found.as_slice() {
                // Nothing loading at two looks 200 ms apart: the workers
                // are idle (they take queued rows at once), so no LOAD
                // runs beside the counts.
                let idle = || {
                    target
                        .server()
                        .try_sql(staging, &S::loading(staging))
                        .is_ok_and(|n| n.trim() == "0")
                };
                if idle() && {
                    std::thread::sleep(Duration::from_millis(200));
                    idle()
                } {
                    let counts: Vec<Option<u64>> =
                        first.iter().map(|t| count(target, staging, t)).collect();
                    if counts.iter().all(|c| *c == Some(ROWS)) {
                        break staging.clone();
                    }
                }
            }
            // A safety net, not a timing assertion: the state comes for sure.
            if started.elapsed() > Duration::from_secs(120) {
                panic!("the staging database never held {first:?} in full");
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        drop(child);
        staging
    }
}

/// A child process that is killed when dropped.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        kill(&mut self.0);
    }
}

fn kill(child: &mut Child) {
    let _ = child.kill(); // SIGKILL: no cleanup runs
    let _ = child.wait();
}

/// Rows of table `t` in database `db`, None while it does not exist.
fn count<S: Flavour>(target: &TestDb<S>, db: &str, t: &str) -> Option<u64> {
    target
        .server()
        .try_sql(db, &S::bounded_count(t))
        .ok()
        .and_then(|out| out.trim().parse().ok())
}

fn names<S: Flavour>(tables: &[String]) -> String {
    tables
        .iter()
        .map(|t| S::manifest_name(t))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Killed after two of four tables: the resumed run keeps those two and
/// loads the other two, and the result is the snapshot. Returns the fixture
/// and the target for more checks.
fn killed_init_resumes<S: Flavour>() -> (Fixture<S>, TestDb<S>) {
    let fx = Fixture::<S>::new();
    let order = fx.order();
    let target = TestDb::<S>::reserve("dst");
    let staging = fx.kill_after_tables(&target, 2);
    fx.init_ok(
        &target,
        &fx.data,
        &["--resume"],
        &[
            &format!("resumed {staging}"),
            &format!("kept 2 tables ({})", names::<S>(&order[..2])),
            &format!("reloaded 2 tables ({})", names::<S>(&order[2..])),
        ],
    );
    (fx, target)
}

/// A kept table changed in the dead staging database no longer matches the
/// manifest: it is emptied and reloaded.
fn changed_table_is_reloaded<S: Flavour>() {
    let fx = Fixture::<S>::new();
    let order = fx.order();
    let target = TestDb::<S>::reserve("dst");
    let staging = fx.kill_after_tables(&target, 2);
    target
        .server()
        .try_sql(&staging, &S::corrupt(&order[0]))
        .unwrap_or_else(|e| panic!("{e}"));
    let mut reloaded = vec![order[0].clone()];
    reloaded.extend(order[2..].iter().cloned());
    fx.init_ok(
        &target,
        &fx.data,
        &["--resume"],
        &[
            &format!("kept 1 table ({})", names::<S>(&order[1..2])),
            &format!("reloaded 3 tables ({})", names::<S>(&reloaded)),
        ],
    );
}

/// A staging database loaded from another data file is dropped, not reused;
/// without --resume a resumable one is dropped too, as before.
fn other_files_are_not_resumed<S: Flavour>() {
    let fx = Fixture::<S>::new();
    let target = TestDb::<S>::reserve("dst");
    let staging = fx.kill_after_tables(&target, 2);
    // Another snapshot of the same schema: one more row.
    fx.source
        .server()
        .try_sql(
            fx.source.name(),
            &format!("INSERT INTO {} VALUES ('new')", S::manifest_name("d")),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    let other = fx.dir.join("other.sql");
    export_data_ok(&fx.source, &other, &[]);
    let run = fx.init_ok(
        &target,
        &other,
        &["--resume"],
        &[
            &format!(
                "dropped {staging}, left behind by an earlier run that was killed (not resumed: it was loaded from a different data file)"
            ),
            "no staging database of an earlier run",
        ],
    );
    assert!(!run.stderr.contains("resumed "), "{run}");

    let staging = fx.kill_after_tables(&target, 1);
    let run = fx.init_ok(&target, &fx.data, &[], &[&format!("dropped {staging}")]);
    assert!(!run.stderr.contains("resumed "), "{run}");
}

mod pg {
    use super::*;
    use crate::support::pg::{self, PgServer};

    /// The comment on database `name` (`none` without one), where init
    /// records the build of a staging database.
    fn database_comment(name: &str) -> String {
        let server = pg::server();
        server
            .psql(
                &server.maintenance_db(),
                &format!(
                    "SELECT coalesce(shobj_description(oid, 'pg_database'), 'none') \
                     FROM pg_database WHERE datname = {}",
                    pg::literal(name)
                ),
            )
            .trim()
            .to_string()
    }

    tests_for_engine!(PgServer {
        resume_keeps_complete_tables_and_reloads_the_rest => killed_init_resumes,
        resume_reloads_a_kept_table_that_changed => changed_table_is_reloaded,
        resume_refuses_a_staging_database_of_other_files => other_files_are_not_resumed,
    });

    /// Killed while building post-data (the phase its record names): the
    /// staging database is not reused, and the build starts afresh.
    #[test]
    fn resume_after_a_death_in_post_data_starts_afresh() {
        let fx = Fixture::<PgServer>::new();
        let target = TestDb::<PgServer>::reserve("dst");
        let staging = fx.kill_after_tables(&target, 2);
        let server = target.server();
        let record = database_comment(&staging);
        assert!(record.contains("phase=rows"), "{record}");
        let record = record.replace("phase=rows", "phase=post-data");
        server.psql(
            &server.maintenance_db(),
            &format!("COMMENT ON DATABASE \"{staging}\" IS '{record}'"),
        );
        fx.init_ok(
            &target,
            &fx.data,
            &["--resume"],
            &[
                "not resumed: it had died while building indexes",
                "building from scratch",
            ],
        );
        // The comment that recorded the build does not come along.
        assert_eq!(database_comment(target.name()), "none");
        assert_eq!(target.pg_dump_schema(), fx.source.pg_dump_schema());
    }

    /// A backend of the dead run still working in its staging database (an
    /// index build goes on after its client is killed, until it ends) does
    /// not make the run alive: its connection to the maintenance database is
    /// gone. The resumed run ends that backend and takes the database over.
    #[test]
    fn resume_takes_over_from_a_dead_runs_backend_still_working() {
        let fx = Fixture::<PgServer>::new();
        let order = fx.order();
        let target = TestDb::<PgServer>::reserve("dst");
        let staging = fx.kill_after_tables(&target, 2);
        let token = staging.rsplit_once('_').unwrap().1;
        let server = target.server();
        let mut straggler = std::process::Command::new("psql")
            .args(["-X", "-q", "-d", &server.url_for(&staging)])
            .args(["-c", "SELECT pg_sleep(300)"])
            .env("PGAPPNAME", format!("dbsnap:{token}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let started = Instant::now();
        while server
            .psql(
                &server.maintenance_db(),
                &format!(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = {} AND state = 'active'",
                    pg::literal(&staging)
                ),
            )
            .trim()
            != "1"
        {
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "psql never connected"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        fx.init_ok(
            &target,
            &fx.data,
            &["--resume"],
            &[
                &format!("resumed {staging}"),
                &format!("kept 2 tables ({})", names::<PgServer>(&order[..2])),
            ],
        );
        let ended = straggler.wait().unwrap();
        assert!(!ended.success(), "the dead run's backend was not ended");
    }

    #[test]
    fn resume_with_nothing_to_resume_builds_and_says_so() {
        let fx = Fixture::<PgServer>::new();
        let target = TestDb::<PgServer>::reserve("dst");
        fx.init_ok(
            &target,
            &fx.data,
            &["--resume"],
            &["--resume: no staging database of an earlier run"],
        );
        assert_eq!(target.pg_dump_schema(), fx.source.pg_dump_schema());
    }
}

mod mysql {
    use super::*;
    use crate::support::mysql::{assert_same_database, MyServer};

    #[test]
    fn mysql_resume_keeps_complete_tables_and_reloads_the_rest() {
        let (fx, target) = killed_init_resumes::<MyServer>();
        // Triggers, keys and counters as the source has them; the record
        // table stayed behind.
        assert_same_database(&fx.source, &target);
    }

    tests_for_engine!(MyServer {
        mysql_resume_reloads_a_kept_table_that_changed => changed_table_is_reloaded,
        mysql_resume_refuses_a_staging_database_of_other_files => other_files_are_not_resumed,
    });
}
