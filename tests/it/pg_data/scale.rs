//! Memory and scale: bounded memory for export and import, and a big table
//! read in CTID ranges.

use super::*;
use crate::support::commands::export_data_env;

// --- 9. bounded memory -----------------------------------------------------------------------

/// Peak RSS in KiB of `dbsnap args...`: the high-water mark of the child's
/// own memory (`VmHWM`), read from /proc while it runs. Not wait4's
/// `ru_maxrss`: Linux carries the forking process's resident size across
/// exec into it, and this test process grows past 64 MiB when other tests
/// (large MySQL values) run beside it. The mark only rises, so the last
/// reading before exit holds the peak (to within one 5 ms poll).
fn peak_rss_kib(args: &[&str]) -> u64 {
    // spawn returns after exec: the child's memory is dbsnap's from here on.
    let (mut child, err) = Dbsnap::new().args(args).spawn();
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
    export_data_env(
        &source,
        &data,
        &["--jobs", "2", "--exclude-table-data", "public.skipped"],
        &[("DBSNAP_TEST_CHUNK_BYTES", "16384")],
    )
    .assert_success();
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
