//! The check a schema file passes before `init` runs any of it: it is one
//! of ours or a plain script for the target's engine, it is complete, and
//! none of its statements acts outside the target database.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use anyhow::{anyhow, bail, Context, Result};

use super::statement::{outside_target, Dialect};
use super::{Item, MysqlReader, PsqlReader};
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
