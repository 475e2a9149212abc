//! Opening mysql_async connections from a ConnectionSpec.

use std::time::Duration;

use anyhow::{anyhow, bail, Result};
use mysql_async::{Conn, OptsBuilder, SslOpts};

use crate::config::{ConnectionSpec, SslMode};
use crate::engine::probe;

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
        other => other.to_string(),
    }
}

/// Session settings every dbsnap connection uses: values travel in UTC,
/// zero dates and explicit zeros in AUTO_INCREMENT columns are kept.
pub const SESSION: &str = "SET NAMES utf8mb4, time_zone = '+00:00', \
     sql_mode = 'NO_AUTO_VALUE_ON_ZERO', sql_quote_show_create = 1";

pub async fn connect(spec: &ConnectionSpec) -> Result<Conn> {
    let ssl = match spec.sslmode {
        SslMode::Disable | SslMode::Prefer => None,
        // Encryption only, as libpq's `require`.
        SslMode::Require => Some(
            SslOpts::default()
                .with_danger_accept_invalid_certs(true)
                .with_danger_skip_domain_validation(true),
        ),
        SslMode::VerifyFull => {
            let mut opts = SslOpts::default();
            if let Some(root) = &spec.sslrootcert {
                opts = opts.with_root_certs(vec![root.clone().into()]);
            }
            Some(opts)
        }
    };
    let mut builder = OptsBuilder::default()
        .user(Some(spec.user.clone()))
        .pass(spec.password.clone())
        .db_name((!spec.dbname.is_empty()).then(|| spec.dbname.clone()))
        // Stay on the connection asked for instead of switching to the server's socket.
        .prefer_socket(false)
        .ssl_opts(ssl)
        .init(vec![SESSION.to_string()]);
    builder = if spec.host.starts_with('/') {
        builder.socket(Some(spec.host.clone()))
    } else {
        builder
            .ip_or_hostname(spec.host.clone())
            .tcp_port(spec.port)
    };
    let connecting = tokio::time::timeout(CONNECT_TIMEOUT, Conn::new(builder));
    tokio::pin!(connecting);
    // A PostgreSQL server never greets, so the client would wait the whole
    // timeout; if no greeting came quickly, ask which protocol the port speaks.
    let outcome = tokio::select! {
        outcome = &mut connecting => outcome,
        Some(hint) = slow_connect_hint(spec) => {
            bail!("cannot connect to {}: {hint}", spec.redacted())
        }
    };
    match outcome {
        Ok(Ok(conn)) => Ok(conn),
        Ok(Err(e)) => Err(anyhow!(
            "cannot connect to {}: {}",
            spec.redacted(),
            server_message(&e)
        )),
        Err(_) => Err(anyhow!(
            "cannot connect to {}: timed out after {} s",
            spec.redacted(),
            CONNECT_TIMEOUT.as_secs()
        )),
    }
}

/// How long the server gets to greet before the connection is thought slow.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
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
