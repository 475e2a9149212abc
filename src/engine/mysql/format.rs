//! Rows as the tuples of extended INSERTs, and the cutting of those INSERTs
//! by size. This is the export's hot loop: every value of every row passes
//! through `write_tuple`, so it writes straight into one buffer, with no
//! allocation per row or per value.

use anyhow::{bail, Result};
use mysql_async::consts::{ColumnFlags, ColumnType};
use mysql_async::{Column, Value};

use crate::snapshot::checksum::RowChecksum;

/// The tuples of one INSERT stop growing at about this size (the server's
/// default max_allowed_packet is 16 MiB; mysqldump's net_buffer_length is
/// 1 MiB). Only a single row larger than this makes a larger statement, and
/// then that row is alone in it.
pub const STATEMENT_BYTES: usize = 1024 * 1024;

/// The largest max_allowed_packet any MySQL/MariaDB server accepts (1 GiB):
/// a statement above it can never be loaded, whatever the target's settings.
pub const MAX_PACKET: usize = 1024 * 1024 * 1024;

/// The server's default max_allowed_packet: a statement above it needs the
/// setting raised on the target.
pub const DEFAULT_PACKET: usize = 16 * 1024 * 1024;

/// The MariaDB binary character set: such values are written as hex.
const BINARY_CHARSET: u16 = 63;

/// How each column's text-protocol value is written back.
#[derive(Clone, Copy, Debug)]
pub enum Form {
    Number,
    Hex,
    Text,
    /// An ENUM; the value at this index says whether it is the error value 0.
    Enum(usize),
}

/// How to write each of the first `count` columns; ENUM columns find their
/// error-value flag among the trailing ones.
pub fn forms(columns: &[Column], count: usize) -> Vec<Form> {
    let mut flag = count;
    columns[..count.min(columns.len())]
        .iter()
        .map(|c| match c.column_type() {
            _ if c.flags().contains(ColumnFlags::ENUM_FLAG)
                || c.column_type() == ColumnType::MYSQL_TYPE_ENUM =>
            {
                flag += 1;
                Form::Enum(flag - 1)
            }
            ColumnType::MYSQL_TYPE_TINY
            | ColumnType::MYSQL_TYPE_SHORT
            | ColumnType::MYSQL_TYPE_LONG
            | ColumnType::MYSQL_TYPE_INT24
            | ColumnType::MYSQL_TYPE_LONGLONG
            | ColumnType::MYSQL_TYPE_DECIMAL
            | ColumnType::MYSQL_TYPE_NEWDECIMAL
            | ColumnType::MYSQL_TYPE_FLOAT
            | ColumnType::MYSQL_TYPE_DOUBLE
            | ColumnType::MYSQL_TYPE_YEAR => Form::Number,
            ColumnType::MYSQL_TYPE_BIT | ColumnType::MYSQL_TYPE_GEOMETRY => Form::Hex,
            // Dates and times also report the binary character set; only
            // binary strings are bytes.
            ColumnType::MYSQL_TYPE_STRING
            | ColumnType::MYSQL_TYPE_VAR_STRING
            | ColumnType::MYSQL_TYPE_VARCHAR
            | ColumnType::MYSQL_TYPE_BLOB
            | ColumnType::MYSQL_TYPE_TINY_BLOB
            | ColumnType::MYSQL_TYPE_MEDIUM_BLOB
            | ColumnType::MYSQL_TYPE_LONG_BLOB
                if c.character_set() == BINARY_CHARSET =>
            {
                Form::Hex
            }
            _ => Form::Text,
        })
        .collect()
}

/// Two hex digits for every byte value, so each byte is one lookup.
const HEX_PAIRS: [[u8; 2]; 256] = {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut table = [[0u8; 2]; 256];
    let mut i = 0;
    while i < 256 {
        table[i] = [DIGITS[i >> 4], DIGITS[i & 15]];
        i += 1;
    }
    table
};

/// The escape for each byte that needs one inside '...', 0 for the others
/// (the forms mysqldump writes, which the mysql client and server read back).
const TEXT_ESCAPES: [u8; 256] = {
    let mut table = [0u8; 256];
    table[b'\'' as usize] = b'\'';
    table[b'\\' as usize] = b'\\';
    table[b'\n' as usize] = b'n';
    table[b'\r' as usize] = b'r';
    table[0] = b'0';
    table[0x1a] = b'Z';
    table
};

fn write_text(buf: &mut Vec<u8>, bytes: &[u8]) {
    buf.reserve(bytes.len() + 2);
    buf.push(b'\'');
    // Copy the runs between escapes in one go: most text has none, and
    // sixteen bytes at a time are checked for any of the six at once.
    let mut run = 0;
    let mut i = 0;
    while i < bytes.len() {
        if let Some(block) = bytes.get(i..i + 16) {
            let (a, b) = block.split_at(8);
            let word = |w: &[u8]| u64::from_le_bytes(w.try_into().expect("an 8-byte slice"));
            if !may_need_escape(word(a)) && !may_need_escape(word(b)) {
                i += 16;
                continue;
            }
        }
        let end = (i + 16).min(bytes.len());
        for (j, &b) in bytes[i..end].iter().enumerate() {
            let escape = TEXT_ESCAPES[b as usize];
            if escape != 0 {
                buf.extend_from_slice(&bytes[run..i + j]);
                buf.extend_from_slice(&[b'\\', escape]);
                run = i + j + 1;
            }
        }
        i = end;
    }
    buf.extend_from_slice(&bytes[run..]);
    buf.push(b'\'');
}

/// Whether any byte of `word` may be one of those TEXT_ESCAPES escapes (false
/// positives are possible, and harmless: the bytes are then looked up). Four
/// of the six are control characters, found by one test for bytes below
/// 0x20 (tabs and the like are false positives), so three tests in all.
fn may_need_escape(word: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let below = |w: u64, n: u8| w.wrapping_sub(ONES * n as u64) & !w & HIGH;
    let has = |b: u8| below(word ^ (ONES * b as u64), 1);
    (below(word, 0x20) | has(b'\'') | has(b'\\')) != 0
}

fn write_hex(buf: &mut Vec<u8>, bytes: &[u8]) {
    buf.extend_from_slice(b"0x");
    // Sized once, then filled: no capacity check per byte.
    let start = buf.len();
    buf.resize(start + bytes.len() * 2, 0);
    for (pair, &b) in buf[start..].chunks_exact_mut(2).zip(bytes) {
        pair.copy_from_slice(&HEX_PAIRS[b as usize]);
    }
}

/// Appends one row as `(v1,v2,...)`; `value(i)` is the row's i-th value
/// (`Row::as_ref`, which borrows instead of unwrapping into a new vector).
pub fn write_tuple<'a>(
    buf: &mut Vec<u8>,
    value: impl Fn(usize) -> Option<&'a Value>,
    forms: &[Form],
) {
    buf.push(b'(');
    for (i, form) in forms.iter().enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        let bytes = match value(i) {
            None | Some(Value::NULL) => {
                buf.extend_from_slice(b"NULL");
                continue;
            }
            Some(Value::Bytes(b)) => b.as_slice(),
            // The text protocol gives bytes; other kinds are the binary
            // protocol's and keep their own SQL form.
            Some(other) => {
                buf.extend_from_slice(other.as_sql(true).as_bytes());
                continue;
            }
        };
        match *form {
            Form::Enum(flag) if matches!(value(flag), Some(Value::Bytes(b)) if b == b"1") => {
                buf.push(b'0')
            }
            Form::Number => buf.extend_from_slice(bytes),
            Form::Hex if bytes.is_empty() => buf.extend_from_slice(b"''"),
            Form::Hex => write_hex(buf, bytes),
            Form::Text | Form::Enum(_) => write_text(buf, bytes),
        }
    }
    buf.push(b')');
}

/// Gathers a table's tuples into batches for INSERT statements of at most
/// STATEMENT_BYTES of tuples, a row larger than that alone in its own, and
/// sums every row for the manifest.
pub struct Batcher {
    buf: Vec<u8>,
    rows: u64,
    /// The largest single-row batch seen, to warn about.
    pub largest_row: usize,
    pub sum: RowChecksum,
}

impl Default for Batcher {
    fn default() -> Batcher {
        Batcher {
            buf: Vec::with_capacity(STATEMENT_BYTES + 64 * 1024),
            rows: 0,
            largest_row: 0,
            sum: RowChecksum::default(),
        }
    }
}

impl Batcher {
    /// Adds a row; `each` gets every batch that is complete (tuples comma
    /// separated, and their row count). `head` is the statement's length
    /// beside the tuples, to hold a statement under MAX_PACKET.
    pub fn add<'a>(
        &mut self,
        value: impl Fn(usize) -> Option<&'a Value>,
        forms: &[Form],
        head: usize,
        mut each: impl FnMut(&[u8], u64) -> Result<()>,
    ) -> Result<()> {
        let start = self.buf.len();
        if self.rows > 0 {
            self.buf.push(b',');
        }
        let tuple = self.buf.len();
        write_tuple(&mut self.buf, value, forms);
        let size = self.buf.len() - tuple;
        self.sum.add_row(&self.buf[tuple..]);
        if size + head + 2 > MAX_PACKET {
            bail!(
                "a row needs an INSERT of {} MiB, above 1 GiB, the largest max_allowed_packet \
                 a MySQL/MariaDB server accepts: no server could load it",
                (size + head + 2) >> 20
            );
        }
        self.largest_row = self.largest_row.max(size);
        if self.rows > 0 && self.buf.len() > STATEMENT_BYTES {
            // This row would make the statement too large: it starts the next.
            each(&self.buf[..start], self.rows)?;
            self.buf.drain(..tuple);
            self.rows = 0;
        }
        self.rows += 1;
        if self.buf.len() >= STATEMENT_BYTES {
            self.flush(&mut each)?;
        }
        Ok(())
    }

    /// Hands over the last batch, if any.
    pub fn flush(&mut self, mut each: impl FnMut(&[u8], u64) -> Result<()>) -> Result<()> {
        if self.rows > 0 {
            each(&self.buf, self.rows)?;
            self.buf.clear();
            self.rows = 0;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tuples_escape_text_and_hex_binary() {
        let mut buf = Vec::new();
        let values = [
            Value::Bytes(b"42".to_vec()),
            Value::Bytes(b"it's\\\n\0\r\x1a end".to_vec()),
            Value::Bytes(vec![0, 255, 0x5c]),
            Value::NULL,
            Value::Bytes(vec![]),
        ];
        write_tuple(
            &mut buf,
            |i| values.get(i),
            &[Form::Number, Form::Text, Form::Hex, Form::Text, Form::Hex],
        );
        assert_eq!(
            String::from_utf8(buf).unwrap(),
            r"(42,'it\'s\\\n\0\r\Z end',0x00ff5c,NULL,'')"
        );
    }

    #[test]
    fn every_byte_is_written_back_as_mysqldump_would() {
        let all: Vec<u8> = (0..=255).collect();
        let mut fast = Vec::new();
        write_text(&mut fast, &all);
        let mut slow = vec![b'\''];
        for &b in &all {
            match b {
                b'\'' => slow.extend_from_slice(b"\\'"),
                b'\\' => slow.extend_from_slice(b"\\\\"),
                b'\n' => slow.extend_from_slice(b"\\n"),
                b'\r' => slow.extend_from_slice(b"\\r"),
                0 => slow.extend_from_slice(b"\\0"),
                0x1a => slow.extend_from_slice(b"\\Z"),
                _ => slow.push(b),
            }
        }
        slow.push(b'\'');
        assert_eq!(fast, slow);
        // Escapes at every offset of the eight-byte words, and none at all.
        for len in 0..40 {
            for at in 0..len {
                for special in [b'\'', b'\\', b'\n', b'\r', 0, 0x1a] {
                    let mut text = vec![b'x'; len];
                    text[at] = special;
                    let mut out = Vec::new();
                    write_text(&mut out, &text);
                    let escaped = [b'\\', TEXT_ESCAPES[special as usize]];
                    let expected =
                        [&b"'"[..], &text[..at], &escaped, &text[at + 1..], b"'"].concat();
                    assert_eq!(out, expected, "{len} bytes, escape at {at}");
                }
            }
        }
        let mut hex = Vec::new();
        write_hex(&mut hex, &all);
        let expected: String = all.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, format!("0x{expected}").into_bytes());
    }

    /// Statements stay under STATEMENT_BYTES unless one row is larger; that
    /// row is then alone in its statement, and no row is lost or split.
    #[test]
    fn batches_are_cut_before_a_row_that_does_not_fit() {
        let forms = [Form::Text];
        let sizes = [
            10usize,
            20,
            STATEMENT_BYTES + 5,
            30,
            40,
            STATEMENT_BYTES / 2,
            STATEMENT_BYTES / 2,
            7,
        ];
        let mut batcher = Batcher::default();
        let mut batches: Vec<(Vec<u8>, u64)> = Vec::new();
        for (i, &size) in sizes.iter().enumerate() {
            let value = Value::Bytes(vec![b'a' + i as u8; size]);
            batcher
                .add(
                    |_| Some(&value),
                    &forms,
                    0,
                    |b, n| {
                        batches.push((b.to_vec(), n));
                        Ok(())
                    },
                )
                .unwrap();
        }
        batcher
            .flush(|b, n| {
                batches.push((b.to_vec(), n));
                Ok(())
            })
            .unwrap();
        let counts: Vec<u64> = batches.iter().map(|b| b.1).collect();
        assert_eq!(counts, [2, 1, 3, 2], "rows per statement");
        for (batch, rows) in &batches {
            assert!(
                *rows == 1 || batch.len() <= STATEMENT_BYTES,
                "{rows} rows, {} bytes",
                batch.len()
            );
            // Tuples joined by commas: rows + quotes + parentheses.
            assert_eq!(batch.iter().filter(|&&b| b == b'(').count() as u64, *rows);
        }
        let total: usize = batches.iter().map(|b| b.0.len()).sum();
        let expected: usize =
            sizes.iter().map(|s| s + 4).sum::<usize>() + sizes.len() - batches.len();
        assert_eq!(total, expected, "every byte of every row, once");
        assert_eq!(batcher.sum.rows(), sizes.len() as u64);
        assert_eq!(batcher.largest_row, STATEMENT_BYTES + 9);
    }
}
