//! The one integration-test binary (ripgrep / sqlx style): every test module is
//! compiled into `target/.../it`, sharing `support` and a single link step.
//!
//! Run with `make test` (servers found or started by scripts/test-dbs.sh), or
//! `cargo test --release --test it` against the PostgreSQL named by
//! DBSNAP_TEST_PG_URL (default postgres://postgres@127.0.0.1:5432/postgres).
//! The MySQL/MariaDB tests (`mysql_*`) use DBSNAP_TEST_MYSQL_URL (default
//! mysql://root@127.0.0.1:3306/mysql) and the `mariadb`/`mysql` and `mysqldump` clients.

mod support;

mod pg_schema;

mod diff;
mod pg_regress;

mod pg_data;

mod mysql_data;
mod mysql_large;
mod mysql_schema;
mod output;
mod resume;
mod tls;
mod trust;

mod hints;
mod make_targets;
mod messages;
mod progress_tty;
