//! The kinds of object a schema snapshot holds, as `--ignore` names them.

use crate::error::UsageError;

/// Every kind `export-schema` writes (the upper-case words of an object label,
/// in lower case), for both engines, plus `index` for MySQL's keys, which diff
/// takes out of their tables.
pub const KNOWN: &[&str] = &[
    "access method",
    "aggregate",
    "cast",
    "collation",
    "constraint",
    "conversion",
    "default",
    "domain",
    "domain constraint",
    "event",
    "event trigger",
    "extension",
    "foreign data wrapper",
    "foreign key",
    "foreign table",
    "function",
    "index",
    "index attach",
    "language",
    "materialized view",
    "operator",
    "operator class",
    "operator family",
    "policy",
    "procedure",
    "publication",
    "publication schema",
    "publication table",
    "refresh",
    "row security",
    "rule",
    "schema",
    "sequence",
    "sequence owned by",
    "server",
    "shell type",
    "statistics",
    "table",
    "text search configuration",
    "text search dictionary",
    "text search parser",
    "text search template",
    "transform",
    "trigger",
    "trigger state",
    "type",
    "view",
];

/// Not a kind of object: `COMMENT ON` statements (PostgreSQL) and `COMMENT`
/// clauses (MySQL) inside every object.
pub const COMMENT: &str = "comment";

/// What `--ignore` leaves out.
#[derive(Debug, Clone, Default)]
pub struct Ignored {
    /// Kinds from [`KNOWN`], in the order given.
    pub kinds: Vec<String>,
    pub comments: bool,
}

impl Ignored {
    /// Reads `--ignore` values: a kind in singular or plural, any case, with
    /// spaces, `-` or `_` between words (`indexes`, `foreign-key`, `comments`).
    pub fn parse(values: &[String]) -> Result<Ignored, UsageError> {
        let mut ignored = Ignored::default();
        for value in values {
            let kind = normalize(value).ok_or_else(|| {
                UsageError(format!(
                    "--ignore {value}: unknown kind; known kinds: {}, {COMMENT}s",
                    KNOWN.join(", ")
                ))
            })?;
            if kind == COMMENT {
                ignored.comments = true;
            } else if !ignored.kinds.contains(&kind) {
                ignored.kinds.push(kind);
            }
        }
        Ok(ignored)
    }

    pub fn kind(&self, kind: &str) -> bool {
        self.kinds.iter().any(|k| k == kind)
    }

    pub fn is_empty(&self) -> bool {
        self.kinds.is_empty() && !self.comments
    }

    /// `comments, indexes` for the summary line.
    pub fn describe(&self) -> String {
        let mut words: Vec<String> = self.kinds.iter().map(|k| plural(k, 2)).collect();
        if self.comments {
            words.push("comments".to_string());
        }
        words.join(", ")
    }
}

fn normalize(value: &str) -> Option<String> {
    let words: Vec<String> = value
        .split([' ', '-', '_'])
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    let kind = words.join(" ");
    let known = |k: &str| k == COMMENT || KNOWN.contains(&k);
    let singular = [
        kind.strip_suffix("ies").map(|s| format!("{s}y")),
        kind.strip_suffix("es").map(str::to_string),
        kind.strip_suffix('s').map(str::to_string),
    ];
    std::iter::once(Some(kind.clone()))
        .chain(singular)
        .flatten()
        .find(|k| known(k))
}

/// `1 table`, `3 indexes`, `2 policies`, `4 statistics`.
pub fn plural(kind: &str, n: usize) -> String {
    if n == 1 || kind.ends_with("statistics") || kind.ends_with("security") {
        return kind.to_string();
    }
    if let Some(head) = kind.strip_suffix(" owned by") {
        return format!("{} owned by", plural(head, n));
    }
    if let Some(stem) = kind.strip_suffix('y') {
        if !stem.ends_with(['a', 'e', 'o', 'u']) {
            return format!("{stem}ies");
        }
    }
    if kind.ends_with('x') || kind.ends_with('h') || kind.ends_with('s') {
        return format!("{kind}es");
    }
    format!("{kind}s")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ignore_takes_plurals_and_separators() {
        let args: Vec<String> = [
            "Indexes",
            "foreign-keys",
            "comments",
            "policies",
            "row_security",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let ignored = Ignored::parse(&args).unwrap();
        assert_eq!(
            ignored.kinds,
            ["index", "foreign key", "policy", "row security"]
        );
        assert!(ignored.comments);
        assert_eq!(
            ignored.describe(),
            "indexes, foreign keys, policies, row security, comments"
        );
        assert!(Ignored::parse(&["tabel".to_string()]).is_err());
    }

    #[test]
    fn plurals() {
        assert_eq!(plural("index", 2), "indexes");
        assert_eq!(plural("index", 1), "index");
        assert_eq!(plural("statistics", 3), "statistics");
        assert_eq!(plural("materialized view", 2), "materialized views");
        assert_eq!(plural("sequence owned by", 7), "sequences owned by");
    }
}
