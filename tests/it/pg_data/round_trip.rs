//! Round trips through export-data and `init --data` (the corpus samples,
//! the project's shop and the adversarial fixture), psql loading our plain
//! file, and a pg_dump data file through `import`.

use super::*;
use crate::support::tests_calling;

/// Schema unchanged by the data load: pg_dump of source and target are equal.
fn assert_same_schema(rt: &RoundTrip) {
    assert_same_text(
        "pg_dump",
        "source",
        &rt.source.pg_dump_schema(),
        "target",
        &rt.target.pg_dump_schema(),
    );
}

/// [`data_round_trip`] and [`assert_same_schema`] of a corpus sample; skipped
/// without a corpus (see [`corpus_present`]).
fn corpus_round_trip(data_name: &str, sample: Sample) {
    if !corpus_present() {
        return;
    }
    let rt = data_round_trip(data_name, |db| db.load(sample));
    assert_same_schema(&rt);
}

tests_calling!(corpus_round_trip {
    data_roundtrip_pagila => ("pagila.sql", Sample::Pagila),
    data_roundtrip_chinook => ("chinook.sql.gz", Sample::Chinook),
    data_roundtrip_chinook_serial => ("chinook_serial.sql.zst", Sample::ChinookSerial),
    data_roundtrip_northwind => ("northwind.sql.gz", Sample::Northwind),
    data_roundtrip_sakila_jooq => ("sakila.sql.zst", Sample::SakilaJooq),
});

/// The project's own sample: an enum, domains, partitions, an FK cycle, a
/// trigger, a materialized view, identity columns and hard-to-quote text.
#[test]
fn data_roundtrip_shop() {
    let rt = data_round_trip("shop.sql.zst", |db| db.load_shop(1));
    assert_same_schema(&rt);
    let notes = |db: &TestDb| {
        db.psql("SELECT count(*) FROM public.customer WHERE strpos(note, E'\\\\.') > 0")
    };
    assert_ne!(notes(&rt.source).trim(), "0", "no `\\.` in the notes");
    assert_eq!(notes(&rt.source), notes(&rt.target));
}

/// `(table or domain, constraint)` of every NOT VALID constraint.
fn not_valid_constraints(db: &TestDb) -> Vec<String> {
    db.psql(
        "SELECT coalesce(conrelid::regclass::text, contypid::regtype::text) || ' ' || conname \
         FROM pg_constraint WHERE NOT convalidated ORDER BY 1",
    )
    .lines()
    .map(str::to_string)
    .collect()
}

#[test]
fn data_roundtrip_adversarial() {
    let rt = data_round_trip("adversarial.sql", |db| db.load_fixture(ADVERSARIAL));
    assert_same_schema(&rt);

    // NOT VALID constraints (with violating rows present) exist and are still NOT VALID.
    let source_nv = not_valid_constraints(&rt.source);
    for name in [
        "fk_orphan_not_valid",
        "qty_nonneg",
        "price_nonneg",
        "zip_len",
    ] {
        assert!(
            source_nv.iter().any(|c| c.ends_with(&format!(" {name}"))),
            "fixture lacks NOT VALID constraint {name}: {source_nv:?}"
        );
    }
    assert_eq!(
        not_valid_constraints(&rt.target),
        source_nv,
        "NOT VALID constraints differ after init --data"
    );
    let violating = rt
        .target
        .psql("SELECT count(*) FROM public.check_demo WHERE qty < 0");
    assert_eq!(
        violating.trim(),
        "1",
        "the row violating qty_nonneg is gone"
    );

    // Tables written by triggers and rules: the load must not have fired them.
    for table in ["public.audit_log", "public.ruled_log"] {
        let count = |db: &TestDb| db.psql(&format!("SELECT count(*) FROM ONLY {table}"));
        let (s, t) = (count(&rt.source), count(&rt.target));
        assert_ne!(s.trim(), "0", "{table} is empty in the source");
        assert_eq!(
            s,
            t,
            "{table}: {} rows in the source, {} in the target",
            s.trim(),
            t.trim()
        );
    }
}

/// A file may give a table's rows in two COPY blocks (pg_dump files joined
/// by hand). `init` deals blocks to its connections biggest first once it
/// has read ahead of them, but a table's second block must wait for its
/// first, which empties the table: else the first would delete the rows of
/// the second.
#[test]
fn init_loads_a_table_given_in_two_copy_blocks() {
    let p = shop_exported();
    let mut cmd = Command::new("pg_dump");
    cmd.args(["--data-only", "--no-owner", "--no-privileges", "-d"])
        .arg(p.source.url());
    let run = run_tool(cmd, Duration::from_secs(300));
    assert_eq!(run.code, Some(0), "pg_dump failed:\n{}", run.stderr);
    // Two thirds of order_line's rows move to a block of their own at the
    // end of the file: the bigger one, dealt first when both wait.
    let mut lines: Vec<&str> = run.stdout.lines().collect();
    let start = lines
        .iter()
        .position(|l| l.starts_with("COPY public.order_line "))
        .expect("pg_dump wrote order_line's rows");
    assert!(
        lines[..start]
            .iter()
            .filter(|l| l.starts_with("COPY "))
            .count()
            >= 2,
        "two blocks come before order_line's, to keep both connections busy"
    );
    let end = start + lines[start..].iter().position(|l| *l == "\\.").unwrap();
    let rows = end - start - 1;
    assert!(rows >= 3, "order_line has {rows} rows: too few to split");
    let copy = lines[start];
    let moved: Vec<&str> = lines.drain(start + 1 + rows / 3..end).collect();
    lines.push(copy);
    lines.extend(moved);
    lines.push("\\.");
    let dump = p.dir.join("two_blocks.sql");
    std::fs::write(&dump, lines.join("\n") + "\n").unwrap();

    // Both connections stop at their first chunk while the reader reads
    // the whole file ahead, holding every later block, both of
    // order_line's among them.
    let target = TestDb::reserve("twoblocks");
    let pause = p.dir.join("paused");
    let (mut child, stderr) = crate::support::Dbsnap::new()
        .args(init_args(&target, &p.schema, Some(&dump), true))
        .spawn_paused_at("read-back", &pause);
    thread::sleep(Duration::from_secs(2));
    std::fs::remove_file(&pause).unwrap();
    let code = crate::support::wait_or_kill(&mut child, Duration::from_secs(300));
    let stderr = stderr.join().unwrap();
    assert_eq!(code, Some(0), "{stderr}");
    p.state.assert_same(
        "source vs target built from two blocks",
        &DbState::capture(&target),
    );
}

/// `init` empties a table before its first block (for COPY FREEZE). It
/// once knew a table by the name a block gave it, so the same table reached
/// again under another name (after `SET search_path`), or a partition after
/// a block of its partitioned parent had routed rows into it, was emptied
/// again: the earlier rows were lost and init said it was done.
#[test]
fn init_keeps_rows_that_reached_a_table_under_another_name() {
    let source = TestDb::create("twonames");
    source.psql(
        "CREATE TABLE public.t (a int PRIMARY KEY, b text);
         INSERT INTO public.t VALUES (1, 'one'), (2, 'two');
         CREATE TABLE public.parent (id int, region text) PARTITION BY LIST (region);
         CREATE TABLE public.p_eu PARTITION OF public.parent FOR VALUES IN ('eu');
         CREATE TABLE public.p_us PARTITION OF public.parent FOR VALUES IN ('us');",
    );
    let dir = tempdir();
    let schema = dir.join("schema.sql");
    export_schema_ok(&source, &schema);
    let mut cmd = Command::new("pg_dump");
    cmd.args(["--data-only", "--table", "public.t", "-d"])
        .arg(source.url());
    let run = run_tool(cmd, Duration::from_secs(300));
    assert_eq!(run.code, Some(0), "pg_dump failed:\n{}", run.stderr);
    let trailer = run
        .stdout
        .rfind("--\n-- PostgreSQL database dump complete")
        .expect("pg_dump's trailer");
    let routed = 20_000;
    let mut added = String::from(
        "SET search_path = public;\nCOPY t (a, b) FROM stdin;\n3\tthree\n4\tfour\n\\.\n\n\
         SELECT pg_catalog.set_config('search_path', '', false);\n\
         COPY public.parent (id, region) FROM stdin;\n",
    );
    for id in 10..10 + routed {
        added += &format!("{id}\t{}\n", if id % 2 == 0 { "eu" } else { "us" });
    }
    added += "\\.\n\nCOPY public.p_us (id, region) FROM stdin;\n3\tus\n\\.\n\n";
    let dump = dir.join("joined.sql");
    std::fs::write(
        &dump,
        format!(
            "{}{added}{}",
            &run.stdout[..trailer],
            &run.stdout[trailer..]
        ),
    )
    .unwrap();

    let target = TestDb::reserve("twonames_t");
    init(&target, &schema, Some(&dump), true).assert_success();
    let counts = target.psql(
        "SELECT (SELECT count(*) FROM public.t), (SELECT count(*) FROM public.p_eu), \
                (SELECT count(*) FROM public.p_us)",
    );
    assert_eq!(
        counts.trim(),
        format!("4|{}|{}", routed / 2, routed / 2 + 1),
        "t, p_eu, p_us"
    );
}

// --- psql loads our plain file --------------------------------------------------------

#[test]
fn psql_loads_plain_data_export() {
    let p = shop_exported();
    let target = schema_only_target("psql", &p.schema);
    let mut cmd = Command::new("psql");
    cmd.args(["-X", "-q", "-1", "-v", "ON_ERROR_STOP=1", "-d"])
        .arg(target.url())
        .arg("-f")
        .arg(&p.data)
        .env_remove("PGOPTIONS");
    let run = run_tool(cmd, Duration::from_secs(300));
    assert_eq!(
        run.code,
        Some(0),
        "psql -1 -f {} failed:\n{}",
        p.data.display(),
        run.stderr
    );
    p.state
        .assert_same("source vs psql-loaded target", &DbState::capture(&target));
}

// --- 3. pg_dump --data-only through dbsnap import ------------------------------------------------

#[test]
fn import_pg_dump_data_only_file() {
    let p = shop_exported();
    let dump = p.dir.join("pg_dump_data.sql");
    let mut cmd = Command::new("pg_dump");
    cmd.args(["--data-only", "--no-owner", "--no-privileges", "-f"])
        .arg(&dump)
        .arg("-d")
        .arg(p.source.url());
    let run = run_tool(cmd, Duration::from_secs(300));
    assert_eq!(run.code, Some(0), "pg_dump failed:\n{}", run.stderr);

    let target = schema_only_target("pgdump", &p.schema);
    import(&target, &dump, &["--disable-constraints"]).assert_success();
    p.state.assert_same(
        "source vs target loaded from pg_dump",
        &DbState::capture(&target),
    );
    verify_source(&p.source, &target, &["--checksum"]).assert_success();
}
