#!/usr/bin/env bash
# The schema drift gate: does the database still match the schema file?
# Runs `dbsnap diff --schema SCHEMA` and exits with its code: 0 identical,
# 3 drift (every difference listed), 1 could not compare, 2 usage.
# (`make check-schema` runs this; make itself reports a failure as exit 2.)
#
# Usage: scripts/check_schema.sh [SCHEMA] [-- DBSNAP_DIFF_ARGS...]
#   SCHEMA  the schema snapshot (default: $SCHEMA, else sql/init_schema.sql)
#
# The database comes from the environment, which dbsnap reads itself:
#   DATABASE_URL, or DB_HOST DB_PORT DB_USER DB_PASS DB_NAME (DB_ENGINE=postgres|mysql),
#   or PGHOST PGPORT PGUSER PGPASSWORD PGDATABASE.
# IGNORE="comments triggers"  kinds left out (each becomes --ignore KIND)
# DBSNAP=..  binary to run (default: target/release/dbsnap, built when missing)
#
# Example: DATABASE_URL=postgres://readonly@db/app scripts/check_schema.sh -- --scratch-url postgres://ci@scratch/postgres
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# shellcheck source=scripts/args.sh
source "$ROOT/scripts/args.sh"
parse_args 1 "$@"

schema=${positional[0]:-${SCHEMA:-$ROOT/sql/init_schema.sql}}
for kind in ${IGNORE:-}; do
  passthrough+=(--ignore "$kind")
done

find_dbsnap

exec "$dbsnap" diff --schema "$schema" "${passthrough[@]}"
