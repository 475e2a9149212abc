//! `verify` finding deleted and changed rows and sequences, and `check`
//! accepting whole files and refusing damaged ones.

use super::*;

/// `verify --source` and `verify --manifest` of the round trip's target, each
/// with `extra`, named for messages.
fn verify_both(rt: &RoundTrip, extra: &[&str]) -> [(String, Run); 2] {
    let flags = extra.join(" ");
    [
        (
            format!("verify --source {flags}"),
            verify_source(&rt.source, &rt.target, extra),
        ),
        (
            format!("verify --manifest {flags}"),
            verify_manifest(&rt.data, &rt.target, extra),
        ),
    ]
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
    let runs = verify_both(&rt, &["--checksum", "--json"]);
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
    for (what, run) in verify_both(&rt, &["--json"]) {
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
    for (what, run) in verify_both(&rt, &["--json"]) {
        run.assert_code(3);
        let expected: BTreeSet<_> = [deleted.clone(), seq.clone()].into();
        assert_eq!(
            names(&differences(&run)),
            expected,
            "{what}: wrong differences\n{run}"
        );
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

/// The servers' checksum hashed `t::text` of `FROM ... AS t`: in a table
/// with a column named t that is the column, not the row, so a change in any
/// other column went unseen and verify said everything matches.
#[test]
fn verify_checksums_every_column_of_a_table_with_a_column_named_t() {
    let (source, target) = (TestDb::create("vt_src"), TestDb::create("vt_tgt"));
    for (db, payload) in [(&source, "original"), (&target, "CHANGED")] {
        db.psql(&format!(
            "CREATE TABLE public.x (t int PRIMARY KEY, payload text);
             INSERT INTO public.x VALUES (1, '{payload}');"
        ));
    }
    let run = verify_source(&source, &target, &["--checksum"]);
    run.assert_code(3);
    assert!(run.stdout.contains("public.x"), "{run}");
    // And the same rows match.
    target.psql("UPDATE public.x SET payload = 'original'");
    verify_source(&source, &target, &["--checksum"]).assert_success();
}
