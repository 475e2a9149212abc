#!/usr/bin/env bash
# shellcheck disable=SC2317  # cleanup runs from the EXIT trap; scenario steps call functions by name
# Benchmark of dbsnap against the reference tools on generated data sets.
#
# Usage: make bench        (builds dbsnap, runs this under scripts/test-dbs.sh)
#        BENCH_ROWS=200000 BENCH_ROUNDS=1 BENCH_SCALES=1 make bench   (a quick run)
#        BENCH_ONLY="pg:export mysql:init" make bench                (a few scenarios again)
#        DBSNAP_TEST_PG_URL=postgres://postgres@127.0.0.1:5432/postgres bash scripts/bench.sh
#
# The scenarios are a table, scripts/bench/scenarios.sh (its header says how to
# write one); this file is the runner. For each engine and each size of
# BENCH_SCALES, it generates the data set, then runs each scenario BENCH_ROUNDS
# times, dbsnap and the reference tools alternating. Today's scenarios:
#
# PostgreSQL (scripts/bench/pg_dataset.sql, the shop data set unless said):
#   pg:export     dbsnap export-data -o X.sql      vs pg_dump --data-only -f Y.sql
#   pg:gzip       dbsnap export-data -o X.sql.gz   vs pg_dump --data-only -Z6 -f Y.sql.gz
#   pg:zstd       dbsnap export-data -o X.sql.zst  (pg_dump 15 has no zstd)
#   pg:import     dbsnap import X.sql              vs psql -1 -f X.sql, each into a
#                 fresh database built by `dbsnap init --schema` (indexes and FKs present)
#   pg:init       dbsnap init --schema S --data X.sql --yes
#                 vs CREATE DATABASE + pg_restore -j2 of a pg_dump -Fd -Z0 directory
#   pg:swap       the whole copy of a live database, each timed as one command:
#                 dbsnap export-schema + export-data + init --schema --data
#                 vs pg_dump -Fd -Z0 -j2 + CREATE DATABASE + pg_restore -j2
#                 vs CREATE DATABASE + pgcopydb clone --table-jobs 2 --index-jobs 2
#                 (Debian package pgcopydb, installed with apt-get if missing)
#   pg:bigtable   on the one_big_table data set (80 % of the rows in events, one
#                 table): dbsnap export-data --jobs 2 vs pg_dump --data-only
#   pg:resume     on one_big_table: dbsnap init --data in full vs dbsnap init --resume
#                 after an init killed (untimed) with ~90 % of the rows loaded
#
# MariaDB (scripts/bench/mysql_dataset.sql, generated from the Sequence engine, so
# the server must be MariaDB):
#   mysql:export  dbsnap export-data --jobs 2 -o X.sql
#                 vs mydumper -t 2 -m (data only, uncompressed, into a directory)
#                 vs mysqldump --single-transaction --skip-lock-tables --hex-blob --no-create-info
#   mysql:gzip    dbsnap export-data -o X.sql.gz   vs mydumper -t 2 -m -c
#   mysql:zstd    dbsnap export-data -o X.sql.zst  (mydumper 0.10 has no zstd)
#   mysql:import  dbsnap import --disable-constraints X.sql vs mysql DB < X.sql vs
#                 myloader -t 2 of the mydumper data directory, each into a fresh
#                 database built by `dbsnap init --schema` (indexes and FKs present)
#   mysql:init    dbsnap init --schema S --data X.sql --yes
#                 vs myloader -t 2 of a full mydumper dump (schema and data) into no database
#   mysql:resume  as pg:resume (one_big_table of scripts/bench/mysql_dataset.sql)
# mydumper/myloader (Debian package mydumper) are installed with apt-get if missing.
#
# It prints the median wall time and peak RSS of each run and writes:
#   target/bench/results.md  a summary ready to paste as the README's performance
#                            table (both sizes, date, rounds, machine; pass/fail of the
#                            ratio targets, of growth ≤ 1.1 × the size ratio, i.e. 4.4×
#                            for "1 4", and of dbsnap's peak memory ≤ 64 MiB at each
#                            size), then per engine and size: data set, server, file
#                            sizes, CPU seconds, notes; and a growth table per engine
#   target/bench/runs.tsv    every run (seconds, peak RSS, client and server CPU)
#   A run stopped by a signal or an error leaves the engine sizes it finished in
#   target/bench/results.partial.md and runs.partial.tsv instead.
#
# Environment:
#   DBSNAP_TEST_PG_URL  superuser URL of a maintenance database (required for pg)
#   DBSNAP_TEST_MYSQL_URL  root URL of a MariaDB server, e.g. mysql://root@127.0.0.1:3306/mysql
#                       (required for mysql)
#   DBSNAP              binary to run (default: target/release/dbsnap)
#   BENCH_ENGINES       engines to run, comma or space separated (default: pg mysql)
#   BENCH_ONLY          scenarios to run, space separated: ENGINE:NAME (pg:export), an
#                       engine (pg) or a name for every engine (init); default: all
#   BENCH_ROWS          total rows of the data set, N (default: 3000000)
#   BENCH_SCALES        multiples of BENCH_ROWS to run everything at (default: "1 4", i.e.
#                       N and 4N rows, with a table of how much each time grew); "1" runs N only
#   BENCH_ROUNDS        runs of each tool per operation (default: 3)
#   BENCH_VERIFY        after the first import and init of each tool: 1 = dbsnap verify
#                       (row counts, sequences; default), checksum = also --checksum, 0 = off
#   BENCH_OUT           output directory (default: target/bench)
#   BENCH_KEEP=1        keep the last databases and the temporary files (for inspection)
#   BENCH_DB_PREFIX     prefix of the databases' names (default: dbsnap_bench), so that two
#                       checkouts can bench on one server without dropping each other's
#   BENCH_MYSQL_SETTLE  MariaDB: seconds to wait at most, before each timed run, for
#                       InnoDB to flush its dirty pages (default: 60)
#
# Databases created, on each server: BENCH_DB_PREFIX_src (the shop data set),
# BENCH_DB_PREFIX_big (one_big_table), BENCH_DB_PREFIX_imp, BENCH_DB_PREFIX_init
# (and dbsnap's own staging copies of these); all are dropped on exit.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DBSNAP=${DBSNAP:-$ROOT/target/release/dbsnap}
[[ $DBSNAP == /* ]] || DBSNAP=$ROOT/$DBSNAP
BENCH_ENGINES=${BENCH_ENGINES:-pg mysql}
BENCH_ONLY=${BENCH_ONLY:-}
BENCH_ROWS=${BENCH_ROWS:-3000000}
BENCH_ROUNDS=${BENCH_ROUNDS:-3}
BENCH_SCALES=${BENCH_SCALES:-1 4}
BENCH_VERIFY=${BENCH_VERIFY:-1}
BENCH_OUT=${BENCH_OUT:-$ROOT/target/bench}
BENCH_KEEP=${BENCH_KEEP:-}
BENCH_DB_PREFIX=${BENCH_DB_PREFIX:-dbsnap_bench}
MEMORY_LIMIT_MIB=64 # issue 10: dbsnap's peak RSS at every size

log() { printf 'bench: %s\n' "$*" >&2; }
die() {
  log "error: $*"
  exit 1
}
step() { printf '\nbench: == %s\n' "$*" >&2; }

[[ $BENCH_ROWS =~ ^[1-9][0-9]*$ && $BENCH_ROWS -ge 1000 ]] || die "BENCH_ROWS must be a whole number >= 1000 (got '$BENCH_ROWS')"
read -r -a scales <<<"$BENCH_SCALES"
((${#scales[@]})) || die "BENCH_SCALES is empty"
for scale in "${scales[@]}"; do
  [[ $scale =~ ^[1-9][0-9]*$ ]] || die "BENCH_SCALES must be whole numbers >= 1 (got '$BENCH_SCALES')"
done
[[ $BENCH_ROUNDS =~ ^[1-9][0-9]*$ ]] || die "BENCH_ROUNDS must be a whole number >= 1 (got '$BENCH_ROUNDS')"
case $BENCH_VERIFY in
  0 | 1 | checksum) ;;
  *) die "BENCH_VERIFY must be 0, 1 or checksum (got '$BENCH_VERIFY')" ;;
esac
[[ $BENCH_DB_PREFIX =~ ^[a-z_][a-z0-9_]*$ ]] || die "BENCH_DB_PREFIX must be lower-case letters, digits and _ (got '$BENCH_DB_PREFIX')"
[[ -x $DBSNAP ]] || die "no dbsnap binary at $DBSNAP; run 'cargo build --release' or 'make bench'"

# The engine's name as the scenario table writes it.
engine_id() {
  case $1 in
    pg | postgres | postgresql) echo pg ;;
    mysql | mariadb) echo mysql ;;
    *) die "unknown engine '$1' (pg, mysql)" ;;
  esac
}

# --- the scenario table ------------------------------------------------------------

SCENARIOS=() # ENGINE:NAME, in the order of scenarios.sh
declare -A SC_TITLE SC_DATASET SC_NEEDS SC_PREPARE SC_RUNS SC_COMPARES SC_NOTES
declare -A RUN_CMD RUN_OUT RUN_BEFORE RUN_VERIFY RUN_OF # RUN_*: keyed ENGINE:SCENARIO/RUN
declare -A ARTIFACT_FILE ARTIFACT_CMD                   # keyed ENGINE:NAME
SC=""                                                   # the scenario being declared or run

# Splits a declaration's words: KEY=VALUE words whose KEY is allowed go to OPT,
# the others to ARGS.
declare -A OPT
ARGS=()
parse_decl() { # "allowed keys" words...
  local allowed=" $1 "
  shift
  OPT=()
  ARGS=()
  while (($#)); do
    if [[ $1 =~ ^([a-z]+)= && $allowed == *" ${BASH_REMATCH[1]} "* ]]; then
      OPT[${BASH_REMATCH[1]}]=${1#*=}
    else
      ARGS+=("$1")
    fi
    shift
  done
}

decl_error() { die "scripts/bench/scenarios.sh: $*"; }

artifact() { # ENGINE:NAME FILE COMMAND
  (($# == 3)) || decl_error "artifact takes ENGINE:NAME FILE COMMAND (got: $*)"
  [[ $1 =~ ^(pg|mysql):[a-z0-9_]+$ ]] || decl_error "artifact '$1' is not ENGINE:NAME"
  ARTIFACT_FILE[$1]=$2
  ARTIFACT_CMD[$1]=$3
}

scenario() { # ENGINE:NAME [dataset=] [needs=] [prepare=] TITLE
  parse_decl "dataset needs prepare" "$@"
  ((${#ARGS[@]} == 2)) || decl_error "scenario takes ENGINE:NAME [dataset=D] [needs=A,B] [prepare=STEP] TITLE (got: $*)"
  SC=${ARGS[0]}
  [[ $SC =~ ^(pg|mysql):[a-z0-9_]+$ ]] || decl_error "scenario '$SC' is not ENGINE:NAME (pg or mysql)"
  [[ -z ${SC_TITLE[$SC]+x} ]] || decl_error "scenario $SC is declared twice"
  SCENARIOS+=("$SC")
  SC_TITLE[$SC]=${ARGS[1]}
  SC_DATASET[$SC]=${OPT[dataset]:-shop}
  SC_NEEDS[$SC]=${OPT[needs]:-}
  SC_PREPARE[$SC]=${OPT[prepare]:-}
  SC_RUNS[$SC]=""
  SC_COMPARES[$SC]=""
  SC_NOTES[$SC]=""
  local a
  for a in ${SC_NEEDS[$SC]//,/ }; do
    [[ -n ${ARTIFACT_FILE[${SC%%:*}:$a]:-} ]] || decl_error "$SC needs '$a', which is no ${SC%%:*} artifact"
  done
}

run() { # RUN [out=] [before=] [verify=] COMMAND
  [[ -n $SC ]] || decl_error "run before any scenario"
  parse_decl "out before verify" "$@"
  ((${#ARGS[@]} == 2)) || decl_error "run takes RUN [out=FILE] [before=STEP] [verify=imp|init] COMMAND (got: $*)"
  local name=${ARGS[0]} engine=${SC%%:*}
  [[ $name =~ ^[a-z0-9_]+$ ]] || decl_error "run name '$name' in $SC: lower-case letters, digits and _"
  # Runs are kept apart by engine and name only: two scenarios must not share one.
  [[ -z ${RUN_OF[$engine/$name]:-} ]] || decl_error "run $name is in both ${RUN_OF[$engine/$name]} and $SC"
  case ${OPT[verify]:-} in '' | imp | init) ;; *) decl_error "run $name: verify= takes imp or init" ;; esac
  RUN_OF[$engine/$name]=$SC
  SC_RUNS[$SC]+=" $name"
  RUN_CMD[$SC/$name]=${ARGS[1]}
  RUN_OUT[$SC/$name]=${OPT[out]:-}
  RUN_BEFORE[$SC/$name]=${OPT[before]:-}
  RUN_VERIFY[$SC/$name]=${OPT[verify]:-}
}

compare() { # OPERATION DBSNAP_RUN REFERENCE_RUN|- [target=RATIO]
  [[ -n $SC ]] || decl_error "compare before any scenario"
  parse_decl "target" "$@"
  ((${#ARGS[@]} == 3)) || decl_error "compare takes OPERATION DBSNAP_RUN REFERENCE_RUN|- [target=RATIO] (got: $*)"
  local r
  for r in "${ARGS[1]}" "${ARGS[2]}"; do
    [[ $r == - || " ${SC_RUNS[$SC]} " == *" $r "* ]] || decl_error "compare in $SC names run '$r', which $SC has not declared"
  done
  [[ ${OPT[target]:--} == - || ${OPT[target]} =~ ^[0-9]+(\.[0-9]+)?$ ]] || decl_error "compare target '${OPT[target]}' is not a number"
  SC_COMPARES[$SC]+="${ARGS[0]}"$'\t'"${ARGS[1]}"$'\t'"${ARGS[2]}"$'\t'"${OPT[target]:--}"$'\n'
}

note() { # TEXT
  [[ -n $SC ]] || decl_error "note before any scenario"
  SC_NOTES[$SC]+="$1"$'\n'
}

# shellcheck source=scripts/bench/scenarios.sh
source "$ROOT/scripts/bench/scenarios.sh"
SC=""
# shellcheck source=scripts/bench/pg.sh
source "$ROOT/scripts/bench/pg.sh"
# shellcheck source=scripts/bench/mysql.sh
source "$ROOT/scripts/bench/mysql.sh"

# BENCH_ONLY: every word must name something, so a typo does not run nothing quietly.
ONLY=()
for word in $BENCH_ONLY; do
  if [[ $word == *:* ]]; then word=$(engine_id "${word%%:*}"):${word#*:}; elif [[ $word =~ ^(pg|postgres|postgresql|mysql|mariadb)$ ]]; then word=$(engine_id "$word"); fi
  found=""
  for id in "${SCENARIOS[@]}"; do
    [[ $word == "$id" || $word == "${id%%:*}" || $word == "${id#*:}" ]] && found=1
  done
  [[ -n $found ]] || die "BENCH_ONLY names '$word', which is no scenario (scripts/bench/scenarios.sh: ${SCENARIOS[*]})"
  ONLY+=("$word")
done

selected() { # ENGINE:NAME
  ((${#ONLY[@]})) || return 0
  local w
  for w in "${ONLY[@]}"; do
    [[ $w == "$1" || $w == "${1%%:*}" || $w == "${1#*:}" ]] && return 0
  done
  return 1
}

# The scenarios to run, per engine of BENCH_ENGINES.
IFS=', ' read -r -a engine_words <<<"$BENCH_ENGINES"
engines=()
declare -A ENGINE_SCENARIOS
for word in "${engine_words[@]}"; do
  engine=$(engine_id "$word")
  [[ " ${engines[*]} " == *" $engine "* ]] && continue
  engines+=("$engine")
  for id in "${SCENARIOS[@]}"; do
    if [[ ${id%%:*} == "$engine" ]] && selected "$id"; then ENGINE_SCENARIOS[$engine]+=" $id"; fi
  done
done
[[ -n ${ENGINE_SCENARIOS[*]} ]] || die "nothing to run: BENCH_ONLY='$BENCH_ONLY' selects no scenario of BENCH_ENGINES='$BENCH_ENGINES'"

# --- the machine -------------------------------------------------------------------

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

machine_line() {
  local mem cpu
  mem=$(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
  cpu=$(awk -F': *' '/model name/ { print $2; exit }' /proc/cpuinfo)
  printf '%s CPUs (%s), %s RAM, %s' "$(nproc)" "${cpu:-unknown CPU}" "$mem" "$(uname -sr)"
}

size_of() { du -sb "$1" | cut -f1; }

human_bytes() { # bytes
  awk -v b="$1" 'BEGIN { split("B KiB MiB GiB TiB", u); i = 1
    while (b >= 1024 && i < 5) { b /= 1024; i++ } printf (i == 1 ? "%d %s" : "%.1f %s"), b, u[i] }'
}

thousands() { sed -E ':a; s/([0-9])([0-9]{3})($|[^0-9])/\1,\2\3/; ta' <<<"$1"; }

# --- state and cleanup -------------------------------------------------------------

mkdir -p "$BENCH_OUT/tmp"
exec 9>"$BENCH_OUT/.lock"
flock -n 9 || die "another bench run holds $BENCH_OUT/.lock"

TMP=$(mktemp -d "$BENCH_OUT/tmp/run.XXXXXX")
RUNS_TSV=$TMP/runs.tsv
COMPARES_TSV=$TMP/compares.tsv # engine rows operation dbsnap_run reference_run target
RESULTS_MD=$TMP/results.md
: >"$RUNS_TSV"
: >"$COMPARES_TSV"
: >"$RESULTS_MD"
DBS=() # "ENGINE NAME" of databases this run may create; dropped by cleanup

# The same server and credentials as the admin URL, another database.
url_for_db() { # admin url, database name
  [[ $1 =~ ^([a-z]+://[^/?]*)(/[^?]*)?(\?.*)?$ ]] ||
    die "cannot parse the URL as scheme://user@host:port/db"
  printf '%s/%s%s\n' "${BASH_REMATCH[1]}" "$2" "${BASH_REMATCH[3]}"
}

ENGINE="" # pg or mysql: the prefix of the engine functions (scripts/bench/pg.sh, mysql.sh)

# Drops database NAME and the staging copies a killed dbsnap init left of it.
drop_db() { # name
  local db
  for db in $("${ENGINE}_databases_of" "$1"); do
    "${ENGINE}_drop_one" "$db" || die "could not drop database $db"
  done
}

cleanup() {
  local rc=$?
  set +e
  trap - EXIT INT TERM HUP
  # A kill_init_at child still stalled.
  [[ -n ${STALLED_PID:-} ]] && kill -KILL "$STALLED_PID" 2>/dev/null
  if [[ -n $BENCH_KEEP ]]; then
    log "BENCH_KEEP set: kept the databases (${DBS[*]:-none}) and $TMP"
    exit "$rc"
  fi
  # A run stopped early keeps what it measured: the sizes it finished.
  if ((rc != 0)) && [[ -s ${RESULTS_MD:-} ]]; then
    cp "$RESULTS_MD" "$BENCH_OUT/results.partial.md"
    cp "$RUNS_TSV" "$BENCH_OUT/runs.partial.tsv"
    log "stopped early: the sizes finished so far are in $BENCH_OUT/results.partial.md"
  fi
  local entry db
  for entry in "${DBS[@]}"; do
    ENGINE=${entry%% *}
    [[ $ENGINE == mysql && ! -f $MY_CNF ]] && continue
    for db in $("${ENGINE}_databases_of" "${entry#* }" 2>/dev/null); do
      if "${ENGINE}_drop_one" "$db"; then log "dropped database $db ($ENGINE)"; else log "warning: could not drop database $db ($ENGINE)"; fi
    done
  done
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
export DBSNAP

# --- measuring ---------------------------------------------------------------------

ROWS=0 # rows of the current size

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

# The runs of NAME at the current engine and size: "seconds max_rss_kib client_cpu server_cpu" lines.
runs_of() { printf '%s/runs/%s.%s.%s\n' "$TMP" "$ENGINE" "${2:-$ROWS}" "$1"; } # name [rows]

# Runs COMMAND (bash) once under GNU time, after letting the previous run's writes
# settle (sync, and the engine's checkpoint or flush). Appends a line to runs_of
# NAME and a row to runs.tsv. The output goes to a log shown if it fails. Wall
# time is measured here (ns), RSS by /usr/bin/time; for a command with child
# processes the RSS is the largest single process.
measure() { # name command
  local name=$1 cmd=$2 n start end rc=0 kib secs runs
  runs=$(runs_of "$name")
  mkdir -p "$TMP/runs" "$TMP/logs"
  n=1
  [[ -f $runs ]] && n=$(($(wc -l <"$runs") + 1))
  local out=$TMP/logs/$ENGINE.$ROWS.$name.$n.log tf=$TMP/logs/$ENGINE.$ROWS.$name.$n.time cpu0 cpu1 scpu=- ccpu
  sync
  "${ENGINE}_settle"
  cpu0=$(server_cpu)
  start=$(date +%s%N)
  /usr/bin/time -v -o "$tf" bash -c "$cmd" >"$out" 2>&1 || rc=$?
  end=$(date +%s%N)
  cpu1=$(server_cpu)
  if ((rc)); then
    log "---- last lines of the output of $name (run $n):"
    tail -n 30 "$out" >&2
    die "$name (run $n) failed with exit status $rc after $(awk -v d=$((end - start)) 'BEGIN { printf "%.1f", d / 1e9 }')s: $cmd"
  fi
  kib=$(awk -F': *' '/Maximum resident set size/ { print $2 }' "$tf")
  [[ $kib =~ ^[0-9]+$ ]] || die "no 'Maximum resident set size' in the output of /usr/bin/time -v ($tf)"
  secs=$(awk -v d=$((end - start)) 'BEGIN { printf "%.3f", d / 1e9 }')
  ccpu=$(awk -F': *' '/User time \(seconds\)/ { u = $2 } /System time \(seconds\)/ { s = $2 }
    END { printf "%.2f", u + s }' "$tf")
  [[ -n $cpu0 && -n $cpu1 ]] && scpu=$(awk -v a="$cpu0" -v b="$cpu1" 'BEGIN { printf "%.2f", b - a }')
  printf '%s %s %s %s\n' "$secs" "$kib" "$ccpu" "$scpu" >>"$runs"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$ENGINE" "$ROWS" "$name" "$n" "$secs" "$kib" "$ccpu" "$scpu" >>"$RUNS_TSV"
  log "  $name #$n: ${secs}s, $((kib / 1024)) MiB, client CPU ${ccpu}s$([[ $scpu != - ]] && echo ", server CPU ${scpu}s")"
}

median_col() { # name column [rows]: median of a column of the runs of NAME ("—" if none)
  local f
  f=$(runs_of "$1" "${3:-}")
  [[ -f $f ]] || {
    echo —
    return
  }
  awk -v c="$2" '$c != "-" { v[++n] = $c } END {
    if (!n) { print "—"; exit }
    for (i = 2; i <= n; i++) { x = v[i]; j = i - 1; while (j > 0 && v[j] > x) { v[j + 1] = v[j]; j-- } v[j + 1] = x }
    if (n % 2) m = v[(n + 1) / 2]; else m = (v[n / 2] + v[n / 2 + 1]) / 2
    printf "%.2f", m }' "$f"
}

median_secs() { median_col "$1" 1 "${2:-}"; } # name [rows]

peak_mib() { # name [rows]: the largest peak RSS over its runs
  local f
  f=$(runs_of "$1" "${2:-}")
  [[ -f $f ]] || {
    echo —
    return
  }
  awk '$2 > m { m = $2 } END { printf "%.0f", m / 1024 }' "$f"
}

# ✓ or ✗: is A <= B?
check() { awk -v a="$1" -v b="$2" 'BEGIN { print (a + 0 <= b + 0 ? "✓" : "✗") }'; }

ratio_of() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "inf" }'; }

# Checks the database that RUN filled against the source (BENCH_VERIFY).
verify_copy() { # run target_url
  [[ $BENCH_VERIFY != 0 ]] || return 0
  local args=(verify --source "$SRC_URL" --target "$2") rc=0
  [[ $BENCH_VERIFY == checksum ]] && args+=(--checksum)
  "$DBSNAP" "${args[@]}" >"$TMP/logs/verify.$ENGINE.$ROWS.$1.log" 2>&1 || rc=$?
  if ((rc)); then
    tail -n 40 "$TMP/logs/verify.$ENGINE.$ROWS.$1.log" >&2
    die "dbsnap verify after $1 failed (exit $rc): the loaded database differs from the source"
  fi
  log "  verify after $1: matches the source"
}

# --- steps the scenarios call ------------------------------------------------------

# A fresh database NAME built by `dbsnap init --schema` from the schema artifact.
fresh_schema_db() { # name
  drop_db "$1"
  "$DBSNAP" init --url "$("${ENGINE}_url" "$1")" --schema "$W/schema.sql" --yes >"$W/init-schema.log" 2>&1 || {
    cat "$W/init-schema.log" >&2
    die "dbsnap init --schema (preparing $1) failed"
  }
}

# Starts `dbsnap init --data` into TARGET and kills it (SIGKILL) once its staging
# database holds, in full, the tables the file loads first, up to the one that
# takes it closest to PERCENT of the rows: DBSNAP_FAULT_STALL_AT_TABLE makes init
# stall before the next table, so the state at the kill is known.
STALLED_PID=""
declare -A KILL_NOTE # engine.rows -> what the kill left
kill_init_at() { # percent target schema data
  local pct=$1 target=$2 schema=$3 data=$4 line names=() rows=() total=0 i k=0 cum=0 best=""
  while IFS= read -r line; do
    [[ $line =~ \"name\":\"(([^\"\\]|\\.)*)\",\"rows\":([0-9]+) ]] || die "cannot read the manifest line '$line' of $data"
    names+=("${BASH_REMATCH[1]//\\\"/\"}")
    rows+=("${BASH_REMATCH[3]}")
    total=$((total + BASH_REMATCH[3]))
  done < <(tail -n 2000 "$data" | sed -n 's/^-- dbsnap:manifest-table //p')
  ((${#names[@]} >= 2 && total > 0)) || die "kill_init_at: $data has fewer than two tables in its manifest"
  for ((i = 1; i < ${#names[@]}; i++)); do
    cum=$((cum + rows[i - 1]))
    local off=$((cum * 100 - pct * total))
    ((off < 0)) && off=$((-off))
    if [[ -z $best ]] || ((off < best)); then
      best=$off
      k=$i
    fi
  done
  local kept=0
  for ((i = 0; i < k; i++)); do kept=$((kept + rows[i])); done
  log "  (untimed) init stalled before table $((k + 1)) of ${#names[@]} (${names[k]}), then killed:" \
    "$kept of $total rows ($((kept * 100 / total)) %) loaded"
  KILL_NOTE[$ENGINE.$ROWS]="the killed init had loaded $k of ${#names[@]} tables, $(thousands "$kept") of $(thousands "$total") rows ($((kept * 100 / total)) %)"
  DBSNAP_FAULT_STALL_AT_TABLE=$k "$DBSNAP" init --url "$("${ENGINE}_url" "$target")" --schema "$schema" --data "$data" --yes \
    >"$W/killed-init.log" 2>&1 &
  STALLED_PID=$!
  local started=$SECONDS staging ready n
  while :; do
    kill -0 "$STALLED_PID" 2>/dev/null || {
      cat "$W/killed-init.log" >&2
      die "the init meant to stall at table $((k + 1)) ended by itself"
    }
    mapfile -t staging < <("${ENGINE}_staging_of" "$target")
    if ((${#staging[@]} == 1)); then
      ready=1
      for ((i = 0; i < k; i++)); do
        n=$("${ENGINE}_count" "${staging[0]}" "${names[i]}")
        [[ $n == "${rows[i]}" ]] || {
          ready=""
          break
        }
      done
      [[ -n $ready ]] && break
    fi
    # A safety net: the state comes for sure unless init failed.
    ((SECONDS - started < 3600)) || die "the staging database of $target never held its first $k tables in full"
    sleep 1
  done
  kill -KILL "$STALLED_PID"
  wait "$STALLED_PID" 2>/dev/null || true
  STALLED_PID=""
}

# --- data sets and artifacts ---------------------------------------------------------

DATASET="" # the data set in SRC now
declare -A DATASET_LINES SERVER_LINES CLIENT_LINES # engine.rows -> lines for results.md

# Makes DATASET the source: generated into a database of its own, after dropping
# the previous data set and its work directory W (so one is on disk at a time).
use_dataset() { # dataset
  [[ $DATASET == "$1" ]] && return 0
  leave_dataset
  DATASET=$1
  case $DATASET in
    shop) SRC=${BENCH_DB_PREFIX}_src ;;
    one_big_table) SRC=${BENCH_DB_PREFIX}_big ;;
    *) die "unknown data set '$DATASET' (shop, one_big_table)" ;;
  esac
  DBS+=("$ENGINE $SRC")
  SRC_URL=$("${ENGINE}_url" "$SRC")
  W=$TMP/$ENGINE.$ROWS.$DATASET
  export SRC SRC_URL W
  mkdir -p "$W"
  drop_db "$SRC"
  step "$ENGINE: generating the $DATASET data set, $ROWS rows, in $SRC"
  DATASET_LINE="" SERVER_LINE="" CLIENT_LINE=""
  "${ENGINE}_generate" "$DATASET" "$SRC" "$ROWS" "$W/dataset.log"
  DATASET_LINES[$ENGINE.$ROWS]+="$DATASET_LINE"$'\n'
  SERVER_LINES[$ENGINE.$ROWS]=$SERVER_LINE
  CLIENT_LINES[$ENGINE.$ROWS]=$CLIENT_LINE
}

leave_dataset() {
  [[ -n $DATASET ]] || return 0
  if [[ -z $BENCH_KEEP ]]; then
    drop_db "$SRC"
    rm -rf "$W"
  fi
  DATASET=""
}

# Makes the named artifacts (untimed) that are not in W yet.
need() { # names, comma separated
  local a file
  for a in ${1//,/ }; do
    file=${ARTIFACT_FILE[$ENGINE:$a]}
    [[ -e $W/$file ]] && continue
    log "  (untimed) making $file"
    OUT=$W/$file bash -c "${ARTIFACT_CMD[$ENGINE:$a]}" >"$W/make.$a.log" 2>&1 || {
      tail -n 30 "$W/make.$a.log" >&2
      die "making $file failed: ${ARTIFACT_CMD[$ENGINE:$a]}"
    }
    printf '| %s | (untimed, for %s) | %s |\n' "$file" "$SC" "$(human_bytes "$(size_of "$W/$file")")" >>"$TMP/sizes.$ENGINE.$ROWS"
  done
}

is_artifact_file() { # file
  local a
  for a in "${!ARTIFACT_FILE[@]}"; do
    [[ ${a%%:*} == "$ENGINE" && ${ARTIFACT_FILE[$a]} == "$1" ]] && return 0
  done
  return 1
}

# --- running a scenario --------------------------------------------------------------

run_scenario() { # ENGINE:NAME
  SC=$1
  local runs name r key out size
  read -r -a runs <<<"${SC_RUNS[$SC]}"
  use_dataset "${SC_DATASET[$SC]}"
  need "${SC_NEEDS[$SC]}"
  if [[ -n ${SC_PREPARE[$SC]} ]]; then eval "${SC_PREPARE[$SC]}"; fi
  step "$SC: ${SC_TITLE[$SC]} ($(thousands "$ROWS") rows, rounds: $BENCH_ROUNDS)"
  declare -A size_after=() # run -> bytes of its output after its last round
  for ((r = 1; r <= BENCH_ROUNDS; r++)); do
    for name in "${runs[@]}"; do
      key=$SC/$name
      OUT=""
      [[ -n ${RUN_OUT[$key]} ]] && OUT=$W/${RUN_OUT[$key]} && rm -rf "$OUT"
      export OUT
      if [[ -n ${RUN_BEFORE[$key]} ]]; then eval "${RUN_BEFORE[$key]}"; fi
      measure "$name" "${RUN_CMD[$key]}"
      if [[ -n $OUT && -e $OUT ]]; then size_after[$name]=$(size_of "$OUT"); fi
      case ${RUN_VERIFY[$key]} in
        imp) ((r > 1)) || verify_copy "$name" "$IMP_URL" ;;
        init) ((r > 1)) || verify_copy "$name" "$INIT_URL" ;;
      esac
    done
  done
  for name in "${runs[@]}"; do
    out=${RUN_OUT[$SC/$name]}
    [[ -n $out ]] || continue
    size=${size_after[$name]:-}
    [[ -n $size ]] && printf '| %s | %s | %s |\n' "$out" "$name" "$(human_bytes "$size")" >>"$TMP/sizes.$ENGINE.$ROWS"
    is_artifact_file "$out" || rm -rf "${W:?}/$out"
  done
  if [[ -z $BENCH_KEEP ]]; then
    drop_db "$IMP"
    drop_db "$INIT"
  fi
  local op a b target
  while IFS=$'\t' read -r op a b target; do
    [[ -n $op ]] || continue
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$ENGINE" "$ROWS" "$op" "$a" "$b" "$target" >>"$COMPARES_TSV"
  done <<<"${SC_COMPARES[$SC]}"
  printf '%s' "${SC_NOTES[$SC]}" >>"$TMP/notes.$ENGINE.$ROWS"
}

# --- results ---------------------------------------------------------------------------

# Pads the cells of a Markdown table so it also reads well in a terminal.
align_table() {
  awk -F'|' '
    { rows[NR] = $0; sep[NR] = 1; for (i = 2; i < NF; i++) { c = $i; gsub(/^ +| +$/, "", c); cell[NR, i] = c
        if (c !~ /^-+$/) sep[NR] = 0
        if (length(c) > w[i]) w[i] = length(c) } nf[NR] = NF }
    END { for (r = 1; r <= NR; r++) { line = "|"
        for (i = 2; i < nf[r]; i++) {
          c = cell[r, i]
          if (sep[r]) { s = ""; while (length(s) < w[i]) s = s "-"; line = line " " s " |" }
          else line = line sprintf(" %-*s |", w[i], c)
        }
        print line } }'
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

# The comparisons of the current engine at ROWS: operation, medians, ratio,
# peak memory, and the checks.
compare_table() {
  local op a b target ma mb ratio pa pb tcell
  echo '| operation | dbsnap median s | reference median s | ratio (dbsnap/reference) | dbsnap peak MiB | reference peak MiB | target |'
  echo '|---|---|---|---|---|---|---|'
  while IFS=$'\t' read -r _ _ op a b target; do
    ma=$(median_secs "$a")
    pa=$(peak_mib "$a")
    mb="—" pb="—" ratio="—" tcell=""
    if [[ $b != - ]]; then
      mb=$(median_secs "$b")
      pb=$(peak_mib "$b")
      ratio=$(ratio_of "$ma" "$mb")
    fi
    [[ $target != - ]] && tcell="≤$target $(check "$ratio" "$target"), "
    tcell+="≤$MEMORY_LIMIT_MIB MiB $(check "$pa" "$MEMORY_LIMIT_MIB")"
    printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$op" "$ma" "$mb" "$ratio" "$pa" "$pb" "$tcell"
  done < <(awk -F'\t' -v e="$ENGINE" -v r="$ROWS" '$1 == e && $2 == r' "$COMPARES_TSV")
}

# The details of the current engine at ROWS.
engine_section() {
  local key=$ENGINE.$ROWS name
  echo "## $("${ENGINE}_title"), $(thousands "$ROWS") rows"
  echo
  while IFS= read -r line; do
    [[ -n $line ]] && echo "- Data set $line"
  done <<<"${DATASET_LINES[$key]:-}"
  echo "- Server: ${SERVER_LINES[$key]:-}"
  echo "- Clients: ${CLIENT_LINES[$key]:-}"
  echo "- Rounds: $BENCH_ROUNDS per tool, dbsnap and the references alternating"
  echo
  compare_table
  if [[ -s $TMP/sizes.$key ]]; then
    echo
    echo "| file | written by | size |"
    echo "|---|---|---|"
    cat "$TMP/sizes.$key"
  fi
  # Where the time goes: the client's CPU (user + system, from /usr/bin/time) and,
  # for a server on this machine, the server's CPU over the same interval.
  echo
  echo "CPU seconds per run (medians; the server's CPU includes anything else it ran meanwhile):"
  echo
  echo '| run | median wall s | median client CPU s | median server CPU s |'
  echo '|---|---|---|---|'
  while read -r name; do
    printf '| %s | %s | %s | %s |\n' "$name" "$(median_secs "$name")" "$(median_col "$name" 3)" "$(median_col "$name" 4)"
  done < <(awk -F'\t' -v e="$ENGINE" -v r="$ROWS" '$1 == e && $2 == r && !seen[$3]++ { print $3 }' "$RUNS_TSV")
  echo
  echo "Notes:"
  [[ -f $TMP/notes.$key ]] && sed 's/^/- /' "$TMP/notes.$key"
  [[ -n ${KILL_NOTE[$key]:-} ]] && echo "- resume: ${KILL_NOTE[$key]}; the resumed run keeps those tables and loads the rest."
  echo "- The target column checks the ratio against the issue's targets and dbsnap's peak RSS against $MEMORY_LIMIT_MIB MiB."
  if [[ $BENCH_VERIFY != 0 ]]; then
    echo "- The first import and init of each tool was checked with \`dbsnap verify$([[ $BENCH_VERIFY == checksum ]] && echo ' --checksum')\` against the source."
  fi
  echo
}

# Is RUN one of dbsnap's (its command runs $DBSNAP)? Those are held to the targets.
# shellcheck disable=SC2016  # the text $DBSNAP, not its value
is_dbsnap_run() { [[ ${RUN_CMD[${RUN_OF[$ENGINE/$1]}/$1]} == *'$DBSNAP'* ]]; }

growth_limit() { awk -v s="$1" -v l="$2" 'BEGIN { printf "%.2f", 1.1 * l / s }'; }

# After every size of one engine: how much each run's time grew from the
# smallest size to the largest. Linear growth is the ratio of the sizes; the
# target (issue 10) is within 10 % of it, and dbsnap's peak memory ≤ 64 MiB at each.
growth_section() {
  ((${#scales[@]} > 1)) || return 0
  local small=$((base_rows * scales[0])) large=$((base_rows * scales[${#scales[@]} - 1])) name a b ma mb g limit gv mv
  limit=$(growth_limit "$small" "$large")
  echo "## $("${ENGINE}_title"): growth from $(thousands "$small") to $(thousands "$large") rows"
  echo
  echo "| run | s at $(thousands "$small") | s at $(thousands "$large") | growth | target ≤$limit | peak MiB $(thousands "$small") / $(thousands "$large") | target ≤$MEMORY_LIMIT_MIB MiB |"
  echo "|---|---|---|---|---|---|---|"
  while read -r name; do
    [[ -f $(runs_of "$name" "$small") && -f $(runs_of "$name" "$large") ]] || continue
    a=$(median_secs "$name" "$small")
    b=$(median_secs "$name" "$large")
    ma=$(peak_mib "$name" "$small")
    mb=$(peak_mib "$name" "$large")
    g=$(ratio_of "$b" "$a")
    gv="— (reference)" mv="—"
    if is_dbsnap_run "$name"; then
      gv=$(check "$g" "$limit")
      mv=$(check "$((ma > mb ? ma : mb))" "$MEMORY_LIMIT_MIB")
    fi
    printf '| %s | %s | %s | %s | %s | %s / %s | %s |\n' "$name" "$a" "$b" "$g" "$gv" "$ma" "$mb" "$mv"
  done < <(awk -F'\t' -v e="$ENGINE" '$1 == e && !seen[$3]++ { print $3 }' "$RUNS_TSV")
  echo
}

# The table to paste into the README: every comparison of the engine at every
# size in one row.
summary_section() {
  local sizes=() s rows_list="" op a b target cells_a cells_b cells_r cells_pa cells_pb mem_ok ma mb pa pb ratio first last g
  for s in "${scales[@]}"; do sizes+=($((base_rows * s))); done
  for s in "${sizes[@]}"; do rows_list+="${rows_list:+ / }$(thousands "$s")"; done
  local multi=$((${#sizes[@]} > 1)) limit=""
  ((multi)) && limit=$(growth_limit "${sizes[0]}" "${sizes[${#sizes[@]} - 1]}")
  echo "**$("${ENGINE}_title")** at $rows_list rows (targets: ratio as listed$([[ -n $limit ]] && echo "; growth ≤ ${limit}×"); dbsnap peak memory ≤ $MEMORY_LIMIT_MIB MiB at each size)"
  echo
  if ((multi)); then
    echo "| operation | dbsnap s | reference s | ratio | growth | dbsnap peak MiB | reference peak MiB |"
    echo "|---|---|---|---|---|---|---|"
  else
    echo "| operation | dbsnap s | reference s | ratio | dbsnap peak MiB | reference peak MiB |"
    echo "|---|---|---|---|---|---|"
  fi
  while IFS=$'\t' read -r op a b target; do
    cells_a="" cells_b="" cells_r="" cells_pa="" cells_pb="" mem_ok="✓"
    for s in "${sizes[@]}"; do
      ma=$(median_secs "$a" "$s")
      pa=$(peak_mib "$a" "$s")
      cells_a+="${cells_a:+ / }$ma"
      cells_pa+="${cells_pa:+ / }$pa"
      [[ $(check "$pa" "$MEMORY_LIMIT_MIB") == ✓ ]] || mem_ok="✗"
      if [[ $b != - ]]; then
        mb=$(median_secs "$b" "$s")
        pb=$(peak_mib "$b" "$s")
        ratio=$(ratio_of "$ma" "$mb")
        cells_b+="${cells_b:+ / }$mb"
        cells_pb+="${cells_pb:+ / }$pb"
        cells_r+="${cells_r:+ / }$ratio"
        [[ $target != - ]] && cells_r+=" $(check "$ratio" "$target")"
      fi
    done
    [[ $b == - ]] && cells_b="—" cells_pb="—" cells_r="—"
    [[ $target != - ]] && op+=" (≤ $target)"
    if ((multi)); then
      first=$(median_secs "$a" "${sizes[0]}")
      last=$(median_secs "$a" "${sizes[${#sizes[@]} - 1]}")
      g=$(ratio_of "$last" "$first")
      printf '| %s | %s | %s | %s | %s× %s | %s %s | %s |\n' "$op" "$cells_a" "$cells_b" "$cells_r" "$g" "$(check "$g" "$limit")" "$cells_pa" "$mem_ok" "$cells_pb"
    else
      printf '| %s | %s | %s | %s | %s %s | %s |\n' "$op" "$cells_a" "$cells_b" "$cells_r" "$cells_pa" "$mem_ok" "$cells_pb"
    fi
  done < <(awk -F'\t' -v e="$ENGINE" -v r="${sizes[0]}" 'BEGIN { OFS = "\t" } $1 == e && $2 == r { print $3, $4, $5, $6 }' "$COMPARES_TSV")
  echo
}

# --- main ------------------------------------------------------------------------------

ensure_gnu_time
started=$(date +%s)
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
base_rows=$BENCH_ROWS
: >"$TMP/summary.md"

for ENGINE in "${engines[@]}"; do
  read -r -a ids <<<"${ENGINE_SCENARIOS[$ENGINE]:-}"
  ((${#ids[@]})) || continue
  "${ENGINE}_setup"
  export ADMIN_URL
  IMP=${BENCH_DB_PREFIX}_imp
  INIT=${BENCH_DB_PREFIX}_init
  IMP_URL=$("${ENGINE}_url" "$IMP")
  INIT_URL=$("${ENGINE}_url" "$INIT")
  export IMP IMP_URL INIT INIT_URL
  DBS+=("$ENGINE $IMP" "$ENGINE $INIT")
  for scale in "${scales[@]}"; do
    ROWS=$((base_rows * scale))
    drop_db "$IMP"
    drop_db "$INIT"
    for id in "${ids[@]}"; do
      run_scenario "$id"
    done
    leave_dataset
    engine_section | align_table_sections >>"$RESULTS_MD"
  done
  growth_section | align_table_sections >>"$RESULTS_MD"
  summary_section | align_table_sections >>"$TMP/summary.md"
done

scale_words=""
for scale in "${scales[@]}"; do scale_words+="${scale_words:+ and }$(thousands $((base_rows * scale)))"; done
{
  echo "# dbsnap benchmark"
  echo
  echo "## Performance (ready to paste into the README)"
  echo
  echo "- Run: $(date -u '+%Y-%m-%d %H:%M UTC'), \`make bench\` with BENCH_ROWS=$base_rows BENCH_SCALES=\"$BENCH_SCALES\" BENCH_ROUNDS=$BENCH_ROUNDS${BENCH_ONLY:+ BENCH_ONLY=\"$BENCH_ONLY\"}:"
  echo "  $BENCH_ROUNDS round(s) per tool at $scale_words rows per engine"
  echo "- Machine: $(machine_line); load average (1/5/15 min) $load_start at the start,"
  echo "  $(cut -d' ' -f1-3 /proc/loadavg) at the end (other work on the machine makes times noisy)"
  echo "- dbsnap: $DBSNAP_VERSION"
  echo "- Times are medians of wall-clock seconds; a cell with several values gives them per size,"
  echo "  smallest first. Ratios below 1.0 mean dbsnap is faster. Growth is dbsnap's time at the"
  echo "  largest size over the smallest. Peak memory is the client's maximum resident set size"
  echo "  (/usr/bin/time -v), not the server's."
  echo
  cat "$TMP/summary.md"
  echo "# Details"
  echo
  echo "- Total bench time $(($(date +%s) - started))s"
  echo "- Times are medians of wall-clock seconds (process start to exit); peak MiB is the largest"
  echo "  \"Maximum resident set size\" of /usr/bin/time -v over the runs: the client process only, not"
  echo "  the server. Before each timed run: sync, and CHECKPOINT (PostgreSQL) or a wait for InnoDB's"
  echo "  dirty pages to be flushed (MariaDB). Steps marked untimed (making files, building schemas,"
  echo "  dropping databases, the kill before a resume) are outside the timed command."
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
