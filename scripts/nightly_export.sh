#!/usr/bin/env bash
# Nightly disaster-recovery export: a timestamped, compressed data snapshot,
# checked end to end, keeping the newest KEEP files.
#
# Usage: scripts/nightly_export.sh
#   EXPORT_DIR=..  where snapshots go (default: backups)
#   KEEP=N         how many snapshots to keep (default: 7)
#   COMPRESS=..    zst or gz (default: zst)
#   SCHEMA_TOO=1   also write the schema snapshot next to it (default: 1)
# The database comes from DATABASE_URL, or DB_HOST DB_PORT DB_USER DB_PASS
# DB_NAME (DB_ENGINE=postgres|mysql), or the PG* variables.
# Exits non-zero on any failure; older snapshots are pruned only after the new
# one has passed its check.
#
# Cron example (02:30 every night, log kept by cron's mail or a file):
#   30 2 * * * cd /srv/app && DATABASE_URL=postgres://backup@db/app KEEP=14 scripts/nightly_export.sh >>/var/log/dbsnap-nightly.log 2>&1
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DBSNAP=${DBSNAP:-$ROOT/target/release/dbsnap}
EXPORT_DIR=${EXPORT_DIR:-backups}
KEEP=${KEEP:-7}
COMPRESS=${COMPRESS:-zst}
SCHEMA_TOO=${SCHEMA_TOO:-1}
# shellcheck source=scripts/switch.sh
source "$ROOT/scripts/switch.sh"

case ${1:-} in
  -h | --help)
    sed -n '2,18s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
    exit 0
    ;;
esac
if ! [[ $KEEP =~ ^[1-9][0-9]*$ ]]; then
  echo "nightly_export.sh: KEEP must be a positive number, not '$KEEP'" >&2
  exit 2
fi
case $COMPRESS in zst | gz) ;; *)
  echo "nightly_export.sh: COMPRESS must be zst or gz" >&2
  exit 2
  ;;
esac

if [[ ! -x $DBSNAP ]]; then
  (cd "$ROOT" && cargo build --release --quiet)
fi

mkdir -p "$EXPORT_DIR"
stamp=$(date -u +%Y%m%d_%H%M%S)
file=$EXPORT_DIR/data_export_${stamp}.sql.$COMPRESS
log() { printf '%s nightly_export: %s\n' "$(date -u +%FT%TZ)" "$*" >&2; }

log "exporting to $file"
"$DBSNAP" export-data -o "$file"
if switch SCHEMA_TOO; then
  "$DBSNAP" export-schema -o "$EXPORT_DIR/init_schema_${stamp}.sql"
fi

# Read the whole file back: end marker, every table's rows and checksum.
log "checking $file"
"$DBSNAP" check "$file"

# Prune only after the new snapshot has proved complete.
mapfile -t old < <(find "$EXPORT_DIR" -maxdepth 1 -name 'data_export_*.sql*' -printf '%f\n' | sort -r | tail -n +"$((KEEP + 1))")
for name in "${old[@]}"; do
  log "removing old snapshot $name"
  old_stamp=${name#data_export_}
  old_stamp=${old_stamp%%.*}
  rm -f -- "$EXPORT_DIR/$name" "$EXPORT_DIR/init_schema_${old_stamp}.sql"
done
log "done: $file"
