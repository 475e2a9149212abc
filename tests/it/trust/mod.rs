//! Faults and hostile files (issue 7): a data file may only load rows, only a
//! complete file changes data, a failed import leaves rows, sequences and
//! counters exactly as they were, a schema file stays inside its database,
//! and a run cleans up after signals and after runs that were killed.
//!
//! Every refusal is checked against the target as read back from the server:
//! rows and checksums, sequence positions (with is_called), counters.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::support::commands::{export_data_ok, import, path_str};
use crate::support::mutants::Mutator;
use crate::support::server::Server;
use crate::support::session::Session;
use crate::support::testdb::TestDb as AnyDb;
use crate::support::Run;

mod mysql;
mod mysql_swap;
mod pg;

fn write(path: &Path, text: &str) -> PathBuf {
    std::fs::write(path, text).expect("write file");
    path.to_path_buf()
}

/// A source with `schema` and `source_rows`, a target with `schema` and
/// `target_rows` (so that the two differ), and the source's data snapshot,
/// `good.sql` in a fresh folder.
fn source_target_and_snapshot<S: Server>(
    schema: &str,
    source_rows: &str,
    target_rows: &str,
) -> (AnyDb<S>, AnyDb<S>, tempfile::TempDir, PathBuf) {
    let source = AnyDb::<S>::create("src");
    source.sql(schema);
    source.sql(source_rows);
    let target = AnyDb::<S>::create("dst");
    target.sql(schema);
    target.sql(target_rows);
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("good.sql");
    export_data_ok(&source, &file, &[]);
    (source, target, dir, file)
}

/// `text` with `insert` before the first line that starts with `before`,
/// written to `dir/name`.
fn write_inserted(dir: &Path, name: &str, text: &str, before: &str, insert: &str) -> PathBuf {
    write(&dir.join(name), &insert_before(text, before, insert))
}

/// [`write_inserted`] once for each of `places`, to `dir/{name}{i}.sql`.
fn write_inserted_at(
    dir: &Path,
    name: &str,
    text: &str,
    places: &[&str],
    insert: &str,
) -> Vec<PathBuf> {
    (0..places.len())
        .map(|i| write_inserted(dir, &format!("{name}{i}.sql"), text, places[i], insert))
        .collect()
}

/// A copy of `text` with `insert` placed before the first line that starts with `before`.
fn insert_before(text: &str, before: &str, insert: &str) -> String {
    let at = text
        .find(&format!("\n{before}"))
        .unwrap_or_else(|| panic!("no line starting with {before:?}"))
        + 1;
    format!("{}{insert}\n{}", &text[..at], &text[at..])
}

/// The 1-based number of the first line of `file` that starts with `prefix`.
fn line_of(file: &Path, prefix: &str) -> usize {
    std::fs::read_to_string(file)
        .unwrap()
        .lines()
        .position(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no line starting with {prefix:?}"))
        + 1
}

/// Imports `file` into `target` while a session of the test holds `lock` on
/// a table the file loads after others. Once `waiting` (run in the target)
/// finds the import's server session waiting for it, `kill` (`{id}` replaced)
/// ends that session from another one: deterministic, at a known table.
fn import_with_backend_killed<S: Server>(
    target: &AnyDb<S>,
    file: &Path,
    lock: &str,
    waiting: &str,
    kill: &str,
) -> Run {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    let mut session = Session::open(target, lock);
    let server = target.server();
    let (db, waiting, kill) = (
        target.name().to_string(),
        waiting.to_string(),
        kill.to_string(),
    );
    let finished = Arc::new(AtomicBool::new(false));
    let done = finished.clone();
    let killer = std::thread::spawn(move || loop {
        if done.load(Ordering::SeqCst) {
            return None;
        }
        let found = server.try_sql(&db, &waiting).unwrap_or_default();
        if let Some(id) = found.split_whitespace().next() {
            let sql = kill.replace("{id}", id);
            server
                .try_sql(&server.maintenance_db(), &sql)
                .unwrap_or_else(|e| panic!("{sql}: {e}"));
            return Some(id.to_string());
        }
        std::thread::sleep(Duration::from_millis(20));
    });
    let run = import(target, file, &[]);
    finished.store(true, Ordering::SeqCst);
    let killed = killer.join().expect("the killer thread");
    session.close();
    assert!(
        killed.is_some(),
        "the import never waited for the lock\n{run}"
    );
    run
}

/// `import` of `file` into the empty `target` while a session of the test
/// holds `lock` on one of its tables. With `--lock-timeout` the run gives up,
/// naming the lock's table (`on`, as the message spells it), who holds it
/// (`holder`) and the file, and the target keeps its `state`. Without it the
/// run says what it waits for (it once waited without a word, for good) and
/// loads, once the lock is gone, what `source` holds.
///
/// A SIGTERM while it waits ends the run and its server session too
/// (`busy` counts the target's sessions running a statement, the test's
/// own excepted): the waiting statement once went on, holding its locks.
#[allow(clippy::too_many_arguments)]
fn assert_lock_waits_are_told_and_bounded<S: Server>(
    source: &AnyDb<S>,
    target: &AnyDb<S>,
    file: &Path,
    lock: &str,
    on: &str,
    holder: &str,
    busy: &str,
    state: impl Fn(&AnyDb<S>) -> String,
) {
    use crate::support::{wait_until, Dbsnap};
    let before = state(target);
    let mut session = Session::open(target, lock);
    // 4 s: the run looks for the holder every second.
    let run = import(target, file, &["--lock-timeout", "4"]);
    assert_eq!(run.code, Some(1), "{run}");
    for words in [
        "gave up waiting for a lock after --lock-timeout 4 s",
        &format!("a lock on {on}"),
        holder,
        "nothing was committed",
        &format!("{}:", path_str(file)),
    ] {
        assert!(run.stderr.contains(words), "no {words:?} in\n{run}");
    }
    session.close();
    assert_eq!(state(target), before, "the target changed\n{run}");

    let mut session = Session::open(target, lock);
    let (mut child, err) = Dbsnap::new()
        .args(["import", "--url", &target.url(), path_str(file)])
        .spawn_until_said("dbsnap: waiting");
    crate::support::terminate(&child);
    let status = wait_until(&mut child, Duration::from_secs(300));
    let err = err.join().unwrap_or_default();
    assert_eq!(status.and_then(|s| s.code()), Some(143), "{err}");
    // The server ends a killed session within moments; 60 s is a safety net.
    let started = std::time::Instant::now();
    while target.sql(busy).trim() != "0" {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the import's session still runs after the signal\n{err}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    session.close();
    assert_eq!(state(target), before, "the target changed\n{err}");

    let mut session = Session::open(target, lock);
    let (mut child, err) = Dbsnap::new()
        .args(["import", "--url", &target.url(), path_str(file)])
        .spawn_until_said("dbsnap: waiting");
    session.close();
    let status = wait_until(&mut child, Duration::from_secs(300));
    let err = err.join().unwrap_or_default();
    assert!(
        status.is_some_and(|s| s.success()),
        "the import did not load once the lock was gone: {status:?}\n{err}"
    );
    for words in [&format!("for a lock on {on}"), holder, "--lock-timeout"] {
        assert!(err.contains(words), "no {words:?} in\n{err}");
    }
    assert_eq!(state(target), state(source), "{err}");
}

/// `export-data` of `source` to `out`, paused at fault point `step` while
/// `act` runs (as another session, or sending a signal to the child): it
/// must end with `code`, saying each of `says`. Returns its stderr.
fn export_acted_on_at<S: Server>(
    source: &AnyDb<S>,
    out: &Path,
    step: &str,
    act: impl FnOnce(&std::process::Child),
    code: i32,
    says: &[&str],
) -> String {
    use crate::support::{wait_until, Dbsnap};
    // The pause file lies outside the output's folder, which must end empty.
    let pauses = tempfile::tempdir().expect("tempdir");
    let pause = pauses.path().join("pause");
    let (mut child, err) = Dbsnap::new()
        .args(["export-data", "--url", &source.url(), "-o", path_str(out)])
        .spawn_paused_at(step, &pause);
    act(&child);
    std::fs::remove_file(&pause).expect("remove the pause file");
    let status = wait_until(&mut child, Duration::from_secs(300));
    let err = err.join().unwrap_or_default();
    assert_eq!(status.and_then(|s| s.code()), Some(code), "{err}");
    let not_written = format!("{} was not written", out.display());
    for words in says.iter().copied().chain([not_written.as_str()]) {
        assert!(err.contains(words), "no {words:?} in\n{err}");
    }
    err
}

/// `export-data` of `source` (which holds a table of some MB) whose server
/// sessions `kill` ends while the first rows arrive: exit 1, naming the
/// table, what happened (one of `said`: the server's words reach the client
/// only when the socket was not reset), and that the file was not written;
/// nothing is left in the output's folder (no file, no spooled piece).
/// Then the same for a SIGTERM while the first rows arrive: exit 143, the
/// temporary file removed and the file named as not written.
fn assert_a_killed_export_leaves_nothing<S: Server>(
    source: &AnyDb<S>,
    kill: impl Fn(&AnyDb<S>),
    table: &str,
    said: &[&str],
) {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("snap.sql.zst");
    let reading = format!("reading table {table}");
    let err = export_acted_on_at(source, &out, "rows-read", |_| kill(source), 1, &[&reading]);
    assert!(
        said.iter().any(|w| err.contains(w)),
        "none of {said:?} in\n{err}"
    );
    let left = || -> Vec<_> {
        std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect()
    };
    assert!(left().is_empty(), "left behind: {:?}\n{err}", left());

    let err = export_acted_on_at(
        source,
        &out,
        "rows-read",
        crate::support::terminate,
        143,
        &["removed the temporary file"],
    );
    assert!(left().is_empty(), "left behind: {:?}\n{err}", left());
}

/// Another tool's whole `dump`, cut after `end` bytes (between two
/// statements): refused as truncated, with the target's `state` as it was;
/// then the whole file loads with `--truncate`.
fn assert_cut_refused_whole_loads<S: Server>(
    target: &AnyDb<S>,
    dump: &Path,
    end: usize,
    state: impl Fn(&AnyDb<S>) -> String,
) {
    let text = std::fs::read_to_string(dump).unwrap();
    let before = state(target);
    let cut = write(&dump.with_file_name("cut.sql"), &text[..end]);
    assert_refused(&import(target, &cut, &["--truncate"]), &cut, "truncated");
    assert_eq!(state(target), before, "the target changed");
    import(target, dump, &["--truncate"]).assert_success();
}

#[track_caller]
fn assert_refused(run: &Run, path: &Path, words: &str) {
    assert_eq!(run.code, Some(1), "expected a refusal\n{run}");
    assert!(
        run.stderr.contains(path_str(path)),
        "the message names the file\n{run}"
    );
    assert!(
        run.stderr.to_lowercase().contains(&words.to_lowercase()),
        "the message says {words:?}\n{run}"
    );
}

/// How one engine spells the killed-load case: tables `a` (1,000 rows) and
/// `zz`, loaded in that order; the test holds a lock on `zz`.
struct KilledLoad<'a> {
    ddl: &'a str,
    rows: &'a str,
    /// How the row blocks of `a` and `zz` start in a data file.
    a_block: &'a str,
    zz_block: &'a str,
    /// `zz` as the message names it.
    zz_shown: &'a str,
    /// See [`import_with_backend_killed`].
    lock: &'a str,
    waiting: &'a str,
    kill: &'a str,
}

/// A session killed mid-load, waiting for `zz`: the run reads "connection
/// lost while loading table zz (at PATH:LINE)", not a statement error, and
/// `state` of the target is as it was: nothing committed.
fn assert_killed_load_commits_nothing<S: Server>(
    case: &KilledLoad,
    state: impl Fn(&AnyDb<S>) -> String,
) {
    let source = AnyDb::<S>::create("src");
    source.sql(case.ddl);
    source.sql(case.rows);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("data.sql");
    export_data_ok(&source, &file, &[]);
    let target = AnyDb::<S>::create("dst");
    target.sql(case.ddl);
    let before = state(&target);
    let line = line_of(&file, case.zz_block);
    assert!(line > line_of(&file, case.a_block), "a loads first");
    let run = import_with_backend_killed(&target, &file, case.lock, case.waiting, case.kill);
    assert_eq!(run.code, Some(1), "{run}");
    let wording = format!(
        "connection lost while loading table {} (at {}:{line})",
        case.zz_shown,
        path_str(&file)
    );
    assert!(run.stderr.contains(&wording), "expected {wording:?}\n{run}");
    assert_eq!(state(&target), before, "something was committed\n{run}");
}

/// Imports 300 mutants of `good` (written beside it) with `--truncate` into `target`,
/// whose `state` is the populated one: each run either exits 1 and leaves the
/// state as it was, or exits 0 and leaves the state of `source` (then
/// `populate` puts the target back). At least `min_refused` must be refused
/// (mutants of comment lines load, and small files have many of those).
fn run_mutants<S: Server>(
    good: &Path,
    (source, target): (&AnyDb<S>, &AnyDb<S>),
    inserts: &[&str],
    state: impl Fn(&AnyDb<S>) -> String,
    populate: impl Fn(),
    min_refused: usize,
) {
    let expected = state(source);
    let dir = good.parent().expect("the snapshot's folder");
    let before = state(target);
    assert_ne!(before, expected, "the target must differ from the snapshot");
    let text = std::fs::read(good).unwrap();
    let mut mutator = Mutator::new(&text, inserts);
    let (mut failed, mut loaded) = (0, 0);
    for i in 0..300 {
        let file = dir.join(format!("m{i}.sql"));
        std::fs::write(&file, mutator.mutant(i)).unwrap();
        let run = import(target, &file, &["--truncate"]);
        if run.success() {
            loaded += 1;
            assert_eq!(
                state(target),
                expected,
                "mutant {i} loaded something else\n{run}"
            );
            populate();
            assert_eq!(state(target), before, "could not restore the target");
        } else {
            failed += 1;
            assert_eq!(run.code, Some(1), "mutant {i}\n{run}");
            assert_eq!(
                state(target),
                before,
                "mutant {i} changed the target\n{run}"
            );
        }
    }
    eprintln!("mutants: {failed} refused, {loaded} loaded exactly");
    assert!(
        failed >= min_refused,
        "only {failed} of 300 mutants were refused"
    );
}
