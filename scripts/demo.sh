#!/usr/bin/env bash
# Demo of dbsnap on PostgreSQL with the project's own generated sample database
# (tests/fixtures/pg/shop.sql: an enum, domains, partitions, a foreign-key cycle,
# a trigger, views, a materialized view, identity and serial columns, text full of
# tabs, newlines, backslashes and `\.` lines; about 505,000 rows at scale 100).
# It loads the sample into a fresh source database, exports its schema and data,
# inits a second fresh database from both, compares the two with pg_dump
# --schema-only and checks the data with `dbsnap verify`. Both databases are
# dropped at the end; nothing is needed beside the repository.
#
# Usage: make demo [DEMO_SCALE=N]   (runs this under scripts/test-dbs.sh, which
#                                    finds or starts a server and sets DBSNAP_TEST_PG_URL)
#        DBSNAP_TEST_PG_URL=postgres://postgres@127.0.0.1:5432/postgres scripts/demo.sh
#
# DBSNAP_TEST_PG_URL  superuser URL of a maintenance database (required)
# DBSNAP              binary to run (default: target/release/dbsnap)
# DEMO_SCALE          size of the sample: 1 is about 5,000 rows (default 100)
# DEMO_SNAPSHOT       where the schema snapshot is written (default sql/init_schema.sql)
#
# Exit status: 0 when schemas and data match, 3 when they differ, 1 on error.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DBSNAP=${DBSNAP:-$ROOT/target/release/dbsnap}
SAMPLE=$ROOT/tests/fixtures/pg/shop.sql
SCALE=${DEMO_SCALE:-100}
SNAPSHOT=${DEMO_SNAPSHOT:-$ROOT/sql/init_schema.sql}

die() {
  printf 'demo: error: %s\n' "$*" >&2
  exit 1
}
step() { printf '\n== %s\n' "$*"; }

[[ -n ${DBSNAP_TEST_PG_URL:-} ]] ||
  die "DBSNAP_TEST_PG_URL is not set; run 'make demo' or scripts/test-dbs.sh bash scripts/demo.sh"
[[ -x $DBSNAP ]] || die "no dbsnap binary at $DBSNAP; run 'make build'"
[[ -f $SAMPLE ]] || die "sample generator not found: $SAMPLE"
[[ $SCALE =~ ^[1-9][0-9]*$ ]] || die "DEMO_SCALE must be a positive whole number, not '$SCALE'"

# The same server and credentials as DBSNAP_TEST_PG_URL, another database.
url_for_db() { # database name
  [[ $DBSNAP_TEST_PG_URL =~ ^([a-z]+://[^/?]*)(/[^?]*)?(\?.*)?$ ]] ||
    die "cannot parse DBSNAP_TEST_PG_URL as postgres://user@host:port/db"
  printf '%s/%s%s\n' "${BASH_REMATCH[1]}" "$1" "${BASH_REMATCH[3]}"
}

psql_admin() { psql -X -q -v ON_ERROR_STOP=1 -d "$DBSNAP_TEST_PG_URL" "$@"; }

suffix=$(date +%Y%m%d_%H%M%S)_$$
SRC=dbsnap_demo_src_$suffix
DST=dbsnap_demo_dst_$suffix
SRC_URL=$(url_for_db "$SRC")
DST_URL=$(url_for_db "$DST")
TMP=$(mktemp -d "${TMPDIR:-/tmp}/dbsnap-demo.XXXXXX")

cleanup() {
  local rc=$?
  set +e
  trap - EXIT INT TERM
  # Only the two databases this run created; sessions are closed by now.
  PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning" \
    psql_admin -c "DROP DATABASE IF EXISTS $SRC" -c "DROP DATABASE IF EXISTS $DST" &&
    printf '\ndemo: dropped %s and %s\n' "$SRC" "$DST"
  rm -rf "$TMP"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

elapsed() { # start seconds (date +%s.%N) -> "1.23s"
  awk -v s="$1" -v e="$(date +%s.%N)" 'BEGIN { printf "%.2fs", e - s }'
}

step "Generating the sample (scale $SCALE) in $SRC"
psql_admin -c "CREATE DATABASE $SRC"
t=$(date +%s.%N)
psql -X -q -v ON_ERROR_STOP=1 -v scale="$SCALE" -d "$SRC_URL" -f "$SAMPLE" >/dev/null
echo "generated in $(elapsed "$t"):"
psql -X -q -At -F $'\t' -d "$SRC_URL" -c "
  SELECT c.oid::regclass, c.reltuples::bigint FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = 'public' AND c.relkind IN ('r', 'm') ORDER BY 1" |
  awk -F '\t' '{ printf "  %-24s %9d rows\n", $1, $2; n += $2 } END { printf "  %-24s %9d rows\n", "total", n }'

step "dbsnap export-schema ($SRC -> ${SNAPSHOT#"$ROOT"/})"
schema=$SNAPSHOT
mkdir -p "$(dirname "$schema")"
t=$(date +%s.%N)
"$DBSNAP" export-schema --url "$SRC_URL" -o "$schema"
printf 'wrote %s lines, %s bytes in %s\n' "$(wc -l <"$schema")" "$(wc -c <"$schema")" "$(elapsed "$t")"

step "dbsnap export-data ($SRC -> data snapshot, zstd)"
data=$TMP/data_export.sql.zst
t=$(date +%s.%N)
"$DBSNAP" export-data --url "$SRC_URL" -o "$data"
printf 'wrote %s bytes in %s\n' "$(wc -c <"$data")" "$(elapsed "$t")"
"$DBSNAP" check "$data"

step "dbsnap init --yes ($DST from the schema and data snapshots)"
t=$(date +%s.%N)
"$DBSNAP" init --url "$DST_URL" --schema "$schema" --data "$data" --yes
echo "done in $(elapsed "$t")"

step "Schema snapshot: header"
awk 'NR > 15 || (NR > 1 && !/^--/) { exit } { print "  " $0 }' "$schema"

# The sections of the snapshot: each kind of statement in order of first
# appearance, how many there are, and the first one. Statements are told apart
# from function bodies by following a line that ends with `;` (a heuristic).
step "Schema snapshot: sections (kind, count, first statement)"
awk '
  BEGIN { at_start = 1 }
  /^[ \t]*$/ || /^--/ { next }
  at_start && /^(CREATE|ALTER|COMMENT|SET|SELECT|GRANT|REVOKE|INSERT|COPY|DO) / {
    k = $1 " " $2
    if ($1 == "SET" || $1 == "SELECT") k = $1
    else if ($1 == "CREATE" && $2 == "OR") k = $1 " " $4
    else if ($1 == "CREATE" && ($2 == "UNIQUE" || $2 == "MATERIALIZED")) k = $1 " " $2 " " $3
    else if ($1 == "ALTER" && / OWNER TO /) k = "ALTER ... OWNER TO"
    else if ($1 == "ALTER" && / FOREIGN KEY/) k = "ALTER TABLE ... FOREIGN KEY"
    else if ($1 == "ALTER" && / ADD CONSTRAINT /) k = "ALTER TABLE ... ADD CONSTRAINT"
    if (!(k in count)) { order[++kinds] = k; first[k] = $0 }
    count[k]++
  }
  { at_start = /;[ \t]*$/ }
  END {
    for (i = 1; i <= kinds; i++)
      printf "  %-32s %5d   %s\n", order[i], count[order[i]], substr(first[order[i]], 1, 60)
  }' "$schema"

step "Tables in $DST"
psql -X -d "$DST_URL" -c '\dt'

step "pg_dump --schema-only: $SRC vs $DST"
dump() { # url file
  pg_dump --schema-only --no-owner --no-privileges -d "$1" |
    grep -Ev '^\\(un)?restrict( |$)' >"$2"
}
dump "$SRC_URL" "$TMP/source.sql"
dump "$DST_URL" "$TMP/target.sql"
if diff -u --label "source $SRC" --label "rebuilt $DST" "$TMP/source.sql" "$TMP/target.sql" >"$TMP/schema.diff"; then
  echo "schemas identical ($(wc -l <"$TMP/source.sql") lines of pg_dump output)"
else
  cat "$TMP/schema.diff"
  echo "schemas differ ($(grep -c '^[-+][^-+]' "$TMP/schema.diff") changed lines)"
  exit 3
fi

# verify exits 3 on differences; `set -e` passes that on as the demo's status.
step "dbsnap verify --checksum: $DST against the source"
"$DBSNAP" verify --source "$SRC_URL" --target "$DST_URL" --checksum

step "dbsnap verify --checksum: $DST against the data snapshot's manifest"
"$DBSNAP" verify --manifest "$data" --target "$DST_URL" --checksum
