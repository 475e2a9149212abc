//! The Make targets behave like the commands (issue 8, item 5): verify's exit
//! code 3 survives the wrapper, on/off switches take 1, y, yes and true, and
//! `make rehearse` works from the DB_* variables alone.

use std::process::{Command, Stdio};

use crate::support::server::{CleanUp, Server};
use crate::support::{
    self, manifest_dir, pg, redact_url_password, run_command, Dbsnap, Run, CONNECTION_VARS,
    DEFAULT_TIMEOUT,
};

/// Runs `program args` in the repository with the connection variables
/// removed and `env` set, as a user's shell would.
fn run(program: &str, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(program);
    cmd.args(args)
        .current_dir(manifest_dir())
        .env("DBSNAP", env!("CARGO_BIN_EXE_dbsnap"))
        .env_remove("TARGET_URL")
        .env_remove("MAKEFLAGS");
    for var in CONNECTION_VARS {
        cmd.env_remove(var);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.stdin(Stdio::null());
    let shown = redact_url_password(&format!("{program} {}", args.join(" ")));
    run_command(cmd, shown, DEFAULT_TIMEOUT)
}

fn two_databases_that_differ() -> (pg::TestDb, pg::TestDb) {
    let a = pg::TestDb::create("a");
    let b = pg::TestDb::create("b");
    a.psql("CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t SELECT generate_series(1, 10);");
    b.psql("CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t SELECT generate_series(1, 9);");
    (a, b)
}

#[test]
fn verify_script_exits_3_on_differences_and_make_says_so() {
    let (a, b) = two_databases_that_differ();
    let env = [
        ("SOURCE_URL", a.url()),
        ("TARGET_URL", b.url()),
        ("CHECKSUM", "yes".to_string()),
    ];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let script = run("bash", &["scripts/verify.sh"], &env);
    script.assert_code(3);
    // CHECKSUM=yes switched checksums on.
    assert!(
        script
            .stdout
            .contains("checked with checksums: 1 difference(s)"),
        "{script}"
    );

    let make = run("make", &["-s", "verify"], &env);
    // GNU make reports any failed recipe as 2; the recipe names the 3.
    assert_ne!(make.code, Some(0), "{make}");
    assert!(
        make.stderr
            .contains("differences found (dbsnap verify exit 3"),
        "{make}"
    );
    assert!(make.stderr.contains("Error 3"), "{make}");

    // verify.sh of `a` against itself, with CHECKSUM set to `checksum`.
    let verify_with = |checksum: &str| {
        let url = a.url();
        run(
            "bash",
            &["scripts/verify.sh"],
            &[
                ("SOURCE_URL", &url),
                ("TARGET_URL", &url),
                ("CHECKSUM", checksum),
            ],
        )
    };
    for on in ["1", "y", "Yes", "TRUE"] {
        let r = verify_with(on);
        r.assert_success();
        assert!(r.stdout.contains("with checksums"), "{on}: {r}");
    }
    let r = verify_with("no");
    r.assert_success();
    assert!(!r.stdout.contains("with checksums"), "{r}");
    let r = verify_with("maybe");
    r.assert_code(2);
    assert!(
        r.stderr.contains("CHECKSUM must be 1, y, yes or true"),
        "{r}"
    );
}

#[test]
fn rehearse_works_with_db_variables() {
    let source = pg::TestDb::create("src");
    source.psql(
        "CREATE TABLE t (id serial PRIMARY KEY, v text); \
         INSERT INTO t (v) SELECT 'row ' || g FROM generate_series(1, 50) g;",
    );
    let dir = support::tempdir();
    let (schema, data) = (dir.join("schema.sql"), dir.join("data.sql"));
    Dbsnap::new()
        .args(["export-schema", "--url", &source.url(), "-o"])
        .arg(&schema)
        .run()
        .assert_success();
    Dbsnap::new()
        .args(["export-data", "--url", &source.url(), "-o"])
        .arg(&data)
        .run()
        .assert_success();

    // Short enough that init's staging name still fits in 63 bytes.
    let db_name = format!("dbsnap_t_reh_{}", std::process::id());
    // The rehearsal database, which no TestDb owns, is dropped at the end.
    let rehearsal = format!("{db_name}_rehearsal");
    let _drop_rehearsal = CleanUp::<pg::PgServer>::new(format!(
        "DROP DATABASE IF EXISTS {} WITH (FORCE)",
        pg::ident(&rehearsal)
    ));
    let server = pg::server();
    let port = server.port().to_string();
    let user = server.user();
    let mut env = vec![
        ("DB_HOST", server.host()),
        ("DB_PORT", port),
        ("DB_USER", user),
        ("DB_NAME", db_name.clone()),
        ("SCHEMA", schema.display().to_string()),
        ("DATA_FILE", data.display().to_string()),
    ];
    if let Some(pw) = server.password() {
        env.push(("DB_PASS", pw));
    }
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = run("make", &["-s", "rehearse"], &env);
    r.assert_success();
    assert!(
        r.stdout
            .contains("1 table, 1 sequence checked with checksums: everything matches"),
        "{r}"
    );
    assert!(server.database_exists(&rehearsal), "{r}");
    assert_eq!(
        server.psql(&rehearsal, "SELECT count(*) FROM t").trim(),
        "50"
    );
    // The source itself was never touched.
    assert!(!server.database_exists(&db_name));
}
