//! libpq's password file (`~/.pgpass` or `$PGPASSFILE`).

use std::path::{Path, PathBuf};

use super::env_nonempty;
use super::url::non_empty;

pub(super) struct PgpassKey<'a> {
    pub(super) host: &'a str,
    pub(super) port: u16,
    pub(super) dbname: &'a str,
    pub(super) user: &'a str,
}

/// `$PGPASSFILE`, else `$HOME/.pgpass`.
pub(super) fn pgpass_file(env: &impl Fn(&str) -> Option<String>) -> Option<PathBuf> {
    env_nonempty(env, "PGPASSFILE")
        .map(PathBuf::from)
        .or_else(|| env_nonempty(env, "HOME").map(|home| Path::new(&home).join(".pgpass")))
}

/// The password for `key` from the file at `path`, following libpq: a
/// missing file is silently skipped; one that is not a plain file, or that
/// group or others may access, is skipped with a warning.
pub(super) fn pgpass_lookup(
    path: &Path,
    key: &PgpassKey<'_>,
    warn: &mut dyn FnMut(String),
) -> Option<String> {
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

#[cfg(test)]
mod tests {
    use super::super::tests::env_of;
    use super::super::{from_url_with, resolve_with};
    use super::*;

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

        for (url, want) in [
            ("postgres://alice@db.example.com/app", Some("tcppw")),
            // "localhost" covers the default socket directory, as in libpq.
            (
                "postgres://alice@/app?host=/var/run/postgresql",
                Some("socketpw"),
            ),
            (
                "postgres://alice@/app?host=/run/postgresql/",
                Some("socketpw"),
            ),
            ("postgres://alice@localhost/app", Some("socketpw")),
            // An empty host means libpq's default, which is "localhost" too.
            ("postgres://alice@/app", Some("socketpw")),
            // Other socket directories match literally.
            ("postgres://alice@/app?host=/custom/sock", Some("custompw")),
            ("postgres://alice@/app?host=/other/sock", None),
            ("postgres://alice@127.0.0.1/app", None),
            // Port, database and user take part in the match.
            ("postgres://alice@db.example.com:5433/app", None),
            ("postgres://alice@db.example.com/other", None),
            ("postgres://bob@db.example.com/app", None),
        ] {
            assert_eq!(pw(url).as_deref(), want, "{url}");
        }
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
}
