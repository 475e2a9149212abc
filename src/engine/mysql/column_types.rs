//! Whether a target column holds the file's values exactly.
//!
//! Most values a column cannot hold only draw a warning, which the load
//! refuses ([`super::warnings`]). Some are cut without one: a DOUBLE into a
//! FLOAT keeps 6 digits, 10:00:00.7 into DATETIME(0) becomes 10:00:00, a
//! TIME(6) loses its fraction. Our files record the source's COLUMN_TYPE of
//! every column (`-- dbsnap:column-types`); a target column whose type may
//! not hold every value of the source's stops the load before its rows.

use anyhow::{bail, Result};
use mysql_async::prelude::Queryable;
use mysql_async::Conn;

use super::infile;
use crate::error::ServerError;
use crate::script::statement::{quote_ident, Dialect, TableName};

/// Fails when a column the INSERT `sql` names cannot hold every value of the
/// type the file records for it (`types`, in the INSERT's column order).
pub async fn check(conn: &mut Conn, table: &TableName, sql: &str, types: &[String]) -> Result<()> {
    let Some((named, _)) = infile::insert_shape(sql) else {
        return Ok(());
    };
    if named.len() != types.len() {
        bail!("the column types before this INSERT do not match its column list");
    }
    // Bytes: the file may have set another character set.
    let rows: Vec<(Vec<u8>, Vec<u8>, Vec<u8>)> = conn
        .exec(include_str!("sql/load_column_types.sql"), (&table.name,))
        .await
        .map_err(ServerError::from)?;
    let target: Vec<(String, String)> = rows
        .into_iter()
        .filter(|(t, ..)| *t == table.name.as_bytes())
        .map(|(_, c, ty)| {
            (
                String::from_utf8_lossy(&c).into_owned(),
                String::from_utf8_lossy(&ty).into_owned(),
            )
        })
        .collect();
    for (name, file_type) in named.iter().zip(types) {
        // A missing column is the INSERT's own error to give.
        let Some((_, target_type)) = target.iter().find(|(c, _)| c.eq_ignore_ascii_case(name))
        else {
            continue;
        };
        if !holds(file_type, target_type) {
            return Err(crate::engine::narrower_column(
                &quote_ident(Dialect::MySql, name),
                file_type,
                target_type,
            ));
        }
    }
    Ok(())
}

/// Whether a column of type `to` (information_schema COLUMN_TYPE) stores
/// every value of type `from` so that it reads back the same.
pub fn holds(from: &str, to: &str) -> bool {
    let (from, to) = (from.to_ascii_lowercase(), to.to_ascii_lowercase());
    if from == to {
        return true;
    }
    let (from_base, from_args, from_flags) = split(&from);
    let (to_base, to_args, to_flags) = split(&to);
    if from_flags != to_flags {
        return false;
    }
    if let (Some(f), Some(t)) = (integer_rank(&from_base), integer_rank(&to_base)) {
        // Display widths (int(11)) say nothing about the values.
        return t >= f;
    }
    let temporal = matches!(from_base.as_str(), "datetime" | "timestamp" | "time");
    match (
        from_base.as_str(),
        to_base.as_str(),
        from_args.as_slice(),
        to_args.as_slice(),
    ) {
        ("decimal", "decimal", [p, s], [q, t]) => t >= s && q - t >= p - s,
        ("decimal", "decimal", [p], [q, t]) => q - t >= *p,
        ("float", "double", [], []) => true,
        // CHAR drops trailing spaces when read, so VARCHAR keeps what it gives;
        // BINARY pads with zero bytes, so only its own length holds it.
        ("varchar", "varchar", [n], [m])
        | ("char", "char" | "varchar", [n], [m])
        | ("varbinary", "varbinary", [n], [m])
        | ("bit", "bit", [n], [m]) => m >= n,
        // A TEXT or BLOB holds a string of n characters (4 bytes at most each).
        ("varchar" | "char", t, [n], []) | ("varbinary" | "binary", t, [n], [])
            if text_bytes(t).is_some() =>
        {
            let blob = from_base.ends_with("binary");
            let bytes = if blob { *n } else { n * 4 };
            (t.ends_with("blob") == blob) && text_bytes(t).is_some_and(|cap| bytes <= cap)
        }
        // Fractional seconds: none (0) or n digits.
        (f, t, [n], [m]) if temporal && f == t => m >= n,
        (f, t, [], _) if temporal && f == t => true,
        (f, t, ..) if f == t && matches!(f, "enum" | "set") => {
            // Members appended at the end keep every value and its index.
            let (f, t) = (members(&from), members(&to));
            t == f || t.starts_with(&format!("{f},"))
        }
        // A bigger TEXT (or BLOB) of the same kind.
        (f, t, ..) => {
            matches!((text_bytes(f), text_bytes(t)), (Some(a), Some(b)) if b >= a)
                && f.ends_with("blob") == t.ends_with("blob")
        }
    }
}

/// How many bytes a TEXT or BLOB type holds.
fn text_bytes(base: &str) -> Option<u64> {
    match base {
        "tinytext" | "tinyblob" => Some(255),
        "text" | "blob" => Some(65_535),
        "mediumtext" | "mediumblob" => Some(16_777_215),
        "longtext" | "longblob" => Some(4_294_967_295),
        _ => None,
    }
}

fn integer_rank(base: &str) -> Option<u8> {
    ["tinyint", "smallint", "mediumint", "int", "bigint"]
        .iter()
        .position(|t| *t == base)
        .map(|p| p as u8)
}

/// `decimal(10,2) unsigned` → ("decimal", [10, 2], "unsigned"). The
/// arguments of an ENUM or SET are not numbers: none are returned.
fn split(ty: &str) -> (String, Vec<u64>, String) {
    let (head, flags) = match ty.rfind(')') {
        Some(close) => (&ty[..=close], ty[close + 1..].trim()),
        None => match ty.split_once(' ') {
            Some((head, flags)) => (head, flags.trim()),
            None => (ty, ""),
        },
    };
    match head.split_once('(') {
        Some((base, args)) => {
            let args: Vec<u64> = args
                .trim_end_matches(')')
                .split(',')
                .filter_map(|a| a.trim().parse().ok())
                .collect();
            (base.to_string(), args, flags.to_string())
        }
        None => (head.to_string(), Vec::new(), flags.to_string()),
    }
}

/// The members of `enum('a','b')` as written.
fn members(ty: &str) -> String {
    let open = ty.find('(').map_or(0, |o| o + 1);
    ty[open..].trim_end_matches(')').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_holds_what() {
        let yes = [
            ("int(11)", "int"),
            ("int(11)", "bigint(20)"),
            ("int(10) unsigned", "bigint(20) unsigned"),
            ("decimal(10,4)", "decimal(12,4)"),
            ("float", "double"),
            ("varchar(10)", "varchar(20)"),
            ("varchar(10)", "text"),
            ("varchar(20000)", "mediumtext"),
            ("varbinary(16)", "tinyblob"),
            ("char(5)", "varchar(5)"),
            ("text", "longtext"),
            ("blob", "mediumblob"),
            ("datetime(3)", "datetime(6)"),
            ("enum('a','b')", "enum('a','b','c')"),
            ("set('x')", "set('x','y')"),
            ("json", "json"),
        ];
        for (from, to) in yes {
            assert!(holds(from, to), "{from} -> {to}");
        }
        let no = [
            ("bigint(20)", "int(11)"),
            ("int(11)", "int(10) unsigned"),
            ("decimal(10,4)", "decimal(5,2)"),
            ("double", "float"),
            ("datetime(6)", "datetime"),
            ("time(6)", "time(3)"),
            ("datetime", "timestamp"),
            ("varchar(10)", "varchar(3)"),
            ("varchar(10)", "char(10)"),
            ("varchar(20000)", "text"),
            ("varchar(10)", "blob"),
            ("longtext", "text"),
            ("text", "blob"),
            ("enum('a','b')", "enum('b','a')"),
            ("enum('a','b')", "enum('a')"),
            ("varchar(10)", "int(11)"),
        ];
        for (from, to) in no {
            assert!(!holds(from, to), "{from} -> {to}");
        }
    }
}
