//! PostgreSQL data snapshots: `dbsnap export-data`, `import`, `init --data`,
//! `verify` and `check`.
//!
//! The oracle is independent of dbsnap: every user table's row count and the
//! md5 of its sorted rows (`t::text`), and every sequence's position, read with
//! psql ([`table_checksums`], [`sequence_positions`]).

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::commands::{
    check, export_data_ok, export_schema_ok, import, init, json_of, path_str, verify_manifest,
    verify_source,
};
use crate::support::pg::{literal, server, Sample, TestDb};
use crate::support::{
    assert_same_text, corpus_present, run_command, tempdir, Dbsnap, Run, ScratchDir,
    CONNECTION_VARS,
};

const ADVERSARIAL: &str = "pg/adversarial.sql";
const END: &str = "-- dbsnap:end";
const MANIFEST_TABLE: &str = "-- dbsnap:manifest-table ";
const GZIP_MAGIC: &[u8] = &[0x1f, 0x8b];
const ZSTD_MAGIC: &[u8] = &[0x28, 0xb5, 0x2f, 0xfd];
/// Rows of the generated big table (tests 5 and 9).
const BIG_ROWS: u64 = 2_000_000;

// --- the oracle ------------------------------------------------------------------------

/// `schema.table` (as `format('%I.%I')`) -> (rows, md5 of the rows sorted as text),
/// for every ordinary table (relkind 'r', partitions included, `ONLY`).
type Checksums = BTreeMap<String, (i64, String)>;
/// `schema.sequence` -> (last_value, is_called).
type Positions = BTreeMap<String, (String, bool)>;

/// Names of the user relations of one relkind, as `format('%I.%I')`.
fn relations_of_kind(db: &TestDb, relkind: char) -> Vec<String> {
    db.psql(&format!(
        "SELECT to_json(format('%I.%I', n.nspname, c.relname)) FROM pg_class c \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relkind = '{relkind}' \
           AND n.nspname NOT IN ('pg_catalog', 'information_schema') \
           AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%' \
         ORDER BY n.nspname, c.relname"
    ))
    .lines()
    .map(|l| serde_json::from_str::<String>(l).expect("JSON relation name"))
    .collect()
}

/// One JSON array per line -> values.
fn json_lines(out: &str) -> Vec<Vec<Value>> {
    out.lines()
        .filter(|l| !l.is_empty())
        .map(|l| match serde_json::from_str::<Value>(l) {
            Ok(Value::Array(a)) => a,
            other => panic!("not a JSON array: {l}: {other:?}"),
        })
        .collect()
}

fn table_checksums(db: &TestDb) -> Checksums {
    let tables = relations_of_kind(db, 'r');
    let mut out = Checksums::new();
    for chunk in tables.chunks(50) {
        let sql = chunk
            .iter()
            .map(|t| {
                format!(
                    "SELECT json_build_array({}, count(*), \
                     md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), ''))) FROM ONLY {t} t",
                    literal(t)
                )
            })
            .collect::<Vec<_>>()
            .join("\nUNION ALL\n");
        for row in json_lines(&db.psql(&sql)) {
            out.insert(
                row[0].as_str().expect("name").to_string(),
                (
                    row[1].as_i64().expect("count"),
                    row[2].as_str().expect("md5").to_string(),
                ),
            );
        }
    }
    out
}

fn sequence_positions(db: &TestDb) -> Positions {
    let seqs = relations_of_kind(db, 'S');
    let mut out = Positions::new();
    for chunk in seqs.chunks(50) {
        let sql = chunk
            .iter()
            .map(|s| {
                format!(
                    "SELECT json_build_array({}, last_value::text, is_called) FROM {s}",
                    literal(s)
                )
            })
            .collect::<Vec<_>>()
            .join("\nUNION ALL\n");
        for row in json_lines(&db.psql(&sql)) {
            out.insert(
                row[0].as_str().expect("name").to_string(),
                (
                    row[1].as_str().expect("last_value").to_string(),
                    row[2].as_bool().expect("is_called"),
                ),
            );
        }
    }
    out
}

/// Sets every sequence of `positions` back to its position there.
fn restore_sequences(db: &TestDb, positions: &Positions) {
    let sql: String = positions
        .iter()
        .map(|(name, (value, is_called))| {
            format!(
                "SELECT pg_catalog.setval({}, {value}, {is_called});\n",
                literal(name)
            )
        })
        .collect();
    if !sql.is_empty() {
        db.psql(&sql);
    }
}

/// Keys whose values differ between two maps, for messages.
fn map_differences<V: PartialEq + std::fmt::Debug>(
    left: &BTreeMap<String, V>,
    right: &BTreeMap<String, V>,
) -> Vec<String> {
    let keys: BTreeSet<&String> = left.keys().chain(right.keys()).collect();
    keys.into_iter()
        .filter(|k| left.get(*k) != right.get(*k))
        .map(|k| format!("{k}: {:?} vs {:?}", left.get(k), right.get(k)))
        .collect()
}

/// Everything the oracle sees of a database.
#[derive(Debug, Clone, PartialEq)]
struct DbState {
    tables: Checksums,
    sequences: Positions,
}

impl DbState {
    fn capture(db: &TestDb) -> DbState {
        DbState {
            tables: table_checksums(db),
            sequences: sequence_positions(db),
        }
    }

    fn total_rows(&self) -> i64 {
        self.tables.values().map(|(n, _)| n).sum()
    }

    /// What differs from `other` (tables, then sequences), if anything.
    fn differences(&self, what: &str, other: &DbState) -> Option<String> {
        let mut out = Vec::new();
        let tables = map_differences(&self.tables, &other.tables);
        if !tables.is_empty() {
            out.push(format!(
                "{what}: {} table(s) differ (rows, md5 of sorted rows):\n{}",
                tables.len(),
                tables.join("\n")
            ));
        }
        let seqs = map_differences(&self.sequences, &other.sequences);
        if !seqs.is_empty() {
            out.push(format!(
                "{what}: {} sequence position(s) differ (last_value, is_called):\n{}",
                seqs.len(),
                seqs.join("\n")
            ));
        }
        (!out.is_empty()).then(|| out.join("\n"))
    }

    /// Panics listing the differing tables / sequences.
    #[track_caller]
    fn assert_same(&self, what: &str, other: &DbState) {
        if let Some(diff) = self.differences(what, other) {
            panic!("{diff}");
        }
    }
}

// --- running things -------------------------------------------------------------------------

/// Runs another program (psql, pg_dump) with stdin null, killing it after `timeout`.
fn run_tool(mut cmd: Command, timeout: Duration) -> Run {
    let shown = format!("{cmd:?}");
    cmd.stdin(Stdio::null());
    run_command(cmd, shown, timeout)
}

/// The `differences` of a `verify --json` run as (kind, name, status).
#[track_caller]
fn differences(run: &Run) -> Vec<(String, String, String)> {
    let json = json_of(run);
    let field = |d: &Value, k: &str| d[k].as_str().unwrap_or_default().to_string();
    json["differences"]
        .as_array()
        .unwrap_or_else(|| panic!("no differences array:\n{run}"))
        .iter()
        .map(|d| (field(d, "kind"), field(d, "name"), field(d, "status")))
        .collect()
}

// --- files -------------------------------------------------------------------------------

fn read_text(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

fn write_file(path: &Path, bytes: impl AsRef<[u8]>) {
    std::fs::write(path, bytes).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
}

/// `(name, rows)` of the `-- dbsnap:manifest-table` lines of a plain file.
fn manifest_tables(text: &str) -> Vec<(String, u64)> {
    text.lines()
        .filter_map(|l| l.strip_prefix(MANIFEST_TABLE))
        .map(|json| {
            let v: Value = serde_json::from_str(json)
                .unwrap_or_else(|e| panic!("bad manifest line {json}: {e}"));
            (
                v["name"].as_str().expect("name").to_string(),
                v["rows"].as_u64().expect("rows"),
            )
        })
        .collect()
}

/// 1-based line number of the `COPY <table> ` statement of a plain file.
#[track_caller]
fn copy_line(text: &str, table: &str) -> usize {
    let prefix = format!("COPY {table} ");
    let found: Vec<usize> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| l.starts_with(&prefix))
        .map(|(i, _)| i + 1)
        .collect();
    assert_eq!(
        found.len(),
        1,
        "expected one `{prefix}` line, found {found:?}"
    );
    found[0]
}

/// The lines of a plain file, each with its `\n`.
fn lines_with_ends(text: &str) -> Vec<&str> {
    text.split_inclusive('\n').collect()
}

fn mode_of(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("stat {}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o7777
}

#[track_caller]
fn assert_magic(path: &Path, magic: &[u8]) {
    let bytes = std::fs::read(path).expect("read export");
    assert!(
        bytes.starts_with(magic),
        "{} starts with {:02x?}, expected {:02x?}",
        path.display(),
        &bytes[..bytes.len().min(8)],
        magic
    );
}

// --- 1. round trips ---------------------------------------------------------------------

/// What a round trip leaves for further checks.
struct RoundTrip {
    source: TestDb,
    target: TestDb,
    data: PathBuf,
    source_state: DbState,
    _dir: ScratchDir,
}

/// Loads a source, exports schema and data (`data_name` picks the compression),
/// builds a target with `init --schema --data --yes`, and checks it with the
/// oracle, with `verify --source` and with `verify --manifest`.
fn data_round_trip(data_name: &str, load: impl FnOnce(&TestDb)) -> RoundTrip {
    let source = TestDb::create("src");
    load(&source);
    let source_state = DbState::capture(&source);
    assert!(
        source_state.total_rows() > 0,
        "the sample loaded no rows: {:?}",
        source_state.tables
    );

    let dir = tempdir();
    let schema = dir.join("schema.sql");
    export_schema_ok(&source, &schema);
    let data = dir.join(data_name);
    export_data_ok(&source, &data, &[]);
    if data_name.ends_with(".gz") {
        assert_magic(&data, GZIP_MAGIC);
    } else if data_name.ends_with(".zst") {
        assert_magic(&data, ZSTD_MAGIC);
    } else {
        let text = read_text(&data);
        assert!(
            text.trim_end().ends_with(END),
            "plain export does not end with `{END}`"
        );
    }
    check(&data, &[]).assert_success();

    let target = TestDb::reserve("dst");
    init(&target, &schema, Some(&data), true).assert_success();
    source_state.assert_same("source vs target", &DbState::capture(&target));

    verify_source(&source, &target, &["--checksum"]).assert_success();
    verify_manifest(&data, &target, &["--checksum"]).assert_success();
    RoundTrip {
        source,
        target,
        data,
        source_state,
        _dir: dir,
    }
}

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

#[test]
fn data_roundtrip_pagila() {
    corpus_round_trip("pagila.sql", Sample::Pagila);
}

#[test]
fn data_roundtrip_chinook() {
    corpus_round_trip("chinook.sql.gz", Sample::Chinook);
}

#[test]
fn data_roundtrip_chinook_serial() {
    corpus_round_trip("chinook_serial.sql.zst", Sample::ChinookSerial);
}

#[test]
fn data_roundtrip_northwind() {
    corpus_round_trip("northwind.sql.gz", Sample::Northwind);
}

#[test]
fn data_roundtrip_sakila_jooq() {
    corpus_round_trip("sakila.sql.zst", Sample::SakilaJooq);
}

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

// --- 2. psql loads our plain file -------------------------------------------------------------

/// A database loaded with the project's sample (tests/fixtures/pg/shop.sql),
/// its schema and plain data exported.
struct Shop {
    source: TestDb,
    state: DbState,
    schema: PathBuf,
    data: PathBuf,
    dir: ScratchDir,
}

fn shop_exported() -> Shop {
    let source = TestDb::create("src");
    source.load_shop(1);
    let state = DbState::capture(&source);
    let dir = tempdir();
    let schema = dir.join("schema.sql");
    export_schema_ok(&source, &schema);
    let data = dir.join("data.sql");
    export_data_ok(&source, &data, &[]);
    Shop {
        source,
        state,
        schema,
        data,
        dir,
    }
}

/// A target built with `init --schema` only (no rows).
#[track_caller]
fn schema_only_target(label: &str, schema: &Path) -> TestDb {
    let target = TestDb::reserve(label);
    init(&target, schema, None, true).assert_success();
    target
}

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
    for needle in [location.as_str(), first_table, DUPLICATE] {
        assert!(
            run.stderr.contains(needle),
            "stderr of the second import lacks `{needle}`\n{run}"
        );
    }
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
    for needle in [location.as_str(), "public.customer", "customer_pkey"] {
        assert!(
            run.stderr.contains(needle),
            "stderr lacks `{needle}` (the conflicting row is line {row_line})\n{run}"
        );
    }
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
    let state = DbState::capture(&source);
    let dir = tempdir();
    let schema = dir.join("schema.sql");
    export_schema_ok(&source, &schema);
    let data = dir.join("data.sql");
    export_data_ok(&source, &data, &[]);
    let target = TestDb::reserve("dst");
    init(&target, &schema, Some(&data), true).assert_success();
    import(&target, &data, &["--truncate"]).assert_success();
    state.assert_same(
        "source vs target after import --truncate",
        &DbState::capture(&target),
    );
}

// --- 5. connection terminated during the import -----------------------------------------------

/// A source with one generated table of [`BIG_ROWS`] rows.
fn big_source() -> TestDb {
    let source = TestDb::create("big");
    source.psql(&format!(
        "CREATE TABLE public.big (id bigint NOT NULL, grp integer NOT NULL, payload text NOT NULL);
         INSERT INTO public.big SELECT g, g % 1000, md5(g::text) FROM generate_series(1, {BIG_ROWS}) g;
         ALTER TABLE public.big ADD PRIMARY KEY (id);
         ANALYZE public.big;"
    ));
    source
}

/// A psql session holding `LOCK TABLE <table> IN ACCESS EXCLUSIVE MODE` in an
/// open transaction until [`LockHolder::release`] (or drop).
struct LockHolder {
    child: std::process::Child,
    stdin: Option<std::process::ChildStdin>,
}

impl LockHolder {
    #[track_caller]
    fn lock(db: &TestDb, table: &str) -> LockHolder {
        let mut child = Command::new("psql")
            .args(["-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-d"])
            .arg(db.url())
            .env_remove("PGOPTIONS")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn psql");
        let mut stdin = child.stdin.take().expect("psql stdin");
        writeln!(
            stdin,
            "BEGIN;\nLOCK TABLE {table} IN ACCESS EXCLUSIVE MODE;\nSELECT 'locked';"
        )
        .expect("write to psql");
        stdin.flush().expect("flush psql stdin");
        // Wait for psql to say the lock is held.
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("psql stdout"))
            .read_line(&mut line)
            .expect("read psql");
        assert_eq!(
            line.trim(),
            "locked",
            "psql did not take the lock on {table}"
        );
        LockHolder {
            child,
            stdin: Some(stdin),
        }
    }

    /// Rolls back (releasing the lock) and waits for psql to exit.
    fn release(&mut self) {
        if let Some(mut stdin) = self.stdin.take() {
            let _ = writeln!(stdin, "ROLLBACK;");
        }
        let _ = self.child.wait();
    }
}

impl Drop for LockHolder {
    fn drop(&mut self) {
        self.release();
    }
}

/// Deterministic: the import's transaction loads `public.big`, then waits for
/// a lock on the table after it, held by another session. Its backend is
/// terminated while it waits there, with `big`'s rows written but not committed.
#[test]
fn import_terminated_backend_commits_nothing() {
    let source = big_source();
    source.psql("CREATE TABLE public.zz_last (id integer PRIMARY KEY); INSERT INTO public.zz_last VALUES (1), (2);");
    let dir = tempdir();
    let schema = dir.join("schema.sql");
    export_schema_ok(&source, &schema);
    let data = dir.join("big.sql.zst");
    export_data_ok(&source, &data, &[]);
    let plain = dir.join("big.sql");
    export_data_ok(&source, &plain, &[]);
    let text = read_text(&plain);
    assert!(
        copy_line(&text, "public.big") < copy_line(&text, "public.zz_last"),
        "public.big is not loaded before public.zz_last: the test needs another table order"
    );
    let target = schema_only_target("dst", &schema);

    let mut holder = LockHolder::lock(&target, "public.zz_last");
    let mut child = Command::new(env!("CARGO_BIN_EXE_dbsnap"));
    for var in CONNECTION_VARS {
        child.env_remove(var);
    }
    let mut child = child
        .args(["import", "--url", &target.url(), path_str(&data)])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn dbsnap import");
    let err = child.stderr.take().expect("stderr");
    let err = thread::spawn(move || {
        let mut buf = String::new();
        let _ = BufReader::new(err).read_to_string(&mut buf);
        buf
    });

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
    holder.release();
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

// --- 6. verify finds differences ---------------------------------------------------------------

#[test]
fn verify_reports_deleted_and_changed_rows_and_sequences() {
    let rt = data_round_trip("shop.sql.zst", |db| db.load_shop(1));
    let target = &rt.target;
    target.psql(
        "DELETE FROM public.order_line WHERE (order_id, line_no) = \
           (SELECT order_id, line_no FROM public.order_line ORDER BY 1, 2 LIMIT 1);
         UPDATE public.product SET name = 'CHANGED' WHERE id = 1;",
    );
    // The oracle agrees that exactly these two tables changed.
    let changed_tables: BTreeSet<String> =
        map_differences(&rt.source_state.tables, &table_checksums(target))
            .into_iter()
            .map(|d| d.split(':').next().unwrap().to_string())
            .collect();
    assert_eq!(
        changed_tables,
        ["public.order_line", "public.product"]
            .map(String::from)
            .into(),
        "the target was not changed as intended"
    );
    let deleted = ("table".to_string(), "public.order_line".to_string());
    let changed = ("table".to_string(), "public.product".to_string());
    let names = |d: &[(String, String, String)]| -> BTreeSet<(String, String)> {
        d.iter().map(|(k, n, _)| (k.clone(), n.clone())).collect()
    };

    // With checksums: both differences, from the source and from the manifest.
    let runs = [
        (
            "verify --source --checksum",
            verify_source(&rt.source, target, &["--checksum", "--json"]),
        ),
        (
            "verify --manifest --checksum",
            verify_manifest(&rt.data, target, &["--checksum", "--json"]),
        ),
    ];
    for (what, run) in &runs {
        run.assert_code(3);
        let json = json_of(run);
        assert_eq!(
            json["ok"],
            Value::Bool(false),
            "{what}: ok is not false\n{run}"
        );
        let diffs = differences(run);
        let expected: BTreeSet<_> = [deleted.clone(), changed.clone()].into();
        assert_eq!(names(&diffs), expected, "{what}: wrong differences\n{run}");
        for d in json["differences"].as_array().unwrap() {
            for key in ["kind", "name", "expected", "actual", "status"] {
                assert!(
                    d.get(key).is_some(),
                    "{what}: difference lacks `{key}`: {d}"
                );
            }
        }
    }
    // Without checksums only the row count shows.
    for (what, run) in [
        (
            "verify --source",
            verify_source(&rt.source, target, &["--json"]),
        ),
        (
            "verify --manifest",
            verify_manifest(&rt.data, target, &["--json"]),
        ),
    ] {
        run.assert_code(3);
        let expected: BTreeSet<_> = [deleted.clone()].into();
        assert_eq!(
            names(&differences(&run)),
            expected,
            "{what}: wrong differences\n{run}"
        );
    }
    // Text output (no --json) exits 3 too.
    verify_source(&rt.source, target, &["--checksum"]).assert_code(3);

    // A sequence moved in the target.
    target.psql("SELECT setval('public.product_id_seq', 5000)");
    let seq = ("sequence".to_string(), "public.product_id_seq".to_string());
    for (what, run) in [
        (
            "verify --source",
            verify_source(&rt.source, target, &["--json"]),
        ),
        (
            "verify --manifest",
            verify_manifest(&rt.data, target, &["--json"]),
        ),
    ] {
        run.assert_code(3);
        let expected: BTreeSet<_> = [deleted.clone(), seq.clone()].into();
        assert_eq!(
            names(&differences(&run)),
            expected,
            "{what}: wrong differences\n{run}"
        );
    }
}

// --- 7. the export file ----------------------------------------------------------------------

/// Manifest `(name, rows)` of a plain export; asserts every name is a source table.
#[track_caller]
fn manifest_matching_source(path: &Path, state: &DbState) -> BTreeMap<String, u64> {
    let text = read_text(path);
    let mut out = BTreeMap::new();
    for (name, rows) in manifest_tables(&text) {
        assert!(
            state.tables.contains_key(&name),
            "{}: manifest table {name} is not a table of the source",
            path.display()
        );
        assert!(
            out.insert(name.clone(), rows).is_none(),
            "{name} twice in the manifest"
        );
    }
    out
}

#[test]
fn export_file_mode_filters_names_and_compression() {
    let source = TestDb::create("src");
    source.load_shop(1);
    let state = DbState::capture(&source);
    let all: BTreeSet<String> = state.tables.keys().cloned().collect();
    let rows_of = |t: &str| state.tables[t].0 as u64;
    let dir = tempdir();

    // Mode 0600, nothing else left in the directory.
    let full = dir.join("full.sql");
    export_data_ok(&source, &full, &[]);
    assert_eq!(mode_of(&full), 0o600, "mode of {}", full.display());
    assert_eq!(dir.entries(), vec!["full.sql".to_string()]);
    let manifest = manifest_matching_source(&full, &state);
    assert_eq!(manifest.keys().cloned().collect::<BTreeSet<_>>(), all);
    for (name, rows) in &manifest {
        assert_eq!(*rows, rows_of(name), "full export: rows of {name}");
    }

    // --table
    let path = dir.join("only.sql");
    export_data_ok(
        &source,
        &path,
        &["--table", "public.customer", "--table", "orders_*"],
    );
    let manifest = manifest_matching_source(&path, &state);
    let expected: BTreeSet<String> = [
        "public.customer",
        "public.orders_2023",
        "public.orders_2024",
        "public.orders_2025",
    ]
    .map(String::from)
    .into();
    assert_eq!(
        manifest.keys().cloned().collect::<BTreeSet<_>>(),
        expected,
        "--table"
    );
    for (name, rows) in &manifest {
        assert_eq!(*rows, rows_of(name), "--table: rows of {name}");
    }
    let text = read_text(&path);
    assert_eq!(
        text.lines().filter(|l| l.starts_with("COPY ")).count(),
        4,
        "--table: COPY blocks"
    );
    assert!(text.trim_end().ends_with(END));

    // --exclude-table
    let path = dir.join("exclude.sql");
    export_data_ok(&source, &path, &["--exclude-table", "orders_*"]);
    let manifest = manifest_matching_source(&path, &state);
    let expected: BTreeSet<String> = all
        .iter()
        .filter(|t| !t.starts_with("public.orders_"))
        .cloned()
        .collect();
    assert!(
        expected.len() < all.len(),
        "the sample has no orders_* tables? {all:?}"
    );
    assert_eq!(
        manifest.keys().cloned().collect::<BTreeSet<_>>(),
        expected,
        "--exclude-table"
    );
    for (name, rows) in &manifest {
        assert_eq!(*rows, rows_of(name), "--exclude-table: rows of {name}");
    }
    assert!(
        !read_text(&path).contains("COPY public.orders_"),
        "--exclude-table: orders data in the file"
    );

    // --exclude-table-data: the table stays, with no rows.
    let path = dir.join("nodata.sql");
    export_data_ok(
        &source,
        &path,
        &["--exclude-table-data", "public.order_line", "--json"],
    );
    let manifest = manifest_matching_source(&path, &state);
    assert_eq!(
        manifest.keys().cloned().collect::<BTreeSet<_>>(),
        all,
        "--exclude-table-data"
    );
    for (name, rows) in &manifest {
        let expected = if name == "public.order_line" {
            0
        } else {
            rows_of(name)
        };
        assert_eq!(*rows, expected, "--exclude-table-data: rows of {name}");
    }
    let text = read_text(&path);
    let order_line = copy_line(&text, "public.order_line");
    assert_eq!(
        text.lines().nth(order_line),
        Some("\\."),
        "--exclude-table-data: the order_line COPY block is not empty"
    );
    let checked = check(&path, &["--json"]);
    checked.assert_success();
    let json = json_of(&checked);
    let entry = json["tables"]
        .as_array()
        .expect("tables")
        .iter()
        .find(|t| t["name"] == "public.order_line")
        .expect("public.order_line in check --json");
    assert_eq!(entry["rows"], 0);

    // Compression by extension and by --compress; magic bytes and mode.
    for (name, extra, magic) in [
        ("data.sql.gz", &[][..], GZIP_MAGIC),
        ("data.sql.zst", &[][..], ZSTD_MAGIC),
        ("data.gzip-by-flag", &["--compress", "gzip"][..], GZIP_MAGIC),
        ("data.zstd-by-flag", &["--compress", "zstd"][..], ZSTD_MAGIC),
    ] {
        let path = dir.join(name);
        export_data_ok(&source, &path, extra);
        assert_magic(&path, magic);
        assert_eq!(mode_of(&path), 0o600, "mode of {name}");
        let run = check(&path, &["--json"]);
        run.assert_success();
        let json = json_of(&run);
        let rows: u64 = json["tables"]
            .as_array()
            .expect("tables")
            .iter()
            .map(|t| t["rows"].as_u64().expect("rows"))
            .sum();
        assert_eq!(
            rows as i64,
            state.total_rows(),
            "{name}: rows in check --json"
        );
    }
    let leftovers: Vec<String> = dir
        .entries()
        .into_iter()
        .filter(|e| e.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
}

/// `data_export_YYYYMMDD_HHMMSS<suffix>` -> the timestamp, if the name matches.
fn default_name_stamp(name: &str, suffix: &str) -> Option<chrono::NaiveDateTime> {
    let stamp = name.strip_prefix("data_export_")?.strip_suffix(suffix)?;
    let b = stamp.as_bytes();
    let shape = b.len() == 15
        && b[8] == b'_'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 8 || c.is_ascii_digit());
    if !shape {
        return None;
    }
    chrono::NaiveDateTime::parse_from_str(stamp, "%Y%m%d_%H%M%S").ok()
}

#[test]
fn export_default_file_name() {
    let source = TestDb::create("src");
    source.psql(
        "CREATE TABLE t (id integer PRIMARY KEY, note text); INSERT INTO t VALUES (1, 'a'), (2, E'b\\tc');",
    );
    for (extra, suffix, magic) in [
        (&[][..], ".sql", None),
        (&["--compress", "gzip"][..], ".sql.gz", Some(GZIP_MAGIC)),
        (&["--compress", "zstd"][..], ".sql.zst", Some(ZSTD_MAGIC)),
    ] {
        let cwd = tempdir();
        let before = chrono::Utc::now().naive_utc() - chrono::Duration::seconds(2);
        let run = Dbsnap::new()
            .args(["export-data", "--url", &source.url()])
            .args(extra)
            .current_dir(cwd.path())
            .run();
        run.assert_success();
        let after = chrono::Utc::now().naive_utc() + chrono::Duration::seconds(2);
        assert_eq!(cwd.entries(), vec!["sql".to_string()], "{run}");
        let names: Vec<String> = std::fs::read_dir(cwd.join("sql"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names.len(), 1, "files in sql/: {names:?}");
        let stamp = default_name_stamp(&names[0], suffix).unwrap_or_else(|| {
            panic!(
                "default name {:?} is not data_export_YYYYMMDD_HHMMSS{suffix}",
                names[0]
            )
        });
        assert!(
            before <= stamp && stamp <= after,
            "timestamp {stamp} of {} is not the current UTC time ({before}..{after})",
            names[0]
        );
        let path = cwd.join("sql").join(&names[0]);
        assert_eq!(mode_of(&path), 0o600, "mode of {}", path.display());
        if let Some(magic) = magic {
            assert_magic(&path, magic);
        }
        check(&path, &[]).assert_success();
    }
}

// --- 8. dbsnap check --------------------------------------------------------------------------

#[test]
fn check_accepts_complete_and_rejects_damaged_files() {
    let p = shop_exported();
    let run = check(&p.data, &["--json"]);
    run.assert_success();
    let json = json_of(&run);
    assert_eq!(json["ok"], Value::Bool(true), "{run}");
    let tables: BTreeMap<String, i64> = json["tables"]
        .as_array()
        .expect("tables")
        .iter()
        .map(|t| {
            (
                t["name"].as_str().unwrap().to_string(),
                t["rows"].as_i64().unwrap(),
            )
        })
        .collect();
    let expected: BTreeMap<String, i64> = p
        .state
        .tables
        .iter()
        .map(|(k, (n, _))| (k.clone(), *n))
        .collect();
    assert_eq!(tables, expected, "check --json tables vs the source");

    let text = read_text(&p.data);
    let lines = lines_with_ends(&text);
    let order_line = copy_line(&text, "public.order_line");
    let mut damaged: Vec<(&str, Vec<u8>)> = vec![
        (
            "truncated_in_copy.sql",
            lines[..order_line + 100].concat().into_bytes(),
        ),
        (
            "no_end_marker.sql",
            lines[..lines.len() - 1].concat().into_bytes(),
        ),
    ];
    let mut changed: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    let row = order_line + 10;
    assert!(changed[row].contains('\t'));
    changed[row] = changed[row].replacen('1', "2", 1);
    assert_ne!(
        changed[row], lines[row],
        "row has no digit 1: {}",
        lines[row]
    );
    damaged.push(("changed_value.sql", changed.concat().into_bytes()));
    // A row removed entirely (count differs).
    let mut removed: Vec<&str> = lines.clone();
    removed.remove(order_line + 10);
    damaged.push(("removed_row.sql", removed.concat().into_bytes()));
    // A truncated zstd file.
    let zst = p.dir.join("data.sql.zst");
    export_data_ok(&p.source, &zst, &[]);
    check(&zst, &[]).assert_success();
    let bytes = std::fs::read(&zst).unwrap();
    damaged.push(("truncated.sql.zst", bytes[..bytes.len() * 2 / 3].to_vec()));

    for (name, bytes) in damaged {
        let path = p.dir.join(name);
        write_file(&path, bytes);
        let run = check(&path, &[]);
        run.assert_code(1);
        assert!(
            !run.stderr.contains("panicked"),
            "{name}: dbsnap panicked\n{run}"
        );
    }
}

// --- 9. bounded memory -----------------------------------------------------------------------

/// Peak RSS in KiB of `dbsnap args...`: the high-water mark of the child's
/// own memory (`VmHWM`), read from /proc while it runs. Not wait4's
/// `ru_maxrss`: Linux carries the forking process's resident size across
/// exec into it, and this test process grows past 64 MiB when other tests
/// (large MySQL values) run beside it. The mark only rises, so the last
/// reading before exit holds the peak (to within one 5 ms poll).
fn peak_rss_kib(args: &[&str]) -> u64 {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dbsnap"));
    for var in CONNECTION_VARS {
        cmd.env_remove(var);
    }
    // spawn returns after exec: the child's memory is dbsnap's from here on.
    let mut child = cmd
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn dbsnap");
    let err = child.stderr.take().expect("stderr");
    let err = thread::spawn(move || {
        let mut buf = String::new();
        let _ = BufReader::new(err).read_to_string(&mut buf);
        buf
    });
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak = 0u64;
    let status = loop {
        if let Ok(text) = std::fs::read_to_string(&status_file) {
            let hwm = text
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok());
            peak = peak.max(hwm.unwrap_or(0));
        }
        if let Some(status) = child.try_wait().expect("wait for dbsnap") {
            break status;
        }
        thread::sleep(Duration::from_millis(5));
    };
    let stderr = err.join().unwrap_or_default();
    assert!(
        status.success(),
        "dbsnap {args:?} failed ({status})\n{stderr}"
    );
    assert!(peak > 0, "no VmHWM read for dbsnap {args:?}");
    peak
}

#[test]
fn export_and_import_memory_is_bounded() {
    const LIMIT_KIB: u64 = 64 * 1024;
    let source = big_source();
    let dir = tempdir();
    let url = source.url();
    let mut measured = Vec::new();
    for name in ["big.sql", "big.sql.zst", "big.sql.gz"] {
        let out = dir.join(name);
        let kib = peak_rss_kib(&["export-data", "--url", &url, "-o", path_str(&out)]);
        measured.push((format!("export-data -o {name}"), kib));
    }
    let plain_len = std::fs::metadata(dir.join("big.sql")).unwrap().len();
    assert!(
        plain_len > LIMIT_KIB * 1024,
        "the plain export ({plain_len} bytes) is too small to tell bounded memory"
    );

    let schema = dir.join("schema.sql");
    export_schema_ok(&source, &schema);
    let target = schema_only_target("dst", &schema);
    let data = dir.join("big.sql.zst");
    let turl = target.url();
    let kib = peak_rss_kib(&["import", "--url", &turl, path_str(&data)]);
    measured.push(("import big.sql.zst".to_string(), kib));
    assert_eq!(
        target.psql("SELECT count(*) FROM public.big").trim(),
        BIG_ROWS.to_string()
    );

    eprintln!("peak RSS: {measured:?}");
    let over: Vec<_> = measured
        .iter()
        .filter(|(_, kib)| *kib >= LIMIT_KIB)
        .collect();
    assert!(
        over.is_empty(),
        "peak RSS at or above {LIMIT_KIB} KiB for {} rows: {over:?} (all: {measured:?})",
        BIG_ROWS
    );
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
    assert_same_text(
        "catalog around an import",
        "before",
        &catalog,
        "after",
        &target.pg_dump_schema(),
    );
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
    assert_same_text(
        "catalog around import --truncate",
        "before",
        &catalog,
        "after",
        &target.pg_dump_schema(),
    );

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
    assert_same_text(
        "catalog around a failed import",
        "before",
        &catalog,
        "after",
        &empty.pg_dump_schema(),
    );

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
    assert_same_text(
        "catalog around an import failing on a foreign key",
        "before",
        &catalog,
        "after",
        &empty.pg_dump_schema(),
    );

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
    assert_same_text(
        "catalog around an import into a non-empty table",
        "before",
        &catalog,
        "after",
        &partial.pg_dump_schema(),
    );
}

// --- big tables read in CTID ranges (issue 10) -------------------------------------------------

/// Waits until no session but the caller's is connected to `db`: a backend
/// flushes its table statistics before it leaves pg_stat_activity.
fn wait_for_no_other_sessions(db: &TestDb) {
    let sql = format!(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = {} AND pid <> pg_backend_pid()",
        literal(db.name())
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    while db.psql(&sql).trim() != "0" {
        assert!(
            Instant::now() < deadline,
            "sessions still connected to {}",
            db.name()
        );
        thread::sleep(Duration::from_millis(50));
    }
}

/// Sequential scans of `table` counted so far (TID range scans are not).
fn seq_scans(db: &TestDb, table: &str) -> i64 {
    wait_for_no_other_sessions(db);
    let sql = format!(
        "SELECT seq_scan FROM pg_stat_user_tables WHERE relid = {}::regclass",
        literal(table)
    );
    let out = db.psql(&sql);
    out.trim()
        .parse()
        .unwrap_or_else(|e| panic!("seq_scan of {table}: {out:?}: {e}"))
}

/// With the cutting size lowered, a table of many pages is read in CTID
/// ranges on both connections (no sequential scan of it), and still comes out
/// as one COPY block: `check` passes, the manifest counts its rows once, and
/// the file imports to the source's rows. Holes (deleted rows), moved rows,
/// an inheritance child (`ONLY`) and a table whose data is left out are in it.
#[test]
fn export_reads_a_big_table_in_ctid_ranges_as_one_copy_block() {
    let source = TestDb::create("ctid");
    source.psql(
        "CREATE TABLE public.wide (id integer PRIMARY KEY, t text, b bytea, n numeric, d timestamptz);
         INSERT INTO public.wide
           SELECT g, CASE WHEN g % 9 = 0 THEN NULL ELSE E'row\\t' || g || E'\\n\\\\N \\\\ é' END,
                  decode(md5(g::text), 'hex'), g / 7.0, timestamptz '2020-01-01' + g * interval '1 hour'
           FROM generate_series(1, 20000) g;
         DELETE FROM public.wide WHERE id % 5 = 0;
         UPDATE public.wide SET t = 'moved ' || id WHERE id % 11 = 0;
         CREATE TABLE public.wide_child (extra integer) INHERITS (public.wide);
         INSERT INTO public.wide_child VALUES (-1, 'child', NULL, 1, NULL, 7);
         CREATE TABLE public.skipped (id integer, t text);
         INSERT INTO public.skipped SELECT g, repeat('s', 100) FROM generate_series(1, 5000) g;
         VACUUM ANALYZE;",
    );
    let source_state = DbState::capture(&source);
    let scans_before = seq_scans(&source, "public.wide");

    let dir = tempdir();
    let schema = dir.join("schema.sql");
    export_schema_ok(&source, &schema);
    let data = dir.join("data.sql");
    let url = source.url();
    let args = [
        "export-data",
        "--url",
        &url,
        "-o",
        path_str(&data),
        "--jobs",
        "2",
        "--exclude-table-data",
        "public.skipped",
    ];
    crate::support::dbsnap(&args, &[("DBSNAP_TEST_CHUNK_BYTES", "16384")]).assert_success();
    assert_eq!(
        seq_scans(&source, "public.wide"),
        scans_before,
        "public.wide was read by a sequential scan, not in CTID ranges"
    );

    let text = read_text(&data);
    for table in ["public.wide", "public.wide_child", "public.skipped"] {
        copy_line(&text, table);
    }
    let ends = text.lines().filter(|l| *l == "\\.").count();
    assert_eq!(ends, 3, "one end of COPY data per table");
    let rows: BTreeMap<String, u64> = manifest_tables(&text).into_iter().collect();
    let expected = |t: &str| source_state.tables[t].0 as u64;
    assert_eq!(rows["public.wide"], expected("public.wide"));
    assert_eq!(rows["public.wide_child"], 1);
    assert_eq!(rows["public.skipped"], 0);
    check(&data, &[]).assert_success();

    let target = schema_only_target("ctiddst", &schema);
    import(&target, &data, &[]).assert_success();
    let mut got = DbState::capture(&target).tables;
    assert_eq!(got.remove("public.skipped").map(|(rows, _)| rows), Some(0));
    let mut want = source_state.tables.clone();
    want.remove("public.skipped");
    assert_eq!(got, want, "tables of the target vs the source");
    verify_manifest(&data, &target, &["--checksum"]).assert_success();
}
