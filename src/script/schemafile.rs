//! The check a schema file passes before `init` runs any of it: it is one
//! of ours or a plain script for the target's engine, it is complete, and
//! none of its statements acts outside the target database.

use std::fs::File;
use std::io::{BufRead, BufReader, IsTerminal};
use std::path::Path;

use anyhow::{anyhow, bail, Context, Result};

use super::reader::{Lexer, ScriptReader};
use super::statement::{outside_target, Dialect, PostDataStep};
use super::{Item, MysqlReader, PsqlReader};
use crate::engine::order::Section;
use crate::progress::Steps;
use crate::snapshot::markers::Markers;

pub fn check(path: &Path, dialect: Dialect) -> Result<()> {
    let display = path.display();
    let file = File::open(path).with_context(|| format!("cannot open schema file {display}"))?;
    if file.metadata().map(|m| m.len() == 0).unwrap_or(false) {
        bail!("schema file {display} is empty");
    }
    let input = BufReader::with_capacity(256 * 1024, file);
    let mut markers = Markers::default();
    let mut next: Box<dyn FnMut() -> Result<Option<Item>, crate::error::DamagedFile>> =
        match dialect {
            Dialect::Postgres => {
                let mut r = PsqlReader::new(input, path);
                Box::new(move || r.next_item())
            }
            Dialect::MySql => {
                let mut r = MysqlReader::new(input, path);
                Box::new(move || r.next_item())
            }
        };
    let mut statements = 0u64;
    let mut last_line = 0;
    while let Some(item) = next()? {
        match item {
            Item::Marker { text, line } => {
                markers.take(path, line, &text)?;
                markers.refuse_other_engine(path, line, dialect.engine())?;
                if text == "kind data" {
                    bail!("{display}:{line}: this is a data snapshot, not a schema snapshot: load it with `--data` or `dbsnap import`");
                }
                last_line = line;
            }
            Item::Statement { sql, line } => {
                if let Some(why) = outside_target(dialect, &sql) {
                    bail!("{display}:{line}: refused: {why}; a schema file may only create objects inside the target database. Nothing was changed.");
                }
                statements += 1;
                last_line = line;
            }
            Item::Meta { command, line } => {
                let word = command.split_whitespace().next().unwrap_or_default();
                if !matches!(word, "restrict" | "unrestrict") {
                    bail!("{display}:{line}: unsupported psql meta-command \\{word}");
                }
            }
            Item::CopyIn { line, .. } => {
                bail!(
                    "{display}:{line}: COPY data in a schema file; load data with `dbsnap import`"
                )
            }
        }
    }
    if markers.truncated() {
        return Err(anyhow!(
            "{display}:{last_line}: the schema file has no end marker (truncated?); nothing was replaced"
        ));
    }
    if statements == 0 {
        bail!("schema file {display} holds no statements");
    }
    Ok(())
}

/// Which sections a schema run takes; the statements before the first section
/// marker (session settings) always run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sections {
    All,
    PreData,
    PostData,
    Code,
}

impl Sections {
    pub fn wants(self, section: Option<Section>) -> bool {
        matches!(
            (self, section),
            (Sections::All, _)
                | (_, None)
                | (Sections::PreData, Some(Section::PreData))
                | (Sections::PostData, Some(Section::PostData))
                | (Sections::Code, Some(Section::Code))
        )
    }
}

/// One statement of a schema file, with where it stands.
#[derive(Debug, Clone)]
pub struct SchemaStatement {
    pub sql: String,
    pub line: u64,
    /// None before the first section marker: session settings.
    pub section: Option<Section>,
}

/// The statements of a schema file, each with its section, for a run of
/// some sections. Schema files are small (a few MB for the largest schemas),
/// so they are read whole; what a schema run refuses (psql meta-commands
/// other than pg_dump's `\restrict` brackets, COPY data, a missing end
/// marker) is refused here, before any of it runs.
pub fn statements(path: &Path, dialect: Dialect) -> Result<Vec<SchemaStatement>> {
    let display = path.display();
    let file = File::open(path).with_context(|| format!("cannot open schema file {display}"))?;
    let input = BufReader::with_capacity(256 * 1024, file);
    match dialect {
        Dialect::Postgres => statements_of(PsqlReader::new(input, path), path, dialect),
        Dialect::MySql => statements_of(MysqlReader::new(input, path), path, dialect),
    }
}

fn statements_of<R: BufRead, L: Lexer>(
    mut reader: ScriptReader<R, L>,
    path: &Path,
    dialect: Dialect,
) -> Result<Vec<SchemaStatement>> {
    let display = path.display();
    let mut markers = Markers::default();
    let mut out = Vec::new();
    while let Some(item) = reader.next_item()? {
        match item {
            Item::Marker { text, line } => markers.take(path, line, &text)?,
            Item::Statement { sql, line } => out.push(SchemaStatement {
                sql,
                line,
                section: markers.section,
            }),
            Item::Meta { command, line } => {
                let word = command.split_whitespace().next().unwrap_or_default();
                if dialect == Dialect::MySql || !matches!(word, "restrict" | "unrestrict") {
                    bail!("{display}:{line}: unsupported psql meta-command \\{word}");
                }
            }
            Item::CopyIn { line, .. } => {
                bail!(
                    "{display}:{line}: COPY data in a schema file; load data with `dbsnap import`"
                )
            }
        }
    }
    if markers.truncated() {
        bail!(
            "{display}:{}: the schema file has no end marker (truncated?); nothing was replaced",
            reader.line()
        );
    }
    Ok(out)
}

/// The post-data line of `init`: the steps of the schema file's post-data
/// section, counted by kind as the runners finish them.
#[derive(Clone)]
pub struct PostDataBar {
    steps: Steps,
    dialect: Dialect,
}

impl PostDataBar {
    /// Counts the post-data section of `path` first, on a terminal only:
    /// off a terminal nothing is drawn, so nothing is read. `deferred_indexes`:
    /// secondary indexes init adds after the rows besides the file's post-data
    /// (MySQL builds them so, as myloader's --optimize-keys does).
    pub fn start(path: &Path, dialect: Dialect, deferred_indexes: u64) -> PostDataBar {
        let steps = if std::io::stderr().is_terminal() {
            match post_data_counts(path, dialect) {
                Ok(mut counts) if counts.iter().any(|&n| n > 0) || deferred_indexes > 0 => {
                    let index = PostDataStep::ALL
                        .iter()
                        .position(|s| *s == PostDataStep::Index);
                    counts[index.unwrap_or_default()] += deferred_indexes;
                    let kinds: Vec<_> = PostDataStep::ALL
                        .iter()
                        .zip(counts)
                        .map(|(step, n)| (step.label(), n))
                        .collect();
                    Steps::new("post-data", &kinds)
                }
                // The run reads the file again and reports its problems.
                _ => Steps::hidden(),
            }
        } else {
            Steps::hidden()
        };
        PostDataBar { steps, dialect }
    }

    /// A bar that draws and reads nothing (runs that are not init's post-data).
    pub fn none() -> PostDataBar {
        PostDataBar {
            steps: Steps::hidden(),
            dialect: Dialect::Postgres,
        }
    }

    /// The post-data statement `sql` has run.
    pub fn done(&self, sql: &str) {
        self.step(PostDataStep::of(self.dialect, sql));
    }

    /// A post-data step of this kind has run.
    pub fn step(&self, step: PostDataStep) {
        let index = PostDataStep::ALL.iter().position(|s| *s == step);
        self.steps.done(index.unwrap_or(PostDataStep::ALL.len()));
    }

    pub fn finish(&self) {
        self.steps.finish();
    }
}

/// How many statements of each [`PostDataStep`] kind (in the order of
/// `PostDataStep::ALL`) the post-data section of a schema file holds.
fn post_data_counts(path: &Path, dialect: Dialect) -> Result<[u64; 4]> {
    let mut counts = [0; 4];
    for statement in statements(path, dialect)? {
        if statement.section == Some(Section::PostData) {
            let step = PostDataStep::of(dialect, &statement.sql);
            if let Some(i) = PostDataStep::ALL.iter().position(|s| *s == step) {
                counts[i] += 1;
            }
        }
    }
    Ok(counts)
}
