# shellcheck shell=bash disable=SC2034  # sets globals that scripts/bench.sh reads
# PostgreSQL for scripts/bench.sh: the functions the runner calls as pg_<step>.
# Everything said in SQL about the server lives here.

pg_admin() { PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning" psql -X -q -v ON_ERROR_STOP=1 -d "$DBSNAP_TEST_PG_URL" "$@"; }

# Checks the tools and the server; sets ADMIN_URL and SERVER_PID.
pg_setup() {
  [[ -n ${DBSNAP_TEST_PG_URL:-} ]] ||
    die "DBSNAP_TEST_PG_URL is not set; run 'make bench' or scripts/test-dbs.sh bash scripts/bench.sh"
  local tool
  for tool in psql pg_dump pg_restore; do
    command -v "$tool" >/dev/null || die "$tool not found (Debian package postgresql-client)"
  done
  pg_admin -c 'SELECT 1' >/dev/null || die "cannot connect to DBSNAP_TEST_PG_URL"
  ADMIN_URL=$DBSNAP_TEST_PG_URL
  SERVER_PID=""
}

pg_title() { printf 'PostgreSQL %s\n' "$(pg_admin -At -c 'SHOW server_version')"; }

pg_url() { url_for_db "$DBSNAP_TEST_PG_URL" "$1"; }

# NAME and the staging copies dbsnap init makes of it (<target>__dbsnap_{new,old}_<pid>),
# which a run killed mid-init may leave behind.
pg_databases_of() { # name
  pg_admin -At -c "SELECT datname FROM pg_database WHERE datname = '$1' OR datname LIKE '${1//_/\\_}\\_\\_dbsnap\\_%'"
}

pg_staging_of() { # name
  pg_admin -At -c "SELECT datname FROM pg_database WHERE datname LIKE '${1//_/\\_}\\_\\_dbsnap\\_%'"
}

pg_drop_one() { # name
  pg_admin -c "DROP DATABASE IF EXISTS \"$1\" WITH (FORCE)"
}

# Rows of TABLE (as the manifest writes it) in database DB; nothing while it does not exist.
pg_count() { # db table
  psql -X -At -d "$(pg_url "$1")" -c "SELECT count(*) FROM $2" 2>/dev/null || true
}

pg_settle() { pg_admin -c CHECKPOINT; }

# Fills database DB with DATASET at ROWS rows; sets DATASET_LINE and SERVER_LINE.
pg_generate() { # dataset db rows logfile
  local dataset=$1 db=$2 rows=$3 log=$4 url t0 secs
  url=$(pg_url "$db")
  pg_admin -c "CREATE DATABASE \"$db\" TEMPLATE template0 ENCODING 'UTF8'"
  t0=$(date +%s%N)
  psql -X -q -v ON_ERROR_STOP=1 -v rows="$rows" -v shape="$dataset" -d "$url" \
    -f "$ROOT/scripts/bench/pg_dataset.sql" >"$log" 2>&1 || {
    tail -n 30 "$log" >&2
    die "generating the data set $dataset failed"
  }
  secs=$(awk -v d=$(($(date +%s%N) - t0)) 'BEGIN { printf "%.1f", d / 1e9 }')
  local n size tables biggest
  n=$(psql -X -At -d "$url" -c "SELECT (SELECT count(*) FROM customers) + (SELECT count(*) FROM products)
      + (SELECT count(*) FROM orders) + (SELECT count(*) FROM order_items) + (SELECT count(*) FROM events)")
  size=$(psql -X -At -d "$url" -c "SELECT pg_database_size(current_database())")
  tables=$(psql -X -At -d "$url" -c "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')")
  biggest=$(psql -X -At -d "$url" -c "SELECT format('%s %s %%', c.relname, round(100.0 * c.reltuples / $n))
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind = 'r' ORDER BY c.reltuples DESC LIMIT 1")
  DATASET_LINE="$dataset: $(thousands "$n") rows in $tables tables (partitions included; largest $biggest),"
  DATASET_LINE+=" source database $(human_bytes "$size") (pg_database_size), generated in ${secs}s"
  log "generated $n rows in $tables tables, $(human_bytes "$size"), in ${secs}s"
  SERVER_LINE="PostgreSQL $(psql -X -At -d "$url" -c 'SHOW server_version') on the same machine; "
  SERVER_LINE+=$(psql -X -At -d "$url" -c "SELECT string_agg(name || '=' || current_setting(name), ', ' ORDER BY name)
      FROM unnest(ARRAY['shared_buffers', 'max_wal_size', 'fsync', 'synchronous_commit', 'maintenance_work_mem']) AS name")
  CLIENT_LINE="$(pg_dump --version); $(pg_restore --version)"
  command -v pgcopydb >/dev/null 2>&1 && CLIENT_LINE+="; pgcopydb $(pgcopydb --version 2>&1 | sed -n 's/.*pgcopydb version \([^ ]*\).*/\1/p' | head -n 1)"
  return 0
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
