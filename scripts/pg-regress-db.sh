#!/usr/bin/env bash
# Builds PostgreSQL's regression database (the object corpus pg_upgrade's own test
# dumps and restores) on a throwaway cluster, from ../shared/corpus/pg_regress.
#
# Usage: scripts/pg-regress-db.sh start WORKDIR   start a cluster in WORKDIR, build
#                                                 the `regression` database, print
#                                                 its URL on stdout
#        scripts/pg-regress-db.sh stop WORKDIR    stop that cluster (WORKDIR stays)
#
# Never touches a shared server: the suite creates roles, tablespaces and
# databases. Installs postgresql-server-dev-<major> (for regress.so) if missing.
# Knobs: DBSNAP_REGRESS_CORPUS (default ../shared/corpus/pg_regress beside the repo),
#        DBSNAP_REGRESS_PORT (first port tried, default 56432),
#        DBSNAP_REGRESS_TIMEOUT (seconds per test file, default 60).
set -euo pipefail

log() { printf 'pg-regress-db: %s\n' "$*" >&2; }
die() {
  log "error: $*"
  exit 1
}

root=$(cd "$(dirname "$0")/.." && pwd)
corpus=${DBSNAP_REGRESS_CORPUS:-$root/../shared/corpus/pg_regress}
cmd=${1:-}
work=${2:-}
[[ -n $cmd && -n $work ]] || die "usage: $0 start|stop WORKDIR"

# The newest installed server; the suite in the corpus is for its major version.
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[[ -n $bindir ]] || die "no PostgreSQL server under /usr/lib/postgresql"
major=$(basename "$(dirname "$bindir")")

# initdb and the server refuse root: run them as postgres.
as_pg() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

if [[ $cmd == stop ]]; then
  if [[ -f $work/data/postmaster.pid ]]; then
    as_pg "$bindir/pg_ctl" -D "$work/data" -m immediate -w stop >/dev/null
  fi
  if [[ -f $work/socket-dir ]]; then rm -rf "$(cat "$work/socket-dir")"; fi
  exit 0
fi
[[ $cmd == start ]] || die "unknown command $cmd"
[[ -f $corpus/parallel_schedule ]] || die "no regression suite at $corpus"

include=/usr/include/postgresql/$major/server
if [[ ! -f $include/postgres.h ]]; then
  log "installing postgresql-server-dev-$major (for regress.so)"
  if [[ $(id -u) -eq 0 ]]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "postgresql-server-dev-$major" >&2
  else
    sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -q "postgresql-server-dev-$major" >&2
  fi
fi

mkdir -p "$work/lib" "$work/build/testtablespace"
gcc -O2 -shared -fPIC -I"$include" -I/usr/include/postgresql/internal \
  "$corpus/regress.c" -o "$work/lib/regress.so"
[[ $(id -u) -eq 0 ]] && chown -R postgres "$work"
chmod 755 "$work"

as_pg "$bindir/initdb" -D "$work/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null

# The socket goes in a short directory of its own: a socket path over 107 bytes
# (a long TMPDIR) stops the server.
sock=$(mktemp -d /tmp/dbsnap-rg.XXXXXX)
echo "$sock" >"$work/socket-dir"
[[ $(id -u) -eq 0 ]] && chown postgres "$sock"
chmod 755 "$sock"

# A port found free can be taken before the server binds it (other tests start
# servers too): try the next one then. Any other failure shows the server's log.
port=${DBSNAP_REGRESS_PORT:-56432}
started=
for _ in 1 2 3 4 5; do
  while (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
  if as_pg "$bindir/pg_ctl" -D "$work/data" -l "$work/server.log" -w -t 120 \
    -o "-p $port -k $sock -c listen_addresses=127.0.0.1 -c fsync=off -c max_prepared_transactions=2" \
    start >/dev/null; then
    started=1
    break
  fi
  grep -q 'Address already in use' "$work/server.log" 2>/dev/null || break
  port=$((port + 1))
done
if [[ -z $started ]]; then
  tail -n 20 "$work/server.log" >&2 2>/dev/null || true
  die "the throwaway server did not start (log above: $work/server.log)"
fi

psql=("$bindir/psql" -X -q -h 127.0.0.1 -p "$port" -U postgres)
# What pg_regress sets up for the suite.
"${psql[@]}" -d postgres -v ON_ERROR_STOP=1 >/dev/null <<'SQL'
CREATE DATABASE regression TEMPLATE template0;
ALTER DATABASE regression SET lc_messages TO 'C';
ALTER DATABASE regression SET lc_monetary TO 'C';
ALTER DATABASE regression SET lc_numeric TO 'C';
ALTER DATABASE regression SET lc_time TO 'C';
ALTER DATABASE regression SET bytea_output TO 'hex';
ALTER DATABASE regression SET timezone_abbreviations TO 'Default';
SQL

export PG_ABS_SRCDIR=$corpus PG_ABS_BUILDDIR=$work/build PG_LIBDIR=$work/lib PG_DLSUFFIX=.so
export PGTZ=PST8PDT PGDATESTYLE='Postgres, MDY'
tests=$(sed -n 's/^test: *//p' "$corpus/parallel_schedule")
log "replaying $(wc -w <<<"$tests") test files on port $port"
for t in $tests; do
  # No ON_ERROR_STOP: many tests fail statements on purpose. Some wait on locks.
  (cd "$corpus" && timeout "${DBSNAP_REGRESS_TIMEOUT:-60}" "${psql[@]}" -d regression \
    -f "sql/$t.sql" >/dev/null 2>&1) || true
done
echo "postgres://postgres@127.0.0.1:$port/regression"
