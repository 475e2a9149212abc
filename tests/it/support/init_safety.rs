//! The existing database `dbsnap init` must leave alone unless told `--yes`,
//! for both engines: a database whose one table `dbsnap_marker` holds one row,
//! the record of what must not change in it, a small snapshot to init from,
//! and the checks each engine's schema tests run over them.

use std::path::{Path, PathBuf};

use super::commands::{export_data_ok, export_schema_ok, init};
use super::mysql::{MyServer, SchemaAndData};
use super::pg::PgServer;
use super::server::Server;
use super::testdb::TestDb;
use super::{assert_same_text, tempdir, Run};

/// What differs between the engines for these checks.
pub trait InitSafety: Server + Sized {
    /// Creates `dbsnap_marker (id, note)` holding the row `(1, 'keep me')`.
    const MARKER_SQL: &'static str;
    /// Creates `from_snapshot (id, label)` with a key on `label`, and two rows.
    const SMALL_SQL: &'static str;
    /// What else init must not change, as the engine's oracle sees it.
    type State;
    fn capture(db: &TestDb<Self>) -> Self::State;
    fn assert_unchanged(before: &Self::State, db: &TestDb<Self>);
    /// The tables, views and sequences of `db`, sorted.
    fn relations(db: &TestDb<Self>) -> Vec<String>;
    /// How [`InitSafety::relations`] names table `name` of a test database.
    fn table_name(name: &str) -> String;
}

impl InitSafety for PgServer {
    const MARKER_SQL: &'static str =
        "CREATE TABLE dbsnap_marker (id integer PRIMARY KEY, note text); \
         INSERT INTO dbsnap_marker VALUES (1, 'keep me');";
    const SMALL_SQL: &'static str =
        "CREATE TABLE from_snapshot (id integer PRIMARY KEY, label text NOT NULL); \
         CREATE INDEX from_snapshot_label ON from_snapshot (label); \
         INSERT INTO from_snapshot VALUES (1, 'one'), (2, 'two');";
    /// The database's oid (a replaced database has another) and its pg_dump.
    type State = (Option<u32>, String);

    fn capture(db: &TestDb<Self>) -> Self::State {
        (db.oid(), db.pg_dump_schema())
    }

    #[track_caller]
    fn assert_unchanged((oid, dump): &Self::State, db: &TestDb<Self>) {
        assert_eq!(
            db.oid(),
            *oid,
            "database {} was replaced (its oid changed)",
            db.name()
        );
        assert_same_text("pg_dump", "before", dump, "after", &db.pg_dump_schema());
    }

    fn relations(db: &TestDb<Self>) -> Vec<String> {
        db.relations()
    }

    fn table_name(name: &str) -> String {
        format!("public.{name}")
    }
}

impl InitSafety for MyServer {
    const MARKER_SQL: &'static str =
        "CREATE TABLE dbsnap_marker (id INT PRIMARY KEY, note TEXT) ENGINE=InnoDB; \
         INSERT INTO dbsnap_marker VALUES (1, 'keep me');";
    const SMALL_SQL: &'static str = "CREATE TABLE from_snapshot (id INT PRIMARY KEY, label VARCHAR(20) NOT NULL, KEY (label)); \
         INSERT INTO from_snapshot VALUES (1, 'one'), (2, 'two');";
    type State = SchemaAndData;

    fn capture(db: &TestDb<Self>) -> Self::State {
        SchemaAndData::capture(db)
    }

    #[track_caller]
    fn assert_unchanged(before: &Self::State, db: &TestDb<Self>) {
        before.assert_unchanged(db, "after");
    }

    fn relations(db: &TestDb<Self>) -> Vec<String> {
        db.tables().into_iter().map(|(n, _, _)| n).collect()
    }

    fn table_name(name: &str) -> String {
        name.to_string()
    }
}

/// An existing database with one table holding one row.
fn existing_with_marker<S: InitSafety>() -> TestDb<S> {
    let db = TestDb::<S>::create("existing");
    db.sql(S::MARKER_SQL);
    db
}

/// What must not change when init leaves a database alone.
struct Untouched<S: InitSafety>(S::State);

impl<S: InitSafety> Untouched<S> {
    fn capture(db: &TestDb<S>) -> Untouched<S> {
        Untouched(S::capture(db))
    }

    #[track_caller]
    fn check(&self, db: &TestDb<S>) {
        assert!(db.exists(), "database {} is gone", db.name());
        assert_eq!(
            db.sql("SELECT CONCAT(id, ':', note) FROM dbsnap_marker;"),
            "1:keep me\n",
            "marker row changed"
        );
        assert_eq!(
            S::relations(db),
            [S::table_name("dbsnap_marker")],
            "relations of {} changed",
            db.name()
        );
        S::assert_unchanged(&self.0, db);
        db.assert_no_staging_leftovers();
    }
}

/// A small real snapshot of [`InitSafety::SMALL_SQL`], exported by dbsnap to
/// `dir`: (schema, data).
pub fn small_snapshot<S: InitSafety>(dir: &Path) -> (PathBuf, PathBuf) {
    let source = TestDb::<S>::create("small");
    source.sql(S::SMALL_SQL);
    let schema = dir.join("small.sql");
    let data = dir.join("small-data.sql");
    export_schema_ok(&source, &schema);
    export_data_ok(&source, &data, &[]);
    (schema, data)
}

/// `init` of `schema` (and `data`, and `--yes` if `yes`) over an existing
/// database: it fails (exit 1) and leaves the database untouched. Returns
/// the run for the checks of its message.
#[track_caller]
pub fn failed_init_over_existing<S: InitSafety>(
    schema: &Path,
    data: Option<&Path>,
    yes: bool,
) -> Run {
    let target = existing_with_marker::<S>();
    let before = Untouched::capture(&target);
    let run = init(&target, schema, data, yes);
    run.assert_code(1);
    before.check(&target);
    run
}

/// Without `--yes`, init refuses to replace an existing database, with or
/// without `--data`, says so and names `--yes`. The tests' stdin is null: not
/// a terminal, nobody to ask.
pub fn assert_refused_without_yes<S: InitSafety>() {
    let dir = tempdir();
    let (schema, data) = small_snapshot::<S>(dir.path());
    for data in [None, Some(data.as_path())] {
        let run = failed_init_over_existing::<S>(&schema, data, false);
        assert!(
            run.stderr.contains("refusing"),
            "stderr does not say it is refusing:\n{run}"
        );
        assert!(
            run.stderr.contains("--yes"),
            "stderr does not mention --yes:\n{run}"
        );
    }
}

/// With `--yes`, init replaces an existing database by the snapshot: its
/// one table, empty from the schema alone, with its rows from `--data`; no
/// staging database is left.
pub fn assert_replaced_with_yes<S: InitSafety>() {
    let dir = tempdir();
    let (schema, data) = small_snapshot::<S>(dir.path());
    for (data, rows) in [(None, "0\n"), (Some(data.as_path()), "2\n")] {
        let target = existing_with_marker::<S>();
        init(&target, &schema, data, true).assert_success();
        assert_eq!(S::relations(&target), [S::table_name("from_snapshot")]);
        assert_eq!(target.sql("SELECT COUNT(*) FROM from_snapshot;"), rows);
        target.assert_no_staging_leftovers();
    }
}

/// `init --yes` of a `schema` (and `data`) that fails at line `bad.1` of file
/// `bad.0`, over an existing database: exit 1, `PATH:LINE:` and each of
/// `server_words` in the message, and the database untouched.
#[track_caller]
pub fn assert_init_fails_at<S: InitSafety>(
    schema: &Path,
    data: Option<&Path>,
    bad: (&Path, usize),
    server_words: &[&str],
) {
    failed_init_over_existing::<S>(schema, data, true).assert_names_line(
        bad.0,
        bad.1,
        server_words,
    );
}
