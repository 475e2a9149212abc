use anyhow::Result;

use crate::cli::ImportArgs;
use crate::commands::input::check_file;
use crate::config::ConnectionSpec;
use crate::engine::{Engine, ImportOptions};

pub async fn run(args: ImportArgs) -> Result<u8> {
    let spec = ConnectionSpec::resolve(&args.connect)?;
    let engine = Engine::for_spec(&spec)?;
    check_file(&args.path, "data file")?;
    let opts = ImportOptions {
        disable_constraints: args.disable_constraints,
        truncate: args.truncate,
        lock_timeout: args.lock_timeout,
    };
    let summary = engine.import(&args.path, &opts).await?;
    if args.json {
        let json = serde_json::json!({
            "path": args.path,
            "tables": summary.tables,
            "rows": summary.rows,
            "manifest_verified": summary.verified,
        });
        println!("{}", serde_json::to_string_pretty(&json)?);
    }
    let checked = if summary.verified {
        ", matching the file's manifest"
    } else {
        ""
    };
    eprintln!(
        "dbsnap: loaded {} into {} of {} from {}{checked}",
        super::counted(summary.rows, "row"),
        super::counted(summary.tables as u64, "table"),
        engine.database_name(),
        args.path.display()
    );
    Ok(0)
}
