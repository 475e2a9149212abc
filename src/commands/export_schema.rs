use std::io::{BufWriter, Write};

use anyhow::Result;

use crate::cli::ExportSchemaArgs;
use crate::config::ConnectionSpec;
use crate::engine::{Engine, SchemaOptions};
use crate::snapshot::output::Output;

pub async fn run(args: ExportSchemaArgs) -> Result<u8> {
    let spec = ConnectionSpec::resolve(&args.connect)?;
    let engine = Engine::for_spec(&spec)?;
    let opts = SchemaOptions {
        skip_unsupported: args.skip_unsupported,
        with_subscriptions: args.with_subscriptions,
        keep_auto_increment: args.keep_auto_increment,
        keep_definer: args.keep_definer,
    };
    let written = async {
        let mut output = Output::create(&args.output)?;
        let summary = {
            let mut writer = BufWriter::with_capacity(256 * 1024, &mut output);
            let summary = engine.export_schema(&opts, &mut writer).await?;
            writer.flush()?;
            summary
        };
        let to_stdout = output.is_stdout();
        output.commit()?;
        anyhow::Ok((summary, to_stdout))
    };
    // A failed run leaves no file behind: say so, as export-data does.
    let (summary, to_stdout) = written.await.map_err(|e| match args.output.to_str() {
        Some("-") => e,
        _ => e.context(format!("{} was not written", args.output.display())),
    })?;
    for object in &summary.skipped {
        eprintln!("dbsnap: skipped unsupported {object}");
    }
    if !to_stdout {
        eprintln!(
            "dbsnap: wrote {} objects to {}",
            summary.objects,
            args.output.display()
        );
    }
    Ok(0)
}
