//! Privilege errors that name the grant that is missing, so a backup user's
//! administrator knows what to run instead of guessing from "denied".

/// For a privilege error (by server error code), the sentence naming the
/// missing grant. `message` is the server's text.
pub fn missing_grant(code: u16, message: &str) -> Option<String> {
    let grant = match code {
        // ER_DBACCESS_DENIED_ERROR: Access denied for user 'u'@'h' to database 'd'
        1044 => {
            let user = between(message, "for user ", " to database ")?;
            let db = after(message, " to database ")?;
            format!(
                "GRANT SELECT, SHOW VIEW, TRIGGER, EVENT, LOCK TABLES ON {}.* TO {user}",
                backticked(db)
            )
        }
        // ER_TABLEACCESS_DENIED_ERROR: SELECT command denied to user 'u'@'h' for table `d`.`t`
        // ER_COLUMNACCESS_DENIED_ERROR: ... for column 'c' in table 't'
        1142 | 1143 => {
            let command = message.split(" command denied").next()?.trim();
            let user = between(message, "to user ", " for ")?;
            let table = after(message, " table ")?;
            format!("GRANT {command} ON {} TO {user}", qualified(table))
        }
        // ER_PROCACCESS_DENIED_ERROR: execute command denied to user 'u'@'h' for routine 'd.r'
        1370 => {
            let command = message.split(" command denied").next()?.trim();
            let user = between(message, "to user ", " for routine ")?;
            let routine = after(message, " for routine ")?;
            format!(
                "GRANT {} ON PROCEDURE {} TO {user}",
                command.to_uppercase(),
                qualified(routine)
            )
        }
        // ER_SPECIFIC_ACCESS_DENIED_ERROR: Access denied; you need (at least one of)
        // the RELOAD privilege(s) for this operation
        1227 => {
            let privileges = between(message, "the ", " privilege")?;
            format!("GRANT {privileges} ON *.* TO the user dbsnap connects as")
        }
        _ => return None,
    };
    Some(format!("missing grant: {grant}"))
}

/// Reading routines: MariaDB shows a routine's body to other users only with
/// SELECT on mysql.proc; MySQL 8 has the SHOW_ROUTINE privilege for it.
pub fn routine_grant(user: &str) -> String {
    format!(
        "missing grant: GRANT SELECT ON mysql.proc TO {user} (MariaDB), or \
         GRANT SHOW_ROUTINE ON *.* TO {user} (MySQL 8)"
    )
}

fn between<'a>(s: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = s.find(start)? + start.len();
    let len = s[from..].find(end)?;
    Some(s[from..from + len].trim())
}

fn after<'a>(s: &'a str, start: &str) -> Option<&'a str> {
    Some(s[s.find(start)? + start.len()..].trim())
}

/// `'d'` or `d` as `` `d` ``.
fn backticked(name: &str) -> String {
    let bare = name.trim_matches(|c| c == '\'' || c == '`');
    format!("`{}`", bare.replace('`', "``"))
}

/// A table or routine as the message shows it (`` `d`.`t` ``, `'t'`,
/// `'d.r'`) in GRANT's form.
fn qualified(name: &str) -> String {
    if name.starts_with('`') {
        return name.to_string();
    }
    let bare = name.trim_matches('\'');
    match bare.split_once('.') {
        Some((db, object)) => format!("{}.{}", backticked(db), backticked(object)),
        None => backticked(bare),
    }
}

/// Fails when the account may read only some tables or columns of the
/// database: the catalog hides the others from it, so a snapshot would leave
/// them out and say nothing.
pub async fn refuse_partial_read(conn: &mut mysql_async::Conn) -> anyhow::Result<()> {
    use anyhow::Context;
    use mysql_async::prelude::Queryable;
    let row: Option<(i64, i64, String)> = conn
        .query_first(include_str!("sql/partial_grants.sql"))
        .await
        .map_err(crate::error::ServerError::from)
        .context("reading the account's privileges")?;
    match row {
        Some((0, part, grantee)) if part > 0 => {
            let db: Option<String> = conn
                .query_first("SELECT DATABASE()")
                .await
                .map_err(crate::error::ServerError::from)?;
            let db = db.unwrap_or_default();
            anyhow::bail!(
                "account {grantee} may read only some tables or columns of {0}: SELECT is \
                 granted on them, not on the database, and the server hides the rest, so a \
                 snapshot would leave them out without a word. \
                 missing grant: GRANT SELECT ON {0}.* TO {grantee}",
                backticked(&db)
            )
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_missing_grant() {
        for (code, message, want) in [
            (
                1142,
                "SELECT command denied to user 'backup'@'localhost' for table `app`.`orders`",
                "missing grant: GRANT SELECT ON `app`.`orders` TO 'backup'@'localhost'",
            ),
            (
                1142,
                "SELECT command denied to user 'backup'@'%' for table `mysql`.`proc`",
                "missing grant: GRANT SELECT ON `mysql`.`proc` TO 'backup'@'%'",
            ),
            (
                1142,
                "SHOW VIEW command denied to user 'b'@'h' for table 'v1'",
                "missing grant: GRANT SHOW VIEW ON `v1` TO 'b'@'h'",
            ),
            (
                1044,
                "Access denied for user 'backup'@'%' to database 'app'",
                "missing grant: GRANT SELECT, SHOW VIEW, TRIGGER, EVENT, LOCK TABLES ON `app`.* \
                 TO 'backup'@'%'",
            ),
            (
                1370,
                "execute command denied to user 'b'@'h' for routine 'app.f'",
                "missing grant: GRANT EXECUTE ON PROCEDURE `app`.`f` TO 'b'@'h'",
            ),
            (
                1227,
                "Access denied; you need (at least one of) the RELOAD privilege(s) for this \
                 operation",
                "missing grant: GRANT RELOAD ON *.* TO the user dbsnap connects as",
            ),
        ] {
            assert_eq!(
                missing_grant(code, message).as_deref(),
                Some(want),
                "{message}"
            );
        }
        assert_eq!(
            missing_grant(1062, "Duplicate entry '1' for key 'PRIMARY'"),
            None
        );
        assert_eq!(missing_grant(1142, "garbled"), None);
    }
}
