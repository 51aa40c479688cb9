//! The shared HTTP client and the mapping of transport-level outcomes (connection errors,
//! HTTP status codes, Retry-After) to [`ConnectError`]. Platform-specific error bodies are read
//! by each platform module; this module only knows HTTP.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::{Response, StatusCode};

use crate::ConnectError;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// A platform's answer larger than this is not one of the documented payloads.
const MAX_BODY: usize = 16 * 1024 * 1024;

/// reqwest over rustls with the ring provider and the operating system's trust store.
/// The TLS config is built here rather than installed process-wide, so nothing else in the
/// binary is affected by this crate's choice of crypto provider.
pub(crate) fn client() -> Result<reqwest::Client, String> {
    use rustls_platform_verifier::BuilderVerifierExt;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_platform_verifier()
        .map_err(|e| e.to_string())?
        .with_no_client_auth();
    tls.alpn_protocols = vec![b"http/1.1".to_vec()];
    reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(REQUEST_TIMEOUT)
        .user_agent(concat!("kefu-connect/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| e.to_string())
}

/// Maps a failure to send or receive to an error: all of these are worth retrying.
pub(crate) fn transport_error(what: &str, e: reqwest::Error) -> ConnectError {
    let why = if e.is_timeout() {
        "timed out".to_string()
    } else if e.is_connect() {
        format!("could not connect ({})", root_cause(&e))
    } else {
        root_cause(&e)
    };
    ConnectError::Transient(format!("{what}: {why}"))
}

fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}

/// A received response: status, headers we care about, and the body.
pub(crate) struct Received {
    pub status: StatusCode,
    pub retry_after: Option<Duration>,
    pub body: Vec<u8>,
}

impl Received {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// A short excerpt of the body for error messages.
    pub fn excerpt(&self) -> String {
        let t = self.text();
        let t = t.trim();
        let cut: String = t.chars().take(200).collect();
        if cut.len() < t.len() {
            format!("{cut}…")
        } else {
            cut
        }
    }
}

pub(crate) async fn receive(what: &str, resp: Response) -> Result<Received, ConnectError> {
    let status = resp.status();
    let retry_after = retry_after(resp.headers());
    let body = resp.bytes().await.map_err(|e| transport_error(what, e))?;
    if body.len() > MAX_BODY {
        return Err(ConnectError::Malformed(format!(
            "{what}: response of {} bytes is larger than any documented payload",
            body.len()
        )));
    }
    Ok(Received {
        status,
        retry_after,
        body: body.to_vec(),
    })
}

/// The machine's real time, for what a platform checks against its own clock: the signed
/// timestamp of a gateway call, the wait until a Retry-After date. This is not the desk's
/// "now" (kefu_core::Clock, which a test or the simulator may move): a platform rejects a
/// request stamped with a simulated time, so the protocol needs the wall clock itself.
#[expect(
    clippy::disallowed_methods,
    reason = "the platform compares these times with its own clock; the desk's Clock may be simulated"
)]
pub(crate) fn platform_now() -> chrono::DateTime<Utc> {
    Utc::now()
}

/// Retry-After as delta-seconds or as an HTTP date.
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let v = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = chrono::DateTime::parse_from_rfc2822(v).ok()?;
    let wait = at.with_timezone(&Utc) - platform_now();
    Some(wait.to_std().unwrap_or(Duration::ZERO))
}

/// The generic reading of an HTTP status, for when the body did not say anything more
/// specific: 401/403 → Auth, 429 → RateLimited, 5xx and 408 → Transient, other 4xx →
/// Rejected. `None` for 2xx.
pub(crate) fn status_error(what: &str, r: &Received, detail: &str) -> Option<ConnectError> {
    let s = r.status;
    if s.is_success() {
        return None;
    }
    let detail = if detail.is_empty() {
        r.excerpt()
    } else {
        detail.to_string()
    };
    Some(match s.as_u16() {
        401 | 403 => ConnectError::Auth(format!("{what}: HTTP {s}: {detail}")),
        429 => ConnectError::RateLimited {
            retry_after: r.retry_after,
        },
        408 | 500..=599 => ConnectError::Transient(format!("{what}: HTTP {s}: {detail}")),
        _ => ConnectError::Rejected(format!("{what}: HTTP {s}: {detail}")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, HeaderValue::from_static("17"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(17)));
        h.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(retry_after(&h), Some(Duration::ZERO));
        h.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&h), None);
    }

    #[test]
    fn client_builds() {
        client().unwrap();
    }
}
