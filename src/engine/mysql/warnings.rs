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

use std::collections::HashMap;

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
    // Read once per statement, at its first truncation: a statement may warn
    // on every row.
    let mut enums: Option<EnumColumns> = None;
    for (level, code, message) in &shown {
        let message = String::from_utf8_lossy(message);
        let note = level.eq_ignore_ascii_case(b"note");
        // Notes say nothing about the row, but for a rounded DECIMAL.
        if note && *code != DATA_TRUNCATED {
            continue;
        }
        if *code == DATA_TRUNCATED && !note {
            if enums.is_none() {
                enums = Some(EnumColumns::read(conn, table, sql).await?);
            }
            if enums.as_mut().is_some_and(|e| e.error_value(&message)) {
                continue;
            }
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

/// A row of `sql/load_columns.sql`: table, column, DATA_TYPE, character set,
/// invisible.
type ColumnRow = (Vec<u8>, Vec<u8>, Vec<u8>, Option<Vec<u8>>, i64);

/// What tells an ENUM column's error value coming back from a real loss:
/// the INSERT's columns, which of them are ENUMs, and their literals.
struct EnumColumns<'s> {
    /// The VALUES list of the INSERT (empty when its shape is unknown).
    values: &'s [u8],
    /// The columns its rows hold, in order.
    order: Vec<String>,
    enums: Vec<String>,
    /// Each ENUM column's literals, by position in `order`, read on first use.
    literals: HashMap<usize, Option<Vec<&'s [u8]>>>,
}

impl<'s> EnumColumns<'s> {
    async fn read(
        conn: &mut Conn,
        table: &TableName,
        sql: &'s str,
    ) -> Result<EnumColumns<'s>, Failure> {
        let mut found = EnumColumns {
            values: &[],
            order: Vec::new(),
            enums: Vec::new(),
            literals: HashMap::new(),
        };
        let Some((named, values_at)) = infile::insert_shape(sql) else {
            return Ok(found);
        };
        // Bytes, not strings: the file may have set another character set.
        let columns: Vec<ColumnRow> = conn
            .exec(include_str!("sql/load_columns.sql"), (&table.name,))
            .await
            .map_err(Failure::of)?;
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        let columns: Vec<(String, bool, bool)> = columns
            .into_iter()
            .filter(|(t, ..)| *t == table.name.as_bytes())
            .map(|(_, c, ty, _, invisible)| {
                (text(&c), ty.eq_ignore_ascii_case(b"enum"), invisible == 1)
            })
            .collect();
        found.enums = columns
            .iter()
            .filter(|(_, is_enum, _)| *is_enum)
            .map(|(c, ..)| c.clone())
            .collect();
        found.order = if named.is_empty() {
            columns
                .into_iter()
                .filter(|(.., invisible)| !invisible)
                .map(|(c, ..)| c)
                .collect()
        } else {
            named
        };
        found.values = &sql.as_bytes()[values_at..];
        Ok(found)
    }

    /// Whether a truncation warning is an ENUM column getting its error
    /// value back from the literal 0 or ''.
    fn error_value(&mut self, message: &str) -> bool {
        let Some((column, row)) = truncated_at(message) else {
            return false;
        };
        if !self.enums.iter().any(|e| e.eq_ignore_ascii_case(column)) {
            return false;
        }
        let Some(at) = self
            .order
            .iter()
            .position(|c| c.eq_ignore_ascii_case(column))
        else {
            return false;
        };
        let (values, width) = (self.values, self.order.len());
        let literals = self
            .literals
            .entry(at)
            .or_insert_with(|| infile::column_literals(values, width, at));
        let literal = literals
            .as_ref()
            .and_then(|all| all.get(usize::try_from(row - 1).ok()?));
        matches!(literal, Some(&(b"0" | b"''")))
    }
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
