//! The dbsnap commands as the tests run them, for either engine: one wrapper
//! per command, taking test databases and paths, returning the [`Run`].

use std::path::{Path, PathBuf};

use super::server::Server;
use super::testdb::TestDb;
use super::{dbsnap, tempdir, Run, ScratchDir};

pub fn path_str(p: &Path) -> &str {
    p.to_str().expect("UTF-8 path")
}

/// `dbsnap export-schema --url <db> -o <out> [extra...]`.
pub fn export_schema<S: Server>(db: &TestDb<S>, out: &Path, extra: &[&str]) -> Run {
    export("export-schema", db, out, extra, &[])
}

/// `dbsnap <command> --url <db> -o <out> [extra...]`.
fn export<S: Server>(
    command: &str,
    db: &TestDb<S>,
    out: &Path,
    extra: &[&str],
    env: &[(&str, &str)],
) -> Run {
    let url = db.url();
    let mut args = vec![command, "--url", &url, "-o", path_str(out)];
    args.extend_from_slice(extra);
    dbsnap(&args, env)
}

/// Exports the schema of `db` to `out`, asserting success; returns the file.
#[track_caller]
pub fn export_schema_ok<S: Server>(db: &TestDb<S>, out: &Path) -> Vec<u8> {
    export_schema(db, out, &[]).assert_success();
    std::fs::read(out).unwrap_or_else(|e| panic!("reading {}: {e}", out.display()))
}

/// The schema of `source` exported to `schema.sql` in a fresh folder,
/// asserting success: (folder, file, text).
#[track_caller]
pub fn schema_snapshot<S: Server>(source: &TestDb<S>) -> (ScratchDir, PathBuf, String) {
    let dir = tempdir();
    let path = dir.join("schema.sql");
    let text = String::from_utf8(export_schema_ok(source, &path)).expect("UTF-8 snapshot");
    (dir, path, text)
}

/// A source database loaded from fixture `rel`, and its schema snapshot
/// as [`schema_snapshot`] makes it: (source, folder, file, text).
#[track_caller]
pub fn fixture_snapshot<S: Server>(rel: &str) -> (TestDb<S>, ScratchDir, PathBuf, String) {
    let source = TestDb::<S>::create("src");
    source.load_fixture(rel);
    let (dir, path, text) = schema_snapshot(&source);
    (source, dir, path, text)
}

/// `dbsnap export-data --url <db> -o <out> [extra...]`.
pub fn export_data<S: Server>(db: &TestDb<S>, out: &Path, extra: &[&str]) -> Run {
    export("export-data", db, out, extra, &[])
}

/// [`export_data`] with variables `env` set for the run (e.g. a test knob).
pub fn export_data_env<S: Server>(
    db: &TestDb<S>,
    out: &Path,
    extra: &[&str],
    env: &[(&str, &str)],
) -> Run {
    export("export-data", db, out, extra, env)
}

/// Exports `source`'s schema to `dir/schema.sql` and its data to
/// `dir/data_name`, asserting success: (schema, data).
#[track_caller]
pub fn export_both<S: Server>(
    source: &TestDb<S>,
    dir: &Path,
    data_name: &str,
) -> (PathBuf, PathBuf) {
    let (schema, data) = (dir.join("schema.sql"), dir.join(data_name));
    export_schema_ok(source, &schema);
    export_data_ok(source, &data, &[]);
    (schema, data)
}

/// [`export_data`], asserting success and that the file exists.
#[track_caller]
pub fn export_data_ok<S: Server>(db: &TestDb<S>, out: &Path, extra: &[&str]) {
    export_data(db, out, extra).assert_success();
    assert!(out.is_file(), "export-data did not write {}", out.display());
}

/// `dbsnap init --url <target> --schema <schema> [--data <data>] [--yes]`.
pub fn init<S: Server>(target: &TestDb<S>, schema: &Path, data: Option<&Path>, yes: bool) -> Run {
    dbsnap(&init_args(target, schema, data, yes), &[])
}

/// The words of [`init`], for a run that adds flags or environment, or is
/// spawned to be signalled.
pub fn init_args<S: Server>(
    target: &TestDb<S>,
    schema: &Path,
    data: Option<&Path>,
    yes: bool,
) -> Vec<String> {
    let mut args = vec![
        "init".to_string(),
        "--url".to_string(),
        target.url(),
        "--schema".to_string(),
        path_str(schema).to_string(),
    ];
    if let Some(data) = data {
        args.extend(["--data".to_string(), path_str(data).to_string()]);
    }
    if yes {
        args.push("--yes".to_string());
    }
    args
}

/// `dbsnap import --url <target> [extra...] <path>`.
pub fn import<S: Server>(target: &TestDb<S>, path: &Path, extra: &[&str]) -> Run {
    let url = target.url();
    let mut args = vec!["import", "--url", &url];
    args.extend_from_slice(extra);
    args.push(path_str(path));
    dbsnap(&args, &[])
}

/// `dbsnap verify --source <source> --target <target> [extra...]`.
pub fn verify_source<S: Server>(source: &TestDb<S>, target: &TestDb<S>, extra: &[&str]) -> Run {
    let (s, t) = (source.url(), target.url());
    let mut args = vec!["verify", "--source", &s, "--target", &t];
    args.extend_from_slice(extra);
    dbsnap(&args, &[])
}

/// `dbsnap verify --manifest <file> --target <target> [extra...]`.
pub fn verify_manifest<S: Server>(manifest: &Path, target: &TestDb<S>, extra: &[&str]) -> Run {
    let t = target.url();
    let mut args = vec!["verify", "--manifest", path_str(manifest), "--target", &t];
    args.extend_from_slice(extra);
    dbsnap(&args, &[])
}

/// `dbsnap check <file> [extra...]`.
pub fn check(file: &Path, extra: &[&str]) -> Run {
    let mut args = vec!["check", path_str(file)];
    args.extend_from_slice(extra);
    dbsnap(&args, &[])
}

/// The JSON a `--json` run printed on stdout.
#[track_caller]
pub fn json_of(run: &Run) -> serde_json::Value {
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{run}"))
}

/// The `--json` output of a verify run (the same as [`json_of`]).
#[track_caller]
pub fn verify_json(run: &Run) -> serde_json::Value {
    json_of(run)
}

/// The schema of `source` exported twice, and again from a database `init`
/// rebuilt from the first snapshot (files in `dir`): the three snapshots,
/// which a deterministic export makes byte-identical, and the rebuilt database.
#[track_caller]
pub fn export_twice_and_rebuilt<S: Server>(
    source: &TestDb<S>,
    dir: &Path,
) -> ([Vec<u8>; 3], TestDb<S>) {
    let first = export_schema_ok(source, &dir.join("first.sql"));
    let second = export_schema_ok(source, &dir.join("second.sql"));
    let target = TestDb::<S>::reserve("dst");
    init(&target, &dir.join("first.sql"), None, true).assert_success();
    let rebuilt = export_schema_ok(&target, &dir.join("rebuilt.sql"));
    ([first, second, rebuilt], target)
}
