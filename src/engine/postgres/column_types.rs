//! Whether a target column holds the file's values exactly.
//!
//! PostgreSQL fits some values to their column without an error: 1.2345
//! into numeric(5,2) is stored as 1.23, a double into real loses digits,
//! 10:00:00.7 into timestamp(0) becomes 10:00:01, and char(n) drops
//! trailing spaces. A target whose schema drifted from the snapshot's would
//! take the rows, round them, and the import would end as if nothing
//! happened. Our files record the source's type of every column
//! (`-- dbsnap:column-types`); a column whose target type may not hold every
//! value of the source's type stops the load before its rows.

use anyhow::{Context, Result};
use tokio_postgres::Client;

use super::names;
use crate::error::ServerError;
use crate::script::statement::{quote_ident, Dialect, TableName};

/// [`check`] for the table the file's name `table` means under the
/// session's search_path, which it puts back after.
pub async fn check_named(
    client: &Client,
    table: &TableName,
    columns: &[String],
    file_types: &[String],
) -> Result<()> {
    let (_, oid) = names::resolve(client, table).await?;
    let file_path = names::set_setting(client, "search_path", "").await?;
    let checked = check(client, oid, columns, file_types).await;
    // A failed check may have aborted the transaction: its error comes first.
    let restored = names::set_setting(client, "search_path", &file_path).await;
    checked?;
    restored.map(|_| ())
}

/// Fails when a column of the table `oid` cannot hold every value of the
/// type the file records for it. Runs under an empty search_path: the export
/// wrote the types under one (schema-qualified but for pg_catalog's), and
/// they are read back the same way.
pub async fn check(
    client: &Client,
    oid: u32,
    columns: &[String],
    file_types: &[String],
) -> Result<()> {
    if columns.is_empty() || columns.len() != file_types.len() {
        return Ok(());
    }
    let rows = client
        .query(
            include_str!("sql/import_column_types.sql"),
            &[&oid, &columns],
        )
        .await
        .map_err(ServerError::from)
        .context("reading its column types")?;
    for ((name, file_type), row) in columns.iter().zip(file_types).zip(&rows) {
        // A missing column is the COPY's own error to give.
        let Some(target_type) = row.get::<_, Option<String>>("type") else {
            continue;
        };
        if !holds(file_type, &target_type) {
            return Err(crate::engine::narrower_column(
                &quote_ident(Dialect::Postgres, name),
                file_type,
                &target_type,
            ));
        }
    }
    Ok(())
}

/// Whether a column of type `to` (as format_type() writes it) stores every
/// value of type `from` so that it reads back the same.
fn holds(from: &str, to: &str) -> bool {
    if from == to {
        return true;
    }
    let (from, to) = match (from.strip_suffix("[]"), to.strip_suffix("[]")) {
        (Some(f), Some(t)) => (f, t),
        (None, None) => (from, to),
        _ => return false,
    };
    let (from_base, from_args) = split(from);
    let (to_base, to_args) = split(to);
    if from_base != to_base {
        return widens(from, to);
    }
    match (from_base.as_str(), from_args.as_slice(), to_args.as_slice()) {
        // Without a modifier these types take any value of their kind.
        (
            "numeric"
            | "character varying"
            | "bit varying"
            | "timestamp without time zone"
            | "timestamp with time zone"
            | "time without time zone"
            | "time with time zone",
            _,
            [],
        ) => true,
        ("numeric", [p, s], [q, t]) => t >= s && q - t >= p - s,
        ("numeric", [p], [q, t]) => q - t >= *p,
        ("numeric", [p], [q]) => q >= p,
        (
            "character varying"
            | "bit varying"
            | "timestamp without time zone"
            | "timestamp with time zone"
            | "time without time zone"
            | "time with time zone",
            [n],
            [m],
        ) => m >= n,
        _ => false,
    }
}

/// Different types where every value of `from` reads back the same in `to`.
fn widens(from: &str, to: &str) -> bool {
    let unbounded_text = matches!(to, "text" | "character varying");
    match from {
        "smallint" => matches!(to, "integer" | "bigint" | "numeric"),
        "integer" => matches!(to, "bigint" | "numeric"),
        "bigint" => to == "numeric",
        // A real's shortest text reads back the same as a double.
        "real" => to == "double precision",
        "text" => to == "character varying",
        _ if from.starts_with("character varying") => unbounded_text,
        _ => false,
    }
}

/// `numeric(10,2)` → ("numeric", [10, 2]); `timestamp(3) with time zone` →
/// ("timestamp with time zone", [3]). A modifier that is not numbers (an
/// interval's fields) stays in the name, so only equal names match.
fn split(ty: &str) -> (String, Vec<i64>) {
    if let (Some(open), Some(close)) = (ty.find('('), ty.find(')')) {
        if open < close {
            let args: Option<Vec<i64>> = ty[open + 1..close]
                .split(',')
                .map(|a| a.trim().parse().ok())
                .collect();
            if let Some(args) = args {
                return (format!("{}{}", &ty[..open], &ty[close + 1..]), args);
            }
        }
    }
    (ty.to_string(), Vec::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_holds_what() {
        let yes = [
            ("numeric(10,4)", "numeric(10,4)"),
            ("numeric(10,4)", "numeric(12,4)"),
            ("numeric(10,4)", "numeric(11,5)"),
            ("numeric(10,4)", "numeric"),
            ("character varying(10)", "character varying(20)"),
            ("character varying(10)", "text"),
            ("character varying(10)", "character varying"),
            ("text", "character varying"),
            (
                "timestamp(3) without time zone",
                "timestamp without time zone",
            ),
            ("timestamp(3) with time zone", "timestamp(6) with time zone"),
            ("smallint", "bigint"),
            ("integer", "numeric"),
            ("real", "double precision"),
            ("integer[]", "bigint[]"),
            ("public.\"my type\"", "public.\"my type\""),
        ];
        for (from, to) in yes {
            assert!(holds(from, to), "{from} -> {to}");
        }
        let no = [
            ("numeric(10,4)", "numeric(5,2)"),
            ("numeric(10,4)", "numeric(10,5)"),
            ("numeric", "numeric(30,10)"),
            ("double precision", "real"),
            (
                "timestamp without time zone",
                "timestamp(0) without time zone",
            ),
            ("timestamp(6) with time zone", "timestamp without time zone"),
            ("character(5)", "character(2)"),
            ("character(5)", "text"),
            ("character varying(10)", "character varying(3)"),
            ("bigint", "integer"),
            ("numeric", "bigint"),
            ("integer[]", "integer"),
            ("interval", "interval year to month"),
            ("text", "integer"),
        ];
        for (from, to) in no {
            assert!(!holds(from, to), "{from} -> {to}");
        }
    }
}
