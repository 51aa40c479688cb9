//! What the store's rollups hold, and how they add up: each conversation's [`Contribution`]
//! to the figures, and [`Totals`] — sums of contributions that merge, subtract and become
//! [`Kpis`]. The store keeps one contribution per conversation and one `Totals` per shop,
//! shop-local day and agent; when a conversation's facts change it subtracts the old
//! contribution from its cell and adds the new one. A report then merges a period's cells
//! instead of reading every conversation, and must equal [`crate::kpis`] computed by brute
//! force (the property test in the store's conformance suite).
//!
//! Reply times are kept as a histogram of [`reply_bucket`]s, so medians and p90s merge
//! exactly across cells; the definition ([`crate::kpis`]) rounds the same way.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::figures::{ClockShare, ConversationFacts, Csat, FirstResponse, Kpis, ratio};

/// A reply time rounded down to the precision a supervisor reads it at: to the second under
/// two minutes, 5 s under ten minutes, 30 s under an hour, 5 min under a day, then the hour
/// (at most about 8 % off, so that every day's histogram stays small).
pub fn reply_bucket(seconds: i64) -> i64 {
    let s = seconds.max(0);
    let step = match s {
        0..120 => 1,
        120..600 => 5,
        600..3_600 => 30,
        3_600..86_400 => 300,
        _ => 3_600,
    };
    s - s % step
}

/// What one conversation adds to the figures of the period of its first inbound message.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contribution {
    /// It had a first-response clock, and met it by its due time.
    #[serde(default, skip_serializing_if = "is_false")]
    pub first_response_clock: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub first_response_met: bool,
    /// The [`reply_bucket`] of the time to the desk's first reply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_bucket: Option<i64>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub needed_answer: bool,
    /// Resolved for good (see [`ConversationFacts::resolved_for_good`]).
    #[serde(default, skip_serializing_if = "is_false")]
    pub resolved: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rating: Option<u8>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub complaint: bool,
    /// A complaint repeating an earlier one of the same buyer.
    #[serde(default, skip_serializing_if = "is_false")]
    pub repeat: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub breaches: Vec<String>,
    /// First-reply clocks by rule, and whether each was met by its due time.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub clocks: Vec<(String, bool)>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl Contribution {
    /// The contribution of `c`; `history` holds the conversations an earlier complaint of
    /// the same buyer may be in (at least that buyer's, in that shop).
    pub fn of(c: &ConversationFacts, history: &[ConversationFacts]) -> Contribution {
        Contribution {
            first_response_clock: c.first_response_due.is_some(),
            first_response_met: c.first_response_met(),
            reply_bucket: c
                .first_reply_at
                .map(|at| reply_bucket((at - c.first_inbound).num_seconds())),
            needed_answer: c.needed_answer,
            resolved: c.needed_answer && c.resolved_for_good(),
            rating: c.rating,
            complaint: c.complaint,
            repeat: c.repeats_a_complaint(history),
            breaches: c.breaches.clone(),
            clocks: c.clocks.clone(),
        }
    }

    /// Whether this conversation is behind `figure` of a report (its drill-down).
    pub fn behind(&self, figure: Figure) -> bool {
        match figure {
            Figure::Conversations => true,
            Figure::FirstResponseMissed => self.first_response_clock && !self.first_response_met,
            Figure::FirstResponseMet => self.first_response_met,
            Figure::Unresolved => self.needed_answer && !self.resolved,
            Figure::Resolved => self.resolved,
            Figure::Rated => self.rating.is_some(),
            Figure::LowRated => self.rating.is_some_and(|r| r <= 3),
            Figure::Complaints => self.complaint,
            Figure::RepeatComplaints => self.repeat,
            Figure::Breached => !self.breaches.is_empty(),
        }
    }
}

/// The figures a report's drill-down lists conversations for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Figure {
    Conversations,
    FirstResponseMissed,
    FirstResponseMet,
    Unresolved,
    Resolved,
    Rated,
    LowRated,
    Complaints,
    RepeatComplaints,
    Breached,
}

impl Figure {
    pub const ALL: [Figure; 10] = [
        Figure::Conversations,
        Figure::FirstResponseMissed,
        Figure::FirstResponseMet,
        Figure::Unresolved,
        Figure::Resolved,
        Figure::Rated,
        Figure::LowRated,
        Figure::Complaints,
        Figure::RepeatComplaints,
        Figure::Breached,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Figure::Conversations => "conversations",
            Figure::FirstResponseMissed => "first_response_missed",
            Figure::FirstResponseMet => "first_response_met",
            Figure::Unresolved => "unresolved",
            Figure::Resolved => "resolved",
            Figure::Rated => "rated",
            Figure::LowRated => "low_rated",
            Figure::Complaints => "complaints",
            Figure::RepeatComplaints => "repeat_complaints",
            Figure::Breached => "breached",
        }
    }
}

impl std::str::FromStr for Figure {
    type Err = String;

    fn from_str(s: &str) -> Result<Figure, String> {
        Figure::ALL
            .into_iter()
            .find(|f| f.as_str() == s)
            .ok_or_else(|| {
                let names: Vec<_> = Figure::ALL.iter().map(|f| f.as_str()).collect();
                format!("figure {s:?} is not one of {}", names.join(", "))
            })
    }
}

/// Sums of contributions: a rollup cell, or a whole report before it becomes [`Kpis`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    pub conversations: i64,
    pub first_response_clocks: i64,
    pub first_response_met: i64,
    pub needed_answer: i64,
    pub resolved: i64,
    pub ratings: i64,
    pub rating_sum: i64,
    pub complaints: i64,
    pub repeats: i64,
    /// Breached clocks by rule ID.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub breaches: BTreeMap<String, i64>,
    /// How many first replies fell in each [`reply_bucket`].
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub reply: BTreeMap<i64, i64>,
    /// First-reply clocks by rule: `[count, met]`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub clocks: BTreeMap<String, [i64; 2]>,
}

fn bump_clock(map: &mut BTreeMap<String, [i64; 2]>, rule: &str, by: [i64; 2]) {
    let n = map.entry(rule.to_string()).or_default();
    n[0] += by[0];
    n[1] += by[1];
    if *n == [0, 0] {
        map.remove(rule);
    }
}

fn bump<K: Ord>(map: &mut BTreeMap<K, i64>, key: K, by: i64) {
    let n = map.entry(key).or_default();
    *n += by;
    if *n == 0 {
        map.retain(|_, n| *n != 0);
    }
}

impl Totals {
    /// Adds (`sign` 1) or takes away (`sign` -1) one conversation's contribution.
    pub fn add(&mut self, c: &Contribution, sign: i64) {
        self.conversations += sign;
        self.first_response_clocks += sign * i64::from(c.first_response_clock);
        self.first_response_met += sign * i64::from(c.first_response_met);
        self.needed_answer += sign * i64::from(c.needed_answer);
        self.resolved += sign * i64::from(c.resolved);
        if let Some(r) = c.rating {
            self.ratings += sign;
            self.rating_sum += sign * i64::from(r);
        }
        self.complaints += sign * i64::from(c.complaint);
        self.repeats += sign * i64::from(c.repeat);
        for rule in &c.breaches {
            bump(&mut self.breaches, rule.clone(), sign);
        }
        if let Some(b) = c.reply_bucket {
            bump(&mut self.reply, b, sign);
        }
        for (rule, met) in &c.clocks {
            bump_clock(&mut self.clocks, rule, [sign, sign * i64::from(*met)]);
        }
    }

    /// Adds every count of `other`.
    pub fn merge(&mut self, other: &Totals) {
        self.conversations += other.conversations;
        self.first_response_clocks += other.first_response_clocks;
        self.first_response_met += other.first_response_met;
        self.needed_answer += other.needed_answer;
        self.resolved += other.resolved;
        self.ratings += other.ratings;
        self.rating_sum += other.rating_sum;
        self.complaints += other.complaints;
        self.repeats += other.repeats;
        for (rule, n) in &other.breaches {
            bump(&mut self.breaches, rule.clone(), *n);
        }
        for (b, n) in &other.reply {
            bump(&mut self.reply, *b, *n);
        }
        for (rule, n) in &other.clocks {
            bump_clock(&mut self.clocks, rule, *n);
        }
    }

    /// Nothing counted (a cell that can go).
    pub fn is_empty(&self) -> bool {
        *self == Totals::default()
    }

    /// The bucket at quantile `q` of the reply histogram, by the nearest-rank method.
    fn reply_quantile(&self, q: f64) -> Option<i64> {
        let n: i64 = self.reply.values().sum();
        if n <= 0 {
            return None;
        }
        let rank = ((q * n as f64).ceil() as i64).clamp(1, n);
        let mut seen = 0;
        self.reply.iter().find_map(|(b, k)| {
            seen += k;
            (seen >= rank).then_some(*b)
        })
    }

    /// The figures these totals stand for.
    pub fn kpis(&self) -> Kpis {
        let u = |n: i64| u64::try_from(n).unwrap_or(0);
        Kpis {
            conversations: u(self.conversations),
            first_response: FirstResponse {
                count: u(self.first_response_clocks),
                met: u(self.first_response_met),
                rate: ratio(u(self.first_response_met), u(self.first_response_clocks)),
                median_seconds: self.reply_quantile(0.5),
                p90_seconds: self.reply_quantile(0.9),
            },
            needed_answer: u(self.needed_answer),
            resolved: u(self.resolved),
            resolution_rate: ratio(u(self.resolved), u(self.needed_answer)),
            csat: Csat {
                responses: u(self.ratings),
                mean: (self.ratings > 0).then(|| self.rating_sum as f64 / self.ratings as f64),
            },
            complaints: u(self.complaints),
            repeat_complaints: u(self.repeats),
            repeat_complaint_rate: ratio(u(self.repeats), u(self.complaints)),
            breaches: self
                .breaches
                .iter()
                .map(|(rule, n)| (rule.clone(), u(*n)))
                .collect(),
            clocks: self
                .clocks
                .iter()
                .map(|(rule, [n, met])| {
                    let (n, met) = (u(*n), u(*met));
                    let share = ClockShare {
                        count: n,
                        met,
                        rate: ratio(met, n),
                    };
                    (rule.clone(), share)
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Period, kpis};
    use chrono::{DateTime, Duration, Utc};

    fn t(m: i64) -> DateTime<Utc> {
        DateTime::<Utc>::UNIX_EPOCH + Duration::days(20_000) + Duration::minutes(m)
    }

    #[test]
    fn buckets_round_down_at_the_readers_precision() {
        assert_eq!(reply_bucket(-3), 0);
        assert_eq!(reply_bucket(119), 119);
        assert_eq!(reply_bucket(123), 120);
        assert_eq!(reply_bucket(659), 630);
        assert_eq!(reply_bucket(3_899), 3_600);
        assert_eq!(reply_bucket(90_001), 90_000);
    }

    /// Totals built by adding, moving and taking away contributions give the brute-force
    /// figures of what is left.
    #[test]
    fn totals_equal_the_definition() {
        let mut facts = Vec::new();
        for i in 0..40 {
            let mut f = ConversationFacts {
                id: i,
                shop_id: 1,
                customer: format!("b{}", i % 7),
                first_inbound: t(i * 37),
                needed_answer: i % 11 != 0,
                complaint: i % 3 == 0,
                rating: (i % 4 == 0).then_some((i % 5 + 1) as u8),
                ..ConversationFacts::default()
            };
            if i % 2 == 0 {
                f.first_response_due = Some(t(i * 37 + 30));
                f.first_reply_at = Some(t(i * 37 + i % 50));
                f.first_response_met_at = f.first_reply_at;
            }
            if i % 5 != 1 {
                f.resolved_at = vec![t(i * 37 + 60)];
            }
            if i % 9 == 0 {
                f.breaches = vec!["TB-FRT-5M".into()];
            }
            f.clocks = vec![("TB-FRT-5M".into(), i % 3 != 1)];
            facts.push(f);
        }
        let period = Period::new(t(0), t(10_000)).unwrap();
        let mut totals = Totals::default();
        for f in &facts {
            totals.add(&Contribution::of(f, &facts), 1);
        }
        // One conversation changes: its old contribution goes, its new one comes.
        let old = Contribution::of(&facts[4], &facts);
        facts[4].rating = Some(1);
        totals.add(&old, -1);
        totals.add(&Contribution::of(&facts[4], &facts), 1);
        let oracle = kpis(&facts, &facts, &period);
        assert!(oracle.repeat_complaints > 0 && oracle.csat.responses > 5);
        assert_eq!(totals.kpis(), oracle);
        let mut halves = Totals::default();
        let (mut a, mut b) = (Totals::default(), Totals::default());
        for (i, f) in facts.iter().enumerate() {
            let part = if i % 2 == 0 { &mut a } else { &mut b };
            part.add(&Contribution::of(f, &facts), 1);
        }
        halves.merge(&a);
        halves.merge(&b);
        assert_eq!(halves, totals);
        for f in &facts {
            totals.add(&Contribution::of(f, &facts), -1);
        }
        assert!(totals.is_empty());
    }

    #[test]
    fn figures_name_their_drill_down() {
        for f in Figure::ALL {
            assert_eq!(f.as_str().parse::<Figure>(), Ok(f));
        }
        assert!("everything".parse::<Figure>().is_err());
        let missed = Contribution {
            first_response_clock: true,
            ..Contribution::default()
        };
        assert!(missed.behind(Figure::FirstResponseMissed));
        assert!(!missed.behind(Figure::FirstResponseMet));
    }
}
