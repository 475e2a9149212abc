//! The swap-over gate: does the target hold what the source (or a snapshot) holds?

use std::collections::BTreeMap;
use std::io::{BufRead, IsTerminal};
use std::path::Path;

use anyhow::{Context, Result};
use serde::Serialize;

use crate::cli::{ConnectArgs, VerifyArgs};
use crate::config::{ConnectionSpec, EngineKind};
use crate::engine::mysql::Counter;
use crate::engine::{ChecksumKind, Engine, Inventory, SequenceState, TableState};
use crate::error::{Differences, UsageError};
use crate::script::MARKER_PREFIX;
use crate::snapshot::compress;
use crate::snapshot::markers::{self, Markers};

#[derive(Debug, Serialize)]
struct Row {
    kind: Kind,
    name: String,
    expected: Option<String>,
    actual: Option<String>,
    status: Status,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
enum Kind {
    Table,
    Sequence,
}

/// What verify found for one table or sequence; `--json` carries the same words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
enum Status {
    #[serde(rename = "ok")]
    Ok,
    #[serde(rename = "missing in target")]
    MissingInTarget,
    #[serde(rename = "not in source")]
    NotInSource,
    #[serde(rename = "row count differs")]
    RowCountDiffers,
    #[serde(rename = "content differs")]
    ContentDiffers,
    #[serde(rename = "position differs")]
    PositionDiffers,
}

impl Status {
    fn words(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::MissingInTarget => "missing in target",
            Status::NotInSource => "not in source",
            Status::RowCountDiffers => "row count differs",
            Status::ContentDiffers => "content differs",
            Status::PositionDiffers => "position differs",
        }
    }
}

impl Kind {
    fn words(self) -> &'static str {
        match self {
            Kind::Table => "table",
            Kind::Sequence => "sequence",
        }
    }
}

pub async fn run(args: VerifyArgs) -> Result<u8> {
    let target_spec = ConnectionSpec::resolve(&ConnectArgs {
        url: args.target.clone(),
    })?;
    let target = Engine::for_spec(&target_spec)?;
    // Tables whose rows the snapshot left out (`--exclude-table-data`): its
    // manifest says 0 rows for them, which says nothing of the target's.
    let mut left_out = Vec::new();
    let (mut expected, actual_kind, source_label) = match (&args.manifest, &args.source) {
        (Some(path), _) => {
            // Before reading on: another engine's file would fail to parse.
            let (engine, names) = snapshot_header(path)?;
            if let Some(engine) = engine {
                refuse_other_engine(engine, &path.display().to_string(), &target_spec)?;
            }
            left_out = names;
            let manifest = target.read_manifest(path).await?;
            let inventory = Inventory {
                tables: manifest
                    .tables
                    .into_iter()
                    .map(|t| TableState {
                        name: t.name,
                        rows: t.rows,
                        checksum: Some(t.checksum),
                    })
                    .collect(),
                sequences: manifest
                    .sequences
                    .into_iter()
                    .map(|s| SequenceState {
                        name: s.name,
                        value: s.value,
                        is_called: s.is_called,
                    })
                    .collect(),
                outside_tables: Vec::new(),
            };
            (
                inventory,
                ChecksumKind::Snapshot,
                path.display().to_string(),
            )
        }
        (None, Some(url)) => {
            let source_spec = ConnectionSpec::from_url(url)?;
            refuse_other_engine(source_spec.engine, &source_spec.redacted(), &target_spec)?;
            let source = Engine::for_spec(&source_spec)?;
            // MySQL's CHECKSUM TABLE hashes a row's strings run together,
            // without their lengths: 'ab','c' and 'a','bc' sum the same. The
            // snapshot's checksum, over each row as the file writes it, does
            // not confuse them, at the cost of reading the rows.
            let server = match source_spec.engine {
                EngineKind::MySql => ChecksumKind::Snapshot,
                EngineKind::Postgres => ChecksumKind::Server,
            };
            let kind = if args.checksum {
                server
            } else {
                ChecksumKind::None
            };
            let inventory = source.inventory(kind).await.context("reading the source")?;
            (inventory, server, source_spec.redacted())
        }
        (None, None) => unreachable!("clap requires --source or --manifest"),
    };
    let kind = if args.checksum {
        actual_kind
    } else {
        ChecksumKind::None
    };
    let mut actual = target.inventory(kind).await.context("reading the target")?;
    if args.source.is_some() {
        // Two databases: large objects too (a snapshot cannot hold them).
        expected.tables.append(&mut expected.outside_tables);
        actual.tables.append(&mut actual.outside_tables);
    }
    if !left_out.is_empty() {
        expected.tables.retain(|t| !left_out.contains(&t.name));
        actual.tables.retain(|t| !left_out.contains(&t.name));
        if !args.json {
            eprintln!(
                "dbsnap: not compared: {} (the snapshot left out their rows)",
                left_out.join(", ")
            );
        }
    }
    let rows = compare(&expected, &actual, args.checksum, target_spec.engine);
    let differences = rows.iter().filter(|r| r.status != Status::Ok).count();

    if args.json {
        let json = serde_json::json!({
            "source": source_label,
            "target": target_spec.redacted(),
            "checksum": args.checksum,
            "tables": expected.tables.len().max(actual.tables.len()),
            "sequences": expected.sequences.len().max(actual.sequences.len()),
            "differences": rows.iter().filter(|r| r.status != Status::Ok).collect::<Vec<_>>(),
            "rows_left_out": left_out,
            "ok": differences == 0,
        });
        println!("{}", serde_json::to_string_pretty(&json)?);
    } else {
        print_table(&rows, std::io::stdout().is_terminal());
        println!(
            "{}, {} checked{}: {}",
            super::counted(
                expected.tables.len().max(actual.tables.len()) as u64,
                "table"
            ),
            super::counted(
                expected.sequences.len().max(actual.sequences.len()) as u64,
                "sequence"
            ),
            if args.checksum { " with checksums" } else { "" },
            if differences == 0 {
                "everything matches".to_string()
            } else {
                format!("{differences} difference(s)")
            }
        );
    }
    if differences > 0 {
        return Err(Differences { count: differences }.into());
    }
    Ok(0)
}

/// The engine a snapshot's header names (`-- dbsnap:engine ...`; None for
/// files without one) and the tables whose rows it left out, read from the
/// comment lines at the top of the file.
fn snapshot_header(path: &Path) -> Result<(Option<EngineKind>, Vec<String>)> {
    let reader = compress::open(path)?;
    let mut markers = Markers::default();
    let mut left_out = Vec::new();
    for (index, line) in reader.lines().enumerate() {
        let line = line.with_context(|| format!("cannot read {}", path.display()))?;
        let Some(text) = line.as_bytes().strip_prefix(MARKER_PREFIX) else {
            if line.starts_with("--") || line.is_empty() {
                continue;
            }
            break;
        };
        let text = String::from_utf8_lossy(text);
        let text = text.trim_end();
        markers.take(path, index as u64 + 1, text)?;
        if let Some(list) = markers::rows_left_out_list(text) {
            left_out = serde_json::from_str(list).with_context(|| {
                format!(
                    "{}:{}: bad list of tables left out",
                    path.display(),
                    index + 1
                )
            })?;
        }
    }
    Ok((markers.manifest.engine, left_out))
}

/// Row counts and checksums of two engines never line up, so comparing
/// them would only list every table as different.
fn refuse_other_engine(
    source: EngineKind,
    source_label: &str,
    target: &ConnectionSpec,
) -> Result<()> {
    if source == target.engine {
        return Ok(());
    }
    Err(UsageError(format!(
        "cannot verify across engines: {source_label} is {} but {} is {}; \
         verify compares databases of the same engine",
        source.display_name(),
        target.redacted(),
        target.engine.display_name(),
    ))
    .into())
}

fn compare(
    expected: &Inventory,
    actual: &Inventory,
    checksum: bool,
    engine: EngineKind,
) -> Vec<Row> {
    let mut rows = Vec::new();
    for (name, e, a) in by_name(&expected.tables, &actual.tables, |t| &t.name) {
        let status = match (e, a) {
            (Some(_), None) => Status::MissingInTarget,
            (None, Some(_)) => Status::NotInSource,
            (Some(e), Some(a)) if e.rows != a.rows => Status::RowCountDiffers,
            (Some(e), Some(a)) if checksum && e.checksum != a.checksum => Status::ContentDiffers,
            _ => Status::Ok,
        };
        let show = |t: Option<&TableState>| {
            t.map(|t| match (&t.checksum, checksum) {
                (Some(c), true) => format!("{} rows {c}", t.rows),
                _ => format!("{} rows", t.rows),
            })
        };
        rows.push(Row {
            kind: Kind::Table,
            name: name.to_string(),
            expected: show(e),
            actual: show(a),
            status,
        });
    }
    for (name, e, a) in by_name(&expected.sequences, &actual.sequences, |s| &s.name) {
        let status = match (e, a) {
            (Some(_), None) => Status::MissingInTarget,
            (None, Some(_)) => Status::NotInSource,
            (Some(e), Some(a)) if e.value != a.value || e.is_called != a.is_called => {
                Status::PositionDiffers
            }
            _ => Status::Ok,
        };
        let show = |s: Option<&SequenceState>| s.map(|s| position(s, engine));
        rows.push(Row {
            kind: Kind::Sequence,
            name: name.to_string(),
            expected: show(e),
            actual: show(a),
            status,
        });
    }
    rows
}

/// Every name in `expected` or `actual`, in order, with the entry each has.
fn by_name<'a, T>(
    expected: &'a [T],
    actual: &'a [T],
    name: fn(&T) -> &String,
) -> Vec<(&'a str, Option<&'a T>, Option<&'a T>)> {
    let exp: BTreeMap<&str, &T> = expected.iter().map(|t| (name(t).as_str(), t)).collect();
    let act: BTreeMap<&str, &T> = actual.iter().map(|t| (name(t).as_str(), t)).collect();
    let names: std::collections::BTreeSet<&str> = exp.keys().chain(act.keys()).copied().collect();
    names
        .into_iter()
        .map(|n| (n, exp.get(n).copied(), act.get(n).copied()))
        .collect()
}

/// A sequence position in the engine's own terms: PostgreSQL's last value
/// and whether nextval has been called since; MySQL's next AUTO_INCREMENT
/// value (sequences' round counters are plain numbers).
fn position(s: &SequenceState, engine: EngineKind) -> String {
    match engine {
        EngineKind::Postgres if s.is_called => s.value.to_string(),
        EngineKind::Postgres => format!("{} (not called)", s.value),
        EngineKind::MySql => match Counter::parse(&s.name) {
            Counter::CycleCount { .. } => s.value.to_string(),
            Counter::AutoIncrement { .. } | Counter::SequencePosition { .. } => {
                format!("next {}", s.value)
            }
        },
    }
}

/// Terminal columns `s` takes (`…` and CJK names are not one byte each).
fn width(s: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(s)
}

/// `s` padded with spaces to `w` columns, on the right or (numbers) the left.
fn pad(s: &str, w: usize, right_align: bool) -> String {
    let fill = " ".repeat(w.saturating_sub(width(s)));
    if right_align {
        fill + s
    } else {
        format!("{s}{fill}")
    }
}

/// The display width of the widest cell, at least `min` (the header's).
fn column_width<'a>(cells: impl Iterator<Item = &'a str>, min: usize) -> usize {
    cells.map(width).max().unwrap_or(0).max(min)
}

fn print_table(rows: &[Row], color: bool) {
    let name_w = column_width(rows.iter().map(|r| r.name.as_str()), 4);
    let exp_w = column_width(rows.iter().filter_map(|r| r.expected.as_deref()), 8);
    let act_w = column_width(rows.iter().filter_map(|r| r.actual.as_deref()), 6);
    println!(
        "{:<8} {} {} {}  STATUS",
        "KIND",
        pad("NAME", name_w, false),
        pad("EXPECTED", exp_w, true),
        pad("ACTUAL", act_w, true)
    );
    for r in rows {
        let status = match (color, r.status) {
            (true, Status::Ok) => "\x1b[32mok\x1b[0m".to_string(),
            (true, s) => format!("\x1b[31m{}\x1b[0m", s.words()),
            (false, s) => s.words().to_string(),
        };
        println!(
            "{:<8} {} {} {}  {status}",
            r.kind.words(),
            pad(&r.name, name_w, false),
            pad(r.expected.as_deref().unwrap_or("-"), exp_w, true),
            pad(r.actual.as_deref().unwrap_or("-"), act_w, true),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_align_by_display_width() {
        assert_eq!(width("ab…"), 3);
        assert_eq!(width("表"), 2);
        assert_eq!(pad("表", 4, false), "表  ");
        assert_eq!(pad("1…", 4, true), "  1…");
    }

    #[test]
    fn positions_in_each_engine_s_terms() {
        let state = |name: &str, value, is_called| SequenceState {
            name: name.to_string(),
            value,
            is_called,
        };
        let my = EngineKind::MySql;
        let pg = EngineKind::Postgres;
        assert_eq!(
            position(&state("`t` AUTO_INCREMENT", 201, false), my),
            "next 201"
        );
        assert_eq!(position(&state("`s` cycle_count", 0, false), my), "0");
        assert_eq!(position(&state("public.s", 5, true), pg), "5");
        assert_eq!(position(&state("public.s", 1, false), pg), "1 (not called)");
    }
}
