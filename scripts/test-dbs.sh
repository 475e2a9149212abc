#!/usr/bin/env bash
# shellcheck disable=SC2317  # cleanup and the stop_* functions run from the EXIT trap
# Makes sure a PostgreSQL and a MariaDB server are reachable, runs COMMAND with
# DBSNAP_TEST_PG_URL and DBSNAP_TEST_MYSQL_URL exported, stops whatever it started
# and exits with COMMAND's status.
#
# Usage: scripts/test-dbs.sh COMMAND [ARGS...]
#        scripts/test-dbs.sh --env      print `export ...` lines for servers already
#                                       reachable; installs and starts nothing
#        scripts/test-dbs.sh --install PACKAGE...   apt-get install PACKAGEs the way
#                                       this script does (for tests that start servers)
#
# Order of choice, for each engine:
#   1. DBSNAP_TEST_PG_URL / DBSNAP_TEST_MYSQL_URL if already set (used as given);
#   2. a server already answering on 127.0.0.1:5432 as postgres (trust) or
#      127.0.0.1:3306 as root (no password);
#   3. a throwaway server in a temporary directory on a free port (55432.. / 53306..),
#      installing the Debian packages first if they are missing.
#
# Knobs:
#   DBSNAP_TEST_FORCE_THROWAWAY=1|all|pg|mysql  skip 1 and 2 (for that engine)
#   DBSNAP_TEST_PG_PORT, DBSNAP_TEST_MYSQL_PORT first port tried for a throwaway server
#   DBSNAP_TEST_WAIT                            seconds to wait for a server (default 90)
set -euo pipefail

log() { printf 'test-dbs: %s\n' "$*" >&2; }
die() {
  log "error: $*"
  exit 1
}
usage() {
  sed -n '3,24s/^# \{0,1\}//p' "$0"
}

# Hides the password of a URL before it is printed.
redact() { sed -E 's#(://[^:/@]*):[^@/]*@#\1:***@#' <<<"$1"; }

is_root() { [[ $(id -u) -eq 0 ]]; }

# Runs a command with root privileges (apt-get, writing policy-rc.d).
as_root() {
  if is_root; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    die "need root to run: $*"
  fi
}

# Runs a command as a service user. Without root the current user owns the server.
# cd / keeps the service user from complaining about an unreadable working directory.
as_user() {
  local user=$1
  shift
  if is_root; then
    (cd / && runuser -u "$user" -- "$@")
  else
    (cd / && "$@")
  fi
}

WAIT_SECONDS=${DBSNAP_TEST_WAIT:-90}
FORCE=${DBSNAP_TEST_FORCE_THROWAWAY:-}
force_throwaway() { # engine: pg | mysql
  case ",${FORCE}," in
    ,, | ,0, | ,no, | ,false,) return 1 ;;
    *,1,* | *,all,* | *,yes,* | *,true,*) return 0 ;;
    *,"$1",*) return 0 ;;
    *,postgres,* | *,postgresql,*) [[ $1 == pg ]] ;;
    *,mariadb,*) [[ $1 == mysql ]] ;;
    *) return 1 ;;
  esac
}

# --- state for cleanup -------------------------------------------------------

WORK=""            # temporary directory holding throwaway servers and logs
PG_STARTED=""      # data directory of a throwaway PostgreSQL
PG_BIN=""          # its binaries
MY_PID=""          # pid of a throwaway mariadbd
MY_PORT=""
POLICY_CREATED=""  # we wrote /usr/sbin/policy-rc.d and must remove it
APT_UPDATED=""

work_dir() {
  if [[ -z $WORK ]]; then
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/dbsnap-test-dbs.XXXXXX")
    # Service users must be able to reach their subdirectories.
    chmod 755 "$WORK"
  fi
}

stop_mysql() {
  [[ -n $MY_PID ]] || return 0
  local i
  mariadb-admin --no-defaults --protocol=tcp -h 127.0.0.1 -P "$MY_PORT" -u root \
    shutdown >/dev/null 2>&1 || kill -TERM "$MY_PID" 2>/dev/null || true
  for ((i = 0; i < 60; i++)); do
    kill -0 "$MY_PID" 2>/dev/null || break
    sleep 0.5
  done
  if kill -0 "$MY_PID" 2>/dev/null; then
    log "MariaDB (pid $MY_PID) did not stop; killing it"
    kill -KILL "$MY_PID" 2>/dev/null || true
  fi
  wait "$MY_PID" 2>/dev/null || true
  log "MariaDB: stopped throwaway server on 127.0.0.1:$MY_PORT"
  MY_PID=""
}

stop_pg() {
  [[ -n $PG_STARTED ]] || return 0
  if as_user postgres "$PG_BIN/pg_ctl" -D "$PG_STARTED" status >/dev/null 2>&1; then
    if ! as_user postgres "$PG_BIN/pg_ctl" -D "$PG_STARTED" -m fast -w -t 30 stop >/dev/null 2>&1; then
      as_user postgres "$PG_BIN/pg_ctl" -D "$PG_STARTED" -m immediate -w -t 30 stop >/dev/null 2>&1 ||
        log "PostgreSQL in $PG_STARTED did not stop"
    fi
    log "PostgreSQL: stopped throwaway server"
  fi
  PG_STARTED=""
}

remove_policy() {
  if [[ -n $POLICY_CREATED ]]; then
    as_root rm -f /usr/sbin/policy-rc.d || true
    POLICY_CREATED=""
  fi
}

cleanup() {
  local rc=$?
  set +e
  trap - EXIT INT TERM HUP
  stop_mysql
  stop_pg
  remove_policy
  if [[ -n $WORK ]]; then
    rm -rf "$WORK"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# --- packages ----------------------------------------------------------------

apt_install() { # packages...
  command -v apt-get >/dev/null 2>&1 ||
    die "missing packages ($*) and no apt-get to install them; install them by hand"
  work_dir
  local aptlog=$WORK/apt.log
  if [[ -z $APT_UPDATED ]]; then
    log "running apt-get update"
    as_root apt-get update >>"$aptlog" 2>&1 || {
      tail -n 20 "$aptlog" >&2
      die "apt-get update failed"
    }
    APT_UPDATED=1
  fi
  # Keep the packages' own services from starting: nothing may outlive this script.
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    as_root sh -c 'printf "#!/bin/sh\nexit 101\n" >/usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d'
    POLICY_CREATED=1
  fi
  log "installing $*"
  if ! as_root env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y --no-install-recommends "$@" >>"$aptlog" 2>&1; then
    tail -n 30 "$aptlog" >&2
    die "apt-get install $* failed"
  fi
  remove_policy
  log "installed $*"
}

# True when every named tool runs. Debian's /usr/bin/psql is a wrapper that exists
# without any client version, so run the tools rather than look them up.
tools_run() {
  local tool
  for tool in "$@"; do
    "$tool" --version >/dev/null 2>&1 || return 1
  done
}

ensure_clients() {
  local missing=()
  tools_run psql pg_dump pg_restore pg_isready || missing+=(postgresql-client)
  tools_run mariadb mysql mariadb-dump mysqldump mariadb-admin || missing+=(mariadb-client)
  if ((${#missing[@]})); then
    apt_install "${missing[@]}"
  fi
}

# Newest /usr/lib/postgresql/N/bin that holds the named program, if any.
newest_pg_bindir() { # program
  local dir best="" best_major=0 major
  for dir in /usr/lib/postgresql/*/bin; do
    [[ -x $dir/$1 ]] || continue
    major=${dir#/usr/lib/postgresql/}
    major=${major%%/*}
    [[ $major =~ ^[0-9]+$ ]] || continue
    if ((major > best_major)); then
      best_major=$major
      best=$dir
    fi
  done
  [[ -n $best ]] && printf '%s\n' "$best"
}

major_of() { # "pg_dump (PostgreSQL) 15.20 (Debian ...)" -> 15
  sed -nE 's/.*\) ([0-9]+)[.0-9a-z]*.*/\1/p' <<<"$1" | head -n 1
}

PATH_ADDED=""  # directory put in front of PATH, for --env
prepend_path() {
  case ":$PATH:" in
    *":$1:"*) ;;
    *)
      PATH="$1:$PATH"
      PATH_ADDED=$1
      ;;
  esac
}

pg_dump_at_least() { # bindir major
  [[ -n $1 ]] && (($(major_of "$("$1/pg_dump" --version)") >= $2))
}

# pg_dump refuses to dump a server newer than itself.
ensure_pg_dump_for() { # url; install=yes|no
  local url=$1 install=$2 server dump dir
  server=$(psql -X -w -Atq -d "$url" -c 'show server_version_num' 2>/dev/null) || {
    log "PostgreSQL: cannot connect to $(redact "$url") to check its version"
    return 0
  }
  server=$((server / 10000))
  dump=$(major_of "$(pg_dump --version 2>/dev/null || true)")
  if [[ -n $dump ]] && ((dump >= server)); then
    return 0
  fi
  dir=$(newest_pg_bindir pg_dump || true)
  if ! pg_dump_at_least "$dir" "$server" && [[ $install == yes ]]; then
    apt_install "postgresql-client-$server"
    dir=$(newest_pg_bindir pg_dump || true)
  fi
  if pg_dump_at_least "$dir" "$server"; then
    prepend_path "$dir"
    log "PostgreSQL: using client tools from $dir (server is $server)"
    return 0
  fi
  [[ $install == yes ]] || return 0
  die "pg_dump ${dump:-(none)} is older than the PostgreSQL $server server; install postgresql-client-$server"
}

# --- probing -----------------------------------------------------------------

DEFAULT_PG_URL=postgres://postgres@127.0.0.1:5432/postgres
DEFAULT_MYSQL_URL=mysql://root@127.0.0.1:3306/mysql

pg_answers() { # url
  PGCONNECT_TIMEOUT=5 psql -X -w -Atq -d "$1" -c 'select 1' >/dev/null 2>&1
}

mysql_answers() { # port
  mariadb --no-defaults --protocol=tcp -h 127.0.0.1 -P "$1" -u root \
    --connect-timeout=5 -e 'select 1' >/dev/null 2>&1
}

port_in_use() { # port
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

free_port() { # first port to try
  local port=$1
  while port_in_use "$port"; do
    port=$((port + 1))
    ((port < $1 + 100)) || die "no free port in $1..$port"
  done
  printf '%s\n' "$port"
}

# --- throwaway servers -------------------------------------------------------

start_pg() {
  PG_BIN=$(newest_pg_bindir initdb || true)
  if [[ -z $PG_BIN ]]; then
    apt_install postgresql
    PG_BIN=$(newest_pg_bindir initdb || true)
    [[ -n $PG_BIN ]] || die "no initdb under /usr/lib/postgresql after installing postgresql"
  fi
  work_dir
  local dir=$WORK/pg port attempt started=0
  mkdir -p "$dir/sock"
  is_root && chown -R postgres:postgres "$dir"
  chmod 700 "$dir"
  # C.UTF-8 and UTF8 match Debian's packaged cluster whatever the caller's locale.
  if ! as_user postgres "$PG_BIN/initdb" -D "$dir/data" --auth=trust -U postgres \
    -E UTF8 --locale=C.UTF-8 --no-sync --no-instructions >"$WORK/pg-initdb.log" 2>&1; then
    tail -n 20 "$WORK/pg-initdb.log" >&2
    die "initdb failed"
  fi
  port=${DBSNAP_TEST_PG_PORT:-55432}
  # Set before starting: a start that times out may leave a server for cleanup to stop.
  PG_STARTED=$dir/data
  for attempt in 1 2 3 4 5; do
    port=$(free_port "$port")
    # fsync and friends off: the data are thrown away anyway.
    if as_user postgres "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t "$WAIT_SECONDS" \
      -o "-p $port -k $dir/sock -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
      start >/dev/null 2>&1; then
      started=1
      break
    fi
    # Another process may have taken the port between the check and the start.
    if grep -q 'could not create any TCP/IP sockets\|Address already in use' "$dir/server.log" 2>/dev/null; then
      log "PostgreSQL: port $port taken, trying the next one (attempt $attempt)"
      port=$((port + 1))
      continue
    fi
    tail -n 20 "$dir/server.log" >&2 || true
    die "PostgreSQL did not start within ${WAIT_SECONDS}s (log above)"
  done
  ((started)) || die "PostgreSQL: no port to start on"
  DBSNAP_TEST_PG_URL=postgres://postgres@127.0.0.1:$port/postgres
  pg_answers "$DBSNAP_TEST_PG_URL" || die "throwaway PostgreSQL started but does not answer on port $port"
  log "PostgreSQL: started throwaway server $("$PG_BIN/postgres" --version | sed -nE 's/.*\(PostgreSQL\) ([^ ]+).*/\1/p') on 127.0.0.1:$port ($dir)"
}

start_mysql() {
  local server installer
  server=$(command -v mariadbd || true)
  [[ -n $server ]] || { [[ -x /usr/sbin/mariadbd ]] && server=/usr/sbin/mariadbd; } || true
  installer=$(command -v mariadb-install-db || true)
  if [[ -z $server || -z $installer ]]; then
    apt_install mariadb-server
    server=$(command -v mariadbd || echo /usr/sbin/mariadbd)
    installer=$(command -v mariadb-install-db || true)
    [[ -x $server && -n $installer ]] || die "no mariadbd / mariadb-install-db after installing mariadb-server"
  fi
  work_dir
  local dir=$WORK/my port attempt i user_opt=()
  mkdir -p "$dir"
  if is_root; then
    chown mysql:mysql "$dir"
    user_opt=(--user=mysql)
  fi
  chmod 700 "$dir"
  if ! (cd / && "$installer" --no-defaults "${user_opt[@]}" --datadir="$dir/data" \
    --auth-root-authentication-method=normal --skip-test-db --skip-name-resolve) \
    >"$WORK/my-install-db.log" 2>&1; then
    tail -n 20 "$WORK/my-install-db.log" >&2
    die "mariadb-install-db failed"
  fi
  port=${DBSNAP_TEST_MYSQL_PORT:-53306}
  for attempt in 1 2 3 4 5; do
    port=$(free_port "$port")
    : >"$dir/error.log"
    # Settings match Debian's packaged server (utf8mb4) and what the tests need
    # (LOAD DATA LOCAL). mariadbd drops to the mysql user itself (--user).
    "$server" --no-defaults "${user_opt[@]}" --datadir="$dir/data" --port="$port" \
      --socket="$dir/mysqld.sock" --pid-file="$dir/mariadbd.pid" --log-error="$dir/error.log" \
      --bind-address=127.0.0.1 --skip-name-resolve --local-infile=1 \
      --character-set-server=utf8mb4 --collation-server=utf8mb4_general_ci \
      --innodb-flush-log-at-trx-commit=0 --innodb-doublewrite=0 \
      </dev/null >/dev/null 2>&1 &
    MY_PID=$!
    MY_PORT=$port
    for ((i = 0; i < WAIT_SECONDS * 2; i++)); do
      mysql_answers "$port" && break
      kill -0 "$MY_PID" 2>/dev/null || break
      sleep 0.5
    done
    if mysql_answers "$port"; then
      break
    fi
    if ! kill -0 "$MY_PID" 2>/dev/null; then
      wait "$MY_PID" 2>/dev/null || true
      MY_PID=""
      if grep -q 'Address already in use\|Do you already have another' "$dir/error.log"; then
        log "MariaDB: port $port taken, trying the next one (attempt $attempt)"
        port=$((port + 1))
        continue
      fi
      tail -n 20 "$dir/error.log" >&2
      die "MariaDB exited while starting (log above)"
    fi
    tail -n 20 "$dir/error.log" >&2
    die "MariaDB did not answer within ${WAIT_SECONDS}s (log above)"
  done
  [[ -n $MY_PID ]] || die "MariaDB: no port to start on"
  DBSNAP_TEST_MYSQL_URL=mysql://root@127.0.0.1:$port/mysql
  log "MariaDB: started throwaway server $("$server" --version 2>/dev/null | sed -nE 's/.*Ver ([^ ]+).*/\1/p') on 127.0.0.1:$port ($dir)"
}

# --- choosing ----------------------------------------------------------------

choose_pg() {
  if ! force_throwaway pg && [[ -n ${DBSNAP_TEST_PG_URL:-} ]]; then
    log "PostgreSQL: using DBSNAP_TEST_PG_URL=$(redact "$DBSNAP_TEST_PG_URL")"
  elif ! force_throwaway pg && pg_answers "$DEFAULT_PG_URL"; then
    DBSNAP_TEST_PG_URL=$DEFAULT_PG_URL
    log "PostgreSQL: reusing server at 127.0.0.1:5432"
  else
    if force_throwaway pg; then
      log "PostgreSQL: DBSNAP_TEST_FORCE_THROWAWAY set, not probing"
    else
      log "PostgreSQL: nothing answers on 127.0.0.1:5432 as postgres"
    fi
    start_pg
  fi
  ensure_pg_dump_for "$DBSNAP_TEST_PG_URL" yes
}

choose_mysql() {
  if ! force_throwaway mysql && [[ -n ${DBSNAP_TEST_MYSQL_URL:-} ]]; then
    log "MariaDB: using DBSNAP_TEST_MYSQL_URL=$(redact "$DBSNAP_TEST_MYSQL_URL")"
  elif ! force_throwaway mysql && mysql_answers 3306; then
    DBSNAP_TEST_MYSQL_URL=$DEFAULT_MYSQL_URL
    log "MariaDB: reusing server at 127.0.0.1:3306"
  else
    if force_throwaway mysql; then
      log "MariaDB: DBSNAP_TEST_FORCE_THROWAWAY set, not probing"
    else
      log "MariaDB: nothing answers on 127.0.0.1:3306 as root"
    fi
    start_mysql
  fi
}

# Prints export lines for what is reachable now; installs and starts nothing.
print_env() {
  local pg=${DBSNAP_TEST_PG_URL:-} my=${DBSNAP_TEST_MYSQL_URL:-}
  if [[ -z $pg ]] && tools_run psql && pg_answers "$DEFAULT_PG_URL"; then
    pg=$DEFAULT_PG_URL
  fi
  if [[ -z $my ]] && tools_run mariadb && mysql_answers 3306; then
    my=$DEFAULT_MYSQL_URL
  fi
  if [[ -n $pg ]]; then
    tools_run psql pg_dump && ensure_pg_dump_for "$pg" no
    printf 'export DBSNAP_TEST_PG_URL=%q\n' "$pg"
  else
    log "PostgreSQL: nothing reachable (run tests through scripts/test-dbs.sh to start one)"
  fi
  if [[ -n $my ]]; then
    printf 'export DBSNAP_TEST_MYSQL_URL=%q\n' "$my"
  else
    log "MariaDB: nothing reachable (run tests through scripts/test-dbs.sh to start one)"
  fi
  if [[ -n $PATH_ADDED ]]; then
    # shellcheck disable=SC2016  # $PATH is for the shell that evaluates the line
    printf 'export PATH=%q:"$PATH"\n' "$PATH_ADDED"
  fi
}

# --- main --------------------------------------------------------------------

case "${1:-}" in
  "")
    usage >&2
    exit 2
    ;;
  -h | --help)
    usage
    exit 0
    ;;
  --env)
    (($# == 1)) || die "--env takes no command"
    print_env
    exit 0
    ;;
  --install)
    shift
    (($#)) || die "--install needs package names"
    apt_install "$@"
    exit 0
    ;;
  --)
    shift
    (($#)) || {
      usage >&2
      exit 2
    }
    ;;
esac

ensure_clients
choose_pg
choose_mysql
export DBSNAP_TEST_PG_URL DBSNAP_TEST_MYSQL_URL PATH

# Not exec: the EXIT trap must stop the servers after COMMAND ends.
status=0
"$@" || status=$?
exit "$status"
