//! What the progress bar draws on a terminal (issue 8, item 3, export side):
//! export-data runs under a pseudo-terminal (util-linux `script`), and the
//! captured screen output must name the table being read with the catalog's
//! row estimate and count tables out of the catalog's total.

use std::process::Command;

use crate::support::{self, pg};

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

#[test]
fn export_bar_names_the_current_table_with_catalog_estimates() {
    let db = pg::TestDb::create("bar");
    db.psql(
        "CREATE TABLE big (id int PRIMARY KEY, payload text); \
         INSERT INTO big SELECT g, repeat('x', 40) FROM generate_series(1, 300000) g; \
         CREATE TABLE small (id int PRIMARY KEY); \
         INSERT INTO small SELECT generate_series(1, 10);",
    );
    // VACUUM counts every row, so reltuples is exact.
    db.psql("VACUUM ANALYZE big; VACUUM ANALYZE small;");
    let dir = support::tempdir();
    let out = dir.join("data.sql");
    let inner = format!(
        "stty cols 200 rows 40; exec '{}' export-data --url '{}' -o '{}'",
        env!("CARGO_BIN_EXE_dbsnap"),
        db.url(),
        out.display()
    );
    let run = Command::new("script")
        .args(["-qfec", &inner, "/dev/null"])
        .env_remove("DATABASE_URL")
        .output()
        .expect("run script(1) from util-linux");
    let screen = strip_escapes(&String::from_utf8_lossy(&run.stdout));
    assert!(run.status.success(), "{screen}");
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
