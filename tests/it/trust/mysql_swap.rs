//! MySQL/MariaDB's journaled swap under faults: a held lock, and a swap
//! killed at each of its steps.

use std::io::Write;
use std::time::Instant;

use super::*;
use crate::support::commands::{export_schema, init, init_args};
use crate::support::mysql::TestDb;
use crate::support::{dbsnap, Dbsnap, Run};

// Foreign keys: `log` has one with a name of its own (InnoDB keeps such a
// name database-wide, so the parked table must leave the database); `t`
// (with triggers, so parked in place) has one InnoDB named and one named
// `t p fk`, both to a table parked elsewhere. The new `t` brings `t p fk`
// too: it moves in under a temporary name.
const OLD: &str = "CREATE TABLE p (id int PRIMARY KEY);
    INSERT INTO p VALUES (1);
    CREATE TABLE t (id int PRIMARY KEY, v text, p_id int DEFAULT 1, q_id int DEFAULT 1,
      FOREIGN KEY (p_id) REFERENCES p (id), CONSTRAINT `t p fk` FOREIGN KEY (q_id) REFERENCES p (id));
    INSERT INTO t (id, v) VALUES (1, 'old');
    CREATE TABLE log (id int AUTO_INCREMENT PRIMARY KEY, what text, p_id int DEFAULT 1,
      CONSTRAINT log_p_fk FOREIGN KEY (p_id) REFERENCES p (id));
    CREATE TRIGGER t_ai AFTER INSERT ON t FOR EACH ROW INSERT INTO log (what) VALUES ('ins');
    CREATE TRIGGER t_au AFTER UPDATE ON t FOR EACH ROW INSERT INTO log (what) VALUES ('upd');
    CREATE VIEW v AS SELECT id, v FROM t;
    CREATE FUNCTION f() RETURNS int DETERMINISTIC RETURN 7;";

/// Rows of t, the foreign keys, and the names of the code objects.
fn state(db: &TestDb) -> String {
    let mut out = db.sql("SELECT GROUP_CONCAT(CONCAT(id, '=', v) ORDER BY id) FROM t");
    out += " | ";
    out += &db.sql(
        "SELECT GROUP_CONCAT(CONCAT(TABLE_NAME, ':', CONSTRAINT_NAME, '->', REFERENCED_TABLE_NAME) ORDER BY 1) \
         FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE()",
    );
    out += " | ";
    out += &db.sql(
        "SELECT CONCAT_WS(',', \
           (SELECT GROUP_CONCAT(TRIGGER_NAME ORDER BY 1) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE()), \
           (SELECT GROUP_CONCAT(TABLE_NAME ORDER BY 1) FROM information_schema.VIEWS WHERE TABLE_SCHEMA = DATABASE()), \
           (SELECT GROUP_CONCAT(ROUTINE_NAME ORDER BY 1) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = DATABASE()))",
    );
    out
}

/// A target with old rows and code, and a snapshot of a source with new rows and other code.
fn setup() -> (TestDb, TestDb, tempfile::TempDir, PathBuf, PathBuf) {
    let target = TestDb::create("dst");
    target.sql(OLD);
    let source = TestDb::create("src");
    source.sql(
        &OLD.replace("'old'", "'new'")
            .replace("t_au", "t_new")
            .replace("RETURN 7", "RETURN 8"),
    );
    let dir = tempfile::tempdir().unwrap();
    let schema = dir.path().join("schema.sql");
    let data = dir.path().join("data.sql");
    export_schema(&source, &schema, &[]).assert_success();
    export_data_ok(&source, &data, &[]);
    (target, source, dir, schema, data)
}

fn leftovers(db: &TestDb) -> Vec<String> {
    db.server()
        .databases()
        .into_iter()
        .filter(|d| d.starts_with(&format!("{}__dbsnap_", db.name())))
        .collect()
}

/// Every fault point of the swap, in order, whether a swap killed there
/// has moved the new tables in (so its recovery finishes it), and what
/// the next init says about it.
const STEPS: &[(&str, bool, &str)] = &[
    // Before the journal: only a staging database is left.
    (
        "code-dropped",
        false,
        "left behind by an earlier run that was killed",
    ),
    ("journal-partial", false, "killed before it changed"),
    ("journal", false, "killed before it changed"),
    ("rekeyed", false, "killed before it changed"),
    ("rename-done", true, "finished an init"),
    ("renamed", true, "finished an init"),
    ("staging-dropped", true, "finished an init"),
    ("code-created", true, "finished an init"),
    ("parked-dropped", true, "finished an init"),
    ("rekeys-restored", true, "finished an init"),
];

/// `init --yes` of `target` with extra flags and environment.
fn init_with(
    target: &TestDb,
    schema: &Path,
    data: Option<&Path>,
    extra: &[&str],
    env: &[(&str, &str)],
) -> Run {
    let mut args = init_args(target, schema, data, true);
    args.extend(extra.iter().map(|a| a.to_string()));
    dbsnap(&args, env)
}

/// An init of `target` killed by the fault hook at `step` of its swap.
fn killed_at(target: &TestDb, schema: &Path, data: &Path, step: &str) {
    let run = init_with(
        target,
        schema,
        Some(data),
        &[],
        &[("DBSNAP_FAULT_AT", step)],
    );
    assert_ne!(run.code, Some(0), "{step}: {run}");
}

/// No staging database or journal of `target` is left.
#[track_caller]
fn assert_no_leftovers(target: &TestDb, context: &str) {
    let left = leftovers(target);
    assert!(left.is_empty(), "{context}: {left:?}");
}

/// A schema file that fails in the staging build, after the recovery of
/// a killed swap: the recovered state stays to be seen.
fn broken_copy(dir: &Path, schema: &Path) -> PathBuf {
    let text = std::fs::read_to_string(schema).unwrap();
    write(
        &dir.join("broken.sql"),
        &insert_before(
            &text,
            "-- dbsnap:section post-data",
            "CREATE TABLE broken (x no_such_type);",
        ),
    )
}

/// A new snapshot of `source` after `change`, in `dir`.
fn snapshot_after(source: &TestDb, dir: &Path, change: &str) -> (PathBuf, PathBuf) {
    source.sql(change);
    let schema = dir.join("schema2.sql");
    let data = dir.join("data2.sql");
    export_schema(source, &schema, &[]).assert_success();
    export_data_ok(source, &data, &[]);
    (schema, data)
}

#[test]
fn a_held_lock_makes_init_give_up_with_nothing_changed() {
    let (target, _source, _dir, schema, data) = setup();
    let before = state(&target);
    let srv = target.server();
    let mut holder = std::process::Command::new("mariadb")
        .args([
            "-h",
            &srv.host(),
            "-P",
            &srv.port().to_string(),
            "-u",
            &srv.user(),
            target.name(),
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    holder
        .stdin
        .as_mut()
        .unwrap()
        .write_all(b"START TRANSACTION; SELECT * FROM t; SELECT SLEEP(120);\n")
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    let started = Instant::now();
    let mut args = init_args(&target, &schema, Some(&data), true);
    args.extend(["--lock-timeout".to_string(), "2".to_string()]);
    let run = dbsnap(&args, &[]);
    let took = started.elapsed();
    let _ = holder.kill();
    let _ = holder.wait();
    assert_eq!(run.code, Some(1), "{run}");
    assert!(run.stderr.contains("gave up"), "{run}");
    assert!(run.stderr.contains("left as it was"), "{run}");
    assert!(took < Duration::from_secs(60), "init waited {took:?}");
    assert_eq!(state(&target), before, "the live database changed");
    assert_no_leftovers(&target, "after the run");
}

#[test]
fn a_swap_killed_at_any_step_is_finished_or_reverted() {
    for &(step, finished, word) in STEPS {
        let (target, source, dir, schema, data) = setup();
        let before = state(&target);
        let after = state(&source);
        killed_at(&target, &schema, &data, step);
        // The next init of the target recovers first; this one then fails
        // in its own staging build, so the recovered state stays to be seen.
        let run = init(&target, &broken_copy(dir.path(), &schema), None, true);
        assert_eq!(run.code, Some(1), "{step}: {run}");
        assert!(run.stderr.contains(word), "{step}: {run}");
        let expected = if finished { &after } else { &before };
        assert_eq!(&state(&target), expected, "{step}: {run}");
        assert_no_leftovers(&target, step);
    }
}

/// SIGTERM during the swap once stopped it between its steps: the tables
/// renamed into the target, its views and triggers not made yet, and the
/// run said only that it dropped its staging database. The signal now
/// waits for the swap to end, which says so.
#[test]
fn a_signal_during_the_swap_lets_it_end() {
    for step in ["journal", "rekeyed", "renamed", "code-created"] {
        let (target, source, dir, schema, data) = setup();
        let after = state(&source);
        let pause = dir.path().join("paused");
        let (mut child, stderr) = Dbsnap::new()
            .args(init_args(&target, &schema, Some(&data), true))
            .spawn_paused_at(step, &pause);
        let sent = std::process::Command::new("kill")
            .args(["-15", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
        std::thread::sleep(Duration::from_millis(300));
        std::fs::remove_file(&pause).unwrap();
        let code = crate::support::wait_or_kill(&mut child, Duration::from_secs(300));
        let stderr = stderr.join().unwrap();
        assert_eq!(code, Some(0), "{step}: {stderr}");
        assert!(stderr.contains("letting it end first"), "{step}: {stderr}");
        assert_eq!(state(&target), after, "{step}: {stderr}");
        assert_no_leftovers(&target, step);
    }
}

#[test]
fn a_killed_swap_then_init_resume_ends_with_the_new_database() {
    for &(step, _, word) in STEPS {
        let (target, source, _dir, schema, data) = setup();
        let after = state(&source);
        killed_at(&target, &schema, &data, step);
        let run = init_with(&target, &schema, Some(&data), &["--resume"], &[]);
        run.assert_success();
        assert!(run.stderr.contains(word), "{step}: {run}");
        assert_eq!(state(&target), after, "{step}: {run}");
        assert_eq!(target.sql("SELECT COUNT(*) FROM log").trim(), "0", "{step}");
        assert_no_leftovers(&target, step);
    }
}

/// Regression: a first init (the target empty, so no table was parked)
/// killed between its RENAME and the journal's note of it was taken for
/// one killed before the RENAME: the recovery dropped the journal and
/// said nothing had changed, leaving the new tables without their code.
#[test]
fn a_first_init_killed_right_after_its_rename_is_finished() {
    let (target, source, dir, schema, data) = setup();
    target.sql(
        "DROP TRIGGER t_ai; DROP TRIGGER t_au; DROP VIEW v; DROP FUNCTION f; DROP TABLE t, log, p",
    );
    let after = state(&source);
    killed_at(&target, &schema, &data, "rename-done");
    let run = init(&target, &broken_copy(dir.path(), &schema), None, true);
    assert_eq!(run.code, Some(1), "{run}");
    assert!(run.stderr.contains("finished an init"), "{run}");
    assert_eq!(state(&target), after, "{run}");
    assert_no_leftovers(&target, "after the run");
}

/// A target that did not exist is not left behind, empty, by a swap
/// killed before its RENAME: the old state was "no database".
#[test]
fn a_first_init_of_a_new_database_killed_before_its_rename_leaves_none() {
    let (_target, _source, dir, schema, data) = setup();
    let target = TestDb::reserve("fresh");
    killed_at(&target, &schema, &data, "journal");
    assert!(target.exists(), "the swap creates the target first");
    let run = init(&target, &broken_copy(dir.path(), &schema), None, true);
    assert_eq!(run.code, Some(1), "{run}");
    assert!(run.stderr.contains("which it had created empty"), "{run}");
    assert!(!target.exists(), "{run}");
    assert_no_leftovers(&target, "after the run");
}

/// Regression: a view of the live database with the name of a new table
/// (a view made a table) was not moved aside, and the RENAME failed with
/// ERROR 1050 "Table 'w' already exists".
#[test]
fn a_view_that_becomes_a_table_is_replaced() {
    let (target, source, dir, _schema, _data) = setup();
    target.sql("CREATE VIEW w AS SELECT id AS x FROM t");
    let (schema, data) = snapshot_after(
        &source,
        dir.path(),
        "CREATE TABLE w (x int); INSERT INTO w VALUES (5)",
    );
    init(&target, &schema, Some(&data), true).assert_success();
    assert_eq!(state(&target), state(&source));
    assert_eq!(
        target.sql("SELECT CONCAT(TABLE_TYPE, ':', (SELECT x FROM w)) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'w'").trim(),
        "BASE TABLE:5"
    );
    assert_no_leftovers(&target, "after the run");
}

/// Another session makes a table of the new build's name in the target
/// while the swap runs: the RENAME fails as a whole, the live database
/// is left as it was, the message names the table and does not blame a
/// lock, and nothing of the run is left.
#[test]
fn a_table_made_by_another_session_during_the_swap_stops_it_with_nothing_changed() {
    let (target, source, dir, _schema, _data) = setup();
    let (schema, data) = snapshot_after(
        &source,
        dir.path(),
        "CREATE TABLE extra (x int); INSERT INTO extra VALUES (1)",
    );
    let before = state(&target);
    let pause = dir.path().join("paused");
    let (mut child, stderr) = Dbsnap::new()
        .args(init_args(&target, &schema, Some(&data), true))
        .spawn_paused_at("journal", &pause);
    target.sql("CREATE TABLE extra (y int); INSERT INTO extra VALUES (42)");
    std::fs::remove_file(&pause).unwrap();
    let code = crate::support::wait_or_kill(&mut child, Duration::from_secs(300));
    let stderr = stderr.join().unwrap();
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("1050"), "{stderr}");
    assert!(stderr.contains("extra"), "{stderr}");
    assert!(stderr.contains("nothing was changed"), "{stderr}");
    assert!(!stderr.contains("holds a lock"), "{stderr}");
    assert_eq!(state(&target), before);
    assert_eq!(target.sql("SELECT y FROM extra").trim(), "42");
    assert_no_leftovers(&target, "after the run");
}
