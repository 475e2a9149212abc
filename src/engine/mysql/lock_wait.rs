//! Which lock a loading connection waits for, and who holds it (see
//! `engine::lock_wait`, which reports it). InnoDB names the holders of row
//! locks; a metadata lock's holder is not in information_schema unless the
//! metadata_lock_info plugin is loaded, so such a wait names the table only.

use std::time::Duration;

use mysql_async::prelude::Queryable;
use mysql_async::Conn;

use super::connect;
use crate::config::ConnectionSpec;
use crate::engine::lock_wait::{Waiting, Watch};
use crate::script::statement::closing_quote;

/// Watches connection `id` from a connection of its own until dropped.
pub fn watch(spec: &ConnectionSpec, id: u32, timeout: Option<u64>) -> Watch {
    let spec = spec.clone();
    Watch::spawn(timeout, move |mut reporter| async move {
        let Ok(mut conn) = connect::connect(&spec).await else {
            return;
        };
        loop {
            tokio::time::sleep(reporter.next_poll()).await;
            match look(&mut conn, id).await {
                Ok(seen) => reporter.saw(seen),
                Err(_) => return,
            }
        }
    })
}

async fn look(conn: &mut Conn, id: u32) -> mysql_async::Result<Option<Waiting>> {
    type Held = (
        Option<String>,
        Option<u64>,
        Option<String>,
        Option<i64>,
        Option<i64>,
    );
    let rows: Vec<Held> = conn
        .exec(include_str!("sql/lock_wait_rows.sql"), (id,))
        .await
        .unwrap_or_default(); // MySQL 8 moved these tables: then only metadata waits show.
    if let Some((table, _, _, _, waited)) = rows.first() {
        let holders = rows
            .iter()
            .filter_map(|(_, thread, user, seconds, _)| {
                let mut words = vec![format!("user {}", user.clone().unwrap_or_default())];
                if let Some(s) = seconds {
                    words.push(format!("in a transaction for {s} s"));
                }
                Some(format!("connection {} ({})", (*thread)?, words.join(", ")))
            })
            .collect();
        let on = match table {
            Some(t) => format!("a row of table {t}"),
            None => "a row".to_string(),
        };
        return Ok(Some(Waiting {
            on,
            holders,
            waited: waited.and_then(|us| Some(Duration::from_micros(u64::try_from(us).ok()?))),
        }));
    }
    let state: Option<(Option<String>, Option<String>, Option<i64>)> = conn
        .exec_first(include_str!("sql/lock_wait_state.sql"), (id,))
        .await?;
    let Some((Some(state), info, seconds)) = state else {
        return Ok(None);
    };
    if !(state.starts_with("Waiting for") && state.contains("lock")) {
        return Ok(None);
    }
    let lock = state.trim_start_matches("Waiting for ").to_string();
    let on = match info.as_deref().and_then(first_quoted_name) {
        Some(table) => format!("table {table} ({lock})"),
        None => format!("the table being loaded ({lock})"),
    };
    Ok(Some(Waiting {
        on,
        holders: Vec::new(),
        waited: seconds.and_then(|s| Some(Duration::from_secs(u64::try_from(s).ok()?))),
    }))
}

/// The first backquoted name in a statement's head (`db`.`t` or `t`): the
/// table of our LOAD DATA, TRUNCATE and INSERT statements.
fn first_quoted_name(sql: &str) -> Option<String> {
    let head = &sql[..sql.find(['(', '\'']).unwrap_or(sql.len())];
    let head = match sql.find(" INTO TABLE ") {
        // LOAD DATA names its input (a quoted string) before the table.
        Some(at) => &sql[at..],
        None => head,
    };
    let start = head.find('`')?;
    let mut name = String::new();
    let mut rest = &head[start..];
    while let Some(quoted) = rest.strip_prefix('`') {
        let end = closing_quote(quoted.as_bytes(), b'`')?;
        name.push_str(&rest[..end + 2]);
        rest = &quoted[end + 1..];
        match rest.strip_prefix('.') {
            Some(after) => {
                name.push('.');
                rest = after;
            }
            None => break,
        }
    }
    Some(name)
}

#[cfg(test)]
mod tests {
    use super::first_quoted_name;

    #[test]
    fn the_table_of_our_statements_is_found() {
        assert_eq!(
            first_quoted_name("INSERT INTO `a``b` VALUES (1,'`x`')").as_deref(),
            Some("`a``b`")
        );
        assert_eq!(
            first_quoted_name(
                "LOAD DATA LOCAL INFILE 'dbsnap`' INTO TABLE `db`.`t` CHARACTER SET utf8mb4"
            )
            .as_deref(),
            Some("`db`.`t`")
        );
        assert_eq!(first_quoted_name("INSERT INTO t VALUES ('`x`')"), None);
        assert_eq!(first_quoted_name("TRUNCATE TABLE `t"), None);
    }
}
