//! MySQL/MariaDB export of large values (issue 7 §7) and of big tables read
//! in primary-key ranges on several connections (issue 10).
//!
//! Values above the server's max_allowed_packet (16 MiB by default) cannot be
//! written with INSERT or built with string functions, so the tests load them
//! with `LOAD DATA LOCAL INFILE`, which has no such limit.

use std::io::Write;
use std::path::Path;

use crate::support::commands::path_str;
use crate::support::mysql::{assert_same_data, TestDb};
use crate::support::{commands, tempdir};

const MIB: usize = 1024 * 1024;

/// The bound the export keeps every multi-row INSERT's tuples under.
const STATEMENT_BYTES: usize = MIB;

/// `LOAD DATA LOCAL INFILE` of `file` into `into` (a table and column list).
fn load_data(db: &TestDb, dir: &Path, file: &Path, into: &str) {
    let script = dir.join("load.sql");
    std::fs::write(
        &script,
        format!(
            "LOAD DATA LOCAL INFILE '{}' INTO TABLE {into};\n",
            path_str(file)
        ),
    )
    .unwrap();
    db.load_file(&script, &["--local-infile=1"]);
}

/// Bytes of every value but tab, newline and backslash (LOAD DATA's field,
/// line and escape characters), in a pattern that does not repeat quickly.
fn binary_bytes(len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i * 7 + i / 251) as u8)
        .map(|b| {
            if matches!(b, b'\t' | b'\n' | b'\\') {
                0
            } else {
                b
            }
        })
        .collect()
}

/// The INSERT lines of the file, as (table, line length, rows in the line).
fn inserts(path: &Path) -> Vec<(String, usize, usize)> {
    let data = std::fs::read(path).unwrap();
    data.split(|&b| b == b'\n')
        .filter(|l| l.starts_with(b"INSERT INTO "))
        .map(|l| {
            let table = String::from_utf8_lossy(
                &l[12..l[13..].iter().position(|&b| b == b'`').unwrap() + 14],
            )
            .into_owned();
            // Tuples are separated by `),(`; the test values never hold it.
            let rows = l.windows(3).filter(|w| w == b"),(").count() + 1;
            (table, l.len(), rows)
        })
        .collect()
}

/// A 9 MiB blob (an 18 MiB hex literal) and 24 MiB text and blob values
/// are exported, each alone in its INSERT; every other INSERT stays under
/// the size bound; `check` passes, and `import` and `init --data` restore
/// every value on a server with the default max_allowed_packet.
#[test]
fn large_values_are_exported_alone_in_their_statements() {
    let _alone = crate::support::large_values_one_at_a_time();
    let dir = tempdir();
    let source = TestDb::create("src");
    source.sql(
        "CREATE TABLE big (id INT PRIMARY KEY, b LONGBLOB, t LONGTEXT) \
             ENGINE=InnoDB DEFAULT CHARSET=utf8mb4; \
         INSERT INTO big (id, b, t) SELECT seq, UNHEX(REPEAT('00ff5c27', 40)), \
             REPEAT('small ''row'' ', 20) FROM seq_1_to_3000; \
         INSERT INTO big (id, b) VALUES (5000, REPEAT(UNHEX('00ff5c270a0d1a22'), 9 * 1024 * 1024 / 8)); \
         INSERT INTO big (id, t) SELECT seq, 'after' FROM seq_5001_to_5010;",
    );
    // 24 MiB of text with quotes, NUL, Ctrl-Z, CR, non-ASCII and (escaped
    // for LOAD DATA) backslashes and newlines, then a 24 MiB blob.
    let text_file = dir.join("text.tsv");
    let piece = "it's \"quoted\" \0 \x1a \r é 漢 \\\\ \\n end;";
    let mut text = b"6000\t".to_vec();
    let mut pieces = 0;
    while text.len() < 24 * MIB {
        text.extend_from_slice(piece.as_bytes());
        pieces += 1;
    }
    // LOAD DATA reads each `\\` and `\n` as one character.
    let text_len = text.len() - 5 - 2 * pieces;
    text.push(b'\n');
    std::fs::write(&text_file, &text).unwrap();
    load_data(
        &source,
        dir.path(),
        &text_file,
        "big CHARACTER SET utf8mb4 (id, t)",
    );
    let blob_file = dir.join("blob.tsv");
    let mut blob = std::fs::File::create(&blob_file).unwrap();
    blob.write_all(b"7000\t").unwrap();
    blob.write_all(&binary_bytes(24 * MIB)).unwrap();
    blob.write_all(b"\n").unwrap();
    drop(blob);
    load_data(
        &source,
        dir.path(),
        &blob_file,
        "big CHARACTER SET binary (id, b)",
    );
    assert_eq!(
        source.sql("SELECT id, LENGTH(b), LENGTH(t) FROM big WHERE id >= 5000 AND id NOT BETWEEN 5001 AND 5010 ORDER BY id;"),
        format!("5000\t{}\tNULL\n6000\tNULL\t{}\n7000\t{}\tNULL\n", 9 * MIB, text_len, 24 * MIB)
    );

    let schema = dir.join("schema.sql");
    let data = dir.join("data.sql");
    commands::export_schema_ok(&source, &schema);
    let run = commands::export_data(&source, &data, &[]);
    run.assert_success();
    // The 24 MiB rows need a target with a larger max_allowed_packet, and the
    // export says so; the 9 MiB blob's 18 MiB statement too.
    assert!(run.stderr.contains("max_allowed_packet"), "{run}");

    let statements = inserts(&data);
    let rows: usize = statements.iter().map(|s| s.2).sum();
    assert_eq!(rows, 3000 + 1 + 10 + 2, "rows in the INSERTs");
    let large: Vec<_> = statements
        .iter()
        .filter(|s| s.1 > STATEMENT_BYTES + 200)
        .collect();
    assert_eq!(large.len(), 3, "statements above the bound: {large:?}");
    for (table, len, rows) in &large {
        assert_eq!(
            (table.as_str(), *rows),
            ("`big`", 1),
            "a large row shares its INSERT ({len} bytes)"
        );
    }
    let sizes: Vec<usize> = large.iter().map(|s| s.1 / MIB).collect();
    // 9 MiB as hex; 24 MiB of text and its escapes; 24 MiB as hex.
    assert!(
        sizes[0] == 18 && (24..30).contains(&sizes[1]) && sizes[2] == 48,
        "MiB of the three large INSERTs: {sizes:?}"
    );
    commands::check(&data, &[]).assert_success();

    let target = TestDb::reserve("dst");
    commands::init(&target, &schema, None, false).assert_success();
    // The loader streams rows as LOAD DATA LOCAL, which max_allowed_packet
    // does not bound: every value comes back on a default server.
    commands::import(&target, &data, &[]).assert_success();
    assert_same_data(&source, &target);
    // And so does init, on its two loader connections.
    let built = TestDb::reserve("init");
    commands::init(&built, &schema, Some(&data), false).assert_success();
    assert_same_data(&source, &built);
}

/// A writer commits the same change to a pair of tables (and to both ends
/// of a table big enough to be read in key ranges on two connections) in a
/// loop while the export runs: the file holds all of those changes or none.
#[test]
fn parallel_export_is_one_consistent_snapshot() {
    let dir = tempdir();
    let source = TestDb::create("src");
    source.sql(
        "CREATE TABLE a_pair (id INT PRIMARY KEY, v BIGINT NOT NULL) ENGINE=InnoDB; \
         CREATE TABLE m_big (id BIGINT PRIMARY KEY, v BIGINT NOT NULL, pad VARCHAR(200)) ENGINE=InnoDB; \
         CREATE TABLE z_pair (id INT PRIMARY KEY, v BIGINT NOT NULL) ENGINE=InnoDB; \
         CREATE TABLE stop (id INT PRIMARY KEY) ENGINE=InnoDB; \
         INSERT INTO a_pair VALUES (1, 0); INSERT INTO z_pair VALUES (1, 0); \
         INSERT INTO m_big SELECT seq, 0, REPEAT(CHAR(65 + seq % 26), 200) FROM seq_1_to_300000; \
         ANALYZE TABLE m_big;
         DELIMITER //
         CREATE PROCEDURE writer() BEGIN \
           DECLARE n INT DEFAULT 0; \
           WHILE n < 1000000 AND NOT EXISTS (SELECT 1 FROM stop) DO \
             START TRANSACTION; \
             UPDATE a_pair SET v = v + 1; \
             UPDATE m_big SET v = v + 1 WHERE id IN (1, 300000); \
             UPDATE z_pair SET v = v + 1; \
             COMMIT; \
             SET n = n + 1; \
           END WHILE; \
         END//
         DELIMITER ;
         ",
    );
    let writer = {
        let (server, name) = (source.server(), source.name().to_string());
        std::thread::spawn(move || server.sql(&name, "CALL writer();"))
    };
    // The writer is running before the export starts.
    while source.sql("SELECT v FROM a_pair;").trim() == "0" {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let data = dir.join("data.sql");
    let run = commands::export_data(&source, &data, &["--jobs", "2"]);
    source.sql("INSERT INTO stop VALUES (1);");
    writer.join().unwrap();
    run.assert_success();
    commands::check(&data, &[]).assert_success();

    let text = String::from_utf8_lossy(&std::fs::read(&data).unwrap()).into_owned();
    let value = |table: &str, id: &str| -> String {
        let prefix = format!("INSERT INTO `{table}` (`id`,`v`");
        let tuple = format!("({id},");
        let line = text
            .lines()
            .filter(|l| l.starts_with(&prefix))
            .flat_map(|l| l.split_once(" VALUES ").unwrap().1.split("),("))
            .map(|t| t.trim_start_matches('(').to_string())
            .find(|t| format!("({t}").starts_with(&tuple))
            .unwrap_or_else(|| panic!("no row {id} of {table} in the file"));
        line.split(',')
            .nth(1)
            .unwrap()
            .trim_end_matches([')', ';'])
            .to_string()
    };
    let seen = [
        value("a_pair", "1"),
        value("m_big", "1"),
        value("m_big", "300000"),
        value("z_pair", "1"),
    ];
    assert!(
        seen.iter().all(|v| v == &seen[0]),
        "the export mixes moments: a_pair, m_big's first and last rows, z_pair hold {seen:?}"
    );
    assert_ne!(
        seen[0], "0",
        "the export missed changes committed before it started"
    );
}

/// Two tables, each with a few values over the large-statement threshold
/// (a tenth of the server's redo log; lowered to 200 KB here), loaded by
/// init on its two connections: such statements go one at a time (two
/// side by side can stall InnoDB when the redo log is small), and one
/// warning names the table, the statement's size, the redo log's size and
/// the setting to raise. Every row comes back, with the same checksums.
#[test]
fn large_statements_on_two_loader_connections_go_one_at_a_time() {
    let dir = tempdir();
    let source = TestDb::create("src");
    source.sql(
        "CREATE TABLE a (id INT PRIMARY KEY, b LONGBLOB) ENGINE=InnoDB; \
         CREATE TABLE c (id INT PRIMARY KEY, t LONGTEXT) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4; \
         INSERT INTO a SELECT seq, REPEAT(UNHEX(CONCAT('00ff5c27', HEX(seq))), 64 * 1024) FROM seq_1_to_4; \
         INSERT INTO a SELECT seq, 'small' FROM seq_5_to_2000; \
         INSERT INTO c SELECT seq, REPEAT(CONCAT('it''s é text ', seq), 30000) FROM seq_1_to_4; \
         INSERT INTO c SELECT seq, 'small' FROM seq_5_to_2000;",
    );
    let schema = dir.join("schema.sql");
    let data = dir.join("data.sql");
    commands::export_schema_ok(&source, &schema);
    commands::export_data_ok(&source, &data, &[]);
    let large: Vec<_> = inserts(&data)
        .into_iter()
        .filter(|s| s.1 > 200_000)
        .map(|s| s.0)
        .collect();
    assert!(
        large.iter().filter(|t| *t == "`a`").count() >= 2
            && large.iter().filter(|t| *t == "`c`").count() >= 2,
        "statements over 200 KB: {large:?}"
    );

    let target = TestDb::reserve("dst");
    let url = target.url();
    let run = crate::support::dbsnap(
        &[
            "init",
            "--url",
            &url,
            "--schema",
            path_str(&schema),
            "--data",
            path_str(&data),
        ],
        &[("DBSNAP_TEST_LARGE_STATEMENT_BYTES", "200000")],
    );
    run.assert_success();
    let warnings: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.starts_with("dbsnap: warning: table "))
        .collect();
    assert_eq!(warnings.len(), 1, "{run}");
    let warning = warnings[0];
    // The file's first large statement is a's; c's come after all of a's rows.
    assert!(
        warning.starts_with("dbsnap: warning: table `a` has a statement of "),
        "{run}"
    );
    assert!(
        warning.contains(" KiB, more than a tenth of the server's redo log ("),
        "{run}"
    );
    let redo = source
        .sql("SELECT @@GLOBAL.innodb_log_file_size")
        .trim()
        .parse::<u64>()
        .unwrap();
    assert!(
        warning.contains(&format!(
            "(innodb_log_file_size = {:.1} MiB)",
            redo as f64 / 1048576.0
        )) || warning.contains("(innodb_redo_log_capacity = "),
        "{run}"
    );
    assert!(warning.contains("loaded one at a time"), "{run}");
    assert!(warning.contains("Raise innodb_"), "{run}");
    assert_eq!(
        target.sql("SELECT (SELECT COUNT(*) FROM a), (SELECT COUNT(*) FROM c), \
                    (SELECT SUM(LENGTH(b)) FROM a WHERE id <= 4), (SELECT SUM(CHAR_LENGTH(t)) FROM c WHERE id <= 4)"),
        source.sql("SELECT (SELECT COUNT(*) FROM a), (SELECT COUNT(*) FROM c), \
                    (SELECT SUM(LENGTH(b)) FROM a WHERE id <= 4), (SELECT SUM(CHAR_LENGTH(t)) FROM c WHERE id <= 4)"),
    );
    assert_same_data(&source, &target);
    commands::verify_source(&source, &target, &["--checksum"]).assert_success();
    commands::verify_manifest(&data, &target, &["--checksum"]).assert_success();
}
