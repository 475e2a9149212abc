//! Two sides' objects compared by key.

use std::collections::BTreeMap;

use serde::Serialize;

use super::objects::Objects;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    /// Only on the second side (the database, the target, NEW): `+`.
    Added,
    /// Only on the first side (the file, the source, OLD): `-`.
    Removed,
    /// On both, with different DDL: `~`.
    Changed,
}

impl Change {
    pub fn sign(self) -> char {
        match self {
            Change::Added => '+',
            Change::Removed => '-',
            Change::Changed => '~',
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Difference {
    pub change: Change,
    pub kind: String,
    pub name: String,
    /// The first side's DDL (None if it has no such object).
    pub from: Option<String>,
    /// The second side's DDL.
    pub to: Option<String>,
}

#[derive(Debug, Default)]
pub struct Comparison {
    pub differences: Vec<Difference>,
    /// Objects compared, per kind (each key counted once over both sides).
    pub compared: BTreeMap<String, usize>,
}

pub fn compare(from: &Objects, to: &Objects) -> Comparison {
    let mut result = Comparison::default();
    let keys: std::collections::BTreeSet<_> = from.keys().chain(to.keys()).collect();
    for key in keys {
        *result.compared.entry(key.0.clone()).or_default() += 1;
        let (a, b) = (from.get(key), to.get(key));
        let change = match (a, b) {
            (Some(a), Some(b)) if a == b => continue,
            (Some(_), Some(_)) => Change::Changed,
            (Some(_), None) => Change::Removed,
            (None, _) => Change::Added,
        };
        result.differences.push(Difference {
            change,
            kind: key.0.clone(),
            name: key.1.clone(),
            from: a.cloned(),
            to: b.cloned(),
        });
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn objects(items: &[(&str, &str, &str)]) -> Objects {
        items
            .iter()
            .map(|(k, n, d)| ((k.to_string(), n.to_string()), d.to_string()))
            .collect()
    }

    #[test]
    fn added_removed_changed() {
        let a = objects(&[("table", "t", "x"), ("index", "i", "y"), ("view", "v", "1")]);
        let b = objects(&[("table", "t", "x"), ("view", "v", "2"), ("table", "u", "z")]);
        let c = compare(&a, &b);
        let got: Vec<_> = c
            .differences
            .iter()
            .map(|d| (d.change.sign(), d.kind.as_str(), d.name.as_str()))
            .collect();
        assert_eq!(
            got,
            [('-', "index", "i"), ('+', "table", "u"), ('~', "view", "v")]
        );
        assert_eq!(c.compared["table"], 2);
        assert_eq!(c.compared["index"], 1);
    }
}
