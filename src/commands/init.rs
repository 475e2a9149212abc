use std::io::{BufRead, IsTerminal, Write};

use anyhow::{bail, Result};

use crate::cli::InitArgs;
use crate::commands::input::check_file;
use crate::config::ConnectionSpec;
use crate::engine::Engine;

pub async fn run(args: InitArgs) -> Result<u8> {
    let spec = ConnectionSpec::resolve(&args.connect)?;
    let mut engine = Engine::for_spec(&spec)?;
    engine.set_lock_timeout(args.lock_timeout);
    check_file(&args.schema, "schema file")?;
    // Before anything is created or asked: the whole file is read once.
    crate::script::schemafile::check(&args.schema, engine.dialect())?;
    if let Some(data) = &args.data {
        check_file(data, "data file")?;
    }
    if engine.database_exists().await? && !args.yes {
        confirm_replace(engine.database_name(), &engine.describe())?;
    }
    let report = engine
        .init(&args.schema, args.data.as_deref(), args.resume)
        .await?;
    for note in &report.notes {
        eprintln!("dbsnap: {note}");
    }
    if let Some(line) = report.resumed_line() {
        eprintln!("dbsnap: {line}");
    }
    match &args.data {
        Some(data) => eprintln!(
            "dbsnap: database {} built from {} with the data of {}",
            engine.database_name(),
            args.schema.display(),
            data.display()
        ),
        None => eprintln!(
            "dbsnap: database {} built from {}",
            engine.database_name(),
            args.schema.display()
        ),
    }
    Ok(0)
}

/// Replacing a database needs its name typed back, as sqlx-cli's drop does;
/// without a terminal there is nobody to ask, so the answer is no.
fn confirm_replace(dbname: &str, where_: &str) -> Result<()> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        bail!(
            "database {dbname} already exists ({where_}); refusing to replace it without --yes \
             (no terminal to ask). Nothing was changed."
        );
    }
    eprint!("Database {dbname} already exists ({where_}).\nIt will be REPLACED. Type its name to continue: ");
    std::io::stderr().flush()?;
    let mut answer = String::new();
    stdin.lock().read_line(&mut answer)?;
    if answer.trim_end_matches(['\n', '\r']) != dbname {
        bail!("not confirmed; database {dbname} was left as it was");
    }
    Ok(())
}
