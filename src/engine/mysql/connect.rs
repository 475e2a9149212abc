//! Opening mysql_async connections from a ConnectionSpec.

use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use mysql_async::prelude::Queryable;
use mysql_async::{Conn, DriverError, OptsBuilder, SslOpts};

use crate::config::{ConnectionSpec, SslMode};
use crate::engine::probe;
use crate::error::ServerError;

/// The server's words (`ERROR 1062 (23000): Duplicate entry ...`), never the
/// URL; a privilege error also names the missing grant.
pub fn server_message(err: &mysql_async::Error) -> String {
    match err {
        mysql_async::Error::Server(e) => {
            let mut text = format!("ERROR {} ({}): {}", e.code, e.state, e.message);
            if let Some(grant) = super::grants::missing_grant(e.code, &e.message) {
                text.push_str(" (");
                text.push_str(&grant);
                text.push(')');
            }
            text
        }
        // mysql_async's I/O errors say "Input/output error: " at two levels.
        mysql_async::Error::Io(io) => match io.to_string() {
            text if text.starts_with("Input/output error: ") => text,
            text => format!("Input/output error: {text}"),
        },
        other => other.to_string(),
    }
}

/// Whether the session behind `err` is gone: the socket failed or closed
/// (a killed connection's last packet arrives cut, or never), or the server
/// killed it (KILL CONNECTION: 1927, MySQL 3169) or is shutting down (1053).
/// The driver's own words do not say so.
pub fn connection_lost(err: &mysql_async::Error) -> bool {
    match err {
        mysql_async::Error::Io(_) | mysql_async::Error::Driver(_) => true,
        mysql_async::Error::Server(e) => matches!(e.code, 1053 | 1927 | 3169),
        _ => false,
    }
}

impl From<mysql_async::Error> for ServerError {
    fn from(err: mysql_async::Error) -> ServerError {
        ServerError::new(server_message(&err), err)
    }
}

/// Session settings every dbsnap connection uses: values travel in UTC,
/// zero dates and explicit zeros in AUTO_INCREMENT columns are kept, and
/// every warning of a statement can be read back (loads check them).
pub const SESSION: &str = "SET NAMES utf8mb4, time_zone = '+00:00', \
     sql_mode = 'NO_AUTO_VALUE_ON_ZERO', sql_quote_show_create = 1, max_error_count = 65535";

/// Opens a connection with TLS chosen from `spec.sslmode` / `spec.sslrootcert`:
///
/// | sslmode     | without sslrootcert             | with sslrootcert              |
/// |-------------|---------------------------------|-------------------------------|
/// | disable     | plaintext                       | plaintext                     |
/// | prefer      | TLS if offered, cert unchecked  | TLS if offered, chain + name  |
/// | require     | TLS, cert unchecked             | TLS, chain + name checked     |
/// | verify-full | TLS, chain + name, webpki roots | TLS, chain + name, that file  |
///
/// libpq's `require` with a root file checks the chain but not the name;
/// mysql_async cannot do that (its "skip domain validation" misses rustls's
/// current name error), so here the name is checked too: stricter, never weaker.
/// Errors read `cannot connect to {spec.redacted()}: {reason}`, never with the password.
pub async fn connect(spec: &ConnectionSpec) -> Result<Conn> {
    let target = spec.redacted();
    let ssl = ssl_opts(spec).with_context(|| format!("cannot connect to {target}"))?;
    let socket = spec.host.starts_with('/');
    let attempt = async {
        let mut tls = ssl.is_some() && !socket;
        let mut result = open(spec, ssl).await;
        // `prefer`: a server without TLS gets a plaintext connection instead.
        if spec.sslmode == SslMode::Prefer
            && matches!(
                &result,
                Err(Some(mysql_async::Error::Driver(
                    DriverError::NoClientSslFlagFromServer
                )))
            )
        {
            tls = false;
            result = open(spec, None).await;
        }
        (result, tls)
    };
    tokio::pin!(attempt);
    // A PostgreSQL server never greets, so the client would wait the whole
    // timeout; if no greeting came quickly, ask which protocol the port speaks.
    let (result, tls) = tokio::select! {
        outcome = &mut attempt => outcome,
        Some(hint) = slow_connect_hint(spec) => bail!("cannot connect to {target}: {hint}"),
    };
    match result {
        Ok(mut conn) => {
            // While a session of this run holds the run-tag lock, the run is
            // alive and its staging databases are not leftovers.
            let _ = conn
                .exec_drop("DO GET_LOCK(?, 0)", (crate::engine::run_tag(),))
                .await;
            Ok(conn)
        }
        Err(Some(e)) => {
            let reason = match crate::engine::tls::certificate_problem(&e, spec) {
                Some(problem) => problem,
                None => refusal(&e, spec, !socket && !tls),
            };
            Err(anyhow::Error::from(ServerError::new(reason, e))
                .context(format!("cannot connect to {target}")))
        }
        Err(None) => Err(anyhow!(
            "cannot connect to {target}: timed out after {} s",
            CONNECT_TIMEOUT.as_secs()
        )),
    }
}

/// How long to wait for the server before giving up on a connection attempt.
const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// One connection attempt; `Err(None)` is a timeout.
async fn open(
    spec: &ConnectionSpec,
    ssl: Option<SslOpts>,
) -> Result<Conn, Option<mysql_async::Error>> {
    let mut builder = OptsBuilder::default()
        .user(Some(spec.user.clone()))
        .pass(spec.password.clone())
        .db_name((!spec.dbname.is_empty()).then(|| spec.dbname.clone()))
        // Stay on the connection asked for instead of switching to the server's socket.
        .prefer_socket(false)
        .ssl_opts(ssl)
        // The client refuses packets above this. By default it takes the
        // server's max_allowed_packet, which limits what the server accepts,
        // not what it sends: a 24 MiB value stored in a 16 MiB server could
        // not be read. 1 GiB is the most either side allows.
        .max_allowed_packet(Some(1024 * 1024 * 1024))
        .init(vec![SESSION.to_string()]);
    builder = if spec.host.starts_with('/') {
        builder.socket(Some(spec.host.clone()))
    } else {
        builder
            .ip_or_hostname(spec.host.clone())
            .tcp_port(spec.port)
    };
    match tokio::time::timeout(CONNECT_TIMEOUT, Conn::new(builder)).await {
        Ok(Ok(conn)) => Ok(conn),
        Ok(Err(e)) => Err(Some(e)),
        Err(_) => Err(None),
    }
}

/// The TLS options for `spec` (see the table on [`connect`]).
fn ssl_opts(spec: &ConnectionSpec) -> Result<Option<SslOpts>> {
    if spec.sslmode == SslMode::Disable {
        return Ok(None);
    }
    let opts = match &spec.sslrootcert {
        // Read here, so a bad file gets the same message as for PostgreSQL,
        // and only that file is trusted (mysql_async adds the public roots).
        Some(path) => SslOpts::default()
            .with_root_certs(
                crate::engine::tls::read_root_certs(path)?
                    .into_iter()
                    .map(|der| der.to_vec().into())
                    .collect(),
            )
            .with_disable_built_in_roots(true),
        None if spec.sslmode == SslMode::VerifyFull => SslOpts::default(),
        // Encryption only, as libpq's `require`.
        None => SslOpts::default()
            .with_danger_accept_invalid_certs(true)
            .with_danger_skip_domain_validation(true),
    };
    Ok(Some(opts))
}

/// The server's refusal, with a hint where its words alone mislead.
fn refusal(err: &mysql_async::Error, spec: &ConnectionSpec, plaintext_tcp: bool) -> String {
    let msg = server_message(err);
    match err {
        mysql_async::Error::Driver(DriverError::NoClientSslFlagFromServer) => format!(
            "the server does not support TLS, and sslmode={} requires it",
            spec.sslmode
        ),
        // MySQL 8: ER_SECURE_TRANSPORT_REQUIRED.
        mysql_async::Error::Server(e) if e.code == 3159 => {
            format!("{msg} (the server accepts only TLS connections; use sslmode=require or verify-full)")
        }
        // MariaDB refuses a plaintext login to a server with
        // require_secure_transport=ON as a plain "access denied".
        mysql_async::Error::Server(e) if e.code == 1045 && plaintext_tcp => format!(
            "{msg} (this connection did not use TLS; if the server accepts only TLS \
             connections (require_secure_transport), use sslmode=require or verify-full)"
        ),
        _ => msg,
    }
}

/// How long the server gets to greet before the connection is thought slow.
const QUICK_GREETING: Duration = Duration::from_millis(300);

/// After [`QUICK_GREETING`], the hint if the port speaks another protocol;
/// otherwise never resolves, so the connection attempt goes on.
async fn slow_connect_hint(spec: &ConnectionSpec) -> Option<String> {
    tokio::time::sleep(QUICK_GREETING).await;
    match probe::mismatch_hint(spec).await {
        Some(hint) => Some(hint),
        None => std::future::pending().await,
    }
}

/// A backtick-quoted identifier.
pub fn ident(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

/// A string literal the mysql client and server read back exactly.
pub fn literal(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for ch in s.chars() {
        match ch {
            '\'' => out.push_str("\\'"),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\0' => out.push_str("\\0"),
            '\u{1a}' => out.push_str("\\Z"),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// The account the server sees this session as, quoted for GRANT: `'u'@'h'`.
pub async fn current_user(conn: &mut Conn) -> String {
    use mysql_async::prelude::Queryable;
    match conn.query_first::<String, _>("SELECT CURRENT_USER()").await {
        Ok(Some(user)) => match user.rsplit_once('@') {
            Some((name, host)) => format!("{}@{}", literal(name), literal(host)),
            None => literal(&user),
        },
        _ => "the user dbsnap connects as".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(code: u16) -> mysql_async::Error {
        mysql_async::Error::Server(mysql_async::ServerError {
            code,
            message: "words".into(),
            state: "HY000".into(),
        })
    }

    #[test]
    fn a_killed_or_closed_session_is_lost_a_refused_statement_is_not() {
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "reset");
        assert!(connection_lost(&mysql_async::Error::Io(io.into())));
        assert!(connection_lost(&mysql_async::Error::Driver(
            DriverError::ConnectionClosed
        )));
        for killed in [1053, 1927, 3169] {
            assert!(connection_lost(&server(killed)), "{killed}");
        }
        // Duplicate key, lock wait timeout: the session goes on.
        for refused in [1062, 1205] {
            assert!(!connection_lost(&server(refused)), "{refused}");
        }
    }
}
