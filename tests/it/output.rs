//! Issue 7, item 8 and "a full disk names the path": an export that did not
//! reach its reader, or its disk, is an error that says so, on both engines.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::server::Server;
use crate::support::testdb::TestDb as AnyDb;
use crate::support::{mysql, pg, tests_calling};
use crate::support::{tempdir, Dbsnap, Run, CONNECTION_VARS};

/// Rows enough for several MB of export: far beyond a pipe's buffer.
const ROWS: u32 = 20_000;

fn pg_source() -> pg::TestDb {
    let db = pg::TestDb::create("src");
    db.psql(&format!(
        "CREATE TABLE bulk (id int PRIMARY KEY, note text NOT NULL); \
         INSERT INTO bulk SELECT g, repeat('x', 200) || g FROM generate_series(1, {ROWS}) g;"
    ));
    db
}

fn mysql_source() -> mysql::TestDb {
    let db = mysql::TestDb::create("src");
    db.sql(&format!(
        "CREATE TABLE bulk (id INT PRIMARY KEY, note VARCHAR(300) NOT NULL); \
         INSERT INTO bulk SELECT seq, CONCAT(REPEAT('x', 200), seq) FROM seq_1_to_{ROWS};"
    ));
    db
}

/// `dbsnap export-data --url URL -o -` whose reader takes `limit` bytes and
/// closes the pipe, as `| head -c LIMIT` does. Returns the exit code, stderr and
/// the number of bytes read.
fn export_to_short_reader(url: &str, limit: usize) -> (Option<i32>, String, usize) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dbsnap"));
    cmd.args(["export-data", "--url", url, "-o", "-"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for var in CONNECTION_VARS {
        cmd.env_remove(var);
    }
    let mut child = cmd.spawn().expect("run dbsnap");
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let mut buf = vec![0u8; limit];
    let mut got = 0;
    while got < limit {
        match stdout.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) => panic!("reading dbsnap's stdout: {e}"),
        }
    }
    drop(stdout); // the reader goes away, like `head`
    let deadline = Instant::now() + Duration::from_secs(300);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("dbsnap did not end after its reader closed the pipe");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    (status.code(), err_reader.join().unwrap(), got)
}

#[track_caller]
fn assert_incomplete(code: Option<i32>, stderr: &str, got: usize) {
    assert_eq!(got, 1_000_000, "the export was too small to test\n{stderr}");
    assert_eq!(code, Some(1), "a cut export must fail\n{stderr}");
    assert!(
        stderr.contains("the output is incomplete"),
        "the message does not say the output is incomplete:\n{stderr}"
    );
}

/// An export of `source`'s rows to a reader that stops after 1 MB.
fn closed_pipe_is_incomplete<S: Server>(source: fn() -> AnyDb<S>) {
    let db = source();
    let (code, stderr, got) = export_to_short_reader(&db.url(), 1_000_000);
    assert_incomplete(code, &stderr, got);
}

tests_calling!(closed_pipe_is_incomplete {
    pg_export_to_a_closed_pipe_is_incomplete => (pg_source),
    mysql_export_to_a_closed_pipe_is_incomplete => (mysql_source),
});

/// `-o /dev/full` and `-o -` with stdout on /dev/full: the device is named.
#[test]
fn a_full_device_is_named() {
    let db = pg_source();
    let url = db.url();
    let run = Dbsnap::new()
        .args(["export-data", "--url", &url, "-o", "/dev/full"])
        .run();
    run.assert_code(1);
    assert!(
        run.stderr.contains("cannot write /dev/full") && run.stderr.contains("No space left"),
        "{run}"
    );
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dbsnap"));
    cmd.args(["export-data", "--url", &url, "-o", "-"])
        .stdin(Stdio::null())
        .stdout(Stdio::from(full));
    for var in CONNECTION_VARS {
        cmd.env_remove(var);
    }
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("the output is incomplete")
            && stderr.contains("standard output (/dev/full)")
            && stderr.contains("No space left"),
        "{stderr}"
    );
}

/// A tiny tmpfs, mounted for the test and unmounted in Drop.
struct Tmpfs {
    dir: crate::support::ScratchDir,
}

impl Tmpfs {
    /// None when this machine does not let us mount (not root, a container).
    fn mount(size: &str) -> Option<Tmpfs> {
        let dir = tempdir();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then_some(Tmpfs { dir })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}

fn export_to_full_disk(url: &str, out: &PathBuf) -> Run {
    Dbsnap::new()
        .args(["export-data", "--url", url, "-o"])
        .arg(out)
        .run()
}

#[track_caller]
fn assert_full_disk_named(run: &Run, disk: &Tmpfs, out: &Path) {
    run.assert_code(1);
    assert!(run.stderr.contains("No space left"), "{run}");
    assert!(
        run.stderr.contains(&disk.path().display().to_string()),
        "the message does not name where it was writing\n{run}"
    );
    let left: Vec<_> = std::fs::read_dir(disk.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(
        left.is_empty(),
        "a failed export left {left:?} behind (and no {})",
        out.display()
    );
}

/// An export of `source`'s rows onto a 256 KiB tmpfs: exit 1, naming the
/// path, nothing left behind. Skipped where no tmpfs can be mounted.
fn full_disk_names_the_path<S: Server>(source: fn() -> AnyDb<S>) {
    let Some(disk) = Tmpfs::mount("256k") else {
        eprintln!("skipped: cannot mount a tmpfs here");
        return;
    };
    let db = source();
    let out = disk.path().join("data.sql");
    let run = export_to_full_disk(&db.url(), &out);
    assert_full_disk_named(&run, &disk, &out);
}

tests_calling!(full_disk_names_the_path {
    pg_full_disk_names_the_path => (pg_source),
    mysql_full_disk_names_the_path => (mysql_source),
});
