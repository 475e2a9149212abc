//! The export file: its mode, the name filters, compression, and the default
//! file name.

use super::*;

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
    // The manifest names exactly `expected`, each with its rows in the source.
    let assert_manifest =
        |what: &str, manifest: &BTreeMap<String, u64>, expected: &BTreeSet<String>| {
            assert_eq!(
                &manifest.keys().cloned().collect::<BTreeSet<_>>(),
                expected,
                "{what}"
            );
            for (name, rows) in manifest {
                assert_eq!(*rows, rows_of(name), "{what}: rows of {name}");
            }
        };
    let dir = tempdir();

    // Mode 0600, nothing else left in the directory.
    let full = dir.join("full.sql");
    export_data_ok(&source, &full, &[]);
    assert_eq!(mode_of(&full), 0o600, "mode of {}", full.display());
    assert_eq!(dir.entries(), vec!["full.sql".to_string()]);
    let manifest = manifest_matching_source(&full, &state);
    assert_manifest("full export", &manifest, &all);

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
    assert_manifest("--table", &manifest, &expected);
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
    assert_manifest("--exclude-table", &manifest, &expected);
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
