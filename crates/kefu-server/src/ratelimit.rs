//! Per-key rate limits for the public endpoints (the chat widget): a visitor or an IP address
//! may send `burst` requests at once and then one every `interval`.
//!
//! This is the generic cell rate algorithm: one timestamp per key (the "theoretical arrival
//! time"), no background refill. It reads time from the desk's `Clock`, so tests drive it with
//! a manual clock instead of sleeping, which is why it is written here rather than taken from
//! a crate that reads the system clock itself.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};

/// Keys kept before stale ones are swept, so a flood of one-off IPs cannot grow it forever.
const SWEEP_AT: usize = 100_000;

pub struct RateLimiter {
    interval: Duration,
    burst: u32,
    cells: Mutex<HashMap<String, DateTime<Utc>>>,
}

impl RateLimiter {
    /// `per_minute` requests a minute on average, `burst` of them at once.
    pub fn new(per_minute: u32, burst: u32) -> RateLimiter {
        RateLimiter {
            interval: Duration::milliseconds(60_000 / i64::from(per_minute.max(1))),
            burst: burst.max(1),
            cells: Mutex::new(HashMap::new()),
        }
    }

    /// `Ok` when `key` may go ahead at `now` (and counts it), else how long to wait.
    pub fn check(&self, key: &str, now: DateTime<Utc>) -> Result<(), Duration> {
        let window = self.interval * (self.burst as i32);
        let mut cells = self.cells.lock().unwrap_or_else(|e| e.into_inner());
        if cells.len() >= SWEEP_AT {
            cells.retain(|_, tat| *tat > now);
        }
        let tat = cells.get(key).copied().unwrap_or(now).max(now);
        let next = tat + self.interval;
        // Allowed while the backlog after this request stays within the burst window.
        if next - now > window {
            return Err(next - window - now);
        }
        cells.insert(key.to_string(), next);
        Ok(())
    }

    /// As [`check`](Self::check) without counting: whether `key` would go ahead now. For a
    /// limit on something known only after the request is done (a new conversation), checked
    /// before and counted after.
    pub fn peek(&self, key: &str, now: DateTime<Utc>) -> Result<(), Duration> {
        let window = self.interval * (self.burst as i32);
        let cells = self.cells.lock().unwrap_or_else(|e| e.into_inner());
        let tat = cells.get(key).copied().unwrap_or(now).max(now);
        let next = tat + self.interval;
        if next - now > window {
            return Err(next - window - now);
        }
        Ok(())
    }
}

/// Keys seen before (visitors who already have a conversation), forgotten all at once when
/// there are too many: forgetting only makes a visitor meet a limit they would have passed.
#[derive(Default)]
pub struct SeenSet {
    keys: Mutex<HashSet<String>>,
}

impl SeenSet {
    pub fn contains(&self, key: &str) -> bool {
        self.keys
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains(key)
    }

    pub fn insert(&self, key: &str) {
        let mut keys = self.keys.lock().unwrap_or_else(|e| e.into_inner());
        if keys.len() >= SWEEP_AT {
            keys.clear();
        }
        keys.insert(key.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + secs, 0).unwrap()
    }

    #[test]
    fn a_burst_passes_then_the_rate_holds() {
        let limiter = RateLimiter::new(6, 3); // one every 10 s, 3 at once
        for _ in 0..3 {
            assert!(limiter.check("v", t(0)).is_ok());
        }
        let wait = limiter.check("v", t(0)).unwrap_err();
        assert_eq!(wait, Duration::seconds(10));
        assert!(limiter.check("v", t(5)).is_err(), "not yet");
        assert!(limiter.check("v", t(10)).is_ok(), "one more after 10 s");
        assert!(limiter.check("v", t(10)).is_err());
        // After a long pause the whole burst is available again, no more.
        for _ in 0..3 {
            assert!(limiter.check("v", t(1000)).is_ok());
        }
        assert!(limiter.check("v", t(1000)).is_err());
    }

    #[test]
    fn peeking_does_not_count() {
        let limiter = RateLimiter::new(60, 2);
        for _ in 0..5 {
            assert!(limiter.peek("k", t(0)).is_ok());
        }
        assert!(limiter.check("k", t(0)).is_ok());
        assert!(limiter.check("k", t(0)).is_ok());
        assert_eq!(limiter.peek("k", t(0)), Err(Duration::seconds(1)));
    }

    #[test]
    fn keys_are_independent() {
        let limiter = RateLimiter::new(60, 1);
        assert!(limiter.check("a", t(0)).is_ok());
        assert!(limiter.check("a", t(0)).is_err());
        assert!(limiter.check("b", t(0)).is_ok());
    }
}
