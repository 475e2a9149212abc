//! Messages (issue 8, item 6): missing grants are named, verify speaks each
//! engine's terms and shows checksums in full, empty inputs say so.

use crate::support::server::Server;
use std::path::PathBuf;

use crate::support::server::CleanUp;
use crate::support::{self, mysql, Dbsnap, Run, ScratchDir};

#[test]
fn mysql_backup_user_without_mysql_proc_is_told_the_grant() {
    let db = mysql::TestDb::create("grant");
    db.sql("CREATE TABLE t (id int PRIMARY KEY); CREATE PROCEDURE p() SELECT 1;");
    let account = format!("dbsnap_t_bk_{}", std::process::id());
    // The account exists for this test only.
    let _drop_account =
        CleanUp::<mysql::MyServer>::new(format!("DROP USER IF EXISTS '{account}'@'%'"));
    let server = mysql::server();
    server.sql(
        &server.maintenance_db(),
        &format!(
            "CREATE USER '{0}'@'%' IDENTIFIED BY 'pw-x1'; \
             GRANT SELECT, SHOW VIEW, TRIGGER, EVENT ON `{1}`.* TO '{0}'@'%';",
            account,
            db.name()
        ),
    );
    let url = format!(
        "mysql://{}:pw-x1@{}:{}/{}",
        account,
        server.host(),
        server.port(),
        db.name()
    );
    let run = Dbsnap::new()
        .args(["export-schema", "--url", &url, "-o", "-"])
        .run();
    run.assert_success();
    assert!(
        run.stderr.contains(&format!(
            "missing grant: GRANT SELECT ON mysql.proc TO '{}'@'%' (MariaDB)",
            account
        )),
        "{run}"
    );
    assert!(!run.stderr.contains("pw-x1"), "{run}");

    // A database it may not read names the grant at connect time.
    let url = format!(
        "mysql://{}:pw-x1@{}:{}/mysql",
        account,
        server.host(),
        server.port()
    );
    let run = Dbsnap::new()
        .args(["export-data", "--url", &url, "-o", "-"])
        .run();
    run.assert_code(1);
    assert!(
        run.stderr.contains(
            "(missing grant: GRANT SELECT, SHOW VIEW, TRIGGER, EVENT, LOCK TABLES ON `mysql`.*"
        ),
        "{run}"
    );
}

#[test]
fn mysql_verify_shows_next_counter_and_full_checksums() {
    let a = mysql::TestDb::create("a");
    let b = mysql::TestDb::create("b");
    for db in [&a, &b] {
        db.sql("CREATE TABLE t (id int AUTO_INCREMENT PRIMARY KEY, v int); INSERT INTO t (v) VALUES (1), (2);");
    }
    b.sql("INSERT INTO t (v) VALUES (3);");
    let run = Dbsnap::new()
        .args([
            "verify",
            "--checksum",
            "--source",
            &a.url(),
            "--target",
            &b.url(),
        ])
        .run();
    run.assert_code(3);
    assert!(run.stdout.contains("next 3"), "{run}");
    assert!(run.stdout.contains("next 4"), "{run}");
    assert!(!run.stdout.contains("not called"), "{run}");
    assert!(!run.stdout.contains('…'), "{run}");
    // Every row of the table is as wide as the header, whatever it holds.
    let lines: Vec<&str> = run.stdout.lines().collect();
    let status_at = lines[0].find("STATUS").expect("header");
    for line in &lines[1..lines.len() - 1] {
        assert!(
            line.len() >= status_at && line[..status_at].ends_with("  "),
            "{line}\n{run}"
        );
    }
}

#[test]
fn empty_schema_file_says_empty() {
    let dir = support::tempdir();
    let run = Dbsnap::new()
        .args([
            "init",
            "--url",
            &mysql::server().url_for("dbsnap_t_never_created_x"),
            "--schema",
            "/dev/null",
            "--yes",
        ])
        .current_dir(dir.path())
        .run();
    run.assert_code(1);
    assert!(
        run.stderr.contains("schema file /dev/null is empty"),
        "{run}"
    );
}

/// The data snapshot of a database made by `sql`, damaged by `damage` (which
/// says which line it damaged), and `check --json` of it: exit 1 and `ok`
/// false, and the JSON's `line` is that line. Returns the run and the file.
fn check_damaged(
    label: &str,
    sql: &str,
    damage: impl FnOnce(&str) -> (String, u64),
) -> (Run, serde_json::Value, PathBuf, ScratchDir) {
    let db = support::pg::TestDb::create(label);
    db.psql(sql);
    let dir = support::tempdir();
    let good = dir.join("good.sql");
    support::commands::export_data_ok(&db, &good, &[]);
    let (text, line) = damage(&std::fs::read_to_string(&good).unwrap());
    let bad = dir.join("bad.sql");
    std::fs::write(&bad, text).unwrap();
    let run = support::commands::check(&bad, &["--json"]);
    run.assert_code(1);
    let json = support::commands::json_of(&run);
    assert_eq!(json["ok"], false, "{run}");
    assert_eq!(json["line"], line, "{run}");
    (run, json, bad, dir)
}

/// `check --json` of a damaged file still prints JSON: not ok, the line at
/// fault and the message, besides exit 1.
#[test]
fn check_json_names_the_damaged_line() {
    let (run, json, _, _dir) = check_damaged(
        "chkjson",
        "CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t SELECT generate_series(1, 5);",
        |text| {
            let at = text
                .lines()
                .position(|l| l.starts_with("COPY "))
                .expect("a COPY line");
            let mut lines: Vec<&str> = text.lines().collect();
            lines.insert(at, "DROP TABLE t;");
            (lines.join("\n") + "\n", at as u64 + 1)
        },
    );
    assert!(
        json["error"].as_str().unwrap_or_default().contains("DROP"),
        "{run}"
    );
}

/// A marker after the end marker is damage at its line, found by type: `check
/// --json` names that line (it gave none while the error was only words).
#[test]
fn check_json_names_the_line_of_a_marker_after_the_end() {
    let (run, json, bad, _dir) = check_damaged(
        "chkend",
        "CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1);",
        |text| {
            let line = text.lines().count() as u64 + 1;
            (format!("{text}-- dbsnap:section post-data\n"), line)
        },
    );
    let line = json["line"].as_u64().expect("a line");
    assert!(
        run.stderr.contains(&format!(
            "{}:{line}: content after the end marker",
            bad.display()
        )),
        "{run}"
    );
}

/// `export-data --table` with a pattern that matches no table fails, naming
/// the pattern, and writes nothing: a typo must not make an empty backup
/// that succeeds. Exclusions that match nothing succeed with a note. An
/// output that cannot be made says the file was not written, for both exports.
fn exports_that_write_nothing_say_so<S: Server>() {
    let db = crate::support::testdb::TestDb::<S>::create("pattern");
    db.sql("CREATE TABLE kept (id int PRIMARY KEY); INSERT INTO kept VALUES (1);");
    let dir = support::tempdir();
    let out = dir.join("data.sql");
    let export = |extra: &[&str]| crate::support::commands::export_data(&db, &out, extra);

    for extra in [&["-t", "nosuch"][..], &["-t", "kept", "--table", "no*such"]] {
        let run = export(extra);
        run.assert_code(1);
        let pattern = extra.last().unwrap();
        assert!(
            run.stderr
                .contains(&format!("no table matches --table \"{pattern}\"")),
            "{run}"
        );
        assert!(run.stderr.contains("was not written"), "{run}");
        assert!(dir.entries().is_empty(), "{:?}", dir.entries());
    }

    for flag in ["--exclude-table", "--exclude-table-data"] {
        let run = export(&[flag, "nosuch"]);
        run.assert_success();
        assert!(
            run.stderr
                .contains(&format!("note: {flag} \"nosuch\" matches no table")),
            "{run}"
        );
        let text = std::fs::read_to_string(&out).unwrap();
        assert!(text.contains("kept"), "{text}");
        std::fs::remove_file(&out).unwrap();
    }

    // A folder that is a file (tests run as root, who may write anywhere),
    // and an output that is a folder: refused before any row is read (it
    // failed at the final rename, after the whole export).
    std::fs::write(dir.join("plain"), "x").unwrap();
    std::fs::create_dir(dir.join("folder")).unwrap();
    for (out, says) in [
        (
            dir.join("plain").join("snap.sql"),
            "cannot create directory",
        ),
        (
            dir.join("folder"),
            "is a directory: -o takes the path of the file",
        ),
    ] {
        for run in [
            crate::support::commands::export_data(&db, &out, &[]),
            crate::support::commands::export_schema(&db, &out, &[]),
        ] {
            run.assert_code(1);
            for words in [&format!("{} was not written", out.display()), says] {
                assert!(run.stderr.contains(words), "no {words:?} in\n{run}");
            }
        }
    }
    assert!(std::fs::read_dir(dir.join("folder"))
        .unwrap()
        .next()
        .is_none());

    // Both exports to stdout, failing before their first byte (a database
    // that does not exist), say that stdout got nothing: export-schema said
    // nothing of its output.
    let gone = db.url().replace(db.name(), &format!("{}_gone", db.name()));
    for command in ["export-schema", "export-data"] {
        let run = Dbsnap::new()
            .args([command, "--url", &gone, "-o", "-"])
            .run();
        run.assert_code(1);
        assert!(
            run.stderr.contains("nothing was written to stdout"),
            "{run}"
        );
        assert_eq!(run.stdout, "", "{run}");
    }
}

#[test]
fn pg_exports_that_write_nothing_say_so() {
    exports_that_write_nothing_say_so::<support::pg::PgServer>();
}

#[test]
fn mysql_exports_that_write_nothing_say_so() {
    exports_that_write_nothing_say_so::<mysql::MyServer>();
}
