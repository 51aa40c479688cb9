//! Entitlement windows: is a buyer's claim still within its period, and until when?
//!
//! A pack's entitlement rule says from which event a window runs (receipt of the goods,
//! order close, payment) and for how many days (TB-RETURN-7D: 7 days from receipt;
//! TB-COURIER-PROMISE and TB-ARRIVAL-PROMISE: 15 days from order close; EBAY-RETURN-14D).
//!
//! Counting: with `next_day` (the default of the shipped packs) the day of the event does
//! not count and the window ends at 24:00 shop time on the last day. That is how Chinese law
//! counts periods in days (民法典 art. 201; the 7-day no-reason return counts from the day
//! after signing), and it never ends a window earlier than `exact` (event + N × 24 h) would,
//! so a seller using it does not refuse a claim the platform would accept.
//!
//! This module does NOT judge whether a claim is justified, only whether it is in time.

use chrono::{DateTime, Days, FixedOffset, Utc};
use serde::{Deserialize, Serialize};

use crate::calendar::local_instant;
use crate::deadline::rfc3339_offset;
use crate::pack::{EntitlementRule, Pack};

/// The event an entitlement window runs from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StartEvent {
    /// The buyer received (signed for) the goods.
    Receipt,
    /// The order was closed (completed or cancelled).
    OrderClose,
    /// The buyer paid.
    Payment,
}

/// How the days of a window are counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Counting {
    /// Whole local days from the day after the event, ending at 24:00 of the last day.
    NextDay,
    /// Exactly `days` × 24 h from the event.
    Exact,
}

/// Whether a claim is still in time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EntitlementStatus {
    pub rule: String,
    pub from: StartEvent,
    #[serde(serialize_with = "rfc3339_offset")]
    pub start: DateTime<FixedOffset>,
    /// The window is open before this instant (exclusive).
    #[serde(serialize_with = "rfc3339_offset")]
    pub until: DateTime<FixedOffset>,
    /// `start <= now < until`.
    pub open: bool,
    pub explanation: String,
}

impl Pack {
    /// The entitlement rule with this ID, if the pack (as overridden) has it.
    pub fn entitlement_rule(&self, rule_id: &str) -> Option<&EntitlementRule> {
        self.entitlements.iter().find(|e| e.rule == rule_id)
    }

    /// Whether a claim under `rule_id` made at `now` is within its window, which runs from
    /// `start` (the rule's start event). `None` if the pack has no such entitlement, or its
    /// period is the shop's to set and the shop has not set it.
    pub fn entitlement_window(
        &self,
        rule_id: &str,
        start: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Option<EntitlementStatus> {
        let rule = self.entitlement_rule(rule_id)?;
        let days = rule.days?;
        let tz = self.timezone;
        let until = match rule.counting {
            Counting::Exact => start + chrono::Duration::days(i64::from(days)),
            Counting::NextDay => {
                let day = start.with_timezone(&tz).date_naive();
                // Ends at 24:00 of day + N, i.e. 00:00 of day + N + 1.
                let end_day = day.checked_add_days(Days::new(u64::from(days) + 1))?;
                local_instant(tz, end_day, 0)?
            }
        };
        let open = start <= now && now < until;
        let local = |t: DateTime<Utc>| t.with_timezone(&tz).fixed_offset();
        let counting = match rule.counting {
            Counting::NextDay => "counted from the next day, ending at 24:00 shop time",
            Counting::Exact => "counted as exact 24-hour days",
        };
        let state = if now < start {
            "not started yet".to_string()
        } else if open {
            format!("open until {}", local(until).format("%Y-%m-%d %H:%M %:z"))
        } else {
            format!("closed since {}", local(until).format("%Y-%m-%d %H:%M %:z"))
        };
        Some(EntitlementStatus {
            rule: rule.rule.clone(),
            from: rule.from,
            start: local(start),
            until: local(until),
            open,
            explanation: format!("{days} days {counting}: {state} ({})", rule.rule),
        })
    }
}
