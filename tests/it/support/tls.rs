//! Throwaway PostgreSQL and MariaDB servers with TLS on, and the private CAs
//! that sign their certificates, for `tests/it/tls.rs`.
//!
//! Each server lives in its own temporary directory, listens on a free port of
//! 127.0.0.1 and 127.0.0.2 (both loopback; the certificate names only the first,
//! so the second is a "wrong host name" that still reaches the server), refuses
//! TCP clients without TLS (pg_hba.conf with `hostssl` lines only;
//! `require_secure_transport=ON`), and holds one password user and one small
//! database. Setup goes through the Unix socket, which needs no TLS.
//!
//! The guards stop their server and remove the directory in `Drop`, also when a
//! test panics. A detached watchdog does the same if the test process dies
//! without unwinding (kill -9, Ctrl-C), so no server outlives the run.
//!
//! Missing binaries are installed with `scripts/test-dbs.sh --install`, as for
//! the other tests. Without root that is impossible: the test is skipped, except
//! under `CI=true`, where a missing capability is a failure.

use std::fs;
use std::io::Read;
use std::net::TcpListener;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use super::{manifest_dir, stdout_of};

/// The login every TLS test uses; a password that must never appear in output.
pub const USER: &str = "dbsnap_tls";
pub const PASSWORD: &str = "tls-pw-Zq81xv";
/// The small database (one table) the tests export.
pub const DB: &str = "tls_probe";
pub const TABLE: &str = "tls_probe_rows";

/// Names the server certificate holds (subjectAltName).
pub const CERT_HOST: &str = "localhost";
pub const CERT_IP: &str = "127.0.0.1";
/// A loopback address the servers also listen on but the certificate does not name.
pub const WRONG_IP: &str = "127.0.0.2";

const START_WAIT: Duration = Duration::from_secs(90);

// --- capabilities --------------------------------------------------------------

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn under_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

fn runs(program: &str, arg: &str) -> bool {
    Command::new(program)
        .arg(arg)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Newest `/usr/lib/postgresql/N/bin` holding `initdb`.
fn pg_bindir() -> Option<PathBuf> {
    let mut best: Option<(u32, PathBuf)> = None;
    for entry in fs::read_dir("/usr/lib/postgresql").ok()?.flatten() {
        let Ok(major) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let bin = entry.path().join("bin");
        if bin.join("initdb").is_file() && best.as_ref().is_none_or(|(m, _)| major > *m) {
            best = Some((major, bin));
        }
    }
    best.map(|(_, bin)| bin)
}

/// Whether an executable `name` is on PATH (for tools without a cheap
/// successful `--version`).
fn on_path(name: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|path| {
        std::env::split_paths(&path).any(|dir| {
            fs::metadata(dir.join(name)).is_ok_and(|m| m.is_file() && m.mode() & 0o111 != 0)
        })
    })
}

/// `mariadbd` on PATH or in /usr/sbin (not on a non-root PATH).
fn mariadbd() -> Option<PathBuf> {
    ["mariadbd", "/usr/sbin/mariadbd"]
        .iter()
        .find(|p| runs(p, "--version"))
        .map(PathBuf::from)
}

/// Makes sure `present()` holds, installing `packages` through
/// scripts/test-dbs.sh if not. `Err` means: skip (not root, not CI).
fn ensure(what: &str, present: impl Fn() -> bool, packages: &[&str]) -> Result<(), String> {
    if present() {
        return Ok(());
    }
    if !is_root() {
        let msg = format!("{what} is missing and only root can install it ({packages:?})");
        if under_ci() {
            panic!("{msg}; under CI=true this is a failure");
        }
        return Err(msg);
    }
    let script = manifest_dir().join("scripts/test-dbs.sh");
    let out = Command::new("bash")
        .arg(&script)
        .arg("--install")
        .args(packages)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
    assert!(
        out.status.success() && present(),
        "installing {packages:?} for {what} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(())
}

// --- certificates --------------------------------------------------------------

/// The test's certificate authorities and the server certificate.
pub struct Certs {
    /// The CA that signed the server certificate.
    pub ca: PathBuf,
    /// An unrelated CA: the server certificate does not chain to it.
    pub other_ca: PathBuf,
    /// Server certificate for DNS:localhost and IP:127.0.0.1, signed by `ca`.
    pub server_cert: PathBuf,
    pub server_key: PathBuf,
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("run openssl");
    assert!(
        out.status.success(),
        "openssl {} failed:\n{}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `openssl req -config CONFIG` with a new P-256 key, unencrypted, written to
/// `key`, and the request or certificate to `out`; `extra` says which.
fn openssl_req(dir: &Path, config: &str, (key, out): (&str, &str), extra: &[&str]) {
    let mut args = vec![
        "req",
        "-config",
        config,
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        key,
        "-out",
        out,
    ];
    args.extend_from_slice(extra);
    openssl(dir, &args);
}

/// A self-signed CA `NAME.pem` / `NAME.key` in `dir`.
fn make_ca(dir: &Path, name: &str, common_name: &str) -> PathBuf {
    let cnf = format!(
        "[req]\ndistinguished_name = dn\nprompt = no\n[dn]\nCN = {common_name}\n\
         [ext]\nbasicConstraints = critical, CA:TRUE\n\
         keyUsage = critical, keyCertSign, cRLSign\nsubjectKeyIdentifier = hash\n"
    );
    fs::write(dir.join(format!("{name}.cnf")), cnf).unwrap();
    openssl_req(
        dir,
        &format!("{name}.cnf"),
        (&format!("{name}.key"), &format!("{name}.pem")),
        &["-x509", "-extensions", "ext", "-days", "3"],
    );
    dir.join(format!("{name}.pem"))
}

/// Two CAs and a server certificate signed by the first, in `dir`.
pub fn make_certs(dir: &Path) -> Certs {
    let ca = make_ca(dir, "ca", "dbsnap test CA");
    let other_ca = make_ca(dir, "other-ca", "dbsnap unrelated CA");
    fs::write(
        dir.join("server.cnf"),
        format!("[req]\ndistinguished_name = dn\nprompt = no\n[dn]\nCN = {CERT_HOST}\n"),
    )
    .unwrap();
    fs::write(
        dir.join("server.ext"),
        format!(
            "basicConstraints = critical, CA:FALSE\n\
             keyUsage = critical, digitalSignature, keyEncipherment\n\
             extendedKeyUsage = serverAuth\n\
             subjectAltName = DNS:{CERT_HOST}, IP:{CERT_IP}\n\
             authorityKeyIdentifier = keyid\nsubjectKeyIdentifier = hash\n"
        ),
    )
    .unwrap();
    openssl_req(dir, "server.cnf", ("server.key", "server.csr"), &["-new"]);
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-set_serial",
            "2",
            "-days",
            "3",
            "-extfile",
            "server.ext",
            "-out",
            "server.pem",
        ],
    );
    for pem in ["ca.pem", "other-ca.pem", "server.pem"] {
        fs::set_permissions(dir.join(pem), fs::Permissions::from_mode(0o644)).unwrap();
    }
    Certs {
        ca,
        other_ca,
        server_cert: dir.join("server.pem"),
        server_key: dir.join("server.key"),
    }
}

// --- shared plumbing -----------------------------------------------------------

/// A directory the service users can reach, holding the certificates.
struct Workspace {
    dir: tempfile::TempDir,
    certs: Certs,
}

impl Workspace {
    fn new(prefix: &str) -> Workspace {
        let dir = tempfile::Builder::new()
            .prefix(prefix)
            .tempdir()
            .expect("create a temporary directory");
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
        let certs_dir = dir.path().join("certs");
        fs::create_dir(&certs_dir).unwrap();
        fs::set_permissions(&certs_dir, fs::Permissions::from_mode(0o755)).unwrap();
        let certs = make_certs(&certs_dir);
        Workspace { dir, certs }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// A subdirectory owned by `user` (when root), mode 0700, holding a copy of
    /// the server key the server may read (both servers refuse a key others can read).
    fn private_dir(&self, name: &str, user: &str) -> (PathBuf, PathBuf) {
        let dir = self.path().join(name);
        fs::create_dir(&dir).unwrap();
        let key = dir.join("server.key");
        fs::copy(&self.certs.server_key, &key).unwrap();
        fs::set_permissions(&key, fs::Permissions::from_mode(0o600)).unwrap();
        if is_root() {
            stdout_of(
                Command::new("chown")
                    .arg("-R")
                    .arg(format!("{user}:"))
                    .arg(&dir),
                "chown",
            );
        }
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o700)).unwrap();
        (dir, key)
    }
}

/// `program args` as `user` when root (runuser), else as ourselves; from `/`
/// so the service user is not refused the current directory.
fn as_user(user: &str, program: &Path) -> Command {
    let mut cmd = if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", user, "--"]).arg(program);
        c
    } else {
        Command::new(program)
    };
    cmd.current_dir("/").stdin(Stdio::null());
    cmd
}

/// A port free on both 127.0.0.1 and 127.0.0.2 right now (a server that then
/// loses the race fails to start, and the caller tries again).
fn free_port() -> u16 {
    loop {
        let l = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let port = l.local_addr().unwrap().port();
        if TcpListener::bind((WRONG_IP, port)).is_ok() {
            return port;
        }
    }
}

fn tail(path: &Path, max: usize) -> String {
    let mut text = String::new();
    if let Ok(mut f) = fs::File::open(path) {
        let _ = f.read_to_string(&mut text);
    }
    let start = text.len().saturating_sub(max);
    let start = (start..=text.len())
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(0);
    text[start..].to_string()
}

/// A detached process that, once `owner` is gone, kills the processes whose
/// pids the `pid_files` hold and removes `dir`. `setsid` keeps it out of the
/// terminal's process group, so Ctrl-C on the test run does not take it along.
fn watchdog(dir: &Path, pid_files: &[PathBuf], signal: &str) -> Option<Child> {
    let script = "owner=$1; dir=$2; sig=$3; shift 3
        while kill -0 \"$owner\" 2>/dev/null; do sleep 1; done
        for f in \"$@\"; do
            [ -f \"$f\" ] && kill \"-$sig\" \"$(head -n 1 \"$f\")\" 2>/dev/null
        done
        sleep 2
        rm -rf \"$dir\"";
    Command::new("setsid")
        .args(["sh", "-c", script, "dbsnap-tls-watchdog"])
        .arg(std::process::id().to_string())
        .arg(dir)
        .arg(signal)
        .args(pid_files)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()
}

fn stop_watchdog(watchdog: &mut Option<Child>) {
    if let Some(mut w) = watchdog.take() {
        let _ = w.kill();
        let _ = w.wait();
    }
}

/// What the cases need of a started server, either engine: where it listens,
/// its certificates and its log.
pub struct Listening {
    pub engine: &'static str,
    /// MariaDB, where a few outcomes differ.
    pub mysql: bool,
    scheme: &'static str,
    work: Workspace,
    log: PathBuf,
    port: u16,
}

impl Listening {
    fn new(engine: &'static str, scheme: &'static str, work: Workspace, log: PathBuf) -> Self {
        let mysql = scheme == "mysql";
        let port = 0;
        Listening {
            engine,
            mysql,
            scheme,
            work,
            log,
            port,
        }
    }

    pub fn certs(&self) -> &Certs {
        &self.work.certs
    }

    /// `SCHEME://USER:PASSWORD@host:port/DB?query`.
    pub fn url(&self, host: &str, query: &str) -> String {
        let (scheme, port) = (self.scheme, self.port);
        format!("{scheme}://{USER}:{PASSWORD}@{host}:{port}/{DB}?{query}")
    }

    /// The end of the server log, for failure messages.
    pub fn log_tail(&self) -> String {
        tail(&self.log, 3000)
    }
}

// --- PostgreSQL ----------------------------------------------------------------

/// A throwaway PostgreSQL with `ssl=on` that accepts TCP clients only over TLS.
pub struct PgTls {
    pub on: Listening,
    bin: PathBuf,
    data: PathBuf,
    socket_dir: PathBuf,
    started: bool,
    watchdog: Option<Child>,
}

impl PgTls {
    /// Starts the server, or `Err(reason)` when it must be skipped.
    pub fn start() -> Result<PgTls, String> {
        ensure("openssl", || runs("openssl", "version"), &["openssl"])?;
        ensure(
            "PostgreSQL (initdb)",
            || pg_bindir().is_some(),
            &["postgresql"],
        )?;
        let bin = pg_bindir().unwrap();
        let work = Workspace::new("dbsnap-tls-pg-");
        let (dir, key) = work.private_dir("pg", "postgres");
        let data = dir.join("data");
        let socket_dir = dir.join("sock");
        let mut server = PgTls {
            bin,
            data,
            socket_dir,
            started: false,
            watchdog: None,
            on: Listening::new("PostgreSQL", "postgres", work, dir.join("server.on.log")),
        };
        let initdb = server.bin.join("initdb");
        stdout_of(
            as_user("postgres", &initdb)
                .arg("-D")
                .arg(&server.data)
                .args(["--auth=trust", "-U", "postgres", "-E", "UTF8"])
                .args(["--locale=C.UTF-8", "--no-sync", "--no-instructions"]),
            "initdb",
        );
        stdout_of(
            as_user("postgres", Path::new("mkdir"))
                .arg("-p")
                .arg(&server.socket_dir),
            "mkdir",
        );
        // hostssl only: a TCP client without TLS finds no line and is refused.
        stdout_of(
            as_user("postgres", Path::new("sh"))
                .arg("-c")
                .arg(
                    "printf '%s\\n' 'local all all trust' \
                      'hostssl all all 127.0.0.0/8 scram-sha-256' > \"$1\"",
                )
                .arg("sh")
                .arg(server.data.join("pg_hba.conf")),
            "writing pg_hba.conf",
        );
        server.watchdog = watchdog(
            server.on.work.path(),
            &[server.data.join("postmaster.pid")],
            "QUIT",
        );
        let pg_ctl = server.bin.join("pg_ctl");
        for _attempt in 0..5 {
            let port = free_port();
            let opts = format!(
                "-p {port} -k {sock} -c listen_addresses={CERT_IP},{WRONG_IP} \
                 -c ssl=on -c ssl_cert_file={cert} -c ssl_key_file={key} \
                 -c fsync=off -c synchronous_commit=off -c full_page_writes=off",
                sock = server.socket_dir.display(),
                cert = server.on.work.certs.server_cert.display(),
                key = key.display(),
            );
            let status = as_user("postgres", &pg_ctl)
                .arg("-D")
                .arg(&server.data)
                .arg("-l")
                .arg(&server.on.log)
                .args(["-w", "-t", &START_WAIT.as_secs().to_string(), "-o", &opts])
                .arg("start")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .expect("run pg_ctl");
            server.started = true;
            if status.success() {
                server.on.port = port;
                break;
            }
            let log = tail(&server.on.log, 4000);
            if !log.contains("Address already in use") {
                panic!("PostgreSQL with TLS did not start:\n{log}");
            }
        }
        assert!(
            server.on.port != 0,
            "PostgreSQL: no free port after 5 tries"
        );
        server.psql(
            "postgres",
            &format!("CREATE ROLE {USER} LOGIN PASSWORD '{PASSWORD}'"),
        );
        server.psql("postgres", &format!("CREATE DATABASE {DB} OWNER {USER}"));
        server.psql_as(
            USER,
            DB,
            &format!(
                "CREATE TABLE {TABLE} (id int PRIMARY KEY, note text NOT NULL); \
                 INSERT INTO {TABLE} VALUES (1, 'one'), (2, 'two');"
            ),
        );
        Ok(server)
    }

    /// psql as postgres over the Unix socket (no TLS needed there).
    pub fn psql(&self, db: &str, sql: &str) -> String {
        self.psql_as("postgres", db, sql)
    }

    pub fn psql_as(&self, user: &str, db: &str, sql: &str) -> String {
        stdout_of(
            Command::new(self.bin.join("psql"))
                .args(["-X", "-w", "-Atq", "-v", "ON_ERROR_STOP=1"])
                .arg("-h")
                .arg(&self.socket_dir)
                .args([
                    "-p",
                    &self.on.port.to_string(),
                    "-U",
                    user,
                    "-d",
                    db,
                    "-c",
                    sql,
                ])
                .stdin(Stdio::null()),
            "psql",
        )
    }
}

impl Drop for PgTls {
    fn drop(&mut self) {
        stop_watchdog(&mut self.watchdog);
        if self.started {
            let pg_ctl = self.bin.join("pg_ctl");
            let _ = as_user("postgres", &pg_ctl)
                .arg("-D")
                .arg(&self.data)
                .args(["-m", "immediate", "-w", "-t", "30", "stop"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
        // The workspace (a TempDir) is removed after this.
    }
}

// --- MariaDB -------------------------------------------------------------------

/// A throwaway MariaDB with TLS and `require_secure_transport=ON`.
pub struct MyTls {
    pub on: Listening,
    socket: PathBuf,
    child: Option<Child>,
    watchdog: Option<Child>,
}

impl MyTls {
    /// Starts the server, or `Err(reason)` when it must be skipped.
    pub fn start() -> Result<MyTls, String> {
        ensure("openssl", || runs("openssl", "version"), &["openssl"])?;
        ensure(
            "MariaDB (mariadbd, mariadb-install-db)",
            || mariadbd().is_some() && on_path("mariadb-install-db"),
            &["mariadb-server"],
        )?;
        ensure(
            "the mariadb client",
            || runs("mariadb", "--version"),
            &["mariadb-client"],
        )?;
        let server_bin = mariadbd().unwrap();
        let work = Workspace::new("dbsnap-tls-my-");
        let (dir, key) = work.private_dir("my", "mysql");
        let user_opt: &[&str] = if is_root() { &["--user=mysql"] } else { &[] };
        let data = dir.join("data");
        stdout_of(
            Command::new("mariadb-install-db")
                .current_dir("/")
                .stdin(Stdio::null())
                .arg("--no-defaults")
                .args(user_opt)
                .arg(format!("--datadir={}", data.display()))
                .args([
                    "--auth-root-authentication-method=normal",
                    "--skip-test-db",
                    "--skip-name-resolve",
                ]),
            "mariadb-install-db",
        );
        let pid_file = dir.join("mariadbd.pid");
        let mut server = MyTls {
            socket: dir.join("mysqld.sock"),
            child: None,
            watchdog: watchdog(work.path(), std::slice::from_ref(&pid_file), "KILL"),
            on: Listening::new("MariaDB", "mysql", work, dir.join("error.log")),
        };
        for _attempt in 0..5 {
            let port = free_port();
            let _ = fs::remove_file(&server.on.log);
            let certs = &server.on.work.certs;
            let child = Command::new(&server_bin)
                .current_dir("/")
                .arg("--no-defaults")
                .args(user_opt)
                .arg(format!("--datadir={}", data.display()))
                .arg(format!("--port={port}"))
                .arg(format!("--socket={}", server.socket.display()))
                .arg(format!("--pid-file={}", pid_file.display()))
                .arg(format!("--log-error={}", server.on.log.display()))
                .arg(format!("--bind-address={CERT_IP},{WRONG_IP}"))
                .arg(format!("--ssl-ca={}", certs.ca.display()))
                .arg(format!("--ssl-cert={}", certs.server_cert.display()))
                .arg(format!("--ssl-key={}", key.display()))
                .args([
                    "--require-secure-transport=ON",
                    "--skip-name-resolve",
                    "--innodb-flush-log-at-trx-commit=0",
                    "--innodb-doublewrite=0",
                    "--innodb-buffer-pool-size=32M",
                ])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("run mariadbd");
            server.child = Some(child);
            let deadline = Instant::now() + START_WAIT;
            while Instant::now() < deadline && !server.answers() && server.running() {
                thread::sleep(Duration::from_millis(200));
            }
            if server.answers() {
                server.on.port = port;
                break;
            }
            let log = tail(&server.on.log, 4000);
            let exited = !server.running();
            server.stop();
            if !(exited && log.contains("Address already in use")) {
                panic!("MariaDB with TLS did not start:\n{log}");
            }
        }
        assert!(server.on.port != 0, "MariaDB: no free port after 5 tries");
        server.sql(&format!(
            "CREATE USER '{USER}'@'%' IDENTIFIED BY '{PASSWORD}'; \
             GRANT ALL ON *.* TO '{USER}'@'%'; \
             CREATE DATABASE {DB}; \
             CREATE TABLE {DB}.{TABLE} (id INT PRIMARY KEY, note VARCHAR(20) NOT NULL); \
             INSERT INTO {DB}.{TABLE} VALUES (1, 'one'), (2, 'two');"
        ));
        Ok(server)
    }

    fn client(&self) -> Command {
        let mut cmd = Command::new("mariadb");
        cmd.arg("--no-defaults")
            .arg(format!("--socket={}", self.socket.display()))
            .args(["--protocol=SOCKET", "-u", "root", "-N", "-B"])
            .env_remove("MYSQL_PWD")
            .stdin(Stdio::null());
        cmd
    }

    fn answers(&self) -> bool {
        self.client()
            .args(["-e", "SELECT 1"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }

    fn running(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|c| matches!(c.try_wait(), Ok(None)))
    }

    /// Runs SQL as root over the Unix socket (a socket counts as secure transport).
    pub fn sql(&self, sql: &str) -> String {
        stdout_of(self.client().args(["-e", sql]), "mariadb")
    }

    fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        // Data are thrown away: SIGTERM for a quick clean stop, SIGKILL if slow.
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline && matches!(child.try_wait(), Ok(None)) {
            thread::sleep(Duration::from_millis(100));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
}

impl Drop for MyTls {
    fn drop(&mut self) {
        stop_watchdog(&mut self.watchdog);
        self.stop();
    }
}
