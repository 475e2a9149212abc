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
        ] {
            assert_eq!(outside_target(dialect, sql).is_some(), bad, "{sql}");
        }
    }
}
