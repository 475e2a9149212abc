//! MySQL/MariaDB data snapshots: `dbsnap export-data`, `import`, `verify` and
//! `check`, and what the mysql client and mysqldump make of them.
//!
//! Data are compared with the server's own `CHECKSUM TABLE .. EXTENDED` and
//! `COUNT(*)` (see tests/fixtures/mysql/README.md), never with dbsnap's checksums.

use std::path::Path;

use crate::support::commands::{
    check, export_both, export_data, export_data_env, export_schema_ok, import, init, path_str,
    verify_json, verify_manifest, verify_source,
};
use crate::support::mysql::{assert_same_data, SchemaAndData, TestDb};
use crate::support::{assert_alone_and_private, dbsnap, matching_lines, tempdir, Run, END};

const ADVERSARIAL: &str = "mysql/adversarial.sql";

fn read_text(path: &Path) -> String {
    String::from_utf8_lossy(
        &std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
    )
    .into_owned()
}

/// 1-based numbers of the lines starting with `prefix`.
fn lines_starting(text: &str, prefix: &str) -> Vec<usize> {
    matching_lines(text, |l| l.starts_with(prefix))
        .into_iter()
        .map(|(n, _)| n)
        .collect()
}

/// Writes a dump file of `statements` to `path`, first and last lines as
/// MariaDB's mysqldump writes them (what tells dbsnap whose file it is).
fn write_dump(path: &Path, statements: &str) {
    std::fs::write(
        path,
        format!("-- MariaDB dump 10.19  Distrib 10.11.19-MariaDB\n{statements}-- Dump completed\n"),
    )
    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

/// A source loaded with `load`, its schema and data exported to `dir`
/// (`schema.sql`, `data_name`), and a target built from both with init.
fn source_and_target(
    load: impl FnOnce(&TestDb),
    dir: &Path,
    data_name: &str,
) -> (TestDb, TestDb, std::path::PathBuf, std::path::PathBuf) {
    let source = TestDb::create("src");
    load(&source);
    let (schema, data) = export_both(&source, dir, data_name);
    let target = TestDb::reserve("dst");
    init(&target, &schema, Some(&data), true).assert_success();
    (source, target, schema, data)
}

// --- 4. counters ---------------------------------------------------------------------------

#[test]
fn counter_above_max_id_survives_init() {
    let dir = tempdir();
    let (source, target, _, _) =
        source_and_target(|db| db.load_fixture(ADVERSARIAL), dir.path(), "data.sql");

    // ai_gap: rows 4 and 5 were deleted, so the counter (6) is above max(id) + 1.
    assert_eq!(source.sql("SELECT MAX(id) FROM ai_gap;"), "3\n");
    assert_eq!(source.auto_increment("ai_gap"), Some(6));
    assert_eq!(target.sql("SELECT MAX(id) FROM ai_gap;"), "3\n");
    assert_eq!(
        target.auto_increment("ai_gap"),
        Some(6),
        "ai_gap's AUTO_INCREMENT was not carried over"
    );
    assert_eq!(
        target.auto_increment("ai_1000"),
        source.auto_increment("ai_1000")
    );
    // The next row gets the source's next id, not max(id) + 1.
    assert_eq!(
        target.sql("INSERT INTO ai_gap (name) VALUES ('next'); SELECT LAST_INSERT_ID();"),
        "6\n"
    );
}

#[test]
fn counters_and_sequences_are_set_by_import() {
    let source = TestDb::create("src");
    let last = source.sql(
        "CREATE SEQUENCE s START WITH 10 INCREMENT BY 10; \
         CREATE TABLE g (id INT AUTO_INCREMENT PRIMARY KEY, v INT, n BIGINT DEFAULT NEXTVAL(s)) ENGINE=InnoDB; \
         INSERT INTO g (v) VALUES (1), (2), (3), (4), (5); \
         DELETE FROM g WHERE id >= 4; \
         SELECT NEXTVAL(s), NEXTVAL(s);",
    );
    // The last value the source issued before the export.
    let issued: i64 = last
        .split_whitespace()
        .last()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no NEXTVAL in {last:?}"));
    assert_eq!(source.auto_increment("g"), Some(6));
    let dir = tempdir();
    let (schema, data) = export_both(&source, dir.path(), "data.sql");

    let target = TestDb::reserve("dst");
    init(&target, &schema, None, false).assert_success();
    import(&target, &data, &[]).assert_success();
    // Equal counters and equal sequence rows (next_not_cached_value included).
    assert_same_data(&source, &target);
    // The next row gets id 6, not max(id) + 1, and a sequence value never issued
    // by the source (the source's cached values are skipped, as after a restart).
    assert_eq!(
        target.sql("INSERT INTO g (v) VALUES (6); SELECT LAST_INSERT_ID();"),
        "6\n"
    );
    // Not the source's next value now: a server-wide table flush (another
    // run's BACKUP STAGE) drops its cache, so it may skip ahead too.
    let next: i64 = target
        .sql("SELECT n FROM g WHERE v = 6;")
        .trim()
        .parse()
        .unwrap();
    assert!(
        next > issued,
        "the target's sequence hands out {next}, which the source already issued (up to {issued})"
    );
}

// --- 5. the mysql client -----------------------------------------------------------------------

#[test]
fn mysql_client_loads_data_export() {
    let source = TestDb::create("src");
    source.load_shop();
    let dir = tempdir();
    let (schema, data) = export_both(&source, dir.path(), "data.sql");

    // A new database: no --yes needed.
    let target = TestDb::reserve("dst");
    init(&target, &schema, None, false).assert_success();
    assert_eq!(target.count("order_line"), 0, "init --schema loaded rows");
    // Plain `mariadb TARGET < data.sql`.
    target.load_file(&data, &[]);
    assert_same_data(&source, &target);
    verify_manifest(&data, &target, &["--checksum"]).assert_success();
}

/// A foreign key from store to staff closes a cycle (store <-> staff; no row
/// uses it, manager_id is NULL). orders references store and order_line
/// references orders. The export's table order must break the cycle at a
/// table on it (store, whose key into the cycle is nullable), not at the first
/// name among all tables left (order_line, whose rows would then come before
/// those of orders: an import with foreign keys checked fails on them).
#[test]
fn data_export_orders_tables_that_depend_on_a_cycle() {
    let source = TestDb::create("src");
    source.load_shop();
    source.sql(
        "ALTER TABLE store ADD CONSTRAINT store_manager_fk FOREIGN KEY (manager_id) REFERENCES staff (id);",
    );
    let dir = tempdir();
    let (schema, data) = export_both(&source, dir.path(), "data.sql");
    let text = read_text(&data);
    let first_insert = |table: &str| lines_starting(&text, &format!("INSERT INTO `{table}`"))[0];
    assert!(
        first_insert("orders") < first_insert("order_line"),
        "order_line's rows come before those of orders, which they reference"
    );
    let target = TestDb::reserve("dst");
    init(&target, &schema, None, false).assert_success();
    import(&target, &data, &[]).assert_success();
    assert_same_data(&source, &target);
}

// --- 6. mysqldump files --------------------------------------------------------------------------

#[test]
fn mysqldump_data_only_file_imports() {
    let source = TestDb::create("src");
    source.load_shop();
    let dir = tempdir();
    let schema = dir.join("schema.sql");
    export_schema_ok(&source, &schema);
    let dump = dir.join("mysqldump-data.sql");
    std::fs::write(
        &dump,
        source.mysqldump(&["--no-create-info", "--skip-triggers", "--hex-blob"]),
    )
    .unwrap();
    let dump_text = read_text(&dump);
    assert!(
        dump_text.contains("LOCK TABLES") && dump_text.contains("DISABLE KEYS"),
        "the mysqldump file lacks LOCK TABLES / DISABLE KEYS: not the intended test"
    );

    let target = TestDb::reserve("dst");
    init(&target, &schema, None, false).assert_success();
    // mysqldump writes tables by name (order_line before orders) and relies on
    // its FOREIGN_KEY_CHECKS=0, which dbsnap does not take from a file.
    import(&target, &dump, &["--disable-constraints"]).assert_success();
    assert_same_data(&source, &target);
    verify_source(&source, &target, &["--checksum"]).assert_success();

    // A full dump (with DROP/CREATE TABLE) is rejected, and nothing changes.
    let full = dir.join("mysqldump-full.sql");
    std::fs::write(
        &full,
        source.mysqldump(&["--routines", "--triggers", "--events", "--hex-blob"]),
    )
    .unwrap();
    let before = SchemaAndData::capture(&target);
    for extra in [&[][..], &["--truncate"][..]] {
        let run = import(&target, &full, extra);
        run.assert_code(1);
        let stderr = run.stderr.to_lowercase();
        assert!(
            stderr.contains("ddl")
                || stderr.contains("drop table")
                || stderr.contains("create table"),
            "stderr does not say the file has DDL:\n{run}"
        );
        before.assert_unchanged(&target, "after_full_dump_import");
    }
}

// --- 7. rejections --------------------------------------------------------------------------------

#[test]
fn import_rejections_leave_target_unchanged() {
    let dir = tempdir();
    let (source, target, _, data) = source_and_target(|db| db.load_shop(), dir.path(), "data.sql");
    let text = read_text(&data);
    check(&data, &[]).assert_success();

    // Pre-load the target with some rows: only `KEPT` keeps its rows.
    const KEPT: &str = "product";
    let mut sql = String::from("SET FOREIGN_KEY_CHECKS = 0;\n");
    for t in target.base_tables() {
        if t != KEPT {
            sql.push_str(&format!("DELETE FROM `{t}`;\n"));
        }
    }
    target.sql(&sql);
    assert!(target.count(KEPT) > 0);
    let before = SchemaAndData::capture(&target);

    // a. Cut in the middle of an INSERT statement.
    let inserts = lines_starting(&text, "INSERT INTO ");
    assert!(inserts.len() > 2, "too few INSERT lines: {inserts:?}");
    let victim = inserts[inserts.len() / 2];
    let offset: usize = text
        .split_inclusive('\n')
        .take(victim - 1)
        .map(str::len)
        .sum();
    let line_len = text[offset..].find('\n').unwrap();
    let mut cut = offset + line_len / 2;
    while !text.is_char_boundary(cut) {
        cut += 1;
    }
    let truncated = dir.join("truncated.sql");
    std::fs::write(&truncated, &text[..cut]).unwrap();

    // b. Complete statements, no end marker.
    let no_end = dir.join("no-end.sql");
    let without: Vec<&str> = text.lines().filter(|l| *l != END).collect();
    assert_eq!(
        without.len() + 1,
        text.lines().count(),
        "no single end marker"
    );
    std::fs::write(&no_end, without.join("\n") + "\n").unwrap();

    // c. Another engine's file.
    let engine = dir.join("engine.sql");
    assert_eq!(lines_starting(&text, "-- dbsnap:engine mysql").len(), 1);
    std::fs::write(
        &engine,
        text.replacen(
            "-- dbsnap:engine mysql\n",
            "-- dbsnap:engine postgresql\n",
            1,
        ),
    )
    .unwrap();

    // With --truncate, each would replace the target's rows if it were accepted.
    let cases: [(&Path, &[&str]); 3] = [
        (&truncated, &["truncated", "unterminated", "end marker"]),
        (&no_end, &["end marker", "truncated"]),
        (&engine, &["postgresql"]),
    ];
    for (file, words) in cases {
        let run = import(&target, file, &["--truncate"]);
        run.assert_code(1);
        let stderr = run.stderr.to_lowercase();
        assert!(
            words.iter().any(|w| stderr.contains(w)),
            "stderr does not give the reason (one of {words:?}):\n{run}"
        );
        assert!(
            run.stderr.contains(path_str(file)),
            "stderr does not name the file:\n{run}"
        );
        before.assert_unchanged(&target, "after_rejected_import");
    }
    check(&truncated, &[]).assert_code(1);
    check(&no_end, &[]).assert_code(1);

    // d. A duplicate key: the INSERTs before KEPT's succeed, KEPT's first fails,
    //    and all of it is rolled back.
    let genre = lines_starting(&text, &format!("INSERT INTO `{KEPT}`"));
    assert!(!genre.is_empty(), "no INSERT INTO `{KEPT}` line");
    assert!(
        genre[0] > inserts[0],
        "`{KEPT}` is the first table of the file: pick another one"
    );
    let run = import_fails_on_a_duplicate(&target, &data, genre[0]);
    assert!(
        run.stderr.contains(&format!("`{KEPT}`")),
        "stderr does not name the table:\n{run}"
    );
    before.assert_unchanged(&target, "after_duplicate_key");

    // e. --truncate replaces the rows.
    import(&target, &data, &["--truncate"]).assert_success();
    assert_same_data(&source, &target);
    verify_manifest(&data, &target, &["--checksum"]).assert_success();
}

/// `import` of `data` into `target`: exit 1 on a duplicate key, naming the
/// file and `line` of the statement and the server's message.
#[track_caller]
fn import_fails_on_a_duplicate(target: &TestDb, data: &Path, line: usize) -> Run {
    let run = import(target, data, &[]);
    run.assert_code(1)
        .assert_names_line(data, line, &["Duplicate entry"]);
    run
}

/// The sample has foreign keys and a trigger (product_changed) that writes to
/// product_log: importing its export again with --truncate needs
/// --disable-constraints, and must not fill product_log twice.
#[test]
fn import_duplicate_then_truncate_shop() {
    let dir = tempdir();
    let (source, target, _, data) = source_and_target(|db| db.load_shop(), dir.path(), "data.sql");
    let text = read_text(&data);
    let before = SchemaAndData::capture(&target);

    let inserts = lines_starting(&text, "INSERT INTO ");
    let run = import_fails_on_a_duplicate(&target, &data, inserts[0]);
    before.assert_unchanged(&target, "after_duplicate_key");
    // MySQL cannot switch triggers off; the user is told before they fire.
    assert!(
        run.stderr.contains("have triggers, which fire"),
        "no warning about the target's triggers:\n{run}"
    );

    // Triggers may change what a load writes, so a snapshot only loads as it
    // was into a database without them (init --data creates them after the
    // rows). Without triggers, --truncate replaces the rows exactly.
    let triggers = target.sql(
        "SELECT TRIGGER_NAME FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE()",
    );
    for trigger in triggers.lines().filter(|l| !l.trim().is_empty()) {
        target.sql(&format!("DROP TRIGGER `{}`", trigger.trim()));
    }
    let run = import(&target, &data, &["--truncate", "--disable-constraints"]);
    run.assert_success();
    assert_eq!(target.count("product_log"), source.count("product_log"));
    assert_same_data(&source, &target);
    verify_manifest(&data, &target, &["--checksum"]).assert_success();
}

// --- 8. verify ------------------------------------------------------------------------------------

#[test]
fn verify_catches_a_changed_value() {
    let dir = tempdir();
    let (source, target, _, data) =
        source_and_target(|db| db.load_shop(), dir.path(), "data.sql.zst");
    verify_source(&source, &target, &["--checksum"]).assert_success();

    target.sql("UPDATE `category` SET `name` = CONCAT(`name`, '!') WHERE `id` = 1;");
    assert_eq!(target.count("category"), source.count("category"));

    // Row counts alone still match...
    verify_source(&source, &target, &[]).assert_success();
    // ...the checksums do not.
    let runs = [
        verify_source(&source, &target, &["--checksum"]),
        verify_manifest(&data, &target, &["--checksum"]),
    ];
    for run in &runs {
        run.assert_code(3);
        assert!(
            run.stdout.contains("category"),
            "the difference is not listed:\n{run}"
        );
    }
    for run in [
        verify_source(&source, &target, &["--checksum", "--json"]),
        verify_manifest(&data, &target, &["--checksum", "--json"]),
    ] {
        run.assert_code(3);
        let json = verify_json(&run);
        assert_eq!(json["ok"], serde_json::Value::Bool(false), "{run}");
        let diffs = json["differences"]
            .as_array()
            .unwrap_or_else(|| panic!("no differences array:\n{run}"));
        assert_eq!(diffs.len(), 1, "expected one difference (category):\n{run}");
        assert!(diffs[0].to_string().contains("category"), "{run}");
    }
}

/// CHECKSUM TABLE hashes a row's strings run together: a byte moved from
/// one column to the next left its sum alone, and `verify --source
/// --checksum`, which used it, said everything matched.
#[test]
fn verify_sees_a_byte_moved_between_two_columns() {
    let (source, target) = (TestDb::create("moved_a"), TestDb::create("moved_b"));
    for (db, row) in [
        (&source, "1, 'ab', 'c', 'hello ', 'world'"),
        (&target, "1, 'a', 'bc', 'hello', ' world'"),
    ] {
        db.sql(&format!(
            "CREATE TABLE t (id INT PRIMARY KEY, a VARCHAR(10), b VARCHAR(10), c TEXT, d TEXT);
             INSERT INTO t VALUES ({row});"
        ));
    }
    let run = verify_source(&source, &target, &["--checksum"]);
    run.assert_code(3);
    assert!(run.stdout.contains("`t`"), "{run}");
    target.sql("UPDATE t SET a = 'ab', b = 'c', c = 'hello ', d = 'world';");
    verify_source(&source, &target, &["--checksum"]).assert_success();
}

// --- 10. file modes --------------------------------------------------------------------------------

#[test]
fn data_export_file_modes() {
    let source = TestDb::create("src");
    source.sql(
        "CREATE TABLE t (id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(20)); \
         INSERT INTO t (v) VALUES ('a'), ('b');",
    );
    for (name, magic) in [
        ("data.sql", &b"--"[..]),
        ("data.sql.gz", &[0x1f, 0x8b][..]),
        ("data.sql.zst", &[0x28, 0xb5, 0x2f, 0xfd][..]),
    ] {
        let dir = tempdir();
        let path = dir.join(name);
        export_data(&source, &path, &[]).assert_success();
        assert_alone_and_private(&dir, name);
        let bytes = std::fs::read(&path).unwrap();
        assert!(
            bytes.starts_with(magic),
            "{name} does not start with {magic:x?}"
        );
        check(&path, &[]).assert_success();
    }
}

// --- 8. LOAD DATA LOCAL INFILE (issue 10) and large values (issue 7 §7) ---------------------------

/// Every kind of literal a mysqldump or hand-made file may hold, into every
/// kind of column: `dbsnap import` (rows through LOAD DATA where the rewrite
/// is exact, INSERT elsewhere) stores exactly what the mysql client's INSERTs
/// store. Statement 1 is all LOAD DATA; 2 holds values that need the INSERT
/// (DEFAULT, a number into text, YEAR 0, a number into BIT, other introducers).
#[test]
fn load_data_stores_what_insert_stores() {
    const SCHEMA: &str = "CREATE TABLE k (
        id INT PRIMARY KEY, i INT, u BIGINT UNSIGNED, d DECIMAL(30,10), f FLOAT, g DOUBLE,
        y YEAR, b BIT(12), t VARCHAR(100), l VARCHAR(100) CHARACTER SET latin1,
        c VARCHAR(100) CHARACTER SET cp1251, bl BLOB, vb VARBINARY(20), e ENUM('','a','b c'),
        s SET('x','y'), j JSON, dt DATETIME(6), tm TIME, dd DATE, ip INET6, uu UUID,
        geo GEOMETRY, ch CHAR(5) DEFAULT 'dflt', bn BINARY(4)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
        CREATE TABLE nolist (a INT, b VARCHAR(10), h INT INVISIBLE DEFAULT 7) ENGINE=InnoDB;";
    const ROWS: &str = r#"-- MariaDB dump 10.19  Distrib 10.11.19-MariaDB, for debian-linux-gnu (x86_64)
--
-- hand-made: every literal kind
/*!40101 SET NAMES utf8mb4 */;
/*!40101 SET @OLD_SQL_MODE=@@SQL_MODE, SQL_MODE='NO_AUTO_VALUE_ON_ZERO' */;
INSERT INTO `k` VALUES (1,-5,18446744073709551615,1.5,1e38,-2.5e-3,2024,b'101','tab	here\tand\nnew ''q'' \"dq\" \\ \% \_ \Z \0 \b \r end','café ÿ','Привет ё',0x00FF5C0A09,_binary 'a\\b\0','b c','x,y','{"a": "\\n", "ü": [1, 2.5e3]}','2024-02-29 12:00:00.5','-838:59:59','2024-02-29','::1','550e8400-e29b-41d4-a716-446655440000',0x000000000101000000000000000000F03F0000000000000040,'ab  ',X'00010203'),
(2,NULL,0,'0.0000000001','0.1','1.7976931348623157e308','1999',X'',' ','','',X'',"",'','','[]','1000-01-01 00:00:00','00:00:00','1000-01-01',NULL,NULL,NULL,'',_binary ''),
(3,'12',7,-0,3.0e-5,0.1,1901,X'0FFF','NULL','\\N','N',_binary'\\N','\N','a','','null','9999-12-31 23:59:59.999999','12:00','2024-01-01','fe80::1','00000000-0000-0000-0000-000000000000',X'000000000101000000000000000000F03F0000000000000040',NULL,0x5c090a00),
(4,TRUE,FALSE,.5,-1.25e-10,-0.0,'2155',b'',  'trailing	',  'a\\b',  NULL, X'', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
INSERT INTO `k` (`id`, `t`, `y`, `b`, `ch`, `l`) VALUES (10, 1.50, 0, 5, DEFAULT, _latin1'x'), (11, 1e3, 00, 4095, 'x', N'y');
INSERT INTO `nolist` VALUES (1,'a'),(2,NULL),(NULL,'tab	x');
-- Dump completed on 2026-11-29 10:00:00
"#;
    let dir = tempdir();
    let file = dir.join("literals.sql");
    std::fs::write(&file, ROWS).unwrap();

    let reference = TestDb::create("ref");
    reference.sql(SCHEMA);
    reference.load_file(&file, &[]);
    let target = TestDb::create("dst");
    target.sql(SCHEMA);
    import(&target, &file, &[]).assert_success();
    assert_same_data(&reference, &target);
    assert_eq!(target.count("k"), 6);
    assert_eq!(
        target.sql("SELECT HEX(bl), t, HEX(t) FROM k WHERE id = 3;"),
        reference.sql("SELECT HEX(bl), t, HEX(t) FROM k WHERE id = 3;")
    );
}

/// With a SET clause, MariaDB's LOAD DATA ignores NO_AUTO_VALUE_ON_ZERO: a
/// row whose AUTO_INCREMENT id is 0 got a new id when another column of the
/// table went through CONVERT (a latin1 text, an INET6), and the import said
/// its rows matched. Such tables' rows now go as their INSERTs.
#[test]
fn an_auto_increment_zero_stays_zero() {
    const SCHEMA: &str = "CREATE TABLE z (id INT AUTO_INCREMENT PRIMARY KEY,
            name VARCHAR(10) CHARACTER SET latin1) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
        CREATE TABLE h (id BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY, addr INET6) ENGINE=InnoDB;";
    let dir = tempdir();
    let file = dir.join("zero.sql");
    write_dump(
        &file,
        "/*!40101 SET NAMES utf8mb4 */;\n\
         /*!40101 SET @OLD_SQL_MODE=@@SQL_MODE, SQL_MODE='NO_AUTO_VALUE_ON_ZERO' */;\n\
         INSERT INTO `z` VALUES (0,'zero'),(5,'fünf');\n\
         INSERT INTO `h` VALUES (0,'::1'),(10,NULL);\n",
    );
    let reference = TestDb::create("ref");
    reference.sql(SCHEMA);
    reference.load_file(&file, &[]);
    let ids = |db: &TestDb| {
        db.sql("SELECT (SELECT GROUP_CONCAT(id ORDER BY id) FROM z), (SELECT GROUP_CONCAT(id ORDER BY id) FROM h);")
    };
    assert_eq!(ids(&reference), "0,5\t0,10\n");
    let target = TestDb::create("dst");
    target.sql(SCHEMA);
    import(&target, &file, &[]).assert_success();
    assert_eq!(ids(&target), "0,5\t0,10\n");
    assert_same_data(&reference, &target);

    // Our own export of it, through init and through import.
    let (schema, data) = export_both(&reference, dir.path(), "data.sql");
    let built = TestDb::reserve("built");
    init(&built, &schema, Some(&data), true).assert_success();
    assert_eq!(ids(&built), "0,5\t0,10\n");
    let imported = TestDb::create("imported");
    imported.sql(SCHEMA);
    import(&imported, &data, &[]).assert_success();
    assert_same_data(&reference, &imported);
}

/// The server converts text to the connection's utf8mb4 as it sends a
/// result, and sends '?' for a character that has no utf8mb4 form (an sjis
/// extension, a high byte in an ascii column) without a warning: the export
/// wrote '?' and a restore stored it. Such text is read through CONVERT(),
/// which warns, and the warning stops the export.
#[test]
fn text_without_a_utf8mb4_form_stops_the_export() {
    let source = TestDb::create("charsets");
    source.sql(
        "CREATE TABLE cs (id INT PRIMARY KEY, sj TEXT CHARACTER SET sjis,
             a VARCHAR(10) CHARACTER SET ascii, l VARCHAR(10) CHARACTER SET latin1) ENGINE=InnoDB;
         SET NAMES binary;
         INSERT INTO cs VALUES (1, 0x8790, 0x41, 0x636166E9), (2, 0x41, 0x42, NULL);",
    );
    let dir = tempdir();
    let out = dir.join("data.sql");
    let run = export_data(&source, &out, &[]);
    run.assert_code(1);
    assert!(
        run.stderr.contains("reading table `cs`")
            && run.stderr.contains("1977")
            && run.stderr.contains("data.sql was not written"),
        "{run}"
    );
    assert!(!out.exists());
    // A high byte in an ascii column too.
    source.sql("SET NAMES binary; UPDATE cs SET sj = 'x', a = 0x41FF WHERE id = 1;");
    export_data(&source, &out, &[]).assert_code(1);
    assert!(!out.exists());
    // Text that converts is written as before, and comes back exactly.
    source.sql("UPDATE cs SET a = 'A' WHERE id = 1;");
    let (schema, data) = export_both(&source, dir.path(), "ok.sql");
    assert!(
        read_text(&data).contains("(1,'x','A','café')"),
        "{}",
        read_text(&data)
    );
    let target = TestDb::reserve("charsets_t");
    init(&target, &schema, Some(&data), true).assert_success();
    assert_same_data(&source, &target);
}

/// Errors met inside a LOAD DATA (the server only warns there) still fail the
/// import with the INSERT's message and PATH:LINE, and nothing is committed.
#[test]
fn load_data_errors_name_the_line_and_commit_nothing() {
    let target = TestDb::create("dst");
    target.sql("CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(5)) ENGINE=InnoDB; INSERT INTO t VALUES (7, 'old');");
    let dir = tempdir();
    let file = dir.join("dup.sql");
    // A dump file of `statements` is refused at `line` of it, the server's
    // message says `says`, and the target keeps its one row.
    let refused_at = |statements: &str, line: usize, says: &str| {
        write_dump(&file, statements);
        let run = import(&target, &file, &[]);
        run.assert_code(1);
        assert!(
            run.stderr
                .contains(&format!("{}:{line}: table `t`", path_str(&file)))
                && run.stderr.contains(says),
            "{run}"
        );
        assert_eq!(target.sql("SELECT GROUP_CONCAT(id) FROM t;"), "7\n");
    };
    refused_at(
        "INSERT INTO `t` VALUES (1,'a'),(2,'b');\n\
         INSERT INTO `t` VALUES (3,'c'),(7,'dup'),(8,'d');\n",
        3,
        "Duplicate entry '7'",
    );
    // Strict mode turns a too-long value into an error in the INSERT; the LOAD
    // only warns, so the INSERT is what decides.
    refused_at(
        "/*!40101 SET SQL_MODE='STRICT_TRANS_TABLES' */;\n\
         INSERT INTO `t` VALUES (1,'a');\n\
         INSERT INTO `t` VALUES (2,'too long');\n",
        4,
        "Data too long",
    );
}

/// Under a dump's non-strict sql_mode the server fits a value it cannot hold
/// to its column and only warns (the mysql client stores 'abc' for
/// 'abcdefghij'). import refuses instead, naming the line, the table and the
/// server's warning, and commits nothing, on the LOAD path (one run of
/// INSERTs) and the INSERT path alike. An ENUM's error value written as 0
/// (dbsnap) or '' (mysqldump) loses nothing and loads.
#[test]
fn a_value_the_target_cannot_hold_fails_the_import() {
    let target = TestDb::create("dst");
    target.sql(
        "CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(3), i SMALLINT, n INT NOT NULL DEFAULT 1, \
           e ENUM('a','b')) ENGINE=InnoDB; \
         CREATE TABLE trig (id INT PRIMARY KEY, v VARCHAR(3)) ENGINE=InnoDB; \
         CREATE TRIGGER trig_touch BEFORE INSERT ON trig FOR EACH ROW SET NEW.v = NEW.v; \
         INSERT INTO t VALUES (7, 'old', 7, 7, 'a');",
    );
    let dir = tempdir();
    let file = dir.join("narrow.sql");
    let refused_at = |statements: &str, line: usize, table: &str, says: &str| {
        write_dump(&file, statements);
        for flags in [&[][..], &["--disable-constraints"]] {
            let run = import(&target, &file, flags);
            run.assert_code(1);
            assert!(
                run.stderr
                    .contains(&format!("{}:{line}: table `{table}`", path_str(&file)))
                    && run.stderr.contains(says)
                    && run.stderr.contains("did not store the file's values"),
                "{run}"
            );
            assert_eq!(target.sql("SELECT GROUP_CONCAT(id) FROM t;"), "7\n");
            assert_eq!(target.count("trig"), 0);
        }
    };
    let fine = "INSERT INTO `t` VALUES (1,'a',1,1,'a'),(2,'b',2,2,'b');\n";
    refused_at(
        &format!("{fine}INSERT INTO `t` VALUES (3,'abcdefghij',3,3,'a');\n"),
        3,
        "t",
        "Warning 1265: Data truncated for column 'v' at row 1",
    );
    refused_at(
        &format!("{fine}INSERT INTO `t` VALUES (3,'c',3,3,'a'),(4,'d',100000,4,'b');\n"),
        3,
        "t",
        "Warning 1264: Out of range value for column 'i' at row 2",
    );
    refused_at(
        &format!("{fine}INSERT INTO `t` (`id`, `i`) VALUES (3, 'abc');\n"),
        3,
        "t",
        "Warning 1366: Incorrect integer value: 'abc' for column",
    );
    refused_at(
        &format!("{fine}INSERT INTO `t` VALUES (3,'c',3,NULL,'a'),(4,'d',4,4,'a');\n"),
        3,
        "t",
        "Warning 1048: Column 'n' cannot be null",
    );
    refused_at(
        &format!("{fine}INSERT INTO `t` VALUES (3,'c',3,3,'zz');\n"),
        3,
        "t",
        "Warning 1265: Data truncated for column 'e' at row 1",
    );
    // A table with a trigger only takes INSERTs.
    refused_at(
        "INSERT INTO `trig` VALUES (1,'a');\nINSERT INTO `trig` VALUES (2,'long');\n",
        3,
        "trig",
        "Warning 1265: Data truncated for column 'v' at row 1",
    );

    write_dump(
        &file,
        &format!("{fine}INSERT INTO `t` VALUES (3,'c',3,3,0),(4,'d',4,4,'');\nINSERT INTO `t` (`e`, `id`) VALUES (0, 5);\n"),
    );
    import(&target, &file, &[]).assert_success();
    assert_eq!(
        target.sql("SELECT GROUP_CONCAT(id, ':', e + 0 ORDER BY id) FROM t;"),
        "1:1,2:2,3:0,4:0,5:0,7:1\n"
    );
}

/// Some narrower columns cut values without a warning (a DOUBLE into FLOAT,
/// DATETIME(6) into DATETIME): our files record each column's source type,
/// and a target column that may not hold every value of it stops import and
/// init before the table's rows, naming the column and both types. Widened
/// columns (and ENUM members appended) load exactly.
#[test]
fn a_target_column_that_would_round_the_files_values_stops_the_load() {
    let source = TestDb::create("src");
    source.sql(
        "CREATE TABLE t (id INT PRIMARY KEY, f DOUBLE, dt DATETIME(6), tm TIME(3), d DECIMAL(10,4), \
           v VARCHAR(10), e ENUM('a','b')) ENGINE=InnoDB; \
         INSERT INTO t VALUES (1, 0.123456789012, '2020-01-01 10:00:00.700001', '10:00:00.5', 1.2345, 'abcdefghij', 'b'), \
           (2, NULL, NULL, NULL, NULL, NULL, NULL);",
    );
    let dir = tempdir();
    let data = dir.join("data.sql");
    export_data(&source, &data, &[]).assert_success();
    let text = std::fs::read_to_string(&data).unwrap();
    assert!(
        text.contains("-- dbsnap:column-types [\"int(11)\",\"double\",\"datetime(6)\","),
        "{text}"
    );
    let target = TestDb::create("dst");
    let create = |types: [&str; 7]| {
        target.sql(&format!(
            "DROP TABLE IF EXISTS t; CREATE TABLE t (id {}, f {}, dt {}, tm {}, d {}, v {}, e {}) ENGINE=InnoDB; \
             INSERT INTO t (id) VALUES (7);",
            types[0], types[1], types[2], types[3], types[4], types[5], types[6]
        ));
    };
    let fitting = [
        "INT PRIMARY KEY",
        "DOUBLE",
        "DATETIME(6)",
        "TIME(3)",
        "DECIMAL(10,4)",
        "VARCHAR(10)",
        "ENUM('a','b')",
    ];
    for (column, drifted, says) in [
        (
            1,
            "FLOAT",
            "column `f` is double in the file but float in the target",
        ),
        (
            2,
            "DATETIME",
            "column `dt` is datetime(6) in the file but datetime in the target",
        ),
        (
            3,
            "TIME(1)",
            "column `tm` is time(3) in the file but time(1) in the target",
        ),
        (
            4,
            "DECIMAL(5,2)",
            "column `d` is decimal(10,4) in the file but decimal(5,2) in the target",
        ),
        (
            6,
            "ENUM('b','a')",
            "column `e` is enum('a','b') in the file",
        ),
    ] {
        let mut types = fitting;
        types[column] = drifted;
        create(types);
        let run = import(&target, &data, &[]);
        run.assert_code(1);
        assert!(
            run.stderr.contains(&format!("{}:", path_str(&data)))
                && run.stderr.contains("table `t`")
                && run.stderr.contains(says),
            "{drifted}: {run}"
        );
        assert_eq!(
            target.sql("SELECT GROUP_CONCAT(id) FROM t;"),
            "7\n",
            "{drifted}"
        );
    }

    // init of a schema snapshot that drifted from the data's: the same.
    let mut types = fitting;
    types[1] = "FLOAT";
    create(types);
    let drifted = dir.join("drifted.sql");
    export_schema_ok(&target, &drifted);
    let built = TestDb::reserve("init");
    let run = init(&built, &drifted, Some(&data), true);
    run.assert_code(1);
    assert!(
        run.stderr
            .contains("double in the file but float in the target"),
        "{run}"
    );
    assert!(!built.exists(), "{run}");

    create([
        "BIGINT PRIMARY KEY",
        "DOUBLE",
        "DATETIME(6)",
        "TIME(6)",
        "DECIMAL(12,4)",
        "TEXT",
        "ENUM('a','b','c')",
    ]);
    import(&target, &data, &[]).assert_success();
    assert_eq!(
        target.sql("SELECT id, f, dt, tm, d, v, e FROM t ORDER BY id;"),
        "1\t0.123456789012\t2020-01-01 10:00:00.700001\t10:00:00.500000\t1.2345\tabcdefghij\tb\n\
         2\tNULL\tNULL\tNULL\tNULL\tNULL\tNULL\n\
         7\tNULL\tNULL\tNULL\tNULL\tNULL\tNULL\n"
    );
}

/// With --disable-constraints, the INSERTs of a table go through one LOAD
/// DATA into empty tables, which InnoDB loads in bulk: a duplicate key in a
/// later INSERT of the run still names its own line, and neither that table
/// nor a table loaded before it keeps a row.
#[test]
fn bulk_load_errors_name_the_line_and_commit_nothing() {
    let target = TestDb::create("dst");
    target.sql(
        "CREATE TABLE a (id INT PRIMARY KEY) ENGINE=InnoDB; \
         CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(5), KEY (v)) ENGINE=InnoDB;",
    );
    let dir = tempdir();
    let file = dir.join("dup.sql");
    write_dump(
        &file,
        "INSERT INTO `a` VALUES (1),(2);\n\
         INSERT INTO `t` VALUES (1,'a'),(2,'b');\n\
         INSERT INTO `t` VALUES (3,'c'),(4,'d');\n\
         INSERT INTO `t` VALUES (5,'e'),(2,'dup'),(6,'f');\n",
    );
    let run = import(&target, &file, &["--disable-constraints"]);
    run.assert_code(1);
    assert!(
        run.stderr
            .contains(&format!("{}:5: table `t`", path_str(&file)))
            && run.stderr.contains("Duplicate entry '2'"),
        "{run}"
    );
    assert_eq!(target.count("a"), 0);
    assert_eq!(target.count("t"), 0);

    // Without the duplicate, every INSERT of the run is loaded.
    write_dump(
        &file,
        "INSERT INTO `a` VALUES (1),(2);\n\
         INSERT INTO `t` VALUES (1,'a'),(2,'b');\n\
         INSERT INTO `t` VALUES (3,'c'),(4,NULL);\n\
         INSERT INTO `t` (`v`, `id`) VALUES ('e',5);\n\
         INSERT INTO `t` VALUES (6,'f');\n",
    );
    import(&target, &file, &["--disable-constraints"]).assert_success();
    assert_eq!(target.count("a"), 2);
    assert_eq!(
        target.sql("SELECT GROUP_CONCAT(id, '=', IFNULL(v, 'null') ORDER BY id) FROM t;"),
        "1=a,2=b,3=c,4=null,5=e,6=f\n"
    );
}

/// MariaDB loads an empty table in bulk when UNIQUE_CHECKS and
/// FOREIGN_KEY_CHECKS are off, and a row error there rolls back the whole
/// transaction, earlier tables too, while the session carries on. So once a
/// LOAD had to be undone in that mode and its INSERTs then loaded without an
/// error, the import stops instead of committing. The test hook takes the
/// LOAD of `a` for an inexact one; the server is what it is.
#[test]
fn an_undone_bulk_load_stops_the_import_before_it_commits() {
    let target = TestDb::create("dst");
    target.sql(
        "CREATE TABLE a (id INT PRIMARY KEY) ENGINE=InnoDB; INSERT INTO a VALUES (9); \
         CREATE TABLE t (id INT PRIMARY KEY) ENGINE=InnoDB;",
    );
    let dir = tempdir();
    let file = dir.join("rows.sql");
    write_dump(
        &file,
        "INSERT INTO `t` VALUES (1),(2);\n\
         INSERT INTO `a` VALUES (1),(2);\n",
    );
    let url = target.url();
    let file_arg = path_str(&file);
    let hook = [("DBSNAP_TEST_INEXACT_LOAD", "1")];
    let args = ["import", "--url", &url, "--disable-constraints", file_arg];
    let run = dbsnap(&args, &hook);
    run.assert_code(1);
    assert!(
        run.stderr
            .contains(&format!("{file_arg}:2: LOAD DATA into `t` was not exact"))
            && run.stderr.contains("rather than commit"),
        "{run}"
    );
    assert_eq!(
        target.sql("SELECT GROUP_CONCAT(id ORDER BY id) FROM a"),
        "9\n"
    );
    assert_eq!(target.count("t"), 0);

    // With the checks on, an undone LOAD is undone alone: its INSERTs load.
    dbsnap(&["import", "--url", &url, file_arg], &hook).assert_success();
    assert_eq!(
        target.sql("SELECT GROUP_CONCAT(id ORDER BY id) FROM a"),
        "1,2,9\n"
    );
    assert_eq!(target.count("t"), 2);
}

/// Issue 7 §7: a 9 MB blob is an 18 MB hex INSERT, more than the default
/// 16 MB max_allowed_packet. Its rows go through LOAD DATA (sent in pieces),
/// so `import` and `init --data` restore it on a default server.
#[test]
fn nine_megabyte_blob_round_trips() {
    let _alone = crate::support::large_values_one_at_a_time();
    let source = TestDb::create("src");
    source.sql(
        "CREATE TABLE big (id INT PRIMARY KEY, b LONGBLOB, t LONGTEXT) ENGINE=InnoDB; \
         INSERT INTO big VALUES (1, REPEAT(UNHEX('00FF5C0A09275C4E'), 9 * 1024 * 1024 / 8), 'small'), \
         (2, NULL, REPEAT('ü\\t', 100000));",
    );
    assert_eq!(
        source.sql("SELECT @@max_allowed_packet;"),
        "16777216\n",
        "the server is not at its default max_allowed_packet: not the intended test"
    );
    let dir = tempdir();
    let (schema, data) = export_both(&source, dir.path(), "data.sql");
    let size = std::fs::metadata(&data).unwrap().len();
    assert!(size > 18 * 1024 * 1024, "the export is {size} bytes");

    let target = TestDb::reserve("dst");
    init(&target, &schema, Some(&data), true).assert_success();
    assert_same_data(&source, &target);

    let imported = TestDb::reserve("imp");
    init(&imported, &schema, None, true).assert_success();
    import(&imported, &data, &[]).assert_success();
    assert_same_data(&source, &imported);
}

/// Issue 7 §7: a 24 MB value, larger than the default 16 MB max_allowed_packet
/// itself (the server cannot even build it with REPEAT). A mysqldump-style file
/// holds it as one 48 MB hex INSERT; dbsnap loads it through LOAD DATA, with
/// import and with init, and the server finds every byte in place.
#[test]
fn twenty_four_megabyte_value_loads_from_a_dump_file() {
    let _alone = crate::support::large_values_one_at_a_time();
    const PATTERN: &str = "00ff5c0a0927224e"; // 8 bytes: NUL, 0xFF, \, LF, TAB, ', ", N
    const MIB: usize = 1024 * 1024;
    let repeats = 24 * MIB / 8 + 1;
    let mut text = String::with_capacity(repeats * 16 + 200);
    text.push_str("-- MariaDB dump 10.19  Distrib 10.11.19-MariaDB\n");
    text.push_str("INSERT INTO `big` VALUES (1,0x");
    for _ in 0..repeats {
        text.push_str(PATTERN);
    }
    text.push_str("),(2,'x');\n-- Dump completed\n");
    let dir = tempdir();
    let dump = dir.join("big.sql");
    std::fs::write(&dump, text).unwrap();

    let check = |db: &TestDb| {
        // Compared in 1 MiB pieces: no server function may return more than
        // max_allowed_packet.
        let sql = format!(
            "SELECT LENGTH(b), \
               (SELECT SUM(SUBSTRING(b, seq * {MIB} + 1, {MIB}) = REPEAT(UNHEX('{PATTERN}'), {MIB} / 8)) FROM seq_0_to_23), \
               SUBSTRING(b, 24 * {MIB} + 1) = UNHEX('{PATTERN}') \
             FROM big WHERE id = 1;"
        );
        assert_eq!(
            db.sql(&sql),
            format!("{}\t24\t1\n", repeats * 8),
            "{}",
            db.name()
        );
        assert_eq!(db.sql("SELECT b FROM big WHERE id = 2;"), "x\n");
    };
    const SCHEMA: &str = "CREATE TABLE big (id INT PRIMARY KEY, b LONGBLOB) ENGINE=InnoDB;";

    let imported = TestDb::create("imp");
    imported.sql(SCHEMA);
    import(&imported, &dump, &[]).assert_success();
    check(&imported);

    let schema = dir.join("schema.sql");
    export_schema_ok(&imported, &schema);
    let built = TestDb::reserve("dst");
    init(&built, &schema, Some(&dump), true).assert_success();
    check(&built);
}

/// A table read in primary-key ranges (the cut size lowered so that a small
/// table is cut, as a big one is): negative keys, gaps and the ends of the
/// span all land in exactly one range, the ranges are one block of the
/// file, and the copy equals the source.
#[test]
fn export_in_key_ranges_round_trips() {
    let source = TestDb::create("src");
    source.sql(
        "CREATE TABLE wide (id BIGINT PRIMARY KEY, v VARCHAR(200)) ENGINE=InnoDB; \
         INSERT INTO wide SELECT CAST(seq AS SIGNED) * 7 - 20000, REPEAT('x', 150) FROM seq_1_to_6000; \
         INSERT INTO wide VALUES (-30000, 'min'), (30000, 'max'); \
         CREATE TABLE small (id INT PRIMARY KEY) ENGINE=InnoDB; INSERT INTO small VALUES (1); \
         ANALYZE TABLE wide;",
    );
    let dir = tempdir();
    let (schema, data) = (dir.join("schema.sql"), dir.join("data.sql"));
    export_schema_ok(&source, &schema);
    export_data_env(
        &source,
        &data,
        &["--jobs", "2"],
        &[("DBSNAP_TEST_CHUNK_BYTES", "16384")],
    )
    .assert_success();
    let text = read_text(&data);
    assert_eq!(
        lines_starting(&text, "-- dbsnap:table `wide`").len(),
        1,
        "one block"
    );
    // Each range is written as statements of its own; unsplit, 1 MiB
    // statements would hold the table in two.
    let inserts = lines_starting(&text, "INSERT INTO `wide`").len();
    assert!(
        inserts > 10,
        "{inserts} INSERTs: the table was not read in ranges"
    );
    check(&data, &[]).assert_success();
    let target = TestDb::reserve("dst");
    init(&target, &schema, Some(&data), true).assert_success();
    assert_same_data(&source, &target);
    assert_eq!(target.count("wide"), 6002);
}

/// A data file's `SET NAMES` applies to its rows, not to what `init` and
/// `import` run after them. Under a file's latin1, `init` built the
/// secondary indexes with their UTF-8 names read as latin1 (`índice` came
/// out as `Ã­ndice`), and an `import` that failed panicked reading the
/// counters back to put them back.
#[test]
fn a_data_files_character_set_shapes_nothing_after_its_rows() {
    let dir = tempdir();
    let (source, target, schema, data) = source_and_target(
        |db| {
            db.sql(
                "CREATE TABLE p (id int PRIMARY KEY);
                 CREATE TABLE t (id int AUTO_INCREMENT PRIMARY KEY, v int, p_id int,
                     KEY `índice` (v), CONSTRAINT `fk_ñ` FOREIGN KEY (p_id) REFERENCES p (id));
                 INSERT INTO p VALUES (1);
                 INSERT INTO t (v, p_id) VALUES (2, 1), (3, 1);",
            );
        },
        dir.path(),
        "data.sql",
    );
    crate::support::mysql::assert_same_database(&source, &target);
    let text = read_text(&data);
    let names = "SET NAMES utf8mb4;\n";
    assert!(text.contains(names), "{text}");
    let latin1 = dir.path().join("latin1.sql");
    std::fs::write(&latin1, text.replacen(names, "SET NAMES latin1;\n", 1)).unwrap();
    let rebuilt = TestDb::reserve("latin1");
    init(&rebuilt, &schema, Some(&latin1), true).assert_success();
    crate::support::mysql::assert_same_database(&source, &rebuilt);

    // A table whose name the file's latin1 garbles cannot be loaded: a clear
    // error, nothing committed, the counter where it was.
    let odd = TestDb::create("odd");
    odd.sql("CREATE TABLE `tablé` (id int AUTO_INCREMENT PRIMARY KEY, v int);");
    let odd_data = dir.path().join("odd.sql");
    odd.sql("INSERT INTO `tablé` (v) VALUES (1), (2);");
    export_data(&odd, &odd_data, &[]).assert_success();
    let odd_latin1 = dir.path().join("odd_latin1.sql");
    std::fs::write(
        &odd_latin1,
        read_text(&odd_data).replacen(names, "SET NAMES latin1;\n", 1),
    )
    .unwrap();
    odd.sql("DELETE FROM `tablé`;");
    let before = odd.auto_increment("tablé");
    import(&odd, &odd_latin1, &[])
        .assert_code(1)
        .assert_stderr_has(&["table `tablé`", "doesn't exist"]);
    assert_eq!(odd.sql("SELECT COUNT(*) FROM `tablé`;"), "0\n");
    assert_eq!(odd.auto_increment("tablé"), before);
}
