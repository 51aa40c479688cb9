//! The history `kefu bench kpi` reports over, generated once for both backends: shops in
//! three time zones, buyers who come back, conversations with their messages, a first-response
//! clock met or breached, resolutions, ratings and complaints. Each backend's seeder
//! (`sqlite::bench`, `postgres::bench`) writes these rows its fastest way; what the history
//! is lives here.

use kefu_core::event_kind;

/// The size and span of the history.
pub struct KpiHistory {
    pub shops: usize,
    pub agents: usize,
    pub conversations: usize,
    pub messages_per_conversation: usize,
    /// Conversations start evenly over this many days before `end_micros`.
    pub days: i64,
    pub end_micros: i64,
}

/// Every generated message's text.
pub const SEED_BODY: &str = "Hello, where is my parcel? It has not moved for three days.";

/// One generated conversation (times in microseconds since the epoch).
#[derive(Debug, Clone, PartialEq)]
pub struct SeedConversation {
    pub index: usize,
    /// Index into the history's shops.
    pub shop: usize,
    pub buyer: usize,
    pub at: i64,
    /// Between two messages (the first reply comes after one such gap).
    pub reply_after: i64,
    pub resolved: bool,
    pub agent: Option<i64>,
    pub complaint: bool,
    pub messages: usize,
    pub rating: Option<u8>,
}

impl KpiHistory {
    /// `(name, platform, time zone)` of each shop.
    pub fn shop_list(&self) -> Vec<(String, &'static str, &'static str)> {
        let zones = ["Asia/Shanghai", "America/Los_Angeles", "Europe/Berlin"];
        let platforms = ["taobao", "ebay", "aliexpress"];
        (0..self.shops.max(1))
            .map(|s| (format!("shop {s}"), platforms[s % 3], zones[s % 3]))
            .collect()
    }

    /// Conversation `i`.
    pub fn conversation(&self, i: usize) -> SeedConversation {
        let shops = self.shops.max(1);
        let span = self.days * 86_400_000_000;
        let step = span / self.conversations.max(1) as i64;
        let buyers_per_shop = (self.conversations / shops / 2).max(1);
        let resolved = i % 10 < 8;
        SeedConversation {
            index: i,
            shop: i % shops,
            buyer: (i / shops).wrapping_mul(2_654_435_761) % buyers_per_shop,
            at: self.end_micros - span + i as i64 * step,
            // A spread of reply times: most within minutes, some after hours.
            reply_after: 20_000_000 * (1 + (i as i64 * 7919) % 400),
            resolved,
            agent: (!i.is_multiple_of(7)).then(|| (1 + (i * 31) % self.agents.max(1)) as i64),
            complaint: i.is_multiple_of(6),
            messages: self.messages_per_conversation.max(1),
            rating: (resolved && i.is_multiple_of(4)).then(|| (1 + (i * 13) % 5) as u8),
        }
    }
}

impl SeedConversation {
    pub fn status(&self) -> &'static str {
        if self.resolved { "resolved" } else { "open" }
    }

    /// The buyer writes, the desk answers, in turn.
    pub fn direction(k: usize) -> &'static str {
        if k.is_multiple_of(2) {
            "inbound"
        } else {
            "outbound"
        }
    }

    pub fn message_at(&self, k: usize) -> i64 {
        self.at + self.reply_after * k as i64
    }

    pub fn last_at(&self) -> i64 {
        self.at + self.reply_after * self.messages as i64
    }

    /// The first-response clock: three hours.
    pub fn due(&self) -> i64 {
        self.at + 3 * 3_600_000_000
    }

    fn met(&self) -> bool {
        self.at + self.reply_after <= self.due()
    }

    pub fn clock_state(&self) -> &'static str {
        if self.met() { "met" } else { "breached" }
    }

    pub fn clock_closed_at(&self) -> i64 {
        if self.met() {
            self.at + self.reply_after
        } else {
            self.due()
        }
    }

    /// `(at, kind, data)` of the events the figures read: the resolution and the rating.
    pub fn events(&self) -> Vec<(i64, &'static str, String)> {
        let mut out = Vec::new();
        if self.resolved {
            out.push((
                self.last_at(),
                event_kind::STATUS_CHANGED,
                r#"{"from":"open","to":"resolved"}"#.to_string(),
            ));
        }
        if let Some(score) = self.rating {
            out.push((
                self.last_at() + 60_000_000,
                event_kind::CSAT_RATED,
                format!(r#"{{"score":{score}}}"#),
            ));
        }
        out
    }
}
