//! Where to connect: the `--url` option, `DATABASE_URL`, the `DB_*` variables
//! and, for PostgreSQL, libpq's `PG*` variables and password file.
//!
//! Everything that reads the environment goes through an `env` lookup closure,
//! so the rules can be tested without touching the process environment.

use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, CONTROLS};

use crate::cli::ConnectArgs;

/// Where Debian's libpq looks for the server's Unix socket by default.
pub const DEFAULT_SOCKET_DIR: &str = "/var/run/postgresql";

const NOTHING_GIVEN: &str =
    "no database given: pass --url, or set DATABASE_URL or DB_HOST/DB_NAME (see --help)";

const URL_PARAMS: &str = "host, port, user, password, dbname, sslmode, sslrootcert";

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

    fn scheme(self) -> &'static str {
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

impl fmt::Debug for ConnectionSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let password = match self.password {
            Some(_) => format_args!("***"),
            None => format_args!("None"),
        };
        f.debug_struct("ConnectionSpec")
            .field("engine", &self.engine)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("user", &self.user)
            .field("password", &password)
            .field("dbname", &self.dbname)
            .field("sslmode", &self.sslmode)
            .field("sslrootcert", &self.sslrootcert)
            .finish()
    }
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

    /// The target as a URL with the password shown as `***`, for messages
    /// and logs: `postgres://user:***@host:5432/db`. A socket directory is
    /// shown libpq-style: `postgres://user@:5432/db?host=/var/run/postgresql`.
    pub fn redacted(&self) -> String {
        let mut out = format!("{}://", self.engine.scheme());
        out.push_str(&encode(&self.user, COMPONENT));
        if self.password.is_some() {
            out.push_str(":***");
        }
        out.push('@');
        let socket = self.is_unix_socket();
        if !socket {
            if self.host.contains(':') {
                out.push('[');
                out.push_str(&self.host);
                out.push(']');
            } else {
                out.push_str(&encode(&self.host, COMPONENT));
            }
        }
        out.push_str(&format!(":{}/", self.port));
        out.push_str(&encode(&self.dbname, COMPONENT));
        if socket {
            out.push_str("?host=");
            out.push_str(&encode(&self.host, QUERY_VALUE));
        }
        out
    }
}

/// Removes any password from a URL-ish string (a URL, or a libpq
/// `key=value` string), for error messages built from user input.
/// Errs on the side of hiding too much: everything up to the last `@` after
/// the user name is replaced.
pub fn redact_url(s: &str) -> String {
    let (prefix, rest) = match split_scheme(s) {
        Some((scheme, _)) => s.split_at(scheme.len() + 3),
        None => ("", s),
    };
    let mut out = String::from(prefix);
    match rest.rfind('@') {
        Some(at) => {
            let userinfo = &rest[..at];
            match userinfo.find(':') {
                Some(colon) => {
                    out.push_str(&userinfo[..colon]);
                    out.push_str(":***");
                }
                None => out.push_str(userinfo),
            }
            out.push_str(&redact_password_params(&rest[at..]));
        }
        None => out.push_str(&redact_password_params(rest)),
    }
    out
}

/// Replaces the value of every `password=` parameter (`?password=x&...` or
/// libpq's `password=x` / `password='x y'`) with `***`.
fn redact_password_params(s: &str) -> String {
    const KEY: &str = "password=";
    let lower = s.to_ascii_lowercase();
    let bytes = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut copied = 0;
    let mut search = 0;
    while let Some(found) = lower[search..].find(KEY) {
        let key_start = search + found;
        let value_start = key_start + KEY.len();
        search = value_start;
        let at_boundary = key_start == 0
            || matches!(bytes[key_start - 1], b'?' | b'&' | b';')
            || bytes[key_start - 1].is_ascii_whitespace();
        if !at_boundary {
            continue;
        }
        let value_end = if bytes.get(value_start) == Some(&b'\'') {
            // libpq quoting: 'a b\'c'
            let mut i = value_start + 1;
            while i < bytes.len() && bytes[i] != b'\'' {
                i += if bytes[i] == b'\\' { 2 } else { 1 };
            }
            (i + 1).min(bytes.len())
        } else {
            s[value_start..]
                .find(|c: char| c == '&' || c.is_whitespace())
                .map_or(s.len(), |i| value_start + i)
        };
        out.push_str(&s[copied..value_start]);
        out.push_str("***");
        copied = value_end;
        search = value_end;
    }
    out.push_str(&s[copied..]);
    out
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
    bail!(NOTHING_GIVEN)
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
// URL parsing

/// Parses `scheme://[user[:password]@][host][:port][/dbname][?param=value&...]`.
/// Error messages show the input only through [`redact_url`].
fn parse_url(input: &str) -> Result<(EngineKind, Parts)> {
    let bad = |reason: &str| {
        anyhow!(
            "invalid connection URL '{}': {reason}",
            url_for_errors(input)
        )
    };

    let Some((scheme, rest)) = split_scheme(input) else {
        return Err(bad(
            "expected scheme://..., e.g. postgres://user@host:5432/db",
        ));
    };
    let engine = match scheme.to_ascii_lowercase().as_str() {
        "postgres" | "postgresql" => EngineKind::Postgres,
        "mysql" | "mariadb" => EngineKind::MySql,
        _ => bail!("unsupported URL scheme '{scheme}' (use postgres:// or mysql://)"),
    };

    // The authority ends at the first '/' or '?'. Within it, the last '@'
    // ends the user info, so an unencoded '@' in a password still works.
    let auth_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(auth_end);
    if tail.contains('@') {
        // Most likely a password with an unencoded '/' or '?'. Refuse rather
        // than take part of it for a host, database or parameter name.
        return Err(bad(
            "'@' after the host part; percent-encode '/', '?' and '@' in the user name and \
             password (%2F, %3F, %40), and '@' elsewhere",
        ));
    }

    let mut parts = Parts::default();
    let hostport = match authority.rfind('@') {
        Some(at) => {
            let userinfo = &authority[..at];
            let (user, password) = match userinfo.split_once(':') {
                Some((u, p)) => (u, Some(p)),
                None => (userinfo, None),
            };
            parts.user = non_empty(decode(user).map_err(|_| bad("user name is not valid UTF-8"))?);
            if let Some(p) = password {
                parts.password =
                    non_empty(decode(p).map_err(|_| bad("password is not valid UTF-8"))?);
            }
            &authority[at + 1..]
        }
        None => authority,
    };

    let (host, port) = if let Some(v6) = hostport.strip_prefix('[') {
        let Some((addr, after)) = v6.split_once(']') else {
            return Err(bad("unclosed '[' in host"));
        };
        match after {
            "" => (addr.to_string(), None),
            _ => match after.strip_prefix(':') {
                Some(port) => (addr.to_string(), Some(port)),
                None => return Err(bad("unexpected text after ']'")),
            },
        }
    } else {
        if hostport.contains(',') {
            return Err(bad("several hosts are not supported; give one host"));
        }
        let (h, p) = match hostport.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (hostport, None),
        };
        (decode(h).map_err(|_| bad("host is not valid UTF-8"))?, p)
    };
    parts.host = non_empty(host);
    if let Some(port) = port.filter(|p| !p.is_empty()) {
        parts.port = Some(parse_port(port).map_err(|_| bad("invalid port number"))?);
    }

    let (path, query) = match tail.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (tail, None),
    };
    if let Some(db) = path.strip_prefix('/') {
        parts.dbname = non_empty(decode(db).map_err(|_| bad("database name is not valid UTF-8"))?);
    }

    let mut unknown = Vec::new();
    for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (raw_key, raw_value) = pair.split_once('=').unwrap_or((pair, ""));
        let key = decode(raw_key).map_err(|_| bad("parameter name is not valid UTF-8"))?;
        let value = decode(raw_value)
            .map_err(|_| bad(&format!("value of parameter '{key}' is not valid UTF-8")))?;
        match key.as_str() {
            "host" => parts.host = non_empty(value),
            "port" => {
                parts.port = match value.as_str() {
                    "" => None,
                    v => Some(parse_port(v).map_err(|_| bad("invalid port number"))?),
                }
            }
            "user" => parts.user = non_empty(value),
            "password" => parts.password = non_empty(value),
            "dbname" => parts.dbname = non_empty(value),
            "sslmode" => {
                parts.sslmode = Some(
                    value
                        .parse()
                        .map_err(|e: anyhow::Error| bad(&e.to_string()))?,
                )
            }
            "sslrootcert" => parts.sslrootcert = non_empty(value),
            _ => unknown.push(key),
        }
    }
    if !unknown.is_empty() {
        return Err(bad(&format!(
            "unsupported parameter{} {} (supported: {URL_PARAMS})",
            if unknown.len() == 1 { "" } else { "s" },
            unknown.join(", ")
        )));
    }
    if let Some(host) = &parts.host {
        if host.contains(',') {
            return Err(bad("several hosts are not supported; give one host"));
        }
    }
    Ok((engine, parts))
}

/// The URL as error messages show it: without password and without the
/// parameter values (an unknown parameter may well be a secret).
fn url_for_errors(input: &str) -> String {
    let mut shown = redact_url(input);
    if let Some(q) = shown.find('?') {
        shown.truncate(q);
        shown.push_str("?...");
    }
    shown
}

/// `scheme://rest`, if `s` starts with something shaped like a URL scheme.
fn split_scheme(s: &str) -> Option<(&str, &str)> {
    let (scheme, rest) = s.split_once("://")?;
    let mut chars = scheme.chars();
    let shaped = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    shaped.then_some((scheme, rest))
}

fn decode(s: &str) -> std::result::Result<String, std::str::Utf8Error> {
    percent_decode_str(s).decode_utf8().map(|c| c.into_owned())
}

fn non_empty(s: String) -> Option<String> {
    (!s.is_empty()).then_some(s)
}

/// Characters escaped in the user name, host and database of a URL we print.
const COMPONENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'&')
    .add(b'/')
    .add(b':')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'@')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

/// Characters escaped in a query value we print ('/' stays readable).
const QUERY_VALUE: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'&')
    .add(b'+')
    .add(b'=')
    .add(b'?');

fn encode(s: &str, set: &'static AsciiSet) -> String {
    utf8_percent_encode(s, set).to_string()
}

// ---------------------------------------------------------------------------
// The password file

struct PgpassKey<'a> {
    host: &'a str,
    port: u16,
    dbname: &'a str,
    user: &'a str,
}

/// `$PGPASSFILE`, else `$HOME/.pgpass`.
fn pgpass_file(env: &impl Fn(&str) -> Option<String>) -> Option<PathBuf> {
    env_nonempty(env, "PGPASSFILE")
        .map(PathBuf::from)
        .or_else(|| env_nonempty(env, "HOME").map(|home| Path::new(&home).join(".pgpass")))
}

/// The password for `key` from the file at `path`, following libpq: a
/// missing file is silently skipped; one that is not a plain file, or that
/// group or others may access, is skipped with a warning.
fn pgpass_lookup(path: &Path, key: &PgpassKey<'_>, warn: &mut dyn FnMut(String)) -> Option<String> {
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_file() {
        warn(format!(
            "password file \"{}\" is not a plain file",
            path.display()
        ));
        return None;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if meta.permissions().mode() & 0o077 != 0 {
            warn(format!(
                "password file \"{}\" has group or world access; permissions should be u=rw \
                 (0600) or less",
                path.display()
            ));
            return None;
        }
    }
    let bytes = std::fs::read(path).ok()?;
    pgpass_match(&String::from_utf8_lossy(&bytes), key)
}

/// The first line of a password file that matches `key`: fields
/// `host:port:database:user:password`, `*` matches anything, `\:` and `\\`
/// escape, lines starting with `#` are comments.
fn pgpass_match(contents: &str, key: &PgpassKey<'_>) -> Option<String> {
    let port = key.port.to_string();
    let wanted = [key.host, port.as_str(), key.dbname, key.user];
    for line in contents.lines() {
        let line = line.trim_end_matches('\r');
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut rest = line;
        let mut matched = true;
        for want in wanted {
            match match_field(rest, want) {
                Some(after) => rest = after,
                None => {
                    matched = false;
                    break;
                }
            }
        }
        if matched {
            // The password runs to an unescaped ':' or the end of the line.
            let mut password = String::new();
            let mut chars = rest.chars();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => match chars.next() {
                        Some(next) => password.push(next),
                        None => password.push('\\'),
                    },
                    ':' => break,
                    c => password.push(c),
                }
            }
            return non_empty(password);
        }
    }
    None
}

/// If the first field of `line` matches `want` (or is `*`), the text after
/// its closing ':'.
fn match_field<'a>(line: &'a str, want: &str) -> Option<&'a str> {
    if let Some(after) = line.strip_prefix("*:") {
        return Some(after);
    }
    let mut want = want.chars();
    let mut chars = line.char_indices();
    while let Some((i, c)) = chars.next() {
        let (literal, c) = if c == '\\' {
            match chars.next() {
                Some((_, escaped)) => (true, escaped),
                None => return None,
            }
        } else {
            (false, c)
        };
        if c == ':' && !literal {
            return match want.next() {
                None => Some(&line[i + 1..]),
                Some(_) => None,
            };
        }
        if want.next() != Some(c) {
            return None;
        }
    }
    None
}

// ---------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    const SECRET: &str = "hunter2-s3cr3t";

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k: &str| map.get(k).cloned()
    }

    fn no_env() -> impl Fn(&str) -> Option<String> {
        env_of(&[])
    }

    fn url(u: &str) -> ConnectionSpec {
        from_url_with(u, &no_env()).unwrap_or_else(|e| panic!("{u}: {e:#}"))
    }

    fn url_err(u: &str) -> String {
        match from_url_with(u, &no_env()) {
            Ok(spec) => panic!("{u} should fail, got {spec:?}"),
            Err(e) => format!("{e:#}"),
        }
    }

    // --- URL parsing --------------------------------------------------

    #[test]
    fn full_postgres_url() {
        let s = url("postgres://alice:pw@db.example.com:6543/app?sslmode=require");
        assert_eq!(s.engine, EngineKind::Postgres);
        assert_eq!(s.host, "db.example.com");
        assert_eq!(s.port, 6543);
        assert_eq!(s.user, "alice");
        assert_eq!(s.password.as_deref(), Some("pw"));
        assert_eq!(s.dbname, "app");
        assert_eq!(s.sslmode, SslMode::Require);
        assert_eq!(s.sslrootcert, None);
    }

    #[test]
    fn schemes() {
        assert_eq!(url("postgresql://h/d").engine, EngineKind::Postgres);
        assert_eq!(url("POSTGRES://h/d").engine, EngineKind::Postgres);
        assert_eq!(url("mysql://h/d").engine, EngineKind::MySql);
        assert_eq!(url("mariadb://h/d").engine, EngineKind::MySql);
        assert_eq!(
            url_err("oracle://scott:tiger@h/d"),
            "unsupported URL scheme 'oracle' (use postgres:// or mysql://)"
        );
    }

    #[test]
    fn not_a_url() {
        let e = url_err(&format!("alice:{SECRET}@host/db"));
        assert!(e.contains("expected scheme://"), "{e}");
        assert!(!e.contains(SECRET), "{e}");
        // Something that looks like a scheme but holds the credentials.
        let e = url_err(&format!("alice:{SECRET}@host://x"));
        assert!(!e.contains(SECRET), "{e}");
    }

    #[test]
    fn percent_decoding() {
        let s = url("postgres://us%20er:p%40ss%3Aw%2Fo%3Frd@h/my%2Fdb%20x");
        assert_eq!(s.user, "us er");
        assert_eq!(s.password.as_deref(), Some("p@ss:w/o?rd"));
        assert_eq!(s.dbname, "my/db x");
        let s = url("postgres://%C3%A9l%C3%A8ve@h/caf%C3%A9");
        assert_eq!(s.user, "élève");
        assert_eq!(s.dbname, "café");
        assert!(url_err("postgres://u@h/%FF").contains("not valid UTF-8"));
    }

    #[test]
    fn unencoded_at_and_colon_in_password() {
        let s = url("postgres://alice:p@ss:w@h:5433/db");
        assert_eq!(s.user, "alice");
        assert_eq!(s.password.as_deref(), Some("p@ss:w"));
        assert_eq!(s.host, "h");
        assert_eq!(s.port, 5433);
    }

    #[test]
    fn unencoded_slash_or_question_mark_in_password_is_refused_without_leaking() {
        for u in [
            format!("postgres://alice:ab/{SECRET}@h/db"),
            format!("postgres://alice:ab?{SECRET}@h/db"),
            format!("postgres://alice:12/{SECRET}@h/db"),
            format!("postgres://alice:{SECRET}/x@h/db"),
        ] {
            let e = url_err(&u);
            assert!(!e.contains(SECRET), "{e}");
            assert!(!e.contains("ab"), "{e}");
        }
    }

    #[test]
    fn ipv6_host() {
        let s = url("postgres://u@[::1]:5433/db");
        assert_eq!(s.host, "::1");
        assert_eq!(s.port, 5433);
        let s = url("postgres://[fe80::1]/db");
        assert_eq!(s.host, "fe80::1");
        assert_eq!(s.port, 5432);
        assert!(url_err("postgres://[::1/db").contains("unclosed"));
    }

    #[test]
    fn socket_hosts() {
        let s = url("postgres://u@/db?host=/var/run/postgresql");
        assert_eq!(s.host, "/var/run/postgresql");
        assert!(s.is_unix_socket());
        let s = url("postgres://%2Ftmp%2Fpg/db");
        assert_eq!(s.host, "/tmp/pg");
        assert!(s.is_unix_socket());
        let s = url("postgres://u@%2Fvar%2Frun%2Fpostgresql:5433/db");
        assert_eq!(s.host, "/var/run/postgresql");
        assert_eq!(s.port, 5433);
    }

    #[test]
    fn empty_host_defaults() {
        let s = url("postgres:///db");
        assert_eq!(s.host, default_pg_host());
        assert_eq!(s.dbname, "db");
        let s = url("mysql:///db");
        assert_eq!(s.host, "127.0.0.1");
    }

    #[test]
    fn query_params() {
        let s = url(
            "postgres://a:b@h:1/d?host=other&port=2&user=u2&password=p%262&dbname=d2\
             &sslmode=verify-full&sslrootcert=%2Fetc%2Fca.pem",
        );
        assert_eq!(s.host, "other");
        assert_eq!(s.port, 2);
        assert_eq!(s.user, "u2");
        assert_eq!(s.password.as_deref(), Some("p&2"));
        assert_eq!(s.dbname, "d2");
        assert_eq!(s.sslmode, SslMode::VerifyFull);
        assert_eq!(s.sslrootcert, Some(PathBuf::from("/etc/ca.pem")));
        assert_eq!(url("postgres://h/d?").port, 5432);
    }

    #[test]
    fn unknown_params_are_listed_without_values() {
        let e = url_err(&format!(
            "postgres://u:{SECRET}@h/d?application_name=v1&connect_timeout={SECRET}&sslmode=disable"
        ));
        assert!(e.contains("application_name, connect_timeout"), "{e}");
        assert!(e.contains("supported: host"), "{e}");
        assert!(!e.contains(SECRET), "{e}");
        assert!(!e.contains("v1"), "{e}");
    }

    #[test]
    fn sslmode_values() {
        for (text, mode) in [
            ("disable", SslMode::Disable),
            ("allow", SslMode::Prefer),
            ("prefer", SslMode::Prefer),
            ("require", SslMode::Require),
            ("verify-ca", SslMode::VerifyFull),
            ("verify-full", SslMode::VerifyFull),
            ("REQUIRED", SslMode::Require),
            ("VERIFY_IDENTITY", SslMode::VerifyFull),
            ("Disabled", SslMode::Disable),
        ] {
            assert_eq!(text.parse::<SslMode>().unwrap(), mode, "{text}");
            assert_eq!(url(&format!("postgres://h/d?sslmode={text}")).sslmode, mode);
        }
        assert_eq!(url("postgres://h/d").sslmode, SslMode::Prefer);
        assert_eq!(url("mysql://h/d").sslmode, SslMode::Disable);
        let e = url_err(&format!("postgres://u:{SECRET}@h/d?sslmode=bogus"));
        assert!(e.contains("invalid sslmode 'bogus'"), "{e}");
        assert!(!e.contains(SECRET), "{e}");
    }

    #[test]
    fn sslrootcert_system() {
        let s = url("postgres://h/d?sslrootcert=system");
        assert_eq!(s.sslmode, SslMode::VerifyFull);
        assert_eq!(s.sslrootcert, None);
        let s = url("postgres://h/d?sslrootcert=system&sslmode=require");
        assert_eq!(s.sslmode, SslMode::Require);
    }

    #[test]
    fn bad_ports() {
        for u in [
            format!("postgres://u:{SECRET}@h:abc/d"),
            format!("postgres://u:{SECRET}@h:0/d"),
            format!("postgres://u:{SECRET}@h:70000/d"),
            format!("postgres://u:{SECRET}@h/d?port=x"),
        ] {
            let e = url_err(&u);
            assert!(e.contains("invalid port number"), "{e}");
            assert!(!e.contains(SECRET), "{e}");
        }
        let e = format!(
            "{:#}",
            from_url_with("postgres://h/d", &env_of(&[("PGPORT", "nope")])).unwrap_err()
        );
        assert!(e.contains("PGPORT"), "{e}");
    }

    #[test]
    fn several_hosts_refused() {
        let e = url_err(&format!("postgres://u:{SECRET}@h1:5432,h2:5433/d"));
        assert!(e.contains("several hosts"), "{e}");
        assert!(!e.contains(SECRET), "{e}");
        assert!(url_err("postgres://u@/d?host=a,b").contains("several hosts"));
    }

    #[test]
    fn mysql_defaults_and_missing_db() {
        let s = url("mysql://h/app");
        assert_eq!(s.port, 3306);
        assert_eq!(s.user, "root");
        assert_eq!(s.password, None);
        let s = url("mariadb://bob:pw@10.0.0.5:3307/app");
        assert_eq!(
            (
                s.host.as_str(),
                s.port,
                s.user.as_str(),
                s.password.as_deref()
            ),
            ("10.0.0.5", 3307, "bob", Some("pw"))
        );
        let e = url_err("mysql://root@h");
        assert!(e.starts_with("no database name given"), "{e}");
        assert!(url_err("mysql://root@h/").starts_with("no database name given"));
    }

    #[test]
    fn mysql_ignores_pg_variables() {
        let env = env_of(&[
            ("PGUSER", "pguser"),
            ("PGPASSWORD", "pgpw"),
            ("PGHOST", "pghost"),
        ]);
        let s = from_url_with("mysql://h/app", &env).unwrap();
        assert_eq!(s.user, "root");
        assert_eq!(s.password, None);
        assert_eq!(s.host, "h");
    }

    // --- sources and precedence ---------------------------------------

    fn resolved(url: Option<&str>, pairs: &[(&str, &str)]) -> ConnectionSpec {
        resolve_with(url, &env_of(pairs)).unwrap_or_else(|e| panic!("{e:#}"))
    }

    #[test]
    fn nothing_given() {
        let e = resolve_with(None, &no_env()).unwrap_err();
        assert_eq!(e.to_string(), NOTHING_GIVEN);
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
            (
                s.host.as_str(),
                s.port,
                s.user.as_str(),
                s.password.as_deref(),
                s.dbname.as_str()
            ),
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
        assert_eq!(
            (
                s.host.as_str(),
                s.port,
                s.user.as_str(),
                s.password.as_deref(),
                s.dbname.as_str()
            ),
            ("pghost", 5499, "pguser", Some("pgpw"), "pgdb")
        );
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
        assert_eq!(
            (
                s.host.as_str(),
                s.port,
                s.user.as_str(),
                s.password.as_deref(),
                s.dbname.as_str()
            ),
            ("pghost", 5499, "pguser", Some("pgpw"), "pgdb")
        );
        assert_eq!(s.sslmode, SslMode::Require);
        // What the URL says wins.
        let s = from_url_with("postgres://u:urlpw@h:1/d?sslmode=disable", &env).unwrap();
        assert_eq!(
            (
                s.host.as_str(),
                s.port,
                s.user.as_str(),
                s.password.as_deref(),
                s.dbname.as_str()
            ),
            ("h", 1, "u", Some("urlpw"), "d")
        );
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

    // --- the password file --------------------------------------------

    fn key<'a>(host: &'a str, port: u16, dbname: &'a str, user: &'a str) -> PgpassKey<'a> {
        PgpassKey {
            host,
            port,
            dbname,
            user,
        }
    }

    #[test]
    fn pgpass_matching() {
        let file = "\
# comment line: h:5432:db:u:nope
db.example.com:5432:app:alice:first
db.example.com:5432:app:alice:second
*:5432:*:bob:bobpw
other:*:*:*:anyuser
";
        let m = |h, p, d, u| pgpass_match(file, &key(h, p, d, u));
        assert_eq!(
            m("db.example.com", 5432, "app", "alice").as_deref(),
            Some("first")
        );
        assert_eq!(m("db.example.com", 5433, "app", "alice"), None);
        assert_eq!(m("db.example.com", 5432, "app2", "alice"), None);
        assert_eq!(m("db.example.com", 5432, "app", "alic"), None);
        assert_eq!(m("db.example.co", 5432, "app", "alice"), None);
        assert_eq!(m("anything", 5432, "x", "bob").as_deref(), Some("bobpw"));
        assert_eq!(m("anything", 5433, "x", "bob"), None);
        assert_eq!(m("other", 1, "x", "carol").as_deref(), Some("anyuser"));
        assert_eq!(m("h", 5432, "db", "u"), None);
    }

    #[test]
    fn pgpass_escapes() {
        let file =
            "h\\:x:5432:d\\\\b:u:pa\\:ss\\\\w\\rd:ignored\r\n*:*:*:star\\*:p2\n\\*:*:*:*:literal\n";
        assert_eq!(
            pgpass_match(file, &key("h:x", 5432, "d\\b", "u")).as_deref(),
            Some("pa:ss\\wrd")
        );
        assert_eq!(
            pgpass_match(file, &key("a", 1, "b", "star*")).as_deref(),
            Some("p2")
        );
        // An escaped '*' is a literal star, not a wildcard.
        assert_eq!(
            pgpass_match(file, &key("*", 1, "b", "c")).as_deref(),
            Some("literal")
        );
        assert_eq!(pgpass_match(file, &key("x", 1, "b", "c")), None);
        // '*' only counts as a whole field.
        assert_eq!(pgpass_match("h*:*:*:*:p\n", &key("hx", 1, "b", "c")), None);
        // Too few fields never match.
        assert_eq!(pgpass_match("h:1:d:u\n", &key("h", 1, "d", "u")), None);
    }

    fn write_pgpass(dir: &Path, contents: &str, mode: u32) -> PathBuf {
        let path = dir.join("pgpass");
        std::fs::write(&path, contents).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        }
        path
    }

    #[test]
    #[cfg(unix)]
    fn pgpass_permissions() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_pgpass(dir.path(), "*:*:*:*:pw\n", 0o644);
        let mut warnings = Vec::new();
        assert_eq!(
            pgpass_lookup(&path, &key("h", 1, "d", "u"), &mut |w| warnings.push(w)),
            None
        );
        assert_eq!(warnings.len(), 1);
        assert!(
            warnings[0].contains("group or world access"),
            "{warnings:?}"
        );

        for mode in [0o600, 0o400] {
            let path = write_pgpass(dir.path(), "*:*:*:*:pw\n", mode);
            let mut warnings = Vec::new();
            let got = pgpass_lookup(&path, &key("h", 1, "d", "u"), &mut |w| warnings.push(w));
            assert_eq!(got.as_deref(), Some("pw"));
            assert!(warnings.is_empty());
        }

        // A missing file is skipped quietly; a directory with a warning.
        let mut warnings = Vec::new();
        let missing = dir.path().join("missing");
        assert_eq!(
            pgpass_lookup(&missing, &key("h", 1, "d", "u"), &mut |w| warnings.push(w)),
            None
        );
        assert!(warnings.is_empty());
        assert_eq!(
            pgpass_lookup(dir.path(), &key("h", 1, "d", "u"), &mut |w| warnings
                .push(w)),
            None
        );
        assert_eq!(warnings.len(), 1);
    }

    #[test]
    fn pgpass_through_resolution() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_pgpass(
            dir.path(),
            "localhost:5432:app:alice:socketpw\n\
             db.example.com:5432:app:alice:tcppw\n\
             /custom/sock:5432:app:alice:custompw\n",
            0o600,
        );
        let file = path.to_str().unwrap();
        let env = env_of(&[("PGPASSFILE", file)]);
        let pw = |u: &str| from_url_with(u, &env).unwrap().password;

        assert_eq!(
            pw("postgres://alice@db.example.com/app").as_deref(),
            Some("tcppw")
        );
        // "localhost" covers the default socket directory, as in libpq.
        assert_eq!(
            pw("postgres://alice@/app?host=/var/run/postgresql").as_deref(),
            Some("socketpw")
        );
        assert_eq!(
            pw("postgres://alice@/app?host=/run/postgresql/").as_deref(),
            Some("socketpw")
        );
        assert_eq!(
            pw("postgres://alice@localhost/app").as_deref(),
            Some("socketpw")
        );
        // An empty host means libpq's default, which is "localhost" too.
        assert_eq!(pw("postgres://alice@/app").as_deref(), Some("socketpw"));
        // Other socket directories match literally.
        assert_eq!(
            pw("postgres://alice@/app?host=/custom/sock").as_deref(),
            Some("custompw")
        );
        assert_eq!(pw("postgres://alice@/app?host=/other/sock"), None);
        assert_eq!(pw("postgres://alice@127.0.0.1/app"), None);
        // Port, database and user take part in the match.
        assert_eq!(pw("postgres://alice@db.example.com:5433/app"), None);
        assert_eq!(pw("postgres://alice@db.example.com/other"), None);
        assert_eq!(pw("postgres://bob@db.example.com/app"), None);
        // PGPASSWORD and the URL come first.
        let env2 = env_of(&[("PGPASSFILE", file), ("PGPASSWORD", "envpw")]);
        let s = from_url_with("postgres://alice@db.example.com/app", &env2).unwrap();
        assert_eq!(s.password.as_deref(), Some("envpw"));
        let s = from_url_with("postgres://alice:urlpw@db.example.com/app", &env2).unwrap();
        assert_eq!(s.password.as_deref(), Some("urlpw"));
        // The DB_* and PG* sources use it as well; the database defaults
        // to the user name before the lookup.
        let env3 = env_of(&[
            ("PGPASSFILE", file),
            ("DB_HOST", "db.example.com"),
            ("DB_USER", "alice"),
            ("DB_NAME", "app"),
        ]);
        assert_eq!(
            resolve_with(None, &env3).unwrap().password.as_deref(),
            Some("tcppw")
        );
        let env4 = env_of(&[
            ("PGPASSFILE", file),
            ("PGHOST", "db.example.com"),
            ("PGUSER", "alice"),
            ("PGDATABASE", "app"),
        ]);
        assert_eq!(
            resolve_with(None, &env4).unwrap().password.as_deref(),
            Some("tcppw")
        );
    }

    #[test]
    #[cfg(unix)]
    fn pgpass_from_home_and_ignored_when_open() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".pgpass");
        std::fs::write(&path, "*:*:*:*:homepw\n").unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        let env = env_of(&[("HOME", dir.path().to_str().unwrap())]);
        let s = from_url_with("postgres://u@h/d", &env).unwrap();
        assert_eq!(s.password.as_deref(), Some("homepw"));

        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        let s = from_url_with("postgres://u@h/d", &env).unwrap();
        assert_eq!(s.password, None);

        // PGPASSFILE replaces ~/.pgpass.
        let env = env_of(&[
            ("HOME", dir.path().to_str().unwrap()),
            ("PGPASSFILE", "/nonexistent/pgpass"),
        ]);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        let s = from_url_with("postgres://u@h/d", &env).unwrap();
        assert_eq!(s.password, None);
    }

    // --- redaction ----------------------------------------------------

    #[test]
    fn debug_hides_password() {
        let s = url(&format!("postgres://alice:{SECRET}@h/d"));
        let dbg = format!("{s:?}");
        assert!(!dbg.contains(SECRET), "{dbg}");
        assert!(dbg.contains("password: ***"), "{dbg}");
        let dbg = format!("{s:#?}");
        assert!(!dbg.contains(SECRET), "{dbg}");
        let s = url("postgres://alice@h/d");
        assert!(format!("{s:?}").contains("password: None"));
    }

    #[test]
    fn redacted_form() {
        let s = url(&format!("postgres://alice:{SECRET}@db.example.com/app"));
        assert_eq!(s.redacted(), "postgres://alice:***@db.example.com:5432/app");
        let s = url("postgresql://alice@db.example.com/app");
        assert_eq!(s.redacted(), "postgres://alice@db.example.com:5432/app");
        let s = url("mariadb://root:x@h/app");
        assert_eq!(s.redacted(), "mysql://root:***@h:3306/app");
        let s = url("postgres://u%40x@[::1]/my%2Fdb");
        assert_eq!(s.redacted(), "postgres://u%40x@[::1]:5432/my%2Fdb");
        let s = url("postgres://u:p@/d?host=/var/run/postgresql");
        assert_eq!(
            s.redacted(),
            "postgres://u:***@:5432/d?host=/var/run/postgresql"
        );
    }

    #[test]
    fn redacted_round_trips() {
        for u in [
            "postgres://alice:pw@db.example.com:6543/app",
            "postgres://u%40x:pw@[::1]/my%2Fdb%3F",
            "postgres://u:pw@/d?host=/var/run/postgresql",
            "postgres://u:pw@/d?host=/tmp/with%20space%26amp",
            "mysql://root:pw@h:3307/app",
        ] {
            let a = url(u);
            let b = url(&a.redacted().replace(":***@", "@"));
            assert_eq!(
                format!("{a:?}").replace("***", "None"),
                format!("{b:?}"),
                "{u}"
            );
        }
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

    #[test]
    fn redact_url_cases() {
        for (input, want) in [
            ("postgres://alice:pw@h/d", "postgres://alice:***@h/d"),
            ("postgres://alice@h/d", "postgres://alice@h/d"),
            ("postgres://h/d", "postgres://h/d"),
            ("postgres://alice:p@ss@h/d", "postgres://alice:***@h/d"),
            ("postgres://alice:p/w?x@h/d", "postgres://alice:***@h/d"),
            ("alice:pw@h/d", "alice:***@h/d"),
            (
                "postgres://h/d?user=a&password=pw&sslmode=x",
                "postgres://h/d?user=a&password=***&sslmode=x",
            ),
            ("postgres://h/d?PASSWORD=pw", "postgres://h/d?PASSWORD=***"),
            (
                "host=h password=pw dbname=d",
                "host=h password=*** dbname=d",
            ),
            (
                "host=h password='p w\\' x' dbname=d",
                "host=h password=*** dbname=d",
            ),
            ("postgres://h/d?mypassword=x", "postgres://h/d?mypassword=x"),
            ("", ""),
        ] {
            assert_eq!(redact_url(input), want, "{input}");
        }
    }

    #[test]
    fn errors_never_show_the_password() {
        let cases = [
            format!("postgres://u:{SECRET}@h:bad/d"),
            format!("postgres://u:{SECRET}@h/d?nope=1"),
            format!("postgres://u:{SECRET}@h/d?sslmode=nope"),
            format!("postgres://u:{SECRET}@[::1/d"),
            format!("postgres://u:{SECRET}@a,b/d"),
            format!("postgres://u:{SECRET}@h/d?password={SECRET}&nope=1"),
            format!("postgres://u@h/d?password={SECRET}&port=x"),
            format!("http://u:{SECRET}@h/d"),
            format!("mysql://u:{SECRET}@h"),
            format!("u:{SECRET}@h/d"),
            format!("postgres://u:{SECRET}/x@h/d"),
        ];
        for u in &cases {
            let e = from_url_with(u, &no_env()).unwrap_err();
            let text = format!("{e:#} {e:?}");
            assert!(!text.contains(SECRET), "{u}: {text}");
            let e = resolve_with(None, &env_of(&[("DATABASE_URL", u)])).unwrap_err();
            let text = format!("{e:#} {e:?}");
            assert!(!text.contains(SECRET), "{u}: {text}");
        }
    }
}
