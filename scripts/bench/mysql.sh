# shellcheck shell=bash disable=SC2034  # sets globals that scripts/bench.sh reads
# MariaDB for scripts/bench.sh: the functions the runner calls as mysql_<step>.
# Everything said in SQL about the server lives here.

MY_CNF="" # client option file for the MariaDB tools (holds the password, mode 0600)

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

# Checks the tools and the server; sets ADMIN_URL, SERVER_PID, MY_CLIENT, MY_DUMP, MY_CNF.
mysql_setup() {
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
  ADMIN_URL=$DBSNAP_TEST_MYSQL_URL
  SERVER_PID=$(my_server_pid)
  export MY_CNF MY_CLIENT MY_DUMP
}

mysql_title() { printf 'MariaDB %s\n' "$(my_admin -e 'SELECT VERSION()' | sed 's/-MariaDB.*//')"; }

mysql_url() { url_for_db "$DBSNAP_TEST_MYSQL_URL" "$1"; }

# NAME and the staging copies dbsnap init makes of it (<target>__dbsnap_...).
mysql_databases_of() { # name
  my_admin -e "SELECT schema_name FROM information_schema.schemata
      WHERE schema_name = '$1' OR schema_name LIKE '${1//_/\\_}\\_\\_dbsnap\\_%'"
}

mysql_staging_of() { # name
  my_admin -e "SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE '${1//_/\\_}\\_\\_dbsnap\\_%'"
}

mysql_drop_one() { # name
  my_admin -e "DROP DATABASE IF EXISTS \`$1\`"
}

# Rows of TABLE (as the manifest writes it) in database DB; nothing while it does not exist.
mysql_count() { # db table
  my_admin "$1" -e "SELECT count(*) FROM $2" 2>/dev/null || true
}

# Waits (at most BENCH_MYSQL_SETTLE seconds) until InnoDB has written most of
# its dirty pages, so one run's writes are not flushed during the next run: until
# at most 5% of the buffer pool is dirty, or the count has not gone down for 3s
# (InnoDB keeps some pages dirty when idle; other sessions may dirty more).
mysql_settle() {
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

# Fills database DB with DATASET at ROWS rows; sets DATASET_LINE, SERVER_LINE, CLIENT_LINE.
mysql_generate() { # dataset db rows logfile
  local dataset=$1 db=$2 rows=$3 log=$4 t0 secs
  my_admin -e "CREATE DATABASE \`$db\` CHARACTER SET utf8mb4"
  t0=$(date +%s%N)
  { printf "SET @rows = %s, @shape = '%s';\n" "$rows" "$dataset"; cat "$ROOT/scripts/bench/mysql_dataset.sql"; } |
    my_admin "$db" >"$log" 2>&1 || {
    tail -n 30 "$log" >&2
    die "generating the data set failed"
  }
  secs=$(awk -v d=$(($(date +%s%N) - t0)) 'BEGIN { printf "%.1f", d / 1e9 }')
  local n size tables parts biggest
  n=$(my_admin "$db" -e "SELECT (SELECT count(*) FROM customers) + (SELECT count(*) FROM products)
      + (SELECT count(*) FROM orders) + (SELECT count(*) FROM order_items) + (SELECT count(*) FROM events)")
  size=$(my_admin -e "SELECT SUM(data_length + index_length) FROM information_schema.tables WHERE table_schema = '$db'")
  tables=$(my_admin -e "SELECT count(*) FROM information_schema.tables WHERE table_schema = '$db' AND table_type = 'BASE TABLE'")
  parts=$(my_admin -e "SELECT count(*) FROM information_schema.partitions WHERE table_schema = '$db' AND partition_name IS NOT NULL")
  biggest=$(my_admin -e "SELECT CONCAT(table_name, ' ', ROUND(100 * table_rows / $n), ' %') FROM information_schema.tables
      WHERE table_schema = '$db' ORDER BY table_rows DESC LIMIT 1")
  DATASET_LINE="$dataset: $(thousands "$n") rows in $tables tables, one of them RANGE-partitioned ($parts partitions; largest $biggest, estimated);"
  DATASET_LINE+=" source database $(human_bytes "$size") (data_length + index_length), generated in ${secs}s"
  log "generated $n rows in $tables tables ($parts partitions), $(human_bytes "$size"), in ${secs}s"
  SERVER_LINE="$(my_admin -e 'SELECT VERSION()') on $MY_HOST:$MY_PORT; "
  SERVER_LINE+=$(my_admin -e "SELECT GROUP_CONCAT(LOWER(variable_name), '=', variable_value ORDER BY variable_name SEPARATOR ', ')
      FROM information_schema.global_variables WHERE variable_name IN ('INNODB_BUFFER_POOL_SIZE', 'INNODB_FLUSH_LOG_AT_TRX_COMMIT',
        'INNODB_DOUBLEWRITE', 'INNODB_LOG_FILE_SIZE', 'INNODB_FLUSH_METHOD', 'LOG_BIN', 'MAX_ALLOWED_PACKET')")
  local ver='s#^([^ ]*/)?([^ ]+) +Ver ([^ ]+) Distrib ([^,]+),.*#\2 \3 (\4)#'
  CLIENT_LINE="$("$MY_CLIENT" --version | sed -E "$ver"); $("$MY_DUMP" --version | sed -E "$ver"); $(mydumper --version 2>&1 | head -n 1)"
}
