//! What the store hands back: outcomes, rows and views.

use chrono::{DateTime, Utc};
use kefu_core::{
    Agent, ClockKind, Conversation, Customer, Event, Message, Obligation, Order, Severity,
};
use serde::Serialize;

use crate::*;

/// A position in an IMAP mailbox: UIDs are only comparable under one UIDVALIDITY.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MailCursor {
    pub uid_validity: u32,
    pub last_uid: u32,
}

/// The buyer's contact details on an order. Kept apart from [`Order`] on purpose: they are
/// read only to check a web-chat visitor's proof, never shown or put in answers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrderBuyer {
    pub email: Option<String>,
    pub phone: Option<String>,
    pub postcode: Option<String>,
}

/// What the desk knows of a buyer's language before it reads their next message: the ingest
/// path weighs it before a detector's guess on a short text (LANG-LOCAL).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BuyerLanguage {
    /// The language stored on the customer (from the marketplace or the API).
    pub customer: Option<String>,
    /// The language of the buyer's latest conversation (the one a message continues, or the
    /// one before a new one).
    pub conversation: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct IngestOutcome {
    pub conversation_id: i64,
    pub message_id: i64,
    /// True when `external_id` had been stored before: nothing new was written.
    pub duplicate: bool,
    pub new_conversation: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FailedIngestInfo {
    pub id: i64,
    pub channel: String,
    pub received_at: DateTime<Utc>,
    pub error: String,
    pub size: i64,
}

/// A reply waiting to leave through its channel, with what the sender needs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutboxItem {
    pub id: i64,
    pub message_id: i64,
    pub conversation_id: i64,
    pub channel: String,
    pub recipient: String,
    pub body: String,
    /// The shop's name, shown as the sender.
    pub shop_name: String,
    /// The buyer's latest message's own id (an email's Message-ID), to thread the reply under.
    pub in_reply_to: Option<String>,
    /// The buyer's latest message's platform thread (a connector's reply target, JSON).
    pub reply_to: Option<String>,
    pub shop_id: i64,
    pub attempts: i64,
}

/// One FAQ answer of a shop in one language: what the bot answers with (TB-OFFHOURS-BOT).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FaqEntry {
    pub shop_id: i64,
    pub key: String,
    pub language: String,
    /// Ways buyers ask it; the matcher compares a question with these.
    pub questions: Vec<String>,
    pub answer: String,
    pub updated_at: DateTime<Utc>,
}

/// A marketplace connector of a shop as stored.
#[derive(Debug, Clone, Serialize)]
pub struct ConnectorRow {
    pub id: i64,
    pub shop_id: i64,
    pub kind: String,
    pub base_url: String,
    /// Sealed with the master key; never shown.
    #[serde(skip)]
    pub credentials: String,
    /// The platform's position, opaque to the store.
    pub cursor: Option<String>,
    /// The connector's backoff state (JSON), as the poller last left it.
    pub health: serde_json::Value,
    pub next_attempt_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

/// A file as stored, without its bytes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AttachmentInfo {
    pub id: i64,
    pub conversation_id: i64,
    pub message_id: i64,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    pub created_at: DateTime<Utc>,
}

/// A team as stored, with its members.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TeamInfo {
    pub id: i64,
    pub name: String,
    pub high_value: bool,
    pub routing: String,
    pub members: Vec<i64>,
}

/// An after-sales case as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AftersalesCase {
    pub id: i64,
    pub conversation_id: i64,
    pub order_id: Option<i64>,
    /// The entitlement's kind (`late-shipment`, `damage-reship`, …).
    pub kind: String,
    pub rule: String,
    /// `refund`, `reship`, `return` or `compensation`.
    pub action: String,
    /// What the rulebook computed, as an exact decimal.
    pub amount: Option<String>,
    pub currency: Option<String>,
    /// `offered`, `accepted`, `done` or `rejected`.
    pub state: String,
    pub due: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The inbox's three parts, in the order it shows them: conversations whose clock ran out and
/// that nobody has answered since, then those with a clock running (nearest first), then those
/// that need the desk with no clock at all (longest waiting first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InboxPart {
    Overdue,
    Running,
    NoClock,
}

impl InboxPart {
    pub const ALL: [InboxPart; 3] = [InboxPart::Overdue, InboxPart::Running, InboxPart::NoClock];

    pub fn as_str(self) -> &'static str {
        match self {
            InboxPart::Overdue => "overdue",
            InboxPart::Running => "running",
            InboxPart::NoClock => "no_clock",
        }
    }

    pub fn parse(s: &str) -> Option<InboxPart> {
        InboxPart::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

/// One inbox line: a conversation at its most pressing clock, or without one.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InboxRow {
    pub part: InboxPart,
    /// The clock shown (the earliest overdue one, else the nearest running one); `None` in
    /// the no-clock part.
    pub obligation_id: Option<i64>,
    pub conversation_id: i64,
    pub shop_id: i64,
    pub rule: Option<String>,
    pub due: Option<DateTime<Utc>>,
    /// When the clock opened, or when a conversation without one last changed.
    pub opened_at: DateTime<Utc>,
    pub status: kefu_core::ConversationStatus,
    pub language: Option<String>,
    pub assignee_id: Option<i64>,
    pub customer_handle: String,
    pub customer_name: Option<String>,
    /// The latest message a buyer or the shop wrote.
    pub last_message: Option<String>,
}

impl InboxRow {
    /// Whether the line's clock ran out unanswered (shown first, marked).
    pub fn overdue(&self) -> bool {
        self.part == InboxPart::Overdue
    }

    /// The keyset position of this line, for the next page.
    pub fn cursor(&self) -> InboxCursor {
        match (self.due, self.obligation_id) {
            (Some(due), Some(id)) => InboxCursor {
                part: self.part,
                at: due,
                id,
            },
            _ => InboxCursor {
                part: self.part,
                at: self.opened_at,
                id: self.conversation_id,
            },
        }
    }
}

/// A supervisor's view of a tenant's desk since some moment (today).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Overview {
    /// Conversations still needing the desk, by shop id.
    pub open_by_shop: Vec<(i64, i64)>,
    pub escalated: i64,
    /// Clocks breached since `since`.
    pub breaches: i64,
    /// Open clocks due within the hour after `now`.
    pub due_next_hour: i64,
    /// Open conversations per assigned agent id.
    pub load_by_agent: Vec<(i64, i64)>,
    pub unassigned: i64,
    /// First-response clocks closed since `since`: met, breached, and the mean seconds a met
    /// one took.
    pub first_response_met: i64,
    pub first_response_breached: i64,
    pub first_response_mean_secs: Option<f64>,
    /// Conversations opened since `since`, and how many of them are resolved or closed.
    pub opened: i64,
    pub resolved: i64,
}

/// The clock whose met and breached counts the overview reports as "first responses".
pub const FIRST_RESPONSE: ClockKind = ClockKind::FirstResponse;

/// What signing in needs to know of an agent.
#[derive(Debug, Clone)]
pub struct LoginRecord {
    pub agent: Agent,
    pub password_hash: Option<String>,
    pub failed_logins: i64,
    pub locked_until: Option<DateTime<Utc>>,
}

/// A stored message with what the search index files it under.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IndexRow {
    pub message_id: i64,
    pub conversation_id: i64,
    pub tenant_id: i64,
    pub shop_id: i64,
    pub platform: String,
    pub status: String,
    pub agent_id: Option<i64>,
    pub direction: String,
    pub language: Option<String>,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReplyOutcome {
    pub message_id: i64,
    pub met_obligations: Vec<i64>,
}

/// A conversation with everything an agent reads beside it.
#[derive(Debug, Clone, Serialize)]
pub struct ConversationDetail {
    #[serde(flatten)]
    pub conversation: Conversation,
    pub customer: Customer,
    /// The order linked to the conversation: one a trusted channel named (API, marketplace,
    /// mail) or a web-chat visitor proved theirs.
    pub order: Option<Order>,
    /// An order number a web-chat visitor gave without proving it is theirs: shown to the
    /// agent as unverified, and none of that order's facts are read for this conversation.
    pub order_claim: Option<String>,
    pub messages: Vec<Message>,
    pub events: Vec<Event>,
    pub obligations: Vec<Obligation>,
}

/// An obligation the scheduler marked as breached, with what the event log needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Breach {
    pub obligation_id: i64,
    pub conversation_id: i64,
    pub rule: String,
    pub clock: ClockKind,
    pub severity: Severity,
    pub due: DateTime<Utc>,
    /// True when the breach moved the conversation to `escalated` (a platform limit missed).
    pub escalated: bool,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Stats {
    pub shops: i64,
    pub conversations: i64,
    pub open_conversations: i64,
    pub messages: i64,
}
