#!/usr/bin/env bash
# Writes a data snapshot with `dbsnap export-data`.
#
# Usage: scripts/export_data.sh [OUTPUT] [-- DBSNAP_EXPORT_DATA_ARGS...]
#   OUTPUT  file to write; .gz or .zst compresses (default:
#           sql/data_export_YYYYMMDD_HHMMSS.sql, time in UTC)
#
# The database comes from DATABASE_URL, or DB_HOST DB_PORT DB_USER DB_PASS
# DB_NAME (DB_ENGINE=postgres|mysql), or the PG* variables.
# DBSNAP=..  binary to run (default: target/release/dbsnap, built when missing)
#
# Example: DATABASE_URL=postgres://postgres@localhost/app scripts/export_data.sh
#          scripts/export_data.sh backups/app.sql.zst -- --exclude-table-data 'audit_*'
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DBSNAP=${DBSNAP:-$ROOT/target/release/dbsnap}

case ${1:-} in
  -h | --help)
    sed -n '2,13s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
    exit 0
    ;;
esac

args=()
if [[ $# -gt 0 && $1 != -- ]]; then
  args+=(-o "$1")
  shift
fi
[[ ${1:-} == -- ]] && shift

if [[ ! -x $DBSNAP ]]; then
  (cd "$ROOT" && cargo build --release --quiet)
fi
exec "$DBSNAP" export-data "${args[@]}" "$@"
