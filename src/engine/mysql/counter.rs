//! The counters a MySQL snapshot restores after the rows, and how its manifest
//! and verify's report name them.

/// One counter, by what it counts. Names are quoted identifiers (`` `t` ``), so
/// the word after the closing quote says which kind a manifest entry is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Counter {
    /// A table's next AUTO_INCREMENT value: `` `t` AUTO_INCREMENT ``.
    AutoIncrement { table: String },
    /// A MariaDB sequence's next value: `` `s` ``.
    SequencePosition { sequence: String },
    /// The rounds a cycling sequence has made: `` `s` cycle_count ``; it follows
    /// its sequence's position.
    CycleCount { sequence: String },
}

const AUTO_INCREMENT: &str = " AUTO_INCREMENT";
const CYCLE_COUNT: &str = " cycle_count";

impl Counter {
    /// The counter a manifest or inventory name stands for.
    pub fn parse(name: &str) -> Counter {
        if let Some(table) = name.strip_suffix(AUTO_INCREMENT) {
            Counter::AutoIncrement {
                table: table.to_string(),
            }
        } else if let Some(sequence) = name.strip_suffix(CYCLE_COUNT) {
            Counter::CycleCount {
                sequence: sequence.to_string(),
            }
        } else {
            Counter::SequencePosition {
                sequence: name.to_string(),
            }
        }
    }

    /// The name in the manifest and in verify's report.
    pub fn name(&self) -> String {
        match self {
            Counter::AutoIncrement { table } => format!("{table}{AUTO_INCREMENT}"),
            Counter::SequencePosition { sequence } => sequence.clone(),
            Counter::CycleCount { sequence } => format!("{sequence}{CYCLE_COUNT}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_quoted_words_are_names() {
        for counter in [
            Counter::AutoIncrement {
                table: "`t`".into(),
            },
            Counter::SequencePosition {
                sequence: "`s`".into(),
            },
            Counter::CycleCount {
                sequence: "`s`".into(),
            },
            // The kind word inside the quotes is part of the name.
            Counter::SequencePosition {
                sequence: "`x cycle_count`".into(),
            },
        ] {
            assert_eq!(Counter::parse(&counter.name()), counter);
        }
        assert_eq!(
            Counter::parse("`t` AUTO_INCREMENT").name(),
            "`t` AUTO_INCREMENT"
        );
    }
}
