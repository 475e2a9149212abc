//! What the progress bar draws on a terminal (issue 8, item 3): a command
//! runs under a pseudo-terminal (util-linux `script`), and the captured
//! screen output must name the table being worked on with its expected rows
//! (the catalog's estimate for an export, the manifest for a load) and count
//! tables out of the total the catalog or the file header gives.

use std::process::Command;

use crate::support::server::Server;
use crate::support::testdb::TestDb;
use crate::support::{self, commands, mysql, pg};

/// The text a terminal would show, without colour and cursor sequences.
fn strip_escapes(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            if chars.peek() == Some(&'[') {
                chars.next();
                // CSI: parameters, then one final byte in @..~
                for c in chars.by_ref() {
                    if ('@'..='~').contains(&c) {
                        break;
                    }
                }
            }
            continue;
        }
        if c != '\r' {
            out.push(c);
        }
    }
    out
}

/// Runs dbsnap with `args` on a 200-column terminal; the screen as text.
fn on_terminal(args: &str) -> (bool, String) {
    let inner = format!(
        "stty cols 200 rows 40; exec '{}' {args}",
        env!("CARGO_BIN_EXE_dbsnap")
    );
    let run = Command::new("script")
        .args(["-qfec", &inner, "/dev/null"])
        .env_remove("DATABASE_URL")
        .output()
        .expect("run script(1) from util-linux");
    let screen = strip_escapes(&String::from_utf8_lossy(&run.stdout));
    (run.status.success(), screen)
}

/// The bar of a load: the table being loaded with the manifest's row count,
/// tables out of the header's count, and the file read so far with an ETA.
fn assert_load_bar(screen: &str, table: &str) {
    let line = screen
        .lines()
        .find(|l| l.contains(table) && l.contains("/~300,000 rows"))
        .unwrap_or_else(|| panic!("no line for {table} with the manifest's count:\n{screen}"));
    assert!(line.contains("ETA"), "{line}");
    let top = screen
        .lines()
        .find(|l| l.contains(" read, ") && l.contains("/2 tables"))
        .unwrap_or_else(|| panic!("no top line with the file read and 2 tables:\n{screen}"));
    assert!(top.contains("ETA") && top.contains("MiB"), "{top}");
    assert!(!screen.contains("/0 tables"), "{screen}");
}

/// `init --schema --data` of a copy of `source` on a terminal: the screen.
fn init_on_terminal<S: Server>(source: &TestDb<S>) -> String {
    let dir = support::tempdir();
    let (schema, data) = commands::export_both(source, dir.path(), "data.sql");
    let target = TestDb::<S>::reserve("bardst");
    let (ok, screen) = on_terminal(&format!(
        "init --url '{}' --schema '{}' --data '{}' --yes",
        target.url(),
        schema.display(),
        data.display()
    ));
    assert!(ok, "{screen}");
    screen
}

/// Post-data's line: steps counted by kind out of the schema file's.
fn assert_post_data_line(screen: &str, kinds: &[&str]) {
    let line = screen
        .lines()
        .find(|l| l.contains("post-data") && kinds.iter().all(|k| l.contains(&format!("{k} "))))
        .unwrap_or_else(|| panic!("no post-data line counting {kinds:?}:\n{screen}"));
    assert!(line.contains('/'), "{line}");
}

/// A PostgreSQL source with `big` (300,000 rows) and `small` (10 rows), and
/// `extra` run after them.
fn pg_big_and_small(label: &str, extra: &str) -> pg::TestDb {
    let db = pg::TestDb::create(label);
    db.psql(&format!(
        "CREATE TABLE big (id int PRIMARY KEY, payload text); \
         INSERT INTO big SELECT g, repeat('x', 40) FROM generate_series(1, 300000) g; \
         CREATE TABLE small (id int PRIMARY KEY); \
         INSERT INTO small SELECT generate_series(1, 10); {extra}"
    ));
    db
}

#[test]
fn init_on_postgres_shows_the_load_then_post_data_by_kind() {
    let source = pg_big_and_small(
        "barsrc",
        "CREATE INDEX big_payload ON big (payload); \
         ALTER TABLE small ADD COLUMN big_id int REFERENCES big; UPDATE small SET big_id = id;",
    );
    let screen = init_on_terminal(&source);
    assert_load_bar(&screen, "public.big");
    assert_post_data_line(&screen, &["indexes", "constraints", "foreign keys"]);
}

#[test]
fn import_bar_follows_the_file_with_manifest_counts() {
    let source = pg_big_and_small("barsrc", "");
    let dir = support::tempdir();
    let (schema, data) = commands::export_both(&source, dir.path(), "data.sql");
    let target = pg::TestDb::create("bardst");
    commands::init(&target, &schema, None, true).assert_success();
    let (ok, screen) = on_terminal(&format!(
        "import --url '{}' '{}'",
        target.url(),
        data.display()
    ));
    assert!(ok, "{screen}");
    assert_load_bar(&screen, "public.big");
}

#[test]
fn init_bar_on_mysql_follows_the_file_with_manifest_counts() {
    let source = mysql::TestDb::create("barsrc");
    source.sql(
        "CREATE TABLE big (id int PRIMARY KEY, payload text); \
         INSERT INTO big SELECT seq, repeat('x', 40) FROM seq_1_to_300000; \
         CREATE TABLE small (id int PRIMARY KEY, big_id int, FOREIGN KEY (big_id) REFERENCES big (id)); \
         INSERT INTO small SELECT seq, seq FROM seq_1_to_10;",
    );
    let screen = init_on_terminal(&source);
    assert_load_bar(&screen, "big");
    assert_post_data_line(&screen, &["foreign keys"]);
}

#[test]
fn export_bar_names_the_current_table_with_catalog_estimates() {
    let db = pg_big_and_small("bar", "");
    // VACUUM counts every row, so reltuples is exact.
    db.psql("VACUUM ANALYZE big; VACUUM ANALYZE small;");
    let dir = support::tempdir();
    let out = dir.join("data.sql");
    let (ok, screen) = on_terminal(&format!(
        "export-data --url '{}' -o '{}'",
        db.url(),
        out.display()
    ));
    assert!(ok, "{screen}");
    assert!(out.is_file(), "{screen}");

    // The line of the table being read: its name, the catalog's estimate, bytes, an ETA.
    let big_line = screen
        .lines()
        .find(|l| l.contains("public.big") && l.contains("/~300,000 rows"))
        .unwrap_or_else(|| panic!("no line for public.big with its estimate:\n{screen}"));
    assert!(big_line.contains("ETA"), "{big_line}");
    assert!(big_line.contains(" of ~"), "{big_line}");
    // The count of tables comes from the catalog from the first draw on.
    assert!(screen.contains("/2 tables"), "{screen}");
    assert!(!screen.contains("/0 tables"), "{screen}");
    // The bars are gone at the end; the summary line stays.
    assert!(screen.contains("wrote 2 tables, 300010 rows"), "{screen}");
}
