//! What a statement of a schema file is, as `init` sees it: whether it acts
//! outside the target database (refused before anything runs), and what a
//! post-data statement builds (for its progress). A schema file runs DDL by
//! nature; a data file's rules are in the parent module (rows.rs, settings.rs).

use super::{first_words, versioned_content, Dialect};

/// A schema statement's text as the server reads it: a MySQL versioned
/// comment (`/*!50003 CREATE*/ ...`) is judged by what is inside it.
fn schema_text(dialect: Dialect, sql: &str) -> &str {
    match dialect {
        Dialect::MySql => match versioned_content(sql) {
            Some(Ok(inner)) => inner,
            _ => sql,
        },
        Dialect::Postgres => sql,
    }
}

/// The first `n` words of an upper-cased statement.
fn upper_words(upper: &str, n: usize) -> Vec<&str> {
    upper
        .split(|c: char| c.is_whitespace() || c == '(' || c == ';')
        .filter(|w| !w.is_empty())
        .take(n)
        .collect()
}

/// What a post-data statement of a schema file builds, as its progress counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PostDataStep {
    /// `CREATE [UNIQUE] INDEX`, MySQL's `ADD INDEX`/`ADD KEY`.
    Index,
    /// Primary keys, unique, check and exclusion constraints.
    Constraint,
    ForeignKey,
    /// Triggers, rules, policies, matview refreshes, comments...
    Other,
}

impl PostDataStep {
    pub const ALL: [PostDataStep; 4] = [
        PostDataStep::Index,
        PostDataStep::Constraint,
        PostDataStep::ForeignKey,
        PostDataStep::Other,
    ];

    pub fn label(self) -> &'static str {
        match self {
            PostDataStep::Index => "indexes",
            PostDataStep::Constraint => "constraints",
            PostDataStep::ForeignKey => "foreign keys",
            PostDataStep::Other => "other",
        }
    }

    pub fn of(dialect: Dialect, sql: &str) -> PostDataStep {
        let upper = schema_text(dialect, sql).to_ascii_uppercase();
        let w = upper_words(&upper, usize::MAX);
        match w.as_slice() {
            ["CREATE", "INDEX" | "UNIQUE", ..] => PostDataStep::Index,
            ["ALTER", "TABLE", rest @ ..] => {
                // The first ADD says what is added (a MySQL ALTER may add several).
                let Some(add) = rest.iter().position(|w| *w == "ADD") else {
                    return PostDataStep::Other;
                };
                let kind = match rest.get(add + 1..) {
                    Some(["CONSTRAINT", _name, kind, ..]) => [*kind, ""],
                    Some([kind, next, ..]) => [*kind, *next],
                    Some([kind]) => [*kind, ""],
                    _ => ["", ""],
                };
                match kind {
                    ["FOREIGN", _] => PostDataStep::ForeignKey,
                    ["INDEX" | "KEY" | "FULLTEXT" | "SPATIAL", _] => PostDataStep::Index,
                    ["UNIQUE", "INDEX" | "KEY"] => PostDataStep::Index,
                    ["PRIMARY" | "UNIQUE" | "CHECK" | "EXCLUDE", _] => PostDataStep::Constraint,
                    _ => PostDataStep::Other,
                }
            }
            _ => PostDataStep::Other,
        }
    }
}

/// A schema file runs DDL by nature, but only inside the target database:
/// the reason a statement acts outside it, if it does.
pub fn outside_target(dialect: Dialect, sql: &str) -> Option<String> {
    let text = schema_text(dialect, sql);
    let upper = text.to_ascii_uppercase();
    let w = upper_words(&upper, 4);
    let words = first_words(text);
    let global = match w.as_slice() {
        ["CREATE" | "DROP" | "ALTER", "DATABASE" | "SCHEMA", ..] if dialect == Dialect::MySql => {
            true
        }
        ["CREATE" | "DROP" | "ALTER", "DATABASE", ..] => true,
        // A database's comment and labels live in the shared catalog.
        ["COMMENT", "ON", "DATABASE" | "ROLE" | "TABLESPACE", ..] => true,
        ["SECURITY", "LABEL", ..]
            if upper.contains(" ON DATABASE ") || upper.contains(" ON ROLE ") =>
        {
            true
        }
        // A user mapping belongs to a foreign server of this database.
        ["CREATE" | "DROP" | "ALTER", "USER", "MAPPING", ..] if dialect == Dialect::Postgres => {
            false
        }
        ["CREATE" | "DROP" | "ALTER", "ROLE" | "USER" | "GROUP" | "TABLESPACE", ..] => true,
        ["CREATE" | "DROP" | "ALTER", "SERVER", ..] if dialect == Dialect::MySql => true,
        ["ALTER", "SYSTEM", ..] | ["ALTER", "INSTANCE", ..] => true,
        ["DROP", "OWNED", ..] | ["REASSIGN", "OWNED", ..] => true,
        ["GRANT" | "REVOKE", ..] | ["SET", "PASSWORD", ..] | ["SET", "ROLE", ..] => true,
        ["SET", "GLOBAL", ..] | ["SET", "PERSIST", ..] => true,
        ["SET", "SESSION", "AUTHORIZATION", ..] | ["SET", "AUTHORIZATION", ..] => true,
        ["COPY", ..] => true,
        ["LOAD", ..] => true,
        ["USE", ..]
        | ["CHECKPOINT", ..]
        | ["VACUUM", ..]
        | ["SHUTDOWN", ..]
        | ["KILL", ..]
        | ["INSTALL", ..]
        | ["UNINSTALL", ..]
        | ["FLUSH", ..]
        | ["PURGE", ..]
        | ["RESET", ..]
        | ["CHANGE", ..]
        | ["LISTEN", ..]
        | ["NOTIFY", ..] => true,
        _ => false,
    };
    if global {
        return Some(format!("it acts outside the target database ({words})"));
    }
    if let Some(why) = runs_at_load(dialect, text, &upper) {
        return Some(format!("{why} ({words})"));
    }
    if upper.contains("INTO OUTFILE") || upper.contains("INTO DUMPFILE") {
        return Some(format!("it writes a server file ({words})"));
    }
    if upper.contains("@@GLOBAL") {
        return Some(format!("it changes a global setting ({words})"));
    }
    if dialect == Dialect::Postgres
        && ["TO PROGRAM", "FROM PROGRAM"]
            .iter()
            .any(|p| upper.contains(p))
    {
        return Some(format!("it runs a program on the server ({words})"));
    }
    None
}

/// A schema file defines objects; none of pg_dump's or mysqldump's schema
/// statements changes rows or runs code as it loads. These do: a DO or
/// anonymous block, a procedure call, dynamic SQL (whose text no check
/// sees), a statement on rows, a query (SELECT, WITH, VALUES, EXPLAIN), a
/// table made from a query, a rebuild that evaluates index expressions. A
/// SELECT passes only as pg_dump's `set_config` and `lo_create`. MySQL: a
/// table named in another database, anywhere in a table's DDL.
fn runs_at_load(dialect: Dialect, text: &str, upper: &str) -> Option<&'static str> {
    let pieces = code(upper);
    let words = code_words(&pieces);
    let first: Vec<&str> = words.iter().take(3).map(|(w, _)| *w).collect();
    let code = match first.as_slice() {
        ["DO", ..] | ["CALL", ..] | ["EXECUTE", ..] | ["PREPARE", ..] | ["DEALLOCATE", ..] => true,
        ["HANDLER", ..] | ["MERGE", ..] | ["WITH", ..] | ["VALUES", ..] | ["EXPLAIN", ..] => true,
        ["TABLE", ..] | ["ANALYZE", ..] | ["CLUSTER", ..] | ["REINDEX", ..] => true,
        ["INSERT" | "REPLACE" | "UPDATE" | "DELETE" | "TRUNCATE", ..] => true,
        ["SET", "STATEMENT", ..] => true,
        ["BEGIN", ..] if dialect == Dialect::MySql => true,
        ["SELECT", ..] => !(dialect == Dialect::Postgres && pg_dump_select(text)),
        ["CREATE", ..] => {
            // CREATE [...] TABLE t AS query / CREATE TABLE t [(...)] SELECT.
            words.iter().any(|(w, d)| *w == "TABLE" && *d == 0)
                && !words.iter().any(|(w, d)| {
                    matches!(*w, "FUNCTION" | "PROCEDURE" | "TRIGGER" | "VIEW") && *d == 0
                })
                && words
                    .iter()
                    .any(|(w, d)| *d == 0 && matches!(*w, "AS" | "SELECT"))
        }
        _ => false,
    };
    if code {
        return Some("it runs code or changes rows as it loads, which no schema statement does");
    }
    if dialect == Dialect::MySql && names_another_database(&pieces, &words) {
        return Some("it names a table in another database");
    }
    None
}

/// `SELECT pg_catalog.set_config('search_path', '...', false)` as the data
/// files' rules read it, or `SELECT pg_catalog.lo_create('N')`.
fn pg_dump_select(text: &str) -> bool {
    if super::settings::pg_set_config(Dialect::Postgres, text).is_some() {
        return true;
    }
    let t = text.trim().trim_end_matches(';').trim();
    t.strip_prefix("SELECT pg_catalog.lo_create('")
        .and_then(|r| r.strip_suffix("')"))
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|c| c.is_ascii_digit()))
}

/// What the schema checks see of a statement: its code, outside comments
/// (a versioned comment's content counts: the server runs it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Code<'a> {
    /// A bare word or number.
    Word(&'a str),
    /// A quoted name (`...` or "...").
    Name,
    /// A string literal.
    Str,
    Dot,
}

/// The statement's code, each piece with its depth in parentheses.
fn code(upper: &str) -> Vec<(Code<'_>, usize)> {
    let b = upper.as_bytes();
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_alphanumeric() || c == b'_' || c == b'$' {
            let start = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'$') {
                i += 1;
            }
            out.push((Code::Word(&upper[start..i]), depth));
            continue;
        }
        match c {
            b'(' => depth += 1,
            b')' => depth = depth.saturating_sub(1),
            b'.' => out.push((Code::Dot, depth)),
            b'\'' | b'"' | b'`' => {
                out.push((if c == b'\'' { Code::Str } else { Code::Name }, depth));
                i = after_quoted(b, i);
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                // /*!50100 ... */ and /*M!100000 ... */: the content is code.
                let bang = match (b.get(i + 2), b.get(i + 3)) {
                    (Some(b'!'), _) => Some(i + 3),
                    (Some(b'M'), Some(b'!')) => Some(i + 4),
                    _ => None,
                };
                if let Some(mut j) = bang {
                    while j < b.len() && b[j].is_ascii_digit() {
                        j += 1;
                    }
                    i = j;
                    continue;
                }
                match upper[i + 2..].find("*/") {
                    Some(end) => i += end + 3,
                    None => break,
                }
            }
            b'-' if b.get(i + 1) == Some(&b'-') => match upper[i..].find('\n') {
                Some(end) => i += end,
                None => break,
            },
            b'#' => match upper[i..].find('\n') {
                Some(end) => i += end,
                None => break,
            },
            _ => {}
        }
        i += 1;
    }
    out
}

/// The bare words of [`code`], with their depths.
fn code_words<'a>(code: &[(Code<'a>, usize)]) -> Vec<(&'a str, usize)> {
    code.iter()
        .filter_map(|(c, d)| match c {
            Code::Word(w) => Some((*w, *d)),
            _ => None,
        })
        .collect()
}

/// The index of the closing quote of the quoted run that starts at `i`.
fn after_quoted(b: &[u8], i: usize) -> usize {
    let q = b[i];
    let mut j = i + 1;
    while j < b.len() {
        let escaped = b[j] == b'\\' && q == b'\'';
        if escaped || (b[j] == q && b.get(j + 1) == Some(&q)) {
            j += 2;
        } else if b[j] == q {
            return j;
        } else {
            j += 1;
        }
    }
    b.len()
}

/// A table statement (CREATE, ALTER, DROP, RENAME, TRUNCATE ... TABLE, not
/// a view, trigger or routine, whose bodies name columns as `t.c`) with a
/// name followed by a dot anywhere in its code: `db`.`t`.
fn names_another_database(code: &[(Code<'_>, usize)], words: &[(&str, usize)]) -> bool {
    let first = words.first().map(|(w, _)| *w);
    if !matches!(
        first,
        Some("CREATE" | "ALTER" | "DROP" | "RENAME" | "TRUNCATE")
    ) {
        return false;
    }
    let kinds: Vec<&str> = words.iter().take(8).map(|(w, _)| *w).collect();
    if !kinds.contains(&"TABLE")
        || kinds
            .iter()
            .any(|w| matches!(*w, "VIEW" | "TRIGGER" | "PROCEDURE" | "FUNCTION" | "EVENT"))
    {
        return false;
    }
    code.windows(2).any(|pair| match pair {
        [(Code::Name, _), (Code::Dot, _)] => true,
        // A number's dot (1.5) names nothing.
        [(Code::Word(w), _), (Code::Dot, _)] => !w.starts_with(|c: char| c.is_ascii_digit()),
        _ => false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use Dialect::{MySql, Postgres};

    #[test]
    fn post_data_steps_by_kind() {
        use super::PostDataStep::*;
        let cases = [
            (Dialect::Postgres, "CREATE INDEX a_t_idx ON public.a USING btree (t)", Index),
            (Dialect::Postgres, "CREATE UNIQUE INDEX u ON public.a (t)", Index),
            (Dialect::Postgres, "ALTER TABLE ONLY public.a\n    ADD CONSTRAINT a_pkey PRIMARY KEY (id)", Constraint),
            (Dialect::Postgres, "ALTER TABLE ONLY public.a ADD CONSTRAINT c CHECK ((x > 0)) NOT VALID", Constraint),
            (Dialect::Postgres, "ALTER TABLE ONLY public.b\n    ADD CONSTRAINT b_a_fkey FOREIGN KEY (a_id) REFERENCES public.a(id)", ForeignKey),
            (Dialect::Postgres, "CREATE TRIGGER t BEFORE INSERT ON public.a FOR EACH ROW EXECUTE FUNCTION f()", Other),
            (Dialect::Postgres, "ALTER TABLE public.a CLUSTER ON a_pkey", Other),
            (Dialect::MySql, "ALTER TABLE `a` ADD KEY `k` (`t`), ADD KEY `k2` (`u`)", Index),
            (Dialect::MySql, "ALTER TABLE `a` ADD UNIQUE KEY `u` (`t`)", Index),
            (Dialect::MySql, "ALTER TABLE `b` ADD CONSTRAINT `fk` FOREIGN KEY (`a_id`) REFERENCES `a` (`id`)", ForeignKey),
            (Dialect::MySql, "/*!50003 CREATE*/ /*!50003 TRIGGER `t` BEFORE INSERT ON `a` FOR EACH ROW SET NEW.x = 1 */", Other),
        ];
        for (dialect, sql, want) in cases {
            assert_eq!(PostDataStep::of(dialect, sql), want, "{sql}");
        }
    }

    #[test]
    fn schema_statements_outside_the_target() {
        for (dialect, sql, bad) in [
            (Postgres, "CREATE DATABASE x", true),
            (Postgres, "ALTER SYSTEM SET work_mem = '1GB'", true),
            (Postgres, "CREATE ROLE evil", true),
            (Postgres, "COPY (SELECT 1) TO PROGRAM 'id'", true),
            (Postgres, "CREATE TABLESPACE t LOCATION '/tmp'", true),
            (Postgres, "CREATE SCHEMA app", false),
            (Postgres, "CREATE TABLE public.t (a int)", false),
            (Postgres, "CREATE USER evil", true),
            (Postgres, "CREATE USER MAPPING FOR public SERVER s", false),
            (MySql, "CREATE DATABASE x", true),
            (MySql, "/*!40000 DROP DATABASE x */", true),
            (MySql, "SELECT 1 INTO OUTFILE '/tmp/x'", true),
            (MySql, "LOAD DATA INFILE '/etc/passwd' INTO TABLE t", true),
            (MySql, "CREATE USER u", true),
            (MySql, "USE other", true),
            (MySql, "CREATE TABLE `t` (a int)", false),
            (Postgres, "DO $$ BEGIN EXECUTE 'CREATE ROLE x SUPERUSER'; END $$", true),
            (Postgres, "CREATE TABLE public.leak AS SELECT pg_catalog.pg_read_file('/etc/hostname')", true),
            (Postgres, "SELECT pg_catalog.pg_sleep(2)", true),
            (Postgres, "SELECT pg_catalog.set_config('search_path', '', false)", false),
            (Postgres, "SELECT pg_catalog.lo_create('16427')", false),
            (Postgres, "INSERT INTO public.t VALUES (1)", true),
            (Postgres, "CREATE MATERIALIZED VIEW public.mv AS\n SELECT 1 AS a\n  WITH NO DATA", false),
            (Postgres, "CREATE VIEW public.v AS\n SELECT t.a\n   FROM public.t", false),
            (Postgres, "CREATE FUNCTION public.f() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$", false),
            (Postgres, "CREATE TABLE public.t (a int DEFAULT 1)", false),
            (Postgres, "REFRESH MATERIALIZED VIEW public.mv", false),
            (MySql, "PREPARE st FROM 'CREATE DATABASE x'", true),
            (MySql, "EXECUTE st", true),
            (MySql, "CREATE TABLE `leak` AS SELECT (SELECT GROUP_CONCAT(User) FROM mysql.user) AS users", true),
            (MySql, "CREATE TABLE `leak` SELECT 1", true),
            (MySql, "CREATE TABLE `leak` /* x */ SELECT 1", true),
            (MySql, "CREATE TABLE `c` (a int COMMENT 'to select rows', `select` int) /*!50100 PARTITION BY HASH (a) */", false),
            (Postgres, "CREATE TABLE public.c (\"select\" int, b text DEFAULT 'select')", false),
            (MySql, "CREATE TABLE `other`.`planted` (a int)", true),
            (MySql, "CREATE TABLE IF NOT EXISTS other.planted (a int)", true),
            (MySql, "INSERT INTO `other`.`planted` VALUES (42)", true),
            (MySql, "DROP TABLE IF EXISTS `t`", false),
            (MySql, "/*!50001 CREATE ALGORITHM=UNDEFINED */ /*!50013 DEFINER=`root`@`localhost` SQL SECURITY DEFINER */ /*!50001 VIEW `v` AS select `t`.`a` AS `a` from `t` */", false),
            (MySql, "CREATE TABLE `we``ird.x` (a int)", false),
            (MySql, "CREATE DEFINER=`root`@`%` TRIGGER `tr` BEFORE INSERT ON `t` FOR EACH ROW SET NEW.a = (SELECT 1)", false),
            (MySql, "CREATE DEFINER=`root`@`%` PROCEDURE `p`() BEGIN SELECT 1; END", false),
            // What a second look found.
            (Postgres, "SELECT pg_catalog.set_config('probe.x', public.trap('A'), false)", true),
            (Postgres, "SELECT pg_catalog.lo_create(0) WHERE public.trap('M') IS NOT NULL", true),
            (Postgres, "WITH x AS (INSERT INTO public.log VALUES ('B') RETURNING 1) SELECT 1", true),
            (Postgres, "CREATE TABLE public.c2 AS VALUES (public.trap('D'))", true),
            (Postgres, "EXPLAIN ANALYZE SELECT public.trap('E')", true),
            (Postgres, "VALUES (public.trap('F'))", true),
            (Postgres, "COMMENT ON DATABASE other IS 'H'", true),
            (Postgres, "CREATE TABLE public.g (a int GENERATED ALWAYS AS (a * 2) STORED)", false),
            (Postgres, "CREATE TABLE public.p1 PARTITION OF public.p FOR VALUES FROM (1) TO (2)", false),
            (MySql, "SET STATEMENT sql_mode='' FOR INSERT INTO other.victim VALUES (101)", true),
            (MySql, "BEGIN NOT ATOMIC INSERT INTO other.victim VALUES (102); END", true),
            (MySql, "DROP TABLE IF EXISTS t_nope, other.dropme", true),
            (MySql, "RENAME TABLE tmp1 TO other.planted", true),
            (MySql, "CREATE TABLE/**/other.planted2 (a int)", true),
            (MySql, "CREATE /*a*/ /*b*/ /*c*/ /*d*/ /*e*/ TABLE stolen SELECT * FROM other.victim", true),
            (MySql, "CREATE TABLE stolen2 /*M!100000 SELECT * FROM other.victim */", true),
            (MySql, "CREATE TABLE `t` (`a` decimal(10,2) DEFAULT 1.5, `b` int GENERATED ALWAYS AS (`a` * 2) VIRTUAL)", false),
            (MySql, "ALTER TABLE `b` ADD CONSTRAINT `fk` FOREIGN KEY (`a_id`) REFERENCES `a` (`id`)", false),
        ] {
            assert_eq!(outside_target(dialect, sql).is_some(), bad, "{sql}");
        }
    }
}
