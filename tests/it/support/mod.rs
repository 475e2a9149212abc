//! Shared helpers for the integration tests: running programs (dbsnap among
//! them), comparing large texts, temporary directories and corpus paths.
//!
//! - `server`: the [`server::Server`] trait and URL handling both engines share;
//! - `testdb`: one throwaway database per test, generic over the server, and the
//!   clean-up of databases left by dead runs;
//! - `commands`: one wrapper per dbsnap command;
//! - `init_safety`: the existing database `init` must leave alone, for both engines;
//! - `pg`, `mysql`: each engine's server, oracle and sample loaders.

// Not every test module uses every helper.
#![allow(dead_code)]

pub mod commands;
pub mod init_safety;
pub mod mutants;
pub mod mysql;
pub mod pg;
pub mod server;
pub mod session;
pub mod testdb;
pub mod tls;

use std::ffi::OsStr;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// Named tests from a table: one `#[test] fn NAME()` per row, each calling
/// `CHECK(ARGS...)`; for cases that differ only in the sample they load.
macro_rules! tests_calling {
    ($check:ident { $($(#[$meta:meta])* $name:ident => ($($arg:expr),* $(,)?)),* $(,)? }) => {
        $(
            $(#[$meta])*
            #[test]
            fn $name() {
                $check($($arg),*);
            }
        )*
    };
}
pub(crate) use tests_calling;

/// Named tests of one engine: one `#[test] fn NAME()` per row, each calling
/// the engine-generic `CHECK::<ENGINE>()`; for checks written once for both.
macro_rules! tests_for_engine {
    ($engine:ty { $($(#[$meta:meta])* $name:ident => $check:ident),* $(,)? }) => {
        $(
            $(#[$meta])*
            #[test]
            fn $name() {
                $check::<$engine>();
            }
        )*
    };
}
pub(crate) use tests_for_engine;

/// Variables that select a database. They are removed from every dbsnap child by
/// default, so that a developer's environment cannot redirect a test to another
/// server; tests that exercise them set them explicitly.
pub const CONNECTION_VARS: &[&str] = &[
    "DATABASE_URL",
    "DB_ENGINE",
    "DB_HOST",
    "DB_PORT",
    "DB_USER",
    "DB_PASS",
    "DB_NAME",
    "PGHOST",
    "PGHOSTADDR",
    "PGPORT",
    "PGUSER",
    "PGPASSWORD",
    "PGDATABASE",
    "PGSERVICE",
];

/// How long one dbsnap run may take before the test kills it and fails.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(600);

/// The result of one dbsnap run.
#[derive(Debug)]
pub struct Run {
    /// Exit code; `None` if the process was killed by a signal.
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    /// The command line, with passwords in URLs redacted, for messages.
    pub cmdline: String,
}

impl Run {
    pub fn success(&self) -> bool {
        self.code == Some(0)
    }

    /// Panics (showing stdout and stderr) unless the exit code is `code`.
    #[track_caller]
    pub fn assert_code(&self, code: i32) -> &Self {
        assert_eq!(self.code, Some(code), "unexpected exit status\n{self}");
        self
    }

    #[track_caller]
    pub fn assert_success(&self) -> &Self {
        self.assert_code(0)
    }

    /// Panics unless stderr has each of `words`.
    #[track_caller]
    pub fn assert_stderr_has(&self, words: &[&str]) -> &Self {
        for words in words {
            assert!(
                self.stderr.contains(words),
                "stderr lacks `{words}`:\n{self}"
            );
        }
        self
    }

    /// Panics unless stderr names `PATH:LINE:`, where the run found what
    /// failed, and has each of `words` (the server's message, say).
    #[track_caller]
    pub fn assert_names_line(&self, path: &Path, line: usize, words: &[&str]) -> &Self {
        let location = format!("{}:{line}:", path.display());
        assert!(
            self.stderr.contains(&location),
            "stderr does not name `{location}`:\n{self}"
        );
        self.assert_stderr_has(words)
    }
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "command: {}", self.cmdline)?;
        writeln!(f, "exit code: {:?}", self.code)?;
        writeln!(
            f,
            "--- stdout ({} bytes) ---\n{}",
            self.stdout.len(),
            truncate_middle(&self.stdout, 4000)
        )?;
        write!(f, "--- stderr ---\n{}", truncate_middle(&self.stderr, 8000))
    }
}

/// Builder for a run of the dbsnap binary under test.
///
/// Defaults: stdin is **null** (so dbsnap sees no terminal and never prompts),
/// stdout/stderr are captured, the variables in [`CONNECTION_VARS`] are removed,
/// and the run is killed after [`DEFAULT_TIMEOUT`].
pub struct Dbsnap {
    cmd: Command,
    shown: Vec<String>,
    timeout: Duration,
}

impl Default for Dbsnap {
    fn default() -> Self {
        Self::new()
    }
}

impl Dbsnap {
    pub fn new() -> Dbsnap {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_dbsnap"));
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for var in CONNECTION_VARS {
            cmd.env_remove(var);
        }
        Dbsnap {
            cmd,
            shown: vec!["dbsnap".to_string()],
            timeout: DEFAULT_TIMEOUT,
        }
    }

    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Self {
        self.shown
            .push(redact_url_password(&arg.as_ref().to_string_lossy()));
        self.cmd.arg(arg);
        self
    }

    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        for a in args {
            self = self.arg(a);
        }
        self
    }

    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Self {
        self.cmd.env(key, value);
        self
    }

    pub fn env_remove(mut self, key: impl AsRef<OsStr>) -> Self {
        self.cmd.env_remove(key);
        self
    }

    pub fn current_dir(mut self, dir: impl AsRef<Path>) -> Self {
        self.cmd.current_dir(dir);
        self
    }

    /// Replaces the null stdin (e.g. with `Stdio::piped()` is NOT supported here:
    /// nothing would feed it; use a file).
    pub fn stdin(mut self, stdin: Stdio) -> Self {
        self.cmd.stdin(stdin);
        self
    }

    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The child, stdout to nowhere and stderr piped, and its command line.
    fn start(mut self) -> (std::process::Child, String) {
        let shown = self.shown.join(" ");
        let child = self
            .cmd
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {shown}: {e}"));
        (child, shown)
    }

    /// Starts the run in the background, for a test that watches or signals
    /// it: stdout goes nowhere, stderr is read on a thread (joined: all of it).
    pub fn spawn(self) -> (std::process::Child, thread::JoinHandle<String>) {
        let (mut child, _) = self.start();
        let err = read_in_thread(child.stderr.take().expect("piped stderr"));
        let err = thread::spawn(move || {
            String::from_utf8_lossy(&err.join().unwrap_or_default()).into_owned()
        });
        (child, err)
    }

    /// [`Dbsnap::spawn`], returning once a line of its stderr holds `text`
    /// (the rest is still collected); panics if the run ends first.
    pub fn spawn_until_said(self, text: &str) -> (std::process::Child, thread::JoinHandle<String>) {
        use std::io::BufRead;
        let (mut child, shown) = self.start();
        let stderr = child.stderr.take().expect("piped stderr");
        let (lines, said) = std::sync::mpsc::channel();
        let err = thread::spawn(move || {
            let mut all = String::new();
            for line in std::io::BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                let _ = lines.send(line.clone());
                all += &line;
                all.push('\n');
            }
            all
        });
        let deadline = Instant::now() + Duration::from_secs(300);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match said.recv_timeout(left) {
                Ok(line) if line.contains(text) => return (child, err),
                Ok(_) => {}
                Err(_) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    panic!(
                        "{shown} ended or went on without saying {text:?}:\n{}",
                        err.join().unwrap_or_default()
                    );
                }
            }
        }
    }

    /// [`Dbsnap::spawn`] with `DBSNAP_PAUSE_AT=STEP:PAUSE`, returning once
    /// the run waits at `step`: it goes on when the test removes `pause`.
    pub fn spawn_paused_at(
        self,
        step: &str,
        pause: &Path,
    ) -> (std::process::Child, thread::JoinHandle<String>) {
        let (child, stderr) = self
            .env("DBSNAP_PAUSE_AT", format!("{step}:{}", pause.display()))
            .spawn();
        let started = std::time::Instant::now();
        while !pause.exists() {
            assert!(
                started.elapsed() < Duration::from_secs(300),
                "the run never reached {step}"
            );
            thread::sleep(Duration::from_millis(50));
        }
        (child, stderr)
    }

    /// Runs to completion (or kills the child and panics after the timeout).
    pub fn run(self) -> Run {
        let cmdline = self.shown.join(" ");
        run_command(self.cmd, cmdline, self.timeout)
    }
}

/// Sends SIGTERM to `child`, as a user's `kill` or a service manager does.
#[track_caller]
pub(crate) fn terminate(child: &std::process::Child) {
    let sent = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("run kill")
        .success();
    assert!(sent, "kill -TERM {}", child.id());
}

/// Waits for `child` to exit; one still going after `timeout` is killed
/// and None is returned.
pub(crate) fn wait_until(child: &mut std::process::Child, timeout: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + timeout;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Some(status),
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
            Ok(None) => thread::sleep(Duration::from_millis(10)),
            Err(e) => panic!("waiting for a child process: {e}"),
        }
    }
}

/// Waits for a spawned run's exit code; a run still going after `timeout`
/// is killed and the test fails (a hang must not hang the suite).
pub fn wait_or_kill(child: &mut std::process::Child, timeout: Duration) -> Option<i32> {
    match wait_until(child, timeout) {
        Some(status) => status.code(),
        None => panic!("the run did not finish within {timeout:?}; killed it"),
    }
}

/// The one process runner: runs `cmd` with stdout and stderr captured,
/// killing it and panicking after `timeout`. stdin is as the caller set it. `shown` names the command in
/// messages (passwords redacted).
pub fn run_command(mut cmd: Command, shown: String, timeout: Duration) -> Run {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {shown}: {e}"));
    let out = read_in_thread(child.stdout.take().expect("piped stdout"));
    let err = read_in_thread(child.stderr.take().expect("piped stderr"));
    let Some(status) = wait_until(&mut child, timeout) else {
        let stderr = String::from_utf8_lossy(&err.join().unwrap_or_default()).into_owned();
        panic!("{shown} did not finish within {timeout:?}; killed it\n--- stderr ---\n{stderr}");
    };
    let stdout = String::from_utf8_lossy(&out.join().expect("stdout reader")).into_owned();
    let stderr = String::from_utf8_lossy(&err.join().expect("stderr reader")).into_owned();
    Run {
        code: status.code(),
        stdout,
        stderr,
        cmdline: shown,
    }
}

/// Runs `cmd`, panicking with its output unless it succeeds; returns stdout.
pub fn stdout_of(cmd: &mut Command, what: &str) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn read_in_thread(mut r: impl Read + Send + 'static) -> thread::JoinHandle<Vec<u8>> {
    thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = r.read_to_end(&mut buf);
        buf
    })
}

/// Runs dbsnap with `args` and extra environment `env` (on top of the defaults
/// of [`Dbsnap`]: null stdin, connection variables removed).
pub fn dbsnap<S: AsRef<OsStr>>(args: &[S], env: &[(&str, &str)]) -> Run {
    let mut cmd = Dbsnap::new().args(args);
    for (k, v) in env {
        cmd = cmd.env(k, v);
    }
    cmd.run()
}

/// `scheme://user:secret@host` -> `scheme://user:***@host` (for messages).
pub fn redact_url_password(s: &str) -> String {
    let Some(scheme_end) = s.find("://") else {
        return s.to_string();
    };
    let rest = &s[scheme_end + 3..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let Some(at) = authority.rfind('@') else {
        return s.to_string();
    };
    let userinfo = &authority[..at];
    let Some(colon) = userinfo.find(':') else {
        return s.to_string();
    };
    format!(
        "{}{}:***{}",
        &s[..scheme_end + 3],
        &userinfo[..colon],
        &rest[at..]
    )
}

fn truncate_middle(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut head = max / 2;
    while !s.is_char_boundary(head) {
        head -= 1;
    }
    let mut tail = s.len() - max / 2;
    while !s.is_char_boundary(tail) {
        tail += 1;
    }
    format!(
        "{}\n[... {} bytes left out ...]\n{}",
        &s[..head],
        tail - head,
        &s[tail..]
    )
}

// --- paths -------------------------------------------------------------------

/// The crate root.
pub fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `tests/fixtures/<rel>`.
pub fn fixture(rel: &str) -> PathBuf {
    let path = manifest_dir().join("tests/fixtures").join(rel);
    assert!(path.is_file(), "missing fixture {}", path.display());
    path
}

/// The sample-database corpus: the folder named by DBSNAP_CORPUS (`make test
/// CORPUS=DIR` sets it), else `../shared/corpus/` beside the repository root.
pub fn corpus_dir() -> PathBuf {
    match std::env::var_os("DBSNAP_CORPUS").filter(|v| !v.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => manifest_dir().join("../shared/corpus"),
    }
}

/// Whether the corpus round trips can run. Start each of them with
/// `if !corpus_present() { return; }`.
///
/// Without a corpus they are skipped, and one line says so for the whole run
/// (written to the real stderr: libtest would swallow `eprintln!` of a passing
/// test). Under `CI=true` a missing corpus fails the test instead, so CI keeps
/// running them; so does a DBSNAP_CORPUS that names no folder.
#[track_caller]
pub fn corpus_present() -> bool {
    use std::io::Write as _;
    static SAID: std::sync::Once = std::sync::Once::new();
    let dir = corpus_dir();
    if dir.is_dir() {
        return true;
    }
    let named = std::env::var_os("DBSNAP_CORPUS").is_some_and(|v| !v.is_empty());
    assert!(!named, "DBSNAP_CORPUS={} is not a folder", dir.display());
    let ci = std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true") || v == "1");
    assert!(
        !ci,
        "CI=true and no corpus at {}: set DBSNAP_CORPUS=DIR (or CORPUS=DIR for make)",
        dir.display()
    );
    SAID.call_once(|| {
        let _ = writeln!(
            std::io::stderr(),
            "corpus round trips skipped: no corpus at {} (set DBSNAP_CORPUS=DIR to run them)",
            dir.display()
        );
    });
    false
}

/// Runs `test` when the corpus is there (see [`corpus_present`]).
#[track_caller]
pub fn with_corpus(test: impl FnOnce()) {
    if corpus_present() {
        test();
    }
}

/// A file of the corpus, e.g. `corpus_file("pg/pagila/pagila-schema.sql")`.
/// Panics when it is missing: guard the test with [`corpus_present`].
pub fn corpus_file(rel: &str) -> PathBuf {
    let path = corpus_dir().join(rel);
    assert!(
        path.is_file(),
        "missing corpus file {} (DBSNAP_CORPUS, or ../shared/corpus beside the repository root; \
         guard corpus tests with `if !corpus_present() {{ return; }}`)",
        path.display()
    );
    path
}

/// A temporary directory, deleted on drop unless the thread is panicking: then it
/// is kept (and its path printed) so the files of a failed test can be inspected.
pub struct ScratchDir {
    dir: tempfile::TempDir,
}

impl ScratchDir {
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `self.path().join(name)`.
    pub fn join(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Names of the entries in the directory, sorted.
    pub fn entries(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.path())
            .expect("read scratch directory")
            .map(|e| {
                e.expect("read scratch directory")
                    .file_name()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        names.sort();
        names
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        if thread::panicking() {
            self.dir.disable_cleanup(true);
            eprintln!(
                "scratch directory kept for inspection: {}",
                self.dir.path().display()
            );
        }
    }
}

/// Held by the tests that write values of tens of MiB into MariaDB, so that
/// each runs alone: no other MySQL test database exists meanwhile, in this
/// or another test process on the host (see [`beside_large_values`]). A
/// LOAD DATA of a 24 MiB row beside other sessions' DDL (CREATE TABLE, CREATE
/// and DROP DATABASE) stalled the server for good four times: InnoDB's
/// default 96 MiB redo log is less than ten times such values (MariaDB's
/// sizing rule), the checkpoint could not advance, and every session waited
/// on dict_sys.latch until InnoDB's watchdog aborted the server. Each runs
/// in seconds alone.
pub fn large_values_one_at_a_time() -> LargeValuesLock {
    let file = large_values_lock(libc::LOCK_EX);
    HOLDS_LARGE_VALUES.with(|h| h.set(true));
    LargeValuesLock { _file: file }
}

/// The other side of [`large_values_one_at_a_time`]: held by every MySQL
/// test database while it lives, in any test process on this host, so that
/// no other test's DDL runs beside a large value's load (the stall above
/// needed both). None on the thread of a test that holds the exclusive lock.
pub fn beside_large_values() -> Option<std::fs::File> {
    if HOLDS_LARGE_VALUES.with(|h| h.get()) {
        return None;
    }
    Some(large_values_lock(libc::LOCK_SH))
}

thread_local! {
    static HOLDS_LARGE_VALUES: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

fn large_values_lock(how: libc::c_int) -> std::fs::File {
    use std::os::fd::AsRawFd;
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(std::env::temp_dir().join("dbsnap-it-large-values.lock"))
        .expect("open the large-values lock file");
    // SAFETY: flock on a descriptor this function owns; released on close.
    let rc = unsafe { libc::flock(file.as_raw_fd(), how) };
    assert_eq!(rc, 0, "flock: {}", std::io::Error::last_os_error());
    file
}

/// The lock of [`large_values_one_at_a_time`]; closing the file releases it.
pub struct LargeValuesLock {
    _file: std::fs::File,
}

impl Drop for LargeValuesLock {
    fn drop(&mut self) {
        HOLDS_LARGE_VALUES.with(|h| h.set(false));
    }
}

/// The permission bits of `path`.
pub fn mode_of(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("stat {}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o7777
}

/// An export written `dir/name` with mode 0600, and left nothing else in `dir`.
#[track_caller]
pub fn assert_alone_and_private(dir: &ScratchDir, name: &str) {
    let mode = mode_of(&dir.join(name));
    assert_eq!(mode, 0o600, "{name}: mode is {mode:o}, expected 600");
    assert_eq!(
        dir.entries(),
        vec![name.to_string()],
        "only the snapshot may be left in its directory"
    );
}

/// A fresh scratch directory (see [`ScratchDir`]).
pub fn tempdir() -> ScratchDir {
    let dir = tempfile::Builder::new()
        .prefix("dbsnap-it-")
        .tempdir()
        .expect("create a temporary directory");
    ScratchDir { dir }
}

/// A directory under cargo's per-target scratch area (kept after the run) for
/// artefacts that help diagnose a failure.
pub fn artefact_dir(what: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("dbsnap-it")
        .join(sanitize(what, 80));
    std::fs::create_dir_all(&dir).expect("create artefact directory");
    dir
}

/// Lowercase ASCII letters, digits and `_` only; at most `max` bytes.
pub fn sanitize(s: &str, max: usize) -> String {
    let mut out: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    while out.contains("__") {
        out = out.replace("__", "_");
    }
    let mut out = out.trim_matches('_').to_string();
    out.truncate(max);
    out.trim_end_matches('_').to_string()
}

/// The running test's name (`module::test` for libtest), without the module path.
pub fn current_test_name() -> String {
    let name = thread::current().name().unwrap_or("test").to_string();
    name.rsplit("::").next().unwrap_or("test").to_string()
}

// --- comparing texts ------------------------------------------------------------

/// Asserts two (large) texts are equal. On failure writes both to an artefact
/// directory and panics with a unified diff of the differing region (a few hunks,
/// not the whole texts).
#[track_caller]
pub fn assert_same_text(what: &str, left_name: &str, left: &str, right_name: &str, right: &str) {
    if left == right {
        return;
    }
    let dir = artefact_dir(&format!("{}_{}", current_test_name(), what));
    let lpath = dir.join(format!("{}.txt", sanitize(left_name, 40)));
    let rpath = dir.join(format!("{}.txt", sanitize(right_name, 40)));
    let _ = std::fs::write(&lpath, left);
    let _ = std::fs::write(&rpath, right);
    panic!(
        "{what}: {left_name} and {right_name} differ\n--- {left_name}\n+++ {right_name}\n{}\n(full texts: {} and {})",
        unified_diff(left, right, 3, 120),
        lpath.display(),
        rpath.display()
    );
}

/// A unified-style diff of `a` and `b` with `context` lines around changes,
/// stopping after about `max_lines` output lines.
pub fn unified_diff(a: &str, b: &str, context: usize, max_lines: usize) -> String {
    let diff = similar::TextDiff::from_lines(a, b);
    let text = diff.unified_diff().context_radius(context).to_string();
    if text.lines().count() <= max_lines {
        return text;
    }
    let changed = diff
        .iter_all_changes()
        .filter(|c| c.tag() != similar::ChangeTag::Equal)
        .count();
    let mut out: String = text
        .lines()
        .take(max_lines)
        .map(|l| l.to_string() + "\n")
        .collect();
    out.push_str(&format!(
        "[... diff cut; {changed} changed lines in all ...]\n"
    ));
    out
}

/// The 1-based number of the single line equal to `marker`.
#[track_caller]
pub fn marker_line(text: &str, marker: &str) -> usize {
    let found = matching_lines(text, |l| l == marker);
    assert_eq!(
        found.len(),
        1,
        "expected exactly one `{marker}` line, found {found:?}"
    );
    found[0].0
}

/// The lines that open a snapshot's sections, and the one that ends it, as
/// the tests expect dbsnap to write them (src/snapshot/markers.rs).
pub const PRE_DATA: &str = "-- dbsnap:section pre-data";
pub const POST_DATA: &str = "-- dbsnap:section post-data";
/// MySQL only: views, routines, triggers and events.
pub const CODE: &str = "-- dbsnap:section code";
pub const END: &str = "-- dbsnap:end";

/// The 1-based lines of a snapshot's section `markers`, the end marker last;
/// panics unless they stand in that order, nothing but blank lines follows
/// the end marker and the file ends with a newline (a cut file must not pass).
#[track_caller]
pub fn section_lines<const N: usize>(text: &str, markers: [&str; N]) -> [usize; N] {
    let lines = markers.map(|m| marker_line(text, m));
    assert!(
        lines.windows(2).all(|w| w[0] < w[1]),
        "markers out of order: {:?}",
        markers.iter().zip(lines).collect::<Vec<_>>()
    );
    let end = markers[N - 1];
    let after_end = text
        .lines()
        .skip(lines[N - 1])
        .filter(|l| !l.trim().is_empty())
        .count();
    assert_eq!(after_end, 0, "content after `{end}`");
    assert!(text.ends_with('\n'), "snapshot does not end with a newline");
    lines
}

/// Panics unless each of `wanted` is one of `found` (`what` they are),
/// naming the missing ones and showing what was found.
#[track_caller]
pub fn assert_has_each<T: AsRef<str> + std::fmt::Debug>(what: &str, found: &[T], wanted: &[&str]) {
    let missing: Vec<&str> = wanted
        .iter()
        .copied()
        .filter(|w| !found.iter().any(|f| f.as_ref() == *w))
        .collect();
    assert!(
        missing.is_empty(),
        "{what}: {missing:?} missing from {found:#?}"
    );
}

/// Lines of `text`, numbered from 1, whose text satisfies `pred`.
pub fn matching_lines(text: &str, pred: impl Fn(&str) -> bool) -> Vec<(usize, String)> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| pred(l))
        .map(|(i, l)| (i + 1, l.to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_url_passwords() {
        assert_eq!(
            redact_url_password("postgres://u:pw@h:1/db?x=1"),
            "postgres://u:***@h:1/db?x=1"
        );
        assert_eq!(
            redact_url_password("postgres://u@h/db"),
            "postgres://u@h/db"
        );
        assert_eq!(redact_url_password("--yes"), "--yes");
    }

    #[test]
    fn diff_shows_only_the_changed_hunk() {
        let a: String = (1..=100).map(|i| format!("line {i}\n")).collect();
        let b = a
            .replace("line 50\n", "line fifty\n")
            .replace("line 90\n", "");
        let d = unified_diff(&a, &b, 2, 100);
        assert!(d.contains("-line 50\n+line fifty\n"), "{d}");
        assert!(d.contains("-line 90\n"), "{d}");
        assert!(!d.contains("line 10\n"), "{d}");
        assert_eq!(d.matches("@@").count(), 4, "{d}");
    }
}
