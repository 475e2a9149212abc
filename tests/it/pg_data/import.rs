//! `import` refusing damaged files and duplicate rows with nothing committed,
//! `--truncate` over partitioned parents, a backend terminated mid-load, and
//! the indexes it drops and builds again.

use super::*;
use crate::support::server::Server;
use crate::support::session::Session;

// --- 4. rejected files leave the target unchanged -----------------------------------------------

/// Problems with a rejected import: not exit 1, a panic, or `target` no longer
/// as `before`.
fn rejection_problems(case: &str, run: &Run, target: &TestDb, before: &DbState) -> Vec<String> {
    let mut problems = Vec::new();
    if run.code != Some(1) {
        problems.push(format!("{case}: import should fail with exit 1\n{run}"));
    }
    if run.stderr.contains("panicked") {
        problems.push(format!("{case}: dbsnap panicked\n{run}"));
    }
    if let Some(diff) = before.differences(
        &format!("{case}: target before vs after the failed import"),
        &DbState::capture(target),
    ) {
        problems.push(format!("{diff}\n(dbsnap stderr: {})", run.stderr.trim()));
    }
    problems
}

/// Asserts an import failed (exit 1) and left `target` exactly as `before`.
#[track_caller]
fn assert_rejected(case: &str, run: &Run, target: &TestDb, before: &DbState) {
    let problems = rejection_problems(case, run, target, before);
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

/// A damaged copy of a data file, and what its error message must mention.
struct BadFile {
    case: &'static str,
    path: PathBuf,
    /// Each group: at least one of its (lowercase) words must be in stderr.
    mentions: Vec<Vec<String>>,
}

#[test]
fn import_rejects_damaged_files_and_commits_nothing() {
    let p = shop_exported();
    let text = read_text(&p.data);
    let lines = lines_with_ends(&text);

    let mut bad: Vec<BadFile> = Vec::new();
    let truncated = || {
        vec![
            "truncated".to_string(),
            "end of file".to_string(),
            "end marker".to_string(),
        ]
    };

    // (a) cut inside the COPY data of public.order_line, at a line boundary
    // (every row kept is valid) and in the middle of a row.
    let order_line = copy_line(&text, "public.order_line");
    let block_rows = lines[order_line..]
        .iter()
        .position(|l| *l == "\\.\n")
        .expect("end of order_line data");
    assert!(block_rows > 100, "order_line has only {block_rows} rows");
    let cut = order_line + block_rows / 2; // 0-based index of the first line left out
    let path = p.dir.join("cut_in_copy.sql");
    write_file(&path, lines[..cut].concat());
    bad.push(BadFile {
        case: "(a) cut at a row boundary inside COPY data",
        mentions: vec![
            vec![p
                .dir
                .join("cut_in_copy.sql")
                .display()
                .to_string()
                .to_lowercase()],
            truncated(),
        ],
        path,
    });
    let mut mid_row = lines[..cut].concat();
    mid_row.push_str(&lines[cut][..lines[cut].len() / 2]);
    let path = p.dir.join("cut_mid_row.sql");
    write_file(&path, mid_row);
    bad.push(BadFile {
        case: "(a) cut in the middle of a COPY row",
        mentions: vec![
            vec![p
                .dir
                .join("cut_mid_row.sql")
                .display()
                .to_string()
                .to_lowercase()],
            truncated(),
        ],
        path,
    });

    // (b) cut at a statement boundary: after the `\.` of order_line (no manifest, no
    // end marker), and with only the end marker missing.
    let path = p.dir.join("cut_after_table.sql");
    write_file(&path, lines[..order_line + block_rows + 1].concat());
    bad.push(BadFile {
        case: "(b) cut after a complete COPY block",
        mentions: vec![truncated()],
        path,
    });
    assert_eq!(lines.last(), Some(&"-- dbsnap:end\n"));
    let path = p.dir.join("no_end_marker.sql");
    write_file(&path, lines[..lines.len() - 1].concat());
    bad.push(BadFile {
        case: "(b) only the end marker missing",
        mentions: vec![truncated()],
        path,
    });

    // (c) a corrupt .gz and a corrupt .zst: one byte flipped in the middle.
    for (name, magic) in [("data.sql.gz", GZIP_MAGIC), ("data.sql.zst", ZSTD_MAGIC)] {
        let good = p.dir.join(name);
        export_data_ok(&p.source, &good, &[]);
        assert_magic(&good, magic);
        let mut bytes = std::fs::read(&good).unwrap();
        let mid = bytes.len() / 2;
        bytes[mid] ^= 0x55;
        let path = p.dir.join(&format!("corrupt_{name}"));
        write_file(&path, bytes);
        bad.push(BadFile {
            case: if magic == GZIP_MAGIC {
                "(c) corrupt gzip file"
            } else {
                "(c) corrupt zstd file"
            },
            mentions: vec![],
            path,
        });
    }

    // (d) a file for another engine.
    let engine_line = "-- dbsnap:engine postgresql\n";
    assert_eq!(
        text.matches(engine_line).count(),
        1,
        "no single engine line"
    );
    let path = p.dir.join("wrong_engine.sql");
    write_file(
        &path,
        text.replacen(engine_line, "-- dbsnap:engine mysql\n", 1),
    );
    bad.push(BadFile {
        case: "(d) a MySQL snapshot",
        mentions: vec![vec!["mysql".into()], vec!["postgres".into()]],
        path,
    });

    // (e) one value changed in a COPY row: valid data, wrong checksum.
    let customer = copy_line(&text, "public.customer");
    let first = lines[customer]; // the first data line (0-based index = 1-based COPY line)
    assert!(
        first.starts_with("1\tCustomer 1\t"),
        "unexpected first customer row {first:?}"
    );
    let mut changed: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    changed[customer] = first.replacen("Customer 1\t", "Customer 7\t", 1);
    let path = p.dir.join("changed_value.sql");
    write_file(&path, changed.concat());
    bad.push(BadFile {
        case: "(e) a changed value in a COPY row",
        mentions: vec![vec!["corrupt".into(), "manifest".into()]],
        path,
    });

    // Targets: one holding the source's rows (imports with --truncate, so that
    // only the damage can make them fail), one empty (plain imports).
    let loaded = TestDb::reserve("loaded");
    init(&loaded, &p.schema, Some(&p.data), true).assert_success();
    let loaded_before = DbState::capture(&loaded);
    p.state
        .assert_same("source vs loaded target", &loaded_before);
    let empty = schema_only_target("empty", &p.schema);
    let empty_before = DbState::capture(&empty);
    assert_eq!(empty_before.total_rows(), 0);

    let initial: BTreeMap<&str, Positions> = [&loaded, &empty]
        .into_iter()
        .map(|db| (db.name(), sequence_positions(db)))
        .collect();
    // Every case runs (against a state captured just before it), and all
    // problems are reported together.
    let mut problems: Vec<String> = Vec::new();
    for b in &bad {
        for (target, extra, label) in [
            (&loaded, &["--truncate"][..], "loaded target, --truncate"),
            (&empty, &[][..], "empty target"),
        ] {
            let case = format!("{} [{label}]", b.case);
            // setval is not transactional: put back sequences an earlier case
            // may have moved, so that each case is judged on its own.
            restore_sequences(target, &initial[target.name()]);
            let before = DbState::capture(target);
            let run = import(target, &b.path, extra);
            let stderr = run.stderr.to_lowercase();
            for group in &b.mentions {
                if !group.iter().any(|w| stderr.contains(w.as_str())) {
                    problems.push(format!("{case}: stderr mentions none of {group:?}\n{run}"));
                }
            }
            problems.extend(rejection_problems(&case, &run, target, &before));
        }
    }
    assert!(
        problems.is_empty(),
        "{} problem(s) with rejected imports:\n\n{}",
        problems.len(),
        problems.join("\n\n")
    );
    p.state.assert_same(
        "source vs loaded target at the end",
        &DbState::capture(&loaded),
    );
    assert_eq!(
        DbState::capture(&empty).total_rows(),
        0,
        "rows in the empty target"
    );
}

/// Panics unless stderr of `run` has each of `needles` (`what` for messages).
#[track_caller]
fn assert_says(run: &Run, needles: &[&str], what: &str) {
    for needle in needles {
        assert!(
            run.stderr.contains(needle),
            "stderr lacks `{needle}` ({what})\n{run}"
        );
    }
}

#[test]
fn import_duplicate_rows_names_file_line_and_table() {
    let p = shop_exported();
    let text = read_text(&p.data);
    let lines = lines_with_ends(&text);
    let path = p.data.display().to_string();
    const DUPLICATE: &str = "duplicate key value violates unique constraint";

    // The same file twice: the second import fails on the first row of the
    // first table (every table of the sample has a primary key).
    let (first_copy, first_line) = lines
        .iter()
        .enumerate()
        .find(|(_, l)| l.starts_with("COPY "))
        .expect("a COPY statement");
    let first_table = first_line.split(' ').nth(1).expect("COPY <table>");
    let target = schema_only_target("twice", &p.schema);
    import(&target, &p.data, &[]).assert_success();
    let before = DbState::capture(&target);
    p.state.assert_same("source vs imported target", &before);
    let run = import(&target, &p.data, &[]);
    let location = format!("{path}:{}:", first_copy + 2);
    assert_says(
        &run,
        &[&location, first_table, DUPLICATE],
        "the second import",
    );
    assert_rejected("importing the same file twice", &run, &target, &before);

    // ...and with --truncate it loads, giving the source again.
    import(&target, &p.data, &["--truncate"]).assert_success();
    p.state.assert_same(
        "source vs target after import --truncate",
        &DbState::capture(&target),
    );
    verify_source(&p.source, &target, &["--checksum"]).assert_success();

    // One conflicting row in the middle of a COPY block: the message points at
    // exactly that line of the file.
    let target = schema_only_target("midrow", &p.schema);
    target.psql(
        "INSERT INTO public.customer (id, name, email, created_at) \
         VALUES (120, 'ONLY', 'only@example.com', now())",
    );
    let before = DbState::capture(&target);
    let customer = copy_line(&text, "public.customer");
    let row_line = (customer..lines.len())
        .find(|&i| lines[i].starts_with("120\t"))
        .map(|i| i + 1)
        .expect("customer 120 in the file");
    assert!(
        row_line > customer + 50,
        "customer 120 is not in the middle of the block"
    );
    let run = import(&target, &p.data, &[]);
    let location = format!("{path}:{row_line}:");
    let why = format!("the conflicting row is line {row_line}");
    assert_says(&run, &[&location, "public.customer", "customer_pkey"], &why);
    assert_rejected("one conflicting row", &run, &target, &before);
    import(&target, &p.data, &["--truncate"]).assert_success();
    p.state.assert_same(
        "source vs target after import --truncate",
        &DbState::capture(&target),
    );
}

/// A foreign key declared on a partitioned table (not on each partition):
/// `import --truncate` empties the partitions and the referenced table, but
/// PostgreSQL refuses to truncate `customer` while the partitioned parent that
/// references it is not in the same TRUNCATE.
#[test]
fn import_truncate_with_fk_from_partitioned_parent() {
    let source = TestDb::create("src");
    source.psql(
        "CREATE TABLE public.customer (id integer PRIMARY KEY);
         CREATE TABLE public.orders (id integer, at date, customer_id integer REFERENCES public.customer,
                                     PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
         CREATE TABLE public.orders_2024 PARTITION OF public.orders FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
         INSERT INTO public.customer VALUES (1), (2);
         INSERT INTO public.orders VALUES (1, '2024-02-01', 1), (2, '2024-03-01', 2);",
    );
    let e = exported(source);
    let target = TestDb::reserve("dst");
    init(&target, &e.schema, Some(&e.data), true).assert_success();
    import(&target, &e.data, &["--truncate"]).assert_success();
    e.state.assert_same(
        "source vs target after import --truncate",
        &DbState::capture(&target),
    );
}

// --- 5. connection terminated during the import -----------------------------------------------

/// Deterministic: the import's transaction loads `public.big`, then waits for
/// a lock on the table after it, held by another session. Its backend is
/// terminated while it waits there, with `big`'s rows written but not committed.
#[test]
fn import_terminated_backend_commits_nothing() {
    let source = big_source();
    source.psql("CREATE TABLE public.zz_last (id integer PRIMARY KEY); INSERT INTO public.zz_last VALUES (1), (2);");
    let dir = tempdir();
    let (schema, data) = export_both(&source, dir.path(), "big.sql.zst");
    let plain = dir.join("big.sql");
    export_data_ok(&source, &plain, &[]);
    let text = read_text(&plain);
    assert!(
        copy_line(&text, "public.big") < copy_line(&text, "public.zz_last"),
        "public.big is not loaded before public.zz_last: the test needs another table order"
    );
    let target = schema_only_target("dst", &schema);

    let mut holder = Session::open(
        &target,
        "BEGIN; LOCK TABLE public.zz_last IN ACCESS EXCLUSIVE MODE;",
    );
    let (mut child, err) = Dbsnap::new()
        .args(["import", "--url", &target.url(), path_str(&data)])
        .spawn();

    // The import's backend, waiting for the lock on zz_last.
    let waiting = "SELECT l.pid FROM pg_locks l \
         WHERE NOT l.granted AND l.relation = 'public.zz_last'::regclass";
    let deadline = Instant::now() + Duration::from_secs(300);
    let pid = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            panic!(
                "the import finished ({status}) without waiting for the lock on public.zz_last\n{}",
                err.join().unwrap_or_default()
            );
        }
        if let Some(pid) = target.psql(waiting).lines().next() {
            break pid.to_string();
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the import never waited for the lock on public.zz_last");
        }
        thread::sleep(Duration::from_millis(50));
    };
    // big's rows are written (the table has grown), not committed.
    let size: u64 = target
        .psql("SELECT pg_relation_size('public.big')")
        .trim()
        .parse()
        .expect("relation size");
    assert!(
        size > 0,
        "public.big has no rows written before the lock wait"
    );
    let done = server().psql(
        &server().maintenance_db(),
        &format!("SELECT pg_terminate_backend({pid})"),
    );
    assert_eq!(done.trim(), "t", "pg_terminate_backend({pid}) failed");

    // The import must fail (a timeout here is a hang, not a timing assertion).
    let deadline = Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("dbsnap import still running 120 s after its backend {pid} was terminated");
        }
        thread::sleep(Duration::from_millis(20));
    };
    holder.close();
    let stderr = err.join().unwrap_or_default();
    assert_eq!(
        status.code(),
        Some(1),
        "import exited with {status} after its backend was terminated\nstderr: {stderr}"
    );
    assert!(!stderr.contains("panicked"), "dbsnap panicked:\n{stderr}");
    for table in ["public.big", "public.zz_last"] {
        assert_eq!(
            target.psql(&format!("SELECT count(*) FROM {table}")).trim(),
            "0",
            "rows committed to {table} although the import's connection was terminated\nstderr: {stderr}"
        );
    }
}

// --- import drops and rebuilds indexes (issue 10) -----------------------------------------

/// A table with one index of every shape `import` drops before the rows and
/// builds again after them, beside indexes it must leave alone (a primary key,
/// one with a comment, one a foreign key uses), and a foreign key it drops and
/// adds back after the whole file.
const INDEXED_SCHEMA: &str = "
CREATE SCHEMA \"Odd sch\";
CREATE TABLE \"Odd sch\".\"Item\" (
    id integer PRIMARY KEY,
    code text NOT NULL,
    qty integer,
    doc jsonb,
    note text
);
CREATE INDEX item_qty ON \"Odd sch\".\"Item\" (qty DESC NULLS LAST) WITH (fillfactor = 70);
CREATE UNIQUE INDEX \"Item code\" ON \"Odd sch\".\"Item\" (code);
CREATE INDEX item_partial ON \"Odd sch\".\"Item\" (qty) INCLUDE (note) WHERE qty > 10;
CREATE INDEX item_lower ON \"Odd sch\".\"Item\" (lower(note) text_pattern_ops);
CREATE INDEX item_doc ON \"Odd sch\".\"Item\" USING gin (doc jsonb_path_ops);
CREATE INDEX item_hash ON \"Odd sch\".\"Item\" USING hash (code);
CREATE INDEX item_commented ON \"Odd sch\".\"Item\" (note);
COMMENT ON INDEX \"Odd sch\".item_commented IS 'kept as it is';
CREATE UNIQUE INDEX item_code_qty ON \"Odd sch\".\"Item\" (code, qty);
CREATE TABLE \"Odd sch\".line (
    id integer PRIMARY KEY,
    code text,
    qty integer,
    FOREIGN KEY (code, qty) REFERENCES \"Odd sch\".\"Item\" (code, qty)
);
CREATE INDEX line_code ON \"Odd sch\".line (code);
";

const INDEXED_ROWS: &str = "
INSERT INTO \"Odd sch\".\"Item\"
SELECT i, 'c' || i, i % 50, jsonb_build_object('k', i % 7), CASE WHEN i % 9 > 0 THEN 'Note ' || i END
FROM generate_series(1, 3000) i;
INSERT INTO \"Odd sch\".line SELECT i, 'c' || i, i % 50 FROM generate_series(1, 2000) i;
";

#[test]
fn import_rebuilds_dropped_indexes_exactly_and_keeps_them_on_failure() {
    let source = TestDb::create("src");
    source.psql(INDEXED_SCHEMA);
    source.psql(INDEXED_ROWS);
    let state = DbState::capture(&source);
    let dir = tempdir();
    let data = dir.join("data.sql");
    export_data_ok(&source, &data, &[]);

    // Into empty tables: the indexes are dropped and built again.
    let target = TestDb::create("dst");
    target.psql(INDEXED_SCHEMA);
    let catalog = target.pg_dump_schema();
    import(&target, &data, &[]).assert_success();
    state.assert_same("source vs imported target", &DbState::capture(&target));
    assert_catalog_kept("an import", &catalog, &target);
    // The rebuilt indexes are used and agree with the rows.
    assert_eq!(
        target
            .psql(
                "SET enable_seqscan = off; \
             SELECT count(*) FROM \"Odd sch\".\"Item\" WHERE qty > 40 AND qty < 45"
            )
            .trim(),
        "240"
    );

    // --truncate empties the tables in the transaction; COPY FREEZE loads them.
    import(&target, &data, &["--truncate"]).assert_success();
    state.assert_same(
        "source vs target after --truncate",
        &DbState::capture(&target),
    );
    assert_catalog_kept("import --truncate", &catalog, &target);

    // A duplicate under a unique index that was dropped for the load: the
    // rebuild fails, names the file, the table and the index, and the
    // rollback gives the indexes and rows back.
    let text = read_text(&data);
    let bad = dir.join("duplicate.sql");
    let copy = copy_line(&text, "\"Odd sch\".\"Item\"");
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    // Row 2 of the block takes row 1's code: `Item code` no longer holds.
    let first_code = lines[copy].split('\t').nth(1).unwrap().to_string();
    let mut second: Vec<String> = lines[copy + 1].split('\t').map(str::to_string).collect();
    second[1] = first_code;
    lines[copy + 1] = second.join("\t");
    write_file(&bad, lines.join("\n") + "\n");
    let empty = TestDb::create("fail");
    empty.psql(INDEXED_SCHEMA);
    let before = DbState::capture(&empty);
    let run = import(&empty, &bad, &["--truncate"]);
    for needle in [
        format!("{}:{}:", bad.display(), copy),
        "Item".to_string(),
        "Item code".to_string(),
        "could not create unique index".to_string(),
    ] {
        assert!(
            run.stderr.contains(&needle),
            "stderr lacks `{needle}`\n{run}"
        );
    }
    assert_rejected(
        "a duplicate under a dropped unique index",
        &run,
        &empty,
        &before,
    );
    assert_catalog_kept("a failed import", &catalog, &empty);

    // A row whose foreign key points nowhere: the key, dropped for the load,
    // fails when it comes back; the message names the table's COPY line and
    // the key, and the rollback gives the key back.
    let orphan_source = TestDb::create("orphan");
    orphan_source.psql(INDEXED_SCHEMA);
    orphan_source.psql("ALTER TABLE \"Odd sch\".line DROP CONSTRAINT line_code_qty_fkey");
    orphan_source.psql(INDEXED_ROWS);
    orphan_source.psql("UPDATE \"Odd sch\".line SET code = 'nowhere' WHERE id = 7");
    let orphan = dir.join("orphan.sql");
    export_data_ok(&orphan_source, &orphan, &[]);
    let copy = copy_line(&read_text(&orphan), "\"Odd sch\".line");
    let run = import(&empty, &orphan, &["--truncate"]);
    for needle in [
        format!("{}:{}:", orphan.display(), copy),
        "line_code_qty_fkey".to_string(),
        "violates foreign key constraint".to_string(),
    ] {
        assert!(
            run.stderr.contains(&needle),
            "stderr lacks `{needle}`\n{run}"
        );
    }
    assert_rejected("a row without its referenced row", &run, &empty, &before);
    assert_catalog_kept("an import failing on a foreign key", &catalog, &empty);

    // A table that already holds rows keeps its indexes and takes the rows.
    let partial = TestDb::create("rows");
    partial.psql(INDEXED_SCHEMA);
    partial.psql("INSERT INTO \"Odd sch\".\"Item\" VALUES (9000, 'other', 1, NULL, NULL)");
    import(&partial, &data, &[]).assert_success();
    assert_eq!(
        partial
            .psql("SELECT count(*) FROM \"Odd sch\".\"Item\"")
            .trim(),
        "3001"
    );
    assert_catalog_kept("an import into a non-empty table", &catalog, &partial);
}

/// Orders partitioned two levels deep, with a foreign key declared on the
/// partitioned parent; `kept` is partitioned too, but its partition's copy of
/// the key has a name of its own (the partition had it before it was
/// attached), so dropping and adding the key again would rename it.
const PARTITIONED_KEYS: &str = "
CREATE TABLE public.customer (id integer PRIMARY KEY);
CREATE TABLE public.orders (id integer, at date, customer_id integer NOT NULL,
                            PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
ALTER TABLE public.orders ADD CONSTRAINT orders_customer_fkey
    FOREIGN KEY (customer_id) REFERENCES public.customer (id);
CREATE TABLE public.orders_2024 PARTITION OF public.orders
    FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE public.orders_2025 PARTITION OF public.orders
    FOR VALUES FROM ('2025-01-01') TO ('2026-01-01') PARTITION BY HASH (id);
CREATE TABLE public.orders_2025_a PARTITION OF public.orders_2025 FOR VALUES WITH (MODULUS 2, REMAINDER 0);
CREATE TABLE public.orders_2025_b PARTITION OF public.orders_2025 FOR VALUES WITH (MODULUS 2, REMAINDER 1);
CREATE TABLE public.kept (id integer, customer_id integer) PARTITION BY LIST (id);
CREATE TABLE public.kept_1 (id integer, customer_id integer
    CONSTRAINT kept_1_own_name REFERENCES public.customer (id));
ALTER TABLE public.kept ADD CONSTRAINT kept_customer_fkey
    FOREIGN KEY (customer_id) REFERENCES public.customer (id);
ALTER TABLE public.kept ATTACH PARTITION public.kept_1 FOR VALUES IN (1, 2, 3);
";

const PARTITIONED_ROWS: &str = "
INSERT INTO public.customer SELECT g FROM generate_series(1, 50) g;
INSERT INTO public.orders SELECT g, date '2024-06-01' + g % 500, 1 + g % 50 FROM generate_series(1, 600) g;
INSERT INTO public.kept SELECT 1 + g % 3, 1 + g % 50 FROM generate_series(1, 30) g;
";

/// `pg_dump -s` of `db` is still `catalog`.
#[track_caller]
fn assert_catalog_kept(around: &str, catalog: &str, db: &TestDb) {
    assert_same_text(
        &format!("catalog around {around}"),
        "before",
        catalog,
        "after",
        &db.pg_dump_schema(),
    );
}

/// Every foreign key, partitions' copies included (pg_dump leaves those out).
fn foreign_keys(db: &TestDb) -> String {
    db.psql(
        "SELECT string_agg(r || ' ' || conname || ' ' || pg_get_constraintdef(oid), E'\\n' ORDER BY r, conname) \
         FROM (SELECT conrelid::regclass::text AS r, * FROM pg_constraint WHERE contype = 'f') k",
    )
}

/// A key that a partitioned table declares is dropped from all its partitions
/// for the load (a lookup per row locks every referenced row, 5x slower at
/// scale) and added back over all of them; the catalog ends as it began, a
/// partition's copy of a key under a name of its own stays untouched, and an
/// orphan row fails the key when it comes back, leaving the target as it was.
#[test]
fn import_adds_a_partitioned_tables_foreign_key_back_exactly() {
    let source = TestDb::create("src");
    source.psql(PARTITIONED_KEYS);
    source.psql(PARTITIONED_ROWS);
    let e = exported(source);
    // Built by hand: a schema snapshot, like pg_dump's, gives kept_1's copy
    // of the key its parent's name.
    let target = TestDb::create("dst");
    target.psql(PARTITIONED_KEYS);
    let (catalog, keys) = (target.pg_dump_schema(), foreign_keys(&target));
    assert!(keys.contains("kept_1 kept_1_own_name"), "{keys}");
    assert!(
        keys.contains("orders_2025_b orders_customer_fkey"),
        "{keys}"
    );
    import(&target, &e.data, &[]).assert_success();
    e.state
        .assert_same("source vs imported target", &DbState::capture(&target));
    assert_catalog_kept("the import", &catalog, &target);
    assert_same_text(
        "foreign keys",
        "before",
        &keys,
        "after",
        &foreign_keys(&target),
    );

    // An order of a customer that is not there: the key fails as it comes
    // back, naming itself and its partitioned table.
    let orphan_source = TestDb::create("orphan");
    orphan_source.psql(PARTITIONED_KEYS);
    orphan_source.psql("ALTER TABLE public.orders DROP CONSTRAINT orders_customer_fkey");
    orphan_source.psql(PARTITIONED_ROWS);
    orphan_source.psql("UPDATE public.orders SET customer_id = 99 WHERE id = 500");
    let orphan = e.dir.join("orphan.sql");
    export_data_ok(&orphan_source, &orphan, &[]);
    let empty = TestDb::create("fail");
    empty.psql(PARTITIONED_KEYS);
    let before = DbState::capture(&empty);
    let run = import(&empty, &orphan, &[]);
    assert_says(
        &run,
        &[
            "orders_customer_fkey (of public.orders)",
            "violates foreign key constraint",
        ],
        "an orphan under a partitioned table's key",
    );
    assert_rejected("an orphan row in a partition", &run, &empty, &before);
    assert_same_text(
        "foreign keys around a failed import",
        "before",
        &keys,
        "after",
        &foreign_keys(&empty),
    );
}

/// A table partitioned two levels deep, with partitioned indexes `import`
/// drops from the top of their tree for the load and builds again after the
/// whole file: one whose members PostgreSQL named, a unique one (not a
/// constraint), and one whose members have names of their own (made first,
/// attached after). `ev_at` has a member with a comment: it stays.
const PARTED_INDEXES: &str = "
CREATE SCHEMA \"P sch\";
CREATE TABLE \"P sch\".ev (id integer, at date, kind text, n integer) PARTITION BY RANGE (at);
CREATE TABLE \"P sch\".ev_2024 PARTITION OF \"P sch\".ev FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE \"P sch\".ev_2025 PARTITION OF \"P sch\".ev
    FOR VALUES FROM ('2025-01-01') TO ('2026-01-01') PARTITION BY HASH (id);
CREATE TABLE \"P sch\".ev_2025_a PARTITION OF \"P sch\".ev_2025 FOR VALUES WITH (MODULUS 2, REMAINDER 0);
CREATE TABLE \"P sch\".ev_2025_b PARTITION OF \"P sch\".ev_2025 FOR VALUES WITH (MODULUS 2, REMAINDER 1);
CREATE INDEX ev_kind ON \"P sch\".ev (kind, n DESC);
CREATE UNIQUE INDEX \"ev Uniq\" ON \"P sch\".ev (id, at);
CREATE INDEX ev_n_2024_own ON \"P sch\".ev_2024 (n);
CREATE INDEX ev_n ON ONLY \"P sch\".ev (n);
CREATE INDEX ev_2025_n ON ONLY \"P sch\".ev_2025 (n);
CREATE INDEX ev_2025_a_own ON \"P sch\".ev_2025_a (n);
CREATE INDEX ev_2025_b_own ON \"P sch\".ev_2025_b (n);
ALTER INDEX \"P sch\".ev_2025_n ATTACH PARTITION \"P sch\".ev_2025_a_own;
ALTER INDEX \"P sch\".ev_2025_n ATTACH PARTITION \"P sch\".ev_2025_b_own;
ALTER INDEX \"P sch\".ev_n ATTACH PARTITION \"P sch\".ev_n_2024_own;
ALTER INDEX \"P sch\".ev_n ATTACH PARTITION \"P sch\".ev_2025_n;
CREATE INDEX ev_at ON \"P sch\".ev (at);
COMMENT ON INDEX \"P sch\".ev_2024_at_idx IS 'kept as it is';
";

const PARTED_ROWS: &str = "
INSERT INTO \"P sch\".ev SELECT g, date '2024-06-01' + g % 400, 'k' || g % 7, g % 13
FROM generate_series(1, 900) g;
";

/// Every index of the partitioned table and its oid (a rebuilt index has a new one).
fn parted_index_oids(db: &TestDb) -> String {
    db.psql(
        "SELECT string_agg(c.relname || ' ' || c.oid, E'\\n' ORDER BY c.relname) FROM pg_class c \
         JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'P sch' AND c.relkind IN ('i', 'I')",
    )
}

#[test]
fn import_builds_a_partitioned_tables_indexes_back_exactly() {
    let source = TestDb::create("src");
    source.psql(PARTED_INDEXES);
    source.psql(PARTED_ROWS);
    let e = exported(source);
    let target = TestDb::create("dst");
    target.psql(PARTED_INDEXES);
    let (catalog, before) = (target.pg_dump_schema(), parted_index_oids(&target));
    import(&target, &e.data, &[]).assert_success();
    e.state
        .assert_same("source vs imported target", &DbState::capture(&target));
    assert_catalog_kept("the import", &catalog, &target);
    // Rebuilt: every index of the three trees; kept: ev_at's tree.
    let after = parted_index_oids(&target);
    let (old, new): (Vec<&str>, Vec<&str>) = (before.lines().collect(), after.lines().collect());
    assert_eq!(old.len(), 20, "{before}");
    for (o, n) in old.iter().zip(&new) {
        let same = o == n;
        let name = o.split(' ').next().unwrap();
        let kept = name == "ev_at" || (name.ends_with("_at_idx") && !name.ends_with("_id_at_idx"));
        assert_eq!(same, kept, "{o} -> {n}");
    }
    assert_eq!(
        target
            .psql("SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'P sch' AND NOT i.indisvalid")
            .trim(),
        "0",
        "an index left invalid"
    );

    // A partition that holds rows already: the trees stay, the rows come in.
    let partial = TestDb::create("rows");
    partial.psql(PARTED_INDEXES);
    partial.psql("INSERT INTO \"P sch\".ev VALUES (5000, '2025-03-01', 'x', 1)");
    let before = parted_index_oids(&partial);
    import(&partial, &e.data, &[]).assert_success();
    assert_eq!(
        parted_index_oids(&partial),
        before,
        "indexes rebuilt over old rows"
    );
    assert_eq!(
        partial.psql("SELECT count(*) FROM \"P sch\".ev").trim(),
        "901"
    );

    // Two rows with the same (id, at): the unique tree fails as it comes
    // back, naming itself, its table and the first partition's COPY line;
    // the rollback gives everything back.
    let dup_source = TestDb::create("dup");
    dup_source.psql(&PARTED_INDEXES.replace(
        "CREATE UNIQUE INDEX \"ev Uniq\" ON \"P sch\".ev (id, at);",
        "",
    ));
    dup_source.psql(PARTED_ROWS);
    dup_source.psql("INSERT INTO \"P sch\".ev VALUES (2, date '2024-06-01' + 2, 'again', 0)");
    let dup = e.dir.join("dup.sql");
    export_data_ok(&dup_source, &dup, &[]);
    let first_copy = 1 + read_text(&dup)
        .lines()
        .position(|l| l.starts_with("COPY \"P sch\".ev_"))
        .expect("a COPY of a partition");
    let empty = TestDb::create("fail");
    empty.psql(PARTED_INDEXES);
    let before = DbState::capture(&empty);
    let run = import(&empty, &dup, &[]);
    assert_says(
        &run,
        &[
            &format!("{}:{first_copy}:", dup.display()),
            "\"P sch\".\"ev Uniq\" (of \"P sch\".ev)",
            "could not create unique index",
        ],
        "a duplicate under a partitioned unique index",
    );
    assert_rejected("a duplicate in a partition", &run, &empty, &before);
    assert_catalog_kept("a failed import", &catalog, &empty);
}

/// A partitioned index over a table with a foreign-table partition has no
/// member there; made again with ON ONLY it would never become valid. The
/// import leaves it alone (same oid, valid, catalog unchanged) and loads
/// the local partition's rows.
#[test]
fn import_leaves_a_partitioned_index_over_a_foreign_partition() {
    const TABLES: &str = "
        CREATE TABLE public.fx (id integer, at date) PARTITION BY RANGE (at);
        CREATE TABLE public.fx_a PARTITION OF public.fx FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');";
    const FOREIGN: &str = "
        CREATE EXTENSION file_fdw;
        CREATE SERVER dbsnap_files FOREIGN DATA WRAPPER file_fdw;
        CREATE FOREIGN TABLE public.fx_f PARTITION OF public.fx
            FOR VALUES FROM ('2020-01-01') TO ('2021-01-01') SERVER dbsnap_files OPTIONS (filename '/dev/null');";
    const INDEX: &str = "CREATE INDEX fx_at ON public.fx (at);";
    let source = TestDb::create("src");
    source.psql(TABLES);
    source.psql(INDEX);
    source.psql("INSERT INTO public.fx SELECT g, date '2024-01-01' + g % 300 FROM generate_series(1, 500) g");
    let e = exported(source);
    let target = TestDb::create("dst");
    target.psql(TABLES);
    target.psql(FOREIGN);
    target.psql(INDEX);
    let index = "SELECT 'fx_at'::regclass::oid || ' ' || indisvalid FROM pg_index WHERE indexrelid = 'fx_at'::regclass";
    let (catalog, before) = (target.pg_dump_schema(), target.psql(index));
    assert!(before.trim().ends_with(" true"), "{before}");
    import(&target, &e.data, &[]).assert_success();
    assert_eq!(
        target.psql(index),
        before,
        "the index was rebuilt or left invalid"
    );
    assert_eq!(
        target.psql("SELECT count(*) FROM public.fx_a").trim(),
        "500"
    );
    assert_catalog_kept("the import", &catalog, &target);
}

/// A data file may set search_path between its tables (old pg_dump files
/// name tables unqualified after `SET search_path`). What import takes down
/// for a load and puts back after the file is named in full when it is read:
/// a file that switches search_path after its rows cannot move a foreign key
/// or an index onto a same-named table of another schema. And a table that
/// `--truncate` emptied under one meaning of a name is not loaded under
/// another: that stops the import with nothing committed. A sequence
/// position, set after the whole file, goes to the sequence its name meant
/// at its line.
#[test]
fn import_puts_back_what_it_took_down_whatever_search_path_the_file_sets() {
    let target = TestDb::create("dst");
    target.psql(
        "CREATE SCHEMA a; CREATE SCHEMA b;
         CREATE FUNCTION a.f(text) RETURNS text IMMUTABLE LANGUAGE sql AS 'SELECT lower($1)';
         CREATE FUNCTION b.f(text) RETURNS text IMMUTABLE LANGUAGE sql AS 'SELECT upper($1)';
         CREATE TABLE a.p (id int PRIMARY KEY); CREATE TABLE b.p (id int PRIMARY KEY);
         CREATE TABLE a.c (id int PRIMARY KEY, p_id int REFERENCES a.p (id), t text);
         CREATE INDEX c_f ON a.c (a.f(t));
         CREATE TABLE b.c (id int PRIMARY KEY, p_id int, t text);
         CREATE TABLE public.c (id int PRIMARY KEY, p_id int, t text);
         INSERT INTO a.p VALUES (1); INSERT INTO b.p VALUES (1);
         INSERT INTO public.c VALUES (7, 7, 'kept');",
    );
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("search_path.sql");
    std::fs::write(
        &data,
        "--\n-- PostgreSQL database dump\n--\n\nSET search_path = a;\n\n\
         COPY c (id, p_id, t) FROM stdin;\n1\t1\tOne\n\\.\n\nSET search_path = b;\n\n\
         --\n-- PostgreSQL database dump complete\n--\n",
    )
    .unwrap();
    let catalog = target.pg_dump_schema();
    let keys = foreign_keys(&target);
    assert!(
        keys.contains("a.c c_p_id_fkey FOREIGN KEY (p_id) REFERENCES a.p(id)"),
        "{keys}"
    );

    import(&target, &data, &[]).assert_success();
    assert_eq!(foreign_keys(&target), keys, "a foreign key moved");
    assert_catalog_kept("an import that switches search_path", &catalog, &target);
    assert_eq!(
        target.psql("SELECT id || ' ' || t FROM a.c").trim(),
        "1 One"
    );
    assert_eq!(target.psql("SELECT count(*) FROM b.c").trim(), "0");

    // --truncate empties what `c` means at the start (public.c); the file's
    // COPY means a.c. Nothing may be emptied or loaded.
    let state = "SELECT string_agg(s || ':' || id, ' ' ORDER BY s, id) FROM \
                 (SELECT 'public' s, id FROM public.c UNION ALL SELECT 'a', id FROM a.c) x";
    let before = target.psql(state);
    import(&target, &data, &["--truncate"])
        .assert_code(1)
        .assert_names_line(
            &data,
            7,
            &[
                "table c: --truncate emptied public.c for this name, but here the name means a.c",
                "Nothing was committed",
            ],
        );
    assert_eq!(target.psql(state), before);
    assert_catalog_kept("the refused --truncate", &catalog, &target);

    // The same with INSERTs (pg_dump --inserts): public.c lost its row, for
    // good, before this was checked.
    let inserts = dir.path().join("inserts.sql");
    std::fs::write(
        &inserts,
        "--\n-- PostgreSQL database dump\n--\n\nSET search_path = a;\n\n\
         INSERT INTO c (id, p_id, t) VALUES (2, 1, 'Two');\n\n\
         --\n-- PostgreSQL database dump complete\n--\n",
    )
    .unwrap();
    import(&target, &inserts, &["--truncate"])
        .assert_code(1)
        .assert_names_line(
            &inserts,
            7,
            &["table c: --truncate emptied public.c for this name, but here the name means a.c"],
        );
    assert_eq!(target.psql(state), before);
    // Without --truncate the rows go where the file's name means.
    import(&target, &inserts, &[]).assert_success();
    assert_eq!(
        target.psql(state).trim(),
        "a:1 a:2 public:7",
        "the INSERT went elsewhere"
    );

    // A sequence position is set after the whole file, on the sequence its
    // name meant where the file set it.
    target.psql("CREATE SEQUENCE a.s; CREATE SEQUENCE b.s; SELECT setval('b.s', 5);");
    let positions = dir.path().join("positions.sql");
    std::fs::write(
        &positions,
        "--\n-- PostgreSQL database dump\n--\n\nSET search_path = a;\n\n\
         SELECT pg_catalog.setval('s', 42, true);\n\nSET search_path = b;\n\n\
         --\n-- PostgreSQL database dump complete\n--\n",
    )
    .unwrap();
    import(&target, &positions, &[]).assert_success();
    assert_eq!(
        target
            .psql("SELECT string_agg(n || ' ' || last_value || ' ' || is_called, ', ' ORDER BY n) FROM (SELECT 'a' n, * FROM a.s UNION ALL SELECT 'b', * FROM b.s) x")
            .trim(),
        "a 42 true, b 5 true",
        "the position went to another sequence"
    );
}

/// The data file's settings apply to its rows only. A file that sets
/// default_tablespace (here `pg_global`, where no index of a database may
/// go, so that a leak cannot pass unseen) must not shape the indexes that
/// `import` builds again after the rows, nor `init`'s post-data: each lands
/// where the schema puts it, and the catalog matches the source's.
#[test]
fn a_data_files_default_tablespace_shapes_no_index() {
    let source = TestDb::create("src");
    source.psql(
        "CREATE TABLE public.t (id int, v int);
         CREATE INDEX t_v ON public.t (v);
         CREATE TABLE public.pt (id int, at date) PARTITION BY RANGE (at);
         CREATE TABLE public.pt_2024 PARTITION OF public.pt FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
         CREATE INDEX pt_at ON public.pt (at);
         INSERT INTO public.t SELECT g, g % 7 FROM generate_series(1, 300) g;
         INSERT INTO public.pt SELECT g, date '2024-01-01' + g % 300 FROM generate_series(1, 300) g;",
    );
    let e = exported(source);
    let text = std::fs::read_to_string(&e.data).unwrap();
    let settings = "SET row_security = off;\n";
    assert!(text.contains(settings), "{text}");
    let data = e.dir.path().join("tablespace.sql");
    std::fs::write(
        &data,
        text.replacen(
            settings,
            &format!("{settings}SET default_tablespace = pg_global;\n"),
            1,
        ),
    )
    .unwrap();

    let target = schema_only_target("imp", &e.schema);
    let catalog = target.pg_dump_schema();
    import(&target, &data, &[]).assert_success();
    assert_catalog_kept("an import under default_tablespace", &catalog, &target);
    e.state
        .assert_same("source vs import", &DbState::capture(&target));

    let built = TestDb::reserve("init");
    init(&built, &e.schema, Some(&data), true).assert_success();
    assert_catalog_kept("init under default_tablespace", &catalog, &built);
    e.state
        .assert_same("source vs init", &DbState::capture(&built));
}

/// A target whose columns drifted to types that round or cut the file's
/// values (PostgreSQL does that without an error) stops the import before
/// the table's rows, naming the column and both types; the target stays as
/// it was. Columns widened to types that hold every value load, exactly.
#[test]
fn a_target_column_that_would_round_the_files_values_stops_the_import() {
    let source = TestDb::create("src");
    source.psql(
        "CREATE TABLE public.t (id int, n numeric(10,4), f double precision, ts timestamp(6),
                                c char(5), v varchar(4), \"we,ird\" int[]);
         INSERT INTO public.t VALUES (1, 1.2345, 0.123456789012, '2020-01-01 10:00:00.7', 'ab', 'x', '{1}'),
                                     (2, 99.5, 1e300, '2020-01-01 10:00:00', 'abcde', 'wxyz', NULL);",
    );
    let dir = tempdir();
    let data = dir.path().join("data.sql");
    export_data_ok(&source, &data, &[]);
    let text = std::fs::read_to_string(&data).unwrap();
    assert!(
        text.contains(
            "-- dbsnap:column-types [\"integer\",\"numeric(10,4)\",\"double precision\","
        ),
        "{text}"
    );
    let target = TestDb::create("dst");
    let create = |types: [&str; 7]| {
        target.psql(&format!(
            "DROP TABLE IF EXISTS public.t;
             CREATE TABLE public.t (id {}, n {}, f {}, ts {}, c {}, v {}, \"we,ird\" {});
             INSERT INTO public.t (id) VALUES (7);",
            types[0], types[1], types[2], types[3], types[4], types[5], types[6]
        ));
    };
    let fitting = [
        "int",
        "numeric(10,4)",
        "float8",
        "timestamp(6)",
        "char(5)",
        "varchar(4)",
        "int[]",
    ];
    for (column, drifted, says) in [
        (
            1,
            "numeric(5,2)",
            "column \"n\" is numeric(10,4) in the file but numeric(5,2) in the target",
        ),
        (
            2,
            "real",
            "column \"f\" is double precision in the file but real in the target",
        ),
        (
            3,
            "timestamp(0)",
            "timestamp(0) without time zone in the target",
        ),
        (
            4,
            "text",
            "column \"c\" is character(5) in the file but text in the target",
        ),
        (
            6,
            "int",
            "column \"we,ird\" is integer[] in the file but integer in the target",
        ),
    ] {
        let mut types = fitting;
        types[column] = drifted;
        create(types);
        let before = DbState::capture(&target);
        let run = import(&target, &data, &[]);
        assert_rejected(drifted, &run, &target, &before);
        assert_says(
            &run,
            &[&format!("{}:", path_str(&data)), "table public.t", says],
            drifted,
        );
    }
    // init of a schema snapshot that drifted from the data's: the same.
    create([
        "int",
        "numeric(5,2)",
        "float8",
        "timestamp(6)",
        "char(5)",
        "varchar(4)",
        "int[]",
    ]);
    let drifted = dir.path().join("drifted.sql");
    export_schema_ok(&target, &drifted);
    let built = TestDb::reserve("init");
    let run = init(&built, &drifted, Some(&data), true);
    run.assert_code(1);
    assert_says(
        &run,
        &["table public.t", "numeric(5,2) in the target"],
        "init",
    );
    assert!(!built.exists(), "{run}");

    create([
        "bigint",
        "numeric(12,4)",
        "float8",
        "timestamp",
        "char(5)",
        "text",
        "bigint[]",
    ]);
    import(&target, &data, &[]).assert_success();
    assert_eq!(
        target.psql(
            "SELECT string_agg(concat_ws('|', id, n, f, ts, c, v, \"we,ird\"), ';' ORDER BY id) FROM public.t"
        ),
        "1|1.2345|0.123456789012|2020-01-01 10:00:00.7|ab   |x|{1};\
         2|99.5000|1e+300|2020-01-01 10:00:00|abcde|wxyz;7\n"
    );
}
