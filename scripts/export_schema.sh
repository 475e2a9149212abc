#!/usr/bin/env bash
# Writes a schema snapshot of a database with `dbsnap export-schema`.
# For people used to the old shell workflow.
#
# Usage: scripts/export_schema.sh [OUTPUT] [-- DBSNAP_EXPORT_SCHEMA_ARGS...]
#   OUTPUT  where to write the snapshot; `-` is stdout (default: $SCHEMA, else
#           sql/init_schema.sql in the repository)
#
# The source database comes from the environment, which dbsnap reads itself:
#   DATABASE_URL, or DB_HOST DB_PORT DB_USER DB_PASS DB_NAME (DB_ENGINE=postgres|mysql),
#   or PGHOST PGPORT PGUSER PGPASSWORD PGDATABASE.
# DBSNAP=..  binary to run (default: target/release/dbsnap, built when missing)
#
# Example: DATABASE_URL=postgres://postgres@localhost/app scripts/export_schema.sh
#          scripts/export_schema.sh - -- --skip-unsupported | less
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# shellcheck source=scripts/args.sh
source "$ROOT/scripts/args.sh"
parse_args 1 "$@"

output=${positional[0]:-${SCHEMA:-$ROOT/sql/init_schema.sql}}

find_dbsnap

exec "$dbsnap" export-schema -o "$output" "${passthrough[@]}"
