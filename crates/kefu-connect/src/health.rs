//! The polling state machine for one shop's connector, kept pure (the caller passes `now`) so
//! the desk can store it as JSON, test it without clocks, and share it between processes.
//!
//! - After a success the next poll is one poll interval away (60 s by default).
//! - After a failure the wait doubles from 30 s up to a 1 h cap. When the platform said how
//!   long to wait (HTTP Retry-After, TOP's "This ban will last for N more seconds"), we never
//!   come back sooner than that, even past the cap: hammering a platform that banned us only
//!   lengthens the ban.
//! - An authorization failure stops polling ("auth_failed", no next attempt) until
//!   [`Health::on_credentials_changed`]: a bad token does not fix itself.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use crate::ConnectError;

/// The longest Retry-After we take at its word; anything longer is treated as this (a day),
/// so a garbled header cannot park a shop for years.
const MAX_HONOURED_RETRY_AFTER: Duration = Duration::from_secs(24 * 3600);

/// Timing policy. Stored with the state so a shop's policy survives restarts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Backoff {
    pub poll_interval_secs: u64,
    pub first_retry_secs: u64,
    pub max_retry_secs: u64,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            poll_interval_secs: 60,
            first_retry_secs: 30,
            max_retry_secs: 3600,
        }
    }
}

impl Backoff {
    /// The wait after `failures` consecutive failures (1 = the first failure).
    pub fn retry_delay(&self, failures: u32) -> Duration {
        let doublings = failures.saturating_sub(1).min(32);
        let secs = self
            .first_retry_secs
            .saturating_mul(1u64 << doublings)
            .min(self.max_retry_secs);
        Duration::from_secs(secs)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum State {
    Ok,
    BackingOff,
    AuthFailed,
}

/// A shop connector's health. Serialize it with the shop; call [`Health::next_attempt`] to
/// know when to poll.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    state: State,
    consecutive_failures: u32,
    last_error: Option<String>,
    /// `kind()` of the last error (`auth`, `rate_limited`, ...).
    last_error_kind: Option<String>,
    last_success_at: Option<DateTime<Utc>>,
    last_failure_at: Option<DateTime<Utc>>,
    next_attempt_at: Option<DateTime<Utc>>,
    #[serde(default)]
    policy: Backoff,
}

impl Health {
    /// A new shop: poll right away.
    pub fn new(now: DateTime<Utc>) -> Health {
        Health::with_policy(now, Backoff::default())
    }

    pub fn with_policy(now: DateTime<Utc>, policy: Backoff) -> Health {
        Health {
            state: State::Ok,
            consecutive_failures: 0,
            last_error: None,
            last_error_kind: None,
            last_success_at: None,
            last_failure_at: None,
            next_attempt_at: Some(now),
            policy,
        }
    }

    pub fn on_success(&mut self, now: DateTime<Utc>) {
        self.state = State::Ok;
        self.consecutive_failures = 0;
        self.last_error = None;
        self.last_error_kind = None;
        self.last_success_at = Some(now);
        self.next_attempt_at = Some(later(
            now,
            Duration::from_secs(self.policy.poll_interval_secs),
        ));
    }

    pub fn on_failure(&mut self, err: &ConnectError, now: DateTime<Utc>) {
        self.consecutive_failures = self.consecutive_failures.saturating_add(1);
        self.last_error = Some(err.to_string());
        self.last_error_kind = Some(err.kind().to_string());
        self.last_failure_at = Some(now);
        if let ConnectError::Auth(_) = err {
            self.state = State::AuthFailed;
            self.next_attempt_at = None;
            return;
        }
        let mut wait = self.policy.retry_delay(self.consecutive_failures);
        if let ConnectError::RateLimited {
            retry_after: Some(asked),
        } = err
        {
            wait = wait.max((*asked).min(MAX_HONOURED_RETRY_AFTER));
        }
        self.state = State::BackingOff;
        self.next_attempt_at = Some(later(now, wait));
    }

    /// The seller saved new credentials: try again now, whatever happened before.
    pub fn on_credentials_changed(&mut self, now: DateTime<Utc>) {
        self.state = State::Ok;
        self.consecutive_failures = 0;
        self.next_attempt_at = Some(now);
    }

    /// When to poll next; `None` while authorization is broken.
    pub fn next_attempt(&self) -> Option<DateTime<Utc>> {
        self.next_attempt_at
    }

    /// Whether a poll is due at `now`.
    pub fn is_due(&self, now: DateTime<Utc>) -> bool {
        self.next_attempt_at.is_some_and(|t| t <= now)
    }

    /// "ok", "backing_off" or "auth_failed".
    pub fn state(&self) -> &str {
        match self.state {
            State::Ok => "ok",
            State::BackingOff => "backing_off",
            State::AuthFailed => "auth_failed",
        }
    }

    pub fn consecutive_failures(&self) -> u32 {
        self.consecutive_failures
    }

    pub fn last_error(&self) -> Option<&str> {
        self.last_error.as_deref()
    }

    pub fn last_error_kind(&self) -> Option<&str> {
        self.last_error_kind.as_deref()
    }

    pub fn last_success_at(&self) -> Option<DateTime<Utc>> {
        self.last_success_at
    }

    pub fn policy(&self) -> Backoff {
        self.policy
    }
}

/// `now + d`, saturating instead of panicking on absurd policies.
fn later(now: DateTime<Utc>, d: Duration) -> DateTime<Utc> {
    TimeDelta::from_std(d)
        .ok()
        .and_then(|d| now.checked_add_signed(d))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}
