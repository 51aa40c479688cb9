//! The polling state machine: pure, so driven with hand-set clocks.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use kefu_connect::{Backoff, ConnectError, Health};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 11, 8, 0, 0).unwrap()
}

fn transient() -> ConnectError {
    ConnectError::Transient("eBay GetMemberMessages: HTTP 503".into())
}

#[test]
fn a_new_shop_is_polled_at_once_then_every_minute() {
    let mut h = Health::new(t0());
    assert_eq!(h.state(), "ok");
    assert_eq!(h.next_attempt(), Some(t0()));
    assert!(h.is_due(t0()));
    h.on_success(t0());
    assert_eq!(h.next_attempt(), Some(t0() + TimeDelta::seconds(60)));
    assert!(!h.is_due(t0() + TimeDelta::seconds(59)));
    assert_eq!(h.last_success_at(), Some(t0()));
}

#[test]
fn backoff_doubles_from_30s_and_caps_at_an_hour() {
    let mut h = Health::new(t0());
    let mut now = t0();
    let mut waits = Vec::new();
    for _ in 0..10 {
        h.on_failure(&transient(), now);
        let next = h.next_attempt().unwrap();
        waits.push((next - now).num_seconds());
        now = next;
    }
    assert_eq!(waits, [30, 60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]);
    assert_eq!(h.state(), "backing_off");
    assert_eq!(h.consecutive_failures(), 10);
    assert_eq!(
        h.last_error(),
        Some("temporary failure: eBay GetMemberMessages: HTTP 503")
    );
    assert_eq!(h.last_error_kind(), Some("transient"));

    // One success resets everything.
    h.on_success(now);
    assert_eq!(h.state(), "ok");
    assert_eq!(h.consecutive_failures(), 0);
    assert_eq!(h.last_error(), None);
    assert_eq!(h.next_attempt(), Some(now + TimeDelta::seconds(60)));
    h.on_failure(&transient(), now);
    assert_eq!(h.next_attempt(), Some(now + TimeDelta::seconds(30)));
}

#[test]
fn retry_after_is_honoured_even_past_the_cap() {
    let mut h = Health::new(t0());
    // Shorter than our own back-off: we still wait our 30 s.
    h.on_failure(
        &ConnectError::RateLimited {
            retry_after: Some(Duration::from_secs(5)),
        },
        t0(),
    );
    assert_eq!(h.next_attempt(), Some(t0() + TimeDelta::seconds(30)));
    // Longer: we wait what the platform said.
    h.on_failure(
        &ConnectError::RateLimited {
            retry_after: Some(Duration::from_secs(600)),
        },
        t0(),
    );
    assert_eq!(h.next_attempt(), Some(t0() + TimeDelta::seconds(600)));
    // TOP bans can last hours; the cap is for our own guesses, not for the platform's word.
    h.on_failure(
        &ConnectError::RateLimited {
            retry_after: Some(Duration::from_secs(31_062)),
        },
        t0(),
    );
    assert_eq!(h.next_attempt(), Some(t0() + TimeDelta::seconds(31_062)));
    // Without a Retry-After, rate limiting backs off like any failure (4th failure: 240 s).
    h.on_failure(&ConnectError::RateLimited { retry_after: None }, t0());
    assert_eq!(h.next_attempt(), Some(t0() + TimeDelta::seconds(240)));
    assert_eq!(h.state(), "backing_off");
}

#[test]
fn auth_failure_stops_polling_until_credentials_change() {
    let mut h = Health::new(t0());
    h.on_failure(&ConnectError::Auth("eBay GetMemberMessages: error 931: Validation of the authentication token in API request failed.".into()), t0());
    assert_eq!(h.state(), "auth_failed");
    assert_eq!(h.next_attempt(), None);
    assert!(!h.is_due(t0() + TimeDelta::days(30)));
    assert!(h.last_error().unwrap().contains("931"));
    h.on_credentials_changed(t0() + TimeDelta::hours(2));
    assert_eq!(h.state(), "ok");
    assert_eq!(h.next_attempt(), Some(t0() + TimeDelta::hours(2)));
    assert_eq!(h.consecutive_failures(), 0);
}

#[test]
fn health_is_stored_as_json() {
    let mut h = Health::with_policy(
        t0(),
        Backoff {
            poll_interval_secs: 300,
            first_retry_secs: 10,
            max_retry_secs: 60,
        },
    );
    h.on_failure(&transient(), t0());
    h.on_failure(&transient(), t0());
    let json = serde_json::to_value(&h).unwrap();
    assert_eq!(json["state"], "backing_off");
    assert_eq!(json["consecutive_failures"], 2);
    let back: Health = serde_json::from_value(json).unwrap();
    assert_eq!(back, h);
    assert_eq!(back.next_attempt(), Some(t0() + TimeDelta::seconds(20)));
    assert_eq!(back.policy().poll_interval_secs, 300);
}
