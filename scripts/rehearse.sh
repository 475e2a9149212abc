#!/usr/bin/env bash
# Staging rehearsal: build a scratch database from the schema snapshot and the
# newest data export, verify it against the export's manifest, and report.
#
# Usage: scripts/rehearse.sh
#   SCHEMA=..       schema snapshot (default: sql/init_schema.sql)
#   DATA_FILE=..    data snapshot (default: the newest sql/data_export_* or backups/data_export_*)
#   REHEARSAL_URL=.. scratch database (default: the database of DATABASE_URL,
#                   DB_NAME or PGDATABASE, suffixed _rehearsal); replaced on every run
# Exit codes are verify's: 0 everything matches, 3 differences, 1 error.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DBSNAP=${DBSNAP:-$ROOT/target/release/dbsnap}
SCHEMA=${SCHEMA:-sql/init_schema.sql}

case ${1:-} in
  -h | --help)
    sed -n '2,11s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
    exit 0
    ;;
esac

data=${DATA_FILE:-}
if [[ -z $data ]]; then
  # Names carry a UTC timestamp, so the newest sorts last.
  data=$(find sql backups -maxdepth 1 -name 'data_export_*.sql*' -printf '%f %p\n' 2>/dev/null | sort | tail -n 1 | cut -d' ' -f2- || true)
fi
if [[ -z $data || ! -f $data ]]; then
  echo "rehearse.sh: no data export found (set DATA_FILE, or run make export-data)" >&2
  exit 1
fi
if [[ ! -f $SCHEMA ]]; then
  echo "rehearse.sh: schema snapshot $SCHEMA not found (run make export-schema)" >&2
  exit 1
fi

# The scratch database: REHEARSAL_URL, else the database dbsnap would use
# (DATABASE_URL, or DB_* / PG*) with its name suffixed _rehearsal.
target=()
if [[ -n ${REHEARSAL_URL:-} ]]; then
  export TARGET_URL=$REHEARSAL_URL
  target=(--url "$REHEARSAL_URL")
elif [[ -n ${DATABASE_URL:-} ]]; then
  base=$DATABASE_URL query=
  if [[ $base == *\?* ]]; then
    query="?${base#*\?}"
    base=${base%%\?*}
  fi
  export TARGET_URL=${base}_rehearsal$query
  target=(--url "$TARGET_URL")
elif [[ -n ${DB_NAME:-} ]]; then
  export DB_NAME=${DB_NAME}_rehearsal
  unset TARGET_URL
elif [[ -n ${PGDATABASE:-} ]]; then
  export PGDATABASE=${PGDATABASE}_rehearsal
  unset TARGET_URL
else
  echo "rehearse.sh: set DATABASE_URL, or DB_HOST/DB_NAME (DB_ENGINE=mysql for MySQL), or REHEARSAL_URL" >&2
  exit 2
fi

if [[ ! -x $DBSNAP ]]; then
  (cd "$ROOT" && cargo build --release --quiet)
fi

start=$(date +%s)
echo "rehearse: building the scratch database from $SCHEMA and $data" >&2
"$DBSNAP" init "${target[@]}" --schema "$SCHEMA" --data "$data" --yes
echo "rehearse: verifying it against the manifest of $data" >&2
status=0
"$DBSNAP" verify --manifest "$data" --checksum || status=$?
echo "rehearse: finished in $(($(date +%s) - start)) s with status $status" >&2
exit "$status"
