//! MySQL/MariaDB data snapshots: `dbsnap export-data`, `import`, `verify` and
//! `check`, and what the mysql client and mysqldump make of them.
//!
//! Data are compared with the server's own `CHECKSUM TABLE .. EXTENDED` and
//! `COUNT(*)` (see tests/fixtures/mysql/README.md), never with dbsnap's checksums.

use std::path::Path;

use crate::support::mysql::{
    assert_same_bytes, assert_same_data, export_data, export_data_ok, export_schema_ok, import,
    init, path_str, verify_json, verify_manifest, verify_source, TestDb,
};
use crate::support::{assert_same_text, dbsnap, matching_lines, tempdir, Run};

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

/// `dbsnap check PATH`.
fn check(path: &Path) -> Run {
    dbsnap(&["check", path_str(path)], &[])
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
    let schema = dir.join("schema.sql");
    let data = dir.join(data_name);
    export_schema_ok(&source, &schema);
    export_data_ok(&source, &data);
    let target = TestDb::reserve("dst");
    init(&target, &schema, Some(&data), true).assert_success();
    (source, target, schema, data)
}

/// The target's masked schema dump and its data state, to prove nothing changed.
struct Snapshot {
    dump: Vec<u8>,
    data: String,
}

impl Snapshot {
    fn capture(db: &TestDb) -> Snapshot {
        Snapshot {
            dump: db.schema_dump(),
            data: db.data_state().render(),
        }
    }

    #[track_caller]
    fn check(&self, db: &TestDb, after: &str) {
        assert_same_text(
            "data",
            "before",
            &self.data,
            after,
            &db.data_state().render(),
        );
        assert_same_bytes("mysqldump", "before", &self.dump, after, &db.schema_dump());
    }
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
    source.sql(
        "CREATE SEQUENCE s START WITH 10 INCREMENT BY 10; \
         CREATE TABLE g (id INT AUTO_INCREMENT PRIMARY KEY, v INT, n BIGINT DEFAULT NEXTVAL(s)) ENGINE=InnoDB; \
         INSERT INTO g (v) VALUES (1), (2), (3), (4), (5); \
         DELETE FROM g WHERE id >= 4; \
         SELECT NEXTVAL(s), NEXTVAL(s);",
    );
    assert_eq!(source.auto_increment("g"), Some(6));
    let dir = tempdir();
    let schema = dir.join("schema.sql");
    let data = dir.join("data.sql");
    export_schema_ok(&source, &schema);
    export_data_ok(&source, &data);

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
    let issued: i64 = source.sql("SELECT NEXTVAL(s);").trim().parse().unwrap();
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
    let schema = dir.join("schema.sql");
    let data = dir.join("data.sql");
    export_schema_ok(&source, &schema);
    export_data_ok(&source, &data);

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
    let schema = dir.join("schema.sql");
    let data = dir.join("data.sql");
    export_schema_ok(&source, &schema);
    export_data_ok(&source, &data);
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
    let before = Snapshot::capture(&target);
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
        before.check(&target, "after_full_dump_import");
    }
}

// --- 7. rejections --------------------------------------------------------------------------------

#[test]
fn import_rejections_leave_target_unchanged() {
    let dir = tempdir();
    let (source, target, _, data) = source_and_target(|db| db.load_shop(), dir.path(), "data.sql");
    let text = read_text(&data);
    check(&data).assert_success();

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
    let before = Snapshot::capture(&target);

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
    let without: Vec<&str> = text.lines().filter(|l| *l != "-- dbsnap:end").collect();
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
        before.check(&target, "after_rejected_import");
    }
    check(&truncated).assert_code(1);
    check(&no_end).assert_code(1);

    // d. A duplicate key: the INSERTs before KEPT's succeed, KEPT's first fails,
    //    and all of it is rolled back.
    let genre = lines_starting(&text, &format!("INSERT INTO `{KEPT}`"));
    assert!(!genre.is_empty(), "no INSERT INTO `{KEPT}` line");
    assert!(
        genre[0] > inserts[0],
        "`{KEPT}` is the first table of the file: pick another one"
    );
    let run = import(&target, &data, &[]);
    run.assert_code(1);
    let location = format!("{}:{}:", data.display(), genre[0]);
    assert!(
        run.stderr.contains(&location),
        "stderr does not name `{location}` (the first INSERT INTO `{KEPT}`):\n{run}"
    );
    assert!(
        run.stderr.contains("Duplicate entry"),
        "stderr lacks the server's message:\n{run}"
    );
    assert!(
        run.stderr.contains(&format!("`{KEPT}`")),
        "stderr does not name the table:\n{run}"
    );
    before.check(&target, "after_duplicate_key");

    // e. --truncate replaces the rows.
    import(&target, &data, &["--truncate"]).assert_success();
    assert_same_data(&source, &target);
    verify_manifest(&data, &target, &["--checksum"]).assert_success();
}

/// The sample has foreign keys and a trigger (product_changed) that writes to
/// product_log: importing its export again with --truncate needs
/// --disable-constraints, and must not fill product_log twice.
#[test]
fn import_duplicate_then_truncate_shop() {
    let dir = tempdir();
    let (source, target, _, data) = source_and_target(|db| db.load_shop(), dir.path(), "data.sql");
    let text = read_text(&data);
    let before = Snapshot::capture(&target);

    let inserts = lines_starting(&text, "INSERT INTO ");
    let run = import(&target, &data, &[]);
    run.assert_code(1);
    let location = format!("{}:{}:", data.display(), inserts[0]);
    assert!(
        run.stderr.contains(&location),
        "stderr does not name `{location}` (the first INSERT):\n{run}"
    );
    assert!(
        run.stderr.contains("Duplicate entry"),
        "stderr lacks the server's message:\n{run}"
    );
    before.check(&target, "after_duplicate_key");
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

// --- 10. file modes --------------------------------------------------------------------------------

#[test]
fn data_export_file_modes() {
    use std::os::unix::fs::PermissionsExt;

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
        export_data(&source, &path).assert_success();
        let mode = std::fs::metadata(&path)
            .expect("stat snapshot")
            .permissions()
            .mode()
            & 0o7777;
        assert_eq!(mode, 0o600, "{name}: mode is {mode:o}, expected 600");
        assert_eq!(
            dir.entries(),
            vec![name.to_string()],
            "only the snapshot may be left in its directory"
        );
        let bytes = std::fs::read(&path).unwrap();
        assert!(
            bytes.starts_with(magic),
            "{name} does not start with {magic:x?}"
        );
        check(&path).assert_success();
    }
}
