//! Faults and hostile files for MySQL/MariaDB: cut dumps, statements a data
//! file may not hold, killed connections, mutants, foreign-key cycles and
//! failed counter restores.

use super::*;
use crate::support::commands::{check, export_data, export_schema, init};
use crate::support::mysql::TestDb;

fn state(db: &TestDb) -> String {
    let tables = db.sql(
        "SELECT GROUP_CONCAT(TABLE_NAME ORDER BY TABLE_NAME) FROM information_schema.TABLES \
         WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE'",
    );
    // CHECKSUM TABLE names the database: left out, to compare two databases.
    let mut out = db
        .sql(&format!("CHECKSUM TABLE {} EXTENDED", tables.trim()))
        .replace(&format!("{}.", db.name()), "");
    out += &db.sql(
        "SELECT GROUP_CONCAT(CONCAT(TABLE_NAME, '=', IFNULL(AUTO_INCREMENT, '-')) ORDER BY TABLE_NAME) \
         FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()",
    );
    out += &db.sql("SELECT GROUP_CONCAT(CONCAT(TABLE_NAME, ':', TABLE_ROWS)) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND 0");
    for t in tables.trim().split(',') {
        out += &db.sql(&format!("SELECT '{t}', COUNT(*) FROM `{t}`"));
    }
    let sequences = db.sql(
        "SELECT TABLE_NAME FROM information_schema.TABLES \
         WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'SEQUENCE' ORDER BY 1",
    );
    for q in sequences.lines() {
        out += &db.sql(&format!(
            "SELECT '{q}', next_not_cached_value, cycle_count FROM `{q}`"
        ));
    }
    out
}

const SCHEMA: &str = "CREATE TABLE a (id int AUTO_INCREMENT PRIMARY KEY, t text); \
                      CREATE TABLE b (id int AUTO_INCREMENT PRIMARY KEY, a_id int);";

fn setup() -> (TestDb, TestDb, tempfile::TempDir, PathBuf) {
    source_target_and_snapshot(
        SCHEMA,
        "INSERT INTO a (t) VALUES ('one'), ('it''s\\\\ \\n'), ('three'); INSERT INTO b (a_id) VALUES (1), (2);",
        "INSERT INTO a (t) VALUES ('old1'), ('old2'); ALTER TABLE a AUTO_INCREMENT = 5000; INSERT INTO b (a_id) VALUES (9);",
    )
}

/// A killed connection's export said "Input/output error: bytes remaining
/// on stream", with no word of the file.
#[test]
fn an_export_whose_connections_are_killed_says_what_happened() {
    let source = TestDb::create("src");
    source.sql(
        "CREATE TABLE big (id int PRIMARY KEY, v text); \
         INSERT INTO big SELECT seq, REPEAT('x', 200) FROM seq_1_to_50000;",
    );
    let kill = |db: &TestDb| {
        let ids = db.sql(
            "SELECT ID FROM information_schema.PROCESSLIST \
             WHERE DB = DATABASE() AND ID <> CONNECTION_ID()",
        );
        for id in ids.split_whitespace() {
            // One that has just ended is gone already.
            let _ = db.try_sql(&format!("KILL {id}"));
        }
    };
    assert_a_killed_export_leaves_nothing(
        &source,
        kill,
        "`big`",
        &["the connection was lost", "Connection was killed"],
    );

    // Killed after the snapshot began, before any table was read: it said
    // only "connection closed", with no word of the step.
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("snap.sql");
    let err = export_acted_on_at(
        &source,
        &out,
        "snapshot-started",
        |_| kill(&source),
        1,
        &["reading the tables' columns and foreign keys"],
    );
    // The server's words arrive only when the socket was not reset first.
    assert!(
        err.contains("the connection was lost") || err.contains("Connection was killed"),
        "{err}"
    );
    assert!(!out.exists(), "{err}");
}

/// `import` waited for another session's lock without limit and without a
/// word: a metadata lock (LOCK TABLES) or a row another transaction wrote.
/// Now `--lock-timeout` bounds the wait, and a wait says what it waits for.
#[test]
fn import_behind_a_lock_says_so_and_gives_up_when_told() {
    for (lock, on, holder) in [
        (
            "LOCK TABLES b WRITE;",
            "table `b` (table metadata lock)",
            "held by another session",
        ),
        (
            // A gap lock: an INSERT here would move b's counter for good.
            "BEGIN; SELECT * FROM b WHERE id = 2 FOR UPDATE;",
            "a row of table `",
            "held by connection ",
        ),
    ] {
        let (source, target, _dir, file) = source_target_and_snapshot::<
            crate::support::mysql::MyServer,
        >(
            SCHEMA,
            "INSERT INTO a (t) VALUES ('one'), ('two'); INSERT INTO b (a_id) VALUES (1), (2), (2);",
            "SELECT 1",
        );
        let busy = "SELECT COUNT(*) FROM information_schema.PROCESSLIST \
                    WHERE DB = DATABASE() AND COMMAND = 'Query' AND ID <> CONNECTION_ID()";
        assert_lock_waits_are_told_and_bounded(
            &source, &target, &file, lock, on, holder, busy, state,
        );
    }
}

/// A mysqldump file cut between two statements is refused: its closing
/// comment is missing.
/// The server hides the tables and columns an account may not read: an
/// account granted SELECT on some tables exported those and said nothing of
/// the others, and verify agreed. Such an account is refused; SELECT on the
/// database, or through a role, reads everything.
#[test]
fn an_account_that_may_read_only_some_tables_is_refused() {
    let account = format!("dbsnap_t_part_{}", std::process::id());
    let role = format!("dbsnap_t_role_{}", std::process::id());
    let _drop = crate::support::server::CleanUp::<crate::support::mysql::MyServer>::new(format!(
        "DROP USER IF EXISTS '{account}'@'%'; DROP ROLE IF EXISTS {role}"
    ));
    let source = TestDb::create("partial");
    source.sql(
        "CREATE TABLE pub (id INT PRIMARY KEY, name VARCHAR(10), secret VARCHAR(10) DEFAULT 'd');
         CREATE TABLE priv (id INT PRIMARY KEY);
         INSERT INTO pub VALUES (1, 'a', 's'); INSERT INTO priv VALUES (1);",
    );
    let server = source.server();
    let db = source.name();
    let grant = |sql: String| server.sql(&server.maintenance_db(), &sql);
    grant(format!(
        "CREATE USER '{account}'@'%' IDENTIFIED BY 'pw-part3'"
    ));
    let url = format!(
        "mysql://{account}:pw-part3@{}:{}/{db}",
        server.host(),
        server.port()
    );
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.sql");
    let export = |command: &str| {
        crate::support::dbsnap(
            &[
                command,
                "--url",
                &url,
                "-o",
                crate::support::commands::path_str(&out),
            ],
            &[],
        )
    };
    for grants in [
        format!("GRANT SELECT ON `{db}`.`pub` TO '{account}'@'%'"),
        format!(
            "REVOKE SELECT ON `{db}`.`pub` FROM '{account}'@'%'; \
                 GRANT SELECT (id, name) ON `{db}`.`pub` TO '{account}'@'%'"
        ),
    ] {
        grant(grants);
        for command in ["export-data", "export-schema"] {
            let run = export(command);
            run.assert_code(1);
            assert!(
                run.stderr.contains("may read only some tables or columns")
                    && run.stderr.contains(&format!("GRANT SELECT ON `{db}`.*")),
                "{command}\n{run}"
            );
            assert!(!run.stderr.contains("pw-part3"), "{run}");
            assert!(!out.exists(), "{command} wrote a file");
        }
    }
    let both = |run: Run| {
        run.assert_success();
        let text = std::fs::read_to_string(&out).unwrap();
        std::fs::remove_file(&out).unwrap();
        assert!(
            text.contains("`priv`") && text.contains("`secret`"),
            "{text}"
        );
    };
    // Through a role: the catalog does not list its grants, so nothing can
    // be judged, and the export reads what the role may.
    grant(format!(
        "REVOKE SELECT (id, name) ON `{db}`.`pub` FROM '{account}'@'%'; CREATE ROLE {role}; \
         GRANT SELECT ON `{db}`.* TO {role}; GRANT {role} TO '{account}'@'%'; \
         SET DEFAULT ROLE {role} FOR '{account}'@'%'"
    ));
    both(export("export-data"));
    grant(format!(
        "SET DEFAULT ROLE NONE FOR '{account}'@'%'; GRANT SELECT ON `{db}`.* TO '{account}'@'%'"
    ));
    both(export("export-data"));
    both(export("export-schema"));
}

/// SELECT reads a system-versioned table's current rows only: its history
/// was lost from every snapshot, with exit 0. Now the export refuses such a
/// table unless told to take the current rows only, or to leave its rows out.
#[test]
fn a_versioned_tables_history_is_not_dropped_unasked() {
    let source = TestDb::create("history");
    source.sql(
        "CREATE TABLE plain (id int PRIMARY KEY);
         INSERT INTO plain VALUES (1);
         CREATE TABLE `v q` (id int PRIMARY KEY, x int) WITH SYSTEM VERSIONING;
         INSERT INTO `v q` VALUES (1, 1), (2, 2);
         UPDATE `v q` SET x = 10 WHERE id = 1;
         DELETE FROM `v q` WHERE id = 2;",
    );
    assert_eq!(
        source
            .sql("SELECT COUNT(*) FROM `v q` FOR SYSTEM_TIME ALL")
            .trim(),
        "3"
    );
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("data.sql");
    let run = export_data(&source, &out, &[]);
    run.assert_code(1);
    for part in [
        "table `v q` is system-versioned",
        "data.sql was not written",
        "--no-history",
    ] {
        assert!(run.stderr.contains(part), "no {part:?}\n{run}");
    }
    assert!(!out.exists(), "a snapshot without the history was written");
    for (flags, rows) in [
        (&["--no-history"][..], "1"),
        (&["--exclude-table-data", "v q"], "0"),
    ] {
        export_data_ok(&source, &out, flags);
        let text = std::fs::read_to_string(&out).unwrap();
        assert!(
            text.contains(&format!(r#""name":"`v q`","rows":{rows},"#)),
            "{flags:?}\n{text}"
        );
    }
}

#[test]
fn a_mysqldump_cut_between_statements_changes_nothing() {
    let (source, target, dir, _good) = setup();
    let text = String::from_utf8(source.mysqldump(&["--no-create-info", "--skip-extended-insert"]))
        .unwrap();
    assert!(text.contains("-- Dump completed"), "{text}");
    let dump = write(&dir.path().join("dump.sql"), &text);

    // Up to the end of the first INSERT: whole statements only.
    let first = text.find("INSERT INTO").expect("an INSERT");
    let end = first + text[first..].find(");\n").expect("its end") + 3;
    assert_cut_refused_whole_loads(&target, &dump, end, state);
    assert_eq!(
        state(&target).replace("5000", "4"),
        state(&source).replace("5000", "4")
    );
}

/// A MyISAM table cannot roll back: a failed import said "nothing was
/// committed" while the rows it had loaded there stayed. It now says which
/// such tables changed, read back.
#[test]
fn a_failed_import_names_the_tables_that_could_not_roll_back() {
    let (_source, target, dir, good) = source_target_and_snapshot::<crate::support::mysql::MyServer>(
        "CREATE TABLE a (id int PRIMARY KEY) ENGINE=MyISAM; CREATE TABLE b (id int PRIMARY KEY);",
        "INSERT INTO a VALUES (1), (2), (3); INSERT INTO b VALUES (1), (2);",
        "INSERT INTO b VALUES (2);",
    );
    let text = std::fs::read_to_string(&good).unwrap();
    assert!(
        text.find("INSERT INTO `a`") < text.find("INSERT INTO `b`"),
        "the test needs a's rows first"
    );
    let run = import(&target, &good, &[]);
    assert_refused(&run, &good, "Duplicate entry '2'");
    assert!(
        run.stderr.contains(
            "the transaction was rolled back, but not in tables whose engine cannot roll back: \
             `a` (MyISAM) holds 3 rows, 0 before"
        ),
        "{run}"
    );
    assert_eq!(target.sql("SELECT COUNT(*) FROM a").trim(), "3");
    assert_eq!(target.sql("SELECT GROUP_CONCAT(id) FROM b").trim(), "2");
    let _ = dir;
}

/// A file cut inside an INSERT said where (PATH:LINE) but not whose rows.
#[test]
fn a_file_cut_inside_an_insert_names_its_table() {
    let (_source, target, dir, good) = setup();
    let before = state(&target);
    let text = std::fs::read_to_string(&good).unwrap();
    let at = text.find("INSERT INTO `b`").expect("b's rows");
    let cut = write(&dir.path().join("cut.sql"), &text[..at + 30]);
    let line = text[..at].lines().count() + 1;
    let run = import(&target, &cut, &["--truncate"]);
    assert_refused(
        &run,
        &cut,
        &format!(
            "cut.sql:{line}: unterminated statement at end of file (file truncated?), \
             in the rows of table `b`"
        ),
    );
    assert_eq!(state(&target), before, "the target changed");
}

#[test]
fn data_files_may_only_load_rows() {
    let (_source, target, dir, good) = setup();
    let before = state(&target);
    let text = std::fs::read_to_string(&good).unwrap();
    let outfile = format!("/tmp/dbsnap-outfile-{}", std::process::id());
    let hostile = [
        ("v1", "/*!*/ CREATE TABLE evil (x int);".to_string()),
        ("v2", "/*!50000 */ DROP TABLE a;".to_string()),
        ("v3", "/*!50000 DROP TABLE a */;".to_string()),
        ("delete", "DELETE FROM a;".to_string()),
        (
            "outfile",
            format!("SELECT * FROM a INTO OUTFILE '{outfile}';"),
        ),
        ("commit", "COMMIT;".to_string()),
        (
            "qualified",
            format!("INSERT INTO `{}`.`a` (t) VALUES ('x');", target.name()),
        ),
        ("global", "SET GLOBAL max_connections = 1;".to_string()),
        ("ansi", "SET SQL_MODE = 'ANSI_QUOTES';".to_string()),
    ];
    for (name, stmt) in &hostile {
        let places = ["INSERT INTO", "-- dbsnap:manifest-table"];
        for file in write_inserted_at(dir.path(), name, &text, &places, stmt) {
            let run = import(&target, &file, &["--truncate"]);
            assert_refused(&run, &file, "");
            assert!(
                run.stderr.contains(&format!("{}:", path_str(&file))),
                "PATH:LINE\n{run}"
            );
        }
    }
    // Statements after the post-data marker are checked too.
    let file = write_inserted(
        dir.path(),
        "post.sql",
        &text,
        "-- dbsnap:manifest-table",
        "DROP TABLE b;",
    );
    assert_refused(&import(&target, &file, &[]), &file, "");
    assert!(!Path::new(&outfile).exists());
    assert_eq!(state(&target), before, "the target changed");
    assert_eq!(target.sql("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'evil'").trim(), "0");

    let cut = write(&dir.path().join("cut.sql"), &text[..100]);
    assert_refused(&import(&target, &cut, &[]), &cut, "not a data snapshot");
    assert_eq!(state(&target), before, "the target changed");

    import(&target, &good, &["--truncate"]).assert_success();
    assert_eq!(target.sql("SELECT COUNT(*) FROM a").trim(), "3");
}

/// Settings that make the server read a file's strings otherwise than the
/// statement checks do: with NO_BACKSLASH_ESCAPES (sql_mode given as bits),
/// or a gbk connection (through collation_connection) in which a character
/// may end in a backslash, `'x\', 12), (...) -- '` is one string to the
/// checks and SQL to the server, which once ran it and stored a list of the
/// server's accounts. ANSI_QUOTES (inside 'POSTGRESQL') once read "a" as a
/// column name. Each is refused, by `check` too.
#[test]
fn settings_that_change_how_strings_read_are_refused() {
    let target = TestDb::create("modes");
    target.sql("CREATE TABLE t (a INT PRIMARY KEY, b VARCHAR(200)) ENGINE=InnoDB;");
    let dir = tempfile::tempdir().unwrap();
    let head =
        "-- MariaDB dump 10.19  Distrib 10.11.6-MariaDB, for debian-linux-gnu (x86_64)\n--\n";
    let tail = "-- Dump completed on 2024-01-01  0:00:00\n";
    let files = [
        (
            "bits",
            "SET sql_mode = 1048576;\nINSERT INTO `t` (`b`, `a`) VALUES ('x\\', 12), ((SELECT GROUP_CONCAT(User) FROM mysql.user), 13) -- ', 99);\n",
        ),
        (
            "gbk",
            "SET collation_connection = gbk_chinese_ci;\nSET character_set_client = @@character_set_connection;\nINSERT INTO `t` (`b`, `a`) VALUES ('\u{4e3f}\\', 12), ((SELECT GROUP_CONCAT(User) FROM mysql.user), 13) -- ', 99);\n",
        ),
        (
            "postgresql",
            "SET sql_mode = 'POSTGRESQL';\nSET NAMES latin1;\nSET character_set_connection = utf8mb4;\nINSERT INTO `t` (`a`, `b`) VALUES (5, \"a\");\n",
        ),
    ];
    for (name, body) in files {
        let file = write(
            &dir.path().join(format!("{name}.sql")),
            &format!("{head}{body}{tail}"),
        );
        let run = import(&target, &file, &[]);
        assert_refused(&run, &file, "");
        assert!(
            run.stderr.contains(&format!("{}:3", path_str(&file))),
            "PATH:LINE of the setting\n{run}"
        );
        assert_refused(&check(&file, &[]), &file, "");
        assert_eq!(target.sql("SELECT COUNT(*) FROM t").trim(), "0", "{name}");
    }
}

/// A schema file once reached past its database with statements whose
/// first words looked like DDL or that no rule named: a table and a row in
/// another database, a table made from a query of the server's accounts,
/// dynamic SQL. Each is refused before anything is built.
#[test]
fn a_schema_file_cannot_reach_another_database_or_run_code() {
    let source = TestDb::create("schema_src");
    source.sql("CREATE TABLE a (id INT PRIMARY KEY);");
    let other = TestDb::create("schema_other");
    other.sql("CREATE TABLE kept (id INT PRIMARY KEY); INSERT INTO kept VALUES (1);");
    let target = TestDb::reserve("schema_tgt");
    let dir = tempfile::tempdir().unwrap();
    let schema = dir.path().join("schema.sql");
    export_schema(&source, &schema, &[]).assert_success();
    let text = std::fs::read_to_string(&schema).unwrap();
    let o = other.name();
    for (i, (stmt, says)) in [
        (
            format!("CREATE TABLE `{o}`.`planted` (a int);"),
            "another database",
        ),
        (
            format!("INSERT INTO `{o}`.`kept` VALUES (42);"),
            "runs code",
        ),
        (
            format!("DROP TABLE IF EXISTS `{o}`.`kept`;"),
            "another database",
        ),
        (
            "CREATE TABLE `leak` AS SELECT (SELECT GROUP_CONCAT(User) FROM mysql.user) AS users;"
                .to_string(),
            "runs code",
        ),
        (
            "PREPARE st FROM 'CREATE DATABASE x';".to_string(),
            "runs code",
        ),
    ]
    .iter()
    .enumerate()
    {
        let file = write_inserted(
            dir.path(),
            &format!("bad{i}.sql"),
            &text,
            "-- dbsnap:section post-data",
            stmt,
        );
        let run = init(&target, &file, None, true);
        assert_refused(&run, &file, says);
        assert!(
            run.stderr.contains(&format!("{}:", path_str(&file))),
            "{run}"
        );
    }
    assert!(!target.exists());
    assert_eq!(
        other.sql("SELECT GROUP_CONCAT(TABLE_NAME) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()").trim(),
        "kept"
    );
    assert_eq!(other.sql("SELECT COUNT(*) FROM kept").trim(), "1");
    init(&target, &schema, None, true).assert_success();
}

/// `init` loads tables on two connections. When the second one failed, the
/// reader's next statement for it found it gone, and the run then waited for
/// the first connection to end, which was waiting for work: init hung for
/// good (found by killing a LOAD DATA connection from the server). It ends
/// with the failing statement's error now.
#[test]
fn a_loading_connection_that_fails_ends_init() {
    let keyed = TestDb::create("keyed");
    let loose = TestDb::create("loose");
    for (db, key) in [(&keyed, "PRIMARY KEY"), (&loose, "")] {
        db.sql(&format!(
            "CREATE TABLE t1 (id INT PRIMARY KEY); CREATE TABLE t2 (id INT {key});
             CREATE TABLE t3 (id INT PRIMARY KEY); CREATE TABLE t4 (id INT PRIMARY KEY);
             CREATE TABLE t5 (id INT PRIMARY KEY);"
        ));
    }
    loose.sql(
        "INSERT INTO t1 VALUES (1), (2); INSERT INTO t2 VALUES (7), (7);
         INSERT INTO t3 VALUES (1); INSERT INTO t4 VALUES (1); INSERT INTO t5 VALUES (1);",
    );
    let dir = tempfile::tempdir().unwrap();
    let schema = dir.path().join("schema.sql");
    export_schema(&keyed, &schema, &[]).assert_success();
    let data = dir.path().join("data.sql");
    export_data(&loose, &data, &[]).assert_success();
    let target = TestDb::reserve("fails_t");
    let run = crate::support::Dbsnap::new()
        .args(crate::support::commands::init_args(
            &target,
            &schema,
            Some(&data),
            true,
        ))
        .timeout(Duration::from_secs(120))
        .run();
    run.assert_code(1);
    // The duplicate shows at COMMIT (unique checks are off for the load).
    assert!(run.stderr.contains("data.sql:23: table `t2`"), "{run}");
    assert!(!target.exists());
    assert!(target.staging_leftovers().is_empty(), "{run}");
}

/// InnoDB does not roll AUTO_INCREMENT counters back with the rows. A
/// failed import put them back, but one stopped by SIGTERM left them where
/// the rolled-back rows had moved them. They are put back after a signal
/// too.
#[test]
fn a_signal_during_import_puts_the_counters_back() {
    // The file's ids run past the target's counter (3), so loading them
    // moves it.
    let (_source, target, _dir, good) = source_target_and_snapshot::<crate::support::mysql::MyServer>(
        SCHEMA,
        "INSERT INTO a (id, t) SELECT seq, 'x' FROM seq_100_to_2000; INSERT INTO b (a_id) VALUES (1);",
        "INSERT INTO a (t) VALUES ('old1'), ('old2'); INSERT INTO b (a_id) VALUES (9);",
    );
    let before = state(&target);
    let counter = || {
        target
            .sql("SELECT AUTO_INCREMENT FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'a'")
            .trim()
            .parse::<u64>()
            .unwrap()
    };
    // The reader stops for good before the file's second table: the first
    // one's rows are in the open transaction.
    let (mut child, stderr) = crate::support::Dbsnap::new()
        .args([
            "import",
            "--truncate",
            "--url",
            &target.url(),
            path_str(&good),
        ])
        .env("DBSNAP_FAULT_STALL_AT_TABLE", "1")
        .spawn();
    let started = std::time::Instant::now();
    while counter() <= 3 {
        if started.elapsed() > Duration::from_secs(120) {
            // The reader stalls for good: the run must not outlive the test.
            child.kill().ok();
            child.wait().ok();
            panic!("the rows never went in");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let sent = std::process::Command::new("kill")
        .args(["-15", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let code = crate::support::wait_or_kill(&mut child, Duration::from_secs(120));
    let stderr = stderr.join().unwrap();
    assert_eq!(code, Some(143), "{stderr}");
    assert!(stderr.contains("counters are as they were"), "{stderr}");
    assert_eq!(state(&target), before, "{stderr}");
}

/// A session killed mid-load (KILL CONNECTION from another one):
/// "connection lost while loading table X (at PATH:LINE)", nothing
/// committed, and the AUTO_INCREMENT counters the rolled-back rows moved
/// put back (over a new connection: the import's is gone).
#[test]
fn a_killed_connection_reads_connection_lost_and_commits_nothing() {
    let case = KilledLoad {
        ddl: "CREATE TABLE a (id int AUTO_INCREMENT PRIMARY KEY, t text); \
              CREATE TABLE zz (id int PRIMARY KEY);",
        rows: "INSERT INTO a (t) SELECT CONCAT('row ', seq) FROM seq_1_to_1000; \
               INSERT INTO zz VALUES (1), (2);",
        a_block: "INSERT INTO `a`",
        zz_block: "INSERT INTO `zz`",
        zz_shown: "`zz`",
        lock: "LOCK TABLES zz WRITE;",
        waiting: "SELECT ID FROM information_schema.PROCESSLIST \
                  WHERE DB = DATABASE() AND STATE LIKE 'Waiting for table metadata lock%'",
        kill: "KILL CONNECTION {id}",
    };
    assert_killed_load_commits_nothing(&case, state);
}

/// At least 300 mutants of a real MySQL snapshot (rows, counters and a
/// sequence), each imported with `--truncate` into a populated target:
/// each fails with the target unchanged (CHECKSUM TABLE, counters,
/// sequence) or loads exactly the snapshot.
#[test]
fn mutants_either_fail_cleanly_or_load_exactly() {
    let (source, target, dir, _good) = setup();
    source.sql("CREATE SEQUENCE s START WITH 100; DO NEXTVAL(s); DO NEXTVAL(s);");
    target.sql("CREATE SEQUENCE s;");
    let good = dir.path().join("good-seq.sql");
    export_data_ok(&source, &good, &[]);
    let outfile = "/tmp/dbsnap-mutant-outfile";
    let inserts = [
        "CREATE TABLE m (x int);\n",
        "/*!*/ CREATE TABLE m2 (x int);\n",
        "/*!50000 DROP TABLE b */;\n",
        "DELETE FROM a;\n",
        "UPDATE a SET t = 'x';\n",
        "COMMIT;\n",
        "START TRANSACTION;\n",
        "SELECT * FROM a INTO OUTFILE '/tmp/dbsnap-mutant-outfile';\n",
        "INSERT INTO a (id, t) VALUES (999999, 'x');\n",
        "INSERT INTO `mysql`.`a` (id) VALUES (1);\n",
        "SET GLOBAL max_connections = 1;\n",
        "SET SQL_MODE = 'ANSI_QUOTES';\n",
        "SET FOREIGN_KEY_CHECKS = 0;\n",
        "ALTER TABLE a AUTO_INCREMENT = 1;\n",
        "SELECT SETVAL(`s`, 1, 0, 0);\n",
        "LOCK TABLES a WRITE;\n",
        "-- dbsnap:end\n",
        "-- dbsnap:section post-data\n",
    ];
    let populate = || {
        target.sql(
            "DELETE FROM a; DELETE FROM b; \
             INSERT INTO a (id, t) VALUES (1, 'old1'), (2, 'old2'); ALTER TABLE a AUTO_INCREMENT = 5000; \
             INSERT INTO b (id, a_id) VALUES (1, 9); ALTER TABLE b AUTO_INCREMENT = 2; \
             DROP SEQUENCE s; CREATE SEQUENCE s;",
        );
    };
    run_mutants(&good, (&source, &target), &inserts, state, populate, 150);
    assert!(!Path::new(outfile).exists(), "INTO OUTFILE ran");
}

/// Rows that close a foreign-key cycle: the `mysql` client loads our
/// export into an empty schema (the file turns the checks off, as
/// mysqldump's do), while dbsnap's import keeps them on unless told.
#[test]
fn a_cycle_loads_with_the_mysql_client_but_dbsnap_keeps_its_checks() {
    let source = TestDb::create("src");
    source.load_shop();
    source.sql(
        "UPDATE store SET manager_id = (SELECT MIN(id) FROM staff WHERE staff.store_id = store.id); \
         ALTER TABLE store ADD CONSTRAINT store_manager_fk FOREIGN KEY (manager_id) REFERENCES staff (id);",
    );
    assert_eq!(
        source
            .sql("SELECT COUNT(*) FROM store WHERE manager_id IS NULL")
            .trim(),
        "0",
        "every store has a manager: the cycle is in the rows"
    );
    let dir = tempfile::tempdir().unwrap();
    let (schema, data) = (dir.path().join("schema.sql"), dir.path().join("data.sql"));
    export_schema(&source, &schema, &[]).assert_success();
    export_data_ok(&source, &data, &[]);
    let empty = |label: &str| {
        let db = TestDb::reserve(label);
        init(&db, &schema, None, false).assert_success();
        db
    };

    let client = empty("client");
    client.load_file(&data, &[]);
    assert_eq!(state(&client), state(&source));
    assert_eq!(client.sql("SELECT @@GLOBAL.foreign_key_checks").trim(), "1");

    // dbsnap import: the file's FOREIGN_KEY_CHECKS=0 is not obeyed.
    let target = empty("dst");
    let before = state(&target);
    let run = import(&target, &data, &[]);
    assert_eq!(run.code, Some(1), "{run}");
    assert!(run.stderr.contains("foreign key constraint fails"), "{run}");
    assert!(run.stderr.contains("--disable-constraints"), "{run}");
    assert_eq!(state(&target), before, "{run}");
    import(&target, &data, &["--disable-constraints"]).assert_success();
    assert_eq!(state(&target), state(&source));
}

#[test]
fn a_failed_counter_restore_says_what_was_committed() {
    let (source, target, dir, _good) = setup();
    source.sql("CREATE SEQUENCE s START WITH 100; DO NEXTVAL(s);");
    let file = dir.path().join("seq.sql");
    export_data_ok(&source, &file, &[]);
    let run = import(&target, &file, &["--truncate"]);
    assert_eq!(run.code, Some(1), "{run}");
    assert!(run.stderr.contains("were committed"), "{run}");
    assert!(run.stderr.contains("SETVAL(`s`"), "{run}");
    assert_eq!(target.sql("SELECT COUNT(*) FROM a").trim(), "3");
}
