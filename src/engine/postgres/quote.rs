//! Quoting for the DDL we assemble ourselves. Identifiers come pre-quoted from
//! the server (`quote_ident`, `format('%I')`), which knows its keywords.

/// A string literal for a file that sets `standard_conforming_strings = on`.
pub fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// `WITH (...)` storage options from a reloptions array (`name=value` items).
pub fn options_clause(options: &[String]) -> String {
    let items: Vec<String> = options
        .iter()
        .map(|opt| match opt.split_once('=') {
            Some((name, value)) => format!("{name}={}", literal(value)),
            None => opt.clone(),
        })
        .collect();
    items.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_double_quotes_and_keep_backslashes() {
        assert_eq!(literal(r"it's a \ test"), r"'it''s a \ test'");
    }

    #[test]
    fn options_are_quoted() {
        let opts = vec![
            "fillfactor=70".to_string(),
            "check_option=local".to_string(),
        ];
        assert_eq!(
            options_clause(&opts),
            "fillfactor='70', check_option='local'"
        );
    }
}
