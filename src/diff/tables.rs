//! Members of a table that drift on their own are compared on their own.
//!
//! PostgreSQL writes a validated CHECK inside CREATE TABLE but a NOT VALID one
//! as a separate `ALTER TABLE ... ADD CONSTRAINT`; MySQL writes every key inside
//! CREATE TABLE. Taking them out of the table makes a validated constraint, or a
//! dropped index, one difference of its own kind instead of a changed table.

use super::objects::RawObject;

/// PostgreSQL: each `    CONSTRAINT name CHECK (...)` line of a CREATE TABLE
/// becomes the object `constraint name ON table`, written the way a NOT VALID
/// one is (`ALTER TABLE t ADD CONSTRAINT name CHECK (...)`), with its comment.
pub fn postgres_checks(objects: &mut Vec<RawObject>) {
    let pick = |line: &str| {
        let def = line.strip_prefix("    CONSTRAINT ")?;
        let (name, rest) = leading_ident(def, b'"')?;
        rest.starts_with(" CHECK ").then(|| name.to_string())
    };
    split_members(objects, pick, |obj, table, name, line| {
        let comment = format!("COMMENT ON CONSTRAINT {name} ON {table} IS ");
        let mut statements = vec![add_line(table, &line)];
        if let Some(i) = obj.statements.iter().position(|s| s.starts_with(&comment)) {
            statements.push(obj.statements.remove(i));
        }
        RawObject {
            kind: "constraint".to_string(),
            name: format!("{name} ON {table}"),
            statements,
        }
    });
}

/// MySQL: each `KEY`, `UNIQUE KEY`, `FULLTEXT KEY` and `SPATIAL KEY` line of a
/// CREATE TABLE becomes the object `index name ON table`, written as
/// `ALTER TABLE t ADD KEY ...`. The primary key stays with the table.
pub fn mysql_indexes(objects: &mut Vec<RawObject>) {
    let pick = |line: &str| {
        let line = line.trim_start();
        let def = ["KEY ", "UNIQUE KEY ", "FULLTEXT KEY ", "SPATIAL KEY "]
            .iter()
            .find_map(|p| line.strip_prefix(p))?;
        let (name, _) = leading_ident(def, b'`')?;
        Some(name.to_string())
    };
    split_members(objects, pick, |_, table, name, line| RawObject {
        kind: "index".to_string(),
        name: format!("{name} ON {table}"),
        statements: vec![add_line(table, &line)],
    });
}

/// Takes the body lines that `pick` names out of each CREATE TABLE and puts
/// the object `make(table object, table, name, line)` after the table.
fn split_members(
    objects: &mut Vec<RawObject>,
    pick: impl Fn(&str) -> Option<String>,
    make: impl Fn(&mut RawObject, &str, String, String) -> RawObject,
) {
    let mut out = Vec::with_capacity(objects.len());
    for mut obj in objects.drain(..) {
        let mut taken = Vec::new();
        if obj.kind == "table" && is_create_table(&obj.statements) {
            let table = obj.name.clone();
            for (name, line) in take_lines(&mut obj.statements[0], &pick) {
                taken.push(make(&mut obj, &table, name, line));
            }
        }
        out.push(obj);
        out.extend(taken);
    }
    *objects = out;
}

/// A body line of CREATE TABLE `table` as a statement of its own.
fn add_line(table: &str, line: &str) -> String {
    format!(
        "ALTER TABLE {table} ADD {}",
        line.trim().trim_end_matches(',')
    )
}

fn is_create_table(statements: &[String]) -> bool {
    statements.first().is_some_and(|s| {
        let head = s.lines().next().unwrap_or_default();
        head.starts_with("CREATE ") && head.contains("TABLE ") && head.ends_with('(')
    })
}

/// Removes the body lines of a CREATE TABLE (between its first line and the
/// line that closes it) that `pick` names, and returns them with their names.
/// The line before the closing one loses its comma if it has become the last.
fn take_lines(create: &mut String, pick: impl Fn(&str) -> Option<String>) -> Vec<(String, String)> {
    let lines: Vec<&str> = create.lines().collect();
    let Some(close) = lines.iter().position(|l| l.starts_with(')')) else {
        return Vec::new();
    };
    let mut kept: Vec<String> = Vec::with_capacity(lines.len());
    let mut taken = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        match (i > 0 && i < close).then(|| pick(line)).flatten() {
            Some(name) => taken.push((name, line.to_string())),
            None => kept.push(line.to_string()),
        }
    }
    if taken.is_empty() {
        return taken;
    }
    let close = kept.iter().position(|l| l.starts_with(')')).unwrap_or(0);
    if close > 1 && kept[close - 1].ends_with(',') {
        kept[close - 1].pop();
    }
    *create = kept.join("\n");
    taken
}

/// A quoted (`quote`) or bare identifier at the start of `s`, and what follows it.
fn leading_ident(s: &str, quote: u8) -> Option<(&str, &str)> {
    let bytes = s.as_bytes();
    if bytes.first() == Some(&quote) {
        let mut i = 1;
        while i < bytes.len() {
            if bytes[i] == quote {
                if bytes.get(i + 1) == Some(&quote) {
                    i += 2;
                    continue;
                }
                return Some((&s[..=i], &s[i + 1..]));
            }
            i += 1;
        }
        None
    } else {
        let end = s.find(' ').unwrap_or(s.len());
        (end > 0).then(|| (&s[..end], &s[end..]))
    }
}

/// MySQL `COMMENT 'text'` and `COMMENT='text'` clauses removed from a
/// statement, outside quoted text (`--ignore comments`).
pub fn without_mysql_comments(sql: &str) -> String {
    let bytes = sql.as_bytes();
    let mut out = String::with_capacity(sql.len());
    let mut i = 0;
    let mut copied = 0;
    while i < bytes.len() {
        match bytes[i] {
            q @ (b'\'' | b'"' | b'`') => i = skip_quoted(bytes, i, q),
            b' ' if sql[i..].starts_with(" COMMENT") => {
                let mut j = i + " COMMENT".len();
                if matches!(bytes.get(j), Some(b'=' | b' ')) {
                    j += 1;
                }
                if bytes.get(j) == Some(&b'\'') {
                    out.push_str(&sql[copied..i]);
                    i = skip_quoted(bytes, j, b'\'');
                    copied = i;
                } else {
                    i += 1;
                }
            }
            _ => i += 1,
        }
    }
    out.push_str(&sql[copied..]);
    out
}

/// The index after the quoted text starting at `start` (doubled quotes and
/// backslash escapes stay inside).
fn skip_quoted(bytes: &[u8], start: usize, quote: u8) -> usize {
    let mut i = start + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if quote != b'`' => i += 2,
            c if c == quote => {
                if bytes.get(i + 1) == Some(&quote) {
                    i += 2;
                } else {
                    return i + 1;
                }
            }
            _ => i += 1,
        }
    }
    bytes.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(name: &str, statements: &[&str]) -> RawObject {
        RawObject {
            kind: "table".into(),
            name: name.into(),
            statements: statements.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn a_validated_check_reads_like_a_not_valid_one() {
        let mut objects = vec![table(
            "public.t",
            &[
                "CREATE TABLE public.t (\n    id integer,\n    CONSTRAINT \"a b\" CHECK ((id > 0))\n)",
                "COMMENT ON CONSTRAINT \"a b\" ON public.t IS 'x'",
            ],
        )];
        postgres_checks(&mut objects);
        assert_eq!(objects.len(), 2);
        assert_eq!(
            objects[0].statements,
            ["CREATE TABLE public.t (\n    id integer\n)"]
        );
        assert_eq!(objects[1].name, "\"a b\" ON public.t");
        assert_eq!(
            objects[1].statements,
            [
                "ALTER TABLE public.t ADD CONSTRAINT \"a b\" CHECK ((id > 0))",
                "COMMENT ON CONSTRAINT \"a b\" ON public.t IS 'x'"
            ]
        );
    }

    #[test]
    fn mysql_keys_leave_their_table() {
        let mut objects = vec![table(
            "`t`",
            &["CREATE TABLE `t` (\n  `id` int NOT NULL,\n  `a` int,\n  PRIMARY KEY (`id`),\n  KEY `a_idx` (`a`),\n  UNIQUE KEY `u` (`a`,`id`)\n) ENGINE=InnoDB"],
        )];
        mysql_indexes(&mut objects);
        assert_eq!(
            objects[0].statements,
            ["CREATE TABLE `t` (\n  `id` int NOT NULL,\n  `a` int,\n  PRIMARY KEY (`id`)\n) ENGINE=InnoDB"]
        );
        assert_eq!(objects[1].name, "`a_idx` ON `t`");
        assert_eq!(
            objects[1].statements,
            ["ALTER TABLE `t` ADD KEY `a_idx` (`a`)"]
        );
        assert_eq!(objects[2].name, "`u` ON `t`");
    }

    #[test]
    fn mysql_comment_clauses_go() {
        assert_eq!(
            without_mysql_comments(
                "CREATE TABLE `t` (\n  `a` int COMMENT 'it''s \\' COMMENT',\n  `b` text DEFAULT ' COMMENT ''x'''\n) ENGINE=InnoDB COMMENT='t'"
            ),
            "CREATE TABLE `t` (\n  `a` int,\n  `b` text DEFAULT ' COMMENT ''x'''\n) ENGINE=InnoDB"
        );
    }
}
