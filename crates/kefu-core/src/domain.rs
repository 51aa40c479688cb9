//! The nouns of a customer-service desk and the few state rules that belong to them.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::InvalidInput;
use crate::money::Money;

/// Declares a string-backed enum with `as_str`, `FromStr` (with a message that lists the valid
/// values), `Display` and serde as that string. Used for every enum stored in the database so
/// the stored text and the API text are the same words.
macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident, $what:literal { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn as_str(&self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl FromStr for $name {
            type Err = InvalidInput;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(InvalidInput(format!(
                        concat!("unknown ", $what, " {:?}; expected one of: {}"),
                        s,
                        [$($text),+].join(", ")
                    ))),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(self.as_str()) }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

text_enum!(
    /// The marketplace (or the seller's own shop) a shop sells on; it picks the default policy pack.
    Platform, "platform" {
        Ebay => "ebay",
        Taobao => "taobao",
        Tmall => "tmall",
        Aliexpress => "aliexpress",
        Pinduoduo => "pinduoduo",
        Own => "own",
    }
);

impl Platform {
    /// The policy pack a new shop on this platform uses unless told otherwise.
    pub fn default_pack(&self) -> &'static str {
        match self {
            Platform::Own => "generic",
            other => other.as_str(),
        }
    }

    /// Default IANA time zone: the Chinese platforms keep Beijing time; eBay US shops their
    /// Pacific headquarters' time unless the seller says otherwise.
    pub fn default_timezone(&self) -> &'static str {
        match self {
            Platform::Ebay => "America/Los_Angeles",
            Platform::Own => "UTC",
            _ => "Asia/Shanghai",
        }
    }

    pub fn default_currency(&self) -> &'static str {
        match self {
            Platform::Ebay | Platform::Aliexpress | Platform::Own => "USD",
            _ => "CNY",
        }
    }
}

text_enum!(
    /// Where a conversation stands. A buyer's new message reopens a resolved or closed one.
    ConversationStatus, "conversation status" {
        New => "new",
        Open => "open",
        PendingCustomer => "pending_customer",
        Escalated => "escalated",
        Resolved => "resolved",
        Closed => "closed",
    }
);

impl ConversationStatus {
    /// Status after the buyer writes: a waiting or finished conversation comes back to the desk;
    /// a new or escalated one keeps its status.
    pub fn after_inbound(self) -> ConversationStatus {
        match self {
            ConversationStatus::PendingCustomer
            | ConversationStatus::Resolved
            | ConversationStatus::Closed => ConversationStatus::Open,
            other => other,
        }
    }

    /// Status after an agent's reply: the desk now waits for the buyer, unless the case is
    /// escalated (a reply does not end an escalation) or already finished.
    pub fn after_reply(self) -> ConversationStatus {
        match self {
            ConversationStatus::New | ConversationStatus::Open => {
                ConversationStatus::PendingCustomer
            }
            other => other,
        }
    }

    /// How long a conversation may wait for its buyer (`pending_customer`, no clock running)
    /// before it is the desk's work again: the inbox lists it from then on, so a buyer who
    /// went quiet is followed up (two days, as eBay's follow-up after a resolution,
    /// EBAY-FOLLOWUP-48H).
    pub const PENDING_WAIT_HOURS: i64 = 48;

    /// Whether the conversation still needs the desk (counts as "open" in metrics and inbox).
    pub fn is_active(self) -> bool {
        !matches!(
            self,
            ConversationStatus::Resolved | ConversationStatus::Closed
        )
    }

    /// Whether a missed clock that escalates (the rulebook's `escalate_on_breach`) puts this
    /// conversation in front of a supervisor: one that still needs the desk and is not
    /// escalated already.
    pub fn escalates_on_breach(self) -> bool {
        self.is_active() && self != ConversationStatus::Escalated
    }
}

text_enum!(
    /// Who a message is from and who sees it.
    Direction, "message direction" {
        Inbound => "inbound",
        Outbound => "outbound",
        Note => "note",
        System => "system",
    }
);

text_enum!(
    /// The way a message travelled (MULTICHANNEL).
    Channel, "channel" {
        WebChat => "web_chat",
        Email => "email",
        Marketplace => "marketplace",
        Phone => "phone",
        Api => "api",
    }
);

text_enum!(
    /// What an agent may do: agents answer, supervisors also watch and reassign, admins manage.
    Role, "role" {
        Agent => "agent",
        Supervisor => "supervisor",
        Admin => "admin",
    }
);

text_enum!(
    /// The state of an obligation (a running clock with a due time).
    ObligationState, "obligation state" {
        Open => "open",
        Met => "met",
        Breached => "breached",
        Cancelled => "cancelled",
    }
);

text_enum!(
    /// Whether a deadline is the platform's own limit or the seller's goal; kept apart everywhere.
    #[derive(PartialOrd, Ord)]
    Severity, "severity" {
        Platform => "platform",
        Target => "target",
    }
);

text_enum!(
    /// What a clock measures: the act that stops it. The rulebook decides which clocks an event
    /// opens and closes; the store keeps them by this name and never interprets it.
    #[derive(PartialOrd, Ord)]
    ClockKind, "clock" {
        /// First reply to a new conversation.
        FirstResponse => "first_response",
        /// Reply to a later buyer message.
        NextResponse => "next_response",
        /// Reply on a high-value order (EBAY-HIGHVALUE-12H).
        HighValueResponse => "high_value_response",
        /// Escalate a complex issue (EBAY-ESCALATE-2H).
        Escalation => "escalation",
        /// Follow up after a resolution was offered (EBAY-FOLLOWUP-48H).
        Followup => "followup",
        /// Handle an after-sales request (TB-AFTERSALES-24-48H).
        Aftersales => "aftersales",
        /// Resolve the question (GEN-SIMPLE-5M, GEN-COMPLEX-24H).
        Resolution => "resolution",
        /// Close a collective-complaint incident (COLLECTIVE-3LEVEL).
        Incident => "incident",
        /// Call a buyer back as promised on a call (REC-CUSTOMER-INFO).
        Callback => "callback",
        /// Report back to a complaining buyer with the outcome (COMPLAINT-FLOW).
        ReportBack => "report_back",
    }
);

impl ClockKind {
    /// The act that stops the clock; clocks with the same act compete for `binding`.
    pub fn act(self) -> &'static str {
        match self {
            ClockKind::FirstResponse | ClockKind::NextResponse | ClockKind::HighValueResponse => {
                "reply"
            }
            ClockKind::Escalation => "escalate",
            ClockKind::Followup => "follow up",
            ClockKind::Aftersales => "handle the after-sales request",
            ClockKind::Resolution => "resolve",
            ClockKind::Incident => "close the incident",
            ClockKind::Callback => "call back",
            ClockKind::ReportBack => "report back to the buyer",
        }
    }
}

/// The kinds of entries in a conversation's append-only event log (REC-FULL-TRANSCRIPT).
pub mod event_kind {
    pub const CONVERSATION_OPENED: &str = "conversation_opened";
    pub const CONVERSATION_REOPENED: &str = "conversation_reopened";
    pub const MESSAGE_RECEIVED: &str = "message_received";
    pub const REPLY_SENT: &str = "reply_sent";
    pub const OBLIGATION_MET: &str = "obligation_met";
    pub const OBLIGATION_BREACHED: &str = "obligation_breached";
    pub const STATUS_CHANGED: &str = "status_changed";
    pub const CLOCKS_STARTED: &str = "clocks_started";
    pub const NOTE_ADDED: &str = "note_added";
    pub const ASSIGNED: &str = "assigned";
    pub const REPLY_DELIVERED: &str = "reply_delivered";
    /// A buyer rated the conversation at its end (web chat's CSAT prompt).
    pub const CSAT_RATED: &str = "csat_rated";
    pub const REPLY_DELIVERY_FAILED: &str = "reply_delivery_failed";
    /// A web-chat visitor gave an order number without proving it is theirs.
    pub const ORDER_CLAIMED: &str = "order_claimed";
    /// A web-chat visitor proved an order theirs (contact detail or signed link).
    pub const ORDER_VERIFIED: &str = "order_verified";
    /// The rulebook flagged a buyer's message for a supervisor (PDD-NO-ABUSE …).
    pub const FLAGGED: &str = "flagged";
    /// An agent marked the conversation a complaint, or took the mark off (KPI-REPEAT-5).
    pub const COMPLAINT_MARKED: &str = "complaint_marked";
    /// A logged phone call was answered after ringing so long (GEN-PHONE-3RINGS).
    pub const CALL_ANSWERED: &str = "call_answered";
    /// The conversation joined an incident (COLLECTIVE-3LEVEL), or left it for another.
    pub const INCIDENT_JOINED: &str = "incident_joined";
    /// A complaint was recorded with its cause and the team it went to (COMPLAINT-FLOW); an
    /// agent correcting the cause records it again.
    pub const COMPLAINT_RECORDED: &str = "complaint_recorded";
    /// A complaint ended with its resolution summary: what the buyer was told (COMPLAINT-FLOW).
    pub const COMPLAINT_RESOLVED: &str = "complaint_resolved";
}

#[derive(Debug, Clone, Serialize)]
pub struct Tenant {
    pub id: i64,
    pub name: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Shop {
    pub id: i64,
    pub tenant_id: i64,
    pub name: String,
    pub platform: Platform,
    /// IANA time-zone name; calendars run in it.
    pub timezone: String,
    pub currency: String,
    /// Policy pack id (`taobao`, `ebay`, …).
    pub pack: String,
    /// The shop's own overrides of its pack, as JSON (targets, hours, promises).
    pub settings: serde_json::Value,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Customer {
    pub id: i64,
    pub shop_id: i64,
    /// The buyer's handle on the channel (marketplace user id, email address, chat visitor id).
    pub handle: String,
    pub name: Option<String>,
    pub language: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Order {
    pub id: i64,
    pub shop_id: i64,
    pub external_id: String,
    pub total: Money,
    pub paid_at: DateTime<Utc>,
    pub promised_ship_by: Option<DateTime<Utc>>,
    pub shipped_at: Option<DateTime<Utc>>,
    pub carrier: Option<String>,
    pub tracking_number: Option<String>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    /// Promises the shop offers on this order (`return-7d`, `ship-promise`, `fake-3x`, …).
    pub promises: Vec<String>,
    /// What was bought.
    pub items: Vec<OrderItem>,
}

/// One line of an order.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct OrderItem {
    pub title: String,
    #[serde(default = "one")]
    pub quantity: u32,
    /// The unit price as an exact decimal, in the order's currency.
    pub unit_price: Option<String>,
    /// The platform's listing or SKU id, when known.
    #[serde(default)]
    pub sku: Option<String>,
}

fn one() -> u32 {
    1
}

#[derive(Debug, Clone, Serialize)]
pub struct Conversation {
    pub id: i64,
    pub shop_id: i64,
    pub customer_id: i64,
    pub order_id: Option<i64>,
    pub status: ConversationStatus,
    pub channel: Channel,
    pub language: Option<String>,
    pub assignee_id: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub last_inbound_at: Option<DateTime<Utc>>,
    pub message_count: i64,
    /// Classified as a complaint from the buyer's messages, or marked one by an agent.
    pub complaint: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Message {
    pub id: i64,
    pub conversation_id: i64,
    pub direction: Direction,
    pub channel: Channel,
    pub author_agent_id: Option<i64>,
    pub body: String,
    pub language: Option<String>,
    pub external_id: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// One entry of a conversation's append-only log.
#[derive(Debug, Clone, Serialize)]
pub struct Event {
    pub id: i64,
    pub conversation_id: i64,
    pub at: DateTime<Utc>,
    pub kind: String,
    pub actor: String,
    pub data: serde_json::Value,
}

/// A running clock on a conversation: a rule, a due time and a state.
#[derive(Debug, Clone, Serialize)]
pub struct Obligation {
    pub id: i64,
    pub conversation_id: i64,
    pub rule: String,
    pub clock: ClockKind,
    pub severity: Severity,
    pub due: DateTime<Utc>,
    pub state: ObligationState,
    pub opened_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    pub explanation: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Agent {
    pub id: i64,
    pub tenant_id: i64,
    pub email: String,
    pub name: String,
    pub role: Role,
    /// ISO 639-1 codes of the languages the agent answers in.
    pub languages: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Team {
    pub id: i64,
    pub tenant_id: i64,
    pub name: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_buyer_message_reopens_finished_conversations() {
        assert_eq!(
            ConversationStatus::Resolved.after_inbound(),
            ConversationStatus::Open
        );
        assert_eq!(
            ConversationStatus::Closed.after_inbound(),
            ConversationStatus::Open
        );
        assert_eq!(
            ConversationStatus::Escalated.after_inbound(),
            ConversationStatus::Escalated
        );
        assert_eq!(
            ConversationStatus::Open.after_reply(),
            ConversationStatus::PendingCustomer
        );
        assert_eq!(
            ConversationStatus::Escalated.after_reply(),
            ConversationStatus::Escalated
        );
    }

    #[test]
    fn enums_parse_their_own_text_and_explain_bad_input() {
        for p in Platform::ALL {
            assert_eq!(p.as_str().parse::<Platform>().unwrap(), *p);
        }
        let err = "amazon".parse::<Platform>().unwrap_err();
        assert!(err.0.contains("ebay, taobao"), "{err}");
    }
}

/// A clock the rulebook opens: one obligation the store keeps. The rulebook
/// (`kefu_rules::plan`) decides every field; the store stores them as they are.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClockOpen {
    pub rule: String,
    pub clock: ClockKind,
    pub severity: Severity,
    pub due: DateTime<Utc>,
    pub explanation: String,
    /// Whether missing this clock puts the conversation in front of a supervisor (status
    /// escalated). The rulebook decides: a missed platform limit escalates, a missed goal of
    /// the shop's own does not.
    pub escalate_on_breach: bool,
}

/// Something the rulebook wants a supervisor to look at (PDD-NO-ABUSE: an abusive buyer
/// message), recorded in the conversation's log as a `flagged` event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Flag {
    pub rule: String,
    pub reason: String,
}
