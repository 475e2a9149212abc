//! TLS end to end (issue 7, item 9): the real dbsnap binary against a throwaway
//! PostgreSQL and a throwaway MariaDB that accept TCP clients only over TLS, with
//! certificates from a private CA made for the run (see `support::tls`).
//!
//! One server per engine, started once by that engine's test; the cases run in
//! turn against it, and every case runs even when an earlier one fails, so one
//! run shows everything that is wrong. Each case runs `dbsnap export-schema`.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

use crate::support::tls::{
    Listening, MyTls, PgTls, CERT_HOST, CERT_IP, PASSWORD, TABLE, USER, WRONG_IP,
};
use crate::support::{tempdir, Dbsnap, Run};

/// What the cases need to know about one engine's server.
struct Server<'a> {
    engine: &'static str,
    /// MariaDB, where a few outcomes differ (see the cases).
    mysql: bool,
    url: &'a dyn Fn(&str, &str) -> String,
    ca: &'a Path,
    other_ca: &'a Path,
}

impl Server<'_> {
    /// `dbsnap export-schema --url URL -o FILE`; returns the run and, on
    /// success, the file's text.
    fn export(&self, host: &str, query: &str) -> (Run, String) {
        let dir = tempdir();
        let out = dir.join("schema.sql");
        let run = Dbsnap::new()
            // A developer's libpq settings must not change what the URL says.
            .env_remove("PGSSLMODE")
            .env_remove("PGSSLROOTCERT")
            .args(["export-schema", "--url", &(self.url)(host, query), "-o"])
            .arg(&out)
            .run();
        let text = std::fs::read_to_string(&out).unwrap_or_default();
        (run, text)
    }

    #[track_caller]
    fn assert_connects(&self, host: &str, query: &str) {
        let (run, text) = self.export(host, query);
        run.assert_success();
        assert!(
            text.contains(TABLE),
            "{}: the snapshot lacks table {TABLE}:\n{text}\n{run}",
            self.engine
        );
        assert_no_password(&run);
    }

    /// Exit 1, no snapshot, and a message naming the target (password hidden)
    /// and holding every one of `phrases`.
    #[track_caller]
    fn assert_refused(&self, host: &str, query: &str, phrases: &[&str]) -> String {
        let (run, text) = self.export(host, query);
        // Shown with --nocapture: the messages are the point of these cases.
        eprintln!("{}", run.stderr.trim_end());
        run.assert_code(1);
        assert!(
            text.is_empty(),
            "a refused connection wrote a snapshot\n{run}"
        );
        assert_no_password(&run);
        assert!(
            run.stderr.contains("cannot connect to ") && run.stderr.contains(USER),
            "the message does not name the target\n{run}"
        );
        for phrase in phrases {
            assert!(
                run.stderr.contains(phrase),
                "the message lacks {phrase:?}\n{run}"
            );
        }
        run.stderr
    }

    fn ca(&self) -> String {
        self.ca.display().to_string()
    }

    fn other_ca(&self) -> String {
        self.other_ca.display().to_string()
    }
}

#[track_caller]
fn assert_no_password(run: &Run) {
    assert!(
        !run.stderr.contains(PASSWORD) && !run.stdout.contains(PASSWORD),
        "the password appears in the output\n{run}"
    );
}

type Case = (&'static str, fn(&Server));

/// Runs every case, then fails naming those that failed (their panics were
/// printed as they happened), with the end of the server log.
fn run_cases(server: &Server, cases: &[Case], log_tail: impl Fn() -> String) {
    let mut failed = Vec::new();
    for (name, case) in cases {
        eprintln!("--- {} TLS case: {name}", server.engine);
        if catch_unwind(AssertUnwindSafe(|| case(server))).is_err() {
            failed.push(*name);
        }
    }
    assert!(
        failed.is_empty(),
        "{} TLS cases failed: {failed:?}\n--- server log (end) ---\n{}",
        server.engine,
        log_tail()
    );
}

// --- the cases, the same for both engines ---------------------------------------

/// Encryption without checks: any certificate will do.
fn require_connects(s: &Server) {
    s.assert_connects(CERT_IP, "sslmode=require");
    // The certificate does not name 127.0.0.2, and require does not care.
    s.assert_connects(WRONG_IP, "sslmode=require");
}

fn verify_full_accepts_the_certified_name(s: &Server) {
    s.assert_connects(
        CERT_HOST,
        &format!("sslmode=verify-full&sslrootcert={}", s.ca()),
    );
}

/// The certificate also holds IP:127.0.0.1, so connecting by that address passes.
fn verify_full_accepts_the_certified_address(s: &Server) {
    s.assert_connects(
        CERT_IP,
        &format!("sslmode=verify-full&sslrootcert={}", s.ca()),
    );
}

fn verify_full_refuses_a_wrong_host_name(s: &Server) {
    s.assert_refused(
        WRONG_IP,
        &format!("sslmode=verify-full&sslrootcert={}", s.ca()),
        &[
            "the server's certificate is not valid for the host name 127.0.0.2",
            &format!("it holds {CERT_HOST}, {CERT_IP}"),
            "sslmode=verify-full checks the name",
        ],
    );
}

fn verify_full_refuses_a_wrong_ca(s: &Server) {
    s.assert_refused(
        CERT_HOST,
        &format!("sslmode=verify-full&sslrootcert={}", s.other_ca()),
        &[&format!(
            "the server's certificate is not signed by a CA in sslrootcert {}",
            s.other_ca()
        )],
    );
}

/// Without sslrootcert, verify-full trusts the public roots, which do not
/// know the test CA.
fn verify_full_without_root_file_refuses_a_private_ca(s: &Server) {
    s.assert_refused(
        CERT_HOST,
        "sslmode=verify-full",
        &[
            "the server's certificate is not signed by a public root CA",
            "sslrootcert=",
        ],
    );
}

/// libpq's rule: a root file makes `require` check the chain (verify-ca), but
/// not the host name. MySQL connections check the name too (mysql_async
/// cannot skip only the name), and say so.
fn require_with_root_file_checks_the_chain(s: &Server) {
    let with = |ca: &str| format!("sslmode=require&sslrootcert={ca}");
    s.assert_connects(CERT_HOST, &with(&s.ca()));
    if s.mysql {
        s.assert_refused(
            WRONG_IP,
            &with(&s.ca()),
            &[
                "not valid for the host name 127.0.0.2",
                "sslmode=require with sslrootcert checks the name",
            ],
        );
    } else {
        s.assert_connects(WRONG_IP, &with(&s.ca()));
    }
    s.assert_refused(
        CERT_HOST,
        &with(&s.other_ca()),
        &[&format!(
            "the server's certificate is not signed by a CA in sslrootcert {}",
            s.other_ca()
        )],
    );
}

fn missing_root_file_is_named(s: &Server) {
    let missing = format!("{}.missing", s.ca());
    for mode in ["verify-full", "require"] {
        s.assert_refused(
            CERT_HOST,
            &format!("sslmode={mode}&sslrootcert={missing}"),
            &[&format!("cannot read sslrootcert {missing}")],
        );
    }
}

/// `prefer` uses TLS when the server offers it (this server takes nothing else).
fn prefer_uses_tls_when_offered(s: &Server) {
    s.assert_connects(CERT_IP, "sslmode=prefer");
}

/// The server refuses TCP without TLS; the message gives the server's words
/// and the remedy.
fn plaintext_client_is_refused_clearly(s: &Server) {
    let server_words = if s.mysql {
        // MariaDB says only "access denied" to a plaintext login when
        // require_secure_transport is on.
        &[
            "Access denied for user 'dbsnap_tls'",
            "this connection did not use TLS",
        ][..]
    } else {
        &[
            "no pg_hba.conf entry",
            "no encryption",
            "the server refuses this login without TLS",
        ][..]
    };
    let mut phrases = server_words.to_vec();
    phrases.push("use sslmode=require or verify-full");
    s.assert_refused(CERT_IP, "sslmode=disable", &phrases);
}

const CASES: &[Case] = &[
    ("require_connects", require_connects),
    (
        "verify_full_accepts_the_certified_name",
        verify_full_accepts_the_certified_name,
    ),
    (
        "verify_full_accepts_the_certified_address",
        verify_full_accepts_the_certified_address,
    ),
    (
        "verify_full_refuses_a_wrong_host_name",
        verify_full_refuses_a_wrong_host_name,
    ),
    (
        "verify_full_refuses_a_wrong_ca",
        verify_full_refuses_a_wrong_ca,
    ),
    (
        "verify_full_without_root_file_refuses_a_private_ca",
        verify_full_without_root_file_refuses_a_private_ca,
    ),
    (
        "require_with_root_file_checks_the_chain",
        require_with_root_file_checks_the_chain,
    ),
    ("missing_root_file_is_named", missing_root_file_is_named),
    ("prefer_uses_tls_when_offered", prefer_uses_tls_when_offered),
    (
        "plaintext_client_is_refused_clearly",
        plaintext_client_is_refused_clearly,
    ),
];

// --- one test per engine ---------------------------------------------------------

#[test]
fn tls_postgres() {
    run_engine(PgTls::start(), |pg| &pg.on);
}

#[test]
fn tls_mariadb() {
    run_engine(MyTls::start(), |my| &my.on);
}

/// Runs every case against a started server, or says why there is none.
fn run_engine<S>(started: Result<S, String>, listening: fn(&S) -> &Listening) {
    let tls = match started {
        Ok(tls) => tls,
        Err(why) => {
            eprintln!("skipped: {why}");
            return;
        }
    };
    let on = listening(&tls);
    let url = |host: &str, query: &str| on.url(host, query);
    let server = Server {
        engine: on.engine,
        mysql: on.mysql,
        url: &url,
        ca: &on.certs().ca,
        other_ca: &on.certs().other_ca,
    };
    run_cases(&server, CASES, || on.log_tail());
}
