//! The `(...)` tuples of a MySQL INSERT's VALUES list, split without parsing
//! the values: the manifest's checksums are over these bytes as written.

/// The `(...)` tuples of a MySQL INSERT's VALUES list, as written (the
/// manifest's checksums are over these bytes).
pub fn mysql_tuples(sql: &str) -> Vec<&[u8]> {
    let bytes = sql.as_bytes();
    let mut out = Vec::new();
    // Start after the first VALUES keyword outside quotes (column names are backticked).
    let Some(values) = find_values(bytes) else {
        return out;
    };
    let mut i = values;
    let (mut depth, mut start, mut quote) = (0usize, 0usize, 0u8);
    while i < bytes.len() {
        let b = bytes[i];
        if quote != 0 {
            if b == b'\\' {
                i += 1;
            } else if b == quote {
                if bytes.get(i + 1) == Some(&quote) {
                    i += 1;
                } else {
                    quote = 0;
                }
            }
        } else {
            match b {
                b'\'' | b'"' => quote = b,
                b'(' => {
                    if depth == 0 {
                        start = i;
                    }
                    depth += 1;
                }
                b')' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        out.push(&bytes[start..=i]);
                    }
                }
                _ => {}
            }
        }
        i += 1;
    }
    out
}

fn find_values(bytes: &[u8]) -> Option<usize> {
    let (mut i, mut quote) = (0, 0u8);
    while i + 6 <= bytes.len() {
        let b = bytes[i];
        if quote != 0 {
            if b == quote {
                quote = 0;
            }
        } else if b == b'`' || b == b'\'' || b == b'"' {
            quote = b;
        } else if bytes[i..i + 6].eq_ignore_ascii_case(b"VALUES") {
            return Some(i + 6);
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tuples_respect_quotes_and_escapes() {
        let sql = r"INSERT INTO `v(a)lues` (`x`) VALUES (1,'a)b'),(2,'it\'s (x'),(3,0x00)";
        let t: Vec<&str> = mysql_tuples(sql)
            .into_iter()
            .map(|b| std::str::from_utf8(b).unwrap())
            .collect();
        assert_eq!(t, vec!["(1,'a)b')", r"(2,'it\'s (x')", "(3,0x00)"]);
    }
}
