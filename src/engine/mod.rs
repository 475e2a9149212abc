//! The engine seam: one closed enum over the supported databases. Commands call
//! these methods and never branch on the engine themselves.

pub mod order;
pub mod postgres;

use std::io::Write;
use std::path::Path;

use anyhow::Result;

use crate::config::{ConnectionSpec, EngineKind};

/// Options that shape a schema snapshot.
#[derive(Debug, Clone, Default)]
pub struct SchemaOptions {
    /// Leave out objects of unsupported kinds instead of failing.
    pub skip_unsupported: bool,
}

/// What an export wrote, for the summary line.
#[derive(Debug, Default)]
pub struct SchemaSummary {
    pub objects: usize,
    /// Objects left out because of `--skip-unsupported`.
    pub skipped: Vec<String>,
}

pub enum Engine {
    Postgres(postgres::Postgres),
}

impl Engine {
    pub fn for_spec(spec: &ConnectionSpec) -> Result<Engine> {
        match spec.engine {
            EngineKind::Postgres => Ok(Engine::Postgres(postgres::Postgres::new(spec.clone()))),
            EngineKind::MySql => anyhow::bail!(
                "MySQL/MariaDB is not supported yet ({}); only postgres:// URLs work in this version",
                spec.redacted()
            ),
        }
    }

    pub async fn export_schema(&self, opts: &SchemaOptions, out: &mut dyn Write) -> Result<SchemaSummary> {
        match self {
            Engine::Postgres(pg) => pg.export_schema(opts, out).await,
        }
    }

    pub async fn database_exists(&self) -> Result<bool> {
        match self {
            Engine::Postgres(pg) => pg.database_exists().await,
        }
    }

    /// Builds the target database from a schema file under a temporary name and
    /// swaps it in only when complete; the existing database is untouched on failure.
    pub async fn init(&self, schema: &Path) -> Result<()> {
        match self {
            Engine::Postgres(pg) => pg.init(schema).await,
        }
    }

    pub fn database_name(&self) -> &str {
        match self {
            Engine::Postgres(pg) => &pg.spec().dbname,
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Engine::Postgres(pg) => pg.spec().redacted(),
        }
    }
}
