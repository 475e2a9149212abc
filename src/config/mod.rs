//! Where to connect: the `--url` option, `DATABASE_URL`, the `DB_*` variables
//! and, for PostgreSQL, libpq's `PG*` variables and password file.
//!
//! Everything that reads the environment goes through an `env` lookup closure,
//! so the rules can be tested without touching the process environment.
//!
//! This module resolves a connection per engine; `url` parses connection
//! URLs, `pgpass` reads libpq's password file and `redact` keeps passwords
//! out of everything printed.

mod pgpass;
mod redact;
mod url;

use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};

use crate::cli::ConnectArgs;

use pgpass::{pgpass_file, pgpass_lookup, PgpassKey};
use url::parse_url;

/// Where Debian's libpq looks for the server's Unix socket by default.
pub const DEFAULT_SOCKET_DIR: &str = "/var/run/postgresql";

const NOTHING_GIVEN: &str =
    "no database given: pass --url, or set DATABASE_URL or DB_HOST/DB_NAME (see --help)";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EngineKind {
    Postgres,
    MySql,
}

impl EngineKind {
    pub fn default_port(self) -> u16 {
        match self {
            EngineKind::Postgres => 5432,
            EngineKind::MySql => 3306,
        }
    }

    /// The name people know the engine by, for messages.
    pub fn display_name(self) -> &'static str {
        match self {
            EngineKind::Postgres => "PostgreSQL",
            EngineKind::MySql => "MySQL/MariaDB",
        }
    }

    /// The name a snapshot's `-- dbsnap:engine` marker gives the engine.
    pub fn marker(self) -> &'static str {
        match self {
            EngineKind::Postgres => "postgresql",
            EngineKind::MySql => "mysql",
        }
    }

    /// The engine a data snapshot's `engine` marker names
    /// (`postgresql`, `mysql`).
    pub fn from_marker(name: &str) -> Option<EngineKind> {
        match name.trim() {
            "postgresql" | "postgres" => Some(EngineKind::Postgres),
            "mysql" | "mariadb" => Some(EngineKind::MySql),
            _ => None,
        }
    }

    pub(crate) fn scheme(self) -> &'static str {
        match self {
            EngineKind::Postgres => "postgres",
            EngineKind::MySql => "mysql",
        }
    }
}

/// libpq's `sslmode`, reduced to what dbsnap distinguishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    /// Plaintext only.
    Disable,
    /// TLS if the server offers it, else plaintext; the certificate is not checked.
    Prefer,
    /// TLS or fail; the certificate is not checked (encryption only).
    Require,
    /// TLS with the certificate chain and host name checked.
    VerifyFull,
}

impl SslMode {
    pub fn as_str(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyFull => "verify-full",
        }
    }
}

impl std::str::FromStr for SslMode {
    type Err = anyhow::Error;

    /// libpq's names, case-insensitively. `allow` becomes `prefer` and
    /// `verify-ca` becomes `verify-full` (the stricter neighbour). MySQL's
    /// spellings (`DISABLED`, `PREFERRED`, `REQUIRED`, `VERIFY_CA`,
    /// `VERIFY_IDENTITY`) are accepted too.
    fn from_str(s: &str) -> Result<Self> {
        let norm = s.trim().to_ascii_lowercase().replace('_', "-");
        Ok(match norm.as_str() {
            "disable" | "disabled" => SslMode::Disable,
            "allow" | "prefer" | "preferred" => SslMode::Prefer,
            "require" | "required" => SslMode::Require,
            "verify-ca" | "verify-full" | "verify-identity" => SslMode::VerifyFull,
            _ => bail!("invalid sslmode '{s}' (use disable, prefer, require or verify-full)"),
        })
    }
}

impl fmt::Display for SslMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A fully resolved connection target.
#[derive(Clone)]
pub struct ConnectionSpec {
    pub engine: EngineKind,
    /// Host name, IP address, or (PostgreSQL) an absolute Unix-socket directory.
    pub host: String,
    pub port: u16,
    pub user: String,
    pub password: Option<String>,
    pub dbname: String,
    pub sslmode: SslMode,
    pub sslrootcert: Option<PathBuf>,
}

impl ConnectionSpec {
    /// `--url`, else `DATABASE_URL`, else `DB_HOST`/`DB_PORT`/`DB_USER`/`DB_PASS`/`DB_NAME`
    /// (engine from `DB_ENGINE`, default postgres), else (PostgreSQL) the `PG*`
    /// variables. For PostgreSQL, whatever is missing is filled in as libpq
    /// does: `PG*` variables, then `~/.pgpass` for the password, then defaults.
    pub fn resolve(args: &ConnectArgs) -> Result<Self> {
        resolve_with(args.url.as_deref(), &process_env)
    }

    /// Like [`ConnectionSpec::resolve`] for an explicit URL; the environment
    /// fills the gaps the same way.
    pub fn from_url(url: &str) -> Result<Self> {
        from_url_with(url, &process_env)
    }

    /// A copy pointing at another database on the same server (same
    /// credentials).
    pub fn with_dbname(&self, dbname: &str) -> Self {
        ConnectionSpec {
            dbname: dbname.to_string(),
            ..self.clone()
        }
    }

    /// Whether `host` is a Unix-socket directory rather than a network host.
    pub fn is_unix_socket(&self) -> bool {
        is_socket_path(&self.host)
    }
}

// ---------------------------------------------------------------------------
// Resolution

fn process_env(key: &str) -> Option<String> {
    std::env::var(key).ok()
}

/// An environment variable, with an empty value counted as unset.
fn env_nonempty(env: &impl Fn(&str) -> Option<String>, key: &str) -> Option<String> {
    env(key).filter(|v| !v.is_empty())
}

/// The pieces given explicitly (URL or `DB_*`); `None` means "not given".
#[derive(Debug, Default)]
struct Parts {
    host: Option<String>,
    port: Option<u16>,
    user: Option<String>,
    password: Option<String>,
    dbname: Option<String>,
    sslmode: Option<SslMode>,
    sslrootcert: Option<String>,
}

fn resolve_with(
    url: Option<&str>,
    env: &impl Fn(&str) -> Option<String>,
) -> Result<ConnectionSpec> {
    if let Some(url) = url {
        if url.trim().is_empty() {
            bail!("--url is empty");
        }
        return from_url_with(url, env);
    }
    if let Some(url) = env_nonempty(env, "DATABASE_URL") {
        return from_url_with(&url, env).context("in DATABASE_URL");
    }

    let engine = match env_nonempty(env, "DB_ENGINE") {
        None => EngineKind::Postgres,
        Some(name) => match name.trim().to_ascii_lowercase().as_str() {
            "postgres" | "postgresql" | "pg" => EngineKind::Postgres,
            "mysql" | "mariadb" => EngineKind::MySql,
            _ => bail!("DB_ENGINE must be postgres, mysql or mariadb (got '{name}')"),
        },
    };

    const DB_VARS: [&str; 5] = ["DB_HOST", "DB_PORT", "DB_USER", "DB_PASS", "DB_NAME"];
    if DB_VARS.iter().any(|k| env_nonempty(env, k).is_some()) {
        let parts = Parts {
            host: env_nonempty(env, "DB_HOST"),
            port: env_nonempty(env, "DB_PORT")
                .map(|p| parse_port(&p).with_context(|| format!("DB_PORT '{p}'")))
                .transpose()?,
            user: env_nonempty(env, "DB_USER"),
            password: env_nonempty(env, "DB_PASS"),
            dbname: env_nonempty(env, "DB_NAME"),
            sslmode: None,
            sslrootcert: None,
        };
        return finish(engine, parts, env);
    }

    // libpq's own variables count as "a database given" only when they say
    // where or as whom to connect; PGPASSWORD or PGSSLMODE alone do not.
    const PG_VARS: [&str; 4] = ["PGHOST", "PGPORT", "PGUSER", "PGDATABASE"];
    if engine == EngineKind::Postgres && PG_VARS.iter().any(|k| env_nonempty(env, k).is_some()) {
        return finish(EngineKind::Postgres, Parts::default(), env);
    }
    // Nothing to connect to is how the command was called: exit 2.
    Err(crate::error::UsageError(NOTHING_GIVEN.to_string()).into())
}

fn from_url_with(url: &str, env: &impl Fn(&str) -> Option<String>) -> Result<ConnectionSpec> {
    let (engine, parts) = parse_url(url.trim())?;
    finish(engine, parts, env)
}

/// Fills what `parts` leaves open: for PostgreSQL from the `PG*` variables,
/// the password file and libpq's defaults; for MySQL from fixed defaults.
fn finish(
    engine: EngineKind,
    parts: Parts,
    env: &impl Fn(&str) -> Option<String>,
) -> Result<ConnectionSpec> {
    match engine {
        EngineKind::MySql => {
            let dbname = parts.dbname.ok_or_else(|| {
                anyhow!(
                    "no database name given: put it in the URL path (mysql://user@host/db) \
                     or set DB_NAME"
                )
            })?;
            let (sslmode, sslrootcert) =
                ssl_settings(parts.sslmode, parts.sslrootcert, SslMode::Disable);
            Ok(ConnectionSpec {
                engine,
                host: parts.host.unwrap_or_else(|| "127.0.0.1".to_string()),
                port: parts.port.unwrap_or(engine.default_port()),
                user: parts.user.unwrap_or_else(|| "root".to_string()),
                password: parts.password,
                dbname,
                sslmode,
                sslrootcert,
            })
        }
        EngineKind::Postgres => {
            let given_host = parts.host.or_else(|| env_nonempty(env, "PGHOST"));
            let host_defaulted = given_host.is_none();
            let host = given_host.unwrap_or_else(default_pg_host);
            if host.contains(',') {
                bail!("several hosts ('{host}') are not supported; give one host");
            }
            let port = match parts.port {
                Some(p) => p,
                None => match env_nonempty(env, "PGPORT") {
                    Some(p) => parse_port(&p).with_context(|| format!("PGPORT '{p}'"))?,
                    None => engine.default_port(),
                },
            };
            let user = parts
                .user
                .or_else(|| env_nonempty(env, "PGUSER"))
                .or_else(|| env_nonempty(env, "USER"))
                .unwrap_or_else(|| "postgres".to_string());
            let dbname = parts
                .dbname
                .or_else(|| env_nonempty(env, "PGDATABASE"))
                .unwrap_or_else(|| user.clone());
            let sslmode = match parts.sslmode {
                Some(m) => Some(m),
                None => env_nonempty(env, "PGSSLMODE")
                    .map(|m| m.parse::<SslMode>().context("in PGSSLMODE"))
                    .transpose()?,
            };
            let rootcert = parts
                .sslrootcert
                .or_else(|| env_nonempty(env, "PGSSLROOTCERT"));
            let (sslmode, sslrootcert) = ssl_settings(sslmode, rootcert, SslMode::Prefer);
            let password = match parts.password {
                Some(p) => Some(p),
                None => match env_nonempty(env, "PGPASSWORD") {
                    Some(p) => Some(p),
                    None => {
                        let pgpass_host = if host_defaulted || is_default_socket_dir(&host) {
                            "localhost"
                        } else {
                            host.as_str()
                        };
                        let key = PgpassKey {
                            host: pgpass_host,
                            port,
                            dbname: &dbname,
                            user: &user,
                        };
                        pgpass_file(env).and_then(|path| {
                            pgpass_lookup(&path, &key, &mut |w| eprintln!("dbsnap: warning: {w}"))
                        })
                    }
                },
            };
            Ok(ConnectionSpec {
                engine,
                host,
                port,
                user,
                password,
                dbname,
                sslmode,
                sslrootcert,
            })
        }
    }
}

/// `sslrootcert=system` (as in libpq 16) means the public root store, and
/// then verify-full unless a mode was given.
fn ssl_settings(
    mode: Option<SslMode>,
    rootcert: Option<String>,
    default: SslMode,
) -> (SslMode, Option<PathBuf>) {
    match rootcert {
        Some(r) if r == "system" => (mode.unwrap_or(SslMode::VerifyFull), None),
        other => (mode.unwrap_or(default), other.map(PathBuf::from)),
    }
}

/// With nothing given, libpq on Debian uses the socket directory
/// /var/run/postgresql; we do the same when that directory exists, and
/// otherwise fall back to TCP on 127.0.0.1 (not "localhost", which may
/// resolve to ::1 first).
fn default_pg_host() -> String {
    if Path::new(DEFAULT_SOCKET_DIR).is_dir() {
        DEFAULT_SOCKET_DIR.to_string()
    } else {
        "127.0.0.1".to_string()
    }
}

fn is_socket_path(host: &str) -> bool {
    host.starts_with('/')
}

/// The socket directories a pgpass `localhost` entry stands for (libpq: the
/// compiled-in default directory; /run/postgresql is the same directory on
/// Debian and /tmp is upstream's default).
fn is_default_socket_dir(host: &str) -> bool {
    let trimmed = host.trim_end_matches('/');
    matches!(trimmed, "/var/run/postgresql" | "/run/postgresql" | "/tmp")
}

fn parse_port(s: &str) -> Result<u16> {
    match s.trim().parse::<u16>() {
        Ok(p) if p != 0 => Ok(p),
        _ => bail!("is not a valid port number (1-65535)"),
    }
}

// ---------------------------------------------------------------------------

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use std::collections::HashMap;

    pub(super) const SECRET: &str = "hunter2-s3cr3t";

    /// Host, port, user, password and database name, for one assert_eq.
    fn parts(s: &ConnectionSpec) -> (&str, u16, &str, Option<&str>, &str) {
        (
            s.host.as_str(),
            s.port,
            s.user.as_str(),
            s.password.as_deref(),
            s.dbname.as_str(),
        )
    }

    pub(super) fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k: &str| map.get(k).cloned()
    }

    pub(super) fn no_env() -> impl Fn(&str) -> Option<String> {
        env_of(&[])
    }

    pub(super) fn url(u: &str) -> ConnectionSpec {
        from_url_with(u, &no_env()).unwrap_or_else(|e| panic!("{u}: {e:#}"))
    }

    /// The message a refused URL gets; it never holds the password.
    pub(super) fn url_err(u: &str) -> String {
        match from_url_with(u, &no_env()) {
            Ok(spec) => panic!("{u} should fail, got {spec:?}"),
            Err(e) => {
                let e = format!("{e:#}");
                assert!(!e.contains(SECRET), "{e}");
                e
            }
        }
    }

    // --- sources and precedence ---------------------------------------

    fn resolved(url: Option<&str>, pairs: &[(&str, &str)]) -> ConnectionSpec {
        resolve_with(url, &env_of(pairs)).unwrap_or_else(|e| panic!("{e:#}"))
    }

    #[test]
    fn nothing_given() {
        let e = resolve_with(None, &no_env()).unwrap_err();
        assert_eq!(e.to_string(), NOTHING_GIVEN);
        assert!(e.is::<crate::error::UsageError>(), "a usage error (exit 2)");
        // Variables that do not say where to connect do not count.
        for pairs in [
            vec![
                ("PGPASSWORD", "x"),
                ("PGSSLMODE", "require"),
                ("USER", "me"),
            ],
            vec![("DB_ENGINE", "mysql")],
            vec![("DB_ENGINE", "mysql"), ("PGHOST", "h")],
            vec![("DATABASE_URL", ""), ("DB_HOST", "")],
        ] {
            let e = resolve_with(None, &env_of(&pairs)).unwrap_err();
            assert_eq!(e.to_string(), NOTHING_GIVEN, "{pairs:?}");
        }
        assert!(resolve_with(Some(" "), &no_env()).is_err());
    }

    #[test]
    fn url_flag_beats_everything() {
        let s = resolved(
            Some("postgres://flag@flaghost/flagdb"),
            &[
                ("DATABASE_URL", "postgres://env@envhost/envdb"),
                ("DB_HOST", "dbhost"),
                ("DB_NAME", "dbname"),
                ("PGHOST", "pghost"),
            ],
        );
        assert_eq!(
            (s.user.as_str(), s.host.as_str(), s.dbname.as_str()),
            ("flag", "flaghost", "flagdb")
        );
    }

    #[test]
    fn database_url_beats_db_vars() {
        let s = resolved(
            None,
            &[
                ("DATABASE_URL", "mysql://env@envhost/envdb"),
                ("DB_HOST", "dbhost"),
                ("DB_NAME", "dbname"),
                ("DB_ENGINE", "postgres"),
            ],
        );
        assert_eq!(s.engine, EngineKind::MySql);
        assert_eq!(s.host, "envhost");
        let e = resolve_with(None, &env_of(&[("DATABASE_URL", "ftp://x/y")])).unwrap_err();
        assert!(format!("{e:#}").contains("DATABASE_URL"), "{e:#}");
    }

    #[test]
    fn db_vars() {
        let s = resolved(
            None,
            &[
                ("DB_HOST", "dbhost"),
                ("DB_PORT", "6000"),
                ("DB_USER", "dbuser"),
                ("DB_PASS", "dbpass"),
                ("DB_NAME", "dbname"),
                ("PGHOST", "pghost"),
                ("PGUSER", "pguser"),
            ],
        );
        assert_eq!(s.engine, EngineKind::Postgres);
        assert_eq!(
            parts(&s),
            ("dbhost", 6000, "dbuser", Some("dbpass"), "dbname")
        );
        // Gaps are filled from PG* for postgres.
        let s = resolved(
            None,
            &[
                ("DB_HOST", "dbhost"),
                ("PGUSER", "pguser"),
                ("PGSSLMODE", "disable"),
            ],
        );
        assert_eq!((s.user.as_str(), s.dbname.as_str()), ("pguser", "pguser"));
        assert_eq!(s.sslmode, SslMode::Disable);
    }

    #[test]
    fn db_engine() {
        for name in ["mysql", "mariadb", "MariaDB"] {
            let s = resolved(
                None,
                &[("DB_ENGINE", name), ("DB_HOST", "h"), ("DB_NAME", "app")],
            );
            assert_eq!(s.engine, EngineKind::MySql);
            assert_eq!((s.port, s.user.as_str()), (3306, "root"));
        }
        let s = resolved(
            None,
            &[
                ("DB_ENGINE", "postgres"),
                ("DB_NAME", "app"),
                ("USER", "me"),
            ],
        );
        assert_eq!(s.engine, EngineKind::Postgres);
        assert_eq!(s.user, "me");
        let e =
            resolve_with(None, &env_of(&[("DB_ENGINE", "oracle"), ("DB_HOST", "h")])).unwrap_err();
        assert!(e.to_string().contains("DB_ENGINE"));
        let e =
            resolve_with(None, &env_of(&[("DB_ENGINE", "mysql"), ("DB_HOST", "h")])).unwrap_err();
        assert!(e.to_string().starts_with("no database name given"));
        let e = resolve_with(None, &env_of(&[("DB_HOST", "h"), ("DB_PORT", "x")])).unwrap_err();
        assert!(format!("{e:#}").contains("DB_PORT"));
    }

    #[test]
    fn pg_vars_alone() {
        let s = resolved(
            None,
            &[
                ("PGHOST", "pghost"),
                ("PGPORT", "5499"),
                ("PGUSER", "pguser"),
                ("PGPASSWORD", "pgpw"),
                ("PGDATABASE", "pgdb"),
                ("PGSSLMODE", "verify-ca"),
                ("PGSSLROOTCERT", "/etc/ca.pem"),
            ],
        );
        assert_eq!(parts(&s), ("pghost", 5499, "pguser", Some("pgpw"), "pgdb"));
        assert_eq!(s.sslmode, SslMode::VerifyFull);
        assert_eq!(s.sslrootcert, Some(PathBuf::from("/etc/ca.pem")));
        let e = resolve_with(None, &env_of(&[("PGHOST", "h"), ("PGSSLMODE", "x")])).unwrap_err();
        assert!(format!("{e:#}").contains("PGSSLMODE"));
    }

    #[test]
    fn pg_vars_fill_url_gaps_as_libpq() {
        let env = env_of(&[
            ("PGHOST", "pghost"),
            ("PGPORT", "5499"),
            ("PGUSER", "pguser"),
            ("PGPASSWORD", "pgpw"),
            ("PGDATABASE", "pgdb"),
            ("PGSSLMODE", "require"),
        ]);
        let s = from_url_with("postgres://", &env).unwrap();
        assert_eq!(parts(&s), ("pghost", 5499, "pguser", Some("pgpw"), "pgdb"));
        assert_eq!(s.sslmode, SslMode::Require);
        // What the URL says wins.
        let s = from_url_with("postgres://u:urlpw@h:1/d?sslmode=disable", &env).unwrap();
        assert_eq!(parts(&s), ("h", 1, "u", Some("urlpw"), "d"));
        assert_eq!(s.sslmode, SslMode::Disable);
    }

    #[test]
    fn user_and_dbname_defaults() {
        let s = from_url_with("postgres://h", &env_of(&[("USER", "osuser")])).unwrap();
        assert_eq!((s.user.as_str(), s.dbname.as_str()), ("osuser", "osuser"));
        let s = from_url_with("postgres://h", &no_env()).unwrap();
        assert_eq!(
            (s.user.as_str(), s.dbname.as_str()),
            ("postgres", "postgres")
        );
        let s = from_url_with("postgres://bob@h", &env_of(&[("USER", "osuser")])).unwrap();
        assert_eq!(s.dbname, "bob");
    }

    #[test]
    fn with_dbname_keeps_the_rest() {
        let s = url("postgres://alice:pw@h:6000/app?sslmode=require");
        let t = s.with_dbname("postgres");
        assert_eq!(t.dbname, "postgres");
        assert_eq!(t.host, s.host);
        assert_eq!(t.port, s.port);
        assert_eq!(t.user, s.user);
        assert_eq!(t.password, s.password);
        assert_eq!(t.sslmode, s.sslmode);
        assert_eq!(s.dbname, "app");
    }
}
