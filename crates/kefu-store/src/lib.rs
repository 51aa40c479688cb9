#![doc = include_str!("../README.md")]

use chrono::{DateTime, Utc};
use kefu_core::{
    Agent, Channel, ClockKind, Conversation, Customer, Event, Message, Money, Obligation, Order,
    Platform, Role, Severity,
};
use serde::Serialize;

#[cfg(feature = "conformance")]
pub mod conformance;
mod decisions;
mod inbox;
pub mod postgres;
mod roles;
pub mod routing;
pub mod sqlite;
mod status_sets;

pub use postgres::PostgresStore;
pub use roles::{
    CaseStore, ChannelStore, ConversationStore, DirectoryStore, OrderStore, SessionStore, Store,
    StoreInfo,
};
pub use sqlite::SqliteStore;

/// A position in an IMAP mailbox: UIDs are only comparable under one UIDVALIDITY.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MailCursor {
    pub uid_validity: u32,
    pub last_uid: u32,
}

/// Why a store call failed. `NotFound` and `Invalid` are the caller's doing and become 4xx
/// answers; `Backend` is ours and is logged.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Conflict(String),
    #[error("database error: {0}")]
    Backend(String),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

#[derive(Debug, Clone)]
pub struct NewShop {
    pub tenant_id: i64,
    pub name: String,
    pub platform: Platform,
    pub timezone: String,
    pub currency: String,
    pub pack: String,
    pub settings: serde_json::Value,
}

#[derive(Debug, Clone)]
pub struct NewOrder {
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
    pub promises: Vec<String>,
    pub items: Vec<kefu_core::OrderItem>,
    /// How to reach the buyer, as the shop knows it; a web-chat visitor proves an order is
    /// theirs with one of these. Left `None`, an update keeps what was stored.
    pub buyer: OrderBuyer,
}

/// The buyer's contact details on an order. Kept apart from [`Order`] on purpose: they are
/// read only to check a web-chat visitor's proof, never shown or put in answers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrderBuyer {
    pub email: Option<String>,
    pub phone: Option<String>,
    pub postcode: Option<String>,
}

/// A clock to open, as computed by the rules for this shop.
#[derive(Debug, Clone, PartialEq)]
pub struct NewObligation {
    pub rule: String,
    pub clock: ClockKind,
    pub severity: Severity,
    pub due: DateTime<Utc>,
    pub explanation: String,
    /// Whether missing it moves the conversation to `escalated` (the rulebook decides).
    pub escalate_on_breach: bool,
}

/// Something the rulebook wants a supervisor to look at (PDD-NO-ABUSE …), recorded in the
/// conversation's log as a `flagged` event with the message that raised it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFlag {
    pub rule: String,
    pub reason: String,
}

/// A buyer's message as it reaches the store: already normalised, language-detected and
/// redacted by the ingest path.
#[derive(Debug, Clone)]
pub struct Inbound {
    pub shop_id: i64,
    pub channel: Channel,
    pub customer_handle: String,
    pub customer_name: Option<String>,
    pub customer_language: Option<String>,
    pub order_external_id: Option<String>,
    pub body: String,
    pub language: Option<String>,
    pub received_at: DateTime<Utc>,
    /// The sender's id for this message; the same id twice is stored once.
    pub external_id: Option<String>,
    /// Clocks to open when the desk has not answered this conversation yet.
    pub first_contact_obligations: Vec<NewObligation>,
    /// Clocks to open when the buyer writes again after an answer.
    pub follow_up_obligations: Vec<NewObligation>,
    /// The conversation needs a high-value team (the rulebook's routing; sticky once set).
    pub high_value: bool,
    /// What a supervisor must look at about this message.
    pub flags: Vec<NewFlag>,
    /// Kinds of secrets redacted from `body` (recorded in the event log, never the values).
    pub redactions: Vec<String>,
    /// Where a reply must go on the buyer's platform (a connector's thread, as JSON); replies
    /// to a conversation with one leave through the outbox.
    pub reply_to: Option<String>,
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

#[derive(Debug, Clone)]
pub struct NewReply {
    pub conversation_id: i64,
    pub agent_id: Option<i64>,
    /// Who sent it, for the event log ("agent:3", "master", "bot").
    pub actor: String,
    pub body: String,
    pub at: DateTime<Utc>,
    /// Clocks this reply satisfies (`ClockKind`s); the rules decide.
    pub closes_clocks: Vec<ClockKind>,
    /// Guard findings the agent confirmed past, as JSON, recorded with the reply's event.
    pub guard_override: Option<serde_json::Value>,
    /// Sent by the off-hours bot: shown in the thread, but the conversation still waits for a
    /// person (its status and "answered" state do not change).
    pub automatic: bool,
}

/// Something that reached kefu but could not be ingested, kept whole for an operator.
#[derive(Debug, Clone)]
pub struct FailedIngest {
    pub channel: Channel,
    pub received_at: DateTime<Utc>,
    pub error: String,
    pub raw: Vec<u8>,
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

/// A team as created by an admin.
#[derive(Debug, Clone)]
pub struct NewTeam {
    pub tenant_id: i64,
    pub name: String,
    /// Takes the conversations of high-value orders (HIGHVALUE-CHANNEL).
    pub high_value: bool,
    /// `least_load` (fewest open conversations first) or `round_robin` (longest since the
    /// last one first).
    pub routing: String,
    pub members: Vec<i64>,
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

#[derive(Debug, Clone)]
pub struct NewCase {
    pub conversation_id: i64,
    pub order_id: Option<i64>,
    pub kind: String,
    pub rule: String,
    pub action: String,
    pub amount: Option<String>,
    pub currency: Option<String>,
    pub due: DateTime<Utc>,
    pub actor: String,
    pub at: DateTime<Utc>,
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

/// Where a page of the inbox ends: the part, and within it the line's time (a clock's due
/// time, or when a conversation without a clock last changed) and id (the obligation's, or the
/// conversation's when it has no clock).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InboxCursor {
    pub part: InboxPart,
    pub at: DateTime<Utc>,
    pub id: i64,
}

/// What the inbox asks for: a tenant's conversations that need work, overdue first, then by
/// nearest clock, then those without one.
#[derive(Debug, Clone, Default)]
pub struct InboxQuery {
    pub tenant_id: i64,
    /// Only these shops (`None`: all of the tenant's).
    pub shop_ids: Option<Vec<i64>>,
    pub status: Option<kefu_core::ConversationStatus>,
    pub language: Option<String>,
    /// `Some(Some(id))`: assigned to that agent; `Some(None)`: unassigned.
    pub assignee: Option<Option<i64>>,
    /// Only lines whose clock is due before this (overdue ones are); lines without a clock
    /// are left out.
    pub due_before: Option<DateTime<Utc>>,
    /// Only this part (`None`: all three, in order). "No clock" is `Some(NoClock)`.
    pub part: Option<InboxPart>,
    /// A conversation waiting for the buyer (`pending_customer`) with no clock comes back to
    /// the desk once it has waited since before this (`None`: it stays out).
    pub pending_before: Option<DateTime<Utc>>,
    /// Keyset: after this line.
    pub after: Option<InboxCursor>,
    pub limit: i64,
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

/// A signed-in browser session.
#[derive(Debug, Clone)]
pub struct NewSession {
    /// SHA-256 of the cookie's value; the value itself is never stored.
    pub token_hash: String,
    pub agent_id: i64,
    /// The token every form and state-changing request of this session must carry.
    pub csrf: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewConnector {
    pub shop_id: i64,
    pub kind: String,
    pub base_url: String,
    pub credentials: String,
    pub at: DateTime<Utc>,
}

/// How a send attempt went.
#[derive(Debug, Clone)]
pub enum Delivery {
    Sent {
        external_id: String,
    },
    /// Failed; tried again at `retry_at`, or given up on when `None`.
    Failed {
        error: String,
        retry_at: Option<DateTime<Utc>>,
    },
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

#[derive(Debug, Clone)]
pub struct NewNote {
    pub conversation_id: i64,
    pub agent_id: Option<i64>,
    pub actor: String,
    pub body: String,
    pub at: DateTime<Utc>,
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

#[derive(Debug, Clone)]
pub struct StatusChange {
    pub conversation_id: i64,
    pub status: kefu_core::ConversationStatus,
    pub actor: String,
    pub at: DateTime<Utc>,
    pub reason: Option<String>,
    /// Clocks the change satisfies (escalating meets the escalation clock …); the rules decide.
    pub closes_clocks: Vec<ClockKind>,
    /// Clocks the change starts (a resolution starts the follow-up clock …).
    pub opens: Vec<NewObligation>,
}

/// Clocks started by something that happened to a conversation other than a message (it was
/// marked a complex issue, the buyer filed an after-sales request).
#[derive(Debug, Clone)]
pub struct ClockStart {
    pub conversation_id: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    /// What happened, for the event log (`complex_issue`, `after_sales_request`).
    pub trigger: String,
    pub obligations: Vec<NewObligation>,
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

/// Which obligations to list across conversations.
#[derive(Debug, Clone, Default)]
pub struct ObligationFilter {
    pub tenant_id: i64,
    pub state: Option<kefu_core::ObligationState>,
    pub due_before: Option<DateTime<Utc>>,
    pub shop_id: Option<i64>,
    /// Keyset pagination: only obligations after this `(due, id)` in due order.
    pub after: Option<(DateTime<Utc>, i64)>,
    pub limit: i64,
}

#[derive(Debug, Clone)]
pub struct NewAgent {
    pub tenant_id: i64,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub languages: Vec<String>,
    pub password_hash: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Stats {
    pub shops: i64,
    pub conversations: i64,
    pub open_conversations: i64,
    pub messages: i64,
}

/// The tenant every fresh database starts with; the master key acts in it.
pub const DEFAULT_TENANT: i64 = 1;

/// Opens the store a URL names: `sqlite://PATH` (created if missing; `sqlite::memory:` is
/// refused because nothing in it would be durable) or `postgres://…`.
pub async fn open(url: &str) -> Result<std::sync::Arc<dyn Store>> {
    if let Some(path) = url.strip_prefix("sqlite://") {
        if path.is_empty() {
            return Err(StoreError::Invalid(
                "sqlite:// needs a file path, e.g. sqlite://kefu.db".into(),
            ));
        }
        Ok(std::sync::Arc::new(SqliteStore::open(path)?))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(std::sync::Arc::new(PostgresStore::connect(url).await?))
    } else {
        Err(StoreError::Invalid(format!(
            "unsupported database URL {url:?}: use sqlite://PATH or postgres://USER@HOST:PORT/DB"
        )))
    }
}

pub(crate) fn json_text(v: &serde_json::Value) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "{}".into())
}

/// The role traits, to bring their methods into scope: `use kefu_store::prelude::*;`.
pub mod prelude {
    pub use crate::roles::{
        CaseStore, ChannelStore, ConversationStore, DirectoryStore, OrderStore, SessionStore,
        Store, StoreInfo,
    };
}
