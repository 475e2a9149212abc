//! PostgreSQL schema snapshots: `dbsnap export-schema` and `dbsnap init`.
//!
//! The oracle is the server's own pg_dump: a database rebuilt from a snapshot must
//! dump (schema-only, no owners/privileges) exactly like its source.

use std::path::Path;

use crate::support::commands::{
    export_schema, export_twice_and_rebuilt, fixture_snapshot, init as init_data, path_str,
    schema_snapshot,
};
use crate::support::init_safety::{
    assert_init_fails_at, assert_refused_without_yes, assert_replaced_with_yes,
    failed_init_over_existing,
};
use crate::support::pg::{assert_same_schema, server, PgServer, Sample, TestDb};
use crate::support::server::Server;
use crate::support::{
    assert_alone_and_private, assert_has_each, assert_same_text, corpus_present, dbsnap,
    marker_line, matching_lines, section_lines, stdout_of, tempdir, tests_calling,
    tests_for_engine, with_corpus, Dbsnap, Run, END, POST_DATA, PRE_DATA,
};

const ADVERSARIAL: &str = "pg/adversarial.sql";
const UNSUPPORTED: &str = "pg/unsupported.sql";
const BREADTH: &str = "pg/breadth.sql";

/// `dbsnap export-schema --url <db> -o <out> [extra...]`.
fn export(db: &TestDb, out: &Path, extra: &[&str]) -> Run {
    export_schema(db, out, extra)
}

/// `dbsnap init --url <target> --schema <schema> [--yes]`.
fn init(target: &TestDb, schema: &Path, yes: bool) -> Run {
    init_data(target, schema, None, yes)
}

/// Loads a source, exports it, inits a fresh target from the snapshot and
/// compares the two with pg_dump.
fn round_trip(load: impl FnOnce(&TestDb)) {
    let source = TestDb::create("src");
    load(&source);
    assert!(
        !source.relations().is_empty(),
        "the sample loaded no tables"
    );
    let (_dir, schema, _) = schema_snapshot(&source);
    let target = TestDb::reserve("dst");
    init(&target, &schema, true).assert_success();
    assert_same_schema(&source, "target", &target);
}

/// The snapshot of a source loaded from `fixture`, loaded by plain psql:
/// the copy dumps like the source.
fn psql_loads_snapshot_of(fixture: &str) {
    let (source, _dir, schema, _) = fixture_snapshot::<PgServer>(fixture);
    let target = TestDb::create("psql");
    target.psql_file(&schema);
    assert_same_schema(&source, "psql_loaded", &target);
}

// --- 1. round trips -------------------------------------------------------------------

/// [`round_trip`] of a corpus sample; skipped without a corpus (see
/// [`corpus_present`]).
fn corpus_round_trip(sample: Sample) {
    if corpus_present() {
        round_trip(|db| db.load(sample));
    }
}

tests_calling!(corpus_round_trip {
    roundtrip_pagila => (Sample::Pagila),
    roundtrip_chinook => (Sample::Chinook),
    roundtrip_chinook_serial => (Sample::ChinookSerial),
    roundtrip_northwind => (Sample::Northwind),
    roundtrip_sakila_jooq => (Sample::SakilaJooq),
});

tests_calling!(round_trip {
    /// The project's own sample (tests/fixtures/pg/shop.sql).
    roundtrip_shop => (|db: &TestDb| db.load_shop(1)),
    roundtrip_adversarial => (|db: &TestDb| db.load_fixture(ADVERSARIAL)),
    /// The kinds dbsnap once refused (operators, a text search configuration,
    /// event triggers, a base type used by tables) round-trip.
    roundtrip_formerly_unsupported => (|db: &TestDb| db.load_fixture(UNSUPPORTED)),
});

/// Every object kind pg_dump writes (tests/fixtures/pg/breadth.sql): the copy
/// made by `dbsnap init` and one loaded by plain `psql -1` both dump like the
/// source.
#[test]
fn roundtrip_breadth() {
    round_trip(|db| db.load_fixture(BREADTH));
    psql_loads_snapshot_of(BREADTH);
}

// --- 2. determinism ------------------------------------------------------------------------

tests_calling!(deterministic {
    export_is_deterministic_shop => (|db: &TestDb| db.load_shop(1)),
    export_is_deterministic_adversarial => (|db: &TestDb| db.load_fixture(ADVERSARIAL)),
    export_is_deterministic_breadth => (|db: &TestDb| db.load_fixture(BREADTH)),
});

/// The same database exported twice gives the same bytes, and so does the
/// database rebuilt from the snapshot (other oids, same output).
fn deterministic(load: impl FnOnce(&TestDb)) {
    let source = TestDb::create("src");
    load(&source);
    let dir = tempdir();
    let (snapshots, _target) = export_twice_and_rebuilt(&source, dir.path());
    let [first, second, rebuilt] = snapshots.map(|b| String::from_utf8(b).expect("UTF-8 snapshot"));
    assert_same_text("export", "first_export", &first, "second_export", &second);
    assert_same_text(
        "export",
        "source_export",
        &first,
        "rebuilt_export",
        &rebuilt,
    );
}

#[test]
fn export_is_deterministic_pagila() {
    with_corpus(|| deterministic(|db| db.load(Sample::Pagila)));
}

// --- 3. the file ---------------------------------------------------------------------------

#[test]
fn snapshot_file_mode_and_sections() {
    let (_source, dir, _, text) = fixture_snapshot::<PgServer>(ADVERSARIAL);

    assert_alone_and_private(&dir, "schema.sql");

    let [pre, post, end] = section_lines(&text, [PRE_DATA, POST_DATA, END]);

    // Post-data objects: every one of these lines must come after the post-data
    // marker (and before the end marker), and each kind must be present.
    type LinePredicate = fn(&str) -> bool;
    let kinds: [(&str, LinePredicate); 4] = [
        ("FOREIGN KEY", |l| l.contains("FOREIGN KEY")),
        ("CREATE [UNIQUE] INDEX", |l| {
            l.starts_with("CREATE INDEX") || l.starts_with("CREATE UNIQUE INDEX")
        }),
        ("CREATE [CONSTRAINT] TRIGGER", |l| {
            l.starts_with("CREATE TRIGGER") || l.starts_with("CREATE CONSTRAINT TRIGGER")
        }),
        ("CREATE POLICY", |l| l.starts_with("CREATE POLICY")),
    ];
    for (kind, pred) in kinds {
        let lines = matching_lines(&text, pred);
        assert!(
            !lines.is_empty(),
            "no `{kind}` line in the snapshot of the adversarial fixture"
        );
        let misplaced: Vec<_> = lines
            .iter()
            .filter(|(n, _)| *n < post || *n > end)
            .collect();
        assert!(
            misplaced.is_empty(),
            "`{kind}` lines outside the post-data section (lines {post}..{end}): {misplaced:#?}"
        );
    }

    // A few known objects of the fixture, by name.
    let post_data_names = [
        ("FOREIGN KEY", "fk_orphan_not_valid"),
        ("FOREIGN KEY", "cycle_a_b_fk"),
        ("INDEX", "\"Idx \"\"quoted\"\" größe\""),
        ("INDEX", "docs_brin_idx"),
        ("TRIGGER", "docs_touch"),
        ("TRIGGER", "check_demo_deferred"),
    ];
    for (kind, name) in post_data_names {
        let lines = matching_lines(&text, |l| l.contains(kind) && l.contains(name));
        assert!(!lines.is_empty(), "no {kind} line naming {name}");
        for (n, line) in lines {
            assert!(
                n > post && n < end,
                "{kind} {name} at line {n} is not in post-data ({post}..{end}): {line}"
            );
        }
    }
    // ...and tables before the post-data marker.
    for table in [
        "CREATE TABLE public.docs",
        "CREATE TABLE public.fk_child",
        "CREATE TABLE public.cycle_a",
    ] {
        let lines = matching_lines(&text, |l| {
            l.starts_with(table) && l[table.len()..].starts_with([' ', '('])
        });
        assert!(!lines.is_empty(), "no `{table}` line");
        for (n, line) in lines {
            assert!(
                n > pre && n < post,
                "`{line}` at line {n} is not in pre-data ({pre}..{post})"
            );
        }
    }
}

// --- 4. plain psql --------------------------------------------------------------------------

#[test]
fn psql_loads_snapshot_unchanged() {
    psql_loads_snapshot_of(ADVERSARIAL);
}

// --- 5. refusal, and replacing with --yes ---------------------------------------------------

tests_for_engine!(PgServer {
    init_refuses_existing_database_without_yes => assert_refused_without_yes,
    init_yes_replaces_existing_database => assert_replaced_with_yes,
});

// --- 6. a bad schema file ---------------------------------------------------------------

#[test]
fn init_failure_names_file_and_line_and_keeps_target() {
    let dir = tempdir();
    let schema = dir.join("bad schema.sql");
    let text = "\
-- hand-written schema; the CREATE TABLE broken line is wrong
CREATE TABLE ok_one (id integer PRIMARY KEY);

CREATE TABLE ok_two (
    id integer,
    note text DEFAULT 'semi; colon'
);
CREATE FUNCTION ok_fn() RETURNS integer
    LANGUAGE plpgsql
    AS $$
BEGIN
    RETURN 1; -- a ; inside dollar quotes
END $$;
/* a block comment;
   over two lines */
CREATE TABLE broken (id nosuchtype);
CREATE TABLE after_broken (id integer);
";
    std::fs::write(&schema, text).unwrap();
    let bad_line = text
        .lines()
        .position(|l| l.starts_with("CREATE TABLE broken"))
        .unwrap()
        + 1;
    assert_eq!(bad_line, 16);
    assert_init_fails_at::<PgServer>(
        &schema,
        None,
        (&schema, bad_line),
        &["type \"nosuchtype\" does not exist"],
    );
}

/// Rows that break a unique constraint of post-data: the index build fails
/// whether the early builder tried it while other rows loaded, was still
/// making it when the load ended, or left it to post-data. Each way, init
/// stops naming the constraint's line in the schema file, and the target is
/// left as it was.
#[test]
fn init_with_rows_that_break_a_unique_key_names_its_line() {
    let source = TestDb::create("dupkey");
    source.psql(
        "CREATE TABLE public.a (id integer PRIMARY KEY, note text);
         CREATE TABLE public.t (id integer PRIMARY KEY, code text NOT NULL,
                                CONSTRAINT t_code_key UNIQUE (code));
         CREATE TABLE public.z (id integer PRIMARY KEY, note text);
         INSERT INTO public.a SELECT g, 'a' || g FROM generate_series(1, 20000) g;
         INSERT INTO public.t SELECT g, 'c' || g FROM generate_series(1, 2000) g;
         INSERT INTO public.z SELECT g, 'z' || g FROM generate_series(1, 20000) g;",
    );
    let dir = tempdir();
    let schema = dir.join("schema.sql");
    export(&source, &schema, &[]).assert_success();
    let text = stdout_of(
        std::process::Command::new("pg_dump")
            .args(["--data-only", "--no-owner", "--no-privileges", "-d"])
            .arg(source.url()),
        "pg_dump --data-only",
    );
    assert!(text.contains("\n2\tc2\n"));
    // Row 2 takes row 1's code.
    let data = dir.join("data.sql");
    std::fs::write(&data, text.replacen("\n2\tc2\n", "\n2\tc1\n", 1)).unwrap();
    let line = std::fs::read_to_string(&schema)
        .unwrap()
        .lines()
        .position(|l| l.contains("ADD CONSTRAINT t_code_key UNIQUE"))
        .expect("the snapshot adds t_code_key")
        + 1;
    assert_init_fails_at::<PgServer>(
        &schema,
        Some(&data),
        (&schema, line),
        &["could not create unique index \"t_code_key\""],
    );
}

// --- 7. a truncated snapshot --------------------------------------------------------------

#[test]
fn init_rejects_truncated_snapshot() {
    let (_source, dir, _, full) = fixture_snapshot::<PgServer>(ADVERSARIAL);

    // Cut at an object boundary (a blank line followed by the object's `-- ` label)
    // in the middle of the post-data section: every statement kept is complete, so
    // only the missing end marker tells that the file is truncated.
    let lines: Vec<&str> = full.lines().collect();
    let post = marker_line(&full, POST_DATA) - 1;
    let end = marker_line(&full, END) - 1;
    let mid = post + (end - post) / 2;
    let cut = (mid..end)
        .find(|&i| lines[i].starts_with("-- ") && lines[i - 1].is_empty())
        .expect("an object boundary in the second half of post-data");
    assert!(cut > post + 2, "post-data section too small to cut");
    let mut truncated = lines[..cut].join("\n");
    truncated.push('\n');
    let schema = dir.join("truncated.sql");
    std::fs::write(&schema, &truncated).unwrap();

    // Control: what is left is valid SQL on its own.
    let control = TestDb::create("control");
    control.psql_file(&schema);

    let run = failed_init_over_existing::<PgServer>(&schema, None, true);
    let stderr = run.stderr.to_lowercase();
    assert!(
        stderr.contains("truncated") || stderr.contains("end marker"),
        "stderr does not say the snapshot is truncated:\n{run}"
    );
}

// --- 8. formerly unsupported objects ----------------------------------------------------------

/// Nothing in the fixture of once-unsupported kinds is refused or skipped any
/// more, with or without --skip-unsupported, and the tables come along.
#[test]
fn export_skip_unsupported_skips_nothing() {
    let source = TestDb::create("unsup");
    source.load_fixture(UNSUPPORTED);
    let dir = tempdir();
    let out = dir.join("schema.sql");
    let run = export(&source, &out, &["--skip-unsupported"]);
    run.assert_success();
    assert!(!run.stderr.contains("skipped"), "objects skipped:\n{run}");
    let text = std::fs::read_to_string(&out).expect("read snapshot");
    assert!(text.contains(END), "snapshot lacks its end marker");
    let labels: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("-- dbsnap:object "))
        .collect();
    assert_has_each(
        "object labels of the snapshot",
        &labels,
        &[
            "-- dbsnap:object EVENT TRIGGER \"log ddl \"\"end\"\"\"",
            "-- dbsnap:object OPERATOR \"Unsupported \"\"x\"\"\".=~= (double precision, double precision)",
            "-- dbsnap:object TEXT SEARCH CONFIGURATION \"Unsupported \"\"x\"\"\".my_english",
            "-- dbsnap:object SHELL TYPE \"Unsupported \"\"x\"\"\".budget",
        ],
    );

    let target = TestDb::reserve("dst");
    init(&target, &out, true).assert_success();
    assert_has_each(
        "relations of the rebuilt database",
        &target.relations(),
        &[
            "Unsupported \"x\".readings",
            "Unsupported \"x\".ddl_log",
            "Unsupported \"x\".city",
            "Unsupported \"x\".city_history",
        ],
    );
}

/// A base type is written as pg_dump writes it: its shell, then its I/O
/// functions, then the type, then the tables that use it (directly and as an
/// array), so that plain psql loads the file.
#[test]
fn base_type_comes_before_its_functions_and_tables() {
    let (_source, _dir, out, text) = fixture_snapshot::<PgServer>(UNSUPPORTED);
    let q = r#""Unsupported ""x""""#;
    let at = |label: String| marker_line(&text, &format!("-- dbsnap:object {label}"));
    let shell = at(format!("SHELL TYPE {q}.budget"));
    let input = at(format!("FUNCTION {q}.budget_in(cstring)"));
    let output = at(format!("FUNCTION {q}.budget_out({q}.budget)"));
    let full = at(format!("TYPE {q}.budget"));
    let city = at(format!("TABLE {q}.city"));
    let history = at(format!("TABLE {q}.city_history"));
    assert!(
        shell < input && shell < output && input < full && output < full,
        "shell {shell}, I/O functions {input}/{output}, type {full}"
    );
    assert!(
        full < city && full < history,
        "type {full}, tables {city}/{history}"
    );
    let target = TestDb::create("psql");
    target.psql_file(&out);
    assert!(target
        .relations()
        .iter()
        .any(|r| r.ends_with(".city_history")));
}

// --- 9. usage errors ---------------------------------------------------------------------------

#[test]
fn usage_errors_exit_2() {
    let url = server().url_for("postgres");
    let cases: [&[&str]; 4] = [
        &["export-schema", "--url", &url, "--no-such-flag"],
        &["init", "--url", &url],
        &["init", "--url", &url, "--schema", "x.sql", "--bogus"],
        &["no-such-command"],
    ];
    for args in cases {
        let run = dbsnap(args, &[]);
        run.assert_code(2);
        assert!(
            !run.stderr.trim().is_empty(),
            "usage error without a message:\n{run}"
        );
    }
}

// --- 10. passwords stay out of the output --------------------------------------------------

#[test]
fn password_never_printed() {
    const SECRET: &str = "s3cretPW";
    let dir = tempdir();
    let out = dir.join("schema.sql");
    let schema = dir.join("init.sql");
    std::fs::write(&schema, "CREATE TABLE t (id integer);\n").unwrap();
    let closed = format!("postgres://u:{SECRET}@127.0.0.1:1/x");
    let srv = server();
    let missing_db = format!(
        "postgres://{}:{SECRET}@{}:{}/dbsnap_t_no_such_db_{}",
        srv.user(),
        srv.host(),
        srv.port(),
        std::process::id()
    );

    let runs = [
        dbsnap(
            &["export-schema", "--url", &closed, "-o", path_str(&out)],
            &[],
        ),
        dbsnap(
            &["export-schema", "-o", path_str(&out)],
            &[("DATABASE_URL", &closed)],
        ),
        dbsnap(
            &[
                "init",
                "--url",
                &closed,
                "--schema",
                path_str(&schema),
                "--yes",
            ],
            &[],
        ),
        dbsnap(
            &["export-schema", "--url", &missing_db, "-o", path_str(&out)],
            &[],
        ),
    ];
    for run in &runs {
        run.assert_code(1);
        assert!(!run.stdout.contains(SECRET), "password on stdout:\n{run}");
        assert!(!run.stderr.contains(SECRET), "password on stderr:\n{run}");
    }
    assert!(!out.exists(), "a failed export wrote {}", out.display());
}

// --- 11. connection from DB_* -------------------------------------------------------------------

#[test]
fn connection_from_db_variables() {
    let source = TestDb::create("env");
    source.psql("CREATE TABLE env_marker_table (id integer);");
    let srv = server();
    // Dbsnap::new() removes DATABASE_URL, DB_* and PG* from the child; set only DB_*.
    let mut cmd = Dbsnap::new()
        .args(["export-schema", "-o", "-"])
        .env_remove("DATABASE_URL")
        .env("DB_HOST", srv.host())
        .env("DB_PORT", srv.port().to_string())
        .env("DB_USER", srv.user())
        .env("DB_NAME", source.name());
    if let Some(pass) = srv.password() {
        cmd = cmd.env("DB_PASS", pass);
    }
    let run = cmd.run();
    run.assert_success();
    assert!(
        run.stdout.contains("env_marker_table"),
        "export is not of {}:\n{run}",
        source.name()
    );
    assert!(
        run.stdout.trim_end().ends_with(END),
        "stdout export lacks its end marker:\n{run}"
    );
}

// --- 12. what must never be lost or broken ------------------------------------------------------

/// Materialized views keep their population state where it can be rebuilt:
/// REFRESH runs after the matviews a matview reads (also through views), and
/// never for one that reads an unpopulated matview (the load would fail with
/// "has not been populated").
#[test]
fn matview_population_round_trips() {
    let (_source, _dir, schema, text) = fixture_snapshot::<PgServer>(ADVERSARIAL);
    for stale in ["public.mv_emptied", "public.a_mv_stale"] {
        assert!(
            !text.contains(&format!("REFRESH MATERIALIZED VIEW {stale};")),
            "{stale} is refreshed although it stays unpopulated"
        );
    }
    let target = TestDb::reserve("dst");
    init(&target, &schema, true).assert_success();
    let populated = "SELECT string_agg(relname || '=' || relispopulated, ' ' ORDER BY relname) \
                     FROM pg_class WHERE relkind = 'm'";
    assert_eq!(
        target.psql(populated).trim(),
        "a_mv_stale=false a_mv_top=true mv no data=false mv_chain=true \
         mv_emptied=false mv_populated=true mv_settings=false mv_src=true"
    );
    assert_eq!(target.psql("SELECT total FROM public.a_mv_top").trim(), "6");
}

// --- subscriptions ------------------------------------------------------------------------------

/// Drops a database's subscriptions (a database with one cannot be dropped);
/// they never connected, so there is no slot to drop.
struct Subscriptions<'a>(&'a TestDb);

impl Drop for Subscriptions<'_> {
    fn drop(&mut self) {
        let names = self
            .0
            .try_psql(
                "SELECT quote_ident(subname) FROM pg_subscription \
                 WHERE subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())",
            )
            .unwrap_or_default();
        for name in names.lines().filter(|l| !l.is_empty()) {
            let _ = self.0.try_psql(&format!(
                "ALTER SUBSCRIPTION {name} DISABLE; \
                 ALTER SUBSCRIPTION {name} SET (slot_name = NONE); DROP SUBSCRIPTION {name};"
            ));
        }
    }
}

/// Subscriptions are left out and reported by default; `--with-subscriptions`
/// writes them as pg_dump does, with `connect = false`, and the copy dumps
/// like the source.
#[test]
fn subscriptions_only_when_asked() {
    let source = TestDb::create("subs");
    let _cleanup = Subscriptions(&source);
    source.psql(
        "CREATE TABLE t (id integer PRIMARY KEY); \
         CREATE SUBSCRIPTION \"sub \"\"x\"\"\" CONNECTION 'host=127.0.0.1 port=1 dbname=nowhere' \
         PUBLICATION p1, \"P 2\" WITH (connect = false, slot_name = NONE, binary = true); \
         CREATE SUBSCRIPTION plain CONNECTION 'dbname=nowhere' PUBLICATION p1 WITH (connect = false); \
         CREATE SUBSCRIPTION secret CONNECTION 'dbname=nowhere password=sub-pw-x1 user=u' \
         PUBLICATION p1 WITH (connect = false, slot_name = NONE);",
    );
    let dir = tempdir();
    let out = dir.join("schema.sql");
    let run = export(&source, &out, &[]);
    run.assert_success();
    assert!(
        run.stderr.contains(r#"subscription "sub ""x""" left out"#),
        "the subscription is not reported:\n{run}"
    );
    let text = std::fs::read_to_string(&out).expect("read snapshot");
    assert!(!text.contains("CREATE SUBSCRIPTION"), "written by default");

    let run = export(&source, &out, &["--with-subscriptions"]);
    run.assert_success();
    let text = std::fs::read_to_string(&out).expect("read snapshot");
    for statement in [
        "CREATE SUBSCRIPTION \"sub \"\"x\"\"\" CONNECTION 'host=127.0.0.1 port=1 dbname=nowhere' \
         PUBLICATION p1, \"P 2\" WITH (connect = false, slot_name = NONE, binary = true);\n",
        "CREATE SUBSCRIPTION plain CONNECTION 'dbname=nowhere' PUBLICATION p1 \
         WITH (connect = false, slot_name = 'plain');\n",
    ] {
        assert!(
            text.contains(statement),
            "no `{statement}` (as pg_dump writes it) in:\n{text}"
        );
    }
    // A password in a connection string never reaches the file.
    assert!(!text.contains("sub-pw-x1"), "a password in the snapshot");
    assert!(
        text.contains("CREATE SUBSCRIPTION secret CONNECTION 'dbname=nowhere user=u'"),
        "{text}"
    );
    source.psql("ALTER SUBSCRIPTION secret CONNECTION 'dbname=nowhere user=u'");
    let target = TestDb::reserve("dst");
    init(&target, &out, true).assert_success();
    let _target_cleanup = Subscriptions(&target);
    assert_same_schema(&source, "target", &target);
}

/// A user mapping's password option is left out of the snapshot, with a note
/// that names the mapping; its other options are written.
#[test]
fn user_mapping_passwords_stay_out_of_the_snapshot() {
    let source = TestDb::create("umpw");
    source.psql(
        "CREATE FOREIGN DATA WRAPPER w; CREATE SERVER s FOREIGN DATA WRAPPER w; \
         CREATE USER MAPPING FOR PUBLIC SERVER s OPTIONS (user 'bob', password 'um-pw-x1');",
    );
    let dir = tempdir();
    let out = dir.join("schema.sql");
    let run = export(&source, &out, &[]);
    run.assert_success();
    assert!(
        run.stderr
            .contains("user mapping for public on server s is written without its password"),
        "{run}"
    );
    assert!(
        !run.stderr.contains("um-pw-x1") && !run.stdout.contains("um-pw-x1"),
        "{run}"
    );
    let text = std::fs::read_to_string(&out).expect("read snapshot");
    assert!(
        !text.contains("um-pw-x1"),
        "a password in the snapshot:\n{text}"
    );
    assert!(
        text.contains("CREATE USER MAPPING FOR public SERVER s OPTIONS (\n    \"user\" 'bob'\n);"),
        "{text}"
    );
    let target = TestDb::reserve("dst");
    init(&target, &out, true).assert_success();
}
