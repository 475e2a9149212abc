//! `dbsnap diff`, the schema drift gate, on both engines against the real servers:
//! a snapshot against its own source is identical; each kind of drift is exactly
//! one difference of the right kind (exit 3); formatting never counts; objects
//! dbsnap cannot export fail the run; no scratch database is ever left behind.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::commands::{export_schema, path_str};
use crate::support::mysql::{self, MyServer, TestDb as MyDb};
use crate::support::pg::{self, PgServer, TestDb as PgDb};
use crate::support::server::Server;
use crate::support::testdb::TestDb as AnyDb;
use crate::support::{assert_has_each, corpus_dir, dbsnap, tempdir, Run, ScratchDir};

/// `dbsnap diff --schema FILE --url URL --json [extra]`.
fn diff_schema(schema: &Path, url: &str, extra: &[&str]) -> Run {
    let mut args = vec!["diff", "--schema", path_str(schema), "--url", url];
    args.extend_from_slice(extra);
    dbsnap(&args, &[])
}

fn export<S: Server>(db: &AnyDb<S>, out: &Path) {
    export_schema(db, out, &[]).assert_success();
}

/// The differences of a `--json` run as (sign, kind, name).
fn differences(run: &Run) -> Vec<(String, String, String)> {
    let json: serde_json::Value = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e})\n{run}"));
    json["differences"]
        .as_array()
        .unwrap_or_else(|| panic!("no differences array\n{run}"))
        .iter()
        .map(|d| {
            (
                d["sign"].as_str().unwrap().to_string(),
                d["kind"].as_str().unwrap().to_string(),
                d["name"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[track_caller]
fn assert_identical(run: &Run) {
    run.assert_success();
    assert!(run.stdout.contains("no differences"), "{run}");
}

/// No database named after `db` but `db` itself: no scratch database left.
#[track_caller]
fn assert_no_scratch<S: Server>(db: &AnyDb<S>) {
    let left: Vec<String> = db
        .server()
        .databases_with_prefix(db.name())
        .expect("list databases")
        .into_iter()
        .filter(|d| d != db.name())
        .collect();
    assert!(left.is_empty(), "scratch databases left behind: {left:?}");
}

/// A snapshot of `source` compared with it in each of diff's three forms
/// (file and database, two databases, two files): identical, and no scratch
/// database left. Returns the first run.
#[track_caller]
fn assert_snapshot_of_itself_identical<S: Server>(source: &AnyDb<S>) -> Run {
    let dir = tempdir();
    let snapshot = dir.join("schema.sql");
    export(source, &snapshot);
    let run = diff_schema(&snapshot, &source.url(), &[]);
    assert_identical(&run);
    assert_no_scratch(source);
    assert_identical(&dbsnap(
        &["diff", "--source", &source.url(), "--target", &source.url()],
        &[],
    ));
    assert_identical(&dbsnap(
        &["diff", path_str(&snapshot), path_str(&snapshot)],
        &[],
    ));
    run
}

/// Each corpus sample's snapshot compared with its source: no difference, and
/// no scratch database left. Skipped without a corpus.
fn assert_corpus_snapshots_identical<S: Server, T: std::fmt::Debug + Copy>(
    samples: &[T],
    load: impl Fn(&AnyDb<S>, T),
) {
    if !corpus_dir().is_dir() {
        eprintln!("skipped: no corpus at {}", corpus_dir().display());
        return;
    }
    for &sample in samples {
        let source = AnyDb::<S>::create("corpus");
        load(&source, sample);
        let dir = tempdir();
        let snapshot = dir.join("schema.sql");
        export(&source, &snapshot);
        let run = diff_schema(&snapshot, &source.url(), &[]);
        assert!(run.success(), "{sample:?}:\n{run}");
        assert_no_scratch(&source);
    }
}

/// One drift case: what it is, the SQL that makes it, and the one difference
/// it must show as (sign, kind, name).
type Drift<'a> = (&'a str, &'a str, (&'a str, &'a str, &'a str));

/// Each drift case on a fresh database loaded from the snapshot of
/// `schema`: identical before the drift's SQL; after it, diff exits 3 with
/// exactly the drift's difference, which the text report names the same way,
/// with a unified diff under `~`; and no scratch database is left.
#[track_caller]
fn assert_each_drift_is_one_difference<S: Server>(schema: &str, cases: &[Drift]) {
    let dir = tempdir();
    let (_source, snapshot) = source_of::<S>(schema, dir.path());
    for &(what, sql, (sign, kind, name)) in cases {
        let live = AnyDb::<S>::create("live");
        live.sql_file(&snapshot);
        assert_identical(&diff_schema(&snapshot, &live.url(), &[]));
        live.sql(sql);
        let run = diff_schema(&snapshot, &live.url(), &["--json"]);
        run.assert_code(3);
        assert_eq!(
            differences(&run),
            [(sign.to_string(), kind.to_string(), name.to_string())],
            "{what}:\n{run}"
        );
        let text = diff_schema(&snapshot, &live.url(), &[]);
        text.assert_code(3);
        assert!(
            text.stdout.starts_with(&format!("{sign} {kind} {name}\n")),
            "{what}:\n{text}"
        );
        if sign == "~" {
            assert!(
                text.stdout.contains("\n    @@ -"),
                "{what}: no unified diff\n{text}"
            );
        }
        assert_no_scratch(&live);
    }
}

/// A source database built from `schema`, and its snapshot in `dir`.
fn source_of<S: Server>(schema: &str, dir: &Path) -> (AnyDb<S>, std::path::PathBuf) {
    let db = AnyDb::<S>::create("src");
    db.sql(schema);
    let snapshot = dir.join("schema.sql");
    export(&db, &snapshot);
    (db, snapshot)
}

/// `live`, built from a schema, compared with the same schema written by
/// another hand (`text`, written to `hand.sql` in the folder returned):
/// identical, and no scratch database left.
fn assert_hand_file_identical<S: Server>(live: &AnyDb<S>, text: &str) -> ScratchDir {
    let dir = tempdir();
    let file = dir.join("hand.sql");
    std::fs::write(&file, text).unwrap();
    assert_identical(&diff_schema(&file, &live.url(), &[]));
    assert_no_scratch(live);
    dir
}

/// A file whose third line fails to load into the scratch database: exit 1,
/// PATH:LINE in the message, no scratch database left. Returns the run and
/// the folder of the file (`bad.sql`).
fn assert_failed_load_names_the_line<S: Server>(live: &AnyDb<S>) -> (Run, ScratchDir) {
    let dir = tempdir();
    let file = dir.join("bad.sql");
    std::fs::write(
        &file,
        "CREATE TABLE a (id int);\n\nCREATE TABLE b (id nosuchtype);\n",
    )
    .unwrap();
    let run = diff_schema(&file, &live.url(), &[]);
    run.assert_code(1).assert_names_line(&file, 3, &[]);
    assert_no_scratch(live);
    (run, dir)
}

// --- PostgreSQL ----------------------------------------------------------------------------

/// A small schema with one object of each kind the drift tests touch.
const PG_SCHEMA: &str = "
CREATE TABLE public.t (
    id integer PRIMARY KEY,
    name text NOT NULL,
    status text DEFAULT 'open',
    qty integer,
    updated timestamptz,
    CONSTRAINT name_len CHECK (length(name) < 100)
);
CREATE INDEX t_name_idx ON public.t (name);
ALTER TABLE public.t ADD CONSTRAINT qty_nonneg CHECK (qty >= 0) NOT VALID;
COMMENT ON TABLE public.t IS 'the table';
CREATE FUNCTION public.touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated := now();
    RETURN NEW;
END
$$;
CREATE TRIGGER t_touch BEFORE UPDATE ON public.t FOR EACH ROW EXECUTE FUNCTION public.touch();
CREATE VIEW public.v AS SELECT id, name FROM public.t;
CREATE TABLE public.lonely (note text);
";

/// The same schema, written by another hand: other case, spacing, comments,
/// constraint and index spelled differently, statements in another order.
const PG_SCHEMA_REFORMATTED: &str = "
-- a hand-written file
create table lonely ( note TEXT );

create table t(id int primary key, name text not null, status text default 'open',
  qty int, updated timestamp with time zone,
  constraint name_len check (length(name)<100));

/* the trigger's function */
create function touch() returns trigger language plpgsql as $$
BEGIN
    NEW.updated := now();
    RETURN NEW;
END
$$;
create view v as select id, name from t;
alter table t add constraint qty_nonneg check (qty>=0) not valid;
create index t_name_idx on t using btree (name);
create trigger t_touch before update on t for each row execute procedure touch();
comment on table t is 'the table';
";

#[test]
fn pg_snapshot_of_itself_is_identical() {
    let source = PgDb::create("adv");
    source.load_fixture("pg/adversarial.sql");
    let run = assert_snapshot_of_itself_identical(&source);
    assert!(run.stdout.contains(" indexes"), "no index count:\n{run}");
}

#[test]
fn pg_corpus_snapshots_are_identical() {
    assert_corpus_snapshots_identical(&pg::Sample::ALL, |db: &PgDb, sample| db.load(sample));
}

#[test]
fn pg_each_drift_is_one_difference() {
    let cases: &[Drift] = &[
        (
            "dropped index",
            "DROP INDEX public.t_name_idx",
            ("-", "index", "public.t_name_idx"),
        ),
        (
            "added column",
            "ALTER TABLE public.t ADD COLUMN extra integer",
            ("~", "table", "public.t"),
        ),
        (
            "changed default",
            "ALTER TABLE public.t ALTER COLUMN status SET DEFAULT 'new'",
            ("~", "table", "public.t"),
        ),
        (
            "NOT VALID constraint validated",
            "ALTER TABLE public.t VALIDATE CONSTRAINT qty_nonneg",
            ("~", "constraint", "qty_nonneg ON public.t"),
        ),
        (
            "trigger body edited",
            "CREATE OR REPLACE FUNCTION public.touch() RETURNS trigger LANGUAGE plpgsql AS $$
             BEGIN NEW.updated := clock_timestamp(); RETURN NEW; END $$",
            ("~", "function", "public.touch()"),
        ),
        (
            "trigger redefined",
            "DROP TRIGGER t_touch ON public.t;
             CREATE TRIGGER t_touch BEFORE INSERT OR UPDATE ON public.t FOR EACH ROW EXECUTE FUNCTION public.touch()",
            ("~", "trigger", "t_touch ON public.t"),
        ),
        (
            "view redefined",
            "CREATE OR REPLACE VIEW public.v AS SELECT id, upper(name) AS name FROM public.t",
            ("~", "view", "public.v"),
        ),
        (
            "extra table",
            "CREATE TABLE public.extra (id integer)",
            ("+", "table", "public.extra"),
        ),
        (
            "missing table",
            "DROP TABLE public.lonely",
            ("-", "table", "public.lonely"),
        ),
    ];
    assert_each_drift_is_one_difference::<PgServer>(PG_SCHEMA, cases);
}

#[test]
fn pg_hand_reformatted_file_reports_nothing() {
    let live = PgDb::create("live");
    live.psql(PG_SCHEMA);
    let dir = assert_hand_file_identical(&live, PG_SCHEMA_REFORMATTED);
    let file = dir.join("hand.sql");

    // Without a server, a hand-written file cannot be split into objects.
    let dir2 = tempdir();
    let snapshot = dir2.join("schema.sql");
    export(&live, &snapshot);
    let run = dbsnap(&["diff", path_str(&file), path_str(&snapshot)], &[]);
    run.assert_code(1);
    assert!(run.stderr.contains("--scratch-url"), "{run}");
    // With --scratch-url, both are loaded and compare equal.
    let server = live.server().url_for(&live.server().maintenance_db());
    let run = dbsnap(
        &[
            "diff",
            path_str(&file),
            path_str(&snapshot),
            "--scratch-url",
            &server,
        ],
        &[],
    );
    assert_identical(&run);
}

#[test]
fn pg_ignore_leaves_kinds_out_and_says_so() {
    let dir = tempdir();
    let (_source, snapshot): (PgDb, _) = source_of(PG_SCHEMA, dir.path());
    let live = PgDb::create("live");
    live.psql_file(&snapshot);
    live.psql(
        "COMMENT ON TABLE public.t IS 'changed'; DROP INDEX public.t_name_idx; \
         COMMENT ON FUNCTION public.touch() IS 'new'",
    );
    let run = diff_schema(&snapshot, &live.url(), &["--json"]);
    run.assert_code(3);
    assert_eq!(differences(&run).len(), 3, "{run}");
    let run = diff_schema(&snapshot, &live.url(), &["--ignore", "comments", "--json"]);
    run.assert_code(3);
    assert_eq!(
        differences(&run),
        [("-".into(), "index".into(), "public.t_name_idx".into())]
    );
    let run = diff_schema(
        &snapshot,
        &live.url(),
        &["--ignore", "comments", "--ignore", "indexes"],
    );
    assert_identical(&run);
    assert!(
        run.stdout
            .contains("not compared (--ignore): indexes, comments"),
        "{run}"
    );
    let run = diff_schema(&snapshot, &live.url(), &["--ignore", "tabels"]);
    run.assert_code(2);
}

/// Objects of the kinds dbsnap once refused (operators, event triggers, text
/// search, base types) are compared like any other, labelled by their kind.
#[test]
fn pg_new_kinds_are_compared_by_kind() {
    let dir = tempdir();
    let (_source, snapshot): (PgDb, _) = source_of(PG_SCHEMA, dir.path());
    let live = PgDb::create("kinds");
    live.psql_file(&snapshot);
    live.load_fixture("pg/unsupported.sql");
    let run = diff_schema(&snapshot, &live.url(), &["--json"]);
    run.assert_code(3);
    let kinds: Vec<String> = differences(&run).into_iter().map(|d| d.1).collect();
    assert_has_each(
        &format!("{run}\nkinds of the differences"),
        &kinds,
        &[
            "event trigger",
            "operator",
            "text search configuration",
            "shell type",
            "type",
        ],
    );

    // The same kinds in a schema file load into the scratch database.
    let file = dir.join("with_operator.sql");
    std::fs::write(
        &file,
        "CREATE FUNCTION public.eq2(a int, b int) RETURNS boolean LANGUAGE sql AS 'SELECT a = b';\n\
         CREATE OPERATOR public.=== (FUNCTION = public.eq2, LEFTARG = integer, RIGHTARG = integer);\n",
    )
    .unwrap();
    let clean = PgDb::create("clean");
    let run = diff_schema(&file, &clean.url(), &["--json"]);
    run.assert_code(3);
    assert!(differences(&run).iter().any(|d| d.1 == "operator"), "{run}");
    assert_no_scratch(&clean);
}

#[test]
fn pg_failed_load_leaves_no_scratch_and_names_the_line() {
    let live = PgDb::create("live");
    let (run, dir) = assert_failed_load_names_the_line(&live);
    let file = dir.join("bad.sql");
    assert!(
        run.stderr.contains("nosuchtype"),
        "no server message:\n{run}"
    );
    assert_no_scratch(&live);
    // Usage errors.
    dbsnap(
        &["diff", "--schema", path_str(&file), "--source", &live.url()],
        &[],
    )
    .assert_code(2);
    dbsnap(&["diff", path_str(&file)], &[]).assert_code(2);
}

#[test]
fn pg_ctrl_c_drops_the_scratch_database() {
    let live = PgDb::create("live");
    let dir = tempdir();
    let file = dir.join("slow.sql");
    // The scratch load stops here until interrupted (a schema file may not
    // hold a bare SELECT; a materialized view runs its query as it is made).
    std::fs::write(
        &file,
        "CREATE TABLE a (id int);\nCREATE MATERIALIZED VIEW m AS SELECT 1 AS s FROM pg_catalog.pg_sleep(600);\n",
    )
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_dbsnap"))
        .args(["diff", "--schema", path_str(&file), "--url", &live.url()])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the sleep runs in a database named after the live one.
    let server = live.server();
    let sleeping = format!(
        "SELECT count(*) FROM pg_stat_activity WHERE datname LIKE '{}%' AND datname <> '{}' \
         AND query LIKE 'CREATE MATERIALIZED VIEW m AS%'",
        live.name(),
        live.name()
    );
    let started = Instant::now();
    while server.psql(&server.maintenance_db(), &sleeping).trim() != "1" {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the scratch load never started"
        );
        assert!(child.try_wait().unwrap().is_none(), "dbsnap ended early");
        std::thread::sleep(Duration::from_millis(100));
    }
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    assert_no_scratch(&live);
}

// --- MySQL / MariaDB -----------------------------------------------------------------------

const MY_SCHEMA: &str = "
SET SESSION sql_mode = 'STRICT_TRANS_TABLES';
CREATE TABLE t (
  id int NOT NULL AUTO_INCREMENT,
  name varchar(50) NOT NULL,
  status varchar(10) DEFAULT 'open',
  qty int DEFAULT NULL,
  updated datetime DEFAULT NULL,
  PRIMARY KEY (id),
  KEY t_name_idx (name)
) ENGINE=InnoDB COMMENT='the table';
CREATE TABLE lonely (note text) ENGINE=InnoDB;
CREATE TABLE child (id int PRIMARY KEY, t_id int, CONSTRAINT child_t FOREIGN KEY (t_id) REFERENCES t (id)) ENGINE=InnoDB;
CREATE VIEW v AS SELECT id, name FROM t;
CREATE TRIGGER t_touch BEFORE UPDATE ON t FOR EACH ROW SET NEW.updated = NOW();
CREATE FUNCTION twice(x int) RETURNS int DETERMINISTIC RETURN x * 2;
";

/// MySQL keeps routine and trigger bodies as written, with the session's
/// sql_mode: those are written the same; tables, keys and views are not.
const MY_SCHEMA_REFORMATTED: &str = "
-- a hand-written file
set session sql_mode = 'STRICT_TRANS_TABLES';
create table lonely (note TEXT);
create table t (id INT not null auto_increment primary key,
    name VARCHAR(50) not null, status varchar(10) default 'open', qty int, updated DATETIME,
    index t_name_idx (name)) comment = 'the table';
create table child (id int primary key, t_id int);
alter table child add constraint child_t foreign key (t_id) references t (id);
create view v as select id, name from t;
DELIMITER //
CREATE FUNCTION twice(x int) RETURNS int DETERMINISTIC RETURN x * 2//
CREATE TRIGGER t_touch BEFORE UPDATE ON t FOR EACH ROW SET NEW.updated = NOW()//
DELIMITER ;
";

#[test]
fn mysql_snapshot_of_itself_is_identical() {
    let source = MyDb::create("adv");
    source.load_fixture("mysql/adversarial.sql");
    assert_snapshot_of_itself_identical(&source);
}

#[test]
fn mysql_corpus_snapshots_are_identical() {
    assert_corpus_snapshots_identical(
        &[mysql::Sample::SakilaMv, mysql::Sample::Chinook],
        |db: &MyDb, sample| db.load(sample),
    );
}

#[test]
fn mysql_each_drift_is_one_difference() {
    let cases: &[Drift] = &[
        (
            "dropped index",
            "ALTER TABLE t DROP INDEX t_name_idx",
            ("-", "index", "`t_name_idx` ON `t`"),
        ),
        (
            "added column",
            "ALTER TABLE t ADD COLUMN extra int",
            ("~", "table", "`t`"),
        ),
        (
            "changed default",
            "ALTER TABLE t ALTER COLUMN status SET DEFAULT 'new'",
            ("~", "table", "`t`"),
        ),
        (
            "routine changed",
            "DROP FUNCTION twice; CREATE FUNCTION twice(x int) RETURNS int DETERMINISTIC RETURN x + x",
            ("~", "function", "`twice`"),
        ),
        (
            "trigger body edited",
            "DROP TRIGGER t_touch; CREATE TRIGGER t_touch BEFORE UPDATE ON t FOR EACH ROW SET NEW.updated = UTC_TIMESTAMP()",
            ("~", "trigger", "`t_touch`"),
        ),
        (
            "view redefined",
            "CREATE OR REPLACE VIEW v AS SELECT id, upper(name) AS name FROM t",
            ("~", "view", "`v`"),
        ),
        (
            "foreign key dropped",
            "ALTER TABLE child DROP FOREIGN KEY child_t",
            ("-", "foreign key", "`child_t` ON `child`"),
        ),
        (
            "extra table",
            "CREATE TABLE extra (id int)",
            ("+", "table", "`extra`"),
        ),
        ("missing table", "DROP TABLE lonely", ("-", "table", "`lonely`")),
    ];
    assert_each_drift_is_one_difference::<MyServer>(MY_SCHEMA, cases);
}

#[test]
fn mysql_hand_reformatted_file_reports_nothing() {
    let live = MyDb::create("live");
    live.sql(MY_SCHEMA);
    assert_hand_file_identical(&live, MY_SCHEMA_REFORMATTED);
}

#[test]
fn mysql_failed_load_leaves_no_scratch() {
    let live = MyDb::create("live");
    assert_failed_load_names_the_line(&live);
}

#[test]
fn pg_and_mysql_kinds_are_known_to_ignore() {
    // Every kind an export writes can be named in --ignore.
    let pg_db = PgDb::create("adv");
    pg_db.load_fixture("pg/adversarial.sql");
    let my_db = MyDb::create("adv");
    my_db.load_fixture("mysql/adversarial.sql");
    for url in [pg_db.url(), my_db.url()] {
        let run = dbsnap(&["diff", "--source", &url, "--target", &url, "--json"], &[]);
        run.assert_success();
        let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
        let kinds: Vec<String> = json["compared"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        assert!(kinds.len() > 3, "{run}");
        for kind in kinds {
            let run = dbsnap(
                &[
                    "diff", "--source", &url, "--target", &url, "--ignore", &kind, "--json",
                ],
                &[],
            );
            run.assert_success();
            let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
            assert!(
                json["compared"].get(&kind).is_none(),
                "{kind} still compared\n{run}"
            );
        }
    }
}

#[test]
fn check_schema_script_exits_3_on_drift() {
    let dir = tempdir();
    let (_source, snapshot): (PgDb, _) = source_of(PG_SCHEMA, dir.path());
    let live = PgDb::create("live");
    live.psql_file(&snapshot);
    let run = |extra: &[(&str, &str)]| {
        let mut cmd = Command::new("bash");
        cmd.arg(crate::support::manifest_dir().join("scripts/check_schema.sh"))
            .arg(&snapshot)
            .env("DBSNAP", env!("CARGO_BIN_EXE_dbsnap"))
            .env("DATABASE_URL", live.url())
            .stdin(Stdio::null());
        for var in crate::support::CONNECTION_VARS
            .iter()
            .filter(|v| **v != "DATABASE_URL")
        {
            cmd.env_remove(var);
        }
        for (k, v) in extra {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    assert_eq!(run(&[]).0, Some(0));
    live.psql("DROP INDEX public.t_name_idx");
    let (code, stdout) = run(&[]);
    assert_eq!(code, Some(3), "{stdout}");
    assert!(
        stdout.starts_with("- index public.t_name_idx\n"),
        "{stdout}"
    );
    let (code, stdout) = run(&[("IGNORE", "indexes")]);
    assert_eq!(code, Some(0), "{stdout}");
}
