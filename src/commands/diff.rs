//! The schema drift gate: a file against a database, two databases, or two files.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use crate::cli::DiffArgs;
use crate::config::{ConnectionSpec, EngineKind};
use crate::diff::kinds::Ignored;
use crate::diff::report::{self, Sides};
use crate::diff::{compare, read_objects};
use crate::engine::{Engine, SchemaOptions};
use crate::error::{Differences, UsageError};

/// A schema in the form `export-schema` writes, and where it came from.
struct Snapshot {
    origin: String,
    engine: EngineKind,
    text: Vec<u8>,
}

/// Ctrl-C while a scratch database existed; it has been dropped.
#[derive(Debug, thiserror::Error)]
#[error("interrupted")]
struct Interrupted;

pub async fn run(args: DiffArgs) -> Result<u8> {
    let ignored = Ignored::parse(&args.ignore)?;
    let scratch_server = match &args.scratch_url {
        Some(url) => Some(Engine::for_spec(&ConnectionSpec::from_url(url)?)?),
        None => None,
    };
    let sides = match sides(&args, scratch_server.as_ref()).await {
        Err(err) if err.is::<Interrupted>() => {
            eprintln!("dbsnap: interrupted; the scratch database was dropped");
            return Ok(130);
        }
        other => other?,
    };
    let (from, to) = sides;
    if from.engine != to.engine {
        bail!(
            "{} is a {:?} schema and {} a {:?} one; diff compares schemas of one engine",
            from.origin,
            from.engine,
            to.origin,
            to.engine
        );
    }
    let from_objects = read_objects(&from.text, &from.origin, from.engine, &ignored)?;
    let to_objects = read_objects(&to.text, &to.origin, to.engine, &ignored)?;
    let comparison = compare(&from_objects, &to_objects);
    let sides = Sides {
        from: from.origin,
        to: to.origin,
    };
    if args.json {
        print!("{}", report::json(&sides, &comparison, &ignored));
    } else {
        print!("{}", report::text(&sides, &comparison, &ignored));
    }
    if !comparison.differences.is_empty() {
        return Err(Differences {
            count: comparison.differences.len(),
        }
        .into());
    }
    Ok(0)
}

/// The two sides, in the order `-` (file, source, OLD) then `+` (database, target, NEW).
async fn sides(args: &DiffArgs, scratch_server: Option<&Engine>) -> Result<(Snapshot, Snapshot)> {
    if let [old, new] = args.files.as_slice() {
        return match scratch_server {
            Some(server) => Ok((
                through_scratch(server, old).await?,
                through_scratch(server, new).await?,
            )),
            None => Ok((read_file(old)?, read_file(new)?)),
        };
    }
    if let (Some(source), Some(target)) = (&args.source, &args.target) {
        let source = Engine::for_spec(&ConnectionSpec::from_url(source)?)?;
        let target = Engine::for_spec(&ConnectionSpec::from_url(target)?)?;
        return Ok((export(&source).await?, export(&target).await?));
    }
    let Some(schema) = &args.schema else {
        return Err(UsageError(
            "diff needs --schema FILE (with --url or DATABASE_URL), --source URL --target URL, \
             or two files OLD.sql NEW.sql"
                .to_string(),
        )
        .into());
    };
    if !schema.is_file() {
        bail!("schema file {} does not exist", schema.display());
    }
    let live = Engine::for_spec(&ConnectionSpec::resolve(&args.connect)?)?;
    // The live side first: it is only read, and Ctrl-C then only has the
    // scratch database to clean up.
    let to = export(&live).await?;
    let from = through_scratch(scratch_server.unwrap_or(&live), schema).await?;
    Ok((from, to))
}

/// The database's schema, exported as `export-schema` does (read-only).
async fn export(engine: &Engine) -> Result<Snapshot> {
    let origin = engine.describe();
    let mut text = Vec::new();
    engine
        .export_schema(&SchemaOptions::default(), &mut text)
        .await
        .with_context(|| format!("reading the schema of {origin}"))?;
    Ok(Snapshot {
        origin,
        engine: engine.kind(),
        text,
    })
}

/// A schema file as the database it builds would be exported: loaded into a
/// scratch database on `server` with `init`'s loader, exported, and dropped
/// whatever happens (also on Ctrl-C).
async fn through_scratch(server: &Engine, file: &Path) -> Result<Snapshot> {
    if let Ok(engine) = crate::snapshot::detect_engine(file) {
        if engine != server.kind() {
            bail!(
                "{} is a {engine:?} snapshot; the scratch server {} is not",
                file.display(),
                server.describe()
            );
        }
    }
    let scratch = server.scratch("diff");
    // A signal is handled in main, which drops what is registered.
    let _registered = scratch.register_for_cleanup();
    crate::script::schemafile::check(file, scratch.dialect())?;
    let work = async {
        scratch.create_from_schema(file).await?;
        let mut text = Vec::new();
        scratch
            .export_schema(&SchemaOptions::default(), &mut text)
            .await
            .with_context(|| {
                format!(
                    "reading back {} from the scratch database {}",
                    file.display(),
                    scratch.database_name()
                )
            })?;
        Ok::<_, anyhow::Error>(text)
    };
    let outcome = Some(work.await);
    let dropped = scratch.drop_scratch().await.with_context(|| {
        format!(
            "the scratch database {} could not be dropped; drop it by hand",
            scratch.describe()
        )
    });
    let text = match outcome {
        None => {
            dropped?;
            return Err(Interrupted.into());
        }
        Some(result) => result.with_context(|| {
            format!(
                "loading {} into a scratch database on {}",
                file.display(),
                server.describe()
            )
        })?,
    };
    dropped?;
    Ok(Snapshot {
        origin: file.display().to_string(),
        engine: server.kind(),
        text,
    })
}

/// A snapshot file compared as it is, without a server.
fn read_file(path: &PathBuf) -> Result<Snapshot> {
    let engine = crate::snapshot::detect_engine(path).context(
        "two files are compared offline only as written by `dbsnap export-schema`; \
         give --scratch-url URL to load them into a scratch database first",
    )?;
    let text = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    Ok(Snapshot {
        origin: path.display().to_string(),
        engine,
        text,
    })
}
