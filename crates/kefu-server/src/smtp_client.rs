//! Handing replies to the site's SMTP relay, through lettre: a provider's submission port
//! (QQ Mail, 163, Gmail, Outlook) wants STARTTLS on 587 or implicit TLS on 465, and AUTH.
//! TLS is rustls on ring with the platform's trust store, plus a CA file the operator names
//! (`--smtp-relay-ca`, e.g. a company relay's own CA, or a test's). The message bytes are
//! kefu-mail's (its Message-ID is the outbox entry's); lettre adds only the envelope.
//!
//! The relay is written as
//! - `HOST:PORT` or `smtp://HOST:PORT`: plain SMTP, no TLS (a relay on the same machine);
//! - `smtp+starttls://[USER:PASSWORD@]HOST[:587]`: STARTTLS, required (never falls back to plain);
//! - `smtps://[USER:PASSWORD@]HOST[:465]`: TLS from the first byte.

use std::time::Duration;

use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use crate::mail_url::{ServerUrl, split_host_port};

/// One SMTP command's time limit.
const TIMEOUT: Duration = Duration::from_secs(30);
/// A whole hand-over's time limit.
const WHOLE: Duration = Duration::from_secs(120);

/// How the connection to the relay is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelayTls {
    /// Plain SMTP (a local relay).
    None,
    /// STARTTLS after the greeting; a relay that does not offer it is refused.
    StartTls,
    /// TLS from the first byte (SMTPS).
    Tls,
}

/// The relay as configured: where, how protected, as whom.
#[derive(Clone, PartialEq, Eq)]
pub struct RelayTarget {
    pub host: String,
    pub port: u16,
    pub tls: RelayTls,
    pub user: Option<String>,
    pub password: Option<String>,
    /// PEM certificates trusted besides the platform's roots.
    pub ca_pem: Option<Vec<u8>>,
}

impl std::fmt::Debug for RelayTarget {
    // By hand: the password must not reach a log line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RelayTarget")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

impl RelayTarget {
    /// Parses `--smtp-relay` (forms above). The error says what was expected.
    pub fn parse(spec: &str) -> Result<RelayTarget, String> {
        let spec = spec.trim();
        if !spec.contains("://") {
            // The original form: a plain relay at host:port.
            let (host, port) = split_host_port(spec)?;
            let port = port.ok_or_else(|| {
                format!("--smtp-relay {spec:?}: give HOST:PORT or a URL such as smtp+starttls://user:pass@smtp.example.com:587")
            })?;
            return Ok(RelayTarget {
                host,
                port,
                tls: RelayTls::None,
                user: None,
                password: None,
                ca_pem: None,
            });
        }
        let url = ServerUrl::parse(spec).map_err(|e| format!("--smtp-relay: {e}"))?;
        let (tls, default_port) = match url.scheme.as_str() {
            "smtp" => (RelayTls::None, 25),
            "smtp+starttls" | "submission" => (RelayTls::StartTls, 587),
            "smtps" => (RelayTls::Tls, 465),
            other => {
                return Err(format!(
                    "--smtp-relay: unknown scheme {other:?} (smtp://, smtp+starttls:// or smtps://)"
                ));
            }
        };
        Ok(RelayTarget {
            host: url.host,
            port: url.port.unwrap_or(default_port),
            tls,
            user: url.user,
            password: url.password,
            ca_pem: None,
        })
    }

    /// The lettre transport for this relay, greeting with `helo`.
    pub fn transport(&self, helo: &str) -> Result<AsyncSmtpTransport<Tokio1Executor>, String> {
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&self.host)
            .port(self.port)
            .hello_name(ClientId::Domain(helo.to_string()))
            .timeout(Some(TIMEOUT));
        if self.tls != RelayTls::None {
            let mut params = TlsParameters::builder(self.host.clone());
            if let Some(pem) = &self.ca_pem {
                let cert = Certificate::from_pem(pem)
                    .map_err(|e| format!("--smtp-relay-ca is not a PEM certificate: {e}"))?;
                params = params.add_root_certificate(cert);
            }
            let params = params
                .build_rustls()
                .map_err(|e| format!("TLS setup for the relay failed: {e}"))?;
            builder = builder.tls(match self.tls {
                RelayTls::StartTls => Tls::Required(params),
                _ => Tls::Wrapper(params),
            });
        }
        match (&self.user, &self.password) {
            (Some(user), Some(password)) => {
                builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
            }
            (Some(_), None) | (None, Some(_)) => {
                return Err("--smtp-relay: give both a user and a password, or neither".into());
            }
            (None, None) => {}
        }
        Ok(builder.build())
    }
}

/// Sends `message` (a complete RFC 5322 mail) from `from` to `to` through `transport`.
/// The error is what the relay (or the network) said, for the thread's event log.
pub async fn send(
    transport: &AsyncSmtpTransport<Tokio1Executor>,
    target: &RelayTarget,
    from: &str,
    to: &str,
    message: &[u8],
) -> Result<(), String> {
    let envelope = lettre::address::Envelope::new(
        Some(
            from.parse()
                .map_err(|e| format!("the sender {from:?} is not an address: {e}"))?,
        ),
        vec![
            to.parse()
                .map_err(|e| format!("the recipient {to:?} is not an address: {e}"))?,
        ],
    )
    .map_err(|e| e.to_string())?;
    // SMTP wants CRLF line ends; lettre does the dot-stuffing.
    let mut data = Vec::with_capacity(message.len() + 64);
    for (i, line) in message.split(|b| *b == b'\n').enumerate() {
        if i > 0 {
            data.extend_from_slice(b"\r\n");
        }
        data.extend_from_slice(line.strip_suffix(b"\r").unwrap_or(line));
    }
    let relay = format!("{}:{}", target.host, target.port);
    match tokio::time::timeout(WHOLE, transport.send_raw(&envelope, &data)).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(format!("SMTP relay {relay}: {e}")),
        Err(_) => Err(format!("SMTP relay {relay} timed out")),
    }
}

#[cfg(test)]
mod tests {
    use super::{RelayTarget, RelayTls};

    #[test]
    fn relay_forms() {
        let plain = RelayTarget::parse("127.0.0.1:2525").unwrap();
        assert_eq!(
            (plain.host.as_str(), plain.port, plain.tls),
            ("127.0.0.1", 2525, RelayTls::None)
        );
        let sub = RelayTarget::parse("smtp+starttls://shop%40163.com:secret@smtp.163.com").unwrap();
        assert_eq!((sub.port, sub.tls), (587, RelayTls::StartTls));
        assert_eq!(sub.user.as_deref(), Some("shop@163.com"));
        assert!(
            !format!("{sub:?}").contains("secret"),
            "no password in logs"
        );
        let tls = RelayTarget::parse("smtps://u:p@smtp.qq.com").unwrap();
        assert_eq!((tls.port, tls.tls), (465, RelayTls::Tls));
        assert!(RelayTarget::parse("smtp.qq.com").is_err());
        assert!(
            RelayTarget::parse("imap://x:1")
                .unwrap_err()
                .contains("scheme")
        );
    }
}
