//! Mistakes get a hint, not a hang (issue 8, item 4): a URL whose scheme does
//! not match the server's protocol, verify across engines, and an output
//! suffix dbsnap cannot write.

use std::time::Duration;

use crate::support::server::Server;
use crate::support::{self, mysql, pg, Dbsnap};

/// Far below the 30 s connect timeout: a hint that needs it would kill the run.
const QUICK: Duration = Duration::from_secs(10);

#[test]
fn mysql_url_at_a_postgres_port_names_postgres() {
    let pg = pg::server();
    let url = format!("mysql://root:s3cret-x@{}:{}/app", pg.host(), pg.port());
    let dir = support::tempdir();
    let run = Dbsnap::new()
        .args(["export-schema", "--url", &url, "-o"])
        .arg(dir.join("s.sql"))
        .timeout(QUICK)
        .run();
    run.assert_code(1);
    assert!(
        run.stderr
            .contains("speaks the PostgreSQL protocol, not MySQL/MariaDB; use a postgres:// URL"),
        "{run}"
    );
    assert!(!run.stderr.contains("s3cret-x"), "{run}");
    assert!(dir.entries().is_empty(), "{:?}", dir.entries());
}

#[test]
fn postgres_url_at_a_mysql_port_names_mysql() {
    let my = mysql::server();
    let url = format!("postgres://postgres@{}:{}/app", my.host(), my.port());
    let run = Dbsnap::new()
        .args(["export-schema", "--url", &url, "-o", "-"])
        .timeout(QUICK)
        .run();
    run.assert_code(1);
    assert!(
        run.stderr
            .contains("speaks the MySQL/MariaDB protocol, not PostgreSQL; use a mysql:// URL"),
        "{run}"
    );
    assert!(!run.stderr.contains("reset by peer"), "{run}");
    assert!(run.stdout.is_empty(), "{run}");
}

#[test]
fn db_port_of_mysql_without_db_engine_gets_the_hint() {
    let my = mysql::server();
    let run = Dbsnap::new()
        .args(["export-schema", "-o", "-"])
        .env("DB_HOST", my.host())
        .env("DB_PORT", my.port().to_string())
        .env("DB_USER", "root")
        .env("DB_NAME", "app")
        .timeout(QUICK)
        .run();
    run.assert_code(1);
    assert!(run.stderr.contains("DB_ENGINE=mysql"), "{run}");
    assert!(run.stderr.contains("MySQL/MariaDB protocol"), "{run}");
}

#[test]
fn matching_scheme_still_reports_the_server_error() {
    // The probe only speaks up on a mismatch: a missing database keeps the
    // server's own words.
    let pg = pg::server();
    let run = Dbsnap::new()
        .args(["export-schema", "--url"])
        .arg(pg.url_for("dbsnap_no_such_db_hint_x"))
        .args(["-o", "-"])
        .timeout(QUICK)
        .run();
    run.assert_code(1);
    assert!(run.stderr.contains("does not exist"), "{run}");
    assert!(!run.stderr.contains("protocol"), "{run}");
}

#[test]
fn verify_across_engines_is_refused_in_one_line() {
    let pg = pg::server();
    let my = mysql::server();
    let run = Dbsnap::new()
        .args(["verify", "--source"])
        .arg(pg.url_for(&pg.maintenance_db()))
        .arg("--target")
        .arg(my.url_for(&my.maintenance_db()))
        .timeout(QUICK)
        .run();
    run.assert_code(2);
    assert_eq!(run.stderr.lines().count(), 1, "{run}");
    assert!(
        run.stderr.contains("cannot verify across engines")
            && run.stderr.contains("is PostgreSQL but")
            && run.stderr.contains("is MySQL/MariaDB"),
        "{run}"
    );
    assert!(run.stdout.is_empty(), "{run}");
}

#[test]
fn verify_of_a_postgres_snapshot_against_mysql_is_refused() {
    let pg_db = pg::TestDb::create("src");
    pg_db.psql("CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1), (2);");
    let dir = support::tempdir();
    let file = dir.join("data.sql");
    Dbsnap::new()
        .args(["export-data", "--url", &pg_db.url(), "-o"])
        .arg(&file)
        .run()
        .assert_success();
    let my = mysql::server();
    let run = Dbsnap::new()
        .arg("verify")
        .arg("--manifest")
        .arg(&file)
        .arg("--target")
        .arg(my.url_for(&my.maintenance_db()))
        .timeout(QUICK)
        .run();
    run.assert_code(2);
    assert!(run.stderr.contains("cannot verify across engines"), "{run}");
}

#[test]
fn unknown_compression_suffix_is_a_usage_error() {
    let dir = support::tempdir();
    for name in ["out.sql.bz2", "out.sql.xz"] {
        // No server is needed: the suffix is checked before connecting.
        let run = Dbsnap::new()
            .args([
                "export-data",
                "--url",
                "postgres://nobody@127.0.0.1:1/x",
                "-o",
            ])
            .arg(dir.join(name))
            .timeout(QUICK)
            .run();
        run.assert_code(2);
        assert!(run.stderr.contains("cannot write ."), "{run}");
        assert!(run.stderr.contains(name), "{run}");
    }
    let run = Dbsnap::new()
        .args([
            "export-data",
            "--url",
            "postgres://nobody@127.0.0.1:1/x",
            "--compress",
            "zstd",
            "-o",
        ])
        .arg(dir.join("out.sql.gz"))
        .timeout(QUICK)
        .run();
    run.assert_code(2);
    assert!(run.stderr.contains("suffix says gzip"), "{run}");
    assert!(dir.entries().is_empty(), "{:?}", dir.entries());
}
