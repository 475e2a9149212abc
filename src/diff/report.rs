//! The report: one line per difference (a unified diff under each `~`), then a
//! summary of what was compared; or all of it as JSON.

use std::fmt::Write as _;

use serde::Serialize;

use super::compare::{Change, Comparison, Difference};
use super::kinds::{plural, Ignored};
use super::unified::unified_diff;

/// What the two sides are, for the report's header and JSON.
#[derive(Debug, Clone, Serialize)]
pub struct Sides {
    pub from: String,
    pub to: String,
}

pub fn text(sides: &Sides, cmp: &Comparison, ignored: &Ignored) -> String {
    let mut out = String::new();
    for d in &cmp.differences {
        let _ = writeln!(out, "{} {} {}", d.change.sign(), d.kind, d.name);
        if d.change == Change::Changed {
            let _ = writeln!(out, "    --- {}", sides.from);
            let _ = writeln!(out, "    +++ {}", sides.to);
            let diff = unified_diff(
                d.from.as_deref().unwrap_or_default(),
                d.to.as_deref().unwrap_or_default(),
            );
            for line in diff.lines() {
                let _ = writeln!(out, "    {line}");
            }
        }
    }
    if !cmp.differences.is_empty() {
        out.push('\n');
    }
    out += &summary(sides, cmp, ignored);
    out.push('\n');
    out
}

/// `- file  + database: 3 differences (1 changed, 1 only in ..., ...) in 120 objects compared: ...`
pub fn summary(sides: &Sides, cmp: &Comparison, ignored: &Ignored) -> String {
    let total: usize = cmp.compared.values().sum();
    let kinds: Vec<String> = cmp
        .compared
        .iter()
        .map(|(kind, n)| format!("{n} {}", plural(kind, *n)))
        .collect();
    let mut out = format!(
        "compared {total} {} (- {}, + {})",
        if total == 1 { "object" } else { "objects" },
        sides.from,
        sides.to
    );
    if !kinds.is_empty() {
        let _ = write!(out, ": {}", kinds.join(", "));
    }
    if !ignored.is_empty() {
        let _ = write!(out, "; not compared (--ignore): {}", ignored.describe());
    }
    match cmp.differences.len() {
        0 => out += "\nno differences",
        n => {
            let count = |c: Change| cmp.differences.iter().filter(|d| d.change == c).count();
            let _ = write!(
                out,
                "\n{n} {}: {} only in {}, {} only in {}, {} changed",
                if n == 1 { "difference" } else { "differences" },
                count(Change::Removed),
                sides.from,
                count(Change::Added),
                sides.to,
                count(Change::Changed)
            );
        }
    }
    out
}

#[derive(Serialize)]
struct JsonReport<'a> {
    ok: bool,
    from: &'a str,
    to: &'a str,
    differences: Vec<JsonDifference<'a>>,
    compared: &'a std::collections::BTreeMap<String, usize>,
    ignored: Vec<String>,
}

#[derive(Serialize)]
struct JsonDifference<'a> {
    sign: String,
    #[serde(flatten)]
    difference: &'a Difference,
    /// The unified diff of `from` and `to` (changed objects only).
    diff: Option<String>,
}

pub fn json(sides: &Sides, cmp: &Comparison, ignored: &Ignored) -> String {
    let mut ignored_kinds = ignored.kinds.clone();
    if ignored.comments {
        ignored_kinds.push(super::kinds::COMMENT.to_string());
    }
    let report = JsonReport {
        ok: cmp.differences.is_empty(),
        from: &sides.from,
        to: &sides.to,
        differences: cmp
            .differences
            .iter()
            .map(|d| JsonDifference {
                sign: d.change.sign().to_string(),
                difference: d,
                diff: (d.change == Change::Changed).then(|| {
                    unified_diff(
                        d.from.as_deref().unwrap_or_default(),
                        d.to.as_deref().unwrap_or_default(),
                    )
                }),
            })
            .collect(),
        compared: &cmp.compared,
        ignored: ignored_kinds,
    };
    serde_json::to_string_pretty(&report).expect("a report serialises") + "\n"
}
