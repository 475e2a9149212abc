//! What the two engines share about TLS (both drivers use rustls): reading the
//! trust anchors of `sslrootcert`, and saying in plain words why a server
//! certificate was refused. rustls's own words ("invalid peer certificate:
//! UnknownIssuer") name neither the file nor the fix.

use std::error::Error;
use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use anyhow::{bail, Context, Result};
use rustls::pki_types::CertificateDer;
use rustls::CertificateError;

use crate::config::{ConnectionSpec, SslMode};

/// The certificates of the PEM file `sslrootcert`, at least one.
pub fn read_root_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>> {
    let context = || format!("cannot read sslrootcert {}", path.display());
    let file = File::open(path).with_context(context)?;
    let certs = rustls_pemfile::certs(&mut BufReader::new(file))
        .collect::<Result<Vec<_>, _>>()
        .with_context(context)?;
    if certs.is_empty() {
        bail!(
            "sslrootcert {} holds no usable PEM certificate (-----BEGIN CERTIFICATE-----)",
            path.display()
        );
    }
    Ok(certs)
}

/// The rustls error somewhere in `err`'s chain. Drivers wrap it in an
/// `io::Error`, whose `source()` skips the error it wraps, hence `get_ref`.
pub fn rustls_error<'a>(err: &'a (dyn Error + 'static)) -> Option<&'a rustls::Error> {
    let mut next = Some(err);
    while let Some(cause) = next {
        if let Some(tls) = cause.downcast_ref::<rustls::Error>() {
            return Some(tls);
        }
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            if let Some(tls) = io.get_ref().and_then(|e| e.downcast_ref::<rustls::Error>()) {
                return Some(tls);
            }
        }
        next = cause.source();
    }
    None
}

/// Why the server's certificate was refused, for `spec`'s settings, or None
/// when `err` is not about the certificate.
pub fn certificate_problem(err: &(dyn Error + 'static), spec: &ConnectionSpec) -> Option<String> {
    let rustls::Error::InvalidCertificate(problem) = rustls_error(err)? else {
        return None;
    };
    let original = problem.to_string();
    let mode = match spec.sslmode {
        SslMode::VerifyFull => "sslmode=verify-full",
        _ => "sslmode=require with sslrootcert",
    };
    let text = match problem {
        CertificateError::NotValidForName => format!(
            "the server's certificate is not valid for the host name {host} ({mode} checks \
             the name; connect by a name the certificate holds)",
            host = spec.host
        ),
        CertificateError::NotValidForNameContext { presented, .. } => format!(
            "the server's certificate is not valid for the host name {host}; it holds {names} \
             ({mode} checks the name; connect by one of those names)",
            host = spec.host,
            names = if presented.is_empty() {
                "no host name".to_string()
            } else {
                presented
                    .iter()
                    .map(|n| plain_name(n))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        ),
        CertificateError::UnknownIssuer | CertificateError::BadSignature => {
            match &spec.sslrootcert {
                Some(path) => format!(
                    "the server's certificate is not signed by a CA in sslrootcert {} \
                     (a wrong CA file, or not the server you expect)",
                    path.display()
                ),
                None => "the server's certificate is not signed by a public root CA \
                         (for a private CA set sslrootcert=/path/to/ca.pem; sslmode=require \
                         encrypts without checking the certificate)"
                    .to_string(),
            }
        }
        CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
            "the server's certificate has expired".to_string()
        }
        CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
            "the server's certificate is not valid yet".to_string()
        }
        _ => "the server's certificate was refused".to_string(),
    };
    Some(format!("{text} (TLS: {original})"))
}

/// `DnsName("localhost")` -> `localhost`, `IpAddress(127.0.0.1)` -> `127.0.0.1`
/// (how rustls lists the names a certificate holds).
fn plain_name(name: &str) -> &str {
    for prefix in ["DnsName(\"", "IpAddress("] {
        if let Some(rest) = name.strip_prefix(prefix) {
            return rest.trim_end_matches(')').trim_end_matches('"');
        }
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_names() {
        assert_eq!(plain_name("DnsName(\"localhost\")"), "localhost");
        assert_eq!(plain_name("IpAddress(127.0.0.1)"), "127.0.0.1");
        assert_eq!(plain_name("IpAddress(::1)"), "::1");
        assert_eq!(plain_name("Uri(\"x\")"), "Uri(\"x\")");
    }

    #[test]
    fn finds_rustls_inside_io_errors() {
        let tls = rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer);
        let io = std::io::Error::new(std::io::ErrorKind::InvalidData, tls);
        let outer = anyhow::Error::new(io).context("error performing TLS handshake");
        let found = rustls_error(outer.as_ref()).expect("found");
        assert!(matches!(
            found,
            rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer)
        ));
        let plain = std::io::Error::other("no TLS here");
        assert!(rustls_error(&plain).is_none());
    }
}
