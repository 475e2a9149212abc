//! PostgreSQL data snapshots: `dbsnap export-data`, `import`, `init --data`,
//! `verify` and `check`.
//!
//! The oracle is independent of dbsnap: every user table's row count and the
//! md5 of its sorted rows (`t::text`), and every sequence's position, read with
//! psql ([`table_checksums`], [`sequence_positions`]).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::commands::{
    check, export_both, export_data_ok, export_schema_ok, import, init, init_args, json_of,
    path_str, verify_manifest, verify_source,
};
use crate::support::pg::{literal, server, Sample, TestDb};
use crate::support::{
    assert_same_text, corpus_present, mode_of, run_command, tempdir, Dbsnap, Run, ScratchDir, END,
};

mod export;
mod import;
mod round_trip;
mod scale;
mod verify;

const ADVERSARIAL: &str = "pg/adversarial.sql";
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

/// One JSON array per relation of `relations`, each from the query
/// `select(relation)` (a single-row `SELECT json_build_array(...)`), read in
/// batches of 50 joined by UNION ALL.
fn json_rows(
    db: &TestDb,
    relations: &[String],
    select: impl Fn(&str) -> String,
) -> Vec<Vec<Value>> {
    relations
        .chunks(50)
        .flat_map(|chunk| {
            let sql = chunk
                .iter()
                .map(|r| select(r))
                .collect::<Vec<_>>()
                .join("\nUNION ALL\n");
            json_lines(&db.psql(&sql))
        })
        .collect()
}

fn table_checksums(db: &TestDb) -> Checksums {
    let rows = json_rows(db, &relations_of_kind(db, 'r'), |t| {
        format!(
            "SELECT json_build_array({}, count(*), \
             md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), ''))) FROM ONLY {t} t",
            literal(t)
        )
    });
    rows.into_iter()
        .map(|row| {
            (
                row[0].as_str().expect("name").to_string(),
                (
                    row[1].as_i64().expect("count"),
                    row[2].as_str().expect("md5").to_string(),
                ),
            )
        })
        .collect()
}

fn sequence_positions(db: &TestDb) -> Positions {
    let rows = json_rows(db, &relations_of_kind(db, 'S'), |s| {
        format!(
            "SELECT json_build_array({}, last_value::text, is_called) FROM {s}",
            literal(s)
        )
    });
    rows.into_iter()
        .map(|row| {
            (
                row[0].as_str().expect("name").to_string(),
                (
                    row[1].as_str().expect("last_value").to_string(),
                    row[2].as_bool().expect("is_called"),
                ),
            )
        })
        .collect()
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
        for (differ, kinds) in [
            (
                map_differences(&self.tables, &other.tables),
                "table(s) differ (rows, md5 of sorted rows)",
            ),
            (
                map_differences(&self.sequences, &other.sequences),
                "sequence position(s) differ (last_value, is_called)",
            ),
        ] {
            if !differ.is_empty() {
                out.push(format!(
                    "{what}: {} {kinds}:\n{}",
                    differ.len(),
                    differ.join("\n")
                ));
            }
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

// --- fixtures the test files share ----------------------------------------------------

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
    let (schema, data) = export_both(&source, dir.path(), data_name);
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

/// A source database with its schema and plain data exported.
struct Exported {
    source: TestDb,
    state: DbState,
    schema: PathBuf,
    data: PathBuf,
    dir: ScratchDir,
}

/// Exports the schema and the plain data of `source`.
fn exported(source: TestDb) -> Exported {
    let state = DbState::capture(&source);
    let dir = tempdir();
    let (schema, data) = export_both(&source, dir.path(), "data.sql");
    Exported {
        source,
        state,
        schema,
        data,
        dir,
    }
}

/// A database loaded with the project's sample (tests/fixtures/pg/shop.sql),
/// its schema and plain data exported.
fn shop_exported() -> Exported {
    let source = TestDb::create("src");
    source.load_shop(1);
    exported(source)
}

/// A target built with `init --schema` only (no rows).
#[track_caller]
fn schema_only_target(label: &str, schema: &Path) -> TestDb {
    let target = TestDb::reserve(label);
    init(&target, schema, None, true).assert_success();
    target
}

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
