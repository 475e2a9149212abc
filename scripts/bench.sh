#!/usr/bin/env bash
# shellcheck disable=SC2317  # cleanup runs from the EXIT trap
# Benchmark of dbsnap against the reference tools on a generated data set.
#
# Usage: make bench        (builds dbsnap, runs this under scripts/test-dbs.sh)
#        BENCH_ROWS=200000 BENCH_ROUNDS=1 make bench     (a quick run)
#        DBSNAP_TEST_PG_URL=postgres://postgres@127.0.0.1:5432/postgres bash scripts/bench.sh
#
# PostgreSQL: scripts/bench/pg_dataset.sql fills dbsnap_bench_src, then each
# operation runs BENCH_ROUNDS times, dbsnap and the reference tool alternating:
#   export        dbsnap export-data -o X.sql      vs pg_dump --data-only -f Y.sql
#   gzip export   dbsnap export-data -o X.sql.gz   vs pg_dump --data-only -Z6 -f Y.sql.gz
#   zstd export   dbsnap export-data -o X.sql.zst  (pg_dump 15 has no zstd)
#   import        dbsnap import X.sql              vs psql -1 -f X.sql, each into a
#                 fresh database built by `dbsnap init --schema` (indexes and FKs present)
#   init          dbsnap init --schema S --data X.sql --yes
#                 vs CREATE DATABASE + pg_restore -j2 of a pg_dump -Fd -Z0 directory
#   swap-over     the whole copy of a live database, each timed as one command:
#                 dbsnap export-schema + export-data + init --schema --data
#                 vs pg_dump -Fd -Z0 -j2 + CREATE DATABASE + pg_restore -j2
#                 vs CREATE DATABASE + pgcopydb clone --table-jobs 2 --index-jobs 2
#                 (Debian package pgcopydb, installed with apt-get if missing)
#
# MariaDB/MySQL: scripts/bench/mysql_dataset.sql fills dbsnap_bench_src (InnoDB,
# generated from the Sequence engine, so the server must be MariaDB), then:
#   export        dbsnap export-data -o X.sql
#                 vs mydumper -t 2 -m (data only, uncompressed, into a directory)
#                 vs mysqldump --single-transaction --skip-lock-tables --hex-blob --no-create-info
#   gzip export   dbsnap export-data -o X.sql.gz   vs mydumper -t 2 -m -c
#   zstd export   dbsnap export-data -o X.sql.zst  (mydumper 0.10 has no zstd)
#   import        dbsnap import X.sql  vs  mysql DB < X.sql  vs  myloader -t 2 of the
#                 mydumper data directory, each into a fresh database built by
#                 `dbsnap init --schema` (indexes and foreign keys present)
#   init          dbsnap init --schema S --data X.sql --yes
#                 vs myloader -t 2 of a full mydumper dump (schema and data) into no database
# mydumper/myloader (Debian package mydumper) are installed with apt-get if missing.
#
# It prints the median wall time and peak RSS of each, and writes the same tables
# to target/bench/results.md (raw runs in target/bench/runs.tsv).
#
# Environment:
#   DBSNAP_TEST_PG_URL  superuser URL of a maintenance database (required for pg)
#   DBSNAP_TEST_MYSQL_URL  root URL of a MariaDB server, e.g. mysql://root@127.0.0.1:3306/mysql
#                       (required for mysql)
#   DBSNAP              binary to run (default: target/release/dbsnap)
#   BENCH_ENGINES       engines to run, comma or space separated (default: pg mysql)
#   BENCH_ROWS          total rows of the data set (default: 3000000)
#   BENCH_SCALES        multiples of BENCH_ROWS to run everything at (default: 1); "1 4" runs
#                       at N and 4N rows and adds a table of how much each time grew
#   BENCH_ROUNDS        runs of each tool per operation (default: 3)
#   BENCH_VERIFY        after the first import and init of each tool: 1 = dbsnap verify
#                       (row counts, sequences; default), checksum = also --checksum, 0 = off
#   BENCH_OUT           output directory (default: target/bench)
#   BENCH_KEEP=1        keep the databases and temporary files (for inspection)
#   BENCH_DB_PREFIX     prefix of the PostgreSQL databases' names (default: dbsnap_bench), so
#                       that two checkouts can bench on one server without dropping each other's
#   BENCH_MYSQL_SETTLE  MariaDB: seconds to wait at most, before each timed run, for
#                       InnoDB to flush its dirty pages (default: 60)
#
# Databases created, on each server: dbsnap_bench_src, dbsnap_bench_imp, dbsnap_bench_init
# (PostgreSQL: BENCH_DB_PREFIX_src, ...)
# (and dbsnap's own staging copies of these); all are dropped on exit.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DBSNAP=${DBSNAP:-$ROOT/target/release/dbsnap}
[[ $DBSNAP == /* ]] || DBSNAP=$ROOT/$DBSNAP
BENCH_ENGINES=${BENCH_ENGINES:-pg mysql}
BENCH_ROWS=${BENCH_ROWS:-3000000}
BENCH_ROUNDS=${BENCH_ROUNDS:-3}
BENCH_SCALES=${BENCH_SCALES:-1}
BENCH_VERIFY=${BENCH_VERIFY:-1}
BENCH_OUT=${BENCH_OUT:-$ROOT/target/bench}
BENCH_KEEP=${BENCH_KEEP:-}
BENCH_DB_PREFIX=${BENCH_DB_PREFIX:-dbsnap_bench}

log() { printf 'bench: %s\n' "$*" >&2; }
die() {
  log "error: $*"
  exit 1
}
step() { printf '\nbench: == %s\n' "$*" >&2; }

[[ $BENCH_ROWS =~ ^[1-9][0-9]*$ && $BENCH_ROWS -ge 1000 ]] || die "BENCH_ROWS must be a whole number >= 1000 (got '$BENCH_ROWS')"
for scale in $BENCH_SCALES; do
  [[ $scale =~ ^[1-9][0-9]*$ ]] || die "BENCH_SCALES must be whole numbers >= 1 (got '$BENCH_SCALES')"
done
[[ $BENCH_ROUNDS =~ ^[1-9][0-9]*$ ]] || die "BENCH_ROUNDS must be a whole number >= 1 (got '$BENCH_ROUNDS')"
case $BENCH_VERIFY in
  0 | 1 | checksum) ;;
  *) die "BENCH_VERIFY must be 0, 1 or checksum (got '$BENCH_VERIFY')" ;;
esac
[[ -x $DBSNAP ]] || die "no dbsnap binary at $DBSNAP; run 'cargo build --release' or 'make bench'"

is_root() { [[ $(id -u) -eq 0 ]]; }
as_root() {
  if is_root; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    die "need root to run: $*"
  fi
}

# GNU time reports the peak RSS; Debian ships it in the package `time`.
ensure_gnu_time() {
  [[ -x /usr/bin/time ]] && return 0
  command -v apt-get >/dev/null 2>&1 || die "/usr/bin/time is missing and there is no apt-get; install GNU time"
  log "installing the Debian package 'time' for /usr/bin/time"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends time >/dev/null 2>&1 || {
    as_root apt-get update >/dev/null 2>&1 || true
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends time >/dev/null ||
      die "apt-get install time failed"
  }
  [[ -x /usr/bin/time ]] || die "/usr/bin/time still missing after installing 'time'"
}

# dbsnap's version and the commit it was built from, as far as the checkout tells.
dbsnap_version_of() { # binary
  local rev
  rev=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
  if [[ -n $(git -C "$ROOT" status --porcelain -- src Cargo.toml Cargo.lock 2>/dev/null) ]]; then
    rev+=" (src modified)"
  fi
  printf '%s, checkout at commit %s; binary %s built %s' "$("$1" --version 2>/dev/null || echo dbsnap)" "$rev" \
    "${1#"$ROOT"/}" "$(date -u -r "$1" '+%Y-%m-%d %H:%M UTC')"
}

# --- state and cleanup ---------------------------------------------------------

mkdir -p "$BENCH_OUT/tmp"
exec 9>"$BENCH_OUT/.lock"
flock -n 9 || die "another bench run holds $BENCH_OUT/.lock"

TMP=$(mktemp -d "$BENCH_OUT/tmp/run.XXXXXX")
RUNS_TSV=$TMP/runs.tsv
RESULTS_MD=$TMP/results.md
: >"$RUNS_TSV"
: >"$RESULTS_MD"
PG_DBS=() # databases this run may have created; dropped by cleanup
MY_DBS=() # the same on the MariaDB server
MY_CNF="" # client option file for the MariaDB tools (holds the password, mode 0600)

# The same server and credentials as the admin URL, another database.
url_for_db() { # admin url, database name
  [[ $1 =~ ^([a-z]+://[^/?]*)(/[^?]*)?(\?.*)?$ ]] ||
    die "cannot parse the URL as scheme://user@host:port/db"
  printf '%s/%s%s\n' "${BASH_REMATCH[1]}" "$2" "${BASH_REMATCH[3]}"
}

pg_admin() { PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning" psql -X -q -v ON_ERROR_STOP=1 -d "$DBSNAP_TEST_PG_URL" "$@"; }

pg_drop_db() { # name
  pg_admin -c "DROP DATABASE IF EXISTS \"$1\" WITH (FORCE)"
}

cleanup() {
  local rc=$?
  set +e
  trap - EXIT INT TERM HUP
  if [[ -n $BENCH_KEEP ]]; then
    log "BENCH_KEEP set: kept databases (PostgreSQL: ${PG_DBS[*]:-none}; MariaDB: ${MY_DBS[*]:-none}) and $TMP"
    exit "$rc"
  fi
  if ((${#MY_DBS[@]})) && [[ -n $MY_CNF && -f $MY_CNF ]]; then
    local mdb mnames=""
    for mdb in "${MY_DBS[@]}"; do
      mnames+=$(my_admin -e "SELECT schema_name FROM information_schema.schemata
          WHERE schema_name = '$mdb' OR schema_name LIKE '${mdb//_/\\_}\\_\\_dbsnap\\_%'")$'\n'
    done
    while read -r mdb; do
      [[ -n $mdb ]] || continue
      if my_drop_db "$mdb"; then log "dropped database $mdb (MariaDB)"; else log "warning: could not drop database $mdb (MariaDB)"; fi
    done <<<"$mnames"
  fi
  if ((${#PG_DBS[@]})) && [[ -n ${DBSNAP_TEST_PG_URL:-} ]]; then
    local db names=""
    # dbsnap init names its staging copies <target>__dbsnap_{new,old}_<pid>; a run
    # killed mid-init may leave one behind.
    for db in "${PG_DBS[@]}"; do
      names+=$(pg_admin -At -c "SELECT datname FROM pg_database WHERE datname = '$db' OR datname LIKE '${db//_/\\_}\\_\\_dbsnap\\_%'")$'\n'
    done
    while read -r db; do
      [[ -n $db ]] || continue
      if pg_drop_db "$db"; then log "dropped database $db"; else log "warning: could not drop database $db"; fi
    done <<<"$names"
  fi
  rm -rf "$TMP"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# A private copy, so a rebuild during the run cannot change the binary under test.
DBSNAP_VERSION=$(dbsnap_version_of "$DBSNAP")
cp "$DBSNAP" "$TMP/dbsnap"
DBSNAP=$TMP/dbsnap

# --- measuring -----------------------------------------------------------------

ENGINE=""
SCALE_TAG="" # ".<rows>" when BENCH_SCALES runs several sizes: keeps their runs apart

# Lets the previous run's writes settle outside the timed region: dirty file pages
# and the server's dirty buffers.
settle() {
  sync
  case $ENGINE in
    pg) pg_admin -c CHECKPOINT ;;
    mysql) my_settle ;;
  esac
}

# CPU seconds (user + system) used so far by the local database server process,
# or nothing when it is not on this machine or not readable.
SERVER_PID=""
server_cpu() {
  [[ -n $SERVER_PID && -r /proc/$SERVER_PID/stat ]] || return 0
  local stat
  stat=$(</proc/"$SERVER_PID"/stat) || return 0
  stat=${stat##*) }
  # Fields 14 and 15 of stat (utime, stime) are the 12th and 13th after "comm)".
  awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($12 + $13) / hz }' <<<"$stat"
}

# Runs a command once under GNU time. Appends "seconds max_rss_kib" to
# $TMP/runs/ENGINE.NAME and a row to runs.tsv. The command's output goes to a log
# shown if it fails. Wall time is measured here (ns), RSS by /usr/bin/time; for
# a command with child processes the RSS is the largest single process.
measure() { # name command...
  local name=$1 n start end rc=0 kib secs
  shift
  local runs
  runs=$(runs_of "$name")
  mkdir -p "$TMP/runs" "$TMP/logs"
  n=1
  [[ -f $runs ]] && n=$(($(wc -l <"$runs") + 1))
  local out=$TMP/logs/$ENGINE$SCALE_TAG.$name.$n.log tf=$TMP/logs/$ENGINE$SCALE_TAG.$name.$n.time cpu0 cpu1 scpu=- ccpu
  settle
  cpu0=$(server_cpu)
  start=$(date +%s%N)
  /usr/bin/time -v -o "$tf" "$@" >"$out" 2>&1 || rc=$?
  end=$(date +%s%N)
  cpu1=$(server_cpu)
  if ((rc)); then
    log "---- last lines of the output of $name (run $n):"
    tail -n 30 "$out" >&2
    die "$name (run $n) failed with exit status $rc after $(awk -v d=$((end - start)) 'BEGIN { printf "%.1f", d / 1e9 }')s: $1 ${2:-}"
  fi
  kib=$(awk -F': *' '/Maximum resident set size/ { print $2 }' "$tf")
  [[ $kib =~ ^[0-9]+$ ]] || die "no 'Maximum resident set size' in the output of /usr/bin/time -v ($tf)"
  secs=$(awk -v d=$((end - start)) 'BEGIN { printf "%.3f", d / 1e9 }')
  ccpu=$(awk -F': *' '/User time \(seconds\)/ { u = $2 } /System time \(seconds\)/ { s = $2 }
    END { printf "%.2f", u + s }' "$tf")
  [[ -n $cpu0 && -n $cpu1 ]] && scpu=$(awk -v a="$cpu0" -v b="$cpu1" 'BEGIN { printf "%.2f", b - a }')
  printf '%s %s %s %s\n' "$secs" "$kib" "$ccpu" "$scpu" >>"$runs"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$ENGINE" "$BENCH_ROWS" "$name" "$n" "$secs" "$kib" "$ccpu" "$scpu" >>"$RUNS_TSV"
  log "  $name #$n: ${secs}s, $((kib / 1024)) MiB, client CPU ${ccpu}s$([[ $scpu != - ]] && echo ", server CPU ${scpu}s")"
}

# The runs of NAME for the current engine: "seconds max_rss_kib client_cpu server_cpu" lines.
runs_of() { printf '%s/runs/%s%s.%s\n' "$TMP" "$ENGINE" "$SCALE_TAG" "$1"; }

median_col() { # name column: median of a column of the runs of NAME ("-" if none)
  awk -v c="$2" '$c != "-" { v[++n] = $c } END {
    if (!n) { print "-"; exit }
    for (i = 2; i <= n; i++) { x = v[i]; j = i - 1; while (j > 0 && v[j] > x) { v[j + 1] = v[j]; j-- } v[j + 1] = x }
    if (n % 2) m = v[(n + 1) / 2]; else m = (v[n / 2] + v[n / 2 + 1]) / 2
    printf "%.2f", m }' "$(runs_of "$1")"
}

median_secs() { # name
  sort -n -k1,1 "$(runs_of "$1")" | awk '{ v[NR] = $1 } END {
    if (NR % 2) m = v[(NR + 1) / 2]; else m = (v[NR / 2] + v[NR / 2 + 1]) / 2
    printf "%.2f", m }'
}

peak_mib() { # name: the largest peak RSS over its runs
  awk '$2 > m { m = $2 } END { printf "%.0f", m / 1024 }' "$(runs_of "$1")"
}

# One row of the results table. NAME_B may be "-" when there is no reference;
# TARGET is the largest acceptable dbsnap/reference ratio, or "-"; MEM_MIB, if
# given, the largest acceptable dbsnap peak RSS.
record() { # operation dbsnap_name reference_name target [mem_mib]
  local op=$1 a=$2 b=$3 target=$4 mem=${5:-} ma mb ratio="—" rb="—" pb="—" tcell="—"
  ma=$(median_secs "$a")
  if [[ $b != - ]]; then
    mb=$(median_secs "$b")
    rb=$mb
    pb=$(peak_mib "$b")
    ratio=$(awk -v a="$ma" -v b="$mb" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "inf" }')
  fi
  if [[ $target != - ]]; then
    tcell="≤$target"
    if [[ $ratio != — ]]; then
      if awk -v r="$ratio" -v t="$target" 'BEGIN { exit !(r <= t) }'; then tcell+=" ✓"; else tcell+=" ✗"; fi
    fi
  fi
  if [[ -n $mem ]]; then
    if [[ $tcell == — ]]; then tcell=""; else tcell+=", "; fi
    tcell+="≤$mem MiB"
    if (($(peak_mib "$a") <= mem)); then tcell+=" ✓"; else tcell+=" ✗"; fi
  fi
  printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$op" "$ma" "$rb" "$ratio" "$(peak_mib "$a")" "$pb" "$tcell" >>"$TMP/table.$ENGINE"
}

# Pads the cells of a Markdown table so it also reads well in a terminal.
align_table() {
  awk -F'|' '
    { rows[NR] = $0; for (i = 2; i < NF; i++) { c = $i; gsub(/^ +| +$/, "", c); cell[NR, i] = c
        if (length(c) > w[i]) w[i] = length(c) } nf[NR] = NF }
    END { for (r = 1; r <= NR; r++) { line = "|"
        for (i = 2; i < nf[r]; i++) {
          c = cell[r, i]
          if (c ~ /^-+$/) { s = ""; while (length(s) < w[i]) s = s "-"; line = line " " s " |" }
          else line = line sprintf(" %-*s |", w[i], c)
        }
        print line } }'
}

human_bytes() { # bytes
  awk -v b="$1" 'BEGIN { split("B KiB MiB GiB TiB", u); i = 1
    while (b >= 1024 && i < 5) { b /= 1024; i++ } printf (i == 1 ? "%d %s" : "%.1f %s"), b, u[i] }'
}

size_of() { du -sb "$1" | cut -f1; }

machine_line() {
  local mem cpu
  mem=$(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
  cpu=$(awk -F': *' '/model name/ { print $2; exit }' /proc/cpuinfo)
  printf '%s CPUs (%s), %s RAM, %s' "$(nproc)" "${cpu:-unknown CPU}" "$mem" "$(uname -sr)"
}

verify_copy() { # label source_url target_url
  [[ $BENCH_VERIFY != 0 ]] || return 0
  local args=(verify --source "$2" --target "$3") rc=0
  [[ $BENCH_VERIFY == checksum ]] && args+=(--checksum)
  "$DBSNAP" "${args[@]}" >"$TMP/logs/verify.$1.log" 2>&1 || rc=$?
  if ((rc)); then
    tail -n 40 "$TMP/logs/verify.$1.log" >&2
    die "dbsnap verify after $1 failed (exit $rc): the loaded database differs from the source"
  fi
  log "  verify after $1: matches the source"
}

# --- PostgreSQL ----------------------------------------------------------------

bench_pg() {
  ENGINE=pg
  SERVER_PID=""
  [[ -n ${DBSNAP_TEST_PG_URL:-} ]] ||
    die "DBSNAP_TEST_PG_URL is not set; run 'make bench' or scripts/test-dbs.sh bash scripts/bench.sh"
  local tool
  for tool in psql pg_dump pg_restore; do
    command -v "$tool" >/dev/null || die "$tool not found (Debian package postgresql-client)"
  done
  pg_admin -c 'SELECT 1' >/dev/null || die "cannot connect to DBSNAP_TEST_PG_URL"

  local src=${BENCH_DB_PREFIX}_src imp=${BENCH_DB_PREFIX}_imp init=${BENCH_DB_PREFIX}_init
  local src_url imp_url init_url
  src_url=$(url_for_db "$DBSNAP_TEST_PG_URL" "$src")
  imp_url=$(url_for_db "$DBSNAP_TEST_PG_URL" "$imp")
  init_url=$(url_for_db "$DBSNAP_TEST_PG_URL" "$init")
  # Once, whatever the number of sizes: cleanup drops each name once.
  [[ " ${PG_DBS[*]} " == *" $src "* ]] || PG_DBS+=("$src" "$imp" "$init")
  local db
  for db in "$src" "$imp" "$init"; do
    if [[ -n $(pg_admin -At -c "SELECT 1 FROM pg_database WHERE datname = '$db'") ]]; then
      log "dropping $db left over from an earlier run"
      pg_drop_db "$db"
    fi
  done

  local dir=$TMP/pg
  mkdir -p "$dir"
  local schema=$dir/schema.sql plain=$dir/dbsnap.sql r t0 secs

  step "PostgreSQL: generating $BENCH_ROWS rows in $src (scripts/bench/pg_dataset.sql)"
  pg_admin -c "CREATE DATABASE $src TEMPLATE template0 ENCODING 'UTF8'"
  t0=$(date +%s%N)
  psql -X -q -v ON_ERROR_STOP=1 -v rows="$BENCH_ROWS" -d "$src_url" \
    -f "$ROOT/scripts/bench/pg_dataset.sql" >"$dir/dataset.log" 2>&1 || {
    tail -n 30 "$dir/dataset.log" >&2
    die "generating the data set failed"
  }
  secs=$(awk -v d=$(($(date +%s%N) - t0)) 'BEGIN { printf "%.1f", d / 1e9 }')
  local rows size tables server settings
  rows=$(psql -X -At -d "$src_url" -c "SELECT (SELECT count(*) FROM customers) + (SELECT count(*) FROM products)
      + (SELECT count(*) FROM orders) + (SELECT count(*) FROM order_items) + (SELECT count(*) FROM events)")
  size=$(psql -X -At -d "$src_url" -c "SELECT pg_database_size(current_database())")
  tables=$(psql -X -At -d "$src_url" -c "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')")
  server=$(psql -X -At -d "$src_url" -c "SHOW server_version")
  settings=$(psql -X -At -d "$src_url" -c "SELECT string_agg(name || '=' || current_setting(name), ', ' ORDER BY name)
      FROM unnest(ARRAY['shared_buffers', 'max_wal_size', 'fsync', 'synchronous_commit', 'maintenance_work_mem']) AS name")
  log "generated $rows rows in $tables tables (partitions included), $(human_bytes "$size"), in ${secs}s"

  step "dbsnap export-schema"
  "$DBSNAP" export-schema --url "$src_url" -o "$schema" >"$dir/export-schema.log" 2>&1 || {
    cat "$dir/export-schema.log" >&2
    die "dbsnap export-schema failed"
  }

  step "export: dbsnap export-data vs pg_dump --data-only ($BENCH_ROUNDS rounds)"
  for ((r = 1; r <= BENCH_ROUNDS; r++)); do
    rm -f "$plain"
    measure export_dbsnap "$DBSNAP" export-data --url "$src_url" -o "$plain"
    rm -f "$dir/pg_dump.sql"
    measure export_pg_dump pg_dump --data-only -d "$src_url" -f "$dir/pg_dump.sql"
  done
  local size_plain size_pgdump
  size_plain=$(size_of "$plain")
  size_pgdump=$(size_of "$dir/pg_dump.sql")
  rm -f "$dir/pg_dump.sql"

  step "gzip export: dbsnap export-data -o .sql.gz vs pg_dump --data-only -Z6 ($BENCH_ROUNDS rounds)"
  for ((r = 1; r <= BENCH_ROUNDS; r++)); do
    rm -f "$dir/dbsnap.sql.gz"
    measure gzip_dbsnap "$DBSNAP" export-data --url "$src_url" -o "$dir/dbsnap.sql.gz"
    rm -f "$dir/pg_dump.sql.gz"
    measure gzip_pg_dump pg_dump --data-only -Z6 -d "$src_url" -f "$dir/pg_dump.sql.gz"
  done
  local size_gz size_pgdump_gz
  size_gz=$(size_of "$dir/dbsnap.sql.gz")
  size_pgdump_gz=$(size_of "$dir/pg_dump.sql.gz")
  rm -f "$dir/dbsnap.sql.gz" "$dir/pg_dump.sql.gz"

  step "zstd export: dbsnap export-data -o .sql.zst ($BENCH_ROUNDS rounds; pg_dump 15 has no zstd)"
  for ((r = 1; r <= BENCH_ROUNDS; r++)); do
    rm -f "$dir/dbsnap.sql.zst"
    measure zstd_dbsnap "$DBSNAP" export-data --url "$src_url" -o "$dir/dbsnap.sql.zst"
  done
  local size_zst
  size_zst=$(size_of "$dir/dbsnap.sql.zst")
  rm -f "$dir/dbsnap.sql.zst"

  # Both tools start from the same state: a fresh database built by
  # `dbsnap init --schema`, with its indexes, constraints and triggers.
  fresh_schema_db() {
    pg_drop_db "$imp"
    "$DBSNAP" init --url "$imp_url" --schema "$schema" --yes >"$dir/init-schema.log" 2>&1 || {
      cat "$dir/init-schema.log" >&2
      die "dbsnap init --schema (preparing $imp for import) failed"
    }
  }
  step "import: dbsnap import vs psql -1 -f of the same file, into a schema with indexes ($BENCH_ROUNDS rounds)"
  for ((r = 1; r <= BENCH_ROUNDS; r++)); do
    fresh_schema_db
    measure import_dbsnap "$DBSNAP" import --url "$imp_url" "$plain"
    ((r == 1)) && verify_copy "dbsnap import" "$src_url" "$imp_url"
    fresh_schema_db
    measure import_psql psql -X -1 -q -v ON_ERROR_STOP=1 -d "$imp_url" -f "$plain"
    ((r == 1)) && verify_copy "psql -1 -f" "$src_url" "$imp_url"
  done
  pg_drop_db "$imp"

  step "init: dbsnap init --schema --data vs CREATE DATABASE + pg_restore -j2 ($BENCH_ROUNDS rounds)"
  local dumpdir=$dir/pg_dump.dir
  pg_dump -Fd -Z0 -d "$src_url" -f "$dumpdir" >"$dir/pg_dump-Fd.log" 2>&1 || {
    cat "$dir/pg_dump-Fd.log" >&2
    die "pg_dump -Fd failed"
  }
  local size_dumpdir
  size_dumpdir=$(size_of "$dumpdir")
  for ((r = 1; r <= BENCH_ROUNDS; r++)); do
    pg_drop_db "$init"
    measure init_dbsnap "$DBSNAP" init --url "$init_url" --schema "$schema" --data "$plain" --yes
    ((r == 1)) && verify_copy "dbsnap init" "$src_url" "$init_url"
    pg_drop_db "$init"
    # The database is created inside the timed command, as dbsnap init creates its own.
    # shellcheck disable=SC2016  # expanded by the inner shell
    measure init_pg_restore bash -c 'psql -X -q -v ON_ERROR_STOP=1 -d "$1" -c "CREATE DATABASE $2 TEMPLATE template0" &&
      exec pg_restore -j2 -d "$3" "$4"' bench "$DBSNAP_TEST_PG_URL" "$init" "$init_url" "$dumpdir"
    ((r == 1)) && verify_copy "pg_restore" "$src_url" "$init_url"
  done
  pg_drop_db "$init"
  rm -rf "$dumpdir"

  step "swap-over: export-schema + export-data + init vs pg_dump -Fd -j2 + pg_restore -j2 vs pgcopydb clone ($BENCH_ROUNDS rounds)"
  ensure_pgcopydb
  local sw=$dir/swap
  # Each timed command copies the live source into a new database, start to end.
  # shellcheck disable=SC2016  # expanded by the inner shells
  for ((r = 1; r <= BENCH_ROUNDS; r++)); do
    pg_drop_db "$init" && rm -rf "$sw" && mkdir -p "$sw"
    measure swap_dbsnap bash -c '"$1" export-schema --url "$2" -o "$4/schema.sql" &&
      "$1" export-data --url "$2" -o "$4/data.sql" &&
      exec "$1" init --url "$3" --schema "$4/schema.sql" --data "$4/data.sql" --yes' \
      bench "$DBSNAP" "$src_url" "$init_url" "$sw"
    ((r == 1)) && verify_copy "dbsnap swap-over" "$src_url" "$init_url"
    pg_drop_db "$init" && rm -rf "$sw" && mkdir -p "$sw"
    measure swap_pg_restore bash -c 'pg_dump -Fd -Z0 -j2 -d "$2" -f "$4/dump" &&
      psql -X -q -v ON_ERROR_STOP=1 -d "$1" -c "CREATE DATABASE $5 TEMPLATE template0" &&
      exec pg_restore -j2 -d "$3" "$4/dump"' \
      bench "$DBSNAP_TEST_PG_URL" "$src_url" "$init_url" "$sw" "$init"
    ((r == 1)) && verify_copy "pg_dump -j2 + pg_restore -j2" "$src_url" "$init_url"
    pg_drop_db "$init" && rm -rf "$sw" && mkdir -p "$sw"
    measure swap_pgcopydb bash -c 'psql -X -q -v ON_ERROR_STOP=1 -d "$1" -c "CREATE DATABASE $5 TEMPLATE template0" &&
      exec pgcopydb clone --source "$2" --target "$3" --dir "$4/pgcopydb" --table-jobs 2 --index-jobs 2 --no-owner --no-acl' \
      bench "$DBSNAP_TEST_PG_URL" "$src_url" "$init_url" "$sw" "$init"
    ((r == 1)) && verify_copy "pgcopydb clone" "$src_url" "$init_url"
  done
  pg_drop_db "$init"
  rm -rf "$sw"

  {
    echo '| operation | dbsnap median s | reference median s | ratio (dbsnap/reference) | dbsnap peak MiB | reference peak MiB | target |'
    echo '|---|---|---|---|---|---|---|'
  } >"$TMP/table.pg"
  # Targets: issue 10.
  record "export: export-data .sql vs pg_dump --data-only" export_dbsnap export_pg_dump 0.75 64
  record "gzip export: export-data .sql.gz vs pg_dump --data-only -Z6" gzip_dbsnap gzip_pg_dump 0.6 64
  record "zstd export: export-data .sql.zst (no pg_dump equivalent)" zstd_dbsnap - - 64
  record "import into indexed schema: dbsnap import vs psql -1 -f (same file)" import_dbsnap import_psql 0.8 64
  record "init with data: init --schema --data vs CREATE DATABASE + pg_restore -j2" init_dbsnap init_pg_restore 0.8 64
  record "swap-over: export-schema + export-data + init vs pg_dump -Fd -Z0 -j2 + pg_restore -j2" swap_dbsnap swap_pg_restore 0.8 64
  record "swap-over: export-schema + export-data + init vs pgcopydb clone --table-jobs 2 --index-jobs 2" swap_dbsnap swap_pgcopydb 0.8 64

  {
    echo "## PostgreSQL"
    echo
    echo "- Data set: $rows rows in $tables tables (partitions included; scripts/bench/pg_dataset.sql, rows=$BENCH_ROWS),"
    echo "  source database $(human_bytes "$size") (pg_database_size), generated in ${secs}s"
    echo "- Server: PostgreSQL $server on the same machine; $settings"
    echo "- Rounds: $BENCH_ROUNDS per tool, dbsnap and the reference alternating"
    echo
    cat "$TMP/table.pg"
    echo
    echo "| file | size |"
    echo "|---|---|"
    echo "| dbsnap export-data .sql | $(human_bytes "$size_plain") |"
    echo "| pg_dump --data-only .sql | $(human_bytes "$size_pgdump") |"
    echo "| dbsnap export-data .sql.gz | $(human_bytes "$size_gz") |"
    echo "| pg_dump --data-only -Z6 .sql.gz | $(human_bytes "$size_pgdump_gz") |"
    echo "| dbsnap export-data .sql.zst | $(human_bytes "$size_zst") |"
    echo "| pg_dump -Fd -Z0 directory (for pg_restore) | $(human_bytes "$size_dumpdir") |"
    echo
    echo "Notes:"
    echo "- import: both tools load dbsnap's plain export into a fresh database built by"
    echo "  \`dbsnap init --schema\` (indexes, constraints and triggers present); building it is not timed."
    echo "- init: dbsnap's time includes creating its database; the reference's timed command is"
    echo "  \`CREATE DATABASE ... TEMPLATE template0\` then \`pg_restore -j2\` of an uncompressed (-Z0)"
    echo "  directory dump. Dropping the previous database is not timed."
    echo "- swap-over: each tool's timed command copies the source into a new database, start to"
    echo "  end; pg_dump writes an uncompressed (-Z0) directory, as dbsnap writes plain SQL."
    if [[ $BENCH_VERIFY != 0 ]]; then
      echo "- The first import and init of each tool was checked with \`dbsnap verify$([[ $BENCH_VERIFY == checksum ]] && echo ' --checksum')\` against the source."
    fi
  } | align_table_sections >>"$RESULTS_MD"
}

# --- MariaDB / MySQL -------------------------------------------------------------

# Percent-decoding of a URL part.
url_decode() { printf '%b' "${1//%/\\x}"; }

# Writes the client option file the mariadb, mysqldump, mydumper and myloader
# commands read (--defaults-file), from a mysql://user:pass@host:port/db URL.
my_write_cnf() { # url
  [[ $1 =~ ^(mysql|mariadb)://(([^:@/]*)(:([^@/]*))?@)?(\[[^]]*\]|[^:/?]*)(:([0-9]+))?(/[^?]*)?(\?.*)?$ ]] ||
    die "cannot parse DBSNAP_TEST_MYSQL_URL as mysql://user[:password]@host[:port]/db"
  MY_USER=$(url_decode "${BASH_REMATCH[3]:-root}")
  local pass host
  pass=$(url_decode "${BASH_REMATCH[5]}")
  host=${BASH_REMATCH[6]:-127.0.0.1}
  host=${host#[}
  MY_HOST=${host%]}
  MY_PORT=${BASH_REMATCH[8]:-3306}
  MY_CNF=$TMP/my.cnf
  (
    umask 077
    printf '[client]\nhost=%s\nport=%s\nuser=%s\nprotocol=tcp\n' "$MY_HOST" "$MY_PORT" "$MY_USER"
    [[ -n $pass ]] && printf 'password="%s"\n' "${pass//\"/\\\"}"
    true
  ) >"$MY_CNF"
}

my_admin() { "$MY_CLIENT" --defaults-file="$MY_CNF" -N -B "$@"; }

my_drop_db() { # name
  my_admin -e "DROP DATABASE IF EXISTS \`$1\`"
}

# Waits (at most BENCH_MYSQL_SETTLE seconds) until InnoDB has written most of
# its dirty pages, so one run's writes are not flushed during the next run: until
# at most 5% of the buffer pool is dirty, or the count has not gone down for 3s
# (InnoDB keeps some pages dirty when idle; other sessions may dirty more).
my_settle() {
  local limit=${BENCH_MYSQL_SETTLE:-60} i dirty total best="" still=0
  for ((i = 0; i < limit * 2; i++)); do
    read -r dirty total < <(my_admin -e "SELECT
        (SELECT variable_value FROM information_schema.global_status WHERE variable_name = 'INNODB_BUFFER_POOL_PAGES_DIRTY'),
        (SELECT variable_value FROM information_schema.global_status WHERE variable_name = 'INNODB_BUFFER_POOL_PAGES_TOTAL')") || return 0
    [[ $dirty =~ ^[0-9]+$ && $total =~ ^[0-9]+$ ]] || return 0
    ((dirty * 100 <= total * 5)) && return 0
    if [[ -z $best ]] || ((dirty < best)); then
      best=$dirty
      still=0
    elif ((++still >= 6)); then
      return 0
    fi
    sleep 0.5
  done
  log "  (InnoDB still has $dirty of $total pages dirty after ${limit}s; going on)"
}

ensure_mydumper() {
  command -v mydumper >/dev/null 2>&1 && command -v myloader >/dev/null 2>&1 && return 0
  command -v apt-get >/dev/null 2>&1 || die "mydumper/myloader are missing and there is no apt-get; install mydumper"
  log "installing the Debian package 'mydumper' (mydumper, myloader)"
  as_root apt-get update >"$TMP/apt.log" 2>&1 || {
    tail -n 20 "$TMP/apt.log" >&2
    die "apt-get update failed"
  }
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y mydumper >>"$TMP/apt.log" 2>&1 || {
    tail -n 20 "$TMP/apt.log" >&2
    die "apt-get install mydumper failed"
  }
  if ! command -v mydumper >/dev/null 2>&1 || ! command -v myloader >/dev/null 2>&1; then
    die "mydumper/myloader still missing after installing 'mydumper'"
  fi
}

ensure_pgcopydb() {
  command -v pgcopydb >/dev/null 2>&1 && return 0
  command -v apt-get >/dev/null 2>&1 || die "pgcopydb is missing and there is no apt-get; install pgcopydb"
  log "installing the Debian package 'pgcopydb'"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y pgcopydb >"$TMP/apt.log" 2>&1 || {
    as_root apt-get update >>"$TMP/apt.log" 2>&1 || true
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y pgcopydb >>"$TMP/apt.log" 2>&1 || {
      tail -n 20 "$TMP/apt.log" >&2
      die "apt-get install pgcopydb failed"
    }
  }
  command -v pgcopydb >/dev/null 2>&1 || die "pgcopydb still missing after installing 'pgcopydb'"
}

# The pid of the server, when it runs on this machine and we can see it.
my_server_pid() {
  local pid_file pid comm
  case $MY_HOST in 127.0.0.1 | localhost | ::1) ;; *) return 0 ;; esac
  pid_file=$(my_admin -e 'SELECT @@pid_file') || return 0
  [[ -r $pid_file ]] || return 0
  pid=$(<"$pid_file")
  [[ $pid =~ ^[0-9]+$ && -r /proc/$pid/stat ]] || return 0
  comm=$(</proc/"$pid"/comm)
  [[ $comm == mariadbd || $comm == mysqld ]] && printf '%s\n' "$pid"
  return 0
}

bench_mysql() {
  ENGINE=mysql
  [[ -n ${DBSNAP_TEST_MYSQL_URL:-} ]] ||
    die "DBSNAP_TEST_MYSQL_URL is not set; run 'make bench' or scripts/test-dbs.sh bash scripts/bench.sh"
  MY_CLIENT=$(command -v mariadb || command -v mysql || true)
  [[ -n $MY_CLIENT ]] || die "neither mariadb nor mysql found (Debian package mariadb-client)"
  MY_DUMP=$(command -v mysqldump || command -v mariadb-dump || true)
  [[ -n $MY_DUMP ]] || die "neither mysqldump nor mariadb-dump found (Debian package mariadb-client)"
  ensure_mydumper
  my_write_cnf "$DBSNAP_TEST_MYSQL_URL"
  my_admin -e 'SELECT 1' >/dev/null || die "cannot connect to DBSNAP_TEST_MYSQL_URL"
  local server
  server=$(my_admin -e 'SELECT VERSION()')
  [[ $server == *MariaDB* ]] || die "the MySQL benchmark needs MariaDB (its Sequence engine generates the data); server is $server"
  SERVER_PID=$(my_server_pid)

  local src=dbsnap_bench_src imp=dbsnap_bench_imp init=dbsnap_bench_init
  local src_url imp_url init_url
  src_url=$(url_for_db "$DBSNAP_TEST_MYSQL_URL" "$src")
  imp_url=$(url_for_db "$DBSNAP_TEST_MYSQL_URL" "$imp")
  init_url=$(url_for_db "$DBSNAP_TEST_MYSQL_URL" "$init")
  MY_DBS+=("$src" "$imp" "$init")
  local db
  for db in "$src" "$imp" "$init"; do
    if [[ -n $(my_admin -e "SELECT 1 FROM information_schema.schemata WHERE schema_name = '$db'") ]]; then
      log "dropping $db left over from an earlier run (MariaDB)"
      my_drop_db "$db"
    fi
  done

  local dir=$TMP/mysql
  mkdir -p "$dir"
  local schema=$dir/schema.sql plain=$dir/dbsnap.sql r t0 secs
  local mydumper=(mydumper --defaults-file="$MY_CNF" -B "$src" -t 2 --no-locks -v 1)
  local myloader=(myloader --defaults-file="$MY_CNF" -t 2 -v 1)
  # dbsnap's options: two tables read at once, as mydumper -t 2 does (sharing one
  # snapshot takes a moment of FLUSH TABLES WITH READ LOCK); the import with
  # FOREIGN_KEY_CHECKS and UNIQUE_CHECKS off, as myloader loads mydumper's files.
  local export_opts=(--jobs 2) import_opts=(--disable-constraints)

  step "MariaDB: generating $BENCH_ROWS rows in $src (scripts/bench/mysql_dataset.sql)"
  my_admin -e "CREATE DATABASE \`$src\` CHARACTER SET utf8mb4"
  t0=$(date +%s%N)
  { printf 'SET @rows = %s;\n' "$BENCH_ROWS"; cat "$ROOT/scripts/bench/mysql_dataset.sql"; } |
    my_admin "$src" >"$dir/dataset.log" 2>&1 || {
    tail -n 30 "$dir/dataset.log" >&2
    die "generating the data set failed"
  }
  secs=$(awk -v d=$(($(date +%s%N) - t0)) 'BEGIN { printf "%.1f", d / 1e9 }')
  local rows size tables parts settings
  rows=$(my_admin "$src" -e "SELECT (SELECT count(*) FROM customers) + (SELECT count(*) FROM products)
      + (SELECT count(*) FROM orders) + (SELECT count(*) FROM order_items) + (SELECT count(*) FROM events)")
  size=$(my_admin -e "SELECT SUM(data_length + index_length) FROM information_schema.tables WHERE table_schema = '$src'")
  tables=$(my_admin -e "SELECT count(*) FROM information_schema.tables WHERE table_schema = '$src' AND table_type = 'BASE TABLE'")
  parts=$(my_admin -e "SELECT count(*) FROM information_schema.partitions WHERE table_schema = '$src' AND partition_name IS NOT NULL")
  settings=$(my_admin -e "SELECT GROUP_CONCAT(LOWER(variable_name), '=', variable_value ORDER BY variable_name SEPARATOR ', ')
      FROM information_schema.global_variables WHERE variable_name IN ('INNODB_BUFFER_POOL_SIZE', 'INNODB_FLUSH_LOG_AT_TRX_COMMIT',
        'INNODB_DOUBLEWRITE', 'INNODB_LOG_FILE_SIZE', 'INNODB_FLUSH_METHOD', 'LOG_BIN', 'MAX_ALLOWED_PACKET')")
  log "generated $rows rows in $tables tables ($parts partitions), $(human_bytes "$size"), in ${secs}s"

  step "dbsnap export-schema"
  "$DBSNAP" export-schema --url "$src_url" -o "$schema" >"$dir/export-schema.log" 2>&1 || {
    cat "$dir/export-schema.log" >&2
    die "dbsnap export-schema failed"
  }

  # mydumper without --no-locks runs FLUSH TABLES WITH READ LOCK, which waits for
  # every running statement on the server and blocks all writes meanwhile; the
  # source is not written during the run, so each thread's own snapshot is enough.
  step "export: dbsnap export-data vs mydumper -t 2 -m vs mysqldump --single-transaction ($BENCH_ROUNDS rounds)"
  local mdata=$dir/mydumper.data
  for ((r = 1; r <= BENCH_ROUNDS; r++)); do
    rm -f "$plain"
    measure export_dbsnap "$DBSNAP" export-data "${export_opts[@]}" --url "$src_url" -o "$plain"
    rm -rf "$mdata"
    measure export_mydumper "${mydumper[@]}" -m -o "$mdata"
    rm -f "$dir/mysqldump.sql"
    # shellcheck disable=SC2016  # expanded by the inner shell
    measure export_mysqldump bash -c 'exec "$1" --defaults-file="$2" --single-transaction --skip-lock-tables --hex-blob \
      --no-create-info "$3" >"$4"' bench "$MY_DUMP" "$MY_CNF" "$src" "$dir/mysqldump.sql"
  done
  local size_plain size_mdata size_mysqldump
  size_plain=$(size_of "$plain")
  size_mdata=$(size_of "$mdata")
  size_mysqldump=$(size_of "$dir/mysqldump.sql")
  rm -f "$dir/mysqldump.sql"

  step "gzip export: dbsnap export-data -o .sql.gz vs mydumper -t 2 -m -c ($BENCH_ROUNDS rounds)"
  for ((r = 1; r <= BENCH_ROUNDS; r++)); do
    rm -f "$dir/dbsnap.sql.gz"
    measure gzip_dbsnap "$DBSNAP" export-data "${export_opts[@]}" --url "$src_url" -o "$dir/dbsnap.sql.gz"
    rm -rf "$dir/mydumper.gz"
    measure gzip_mydumper "${mydumper[@]}" -m -c -o "$dir/mydumper.gz"
  done
  local size_gz size_mgz
  size_gz=$(size_of "$dir/dbsnap.sql.gz")
  size_mgz=$(size_of "$dir/mydumper.gz")
  rm -rf "$dir/dbsnap.sql.gz" "$dir/mydumper.gz"

  step "zstd export: dbsnap export-data -o .sql.zst ($BENCH_ROUNDS rounds; mydumper 0.10 has no zstd)"
  for ((r = 1; r <= BENCH_ROUNDS; r++)); do
    rm -f "$dir/dbsnap.sql.zst"
    measure zstd_dbsnap "$DBSNAP" export-data "${export_opts[@]}" --url "$src_url" -o "$dir/dbsnap.sql.zst"
  done
  local size_zst
  size_zst=$(size_of "$dir/dbsnap.sql.zst")
  rm -f "$dir/dbsnap.sql.zst"

  # All three start from the same state: a fresh database built by
  # `dbsnap init --schema`, with its indexes and foreign keys.
  my_fresh_schema_db() {
    my_drop_db "$imp"
    "$DBSNAP" init --url "$imp_url" --schema "$schema" --yes >"$dir/init-schema.log" 2>&1 || {
      cat "$dir/init-schema.log" >&2
      die "dbsnap init --schema (preparing $imp for import) failed"
    }
  }
  step "import: dbsnap import vs $(basename "$MY_CLIENT") DB < file vs myloader -t 2, into a schema with indexes ($BENCH_ROUNDS rounds)"
  for ((r = 1; r <= BENCH_ROUNDS; r++)); do
    my_fresh_schema_db
    measure import_dbsnap "$DBSNAP" import "${import_opts[@]}" --url "$imp_url" "$plain"
    ((r == 1)) && verify_copy "dbsnap import (MariaDB)" "$src_url" "$imp_url"
    my_fresh_schema_db
    # shellcheck disable=SC2016  # expanded by the inner shell
    measure import_client bash -c 'exec "$1" --defaults-file="$2" "$3" <"$4"' bench "$MY_CLIENT" "$MY_CNF" "$imp" "$plain"
    ((r == 1)) && verify_copy "$(basename "$MY_CLIENT") < file" "$src_url" "$imp_url"
    my_fresh_schema_db
    measure import_myloader "${myloader[@]}" -d "$mdata" -B "$imp"
    ((r == 1)) && verify_copy "myloader (data only)" "$src_url" "$imp_url"
  done
  my_drop_db "$imp"
  rm -rf "$mdata"

  step "init: dbsnap init --schema --data vs myloader -t 2 of a full mydumper dump ($BENCH_ROUNDS rounds)"
  local mfull=$dir/mydumper.full
  "${mydumper[@]}" -G -R -E -o "$mfull" >"$dir/mydumper-full.log" 2>&1 || {
    cat "$dir/mydumper-full.log" >&2
    die "mydumper (full dump) failed"
  }
  local size_mfull
  size_mfull=$(size_of "$mfull")
  for ((r = 1; r <= BENCH_ROUNDS; r++)); do
    my_drop_db "$init"
    measure init_dbsnap "$DBSNAP" init --url "$init_url" --schema "$schema" --data "$plain" --yes
    ((r == 1)) && verify_copy "dbsnap init (MariaDB)" "$src_url" "$init_url"
    my_drop_db "$init"
    # myloader creates the database from the dump's schema-create file.
    measure init_myloader "${myloader[@]}" -d "$mfull" -B "$init"
    ((r == 1)) && verify_copy "myloader (full dump)" "$src_url" "$init_url"
  done
  my_drop_db "$init"
  rm -rf "$mfull"

  {
    echo '| operation | dbsnap median s | reference median s | ratio (dbsnap/reference) | dbsnap peak MiB | reference peak MiB | target |'
    echo '|---|---|---|---|---|---|---|'
  } >"$TMP/table.mysql"
  local eo="${export_opts[*]}" io="${import_opts[*]}"
  record "export: export-data${eo:+ $eo} .sql vs mydumper -t 2 -m (uncompressed)" export_dbsnap export_mydumper 1.0 64
  record "export: export-data${eo:+ $eo} .sql vs mysqldump --single-transaction" export_dbsnap export_mysqldump - 64
  record "gzip export: export-data${eo:+ $eo} .sql.gz vs mydumper -t 2 -m -c" gzip_dbsnap gzip_mydumper 1.0 64
  record "zstd export: export-data${eo:+ $eo} .sql.zst (no mydumper equivalent)" zstd_dbsnap - - 64
  record "import into indexed schema: dbsnap import${io:+ $io} vs myloader -t 2 (data only)" import_dbsnap import_myloader 1.0 64
  record "import into indexed schema: dbsnap import${io:+ $io} vs $(basename "$MY_CLIENT") DB < file (same file)" import_dbsnap import_client - 64
  record "init with data: init --schema --data vs myloader -t 2 (full dump)" init_dbsnap init_myloader 1.0 64

  # Where the time goes: the client's CPU (user + system, from /usr/bin/time) and,
  # for a server on this machine, the server's CPU over the same interval.
  local cpu_table=$TMP/cpu.mysql name
  {
    echo '| run | median wall s | median client CPU s | median server CPU s |'
    echo '|---|---|---|---|'
    for name in export_dbsnap export_mydumper export_mysqldump gzip_dbsnap gzip_mydumper zstd_dbsnap \
      import_dbsnap import_client import_myloader init_dbsnap init_myloader; do
      printf '| %s | %s | %s | %s |\n' "$name" "$(median_secs "$name")" "$(median_col "$name" 3)" "$(median_col "$name" 4)"
    done
  } >"$cpu_table"

  {
    echo "## MariaDB"
    echo
    echo "- Data set: $rows rows in $tables tables, one of them RANGE-partitioned ($parts partitions);"
    echo "  scripts/bench/mysql_dataset.sql, rows=$BENCH_ROWS; source database $(human_bytes "$size")"
    echo "  (data_length + index_length), generated in ${secs}s"
    echo "- Server: $server on $MY_HOST:$MY_PORT; $settings"
    echo "- Clients: $("$MY_CLIENT" --version | sed -E 's#^([^ ]*/)?([^ ]+) +Ver ([^ ]+) Distrib ([^,]+),.*#\2 \3 (\4)#');" \
      "$("$MY_DUMP" --version | sed -E 's#^([^ ]*/)?([^ ]+) +Ver ([^ ]+) Distrib ([^,]+),.*#\2 \3 (\4)#'); $(mydumper --version 2>&1 | head -n 1)"
    echo "- Rounds: $BENCH_ROUNDS per tool, dbsnap and the references alternating"
    echo
    cat "$TMP/table.mysql"
    echo
    echo "| file | size |"
    echo "|---|---|"
    echo "| dbsnap export-data .sql | $(human_bytes "$size_plain") |"
    echo "| mydumper -m directory (data only) | $(human_bytes "$size_mdata") |"
    echo "| mysqldump --no-create-info --hex-blob .sql | $(human_bytes "$size_mysqldump") |"
    echo "| dbsnap export-data .sql.gz | $(human_bytes "$size_gz") |"
    echo "| mydumper -m -c directory | $(human_bytes "$size_mgz") |"
    echo "| dbsnap export-data .sql.zst | $(human_bytes "$size_zst") |"
    echo "| mydumper directory with schema (for the init comparison) | $(human_bytes "$size_mfull") |"
    echo
    echo "CPU seconds per run (medians; the server's CPU includes anything else it ran meanwhile):"
    echo
    cat "$cpu_table"
    echo
    echo "Notes:"
    echo "- export: \`dbsnap export-data${eo:+ $eo}\` writes one file from one snapshot$([[ $eo == *--jobs* ]] &&
      echo ", reading tables on several connections (FLUSH TABLES WITH READ LOCK for a moment to share it)")."
    echo "  mydumper runs \`-t 2 --no-locks -m\` (two threads, one file per table, no schema files; --no-locks"
    echo "  skips FLUSH TABLES WITH READ LOCK, harmless here as nothing writes to the source); mysqldump writes"
    echo "  one file through stdout. The timed command is the tool alone; the output is removed untimed."
    echo "- import: each tool loads into a fresh database built by \`dbsnap init --schema\` (secondary"
    echo "  indexes and foreign keys present); building it is not timed. \`dbsnap import${io:+ $io}\` and"
    echo "  \`$(basename "$MY_CLIENT") DB < file\` load the same dbsnap .sql: dbsnap in one transaction$([[ $io == *--disable-constraints* ]] &&
      echo " with FOREIGN_KEY_CHECKS and UNIQUE_CHECKS off" || echo " with foreign keys checked"),"
    echo "  the client in autocommit mode with foreign keys checked (the file orders parents first)."
    echo "  myloader loads the mydumper -m directory with 2 threads; mydumper's files turn"
    echo "  FOREIGN_KEY_CHECKS off."
    echo "- init: dbsnap's time includes creating its database, tables, rows, then foreign keys."
    echo "  The reference is myloader -t 2 of a full mydumper dump (schema files and data; made"
    echo "  untimed) into a database that does not exist yet: myloader creates it and the tables"
    echo "  (indexes and foreign keys inline), then loads the rows. Dropping the previous database is not timed."
    echo "- The target column checks the ratio against the issue's targets (export ≤ 1.0 × mydumper,"
    echo "  import ≤ 1.0 × myloader) and dbsnap's peak RSS against 64 MiB."
    if [[ $BENCH_VERIFY != 0 ]]; then
      echo "- The first import and init of each tool was checked with \`dbsnap verify$([[ $BENCH_VERIFY == checksum ]] && echo ' --checksum')\` against the source."
    fi
  } | align_table_sections >>"$RESULTS_MD"
}

# Aligns every Markdown table in the text; other lines pass through.
align_table_sections() {
  local block=() line
  flush() {
    if ((${#block[@]})); then
      printf '%s\n' "${block[@]}" | align_table
      block=()
    fi
  }
  while IFS= read -r line; do
    if [[ $line == '|'* ]]; then
      block+=("$line")
    else
      flush
      printf '%s\n' "$line"
    fi
  done
  flush
}

# --- main ------------------------------------------------------------------------

ensure_gnu_time
started=$(date +%s)
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
IFS=', ' read -r -a engines <<<"$BENCH_ENGINES"
read -r -a scales <<<"$BENCH_SCALES"
base_rows=$BENCH_ROWS

# After every size of one engine: how much each operation's time grew from the
# smallest size to the largest. Linear growth is the ratio of the sizes; the
# target (issue 10) is within 10 % of it, and peak memory ≤ 64 MiB at both.
growth_table() {
  ((${#scales[@]} > 1)) || return 0
  local small=$((base_rows * scales[0])) large=$((base_rows * scales[${#scales[@]} - 1])) f name a b ma mb limit
  limit=$(awk -v s="$small" -v l="$large" 'BEGIN { printf "%.2f", 1.1 * l / s }')
  {
    echo
    echo "## $ENGINE: growth from $small to $large rows"
    echo
    echo "| operation | s at $small | s at $large | growth | peak MiB at $small / $large | target |"
    echo "|---|---|---|---|---|---|"
    for f in "$TMP/runs/$ENGINE.$small".*; do
      name=${f##*.}
      SCALE_TAG=.$small
      a=$(median_secs "$name")
      ma=$(peak_mib "$name")
      SCALE_TAG=.$large
      [[ -f $(runs_of "$name") ]] || continue
      b=$(median_secs "$name")
      mb=$(peak_mib "$name")
      awk -v n="$name" -v a="$a" -v b="$b" -v ma="$ma" -v mb="$mb" -v t="$limit" 'BEGIN {
        g = a > 0 ? b / a : 0
        printf "| %s | %s | %s | %.2f | %s / %s | ≤%s %s |\n", n, a, b, g, ma, mb, t, (g <= t ? "✓" : "✗") }'
    done
    echo
  } | align_table_sections >>"$RESULTS_MD"
  SCALE_TAG=""
}

for engine in "${engines[@]}"; do
  for scale in "${scales[@]}"; do
    BENCH_ROWS=$((base_rows * scale))
    SCALE_TAG=""
    ((${#scales[@]} > 1)) && SCALE_TAG=.$BENCH_ROWS
    case $engine in
      pg | postgres | postgresql) bench_pg ;;
      mysql | mariadb)
        if declare -F bench_mysql >/dev/null; then bench_mysql; else die "the MariaDB benchmark is not written yet (BENCH_ENGINES=$BENCH_ENGINES)"; fi
        ;;
      *) die "unknown engine '$engine' in BENCH_ENGINES (pg, mysql)" ;;
    esac
  done
  growth_table
done
BENCH_ROWS=$base_rows

{
  echo "# dbsnap benchmark"
  echo
  echo "- Date: $(date -u '+%Y-%m-%d %H:%M UTC'); total bench time $(($(date +%s) - started))s"
  echo "- dbsnap: $DBSNAP_VERSION"
  echo "- Machine: $(machine_line); load average (1/5/15 min) $load_start at the start,"
  echo "  $(cut -d' ' -f1-3 /proc/loadavg) at the end (other work on the machine makes times noisy)"
  echo "- Times are medians of wall-clock seconds (process start to exit); peak MiB is the largest"
  echo "  \"Maximum resident set size\" of /usr/bin/time -v over the runs: the client process only, not"
  echo "  the server. A ratio below 1 means dbsnap is faster. Before each timed run: sync, and"
  echo "  CHECKPOINT (PostgreSQL) or a wait for InnoDB's dirty pages to be flushed (MariaDB)."
  echo
  cat "$RESULTS_MD"
} >"$TMP/final.md"
mkdir -p "$BENCH_OUT"
cp "$TMP/final.md" "$BENCH_OUT/results.md"
{
  printf 'engine\trows\toperation\trun\tseconds\tmax_rss_kib\tclient_cpu_s\tserver_cpu_s\n'
  cat "$RUNS_TSV"
} >"$BENCH_OUT/runs.tsv"
echo
cat "$TMP/final.md"
echo
log "wrote $BENCH_OUT/results.md and $BENCH_OUT/runs.tsv"
