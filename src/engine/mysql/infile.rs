//! The rows of a checked INSERT, rewritten as the text that `LOAD DATA LOCAL
//! INFILE ... CHARACTER SET binary` reads (tab between fields, newline after
//! each row, `\N` for NULL, backslash escapes), so the server stores exactly
//! what the INSERT would have stored.
//!
//! Why this is exact: for every field, LOAD DATA calls the same
//! `Field::store(bytes, length, charset)` as an INSERT does for a string
//! literal. With `CHARACTER SET binary` the bytes reach the column as a
//! binary string, like a hex or `_binary` literal; a text literal reaches it
//! converted from the connection's character set, so where a column's
//! character set differs, the field goes through a user variable and
//! `SET col = CONVERT(@v USING <connection charset>)`. Only pairs of literal
//! kind and column type known to behave the same are rewritten; anything
//! else (`DEFAULT`, numbers into text, bit or date columns, unknown
//! introducers...) makes the statement go to the server as the INSERT it is.
//! The server's warnings catch the rest (see `import.rs`).

use super::connect::ident;

/// Kinds of literal seen in a column (bits of a mask).
pub mod kind {
    /// A quoted string in the connection's character set.
    pub const TEXT: u8 = 1;
    /// Hex, bit and `_binary` literals: bytes.
    pub const BINARY: u8 = 2;
    /// An integer (also TRUE and FALSE).
    pub const INT: u8 = 4;
    /// A number with a decimal point and no exponent.
    pub const DECIMAL: u8 = 8;
    /// A number with an exponent.
    pub const EXPONENT: u8 = 16;
    /// An integer that is not four unsigned digits (YEAR reads 0 and '0' differently).
    pub const NOT_FOUR_DIGITS: u8 = 32;
}

/// What a column's type does with a value, as far as the rewrite cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ColumnClass {
    Integer,
    Decimal,
    Float,
    Year,
    Bit,
    /// Binary strings: BINARY, VARBINARY, BLOBs.
    Bytes,
    /// Character strings (CHAR, VARCHAR, TEXTs, ENUM, SET, MariaDB's JSON) in
    /// a character set; None when the server names none (MySQL's JSON).
    Text(Option<String>),
    Temporal,
    Geometry,
    /// Types that read text and binary input differently (INET6, UUID...).
    Other,
}

impl ColumnClass {
    /// From information_schema.COLUMNS: DATA_TYPE and CHARACTER_SET_NAME.
    pub fn of(data_type: &str, charset: Option<&str>) -> ColumnClass {
        match data_type.to_ascii_lowercase().as_str() {
            "tinyint" | "smallint" | "mediumint" | "int" | "bigint" => ColumnClass::Integer,
            "decimal" => ColumnClass::Decimal,
            "float" | "double" => ColumnClass::Float,
            "year" => ColumnClass::Year,
            "bit" => ColumnClass::Bit,
            "binary" | "varbinary" | "tinyblob" | "blob" | "mediumblob" | "longblob" => {
                ColumnClass::Bytes
            }
            "char" | "varchar" | "tinytext" | "text" | "mediumtext" | "longtext" | "enum"
            | "set" | "json" => match charset {
                Some("binary") => ColumnClass::Bytes,
                other => ColumnClass::Text(other.map(str::to_string)),
            },
            "date" | "datetime" | "timestamp" | "time" => ColumnClass::Temporal,
            "geometry" | "point" | "linestring" | "polygon" | "multipoint" | "multilinestring"
            | "multipolygon" | "geometrycollection" => ColumnClass::Geometry,
            _ => ColumnClass::Other,
        }
    }
}

/// How one column's field reaches the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mapping {
    /// Only NULLs so far: either way works.
    Any,
    /// Stored from the field's bytes.
    Direct,
    /// Through `CONVERT(@v USING <connection charset>)`.
    Convert,
    /// Not rewritable: send the INSERT.
    Insert,
}

/// The mapping a column of `class` needs for the literal kinds in `mask`.
pub fn mapping(class: &ColumnClass, mask: u8, connection_charset: &str) -> Mapping {
    use kind::*;
    if mask == 0 {
        return Mapping::Any;
    }
    let only = |allowed: u8| mask & !allowed == 0;
    let direct_if = |ok: bool| if ok { Mapping::Direct } else { Mapping::Insert };
    match class {
        ColumnClass::Integer => direct_if(only(TEXT | INT | NOT_FOUR_DIGITS)),
        ColumnClass::Decimal => direct_if(only(TEXT | INT | NOT_FOUR_DIGITS | DECIMAL)),
        ColumnClass::Float => direct_if(only(TEXT | INT | NOT_FOUR_DIGITS | DECIMAL | EXPONENT)),
        ColumnClass::Year => direct_if(only(TEXT | INT)),
        ColumnClass::Bit | ColumnClass::Bytes => direct_if(only(TEXT | BINARY)),
        ColumnClass::Temporal => direct_if(only(TEXT)),
        ColumnClass::Geometry => direct_if(only(BINARY)),
        ColumnClass::Text(charset) => {
            let same = charset
                .as_deref()
                .is_some_and(|c| same_charset(c, connection_charset));
            if same || only(BINARY) {
                direct_if(only(TEXT | BINARY))
            } else if only(TEXT) {
                Mapping::Convert
            } else {
                Mapping::Insert
            }
        }
        ColumnClass::Other => {
            if only(TEXT) {
                Mapping::Convert
            } else {
                Mapping::Insert
            }
        }
    }
}

fn same_charset(a: &str, b: &str) -> bool {
    let norm = |s: &str| {
        let s = s.to_ascii_lowercase();
        if s == "utf8" {
            "utf8mb3".to_string()
        } else {
            s
        }
    };
    norm(a) == norm(b)
}

/// The column list of a checked (rebuilt) INSERT: `INSERT INTO `t` (`a`, `b`) VALUES ...`.
/// Returns the columns (empty when the INSERT names none) and the offset of
/// the VALUES list.
pub fn insert_shape(sql: &str) -> Option<(Vec<String>, usize)> {
    let b = sql.as_bytes();
    let mut i = "INSERT INTO ".len();
    if !sql.starts_with("INSERT INTO ") {
        return None;
    }
    let (_, end) = backticked(b, i)?;
    i = end;
    let mut columns = Vec::new();
    if sql[i..].starts_with(" (") {
        i += 2;
        loop {
            let (name, end) = backticked(b, i)?;
            columns.push(name);
            i = end;
            if sql[i..].starts_with(", ") {
                i += 2;
            } else if sql[i..].starts_with(')') {
                i += 1;
                break;
            } else {
                return None;
            }
        }
    }
    sql[i..]
        .starts_with(" VALUES ")
        .then_some((columns, i + " VALUES ".len()))
}

fn backticked(b: &[u8], i: usize) -> Option<(String, usize)> {
    if b.get(i) != Some(&b'`') {
        return None;
    }
    let mut out = Vec::new();
    let mut j = i + 1;
    while j < b.len() {
        if b[j] == b'`' {
            if b.get(j + 1) == Some(&b'`') {
                out.push(b'`');
                j += 2;
                continue;
            }
            return Some((String::from_utf8(out).ok()?, j + 1));
        }
        out.push(b[j]);
        j += 1;
    }
    None
}

/// Rows written and the literal kinds seen in each column.
#[derive(Debug, Default)]
pub struct Converted {
    pub rows: u64,
    pub masks: Vec<u8>,
}

/// Appends the rows of a checked VALUES list (`(1,'a'),(2,NULL)`) to `out`
/// in LOAD DATA's format. None when a value has no exact rewrite or a row
/// has not `width` values; `out` may then hold part of the rows.
pub fn convert_values(values: &[u8], width: usize, out: &mut Vec<u8>) -> Option<Converted> {
    let mut conv = Converted {
        rows: 0,
        masks: vec![0; width],
    };
    let mut i = skip_ws(values, 0);
    loop {
        if values.get(i) != Some(&b'(') {
            return None;
        }
        i += 1;
        for col in 0..width {
            if col > 0 {
                i = skip_ws(values, i);
                if values.get(i) != Some(&b',') {
                    return None;
                }
                i += 1;
                out.push(b'\t');
            }
            i = skip_ws(values, i);
            let (end, kinds) = value(values, i, out)?;
            conv.masks[col] |= kinds;
            i = end;
        }
        i = skip_ws(values, i);
        if width == 0 || values.get(i) != Some(&b')') {
            return None;
        }
        i += 1;
        out.push(b'\n');
        conv.rows += 1;
        i = skip_ws(values, i);
        match values.get(i) {
            Some(b',') => i = skip_ws(values, i + 1),
            Some(b';') if skip_ws(values, i + 1) == values.len() => return Some(conv),
            None => return Some(conv),
            _ => return None,
        }
    }
}

/// The literal of column `col` in every row of a checked VALUES list, as
/// written, in one pass. None when a value has no exact rewrite or the list
/// is not well formed (the caller then assumes the worst).
pub fn column_literals(values: &[u8], width: usize, col: usize) -> Option<Vec<&[u8]>> {
    let mut scratch = Vec::new();
    let mut found = Vec::new();
    let mut i = skip_ws(values, 0);
    loop {
        if values.get(i) != Some(&b'(') {
            return None;
        }
        i += 1;
        for c in 0..width {
            if c > 0 {
                i = skip_ws(values, i);
                if values.get(i) != Some(&b',') {
                    return None;
                }
                i += 1;
            }
            i = skip_ws(values, i);
            scratch.clear();
            let (end, _) = value(values, i, &mut scratch)?;
            if c == col {
                found.push(&values[i..end]);
            }
            i = end;
        }
        i = skip_ws(values, i);
        if values.get(i) != Some(&b')') {
            return None;
        }
        i = skip_ws(values, i + 1);
        match values.get(i) {
            Some(b',') => i = skip_ws(values, i + 1),
            Some(b';') | None => return Some(found),
            _ => return None,
        }
    }
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && b[i].is_ascii_whitespace() {
        i += 1;
    }
    i
}

/// Appends one byte of a field, escaped for LOAD DATA.
#[inline]
fn push_field_byte(out: &mut Vec<u8>, c: u8) {
    match c {
        b'\\' => out.extend_from_slice(b"\\\\"),
        b'\t' => out.extend_from_slice(b"\\t"),
        b'\n' => out.extend_from_slice(b"\\n"),
        0 => out.extend_from_slice(b"\\0"),
        _ => out.push(c),
    }
}

/// One literal at `b[i]`: appends its field and returns the offset after it
/// and its kind (0 for NULL).
fn value(b: &[u8], i: usize, out: &mut Vec<u8>) -> Option<(usize, u8)> {
    let c = *b.get(i)?;
    match c {
        b'\'' | b'"' => Some((string(b, i, out)?, kind::TEXT)),
        b'-' | b'+' => {
            let j = skip_ws(b, i + 1);
            if c == b'-' {
                out.push(b'-');
            }
            let (end, kinds) = number(b, j, out)?;
            // -0x10 is a number to the server, not bytes.
            if kinds & kind::BINARY != 0 {
                return None;
            }
            // A signed integer is never four plain digits.
            Some((
                end,
                kinds
                    | if kinds & kind::INT != 0 {
                        kind::NOT_FOUR_DIGITS
                    } else {
                        0
                    },
            ))
        }
        b'0'..=b'9' | b'.' => number(b, i, out),
        c if c.is_ascii_alphabetic() || c == b'_' => {
            let mut j = i;
            while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
                j += 1;
            }
            let word = &b[i..j];
            if word.eq_ignore_ascii_case(b"NULL") {
                out.extend_from_slice(b"\\N");
                Some((j, 0))
            } else if word.eq_ignore_ascii_case(b"TRUE") {
                out.push(b'1');
                Some((j, kind::INT | kind::NOT_FOUR_DIGITS))
            } else if word.eq_ignore_ascii_case(b"FALSE") {
                out.push(b'0');
                Some((j, kind::INT | kind::NOT_FOUR_DIGITS))
            } else if (word == b"x" || word == b"X") && b.get(j) == Some(&b'\'') {
                let end = find_quote_end(b, j)?;
                hex_digits(&b[j + 1..end - 1], false, out)?;
                Some((end, kind::BINARY))
            } else if (word == b"b" || word == b"B") && b.get(j) == Some(&b'\'') {
                let end = find_quote_end(b, j)?;
                bit_digits(&b[j + 1..end - 1], out)?;
                Some((end, kind::BINARY))
            } else if word.eq_ignore_ascii_case(b"_binary") {
                let k = skip_ws(b, j);
                match b.get(k)? {
                    b'\'' | b'"' => Some((string(b, k, out)?, kind::BINARY)),
                    b'0' => {
                        let (end, kinds) = number(b, k, out)?;
                        (kinds == kind::BINARY).then_some((end, kinds))
                    }
                    _ => None,
                }
            } else {
                // DEFAULT, N'..', other character set introducers.
                None
            }
        }
        _ => None,
    }
}

/// The end (after the closing quote) of a quote-delimited run without
/// escapes (hex and bit literals).
fn find_quote_end(b: &[u8], i: usize) -> Option<usize> {
    let close = b[i + 1..].iter().position(|&c| c == b'\'')?;
    Some(i + 1 + close + 1)
}

/// A number (or `0x..`/`0b..`) at `b[i]`.
fn number(b: &[u8], i: usize, out: &mut Vec<u8>) -> Option<(usize, u8)> {
    if b.get(i) == Some(&b'0') && matches!(b.get(i + 1), Some(b'x' | b'X' | b'b' | b'B')) {
        let hex = matches!(b[i + 1], b'x' | b'X');
        let mut j = i + 2;
        while j < b.len() && b[j].is_ascii_hexdigit() {
            j += 1;
        }
        let digits = &b[i + 2..j];
        if digits.is_empty() {
            return None;
        }
        if hex {
            hex_digits(digits, true, out)?;
        } else {
            bit_digits(digits, out)?;
        }
        return Some((j, kind::BINARY));
    }
    let mut j = i;
    let mut kinds = kind::INT;
    while j < b.len() && b[j].is_ascii_digit() {
        j += 1;
    }
    if b.get(j) == Some(&b'.') {
        kinds = kind::DECIMAL;
        j += 1;
        while j < b.len() && b[j].is_ascii_digit() {
            j += 1;
        }
    }
    if matches!(b.get(j), Some(b'e' | b'E')) {
        let mut k = j + 1;
        if matches!(b.get(k), Some(b'+' | b'-')) {
            k += 1;
        }
        if b.get(k).is_some_and(u8::is_ascii_digit) {
            kinds = kind::EXPONENT;
            j = k;
            while j < b.len() && b[j].is_ascii_digit() {
                j += 1;
            }
        }
    }
    let text = &b[i..j];
    if text.is_empty() || text == b"." {
        return None;
    }
    if kinds == kind::INT && text.len() != 4 {
        kinds |= kind::NOT_FOUR_DIGITS;
    }
    out.extend_from_slice(text);
    Some((j, kinds))
}

fn hex_value(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        _ => c - b'A' + 10,
    }
}

/// Hex digits as bytes; an odd count is padded on the left for `0x..`
/// (as the server does) and refused for `X'..'` (the server refuses it).
fn hex_digits(digits: &[u8], pad_odd: bool, out: &mut Vec<u8>) -> Option<()> {
    if !digits.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    let mut rest = digits;
    if digits.len() % 2 == 1 {
        if !pad_odd {
            return None;
        }
        push_field_byte(out, hex_value(digits[0]));
        rest = &digits[1..];
    }
    for pair in rest.chunks_exact(2) {
        push_field_byte(out, (hex_value(pair[0]) << 4) | hex_value(pair[1]));
    }
    Some(())
}

/// Bit digits as bytes, padded on the left to whole bytes.
fn bit_digits(digits: &[u8], out: &mut Vec<u8>) -> Option<()> {
    if !digits.iter().all(|&c| c == b'0' || c == b'1') {
        return None;
    }
    let pad = (8 - digits.len() % 8) % 8;
    let mut byte = 0u8;
    for (n, &d) in digits.iter().enumerate() {
        byte = (byte << 1) | (d - b'0');
        if (pad + n + 1).is_multiple_of(8) {
            push_field_byte(out, byte);
            byte = 0;
        }
    }
    Some(())
}

/// A quoted string at `b[i]` (MySQL escapes, doubled quotes), appended as a
/// field; returns the offset after its closing quote.
fn string(b: &[u8], i: usize, out: &mut Vec<u8>) -> Option<usize> {
    let quote = b[i];
    let mut j = i + 1;
    let mut run = j;
    loop {
        let c = *b.get(j)?;
        if c == b'\\' || c == quote || c == b'\t' || c == b'\n' || c == 0 {
            out.extend_from_slice(&b[run..j]);
            if c == b'\\' {
                let e = *b.get(j + 1)?;
                match e {
                    // The same escapes mean the same bytes in LOAD DATA.
                    b'0' | b'b' | b'n' | b'r' | b't' | b'Z' | b'\\' => {
                        out.push(b'\\');
                        out.push(e);
                    }
                    // The server keeps the backslash of \% and \_ (LIKE patterns).
                    b'%' | b'_' => {
                        out.extend_from_slice(b"\\\\");
                        out.push(e);
                    }
                    other => push_field_byte(out, other),
                }
                j += 2;
            } else if c == quote {
                if b.get(j + 1) == Some(&quote) {
                    out.push(quote);
                    j += 2;
                } else {
                    return Some(j + 1);
                }
            } else {
                push_field_byte(out, c);
                j += 1;
            }
            run = j;
        } else {
            j += 1;
        }
    }
}

/// One column of a load: its name and how its field reaches it.
pub struct LoadColumn<'a> {
    pub name: &'a str,
    pub mapping: Mapping,
}

/// The LOAD DATA statement for rows written by `convert_values`.
pub fn load_statement(table: &str, columns: &[LoadColumn<'_>], charset: &str) -> String {
    let mut list = Vec::with_capacity(columns.len());
    let mut sets = Vec::new();
    for (n, column) in columns.iter().enumerate() {
        if column.mapping == Mapping::Convert {
            list.push(format!("@v{n}"));
            sets.push(format!(
                "{} = CONVERT(@v{n} USING {charset})",
                ident(column.name)
            ));
        } else {
            list.push(ident(column.name));
        }
    }
    let mut sql = format!(
        "LOAD DATA LOCAL INFILE 'dbsnap-rows' INTO TABLE {table} CHARACTER SET binary \
         FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' ({})",
        list.join(", ")
    );
    if !sets.is_empty() {
        sql += " SET ";
        sql += &sets.join(", ");
    }
    sql
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conv(values: &str, width: usize) -> Option<(Vec<u8>, Vec<u8>)> {
        let mut out = Vec::new();
        let c = convert_values(values.as_bytes(), width, &mut out)?;
        Some((out, c.masks))
    }

    #[test]
    fn column_literals_are_the_values_as_written() {
        let values = br#"(1, 'a,b', 0),( 2 ,'', 'x\')y'), (3, NULL, -0.5);"#;
        let column = |col| {
            column_literals(values, 3, col).map(|all| {
                all.iter()
                    .map(|l| String::from_utf8_lossy(l).into_owned())
                    .collect::<Vec<_>>()
            })
        };
        assert_eq!(column(1).unwrap(), ["'a,b'", "''", "NULL"]);
        assert_eq!(column(2).unwrap(), ["0", r"'x\')y'", "-0.5"]);
        assert_eq!(column_literals(b"(1, DEFAULT, 0)", 3, 2), None);
        assert_eq!(column_literals(b"(1, 2), (3)", 2, 0), None);
    }

    #[test]
    fn values_become_fields() {
        use kind::*;
        let (text, masks) = conv(
            r#"(1,'a\tb',NULL,'NULL',''),(-2.5e3, "it\'s ""q""", 0x00ff5c, _binary 'x\\y', b'101')"#,
            5,
        )
        .unwrap();
        assert_eq!(
            text,
            b"1\ta\\tb\t\\N\tNULL\t\n-2.5e3\tit's \"q\"\t\\0\xff\\\\\tx\\\\y\t\x05\n"
        );
        assert_eq!(
            masks,
            vec![
                INT | NOT_FOUR_DIGITS | EXPONENT,
                TEXT,
                BINARY,
                TEXT | BINARY,
                TEXT | BINARY
            ]
        );
    }

    #[test]
    fn escapes_keep_their_meaning() {
        // \% and \_ keep their backslash; raw tabs and newlines are escaped;
        // \N in SQL is the letter N.
        let (text, _) = conv("('100\\% \\_x \\N \\Z \\0 \\b\\r', 'a\tb\nc''d')", 2).unwrap();
        assert_eq!(text, b"100\\\\% \\\\_x N \\Z \\0 \\b\\r\ta\\tb\\nc'd\n");
    }

    #[test]
    fn binary_literals_decode() {
        let (text, _) = conv("(X'0a09', 0xabc, b'1', b'100000001', 0b11, X'')", 6).unwrap();
        assert_eq!(text, b"\\n\\t\t\\n\xbc\t\x01\t\x01\x01\t\x03\t\n");
        assert!(conv("(X'abc')", 1).is_none(), "odd X'' is a server error");
        assert!(conv("(0b12)", 1).is_none());
    }

    #[test]
    fn what_is_not_rewritten() {
        assert!(conv("(DEFAULT)", 1).is_none());
        assert!(conv("(_latin1'x')", 1).is_none());
        assert!(conv("(N'x')", 1).is_none());
        assert!(conv("(-0x10)", 1).is_none());
        assert!(conv("(1,2)", 1).is_none(), "wrong width");
        assert!(conv("(1)", 2).is_none(), "wrong width");
        assert!(conv("()", 0).is_none());
    }

    #[test]
    fn mappings_by_column_type() {
        use kind::*;
        let text = ColumnClass::Text(Some("utf8mb4".into()));
        let latin = ColumnClass::Text(Some("latin1".into()));
        assert_eq!(mapping(&text, TEXT | BINARY, "utf8mb4"), Mapping::Direct);
        assert_eq!(mapping(&latin, TEXT, "utf8mb4"), Mapping::Convert);
        assert_eq!(mapping(&latin, BINARY, "utf8mb4"), Mapping::Direct);
        assert_eq!(mapping(&latin, TEXT | BINARY, "utf8mb4"), Mapping::Insert);
        assert_eq!(mapping(&text, INT, "utf8mb4"), Mapping::Insert);
        assert_eq!(mapping(&ColumnClass::Year, INT, "utf8mb4"), Mapping::Direct);
        assert_eq!(
            mapping(&ColumnClass::Year, INT | NOT_FOUR_DIGITS, "utf8mb4"),
            Mapping::Insert
        );
        assert_eq!(
            mapping(&ColumnClass::Decimal, EXPONENT, "x"),
            Mapping::Insert
        );
        assert_eq!(mapping(&ColumnClass::Integer, BINARY, "x"), Mapping::Insert);
        assert_eq!(mapping(&ColumnClass::Other, TEXT, "x"), Mapping::Convert);
        assert_eq!(mapping(&ColumnClass::Geometry, TEXT, "x"), Mapping::Insert);
        assert_eq!(mapping(&ColumnClass::Bit, INT, "x"), Mapping::Insert);
        assert_eq!(mapping(&text, 0, "x"), Mapping::Any);
    }

    #[test]
    fn shape_of_a_rebuilt_insert() {
        let (cols, at) = insert_shape("INSERT INTO `t``x` (`a`, `b c`) VALUES (1,2)").unwrap();
        assert_eq!(cols, vec!["a", "b c"]);
        assert_eq!(at, "INSERT INTO `t``x` (`a`, `b c`) VALUES ".len());
        let (cols, _) = insert_shape("INSERT INTO `t` VALUES (1)").unwrap();
        assert!(cols.is_empty());
    }
}
