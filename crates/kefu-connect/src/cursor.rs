//! High-water marks behind the opaque pull cursor.
//!
//! Platforms filter by time with inclusive bounds and a time resolution (eBay: milliseconds,
//! AliExpress: milliseconds) at which two messages can share a timestamp. Asking "since the
//! newest time seen" would repeat the newest items; asking "after it" could lose one written
//! in the same millisecond. So a mark keeps the newest time *and* the ids seen at exactly that
//! time: the next pull asks from that time inclusive and drops those ids.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Mark {
    pub at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ids: Vec<String>,
}

impl Mark {
    pub fn new(at: DateTime<Utc>) -> Mark {
        Mark {
            at,
            ids: Vec::new(),
        }
    }

    /// Whether an item with this id and time was not delivered before.
    pub fn is_new(&self, id: &str, at: DateTime<Utc>) -> bool {
        at > self.at || (at == self.at && !self.ids.iter().any(|seen| seen == id))
    }

    /// Moves the mark forward over a delivered item.
    pub fn advance(&mut self, id: &str, at: DateTime<Utc>) {
        if at > self.at {
            self.at = at;
            self.ids.clear();
        }
        if at == self.at && !self.ids.iter().any(|seen| seen == id) {
            self.ids.push(id.to_string());
        }
    }
}

/// Parses a stored cursor of type `T`; a cursor that does not parse (another version, or
/// hand-edited) is a caller bug, reported as such rather than silently restarting.
pub(crate) fn decode<T: for<'de> Deserialize<'de>>(
    cursor: Option<&str>,
) -> Result<Option<T>, crate::ConnectError> {
    match cursor {
        None => Ok(None),
        Some(s) if s.trim().is_empty() => Ok(None),
        Some(s) => serde_json::from_str(s).map(Some).map_err(|e| {
            crate::ConnectError::Rejected(format!(
                "the stored pull cursor is not one this connector wrote ({e}); clear it to start over"
            ))
        }),
    }
}

pub(crate) fn encode<T: Serialize>(c: &T) -> String {
    serde_json::to_string(c).expect("cursor serializes to JSON")
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn mark_drops_only_what_was_seen_at_the_boundary() {
        let t = Utc.with_ymd_and_hms(2025, 3, 10, 8, 0, 0).unwrap();
        let mut m = Mark::new(t);
        m.advance("a", t);
        assert!(!m.is_new("a", t));
        assert!(m.is_new("b", t));
        assert!(!m.is_new("c", t - chrono::TimeDelta::seconds(1)));
        m.advance("d", t + chrono::TimeDelta::milliseconds(1));
        assert_eq!(m.ids, vec!["d".to_string()]);
        assert!(m.is_new("a", t + chrono::TimeDelta::milliseconds(1)));
    }
}
