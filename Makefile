# dbsnap workflows. `make test` is the test command; CI runs it through .ci/run.
#
# Database targets take the connection from the environment, which dbsnap reads
# itself: DATABASE_URL, or DB_HOST DB_PORT DB_USER DB_PASS DB_NAME
# (DB_ENGINE=postgres|mysql), or PG*. Variables given on the make command line
# reach dbsnap too:  make export-schema DATABASE_URL=postgres://postgres@localhost/app
# URLs are passed through the environment, never echoed, so passwords stay out of logs.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c

CARGO ?= cargo
DBSNAP ?= target/release/dbsnap
SCHEMA ?= sql/init_schema.sql
DATA_FILE ?=
OUT ?=
YES ?=
SOURCE_URL ?=
TARGET_URL ?=
MANIFEST ?=
CHECKSUM ?=
IGNORE ?=
CORPUS ?= $(CURDIR)/../shared/corpus
DEMO_SCALE ?= 100

# Workflow targets build the release binary first, unless DBSNAP names another one.
BIN := $(if $(filter target/release/dbsnap,$(DBSNAP)),build)

.PHONY: all help build test init-fresh-db export-schema export-data rehearse nightly-export verify check-schema demo bench fmt lint clean

all: build

help:
	@echo 'make build                      cargo build --release'
	@echo 'make test [CORPUS=DIR]          all tests, against servers found or started by scripts/test-dbs.sh'
	@echo 'make export-schema [SCHEMA=..]  schema snapshot of $$DATABASE_URL / DB_* (default sql/init_schema.sql)'
	@echo 'make init-fresh-db [SCHEMA=..] [DATA_FILE=..] [YES=1]  build a fresh database from a snapshot'
	@echo 'make export-data [OUT=..]       data snapshot (default sql/data_export_YYYYMMDD_HHMMSS.sql)'
	@echo 'make rehearse [SCHEMA=..] [DATA_FILE=..] [REHEARSAL_URL=..]  scratch database <db>_rehearsal from the newest export, verified'
	@echo 'make nightly-export [EXPORT_DIR=..] [KEEP=7]  compressed, checked export; keeps the newest KEEP'
	@echo 'make check-schema [SCHEMA=..] [IGNORE="comments .."]  does $$DATABASE_URL / DB_* still match the schema? dbsnap exits 3 on drift'
	@echo 'make verify TARGET_URL=.. SOURCE_URL=..|MANIFEST=.. [CHECKSUM=1]  (TARGET_URL defaults to DATABASE_URL / DB_*)'
	@echo '                                 switches (YES, CHECKSUM, SCHEMA_TOO) take 1, y, yes or true'
	@echo 'make demo [DEMO_SCALE=100]      generated sample: load, export schema+data, init, pg_dump diff, verify'
	@echo 'make bench | fmt | lint | clean'

build:
	$(CARGO) build --release

# CORPUS reaches the tests as DBSNAP_CORPUS only when set (on the command line
# or in the environment); otherwise they look for ../shared/corpus themselves
# and skip the corpus round trips, with one line saying so, when it is missing.
test:
	$(if $(filter file,$(origin CORPUS)),,DBSNAP_CORPUS='$(CORPUS)') bash scripts/test-dbs.sh $(CARGO) test --release -- --test-threads=2

init-fresh-db: $(BIN)
	SCHEMA='$(SCHEMA)' DATA_FILE='$(DATA_FILE)' YES='$(YES)' DBSNAP='$(DBSNAP)' bash scripts/init_fresh_db.sh

export-schema: $(BIN)
	$(DBSNAP) export-schema -o $(SCHEMA)

export-data: $(BIN)
	DBSNAP='$(DBSNAP)' bash scripts/export_data.sh $(OUT)

rehearse: $(BIN)
	DBSNAP='$(DBSNAP)' SCHEMA='$(SCHEMA)' DATA_FILE='$(DATA_FILE)' bash scripts/rehearse.sh

nightly-export: $(BIN)
	DBSNAP='$(DBSNAP)' bash scripts/nightly_export.sh

verify: $(BIN)
	@status=0; DBSNAP='$(DBSNAP)' bash scripts/verify.sh || status=$$?; \
	if [[ $$status == 3 ]]; then echo 'make verify: differences found (dbsnap verify exit 3; make reports every failure as 2, scripts/verify.sh keeps the 3)' >&2; fi; \
	exit $$status

# The drift gate for CI and nightly runs: dbsnap exits 3 on drift (make shows `Error 3`).
check-schema: $(BIN)
	DBSNAP='$(DBSNAP)' SCHEMA='$(SCHEMA)' IGNORE='$(IGNORE)' bash scripts/check_schema.sh

demo: $(BIN)
	DBSNAP='$(DBSNAP)' DEMO_SCALE='$(DEMO_SCALE)' bash scripts/test-dbs.sh bash scripts/demo.sh

bench: $(BIN)
	DBSNAP='$(DBSNAP)' CORPUS='$(CORPUS)' bash scripts/test-dbs.sh bash scripts/bench.sh

fmt:
	$(CARGO) fmt --all

lint:
	$(CARGO) clippy --all-targets -- -D warnings
	if command -v shellcheck >/dev/null; then shellcheck scripts/*.sh scripts/bench/*.sh .ci/run; fi

clean:
	$(CARGO) clean
