//! Command-line definitions only. Shared argument groups are defined once and
//! flattened into each command, as sqlx-cli does.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

/// `dbsnap --version`: the crate version and the git commit it was built from.
const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("DBSNAP_GIT_COMMIT"),
    ")"
);

#[derive(Debug, Parser)]
#[command(
    name = "dbsnap",
    version = VERSION,
    about = "Deterministic schema and data snapshots for PostgreSQL and MySQL/MariaDB",
    after_help = "Examples:\n  \
      dbsnap export-schema --url postgres://postgres@localhost/app\n  \
      dbsnap init --url postgres://postgres@localhost/app_new --schema sql/init_schema.sql\n  \
      DATABASE_URL=postgres://postgres@localhost/app dbsnap export-schema -o - | less\n  \
      dbsnap diff --schema sql/init_schema.sql --url postgres://postgres@localhost/app\n\n\
      Exit codes: 0 ok, 1 error, 2 usage, 3 verify or diff found differences."
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
        dbsnap init --url postgres://postgres@localhost/app_new --schema sql/init_schema.sql --yes\n  \
        dbsnap init --url postgres://postgres@localhost/app --schema S --data FILE --yes --resume\n\n\
        If the database exists you are asked to type its name before it is replaced.\n\
        Without a terminal, init refuses unless --yes is given.")]
    Init(InitArgs),
    /// Write a data-only snapshot of every table, with a manifest and end marker.
    #[command(after_help = "Examples:\n  \
        dbsnap export-data --url postgres://postgres@localhost/app\n  \
        dbsnap export-data --url postgres://postgres@localhost/app -o backups/app.sql.zst\n  \
        dbsnap export-data --url postgres://postgres@localhost/app --compress gzip --exclude-table-data 'audit_*'\n\n\
        The default file name is sql/data_export_YYYYMMDD_HHMMSS.sql, with the time in UTC.\n\
        All tables are read in one consistent snapshot. The file appears only when complete (mode 0600).")]
    ExportData(ExportDataArgs),
    /// Load a data file (ours, pg_dump's plain format or a mysqldump file) in one transaction.
    #[command(after_help = "Examples:\n  \
        dbsnap import --url postgres://postgres@localhost/app_new sql/data_export_20261121_020000.sql.gz\n  \
        dbsnap import --url postgres://postgres@localhost/app --truncate --disable-constraints dump.sql\n  \
        dbsnap import --url mysql://root@localhost/app --lock-timeout 30 nightly.sql.zst\n\n\
        Plain, gzip and zstd files are recognised by their content. On any error nothing is committed.")]
    Import(ImportArgs),
    /// Compare row counts, sequences and (with --checksum) content: exit 3 on differences.
    #[command(after_help = "Examples:\n  \
        dbsnap verify --source postgres://postgres@localhost/app --target postgres://postgres@localhost/app_new --checksum\n  \
        dbsnap verify --manifest sql/data_export_20261121_020000.sql.gz --target postgres://postgres@localhost/app_new\n  \
        dbsnap verify --manifest FILE --target URL --json | jq .differences\n\n\
        Exit codes: 0 everything matches, 3 differences (all are listed), 1 could not check.")]
    Verify(VerifyArgs),
    /// Check a data snapshot without a database: end marker, rows and checksums.
    #[command(after_help = "Examples:\n  \
        dbsnap check sql/data_export_20261121_020000.sql.zst\n  \
        dbsnap check --json backup.sql.gz\n\n\
        Exit codes: 0 the file is complete and matches its manifest, 1 it does not.")]
    Check(CheckArgs),
    /// Compare two schemas object by object (file vs database, two databases, two files): exit 3 on drift.
    #[command(after_help = "Examples:\n  \
        dbsnap diff --schema sql/init_schema.sql --url postgres://postgres@localhost/app\n  \
        dbsnap diff --source postgres://app@prod/app --target postgres://app@staging/app\n  \
        dbsnap diff sql/init_schema.sql /tmp/new_schema.sql\n  \
        dbsnap diff --schema sql/init_schema.sql --url mysql://root@localhost/app --ignore comments --json\n\n\
        A schema file is loaded into a scratch database (a staging name on the URL's server, or on\n\
        --scratch-url) and exported again, so formatting and statement order never count; the scratch\n\
        database is always dropped. The live databases are only read.\n\
        Report: `+ KIND NAME` only in the database (target, NEW), `- KIND NAME` only in the file\n\
        (source, OLD), `~ KIND NAME` differs, followed by a unified diff of its DDL.\n\
        Objects dbsnap cannot export make diff fail with their list.\n\n\
        Exit codes: 0 identical, 3 differences (all are listed), 1 could not compare, 2 usage.")]
    Diff(DiffArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    #[command(after_help = "Examples:\n  \
        dbsnap completions bash > ~/.local/share/bash-completion/completions/dbsnap\n  \
        dbsnap completions zsh > ~/.zfunc/_dbsnap\n  \
        dbsnap completions fish > ~/.config/fish/completions/dbsnap.fish")]
    Completions(CompletionsArgs),
    /// Print the manual page (roff), e.g. `dbsnap man | man -l -`.
    Man,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum, value_name = "SHELL")]
    pub shell: clap_complete::Shell,
}

/// The clap definition itself, for generated completions and manual pages.
pub fn command() -> clap::Command {
    <Cli as clap::CommandFactory>::command()
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// OLD.sql NEW.sql: two schema snapshots, compared offline object by object
    /// (or loaded through --scratch-url).
    #[arg(value_name = "FILE", num_args = 2, conflicts_with_all = ["schema", "source", "target", "url"])]
    pub files: Vec<PathBuf>,
    /// Schema file to compare with the database (--url, else DATABASE_URL or DB_*).
    #[arg(long, value_name = "PATH", conflicts_with_all = ["source", "target"])]
    pub schema: Option<PathBuf>,
    #[command(flatten)]
    pub connect: ConnectArgs,
    /// The database to compare from (e.g. production).
    #[arg(long, value_name = "URL", requires = "target", conflicts_with = "url")]
    pub source: Option<String>,
    /// The database to compare with it (e.g. staging).
    #[arg(long, value_name = "URL", requires = "source", conflicts_with = "url")]
    pub target: Option<String>,
    /// Where to load schema files: a database URL on a server where dbsnap may
    /// create and drop a scratch database (default: the --url server).
    #[arg(long, value_name = "URL")]
    pub scratch_url: Option<String>,
    /// Leave out objects of KIND (e.g. comments, indexes, triggers). Repeatable.
    #[arg(long = "ignore", value_name = "KIND")]
    pub ignore: Vec<String>,
    /// Print every difference with both sides' DDL as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Data snapshot to check.
    #[arg(value_name = "PATH")]
    pub path: PathBuf,
    /// Print the manifest as JSON on stdout.
    #[arg(long)]
    pub json: bool,
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
    #[arg(
        short = 'o',
        long = "output",
        value_name = "PATH",
        default_value = "sql/init_schema.sql"
    )]
    pub output: PathBuf,
    /// Leave out objects of kinds dbsnap cannot export (they are listed on
    /// stderr) instead of failing.
    #[arg(long)]
    pub skip_unsupported: bool,
    /// PostgreSQL: write the database's subscriptions, as pg_dump does, with
    /// `connect = false` (loading the file neither connects nor creates a slot,
    /// and they start disabled). Left out by default: they name another
    /// server, and their connection string may hold a password.
    #[arg(long)]
    pub with_subscriptions: bool,
    /// MySQL/MariaDB: keep the tables' AUTO_INCREMENT=N counters (left out by
    /// default so that the file depends only on the schema).
    #[arg(long)]
    pub keep_auto_increment: bool,
    /// MySQL/MariaDB: keep DEFINER= clauses of views, routines, triggers and events.
    #[arg(long)]
    pub keep_definer: bool,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    #[command(flatten)]
    pub connect: ConnectArgs,
    /// Schema snapshot to build from.
    #[arg(long, value_name = "PATH")]
    pub schema: PathBuf,
    /// Data snapshot to load between the pre-data and post-data sections.
    #[arg(long, value_name = "PATH")]
    pub data: Option<PathBuf>,
    /// Replace an existing database without asking.
    #[arg(short = 'y', long)]
    pub yes: bool,
    /// Continue the staging database of an earlier init of this target that
    /// was killed, if it was built from the same --schema and --data files:
    /// tables whose rows match the data file's manifest are kept, the others
    /// reloaded. Without it, such a leftover is dropped.
    #[arg(long)]
    pub resume: bool,
    /// MySQL/MariaDB: seconds each step of the swap waits for a lock held by
    /// another session before it gives up and leaves the database as it was.
    #[arg(long, value_name = "SECONDS", default_value_t = 10)]
    pub lock_timeout: u64,
}

#[derive(Debug, Args)]
pub struct ExportDataArgs {
    #[command(flatten)]
    pub connect: ConnectArgs,
    /// Output path (default sql/data_export_YYYYMMDD_HHMMSS.sql, UTC); `-` writes to stdout.
    /// A .gz or .zst extension compresses.
    #[arg(short = 'o', long = "output", value_name = "PATH")]
    pub output: Option<PathBuf>,
    /// Compression, if the file name does not say (.gz, .zst).
    #[arg(long, value_enum, value_name = "KIND")]
    pub compress: Option<crate::snapshot::compress::Compression>,
    /// Only tables matching PATTERN (`*` wildcard; `schema.table` or `table`). Repeatable.
    #[arg(long = "table", short = 't', value_name = "PATTERN")]
    pub tables: Vec<String>,
    /// Leave out tables matching PATTERN. Repeatable.
    #[arg(long = "exclude-table", short = 'T', value_name = "PATTERN")]
    pub exclude_tables: Vec<String>,
    /// Keep the table in the file but leave out its rows. Repeatable.
    #[arg(long = "exclude-table-data", value_name = "PATTERN")]
    pub exclude_table_data: Vec<String>,
    /// PostgreSQL: snapshot a database that holds large objects
    /// (pg_largeobject) without them. Data snapshots cannot carry large
    /// objects, so without this flag the export refuses such a database.
    #[arg(long)]
    pub no_large_objects: bool,
    /// MariaDB: snapshot system-versioned tables without their history rows
    /// (only the current rows). Data snapshots cannot carry the history, so
    /// without this flag the export refuses such tables.
    #[arg(long)]
    pub no_history: bool,
    /// Tables read at once, each on its own connection in the same snapshot.
    /// Default: 2 for PostgreSQL (shared with pg_export_snapshot) and MariaDB
    /// (BACKUP STAGE BLOCK_COMMIT pauses commits for a moment; big tables are
    /// read in key ranges). Default 1 for MySQL, where more than one needs FLUSH
    /// TABLES WITH READ LOCK for a moment. Both drop sequence caches.
    #[arg(short = 'j', long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=16))]
    pub jobs: Option<u16>,
    /// Print the manifest as JSON on stdout when done.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    #[command(flatten)]
    pub connect: ConnectArgs,
    /// Data file: plain, .gz or .zst (recognised by content).
    #[arg(value_name = "PATH")]
    pub path: PathBuf,
    /// Load with constraints not enforced. PostgreSQL: session_replication_role =
    /// replica (foreign keys and triggers off). MySQL/MariaDB: FOREIGN_KEY_CHECKS=0
    /// and UNIQUE_CHECKS=0; MySQL cannot switch triggers off, they still fire.
    #[arg(long)]
    pub disable_constraints: bool,
    /// Empty the file's tables first, in the same transaction, instead of failing on duplicates.
    #[arg(long)]
    pub truncate: bool,
    /// Seconds to wait for a lock another session holds on a table the load
    /// empties or fills; then give up, with nothing committed. Without it the
    /// load waits, and says which session it waits for after a few seconds
    /// (MySQL/MariaDB: a row lock still gives up after the server's
    /// innodb_lock_wait_timeout, 50 s by default).
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..=31_536_000))]
    pub lock_timeout: Option<u64>,
    /// Print the result as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The database to compare against.
    #[arg(
        long,
        value_name = "URL",
        conflicts_with = "manifest",
        required_unless_present = "manifest"
    )]
    pub source: Option<String>,
    /// A data snapshot whose manifest to compare against.
    #[arg(long, value_name = "PATH")]
    pub manifest: Option<PathBuf>,
    /// The database being checked. Without it (and without TARGET_URL) the
    /// target is found like every command's database: DATABASE_URL, DB_*, PG*.
    #[arg(long, value_name = "URL", env = "TARGET_URL")]
    pub target: Option<String>,
    /// Also compare order-independent content checksums.
    #[arg(long)]
    pub checksum: bool,
    /// Print the result as JSON on stdout.
    #[arg(long)]
    pub json: bool,
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
