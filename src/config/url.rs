//! Parsing connection URLs:
//! `scheme://[user[:password]@][host][:port][/dbname][?param=value&...]`.

use anyhow::{anyhow, bail, Result};
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, CONTROLS};

use super::redact::redact_url;
use super::{parse_port, EngineKind, Parts};

const URL_PARAMS: &str = "host, port, user, password, dbname, sslmode, sslrootcert";

/// Parses `scheme://[user[:password]@][host][:port][/dbname][?param=value&...]`.
/// Error messages show the input only through [`redact_url`].
pub(super) fn parse_url(input: &str) -> Result<(EngineKind, Parts)> {
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
pub(super) fn split_scheme(s: &str) -> Option<(&str, &str)> {
    let (scheme, rest) = s.split_once("://")?;
    let mut chars = scheme.chars();
    let shaped = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    shaped.then_some((scheme, rest))
}

fn decode(s: &str) -> std::result::Result<String, std::str::Utf8Error> {
    percent_decode_str(s).decode_utf8().map(|c| c.into_owned())
}

pub(super) fn non_empty(s: String) -> Option<String> {
    (!s.is_empty()).then_some(s)
}

/// Characters escaped in the user name, host and database of a URL we print.
pub(super) const COMPONENT: &AsciiSet = &CONTROLS
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
pub(super) const QUERY_VALUE: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'&')
    .add(b'+')
    .add(b'=')
    .add(b'?');

pub(super) fn encode(s: &str, set: &'static AsciiSet) -> String {
    utf8_percent_encode(s, set).to_string()
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::super::tests::{env_of, url, url_err, SECRET};
    use super::super::*;

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
        // Something that looks like a scheme but holds the credentials.
        url_err(&format!("alice:{SECRET}@host://x"));
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
}
