//! Connector errors, sorted by what the caller should do next. The desk's [`crate::Health`]
//! reads the kind to decide between polling again soon, backing off, or stopping until the
//! seller reconnects the shop; the text is for the person who reads the shop's status.

use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConnectError {
    /// The platform refused the token or the app's keys (invalid, expired, revoked, wrong
    /// signature). Retrying will not help: the seller must reconnect the shop.
    #[error("authorization failed: {0}")]
    Auth(String),
    /// The platform asked us to slow down. `retry_after` is what it said, when it said it.
    #[error("rate limited by the platform{}", match .retry_after {
        Some(d) => format!(" (retry after {} s)", d.as_secs()),
        None => String::new(),
    })]
    RateLimited { retry_after: Option<Duration> },
    /// 5xx, timeouts, refused or dropped connections: try again later.
    #[error("temporary failure: {0}")]
    Transient(String),
    /// The platform refused this request for good (message too long, thread closed, ...).
    #[error("rejected by the platform: {0}")]
    Rejected(String),
    /// The platform answered, but not in its documented format.
    #[error("unexpected response: {0}")]
    Malformed(String),
}

impl ConnectError {
    /// Whether trying the same call again later can succeed without anyone changing anything.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            ConnectError::RateLimited { .. } | ConnectError::Transient(_)
        )
    }

    /// A short machine word for logs and the desk's status field.
    pub fn kind(&self) -> &'static str {
        match self {
            ConnectError::Auth(_) => "auth",
            ConnectError::RateLimited { .. } => "rate_limited",
            ConnectError::Transient(_) => "transient",
            ConnectError::Rejected(_) => "rejected",
            ConnectError::Malformed(_) => "malformed",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_read_well() {
        let e = ConnectError::RateLimited {
            retry_after: Some(Duration::from_secs(12)),
        };
        assert_eq!(
            e.to_string(),
            "rate limited by the platform (retry after 12 s)"
        );
        assert!(e.is_retryable());
        assert!(!ConnectError::Auth("x".into()).is_retryable());
        assert_eq!(ConnectError::Malformed("x".into()).kind(), "malformed");
    }
}
