//! Checks of a use case's plain inputs, the same whichever edge they came from.

use chrono::{DateTime, Utc};

use super::{DeskError, DeskResult};

/// Longest message body accepted, in characters.
pub const MAX_MESSAGE_CHARS: usize = 20_000;

/// Parses an RFC 3339 time from an API body with a message that says what was expected.
pub fn parse_time(field: &str, value: &str) -> DeskResult<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(value.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| {
            DeskError::invalid(format!(
                "{field} {value:?} is not an RFC 3339 time such as 2026-11-11T22:58:00+08:00 ({e})"
            ))
        })
}

/// How far before the server's clock an API client's `received_at` may lie: a message older
/// than this is history, not something to start reply clocks on (issue 10, item 4c).
pub const RECEIVED_DAYS_BACK: i64 = 30;
/// How far ahead: a little clock skew between the sender and us.
pub const RECEIVED_MINUTES_AHEAD: i64 = 5;
/// `received_at` from an API body: refused as invalid outside [`RECEIVED_DAYS_BACK`] days back to
/// [`RECEIVED_MINUTES_AHEAD`] minutes ahead of now, saying so. A year 9999 or 0001 would
/// otherwise move clocks and the KPIs computed from them.
pub fn check_received_at(now: DateTime<Utc>, t: DateTime<Utc>) -> DeskResult<()> {
    let earliest = now - chrono::Duration::days(RECEIVED_DAYS_BACK);
    let latest = now + chrono::Duration::minutes(RECEIVED_MINUTES_AHEAD);
    if t < earliest || t > latest {
        return Err(DeskError::invalid(format!(
            "received_at {} is outside the accepted window: from {RECEIVED_DAYS_BACK} days before to {RECEIVED_MINUTES_AHEAD} minutes after the server's time ({} to {})",
            t.to_rfc3339(),
            earliest.to_rfc3339(),
            latest.to_rfc3339()
        )));
    }
    Ok(())
}

/// Checks a text field from an API body: not blank, not longer than `max` characters.
pub fn non_empty(field: &str, value: &str, max: usize) -> DeskResult<()> {
    if value.trim().is_empty() {
        return Err(DeskError::invalid(format!("{field} must not be empty")));
    }
    if value.chars().count() > max {
        return Err(DeskError::invalid(format!(
            "{field} is longer than {max} characters"
        )));
    }
    Ok(())
}
