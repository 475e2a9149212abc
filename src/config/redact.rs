//! Keeping passwords out of everything dbsnap prints: the redacted form of
//! a resolved target, its `Debug` output, and user input quoted in errors.

use std::fmt;

use super::url::{encode, split_scheme, COMPONENT, QUERY_VALUE};
use super::ConnectionSpec;

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

#[cfg(test)]
mod tests {
    use super::super::tests::{env_of, no_env, url, SECRET};
    use super::super::{from_url_with, resolve_with};
    use super::*;

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
