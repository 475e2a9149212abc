//! `init --resume`: what a staging database records about its build, and
//! what a later run may reuse of a dead run's staging database.
//!
//! A build records, when it creates its staging database, an identity of its
//! two input files and the phase it has reached. A later `init --resume` of
//! the same target reuses a dead run's staging database only if it was built
//! from the same files; it keeps the tables whose rows match the data file's
//! manifest (row counts and checksums, computed from the database as the
//! manifest computes them from the file), reloads the others, and finishes.
//! The engines store the record where it suits them (a database comment, a
//! small table) and move it out of the way before the swap.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use anyhow::{Context, Result};
use serde::Serialize;

use crate::engine::Inventory;
use crate::script::datafile::manifest_of;
use crate::script::statement::Dialect;
use crate::snapshot::manifest::Manifest;

/// How far a build had come. Each phase is recorded before it starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    /// Tables and the rest of pre-data are being created.
    PreData,
    /// Pre-data is complete; rows are being loaded, each table on its own.
    Rows,
    /// Every row is in; indexes, constraints and triggers are being built.
    PostData,
    /// The staging database is complete; only the swap was left.
    Ready,
}

impl Phase {
    fn as_str(self) -> &'static str {
        match self {
            Phase::PreData => "pre-data",
            Phase::Rows => "rows",
            Phase::PostData => "post-data",
            Phase::Ready => "ready",
        }
    }

    fn parse(s: &str) -> Option<Phase> {
        match s {
            "pre-data" => Some(Phase::PreData),
            "rows" => Some(Phase::Rows),
            "post-data" => Some(Phase::PostData),
            "ready" => Some(Phase::Ready),
            _ => None,
        }
    }
}

/// Which files a staging database was built from. The schema file is small
/// and hashed whole. A data file may be many gigabytes: its size, its first
/// and its last MiB stand for it (the last holds the manifest, every table's
/// row count and checksum, so two files that agree there load the same rows;
/// and each table kept is checked against that manifest anyway).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputIdentity {
    schema: String,
    data: String,
}

const EDGE: u64 = 1024 * 1024;

impl InputIdentity {
    /// The inputs of an `init`; None without a data file (nothing to resume).
    pub fn of(schema: &Path, data: Option<&Path>) -> Result<Option<InputIdentity>> {
        let Some(data) = data else {
            return Ok(None);
        };
        let text = std::fs::read(schema)
            .with_context(|| format!("cannot read schema file {}", schema.display()))?;
        let schema = format!("{:032x}", xxhash_rust::xxh3::xxh3_128(&text));
        let mut file = File::open(data)
            .with_context(|| format!("cannot open data file {}", data.display()))?;
        let size = file.metadata()?.len();
        let mut edges = Vec::with_capacity(2 * EDGE as usize);
        (&mut file).take(EDGE).read_to_end(&mut edges)?;
        if size > EDGE {
            file.seek(SeekFrom::Start(size.saturating_sub(EDGE).max(EDGE)))?;
            file.take(EDGE).read_to_end(&mut edges)?;
        }
        let data = format!("{size}-{:032x}", xxhash_rust::xxh3::xxh3_128(&edges));
        Ok(Some(InputIdentity { schema, data }))
    }
}

/// What an `init` builds from, as both engines take it.
pub struct InitInputs<'a> {
    pub schema: &'a Path,
    pub data: Option<&'a Path>,
    /// What a staging database records of the files (only with a data file).
    pub identity: Option<InputIdentity>,
    /// `--resume`: continue a dead run's staging database built from the same files.
    pub resume: bool,
}

impl<'a> InitInputs<'a> {
    pub fn new(schema: &'a Path, data: Option<&'a Path>, resume: bool) -> Result<Self> {
        Ok(InitInputs {
            schema,
            data,
            identity: InputIdentity::of(schema, data)?,
            resume,
        })
    }

    /// What a dead run's staging database must record to be continued:
    /// nothing is continued without `--resume`.
    pub fn wanted(&self) -> Option<&InputIdentity> {
        self.identity.as_ref().filter(|_| self.resume)
    }

    /// The note for a `--resume` that found nothing to continue.
    pub fn nothing_resumed(&self, target: &str) -> Option<String> {
        match (self.resume, self.data) {
            (false, _) => None,
            (true, Some(_)) => Some(format!(
                "--resume: no staging database of an earlier run of {target} to resume; \
                 building from scratch"
            )),
            (true, None) => {
                Some("--resume: nothing to resume without --data; building from scratch".into())
            }
        }
    }
}

/// What a staging database says about itself, as one line of text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StagingRecord {
    pub identity: InputIdentity,
    pub phase: Phase,
}

const RECORD_PREFIX: &str = "dbsnap:resume 1";

impl StagingRecord {
    pub fn text(&self) -> String {
        format!(
            "{RECORD_PREFIX} phase={} schema={} data={}",
            self.phase.as_str(),
            self.identity.schema,
            self.identity.data
        )
    }

    pub fn parse(text: &str) -> Option<StagingRecord> {
        let rest = text.strip_prefix(RECORD_PREFIX)?;
        let (mut phase, mut schema, mut data) = (None, None, None);
        for part in rest.split_whitespace() {
            match part.split_once('=')? {
                ("phase", v) => phase = Phase::parse(v),
                ("schema", v) => schema = Some(v.to_string()),
                ("data", v) => data = Some(v.to_string()),
                _ => {}
            }
        }
        Some(StagingRecord {
            identity: InputIdentity {
                schema: schema?,
                data: data?,
            },
            phase: phase?,
        })
    }
}

/// What to do with a dead run's staging database, from its record.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    Reuse(Phase),
    /// Dropped, with the reason in words.
    Drop(&'static str),
}

/// Says on stderr that the leftover database `name` was dropped, and, when
/// it was judged for `--resume`, why it was not resumed.
pub fn say_dropped(name: &str, verdict: Option<Verdict>) {
    let why = match verdict {
        Some(Verdict::Drop(why)) => format!(" (not resumed: {why})"),
        _ => String::new(),
    };
    eprintln!("dbsnap: dropped {name}, left behind by an earlier run that was killed{why}");
}

pub fn judge(record: Option<&str>, wanted: &InputIdentity) -> Verdict {
    let Some(record) = record.and_then(StagingRecord::parse) else {
        return Verdict::Drop("it records no build of dbsnap's that could be resumed");
    };
    if record.identity.schema != wanted.schema {
        return Verdict::Drop("it was built from a different schema file");
    }
    if record.identity.data != wanted.data {
        return Verdict::Drop("it was loaded from a different data file");
    }
    match record.phase {
        Phase::PreData => Verdict::Drop("it had died while creating its tables"),
        // Which indexes, constraints and triggers exist is not recorded, and
        // they cannot all be made again over themselves: start afresh.
        Phase::PostData => Verdict::Drop(
            "it had died while building indexes, constraints and triggers (post-data), \
             which are not resumed halfway",
        ),
        phase => Verdict::Reuse(phase),
    }
}

/// Tables of the manifest whose rows in the staging database are complete
/// (same row count and checksum), and the others, in manifest order.
/// Which of the data file's tables a dead run loaded completely, and which
/// not: `staging` reads the staging database as the manifest was computed,
/// while the file is read through for its manifest.
pub async fn complete_tables(
    data_file: &Path,
    dialect: Dialect,
    staging: impl std::future::Future<Output = Result<Inventory>>,
) -> Result<(Vec<String>, Vec<String>)> {
    let path = data_file.to_path_buf();
    let manifest =
        async move { tokio::task::spawn_blocking(move || manifest_of(&path, dialect)).await? };
    let (manifest, inventory) = tokio::join!(manifest, staging);
    let manifest =
        manifest.context("--resume compares the tables with the data file's manifest")?;
    Ok(split_tables(&manifest, &inventory?))
}

pub fn split_tables(manifest: &Manifest, staging: &Inventory) -> (Vec<String>, Vec<String>) {
    let mut kept = Vec::new();
    let mut reload = Vec::new();
    for entry in &manifest.tables {
        let complete = staging.tables.iter().any(|t| {
            t.name == entry.name
                && t.rows == entry.rows
                && t.checksum.as_deref() == Some(entry.checksum.as_str())
        });
        if complete {
            kept.push(entry.name.clone());
        } else {
            reload.push(entry.name.clone());
        }
    }
    (kept, reload)
}

/// What an init did, for its last words (and `--json`).
#[derive(Debug, Default, Serialize)]
pub struct InitReport {
    /// The dead run's staging database this run continued.
    pub resumed: Option<String>,
    /// The phase the dead run had reached.
    pub resumed_phase: Option<Phase>,
    /// Tables whose rows were kept from the dead run.
    pub kept: Vec<String>,
    /// Tables (re)loaded by this run, when it resumed.
    pub reloaded: Vec<String>,
    /// What else the run has to say about resuming.
    pub notes: Vec<String>,
}

impl InitReport {
    /// One line on what was reused, when something was.
    pub fn resumed_line(&self) -> Option<String> {
        let staging = self.resumed.as_ref()?;
        let what = match self.resumed_phase {
            Some(Phase::Ready) => "its build was complete; only the swap was left".to_string(),
            _ => format!(
                "kept {} (rows and checksums match the manifest); reloaded {}",
                list(&self.kept),
                list(&self.reloaded)
            ),
        };
        Some(format!("resumed {staging}: {what}"))
    }
}

/// `3 tables (a, b, c)`, with long lists cut.
fn list(names: &[String]) -> String {
    const SHOWN: usize = 20;
    let shown: Vec<&str> = names.iter().take(SHOWN).map(String::as_str).collect();
    let more = names.len().saturating_sub(SHOWN);
    let tail = if more > 0 {
        format!(" and {more} more")
    } else {
        String::new()
    };
    if shown.is_empty() {
        return "0 tables".into();
    }
    let noun = if names.len() == 1 { "table" } else { "tables" };
    format!("{} {noun} ({}{tail})", names.len(), shown.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::TableState;
    use crate::snapshot::manifest::TableEntry;

    fn identity() -> InputIdentity {
        InputIdentity {
            schema: "a".repeat(32),
            data: format!("10-{}", "b".repeat(32)),
        }
    }

    #[test]
    fn a_record_reads_back_and_is_judged_by_both_files() {
        let mut record = StagingRecord {
            identity: identity(),
            phase: Phase::PostData,
        };
        assert_eq!(StagingRecord::parse(&record.text()), Some(record.clone()));
        assert!(
            matches!(judge(Some(&record.text()), &identity()), Verdict::Drop(w) if w.contains("post-data"))
        );
        record.phase = Phase::Rows;
        assert_eq!(
            judge(Some(&record.text()), &identity()),
            Verdict::Reuse(Phase::Rows)
        );
        let mut other = identity();
        other.data = "11-x".into();
        assert!(
            matches!(judge(Some(&record.text()), &other), Verdict::Drop(w) if w.contains("data file"))
        );
        other = identity();
        other.schema = "c".into();
        assert!(
            matches!(judge(Some(&record.text()), &other), Verdict::Drop(w) if w.contains("schema file"))
        );
        assert!(matches!(judge(None, &identity()), Verdict::Drop(_)));
        assert!(matches!(
            judge(Some("a comment"), &identity()),
            Verdict::Drop(_)
        ));
    }

    #[test]
    fn only_tables_that_match_the_manifest_are_kept() {
        // name, then rows and checksum in the manifest and in the staging database
        let tables = [
            ("a", (2, "x"), (2, "x")),
            ("b", (2, "y"), (2, "other")),
            ("c", (2, "z"), (1, "z")),
            ("d", (0, "0"), (0, "0")),
        ];
        let manifest = Manifest {
            engine: Some(crate::config::EngineKind::Postgres),
            tables: tables
                .iter()
                .map(|&(name, (rows, sum), _)| TableEntry {
                    name: name.into(),
                    rows,
                    checksum: sum.into(),
                })
                .collect(),
            sequences: vec![],
        };
        let staging = Inventory {
            tables: tables
                .iter()
                .map(|&(name, _, (rows, sum))| TableState {
                    name: name.into(),
                    rows,
                    checksum: Some(sum.into()),
                })
                .collect(),
            sequences: vec![],
            outside_tables: vec![],
        };
        let (kept, reload) = split_tables(&manifest, &staging);
        assert_eq!(kept, vec!["a", "d"]);
        assert_eq!(reload, vec!["b", "c"]);
    }
}
