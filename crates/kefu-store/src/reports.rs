//! What the supervisor's figures are computed from (issue 12): per-conversation facts for a
//! period, read by each backend as three plain row sets and assembled here, once, into
//! `kefu_kpi::ConversationFacts`. The figures themselves are `kefu_kpi`'s (one definition for
//! the reports and the oracle their tests compare with).

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use kefu_core::{ConversationStatus, event_kind};
use kefu_kpi::ConversationFacts;

/// How far before a period its history is read: an earlier complaint a complaint of the
/// period may repeat (resolved at most 30 days before it, opened before that).
pub const HISTORY_DAYS: i64 = 90;

/// Which conversations: the tenant's (or those of `shop_ids`) whose first message came in
/// `[from, to)`.
#[derive(Debug, Clone)]
pub struct KpiQuery {
    pub tenant_id: i64,
    pub shop_ids: Option<Vec<i64>>,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

impl KpiQuery {
    /// The same conversations and their history (see [`HISTORY_DAYS`]).
    pub fn with_history(&self) -> KpiQuery {
        KpiQuery {
            from: self.from - Duration::days(HISTORY_DAYS),
            ..self.clone()
        }
    }
}

/// One conversation as the backend reads it.
#[derive(Debug, Clone)]
pub struct KpiConversationRow {
    pub id: i64,
    pub shop_id: i64,
    pub customer: String,
    pub order: Option<String>,
    pub agent_id: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub complaint: bool,
    pub first_reply_at: Option<DateTime<Utc>>,
    /// The first-response clock (the platform's when there are several): due, and when met.
    pub first_response_due: Option<DateTime<Utc>>,
    pub first_response_met_at: Option<DateTime<Utc>>,
}

/// One event of those conversations that the figures read (status changes, reopenings,
/// ratings), with its JSON data.
#[derive(Debug, Clone)]
pub struct KpiEventRow {
    pub conversation_id: i64,
    pub at: DateTime<Utc>,
    pub kind: String,
    pub data: serde_json::Value,
}

/// What a backend reads for a [`KpiQuery`].
#[derive(Debug, Clone, Default)]
pub struct KpiRows {
    pub conversations: Vec<KpiConversationRow>,
    /// In time order.
    pub events: Vec<KpiEventRow>,
    /// `(conversation, rule)` of every breached clock.
    pub breaches: Vec<(i64, String)>,
    /// `(conversation, rule, met by its due time)` of every settled (met or breached)
    /// first-reply clock ([`FIRST_REPLY_CLOCKS`]), in the order they opened: a clock still
    /// running counts once it is settled, as the platforms count it.
    pub clocks: Vec<(i64, String, bool)>,
}

/// The clocks a platform's scorecard counts: the first reply, and the high-value first reply.
pub const FIRST_REPLY_CLOCKS: [kefu_core::ClockKind; 2] = [
    kefu_core::ClockKind::FirstResponse,
    kefu_core::ClockKind::HighValueResponse,
];

/// The event kinds [`KpiRows::events`] holds.
pub const KPI_EVENT_KINDS: [&str; 4] = [
    event_kind::STATUS_CHANGED,
    event_kind::CONVERSATION_REOPENED,
    event_kind::CSAT_RATED,
    event_kind::CALL_ANSWERED,
];

fn status(data: &serde_json::Value, key: &str) -> Option<ConversationStatus> {
    data[key].as_str().and_then(|s| s.parse().ok())
}

fn finished(s: Option<ConversationStatus>) -> bool {
    matches!(
        s,
        Some(ConversationStatus::Resolved | ConversationStatus::Closed)
    )
}

/// The facts of each conversation of `rows`, in the order of `rows.conversations`.
pub fn kpi_facts(rows: KpiRows) -> Vec<ConversationFacts> {
    let mut facts: Vec<ConversationFacts> = rows
        .conversations
        .into_iter()
        .map(|c| ConversationFacts {
            id: c.id,
            shop_id: c.shop_id,
            customer: c.customer,
            order: c.order,
            agent_id: c.agent_id,
            first_inbound: c.created_at,
            first_response_due: c.first_response_due,
            first_response_met_at: c.first_response_met_at,
            first_reply_at: c.first_reply_at,
            needed_answer: true,
            complaint: c.complaint,
            ..ConversationFacts::default()
        })
        .collect();
    let index: HashMap<i64, usize> = facts.iter().enumerate().map(|(i, f)| (f.id, i)).collect();
    for e in rows.events {
        let Some(f) = index.get(&e.conversation_id).map(|&i| &mut facts[i]) else {
            continue;
        };
        match e.kind.as_str() {
            event_kind::STATUS_CHANGED => {
                let (from, to) = (status(&e.data, "from"), status(&e.data, "to"));
                if to == Some(ConversationStatus::Resolved) {
                    f.resolved_at.push(e.at);
                } else if finished(from) && !finished(to) {
                    f.reopened_at.push(e.at);
                }
            }
            event_kind::CONVERSATION_REOPENED if finished(status(&e.data, "from")) => {
                f.reopened_at.push(e.at);
            }
            // Every call counts, beside the clocks (GEN-PHONE-3RINGS): answered in time or not.
            event_kind::CALL_ANSWERED => {
                if let Some(rule) = e.data["rule"].as_str() {
                    let met = e.data["met"].as_bool().unwrap_or(false);
                    f.clocks.push((rule.to_string(), met));
                }
            }
            event_kind::CSAT_RATED => {
                f.rating = e.data["score"]
                    .as_u64()
                    .and_then(|s| u8::try_from(s).ok())
                    .filter(|s| (1..=5).contains(s));
            }
            _ => {}
        }
    }
    for (conversation, rule) in rows.breaches {
        if let Some(&i) = index.get(&conversation) {
            facts[i].breaches.push(rule);
        }
    }
    for (conversation, rule, met) in rows.clocks {
        if let Some(&i) = index.get(&conversation)
            && !facts[i].clocks.iter().any(|(r, _)| *r == rule)
        {
            facts[i].clocks.push((rule, met));
        }
    }
    facts
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn t(h: i64) -> DateTime<Utc> {
        DateTime::<Utc>::UNIX_EPOCH + Duration::hours(h)
    }

    #[test]
    fn events_become_resolutions_reopenings_and_ratings() {
        let row = KpiConversationRow {
            id: 7,
            shop_id: 1,
            customer: "a".into(),
            order: None,
            agent_id: None,
            created_at: t(0),
            complaint: true,
            first_reply_at: None,
            first_response_due: None,
            first_response_met_at: None,
        };
        let ev = |h, kind: &str, data| KpiEventRow {
            conversation_id: 7,
            at: t(h),
            kind: kind.into(),
            data,
        };
        let rows = KpiRows {
            conversations: vec![row],
            events: vec![
                ev(
                    1,
                    event_kind::STATUS_CHANGED,
                    json!({"from": "open", "to": "resolved"}),
                ),
                ev(
                    2,
                    event_kind::CONVERSATION_REOPENED,
                    json!({"from": "resolved", "to": "open"}),
                ),
                ev(
                    3,
                    event_kind::CONVERSATION_REOPENED,
                    json!({"from": "pending_customer", "to": "open"}),
                ),
                ev(
                    4,
                    event_kind::STATUS_CHANGED,
                    json!({"from": "closed", "to": "escalated"}),
                ),
                ev(5, event_kind::CSAT_RATED, json!({"score": 4})),
            ],
            breaches: vec![(7, "TB-FRT-5M".into()), (8, "EBAY-FRT-24H".into())],
            clocks: vec![
                (7, "TB-FRT-5M".into(), false),
                (7, "TB-FRT-5M".into(), true),
                (7, "KPI-FRT-3H".into(), true),
            ],
        };
        let f = &kpi_facts(rows)[0];
        assert_eq!(f.resolved_at, vec![t(1)]);
        assert_eq!(f.reopened_at, vec![t(2), t(4)]);
        assert_eq!(f.rating, Some(4));
        assert_eq!(f.breaches, vec!["TB-FRT-5M".to_string()]);
        // The first clock of each rule counts.
        assert_eq!(
            f.clocks,
            vec![("TB-FRT-5M".into(), false), ("KPI-FRT-3H".into(), true)]
        );
        assert!(f.complaint && f.needed_answer);
    }
}
