use anyhow::Result;

use crate::cli::CheckArgs;
use crate::engine::Engine;
use crate::error::{damaged_file, Report};

pub async fn run(args: CheckArgs) -> Result<u8> {
    let manifest = match Engine::check_file(&args.path).await {
        Ok(manifest) => manifest,
        Err(err) => {
            if args.json {
                // A machine reading the result learns where the file is damaged.
                let at = damaged_file(&err);
                let json = serde_json::json!({
                    "path": args.path,
                    "ok": false,
                    "line": at.map(|e| e.line),
                    "error": Report(&err).to_string(),
                });
                println!("{}", serde_json::to_string_pretty(&json)?);
            }
            return Err(err);
        }
    };
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
        "dbsnap: {} is complete: {}, {}, {} match its manifest",
        args.path.display(),
        super::counted(manifest.tables.len() as u64, "table"),
        super::counted(rows, "row"),
        super::counted(manifest.sequences.len() as u64, "sequence")
    );
    Ok(0)
}
