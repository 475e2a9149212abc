//! MySQL/MariaDB schema snapshots and full round trips: `dbsnap export-schema`,
//! `export-data`, `init --schema --data` and `verify`.
//!
//! The oracle is the one of tests/fixtures/mysql/README.md: the rebuilt database
//! must give the same masked `mysqldump --no-data --routines --triggers --events`,
//! the same row counts and `CHECKSUM TABLE .. EXTENDED` per base table, the same
//! AUTO_INCREMENT counters and the same sequence rows as its source.

use crate::support::commands::{
    export_both, export_data_ok, export_schema, export_schema_ok, export_twice_and_rebuilt,
    fixture_snapshot, init, schema_snapshot, verify_json, verify_manifest, verify_source,
};
use crate::support::init_safety::{
    assert_init_fails_at, assert_refused_without_yes, assert_replaced_with_yes,
    failed_init_over_existing, small_snapshot,
};
use crate::support::mysql::{assert_same_bytes, assert_same_database, MyServer, Sample, TestDb};
use crate::support::{
    assert_alone_and_private, corpus_present, marker_line, matching_lines, section_lines, tempdir,
    tests_calling, tests_for_engine, with_corpus, CODE, END, POST_DATA, PRE_DATA,
};

const ADVERSARIAL: &str = "mysql/adversarial.sql";
const LOSSY: &str = "mysql/mysqldump_lossy.sql";

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

// --- 1. round trips ----------------------------------------------------------------------

/// Loads a source, exports its schema and data (to `data_name`, whose extension
/// picks the compression), builds a fresh target with `init --schema --data`, and
/// compares the two with the oracle and with `dbsnap verify`. Returns both
/// databases for extra checks.
fn round_trip(load: impl FnOnce(&TestDb), data_name: &str) -> (TestDb, TestDb) {
    let source = TestDb::create("src");
    load(&source);
    assert!(
        !source.base_tables().is_empty(),
        "the sample loaded no tables"
    );
    let dir = tempdir();
    let (schema, data) = export_both(&source, dir.path(), data_name);

    let target = TestDb::reserve("dst");
    init(&target, &schema, Some(&data), true).assert_success();
    target.assert_no_staging_leftovers();

    assert_same_database(&source, &target);

    verify_source(&source, &target, &["--checksum"]).assert_success();
    let run = verify_manifest(&data, &target, &["--checksum", "--json"]);
    run.assert_success();
    let json = verify_json(&run);
    assert_eq!(json["ok"], serde_json::Value::Bool(true), "{run}");
    assert_eq!(
        json["differences"].as_array().map(Vec::len),
        Some(0),
        "verify --json lists differences:\n{run}"
    );
    (source, target)
}

/// `make init-fresh-db` over a live Sakila: its tables with triggers (film,
/// customer, payment, rental) hold foreign keys with names of their own,
/// which the new tables bring too. The database is replaced, and is the
/// source again.
#[test]
fn init_over_a_live_sakila_replaces_it() {
    if !corpus_present() {
        return;
    }
    let source = TestDb::create("src");
    source.load(Sample::SakilaMv);
    let dir = tempdir();
    let (schema, data) = export_both(&source, dir.path(), "data.sql");
    let target = TestDb::reserve("dst");
    init(&target, &schema, Some(&data), true).assert_success();
    target.sql("DELETE FROM payment WHERE payment_id < 100;");
    init(&target, &schema, Some(&data), true).assert_success();
    target.assert_no_staging_leftovers();
    assert_same_database(&source, &target);
}

#[test]
fn roundtrip_sakila_mv() {
    if !corpus_present() {
        return;
    }
    let (source, target) = round_trip(|db| db.load(Sample::SakilaMv), "data.sql.zst");
    // film_text is filled by the ins_film trigger when film is loaded; it must not
    // be filled twice (once by the trigger, once from the file).
    let expected = source.count("film_text");
    assert_eq!(expected, 1000, "the source's film_text is not the sample's");
    assert_eq!(
        target.count("film_text"),
        expected,
        "film_text of the rebuilt database has a different number of rows"
    );
}

#[test]
fn roundtrip_chinook() {
    with_corpus(|| {
        round_trip(|db| db.load(Sample::Chinook), "data.sql.gz");
    });
}

/// The project's own sample (tests/fixtures/mysql/shop.sql).
#[test]
fn roundtrip_shop() {
    let (source, target) = round_trip(|db| db.load_shop(), "data.sql.zst");
    assert_eq!(target.count("product_log"), source.count("product_log"));
}

/// init builds InnoDB secondary indexes after the rows (one ALTER per table):
/// every kind of key, an index a foreign key needs, one InnoDB made for a
/// foreign key itself, keys added in an order the server reorders, and a
/// table whose auto-increment column needs its secondary key must come back
/// with the same SHOW CREATE TABLE, key order included.
#[test]
fn init_adds_secondary_indexes_after_the_rows_in_their_order() {
    let (source, target) = round_trip(
        |db| {
            db.sql(
                "CREATE TABLE parent (id INT PRIMARY KEY, code VARCHAR(20) NOT NULL, note TEXT,                    title VARCHAR(100), nick VARCHAR(30) NULL) ENGINE=InnoDB;
                 CREATE TABLE child (id BIGINT AUTO_INCREMENT PRIMARY KEY, parent_id INT NOT NULL,                    other_id INT, label VARCHAR(50), KEY child_label (label(10)) COMMENT 'prefix, commented',                    CONSTRAINT child_parent_fk FOREIGN KEY (parent_id) REFERENCES parent (id)) ENGINE=InnoDB;
                 CREATE TABLE counter (a INT NOT NULL, id INT NOT NULL AUTO_INCREMENT,                    PRIMARY KEY (a, id), KEY counter_id (id), KEY counter_a (a)) ENGINE=InnoDB;
                 ALTER TABLE parent ADD KEY parent_title (title DESC, id);
                 ALTER TABLE parent ADD UNIQUE KEY parent_nick (nick);
                 ALTER TABLE parent ADD UNIQUE KEY parent_code (code);
                 ALTER TABLE parent ADD FULLTEXT KEY parent_note_ft (note);
                 ALTER TABLE parent ADD KEY parent_code_title (code, title) USING BTREE;
                 INSERT INTO parent VALUES (1, 'a', 'first note', 'one', NULL), (2, 'b', 'second', 'two', 'bee'),
                   (3, 'c', NULL, NULL, 'cee');
                 INSERT INTO child (parent_id, other_id, label) VALUES (1, 2, 'x'), (2, 3, 'y'), (3, NULL, NULL);
                 ALTER TABLE child ADD CONSTRAINT child_other_fk FOREIGN KEY (other_id) REFERENCES parent (id);
                 INSERT INTO counter (a) VALUES (1), (1), (2);",
            );
        },
        "data.sql",
    );
    for table in ["parent", "child", "counter"] {
        let show = format!("SHOW CREATE TABLE {table}");
        assert_eq!(target.sql(&show), source.sql(&show), "{table}");
    }
    // The auto-made index of child_other_fk is a key in the snapshot's CREATE TABLE.
    assert!(
        target
            .sql("SHOW CREATE TABLE child")
            .contains("KEY `child_other_fk`"),
        "{}",
        target.sql("SHOW CREATE TABLE child")
    );
}

tests_calling!(round_trip {
    roundtrip_adversarial => (|db: &TestDb| db.load_fixture(ADVERSARIAL), "data.sql"),
    roundtrip_mysqldump_lossy => (|db: &TestDb| db.load_fixture(LOSSY), "data.sql"),
});

// --- 2. determinism -----------------------------------------------------------------------

/// Two exports of the same database are byte-identical, neither names the
/// database, and the database rebuilt from the snapshot exports the same bytes.
fn deterministic(load: impl FnOnce(&TestDb)) {
    let source = TestDb::create("src");
    load(&source);
    let dir = tempdir();
    let ([first, second, rebuilt], target) = export_twice_and_rebuilt(&source, dir.path());
    assert_same_bytes("export", "first_export", &first, "second_export", &second);
    for (snapshot, db) in [(&first, &source), (&rebuilt, &target)] {
        assert!(
            !contains(snapshot, db.name()),
            "the snapshot names its source database {}",
            db.name()
        );
    }
    assert_same_bytes(
        "export",
        "source_export",
        &first,
        "rebuilt_export",
        &rebuilt,
    );
}

tests_calling!(deterministic {
    export_is_deterministic_adversarial => (|db: &TestDb| db.load_fixture(ADVERSARIAL)),
});

#[test]
fn export_is_deterministic_sakila_mv() {
    with_corpus(|| deterministic(|db| db.load(Sample::SakilaMv)));
}

// --- 3. the file ---------------------------------------------------------------------------

/// 1-based number of the single `CREATE ...` line that creates `what`.
#[track_caller]
fn create_line(text: &str, what: &str) -> usize {
    let found = matching_lines(text, |l| l.starts_with("CREATE ") && l.contains(what));
    assert_eq!(
        found.len(),
        1,
        "expected exactly one CREATE line with `{what}`, found {found:?}"
    );
    found[0].0
}

#[test]
fn view_is_created_after_the_view_it_reads() {
    let (_source, _dir, _, text) = fixture_snapshot::<MyServer>(ADVERSARIAL);
    let code = marker_line(&text, CODE);
    let end = marker_line(&text, END);

    // fn_slugify <- z_view <- a_view <- m_view_of_views: `a_view` sorts before
    // `z_view` but reads it.
    let chain = [
        (
            "FUNCTION `fn_slugify`",
            create_line(&text, "FUNCTION `fn_slugify`("),
        ),
        ("VIEW `z_view`", create_line(&text, "VIEW `z_view` AS")),
        ("VIEW `a_view`", create_line(&text, "VIEW `a_view` AS")),
        (
            "VIEW `m_view_of_views`",
            create_line(&text, "VIEW `m_view_of_views` AS"),
        ),
    ];
    for (what, line) in chain {
        assert!(
            line > code && line < end,
            "{what} at line {line} is not in the code section ({code}..{end})"
        );
    }
    for pair in chain.windows(2) {
        let ((before, b), (after, a)) = (pair[0], pair[1]);
        assert!(
            b < a,
            "{after} (line {a}) is created before {before} (line {b}), which it reads"
        );
    }
    // v_local_check reads v_check, v_functions calls two functions.
    assert!(
        create_line(&text, "VIEW `v_check` AS") < create_line(&text, "VIEW `v_local_check` AS"),
        "v_local_check is created before v_check"
    );
    for f in ["FUNCTION `fn_author_books`(", "FUNCTION \"fn_ansi\"("] {
        assert!(
            create_line(&text, f) < create_line(&text, "VIEW `v_functions` AS"),
            "v_functions is created before {f}"
        );
    }
}

#[test]
fn schema_file_sections_and_options() {
    let (source, dir, _, text) = fixture_snapshot::<MyServer>(ADVERSARIAL);

    let [pre, post, code, end] = section_lines(&text, [PRE_DATA, POST_DATA, CODE, END]);

    let in_range = |what: &str, lines: Vec<(usize, String)>, lo: usize, hi: usize| {
        assert!(!lines.is_empty(), "no {what} line in the snapshot");
        let misplaced: Vec<_> = lines.iter().filter(|(n, _)| *n < lo || *n > hi).collect();
        assert!(
            misplaced.is_empty(),
            "{what} lines outside lines {lo}..{hi}: {misplaced:#?}"
        );
    };
    in_range(
        "CREATE TABLE / CREATE SEQUENCE",
        matching_lines(&text, |l| {
            l.starts_with("CREATE TABLE") || l.starts_with("CREATE SEQUENCE")
        }),
        pre,
        post,
    );
    in_range(
        "FOREIGN KEY",
        matching_lines(&text, |l| l.contains("FOREIGN KEY")),
        post,
        code,
    );
    in_range(
        "ALTER TABLE .. ADD CONSTRAINT",
        matching_lines(&text, |l| {
            l.starts_with("ALTER TABLE") && l.contains("ADD CONSTRAINT")
        }),
        post,
        code,
    );
    for kind in [" VIEW ", "FUNCTION ", "PROCEDURE ", "TRIGGER ", "EVENT "] {
        in_range(
            &format!("CREATE ..{kind}"),
            matching_lines(&text, |l| {
                l.starts_with("CREATE ")
                    && !l.starts_with("CREATE TABLE")
                    && !l.starts_with("CREATE SEQUENCE")
                    && l.contains(kind)
            }),
            code,
            end,
        );
    }

    // Defaults: no AUTO_INCREMENT=N table option, no DEFINER=.
    let counters = matching_lines(&text, |l| l.contains("AUTO_INCREMENT="));
    assert!(
        counters.is_empty(),
        "AUTO_INCREMENT=N without --keep-auto-increment: {counters:#?}"
    );
    let definers = matching_lines(&text, |l| l.contains("DEFINER="));
    assert!(
        definers.is_empty(),
        "DEFINER= without --keep-definer: {definers:#?}"
    );

    // ...and with the options, they are kept.
    let kept = dir.join("kept.sql");
    export_schema(&source, &kept, &["--keep-auto-increment", "--keep-definer"]).assert_success();
    let kept = String::from_utf8_lossy(&std::fs::read(&kept).unwrap()).into_owned();
    assert!(
        kept.contains("AUTO_INCREMENT=1003"),
        "--keep-auto-increment: no AUTO_INCREMENT=1003 (ai_1000's counter)"
    );
    assert!(kept.contains("DEFINER="), "--keep-definer: no DEFINER=");
    assert!(
        !kept.contains(source.name()),
        "the snapshot names its source database {}",
        source.name()
    );
}

// --- 10. file mode ---------------------------------------------------------------------------

#[test]
fn schema_export_file_mode() {
    let source = TestDb::create("src");
    source.sql("CREATE TABLE t (id INT PRIMARY KEY);");
    let (dir, _, _) = schema_snapshot(&source);
    assert_alone_and_private(&dir, "schema.sql");
}

// --- 9. init safety -------------------------------------------------------------------------

tests_for_engine!(MyServer {
    init_refuses_existing_database_without_yes => assert_refused_without_yes,
    init_yes_replaces_existing_database => assert_replaced_with_yes,
});

/// 1-based number of the single line of `text` starting with `prefix`.
#[track_caller]
fn line_of(text: &str, prefix: &str) -> usize {
    let found = matching_lines(text, |l| l.starts_with(prefix));
    assert_eq!(found.len(), 1, "lines starting with {prefix:?}: {found:?}");
    found[0].0
}

const HAND_WRITTEN_HEAD: &str = "\
-- hand-written schema; a statement further down is wrong
CREATE TABLE ok_one (id INT PRIMARY KEY);

CREATE TABLE ok_two (
    id INT,
    note TEXT DEFAULT 'semi; colon' -- a ; in a comment
);
/* a block comment;
   over two lines */
DELIMITER $$
CREATE PROCEDURE ok_proc()
BEGIN
    SELECT 'a;b', \"c;d\"; -- a ; inside a routine
    SELECT 1;
END$$
DELIMITER ;
";

/// A hand-written schema, [`HAND_WRITTEN_HEAD`] and then `tail`, written to
/// `file_name`: init over an existing database fails at its line starting
/// with `bad` (returned), saying `server_words`, and keeps the database.
fn failing_hand_written_schema(
    file_name: &str,
    tail: &str,
    bad: &str,
    server_words: &[&str],
) -> usize {
    let dir = tempdir();
    let schema = dir.join(file_name);
    let text = format!("{HAND_WRITTEN_HEAD}{tail}");
    std::fs::write(&schema, &text).unwrap();
    let bad_line = line_of(&text, bad);
    assert_init_fails_at::<MyServer>(&schema, None, (&schema, bad_line), server_words);
    bad_line
}

#[test]
fn init_failure_in_a_table_names_file_and_line_and_keeps_target() {
    let bad_line = failing_hand_written_schema(
        "bad schema.sql",
        "CREATE TABLE broken (id INT, KEY k (nope));\nCREATE TABLE after_broken (id INT);\n",
        "CREATE TABLE broken",
        &["Key column 'nope' doesn't exist in table"],
    );
    assert_eq!(bad_line, 17);
}

#[test]
fn init_failure_in_a_view_names_file_and_line_and_keeps_target() {
    failing_hand_written_schema(
        "bad view.sql",
        "CREATE VIEW v_ok AS SELECT id FROM ok_one;\n\
         CREATE VIEW v_bad AS SELECT * FROM no_such_table;\n\
         CREATE TABLE after_view (id INT);\n",
        "CREATE VIEW v_bad",
        &["no_such_table", "doesn't exist"],
    );
}

#[test]
fn init_failure_in_the_data_names_file_and_line_and_keeps_target() {
    let dir = tempdir();
    let (schema, data) = small_snapshot::<MyServer>(dir.path());
    // Repeat the table's INSERT: the second copy fails on the primary key.
    let text = std::fs::read_to_string(&data).unwrap();
    let insert = line_of(&text, "INSERT INTO `from_snapshot`");
    let mut lines: Vec<&str> = text.lines().collect();
    let copy = lines[insert - 1];
    lines.insert(insert, copy);
    let bad = dir.join("dup data.sql");
    std::fs::write(&bad, lines.join("\n") + "\n").unwrap();
    let run = failed_init_over_existing::<MyServer>(&schema, Some(&bad), true);
    run.assert_names_line(&bad, insert + 1, &["Duplicate entry '1' for key"]);
    // The hint that names import's `--truncate` is not init's.
    assert!(!run.stderr.contains("--truncate"), "{}", run.stderr);
}

/// Init reads the file ahead of its two loading connections, so a table
/// further on loads beside a big one. The error is still the file's
/// earliest: here the second table's INSERT fails at once on its
/// connection, while the first table's last INSERT, earlier in the file,
/// fails later on the other; init names the earlier one.
#[test]
fn init_reading_ahead_still_names_the_earliest_failing_line() {
    let source = TestDb::create("aheadsrc");
    source.sql(
        "CREATE TABLE a (id INT PRIMARY KEY, v VARCHAR(100)); \
         INSERT INTO a SELECT seq, repeat('a', 90) FROM seq_1_to_200000; \
         CREATE TABLE b (id INT PRIMARY KEY); INSERT INTO b SELECT seq FROM seq_1_to_10;",
    );
    let dir = tempdir();
    let (schema, data) = export_both(&source, dir.path(), "data.sql");
    let text = std::fs::read_to_string(&data).unwrap();
    let a = matching_lines(&text, |l| l.starts_with("INSERT INTO `a`"));
    assert!(
        a.len() >= 10,
        "a's rows should take many INSERTs: {}",
        a.len()
    );
    let (last_a, b) = (a.last().unwrap().0, line_of(&text, "INSERT INTO `b`"));
    assert!(last_a < b);
    // A copy of a's first INSERT after its last, and of b's after b's.
    let mut lines: Vec<&str> = text.lines().collect();
    lines.insert(b, lines[b - 1]);
    lines.insert(last_a, &a[0].1);
    let bad = dir.join("two failures.sql");
    std::fs::write(&bad, lines.join("\n") + "\n").unwrap();
    let run = failed_init_over_existing::<MyServer>(&schema, Some(&bad), true);
    run.assert_names_line(&bad, last_a + 1, &["Duplicate entry '1' for key", "`a`"]);
    assert!(!run.stderr.contains(&format!(":{}:", b + 2)), "{run}");
}

/// Replacing a database whose foreign keys have names of their own with
/// tables that bring the same names. InnoDB keeps a chosen key name for the
/// whole database, so the swap parks the live tables in its journal's
/// database, out of the way. A table with triggers cannot leave its
/// database: the new tables' keys that it holds names of move in under
/// temporary names and take their own back once it is dropped. Keys named by
/// InnoDB itself (`t_ibfk_1`) follow their table. Either way the database
/// is replaced, and its schema is the source's.
#[test]
fn init_over_a_database_with_the_same_named_foreign_keys() {
    for (named, trigger) in [(true, false), (false, true), (true, true)] {
        let (constraint, pair) = if named {
            (
                "CONSTRAINT `Child ``parent`` fk` ",
                "CONSTRAINT child_pair_fk ",
            )
        } else {
            ("", "")
        };
        let source = TestDb::create("fksrc");
        source.sql(&format!(
            "CREATE TABLE parent (id INT PRIMARY KEY, k INT, UNIQUE KEY (id, k)) ENGINE=InnoDB; \
             CREATE TABLE child (id INT PRIMARY KEY, parent_id INT, k INT, \
             {constraint}FOREIGN KEY (parent_id) REFERENCES parent (id) ON DELETE CASCADE, \
             {pair}FOREIGN KEY (parent_id, k) REFERENCES parent (id, k) \
             ON DELETE CASCADE ON UPDATE SET NULL) ENGINE=InnoDB; \
             INSERT INTO parent VALUES (1, 1); INSERT INTO child VALUES (1, 1, 1);"
        ));
        if trigger {
            source.sql(
                "CREATE TRIGGER child_bi BEFORE INSERT ON child FOR EACH ROW SET NEW.id = NEW.id;",
            );
        }
        let (_dir, schema, _) = schema_snapshot(&source);
        let target = TestDb::reserve("fkdst");
        init(&target, &schema, None, true).assert_success();
        target.sql("INSERT INTO parent VALUES (7, 7); INSERT INTO child VALUES (7, 7, 7);");
        let run = init(&target, &schema, None, true);
        let case = format!("named {named}, trigger {trigger}");
        run.assert_success();
        assert_eq!(target.count("parent"), 0, "{case}: {}", run.stderr);
        assert_same_bytes(
            "mysqldump",
            &format!("source ({case})"),
            &source.schema_dump(),
            "replaced target",
            &target.schema_dump(),
        );
        // The keys are the new tables' own, and they hold.
        let keys = target.sql(
            "SELECT COUNT(*) FROM information_schema.REFERENTIAL_CONSTRAINTS \
             WHERE CONSTRAINT_SCHEMA = DATABASE() AND TABLE_NAME = 'child' AND REFERENCED_TABLE_NAME = 'parent'",
        );
        assert_eq!(keys, "2\n", "{case}");
        let orphan = target.try_sql("INSERT INTO child VALUES (9, 9, NULL);");
        assert!(orphan.is_err(), "{case}: the key does not hold");
        target.sql("INSERT INTO parent VALUES (2, 2); INSERT INTO child VALUES (2, 2, 2); DELETE FROM parent WHERE id = 2;");
        assert_eq!(
            target.count("child"),
            0,
            "{case}: ON DELETE CASCADE was lost"
        );
        target.assert_no_staging_leftovers();
    }
}

/// A unique index that the rows break, on a table whose block of the data
/// file ends before the next table's: its indexes are built while the next
/// table loads, on a connection of their own, and the failure still ends
/// the init with the server's message and the target as it was.
#[test]
fn init_with_rows_that_break_an_index_built_during_the_load_keeps_target() {
    let dir = tempdir();
    let (schema, data) = (dir.join("schema.sql"), dir.join("data.sql"));
    // The schema has the unique key; the rows come from a twin without it.
    const TABLES: &str = "CREATE TABLE first_t (id INT PRIMARY KEY, code INT, UNIQUE KEY code_u (code)) \
                          ENGINE=InnoDB; \
                          CREATE TABLE second_t (id INT PRIMARY KEY, v VARCHAR(20), KEY v_i (v)) ENGINE=InnoDB;";
    let with_key = TestDb::create("keyed");
    with_key.sql(TABLES);
    export_schema_ok(&with_key, &schema);
    let rows = TestDb::create("rows");
    rows.sql(&TABLES.replace(", UNIQUE KEY code_u (code)", ""));
    rows.sql(
        "INSERT INTO first_t SELECT seq, seq % 50 FROM seq_1_to_100; \
         INSERT INTO second_t SELECT seq, CONCAT('v', seq) FROM seq_1_to_20000;",
    );
    export_data_ok(&rows, &data, &[]);
    let text = std::fs::read_to_string(&data).unwrap();
    assert!(
        line_of(&text, "INSERT INTO `first_t`") < line_of(&text, "INSERT INTO `second_t`"),
        "first_t's block comes first"
    );
    let run = failed_init_over_existing::<MyServer>(&schema, Some(&data), true);
    for words in ["`first_t`", "Duplicate entry", "code_u"] {
        assert!(
            run.stderr.contains(words),
            "no {words:?} in: {}",
            run.stderr
        );
    }
}
