#!/usr/bin/env bash
# Builds a fresh database from a schema snapshot, and optionally loads a data
# snapshot, with `dbsnap init`. For people used to the old shell workflow.
#
# Usage: scripts/init_fresh_db.sh [SCHEMA_FILE] [DATA_FILE] [-- DBSNAP_INIT_ARGS...]
#   SCHEMA_FILE  schema snapshot (default: $SCHEMA, else sql/init_schema.sql
#                in the repository)
#   DATA_FILE    data snapshot to load after the schema (default: $DATA_FILE)
#
# The target database comes from the environment, which dbsnap reads itself:
#   DATABASE_URL, or DB_HOST DB_PORT DB_USER DB_PASS DB_NAME (DB_ENGINE=postgres|mysql),
#   or PGHOST PGPORT PGUSER PGPASSWORD PGDATABASE.
# YES=1      replace an existing database without asking (dbsnap init --yes);
#            1, y, yes and true all mean yes
# DBSNAP=..  binary to run (default: target/release/dbsnap, built when missing)
#
# Example: DATABASE_URL=postgres://postgres@localhost/app_new YES=1 \
#            scripts/init_fresh_db.sh sql/init_schema.sql
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# shellcheck source=scripts/args.sh
source "$ROOT/scripts/args.sh"
parse_args 2 "$@"

schema=${positional[0]:-${SCHEMA:-$ROOT/sql/init_schema.sql}}
data=${positional[1]:-${DATA_FILE:-}}
die() {
  printf 'init_fresh_db.sh: %s\n' "$1" >&2
  exit 1
}
[[ -f $schema ]] || die "schema file not found: $schema"
[[ -z $data || -f $data ]] || die "data file not found: $data"

args=(init --schema "$schema")
if [[ -n $data ]]; then
  args+=(--data "$data")
fi
# shellcheck source=scripts/switch.sh
source "$ROOT/scripts/switch.sh"
if switch YES; then
  args+=(--yes)
fi

find_dbsnap

exec "$dbsnap" "${args[@]}" "${passthrough[@]}"
