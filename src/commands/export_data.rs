use std::io::BufWriter;
use std::path::PathBuf;

use anyhow::{Context, Result};

use crate::cli::ExportDataArgs;
use crate::config::ConnectionSpec;
use crate::engine::{DataOptions, Engine};
use crate::error::UsageError;
use crate::snapshot::compress::Compression;
use crate::snapshot::output::{self, Output};
use crate::snapshot::pieces::{Pieces, Slot};

pub async fn run(args: ExportDataArgs) -> Result<u8> {
    let path = match &args.output {
        Some(path) => path.clone(),
        None => default_path(args.compress.unwrap_or(Compression::None)),
    };
    let compression = Compression::for_output(&path, args.compress).map_err(UsageError)?;
    let spec = ConnectionSpec::resolve(&args.connect)?;
    let engine = Engine::for_spec(&spec)?;
    let opts = DataOptions {
        tables: args.tables.clone(),
        exclude_tables: args.exclude_tables.clone(),
        exclude_table_data: args.exclude_table_data.clone(),
        jobs: args.jobs.map(usize::from),
        no_large_objects: args.no_large_objects,
        no_history: args.no_history,
    };

    let output = Output::create(&path).map_err(|e| output::failed(e, &path, None))?;
    let to_stdout = output.is_stdout();
    // Tables are spooled beside the output (or in the temp dir for stdout).
    let spool_dir = if to_stdout {
        std::env::temp_dir()
    } else {
        output::folder_of(&path)
    };
    let writer = Slot::share(BufWriter::with_capacity(1024 * 1024, output));
    let mut pieces = Pieces::new(&writer, compression, &spool_dir);
    let written = async {
        let manifest = engine.export_data(&opts, &mut pieces).await?;
        let output = Slot::take(&writer)
            .context("the snapshot's output was lost")?
            .into_inner()
            .map_err(|e| e.into_error())?;
        output.commit()?;
        anyhow::Ok(manifest)
    };
    // A failed run leaves no file behind, and a stream is cut or got
    // nothing: say which.
    let manifest = written.await.map_err(|e| {
        // What is still buffered is dropped here, not flushed: the stream
        // gets nothing more.
        let stream =
            to_stdout.then(|| Slot::take(&writer).is_none_or(|w| w.into_parts().0.started()));
        output::failed(e, &path, stream)
    })?;

    let rows: u64 = manifest.tables.iter().map(|t| t.rows).sum();
    if args.json && !to_stdout {
        let json = serde_json::json!({
            "path": path,
            "engine": manifest.engine.map(crate::config::EngineKind::marker),
            "tables": manifest.tables,
            "sequences": manifest.sequences,
            "rows": rows,
        });
        println!("{}", serde_json::to_string_pretty(&json)?);
    }
    if !to_stdout {
        eprintln!(
            "dbsnap: wrote {}, {} to {}",
            super::counted(manifest.tables.len() as u64, "table"),
            super::counted(rows, "row"),
            path.display()
        );
    }
    Ok(0)
}

/// `sql/data_export_YYYYMMDD_HHMMSS.sql[.gz|.zst]`, time in UTC.
fn default_path(compression: Compression) -> PathBuf {
    let stamp = chrono::Utc::now().format("%Y%m%d_%H%M%S");
    PathBuf::from(format!(
        "sql/data_export_{stamp}.sql{}",
        compression.extension()
    ))
}
