//! What callers hand the store: new rows, changes, queries.

use chrono::{DateTime, Utc};
use kefu_core::{Channel, ClockKind, ClockOpen, Flag, Money, Platform, Role};

use crate::*;

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
    pub first_contact_obligations: Vec<ClockOpen>,
    /// Clocks to open when the buyer writes again after an answer.
    pub follow_up_obligations: Vec<ClockOpen>,
    /// The conversation needs a high-value team (the rulebook's routing; sticky once set).
    pub high_value: bool,
    /// The rulebook read this message as a complaint (KPI-REPEAT-5 counts the conversation
    /// as one; sticky once set).
    pub complaint: bool,
    /// What a supervisor must look at about this message.
    pub flags: Vec<Flag>,
    /// Kinds of secrets redacted from `body` (recorded in the event log, never the values).
    pub redactions: Vec<String>,
    /// Where a reply must go on the buyer's platform (a connector's thread, as JSON); replies
    /// to a conversation with one leave through the outbox.
    pub reply_to: Option<String>,
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

#[derive(Debug, Clone)]
pub struct NewNote {
    pub conversation_id: i64,
    pub agent_id: Option<i64>,
    pub actor: String,
    pub body: String,
    pub at: DateTime<Utc>,
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
    pub opens: Vec<ClockOpen>,
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
    pub obligations: Vec<ClockOpen>,
}

/// A step of a conversation's flow that moves its clocks (COMPLAINT-FLOW: a complaint
/// recorded opens the report-back clock, its resolution summary meets it), recorded as one
/// event of `kind` with `data` and the obligations met and opened, in one transaction.
#[derive(Debug, Clone)]
pub struct FlowStep {
    pub conversation_id: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub kind: String,
    pub data: serde_json::Value,
    /// Clocks the step satisfies; the rules decide.
    pub closes: Vec<ClockKind>,
    /// Clocks the step starts (a rule already running is not started twice).
    pub opens: Vec<ClockOpen>,
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
