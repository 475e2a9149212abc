//! One throwaway database per test, for either engine, and the clean-up of
//! databases that earlier, dead runs left behind.
//!
//! Names are `dbsnap_t_<test>[_<label>]_<pid>_<n>`. While a test process runs
//! it holds an exclusive lock on `$TMPDIR/dbsnap-test-runs/<pid>.lock`; the
//! kernel releases it when the process ends, however it ends. So a database
//! whose run's lock file exists and can be locked belongs to a run that is
//! provably dead on this host, and is dropped by the next run. A database with
//! no lock file (another host, an older checkout) or a held one (a live run,
//! possibly another engineer's) is never touched.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

use super::server::Server;
use super::{current_test_name, redact_url_password, sanitize};

/// Longest name given to a test database. dbsnap's init builds
/// `<target>__dbsnap_new_<pid>` next to its target; staying at 43 bytes leaves
/// room for that within PostgreSQL's 63 and MySQL's 64 bytes, so a staging
/// database always starts with its target's full name.
pub const MAX_TEST_DB_NAME: usize = 43;

/// Every test database name starts with this.
pub const PREFIX: &str = "dbsnap_t_";

/// What dbsnap puts between a target's name and the rest of a staging name.
const STAGING: &str = "__dbsnap_";

/// `DBSNAP_KEEP_TEST_DBS=1`: keep a failed test's databases (and skip the
/// clean-up of dead runs, which would drop databases kept earlier).
pub fn keep_failed() -> bool {
    matches!(
        std::env::var("DBSNAP_KEEP_TEST_DBS").as_deref(),
        Ok("1" | "y" | "yes" | "true")
    )
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A database owned by one test. Dropped, with dbsnap's staging databases for
/// it (`<name>__dbsnap_...`), when the value goes out of scope, also when the
/// test failed, unless [`keep_failed`]. Drop never panics.
pub struct TestDb<S: Server> {
    name: String,
    server: &'static S,
    /// MySQL: the shared side of the large-values lock, released after the
    /// database is dropped (fields drop after `Drop::drop`).
    _beside_large_values: Option<File>,
}

impl<S: Server> TestDb<S> {
    /// Creates a fresh, empty database.
    #[track_caller]
    pub fn create(label: &str) -> TestDb<S> {
        let db = Self::reserve(label);
        let server = db.server;
        if let Err(e) = server.try_sql(&server.maintenance_db(), &S::create_database_sql(&db.name))
        {
            panic!("creating test database {}: {e}", db.name);
        }
        db
    }

    /// Reserves a unique name without creating the database (e.g. a target for
    /// `dbsnap init`). Whatever ends up under that name is dropped at the end.
    #[track_caller]
    pub fn reserve(label: &str) -> TestDb<S> {
        let server = S::get();
        let beside = if S::STALLS_BESIDE_LARGE_VALUES {
            super::beside_large_values()
        } else {
            None
        };
        run_lock();
        sweep_dead_runs(server);
        let test = sanitize(&current_test_name(), 40);
        let label = sanitize(label, 20);
        let mid = if label.is_empty() {
            test
        } else {
            format!("{test}_{label}")
        };
        for _ in 0..100 {
            let n = COUNTER.fetch_add(1, Ordering::Relaxed);
            let suffix = format!("_{}_{n}", std::process::id());
            let room = MAX_TEST_DB_NAME - PREFIX.len() - suffix.len();
            let mut mid = mid.clone();
            mid.truncate(room);
            let name = format!("{PREFIX}{}{suffix}", mid.trim_end_matches('_'));
            assert!(name.len() <= MAX_TEST_DB_NAME, "{name} is too long");
            // Not ours to drop, should a name ever be taken.
            let taken = server
                .databases_with_prefix(&name)
                .unwrap_or_else(|e| panic!("listing {} databases: {e}", S::NAME));
            if !taken.iter().any(|d| *d == name || is_staging_of(d, &name)) {
                return TestDb {
                    name,
                    server,
                    _beside_large_values: beside,
                };
            }
        }
        panic!("no free test database name for {mid}");
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn url(&self) -> String {
        self.server.url_for(&self.name)
    }

    pub fn server(&self) -> &'static S {
        self.server
    }

    /// Runs `sql` in this database with the engine's own client; returns stdout.
    pub fn try_sql(&self, sql: &str) -> Result<String, String> {
        self.server.try_sql(&self.name, sql)
    }

    /// Like [`TestDb::try_sql`]; panics with the client's stderr on failure.
    #[track_caller]
    pub fn sql(&self, sql: &str) -> String {
        self.try_sql(sql)
            .unwrap_or_else(|e| panic!("{e}\nSQL: {}", super::truncate_middle(sql, 2000)))
    }

    pub fn exists(&self) -> bool {
        self.server.database_exists(&self.name)
    }

    /// dbsnap staging databases left next to this one.
    pub fn staging_leftovers(&self) -> Vec<String> {
        self.server
            .databases_with_prefix(&format!("{}{STAGING}", self.name))
            .unwrap_or_else(|e| panic!("listing {} databases: {e}", S::NAME))
    }

    /// Panics unless no dbsnap staging database is left next to this one.
    #[track_caller]
    pub fn assert_no_staging_leftovers(&self) {
        let left = self.staging_leftovers();
        assert!(left.is_empty(), "staging databases left behind: {left:?}");
    }

    /// Loads the SQL file `path` with the engine's own client; panics on failure.
    #[track_caller]
    pub fn sql_file(&self, path: &std::path::Path) {
        self.server.sql_file(&self.name, path)
    }

    /// Loads `tests/fixtures/<rel>` (see [`Server::load_fixture`]).
    #[track_caller]
    pub fn load_fixture(&self, rel: &str) {
        self.server.load_fixture(&self.name, rel)
    }

    /// This database and its staging databases, as they exist now.
    fn ours(&self) -> Result<Vec<String>, String> {
        Ok(self
            .server
            .databases_with_prefix(&self.name)?
            .into_iter()
            .filter(|d| *d == self.name || is_staging_of(d, &self.name))
            .collect())
    }
}

fn is_staging_of(db: &str, target: &str) -> bool {
    db.strip_prefix(target)
        .is_some_and(|rest| rest.starts_with(STAGING))
}

impl<S: Server> Drop for TestDb<S> {
    fn drop(&mut self) {
        // Never panic here: a panic while panicking aborts the whole run.
        let ours = match self.ours() {
            Ok(ours) => ours,
            Err(e) => {
                eprintln!(
                    "warning: could not list databases to drop {}: {e}",
                    self.name
                );
                return;
            }
        };
        let failed = std::thread::panicking();
        for db in ours {
            if failed && keep_failed() {
                eprintln!(
                    "test database {db} kept for inspection: {}",
                    self.server.inspect_hint(&db)
                );
                continue;
            }
            let sql = S::drop_database_sql(&db);
            match self.server.try_sql(&self.server.maintenance_db(), &sql) {
                Ok(_) if failed => eprintln!(
                    "dropped test database {db} of the failed test (DBSNAP_KEEP_TEST_DBS=1 keeps it)"
                ),
                Ok(_) => {}
                Err(e) => eprintln!("warning: could not drop test database {db}: {e}"),
            }
        }
    }
}

// --- runs -------------------------------------------------------------------------------

fn runs_dir() -> PathBuf {
    std::env::temp_dir().join("dbsnap-test-runs")
}

fn lock_path(pid: u32) -> PathBuf {
    runs_dir().join(format!("{pid}.lock"))
}

/// Takes this process's run lock (once). A sweeper that found the file of a
/// dead run with our pid may hold it for a moment, or may have removed the
/// file while we waited: then we lock the new file.
fn run_lock() {
    static LOCK: OnceLock<File> = OnceLock::new();
    LOCK.get_or_init(|| {
        let dir = runs_dir();
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("creating {}: {e}", dir.display()));
        let path = lock_path(std::process::id());
        loop {
            let file = OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&path)
                .unwrap_or_else(|e| panic!("opening {}: {e}", path.display()));
            file.lock()
                .unwrap_or_else(|e| panic!("locking {}: {e}", path.display()));
            let same = std::fs::metadata(&path)
                .is_ok_and(|m| file.metadata().is_ok_and(|f| f.ino() == m.ino()));
            if same {
                return file;
            }
        }
    });
}

/// The pid in a test database name (`dbsnap_t_..._<pid>_<n>`, or a staging
/// database of one).
fn pid_of(db: &str) -> Option<u32> {
    let rest = db.strip_prefix(PREFIX)?;
    let target = rest.split(STAGING).next()?;
    let mut parts = target.rsplit('_');
    parts.next()?.parse::<u64>().ok()?;
    parts.next()?.parse().ok()
}

/// Drops the databases of dead runs on `server`, once per engine and process.
fn sweep_dead_runs<S: Server>(server: &S) {
    static SWEPT: Mutex<BTreeSet<&'static str>> = Mutex::new(BTreeSet::new());
    {
        let mut swept = SWEPT.lock().unwrap_or_else(|e| e.into_inner());
        if !swept.insert(S::NAME) || keep_failed() {
            return;
        }
    }
    let names = match server.databases_with_prefix(PREFIX) {
        Ok(names) => names,
        Err(e) => {
            eprintln!("warning: could not list {} test databases: {e}", S::NAME);
            return;
        }
    };
    let mut by_pid: BTreeMap<u32, Vec<String>> = BTreeMap::new();
    for name in names {
        if let Some(pid) = pid_of(&name) {
            by_pid.entry(pid).or_default().push(name);
        }
    }
    by_pid.remove(&std::process::id());
    for (pid, dbs) in by_pid {
        let path = lock_path(pid);
        let Ok(file) = OpenOptions::new().write(true).open(&path) else {
            continue; // no lock file: not provably a dead run of this host
        };
        if file.try_lock().is_err() {
            continue; // a live run holds it
        }
        for db in &dbs {
            match server.try_sql(&server.maintenance_db(), &S::drop_database_sql(db)) {
                // On the real stderr: libtest swallows eprintln! of passing tests.
                Ok(_) => {
                    let _ = writeln!(
                        std::io::stderr(),
                        "dropped {db}, left on {} by an earlier test run (pid {pid}) that has ended",
                        redact_url_password(&server.redacted())
                    );
                }
                Err(e) => eprintln!("warning: could not drop leftover test database {db}: {e}"),
            }
        }
    }
    remove_old_lock_files();
}

/// A dead run's lock file stays, because the other engine's server may still
/// hold its databases; after a week it goes (removed while we hold its lock; a
/// new run with that pid checks it locked the file that is still there).
fn remove_old_lock_files() {
    const WEEK: std::time::Duration = std::time::Duration::from_secs(7 * 24 * 3600);
    let Ok(entries) = std::fs::read_dir(runs_dir()) else {
        return;
    };
    let own = lock_path(std::process::id());
    for entry in entries.flatten() {
        let path = entry.path();
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .is_ok_and(|t| t.elapsed().is_ok_and(|age| age > WEEK));
        if !old || path == own || path.extension().is_none_or(|e| e != "lock") {
            continue;
        }
        if let Ok(file) = OpenOptions::new().write(true).open(&path) {
            if file.try_lock().is_ok() {
                let _ = std::fs::remove_file(&path);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pid_from_names() {
        assert_eq!(pid_of("dbsnap_t_some_test_src_4242_7"), Some(4242));
        assert_eq!(
            pid_of("dbsnap_t_some_test_dst_4242_7__dbsnap_new_999"),
            Some(4242)
        );
        assert_eq!(pid_of("dbsnap_t_no_numbers"), None);
        assert_eq!(pid_of("other_db_1_2"), None);
        assert!(is_staging_of(
            "dbsnap_t_x_1_2__dbsnap_new_3",
            "dbsnap_t_x_1_2"
        ));
        assert!(!is_staging_of("dbsnap_t_x_1_23", "dbsnap_t_x_1_2"));
    }
}
