//! The KPIs of a period, computed by brute force from per-conversation facts. This is the
//! definition: the store's rollups must give the same numbers (the oracle in their tests).
//!
//! A conversation counts in the period of its first inbound message, for every figure, so
//! that each figure's drill-down lists the same kind of thing: conversations.
//!
//! - **first response**: `count` conversations with a first-response clock, `met` those
//!   whose clock was met by its due time, `rate = met / count`; the median and p90 time from
//!   the first inbound message to the first reply, each rounded by [`reply_bucket`].
//! - **resolution rate** (KPI-RESOLUTION-85): of the conversations that needed an answer,
//!   the share resolved and not reopened within [`REOPEN_WINDOW_DAYS`] days of that
//!   resolution (a conversation reopened and resolved again counts by its last resolution).
//! - **CSAT** (KPI-CSAT-4.5, FEEDBACK-RATING): the number and mean of the 1–5 ratings.
//! - **repeat-complaint rate** (KPI-REPEAT-5): of the complaints, the share that repeat one:
//!   the same buyer of the same shop complained before about the same order (or, both
//!   without an order, about the shop), that earlier complaint was resolved, and this one
//!   came within [`REPEAT_WINDOW_DAYS`] days after that resolution.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::period::Period;
use crate::rollup::reply_bucket;

/// A resolution stands when the conversation is not reopened within this many days.
pub const REOPEN_WINDOW_DAYS: i64 = 7;
/// A complaint repeats one resolved at most this many days before it.
pub const REPEAT_WINDOW_DAYS: i64 = 30;

/// What the KPIs need to know about one conversation.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConversationFacts {
    pub id: i64,
    pub shop_id: i64,
    /// The buyer, as the shop knows them (their handle).
    pub customer: String,
    /// The order the conversation is about, if any.
    pub order: Option<String>,
    pub agent_id: Option<i64>,
    pub first_inbound: DateTime<Utc>,
    /// The first-response clock's due time, when the conversation had one.
    pub first_response_due: Option<DateTime<Utc>>,
    /// When the first-response clock was met (a substantive reply), if it was.
    pub first_response_met_at: Option<DateTime<Utc>>,
    /// The desk's first reply (an agent's or the bot's).
    pub first_reply_at: Option<DateTime<Utc>>,
    /// The buyer needed an answer (not a thank-you that closed itself, not spam).
    pub needed_answer: bool,
    /// Every time it was resolved, and reopened, in time order.
    pub resolved_at: Vec<DateTime<Utc>>,
    pub reopened_at: Vec<DateTime<Utc>>,
    /// The buyer's rating, 1 to 5.
    pub rating: Option<u8>,
    /// Classified as a complaint, or marked one by an agent.
    pub complaint: bool,
    /// The rule IDs of the clocks it breached.
    pub breaches: Vec<String>,
    /// Its first-reply clocks by rule (the first of each rule), and whether each was met by
    /// its due time: what the platforms' scorecards count (TB-FRT-5M, AE-PEAK-1H …).
    pub clocks: Vec<(String, bool)>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct FirstResponse {
    pub count: u64,
    pub met: u64,
    pub rate: Option<f64>,
    pub median_seconds: Option<i64>,
    pub p90_seconds: Option<i64>,
}

/// How many clocks of one rule a period had, and how many were met by their due time.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ClockShare {
    pub count: u64,
    pub met: u64,
    pub rate: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Csat {
    pub responses: u64,
    pub mean: Option<f64>,
}

/// The figures of one period (and one group, when grouped).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Kpis {
    pub conversations: u64,
    pub first_response: FirstResponse,
    /// Conversations that needed an answer, and of them those resolved for good.
    pub needed_answer: u64,
    pub resolved: u64,
    pub resolution_rate: Option<f64>,
    pub csat: Csat,
    pub complaints: u64,
    pub repeat_complaints: u64,
    pub repeat_complaint_rate: Option<f64>,
    /// Breached clocks by rule ID.
    pub breaches: BTreeMap<String, u64>,
    /// First-reply clocks by rule ID, met or not (the platforms' scorecards).
    pub clocks: BTreeMap<String, ClockShare>,
}

pub(crate) fn ratio(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// The value at quantile `q` (0..=1) of sorted `values`, by the nearest-rank method.
fn quantile(sorted: &[i64], q: f64) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (q * sorted.len() as f64).ceil().max(1.0) as usize;
    Some(sorted[rank.min(sorted.len()) - 1])
}

impl ConversationFacts {
    /// Resolved, and its last resolution not followed by a reopen within the window.
    pub fn resolved_for_good(&self) -> bool {
        let Some(&last) = self.resolved_at.last() else {
            return false;
        };
        !self
            .reopened_at
            .iter()
            .any(|&r| r > last && r <= last + Duration::days(REOPEN_WINDOW_DAYS))
    }

    /// The first-response clock was met by its due time.
    pub fn first_response_met(&self) -> bool {
        matches!((self.first_response_due, self.first_response_met_at), (Some(due), Some(met)) if met <= due)
    }

    /// Whether this conversation's complaint repeats an earlier one in `history`.
    pub fn repeats_a_complaint(&self, history: &[ConversationFacts]) -> bool {
        self.complaint
            && history.iter().any(|e| {
                e.id != self.id
                    && e.complaint
                    && e.shop_id == self.shop_id
                    && e.customer == self.customer
                    && e.order == self.order
                    && e.first_inbound < self.first_inbound
                    && e.resolved_at.iter().any(|&r| {
                        r <= self.first_inbound
                            && self.first_inbound <= r + Duration::days(REPEAT_WINDOW_DAYS)
                    })
            })
    }
}

/// The KPIs of the conversations of `facts` that fall in `period`; `history` is every
/// conversation that may hold an earlier complaint (usually `facts` itself).
pub fn kpis(facts: &[ConversationFacts], history: &[ConversationFacts], period: &Period) -> Kpis {
    let mut k = Kpis::default();
    let mut reply_seconds = Vec::new();
    let mut rating_sum = 0u64;
    for c in facts.iter().filter(|c| period.contains(c.first_inbound)) {
        k.conversations += 1;
        if c.first_response_due.is_some() {
            k.first_response.count += 1;
            k.first_response.met += u64::from(c.first_response_met());
        }
        if let Some(at) = c.first_reply_at {
            reply_seconds.push(reply_bucket((at - c.first_inbound).num_seconds()));
        }
        if c.needed_answer {
            k.needed_answer += 1;
            k.resolved += u64::from(c.resolved_for_good());
        }
        if let Some(r) = c.rating {
            k.csat.responses += 1;
            rating_sum += u64::from(r);
        }
        if c.complaint {
            k.complaints += 1;
            k.repeat_complaints += u64::from(c.repeats_a_complaint(history));
        }
        for rule in &c.breaches {
            *k.breaches.entry(rule.clone()).or_default() += 1;
        }
        for (rule, met) in &c.clocks {
            let share = k.clocks.entry(rule.clone()).or_default();
            share.count += 1;
            share.met += u64::from(*met);
        }
    }
    for share in k.clocks.values_mut() {
        share.rate = ratio(share.met, share.count);
    }
    reply_seconds.sort_unstable();
    k.first_response.rate = ratio(k.first_response.met, k.first_response.count);
    k.first_response.median_seconds = quantile(&reply_seconds, 0.5);
    k.first_response.p90_seconds = quantile(&reply_seconds, 0.9);
    k.resolution_rate = ratio(k.resolved, k.needed_answer);
    k.csat.mean = (k.csat.responses > 0).then(|| rating_sum as f64 / k.csat.responses as f64);
    k.repeat_complaint_rate = ratio(k.repeat_complaints, k.complaints);
    k
}

/// The KPIs of `period` for each group `key` puts a conversation in (agent, shop, day …).
pub fn grouped<K: Ord>(
    facts: &[ConversationFacts],
    period: &Period,
    key: impl Fn(&ConversationFacts) -> K,
) -> BTreeMap<K, Kpis> {
    let mut groups: BTreeMap<K, Vec<ConversationFacts>> = BTreeMap::new();
    for c in facts.iter().filter(|c| period.contains(c.first_inbound)) {
        groups.entry(key(c)).or_default().push(c.clone());
    }
    groups
        .into_iter()
        .map(|(k, members)| (k, kpis(&members, facts, period)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(h: i64) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-02T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
            + Duration::hours(h)
    }

    fn conv(id: i64, customer: &str, at: i64) -> ConversationFacts {
        ConversationFacts {
            id,
            shop_id: 1,
            customer: customer.into(),
            first_inbound: t(at),
            needed_answer: true,
            ..ConversationFacts::default()
        }
    }

    fn week() -> Period {
        Period::new(t(0), t(24 * 7)).unwrap()
    }

    #[test]
    fn first_response_counts_clocks_and_reply_times() {
        let mut a = conv(1, "a", 1);
        a.first_response_due = Some(t(2));
        a.first_response_met_at = Some(t(1) + Duration::minutes(30));
        a.first_reply_at = a.first_response_met_at;
        let mut b = conv(2, "b", 3);
        b.first_response_due = Some(t(4));
        b.first_response_met_at = Some(t(5)); // met late: not met
        b.first_reply_at = Some(t(5));
        b.breaches = vec!["TB-FRT-5M".into()];
        let c = conv(3, "c", 24 * 8); // next week
        let all = [a, b, c];
        let k = kpis(&all, &all, &week());
        assert_eq!(k.conversations, 2);
        assert_eq!((k.first_response.count, k.first_response.met), (2, 1));
        assert_eq!(k.first_response.rate, Some(0.5));
        assert_eq!(k.first_response.median_seconds, Some(1800));
        assert_eq!(k.first_response.p90_seconds, Some(7200));
        assert_eq!(k.breaches["TB-FRT-5M"], 1);
    }

    #[test]
    fn a_resolution_reopened_within_seven_days_does_not_count() {
        let mut kept = conv(1, "a", 1);
        kept.resolved_at = vec![t(2)];
        let mut reopened = conv(2, "b", 1);
        reopened.resolved_at = vec![t(2)];
        reopened.reopened_at = vec![t(2 + 24 * 6)];
        let mut late_reopen = conv(3, "c", 1);
        late_reopen.resolved_at = vec![t(2)];
        late_reopen.reopened_at = vec![t(2 + 24 * 8)];
        let mut thanks = conv(4, "d", 1);
        thanks.needed_answer = false;
        let all = [kept, reopened, late_reopen, thanks];
        let k = kpis(&all, &all, &week());
        assert_eq!((k.resolved, k.needed_answer), (2, 3));
        assert_eq!(k.resolution_rate, Some(2.0 / 3.0));
    }

    #[test]
    fn a_complaint_repeats_within_thirty_days_of_a_resolved_one() {
        let mut first = conv(1, "a", 1);
        first.complaint = true;
        first.order = Some("O1".into());
        first.resolved_at = vec![t(2)];
        let mut again = conv(2, "a", 30);
        again.complaint = true;
        again.order = Some("O1".into());
        let mut other_order = conv(3, "a", 31);
        other_order.complaint = true;
        other_order.order = Some("O2".into());
        let mut other_buyer = conv(4, "b", 32);
        other_buyer.complaint = true;
        other_buyer.order = Some("O1".into());
        let all = [first, again, other_order, other_buyer];
        let k = kpis(&all, &all, &week());
        assert_eq!((k.repeat_complaints, k.complaints), (1, 4));
        assert_eq!(k.repeat_complaint_rate, Some(0.25));
    }

    #[test]
    fn ratings_and_groups() {
        let mut a = conv(1, "a", 1);
        a.rating = Some(5);
        a.agent_id = Some(7);
        let mut b = conv(2, "b", 2);
        b.rating = Some(4);
        b.agent_id = Some(8);
        let c = conv(3, "c", 3);
        let all = [a, b, c];
        let k = kpis(&all, &all, &week());
        assert_eq!(k.csat.responses, 2);
        assert_eq!(k.csat.mean, Some(4.5));
        let by_agent = grouped(&all, &week(), |c| c.agent_id);
        assert_eq!(by_agent.len(), 3);
        assert_eq!(by_agent[&Some(7)].csat.mean, Some(5.0));
        assert_eq!(by_agent[&None].csat.responses, 0);
        assert_eq!(kpis(&[], &[], &week()), Kpis::default());
    }
}
