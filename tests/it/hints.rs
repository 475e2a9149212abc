//! Mistakes get a hint, not a hang (issue 8, item 4): a URL whose scheme does
//! not match the server's protocol, verify across engines, and an output
//! suffix dbsnap cannot write.

use std::time::Duration;

use crate::support::commands::{export_data_ok, path_str};
use crate::support::server::Server;
use crate::support::{self, mysql, pg, Dbsnap, Run};

/// Far below the 30 s connect timeout: a hint that needs it would kill the run.
const QUICK: Duration = Duration::from_secs(10);

/// dbsnap with `args` and the variables `env`, killed past [`QUICK`]: exit
/// `code`, with each of `says` in stderr.
#[track_caller]
fn quick(args: &[&str], env: &[(&str, &str)], code: i32, says: &[&str]) -> Run {
    let mut cmd = Dbsnap::new().args(args).timeout(QUICK);
    for (k, v) in env {
        cmd = cmd.env(k, v);
    }
    let run = cmd.run();
    run.assert_code(code);
    for words in says {
        assert!(run.stderr.contains(words), "stderr lacks {words:?}\n{run}");
    }
    run
}

#[test]
fn mysql_url_at_a_postgres_port_names_postgres() {
    let pg = pg::server();
    let url = format!("mysql://root:s3cret-x@{}:{}/app", pg.host(), pg.port());
    let dir = support::tempdir();
    let out = dir.join("s.sql");
    let run = quick(
        &["export-schema", "--url", &url, "-o", path_str(&out)],
        &[],
        1,
        &["speaks the PostgreSQL protocol, not MySQL/MariaDB; use a postgres:// URL"],
    );
    assert!(!run.stderr.contains("s3cret-x"), "{run}");
    assert!(dir.entries().is_empty(), "{:?}", dir.entries());
}

#[test]
fn postgres_url_at_a_mysql_port_names_mysql() {
    let my = mysql::server();
    let url = format!("postgres://postgres@{}:{}/app", my.host(), my.port());
    let run = quick(
        &["export-schema", "--url", &url, "-o", "-"],
        &[],
        1,
        &["speaks the MySQL/MariaDB protocol, not PostgreSQL; use a mysql:// URL"],
    );
    assert!(!run.stderr.contains("reset by peer"), "{run}");
    assert!(run.stdout.is_empty(), "{run}");
}

#[test]
fn db_port_of_mysql_without_db_engine_gets_the_hint() {
    let my = mysql::server();
    let port = my.port().to_string();
    quick(
        &["export-schema", "-o", "-"],
        &[
            ("DB_HOST", &my.host()),
            ("DB_PORT", &port),
            ("DB_USER", "root"),
            ("DB_NAME", "app"),
        ],
        1,
        &["DB_ENGINE=mysql", "MySQL/MariaDB protocol"],
    );
}

#[test]
fn matching_scheme_still_reports_the_server_error() {
    // The probe only speaks up on a mismatch: a missing database keeps the
    // server's own words.
    let url = pg::server().url_for("dbsnap_no_such_db_hint_x");
    let run = quick(
        &["export-schema", "--url", &url, "-o", "-"],
        &[],
        1,
        &["does not exist"],
    );
    assert!(!run.stderr.contains("protocol"), "{run}");
}

#[test]
fn verify_across_engines_is_refused_in_one_line() {
    let (pg, my) = (pg::server(), mysql::server());
    let source = pg.url_for(&pg.maintenance_db());
    let target = my.url_for(&my.maintenance_db());
    let run = quick(
        &["verify", "--source", &source, "--target", &target],
        &[],
        2,
        &[
            "cannot verify across engines",
            "is PostgreSQL but",
            "is MySQL/MariaDB",
        ],
    );
    assert_eq!(run.stderr.lines().count(), 1, "{run}");
    assert!(run.stdout.is_empty(), "{run}");
}

#[test]
fn verify_of_a_postgres_snapshot_against_mysql_is_refused() {
    let pg_db = pg::TestDb::create("src");
    pg_db.psql("CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1), (2);");
    let dir = support::tempdir();
    let file = dir.join("data.sql");
    export_data_ok(&pg_db, &file, &[]);
    let my = mysql::server();
    let target = my.url_for(&my.maintenance_db());
    quick(
        &["verify", "--manifest", path_str(&file), "--target", &target],
        &[],
        2,
        &["cannot verify across engines"],
    );
}

#[test]
fn unknown_compression_suffix_is_a_usage_error() {
    let dir = support::tempdir();
    let url = "postgres://nobody@127.0.0.1:1/x";
    for name in ["out.sql.bz2", "out.sql.xz"] {
        // No server is needed: the suffix is checked before connecting.
        let out = dir.join(name);
        quick(
            &["export-data", "--url", url, "-o", path_str(&out)],
            &[],
            2,
            &["cannot write .", name],
        );
    }
    let out = dir.join("out.sql.gz");
    quick(
        &[
            "export-data",
            "--url",
            url,
            "--compress",
            "zstd",
            "-o",
            path_str(&out),
        ],
        &[],
        2,
        &["suffix says gzip"],
    );
    assert!(dir.entries().is_empty(), "{:?}", dir.entries());
}
