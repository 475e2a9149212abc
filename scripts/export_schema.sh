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

usage() { sed -n '2,15s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; }
usage_error() {
  printf 'export_schema.sh: %s\n\n' "$1" >&2
  usage >&2
  exit 2
}

positional=()
passthrough=()
while (($#)); do
  case $1 in
    -h | --help)
      usage
      exit 0
      ;;
    --)
      shift
      passthrough=("$@")
      break
      ;;
    -) positional+=("$1") ;;
    -*) usage_error "unknown option: $1" ;;
    *) positional+=("$1") ;;
  esac
  shift
done
((${#positional[@]} <= 1)) || usage_error "too many arguments"

output=${positional[0]:-${SCHEMA:-$ROOT/sql/init_schema.sql}}

dbsnap=${DBSNAP:-$ROOT/target/release/dbsnap}
if [[ -z ${DBSNAP:-} && ! -x $dbsnap ]]; then
  echo "export_schema.sh: building $dbsnap" >&2
  cargo build --release --manifest-path "$ROOT/Cargo.toml" >&2
fi

exec "$dbsnap" export-schema -o "$output" "${passthrough[@]}"
