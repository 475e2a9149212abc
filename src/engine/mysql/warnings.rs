//! What the server changed in the rows of an INSERT it accepted.
//!
//! Dump files load under a non-strict sql_mode (mysqldump's
//! NO_AUTO_VALUE_ON_ZERO, and dbsnap's own), where the server fits a value
//! to its column and only warns: 'abcdefghij' into a VARCHAR(3) is stored as
//! 'abc', 100000 into a SMALLINT as 32767, NULL into NOT NULL as 0. A
//! restore that kept such rows would have lost data without a word, so any
//! such warning fails the load with the server's message. The one that loses
//! nothing is an ENUM's error value (index 0) coming back: dbsnap writes it
//! as 0 and mysqldump as '', and only non-strict mode stores it again, which
//! is why strict mode is not the answer.

use anyhow::anyhow;
use mysql_async::prelude::Queryable;
use mysql_async::Conn;

use super::infile;
use super::loader::Failure;
use crate::script::statement::TableName;

/// WARN_DATA_TRUNCATED: "Data truncated for column 'c' at row n".
const DATA_TRUNCATED: u32 = 1265;

/// Fails unless the INSERT `sql` into `table`, just run on `conn`, stored
/// every value as the file has it.
pub async fn check(conn: &mut Conn, table: &TableName, sql: &str) -> Result<(), Failure> {
    let count = conn.get_warnings();
    if count == 0 {
        return Ok(());
    }
    // Bytes, not strings: the file may have set another character set.
    let shown: Vec<(Vec<u8>, u32, Vec<u8>)> =
        conn.query("SHOW WARNINGS").await.map_err(Failure::of)?;
    let mut losses = Vec::new();
    for (level, code, message) in &shown {
        let message = String::from_utf8_lossy(message);
        let note = level.eq_ignore_ascii_case(b"note");
        // Notes say nothing about the row, but for a rounded DECIMAL.
        if note && *code != DATA_TRUNCATED {
            continue;
        }
        if *code == DATA_TRUNCATED && !note && enum_error_value(conn, table, sql, &message).await? {
            continue;
        }
        losses.push(format!(
            "{} {code}: {message}",
            String::from_utf8_lossy(level)
        ));
    }
    if losses.is_empty() && shown.len() >= usize::from(count) {
        return Ok(());
    }
    if losses.is_empty() {
        losses.push(format!(
            "{count} warnings, of which the server showed {}",
            shown.len()
        ));
    }
    let more = match losses.len() {
        1 => String::new(),
        n => format!(" (and {} more)", n - 1),
    };
    Err(Failure::Other(anyhow!(
        "the server did not store the file's values: {}{more}; a column of the target is narrower \
         or of another type than the source's, or the file is damaged",
        losses[0]
    )))
}

/// Whether a truncation warning is an ENUM column getting its error value
/// back from the literal 0 or ''.
async fn enum_error_value(
    conn: &mut Conn,
    table: &TableName,
    sql: &str,
    message: &str,
) -> Result<bool, Failure> {
    let Some((column, row)) = truncated_at(message) else {
        return Ok(false);
    };
    let Some((named, values_at)) = infile::insert_shape(sql) else {
        return Ok(false);
    };
    let columns: Vec<(String, String, String, Option<String>, i64)> = conn
        .exec(include_str!("sql/load_columns.sql"), (&table.name,))
        .await
        .map_err(Failure::of)?;
    let columns: Vec<_> = columns
        .into_iter()
        .filter(|(t, ..)| *t == table.name)
        .collect();
    let is_enum = columns
        .iter()
        .any(|(_, c, ty, ..)| c.eq_ignore_ascii_case(column) && ty.eq_ignore_ascii_case("enum"));
    if !is_enum {
        return Ok(false);
    }
    let order: Vec<&str> = if named.is_empty() {
        columns
            .iter()
            .filter(|(.., invisible)| *invisible == 0)
            .map(|(_, c, ..)| c.as_str())
            .collect()
    } else {
        named.iter().map(String::as_str).collect()
    };
    let Some(at) = order.iter().position(|c| c.eq_ignore_ascii_case(column)) else {
        return Ok(false);
    };
    let literal = infile::literal_at(&sql.as_bytes()[values_at..], order.len(), row - 1, at);
    Ok(matches!(literal, Some(b"0" | b"''")))
}

/// The column and row (from 1) of "Data truncated for column 'c' at row n".
fn truncated_at(message: &str) -> Option<(&str, u64)> {
    let rest = message.strip_prefix("Data truncated for column '")?;
    let (column, row) = rest.rsplit_once("' at row ")?;
    let row: u64 = row.trim().parse().ok()?;
    (row > 0).then_some((column, row))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_column_and_row_of_a_truncation() {
        assert_eq!(
            truncated_at("Data truncated for column 'e' at row 3"),
            Some(("e", 3))
        );
        assert_eq!(
            truncated_at("Data truncated for column 'it's' at row 12"),
            Some(("it's", 12))
        );
        assert_eq!(
            truncated_at("Out of range value for column 'i' at row 1"),
            None
        );
        assert_eq!(truncated_at("Data truncated for column 'e' at row 0"), None);
    }
}
