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

usage() { sed -n '2,17s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; }
usage_error() {
  printf 'check_schema.sh: %s\n\n' "$1" >&2
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
    -*) usage_error "unknown option: $1" ;;
    *) positional+=("$1") ;;
  esac
  shift
done
((${#positional[@]} <= 1)) || usage_error "too many arguments"

schema=${positional[0]:-${SCHEMA:-$ROOT/sql/init_schema.sql}}
for kind in ${IGNORE:-}; do
  passthrough+=(--ignore "$kind")
done

dbsnap=${DBSNAP:-$ROOT/target/release/dbsnap}
if [[ -z ${DBSNAP:-} && ! -x $dbsnap ]]; then
  echo "check_schema.sh: building $dbsnap" >&2
  cargo build --release --manifest-path "$ROOT/Cargo.toml" >&2
fi

exec "$dbsnap" diff --schema "$schema" "${passthrough[@]}"
