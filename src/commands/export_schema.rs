use std::io::{BufWriter, Write};

use anyhow::Result;

use crate::cli::ExportSchemaArgs;
use crate::config::ConnectionSpec;
use crate::engine::{Engine, SchemaOptions};
use crate::snapshot::output::{self, Output};

pub async fn run(args: ExportSchemaArgs) -> Result<u8> {
    let spec = ConnectionSpec::resolve(&args.connect)?;
    let engine = Engine::for_spec(&spec)?;
    let opts = SchemaOptions {
        skip_unsupported: args.skip_unsupported,
        with_subscriptions: args.with_subscriptions,
        keep_auto_increment: args.keep_auto_increment,
        keep_definer: args.keep_definer,
    };
    let output = Output::create(&args.output).map_err(|e| output::failed(e, &args.output, None))?;
    let to_stdout = output.is_stdout();
    let mut writer = BufWriter::with_capacity(256 * 1024, output);
    let written = async {
        let summary = engine.export_schema(&opts, &mut writer).await?;
        writer.flush()?;
        anyhow::Ok(summary)
    }
    .await;
    // A failed run leaves no file behind, and a stream is cut or got
    // nothing: say which, as export-data does. What is still buffered is
    // dropped, not flushed.
    let summary = match written {
        Ok(summary) => summary,
        Err(e) => {
            let stream = to_stdout.then(|| writer.into_parts().0.started());
            return Err(output::failed(e, &args.output, stream));
        }
    };
    let committed = match writer.into_inner() {
        Ok(output) => output.commit(),
        Err(e) => Err(e.into_error().into()),
    };
    committed.map_err(|e| output::failed(e, &args.output, to_stdout.then_some(true)))?;
    for object in &summary.skipped {
        eprintln!("dbsnap: skipped unsupported {object}");
    }
    if !to_stdout {
        eprintln!(
            "dbsnap: wrote {} to {}",
            super::counted(summary.objects as u64, "object"),
            args.output.display()
        );
    }
    Ok(0)
}
