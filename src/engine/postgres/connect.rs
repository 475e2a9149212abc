//! Opening a tokio-postgres client for a [`ConnectionSpec`], with TLS chosen
//! the way libpq chooses it for `sslmode` and `sslrootcert`.
//!
//! tokio-postgres itself knows only disable/prefer/require, and every rustls
//! connector checks the certificate fully. So we build the rustls config:
//!
//! | sslmode     | without sslrootcert            | with sslrootcert              |
//! |-------------|--------------------------------|-------------------------------|
//! | disable     | plaintext                      | plaintext                     |
//! | prefer      | TLS if offered, cert unchecked | TLS if offered, chain checked |
//! | require     | TLS, cert unchecked            | TLS, chain checked            |
//! | verify-full | TLS, chain + name, webpki roots| TLS, chain + name, that file  |
//!
//! ("chain checked" is libpq's rule that an existing root file turns
//! `require` into `verify-ca`.) Unix sockets never use TLS.

use std::error::Error as _;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use tokio_postgres::tls::{MakeTlsConnect, TlsConnect};
use tokio_postgres::{Client, NoTls, Socket};
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::config::{ConnectionSpec, EngineKind, SslMode};
use crate::engine::probe;
use crate::error::ServerError;

/// How long to wait for the server before giving up on a connection
/// attempt (libpq has no default; the OS would wait about two minutes).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// Connects, sets `application_name=dbsnap` and drives the connection on a
/// tokio task. Errors read `cannot connect to {spec.redacted()}: {reason}`
/// and never contain the password.
pub async fn connect(spec: &ConnectionSpec) -> Result<Client> {
    let target = spec.redacted();
    if spec.engine != EngineKind::Postgres {
        bail!("cannot connect to {target}: not a PostgreSQL URL");
    }

    let mut config = tokio_postgres::Config::new();
    config
        .host(&spec.host)
        .port(spec.port)
        .user(&spec.user)
        .dbname(&spec.dbname)
        .application_name(crate::engine::run_tag())
        .connect_timeout(CONNECT_TIMEOUT);
    if let Some(password) = &spec.password {
        config.password(password.as_bytes());
    }

    let socket = spec.host.starts_with('/');
    let result = match spec.sslmode {
        _ if socket => {
            open(
                config.ssl_mode(tokio_postgres::config::SslMode::Disable),
                NoTls,
            )
            .await
        }
        SslMode::Disable => {
            open(
                config.ssl_mode(tokio_postgres::config::SslMode::Disable),
                NoTls,
            )
            .await
        }
        mode => {
            let tls = rustls_config(spec)
                .map(MakeRustlsConnect::new)
                .with_context(|| format!("cannot connect to {target}"))?;
            let pg_mode = match mode {
                SslMode::Prefer => tokio_postgres::config::SslMode::Prefer,
                _ => tokio_postgres::config::SslMode::Require,
            };
            open(config.ssl_mode(pg_mode), tls).await
        }
    };
    let err = match result {
        Ok(client) => return Ok(client),
        Err(err) => err,
    };
    // A MySQL server at this port answers our first bytes with its greeting
    // and hangs up: say so instead of "connection reset by peer".
    if err.as_db_error().is_none() {
        if let Some(hint) = probe::mismatch_hint(spec).await {
            bail!("cannot connect to {target}: {hint}");
        }
    }
    let reason = match crate::engine::tls::certificate_problem(&err, spec) {
        Some(problem) => problem,
        None => describe(&err),
    };
    Err(anyhow::Error::from(ServerError::new(reason, err))
        .context(format!("cannot connect to {target}")))
}

/// Connects and spawns the connection future; its eventual error (the
/// server going away) surfaces through the client's next call instead.
async fn open<T>(config: &tokio_postgres::Config, tls: T) -> Result<Client, tokio_postgres::Error>
where
    T: MakeTlsConnect<Socket> + 'static,
    T::Stream: Send + 'static,
    T::TlsConnect: Send,
    <T::TlsConnect as TlsConnect<Socket>>::Future: Send,
{
    let (client, connection) = config.connect(tls).await?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(client)
}

/// The server's own message for database errors (`FATAL: ...`), else
/// tokio-postgres's description followed by its causes.
fn describe(err: &tokio_postgres::Error) -> String {
    if let Some(db) = err.as_db_error() {
        // pg_hba.conf's refusal of a plaintext login names no remedy.
        if db.message().ends_with(", no encryption") {
            return format!(
                "{db} (the server refuses this login without TLS; use sslmode=require or \
                 verify-full)"
            );
        }
        return db.to_string();
    }
    let mut msg = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !msg.ends_with(&text) {
            msg.push_str(": ");
            msg.push_str(&text);
        }
        source = cause.source();
    }
    msg
}

fn ring_provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The rustls client configuration for `spec.sslmode` / `spec.sslrootcert`
/// (see the table at the top of this file).
fn rustls_config(spec: &ConnectionSpec) -> Result<ClientConfig> {
    let provider = ring_provider();
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .context("cannot set up TLS")?;
    let roots = match &spec.sslrootcert {
        Some(path) => Some(load_roots(path)?),
        None => None,
    };
    let config = match (spec.sslmode, roots) {
        (SslMode::VerifyFull, Some(roots)) => builder.with_root_certificates(roots),
        (SslMode::VerifyFull, None) => builder.with_root_certificates(RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        }),
        (_, roots) => {
            let chain = match roots {
                Some(roots) => Some(
                    WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                        .build()
                        .context("cannot set up TLS certificate verification")?,
                ),
                None => None,
            };
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(Lenient { provider, chain }))
        }
    };
    Ok(config.with_no_client_auth())
}

/// The certificates of a PEM file, as trust anchors.
fn load_roots(path: &Path) -> Result<RootCertStore> {
    let mut roots = RootCertStore::empty();
    let (added, _ignored) =
        roots.add_parsable_certificates(crate::engine::tls::read_root_certs(path)?);
    if added == 0 {
        bail!(
            "sslrootcert {} holds no usable PEM certificate (-----BEGIN CERTIFICATE-----)",
            path.display()
        );
    }
    Ok(roots)
}

/// libpq's modes short of `verify-full`. With roots (`verify-ca`, or
/// `require` with a root file) the chain must lead to one of them, but the
/// host name is not compared with the certificate. Without (`sslmode=require`)
/// any certificate is accepted: encryption only. Either way the handshake
/// signatures are checked, so the peer must hold the key of the certificate
/// it sent.
#[derive(Debug)]
struct Lenient {
    provider: Arc<CryptoProvider>,
    chain: Option<Arc<WebPkiServerVerifier>>,
}

impl ServerCertVerifier for Lenient {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let Some(chain) = &self.chain else {
            return Ok(ServerCertVerified::assertion());
        };
        // webpki checks the chain first and the name last, so a name error
        // means the chain was fine.
        match chain.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now) {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let algorithms = &self.provider.signature_verification_algorithms;
        verify_tls12_signature(message, cert, dss, algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let algorithms = &self.provider.signature_verification_algorithms;
        verify_tls13_signature(message, cert, dss, algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    //! These talk to the test server the integration tests use: the one named
    //! by DBSNAP_TEST_PG_URL (`make test` sets it), else
    //! postgres://postgres@127.0.0.1:5432/postgres; and to its Unix socket in
    //! /var/run/postgresql when there is one. The TLS tests adapt to whether
    //! the server has `ssl = on` and skip what they cannot check.

    use super::*;
    use crate::error::Report;
    use std::path::PathBuf;

    const SECRET: &str = "not-the-real-one-9f8e7d";

    /// The test server's spec with `sslmode` (see the module comment).
    fn server_spec(sslmode: SslMode) -> ConnectionSpec {
        let raw = std::env::var("DBSNAP_TEST_PG_URL")
            .ok()
            .filter(|s| !s.trim().is_empty())
            .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/postgres".to_string());
        let url = url::Url::parse(&raw).expect("DBSNAP_TEST_PG_URL is a URL");
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        };
        let mut s = spec(
            url.host_str()
                .unwrap_or("127.0.0.1")
                .trim_matches(['[', ']']),
            url.port().unwrap_or(5432),
            sslmode,
        );
        if !url.username().is_empty() {
            s.user = decode(url.username());
        }
        s.password = url.password().map(decode);
        let db = decode(url.path().trim_start_matches('/'));
        if !db.is_empty() {
            s.dbname = db;
        }
        s
    }

    /// `server_spec` with the host `localhost` when the server is on loopback
    /// (certificates name `localhost`, not `127.0.0.1`).
    fn localhost_spec(sslmode: SslMode) -> ConnectionSpec {
        let mut s = server_spec(sslmode);
        if s.host == "127.0.0.1" || s.host == "::1" {
            s.host = "localhost".to_string();
        }
        s
    }

    fn spec(host: &str, port: u16, sslmode: SslMode) -> ConnectionSpec {
        ConnectionSpec {
            engine: EngineKind::Postgres,
            host: host.to_string(),
            port,
            user: "postgres".to_string(),
            password: None,
            dbname: "postgres".to_string(),
            sslmode,
            sslrootcert: None,
        }
    }

    async fn select_one(client: &Client) {
        let row = client.query_one("SELECT 1::int4", &[]).await.unwrap();
        assert_eq!(row.get::<_, i32>(0), 1);
    }

    async fn uses_tls(client: &Client) -> bool {
        client
            .query_one(
                "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
                &[],
            )
            .await
            .unwrap()
            .get(0)
    }

    /// Whether the server offers TLS, and its certificate file.
    async fn server_tls() -> (bool, Option<PathBuf>) {
        let client = connect(&server_spec(SslMode::Disable)).await.unwrap();
        let ssl: String = client.query_one("SHOW ssl", &[]).await.unwrap().get(0);
        let cert: String = client
            .query_one("SHOW ssl_cert_file", &[])
            .await
            .unwrap()
            .get(0);
        let cert = PathBuf::from(cert);
        (ssl == "on", cert.is_file().then_some(cert))
    }

    #[tokio::test]
    async fn disable_over_tcp() {
        let client = connect(&server_spec(SslMode::Disable)).await.unwrap();
        select_one(&client).await;
        assert!(!uses_tls(&client).await);
        let name: String = client
            .query_one("SHOW application_name", &[])
            .await
            .unwrap()
            .get(0);
        assert!(name.starts_with("dbsnap:"), "{name}");
    }

    #[tokio::test]
    async fn prefer_over_tcp() {
        let client = connect(&server_spec(SslMode::Prefer)).await.unwrap();
        select_one(&client).await;
        let (server_ssl, _) = server_tls().await;
        assert_eq!(uses_tls(&client).await, server_ssl);
    }

    #[tokio::test]
    async fn unix_socket_never_uses_tls() {
        let port = server_spec(SslMode::Disable).port;
        let socket = format!("/var/run/postgresql/.s.PGSQL.{port}");
        if !std::path::Path::new(&socket).exists() {
            eprintln!("skipped: no Unix socket {socket} for the test server");
            return;
        }
        for mode in [
            SslMode::Disable,
            SslMode::Prefer,
            SslMode::Require,
            SslMode::VerifyFull,
        ] {
            let mut s = server_spec(mode);
            s.host = "/var/run/postgresql".to_string();
            let client = connect(&s)
                .await
                .unwrap_or_else(|e| panic!("{mode}: {e:#}"));
            select_one(&client).await;
            assert!(!uses_tls(&client).await);
        }
    }

    #[tokio::test]
    async fn require_over_tcp() {
        let (server_ssl, _) = server_tls().await;
        match connect(&server_spec(SslMode::Require)).await {
            Ok(client) => {
                assert!(server_ssl);
                select_one(&client).await;
                assert!(uses_tls(&client).await);
            }
            Err(e) => {
                assert!(!server_ssl, "{e:#}");
                assert!(e.to_string().contains("does not support TLS"), "{e:#}");
            }
        }
    }

    #[tokio::test]
    async fn verify_full() {
        let (server_ssl, cert) = server_tls().await;
        if !server_ssl {
            eprintln!("skipped: the server has ssl = off");
            return;
        }
        // A self-signed or private-CA certificate is not in webpki-roots.
        let mut s = localhost_spec(SslMode::VerifyFull);
        s.password = Some(SECRET.to_string());
        let e = connect(&s).await.expect_err("verify-full should refuse");
        let text = format!("{e:#} {e:?}");
        assert!(text.contains("not signed by a public root CA"), "{text}");
        assert!(text.contains("sslrootcert"), "{text}");
        assert!(!text.contains(SECRET), "{text}");

        let Some(cert) = cert else {
            eprintln!("skipped: cannot read the server certificate");
            return;
        };
        // Debian's snakeoil certificate names the machine or localhost; only
        // check the name when it is localhost.
        let pem = std::fs::read_to_string(&cert).unwrap();
        if !pem.contains("-----BEGIN CERTIFICATE-----") {
            return;
        }
        let mut s = server_spec(SslMode::Require);
        s.sslrootcert = Some(cert.clone());
        // require + root file = verify-ca: the chain counts, the name not.
        match connect(&s).await {
            Ok(client) => {
                select_one(&client).await;
                assert!(uses_tls(&client).await);
            }
            // A server certificate that is not self-signed needs its CA.
            Err(e) => eprintln!("skipped verify-ca check: {e:#}"),
        }
        // verify-full also compares the name, and snakeoil certificates do
        // not list 127.0.0.1.
        s.sslmode = SslMode::VerifyFull;
        s.password = Some(SECRET.to_string());
        match connect(&s).await {
            Ok(client) => select_one(&client).await, // the certificate lists 127.0.0.1
            Err(e) => {
                let text = format!("{e:#}");
                assert!(!text.contains(SECRET), "{text}");
                assert!(
                    text.contains("not valid for name") || text.contains("UnknownIssuer"),
                    "{text}"
                );
            }
        }
        s.host = localhost_spec(SslMode::VerifyFull).host;
        match connect(&s).await {
            Ok(client) => {
                select_one(&client).await;
                assert!(uses_tls(&client).await);
            }
            Err(e) => eprintln!("skipped verify-full success check: {e:#}"),
        }
    }

    #[tokio::test]
    async fn bad_sslrootcert() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").unwrap();
        let mut s = server_spec(SslMode::VerifyFull);
        s.password = Some(SECRET.to_string());
        s.sslrootcert = Some(empty);
        let e = format!("{:#}", connect(&s).await.err().unwrap());
        assert!(e.contains("no usable PEM certificate"), "{e}");
        assert!(!e.contains(SECRET), "{e}");
        s.sslrootcert = Some(dir.path().join("missing.pem"));
        let e = format!("{:#}", connect(&s).await.err().unwrap());
        assert!(e.contains("cannot read sslrootcert"), "{e}");
        assert!(!e.contains(SECRET), "{e}");
    }

    #[tokio::test]
    async fn wrong_port_error_hides_password() {
        for mode in [SslMode::Disable, SslMode::Prefer, SslMode::Require] {
            let mut s = spec("127.0.0.1", 1, mode);
            s.password = Some(SECRET.to_string());
            let e = connect(&s).await.expect_err("port 1 should refuse");
            let text = format!("{e} | {e:#} | {e:?}");
            assert!(!text.contains(SECRET), "{text}");
            let shown = Report(&e).to_string();
            assert!(
                shown.starts_with(
                    "cannot connect to postgres://postgres:***@127.0.0.1:1/postgres: "
                ),
                "{shown}"
            );
        }
    }

    #[tokio::test]
    async fn server_errors_are_reported() {
        let mut s = server_spec(SslMode::Disable);
        s.password = Some(SECRET.to_string());
        s.dbname = "dbsnap_no_such_database_x1".to_string();
        let e = connect(&s).await.expect_err("missing database");
        let text = Report(&e).to_string();
        assert!(text.contains("does not exist"), "{text}");
        assert!(!format!("{e:?}").contains(SECRET));
    }

    #[tokio::test]
    async fn mysql_spec_refused() {
        let mut s = spec("127.0.0.1", 3306, SslMode::Disable);
        s.engine = EngineKind::MySql;
        assert!(connect(&s).await.is_err());
    }
}
