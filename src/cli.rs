//! Command-line definitions only. Shared argument groups are defined once and
//! flattened into each command, as sqlx-cli does.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "dbsnap",
    version,
    about = "Deterministic schema and data snapshots for PostgreSQL and MySQL/MariaDB",
    after_help = "Examples:\n  \
      dbsnap export-schema --url postgres://postgres@localhost/app\n  \
      dbsnap init --url postgres://postgres@localhost/app_new --schema sql/init_schema.sql\n  \
      DATABASE_URL=postgres://postgres@localhost/app dbsnap export-schema -o - | less\n\n\
      Exit codes: 0 ok, 1 error, 2 usage, 3 verification found differences."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write a schema-only snapshot (default: sql/init_schema.sql).
    #[command(after_help = "Examples:\n  \
        dbsnap export-schema --url postgres://postgres@localhost/app\n  \
        dbsnap export-schema --url postgres://postgres@localhost/app -o - | less\n  \
        DB_HOST=db DB_USER=app DB_NAME=app dbsnap export-schema -o /tmp/schema.sql")]
    ExportSchema(ExportSchemaArgs),
    /// Build a fresh database from a schema snapshot, replacing it only on success.
    #[command(after_help = "Examples:\n  \
        dbsnap init --url postgres://postgres@localhost/app_new --schema sql/init_schema.sql\n  \
        dbsnap init --url postgres://postgres@localhost/app_new --schema sql/init_schema.sql --yes\n\n\
        If the database exists you are asked to type its name before it is replaced.\n\
        Without a terminal, init refuses unless --yes is given.")]
    Init(InitArgs),
}

/// How to reach a database. Resolution order: --url, DATABASE_URL, the DB_*
/// variables, then (PostgreSQL) libpq's PG* variables and ~/.pgpass.
#[derive(Debug, Args, Clone, Default)]
pub struct ConnectArgs {
    /// Connection URL, e.g. postgres://user@host:5432/db?sslmode=require.
    /// Falls back to DATABASE_URL, then DB_HOST/DB_PORT/DB_USER/DB_PASS/DB_NAME,
    /// then PGHOST/PGPORT/PGUSER/PGPASSWORD/PGDATABASE and ~/.pgpass.
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,
}

#[derive(Debug, Args)]
pub struct ExportSchemaArgs {
    #[command(flatten)]
    pub connect: ConnectArgs,
    /// Output path; `-` writes to stdout.
    #[arg(short = 'o', long = "output", value_name = "PATH", default_value = "sql/init_schema.sql")]
    pub output: PathBuf,
    /// Leave out objects of kinds dbsnap cannot export (they are listed on
    /// stderr) instead of failing.
    #[arg(long)]
    pub skip_unsupported: bool,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    #[command(flatten)]
    pub connect: ConnectArgs,
    /// Schema snapshot to build from.
    #[arg(long, value_name = "PATH")]
    pub schema: PathBuf,
    /// Replace an existing database without asking.
    #[arg(short = 'y', long)]
    pub yes: bool,
}

/// Parses the command line. Usage errors exit with 2, help and version with 0.
pub fn parse() -> Result<Cli, ExitCode> {
    Cli::try_parse().map_err(|err| {
        let _ = err.print();
        if err.use_stderr() {
            ExitCode::from(2)
        } else {
            ExitCode::SUCCESS
        }
    })
}
