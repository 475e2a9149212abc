//! What a run must remove if it stops early: its temporary files and its
//! staging databases. Each is registered while it exists; after SIGINT or
//! SIGTERM, `main` takes them ([`take_all`]) and removes them ([`remove`]) before it exits. What a killed run
//! (kill -9) left is found by the next run: see `sweep_temp_files` and the
//! engines' leftover checks, which go by the owner's run tag.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::config::ConnectionSpec;
use crate::error::Report;

pub enum Leftover {
    File(PathBuf),
    /// The temporary file of an output that would have been renamed to `path`.
    Output {
        temp: PathBuf,
        path: PathBuf,
    },
    Database {
        spec: ConnectionSpec,
        name: String,
    },
    /// MySQL AUTO_INCREMENT counters before an import's transaction: InnoDB
    /// does not roll them back with its rows.
    Counters {
        spec: ConnectionSpec,
        before: Vec<(String, u64)>,
    },
    /// A server session of the run (an import's): ended from a new
    /// connection, since exiting does not stop a statement waiting for a
    /// lock, which goes on holding the locks it already has.
    Session {
        spec: ConnectionSpec,
        id: u32,
    },
}

static LEFT: Mutex<Vec<(u64, Leftover)>> = Mutex::new(Vec::new());
static CRITICAL: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// A step that a signal must not cut in two (a swap: some of its renames
/// done, others not). While one is alive, `main` lets the command run on
/// until it ends, then cleans up.
pub struct Critical(());

pub fn critical() -> Critical {
    CRITICAL.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    Critical(())
}

impl Drop for Critical {
    fn drop(&mut self) {
        CRITICAL.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

pub fn in_critical() -> bool {
    CRITICAL.load(std::sync::atomic::Ordering::SeqCst) > 0
}
static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// Unregisters on drop: the owner removed the thing itself, or kept it on purpose.
pub struct Registration(u64);

impl Drop for Registration {
    fn drop(&mut self) {
        if let Ok(mut left) = LEFT.lock() {
            left.retain(|(id, _)| *id != self.0);
        }
    }
}

fn register(item: Leftover) -> Registration {
    let id = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    if let Ok(mut left) = LEFT.lock() {
        left.push((id, item));
    }
    Registration(id)
}

/// Counters to put back if the import is stopped before it commits.
pub fn counters(spec: &ConnectionSpec, before: &[(String, u64)]) -> Registration {
    register(Leftover::Counters {
        spec: spec.clone(),
        before: before.to_vec(),
    })
}

/// The server session `id` (PostgreSQL backend pid, MySQL connection id).
pub fn session(spec: &ConnectionSpec, id: u32) -> Registration {
    register(Leftover::Session {
        spec: spec.clone(),
        id,
    })
}

pub fn file(path: &Path) -> Registration {
    register(Leftover::File(path.to_path_buf()))
}

/// The temporary file `temp` of an output to be renamed to `path` when complete.
pub fn output(temp: &Path, path: &Path) -> Registration {
    register(Leftover::Output {
        temp: temp.to_path_buf(),
        path: path.to_path_buf(),
    })
}

/// A staging database on the server of `spec` (any database name in it).
pub fn database(spec: &ConnectionSpec, name: &str) -> Registration {
    register(Leftover::Database {
        spec: spec.clone(),
        name: name.to_string(),
    })
}

/// Everything registered now; the registry is left empty.
pub fn take_all() -> Vec<Leftover> {
    match LEFT.lock() {
        Ok(mut left) => left.drain(..).map(|(_, item)| item).collect(),
        Err(_) => Vec::new(),
    }
}

/// Removes what `take_all` returned, and says what it removed.
pub async fn remove(mut items: Vec<Leftover>) {
    // Sessions end first: counters cannot be put back while the session
    // that moved them still holds its table.
    items.sort_by_key(|item| !matches!(item, Leftover::Session { .. }));
    for item in items {
        match item {
            Leftover::Session { spec, id } => {
                if let Err(e) = crate::engine::Engine::end_session(&spec, id).await {
                    eprintln!(
                        "dbsnap: could not end the server session {id}: {}",
                        Report(&e)
                    );
                }
            }
            Leftover::File(path) => {
                if std::fs::remove_file(&path).is_ok() {
                    eprintln!("dbsnap: removed the temporary file {}", path.display());
                }
            }
            Leftover::Output { temp, path } => {
                let removed = match std::fs::remove_file(&temp) {
                    Ok(()) => format!("removed the temporary file {}; ", temp.display()),
                    Err(_) => String::new(),
                };
                eprintln!("dbsnap: {removed}{} was not written", path.display());
            }
            Leftover::Counters { spec, before } => {
                match crate::engine::mysql::put_back_counters_after(&spec, &before).await {
                    Ok(()) => eprintln!(
                        "dbsnap: nothing was committed; the AUTO_INCREMENT counters are as they were"
                    ),
                    Err(e) => eprintln!(
                        "dbsnap: nothing was committed, but AUTO_INCREMENT counters moved by the \
                         rolled-back rows could not be put back: {}",
                        Report(&e)
                    ),
                }
            }
            Leftover::Database { spec, name } => match crate::engine::Engine::for_spec(&spec) {
                Ok(engine) => match engine.drop_staging(&name).await {
                    Ok(()) => eprintln!("dbsnap: dropped the staging database {name}"),
                    Err(e) => {
                        eprintln!(
                            "dbsnap: could not drop the staging database {name}: {}",
                            Report(&e)
                        )
                    }
                },
                Err(e) => eprintln!(
                    "dbsnap: could not drop the staging database {name}: {}",
                    Report(&e)
                ),
            },
        }
    }
}

/// Temporary names carry the pid of the process writing them.
pub fn temp_prefix(kind: &str) -> String {
    format!(".dbsnap-{kind}{}-", std::process::id())
}

/// Removes temporary files in `dir` whose writer is gone (a run killed with
/// SIGKILL had no chance to), and says so.
pub fn sweep_temp_files(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(rest) = name.strip_prefix(".dbsnap-") else {
            continue;
        };
        if !name.ends_with(".tmp") {
            continue;
        }
        let rest = rest.strip_prefix("piece-").unwrap_or(rest);
        let Some(pid) = rest.split('-').next().and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        if pid == std::process::id() || Path::new(&format!("/proc/{pid}")).exists() {
            continue;
        }
        if std::fs::remove_file(entry.path()).is_ok() {
            eprintln!(
                "dbsnap: removed {}, left by an earlier run (pid {pid}) that was killed",
                entry.path().display()
            );
        }
    }
}
