use anyhow::Result;

use crate::cli::CheckArgs;
use crate::engine::Engine;

pub async fn run(args: CheckArgs) -> Result<u8> {
    let manifest = Engine::check_file(&args.path).await?;
    let rows: u64 = manifest.tables.iter().map(|t| t.rows).sum();
    if args.json {
        let json = serde_json::json!({
            "path": args.path,
            "engine": manifest.engine.map(crate::config::EngineKind::marker),
            "tables": manifest.tables,
            "sequences": manifest.sequences,
            "rows": rows,
            "ok": true,
        });
        println!("{}", serde_json::to_string_pretty(&json)?);
    }
    eprintln!(
        "dbsnap: {} is complete: {} tables, {rows} rows, {} sequences match its manifest",
        args.path.display(),
        manifest.tables.len(),
        manifest.sequences.len()
    );
    Ok(0)
}
