# shellcheck shell=bash disable=SC2016  # the runner expands the commands, in bash -c
# The benchmark's scenarios, as data: scripts/bench.sh reads this file and runs,
# for each engine and size, every scenario in the order written here (or those
# BENCH_ONLY names).
#
#   artifact ENGINE:NAME FILE 'COMMAND'
#       A file or directory in the work directory that scenarios need, made
#       untimed the first time one asks for it (needs=) and kept for the next.
#       A timed run whose out= is an artifact's FILE leaves it behind as well.
#   scenario ENGINE:NAME [dataset=shop|one_big_table] [needs=A,B] [prepare='STEP'] 'TITLE'
#       dataset: which generated data set is the source (default shop; see
#       scripts/bench/*_dataset.sql); needs: artifacts to make first; prepare:
#       an untimed step run once before the rounds.
#   run RUN [out=FILE] [before='STEP'] [verify=imp|init] 'COMMAND'
#       One timed command, BENCH_ROUNDS times, the scenario's runs alternating.
#       Before each: FILE is removed, then STEP runs (untimed). After the first,
#       verify= checks that database against the source (BENCH_VERIFY).
#   compare 'OPERATION' DBSNAP_RUN REFERENCE_RUN|- [target=RATIO]
#       One row of the results: medians, their ratio (checked against target),
#       and DBSNAP_RUN's peak memory (checked against 64 MiB).
#   note 'TEXT'
#       A line under the engine's results when the scenario ran.
#
# COMMANDs run under /usr/bin/time in `bash -c`, with these variables: DBSNAP,
# W (the work directory of this engine and data set), OUT (the run's out= path),
# ADMIN_URL (the maintenance database), SRC/SRC_URL (the source), IMP/IMP_URL and
# INIT/INIT_URL (databases the runs fill; dropped after each scenario unless
# BENCH_KEEP is set), and for MariaDB MY_CNF (client option file), MY_CLIENT,
# MY_DUMP. STEPs run in the runner itself and may call its functions: drop_db,
# fresh_schema_db, kill_init_at, ensure_pgcopydb.

# --- PostgreSQL --------------------------------------------------------------------

artifact pg:schema schema.sql '"$DBSNAP" export-schema --url "$SRC_URL" -o "$OUT"'
artifact pg:plain dbsnap.sql '"$DBSNAP" export-data --url "$SRC_URL" -o "$OUT"'
artifact pg:dumpdir pg_dump.dir 'pg_dump -Fd -Z0 -d "$SRC_URL" -f "$OUT"'

scenario pg:export 'export: dbsnap export-data vs pg_dump --data-only'
run export_dbsnap out=dbsnap.sql '"$DBSNAP" export-data --url "$SRC_URL" -o "$OUT"'
run export_pg_dump out=pg_dump.sql 'pg_dump --data-only -d "$SRC_URL" -f "$OUT"'
compare 'export: export-data .sql vs pg_dump --data-only' export_dbsnap export_pg_dump target=0.75

scenario pg:gzip 'gzip export: dbsnap export-data -o .sql.gz vs pg_dump --data-only -Z6'
run gzip_dbsnap out=dbsnap.sql.gz '"$DBSNAP" export-data --url "$SRC_URL" -o "$OUT"'
run gzip_pg_dump out=pg_dump.sql.gz 'pg_dump --data-only -Z6 -d "$SRC_URL" -f "$OUT"'
compare 'gzip export: export-data .sql.gz vs pg_dump --data-only -Z6' gzip_dbsnap gzip_pg_dump target=0.6

scenario pg:zstd 'zstd export: dbsnap export-data -o .sql.zst (pg_dump 15 has no zstd)'
run zstd_dbsnap out=dbsnap.sql.zst '"$DBSNAP" export-data --url "$SRC_URL" -o "$OUT"'
compare 'zstd export: export-data .sql.zst (no pg_dump equivalent)' zstd_dbsnap -

# Both start from the same state: a fresh database built by `dbsnap init --schema`.
scenario pg:import needs=schema,plain 'import: dbsnap import vs psql -1 -f of the same file, into a schema with indexes'
run import_dbsnap before='fresh_schema_db "$IMP"' verify=imp '"$DBSNAP" import --url "$IMP_URL" "$W/dbsnap.sql"'
run import_psql before='fresh_schema_db "$IMP"' verify=imp 'psql -X -1 -q -v ON_ERROR_STOP=1 -d "$IMP_URL" -f "$W/dbsnap.sql"'
compare 'import into indexed schema: dbsnap import vs psql -1 -f (same file)' import_dbsnap import_psql target=0.8
note 'import: both tools load dbsnap'"'"'s plain export into a fresh database built by `dbsnap init --schema` (indexes, constraints and triggers present); building it is not timed.'

# The reference creates its database inside the timed command, as dbsnap init does.
scenario pg:init needs=schema,plain,dumpdir 'init: dbsnap init --schema --data vs CREATE DATABASE + pg_restore -j2'
run init_dbsnap before='drop_db "$INIT"' verify=init '"$DBSNAP" init --url "$INIT_URL" --schema "$W/schema.sql" --data "$W/dbsnap.sql" --yes'
run init_pg_restore before='drop_db "$INIT"' verify=init 'psql -X -q -v ON_ERROR_STOP=1 -d "$ADMIN_URL" -c "CREATE DATABASE \"$INIT\" TEMPLATE template0" &&
  exec pg_restore -j2 -d "$INIT_URL" "$W/pg_dump.dir"'
compare 'init with data: init --schema --data vs CREATE DATABASE + pg_restore -j2' init_dbsnap init_pg_restore target=0.8
note 'init: dbsnap'"'"'s time includes creating its database; the reference'"'"'s timed command is `CREATE DATABASE ... TEMPLATE template0` then `pg_restore -j2` of an uncompressed (-Z0) directory dump (made untimed). Dropping the previous database is not timed.'

# Each timed command copies the live source into a new database, start to end.
scenario pg:swap prepare=ensure_pgcopydb 'swap-over: export-schema + export-data + init vs pg_dump -Fd -j2 + pg_restore -j2 vs pgcopydb clone'
run swap_dbsnap out=swap before='drop_db "$INIT"; mkdir -p "$OUT"' verify=init '"$DBSNAP" export-schema --url "$SRC_URL" -o "$OUT/schema.sql" &&
  "$DBSNAP" export-data --url "$SRC_URL" -o "$OUT/data.sql" &&
  exec "$DBSNAP" init --url "$INIT_URL" --schema "$OUT/schema.sql" --data "$OUT/data.sql" --yes'
run swap_pg_restore out=swap before='drop_db "$INIT"; mkdir -p "$OUT"' verify=init 'pg_dump -Fd -Z0 -j2 -d "$SRC_URL" -f "$OUT/dump" &&
  psql -X -q -v ON_ERROR_STOP=1 -d "$ADMIN_URL" -c "CREATE DATABASE \"$INIT\" TEMPLATE template0" &&
  exec pg_restore -j2 -d "$INIT_URL" "$OUT/dump"'
run swap_pgcopydb out=swap before='drop_db "$INIT"; mkdir -p "$OUT"' verify=init 'psql -X -q -v ON_ERROR_STOP=1 -d "$ADMIN_URL" -c "CREATE DATABASE \"$INIT\" TEMPLATE template0" &&
  exec pgcopydb clone --source "$SRC_URL" --target "$INIT_URL" --dir "$OUT/pgcopydb" --table-jobs 2 --index-jobs 2 --no-owner --no-acl'
compare 'swap-over: export-schema + export-data + init vs pg_dump -Fd -Z0 -j2 + pg_restore -j2' swap_dbsnap swap_pg_restore target=0.8
compare 'swap-over: export-schema + export-data + init vs pgcopydb clone --table-jobs 2 --index-jobs 2' swap_dbsnap swap_pgcopydb target=0.8
note 'swap-over: each tool'"'"'s timed command copies the source into a new database, start to end; pg_dump writes an uncompressed (-Z0) directory, as dbsnap writes plain SQL.'

# One table holds 80 % of the rows: how far do two jobs get when most of the
# work is one table? (Tables are split into CTID ranges once dbsnap does so.)
scenario pg:bigtable dataset=one_big_table 'one big table: dbsnap export-data --jobs 2 vs pg_dump --data-only (80 % of the rows in events)'
run bigtable_dbsnap out=dbsnap.sql '"$DBSNAP" export-data --jobs 2 --url "$SRC_URL" -o "$OUT"'
run bigtable_pg_dump out=pg_dump.sql 'pg_dump --data-only -d "$SRC_URL" -f "$OUT"'
compare 'one big table (80 % of rows): export-data --jobs 2 .sql vs pg_dump --data-only' bigtable_dbsnap bigtable_pg_dump target=0.6
note 'one big table: the one_big_table data set of scripts/bench/pg_dataset.sql puts 80 % of the rows in `events`, an unpartitioned table.'

# The kill is untimed: init stalls before the rows of the table that takes the
# file past ~90 % of its rows (DBSNAP_FAULT_STALL_AT_TABLE), is killed once the
# staging database holds the tables before it, and the timed run resumes. On
# one_big_table the tables before the last one the file loads (order_items)
# hold 93 % of the rows; on shop only 55 %.
scenario pg:resume dataset=one_big_table needs=schema,plain 'resume: init --data in full vs init --resume after a kill at ~90 % of the rows'
run resume_full before='drop_db "$INIT"' verify=init '"$DBSNAP" init --url "$INIT_URL" --schema "$W/schema.sql" --data "$W/dbsnap.sql" --yes'
run resume_dbsnap before='drop_db "$INIT"; kill_init_at 90 "$INIT" "$W/schema.sql" "$W/dbsnap.sql"' verify=init '"$DBSNAP" init --url "$INIT_URL" --schema "$W/schema.sql" --data "$W/dbsnap.sql" --yes --resume'
compare 'resume: init --resume after a kill at ~90 % vs init --data in full' resume_dbsnap resume_full

# --- MariaDB -----------------------------------------------------------------------

# dbsnap's options: two tables read at once, as mydumper -t 2 does; the import
# with FOREIGN_KEY_CHECKS and UNIQUE_CHECKS off, as myloader loads mydumper's files.
# mydumper --no-locks: without it, FLUSH TABLES WITH READ LOCK waits for every
# running statement on the server; nothing writes to the source during the run.
artifact mysql:schema schema.sql '"$DBSNAP" export-schema --url "$SRC_URL" -o "$OUT"'
artifact mysql:plain dbsnap.sql '"$DBSNAP" export-data --jobs 2 --url "$SRC_URL" -o "$OUT"'
artifact mysql:mydumper_data mydumper.data 'mydumper --defaults-file="$MY_CNF" -B "$SRC" -t 2 --no-locks -v 1 -m -o "$OUT"'
artifact mysql:mydumper_full mydumper.full 'mydumper --defaults-file="$MY_CNF" -B "$SRC" -t 2 --no-locks -v 1 -G -R -E -o "$OUT"'

scenario mysql:export 'export: dbsnap export-data vs mydumper -t 2 -m vs mysqldump --single-transaction'
run export_dbsnap out=dbsnap.sql '"$DBSNAP" export-data --jobs 2 --url "$SRC_URL" -o "$OUT"'
run export_mydumper out=mydumper.data 'exec mydumper --defaults-file="$MY_CNF" -B "$SRC" -t 2 --no-locks -v 1 -m -o "$OUT"'
run export_mysqldump out=mysqldump.sql 'exec "$MY_DUMP" --defaults-file="$MY_CNF" --single-transaction --skip-lock-tables --hex-blob --no-create-info "$SRC" >"$OUT"'
compare 'export: export-data --jobs 2 .sql vs mydumper -t 2 -m (uncompressed)' export_dbsnap export_mydumper target=0.9
compare 'export: export-data --jobs 2 .sql vs mysqldump --single-transaction' export_dbsnap export_mysqldump
note 'export: `dbsnap export-data --jobs 2` writes one file from one snapshot, reading tables on two connections. mydumper runs `-t 2 --no-locks -m` (two threads, one file per table, no schema files); mysqldump writes one file through stdout. The timed command is the tool alone; the output is removed untimed.'

scenario mysql:gzip 'gzip export: dbsnap export-data -o .sql.gz vs mydumper -t 2 -m -c'
run gzip_dbsnap out=dbsnap.sql.gz '"$DBSNAP" export-data --jobs 2 --url "$SRC_URL" -o "$OUT"'
run gzip_mydumper out=mydumper.gz 'exec mydumper --defaults-file="$MY_CNF" -B "$SRC" -t 2 --no-locks -v 1 -m -c -o "$OUT"'
compare 'gzip export: export-data --jobs 2 .sql.gz vs mydumper -t 2 -m -c' gzip_dbsnap gzip_mydumper target=1.0

scenario mysql:zstd 'zstd export: dbsnap export-data -o .sql.zst (mydumper 0.10 has no zstd)'
run zstd_dbsnap out=dbsnap.sql.zst '"$DBSNAP" export-data --jobs 2 --url "$SRC_URL" -o "$OUT"'
compare 'zstd export: export-data --jobs 2 .sql.zst (no mydumper equivalent)' zstd_dbsnap -

scenario mysql:import needs=schema,plain,mydumper_data 'import: dbsnap import vs mariadb DB < file vs myloader -t 2, into a schema with indexes'
run import_dbsnap before='fresh_schema_db "$IMP"' verify=imp '"$DBSNAP" import --disable-constraints --url "$IMP_URL" "$W/dbsnap.sql"'
run import_client before='fresh_schema_db "$IMP"' verify=imp 'exec "$MY_CLIENT" --defaults-file="$MY_CNF" "$IMP" <"$W/dbsnap.sql"'
run import_myloader before='fresh_schema_db "$IMP"' verify=imp 'exec myloader --defaults-file="$MY_CNF" -t 2 -v 1 -d "$W/mydumper.data" -B "$IMP"'
compare 'import into indexed schema: dbsnap import --disable-constraints vs myloader -t 2 (data only)' import_dbsnap import_myloader target=1.0
compare 'import into indexed schema: dbsnap import --disable-constraints vs mariadb DB < file (same file)' import_dbsnap import_client
note 'import: each tool loads into a fresh database built by `dbsnap init --schema` (secondary indexes and foreign keys present); building it is not timed. `dbsnap import --disable-constraints` and `mariadb DB < file` load the same dbsnap .sql: dbsnap in one transaction with FOREIGN_KEY_CHECKS and UNIQUE_CHECKS off, the client in autocommit mode with foreign keys checked. myloader loads the mydumper -m directory with 2 threads; mydumper'"'"'s files turn FOREIGN_KEY_CHECKS off.'

# myloader creates the database from the dump's schema-create file.
scenario mysql:init needs=schema,plain,mydumper_full 'init: dbsnap init --schema --data vs myloader -t 2 of a full mydumper dump'
run init_dbsnap before='drop_db "$INIT"' verify=init '"$DBSNAP" init --url "$INIT_URL" --schema "$W/schema.sql" --data "$W/dbsnap.sql" --yes'
run init_myloader before='drop_db "$INIT"' verify=init 'exec myloader --defaults-file="$MY_CNF" -t 2 -v 1 -d "$W/mydumper.full" -B "$INIT"'
compare 'init with data: init --schema --data vs myloader -t 2 (full dump)' init_dbsnap init_myloader target=0.7
note 'init: dbsnap'"'"'s time includes creating its database, tables, rows, then foreign keys. The reference is myloader -t 2 of a full mydumper dump (made untimed) into a database that does not exist yet: myloader creates it and the tables (indexes and foreign keys inline), then loads the rows. Dropping the previous database is not timed.'

scenario mysql:resume dataset=one_big_table needs=schema,plain 'resume: init --data in full vs init --resume after a kill at ~90 % of the rows'
run resume_full before='drop_db "$INIT"' verify=init '"$DBSNAP" init --url "$INIT_URL" --schema "$W/schema.sql" --data "$W/dbsnap.sql" --yes'
run resume_dbsnap before='drop_db "$INIT"; kill_init_at 90 "$INIT" "$W/schema.sql" "$W/dbsnap.sql"' verify=init '"$DBSNAP" init --url "$INIT_URL" --schema "$W/schema.sql" --data "$W/dbsnap.sql" --yes --resume'
compare 'resume: init --resume after a kill at ~90 % vs init --data in full' resume_dbsnap resume_full
