//! Which protocol a server speaks, for a hint when the URL's scheme does not
//! match the port (`mysql://` at PostgreSQL's 5432, `postgres://` at 3306).
//!
//! The two protocols differ in who speaks first: a MySQL server greets the
//! client as soon as the connection is accepted, a PostgreSQL server waits
//! for the client and answers an SSLRequest with the single byte `S` or `N`.
//! The probe listens first, then asks; it never authenticates.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

use crate::config::{ConnectionSpec, EngineKind};

/// How long the server gets to greet before we assume it waits for us.
const GREETING_WAIT: Duration = Duration::from_millis(250);
/// How long each network step of the probe may take.
const STEP: Duration = Duration::from_millis(500);

/// PostgreSQL's SSLRequest: length 8, then the code 80877103.
const SSL_REQUEST: [u8; 8] = [0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f];

/// The protocol the server at `host:port` speaks, if it is clearly one of
/// ours. `None` when it cannot be reached or says something else.
pub async fn speaks(host: &str, port: u16) -> Option<EngineKind> {
    let addr = if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    };
    let mut stream = timeout(STEP, TcpStream::connect(addr)).await.ok()?.ok()?;
    let mut buf = [0u8; 16];
    match timeout(GREETING_WAIT, stream.read(&mut buf)).await {
        Ok(Ok(n)) if n > 0 => return is_mysql_greeting(&buf[..n]).then_some(EngineKind::MySql),
        Ok(_) => return None, // closed or failed without a word
        Err(_) => {}          // silent: perhaps PostgreSQL, which waits for us
    }
    timeout(STEP, stream.write_all(&SSL_REQUEST))
        .await
        .ok()?
        .ok()?;
    let n = timeout(STEP, stream.read(&mut buf)).await.ok()?.ok()?;
    (n == 1 && matches!(buf[0], b'S' | b'N')).then_some(EngineKind::Postgres)
}

/// A MySQL packet header (3-byte length, sequence 0) carrying protocol
/// version 10, or an error packet (0xff) such as "Host is blocked".
fn is_mysql_greeting(bytes: &[u8]) -> bool {
    bytes.len() >= 5 && bytes[3] == 0 && matches!(bytes[4], 0x0a | 0xff)
}

/// When the server at `spec`'s address speaks the other engine's protocol,
/// the sentence that says so and names the right scheme.
pub async fn mismatch_hint(spec: &ConnectionSpec) -> Option<String> {
    if spec.is_unix_socket() {
        return None;
    }
    let spoken = speaks(&spec.host, spec.port).await?;
    (spoken != spec.engine).then(|| hint(spec, spoken))
}

fn hint(spec: &ConnectionSpec, spoken: EngineKind) -> String {
    format!(
        "the server at {}:{} speaks the {} protocol, not {}; use a {}:// URL \
         (or DB_ENGINE={} with the DB_* variables)",
        spec.host,
        spec.port,
        spoken.display_name(),
        spec.engine.display_name(),
        spoken.scheme(),
        spoken.scheme()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn greeting_shapes() {
        // MariaDB 10.11's greeting starts like this.
        assert!(is_mysql_greeting(&[0x5b, 0, 0, 0, 0x0a, b'5', b'.']));
        assert!(is_mysql_greeting(&[0x17, 0, 0, 0, 0xff, 0x6a, 0x04]));
        assert!(!is_mysql_greeting(b"N"));
        assert!(!is_mysql_greeting(b"SSH-2.0-OpenSSH"));
        assert!(!is_mysql_greeting(b"HTTP/1.1 400"));
    }
}
