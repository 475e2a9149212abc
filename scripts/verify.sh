#!/usr/bin/env bash
# The swap-over gate, as `make verify` runs it: compares TARGET_URL with
# SOURCE_URL or MANIFEST and exits as dbsnap verify does.
#
# Usage: scripts/verify.sh
#   TARGET_URL=..   the database being checked (default: DATABASE_URL / DB_* / PG*)
#   SOURCE_URL=..   the database to compare against, or
#   MANIFEST=..     a data snapshot whose manifest to compare against
#   CHECKSUM=1      also compare content checksums (1, y, yes or true)
# Exit codes: 0 everything matches, 3 differences, 2 usage error, 1 could not check.
# (`make verify` itself can only exit 0 or 2, as every make; call this script
# or dbsnap verify where the difference between 2 and 3 matters.)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/switch.sh
source "$ROOT/scripts/switch.sh"
DBSNAP=${DBSNAP:-$ROOT/target/release/dbsnap}

case ${1:-} in
  -h | --help)
    sed -n '2,12s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
    exit 0
    ;;
esac

source_url=${SOURCE_URL:-} manifest=${MANIFEST:-}
if [[ -n $source_url && -n $manifest ]]; then
  echo "verify.sh: set SOURCE_URL or MANIFEST, not both" >&2
  exit 2
fi
if [[ -z $source_url$manifest ]]; then
  echo "verify.sh: set SOURCE_URL or MANIFEST (and TARGET_URL, or DATABASE_URL / DB_* for the target)" >&2
  exit 2
fi
args=(verify)
if [[ -n $manifest ]]; then
  args+=(--manifest "$manifest")
else
  args+=(--source "$source_url")
fi
if switch CHECKSUM; then
  args+=(--checksum)
fi
# The target travels in TARGET_URL (read by dbsnap), so no password is on the command line.
shown=("${args[@]}")
[[ -z $source_url ]] || shown[2]=SOURCE_URL
echo "verify.sh: dbsnap ${shown[*]}" >&2
exec "$DBSNAP" "${args[@]}"
